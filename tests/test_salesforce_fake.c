/*
 * test_salesforce_fake.c -- the Salesforce adapter against unicrm-fake over real HTTP: every single-record
 * operation on contacts, accounts and deals with their conversions, upsert by external id (created, updated,
 * several matches), custom fields and mapping overrides, search with hostile values, passthrough, and each
 * error the fake can produce mapped to its code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include <cmocka.h>

#include "helpers/sf_test.h"

static ucrm_fake_t *F;
static ucrm_client_t *C;

static int group_setup(void **state) {
    (void)state;
    F = fake_start("--salesforce-custom-fields", SFT_CUSTOM_FIELDS, NULL);
    return F ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    return fake_stop(F) == 0 ? 0 : -1;
}

static int setup(void **state) {
    (void)state;
    if (fake_reset(F))
        return -1;
    C = sft_client(F, NULL);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    ucrm_client_destroy(C);
    C = NULL;
    return 0;
}

static ucrm_record_t *contact(const char *first, const char *last, const char *email) {
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_record_new(&r, UCRM_OBJECT_CONTACT), UCRM_OK);
    if (first)
        assert_int_equal(ucrm_record_set_string(r, "first_name", first), UCRM_OK);
    if (last)
        assert_int_equal(ucrm_record_set_string(r, "last_name", last), UCRM_OK);
    if (email)
        assert_int_equal(ucrm_record_set_string(r, "email", email), UCRM_OK);
    return r;
}

static char *create_contact(const char *first, const char *last, const char *email) {
    ucrm_record_t *r = contact(first, last, email);
    ucrm_error_t *e = NULL;
    sft_ok(ucrm_create(C, r, NULL, &e), &e);
    char *id = strdup(ucrm_record_id(r));
    ucrm_record_destroy(r);
    return id;
}

static bool is_rfc3339_ms(const char *s) {
    /* 2024-05-01T12:00:00.000Z */
    return s && strlen(s) == 24 && s[10] == 'T' && s[19] == '.' && s[23] == 'Z';
}

/* ============================================================================================== contacts */

