/*
 * records.c -- a page of records (ucrm_records_t): what ucrm_iter_next_page() hands out and what adapters fill
 * in iter_fetch. The page owns its records; ucrm_records_take() moves one out and leaves NULL in its slot so
 * that indexes stay stable.
 */
#include "record_int.h"

ucrm_err_t ucrm_records__new(ucrm_records_t **out) {
    if (!out)
        return UCRM_ERR_INVALID_ARG;
    *out = ucrm__calloc(1, sizeof **out);
    return *out ? UCRM_OK : UCRM_ERR_NOMEM;
}

ucrm_err_t ucrm_records__push(ucrm_records_t *page, ucrm_record_t *rec) {
    if (!page || !rec) {
        ucrm_record_destroy(rec);
        return UCRM_ERR_INVALID_ARG;
    }
    if (page->n == page->cap) {
        size_t cap = page->cap ? page->cap * 2 : 16;
        ucrm_record_t **r = cap > SIZE_MAX / sizeof *r ? NULL : ucrm__realloc(page->recs, cap * sizeof *r);
        if (!r) {
            ucrm_record_destroy(rec);
            return UCRM_ERR_NOMEM;
        }
        page->recs = r;
        page->cap = cap;
    }
    page->recs[page->n++] = rec;
    return UCRM_OK;
}

void ucrm_records__clear(ucrm_records_t *page) {
    if (!page)
        return;
    for (size_t i = 0; i < page->n; i++)
        ucrm_record_destroy(page->recs[i]);
    page->n = 0;
    page->taken = 0;
}

UCRM_API size_t ucrm_records_count(const ucrm_records_t *page) { return page ? page->n : 0; }

UCRM_API ucrm_record_t *ucrm_records_get(const ucrm_records_t *page, size_t i) {
    return page && i < page->n ? page->recs[i] : NULL;
}

UCRM_API ucrm_record_t *ucrm_records_take(ucrm_records_t *page, size_t i) {
    if (!page || i >= page->n)
        return NULL;
    ucrm_record_t *rec = page->recs[i];
    page->recs[i] = NULL;
    return rec;
}

UCRM_API void ucrm_records_destroy(ucrm_records_t *page) {
    if (!page)
        return;
    ucrm_records__clear(page);
    ucrm__free(page->recs);
    ucrm__free(page);
}
