/*
 * dispatch.c -- request routing shared by both providers: classification, authentication, rate limits and
 * daily budgets, fault injection points, statistics, and the providers' error bodies.
 *
 * Order for a provider API request:
 *   fault "before" (nothing is processed, nothing is counted against any budget)
 *   -> authentication (401) -> budget (HubSpot 10 s window / search window / daily; Salesforce daily)
 *   -> route handler -> fault "after" (the handler's effects stay, its response is replaced or lost)
 *   -> limit headers.
 */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------------ routing */
static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decodes the n bytes at s into out (cap bytes); returns the decoded length, or -1 when it does not fit. */
static long decode_segment(const char *s, size_t n, char *out, size_t cap)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (w + 1 >= cap)
            return -1;
        int a = s[i] == '%' && i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
        int b = a >= 0 ? hexval((unsigned char)s[i + 2]) : -1;
        if (a >= 0 && b >= 0) {
            out[w++] = (char)(a * 16 + b);
            i += 2;
        } else {
            out[w++] = s[i];
        }
    }
    out[w] = '\0';
    return (long)w;
}

/* The path is split into segments as sent and each segment is decoded on its own, so an encoded slash (%2F) is
 * data inside a segment (an external-id value "a/b"), never a separator (RFC 3986 section 2.2). */
int fk_route(fk_req_t *rq, const char *method, const char *pattern, fk_cap_t caps)
{
    const char *p = rq->raw_path ? rq->raw_path : rq->path, *q = pattern;
    int nc = 0;
    while (*q) {
        if (*p != '/' || *q != '/')
            return 0;
        p++;
        q++;
        const char *pe = strchr(p, '/'), *qe = strchr(q, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), ql = qe ? (size_t)(qe - q) : strlen(q);
        char seg[256];
        long sl = decode_segment(p, pl, seg, sizeof seg);
        int ok;
        if (ql >= 2 && q[0] == '{' && q[ql - 1] == '}') {
            ok = sl > 0 && strlen(seg) == (size_t)sl;
            if (ok && caps && nc < 4)
                memcpy(caps[nc], seg, (size_t)sl + 1);
            nc++;
        } else {
            ok = sl >= 0 && (size_t)sl == ql && memcmp(seg, q, ql) == 0;
        }
        if (!ok)
            return 0;
        p += pl;
        q += ql;
    }
    if (!(*p == '\0' || (p[0] == '/' && p[1] == '\0')))
        return 0;
    if (method && strcmp(method, rq->method) != 0) {
        rq->path_matched = 1;
        return 0;
    }
    snprintf(rq->route, sizeof rq->route, "%s %s", rq->method, pattern);
    return 1;
}

void fk_not_found(fk_req_t *rq, fk_resp_t *rs)
{
    if (rq->path_matched) {
        if (!rq->route[0])
            snprintf(rq->route, sizeof rq->route, "%s (method not allowed)", rq->method);
        if (rq->provider == FK_P_SALESFORCE)
            fk_sf_error(rs, 405, "METHOD_NOT_ALLOWED", "HTTP Method not allowed for this resource", NULL);
        else
            fk_resp_empty(rs, 405);
        return;
    }
    if (!rq->route[0])
        snprintf(rq->route, sizeof rq->route, "%s (unknown)", rq->method);
    if (rq->provider == FK_P_SALESFORCE)
        fk_sf_error(rs, 404, "NOT_FOUND", "The requested resource does not exist", NULL);
    else if (rq->provider == FK_P_HUBSPOT)
        fk_hs_error(rs, 404, "OBJECT_NOT_FOUND", "resource not found", NULL);
    else
        fk_resp_set(rs, 404, fk_xstrdup("{\"status\":\"error\",\"message\":\"not found\"}"),
                    "application/json;charset=UTF-8");
}

/* ------------------------------------------------------------------------------------------------ errors */
void fk_hs_error(fk_resp_t *rs, int status, const char *category, const char *message, cJSON *context)
{
    char cid[37];
    fk_uuid(cid);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "status", "error");
    cJSON_AddStringToObject(j, "message", message);
    cJSON_AddStringToObject(j, "correlationId", cid);
    if (context)
        cJSON_AddItemToObject(j, "context", context);
    cJSON_AddStringToObject(j, "category", category);
    fk_resp_json(rs, status, j);
}

void fk_sf_error_fields(fk_resp_t *rs, int status, const char *code, const char *message, cJSON *fields)
{
    cJSON *arr = cJSON_CreateArray(), *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "message", message);
    cJSON_AddStringToObject(e, "errorCode", code);
    if (fields)
        cJSON_AddItemToObject(e, "fields", fields);
    cJSON_AddItemToArray(arr, e);
    fk_resp_json(rs, status, arr);
}

