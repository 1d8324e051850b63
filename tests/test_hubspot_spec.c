/*
 * test_hubspot_spec.c -- every request the HubSpot adapter sends is checked against HubSpot's own OpenAPI files
 * (tests/data/hubspot/specs/), and every success answer the adapter has to read is generated from those files.
 *
 * A spec-driven transport stands in for HubSpot: for each request it finds the operation (method + path
 * template), checks the query parameters are declared, checks the JSON body against the request schema
 * (required members, types, enums, recursively) or the form body against the declared fields, then answers
 * with an instance generated from the success response schema: once with only the required members
 * ("minimal"), once with every member the schema defines ("full", 207 multi-status variants for batches).
 * Identity values (ids, trace ids) are filled in so that results can be mapped back.
 *
 * One deliberate deviation is accepted and counted: search `sorts` items are objects
 * {propertyName, direction}, where the spec types them as strings -- HubSpot silently ignores string sorts
 * (PROTOCOL B4, hs-node issues #9, #14, #559; hs-py #236).
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include <unicrm/sys/transport.h>
#include <unicrm/unicrm.h>

static const char *const spec_files[] = {
    "CRM_Contacts_424_v3_contacts.json", "CRM_Companies_424_v3_companies.json", "CRM_Deals_424_v3_deals.json",
    "CRM_Associations_130902_v4_associations.json", "Auth_Oauth_155908_v1_oauth.json",
};
#define NSPECS (sizeof spec_files / sizeof *spec_files)

typedef struct srv {
    cJSON *spec[NSPECS];
    bool full;
    int requests, failures, sort_deviations, list_pages;
    char first_error[1024];
    char ops[4096];          /* operations seen, "METHOD template;" */
} srv_t;

static void fail_req(srv_t *s, const char *what, const char *path, const char *detail) {
    if (!s->failures++)
        snprintf(s->first_error, sizeof s->first_error, "%.300s: %.200s (%.400s)", path, what, detail);
}

/* ---------------------------------------------------------------------------------------------- schemas */

static void errf(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

static const cJSON *resolve(const cJSON *spec, const cJSON *schema) {
    for (int guard = 0; guard < 16; guard++) {
        const cJSON *ref = cJSON_GetObjectItemCaseSensitive(schema, "$ref");
        if (!cJSON_IsString(ref))
            return schema;
        const char *p = ref->valuestring;
        if (strncmp(p, "#/components/schemas/", 21) != 0)
            return NULL;
        schema = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(spec, "components"), "schemas"), p + 21);
    }
    return NULL;
}

static const char *type_of(const cJSON *schema) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(schema, "type");
    if (cJSON_IsString(t))
        return t->valuestring;
    if (cJSON_GetObjectItemCaseSensitive(schema, "properties") ||
        cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties"))
        return "object";
    return NULL;
}

/* Validates inst against schema; false with a message in err (path included). */
static bool validate(srv_t *s, const cJSON *spec, const cJSON *schema, const cJSON *inst, const char *path,
                     char *err, size_t errn);

static bool validate_object(srv_t *s, const cJSON *spec, const cJSON *schema, const cJSON *inst, const char *path,
                            char *err, size_t errn) {
    char sub[512];
    if (!cJSON_IsObject(inst))
        return errf(err, errn, "%s: not an object", path), false;
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(schema, "required")) {
        if (cJSON_IsString(r) && !cJSON_GetObjectItemCaseSensitive(inst, r->valuestring))
            return errf(err, errn, "%s: required member '%s' missing", path, r->valuestring), false;
    }
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    const cJSON *addl = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
    const cJSON *m;
    cJSON_ArrayForEach(m, inst) {
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, m->string);
        snprintf(sub, sizeof sub, "%.300s.%.200s", path, m->string);
        if (ps && !validate(s, spec, ps, m, sub, err, errn))
            return false;
        if (!ps && cJSON_IsObject(addl) && !validate(s, spec, addl, m, sub, err, errn))
            return false;
        if (!ps && !addl && props)
            return errf(err, errn, "%s: member not defined by the schema", sub), false;
    }
    return true;
}

