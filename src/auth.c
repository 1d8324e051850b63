/*
 * auth.c -- the token layer (pipeline stage 2): keeps the access token, refreshes it through the adapter's token
 * request when it is missing, near its end of life or rejected, one refresh at a time per client; with
 * token.store=redis, one refresh at a time across processes through the shared store (tokenstore_int.h).
 */
#include "auth_int.h"
#include "client_int.h"
#include "error_int.h"
#include "json_int.h"
#include "tokenstore_int.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <time.h>

#define LOCK_TTL_EXTRA_MS 5000   /* the shared refresh lock: http.timeout.ms and this */
#define KEEP_RECHECK_MS 100      /* another process refreshes: look at the store again this much later */
#define PUBLISH_RETRY_MS 1000    /* a token refreshed while the store was unreachable: next try to store it */

struct ucrm_auth {
    pthread_mutex_t lock;
    pthread_cond_t cond;       /* signalled when a refresh ends (monotonic clock) */
    pthread_mutex_t cb_lock;   /* serialises token callbacks, newest token last */
    uint64_t notified_gen;     /* newest generation handed to the token callback (under cb_lock) */
    ucrm_grant_t grant;
    ucrm_token_t tok;          /* current token (access may be NULL before the first refresh) */
    char *refresh_token;       /* the refresh token in use (rotated ones replace it) */
    uint64_t gen;              /* increments with every new access token */
    bool stale;                /* the current token was rejected */
    bool refreshing;           /* a refresh is in flight (single-flight) */
    int64_t cooldown_until_ms; /* after a failed refresh (monotonic) */
    ucrm_error_t *last_error;  /* the failed refresh's error, returned during the cooldown */
    int64_t session_lifetime_ms;
    int64_t refresh_percent;
    int64_t cooldown_ms;
    uint64_t refreshes, failures, waits;
    /* the shared store (token.store=redis); NULL: the token lives in this client only */
    const ucrm_tokenstore_ops_t *store;
    void *store_impl;
    bool store_degrade;        /* redis.failure=degrade: refresh in this process while the store is unreachable */
    bool store_down;           /* the store failed last time (each transition is logged once) */
    uint64_t store_ver;        /* the stored version the current token is (0: not from the store) */
    bool unsynced;             /* refreshed while the store was unreachable: to be stored when it is back */
    int64_t store_retry_ms;    /* monotonic: not before then, look at the store again (publish, or keep) */
    int64_t lock_ttl_ms;
    char *conf_refresh_token;  /* the configured refresh token: a last resort when the stored one is refused */
    uint64_t adopted, local_refreshes, published;
};

void ucrm_token__clear(ucrm_token_t *t) {
    ucrm__free_secret(t->access_token);
    ucrm__free_secret(t->refresh_token);
    ucrm__free(t->instance_url);
    memset(t, 0, sizeof *t);
}

ucrm_err_t ucrm_auth__grant(const ucrm_conf_t *conf, int *grant, ucrm_error_t **errp) {
    const char *m = ucrm_conf__str(conf, UCRM_P_AUTH_METHOD);
    bool has_access = ucrm_conf__is_set(conf, UCRM_P_AUTH_ACCESS_TOKEN);
    bool has_refresh = ucrm_conf__is_set(conf, UCRM_P_AUTH_REFRESH_TOKEN);
    bool has_id = ucrm_conf__is_set(conf, UCRM_P_AUTH_CLIENT_ID);
    bool has_secret = ucrm_conf__is_set(conf, UCRM_P_AUTH_CLIENT_SECRET);
    bool has_jwt = ucrm_conf__is_set(conf, UCRM_P_AUTH_JWT_KEY_FILE);
    if (!m || strcmp(m, "auto") == 0) {
        if (has_jwt)
            m = "jwt_bearer";
        else if (has_refresh)
            m = "refresh_token";
        else if (has_access)
            m = "static";
        else if (has_id && has_secret)
            m = "client_credentials";
        else
            return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                              "no credentials: set auth.access.token, or auth.refresh.token with auth.client.id and "
                              "auth.client.secret, or (Salesforce) auth.jwt.key.file");
    }
    if (strcmp(m, "static") == 0) {
        if (!has_access)
            return ucrm__fail(errp, UCRM_ERR_CONF_INVALID, "auth.method=static needs auth.access.token");
        *grant = UCRM_GRANT_STATIC;
    } else if (strcmp(m, "refresh_token") == 0) {
        if (!has_refresh || !has_id)
            return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                              "the refresh-token flow needs auth.refresh.token and auth.client.id");
        *grant = UCRM_GRANT_REFRESH_TOKEN;
    } else if (strcmp(m, "client_credentials") == 0) {
        if (!has_id || !has_secret)
            return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                              "the client-credentials flow needs auth.client.id and auth.client.secret");
        *grant = UCRM_GRANT_CLIENT_CREDENTIALS;
    } else if (strcmp(m, "jwt_bearer") == 0) {
        if (!has_jwt || !has_id || !ucrm_conf__is_set(conf, UCRM_P_AUTH_JWT_SUBJECT))
            return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                              "the JWT bearer flow needs auth.jwt.key.file, auth.jwt.subject and auth.client.id");
        *grant = UCRM_GRANT_JWT_BEARER;
    } else {
        return ucrm__fail(errp, UCRM_ERR_CONF_INVALID, "unknown auth.method '%s'", m);
    }
    return UCRM_OK;
}

/* The first 8 bytes of SHA-256 over the values of parts, in hex. */
static ucrm_err_t digest_of(const ucrm_conf_t *conf, const ucrm_prop_id_t *parts, size_t n, ucrm_buf_t *out) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char dig[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    if (!md)
        return UCRM_ERR_NOMEM;
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t i = 0; i < n; i++) {
        const char *v = ucrm_conf__str(conf, parts[i]);
        EVP_DigestUpdate(md, v ? v : "", v ? strlen(v) + 1 : 1);
    }
    EVP_DigestFinal_ex(md, dig, &dl);
    EVP_MD_CTX_free(md);
    for (unsigned i = 0; i < 8 && i < dl; i++)
        ucrm_buf__printf(out, "%02x", dig[i]);
    return out->oom ? UCRM_ERR_NOMEM : UCRM_OK;
}

