/*
 * ops.c -- the single-record operations and passthrough: argument checks, then the adapter, then the stats.
 */
#include "client_int.h"
#include "error_int.h"
#include "model_int.h"
#include "record_int.h"
#include "reqopts_int.h"

#define MAX_ID_LEN 255

static ucrm_err_t check_id(const char *id, ucrm_error_t **errp) {
    if (!id || !*id)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "the record id is empty");
    size_t n = strnlen(id, MAX_ID_LEN + 1);
    if (n > MAX_ID_LEN)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "the record id is longer than %d bytes", MAX_ID_LEN);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f)
            return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "the record id contains a control character");
    if (!ucrm__utf8_valid(id, n))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "the record id is not valid UTF-8");
    return UCRM_OK;
}

static ucrm_err_t check_client_object(ucrm_client_t *c, ucrm_object_t object, const char *fn, ucrm_error_t **errp) {
    if (!c)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "%s: client is NULL", fn);
    if (!ucrm_model__object_valid(object))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "%s: unknown object %d", fn, (int)object);
    return UCRM_OK;
}

/* A write's record, then its client and object. */
static ucrm_err_t check_client_record(ucrm_client_t *c, const ucrm_record_t *rec, const char *fn,
                                      ucrm_error_t **errp) {
    if (!rec)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "%s: record is NULL", fn);
    return check_client_object(c, rec->object, fn, errp);
}

/* Runs one adapter operation with timing and stats. */
#define RUN(call, expr)                                                                                        \
    do {                                                                                                       \
        int64_t t0__ = ucrm__mono_us();                                                                        \
        rc = (expr);                                                                                           \
        ucrm_stats__call((call)->client->stats, (call)->op, rc, ucrm__mono_us() - t0__);                       \
    } while (0)

/* A write refused before any request was sent was certainly not applied: says so unless the error already
 * tells what became of the write. */
static ucrm_err_t refused(ucrm_error_t **errp, ucrm_err_t rc) {
    ucrm_error_t *e = errp ? *errp : NULL;
    if (rc < 0 && e && !e->is_static && e->write_state == UCRM_WRITE_NA)
        ucrm_error__set_write_state(e, UCRM_WRITE_NOT_APPLIED);
    return rc;
}

/* After the adapter: the pipeline states the write state of everything it sent; a write the adapter refused
 * before sending anything is refused(). */
static ucrm_err_t after_write(const ucrm_call_t *call, ucrm_err_t rc) {
    return call->sent ? rc : refused(call->errp, rc);
}

UCRM_API ucrm_err_t ucrm_get(ucrm_client_t *c, ucrm_object_t object, const char *id, const ucrm_reqopts_t *opts,
                             ucrm_record_t **out, ucrm_error_t **errp) {
    ucrm_err_t rc;
    if ((rc = check_client_object(c, object, "ucrm_get", errp)) < 0 || (rc = check_id(id, errp)) < 0)
        return rc;
    if (!out)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_get: out is NULL");
    *out = NULL;
    ucrm_call_t call;
    ucrm_call__init(&call, c, opts, "get", errp);
    RUN(&call, c->provider->get(&call, object, id, out));
    if (rc < 0 && *out) {
        ucrm_record_destroy(*out);
        *out = NULL;
    }
    return rc;
}

UCRM_API ucrm_err_t ucrm_create(ucrm_client_t *c, ucrm_record_t *rec, const ucrm_reqopts_t *opts,
                                ucrm_error_t **errp) {
    ucrm_err_t rc;
    if ((rc = check_client_record(c, rec, "ucrm_create", errp)) < 0)
        return refused(errp, rc);
    if (rec->id)
        return refused(errp, ucrm__fail(errp, UCRM_ERR_INVALID_ARG,
                                        "ucrm_create: the record already has an id (%s); use ucrm_update or "
                                        "ucrm_upsert",
                                        rec->id));
    ucrm_call_t call;
    ucrm_call__init(&call, c, opts, "create", errp);
    RUN(&call, c->provider->create(&call, rec));
    after_write(&call, rc);
    if (rc == UCRM_OK)
        ucrm_record_clear_dirty(rec);
    return rc;
}

