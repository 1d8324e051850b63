/*
 * sf_iter.c -- list and search through SOQL (PROTOCOL.md A3, A4).
 *
 *   SELECT <fields>,Id,SystemModstamp[,IsDeleted] FROM <SObject>
 *     [WHERE (<search condition>) AND (SystemModstamp > <updated_since, whole seconds>)]
 *     ORDER BY SystemModstamp, Id
 * through /query (or /queryAll with include_deleted), paged lazily with nextRecordsUrl; the page size is the
 * Sforce-Query-Options batchSize (200..2000). The order makes the iteration restartable: a query locator that
 * Salesforce no longer knows (INVALID_QUERY_LOCATOR: locators expire after inactivity and are limited per user)
 * is replaced by the same query from the last record handed out (SystemModstamp >= its second), records already
 * seen being dropped: no record is lost, a record modified during the iteration may come twice.
 *
 * Incremental sync (updated_since + include_deleted): after the query pages, a pass over
 * sobjects/<SObject>/deleted/?start=<updated_since>&end=<when the pass starts> yields {id, is_deleted: true,
 * updated_at: deletedDate} for each record deleted in that window that queryAll did not already return (a
 * record still in the Recycle Bin comes from queryAll with all its fields; one purged since is only in the
 * deleted list). That check is a queryAll "Id IN (...)" per 200 deleted ids, so nothing but the position has to
 * be remembered. Salesforce keeps the deleted list for 15 days at most: an older window is an error asking for
 * a full resync, never a silent gap.
 */
#include "sf_int.h"

#include <stdio.h>
#include <strings.h>

#define DELETED_MAX_AGE_MS (15 * INT64_C(86400000))
#define DELETED_CHUNK 200
#define URL_MAX 16000 /* Salesforce refuses URIs over 16,384 bytes (414) */

enum { PH_QUERY, PH_MORE, PH_DELETED, PH_DONE };

/* The position: everything iter_save writes, replaced as a whole after a successful fetch. */
typedef struct sf_pos {
    int phase;
    char *next;            /* PH_MORE: the nextRecordsUrl */
    int64_t last_ts;       /* the last record handed out: updated_at (ms) and Id */
    char *last_id;
    int64_t skip_ts;       /* a restarted query drops records at or before this one */
    char *skip_id;
    int64_t del_end;       /* PH_DELETED: the window's end */
    int64_t del_off;       /* deleted ids already handled */
} sf_pos_t;

typedef struct sf_iter {
    const sf_state_t *st;
    const sf_objmap_t *m;
    ucrm_query_t q;
    bool all;              /* queryAll */
    bool has_since;
    int64_t since;
    bool deleted_pass;
    char *select;
    char *search;          /* the search condition, or NULL */
    sf_pos_t pos;
    cJSON *del_list;       /* cache of the deleted list for del_list_end (not part of the position) */
    int64_t del_list_end;
} sf_iter_t;

static void pos_free(sf_pos_t *p) {
    ucrm__free(p->next);
    ucrm__free(p->last_id);
    ucrm__free(p->skip_id);
    memset(p, 0, sizeof *p);
}

static bool pos_copy(sf_pos_t *dst, const sf_pos_t *src) {
    *dst = *src;
    dst->next = ucrm__strdup(src->next);
    dst->last_id = ucrm__strdup(src->last_id);
    dst->skip_id = ucrm__strdup(src->skip_id);
    if ((src->next && !dst->next) || (src->last_id && !dst->last_id) || (src->skip_id && !dst->skip_id)) {
        pos_free(dst);
        return false;
    }
    return true;
}

void sf_iter_free(void *istate) {
    sf_iter_t *it = istate;
    if (!it)
        return;
    pos_free(&it->pos);
    ucrm__free(it->select);
    ucrm__free(it->search);
    cJSON_Delete(it->del_list);
    ucrm__free(it);
}

static bool id_ok(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n < 15 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
            return false;
    return true;
}

/* nextRecordsUrl: "/services/data/v66.0/query/01gD0000002HU6KIAW-2000" (A3); nothing else is followed. */
static bool locator_ok(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n < 20 || n > 512 || !ucrm__startswith(s, "/services/data/v") || !strstr(s, "/query"))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") == n && !strstr(s, "..");
}

static bool select_ok(const char *s) {
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n < 8000 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_,") == n;
}

static const char *updated_field(const sf_iter_t *it) {
    return it->m->updated_slot >= 0 ? it->m->names[it->m->updated_slot] : "SystemModstamp";
}

