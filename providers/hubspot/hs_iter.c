/*
 * hs_iter.c -- iteration: list, search by field, incremental sync (PROTOCOL B2, B4, B6).
 *
 * Modes (the iterator state always describes the next request):
 *   LIST      GET /crm/v3/objects/{type}?limit&after&properties[&associations=companies], archived=false,
 *             paged by HubSpot's `after` cursor.
 *   ARCHIVED  the same with archived=true (include_deleted: HubSpot lists archived records only on their own,
 *             so the live records come first, then the archived ones; with updated_since the archived list is
 *             filtered here on archivedAt/updatedAt, since that list cannot be filtered at HubSpot).
 *   KEY_TS    search: <field filters> AND modified >= ts, sorted by the last-modified property ascending.
 *             Every page starts a new query from the newest timestamp seen so far (keyset paging) instead of
 *             paging by offset: the 10,000-result cap of one query never applies, and a record modified while
 *             the sync runs only moves later, it never shifts an unseen record past an offset. Several records
 *             can share a timestamp: the ids already returned at the current timestamp are kept and skipped
 *             when the next query returns them again.
 *   TIE       when a whole page holds only already-returned records of one timestamp (more records share it
 *             than a page holds): modified == ts, sorted by hs_object_id, keyset on the id; then KEY_TS from ts+1.
 *   KEY_ID    search without updated_since: <field filters> AND hs_object_id > last id, sorted by hs_object_id.
 * Searches cannot return associations: account_id is read for each page with one v4 batch read.
 */
#include "hubspot_int.h"

#include <stdio.h>

enum { IT_LIST, IT_ARCHIVED, IT_KEY_TS, IT_TIE, IT_KEY_ID, IT_DONE };

typedef struct hs_iter {
    ucrm_object_t object;
    int mode;
    bool search;            /* ucrm_search(): the field filters apply */
    bool has_since;
    int64_t since;          /* updated_since, epoch ms */
    bool include_deleted;
    bool total_done;        /* the first search page reported its total */
    char *after;            /* LIST, ARCHIVED: HubSpot's cursor */
    int64_t ts;             /* KEY_TS: lower bound; TIE: the shared timestamp */
    char *last_id;          /* KEY_ID, TIE */
    char **seen;            /* ids returned at ts (KEY_TS, TIE) */
    size_t nseen, capseen;
    char *filters;          /* the field filters as JSON objects ("" for list), from the query */
} hs_iter_t;

/* ---------------------------------------------------------------------------------------------- state */

static void seen_clear(hs_iter_t *it) {
    for (size_t i = 0; i < it->nseen; i++)
        ucrm__free(it->seen[i]);
    it->nseen = 0;
}

/* Frees what the state holds (not the state itself). */
static void iter_clear(hs_iter_t *it) {
    seen_clear(it);
    ucrm__free(it->seen);
    ucrm__free(it->after);
    ucrm__free(it->last_id);
    ucrm__free(it->filters);
}

void hs_iter_free(void *istate) {
    hs_iter_t *it = istate;
    if (!it)
        return;
    iter_clear(it);
    ucrm__free(it);
}

static bool seen_has(const hs_iter_t *it, const char *id) {
    for (size_t i = 0; i < it->nseen; i++)
        if (strcmp(it->seen[i], id) == 0)
            return true;
    return false;
}

static bool seen_add(hs_iter_t *it, const char *id) {
    if (it->nseen == it->capseen) {
        size_t cap = it->capseen ? it->capseen * 2 : 16;
        char **v = ucrm__realloc(it->seen, cap * sizeof *v);
        if (!v)
            return false;
        it->seen = v;
        it->capseen = cap;
    }
    char *c = ucrm__strdup(id);
    if (!c)
        return false;
    it->seen[it->nseen++] = c;
    return true;
}

static hs_iter_t *iter_clone(const hs_iter_t *s) {
    hs_iter_t *d = ucrm__calloc(1, sizeof *d);
    if (!d)
        return NULL;
    *d = *s;
    d->seen = NULL;
    d->nseen = d->capseen = 0;
    d->after = d->last_id = d->filters = NULL;
    bool ok = (!s->after || (d->after = ucrm__strdup(s->after))) &&
              (!s->last_id || (d->last_id = ucrm__strdup(s->last_id))) &&
              (!s->filters || (d->filters = ucrm__strdup(s->filters)));
    for (size_t i = 0; ok && i < s->nseen; i++)
        ok = seen_add(d, s->seen[i]);
    if (!ok) {
        hs_iter_free(d);
        return NULL;
    }
    return d;
}

