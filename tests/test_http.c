/*
 * test_http.c -- the libcurl transport against a real socket (a tiny loopback server): keep-alive (a second
 * request reuses the connection), request headers, timeouts, dropped connections, refused connections, TLS
 * required for non-loopback hosts, TLS failures reported as such.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "helpers/fake.h"
#include "helpers/miniserver.h"
#include "helpers/testprov.h"
#include <unicrm/unicrm.h>

typedef struct fx {
    miniserver_t *m;
    ucrm_conf_t *conf;
    ucrm_client_t *c;
} fx_t;

static void make_client(fx_t *f, const char *url, const char *const *extra) {
    f->conf = ucrm_conf_new();
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_conf_set(f->conf, "provider", "hubspot", NULL), UCRM_OK);
    assert_int_equal(ucrm_conf_set(f->conf, "auth.access.token", "tok", NULL), UCRM_OK);
    assert_int_equal(ucrm_conf_set(f->conf, "retry.backoff.ms", "1", NULL), UCRM_OK);
    if (ucrm_conf_set(f->conf, "api.url", url, &e) != UCRM_OK)
        fail_msg("api.url %s: %s", url, ucrm_error_message(e));
    for (size_t i = 0; extra && extra[i]; i += 2)
        assert_int_equal(ucrm_conf_set(f->conf, extra[i], extra[i + 1], NULL), UCRM_OK);
    assert_int_equal(ucrm_client_new(&f->c, f->conf, NULL), UCRM_OK);
}

static int setup(void **state) {
    testprov_register();
    fx_t *f = calloc(1, sizeof *f);
    f->m = mini_start();
    assert_non_null(f->m);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx_t *f = *state;
    ucrm_client_destroy(f->c);
    ucrm_conf_destroy(f->conf);
    mini_stop(f->m);
    free(f);
    testprov_unregister();
    return 0;
}

static char *base(const fx_t *f) {
    static char b[64];
    snprintf(b, sizeof b, "http://127.0.0.1:%d", mini_port(f->m));
    return b;
}

static void test_http__keepalive_reuses_the_connection(void **state) {
    fx_t *f = *state;
    make_client(f, base(f), NULL);
    mini_set(f->m, MINI_OK, 200, "{\"ok\":true}", 0);
    for (int i = 0; i < 5; i++) {
        ucrm_response_t *r = NULL;
        assert_int_equal(ucrm_passthrough(f->c, "GET", "/ping", NULL, 0, NULL, &r, NULL), UCRM_OK);
        assert_int_equal(ucrm_response_status(r), 200);
        assert_string_equal(ucrm_response_body(r, NULL), "{\"ok\":true}");
        ucrm_response_destroy(r);
    }
    assert_int_equal(mini_requests(f->m), 5);
    assert_int_equal(mini_connections(f->m), 1);
    char *stats = NULL;
    assert_int_equal(ucrm_client_stats_json(f->c, &stats, NULL), UCRM_OK);
    cJSON *j = cJSON_Parse(stats);
    assert_int_equal(cJSON_GetObjectItem(j, "connections_opened")->valueint, 1);
    cJSON_Delete(j);
    ucrm_free(stats);
}

static void test_http__request_headers_and_body(void **state) {
    fx_t *f = *state;
    make_client(f, base(f), NULL);
    ucrm_response_t *r = NULL;
    assert_int_equal(ucrm_passthrough(f->c, "PATCH", "/things/1?x=%20y", "{\"a\":1}", 7, NULL, &r, NULL), UCRM_OK);
    ucrm_response_destroy(r);
    const char *head = mini_last_head(f->m);
    assert_non_null(strstr(head, "PATCH /things/1?x=%20y HTTP/1.1\r\n"));
    assert_non_null(strstr(head, "Authorization: Bearer tok\r\n"));
    assert_non_null(strstr(head, "Content-Type: application/json\r\n"));
    assert_non_null(strstr(head, "Accept: application/json\r\n"));
    assert_non_null(strstr(head, "User-Agent: unicrm/"));
    assert_null(strstr(head, "Expect:"));
    assert_string_equal(mini_last_body(f->m), "{\"a\":1}");
}

/* A header line longer than the transport's stack buffer (a long bearer token) goes out whole; a GET carries no
 * Expect header. */
