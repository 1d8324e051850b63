/*
 * test_record.c -- records: types and conversions for every model type, field names, read-only fields, custom
 * fields, dirty tracking, JSON in and out (round trips, malformed, huge, deep, non-UTF-8 input), the adapters'
 * put_* API, merge, dup and record pages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "record_int.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define OK(x) assert_int_equal((x), UCRM_OK)
#define ERR(code, x) assert_int_equal((x), (code))

static ucrm_record_t *mk(ucrm_object_t o) {
    ucrm_record_t *r = NULL;
    OK(ucrm_record_new(&r, o));
    return r;
}

static ucrm_record_t *from_json(ucrm_object_t o, const char *json) {
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_record_new_from_json(&r, o, json, strlen(json), &e);
    if (rc != UCRM_OK)
        fail_msg("new_from_json(%s): %s", json, ucrm_error_message(e));
    return r;
}

/* The code new_from_json gives; the error's message and field are checked when wanted. */
static ucrm_err_t from_json_err(ucrm_object_t o, const char *json, size_t len, const char *field,
                                const char *msg_part) {
    ucrm_record_t *r = (ucrm_record_t *)1;
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_record_new_from_json(&r, o, json, len, &e);
    if (rc != UCRM_OK) {
        assert_null(r);
        assert_non_null(e);
        assert_int_equal(ucrm_error_code(e), rc);
        if (field)
            assert_string_equal(ucrm_error_field(e), field);
        if (msg_part && !strstr(ucrm_error_message(e), msg_part))
            fail_msg("message \"%s\" lacks \"%s\"", ucrm_error_message(e), msg_part);
    } else {
        ucrm_record_destroy(r);
    }
    ucrm_error_destroy(e);
    return rc;
}

static void assert_json(const ucrm_record_t *r, const char *expect) {
    char *s = NULL;
    OK(ucrm_record_to_json(r, &s));
    assert_string_equal(s, expect);
    ucrm_free(s);
}

static void assert_field_json(const ucrm_record_t *r, const char *field, const char *expect) {
    char *s = NULL;
    OK(ucrm_record_get_json(r, field, &s));
    assert_string_equal(s, expect);
    ucrm_free(s);
}

static void assert_str(const ucrm_record_t *r, const char *field, const char *expect) {
    const char *s = NULL;
    OK(ucrm_record_get_string(r, field, &s));
    assert_string_equal(s, expect);
}

/* ============================================================================================== basics */

static void test_record__new_destroy(void **state) {
    (void)state;
    ucrm_record_t *r = (ucrm_record_t *)1;
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_new(&r, (ucrm_object_t)0));
    assert_null(r);
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_new(&r, (ucrm_object_t)4));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_new(NULL, UCRM_OBJECT_CONTACT));
    ucrm_record_destroy(NULL);
    r = mk(UCRM_OBJECT_DEAL);
    assert_int_equal(ucrm_record_object(r), UCRM_OBJECT_DEAL);
    assert_null(ucrm_record_id(r));
    assert_int_equal(ucrm_record_field_count(r), 0);
    assert_null(ucrm_record_field_name(r, 0));
    assert_int_equal(ucrm_record_is_dirty(r, NULL), 0);
    assert_json(r, "{}");
    ucrm_record_destroy(r);
    /* NULL-safe accessors */
    assert_int_equal(ucrm_record_object(NULL), 0);
    assert_null(ucrm_record_id(NULL));
    assert_int_equal(ucrm_record_field_count(NULL), 0);
    assert_null(ucrm_record_field_name(NULL, 0));
    assert_int_equal(ucrm_record_is_dirty(NULL, NULL), 0);
    assert_int_equal(ucrm_record_field_type(NULL, "email"), UCRM_FIELD_NONE);
    assert_int_equal(ucrm_record_is_null(NULL, "email"), 0);
    ucrm_record_clear_dirty(NULL);
    const char *s;
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_get_string(NULL, "email", &s));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_string(NULL, "email", "x"));
    char *out;
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_to_json(NULL, &out));
}

static void test_record__string_fields_order_and_replace(void **state) {
    (void)state;
    ucrm_record_t *r = mk(UCRM_OBJECT_CONTACT);
    OK(ucrm_record_set_string(r, "last_name", "Lovelace"));
    OK(ucrm_record_set_string(r, "first_name", "Ada"));
    OK(ucrm_record_set_string(r, "custom.Nick__c", "countess"));
    OK(ucrm_record_set_string(r, "last_name", "King")); /* replaced in place */
    assert_int_equal(ucrm_record_field_count(r), 3);
    assert_string_equal(ucrm_record_field_name(r, 0), "last_name");
    assert_string_equal(ucrm_record_field_name(r, 1), "first_name");
    assert_string_equal(ucrm_record_field_name(r, 2), "custom.Nick__c");
    assert_null(ucrm_record_field_name(r, 3));
    assert_str(r, "last_name", "King");
    assert_int_equal(ucrm_record_field_type(r, "first_name"), UCRM_FIELD_STRING);
    assert_int_equal(ucrm_record_field_type(r, "email"), UCRM_FIELD_NONE);
    const char *s;
    ERR(UCRM_ERR_NOENT, ucrm_record_get_string(r, "email", &s));
    ERR(UCRM_ERR_NOENT, ucrm_record_get_string(r, "custom.Other", &s));
    OK(ucrm_record_set_string(r, "email", "")); /* empty strings are values */
    assert_str(r, "email", "");
    OK(ucrm_record_set_string(r, "title", "a \"quoted\"\n\\ title\x01"));
    assert_field_json(r, "title", "\"a \\\"quoted\\\"\\n\\\\ title\\u0001\"");
    /* unified names are the model's static strings, custom ones are owned copies */
    size_t n;
    const ucrm_model_field_t *m = ucrm_model__fields(UCRM_OBJECT_CONTACT, &n);
    const char *model_last = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].name, "last_name") == 0)
            model_last = m[i].name;
    assert_ptr_equal(ucrm_record_field_name(r, 0), model_last);
    ucrm_record_destroy(r);
}

static void test_record__id_is_special(void **state) {
    (void)state;
    ucrm_record_t *r = mk(UCRM_OBJECT_CONTACT);
    const char *s;
    char *js;
    int64_t i;
    ERR(UCRM_ERR_NOENT, ucrm_record_get_string(r, "id", &s));
    ERR(UCRM_ERR_NOENT, ucrm_record_get_json(r, "id", &js));
    ERR(UCRM_ERR_NOENT, ucrm_record_get_int64(r, "id", &i));
    ERR(UCRM_ERR_NOENT, ucrm_record_unset(r, "id"));
    assert_int_equal(ucrm_record_field_type(r, "id"), UCRM_FIELD_NONE);
    OK(ucrm_record_set_string(r, "id", "0031x"));
    assert_string_equal(ucrm_record_id(r), "0031x");
    assert_str(r, "id", "0031x");
    assert_field_json(r, "id", "\"0031x\"");
    ERR(UCRM_ERR_TYPE, ucrm_record_get_int64(r, "id", &i));
    assert_int_equal(ucrm_record_field_type(r, "id"), UCRM_FIELD_STRING);
    assert_int_equal(ucrm_record_field_count(r), 0); /* not a field */
    assert_int_equal(ucrm_record_is_dirty(r, "id"), 0);
    assert_int_equal(ucrm_record_is_dirty(r, NULL), 0);
    assert_json(r, "{\"id\":\"0031x\"}");
    ERR(UCRM_ERR_TYPE, ucrm_record_set_int64(r, "id", 5));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_json(r, "id", "5"));
    OK(ucrm_record_set_json(r, "id", "\"a\\u00e9\""));
    assert_string_equal(ucrm_record_id(r), "a\xc3\xa9");
    OK(ucrm_record_set_null(r, "id"));
    assert_null(ucrm_record_id(r));
    OK(ucrm_record_set_id(r, "abc"));
    OK(ucrm_record_unset(r, "id"));
    assert_null(ucrm_record_id(r));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_id(r, ""));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_id(r, "\xff"));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_id(NULL, "x"));
    OK(ucrm_record_set_id(r, "x"));
    OK(ucrm_record_set_id(r, NULL));
    assert_null(ucrm_record_id(r));
    ucrm_record_destroy(r);
}

static void test_record__invalid_field_names(void **state) {
    (void)state;
    ucrm_record_t *r = mk(UCRM_OBJECT_CONTACT);
    const char *bad[] = {"bogus", "", "custom.", "custom.a b", "Custom.x", "custom", "industry" /* account */,
                         "amount" /* deal */, "first_name ", "custom.\xc3\xa9"};
    const char *s;
    char *js;
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        ERR(UCRM_ERR_INVALID_FIELD, ucrm_record_set_string(r, bad[k], "x"));
        ERR(UCRM_ERR_INVALID_FIELD, ucrm_record_set_null(r, bad[k]));
        ERR(UCRM_ERR_INVALID_FIELD, ucrm_record_set_json(r, bad[k], "1"));
        ERR(UCRM_ERR_INVALID_FIELD, ucrm_record_get_string(r, bad[k], &s));
        ERR(UCRM_ERR_INVALID_FIELD, ucrm_record_get_json(r, bad[k], &js));
        ERR(UCRM_ERR_INVALID_FIELD, ucrm_record_unset(r, bad[k]));
        assert_int_equal(ucrm_record_field_type(r, bad[k]), UCRM_FIELD_NONE);
    }
    char longname[300];
    memset(longname, 'a', sizeof longname);
    memcpy(longname, "custom.", 7);
    longname[7 + 255] = '\0';
    OK(ucrm_record_set_int64(r, longname, 1));
    longname[7 + 255] = 'a';
    longname[7 + 256] = '\0';
    ERR(UCRM_ERR_INVALID_FIELD, ucrm_record_set_int64(r, longname, 1));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_string(r, NULL, "x"));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_string(r, "email", NULL));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_json(r, "email", NULL));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_get_string(r, "email", NULL));
    assert_int_equal(ucrm_record_field_count(r), 1);
    ucrm_record_destroy(r);
}

