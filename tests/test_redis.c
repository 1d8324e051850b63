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

#include "helpers/clock_test.h"
#include <cjson/cJSON.h>

#include "helpers/fake.h"
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
#include "tokenstore_int.h"

static redis_srv_t *g_srv;
static int g_keyseq;




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

static void done(inst_t i, ucrm_rl_ticket_t *t, ucrm_rl_outcome_t o) {
    ucrm_limiter__redis.done(i.impl, t, NULL, o, 0);
}

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

typedef struct store {
    const ucrm_tokenstore_ops_t *ops;
    void *impl;
} store_t;

static store_t store_open_kv(const char *key, const char *const *kv) {
    ucrm_conf_t *c = rconf(kv);
    conf_set(c, "token.store", "redis");
    store_t st = {NULL, NULL};
    ucrm_error_t *e = NULL;
    if (ucrm_tokenstore__open(c, key, "app1", &st.ops, &st.impl, &e) != UCRM_OK)
        fail_msg("open: %s", ucrm_error_message(e));
    assert_non_null(st.ops);
    ucrm_conf_destroy(c);
    return st;
}

static store_t store_open(const char *key, const char *kek) {
    const char *kv[] = {"redis.token.key", kek, NULL};
    return store_open_kv(key, kek ? kv : NULL);
}

static store_t store_open_url(const char *key, const char *url) {
    const char *kv[] = {"redis.url", url, NULL};
    return store_open_kv(key, kv);
}

static void tok_set(ucrm_token_t *t, const char *at, const char *rt, const char *url) {
    memset(t, 0, sizeof *t);
    t->access_token = at ? strdup(at) : NULL;
    t->refresh_token = rt ? strdup(rt) : NULL;
    t->instance_url = url ? strdup(url) : NULL;
    t->issued_at_ms = 1000;
    t->expires_at_ms = 2000;
}

static void tok_free(ucrm_token_t *t) {
    free(t->access_token);
    free(t->refresh_token);
    free(t->instance_url);
}

/* ---------------------------------------------------------------------------------------------- failures */

/* A private server for tests that kill or pause it. */
static redis_srv_t *g_own;
static ucrm_fake_t *g_fake;

static int teardown_own(void **state) {
    (void)state;
    redis_srv_stop(g_own);
    g_own = NULL;
    if (g_fake)
        fake_stop(g_fake);
    g_fake = NULL;
    return 0;
}

static inst_t own_inst(const char *key, const char *const *kv) {
    const char *base[24] = {"redis.url", redis_srv_url(g_own)};
    size_t n = 2;
    for (size_t i = 0; kv && kv[i] && n < 22; i++)
        base[n++] = kv[i];
    base[n] = NULL;
    return inst_new(key, base);
}

static void test_redis__outage_fail_closed(void **state) {
    (void)state;
    assert_non_null(g_own = redis_srv_start(NULL));
    const char *kv[] = {"ratelimit.requests", "100", "ratelimit.interval.ms", "1000", NULL};
    inst_t a = own_inst("closed", kv);
    take_n(a, 2, UCRM_PRIORITY_NORMAL, true);
    redis_srv_kill(g_own);
    ucrm_rl_ticket_t t;
    ucrm_error_t *e = NULL;
    int64_t t0 = now_us();
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 5000, NULL, &e), UCRM_ERR_TRANSPORT);
    assert_true(now_us() - t0 < 1000000);
    assert_non_null(strstr(ucrm_error_message(e), "Redis at 127.0.0.1:"));
    assert_non_null(strstr(ucrm_error_message(e), "unreachable"));
    assert_true(ucrm_error_is_retriable(e));
    assert_int_equal(t.event_level, UCRM_LOG_WARNING); /* said once, by the call that found it */
    assert_non_null(strstr(t.event_msg, "redis.failure=closed"));
    ucrm_error_destroy(e);
    e = NULL;
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, &e), UCRM_ERR_TRANSPORT);
    assert_int_equal(t.event_level, 0);
    assert_non_null(strstr(ucrm_error_message(e), "next attempt in")); /* in the backoff: at once */
    ucrm_error_destroy(e);
    assert_int_equal(redis_srv_restart(g_own), 0);
    int64_t waited = 0;
    for (int i = 0; i < 100; i++) { /* the backoff lets the next attempt through within a few hundred ms */
        e = NULL;
        if (acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, &waited, &e) == UCRM_OK)
            break;
        ucrm_error_destroy(e);
        assert_true(i < 99);
        msleep(20);
    }
    assert_int_equal(t.event_level, UCRM_LOG_WARNING);
    assert_non_null(strstr(t.event_msg, "answers again"));
    done(a, &t, UCRM_RL_SENT);
    /* the restarted server lost the window: this process's two completions went back before anything was taken */
    char w0[64];
    snprintf(w0, sizeof w0, "ucrm:{closed}:rl:w0");
    msleep(20);
    assert_int_equal(redis_srv_int(g_own, "ZCARD", w0, NULL), 3);
    inst_free(a);
}

/* Redis goes away with the window full, most of it taken by another process (instance b). The fallback cannot
 * know what the others sent, so each process takes the window as full until one window has passed, and only then
 * its 40 %: 4 + 4 of 10, where starting with its own usage alone would have let a take 2 more at once (12). */