static void test_salesforce_fake__contact_crud(void **state) {
    (void)state;
    ucrm_error_t *e = NULL;
    ucrm_record_t *r = contact("Ada", "Lovelace", "ada@example.com");
    assert_int_equal(ucrm_record_set_string(r, "title", "Countess"), UCRM_OK);
    assert_int_equal(ucrm_record_set_json(r, "phone_numbers",
                                          "[{\"number\":\"+44 20 1234\",\"type\":\"work\"},"
                                          "{\"number\":\"+44 77 5555\",\"type\":\"mobile\"},"
                                          "{\"number\":\"+44 20 9999\",\"type\":\"fax\"}]"),
                     UCRM_OK);
    assert_int_equal(ucrm_record_set_json(r, "address",
                                          "{\"street\":\"12 St James's Sq\",\"city\":\"London\",\"state\":null,"
                                          "\"postal_code\":\"SW1Y 4JH\",\"country\":\"UK\"}"),
                     UCRM_OK);
    sft_ok(ucrm_create(C, r, NULL, &e), &e);
    const char *id = ucrm_record_id(r);
    assert_non_null(id);
    assert_int_equal(strncmp(id, "003", 3), 0);
    assert_false(ucrm_record_is_dirty(r, NULL));

    /* what Salesforce stored: the six phone fields and Mailing* */
    cJSON *st = sft_stored(F, "Contact", id);
    assert_non_null(st);
    assert_string_equal(cJSON_GetObjectItem(st, "Phone")->valuestring, "+44 20 1234");
    assert_string_equal(cJSON_GetObjectItem(st, "MobilePhone")->valuestring, "+44 77 5555");
    assert_string_equal(cJSON_GetObjectItem(st, "Fax")->valuestring, "+44 20 9999");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(st, "HomePhone")));
    assert_string_equal(cJSON_GetObjectItem(st, "MailingCity")->valuestring, "London");
    assert_string_equal(cJSON_GetObjectItem(st, "MailingPostalCode")->valuestring, "SW1Y 4JH");
    cJSON_Delete(st);

    ucrm_record_t *g = NULL;
    sft_ok(ucrm_get(C, UCRM_OBJECT_CONTACT, id, NULL, &g, &e), &e);
    assert_string_equal(ucrm_record_id(g), id);
    assert_string_equal(sft_str(g, "first_name"), "Ada");
    assert_string_equal(sft_str(g, "last_name"), "Lovelace");
    assert_string_equal(sft_str(g, "email"), "ada@example.com");
    assert_string_equal(sft_str(g, "title"), "Countess");
    assert_true(is_rfc3339_ms(sft_str(g, "created_at")));
    assert_true(is_rfc3339_ms(sft_str(g, "updated_at")));
    assert_int_equal(strncmp(sft_str(g, "owner_id"), "005", 3), 0);
    int del = -1;
    assert_int_equal(ucrm_record_get_bool(g, "is_deleted", &del), UCRM_OK);
    assert_int_equal(del, 0);
    cJSON *phones = sft_json(g, "phone_numbers");
    assert_int_equal(cJSON_GetArraySize(phones), 3);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(phones, 0), "type")->valuestring, "work");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(phones, 1), "number")->valuestring, "+44 77 5555");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(phones, 2), "type")->valuestring, "fax");
    cJSON_Delete(phones);
    cJSON *addr = sft_json(g, "address");
    assert_string_equal(cJSON_GetObjectItem(addr, "street")->valuestring, "12 St James's Sq");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(addr, "state")));
    assert_string_equal(cJSON_GetObjectItem(addr, "country")->valuestring, "UK");
    cJSON_Delete(addr);
    /* a unified field Salesforce lacks is absent */
    const char *s;
    assert_int_equal(ucrm_record_get_string(g, "lifecycle_stage", &s), UCRM_ERR_NOENT);
    /* the raw payload is there */
    char *raw = NULL;
    assert_int_equal(ucrm_record_remote_json(g, &raw), UCRM_OK);
    assert_non_null(strstr(raw, "\"MailingCity\":\"London\""));
    ucrm_free(raw);

    /* update sends only the dirty field */
    assert_int_equal(ucrm_record_set_string(g, "title", "Analyst"), UCRM_OK);
    sft_ok(ucrm_update(C, g, NULL, &e), &e);
    st = sft_stored(F, "Contact", id);
    assert_string_equal(cJSON_GetObjectItem(st, "Title")->valuestring, "Analyst");
    assert_string_equal(cJSON_GetObjectItem(st, "MobilePhone")->valuestring, "+44 77 5555");
    cJSON_Delete(st);

    /* phone list replaced as a whole; null clears the address */
    assert_int_equal(ucrm_record_set_json(g, "phone_numbers", "[{\"number\":\"123\",\"type\":\"home\"}]"), UCRM_OK);
    assert_int_equal(ucrm_record_set_null(g, "address"), UCRM_OK);
    sft_ok(ucrm_update(C, g, NULL, &e), &e);
    ucrm_record_destroy(g);
    sft_ok(ucrm_get(C, UCRM_OBJECT_CONTACT, id, NULL, &g, &e), &e);
    phones = sft_json(g, "phone_numbers");
    assert_int_equal(cJSON_GetArraySize(phones), 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(phones, 0), "type")->valuestring, "home");
    cJSON_Delete(phones);
    assert_true(ucrm_record_is_null(g, "address"));
    ucrm_record_destroy(g);

    sft_ok(ucrm_delete(C, UCRM_OBJECT_CONTACT, id, NULL, &e), &e);
    sft_want(ucrm_get(C, UCRM_OBJECT_CONTACT, id, NULL, &g, &e), &e, UCRM_ERR_NOT_FOUND);
    assert_null(g);
    ucrm_record_destroy(r);
}

static void test_salesforce_fake__get_selects_fields(void **state) {
    (void)state;
    char *id = create_contact("Grace", "Hopper", "grace@example.com");
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    assert_int_equal(ucrm_reqopts_set_fields(o, "email,custom.Score__c"), UCRM_OK);
    ucrm_record_t *g = NULL;
    ucrm_error_t *e = NULL;
    sft_ok(ucrm_get(C, UCRM_OBJECT_CONTACT, id, o, &g, &e), &e);
    assert_string_equal(sft_str(g, "email"), "grace@example.com");
    const char *s;
    assert_int_equal(ucrm_record_get_string(g, "first_name", &s), UCRM_ERR_NOENT);
    assert_true(ucrm_record_is_null(g, "custom.Score__c"));
    ucrm_record_destroy(g);
    /* an unknown field name is refused before any request */
    assert_int_equal(ucrm_reqopts_set_fields(o, "emial"), UCRM_OK);
    sft_want(ucrm_get(C, UCRM_OBJECT_CONTACT, id, o, &g, &e), &e, UCRM_ERR_INVALID_FIELD);
    ucrm_reqopts_destroy(o);
    free(id);
}

/* ============================================================================================== accounts */