static void test_record__read_only_fields_rejected(void **state) {
    (void)state;
    const struct {
        ucrm_object_t o;
        const char *f;
    } ro[] = {{UCRM_OBJECT_CONTACT, "created_at"}, {UCRM_OBJECT_ACCOUNT, "updated_at"},
              {UCRM_OBJECT_DEAL, "is_deleted"},    {UCRM_OBJECT_DEAL, "status"}};
    for (size_t k = 0; k < sizeof ro / sizeof *ro; k++) {
        ucrm_record_t *r = mk(ro[k].o);
        ERR(UCRM_ERR_UNSUPPORTED, ucrm_record_set_string(r, ro[k].f, "2024-05-01T12:00:00Z"));
        ERR(UCRM_ERR_UNSUPPORTED, ucrm_record_set_string(r, ro[k].f, "won"));
        ERR(UCRM_ERR_UNSUPPORTED, ucrm_record_set_int64(r, ro[k].f, 1));
        ERR(UCRM_ERR_UNSUPPORTED, ucrm_record_set_double(r, ro[k].f, 1));
        ERR(UCRM_ERR_UNSUPPORTED, ucrm_record_set_bool(r, ro[k].f, 1));
        ERR(UCRM_ERR_UNSUPPORTED, ucrm_record_set_time_ms(r, ro[k].f, 0));
        ERR(UCRM_ERR_UNSUPPORTED, ucrm_record_set_null(r, ro[k].f));
        ERR(UCRM_ERR_UNSUPPORTED, ucrm_record_set_json(r, ro[k].f, "true"));
        assert_int_equal(ucrm_record_field_count(r), 0);
        /* the adapters' path is not read-only checked */
        OK(ucrm_record__put_null(r, ro[k].f));
        assert_int_equal(ucrm_record_is_null(r, ro[k].f), 1);
        assert_int_equal(ucrm_record_is_dirty(r, NULL), 0);
        ucrm_record_destroy(r);
    }
}

/* ============================================================================================== types */

static void test_record__datetime_provider_forms_normalised(void **state) {
    (void)state;
    static const struct {
        const char *in, *out;
    } forms[] = {
        {"2024-05-01T12:00:00Z", "2024-05-01T12:00:00.000Z"},          /* HubSpot, RFC 3339 */
        {"2024-05-01T12:00:00.123Z", "2024-05-01T12:00:00.123Z"},      /* HubSpot */
        {"2024-05-01T12:00:00.000+0000", "2024-05-01T12:00:00.000Z"},  /* Salesforce */
        {"2024-05-01T14:30:00.000+02:30", "2024-05-01T12:00:00.000Z"}, /* offset */
        {"2024-05-01T07:00:00-05:00", "2024-05-01T12:00:00.000Z"},
        {"2024-05-01T07:00:00-05", "2024-05-01T12:00:00.000Z"},
        {"2024-05-01T12:00:00.123456789Z", "2024-05-01T12:00:00.123Z"}, /* sub-ms digits dropped */
        {"2024-05-01t12:00:00.5z", "2024-05-01T12:00:00.500Z"},
        {"2024-05-01 12:00:00Z", "2024-05-01T12:00:00.000Z"},
        {"2024-01-01T00:30:00+01:00", "2023-12-31T23:30:00.000Z"},
        {"2024-02-29T23:59:59.999Z", "2024-02-29T23:59:59.999Z"},
        {"1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"},
    };
    ucrm_record_t *r = mk(UCRM_OBJECT_CONTACT);
    for (size_t k = 0; k < sizeof forms / sizeof *forms; k++) {
        /* created_at: through the adapter path and through JSON; custom: set_json keeps strings as strings */
        OK(ucrm_record__put_str(r, "created_at", UCRM_FIELD_DATETIME, forms[k].in, strlen(forms[k].in)));
        assert_str(r, "created_at", forms[k].out);
        char doc[128];
        snprintf(doc, sizeof doc, "{\"updated_at\":\"%s\"}", forms[k].in);
        ucrm_record_t *j = from_json(UCRM_OBJECT_CONTACT, doc);
        assert_str(j, "updated_at", forms[k].out);
        assert_int_equal(ucrm_record_field_type(j, "updated_at"), UCRM_FIELD_DATETIME);
        ucrm_record_destroy(j);
    }
    int64_t ms;
    OK(ucrm_record__put_str(r, "created_at", UCRM_FIELD_DATETIME, "2024-05-01T12:00:00.250Z", 24));
    OK(ucrm_record_get_time_ms(r, "created_at", &ms));
    assert_int_equal(ms, INT64_C(1714564800250));
    OK(ucrm_record__put_time(r, "created_at", INT64_C(-1)));
    assert_str(r, "created_at", "1969-12-31T23:59:59.999Z");
    OK(ucrm_record__put_time(r, "created_at", INT64_C(253402300799999)));
    assert_str(r, "created_at", "9999-12-31T23:59:59.999Z");
    OK(ucrm_record__put_time(r, "created_at", INT64_C(-62167219200000)));
    assert_str(r, "created_at", "0000-01-01T00:00:00.000Z");
    ERR(UCRM_ERR_PROTOCOL, ucrm_record__put_time(r, "created_at", INT64_C(253402300800000)));
    ERR(UCRM_ERR_PROTOCOL, ucrm_record__put_time(r, "created_at", INT64_MIN));
    ERR(UCRM_ERR_PROTOCOL, ucrm_record__put_time(r, "created_at", INT64_MAX));
    /* rejected forms */
    const char *bad[] = {"2024-05-01",           "2024-05-01T12:00:00",   "2024-05-01T12:00Z",
                         "2024-05-01T24:00:00Z", "2024-02-30T00:00:00Z",  "2024-05-01T12:00:00.Z",
                         "2024-05-01T12:00:00+1", "9999-12-31T23:59:59-01:00", "yesterday", ""};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        ERR(UCRM_ERR_PROTOCOL, ucrm_record__put_str(r, "created_at", UCRM_FIELD_DATETIME, bad[k], strlen(bad[k])));
        char doc[128];
        snprintf(doc, sizeof doc, "{\"created_at\":\"%s\"}", bad[k]);
        assert_int_not_equal(from_json_err(UCRM_OBJECT_CONTACT, doc, strlen(doc), "created_at", NULL), UCRM_OK);
    }
    /* custom date-times from epoch ms */
    OK(ucrm_record_set_time_ms(r, "custom.Seen__c", INT64_C(1714564800000)));
    assert_int_equal(ucrm_record_field_type(r, "custom.Seen__c"), UCRM_FIELD_DATETIME);
    assert_str(r, "custom.Seen__c", "2024-05-01T12:00:00.000Z");
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_time_ms(r, "custom.Seen__c", INT64_C(-62167219200001)));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_time_ms(r, "email", 0));
    ERR(UCRM_ERR_NOENT, ucrm_record_get_time_ms(r, "custom.Nope", &ms));
    OK(ucrm_record_set_string(r, "email", "a@x.io"));
    ERR(UCRM_ERR_TYPE, ucrm_record_get_time_ms(r, "email", &ms));
    ucrm_record_destroy(r);
}

static void test_record__date_field(void **state) {
    (void)state;
    ucrm_record_t *r = mk(UCRM_OBJECT_DEAL);
    int64_t ms;
    OK(ucrm_record_set_string(r, "close_date", "2024-02-29"));
    assert_int_equal(ucrm_record_field_type(r, "close_date"), UCRM_FIELD_DATE);
    assert_str(r, "close_date", "2024-02-29");
    OK(ucrm_record_get_time_ms(r, "close_date", &ms));
    assert_int_equal(ms, INT64_C(1709164800000));
    assert_field_json(r, "close_date", "\"2024-02-29\"");
    OK(ucrm_record_set_string(r, "close_date", "2000-02-29")); /* divisible by 400 */
    OK(ucrm_record_set_string(r, "close_date", "0000-01-01"));
    OK(ucrm_record_set_string(r, "close_date", "9999-12-31"));
    const char *bad[] = {"2023-02-29", "1900-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00",
                         "2024-1-01",  "24-01-01",   "2024/01/01", "2024-01-01T00:00:00Z", "2024-01-01 ",
                         "",           "soon"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        ERR(UCRM_ERR_TYPE, ucrm_record_set_string(r, "close_date", bad[k]));
    assert_str(r, "close_date", "9999-12-31"); /* failed sets change nothing */
    OK(ucrm_record_set_time_ms(r, "close_date", INT64_C(1714607999999))); /* 23:59:59.999 UTC */
    assert_str(r, "close_date", "2024-05-01");
    OK(ucrm_record_set_time_ms(r, "close_date", INT64_C(-1))); /* the UTC day, not truncation towards 0 */
    assert_str(r, "close_date", "1969-12-31");
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_time_ms(r, "close_date", INT64_MAX));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_int64(r, "close_date", 20240101));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_json(r, "close_date", "20240101"));
    OK(ucrm_record_set_json(r, "close_date", "\"2024-03-01\""));
    assert_str(r, "close_date", "2024-03-01");
    OK(ucrm_record__put_str(r, "close_date", UCRM_FIELD_DATE, "2024-03-02xyz", 10));
    assert_str(r, "close_date", "2024-03-02");
    ERR(UCRM_ERR_PROTOCOL, ucrm_record__put_str(r, "close_date", UCRM_FIELD_DATE, "2023-02-29", 10));
    ERR(UCRM_ERR_TYPE, ucrm_record__put_str(r, "close_date", UCRM_FIELD_STRING, "2023-02-28", 10));
    ucrm_record_destroy(r);
}