static bool validate(srv_t *s, const cJSON *spec, const cJSON *schema, const cJSON *inst, const char *path,
                     char *err, size_t errn) {
    schema = resolve(spec, schema);
    if (!schema)
        return errf(err, errn, "%s: unresolvable schema", path), false;
    const cJSON *one = cJSON_GetObjectItemCaseSensitive(schema, "oneOf");
    if (cJSON_IsArray(one)) {
        const cJSON *alt;
        cJSON_ArrayForEach(alt, one) if (validate(s, spec, alt, inst, path, err, errn)) return true;
        return false;
    }
    const char *t = type_of(schema);
    if (!t)
        return true;
    if (strcmp(t, "object") == 0)
        return validate_object(s, spec, schema, inst, path, err, errn);
    if (strcmp(t, "array") == 0) {
        char sub[512];
        if (!cJSON_IsArray(inst))
            return errf(err, errn, "%s: not an array", path), false;
        snprintf(sub, sizeof sub, "%.500s[]", path);
        const cJSON *e;
        cJSON_ArrayForEach(e, inst) if (!validate(s, spec, cJSON_GetObjectItemCaseSensitive(schema, "items"), e, sub,
                                                  err, errn)) return false;
        return true;
    }
    if (strcmp(t, "string") == 0) {
        if (cJSON_IsObject(inst) && strstr(path, ".sorts[]")) { /* the documented deviation */
            s->sort_deviations++;
            return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(inst, "propertyName")) ||
                   (errf(err, errn, "%s: sort without propertyName", path), false);
        }
        if (!cJSON_IsString(inst))
            return errf(err, errn, "%s: not a string", path), false;
        const cJSON *en = cJSON_GetObjectItemCaseSensitive(schema, "enum");
        if (!en)
            return true;
        const cJSON *v;
        cJSON_ArrayForEach(v, en) if (cJSON_IsString(v) && strcmp(v->valuestring, inst->valuestring) == 0) return true;
        return errf(err, errn, "%s: '%s' not in the enum", path, inst->valuestring), false;
    }
    if (strcmp(t, "integer") == 0)
        return (cJSON_IsNumber(inst) && inst->valuedouble == (double)(int64_t)inst->valuedouble) ||
               (errf(err, errn, "%s: not an integer", path), false);
    if (strcmp(t, "number") == 0)
        return cJSON_IsNumber(inst) || (errf(err, errn, "%s: not a number", path), false);
    if (strcmp(t, "boolean") == 0)
        return cJSON_IsBool(inst) || (errf(err, errn, "%s: not a boolean", path), false);
    return true;
}

/* An instance of schema: required members only, or every member (full). */
static cJSON *generate(const cJSON *spec, const cJSON *schema, bool full, int depth) {
    schema = resolve(spec, schema);
    if (!schema || depth > 10)
        return cJSON_CreateNull();
    const cJSON *one = cJSON_GetObjectItemCaseSensitive(schema, "oneOf");
    if (cJSON_IsArray(one))
        return generate(spec, one->child, full, depth + 1);
    const char *t = type_of(schema);
    if (!t)
        return cJSON_CreateObject();
    if (strcmp(t, "object") == 0) {
        cJSON *o = cJSON_CreateObject();
        const cJSON *req = cJSON_GetObjectItemCaseSensitive(schema, "required"), *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(schema, "properties")) {
            bool required = false;
            const cJSON *r;
            cJSON_ArrayForEach(r, req) required |= cJSON_IsString(r) && strcmp(r->valuestring, p->string) == 0;
            if (required || full)
                cJSON_AddItemToObject(o, p->string, generate(spec, p, full, depth + 1));
        }
        const cJSON *addl = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
        if (cJSON_IsObject(addl) && full)
            cJSON_AddItemToObject(o, "prop_1", generate(spec, addl, full, depth + 1));
        return o;
    }
    if (strcmp(t, "array") == 0) {
        cJSON *a = cJSON_CreateArray();
        cJSON_AddItemToArray(a, generate(spec, cJSON_GetObjectItemCaseSensitive(schema, "items"), full, depth + 1));
        return a;
    }
    if (strcmp(t, "string") == 0) {
        const cJSON *en = cJSON_GetObjectItemCaseSensitive(schema, "enum");
        const char *fmt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(schema, "format"));
        if (cJSON_IsArray(en) && cJSON_IsString(en->child))
            return cJSON_CreateString(en->child->valuestring);
        if (fmt && strcmp(fmt, "date-time") == 0)
            return cJSON_CreateString("2024-01-01T00:00:00.000Z");
        if (fmt && strcmp(fmt, "uuid") == 0)
            return cJSON_CreateString("aeb5f871-7f07-4993-9211-075dc63e7cbf");
        return cJSON_CreateString("x");
    }
    if (strcmp(t, "integer") == 0 || strcmp(t, "number") == 0)
        return cJSON_CreateNumber(1);
    if (strcmp(t, "boolean") == 0)
        return cJSON_CreateFalse();
    return cJSON_CreateNull();
}

