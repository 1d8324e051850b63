/*
 * test_ratelimit.c -- the in-process rate limiter through its internal API (src/ratelimit_int.h): exact rolling
 * windows, in-flight accounting, priority reserve and lanes, FIFO, fail-fast wait limit, drain on 429, daily
 * quota, header corrections, concurrency, and many threads against the rolling-window property. The registry
 * (clients sharing ratelimit.key) is checked through the public API.
 *
 * Windows are short (100-600 ms) and timing assertions have generous margins (the machine is shared). Threaded
 * cases are named test_ratelimit__threads_* so that the TSan run selects them (UCRM_TEST_FILTER).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include <cmocka.h>

#include "helpers/clock_test.h"
#include <cjson/cJSON.h>

#include "helpers/script.h"
#include "helpers/testprov.h"
#include "provider_int.h"
#include "ratelimit_int.h"
#include <unicrm/unicrm.h>



/* A limiter with the given settings: NULL-terminated key/value pairs over provider=hubspot defaults. */
static ucrm_limiter_t *limiter(const char *key, const char *const *kv) {
    ucrm_conf_t *conf = ucrm_conf_new();
    assert_int_equal(ucrm_conf_set(conf, "provider", "hubspot", NULL), UCRM_OK);
    for (size_t i = 0; kv && kv[i]; i += 2) {
        ucrm_error_t *e = NULL;
        if (ucrm_conf_set(conf, kv[i], kv[i + 1], &e) != UCRM_OK)
            fail_msg("conf %s=%s: %s", kv[i], kv[i + 1], ucrm_error_message(e));
    }
    ucrm_limiter_t *l = NULL;
    assert_int_equal(ucrm_limiter__get(&l, conf, key, NULL), UCRM_OK);
    ucrm_conf_destroy(conf);
    return l;
}

/* One acquire; returns the code, the error (caller destroys) and the wait. */
static ucrm_err_t acq(ucrm_limiter_t *l, ucrm_rl_ticket_t *t, ucrm_bucket_t b, ucrm_priority_t p, int64_t max_wait,
                      int64_t *waited_ms, ucrm_error_t **e) {
    int64_t w = 0;
    ucrm_err_t rc = ucrm_limiter__acquire(l, t, b, p, max_wait, now_us() + 20000000, &w, e);
    if (waited_ms)
        *waited_ms = w / 1000;
    return rc;
}

static void take_n(ucrm_limiter_t *l, int n, ucrm_priority_t p, bool complete) {
    for (int i = 0; i < n; i++) {
        ucrm_rl_ticket_t t;
        assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, p, 0, NULL, NULL), UCRM_OK);
        if (complete)
            ucrm_limiter__done(l, &t, NULL, UCRM_RL_SENT, 0);
    }
}

/* Expects an immediate RATE_LIMITED with a retry-after in [lo, hi] ms. */
static void expect_rate_limited(ucrm_limiter_t *l, ucrm_priority_t p, int64_t lo, int64_t hi) {
    ucrm_rl_ticket_t t;
    ucrm_error_t *e = NULL;
    int64_t t0 = now_us();
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, p, 0, NULL, &e), UCRM_ERR_RATE_LIMITED);
    assert_true(now_us() - t0 < 50000); /* fail fast: no waiting */
    int64_t ra = ucrm_error_retry_after_ms(e);
    if (ra < lo || ra > hi)
        fail_msg("retry-after %lld ms, expected [%lld, %lld]", (long long)ra, (long long)lo, (long long)hi);
    assert_int_equal(ucrm_error_is_retriable(e), 1);
    assert_non_null(strstr(ucrm_error_message(e), "ratelimit.wait.max.ms"));
    ucrm_error_destroy(e);
}

static long stat_of(ucrm_limiter_t *l, const char *obj, const char *member) {
    ucrm_buf_t b = UCRM_BUF_INIT;
    ucrm_buf__putc(&b, '{');
    ucrm_limiter__stats_json(l, &b);
    ucrm_buf__putc(&b, '}');
    cJSON *j = cJSON_Parse(b.ptr);
    if (!j)
        fail_msg("stats are not JSON: %s", b.ptr);
    const cJSON *o = obj ? cJSON_GetObjectItem(j, obj) : j;
    const cJSON *v = cJSON_GetObjectItem(o, member);
    long r = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
    cJSON_Delete(j);
    ucrm_buf__free(&b);
    return r;
}