static void test_record__decimal_field(void **state) {
    (void)state;
    ucrm_record_t *r = mk(UCRM_OBJECT_DEAL);
    double d;
    int64_t i;
    static const struct {
        const char *in, *out;
    } good[] = {
        {"1500.25", "1500.25"}, {"-0.5", "-0.5"},     {"0", "0"},         {"1500.00", "1500.00"},
        {"+7", "7"},            {"007.50", "7.50"},   {"-000", "-0"},     {"0.000001", "0.000001"},
        {"123456789012345678901234567890.123456789012345678901234567890",
         "123456789012345678901234567890.123456789012345678901234567890"},
    };
    for (size_t k = 0; k < sizeof good / sizeof *good; k++) {
        OK(ucrm_record_set_string(r, "amount", good[k].in));
        assert_int_equal(ucrm_record_field_type(r, "amount"), UCRM_FIELD_DECIMAL);
        assert_str(r, "amount", good[k].out);
    }
    const char *bad[] = {"1e3", "12.", ".5", "", "-", "+", "1,5", "1 5", " 1", "1.2.3", "0x10", "NaN", "inf", "--1"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        ERR(UCRM_ERR_TYPE, ucrm_record_set_string(r, "amount", bad[k]));
    OK(ucrm_record_set_string(r, "amount", "1500.25"));
    assert_field_json(r, "amount", "\"1500.25\""); /* a JSON string: exact */
    OK(ucrm_record_get_double(r, "amount", &d));
    assert_true(d == 1500.25);
    ERR(UCRM_ERR_TYPE, ucrm_record_get_int64(r, "amount", &i));
    OK(ucrm_record_set_string(r, "amount", "-1500.000"));
    OK(ucrm_record_get_int64(r, "amount", &i));
    assert_int_equal(i, -1500);
    OK(ucrm_record_set_string(r, "amount", "9223372036854775807.0"));
    OK(ucrm_record_get_int64(r, "amount", &i));
    assert_int_equal(i, INT64_MAX);
    OK(ucrm_record_set_string(r, "amount", "9223372036854775808"));
    ERR(UCRM_ERR_TYPE, ucrm_record_get_int64(r, "amount", &i));
    /* from numbers */
    OK(ucrm_record_set_int64(r, "amount", INT64_MIN));
    assert_str(r, "amount", "-9223372036854775808");
    static const struct {
        double in;
        const char *out;
    } dbl[] = {{0.1, "0.1"},   {1500.25, "1500.25"}, {-0.5, "-0.5"}, {1e22, "10000000000000000000000"},
               {1.5e-7, "0.00000015"}, {-0.0, "0"}, {0.1 + 0.2, "0.30000000000000004"}, {100, "100"},
               {123456789.125, "123456789.125"}};
    for (size_t k = 0; k < sizeof dbl / sizeof *dbl; k++) {
        OK(ucrm_record_set_double(r, "amount", dbl[k].in));
        assert_str(r, "amount", dbl[k].out);
        OK(ucrm_record_get_double(r, "amount", &d));
        assert_true(d == dbl[k].in);
    }
    OK(ucrm_record_set_double(r, "amount", 1.7976931348623157e308)); /* plain, 309 digits */
    const char *s;
    OK(ucrm_record_get_string(r, "amount", &s));
    assert_int_equal(strlen(s), 309);
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_double(r, "amount", NAN));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_double(r, "amount", INFINITY));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_bool(r, "amount", 1));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_json(r, "amount", "\"1e3\""));
    OK(ucrm_record_set_json(r, "amount", "1e3")); /* a JSON number: exact digits, plain notation */
    assert_str(r, "amount", "1000");
    OK(ucrm_record_set_json(r, "amount", "1.50e1"));
    assert_str(r, "amount", "15.0");
    OK(ucrm_record_set_json(r, "amount", "-2E-3"));
    assert_str(r, "amount", "-0.002");
    OK(ucrm_record_set_json(r, "amount", "\"12.50\""));
    assert_str(r, "amount", "12.50");
    ucrm_record_destroy(r);
}

static void test_record__int_field(void **state) {
    (void)state;
    ucrm_record_t *r = mk(UCRM_OBJECT_ACCOUNT);
    int64_t i;
    double d;
    const char *s;
    int b;
    OK(ucrm_record_set_int64(r, "employee_count", INT64_MAX));
    assert_int_equal(ucrm_record_field_type(r, "employee_count"), UCRM_FIELD_INT);
    OK(ucrm_record_get_int64(r, "employee_count", &i));
    assert_int_equal(i, INT64_MAX);
    assert_field_json(r, "employee_count", "9223372036854775807");
    OK(ucrm_record_set_int64(r, "employee_count", INT64_MIN));
    assert_field_json(r, "employee_count", "-9223372036854775808");
    OK(ucrm_record_set_int64(r, "employee_count", 250));
    OK(ucrm_record_get_double(r, "employee_count", &d));
    assert_true(d == 250.0);
    ERR(UCRM_ERR_TYPE, ucrm_record_get_string(r, "employee_count", &s));
    ERR(UCRM_ERR_TYPE, ucrm_record_get_bool(r, "employee_count", &b));
    ERR(UCRM_ERR_TYPE, ucrm_record_get_time_ms(r, "employee_count", &i));
    OK(ucrm_record_set_double(r, "employee_count", 3.0));
    OK(ucrm_record_get_int64(r, "employee_count", &i));
    assert_int_equal(i, 3);
    OK(ucrm_record_set_double(r, "employee_count", -9223372036854775808.0));
    OK(ucrm_record_get_int64(r, "employee_count", &i));
    assert_int_equal(i, INT64_MIN);
    ERR(UCRM_ERR_TYPE, ucrm_record_set_double(r, "employee_count", 3.5));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_double(r, "employee_count", 9223372036854775808.0));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_double(r, "employee_count", -9223372036854777856.0));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_double(r, "employee_count", NAN));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_string(r, "employee_count", "12"));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_bool(r, "employee_count", 1));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_json(r, "employee_count", "\"12\""));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_json(r, "employee_count", "{}"));
    /* JSON numbers: integral values in any notation, checked on the text (beyond 2^53) */
    static const struct {
        const char *json;
        int64_t v;
    } good[] = {{"9223372036854775807", INT64_MAX}, {"-9223372036854775808", INT64_MIN},
                {"9007199254740993", INT64_C(9007199254740993)}, {"1e3", 1000}, {"1.0", 1},
                {"-0", 0}, {"25E+1", 250}, {"1.2300e2", 123}, {"0.0e5", 0}};
    for (size_t k = 0; k < sizeof good / sizeof *good; k++) {
        OK(ucrm_record_set_json(r, "employee_count", good[k].json));
        OK(ucrm_record_get_int64(r, "employee_count", &i));
        assert_int_equal(i, good[k].v);
    }
    const char *bad[] = {"9223372036854775808", "-9223372036854775809", "1.5", "1e-1", "1e19",
                         "99999999999999999999999", "1e999999"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        ERR(UCRM_ERR_TYPE, ucrm_record_set_json(r, "employee_count", bad[k]));
    ucrm_record_destroy(r);
}

static void test_record__double_and_bool_fields(void **state) {
    (void)state;
    ucrm_record_t *r = mk(UCRM_OBJECT_DEAL);
    double d;
    int64_t i;
    int b;
    OK(ucrm_record_set_double(r, "probability", 42.5));
    assert_int_equal(ucrm_record_field_type(r, "probability"), UCRM_FIELD_DOUBLE);
    OK(ucrm_record_get_double(r, "probability", &d));
    assert_true(d == 42.5);
    ERR(UCRM_ERR_TYPE, ucrm_record_get_int64(r, "probability", &i));
    OK(ucrm_record_set_int64(r, "probability", 50));
    assert_field_json(r, "probability", "50.0"); /* stays a double in JSON */
    OK(ucrm_record_set_double(r, "probability", 0.1));
    assert_field_json(r, "probability", "0.1");
    OK(ucrm_record_set_double(r, "probability", 1e300));
    assert_field_json(r, "probability", "1e+300");
    OK(ucrm_record_set_double(r, "probability", -0.0));
    assert_field_json(r, "probability", "-0.0");
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_double(r, "probability", -INFINITY));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_string(r, "probability", "50"));
    OK(ucrm_record_set_json(r, "probability", "33.3"));
    OK(ucrm_record_get_double(r, "probability", &d));
    assert_true(d == 33.3);
    ERR(UCRM_ERR_TYPE, ucrm_record_set_json(r, "probability", "1e400"));
    /* bool: is_deleted is read-only, so through JSON, put_bool and custom fields */
    OK(ucrm_record__put_bool(r, "is_deleted", true));
    OK(ucrm_record_get_bool(r, "is_deleted", &b));
    assert_int_equal(b, 1);
    assert_field_json(r, "is_deleted", "true");
    ERR(UCRM_ERR_TYPE, ucrm_record__put_bool(r, "name", true));
    OK(ucrm_record_set_bool(r, "custom.Hot__c", 7));
    OK(ucrm_record_get_bool(r, "custom.Hot__c", &b));
    assert_int_equal(b, 1);
    OK(ucrm_record_set_bool(r, "custom.Hot__c", 0));
    assert_field_json(r, "custom.Hot__c", "false");
    ERR(UCRM_ERR_TYPE, ucrm_record_get_double(r, "custom.Hot__c", &d));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_bool(r, "name", 1));
    ucrm_record_destroy(r);
}

static void test_record__null_values(void **state) {
    (void)state;
    ucrm_record_t *r = mk(UCRM_OBJECT_ACCOUNT);
    const char *s;
    int64_t i;
    double d;
    int b;
    const char *fields[] = {"name", "employee_count", "annual_revenue", "address", "custom.X"};
    for (size_t k = 0; k < sizeof fields / sizeof *fields; k++) {
        OK(ucrm_record_set_null(r, fields[k]));
        assert_int_equal(ucrm_record_is_null(r, fields[k]), 1);
        assert_int_equal(ucrm_record_field_type(r, fields[k]), UCRM_FIELD_NULL);
        assert_int_equal(ucrm_record_is_dirty(r, fields[k]), 1);
        ERR(UCRM_ERR_TYPE, ucrm_record_get_string(r, fields[k], &s));
        ERR(UCRM_ERR_TYPE, ucrm_record_get_int64(r, fields[k], &i));
        ERR(UCRM_ERR_TYPE, ucrm_record_get_double(r, fields[k], &d));
        ERR(UCRM_ERR_TYPE, ucrm_record_get_bool(r, fields[k], &b));
        ERR(UCRM_ERR_TYPE, ucrm_record_get_time_ms(r, fields[k], &i));
        assert_field_json(r, fields[k], "null");
    }
    assert_int_equal(ucrm_record_is_null(r, "industry"), 0); /* absent */
    OK(ucrm_record_set_json(r, "name", "null"));
    OK(ucrm_record_set_string(r, "name", "Acme"));
    assert_int_equal(ucrm_record_is_null(r, "name"), 0);
    assert_json(r, "{\"name\":\"Acme\",\"employee_count\":null,\"annual_revenue\":null,\"address\":null,"
                   "\"custom.X\":null}");
    ucrm_record_destroy(r);
}

