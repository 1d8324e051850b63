/*
 * hs_error.c -- HubSpot error bodies to ucrm_error_t (PROTOCOL B7, B8, B9).
 *
 *   400 VALIDATION_ERROR -> UCRM_ERR_VALIDATION, the offending property as the error field (unified name)
 *   401 -> UCRM_ERR_AUTH (the pipeline refreshes once and replays when the grant allows)
 *   403 -> UCRM_ERR_FORBIDDEN          404 -> UCRM_ERR_NOT_FOUND
 *   409 -> UCRM_ERR_CONFLICT with the existing id ("Existing ID: 123")
 *   423, 477, 5xx -> UCRM_ERR_PROVIDER, retriable (423: locks last 2 s; 477: Retry-After)
 *   429 -> UCRM_ERR_RATE_LIMITED with a retry-after; policy DAILY -> UCRM_ERR_QUOTA_EXHAUSTED (not retried)
 * HubSpot's category, message and correlationId stay in the error (provider code, message, request id) and the
 * body in its details. Token endpoint errors: BAD_REFRESH_TOKEN / invalid_grant -> UCRM_ERR_AUTH saying that
 * re-authorisation is needed.
 */
#include "hubspot_int.h"

#include <stdio.h>
#include <stdlib.h>

#define DETAILS_MAX (16 * 1024)

const char *hs_field_of_prop(const hs_obj_t *o, const char *prop, char *buf, size_t n) {
    const hs_slot_t *s = o ? hs_slot_of(o, prop) : NULL;
    if (s)
        return o->rows[s->row].field;
    snprintf(buf, n, "%s%s", UCRM_CUSTOM_PREFIX, prop);
    return buf;
}

/* "Property values were not valid: [{..."name":"email"...}]" -> "email". */
static bool prop_from_message(const char *msg, char out[128]) {
    const char *lb = msg ? strchr(msg, '[') : NULL;
    cJSON *arr = lb ? cJSON_Parse(lb) : NULL;
    const char *name = ucrm_json__str(cJSON_GetArrayItem(arr, 0), "name");
    bool ok = name && *name && strlen(name) < 128;
    if (ok)
        strcpy(out, name);
    cJSON_Delete(arr);
    return ok;
}

/* The property an error is about: the message's validation list, context.propertyName, errors[].in. */
static bool error_prop(const cJSON *j, char out[128]) {
    if (prop_from_message(ucrm_json__str(j, "message"), out))
        return true;
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(j, "context");
    const cJSON *pn = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ctx, "propertyName"), 0);
    const char *in = ucrm_json__str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "errors"), 0), "in");
    const char *p = cJSON_IsString(pn) ? pn->valuestring : in;
    if (!p || !*p || strlen(p) >= 128)
        return false;
    strcpy(out, p);
    return true;
}

