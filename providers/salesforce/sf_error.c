/*
 * sf_error.c -- Salesforce error responses -> ucrm_error_t, and how the pipeline treats them (PROTOCOL.md A7).
 *
 * REST errors are a JSON array of {"message","errorCode","fields"}; collection results carry the same with
 * "statusCode" (A5); the token endpoint answers {"error","error_description"} (A9). The first error decides the
 * code; the whole body is kept as the error's details. Classification:
 *   401 (INVALID_SESSION_ID)              AUTH, auth_expired: the pipeline refreshes once and replays
 *   403 REQUEST_LIMIT_EXCEEDED            QUOTA_EXHAUSTED ("TotalRequests Limit exceeded": the daily allocation)
 *                                         or RATE_LIMITED, retriable ("ConcurrentPerOrgLongTxn": 25 long requests)
 *   NOT_FOUND, ENTITY_IS_DELETED          NOT_FOUND
 *   DUPLICATE_VALUE, DUPLICATES_DETECTED  CONFLICT (existing id from "... with id: 001...")
 *   INVALID_FIELD, MALFORMED_ID, REQUIRED_FIELD_MISSING, other 400s   VALIDATION with the field
 *   UNABLE_TO_LOCK_ROW, 5xx               PROVIDER, retriable
 */
#include "sf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#define SHOWN_MAX 400 /* characters of a provider message kept in ours */

typedef struct codemap {
    const char *code;
    ucrm_err_t err;
    bool retriable;
} codemap_t;

static const codemap_t codes[] = {
    {"INVALID_SESSION_ID", UCRM_ERR_AUTH, false},
    {"NOT_FOUND", UCRM_ERR_NOT_FOUND, false},
    {"ENTITY_IS_DELETED", UCRM_ERR_NOT_FOUND, false},
    {"DUPLICATE_VALUE", UCRM_ERR_CONFLICT, false},
    {"DUPLICATES_DETECTED", UCRM_ERR_CONFLICT, false},
    {"DUPLICATE_EXTERNAL_ID", UCRM_ERR_CONFLICT, false},
    {"UNABLE_TO_LOCK_ROW", UCRM_ERR_PROVIDER, true},
    {"SERVER_UNAVAILABLE", UCRM_ERR_PROVIDER, true},
    {"UNKNOWN_EXCEPTION", UCRM_ERR_PROVIDER, true},
    {"INVALID_QUERY_LOCATOR", UCRM_ERR_PROVIDER, false},
    {"INSUFFICIENT_ACCESS", UCRM_ERR_FORBIDDEN, false},
    {"INSUFFICIENT_ACCESS_OR_READONLY", UCRM_ERR_FORBIDDEN, false},
    {"INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY", UCRM_ERR_FORBIDDEN, false},
    {"API_DISABLED_FOR_ORG", UCRM_ERR_FORBIDDEN, false},
    {"API_CURRENTLY_DISABLED", UCRM_ERR_FORBIDDEN, false},
    {"FUNCTIONALITY_NOT_ENABLED", UCRM_ERR_FORBIDDEN, false},
    {"ALL_OR_NONE_OPERATION_ROLLED_BACK", UCRM_ERR_PARTIAL, true},
    {"PROCESSING_HALTED", UCRM_ERR_PARTIAL, true},
};

static bool is_concurrency(const char *message) {
    /* "ConcurrentPerOrgLongTxn Limit exceeded" (PROTOCOL.md A7, A10) */
    return message && (strstr(message, "Concurrent") || strstr(message, "concurrent"));
}

ucrm_err_t sf_error__code(const char *code, const char *message, int http_status, bool *retriable) {
    *retriable = false;
    if (code && strcmp(code, "REQUEST_LIMIT_EXCEEDED") == 0) {
        *retriable = is_concurrency(message);
        return *retriable ? UCRM_ERR_RATE_LIMITED : UCRM_ERR_QUOTA_EXHAUSTED;
    }
    for (size_t i = 0; code && i < UCRM__ARRAY_LEN(codes); i++)
        if (strcmp(codes[i].code, code) == 0) {
            *retriable = codes[i].retriable;
            return codes[i].err;
        }
    if (http_status >= 500) {
        *retriable = true;
        return UCRM_ERR_PROVIDER;
    }
    switch (http_status) {
    case 401: return UCRM_ERR_AUTH;
    case 403: return UCRM_ERR_FORBIDDEN;
    case 404: return UCRM_ERR_NOT_FOUND;
    case 409: return UCRM_ERR_CONFLICT;
    case 300: return UCRM_ERR_CONFLICT;
    case 405:
    case 410:
    case 414:
    case 415:
    case 431: return UCRM_ERR_PROVIDER;
    default: return UCRM_ERR_VALIDATION; /* 400 and per-record statusCodes: the request's content */
    }
}