static void test_salesforce_fake__account_decimals_and_domain(void **state) {
    (void)state;
    static const char *const revenues[] = {"1500.10", "0.1", "123456789012.34", "-42.5", "1000000"};
    static const char *const expect[] = {"1500.1", "0.1", "123456789012.34", "-42.5", "1000000"};
    ucrm_error_t *e = NULL;
    for (size_t i = 0; i < sizeof revenues / sizeof *revenues; i++) {
        ucrm_record_t *r = NULL;
        ucrm_record_new(&r, UCRM_OBJECT_ACCOUNT);
        assert_int_equal(ucrm_record_set_string(r, "name", "Acme"), UCRM_OK);
        assert_int_equal(ucrm_record_set_string(r, "annual_revenue", revenues[i]), UCRM_OK);
        assert_int_equal(ucrm_record_set_int64(r, "employee_count", 250), UCRM_OK);
        assert_int_equal(ucrm_record_set_string(r, "website", "https://www.Acme.example/about?x=1"), UCRM_OK);
        assert_int_equal(ucrm_record_set_string(r, "industry", "Manufacturing"), UCRM_OK);
        assert_int_equal(ucrm_record_set_json(r, "address", "{\"city\":\"Paris\",\"country\":\"France\"}"), UCRM_OK);
        sft_ok(ucrm_create(C, r, NULL, &e), &e);
        ucrm_record_t *g = NULL;
        sft_ok(ucrm_get(C, UCRM_OBJECT_ACCOUNT, ucrm_record_id(r), NULL, &g, &e), &e);
        assert_int_equal(ucrm_record_field_type(g, "annual_revenue"), UCRM_FIELD_DECIMAL);
        assert_string_equal(sft_str(g, "annual_revenue"), expect[i]);
        int64_t n = 0;
        assert_int_equal(ucrm_record_get_int64(g, "employee_count", &n), UCRM_OK);
        assert_int_equal(n, 250);
        assert_string_equal(sft_str(g, "domain"), "acme.example");
        assert_string_equal(sft_str(g, "website"), "https://www.Acme.example/about?x=1");
        cJSON *a = sft_json(g, "address");
        assert_string_equal(cJSON_GetObjectItem(a, "city")->valuestring, "Paris");
        cJSON_Delete(a);
        cJSON *st = sft_stored(F, "Account", ucrm_record_id(r));
        assert_string_equal(cJSON_GetObjectItem(st, "BillingCity")->valuestring, "Paris");
        cJSON_Delete(st);
        /* domain is derived: writing it is refused, nothing is sent */
        assert_int_equal(ucrm_record_set_string(g, "domain", "other.example"), UCRM_OK);
        sft_want(ucrm_update(C, g, NULL, &e), &e, UCRM_ERR_UNSUPPORTED);
        ucrm_record_destroy(g);
        ucrm_record_destroy(r);
    }
}

/* ============================================================================================== deals */

static void test_salesforce_fake__deal_status_dates_amount(void **state) {
    (void)state;
    ucrm_error_t *e = NULL;
    ucrm_record_t *r = NULL;
    ucrm_record_new(&r, UCRM_OBJECT_DEAL);
    assert_int_equal(ucrm_record_set_string(r, "name", "Big deal"), UCRM_OK);
    assert_int_equal(ucrm_record_set_string(r, "amount", "99999.99"), UCRM_OK);
    assert_int_equal(ucrm_record_set_string(r, "stage", "Prospecting"), UCRM_OK);
    assert_int_equal(ucrm_record_set_string(r, "close_date", "2026-12-31"), UCRM_OK);
    sft_ok(ucrm_create(C, r, NULL, &e), &e);
    ucrm_record_t *g = NULL;
    sft_ok(ucrm_get(C, UCRM_OBJECT_DEAL, ucrm_record_id(r), NULL, &g, &e), &e);
    assert_string_equal(sft_str(g, "amount"), "99999.99");
    assert_string_equal(sft_str(g, "close_date"), "2026-12-31");
    assert_int_equal(ucrm_record_field_type(g, "close_date"), UCRM_FIELD_DATE);
    assert_string_equal(sft_str(g, "status"), "open");
    double p = 0;
    assert_int_equal(ucrm_record_get_double(g, "probability", &p), UCRM_OK);
    assert_true(p == 10.0);
    /* currency exists only in multi-currency orgs: not asked for by default */
    const char *s;
    assert_int_equal(ucrm_record_get_string(g, "currency", &s), UCRM_ERR_NOENT);

    assert_int_equal(ucrm_record_set_string(g, "stage", "Closed Won"), UCRM_OK);
    sft_ok(ucrm_update(C, g, NULL, &e), &e);
    ucrm_record_destroy(g);
    sft_ok(ucrm_get(C, UCRM_OBJECT_DEAL, ucrm_record_id(r), NULL, &g, &e), &e);
    assert_string_equal(sft_str(g, "status"), "won");
    assert_int_equal(ucrm_record_get_double(g, "probability", &p), UCRM_OK);
    assert_true(p == 100.0);
    assert_int_equal(ucrm_record_set_string(g, "stage", "Closed Lost"), UCRM_OK);
    sft_ok(ucrm_update(C, g, NULL, &e), &e);
    ucrm_record_destroy(g);
    sft_ok(ucrm_get(C, UCRM_OBJECT_DEAL, ucrm_record_id(r), NULL, &g, &e), &e);
    assert_string_equal(sft_str(g, "status"), "lost");
    /* status is read-only */
    assert_int_equal(ucrm_record_set_string(g, "status", "won"), UCRM_ERR_UNSUPPORTED);
    ucrm_record_destroy(g);
    sft_ok(ucrm_delete(C, UCRM_OBJECT_DEAL, ucrm_record_id(r), NULL, &e), &e);
    sft_want(ucrm_delete(C, UCRM_OBJECT_DEAL, ucrm_record_id(r), NULL, &e), &e, UCRM_ERR_NOT_FOUND);
    ucrm_record_destroy(r);
}