/* ---------------------------------------------------------------------------------------------- operations */

/* Does a request path segment match a template segment (deals are 0-3 in the deals spec, PROTOCOL B1)? */
static bool seg_match(const char *tpl, size_t tl, const char *seg, size_t sl) {
    static const char *const alias[][2] = {{"0-1", "contacts"}, {"0-2", "companies"}, {"0-3", "deals"}};
    if (tl >= 2 && tpl[0] == '{' && tpl[tl - 1] == '}')
        return sl > 0;
    if (tl == sl && strncmp(tpl, seg, tl) == 0)
        return true;
    for (size_t i = 0; i < 3; i++)
        if (tl == 3 && strncmp(tpl, alias[i][0], 3) == 0 && sl == strlen(alias[i][1]) &&
            strncmp(seg, alias[i][1], sl) == 0)
            return true;
    return false;
}

static bool path_match(const char *tpl, const char *path) {
    for (;;) {
        if (*tpl != '/' || *path != '/')
            return *tpl == '\0' && *path == '\0';
        tpl++, path++;
        size_t tl = strcspn(tpl, "/"), pl = strcspn(path, "/");
        if (!seg_match(tpl, tl, path, pl))
            return false;
        tpl += tl, path += pl;
    }
}

static const cJSON *find_op(srv_t *s, const char *method, const char *path, const cJSON **spec, const char **tpl) {
    char m[16];
    size_t i;
    for (i = 0; method[i] && i < sizeof m - 1; i++)
        m[i] = (char)(method[i] | 0x20);
    m[i] = '\0';
    for (size_t k = 0; k < NSPECS; k++) {
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(s->spec[k], "paths")) {
            const cJSON *op = cJSON_GetObjectItemCaseSensitive(p, m);
            if (op && path_match(p->string, path)) {
                *spec = s->spec[k];
                *tpl = p->string;
                return op;
            }
        }
    }
    return NULL;
}

static bool query_declared(const cJSON *op, const char *name, size_t n) {
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(op, "parameters")) {
        const char *pn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "name"));
        const char *in = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "in"));
        if (pn && in && strcmp(in, "query") == 0 && strlen(pn) == n && strncmp(pn, name, n) == 0)
            return true;
    }
    return false;
}

static void check_query(srv_t *s, const cJSON *op, const char *path, const char *q) {
    while (q && *q) {
        size_t n = strcspn(q, "=&");
        if (!query_declared(op, q, n)) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)n, q);
            fail_req(s, "undeclared query parameter", path, name);
        }
        q = strchr(q, '&');
        q = q ? q + 1 : NULL;
    }
}

/* The form fields of the token request must be declared, grant_type one of its enum. */
static void check_form(srv_t *s, const cJSON *schema, const char *path, const char *body) {
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    for (const char *p = body; p && *p;) {
        size_t n = strcspn(p, "="), vl;
        char key[64], val[128];
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        const char *v = p + n + (p[n] == '=');
        vl = strcspn(v, "&");
        snprintf(val, sizeof val, "%.*s", (int)vl, v);
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, key);
        if (!ps)
            fail_req(s, "undeclared form field", path, key);
        const cJSON *en = cJSON_GetObjectItemCaseSensitive(ps, "enum"), *e;
        bool in = !en;
        cJSON_ArrayForEach(e, en) in |= cJSON_IsString(e) && strcmp(e->valuestring, val) == 0;
        if (!in)
            fail_req(s, "form value not in the enum", path, key);
        p = strchr(p, '&');
        p = p ? p + 1 : NULL;
    }
}

