/*
 * auth.c -- the token layer (pipeline stage 2): keeps the access token, refreshes it through the adapter's token
 * request when it is missing, near its end of life or rejected, one refresh at a time per client.
 */
#include "auth_int.h"
#include "client_int.h"
#include "error_int.h"
#include "json_int.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <time.h>

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

ucrm_err_t ucrm_auth__account_key(const ucrm_conf_t *conf, ucrm_buf_t *out) {
    /* A digest of what identifies the account, never the secrets themselves. */
    static const ucrm_prop_id_t parts[] = {UCRM_P_API_URL, UCRM_P_AUTH_TOKEN_URL, UCRM_P_AUTH_CLIENT_ID,
                                           UCRM_P_AUTH_JWT_SUBJECT, UCRM_P_AUTH_REFRESH_TOKEN,
                                           UCRM_P_AUTH_ACCESS_TOKEN};
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char dig[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    if (!md)
        return UCRM_ERR_NOMEM;
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t i = 0; i < UCRM__ARRAY_LEN(parts); i++) {
        const char *v = ucrm_conf__str(conf, parts[i]);
        EVP_DigestUpdate(md, v ? v : "", v ? strlen(v) + 1 : 1);
    }
    EVP_DigestFinal_ex(md, dig, &dl);
    EVP_MD_CTX_free(md);
    for (unsigned i = 0; i < 8 && i < dl; i++)
        ucrm_buf__printf(out, "%02x", dig[i]);
    return out->oom ? UCRM_ERR_NOMEM : UCRM_OK;
}

ucrm_err_t ucrm_auth__new(ucrm_auth_t **out, const ucrm_conf_t *conf, ucrm_error_t **errp) {
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
    const char *at = ucrm_conf__str(conf, UCRM_P_AUTH_ACCESS_TOKEN);
    const char *rt = ucrm_conf__str(conf, UCRM_P_AUTH_REFRESH_TOKEN);
    if ((at && !(a->tok.access_token = ucrm__strdup(at))) || (rt && !(a->refresh_token = ucrm__strdup(rt)))) {
        ucrm_auth__destroy(a);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    if (at)
        a->gen = 1;
    *out = a;
    return UCRM_OK;
}

void ucrm_auth__destroy(ucrm_auth_t *a) {
    if (!a)
        return;
    ucrm_token__clear(&a->tok);
    ucrm__free_secret(a->refresh_token);
    ucrm_error_destroy(a->last_error);
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->cb_lock);
    pthread_mutex_destroy(&a->lock);
    ucrm__free(a);
}

/* ---------------------------------------------------------------------------------------------- token state */

/* When the current token stops being valid (epoch ms): the provider's expiry, else the configured session
 * lifetime after it was issued; INT64_MAX when unknown (a configured token: used until rejected). */
static int64_t token_end(const ucrm_auth_t *a) {
    if (!a->tok.issued_at_ms)
        return a->tok.expires_at_ms ? a->tok.expires_at_ms : INT64_MAX;
    return a->tok.expires_at_ms ? a->tok.expires_at_ms : a->tok.issued_at_ms + a->session_lifetime_ms;
}

/* When the current token should be replaced proactively (epoch ms), or INT64_MAX for never. */
static int64_t refresh_due(const ucrm_auth_t *a) {
    int64_t end = token_end(a);
    if (a->grant == UCRM_GRANT_STATIC || end == INT64_MAX)
        return INT64_MAX;
    if (!a->tok.issued_at_ms)
        return end;
    return a->tok.issued_at_ms + (end - a->tok.issued_at_ms) * a->refresh_percent / 100;
}

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
    a->waits++;
    while (a->refreshing)
        if (pthread_cond_timedwait(&a->cond, &a->lock, &ts) == ETIMEDOUT && a->refreshing)
            return ucrm__fail(call->errp, UCRM_ERR_TIMEOUT,
                              "%s: the call's time budget ran out waiting for the access token refresh", call->op);
    return UCRM_OK;
}

/* Refreshes as the single flight (called with the lock held and a->refreshing set; returns with the lock held
 * and a->refreshing cleared). */