/* ---------------------------------------------------------------------------------------------- windows */

static void test_ratelimit__reserve_share(void **state) {
    (void)state;
    assert_int_equal(ucrm_rl__reserve(190, 10), 19);
    assert_int_equal(ucrm_rl__reserve(100, 10), 10);
    assert_int_equal(ucrm_rl__reserve(5, 10), 1); /* small buckets keep one slot */
    assert_int_equal(ucrm_rl__reserve(1, 10), 0); /* a single slot cannot be split */
    assert_int_equal(ucrm_rl__reserve(190, 0), 0);
    assert_int_equal(ucrm_rl__reserve(2, 90), 1);
    assert_int_equal(ucrm_rl__reserve(INT64_C(1000000000), 90), INT64_C(900000000)); /* no overflow */
}

static void test_ratelimit__window_is_exact(void **state) {
    (void)state;
    const char *kv[] = {"ratelimit.requests", "5", "ratelimit.interval.ms", "400", "ratelimit.reserve.high.percent",
                        "0", NULL};
    ucrm_limiter_t *l = limiter("t-window", kv);
    int64_t t0 = now_us();
    take_n(l, 5, UCRM_PRIORITY_NORMAL, true);
    expect_rate_limited(l, UCRM_PRIORITY_NORMAL, 250, 401);
    assert_int_equal(stat_of(l, "window", "used"), 5);
    /* a waiting request gets its slot when the oldest completion is one interval old, not before */
    ucrm_rl_ticket_t t;
    int64_t waited = 0;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 2000, &waited, NULL), UCRM_OK);
    int64_t since = (now_us() - t0) / 1000;
    assert_true(since >= 395);
    assert_true(since < 1500);
    assert_true(waited > 200);
    ucrm_limiter__done(l, &t, NULL, UCRM_RL_SENT, 0);
    assert_true(stat_of(l, NULL, "waits") >= 1);
    assert_true(stat_of(l, NULL, "rejected_rate_limited") >= 1);
    ucrm_limiter__release(l);
}