/* Checks the body; returns the parsed JSON body (or NULL). */
static cJSON *check_body(srv_t *s, const cJSON *spec, const cJSON *op, const char *path, const char *body,
                         size_t len) {
    const cJSON *rb = cJSON_GetObjectItemCaseSensitive(op, "requestBody");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(rb, "content");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(content, "application/json"),
                                                       "schema");
    const cJSON *form = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(content, "application/x-www-form-urlencoded"), "schema");
    if (!rb) {
        if (len)
            fail_req(s, "a body where the operation takes none", path, "");
        return NULL;
    }
    if (form) {
        char *copy = strndup(body ? body : "", len);
        check_form(s, form, path, copy);
        free(copy);
        return NULL;
    }
    cJSON *j = len ? cJSON_ParseWithLength(body, len) : NULL;
    char err[512];
    if (!j)
        fail_req(s, "body is not JSON", path, "");
    else if (!validate(s, spec, js, j, "body", err, sizeof err))
        fail_req(s, "body does not fit the schema", path, err);
    return j;
}

/* ---------------------------------------------------------------------------------------------- answers */

static const cJSON *success_schema(const cJSON *spec, const cJSON *op, bool want_207, int *status) {
    const cJSON *r, *best = NULL;
    int best_status = 999;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(op, "responses")) {
        int st = atoi(r->string);
        if (st < 200 || st > 299)
            continue;
        if ((want_207 && st == 207) || (!(want_207 && best_status == 207) && st < best_status)) {
            best = r;
            best_status = st;
        }
    }
    *status = best ? best_status : 200;
    const cJSON *c = resolve(spec, cJSON_GetObjectItemCaseSensitive(best, "content"));
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "application/json"), "schema");
}

static void set_str(cJSON *o, const char *key, const char *v) {
    if (!cJSON_IsObject(o))
        return;
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddStringToObject(o, key, v);
}

/* Batch results: one per input (the first only with 207), echoing ids and trace ids. */
static void fill_batch(cJSON *ans, const cJSON *body, const char *tpl, bool partial) {
    cJSON *res = cJSON_GetObjectItemCaseSensitive(ans, "results");
    if (!cJSON_IsArray(res) || !res->child)
        return;
    cJSON *proto = cJSON_DetachItemViaPointer(res, res->child);
    while (res->child)
        cJSON_Delete(cJSON_DetachItemViaPointer(res, res->child));
    int i = 0;
    const cJSON *in;
    cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(body, "inputs")) {
        if (partial && i > 0)
            break;
        cJSON *r = cJSON_Duplicate(proto, 1);
        char id[16];
        snprintf(id, sizeof id, "%d", 100 + i++);
        const char *in_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "id"));
        if (strstr(tpl, "/crm/v4/")) { /* LabelsBetweenObjectPair or a batch read entry */
            const cJSON *from = cJSON_GetObjectItemCaseSensitive(in, "from"), *to = cJSON_GetObjectItemCaseSensitive(in, "to");
            set_str(r, "fromObjectId", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(from, "id")));
            set_str(r, "toObjectId", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(to, "id")));
            set_str(cJSON_GetObjectItemCaseSensitive(r, "from"), "id", in_id ? in_id : "x");
            cJSON *tl = cJSON_GetObjectItemCaseSensitive(r, "to");
            cJSON *t0 = cJSON_GetArrayItem(tl, 0);
            cJSON *ty = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(t0, "associationTypes"), 0);
            set_str(t0, "toObjectId", "2");
            set_str(ty, "category", "HUBSPOT_DEFINED");
            if (cJSON_IsObject(ty)) {
                cJSON_DeleteItemFromObjectCaseSensitive(ty, "typeId");
                cJSON_AddNumberToObject(ty, "typeId", 1);
            }
        } else {
            set_str(r, "id", strstr(tpl, "batch/update") && in_id ? in_id : id);
            const char *trace = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "objectWriteTraceId"));
            if (trace)
                set_str(r, "objectWriteTraceId", trace);
        }
        cJSON_AddItemToArray(res, r);
    }
    cJSON_Delete(proto);
    cJSON *errs = cJSON_GetObjectItemCaseSensitive(ans, "errors");
    cJSON *e0 = cJSON_GetArrayItem(errs, 0);
    if (e0 && partial) {
        cJSON *ctx = cJSON_CreateObject(), *tr = cJSON_AddArrayToObject(ctx, "objectWriteTraceId");
        cJSON_AddItemToArray(tr, cJSON_CreateString("ucrm-1"));
        cJSON_ReplaceItemInObjectCaseSensitive(e0, "context", ctx);
    } else if (errs) {
        cJSON_DeleteItemFromObjectCaseSensitive(ans, "errors");
    }
}