ucrm_err_t ucrm_auth__account_key(const ucrm_conf_t *conf, ucrm_buf_t *out) {
    /* A digest of what identifies the account, never the secrets themselves. */
    static const ucrm_prop_id_t parts[] = {UCRM_P_API_URL, UCRM_P_AUTH_TOKEN_URL, UCRM_P_AUTH_CLIENT_ID,
                                           UCRM_P_AUTH_JWT_SUBJECT, UCRM_P_AUTH_REFRESH_TOKEN,
                                           UCRM_P_AUTH_ACCESS_TOKEN};
    return digest_of(conf, parts, UCRM__ARRAY_LEN(parts), out);
}

/* Who the token is for, without the tokens (a rotated or re-configured refresh token keeps the same entry). */
static ucrm_err_t app_key(const ucrm_conf_t *conf, ucrm_buf_t *out) {
    static const ucrm_prop_id_t parts[] = {UCRM_P_PROVIDER, UCRM_P_API_URL, UCRM_P_AUTH_TOKEN_URL,
                                           UCRM_P_AUTH_CLIENT_ID, UCRM_P_AUTH_JWT_SUBJECT, UCRM_P_AUTH_METHOD};
    return digest_of(conf, parts, UCRM__ARRAY_LEN(parts), out);
}

ucrm_err_t ucrm_tokenstore__open(const ucrm_conf_t *conf, const char *key, const char *app,
                                 const ucrm_tokenstore_ops_t **ops, void **impl, ucrm_error_t **errp) {
    *ops = NULL;
    *impl = NULL;
    if (!ucrm__streq(ucrm_conf__str(conf, UCRM_P_TOKEN_STORE), "redis"))
        return UCRM_OK;
#ifdef UCRM_WITH_REDIS
    ucrm_err_t rc = ucrm_tokenstore__redis_open(impl, conf, key, app, errp);
    if (rc == UCRM_OK)
        *ops = &ucrm_tokenstore__redis;
    return rc;
#else
    (void)key;
    (void)app;
    return ucrm__fail(errp, UCRM_ERR_NOT_BUILT_IN, "token.store=redis: this library was built without Redis support");
#endif
}

ucrm_err_t ucrm_auth__new(ucrm_auth_t **out, const ucrm_conf_t *conf, const char *account_key,
                          ucrm_error_t **errp) {
    int grant;
    ucrm_err_t rc = ucrm_auth__grant(conf, &grant, errp);
    if (rc < 0)
        return rc;
    ucrm_auth_t *a = ucrm__calloc(1, sizeof *a);
    if (!a)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&a->lock, NULL);
    pthread_mutex_init(&a->cb_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->cond, &ca);
    pthread_condattr_destroy(&ca);
    a->grant = (ucrm_grant_t)grant;
    a->session_lifetime_ms = ucrm_conf__int(conf, UCRM_P_AUTH_SESSION_LIFETIME_MS);
    a->refresh_percent = ucrm_conf__int(conf, UCRM_P_AUTH_REFRESH_PERCENT);
    a->cooldown_ms = ucrm_conf__int(conf, UCRM_P_AUTH_REFRESH_COOLDOWN_MS);
    a->lock_ttl_ms = ucrm_conf__int(conf, UCRM_P_HTTP_TIMEOUT_MS) + LOCK_TTL_EXTRA_MS;
    a->store_degrade = ucrm__streq(ucrm_conf__str(conf, UCRM_P_REDIS_FAILURE), "degrade");
    const char *at = ucrm_conf__str(conf, UCRM_P_AUTH_ACCESS_TOKEN);
    const char *rt = ucrm_conf__str(conf, UCRM_P_AUTH_REFRESH_TOKEN);
    if ((at && !(a->tok.access_token = ucrm__strdup(at))) || (rt && !(a->refresh_token = ucrm__strdup(rt))) ||
        (rt && !(a->conf_refresh_token = ucrm__strdup(rt)))) {
        ucrm_auth__destroy(a);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    if (at)
        a->gen = 1;
    if (a->grant != UCRM_GRANT_STATIC) { /* a static token has nothing to share */
        ucrm_buf_t app = UCRM_BUF_INIT;
        rc = app_key(conf, &app);
        rc = rc < 0 ? ucrm__fail(errp, rc, "out of memory")
                    : ucrm_tokenstore__open(conf, account_key, app.ptr, &a->store, &a->store_impl, errp);
        ucrm_buf__free(&app);
        if (rc < 0) {
            ucrm_auth__destroy(a);
            return rc;
        }
    }
    *out = a;
    return UCRM_OK;
}

void ucrm_auth__destroy(ucrm_auth_t *a) {
    if (!a)
        return;
    if (a->store)
        a->store->destroy(a->store_impl);
    ucrm_token__clear(&a->tok);
    ucrm__free_secret(a->refresh_token);
    ucrm__free_secret(a->conf_refresh_token);
    ucrm_error_destroy(a->last_error);
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->cb_lock);
    pthread_mutex_destroy(&a->lock);
    ucrm__free(a);
}

/* ---------------------------------------------------------------------------------------------- token state */

/* When tok stops being valid (epoch ms): the provider's expiry, else the configured session lifetime after it was
 * issued; INT64_MAX when unknown (a configured token: used until rejected). */
static int64_t end_of(const ucrm_auth_t *a, const ucrm_token_t *tok) {
    if (!tok->issued_at_ms)
        return tok->expires_at_ms ? tok->expires_at_ms : INT64_MAX;
    return tok->expires_at_ms ? tok->expires_at_ms : tok->issued_at_ms + a->session_lifetime_ms;
}

