/*
 * test_pipeline.c -- the request pipeline through the public API: retries and their safety rules, timeouts,
 * Retry-After, token refresh and replay, passthrough, observers, logs without secrets, error mapping.
 * Uses the scripted provider (testprov) over the scripted transport: no network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "helpers/script.h"
#include "helpers/testprov.h"
#include <unicrm/unicrm.h>

typedef struct fx {
    script_t *s;
    ucrm_conf_t *conf;
    ucrm_client_t *c;
} fx_t;

static void conf_set_ok(ucrm_conf_t *conf, const char *k, const char *v) {
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_conf_set(conf, k, v, &e);
    if (rc != UCRM_OK)
        fail_msg("conf_set %s=%s: %s", k, v, ucrm_error_message(e));
    ucrm_error_destroy(e);
}

/* A client on the scripted transport. extra: NULL-terminated key/value pairs. */
static void fx_client(fx_t *f, const char *const *extra) {
    f->s = script_new();
    f->conf = ucrm_conf_new();
    conf_set_ok(f->conf, "provider", "hubspot");
    conf_set_ok(f->conf, "retry.backoff.ms", "1");
    conf_set_ok(f->conf, "retry.backoff.max.ms", "4");
    /* a 429 without a usable Retry-After drains the limiter for one interval: keep it short here */
    conf_set_ok(f->conf, "ratelimit.interval.ms", "50");
    bool has_auth = false;
    for (size_t i = 0; extra && extra[i]; i += 2) {
        conf_set_ok(f->conf, extra[i], extra[i + 1]);
        if (strncmp(extra[i], "auth.", 5) == 0)
            has_auth = true;
    }
    if (!has_auth)
        conf_set_ok(f->conf, "auth.access.token", "static-secret-token");
    script_install(f->s, f->conf);
    ucrm_error_t *e = NULL;
    if (ucrm_client_new(&f->c, f->conf, &e) != UCRM_OK)
        fail_msg("client_new: %s", ucrm_error_message(e));
}

static int setup(void **state) {
    testprov_register();
    fx_t *f = calloc(1, sizeof *f);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx_t *f = *state;
    ucrm_client_destroy(f->c);
    ucrm_conf_destroy(f->conf);
    if (f->s && !script_ok(f->s))
        print_error("script: %s\n", script_error(f->s));
    bool ok = !f->s || script_ok(f->s);
    script_free(f->s);
    free(f);
    testprov_unregister();
    return ok ? 0 : -1;
}

#define CONTACT_42 "{\"id\":\"42\",\"fields\":{\"first_name\":\"Ada\",\"email\":\"ada@example.com\"}}"

static void test_pipeline__get_ok_with_bearer(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 200, NULL, CONTACT_42);
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, NULL), UCRM_OK);
    const char *v = NULL;
    assert_int_equal(ucrm_record_get_string(r, "first_name", &v), UCRM_OK);
    assert_string_equal(v, "Ada");
    assert_string_equal(ucrm_record_id(r), "42");
    assert_string_equal(script_request_header(f->s, 0, "Authorization"), "Bearer static-secret-token");
    assert_string_equal(script_request_url(f->s, 0), "https://api.hubapi.com/objects/contact/42");
    ucrm_record_destroy(r);
}

static void test_pipeline__retries_5xx_then_succeeds(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 503, NULL, "{\"error\":\"UNAVAILABLE\"}");
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 500, NULL, "oops, not json");
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 200, NULL, CONTACT_42);
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, NULL), UCRM_OK);
    assert_int_equal(script_requests(f->s), 3);
    ucrm_record_destroy(r);
    char *stats = NULL;
    assert_int_equal(ucrm_client_stats_json(f->c, &stats, NULL), UCRM_OK);
    cJSON *j = cJSON_Parse(stats);
    assert_non_null(j);
    cJSON *http = cJSON_GetObjectItem(j, "http");
    assert_int_equal(cJSON_GetObjectItem(http, "retries")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(http, "attempts")->valueint, 3);
    cJSON_Delete(j);
    ucrm_free(stats);
}

static void test_pipeline__gives_up_after_retry_max(void **state) {
    fx_t *f = *state;
    const char *extra[] = {"retry.max", "2", NULL};
    fx_client(f, extra);
    for (int i = 0; i < 3; i++)
        script_expect(f->s, "GET", "/objects/contact/42", NULL, 503, NULL, "{\"error\":\"UNAVAILABLE\"}");
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, &e), UCRM_ERR_PROVIDER);
    assert_null(r);
    assert_int_equal(ucrm_error_http_status(e), 503);
    assert_int_equal(ucrm_error_is_retriable(e), 1);
    assert_non_null(strstr(ucrm_error_message(e), "3 attempts"));
    assert_int_equal(script_remaining(f->s), 0);
    ucrm_error_destroy(e);
}

static void test_pipeline__get_retried_after_connect_failure(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    script_fail(f->s, "GET", "/objects/contact/42", UCRM_ERR_TRANSPORT, UCRM_HTTP_NOT_SENT);
    script_fail(f->s, "GET", "/objects/contact/42", UCRM_ERR_TIMEOUT, UCRM_HTTP_MAYBE_SENT);
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 200, NULL, CONTACT_42);
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, NULL), UCRM_OK);
    ucrm_record_destroy(r);
}

