/*
 * control.c -- the test control API under /__fake/ (never rate limited, never faulted, never authenticated,
 * not counted in provider counters):
 *
 *   GET  /__fake/stats                       counters (schema in README.md)
 *   POST /__fake/reset                       back to the start state (records, counters, windows, tokens, faults,
 *                                            clock), then --seed again
 *   GET  /__fake/faults | POST {"rate":0.2,"faults":["429","503","reset","477"],"when":"before"|"after","token":false,
 *                               "retry_after":1}
 *   GET  /__fake/clock  | POST {"advance_ms":N}   move the fake clock forward (token expiry, dates, daily windows)
 *   POST /__fake/revoke {"provider":"hubspot"|"salesforce"}   revoke the refresh token, expire access tokens
 *   GET  /__fake/records/{hubspot|salesforce}/{object}       every record, archived/deleted ones included
 *   POST /__fake/records/{hubspot|salesforce}/{object}       [ {props}, ... ] -> 201 {"ids":[...]}
 *   POST /__fake/purge {"provider":"salesforce","object":"Contact","ids":[...]|"all":true,"queryall_ms":0}
 *                                            empties deleted records from the Recycle Bin
 *   GET/POST /__fake/webhooks                                 HubSpot-style webhook deliveries (webhook_sender.c)
 */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void ok_json(fk_resp_t *rs, int status, cJSON *o)
{
    fk_resp_json(rs, status, o);
}

static void bad(fk_resp_t *rs, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", msg);
    fk_resp_json(rs, 400, o);
}

/* ------------------------------------------------------------------------------------------------ reset */
void fk_reset_all(void)
{
    for (int i = 0; i < FK_HS_NOBJ; i++)
        fk_table_clear(&G.hs[i]);
    for (int i = 0; i < FK_SF_NOBJ; i++)
        fk_table_clear(&G.sf[i]);
    fk_map_free(&G.hs_email);
    fk_soql_cursors_clear();
    fk_tokens_clear();
    free(G.hs_refresh);
    free(G.sf_refresh);
    G.hs_refresh = fk_xstrdup(G.o.refresh_token);
    G.sf_refresh = fk_xstrdup(G.o.refresh_token);
    fk_window_init(&G.hs_win, G.o.hs_rate_max, G.o.hs_rate_ms);
    fk_window_init(&G.hs_search_win, G.o.hs_search_max, G.o.hs_search_ms);
    memset(&G.hs_day, 0, sizeof G.hs_day);
    memset(&G.sf_day, 0, sizeof G.sf_day);
    memset(&G.st, 0, sizeof G.st);
    fk_faults_from_opts();
    G.clock_offset_ms = 0;
    G.hs_next_id = 10001;
    G.sf_next_seq = 100001;
    if (G.o.seed > 0)
        fk_seed(G.o.seed);
}

/* ------------------------------------------------------------------------------------------------ stats */
static void add_n(cJSON *o, const char *k, long v)
{
    cJSON_AddNumberToObject(o, k, (double)v);
}

