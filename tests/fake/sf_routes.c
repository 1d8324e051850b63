/*
 * sf_routes.c -- Salesforce REST under /services/data/vXX.X (PROTOCOL A1-A4, A7): sObject create / get
 * (?fields=) / PATCH / DELETE, upsert / get / delete by external id, getUpdated / getDeleted, /limits, describe,
 * and the dispatch to query and composite.
 *
 * Versions: 31.0..67.0 are served; 21.0..30.0 answer 410 (retired), anything else 404. Upserts that update
 * answer 200 with {"created":false} from v46.0 and 204 before (A2).
 */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SF_MIN_VERSION 31.0
#define SF_MAX_VERSION 67.0

int fk_sf_parse_body(const fk_req_t *rq, fk_resp_t *rs, cJSON **out)
{
    const char *end = NULL;
    *out = NULL;
    if (rq->body_len > 0)
        *out = cJSON_ParseWithLengthOpts(rq->body, rq->body_len, &end, 0);
    if (*out) {
        while (end && end < rq->body + rq->body_len && strchr(" \r\n\t", *end))
            end++;
        if (end == rq->body + rq->body_len)
            return 0;
        cJSON_Delete(*out);
        *out = NULL;
    }
    char msg[256];
    if (rq->body_len == 0) {
        snprintf(msg, sizeof msg, "No content to map due to end-of-input at [line:1, column:0]");
    } else {
        int line = 1, col = 1;
        const char *stop = end ? end : rq->body + rq->body_len;
        for (const char *p = rq->body; p < stop; p++) {
            if (*p == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        unsigned char c = stop < rq->body + rq->body_len ? (unsigned char)*stop : '?';
        if (c < 0x20 || c > 0x7e)
            c = '?';
        snprintf(msg, sizeof msg, "Unexpected character ('%c' (code %d)): expected a valid value (number, String, "
                 "array, object, 'true', 'false' or 'null') at [line:%d, column:%d]", c, c, line, col);
    }
    fk_sf_error(rs, 400, "JSON_PARSER_ERROR", msg, NULL);
    return -1;
}

static void sf_err(fk_resp_t *rs, const fk_sf_err_t *e)
{
    fk_sf_error(rs, e->status, e->code, e->msg, e->field[0] ? e->field : NULL);
}

static void entity_deleted(fk_resp_t *rs)
{
    fk_sf_error(rs, 404, "ENTITY_IS_DELETED", "entity is deleted", "");
}

static void no_such_column(fk_resp_t *rs, int obj, const char *f)
{
    char msg[400];
    snprintf(msg, sizeof msg, "No such column '%.80s' on entity '%s'. If you are attempting to use a custom field, be "
             "sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call "
             "for the appropriate names.", f, fk_sf_obj_name(obj));
    fk_sf_error(rs, 400, "INVALID_FIELD", msg, NULL);
}

/* Resolves an id from the URL: 404 for garbage, MALFORMED_ID for another object's id. */
static fk_rec_t *lookup_id(fk_resp_t *rs, int obj, const char *id)
{
    char canon[19];
    if (fk_sf_canon_id(id, canon)) {
        char msg[320];
        snprintf(msg, sizeof msg, "Provided external ID field does not exist or is not accessible: %.200s", id);
        fk_sf_error(rs, 404, "NOT_FOUND", msg, NULL);
        return NULL;
    }
    if (strncmp(canon, fk_sf_obj_prefix(obj), 3) != 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s ID: id value of incorrect type: %.100s", fk_sf_obj_name(obj), id);
        fk_sf_error(rs, 400, "MALFORMED_ID", msg, "Id");
        return NULL;
    }
    fk_rec_t *r = fk_table_get(&G.sf[obj], canon);
    if (r && fk_rec_purged(r))
        r = NULL; /* emptied from the Recycle Bin: the id no longer exists */
    if (!r)
        fk_sf_error(rs, 404, "NOT_FOUND", "The requested resource does not exist", NULL);
    return r;
}

static void created_body(fk_resp_t *rs, int status, const fk_rec_t *r, int with_created, int created)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", r->id);
    cJSON_AddBoolToObject(o, "success", 1);
    cJSON_AddArrayToObject(o, "errors");
    if (with_created)
        cJSON_AddBoolToObject(o, "created", created);
    fk_resp_json(rs, status, o);
}

static void sf_create(fk_req_t *rq, fk_resp_t *rs, int obj)
{
    cJSON *body;
    fk_sf_err_t e;
    if (fk_sf_parse_body(rq, rs, &body))
        return;
    if (fk_sf_validate(obj, body, 1, &e))
        sf_err(rs, &e);
    else
        created_body(rs, 201, fk_sf_insert(obj, body), 0, 0);
    cJSON_Delete(body);
}

/* ?fields=a,b -> list (validated); NULL list = all fields. Returns -1 after answering 400. */
static int parse_fields(fk_req_t *rq, fk_resp_t *rs, int obj, const char ***out, int *n)
{
    const char *csv = fk_query(rq, "fields");
    fk_hs_props_from_list(csv, out, n);
    for (int i = 0; i < *n; i++) {
        if (!fk_sf_field(obj, (*out)[i])) {
            no_such_column(rs, obj, (*out)[i]);
            for (int j = 0; j < *n; j++)
                free((char *)(*out)[j]);
            free(*out);
            return -1;
        }
    }
    return 0;
}

static void render_one(fk_req_t *rq, fk_resp_t *rs, const fk_rec_t *r)
{
    const char **fields;
    int nf;
    if (parse_fields(rq, rs, r->obj, &fields, &nf))
        return;
    cJSON *o = fk_sf_render(r, rq->api_version, nf ? fields : NULL, nf);
    if (nf && !cJSON_GetObjectItemCaseSensitive(o, "Id"))
        cJSON_AddStringToObject(o, "Id", r->id);
    for (int j = 0; j < nf; j++)
        free((char *)fields[j]);
    free(fields);
    fk_resp_json(rs, 200, o);
}

static void sf_record(fk_req_t *rq, fk_resp_t *rs, int obj, const char *id, const char *method)
{
    fk_rec_t *r = lookup_id(rs, obj, id);
    if (!r)
        return;
    if (r->deleted) {
        entity_deleted(rs);
        return;
    }
    if (strcmp(method, "GET") == 0) {
        render_one(rq, rs, r);
    } else if (strcmp(method, "DELETE") == 0) {
        fk_sf_delete(r);
        fk_resp_empty(rs, 204);
    } else {
        cJSON *body;
        fk_sf_err_t e;
        if (fk_sf_parse_body(rq, rs, &body))
            return;
        if (fk_sf_apply(obj, r, body, 0, &e)) {
            sf_err(rs, &e);
        } else {
            fk_sf_touch(r);
            fk_resp_empty(rs, 204);
        }
        cJSON_Delete(body);
    }
}

/* ------------------------------------------------------------------------------------------------ external ids */
static int matches_ext(int obj, const fk_sf_field_t *fd, const char *value, fk_rec_t **found, int max)
{
    int n = 0;
    const fk_table_t *t = &G.sf[obj];
    for (size_t i = 0; i < t->n; i++) {
        const char *v = fk_json_str(t->v[i]->f, fd->name);
        if (!t->v[i]->deleted && v && fk_sf_text_eq(fd, v, value)) {
            if (n < max)
                found[n] = t->v[i];
            n++;
        }
    }
    return n;
}

static void multiple_choices(fk_req_t *rq, fk_resp_t *rs, fk_rec_t **found, int n)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n && i < 16; i++) {
        char url[96];
        snprintf(url, sizeof url, "/services/data/%s/sobjects/%s/%s", rq->api_version, fk_sf_obj_name(found[i]->obj),
                 found[i]->id);
        cJSON_AddItemToArray(arr, cJSON_CreateString(url));
    }
    fk_resp_json(rs, 300, arr);
}

