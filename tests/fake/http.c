/*
 * http.c -- libmicrohttpd glue: body collection, response building, Server-Timing, delayed responses.
 *
 * Why libmicrohttpd: Debian packages it (libmicrohttpd-dev), it is C, it speaks HTTP/1.1 with keep-alive and
 * chunked uploads correctly, offers TLS (GnuTLS) with two options, an epoll-based thread pool, and
 * suspend/resume, which lets --latency-ms and the "timeout" fault delay one response without holding a thread
 * or the store lock: the connection is suspended and the timer thread below resumes it when it is due.
 */
#include "fake.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { PH_NEW = 0, PH_BODY, PH_SUSPENDED, PH_RESUMED };

typedef struct fk_ctx {
    char *raw_uri;
    char *body;
    size_t len, cap;
    int too_large;
    int phase;
    fk_resp_t resp;
    struct MHD_Connection *conn;
    int64_t due_ns;
    struct fk_ctx *next;
} fk_ctx_t;

static struct MHD_Daemon *g_daemon;
static char *g_cert, *g_key;
static pthread_t g_timer;
static int g_timer_started;
static pthread_mutex_t g_tlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_tcond;
static fk_ctx_t *g_pending;
static int g_timer_stop;

/* ------------------------------------------------------------------------------------------------ responses */
void fk_resp_set(fk_resp_t *rs, int status, char *body_owned, const char *ctype)
{
    free(rs->body);
    rs->status = status;
    rs->body = body_owned;
    rs->len = body_owned ? strlen(body_owned) : 0;
    rs->ctype = ctype;
}

void fk_resp_json(fk_resp_t *rs, int status, cJSON *j)
{
    char *s = fk_json_print(j);
    cJSON_Delete(j);
    fk_resp_set(rs, status, s, "application/json;charset=UTF-8");
}

void fk_resp_empty(fk_resp_t *rs, int status)
{
    fk_resp_set(rs, status, NULL, NULL);
}

void fk_resp_header(fk_resp_t *rs, const char *name, const char *fmt, ...)
{
    int i;
    for (i = 0; i < rs->nh; i++)
        if (strcasecmp(rs->hn[i], name) == 0)
            break;
    if (i == rs->nh) {
        if (rs->nh == FK_MAX_HDRS)
            return;
        rs->nh++;
    }
    snprintf(rs->hn[i], sizeof rs->hn[i], "%s", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rs->hv[i], sizeof rs->hv[i], fmt, ap);
    va_end(ap);
}

void fk_resp_clear(fk_resp_t *rs)
{
    free(rs->body);
    memset(rs, 0, sizeof *rs);
}

const char *fk_query(const fk_req_t *rq, const char *key)
{
    for (int i = 0; i < rq->nq; i++)
        if (strcmp(rq->qk[i], key) == 0)
            return rq->qv[i];
    return NULL;
}

const char *fk_header(const fk_req_t *rq, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)rq->conn, MHD_HEADER_KIND, name);
}

static enum MHD_Result fk_queue(struct MHD_Connection *conn, fk_resp_t *rs)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(rs->len, rs->body, MHD_RESPMEM_MUST_FREE);
    if (!r)
        return MHD_NO;
    rs->body = NULL; /* owned by MHD now */
    if (rs->ctype && rs->len)
        MHD_add_response_header(r, "Content-Type", rs->ctype);
    for (int i = 0; i < rs->nh; i++)
        MHD_add_response_header(r, rs->hn[i], rs->hv[i]);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)rs->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* ------------------------------------------------------------------------------------------------ timer */
static void *fk_timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_tlock);
    for (;;) {
        int64_t now = fk_mono_ns();
        while (g_pending && (g_timer_stop || g_pending->due_ns <= now)) {
            fk_ctx_t *c = g_pending;
            g_pending = c->next;
            c->next = NULL;
            c->phase = PH_RESUMED;
            if (g_timer_stop)
                c->resp.action = FK_ACT_HOLD_CLOSE;
            MHD_resume_connection(c->conn);
        }
        if (g_timer_stop)
            break;
        if (!g_pending) {
            pthread_cond_wait(&g_tcond, &g_tlock);
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t wait = g_pending->due_ns - now;
            int64_t ns = ts.tv_nsec + wait % 1000000000LL;
            ts.tv_sec += (time_t)(wait / 1000000000LL + ns / 1000000000LL);
            ts.tv_nsec = (long)(ns % 1000000000LL);
            pthread_cond_timedwait(&g_tcond, &g_tlock, &ts);
        }
    }
    pthread_mutex_unlock(&g_tlock);
    return NULL;
}

