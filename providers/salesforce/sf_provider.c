/*
 * sf_provider.c -- the Salesforce adapter's vtable (provider=salesforce): per-client state, configuration
 * checks, the Sforce-Limit-Info usage header and passthrough paths.
 */
#include "sf_int.h"

#include "auth_int.h"
#include "jwt_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

/* ---------------------------------------------------------------------------------------------- configuration */

/* The host of an http(s) URL equals host (case-insensitive)? */
static bool url_host_is(const char *url, const char *host) {
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p)
        return false;
    p += 3;
    size_t n = strcspn(p, ":/?#");
    return n == strlen(host) && strncasecmp(p, host, n) == 0;
}

static ucrm_err_t sf_conf_validate(const ucrm_conf_t *conf, ucrm_error_t **errp) {
    ucrm_err_t rc = sf_map__check_conf(conf, errp);
    if (rc < 0)
        return rc;
    int grant;
    if ((rc = ucrm_auth__grant(conf, &grant, errp)) < 0)
        return rc;
    const char *api = ucrm_conf__str(conf, UCRM_P_API_URL);
    if (grant == UCRM_GRANT_STATIC && (!api || !*api))
        return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                          "Salesforce with a static auth.access.token needs api.url, the org's instance URL "
                          "(https://MyDomainName.my.salesforce.com): only token responses carry instance_url");
    const char *tok = ucrm_conf__str(conf, UCRM_P_AUTH_TOKEN_URL);
    if (grant == UCRM_GRANT_CLIENT_CREDENTIALS &&
        (url_host_is(tok, "login.salesforce.com") || url_host_is(tok, "test.salesforce.com")))
        return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                          "the Salesforce client-credentials flow needs the org's My Domain token URL: set "
                          "auth.token.url to https://MyDomainName.my.salesforce.com (not %s)",
                          tok);
    if (grant == UCRM_GRANT_JWT_BEARER)
        return ucrm_jwt__check_key(ucrm_conf__str(conf, UCRM_P_AUTH_JWT_KEY_FILE), errp);
    return UCRM_OK;
}

static void sf_term(void *state) {
    sf_state_t *st = state;
    if (!st)
        return;
    sf_map__free(st);
    ucrm__free(st);
}

static ucrm_err_t sf_init(const ucrm_conf_t *conf, void **state, ucrm_error_t **errp) {
    sf_state_t *st = ucrm__calloc(1, sizeof *st);
    if (!st)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    /* The property table has the default: the value is always set and validated (digits.digits). */
    const char *v = ucrm_conf__str(conf, UCRM_P_SF_API_VERSION);
    snprintf(st->version, sizeof st->version, "v%.12s", v);
    snprintf(st->data_path, sizeof st->data_path, "/services/data/%s", st->version);
    st->version_major = atoi(v);
    ucrm_error_t *ignored = NULL;
    if (ucrm_auth__grant(conf, &st->grant, &ignored) < 0)
        st->grant = -1;
    ucrm_error_destroy(ignored);
    ucrm_err_t rc = sf_map__init(st, conf, errp);
    if (rc < 0) {
        sf_term(st);
        return rc;
    }
    *state = st;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- usage */

/* Sforce-Limit-Info: api-usage=18/5000[; api-bursts=1/750][; per-app-api-usage=...] (A7): the org's rolling
 * 24-hour allocation, used/limit. */
static void sf_read_usage(void *state, const ucrm_resp_t *resp, ucrm_usage_t *out) {
    (void)state;
    const char *h = ucrm_resp__header(resp, "Sforce-Limit-Info");
    for (const char *p = h; p && (p = strstr(p, "api-usage=")); p++) {
        if (p != h && p[-1] != ' ' && p[-1] != ';' && p[-1] != ',')
            continue; /* per-app-api-usage= */
        const char *s = p + 10;
        size_t a = strspn(s, "0123456789");
        size_t b = s[a] == '/' ? strspn(s + a + 1, "0123456789") : 0;
        int64_t used, max;
        if (a && b && a < 19 && b < 19 && ucrm__parse_i64_n(s, a, &used) && ucrm__parse_i64_n(s + a + 1, b, &max) &&
            max > 0) {
            out->has_daily = true;
            out->daily_max = max;
            out->daily_remaining = used >= max ? 0 : max - used;
        }
        return;
    }
}

/* ---------------------------------------------------------------------------------------------- passthrough */

/* "{version}" becomes "vNN.N"; a path outside /services/ is taken as relative to /services/data/vNN.N. */
static ucrm_err_t sf_passthrough_prepare(void *state, const char *path, ucrm_req_t *req, ucrm_error_t **errp) {
    const sf_state_t *st = state;
    if (!ucrm__startswith(path, "/services/"))
        ucrm_buf__puts(&req->url, st->data_path);
    for (const char *p = path; *p;) {
        const char *v = strstr(p, "{version}");
        if (!v) {
            ucrm_buf__puts(&req->url, p);
            break;
        }
        ucrm_buf__append(&req->url, p, (size_t)(v - p));
        ucrm_buf__puts(&req->url, st->version);
        p = v + 9;
    }
    return req->url.oom ? ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory") : UCRM_OK;
}

const ucrm_provider_t ucrm__provider_salesforce = {
    .name = "salesforce",
    .feature = UCRM_FEATURE_SALESFORCE,
    .batch_max = SF_BATCH_MAX,
    .conf_validate = sf_conf_validate,
    .init = sf_init,
    .term = sf_term,
    .token_request = sf_token_request,
    .token_parse = sf_token_parse,
    .parse_error = sf_parse_error,
    .read_usage = sf_read_usage,
    .get = sf_get,
    .create = sf_create,
    .update = sf_update,
    .del = sf_del,
    .upsert = sf_upsert,
    .iter_open = sf_iter_open,
    .iter_fetch = sf_iter_fetch,
    .iter_save = sf_iter_save,
    .iter_restore = sf_iter_restore,
    .iter_free = sf_iter_free,
    .batch_chunk = sf_batch_chunk,
    .passthrough_prepare = sf_passthrough_prepare,
    .unified_field = sf_unified_field,
};
