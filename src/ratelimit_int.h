/*
 * ratelimit_int.h -- the rate limiter the pipeline draws from (stage 1) and feeds (stage 4).
 *
 * Limiters live in a process-wide registry keyed by `ratelimit.key` (default: provider + account identity), so
 * every client of one CRM account shares one budget across threads. Each limiter has the buckets the provider
 * needs (HubSpot: rolling window + search window + daily; Salesforce: daily + concurrency), priority lanes (a
 * share reserved for UCRM_PRIORITY_HIGH), correction from the provider's usage headers, and drain-on-429.
 *
 * The accounting is behind a backend vtable (ucrm_limiter_backend_t): the in-process one (ratelimit_mem.c) by
 * default, or with ratelimit.backend=redis the shared one (redis_limiter.c: many processes and hosts, one budget,
 * the same semantics), chosen per limiter by the configuration of the client that creates it.
 *
 * Contract for the pipeline: every successful ucrm_limiter__acquire() is followed by exactly one
 * ucrm_limiter__done() with the same ticket, saying what became of the attempt.
 */
#ifndef UCRM_RATELIMIT_INT_H
#define UCRM_RATELIMIT_INT_H

#include "common_int.h"
#include "conf_int.h"
#include "pipeline_int.h"

#include <pthread.h>

struct ucrm_usage;

typedef struct ucrm_limiter ucrm_limiter_t;

/* What the limiter enforces, read once from the configuration of the client that created it. */
typedef struct ucrm_rl_settings {
    int64_t window_max, window_ms;  /* main rolling window (ratelimit.requests / .interval.ms); 0 = none */
    int64_t search_max, search_ms;  /* search window (ratelimit.search.*); 0 = none */
    int64_t daily_max;              /* ratelimit.daily; 0 = none */
    bool daily_explicit;            /* set by the application: a cap; else the provider's figure replaces it */
    int64_t concurrency;            /* ratelimit.concurrency: requests in flight; 0 = unlimited */
    int64_t reserve_pct;            /* ratelimit.reserve.high.percent */
    int64_t headroom;               /* ratelimit.headroom: window slots never used */
    int64_t daily_recheck_ms;       /* ratelimit.daily.recheck.ms */
    int64_t attempt_ms;             /* http.timeout.ms: the longest an attempt holds a slot before done */
} ucrm_rl_settings_t;

void ucrm_rl_settings__from_conf(ucrm_rl_settings_t *s, const ucrm_conf_t *conf);
/* The slots of a bucket of size n kept for UCRM_PRIORITY_HIGH: floor(n * pct / 100), at least 1 when pct > 0
 * and n > 1 (so that small buckets such as HubSpot's 5 searches per second keep a high-priority slot). */
int64_t ucrm_rl__reserve(int64_t n, int64_t pct);

/* One acquired attempt. Filled by acquire, handed back to done; the contents belong to the backend. */
typedef struct ucrm_rl_ticket {
    ucrm_bucket_t bucket;
    ucrm_priority_t prio;
    unsigned held;      /* backend flags: which counters this attempt holds */
    int64_t stamp;      /* backend data (the in-process backend: the daily counter's minute) */
    int64_t taken_us;   /* backend data (the in-process backend: when the slot was taken, monotonic) */
    int64_t rid, view;  /* backend data (the Redis backend: the slot's id, the window's count once taken) */
    /* Set by acquire when the backend changed state during this call (a shared store became unreachable or
     * came back): the pipeline logs event_msg at event_level through the calling client, once. */
    int event_level;    /* 0: none, else a ucrm_log_level_t */
    char event_msg[240];
} ucrm_rl_ticket_t;

/* What became of an attempt that held a ticket. */
typedef enum ucrm_rl_outcome {
    UCRM_RL_NOT_SENT,       /* never reached the provider (connect failure, no token, ...): slot given back */
    UCRM_RL_SENT,           /* reached (or may have reached) the provider: counts */
    UCRM_RL_RATE_LIMITED,   /* 429 / burst limit: not counted by the provider; the bucket drains */
    UCRM_RL_QUOTA           /* the provider's daily quota is used up */
} ucrm_rl_outcome_t;

/* A limiter backend. All functions are thread-safe; impl is the backend's state for one account key. */
typedef struct ucrm_limiter_backend {
    const char *name;
    /* conf: the creating client's configuration (backend options), key: the account key (both borrowed). */
    ucrm_err_t (*create)(void **impl, const ucrm_rl_settings_t *s, const ucrm_conf_t *conf, const char *key,
                         ucrm_error_t **errp);
    /* Takes what an attempt on bucket t->bucket needs, waiting (never past max_wait_ms or deadline_us) when
     * needed; RATE_LIMITED (retry-after set) instead of a longer wait, QUOTA_EXHAUSTED when the daily budget
     * for this priority is used up. *waited_us: time spent waiting (also on failure). */
    ucrm_err_t (*acquire)(void *impl, ucrm_rl_ticket_t *t, int64_t max_wait_ms, int64_t deadline_us,
                          int64_t *waited_us, ucrm_error_t **errp);
    void (*done)(void *impl, ucrm_rl_ticket_t *t, const struct ucrm_usage *usage, ucrm_rl_outcome_t outcome,
                 int64_t retry_after_ms);
    /* Appends the figures as JSON members ("window":{...},...) to buf. */
    void (*stats_json)(void *impl, ucrm_buf_t *buf);
    void (*destroy)(void *impl);
} ucrm_limiter_backend_t;

