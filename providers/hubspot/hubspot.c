/*
 * hubspot.c -- the HubSpot adapter's vtable: per-client state, configuration checks, the OAuth refresh-token
 * request and response (PROTOCOL B9), the usage headers (B8) and passthrough.
 *
 * Auth: a private-app token (pat-..., auth.access.token, static) or the OAuth refresh-token grant
 * (auth.refresh.token + auth.client.id + auth.client.secret against auth.token.url + /oauth/v1/token).
 */
#include "hubspot_int.h"

#include "auth_int.h"

#include <math.h>

/* ---------------------------------------------------------------------------------------------- lifecycle */

static ucrm_err_t hs_conf_validate(const ucrm_conf_t *conf, ucrm_error_t **errp) {
    int grant;
    ucrm_err_t rc = ucrm_auth__grant(conf, &grant, errp);
    if (rc < 0)
        return rc;
    if (grant != UCRM_GRANT_STATIC && grant != UCRM_GRANT_REFRESH_TOKEN)
        return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                          "HubSpot authenticates with a private-app token (auth.access.token) or the OAuth "
                          "refresh-token flow (auth.refresh.token, auth.client.id, auth.client.secret); "
                          "auth.method=%s is for Salesforce",
                          grant == UCRM_GRANT_JWT_BEARER ? "jwt_bearer" : "client_credentials");
    if (grant == UCRM_GRANT_REFRESH_TOKEN && !ucrm_conf__is_set(conf, UCRM_P_AUTH_CLIENT_SECRET))
        return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                          "the HubSpot refresh-token flow needs auth.client.secret (PROTOCOL: client_id and "
                          "client_secret are sent with every refresh)");
    return hs_map_check(conf, errp);
}

static ucrm_err_t hs_init(const ucrm_conf_t *conf, void **state, ucrm_error_t **errp) {
    hs_state_t *st = ucrm__calloc(1, sizeof *st);
    if (!st)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    ucrm_err_t rc = hs_map_init(st, conf, errp);
    if (rc < 0) {
        hs_map_free(st);
        ucrm__free(st);
        return rc;
    }
    *state = st;
    return UCRM_OK;
}

static void hs_term(void *state) {
    hs_state_t *st = state;
    if (!st)
        return;
    hs_map_free(st);
    ucrm__free(st);
}

/* ---------------------------------------------------------------------------------------------- tokens */

static ucrm_err_t hs_token_request(void *state, const ucrm_conf_t *conf, ucrm_grant_t grant,
                                   const ucrm_token_t *current, ucrm_req_t *req, ucrm_error_t **errp) {
    (void)state;
    if (grant != UCRM_GRANT_REFRESH_TOKEN)
        return ucrm__fail(errp, UCRM_ERR_UNSUPPORTED, "HubSpot tokens are refreshed with the refresh-token grant only");
    const char *base = ucrm_conf__str(conf, UCRM_P_AUTH_TOKEN_URL);
    const char *id = ucrm_conf__str(conf, UCRM_P_AUTH_CLIENT_ID);
    const char *secret = ucrm_conf__str(conf, UCRM_P_AUTH_CLIENT_SECRET);
    if (!base || !*base || !id || !secret || !current->refresh_token)
        return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                          "the HubSpot refresh-token flow needs auth.token.url, auth.client.id, auth.client.secret "
                          "and a refresh token");
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    ucrm_buf__append(&req->url, base, bl);
    ucrm_buf__puts(&req->url, "/oauth/v1/token");
    /* PROTOCOL B9: form body grant_type=refresh_token&client_id&client_secret&refresh_token */
    ucrm_json__form_add(&req->body, "grant_type", "refresh_token");
    ucrm_json__form_add(&req->body, "client_id", id);
    ucrm_json__form_add(&req->body, "client_secret", secret);
    ucrm_json__form_add(&req->body, "refresh_token", current->refresh_token);
    req->content_type = "application/x-www-form-urlencoded";
    if (req->url.oom || req->body.oom)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    return UCRM_OK;
}

/* Wipes the secret strings of a parsed token response before it is freed. */
static void wipe_member(cJSON *j, const char *key) {
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (cJSON_IsString(v) && v->valuestring)
        memset(v->valuestring, 0, strlen(v->valuestring));
}

