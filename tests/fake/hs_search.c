/*
 * hs_search.c -- POST /crm/v3/objects/{type}/search (PROTOCOL B4).
 *
 * filterGroups are ORed, the filters of a group ANDed; at most 5 groups, 6 filters per group, 18 filters in
 * all (the search guide's numbers; the spec says "up to 6 groups" -- we follow the guide). Operators: EQ, NEQ,
 * LT, LTE, GT, GTE, BETWEEN (value..highValue), IN / NOT_IN (values), HAS_PROPERTY, NOT_HAS_PROPERTY,
 * CONTAINS_TOKEN / NOT_CONTAINS_TOKEN ('*' wildcard). Number, date and dateTime properties compare numerically
 * (dateTime values as epoch ms or ISO 8601); everything else compares case-insensitively as text.
 * "associations.contact|company|deal" filters on associated record ids (EQ, IN, NEQ, NOT_IN, HAS_PROPERTY).
 * One sort object is honoured ({propertyName, direction}); sorts written as strings are ignored, as HubSpot
 * silently ignores them. limit 1..200 (default 10); `after` is the numeric offset; an offset of 10,000 or more
 * answers 400 (the 10,000-result cap); archived records never match. Results carry the requested properties
 * (default set per B4 when omitted) plus hs_object_id, createdate and the last-modified property.
 */
#include "fake.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_MAX_GROUPS  5
#define SEARCH_MAX_FILTERS 6
#define SEARCH_MAX_TOTAL   18
#define SEARCH_MAX_LIMIT   200
#define SEARCH_CAP         10000

typedef struct {
    const char *prop;
    int op;
    const char *value, *high;
    const cJSON *values;
    char ptype;
    int assoc_obj; /* >= 0 for associations.x */
} filt_t;

enum { OP_EQ, OP_NEQ, OP_LT, OP_LTE, OP_GT, OP_GTE, OP_BETWEEN, OP_IN, OP_NOT_IN, OP_HAS, OP_NOT_HAS, OP_CT, OP_NCT };
static const char *const op_names[] = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
                                       "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"};

static int cmp_values(char ptype, const char *a, const char *b, int *ok)
{
    *ok = 1;
    if (ptype == 'n') {
        char *e1, *e2;
        double x = strtod(a, &e1), y = strtod(b, &e2);
        if (*e1 || *e2) {
            *ok = 0;
            return 0;
        }
        return (x > y) - (x < y);
    }
    if (ptype == 't' || ptype == 'd') {
        int64_t x, y;
        if (fk_parse_time_value(a, &x) || fk_parse_time_value(b, &y)) {
            *ok = 0;
            return 0;
        }
        return (x > y) - (x < y);
    }
    return strcasecmp(a, b) < 0 ? -1 : strcasecmp(a, b) > 0;
}

static int glob_match(const char *pat, const char *s)
{
    return fk_wildcard(pat, s, '*', 0, 0);
}

static int contains_token(const char *val, const char *pat)
{
    if (glob_match(pat, val))
        return 1;
    char *copy = fk_xstrdup(val);
    int hit = 0;
    for (char *p = copy; *p && !hit;) {
        while (*p && !isalnum((unsigned char)*p))
            p++;
        char *start = p;
        while (*p && isalnum((unsigned char)*p))
            p++;
        char c = *p;
        *p = '\0';
        if (*start && glob_match(pat, start))
            hit = 1;
        *p = c;
    }
    free(copy);
    return hit;
}

static int in_values(char ptype, const char *v, const cJSON *values)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, values)
    {
        char tmp[64];
        const char *s = cJSON_IsString(e) ? e->valuestring : NULL;
        if (cJSON_IsNumber(e)) {
            snprintf(tmp, sizeof tmp, "%.17g", e->valuedouble);
            s = tmp;
        }
        int ok;
        if (s && cmp_values(ptype, v, s, &ok) == 0 && ok)
            return 1;
    }
    return 0;
}

static int assoc_has(const fk_rec_t *r, int to_obj, const char *id)
{
    for (int i = 0; i < r->nassoc; i++) {
        char buf[24];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)r->assoc[i].to_id);
        if (r->assoc[i].to_obj == to_obj && (!id || strcmp(buf, id) == 0))
            return 1;
    }
    return 0;
}

