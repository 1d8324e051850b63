/*
 * redis.c -- Redis endpoints: URL parsing, a small locked connection pool per server, reconnect backoff, EVALSHA
 * with the NOSCRIPT fallback, commands written without waiting for their answer. See redis_int.h.
 */
#include "redis_int.h"
#include "error_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hiredis.h>

#define POOL_IDLE_MAX 8
#define MAX_SCRIPTS 32

const char *ucrm_redis__version(void) {
#define UCRM__STR2(x) #x
#define UCRM__STR(x) UCRM__STR2(x)
    return "hiredis/" UCRM__STR(HIREDIS_MAJOR) "." UCRM__STR(HIREDIS_MINOR) "." UCRM__STR(HIREDIS_PATCH) " (no TLS)";
}

/* ---------------------------------------------------------------------------------------------- URL */

int ucrm_redis__hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decodes s[0..n) into a new string; NULL with *bad set on a malformed escape or a NUL. */
static char *pct_decode(const char *s, size_t n, bool *bad) {
    char *out = ucrm__malloc(n + 1);
    if (!out)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            out[k++] = s[i];
            continue;
        }
        int a = i + 1 < n ? ucrm_redis__hexval(s[i + 1]) : -1, b = i + 2 < n ? ucrm_redis__hexval(s[i + 2]) : -1;
        if (a < 0 || b < 0 || (a == 0 && b == 0)) {
            OPENSSL_cleanse(out, n + 1); /* not NUL-terminated yet */
            ucrm__free(out);
            *bad = true;
            return NULL;
        }
        out[k++] = (char)(a * 16 + b);
        i += 2;
    }
    out[k] = '\0';
    return out;
}

static bool host_ok(const char *h, size_t n, bool v6) {
    if (n == 0 || n > 253)
        return false;
    const char *allowed = v6 ? "0123456789abcdefABCDEF:."
                             : "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_";
    for (size_t i = 0; i < n; i++)
        if (!strchr(allowed, h[i]))
            return false;
    return true;
}

void ucrm_redis__url_free(ucrm_redis_url_t *u) {
    ucrm__free(u->user);
    ucrm__free_secret(u->password);
    ucrm__free(u->host);
    memset(u, 0, sizeof *u);
}

/* The user info "user:password", ":password" (the default user). */
static bool parse_userinfo(const char *s, size_t n, ucrm_redis_url_t *u, const char **why) {
    const char *colon = memchr(s, ':', n);
    bool bad = false;
    if (!colon) {
        *why = "a user needs a password (user:password@, or :password@ for the default user)";
        return false;
    }
    size_t ul = (size_t)(colon - s);
    if (ul && !(u->user = pct_decode(s, ul, &bad)))
        goto fail;
    if (!(u->password = pct_decode(colon + 1, n - ul - 1, &bad)))
        goto fail;
    if (!*u->password) {
        *why = "the password is empty";
        return false;
    }
    return true;
fail:
    *why = bad ? "malformed percent-escape in the user or password" : NULL;
    return false;
}

static bool parse_hostport(const char *s, size_t n, ucrm_redis_url_t *u, const char **why) {
    const char *h = s, *end = s + n;
    size_t hl;
    const char *after;
    bool v6 = n && s[0] == '[';
    if (v6) {
        const char *rb = memchr(s, ']', n);
        if (!rb) {
            *why = "unclosed '[' in the host";
            return false;
        }
        h = s + 1;
        hl = (size_t)(rb - h);
        after = rb + 1;
    } else {
        const char *colon = memchr(s, ':', n);
        hl = colon ? (size_t)(colon - s) : n;
        after = s + hl;
    }
    if (!host_ok(h, hl, v6)) {
        *why = "missing or malformed host";
        return false;
    }
    u->port = 6379;
    if (after < end) {
        int64_t port;
        if (*after != ':' || !ucrm__parse_i64_n(after + 1, (size_t)(end - after - 1), &port) || after[1] == '+' ||
            after[1] == '-' || port < 1 || port > 65535) {
            *why = "the port must be a number from 1 to 65535";
            return false;
        }
        u->port = (int)port;
    }
    if (!(u->host = ucrm__strndup(h, hl))) {
        *why = NULL;
        return false;
    }
    return true;
}