/* AccessTokenResponse: access_token, expires_in (s), refresh_token (PROTOCOL B9). */
static ucrm_err_t hs_token_parse(void *state, const ucrm_resp_t *resp, ucrm_token_t *out, ucrm_error_t **errp) {
    (void)state;
    cJSON *j = resp->body.len ? cJSON_ParseWithLength(resp->body.ptr, resp->body.len) : NULL;
    const char *at = ucrm_json__str(j, "access_token"), *rt = ucrm_json__str(j, "refresh_token");
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(j, "expires_in");
    ucrm_err_t rc = UCRM_OK;
    if (!cJSON_IsObject(j))
        rc = ucrm__fail(errp, UCRM_ERR_PROTOCOL, "HubSpot token response: not a JSON object");
    else if (!at || !*at || strlen(at) > 8192)
        rc = ucrm__fail(errp, UCRM_ERR_PROTOCOL, "HubSpot token response: no usable access_token");
    else if (!cJSON_IsNumber(ex) || !isfinite(ex->valuedouble) || ex->valuedouble <= 0 ||
             ex->valuedouble > 1e9)
        rc = ucrm__fail(errp, UCRM_ERR_PROTOCOL, "HubSpot token response: expires_in missing or invalid");
    if (rc == UCRM_OK) {
        out->issued_at_ms = ucrm__now_ms();
        out->expires_at_ms = out->issued_at_ms + (int64_t)(ex->valuedouble * 1000.0);
        out->access_token = ucrm__strdup(at);
        if (rt && *rt)
            out->refresh_token = ucrm__strdup(rt);
        if (!out->access_token || (rt && *rt && !out->refresh_token)) {
            ucrm_token__clear(out);
            rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
        }
    }
    wipe_member(j, "access_token"); /* the caller wipes the response body, we wipe the tree's copies */
    wipe_member(j, "refresh_token");
    cJSON_Delete(j);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- usage */

static bool header_i64(const ucrm_resp_t *resp, const char *name, int64_t *out) {
    const char *v = ucrm_resp__header(resp, name);
    return v && ucrm__parse_i64(v, out) && *out >= 0;
}

/* PROTOCOL B8: X-HubSpot-RateLimit-Max/-Remaining/-Interval-Milliseconds, -Daily/-Daily-Remaining (the daily
 * pair is absent for OAuth apps; search responses carry none). */
static void hs_read_usage(void *state, const ucrm_resp_t *resp, ucrm_usage_t *out) {
    (void)state;
    out->has_window = header_i64(resp, "X-HubSpot-RateLimit-Max", &out->window_max) &&
                      header_i64(resp, "X-HubSpot-RateLimit-Remaining", &out->window_remaining) &&
                      header_i64(resp, "X-HubSpot-RateLimit-Interval-Milliseconds", &out->window_ms) &&
                      out->window_ms > 0;
    out->has_daily = header_i64(resp, "X-HubSpot-RateLimit-Daily", &out->daily_max) &&
                     header_i64(resp, "X-HubSpot-RateLimit-Daily-Remaining", &out->daily_remaining);
}

/* ---------------------------------------------------------------------------------------------- passthrough */

/* Does path name <prefix><segment><suffix> with one path segment in the middle? */
static bool path_is(const char *path, size_t len, const char *prefix, const char *suffix) {
    size_t pl = strlen(prefix), sl = strlen(suffix);
    if (len <= pl + sl || strncmp(path, prefix, pl) != 0 || strncmp(path + len - sl, suffix, sl) != 0)
        return false;
    return memchr(path + pl, '/', len - pl - sl) == NULL;
}

static ucrm_err_t hs_passthrough_prepare(void *state, const char *path, ucrm_req_t *req, ucrm_error_t **errp) {
    (void)state;
    if (!ucrm_buf__puts(&req->url, path))
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    if (strcmp(req->method, "POST") != 0)
        return UCRM_OK;
    size_t len = strcspn(path, "?#");
    if (path_is(path, len, "/crm/v3/objects/", "/search")) {
        /* PROTOCOL B4: searches have their own 5/s limit, and only read */
        req->bucket = UCRM_BUCKET_SEARCH;
        req->retry = UCRM_RETRY_SAFE;
    } else if (path_is(path, len, "/crm/v3/objects/", "/batch/read")) {
        req->retry = UCRM_RETRY_SAFE;
    }
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- the vtable */

const ucrm_provider_t ucrm__provider_hubspot = {
    .name = "hubspot",
    .feature = UCRM_FEATURE_HUBSPOT,
    .batch_max = HS_BATCH_MAX,
    .conf_validate = hs_conf_validate,
    .init = hs_init,
    .term = hs_term,
    .token_request = hs_token_request,
    .token_parse = hs_token_parse,
    .parse_error = hs_parse_error,
    .read_usage = hs_read_usage,
    .get = hs_get,
    .create = hs_create,
    .update = hs_update,
    .del = hs_del,
    .upsert = hs_upsert,
    .iter_open = hs_iter_open,
    .iter_fetch = hs_iter_fetch,
    .iter_save = hs_iter_save,
    .iter_restore = hs_iter_restore,
    .iter_free = hs_iter_free,
    .batch_chunk = hs_batch_chunk,
    .passthrough_prepare = hs_passthrough_prepare,
    .unified_field = hs_unified_field,
};