/* ============================================================================================== upsert */

static void test_salesforce_fake__upsert_by_external_id(void **state) {
    (void)state;
    ucrm_error_t *e = NULL;
    ucrm_record_t *r = contact("Alan", "Turing", "alan@example.com");
    assert_int_equal(ucrm_record_set_string(r, "custom.External_Id__c", "EXT-1"), UCRM_OK);
    sft_ok(ucrm_upsert(C, r, "custom.External_Id__c", NULL, &e), &e);
    char *id = strdup(ucrm_record_id(r));
    ucrm_record_destroy(r);
    assert_int_equal(fake_stat(F, "records.salesforce.Contact"), 1);

    r = contact(NULL, "Turing-2", NULL);
    assert_int_equal(ucrm_record_set_string(r, "custom.External_Id__c", "EXT-1"), UCRM_OK);
    sft_ok(ucrm_upsert(C, r, "custom.External_Id__c", NULL, &e), &e);
    assert_string_equal(ucrm_record_id(r), id);
    assert_int_equal(fake_stat(F, "records.salesforce.Contact"), 1);
    cJSON *st = sft_stored(F, "Contact", id);
    assert_string_equal(cJSON_GetObjectItem(st, "LastName")->valuestring, "Turing-2");
    assert_string_equal(cJSON_GetObjectItem(st, "FirstName")->valuestring, "Alan");
    cJSON_Delete(st);
    ucrm_record_destroy(r);

    /* two records with the same external id (seeded past the uniqueness check): 300 -> CONFLICT */
    cJSON *ids = sft_seed(F, "Contact",
                          "[{\"LastName\":\"A\",\"External_Id__c\":\"DUP\"},{\"LastName\":\"B\",\"External_Id__c\":\"DUP\"}]");
    r = contact(NULL, "C", NULL);
    assert_int_equal(ucrm_record_set_string(r, "custom.External_Id__c", "DUP"), UCRM_OK);
    ucrm_err_t rc = ucrm_upsert(C, r, "custom.External_Id__c", NULL, &e);
    assert_int_equal(rc, UCRM_ERR_CONFLICT);
    assert_int_equal(ucrm_error_http_status(e), 300);
    assert_int_equal(ucrm_error_write_state(e), UCRM_WRITE_NOT_APPLIED);
    assert_string_equal(ucrm_error_existing_id(e), cJSON_GetArrayItem(ids, 0)->valuestring);
    cJSON *details = cJSON_Parse(ucrm_error_details(e));
    assert_int_equal(cJSON_GetArraySize(details), 2);
    assert_non_null(strstr(cJSON_GetArrayItem(details, 1)->valuestring, cJSON_GetArrayItem(ids, 1)->valuestring));
    cJSON_Delete(details);
    ucrm_error_destroy(e);
    e = NULL;
    ucrm_record_destroy(r);
    cJSON_Delete(ids);

    /* a key Salesforce does not know as an external id: NOT_FOUND; a composite field: UNSUPPORTED */
    r = contact(NULL, "D", "d@example.com");
    sft_want(ucrm_upsert(C, r, "email", NULL, &e), &e, UCRM_ERR_NOT_FOUND);
    assert_int_equal(ucrm_record_set_json(r, "address", "{\"city\":\"X\"}"), UCRM_OK);
    sft_want(ucrm_upsert(C, r, "address", NULL, &e), &e, UCRM_ERR_UNSUPPORTED);
    ucrm_record_destroy(r);
    free(id);
}

/* ============================================================================================== custom, mapping */