static void test_ratelimit__in_flight_counts_until_one_window_after_done(void **state) {
    (void)state;
    const char *kv[] = {"ratelimit.requests", "3", "ratelimit.interval.ms", "300", "ratelimit.reserve.high.percent",
                        "0", NULL};
    ucrm_limiter_t *l = limiter("t-inflight", kv);
    ucrm_rl_ticket_t t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(acq(l, &t[i], UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    assert_int_equal(stat_of(l, "window", "in_flight"), 3);
    /* nothing completed: the earliest a slot can free is one full interval after a completion */
    expect_rate_limited(l, UCRM_PRIORITY_NORMAL, 299, 301);
    msleep(350); /* longer than the interval: in-flight slots still count */
    expect_rate_limited(l, UCRM_PRIORITY_NORMAL, 299, 301);
    ucrm_limiter__done(l, &t[0], NULL, UCRM_RL_SENT, 0);
    ucrm_limiter__done(l, &t[1], NULL, UCRM_RL_NOT_SENT, 0); /* never reached the provider: given back */
    assert_int_equal(stat_of(l, "window", "used"), 2);
    take_n(l, 1, UCRM_PRIORITY_NORMAL, true);
    expect_rate_limited(l, UCRM_PRIORITY_NORMAL, 250, 301);
    ucrm_limiter__done(l, &t[2], NULL, UCRM_RL_SENT, 0);
    ucrm_limiter__release(l);
}

static void test_ratelimit__priority_reserve(void **state) {
    (void)state;
    const char *kv[] = {"ratelimit.requests", "10", "ratelimit.interval.ms", "5000", "ratelimit.reserve.high.percent",
                        "20", NULL};
    ucrm_limiter_t *l = limiter("t-reserve", kv);
    take_n(l, 8, UCRM_PRIORITY_LOW, true); /* LOW and NORMAL share 10 - 2 */
    expect_rate_limited(l, UCRM_PRIORITY_NORMAL, 4000, 5001);
    expect_rate_limited(l, UCRM_PRIORITY_LOW, 4000, 5001);
    take_n(l, 2, UCRM_PRIORITY_HIGH, true); /* HIGH has the reserved two */
    expect_rate_limited(l, UCRM_PRIORITY_HIGH, 4000, 5001);
    ucrm_limiter__release(l);
}

static void test_ratelimit__headroom(void **state) {
    (void)state;
    const char *kv[] = {"ratelimit.requests", "6", "ratelimit.interval.ms", "5000", "ratelimit.reserve.high.percent",
                        "0", "ratelimit.headroom", "2", NULL};
    ucrm_limiter_t *l = limiter("t-headroom", kv);
    take_n(l, 4, UCRM_PRIORITY_HIGH, true);
    expect_rate_limited(l, UCRM_PRIORITY_HIGH, 4000, 5001);
    ucrm_limiter__release(l);
}

static void test_ratelimit__fail_fast_counts_the_queue(void **state) {
    (void)state;
    const char *kv[] = {"ratelimit.requests", "2", "ratelimit.interval.ms", "300", "ratelimit.reserve.high.percent",
                        "0", NULL};
    ucrm_limiter_t *l = limiter("t-failfast", kv);
    take_n(l, 2, UCRM_PRIORITY_NORMAL, true);
    /* a 1 s wait limit covers one interval: accepted */
    ucrm_rl_ticket_t t;
    int64_t waited = 0;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 1000, &waited, NULL), UCRM_OK);
    ucrm_limiter__done(l, &t, NULL, UCRM_RL_SENT, 0);
    take_n(l, 1, UCRM_PRIORITY_NORMAL, true); /* full again */
    /* the call's deadline is a limit too */
    ucrm_error_t *e = NULL;
    int64_t w = 0;
    int64_t t0 = now_us();
    assert_int_equal(ucrm_limiter__acquire(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, -1, now_us() + 50000, &w, &e),
                     UCRM_ERR_RATE_LIMITED);
    assert_true(now_us() - t0 < 45000);
    assert_true(ucrm_error_retry_after_ms(e) > 50);
    ucrm_error_destroy(e);
    ucrm_limiter__release(l);
}