UCRM_API ucrm_err_t ucrm_update(ucrm_client_t *c, ucrm_record_t *rec, const ucrm_reqopts_t *opts,
                                ucrm_error_t **errp) {
    ucrm_err_t rc;
    if ((rc = check_client_record(c, rec, "ucrm_update", errp)) < 0)
        return refused(errp, rc);
    if (!rec->id)
        return refused(errp, ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_update: the record has no id"));
    if ((rc = check_id(rec->id, errp)) < 0)
        return refused(errp, rc);
    if (!ucrm_record_is_dirty(rec, NULL))
        return UCRM_OK;
    ucrm_call_t call;
    ucrm_call__init(&call, c, opts, "update", errp);
    RUN(&call, c->provider->update(&call, rec));
    after_write(&call, rc);
    if (rc == UCRM_OK)
        ucrm_record_clear_dirty(rec);
    return rc;
}

UCRM_API ucrm_err_t ucrm_delete(ucrm_client_t *c, ucrm_object_t object, const char *id,
                                const ucrm_reqopts_t *opts, ucrm_error_t **errp) {
    ucrm_err_t rc;
    if ((rc = check_client_object(c, object, "ucrm_delete", errp)) < 0 || (rc = check_id(id, errp)) < 0)
        return refused(errp, rc);
    ucrm_call_t call;
    ucrm_call__init(&call, c, opts, "delete", errp);
    RUN(&call, c->provider->del(&call, object, id));
    after_write(&call, rc);
    return rc;
}

/* The upsert key: the caller's, else upsert.<object>.key. */
const char *ucrm__upsert_key(const ucrm_client_t *c, ucrm_object_t object, const char *key_field) {
    if (key_field && *key_field)
        return key_field;
    ucrm_prop_id_t p = object == UCRM_OBJECT_CONTACT   ? UCRM_P_UPSERT_KEY_CONTACT
                       : object == UCRM_OBJECT_ACCOUNT ? UCRM_P_UPSERT_KEY_ACCOUNT
                                                       : UCRM_P_UPSERT_KEY_DEAL;
    const char *k = ucrm_conf__str(c->conf, p);
    return k && *k ? k : NULL;
}

UCRM_API ucrm_err_t ucrm_upsert(ucrm_client_t *c, ucrm_record_t *rec, const char *key_field,
                                const ucrm_reqopts_t *opts, ucrm_error_t **errp) {
    ucrm_err_t rc;
    if ((rc = check_client_record(c, rec, "ucrm_upsert", errp)) < 0)
        return refused(errp, rc);
    const char *key = ucrm__upsert_key(c, rec->object, key_field);
    if (!key)
        return refused(errp, ucrm__fail(errp, UCRM_ERR_INVALID_ARG,
                                        "ucrm_upsert: no key field given and upsert.%s.key is not configured",
                                        ucrm_object_name(rec->object)));
    if (!ucrm_model__find(rec->object, key) && !ucrm_model__is_custom(key))
        return refused(errp, ucrm__fail(errp, UCRM_ERR_INVALID_FIELD, "ucrm_upsert: '%s' is not a field of %s",
                                        key, ucrm_object_name(rec->object)));
    const ucrm_fval_t *kv = ucrm_record__find(rec, key);
    if (!kv || kv->type == UCRM_FIELD_NULL)
        return refused(errp, ucrm__fail(errp, UCRM_ERR_INVALID_ARG,
                                        "ucrm_upsert: the record has no value for the key field '%s'", key));
    ucrm_call_t call;
    ucrm_call__init(&call, c, opts, "upsert", errp);
    RUN(&call, c->provider->upsert(&call, rec, key));
    after_write(&call, rc);
    if (rc == UCRM_OK)
        ucrm_record_clear_dirty(rec);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- passthrough */

struct ucrm_response_s {
    ucrm_resp_t r;
};

UCRM_API ucrm_err_t ucrm_passthrough(ucrm_client_t *c, const char *method, const char *path, const char *body,
                                     size_t body_len, const ucrm_reqopts_t *opts, ucrm_response_t **out,
                                     ucrm_error_t **errp) {
    static const struct {
        const char *m;
        ucrm_retry_class_t retry;
    } methods[] = {{"GET", UCRM_RETRY_SAFE},         {"HEAD", UCRM_RETRY_SAFE},
                   {"PUT", UCRM_RETRY_IDEMPOTENT},   {"PATCH", UCRM_RETRY_IDEMPOTENT},
                   {"DELETE", UCRM_RETRY_IDEMPOTENT}, {"POST", UCRM_RETRY_UNSAFE}};
    if (!c || !method || !path || !out || (body_len && !body))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_passthrough: NULL argument");
    *out = NULL;
    size_t mi = 0;
    while (mi < UCRM__ARRAY_LEN(methods) && strcmp(methods[mi].m, method) != 0)
        mi++;
    if (mi == UCRM__ARRAY_LEN(methods))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_passthrough: unsupported method '%.16s'", method);
    if (path[0] != '/')
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG,
                          "ucrm_passthrough: the path must start with '/' (it is relative to the API base)");
    for (const char *p = path; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return ucrm__fail(errp, UCRM_ERR_INVALID_ARG,
                              "ucrm_passthrough: the path contains a space or control character (percent-encode it)");
    if (body_len > 64u * 1024u * 1024u)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_passthrough: body larger than 64 MiB");

    ucrm_req_t req;
    ucrm_req__init(&req, methods[mi].m, methods[mi].retry);
    req.flags = UCRM_REQ_RAW;
    if (body_len)
        ucrm_buf__append(&req.body, body, body_len);
    ucrm_err_t rc = UCRM_OK;
    if (c->provider->passthrough_prepare)
        rc = c->provider->passthrough_prepare(c->pstate, path, &req, errp);
    else
        ucrm_buf__puts(&req.url, path);
    if (rc == UCRM_OK && (req.url.oom || req.body.oom))
        rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    ucrm_response_t *resp = NULL;
    if (rc == UCRM_OK && !(resp = ucrm__calloc(1, sizeof *resp)))
        rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    if (rc == UCRM_OK) {
        ucrm_call_t call;
        ucrm_call__init(&call, c, opts, "passthrough", errp);
        RUN(&call, ucrm_call__exec(&call, &req, &resp->r));
    }
    ucrm_req__free(&req);
    if (rc < 0) {
        ucrm_response_destroy(resp);
        return rc;
    }
    if (!resp->r.body.ptr && !ucrm_buf__reserve(&resp->r.body, 0)) {
        ucrm_response_destroy(resp);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    *out = resp;
    return UCRM_OK;
}

UCRM_API int ucrm_response_status(const ucrm_response_t *r) { return r ? r->r.status : 0; }

UCRM_API const char *ucrm_response_body(const ucrm_response_t *r, size_t *len) {
    if (len)
        *len = r ? r->r.body.len : 0;
    return r && r->r.body.ptr ? r->r.body.ptr : "";
}

UCRM_API const char *ucrm_response_header(const ucrm_response_t *r, const char *name) {
    return r && name ? ucrm_hdrs__get(&r->r.headers, name) : NULL;
}

UCRM_API void ucrm_response_destroy(ucrm_response_t *r) {
    if (!r)
        return;
    ucrm_resp__free(&r->r);
    ucrm__free(r);
}