static void test_redis__outage_degrade(void **state) {
    (void)state;
    assert_non_null(g_own = redis_srv_start(NULL));
    const char *kv[] = {"ratelimit.requests", "10", "ratelimit.interval.ms", "1000", "ratelimit.reserve.high.percent",
                        "0", "redis.failure", "degrade", "redis.degrade.percent", "40", NULL};
    inst_t a = own_inst("degrade", kv), b = own_inst("degrade", kv);
    take_n(b, 8, UCRM_PRIORITY_NORMAL, true);
    take_n(a, 2, UCRM_PRIORITY_NORMAL, true);
    redis_srv_kill(g_own);
    ucrm_rl_ticket_t t;
    ucrm_error_t *e = NULL;
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, &e), UCRM_ERR_RATE_LIMITED);
    assert_int_equal(t.event_level, UCRM_LOG_WARNING); /* said even though this call got no slot */
    assert_non_null(strstr(t.event_msg, "40% of the budget"));
    int64_t ra = ucrm_error_retry_after_ms(e);
    if (ra < 700 || ra > 1001)
        fail_msg("retry-after %lld ms, expected about one window", (long long)ra);
    ucrm_error_destroy(e);
    expect_limited(b, UCRM_PRIORITY_NORMAL, 500, 1001);
    int64_t waited = 0;
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 3000, &waited, NULL), UCRM_OK);
    assert_true(waited >= 600);
    assert_int_equal(t.event_level, 0);
    done(a, &t, UCRM_RL_SENT);
    take_n(a, 3, UCRM_PRIORITY_NORMAL, true);
    expect_limited(a, UCRM_PRIORITY_NORMAL, 500, 1001);
    /* b counts its own 8 and the other 2 as taken at the outage: once its own have aged out it may send 2 before
     * those do, then 2 more; 4 in all, whatever the timing */
    for (int k = 0; k < 4; k++) {
        assert_int_equal(acq(b, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 3000, NULL, NULL), UCRM_OK);
        done(b, &t, UCRM_RL_SENT);
    }
    expect_limited(b, UCRM_PRIORITY_NORMAL, 1, 1001);
    char *js = NULL;
    ucrm_buf_t buf = UCRM_BUF_INIT;
    ucrm_limiter__redis.stats_json(a.impl, &buf);
    js = buf.ptr;
    assert_non_null(strstr(js, "\"degraded\":true"));
    assert_non_null(strstr(js, "\"available\":false"));
    assert_non_null(strstr(js, "\"fallback\":{"));
    ucrm_buf__free(&buf);
    assert_int_equal(redis_srv_restart(g_own), 0);
    msleep(1100); /* the window is clear; the backoff has passed */
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    assert_int_equal(t.event_level, UCRM_LOG_WARNING);
    assert_non_null(strstr(t.event_msg, "answers again"));
    done(a, &t, UCRM_RL_SENT);
    /* b has not found Redis back yet (its backoff), and what it sends is not in Redis: a keeps to its 40 % for
     * a while although the shared window is all but empty */
    take_n(a, 3, UCRM_PRIORITY_NORMAL, true);
    expect_limited(a, UCRM_PRIORITY_NORMAL, 1, 1001);
    inst_free(a);
    inst_free(b);
}

/* What the fallback sent goes into the shared window when Redis is back (the server kept its data). */
static void test_redis__degrade_usage_put_back(void **state) {
    (void)state;
    assert_non_null(g_own = redis_srv_start(NULL));
    const char *kv[] = {"ratelimit.requests", "10", "ratelimit.interval.ms", "3000", "ratelimit.reserve.high.percent",
                        "0", "redis.failure", "degrade", "redis.degrade.percent", "50", NULL};
    inst_t a = own_inst("putback", kv), b = own_inst("putback", kv);
    take_n(a, 1, UCRM_PRIORITY_NORMAL, true);
    redis_srv_pause(g_own); /* unreachable, data kept */
    /* through the fallback: after one timeout, and one window (the others may have filled it) */
    ucrm_rl_ticket_t t;
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 5000, NULL, NULL), UCRM_OK);
    done(a, &t, UCRM_RL_SENT);
    take_n(a, 2, UCRM_PRIORITY_NORMAL, true);
    redis_srv_resume(g_own);
    msleep(250); /* past the first backoff */
    /* puts the 3 back, then takes one: through the fallback still, as the other processes may not have found
     * Redis back yet (a is settling); the next one puts that one back */
    take_n(a, 2, UCRM_PRIORITY_NORMAL, true);
    msleep(20);
    /* 3 + 1 (the first one is a window old by now). Each command that timed out while Redis was paused (an
     * acquire, or a merge of up to 3) ran when it resumed: it holds its slots until their lease ends, the safe
     * side. */
    long long z = redis_srv_int(g_own, "ZCARD", "ucrm:{putback}:rl:w0", NULL);
    ucrm_buf_t buf = UCRM_BUF_INIT;
    ucrm_limiter__redis.stats_json(a.impl, &buf);
    const char *fp = buf.ptr ? strstr(buf.ptr, "\"failures\":") : NULL;
    long long failures = fp ? atoll(fp + strlen("\"failures\":")) : -1;
    assert_non_null(strstr(buf.ptr, "\"degraded\":true"));
    fp = strstr(buf.ptr, "\"settling_ms\":");
    assert_non_null(fp);
    long long settling = atoll(fp + strlen("\"settling_ms\":"));
    assert_true(settling > 5000 && settling <= 8000); /* the longest backoff (5 s) and a window (3 s) */
    ucrm_buf__free(&buf);
    if (z < 4 || failures < 1 || z > 4 + 3 * failures)
        fail_msg("%lld in the shared window after %lld failed commands", z, failures);
    take_n(b, (int)(10 - z), UCRM_PRIORITY_NORMAL, true);
    expect_limited(b, UCRM_PRIORITY_NORMAL, 1000, 3001);
    inst_free(a);
    inst_free(b);
}

/* The daily budget while degraded: the fallback's share (25 of 100) until the provider's figures come, which are
 * the whole account's; then the account's usage counts against the whole budget (here the configured cap of 100,
 * below the provider's 1,000), whatever the share. */
