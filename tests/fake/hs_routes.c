/*
 * hs_routes.c -- HubSpot CRM v3 objects (PROTOCOL B2): list, get (idProperty), create (201), PATCH, DELETE (204),
 * and the dispatch to batch/search. Object types: contacts, companies, deals (or 0-1, 0-2, 0-3).
 *
 * List paging: records are listed in id order; paging.next.after is the id of the next record, so a page
 * starts at the first record whose id >= after. Inserts and deletes between pages therefore never produce a
 * duplicate or skip a record that existed during the whole walk.
 */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void free_list(const char **v, int n)
{
    for (int i = 0; i < n; i++)
        free((char *)v[i]);
    free(v);
}

int fk_hs_parse_json_body(const fk_req_t *rq, fk_resp_t *rs, cJSON **out)
{
    const char *end = NULL;
    *out = cJSON_ParseWithLengthOpts(rq->body, rq->body_len, &end, 0);
    if (*out) {
        /* trailing garbage after the value is an error too */
        while (end && end < rq->body + rq->body_len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
            end++;
        if (!end || end == rq->body + rq->body_len)
            return 0;
        cJSON_Delete(*out);
        *out = NULL;
    }
    int line = 1, col = 1;
    const char *stop = end ? end : rq->body + rq->body_len;
    for (const char *p = rq->body; p < stop && p < rq->body + rq->body_len; p++) {
        if (*p == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char msg[200];
    if (rq->body_len == 0)
        snprintf(msg, sizeof msg, "Invalid input JSON on line 1, column 1: No content to map due to end-of-input");
    else
        snprintf(msg, sizeof msg, "Invalid input JSON on line %d, column %d: Unexpected character", line, col);
    fk_hs_error(rs, 400, "VALIDATION_ERROR", msg, NULL);
    return -1;
}

fk_rec_t *fk_hs_find(int obj, const char *id, const char *id_property, int archived)
{
    fk_rec_t *r = NULL;
    if (!id_property || strcmp(id_property, "hs_object_id") == 0) {
        r = fk_table_get(&G.hs[obj], id);
    } else if (obj == FK_HS_CONTACTS && strcmp(id_property, "email") == 0 && !archived) {
        char *k = fk_xstrdup(id);
        fk_lower(k);
        r = fk_map_get(&G.hs_email, k);
        free(k);
    } else {
        const fk_hs_prop_t *p = fk_hs_prop(obj, id_property);
        if (!p || !p->unique)
            return NULL;
        for (size_t i = 0; i < G.hs[obj].n; i++) {
            fk_rec_t *c = G.hs[obj].v[i];
            const char *v = fk_json_str(c->f, id_property);
            if (c->deleted == archived && v && fk_strcaseeq(v, id))
                return c;
        }
        return NULL;
    }
    if (r && r->deleted != archived)
        return NULL;
    return r;
}

fk_rec_t *fk_hs_create(int obj, const cJSON *props)
{
    fk_rec_t *r = fk_rec_new(obj);
    r->seq = G.hs_next_id++;
    snprintf(r->id, sizeof r->id, "%llu", (unsigned long long)r->seq);
    int64_t now = fk_now_ms();
    r->created_ms = r->modified_ms = now;
    char ts[32];
    fk_fmt_hs_datetime(now, ts);
    cJSON_AddStringToObject(r->f, "createdate", ts);
    cJSON_AddStringToObject(r->f, fk_hs_modified_prop(obj), ts);
    cJSON_AddStringToObject(r->f, "hs_object_id", r->id);
    fk_hs_apply_props(r, props);
    fk_table_add(&G.hs[obj], r);
    return r;
}

void fk_hs_archive(fk_rec_t *r)
{
    if (r->deleted)
        return;
    r->deleted = 1;
    r->deleted_ms = fk_now_ms();
    G.hs[r->obj].live--;
    if (r->obj == FK_HS_CONTACTS) {
        const char *email = fk_json_str(r->f, "email");
        if (email) {
            char *k = fk_xstrdup(email);
            fk_lower(k);
            if (fk_map_get(&G.hs_email, k) == r)
                fk_map_del(&G.hs_email, k);
            free(k);
        }
    }
}

/* "associations":{"companies":{"results":[{"id":"9","type":"contact_to_company"}]}} */
static void add_associations(cJSON *o, const fk_rec_t *r, const char *csv)
{
    const char **types;
    int nt;
    fk_hs_props_from_list(csv, &types, &nt);
    cJSON *assoc = NULL;
    for (int t = 0; t < nt; t++) {
        int to = fk_hs_obj_from_name(types[t]);
        if (to < 0)
            continue;
        cJSON *res = NULL;
        for (int i = 0; i < r->nassoc; i++) {
            const fk_assoc_t *a = &r->assoc[i];
            char id[24];
            snprintf(id, sizeof id, "%llu", (unsigned long long)a->to_id);
            const fk_rec_t *target = fk_table_get(&G.hs[a->to_obj], id);
            if (a->to_obj != to || !target || target->deleted)
                continue;
            if (!res) {
                if (!assoc)
                    assoc = cJSON_AddObjectToObject(o, "associations");
                cJSON *grp = cJSON_AddObjectToObject(assoc, fk_hs_obj_name(to));
                res = cJSON_AddArrayToObject(grp, "results");
            }
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "id", id);
            const char *name = a->user_defined ? NULL : fk_hs_assoc_name(a->type_id);
            char tmp[64];
            if (!name) {
                snprintf(tmp, sizeof tmp, "%s_to_%s", fk_hs_obj_singular(r->obj), fk_hs_obj_singular(to));
                name = tmp;
            }
            cJSON_AddStringToObject(e, "type", name);
            cJSON_AddItemToArray(res, e);
        }
    }
    free_list(types, nt);
}

void fk_hs_add_all_associations(cJSON *o, const fk_rec_t *r)
{
    add_associations(o, r, "contacts,companies,deals");
}

static int parse_bool_param(const char *v)
{
    return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static void hs_list(fk_req_t *rq, fk_resp_t *rs, int obj)
{
    const char *ls = fk_query(rq, "limit"), *after = fk_query(rq, "after");
    int64_t limit = 10, start = 0;
    if (ls && (fk_parse_i64(ls, &limit) || limit < 1 || limit > 100)) {
        fk_hs_error(rs, 400, "VALIDATION_ERROR", "limit must be an integer between 1 and 100", NULL);
        return;
    }
    if (after && *after && (fk_parse_i64(after, &start) || start < 0)) {
        fk_hs_error(rs, 400, "VALIDATION_ERROR", "Invalid after: not a valid paging cursor", NULL);
        return;
    }
    int archived = parse_bool_param(fk_query(rq, "archived"));
    const char **props;
    int np;
    fk_hs_props_from_list(fk_query(rq, "properties"), &props, &np);
    const char *assoc = fk_query(rq, "associations");
    const fk_table_t *t = &G.hs[obj];
    cJSON *out = cJSON_CreateObject(), *res = cJSON_AddArrayToObject(out, "results");
    int n = 0;
    size_t i = fk_table_lower_bound(t, (uint64_t)start);
    for (; i < t->n; i++) {
        const fk_rec_t *r = t->v[i];
        if (r->deleted != archived)
            continue;
        if (n == limit)
            break;
        cJSON *o = fk_hs_render(r, np ? props : NULL, np, 1);
        if (assoc)
            add_associations(o, r, assoc);
        cJSON_AddItemToArray(res, o);
        n++;
    }
    if (i < t->n) {
        char link[256];
        cJSON *pg = cJSON_AddObjectToObject(out, "paging"), *nx = cJSON_AddObjectToObject(pg, "next");
        cJSON_AddStringToObject(nx, "after", t->v[i]->id);
        snprintf(link, sizeof link, "%s/crm/v3/objects/%s?limit=%lld&after=%s", G.base_url, fk_hs_obj_name(obj),
                 (long long)limit, t->v[i]->id);
        cJSON_AddStringToObject(nx, "link", link);
    }
    free_list(props, np);
    fk_resp_json(rs, 200, out);
}

static void not_found(fk_resp_t *rs, const char *id)
{
    cJSON *ctx = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    cJSON_AddItemToArray(arr, cJSON_CreateString(id));
    cJSON_AddItemToObject(ctx, "id", arr);
    fk_hs_error(rs, 404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.", ctx);
}

static void hs_get(fk_req_t *rq, fk_resp_t *rs, int obj, const char *id)
{
    int archived = parse_bool_param(fk_query(rq, "archived"));
    fk_rec_t *r = fk_hs_find(obj, id, fk_query(rq, "idProperty"), archived);
    if (!r) {
        not_found(rs, id);
        return;
    }
    const char **props;
    int np;
    fk_hs_props_from_list(fk_query(rq, "properties"), &props, &np);
    cJSON *o = fk_hs_render(r, np ? props : NULL, np, 1);
    if (fk_query(rq, "associations"))
        add_associations(o, r, fk_query(rq, "associations"));
    free_list(props, np);
    fk_resp_json(rs, 200, o);
}

static void conflict(fk_resp_t *rs, const fk_rec_t *existing)
{
    char msg[96];
    snprintf(msg, sizeof msg, "Contact already exists. Existing ID: %s", existing->id);
    fk_hs_error(rs, 409, "CONFLICT", msg, NULL);
}

/* Validates "associations":[{"to":{"id":N},"types":[{"associationCategory":..,"associationTypeId":..}]}]. */
int fk_hs_check_assocs(int obj, const cJSON *assocs, char **msg)
{
    if (!assocs)
        return 0;
    const cJSON *a;
    if (!cJSON_IsArray(assocs))
        goto bad;
    cJSON_ArrayForEach(a, assocs)
    {
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(a, "to"), *types = cJSON_GetObjectItemCaseSensitive(a, "types");
        const cJSON *tid = cJSON_GetObjectItemCaseSensitive(to, "id");
        if (!(cJSON_IsString(tid) || cJSON_IsNumber(tid)) || !cJSON_IsArray(types) || cJSON_GetArraySize(types) == 0)
            goto bad;
        char id[32];
        if (cJSON_IsString(tid))
            snprintf(id, sizeof id, "%.30s", tid->valuestring);
        else
            snprintf(id, sizeof id, "%.0f", tid->valuedouble);
        const cJSON *t;
        cJSON_ArrayForEach(t, types)
        {
            const cJSON *tn = cJSON_GetObjectItemCaseSensitive(t, "associationTypeId");
            const char *cat = fk_json_str(t, "associationCategory");
            int user = cat && strcmp(cat, "USER_DEFINED") == 0;
            int found = 0;
            for (int o = 0; o < FK_HS_NOBJ && cJSON_IsNumber(tn); o++) {
                const fk_rec_t *target = fk_table_get(&G.hs[o], id);
                if (target && !target->deleted && fk_hs_assoc_allowed(obj, o, tn->valueint, user))
                    found = 1;
            }
            if (!found) {
                fk_buf_t b = {0};
                fk_buf_printf(&b, "One or more associations are invalid: object %s cannot be associated with type %d",
                              id, cJSON_IsNumber(tn) ? tn->valueint : -1);
                *msg = fk_buf_take(&b);
                return -1;
            }
        }
    }
    return 0;
bad:
    *msg = fk_xstrdup("Invalid input JSON on line 1, column 1: associations must be a list of {to, types}");
    return -1;
}

void fk_hs_create_assocs(fk_rec_t *r, const cJSON *assocs)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, assocs)
    {
        const cJSON *tid = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(a, "to"), "id");
        char id[32];
        if (cJSON_IsString(tid))
            snprintf(id, sizeof id, "%s", tid->valuestring);
        else
            snprintf(id, sizeof id, "%.0f", tid->valuedouble);
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(a, "types"))
        {
            const cJSON *tn = cJSON_GetObjectItemCaseSensitive(t, "associationTypeId");
            const char *cat = fk_json_str(t, "associationCategory");
            int user = cat && strcmp(cat, "USER_DEFINED") == 0;
            for (int o = 0; o < FK_HS_NOBJ; o++) {
                fk_rec_t *target = fk_table_get(&G.hs[o], id);
                if (target && !target->deleted && fk_hs_assoc_allowed(r->obj, o, tn->valueint, user)) {
                    fk_hs_add_assoc(r, target, tn->valueint, user);
                    break;
                }
            }
        }
    }
}