/* Generated answers made usable: identities echoed, paging only on the first list page. */
static void fill_answer(srv_t *s, cJSON *ans, const cJSON *body, const char *tpl, const char *path, bool partial) {
    const char *last = strrchr(path, '/') + 1;
    if (strstr(tpl, "/batch/"))
        fill_batch(ans, body, tpl, partial);
    if (strstr(tpl, "/search")) {
        cJSON_DeleteItemFromObjectCaseSensitive(ans, "total");
        cJSON_AddNumberToObject(ans, "total", 1);
    }
    if (cJSON_GetObjectItemCaseSensitive(ans, "paging") && (strstr(tpl, "/search") || s->list_pages++ > 0))
        cJSON_DeleteItemFromObjectCaseSensitive(ans, "paging");
    cJSON *res0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ans, "results"), 0);
    if (strstr(tpl, "/crm/v4/objects/") && res0) { /* the record's associations: one primary company */
        cJSON *ty = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res0, "associationTypes"), 0);
        set_str(res0, "toObjectId", "2");
        set_str(ty, "category", "HUBSPOT_DEFINED");
        if (cJSON_IsObject(ty)) {
            cJSON_DeleteItemFromObjectCaseSensitive(ty, "typeId");
            cJSON_AddNumberToObject(ty, "typeId", 1);
        }
    }
    if (cJSON_GetObjectItemCaseSensitive(ans, "archived") && cJSON_GetObjectItemCaseSensitive(ans, "createdAt"))
        set_str(ans, "id", strstr(tpl, "}") && !strstr(tpl, "/batch/") ? last : "1");
    if (cJSON_GetObjectItemCaseSensitive(ans, "access_token")) {
        cJSON_DeleteItemFromObjectCaseSensitive(ans, "expires_in");
        cJSON_AddNumberToObject(ans, "expires_in", 1800);
    }
}

static ucrm_err_t spec_send(void *opaque, const ucrm_http_request_t *req, ucrm_http_response_t *resp) {
    srv_t *s = opaque;
    const char *url = ucrm_http_request_url(req), *method = ucrm_http_request_method(req);
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : url;
    char path[1024];
    snprintf(path, sizeof path, "%.*s", (int)strcspn(p, "?"), p);
    const char *q = strchr(p, '?');
    const cJSON *spec = NULL;
    const char *tpl = NULL;
    s->requests++;
    const cJSON *op = find_op(s, method, path, &spec, &tpl);
    if (!op) {
        fail_req(s, "no such operation in the specs", path, method);
        ucrm_http_response_set_status(resp, 404);
        return UCRM_OK;
    }
    size_t ol = strlen(s->ops);
    snprintf(s->ops + ol, sizeof s->ops - ol, "%s %s;", method, tpl);
    check_query(s, op, path, q ? q + 1 : NULL);
    size_t blen = 0;
    const char *body = ucrm_http_request_body(req, &blen);
    cJSON *jb = check_body(s, spec, op, path, body, blen);
    bool partial = s->full && strstr(tpl, "/crm/v3/") && strstr(tpl, "/batch/") && !strstr(tpl, "archive") &&
                   cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(jb, "inputs")) > 1;
    int status;
    const cJSON *schema = success_schema(spec, op, partial, &status);
    ucrm_http_response_set_status(resp, status);
    if (schema) {
        cJSON *ans = generate(spec, schema, s->full, 0);
        fill_answer(s, ans, jb, tpl, path, partial);
        char *txt = cJSON_PrintUnformatted(ans);
        ucrm_http_response_add_header(resp, "Content-Type", "application/json");
        ucrm_http_response_append_body(resp, txt, strlen(txt));
        cJSON_free(txt);
        cJSON_Delete(ans);
    }
    cJSON_Delete(jb);
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- scenarios */