/* ---------------------------------------------------------------------------------------------- open */

static ucrm_err_t build_query(ucrm_call_t *call, const sf_iter_t *it, const sf_pos_t *pos, ucrm_req_t *req);

static ucrm_err_t too_old(ucrm_call_t *call, int64_t since, const char *earliest) {
    char t[32];
    ucrm__format_time(since, t);
    ucrm_error_t *e = ucrm_error__new(
        UCRM_ERR_VALIDATION,
        "Salesforce keeps deleted-record information for at most 15 days (from %s on): updated_since %s is older, "
        "so deletions may have been missed and a full resync is needed (list without updated_since)",
        earliest ? earliest : "15 days ago", t);
    ucrm_error__set_field(e, "updated_since");
    ucrm_error__set_provider(e, 0, "INVALID_REPLICATION_DATE", NULL);
    return ucrm__give(call->errp, e);
}

/* Fills the query definition (select list, search condition) from q and the call's options. */
static ucrm_err_t define(ucrm_call_t *call, sf_iter_t *it, const char *select) {
    const char *extra[2] = {updated_field(it), "IsDeleted"};
    ucrm_buf_t b = UCRM_BUF_INIT;
    ucrm_err_t rc = UCRM_OK;
    if (select) {
        if (!(it->select = ucrm__strdup(select)))
            return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
    } else {
        rc = sf_soql__select(it->m, call->opts, extra, it->all ? 2 : 1, &b, call->errp);
        if (rc < 0) {
            ucrm_buf__free(&b);
            return rc;
        }
        it->select = b.ptr;
        b = (ucrm_buf_t)UCRM_BUF_INIT;
    }
    if (it->q.search_field) {
        rc = sf_soql__search_cond(it->m, it->q.search_field, it->q.search_value, &b, call->errp);
        if (rc < 0) {
            ucrm_buf__free(&b);
            return rc;
        }
        it->search = b.ptr;
    }
    return UCRM_OK;
}

static ucrm_err_t iter_new(ucrm_call_t *call, const ucrm_query_t *q, sf_iter_t **out) {
    sf_iter_t *it = ucrm__calloc(1, sizeof *it);
    if (!it)
        return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
    it->st = ucrm_call__pstate(call);
    it->m = sf_map__obj(it->st, q->object);
    it->q = *q;
    it->pos.last_ts = it->pos.skip_ts = -1;
    *out = it;
    return UCRM_OK;
}

