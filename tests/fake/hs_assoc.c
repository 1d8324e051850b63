/*
 * hs_assoc.c -- HubSpot associations v4 (PROTOCOL B6) between contacts, companies and deals.
 *
 *   PUT    /crm/v4/objects/{from}/{id}/associations/default/{to}/{toId}        200 BatchResponsePublicDefaultAssociation
 *   PUT    /crm/v4/objects/{from}/{id}/associations/{to}/{toId}  [types]        201 LabelsBetweenObjectPair
 *   GET    /crm/v4/objects/{from}/{id}/associations/{to}?limit&after           200 {results:[{toObjectId,associationTypes}]}
 *   DELETE /crm/v4/objects/{from}/{id}/associations/{to}/{toId}                 204
 *   POST   /crm/v4/associations/{from}/{to}/batch/{read,create,associate/default,archive}
 *
 * Each association is stored in both directions with the paired type id (279<->280, 1<->2, 341<->342, 5<->6,
 * 4<->3); a contact's or deal's first company becomes its primary one, and a primary association (1/2 or 5/6)
 * comes with the unlabelled one, as HubSpot shows both (fk_hs_add_assoc in hs_props.c).
 */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *types_json(const fk_rec_t *r, int to_obj, uint64_t to_id)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < r->nassoc; i++) {
        const fk_assoc_t *a = &r->assoc[i];
        if (a->to_obj != to_obj || a->to_id != to_id)
            continue;
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "category", a->user_defined ? "USER_DEFINED" : "HUBSPOT_DEFINED");
        cJSON_AddNumberToObject(t, "typeId", a->type_id);
        const char *label = a->user_defined ? NULL : fk_hs_assoc_label(a->type_id);
        if (label)
            cJSON_AddStringToObject(t, "label", label);
        else
            cJSON_AddNullToObject(t, "label");
        cJSON_AddItemToArray(arr, t);
    }
    return arr;
}

/* [{toObjectId, associationTypes}] for every live target of type to_obj, starting at target id >= after */
static cJSON *targets_json(const fk_rec_t *r, int to_obj, uint64_t after, int limit, uint64_t *next)
{
    cJSON *res = cJSON_CreateArray();
    uint64_t *ids = fk_xmalloc((size_t)(r->nassoc + 1) * sizeof *ids);
    int n = 0;
    for (int i = 0; i < r->nassoc; i++) {
        const fk_assoc_t *a = &r->assoc[i];
        char id[24];
        snprintf(id, sizeof id, "%llu", (unsigned long long)a->to_id);
        const fk_rec_t *t = fk_table_get(&G.hs[a->to_obj], id);
        if (a->to_obj != to_obj || a->to_id < after || !t || t->deleted)
            continue;
        int dup = 0;
        for (int j = 0; j < n && !dup; j++)
            dup = ids[j] == a->to_id;
        if (!dup)
            ids[n++] = a->to_id;
    }
    for (int i = 1; i < n; i++) /* insertion sort: lists are short */
        for (int j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
            uint64_t x = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = x;
        }
    *next = 0;
    for (int i = 0; i < n; i++) {
        if (i == limit) {
            *next = ids[i];
            break;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "toObjectId", (double)ids[i]);
        cJSON_AddItemToObject(o, "associationTypes", types_json(r, to_obj, ids[i]));
        cJSON_AddItemToArray(res, o);
    }
    free(ids);
    return res;
}

static fk_rec_t *live(int obj, const char *id)
{
    fk_rec_t *r = obj >= 0 ? fk_table_get(&G.hs[obj], id) : NULL;
    return r && !r->deleted ? r : NULL;
}

static void missing(fk_resp_t *rs, int obj, const char *id)
{
    char msg[200];
    snprintf(msg, sizeof msg, "No %s is associated with id %.100s", obj >= 0 ? fk_hs_obj_singular(obj) : "object", id);
    fk_hs_error(rs, 404, "OBJECT_NOT_FOUND", msg, NULL);
}

