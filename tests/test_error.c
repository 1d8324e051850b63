/*
 * test_error.c -- error codes (exact values: the ABI), names, descriptions, the exported list, and the error
 * object (accessors, NULL safety, dup, destroy, the out-of-memory singleton).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "error_int.h"

/* Every code of version 1.0 with its fixed value. Codes are only appended: a changed value breaks the ABI. */
static const struct {
    ucrm_err_t code;
    int value;
    const char *name;
} abi[] = {
    {UCRM_OK, 0, "UCRM_OK"},
    {UCRM_ITEROVER, 1, "UCRM_ITEROVER"},
    {UCRM_PASSTHROUGH, 2, "UCRM_PASSTHROUGH"},
    {UCRM_ERR_INVALID_ARG, -1, "UCRM_ERR_INVALID_ARG"},
    {UCRM_ERR_UNSUPPORTED, -2, "UCRM_ERR_UNSUPPORTED"},
    {UCRM_ERR_NOENT, -3, "UCRM_ERR_NOENT"},
    {UCRM_ERR_TYPE, -4, "UCRM_ERR_TYPE"},
    {UCRM_ERR_INVALID_FIELD, -5, "UCRM_ERR_INVALID_FIELD"},
    {UCRM_ERR_STATE, -6, "UCRM_ERR_STATE"},
    {UCRM_ERR_USER, -7, "UCRM_ERR_USER"},
    {UCRM_ERR_FAIL, -8, "UCRM_ERR_FAIL"},
    {UCRM_ERR_NOMEM, -20, "UCRM_ERR_NOMEM"},
    {UCRM_ERR_CONF_UNKNOWN, -30, "UCRM_ERR_CONF_UNKNOWN"},
    {UCRM_ERR_CONF_INVALID, -31, "UCRM_ERR_CONF_INVALID"},
    {UCRM_ERR_NOT_BUILT_IN, -32, "UCRM_ERR_NOT_BUILT_IN"},
    {UCRM_ERR_TRANSPORT, -40, "UCRM_ERR_TRANSPORT"},
    {UCRM_ERR_TIMEOUT, -41, "UCRM_ERR_TIMEOUT"},
    {UCRM_ERR_TLS, -42, "UCRM_ERR_TLS"},
    {UCRM_ERR_AUTH, -50, "UCRM_ERR_AUTH"},
    {UCRM_ERR_FORBIDDEN, -51, "UCRM_ERR_FORBIDDEN"},
    {UCRM_ERR_RATE_LIMITED, -60, "UCRM_ERR_RATE_LIMITED"},
    {UCRM_ERR_QUOTA_EXHAUSTED, -61, "UCRM_ERR_QUOTA_EXHAUSTED"},
    {UCRM_ERR_NOT_FOUND, -70, "UCRM_ERR_NOT_FOUND"},
    {UCRM_ERR_CONFLICT, -71, "UCRM_ERR_CONFLICT"},
    {UCRM_ERR_VALIDATION, -72, "UCRM_ERR_VALIDATION"},
    {UCRM_ERR_PROVIDER, -73, "UCRM_ERR_PROVIDER"},
    {UCRM_ERR_PROTOCOL, -74, "UCRM_ERR_PROTOCOL"},
    {UCRM_ERR_PARTIAL, -75, "UCRM_ERR_PARTIAL"},
};
#define NABI (sizeof abi / sizeof *abi)

static void test_error__codes_have_fixed_values(void **state) {
    (void)state;
    for (size_t i = 0; i < NABI; i++) {
        if ((int)abi[i].code != abi[i].value)
            fail_msg("%s is %d, must stay %d", abi[i].name, (int)abi[i].code, abi[i].value);
        assert_string_equal(ucrm_err_name(abi[i].code), abi[i].name);
    }
    /* other fixed values of the public header */
    assert_int_equal(UCRM_WRITE_NA, 0);
    assert_int_equal(UCRM_WRITE_NOT_APPLIED, 1);
    assert_int_equal(UCRM_WRITE_UNKNOWN, 2);
    assert_int_equal(UCRM_LOG_ERROR, 3);
    assert_int_equal(UCRM_LOG_DEBUG, 7);
}

