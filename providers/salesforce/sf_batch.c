/*
 * sf_batch.c -- batches through sObject Collections (PROTOCOL.md A5), one request per chunk of up to 200:
 *   create  POST   /composite/sobjects                      {"allOrNone":b,"records":[{"attributes":{"type":T},..}]}
 *   update  PATCH  /composite/sobjects                      each record with its "id" and its dirty fields
 *   upsert  PATCH  /composite/sobjects/<SObject>/<ExtField> each record with its external id value (v46.0+)
 *   delete  DELETE /composite/sobjects?ids=a,b&allOrNone=b
 * A well-formed request answers 200 with one result per record in request order: {"id","success","errors":
 * [{"statusCode","message","fields"}], "created" (upsert)}. Records this code cannot send (a field Salesforce
 * cannot hold, no id to update) fail locally and are left out; with allOrNone nothing is sent then.
 */
#include "sf_int.h"

static ucrm_error_t *item_error(ucrm_err_t code, const char *provider_code, bool retriable, const char *fmt,
                                const char *arg) {
    ucrm_error_t *e = ucrm_error__new(code, fmt, arg);
    if (!e->is_static) {
        ucrm_error__set_provider(e, 0, provider_code, NULL);
        ucrm_error__set_retry(e, retriable, 0);
        ucrm_error__set_write_state(e, UCRM_WRITE_NOT_APPLIED);
    }
    return e;
}

static void fail_item(ucrm_batch_item_t *it, ucrm_error_t *e) {
    ucrm_error_destroy(it->err);
    it->err = e;
    it->done = true;
}

/* One record of a create/update/upsert body, appended to body; a local error goes to the item. */
static ucrm_err_t record_json(const sf_objmap_t *m, ucrm_batch_op_t op, ucrm_batch_item_t *it, ucrm_buf_t *body) {
    ucrm_error_t *err = NULL;
    if (!it->rec || (op == UCRM_BATCH_UPDATE && (!it->id || !*it->id))) {
        fail_item(it, item_error(UCRM_ERR_INVALID_ARG, NULL, false, "%s",
                                 op == UCRM_BATCH_UPDATE ? "the record to update has no id" : "no record"));
        return UCRM_ERR_INVALID_ARG;
    }
    size_t mark = body->len, n = 0;
    bool first = false;
    ucrm_buf__printf(body, "{\"attributes\":{\"type\":\"%s\"}", m->sobject);
    if (op == UCRM_BATCH_UPDATE) {
        ucrm_buf__puts(body, ",\"id\":");
        ucrm_buf__json_str(body, it->id, strlen(it->id));
    }
    ucrm_err_t rc = sf_map__write_fields(m, it->rec, op == UCRM_BATCH_UPDATE, NULL, body, &first, &n, &err);
    ucrm_buf__putc(body, '}');
    if (rc < 0) {
        body->len = mark;
        if (body->ptr)
            body->ptr[mark] = '\0';
        if (rc == UCRM_ERR_NOMEM) {
            ucrm_error_destroy(err);
            return rc;
        }
        fail_item(it, err);
    }
    return rc;
}

/* Builds the request; *sent / *nsent list the items sent, in order. */
static ucrm_err_t build(ucrm_call_t *call, const sf_state_t *st, const sf_objmap_t *m, ucrm_batch_op_t op,
                        const char *key_field, ucrm_batch_item_t *items, size_t n, size_t *sent, size_t *nsent,
                        ucrm_req_t *req) {
    bool aon = ucrm_reqopts__all_or_none(call->opts);
    ucrm_buf__puts(&req->url, st->data_path);
    ucrm_buf__puts(&req->url, "/composite/sobjects");
    if (op == UCRM_BATCH_DELETE) {
        ucrm_buf__puts(&req->url, "?ids=");
        for (size_t i = 0; i < n; i++) {
            if (!items[i].id || !*items[i].id) {
                fail_item(&items[i], item_error(UCRM_ERR_INVALID_ARG, NULL, false, "%s", "no id to delete"));
                continue;
            }
            if (*nsent)
                ucrm_buf__puts(&req->url, "%2C");
            ucrm_buf__urlencode(&req->url, items[i].id, strlen(items[i].id));
            sent[(*nsent)++] = i;
        }
        ucrm_buf__printf(&req->url, "&allOrNone=%s", aon ? "true" : "false");
        return UCRM_OK;
    }
    if (op == UCRM_BATCH_UPSERT) {
        const char *ext;
        sf_conv_t conv;
        ucrm_err_t rc = sf_map__plain_field(m, key_field, &ext, &conv, call->errp);
        if (rc < 0)
            return rc;
        ucrm_buf__printf(&req->url, "/%s/%s", m->sobject, ext);
    }
    ucrm_buf__printf(&req->body, "{\"allOrNone\":%s,\"records\":[", aon ? "true" : "false");
    for (size_t i = 0; i < n; i++) {
        if (*nsent)
            ucrm_buf__putc(&req->body, ',');
        ucrm_err_t rc = record_json(m, op, &items[i], &req->body);
        if (rc == UCRM_ERR_NOMEM)
            return ucrm__fail(call->errp, rc, "out of memory");
        if (rc == UCRM_OK)
            sent[(*nsent)++] = i;
        else if (*nsent && req->body.len)
            req->body.ptr[--req->body.len] = '\0'; /* the separator written before the failed record */
    }
    ucrm_buf__puts(&req->body, "]}");
    return UCRM_OK;
}

