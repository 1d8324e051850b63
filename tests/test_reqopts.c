/*
 * test_reqopts.c -- request options: every setter's valid and invalid values, failed setters leave the object
 * unchanged, dup is deep, and the internal accessors give the defaults for NULL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "reqopts_int.h"

#include <stdio.h>

#define OK(x) assert_int_equal((x), UCRM_OK)
#define ERR(code, x) assert_int_equal((x), (code))

static ucrm_reqopts_t *mk(void) {
    ucrm_reqopts_t *o = NULL;
    OK(ucrm_reqopts_new(&o));
    assert_non_null(o);
    return o;
}

static void assert_fields(const ucrm_reqopts_t *o, const char *const *expect, size_t n) {
    assert_int_equal(ucrm_reqopts__nfields(o), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(ucrm_reqopts__field(o, i), expect[i]);
    assert_null(ucrm_reqopts__field(o, n));
}

static void test_reqopts__defaults_and_null_accessors(void **state) {
    (void)state;
    ucrm_reqopts_t *o = mk();
    const ucrm_reqopts_t *views[] = {NULL, o};
    for (size_t k = 0; k < 2; k++) {
        const ucrm_reqopts_t *v = views[k];
        int64_t ms = 42;
        assert_int_equal(ucrm_reqopts__nfields(v), 0);
        assert_null(ucrm_reqopts__field(v, 0));
        assert_int_equal(ucrm_reqopts__page_size(v), 0);
        assert_false(ucrm_reqopts__updated_since(v, &ms));
        assert_int_equal(ms, 42);
        assert_false(ucrm_reqopts__include_deleted(v));
        assert_int_equal(ucrm_reqopts__timeout_ms(v), 0);
        assert_int_equal(ucrm_reqopts__priority(v), UCRM_PRIORITY_NORMAL);
        assert_int_equal(ucrm_reqopts__max_wait_ms(v), -1);
        assert_null(ucrm_reqopts__idempotency_key(v));
        assert_false(ucrm_reqopts__all_or_none(v));
    }
    ucrm_reqopts_destroy(o);
    ucrm_reqopts_destroy(NULL);
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_new(NULL));
}

static void test_reqopts__null_handle_rejected(void **state) {
    (void)state;
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_fields(NULL, "email"));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_page_size(NULL, 10));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_updated_since(NULL, NULL));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_include_deleted(NULL, 1));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_timeout_ms(NULL, 1));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_priority(NULL, UCRM_PRIORITY_HIGH));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_max_wait_ms(NULL, 0));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_idempotency_key(NULL, "k"));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_all_or_none(NULL, 1));
    ucrm_reqopts_t *d = (ucrm_reqopts_t *)1;
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_dup(&d, NULL));
    assert_null(d);
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_dup(NULL, NULL));
}

static void test_reqopts__fields(void **state) {
    (void)state;
    ucrm_reqopts_t *o = mk();
    OK(ucrm_reqopts_set_fields(o, "first_name,email,custom.Lead_Source__c"));
    const char *a[] = {"first_name", "email", "custom.Lead_Source__c"};
    assert_fields(o, a, 3);
    OK(ucrm_reqopts_set_fields(o, "  first_name ,\temail\t, id,custom.x.y-z , first_name,email"));
    const char *b[] = {"first_name", "email", "id", "custom.x.y-z"}; /* trimmed, duplicates dropped */
    assert_fields(o, b, 4);
    OK(ucrm_reqopts_set_fields(o, "a"));
    const char *c[] = {"a"}; /* syntax only: not checked against an object */
    assert_fields(o, c, 1);
    OK(ucrm_reqopts_set_fields(o, "employee_count2,x_"));
    const char *bad[] = {",",           "email,",       ",email",     "email,,name", " , ",     "First_Name",
                         "2fa",         "_x",           "first-name", "first name",  "email;name", "custom.",
                         "custom.a b",  "custom.\xc3\xa9", "é",       "email,Name",  " ",       "\t"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_fields(o, bad[k]));
        const char *keep[] = {"employee_count2", "x_"}; /* unchanged by a failed set */
        assert_fields(o, keep, 2);
    }
    char longc[300];
    memcpy(longc, "custom.", 7);
    memset(longc + 7, 'q', 256);
    longc[7 + 256] = '\0';
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_fields(o, longc));
    longc[7 + 255] = '\0';
    OK(ucrm_reqopts_set_fields(o, longc));
    assert_int_equal(ucrm_reqopts__nfields(o), 1);
    OK(ucrm_reqopts_set_fields(o, ""));
    assert_fields(o, NULL, 0);
    OK(ucrm_reqopts_set_fields(o, "email"));
    OK(ucrm_reqopts_set_fields(o, NULL));
    assert_fields(o, NULL, 0);
    /* many fields */
    char many[4096];
    size_t n = 0;
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "%sf%d", i ? "," : "", i);
    OK(ucrm_reqopts_set_fields(o, many));
    assert_int_equal(ucrm_reqopts__nfields(o), 300);
    assert_string_equal(ucrm_reqopts__field(o, 299), "f299");
    ucrm_reqopts_destroy(o);
}