static void test_error__list_is_complete_and_distinct(void **state) {
    (void)state;
    const ucrm_err_t *codes = NULL;
    size_t n = 0;
    assert_int_equal(ucrm_err_list(&codes, &n), UCRM_OK);
    assert_non_null(codes);
    assert_true(n >= NABI); /* appending is allowed */
    for (size_t i = 0; i < NABI; i++) {
        size_t found = 0;
        for (size_t k = 0; k < n; k++)
            found += codes[k] == abi[i].code;
        if (found != 1)
            fail_msg("%s appears %zu times in ucrm_err_list", abi[i].name, found);
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = ucrm_err_name(codes[i]);
        const char *desc = ucrm_err_str(codes[i]);
        assert_true(strncmp(name, "UCRM_", 5) == 0);
        assert_string_not_equal(name, "UCRM_ERR_UNKNOWN");
        assert_non_null(desc);
        assert_true(strlen(desc) > 0);
        assert_int_equal(strncmp(name, "UCRM_ERR_", 9) == 0, codes[i] < 0);
        for (size_t k = i + 1; k < n; k++) {
            assert_int_not_equal(codes[i], codes[k]);
            assert_string_not_equal(name, ucrm_err_name(codes[k]));
        }
    }
    assert_int_equal(ucrm_err_list(NULL, &n), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_err_list(&codes, NULL), UCRM_ERR_INVALID_ARG);
}

/* Errors are negative and fall in the ranges the header documents. */
static void test_error__codes_grouped(void **state) {
    (void)state;
    static const struct {
        int hi, lo;
        ucrm_err_t members[8];
    } groups[] = {
        {-1, -19, {UCRM_ERR_INVALID_ARG, UCRM_ERR_UNSUPPORTED, UCRM_ERR_NOENT, UCRM_ERR_TYPE, UCRM_ERR_INVALID_FIELD,
                   UCRM_ERR_STATE, UCRM_ERR_USER, UCRM_ERR_FAIL}},
        {-20, -29, {UCRM_ERR_NOMEM}},
        {-30, -39, {UCRM_ERR_CONF_UNKNOWN, UCRM_ERR_CONF_INVALID, UCRM_ERR_NOT_BUILT_IN}},
        {-40, -49, {UCRM_ERR_TRANSPORT, UCRM_ERR_TIMEOUT, UCRM_ERR_TLS}},
        {-50, -59, {UCRM_ERR_AUTH, UCRM_ERR_FORBIDDEN}},
        {-60, -69, {UCRM_ERR_RATE_LIMITED, UCRM_ERR_QUOTA_EXHAUSTED}},
        {-70, -89, {UCRM_ERR_NOT_FOUND, UCRM_ERR_CONFLICT, UCRM_ERR_VALIDATION, UCRM_ERR_PROVIDER,
                    UCRM_ERR_PROTOCOL, UCRM_ERR_PARTIAL}},
    };
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++)
        for (size_t i = 0; i < 8 && groups[g].members[i]; i++) {
            int v = (int)groups[g].members[i];
            if (v > groups[g].hi || v < groups[g].lo)
                fail_msg("%s (%d) outside %d..%d", ucrm_err_name(groups[g].members[i]), v, groups[g].hi,
                         groups[g].lo);
        }
    const ucrm_err_t *codes;
    size_t n;
    ucrm_err_list(&codes, &n);
    for (size_t i = 0; i < n; i++)
        assert_true(codes[i] >= UCRM_ERR_PARTIAL - 14 && codes[i] <= UCRM_PASSTHROUGH);
}

static void test_error__unknown_code(void **state) {
    (void)state;
    assert_string_equal(ucrm_err_name((ucrm_err_t)-999), "UCRM_ERR_UNKNOWN");
    assert_string_equal(ucrm_err_name((ucrm_err_t)12345), "UCRM_ERR_UNKNOWN");
    assert_string_equal(ucrm_err_name((ucrm_err_t)-9), "UCRM_ERR_UNKNOWN");
    assert_true(strlen(ucrm_err_str((ucrm_err_t)-999)) > 0);
}