ucrm_err_t sf_iter_open(ucrm_call_t *call, const ucrm_query_t *q, void **istate) {
    sf_iter_t *it;
    ucrm_err_t rc = iter_new(call, q, &it);
    if (rc < 0)
        return rc;
    it->all = ucrm_reqopts__include_deleted(call->opts);
    it->has_since = ucrm_reqopts__updated_since(call->opts, &it->since);
    it->deleted_pass = it->all && it->has_since && !q->search_field;
    if (it->deleted_pass && it->since < ucrm__now_ms() - DELETED_MAX_AGE_MS)
        rc = too_old(call, it->since, NULL);
    if (rc == UCRM_OK)
        rc = define(call, it, NULL);
    if (rc == UCRM_OK) {
        /* a query that cannot be sent (too long) is refused now rather than at the first ucrm_iter_next() */
        ucrm_req_t req;
        ucrm_req__init(&req, "GET", UCRM_RETRY_SAFE);
        rc = build_query(call, it, &it->pos, &req);
        ucrm_req__free(&req);
    }
    if (rc < 0) {
        sf_iter_free(it);
        return rc;
    }
    *istate = it;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- query pages */

static ucrm_err_t build_query(ucrm_call_t *call, const sf_iter_t *it, const sf_pos_t *pos, ucrm_req_t *req) {
    ucrm_buf_t q = UCRM_BUF_INIT;
    const char *upd = updated_field(it);
    ucrm_buf__printf(&q, "SELECT %s FROM %s", it->select, it->m->sobject);
    const char *glue = " WHERE ";
    if (it->search) {
        ucrm_buf__printf(&q, "%s(%s)", glue, it->search);
        glue = " AND ";
    }
    if (it->has_since) {
        ucrm_buf__printf(&q, "%s%s > ", glue, upd);
        sf_soql__datetime(&q, it->since);
        glue = " AND ";
    }
    if (pos->skip_id) {
        ucrm_buf__printf(&q, "%s%s >= ", glue, upd);
        sf_soql__datetime(&q, pos->skip_ts);
    }
    ucrm_buf__printf(&q, " ORDER BY %s, Id", upd);
    ucrm_buf__puts(&req->url, it->st->data_path);
    ucrm_buf__puts(&req->url, it->all ? "/queryAll/?q=" : "/query/?q=");
    ucrm_buf__urlencode(&req->url, ucrm_buf__str(&q), q.len);
    bool oom = q.oom;
    ucrm_buf__free(&q);
    if (oom || req->url.oom)
        return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
    if (req->url.len > URL_MAX)
        return ucrm__fail(call->errp, UCRM_ERR_INVALID_ARG,
                          "the Salesforce query would be %zu bytes long, over the %d-byte URI limit (a shorter search "
                          "value or fewer fields)",
                          req->url.len, URL_MAX);
    return UCRM_OK;
}

static void page_size_header(ucrm_call_t *call, ucrm_req_t *req) {
    int32_t ps = ucrm_reqopts__page_size(call->opts);
    if (ps <= 0)
        return;
    ps = ps < SF_PAGE_MIN ? SF_PAGE_MIN : ps > SF_PAGE_MAX ? SF_PAGE_MAX : ps;
    char v[32];
    snprintf(v, sizeof v, "batchSize=%d", (int)ps);
    ucrm_hdrs__add(&req->headers, "Sforce-Query-Options", v);
}

/* Sends the request for pos (first page, next locator) and parses the answer. A lost locator restarts the
 * query after the last record handed out. */
static ucrm_err_t query_request(ucrm_call_t *call, const sf_iter_t *it, sf_pos_t *pos, cJSON **j) {
    for (int attempt = 0;; attempt++) {
        ucrm_req_t req;
        ucrm_req__init(&req, "GET", UCRM_RETRY_SAFE);
        page_size_header(call, &req);
        ucrm_err_t rc = UCRM_OK;
        if (pos->phase == PH_MORE)
            ucrm_buf__puts(&req.url, pos->next);
        else if ((rc = build_query(call, it, pos, &req)) < 0) {
            ucrm_req__free(&req);
            return rc;
        }
        ucrm_resp_t resp = {0};
        ucrm_error_t *err = NULL;
        ucrm_call_t c = *call;
        c.errp = &err;
        rc = sf_run(&c, &req, &resp, j, it->q.search_field ? "search" : "list");
        bool lost = rc < 0 && pos->phase == PH_MORE && attempt == 0 &&
                    ucrm__streq(ucrm_error_provider_code(err), "INVALID_QUERY_LOCATOR");
        ucrm_resp__free(&resp);
        if (!lost) {
            if (rc < 0)
                ucrm__give(call->errp, err);
            return rc;
        }
        ucrm_error_destroy(err);
        /* restart from the last record handed out (or from the start when none was) */
        ucrm__free(pos->next);
        pos->next = NULL;
        pos->phase = PH_QUERY;
        if (pos->last_id) {
            ucrm__free(pos->skip_id);
            if (!(pos->skip_id = ucrm__strdup(pos->last_id)))
                return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
            pos->skip_ts = pos->last_ts;
        }
    }
}

/* updated_at of a record in ms, or -1. */
static int64_t record_ts(const ucrm_record_t *r) {
    const ucrm_fval_t *f = ucrm_record__find(r, "updated_at");
    int64_t ms;
    return f && f->type == UCRM_FIELD_DATETIME && ucrm__parse_time(f->v.s, strlen(f->v.s), &ms) ? ms : -1;
}

static ucrm_err_t take_records(ucrm_call_t *call, const sf_iter_t *it, cJSON *records, sf_pos_t *pos,
                               ucrm_records_t *page) {
    cJSON *item = records->child;
    while (item) {
        cJSON *next = item->next;
        cJSON_DetachItemViaPointer(records, item);
        ucrm_record_t *r;
        ucrm_err_t rc = sf_map__to_record(it->m, item, &r, call->errp);
        if (rc < 0)
            return rc;
        int64_t ts = record_ts(r);
        if (pos->skip_id && (ts < pos->skip_ts || (ts == pos->skip_ts && ucrm__streq(r->id, pos->skip_id)))) {
            ucrm_record_destroy(r); /* seen before the query was restarted */
        } else {
            if (r->id && !ucrm__strset(&pos->last_id, r->id)) {
                ucrm_record_destroy(r);
                return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
            }
            pos->last_ts = ts;
            if (ucrm_records__push(page, r) < 0)
                return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
        }
        item = next;
    }
    return UCRM_OK;
}

static ucrm_err_t fetch_query(ucrm_call_t *call, sf_iter_t *it, sf_pos_t *pos, ucrm_records_t *page,
                              int64_t *total) {
    bool first = pos->phase == PH_QUERY && !pos->skip_id;
    cJSON *j = NULL;
    ucrm_err_t rc = query_request(call, it, pos, &j);
    if (rc < 0)
        return rc;
    const char *what = it->q.search_field ? "search" : "list";
    cJSON *records = cJSON_GetObjectItemCaseSensitive(j, "records");
    const char *next = ucrm_json__str(j, "nextRecordsUrl");
    bool done = false;
    int64_t n;
    if (!cJSON_IsArray(records) || !ucrm_json__bool(j, "done", &done) || (!done && !locator_ok(next)))
        rc = ucrm_call__protocol_error(call, NULL, what,
                                       !cJSON_IsArray(records) ? "no records array"
                                       : !done && next         ? "a nextRecordsUrl that is not a query locator"
                                                               : "no done flag or no nextRecordsUrl");
    if (rc == UCRM_OK)
        rc = take_records(call, it, records, pos, page);
    if (rc == UCRM_OK && first && ucrm_json__i64(j, "totalSize", &n) && n >= 0)
        *total = n;
    if (rc == UCRM_OK) {
        ucrm__free(pos->next);
        pos->next = NULL;
        if (!done && !(pos->next = ucrm__strdup(next)))
            rc = ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
        pos->phase = !done ? PH_MORE : it->deleted_pass ? PH_DELETED : PH_DONE;
        if (done && it->deleted_pass)
            pos->del_end = ucrm__now_ms();
    }
    cJSON_Delete(j);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- deleted pass */

static void replication_time(ucrm_buf_t *url, int64_t ms) {
    char t[32];
    ucrm__format_time(ms, t);
    memcpy(t + 19, "+00:00", 7); /* "YYYY-MM-DDThh:mm:ss+00:00" as in the docs' example */
    ucrm_buf__urlencode(url, t, strlen(t));
}

/* GET sobjects/<SObject>/deleted/?start=&end= into it->del_list (cached per window). */
static ucrm_err_t deleted_list(ucrm_call_t *call, sf_iter_t *it, int64_t end) {
    if (it->del_list && it->del_list_end == end)
        return UCRM_OK;
    int64_t start = it->since - ((it->since % 60000) + 60000) % 60000; /* seconds are ignored (A4) */
    if (end - (end % 60000) <= start)
        end = start + 60000;
    ucrm_req_t req;
    ucrm_req__init(&req, "GET", UCRM_RETRY_SAFE);
    sf_sobject_path(it->st, it->m, &req.url);
    ucrm_buf__puts(&req.url, "/deleted/?start=");
    replication_time(&req.url, start);
    ucrm_buf__puts(&req.url, "&end=");
    replication_time(&req.url, end);
    ucrm_resp_t resp = {0};
    cJSON *j = NULL;
    ucrm_err_t rc = sf_run(call, &req, &resp, &j, "list (deleted records)");
    ucrm_resp__free(&resp);
    if (rc < 0)
        return rc;
    cJSON *list = cJSON_DetachItemFromObjectCaseSensitive(j, "deletedRecords");
    const char *earliest = ucrm_json__str(j, "earliestDateAvailable");
    int64_t e_ms;
    if (!cJSON_IsArray(list))
        rc = ucrm_call__protocol_error(call, NULL, "list (deleted records)", "no deletedRecords array");
    else if (earliest && ucrm__parse_time(earliest, strlen(earliest), &e_ms) && e_ms > start)
        rc = too_old(call, it->since, earliest);
    if (rc == UCRM_OK) {
        cJSON_Delete(it->del_list);
        it->del_list = list;
        it->del_list_end = end;
        list = NULL;
    }
    cJSON_Delete(list);
    cJSON_Delete(j);
    return rc;
}

/* Which of ids still exist (live or in the Recycle Bin): those came from queryAll already. */
static ucrm_err_t existing(ucrm_call_t *call, const sf_iter_t *it, const cJSON *const *ids, size_t n, bool *exists) {
    ucrm_buf_t q = UCRM_BUF_INIT;
    ucrm_buf__printf(&q, "SELECT Id FROM %s WHERE Id IN (", it->m->sobject);
    for (size_t i = 0; i < n; i++) {
        if (i)
            ucrm_buf__putc(&q, ',');
        sf_soql__quote(&q, ids[i]->valuestring, strlen(ids[i]->valuestring));
    }
    ucrm_buf__putc(&q, ')');
    ucrm_req_t req;
    ucrm_req__init(&req, "GET", UCRM_RETRY_SAFE);
    ucrm_buf__puts(&req.url, it->st->data_path);
    ucrm_buf__puts(&req.url, "/queryAll/?q=");
    ucrm_buf__urlencode(&req.url, ucrm_buf__str(&q), q.len);
    bool oom = q.oom;
    ucrm_buf__free(&q);
    if (oom) {
        ucrm_req__free(&req);
        return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
    }
    ucrm_resp_t resp = {0};
    cJSON *j = NULL;
    ucrm_err_t rc = sf_run(call, &req, &resp, &j, "list (deleted records)");
    ucrm_resp__free(&resp);
    if (rc < 0)
        return rc;
    const cJSON *records = cJSON_GetObjectItemCaseSensitive(j, "records"), *r;
    if (!cJSON_IsArray(records) || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "done")))
        rc = ucrm_call__protocol_error(call, NULL, "list (deleted records)", "no complete records array");
    cJSON_ArrayForEach(r, records) {
        const char *id = ucrm_json__str(r, "Id");
        for (size_t i = 0; id && i < n; i++)
            if (strncmp(ids[i]->valuestring, id, 15) == 0)
                exists[i] = true;
    }
    cJSON_Delete(j);
    return rc;
}