void fk_sf_error(fk_resp_t *rs, int status, const char *code, const char *message, const char *field)
{
    cJSON *fields = NULL;
    if (field) {
        fields = cJSON_CreateArray();
        if (*field)
            cJSON_AddItemToArray(fields, cJSON_CreateString(field));
    }
    fk_sf_error_fields(rs, status, code, message, fields);
}

/* ------------------------------------------------------------------------------------------------ stats */
void fk_stats_count(const fk_req_t *rq, int status)
{
    if (status < 0 || status >= 600)
        status = 0;
    G.st.status[status]++;
    const char *name = rq->route[0] ? rq->route : rq->method;
    for (int i = 0; i < G.st.nroutes; i++) {
        if (strcmp(G.st.routes[i].name, name) == 0) {
            G.st.routes[i].st[status]++;
            return;
        }
    }
    if (G.st.nroutes < FK_MAX_ROUTES) {
        fk_route_stat_t *r = &G.st.routes[G.st.nroutes++];
        snprintf(r->name, sizeof r->name, "%s", name);
        r->st[status]++;
    }
}

/* ------------------------------------------------------------------------------------------------ HubSpot */
static void hs_rate_headers(fk_req_t *rq, fk_resp_t *rs)
{
    int64_t now = fk_mono_ns();
    long used = fk_window_count(&G.hs_win, now);
    long rem = G.o.hs_rate_max - used;
    if (rem < 0)
        rem = 0;
    fk_resp_header(rs, "X-HubSpot-RateLimit-Interval-Milliseconds", "%ld", G.o.hs_rate_ms);
    fk_resp_header(rs, "X-HubSpot-RateLimit-Max", "%ld", G.o.hs_rate_max);
    fk_resp_header(rs, "X-HubSpot-RateLimit-Remaining", "%ld", rem);
    long secondly = (G.o.hs_rate_max * 1000 + G.o.hs_rate_ms - 1) / G.o.hs_rate_ms;
    fk_resp_header(rs, "X-HubSpot-RateLimit-Secondly", "%ld", secondly);
    fk_resp_header(rs, "X-HubSpot-RateLimit-Secondly-Remaining", "%ld", rem < secondly ? rem : secondly);
    if (!rq->hs_oauth) {
        long dused = fk_daily_used(&G.hs_day, fk_now_ms());
        long drem = G.o.hs_daily - dused;
        fk_resp_header(rs, "X-HubSpot-RateLimit-Daily", "%ld", G.o.hs_daily);
        fk_resp_header(rs, "X-HubSpot-RateLimit-Daily-Remaining", "%ld", drem < 0 ? 0 : drem);
    }
}

static void hs_429(fk_resp_t *rs, const char *policy, const char *message)
{
    char cid[37], rid[37];
    fk_uuid(cid);
    fk_uuid(rid);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "status", "error");
    cJSON_AddStringToObject(j, "message", message);
    cJSON_AddStringToObject(j, "errorType", "RATE_LIMIT");
    cJSON_AddStringToObject(j, "correlationId", cid);
    cJSON_AddStringToObject(j, "policyName", policy);
    cJSON_AddStringToObject(j, "requestId", rid);
    fk_resp_json(rs, 429, j);
    G.st.hs_429++;
}

static int hs_is_search(const fk_req_t *rq)
{
    size_t n = strlen(rq->path);
    return strcmp(rq->method, "POST") == 0 && strncmp(rq->path, "/crm/v3/objects/", 16) == 0 && n > 7 &&
           (strcmp(rq->path + n - 7, "/search") == 0 || strcmp(rq->path + n - 8, "/search/") == 0);
}

