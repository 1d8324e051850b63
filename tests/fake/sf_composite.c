/*
 * sf_composite.c -- sObject Collections (PROTOCOL A5): /composite/sobjects create (POST), update (PATCH),
 * delete (DELETE ?ids=), retrieve (GET /composite/sobjects/{type}?ids=&fields=, or POST with a body), upsert
 * (PATCH /composite/sobjects/{type}/{extField}).
 *
 * Up to 200 records or ids (else 400 EXCEEDED_ID_LIMIT); a well-formed request always answers 200 with one
 * result per record, in request order; per-record errors use "statusCode" (not "errorCode"). With allOrNone
 * every record is validated first; if any fails, nothing is written, the valid records report
 * ALL_OR_NONE_OPERATION_ROLLED_BACK, create results carry no id, update/delete results keep theirs.
 */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLL_MAX 200

typedef struct {
    int ok;
    int obj;
    fk_rec_t *rec;
    char code[48], msg[512], field[64];
    char id[19];
} item_t;

static void item_err(item_t *it, const char *code, const char *field, const char *msg)
{
    it->ok = 0;
    snprintf(it->code, sizeof it->code, "%s", code);
    snprintf(it->msg, sizeof it->msg, "%s", msg);
    snprintf(it->field, sizeof it->field, "%s", field ? field : "");
}

static void item_from_err(item_t *it, const fk_sf_err_t *e)
{
    item_err(it, e->code, e->field[0] ? e->field : NULL, e->msg);
}

static cJSON *result_json(const item_t *it, int rolled_back, int with_id, int upsert_created)
{
    cJSON *o = cJSON_CreateObject();
    if (with_id && it->id[0])
        cJSON_AddStringToObject(o, "id", it->id);
    int success = it->ok && !rolled_back;
    cJSON_AddBoolToObject(o, "success", success);
    cJSON *errs = cJSON_AddArrayToObject(o, "errors");
    if (!success) {
        cJSON *e = cJSON_CreateObject();
        if (it->ok) {
            cJSON_AddStringToObject(e, "statusCode", "ALL_OR_NONE_OPERATION_ROLLED_BACK");
            cJSON_AddStringToObject(e, "message", "Record rolled back because not all records were valid and the "
                                                  "request was using AllOrNone header");
            cJSON_AddArrayToObject(e, "fields");
        } else {
            cJSON_AddStringToObject(e, "statusCode", it->code);
            cJSON_AddStringToObject(e, "message", it->msg);
            cJSON *f = cJSON_AddArrayToObject(e, "fields");
            if (it->field[0])
                cJSON_AddItemToArray(f, cJSON_CreateString(it->field));
        }
        cJSON_AddItemToArray(errs, e);
    }
    if (upsert_created >= 0 && success)
        cJSON_AddBoolToObject(o, "created", upsert_created);
    return o;
}

static int too_many(fk_resp_t *rs, int n)
{
    if (n <= COLL_MAX)
        return 0;
    fk_sf_error(rs, 400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call",
                NULL);
    return 1;
}

static int parse_records(fk_req_t *rq, fk_resp_t *rs, cJSON **body, const cJSON **records, int *all_or_none)
{
    if (fk_sf_parse_body(rq, rs, body))
        return -1;
    *records = cJSON_GetObjectItemCaseSensitive(*body, "records");
    const cJSON *aon = cJSON_GetObjectItemCaseSensitive(*body, "allOrNone");
    *all_or_none = cJSON_IsTrue(aon);
    if (!cJSON_IsObject(*body) || !cJSON_IsArray(*records)) {
        fk_sf_error(rs, 400, "JSON_PARSER_ERROR", "Cannot deserialize instance of sObject collection: records is "
                    "required and must be a list", NULL);
        cJSON_Delete(*body);
        return -1;
    }
    if (too_many(rs, cJSON_GetArraySize(*records))) {
        cJSON_Delete(*body);
        return -1;
    }
    return 0;
}

static int record_type(const cJSON *rec, item_t *it)
{
    const char *type = fk_json_str(cJSON_GetObjectItemCaseSensitive(rec, "attributes"), "type");
    it->obj = type ? fk_sf_obj_from_name(type) : -1;
    if (it->obj < 0) {
        item_err(it, "INVALID_TYPE", NULL, type ? "sObject type is not supported" : "Must specify a type in attributes");
        return -1;
    }
    return 0;
}