static ucrm_err_t deleted_record(ucrm_call_t *call, const sf_iter_t *it, const cJSON *item, ucrm_records_t *page) {
    const char *id = ucrm_json__str(item, "id");
    const char *when = ucrm_json__str(item, "deletedDate");
    ucrm_record_t *r;
    ucrm_err_t rc = ucrm_record__new_sized(&r, it->m->object, 2);
    if (rc < 0)
        return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
    cJSON *remote = cJSON_Duplicate(item, true);
    if (!remote || (rc = ucrm_record__set_id_n(r, id, strlen(id))) < 0 ||
        (rc = ucrm_record__put_bool(r, "is_deleted", true)) < 0 ||
        (when && (rc = ucrm_record__put_str(r, "updated_at", UCRM_FIELD_DATETIME, when, strlen(when))) < 0)) {
        cJSON_Delete(remote);
        ucrm_record_destroy(r);
        return rc == UCRM_ERR_NOMEM || rc == UCRM_OK
                   ? ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory")
                   : ucrm_call__protocol_error(call, NULL, "list (deleted records)", "unreadable deletedDate");
    }
    ucrm_record__set_remote(r, remote);
    return ucrm_records__push(page, r) < 0 ? ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory") : UCRM_OK;
}

static ucrm_err_t fetch_deleted(ucrm_call_t *call, sf_iter_t *it, sf_pos_t *pos, ucrm_records_t *page) {
    ucrm_err_t rc = deleted_list(call, it, pos->del_end);
    if (rc < 0)
        return rc;
    int64_t total = cJSON_GetArraySize(it->del_list);
    const cJSON *items[DELETED_CHUNK], *ids[DELETED_CHUNK];
    bool exists[DELETED_CHUNK] = {false};
    size_t n = 0;
    for (const cJSON *item = cJSON_GetArrayItem(it->del_list, (int)pos->del_off); item && n < DELETED_CHUNK;
         item = item->next) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
        if (!cJSON_IsString(id) || !id_ok(id->valuestring))
            return ucrm_call__protocol_error(call, NULL, "list (deleted records)", "a deleted record without an id");
        items[n] = item;
        ids[n++] = id;
    }
    if (n && (rc = existing(call, it, ids, n, exists)) < 0)
        return rc;
    for (size_t k = 0; k < n && rc == UCRM_OK; k++)
        if (!exists[k])
            rc = deleted_record(call, it, items[k], page);
    if (rc < 0)
        return rc;
    pos->del_off += (int64_t)n;
    if (pos->del_off >= total)
        pos->phase = PH_DONE;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- fetch */