static void test_record__compound_field_shapes(void **state) {
    (void)state;
    ucrm_record_t *r = mk(UCRM_OBJECT_CONTACT);
    OK(ucrm_record_set_json(r, "additional_emails", " [ \"a@x.io\" , \"b@y.io\" ] "));
    assert_int_equal(ucrm_record_field_type(r, "additional_emails"), UCRM_FIELD_ARRAY);
    assert_field_json(r, "additional_emails", "[\"a@x.io\",\"b@y.io\"]");
    OK(ucrm_record_set_json(r, "additional_emails", "[]"));
    const char *bad_emails[] = {"[1]", "[\"a\",null]", "{}", "\"a@x.io\"", "[[\"a\"]]"};
    for (size_t k = 0; k < sizeof bad_emails / sizeof *bad_emails; k++)
        ERR(UCRM_ERR_TYPE, ucrm_record_set_json(r, "additional_emails", bad_emails[k]));

    OK(ucrm_record_set_json(r, "phone_numbers",
                            "[{\"number\":\"+1 555 0100\",\"type\":\"work\"},{\"type\":\"mobile\",\"number\":\"2\"},"
                            "{\"number\":\"3\"},{\"number\":\"4\",\"type\":\"assistant\"}]"));
    assert_field_json(r, "phone_numbers",
                      "[{\"number\":\"+1 555 0100\",\"type\":\"work\"},{\"type\":\"mobile\",\"number\":\"2\"},"
                      "{\"number\":\"3\"},{\"number\":\"4\",\"type\":\"assistant\"}]");
    const char *bad_phones[] = {"[{\"type\":\"work\"}]",
                                "[{\"number\":5,\"type\":\"work\"}]",
                                "[{\"number\":\"5\",\"type\":\"pager\"}]",
                                "[{\"number\":\"5\",\"type\":\"Work\"}]",
                                "[{\"number\":\"5\",\"type\":null}]",
                                "[{\"number\":\"5\",\"ext\":\"12\"}]",
                                "[\"555\"]",
                                "{\"number\":\"5\"}"};
    for (size_t k = 0; k < sizeof bad_phones / sizeof *bad_phones; k++)
        ERR(UCRM_ERR_TYPE, ucrm_record_set_json(r, "phone_numbers", bad_phones[k]));

    OK(ucrm_record_set_json(r, "address", "{\"street\":\"1 Main St\",\"city\":\"Springfield\",\"state\":null,"
                                          "\"postal_code\":\"01101\",\"country\":\"US\"}"));
    assert_int_equal(ucrm_record_field_type(r, "address"), UCRM_FIELD_OBJECT);
    OK(ucrm_record_set_json(r, "address", "{}"));
    const char *bad_addr[] = {"{\"zip\":\"1\"}", "{\"city\":1}", "{\"city\":[\"x\"]}", "[]", "null x", "{",
                              "\"street\""};
    for (size_t k = 0; k < sizeof bad_addr / sizeof *bad_addr; k++)
        assert_int_not_equal(ucrm_record_set_json(r, "address", bad_addr[k]), UCRM_OK);
    ERR(UCRM_ERR_TYPE, ucrm_record_set_json(r, "address", "{\"zip\":\"1\"}"));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_json(r, "address", "{"));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_json(r, "address", "{\"city\":\"a\",\"city\":\"b\"}"));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_string(r, "address", "1 Main St"));
    const char *s;
    ERR(UCRM_ERR_TYPE, ucrm_record_get_string(r, "address", &s));
    assert_field_json(r, "address", "{}");
    /* text fields take a JSON string through set_json */
    OK(ucrm_record_set_json(r, "email", "\"ada@x.io\""));
    assert_str(r, "email", "ada@x.io");
    ERR(UCRM_ERR_TYPE, ucrm_record_set_json(r, "email", "[\"ada@x.io\"]"));
    ucrm_record_destroy(r);
}

static void test_record__custom_fields_every_type(void **state) {
    (void)state;
    ucrm_record_t *r = mk(UCRM_OBJECT_CONTACT);
    static const struct {
        const char *json;
        ucrm_field_type_t type;
        const char *out;
    } cases[] = {
        {"\"text\"", UCRM_FIELD_STRING, "\"text\""},
        {"42", UCRM_FIELD_INT, "42"},
        {"-9223372036854775808", UCRM_FIELD_INT, "-9223372036854775808"},
        {"9223372036854775808", UCRM_FIELD_DOUBLE, "9.223372036854776e+18"},
        {"1.5", UCRM_FIELD_DOUBLE, "1.5"},
        {"1e3", UCRM_FIELD_DOUBLE, "1000.0"},
        {"true", UCRM_FIELD_BOOL, "true"},
        {"false", UCRM_FIELD_BOOL, "false"},
        {"null", UCRM_FIELD_NULL, "null"},
        {"{\"a\":[1,2.5,\"x\",null,true],\"b\":{}}", UCRM_FIELD_OBJECT, "{\"a\":[1,2.5,\"x\",null,true],\"b\":{}}"},
        {"[]", UCRM_FIELD_ARRAY, "[]"},
        {"\"2024-05-01\"", UCRM_FIELD_STRING, "\"2024-05-01\""}, /* no sniffing */
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        OK(ucrm_record_set_json(r, "custom.F", cases[k].json));
        assert_int_equal(ucrm_record_field_type(r, "custom.F"), cases[k].type);
        assert_field_json(r, "custom.F", cases[k].out);
    }
    int64_t i;
    double d;
    OK(ucrm_record_set_int64(r, "custom.F", -7));
    OK(ucrm_record_get_int64(r, "custom.F", &i));
    assert_int_equal(i, -7);
    OK(ucrm_record_set_double(r, "custom.F", 2.25));
    OK(ucrm_record_get_double(r, "custom.F", &d));
    assert_true(d == 2.25);
    OK(ucrm_record_set_string(r, "custom.F", "1e3"));
    assert_int_equal(ucrm_record_field_type(r, "custom.F"), UCRM_FIELD_STRING);
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_double(r, "custom.F", NAN));
    ERR(UCRM_ERR_TYPE, ucrm_record_set_json(r, "custom.F", "1e999"));
    OK(ucrm_record_set_json(r, "custom.Lead-Source.v2_x", "\"web\""));
    assert_int_equal(ucrm_record_field_count(r), 2);
    ucrm_record_destroy(r);
}

static void test_record__utf8_rejected_in_setters(void **state) {
    (void)state;
    ucrm_record_t *r = mk(UCRM_OBJECT_CONTACT);
    const char *bad[] = {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xe2\x82", ("a\xe2\x82" "b"),
                         "\xff",     "\xfe",         "\xf5\x80\x80\x80", "\xf4\x90\x80\x80", "\x80", "\xc3"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_string(r, "first_name", bad[k]));
        ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_string(r, "custom.X", bad[k]));
        char json[32];
        snprintf(json, sizeof json, "\"%s\"", bad[k]);
        ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_json(r, "custom.X", json));
        snprintf(json, sizeof json, "[\"%s\"]", bad[k]);
        ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_json(r, "additional_emails", json));
        ERR(UCRM_ERR_PROTOCOL, ucrm_record__put_str(r, "first_name", UCRM_FIELD_STRING, bad[k], strlen(bad[k])));
    }
    assert_int_equal(ucrm_record_field_count(r), 0);
    OK(ucrm_record_set_string(r, "first_name", "Zo\xc3\xab \xf0\x9f\x98\x80 \xe2\x82\xac"));
    assert_field_json(r, "first_name", "\"Zo\xc3\xab \xf0\x9f\x98\x80 \xe2\x82\xac\"");
    ERR(UCRM_ERR_PROTOCOL, ucrm_record__put_str(r, "first_name", UCRM_FIELD_STRING, "a\0b", 3));
    ucrm_record_destroy(r);
}

/* ============================================================================================== dirty */

static void test_record__dirty_tracking(void **state) {
    (void)state;
    ucrm_record_t *r = mk(UCRM_OBJECT_CONTACT);
    assert_int_equal(ucrm_record_is_dirty(r, NULL), 0);
    OK(ucrm_record__put_str(r, "email", UCRM_FIELD_STRING, "a@x.io", 6));
    assert_int_equal(ucrm_record_is_dirty(r, NULL), 0); /* adapters' values are clean */
    OK(ucrm_record_set_string(r, "first_name", "Ada"));
    assert_int_equal(ucrm_record_is_dirty(r, "first_name"), 1);
    assert_int_equal(ucrm_record_is_dirty(r, "email"), 0);
    assert_int_equal(ucrm_record_is_dirty(r, "last_name"), 0);
    assert_int_equal(ucrm_record_is_dirty(r, "bogus"), 0);
    assert_int_equal(ucrm_record_is_dirty(r, NULL), 1);
    ucrm_record_clear_dirty(r);
    assert_int_equal(ucrm_record_is_dirty(r, NULL), 0);
    assert_int_equal(ucrm_record_is_dirty(r, "first_name"), 0);
    OK(ucrm_record_set_string(r, "email", "a@x.io")); /* same value still counts */
    assert_int_equal(ucrm_record_is_dirty(r, "email"), 1);
    ERR(UCRM_ERR_TYPE, ucrm_record_set_int64(r, "first_name", 1));
    assert_int_equal(ucrm_record_is_dirty(r, "first_name"), 0); /* failed sets do not mark */
    OK(ucrm_record_set_null(r, "custom.X"));
    assert_int_equal(ucrm_record_is_dirty(r, "custom.X"), 1);
    OK(ucrm_record__put_str(r, "email", UCRM_FIELD_STRING, "b@x.io", 6)); /* put keeps the mark */
    assert_int_equal(ucrm_record_is_dirty(r, "email"), 1);
    OK(ucrm_record_unset(r, "email"));
    assert_int_equal(ucrm_record_is_dirty(r, "email"), 0);
    OK(ucrm_record_unset(r, "custom.X"));
    assert_int_equal(ucrm_record_is_dirty(r, NULL), 0);
    ucrm_record_destroy(r);
}

static void test_record__unset(void **state) {
    (void)state;
    ucrm_record_t *r = mk(UCRM_OBJECT_CONTACT);
    OK(ucrm_record_set_string(r, "first_name", "a"));
    OK(ucrm_record_set_string(r, "custom.B", "b"));
    OK(ucrm_record_set_json(r, "address", "{\"city\":\"c\"}"));
    OK(ucrm_record_set_string(r, "email", "d"));
    OK(ucrm_record_unset(r, "custom.B"));
    ERR(UCRM_ERR_NOENT, ucrm_record_unset(r, "custom.B"));
    ERR(UCRM_ERR_NOENT, ucrm_record_unset(r, "title"));
    ERR(UCRM_ERR_INVALID_FIELD, ucrm_record_unset(r, "nope"));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_unset(r, NULL));
    OK(ucrm_record_unset(r, "address"));
    assert_json(r, "{\"first_name\":\"a\",\"email\":\"d\"}");
    OK(ucrm_record_set_string(r, "custom.B", "again"));
    assert_json(r, "{\"first_name\":\"a\",\"email\":\"d\",\"custom.B\":\"again\"}");
    ucrm_record_destroy(r);
}

