/*
 * testprov.c -- a minimal provider for the core's contract tests (pipeline, iterator, batch, auth), speaking a
 * tiny JSON protocol to the scripted transport. It overrides the built-in "hubspot" adapter while registered.
 *
 *   GET    /objects/<object>/<id>                  -> 200 {"id":"1","fields":{<unified fields>}}
 *   POST   /objects/<object>          {"fields":{dirty}}          -> 201 {"id":"1"}
 *   PATCH  /objects/<object>/<id>     {"fields":{dirty}}          -> 200 {}
 *   DELETE /objects/<object>/<id>                                  -> 204
 *   PUT    /objects/<object>/by/<key>/<value> {"fields":{dirty}}   -> 200 {"id":"1","created":true}
 *   GET    /objects/<object>?limit=N[&after=A][&field=F&value=V]  -> {"results":[...],"next":"A2","total":N}
 *   POST   /objects/<object>/batch/<op> {"items":[{"id":..,"fields":{..}}]} -> {"results":[{"id":..}|{"error":{..}}]}
 *   POST   <auth.token.url>/token  grant_type=refresh_token&refresh_token=R -> {"access_token":..,"expires_in":S}
 * Errors: {"error":"CODE","message":"...","field":"...","existing_id":"..."}; 401 EXPIRED = token expired,
 * 429 = rate limited (Retry-After seconds), 403 QUOTA = quota exhausted, 5xx retriable, LOCKED (400) retriable.
 */
#include "testprov.h"

#include "client_int.h"
#include "error_int.h"
#include "json_int.h"
#include "provider_int.h"
#include "record_int.h"
#include "reqopts_int.h"

#include <stdio.h>
#include <stdlib.h>

static void url_object(ucrm_buf_t *b, ucrm_object_t o) { ucrm_buf__printf(b, "/objects/%s", ucrm_object_name(o)); }

static ucrm_err_t tp_token_request(void *state, const ucrm_conf_t *conf, ucrm_grant_t grant,
                                   const ucrm_token_t *cur, ucrm_req_t *req, ucrm_error_t **errp) {
    (void)state;
    if (grant != UCRM_GRANT_REFRESH_TOKEN)
        return ucrm__fail(errp, UCRM_ERR_UNSUPPORTED, "test provider: refresh_token grant only");
    ucrm_buf__printf(&req->url, "%s/token", ucrm_conf__str(conf, UCRM_P_AUTH_TOKEN_URL));
    ucrm_buf__puts(&req->body, "grant_type=refresh_token&refresh_token=");
    ucrm_buf__urlencode(&req->body, cur->refresh_token, strlen(cur->refresh_token));
    req->content_type = "application/x-www-form-urlencoded";
    return UCRM_OK;
}

static ucrm_err_t tp_token_parse(void *state, const ucrm_resp_t *resp, ucrm_token_t *out, ucrm_error_t **errp) {
    (void)state;
    cJSON *j = cJSON_ParseWithLength(resp->body.ptr ? resp->body.ptr : "", resp->body.len);
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(j, "access_token");
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(j, "refresh_token");
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(j, "expires_in");
    if (!cJSON_IsString(at)) {
        ucrm_json__delete_secret(j);
        return ucrm__fail(errp, UCRM_ERR_PROTOCOL, "test provider: no access_token");
    }
    out->access_token = ucrm__strdup(at->valuestring);
    if (cJSON_IsString(rt))
        out->refresh_token = ucrm__strdup(rt->valuestring);
    out->issued_at_ms = ucrm__now_ms();
    if (cJSON_IsNumber(ex))
        out->expires_at_ms = out->issued_at_ms + (int64_t)(ex->valuedouble * 1000);
    ucrm_json__delete_secret(j); /* its strings are the tokens */
    return UCRM_OK;
}

