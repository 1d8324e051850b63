/*
 * test_redis.c -- the Redis backends against a private redis-server (tests/helpers/redissrv.h): the shared
 * limiter through its backend vtable (two instances of one account stand for two processes), the token store
 * through its interface, the connection layer (URLs, passwords, ACL users, databases, restarts, pauses, script
 * cache flushes, forks) and the configuration keys. Multi-process runs against the local fake are in
 * test_redis_fake.c.
 *
 * Skipped (exit 77) only when the library has no Redis backend or redis-server is missing. Windows are short
 * (200 ms - 1 s) and timing assertions have generous margins (the machine is shared).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "helpers/redissrv.h"
#include "provider_int.h"
#include "ratelimit_int.h"
#include <unicrm/unicrm.h>

#ifndef UCRM_WITH_REDIS
int main(void) {
    printf("SKIP: this build has no Redis backend (hiredis was not found at build time)\n");
    return 77;
}
#else
#include "redis_int.h"

static redis_srv_t *g_srv;
static int g_keyseq;

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void msleep(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void conf_set(ucrm_conf_t *c, const char *k, const char *v) {
    ucrm_error_t *e = NULL;
    if (ucrm_conf_set(c, k, v, &e) != UCRM_OK)
        fail_msg("conf %s=%s: %s", k, v, ucrm_error_message(e));
}

/* A HubSpot configuration with the Redis backend on g_srv and the given overrides. */
static ucrm_conf_t *rconf(const char *const *kv) {
    ucrm_conf_t *c = ucrm_conf_new();
    conf_set(c, "provider", "hubspot");
    conf_set(c, "ratelimit.backend", "redis");
    conf_set(c, "redis.url", redis_srv_url(g_srv));
    conf_set(c, "redis.timeout.ms", "300");
    for (size_t i = 0; kv && kv[i]; i += 2)
        conf_set(c, kv[i], kv[i + 1]);
    return c;
}

/* ---------------------------------------------------------------------------------------------- limiter */

/* One instance of the Redis backend: what one process has for an account. */
typedef struct inst {
    void *impl;
} inst_t;

static inst_t inst_new(const char *key, const char *const *kv) {
    ucrm_conf_t *c = rconf(kv);
    ucrm_rl_settings_t s;
    ucrm_rl_settings__from_conf(&s, c);
    inst_t i = {NULL};
    ucrm_error_t *e = NULL;
    if (ucrm_limiter__redis.create(&i.impl, &s, c, key, &e) != UCRM_OK)
        fail_msg("create: %s", ucrm_error_message(e));
    ucrm_conf_destroy(c);
    return i;
}

static void inst_free(inst_t i) { ucrm_limiter__redis.destroy(i.impl); }

static ucrm_err_t acq(inst_t i, ucrm_rl_ticket_t *t, ucrm_bucket_t b, ucrm_priority_t p, int64_t max_wait_ms,
                      int64_t *waited_ms, ucrm_error_t **e) {
    memset(t, 0, sizeof *t);
    t->bucket = b;
    t->prio = p;
    int64_t w = 0;
    ucrm_err_t rc = ucrm_limiter__redis.acquire(i.impl, t, max_wait_ms, now_us() + 20000000, &w, e);
    if (waited_ms)
        *waited_ms = w / 1000;
    return rc;
}

static void done(inst_t i, ucrm_rl_ticket_t *t, ucrm_rl_outcome_t o) { ucrm_limiter__redis.done(i.impl, t, NULL, o, 0); }

static void take_n(inst_t i, int n, ucrm_priority_t p, bool complete) {
    for (int k = 0; k < n; k++) {
        ucrm_rl_ticket_t t;
        ucrm_error_t *e = NULL;
        if (acq(i, &t, UCRM_BUCKET_MAIN, p, 0, NULL, &e) != UCRM_OK)
            fail_msg("take %d: %s", k, ucrm_error_message(e));
        if (complete)
            done(i, &t, UCRM_RL_SENT);
    }
}

/* Expects an immediate RATE_LIMITED with a retry-after within [lo, hi] ms. */
static void expect_limited(inst_t i, ucrm_priority_t p, int64_t lo, int64_t hi) {
    ucrm_rl_ticket_t t;
    ucrm_error_t *e = NULL;
    int64_t t0 = now_us();
    ucrm_err_t rc = acq(i, &t, UCRM_BUCKET_MAIN, p, 0, NULL, &e);
    if (rc != UCRM_ERR_RATE_LIMITED)
        fail_msg("expected RATE_LIMITED, got %s (%s)", ucrm_err_name(rc), e ? ucrm_error_message(e) : "");
    assert_true(now_us() - t0 < 100000);
    int64_t ra = ucrm_error_retry_after_ms(e);
    if (ra < lo || ra > hi)
        fail_msg("retry-after %lld ms, expected %lld..%lld", (long long)ra, (long long)lo, (long long)hi);
    assert_true(ucrm_error_is_retriable(e));
    ucrm_error_destroy(e);
}