static void test_salesforce_fake__custom_fields_and_mapping(void **state) {
    (void)state;
    ucrm_error_t *e = NULL;
    ucrm_record_t *r = contact("Mary", "Somerville", NULL);
    assert_int_equal(ucrm_record_set_double(r, "custom.Score__c", 41.5), UCRM_OK);
    assert_int_equal(ucrm_record_set_string(r, "custom.Lifecycle_Stage__c", "lead"), UCRM_OK);
    /* lifecycle_stage has no Salesforce field without a mapping */
    assert_int_equal(ucrm_record_set_string(r, "lifecycle_stage", "customer"), UCRM_OK);
    sft_want(ucrm_create(C, r, NULL, &e), &e, UCRM_ERR_UNSUPPORTED);
    assert_int_equal(ucrm_record_unset(r, "lifecycle_stage"), UCRM_OK);
    sft_ok(ucrm_create(C, r, NULL, &e), &e);
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_fields(o, "last_name,custom.Score__c,custom.Lifecycle_Stage__c");
    ucrm_record_t *g = NULL;
    sft_ok(ucrm_get(C, UCRM_OBJECT_CONTACT, ucrm_record_id(r), o, &g, &e), &e);
    double d = 0;
    assert_int_equal(ucrm_record_get_double(g, "custom.Score__c", &d), UCRM_OK);
    assert_true(d == 41.5);
    assert_string_equal(sft_str(g, "custom.Lifecycle_Stage__c"), "lead");
    ucrm_record_destroy(g);

    /* with mapping.contact.lifecycle_stage the unified field reads and writes Lifecycle_Stage__c */
    const char *kv[] = {"mapping.contact.lifecycle_stage", "Lifecycle_Stage__c", NULL};
    ucrm_client_t *m = sft_client(F, kv);
    sft_ok(ucrm_get(m, UCRM_OBJECT_CONTACT, ucrm_record_id(r), NULL, &g, &e), &e);
    assert_string_equal(sft_str(g, "lifecycle_stage"), "lead");
    assert_int_equal(ucrm_record_set_string(g, "lifecycle_stage", "customer"), UCRM_OK);
    sft_ok(ucrm_update(m, g, NULL, &e), &e);
    ucrm_record_destroy(g);
    cJSON *st = sft_stored(F, "Contact", ucrm_record_id(r));
    assert_string_equal(cJSON_GetObjectItem(st, "Lifecycle_Stage__c")->valuestring, "customer");
    cJSON_Delete(st);
    ucrm_client_destroy(m);

    /* a custom field that does not exist: VALIDATION naming it */
    assert_int_equal(ucrm_record_set_string(r, "custom.Bogus__c", "x"), UCRM_OK);
    ucrm_err_t rc = ucrm_update(C, r, NULL, &e);
    assert_int_equal(rc, UCRM_ERR_VALIDATION);
    assert_string_equal(ucrm_error_provider_code(e), "INVALID_FIELD");
    assert_int_equal(ucrm_error_http_status(e), 400);
    ucrm_error_destroy(e);
    ucrm_record_destroy(r);
    ucrm_reqopts_destroy(o);
}

/* ============================================================================================== search */

static int search_ids(ucrm_object_t o, const char *field, const char *value, char ids[][24], int max) {
    ucrm_iter_t *it = NULL;
    ucrm_error_t *e = NULL;
    sft_ok(ucrm_search(C, o, field, value, NULL, &it, &e), &e);
    int n = 0;
    ucrm_record_t *r;
    ucrm_err_t rc;
    while ((rc = ucrm_iter_next(it, &r, &e)) == UCRM_OK) {
        if (n < max)
            snprintf(ids[n], 24, "%s", ucrm_record_id(r));
        n++;
        ucrm_record_destroy(r);
    }
    sft_want(rc, &e, UCRM_ITEROVER);
    ucrm_iter_destroy(it);
    return n;
}

static void test_salesforce_fake__search_hostile_values(void **state) {
    (void)state;
    static const char *const hostile[] = {
        "O'Brien",
        "x' OR LastName != '",
        "' OR Name LIKE '%",
        "back\\slash\\",
        "quote\"double",
        "trailing\\'",
        "multi\nline\ttab\rcr",
        "Zoë Łukasz 山田 🚀",
        "%_%",
        "a) OR (Id != null",
    };
    char ids[4][24];
    char *made[sizeof hostile / sizeof *hostile];
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++)
        made[i] = create_contact("H", hostile[i], NULL);
    free(create_contact("Plain", "Plain", "plain@example.com"));
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
        int n = search_ids(UCRM_OBJECT_CONTACT, "last_name", hostile[i], ids, 4);
        if (n != 1)
            print_message("search for [%s] found %d\n", hostile[i], n);
        assert_int_equal(n, 1);
        assert_string_equal(ids[0], made[i]);
    }
    /* quote-injection attempts that match nothing must find nothing */
    assert_int_equal(search_ids(UCRM_OBJECT_CONTACT, "email", "nobody' OR Email != '", ids, 4), 0);
    assert_int_equal(search_ids(UCRM_OBJECT_CONTACT, "email", "\\' OR Email != null OR Email = \\'", ids, 4), 0);
    /* long value: one literal, still no match; too long for a URI: refused before any request */
    char *longv = malloc(3001);
    memset(longv, '\'', 3000);
    longv[1000] = '\0';
    assert_int_equal(search_ids(UCRM_OBJECT_CONTACT, "last_name", longv, ids, 4), 0);
    longv[1000] = '\'';
    longv[3000] = '\0';
    ucrm_iter_t *it = NULL;
    ucrm_error_t *e = NULL;
    sft_want(ucrm_search(C, UCRM_OBJECT_CONTACT, "last_name", longv, NULL, &it, &e), &e, UCRM_ERR_INVALID_ARG);
    assert_null(it);
    free(longv);
    /* exact match on a plain field, case-insensitive as SOQL is */
    assert_int_equal(search_ids(UCRM_OBJECT_CONTACT, "email", "PLAIN@example.com", ids, 4), 1);
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++)
        free(made[i]);
}