static void test_redis__degrade_daily_follows_the_provider(void **state) {
    (void)state;
    assert_non_null(g_own = redis_srv_start(NULL));
    const char *kv[] = {"ratelimit.requests", "0", "ratelimit.daily", "100", "ratelimit.reserve.high.percent", "0",
                        "ratelimit.daily.recheck.ms", "3600000", "redis.failure", "degrade",
                        "redis.degrade.percent", "25", NULL};
    inst_t a = own_inst("dailyfig", kv), b = own_inst("dailyfig", kv);
    redis_srv_kill(g_own);
    ucrm_rl_ticket_t t;
    ucrm_error_t *e = NULL;
    /* b has no figures: its share */
    take_n(b, 25, UCRM_PRIORITY_NORMAL, true);
    assert_int_equal(acq(b, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, &e), UCRM_ERR_QUOTA_EXHAUSTED);
    ucrm_error_destroy(e);
    e = NULL;
    /* a's first answer says the account used 95 of the provider's 1,000: 5 left under the cap of 100 */
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    ucrm_usage_t u = {0};
    u.has_daily = true;
    u.daily_max = 1000;
    u.daily_remaining = 905;
    ucrm_limiter__redis.done(a.impl, &t, &u, UCRM_RL_SENT, 0);
    take_n(a, 5, UCRM_PRIORITY_NORMAL, true);
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, &e), UCRM_ERR_QUOTA_EXHAUSTED);
    assert_false(ucrm_error_is_retriable(e));
    ucrm_error_destroy(e);
    inst_free(a);
    inst_free(b);
}

/* A server that stops answering: each command gives up after redis.timeout.ms, then the backoff answers at once. */
static void test_redis__paused_server_times_out(void **state) {
    (void)state;
    assert_non_null(g_own = redis_srv_start(NULL));
    inst_t a = own_inst("paused", NULL);
    take_n(a, 1, UCRM_PRIORITY_NORMAL, true);
    redis_srv_pause(g_own);
    ucrm_rl_ticket_t t;
    ucrm_error_t *e = NULL;
    int64_t t0 = now_us();
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 5000, NULL, &e), UCRM_ERR_TRANSPORT);
    int64_t took = now_us() - t0;
    assert_true(took >= 250000 && took < 1500000); /* redis.timeout.ms = 300 */
    assert_non_null(strstr(ucrm_error_message(e), "no answer within 300 ms"));
    ucrm_error_destroy(e);
    e = NULL;
    t0 = now_us();
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 5000, NULL, &e), UCRM_ERR_TRANSPORT);
    assert_true(now_us() - t0 < 100000);
    ucrm_error_destroy(e);
    redis_srv_resume(g_own);
    msleep(250);
    take_n(a, 1, UCRM_PRIORITY_NORMAL, true);
    inst_free(a);
}

/* The server restarts (its script cache and data gone) between two calls: the pooled connection fails, a fresh
 * one runs the call, the scripts are loaded again; nothing is reported as an outage. */
static void test_redis__restart_between_calls(void **state) {
    (void)state;
    assert_non_null(g_own = redis_srv_start(NULL));
    inst_t a = own_inst("restart", NULL);
    take_n(a, 3, UCRM_PRIORITY_NORMAL, true);
    assert_int_equal(redis_srv_restart(g_own), 0);
    ucrm_rl_ticket_t t;
    ucrm_error_t *e = NULL;
    if (acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, &e) != UCRM_OK)
        fail_msg("after a restart: %s", ucrm_error_message(e));
    assert_int_equal(t.event_level, 0);
    done(a, &t, UCRM_RL_SENT);
    msleep(20);
    assert_int_equal(redis_srv_int(g_own, "ZCARD", "ucrm:{restart}:rl:w0", NULL), 4); /* 3 put back + 1 */
    /* the script cache flushed under a live connection: a done written without waiting is lost (counted), the
     * next call loads the script again */
    char *ok = redis_srv_cmd(g_own, "SCRIPT", "FLUSH", NULL);
    assert_string_equal(ok, "OK");
    free(ok);
    take_n(a, 2, UCRM_PRIORITY_NORMAL, true);
    ucrm_buf_t b = UCRM_BUF_INIT;
    ucrm_limiter__redis.stats_json(a.impl, &b);
    assert_non_null(strstr(b.ptr, "\"available\":true"));
    assert_non_null(strstr(b.ptr, "\"state\":\"up\""));
    ucrm_buf__free(&b);
    inst_free(a);
}

static void test_redis__fork_uses_its_own_connections(void **state) {
    (void)state;
    char key[64];
    const char *kv[] = {"ratelimit.requests", "8", "ratelimit.interval.ms", "2000", "ratelimit.reserve.high.percent",
                        "0", NULL};
    inst_t a = inst_new(newkey(key, sizeof key), kv);
    take_n(a, 2, UCRM_PRIORITY_NORMAL, true); /* a pooled connection exists */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        ucrm_rl_ticket_t t;
        bool ok = true;
        for (int i = 0; i < 3 && ok; i++) {
            ok = acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL) == UCRM_OK;
            if (ok)
                done(a, &t, UCRM_RL_SENT);
        }
        _exit(ok ? 0 : 1);
    }
    take_n(a, 3, UCRM_PRIORITY_NORMAL, true);
    int st = -1;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    expect_limited(a, UCRM_PRIORITY_NORMAL, 1000, 2001);
    inst_free(a);
}