static char *newkey(char *buf, size_t n) {
    snprintf(buf, n, "acct-%d-%d", (int)getpid(), ++g_keyseq);
    return buf;
}

static void test_redis__window_shared_by_two_processes(void **state) {
    (void)state;
    char key[64];
    const char *kv[] = {"ratelimit.requests", "5", "ratelimit.interval.ms", "1000", "ratelimit.reserve.high.percent",
                        "0", NULL};
    inst_t a = inst_new(newkey(key, sizeof key), kv), b = inst_new(key, kv);
    take_n(a, 3, UCRM_PRIORITY_NORMAL, true);
    take_n(b, 2, UCRM_PRIORITY_NORMAL, true);
    expect_limited(a, UCRM_PRIORITY_NORMAL, 700, 1001);
    expect_limited(b, UCRM_PRIORITY_NORMAL, 700, 1001);
    /* the keys share one hash tag */
    char pattern[96];
    snprintf(pattern, sizeof pattern, "ucrm:{%s}:*", key);
    char *keys = redis_srv_cmd(g_srv, "KEYS", pattern, NULL);
    assert_non_null(strstr(keys, "}:rl:w0"));
    assert_non_null(strstr(keys, "}:rl:meta"));
    free(keys);
    char w0[96];
    snprintf(w0, sizeof w0, "ucrm:{%s}:rl:w0", key);
    assert_int_equal(redis_srv_int(g_srv, "ZCARD", w0, NULL), 5);
    /* waiting: the slot frees one window after the first completion */
    ucrm_rl_ticket_t t;
    int64_t waited = 0;
    assert_int_equal(acq(b, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 3000, &waited, NULL), UCRM_OK);
    assert_true(waited >= 600 && waited <= 1500);
    done(b, &t, UCRM_RL_SENT);
    inst_free(a);
    inst_free(b);
}