static void test_http__long_header_line_is_sent_whole(void **state) {
    fx_t *f = *state;
    char tok[1500];
    for (size_t i = 0; i < sizeof tok - 1; i++)
        tok[i] = (char)('a' + i % 26);
    tok[sizeof tok - 1] = '\0';
    const char *extra[] = {"auth.access.token", tok, NULL};
    make_client(f, base(f), extra);
    ucrm_response_t *r = NULL;
    assert_int_equal(ucrm_passthrough(f->c, "GET", "/things/1", NULL, 0, NULL, &r, NULL), UCRM_OK);
    ucrm_response_destroy(r);
    const char *head = mini_last_head(f->m);
    char want[1600];
    snprintf(want, sizeof want, "Authorization: Bearer %s\r\n", tok);
    assert_non_null(strstr(head, want));
    assert_null(strstr(head, "Expect:"));
}

static void test_http__timeout_is_reported_and_get_retried(void **state) {
    fx_t *f = *state;
    const char *extra[] = {"http.timeout.ms", "150", "retry.max", "1", NULL};
    make_client(f, base(f), extra);
    mini_set(f->m, MINI_DELAY, 200, "{}", 600);
    ucrm_response_t *r = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_passthrough(f->c, "GET", "/slow", NULL, 0, NULL, &r, &e), UCRM_ERR_TIMEOUT);
    assert_null(r);
    assert_int_equal(ucrm_error_is_retriable(e), 1);
    ucrm_error_destroy(e);
    /* the one-connection-at-a-time server reads the second attempt only after finishing the first */
    for (int i = 0; i < 200 && mini_requests(f->m) < 2; i++)
        usleep(10000);
    assert_int_equal(mini_requests(f->m), 2); /* the GET was tried twice */
}

static void test_http__post_not_retried_after_dropped_connection(void **state) {
    fx_t *f = *state;
    const char *extra[] = {"retry.max", "3", NULL};
    make_client(f, base(f), extra);
    mini_set(f->m, MINI_DROP, 200, "", 0);
    ucrm_response_t *r = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_passthrough(f->c, "POST", "/create", "{}", 2, NULL, &r, &e), UCRM_ERR_TRANSPORT);
    assert_int_equal(ucrm_error_write_state(e), UCRM_WRITE_UNKNOWN);
    assert_int_equal(ucrm_error_is_retriable(e), 0);
    ucrm_error_destroy(e);
    assert_int_equal(mini_requests(f->m), 1);
}

static void test_http__refused_connection_is_not_sent(void **state) {
    fx_t *f = *state;
    const char *extra[] = {"retry.max", "2", NULL};
    /* a port nobody listens on: bind one, learn it, close it */
    miniserver_t *tmp = mini_start();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", mini_port(tmp));
    mini_stop(tmp);
    make_client(f, url, extra);
    ucrm_response_t *r = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_passthrough(f->c, "POST", "/create", "{}", 2, NULL, &r, &e), UCRM_ERR_TRANSPORT);
    assert_int_equal(ucrm_error_write_state(e), UCRM_WRITE_NOT_APPLIED);
    assert_int_equal(ucrm_error_is_retriable(e), 1); /* safe: it never reached the server */
    assert_non_null(strstr(ucrm_error_message(e), "gave up after 3 attempts"));
    ucrm_error_destroy(e);
}

static void test_http__tls_failure_reported(void **state) {
    fx_t *f = *state;
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", mini_port(f->m)); /* a plain-HTTP server */
    make_client(f, url, NULL);
    ucrm_response_t *r = NULL;
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_passthrough(f->c, "GET", "/x", NULL, 0, NULL, &r, &e);
    assert_int_equal(rc, UCRM_ERR_TLS);
    assert_int_equal(ucrm_error_is_retriable(e), 0);
    ucrm_error_destroy(e);
}

