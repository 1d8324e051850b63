/*
 * ratelimit.c -- the process-wide limiter registry: one limiter per account key, shared by every client of the
 * account, each backed by a limiter backend (the in-process one in ratelimit_mem.c). See ratelimit_int.h.
 */
#include "ratelimit_int.h"
#include "error_int.h"

#include <pthread.h>

struct ucrm_limiter {
    char *key;
    size_t refs;
    struct ucrm_limiter *next;
    const ucrm_limiter_backend_t *be;
    void *impl;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static ucrm_limiter_t *g_limiters;

void ucrm_rl_settings__from_conf(ucrm_rl_settings_t *s, const ucrm_conf_t *conf) {
    memset(s, 0, sizeof *s);
    s->window_max = ucrm_conf__int(conf, UCRM_P_RL_REQUESTS);
    s->window_ms = ucrm_conf__int(conf, UCRM_P_RL_INTERVAL_MS);
    s->search_max = ucrm_conf__int(conf, UCRM_P_RL_SEARCH_REQUESTS);
    s->search_ms = ucrm_conf__int(conf, UCRM_P_RL_SEARCH_INTERVAL_MS);
    s->daily_max = ucrm_conf__int(conf, UCRM_P_RL_DAILY);
    s->daily_explicit = ucrm_conf__is_set(conf, UCRM_P_RL_DAILY);
    s->concurrency = ucrm_conf__int(conf, UCRM_P_RL_CONCURRENCY);
    s->reserve_pct = ucrm_conf__int(conf, UCRM_P_RL_RESERVE_HIGH_PERCENT);
    s->headroom = ucrm_conf__int(conf, UCRM_P_RL_HEADROOM);
    s->daily_recheck_ms = ucrm_conf__int(conf, UCRM_P_RL_DAILY_RECHECK_MS);
}

int64_t ucrm_rl__reserve(int64_t n, int64_t pct) {
    if (n <= 1 || pct <= 0)
        return 0;
    int64_t r = n / 100 * pct + n % 100 * pct / 100; /* floor(n * pct / 100) without overflow */
    return r < 1 ? 1 : r >= n ? n - 1 : r;
}

ucrm_err_t ucrm_limiter__get(ucrm_limiter_t **out, const ucrm_conf_t *conf, const char *account_key,
                             ucrm_error_t **errp) {
    ucrm_rl_settings_t s;
    ucrm_rl_settings__from_conf(&s, conf);
    ucrm_err_t rc = UCRM_OK;
    pthread_mutex_lock(&g_lock);
    ucrm_limiter_t *l = g_limiters;
    while (l && strcmp(l->key, account_key) != 0)
        l = l->next;
    if (l) {
        l->refs++;
    } else if ((l = ucrm__calloc(1, sizeof *l)) && (l->key = ucrm__strdup(account_key))) {
        l->be = &ucrm_limiter__memory;
        rc = l->be->create(&l->impl, &s, errp);
        if (rc == UCRM_OK) {
            l->refs = 1;
            l->next = g_limiters;
            g_limiters = l;
        }
    } else {
        rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    if (rc < 0 && l) {
        ucrm__free(l->key);
        ucrm__free(l);
        l = NULL;
    }
    pthread_mutex_unlock(&g_lock);
    if (rc == UCRM_OK)
        *out = l;
    return rc;
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
        l->be->destroy(l->impl);
        ucrm__free(l->key);
        ucrm__free(l);
    }
}

ucrm_err_t ucrm_limiter__acquire(ucrm_limiter_t *l, ucrm_rl_ticket_t *t, ucrm_bucket_t b, ucrm_priority_t prio,
                                 int64_t max_wait_ms, int64_t deadline_us, int64_t *waited_us,
                                 ucrm_error_t **errp) {
    memset(t, 0, sizeof *t);
    t->bucket = b;
    t->prio = prio == UCRM_PRIORITY_HIGH || prio == UCRM_PRIORITY_LOW ? prio : UCRM_PRIORITY_NORMAL;
    *waited_us = 0;
    return l->be->acquire(l->impl, t, max_wait_ms, deadline_us, waited_us, errp);
}

void ucrm_limiter__done(ucrm_limiter_t *l, ucrm_rl_ticket_t *t, const struct ucrm_usage *usage,
                        ucrm_rl_outcome_t outcome, int64_t retry_after_ms) {
    l->be->done(l->impl, t, usage, outcome, retry_after_ms);
}

void ucrm_limiter__stats_json(ucrm_limiter_t *l, ucrm_buf_t *buf) {
    pthread_mutex_lock(&g_lock);
    size_t refs = l->refs;
    pthread_mutex_unlock(&g_lock);
    ucrm_buf__printf(buf, "\"backend\":\"%s\",\"clients\":%zu,", l->be->name, refs);
    l->be->stats_json(l->impl, buf);
}