bool ucrm_redis__parse_url(const char *url, ucrm_redis_url_t *u, const char **why) {
    memset(u, 0, sizeof *u);
    *why = "not a redis:// URL";
    if (!url)
        return false;
    if (strncasecmp(url, "rediss://", 9) == 0) {
        *why = "rediss:// (TLS) is not available in this build (see redis.tls)";
        return false;
    }
    if (strncasecmp(url, "redis://", 8) != 0)
        return false;
    const char *p = url + 8;
    if (strpbrk(p, "?#")) {
        *why = "query parameters and fragments are not supported";
        return false;
    }
    const char *at = strrchr(p, '@');
    const char *auth = at ? at + 1 : p;
    size_t alen = strcspn(auth, "/");
    bool ok = (!at || parse_userinfo(p, (size_t)(at - p), u, why)) && parse_hostport(auth, alen, u, why);
    if (ok) {
        const char *path = auth + alen;
        int64_t db = 0;
        if (*path && path[1] && (!ucrm__parse_i64(path + 1, &db) || path[1] == '+' || path[1] == '-' || db < 0 ||
                                 db > 1000000)) {
            *why = "the database must be a number (redis://host:port/2)";
            ok = false;
        }
        u->db = (int)db;
    }
    if (!ok)
        ucrm_redis__url_free(u);
    return ok;
}

/* ---------------------------------------------------------------------------------------------- scripts */

static pthread_mutex_t g_script_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_nscripts;

/* Computes the script's SHA-1 and assigns it an index (its bit in a connection's set of loaded scripts). */
static int script_index(ucrm_redis_script_t *s) {
    int idx = __atomic_load_n(&s->once, __ATOMIC_ACQUIRE);
    if (idx > 0)
        return idx - 1;
    pthread_mutex_lock(&g_script_lock);
    if (s->once == 0) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int ml = 0;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1) {
            for (const char *const *p = s->parts; *p; p++)
                EVP_DigestUpdate(ctx, *p, strlen(*p));
            EVP_DigestFinal_ex(ctx, md, &ml);
        }
        EVP_MD_CTX_free(ctx);
        for (unsigned i = 0; i < 20 && i < ml; i++)
            snprintf(s->sha + 2 * i, 3, "%02x", md[i]);
        int mine = g_nscripts < MAX_SCRIPTS ? g_nscripts++ : MAX_SCRIPTS - 1;
        __atomic_store_n(&s->once, mine + 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&g_script_lock);
    return s->once - 1;
}

/* ---------------------------------------------------------------------------------------------- endpoint */

typedef struct rconn {
    redisContext *ctx;
    int pending;       /* answers of commands written without waiting */
    uint32_t loaded;   /* scripts known to be in this server's cache (bit = script index) */
    bool pooled;       /* came from the pool (may have died since) */
    struct rconn *next;
} rconn_t;

