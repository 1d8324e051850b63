/*
 * store.c -- the in-memory record tables. Records are appended in creation order (ids grow with it) and never
 * removed except by /__fake/reset: deletes and archives only flag them, as both providers keep them in a
 * recycle bin, and so that query cursors holding record pointers stay valid.
 */
#include "fake.h"

#include <stdlib.h>
#include <string.h>

fk_rec_t *fk_rec_new(int obj)
{
    fk_rec_t *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->obj = obj;
    r->f = cJSON_CreateObject();
    return r;
}

void fk_rec_free(fk_rec_t *r)
{
    if (!r)
        return;
    cJSON_Delete(r->f);
    free(r->assoc);
    free(r);
}

fk_rec_t *fk_table_add(fk_table_t *t, fk_rec_t *r)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->v = fk_xrealloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n++] = r;
    if (!r->deleted)
        t->live++;
    fk_map_put(&t->byid, r->id, r);
    return r;
}

fk_rec_t *fk_table_get(const fk_table_t *t, const char *id)
{
    return fk_map_get(&t->byid, id);
}

size_t fk_table_lower_bound(const fk_table_t *t, uint64_t seq)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->v[mid]->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void fk_table_clear(fk_table_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        fk_rec_free(t->v[i]);
    free(t->v);
    fk_map_t m = t->byid;
    fk_map_free(&m);
    memset(t, 0, sizeof *t);
}