static void test_salesforce_fake__search_typed_fields(void **state) {
    (void)state;
    ucrm_error_t *e = NULL;
    ucrm_record_t *r = contact("P", "Phones", NULL);
    ucrm_record_set_json(r, "phone_numbers", "[{\"number\":\"555-0100\",\"type\":\"mobile\"}]");
    sft_ok(ucrm_create(C, r, NULL, &e), &e);
    char ids[4][24];
    assert_int_equal(search_ids(UCRM_OBJECT_CONTACT, "phone_numbers", "555-0100", ids, 4), 1);
    assert_string_equal(ids[0], ucrm_record_id(r));
    assert_int_equal(search_ids(UCRM_OBJECT_CONTACT, "id", ucrm_record_id(r), ids, 4), 1);
    ucrm_record_destroy(r);

    cJSON *d = sft_seed(F, "Opportunity",
                        "[{\"Name\":\"W\",\"StageName\":\"Closed Won\",\"CloseDate\":\"2025-01-31\",\"Amount\":10},"
                        "{\"Name\":\"L\",\"StageName\":\"Closed Lost\",\"CloseDate\":\"2025-02-28\",\"Amount\":20},"
                        "{\"Name\":\"O\",\"StageName\":\"Prospecting\",\"CloseDate\":\"2025-01-31\",\"Amount\":10.5}]");
    assert_int_equal(search_ids(UCRM_OBJECT_DEAL, "status", "won", ids, 4), 1);
    assert_string_equal(ids[0], cJSON_GetArrayItem(d, 0)->valuestring);
    assert_int_equal(search_ids(UCRM_OBJECT_DEAL, "status", "lost", ids, 4), 1);
    assert_string_equal(ids[0], cJSON_GetArrayItem(d, 1)->valuestring);
    assert_int_equal(search_ids(UCRM_OBJECT_DEAL, "status", "open", ids, 4), 1);
    assert_int_equal(search_ids(UCRM_OBJECT_DEAL, "close_date", "2025-01-31", ids, 4), 2);
    assert_int_equal(search_ids(UCRM_OBJECT_DEAL, "amount", "10.5", ids, 4), 1);
    assert_string_equal(ids[0], cJSON_GetArrayItem(d, 2)->valuestring);
    cJSON_Delete(d);

    /* values that are not of the field's type are refused before any request */
    ucrm_iter_t *it = NULL;
    sft_want(ucrm_search(C, UCRM_OBJECT_DEAL, "close_date", "2025-01-31' OR Name != '", NULL, &it, &e), &e,
             UCRM_ERR_INVALID_ARG);
    sft_want(ucrm_search(C, UCRM_OBJECT_DEAL, "amount", "1 OR Amount > 0", NULL, &it, &e), &e, UCRM_ERR_INVALID_ARG);
    sft_want(ucrm_search(C, UCRM_OBJECT_DEAL, "status", "closed", NULL, &it, &e), &e, UCRM_ERR_INVALID_ARG);
    sft_want(ucrm_search(C, UCRM_OBJECT_CONTACT, "custom.Bad Name", "x", NULL, &it, &e), &e, UCRM_ERR_INVALID_FIELD);
    sft_want(ucrm_search(C, UCRM_OBJECT_CONTACT, "lifecycle_stage", "x", NULL, &it, &e), &e, UCRM_ERR_UNSUPPORTED);
    sft_want(ucrm_search(C, UCRM_OBJECT_CONTACT, "address", "x", NULL, &it, &e), &e, UCRM_ERR_UNSUPPORTED);
    assert_null(it);
}

/* ============================================================================================== passthrough */

