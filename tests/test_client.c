/*
 * test_client.c -- client lifecycle and configuration checks through the public API, version and features.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "helpers/script.h"
#include "helpers/testprov.h"
#include <unicrm/unicrm.h>

static int setup(void **state) {
    (void)state;
    testprov_register();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    testprov_unregister();
    return 0;
}

static ucrm_err_t try_client(const char *const *kv, ucrm_error_t **e) {
    ucrm_conf_t *conf = ucrm_conf_new();
    for (size_t i = 0; kv[i]; i += 2)
        assert_int_equal(ucrm_conf_set(conf, kv[i], kv[i + 1], NULL), UCRM_OK);
    ucrm_client_t *c = (ucrm_client_t *)0x1;
    ucrm_err_t rc = ucrm_client_new(&c, conf, e);
    ucrm_conf_destroy(conf); /* the client keeps its own copy */
    if (rc == UCRM_OK) {
        assert_string_equal(ucrm_client_provider(c), "hubspot");
        ucrm_client_destroy(c);
    } else {
        assert_null(c);
    }
    return rc;
}

static void test_client__needs_provider_and_credentials(void **state) {
    (void)state;
    ucrm_error_t *e = NULL;
    const char *none[] = {NULL};
    assert_int_equal(try_client(none, &e), UCRM_ERR_CONF_INVALID);
    assert_non_null(strstr(ucrm_error_message(e), "provider"));
    ucrm_error_destroy(e);
    e = NULL;
    const char *nocred[] = {"provider", "hubspot", NULL};
    assert_int_equal(try_client(nocred, &e), UCRM_ERR_CONF_INVALID);
    assert_non_null(strstr(ucrm_error_message(e), "credentials"));
    ucrm_error_destroy(e);
    const char *refresh_no_id[] = {"provider", "hubspot", "auth.refresh.token", "r", NULL};
    assert_int_equal(try_client(refresh_no_id, NULL), UCRM_ERR_CONF_INVALID);
    const char *ok[] = {"provider", "hubspot", "auth.access.token", "t", NULL};
    assert_int_equal(try_client(ok, NULL), UCRM_OK);
    const char *wrong_method[] = {"provider", "hubspot", "auth.access.token", "t", "auth.method", "jwt_bearer", NULL};
    assert_int_equal(try_client(wrong_method, NULL), UCRM_ERR_CONF_INVALID);
    /* an explicit auth.method names what it lacks */
    static const struct {
        const char *kv[9];
        const char *says;
    } lacking[] = {
        {{"provider", "hubspot", "auth.method", "static", "auth.refresh.token", "r", NULL}, "auth.access.token"},
        {{"provider", "hubspot", "auth.method", "refresh_token", "auth.refresh.token", "r", NULL}, "auth.client.id"},
        {{"provider", "salesforce", "auth.method", "client_credentials", "auth.client.id", "i", NULL},
         "auth.client.secret"},
        {{"provider", "salesforce", "auth.method", "jwt_bearer", "auth.client.id", "i", NULL}, "auth.jwt.key.file"},
    };
    for (size_t i = 0; i < sizeof lacking / sizeof *lacking; i++) {
        e = NULL;
        assert_int_equal(try_client(lacking[i].kv, &e), UCRM_ERR_CONF_INVALID);
        if (!strstr(ucrm_error_message(e), lacking[i].says))
            fail_msg("case %zu: '%s' does not name %s", i, ucrm_error_message(e), lacking[i].says);
        ucrm_error_destroy(e);
    }
}

static void test_client__scoped_key_for_other_provider(void **state) {
    (void)state;
    ucrm_error_t *e = NULL;
    const char *kv[] = {"provider", "hubspot", "auth.access.token", "t", "salesforce.api.version", "62.0", NULL};
    assert_int_equal(try_client(kv, &e), UCRM_ERR_CONF_INVALID);
    assert_non_null(strstr(ucrm_error_message(e), "salesforce.api.version"));
    ucrm_error_destroy(e);
}

static void test_client__null_arguments(void **state) {
    (void)state;
    ucrm_client_t *c = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_client_new(&c, NULL, &e), UCRM_ERR_INVALID_ARG);
    ucrm_error_destroy(e);
    assert_int_equal(ucrm_client_new(NULL, NULL, NULL), UCRM_ERR_INVALID_ARG);
    ucrm_client_destroy(NULL);
    assert_string_equal(ucrm_client_provider(NULL), "");
    char *s = NULL;
    assert_int_equal(ucrm_client_stats_json(NULL, &s, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_client_set_token(NULL, "a", NULL, 0, NULL, NULL), UCRM_ERR_INVALID_ARG);
}

static int token_cb_calls;
static int token_cb(const char *at, const char *rt, int64_t exp, const char *url, void *opaque) {
    (void)rt;
    (void)url;
    token_cb_calls++;
    assert_string_equal(at, "pushed");
    assert_int_equal(exp, 4102444800000);
    return *(int *)opaque;
}