static ucrm_error_t *tp_parse_error(void *state, const ucrm_req_t *req, const ucrm_resp_t *resp,
                                    ucrm_errclass_t *cls) {
    (void)state;
    cJSON *j = cJSON_ParseWithLength(resp->body.ptr ? resp->body.ptr : "", resp->body.len);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "error");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "message");
    const char *c = cJSON_IsString(code) ? code->valuestring : "";
    ucrm_err_t rc;
    int st = resp->status;
    if (req->flags & UCRM_REQ_NO_AUTH)
        rc = st >= 500 ? UCRM_ERR_PROVIDER : UCRM_ERR_AUTH;
    else if (st == 401)
        rc = UCRM_ERR_AUTH;
    else if (st == 403)
        rc = strcmp(c, "QUOTA") == 0 ? UCRM_ERR_QUOTA_EXHAUSTED : UCRM_ERR_FORBIDDEN;
    else if (st == 404)
        rc = UCRM_ERR_NOT_FOUND;
    else if (st == 409)
        rc = UCRM_ERR_CONFLICT;
    else if (st == 429)
        rc = UCRM_ERR_RATE_LIMITED;
    else if (st >= 500 || strcmp(c, "LOCKED") == 0)
        rc = UCRM_ERR_PROVIDER;
    else
        rc = UCRM_ERR_VALIDATION;
    ucrm_error_t *e = ucrm_error__new(rc, "%s", cJSON_IsString(msg) ? msg->valuestring : "test provider error");
    ucrm_error__set_provider(e, st, c, NULL);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(j, "field");
    if (cJSON_IsString(f))
        ucrm_error__set_field(e, f->valuestring);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, "existing_id");
    if (cJSON_IsString(x))
        ucrm_error__set_existing_id(e, x->valuestring);
    cls->auth_expired = st == 401 && strcmp(c, "EXPIRED") == 0;
    cls->rate_limited = st == 429;
    cls->quota_exhausted = rc == UCRM_ERR_QUOTA_EXHAUSTED;
    cls->retriable = st >= 500 || strcmp(c, "LOCKED") == 0;
    const char *ra = ucrm_resp__header(resp, "Retry-After");
    if (ra)
        cls->retry_after_ms = atoll(ra) * 1000;
    cJSON_Delete(j);
    return e;
}

static void put_field(ucrm_record_t *r, const cJSON *v) {
    const ucrm_model_field_t *def = ucrm_model__find(r->object, v->string);
    if (!def) {
        ucrm_record__put_custom_json(r, v->string, v);
        return;
    }
    if (cJSON_IsNull(v)) {
        ucrm_record__put_null(r, def->name);
        return;
    }
    switch (def->type) {
    case UCRM_FIELD_INT: ucrm_record__put_int(r, def->name, (int64_t)v->valuedouble); break;
    case UCRM_FIELD_DOUBLE: ucrm_record__put_double(r, def->name, v->valuedouble); break;
    case UCRM_FIELD_BOOL: ucrm_record__put_bool(r, def->name, cJSON_IsTrue(v)); break;
    case UCRM_FIELD_OBJECT:
    case UCRM_FIELD_ARRAY: ucrm_record__put_json(r, def->name, cJSON_Duplicate(v, true)); break;
    default:
        if (cJSON_IsString(v))
            ucrm_record__put_str(r, def->name, def->type, v->valuestring, strlen(v->valuestring));
    }
}

static ucrm_record_t *record_from(ucrm_object_t o, const cJSON *item) {
    ucrm_record_t *r = NULL;
    if (ucrm_record_new(&r, o) != UCRM_OK)
        return NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
    if (cJSON_IsString(id))
        ucrm_record__set_id_n(r, id->valuestring, strlen(id->valuestring));
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(item, "fields")) put_field(r, v);
    ucrm_record__set_remote(r, cJSON_Duplicate(item, true));
    return r;
}

/* "fields":{<dirty fields>} */
static void fields_json(const ucrm_record_t *rec, ucrm_buf_t *b) {
    ucrm_buf__puts(b, "\"fields\":{");
    bool first = true;
    for (size_t i = 0; i < rec->nfields; i++) {
        const ucrm_fval_t *f = &rec->fields[i];
        if (!f->dirty)
            continue;
        if (!first)
            ucrm_buf__putc(b, ',');
        first = false;
        ucrm_buf__json_str(b, f->name, strlen(f->name));
        ucrm_buf__putc(b, ':');
        ucrm_record__value_json(f, b);
    }
    ucrm_buf__puts(b, "}");
}

static void dirty_json(const ucrm_record_t *rec, ucrm_buf_t *b) {
    ucrm_buf__putc(b, '{');
    fields_json(rec, b);
    ucrm_buf__putc(b, '}');
}