/* Moves the contents of src into dst (src is freed). */
static void iter_commit(hs_iter_t *dst, hs_iter_t *src) {
    iter_clear(dst);
    *dst = *src;
    ucrm__free(src);
}

/* ---------------------------------------------------------------------------------------------- field filters */

static void filter(ucrm_buf_t *b, const char *prop, const char *op, const char *value, const char *high) {
    if (b->len)
        ucrm_buf__putc(b, ',');
    ucrm_buf__puts(b, "{\"propertyName\":");
    ucrm_buf__json_str(b, prop, strlen(prop));
    ucrm_buf__printf(b, ",\"operator\":\"%s\"", op);
    if (value) {
        ucrm_buf__puts(b, ",\"value\":");
        ucrm_buf__json_str(b, value, strlen(value));
    }
    if (high) {
        ucrm_buf__puts(b, ",\"highValue\":");
        ucrm_buf__json_str(b, high, strlen(high));
    }
    ucrm_buf__putc(b, '}');
}

static ucrm_err_t bad_value(ucrm_error_t **errp, const char *field, const char *what) {
    ucrm_error_t *e = ucrm_error__new(UCRM_ERR_INVALID_ARG, "ucrm_search: %s: %s", field, what);
    if (!e->is_static)
        ucrm_error__set_field(e, field);
    return ucrm__give(errp, e);
}

static ucrm_err_t time_filter(ucrm_buf_t *b, const char *prop, const char *field, const char *v, bool day,
                              ucrm_error_t **errp) {
    int64_t ms;
    char lo[24], hi[24];
    if (!ucrm__parse_time(v, strlen(v), &ms) || (day && strlen(v) != 10))
        return bad_value(errp, field, day ? "expected a date YYYY-MM-DD" : "expected an RFC 3339 date-time");
    snprintf(lo, sizeof lo, "%lld", (long long)ms);
    if (!day) {
        filter(b, prop, "EQ", lo, NULL);
        return UCRM_OK;
    }
    snprintf(hi, sizeof hi, "%lld", (long long)(ms + 86399999));
    filter(b, prop, "BETWEEN", lo, hi);
    return UCRM_OK;
}

static ucrm_err_t row_filter(const hs_obj_t *o, const hs_row_t *row, const char *v, ucrm_buf_t *b,
                             ucrm_error_t **errp) {
    double d;
    char nb[40];
    switch (row->conv) {
    case HS_C_ASSOC: /* PROTOCOL B4: association pseudo-property */
        filter(b, "associations.company", "EQ", v, NULL);
        return UCRM_OK;
    case HS_C_STATUS:
        if (strcmp(v, "open") == 0)
            filter(b, row->props[0], "EQ", "false", NULL);
        else if (strcmp(v, "won") == 0)
            filter(b, row->props[1], "EQ", "true", NULL);
        else if (strcmp(v, "lost") == 0) {
            filter(b, row->props[0], "EQ", "true", NULL);
            filter(b, row->props[1], "EQ", "false", NULL);
        } else
            return bad_value(errp, row->field, "expected open, won or lost");
        return UCRM_OK;
    case HS_C_PROB:
        if (!ucrm__parse_double(v, &d) || !ucrm_json__num_text(d / 100.0, nb))
            return bad_value(errp, row->field, "expected a number");
        filter(b, row->props[0], "EQ", nb, NULL);
        return UCRM_OK;
    case HS_C_TIME: return time_filter(b, row->props[0], row->field, v, false, errp);
    case HS_C_DATE: return time_filter(b, row->props[0], row->field, v, true, errp);
    case HS_C_SEMI:
    case HS_C_PHONES:
    case HS_C_ADDRESS:
    case HS_C_JSON:
        return ucrm__fail(errp, UCRM_ERR_UNSUPPORTED,
                          "ucrm_search: HubSpot %s cannot be searched by %s; search one of its properties as "
                          "custom.<property> (e.g. custom.%s)",
                          o->type, row->field, row->props[0]);
    default:
        filter(b, row->props[0], "EQ", v, NULL);
        return UCRM_OK;
    }
}