/* When tok should be replaced proactively (epoch ms), or INT64_MAX for never. */
static int64_t due_of(const ucrm_auth_t *a, const ucrm_token_t *tok) {
    int64_t end = end_of(a, tok);
    if (a->grant == UCRM_GRANT_STATIC || end == INT64_MAX)
        return INT64_MAX;
    if (!tok->issued_at_ms)
        return end;
    return tok->issued_at_ms + (end - tok->issued_at_ms) * a->refresh_percent / 100;
}

static int64_t token_end(const ucrm_auth_t *a) { return end_of(a, &a->tok); }
static int64_t refresh_due(const ucrm_auth_t *a) { return due_of(a, &a->tok); }

/* The token may be sent: present, not rejected, not past its end. */
static bool valid(const ucrm_auth_t *a, int64_t now) {
    return a->tok.access_token && !a->stale && (a->grant == UCRM_GRANT_STATIC || now < token_end(a));
}

static bool cooling_down(const ucrm_auth_t *a) { return a->cooldown_until_ms && ucrm__mono_ms() < a->cooldown_until_ms; }

static ucrm_err_t copy_out(ucrm_call_t *call, ucrm_auth_t *a, ucrm_buf_t *bearer, ucrm_buf_t *base, uint64_t *gen) {
    const char *api = ucrm_conf__str(call->client->conf, UCRM_P_API_URL);
    if (!api || !*api)
        api = a->tok.instance_url;
    if (!api || !*api)
        return ucrm__fail(call->errp, UCRM_ERR_CONF_INVALID,
                          "no API base URL: set api.url (the token response had no instance_url)");
    size_t need = 8 + strlen(a->tok.access_token);
    if (bearer->cap && bearer->cap <= need) {
        /* growing would hand the previous token's bytes to realloc unwiped: start afresh */
        OPENSSL_cleanse(bearer->ptr, bearer->cap);
        ucrm_buf__free(bearer);
    }
    ucrm_buf__reserve(bearer, need);
    ucrm_buf__puts(bearer, "Bearer ");
    ucrm_buf__puts(bearer, a->tok.access_token);
    ucrm_buf__puts(base, api);
    *gen = a->gen;
    return bearer->oom || base->oom ? ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory") : UCRM_OK;
}

/* The error of the last failed refresh, for calls made during the cooldown. Lock held. */
static ucrm_err_t cooldown_error(ucrm_call_t *call, const ucrm_auth_t *a) {
    if (!a->last_error)
        return ucrm__fail(call->errp, UCRM_ERR_AUTH, "the last token refresh failed; the next one is allowed in "
                                                      "%lld ms (auth.refresh.cooldown.ms)",
                          (long long)(a->cooldown_until_ms - ucrm__mono_ms()));
    return ucrm__give(call->errp, ucrm_error_dup(a->last_error));
}

/* ---------------------------------------------------------------------------------------------- refresh */

#define TOKEN_REQ_ROOM 8192   /* a form body with a JWT assertion is ~1.5 KB */
#define TOKEN_RESP_ROOM 16384 /* token responses are ~1 KB (Salesforce), ~0.7 KB (HubSpot) */

/* Runs the token request (lock NOT held). On success fills *tok. */
static ucrm_err_t do_refresh(ucrm_call_t *call, ucrm_auth_t *a, const char *refresh_token, ucrm_token_t *tok) {
    ucrm_client_t *c = call->client;
    if (!c->provider->token_request || !c->provider->token_parse)
        return ucrm__fail(call->errp, UCRM_ERR_UNSUPPORTED, "provider %s cannot obtain tokens itself: set "
                                                            "auth.access.token or use ucrm_client_set_token()",
                          c->provider->name);
    ucrm_req_t req;
    ucrm_req__init(&req, "POST", UCRM_RETRY_SAFE);
    req.bucket = UCRM_BUCKET_NONE;
    req.flags = UCRM_REQ_NO_AUTH | UCRM_REQ_ABSOLUTE;
    ucrm_token_t cur = {0};
    cur.refresh_token = (char *)refresh_token;
    /* Room up front, so that neither the form body (refresh token, client secret, assertion) nor the response
     * (tokens) is ever moved by a realloc that would free their bytes unwiped. */
    ucrm_buf__reserve(&req.body, TOKEN_REQ_ROOM);
    ucrm_err_t rc = c->provider->token_request(c->pstate, c->conf, a->grant, &cur, &req, call->errp);
    if (rc == UCRM_OK) {
        ucrm_resp_t resp = {0};
        ucrm_buf__reserve(&resp.body, TOKEN_RESP_ROOM);
        ucrm_call_t tcall = *call;
        tcall.op = "token";
        rc = ucrm_call__exec(&tcall, &req, &resp);
        if (rc == UCRM_OK)
            rc = c->provider->token_parse(c->pstate, &resp, tok, call->errp);
        if (rc == UCRM_OK && (!tok->access_token || !*tok->access_token))
            rc = ucrm__fail(call->errp, UCRM_ERR_PROTOCOL, "the token response carried no access token");
        if (resp.body.ptr)
            OPENSSL_cleanse(resp.body.ptr, resp.body.cap);
        ucrm_resp__free(&resp);
    }
    if (req.body.ptr)
        OPENSSL_cleanse(req.body.ptr, req.body.cap);
    ucrm_req__free(&req);
    if (rc < 0)
        ucrm_token__clear(tok);
    return rc;
}

/* A refused grant (RFC 6749 invalid_grant from the token endpoint: revoked or expired refresh token, refused
 * assertion) cannot heal by retrying. The adapters say so in their message (provider_int.h); when one does not,
 * say what the application must do. */