/* ============================================================================================== JSON */

static const char *full_contact =
    "{\"id\":\"0035g00000XyZ\",\"first_name\":\"Ada \\\"A.\\\" \\u00c9\\ud83d\\ude00\",\"last_name\":\"Lovelace\","
    "\"email\":\"ada@x.io\",\"additional_emails\":[\"a2@x.io\"],"
    "\"phone_numbers\":[{\"number\":\"+44 20 7946 0000\",\"type\":\"work\"}],\"title\":null,"
    "\"address\":{\"street\":\"12 St James's Sq\",\"city\":\"London\",\"state\":null,\"postal_code\":\"SW1Y\","
    "\"country\":\"GB\"},\"created_at\":\"2024-05-01T12:00:00.000Z\",\"updated_at\":\"2024-05-02T08:30:15.250Z\","
    "\"is_deleted\":false,\"custom.Score__c\":97,\"custom.Ratio__c\":0.125,\"custom.Big__c\":1.0e+300,"
    "\"custom.Tags__c\":[\"a\",{\"k\":[1,-2.5,true,null]}],\"custom.Flag__c\":true,\"custom.Note__c\":\"\\n\\t/\"}";

static void test_record__json_round_trip(void **state) {
    (void)state;
    ucrm_record_t *r = from_json(UCRM_OBJECT_CONTACT, full_contact);
    char *a = NULL, *b = NULL, *c = NULL;
    OK(ucrm_record_to_json(r, &a));
    assert_string_equal(a, "{\"id\":\"0035g00000XyZ\",\"first_name\":\"Ada \\\"A.\\\" \xc3\x89\xf0\x9f\x98\x80\","
                           "\"last_name\":\"Lovelace\",\"email\":\"ada@x.io\",\"additional_emails\":[\"a2@x.io\"],"
                           "\"phone_numbers\":[{\"number\":\"+44 20 7946 0000\",\"type\":\"work\"}],\"title\":null,"
                           "\"address\":{\"street\":\"12 St James's Sq\",\"city\":\"London\",\"state\":null,"
                           "\"postal_code\":\"SW1Y\",\"country\":\"GB\"},"
                           "\"created_at\":\"2024-05-01T12:00:00.000Z\",\"updated_at\":\"2024-05-02T08:30:15.250Z\","
                           "\"is_deleted\":false,\"custom.Score__c\":97,\"custom.Ratio__c\":0.125,"
                           "\"custom.Big__c\":1e+300,\"custom.Tags__c\":[\"a\",{\"k\":[1,-2.5,true,null]}],"
                           "\"custom.Flag__c\":true,\"custom.Note__c\":\"\\n\\t/\"}");
    ucrm_record_t *r2 = from_json(UCRM_OBJECT_CONTACT, a);
    OK(ucrm_record_to_json(r2, &b));
    assert_string_equal(a, b);
    /* types survive the trip too */
    for (size_t i = 0; i < ucrm_record_field_count(r); i++) {
        const char *n = ucrm_record_field_name(r, i);
        assert_string_equal(n, ucrm_record_field_name(r2, i));
        assert_int_equal(ucrm_record_field_type(r, n), ucrm_record_field_type(r2, n));
    }
    /* deal with decimals and dates */
    ucrm_record_t *d = mk(UCRM_OBJECT_DEAL);
    OK(ucrm_record_set_id(d, "19"));
    OK(ucrm_record_set_string(d, "amount", "1500.25"));
    OK(ucrm_record_set_string(d, "close_date", "2024-12-31"));
    OK(ucrm_record_set_double(d, "probability", 0.1 + 0.2));
    OK(ucrm_record__put_str(d, "status", UCRM_FIELD_STRING, "won", 3));
    OK(ucrm_record_set_time_ms(d, "custom.When", 1));
    OK(ucrm_record_to_json(d, &c));
    assert_string_equal(c, "{\"id\":\"19\",\"amount\":\"1500.25\",\"close_date\":\"2024-12-31\","
                           "\"probability\":0.30000000000000004,\"status\":\"won\","
                           "\"custom.When\":\"1970-01-01T00:00:00.001Z\"}");
    ucrm_record_t *d2 = from_json(UCRM_OBJECT_DEAL, c);
    assert_json(d2, c);
    ucrm_free(a);
    ucrm_free(b);
    ucrm_free(c);
    ucrm_record_destroy(r);
    ucrm_record_destroy(r2);
    ucrm_record_destroy(d);
    ucrm_record_destroy(d2);
}

static void test_record__from_json_dirty_and_read_only(void **state) {
    (void)state;
    ucrm_record_t *r = from_json(UCRM_OBJECT_DEAL, "{\"id\":\"7\",\"name\":\"Big\",\"status\":\"won\","
                                                   "\"created_at\":\"2024-01-01T00:00:00Z\",\"is_deleted\":true,"
                                                   "\"custom.X\":1}");
    assert_string_equal(ucrm_record_id(r), "7");
    assert_int_equal(ucrm_record_is_dirty(r, "name"), 1);
    assert_int_equal(ucrm_record_is_dirty(r, "custom.X"), 1);
    assert_int_equal(ucrm_record_is_dirty(r, "status"), 0);
    assert_int_equal(ucrm_record_is_dirty(r, "created_at"), 0);
    assert_int_equal(ucrm_record_is_dirty(r, "is_deleted"), 0);
    assert_str(r, "status", "won");
    ucrm_record_clear_dirty(r);
    assert_int_equal(ucrm_record_is_dirty(r, NULL), 0);
    ucrm_record_destroy(r);
    r = from_json(UCRM_OBJECT_ACCOUNT, " \t\r\n{ } \n");
    assert_int_equal(ucrm_record_field_count(r), 0);
    assert_null(ucrm_record_id(r));
    ucrm_record_destroy(r);
    r = from_json(UCRM_OBJECT_ACCOUNT, "{\"id\":null}");
    assert_null(ucrm_record_id(r));
    ucrm_record_destroy(r);
}

static void test_record__from_json_errors(void **state) {
    (void)state;
#define FJ(code, o, json, field, msg) ERR(code, from_json_err(o, json, strlen(json), field, msg))
    FJ(UCRM_ERR_INVALID_FIELD, UCRM_OBJECT_CONTACT, "{\"email\":\"a\",\"nickname\":\"x\"}", "nickname",
       "nickname");
    FJ(UCRM_ERR_INVALID_FIELD, UCRM_OBJECT_CONTACT, "{\"amount\":\"1\"}", "amount", NULL);
    FJ(UCRM_ERR_INVALID_FIELD, UCRM_OBJECT_CONTACT, "{\"custom.\":1}", "custom.", NULL);
    FJ(UCRM_ERR_TYPE, UCRM_OBJECT_ACCOUNT, "{\"employee_count\":\"12\"}", "employee_count", "employee_count");
    FJ(UCRM_ERR_TYPE, UCRM_OBJECT_ACCOUNT, "{\"name\":12}", "name", NULL);
    FJ(UCRM_ERR_TYPE, UCRM_OBJECT_ACCOUNT, "{\"address\":[]}", "address", NULL);
    FJ(UCRM_ERR_TYPE, UCRM_OBJECT_ACCOUNT, "{\"is_deleted\":\"no\"}", "is_deleted", NULL);
    FJ(UCRM_ERR_TYPE, UCRM_OBJECT_DEAL, "{\"amount\":\"1e3\"}", "amount", NULL);
    FJ(UCRM_ERR_TYPE, UCRM_OBJECT_DEAL, "{\"id\":19}", "id", NULL);
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"id\":\"\"}", "id", NULL);
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "[]", NULL, "object");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "\"deal\"", NULL, "object");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "null", NULL, "object");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "12", NULL, "object");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "", NULL, "byte 0");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "   ", NULL, "byte 3");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{} {}", NULL, "byte 3");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"name\":\"a\",}", NULL, "byte 12");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"name\" \"a\"}", NULL, "expected ':'");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{name:\"a\"}", NULL, "byte 1");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{'name':'a'}", NULL, NULL);
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"name\":\"a\"]", NULL, NULL);
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"custom.a\":[1,]}", NULL, NULL);
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"custom.a\":[1 2]}", NULL, NULL);
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"name\":\"a\tb\"}", NULL, "control character");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"name\":\"\\x\"}", NULL, "escape");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"name\":\"\\u12g4\"}", NULL, "\\u");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"name\":\"\\u0000\"}", NULL, "\\u0000");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"name\":\"\\udc00\"}", NULL, "surrogate");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"name\":\"\\ud800\\u0041\"}", NULL, "surrogate");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"name\":\"\\ud800x\"}", NULL, "surrogate");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "\xef\xbb\xbf{}", NULL, "byte 0"); /* no BOM */
    /* duplicate keys are an error, at any depth (documented) */
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"name\":\"a\",\"name\":\"b\"}", "name", "duplicate");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"id\":\"a\",\"id\":\"b\"}", "id", "duplicate");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"custom.a\":1,\"custom.a\":1}", "custom.a", "duplicate");
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, "{\"custom.a\":[{\"x\":{\"k\":1,\"j\":2,\"k\":3}}]}", "custom.a",
       "duplicate");
    FJ(UCRM_OK, UCRM_OBJECT_DEAL, "{\"custom.a\":[{\"k\":1},{\"k\":1}],\"custom.b\":{\"k\":{\"k\":1}}}", NULL, NULL);
    /* numbers: strict JSON grammar */
    const char *nums[] = {"01", "+1", "1.", ".5", "-", "1e", "1e+", "NaN", "Infinity", "-Infinity", "0x1", "1_0",
                          "--1", "1.e3", "tru", "nul", "True"};
    for (size_t k = 0; k < sizeof nums / sizeof *nums; k++) {
        char doc[64];
        snprintf(doc, sizeof doc, "{\"custom.n\":%s}", nums[k]);
        FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, doc, NULL, "malformed JSON at byte");
    }
    char doc[200];
    snprintf(doc, sizeof doc, "{\"custom.n\":1%063d}", 0); /* 64 characters */
    FJ(UCRM_ERR_INVALID_ARG, UCRM_OBJECT_DEAL, doc, NULL, "63");
    snprintf(doc, sizeof doc, "{\"amount\":1%062d}", 0); /* 63 characters: fine, exact */
    FJ(UCRM_OK, UCRM_OBJECT_DEAL, doc, NULL, NULL);
    /* a key far longer than any field name */
    char key[600];
    memset(key, 'k', sizeof key);
    memcpy(key, "{\"", 2);
    memcpy(key + 500, "\":1}", 5);
    FJ(UCRM_ERR_INVALID_FIELD, UCRM_OBJECT_DEAL, key, NULL, "not a field name");
    /* arguments */
    ucrm_record_t *r;
    ucrm_error_t *e = NULL;
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_new_from_json(NULL, UCRM_OBJECT_DEAL, "{}", 2, NULL));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_new_from_json(&r, UCRM_OBJECT_DEAL, NULL, 2, NULL));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_new_from_json(&r, (ucrm_object_t)9, "{}", 2, &e));
    assert_non_null(e);
    ucrm_error_destroy(e);
    /* the length bounds the text: no NUL needed, bytes after it ignored */
    OK(ucrm_record_new_from_json(&r, UCRM_OBJECT_DEAL, "{\"name\":\"x\"}garbage", 12, NULL));
    assert_str(r, "name", "x");
    ucrm_record_destroy(r);
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_new_from_json(&r, UCRM_OBJECT_DEAL, "{\"name\":\"x\"}\0", 13, NULL));
#undef FJ
}