struct ucrm_redis {
    char *key; /* url + timeout: the registry key (holds the password: wiped on free) */
    size_t refs;
    struct ucrm_redis *next;
    ucrm_redis_url_t url;
    int64_t timeout_ms;
    char where[300];
    pthread_mutex_t lock;
    rconn_t *idle;
    size_t nidle;
    pid_t pid;
    bool down, probing;
    int64_t backoff_us, retry_at_us;
    char last_error[256];
    uint64_t connects, connect_failures, failures, async_errors, noscript_loads;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static ucrm_redis_t *g_endpoints;

static void conn_free(rconn_t *c) {
    if (!c)
        return;
    if (c->ctx)
        redisFree(c->ctx);
    ucrm__free(c);
}

static void pool_clear(ucrm_redis_t *r) {
    while (r->idle) {
        rconn_t *c = r->idle;
        r->idle = c->next;
        conn_free(c);
    }
    r->nidle = 0;
}

ucrm_err_t ucrm_redis__get(ucrm_redis_t **out, const ucrm_conf_t *conf, ucrm_error_t **errp) {
    const char *url = ucrm_conf__str(conf, UCRM_P_REDIS_URL);
    int64_t tmo = ucrm_conf__int(conf, UCRM_P_REDIS_TIMEOUT_MS);
    if (!url || !*url)
        return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                          "ratelimit.backend=redis and token.store=redis need redis.url (redis://host:port/db)");
    ucrm_buf_t key = UCRM_BUF_INIT;
    ucrm_buf__printf(&key, "%lld|%s", (long long)tmo, url);
    if (key.oom)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    ucrm_err_t rc = UCRM_OK;
    pthread_mutex_lock(&g_lock);
    ucrm_redis_t *r = g_endpoints;
    while (r && strcmp(r->key, key.ptr) != 0)
        r = r->next;
    if (r) {
        r->refs++;
    } else if (!(r = ucrm__calloc(1, sizeof *r))) {
        rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    } else {
        const char *why = NULL;
        if (!ucrm_redis__parse_url(url, &r->url, &why)) {
            rc = why ? ucrm__fail(errp, UCRM_ERR_CONF_INVALID, "redis.url: %s", why)
                     : ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
            ucrm__free(r);
            r = NULL;
        } else {
            r->key = key.ptr;
            key = (ucrm_buf_t)UCRM_BUF_INIT;
            r->refs = 1;
            r->timeout_ms = tmo;
            r->pid = getpid();
            bool v6 = strchr(r->url.host, ':') != NULL;
            snprintf(r->where, sizeof r->where, "%s%s%s:%d/%d", v6 ? "[" : "", r->url.host, v6 ? "]" : "",
                     r->url.port, r->url.db);
            pthread_mutex_init(&r->lock, NULL);
            r->next = g_endpoints;
            g_endpoints = r;
        }
    }
    pthread_mutex_unlock(&g_lock);
    if (key.ptr) {
        OPENSSL_cleanse(key.ptr, key.cap);
        ucrm_buf__free(&key);
    }
    if (rc == UCRM_OK)
        *out = r;
    return rc;
}

void ucrm_redis__release(ucrm_redis_t *r) {
    if (!r)
        return;
    pthread_mutex_lock(&g_lock);
    bool last = --r->refs == 0;
    if (last)
        for (ucrm_redis_t **pp = &g_endpoints; *pp; pp = &(*pp)->next)
            if (*pp == r) {
                *pp = r->next;
                break;
            }
    pthread_mutex_unlock(&g_lock);
    if (!last)
        return;
    pool_clear(r); /* in a forked child, this closes its copies of the parent's sockets, nothing else */
    pthread_mutex_destroy(&r->lock);
    ucrm_redis__url_free(&r->url);
    ucrm__free_secret(r->key);
    ucrm__free(r);
}

const char *ucrm_redis__where(const ucrm_redis_t *r) { return r->where; }

/* ---------------------------------------------------------------------------------------------- SIGPIPE */

/* hiredis writes with write(2): a write to a connection the server closed raises SIGPIPE. It is blocked in this
 * thread for the duration of a command, and one raised meanwhile is consumed (unless one was already pending). */
typedef struct pipe_guard {
    sigset_t old;
    bool was_pending;
} pipe_guard_t;

static void pipe_block(pipe_guard_t *g) {
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &g->old);
    sigemptyset(&pend);
    sigpending(&pend);
    g->was_pending = sigismember(&pend, SIGPIPE) == 1;
}