static cJSON *spec_result(const fk_rec_t *from, const fk_rec_t *to, int type)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *f = cJSON_AddObjectToObject(o, "from"), *t = cJSON_AddObjectToObject(o, "to");
    cJSON_AddStringToObject(f, "id", from->id);
    cJSON_AddStringToObject(t, "id", to->id);
    cJSON *s = cJSON_AddObjectToObject(o, "associationSpec");
    cJSON_AddStringToObject(s, "associationCategory", "HUBSPOT_DEFINED");
    cJSON_AddNumberToObject(s, "associationTypeId", type);
    return o;
}

static cJSON *envelope(void)
{
    char ts[32];
    fk_fmt_hs_datetime(fk_now_ms(), ts);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "COMPLETE");
    cJSON_AddArrayToObject(o, "results");
    cJSON_AddStringToObject(o, "startedAt", ts);
    cJSON_AddStringToObject(o, "completedAt", ts);
    return o;
}

static void put_default(fk_resp_t *rs, fk_rec_t *from, fk_rec_t *to)
{
    int type = fk_hs_default_type(from->obj, to->obj);
    fk_hs_add_assoc(from, to, type, 0);
    cJSON *env = envelope(), *res = cJSON_GetObjectItemCaseSensitive(env, "results");
    cJSON_AddItemToArray(res, spec_result(from, to, type));
    cJSON_AddItemToArray(res, spec_result(to, from, fk_hs_assoc_pair(type)));
    fk_resp_json(rs, 200, env);
}

/* body [{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":279}] */
static int parse_types(int from_obj, int to_obj, const cJSON *arr, int *types, int *user, int max)
{
    int n = 0;
    const cJSON *t;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return -1;
    cJSON_ArrayForEach(t, arr)
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "associationTypeId");
        const char *cat = fk_json_str(t, "associationCategory");
        if (!cJSON_IsNumber(id) || !cat || n == max)
            return -1;
        user[n] = strcmp(cat, "USER_DEFINED") == 0;
        types[n] = id->valueint;
        if (!fk_hs_assoc_allowed(from_obj, to_obj, types[n], user[n]))
            return -1;
        n++;
    }
    return n;
}

static void put_labelled(fk_req_t *rq, fk_resp_t *rs, fk_rec_t *from, fk_rec_t *to)
{
    cJSON *body;
    if (fk_hs_parse_json_body(rq, rs, &body))
        return;
    int types[16], user[16];
    int n = parse_types(from->obj, to->obj, body, types, user, 16);
    cJSON_Delete(body);
    if (n < 0) {
        fk_hs_error(rs, 400, "VALIDATION_ERROR", "invalid association types for this pair of objects", NULL);
        return;
    }
    for (int i = 0; i < n; i++)
        fk_hs_add_assoc(from, to, types[i], user[i]);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "fromObjectTypeId", fk_hs_obj_typeid(from->obj));
    cJSON_AddNumberToObject(o, "fromObjectId", (double)from->seq);
    cJSON_AddStringToObject(o, "toObjectTypeId", fk_hs_obj_typeid(to->obj));
    cJSON_AddNumberToObject(o, "toObjectId", (double)to->seq);
    cJSON *labels = cJSON_AddArrayToObject(o, "labels");
    for (int i = 0; i < from->nassoc; i++) {
        const fk_assoc_t *a = &from->assoc[i];
        const char *l = a->user_defined ? NULL : fk_hs_assoc_label(a->type_id);
        if (a->to_obj == to->obj && a->to_id == to->seq && l)
            cJSON_AddItemToArray(labels, cJSON_CreateString(l));
    }
    fk_resp_json(rs, 201, o);
}

