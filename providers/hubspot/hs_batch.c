/*
 * hs_batch.c -- batch create / update / upsert / archive (PROTOCOL B3), at most 100 inputs per request.
 *
 * Per-item results come back in the caller's order whatever order HubSpot answers in:
 *  - every input carries a unique objectWriteTraceId ("ucrm-<index in the chunk>"): it turns a bad input into a
 *    per-item error of a 207 multi-status answer instead of failing the whole request (HS-DOC error-handling),
 *    and results and errors that echo it map back directly;
 *  - otherwise results map by what identifies them: the id (update), the key property's value (upsert), and for
 *    create, which has nothing else, by the properties sent (the input whose values the result carries);
 *  - errors map by context.objectWriteTraceId, else context.ids (ids for update, key values for upsert).
 * When HubSpot rejects a whole request (400 or 409: nothing was written) although several inputs were in it,
 * the inputs are split in halves and sent again, so that only the bad inputs fail; a budget bounds the extra
 * requests. Archive answers 204 without per-item results: every input is reported done (archiving an unknown
 * id is not an error at HubSpot).
 * account_id: create sends the primary company as association inputs; update and upsert set it afterwards with
 * one associations v4 batch request for the whole chunk (an item whose association fails reports that its
 * properties were written but not the association).
 */
#include "hubspot_int.h"

#include <stdio.h>
#include <strings.h>

#define SPLIT_BUDGET 64 /* extra requests per chunk to isolate refused inputs */
#define TRACE_PREFIX "ucrm-"

typedef struct bitem {
    size_t idx;          /* position in the chunk */
    ucrm_buf_t json;     /* the input object */
    char *key;           /* UPDATE, DELETE: the id; UPSERT: the key value */
    hs_wout_t w;
    bool has_result;     /* a result or an error was mapped to it */
    cJSON *props;        /* CREATE: the properties sent, parsed on demand for matching */
} bitem_t;

typedef struct bctx {
    ucrm_call_t *call;
    const hs_obj_t *o;
    ucrm_batch_op_t op;
    const char *key_field;
    const char *key_prop;
    ucrm_batch_item_t *items;
    bitem_t *b;
    size_t nb;
    int budget;
} bctx_t;

static const char *op_path(ucrm_batch_op_t op) {
    switch (op) {
    case UCRM_BATCH_CREATE: return "create";
    case UCRM_BATCH_UPDATE: return "update";
    case UCRM_BATCH_UPSERT: return "upsert";
    default: return "archive";
    }
}

static void item_fail(ucrm_batch_item_t *it, ucrm_error_t *e) {
    ucrm_error_destroy(it->err);
    it->err = e;
    it->done = true;
}

static void item_ok(const bctx_t *c, ucrm_batch_item_t *it, const char *id, int created) {
    if (id && !ucrm__strset(&it->id, id)) {
        item_fail(it, ucrm_error__new(UCRM_ERR_NOMEM, "out of memory"));
        return;
    }
    it->created = created >= 0                   ? created
                  : c->op == UCRM_BATCH_CREATE ? 1
                  : c->op == UCRM_BATCH_UPDATE ? 0
                                               : -1;
    ucrm_error_destroy(it->err);
    it->err = NULL;
    it->done = true;
}

/* ---------------------------------------------------------------------------------------------- inputs */

