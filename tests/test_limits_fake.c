/*
 * test_limits_fake.c -- the shared rate-limit, retry and token layer end to end: the HubSpot and Salesforce
 * adapters over real HTTP against the local fake (build/bin/unicrm-fake), whose /__fake/stats is the judge.
 *
 *   hammer        8 threads share one client for 25 s at the fake's 190 requests / rolling 10 s: no 429, and
 *                 at least 95 % of what the window allows in that time
 *   lanes         a LOW-priority bulk job and HIGH-priority interactive calls on one account: no interactive
 *                 call waits longer than one refill interval
 *   expiry        8 threads iterate while the fake expires every token three times: one refresh per expiry
 *   faults        a 1,000-record batch upsert under 20 % injected 429/503/reset faults (applied, then the answer
 *                 lost or replaced): the fake ends with exactly the intended records
 *   quota, fail-fast, revoked refresh token, Salesforce daily budget and session expiry
 *
 * Threaded cases are named test_limits_fake__threads_* (the TSan run selects them). Timing margins are wide:
 * the machine is shared.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include <cmocka.h>

#include "helpers/clock_test.h"
#include <cjson/cJSON.h>

#include "helpers/fake.h"
#include <unicrm/unicrm.h>



static ucrm_fake_t *start(const char *const *args) {
    ucrm_fake_t *f = fake_startv(args);
    if (!f)
        fail_msg("the fake did not start (%s)", getenv("UCRM_FAKE_BIN") ? getenv("UCRM_FAKE_BIN") : "build/bin");
    return f;
}

static void stop(ucrm_fake_t *f) { assert_int_equal(fake_stop(f), 0); }


/* A client of the fake. kind: "pat" (HubSpot private app), "oauth" (HubSpot refresh token), "sf" (Salesforce
 * refresh token). extra: NULL-terminated key/value pairs. */
static ucrm_client_t *client(const ucrm_fake_t *f, const char *kind, const char *key, const char *const *extra,
                             ucrm_request_observer_cb *obs, void *obs_opaque) {
    ucrm_conf_t *c = ucrm_conf_new();
    bool sf = strcmp(kind, "sf") == 0;
    conf_set(c, "provider", sf ? "salesforce" : "hubspot");
    if (!sf)
        conf_set(c, "api.url", fake_url(f));
    conf_set(c, "auth.token.url", fake_url(f));
    if (strcmp(kind, "pat") == 0) {
        conf_set(c, "auth.access.token", "pat-test");
    } else {
        conf_set(c, "auth.refresh.token", "test-refresh");
        conf_set(c, "auth.client.id", "test-client");
        conf_set(c, "auth.client.secret", "test-secret");
    }
    conf_set(c, "ratelimit.key", key);
    conf_set(c, "retry.backoff.ms", "20");
    for (size_t i = 0; extra && extra[i]; i += 2)
        conf_set(c, extra[i], extra[i + 1]);
    if (obs)
        ucrm_conf_set_request_observer(c, obs, obs_opaque);
    ucrm_client_t *cl = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_client_new(&cl, c, &e) != UCRM_OK)
        fail_msg("client: %s", ucrm_error_message(e));
    ucrm_conf_destroy(c);
    return cl;
}

/* The id of the first record of object in the fake (through the control API, which no limit counts). */
static char *first_id(const ucrm_fake_t *f, const char *provider, const char *object) {
    char path[128];
    snprintf(path, sizeof path, "/__fake/records/%s/%s", provider, object);
    long st = 0;
    char *body = fake_request(f, "GET", path, NULL, &st);
    assert_int_equal(st, 200);
    cJSON *j = cJSON_Parse(body);
    free(body);
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "records"), 0);
    const cJSON *id = cJSON_GetObjectItem(r, "id");
    if (!cJSON_IsString(id))
        id = cJSON_GetObjectItem(r, "Id");
    assert_true(cJSON_IsString(id));
    char *out = strdup(id->valuestring);
    cJSON_Delete(j);
    return out;
}

static ucrm_err_t get(ucrm_client_t *c, ucrm_object_t o, const char *id, const ucrm_reqopts_t *opts,
                      ucrm_error_t **e) {
    ucrm_record_t *r = NULL;
    ucrm_err_t rc = ucrm_get(c, o, id, opts, &r, e);
    ucrm_record_destroy(r);
    return rc;
}