static void remove_all_between(fk_rec_t *a, fk_rec_t *b)
{
    int w = 0;
    for (int i = 0; i < a->nassoc; i++)
        if (!(a->assoc[i].to_obj == b->obj && a->assoc[i].to_id == b->seq))
            a->assoc[w++] = a->assoc[i];
    a->nassoc = w;
    w = 0;
    for (int i = 0; i < b->nassoc; i++)
        if (!(b->assoc[i].to_obj == a->obj && b->assoc[i].to_id == a->seq))
            b->assoc[w++] = b->assoc[i];
    b->nassoc = w;
}

static void list_assocs(fk_req_t *rq, fk_resp_t *rs, fk_rec_t *from, int to_obj)
{
    int64_t limit = 500, after = 0;
    const char *ls = fk_query(rq, "limit"), *as = fk_query(rq, "after");
    if ((ls && (fk_parse_i64(ls, &limit) || limit < 1 || limit > 500)) || (as && fk_parse_i64(as, &after))) {
        fk_hs_error(rs, 400, "VALIDATION_ERROR", "limit must be 1..500 and after a numeric cursor", NULL);
        return;
    }
    uint64_t next = 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "results", targets_json(from, to_obj, (uint64_t)after, (int)limit, &next));
    if (next) {
        char nx[24];
        snprintf(nx, sizeof nx, "%llu", (unsigned long long)next);
        cJSON *pg = cJSON_AddObjectToObject(o, "paging"), *n = cJSON_AddObjectToObject(pg, "next");
        cJSON_AddStringToObject(n, "after", nx);
    }
    fk_resp_json(rs, 200, o);
}

static const char *in_id(const cJSON *o, char buf[40])
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    if (cJSON_IsString(id))
        snprintf(buf, 40, "%.38s", id->valuestring);
    else if (cJSON_IsNumber(id))
        snprintf(buf, 40, "%.0f", id->valuedouble);
    else
        return NULL;
    return buf;
}

static void batch_op(fk_resp_t *rs, int from_obj, int to_obj, const char *op, const cJSON *inputs)
{
    cJSON *env = envelope(), *res = cJSON_GetObjectItemCaseSensitive(env, "results");
    int created = 0;
    const cJSON *in;
    cJSON_ArrayForEach(in, inputs)
    {
        char b1[40], b2[40];
        const char *fid = strcmp(op, "read") == 0 ? in_id(in, b1) : in_id(cJSON_GetObjectItemCaseSensitive(in, "from"), b1);
        fk_rec_t *from = fid ? live(from_obj, fid) : NULL;
        if (!from)
            continue;
        if (strcmp(op, "read") == 0) {
            uint64_t next;
            cJSON *o = cJSON_CreateObject(), *f = cJSON_AddObjectToObject(o, "from");
            cJSON_AddStringToObject(f, "id", from->id);
            cJSON_AddItemToObject(o, "to", targets_json(from, to_obj, 0, 1000000, &next));
            cJSON_AddItemToArray(res, o);
            continue;
        }
        const cJSON *to_j = cJSON_GetObjectItemCaseSensitive(in, "to"), *e;
        if (strcmp(op, "archive") == 0) {
            cJSON_ArrayForEach(e, to_j)
            {
                fk_rec_t *to = in_id(e, b2) ? fk_table_get(&G.hs[to_obj], b2) : NULL;
                if (to)
                    remove_all_between(from, to);
            }
            continue;
        }
        fk_rec_t *to = in_id(to_j, b2) ? live(to_obj, b2) : NULL;
        if (!to)
            continue;
        if (strcmp(op, "associate/default") == 0) {
            int type = fk_hs_default_type(from_obj, to_obj);
            fk_hs_add_assoc(from, to, type, 0);
            cJSON_AddItemToArray(res, spec_result(from, to, type));
            continue;
        }
        int types[16], user[16];
        int n = parse_types(from_obj, to_obj, cJSON_GetObjectItemCaseSensitive(in, "types"), types, user, 16);
        for (int i = 0; i < n; i++)
            created += fk_hs_add_assoc(from, to, types[i], user[i]);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "fromObjectTypeId", fk_hs_obj_typeid(from_obj));
        cJSON_AddNumberToObject(o, "fromObjectId", (double)from->seq);
        cJSON_AddStringToObject(o, "toObjectTypeId", fk_hs_obj_typeid(to_obj));
        cJSON_AddNumberToObject(o, "toObjectId", (double)to->seq);
        cJSON_AddArrayToObject(o, "labels");
        cJSON_AddItemToArray(res, o);
    }
    if (strcmp(op, "archive") == 0) {
        cJSON_Delete(env);
        fk_resp_empty(rs, 204);
    } else {
        fk_resp_json(rs, strcmp(op, "create") == 0 ? 201 : 200, env);
    }
    (void)created;
}