/* The input object of one item; a local failure (unsupported field, no key) fails the item, unsent. */
static bool build_input(bctx_t *c, bitem_t *b) {
    ucrm_batch_item_t *it = &c->items[b->idx];
    ucrm_buf_t *j = &b->json, k = UCRM_BUF_INIT;
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = UCRM_OK;
    ucrm_buf__putc(j, '{');
    if (c->op == UCRM_BATCH_UPSERT && (rc = hs_key_value(it->rec, c->key_field, &k, &e)) == UCRM_OK) {
        b->key = ucrm_buf__steal(&k);
        ucrm_buf__puts(j, "\"idProperty\":");
        ucrm_buf__json_str(j, c->key_prop, strlen(c->key_prop));
        ucrm_buf__putc(j, ',');
    } else if (c->op == UCRM_BATCH_UPDATE || c->op == UCRM_BATCH_DELETE) {
        b->key = ucrm__strdup(it->id);
    }
    if (rc == UCRM_OK && c->op != UCRM_BATCH_CREATE) {
        if (!b->key)
            rc = ucrm__fail(&e, UCRM_ERR_NOMEM, "out of memory");
        ucrm_buf__puts(j, "\"id\":");
        ucrm_buf__json_str(j, b->key ? b->key : "", b->key ? strlen(b->key) : 0);
        if (c->op != UCRM_BATCH_DELETE)
            ucrm_buf__putc(j, ',');
    }
    if (rc == UCRM_OK && c->op != UCRM_BATCH_DELETE) {
        ucrm_buf__puts(j, "\"properties\":");
        rc = hs_write_props(c->o, it->rec, true, c->op == UCRM_BATCH_UPSERT ? c->key_prop : NULL, j, &b->w, &e);
    }
    if (rc == UCRM_OK && c->op == UCRM_BATCH_CREATE) {
        ucrm_buf__puts(j, ",\"associations\":");
        hs_write_assoc_inputs(c->o, b->w.assoc > 0 ? b->w.company : NULL, j);
    } else if (rc == UCRM_OK && b->w.assoc < 0) {
        rc = ucrm__fail(&e, UCRM_ERR_UNSUPPORTED,
                        "removing the primary company (account_id null) is not done in batches; use ucrm_update()");
    }
    if (rc == UCRM_OK && c->op != UCRM_BATCH_DELETE)
        ucrm_buf__printf(j, ",\"objectWriteTraceId\":\"" TRACE_PREFIX "%zu\"", b->idx);
    ucrm_buf__putc(j, '}');
    ucrm_buf__free(&k);
    if (rc == UCRM_OK && j->oom)
        rc = ucrm__fail(&e, UCRM_ERR_NOMEM, "out of memory");
    if (rc < 0) {
        if (e && !e->is_static)
            ucrm_error__set_write_state(e, UCRM_WRITE_NOT_APPLIED);
        item_fail(it, e ? e : ucrm_error__new(rc, "%s", ucrm_err_str(rc)));
        return false;
    }
    return true;
}

/* The same key twice in one upsert request is refused by HubSpot for the whole request: fail the repeats. */
static bool duplicate_key(bctx_t *c, size_t upto, const bitem_t *b) {
    for (size_t i = 0; c->op == UCRM_BATCH_UPSERT && i < upto; i++) {
        if (c->b[i].key && !c->items[c->b[i].idx].done && strcasecmp(c->b[i].key, b->key) == 0) {
            ucrm_error_t *e = ucrm_error__new(UCRM_ERR_VALIDATION,
                                              "the key value '%s' appears twice in this batch (item %zu too)",
                                              b->key, c->b[i].idx);
            if (!e->is_static) {
                ucrm_error__set_field(e, c->key_field);
                ucrm_error__set_write_state(e, UCRM_WRITE_NOT_APPLIED);
            }
            item_fail(&c->items[b->idx], e);
            return true;
        }
    }
    return false;
}

/* ---------------------------------------------------------------------------------------------- results */

/* The bitem an objectWriteTraceId names, among g. */
static bitem_t *by_trace(bitem_t **g, size_t n, const char *trace) {
    size_t pl = strlen(TRACE_PREFIX);
    int64_t idx;
    if (!trace || strncmp(trace, TRACE_PREFIX, pl) != 0 || !ucrm__parse_i64(trace + pl, &idx))
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (g[i]->idx == (size_t)idx)
            return g[i];
    return NULL;
}

/* An unmatched item whose key (id or key value) is k. */
static bitem_t *by_key(bitem_t **g, size_t n, const char *k, bool nocase) {
    for (size_t i = 0; k && i < n; i++)
        if (!g[i]->has_result && g[i]->key && (nocase ? strcasecmp(g[i]->key, k) : strcmp(g[i]->key, k)) == 0)
            return g[i];
    return NULL;
}

/* CREATE without trace ids: the unmatched input whose sent properties the result carries best. */
static bitem_t *by_content(bitem_t **g, size_t n, const cJSON *result) {
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(result, "properties");
    bitem_t *best = NULL;
    int best_score = -1;
    for (size_t i = 0; i < n; i++) {
        bitem_t *b = g[i];
        if (b->has_result)
            continue;
        if (!b->props) {
            cJSON *in = cJSON_ParseWithLength(b->json.ptr, b->json.len);
            b->props = cJSON_DetachItemFromObjectCaseSensitive(in, "properties");
            cJSON_Delete(in);
        }
        int score = 0;
        const cJSON *p;
        cJSON_ArrayForEach(p, b->props) {
            const char *got = ucrm_json__str(rp, p->string);
            if (cJSON_IsString(p) && *p->valuestring && got && strcasecmp(got, p->valuestring) == 0)
                score++;
        }
        if (score > best_score) {
            best = b;
            best_score = score;
        }
    }
    return best;
}