static void hs_create(fk_req_t *rq, fk_resp_t *rs, int obj)
{
    cJSON *body;
    if (fk_hs_parse_json_body(rq, rs, &body))
        return;
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(body, "properties");
    const cJSON *assocs = cJSON_GetObjectItemCaseSensitive(body, "associations");
    char *msg = NULL;
    int status;
    const char *cat;
    if (!cJSON_IsObject(body) || !props) {
        fk_hs_error(rs, 400, "VALIDATION_ERROR",
                    "Invalid input JSON on line 1, column 2. Some required fields were not set: [properties]", NULL);
    } else if (fk_hs_check_props(obj, props, &msg, &status, &cat)) {
        fk_hs_error(rs, status, cat, msg, NULL);
    } else if (fk_hs_email_conflict(obj, props, NULL)) {
        conflict(rs, fk_hs_email_conflict(obj, props, NULL));
    } else if (fk_hs_check_assocs(obj, assocs, &msg)) {
        fk_hs_error(rs, 400, "VALIDATION_ERROR", msg, NULL);
    } else {
        fk_rec_t *r = fk_hs_create(obj, props);
        if (assocs)
            fk_hs_create_assocs(r, assocs);
        fk_resp_json(rs, 201, fk_hs_render_full(r));
    }
    free(msg);
    cJSON_Delete(body);
}

