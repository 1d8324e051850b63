/*
 * sf_auth.c -- Salesforce OAuth 2.0 token requests and responses (PROTOCOL.md A9).
 *
 * POST <auth.token.url>/services/oauth2/token, application/x-www-form-urlencoded:
 *   refresh_token       grant_type, client_id, client_secret (optional: "Require Secret for Refresh Token Flow"
 *                       can be off), refresh_token
 *   client_credentials  grant_type, client_id, client_secret (must go to the org's My Domain)
 *   JWT bearer          grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer, assertion = RS256 JWT with
 *                       iss = consumer key, sub = username, aud = login/test URL, exp = now + 3 minutes
 * The response has access_token, instance_url, issued_at (milliseconds, although the docs say seconds) and no
 * expires_in: the token layer applies auth.session.lifetime.ms. refresh_token comes back only when the connected
 * app rotates refresh tokens.
 */
#include "sf_int.h"

#include "jwt_int.h"

#include <stdio.h>

#include <openssl/crypto.h>

#define JWT_LIFETIME_S 180           /* simple-salesforce and Salesforce's docs: 3 minutes */
#define ISSUED_AT_SKEW_MS (5 * 60000) /* beyond this, the server's issued_at is not trusted for timing */

static void token_url(const ucrm_conf_t *conf, ucrm_buf_t *url) {
    const char *base = ucrm_conf__str(conf, UCRM_P_AUTH_TOKEN_URL);
    size_t n = strlen(base ? base : "");
    while (n && base[n - 1] == '/')
        n--;
    ucrm_buf__append(url, base ? base : "", n);
    ucrm_buf__puts(url, "/services/oauth2/token");
}

static ucrm_err_t jwt_assertion(const ucrm_conf_t *conf, ucrm_buf_t *body, ucrm_error_t **errp) {
    cJSON *claims = cJSON_CreateObject();
    const char *iss = ucrm_conf__str(conf, UCRM_P_AUTH_CLIENT_ID);
    const char *sub = ucrm_conf__str(conf, UCRM_P_AUTH_JWT_SUBJECT);
    const char *aud = ucrm_conf__str(conf, UCRM_P_AUTH_JWT_AUDIENCE);
    char *json = NULL;
    if (claims && cJSON_AddStringToObject(claims, "iss", iss ? iss : "") &&
        cJSON_AddStringToObject(claims, "sub", sub ? sub : "") &&
        cJSON_AddStringToObject(claims, "aud", aud ? aud : "https://login.salesforce.com") &&
        cJSON_AddNumberToObject(claims, "exp", (double)(ucrm__now_ms() / 1000 + JWT_LIFETIME_S)))
        json = cJSON_PrintUnformatted(claims);
    cJSON_Delete(claims);
    if (!json)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    char *jwt = NULL;
    ucrm_err_t rc = ucrm_jwt__sign_rs256(ucrm_conf__str(conf, UCRM_P_AUTH_JWT_KEY_FILE),
                                         "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", json, &jwt, errp);
    cJSON_free(json);
    if (rc < 0)
        return rc;
    ucrm_json__form_add(body, "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
    ucrm_json__form_add(body, "assertion", jwt);
    ucrm__free_secret(jwt);
    return UCRM_OK;
}

ucrm_err_t sf_token_request(void *state, const ucrm_conf_t *conf, ucrm_grant_t grant, const ucrm_token_t *current,
                            ucrm_req_t *req, ucrm_error_t **errp) {
    (void)state;
    const char *id = ucrm_conf__str(conf, UCRM_P_AUTH_CLIENT_ID);
    const char *secret = ucrm_conf__str(conf, UCRM_P_AUTH_CLIENT_SECRET);
    ucrm_buf_t *b = &req->body;
    token_url(conf, &req->url);
    req->content_type = "application/x-www-form-urlencoded";
    switch (grant) {
    case UCRM_GRANT_REFRESH_TOKEN:
        if (!current || !current->refresh_token || !id)
            return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                              "the refresh-token flow needs auth.refresh.token and auth.client.id");
        ucrm_json__form_add(b, "grant_type", "refresh_token");
        ucrm_json__form_add(b, "client_id", id);
        if (secret && *secret)
            ucrm_json__form_add(b, "client_secret", secret);
        ucrm_json__form_add(b, "refresh_token", current->refresh_token);
        break;
    case UCRM_GRANT_CLIENT_CREDENTIALS:
        if (!id || !secret)
            return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                              "the client-credentials flow needs auth.client.id and auth.client.secret");
        ucrm_json__form_add(b, "grant_type", "client_credentials");
        ucrm_json__form_add(b, "client_id", id);
        ucrm_json__form_add(b, "client_secret", secret);
        break;
    case UCRM_GRANT_JWT_BEARER: {
        ucrm_err_t rc = jwt_assertion(conf, b, errp);
        if (rc < 0)
            return rc;
        break;
    }
    default:
        return ucrm__fail(errp, UCRM_ERR_AUTH,
                          "a static access token cannot be refreshed: set a new one with ucrm_client_set_token");
    }
    return b->oom || req->url.oom ? ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory") : UCRM_OK;
}