/* A provider text made safe for a message: control characters become spaces, at most SHOWN_MAX bytes (cut on
 * a UTF-8 boundary). */
static void shown(const char *s, size_t len, char *out, size_t outsz) {
    size_t n = len < outsz - 1 ? len : outsz - 1;
    if (n > SHOWN_MAX)
        n = SHOWN_MAX;
    while (n < len && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
    out[n] = '\0';
    if (!ucrm__utf8_valid(out, n))
        snprintf(out, outsz, "(not UTF-8)");
}

const char *sf_error__url_id(const char *url) {
    const char *slash = url ? strrchr(url, '/') : NULL;
    return slash && slash[1] ? slash + 1 : NULL;
}

/* "duplicate value found: Ext__c duplicates value on record with id: 001U000001c83gK" */
static void existing_id_from(ucrm_error_t *e, const char *message) {
    const char *p = message ? strstr(message, "with id: ") : NULL;
    if (!p)
        return;
    p += 9;
    char id[32];
    size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    if (n >= 15 && n < sizeof id) {
        memcpy(id, p, n);
        id[n] = '\0';
        ucrm_error__set_existing_id(e, id);
    }
}

/* The object a request is about, from ".../sobjects/<Name>/..." (NULL when not an sObject URL). */
static const sf_objmap_t *object_of(const sf_state_t *st, const char *url) {
    const char *p = url ? strstr(url, "/sobjects/") : NULL;
    if (!p || !st)
        return NULL;
    p += 10;
    size_t n = strcspn(p, "/?");
    for (size_t i = 0; i < 3; i++)
        if (strlen(st->maps[i].sobject) == n && strncasecmp(st->maps[i].sobject, p, n) == 0)
            return &st->maps[i];
    return NULL;
}

/* The field of an error: fields[0], else the column of "No such column 'X' on ...". Unified when known. */
static void set_field(ucrm_error_t *e, const sf_objmap_t *m, const cJSON *err, const char *message) {
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(err, "fields");
    const cJSON *f0 = cJSON_IsArray(fields) ? cJSON_GetArrayItem(fields, 0) : NULL;
    char col[128] = "";
    if (cJSON_IsString(f0))
        snprintf(col, sizeof col, "%s", f0->valuestring);
    else if (message && strstr(message, "No such column '")) {
        const char *p = strstr(message, "No such column '") + 16;
        size_t n = strcspn(p, "'");
        if (n && n < sizeof col) {
            memcpy(col, p, n);
            col[n] = '\0';
        }
    }
    if (!col[0] || !sf_map__valid_name(col))
        return;
    char uni[300];
    if (m)
        sf_map__unified_name(m, col, uni, sizeof uni);
    else
        snprintf(uni, sizeof uni, "%s", col);
    ucrm_error__set_field(e, uni);
}

ucrm_error_t *sf_error__item(const sf_objmap_t *m, const cJSON *err) {
    const char *code = ucrm_json__str(err, "statusCode");
    if (!code)
        code = ucrm_json__str(err, "errorCode");
    const char *msg = ucrm_json__str(err, "message");
    char text[SHOWN_MAX + 1];
    shown(msg ? msg : "", msg ? strlen(msg) : 0, text, sizeof text);
    bool retriable;
    ucrm_err_t rc = sf_error__code(code, msg, 0, &retriable);
    ucrm_error_t *e = ucrm_error__new(rc, "Salesforce %s: %s", code ? code : "error", text[0] ? text : "(no message)");
    if (e->is_static)
        return e;
    ucrm_error__set_provider(e, 0, code, NULL);
    ucrm_error__set_retry(e, retriable, 0);
    ucrm_error__set_write_state(e, UCRM_WRITE_NOT_APPLIED);
    set_field(e, m, err, msg);
    if (rc == UCRM_ERR_CONFLICT)
        existing_id_from(e, msg);
    return e;
}

/* ---------------------------------------------------------------------------------------------- REST errors */

static ucrm_error_t *api_error(const sf_state_t *st, const ucrm_req_t *req, const ucrm_resp_t *resp,
                               ucrm_errclass_t *cls) {
    const char *body = resp->body.ptr ? resp->body.ptr : "";
    cJSON *j = resp->body.len ? cJSON_ParseWithLength(body, resp->body.len) : NULL;
    const cJSON *first = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, 0) : cJSON_IsObject(j) ? j : NULL;
    const char *code = ucrm_json__str(first, "errorCode");
    const char *msg = ucrm_json__str(first, "message");
    char text[SHOWN_MAX + 1];
    if (msg)
        shown(msg, strlen(msg), text, sizeof text);
    else if (!j && resp->body.len)
        shown(body, resp->body.len, text, sizeof text);
    else
        snprintf(text, sizeof text, "(no message)");
    bool retriable;
    ucrm_err_t rc = sf_error__code(code, msg, resp->status, &retriable);
    int more = cJSON_IsArray(j) ? cJSON_GetArraySize(j) - 1 : 0;
    ucrm_error_t *e = ucrm_error__new(rc, "Salesforce %d %s: %s%s%s", resp->status, code ? code : "error", text,
                                      more > 0 ? " (and more errors: see the details)" : "",
                                      resp->status == 410 ? " (this API version is retired: set salesforce.api.version)"
                                                          : "");
    if (!e->is_static) {
        ucrm_error__set_provider(e, resp->status, code, NULL);
        if (j)
            ucrm_error__set_details(e, body);
        set_field(e, object_of(st, ucrm_buf__str(&req->url)), first, msg);
        if (rc == UCRM_ERR_CONFLICT)
            existing_id_from(e, msg);
    }
    cls->auth_expired = resp->status == 401;
    cls->rate_limited = rc == UCRM_ERR_RATE_LIMITED;
    cls->not_received = rc == UCRM_ERR_RATE_LIMITED || rc == UCRM_ERR_QUOTA_EXHAUSTED;
    cls->quota_exhausted = rc == UCRM_ERR_QUOTA_EXHAUSTED;
    cls->retriable = retriable;
    const char *ra = ucrm_resp__header(resp, "Retry-After");
    int64_t secs;
    if (ra && ucrm__parse_i64(ra, &secs) && secs >= 0 && secs < 86400)
        cls->retry_after_ms = secs * 1000;
    else if (cls->rate_limited)
        /* The concurrency cap frees a slot as soon as one of the org's long requests ends, which no header
         * announces: look again after a second rather than draining the limiter for a whole window. */
        cls->retry_after_ms = 1000;
    cJSON_Delete(j);
    return e;
}