static void test_client__set_token_pushes_and_notifies(void **state) {
    (void)state;
    script_t *s = script_new();
    ucrm_conf_t *conf = ucrm_conf_new();
    ucrm_conf_set(conf, "provider", "hubspot", NULL);
    ucrm_conf_set(conf, "auth.access.token", "first", NULL);
    int ret = 0;
    ucrm_conf_set_token_cb(conf, token_cb, &ret);
    script_install(s, conf);
    ucrm_client_t *c = NULL;
    assert_int_equal(ucrm_client_new(&c, conf, NULL), UCRM_OK);
    token_cb_calls = 0;
    assert_int_equal(ucrm_client_set_token(c, "pushed", NULL, 4102444800000, NULL, NULL), UCRM_OK);
    assert_int_equal(token_cb_calls, 1);
    script_expect(s, "GET", "/x", NULL, 200, NULL, "{}");
    ucrm_response_t *r = NULL;
    assert_int_equal(ucrm_passthrough(c, "GET", "/x", NULL, 0, NULL, &r, NULL), UCRM_OK);
    ucrm_response_destroy(r);
    assert_string_equal(script_request_header(s, 0, "Authorization"), "Bearer pushed");
    /* a callback can refuse: the call reports UCRM_ERR_USER with the callback's code */
    ret = 42;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_client_set_token(c, "pushed", NULL, 4102444800000, NULL, &e), UCRM_ERR_USER);
    assert_int_equal(ucrm_error_user_code(e), 42);
    ucrm_error_destroy(e);
    assert_int_equal(ucrm_client_set_token(c, "", NULL, 0, NULL, NULL), UCRM_ERR_INVALID_ARG);
    ucrm_client_destroy(c);
    ucrm_conf_destroy(conf);
    script_free(s);
}

static void test_client__version_and_features(void **state) {
    (void)state;
    assert_int_equal(ucrm_version(), UCRM_VERSION_NUM);
    assert_string_equal(ucrm_version_str(), UCRM_VERSION_STR);
    unsigned f = ucrm_features();
    assert_true(f & UCRM_FEATURE_THREADS);
    assert_true(f & UCRM_FEATURE_TLS);
    assert_non_null(strstr(ucrm_feature_backend(UCRM_FEATURE_TLS), "libcurl/"));
    assert_string_equal(ucrm_feature_backend(UCRM_FEATURE_JWT), "openssl");
    ucrm_object_t o;
    assert_int_equal(ucrm_object_from_name("deals", &o), UCRM_OK);
    assert_int_equal(o, UCRM_OBJECT_DEAL);
    assert_int_equal(ucrm_object_from_name("lead", &o), UCRM_ERR_INVALID_ARG);
    assert_string_equal(ucrm_object_name(UCRM_OBJECT_ACCOUNT), "account");
    assert_null(ucrm_object_name((ucrm_object_t)0));
}

static int destroyed;
static ucrm_err_t never_send(void *opaque, const ucrm_http_request_t *req, ucrm_http_response_t *resp) {
    (void)opaque;
    (void)req;
    return ucrm_http_response_set_failure(resp, UCRM_ERR_TRANSPORT, UCRM_HTTP_NOT_SENT, "x") == UCRM_OK
               ? UCRM_ERR_TRANSPORT : UCRM_ERR_FAIL;
}
static void on_destroy(void *opaque) {
    assert_ptr_equal(opaque, &destroyed);
    destroyed++;
}

static void test_client__transport_destroyed_with_last_client(void **state) {
    (void)state;
    ucrm_transport_t t;
    assert_int_equal(ucrm_transport_init(&t, 0), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_transport_init(&t, UCRM_TRANSPORT_VERSION + 1), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_transport_init(&t, UCRM_TRANSPORT_VERSION), UCRM_OK);
    t.opaque = &destroyed;
    t.send = never_send;
    t.destroy = on_destroy;
    ucrm_conf_t *conf = ucrm_conf_new();
    ucrm_conf_set(conf, "provider", "hubspot", NULL);
    ucrm_conf_set(conf, "auth.access.token", "t", NULL);
    assert_int_equal(ucrm_conf_set_transport(conf, &t), UCRM_OK);
    ucrm_client_t *a = NULL, *b = NULL;
    assert_int_equal(ucrm_client_new(&a, conf, NULL), UCRM_OK);
    assert_int_equal(ucrm_client_new(&b, conf, NULL), UCRM_OK);
    ucrm_conf_destroy(conf);
    destroyed = 0;
    ucrm_client_destroy(a);
    assert_int_equal(destroyed, 0);
    ucrm_client_destroy(b);
    assert_int_equal(destroyed, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(n) cmocka_unit_test_setup_teardown(n, setup, teardown)
        T(test_client__needs_provider_and_credentials),
        T(test_client__scoped_key_for_other_provider),
        T(test_client__null_arguments),
        T(test_client__set_token_pushes_and_notifies),
        T(test_client__version_and_features),
        T(test_client__transport_destroyed_with_last_client),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