static void explain_refusal(const ucrm_auth_t *a, ucrm_error_t *e) {
    if (!e || e->is_static || e->code != UCRM_ERR_AUTH || !ucrm__streq(e->provider_code, "invalid_grant") ||
        (e->message && (strstr(e->message, "re-authoris") || strstr(e->message, "re-authoriz"))))
        return;
    static const char *const what[] = {
        [UCRM_GRANT_STATIC] = "",
        [UCRM_GRANT_REFRESH_TOKEN] = "the refresh token was refused (revoked, expired or invalid): "
                                     "re-authorisation is needed (run the OAuth consent flow again and hand the "
                                     "new refresh token to ucrm_client_set_token() or a new client)",
        [UCRM_GRANT_CLIENT_CREDENTIALS] = "the client credentials were refused: re-authorisation is needed "
                                          "(check auth.client.id, auth.client.secret and the connected app)",
        [UCRM_GRANT_JWT_BEARER] = "the JWT bearer assertion was refused: re-authorisation is needed (the user "
                                  "must be pre-authorised for the connected app; check auth.jwt.* and the "
                                  "certificate)",
    };
    ucrm_error__set_message(e, "%s: %s", what[a->grant], e->message ? e->message : "");
}

/* Installs a new token (lock held). */
static void install(ucrm_auth_t *a, ucrm_token_t *tok) {
    if (tok->refresh_token) {
        ucrm__free_secret(a->refresh_token);
        a->refresh_token = tok->refresh_token;
        tok->refresh_token = NULL;
    }
    if (!tok->instance_url && a->tok.instance_url) {
        tok->instance_url = a->tok.instance_url;
        a->tok.instance_url = NULL;
    }
    ucrm_token__clear(&a->tok);
    a->tok = *tok;
    memset(tok, 0, sizeof *tok);
    a->gen++;
    a->stale = false;
    ucrm_error_destroy(a->last_error);
    a->last_error = NULL;
    a->cooldown_until_ms = 0;
}

/* What the token callback receives, copied under the lock and used outside it. */
typedef struct cb_args {
    char *at, *rt, *url;
    int64_t exp;
    uint64_t gen;
    bool oom;
} cb_args_t;

static void cb_capture(const ucrm_auth_t *a, cb_args_t *cb) {
    cb->at = ucrm__strdup(a->tok.access_token);
    cb->rt = a->refresh_token ? ucrm__strdup(a->refresh_token) : NULL;
    cb->url = a->tok.instance_url ? ucrm__strdup(a->tok.instance_url) : NULL;
    cb->oom = !cb->at || (a->refresh_token && !cb->rt) || (a->tok.instance_url && !cb->url);
    int64_t end = token_end(a);
    cb->exp = end == INT64_MAX ? 0 : end;
    cb->gen = a->gen;
}

/* Calls the token callback (no lock held), unless a newer token was already handed over, so that the
 * application never persists an older refresh token after a newer one. */
static ucrm_err_t cb_deliver(ucrm_auth_t *a, ucrm_client_t *c, cb_args_t *cb, ucrm_error_t **errp) {
    ucrm_err_t rc = UCRM_OK;
    if (cb->oom) {
        rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory handing the new token to the token callback");
    } else {
        pthread_mutex_lock(&a->cb_lock);
        if (cb->gen > a->notified_gen) {
            a->notified_gen = cb->gen;
            int u = c->conf->token_cb(cb->at, cb->rt, cb->exp, cb->url, c->conf->token_opaque);
            if (u != 0 && u != UCRM_PASSTHROUGH) {
                ucrm_error_t *e = ucrm_error__new(UCRM_ERR_USER, "the token callback returned %d", u);
                if (!e->is_static)
                    e->user_code = u;
                rc = ucrm__give(errp, e);
            }
        }
        pthread_mutex_unlock(&a->cb_lock);
    }
    ucrm__free_secret(cb->at);
    ucrm__free_secret(cb->rt);
    ucrm__free(cb->url);
    return rc;
}