static ucrm_client_t *client(srv_t *s, bool oauth) {
    ucrm_conf_t *conf = ucrm_conf_new();
    ucrm_conf_set(conf, "provider", "hubspot", NULL);
    ucrm_conf_set(conf, "retry.max", "0", NULL);
    ucrm_conf_set(conf, "ratelimit.enable", "false", NULL);
    if (oauth) {
        ucrm_conf_set(conf, "auth.refresh.token", "rt", NULL);
        ucrm_conf_set(conf, "auth.client.id", "cid", NULL);
        ucrm_conf_set(conf, "auth.client.secret", "cs", NULL);
    } else {
        ucrm_conf_set(conf, "auth.access.token", "pat-na1-x", NULL);
    }
    ucrm_transport_t t;
    ucrm_transport_init(&t, UCRM_TRANSPORT_VERSION);
    t.opaque = s;
    t.send = spec_send;
    ucrm_conf_set_transport(conf, &t);
    ucrm_client_t *c = NULL;
    assert_int_equal(ucrm_client_new(&c, conf, NULL), UCRM_OK);
    ucrm_conf_destroy(conf);
    return c;
}

static void ok(ucrm_err_t rc, ucrm_error_t *e, const char *what, const srv_t *s) {
    if (rc != UCRM_OK)
        fail_msg("%s (%s): %s %s", what, s->full ? "full" : "minimal", ucrm_err_name(rc), ucrm_error_message(e));
}

static ucrm_record_t *rec(ucrm_object_t o, const char *json) {
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_record_new_from_json(&r, o, json, strlen(json), NULL), UCRM_OK);
    return r;
}

static const struct objcase {
    ucrm_object_t o;
    const char *create, *key, *upsert;
} cases[] = {
    {UCRM_OBJECT_CONTACT,
     "{\"first_name\":\"A\",\"email\":\"a@x.com\",\"account_id\":\"9\",\"address\":{\"city\":\"B\"},"
     "\"phone_numbers\":[{\"number\":\"1\",\"type\":\"mobile\"}],\"additional_emails\":[\"b@x.com\"],"
     "\"custom.favorite_color\":\"teal\"}",
     "email", "{\"email\":\"a@x.com\",\"title\":\"T\",\"account_id\":\"9\"}"},
    {UCRM_OBJECT_ACCOUNT, "{\"name\":\"A\",\"employee_count\":5,\"annual_revenue\":\"10.5\"}", "custom.ext_id",
     "{\"custom.ext_id\":\"E1\",\"name\":\"A\"}"},
    {UCRM_OBJECT_DEAL, "{\"name\":\"D\",\"amount\":\"1.5\",\"close_date\":\"2024-06-30\",\"account_id\":\"9\"}",
     "custom.ext_id", "{\"custom.ext_id\":\"E2\",\"name\":\"D\"}"},
};

static void run_object(srv_t *s, ucrm_client_t *c, const struct objcase *k) {
    ucrm_error_t *e = NULL;
    ucrm_record_t *r = NULL;
    ok(ucrm_get(c, k->o, "11", NULL, &r, &e), e, "get", s);
    ucrm_record_destroy(r);
    r = rec(k->o, k->create);
    ok(ucrm_create(c, r, NULL, &e), e, "create", s);
    ucrm_record_set_string(r, "owner_id", "7");
    if (k->o != UCRM_OBJECT_ACCOUNT)
        ucrm_record_set_string(r, "account_id", "8");
    ok(ucrm_update(c, r, NULL, &e), e, "update", s);
    if (k->o != UCRM_OBJECT_ACCOUNT) {
        ucrm_record_set_null(r, "account_id");
        ok(ucrm_update(c, r, NULL, &e), e, "update (no primary)", s);
    }
    ucrm_record_destroy(r);
    ok(ucrm_delete(c, k->o, "12", NULL, &e), e, "delete", s);
    r = rec(k->o, k->upsert);
    ok(ucrm_upsert(c, r, k->key, NULL, &e), e, "upsert", s);
    ucrm_record_destroy(r);
    ucrm_iter_t *it = NULL;
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_include_deleted(o, 1);
    ok(ucrm_list(c, k->o, o, &it, &e), e, "list", s);
    ucrm_err_t rc;
    while ((rc = ucrm_iter_next(it, &r, &e)) == UCRM_OK)
        ucrm_record_destroy(r);
    assert_int_equal(rc, UCRM_ITEROVER);
    ucrm_iter_destroy(it);
    ucrm_reqopts_set_updated_since(o, "2024-01-01T00:00:00Z");
    ok(ucrm_list(c, k->o, o, &it, &e), e, "incremental", s);
    while ((rc = ucrm_iter_next(it, &r, &e)) == UCRM_OK)
        ucrm_record_destroy(r);
    if (rc != UCRM_ITEROVER)
        fail_msg("incremental: %s %s", ucrm_err_name(rc), ucrm_error_message(e));
    ucrm_iter_destroy(it);
    ucrm_reqopts_destroy(o);
    ok(ucrm_search(c, k->o, "owner_id", "7", NULL, &it, &e), e, "search", s);
    while ((rc = ucrm_iter_next(it, &r, &e)) == UCRM_OK)
        ucrm_record_destroy(r);
    assert_int_equal(rc, UCRM_ITEROVER);
    ucrm_iter_destroy(it);
    ucrm_error_destroy(e);
}