static void stats(fk_resp_t *rs)
{
    cJSON *o = cJSON_CreateObject(), *x;
    x = cJSON_AddObjectToObject(o, "requests");
    add_n(x, "total", G.st.total);
    add_n(x, "hubspot", G.st.hubspot);
    add_n(x, "salesforce", G.st.salesforce);
    add_n(x, "control", G.st.control);
    add_n(x, "other", G.st.other);
    x = cJSON_AddObjectToObject(o, "status");
    for (int s = 0; s < 600; s++) {
        if (G.st.status[s]) {
            char k[8];
            snprintf(k, sizeof k, "%d", s);
            add_n(x, k, G.st.status[s]);
        }
    }
    x = cJSON_AddObjectToObject(o, "routes");
    for (int i = 0; i < G.st.nroutes; i++) {
        cJSON *r = cJSON_AddObjectToObject(x, G.st.routes[i].name);
        for (int s = 0; s < 600; s++) {
            if (G.st.routes[i].st[s]) {
                char k[8];
                snprintf(k, sizeof k, "%d", s);
                add_n(r, k, G.st.routes[i].st[s]);
            }
        }
    }
    x = cJSON_AddObjectToObject(o, "hubspot");
    add_n(x, "requests", G.st.hs_requests);
    add_n(x, "429", G.st.hs_429);
    add_n(x, "search_requests", G.st.hs_search);
    add_n(x, "search_429", G.st.hs_search_429);
    add_n(x, "window_used", fk_window_count(&G.hs_win, fk_mono_ns()));
    add_n(x, "daily_used", fk_daily_used(&G.hs_day, fk_now_ms()));
    x = cJSON_AddObjectToObject(o, "salesforce");
    add_n(x, "requests", G.st.sf_requests);
    add_n(x, "api_usage", fk_daily_used(&G.sf_day, fk_now_ms()));
    add_n(x, "limit_exceeded", G.st.sf_limit_exceeded);
    x = cJSON_AddObjectToObject(o, "tokens_issued");
    add_n(x, "hubspot", G.st.tok_issued_hs);
    add_n(x, "salesforce", G.st.tok_issued_sf);
    x = cJSON_AddObjectToObject(o, "token_requests");
    add_n(x, "hubspot", G.st.tok_req_hs);
    add_n(x, "salesforce", G.st.tok_req_sf);
    x = cJSON_AddObjectToObject(o, "records");
    cJSON *h = cJSON_AddObjectToObject(x, "hubspot"), *s = cJSON_AddObjectToObject(x, "salesforce");
    for (int i = 0; i < FK_HS_NOBJ; i++)
        add_n(h, fk_hs_obj_name(i), (long)G.hs[i].live);
    for (int i = 0; i < FK_SF_NOBJ; i++)
        add_n(s, fk_sf_obj_name(i), (long)G.sf[i].live);
    x = cJSON_AddObjectToObject(o, "records_purged");
    s = cJSON_AddObjectToObject(x, "salesforce");
    for (int i = 0; i < FK_SF_NOBJ; i++) {
        long n = 0;
        for (size_t k = 0; k < G.sf[i].n; k++)
            n += fk_rec_purged(G.sf[i].v[k]);
        add_n(s, fk_sf_obj_name(i), n);
    }
    x = cJSON_AddObjectToObject(o, "records_archived");
    h = cJSON_AddObjectToObject(x, "hubspot");
    s = cJSON_AddObjectToObject(x, "salesforce");
    for (int i = 0; i < FK_HS_NOBJ; i++)
        add_n(h, fk_hs_obj_name(i), (long)(G.hs[i].n - G.hs[i].live));
    for (int i = 0; i < FK_SF_NOBJ; i++)
        add_n(s, fk_sf_obj_name(i), (long)(G.sf[i].n - G.sf[i].live));
    x = cJSON_AddObjectToObject(o, "faults_injected");
    for (int i = 0; i < FK_NFAULTS; i++)
        add_n(x, fk_fault_names[i], G.st.faults[i]);
    add_n(o, "clock_ms", (long)fk_now_ms());
    ok_json(rs, 200, o);
}

/* ------------------------------------------------------------------------------------------------ faults */
static cJSON *faults_json(void)
{
    cJSON *o = cJSON_CreateObject(), *arr;
    cJSON_AddNumberToObject(o, "rate", G.faults.rate);
    arr = cJSON_AddArrayToObject(o, "faults");
    for (int i = 0; i < FK_NFAULTS; i++)
        if (G.faults.enabled[i])
            cJSON_AddItemToArray(arr, cJSON_CreateString(fk_fault_names[i]));
    cJSON_AddStringToObject(o, "when", G.faults.after ? "after" : "before");
    cJSON_AddBoolToObject(o, "token", G.faults.tokens);
    cJSON_AddNumberToObject(o, "timeout_ms", (double)G.o.fault_timeout_ms);
    cJSON_AddNumberToObject(o, "retry_after", (double)G.faults.retry_after_s);
    return o;
}

static void faults_post(fk_req_t *rq, fk_resp_t *rs)
{
    cJSON *b = cJSON_ParseWithLength(rq->body, rq->body_len);
    fk_faults_t f = G.faults;
    const cJSON *rate = cJSON_GetObjectItemCaseSensitive(b, "rate"), *list = cJSON_GetObjectItemCaseSensitive(b, "faults");
    const char *when = fk_json_str(b, "when");
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(b, "token");
    const cJSON *ra = cJSON_GetObjectItemCaseSensitive(b, "retry_after");
    const char *err = NULL;
    if (!cJSON_IsObject(b))
        err = "body must be a JSON object";
    else if (rate && (!cJSON_IsNumber(rate) || rate->valuedouble < 0 || rate->valuedouble > 1))
        err = "rate must be a number between 0 and 1";
    else if (when && strcmp(when, "before") && strcmp(when, "after"))
        err = "when must be \"before\" or \"after\"";
    else if (list && !cJSON_IsArray(list))
        err = "faults must be a list";
    else if (ra && (!cJSON_IsNumber(ra) || ra->valuedouble < 0 || ra->valuedouble > 86400 * 7))
        err = "retry_after must be a number of seconds between 0 and 604800";
    if (!err && list) {
        fk_buf_t csv = {0};
        const cJSON *e;
        cJSON_ArrayForEach(e, list)
        {
            if (!cJSON_IsString(e))
                err = "faults must be strings";
            else
                fk_buf_printf(&csv, "%s%s", csv.len ? "," : "", e->valuestring);
        }
        if (!err && fk_faults_parse_list(csv.s ? csv.s : "", f.enabled))
            err = "unknown fault kind (known: 429, 500, 503, reset, timeout, badjson, 477)";
        free(csv.s);
    }
    if (err) {
        bad(rs, err);
    } else {
        if (rate)
            f.rate = rate->valuedouble;
        if (when)
            f.after = strcmp(when, "after") == 0;
        if (tok)
            f.tokens = cJSON_IsTrue(tok);
        if (ra)
            f.retry_after_s = (long)ra->valuedouble;
        G.faults = f;
        ok_json(rs, 200, faults_json());
    }
    cJSON_Delete(b);
}