/* Waits (lock held) for the refresh in flight to end, at most until the call's deadline. */
static ucrm_err_t wait_refresh(ucrm_call_t *call, ucrm_auth_t *a) {
    int64_t d = call->deadline_us;
    struct timespec ts = {(time_t)(d / 1000000), (long)(d % 1000000) * 1000};
    __atomic_add_fetch(&a->waits, 1, __ATOMIC_RELAXED);
    while (a->refreshing)
        if (pthread_cond_timedwait(&a->cond, &a->lock, &ts) == ETIMEDOUT && a->refreshing)
            return ucrm__fail(call->errp, UCRM_ERR_TIMEOUT,
                              "%s: the call's time budget ran out waiting for the access token refresh", call->op);
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- shared store */

/* How the new token came. */
typedef enum {
    GOT_REFRESHED, /* this client's token request */
    GOT_ADOPTED,   /* another process's, from the shared store */
    GOT_KEEP       /* nothing new: another process is refreshing and the current token is still valid */
} got_t;

/* What the shared protocol needs to know of the client's state (copied under the lock). */
typedef struct shared_in {
    char *rt;           /* the client's refresh token (a copy) */
    uint64_t base_ver;  /* the stored version the client's token is (0: none) */
    bool usable;        /* the client's token is still valid (a proactive refresh) */
    bool prefer_local;  /* refreshed here while the store was unreachable: the client's refresh token is newest */
} shared_in_t;

/* What it hands back. */
typedef struct shared_out {
    got_t got;
    uint64_t ver;       /* the stored version of the new token (0: not stored) */
    bool unsynced;      /* a token refreshed here that the store does not have yet */
} shared_out_t;

/* The provider refused the grant itself (not a transient failure). */
static bool refused(const ucrm_error_t *e) {
    return e && !e->is_static && e->code == UCRM_ERR_AUTH &&
           (ucrm__streq(e->provider_code, "invalid_grant") || ucrm__streq(e->provider_code, "BAD_REFRESH_TOKEN"));
}

/* The store could not be reached (as opposed to answering something unusable). */
static bool unreachable(const ucrm_error_t *e) { return e && e->code == UCRM_ERR_TRANSPORT; }

static bool fresh(const ucrm_auth_t *a, const ucrm_token_t *t, int64_t now) {
    return t->access_token && now < end_of(a, t) && now < due_of(a, t);
}

static bool usable_tok(const ucrm_auth_t *a, const ucrm_token_t *t, int64_t now) {
    return t->access_token && now < end_of(a, t);
}

/* Logs each change of the store's reachability once (no lock held). down: the failure, NULL when it answered. */
static void store_seen(ucrm_call_t *call, ucrm_auth_t *a, const ucrm_error_t *down) {
    bool is_down = down != NULL;
    if (__atomic_exchange_n(&a->store_down, is_down, __ATOMIC_ACQ_REL) == is_down)
        return;
    if (is_down)
        ucrm_client__log(call->client, UCRM_LOG_WARNING, "oauth", "token store: %s; %s", ucrm_error_message(down),
                         a->store_degrade ? "tokens are refreshed in this process until it is back (redis.failure="
                                            "degrade)"
                                          : "calls that need a new token fail until it is back (redis.failure=closed)");
    else
        ucrm_client__log(call->client, UCRM_LOG_WARNING, "oauth", "token store: %s answers again",
                         a->store->where(a->store_impl));
}

/* Refreshes with the first of the refresh tokens cand[] the provider accepts: one it refuses (invalid_grant) is
 * followed by the next. Grants without a refresh token make one request. *used: the refresh token that worked. */
static ucrm_err_t refresh_with(ucrm_call_t *call, ucrm_auth_t *a, const char *const cand[3], ucrm_token_t *tok,
                               const char **used) {
    const char *tried[3];
    int n = 0;
    ucrm_err_t rc = UCRM_OK;
    *used = NULL;
    for (int i = 0; i < 3; i++) {
        bool dup = !cand[i];
        for (int k = 0; !dup && k < n; k++)
            dup = strcmp(tried[k], cand[i]) == 0;
        if (dup)
            continue;
        if (n > 0) {
            if (!refused(*call->errp))
                return rc;
            ucrm_error_destroy(*call->errp); /* refused: the next one may be the current one */
            *call->errp = NULL;
        }
        tried[n++] = cand[i];
        if ((rc = do_refresh(call, a, cand[i], tok)) == UCRM_OK) {
            *used = cand[i];
            return UCRM_OK;
        }
    }
    return n ? rc : do_refresh(call, a, NULL, tok);
}

/* After a refresh: tok carries the refresh token that is now current (the rotated one, else the one used). */
static ucrm_err_t keep_used_rt(ucrm_call_t *call, ucrm_token_t *tok, const char *used) {
    if (tok->refresh_token || !used)
        return UCRM_OK;
    if (!(tok->refresh_token = ucrm__strdup(used))) {
        ucrm_token__clear(tok);
        return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
    }
    return UCRM_OK;
}

static ucrm_err_t adopt(ucrm_token_t *s, uint64_t sv, ucrm_token_t *tok, shared_out_t *out) {
    *tok = *s;
    memset(s, 0, sizeof *s);
    out->got = GOT_ADOPTED;
    out->ver = sv;
    return UCRM_OK;
}

/* Holding the store's lock (fence): look again, else refresh, store and unlock. s: the token loaded before. */
static ucrm_err_t refresh_holding(ucrm_call_t *call, ucrm_auth_t *a, const shared_in_t *in, uint64_t fence,
                                  ucrm_token_t *s, ucrm_token_t *tok, shared_out_t *out) {
    const ucrm_tokenstore_ops_t *ops = a->store;
    void *st = a->store_impl;
    uint64_t sv = 0;
    ucrm_token__clear(s);
    ucrm_err_t rc = ops->load(st, s, &sv, call->errp); /* a refresh may have landed before we took the lock */
    if (rc == UCRM_OK && sv && sv != in->base_ver && fresh(a, s, ucrm__now_ms())) {
        ops->unlock(st, fence);
        return adopt(s, sv, tok, out);
    }
    if (rc < 0) {
        ops->unlock(st, fence);
        return rc;
    }
    const char *cand[3] = {in->prefer_local ? in->rt : s->refresh_token, in->prefer_local ? s->refresh_token : in->rt,
                           a->conf_refresh_token};
    const char *used = NULL;
    rc = refresh_with(call, a, cand, tok, &used);
    if (rc == UCRM_OK)
        rc = keep_used_rt(call, tok, used);
    if (rc < 0) {
        ops->unlock(st, fence);
        /* a process whose lock outlived ours may have stored a token meanwhile: it is as good as ours */
        ucrm_token__clear(s);
        ucrm_error_t *ignored = NULL;
        if (ops->load(st, s, &sv, &ignored) == UCRM_OK && sv && sv != in->base_ver &&
            usable_tok(a, s, ucrm__now_ms())) {
            ucrm_error_destroy(*call->errp);
            *call->errp = NULL;
            return adopt(s, sv, tok, out);
        }
        ucrm_error_destroy(ignored);
        ucrm_token__clear(s);
        return rc;
    }
    ucrm_token__clear(s); /* the refresh token used, if it was the stored one, is in tok now */
    if (!tok->issued_at_ms)
        tok->issued_at_ms = ucrm__now_ms();
    ucrm_error_t *serr = NULL;
    out->got = GOT_REFRESHED;
    if (ops->store(st, fence, tok, &out->ver, &serr) < 0) {
        /* the token works: used here; stored later unless a newer one was stored meanwhile */
        out->ver = 0;
        out->unsynced = serr && serr->code != UCRM_ERR_STATE;
        ucrm_client__log(call->client, UCRM_LOG_WARNING, "oauth", "the new access token could not be shared: %s",
                         ucrm_error_message(serr));
        ucrm_error_destroy(serr);
    }
    ops->unlock(st, fence);
    return UCRM_OK;
}

/* The shared protocol of tokenstore_int.h (no lock held). Store failures are returned as they are. */
static ucrm_err_t shared_refresh(ucrm_call_t *call, ucrm_auth_t *a, const shared_in_t *in, ucrm_token_t *tok,
                                 shared_out_t *out) {
    const ucrm_tokenstore_ops_t *ops = a->store;
    void *st = a->store_impl;
    for (;;) {
        ucrm_token_t s = {0};
        uint64_t sv = 0, fence = 0;
        ucrm_err_t rc = ops->load(st, &s, &sv, call->errp);
        if (rc < 0)
            return rc;
        store_seen(call, a, NULL);
        int64_t now = ucrm__now_ms();
        if (sv && sv != in->base_ver && fresh(a, &s, now)) /* another process refreshed: take it over */
            return adopt(&s, sv, tok, out);
        if ((rc = ops->lock(st, a->lock_ttl_ms, &fence, call->errp)) == UCRM_OK && fence)
            return refresh_holding(call, a, in, fence, &s, tok, out);
        if (rc == UCRM_OK && sv && sv != in->base_ver && usable_tok(a, &s, now))
            return adopt(&s, sv, tok, out); /* newer than ours, and valid while the other process refreshes */
        ucrm_token__clear(&s);
        if (rc < 0)
            return rc;
        if (in->usable) { /* someone else is refreshing: ours still works meanwhile */
            out->got = GOT_KEEP;
            return UCRM_OK;
        }
        __atomic_add_fetch(&a->waits, 1, __ATOMIC_RELAXED);
        if ((rc = ops->wait(st, sv, call->deadline_us, call->errp)) < 0)
            return rc;
    }
}

/* Obtains a new token for refresh_locked (no lock held): from the adapter, or through the shared store. */
static ucrm_err_t obtain(ucrm_call_t *call, ucrm_auth_t *a, const shared_in_t *in, ucrm_token_t *tok,
                         shared_out_t *out) {
    out->got = GOT_REFRESHED;
    if (!a->store) {
        ucrm_err_t rc = do_refresh(call, a, in->rt, tok);
        if (rc == UCRM_OK && !tok->issued_at_ms)
            tok->issued_at_ms = ucrm__now_ms();
        return rc;
    }
    ucrm_err_t rc = shared_refresh(call, a, in, tok, out);
    if (rc == UCRM_OK || !unreachable(*call->errp))
        return rc;
    store_seen(call, a, *call->errp);
    if (!a->store_degrade) /* closed: the store's error is the call's */
        return rc;
    ucrm_error_destroy(*call->errp);
    *call->errp = NULL;
    const char *cand[3] = {in->rt, a->conf_refresh_token, NULL}, *used = NULL;
    rc = refresh_with(call, a, cand, tok, &used);
    if (rc == UCRM_OK)
        rc = keep_used_rt(call, tok, used);
    if (rc == UCRM_OK) {
        if (!tok->issued_at_ms)
            tok->issued_at_ms = ucrm__now_ms();
        out->got = GOT_REFRESHED;
        out->unsynced = true;
        __atomic_add_fetch(&a->local_refreshes, 1, __ATOMIC_RELAXED);
    }
    return rc;
}

/* Refreshes as the single flight (called with the lock held and a->refreshing set; returns with the lock held
 * and a->refreshing cleared). *got: how the token came. */
static ucrm_err_t refresh_locked(ucrm_call_t *call, ucrm_auth_t *a, ucrm_error_t **err, got_t *got) {
    shared_in_t in = {a->refresh_token ? ucrm__strdup(a->refresh_token) : NULL, a->store_ver,
                      valid(a, ucrm__now_ms()), a->unsynced};
    bool oom = a->refresh_token && !in.rt;
    pthread_mutex_unlock(&a->lock);

    ucrm_token_t tok = {0};
    shared_out_t out = {GOT_REFRESHED, 0, false};
    ucrm_call_t rcall = *call;
    rcall.errp = err;
    ucrm_err_t rc = oom ? ucrm__fail(err, UCRM_ERR_NOMEM, "out of memory") : obtain(&rcall, a, &in, &tok, &out);
    ucrm__free_secret(in.rt);

    pthread_mutex_lock(&a->lock);
    a->refreshing = false;
    *got = out.got;
    if (rc == UCRM_OK && out.got == GOT_KEEP) {
        a->store_retry_ms = ucrm__mono_ms() + KEEP_RECHECK_MS;
    } else if (rc == UCRM_OK) {
        install(a, &tok);
        if (out.got == GOT_ADOPTED)
            a->adopted++;
        else
            a->refreshes++;
        if (out.ver)
            a->store_ver = out.ver;
        a->unsynced = out.unsynced;
        if (out.unsynced)
            a->store_retry_ms = ucrm__mono_ms() + PUBLISH_RETRY_MS;
    } else {
        a->failures++;
        explain_refusal(a, *err);
        ucrm_error_destroy(a->last_error);
        a->last_error = *err ? ucrm_error_dup(*err) : NULL;
        a->cooldown_until_ms = ucrm__mono_ms() + a->cooldown_ms;
        if (!a->cooldown_until_ms)
            a->cooldown_until_ms = 1;
    }
    pthread_cond_broadcast(&a->cond);
    return rc;
}

/* A copy of the client's token with its refresh token, for the store (lock held). */
static bool snapshot(const ucrm_auth_t *a, ucrm_token_t *t) {
    memset(t, 0, sizeof *t);
    t->access_token = ucrm__strdup(a->tok.access_token);
    t->refresh_token = a->refresh_token ? ucrm__strdup(a->refresh_token) : NULL;
    t->instance_url = a->tok.instance_url ? ucrm__strdup(a->tok.instance_url) : NULL;
    t->issued_at_ms = a->tok.issued_at_ms;
    t->expires_at_ms = a->tok.expires_at_ms;
    if (!t->access_token || (a->refresh_token && !t->refresh_token) || (a->tok.instance_url && !t->instance_url)) {
        ucrm_token__clear(t);
        return false;
    }
    return true;
}

/* Stores the token this client refreshed while the store was unreachable, unless another one was stored since
 * (taken over instead). Called with the lock held and a->refreshing set; returns likewise, a->refreshing clear. */
static void publish_locked(ucrm_call_t *call, ucrm_auth_t *a) {
    ucrm_token_t mine, s = {0};
    uint64_t base = a->store_ver, gen = a->gen, sv = 0, fence = 0, ver = 0;
    bool have = snapshot(a, &mine);
    pthread_mutex_unlock(&a->lock);
    const ucrm_tokenstore_ops_t *ops = a->store;
    void *st = a->store_impl;
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = have ? ops->load(st, &s, &sv, &e) : UCRM_ERR_NOMEM;
    bool theirs = rc == UCRM_OK && sv && sv != base && usable_tok(a, &s, ucrm__now_ms());
    if (rc == UCRM_OK && !theirs && (rc = ops->lock(st, a->lock_ttl_ms, &fence, &e)) == UCRM_OK && fence) {
        rc = ops->store(st, fence, &mine, &ver, &e);
        ops->unlock(st, fence);
    }
    store_seen(call, a, unreachable(e) ? e : NULL);
    pthread_mutex_lock(&a->lock);
    a->refreshing = false;
    if (a->gen == gen && theirs) {
        install(a, &s);
        a->store_ver = sv;
        a->adopted++;
        a->unsynced = false;
    } else if (a->gen == gen && ((rc == UCRM_OK && ver) || (e && e->code == UCRM_ERR_STATE))) {
        a->store_ver = ver ? ver : a->store_ver;
        a->published += ver != 0;
        a->unsynced = false;
    } else {
        a->store_retry_ms = ucrm__mono_ms() + PUBLISH_RETRY_MS;
    }
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->lock);
    ucrm_error_destroy(e);
    ucrm_token__clear(&s);
    if (have)
        ucrm_token__clear(&mine);
    pthread_mutex_lock(&a->lock);
}