static ucrm_reqopts_t *prio_opts(ucrm_priority_t p, int64_t max_wait_ms) {
    ucrm_reqopts_t *o = NULL;
    assert_int_equal(ucrm_reqopts_new(&o), UCRM_OK);
    assert_int_equal(ucrm_reqopts_set_priority(o, p), UCRM_OK);
    if (max_wait_ms >= 0)
        assert_int_equal(ucrm_reqopts_set_max_wait_ms(o, max_wait_ms), UCRM_OK);
    return o;
}

/* ---------------------------------------------------------------------------------------------- hammer */

typedef struct worker {
    ucrm_client_t *c;
    const char *id;
    const ucrm_reqopts_t *opts;
    int64_t until_ms;
    int period_ms;      /* 0: back to back */
    bool until_is_deadline; /* no call may run past until_ms (the limiter then says RATE_LIMITED at once) */
    long ok, failed, deferred;
    int64_t max_call_ms;
    ucrm_err_t last_err;
} worker_t;

static void *worker_run(void *p) {
    worker_t *w = p;
    for (int64_t left; (left = w->until_ms - now_ms()) > 0;) {
        int64_t t0 = now_ms();
        ucrm_error_t *e = NULL;
        ucrm_reqopts_t *o = NULL;
        if (w->until_is_deadline) {
            ucrm_reqopts_new(&o);
            ucrm_reqopts_set_timeout_ms(o, left);
        }
        ucrm_err_t rc = get(w->c, UCRM_OBJECT_CONTACT, w->id, o ? o : w->opts, &e);
        ucrm_reqopts_destroy(o);
        int64_t took = now_ms() - t0;
        if (rc == UCRM_OK) {
            w->ok++;
        } else if (rc == UCRM_ERR_RATE_LIMITED && w->until_is_deadline &&
                   now_ms() + ucrm_error_retry_after_ms(e) >= w->until_ms) {
            w->deferred++; /* the next slot comes after the end: a client would come back then */
            msleep((int)(w->until_ms - now_ms() > 0 ? w->until_ms - now_ms() : 0));
        } else {
            w->failed++;
            w->last_err = rc;
            print_error("call failed: %s: %s\n", ucrm_err_name(rc), ucrm_error_message(e));
        }
        ucrm_error_destroy(e);
        if (took > w->max_call_ms)
            w->max_call_ms = took;
        if (w->period_ms && took < w->period_ms)
            msleep(w->period_ms - (int)took);
    }
    return NULL;
}

