/*
 * client.c -- client lifecycle: validates the configuration against the chosen provider, keeps a private copy,
 * and wires the transport, the shared rate limiter, the token layer, the adapter and the stats together.
 */
#include "client_int.h"
#include "error_int.h"

#include <stdio.h>

void ucrm_client__log(ucrm_client_t *c, int level, const char *facility, const char *fmt, ...) {
    if (!c || level > c->log_level || (!c->conf->log_cb && !c->log_stderr))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->conf->log_cb)
        c->conf->log_cb(level, facility, msg, c->conf->log_opaque);
    else
        fprintf(stderr, "%%unicrm-%d-%s: %s\n", level, facility, msg);
}

static int log_level_of(const char *s) {
    static const struct {
        const char *name;
        int level;
    } levels[] = {{"error", UCRM_LOG_ERROR},
                  {"warning", UCRM_LOG_WARNING},
                  {"notice", UCRM_LOG_NOTICE},
                  {"info", UCRM_LOG_INFO},
                  {"debug", UCRM_LOG_DEBUG}};
    for (size_t i = 0; s && i < UCRM__ARRAY_LEN(levels); i++)
        if (strcmp(levels[i].name, s) == 0)
            return levels[i].level;
    return UCRM_LOG_WARNING;
}

/* Keys scoped to another provider are a configuration mistake worth reporting, not ignoring. */
static ucrm_err_t check_scopes(const ucrm_conf_t *conf, const char *provider, ucrm_error_t **errp) {
    for (int p = 0; p < UCRM_P__COUNT; p++) {
        const ucrm_prop_t *row = &ucrm_props[p];
        if (row->scope == UCRM_SCOPE_GLOBAL || !conf->values[p])
            continue;
        const char *want = row->scope == UCRM_SCOPE_HUBSPOT ? "hubspot" : "salesforce";
        if (strcmp(want, provider) != 0)
            return ucrm__fail(errp, UCRM_ERR_CONF_INVALID, "'%s' applies to provider %s, not %s", row->name, want,
                              provider);
    }
    return UCRM_OK;
}