/* ------------------------------------------------------------------------------------------------ clock, revoke */
static cJSON *clock_json(void)
{
    char ts[32];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "now_ms", (double)fk_now_ms());
    fk_fmt_hs_datetime(fk_now_ms(), ts);
    cJSON_AddStringToObject(o, "now", ts);
    cJSON_AddNumberToObject(o, "offset_ms", (double)G.clock_offset_ms);
    return o;
}

static void clock_post(fk_req_t *rq, fk_resp_t *rs)
{
    cJSON *b = cJSON_ParseWithLength(rq->body, rq->body_len);
    const cJSON *adv = cJSON_GetObjectItemCaseSensitive(b, "advance_ms");
    if (!cJSON_IsNumber(adv) || adv->valuedouble < 0 || adv->valuedouble > 1e13)
        bad(rs, "advance_ms must be a non-negative number");
    else {
        G.clock_offset_ms += (int64_t)adv->valuedouble;
        ok_json(rs, 200, clock_json());
    }
    cJSON_Delete(b);
}

static void revoke(fk_req_t *rq, fk_resp_t *rs)
{
    cJSON *b = cJSON_ParseWithLength(rq->body, rq->body_len);
    const char *p = fk_json_str(b, "provider");
    if (p && strcmp(p, "hubspot") == 0)
        fk_tokens_revoke(FK_P_HUBSPOT);
    else if (p && strcmp(p, "salesforce") == 0)
        fk_tokens_revoke(FK_P_SALESFORCE);
    if (!p || (strcmp(p, "hubspot") && strcmp(p, "salesforce"))) {
        bad(rs, "provider must be \"hubspot\" or \"salesforce\"");
    } else {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "revoked", p);
        ok_json(rs, 200, o);
    }
    cJSON_Delete(b);
}

/* ------------------------------------------------------------------------------------------------ records */
static void records_get(fk_resp_t *rs, int hs, int obj)
{
    const fk_table_t *t = hs ? &G.hs[obj] : &G.sf[obj];
    cJSON *o = cJSON_CreateObject();
    cJSON *total = cJSON_AddNumberToObject(o, "total", 0);
    cJSON *arr = cJSON_AddArrayToObject(o, "records");
    for (size_t i = 0; i < t->n; i++) {
        cJSON *r;
        if (fk_rec_purged(t->v[i]))
            continue; /* emptied from the Recycle Bin: gone */
        if (hs) {
            r = fk_hs_render_full(t->v[i]);
            fk_hs_add_all_associations(r, t->v[i]);
        } else {
            r = fk_sf_render(t->v[i], "v59.0", NULL, 0);
        }
        cJSON_AddItemToArray(arr, r);
    }
    cJSON_SetNumberValue(total, cJSON_GetArraySize(arr));
    ok_json(rs, 200, o);
}

static int64_t take_time(cJSON *props, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(props, name);
    int64_t ms = 0;
    int ok = cJSON_IsString(v) && fk_parse_time_value(v->valuestring, &ms) == 0;
    if (cJSON_IsNumber(v)) {
        ms = (int64_t)v->valuedouble;
        ok = 1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(props, name);
    return ok ? ms : 0;
}

static const char *seed_hs(int obj, cJSON *props, fk_rec_t **out)
{
    int archived = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(props, "archived"));
    cJSON_DeleteItemFromObjectCaseSensitive(props, "archived");
    int64_t created = take_time(props, "createdate");
    int64_t modified = take_time(props, fk_hs_modified_prop(obj));
    cJSON_DeleteItemFromObjectCaseSensitive(props, "hs_object_id");
    fk_rec_t *r = fk_hs_create(obj, props);
    char ts[32];
    if (created) {
        r->created_ms = created;
        fk_fmt_hs_datetime(created, ts);
        cJSON_ReplaceItemInObjectCaseSensitive(r->f, "createdate", cJSON_CreateString(ts));
    }
    if (modified || created) {
        r->modified_ms = modified ? modified : created;
        fk_fmt_hs_datetime(r->modified_ms, ts);
        cJSON_ReplaceItemInObjectCaseSensitive(r->f, fk_hs_modified_prop(obj), cJSON_CreateString(ts));
    }
    if (archived)
        fk_hs_archive(r);
    *out = r;
    return NULL;
}