static void test_reqopts__page_size(void **state) {
    (void)state;
    ucrm_reqopts_t *o = mk();
    OK(ucrm_reqopts_set_page_size(o, 1));
    assert_int_equal(ucrm_reqopts__page_size(o), 1);
    OK(ucrm_reqopts_set_page_size(o, 2000));
    assert_int_equal(ucrm_reqopts__page_size(o), 2000);
    const int32_t bad[] = {0, -1, 2001, INT32_MIN, INT32_MAX};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_page_size(o, bad[k]));
    assert_int_equal(ucrm_reqopts__page_size(o), 2000);
    ucrm_reqopts_destroy(o);
}

static void test_reqopts__updated_since(void **state) {
    (void)state;
    ucrm_reqopts_t *o = mk();
    int64_t ms = 0;
    OK(ucrm_reqopts_set_updated_since(o, "2024-05-01T12:00:00Z"));
    assert_true(ucrm_reqopts__updated_since(o, &ms));
    assert_int_equal(ms, INT64_C(1714564800000));
    OK(ucrm_reqopts_set_updated_since(o, "2024-05-01T14:00:00.250+02:00"));
    assert_true(ucrm_reqopts__updated_since(o, &ms));
    assert_int_equal(ms, INT64_C(1714564800250));
    assert_true(ucrm_reqopts__updated_since(o, NULL));
    OK(ucrm_reqopts_set_updated_since(o, "2024-05-01T12:00:00.000+0000"));
    const char *bad[] = {"2024-05-01", "2024-05-01T12:00:00", "yesterday", "", "2024-02-30T00:00:00Z",
                         "1714564800000"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_updated_since(o, bad[k]));
        assert_true(ucrm_reqopts__updated_since(o, &ms));
        assert_int_equal(ms, INT64_C(1714564800000));
    }
    OK(ucrm_reqopts_set_updated_since(o, NULL));
    assert_false(ucrm_reqopts__updated_since(o, &ms));
    ucrm_reqopts_destroy(o);
}

static void test_reqopts__flags_timeouts_priority(void **state) {
    (void)state;
    ucrm_reqopts_t *o = mk();
    OK(ucrm_reqopts_set_include_deleted(o, 1));
    assert_true(ucrm_reqopts__include_deleted(o));
    OK(ucrm_reqopts_set_include_deleted(o, 0));
    assert_false(ucrm_reqopts__include_deleted(o));
    OK(ucrm_reqopts_set_include_deleted(o, 5));
    assert_true(ucrm_reqopts__include_deleted(o));
    OK(ucrm_reqopts_set_all_or_none(o, 1));
    assert_true(ucrm_reqopts__all_or_none(o));
    OK(ucrm_reqopts_set_all_or_none(o, 0));
    assert_false(ucrm_reqopts__all_or_none(o));

    OK(ucrm_reqopts_set_timeout_ms(o, 0));
    OK(ucrm_reqopts_set_timeout_ms(o, INT64_MAX));
    assert_int_equal(ucrm_reqopts__timeout_ms(o), INT64_MAX);
    OK(ucrm_reqopts_set_timeout_ms(o, 1500));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_timeout_ms(o, -1));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_timeout_ms(o, INT64_MIN));
    assert_int_equal(ucrm_reqopts__timeout_ms(o), 1500);

    OK(ucrm_reqopts_set_max_wait_ms(o, -1));
    assert_int_equal(ucrm_reqopts__max_wait_ms(o), -1);
    OK(ucrm_reqopts_set_max_wait_ms(o, 0));
    assert_int_equal(ucrm_reqopts__max_wait_ms(o), 0);
    OK(ucrm_reqopts_set_max_wait_ms(o, 60000));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_max_wait_ms(o, -2));
    assert_int_equal(ucrm_reqopts__max_wait_ms(o), 60000);

    OK(ucrm_reqopts_set_priority(o, UCRM_PRIORITY_LOW));
    assert_int_equal(ucrm_reqopts__priority(o), UCRM_PRIORITY_LOW);
    OK(ucrm_reqopts_set_priority(o, UCRM_PRIORITY_HIGH));
    OK(ucrm_reqopts_set_priority(o, UCRM_PRIORITY_NORMAL));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_priority(o, (ucrm_priority_t)0));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_priority(o, (ucrm_priority_t)4));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_priority(o, (ucrm_priority_t)-1));
    assert_int_equal(ucrm_reqopts__priority(o), UCRM_PRIORITY_NORMAL);
    ucrm_reqopts_destroy(o);
}

