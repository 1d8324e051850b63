/*
 * batch.c -- batches of writes: items kept in the caller's order, run in chunks of the provider's batch size,
 * each outcome mapped back to its item.
 */
#include "client_int.h"
#include "error_int.h"
#include "model_int.h"
#include "record_int.h"

struct ucrm_batch_s {
    ucrm_object_t object;
    ucrm_batch_op_t op;
    char *key_field;
    ucrm_batch_item_t *items;
    size_t n, cap;
    bool ran;
};

UCRM_API ucrm_err_t ucrm_batch_new(ucrm_batch_t **out, ucrm_object_t object, ucrm_batch_op_t op) {
    if (!out || !ucrm_model__object_valid(object) || op < UCRM_BATCH_CREATE || op > UCRM_BATCH_DELETE)
        return UCRM_ERR_INVALID_ARG;
    ucrm_batch_t *b = ucrm__calloc(1, sizeof *b);
    if (!b)
        return UCRM_ERR_NOMEM;
    b->object = object;
    b->op = op;
    *out = b;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_batch_set_key_field(ucrm_batch_t *b, const char *key_field) {
    if (!b || !key_field || (!ucrm_model__find(b->object, key_field) && !ucrm_model__is_custom(key_field)))
        return UCRM_ERR_INVALID_ARG;
    if (b->op != UCRM_BATCH_UPSERT)
        return UCRM_ERR_STATE;
    return ucrm__strset(&b->key_field, key_field) ? UCRM_OK : UCRM_ERR_NOMEM;
}

static ucrm_err_t push(ucrm_batch_t *b, ucrm_record_t *rec, char *id) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        ucrm_batch_item_t *v = ucrm__realloc(b->items, cap * sizeof *v);
        if (!v)
            return UCRM_ERR_NOMEM;
        b->items = v;
        b->cap = cap;
    }
    ucrm_batch_item_t *it = &b->items[b->n++];
    memset(it, 0, sizeof *it);
    it->rec = rec;
    it->id = id;
    it->created = -1;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_batch_add(ucrm_batch_t *b, const ucrm_record_t *rec) {
    if (!b || !rec || rec->object != b->object)
        return UCRM_ERR_INVALID_ARG;
    if (b->ran)
        return UCRM_ERR_STATE;
    if ((b->op == UCRM_BATCH_UPDATE || b->op == UCRM_BATCH_DELETE) && !rec->id)
        return UCRM_ERR_INVALID_ARG;
    if (b->op == UCRM_BATCH_CREATE && rec->id)
        return UCRM_ERR_INVALID_ARG;
    ucrm_record_t *copy = NULL;
    char *id = NULL;
    if (ucrm_record_dup(&copy, rec) != UCRM_OK || (rec->id && !(id = ucrm__strdup(rec->id)))) {
        ucrm_record_destroy(copy);
        return UCRM_ERR_NOMEM;
    }
    ucrm_err_t rc = push(b, copy, id);
    if (rc < 0) {
        ucrm_record_destroy(copy);
        ucrm__free(id);
    }
    return rc;
}

UCRM_API ucrm_err_t ucrm_batch_add_id(ucrm_batch_t *b, const char *id) {
    if (!b || !id || !*id || strlen(id) > 255)
        return UCRM_ERR_INVALID_ARG;
    if (b->ran)
        return UCRM_ERR_STATE;
    if (b->op != UCRM_BATCH_DELETE)
        return UCRM_ERR_INVALID_ARG;
    char *copy = ucrm__strdup(id);
    if (!copy)
        return UCRM_ERR_NOMEM;
    ucrm_err_t rc = push(b, NULL, copy);
    if (rc < 0)
        ucrm__free(copy);
    return rc;
}

static const char *op_name(ucrm_batch_op_t op) {
    switch (op) {
    case UCRM_BATCH_CREATE: return "create";
    case UCRM_BATCH_UPDATE: return "update";
    case UCRM_BATCH_UPSERT: return "upsert";
    case UCRM_BATCH_DELETE: return "delete";
    }
    return "?";
}

/* Errors that will hit every later chunk too: stop instead of burning the budget. */
static bool stops_batch(ucrm_err_t rc) {
    return rc == UCRM_ERR_AUTH || rc == UCRM_ERR_FORBIDDEN || rc == UCRM_ERR_QUOTA_EXHAUSTED ||
           rc == UCRM_ERR_RATE_LIMITED || rc == UCRM_ERR_NOMEM || rc == UCRM_ERR_USER || rc == UCRM_ERR_TIMEOUT;
}

static void fail_items(ucrm_batch_item_t *items, size_t n, const ucrm_error_t *e, ucrm_err_t rc) {
    for (size_t i = 0; i < n; i++) {
        if (items[i].done)
            continue;
        items[i].err = e ? ucrm_error_dup(e) : ucrm_error__new(rc, "%s", ucrm_err_str(rc));
        items[i].done = true;
    }
}

/* The upsert key of the batch (the caller's or upsert.<object>.key); every item must have a value for it. */
static ucrm_err_t upsert_key(ucrm_client_t *c, const ucrm_batch_t *b, const char **key, ucrm_error_t **errp) {
    *key = ucrm__upsert_key(c, b->object, b->key_field);
    if (!*key)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG,
                          "ucrm_batch_run: no key field (ucrm_batch_set_key_field) and upsert.%s.key is not set",
                          ucrm_object_name(b->object));
    for (size_t i = 0; i < b->n; i++) {
        const ucrm_fval_t *kv = b->items[i].rec ? ucrm_record__find(b->items[i].rec, *key) : NULL;
        if (!kv || kv->type == UCRM_FIELD_NULL)
            return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_batch_run: item %zu has no value for '%s'", i,
                              *key);
    }
    return UCRM_OK;
}

