/*
 * sf_ops.c -- single-record operations on /services/data/vXX.X/sobjects/<SObject> (PROTOCOL.md A2):
 *   get     GET    .../<id>?fields=<what the selection needs>        200 record
 *   create  POST   .../                   {fields}                   201 {"id","success","errors"}
 *   update  PATCH  .../<id>               {dirty fields}             204
 *   delete  DELETE .../<id>                                          204
 *   upsert  PATCH  .../<ExtIdField>/<value> {fields but the key}     201 created, 200 updated (v46+; 204 before),
 *                                                                    300 several matches -> UCRM_ERR_CONFLICT
 */
#include "sf_int.h"

void sf_sobject_path(const sf_state_t *st, const sf_objmap_t *m, ucrm_buf_t *url) {
    ucrm_buf__puts(url, st->data_path);
    ucrm_buf__puts(url, "/sobjects/");
    ucrm_buf__puts(url, m->sobject);
}

ucrm_err_t sf_run(ucrm_call_t *call, ucrm_req_t *req, ucrm_resp_t *resp, cJSON **json, const char *what) {
    ucrm_err_t rc = (req->url.oom || req->body.oom) ? ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory")
                                                     : ucrm_call__exec(call, req, resp);
    ucrm_req__free(req);
    if (rc == UCRM_OK && json && !(*json = ucrm_call__parse_json(call, resp, what)))
        rc = UCRM_ERR_PROTOCOL;
    return rc;
}

static const sf_state_t *state(const ucrm_call_t *call) { return ucrm_call__pstate(call); }

/* A write answered 2xx whose body cannot be read: it happened, but the caller cannot know the outcome. */
static ucrm_err_t applied_but_unreadable(ucrm_call_t *call, const ucrm_resp_t *resp, const char *what,
                                         const char *why) {
    ucrm_err_t rc = ucrm_call__protocol_error(call, resp, what, why);
    if (call->errp && *call->errp)
        ucrm_error__set_write_state(*call->errp, UCRM_WRITE_UNKNOWN);
    return rc;
}

ucrm_err_t sf_get(ucrm_call_t *call, ucrm_object_t object, const char *id, ucrm_record_t **out) {
    const sf_state_t *st = state(call);
    const sf_objmap_t *m = sf_map__obj(st, object);
    ucrm_req_t req;
    ucrm_req__init(&req, "GET", UCRM_RETRY_SAFE);
    sf_sobject_path(st, m, &req.url);
    ucrm_buf__putc(&req.url, '/');
    ucrm_buf__urlencode(&req.url, id, strlen(id));
    ucrm_buf__puts(&req.url, "?fields=");
    ucrm_err_t rc = sf_soql__select(m, call->opts, NULL, 0, &req.url, call->errp);
    if (rc < 0) {
        ucrm_req__free(&req);
        return rc;
    }
    ucrm_resp_t resp = {0};
    cJSON *j = NULL;
    rc = sf_run(call, &req, &resp, &j, "get");
    ucrm_resp__free(&resp);
    if (rc < 0)
        return rc;
    return sf_map__to_record(m, j, out, call->errp);
}

/* "{...}" with rec's fields; NULL body (error set) on failure. */
static ucrm_err_t body_of(const sf_objmap_t *m, const ucrm_record_t *rec, bool only_dirty, const char *skip,
                          ucrm_buf_t *body, size_t *n, ucrm_error_t **errp) {
    bool first = true;
    ucrm_buf__putc(body, '{');
    ucrm_err_t rc = sf_map__write_fields(m, rec, only_dirty, skip, body, &first, n, errp);
    ucrm_buf__putc(body, '}');
    if (rc == UCRM_OK && body->oom)
        rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    return rc;
}

ucrm_err_t sf_create(ucrm_call_t *call, ucrm_record_t *rec) {
    const sf_state_t *st = state(call);
    const sf_objmap_t *m = sf_map__obj(st, rec->object);
    ucrm_req_t req;
    ucrm_req__init(&req, "POST", UCRM_RETRY_UNSAFE);
    size_t n = 0;
    ucrm_err_t rc = body_of(m, rec, false, NULL, &req.body, &n, call->errp);
    if (rc < 0) {
        ucrm_req__free(&req);
        return rc;
    }
    sf_sobject_path(st, m, &req.url);
    ucrm_buf__putc(&req.url, '/');
    ucrm_resp_t resp = {0};
    rc = sf_run(call, &req, &resp, NULL, "create");
    if (rc == UCRM_OK) {
        cJSON *j = resp.body.len ? cJSON_ParseWithLength(resp.body.ptr, resp.body.len) : NULL;
        const char *id = ucrm_json__str(j, "id");
        if (!id || !*id)
            rc = applied_but_unreadable(call, &resp, "create", "the answer has no record id");
        else if ((rc = ucrm_record__set_id_n(rec, id, strlen(id))) < 0)
            rc = rc == UCRM_ERR_NOMEM ? ucrm__fail(call->errp, rc, "out of memory")
                                      : applied_but_unreadable(call, &resp, "create", "unusable record id");
        cJSON_Delete(j);
    }
    ucrm_resp__free(&resp);
    return rc;
}