static ucrm_err_t limiter_key(const ucrm_conf_t *conf, const char *provider, ucrm_buf_t *key) {
    const char *k = ucrm_conf__str(conf, UCRM_P_RL_KEY);
    if (k && *k)
        return ucrm_buf__puts(key, k) ? UCRM_OK : UCRM_ERR_NOMEM;
    ucrm_buf__printf(key, "%s:", provider);
    ucrm_err_t rc = ucrm_auth__account_key(conf, key);
    return rc < 0 ? rc : key->oom ? UCRM_ERR_NOMEM : UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_client_new(ucrm_client_t **out, const ucrm_conf_t *conf, ucrm_error_t **errp) {
    if (!out || !conf)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_client_new: %s is NULL", out ? "conf" : "out");
    *out = NULL;
    const char *pname = ucrm_conf__str(conf, UCRM_P_PROVIDER);
    if (!pname || !*pname)
        return ucrm__fail(errp, UCRM_ERR_CONF_INVALID, "'provider' is not set (hubspot or salesforce)");
    const ucrm_provider_t *prov = ucrm_provider__find(pname);
    if (!prov)
        return ucrm__fail(errp, UCRM_ERR_NOT_BUILT_IN, "provider '%s' is not built into this library", pname);
    ucrm_err_t rc = check_scopes(conf, pname, errp);
    if (rc < 0)
        return rc;
    if (prov->conf_validate && (rc = prov->conf_validate(conf, errp)) < 0)
        return rc;
    int grant;
    if ((rc = ucrm_auth__grant(conf, &grant, errp)) < 0)
        return rc;

    ucrm_client_t *c = ucrm__calloc(1, sizeof *c);
    if (!c)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    c->provider = prov;
    if (!(c->conf = ucrm_conf_dup(conf))) {
        ucrm__free(c);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    conf = c->conf;
    c->timeout_ms = ucrm_conf__int(conf, UCRM_P_HTTP_TIMEOUT_MS);
    c->connect_timeout_ms = ucrm_conf__int(conf, UCRM_P_HTTP_CONNECT_TIMEOUT_MS);
    c->retry_max = ucrm_conf__int(conf, UCRM_P_RETRY_MAX);
    c->backoff_ms = ucrm_conf__int(conf, UCRM_P_RETRY_BACKOFF_MS);
    c->backoff_max_ms = ucrm_conf__int(conf, UCRM_P_RETRY_BACKOFF_MAX_MS);
    c->budget_ms = ucrm_conf__int(conf, UCRM_P_RETRY_BUDGET_MS);
    c->wait_max_ms = ucrm_conf__int(conf, UCRM_P_RL_WAIT_MAX_MS);
    c->log_level = log_level_of(ucrm_conf__str(conf, UCRM_P_LOG_LEVEL));
    c->log_stderr = ucrm_conf__bool(conf, UCRM_P_LOG_STDERR);
    if (conf->has_transport) {
        if ((rc = ucrm_transport__ref(&conf->transport)) < 0) {
            ucrm_conf_destroy(c->conf);
            ucrm__free(c);
            return ucrm__fail(errp, rc, "out of memory");
        }
        c->has_transport = true;
        c->transport = conf->transport;
    }

    if (!(c->stats = ucrm_stats__new())) {
        rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (!c->has_transport) {
        ucrm_http_settings_t hs = {ucrm_conf__str(conf, UCRM_P_HTTP_CA_FILE),
                                   ucrm_conf__str(conf, UCRM_P_HTTP_USER_AGENT),
                                   (int)ucrm_conf__int(conf, UCRM_P_HTTP_POOL_SIZE)};
        if ((rc = ucrm_http__new(&c->http, &hs, errp)) < 0)
            goto fail;
    }
    ucrm_buf_t key = UCRM_BUF_INIT;
    if ((rc = limiter_key(conf, pname, &key)) < 0) {
        ucrm_buf__free(&key);
        ucrm__fail(errp, rc, "out of memory");
        goto fail;
    }
    rc = ucrm_auth__new(&c->auth, conf, key.ptr, errp);
    if (rc == UCRM_OK && ucrm_conf__bool(conf, UCRM_P_RL_ENABLE))
        rc = ucrm_limiter__get(&c->limiter, conf, key.ptr, errp);
    ucrm_buf__free(&key);
    if (rc < 0)
        goto fail;
    if (prov->init && (rc = prov->init(conf, &c->pstate, errp)) < 0)
        goto fail;
    *out = c;
    return UCRM_OK;
fail:
    ucrm_client_destroy(c);
    return rc;
}

UCRM_API void ucrm_client_destroy(ucrm_client_t *c) {
    if (!c)
        return;
    if (c->pstate && c->provider->term)
        c->provider->term(c->pstate);
    ucrm_limiter__release(c->limiter);
    ucrm_auth__destroy(c->auth);
    ucrm_http__destroy(c->http);
    ucrm_stats__destroy(c->stats);
    if (c->has_transport)
        ucrm_transport__unref(&c->transport);
    ucrm_conf_destroy(c->conf);
    ucrm__free(c);
}

UCRM_API const char *ucrm_client_provider(const ucrm_client_t *c) { return c ? c->provider->name : ""; }

UCRM_API ucrm_err_t ucrm_client_stats_json(ucrm_client_t *c, char **out, ucrm_error_t **errp) {
    if (!c || !out)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_client_stats_json: NULL argument");
    ucrm_buf_t b = UCRM_BUF_INIT;
    ucrm_buf__printf(&b, "{\"provider\":\"%s\",\"connections_opened\":%lld,", c->provider->name,
                     (long long)(c->http ? ucrm_http__connections(c->http) : 0));
    ucrm_stats__json(c->stats, &b);
    ucrm_buf__puts(&b, ",\"auth\":{");
    ucrm_auth__stats_json(c->auth, &b);
    ucrm_buf__puts(&b, "},\"ratelimit\":{");
    if (c->limiter)
        ucrm_limiter__stats_json(c->limiter, &b);
    ucrm_buf__puts(&b, "}}");
    char *s = ucrm_buf__steal(&b);
    if (!s)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    *out = s;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_client_set_token(ucrm_client_t *c, const char *access_token, const char *refresh_token,
                                          int64_t expires_at_ms, const char *instance_url, ucrm_error_t **errp) {
    if (!c || !access_token || !*access_token)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_client_set_token: %s",
                          c ? "access_token is empty" : "client is NULL");
    if (instance_url && strncmp(instance_url, "https://", 8) != 0 && !ucrm__url_is_loopback(instance_url))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "instance_url must be an https URL");
    return ucrm_auth__set_token(c->auth, c, access_token, refresh_token, expires_at_ms, instance_url, errp);
}
