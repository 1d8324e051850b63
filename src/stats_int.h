/*
 * stats_int.h -- per-client metrics behind ucrm_client_stats_json(). Lock-protected counters and a log-bucket
 * latency histogram (percentiles without storing samples).
 */
#ifndef UCRM_STATS_INT_H
#define UCRM_STATS_INT_H

#include "common_int.h"

typedef struct ucrm_stats ucrm_stats_t;

typedef enum ucrm_stat_event {
    UCRM_STAT_REFRESH,
    UCRM_STAT_REFRESH_FAILED,
    UCRM_STAT__COUNT
} ucrm_stat_event_t;

ucrm_stats_t *ucrm_stats__new(void);
void ucrm_stats__destroy(ucrm_stats_t *s);
/* One HTTP attempt of operation op (a static string): its status (0 = no response), error, time on the wire,
 * time it waited for the rate limiter, and whether the provider answered with a rate limit (429, burst). */
void ucrm_stats__attempt(ucrm_stats_t *s, const char *op, int status, ucrm_err_t err, int64_t elapsed_us,
                         int64_t limiter_wait_us, bool rate_limited);
/* A retry of operation op is about to be made. */
void ucrm_stats__retry(ucrm_stats_t *s, const char *op);
/* One public call finished (latency measured around the whole call). */
void ucrm_stats__call(ucrm_stats_t *s, const char *op, ucrm_err_t result, int64_t total_us);
void ucrm_stats__event(ucrm_stats_t *s, ucrm_stat_event_t ev);
/* Appends the stats as JSON members ("calls":{...},"errors":{...},...) to buf. */
void ucrm_stats__json(ucrm_stats_t *s, ucrm_buf_t *buf);

#endif /* UCRM_STATS_INT_H */