/* Authentication and budgets. Returns 1 when the request was answered here. */
static int hs_gate(fk_req_t *rq, fk_resp_t *rs, int search)
{
    int oauth = 0;
    int64_t expired = 0;
    int a = fk_auth_check(rq, FK_P_HUBSPOT, &oauth, &expired);
    if (a == 1) {
        fk_hs_error(rs, 401, "INVALID_AUTHENTICATION",
                    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
                    "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                    NULL);
        return 1;
    }
    if (a == 2) {
        char msg[160], when[32];
        long ago = (long)((fk_now_ms() - expired) / 1000);
        snprintf(msg, sizeof msg, "The OAuth token used to make this call expired %ld second(s) ago.", ago);
        fk_fmt_hs_datetime(expired, when);
        cJSON *ctx = cJSON_CreateObject(), *arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, cJSON_CreateString(when));
        cJSON_AddItemToObject(ctx, "expire time", arr);
        fk_hs_error(rs, 401, "EXPIRED_AUTHENTICATION", msg, ctx);
        return 1;
    }
    rq->hs_oauth = oauth;
    int64_t now = fk_mono_ns();
    if (search) {
        G.st.hs_search++;
        if (!oauth && fk_daily_used(&G.hs_day, fk_now_ms()) >= G.o.hs_daily) {
            hs_429(rs, "DAILY", "You have reached your daily limit.");
            return 1;
        }
        if (!fk_window_try(&G.hs_search_win, now)) {
            G.st.hs_search_429++;
            hs_429(rs, "SECONDLY", "You have reached your secondly limit.");
            return 1;
        }
        if (!oauth)
            fk_daily_add(&G.hs_day, fk_now_ms()); /* searches are API calls: they use the daily budget too */
        return 0;
    }
    if (!oauth && fk_daily_used(&G.hs_day, fk_now_ms()) >= G.o.hs_daily) {
        hs_429(rs, "DAILY", "You have reached your daily limit.");
        hs_rate_headers(rq, rs);
        return 1;
    }
    if (!fk_window_try(&G.hs_win, now)) {
        hs_429(rs, "TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.");
        hs_rate_headers(rq, rs);
        return 1;
    }
    if (!oauth)
        fk_daily_add(&G.hs_day, fk_now_ms());
    return 0;
}

static void hs_oauth_routes(fk_req_t *rq, fk_resp_t *rs)
{
    fk_cap_t c;
    if (fk_route(rq, "POST", "/oauth/v1/token", NULL)) {
        fk_oauth_hubspot(rq, rs);
    } else if (fk_route(rq, "GET", "/oauth/v1/access-tokens/{token}", c)) {
        fk_oauth_hubspot_tokeninfo(rq, rs, c[0], 0);
    } else if (fk_route(rq, "GET", "/oauth/v1/refresh-tokens/{token}", c)) {
        fk_oauth_hubspot_tokeninfo(rq, rs, c[0], 1);
    } else {
        fk_not_found(rq, rs);
    }
}

static void hs_entry(fk_req_t *rq, fk_resp_t *rs)
{
    G.st.hubspot++;
    int oauth_path = strncmp(rq->path, "/oauth/", 7) == 0;
    if (oauth_path) {
        rq->token_route = 1;
        G.st.tok_req_hs++;
    } else {
        rq->api_route = 1;
        G.st.hs_requests++;
    }
    int fault = fk_fault_pick(rq);
    if (fault >= 0 && !G.faults.after) {
        fk_fault_apply(rq, rs, fault, 0);
        if (!rq->route[0])
            snprintf(rq->route, sizeof rq->route, "%s (fault)", rq->method);
        return;
    }
    int search = 0;
    if (oauth_path) {
        hs_oauth_routes(rq, rs);
    } else {
        search = hs_is_search(rq);
        if (hs_gate(rq, rs, search)) {
            snprintf(rq->route, sizeof rq->route, "%s %s", rq->method, search ? "/crm/v3/objects/{type}/search" : "/crm/*");
            return;
        }
        if (strncmp(rq->path, "/crm/v4/", 8) == 0)
            fk_hs_assoc_route(rq, rs);
        else
            fk_hs_route(rq, rs);
    }
    if (fault >= 0)
        fk_fault_apply(rq, rs, fault, 1);
    if (!oauth_path && !search && rs->action == FK_ACT_RESPOND)
        hs_rate_headers(rq, rs);
}

/* ------------------------------------------------------------------------------------------------ Salesforce */
static void sf_limit_header(fk_resp_t *rs)
{
    fk_resp_header(rs, "Sforce-Limit-Info", "api-usage=%ld/%ld", fk_daily_used(&G.sf_day, fk_now_ms()),
                   G.o.sf_daily);
}

