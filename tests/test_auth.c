/*
 * test_auth.c -- the token layer through the public API, against an in-process token endpoint and API that
 * count requests (tests/helpers/authsrv.c) and the scripted test provider: single-flight refresh with 8
 * threads (on 401 and proactive), no waiting on a proactive refresh, cooldown and the revoked-refresh-token
 * message, failed proactive refresh keeping a valid token, waits bounded by the call's budget, the token
 * callback's content and ordering, ucrm_client_set_token, and secrets never in logs, stats or errors.
 * Threaded cases are named test_auth__threads_* (the TSan run selects them).
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

#include "helpers/authsrv.h"
#include "helpers/testprov.h"
#include "common_int.h"
#include "provider_int.h"
#include <unicrm/unicrm.h>



typedef struct cbseen {
    pthread_mutex_t lock;
    int calls;
    char at[64], rt[64], url[128];
    bool rt_null, url_null;
    int64_t exp;
    int ret; /* what the callback returns */
} cbseen_t;

static int on_token(const char *at, const char *rt, int64_t exp, const char *url, void *opaque) {
    cbseen_t *c = opaque;
    pthread_mutex_lock(&c->lock);
    c->calls++;
    snprintf(c->at, sizeof c->at, "%s", at);
    snprintf(c->rt, sizeof c->rt, "%s", rt ? rt : "");
    snprintf(c->url, sizeof c->url, "%s", url ? url : "");
    c->rt_null = !rt;
    c->url_null = !url;
    c->exp = exp;
    int r = c->ret;
    pthread_mutex_unlock(&c->lock);
    return r;
}

typedef struct fx {
    authsrv_t *srv;
    ucrm_client_t *c;
    cbseen_t cb;
} fx_t;

/* A client with the refresh-token grant on authsrv. extra: NULL-terminated key/value pairs. */
static void fx_client(fx_t *f, int64_t ttl_ms, const char *const *extra) {
    f->srv = authsrv_new(ttl_ms, "RT-0", "AT-");
    ucrm_conf_t *conf = ucrm_conf_new();
    const char *base[] = {"provider", "hubspot", "auth.refresh.token", "RT-0", "auth.client.id", "cid",
                          "auth.client.secret", "csecret", "auth.token.url", "https://auth.example.com",
                          "ratelimit.enable", "false", "retry.backoff.ms", "1", NULL};
    for (size_t i = 0; base[i]; i += 2)
        assert_int_equal(ucrm_conf_set(conf, base[i], base[i + 1], NULL), UCRM_OK);
    for (size_t i = 0; extra && extra[i]; i += 2) {
        ucrm_error_t *e = NULL;
        if (ucrm_conf_set(conf, extra[i], extra[i + 1], &e) != UCRM_OK)
            fail_msg("conf %s: %s", extra[i], ucrm_error_message(e));
    }
    pthread_mutex_init(&f->cb.lock, NULL);
    ucrm_conf_set_token_cb(conf, on_token, &f->cb);
    authsrv_install(f->srv, conf);
    assert_int_equal(ucrm_client_new(&f->c, conf, NULL), UCRM_OK);
    ucrm_conf_destroy(conf);
}

static int setup(void **state) {
    testprov_register();
    *state = calloc(1, sizeof(fx_t));
    return 0;
}

static int teardown(void **state) {
    fx_t *f = *state;
    ucrm_client_destroy(f->c);
    authsrv_free(f->srv);
    pthread_mutex_destroy(&f->cb.lock);
    free(f);
    testprov_unregister();
    return 0;
}

static ucrm_err_t get42(ucrm_client_t *c, const ucrm_reqopts_t *o, ucrm_error_t **e) {
    ucrm_record_t *r = NULL;
    ucrm_err_t rc = ucrm_get(c, UCRM_OBJECT_CONTACT, "42", o, &r, e);
    ucrm_record_destroy(r);
    return rc;
}

static cJSON *stats(ucrm_client_t *c) {
    char *s = NULL;
    assert_int_equal(ucrm_client_stats_json(c, &s, NULL), UCRM_OK);
    cJSON *j = cJSON_Parse(s);
    assert_non_null(j);
    ucrm_free(s);
    return j;
}

static long auth_stat(ucrm_client_t *c, const char *member) {
    cJSON *j = stats(c);
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "auth"), member);
    long r = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
    cJSON_Delete(j);
    return r;
}

/* ---------------------------------------------------------------------------------------------- threads */

typedef struct loop {
    ucrm_client_t *c;
    int64_t until_ms;
    int calls, failures;
    ucrm_err_t last_err;
} loop_t;