static void map_result(bctx_t *c, bitem_t **g, size_t n, const cJSON *r) {
    char id[32];
    if (!hs_id_text(cJSON_GetObjectItemCaseSensitive(r, "id"), id))
        return;
    bitem_t *b = by_trace(g, n, ucrm_json__str(r, "objectWriteTraceId"));
    if (b && b->has_result)
        b = NULL;
    if (!b && c->op == UCRM_BATCH_UPDATE)
        b = by_key(g, n, id, false);
    if (!b && c->op == UCRM_BATCH_UPSERT)
        b = by_key(g, n, ucrm_json__str(cJSON_GetObjectItemCaseSensitive(r, "properties"), c->key_prop), true);
    if (!b && c->op == UCRM_BATCH_CREATE)
        b = by_content(g, n, r);
    if (!b)
        return;
    const cJSON *isnew = cJSON_GetObjectItemCaseSensitive(r, "new");
    b->has_result = true;
    item_ok(c, &c->items[b->idx], id, cJSON_IsBool(isnew) ? cJSON_IsTrue(isnew) : -1);
}

/* Applies one StandardError to the items its context names; false when it names none. */
static bool map_error(bctx_t *c, bitem_t **g, size_t n, const cJSON *err, int status) {
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(err, "context");
    bool any = false;
    const cJSON *v;
    cJSON_ArrayForEach(v, ctx) {
        bool trace = v->string && strcmp(v->string, "objectWriteTraceId") == 0;
        bool ids = v->string && strcmp(v->string, "ids") == 0 && c->op != UCRM_BATCH_CREATE;
        const cJSON *s;
        cJSON_ArrayForEach(s, (trace || ids ? v : NULL)) {
            if (!cJSON_IsString(s))
                continue;
            bitem_t *b = trace ? by_trace(g, n, s->valuestring) : by_key(g, n, s->valuestring, true);
            if (!b || b->has_result)
                continue;
            b->has_result = any = true;
            item_fail(&c->items[b->idx], hs_item_error(c->o, err, status));
        }
    }
    return any;
}

/* Items of g with no outcome after a 2xx answer. */
static void unanswered(bctx_t *c, bitem_t **g, size_t n, const cJSON *stray, int status) {
    for (size_t i = 0; i < n; i++) {
        if (g[i]->has_result)
            continue;
        ucrm_error_t *e = stray ? hs_item_error(c->o, stray, status)
                                : ucrm_error__new(UCRM_ERR_PROTOCOL, "HubSpot's batch %s answer has no result for "
                                                                     "this input",
                                                  op_path(c->op));
        if (!stray && !e->is_static)
            ucrm_error__set_write_state(e, c->op == UCRM_BATCH_CREATE ? UCRM_WRITE_UNKNOWN : UCRM_WRITE_NA);
        item_fail(&c->items[g[i]->idx], e);
        g[i]->has_result = true;
    }
}

static ucrm_err_t map_answer(ucrm_call_t *call, bctx_t *c, bitem_t **g, size_t n, const ucrm_resp_t *resp,
                             const cJSON *j) {
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "results");
    const cJSON *errs = cJSON_GetObjectItemCaseSensitive(j, "errors");
    if (!cJSON_IsArray(res) || (errs && !cJSON_IsArray(errs)))
        return ucrm_call__protocol_error(call, resp, "batch", "no results array");
    const cJSON *r, *stray = NULL;
    cJSON_ArrayForEach(r, res) map_result(c, g, n, r);
    cJSON_ArrayForEach(r, errs) {
        if (!map_error(c, g, n, r, resp->status) && !stray)
            stray = r;
    }
    unanswered(c, g, n, stray, resp->status);
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- requests */

static ucrm_err_t send_group(bctx_t *c, bitem_t **g, size_t n);

/* A request refused as a whole for its content (400/409: nothing was written). */
static bool refused(ucrm_err_t rc, const ucrm_resp_t *resp) {
    return (rc == UCRM_ERR_VALIDATION || rc == UCRM_ERR_CONFLICT || rc == UCRM_ERR_NOT_FOUND) &&
           (resp->status == 400 || resp->status == 409 || resp->status == 404);
}

