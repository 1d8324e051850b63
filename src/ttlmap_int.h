/*
 * ttlmap_int.h -- a bounded map from byte-string keys to a 64-bit value, each entry expiring at its own time,
 * for the dedupe store and the policy's write fingerprints. Not locked: the owner locks.
 *
 * Entries live in a hash table (chained, grown by doubling up to the capacity) and in one age list ordered by
 * insertion (a put of an existing key moves it to the young end). When the map is full the oldest entry goes.
 * With one TTL for every entry (both users) insertion order is expiry order, so expired entries are dropped
 * from the old end in O(1) amortised, and lookups drop an expired entry they find.
 */
#ifndef UCRM_TTLMAP_INT_H
#define UCRM_TTLMAP_INT_H

#include "common_int.h"

typedef struct ucrm_ttlmap ucrm_ttlmap_t;

/* capacity >= 1. NULL when out of memory. */
ucrm_ttlmap_t *ucrm_ttlmap__new(size_t capacity);
void ucrm_ttlmap__free(ucrm_ttlmap_t *m);
/* true when key is present and not expired at now (expires_at > now); *val gets its value (val may be NULL). */
bool ucrm_ttlmap__get(ucrm_ttlmap_t *m, const char *key, size_t klen, int64_t now, uint64_t *val);
/* Inserts or replaces (new value and expiry, moved to the young end). Drops expired entries and, when full, the
 * oldest. false when out of memory (the map is then unchanged, apart from dropped expired entries). */
bool ucrm_ttlmap__put(ucrm_ttlmap_t *m, const char *key, size_t klen, uint64_t val, int64_t now, int64_t expires);
/* true when the key was present. */
bool ucrm_ttlmap__del(ucrm_ttlmap_t *m, const char *key, size_t klen);
size_t ucrm_ttlmap__count(const ucrm_ttlmap_t *m);
/* Changes the capacity (>= 1), dropping the oldest entries beyond it. */
void ucrm_ttlmap__set_capacity(ucrm_ttlmap_t *m, size_t capacity);

/* A 64-bit hash of bytes (FNV-1a with a final avalanche), also used for value fingerprints. */
uint64_t ucrm__hash64(const void *data, size_t n, uint64_t seed);

#endif /* UCRM_TTLMAP_INT_H */