static void test_error__accessors_null_safe(void **state) {
    (void)state;
    assert_int_equal(ucrm_error_code(NULL), UCRM_OK);
    assert_string_equal(ucrm_error_message(NULL), "");
    assert_int_equal(ucrm_error_is_retriable(NULL), 0);
    assert_int_equal(ucrm_error_write_state(NULL), UCRM_WRITE_NA);
    assert_int_equal(ucrm_error_http_status(NULL), 0);
    assert_string_equal(ucrm_error_provider_code(NULL), "");
    assert_string_equal(ucrm_error_request_id(NULL), "");
    assert_int_equal(ucrm_error_retry_after_ms(NULL), 0);
    assert_string_equal(ucrm_error_field(NULL), "");
    assert_string_equal(ucrm_error_existing_id(NULL), "");
    assert_string_equal(ucrm_error_details(NULL), "");
    assert_int_equal(ucrm_error_user_code(NULL), 0);
    assert_null(ucrm_error_dup(NULL));
    ucrm_error_destroy(NULL);
}

static void test_error__from_conf_set(void **state) {
    (void)state;
    ucrm_conf_t *c = ucrm_conf_new();
    assert_non_null(c);
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_conf_set(c, "retry.max", "many", &e), UCRM_ERR_CONF_INVALID);
    assert_non_null(e);
    assert_int_equal(ucrm_error_code(e), UCRM_ERR_CONF_INVALID);
    assert_non_null(strstr(ucrm_error_message(e), "retry.max"));
    assert_non_null(strstr(ucrm_error_message(e), "many"));
    /* the provider details of a local error are empty */
    assert_int_equal(ucrm_error_is_retriable(e), 0);
    assert_int_equal(ucrm_error_http_status(e), 0);
    assert_string_equal(ucrm_error_provider_code(e), "");
    assert_string_equal(ucrm_error_request_id(e), "");
    assert_string_equal(ucrm_error_field(e), "");
    assert_int_equal(ucrm_error_retry_after_ms(e), 0);
    assert_int_equal(ucrm_error_write_state(e), UCRM_WRITE_NA);
    ucrm_error_destroy(e);
    e = NULL;
    assert_int_equal(ucrm_conf_set(c, "not.a.key", "1", &e), UCRM_ERR_CONF_UNKNOWN);
    assert_int_equal(ucrm_error_code(e), UCRM_ERR_CONF_UNKNOWN);
    assert_non_null(strstr(ucrm_error_message(e), "not.a.key"));
    ucrm_error_destroy(e);
    ucrm_conf_destroy(c);
}