/* strips attributes and id: the field payload of one record */
static cJSON *payload(const cJSON *rec)
{
    cJSON *p = cJSON_Duplicate(rec, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(p, "attributes");
    cJSON *it = p->child;
    while (it) {
        cJSON *next = it->next;
        if (fk_strcaseeq(it->string, "id"))
            cJSON_Delete(cJSON_DetachItemViaPointer(p, it));
        it = next;
    }
    return p;
}

static void finish(fk_resp_t *rs, item_t *items, int n, int aon, int with_id_on_rollback, int upsert,
                   const int *created)
{
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad |= !items[i].ok;
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        item_t tmp = items[i];
        int rolled = aon && bad;
        int with_id = tmp.ok ? (!rolled || with_id_on_rollback) : 0;
        cJSON_AddItemToArray(arr, result_json(&tmp, rolled, with_id, upsert ? created[i] : -1));
    }
    fk_resp_json(rs, 200, arr);
}

static void coll_create(fk_req_t *rq, fk_resp_t *rs)
{
    cJSON *body;
    const cJSON *records;
    int aon;
    if (parse_records(rq, rs, &body, &records, &aon))
        return;
    int n = cJSON_GetArraySize(records), bad = 0;
    item_t *items = calloc((size_t)n + 1, sizeof *items);
    cJSON **payloads = calloc((size_t)n + 1, sizeof *payloads);
    for (int i = 0; i < n; i++) {
        const cJSON *rec = cJSON_GetArrayItem(records, i);
        fk_sf_err_t e;
        items[i].ok = 1;
        if (record_type(rec, &items[i])) {
            bad = 1;
            continue;
        }
        const cJSON *idv = cJSON_GetObjectItem(rec, "id");
        if (idv) {
            item_err(&items[i], "INVALID_FIELD", "Id", "cannot specify Id in an insert call");
            bad = 1;
            continue;
        }
        payloads[i] = payload(rec);
        if (fk_sf_validate(items[i].obj, payloads[i], 1, &e)) {
            item_from_err(&items[i], &e);
            bad = 1;
        }
    }
    for (int i = 0; i < n && !(aon && bad); i++)
        if (items[i].ok)
            snprintf(items[i].id, sizeof items[i].id, "%.18s", fk_sf_insert(items[i].obj, payloads[i])->id);
    finish(rs, items, n, aon, 0, 0, NULL);
    for (int i = 0; i < n; i++)
        cJSON_Delete(payloads[i]);
    free(payloads);
    free(items);
    cJSON_Delete(body);
}

static fk_rec_t *resolve_id(const char *id, int want_obj, item_t *it)
{
    char canon[19], msg[160];
    snprintf(it->id, sizeof it->id, "%.18s", id ? id : "");
    if (!id || fk_sf_canon_id(id, canon)) {
        snprintf(msg, sizeof msg, "malformed id %.40s", id ? id : "");
        item_err(it, "MALFORMED_ID", "Id", msg);
        return NULL;
    }
    snprintf(it->id, sizeof it->id, "%.18s", canon);
    int obj = -1;
    for (int o = 0; o < FK_SF_NOBJ; o++)
        if (strncmp(canon, fk_sf_obj_prefix(o), 3) == 0)
            obj = o;
    if (obj < 0 || (want_obj >= 0 && obj != want_obj)) {
        snprintf(msg, sizeof msg, "%s ID: id value of incorrect type: %s",
                 want_obj >= 0 ? fk_sf_obj_name(want_obj) : "Record", id);
        item_err(it, "MALFORMED_ID", "Id", msg);
        return NULL;
    }
    fk_rec_t *r = fk_table_get(&G.sf[obj], canon);
    if (!r || fk_rec_purged(r)) {
        item_err(it, "INVALID_CROSS_REFERENCE_KEY", NULL, "invalid cross reference id");
        return NULL;
    }
    if (r->deleted) {
        item_err(it, "ENTITY_IS_DELETED", NULL, "entity is deleted");
        return NULL;
    }
    it->obj = obj;
    return r;
}