static void test_ratelimit__drain_on_rate_limit_answer(void **state) {
    (void)state;
    const char *kv[] = {"ratelimit.requests", "100", "ratelimit.interval.ms", "600", NULL};
    ucrm_limiter_t *l = limiter("t-drain", kv);
    ucrm_rl_ticket_t t;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    ucrm_limiter__done(l, &t, NULL, UCRM_RL_RATE_LIMITED, 200); /* Retry-After: the provider's word */
    assert_int_equal(stat_of(l, "window", "used"), 0);           /* a 429 is not counted by the provider */
    expect_rate_limited(l, UCRM_PRIORITY_HIGH, 150, 201);       /* drained for every lane */
    int64_t waited = 0;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 1000, &waited, NULL), UCRM_OK);
    assert_true(waited >= 140);
    ucrm_limiter__done(l, &t, NULL, UCRM_RL_RATE_LIMITED, 0); /* no hint: one interval */
    expect_rate_limited(l, UCRM_PRIORITY_NORMAL, 500, 601);
    assert_int_equal(stat_of(l, "window", "drains"), 2);
    assert_int_equal(stat_of(l, NULL, "rate_limited_answers"), 2);
    /* the search bucket is separate: a main-window drain does not hold searches back */
    assert_int_equal(acq(l, &t, UCRM_BUCKET_SEARCH, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    ucrm_limiter__done(l, &t, NULL, UCRM_RL_SENT, 0);
    ucrm_limiter__release(l);
}

static void test_ratelimit__search_bucket(void **state) {
    (void)state;
    const char *kv[] = {"ratelimit.search.requests", "5", "ratelimit.search.interval.ms", "1000", NULL};
    ucrm_limiter_t *l = limiter("t-search", kv);
    for (int i = 0; i < 4; i++) { /* 5 - 1 kept for HIGH */
        ucrm_rl_ticket_t t;
        assert_int_equal(acq(l, &t, UCRM_BUCKET_SEARCH, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
        ucrm_limiter__done(l, &t, NULL, UCRM_RL_SENT, 0);
    }
    ucrm_rl_ticket_t t;
    ucrm_error_t *e = NULL;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_SEARCH, UCRM_PRIORITY_NORMAL, 0, NULL, &e), UCRM_ERR_RATE_LIMITED);
    ucrm_error_destroy(e);
    assert_int_equal(acq(l, &t, UCRM_BUCKET_SEARCH, UCRM_PRIORITY_HIGH, 0, NULL, NULL), UCRM_OK);
    ucrm_limiter__done(l, &t, NULL, UCRM_RL_RATE_LIMITED, 0); /* SECONDLY 429: the search bucket drains */
    assert_int_equal(stat_of(l, "search", "drains"), 1);
    assert_int_equal(stat_of(l, "window", "drains"), 0);
    take_n(l, 3, UCRM_PRIORITY_NORMAL, true); /* the main window is unaffected */
    assert_int_equal(stat_of(l, "search", "used"), 4);
    ucrm_limiter__release(l);
}

static void test_ratelimit__daily_quota(void **state) {
    (void)state;
    const char *kv[] = {"ratelimit.requests", "0", "ratelimit.daily", "10", "ratelimit.reserve.high.percent", "20",
                        NULL};
    ucrm_limiter_t *l = limiter("t-daily", kv);
    take_n(l, 7, UCRM_PRIORITY_NORMAL, true);
    ucrm_rl_ticket_t t;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    ucrm_limiter__done(l, &t, NULL, UCRM_RL_NOT_SENT, 0); /* given back */
    take_n(l, 1, UCRM_PRIORITY_NORMAL, true);
    ucrm_error_t *e = NULL;
    int64_t t0 = now_us();
    /* the daily budget never makes a call wait: it fails at once, whatever the wait limit */
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 10000, NULL, &e), UCRM_ERR_QUOTA_EXHAUSTED);
    assert_true(now_us() - t0 < 50000);
    assert_int_equal(ucrm_error_is_retriable(e), 0);
    if (ucrm_error_retry_after_ms(e) < INT64_C(23) * 3600 * 1000) /* a rolling day: the first minute frees */
        fail_msg("retry-after %lld ms", (long long)ucrm_error_retry_after_ms(e));
    assert_non_null(strstr(ucrm_error_message(e), "kept for HIGH"));
    ucrm_error_destroy(e);
    take_n(l, 2, UCRM_PRIORITY_HIGH, true);
    e = NULL;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, &e), UCRM_ERR_QUOTA_EXHAUSTED);
    ucrm_error_destroy(e);
    assert_int_equal(stat_of(l, "daily", "used"), 10);
    assert_int_equal(stat_of(l, NULL, "rejected_quota"), 2);
    ucrm_limiter__release(l);
}