static void test_limits_fake__threads_hammer_190_per_10s(void **state) {
    (void)state;
    const char *args[] = {"--seed", "3", "--hubspot-rate", "190/10000", "--threads", "4", NULL};
    ucrm_fake_t *f = start(args);
    char *id = first_id(f, "hubspot", "contacts");
    /* the case: every thread at the same priority, so the whole window is theirs */
    const char *extra[] = {"ratelimit.reserve.high.percent", "0", NULL};
    ucrm_client_t *c = client(f, "pat", "hammer", extra, NULL, NULL);
    enum { N = 8, SECONDS = 25 };
    worker_t w[N];
    pthread_t th[N];
    int64_t t0 = now_ms();
    for (int i = 0; i < N; i++) {
        w[i] = (worker_t){c, id, NULL, t0 + SECONDS * 1000, 0, true, 0, 0, 0, 0, UCRM_OK};
        pthread_create(&th[i], NULL, worker_run, &w[i]);
    }
    long ok = 0, failed = 0, deferred = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ok += w[i].ok;
        failed += w[i].failed;
        deferred += w[i].deferred;
    }
    double secs = (double)(now_ms() - t0) / 1000.0;
    assert_true(secs < SECONDS + 2);
    long requests = fake_stat(f, "hubspot.requests"), r429 = fake_stat(f, "hubspot.429");
    /* a rolling window of 190 per 10 s allows 190 at 0 s, 10 s and 20 s: 570 in 25 s (475 at the average rate) */
    long allowed = 190 * ((SECONDS + 9) / 10);
    print_message("hammer: %ld requests in %.1f s, %ld 429s, %ld ok, %ld failed, %ld deferred past the end: %.1f%% "
                  "of the %ld the window allows\n",
                  requests, secs, r429, ok, failed, deferred, 100.0 * (double)requests / (double)allowed, allowed);
    assert_int_equal(r429, 0);
    assert_int_equal(failed, 0);
    assert_int_equal(ok, requests);
    /* the client's own figures */
    char *js = NULL;
    assert_int_equal(ucrm_client_stats_json(c, &js, NULL), UCRM_OK);
    cJSON *j = cJSON_Parse(js);
    assert_non_null(j);
    const cJSON *getop = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "calls"), "get");
    assert_int_equal((long)cJSON_GetObjectItem(getop, "count")->valuedouble, ok + deferred);
    assert_int_equal((long)cJSON_GetObjectItem(getop, "errors")->valuedouble, deferred);
    assert_int_equal((long)cJSON_GetObjectItem(getop, "attempts")->valuedouble, requests);
    assert_true(cJSON_GetObjectItem(getop, "limiter_wait_ms")->valuedouble > 1000.0);
    assert_true(cJSON_GetObjectItem(getop, "p99_ms")->valuedouble >= cJSON_GetObjectItem(getop, "p50_ms")->valuedouble);
    const cJSON *rl = cJSON_GetObjectItem(j, "ratelimit");
    assert_int_equal((long)cJSON_GetObjectItem(cJSON_GetObjectItem(rl, "window"), "effective_limit")->valuedouble, 190);
    /* no phantom: the fake's X-HubSpot-RateLimit-Remaining never showed requests this process did not count */
    assert_int_equal((long)cJSON_GetObjectItem(cJSON_GetObjectItem(rl, "window"), "corrections")->valuedouble, 0);
    assert_true(cJSON_GetObjectItem(rl, "waits")->valuedouble > 0);
    assert_int_equal((long)cJSON_GetObjectItem(cJSON_GetObjectItem(j, "http"), "rate_limited_429")->valuedouble, 0);
    cJSON_Delete(j);
    ucrm_free(js);
    assert_true((double)requests >= 0.95 * (double)allowed);
    ucrm_client_destroy(c);
    free(id);
    stop(f);
}

/* ---------------------------------------------------------------------------------------------- lanes */

typedef struct waits {
    pthread_mutex_t lock;
    int64_t max_wait_us;
    long n;
} waits_t;

static void on_interactive(const ucrm_request_info_t *info, void *opaque) {
    waits_t *w = opaque;
    pthread_mutex_lock(&w->lock);
    if (ucrm_request_info_limiter_wait_us(info) > w->max_wait_us)
        w->max_wait_us = ucrm_request_info_limiter_wait_us(info);
    w->n++;
    pthread_mutex_unlock(&w->lock);
}

static void test_limits_fake__threads_priority_lanes(void **state) {
    (void)state;
    const char *args[] = {"--seed", "3", "--hubspot-rate", "20/2000", NULL};
    ucrm_fake_t *f = start(args);
    char *id = first_id(f, "hubspot", "contacts");
    const char *extra[] = {"ratelimit.requests", "20", "ratelimit.interval.ms", "2000", NULL};
    waits_t iw = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
    /* two clients of one account: the bulk job's and the application's */
    ucrm_client_t *bulk = client(f, "pat", "lanes", extra, NULL, NULL);
    ucrm_client_t *app = client(f, "pat", "lanes", extra, on_interactive, &iw);
    ucrm_reqopts_t *low = prio_opts(UCRM_PRIORITY_LOW, 60000), *high = prio_opts(UCRM_PRIORITY_HIGH, -1);
    enum { B = 4, SECONDS = 7 };
    worker_t w[B + 1];
    pthread_t th[B + 1];
    int64_t t0 = now_ms();
    for (int i = 0; i < B; i++) {
        w[i] = (worker_t){bulk, id, low, t0 + SECONDS * 1000, 0, false, 0, 0, 0, 0, UCRM_OK};
        pthread_create(&th[i], NULL, worker_run, &w[i]);
    }
    msleep(300); /* the bulk job has the window full and a queue */
    w[B] = (worker_t){app, id, high, t0 + SECONDS * 1000, 450, false, 0, 0, 0, 0, UCRM_OK};
    pthread_create(&th[B], NULL, worker_run, &w[B]);
    long bulk_ok = 0;
    for (int i = 0; i <= B; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failed, 0);
        if (i < B)
            bulk_ok += w[i].ok;
    }
    print_message("lanes: bulk %ld calls, interactive %ld calls, longest interactive limiter wait %.0f ms, "
                  "longest interactive call %lld ms\n",
                  bulk_ok, w[B].ok, (double)iw.max_wait_us / 1000.0, (long long)w[B].max_call_ms);
    assert_true(w[B].ok >= 10);
    assert_true(iw.max_wait_us <= 2000 * 1000); /* one refill interval */
    assert_true(w[B].max_call_ms <= 2000 + 500);
    assert_true(bulk_ok >= 40); /* the bulk job still gets the rest of the budget */
    assert_int_equal(fake_stat(f, "hubspot.429"), 0);
    ucrm_reqopts_destroy(low);
    ucrm_reqopts_destroy(high);
    ucrm_client_destroy(bulk);
    ucrm_client_destroy(app);
    free(id);
    stop(f);
}