static void *loop_thread(void *p) {
    loop_t *l = p;
    while (now_ms() < l->until_ms) {
        ucrm_error_t *e = NULL;
        ucrm_err_t rc = get42(l->c, NULL, &e);
        l->calls++;
        if (rc != UCRM_OK) {
            l->failures++;
            l->last_err = rc;
            print_error("call failed: %s\n", ucrm_error_message(e));
        }
        ucrm_error_destroy(e);
        msleep(1);
    }
    return NULL;
}

#define NTHREADS 8

static void run_threads(ucrm_client_t *c, int ms, void (*during)(void *), void *arg, loop_t out[NTHREADS]) {
    pthread_t th[NTHREADS];
    int64_t until = now_ms() + ms;
    for (int i = 0; i < NTHREADS; i++) {
        out[i] = (loop_t){c, until, 0, 0, UCRM_OK};
        pthread_create(&th[i], NULL, loop_thread, &out[i]);
    }
    if (during)
        during(arg);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
}

static void expire_three_times(void *arg) {
    authsrv_t *s = arg;
    for (int i = 0; i < 3; i++) {
        msleep(350);
        authsrv_invalidate_all(s); /* the provider expires every token the client holds, without notice */
    }
}

static void test_auth__threads_single_flight_on_expiry(void **state) {
    fx_t *f = *state;
    fx_client(f, 3600 * 1000, NULL);
    authsrv_set_delay(f->srv, 40); /* a slow token endpoint: every thread finds the token stale meanwhile */
    loop_t l[NTHREADS];
    run_threads(f->c, 1500, expire_three_times, f->srv, l);
    int calls = 0;
    for (int i = 0; i < NTHREADS; i++) {
        assert_int_equal(l[i].failures, 0);
        calls += l[i].calls;
    }
    /* the first token, then exactly one refresh per expiry */
    assert_int_equal(authsrv_token_requests(f->srv), 4);
    assert_true(calls > 100);
    assert_true(authsrv_api_401(f->srv) >= 3);
    assert_int_equal(auth_stat(f->c, "refreshes"), 4);
    assert_int_equal(f->cb.calls, 4);
}

static void test_auth__threads_proactive_refresh_without_401_or_waiting(void **state) {
    fx_t *f = *state;
    /* tokens live 1 s on the server; the client renews at 80 % */
    fx_client(f, 1000, NULL);
    authsrv_set_delay(f->srv, 30);
    loop_t l[NTHREADS];
    run_threads(f->c, 2600, NULL, NULL, l);
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(l[i].failures, 0);
    assert_int_equal(authsrv_api_401(f->srv), 0); /* never sent an expired token */
    int tr = authsrv_token_requests(f->srv);
    if (tr < 3 || tr > 5)
        fail_msg("%d token requests in 2.6 s with a 1 s lifetime renewed at 80 %%", tr);
    /* only the very first token was waited for: later refreshes happen while the others keep going */
    assert_true(auth_stat(f->c, "refresh_waits") <= NTHREADS - 1);
}

/* ---------------------------------------------------------------------------------------------- failures */

static void test_auth__revoked_refresh_token_and_cooldown(void **state) {
    fx_t *f = *state;
    const char *extra[] = {"auth.refresh.cooldown.ms", "300", NULL};
    fx_client(f, 60000, extra);
    authsrv_set_revoked(f->srv, true);
    ucrm_error_t *e = NULL;
    assert_int_equal(get42(f->c, NULL, &e), UCRM_ERR_AUTH);
    assert_non_null(strstr(ucrm_error_message(e), "re-authorisation is needed"));
    assert_non_null(strstr(ucrm_error_message(e), "invalid, expired or revoked")); /* the provider's words */
    assert_int_equal(ucrm_error_is_retriable(e), 0);
    assert_int_equal(ucrm_error_http_status(e), 400);
    ucrm_error_destroy(e);
    for (int i = 0; i < 5; i++) {
        e = NULL;
        assert_int_equal(get42(f->c, NULL, &e), UCRM_ERR_AUTH);
        assert_non_null(strstr(ucrm_error_message(e), "re-authorisation"));
        ucrm_error_destroy(e);
    }
    assert_int_equal(authsrv_token_requests(f->srv), 1); /* the cooldown holds further attempts back */
    assert_int_equal(authsrv_api_requests(f->srv), 0);
    cJSON *j = stats(f->c);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "auth"), "cooling_down")));
    cJSON_Delete(j);
    msleep(350);
    authsrv_set_revoked(f->srv, false); /* e.g. the admin restored the app */
    assert_int_equal(get42(f->c, NULL, NULL), UCRM_OK);
    assert_int_equal(authsrv_token_requests(f->srv), 2);
    assert_int_equal(auth_stat(f->c, "refresh_failures"), 1);
}