/* The search filters for field == value. */
static ucrm_err_t field_filters(const hs_obj_t *o, const char *field, const char *v, ucrm_buf_t *b,
                                ucrm_error_t **errp) {
    int r;
    if (strcmp(field, "id") == 0)
        filter(b, "hs_object_id", "EQ", v, NULL);
    else if (strcmp(field, "created_at") == 0)
        return time_filter(b, "createdate", field, v, false, errp);
    else if (strcmp(field, "updated_at") == 0)
        return time_filter(b, o->modified, field, v, false, errp);
    else if (strcmp(field, "is_deleted") == 0)
        return ucrm__fail(errp, UCRM_ERR_UNSUPPORTED,
                          "ucrm_search: HubSpot's search never returns archived records; list them with "
                          "ucrm_reqopts_set_include_deleted()");
    else if (ucrm_model__is_custom(field))
        filter(b, field + UCRM_CUSTOM_PREFIX_LEN, "EQ", v, NULL);
    else if ((r = hs_row_of(o, field)) >= 0)
        return row_filter(o, &o->rows[r], v, b, errp);
    else
        return ucrm__fail(errp, UCRM_ERR_INVALID_FIELD, "ucrm_search: '%s' is not a field of %s", field,
                          ucrm_object_name(o->object));
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- open */

static ucrm_err_t iter_new(ucrm_call_t *call, const ucrm_query_t *q, hs_iter_t **out) {
    const hs_obj_t *o = hs_obj(hs_state(call), q->object);
    hs_iter_t *it = ucrm__calloc(1, sizeof *it);
    ucrm_buf_t f = UCRM_BUF_INIT;
    if (!it)
        return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
    it->object = q->object;
    it->search = q->search_field != NULL;
    ucrm_err_t rc = it->search ? field_filters(o, q->search_field, q->search_value, &f, call->errp) : UCRM_OK;
    if (rc == UCRM_OK && !(it->filters = ucrm_buf__steal(&f)))
        rc = ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
    ucrm_buf__free(&f);
    if (rc < 0) {
        hs_iter_free(it);
        return rc;
    }
    *out = it;
    return UCRM_OK;
}

ucrm_err_t hs_iter_open(ucrm_call_t *call, const ucrm_query_t *q, void **istate) {
    hs_iter_t *it;
    ucrm_err_t rc = iter_new(call, q, &it);
    if (rc < 0)
        return rc;
    it->has_since = ucrm_reqopts__updated_since(call->opts, &it->since);
    it->include_deleted = ucrm_reqopts__include_deleted(call->opts);
    if (it->search && it->include_deleted) {
        hs_iter_free(it);
        return ucrm__fail(call->errp, UCRM_ERR_UNSUPPORTED,
                          "ucrm_search: HubSpot's search never returns archived records (include_deleted); list "
                          "them with ucrm_list()");
    }
    it->mode = it->has_since ? IT_KEY_TS : it->search ? IT_KEY_ID : IT_LIST;
    it->ts = it->has_since ? it->since : 0;
    /* validate the selection now rather than at the first page */
    hs_sel_t sel;
    rc = hs_sel_init(&sel, hs_obj(hs_state(call), q->object), call->opts, call->errp);
    hs_sel_free(&sel);
    if (rc < 0) {
        hs_iter_free(it);
        return rc;
    }
    *istate = it;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- fetch */

typedef struct pctx {
    ucrm_call_t *call;
    const hs_obj_t *o;
    hs_sel_t sel;
    int32_t limit;
    hs_iter_t *it;           /* the working copy */
    ucrm_records_t *page;
    ucrm_resp_t resp;
} pctx_t;

static int32_t page_limit(const ucrm_reqopts_t *opts, int32_t max) {
    int32_t ps = ucrm_reqopts__page_size(opts);
    return ps <= 0 ? (max < HS_PAGE_DEFAULT ? max : HS_PAGE_DEFAULT) : ps > max ? max : ps;
}

/* Builds a record from a detached item and pushes it. */
static ucrm_err_t push_item(pctx_t *p, cJSON *item, const char *what) {
    ucrm_record_t *r;
    char why[HS_WHY];
    ucrm_err_t rc = hs_record_from(p->o, &p->sel, item, true, &r, why);
    if (rc == UCRM_OK && (rc = ucrm_records__push(p->page, r)) < 0)
        return ucrm__fail(p->call->errp, rc, "out of memory");
    if (rc == UCRM_ERR_NOMEM)
        return ucrm__fail(p->call->errp, rc, "out of memory");
    if (rc < 0)
        return ucrm_call__protocol_error(p->call, &p->resp, what, why);
    return UCRM_OK;
}

static const cJSON *results_of(pctx_t *p, const cJSON *j, const char *what, ucrm_err_t *rc) {
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "results");
    if (!cJSON_IsArray(res)) {
        *rc = ucrm_call__protocol_error(p->call, &p->resp, what, "no results array");
        return NULL;
    }
    return res;
}

/* When an archived record changed: archivedAt, else updatedAt. */
static bool archived_since(const cJSON *item, int64_t since) {
    const char *s = ucrm_json__str(item, "archivedAt");
    if (!s)
        s = ucrm_json__str(item, "updatedAt");
    int64_t ms;
    return !s || !ucrm__parse_time(s, strlen(s), &ms) || ms >= since;
}

/* The phase after a finished one. */
static void next_phase(hs_iter_t *it) {
    ucrm__free(it->after);
    ucrm__free(it->last_id);
    it->after = it->last_id = NULL;
    seen_clear(it);
    it->mode = it->mode != IT_ARCHIVED && it->include_deleted ? IT_ARCHIVED : IT_DONE;
}

/* LIST and ARCHIVED pages. */
static ucrm_err_t fetch_list(pctx_t *p) {
    hs_iter_t *it = p->it;
    bool archived = it->mode == IT_ARCHIVED;
    ucrm_req_t req;
    cJSON *j = NULL;
    ucrm_req__init(&req, "GET", UCRM_RETRY_SAFE);
    ucrm_buf__printf(&req.url, "/crm/v3/objects/%s?limit=%d&archived=%s&properties=", p->o->type, (int)p->limit,
                     archived ? "true" : "false");
    hs_sel_props_csv(&p->sel, p->o, &req.url);
    if (p->sel.assoc)
        ucrm_buf__puts(&req.url, "&associations=companies");
    if (it->after) {
        ucrm_buf__puts(&req.url, "&after=");
        ucrm_buf__urlencode(&req.url, it->after, strlen(it->after));
    }
    ucrm_err_t rc = hs_send(p->call, &req, &p->resp, &j, "list");
    cJSON *res = rc == UCRM_OK ? (cJSON *)results_of(p, j, "list", &rc) : NULL;
    while (rc == UCRM_OK && res && res->child) {
        cJSON *item = cJSON_DetachItemViaPointer(res, res->child);
        if (archived && it->has_since && !archived_since(item, it->since))
            cJSON_Delete(item);
        else
            rc = push_item(p, item, "list");
    }
    if (rc == UCRM_OK) {
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "paging"), "next"), "after");
        if (cJSON_IsString(next) && *next->valuestring) {
            if (!ucrm__strset(&it->after, next->valuestring))
                rc = ucrm__fail(p->call->errp, UCRM_ERR_NOMEM, "out of memory");
        } else {
            next_phase(it);
        }
    }
    cJSON_Delete(j);
    return rc;
}