/* The refusal of a group: one input is simply that input's error; several are split in halves and sent again
 * (within the budget; past it the refusal applies to all of them). */
static ucrm_err_t on_refused(bctx_t *c, bitem_t **g, size_t n, ucrm_error_t *whole) {
    if (n > 1 && c->budget >= 2) {
        c->budget -= 2;
        ucrm_err_t rc = send_group(c, g, n / 2);
        return rc < 0 ? rc : send_group(c, g + n / 2, n - n / 2);
    }
    for (size_t i = 0; i < n; i++) {
        item_fail(&c->items[g[i]->idx], ucrm_error_dup(whole));
        g[i]->has_result = true;
    }
    return UCRM_OK;
}

static ucrm_err_t send_group(bctx_t *c, bitem_t **g, size_t n) {
    ucrm_req_t req;
    ucrm_resp_t resp = {0};
    cJSON *j = NULL;
    ucrm_error_t *e = NULL;
    ucrm_call_t sub = *c->call;
    sub.errp = &e;
    ucrm_req__init(&req, "POST", c->op == UCRM_BATCH_CREATE ? UCRM_RETRY_UNSAFE : UCRM_RETRY_IDEMPOTENT);
    ucrm_buf__printf(&req.url, "/crm/v3/objects/%s/batch/%s", c->o->type, op_path(c->op));
    ucrm_buf__puts(&req.body, "{\"inputs\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            ucrm_buf__putc(&req.body, ',');
        ucrm_buf__append(&req.body, g[i]->json.ptr, g[i]->json.len);
    }
    ucrm_buf__puts(&req.body, "]}");
    ucrm_err_t rc = hs_send(&sub, &req, &resp, c->op == UCRM_BATCH_DELETE ? NULL : &j, "batch");
    if (rc == UCRM_OK && c->op == UCRM_BATCH_DELETE) {
        for (size_t i = 0; i < n; i++) {
            item_ok(c, &c->items[g[i]->idx], NULL, -1);
            g[i]->has_result = true;
        }
    } else if (rc == UCRM_OK) {
        rc = map_answer(&sub, c, g, n, &resp, j);
    } else if (refused(rc, &resp)) {
        rc = on_refused(c, g, n, e);
        ucrm_error_destroy(e);
        e = NULL;
    }
    cJSON_Delete(j);
    ucrm_resp__free(&resp);
    if (e)
        ucrm__give(c->call->errp, e);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- associations */

/* Items that wrote properties and still need their primary company set. */
static size_t assoc_pending(const bctx_t *c, bitem_t **out) {
    size_t n = 0;
    for (size_t i = 0; i < c->nb; i++) {
        const bitem_t *b = &c->b[i];
        const ucrm_batch_item_t *it = &c->items[b->idx];
        if (b->w.assoc > 0 && it->done && !it->err && it->id)
            out[n++] = (bitem_t *)b;
    }
    return n;
}

static void assoc_fail(bctx_t *c, bitem_t *b, const ucrm_error_t *why) {
    ucrm_batch_item_t *it = &c->items[b->idx];
    ucrm_error_t *e = ucrm_error_dup(why);
    if (!e->is_static) {
        ucrm_error__set_message(e, "the properties of %s %s were written but its primary company (account_id) was "
                                   "not set: %s",
                                c->o->singular, it->id, why->message);
        ucrm_error__set_field(e, c->o->rows[c->o->assoc_row].field);
    }
    item_fail(it, e);
}

/* Was from -> to among the created associations? */
static bool assoc_created(const cJSON *res, const char *from, const char *to) {
    const cJSON *r;
    cJSON_ArrayForEach(r, res) {
        char f[32], t[32];
        if (hs_id_text(cJSON_GetObjectItemCaseSensitive(r, "fromObjectId"), f) &&
            hs_id_text(cJSON_GetObjectItemCaseSensitive(r, "toObjectId"), t) && strcmp(f, from) == 0 &&
            strcmp(t, to) == 0)
            return true;
    }
    return false;
}

/* PROTOCOL B6: POST /crm/v4/associations/{type}/companies/batch/create with the primary type id. */
static void set_primaries(bctx_t *c) {
    bitem_t *p[HS_BATCH_MAX];
    size_t n = c->o->assoc_row >= 0 && c->op != UCRM_BATCH_CREATE ? assoc_pending(c, p) : 0;
    if (n == 0)
        return;
    ucrm_req_t req;
    ucrm_resp_t resp = {0};
    cJSON *j = NULL;
    ucrm_error_t *e = NULL;
    ucrm_call_t sub = *c->call;
    sub.errp = &e;
    ucrm_req__init(&req, "POST", UCRM_RETRY_IDEMPOTENT);
    ucrm_buf__printf(&req.url, "/crm/v4/associations/%s/companies/batch/create", c->o->type);
    ucrm_buf__puts(&req.body, "{\"inputs\":[");
    for (size_t i = 0; i < n; i++) {
        const char *id = c->items[p[i]->idx].id;
        ucrm_buf__puts(&req.body, i ? ",{\"from\":{\"id\":" : "{\"from\":{\"id\":");
        ucrm_buf__json_str(&req.body, id, strlen(id));
        ucrm_buf__puts(&req.body, "},\"to\":{\"id\":");
        ucrm_buf__json_str(&req.body, p[i]->w.company, strlen(p[i]->w.company));
        ucrm_buf__printf(&req.body, "},\"types\":[{\"associationCategory\":\"HUBSPOT_DEFINED\",\"associationTypeId\":%d}]}",
                         c->o->primary_type);
    }
    ucrm_buf__puts(&req.body, "]}");
    ucrm_err_t rc = hs_send(&sub, &req, &resp, &j, "associations");
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "results");
    const cJSON *err0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "errors"), 0);
    ucrm_error_t *partial = rc == UCRM_OK && err0 ? hs_item_error(c->o, err0, resp.status) : NULL;
    if (rc == UCRM_OK && !partial && !cJSON_IsArray(res))
        rc = ucrm_call__protocol_error(&sub, &resp, "associations", "no results array");
    static const ucrm_error_t unknown = {.code = UCRM_ERR_FAIL, .message = (char *)"the request failed"};
    for (size_t i = 0; i < n; i++) {
        if (rc < 0)
            assoc_fail(c, p[i], e ? e : &unknown);
        else if (!assoc_created(res, c->items[p[i]->idx].id, p[i]->w.company))
            assoc_fail(c, p[i], partial ? partial
                                        : &(ucrm_error_t){.code = UCRM_ERR_PROTOCOL,
                                                          .message = (char *)"HubSpot did not confirm the association"});
    }
    ucrm_error_destroy(partial);
    ucrm_error_destroy(e);
    cJSON_Delete(j);
    ucrm_resp__free(&resp);
}