static void sf_upsert(fk_req_t *rq, fk_resp_t *rs, int obj, const fk_sf_field_t *fd, const char *value, double ver)
{
    cJSON *body;
    fk_sf_err_t e;
    fk_rec_t *found[16];
    if (fk_sf_parse_body(rq, rs, &body))
        return;
    int n = matches_ext(obj, fd, value, found, 16);
    if (n > 1) {
        multiple_choices(rq, rs, found, n);
    } else if (n == 1) {
        cJSON_DeleteItemFromObject(body, fd->name);
        if (fk_sf_apply(obj, found[0], body, 0, &e)) {
            sf_err(rs, &e);
        } else {
            fk_sf_touch(found[0]);
            if (ver >= 46.0)
                created_body(rs, 200, found[0], 1, 0);
            else
                fk_resp_empty(rs, 204);
        }
    } else if (fk_query(rq, "updateOnly") && strcmp(fk_query(rq, "updateOnly"), "true") == 0) {
        fk_sf_error(rs, 404, "NOT_FOUND", "The requested resource does not exist", NULL);
    } else {
        cJSON_DeleteItemFromObject(body, fd->name);
        cJSON_AddStringToObject(body, fd->name, value);
        if (fk_sf_validate(obj, body, 1, &e))
            sf_err(rs, &e);
        else
            created_body(rs, 201, fk_sf_insert(obj, body), 1, 1);
    }
    cJSON_Delete(body);
}