/* Sends the items in chunks of the provider's size. After an error that stops the batch, the later items fail
 * with it without being sent; that error is returned (the caller destroys it), NULL when none stopped it. */
static ucrm_error_t *run_chunks(ucrm_client_t *c, ucrm_batch_t *b, const ucrm_reqopts_t *opts, const char *key) {
    const ucrm_provider_t *prov = c->provider;
    size_t chunk = prov->batch_max ? prov->batch_max : 1;
    ucrm_err_t stop_rc = UCRM_OK;
    ucrm_error_t *stop_err = NULL;
    for (size_t off = 0; off < b->n; off += chunk) {
        size_t n = b->n - off < chunk ? b->n - off : chunk;
        if (stop_rc < 0) {
            fail_items(b->items + off, n, stop_err, stop_rc);
            continue;
        }
        ucrm_error_t *cerr = NULL;
        ucrm_call_t call;
        ucrm_call__init(&call, c, opts, "batch", &cerr);
        ucrm_err_t rc = prov->batch_chunk(&call, b->op, b->object, key, b->items + off, n);
        if (rc < 0) {
            fail_items(b->items + off, n, cerr, rc);
            if (stops_batch(rc)) {
                stop_rc = rc;
                stop_err = cerr;
                cerr = NULL;
            }
        } else {
            /* an adapter that forgot an item must not make it look successful */
            for (size_t i = 0; i < n; i++)
                if (!b->items[off + i].done) {
                    b->items[off + i].err =
                        ucrm_error__new(UCRM_ERR_PROTOCOL, "the provider returned no result for this item");
                    b->items[off + i].done = true;
                }
        }
        ucrm_error_destroy(cerr);
    }
    return stop_err;
}

/* The batch's outcome: OK, the stopping error when every item failed with it, else PARTIAL naming the first. */
static ucrm_err_t outcome(const ucrm_batch_t *b, const ucrm_error_t *stop_err, ucrm_error_t **errp) {
    size_t failed = 0;
    const ucrm_error_t *first = NULL;
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].err) {
            failed++;
            if (!first)
                first = b->items[i].err;
        }
    if (!failed)
        return UCRM_OK;
    if (failed == b->n && stop_err)
        return ucrm__give(errp, ucrm_error_dup(stop_err));
    ucrm__give(errp, ucrm_error__new(UCRM_ERR_PARTIAL, "batch %s: %zu of %zu items failed; first: %s: %s",
                                     op_name(b->op), failed, b->n, ucrm_err_name(ucrm_error_code(first)),
                                     ucrm_error_message(first)));
    return UCRM_ERR_PARTIAL; /* also when the error object could not be allocated */
}

UCRM_API ucrm_err_t ucrm_batch_run(ucrm_client_t *c, ucrm_batch_t *b, const ucrm_reqopts_t *opts,
                                   ucrm_error_t **errp) {
    if (!c || !b)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_batch_run: NULL argument");
    if (b->ran)
        return ucrm__fail(errp, UCRM_ERR_STATE, "ucrm_batch_run: the batch already ran");
    const char *key = NULL;
    ucrm_err_t rc;
    if (b->op == UCRM_BATCH_UPSERT && (rc = upsert_key(c, b, &key, errp)) < 0)
        return rc;
    b->ran = true;
    if (b->n == 0)
        return UCRM_OK;
    int64_t t0 = ucrm__mono_us();
    ucrm_error_t *stop_err = run_chunks(c, b, opts, key);
    rc = outcome(b, stop_err, errp);
    ucrm_error_destroy(stop_err);
    ucrm_stats__call(c->stats, "batch", rc, ucrm__mono_us() - t0);
    return rc;
}

UCRM_API size_t ucrm_batch_count(const ucrm_batch_t *b) { return b ? b->n : 0; }

UCRM_API ucrm_err_t ucrm_batch_result(const ucrm_batch_t *b, size_t i, const char **id, const ucrm_error_t **err) {
    if (!b || i >= b->n)
        return UCRM_ERR_INVALID_ARG;
    if (!b->ran)
        return UCRM_ERR_STATE;
    const ucrm_batch_item_t *it = &b->items[i];
    if (id)
        *id = it->id;
    if (err)
        *err = it->err;
    return it->err ? ucrm_error_code(it->err) : UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_batch_result_created(const ucrm_batch_t *b, size_t i, int *created) {
    if (!b || i >= b->n || !created)
        return UCRM_ERR_INVALID_ARG;
    if (!b->ran)
        return UCRM_ERR_STATE;
    if (b->items[i].created < 0)
        return UCRM_ERR_NOENT;
    *created = b->items[i].created;
    return UCRM_OK;
}

UCRM_API void ucrm_batch_destroy(ucrm_batch_t *b) {
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        ucrm_record_destroy(b->items[i].rec);
        ucrm__free(b->items[i].id);
        ucrm_error_destroy(b->items[i].err);
    }
    ucrm__free(b->items);
    ucrm__free(b->key_field);
    ucrm__free(b);
}