/* ---------------------------------------------------------------------------------------------- the chunk */

static void bitems_free(bctx_t *c) {
    for (size_t i = 0; i < c->nb; i++) {
        ucrm_buf__free(&c->b[i].json);
        ucrm__free(c->b[i].key);
        cJSON_Delete(c->b[i].props);
    }
    ucrm__free(c->b);
}

ucrm_err_t hs_batch_chunk(ucrm_call_t *call, ucrm_batch_op_t op, ucrm_object_t object, const char *key_field,
                          ucrm_batch_item_t *items, size_t n) {
    bctx_t c = {call, hs_obj(hs_state(call), object), op, key_field, NULL, items, NULL, 0, SPLIT_BUDGET};
    bitem_t *g[HS_BATCH_MAX];
    ucrm_err_t rc = UCRM_OK;
    if (n > HS_BATCH_MAX)
        return ucrm__fail(call->errp, UCRM_ERR_INVALID_ARG, "hubspot: a batch chunk holds at most %d items",
                          HS_BATCH_MAX);
    if (op == UCRM_BATCH_UPSERT && (rc = hs_key_prop(c.o, key_field, &c.key_prop, call->errp)) < 0)
        return rc;
    if (!(c.b = ucrm__calloc(n ? n : 1, sizeof *c.b)))
        return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        bitem_t *b = &c.b[c.nb++];
        b->idx = i;
        if (!build_input(&c, b) || duplicate_key(&c, c.nb - 1, b))
            continue;
        if (op == UCRM_BATCH_UPDATE && b->w.nprops == 0)
            item_ok(&c, &items[i], NULL, 0); /* nothing but the association to write */
        else
            g[ng++] = b;
    }
    if (ng)
        rc = send_group(&c, g, ng);
    if (rc == UCRM_OK)
        set_primaries(&c);
    bitems_free(&c);
    return rc;
}