static const char *seed_sf(int obj, cJSON *props, fk_rec_t **out, fk_sf_err_t *e)
{
    int deleted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(props, "IsDeleted"));
    cJSON_DeleteItemFromObjectCaseSensitive(props, "IsDeleted");
    int64_t created = take_time(props, "CreatedDate");
    int64_t modified = take_time(props, "LastModifiedDate");
    int64_t stamp = take_time(props, "SystemModstamp");
    if (fk_sf_validate(obj, props, 1, e))
        return e->msg;
    fk_rec_t *r = fk_sf_insert(obj, props);
    char ts[32];
    if (created) {
        r->created_ms = created;
        fk_fmt_sf_datetime(created, ts);
        cJSON_ReplaceItemInObjectCaseSensitive(r->f, "CreatedDate", cJSON_CreateString(ts));
    }
    if (modified || stamp || created) {
        r->modified_ms = stamp ? stamp : modified ? modified : created;
        fk_fmt_sf_datetime(modified ? modified : r->modified_ms, ts);
        cJSON_ReplaceItemInObjectCaseSensitive(r->f, "LastModifiedDate", cJSON_CreateString(ts));
        fk_fmt_sf_datetime(r->modified_ms, ts);
        cJSON_ReplaceItemInObjectCaseSensitive(r->f, "SystemModstamp", cJSON_CreateString(ts));
    }
    if (deleted)
        fk_sf_delete(r);
    *out = r;
    return NULL;
}

static void records_post(fk_req_t *rq, fk_resp_t *rs, int hs, int obj)
{
    cJSON *b = cJSON_ParseWithLength(rq->body, rq->body_len);
    if (!cJSON_IsArray(b)) {
        bad(rs, "body must be a JSON array of property objects");
        cJSON_Delete(b);
        return;
    }
    cJSON *o = cJSON_CreateObject(), *ids = cJSON_AddArrayToObject(o, "ids");
    const cJSON *e;
    G.seeding = 1;
    cJSON_ArrayForEach(e, b)
    {
        cJSON *props = cJSON_Duplicate(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(e, "properties"))
                                           ? cJSON_GetObjectItemCaseSensitive(e, "properties")
                                           : e,
                                       1);
        fk_rec_t *r = NULL;
        fk_sf_err_t err;
        if (cJSON_IsObject(props) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "archived")) &&
            !cJSON_GetObjectItemCaseSensitive(props, "archived"))
            cJSON_AddTrueToObject(props, "archived");
        const char *msg = cJSON_IsObject(props) ? (hs ? seed_hs(obj, props, &r) : seed_sf(obj, props, &r, &err))
                                                : "each element must be an object";
        cJSON_Delete(props);
        if (msg) {
            G.seeding = 0;
            cJSON_Delete(o);
            cJSON_Delete(b);
            bad(rs, msg);
            return;
        }
        cJSON_AddItemToArray(ids, cJSON_CreateString(r->id));
    }
    G.seeding = 0;
    cJSON_Delete(b);
    ok_json(rs, 201, o);
}

/* ------------------------------------------------------------------------------------------------ purge */
/* Marks one deleted record as emptied from the Recycle Bin, queryable through queryAll for grace_ms more. */
static const char *purge_one(fk_rec_t *r, int64_t grace_ms)
{
    if (!r || fk_rec_purged(r))
        return "not found";
    if (!r->deleted)
        return "not deleted";
    int64_t at = fk_now_ms() + grace_ms;
    if (!r->purged_ms || at < r->purged_ms)
        r->purged_ms = at ? at : 1;
    return NULL;
}

static void purge_report(cJSON *done, cJSON *errors, const char *id, const char *err)
{
    if (!err) {
        cJSON_AddItemToArray(done, cJSON_CreateString(id));
        return;
    }
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "id", id);
    cJSON_AddStringToObject(e, "error", err);
    cJSON_AddItemToArray(errors, e);
}

/* Salesforce emptyRecycleBin / the Recycle Bin's own purge: the records stay in getDeleted (PROTOCOL A4) but,
 * after queryall_ms (Salesforce: "typically 24 hours"; default 0 = already past), queryAll and GET no longer
 * find them. */