static void search_body(pctx_t *p, ucrm_buf_t *b) {
    hs_iter_t *it = p->it;
    ucrm_buf_t f = UCRM_BUF_INIT;
    char v[24];
    if (it->filters && *it->filters)
        ucrm_buf__puts(&f, it->filters);
    if (it->mode == IT_KEY_TS) {
        snprintf(v, sizeof v, "%lld", (long long)it->ts);
        filter(&f, p->o->modified, "GTE", v, NULL);
    } else if (it->mode == IT_TIE) {
        snprintf(v, sizeof v, "%lld", (long long)it->ts);
        filter(&f, p->o->modified, "EQ", v, NULL);
    }
    if (it->mode != IT_KEY_TS && it->last_id)
        filter(&f, "hs_object_id", "GT", it->last_id, NULL);
    /* PublicObjectSearchRequest requires after, filterGroups, limit, properties and sorts (HS-SPEC); sorts are
     * sent as objects, as HubSpot reads them (PROTOCOL B4: strings are silently ignored) */
    ucrm_buf__puts(b, f.len ? "{\"filterGroups\":[{\"filters\":[" : "{\"filterGroups\":[");
    ucrm_buf__append(b, ucrm_buf__str(&f), f.len);
    ucrm_buf__puts(b, f.len ? "]}]" : "]");
    ucrm_buf__printf(b, ",\"sorts\":[{\"propertyName\":\"%s\",\"direction\":\"ASCENDING\"}],\"properties\":[",
                     it->mode == IT_KEY_TS ? p->o->modified : "hs_object_id");
    hs_sel_props_json(&p->sel, p->o, p->o->modified, b);
    ucrm_buf__printf(b, "],\"limit\":%d,\"after\":\"0\"}", (int)p->limit);
    ucrm_buf__free(&f);
}