static void test_auth__failed_proactive_refresh_keeps_the_valid_token(void **state) {
    fx_t *f = *state;
    const char *extra[] = {"auth.refresh.percent", "40", "auth.refresh.cooldown.ms", "100", NULL};
    fx_client(f, 1000, extra);
    assert_int_equal(get42(f->c, NULL, NULL), UCRM_OK);
    authsrv_set_revoked(f->srv, true);
    msleep(500); /* due for renewal, still valid for ~0.5 s */
    ucrm_error_t *e = NULL;
    assert_int_equal(get42(f->c, NULL, &e), UCRM_OK);
    ucrm_error_destroy(e);
    assert_int_equal(authsrv_token_requests(f->srv), 2);
    assert_int_equal(authsrv_api_401(f->srv), 0);
    msleep(600); /* now expired for good */
    e = NULL;
    assert_int_equal(get42(f->c, NULL, &e), UCRM_ERR_AUTH);
    assert_non_null(strstr(ucrm_error_message(e), "re-authorisation"));
    ucrm_error_destroy(e);
    assert_int_equal(authsrv_api_401(f->srv), 0); /* an expired token is not even sent */
}

typedef struct slow_call {
    ucrm_client_t *c;
    int64_t budget_ms;
    ucrm_err_t rc;
    int64_t took_ms;
} slow_call_t;

static void *slow_call(void *p) {
    slow_call_t *s = p;
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    if (s->budget_ms)
        ucrm_reqopts_set_timeout_ms(o, s->budget_ms);
    int64_t t0 = now_ms();
    ucrm_error_t *e = NULL;
    s->rc = get42(s->c, o, &e);
    s->took_ms = now_ms() - t0;
    ucrm_error_destroy(e);
    ucrm_reqopts_destroy(o);
    return NULL;
}

static void test_auth__threads_waiting_for_a_refresh_respects_the_budget(void **state) {
    fx_t *f = *state;
    fx_client(f, 60000, NULL);
    authsrv_set_delay(f->srv, 900);
    slow_call_t a = {f->c, 0, 0, 0}, b = {f->c, 200, 0, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, slow_call, &a);
    msleep(50); /* a is refreshing */
    pthread_create(&tb, NULL, slow_call, &b);
    pthread_join(tb, NULL);
    pthread_join(ta, NULL);
    assert_int_equal(a.rc, UCRM_OK);
    assert_int_equal(b.rc, UCRM_ERR_TIMEOUT);
    assert_true(b.took_ms < 700); /* not the whole refresh */
    assert_int_equal(authsrv_token_requests(f->srv), 1);
}