/* ---------------------------------------------------------------------------------------------- ensure */

/* What ensure() should do next, decided under the lock. */
typedef enum { USE_TOKEN, DO_REFRESH, WAIT_REFRESH, FAIL_COOLDOWN, FAIL_STATIC, PUBLISH } step_t;

static step_t next_step(const ucrm_auth_t *a) {
    int64_t now = ucrm__now_ms();
    bool ok = valid(a, now);
    if (ok && now < refresh_due(a))
        return a->unsynced && !a->refreshing && ucrm__mono_ms() >= a->store_retry_ms ? PUBLISH : USE_TOKEN;
    if (a->grant == UCRM_GRANT_STATIC)
        return ok ? USE_TOKEN : FAIL_STATIC;
    if (a->refreshing) /* someone else refreshes: keep using a still-valid token meanwhile */
        return ok ? USE_TOKEN : WAIT_REFRESH;
    if (cooling_down(a)) /* a failed proactive refresh does not fail calls while the token is still valid */
        return ok ? USE_TOKEN : FAIL_COOLDOWN;
    if (ok && a->store && ucrm__mono_ms() < a->store_retry_ms) /* another process is refreshing */
        return USE_TOKEN;
    return DO_REFRESH;
}

/* After the refresh (no lock held): stats, log, the failed refresh's error (err, NULL on success) handed to the
 * call when rc says it failed, the token callback (cb, NULL when none). */