static int match_assoc(const fk_rec_t *r, const filt_t *f)
{
    int hit = 0;
    if (f->op == OP_HAS || f->op == OP_NOT_HAS) {
        hit = assoc_has(r, f->assoc_obj, NULL);
        return f->op == OP_HAS ? hit : !hit;
    }
    if (f->op == OP_IN || f->op == OP_NOT_IN) {
        const cJSON *e;
        cJSON_ArrayForEach(e, f->values) if (cJSON_IsString(e) && assoc_has(r, f->assoc_obj, e->valuestring)) hit = 1;
        return f->op == OP_IN ? hit : !hit;
    }
    hit = assoc_has(r, f->assoc_obj, f->value);
    return f->op == OP_NEQ ? !hit : hit;
}

static int match_filter(const fk_rec_t *r, const filt_t *f)
{
    if (f->assoc_obj >= 0)
        return match_assoc(r, f);
    const char *v = fk_json_str(r->f, f->prop);
    if (v && !*v)
        v = NULL;
    int ok = 1, c;
    switch (f->op) {
    case OP_HAS: return v != NULL;
    case OP_NOT_HAS: return v == NULL;
    case OP_EQ: return v && cmp_values(f->ptype, v, f->value, &ok) == 0 && ok;
    case OP_NEQ: return !(v && cmp_values(f->ptype, v, f->value, &ok) == 0 && ok);
    case OP_IN: return v && in_values(f->ptype, v, f->values);
    case OP_NOT_IN: return !(v && in_values(f->ptype, v, f->values));
    case OP_CT: return v && contains_token(v, f->value);
    case OP_NCT: return !(v && contains_token(v, f->value));
    case OP_BETWEEN:
        return v && cmp_values(f->ptype, v, f->value, &ok) >= 0 && ok && cmp_values(f->ptype, v, f->high, &ok) <= 0 &&
               ok;
    default:
        if (!v)
            return 0;
        c = cmp_values(f->ptype, v, f->value, &ok);
        if (!ok)
            return 0;
        return f->op == OP_LT ? c < 0 : f->op == OP_LTE ? c <= 0 : f->op == OP_GT ? c > 0 : c >= 0;
    }
}

/* Parses one filter; returns an error message (static) or NULL. */
static const char *parse_filter(int obj, const cJSON *jf, filt_t *f)
{
    memset(f, 0, sizeof *f);
    f->assoc_obj = -1;
    f->prop = fk_json_str(jf, "propertyName");
    const char *op = fk_json_str(jf, "operator");
    if (!f->prop || !op)
        return "Each filter needs a propertyName and an operator";
    int k;
    for (k = 0; k < 13; k++)
        if (strcmp(op, op_names[k]) == 0)
            break;
    if (k == 13)
        return "Invalid filter operator";
    f->op = k;
    if (strncmp(f->prop, "associations.", 13) == 0) {
        f->assoc_obj = fk_hs_obj_from_name(f->prop + 13);
        if (f->assoc_obj < 0)
            return "Unknown association type in filter";
    } else {
        const fk_hs_prop_t *p = fk_hs_prop(obj, f->prop);
        if (!p)
            return "There was a problem with the request: filter on a property that does not exist";
        f->ptype = p->type;
    }
    const cJSON *val = cJSON_GetObjectItemCaseSensitive(jf, "value");
    static char numbuf[2][64];
    if (cJSON_IsNumber(val)) {
        snprintf(numbuf[0], sizeof numbuf[0], "%.17g", val->valuedouble);
        f->value = numbuf[0];
    } else if (cJSON_IsBool(val)) {
        f->value = cJSON_IsTrue(val) ? "true" : "false";
    } else {
        f->value = fk_json_str(jf, "value");
    }
    const cJSON *hv = cJSON_GetObjectItemCaseSensitive(jf, "highValue");
    if (cJSON_IsNumber(hv)) {
        snprintf(numbuf[1], sizeof numbuf[1], "%.17g", hv->valuedouble);
        f->high = numbuf[1];
    } else {
        f->high = fk_json_str(jf, "highValue");
    }
    f->values = cJSON_GetObjectItemCaseSensitive(jf, "values");
    if ((k == OP_IN || k == OP_NOT_IN) && !cJSON_IsArray(f->values))
        return "IN and NOT_IN filters need a values array";
    if (k == OP_BETWEEN && (!f->value || !f->high))
        return "BETWEEN filters need value and highValue";
    if (k != OP_IN && k != OP_NOT_IN && k != OP_HAS && k != OP_NOT_HAS && k != OP_BETWEEN && !f->value)
        return "This filter operator needs a value";
    return NULL;
}