static void coll_update(fk_req_t *rq, fk_resp_t *rs)
{
    cJSON *body;
    const cJSON *records;
    int aon;
    if (parse_records(rq, rs, &body, &records, &aon))
        return;
    int n = cJSON_GetArraySize(records), bad = 0;
    item_t *items = calloc((size_t)n + 1, sizeof *items);
    cJSON **payloads = calloc((size_t)n + 1, sizeof *payloads);
    for (int i = 0; i < n; i++) {
        const cJSON *rec = cJSON_GetArrayItem(records, i);
        items[i].ok = 1;
        if (record_type(rec, &items[i])) {
            bad = 1;
            continue;
        }
        const char *id = fk_json_str(rec, "id") ? fk_json_str(rec, "id") : fk_json_str(rec, "Id");
        if (!id) {
            item_err(&items[i], "MISSING_ARGUMENT", "Id", "Id not specified in an update call");
            bad = 1;
            continue;
        }
        int want = items[i].obj;
        items[i].rec = resolve_id(id, want, &items[i]);
        if (!items[i].rec) {
            bad = 1;
            continue;
        }
        fk_sf_err_t e;
        payloads[i] = payload(rec);
        if (fk_sf_validate_for(items[i].obj, payloads[i], items[i].rec, &e)) {
            item_from_err(&items[i], &e);
            bad = 1;
        }
    }
    for (int i = 0; i < n && !(aon && bad); i++) {
        fk_sf_err_t e;
        if (items[i].ok && fk_sf_apply(items[i].obj, items[i].rec, payloads[i], 0, &e) == 0)
            fk_sf_touch(items[i].rec);
    }
    finish(rs, items, n, aon, 1, 0, NULL);
    for (int i = 0; i < n; i++)
        cJSON_Delete(payloads[i]);
    free(payloads);
    free(items);
    cJSON_Delete(body);
}

static void coll_delete(fk_req_t *rq, fk_resp_t *rs)
{
    const char **ids;
    int n;
    fk_hs_props_from_list(fk_query(rq, "ids"), &ids, &n);
    int aon = fk_query(rq, "allOrNone") && strcmp(fk_query(rq, "allOrNone"), "true") == 0, bad = 0;
    if (n == 0) {
        fk_sf_error(rs, 400, "MISSING_ARGUMENT", "ids parameter is required", NULL);
    } else if (!too_many(rs, n)) {
        item_t *items = calloc((size_t)n, sizeof *items);
        for (int i = 0; i < n; i++) {
            items[i].ok = 1;
            items[i].rec = resolve_id(ids[i], -1, &items[i]);
            if (!items[i].rec)
                bad = 1;
        }
        for (int i = 0; i < n && !(aon && bad); i++)
            if (items[i].ok)
                fk_sf_delete(items[i].rec);
        finish(rs, items, n, aon, 1, 0, NULL);
        free(items);
    }
    for (int i = 0; i < n; i++)
        free((char *)ids[i]);
    free(ids);
}

static void coll_retrieve(fk_req_t *rq, fk_resp_t *rs, int obj, const char *ver)
{
    const char **ids = NULL, **fields = NULL;
    int n = 0, nf = 0;
    cJSON *body = NULL;
    if (strcmp(rq->method, "POST") == 0) {
        if (fk_sf_parse_body(rq, rs, &body))
            return;
        fk_hs_props_from_array(cJSON_GetObjectItemCaseSensitive(body, "ids"), &ids, &n);
        fk_hs_props_from_array(cJSON_GetObjectItemCaseSensitive(body, "fields"), &fields, &nf);
    } else {
        fk_hs_props_from_list(fk_query(rq, "ids"), &ids, &n);
        fk_hs_props_from_list(fk_query(rq, "fields"), &fields, &nf);
    }
    int bad_field = -1;
    for (int i = 0; i < nf && bad_field < 0; i++)
        if (!fk_sf_field(obj, fields[i]))
            bad_field = i;
    if (n == 0 || nf == 0) {
        fk_sf_error(rs, 400, "MISSING_ARGUMENT", n == 0 ? "ids parameter is required" : "fields parameter is required",
                    NULL);
    } else if (bad_field >= 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "No such column '%.80s' on entity '%s'", fields[bad_field], fk_sf_obj_name(obj));
        fk_sf_error(rs, 400, "INVALID_FIELD", msg, NULL);
    } else if (!too_many(rs, n)) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < n; i++) {
            fk_rec_t *r = fk_sf_find(obj, ids[i]);
            char canon[19];
            if (r && !r->deleted && fk_sf_canon_id(ids[i], canon) == 0 && strncmp(canon, fk_sf_obj_prefix(obj), 3) == 0)
                cJSON_AddItemToArray(arr, fk_sf_render(r, ver, fields, nf));
            else
                cJSON_AddItemToArray(arr, cJSON_CreateNull());
        }
        fk_resp_json(rs, 200, arr);
    }
    for (int i = 0; i < n; i++)
        free((char *)ids[i]);
    for (int i = 0; i < nf; i++)
        free((char *)fields[i]);
    free(ids);
    free(fields);
    cJSON_Delete(body);
}