static void test_salesforce_fake__passthrough(void **state) {
    (void)state;
    ucrm_error_t *e = NULL;
    ucrm_response_t *resp = NULL;
    sft_ok(ucrm_passthrough(C, "GET", "/services/data/{version}/limits", NULL, 0, NULL, &resp, &e), &e);
    assert_int_equal(ucrm_response_status(resp), 200);
    assert_non_null(strstr(ucrm_response_body(resp, NULL), "DailyApiRequests"));
    assert_non_null(ucrm_response_header(resp, "Sforce-Limit-Info"));
    ucrm_response_destroy(resp);
    /* relative to /services/data/vXX.X; any status comes back as is */
    sft_ok(ucrm_passthrough(C, "GET", "/sobjects/Contact/003000000000000AAA", NULL, 0, NULL, &resp, &e), &e);
    assert_int_equal(ucrm_response_status(resp), 404);
    ucrm_response_destroy(resp);
    const char *q = "/query/?q=SELECT+Id+FROM+Account";
    sft_ok(ucrm_passthrough(C, "GET", q, NULL, 0, NULL, &resp, &e), &e);
    assert_int_equal(ucrm_response_status(resp), 200);
    assert_non_null(strstr(ucrm_response_body(resp, NULL), "\"totalSize\":0"));
    ucrm_response_destroy(resp);
    const char *body = "{\"LastName\":\"Via passthrough\"}";
    sft_ok(ucrm_passthrough(C, "POST", "/services/data/{version}/sobjects/Contact/", body, strlen(body), NULL, &resp,
                            &e),
           &e);
    assert_int_equal(ucrm_response_status(resp), 201);
    ucrm_response_destroy(resp);
    assert_int_equal(fake_stat(F, "records.salesforce.Contact"), 1);
}

/* ============================================================================================== errors */

static void test_salesforce_fake__errors_mapped(void **state) {
    (void)state;
    ucrm_error_t *e = NULL;
    ucrm_record_t *g = NULL;
    char *id = create_contact("E", "Errors", NULL);
    /* MALFORMED_ID: a contact id asked for as an account */
    ucrm_err_t rc = ucrm_get(C, UCRM_OBJECT_ACCOUNT, id, NULL, &g, &e);
    assert_int_equal(rc, UCRM_ERR_VALIDATION);
    assert_string_equal(ucrm_error_provider_code(e), "MALFORMED_ID");
    assert_string_equal(ucrm_error_field(e), "id");
    ucrm_error_destroy(e);
    e = NULL;
    /* NOT_FOUND */
    rc = ucrm_get(C, UCRM_OBJECT_CONTACT, "003000000000001AAA", NULL, &g, &e);
    assert_int_equal(rc, UCRM_ERR_NOT_FOUND);
    assert_int_equal(ucrm_error_http_status(e), 404);
    assert_false(ucrm_error_is_retriable(e));
    ucrm_error_destroy(e);
    e = NULL;
    /* ENTITY_IS_DELETED */
    sft_ok(ucrm_delete(C, UCRM_OBJECT_CONTACT, id, NULL, &e), &e);
    rc = ucrm_get(C, UCRM_OBJECT_CONTACT, id, NULL, &g, &e);
    assert_int_equal(rc, UCRM_ERR_NOT_FOUND);
    assert_string_equal(ucrm_error_provider_code(e), "ENTITY_IS_DELETED");
    ucrm_error_destroy(e);
    e = NULL;
    /* REQUIRED_FIELD_MISSING names the unified field */
    ucrm_record_t *r = contact("No", NULL, NULL);
    rc = ucrm_create(C, r, NULL, &e);
    assert_int_equal(rc, UCRM_ERR_VALIDATION);
    assert_string_equal(ucrm_error_provider_code(e), "REQUIRED_FIELD_MISSING");
    assert_string_equal(ucrm_error_field(e), "last_name");
    assert_int_equal(ucrm_error_write_state(e), UCRM_WRITE_NOT_APPLIED);
    assert_null(ucrm_record_id(r));
    ucrm_error_destroy(e);
    e = NULL;
    ucrm_record_destroy(r);
    /* MALFORMED_ID on a reference field */
    r = contact(NULL, "Ref", NULL);
    ucrm_record_set_string(r, "account_id", "001bogus");
    rc = ucrm_create(C, r, NULL, &e);
    assert_int_equal(rc, UCRM_ERR_VALIDATION);
    assert_string_equal(ucrm_error_field(e), "account_id");
    ucrm_error_destroy(e);
    e = NULL;
    ucrm_record_destroy(r);
    /* DUPLICATE_VALUE on a unique external id: CONFLICT with the existing record */
    r = contact(NULL, "Dup1", NULL);
    ucrm_record_set_string(r, "custom.External_Id__c", "U-1");
    sft_ok(ucrm_create(C, r, NULL, &e), &e);
    ucrm_record_t *r2 = contact(NULL, "Dup2", NULL);
    ucrm_record_set_string(r2, "custom.External_Id__c", "U-1");
    rc = ucrm_create(C, r2, NULL, &e);
    assert_int_equal(rc, UCRM_ERR_CONFLICT);
    assert_string_equal(ucrm_error_provider_code(e), "DUPLICATE_VALUE");
    assert_string_equal(ucrm_error_existing_id(e), ucrm_record_id(r));
    ucrm_error_destroy(e);
    ucrm_record_destroy(r);
    ucrm_record_destroy(r2);
    free(id);
}