/* "Contact already exists. Existing ID: 12345" -> "12345" (PROTOCOL B2). */
static bool existing_id(const char *msg, char out[32]) {
    const char *p = msg ? strstr(msg, "Existing ID:") : NULL;
    if (!p)
        return false;
    p += 12;
    while (*p == ' ')
        p++;
    size_t n = strspn(p, "0123456789");
    if (n == 0 || n >= 32)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

static ucrm_err_t code_of_category(const char *cat, int status) {
    static const struct {
        const char *cat;
        ucrm_err_t code;
    } cats[] = {
        {"VALIDATION_ERROR", UCRM_ERR_VALIDATION}, {"OBJECT_NOT_FOUND", UCRM_ERR_NOT_FOUND},
        {"CONFLICT", UCRM_ERR_CONFLICT},           {"RATE_LIMITS", UCRM_ERR_RATE_LIMITED},
        {"MISSING_SCOPES", UCRM_ERR_FORBIDDEN},    {"EXPIRED_AUTHENTICATION", UCRM_ERR_AUTH},
        {"INVALID_AUTHENTICATION", UCRM_ERR_AUTH}, {"BAD_REQUEST", UCRM_ERR_VALIDATION},
    };
    for (size_t i = 0; cat && i < UCRM__ARRAY_LEN(cats); i++)
        if (strcmp(cats[i].cat, cat) == 0)
            return cats[i].code;
    /* 401, 403, 429 and 5xx never get here: hs_parse_error decides those by status alone */
    switch (status) {
    case 400: return UCRM_ERR_VALIDATION;
    case 404: return UCRM_ERR_NOT_FOUND;
    case 409: return UCRM_ERR_CONFLICT;
    default: return UCRM_ERR_PROVIDER;
    }
}

/* Fills field, existing id, request id and details from an error object. */
static void decorate(ucrm_error_t *e, const hs_obj_t *o, const cJSON *j, int status, const char *code_str) {
    if (e->is_static)
        return;
    const char *cid = ucrm_json__str(j, "correlationId");
    if (!cid)
        cid = ucrm_json__str(j, "requestId");
    ucrm_error__set_provider(e, status, code_str, cid);
    char prop[128], fbuf[160], xid[32];
    if (e->code == UCRM_ERR_VALIDATION && error_prop(j, prop))
        ucrm_error__set_field(e, hs_field_of_prop(o, prop, fbuf, sizeof fbuf));
    if (e->code == UCRM_ERR_CONFLICT && existing_id(ucrm_json__str(j, "message"), xid))
        ucrm_error__set_existing_id(e, xid);
    char *txt = j ? cJSON_PrintUnformatted(j) : NULL;
    if (txt && strlen(txt) <= DETAILS_MAX)
        ucrm_error__set_details(e, txt);
    cJSON_free(txt);
}

ucrm_error_t *hs_item_error(const hs_obj_t *o, const cJSON *err, int http_status) {
    const char *cat = ucrm_json__str(err, "category");
    const char *msg = ucrm_json__str(err, "message");
    ucrm_err_t code = code_of_category(cat, 0);
    ucrm_error_t *e = ucrm_error__new(code, "HubSpot %s: %s", cat ? cat : "error", msg ? msg : "(no message)");
    decorate(e, o, err, http_status, cat);
    if (!e->is_static)
        ucrm_error__set_write_state(e, UCRM_WRITE_NOT_APPLIED);
    return e;
}

/* The object a request's path is about (/crm/v3/objects/<type>/..., /crm/v4/objects/<type>/...). */
static const hs_obj_t *obj_of_url(const hs_state_t *st, const char *url) {
    const char *p = strstr(url, "/objects/");
    if (!st || !p)
        return NULL;
    p += 9;
    return hs_obj_by_type(st, p, strcspn(p, "/?"));
}

static int64_t retry_after_ms(const ucrm_resp_t *resp) {
    const char *ra = ucrm_resp__header(resp, "Retry-After");
    int64_t s;
    if (ra && ucrm__parse_i64(ra, &s) && s >= 0 && s < 86400)
        return s * 1000;
    return 0;
}

/* OAuth token endpoint errors (PROTOCOL B9). */
static ucrm_error_t *token_error(const ucrm_resp_t *resp, const cJSON *j, ucrm_errclass_t *cls) {
    const char *st = ucrm_json__str(j, "status"), *err = ucrm_json__str(j, "error");
    const char *msg = ucrm_json__str(j, "message");
    if (!msg)
        msg = ucrm_json__str(j, "error_description");
    int status = resp->status;
    ucrm_error_t *e;
    if (status >= 500 || status == 429) {
        e = ucrm_error__new(status == 429 ? UCRM_ERR_RATE_LIMITED : UCRM_ERR_PROVIDER,
                            "HubSpot token endpoint answered HTTP %d%s%s", status, msg ? ": " : "", msg ? msg : "");
        cls->retriable = true;
        cls->rate_limited = status == 429;
        cls->retry_after_ms = retry_after_ms(resp);
    } else if (ucrm__streq(st, "BAD_REFRESH_TOKEN") || ucrm__streq(err, "invalid_grant")) {
        e = ucrm_error__new(UCRM_ERR_AUTH,
                            "HubSpot rejected the refresh token (%s: %s): re-authorisation is needed (the user must "
                            "install the app again to get a new refresh token)",
                            st ? st : err, msg ? msg : "invalid, expired or revoked");
    } else if (ucrm__streq(st, "BAD_CLIENT_ID") || ucrm__streq(st, "BAD_CLIENT_SECRET") ||
               ucrm__streq(err, "invalid_client")) {
        e = ucrm_error__new(UCRM_ERR_AUTH, "HubSpot rejected the client credentials (%s: %s): check auth.client.id "
                                           "and auth.client.secret",
                            st ? st : err, msg ? msg : "invalid client");
    } else {
        e = ucrm_error__new(UCRM_ERR_AUTH, "HubSpot token request failed (HTTP %d%s%s%s%s)", status,
                            st || err ? ", " : "", st ? st : err ? err : "", msg ? ": " : "", msg ? msg : "");
    }
    if (!e->is_static) {
        const char *rid = ucrm_json__str(j, "correlationId");
        ucrm_error__set_provider(e, status, st ? st : err, rid ? rid : ucrm_json__str(j, "requestId"));
    }
    return e;
}

/* 429 (PROTOCOL B8): DAILY is a quota; TEN_SECONDLY_ROLLING and the search's SECONDLY are bursts. */
static ucrm_error_t *rate_error(const ucrm_resp_t *resp, const cJSON *j, ucrm_errclass_t *cls) {
    const char *policy = ucrm_json__str(j, "policyName"), *msg = ucrm_json__str(j, "message");
    bool daily = ucrm__streq(policy, "DAILY");
    int64_t ra = retry_after_ms(resp), interval = 0;
    if (!ra && !daily) {
        const char *iv = ucrm_resp__header(resp, "X-HubSpot-RateLimit-Interval-Milliseconds");
        bool secondly = ucrm__streq(policy, "SECONDLY") || (!policy && msg && strstr(msg, "your secondly limit"));
        ra = secondly ? 1000 : iv && ucrm__parse_i64(iv, &interval) && interval > 0 && interval <= 60000 ? interval
                                                                                                        : 10000;
    }
    ucrm_error_t *e = ucrm_error__new(daily ? UCRM_ERR_QUOTA_EXHAUSTED : UCRM_ERR_RATE_LIMITED,
                                      "HubSpot rate limit%s%s: %s", policy ? " " : "", policy ? policy : "",
                                      msg ? msg : "too many requests");
    cls->quota_exhausted = daily;
    cls->rate_limited = !daily;
    cls->not_received = true;
    cls->retry_after_ms = ra;
    const char *cat = ucrm_json__str(j, "category");
    decorate(e, NULL, j, resp->status, cat ? cat : policy ? policy : ucrm_json__str(j, "errorType"));
    return e;
}

ucrm_error_t *hs_parse_error(void *state, const ucrm_req_t *req, const ucrm_resp_t *resp, ucrm_errclass_t *cls) {
    const hs_state_t *st = state;
    int status = resp->status;
    cJSON *j = resp->body.len ? cJSON_ParseWithLength(resp->body.ptr, resp->body.len) : NULL;
    if (j && !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        j = NULL;
    }
    ucrm_error_t *e;
    if (req->flags & UCRM_REQ_NO_AUTH) {
        e = token_error(resp, j, cls);
    } else if (status == 429) {
        e = rate_error(resp, j, cls);
    } else {
        const char *cat = ucrm_json__str(j, "category"), *msg = ucrm_json__str(j, "message");
        ucrm_err_t code = status >= 500 || status == 423 || status == 477 ? UCRM_ERR_PROVIDER
                          : status == 401                                 ? UCRM_ERR_AUTH
                          : status == 403                                 ? UCRM_ERR_FORBIDDEN
                                                                          : code_of_category(cat, status);
        if (j)
            e = ucrm_error__new(code, "HubSpot %d %s: %s", status, cat ? cat : "error", msg ? msg : "(no message)");
        else
            e = ucrm_error__new(code, "HubSpot answered HTTP %d%s", status,
                                resp->body.len ? " with a body that is not a HubSpot error" : " with no body");
        cls->auth_expired = status == 401;
        cls->retriable = code == UCRM_ERR_PROVIDER && (status >= 500 || status == 423 || status == 477);
        cls->retry_after_ms = retry_after_ms(resp);
        if (status == 423 && cls->retry_after_ms < 2000)
            cls->retry_after_ms = 2000; /* PROTOCOL B7: locks last 2 s */
        decorate(e, obj_of_url(st, ucrm_buf__str(&req->url)), j, status, cat);
    }
    cJSON_Delete(j);
    return e;
}