static void test_ratelimit__daily_from_provider_headers(void **state) {
    (void)state;
    /* ratelimit.daily left at its default: the provider's figure replaces it */
    const char *kv[] = {"ratelimit.requests", "0", NULL};
    ucrm_limiter_t *l = limiter("t-daily-hdr", kv);
    assert_int_equal(stat_of(l, "daily", "limit"), 625000);
    ucrm_rl_ticket_t t;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, NULL), UCRM_OK);
    ucrm_usage_t u = {0};
    u.has_daily = true;
    u.daily_max = 50;
    u.daily_remaining = 3; /* other processes used 47 */
    ucrm_limiter__done(l, &t, &u, UCRM_RL_SENT, 0);
    assert_int_equal(stat_of(l, "daily", "effective_limit"), 50);
    assert_int_equal(stat_of(l, "daily", "used"), 47);
    take_n(l, 3, UCRM_PRIORITY_HIGH, true);
    ucrm_error_t *e = NULL;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, &e), UCRM_ERR_QUOTA_EXHAUSTED);
    ucrm_error_destroy(e);
    /* a later answer saying more is left (a rolling day freed some) lowers the local count again */
    u.daily_remaining = 20;
    ucrm_limiter__done(l, &(ucrm_rl_ticket_t){UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, 0}, &u, UCRM_RL_SENT, 0);
    assert_int_equal(stat_of(l, "daily", "used"), 30);
    ucrm_limiter__release(l);

    /* an explicit ratelimit.daily is a cap: the provider's larger figure does not raise it */
    const char *kv2[] = {"ratelimit.requests", "0", "ratelimit.daily", "40", NULL};
    l = limiter("t-daily-cap", kv2);
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, NULL), UCRM_OK);
    u.daily_max = 1000;
    u.daily_remaining = 1000;
    ucrm_limiter__done(l, &t, &u, UCRM_RL_SENT, 0);
    assert_int_equal(stat_of(l, "daily", "effective_limit"), 40);
    /* the provider says the quota is gone (REQUEST_LIMIT_EXCEEDED with api-usage=41/40): no more calls... */
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, NULL), UCRM_OK);
    u.daily_max = 40;
    u.daily_remaining = 0;
    ucrm_limiter__done(l, &t, &u, UCRM_RL_QUOTA, 0);
    e = NULL;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, &e), UCRM_ERR_QUOTA_EXHAUSTED);
    /* ...until a re-check a minute after the provider's last word (its own budget frees as its day rolls) */
    assert_true(ucrm_error_retry_after_ms(e) > 55000 && ucrm_error_retry_after_ms(e) <= 60001);
    ucrm_error_destroy(e);
    assert_int_equal(stat_of(l, NULL, "quota_answers"), 1);
    assert_int_equal(stat_of(l, "daily", "probes"), 0);
    /* a quota answer without figures blocks nothing by itself: the provider is asked again next time */
    ucrm_limiter__release(l);
    l = limiter("t-daily-nofig", kv2);
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, NULL), UCRM_OK);
    ucrm_limiter__done(l, &t, NULL, UCRM_RL_QUOTA, 0);
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, NULL), UCRM_OK);
    ucrm_limiter__done(l, &t, NULL, UCRM_RL_SENT, 0);
    ucrm_limiter__release(l);
}

static void test_ratelimit__daily_recheck_after_provider_says_used_up(void **state) {
    (void)state;
    const char *kv[] = {"ratelimit.requests", "0", "ratelimit.daily.recheck.ms", "300", NULL};
    ucrm_limiter_t *l = limiter("t-daily-probe", kv);
    ucrm_rl_ticket_t t;
    ucrm_usage_t u = {0};
    u.has_daily = true;
    u.daily_max = 1000;
    u.daily_remaining = 0;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, NULL), UCRM_OK);
    ucrm_limiter__done(l, &t, &u, UCRM_RL_QUOTA, 0);
    ucrm_error_t *e = NULL;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, &e), UCRM_ERR_QUOTA_EXHAUSTED);
    assert_true(ucrm_error_retry_after_ms(e) <= 301);
    ucrm_error_destroy(e);
    msleep(350);
    /* one request goes out to ask; a second one at the same time does not */
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    ucrm_rl_ticket_t t2;
    e = NULL;
    assert_int_equal(acq(l, &t2, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, &e), UCRM_ERR_QUOTA_EXHAUSTED);
    ucrm_error_destroy(e);
    u.daily_remaining = 400; /* the provider's day rolled: 600 used */
    ucrm_limiter__done(l, &t, &u, UCRM_RL_SENT, 0);
    assert_int_equal(stat_of(l, "daily", "used"), 600);
    assert_int_equal(stat_of(l, "daily", "probes"), 1);
    take_n(l, 5, UCRM_PRIORITY_NORMAL, true);
    ucrm_limiter__release(l);
}