static void fk_timer_add(fk_ctx_t *c)
{
    pthread_mutex_lock(&g_tlock);
    fk_ctx_t **pp = &g_pending;
    while (*pp && (*pp)->due_ns <= c->due_ns)
        pp = &(*pp)->next;
    c->next = *pp;
    *pp = c;
    if (g_timer_stop) {
        /* shutting down: resume at once so MHD can close it */
        *pp = c->next;
        c->phase = PH_RESUMED;
        c->resp.action = FK_ACT_HOLD_CLOSE;
        MHD_resume_connection(c->conn);
    }
    pthread_cond_signal(&g_tcond);
    pthread_mutex_unlock(&g_tlock);
}

/* ------------------------------------------------------------------------------------------------ requests */
static void *fk_uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    fk_ctx_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->raw_uri = strdup(uri ? uri : "/");
    c->conn = conn;
    return c;
}

static void fk_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    fk_ctx_t *c = *req_cls;
    if (!c)
        return;
    free(c->raw_uri);
    free(c->body);
    free(c->resp.body);
    free(c);
    *req_cls = NULL;
}

static void fk_req_init(fk_req_t *rq, fk_ctx_t *c, const char *method)
{
    memset(rq, 0, sizeof *rq);
    rq->method = method;
    rq->conn = c->conn;
    const char *u = c->raw_uri ? c->raw_uri : "/";
    const char *q = strchr(u, '?');
    size_t plen = q ? (size_t)(q - u) : strlen(u);
    rq->raw_path = fk_xstrndup(u, plen);
    rq->path = fk_url_decode(u, plen, 0);
    if (q)
        rq->nq = fk_parse_form(q + 1, strlen(q + 1), rq->qk, rq->qv, FK_MAX_QARGS);
    rq->body = c->body ? c->body : "";
    rq->body_len = c->len;
}

static void fk_req_free(fk_req_t *rq)
{
    free(rq->path);
    free(rq->raw_path);
    for (int i = 0; i < rq->nq; i++) {
        free(rq->qk[i]);
        free(rq->qv[i]);
    }
}

static int fk_body_append(fk_ctx_t *c, const char *data, size_t n)
{
    if (c->too_large || c->len + n > FK_MAX_BODY) {
        c->too_large = 1;
        return 0;
    }
    if (c->len + n + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 1024;
        while (cap < c->len + n + 1)
            cap *= 2;
        c->body = fk_xrealloc(c->body, cap);
        c->cap = cap;
    }
    memcpy(c->body + c->len, data, n);
    c->len += n;
    c->body[c->len] = '\0';
    return 0;
}

/* paths that carry a token are logged without it (tokens and secrets are never printed) */
static const char *fk_loggable_path(const char *path)
{
    if (strncmp(path, "/oauth/v1/access-tokens/", 24) == 0)
        return "/oauth/v1/access-tokens/***";
    if (strncmp(path, "/oauth/v1/refresh-tokens/", 25) == 0)
        return "/oauth/v1/refresh-tokens/***";
    return path;
}

static enum MHD_Result fk_too_large(struct MHD_Connection *conn)
{
    fk_resp_t rs = {0};
    fk_resp_set(&rs, 413, fk_xstrdup("{\"status\":\"error\",\"message\":\"Request body too large\"}"),
                "application/json;charset=UTF-8");
    pthread_mutex_lock(&G.lock);
    G.st.total++;
    G.st.other++;
    G.st.status[413]++;
    pthread_mutex_unlock(&G.lock);
    return fk_queue(conn, &rs);
}