static void result(const sf_objmap_t *m, ucrm_batch_op_t op, const cJSON *res, ucrm_batch_item_t *it) {
    bool success = false;
    const char *id = ucrm_json__str(res, "id");
    if (!cJSON_IsObject(res) || !ucrm_json__bool(res, "success", &success)) {
        fail_item(it, ucrm_error__new(UCRM_ERR_PROTOCOL, "unexpected response to batch: a result without success"));
        return;
    }
    if (success) {
        if (id && *id && (op == UCRM_BATCH_CREATE || op == UCRM_BATCH_UPSERT) && !ucrm__strset(&it->id, id)) {
            fail_item(it, ucrm_error__new(UCRM_ERR_NOMEM, "out of memory"));
            return;
        }
        bool created;
        if (op == UCRM_BATCH_UPSERT && ucrm_json__bool(res, "created", &created))
            it->created = created;
        else if (op == UCRM_BATCH_CREATE)
            it->created = 1;
        it->done = true;
        return;
    }
    const cJSON *errs = cJSON_GetObjectItemCaseSensitive(res, "errors");
    const cJSON *e0 = cJSON_IsArray(errs) ? cJSON_GetArrayItem(errs, 0) : NULL;
    fail_item(it, e0 ? sf_error__item(m, e0)
                     : item_error(UCRM_ERR_VALIDATION, NULL, false, "%s", "Salesforce: the record failed (no error given)"));
}

ucrm_err_t sf_batch_chunk(ucrm_call_t *call, ucrm_batch_op_t op, ucrm_object_t object, const char *key_field,
                          ucrm_batch_item_t *items, size_t n) {
    const sf_state_t *st = ucrm_call__pstate(call);
    const sf_objmap_t *m = sf_map__obj(st, object);
    static const char *const methods[] = {"", "POST", "PATCH", "PATCH", "DELETE"};
    if (n > SF_BATCH_MAX || op < UCRM_BATCH_CREATE || op > UCRM_BATCH_DELETE)
        return ucrm__fail(call->errp, UCRM_ERR_INVALID_ARG, "Salesforce collections take 1 to %d records",
                          SF_BATCH_MAX);
    size_t sent[SF_BATCH_MAX], nsent = 0;
    ucrm_req_t req;
    ucrm_req__init(&req, methods[op], op == UCRM_BATCH_CREATE ? UCRM_RETRY_UNSAFE : UCRM_RETRY_IDEMPOTENT);
    ucrm_err_t rc = build(call, st, m, op, key_field, items, n, sent, &nsent, &req);
    if (rc == UCRM_OK && nsent < n && ucrm_reqopts__all_or_none(call->opts)) {
        /* all or none: a record that cannot be sent means none is */
        for (size_t k = 0; k < nsent; k++)
            fail_item(&items[sent[k]],
                      item_error(UCRM_ERR_PARTIAL, "ALL_OR_NONE_OPERATION_ROLLED_BACK", true, "%s",
                                 "not sent: another record of this all-or-none batch is invalid"));
        nsent = 0;
    }
    if (rc < 0 || nsent == 0) {
        ucrm_req__free(&req);
        return rc;
    }
    ucrm_resp_t resp = {0};
    cJSON *j = NULL;
    rc = sf_run(call, &req, &resp, &j, "batch");
    if (rc == UCRM_OK && !cJSON_IsArray(j))
        rc = ucrm_call__protocol_error(call, &resp, "batch", "not an array of results");
    if (rc == UCRM_ERR_PROTOCOL && call->errp && *call->errp)
        ucrm_error__set_write_state(*call->errp, UCRM_WRITE_UNKNOWN); /* answered 200: something was written */
    ucrm_resp__free(&resp);
    if (rc == UCRM_OK) {
        size_t k = 0;
        const cJSON *res;
        cJSON_ArrayForEach(res, j) {
            if (k >= nsent)
                break;
            result(m, op, res, &items[sent[k++]]);
        }
    }
    cJSON_Delete(j);
    return rc;
}