static ucrm_err_t after_refresh(ucrm_call_t *call, ucrm_auth_t *a, ucrm_err_t rc, ucrm_error_t *err, got_t got,
                                cb_args_t *cb) {
    ucrm_client_t *c = call->client;
    if (!err && got == GOT_KEEP)
        return rc;
    if (!err && got == GOT_ADOPTED) {
        ucrm_client__log(c, UCRM_LOG_INFO, "oauth", "access token taken over from the shared token store");
        return rc;
    }
    ucrm_stats__event(c->stats, err ? UCRM_STAT_REFRESH_FAILED : UCRM_STAT_REFRESH);
    if (!err) {
        ucrm_client__log(c, UCRM_LOG_INFO, "oauth", "access token refreshed");
    } else {
        ucrm_client__log(c, UCRM_LOG_WARNING, "oauth", "token refresh failed%s: %s",
                         rc == UCRM_OK ? " (the current token is still valid and stays in use)" : "",
                         ucrm_error_message(err));
        if (rc < 0)
            return ucrm__give(call->errp, err);
        ucrm_error_destroy(err);
    }
    if (cb) {
        ucrm_err_t urc = cb_deliver(a, c, cb, call->errp);
        if (urc < 0 && rc == UCRM_OK)
            rc = urc;
    }
    return rc;
}