static void test_record__from_json_every_truncation_rejected(void **state) {
    (void)state;
    size_t len = strlen(full_contact);
    for (size_t n = 0; n < len; n++) {
        /* an exact-size copy, so that reading one byte past the prefix would show under ASan/valgrind */
        char *p = malloc(n ? n : 1);
        assert_non_null(p);
        memcpy(p, full_contact, n);
        ucrm_record_t *r = (ucrm_record_t *)1;
        ucrm_error_t *e = NULL;
        ucrm_err_t rc = ucrm_record_new_from_json(&r, UCRM_OBJECT_CONTACT, p, n, &e);
        if (rc != UCRM_ERR_INVALID_ARG)
            fail_msg("prefix of %zu bytes: rc %d", n, rc);
        assert_null(r);
        assert_non_null(strstr(ucrm_error_message(e), "malformed JSON at byte"));
        ucrm_error_destroy(e);
        free(p);
    }
    ucrm_record_t *r = from_json(UCRM_OBJECT_CONTACT, full_contact);
    ucrm_record_destroy(r);
}

static void test_record__from_json_huge_values(void **state) {
    (void)state;
    size_t n = 10u << 20;
    char *doc = malloc(n + 64);
    assert_non_null(doc);
    size_t off = (size_t)sprintf(doc, "{\"custom.Blob\":\"");
    for (size_t i = 0; i < n; i++)
        doc[off + i] = (char)('a' + i % 26);
    memcpy(doc + off + n, "\",\"email\":\"x\"}", 15);
    ucrm_record_t *r = from_json(UCRM_OBJECT_CONTACT, doc);
    const char *s;
    OK(ucrm_record_get_string(r, "custom.Blob", &s));
    assert_int_equal(strlen(s), n);
    assert_int_equal(s[n - 1], 'a' + (n - 1) % 26);
    OK(ucrm_record_set_string(r, "first_name", s)); /* a 10 MB value through the setter */
    char *js;
    OK(ucrm_record_to_json(r, &js));
    assert_int_equal(strlen(js), 2 * n + strlen("{\"custom.Blob\":\"\",\"email\":\"x\",\"first_name\":\"\"}"));
    ucrm_free(js);
    ucrm_record_destroy(r);
    free(doc);

    /* over 64 MiB: refused from the length alone; the memory is unreadable, so any read would crash */
    size_t big = ((size_t)64 << 20) + 1;
    void *p = mmap(NULL, big, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(p != MAP_FAILED);
    ERR(UCRM_ERR_INVALID_ARG, from_json_err(UCRM_OBJECT_CONTACT, p, big, NULL, "64 MiB"));
    munmap(p, big);
}

static void test_record__from_json_deep_nesting(void **state) {
    (void)state;
    char doc[600];
    /* the record object is level 1: 63 more levels are fine, 64 more are one too many */
    for (int extra = 63; extra <= 64; extra++) {
        int o = sprintf(doc, "{\"custom.deep\":");
        for (int i = 0; i < extra; i++) /* alternate objects and arrays: {"k":[{"k":[...]}]} */
            o += sprintf(doc + o, i % 2 ? "[" : "{\"k\":");
        if (extra % 2) /* the innermost container is an object: give it a value */
            o += sprintf(doc + o, "0");
        for (int i = extra - 1; i >= 0; i--)
            doc[o++] = i % 2 ? ']' : '}';
        doc[o++] = '}';
        doc[o] = '\0';
        if (extra == 63) {
            ucrm_record_t *r = from_json(UCRM_OBJECT_CONTACT, doc);
            char *js;
            OK(ucrm_record_to_json(r, &js));
            assert_string_equal(js, doc);
            ucrm_free(js);
            ucrm_record_destroy(r);
        } else {
            ERR(UCRM_ERR_INVALID_ARG, from_json_err(UCRM_OBJECT_CONTACT, doc, strlen(doc), NULL, "64 levels"));
        }
    }
    /* set_json counts its own top level as level 1 */
    memset(doc, '[', 64);
    memset(doc + 64, ']', 64);
    doc[128] = '\0';
    ucrm_record_t *r = mk(UCRM_OBJECT_CONTACT);
    OK(ucrm_record_set_json(r, "custom.a", doc));
    memset(doc, '[', 65);
    memset(doc + 65, ']', 65);
    doc[130] = '\0';
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_set_json(r, "custom.a", doc));
    ucrm_record_destroy(r);
    /* a million brackets: no recursion, stops at level 65 */
    size_t n = 1000000;
    char *deep = malloc(n + 16);
    assert_non_null(deep);
    memcpy(deep, "{\"custom.x\":", 12);
    memset(deep + 12, '[', n);
    ERR(UCRM_ERR_INVALID_ARG, from_json_err(UCRM_OBJECT_CONTACT, deep, n + 12, NULL, "byte 75"));
    memset(deep, '[', n);
    ERR(UCRM_ERR_INVALID_ARG, from_json_err(UCRM_OBJECT_CONTACT, deep, n, NULL, "nested deeper"));
    memset(deep, '{', 1);
    ERR(UCRM_ERR_INVALID_ARG, from_json_err(UCRM_OBJECT_CONTACT, deep, n, NULL, "byte 1"));
    free(deep);
}

static void test_record__from_json_invalid_utf8(void **state) {
    (void)state;
    static const char *const bad[] = {
        "\xc0\xaf",         /* overlong '/' */
        "\xc1\xbf",         /* overlong */
        "\xe0\x80\xaf",     /* overlong, 3 bytes */
        "\xf0\x80\x80\xaf", /* overlong, 4 bytes */
        "\xed\xa0\x80",     /* U+D800, a surrogate */
        "\xed\xbf\xbf",     /* U+DFFF */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xe2\x82",         /* truncated sequence (then the closing quote) */
        "\xf0\x9f\x98",     /* truncated 4-byte sequence */
        "\x80",             /* lone continuation byte */
        "\xff",
        "\xfe",
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char doc[64];
        snprintf(doc, sizeof doc, "{\"first_name\":\"ok %s\"}", bad[k]);
        ERR(UCRM_ERR_INVALID_ARG, from_json_err(UCRM_OBJECT_CONTACT, doc, strlen(doc), NULL, "byte 18: invalid UTF-8"));
        snprintf(doc, sizeof doc, "{\"custom.x\":{\"k%s\":1}}", bad[k]); /* in a nested key */
        ERR(UCRM_ERR_INVALID_ARG, from_json_err(UCRM_OBJECT_CONTACT, doc, strlen(doc), NULL, "UTF-8"));
        snprintf(doc, sizeof doc, "{\"email\":\"a\"}%s", bad[k]); /* after the document */
        ERR(UCRM_ERR_INVALID_ARG, from_json_err(UCRM_OBJECT_CONTACT, doc, strlen(doc), NULL, "byte 13"));
        snprintf(doc, sizeof doc, "{%s}", bad[k]); /* where a key should be */
        ERR(UCRM_ERR_INVALID_ARG, from_json_err(UCRM_OBJECT_CONTACT, doc, strlen(doc), NULL, "byte 1"));
    }
    /* the sequence cut by the end of the input */
    ERR(UCRM_ERR_INVALID_ARG, from_json_err(UCRM_OBJECT_CONTACT, "{\"first_name\":\"\xe2\x82", 17, NULL, NULL));
    /* valid multi-byte text and escapes decode exactly */
    ucrm_record_t *r = from_json(UCRM_OBJECT_CONTACT, "{\"first_name\":\"\xc3\xa9\\u00e9\\u20ac\\ud83d\\ude00"
                                                      "\xf0\x9f\x98\x80\\\\\\/\\b\\f\"}");
    assert_str(r, "first_name", "\xc3\xa9\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf0\x9f\x98\x80\\/\b\f");
    ucrm_record_destroy(r);
}