static enum MHD_Result fk_handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size,
                                 void **req_cls)
{
    (void)cls;
    (void)version;
    fk_ctx_t *c = *req_cls;
    if (!c) {
        c = fk_uri_log(NULL, url, conn);
        if (!c)
            return MHD_NO;
        *req_cls = c;
    }
    if (c->phase == PH_RESUMED) {
        if (c->resp.action != FK_ACT_RESPOND || fk_stopping())
            return MHD_NO;
        return fk_queue(conn, &c->resp);
    }
    if (c->phase == PH_NEW) {
        c->phase = PH_BODY;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > FK_MAX_BODY) {
            c->too_large = 1;
            return fk_too_large(conn);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        fk_body_append(c, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (c->too_large)
        return fk_too_large(conn);

    fk_req_t rq;
    fk_resp_t rs = {0};
    fk_req_init(&rq, c, method);
    int64_t t0 = fk_mono_ns();
    fk_dispatch(&rq, &rs);
    double dur = (double)(fk_mono_ns() - t0) / 1e6;
    fk_resp_header(&rs, "Server-Timing", "app;dur=%.3f", dur);
    if (G.o.verbose)
        fprintf(stderr, "unicrm-fake: %s %s -> %d%s (%.3f ms)\n", method, fk_loggable_path(rq.path), rs.status,
                rs.action == FK_ACT_RESET ? " reset" : rs.action == FK_ACT_HOLD_CLOSE ? " hold" : "", dur);
    int64_t delay_ms = rs.hold_ms;
    if (G.o.latency_ms > 0 && (rq.provider == FK_P_HUBSPOT || rq.provider == FK_P_SALESFORCE))
        delay_ms += G.o.latency_ms;
    fk_req_free(&rq);
    if (rs.action == FK_ACT_RESET) {
        fk_resp_clear(&rs);
        return MHD_NO;
    }
    if (delay_ms > 0 && !fk_stopping()) {
        c->resp = rs;
        c->phase = PH_SUSPENDED;
        c->due_ns = fk_mono_ns() + delay_ms * 1000000LL;
        MHD_suspend_connection(conn);
        fk_timer_add(c);
        return MHD_YES;
    }
    if (rs.action != FK_ACT_RESPOND) {
        fk_resp_clear(&rs);
        return MHD_NO;
    }
    enum MHD_Result r = fk_queue(conn, &rs);
    free(rs.body);
    return r;
}

/* ------------------------------------------------------------------------------------------------ daemon */
static char *fk_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fk_buf_t b = {0};
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        fk_buf_put(&b, tmp, n);
    fclose(f);
    return fk_buf_take(&b);
}

int fk_http_start(void)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)G.o.port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (G.o.tls_cert || G.o.tls_key) {
        if (!G.o.tls_cert || !G.o.tls_key) {
            fprintf(stderr, "unicrm-fake: --tls-cert and --tls-key go together\n");
            return -1;
        }
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            fprintf(stderr, "unicrm-fake: this libmicrohttpd has no TLS support\n");
            return -1;
        }
        g_cert = fk_read_file(G.o.tls_cert);
        g_key = fk_read_file(G.o.tls_key);
        if (!g_cert || !g_key) {
            fprintf(stderr, "unicrm-fake: cannot read the TLS certificate or key\n");
            return -1;
        }
        flags |= MHD_USE_TLS;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g_tcond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&g_timer, NULL, fk_timer_main, NULL) != 0)
        return -1;
    g_timer_started = 1;

    struct MHD_OptionItem ops[12];
    int n = 0;
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &sa};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)fk_uri_log, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)fk_completed, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, 120, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
    if (G.o.threads > 1)
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, G.o.threads, NULL};
    if (g_cert) {
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, g_cert};
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, g_key};
    }
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    g_daemon = MHD_start_daemon(flags, (uint16_t)G.o.port, NULL, NULL, fk_handle, NULL, MHD_OPTION_ARRAY, ops,
                                MHD_OPTION_END);
    if (!g_daemon) {
        fprintf(stderr, "unicrm-fake: cannot listen on 127.0.0.1:%d\n", G.o.port);
        return -1;
    }
    return 0;
}

int fk_http_port(void)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(g_daemon, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : -1;
}

void fk_http_stop(void)
{
    __atomic_store_n(&G.stopping, 1, __ATOMIC_RELEASE);
    if (g_timer_started) {
        pthread_mutex_lock(&g_tlock);
        g_timer_stop = 1;
        pthread_cond_signal(&g_tcond);
        pthread_mutex_unlock(&g_tlock);
        pthread_join(g_timer, NULL);
        g_timer_started = 0;
    }
    if (g_daemon)
        MHD_stop_daemon(g_daemon);
    g_daemon = NULL;
    pthread_cond_destroy(&g_tcond);
    free(g_cert);
    free(g_key);
    g_cert = g_key = NULL;
}
