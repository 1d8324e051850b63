/*
 * ratelimit.c -- the process-wide limiter registry: one limiter per account key, shared by every client of the
 * account, each backed by a limiter backend (the in-process one in ratelimit_mem.c). See ratelimit_int.h.
 */
#include "ratelimit_int.h"
#include "error_int.h"

#include <pthread.h>
#include <time.h>

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
    s->attempt_ms = ucrm_conf__int(conf, UCRM_P_HTTP_TIMEOUT_MS);
}

/* The backend conf asks for (ratelimit.backend). */
static const ucrm_limiter_backend_t *backend_of(const ucrm_conf_t *conf) {
#ifdef UCRM_WITH_REDIS
    if (ucrm__streq(ucrm_conf__str(conf, UCRM_P_RL_BACKEND), "redis"))
        return &ucrm_limiter__redis;
#else
    (void)conf;
#endif
    return &ucrm_limiter__memory;
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
    const ucrm_limiter_backend_t *be = backend_of(conf);
    ucrm_err_t rc = UCRM_OK;
    pthread_mutex_lock(&g_lock);
    ucrm_limiter_t *l = g_limiters;
    while (l && (strcmp(l->key, account_key) != 0 || l->be != be))
        l = l->next;
    if (l) {
        l->refs++;
    } else if ((l = ucrm__calloc(1, sizeof *l)) && (l->key = ucrm__strdup(account_key))) {
        l->be = be;
        rc = l->be->create(&l->impl, &s, conf, account_key, errp);
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

/* ---------------------------------------------------------------------------------------------- backends */

int ucrm_rl__lane(ucrm_priority_t p) {
    return p == UCRM_PRIORITY_HIGH  ? UCRM_RL_LANE_HIGH
           : p == UCRM_PRIORITY_LOW ? UCRM_RL_LANE_LOW
                                    : UCRM_RL_LANE_NORMAL;
}

void ucrm_rl_q__push(ucrm_rl_queue_t *q, ucrm_rl_waiter_t *w) {
    w->next = NULL;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    q->n++;
}

void ucrm_rl_q__remove(ucrm_rl_queue_t *q, ucrm_rl_waiter_t *w) {
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    q->n--;
}

size_t ucrm_rl_q__waiting(ucrm_rl_queue_t (*q)[UCRM_RL_NLANES], int nbuckets) {
    size_t n = 0;
    for (int b = 0; b < nbuckets; b++)
        for (int l = 0; l < UCRM_RL_NLANES; l++)
            n += q[b][l].n;
    return n;
}

void ucrm_rl_counts__waited(ucrm_rl_counts_t *c, int64_t waited_us) {
    if (waited_us <= 0)
        return;
    c->waits++;
    c->wait_us_total += waited_us;
    if (waited_us > c->wait_us_max)
        c->wait_us_max = waited_us;
}

void ucrm_rl_counts__answer(ucrm_rl_counts_t *c, ucrm_rl_outcome_t outcome) {
    c->answers_rl += outcome == UCRM_RL_RATE_LIMITED;
    c->answers_quota += outcome == UCRM_RL_QUOTA;
}

void ucrm_rl_counts__json(const ucrm_rl_counts_t *c, size_t waiting, ucrm_buf_t *buf) {
    ucrm_buf__printf(buf,
                     "\"acquired\":%llu,\"waits\":%llu,\"wait_ms_total\":%.3f,\"wait_ms_max\":%.3f,\"waiting\":%zu,"
                     "\"rejected_rate_limited\":%llu,\"rejected_quota\":%llu,\"rate_limited_answers\":%llu,"
                     "\"quota_answers\":%llu",
                     (unsigned long long)c->acquired, (unsigned long long)c->waits,
                     (double)c->wait_us_total / 1000.0, (double)c->wait_us_max / 1000.0, waiting,
                     (unsigned long long)c->rejected_rl, (unsigned long long)c->rejected_quota,
                     (unsigned long long)c->answers_rl, (unsigned long long)c->answers_quota);
}

void ucrm_rl__wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, int64_t now, int64_t when_us) {
    if (when_us - now > INT64_C(3600000000))
        when_us = now + INT64_C(3600000000);
    struct timespec ts = {(time_t)(when_us / 1000000), (long)(when_us % 1000000) * 1000};
    pthread_cond_timedwait(cond, lock, &ts);
}

ucrm_err_t ucrm_rl__quota_error(ucrm_error_t **errp, int lane, int64_t retry_us) {
    ucrm_error_t *e = ucrm_error__new(UCRM_ERR_QUOTA_EXHAUSTED,
                                      "the daily API budget %sis used up (ratelimit.daily); it frees in %lld s",
                                      lane == UCRM_RL_LANE_HIGH ? "" : "for this priority (the rest is kept for HIGH) ",
                                      (long long)(retry_us / 1000000));
    ucrm_error__set_retry(e, 0, retry_us / 1000 + 1);
    return ucrm__give(errp, e);
}

ucrm_err_t ucrm_rl__rate_error(ucrm_error_t **errp, int64_t wait_us, int64_t allowed_us) {
    ucrm_error_t *e = ucrm_error__new(UCRM_ERR_RATE_LIMITED,
                                      "rate limit: the wait for a request slot (at least %lld ms) exceeds what "
                                      "the call allows (%lld ms: ratelimit.wait.max.ms or the call's budget)",
                                      (long long)(wait_us / 1000), (long long)(allowed_us / 1000));
    ucrm_error__set_retry(e, 1, wait_us / 1000 + 1);
    return ucrm__give(errp, e);
}