static void sf_versions(fk_req_t *rq, fk_resp_t *rs)
{
    static const char *labels[] = {"Summer '14", "Winter '15", "Spring '15", "Summer '15", "Winter '16", "Spring '16",
                                   "Summer '16", "Winter '17", "Spring '17", "Summer '17", "Winter '18",
                                   "Spring '18", "Summer '18", "Winter '19", "Spring '19", "Summer '19",
                                   "Winter '20", "Spring '20", "Summer '20", "Winter '21", "Spring '21",
                                   "Summer '21", "Winter '22", "Spring '22", "Summer '22", "Winter '23",
                                   "Spring '23", "Summer '23", "Winter '24", "Spring '24", "Summer '24",
                                   "Winter '25", "Spring '25", "Summer '25", "Winter '26", "Spring '26",
                                   "Summer '26"};
    (void)rq;
    cJSON *arr = cJSON_CreateArray();
    for (int v = 31; v <= 67; v++) {
        char ver[16], url[48];
        snprintf(ver, sizeof ver, "%d.0", v);
        snprintf(url, sizeof url, "/services/data/v%d.0", v);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "label", labels[v - 31]);
        cJSON_AddStringToObject(o, "url", url);
        cJSON_AddStringToObject(o, "version", ver);
        cJSON_AddItemToArray(arr, o);
    }
    fk_resp_json(rs, 200, arr);
}

static int sf_gate(fk_req_t *rq, fk_resp_t *rs)
{
    int oauth = 0;
    int64_t expired = 0;
    if (fk_auth_check(rq, FK_P_SALESFORCE, &oauth, &expired) != 0) {
        fk_sf_error(rs, 401, "INVALID_SESSION_ID", "Session expired or invalid", NULL);
        return 1;
    }
    int64_t now = fk_now_ms();
    if (fk_daily_used(&G.sf_day, now) >= G.o.sf_daily) {
        G.st.sf_limit_exceeded++;
        fk_sf_error(rs, 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", NULL);
        return 1;
    }
    fk_daily_add(&G.sf_day, now);
    return 0;
}

static void sf_entry(fk_req_t *rq, fk_resp_t *rs)
{
    G.st.salesforce++;
    if (strncmp(rq->path, "/services/oauth2/", 17) == 0) {
        rq->token_route = 1;
        G.st.tok_req_sf++;
        int fault = fk_fault_pick(rq);
        if (fault >= 0 && !G.faults.after) {
            fk_fault_apply(rq, rs, fault, 0);
            snprintf(rq->route, sizeof rq->route, "%s (fault)", rq->method);
            return;
        }
        if (fk_route(rq, "POST", "/services/oauth2/token", NULL))
            fk_oauth_salesforce(rq, rs);
        else if (fk_route(rq, NULL, "/services/oauth2/revoke", NULL))
            fk_oauth_salesforce_revoke(rq, rs);
        else
            fk_not_found(rq, rs);
        if (fault >= 0)
            fk_fault_apply(rq, rs, fault, 1);
        return;
    }
    if (fk_route(rq, "GET", "/services/data", NULL)) {
        sf_versions(rq, rs);
        return;
    }
    if (strncmp(rq->path, "/services/data/", 15) != 0) {
        fk_not_found(rq, rs);
        return;
    }
    rq->api_route = 1;
    G.st.sf_requests++;
    int fault = fk_fault_pick(rq);
    if (fault >= 0 && !G.faults.after) {
        fk_fault_apply(rq, rs, fault, 0);
        snprintf(rq->route, sizeof rq->route, "%s (fault)", rq->method);
        return;
    }
    if (sf_gate(rq, rs)) {
        snprintf(rq->route, sizeof rq->route, "%s /services/data/*", rq->method);
    } else {
        fk_sf_route(rq, rs);
    }
    if (fault >= 0)
        fk_fault_apply(rq, rs, fault, 1);
    if (rs->action == FK_ACT_RESPOND)
        sf_limit_header(rs);
}

/* ------------------------------------------------------------------------------------------------ entry */
void fk_dispatch(fk_req_t *rq, fk_resp_t *rs)
{
    pthread_mutex_lock(&G.lock);
    G.st.total++;
    if (strncmp(rq->path, "/__fake/", 8) == 0 || strcmp(rq->path, "/__fake") == 0) {
        rq->provider = FK_P_CONTROL;
        G.st.control++;
        fk_control(rq, rs);
    } else if (strncmp(rq->path, "/crm/", 5) == 0 || strncmp(rq->path, "/oauth/", 7) == 0) {
        rq->provider = FK_P_HUBSPOT;
        hs_entry(rq, rs);
    } else if (strncmp(rq->path, "/services/", 10) == 0 || strcmp(rq->path, "/services") == 0) {
        rq->provider = FK_P_SALESFORCE;
        sf_entry(rq, rs);
    } else {
        rq->provider = FK_P_OTHER;
        G.st.other++;
        fk_not_found(rq, rs);
    }
    if (rs->status == 0)
        fk_resp_empty(rs, 500);
    fk_stats_count(rq, rs->action == FK_ACT_RESPOND ? rs->status : 0);
    pthread_mutex_unlock(&G.lock);
}