static ucrm_record_t *new_contact(const char *email) {
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_record_new(&r, UCRM_OBJECT_CONTACT), UCRM_OK);
    assert_int_equal(ucrm_record_set_string(r, "email", email), UCRM_OK);
    return r;
}

static void test_pipeline__create_not_retried_when_maybe_sent(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    script_fail(f->s, "POST", "/objects/contact", UCRM_ERR_TIMEOUT, UCRM_HTTP_MAYBE_SENT);
    ucrm_record_t *r = new_contact("a@example.com");
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_create(f->c, r, NULL, &e), UCRM_ERR_TIMEOUT);
    assert_int_equal(ucrm_error_write_state(e), UCRM_WRITE_UNKNOWN);
    assert_int_equal(ucrm_error_is_retriable(e), 0);
    assert_int_equal(script_requests(f->s), 1);
    assert_null(ucrm_record_id(r));
    assert_true(ucrm_record_is_dirty(r, NULL)); /* still to be written as far as the caller knows */
    ucrm_error_destroy(e);
    ucrm_record_destroy(r);
}

static void test_pipeline__create_not_retried_after_500(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    script_expect(f->s, "POST", "/objects/contact", "*", 500, NULL, "{\"error\":\"INTERNAL\"}");
    ucrm_record_t *r = new_contact("a@example.com");
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_create(f->c, r, NULL, &e), UCRM_ERR_PROVIDER);
    assert_int_equal(ucrm_error_write_state(e), UCRM_WRITE_UNKNOWN);
    assert_int_equal(ucrm_error_is_retriable(e), 0);
    assert_int_equal(script_requests(f->s), 1);
    ucrm_error_destroy(e);
    ucrm_record_destroy(r);
}

static void test_pipeline__create_retried_when_provably_not_received(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    script_fail(f->s, "POST", "/objects/contact", UCRM_ERR_TRANSPORT, UCRM_HTTP_NOT_SENT);
    script_expect(f->s, "POST", "/objects/contact", "*", 429, "Retry-After: 0", "{\"error\":\"RATE\"}");
    script_expect(f->s, "POST", "/objects/contact", "{\"fields\":{\"email\":\"a@example.com\"}}", 201, NULL,
                  "{\"id\":\"7\"}");
    ucrm_record_t *r = new_contact("a@example.com");
    assert_int_equal(ucrm_create(f->c, r, NULL, NULL), UCRM_OK);
    assert_string_equal(ucrm_record_id(r), "7");
    assert_false(ucrm_record_is_dirty(r, NULL));
    ucrm_record_destroy(r);
}

static void test_pipeline__update_retried_when_maybe_sent(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    script_fail(f->s, "PATCH", "/objects/contact/7", UCRM_ERR_TIMEOUT, UCRM_HTTP_MAYBE_SENT);
    script_expect(f->s, "PATCH", "/objects/contact/7", "{\"fields\":{\"email\":\"b@example.com\"}}", 200, NULL, "{}");
    ucrm_record_t *r = new_contact("b@example.com");
    ucrm_record_set_id(r, "7");
    assert_int_equal(ucrm_update(f->c, r, NULL, NULL), UCRM_OK);
    assert_int_equal(script_requests(f->s), 2);
    /* nothing dirty any more: a second update sends nothing */
    assert_int_equal(ucrm_update(f->c, r, NULL, NULL), UCRM_OK);
    assert_int_equal(script_requests(f->s), 2);
    ucrm_record_destroy(r);
}

static void test_pipeline__retry_after_is_honoured(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 429, "Retry-After: 1", "{\"error\":\"RATE\"}");
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 200, NULL, CONTACT_42);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, NULL), UCRM_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 950); /* the provider asked for 1 s: we must not come back sooner */
    ucrm_record_destroy(r);
}

static void test_pipeline__retry_after_beyond_budget_fails_fast(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 429, "Retry-After: 30", "{\"error\":\"RATE\"}");
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_timeout_ms(o, 2000);
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", o, &r, &e), UCRM_ERR_RATE_LIMITED);
    assert_int_equal(ucrm_error_retry_after_ms(e), 30000);
    assert_int_equal(ucrm_error_is_retriable(e), 1);
    ucrm_error_destroy(e);
    ucrm_reqopts_destroy(o);
}

static void test_pipeline__attempt_timeout_then_retry(void **state) {
    fx_t *f = *state;
    const char *extra[] = {"http.timeout.ms", "100", NULL};
    fx_client(f, extra);
    script_expect_slow(f->s, "GET", "/objects/contact/42", 400, 200, CONTACT_42);
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 200, NULL, CONTACT_42);
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, NULL), UCRM_OK);
    assert_int_equal(script_requests(f->s), 2);
    ucrm_record_destroy(r);
}