/* instance_url must be an https URL (http only for loopback: the local fake) without userinfo tricks. */
static bool instance_url_ok(const char *u) {
    size_t n = strlen(u);
    if (n < 9 || n > 2048)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= 0x20 || u[i] == 0x7f || u[i] == '@' || u[i] == '?' || u[i] == '#' ||
            u[i] == '\\')
            return false;
    if (ucrm__startswith(u, "https://"))
        return true;
    return ucrm__startswith(u, "http://") && ucrm__url_is_loopback(u);
}

/* issued_at: milliseconds as a string (A9: the docs say seconds; real values have 13 digits). Used only when it
 * agrees with this host's clock, since the session lifetime is counted locally. */
static int64_t issued_at(const cJSON *j) {
    int64_t v, now = ucrm__now_ms();
    if (!ucrm_json__i64(j, "issued_at", &v) || v <= 0)
        return 0;
    if (v < INT64_C(100000000000)) /* 11 digits or fewer: seconds */
        v *= 1000;
    return v > now - ISSUED_AT_SKEW_MS && v < now + ISSUED_AT_SKEW_MS ? v : 0;
}

ucrm_err_t sf_token_parse(void *state, const ucrm_resp_t *resp, ucrm_token_t *out, ucrm_error_t **errp) {
    (void)state;
    cJSON *j = resp->body.len ? cJSON_ParseWithLength(resp->body.ptr, resp->body.len) : NULL;
    const char *at = ucrm_json__str(j, "access_token");
    const char *rt = ucrm_json__str(j, "refresh_token");
    const char *iu = ucrm_json__str(j, "instance_url");
    const char *tt = ucrm_json__str(j, "token_type");
    ucrm_err_t rc = UCRM_OK;
    if (!j)
        rc = ucrm__fail(errp, UCRM_ERR_PROTOCOL, "Salesforce token response: not JSON (HTTP %d)", resp->status);
    else if (!at || !*at)
        rc = ucrm__fail(errp, UCRM_ERR_PROTOCOL, "Salesforce token response: no access_token");
    else if (tt && !ucrm__strcaseeq(tt, "Bearer"))
        rc = ucrm__fail(errp, UCRM_ERR_PROTOCOL, "Salesforce token response: token_type is not Bearer");
    else if (iu && !instance_url_ok(iu))
        rc = ucrm__fail(errp, UCRM_ERR_PROTOCOL,
                        "Salesforce token response: instance_url is not an https URL (plain http only on loopback)");
    if (rc == UCRM_OK) {
        out->access_token = ucrm__strdup(at);
        out->refresh_token = rt && *rt ? ucrm__strdup(rt) : NULL;
        out->instance_url = iu ? ucrm__strndup(iu, strlen(iu) - (iu[strlen(iu) - 1] == '/')) : NULL;
        out->issued_at_ms = issued_at(j);
        out->expires_at_ms = 0;
        if (!out->access_token || (rt && *rt && !out->refresh_token) || (iu && !out->instance_url)) {
            ucrm_token__clear(out);
            rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
        }
    }
    if (j) {
        /* the parsed copy holds the tokens too */
        cJSON *v;
        cJSON_ArrayForEach(v, j) {
            if (cJSON_IsString(v) && v->valuestring)
                OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
        }
        cJSON_Delete(j);
    }
    return rc;
}