/* redis.url with a password, an ACL user and a database. */
static void test_redis__auth_acl_and_database(void **state) {
    (void)state;
    /* the user docs/redis.md recommends: unicrm's keys, the commands its scripts run, nothing else */
    const char *args[] = {"--requirepass", "d3fault-pw", "--user", "worker", "on", ">w0rker-pw", "~ucrm:*",
                          "+evalsha", "+script|load", "+select", "+ping", "+time", "+hget", "+hmget", "+hset", "+hdel",
                          "+hkeys", "+hincrby", "+exists", "+get", "+set", "+del", "+pttl", "+pexpire", "+zadd",
                          "+zrem", "+zcard", "+zcount", "+zrange", "+zremrangebyscore", "--user", "weak", "on",
                          ">w3ak-pw", "~ucrm:*", "+evalsha", "+script|load", "+ping", NULL};
    assert_non_null(g_own = redis_srv_start(args));
    char url[160];
    const char *kv[] = {"redis.url", url, NULL};
    snprintf(url, sizeof url, "redis://:d3fault-pw@127.0.0.1:%d/3", redis_srv_port(g_own));
    inst_t a = inst_new("authdb", kv);
    take_n(a, 1, UCRM_PRIORITY_NORMAL, true);
    msleep(20);
    char *n = redis_srv_cmd(g_own, "EVAL", "redis.call('SELECT', 3) return redis.call('DBSIZE')", "0", NULL);
    assert_true(n == NULL || strncmp(n, "-NOAUTH", 7) == 0); /* the helper does not authenticate */
    free(n);
    inst_free(a);
    snprintf(url, sizeof url, "redis://worker:w0rker-pw@127.0.0.1:%d", redis_srv_port(g_own));
    const char *all[] = {"redis.url", url, "ratelimit.daily", "1000", "ratelimit.concurrency", "5",
                         "ratelimit.search.requests", "3", NULL};
    a = inst_new("authdb2", all);
    ucrm_rl_ticket_t t0;
    assert_int_equal(acq(a, &t0, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, NULL), UCRM_OK);
    ucrm_usage_t u = {0};
    u.has_window = u.has_daily = true;
    u.window_max = 190;
    u.window_remaining = 150;
    u.daily_max = 1000;
    u.daily_remaining = 900;
    ucrm_limiter__redis.done(a.impl, &t0, &u, UCRM_RL_RATE_LIMITED, 10); /* every script path */
    msleep(20);
    take_n(a, 1, UCRM_PRIORITY_NORMAL, true);
    ucrm_buf_t b = UCRM_BUF_INIT;
    ucrm_limiter__redis.stats_json(a.impl, &b);
    assert_non_null(strstr(b.ptr, "\"available\":true"));
    assert_non_null(strstr(b.ptr, "\"async_errors\":0"));
    ucrm_buf__free(&b);
    inst_free(a);
    store_t st = store_open_url("authdb2", url);
    uint64_t f = 0, v = 0;
    ucrm_token_t tk;
    tok_set(&tk, "AT", "RT", NULL);
    assert_int_equal(st.ops->lock(st.impl, 1000, &f, NULL), UCRM_OK);
    assert_int_equal(st.ops->store(st.impl, f, &tk, &v, NULL), UCRM_OK);
    st.ops->unlock(st.impl, f);
    assert_int_equal(st.ops->wait(st.impl, v, now_us() + 100000, NULL), UCRM_OK);
    tok_free(&tk);
    assert_int_equal(st.ops->load(st.impl, &tk, &v, NULL), UCRM_OK);
    assert_string_equal(tk.refresh_token, "RT");
    ucrm_token__clear(&tk);
    st.ops->destroy(st.impl);
    /* a user that may run scripts but not the commands in them: Redis's refusal, named */
    snprintf(url, sizeof url, "redis://weak:w3ak-pw@127.0.0.1:%d", redis_srv_port(g_own));
    a = inst_new("authdb4", kv);
    ucrm_rl_ticket_t tw;
    ucrm_error_t *we = NULL;
    assert_int_equal(acq(a, &tw, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, &we), UCRM_ERR_TRANSPORT);
    assert_non_null(strstr(ucrm_error_message(we), "refused the rate-limit acquire script"));
    assert_non_null(strstr(ucrm_error_message(we), "can't run this command")); /* Redis's words, passed on */
    ucrm_error_destroy(we);
    inst_free(a);
    snprintf(url, sizeof url, "redis://worker:not-the-password@127.0.0.1:%d", redis_srv_port(g_own));
    a = inst_new("authdb3", kv);
    ucrm_rl_ticket_t t;
    ucrm_error_t *e = NULL;
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 0, NULL, &e), UCRM_ERR_TRANSPORT);
    assert_non_null(strstr(ucrm_error_message(e), "authentication failed"));
    assert_null(strstr(ucrm_error_message(e), "not-the-password"));
    ucrm_error_destroy(e);
    inst_free(a);
}

/* Waiters of one process queue behind one head and fail fast with the head's bound. */
static void test_redis__threads_lanes_in_one_process(void **state) {
    (void)state;
    char key[64];
    const char *kv[] = {"ratelimit.requests", "4", "ratelimit.interval.ms", "600", "ratelimit.reserve.high.percent",
                        "25", NULL};
    inst_t a = inst_new(newkey(key, sizeof key), kv);
    take_n(a, 3, UCRM_PRIORITY_NORMAL, true); /* NORMAL has 3 of 4 */
    conc_job_t j = {a, 0, UCRM_OK};
    pthread_t th;
    pthread_create(&th, NULL, conc_run, &j); /* a NORMAL waiter: the window frees in ~600 ms */
    msleep(100);
    ucrm_rl_ticket_t t;
    int64_t waited = 0;
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_HIGH, 0, &waited, NULL), UCRM_OK); /* the reserve */
    done(a, &t, UCRM_RL_SENT);
    /* a NORMAL call allowing 100 ms behind the waiter fails at once */
    ucrm_error_t *e = NULL;
    int64_t t0 = now_us();
    assert_int_equal(acq(a, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, 100, NULL, &e), UCRM_ERR_RATE_LIMITED);
    assert_true(now_us() - t0 < 80000);
    ucrm_error_destroy(e);
    pthread_join(th, NULL);
    assert_int_equal(j.rc, UCRM_OK);
    assert_true(j.waited_ms >= 300 && j.waited_ms < 1500);
    inst_free(a);
}