ucrm_err_t ucrm_auth__ensure(ucrm_call_t *call, ucrm_buf_t *bearer, ucrm_buf_t *base, uint64_t *gen) {
    ucrm_auth_t *a = call->client->auth;
    ucrm_client_t *c = call->client;
    ucrm_err_t rc = UCRM_OK;
    pthread_mutex_lock(&a->lock);
    for (;;) {
        step_t st = next_step(a);
        if (st == USE_TOKEN) {
            rc = copy_out(call, a, bearer, base, gen);
            pthread_mutex_unlock(&a->lock);
            return rc;
        }
        if (st == FAIL_STATIC) {
            pthread_mutex_unlock(&a->lock);
            return ucrm__fail(call->errp, UCRM_ERR_AUTH,
                              "the access token was rejected and cannot be refreshed (static token): a new token is "
                              "needed (ucrm_client_set_token)");
        }
        if (st == FAIL_COOLDOWN) {
            rc = cooldown_error(call, a);
            pthread_mutex_unlock(&a->lock);
            return rc;
        }
        if (st == DO_REFRESH)
            break;
        if (st == PUBLISH) {
            a->refreshing = true;
            publish_locked(call, a);
            continue;
        }
        if ((rc = wait_refresh(call, a)) < 0) {
            pthread_mutex_unlock(&a->lock);
            return rc;
        }
    }
    /* This thread makes the one token request; the others wait for it or keep using the valid token. */
    a->refreshing = true;
    ucrm_error_t *err = NULL;
    got_t got = GOT_REFRESHED;
    rc = refresh_locked(call, a, &err, &got);
    cb_args_t cb = {0};
    bool notify = rc == UCRM_OK && got == GOT_REFRESHED && c->conf->token_cb; /* fires where the refresh happened */
    if (notify)
        cb_capture(a, &cb);
    if (rc == UCRM_OK || valid(a, ucrm__now_ms()))
        rc = copy_out(call, a, bearer, base, gen); /* a failed proactive refresh: the old token still works */
    pthread_mutex_unlock(&a->lock);
    return after_refresh(call, a, rc, err, got, notify ? &cb : NULL);
}

ucrm_err_t ucrm_auth__rejected(ucrm_call_t *call, uint64_t gen) {
    ucrm_auth_t *a = call->client->auth;
    pthread_mutex_lock(&a->lock);
    ucrm_err_t rc = UCRM_OK;
    if (a->gen == gen) {
        if (a->grant == UCRM_GRANT_STATIC)
            rc = UCRM_ERR_AUTH;
        else
            a->stale = true;
    }
    pthread_mutex_unlock(&a->lock);
    return rc;
}

/* Shares a token the application set (no lock held): stored unconditionally, fencing out refreshes in flight. */
static void share_set_token(ucrm_auth_t *a, ucrm_client_t *c, uint64_t gen) {
    ucrm_token_t t;
    pthread_mutex_lock(&a->lock);
    bool have = a->gen == gen && snapshot(a, &t);
    pthread_mutex_unlock(&a->lock);
    if (!have)
        return;
    uint64_t ver = 0;
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = a->store->store(a->store_impl, 0, &t, &ver, &e);
    ucrm_token__clear(&t);
    pthread_mutex_lock(&a->lock);
    if (a->gen == gen) {
        a->store_ver = rc == UCRM_OK ? ver : a->store_ver;
        a->unsynced = rc < 0;
        a->store_retry_ms = ucrm__mono_ms() + (rc < 0 ? PUBLISH_RETRY_MS : 0);
    }
    pthread_mutex_unlock(&a->lock);
    if (rc < 0)
        ucrm_client__log(c, UCRM_LOG_WARNING, "oauth", "the token set by the application is used by this client but "
                                                         "could not be shared yet: %s", ucrm_error_message(e));
    ucrm_error_destroy(e);
}

ucrm_err_t ucrm_auth__set_token(ucrm_auth_t *a, ucrm_client_t *c, const char *access_token,
                                const char *refresh_token, int64_t expires_at_ms, const char *instance_url,
                                ucrm_error_t **errp) {
    ucrm_token_t t = {0};
    t.access_token = ucrm__strdup(access_token);
    t.refresh_token = refresh_token ? ucrm__strdup(refresh_token) : NULL;
    t.instance_url = instance_url ? ucrm__strdup(instance_url) : NULL;
    if (!t.access_token || (refresh_token && !t.refresh_token) || (instance_url && !t.instance_url)) {
        ucrm_token__clear(&t);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    t.issued_at_ms = ucrm__now_ms();
    t.expires_at_ms = expires_at_ms;
    cb_args_t cb = {0};
    pthread_mutex_lock(&a->lock);
    install(a, &t);
    uint64_t gen = a->gen;
    bool notify = c->conf->token_cb != NULL;
    if (notify)
        cb_capture(a, &cb);
    pthread_mutex_unlock(&a->lock);
    if (a->store)
        share_set_token(a, c, gen);
    return notify ? cb_deliver(a, c, &cb, errp) : UCRM_OK;
}

void ucrm_auth__stats_json(ucrm_auth_t *a, ucrm_buf_t *buf) {
    pthread_mutex_lock(&a->lock);
    static const char *const grants[] = {"static", "refresh_token", "client_credentials", "jwt_bearer"};
    int64_t now = ucrm__now_ms(), end = token_end(a);
    ucrm_buf__printf(buf,
                     "\"grant\":\"%s\",\"refreshes\":%llu,\"refresh_failures\":%llu,\"refresh_waits\":%llu,"
                     "\"has_token\":%s,\"token_valid_for_ms\":%lld,\"cooling_down\":%s,\"store\":\"%s\"",
                     grants[a->grant], (unsigned long long)a->refreshes, (unsigned long long)a->failures,
                     (unsigned long long)__atomic_load_n(&a->waits, __ATOMIC_RELAXED),
                     a->tok.access_token ? "true" : "false",
                     (long long)(!valid(a, now) ? 0 : end == INT64_MAX ? -1 : end - now),
                     cooling_down(a) ? "true" : "false", a->store ? a->store->name : "memory");
    if (a->store)
        ucrm_buf__printf(buf,
                         ",\"shared\":{\"adopted\":%llu,\"refreshed_unshared\":%llu,\"published\":%llu,"
                         "\"unsynced\":%s,\"reachable\":%s}",
                         (unsigned long long)a->adopted,
                         (unsigned long long)__atomic_load_n(&a->local_refreshes, __ATOMIC_RELAXED),
                         (unsigned long long)a->published, a->unsynced ? "true" : "false",
                         __atomic_load_n(&a->store_down, __ATOMIC_ACQUIRE) ? "false" : "true");
    pthread_mutex_unlock(&a->lock);
}