/* ---------------------------------------------------------------------------------------------- expiry */

typedef struct iter_worker {
    ucrm_client_t *c;
    volatile int *stop;
    long records, failed, passes;
} iter_worker_t;

static void *iter_run(void *p) {
    iter_worker_t *w = p;
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_page_size(o, 10);
    while (!__atomic_load_n(w->stop, __ATOMIC_ACQUIRE)) {
        ucrm_iter_t *it = NULL;
        ucrm_error_t *e = NULL;
        ucrm_err_t rc = ucrm_list(w->c, UCRM_OBJECT_CONTACT, o, &it, &e);
        ucrm_record_t *r = NULL;
        while (rc == UCRM_OK && (rc = ucrm_iter_next(it, &r, &e)) == UCRM_OK) {
            w->records++;
            ucrm_record_destroy(r);
        }
        if (rc != UCRM_ITEROVER) {
            w->failed++;
            print_error("iteration failed: %s: %s\n", ucrm_err_name(rc), ucrm_error_message(e));
        } else {
            w->passes++;
        }
        ucrm_error_destroy(e);
        ucrm_iter_destroy(it);
    }
    ucrm_reqopts_destroy(o);
    return NULL;
}

static void expiry_run(const char *kind, const char *token_stat, const char *const *fake_args,
                       const char *const *extra) {
    ucrm_fake_t *f = start(fake_args);
    ucrm_client_t *c = client(f, kind, kind, extra, NULL, NULL);
    enum { N = 8, EXPIRIES = 3 };
    volatile int stop_flag = 0;
    iter_worker_t w[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        w[i] = (iter_worker_t){c, &stop_flag, 0, 0, 0};
        pthread_create(&th[i], NULL, iter_run, &w[i]);
    }
    for (int k = 0; k < EXPIRIES; k++) {
        msleep(700);
        /* the fake's clock jumps past the token lifetime: every token the client holds is expired */
        assert_int_equal(fake_clock_advance(f, 3LL * 3600 * 1000), 0);
    }
    msleep(700);
    __atomic_store_n(&stop_flag, 1, __ATOMIC_RELEASE);
    long records = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failed, 0);
        assert_true(w[i].passes >= 1);
        records += w[i].records;
    }
    long tokens = fake_stat(f, token_stat);
    print_message("%s expiry: %ld records read by %d threads, %ld token requests for %d expiries\n", kind, records,
                  N, tokens, EXPIRIES);
    assert_int_equal(tokens, 1 + EXPIRIES); /* the first token, then exactly one refresh per expiry */
    ucrm_client_destroy(c);
    stop(f);
}

static void test_limits_fake__threads_token_expiry_hubspot(void **state) {
    (void)state;
    const char *args[] = {"--seed", "40", "--hubspot-rate", "100000/1000", NULL};
    const char *extra[] = {"ratelimit.requests", "100000", "ratelimit.interval.ms", "1000", NULL};
    expiry_run("oauth", "token_requests.hubspot", args, extra);
}

static void test_limits_fake__threads_session_expiry_salesforce(void **state) {
    (void)state;
    /* Salesforce sessions carry no expiry: the client learns of it from 401 INVALID_SESSION_ID */
    const char *args[] = {"--seed", "40", "--token-ttl", "7200", NULL};
    expiry_run("sf", "token_requests.salesforce", args, NULL);
}

/* ---------------------------------------------------------------------------------------------- faults */