static void sf_external(fk_req_t *rq, fk_resp_t *rs, int obj, const char *field, const char *value, double ver)
{
    const fk_sf_field_t *fd = fk_sf_field(obj, field);
    if (!fd || !fd->externalid) {
        char msg[320];
        snprintf(msg, sizeof msg, "Provided external ID field does not exist or is not accessible: %.200s", field);
        fk_sf_error(rs, 404, "NOT_FOUND", msg, NULL);
        return;
    }
    snprintf(rq->route, sizeof rq->route, "%s /services/data/{ver}/sobjects/{type}/{extField}/{value}", rq->method);
    if (strcmp(rq->method, "PATCH") == 0) {
        sf_upsert(rq, rs, obj, fd, value, ver);
        return;
    }
    fk_rec_t *found[16];
    int n = matches_ext(obj, fd, value, found, 16);
    if (n > 1)
        multiple_choices(rq, rs, found, n);
    else if (n == 0)
        fk_sf_error(rs, 404, "NOT_FOUND", "The requested resource does not exist", NULL);
    else if (strcmp(rq->method, "DELETE") == 0) {
        fk_sf_delete(found[0]);
        fk_resp_empty(rs, 204);
    } else {
        render_one(rq, rs, found[0]);
    }
}

/* ------------------------------------------------------------------------------------------------ replication */
static int replication_window(fk_req_t *rq, fk_resp_t *rs, int days, int64_t *start, int64_t *end)
{
    const char *s = fk_query(rq, "start"), *e = fk_query(rq, "end");
    if (!s || !e) {
        fk_sf_error(rs, 400, "MISSING_ARGUMENT", s ? "end is required" : "start is required", NULL);
        return -1;
    }
    if (fk_parse_iso(s, start, NULL) || fk_parse_iso(e, end, NULL)) {
        fk_sf_error(rs, 400, "INVALID_REPLICATION_DATE", "start and end must be valid dateTime values", NULL);
        return -1;
    }
    *start -= ((*start % 60000) + 60000) % 60000; /* seconds are ignored */
    *end -= ((*end % 60000) + 60000) % 60000;
    int64_t now = fk_now_ms();
    if (*start >= *end) {
        fk_sf_error(rs, 400, "INVALID_REPLICATION_DATE", "startDate must chronologically precede endDate", NULL);
        return -1;
    }
    if (*start < now - (int64_t)days * 86400000) {
        char msg[96];
        snprintf(msg, sizeof msg, "startDate cannot be more than %d days ago", days);
        fk_sf_error(rs, 400, "INVALID_REPLICATION_DATE", msg, NULL);
        return -1;
    }
    int64_t covered = now - now % 60000;
    if (*end > covered)
        *end = covered;
    return 0;
}