static ucrm_err_t run(ucrm_call_t *call, ucrm_req_t *req, cJSON **json) {
    ucrm_resp_t resp = {0};
    ucrm_err_t rc = ucrm_call__exec(call, req, &resp);
    ucrm_req__free(req);
    if (rc == UCRM_OK && json) {
        *json = ucrm_call__parse_json(call, &resp, "test request");
        if (!*json)
            rc = UCRM_ERR_PROTOCOL;
    }
    ucrm_resp__free(&resp);
    return rc;
}

static ucrm_err_t tp_get(ucrm_call_t *call, ucrm_object_t o, const char *id, ucrm_record_t **out) {
    ucrm_req_t req;
    ucrm_req__init(&req, "GET", UCRM_RETRY_SAFE);
    url_object(&req.url, o);
    ucrm_buf__putc(&req.url, '/');
    ucrm_buf__urlencode(&req.url, id, strlen(id));
    cJSON *j = NULL;
    ucrm_err_t rc = run(call, &req, &j);
    if (rc == UCRM_OK && !(*out = record_from(o, j)))
        rc = ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
    cJSON_Delete(j);
    return rc;
}

static ucrm_err_t tp_create(ucrm_call_t *call, ucrm_record_t *rec) {
    ucrm_req_t req;
    ucrm_req__init(&req, "POST", UCRM_RETRY_UNSAFE);
    url_object(&req.url, rec->object);
    dirty_json(rec, &req.body);
    cJSON *j = NULL;
    ucrm_err_t rc = run(call, &req, &j);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    if (rc == UCRM_OK && !cJSON_IsString(id))
        rc = ucrm_call__protocol_error(call, NULL, "create", "no id");
    if (rc == UCRM_OK)
        ucrm_record__set_id_n(rec, id->valuestring, strlen(id->valuestring));
    cJSON_Delete(j);
    return rc;
}

static ucrm_err_t tp_update(ucrm_call_t *call, ucrm_record_t *rec) {
    ucrm_req_t req;
    ucrm_req__init(&req, "PATCH", UCRM_RETRY_IDEMPOTENT);
    url_object(&req.url, rec->object);
    ucrm_buf__putc(&req.url, '/');
    ucrm_buf__urlencode(&req.url, rec->id, strlen(rec->id));
    dirty_json(rec, &req.body);
    return run(call, &req, NULL);
}

static ucrm_err_t tp_del(ucrm_call_t *call, ucrm_object_t o, const char *id) {
    ucrm_req_t req;
    ucrm_req__init(&req, "DELETE", UCRM_RETRY_IDEMPOTENT);
    url_object(&req.url, o);
    ucrm_buf__putc(&req.url, '/');
    ucrm_buf__urlencode(&req.url, id, strlen(id));
    return run(call, &req, NULL);
}

static ucrm_err_t tp_upsert(ucrm_call_t *call, ucrm_record_t *rec, const char *key) {
    const ucrm_fval_t *kv = ucrm_record__find(rec, key);
    ucrm_req_t req;
    ucrm_req__init(&req, "PUT", UCRM_RETRY_IDEMPOTENT);
    url_object(&req.url, rec->object);
    ucrm_buf__printf(&req.url, "/by/%s/", key);
    ucrm_buf__urlencode(&req.url, kv->v.s, strlen(kv->v.s));
    dirty_json(rec, &req.body);
    cJSON *j = NULL;
    ucrm_err_t rc = run(call, &req, &j);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    if (rc == UCRM_OK && cJSON_IsString(id))
        ucrm_record__set_id_n(rec, id->valuestring, strlen(id->valuestring));
    cJSON_Delete(j);
    return rc;
}

typedef struct tp_iter {
    ucrm_query_t q;
    char *after;
} tp_iter_t;

static ucrm_err_t tp_iter_open(ucrm_call_t *call, const ucrm_query_t *q, void **istate) {
    tp_iter_t *it = ucrm__calloc(1, sizeof *it);
    if (!it)
        return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
    it->q = *q;
    *istate = it;
    return UCRM_OK;
}