static void pipe_unblock(pipe_guard_t *g) {
    if (!g->was_pending) {
        sigset_t set, pend;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        sigemptyset(&pend);
        sigpending(&pend);
        if (sigismember(&pend, SIGPIPE) == 1) {
            struct timespec zero = {0, 0};
            int saved = errno;
            while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR) {
            }
            errno = saved;
        }
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* ---------------------------------------------------------------------------------------------- failures */

static int64_t retry_in_us(const ucrm_redis_t *r, int64_t now) {
    return r->retry_at_us > now ? r->retry_at_us - now : 0;
}

/* A connection-level failure: the backoff starts (or doubles). Returns the error for the caller. */
static ucrm_err_t connection_failed(ucrm_redis_t *r, const char *what, ucrm_error_t **errp) {
    pthread_mutex_lock(&r->lock);
    int64_t now = ucrm__mono_us();
    int64_t doubled = r->backoff_us * 2;
    r->backoff_us = !r->down ? UCRM_REDIS_BACKOFF_MIN_US
                  : doubled > UCRM_REDIS_BACKOFF_MAX_US ? UCRM_REDIS_BACKOFF_MAX_US : doubled;
    r->down = true;
    r->retry_at_us = now + r->backoff_us;
    r->failures++;
    snprintf(r->last_error, sizeof r->last_error, "%s", what);
    int64_t in = retry_in_us(r, now);
    pthread_mutex_unlock(&r->lock);
    ucrm_error_t *e = ucrm_error__new(UCRM_ERR_TRANSPORT, "Redis at %s is unreachable: %s", r->where, what);
    ucrm_error__set_retry(e, 1, in / 1000 + 1);
    return ucrm__give(errp, e);
}

static void connection_ok(ucrm_redis_t *r) {
    if (!__atomic_load_n(&r->down, __ATOMIC_RELAXED))
        return;
    pthread_mutex_lock(&r->lock);
    r->down = false;
    r->backoff_us = 0;
    r->retry_at_us = 0;
    pthread_mutex_unlock(&r->lock);
}

/* What went wrong on a context, in words (a timeout named as such). */
static void describe(const ucrm_redis_t *r, const redisContext *ctx, int err_no, char *out, size_t n) {
    if (ctx && ctx->err == REDIS_ERR_IO && (err_no == EAGAIN || err_no == EWOULDBLOCK || err_no == EINPROGRESS))
        snprintf(out, n, "no answer within %lld ms (redis.timeout.ms)", (long long)r->timeout_ms);
    else if (ctx && ctx->err == REDIS_ERR_EOF)
        snprintf(out, n, "the server closed the connection");
    else
        snprintf(out, n, "%s", ctx && ctx->errstr[0] ? ctx->errstr : "connection failed");
}

bool ucrm_redis__backing_off(ucrm_redis_t *r) {
    pthread_mutex_lock(&r->lock);
    bool b = r->down && ucrm__mono_us() < r->retry_at_us;
    pthread_mutex_unlock(&r->lock);
    return b;
}

/* ---------------------------------------------------------------------------------------------- connections */

static struct timeval tv_of(int64_t ms) {
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    return tv;
}

/* Runs a command on ctx with SIGPIPE blocked. NULL: the context failed (*err_no: errno at that moment). */
static redisReply *command(redisContext *ctx, int argc, const char **argv, const size_t *lens, int *err_no) {
    pipe_guard_t g;
    pipe_block(&g);
    errno = 0;
    redisReply *rep = redisCommandArgv(ctx, argc, argv, lens);
    *err_no = errno;
    pipe_unblock(&g);
    return rep;
}

/* AUTH and SELECT on a new connection. false with a message in what. */
static bool handshake(ucrm_redis_t *r, redisContext *ctx, char *what, size_t n) {
    const char *argv[3];
    int argc = 0, e = 0;
    if (r->url.password) {
        argv[argc++] = "AUTH";
        if (r->url.user)
            argv[argc++] = r->url.user;
        argv[argc++] = r->url.password;
        redisReply *rep = command(ctx, argc, argv, NULL, &e);
        bool ok = rep && rep->type != REDIS_REPLY_ERROR;
        if (!ok) {
            if (rep)
                snprintf(what, n, "authentication failed: %s", rep->str);
            else
                describe(r, ctx, e, what, n);
        }
        freeReplyObject(rep);
        if (!ok)
            return false;
    }
    if (r->url.db) {
        char db[16];
        snprintf(db, sizeof db, "%d", r->url.db);
        const char *sel[2] = {"SELECT", db};
        redisReply *rep = command(ctx, 2, sel, NULL, &e);
        bool ok = rep && rep->type != REDIS_REPLY_ERROR;
        if (!ok) {
            if (rep)
                snprintf(what, n, "SELECT %d failed: %s", r->url.db, rep->str);
            else
                describe(r, ctx, e, what, n);
        }
        freeReplyObject(rep);
        return ok;
    }
    return true;
}

static ucrm_err_t connect_new(ucrm_redis_t *r, rconn_t **out, ucrm_error_t **errp) {
    char what[256];
    rconn_t *c = ucrm__calloc(1, sizeof *c);
    if (!c)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    struct timeval tv = tv_of(r->timeout_ms);
    errno = 0;
    c->ctx = redisConnectWithTimeout(r->url.host, r->url.port, tv);
    int e = errno;
    bool ok = c->ctx && !c->ctx->err;
    if (ok) {
        fcntl(c->ctx->fd, F_SETFD, FD_CLOEXEC);
        ok = redisSetTimeout(c->ctx, tv) == REDIS_OK && handshake(r, c->ctx, what, sizeof what);
        if (!ok && c->ctx->err)
            describe(r, c->ctx, errno, what, sizeof what);
        if (ok)
            redisEnableKeepAlive(c->ctx);
    } else if (!c->ctx) {
        snprintf(what, sizeof what, "out of memory");
    } else {
        describe(r, c->ctx, e, what, sizeof what);
        if (e == EINPROGRESS || strstr(what, "timed out"))
            snprintf(what, sizeof what, "no connection within %lld ms (redis.timeout.ms)", (long long)r->timeout_ms);
    }
    pthread_mutex_lock(&r->lock);
    r->connects++;
    r->connect_failures += !ok;
    pthread_mutex_unlock(&r->lock);
    if (!ok) {
        conn_free(c);
        return connection_failed(r, what, errp);
    }
    *out = c;
    return UCRM_OK;
}

/* A connection: an idle one, else a new one (unless in backoff; one thread probes at a time). */
static ucrm_err_t conn_take(ucrm_redis_t *r, rconn_t **out, ucrm_error_t **errp) {
    pthread_mutex_lock(&r->lock);
    if (r->pid != getpid()) { /* forked: the parent's sockets are not ours to use (closing our copies is) */
        pool_clear(r);
        r->pid = getpid();
    }
    if (r->idle) {
        rconn_t *c = r->idle;
        r->idle = c->next;
        r->nidle--;
        pthread_mutex_unlock(&r->lock);
        c->pooled = true;
        *out = c;
        return UCRM_OK;
    }
    int64_t now = ucrm__mono_us();
    if (r->down && (now < r->retry_at_us || r->probing)) {
        int64_t in = r->probing ? r->timeout_ms * 1000 : retry_in_us(r, now);
        ucrm_error_t *e = ucrm_error__new(UCRM_ERR_TRANSPORT,
                                          "Redis at %s is unreachable: %s (next attempt in %lld ms)", r->where,
                                          r->last_error, (long long)(in / 1000));
        pthread_mutex_unlock(&r->lock);
        ucrm_error__set_retry(e, 1, in / 1000 + 1);
        return ucrm__give(errp, e);
    }
    bool probe = r->down;
    r->probing = probe;
    pthread_mutex_unlock(&r->lock);
    ucrm_err_t rc = connect_new(r, out, errp);
    if (probe) {
        pthread_mutex_lock(&r->lock);
        r->probing = false;
        pthread_mutex_unlock(&r->lock);
    }
    return rc;
}

static void conn_give(ucrm_redis_t *r, rconn_t *c) {
    pthread_mutex_lock(&r->lock);
    if (r->nidle < POOL_IDLE_MAX && r->pid == getpid() && !c->ctx->err) {
        c->next = r->idle;
        r->idle = c;
        r->nidle++;
        c = NULL;
    }
    pthread_mutex_unlock(&r->lock);
    conn_free(c);
}

/* The server went away under a pooled connection (restart): the other idle ones are dead too. */
static void conn_drop_all(ucrm_redis_t *r, rconn_t *c) {
    conn_free(c);
    pthread_mutex_lock(&r->lock);
    pool_clear(r);
    pthread_mutex_unlock(&r->lock);
}

static bool is_noscript(const redisReply *rep) {
    return rep && rep->type == REDIS_REPLY_ERROR && rep->str && strncmp(rep->str, "NOSCRIPT", 8) == 0;
}

/* Reads the answers of commands written without waiting. false: the connection failed. */
static bool drain(ucrm_redis_t *r, rconn_t *c, int *err_no) {
    while (c->pending > 0) {
        void *v = NULL;
        pipe_guard_t g;
        pipe_block(&g);
        errno = 0;
        int st = redisGetReply(c->ctx, &v);
        *err_no = errno;
        pipe_unblock(&g);
        if (st != REDIS_OK)
            return false;
        c->pending--;
        redisReply *rep = v;
        if (rep && rep->type == REDIS_REPLY_ERROR) {
            if (is_noscript(rep))
                c->loaded = 0;
            __atomic_add_fetch(&r->async_errors, 1, __ATOMIC_RELAXED);
        }
        freeReplyObject(rep);
    }
    return true;
}

/* Sends a command behind the answers still owed for commands written without waiting, then reads those (counting
 * errors) and its own: one round trip where draining first would take two. NULL: the connection failed. */
static redisReply *pipelined(ucrm_redis_t *r, rconn_t *c, int argc, const char **argv, const size_t *lens,
                             int *err_no) {
    pipe_guard_t g;
    pipe_block(&g);
    errno = 0;
    void *v = NULL;
    bool ok = redisAppendCommandArgv(c->ctx, argc, argv, lens) == REDIS_OK;
    while (ok && c->pending > 0) {
        ok = redisGetReply(c->ctx, &v) == REDIS_OK;
        if (!ok)
            break;
        c->pending--;
        redisReply *rep = v;
        if (rep && rep->type == REDIS_REPLY_ERROR) {
            if (is_noscript(rep))
                c->loaded = 0;
            __atomic_add_fetch(&r->async_errors, 1, __ATOMIC_RELAXED);
        }
        freeReplyObject(rep);
        v = NULL;
    }
    if (ok && redisGetReply(c->ctx, &v) != REDIS_OK)
        v = NULL;
    *err_no = errno;
    pipe_unblock(&g);
    return ok ? v : NULL;
}

/* ---------------------------------------------------------------------------------------------- commands */

typedef struct evalcmd {
    const char **argv;
    size_t *lens;
    int argc;
    char nk[16];
    const char *stack_argv[24];
    size_t stack_lens[24];
} evalcmd_t;

static bool evalcmd_build(evalcmd_t *e, ucrm_redis_script_t *s, int nkeys, int argc, const char *const *argv,
                          const size_t *lens) {
    script_index(s); /* its SHA-1 */
    e->argc = argc + 3;
    if ((size_t)e->argc <= UCRM__ARRAY_LEN(e->stack_argv)) {
        e->argv = e->stack_argv;
        e->lens = e->stack_lens;
    } else {
        e->argv = ucrm__calloc((size_t)e->argc, sizeof *e->argv);
        e->lens = ucrm__calloc((size_t)e->argc, sizeof *e->lens);
        if (!e->argv || !e->lens) {
            ucrm__free((void *)e->argv);
            ucrm__free(e->lens);
            return false;
        }
    }
    snprintf(e->nk, sizeof e->nk, "%d", nkeys);
    e->argv[0] = "EVALSHA";
    e->argv[1] = s->sha;
    e->argv[2] = e->nk;
    for (int i = 0; i < 3; i++)
        e->lens[i] = strlen(e->argv[i]);
    for (int i = 0; i < argc; i++) {
        e->argv[i + 3] = argv[i];
        e->lens[i + 3] = lens ? lens[i] : strlen(argv[i]);
    }
    return true;
}

static void evalcmd_free(evalcmd_t *e) {
    if (e->argv != e->stack_argv) {
        ucrm__free((void *)e->argv);
        ucrm__free(e->lens);
    }
}

/* SCRIPT LOAD on c. NULL on success, else the answer's error (or NULL answer: connection failure, *failed). */
static bool script_load(ucrm_redis_t *r, rconn_t *c, ucrm_redis_script_t *s, int idx, redisReply **err,
                        int *err_no) {
    ucrm_buf_t src = UCRM_BUF_INIT;
    for (const char *const *p = s->parts; *p; p++)
        ucrm_buf__puts(&src, *p);
    if (src.oom) {
        ucrm_buf__free(&src);
        *err_no = ENOMEM;
        return false;
    }
    const char *argv[3] = {"SCRIPT", "LOAD", src.ptr};
    redisReply *rep = command(c->ctx, 3, argv, NULL, err_no);
    ucrm_buf__free(&src);
    __atomic_add_fetch(&r->noscript_loads, 1, __ATOMIC_RELAXED);
    if (!rep)
        return false;
    if (rep->type == REDIS_REPLY_ERROR) {
        *err = rep;
        return true;
    }
    freeReplyObject(rep);
    c->loaded |= UINT32_C(1) << idx;
    return true;
}

static ucrm_err_t answered_error(ucrm_redis_t *r, const ucrm_redis_script_t *s, redisReply *rep,
                                 ucrm_error_t **errp) {
    ucrm_error_t *e = ucrm_error__new(UCRM_ERR_TRANSPORT, "Redis at %s refused the %s script: %.200s", r->where,
                                      s->name, rep->str ? rep->str : "error");
    freeReplyObject(rep);
    return ucrm__give(errp, e);
}

/* One try of eval on connection c (given back or freed here). On a connection failure (*what set), nothing is
 * recorded yet: *closed says the server had closed or reset it (not a timeout), which for a connection from the
 * pool is worth one more try on a fresh one before calling it an outage. */
static ucrm_err_t eval_on(ucrm_redis_t *r, rconn_t *c, ucrm_redis_script_t *s, int idx, evalcmd_t *cmd,
                          redisReply **reply, char *what, size_t wn, bool *closed, ucrm_error_t **errp) {
    int e = 0;
    redisReply *rep = NULL;
    *closed = false;
    what[0] = '\0';
    {
        rep = pipelined(r, c, cmd->argc, cmd->argv, cmd->lens, &e);
        if (is_noscript(rep)) { /* nothing is owed any more: a plain command may follow */
            freeReplyObject(rep);
            rep = NULL;
            redisReply *lerr = NULL;
            if (script_load(r, c, s, idx, &lerr, &e)) {
                if (lerr) {
                    conn_give(r, c);
                    return answered_error(r, s, lerr, errp);
                }
                rep = command(c->ctx, cmd->argc, cmd->argv, cmd->lens, &e);
            }
        }
    }
    if (!rep) {
        describe(r, c->ctx, e, what, wn);
        *closed = c->ctx->err == REDIS_ERR_EOF || e == EPIPE || e == ECONNRESET;
        conn_free(c);
        return UCRM_ERR_TRANSPORT;
    }
    c->loaded |= UINT32_C(1) << idx;
    conn_give(r, c);
    if (rep->type == REDIS_REPLY_ERROR)
        return answered_error(r, s, rep, errp);
    connection_ok(r);
    *reply = rep;
    return UCRM_OK;
}

/* One try of eval_async on connection c (given back or freed here); failures as eval_on's. */
static ucrm_err_t eval_async_on(ucrm_redis_t *r, rconn_t *c, ucrm_redis_script_t *s, int idx, evalcmd_t *cmd,
                                char *what, size_t wn, bool *closed, ucrm_error_t **errp) {
    int e = 0;
    *closed = false;
    what[0] = '\0';
    /* answers owed pile up only while nothing waits for one on this connection: read them now and then */
    bool ok = c->pending < 64 || drain(r, c, &e);
    if (ok && !(c->loaded & (UINT32_C(1) << idx)) && (ok = drain(r, c, &e))) {
        /* this server may not know the script yet: an answer nobody waits for could not load it */
        redisReply *lerr = NULL;
        ok = script_load(r, c, s, idx, &lerr, &e);
        if (ok && lerr) {
            conn_give(r, c);
            return answered_error(r, s, lerr, errp);
        }
    }
    if (ok) {
        pipe_guard_t g;
        pipe_block(&g);
        ok = redisAppendCommandArgv(c->ctx, cmd->argc, cmd->argv, cmd->lens) == REDIS_OK;
        int done = 0;
        errno = 0;
        while (ok && !done)
            ok = redisBufferWrite(c->ctx, &done) == REDIS_OK;
        e = errno;
        pipe_unblock(&g);
    }
    if (!ok) {
        describe(r, c->ctx, e, what, wn);
        *closed = c->ctx->err == REDIS_ERR_EOF || e == EPIPE || e == ECONNRESET;
        conn_free(c);
        return UCRM_ERR_TRANSPORT;
    }
    c->pending++;
    conn_give(r, c);
    return UCRM_OK;
}

/* Runs cmd (waiting for its answer into *reply, or not: async), on a second connection when the first came from
 * the pool and the server had closed it (a restart: nothing of the command reached it, or its answer is lost
 * with the old server's state anyway). Connection failures start the backoff. */
static ucrm_err_t run(ucrm_redis_t *r, ucrm_redis_script_t *s, evalcmd_t *cmd, bool async, redisReply **reply,
                      ucrm_error_t **errp) {
    int idx = script_index(s);
    ucrm_err_t rc = UCRM_OK;
    for (int attempt = 0; attempt < 2; attempt++) {
        rconn_t *c = NULL;
        if ((rc = conn_take(r, &c, errp)) < 0)
            return rc;
        bool pooled = c->pooled, closed = false;
        char what[256];
        rc = async ? eval_async_on(r, c, s, idx, cmd, what, sizeof what, &closed, errp)
                   : eval_on(r, c, s, idx, cmd, reply, what, sizeof what, &closed, errp);
        if (rc == UCRM_OK || !what[0])
            return rc;
        if (!(closed && pooled && attempt == 0))
            return connection_failed(r, what, errp);
        conn_drop_all(r, NULL); /* the server went away under the pool: its other idle connections are dead too */
    }
    return rc;
}

ucrm_err_t ucrm_redis__eval(ucrm_redis_t *r, ucrm_redis_script_t *s, int nkeys, int argc, const char *const *argv,
                            const size_t *lens, redisReply **reply, ucrm_error_t **errp) {
    evalcmd_t cmd;
    *reply = NULL;
    if (!evalcmd_build(&cmd, s, nkeys, argc, argv, lens))
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    ucrm_err_t rc = run(r, s, &cmd, false, reply, errp);
    evalcmd_free(&cmd);
    return rc;
}

ucrm_err_t ucrm_redis__eval_async(ucrm_redis_t *r, ucrm_redis_script_t *s, int nkeys, int argc,
                                  const char *const *argv, const size_t *lens, ucrm_error_t **errp) {
    evalcmd_t cmd;
    if (!evalcmd_build(&cmd, s, nkeys, argc, argv, lens))
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    ucrm_err_t rc = run(r, s, &cmd, true, NULL, errp);
    evalcmd_free(&cmd);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- replies */

void ucrm_redis__reply_free(redisReply *reply) { freeReplyObject(reply); }

static void wipe(redisReply *r) {
    if (!r)
        return;
    if (r->str && r->len)
        OPENSSL_cleanse(r->str, (size_t)r->len);
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        wipe(r->element[i]);
}

void ucrm_redis__reply_free_secret(redisReply *reply) {
    wipe(reply);
    freeReplyObject(reply);
}

static const redisReply *elem(const redisReply *r, int i) {
    if (!r)
        return NULL;
    if (i < 0)
        return r;
    return r->type == REDIS_REPLY_ARRAY && (size_t)i < r->elements ? r->element[i] : NULL;
}

bool ucrm_redis__reply_int(const redisReply *reply, int i, int64_t *out) {
    const redisReply *e = elem(reply, i);
    if (!e)
        return false;
    if (e->type == REDIS_REPLY_INTEGER) {
        *out = e->integer;
        return true;
    }
    return (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) && ucrm__parse_i64(e->str, out);
}

const char *ucrm_redis__reply_str(const redisReply *reply, int i, size_t *len) {
    const redisReply *e = elem(reply, i);
    if (!e || (e->type != REDIS_REPLY_STRING && e->type != REDIS_REPLY_STATUS))
        return NULL;
    if (len)
        *len = (size_t)e->len;
    return e->str;
}

size_t ucrm_redis__reply_len(const redisReply *reply) {
    return reply && reply->type == REDIS_REPLY_ARRAY ? reply->elements : 0;
}

/* ---------------------------------------------------------------------------------------------- stats */

void ucrm_redis__stats_json(ucrm_redis_t *r, ucrm_buf_t *buf) {
    pthread_mutex_lock(&r->lock);
    int64_t now = ucrm__mono_us();
    ucrm_buf__puts(buf, "\"where\":");
    ucrm_buf__json_str(buf, r->where, strlen(r->where));
    ucrm_buf__printf(buf,
                     ",\"state\":\"%s\",\"idle_connections\":%zu,\"connects\":%llu,\"connect_failures\":%llu,"
                     "\"failures\":%llu,\"async_errors\":%llu,\"script_loads\":%llu,\"next_attempt_ms\":%lld",
                     r->down ? "unreachable" : "up", r->nidle, (unsigned long long)r->connects,
                     (unsigned long long)r->connect_failures, (unsigned long long)r->failures,
                     (unsigned long long)__atomic_load_n(&r->async_errors, __ATOMIC_RELAXED),
                     (unsigned long long)__atomic_load_n(&r->noscript_loads, __ATOMIC_RELAXED),
                     (long long)(r->down ? retry_in_us(r, now) / 1000 : 0));
    if (r->down) {
        ucrm_buf__puts(buf, ",\"last_error\":");
        ucrm_buf__json_str(buf, r->last_error, strlen(r->last_error));
    }
    pthread_mutex_unlock(&r->lock);
}