ucrm_err_t sf_update(ucrm_call_t *call, ucrm_record_t *rec) {
    const sf_state_t *st = state(call);
    const sf_objmap_t *m = sf_map__obj(st, rec->object);
    ucrm_req_t req;
    ucrm_req__init(&req, "PATCH", UCRM_RETRY_IDEMPOTENT);
    size_t n = 0;
    ucrm_err_t rc = body_of(m, rec, true, NULL, &req.body, &n, call->errp);
    if (rc < 0 || n == 0) {
        ucrm_req__free(&req);
        return rc;
    }
    sf_sobject_path(st, m, &req.url);
    ucrm_buf__putc(&req.url, '/');
    ucrm_buf__urlencode(&req.url, rec->id, strlen(rec->id));
    ucrm_resp_t resp = {0};
    rc = sf_run(call, &req, &resp, NULL, "update");
    ucrm_resp__free(&resp);
    return rc;
}

ucrm_err_t sf_del(ucrm_call_t *call, ucrm_object_t object, const char *id) {
    const sf_state_t *st = state(call);
    ucrm_req_t req;
    ucrm_req__init(&req, "DELETE", UCRM_RETRY_IDEMPOTENT);
    sf_sobject_path(st, sf_map__obj(st, object), &req.url);
    ucrm_buf__putc(&req.url, '/');
    ucrm_buf__urlencode(&req.url, id, strlen(id));
    ucrm_resp_t resp = {0};
    ucrm_err_t rc = sf_run(call, &req, &resp, NULL, "delete");
    ucrm_resp__free(&resp);
    return rc;
}

/* 300 Multiple Choices: the body lists the matching records' URLs (A2). */
static ucrm_err_t multiple_matches(ucrm_call_t *call, const ucrm_resp_t *resp, const char *field) {
    cJSON *j = resp->body.len ? cJSON_ParseWithLength(resp->body.ptr, resp->body.len) : NULL;
    const cJSON *first = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, 0) : NULL;
    int n = cJSON_IsArray(j) ? cJSON_GetArraySize(j) : 0;
    ucrm_error_t *e = ucrm_error__new(UCRM_ERR_CONFLICT,
                                      "Salesforce upsert: the external id field %s matches %d records; nothing was "
                                      "written (ucrm_error_details() lists them)",
                                      field, n);
    if (!e->is_static) {
        ucrm_error__set_provider(e, resp->status, "MULTIPLE_CHOICES", NULL);
        ucrm_error__set_write_state(e, UCRM_WRITE_NOT_APPLIED);
        if (j)
            ucrm_error__set_details(e, resp->body.ptr);
        if (cJSON_IsString(first) && sf_error__url_id(first->valuestring))
            ucrm_error__set_existing_id(e, sf_error__url_id(first->valuestring));
    }
    cJSON_Delete(j);
    return ucrm__give(call->errp, e);
}

ucrm_err_t sf_upsert(ucrm_call_t *call, ucrm_record_t *rec, const char *key_field) {
    const sf_state_t *st = state(call);
    const sf_objmap_t *m = sf_map__obj(st, rec->object);
    const char *ext;
    sf_conv_t conv;
    ucrm_err_t rc = sf_map__plain_field(m, key_field, &ext, &conv, call->errp);
    if (rc < 0)
        return rc;
    ucrm_buf_t value = UCRM_BUF_INIT;
    if ((rc = sf_map__value_text(rec, key_field, &value, call->errp)) < 0) {
        ucrm_buf__free(&value);
        return rc;
    }
    ucrm_req_t req;
    ucrm_req__init(&req, "PATCH", UCRM_RETRY_IDEMPOTENT);
    size_t n = 0;
    rc = body_of(m, rec, false, key_field, &req.body, &n, call->errp);
    sf_sobject_path(st, m, &req.url);
    ucrm_buf__printf(&req.url, "/%s/", ext);
    ucrm_buf__urlencode(&req.url, value.ptr, value.len);
    ucrm_buf__free(&value);
    if (rc < 0) {
        ucrm_req__free(&req);
        return rc;
    }
    ucrm_resp_t resp = {0};
    rc = sf_run(call, &req, &resp, NULL, "upsert");
    if (rc == UCRM_OK && resp.status == 300) {
        rc = multiple_matches(call, &resp, ext);
    } else if (rc == UCRM_OK && resp.status != 204) {
        cJSON *j = resp.body.len ? cJSON_ParseWithLength(resp.body.ptr, resp.body.len) : NULL;
        const char *id = ucrm_json__str(j, "id");
        if (!id || !*id)
            rc = applied_but_unreadable(call, &resp, "upsert", "the answer has no record id");
        else if ((rc = ucrm_record__set_id_n(rec, id, strlen(id))) < 0)
            rc = rc == UCRM_ERR_NOMEM ? ucrm__fail(call->errp, rc, "out of memory")
                                      : applied_but_unreadable(call, &resp, "upsert", "unusable record id");
        cJSON_Delete(j);
    }
    ucrm_resp__free(&resp);
    return rc;
}
