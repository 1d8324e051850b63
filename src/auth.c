/*
 * auth.c -- the token layer (pipeline stage 2): keeps the access token, refreshes it through the adapter's token
 * request when it is missing, near its end of life or rejected, one refresh at a time per client.
 */
#include "auth_int.h"
#include "client_int.h"
#include "error_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>

struct ucrm_auth {
    pthread_mutex_t lock;
    pthread_cond_t cond;
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
    uint64_t refreshes, failures;
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
    pthread_cond_init(&a->cond, NULL);
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
    pthread_mutex_destroy(&a->lock);
    ucrm__free(a);
}

/* When the current token should be replaced proactively (epoch ms), or INT64_MAX for never. */
static int64_t refresh_due(const ucrm_auth_t *a) {
    if (a->grant == UCRM_GRANT_STATIC || !a->tok.issued_at_ms)
        return INT64_MAX;
    int64_t end = a->tok.expires_at_ms ? a->tok.expires_at_ms : a->tok.issued_at_ms + a->session_lifetime_ms;
    return a->tok.issued_at_ms + (end - a->tok.issued_at_ms) * a->refresh_percent / 100;
}

static bool usable(const ucrm_auth_t *a) {
    return a->tok.access_token && !a->stale && ucrm__now_ms() < refresh_due(a);
}

static ucrm_err_t copy_out(ucrm_call_t *call, ucrm_auth_t *a, ucrm_buf_t *bearer, ucrm_buf_t *base, uint64_t *gen) {
    const char *api = ucrm_conf__str(call->client->conf, UCRM_P_API_URL);
    if (!api || !*api)
        api = a->tok.instance_url;
    if (!api || !*api)
        return ucrm__fail(call->errp, UCRM_ERR_CONF_INVALID,
                          "no API base URL: set api.url (the token response had no instance_url)");
    ucrm_buf__puts(bearer, "Bearer ");
    ucrm_buf__puts(bearer, a->tok.access_token);
    ucrm_buf__puts(base, api);
    *gen = a->gen;
    return bearer->oom || base->oom ? ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory") : UCRM_OK;
}

/* Runs the token request (lock NOT held). On success fills *tok. */
static ucrm_err_t do_refresh(ucrm_call_t *call, ucrm_auth_t *a, const char *refresh_token, ucrm_token_t *tok) {
    ucrm_client_t *c = call->client;
    ucrm_req_t req;
    ucrm_req__init(&req, "POST", UCRM_RETRY_SAFE);
    req.bucket = UCRM_BUCKET_NONE;
    req.flags = UCRM_REQ_NO_AUTH | UCRM_REQ_ABSOLUTE;
    ucrm_token_t cur = {0};
    cur.refresh_token = (char *)refresh_token;
    ucrm_err_t rc = c->provider->token_request(c->pstate, c->conf, a->grant, &cur, &req, call->errp);
    if (rc == UCRM_OK) {
        ucrm_resp_t resp = {0};
        ucrm_call_t tcall = *call;
        tcall.op = "token";
        rc = ucrm_call__exec(&tcall, &req, &resp);
        if (rc == UCRM_OK)
            rc = c->provider->token_parse(c->pstate, &resp, tok, call->errp);
        if (resp.body.ptr)
            OPENSSL_cleanse(resp.body.ptr, resp.body.cap);
        ucrm_resp__free(&resp);
    }
    if (req.body.ptr)
        OPENSSL_cleanse(req.body.ptr, req.body.cap);
    ucrm_req__free(&req);
    return rc;
}