void fk_sf_replication(fk_req_t *rq, fk_resp_t *rs, const char *ver, int obj, int deleted)
{
    (void)ver;
    int64_t start, end;
    if (replication_window(rq, rs, deleted ? 15 : 30, &start, &end))
        return;
    char ts[32];
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, deleted ? "deletedRecords" : "ids");
    const fk_table_t *t = &G.sf[obj];
    for (size_t i = 0; i < t->n; i++) {
        const fk_rec_t *r = t->v[i];
        if (deleted && r->deleted && r->deleted_ms >= start && r->deleted_ms < end) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "id", r->id);
            fk_fmt_sf_datetime(r->deleted_ms, ts);
            cJSON_AddStringToObject(d, "deletedDate", ts);
            cJSON_AddItemToArray(arr, d);
        } else if (!deleted && !r->deleted && r->modified_ms >= start && r->modified_ms < end) {
            cJSON_AddItemToArray(arr, cJSON_CreateString(r->id));
        }
    }
    if (deleted) {
        int64_t earliest = fk_now_ms() - 15LL * 86400000;
        fk_fmt_sf_datetime(earliest - earliest % 60000, ts);
        cJSON_AddStringToObject(o, "earliestDateAvailable", ts);
    }
    fk_fmt_sf_datetime(end, ts);
    cJSON_AddStringToObject(o, "latestDateCovered", ts);
    fk_resp_json(rs, 200, o);
}

/* ------------------------------------------------------------------------------------------------ misc resources */
static void add_limit(cJSON *o, const char *name, long max, long rem)
{
    cJSON *l = cJSON_AddObjectToObject(o, name);
    cJSON_AddNumberToObject(l, "Max", (double)max);
    cJSON_AddNumberToObject(l, "Remaining", (double)rem);
}

static void sf_limits(fk_resp_t *rs)
{
    long used = fk_daily_used(&G.sf_day, fk_now_ms());
    cJSON *o = cJSON_CreateObject();
    add_limit(o, "DailyApiRequests", G.o.sf_daily, G.o.sf_daily - used < 0 ? 0 : G.o.sf_daily - used);
    add_limit(o, "DailyBulkApiBatches", 15000, 15000);
    add_limit(o, "DailyBulkV2QueryJobs", 10000, 10000);
    add_limit(o, "DataStorageMB", 1024, 1024);
    add_limit(o, "SingleEmail", 5000, 5000);
    fk_resp_json(rs, 200, o);
}

static void sf_resources(fk_req_t *rq, fk_resp_t *rs)
{
    static const char *const names[] = {"sobjects", "query", "queryAll", "limits", "composite"};
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char url[80];
        snprintf(url, sizeof url, "/services/data/%s/%s", rq->api_version, names[i]);
        cJSON_AddStringToObject(o, names[i], url);
    }
    fk_resp_json(rs, 200, o);
}

static cJSON *object_summary(fk_req_t *rq, int obj)
{
    char url[96];
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "name", fk_sf_obj_name(obj));
    cJSON_AddStringToObject(d, "label", fk_sf_obj_name(obj));
    cJSON_AddStringToObject(d, "keyPrefix", fk_sf_obj_prefix(obj));
    cJSON_AddBoolToObject(d, "createable", 1);
    cJSON_AddBoolToObject(d, "updateable", 1);
    cJSON_AddBoolToObject(d, "deletable", 1);
    cJSON_AddBoolToObject(d, "queryable", 1);
    cJSON_AddBoolToObject(d, "replicateable", 1);
    cJSON_AddBoolToObject(d, "custom", 0);
    cJSON *u = cJSON_AddObjectToObject(d, "urls");
    snprintf(url, sizeof url, "/services/data/%s/sobjects/%s", rq->api_version, fk_sf_obj_name(obj));
    cJSON_AddStringToObject(u, "sobject", url);
    snprintf(url, sizeof url, "/services/data/%s/sobjects/%s/describe", rq->api_version, fk_sf_obj_name(obj));
    cJSON_AddStringToObject(u, "describe", url);
    snprintf(url, sizeof url, "/services/data/%s/sobjects/%s/{ID}", rq->api_version, fk_sf_obj_name(obj));
    cJSON_AddStringToObject(u, "rowTemplate", url);
    return d;
}