static void test_http__plain_http_only_for_loopback(void **state) {
    fx_t *f = *state;
    ucrm_conf_t *conf = ucrm_conf_new();
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_conf_set(conf, "api.url", "http://api.hubapi.com", &e), UCRM_ERR_CONF_INVALID);
    ucrm_error_destroy(e);
    assert_int_equal(ucrm_conf_set(conf, "api.url", "http://localhost:8080", NULL), UCRM_OK);
    assert_int_equal(ucrm_conf_set(conf, "api.url", "https://api.hubapi.com", NULL), UCRM_OK);
    ucrm_conf_destroy(conf);
    /* an instance URL pushed by the application is held to the same rule */
    make_client(f, base(f), NULL);
    assert_int_equal(ucrm_client_set_token(f->c, "t2", NULL, 0, "http://evil.example.com", NULL),
                     UCRM_ERR_INVALID_ARG);
}

typedef struct timing {
    int n;
    int64_t server_us, elapsed_us;
} timing_t;

static void on_timing(const ucrm_request_info_t *info, void *opaque) {
    timing_t *t = opaque;
    t->n++;
    t->server_us = ucrm_request_info_server_time_us(info);
    t->elapsed_us = ucrm_request_info_elapsed_us(info);
}

/* The libcurl transport reads Server-Timing into the observer's server time: the fake's handler time, and the
 * miniserver's fixed "app;dur=0.250". */
static void test_http__server_timing_reaches_the_observer(void **state) {
    fx_t *f = *state;
    ucrm_fake_t *fk = fake_start("--seed", "1", NULL);
    assert_non_null(fk);
    timing_t t = {0};
    f->conf = ucrm_conf_new();
    assert_int_equal(ucrm_conf_set(f->conf, "provider", "hubspot", NULL), UCRM_OK);
    assert_int_equal(ucrm_conf_set(f->conf, "auth.access.token", "pat-test", NULL), UCRM_OK);
    assert_int_equal(ucrm_conf_set(f->conf, "api.url", fake_url(fk), NULL), UCRM_OK);
    assert_int_equal(ucrm_conf_set_request_observer(f->conf, on_timing, &t), UCRM_OK);
    assert_int_equal(ucrm_client_new(&f->c, f->conf, NULL), UCRM_OK);
    ucrm_response_t *r = NULL;
    assert_int_equal(ucrm_passthrough(f->c, "GET", "/crm/v3/objects/contacts?limit=1", NULL, 0, NULL, &r, NULL),
                     UCRM_OK);
    assert_int_equal(ucrm_response_status(r), 200);
    assert_non_null(ucrm_response_header(r, "Server-Timing"));
    ucrm_response_destroy(r);
    assert_int_equal(t.n, 1);
    assert_true(t.server_us > 0);
    assert_true(t.server_us <= t.elapsed_us);
    ucrm_client_destroy(f->c);
    ucrm_conf_destroy(f->conf);
    assert_int_equal(fake_stop(fk), 0);

    mini_set(f->m, MINI_OK, 200, "{}", 0);
    f->conf = ucrm_conf_new();
    assert_int_equal(ucrm_conf_set(f->conf, "provider", "hubspot", NULL), UCRM_OK);
    assert_int_equal(ucrm_conf_set(f->conf, "auth.access.token", "tok", NULL), UCRM_OK);
    assert_int_equal(ucrm_conf_set(f->conf, "api.url", base(f), NULL), UCRM_OK);
    assert_int_equal(ucrm_conf_set_request_observer(f->conf, on_timing, &t), UCRM_OK);
    assert_int_equal(ucrm_client_new(&f->c, f->conf, NULL), UCRM_OK);
    assert_int_equal(ucrm_passthrough(f->c, "GET", "/ping", NULL, 0, NULL, &r, NULL), UCRM_OK);
    ucrm_response_destroy(r);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.server_us, 250);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(n) cmocka_unit_test_setup_teardown(n, setup, teardown)
        T(test_http__keepalive_reuses_the_connection),
        T(test_http__request_headers_and_body),
        T(test_http__long_header_line_is_sent_whole),
        T(test_http__timeout_is_reported_and_get_retried),
        T(test_http__post_not_retried_after_dropped_connection),
        T(test_http__refused_connection_is_not_sent),
        T(test_http__tls_failure_reported),
        T(test_http__plain_http_only_for_loopback),
        T(test_http__server_timing_reaches_the_observer),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