static void test_record__from_json_numbers(void **state) {
    (void)state;
    ucrm_record_t *r = from_json(UCRM_OBJECT_DEAL, "{\"amount\":12345678901234567890.123456789,"
                                                   "\"probability\":12.5,\"custom.i\":9007199254740993,"
                                                   "\"custom.big\":12345678901234567890}");
    assert_str(r, "amount", "12345678901234567890.123456789"); /* digits as written, no double rounding */
    assert_field_json(r, "custom.i", "9007199254740993");
    assert_int_equal(ucrm_record_field_type(r, "custom.big"), UCRM_FIELD_DOUBLE);
    ucrm_record_destroy(r);
    static const struct {
        const char *json, *text;
    } dec[] = {{"0.1", "0.1"}, {"1e3", "1000"}, {"-1.50", "-1.50"}, {"5E-2", "0.05"}, {"0", "0"},
               {"\"0.10\"", "0.10"}, {"\"-7\"", "-7"}};
    for (size_t k = 0; k < sizeof dec / sizeof *dec; k++) {
        char doc[64];
        snprintf(doc, sizeof doc, "{\"annual_revenue\":%s}", dec[k].json);
        r = from_json(UCRM_OBJECT_ACCOUNT, doc);
        assert_str(r, "annual_revenue", dec[k].text);
        ucrm_record_destroy(r);
    }
    ERR(UCRM_ERR_TYPE, from_json_err(UCRM_OBJECT_ACCOUNT, "{\"annual_revenue\":1e500}", 24, "annual_revenue", NULL));
    ERR(UCRM_ERR_TYPE, from_json_err(UCRM_OBJECT_ACCOUNT, "{\"annual_revenue\":\"12.\"}", 24, NULL, NULL));
    ERR(UCRM_ERR_TYPE, from_json_err(UCRM_OBJECT_ACCOUNT, "{\"annual_revenue\":true}", 23, NULL, NULL));
    ERR(UCRM_ERR_TYPE, from_json_err(UCRM_OBJECT_ACCOUNT, "{\"employee_count\":1e19}", 23, NULL, "int64"));
}

/* ============================================================================================== internal API */

static void test_record__put_type_checks(void **state) {
    (void)state;
    ucrm_record_t *r = NULL;
    OK(ucrm_record__new_sized(&r, UCRM_OBJECT_ACCOUNT, 2));
    assert_int_equal(r->capfields, 2);
    ucrm_record_t *bad = (ucrm_record_t *)1;
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record__new_sized(&bad, (ucrm_object_t)0, 2));
    assert_null(bad);
    ucrm_record_destroy(r);
    OK(ucrm_record__new_sized(&r, UCRM_OBJECT_ACCOUNT, 2));
    ERR(UCRM_ERR_TYPE, ucrm_record__put_str(r, "employee_count", UCRM_FIELD_STRING, "12", 2));
    ERR(UCRM_ERR_TYPE, ucrm_record__put_str(r, "name", UCRM_FIELD_DECIMAL, "12", 2));
    ERR(UCRM_ERR_TYPE, ucrm_record__put_str(r, "name", UCRM_FIELD_INT, "12", 2));
    ERR(UCRM_ERR_INVALID_FIELD, ucrm_record__put_str(r, "nope", UCRM_FIELD_STRING, "12", 2));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record__put_str(r, "name", UCRM_FIELD_STRING, NULL, 0));
    OK(ucrm_record__put_str(r, "name", UCRM_FIELD_STRING, "Acme Inc", 4)); /* len bytes, no NUL needed */
    assert_str(r, "name", "Acme");
    OK(ucrm_record__put_str(r, "annual_revenue", UCRM_FIELD_DECIMAL, "1500000.50", 10));
    assert_str(r, "annual_revenue", "1500000.50");
    ERR(UCRM_ERR_PROTOCOL, ucrm_record__put_str(r, "annual_revenue", UCRM_FIELD_DECIMAL, "1,500", 5));
    OK(ucrm_record__put_str(r, "custom.Since__c", UCRM_FIELD_DATE, "2020-01-31", 10));
    assert_int_equal(ucrm_record_field_type(r, "custom.Since__c"), UCRM_FIELD_DATE);
    OK(ucrm_record__put_str(r, "id", UCRM_FIELD_STRING, "001ABC", 6));
    assert_string_equal(ucrm_record_id(r), "001ABC");
    ERR(UCRM_ERR_TYPE, ucrm_record__put_int(r, "id", 1));
    OK(ucrm_record__put_int(r, "employee_count", 12));
    OK(ucrm_record__put_double(r, "employee_count", 5000.0)); /* Salesforce sends numbers as doubles */
    OK(ucrm_record__put_double(r, "annual_revenue", 3.5e7));
    assert_str(r, "annual_revenue", "35000000");
    ERR(UCRM_ERR_TYPE, ucrm_record__put_double(r, "employee_count", 0.5));
    ERR(UCRM_ERR_PROTOCOL, ucrm_record__put_double(r, "custom.X", NAN));
    ERR(UCRM_ERR_TYPE, ucrm_record__put_int(r, "name", 1));
    ERR(UCRM_ERR_TYPE, ucrm_record__put_time(r, "name", 1));
    OK(ucrm_record__put_time(r, "updated_at", 86400000));
    assert_str(r, "updated_at", "1970-01-02T00:00:00.000Z");
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record__put_null(NULL, "name"));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record__put_int(r, NULL, 1));
    OK(ucrm_record__set_id_n(r, "001XYZ-trailing", 6));
    assert_string_equal(ucrm_record_id(r), "001XYZ");
    ERR(UCRM_ERR_PROTOCOL, ucrm_record__set_id_n(r, "\xff", 1));
    ERR(UCRM_ERR_PROTOCOL, ucrm_record__set_id_n(r, "", 0));
    assert_int_equal(ucrm_record_is_dirty(r, NULL), 0);
    assert_true(r->capfields >= r->nfields);
    /* find and value_json */
    ucrm_fval_t *f = ucrm_record__find(r, "employee_count");
    assert_non_null(f);
    assert_int_equal(f->type, UCRM_FIELD_INT);
    assert_int_equal(f->v.i, 5000);
    assert_null(ucrm_record__find(r, "industry"));
    ucrm_buf_t b = UCRM_BUF_INIT;
    assert_true(ucrm_record__value_json(f, &b));
    assert_string_equal(ucrm_buf__str(&b), "5000");
    ucrm_buf__free(&b);
    ucrm_record_destroy(r);
}

static cJSON *parse(const char *s) {
    cJSON *j = cJSON_Parse(s);
    assert_non_null(j);
    return j;
}

static void test_record__put_json_and_custom(void **state) {
    (void)state;
    ucrm_record_t *r = mk(UCRM_OBJECT_CONTACT);
    OK(ucrm_record__put_json(r, "address", parse("{\"street\":\"1 Main\",\"city\":null}")));
    assert_field_json(r, "address", "{\"street\":\"1 Main\",\"city\":null}");
    OK(ucrm_record__put_json(r, "phone_numbers", parse("[{\"number\":\"1\",\"type\":\"fax\"}]")));
    /* ownership is taken on failure too (leak checkers watch these) */
    ERR(UCRM_ERR_TYPE, ucrm_record__put_json(r, "address", parse("[]")));
    ERR(UCRM_ERR_TYPE, ucrm_record__put_json(r, "address", parse("{\"geo\":1}")));
    ERR(UCRM_ERR_TYPE, ucrm_record__put_json(r, "phone_numbers", parse("[{\"number\":\"1\",\"type\":\"car\"}]")));
    ERR(UCRM_ERR_TYPE, ucrm_record__put_json(r, "email", parse("{}")));
    ERR(UCRM_ERR_TYPE, ucrm_record__put_json(r, "custom.x", parse("12")));
    ERR(UCRM_ERR_INVALID_FIELD, ucrm_record__put_json(r, "bogus", parse("{}")));
    ERR(UCRM_ERR_PROTOCOL, ucrm_record__put_json(r, "custom.x", parse("[\"\xff\"]")));
    ERR(UCRM_ERR_PROTOCOL, ucrm_record__put_json(r, "custom.x", parse("{\"\xc0\xaf\":1}")));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record__put_json(r, "custom.x", NULL));
    OK(ucrm_record__put_json(r, "custom.x", parse("{\"deep\":[1,2,{\"z\":false}]}")));
    assert_field_json(r, "custom.x", "{\"deep\":[1,2,{\"z\":false}]}");
    static const struct {
        const char *json;
        ucrm_field_type_t type;
        const char *out;
    } cases[] = {{"\"web\"", UCRM_FIELD_STRING, "\"web\""}, {"12", UCRM_FIELD_INT, "12"},
                 {"12.0", UCRM_FIELD_INT, "12"},              {"2.5", UCRM_FIELD_DOUBLE, "2.5"},
                 {"1e20", UCRM_FIELD_DOUBLE, "1e+20"},        {"true", UCRM_FIELD_BOOL, "true"},
                 {"null", UCRM_FIELD_NULL, "null"},           {"[1,\"a\"]", UCRM_FIELD_ARRAY, "[1,\"a\"]"},
                 {"{\"a\":{}}", UCRM_FIELD_OBJECT, "{\"a\":{}}"}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        cJSON *v = parse(cases[k].json);
        OK(ucrm_record__put_custom_json(r, "hs_lead_status", v));
        cJSON_Delete(v); /* copied, not taken */
        assert_int_equal(ucrm_record_field_type(r, "custom.hs_lead_status"), cases[k].type);
        assert_field_json(r, "custom.hs_lead_status", cases[k].out);
    }
    cJSON *v = cJSON_CreateString("\xed\xa0\x80");
    ERR(UCRM_ERR_PROTOCOL, ucrm_record__put_custom_json(r, "x", v));
    cJSON_Delete(v);
    v = cJSON_CreateString("ok");
    ERR(UCRM_ERR_INVALID_FIELD, ucrm_record__put_custom_json(r, "has space", v));
    ERR(UCRM_ERR_INVALID_FIELD, ucrm_record__put_custom_json(r, "", v));
    char longname[300];
    memset(longname, 'a', 256);
    longname[256] = '\0';
    ERR(UCRM_ERR_INVALID_FIELD, ucrm_record__put_custom_json(r, longname, v));
    longname[255] = '\0';
    OK(ucrm_record__put_custom_json(r, longname, v));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record__put_custom_json(r, NULL, v));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record__put_custom_json(r, "x", NULL));
    cJSON_Delete(v);
    assert_int_equal(ucrm_record_is_dirty(r, NULL), 0);
    ucrm_record_destroy(r);
}