/* The shared state lost under two live processes: each puts back its own usage before taking more. */
static void test_redis__state_lost_usage_put_back(void **state) {
    (void)state;
    assert_non_null(g_own = redis_srv_start(NULL));
    const char *kv[] = {"ratelimit.requests", "5", "ratelimit.interval.ms", "3000", "ratelimit.reserve.high.percent",
                        "0", NULL};
    inst_t a = own_inst("lost", kv), b = own_inst("lost", kv);
    take_n(a, 2, UCRM_PRIORITY_NORMAL, true);
    take_n(b, 1, UCRM_PRIORITY_NORMAL, true);
    char *ok = redis_srv_cmd(g_own, "FLUSHALL", NULL);
    free(ok);
    take_n(a, 1, UCRM_PRIORITY_NORMAL, true); /* 2 back + 1 */
    take_n(b, 1, UCRM_PRIORITY_NORMAL, true); /* 1 back + 1: the window is full again */
    expect_limited(a, UCRM_PRIORITY_NORMAL, 2000, 3001);
    ucrm_buf_t buf = UCRM_BUF_INIT;
    ucrm_limiter__redis.stats_json(b.impl, &buf);
    assert_non_null(strstr(buf.ptr, "\"resets\":1"));
    assert_non_null(strstr(buf.ptr, "\"used\":5"));
    ucrm_buf__free(&buf);
    inst_free(a);
    inst_free(b);
}

/* ---------------------------------------------------------------------------------------------- token store */

static void test_redis__token_store_lock_fence_store(void **state) {
    (void)state;
    char key[64];
    store_t a = store_open(newkey(key, sizeof key), NULL), b = store_open(key, NULL);
    ucrm_token_t t;
    uint64_t ver = 9, f1 = 0, f2 = 0, v1 = 0, v2 = 0;
    assert_int_equal(a.ops->load(a.impl, &t, &ver, NULL), UCRM_OK);
    assert_int_equal(ver, 0);
    assert_null(t.access_token);
    assert_int_equal(a.ops->lock(a.impl, 5000, &f1, NULL), UCRM_OK);
    assert_true(f1 > 0);
    assert_int_equal(b.ops->lock(b.impl, 5000, &f2, NULL), UCRM_OK);
    assert_int_equal(f2, 0); /* held */
    ucrm_token_t in;
    tok_set(&in, "AT-1", "RT-1", "https://x.example.com");
    assert_int_equal(a.ops->store(a.impl, f1, &in, &v1, NULL), UCRM_OK);
    tok_free(&in);
    a.ops->unlock(a.impl, f1);
    assert_int_equal(b.ops->load(b.impl, &t, &ver, NULL), UCRM_OK);
    assert_int_equal(ver, v1);
    assert_string_equal(t.access_token, "AT-1");
    assert_string_equal(t.refresh_token, "RT-1");
    assert_string_equal(t.instance_url, "https://x.example.com");
    assert_int_equal(t.expires_at_ms, 2000);
    ucrm_token__clear(&t);
    /* no refresh token or URL in the new one: the stored ones stay */
    assert_int_equal(b.ops->lock(b.impl, 5000, &f2, NULL), UCRM_OK);
    assert_true(f2 > f1);
    tok_set(&in, "AT-2", NULL, NULL);
    assert_int_equal(b.ops->store(b.impl, f2, &in, &v2, NULL), UCRM_OK);
    tok_free(&in);
    assert_true(v2 > v1);
    b.ops->unlock(b.impl, f1); /* not its fence: the lock stays */
    uint64_t f3 = 0;
    assert_int_equal(a.ops->lock(a.impl, 5000, &f3, NULL), UCRM_OK);
    assert_int_equal(f3, 0);
    b.ops->unlock(b.impl, f2);
    assert_int_equal(a.ops->load(a.impl, &t, &ver, NULL), UCRM_OK);
    assert_string_equal(t.access_token, "AT-2");
    assert_string_equal(t.refresh_token, "RT-1");
    assert_string_equal(t.instance_url, "https://x.example.com");
    ucrm_token__clear(&t);
    /* a holder whose lock expired cannot overwrite what a later holder stored */
    assert_int_equal(a.ops->lock(a.impl, 100, &f1, NULL), UCRM_OK);
    msleep(200);
    assert_int_equal(b.ops->lock(b.impl, 5000, &f2, NULL), UCRM_OK);
    assert_true(f2 > f1);
    tok_set(&in, "AT-3", "RT-3", NULL);
    assert_int_equal(b.ops->store(b.impl, f2, &in, &v2, NULL), UCRM_OK);
    tok_free(&in);
    tok_set(&in, "AT-stale", "RT-stale", NULL);
    ucrm_error_t *e = NULL;
    assert_int_equal(a.ops->store(a.impl, f1, &in, &v1, &e), UCRM_ERR_STATE);
    ucrm_error_destroy(e);
    /* the application's token is stored whatever the lock, and fences out every lock taken before */
    tok_set(&t, "AT-app", "RT-app", NULL);
    assert_int_equal(a.ops->store(a.impl, 0, &t, &v1, NULL), UCRM_OK);
    tok_free(&t);
    e = NULL;
    assert_int_equal(b.ops->store(b.impl, f2, &in, &v2, &e), UCRM_ERR_STATE);
    ucrm_error_destroy(e);
    tok_free(&in);
    assert_int_equal(b.ops->load(b.impl, &t, &ver, NULL), UCRM_OK);
    assert_string_equal(t.refresh_token, "RT-app");
    ucrm_token__clear(&t);
    b.ops->unlock(b.impl, f2);
    a.ops->destroy(a.impl);
    b.ops->destroy(b.impl);
}

typedef struct waitjob {
    store_t st;
    uint64_t ver;
    int64_t took_ms;
    ucrm_err_t rc;
} waitjob_t;

static void *wait_run(void *p) {
    waitjob_t *w = p;
    int64_t t0 = now_us();
    w->rc = w->st.ops->wait(w->st.impl, w->ver, now_us() + 3000000, NULL);
    w->took_ms = (now_us() - t0) / 1000;
    return NULL;
}