/* ---------------------------------------------------------------------------------------------- token errors */

static const char *grant_advice(int grant, const char *error) {
    if (ucrm__streq(error, "invalid_client_id") || ucrm__streq(error, "invalid_client"))
        return "the connected app's credentials were rejected: check auth.client.id (consumer key) and "
               "auth.client.secret";
    if (ucrm__streq(error, "unsupported_grant_type"))
        return "the token endpoint does not accept this flow: check auth.method and auth.token.url";
    switch (grant) {
    case UCRM_GRANT_REFRESH_TOKEN:
        return "re-authorisation is needed: the refresh token was revoked or has expired; obtain a new one and set "
               "auth.refresh.token";
    case UCRM_GRANT_JWT_BEARER:
        return "the JWT bearer assertion was refused: check auth.client.id (consumer key), auth.jwt.subject (a user "
               "pre-authorised for the connected app), auth.jwt.audience, the certificate matching "
               "auth.jwt.key.file, and the clock";
    case UCRM_GRANT_CLIENT_CREDENTIALS:
        return "the client-credentials flow was refused: check that the connected app enables it with a Run As "
               "user and that auth.token.url is the org's My Domain URL";
    default:
        return "re-authorisation is needed";
    }
}

static ucrm_error_t *token_error(const sf_state_t *st, const ucrm_resp_t *resp, ucrm_errclass_t *cls) {
    cJSON *j = resp->body.len ? cJSON_ParseWithLength(resp->body.ptr, resp->body.len) : NULL;
    const char *error = ucrm_json__str(j, "error");
    const char *desc = ucrm_json__str(j, "error_description");
    char text[SHOWN_MAX + 1] = "";
    if (desc)
        shown(desc, strlen(desc), text, sizeof text);
    char code[64] = "";
    if (error)
        shown(error, strlen(error), code, sizeof code);
    ucrm_error_t *e;
    if (resp->status >= 500 || resp->status == 429) {
        e = ucrm_error__new(UCRM_ERR_PROVIDER, "Salesforce token endpoint: HTTP %d%s%s", resp->status,
                            text[0] ? ": " : "", text);
        cls->retriable = true;
    } else {
        e = ucrm_error__new(UCRM_ERR_AUTH, "Salesforce token endpoint: HTTP %d %s%s%s%s: %s", resp->status,
                            code[0] ? code : "error", text[0] ? " (" : "", text, text[0] ? ")" : "",
                            grant_advice(st ? st->grant : -1, error));
    }
    if (!e->is_static)
        ucrm_error__set_provider(e, resp->status, code[0] ? code : NULL, NULL);
    cJSON_Delete(j);
    return e;
}

ucrm_error_t *sf_parse_error(void *state, const ucrm_req_t *req, const ucrm_resp_t *resp, ucrm_errclass_t *cls) {
    const sf_state_t *st = state;
    if (req->flags & UCRM_REQ_NO_AUTH)
        return token_error(st, resp, cls);
    return api_error(st, req, resp, cls);
}