static void hs_update(fk_req_t *rq, fk_resp_t *rs, int obj, const char *id)
{
    cJSON *body;
    if (fk_hs_parse_json_body(rq, rs, &body))
        return;
    fk_rec_t *r = fk_hs_find(obj, id, fk_query(rq, "idProperty"), 0);
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(body, "properties");
    char *msg = NULL;
    int status;
    const char *cat;
    if (!cJSON_IsObject(body) || !props) {
        fk_hs_error(rs, 400, "VALIDATION_ERROR",
                    "Invalid input JSON on line 1, column 2. Some required fields were not set: [properties]", NULL);
    } else if (!r) {
        not_found(rs, id);
    } else if (fk_hs_check_props(obj, props, &msg, &status, &cat)) {
        fk_hs_error(rs, status, cat, msg, NULL);
    } else if (fk_hs_email_conflict(obj, props, r)) {
        conflict(rs, fk_hs_email_conflict(obj, props, r));
    } else {
        fk_hs_apply_props(r, props);
        fk_hs_touch(r);
        fk_resp_json(rs, 200, fk_hs_render_full(r));
    }
    free(msg);
    cJSON_Delete(body);
}

static void hs_delete(fk_resp_t *rs, int obj, const char *id)
{
    fk_rec_t *r = fk_table_get(&G.hs[obj], id);
    if (r)
        fk_hs_archive(r);
    fk_resp_empty(rs, 204); /* archiving an unknown or archived id also answers 204 */
}