extern const ucrm_limiter_backend_t ucrm_limiter__memory;
/* The in-process backend only: counts completions at the monotonic times ts[0..n) (oldest first) in bucket b's
 * window, as if this limiter had seen them (those newer than its newest and younger than the window): a fallback
 * limiter starts with what the process sent recently through another one. */
void ucrm_rl_mem__seed(void *impl, ucrm_bucket_t b, const int64_t *ts, size_t n);
#ifdef UCRM_WITH_REDIS
extern const ucrm_limiter_backend_t ucrm_limiter__redis;
#endif

/* Finds or creates the limiter for account_key and conf's ratelimit.backend (reference counted). The first client
 * of a key decides the settings; later clients with the same key and backend share them. */
ucrm_err_t ucrm_limiter__get(ucrm_limiter_t **out, const ucrm_conf_t *conf, const char *account_key,
                             ucrm_error_t **errp);
void ucrm_limiter__release(ucrm_limiter_t *l);

/* Takes one request slot from bucket b for an attempt of priority prio (see the backend's acquire). */
ucrm_err_t ucrm_limiter__acquire(ucrm_limiter_t *l, ucrm_rl_ticket_t *t, ucrm_bucket_t b, ucrm_priority_t prio,
                                 int64_t max_wait_ms, int64_t deadline_us, int64_t *waited_us,
                                 ucrm_error_t **errp);

/* After each attempt that took a slot: releases concurrency, applies the provider's usage figures (usage may be
 * NULL), and on a rate-limit answer drains the bucket until the window reopens (retry_after_ms when the
 * provider said, else the bucket's interval). */
void ucrm_limiter__done(ucrm_limiter_t *l, ucrm_rl_ticket_t *t, const struct ucrm_usage *usage,
                        ucrm_rl_outcome_t outcome, int64_t retry_after_ms);

/* Figures for stats JSON (appended as members of an object being written into buf). */
void ucrm_limiter__stats_json(ucrm_limiter_t *l, ucrm_buf_t *buf);

/* ---- for the backends (ratelimit.c) */

/* The lane of a priority: 0 LOW, 1 NORMAL, 2 HIGH. */
enum { UCRM_RL_LANE_LOW, UCRM_RL_LANE_NORMAL, UCRM_RL_LANE_HIGH, UCRM_RL_NLANES };
int ucrm_rl__lane(ucrm_priority_t p);

/* A FIFO of waiting acquires (one per bucket and lane). */
typedef struct ucrm_rl_waiter {
    struct ucrm_rl_waiter *next, *prev;
} ucrm_rl_waiter_t;
typedef struct ucrm_rl_queue {
    ucrm_rl_waiter_t *head, *tail;
    size_t n;
} ucrm_rl_queue_t;
void ucrm_rl_q__push(ucrm_rl_queue_t *q, ucrm_rl_waiter_t *w);
void ucrm_rl_q__remove(ucrm_rl_queue_t *q, ucrm_rl_waiter_t *w);

/* Waits on cond (monotonic clock; lock held) until when_us, at most an hour after now (the timespec stays in
 * range, and a waiter looks again at least hourly). */
void ucrm_rl__wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, int64_t now, int64_t when_us);

/* Waiters in queues q[0..nbuckets) of every lane. */
size_t ucrm_rl_q__waiting(ucrm_rl_queue_t (*q)[UCRM_RL_NLANES], int nbuckets);

/* What a backend counts of its acquires and answers (under its lock), and their JSON members
 * ("acquired":...,"quota_answers":N, no trailing comma), the same for every backend. */
typedef struct ucrm_rl_counts {
    uint64_t acquired, waits, rejected_rl, rejected_quota, answers_rl, answers_quota;
    int64_t wait_us_total, wait_us_max;
} ucrm_rl_counts_t;
void ucrm_rl_counts__waited(ucrm_rl_counts_t *c, int64_t waited_us);
void ucrm_rl_counts__answer(ucrm_rl_counts_t *c, ucrm_rl_outcome_t outcome);
void ucrm_rl_counts__json(const ucrm_rl_counts_t *c, size_t waiting, ucrm_buf_t *buf);

/* The errors of an acquire: the daily budget of this lane is used up (frees in retry_us), or the wait for a slot
 * (at least wait_us) exceeds what the call allows (allowed_us). */
ucrm_err_t ucrm_rl__quota_error(ucrm_error_t **errp, int lane, int64_t retry_us);
ucrm_err_t ucrm_rl__rate_error(ucrm_error_t **errp, int64_t wait_us, int64_t allowed_us);

#endif /* UCRM_RATELIMIT_INT_H */
