/*
 * ttlmap.c -- see ttlmap_int.h.
 */
#include "ttlmap_int.h"

typedef struct tm_entry {
    struct tm_entry *chain;        /* next in the bucket */
    struct tm_entry *older, *newer; /* age list */
    uint64_t hash;
    uint64_t val;
    int64_t expires;
    size_t klen;
    char key[];
} tm_entry_t;

struct ucrm_ttlmap {
    tm_entry_t **buckets;
    size_t nbuckets; /* power of two */
    size_t count, capacity;
    tm_entry_t *oldest, *newest;
    uint64_t seed;   /* per map, so that colliding keys cannot be chosen in advance */
};

#define TM_MIN_BUCKETS 16

uint64_t ucrm__hash64(const void *data, size_t n, uint64_t seed) {
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33; /* murmur3 fmix64: FNV's low bits alone index buckets poorly */
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

ucrm_ttlmap_t *ucrm_ttlmap__new(size_t capacity) {
    ucrm_ttlmap_t *m = ucrm__calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->buckets = ucrm__calloc(TM_MIN_BUCKETS, sizeof *m->buckets);
    if (!m->buckets) {
        ucrm__free(m);
        return NULL;
    }
    m->nbuckets = TM_MIN_BUCKETS;
    m->capacity = capacity ? capacity : 1;
    m->seed = ucrm__rand64();
    return m;
}

void ucrm_ttlmap__free(ucrm_ttlmap_t *m) {
    if (!m)
        return;
    for (tm_entry_t *e = m->oldest, *next; e; e = next) {
        next = e->newer;
        ucrm__free(e);
    }
    ucrm__free(m->buckets);
    ucrm__free(m);
}

static tm_entry_t **slot_of(ucrm_ttlmap_t *m, const char *key, size_t klen, uint64_t h) {
    tm_entry_t **pp = &m->buckets[h & (m->nbuckets - 1)];
    while (*pp && !((*pp)->hash == h && (*pp)->klen == klen && memcmp((*pp)->key, key, klen) == 0))
        pp = &(*pp)->chain;
    return pp;
}

static void age_unlink(ucrm_ttlmap_t *m, tm_entry_t *e) {
    if (e->older)
        e->older->newer = e->newer;
    else
        m->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        m->newest = e->older;
    e->older = e->newer = NULL;
}

static void age_push(ucrm_ttlmap_t *m, tm_entry_t *e) {
    e->older = m->newest;
    e->newer = NULL;
    if (m->newest)
        m->newest->newer = e;
    else
        m->oldest = e;
    m->newest = e;
}

static void remove_entry(ucrm_ttlmap_t *m, tm_entry_t *e) {
    tm_entry_t **pp = slot_of(m, e->key, e->klen, e->hash);
    *pp = e->chain;
    age_unlink(m, e);
    m->count--;
    ucrm__free(e);
}

static void drop_old(ucrm_ttlmap_t *m, int64_t now, size_t keep) {
    while (m->oldest && (m->count > keep || m->oldest->expires <= now))
        remove_entry(m, m->oldest);
}

/* Doubles the table while the load exceeds 1 (never beyond the capacity). A failed allocation only means
 * longer chains. */
static void maybe_grow(ucrm_ttlmap_t *m) {
    if (m->count < m->nbuckets || m->nbuckets >= m->capacity || m->nbuckets > SIZE_MAX / 4 / sizeof(void *))
        return;
    size_t nb = m->nbuckets * 2;
    tm_entry_t **b = ucrm__calloc(nb, sizeof *b);
    if (!b)
        return;
    for (size_t i = 0; i < m->nbuckets; i++)
        for (tm_entry_t *e = m->buckets[i], *next; e; e = next) {
            next = e->chain;
            e->chain = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    ucrm__free(m->buckets);
    m->buckets = b;
    m->nbuckets = nb;
}

bool ucrm_ttlmap__get(ucrm_ttlmap_t *m, const char *key, size_t klen, int64_t now, uint64_t *val) {
    uint64_t h = ucrm__hash64(key, klen, m->seed);
    tm_entry_t *e = *slot_of(m, key, klen, h);
    if (!e)
        return false;
    if (e->expires <= now) {
        remove_entry(m, e);
        return false;
    }
    if (val)
        *val = e->val;
    return true;
}

bool ucrm_ttlmap__put(ucrm_ttlmap_t *m, const char *key, size_t klen, uint64_t val, int64_t now, int64_t expires) {
    drop_old(m, now, m->capacity);
    uint64_t h = ucrm__hash64(key, klen, m->seed);
    tm_entry_t *e = *slot_of(m, key, klen, h);
    if (e) {
        e->val = val;
        e->expires = expires;
        age_unlink(m, e);
        age_push(m, e);
        return true;
    }
    if (klen > SIZE_MAX - sizeof *e - 1 || !(e = ucrm__malloc(sizeof *e + klen + 1)))
        return false;
    drop_old(m, now, m->capacity - 1);
    memcpy(e->key, key, klen);
    e->key[klen] = '\0';
    e->klen = klen;
    e->hash = h;
    e->val = val;
    e->expires = expires;
    tm_entry_t **pp = &m->buckets[h & (m->nbuckets - 1)];
    e->chain = *pp;
    *pp = e;
    age_push(m, e);
    m->count++;
    maybe_grow(m);
    return true;
}

bool ucrm_ttlmap__del(ucrm_ttlmap_t *m, const char *key, size_t klen) {
    tm_entry_t *e = *slot_of(m, key, klen, ucrm__hash64(key, klen, m->seed));
    if (!e)
        return false;
    remove_entry(m, e);
    return true;
}

size_t ucrm_ttlmap__count(const ucrm_ttlmap_t *m) { return m ? m->count : 0; }

void ucrm_ttlmap__set_capacity(ucrm_ttlmap_t *m, size_t capacity) {
    m->capacity = capacity ? capacity : 1;
    drop_old(m, INT64_MIN, m->capacity);
}