/* Upsert by email of bulk-NNNN@example.com with first name FNNNN. */
static ucrm_batch_t *upsert_batch(int count) {
    ucrm_batch_t *b = NULL;
    assert_int_equal(ucrm_batch_new(&b, UCRM_OBJECT_CONTACT, UCRM_BATCH_UPSERT), UCRM_OK);
    assert_int_equal(ucrm_batch_set_key_field(b, "email"), UCRM_OK);
    for (int i = 0; i < count; i++) {
        ucrm_record_t *r = NULL;
        char email[64], first[32];
        snprintf(email, sizeof email, "bulk-%04d@example.com", i);
        snprintf(first, sizeof first, "F%04d", i);
        assert_int_equal(ucrm_record_new(&r, UCRM_OBJECT_CONTACT), UCRM_OK);
        assert_int_equal(ucrm_record_set_string(r, "email", email), UCRM_OK);
        assert_int_equal(ucrm_record_set_string(r, "first_name", first), UCRM_OK);
        assert_int_equal(ucrm_batch_add(b, r), UCRM_OK);
        ucrm_record_destroy(r);
    }
    return b;
}

static void test_limits_fake__batch_upsert_1000_under_faults(void **state) {
    (void)state;
    const char *args[] = {"--seed", "0", NULL};
    ucrm_fake_t *f = start(args);
    const char *extra[] = {"retry.max", "10", "retry.backoff.max.ms", "200", NULL};
    ucrm_client_t *c = client(f, "pat", "faults", extra, NULL, NULL);
    enum { COUNT = 1000 };
    /* faults after the fake applied the request: the write happened, the answer is replaced or lost */
    assert_int_equal(fake_set_faults(f, "{\"rate\":0.2,\"faults\":[\"429\",\"503\",\"reset\"],\"when\":\"after\"}"), 0);
    /* ~13 requests at 20 %: no fault at all is a 5 % chance; then the same upsert runs again (idempotent) */
    long injected = 0;
    ucrm_batch_t *b = NULL;
    for (int pass = 0; pass < 4 && !injected; pass++) {
        ucrm_batch_destroy(b);
        b = upsert_batch(COUNT);
        ucrm_error_t *e = NULL;
        int64_t t0 = now_ms();
        ucrm_err_t rc = ucrm_batch_run(c, b, NULL, &e);
        if (rc != UCRM_OK)
            fail_msg("batch: %s: %s", ucrm_err_name(rc), ucrm_error_message(e));
        ucrm_error_destroy(e);
        injected = fake_stat(f, "faults_injected.429") + fake_stat(f, "faults_injected.503") +
                   fake_stat(f, "faults_injected.reset");
        print_message("faults: 1000-record upsert in %lld ms, %ld requests so far, faults injected so far: %ld 429, "
                      "%ld 503, %ld reset\n",
                      (long long)(now_ms() - t0), fake_stat(f, "hubspot.requests"),
                      fake_stat(f, "faults_injected.429"), fake_stat(f, "faults_injected.503"),
                      fake_stat(f, "faults_injected.reset"));
    }
    assert_int_equal(fake_set_faults(f, "{\"rate\":0}"), 0);
    assert_true(injected >= 1);
    for (size_t i = 0; i < ucrm_batch_count(b); i++) {
        const char *id = NULL;
        const ucrm_error_t *ie = NULL;
        assert_int_equal(ucrm_batch_result(b, i, &id, &ie), UCRM_OK);
        assert_null(ie);
        assert_non_null(id);
    }
    /* the fake holds exactly the intended records: each email once, with its name */
    long st = 0;
    char *body = fake_request(f, "GET", "/__fake/records/hubspot/contacts", NULL, &st);
    assert_int_equal(st, 200);
    cJSON *j = cJSON_Parse(body);
    free(body);
    static unsigned char seen[COUNT];
    memset(seen, 0, sizeof seen);
    const cJSON *r;
    long total = 0;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(j, "records")) {
        const cJSON *p = cJSON_GetObjectItem(r, "properties");
        const char *email = cJSON_GetStringValue(cJSON_GetObjectItem(p, "email"));
        const char *first = cJSON_GetStringValue(cJSON_GetObjectItem(p, "firstname"));
        int n = -1;
        assert_non_null(email);
        assert_int_equal(sscanf(email, "bulk-%d@example.com", &n), 1);
        assert_true(n >= 0 && n < COUNT);
        assert_int_equal(seen[n], 0); /* never twice */
        seen[n] = 1;
        char want[32];
        snprintf(want, sizeof want, "F%04d", n);
        assert_non_null(first);
        assert_string_equal(first, want);
        total++;
    }
    assert_int_equal(total, COUNT); /* never lost */
    cJSON_Delete(j);
    ucrm_batch_destroy(b);
    ucrm_client_destroy(c);
    stop(f);
}