static void test_pipeline__call_budget_runs_out(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    script_expect_slow(f->s, "GET", "/objects/contact/42", 2000, 200, CONTACT_42);
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_timeout_ms(o, 150);
    /* the first attempt uses the whole budget: no second attempt may start */
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", o, &r, &e);
    ucrm_reqopts_destroy(o);
    ucrm_error_destroy(e);
    assert_int_equal(rc, UCRM_ERR_TIMEOUT);
    assert_null(r);
    assert_int_equal(script_requests(f->s), 1);
}

typedef struct tokens_seen {
    int calls;
    char last_access[64];
    char last_refresh[64];
} tokens_seen_t;

static int on_token(const char *at, const char *rt, int64_t exp, const char *url, void *opaque) {
    (void)url;
    tokens_seen_t *t = opaque;
    t->calls++;
    snprintf(t->last_access, sizeof t->last_access, "%s", at);
    snprintf(t->last_refresh, sizeof t->last_refresh, "%s", rt ? rt : "");
    assert_true(exp > 0);
    return 0;
}

static const char *const refresh_conf[] = {"auth.refresh.token", "refresh-1", "auth.client.id", "cid",
                                           "auth.client.secret", "csecret", "auth.token.url",
                                           "https://auth.example.com", NULL};

static void test_pipeline__refresh_then_replay_once_on_401(void **state) {
    fx_t *f = *state;
    tokens_seen_t seen = {0};
    f->s = script_new();
    f->conf = ucrm_conf_new();
    conf_set_ok(f->conf, "provider", "hubspot");
    for (size_t i = 0; refresh_conf[i]; i += 2)
        conf_set_ok(f->conf, refresh_conf[i], refresh_conf[i + 1]);
    ucrm_conf_set_token_cb(f->conf, on_token, &seen);
    script_install(f->s, f->conf);
    assert_int_equal(ucrm_client_new(&f->c, f->conf, NULL), UCRM_OK);

    script_expect(f->s, "POST", "/token", "*", 200, NULL, "{\"access_token\":\"A1\",\"expires_in\":1800}");
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 401, NULL, "{\"error\":\"EXPIRED\"}");
    script_expect(f->s, "POST", "/token", "*", 200, NULL,
                  "{\"access_token\":\"A2\",\"expires_in\":1800,\"refresh_token\":\"refresh-2\"}");
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 200, NULL, CONTACT_42);
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, NULL), UCRM_OK);
    assert_string_equal(script_request_header(f->s, 1, "Authorization"), "Bearer A1");
    assert_string_equal(script_request_header(f->s, 3, "Authorization"), "Bearer A2");
    assert_null(script_request_header(f->s, 0, "Authorization")); /* the token request carries no bearer */
    assert_string_equal(script_request_body(f->s, 0), "grant_type=refresh_token&refresh_token=refresh-1");
    assert_int_equal(seen.calls, 2);
    assert_string_equal(seen.last_access, "A2");
    assert_string_equal(seen.last_refresh, "refresh-2"); /* rotated */
    ucrm_record_destroy(r);

    /* a second 401 in the same call is final */
    script_expect(f->s, "GET", "/objects/contact/43", NULL, 401, NULL, "{\"error\":\"EXPIRED\"}");
    script_expect(f->s, "POST", "/token", "*", 200, NULL, "{\"access_token\":\"A3\",\"expires_in\":1800}");
    script_expect(f->s, "GET", "/objects/contact/43", NULL, 401, NULL, "{\"error\":\"EXPIRED\"}");
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "43", NULL, &r, &e), UCRM_ERR_AUTH);
    assert_string_equal(script_request_body(f->s, 5), "grant_type=refresh_token&refresh_token=refresh-2");
    assert_int_equal(script_remaining(f->s), 0);
    ucrm_error_destroy(e);
}

static void test_pipeline__static_token_rejected(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 401, NULL, "{\"error\":\"EXPIRED\"}");
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, &e), UCRM_ERR_AUTH);
    assert_int_equal(script_requests(f->s), 1);
    assert_null(strstr(ucrm_error_message(e), "static-secret-token"));
    ucrm_error_destroy(e);
}

static void test_pipeline__revoked_refresh_token(void **state) {
    fx_t *f = *state;
    fx_client(f, refresh_conf);
    script_expect(f->s, "POST", "/token", "*", 400, NULL, "{\"error\":\"invalid_grant\",\"message\":\"revoked\"}");
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, &e), UCRM_ERR_AUTH);
    assert_int_equal(script_requests(f->s), 1);
    /* during the cooldown the same error comes back without another token request */
    ucrm_error_t *e2 = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, &e2), UCRM_ERR_AUTH);
    assert_int_equal(script_requests(f->s), 1);
    assert_null(strstr(ucrm_error_message(e), "refresh-1"));
    ucrm_error_destroy(e);
    ucrm_error_destroy(e2);
}

static void test_pipeline__quota_not_retried(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 403, NULL, "{\"error\":\"QUOTA\",\"message\":\"daily\"}");
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, &e), UCRM_ERR_QUOTA_EXHAUSTED);
    assert_int_equal(ucrm_error_is_retriable(e), 0);
    assert_int_equal(script_requests(f->s), 1);
    ucrm_error_destroy(e);
}