static void purge(fk_req_t *rq, fk_resp_t *rs)
{
    cJSON *b = cJSON_ParseWithLength(rq->body, rq->body_len);
    const char *prov = fk_json_str(b, "provider"), *objname = fk_json_str(b, "object");
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(b, "ids"), *grace = cJSON_GetObjectItemCaseSensitive(b, "queryall_ms");
    int all = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "all"));
    int obj = objname ? fk_sf_obj_from_name(objname) : -1;
    const char *err = NULL;
    if (!prov || strcmp(prov, "salesforce") != 0)
        err = "provider must be \"salesforce\" (HubSpot's recycle bin is not modelled)";
    else if (objname && obj < 0)
        err = "unknown object";
    else if (!all && !cJSON_IsArray(ids))
        err = "give \"ids\":[...] or \"all\":true";
    else if (grace && (!cJSON_IsNumber(grace) || grace->valuedouble < 0 || grace->valuedouble > 1e12))
        err = "queryall_ms must be a non-negative number";
    if (err) {
        bad(rs, err);
        cJSON_Delete(b);
        return;
    }
    int64_t g = grace ? (int64_t)grace->valuedouble : 0;
    cJSON *o = cJSON_CreateObject(), *done = cJSON_AddArrayToObject(o, "purged"), *errors = cJSON_AddArrayToObject(o, "errors");
    if (all) {
        for (int k = 0; k < FK_SF_NOBJ; k++)
            for (size_t i = 0; (obj < 0 || obj == k) && i < G.sf[k].n; i++)
                if (G.sf[k].v[i]->deleted && !purge_one(G.sf[k].v[i], g))
                    cJSON_AddItemToArray(done, cJSON_CreateString(G.sf[k].v[i]->id));
    } else {
        const cJSON *e;
        cJSON_ArrayForEach(e, ids)
        {
            const char *id = cJSON_IsString(e) ? e->valuestring : "";
            char canon[19];
            fk_rec_t *r = NULL;
            for (int k = 0; k < FK_SF_NOBJ && !r; k++)
                if ((obj < 0 || obj == k) && fk_sf_canon_id(id, canon) == 0)
                    r = fk_table_get(&G.sf[k], canon);
            purge_report(done, errors, id, purge_one(r, g));
        }
    }
    ok_json(rs, 200, o);
    cJSON_Delete(b);
}

static void records(fk_req_t *rq, fk_resp_t *rs, const char *prov, const char *objname)
{
    int hs = strcmp(prov, "hubspot") == 0;
    int obj = hs ? fk_hs_obj_from_name(objname) : strcmp(prov, "salesforce") == 0 ? fk_sf_obj_from_name(objname) : -1;
    if (obj < 0) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "error", "unknown provider or object");
        fk_resp_json(rs, 404, o);
        return;
    }
    if (strcmp(rq->method, "GET") == 0)
        records_get(rs, hs, obj);
    else
        records_post(rq, rs, hs, obj);
}

void fk_control(fk_req_t *rq, fk_resp_t *rs)
{
    fk_cap_t c;
    if (fk_route(rq, "GET", "/__fake/stats", NULL))
        stats(rs);
    else if (fk_route(rq, "POST", "/__fake/reset", NULL)) {
        fk_reset_all();
        G.st.total = G.st.control = 1; /* this request */
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "reset", 1);
        ok_json(rs, 200, o);
    } else if (fk_route(rq, "GET", "/__fake/faults", NULL))
        ok_json(rs, 200, faults_json());
    else if (fk_route(rq, "POST", "/__fake/faults", NULL))
        faults_post(rq, rs);
    else if (fk_route(rq, "GET", "/__fake/clock", NULL))
        ok_json(rs, 200, clock_json());
    else if (fk_route(rq, "POST", "/__fake/clock", NULL))
        clock_post(rq, rs);
    else if (fk_route(rq, "POST", "/__fake/revoke", NULL))
        revoke(rq, rs);
    else if (fk_route(rq, "GET", "/__fake/records/{provider}/{object}", c) ||
             fk_route(rq, "POST", "/__fake/records/{provider}/{object}", c))
        records(rq, rs, c[0], c[1]);
    else if (fk_route(rq, "POST", "/__fake/purge", NULL))
        purge(rq, rs);
    else if (fk_route(rq, "GET", "/__fake/webhooks", NULL) || fk_route(rq, "POST", "/__fake/webhooks", NULL))
        fk_webhooks_route(rq, rs);
    else
        fk_not_found(rq, rs);
}