static void test_error__dup_copies_every_field(void **state) {
    (void)state;
    ucrm_error_t *e = ucrm_error__new(UCRM_ERR_CONFLICT, "duplicate %s", "contact");
    assert_non_null(e);
    assert_false(e->is_static);
    ucrm_error__set_provider(e, 409, "CONFLICT", "corr-123");
    ucrm_error__set_field(e, "email");
    ucrm_error__set_existing_id(e, "9876");
    ucrm_error__set_details(e, "{\"status\":\"error\"}");
    ucrm_error__set_retry(e, 1, 1500);
    ucrm_error__set_write_state(e, UCRM_WRITE_UNKNOWN);
    e->user_code = 7;
    ucrm_error_t *d = ucrm_error_dup(e);
    assert_non_null(d);
    assert_ptr_not_equal(d, e);
    assert_int_equal(ucrm_error_code(d), UCRM_ERR_CONFLICT);
    assert_string_equal(ucrm_error_message(d), "duplicate contact");
    assert_int_equal(ucrm_error_http_status(d), 409);
    assert_string_equal(ucrm_error_provider_code(d), "CONFLICT");
    assert_string_equal(ucrm_error_request_id(d), "corr-123");
    assert_string_equal(ucrm_error_field(d), "email");
    assert_string_equal(ucrm_error_existing_id(d), "9876");
    assert_string_equal(ucrm_error_details(d), "{\"status\":\"error\"}");
    assert_int_equal(ucrm_error_is_retriable(d), 1);
    assert_int_equal(ucrm_error_retry_after_ms(d), 1500);
    assert_int_equal(ucrm_error_write_state(d), UCRM_WRITE_UNKNOWN);
    assert_int_equal(ucrm_error_user_code(d), 7);
    /* deep: no string is shared */
    assert_ptr_not_equal(ucrm_error_message(d), ucrm_error_message(e));
    assert_ptr_not_equal(ucrm_error_provider_code(d), ucrm_error_provider_code(e));
    assert_ptr_not_equal(ucrm_error_request_id(d), ucrm_error_request_id(e));
    assert_ptr_not_equal(ucrm_error_field(d), ucrm_error_field(e));
    assert_ptr_not_equal(ucrm_error_existing_id(d), ucrm_error_existing_id(e));
    assert_ptr_not_equal(ucrm_error_details(d), ucrm_error_details(e));
    ucrm_error_destroy(e);
    assert_string_equal(ucrm_error_details(d), "{\"status\":\"error\"}"); /* outlives the original */
    ucrm_error_destroy(d);

    /* a minimal error duplicates with empty details */
    e = ucrm_error__new(UCRM_ERR_FAIL, "plain");
    d = ucrm_error_dup(e);
    assert_string_equal(ucrm_error_message(d), "plain");
    assert_string_equal(ucrm_error_field(d), "");
    ucrm_error_destroy(e);
    ucrm_error_destroy(d);
}

static void test_error__oom_singleton(void **state) {
    (void)state;
    ucrm_error_t *oom = &ucrm__oom_error;
    assert_int_equal(ucrm_error_code(oom), UCRM_ERR_NOMEM);
    assert_true(strlen(ucrm_error_message(oom)) > 0);
    assert_ptr_equal(ucrm_error_dup(oom), oom);
    ucrm_error_destroy(oom); /* ignored */
    ucrm_error__set_field(oom, "x"); /* setters ignore it too */
    assert_string_equal(ucrm_error_field(oom), "");
    assert_int_equal(ucrm_error_code(oom), UCRM_ERR_NOMEM);
}

static void test_error__fail_and_give(void **state) {
    (void)state;
    assert_int_equal(ucrm__fail(NULL, UCRM_ERR_STATE, "x %d", 1), UCRM_ERR_STATE);
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm__fail(&e, UCRM_ERR_TIMEOUT, "after %d ms", 30), UCRM_ERR_TIMEOUT);
    assert_string_equal(ucrm_error_message(e), "after 30 ms");
    /* a second failure replaces the first (no leak: valgrind/ASan check) */
    assert_int_equal(ucrm__fail(&e, UCRM_ERR_AUTH, "revoked"), UCRM_ERR_AUTH);
    assert_int_equal(ucrm_error_code(e), UCRM_ERR_AUTH);
    assert_int_equal(ucrm__give(&e, &ucrm__oom_error), UCRM_ERR_NOMEM);
    assert_ptr_equal(e, &ucrm__oom_error);
    ucrm_error_destroy(e);
    assert_int_equal(ucrm__give(NULL, ucrm_error__new(UCRM_ERR_FAIL, "dropped")), UCRM_ERR_FAIL);
    ucrm_error_t *m = ucrm_error__new(UCRM_ERR_FAIL, "first");
    ucrm_error__set_message(m, "second %s", "try");
    assert_string_equal(ucrm_error_message(m), "second try");
    ucrm_error_destroy(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error__codes_have_fixed_values),
        cmocka_unit_test(test_error__list_is_complete_and_distinct),
        cmocka_unit_test(test_error__codes_grouped),
        cmocka_unit_test(test_error__unknown_code),
        cmocka_unit_test(test_error__accessors_null_safe),
        cmocka_unit_test(test_error__from_conf_set),
        cmocka_unit_test(test_error__dup_copies_every_field),
        cmocka_unit_test(test_error__oom_singleton),
        cmocka_unit_test(test_error__fail_and_give),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