/* The last-modified time of a search result (its property, else updatedAt). */
static bool item_ts(const hs_obj_t *o, const cJSON *item, int64_t *ms) {
    const char *s = ucrm_json__str(cJSON_GetObjectItemCaseSensitive(item, "properties"), o->modified);
    if (!s || !*s)
        s = ucrm_json__str(item, "updatedAt");
    if (!s)
        return false;
    size_t n = strlen(s);
    if (strspn(s, "0123456789") == n)
        return ucrm__parse_i64(s, ms);
    return ucrm__parse_time(s, n, ms);
}

/* Decides whether a search result is new (and updates the keyset state). */
static ucrm_err_t keyset_step(pctx_t *p, const cJSON *item, bool *keep) {
    hs_iter_t *it = p->it;
    char id[32];
    int64_t ts;
    *keep = true;
    if (!hs_id_text(cJSON_GetObjectItemCaseSensitive(item, "id"), id))
        return ucrm_call__protocol_error(p->call, &p->resp, "search", "a result has no id");
    if (it->mode == IT_KEY_ID || it->mode == IT_TIE) {
        *keep = !(it->mode == IT_TIE && seen_has(it, id));
        return ucrm__strset(&it->last_id, id) ? UCRM_OK : ucrm__fail(p->call->errp, UCRM_ERR_NOMEM, "out of memory");
    }
    if (!item_ts(p->o, item, &ts))
        return ucrm_call__protocol_error(p->call, &p->resp, "search", "a result has no last-modified date");
    if (ts < it->ts)
        return UCRM_OK; /* outside the filter: HubSpot should not return it; keep it, it moves nothing */
    if (ts == it->ts && seen_has(it, id)) {
        *keep = false;
        return UCRM_OK;
    }
    if (ts > it->ts) {
        seen_clear(it);
        it->ts = ts;
    }
    return seen_add(it, id) ? UCRM_OK : ucrm__fail(p->call->errp, UCRM_ERR_NOMEM, "out of memory");
}

/* What follows a search page of n results of which kept were new. */
static void search_advance(pctx_t *p, size_t n, size_t kept) {
    hs_iter_t *it = p->it;
    bool full = n >= (size_t)p->limit;
    if (it->mode == IT_KEY_ID) {
        if (!full)
            next_phase(it);
    } else if (it->mode == IT_TIE) {
        if (!full) { /* every record at ts is done: continue after it */
            it->mode = IT_KEY_TS;
            it->ts++;
            seen_clear(it);
            ucrm__free(it->last_id);
            it->last_id = NULL;
        }
    } else if (!full) {
        next_phase(it);
    } else if (kept == 0) {
        /* a full page of records already returned, all at ts: walk that timestamp by id */
        it->mode = IT_TIE;
        ucrm__free(it->last_id);
        it->last_id = NULL;
    }
}