static void test_record__remote_payload(void **state) {
    (void)state;
    ucrm_record_t *r = mk(UCRM_OBJECT_CONTACT);
    char *js;
    ERR(UCRM_ERR_NOENT, ucrm_record_remote_json(r, &js));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_remote_json(r, NULL));
    ucrm_record__set_remote(r, parse("{\"id\":\"51\",\"properties\":{\"firstname\":\"Ada\",\"n\":1.5},"
                                     "\"archived\":false}"));
    OK(ucrm_record_remote_json(r, &js));
    assert_string_equal(js, "{\"id\":\"51\",\"properties\":{\"firstname\":\"Ada\",\"n\":1.5},\"archived\":false}");
    ucrm_free(js);
    ucrm_record__set_remote(r, parse("[1]")); /* replaces (and frees) the previous one */
    ucrm_record_t *d;
    OK(ucrm_record_dup(&d, r));
    ucrm_record__set_remote(r, NULL);
    ERR(UCRM_ERR_NOENT, ucrm_record_remote_json(r, &js));
    OK(ucrm_record_remote_json(d, &js));
    assert_string_equal(js, "[1]");
    ucrm_free(js);
    ucrm_record__set_remote(NULL, parse("{}")); /* freed */
    ucrm_record_destroy(r);
    ucrm_record_destroy(d);
}

static void test_record__merge(void **state) {
    (void)state;
    ucrm_record_t *dst = mk(UCRM_OBJECT_DEAL), *src = mk(UCRM_OBJECT_DEAL), *acct = mk(UCRM_OBJECT_ACCOUNT);
    OK(ucrm_record_set_string(dst, "name", "Mine"));
    OK(ucrm_record_set_string(dst, "amount", "10"));
    ucrm_record_clear_dirty(dst);
    OK(ucrm_record_set_string(dst, "stage", "qualify")); /* dirty, absent from src */
    OK(ucrm_record_set_string(dst, "currency", "EUR"));  /* dirty, replaced by a clean value */
    OK(ucrm_record__put_str(src, "amount", UCRM_FIELD_DECIMAL, "10.00", 5));
    OK(ucrm_record__put_str(src, "currency", UCRM_FIELD_STRING, "USD", 3));
    OK(ucrm_record__put_str(src, "status", UCRM_FIELD_STRING, "open", 4));
    OK(ucrm_record_set_json(src, "custom.Tags", "[\"x\"]")); /* dirty in src */
    OK(ucrm_record__set_id_n(src, "006A", 4));
    ucrm_record__set_remote(src, parse("{\"Id\":\"006A\"}"));
    OK(ucrm_record__merge(dst, src));
    assert_json(dst, "{\"id\":\"006A\",\"name\":\"Mine\",\"amount\":\"10.00\",\"stage\":\"qualify\","
                     "\"currency\":\"USD\",\"status\":\"open\",\"custom.Tags\":[\"x\"]}");
    assert_int_equal(ucrm_record_is_dirty(dst, "name"), 0);
    assert_int_equal(ucrm_record_is_dirty(dst, "amount"), 0);
    assert_int_equal(ucrm_record_is_dirty(dst, "stage"), 1);
    assert_int_equal(ucrm_record_is_dirty(dst, "currency"), 1); /* marks are kept (OR) */
    assert_int_equal(ucrm_record_is_dirty(dst, "status"), 0);
    assert_int_equal(ucrm_record_is_dirty(dst, "custom.Tags"), 1);
    char *js;
    OK(ucrm_record_remote_json(dst, &js));
    assert_string_equal(js, "{\"Id\":\"006A\"}");
    ucrm_free(js);
    /* src is unchanged and independent */
    OK(ucrm_record_set_json(src, "custom.Tags", "[]"));
    assert_field_json(dst, "custom.Tags", "[\"x\"]");
    assert_int_equal(ucrm_record_field_count(src), 4);
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record__merge(dst, acct));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record__merge(dst, NULL));
    ucrm_record_t *empty = mk(UCRM_OBJECT_DEAL);
    OK(ucrm_record__merge(dst, empty)); /* nothing to take: dst unchanged, id and payload kept */
    assert_string_equal(ucrm_record_id(dst), "006A");
    assert_int_equal(ucrm_record_field_count(dst), 6);
    ucrm_record_destroy(empty);
    ucrm_record_destroy(dst);
    ucrm_record_destroy(src);
    ucrm_record_destroy(acct);
}

static void test_record__dup_is_independent(void **state) {
    (void)state;
    ucrm_record_t *r = from_json(UCRM_OBJECT_CONTACT, full_contact), *d = NULL;
    ucrm_record_clear_dirty(r);
    OK(ucrm_record_set_string(r, "email", "dirty@x.io"));
    ucrm_record__set_remote(r, parse("{\"p\":1}"));
    OK(ucrm_record_dup(&d, r));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_dup(NULL, r));
    ucrm_record_t *none = (ucrm_record_t *)1;
    ERR(UCRM_ERR_INVALID_ARG, ucrm_record_dup(&none, NULL));
    assert_null(none);
    char *a, *b;
    OK(ucrm_record_to_json(r, &a));
    OK(ucrm_record_to_json(d, &b));
    assert_string_equal(a, b);
    ucrm_free(b);
    assert_int_equal(ucrm_record_is_dirty(d, "email"), 1);
    assert_int_equal(ucrm_record_is_dirty(d, "first_name"), 0);
    /* change everything in the original: the copy keeps its values */
    OK(ucrm_record_set_string(r, "first_name", "Changed"));
    OK(ucrm_record_set_json(r, "custom.Tags__c", "[]"));
    OK(ucrm_record_set_json(r, "address", "{}"));
    OK(ucrm_record_set_id(r, "other"));
    OK(ucrm_record_unset(r, "custom.Score__c"));
    ucrm_record__set_remote(r, NULL);
    ucrm_record_clear_dirty(r);
    OK(ucrm_record_to_json(d, &b));
    assert_string_equal(a, b);
    assert_int_equal(ucrm_record_is_dirty(d, "email"), 1);
    ucrm_free(b);
    OK(ucrm_record_remote_json(d, &b));
    assert_string_equal(b, "{\"p\":1}");
    ucrm_free(b);
    ucrm_free(a);
    ucrm_record_destroy(r);
    ucrm_record_destroy(d);
}

static void test_record__records_page(void **state) {
    (void)state;
    ucrm_records_t *page = NULL;
    OK(ucrm_records__new(&page));
    assert_int_equal(ucrm_records_count(page), 0);
    assert_null(ucrm_records_get(page, 0));
    for (int i = 0; i < 40; i++) {
        ucrm_record_t *r = mk(UCRM_OBJECT_CONTACT);
        char id[8];
        snprintf(id, sizeof id, "%d", i);
        OK(ucrm_record_set_id(r, id));
        OK(ucrm_records__push(page, r));
    }
    ERR(UCRM_ERR_INVALID_ARG, ucrm_records__push(page, NULL));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_records__push(NULL, mk(UCRM_OBJECT_CONTACT))); /* destroyed */
    assert_int_equal(ucrm_records_count(page), 40);
    assert_string_equal(ucrm_record_id(ucrm_records_get(page, 39)), "39");
    assert_null(ucrm_records_get(page, 40));
    ucrm_record_t *t = ucrm_records_take(page, 3);
    assert_string_equal(ucrm_record_id(t), "3");
    assert_null(ucrm_records_get(page, 3));
    assert_null(ucrm_records_take(page, 3));
    assert_null(ucrm_records_take(page, 99));
    assert_int_equal(ucrm_records_count(page), 40);
    ucrm_record_destroy(t);
    ucrm_records__clear(page);
    assert_int_equal(ucrm_records_count(page), 0);
    OK(ucrm_records__push(page, mk(UCRM_OBJECT_DEAL)));
    ucrm_records_destroy(page);
    ucrm_records_destroy(NULL);
    ucrm_records__clear(NULL);
    assert_int_equal(ucrm_records_count(NULL), 0);
    assert_null(ucrm_records_get(NULL, 0));
    assert_null(ucrm_records_take(NULL, 0));
    ERR(UCRM_ERR_INVALID_ARG, ucrm_records__new(NULL));
}

static void test_record__numbers_ignore_application_locale(void **state) {
    (void)state;
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "ru_RU.UTF-8", "C.UTF-8"};
    const char *set = NULL;
    for (size_t k = 0; k < sizeof names / sizeof *names && !set; k++)
        set = setlocale(LC_NUMERIC, names[k]);
    ucrm_record_t *r = mk(UCRM_OBJECT_DEAL);
    double d;
    OK(ucrm_record_set_double(r, "probability", 12.5));
    OK(ucrm_record_set_double(r, "amount", 1500.25));
    assert_field_json(r, "probability", "12.5");
    assert_str(r, "amount", "1500.25");
    OK(ucrm_record_get_double(r, "amount", &d));
    assert_true(d == 1500.25);
    OK(ucrm_record_set_json(r, "probability", "0.75"));
    OK(ucrm_record_get_double(r, "probability", &d));
    assert_true(d == 0.75);
    ucrm_record_destroy(r);
    setlocale(LC_NUMERIC, "C");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record__new_destroy),
        cmocka_unit_test(test_record__string_fields_order_and_replace),
        cmocka_unit_test(test_record__id_is_special),
        cmocka_unit_test(test_record__invalid_field_names),
        cmocka_unit_test(test_record__read_only_fields_rejected),
        cmocka_unit_test(test_record__datetime_provider_forms_normalised),
        cmocka_unit_test(test_record__date_field),
        cmocka_unit_test(test_record__decimal_field),
        cmocka_unit_test(test_record__int_field),
        cmocka_unit_test(test_record__double_and_bool_fields),
        cmocka_unit_test(test_record__null_values),
        cmocka_unit_test(test_record__compound_field_shapes),
        cmocka_unit_test(test_record__custom_fields_every_type),
        cmocka_unit_test(test_record__utf8_rejected_in_setters),
        cmocka_unit_test(test_record__dirty_tracking),
        cmocka_unit_test(test_record__unset),
        cmocka_unit_test(test_record__json_round_trip),
        cmocka_unit_test(test_record__from_json_dirty_and_read_only),
        cmocka_unit_test(test_record__from_json_errors),
        cmocka_unit_test(test_record__from_json_every_truncation_rejected),
        cmocka_unit_test(test_record__from_json_huge_values),
        cmocka_unit_test(test_record__from_json_deep_nesting),
        cmocka_unit_test(test_record__from_json_invalid_utf8),
        cmocka_unit_test(test_record__from_json_numbers),
        cmocka_unit_test(test_record__put_type_checks),
        cmocka_unit_test(test_record__put_json_and_custom),
        cmocka_unit_test(test_record__remote_payload),
        cmocka_unit_test(test_record__merge),
        cmocka_unit_test(test_record__dup_is_independent),
        cmocka_unit_test(test_record__records_page),
        cmocka_unit_test(test_record__numbers_ignore_application_locale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