static void test_pipeline__error_details_kept(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 404, NULL, "{\"error\":\"NOPE\",\"message\":\"gone\"}");
    script_expect(f->s, "POST", "/objects/contact", "*", 409, NULL,
                  "{\"error\":\"DUP\",\"message\":\"exists\",\"existing_id\":\"99\"}");
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, &e), UCRM_ERR_NOT_FOUND);
    assert_int_equal(ucrm_error_http_status(e), 404);
    assert_string_equal(ucrm_error_provider_code(e), "NOPE");
    assert_string_equal(ucrm_error_message(e), "gone");
    ucrm_error_destroy(e);
    e = NULL;
    r = new_contact("dup@example.com");
    assert_int_equal(ucrm_create(f->c, r, NULL, &e), UCRM_ERR_CONFLICT);
    assert_string_equal(ucrm_error_existing_id(e), "99");
    assert_int_equal(ucrm_error_write_state(e), UCRM_WRITE_NOT_APPLIED);
    ucrm_error_destroy(e);
    ucrm_record_destroy(r);
}

static void test_pipeline__malformed_and_truncated_json(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    const char *bad[] = {"{\"id\":\"42\",\"fields\":{\"first_name\":\"Ada\"", "not json at all", "", "[1,2",
                         "{\"id\":\"42\",\"fields\":{\"first_name\":\"\\ud800\"}", NULL};
    for (int i = 0; bad[i]; i++)
        script_expect(f->s, "GET", "/objects/contact/42", NULL, 200, NULL, bad[i]);
    for (int i = 0; i < 4; i++) {
        ucrm_record_t *r = NULL;
        ucrm_error_t *e = NULL;
        assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, &e), UCRM_ERR_PROTOCOL);
        assert_null(r);
        assert_non_null(strstr(ucrm_error_message(e), "unexpected response"));
        ucrm_error_destroy(e);
    }
    /* the last one is valid JSON with a lone surrogate escape: it must not crash whatever the outcome */
    ucrm_record_t *r = NULL;
    ucrm_err_t rc = ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, NULL);
    assert_true(rc == UCRM_OK || rc == UCRM_ERR_PROTOCOL);
    ucrm_record_destroy(r);
}

static void test_pipeline__passthrough_returns_any_status(void **state) {
    fx_t *f = *state;
    const char *extra[] = {"retry.max", "1", NULL};
    fx_client(f, extra);
    script_expect(f->s, "GET", "/anything?x=1&y=%20", NULL, 404, "X-Thing: yes", "{\"nope\":true}");
    script_expect(f->s, "POST", "/things", "{\"a\":1}", 503, NULL, "busy");
    script_expect(f->s, "DELETE", "/things/1", NULL, 503, NULL, "busy");
    script_expect(f->s, "DELETE", "/things/1", NULL, 503, NULL, "still busy");
    ucrm_response_t *resp = NULL;
    assert_int_equal(ucrm_passthrough(f->c, "GET", "/anything?x=1&y=%20", NULL, 0, NULL, &resp, NULL), UCRM_OK);
    assert_int_equal(ucrm_response_status(resp), 404);
    size_t len = 0;
    assert_string_equal(ucrm_response_body(resp, &len), "{\"nope\":true}");
    assert_int_equal(len, 13);
    assert_string_equal(ucrm_response_header(resp, "x-thing"), "yes");
    assert_null(ucrm_response_header(resp, "X-Other"));
    ucrm_response_destroy(resp);
    /* POST is not retried after a 5xx (it may have been applied) */
    assert_int_equal(ucrm_passthrough(f->c, "POST", "/things", "{\"a\":1}", 7, NULL, &resp, NULL), UCRM_OK);
    assert_int_equal(ucrm_response_status(resp), 503);
    ucrm_response_destroy(resp);
    /* DELETE is idempotent: retried, then the last answer is returned */
    assert_int_equal(ucrm_passthrough(f->c, "DELETE", "/things/1", NULL, 0, NULL, &resp, NULL), UCRM_OK);
    assert_int_equal(ucrm_response_status(resp), 503);
    assert_string_equal(ucrm_response_body(resp, NULL), "still busy");
    ucrm_response_destroy(resp);
}