static ucrm_err_t refresh_locked(ucrm_call_t *call, ucrm_auth_t *a, ucrm_error_t **err) {
    char *rt = a->refresh_token ? ucrm__strdup(a->refresh_token) : NULL;
    pthread_mutex_unlock(&a->lock);

    ucrm_token_t tok = {0};
    ucrm_call_t rcall = *call;
    rcall.errp = err;
    ucrm_err_t rc = (a->refresh_token && !rt) ? ucrm__fail(err, UCRM_ERR_NOMEM, "out of memory")
                                              : do_refresh(&rcall, a, rt, &tok);
    ucrm__free_secret(rt);
    if (rc == UCRM_OK && !tok.issued_at_ms)
        tok.issued_at_ms = ucrm__now_ms();

    pthread_mutex_lock(&a->lock);
    a->refreshing = false;
    if (rc == UCRM_OK) {
        install(a, &tok);
        a->refreshes++;
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

/* What ensure() should do next, decided under the lock. */
typedef enum { USE_TOKEN, DO_REFRESH, WAIT_REFRESH, FAIL_COOLDOWN, FAIL_STATIC } step_t;

static step_t next_step(const ucrm_auth_t *a) {
    int64_t now = ucrm__now_ms();
    bool ok = valid(a, now);
    if (ok && now < refresh_due(a))
        return USE_TOKEN;
    if (a->grant == UCRM_GRANT_STATIC)
        return ok ? USE_TOKEN : FAIL_STATIC;
    if (a->refreshing) /* someone else refreshes: keep using a still-valid token meanwhile */
        return ok ? USE_TOKEN : WAIT_REFRESH;
    if (cooling_down(a)) /* a failed proactive refresh does not fail calls while the token is still valid */
        return ok ? USE_TOKEN : FAIL_COOLDOWN;
    return DO_REFRESH;
}

/* After the refresh (no lock held): stats, log, the failed refresh's error (err, NULL on success) handed to the
 * call when rc says it failed, the token callback (cb, NULL when none). */
static ucrm_err_t after_refresh(ucrm_call_t *call, ucrm_auth_t *a, ucrm_err_t rc, ucrm_error_t *err, cb_args_t *cb) {
    ucrm_client_t *c = call->client;
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
        if ((rc = wait_refresh(call, a)) < 0) {
            pthread_mutex_unlock(&a->lock);
            return rc;
        }
    }
    /* This thread makes the one token request; the others wait for it or keep using the valid token. */
    a->refreshing = true;
    ucrm_error_t *err = NULL;
    rc = refresh_locked(call, a, &err);
    cb_args_t cb = {0};
    bool notify = rc == UCRM_OK && c->conf->token_cb;
    if (notify)
        cb_capture(a, &cb);
    if (rc == UCRM_OK || valid(a, ucrm__now_ms()))
        rc = copy_out(call, a, bearer, base, gen); /* a failed proactive refresh: the old token still works */
    pthread_mutex_unlock(&a->lock);
    return after_refresh(call, a, rc, err, notify ? &cb : NULL);
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
    bool notify = c->conf->token_cb != NULL;
    if (notify)
        cb_capture(a, &cb);
    pthread_mutex_unlock(&a->lock);
    return notify ? cb_deliver(a, c, &cb, errp) : UCRM_OK;
}

void ucrm_auth__stats_json(ucrm_auth_t *a, ucrm_buf_t *buf) {
    pthread_mutex_lock(&a->lock);
    static const char *const grants[] = {"static", "refresh_token", "client_credentials", "jwt_bearer"};
    int64_t now = ucrm__now_ms(), end = token_end(a);
    ucrm_buf__printf(buf,
                     "\"grant\":\"%s\",\"refreshes\":%llu,\"refresh_failures\":%llu,\"refresh_waits\":%llu,"
                     "\"has_token\":%s,\"token_valid_for_ms\":%lld,\"cooling_down\":%s",
                     grants[a->grant], (unsigned long long)a->refreshes, (unsigned long long)a->failures,
                     (unsigned long long)a->waits, a->tok.access_token ? "true" : "false",
                     (long long)(!valid(a, now) ? 0 : end == INT64_MAX ? -1 : end - now),
                     cooling_down(a) ? "true" : "false");
    pthread_mutex_unlock(&a->lock);
}
