/*
 * ratelimit.c -- the process-wide limiter registry (one limiter per account key, shared by every client of the
 * account). This first version counts but does not hold requests back: the buckets, priority lanes, usage
 * correction and drain-on-429 come with the rate-limiting work (see ratelimit_int.h for the contract).
 */
#include "ratelimit_int.h"
#include "error_int.h"
#include "provider_int.h"

#include <pthread.h>

struct ucrm_limiter {
    char *key;
    size_t refs;
    struct ucrm_limiter *next;
    pthread_mutex_t lock;
    uint64_t acquired;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static ucrm_limiter_t *g_limiters;

ucrm_err_t ucrm_limiter__get(ucrm_limiter_t **out, const ucrm_conf_t *conf, const char *account_key,
                             ucrm_error_t **errp) {
    (void)conf;
    pthread_mutex_lock(&g_lock);
    ucrm_limiter_t *l = g_limiters;
    while (l && strcmp(l->key, account_key) != 0)
        l = l->next;
    if (l) {
        l->refs++;
    } else if ((l = ucrm__calloc(1, sizeof *l)) && (l->key = ucrm__strdup(account_key))) {
        pthread_mutex_init(&l->lock, NULL);
        l->refs = 1;
        l->next = g_limiters;
        g_limiters = l;
    } else {
        ucrm__free(l);
        l = NULL;
    }
    pthread_mutex_unlock(&g_lock);
    if (!l)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    *out = l;
    return UCRM_OK;
}

void ucrm_limiter__release(ucrm_limiter_t *l) {
    if (!l)
        return;
    pthread_mutex_lock(&g_lock);
    bool last = --l->refs == 0;
    if (last) {
        for (ucrm_limiter_t **pp = &g_limiters; *pp; pp = &(*pp)->next)
            if (*pp == l) {
                *pp = l->next;
                break;
            }
    }
    pthread_mutex_unlock(&g_lock);
    if (last) {
        pthread_mutex_destroy(&l->lock);
        ucrm__free(l->key);
        ucrm__free(l);
    }
}

ucrm_err_t ucrm_limiter__acquire(ucrm_limiter_t *l, ucrm_bucket_t b, ucrm_priority_t prio, int64_t max_wait_ms,
                                 int64_t deadline_us, int64_t *waited_us, ucrm_error_t **errp) {
    (void)b;
    (void)prio;
    (void)max_wait_ms;
    (void)deadline_us;
    (void)errp;
    pthread_mutex_lock(&l->lock);
    l->acquired++;
    pthread_mutex_unlock(&l->lock);
    *waited_us = 0;
    return UCRM_OK;
}

void ucrm_limiter__done(ucrm_limiter_t *l, ucrm_bucket_t b, const struct ucrm_usage *usage, bool rate_limited,
                        int64_t retry_after_ms) {
    (void)l;
    (void)b;
    (void)usage;
    (void)rate_limited;
    (void)retry_after_ms;
}

void ucrm_limiter__stats_json(ucrm_limiter_t *l, ucrm_buf_t *buf) {
    pthread_mutex_lock(&l->lock);
    ucrm_buf__printf(buf, "\"acquired\":%llu", (unsigned long long)l->acquired);
    pthread_mutex_unlock(&l->lock);
}