static void test_reqopts__idempotency_key(void **state) {
    (void)state;
    ucrm_reqopts_t *o = mk();
    OK(ucrm_reqopts_set_idempotency_key(o, "order-42:retry~1"));
    assert_string_equal(ucrm_reqopts__idempotency_key(o), "order-42:retry~1");
    char k[300];
    memset(k, 'k', 255);
    k[255] = '\0';
    OK(ucrm_reqopts_set_idempotency_key(o, k));
    OK(ucrm_reqopts_set_idempotency_key(o, "a b"));
    memset(k, 'k', 256);
    k[256] = '\0';
    const char *bad[] = {k, "", " lead", "trail ", "tab\there", "new\nline", "caf\xc3\xa9", "\x7f", "\x01"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ERR(UCRM_ERR_INVALID_ARG, ucrm_reqopts_set_idempotency_key(o, bad[i]));
        assert_string_equal(ucrm_reqopts__idempotency_key(o), "a b");
    }
    OK(ucrm_reqopts_set_idempotency_key(o, NULL));
    assert_null(ucrm_reqopts__idempotency_key(o));
    ucrm_reqopts_destroy(o);
}

static void test_reqopts__dup_is_deep(void **state) {
    (void)state;
    ucrm_reqopts_t *o = mk(), *d = NULL, *e = NULL;
    OK(ucrm_reqopts_set_fields(o, "email,custom.X"));
    OK(ucrm_reqopts_set_page_size(o, 250));
    OK(ucrm_reqopts_set_updated_since(o, "2024-05-01T12:00:00Z"));
    OK(ucrm_reqopts_set_include_deleted(o, 1));
    OK(ucrm_reqopts_set_timeout_ms(o, 9000));
    OK(ucrm_reqopts_set_priority(o, UCRM_PRIORITY_HIGH));
    OK(ucrm_reqopts_set_max_wait_ms(o, 100));
    OK(ucrm_reqopts_set_idempotency_key(o, "key-1"));
    OK(ucrm_reqopts_set_all_or_none(o, 1));
    OK(ucrm_reqopts_dup(&d, o));
    OK(ucrm_reqopts_set_fields(o, "name"));
    OK(ucrm_reqopts_set_idempotency_key(o, "key-2"));
    OK(ucrm_reqopts_set_page_size(o, 5));
    ucrm_reqopts_destroy(o);
    const char *f[] = {"email", "custom.X"};
    assert_fields(d, f, 2);
    int64_t ms;
    assert_int_equal(ucrm_reqopts__page_size(d), 250);
    assert_true(ucrm_reqopts__updated_since(d, &ms));
    assert_int_equal(ms, INT64_C(1714564800000));
    assert_true(ucrm_reqopts__include_deleted(d));
    assert_int_equal(ucrm_reqopts__timeout_ms(d), 9000);
    assert_int_equal(ucrm_reqopts__priority(d), UCRM_PRIORITY_HIGH);
    assert_int_equal(ucrm_reqopts__max_wait_ms(d), 100);
    assert_string_equal(ucrm_reqopts__idempotency_key(d), "key-1");
    assert_true(ucrm_reqopts__all_or_none(d));
    /* a copy of the defaults */
    OK(ucrm_reqopts_new(&o));
    OK(ucrm_reqopts_dup(&e, o));
    assert_int_equal(ucrm_reqopts__nfields(e), 0);
    assert_null(ucrm_reqopts__idempotency_key(e));
    assert_int_equal(ucrm_reqopts__max_wait_ms(e), -1);
    ucrm_reqopts_destroy(o);
    ucrm_reqopts_destroy(e);
    ucrm_reqopts_destroy(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reqopts__defaults_and_null_accessors),
        cmocka_unit_test(test_reqopts__null_handle_rejected),
        cmocka_unit_test(test_reqopts__fields),
        cmocka_unit_test(test_reqopts__page_size),
        cmocka_unit_test(test_reqopts__updated_since),
        cmocka_unit_test(test_reqopts__flags_timeouts_priority),
        cmocka_unit_test(test_reqopts__idempotency_key),
        cmocka_unit_test(test_reqopts__dup_is_deep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
