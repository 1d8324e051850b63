/*
 * dedupe.c -- the dedupe store: in memory (a ttlmap under a mutex) or the application's (two callbacks).
 */
#include "error_int.h"
#include "ttlmap_int.h"

#include <pthread.h>

#define DEDUPE_MAX_CAPACITY ((size_t)1 << 30)

struct ucrm_dedupe_s {
    int64_t ttl_ms;
    /* in memory */
    pthread_mutex_t lock;
    ucrm_ttlmap_t *map;
    /* application-backed */
    ucrm_dedupe_seen_cb *seen;
    ucrm_dedupe_forget_cb *forget;
    void *opaque;
};

static ucrm_err_t alloc_store(ucrm_dedupe_t **out, int64_t ttl_ms) {
    if (!out)
        return UCRM_ERR_INVALID_ARG;
    *out = NULL;
    if (ttl_ms <= 0)
        return UCRM_ERR_INVALID_ARG;
    ucrm_dedupe_t *d = ucrm__calloc(1, sizeof *d);
    if (!d)
        return UCRM_ERR_NOMEM;
    d->ttl_ms = ttl_ms;
    *out = d;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_dedupe_new(ucrm_dedupe_t **out, size_t capacity, int64_t ttl_ms) {
    if (out && (capacity == 0 || capacity > DEDUPE_MAX_CAPACITY)) {
        *out = NULL;
        return UCRM_ERR_INVALID_ARG;
    }
    ucrm_err_t rc = alloc_store(out, ttl_ms);
    if (rc < 0)
        return rc;
    ucrm_dedupe_t *d = *out;
    if (!(d->map = ucrm_ttlmap__new(capacity)) || pthread_mutex_init(&d->lock, NULL) != 0) {
        ucrm_ttlmap__free(d->map);
        ucrm__free(d);
        *out = NULL;
        return UCRM_ERR_NOMEM;
    }
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_dedupe_new_custom(ucrm_dedupe_t **out, int64_t ttl_ms, ucrm_dedupe_seen_cb *seen,
                                           ucrm_dedupe_forget_cb *forget, void *opaque) {
    if (out && !seen) {
        *out = NULL;
        return UCRM_ERR_INVALID_ARG;
    }
    ucrm_err_t rc = alloc_store(out, ttl_ms);
    if (rc < 0)
        return rc;
    (*out)->seen = seen;
    (*out)->forget = forget;
    (*out)->opaque = opaque;
    return UCRM_OK;
}

UCRM_API void ucrm_dedupe_destroy(ucrm_dedupe_t *d) {
    if (!d)
        return;
    if (d->map) {
        ucrm_ttlmap__free(d->map);
        pthread_mutex_destroy(&d->lock);
    }
    ucrm__free(d);
}

static ucrm_err_t user_fail(ucrm_error_t **errp, int code, const char *what) {
    ucrm_error_t *e = ucrm_error__new(UCRM_ERR_USER, "dedupe: the application's %s callback failed (%d)", what, code);
    if (e != &ucrm__oom_error)
        e->user_code = code;
    return ucrm__give(errp, e);
}

UCRM_API ucrm_err_t ucrm_dedupe_seen(ucrm_dedupe_t *d, int *was_seen, const char *key, int64_t now_ms,
                                     ucrm_error_t **errp) {
    if (!d || !was_seen || !key || !*key)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "dedupe: store, was_seen and a non-empty key are required");
    *was_seen = 0;
    int64_t now = now_ms ? now_ms : ucrm__now_ms();
    if (d->seen) {
        int seen = 0;
        int rc = d->seen(key, now, d->ttl_ms, &seen, d->opaque);
        if (rc != 0)
            return user_fail(errp, rc, "seen");
        *was_seen = seen != 0;
        return UCRM_OK;
    }
    size_t klen = strlen(key);
    bool ok = true;
    pthread_mutex_lock(&d->lock);
    if (ucrm_ttlmap__get(d->map, key, klen, now, NULL))
        *was_seen = 1;
    else
        ok = ucrm_ttlmap__put(d->map, key, klen, 0, now, now > INT64_MAX - d->ttl_ms ? INT64_MAX : now + d->ttl_ms);
    pthread_mutex_unlock(&d->lock);
    return ok ? UCRM_OK : ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
}

UCRM_API ucrm_err_t ucrm_dedupe_forget(ucrm_dedupe_t *d, const char *key, ucrm_error_t **errp) {
    if (!d || !key || !*key)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "dedupe: store and a non-empty key are required");
    if (d->map) {
        pthread_mutex_lock(&d->lock);
        ucrm_ttlmap__del(d->map, key, strlen(key));
        pthread_mutex_unlock(&d->lock);
        return UCRM_OK;
    }
    if (!d->forget)
        return ucrm__fail(errp, UCRM_ERR_UNSUPPORTED, "dedupe: the application's store has no forget callback");
    int rc = d->forget(key, d->opaque);
    return rc ? user_fail(errp, rc, "forget") : UCRM_OK;
}

UCRM_API size_t ucrm_dedupe_count(const ucrm_dedupe_t *d) {
    if (!d || !d->map)
        return 0;
    ucrm_dedupe_t *m = (ucrm_dedupe_t *)d; /* the lock is not part of the logical state */
    pthread_mutex_lock(&m->lock);
    size_t n = ucrm_ttlmap__count(m->map);
    pthread_mutex_unlock(&m->lock);
    return n;
}