static void test_redis__threads_token_store_wait(void **state) {
    (void)state;
    char key[64];
    store_t a = store_open(newkey(key, sizeof key), NULL), b = store_open(key, NULL);
    uint64_t f = 0, v = 0;
    assert_int_equal(a.ops->lock(a.impl, 5000, &f, NULL), UCRM_OK);
    /* a new version ends the wait */
    waitjob_t j = {b, 0, 0, UCRM_OK};
    pthread_t th;
    pthread_create(&th, NULL, wait_run, &j);
    msleep(200);
    ucrm_token_t in;
    tok_set(&in, "AT", "RT", NULL);
    assert_int_equal(a.ops->store(a.impl, f, &in, &v, NULL), UCRM_OK);
    tok_free(&in);
    pthread_join(th, NULL);
    assert_int_equal(j.rc, UCRM_OK);
    assert_true(j.took_ms >= 150 && j.took_ms < 1000);
    /* so does the lock going away (its holder gave up) */
    j = (waitjob_t){b, v, 0, UCRM_OK};
    pthread_create(&th, NULL, wait_run, &j);
    msleep(200);
    a.ops->unlock(a.impl, f);
    pthread_join(th, NULL);
    assert_int_equal(j.rc, UCRM_OK);
    assert_true(j.took_ms >= 150 && j.took_ms < 1000);
    /* and the deadline */
    assert_int_equal(a.ops->lock(a.impl, 5000, &f, NULL), UCRM_OK);
    ucrm_error_t *e = NULL;
    int64_t t0 = now_us();
    assert_int_equal(b.ops->wait(b.impl, v, now_us() + 300000, &e), UCRM_ERR_TIMEOUT);
    assert_true(now_us() - t0 >= 280000 && now_us() - t0 < 1000000);
    assert_non_null(strstr(ucrm_error_message(e), "another process"));
    ucrm_error_destroy(e);
    a.ops->unlock(a.impl, f);
    a.ops->destroy(a.impl);
    b.ops->destroy(b.impl);
}

#define KEK1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEK2 "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void test_redis__token_store_encryption(void **state) {
    (void)state;
    char key[64];
    store_t a = store_open(newkey(key, sizeof key), KEK1);
    ucrm_token_t in, t;
    uint64_t v = 0, ver = 0;
    tok_set(&in, "AT-secret-value", "RT-secret-value", NULL);
    assert_int_equal(a.ops->store(a.impl, 0, &in, &v, NULL), UCRM_OK);
    tok_free(&in);
    char pattern[96];
    snprintf(pattern, sizeof pattern, "ucrm:{%s}:tok:app1", key);
    char *raw = redis_srv_cmd(g_srv, "HGETALL", pattern, NULL);
    assert_non_null(raw);
    assert_null(strstr(raw, "secret-value"));
    assert_non_null(strstr(raw, "e1:"));
    free(raw);
    assert_int_equal(a.ops->load(a.impl, &t, &ver, NULL), UCRM_OK);
    assert_string_equal(t.access_token, "AT-secret-value");
    assert_string_equal(t.refresh_token, "RT-secret-value");
    ucrm_token__clear(&t);
    /* without the key, or with another one: a clear error, nothing half-read */
    store_t b = store_open(key, NULL), c = store_open(key, KEK2);
    ucrm_error_t *e = NULL;
    assert_int_equal(b.ops->load(b.impl, &t, &ver, &e), UCRM_ERR_CONF_INVALID);
    assert_non_null(strstr(ucrm_error_message(e), "set redis.token.key"));
    assert_null(t.access_token);
    ucrm_error_destroy(e);
    e = NULL;
    assert_int_equal(c.ops->load(c.impl, &t, &ver, &e), UCRM_ERR_CONF_INVALID);
    assert_non_null(strstr(ucrm_error_message(e), "another redis.token.key"));
    ucrm_error_destroy(e);
    /* a value moved to another field does not decrypt */
    char *at = redis_srv_cmd(g_srv, "HGET", pattern, "at", NULL);
    char *r = redis_srv_cmd(g_srv, "HSET", pattern, "rt", at, NULL);
    free(r);
    free(at);
    e = NULL;
    assert_int_equal(a.ops->load(a.impl, &t, &ver, &e), UCRM_ERR_CONF_INVALID);
    ucrm_error_destroy(e);
    /* a plain token stored before the key was set is still read */
    tok_set(&in, "AT-plain", "RT-plain", NULL);
    assert_int_equal(b.ops->store(b.impl, 0, &in, &v, NULL), UCRM_OK);
    tok_free(&in);
    assert_int_equal(a.ops->load(a.impl, &t, &ver, NULL), UCRM_OK);
    assert_string_equal(t.refresh_token, "RT-plain");
    ucrm_token__clear(&t);
    a.ops->destroy(a.impl);
    b.ops->destroy(b.impl);
    c.ops->destroy(c.impl);
}

/* ---------------------------------------------------------------------------------------------- clients */

typedef struct logcount {
    pthread_mutex_t lock;
    int warnings, down, up, tokens;
} logcount_t;

static void count_log(int level, const char *facility, const char *msg, void *opaque) {
    logcount_t *l = opaque;
    (void)facility;
    assert_null(strstr(msg, "test-refresh")); /* never a secret */
    pthread_mutex_lock(&l->lock);
    if (level <= UCRM_LOG_WARNING) {
        l->warnings++;
        bool store = strncmp(msg, "token store: ", 13) == 0; /* the transitions, said once each */
        l->down += store && strstr(msg, "unreachable") != NULL;
        l->up += store && strstr(msg, "answers again") != NULL;
    }
    pthread_mutex_unlock(&l->lock);
}