typedef struct {
    const char *prop;
    char ptype;
    int desc;
} sort_t;

static sort_t g_sort;

static int sort_cmp(const void *a, const void *b)
{
    const fk_rec_t *x = *(fk_rec_t *const *)a, *y = *(fk_rec_t *const *)b;
    const char *vx = fk_json_str(x->f, g_sort.prop), *vy = fk_json_str(y->f, g_sort.prop);
    int c;
    if (!vx || !vy) {
        c = (vx == NULL) - (vy == NULL); /* records without a value sort last */
        if (c)
            return c;
        c = 0;
    } else {
        int ok;
        c = cmp_values(g_sort.ptype, vx, vy, &ok);
        if (!ok)
            c = strcmp(vx, vy);
        if (g_sort.desc)
            c = -c;
    }
    if (c == 0)
        c = (x->seq > y->seq) - (x->seq < y->seq);
    return c;
}

static int query_match(int obj, const fk_rec_t *r, const char *q)
{
    static const char *const cprops[] = {"firstname", "lastname", "email", "hs_additional_emails", "phone", "fax",
                                         "mobilephone", "company", NULL};
    static const char *const oprops[] = {"name", "domain", "phone", "website", NULL};
    static const char *const dprops[] = {"dealname", "description", NULL};
    const char *const *props = obj == FK_HS_CONTACTS ? cprops : obj == FK_HS_COMPANIES ? oprops : dprops;
    for (int i = 0; props[i]; i++) {
        const char *v = fk_json_str(r->f, props[i]);
        if (v && strcasestr(v, q))
            return 1;
    }
    return 0;
}

static int parse_groups(int obj, const cJSON *groups, filt_t (*fs)[SEARCH_MAX_FILTERS], int *nf, int *ng,
                        const char **err)
{
    *ng = 0;
    int total = 0;
    if (!groups)
        return 0;
    if (!cJSON_IsArray(groups) || cJSON_GetArraySize(groups) > SEARCH_MAX_GROUPS) {
        *err = cJSON_IsArray(groups) ? "Too many filter groups: at most 5 filterGroups are allowed"
                                     : "filterGroups must be a list";
        return -1;
    }
    const cJSON *g;
    cJSON_ArrayForEach(g, groups)
    {
        const cJSON *filters = cJSON_GetObjectItemCaseSensitive(g, "filters");
        int n = cJSON_GetArraySize(filters);
        total += n;
        if (!cJSON_IsArray(filters) || n > SEARCH_MAX_FILTERS || total > SEARCH_MAX_TOTAL) {
            *err = "Too many filters: at most 6 filters per group and 18 in total are allowed";
            return -1;
        }
        int i = 0;
        const cJSON *jf;
        cJSON_ArrayForEach(jf, filters)
        {
            *err = parse_filter(obj, jf, &fs[*ng][i]);
            if (*err)
                return -1;
            i++;
        }
        nf[*ng] = n;
        (*ng)++;
    }
    return 0;
}

static int record_matches(int obj, const fk_rec_t *r, filt_t (*fs)[SEARCH_MAX_FILTERS], const int *nf, int ng,
                          const char *q)
{
    if (r->deleted || (q && *q && !query_match(obj, r, q)))
        return 0;
    if (ng == 0)
        return 1;
    for (int g = 0; g < ng; g++) {
        int all = 1;
        for (int i = 0; i < nf[g] && all; i++)
            all = match_filter(r, &fs[g][i]);
        if (all)
            return 1;
    }
    return 0;
}

static const char *parse_paging(const cJSON *body, int64_t *limit, int64_t *after)
{
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(body, "limit");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(body, "after");
    *limit = 10;
    *after = 0;
    if (l && !cJSON_IsNull(l)) {
        if (!cJSON_IsNumber(l) || l->valuedouble < 0 || l->valuedouble > SEARCH_MAX_LIMIT ||
            l->valuedouble != (double)(int64_t)l->valuedouble)
            return "limit must be an integer between 0 and 200";
        *limit = (int64_t)l->valuedouble;
        if (*limit == 0)
            *limit = 10;
    }
    if (a && !cJSON_IsNull(a)) {
        if (cJSON_IsNumber(a))
            *after = (int64_t)a->valuedouble;
        else if (!cJSON_IsString(a) || (*a->valuestring && fk_parse_i64(a->valuestring, after)) || *after < 0)
            return "after must be a numeric offset";
    }
    return NULL;
}