ucrm_err_t sf_iter_fetch(ucrm_call_t *call, void *istate, ucrm_records_t *page, bool *more, int64_t *total) {
    sf_iter_t *it = istate;
    sf_pos_t pos;
    *more = false;
    *total = -1;
    if (!pos_copy(&pos, &it->pos))
        return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
    ucrm_err_t rc = UCRM_OK;
    switch (pos.phase) {
    case PH_QUERY:
    case PH_MORE: rc = fetch_query(call, it, &pos, page, total); break;
    case PH_DELETED: rc = fetch_deleted(call, it, &pos, page); break;
    default: break;
    }
    if (rc < 0) {
        pos_free(&pos);
        return rc;
    }
    pos_free(&it->pos);
    it->pos = pos;
    *more = pos.phase != PH_DONE;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- cursors */

ucrm_err_t sf_iter_save(const void *istate, cJSON *obj) {
    const sf_iter_t *it = istate;
    const sf_pos_t *p = &it->pos;
    bool ok = cJSON_AddNumberToObject(obj, "ph", p->phase) && cJSON_AddStringToObject(obj, "sel", it->select) &&
              cJSON_AddBoolToObject(obj, "all", it->all) && cJSON_AddBoolToObject(obj, "dp", it->deleted_pass) &&
              (!it->has_since || cJSON_AddNumberToObject(obj, "since", (double)it->since)) &&
              (!p->next || cJSON_AddStringToObject(obj, "next", p->next)) &&
              (!p->last_id || (cJSON_AddStringToObject(obj, "lid", p->last_id) &&
                               cJSON_AddNumberToObject(obj, "lts", (double)p->last_ts))) &&
              (!p->skip_id || (cJSON_AddStringToObject(obj, "sid", p->skip_id) &&
                               cJSON_AddNumberToObject(obj, "sts", (double)p->skip_ts))) &&
              (p->phase != PH_DELETED || (cJSON_AddNumberToObject(obj, "dend", (double)p->del_end) &&
                                          cJSON_AddNumberToObject(obj, "doff", (double)p->del_off)));
    return ok ? UCRM_OK : UCRM_ERR_NOMEM;
}

/* A whole number member in [lo, hi] into *out; absent is fine (returns true, *out untouched). */
static bool num_member(const cJSON *obj, const char *key, double lo, double hi, int64_t *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return true;
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi || v->valuedouble != (double)(int64_t)v->valuedouble)
        return false;
    *out = (int64_t)v->valuedouble;
    return true;
}