static void sf_describe(fk_req_t *rq, fk_resp_t *rs, int obj)
{
    static const char *const tn[] = {"i", "id", "r", "reference", "s", "string", "b", "boolean", "n", "double",
                                     "c", "currency", "p", "percent", "g", "int", "d", "date", "t", "datetime",
                                     "k", "picklist"};
    cJSON *d = object_summary(rq, obj), *fields = cJSON_AddArrayToObject(d, "fields");
    for (int i = 0; i < fk_sf_nfields(obj); i++) {
        const fk_sf_field_t *fd = fk_sf_field_at(obj, i);
        const char *type = "string";
        for (size_t k = 0; k < sizeof tn / sizeof *tn; k += 2)
            if (tn[k][0] == fd->type)
                type = tn[k + 1];
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "name", fd->name);
        cJSON_AddStringToObject(f, "type", type);
        cJSON_AddBoolToObject(f, "createable", fd->createable);
        cJSON_AddBoolToObject(f, "updateable", fd->updateable);
        cJSON_AddBoolToObject(f, "nillable", !fd->required && fd->type != 'b' && fd->type != 'i');
        cJSON_AddBoolToObject(f, "externalId", fd->externalid);
        cJSON_AddBoolToObject(f, "custom", strstr(fd->name, "__c") != NULL);
        cJSON_AddItemToArray(fields, f);
    }
    fk_resp_json(rs, 200, d);
}

static void sf_global(fk_req_t *rq, fk_resp_t *rs)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "encoding", "UTF-8");
    cJSON_AddNumberToObject(o, "maxBatchSize", 200);
    cJSON *arr = cJSON_AddArrayToObject(o, "sobjects");
    for (int i = 0; i < FK_SF_NOBJ; i++)
        cJSON_AddItemToArray(arr, object_summary(rq, i));
    fk_resp_json(rs, 200, o);
}

static int bad_type(fk_resp_t *rs, const char *name)
{
    char msg[320];
    snprintf(msg, sizeof msg, "The requested resource does not exist");
    (void)name;
    fk_sf_error(rs, 404, "NOT_FOUND", msg, NULL);
    return -1;
}

/* ------------------------------------------------------------------------------------------------ entry */
static int version_gate(fk_req_t *rq, fk_resp_t *rs, double *ver)
{
    const char *p = rq->path + strlen("/services/data/");
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n >= sizeof rq->api_version || n == 0) {
        fk_not_found(rq, rs);
        return -1;
    }
    memcpy(rq->api_version, p, n);
    rq->api_version[n] = '\0';
    if (fk_sf_version_ok(rq->api_version, ver) || *ver < 21.0 || *ver > SF_MAX_VERSION) {
        snprintf(rq->route, sizeof rq->route, "%s /services/data/{bad version}", rq->method);
        fk_sf_error(rs, 404, "NOT_FOUND", "The requested resource does not exist", NULL);
        return -1;
    }
    if (*ver < SF_MIN_VERSION) {
        snprintf(rq->route, sizeof rq->route, "%s /services/data/{retired version}", rq->method);
        fk_sf_error(rs, 410, "API_DISABLED_FOR_ORG", "This API version has been retired", NULL);
        return -1;
    }
    return 0;
}