static void test_pipeline__passthrough_bad_arguments(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    ucrm_response_t *resp = (ucrm_response_t *)0x1;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_passthrough(f->c, "TRACE", "/x", NULL, 0, NULL, &resp, &e), UCRM_ERR_INVALID_ARG);
    assert_null(resp);
    ucrm_error_destroy(e);
    assert_int_equal(ucrm_passthrough(f->c, "GET", "x", NULL, 0, NULL, &resp, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_passthrough(f->c, "GET", "/a b", NULL, 0, NULL, &resp, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_passthrough(f->c, "GET", "/a\r\nX: y", NULL, 0, NULL, &resp, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_passthrough(f->c, "POST", "/a", NULL, 5, NULL, &resp, NULL), UCRM_ERR_INVALID_ARG);
    /* the length is refused before the body is read */
    assert_int_equal(ucrm_passthrough(f->c, "POST", "/a", "{}", (size_t)64 * 1024 * 1024 + 1, NULL, &resp, NULL),
                     UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_passthrough(NULL, "GET", "/a", NULL, 0, NULL, &resp, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_passthrough(f->c, "GET", "/a", NULL, 0, NULL, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(script_requests(f->s), 0);
    assert_int_equal(ucrm_response_status(NULL), 0);
    assert_null(ucrm_response_header(NULL, "x"));
    ucrm_response_destroy(NULL);
}

typedef struct observed {
    int n;
    int attempts[8];
    int status[8];
    char path[8][64];
    char op[8][16];
} observed_t;

static void on_request(const ucrm_request_info_t *info, void *opaque) {
    observed_t *o = opaque;
    if (o->n >= 8)
        return;
    o->attempts[o->n] = ucrm_request_info_attempt(info);
    o->status[o->n] = ucrm_request_info_status(info);
    snprintf(o->path[o->n], sizeof o->path[0], "%s", ucrm_request_info_path(info));
    snprintf(o->op[o->n], sizeof o->op[0], "%s", ucrm_request_info_operation(info));
    assert_string_equal(ucrm_request_info_method(info), "GET");
    assert_true(ucrm_request_info_elapsed_us(info) >= 0);
    assert_true(ucrm_request_info_limiter_wait_us(info) >= 0);
    o->n++;
}

static void test_pipeline__observer_sees_every_attempt(void **state) {
    fx_t *f = *state;
    observed_t seen = {0};
    f->s = script_new();
    f->conf = ucrm_conf_new();
    conf_set_ok(f->conf, "provider", "hubspot");
    conf_set_ok(f->conf, "auth.access.token", "tok");
    conf_set_ok(f->conf, "retry.backoff.ms", "1");
    ucrm_conf_set_request_observer(f->conf, on_request, &seen);
    script_install(f->s, f->conf);
    assert_int_equal(ucrm_client_new(&f->c, f->conf, NULL), UCRM_OK);
    script_expect(f->s, "GET", "/anything?secret=query", NULL, 502, NULL, "bad gateway");
    script_expect(f->s, "GET", "/anything?secret=query", NULL, 200, NULL, "{}");
    ucrm_response_t *resp = NULL;
    assert_int_equal(ucrm_passthrough(f->c, "GET", "/anything?secret=query", NULL, 0, NULL, &resp, NULL), UCRM_OK);
    ucrm_response_destroy(resp);
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.attempts[0], 1);
    assert_int_equal(seen.attempts[1], 2);
    assert_int_equal(seen.status[0], 502);
    assert_int_equal(seen.status[1], 200);
    assert_string_equal(seen.path[0], "/anything"); /* never the query string */
    assert_string_equal(seen.op[1], "passthrough");
    assert_string_equal(ucrm_request_info_method(NULL), "");
    assert_int_equal(ucrm_request_info_attempt(NULL), 0);
}

static void on_server_time(const ucrm_request_info_t *info, void *opaque) {
    int64_t *out = opaque;
    out[out[0] + 1] = ucrm_request_info_server_time_us(info);
    out[0]++;
}

/* The observer reports the server's own time from a Server-Timing header (the first metric's dur, ms), 0 without
 * a usable one; the libcurl transport's side is covered against the fake (test_hubspot_fake). */
static void test_pipeline__observer_reports_server_time(void **state) {
    fx_t *f = *state;
    int64_t seen[8] = {0};
    f->s = script_new();
    f->conf = ucrm_conf_new();
    conf_set_ok(f->conf, "provider", "hubspot");
    conf_set_ok(f->conf, "auth.access.token", "tok");
    ucrm_conf_set_request_observer(f->conf, on_server_time, seen);
    script_install(f->s, f->conf);
    assert_int_equal(ucrm_client_new(&f->c, f->conf, NULL), UCRM_OK);
    script_expect(f->s, "GET", "/a", NULL, 200, "Server-Timing: app;dur=1.500", "{}");
    script_expect(f->s, "GET", "/a", NULL, 200, "Server-Timing: db;dur=0.25, app;dur=9", "{}");
    script_expect(f->s, "GET", "/a", NULL, 200, NULL, "{}");
    script_expect(f->s, "GET", "/a", NULL, 200, "Server-Timing: cache;desc=miss", "{}");
    script_expect(f->s, "GET", "/a", NULL, 200, "Server-Timing: app;dur=-3", "{}");
    script_expect(f->s, "GET", "/a", NULL, 200, "Server-Timing: app;dur=abc", "{}");
    for (int i = 0; i < 6; i++) {
        ucrm_response_t *resp = NULL;
        assert_int_equal(ucrm_passthrough(f->c, "GET", "/a", NULL, 0, NULL, &resp, NULL), UCRM_OK);
        ucrm_response_destroy(resp);
    }
    assert_int_equal(seen[0], 6);
    assert_int_equal(seen[1], 1500);
    assert_int_equal(seen[2], 250);
    assert_int_equal(seen[3], 0);
    assert_int_equal(seen[4], 0);
    assert_int_equal(seen[5], 0);
    assert_int_equal(seen[6], 0);
    assert_int_equal(ucrm_request_info_server_time_us(NULL), 0);
}

typedef struct logbuf {
    char text[65536];
    size_t len;
} logbuf_t;

static void on_log(int level, const char *fac, const char *msg, void *opaque) {
    logbuf_t *l = opaque;
    int n = snprintf(l->text + l->len, sizeof l->text - l->len, "%d %s %s\n", level, fac, msg);
    if (n > 0 && l->len + (size_t)n < sizeof l->text)
        l->len += (size_t)n;
}

static void test_pipeline__logs_never_contain_secrets(void **state) {
    fx_t *f = *state;
    static logbuf_t logs;
    memset(&logs, 0, sizeof logs);
    f->s = script_new();
    f->conf = ucrm_conf_new();
    conf_set_ok(f->conf, "provider", "hubspot");
    for (size_t i = 0; refresh_conf[i]; i += 2)
        conf_set_ok(f->conf, refresh_conf[i], refresh_conf[i + 1]);
    conf_set_ok(f->conf, "log.level", "debug");
    conf_set_ok(f->conf, "retry.backoff.ms", "1");
    ucrm_conf_set_log_cb(f->conf, on_log, &logs);
    script_install(f->s, f->conf);
    assert_int_equal(ucrm_client_new(&f->c, f->conf, NULL), UCRM_OK);
    script_expect(f->s, "POST", "/token", "*", 200, NULL, "{\"access_token\":\"SECRET-ACCESS\",\"expires_in\":60}");
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 500, NULL, "{}");
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 401, NULL, "{\"error\":\"EXPIRED\"}");
    script_expect(f->s, "POST", "/token", "*", 400, NULL, "{\"error\":\"invalid_grant\"}");
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, NULL), UCRM_ERR_AUTH);
    assert_true(logs.len > 0);
    assert_null(strstr(logs.text, "SECRET-ACCESS"));
    assert_null(strstr(logs.text, "refresh-1"));
    assert_null(strstr(logs.text, "csecret"));
    char *stats = NULL;
    assert_int_equal(ucrm_client_stats_json(f->c, &stats, NULL), UCRM_OK);
    assert_null(strstr(stats, "SECRET-ACCESS"));
    assert_null(strstr(stats, "refresh-1"));
    ucrm_free(stats);
}