static bool str_member(const cJSON *obj, const char *key, bool (*ok)(const char *), char **out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return true;
    if (!cJSON_IsString(v) || !ok(v->valuestring))
        return false;
    *out = ucrm__strdup(v->valuestring);
    return *out != NULL;
}

static bool restore_pos(sf_iter_t *it, const cJSON *obj) {
    const double tmax = 253402300799999.0;
    int64_t ph = -1, since = -1;
    sf_pos_t *p = &it->pos;
    if (!num_member(obj, "ph", PH_QUERY, PH_DONE, &ph) || ph < 0 || !num_member(obj, "since", 0, tmax, &since) ||
        !num_member(obj, "lts", -1, tmax, &p->last_ts) || !num_member(obj, "sts", -1, tmax, &p->skip_ts) ||
        !num_member(obj, "dend", 0, tmax, &p->del_end) || !num_member(obj, "doff", 0, 1e7, &p->del_off) ||
        !str_member(obj, "next", locator_ok, &p->next) || !str_member(obj, "lid", id_ok, &p->last_id) ||
        !str_member(obj, "sid", id_ok, &p->skip_id))
        return false;
    p->phase = (int)ph;
    it->has_since = since >= 0;
    it->since = since;
    it->all = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "all"));
    it->deleted_pass = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "dp")) && it->all && it->has_since;
    return (p->phase != PH_MORE || p->next) && (p->phase != PH_DELETED || (it->deleted_pass && p->del_end > 0));
}

ucrm_err_t sf_iter_restore(ucrm_call_t *call, const ucrm_query_t *q, const cJSON *obj, void **istate) {
    sf_iter_t *it;
    ucrm_err_t rc = iter_new(call, q, &it);
    if (rc < 0)
        return rc;
    const char *sel = ucrm_json__str(obj, "sel");
    if (!select_ok(sel) || !restore_pos(it, obj))
        rc = ucrm__fail(call->errp, UCRM_ERR_INVALID_ARG, "ucrm_iter_resume: not a Salesforce cursor of this kind");
    if (rc == UCRM_OK)
        rc = define(call, it, sel);
    if (rc < 0) {
        sf_iter_free(it);
        return rc;
    }
    *istate = it;
    return UCRM_OK;
}