static void run_batches(srv_t *s, ucrm_client_t *c, const struct objcase *k) {
    static const ucrm_batch_op_t ops[] = {UCRM_BATCH_CREATE, UCRM_BATCH_UPDATE, UCRM_BATCH_UPSERT, UCRM_BATCH_DELETE};
    for (size_t i = 0; i < 4; i++) {
        ucrm_batch_t *b = NULL;
        ucrm_error_t *e = NULL;
        ucrm_batch_new(&b, k->o, ops[i]);
        if (ops[i] == UCRM_BATCH_UPSERT)
            ucrm_batch_set_key_field(b, k->key);
        for (int n = 0; n < 2; n++) {
            ucrm_record_t *r = rec(k->o, ops[i] == UCRM_BATCH_UPSERT ? k->upsert : k->create);
            if (ops[i] == UCRM_BATCH_UPDATE || ops[i] == UCRM_BATCH_DELETE)
                ucrm_record_set_id(r, n ? "21" : "20");
            if (ops[i] == UCRM_BATCH_UPSERT)
                ucrm_record_set_string(r, k->key, n ? "k2@x.com" : "k1@x.com");
            ucrm_batch_add(b, r);
            ucrm_record_destroy(r);
        }
        ucrm_err_t rc = ucrm_batch_run(c, b, NULL, &e);
        ucrm_err_t want = s->full && ops[i] != UCRM_BATCH_DELETE ? UCRM_ERR_PARTIAL : UCRM_OK;
        if (rc != want)
            fail_msg("batch op %d (%s): %s %s", (int)ops[i], s->full ? "full" : "minimal", ucrm_err_name(rc),
                     ucrm_error_message(e));
        const char *id = NULL;
        const ucrm_error_t *ie = NULL;
        if (ucrm_batch_result(b, 0, &id, &ie) != UCRM_OK)
            fail_msg("batch op %d item 0: %s", (int)ops[i], ucrm_error_message(ie));
        if (want == UCRM_ERR_PARTIAL)
            assert_int_not_equal(ucrm_batch_result(b, 1, &id, &ie), UCRM_OK);
        ucrm_batch_destroy(b);
        ucrm_error_destroy(e);
    }
}