static void test_ratelimit__window_corrected_by_headers(void **state) {
    (void)state;
    const char *kv[] = {"ratelimit.requests", "20", "ratelimit.interval.ms", "500", "ratelimit.reserve.high.percent",
                        "0", NULL};
    ucrm_limiter_t *l = limiter("t-correct", kv);
    ucrm_rl_ticket_t t;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    ucrm_usage_t u = {0};
    u.has_window = true;
    u.window_max = 10; /* a smaller tier than configured */
    u.window_ms = 500;
    u.window_remaining = 4; /* 6 used: 5 by someone else */
    ucrm_limiter__done(l, &t, &u, UCRM_RL_SENT, 0);
    assert_int_equal(stat_of(l, "window", "effective_limit"), 10);
    assert_int_equal(stat_of(l, "window", "used"), 6);
    assert_int_equal(stat_of(l, "window", "corrections"), 1);
    take_n(l, 4, UCRM_PRIORITY_NORMAL, true);
    expect_rate_limited(l, UCRM_PRIORITY_NORMAL, 400, 501);
    ucrm_limiter__release(l);
    /* a larger -Max never raises the budget above the configured one */
    const char *kv2[] = {"ratelimit.requests", "20", "ratelimit.interval.ms", "60000", NULL};
    l = limiter("t-correct-2", kv2);
    u.window_max = 50;
    u.window_remaining = 50;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, NULL), UCRM_OK);
    ucrm_limiter__done(l, &t, &u, UCRM_RL_SENT, 0);
    assert_int_equal(stat_of(l, "window", "effective_limit"), 20);
    assert_int_equal(stat_of(l, "window", "used"), 1);
    /* garbage figures (more remaining than the maximum, negative) add nothing */
    u.window_max = 10;
    u.window_remaining = 999;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, NULL), UCRM_OK);
    ucrm_limiter__done(l, &t, &u, UCRM_RL_SENT, 0);
    u.window_max = -5;
    u.window_remaining = -7;
    assert_int_equal(acq(l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, NULL), UCRM_OK);
    ucrm_limiter__done(l, &t, &u, UCRM_RL_SENT, 0);
    assert_int_equal(stat_of(l, "window", "used"), 3);
    assert_int_equal(stat_of(l, "window", "corrections"), 0);
    ucrm_limiter__release(l);
}