static int count_token(const char *at, const char *rt, int64_t exp, const char *url, void *opaque) {
    (void)at, (void)rt, (void)exp, (void)url;
    logcount_t *l = opaque;
    pthread_mutex_lock(&l->lock);
    l->tokens++;
    pthread_mutex_unlock(&l->lock);
    return 0;
}

/* A private Redis and a fake started with fargs (the default: a few records), both stopped by teardown_own. */
static void start_both(const char *const *fargs) {
    static const char *const seed[] = {"--seed", "3", NULL};
    assert_non_null(g_own = redis_srv_start(NULL));
    assert_non_null(g_fake = fake_startv(fargs ? fargs : seed));
}

/* The name of the one token entry in g_own (malloc'd; none or several fail the test). */
static char *token_entry(void) {
    char *keys = redis_srv_cmd(g_own, "KEYS", "ucrm:{tokens}:tok:*", NULL);
    assert_non_null(keys);
    assert_true(*keys && !strchr(keys, '\n')); /* one entry, no lock left */
    return keys;
}

/* A client of the fake sharing its token through the Redis at url. kind: "oauth" (HubSpot) or "sf". */
static ucrm_client_t *token_client(const char *kind, const char *url, const char *rt, const char *const *kv,
                                   logcount_t *lc) {
    ucrm_conf_t *c = ucrm_conf_new();
    bool sf = strcmp(kind, "sf") == 0;
    conf_set(c, "provider", sf ? "salesforce" : "hubspot");
    if (!sf)
        conf_set(c, "api.url", fake_url(g_fake));
    conf_set(c, "auth.token.url", fake_url(g_fake));
    conf_set(c, "auth.refresh.token", rt);
    conf_set(c, "auth.client.id", "test-client");
    conf_set(c, "auth.client.secret", "test-secret");
    conf_set(c, "ratelimit.key", "tokens");
    conf_set(c, "token.store", "redis");
    conf_set(c, "redis.url", url);
    conf_set(c, "redis.timeout.ms", "300");
    for (size_t i = 0; kv && kv[i]; i += 2)
        conf_set(c, kv[i], kv[i + 1]);
    if (lc) {
        ucrm_conf_set_log_cb(c, count_log, lc);
        ucrm_conf_set_token_cb(c, count_token, lc);
    }
    ucrm_client_t *cl = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_client_new(&cl, c, &e) != UCRM_OK)
        fail_msg("client: %s", ucrm_error_message(e));
    ucrm_conf_destroy(c);
    return cl;
}

static ucrm_err_t list_one(ucrm_client_t *c, ucrm_error_t **e) {
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_page_size(o, 2);
    ucrm_iter_t *it = NULL;
    ucrm_record_t *r = NULL;
    ucrm_err_t rc = ucrm_list(c, UCRM_OBJECT_CONTACT, o, &it, e);
    if (rc == UCRM_OK && (rc = ucrm_iter_next(it, &r, e)) == UCRM_OK)
        ucrm_record_destroy(r);
    ucrm_iter_destroy(it);
    ucrm_reqopts_destroy(o);
    return rc;
}

static void must_list(ucrm_client_t *c) {
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = list_one(c, &e);
    if (rc != UCRM_OK)
        fail_msg("list: %s: %s", ucrm_err_name(rc), ucrm_error_message(e));
}

/* Two clients (two processes' worth: each has its own token layer) share one token; with refresh-token rotation
 * each refresh uses the rotated token the other stored, and the callback fires where the refresh happened. */
static void test_redis__clients_share_rotating_tokens(void **state) {
    (void)state;
    const char *fargs[] = {"--seed", "3", "--salesforce-rotate-refresh", NULL};
    start_both(fargs);
    logcount_t la = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0}, lb = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0};
    ucrm_client_t *a = token_client("sf", redis_srv_url(g_own), "test-refresh", NULL, &la);
    ucrm_client_t *b = token_client("sf", redis_srv_url(g_own), "test-refresh", NULL, &lb);
    must_list(a);
    must_list(b); /* takes a's token over */
    assert_int_equal(fake_stat(g_fake, "token_requests.salesforce"), 1);
    assert_int_equal(la.tokens, 1);
    assert_int_equal(lb.tokens, 0);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(fake_clock_advance(g_fake, 3LL * 3600 * 1000), 0); /* sessions expire */
        must_list(k % 2 ? a : b);
        must_list(k % 2 ? b : a);
    }
    assert_int_equal(fake_stat(g_fake, "token_requests.salesforce"), 4);
    assert_int_equal(la.tokens + lb.tokens, 4);
    char *js = NULL;
    assert_int_equal(ucrm_client_stats_json(b, &js, NULL), UCRM_OK);
    assert_non_null(strstr(js, "\"store\":\"redis\""));
    assert_non_null(strstr(js, "\"adopted\":"));
    assert_null(strstr(js, "test-refresh"));
    ucrm_free(js);
    /* a process started later with the original (long rotated) refresh token uses the stored one */
    ucrm_client_t *c = token_client("sf", redis_srv_url(g_own), "test-refresh", NULL, NULL);
    assert_int_equal(fake_clock_advance(g_fake, 3LL * 3600 * 1000), 0);
    must_list(c);
    must_list(a);
    assert_int_equal(fake_stat(g_fake, "token_requests.salesforce"), 5);
    ucrm_client_destroy(a);
    ucrm_client_destroy(b);
    ucrm_client_destroy(c);
}

/* A refused stored refresh token is followed by the configured one (re-authorisation through the configuration);
 * a token the application sets is shared. */