/* ---------------------------------------------------------------------------------------------- budgets */

static void test_limits_fake__daily_quota_hubspot(void **state) {
    (void)state;
    const char *args[] = {"--seed", "2", "--hubspot-daily", "25", NULL};
    ucrm_fake_t *f = start(args);
    char *id = first_id(f, "hubspot", "contacts");
    ucrm_client_t *c = client(f, "pat", "daily-hs", NULL, NULL, NULL);
    ucrm_reqopts_t *high = prio_opts(UCRM_PRIORITY_HIGH, -1);
    int normal_ok = 0, high_ok = 0;
    ucrm_error_t *e = NULL;
    ucrm_err_t rc;
    while ((rc = get(c, UCRM_OBJECT_CONTACT, id, NULL, &e)) == UCRM_OK && normal_ok < 100)
        normal_ok++;
    assert_int_equal(rc, UCRM_ERR_QUOTA_EXHAUSTED);
    assert_int_equal(ucrm_error_is_retriable(e), 0);
    assert_true(ucrm_error_retry_after_ms(e) > 0);
    ucrm_error_destroy(e);
    e = NULL;
    while ((rc = get(c, UCRM_OBJECT_CONTACT, id, high, &e)) == UCRM_OK && high_ok < 100)
        high_ok++;
    assert_int_equal(rc, UCRM_ERR_QUOTA_EXHAUSTED);
    ucrm_error_destroy(e);
    print_message("daily: %d NORMAL calls, then %d HIGH calls out of 25\n", normal_ok, high_ok);
    /* the budget was learnt from X-HubSpot-RateLimit-Daily(-Remaining): used to the last request, never exceeded */
    assert_int_equal(normal_ok, 25 - 2); /* 10 % (at least one) is HIGH's */
    assert_int_equal(normal_ok + high_ok, 25);
    assert_int_equal(fake_stat(f, "hubspot.daily_used"), 25);
    assert_int_equal(fake_stat(f, "hubspot.429"), 0);
    ucrm_reqopts_destroy(high);
    ucrm_client_destroy(c);
    free(id);
    stop(f);
}

static void test_limits_fake__daily_quota_salesforce(void **state) {
    (void)state;
    const char *args[] = {"--seed", "2", "--salesforce-daily", "30", NULL};
    ucrm_fake_t *f = start(args);
    char *id = first_id(f, "salesforce", "Contact");
    const char *extra[] = {"ratelimit.reserve.high.percent", "0", NULL};
    ucrm_client_t *c = client(f, "sf", "daily-sf", extra, NULL, NULL);
    int ok = 0;
    ucrm_error_t *e = NULL;
    ucrm_err_t rc;
    while ((rc = get(c, UCRM_OBJECT_CONTACT, id, NULL, &e)) == UCRM_OK && ok < 100)
        ok++;
    assert_int_equal(rc, UCRM_ERR_QUOTA_EXHAUSTED);
    assert_non_null(strstr(ucrm_error_message(e), "ratelimit.daily"));
    ucrm_error_destroy(e);
    /* Sforce-Limit-Info: api-usage=N/30 taught the limiter the org's allocation */
    assert_int_equal(ok, 30);
    assert_int_equal(fake_stat(f, "salesforce.api_usage"), 30);
    assert_int_equal(fake_stat(f, "salesforce.limit_exceeded"), 0);
    ucrm_client_destroy(c);
    free(id);
    stop(f);
}