static int properties_route(fk_req_t *rq, fk_resp_t *rs)
{
    fk_cap_t c;
    int one = 0;
    if (!fk_route(rq, "GET", "/crm/v3/properties/{type}", c) &&
        !(one = fk_route(rq, "GET", "/crm/v3/properties/{type}/{name}", c)))
        return 0;
    int obj = fk_hs_obj_from_name(c[0]);
    if (obj < 0) {
        char msg[320];
        snprintf(msg, sizeof msg, "Unable to infer object type from: %s", c[0]);
        fk_hs_error(rs, 400, "VALIDATION_ERROR", msg, NULL);
    } else {
        fk_hs_properties(rq, rs, obj, one ? c[1] : NULL);
    }
    return 1;
}

void fk_hs_route(fk_req_t *rq, fk_resp_t *rs)
{
    fk_cap_t c;
    int obj = -1;
    int kind = 0;
    if (properties_route(rq, rs))
        return;
    if (fk_route(rq, "GET", "/crm/v3/objects/{type}", c))
        kind = 1;
    else if (fk_route(rq, "POST", "/crm/v3/objects/{type}", c))
        kind = 2;
    else if (fk_route(rq, "POST", "/crm/v3/objects/{type}/search", c))
        kind = 3;
    else if (fk_route(rq, "POST", "/crm/v3/objects/{type}/batch/{op}", c))
        kind = 4;
    else if (fk_route(rq, "GET", "/crm/v3/objects/{type}/{id}", c))
        kind = 5;
    else if (fk_route(rq, "PATCH", "/crm/v3/objects/{type}/{id}", c))
        kind = 6;
    else if (fk_route(rq, "DELETE", "/crm/v3/objects/{type}/{id}", c))
        kind = 7;
    if (!kind) {
        fk_not_found(rq, rs);
        return;
    }
    obj = fk_hs_obj_from_name(c[0]);
    if (obj < 0) {
        char msg[320];
        snprintf(msg, sizeof msg, "Unable to infer object type from: %s", c[0]);
        fk_hs_error(rs, 400, "VALIDATION_ERROR", msg, NULL);
        return;
    }
    switch (kind) {
    case 1: hs_list(rq, rs, obj); break;
    case 2: hs_create(rq, rs, obj); break;
    case 3: fk_hs_search(rq, rs, obj); break;
    case 4: fk_hs_batch(rq, rs, obj, c[1]); break;
    case 5: hs_get(rq, rs, obj, c[1]); break;
    case 6: hs_update(rq, rs, obj, c[1]); break;
    default: hs_delete(rs, obj, c[1]); break;
    }
}