static void test_redis__refused_stored_token_and_set_token(void **state) {
    (void)state;
    start_both(NULL);
    ucrm_client_t *a = token_client("oauth", redis_srv_url(g_own), "test-refresh", NULL, NULL);
    must_list(a);
    char *keys = token_entry();
    char *r = redis_srv_cmd(g_own, "HSET", keys, "rt", "p:revoked-long-ago", NULL); /* a dead refresh token */
    free(r);
    assert_int_equal(fake_clock_advance(g_fake, 3LL * 3600 * 1000), 0);
    long before = fake_stat(g_fake, "token_requests.hubspot");
    must_list(a);
    assert_int_equal(fake_stat(g_fake, "token_requests.hubspot"), before + 2); /* refused, then the configured */
    char *rt = redis_srv_cmd(g_own, "HGET", keys, "rt", NULL);
    assert_string_equal(rt, "p:test-refresh"); /* what works is stored */
    free(rt);
    /* the application's token reaches the other processes */
    char *at = fake_hubspot_token(g_fake);
    assert_non_null(at);
    assert_int_equal(ucrm_client_set_token(a, at, "test-refresh", 0, NULL, NULL), UCRM_OK);
    ucrm_client_t *b = token_client("oauth", redis_srv_url(g_own), "test-refresh", NULL, NULL);
    before = fake_stat(g_fake, "token_requests.hubspot");
    must_list(b);
    assert_int_equal(fake_stat(g_fake, "token_requests.hubspot"), before);
    free(at);
    free(keys);
    ucrm_client_destroy(a);
    ucrm_client_destroy(b);
}

/* A process that dies holding the refresh lock delays the others by the lock's expiry, no more. */
static void test_redis__token_lock_holder_died(void **state) {
    (void)state;
    start_both(NULL);
    ucrm_client_t *a = token_client("oauth", redis_srv_url(g_own), "test-refresh", NULL, NULL);
    must_list(a);
    char *keys = token_entry();
    char lock[200];
    snprintf(lock, sizeof lock, "%s:lock", keys);
    free(keys);
    char *r = redis_srv_cmd(g_own, "SET", lock, "999999", "PX", "1200", NULL);
    assert_string_equal(r, "OK");
    free(r);
    assert_int_equal(fake_clock_advance(g_fake, 3LL * 3600 * 1000), 0);
    int64_t t0 = now_us();
    must_list(a);
    int64_t took = (now_us() - t0) / 1000;
    assert_true(took >= 900 && took < 5000);
    ucrm_client_destroy(a);
}

/* The token store unreachable: closed fails calls that need a new token (a still-valid one stays in use);
 * degrade refreshes in the process and stores the token when Redis is back. */
static void test_redis__token_store_outage(void **state) {
    (void)state;
    start_both(NULL);
    logcount_t lc = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0}, ld = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0};
    const char *degrade[] = {"redis.failure", "degrade", NULL};
    ucrm_client_t *c = token_client("oauth", redis_srv_url(g_own), "test-refresh", NULL, &lc);
    ucrm_client_t *d = token_client("oauth", redis_srv_url(g_own), "test-refresh", degrade, &ld);
    must_list(c);
    must_list(d);
    redis_srv_kill(g_own);
    must_list(c); /* the token is valid: Redis is not needed */
    assert_int_equal(fake_clock_advance(g_fake, 3LL * 3600 * 1000), 0);
    ucrm_error_t *e = NULL;
    assert_int_equal(list_one(c, &e), UCRM_ERR_TRANSPORT);
    assert_non_null(strstr(ucrm_error_message(e), "Redis at 127.0.0.1:"));
    ucrm_error_destroy(e);
    assert_int_equal(lc.down, 1);
    long before = fake_stat(g_fake, "token_requests.hubspot");
    must_list(d); /* refreshed in this process */
    assert_int_equal(fake_stat(g_fake, "token_requests.hubspot"), before + 1);
    assert_int_equal(ld.down, 1);
    assert_int_equal(ld.tokens, 1);
    assert_int_equal(redis_srv_restart(g_own), 0);
    msleep(1200); /* the publish retry */
    must_list(d); /* stores its token */
    assert_int_equal(ld.up, 1);
    before = fake_stat(g_fake, "token_requests.hubspot");
    msleep(300); /* c's cooldown */
    for (int i = 0; i < 50; i++) {
        e = NULL;
        if (list_one(c, &e) == UCRM_OK)
            break;
        ucrm_error_destroy(e);
        assert_true(i < 49);
        msleep(100);
    }
    assert_int_equal(fake_stat(g_fake, "token_requests.hubspot"), before); /* took d's */
    ucrm_client_destroy(c);
    ucrm_client_destroy(d);
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
        cmocka_unit_test(test_redis__fork_uses_its_own_connections),
        cmocka_unit_test(test_redis__threads_lanes_in_one_process),
        cmocka_unit_test_teardown(test_redis__outage_fail_closed, teardown_own),
        cmocka_unit_test_teardown(test_redis__outage_degrade, teardown_own),
        cmocka_unit_test_teardown(test_redis__degrade_usage_put_back, teardown_own),
        cmocka_unit_test_teardown(test_redis__degrade_daily_follows_the_provider, teardown_own),
        cmocka_unit_test_teardown(test_redis__paused_server_times_out, teardown_own),
        cmocka_unit_test_teardown(test_redis__restart_between_calls, teardown_own),
        cmocka_unit_test_teardown(test_redis__auth_acl_and_database, teardown_own),
        cmocka_unit_test_teardown(test_redis__state_lost_usage_put_back, teardown_own),
        cmocka_unit_test(test_redis__token_store_lock_fence_store),
        cmocka_unit_test(test_redis__threads_token_store_wait),
        cmocka_unit_test(test_redis__token_store_encryption),
        cmocka_unit_test_teardown(test_redis__clients_share_rotating_tokens, teardown_own),
        cmocka_unit_test_teardown(test_redis__refused_stored_token_and_set_token, teardown_own),
        cmocka_unit_test_teardown(test_redis__token_lock_holder_died, teardown_own),
        cmocka_unit_test_teardown(test_redis__token_store_outage, teardown_own),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
#endif /* UCRM_WITH_REDIS */