static ucrm_err_t fetch_search(pctx_t *p, int64_t *total) {
    ucrm_req_t req;
    cJSON *j = NULL;
    ucrm_req__init(&req, "POST", UCRM_RETRY_SAFE);
    req.bucket = UCRM_BUCKET_SEARCH;
    ucrm_buf__printf(&req.url, "/crm/v3/objects/%s/search", p->o->type);
    search_body(p, &req.body);
    ucrm_err_t rc = hs_send(p->call, &req, &p->resp, &j, "search");
    cJSON *res = rc == UCRM_OK ? (cJSON *)results_of(p, j, "search", &rc) : NULL;
    size_t n = 0, kept = 0, first = p->page->n;
    while (rc == UCRM_OK && res && res->child) {
        cJSON *item = cJSON_DetachItemViaPointer(res, res->child);
        bool keep;
        n++;
        rc = keyset_step(p, item, &keep);
        if (rc == UCRM_OK && keep) {
            kept++;
            rc = push_item(p, item, "search");
        } else {
            cJSON_Delete(item);
        }
    }
    int64_t t;
    if (rc == UCRM_OK && !p->it->total_done && ucrm_json__i64(j, "total", &t) && t >= 0) {
        *total = t;
        p->it->total_done = true;
    }
    cJSON_Delete(j);
    if (rc == UCRM_OK && p->sel.assoc && p->page->n > first)
        rc = hs_fill_accounts(p->call, p->o, p->page, first);
    if (rc == UCRM_OK)
        search_advance(p, n, kept);
    return rc;
}

ucrm_err_t hs_iter_fetch(ucrm_call_t *call, void *istate, ucrm_records_t *page, bool *more, int64_t *total) {
    hs_iter_t *cur = istate;
    pctx_t p = {call, hs_obj(hs_state(call), cur->object), {0}, 0, NULL, page, {0}};
    *more = false;
    *total = -1;
    if (cur->mode == IT_DONE)
        return UCRM_OK;
    ucrm_err_t rc = hs_sel_init(&p.sel, p.o, call->opts, call->errp);
    if (rc < 0)
        return rc;
    if (!(p.it = iter_clone(cur))) {
        hs_sel_free(&p.sel);
        return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
    }
    bool list = cur->mode == IT_LIST || cur->mode == IT_ARCHIVED;
    p.limit = page_limit(call->opts, list ? HS_LIST_MAX : HS_SEARCH_MAX);
    rc = list ? fetch_list(&p) : fetch_search(&p, total);
    ucrm_resp__free(&p.resp);
    hs_sel_free(&p.sel);
    if (rc < 0) {
        hs_iter_free(p.it); /* the state stays as it was: the same page can be fetched again */
        return rc;
    }
    iter_commit(cur, p.it);
    *more = cur->mode != IT_DONE;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- accounts */

ucrm_err_t hs_fill_accounts(ucrm_call_t *call, const hs_obj_t *o, ucrm_records_t *page, size_t from) {
    if (o->assoc_row < 0)
        return UCRM_OK;
    ucrm_req_t req;
    ucrm_resp_t resp = {0};
    cJSON *j = NULL;
    ucrm_req__init(&req, "POST", UCRM_RETRY_SAFE);
    /* PROTOCOL B6: POST /crm/v4/associations/{from}/{to}/batch/read {"inputs":[{"id":..}]} */
    ucrm_buf__printf(&req.url, "/crm/v4/associations/%s/companies/batch/read", o->type);
    ucrm_buf__puts(&req.body, "{\"inputs\":[");
    for (size_t i = from; i < page->n; i++) {
        ucrm_buf__puts(&req.body, i > from ? ",{\"id\":" : "{\"id\":");
        ucrm_buf__json_str(&req.body, page->recs[i]->id, strlen(page->recs[i]->id));
        ucrm_buf__putc(&req.body, '}');
    }
    ucrm_buf__puts(&req.body, "]}");
    ucrm_err_t rc = hs_send(call, &req, &resp, &j, "associations");
    const char *field = o->rows[o->assoc_row].field;
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "results");
    for (size_t i = from; rc == UCRM_OK && i < page->n; i++) {
        ucrm_record_t *r = page->recs[i];
        char company[32], fid[32];
        bool has = false;
        const cJSON *e;
        cJSON_ArrayForEach(e, res) {
            if (hs_id_text(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "from"), "id"), fid) &&
                strcmp(fid, r->id) == 0) {
                has = hs_primary_v4(o, cJSON_GetObjectItemCaseSensitive(e, "to"), company);
                break;
            }
        }
        rc = has ? ucrm_record__put_str(r, field, UCRM_FIELD_STRING, company, strlen(company))
                 : ucrm_record__put_null(r, field);
        if (rc == UCRM_ERR_PROTOCOL)
            rc = ucrm_call__protocol_error(call, &resp, "associations", "an associated company id is invalid");
        else if (rc < 0)
            rc = ucrm__fail(call->errp, rc, "out of memory");
    }
    cJSON_Delete(j);
    ucrm_resp__free(&resp);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- cursors */

