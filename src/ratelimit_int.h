/*
 * ratelimit_int.h -- the rate limiter the pipeline draws from (stage 1) and feeds (stage 4).
 *
 * Limiters live in a process-wide registry keyed by `ratelimit.key` (default: provider + account identity), so
 * every client of one CRM account shares one budget across threads. Each limiter has the buckets the provider
 * needs (HubSpot: rolling window + search window + daily; Salesforce: daily + concurrency), priority lanes (a
 * share reserved for UCRM_PRIORITY_HIGH), correction from the provider's usage headers, and drain-on-429.
 *
 * The accounting is behind a backend vtable (ucrm_limiter_backend_t) so that a shared store (Redis: many
 * processes, one budget) can replace the in-process one (ratelimit_mem.c) without touching the pipeline.
 *
 * Contract for the pipeline: every successful ucrm_limiter__acquire() is followed by exactly one
 * ucrm_limiter__done() with the same ticket, saying what became of the attempt.
 */
#ifndef UCRM_RATELIMIT_INT_H
#define UCRM_RATELIMIT_INT_H

#include "common_int.h"
#include "conf_int.h"
#include "pipeline_int.h"

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
    ucrm_err_t (*create)(void **impl, const ucrm_rl_settings_t *s, ucrm_error_t **errp);
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

/* Finds or creates the limiter for account_key (reference counted). The first client of a key decides the
 * settings; later clients with the same key share them. */
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

#endif /* UCRM_RATELIMIT_INT_H */