static ucrm_err_t tp_iter_fetch(ucrm_call_t *call, void *istate, ucrm_records_t *page, bool *more, int64_t *total) {
    tp_iter_t *it = istate;
    ucrm_req_t req;
    ucrm_req__init(&req, "GET", UCRM_RETRY_SAFE);
    url_object(&req.url, it->q.object);
    int32_t ps = ucrm_reqopts__page_size(call->opts);
    ucrm_buf__printf(&req.url, "?limit=%d", ps ? ps : 10);
    if (it->after)
        ucrm_buf__printf(&req.url, "&after=%s", it->after);
    if (it->q.search_field) {
        ucrm_buf__printf(&req.url, "&field=%s&value=", it->q.search_field);
        ucrm_buf__urlencode(&req.url, it->q.search_value, strlen(it->q.search_value));
    }
    cJSON *j = NULL;
    ucrm_err_t rc = run(call, &req, &j);
    if (rc < 0)
        return rc;
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "results");
    if (!cJSON_IsArray(res)) {
        cJSON_Delete(j);
        return ucrm_call__protocol_error(call, NULL, "list", "no results array");
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, res) {
        ucrm_record_t *r = record_from(it->q.object, item);
        if (!r || ucrm_records__push(page, r) < 0) {
            cJSON_Delete(j);
            return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
        }
    }
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(j, "next");
    const cJSON *tot = cJSON_GetObjectItemCaseSensitive(j, "total");
    *more = cJSON_IsString(next);
    *total = cJSON_IsNumber(tot) ? (int64_t)tot->valuedouble : -1;
    ucrm__free(it->after);
    it->after = *more ? ucrm__strdup(next->valuestring) : NULL;
    cJSON_Delete(j);
    return UCRM_OK;
}

static ucrm_err_t tp_iter_save(const void *istate, cJSON *obj) {
    const tp_iter_t *it = istate;
    if (it->after && !cJSON_AddStringToObject(obj, "after", it->after))
        return UCRM_ERR_NOMEM;
    return UCRM_OK;
}

static ucrm_err_t tp_iter_restore(ucrm_call_t *call, const ucrm_query_t *q, const cJSON *obj, void **istate) {
    ucrm_err_t rc = tp_iter_open(call, q, istate);
    if (rc < 0)
        return rc;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, "after");
    if (a && !cJSON_IsString(a)) {
        ucrm__free(*istate);
        *istate = NULL;
        return ucrm__fail(call->errp, UCRM_ERR_INVALID_ARG, "bad cursor");
    }
    if (a)
        ((tp_iter_t *)*istate)->after = ucrm__strdup(a->valuestring);
    return UCRM_OK;
}

static void tp_iter_free(void *istate) {
    tp_iter_t *it = istate;
    ucrm__free(it->after);
    ucrm__free(it);
}

static ucrm_err_t tp_batch_chunk(ucrm_call_t *call, ucrm_batch_op_t op, ucrm_object_t o, const char *key,
                                 ucrm_batch_item_t *items, size_t n) {
    (void)key;
    static const char *ops[] = {"", "create", "update", "upsert", "delete"};
    ucrm_req_t req;
    ucrm_req__init(&req, "POST", op == UCRM_BATCH_CREATE ? UCRM_RETRY_UNSAFE : UCRM_RETRY_IDEMPOTENT);
    url_object(&req.url, o);
    ucrm_buf__printf(&req.url, "/batch/%s", ops[op]);
    ucrm_buf__puts(&req.body, "{\"items\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            ucrm_buf__putc(&req.body, ',');
        ucrm_buf__puts(&req.body, "{");
        if (items[i].id)
            ucrm_buf__printf(&req.body, "\"id\":\"%s\",", items[i].id);
        if (items[i].rec)
            fields_json(items[i].rec, &req.body);
        else
            ucrm_buf__puts(&req.body, "\"fields\":{}");
        ucrm_buf__puts(&req.body, "}");
    }
    ucrm_buf__puts(&req.body, "]}");
    cJSON *j = NULL;
    ucrm_err_t rc = run(call, &req, &j);
    if (rc < 0)
        return rc;
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "results");
    size_t i = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, res) {
        if (i >= n)
            break;
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(r, "error");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
        const cJSON *cr = cJSON_GetObjectItemCaseSensitive(r, "created");
        if (err) {
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(err, "message");
            items[i].err = ucrm_error__new(UCRM_ERR_VALIDATION, "%s", cJSON_IsString(m) ? m->valuestring : "error");
        } else if (cJSON_IsString(id)) {
            ucrm__strset(&items[i].id, id->valuestring);
            if (cJSON_IsBool(cr))
                items[i].created = cJSON_IsTrue(cr);
        }
        items[i].done = true;
        i++;
    }
    cJSON_Delete(j);
    return UCRM_OK;
}

