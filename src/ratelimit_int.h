/*
 * ratelimit_int.h -- the rate limiter the pipeline draws from (stage 1) and feeds (stage 4).
 *
 * Limiters live in a process-wide registry keyed by `ratelimit.key` (default: provider + account identity), so
 * every client of one CRM account shares one budget across threads. Each limiter has the buckets the provider
 * needs (HubSpot: rolling window + search window + daily; Salesforce: daily + concurrency), priority lanes (a
 * share reserved for UCRM_PRIORITY_HIGH), correction from the provider's usage headers, and drain-on-429.
 * The backend is behind this interface so that a shared store (Redis) can replace the in-process one.
 */
#ifndef UCRM_RATELIMIT_INT_H
#define UCRM_RATELIMIT_INT_H

#include "common_int.h"
#include "conf_int.h"
#include "pipeline_int.h"

struct ucrm_usage;

typedef struct ucrm_limiter ucrm_limiter_t;

/* Finds or creates the limiter for account_key (reference counted). */
ucrm_err_t ucrm_limiter__get(ucrm_limiter_t **out, const ucrm_conf_t *conf, const char *account_key,
                             ucrm_error_t **errp);
void ucrm_limiter__release(ucrm_limiter_t *l);

/* Takes one request slot from bucket b, waiting when needed. Fails fast with UCRM_ERR_RATE_LIMITED (and a
 * retry-after) when the wait would exceed max_wait_ms or pass deadline_us; UCRM_ERR_QUOTA_EXHAUSTED when the
 * daily budget is used up. *waited_us receives the time spent waiting. */
ucrm_err_t ucrm_limiter__acquire(ucrm_limiter_t *l, ucrm_bucket_t b, ucrm_priority_t prio, int64_t max_wait_ms,
                                 int64_t deadline_us, int64_t *waited_us, ucrm_error_t **errp);

/* After each attempt that took a slot: releases concurrency, applies the provider's usage figures, and on a
 * rate-limit answer drains the bucket until the window reopens (retry_after_ms when the provider said). */
void ucrm_limiter__done(ucrm_limiter_t *l, ucrm_bucket_t b, const struct ucrm_usage *usage, bool rate_limited,
                        int64_t retry_after_ms);

/* Figures for stats JSON (appended as members of an object being written into buf). */
void ucrm_limiter__stats_json(ucrm_limiter_t *l, ucrm_buf_t *buf);

#endif /* UCRM_RATELIMIT_INT_H */