static void sobject_routes(fk_req_t *rq, fk_resp_t *rs, double ver)
{
    fk_cap_t c;
    const char *m = rq->method;
    if (strcmp(m, "POST") == 0 && fk_query(rq, "_HttpMethod") && strcmp(fk_query(rq, "_HttpMethod"), "PATCH") == 0)
        m = "PATCH";
    if (fk_route(rq, "GET", "/services/data/{ver}/sobjects", NULL)) {
        sf_global(rq, rs);
        return;
    }
    int kind = 0;
    if (fk_route(rq, "GET", "/services/data/{ver}/sobjects/{type}", c))
        kind = 1;
    else if (fk_route(rq, "POST", "/services/data/{ver}/sobjects/{type}", c))
        kind = 2;
    else if (fk_route(rq, "GET", "/services/data/{ver}/sobjects/{type}/describe", c))
        kind = 3;
    else if (fk_route(rq, "GET", "/services/data/{ver}/sobjects/{type}/updated", c))
        kind = 4;
    else if (fk_route(rq, "GET", "/services/data/{ver}/sobjects/{type}/deleted", c))
        kind = 5;
    else if (fk_route(rq, NULL, "/services/data/{ver}/sobjects/{type}/{id}", c))
        kind = 6;
    else if (fk_route(rq, NULL, "/services/data/{ver}/sobjects/{type}/{field}/{value}", c))
        kind = 7;
    if (!kind) {
        fk_not_found(rq, rs);
        return;
    }
    int obj = fk_sf_obj_from_name(c[1]);
    if (obj < 0) {
        bad_type(rs, c[1]);
        return;
    }
    if (kind == 6 || kind == 7) {
        if (strcmp(m, "GET") && strcmp(m, "PATCH") && strcmp(m, "DELETE")) {
            rq->path_matched = 1;
            rq->route[0] = '\0';
            fk_not_found(rq, rs);
            return;
        }
        snprintf(rq->route, sizeof rq->route, "%s /services/data/{ver}/sobjects/{type}/{id}", m);
    }
    switch (kind) {
    case 1: {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "objectDescribe", object_summary(rq, obj));
        cJSON_AddArrayToObject(o, "recentItems");
        fk_resp_json(rs, 200, o);
        break;
    }
    case 2: sf_create(rq, rs, obj); break;
    case 3: sf_describe(rq, rs, obj); break;
    case 4: fk_sf_replication(rq, rs, rq->api_version, obj, 0); break;
    case 5: fk_sf_replication(rq, rs, rq->api_version, obj, 1); break;
    case 6: sf_record(rq, rs, obj, c[2], m); break;
    default: {
        char field[256], value[256];
        snprintf(field, sizeof field, "%s", c[2]);
        snprintf(value, sizeof value, "%s", c[3]);
        const char *save = rq->method;
        rq->method = m;
        sf_external(rq, rs, obj, field, value, ver);
        rq->method = save;
        break;
    }
    }
}

void fk_sf_route(fk_req_t *rq, fk_resp_t *rs)
{
    double ver;
    fk_cap_t c;
    if (version_gate(rq, rs, &ver))
        return;
    const char *rest = rq->path + strlen("/services/data/") + strlen(rq->api_version);
    if (fk_route(rq, "GET", "/services/data/{ver}", NULL))
        sf_resources(rq, rs);
    else if (fk_route(rq, "GET", "/services/data/{ver}/limits", NULL))
        sf_limits(rs);
    else if (fk_route(rq, "GET", "/services/data/{ver}/query", NULL))
        fk_sf_query(rq, rs, rq->api_version, 0, NULL);
    else if (fk_route(rq, "GET", "/services/data/{ver}/queryAll", NULL))
        fk_sf_query(rq, rs, rq->api_version, 1, NULL);
    else if (fk_route(rq, "GET", "/services/data/{ver}/query/{locator}", c))
        fk_sf_query(rq, rs, rq->api_version, 0, c[1]);
    else if (fk_route(rq, "GET", "/services/data/{ver}/queryAll/{locator}", c))
        fk_sf_query(rq, rs, rq->api_version, 1, c[1]);
    else if (strncmp(rest, "/composite/", 11) == 0 || strcmp(rest, "/composite") == 0)
        fk_sf_composite(rq, rs, rq->api_version, rest);
    else if (strncmp(rest, "/sobjects", 9) == 0)
        sobject_routes(rq, rs, ver);
    else
        fk_not_found(rq, rs);
}