static void test_pipeline__argument_checks(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_get(NULL, UCRM_OBJECT_CONTACT, "1", NULL, &r, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_get(f->c, (ucrm_object_t)9, "1", NULL, &r, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "", NULL, &r, &e), UCRM_ERR_INVALID_ARG);
    assert_non_null(strstr(ucrm_error_message(e), "empty"));
    ucrm_error_destroy(e);
    e = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, NULL, NULL, &r, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "a\nb", NULL, &r, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "\xff", NULL, &r, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "1", NULL, NULL, NULL), UCRM_ERR_INVALID_ARG);
    char longid[300];
    memset(longid, '1', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, longid, NULL, &r, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_create(f->c, NULL, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_update(f->c, NULL, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_upsert(f->c, NULL, "email", NULL, &e), UCRM_ERR_INVALID_ARG);
    assert_string_equal(ucrm_error_message(e), "ucrm_upsert: record is NULL");
    ucrm_error_destroy(e);
    assert_int_equal(ucrm_delete(f->c, UCRM_OBJECT_DEAL, "", NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_delete(NULL, UCRM_OBJECT_DEAL, "1", NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_delete(f->c, (ucrm_object_t)-1, "1", NULL, NULL), UCRM_ERR_INVALID_ARG);
    r = new_contact("x@example.com");
    e = NULL;
    assert_int_equal(ucrm_create(NULL, r, NULL, &e), UCRM_ERR_INVALID_ARG);
    assert_string_equal(ucrm_error_message(e), "ucrm_create: client is NULL");
    assert_int_equal(ucrm_error_write_state(e), UCRM_WRITE_NOT_APPLIED);
    ucrm_error_destroy(e);
    assert_int_equal(ucrm_update(NULL, r, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_upsert(NULL, r, "email", NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_update(f->c, r, NULL, NULL), UCRM_ERR_INVALID_ARG); /* no id */
    ucrm_record_set_id(r, "5");
    assert_int_equal(ucrm_create(f->c, r, NULL, NULL), UCRM_ERR_INVALID_ARG); /* has an id */
    assert_int_equal(ucrm_upsert(f->c, r, "first_name", NULL, NULL), UCRM_ERR_INVALID_ARG); /* no value */
    assert_int_equal(ucrm_upsert(f->c, r, "bogus", NULL, NULL), UCRM_ERR_INVALID_FIELD);
    ucrm_record_destroy(r);
    /* no key given and none configured for deals */
    assert_int_equal(ucrm_record_new(&r, UCRM_OBJECT_DEAL), UCRM_OK);
    assert_int_equal(ucrm_record_set_string(r, "name", "D"), UCRM_OK);
    e = NULL;
    assert_int_equal(ucrm_upsert(f->c, r, NULL, NULL, &e), UCRM_ERR_INVALID_ARG);
    assert_non_null(strstr(ucrm_error_message(e), "upsert.deal.key is not configured"));
    assert_int_equal(ucrm_error_write_state(e), UCRM_WRITE_NOT_APPLIED); /* refused before sending */
    ucrm_error_destroy(e);
    ucrm_record_destroy(r);
    assert_int_equal(script_requests(f->s), 0);
}

static void test_pipeline__delete_and_upsert(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    script_expect(f->s, "DELETE", "/objects/deal/9", NULL, 204, NULL, "");
    script_expect(f->s, "PUT", "/objects/contact/by/email/u%40example.com", "{\"fields\":{\"email\":\"u@example.com\"}}",
                  200, NULL, "{\"id\":\"77\",\"created\":true}");
    assert_int_equal(ucrm_delete(f->c, UCRM_OBJECT_DEAL, "9", NULL, NULL), UCRM_OK);
    ucrm_record_t *r = new_contact("u@example.com");
    assert_int_equal(ucrm_upsert(f->c, r, NULL, NULL, NULL), UCRM_OK); /* upsert.contact.key = email */
    assert_string_equal(ucrm_record_id(r), "77");
    ucrm_record_destroy(r);
}

typedef struct waitobs {
    int n;
    int64_t wait_us[8], elapsed_us[8];
    int status[8];
} waitobs_t;

static void on_wait(const ucrm_request_info_t *info, void *opaque) {
    waitobs_t *o = opaque;
    if (o->n < 8) {
        o->wait_us[o->n] = ucrm_request_info_limiter_wait_us(info);
        o->elapsed_us[o->n] = ucrm_request_info_elapsed_us(info);
        o->status[o->n] = ucrm_request_info_status(info);
        o->n++;
    }
}

/* A client whose limiter allows `requests` per `interval_ms`, with an observer. */
static void fx_limited(fx_t *f, const char *requests, const char *interval_ms, waitobs_t *obs, const char *key) {
    f->s = script_new();
    f->conf = ucrm_conf_new();
    conf_set_ok(f->conf, "provider", "hubspot");
    conf_set_ok(f->conf, "auth.access.token", "tok");
    conf_set_ok(f->conf, "retry.backoff.ms", "1");
    conf_set_ok(f->conf, "ratelimit.requests", requests);
    conf_set_ok(f->conf, "ratelimit.interval.ms", interval_ms);
    conf_set_ok(f->conf, "ratelimit.reserve.high.percent", "0");
    conf_set_ok(f->conf, "ratelimit.key", key);
    ucrm_conf_set_request_observer(f->conf, on_wait, obs);
    script_install(f->s, f->conf);
    assert_int_equal(ucrm_client_new(&f->c, f->conf, NULL), UCRM_OK);
}

static long op_stat(ucrm_client_t *c, const char *op, const char *member) {
    char *js = NULL;
    assert_int_equal(ucrm_client_stats_json(c, &js, NULL), UCRM_OK);
    cJSON *j = cJSON_Parse(js);
    ucrm_free(js);
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "calls"), op), member);
    long r = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
    cJSON_Delete(j);
    return r;
}

static void test_pipeline__observer_limiter_wait_is_not_wire_time(void **state) {
    fx_t *f = *state;
    waitobs_t obs = {0};
    fx_limited(f, "1", "300", &obs, "p-wait");
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 200, NULL, CONTACT_42);
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 200, NULL, CONTACT_42);
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, NULL), UCRM_OK);
    ucrm_record_destroy(r);
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, NULL), UCRM_OK);
    ucrm_record_destroy(r);
    assert_int_equal(obs.n, 2);
    assert_int_equal(obs.wait_us[0], 0);
    assert_true(obs.wait_us[1] >= 250000); /* one slot per 300 ms */
    assert_true(obs.elapsed_us[1] < 200000); /* the wait is not time on the wire */
    assert_true(op_stat(f->c, "get", "limiter_wait_ms") >= 250);
    assert_int_equal(op_stat(f->c, "get", "attempts"), 2);
}