static srv_t *load_specs(void) {
    srv_t *s = calloc(1, sizeof *s);
    for (size_t i = 0; i < NSPECS; i++) {
        char path[256];
        snprintf(path, sizeof path, "tests/data/hubspot/specs/%s", spec_files[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *buf = malloc((size_t)n + 1);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        s->spec[i] = cJSON_ParseWithLength(buf, (size_t)n);
        assert_non_null(s->spec[i]);
        free(buf);
    }
    return s;
}

static void free_specs(srv_t *s) {
    for (size_t i = 0; i < NSPECS; i++)
        cJSON_Delete(s->spec[i]);
    free(s);
}

static void run_all(bool full) {
    srv_t *s = load_specs();
    s->full = full;
    ucrm_client_t *c = client(s, false);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        run_object(s, c, &cases[i]);
        run_batches(s, c, &cases[i]);
    }
    ucrm_client_destroy(c);
    c = client(s, true); /* OAuth: the token request too */
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    ok(ucrm_get(c, UCRM_OBJECT_ACCOUNT, "11", NULL, &r, &e), e, "get with OAuth", s);
    ucrm_record_destroy(r);
    ucrm_client_destroy(c);
    if (s->failures)
        fail_msg("%d request(s) do not fit HubSpot's specs; first: %s", s->failures, s->first_error);
    print_message("%d requests checked (%s answers), %d object sorts\n", s->requests, full ? "full" : "minimal",
                  s->sort_deviations);
    assert_true(s->requests > 40);
    assert_true(s->sort_deviations > 0);
    /* every kind of request the adapter makes was seen */
    static const char *const must[] = {
        "GET /crm/v3/objects/contacts/{contactId}",
        "POST /crm/v3/objects/contacts;",
        "PATCH /crm/v3/objects/0-3/{dealId}",
        "DELETE /crm/v3/objects/companies/{companyId}",
        "POST /crm/v3/objects/contacts/batch/upsert",
        "POST /crm/v3/objects/companies/batch/create",
        "POST /crm/v3/objects/0-3/batch/update",
        "POST /crm/v3/objects/contacts/batch/archive",
        "POST /crm/v3/objects/contacts/search",
        "GET /crm/v3/objects/0-3;",
        "PUT /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}",
        "GET /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}",
        "DELETE /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}",
        "POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read",
        "POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/create",
        "POST /oauth/v1/token",
    };
    for (size_t i = 0; i < sizeof must / sizeof *must; i++)
        if (!strstr(s->ops, must[i]))
            fail_msg("not exercised: %s", must[i]);
    free_specs(s);
}

/* The checker itself rejects what the specs forbid (so that the tests above can fail). */
static void test_hubspot_spec__checker_rejects(void **state) {
    (void)state;
    static const struct {
        const char *method, *path, *body;
        bool valid;
    } checks[] = {
        {"POST", "/crm/v3/objects/contacts", "{\"properties\":{\"a\":\"b\"},\"associations\":[]}", true},
        {"POST", "/crm/v3/objects/contacts", "{\"properties\":{\"a\":\"b\"}}", false},
        {"POST", "/crm/v3/objects/contacts", "{\"properties\":{\"a\":1},\"associations\":[]}", false},
        {"POST", "/crm/v3/objects/deals/search",
         "{\"filterGroups\":[],\"properties\":[],\"limit\":10,\"after\":\"0\",\"sorts\":[]}", true},
        {"POST", "/crm/v3/objects/deals/search", "{\"filterGroups\":[],\"properties\":[],\"limit\":10,\"after\":\"0\"}",
         false},
        {"POST", "/crm/v3/objects/deals/search",
         "{\"filterGroups\":[{\"filters\":[{\"propertyName\":\"a\",\"operator\":\"LIKE\"}]}],\"properties\":[],"
         "\"limit\":10,\"after\":\"0\",\"sorts\":[]}",
         false},
        {"POST", "/crm/v3/objects/companies/batch/update", "{\"inputs\":[{\"properties\":{}}]}", false},
        {"PUT", "/crm/v4/objects/contacts/1/associations/companies/2",
         "[{\"associationCategory\":\"HUBSPOT_DEFINED\",\"associationTypeId\":1}]", true},
        {"PUT", "/crm/v4/objects/contacts/1/associations/companies/2",
         "[{\"associationCategory\":\"PRIMARY\",\"associationTypeId\":1}]", false},
    };
    srv_t *s = load_specs();
    for (size_t i = 0; i < sizeof checks / sizeof *checks; i++) {
        const cJSON *spec = NULL;
        const char *tpl = NULL;
        const cJSON *op = find_op(s, checks[i].method, checks[i].path, &spec, &tpl);
        assert_non_null(op);
        int before = s->failures;
        cJSON_Delete(check_body(s, spec, op, checks[i].path, checks[i].body, strlen(checks[i].body)));
        if ((s->failures == before) != checks[i].valid)
            fail_msg("case %zu: %s", i, checks[i].valid ? s->first_error : "accepted");
    }
    const cJSON *spec = NULL;
    const char *tpl = NULL;
    assert_null(find_op(s, "POST", "/crm/v3/objects/contacts/frobnicate", &spec, &tpl));
    int before = s->failures;
    check_query(s, find_op(s, "GET", "/crm/v3/objects/contacts/1", &spec, &tpl), "/x", "properties=a&bogus=1");
    assert_int_equal(s->failures, before + 1);
    free_specs(s);
}

static void test_hubspot_spec__minimal_answers(void **state) {
    (void)state;
    run_all(false);
}

static void test_hubspot_spec__full_answers(void **state) {
    (void)state;
    run_all(true);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hubspot_spec__checker_rejects),
        cmocka_unit_test(test_hubspot_spec__minimal_answers),
        cmocka_unit_test(test_hubspot_spec__full_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