static void test_redis__in_flight_counts_and_not_sent_frees(void **state) {
    (void)state;
    char key[64];
    const char *kv[] = {"ratelimit.requests", "3", "ratelimit.interval.ms", "1000", "ratelimit.reserve.high.percent",
                        "0", NULL};
    inst_t a = inst_new(newkey(key, sizeof key), kv), b = inst_new(key, kv);
    ucrm_rl_ticket_t t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(acq(a, &t[i], UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    /* in flight: the wait bound is at least one window (they complete no earlier than now) */
    expect_limited(b, UCRM_PRIORITY_NORMAL, 900, 1001);
    done(a, &t[0], UCRM_RL_NOT_SENT); /* given back at once */
    ucrm_rl_ticket_t u;
    for (int i = 0; i < 50; i++) { /* the done went without waiting for its answer: it lands in a moment */
        ucrm_error_t *e = NULL;
        if (acq(b, &u, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, &e) == UCRM_OK)
            break;
        ucrm_error_destroy(e);
        assert_true(i < 49);
        msleep(2);
    }
    done(b, &u, UCRM_RL_SENT);
    done(a, &t[1], UCRM_RL_SENT);
    done(a, &t[2], UCRM_RL_SENT);
    expect_limited(a, UCRM_PRIORITY_NORMAL, 700, 1001);
    inst_free(a);
    inst_free(b);
}

static void test_redis__priority_reserve(void **state) {
    (void)state;
    char key[64];
    const char *kv[] = {"ratelimit.requests", "10", "ratelimit.interval.ms", "1000", "ratelimit.reserve.high.percent",
                        "20", NULL};
    inst_t a = inst_new(newkey(key, sizeof key), kv), b = inst_new(key, kv);
    take_n(a, 8, UCRM_PRIORITY_NORMAL, true); /* NORMAL stops at 10 - 2 */
    expect_limited(a, UCRM_PRIORITY_NORMAL, 700, 1001);
    expect_limited(b, UCRM_PRIORITY_LOW, 700, 1001);
    take_n(b, 2, UCRM_PRIORITY_HIGH, true); /* HIGH has the reserve, in the other process too */
    expect_limited(b, UCRM_PRIORITY_HIGH, 700, 1001);
    inst_free(a);
    inst_free(b);
}

static void test_redis__drain_on_429(void **state) {
    (void)state;
    char key[64];
    const char *kv[] = {"ratelimit.requests", "100", "ratelimit.interval.ms", "1000", NULL};
    inst_t a = inst_new(newkey(key, sizeof key), kv), b = inst_new(key, kv);
    ucrm_rl_ticket_t t;
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    ucrm_limiter__redis.done(a.impl, &t, NULL, UCRM_RL_RATE_LIMITED, 400);
    /* the other process is drained too, for what the provider said */
    expect_limited(b, UCRM_PRIORITY_HIGH, 250, 401);
    int64_t waited = 0;
    assert_int_equal(acq(b, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 2000, &waited, NULL), UCRM_OK);
    assert_true(waited >= 250 && waited < 1000);
    done(b, &t, UCRM_RL_SENT);
    /* without a Retry-After: one interval */
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    ucrm_limiter__redis.done(a.impl, &t, NULL, UCRM_RL_RATE_LIMITED, 0);
    expect_limited(b, UCRM_PRIORITY_NORMAL, 800, 1001);
    inst_free(a);
    inst_free(b);
}

static void test_redis__corrections_from_usage_headers(void **state) {
    (void)state;
    char key[64];
    const char *kv[] = {"ratelimit.requests", "10", "ratelimit.interval.ms", "1000", "ratelimit.reserve.high.percent",
                        "0", NULL};
    inst_t a = inst_new(newkey(key, sizeof key), kv);
    ucrm_rl_ticket_t t;
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    /* the provider counted 6 (someone outside the shared limiter used 5) */
    ucrm_usage_t u = {0};
    u.has_window = true;
    u.window_max = 10;
    u.window_remaining = 4;
    ucrm_limiter__redis.done(a.impl, &t, &u, UCRM_RL_SENT, 0);
    msleep(20);
    take_n(a, 4, UCRM_PRIORITY_NORMAL, true);
    expect_limited(a, UCRM_PRIORITY_NORMAL, 700, 1001);
    /* a lower -Max lowers the limit for everyone */
    char key2[64];
    inst_t b = inst_new(newkey(key2, sizeof key2), kv), c = inst_new(key2, kv);
    assert_int_equal(acq(b, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    u.window_max = 4;
    u.window_remaining = 3;
    ucrm_limiter__redis.done(b.impl, &t, &u, UCRM_RL_SENT, 0);
    msleep(20);
    take_n(c, 3, UCRM_PRIORITY_NORMAL, true);
    expect_limited(c, UCRM_PRIORITY_NORMAL, 700, 1001);
    /* figures the limiter already knows add nothing */
    char js[128];
    snprintf(js, sizeof js, "ucrm:{%s}:rl:meta", key2);
    char *corr = redis_srv_cmd(g_srv, "HGET", js, "b0:corr", NULL);
    assert_string_equal(corr, "(nil)");
    free(corr);
    inst_free(a);
    inst_free(b);
    inst_free(c);
}

static void test_redis__daily_budget(void **state) {
    (void)state;
    char key[64];
    const char *kv[] = {"ratelimit.requests", "0", "ratelimit.daily", "4", "ratelimit.reserve.high.percent", "25",
                        "ratelimit.daily.recheck.ms", "300", NULL};
    inst_t a = inst_new(newkey(key, sizeof key), kv), b = inst_new(key, kv);
    take_n(a, 2, UCRM_PRIORITY_NORMAL, true);
    take_n(b, 1, UCRM_PRIORITY_NORMAL, true);
    ucrm_rl_ticket_t t;
    ucrm_error_t *e = NULL;
    assert_int_equal(acq(b, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 5000, NULL, &e), UCRM_ERR_QUOTA_EXHAUSTED);
    assert_false(ucrm_error_is_retriable(e));
    assert_true(ucrm_error_retry_after_ms(e) > 60000);
    ucrm_error_destroy(e);
    /* HIGH keeps its share; a request never sent is given back */
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, NULL), UCRM_OK);
    done(a, &t, UCRM_RL_NOT_SENT);
    msleep(20);
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, NULL), UCRM_OK);
    /* the provider says the day is used up: one request per recheck interval still goes out */
    ucrm_usage_t u = {0};
    u.has_daily = true;
    u.daily_max = 4;
    u.daily_remaining = 0;
    ucrm_limiter__redis.done(a.impl, &t, &u, UCRM_RL_SENT, 0);
    msleep(20);
    e = NULL;
    assert_int_equal(acq(b, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, &e), UCRM_ERR_QUOTA_EXHAUSTED);
    assert_true(ucrm_error_retry_after_ms(e) <= 301);
    ucrm_error_destroy(e);
    msleep(350);
    assert_int_equal(acq(b, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, NULL, NULL), UCRM_OK); /* the probe */
    /* its answer: 2 of 4 used (the budget freed) */
    u.daily_remaining = 2;
    ucrm_limiter__redis.done(b.impl, &t, &u, UCRM_RL_SENT, 0);
    msleep(20);
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    done(a, &t, UCRM_RL_SENT);
    inst_free(a);
    inst_free(b);
}