static void test_pipeline__rate_limited_answer_waits_in_the_limiter(void **state) {
    fx_t *f = *state;
    waitobs_t obs = {0};
    fx_limited(f, "100", "400", &obs, "p-drain");
    /* a 429 without Retry-After: the bucket stays closed for one interval, and the retry waits for it there */
    script_expect(f->s, "POST", "/objects/contact", "*", 429, NULL, "{\"error\":\"RATE\"}");
    script_expect(f->s, "POST", "/objects/contact", "*", 201, NULL, "{\"id\":\"8\"}");
    ucrm_record_t *r = new_contact("drain@example.com");
    assert_int_equal(ucrm_create(f->c, r, NULL, NULL), UCRM_OK); /* a 429 proves the create was not received */
    assert_string_equal(ucrm_record_id(r), "8");
    ucrm_record_destroy(r);
    assert_int_equal(obs.n, 2);
    assert_int_equal(obs.status[0], 429);
    assert_true(obs.wait_us[1] >= 350000);
    assert_int_equal(op_stat(f->c, "create", "rate_limited_429"), 1);
    assert_int_equal(op_stat(f->c, "create", "retries"), 1);
    assert_int_equal(op_stat(f->c, "create", "count"), 1);
}

static void test_pipeline__fail_fast_when_the_wait_is_too_long(void **state) {
    fx_t *f = *state;
    waitobs_t obs = {0};
    fx_limited(f, "1", "5000", &obs, "p-failfast");
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 200, NULL, CONTACT_42);
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, NULL), UCRM_OK);
    ucrm_record_destroy(r);
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_max_wait_ms(o, 100);
    ucrm_error_t *e = NULL;
    r = new_contact("late@example.com");
    assert_int_equal(ucrm_create(f->c, r, o, &e), UCRM_ERR_RATE_LIMITED);
    assert_int_equal(ucrm_error_write_state(e), UCRM_WRITE_NOT_APPLIED);
    assert_int_equal(ucrm_error_is_retriable(e), 1);
    assert_true(ucrm_error_retry_after_ms(e) > 4000);
    assert_int_equal(script_requests(f->s), 1); /* nothing sent */
    assert_int_equal(obs.n, 1);                  /* and no attempt to observe */
    ucrm_error_destroy(e);
    ucrm_record_destroy(r);
    ucrm_reqopts_destroy(o);
}