static void batch_route(fk_req_t *rq, fk_resp_t *rs, const char *from, const char *to, const char *op)
{
    int fo = fk_hs_obj_from_name(from), to_o = fk_hs_obj_from_name(to);
    if (fo < 0 || to_o < 0) {
        fk_hs_error(rs, 400, "VALIDATION_ERROR", "Unable to infer object type", NULL);
        return;
    }
    cJSON *body;
    if (fk_hs_parse_json_body(rq, rs, &body))
        return;
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(body, "inputs");
    if (!cJSON_IsArray(inputs))
        fk_hs_error(rs, 400, "VALIDATION_ERROR",
                    "Invalid input JSON on line 1, column 2. Some required fields were not set: [inputs]", NULL);
    else if (cJSON_GetArraySize(inputs) > 1000)
        fk_hs_error(rs, 400, "VALIDATION_ERROR", "The maximum number of inputs supported in a batch request is 1000",
                    NULL);
    else
        batch_op(rs, fo, to_o, op, inputs);
    cJSON_Delete(body);
}

void fk_hs_assoc_route(fk_req_t *rq, fk_resp_t *rs)
{
    fk_cap_t c;
    if (fk_route(rq, "POST", "/crm/v4/associations/{from}/{to}/batch/{op}", c)) {
        if (strcmp(c[2], "read") && strcmp(c[2], "create") && strcmp(c[2], "archive"))
            fk_not_found(rq, rs);
        else
            batch_route(rq, rs, c[0], c[1], c[2]);
        return;
    }
    if (fk_route(rq, "POST", "/crm/v4/associations/{from}/{to}/batch/associate/default", c)) {
        batch_route(rq, rs, c[0], c[1], "associate/default");
        return;
    }
    int kind = 0;
    if (fk_route(rq, "PUT", "/crm/v4/objects/{from}/{id}/associations/default/{to}/{toId}", c))
        kind = 1;
    else if (fk_route(rq, "PUT", "/crm/v4/objects/{from}/{id}/associations/{to}/{toId}", c))
        kind = 2;
    else if (fk_route(rq, "DELETE", "/crm/v4/objects/{from}/{id}/associations/{to}/{toId}", c))
        kind = 3;
    else if (fk_route(rq, "GET", "/crm/v4/objects/{from}/{id}/associations/{to}", c))
        kind = 4;
    if (!kind) {
        fk_not_found(rq, rs);
        return;
    }
    int fo = fk_hs_obj_from_name(c[0]), to_o = fk_hs_obj_from_name(c[2]);
    if (fo < 0 || to_o < 0) {
        fk_hs_error(rs, 400, "VALIDATION_ERROR", "Unable to infer object type", NULL);
        return;
    }
    fk_rec_t *from = live(fo, c[1]);
    if (!from) {
        missing(rs, fo, c[1]);
        return;
    }
    if (kind == 4) {
        list_assocs(rq, rs, from, to_o);
        return;
    }
    fk_rec_t *to = live(to_o, c[3]);
    if (!to) {
        missing(rs, to_o, c[3]);
        return;
    }
    if (kind == 1)
        put_default(rs, from, to);
    else if (kind == 2)
        put_labelled(rq, rs, from, to);
    else {
        remove_all_between(from, to);
        fk_resp_empty(rs, 204);
    }
}