typedef struct conc_job {
    inst_t i;
    int64_t waited_ms;
    ucrm_err_t rc;
} conc_job_t;

static void *conc_run(void *p) {
    conc_job_t *j = p;
    ucrm_rl_ticket_t t;
    j->rc = acq(j->i, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 3000, &j->waited_ms, NULL);
    if (j->rc == UCRM_OK)
        done(j->i, &t, UCRM_RL_SENT);
    return NULL;
}

static void test_redis__threads_concurrency_across_processes(void **state) {
    (void)state;
    char key[64];
    const char *kv[] = {"ratelimit.requests", "0", "ratelimit.daily", "0", "ratelimit.concurrency", "2",
                        "ratelimit.reserve.high.percent", "0", NULL};
    inst_t a = inst_new(newkey(key, sizeof key), kv), b = inst_new(key, kv);
    ucrm_rl_ticket_t t1, t2;
    assert_int_equal(acq(a, &t1, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    assert_int_equal(acq(a, &t2, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    conc_job_t j = {b, 0, UCRM_OK};
    pthread_t th;
    pthread_create(&th, NULL, conc_run, &j);
    msleep(300);
    done(a, &t1, UCRM_RL_SENT); /* the other process learns of it by asking again */
    pthread_join(th, NULL);
    assert_int_equal(j.rc, UCRM_OK);
    assert_true(j.waited_ms >= 250 && j.waited_ms < 1500);
    done(a, &t2, UCRM_RL_SENT);
    inst_free(a);
    inst_free(b);
}

static void test_redis__search_bucket(void **state) {
    (void)state;
    char key[64];
    const char *kv[] = {"ratelimit.search.requests", "2", "ratelimit.search.interval.ms", "500",
                        "ratelimit.reserve.high.percent", "0", NULL};
    inst_t a = inst_new(newkey(key, sizeof key), kv), b = inst_new(key, kv);
    ucrm_rl_ticket_t t;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(acq(i ? b : a, &t, UCRM_BUCKET_SEARCH, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
        done(i ? b : a, &t, UCRM_RL_SENT);
    }
    ucrm_error_t *e = NULL;
    assert_int_equal(acq(a, &t, UCRM_BUCKET_SEARCH, UCRM_PRIORITY_NORMAL, 0, NULL, &e), UCRM_ERR_RATE_LIMITED);
    assert_true(ucrm_error_retry_after_ms(e) > 300 && ucrm_error_retry_after_ms(e) <= 501);
    ucrm_error_destroy(e);
    /* the main window is another bucket */
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    done(a, &t, UCRM_RL_SENT);
    inst_free(a);
    inst_free(b);
}

/* A process that dies holding a slot: the slot frees when its lease ends (http.timeout.ms + 2 s). */
static void test_redis__crashed_holder_lease(void **state) {
    (void)state;
    char key[64];
    const char *kv[] = {"ratelimit.requests", "1", "ratelimit.interval.ms", "300", "http.timeout.ms", "200", NULL};
    newkey(key, sizeof key);
    pid_t pid = fork();
    if (pid == 0) {
        inst_t c = inst_new(key, kv);
        ucrm_rl_ticket_t t;
        _exit(acq(c, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL) == UCRM_OK ? 0 : 1);
    }
    int st = -1;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    inst_t a = inst_new(key, kv);
    expect_limited(a, UCRM_PRIORITY_NORMAL, 250, 3000);
    ucrm_rl_ticket_t t;
    int64_t waited = 0;
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 5000, &waited, NULL), UCRM_OK);
    assert_true(waited >= 1500 && waited < 4000);
    done(a, &t, UCRM_RL_SENT);
    inst_free(a);
}

static int group_setup(void **state) {
    (void)state;
    g_srv = redis_srv_start(NULL);
    return g_srv ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    redis_srv_stop(g_srv);
    return 0;
}

int main(void) {
    const char *why = NULL;
    if (!redis_srv_available(&why)) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    if (getenv("UCRM_TEST_FILTER"))
        cmocka_set_test_filter(getenv("UCRM_TEST_FILTER"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redis__window_shared_by_two_processes),
        cmocka_unit_test(test_redis__in_flight_counts_and_not_sent_frees),
        cmocka_unit_test(test_redis__priority_reserve),
        cmocka_unit_test(test_redis__drain_on_429),
        cmocka_unit_test(test_redis__corrections_from_usage_headers),
        cmocka_unit_test(test_redis__daily_budget),
        cmocka_unit_test(test_redis__threads_concurrency_across_processes),
        cmocka_unit_test(test_redis__search_bucket),
        cmocka_unit_test(test_redis__crashed_holder_lease),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
#endif /* UCRM_WITH_REDIS */