static void test_pipeline__locked_create_is_retried(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    /* lock contention (Salesforce UNABLE_TO_LOCK_ROW, HubSpot 423) is a 4xx: the create was refused, so it is
     * retried even though creates are otherwise not repeated */
    script_expect(f->s, "POST", "/objects/contact", "*", 400, NULL, "{\"error\":\"LOCKED\"}");
    script_expect(f->s, "POST", "/objects/contact", "*", 201, NULL, "{\"id\":\"9\"}");
    ucrm_record_t *r = new_contact("locked@example.com");
    assert_int_equal(ucrm_create(f->c, r, NULL, NULL), UCRM_OK);
    assert_string_equal(ucrm_record_id(r), "9");
    ucrm_record_destroy(r);
}

static void test_pipeline__retry_after_without_limiter(void **state) {
    fx_t *f = *state;
    const char *extra[] = {"ratelimit.enable", "false", NULL};
    fx_client(f, extra);
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 429, "Retry-After: 1", "{\"error\":\"RATE\"}");
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 200, NULL, CONTACT_42);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, NULL), UCRM_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 950); /* no limiter to wait in: the pipeline sleeps the Retry-After itself */
    ucrm_record_destroy(r);
    char *js = NULL;
    assert_int_equal(ucrm_client_stats_json(f->c, &js, NULL), UCRM_OK);
    cJSON *j = cJSON_Parse(js);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "ratelimit")), 0); /* no limiter */
    cJSON_Delete(j);
    ucrm_free(js);
}

static void test_pipeline__static_token_rejection_says_what_to_do(void **state) {
    fx_t *f = *state;
    fx_client(f, NULL);
    script_expect(f->s, "GET", "/objects/contact/42", NULL, 401, NULL, "{\"error\":\"EXPIRED\"}");
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "42", NULL, &r, &e), UCRM_ERR_AUTH);
    assert_non_null(strstr(ucrm_error_message(e), "ucrm_client_set_token"));
    ucrm_error_destroy(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(n) cmocka_unit_test_setup_teardown(n, setup, teardown)
        T(test_pipeline__get_ok_with_bearer),
        T(test_pipeline__retries_5xx_then_succeeds),
        T(test_pipeline__gives_up_after_retry_max),
        T(test_pipeline__get_retried_after_connect_failure),
        T(test_pipeline__create_not_retried_when_maybe_sent),
        T(test_pipeline__create_not_retried_after_500),
        T(test_pipeline__create_retried_when_provably_not_received),
        T(test_pipeline__update_retried_when_maybe_sent),
        T(test_pipeline__retry_after_is_honoured),
        T(test_pipeline__retry_after_beyond_budget_fails_fast),
        T(test_pipeline__attempt_timeout_then_retry),
        T(test_pipeline__call_budget_runs_out),
        T(test_pipeline__refresh_then_replay_once_on_401),
        T(test_pipeline__static_token_rejected),
        T(test_pipeline__revoked_refresh_token),
        T(test_pipeline__quota_not_retried),
        T(test_pipeline__error_details_kept),
        T(test_pipeline__malformed_and_truncated_json),
        T(test_pipeline__passthrough_returns_any_status),
        T(test_pipeline__passthrough_bad_arguments),
        T(test_pipeline__observer_sees_every_attempt),
    T(test_pipeline__observer_reports_server_time),
        T(test_pipeline__logs_never_contain_secrets),
        T(test_pipeline__argument_checks),
        T(test_pipeline__delete_and_upsert),
        T(test_pipeline__observer_limiter_wait_is_not_wire_time),
        T(test_pipeline__rate_limited_answer_waits_in_the_limiter),
        T(test_pipeline__fail_fast_when_the_wait_is_too_long),
        T(test_pipeline__locked_create_is_retried),
        T(test_pipeline__retry_after_without_limiter),
        T(test_pipeline__static_token_rejection_says_what_to_do),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