static cJSON *render_result(const fk_rec_t *r, const char **props, int np)
{
    int n = 0;
    const char **all = fk_xmalloc((size_t)(np + 12) * sizeof *all);
    if (np) {
        for (int i = 0; i < np; i++)
            all[n++] = props[i];
        all[n++] = "hs_object_id";
        all[n++] = "createdate";
        all[n++] = fk_hs_modified_prop(r->obj);
    } else {
        for (const char *const *d = fk_hs_default_props(r->obj); *d; d++)
            all[n++] = *d;
    }
    cJSON *o = fk_hs_render(r, all, n, 1);
    free(all);
    return o;
}

static void search_body(fk_resp_t *rs, int obj, const cJSON *body)
{
    filt_t fs[SEARCH_MAX_GROUPS][SEARCH_MAX_FILTERS];
    int nf[SEARCH_MAX_GROUPS] = {0}, ng = 0;
    const char *err = NULL;
    int64_t limit, after;
    if (!cJSON_IsObject(body)) {
        fk_hs_error(rs, 400, "VALIDATION_ERROR", "Invalid input JSON on line 1, column 1: expected an object", NULL);
        return;
    }
    if ((err = parse_paging(body, &limit, &after)) ||
        parse_groups(obj, cJSON_GetObjectItemCaseSensitive(body, "filterGroups"), fs, nf, &ng, &err)) {
        fk_hs_error(rs, 400, "VALIDATION_ERROR", err, NULL);
        return;
    }
    if (after >= SEARCH_CAP) {
        fk_hs_error(rs, 400, "VALIDATION_ERROR",
                    "Search results are limited to 10000 for a query: the offset (after) must be below 10000", NULL);
        return;
    }
    const char *q = fk_json_str(body, "query");
    const fk_table_t *t = &G.hs[obj];
    fk_rec_t **hits = fk_xmalloc((t->n + 1) * sizeof *hits);
    size_t nh = 0;
    for (size_t i = 0; i < t->n; i++)
        if (record_matches(obj, t->v[i], fs, nf, ng, q))
            hits[nh++] = t->v[i];
    const cJSON *sorts = cJSON_GetObjectItemCaseSensitive(body, "sorts"), *s0 = cJSON_GetArrayItem(sorts, 0);
    if (cJSON_IsObject(s0) && fk_json_str(s0, "propertyName") && fk_hs_prop(obj, fk_json_str(s0, "propertyName"))) {
        g_sort.prop = fk_json_str(s0, "propertyName");
        g_sort.ptype = fk_hs_prop(obj, g_sort.prop)->type;
        g_sort.desc = fk_json_str(s0, "direction") && strcmp(fk_json_str(s0, "direction"), "DESCENDING") == 0;
        qsort(hits, nh, sizeof *hits, sort_cmp);
    }
    const char **props;
    int np;
    fk_hs_props_from_array(cJSON_GetObjectItemCaseSensitive(body, "properties"), &props, &np);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "total", (double)nh);
    cJSON *res = cJSON_AddArrayToObject(out, "results");
    int64_t end = after + limit;
    if (end > SEARCH_CAP)
        end = SEARCH_CAP;
    for (int64_t i = after; i < end && i < (int64_t)nh; i++)
        cJSON_AddItemToArray(res, render_result(hits[i], props, np));
    if (after + limit < (int64_t)nh) {
        char nx[24];
        snprintf(nx, sizeof nx, "%lld", (long long)(after + limit));
        cJSON *pg = cJSON_AddObjectToObject(out, "paging"), *n = cJSON_AddObjectToObject(pg, "next");
        cJSON_AddStringToObject(n, "after", nx);
    }
    for (int i = 0; i < np; i++)
        free((char *)props[i]);
    free(props);
    free(hits);
    fk_resp_json(rs, 200, out);
}

void fk_hs_search(fk_req_t *rq, fk_resp_t *rs, int obj)
{
    cJSON *body;
    if (rq->body_len > 3000) {
        fk_hs_error(rs, 400, "VALIDATION_ERROR", "The search request body exceeds 3000 characters", NULL);
        return;
    }
    if (fk_hs_parse_json_body(rq, rs, &body))
        return;
    search_body(rs, obj, body);
    cJSON_Delete(body);
}