static void test_salesforce_fake__quota_and_revoked_credentials(void **state) {
    (void)state;
    ucrm_error_t *e = NULL;
    ucrm_record_t *g = NULL;
    /* the fake's throttling answer is 403 REQUEST_LIMIT_EXCEEDED "TotalRequests Limit exceeded.": the daily
     * allocation, not retried */
    assert_int_equal(fake_set_faults(F, "{\"rate\":1,\"faults\":[\"429\"]}"), 0);
    ucrm_err_t rc = ucrm_get(C, UCRM_OBJECT_CONTACT, "003000000000001AAA", NULL, &g, &e);
    assert_int_equal(rc, UCRM_ERR_QUOTA_EXHAUSTED);
    assert_string_equal(ucrm_error_provider_code(e), "REQUEST_LIMIT_EXCEEDED");
    assert_false(ucrm_error_is_retriable(e));
    assert_int_equal(fake_stat(F, "faults_injected.429"), 1);
    ucrm_error_destroy(e);
    e = NULL;
    assert_int_equal(fake_set_faults(F, "{\"rate\":0}"), 0);

    /* a revoked refresh token: AUTH saying re-authorisation is needed */
    long st = 0;
    free(fake_request(F, "POST", "/__fake/revoke", "{\"provider\":\"salesforce\"}", &st));
    assert_int_equal(st, 200);
    rc = ucrm_get(C, UCRM_OBJECT_CONTACT, "003000000000001AAA", NULL, &g, &e);
    assert_int_equal(rc, UCRM_ERR_AUTH);
    assert_string_equal(ucrm_error_provider_code(e), "invalid_grant");
    assert_non_null(strstr(ucrm_error_message(e), "re-authorisation is needed"));
    assert_null(strstr(ucrm_error_message(e), "test-refresh"));
    ucrm_error_destroy(e);
}

static void test_salesforce_fake__truncated_and_server_errors(void **state) {
    (void)state;
    ucrm_error_t *e = NULL;
    char *id = create_contact("T", "Trunc", NULL);
    ucrm_record_t *g = NULL;
    assert_int_equal(fake_set_faults(F, "{\"rate\":1,\"faults\":[\"badjson\"],\"when\":\"after\"}"), 0);
    ucrm_err_t rc = ucrm_get(C, UCRM_OBJECT_CONTACT, id, NULL, &g, &e);
    assert_int_equal(rc, UCRM_ERR_PROTOCOL);
    assert_null(g);
    ucrm_error_destroy(e);
    e = NULL;
    ucrm_iter_t *it = NULL;
    sft_ok(ucrm_list(C, UCRM_OBJECT_CONTACT, NULL, &it, &e), &e);
    sft_want(ucrm_iter_next(it, &g, &e), &e, UCRM_ERR_PROTOCOL);
    /* 503 is retried: with faults gone, the same iterator goes on */
    assert_int_equal(fake_set_faults(F, "{\"rate\":0}"), 0);
    sft_ok(ucrm_iter_next(it, &g, &e), &e);
    assert_string_equal(ucrm_record_id(g), id);
    ucrm_record_destroy(g);
    ucrm_iter_destroy(it);
    /* server errors are retried and then reported as PROVIDER, retriable */
    assert_int_equal(fake_set_faults(F, "{\"rate\":1,\"faults\":[\"503\"],\"when\":\"before\"}"), 0);
    rc = ucrm_get(C, UCRM_OBJECT_CONTACT, id, NULL, &g, &e);
    assert_int_equal(rc, UCRM_ERR_PROVIDER);
    assert_true(ucrm_error_is_retriable(e));
    assert_true(fake_stat(F, "faults_injected.503") >= 2);
    ucrm_error_destroy(e);
    assert_int_equal(fake_set_faults(F, "{\"rate\":0}"), 0);
    free(id);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_salesforce_fake__contact_crud, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_fake__get_selects_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_fake__account_decimals_and_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_fake__deal_status_dates_amount, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_fake__upsert_by_external_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_fake__custom_fields_and_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_fake__search_hostile_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_fake__search_typed_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_fake__passthrough, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_fake__errors_mapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_fake__quota_and_revoked_credentials, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_fake__truncated_and_server_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