static void test_auth__static_token_cannot_refresh(void **state) {
    fx_t *f = *state;
    f->srv = authsrv_new(60000, "RT-0", "AT-");
    ucrm_conf_t *conf = ucrm_conf_new();
    ucrm_conf_set(conf, "provider", "hubspot", NULL);
    ucrm_conf_set(conf, "auth.access.token", "pat-static", NULL);
    ucrm_conf_set(conf, "ratelimit.enable", "false", NULL);
    pthread_mutex_init(&f->cb.lock, NULL);
    ucrm_conf_set_token_cb(conf, on_token, &f->cb);
    authsrv_install(f->srv, conf);
    assert_int_equal(ucrm_client_new(&f->c, conf, NULL), UCRM_OK);
    ucrm_conf_destroy(conf);
    ucrm_error_t *e = NULL;
    assert_int_equal(get42(f->c, NULL, &e), UCRM_ERR_AUTH); /* the server does not know pat-static */
    assert_non_null(strstr(ucrm_error_message(e), "ucrm_client_set_token"));
    ucrm_error_destroy(e);
    assert_int_equal(authsrv_token_requests(f->srv), 0);
    /* the application pushes a token in: used from the next call on, handed to the callback */
    char tok[32];
    authsrv_issue(f->srv, tok, sizeof tok);
    assert_int_equal(ucrm_client_set_token(f->c, tok, NULL, 0, NULL, NULL), UCRM_OK);
    assert_int_equal(get42(f->c, NULL, NULL), UCRM_OK);
    char bearer[64];
    authsrv_last_bearer(f->srv, bearer, sizeof bearer);
    assert_string_equal(bearer + 7, tok);
    assert_int_equal(f->cb.calls, 1);
    assert_string_equal(f->cb.at, tok);
    assert_true(f->cb.rt_null); /* a static grant has no refresh token */
    assert_int_equal(authsrv_token_requests(f->srv), 0);
    /* bad arguments */
    assert_int_equal(ucrm_client_set_token(f->c, "", NULL, 0, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_client_set_token(f->c, NULL, NULL, 0, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_client_set_token(NULL, "x", NULL, 0, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_client_set_token(f->c, "x", NULL, 0, "http://evil.example.com", NULL), UCRM_ERR_INVALID_ARG);
}

/* ---------------------------------------------------------------------------------------------- callback */

static void test_auth__callback_gets_rotated_or_kept_refresh_token(void **state) {
    fx_t *f = *state;
    fx_client(f, 1800 * 1000, NULL);
    int64_t wall0 = ucrm__now_ms();
    assert_int_equal(get42(f->c, NULL, NULL), UCRM_OK);
    assert_int_equal(f->cb.calls, 1);
    assert_string_equal(f->cb.at, "AT-0");
    assert_string_equal(f->cb.rt, "RT-0"); /* none came back: the one in use */
    assert_true(f->cb.url_null);
    assert_true(f->cb.exp >= wall0 + 1800 * 1000 - 50 && f->cb.exp <= ucrm__now_ms() + 1800 * 1000 + 50);
    /* rotation: the new refresh token is used for the next refresh and handed over */
    authsrv_set_rotate(f->srv, true);
    authsrv_invalidate_all(f->srv);
    assert_int_equal(get42(f->c, NULL, NULL), UCRM_OK);
    assert_int_equal(f->cb.calls, 2);
    assert_string_equal(f->cb.at, "AT-1");
    assert_string_equal(f->cb.rt, "RT-1");
    authsrv_invalidate_all(f->srv);
    assert_int_equal(get42(f->c, NULL, NULL), UCRM_OK); /* the server only accepts RT-1 now */
    assert_string_equal(f->cb.rt, "RT-2");
    assert_int_equal(authsrv_token_requests(f->srv), 3);
}

static void test_auth__callback_abort_keeps_the_token(void **state) {
    fx_t *f = *state;
    fx_client(f, 1800 * 1000, NULL);
    f->cb.ret = 17;
    ucrm_error_t *e = NULL;
    assert_int_equal(get42(f->c, NULL, &e), UCRM_ERR_USER);
    assert_int_equal(ucrm_error_user_code(e), 17);
    ucrm_error_destroy(e);
    assert_int_equal(authsrv_api_requests(f->srv), 0);
    f->cb.ret = 0;
    assert_int_equal(get42(f->c, NULL, NULL), UCRM_OK); /* the new token was kept: no second token request */
    assert_int_equal(authsrv_token_requests(f->srv), 1);
    assert_int_equal(f->cb.calls, 1);
    /* UCRM_PASSTHROUGH behaves as 0 */
    f->cb.ret = UCRM_PASSTHROUGH;
    authsrv_invalidate_all(f->srv);
    assert_int_equal(get42(f->c, NULL, NULL), UCRM_OK);
    assert_int_equal(f->cb.calls, 2);
}

static void test_auth__set_token_and_session_lifetime(void **state) {
    fx_t *f = *state;
    const char *extra[] = {"auth.session.lifetime.ms", "600000", NULL};
    fx_client(f, 1800 * 1000, extra);
    authsrv_set_no_expiry(f->srv, true); /* like Salesforce: no expires_in */
    int64_t wall0 = ucrm__now_ms();
    assert_int_equal(get42(f->c, NULL, NULL), UCRM_OK);
    assert_true(f->cb.exp >= wall0 + 600000 - 50 && f->cb.exp <= ucrm__now_ms() + 600000 + 50);
    char tok[32];
    authsrv_issue(f->srv, tok, sizeof tok);
    assert_int_equal(ucrm_client_set_token(f->c, tok, NULL, ucrm__now_ms() + 5000, "https://na1.example.com", NULL),
                     UCRM_OK);
    assert_int_equal(f->cb.calls, 2);
    assert_string_equal(f->cb.at, tok);
    assert_string_equal(f->cb.rt, "RT-0"); /* NULL keeps the refresh token in use, and the callback says which */
    assert_string_equal(f->cb.url, "https://na1.example.com");
    assert_int_equal(get42(f->c, NULL, NULL), UCRM_OK);
    char bearer[64];
    authsrv_last_bearer(f->srv, bearer, sizeof bearer);
    assert_string_equal(bearer + 7, tok);
    assert_int_equal(authsrv_token_requests(f->srv), 1);
    /* an expiry already past: the next call refreshes first */
    authsrv_issue(f->srv, tok, sizeof tok);
    assert_int_equal(ucrm_client_set_token(f->c, tok, "RT-0", ucrm__now_ms() - 1, NULL, NULL), UCRM_OK);
    assert_int_equal(get42(f->c, NULL, NULL), UCRM_OK);
    assert_int_equal(authsrv_token_requests(f->srv), 2);
    assert_int_equal(authsrv_api_401(f->srv), 0);
}

/* ---------------------------------------------------------------------------------------------- secrets */

typedef struct logbuf {
    pthread_mutex_t lock;
    char text[1 << 16];
    size_t len;
} logbuf_t;

static void on_log(int level, const char *fac, const char *msg, void *opaque) {
    logbuf_t *l = opaque;
    pthread_mutex_lock(&l->lock);
    int n = snprintf(l->text + l->len, sizeof l->text - l->len, "%d %s %s\n", level, fac, msg);
    if (n > 0 && l->len + (size_t)n < sizeof l->text)
        l->len += (size_t)n;
    pthread_mutex_unlock(&l->lock);
}

static void assert_clean(const char *what, const char *text) {
    static const char *const secrets[] = {"AT-", "RT-", "csecret", NULL};
    for (int i = 0; secrets[i]; i++)
        if (text && strstr(text, secrets[i]))
            fail_msg("%s contains a secret (%s): %s", what, secrets[i], text);
}

static void test_auth__secrets_never_in_logs_stats_errors(void **state) {
    fx_t *f = *state;
    static logbuf_t logs;
    memset(&logs, 0, sizeof logs);
    pthread_mutex_init(&logs.lock, NULL);
    f->srv = authsrv_new(1800 * 1000, "RT-0", "AT-");
    authsrv_set_rotate(f->srv, true);
    ucrm_conf_t *conf = ucrm_conf_new();
    const char *kv[] = {"provider", "hubspot", "auth.refresh.token", "RT-0", "auth.client.id", "cid",
                        "auth.client.secret", "csecret", "auth.token.url", "https://auth.example.com",
                        "log.level", "debug", "retry.backoff.ms", "1", "auth.refresh.cooldown.ms", "0", NULL};
    for (size_t i = 0; kv[i]; i += 2)
        assert_int_equal(ucrm_conf_set(conf, kv[i], kv[i + 1], NULL), UCRM_OK);
    ucrm_conf_set_log_cb(conf, on_log, &logs);
    authsrv_install(f->srv, conf);
    char **dump = NULL;
    size_t n = 0;
    assert_int_equal(ucrm_conf_dump(conf, &dump, &n), UCRM_OK);
    for (size_t i = 0; i < n; i++)
        assert_clean("conf dump", dump[i]);
    ucrm_conf_dump_free(dump, n);
    assert_int_equal(ucrm_client_new(&f->c, conf, NULL), UCRM_OK);
    ucrm_conf_destroy(conf);
    assert_int_equal(get42(f->c, NULL, NULL), UCRM_OK);
    authsrv_invalidate_all(f->srv);
    assert_int_equal(get42(f->c, NULL, NULL), UCRM_OK);
    authsrv_set_revoked(f->srv, true);
    authsrv_invalidate_all(f->srv);
    ucrm_error_t *e = NULL;
    assert_int_equal(get42(f->c, NULL, &e), UCRM_ERR_AUTH);
    assert_clean("error message", ucrm_error_message(e));
    assert_clean("error details", ucrm_error_details(e));
    ucrm_error_destroy(e);
    char *st = NULL;
    assert_int_equal(ucrm_client_stats_json(f->c, &st, NULL), UCRM_OK);
    assert_clean("stats", st);
    ucrm_free(st);
    assert_true(logs.len > 0);
    assert_non_null(strstr(logs.text, "oauth"));
    assert_clean("logs", logs.text);
    pthread_mutex_destroy(&logs.lock);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(n) cmocka_unit_test_setup_teardown(n, setup, teardown)
        T(test_auth__threads_single_flight_on_expiry),
        T(test_auth__threads_proactive_refresh_without_401_or_waiting),
        T(test_auth__revoked_refresh_token_and_cooldown),
        T(test_auth__failed_proactive_refresh_keeps_the_valid_token),
        T(test_auth__threads_waiting_for_a_refresh_respects_the_budget),
        T(test_auth__static_token_cannot_refresh),
        T(test_auth__callback_gets_rotated_or_kept_refresh_token),
        T(test_auth__callback_abort_keeps_the_token),
        T(test_auth__set_token_and_session_lifetime),
        T(test_auth__secrets_never_in_logs_stats_errors),
#undef T
    };
    if (getenv("UCRM_TEST_FILTER"))
        cmocka_set_test_filter(getenv("UCRM_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