ucrm_err_t hs_iter_save(const void *istate, cJSON *obj) {
    const hs_iter_t *it = istate;
    bool ok = cJSON_AddNumberToObject(obj, "m", it->mode) && cJSON_AddBoolToObject(obj, "del", it->include_deleted) &&
              cJSON_AddBoolToObject(obj, "tot", it->total_done) &&
              (!it->has_since || cJSON_AddNumberToObject(obj, "since", (double)it->since)) &&
              cJSON_AddNumberToObject(obj, "ts", (double)it->ts) &&
              (!it->after || cJSON_AddStringToObject(obj, "a", it->after)) &&
              (!it->last_id || cJSON_AddStringToObject(obj, "li", it->last_id));
    cJSON *seen = ok && it->nseen ? cJSON_AddArrayToObject(obj, "seen") : NULL;
    for (size_t i = 0; ok && seen && i < it->nseen; i++) {
        cJSON *s = cJSON_CreateString(it->seen[i]);
        ok = s && cJSON_AddItemToArray(seen, s);
        if (!ok)
            cJSON_Delete(s);
    }
    return ok && (!it->nseen || seen) ? UCRM_OK : UCRM_ERR_NOMEM;
}

static bool num_member(const cJSON *obj, const char *key, int64_t *out, bool required) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return !required;
    return ucrm_json__i64(obj, key, out) && cJSON_IsNumber(v) && *out >= 0 && *out < INT64_C(1) << 53;
}

static bool str_member(const cJSON *obj, const char *key, char **out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return true;
    return cJSON_IsString(v) && *v->valuestring && strlen(v->valuestring) < 4096 &&
           (*out = ucrm__strdup(v->valuestring)) != NULL;
}

static bool restore_fields(hs_iter_t *it, const cJSON *obj) {
    int64_t mode = -1;
    const cJSON *del = cJSON_GetObjectItemCaseSensitive(obj, "del");
    const cJSON *tot = cJSON_GetObjectItemCaseSensitive(obj, "tot");
    const cJSON *seen = cJSON_GetObjectItemCaseSensitive(obj, "seen");
    if (!num_member(obj, "m", &mode, true) || mode < IT_LIST || mode > IT_DONE || !cJSON_IsBool(del) ||
        !cJSON_IsBool(tot) || !num_member(obj, "ts", &it->ts, true) || !num_member(obj, "since", &it->since, false) ||
        !str_member(obj, "a", &it->after) || !str_member(obj, "li", &it->last_id) || (seen && !cJSON_IsArray(seen)))
        return false;
    it->mode = (int)mode;
    it->include_deleted = cJSON_IsTrue(del);
    it->total_done = cJSON_IsTrue(tot);
    it->has_since = cJSON_GetObjectItemCaseSensitive(obj, "since") != NULL;
    bool fits = it->mode == IT_LIST       ? !it->search && !it->has_since
                : it->mode == IT_KEY_ID   ? it->search && !it->has_since
                : it->mode == IT_ARCHIVED ? !it->search && it->include_deleted
                : it->mode == IT_DONE     ? true
                                          : it->has_since;
    if (!fits)
        return false;
    const cJSON *s;
    cJSON_ArrayForEach(s, seen) {
        if (!cJSON_IsString(s) || !*s->valuestring || strlen(s->valuestring) >= 32 || !seen_add(it, s->valuestring))
            return false;
    }
    return true;
}

ucrm_err_t hs_iter_restore(ucrm_call_t *call, const ucrm_query_t *q, const cJSON *obj, void **istate) {
    hs_iter_t *it;
    ucrm_err_t rc = iter_new(call, q, &it);
    if (rc < 0)
        return rc;
    if (!restore_fields(it, obj)) {
        hs_iter_free(it);
        return ucrm__fail(call->errp, UCRM_ERR_INVALID_ARG, "ucrm_iter_resume: not a HubSpot cursor of this query");
    }
    *istate = it;
    return UCRM_OK;
}