static void coll_upsert(fk_req_t *rq, fk_resp_t *rs, int obj, const char *ext)
{
    const fk_sf_field_t *fd = fk_sf_field(obj, ext);
    if (!fd || !fd->externalid) {
        char msg[320];
        snprintf(msg, sizeof msg, "Provided external ID field does not exist or is not accessible: %.200s", ext);
        fk_sf_error(rs, 404, "NOT_FOUND", msg, NULL);
        return;
    }
    cJSON *body;
    const cJSON *records;
    int aon;
    if (parse_records(rq, rs, &body, &records, &aon))
        return;
    int n = cJSON_GetArraySize(records), bad = 0;
    item_t *items = calloc((size_t)n + 1, sizeof *items);
    cJSON **payloads = calloc((size_t)n + 1, sizeof *payloads);
    int *created = calloc((size_t)n + 1, sizeof *created);
    for (int i = 0; i < n; i++) {
        const cJSON *rec = cJSON_GetArrayItem(records, i);
        items[i].ok = 1;
        const char *val = fk_json_str(rec, fd->name);
        if (record_type(rec, &items[i]) || items[i].obj != obj || !val) {
            if (items[i].ok)
                item_err(&items[i], "MISSING_ARGUMENT", fd->name, "External ID value is missing or of another type");
            bad = 1;
            continue;
        }
        int matches = 0;
        for (size_t k = 0; k < G.sf[obj].n; k++) {
            const char *v = fk_json_str(G.sf[obj].v[k]->f, fd->name);
            if (!G.sf[obj].v[k]->deleted && v && fk_sf_text_eq(fd, v, val)) {
                matches++;
                items[i].rec = G.sf[obj].v[k];
            }
        }
        fk_sf_err_t e;
        payloads[i] = payload(rec);
        if (matches > 1) {
            item_err(&items[i], "DUPLICATE_EXTERNAL_ID", fd->name,
                     "Provided External ID field value is used in multiple records");
            bad = 1;
        } else if (fk_sf_validate_for(obj, payloads[i], items[i].rec, &e)) {
            item_from_err(&items[i], &e);
            bad = 1;
        }
        created[i] = items[i].rec == NULL;
        if (items[i].rec)
            snprintf(items[i].id, sizeof items[i].id, "%.18s", items[i].rec->id);
    }
    for (int i = 0; i < n && !(aon && bad); i++) {
        fk_sf_err_t e;
        if (!items[i].ok)
            continue;
        if (items[i].rec) {
            if (fk_sf_apply(obj, items[i].rec, payloads[i], 0, &e) == 0)
                fk_sf_touch(items[i].rec);
        } else {
            snprintf(items[i].id, sizeof items[i].id, "%.18s", fk_sf_insert(obj, payloads[i])->id);
        }
    }
    finish(rs, items, n, aon, 1, 1, created);
    for (int i = 0; i < n; i++)
        cJSON_Delete(payloads[i]);
    free(payloads);
    free(items);
    free(created);
    cJSON_Delete(body);
}

void fk_sf_composite(fk_req_t *rq, fk_resp_t *rs, const char *ver, const char *rest)
{
    fk_cap_t c;
    (void)rest;
    if (fk_route(rq, "POST", "/services/data/{ver}/composite/sobjects", NULL)) {
        coll_create(rq, rs);
    } else if (fk_route(rq, "PATCH", "/services/data/{ver}/composite/sobjects", NULL)) {
        coll_update(rq, rs);
    } else if (fk_route(rq, "DELETE", "/services/data/{ver}/composite/sobjects", NULL)) {
        coll_delete(rq, rs);
    } else if (fk_route(rq, "GET", "/services/data/{ver}/composite/sobjects/{type}", c) ||
               fk_route(rq, "POST", "/services/data/{ver}/composite/sobjects/{type}", c)) {
        int obj = fk_sf_obj_from_name(c[1]);
        if (obj < 0)
            fk_sf_error(rs, 404, "NOT_FOUND", "The requested resource does not exist", NULL);
        else
            coll_retrieve(rq, rs, obj, ver);
    } else if (fk_route(rq, "PATCH", "/services/data/{ver}/composite/sobjects/{type}/{extField}", c)) {
        int obj = fk_sf_obj_from_name(c[1]);
        if (obj < 0)
            fk_sf_error(rs, 404, "NOT_FOUND", "The requested resource does not exist", NULL);
        else
            coll_upsert(rq, rs, obj, c[2]);
    } else {
        fk_not_found(rq, rs);
    }
}