static void test_limits_fake__fail_fast_wait_limit(void **state) {
    (void)state;
    const char *args[] = {"--seed", "2", "--hubspot-rate", "5/10000", NULL};
    ucrm_fake_t *f = start(args);
    char *id = first_id(f, "hubspot", "contacts");
    /* configured for 190: the first answer's X-HubSpot-RateLimit-Max says 5 */
    const char *extra[] = {"ratelimit.reserve.high.percent", "0", "ratelimit.wait.max.ms", "1000", NULL};
    ucrm_client_t *c = client(f, "pat", "failfast", extra, NULL, NULL);
    for (int i = 0; i < 5; i++)
        assert_int_equal(get(c, UCRM_OBJECT_CONTACT, id, NULL, NULL), UCRM_OK);
    ucrm_error_t *e = NULL;
    int64_t t0 = now_ms();
    assert_int_equal(get(c, UCRM_OBJECT_CONTACT, id, NULL, &e), UCRM_ERR_RATE_LIMITED);
    assert_true(now_ms() - t0 < 200); /* not a 1 s wait that cannot be enough: at once */
    assert_true(ucrm_error_retry_after_ms(e) > 8000 && ucrm_error_retry_after_ms(e) <= 10001);
    assert_int_equal(ucrm_error_is_retriable(e), 1);
    ucrm_error_destroy(e);
    /* a write refused this way did not happen, and says so */
    ucrm_record_t *r = NULL;
    ucrm_record_new(&r, UCRM_OBJECT_CONTACT);
    ucrm_record_set_string(r, "email", "failfast@example.com");
    e = NULL;
    assert_int_equal(ucrm_create(c, r, NULL, &e), UCRM_ERR_RATE_LIMITED);
    assert_int_equal(ucrm_error_write_state(e), UCRM_WRITE_NOT_APPLIED);
    ucrm_error_destroy(e);
    ucrm_record_destroy(r);
    /* a caller who accepts the wait gets through once the window reopens */
    ucrm_reqopts_t *patient = prio_opts(UCRM_PRIORITY_NORMAL, 15000);
    t0 = now_ms();
    assert_int_equal(get(c, UCRM_OBJECT_CONTACT, id, patient, NULL), UCRM_OK);
    assert_true(now_ms() - t0 > 7000);
    assert_int_equal(fake_stat(f, "hubspot.requests"), 6);
    assert_int_equal(fake_stat(f, "hubspot.429"), 0);
    ucrm_reqopts_destroy(patient);
    ucrm_client_destroy(c);
    free(id);
    stop(f);
}

static void test_limits_fake__revoked_refresh_token(void **state) {
    (void)state;
    const char *args[] = {"--seed", "2", NULL};
    ucrm_fake_t *f = start(args);
    char *id = first_id(f, "hubspot", "contacts");
    ucrm_client_t *c = client(f, "oauth", "revoked", NULL, NULL, NULL);
    assert_int_equal(get(c, UCRM_OBJECT_CONTACT, id, NULL, NULL), UCRM_OK);
    long st = 0;
    free(fake_request(f, "POST", "/__fake/revoke", "{\"provider\":\"hubspot\"}", &st));
    assert_int_equal(st, 200);
    ucrm_error_t *e = NULL;
    assert_int_equal(get(c, UCRM_OBJECT_CONTACT, id, NULL, &e), UCRM_ERR_AUTH);
    assert_non_null(strstr(ucrm_error_message(e), "re-authorisation is needed"));
    assert_null(strstr(ucrm_error_message(e), "test-refresh"));
    assert_null(strstr(ucrm_error_message(e), "test-secret"));
    ucrm_error_destroy(e);
    /* within the cooldown no further token request is made */
    e = NULL;
    assert_int_equal(get(c, UCRM_OBJECT_CONTACT, id, NULL, &e), UCRM_ERR_AUTH);
    ucrm_error_destroy(e);
    assert_int_equal(fake_stat(f, "token_requests.hubspot"), 2);
    ucrm_client_destroy(c);
    free(id);
    stop(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_fake__daily_quota_hubspot),
        cmocka_unit_test(test_limits_fake__daily_quota_salesforce),
        cmocka_unit_test(test_limits_fake__fail_fast_wait_limit),
        cmocka_unit_test(test_limits_fake__revoked_refresh_token),
        cmocka_unit_test(test_limits_fake__batch_upsert_1000_under_faults),
        cmocka_unit_test(test_limits_fake__threads_token_expiry_hubspot),
        cmocka_unit_test(test_limits_fake__threads_session_expiry_salesforce),
        cmocka_unit_test(test_limits_fake__threads_priority_lanes),
        cmocka_unit_test(test_limits_fake__threads_hammer_190_per_10s),
    };
    if (getenv("UCRM_TEST_FILTER"))
        cmocka_set_test_filter(getenv("UCRM_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
