/*
 * iter.c -- lazy, pull-based iteration over list and search results, with resumable cursors.
 *
 * The adapter's iterator state always describes the next page to fetch; before each fetch the iterator asks the
 * adapter to describe that page (iter_save), so that a cursor can later say "that page, after record i". A
 * failed fetch leaves everything as it was, so the same ucrm_iter_next() can simply be repeated.
 */
#include "client_int.h"
#include "error_int.h"
#include "model_int.h"
#include "record_int.h"
#include "reqopts_int.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#define CURSOR_VERSION 1
#define MAX_CURSOR_LEN (64 * 1024)

struct ucrm_iter_s {
    ucrm_client_t *client;
    ucrm_reqopts_t *opts;      /* private copy; NULL = defaults */
    ucrm_query_t q;
    char *search_field, *search_value;
    const char *op;            /* "list" or "search" */
    void *istate;
    ucrm_records_t page;       /* records already handed out are NULL */
    size_t pos;
    cJSON *page_state;         /* what the adapter said about the current page */
    bool started;              /* a page was fetched (or a cursor restored) */
    bool more;                 /* another page follows the current one */
    size_t skip;               /* records to skip on the first page after a resume */
    int64_t total;
    char *cursor;
};

static ucrm_err_t iter_alloc(ucrm_iter_t **out, ucrm_client_t *c, ucrm_object_t object, const char *field,
                             const char *value, const ucrm_reqopts_t *opts, ucrm_error_t **errp) {
    ucrm_iter_t *it = ucrm__calloc(1, sizeof *it);
    if (!it)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    it->client = c;
    it->total = -1;
    it->more = true;
    it->q.object = object;
    it->op = field ? "search" : "list";
    if ((opts && ucrm_reqopts_dup(&it->opts, opts) != UCRM_OK) ||
        (field && (!(it->search_field = ucrm__strdup(field)) || !(it->search_value = ucrm__strdup(value))))) {
        ucrm_iter_destroy(it);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    it->q.search_field = it->search_field;
    it->q.search_value = it->search_value;
    *out = it;
    return UCRM_OK;
}

static ucrm_err_t iter_open(ucrm_client_t *c, ucrm_object_t object, const char *field, const char *value,
                            const ucrm_reqopts_t *opts, ucrm_iter_t **out, ucrm_error_t **errp) {
    ucrm_iter_t *it;
    ucrm_err_t rc = iter_alloc(&it, c, object, field, value, opts, errp);
    if (rc < 0)
        return rc;
    ucrm_call_t call;
    ucrm_call__init(&call, c, it->opts, it->op, errp);
    if ((rc = c->provider->iter_open(&call, &it->q, &it->istate)) < 0) {
        ucrm_iter_destroy(it);
        return rc;
    }
    *out = it;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_list(ucrm_client_t *c, ucrm_object_t object, const ucrm_reqopts_t *opts,
                              ucrm_iter_t **out, ucrm_error_t **errp) {
    if (!c || !out)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_list: NULL argument");
    *out = NULL;
    if (!ucrm_model__object_valid(object))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_list: unknown object %d", (int)object);
    return iter_open(c, object, NULL, NULL, opts, out, errp);
}

UCRM_API ucrm_err_t ucrm_search(ucrm_client_t *c, ucrm_object_t object, const char *field, const char *value,
                                const ucrm_reqopts_t *opts, ucrm_iter_t **out, ucrm_error_t **errp) {
    if (!c || !out || !field || !value)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_search: NULL argument");
    *out = NULL;
    if (!ucrm_model__object_valid(object))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_search: unknown object %d", (int)object);
    if (strcmp(field, "id") != 0 && !ucrm_model__find(object, field) && !ucrm_model__is_custom(field))
        return ucrm__fail(errp, UCRM_ERR_INVALID_FIELD, "ucrm_search: '%s' is not a field of %s", field,
                          ucrm_object_name(object));
    size_t vl = strlen(value);
    if (!ucrm__utf8_valid(value, vl))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_search: the value is not valid UTF-8");
    return iter_open(c, object, field, value, opts, out, errp);
}

/* Fetches the next page, replacing the current one. */
static ucrm_err_t fetch_page(ucrm_iter_t *it, ucrm_error_t **errp) {
    const ucrm_provider_t *prov = it->client->provider;
    cJSON *st = cJSON_CreateObject();
    if (!st)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    ucrm_err_t rc = prov->iter_save(it->istate, st);
    if (rc < 0) {
        cJSON_Delete(st);
        return ucrm__fail(errp, rc, "cannot describe the iterator position");
    }
    ucrm_records_t pg = {0};
    bool more = false;
    int64_t total = -1;
    ucrm_call_t call;
    ucrm_call__init(&call, it->client, it->opts, it->op, errp);
    int64_t t0 = ucrm__mono_us();
    rc = prov->iter_fetch(&call, it->istate, &pg, &more, &total);
    ucrm_stats__call(it->client->stats, it->op, rc, ucrm__mono_us() - t0);
    if (rc < 0) {
        ucrm_records__clear(&pg);
        ucrm__free(pg.recs);
        cJSON_Delete(st);
        return rc;
    }
    ucrm_records__clear(&it->page);
    ucrm__free(it->page.recs);
    it->page = pg;
    it->pos = it->skip < pg.n ? it->skip : pg.n;
    it->skip = 0;
    cJSON_Delete(it->page_state);
    it->page_state = st;
    it->more = more;
    it->started = true;
    if (total >= 0)
        it->total = total;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_iter_next(ucrm_iter_t *it, ucrm_record_t **out, ucrm_error_t **errp) {
    if (!it || !out)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_iter_next: NULL argument");
    *out = NULL;
    for (;;) {
        while (it->pos < it->page.n) {
            ucrm_record_t *r = it->page.recs[it->pos];
            it->page.recs[it->pos++] = NULL;
            if (r) {
                *out = r;
                return UCRM_OK;
            }
        }
        if (!it->more)
            return UCRM_ITEROVER;
        ucrm_err_t rc = fetch_page(it, errp);
        if (rc < 0)
            return rc;
    }
}

UCRM_API ucrm_err_t ucrm_iter_next_page(ucrm_iter_t *it, ucrm_records_t **out, ucrm_error_t **errp) {
    if (!it || !out)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_iter_next_page: NULL argument");
    *out = NULL;
    for (;;) {
        if (it->pos < it->page.n) {
            ucrm_records_t *pg = ucrm__calloc(1, sizeof *pg);
            if (!pg)
                return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
            for (; it->pos < it->page.n; it->pos++) {
                ucrm_record_t *r = it->page.recs[it->pos];
                if (!r)
                    continue;
                it->page.recs[it->pos] = NULL;
                if (ucrm_records__push(pg, r) < 0) {
                    it->pos++;
                    ucrm_records_destroy(pg);
                    return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
                }
            }
            if (pg->n) {
                *out = pg;
                return UCRM_OK;
            }
            ucrm_records_destroy(pg);
        }
        if (!it->more)
            return UCRM_ITEROVER;
        ucrm_err_t rc = fetch_page(it, errp);
        if (rc < 0)
            return rc;
    }
}

/* ---------------------------------------------------------------------------------------------- cursors */


UCRM_API const char *ucrm_iter_cursor(ucrm_iter_t *it) {
    if (!it || !it->started)
        return NULL;
    const ucrm_provider_t *prov = it->client->provider;
    cJSON *root = cJSON_CreateObject();
    cJSON *st = NULL;
    bool end = false;
    size_t idx = it->pos;
    if (it->pos < it->page.n) {
        st = cJSON_Duplicate(it->page_state, true);
    } else if (it->more) {
        /* the current page is used up: point at the next one instead of refetching this one */
        st = cJSON_CreateObject();
        if (st && prov->iter_save(it->istate, st) < 0) {
            cJSON_Delete(st);
            st = NULL;
        }
        idx = 0;
    } else {
        st = cJSON_CreateObject();
        end = true;
        idx = 0;
    }
    char *json = NULL;
    if (root && st && cJSON_AddNumberToObject(root, "v", CURSOR_VERSION) &&
        cJSON_AddStringToObject(root, "p", prov->name) &&
        cJSON_AddStringToObject(root, "o", ucrm_object_name(it->q.object)) &&
        (!it->search_field || (cJSON_AddStringToObject(root, "f", it->search_field) &&
                               cJSON_AddStringToObject(root, "q", it->search_value))) &&
        cJSON_AddNumberToObject(root, "i", (double)idx) && (!end || cJSON_AddTrueToObject(root, "end"))) {
        if (cJSON_AddItemToObject(root, "s", st)) { /* copies the key: can fail, and then st is not attached */
            st = NULL;
            json = cJSON_PrintUnformatted(root);
        }
    }
    cJSON_Delete(st);
    cJSON_Delete(root);
    if (!json)
        return NULL;
    char *enc = ucrm__b64url_encode(json, strlen(json));
    cJSON_free(json);
    if (!enc)
        return NULL;
    ucrm__free(it->cursor);
    it->cursor = enc;
    return it->cursor;
}

UCRM_API ucrm_err_t ucrm_iter_resume(ucrm_client_t *c, const char *cursor, const ucrm_reqopts_t *opts,
                                     ucrm_iter_t **out, ucrm_error_t **errp) {
    if (!c || !cursor || !out)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_iter_resume: NULL argument");
    *out = NULL;
    size_t len = 0;
    char *json = ucrm__b64url_decode(cursor, MAX_CURSOR_LEN, &len);
    cJSON *root = json ? cJSON_ParseWithLength(json, len) : NULL;
    ucrm__free(json);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "v");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "p");
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "o");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, "f");
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(root, "q");
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(root, "i");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "s");
    ucrm_object_t object = 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != CURSOR_VERSION || !cJSON_IsString(p) || !cJSON_IsString(o) ||
        ucrm_object_from_name(o->valuestring, &object) != UCRM_OK || !cJSON_IsNumber(i) || i->valuedouble < 0 ||
        i->valuedouble > 1e6 || !cJSON_IsObject(s) || (f && (!cJSON_IsString(f) || !cJSON_IsString(q)))) {
        cJSON_Delete(root);
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_iter_resume: malformed cursor");
    }
    if (strcmp(p->valuestring, c->provider->name) != 0) {
        ucrm_err_t rc = ucrm__fail(errp, UCRM_ERR_INVALID_ARG,
                                   "ucrm_iter_resume: the cursor is from provider %s, this client is %s",
                                   p->valuestring, c->provider->name);
        cJSON_Delete(root);
        return rc;
    }
    ucrm_iter_t *it;
    ucrm_err_t rc = iter_alloc(&it, c, object, f ? f->valuestring : NULL, f ? q->valuestring : NULL, opts, errp);
    if (rc < 0) {
        cJSON_Delete(root);
        return rc;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "end"))) {
        it->more = false;
        it->started = true;
        it->page_state = cJSON_CreateObject();
    } else {
        ucrm_call_t call;
        ucrm_call__init(&call, c, it->opts, it->op, errp);
        rc = c->provider->iter_restore(&call, &it->q, s, &it->istate);
        it->skip = (size_t)i->valuedouble;
    }
    cJSON_Delete(root);
    if (rc < 0) {
        ucrm_iter_destroy(it);
        return rc;
    }
    *out = it;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_iter_total(const ucrm_iter_t *it, int64_t *out) {
    if (!it || !out)
        return UCRM_ERR_INVALID_ARG;
    if (it->total < 0)
        return UCRM_ERR_NOENT;
    *out = it->total;
    return UCRM_OK;
}

UCRM_API void ucrm_iter_destroy(ucrm_iter_t *it) {
    if (!it)
        return;
    if (it->istate && it->client->provider->iter_free)
        it->client->provider->iter_free(it->istate);
    ucrm_records__clear(&it->page);
    ucrm__free(it->page.recs);
    cJSON_Delete(it->page_state);
    ucrm_reqopts_destroy(it->opts);
    ucrm__free(it->search_field);
    ucrm__free(it->search_value);
    ucrm__free(it->cursor);
    ucrm__free(it);
}