static void test_ratelimit__concurrency(void **state) {
    (void)state;
    const char *kv[] = {"ratelimit.requests", "0", "ratelimit.concurrency", "3", "ratelimit.reserve.high.percent",
                        "10", NULL};
    ucrm_limiter_t *l = limiter("t-conc", kv);
    ucrm_rl_ticket_t t[3], x;
    for (int i = 0; i < 2; i++)
        assert_int_equal(acq(l, &t[i], UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    ucrm_error_t *e = NULL;
    assert_int_equal(acq(l, &x, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, &e), UCRM_ERR_RATE_LIMITED);
    ucrm_error_destroy(e);
    assert_int_equal(acq(l, &t[2], UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, NULL), UCRM_OK);
    assert_int_equal(stat_of(l, "concurrency", "in_flight"), 3);
    ucrm_limiter__done(l, &t[0], NULL, UCRM_RL_SENT, 0);
    /* two in flight (a NORMAL and a HIGH): NORMAL's share is used */
    e = NULL;
    assert_int_equal(acq(l, &x, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, &e), UCRM_ERR_RATE_LIMITED);
    ucrm_error_destroy(e);
    ucrm_limiter__done(l, &t[2], NULL, UCRM_RL_SENT, 0);
    assert_int_equal(acq(l, &t[0], UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    /* a waiter gets the slot as soon as one completes */
    assert_int_equal(acq(l, &t[2], UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, NULL), UCRM_OK);
    for (int i = 0; i < 3; i++)
        ucrm_limiter__done(l, &t[i], NULL, UCRM_RL_SENT, 0);
    assert_int_equal(stat_of(l, "concurrency", "in_flight"), 0);
    ucrm_limiter__release(l);
}

/* ---------------------------------------------------------------------------------------------- threads */

typedef struct waiter_arg {
    ucrm_limiter_t *l;
    ucrm_priority_t prio;
    int start_delay_ms;
    int64_t got_at_us;
    ucrm_err_t rc;
} waiter_arg_t;

static void *waiter(void *p) {
    waiter_arg_t *a = p;
    msleep(a->start_delay_ms);
    ucrm_rl_ticket_t t;
    int64_t w = 0;
    ucrm_error_t *e = NULL;
    a->rc = ucrm_limiter__acquire(a->l, &t, UCRM_BUCKET_MAIN, a->prio, 5000, now_us() + 10000000, &w, &e);
    a->got_at_us = now_us();
    if (a->rc == UCRM_OK)
        ucrm_limiter__done(a->l, &t, NULL, UCRM_RL_SENT, 0);
    ucrm_error_destroy(e);
    return NULL;
}

static void test_ratelimit__threads_low_yields_and_fifo(void **state) {
    (void)state;
    const char *kv[] = {"ratelimit.requests", "1", "ratelimit.interval.ms", "250", NULL};
    ucrm_limiter_t *l = limiter("t-lanes", kv);
    take_n(l, 1, UCRM_PRIORITY_NORMAL, true);
    /* queued in this order: LOW, NORMAL a, HIGH, NORMAL b; served HIGH, NORMAL a, NORMAL b, LOW */
    waiter_arg_t a[4] = {{l, UCRM_PRIORITY_LOW, 0, 0, 0},
                         {l, UCRM_PRIORITY_NORMAL, 40, 0, 0},
                         {l, UCRM_PRIORITY_HIGH, 80, 0, 0},
                         {l, UCRM_PRIORITY_NORMAL, 120, 0, 0}};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, waiter, &a[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++)
        assert_int_equal(a[i].rc, UCRM_OK);
    assert_true(a[2].got_at_us < a[1].got_at_us);
    assert_true(a[1].got_at_us < a[3].got_at_us);
    assert_true(a[3].got_at_us < a[0].got_at_us);
    /* one slot per 250 ms: consecutive grants are at least an interval apart */
    assert_true(a[1].got_at_us - a[2].got_at_us >= 240000);
    assert_true(a[0].got_at_us - a[3].got_at_us >= 240000);
    ucrm_limiter__release(l);
}

#define HAMMER_THREADS 8
#define HAMMER_N 20
#define HAMMER_WINDOW_US 200000
#define HAMMER_MAX 4096

typedef struct hammer {
    ucrm_limiter_t *l;
    int64_t until_us;
    pthread_mutex_t lock;
    int64_t arrivals[HAMMER_MAX]; /* when "the provider" saw each request: after acquire, before done */
    size_t n;
} hammer_t;

static void *hammer_thread(void *p) {
    hammer_t *h = p;
    unsigned seed = (unsigned)(uintptr_t)&seed;
    while (now_us() < h->until_us) {
        ucrm_rl_ticket_t t;
        int64_t w = 0;
        ucrm_error_t *e = NULL;
        ucrm_priority_t prio = rand_r(&seed) % 4 == 0 ? UCRM_PRIORITY_HIGH : UCRM_PRIORITY_NORMAL;
        ucrm_err_t rc = ucrm_limiter__acquire(h->l, &t, UCRM_BUCKET_MAIN, prio, 5000, now_us() + 5000000, &w, &e);
        ucrm_error_destroy(e);
        if (rc != UCRM_OK)
            continue;
        msleep(rand_r(&seed) % 3); /* "network" before the provider sees it */
        pthread_mutex_lock(&h->lock);
        if (h->n < HAMMER_MAX)
            h->arrivals[h->n++] = now_us();
        pthread_mutex_unlock(&h->lock);
        msleep(rand_r(&seed) % 5); /* the provider answers */
        ucrm_limiter__done(h->l, &t, NULL, UCRM_RL_SENT, 0);
    }
    return NULL;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_ratelimit__threads_hammer_never_overruns_the_window(void **state) {
    (void)state;
    const char *kv[] = {"ratelimit.requests", "20", "ratelimit.interval.ms", "200", NULL};
    static hammer_t h;
    memset(&h, 0, sizeof h);
    h.l = limiter("t-hammer", kv);
    pthread_mutex_init(&h.lock, NULL);
    int64_t t0 = now_us();
    h.until_us = t0 + 1500000;
    pthread_t th[HAMMER_THREADS];
    for (int i = 0; i < HAMMER_THREADS; i++)
        pthread_create(&th[i], NULL, hammer_thread, &h);
    for (int i = 0; i < HAMMER_THREADS; i++)
        pthread_join(th[i], NULL);
    qsort(h.arrivals, h.n, sizeof h.arrivals[0], cmp_i64);
    /* the provider's rolling window: never more than N arrivals within any W */
    for (size_t i = HAMMER_N; i < h.n; i++)
        if (h.arrivals[i] - h.arrivals[i - HAMMER_N] < HAMMER_WINDOW_US)
            fail_msg("%d arrivals within %lld us", HAMMER_N + 1,
                     (long long)(h.arrivals[i] - h.arrivals[i - HAMMER_N]));
    /* and the budget is used: 1.5 s = 7.5 windows of 20; the hold from send to completion costs a little */
    double windows = (double)(h.arrivals[h.n - 1] - t0) / HAMMER_WINDOW_US;
    print_message("hammer: %zu requests in %.2f windows (%.0f%% of %d per window)\n", h.n, windows,
                  100.0 * (double)h.n / (windows * HAMMER_N), HAMMER_N);
    assert_true((double)h.n >= 0.80 * windows * HAMMER_N);
    assert_int_equal(stat_of(h.l, "window", "in_flight"), 0);
    pthread_mutex_destroy(&h.lock);
    ucrm_limiter__release(h.l);
}

/* ---------------------------------------------------------------------------------------------- registry */

static ucrm_client_t *client_with(script_t *s, const char *key, const char *token) {
    ucrm_conf_t *conf = ucrm_conf_new();
    ucrm_conf_set(conf, "provider", "hubspot", NULL);
    ucrm_conf_set(conf, "auth.access.token", token, NULL);
    if (key)
        ucrm_conf_set(conf, "ratelimit.key", key, NULL);
    script_install(s, conf);
    ucrm_client_t *c = NULL;
    assert_int_equal(ucrm_client_new(&c, conf, NULL), UCRM_OK);
    ucrm_conf_destroy(conf);
    return c;
}

static long client_stat(ucrm_client_t *c, const char *member) {
    char *js = NULL;
    assert_int_equal(ucrm_client_stats_json(c, &js, NULL), UCRM_OK);
    cJSON *j = cJSON_Parse(js);
    assert_non_null(j);
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "ratelimit"), member);
    long r = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
    assert_null(strstr(js, "tok-A")); /* never a credential */
    cJSON_Delete(j);
    ucrm_free(js);
    return r;
}

static void test_ratelimit__clients_of_one_account_share(void **state) {
    (void)state;
    testprov_register();
    script_t *s = script_new();
    ucrm_client_t *a = client_with(s, NULL, "tok-A");
    ucrm_client_t *b = client_with(s, NULL, "tok-A");   /* same account identity: shared by default */
    ucrm_client_t *c = client_with(s, NULL, "tok-B");   /* another account */
    ucrm_client_t *d = client_with(s, "shared", "tok-C");
    ucrm_client_t *e = client_with(s, "shared", "tok-D"); /* explicit key: shared across identities */
    assert_int_equal(client_stat(a, "clients"), 2);
    assert_int_equal(client_stat(c, "clients"), 1);
    assert_int_equal(client_stat(e, "clients"), 2);
    ucrm_client_destroy(b);
    assert_int_equal(client_stat(a, "clients"), 1);
    ucrm_client_destroy(a);
    ucrm_client_destroy(c);
    ucrm_client_destroy(d);
    ucrm_client_destroy(e);
    script_free(s);
    testprov_unregister();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratelimit__reserve_share),
        cmocka_unit_test(test_ratelimit__window_is_exact),
        cmocka_unit_test(test_ratelimit__in_flight_counts_until_one_window_after_done),
        cmocka_unit_test(test_ratelimit__priority_reserve),
        cmocka_unit_test(test_ratelimit__headroom),
        cmocka_unit_test(test_ratelimit__fail_fast_counts_the_queue),
        cmocka_unit_test(test_ratelimit__drain_on_rate_limit_answer),
        cmocka_unit_test(test_ratelimit__search_bucket),
        cmocka_unit_test(test_ratelimit__daily_quota),
        cmocka_unit_test(test_ratelimit__daily_from_provider_headers),
        cmocka_unit_test(test_ratelimit__daily_recheck_after_provider_says_used_up),
        cmocka_unit_test(test_ratelimit__window_corrected_by_headers),
        cmocka_unit_test(test_ratelimit__concurrency),
        cmocka_unit_test(test_ratelimit__threads_low_yields_and_fifo),
        cmocka_unit_test(test_ratelimit__threads_hammer_never_overruns_the_window),
        cmocka_unit_test(test_ratelimit__clients_of_one_account_share),
    };
    if (getenv("UCRM_TEST_FILTER"))
        cmocka_set_test_filter(getenv("UCRM_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