ucrm_err_t ucrm_auth__ensure(ucrm_call_t *call, ucrm_buf_t *bearer, ucrm_buf_t *base, uint64_t *gen) {
    ucrm_auth_t *a = call->client->auth;
    ucrm_client_t *c = call->client;
    pthread_mutex_lock(&a->lock);
    for (;;) {
        if (usable(a) || (a->grant == UCRM_GRANT_STATIC && a->tok.access_token && !a->stale)) {
            ucrm_err_t rc = copy_out(call, a, bearer, base, gen);
            pthread_mutex_unlock(&a->lock);
            return rc;
        }
        if (a->grant == UCRM_GRANT_STATIC) {
            pthread_mutex_unlock(&a->lock);
            return ucrm__fail(call->errp, UCRM_ERR_AUTH,
                              "the access token was rejected and cannot be refreshed (static token): a new token is "
                              "needed (ucrm_client_set_token)");
        }
        if (!a->refreshing)
            break;
        /* Someone else is refreshing: wait for their result (single-flight). */
        pthread_cond_wait(&a->cond, &a->lock);
        if (!a->refreshing && !usable(a) && a->last_error && ucrm__mono_ms() < a->cooldown_until_ms) {
            ucrm_error_t *e = ucrm_error_dup(a->last_error);
            pthread_mutex_unlock(&a->lock);
            return ucrm__give(call->errp, e);
        }
    }
    if (a->last_error && ucrm__mono_ms() < a->cooldown_until_ms) {
        ucrm_error_t *e = ucrm_error_dup(a->last_error);
        pthread_mutex_unlock(&a->lock);
        return ucrm__give(call->errp, e);
    }
    a->refreshing = true;
    char *rt = a->refresh_token ? ucrm__strdup(a->refresh_token) : NULL;
    pthread_mutex_unlock(&a->lock);

    ucrm_token_t tok = {0};
    ucrm_error_t *err = NULL;
    ucrm_call_t rcall = *call;
    rcall.errp = &err;
    ucrm_err_t rc = (a->refresh_token && !rt) ? ucrm__fail(&err, UCRM_ERR_NOMEM, "out of memory")
                                              : do_refresh(&rcall, a, rt, &tok);
    ucrm__free_secret(rt);
    if (rc == UCRM_OK && !tok.issued_at_ms)
        tok.issued_at_ms = ucrm__now_ms();

    pthread_mutex_lock(&a->lock);
    a->refreshing = false;
    if (rc == UCRM_OK) {
        if (tok.refresh_token) {
            ucrm__free_secret(a->refresh_token);
            a->refresh_token = tok.refresh_token;
            tok.refresh_token = NULL;
        }
        if (!tok.instance_url && a->tok.instance_url) {
            tok.instance_url = a->tok.instance_url;
            a->tok.instance_url = NULL;
        }
        ucrm_token__clear(&a->tok);
        a->tok = tok;
        a->gen++;
        a->stale = false;
        a->refreshes++;
        ucrm_error_destroy(a->last_error);
        a->last_error = NULL;
        a->cooldown_until_ms = 0;
        rc = copy_out(call, a, bearer, base, gen);
    } else {
        a->failures++;
        ucrm_error_destroy(a->last_error);
        a->last_error = err ? ucrm_error_dup(err) : NULL;
        a->cooldown_until_ms = ucrm__mono_ms() + a->cooldown_ms;
    }
    pthread_cond_broadcast(&a->cond);
    /* Copies for the callback, made under the lock, used outside it. */
    char *cb_at = NULL, *cb_rt = NULL, *cb_url = NULL;
    int64_t cb_exp = 0;
    bool notify = rc == UCRM_OK && c->conf->token_cb;
    if (notify) {
        cb_at = ucrm__strdup(a->tok.access_token);
        cb_rt = ucrm__strdup(a->refresh_token);
        cb_url = ucrm__strdup(a->tok.instance_url);
        cb_exp = a->tok.expires_at_ms ? a->tok.expires_at_ms : a->tok.issued_at_ms + a->session_lifetime_ms;
    }
    pthread_mutex_unlock(&a->lock);

    ucrm_stats__event(c->stats, rc == UCRM_OK ? UCRM_STAT_REFRESH : UCRM_STAT_REFRESH_FAILED);
    if (rc == UCRM_OK) {
        ucrm_client__log(c, UCRM_LOG_INFO, "oauth", "access token refreshed");
        ucrm_error_destroy(err);
    } else {
        ucrm_client__log(c, UCRM_LOG_WARNING, "oauth", "token refresh failed: %s", ucrm_error_message(err));
        ucrm__give(call->errp, err);
    }
    if (notify) {
        int u = cb_at ? c->conf->token_cb(cb_at, cb_rt, cb_exp, cb_url, c->conf->token_opaque) : 0;
        if (u != 0 && u != UCRM_PASSTHROUGH) {
            ucrm_error_t *e = ucrm_error__new(UCRM_ERR_USER, "the token callback returned %d", u);
            if (!e->is_static)
                e->user_code = u;
            rc = ucrm__give(call->errp, e);
        }
    }
    ucrm__free_secret(cb_at);
    ucrm__free_secret(cb_rt);
    ucrm__free(cb_url);
    return rc;
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
    char *rt = refresh_token ? ucrm__strdup(refresh_token) : NULL;
    t.instance_url = instance_url ? ucrm__strdup(instance_url) : NULL;
    if (!t.access_token || (refresh_token && !rt) || (instance_url && !t.instance_url)) {
        ucrm_token__clear(&t);
        ucrm__free_secret(rt);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    t.issued_at_ms = ucrm__now_ms();
    t.expires_at_ms = expires_at_ms;
    pthread_mutex_lock(&a->lock);
    if (!t.instance_url && a->tok.instance_url) {
        t.instance_url = a->tok.instance_url;
        a->tok.instance_url = NULL;
    }
    ucrm_token__clear(&a->tok);
    a->tok = t;
    if (rt) {
        ucrm__free_secret(a->refresh_token);
        a->refresh_token = rt;
    }
    a->gen++;
    a->stale = false;
    ucrm_error_destroy(a->last_error);
    a->last_error = NULL;
    a->cooldown_until_ms = 0;
    pthread_mutex_unlock(&a->lock);
    if (c->conf->token_cb) {
        int u = c->conf->token_cb(access_token, refresh_token ? refresh_token : NULL,
                                  expires_at_ms, instance_url, c->conf->token_opaque);
        if (u != 0 && u != UCRM_PASSTHROUGH) {
            ucrm_error_t *e = ucrm_error__new(UCRM_ERR_USER, "the token callback returned %d", u);
            if (!e->is_static)
                e->user_code = u;
            return ucrm__give(errp, e);
        }
    }
    return UCRM_OK;
}

void ucrm_auth__stats_json(ucrm_auth_t *a, ucrm_buf_t *buf) {
    pthread_mutex_lock(&a->lock);
    static const char *const grants[] = {"static", "refresh_token", "client_credentials", "jwt_bearer"};
    ucrm_buf__printf(buf, "\"grant\":\"%s\",\"refreshes\":%llu,\"refresh_failures\":%llu,\"has_token\":%s",
                     grants[a->grant], (unsigned long long)a->refreshes, (unsigned long long)a->failures,
                     a->tok.access_token ? "true" : "false");
    pthread_mutex_unlock(&a->lock);
}