/* An identity field map, for the sync toolkit's event parsers: a provider field named like a unified field of the
 * object ("email", or a component "address.city") is that field; anything else is unmapped. */
static const char *tp_unified_field(void *state, ucrm_object_t o, const char *pf) {
    (void)state;
    const ucrm_model_field_t *def = ucrm_model__find(o, pf);
    if (def)
        return def->name;
    const char *dot = strchr(pf, '.');
    char compound[64];
    if (!dot || (size_t)(dot - pf) >= sizeof compound || !dot[1])
        return NULL;
    memcpy(compound, pf, (size_t)(dot - pf));
    compound[dot - pf] = '\0';
    def = ucrm_model__find(o, compound);
    return def && (def->type == UCRM_FIELD_OBJECT || def->type == UCRM_FIELD_ARRAY) ? pf : NULL;
}

static const ucrm_provider_t test_provider = {
    .name = "hubspot",
    .feature = UCRM_FEATURE_HUBSPOT,
    .batch_max = 3,
    .token_request = tp_token_request,
    .token_parse = tp_token_parse,
    .parse_error = tp_parse_error,
    .get = tp_get,
    .create = tp_create,
    .update = tp_update,
    .del = tp_del,
    .upsert = tp_upsert,
    .iter_open = tp_iter_open,
    .iter_fetch = tp_iter_fetch,
    .iter_save = tp_iter_save,
    .iter_restore = tp_iter_restore,
    .iter_free = tp_iter_free,
    .batch_chunk = tp_batch_chunk,
    .unified_field = tp_unified_field,
};

static ucrm_provider_t as_salesforce; /* test_provider under the other name (testprov_register_as) */

void testprov_register(void) { ucrm_provider__register_test(&test_provider); }

void testprov_register_as(const char *name) {
    if (strcmp(name, "salesforce") != 0) {
        testprov_register();
        return;
    }
    as_salesforce = test_provider;
    as_salesforce.name = "salesforce";
    as_salesforce.feature = UCRM_FEATURE_SALESFORCE;
    ucrm_provider__register_test(&as_salesforce);
}

void testprov_unregister(void) { ucrm_provider__register_test(NULL); }

tpfx_t *tp_fx(const char *const *kv) {
    testprov_register();
    tpfx_t *f = calloc(1, sizeof *f);
    if (!f)
        abort();
    f->s = script_new();
    f->conf = ucrm_conf_new();
    static const char *const defaults[] = {"provider", "hubspot", "auth.access.token", "tok", NULL};
    for (int pass = 0; pass < 2; pass++) {
        const char *const *p = pass ? kv : defaults;
        for (size_t i = 0; p && p[i]; i += 2) {
            ucrm_error_t *e = NULL;
            if (ucrm_conf_set(f->conf, p[i], p[i + 1], &e) != UCRM_OK) {
                fprintf(stderr, "tp_fx: %s=%s: %s\n", p[i], p[i + 1] ? p[i + 1] : "(null)", ucrm_error_message(e));
                abort();
            }
        }
    }
    script_install(f->s, f->conf);
    ucrm_error_t *e = NULL;
    if (ucrm_client_new(&f->c, f->conf, &e) != UCRM_OK) {
        fprintf(stderr, "tp_fx: client: %s\n", ucrm_error_message(e));
        abort();
    }
    return f;
}

bool tp_fx_done(tpfx_t *f) {
    ucrm_client_destroy(f->c);
    ucrm_conf_destroy(f->conf);
    bool ok = script_ok(f->s);
    if (!ok)
        fprintf(stderr, "script: %s\n", script_error(f->s));
    script_free(f->s);
    free(f);
    testprov_unregister();
    return ok;
}
