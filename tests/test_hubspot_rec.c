/*
 * test_hubspot_rec.c -- the HubSpot adapter's single-record operations on recorded exchanges (scripted
 * transport, tests/data/hubspot/<case>.http): every conversion of the field maps in both directions, mapping
 * overrides, custom properties, the primary-company association, the error mapping of every status, OAuth
 * token requests, and malformed or truncated answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/hstest.h"
#include "provider_int.h"

extern const ucrm_provider_t ucrm__provider_hubspot;

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define CONTACT_PROPS                                                                                          \
    "firstname,lastname,email,hs_additional_emails,phone,mobilephone,fax,jobtitle,hubspot_owner_id,"           \
    "lifecyclestage,address,city,state,zip,country"

static ucrm_record_t *get_ok(hsfx_t *f, ucrm_object_t o, const char *id, const ucrm_reqopts_t *opts) {
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_get(f->c, o, id, opts, &r, &e);
    if (rc != UCRM_OK)
        fail_msg("get %s: %s %s", id, ucrm_err_name(rc), ucrm_error_message(e));
    return r;
}

/* ---------------------------------------------------------------------------------------------- reads */

static void test_hubspot_rec__contact_read(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    hs_fx_load(f, "contact_get");
    ucrm_record_t *r = get_ok(f, UCRM_OBJECT_CONTACT, "512", NULL);
    assert_string_equal(ucrm_record_id(r), "512");
    assert_string_equal(hs_str(r, "first_name"), "Jane");
    assert_string_equal(hs_str(r, "email"), "jane.doe@example.com");
    assert_string_equal(hs_str(r, "title"), "CTO");
    assert_string_equal(hs_str(r, "owner_id"), "910901");
    assert_string_equal(hs_str(r, "lifecycle_stage"), "customer");
    assert_string_equal(hs_json(r, "additional_emails"), "[\"jane@home.example\",\"j.doe@old.example\"]");
    /* fax "" is no value: only work and mobile */
    assert_string_equal(hs_json(r, "phone_numbers"),
                        "[{\"number\":\"+1 555 0100\",\"type\":\"work\"},{\"number\":\"+1 555 0101\",\"type\":\"mobile\"}]");
    assert_string_equal(hs_json(r, "address"), "{\"street\":\"1 Main St\",\"city\":\"Boston\",\"state\":\"MA\","
                                               "\"postal_code\":\"02110\",\"country\":null}");
    /* the primary company, not the first one listed */
    assert_string_equal(hs_str(r, "account_id"), "900");
    assert_string_equal(hs_str(r, "created_at"), "2019-10-30T03:30:17.883Z");
    assert_string_equal(hs_str(r, "updated_at"), "2019-12-07T16:50:06.678Z");
    int del = -1;
    assert_int_equal(ucrm_record_get_bool(r, "is_deleted", &del), UCRM_OK);
    assert_int_equal(del, 0);
    /* other properties are custom fields; those duplicating unified fields are not */
    assert_string_equal(hs_str(r, "custom.favorite_color"), "teal");
    assert_int_equal(ucrm_record_field_type(r, "custom.hs_object_id"), UCRM_FIELD_NONE);
    assert_int_equal(ucrm_record_field_type(r, "custom.lastmodifieddate"), UCRM_FIELD_NONE);
    char *raw = NULL;
    assert_int_equal(ucrm_record_remote_json(r, &raw), UCRM_OK);
    assert_non_null(strstr(raw, "\"contact_to_company_unlabeled\""));
    ucrm_free(raw);
    ucrm_record_destroy(r);
    /* the request carried the token */
    assert_string_equal(script_request_header(f->s, 0, "Authorization"), "Bearer pat-na1-test");
    assert_true(hs_fx_done(f));
}

static void test_hubspot_rec__company_read(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    hs_fx_load(f, "company_get");
    ucrm_record_t *r = get_ok(f, UCRM_OBJECT_ACCOUNT, "77", NULL);
    int64_t n = 0;
    assert_int_equal(ucrm_record_get_int64(r, "employee_count", &n), UCRM_OK);
    assert_int_equal(n, 250);
    assert_int_equal(ucrm_record_field_type(r, "annual_revenue"), UCRM_FIELD_DECIMAL);
    assert_string_equal(hs_str(r, "annual_revenue"), "15000000");
    assert_true(ucrm_record_is_null(r, "description"));
    assert_string_equal(hs_json(r, "address"), "null"); /* city "" and nothing else */
    assert_string_equal(hs_str(r, "updated_at"), "2024-05-01T12:00:00.000Z");
    assert_string_equal(hs_str(r, "phone"), "+1 555 0199");
    ucrm_record_destroy(r);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_rec__deal_read(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    hs_fx_load(f, "deal_get");
    double p = -1;
    ucrm_record_t *r = get_ok(f, UCRM_OBJECT_DEAL, "31", NULL);
    assert_string_equal(hs_str(r, "status"), "won");
    assert_string_equal(hs_str(r, "amount"), "1500.10");
    assert_string_equal(hs_str(r, "currency"), "EUR");
    assert_string_equal(hs_str(r, "close_date"), "2019-12-07");
    assert_int_equal(ucrm_record_get_double(r, "probability", &p), UCRM_OK);
    assert_true(p == 100.0);
    assert_string_equal(hs_str(r, "account_id"), "77");
    assert_string_equal(hs_str(r, "stage"), "closedwon");
    ucrm_record_destroy(r);
    r = get_ok(f, UCRM_OBJECT_DEAL, "32", NULL);
    assert_string_equal(hs_str(r, "status"), "lost");
    assert_string_equal(hs_str(r, "close_date"), "2019-10-31"); /* epoch ms 1572480000000 */
    assert_int_equal(ucrm_record_get_double(r, "probability", &p), UCRM_OK);
    assert_true(p == 0.0);
    assert_true(ucrm_record_is_null(r, "account_id")); /* associations asked for, none returned */
    assert_true(ucrm_record_is_null(r, "currency"));   /* asked for, omitted */
    ucrm_record_destroy(r);
    r = get_ok(f, UCRM_OBJECT_DEAL, "33", NULL);
    assert_string_equal(hs_str(r, "status"), "open");
    assert_int_equal(ucrm_record_get_double(r, "probability", &p), UCRM_OK);
    assert_true(p == 90.0); /* exactly: not 0.9 * 100 */
    assert_string_equal(hs_str(r, "amount"), "99.999");
    assert_true(ucrm_record_is_null(r, "close_date"));
    ucrm_record_destroy(r);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_rec__selected_fields(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    script_expect(f->s, "GET", "/crm/v3/objects/contacts/5?properties=email,phone,mobilephone,fax,favorite_color",
                  NULL, 200, NULL,
                  "{\"id\":\"5\",\"properties\":{\"email\":\"x@y.com\",\"phone\":\"1\",\"hs_object_id\":\"5\","
                  "\"createdate\":\"2024-01-01T00:00:00Z\",\"lastmodifieddate\":\"2024-01-01T00:00:00Z\"},"
                  "\"createdAt\":\"2024-01-01T00:00:00Z\",\"updatedAt\":\"2024-01-01T00:00:00Z\",\"archived\":false}");
    script_expect(f->s, "GET", "/crm/v3/objects/contacts/6?associations=companies", NULL, 200, NULL,
                  "{\"id\":\"6\",\"properties\":{},\"createdAt\":\"2024-01-01T00:00:00Z\","
                  "\"updatedAt\":\"2024-01-01T00:00:00Z\",\"archived\":false}");
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    assert_int_equal(ucrm_reqopts_set_fields(o, "email,custom.favorite_color,phone_numbers,updated_at"), UCRM_OK);
    ucrm_record_t *r = get_ok(f, UCRM_OBJECT_CONTACT, "5", o);
    assert_string_equal(hs_str(r, "email"), "x@y.com");
    assert_true(ucrm_record_is_null(r, "custom.favorite_color")); /* selected, no value */
    assert_string_equal(hs_json(r, "phone_numbers"), "[{\"number\":\"1\",\"type\":\"work\"}]");
    assert_int_equal(ucrm_record_field_type(r, "first_name"), UCRM_FIELD_NONE);  /* not selected */
    assert_int_equal(ucrm_record_field_type(r, "custom.createdate"), UCRM_FIELD_NONE);
    ucrm_record_destroy(r);
    ucrm_reqopts_set_fields(o, "account_id");
    r = get_ok(f, UCRM_OBJECT_CONTACT, "6", o);
    assert_true(ucrm_record_is_null(r, "account_id"));
    ucrm_record_destroy(r);
    /* a field the object does not have */
    ucrm_error_t *e = NULL;
    ucrm_reqopts_set_fields(o, "amount");
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "7", o, &r, &e), UCRM_ERR_INVALID_FIELD);
    assert_non_null(strstr(ucrm_error_message(e), "amount"));
    ucrm_error_destroy(e);
    ucrm_reqopts_destroy(o);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_rec__get_include_deleted(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    const char *nf = "{\"status\":\"error\",\"message\":\"Object not found.\",\"correlationId\":\"c-1\","
                     "\"category\":\"OBJECT_NOT_FOUND\"}";
    script_expect(f->s, "GET", "/crm/v3/objects/companies/8?properties=name", NULL, 404, NULL, nf);
    script_expect(f->s, "GET", "/crm/v3/objects/companies/8?properties=name&archived=true", NULL, 200, NULL,
                  "{\"id\":\"8\",\"properties\":{\"name\":\"Old\"},\"createdAt\":\"2024-01-01T00:00:00Z\","
                  "\"updatedAt\":\"2024-01-02T00:00:00Z\",\"archived\":true,\"archivedAt\":\"2024-01-02T00:00:00Z\"}");
    script_expect(f->s, "GET", "/crm/v3/objects/companies/9?properties=name", NULL, 404, NULL, nf);
    script_expect(f->s, "GET", "/crm/v3/objects/companies/9?properties=name&archived=true", NULL, 404, NULL, nf);
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_fields(o, "name");
    ucrm_reqopts_set_include_deleted(o, 1);
    ucrm_error_t *e = NULL;
    ucrm_record_t *r = get_ok(f, UCRM_OBJECT_ACCOUNT, "8", o);
    int del = 0;
    assert_int_equal(ucrm_record_get_bool(r, "is_deleted", &del), UCRM_OK);
    assert_int_equal(del, 1);
    ucrm_record_destroy(r);
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_ACCOUNT, "9", o, &r, &e), UCRM_ERR_NOT_FOUND);
    assert_null(r);
    ucrm_error_destroy(e);
    ucrm_reqopts_destroy(o);
    assert_true(hs_fx_done(f));
}

/* ---------------------------------------------------------------------------------------------- writes */

static ucrm_record_t *contact(void) {
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_record_new(&r, UCRM_OBJECT_CONTACT), UCRM_OK);
    return r;
}

static void test_hubspot_rec__create_body(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    script_expect(f->s, "POST", "/crm/v3/objects/contacts",
                  "{\"properties\":{\"firstname\":\"Ada\",\"email\":\"ada@example.com\","
                  "\"hs_additional_emails\":\"a@b.com;c@d.com\",\"phone\":\"\",\"mobilephone\":\"123\",\"fax\":\"9\","
                  "\"address\":\"\",\"city\":\"Paris\",\"state\":\"\",\"zip\":\"75001\",\"country\":\"\","
                  "\"favorite_color\":\"teal\",\"score\":\"42\",\"vip\":\"true\",\"ratio\":\"0.25\",\"lastname\":\"\","
                  "\"tags\":\"a;b\"},"
                  "\"associations\":[{\"to\":{\"id\":\"900\"},\"types\":[{\"associationCategory\":\"HUBSPOT_DEFINED\","
                  "\"associationTypeId\":1}]}]}",
                  201, NULL,
                  "{\"id\":\"601\",\"properties\":{\"firstname\":\"Ada\",\"email\":\"ada@example.com\","
                  "\"lifecyclestage\":\"lead\",\"hs_object_id\":\"601\",\"createdate\":\"2024-08-15T17:09:13.648Z\"},"
                  "\"createdAt\":\"2024-08-15T17:09:13.648Z\",\"updatedAt\":\"2024-08-15T17:09:13.648Z\","
                  "\"archived\":false}");
    ucrm_record_t *r = contact();
    ucrm_record_set_string(r, "first_name", "Ada");
    ucrm_record_set_string(r, "email", "ada@example.com");
    ucrm_record_set_json(r, "additional_emails", "[\"a@b.com\",\"c@d.com\"]");
    ucrm_record_set_json(r, "phone_numbers", "[{\"number\":\"123\",\"type\":\"mobile\"},{\"number\":\"9\",\"type\":\"fax\"}]");
    ucrm_record_set_json(r, "address", "{\"city\":\"Paris\",\"postal_code\":\"75001\"}");
    ucrm_record_set_string(r, "account_id", "900");
    ucrm_record_set_string(r, "custom.favorite_color", "teal");
    ucrm_record_set_int64(r, "custom.score", 42);
    ucrm_record_set_bool(r, "custom.vip", 1);
    ucrm_record_set_double(r, "custom.ratio", 0.25);
    ucrm_record_set_null(r, "last_name");
    ucrm_record_set_json(r, "custom.tags", "[\"a\",\"b\"]");
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_create(f->c, r, NULL, &e);
    if (rc != UCRM_OK)
        fail_msg("create: %s %s", ucrm_err_name(rc), ucrm_error_message(e));
    assert_string_equal(ucrm_record_id(r), "601");
    assert_string_equal(hs_str(r, "lifecycle_stage"), "lead"); /* read back */
    assert_string_equal(hs_str(r, "account_id"), "900");       /* kept */
    assert_string_equal(hs_str(r, "created_at"), "2024-08-15T17:09:13.648Z");
    assert_int_equal(ucrm_record_is_dirty(r, NULL), 0);
    ucrm_record_destroy(r);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_rec__create_deal_company(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    /* probability is HubSpot's: refused before anything is sent; close_date as midnight UTC; no association */
    script_expect(f->s, "POST", "/crm/v3/objects/deals",
                  "{\"properties\":{\"dealname\":\"D\",\"amount\":\"1500.25\",\"closedate\":\"2024-06-30T00:00:00.000Z\","
                  "\"dealstage\":\"contractsent\"},\"associations\":[]}",
                  201, NULL,
                  "{\"id\":\"70\",\"properties\":{\"dealname\":\"D\",\"amount\":\"1500.25\",\"hs_is_closed\":\"false\","
                  "\"hs_deal_stage_probability\":\"0.9\"},\"createdAt\":\"2024-08-15T17:09:13.648Z\","
                  "\"updatedAt\":\"2024-08-15T17:09:13.648Z\",\"archived\":false}");
    script_expect(f->s, "POST", "/crm/v3/objects/companies",
                  "{\"properties\":{\"name\":\"Acme\",\"numberofemployees\":\"250\",\"annualrevenue\":\"1000000.50\"},"
                  "\"associations\":[]}",
                  201, NULL,
                  "{\"id\":\"71\",\"properties\":{\"name\":\"Acme\"},\"createdAt\":\"2024-08-15T17:09:13.648Z\","
                  "\"updatedAt\":\"2024-08-15T17:09:13.648Z\",\"archived\":false}");
    ucrm_record_t *d = NULL;
    ucrm_error_t *e = NULL;
    ucrm_record_new(&d, UCRM_OBJECT_DEAL);
    ucrm_record_set_string(d, "name", "D");
    ucrm_record_set_double(d, "probability", 50);
    assert_int_equal(ucrm_create(f->c, d, NULL, &e), UCRM_ERR_UNSUPPORTED);
    assert_string_equal(ucrm_error_field(e), "probability");
    assert_non_null(strstr(ucrm_error_message(e), "mapping.deal.probability"));
    assert_int_equal(script_requests(f->s), 0);
    ucrm_record_unset(d, "probability");
    ucrm_record_set_string(d, "amount", "1500.25");
    ucrm_record_set_string(d, "close_date", "2024-06-30");
    ucrm_record_set_string(d, "stage", "contractsent");
    assert_int_equal(ucrm_record_set_string(d, "status", "won"), UCRM_ERR_UNSUPPORTED); /* read-only field */
    assert_int_equal(ucrm_create(f->c, d, NULL, &e), UCRM_OK);
    double p = 0;
    assert_int_equal(ucrm_record_get_double(d, "probability", &p), UCRM_OK);
    assert_true(p == 90.0);
    assert_string_equal(hs_str(d, "status"), "open");
    ucrm_record_destroy(d);
    ucrm_record_t *a = NULL;
    ucrm_record_new(&a, UCRM_OBJECT_ACCOUNT);
    ucrm_record_set_string(a, "name", "Acme");
    ucrm_record_set_int64(a, "employee_count", 250);
    ucrm_record_set_string(a, "annual_revenue", "1000000.50");
    assert_int_equal(ucrm_create(f->c, a, NULL, &e), UCRM_OK);
    assert_string_equal(ucrm_record_id(a), "71");
    ucrm_record_destroy(a);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_rec__unsupported_writes(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    ucrm_record_t *r = contact();
    ucrm_error_t *e = NULL;
    ucrm_record_set_json(r, "phone_numbers", "[{\"number\":\"1\",\"type\":\"home\"}]");
    assert_int_equal(ucrm_create(f->c, r, NULL, &e), UCRM_ERR_UNSUPPORTED);
    assert_string_equal(ucrm_error_field(e), "phone_numbers");
    assert_non_null(strstr(ucrm_error_message(e), "'home'"));
    ucrm_record_set_json(r, "phone_numbers", "[{\"number\":\"1\",\"type\":\"work\"},{\"number\":\"2\"}]");
    assert_int_equal(ucrm_create(f->c, r, NULL, &e), UCRM_ERR_UNSUPPORTED); /* two work numbers */
    ucrm_record_set_null(r, "phone_numbers");
    ucrm_record_set_json(r, "additional_emails", "[\"a;b@x.com\"]");
    assert_int_equal(ucrm_create(f->c, r, NULL, &e), UCRM_ERR_VALIDATION);
    assert_string_equal(ucrm_error_field(e), "additional_emails");
    ucrm_record_set_null(r, "additional_emails");
    ucrm_record_set_string(r, "email", "a@x.com");
    ucrm_record_set_string(r, "custom.email", "b@x.com");
    assert_int_equal(ucrm_create(f->c, r, NULL, &e), UCRM_ERR_INVALID_ARG); /* two values for one property */
    assert_int_equal(script_requests(f->s), 0);
    ucrm_record_destroy(r);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

static const char *const patched =
    "{\"id\":\"512\",\"properties\":{\"jobtitle\":\"CEO\",\"hs_object_id\":\"512\"},"
    "\"createdAt\":\"2019-10-30T03:30:17.883Z\",\"updatedAt\":\"2024-08-15T17:09:13.648Z\",\"archived\":false}";

static void test_hubspot_rec__update_dirty_and_primary(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    hs_fx_load(f, "contact_get");
    script_expect(f->s, "PATCH", "/crm/v3/objects/contacts/512", "{\"properties\":{\"jobtitle\":\"CEO\"}}", 200, NULL,
                  patched);
    /* PROTOCOL B6: the new primary company, with the primary type id; the old primary is not removed */
    script_expect(f->s, "PUT", "/crm/v4/objects/contacts/512/associations/companies/700",
                  "[{\"associationCategory\":\"HUBSPOT_DEFINED\",\"associationTypeId\":1}]", 201, NULL,
                  "{\"fromObjectTypeId\":\"0-1\",\"fromObjectId\":512,\"toObjectTypeId\":\"0-2\",\"toObjectId\":700,"
                  "\"labels\":[\"Primary\"]}");
    ucrm_record_t *r = get_ok(f, UCRM_OBJECT_CONTACT, "512", NULL);
    ucrm_record_set_string(r, "title", "CEO");
    ucrm_record_set_string(r, "account_id", "700");
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_update(f->c, r, NULL, &e), UCRM_OK);
    assert_string_equal(hs_str(r, "account_id"), "700");
    assert_string_equal(hs_str(r, "title"), "CEO");
    assert_string_equal(hs_str(r, "updated_at"), "2024-08-15T17:09:13.648Z");
    assert_string_equal(hs_str(r, "first_name"), "Jane"); /* kept */
    ucrm_record_destroy(r);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_rec__update_association_fails(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    script_expect(f->s, "PATCH", "/crm/v3/objects/deals/31", "{\"properties\":{\"dealname\":\"New\"}}", 200, NULL,
                  "{\"id\":\"31\",\"properties\":{\"dealname\":\"New\"},\"createdAt\":\"2019-10-30T03:30:17.883Z\","
                  "\"updatedAt\":\"2024-08-15T17:09:13.648Z\",\"archived\":false}");
    script_expect(f->s, "PUT", "/crm/v4/objects/deals/31/associations/companies/404",
                  "[{\"associationCategory\":\"HUBSPOT_DEFINED\",\"associationTypeId\":5}]", 404, NULL,
                  "{\"status\":\"error\",\"message\":\"No company is associated with id 404\",\"correlationId\":\"c-2\","
                  "\"category\":\"OBJECT_NOT_FOUND\"}");
    /* the repeated update sends only the association */
    script_expect(f->s, "PUT", "/crm/v4/objects/deals/31/associations/companies/404",
                  "[{\"associationCategory\":\"HUBSPOT_DEFINED\",\"associationTypeId\":5}]", 201, NULL,
                  "{\"fromObjectTypeId\":\"0-3\",\"fromObjectId\":31,\"toObjectTypeId\":\"0-2\",\"toObjectId\":404,"
                  "\"labels\":[\"Primary\"]}");
    ucrm_record_t *d = NULL;
    ucrm_record_new(&d, UCRM_OBJECT_DEAL);
    ucrm_record_set_id(d, "31");
    ucrm_record_set_string(d, "name", "New");
    ucrm_record_set_string(d, "account_id", "404");
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_update(f->c, d, NULL, &e), UCRM_ERR_NOT_FOUND);
    assert_non_null(strstr(ucrm_error_message(e), "were written but its primary company"));
    assert_string_equal(ucrm_error_field(e), "account_id");
    assert_string_equal(ucrm_error_request_id(e), "c-2");
    assert_int_equal(ucrm_record_is_dirty(d, "name"), 0);
    assert_int_equal(ucrm_record_is_dirty(d, "account_id"), 1);
    assert_int_equal(ucrm_update(f->c, d, NULL, &e), UCRM_OK);
    ucrm_record_destroy(d);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_rec__update_clear_primary(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    script_expect(f->s, "GET", "/crm/v4/objects/contacts/512/associations/companies?limit=500", NULL, 200, NULL,
                  "{\"results\":[{\"toObjectId\":700,\"associationTypes\":[{\"category\":\"HUBSPOT_DEFINED\","
                  "\"typeId\":279,\"label\":null}]},{\"toObjectId\":900,\"associationTypes\":[{\"category\":"
                  "\"HUBSPOT_DEFINED\",\"typeId\":1,\"label\":\"Primary\"},{\"category\":\"HUBSPOT_DEFINED\","
                  "\"typeId\":279,\"label\":null}]}]}");
    script_expect(f->s, "DELETE", "/crm/v4/objects/contacts/512/associations/companies/900", NULL, 204, NULL, "");
    script_expect(f->s, "GET", "/crm/v4/objects/contacts/513/associations/companies?limit=500", NULL, 200, NULL,
                  "{\"results\":[]}");
    ucrm_record_t *r = contact();
    ucrm_record_set_id(r, "512");
    ucrm_record_set_null(r, "account_id");
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_update(f->c, r, NULL, &e), UCRM_OK);
    ucrm_record_set_id(r, "513");
    ucrm_record_set_null(r, "account_id");
    assert_int_equal(ucrm_update(f->c, r, NULL, &e), UCRM_OK); /* no primary: nothing to remove */
    ucrm_record_destroy(r);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_rec__delete(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    script_expect(f->s, "GET", "/crm/v3/objects/deals/31?properties=hs_object_id", NULL, 200, NULL,
                  "{\"id\":\"31\",\"properties\":{\"hs_object_id\":\"31\"},\"createdAt\":\"2019-10-30T03:30:17.883Z\","
                  "\"updatedAt\":\"2019-10-30T03:30:17.883Z\",\"archived\":false}");
    script_expect(f->s, "DELETE", "/crm/v3/objects/deals/31", NULL, 204, NULL, "");
    /* HubSpot answers 204 for unknown ids: the read finds it gone first */
    script_expect(f->s, "GET", "/crm/v3/objects/deals/32?properties=hs_object_id", NULL, 404, NULL,
                  "{\"status\":\"error\",\"message\":\"Object not found.\",\"correlationId\":\"c-3\","
                  "\"category\":\"OBJECT_NOT_FOUND\"}");
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_delete(f->c, UCRM_OBJECT_DEAL, "31", NULL, &e), UCRM_OK);
    assert_int_equal(ucrm_delete(f->c, UCRM_OBJECT_DEAL, "32", NULL, &e), UCRM_ERR_NOT_FOUND);
    assert_string_equal(ucrm_error_provider_code(e), "OBJECT_NOT_FOUND");
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_rec__upsert(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(KV("upsert.account.key", "custom.ext_id"));
    /* the key travels as the id and is not among the properties (PROTOCOL B3) */
    script_expect(f->s, "POST", "/crm/v3/objects/contacts/batch/upsert",
                  "{\"inputs\":[{\"id\":\"ada@example.com\",\"idProperty\":\"email\",\"properties\":{\"firstname\":\"Ada\"}}]}",
                  200, NULL,
                  "{\"status\":\"COMPLETE\",\"results\":[{\"id\":\"601\",\"new\":true,\"properties\":{\"email\":"
                  "\"ada@example.com\",\"firstname\":\"Ada\"},\"createdAt\":\"2024-08-15T17:09:13.648Z\",\"updatedAt\":"
                  "\"2024-08-15T17:09:13.648Z\",\"archived\":false}],\"startedAt\":\"2024-08-15T17:09:13.610Z\","
                  "\"completedAt\":\"2024-08-15T17:09:13.910Z\"}");
    script_expect(f->s, "POST", "/crm/v3/objects/companies/batch/upsert",
                  "{\"inputs\":[{\"id\":\"X-1\",\"idProperty\":\"ext_id\",\"properties\":{\"name\":\"Acme\"}}]}", 207,
                  NULL,
                  "{\"status\":\"COMPLETE\",\"results\":[],\"numErrors\":1,\"errors\":[{\"status\":\"error\",\"category\":"
                  "\"VALIDATION_ERROR\",\"message\":\"ext_id is not a unique property\",\"context\":{},\"errors\":[],"
                  "\"links\":{}}],\"startedAt\":\"2024-08-15T17:09:13.610Z\",\"completedAt\":\"2024-08-15T17:09:13.910Z\"}");
    ucrm_record_t *r = contact();
    ucrm_record_set_string(r, "email", "ada@example.com");
    ucrm_record_set_string(r, "first_name", "Ada");
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_upsert(f->c, r, NULL, NULL, &e), UCRM_OK); /* default key: email */
    assert_string_equal(ucrm_record_id(r), "601");
    ucrm_record_destroy(r);
    ucrm_record_t *a = NULL;
    ucrm_record_new(&a, UCRM_OBJECT_ACCOUNT);
    ucrm_record_set_string(a, "custom.ext_id", "X-1");
    ucrm_record_set_string(a, "name", "Acme");
    assert_int_equal(ucrm_upsert(f->c, a, NULL, NULL, &e), UCRM_ERR_VALIDATION);
    ucrm_record_set_json(a, "address", "{\"city\":\"Oslo\"}");
    assert_int_equal(ucrm_upsert(f->c, a, "address", NULL, &e), UCRM_ERR_UNSUPPORTED); /* not a key */
    ucrm_record_destroy(a);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_rec__mapping_overrides(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(KV("mapping.deal.probability", "my_probability", "mapping.contact.address", "postal_json",
                         "mapping.contact.title", "job_function", "mapping.account.employee_count", "headcount"));
    script_expect(f->s, "POST", "/crm/v3/objects/deals",
                  "{\"properties\":{\"my_probability\":\"55.5\"},\"associations\":[]}", 201, NULL,
                  "{\"id\":\"1\",\"properties\":{\"my_probability\":\"55.5\"},\"createdAt\":\"2024-01-01T00:00:00Z\","
                  "\"updatedAt\":\"2024-01-01T00:00:00Z\",\"archived\":false}");
    script_expect(f->s, "POST", "/crm/v3/objects/contacts",
                  "{\"properties\":{\"postal_json\":\"{\\\"city\\\":\\\"Oslo\\\"}\",\"job_function\":\"Dev\"},"
                  "\"associations\":[]}",
                  201, NULL,
                  "{\"id\":\"2\",\"properties\":{\"postal_json\":\"{\\\"city\\\":\\\"Oslo\\\"}\",\"job_function\":\"Dev\"},"
                  "\"createdAt\":\"2024-01-01T00:00:00Z\",\"updatedAt\":\"2024-01-01T00:00:00Z\",\"archived\":false}");
    script_expect(f->s, "GET", "/crm/v3/objects/companies/3?properties=headcount", NULL, 200, NULL,
                  "{\"id\":\"3\",\"properties\":{\"headcount\":\"12\",\"numberofemployees\":\"99\"},"
                  "\"createdAt\":\"2024-01-01T00:00:00Z\",\"updatedAt\":\"2024-01-01T00:00:00Z\",\"archived\":false}");
    ucrm_error_t *e = NULL;
    ucrm_record_t *d = NULL;
    ucrm_record_new(&d, UCRM_OBJECT_DEAL);
    ucrm_record_set_double(d, "probability", 55.5);
    assert_int_equal(ucrm_create(f->c, d, NULL, &e), UCRM_OK);
    double p = 0;
    assert_int_equal(ucrm_record_get_double(d, "probability", &p), UCRM_OK);
    assert_true(p == 55.5); /* no scaling for the caller's own property */
    ucrm_record_destroy(d);
    ucrm_record_t *r = contact();
    ucrm_record_set_json(r, "address", "{\"city\":\"Oslo\"}");
    ucrm_record_set_string(r, "title", "Dev");
    assert_int_equal(ucrm_create(f->c, r, NULL, &e), UCRM_OK);
    assert_string_equal(hs_json(r, "address"), "{\"city\":\"Oslo\"}");
    ucrm_record_destroy(r);
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_fields(o, "employee_count");
    ucrm_record_t *a = get_ok(f, UCRM_OBJECT_ACCOUNT, "3", o);
    int64_t n = 0;
    assert_int_equal(ucrm_record_get_int64(a, "employee_count", &n), UCRM_OK);
    assert_int_equal(n, 12);
    ucrm_record_destroy(a);
    ucrm_reqopts_destroy(o);
    assert_true(hs_fx_done(f));
    /* a mapping that collides with another field's property, or names a dotted property, is refused */
    ucrm_conf_t *conf = ucrm_conf_new();
    ucrm_conf_set(conf, "provider", "hubspot", NULL);
    ucrm_conf_set(conf, "auth.access.token", "pat", NULL);
    ucrm_conf_set(conf, "mapping.contact.title", "email", NULL);
    ucrm_client_t *c = NULL;
    assert_int_equal(ucrm_client_new(&c, conf, &e), UCRM_ERR_CONF_INVALID);
    assert_non_null(strstr(ucrm_error_message(e), "'email'"));
    ucrm_conf_set(conf, "mapping.contact.title", "a.b", NULL);
    assert_int_equal(ucrm_client_new(&c, conf, &e), UCRM_ERR_CONF_INVALID);
    ucrm_conf_destroy(conf);
    ucrm_error_destroy(e);
}

/* ---------------------------------------------------------------------------------------------- errors */

typedef struct errcase {
    int status;
    const char *headers, *body;
    ucrm_err_t code;
    const char *provider_code, *request_id, *field, *existing_id;
    int retriable;
    int64_t retry_after_ms;
} errcase_t;

static void expect_error(const errcase_t *c) {
    hsfx_t *f = hs_fx(NULL);
    script_expect(f->s, "PATCH", "/crm/v3/objects/contacts/1", "*", c->status, c->headers, c->body);
    ucrm_record_t *r = contact();
    ucrm_record_set_id(r, "1");
    ucrm_record_set_string(r, "email", "x@example.com");
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_update(f->c, r, NULL, &e);
    if (rc != c->code)
        fail_msg("HTTP %d: got %s (%s), want %s", c->status, ucrm_err_name(rc), ucrm_error_message(e),
                 ucrm_err_name(c->code));
    assert_int_equal(ucrm_error_http_status(e), c->status);
    assert_string_equal(ucrm_error_provider_code(e), c->provider_code ? c->provider_code : "");
    assert_string_equal(ucrm_error_request_id(e), c->request_id ? c->request_id : "");
    assert_string_equal(ucrm_error_field(e), c->field ? c->field : "");
    assert_string_equal(ucrm_error_existing_id(e), c->existing_id ? c->existing_id : "");
    assert_int_equal(ucrm_error_is_retriable(e), c->retriable);
    assert_int_equal(ucrm_error_retry_after_ms(e), c->retry_after_ms);
    assert_null(strstr(ucrm_error_message(e), "pat-na1-test"));
    ucrm_record_destroy(r);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_rec__error_mapping(void **state) {
    (void)state;
    static const errcase_t cases[] = {
        {400, NULL,
         "{\"status\":\"error\",\"message\":\"Property values were not valid: [{\\\"isValid\\\":false,\\\"message\\\":"
         "\\\"Email address x is invalid\\\",\\\"error\\\":\\\"INVALID_EMAIL\\\",\\\"name\\\":\\\"email\\\"}]\","
         "\"correlationId\":\"a43683b0-5717-4ceb-80b4-104d02915d8c\",\"category\":\"VALIDATION_ERROR\"}",
         UCRM_ERR_VALIDATION, "VALIDATION_ERROR", "a43683b0-5717-4ceb-80b4-104d02915d8c", "email", NULL, 0, 0},
        {400, NULL,
         "{\"status\":\"error\",\"message\":\"Property values were not valid: [{\\\"name\\\":\\\"zip\\\"}]\","
         "\"correlationId\":\"c\",\"category\":\"VALIDATION_ERROR\"}",
         UCRM_ERR_VALIDATION, "VALIDATION_ERROR", "c", "address", NULL, 0, 0},
        {400, NULL,
         "{\"status\":\"error\",\"message\":\"Property values were not valid: [{\\\"name\\\":\\\"shoe_size\\\"}]\","
         "\"correlationId\":\"c\",\"category\":\"VALIDATION_ERROR\"}",
         UCRM_ERR_VALIDATION, "VALIDATION_ERROR", "c", "custom.shoe_size", NULL, 0, 0},
        {401, NULL,
         "{\"status\":\"error\",\"message\":\"Authentication credentials not found.\",\"correlationId\":\"c\","
         "\"category\":\"INVALID_AUTHENTICATION\"}",
         UCRM_ERR_AUTH, "INVALID_AUTHENTICATION", "c", NULL, NULL, 0, 0},
        {403, NULL,
         "{\"status\":\"error\",\"message\":\"This app hasn't been granted all required scopes\",\"correlationId\":"
         "\"c\",\"category\":\"MISSING_SCOPES\",\"context\":{\"requiredScopes\":[\"crm.objects.contacts.write\"]}}",
         UCRM_ERR_FORBIDDEN, "MISSING_SCOPES", "c", NULL, NULL, 0, 0},
        {409, NULL,
         "{\"status\":\"error\",\"message\":\"Contact already exists. Existing ID: 12345\",\"correlationId\":\"c\","
         "\"category\":\"CONFLICT\"}",
         UCRM_ERR_CONFLICT, "CONFLICT", "c", NULL, "12345", 0, 0},
        {429, "X-HubSpot-RateLimit-Interval-Milliseconds: 10000\nX-HubSpot-RateLimit-Remaining: 0",
         "{\"status\":\"error\",\"message\":\"You have reached your ten_secondly_rolling limit.\",\"errorType\":"
         "\"RATE_LIMIT\",\"correlationId\":\"c\",\"policyName\":\"TEN_SECONDLY_ROLLING\",\"requestId\":\"r\"}",
         UCRM_ERR_RATE_LIMITED, "TEN_SECONDLY_ROLLING", "c", NULL, NULL, 1, 10000},
        {429, "Retry-After: 3",
         "{\"status\":\"error\",\"message\":\"You have reached your secondly limit.\",\"errorType\":\"RATE_LIMIT\","
         "\"correlationId\":\"c\",\"policyName\":\"SECONDLY\"}",
         UCRM_ERR_RATE_LIMITED, "SECONDLY", "c", NULL, NULL, 1, 3000},
        {429, NULL,
         "{\"status\":\"error\",\"message\":\"You have reached your daily limit.\",\"errorType\":\"RATE_LIMIT\","
         "\"correlationId\":\"c\",\"policyName\":\"DAILY\"}",
         UCRM_ERR_QUOTA_EXHAUSTED, "DAILY", "c", NULL, NULL, 0, 0},
        {423, NULL, "{\"status\":\"error\",\"message\":\"locked\",\"correlationId\":\"c\",\"category\":\"LOCKED\"}",
         UCRM_ERR_PROVIDER, "LOCKED", "c", NULL, NULL, 1, 2000},
        {477, "Retry-After: 30",
         "{\"status\":\"error\",\"message\":\"Migration in progress\",\"correlationId\":\"c\"}", UCRM_ERR_PROVIDER,
         NULL, "c", NULL, NULL, 1, 30000},
        {500, NULL, "{\"status\":\"error\",\"message\":\"internal error\",\"correlationId\":\"c\",\"category\":"
                    "\"INTERNAL_ERROR\"}",
         UCRM_ERR_PROVIDER, "INTERNAL_ERROR", "c", NULL, NULL, 1, 0},
        {502, "Content-Type: text/html", "<html><body>Bad gateway</body></html>", UCRM_ERR_PROVIDER, NULL, NULL, NULL,
         NULL, 1, 0},
        {503, NULL, "", UCRM_ERR_PROVIDER, NULL, NULL, NULL, NULL, 1, 0},
        {405, NULL, "[1,2]", UCRM_ERR_PROVIDER, NULL, NULL, NULL, NULL, 0, 0},
        /* answers that are not HubSpot errors (a proxy's page, no body, no category) map by status */
        {401, "Content-Type: text/html", "<html>Unauthorized</html>", UCRM_ERR_AUTH, NULL, NULL, NULL, NULL, 0, 0},
        {403, NULL, "", UCRM_ERR_FORBIDDEN, NULL, NULL, NULL, NULL, 0, 0},
        {404, "Content-Type: text/html", "<html>Not Found</html>", UCRM_ERR_NOT_FOUND, NULL, NULL, NULL, NULL, 0, 0},
        {409, NULL, "", UCRM_ERR_CONFLICT, NULL, NULL, NULL, NULL, 0, 0},
        {400, NULL, "{\"status\":\"error\",\"message\":\"Invalid input JSON\"}", UCRM_ERR_VALIDATION, NULL, NULL,
         NULL, NULL, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_error(&cases[i]);
}

static void test_hubspot_rec__not_found_on_get(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    script_expect(f->s, "GET", "/crm/v3/objects/companies/1?properties=name", NULL, 404, NULL,
                  "{\"status\":\"error\",\"message\":\"Object not found.  objectId are usually numeric.\","
                  "\"correlationId\":\"c-404\",\"context\":{\"id\":[\"1\"]},\"category\":\"OBJECT_NOT_FOUND\"}");
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_fields(o, "name");
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_ACCOUNT, "1", o, &r, &e), UCRM_ERR_NOT_FOUND);
    assert_null(r);
    assert_non_null(strstr(ucrm_error_message(e), "Object not found"));
    assert_string_equal(ucrm_error_request_id(e), "c-404");
    assert_int_equal(ucrm_error_is_retriable(e), 0);
    ucrm_error_destroy(e);
    ucrm_reqopts_destroy(o);
    assert_true(hs_fx_done(f));
}

/* ---------------------------------------------------------------------------------------------- malformed */

static void expect_protocol_of(ucrm_object_t o, const char *body, const char *why) {
    hsfx_t *f = hs_fx(NULL);
    script_answer_all(f->s, 200, NULL, body);
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_get(f->c, o, "77", NULL, &r, &e);
    if (rc != UCRM_ERR_PROTOCOL)
        fail_msg("body %.60s: got %s, want UCRM_ERR_PROTOCOL", body, ucrm_err_name(rc));
    assert_null(r);
    if (why && !strstr(ucrm_error_message(e), why))
        fail_msg("message '%s' lacks '%s'", ucrm_error_message(e), why);
    ucrm_error_destroy(e);
    hs_fx_done(f);
}

static void expect_protocol(const char *body, const char *why) {
    expect_protocol_of(UCRM_OBJECT_ACCOUNT, body, why);
}

static void test_hubspot_rec__malformed(void **state) {
    (void)state;
    /* property values of the wrong kind, by conversion */
    expect_protocol_of(UCRM_OBJECT_DEAL, "{\"id\":\"77\",\"properties\":{\"closedate\":\"soon\"}}", "closedate");
    expect_protocol_of(UCRM_OBJECT_DEAL, "{\"id\":\"77\",\"properties\":{\"hs_is_closed\":\"maybe\"}}",
                       "hs_is_closed");
    expect_protocol_of(UCRM_OBJECT_DEAL, "{\"id\":\"77\",\"properties\":{\"amount\":\"12 EUR\"}}", "amount");
    expect_protocol_of(UCRM_OBJECT_CONTACT, "{\"id\":\"77\",\"properties\":{\"email\":[1]}}", "email");
    expect_protocol("", "empty body");
    expect_protocol("{\"id\":\"77\",\"properties\":{\"name\":\"A", "malformed JSON");
    expect_protocol("[]", "not a JSON object");
    expect_protocol("{\"properties\":{}}", "no id");
    expect_protocol("{\"id\":{},\"properties\":{}}", "no id");
    expect_protocol("{\"id\":\"77\",\"properties\":[]}", "properties");
    expect_protocol("{\"id\":\"77\",\"properties\":{\"numberofemployees\":\"many\"}}", "numberofemployees");
    expect_protocol("{\"id\":\"77\",\"properties\":{\"annualrevenue\":\"1e999\"}}", "annualrevenue");
    expect_protocol("{\"id\":\"77\",\"properties\":{\"name\":{\"a\":1}}}", "name");
    expect_protocol("{\"id\":\"77\",\"properties\":{},\"createdAt\":\"yesterday\"}", "createdAt");
    expect_protocol("{\"id\":\"77\",\"properties\":{},\"archived\":\"no\"}", "archived");
    expect_protocol("{\"id\":\"77\",\"properties\":{\"name\":\"\xff\xfe\"}}", NULL);
    /* every truncation of a good answer is a clean protocol error */
    const char *good = "{\"id\":\"77\",\"properties\":{\"name\":\"Acme\",\"numberofemployees\":\"250\",\"city\":\"B\"},"
                       "\"createdAt\":\"2024-01-17T19:55:04.281Z\",\"updatedAt\":\"2024-05-01T12:00:00Z\","
                       "\"archived\":false}";
    char buf[512];
    for (size_t n = 0; n + 1 < strlen(good); n++) {
        memcpy(buf, good, n);
        buf[n] = '\0';
        expect_protocol(buf, NULL);
    }
}

/* JSON read in place: escapes, numbers and structure as RFC 8259 has them, nothing else. */
static void test_hubspot_rec__json_text(void **state) {
    (void)state;
    static const struct {
        const char *props; /* the "properties" member's value */
        const char *name;  /* expected account name, or NULL for UCRM_ERR_PROTOCOL */
    } cases[] = {
        {"{\"name\":\"Caf\\u00e9 \\\"A\\\" \\/ \\\\ \\b\\f\\n\\r\\t\"}", "Caf\xc3\xa9 \"A\" / \\ \b\f\n\r\t"},
        {"{\"name\":\"\\ud83d\\ude00 ok\"}", "\xf0\x9f\x98\x80 ok"},
        {"{\"name\":\"\\ud83d\"}", NULL},           /* a lone high surrogate */
        {"{\"name\":\"\\ude00\"}", NULL},           /* a lone low surrogate */
        {"{\"name\":\"a\\u0000b\"}", NULL},         /* NUL cannot be in a value */
        {"{\"name\":\"a\\x\"}", NULL},              /* no such escape */
        {"{\"name\":\"a\\u12G4\"}", NULL},
        {"{\"name\":\"tab\there\"}", NULL},          /* a raw control character */
        {"{\"name\":\"Acme\",}", NULL},             /* trailing comma */
        {"{\"name\" \"Acme\"}", NULL},
        {"{\"name\":\"Acme\" \"city\":\"B\"}", NULL},
        {"{\"name\":\"Acme\",\"numberofemployees\":012}", NULL}, /* leading zero */
        {"{\"name\":\"Acme\",\"numberofemployees\":-1.5e+2}", "Acme"},
        {"{\"name\":\"Acme\",\"numberofemployees\":1.}", NULL},
        {"{\"name\":\"Acme\",\"x\":[1,{\"y\":[true,false,null]}]}", "Acme"},
        {"{\"name\":\"Acme\",\"x\":[1,]}", NULL},
        {"{\"name\":\"Acme\",\"x\":tru}", NULL},
        {" { \"name\" : \"Acme\" } ", "Acme"},
        {"null", NULL}, /* then "name" is not read: the name check below fails: see the loop */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char body[1024];
        snprintf(body, sizeof body, "{\"id\":\"7\",\"properties\":%s,\"archived\":false}", cases[i].props);
        hsfx_t *f = hs_fx(NULL);
        script_answer_all(f->s, 200, NULL, body);
        ucrm_record_t *r = NULL;
        ucrm_error_t *e = NULL;
        ucrm_err_t rc = ucrm_get(f->c, UCRM_OBJECT_ACCOUNT, "7", NULL, &r, &e);
        if (i == sizeof cases / sizeof *cases - 1) {
            assert_int_equal(rc, UCRM_OK); /* properties: null reads as no property at all */
            assert_true(ucrm_record_is_null(r, "name"));
        } else if (cases[i].name) {
            if (rc != UCRM_OK)
                fail_msg("case %zu: %s %s", i, ucrm_err_name(rc), ucrm_error_message(e));
            assert_string_equal(hs_str(r, "name"), cases[i].name);
            char *raw = NULL;
            assert_int_equal(ucrm_record_remote_json(r, &raw), UCRM_OK);
            assert_string_equal(raw, body); /* the payload is the object as received */
            ucrm_free(raw);
        } else if (rc != UCRM_ERR_PROTOCOL) {
            fail_msg("case %zu: %s, want UCRM_ERR_PROTOCOL", i, ucrm_err_name(rc));
        }
        ucrm_record_destroy(r);
        ucrm_error_destroy(e);
        hs_fx_done(f);
    }
    /* nesting is bounded */
    char deep[400];
    size_t n = 0;
    n += (size_t)snprintf(deep + n, sizeof deep - n, "{\"id\":\"7\",\"properties\":{\"x\":");
    for (int k = 0; k < 80; k++)
        deep[n++] = '[';
    for (int k = 0; k < 80; k++)
        deep[n++] = ']';
    snprintf(deep + n, sizeof deep - n, "}}");
    expect_protocol(deep, NULL);
}

/* ---------------------------------------------------------------------------------------------- tokens */

static void test_hubspot_rec__token_refresh(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(KV("auth.access.token", NULL, "auth.refresh.token", "rt-1", "auth.client.id", "cid-1",
                         "auth.client.secret", "s&cret", "auth.token.url", "https://api.hubapi.com/"));
    hs_fx_load(f, "token_refresh");
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_fields(o, "name");
    ucrm_record_t *r = get_ok(f, UCRM_OBJECT_ACCOUNT, "77", o);
    assert_string_equal(hs_str(r, "name"), "Acme");
    assert_null(script_request_header(f->s, 0, "Authorization"));
    ucrm_record_destroy(r);
    ucrm_reqopts_destroy(o);
    assert_true(hs_fx_done(f));
}

static void expect_token_error(int status, const char *body, ucrm_err_t code, const char *text) {
    hsfx_t *f = hs_fx(KV("auth.access.token", NULL, "auth.refresh.token", "rt-secret", "auth.client.id", "cid",
                         "auth.client.secret", "cs-secret"));
    script_expect(f->s, "POST", "/oauth/v1/token", "*", status, NULL, body);
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_get(f->c, UCRM_OBJECT_ACCOUNT, "77", NULL, &r, &e);
    if (rc != code)
        fail_msg("token %d: got %s (%s)", status, ucrm_err_name(rc), ucrm_error_message(e));
    if (text && !strstr(ucrm_error_message(e), text))
        fail_msg("'%s' lacks '%s'", ucrm_error_message(e), text);
    assert_null(strstr(ucrm_error_message(e), "rt-secret"));
    assert_null(strstr(ucrm_error_message(e), "cs-secret"));
    assert_null(strstr(ucrm_error_details(e), "rt-secret"));
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_rec__token_errors(void **state) {
    (void)state;
    expect_token_error(400,
                       "{\"status\":\"BAD_REFRESH_TOKEN\",\"message\":\"missing or unknown refresh token\","
                       "\"correlationId\":\"c\",\"requestId\":\"r\"}",
                       UCRM_ERR_AUTH, "re-authorisation is needed");
    expect_token_error(400,
                       "{\"error\":\"invalid_grant\",\"error_description\":\"refresh token is invalid, expired or "
                       "revoked\"}",
                       UCRM_ERR_AUTH, "re-authorisation is needed");
    expect_token_error(400, "{\"status\":\"BAD_CLIENT_ID\",\"message\":\"missing or unknown client id\"}", UCRM_ERR_AUTH,
                       "auth.client.id");
    expect_token_error(400, "garbage", UCRM_ERR_AUTH, "token request failed");
    expect_token_error(503, "", UCRM_ERR_PROVIDER, NULL);
    expect_token_error(200, "{\"token_type\":\"bearer\",\"expires_in\":1800}", UCRM_ERR_PROTOCOL, "access_token");
    expect_token_error(200, "{\"access_token\":\"x\"}", UCRM_ERR_PROTOCOL, "expires_in");
    expect_token_error(200, "{\"access_token\":\"x\",\"expires_in\":-5}", UCRM_ERR_PROTOCOL, "expires_in");
    expect_token_error(200, "{\"access_tok", UCRM_ERR_PROTOCOL, NULL);
}

static void test_hubspot_rec__conf_checks(void **state) {
    (void)state;
    ucrm_conf_t *conf = ucrm_conf_new();
    ucrm_client_t *c = NULL;
    ucrm_error_t *e = NULL;
    ucrm_conf_set(conf, "provider", "hubspot", NULL);
    ucrm_conf_set(conf, "auth.refresh.token", "rt", NULL);
    ucrm_conf_set(conf, "auth.client.id", "id", NULL);
    assert_int_equal(ucrm_client_new(&c, conf, &e), UCRM_ERR_CONF_INVALID); /* no client secret */
    assert_non_null(strstr(ucrm_error_message(e), "auth.client.secret"));
    ucrm_conf_set(conf, "auth.client.secret", "s", NULL);
    ucrm_conf_set(conf, "auth.method", "client_credentials", NULL);
    assert_int_equal(ucrm_client_new(&c, conf, &e), UCRM_ERR_CONF_INVALID);
    ucrm_conf_set(conf, "auth.method", "refresh_token", NULL);
    assert_int_equal(ucrm_client_new(&c, conf, &e), UCRM_OK);
    ucrm_client_destroy(c);
    ucrm_conf_destroy(conf);
    ucrm_error_destroy(e);
}

/* The adapter's own hooks: usage headers (PROTOCOL B8) and the passthrough request classes. */
static void test_hubspot_rec__usage_and_passthrough_classes(void **state) {
    (void)state;
    const ucrm_provider_t *p = &ucrm__provider_hubspot;
    ucrm_resp_t resp;
    memset(&resp, 0, sizeof resp);
    ucrm_usage_t u;
    memset(&u, 0, sizeof u);
    p->read_usage(NULL, &resp, &u);
    assert_false(u.has_window);
    assert_false(u.has_daily);
    ucrm_hdrs__add(&resp.headers, "x-hubspot-ratelimit-max", "190");
    ucrm_hdrs__add(&resp.headers, "X-HubSpot-RateLimit-Remaining", "187");
    ucrm_hdrs__add(&resp.headers, "X-HubSpot-RateLimit-Interval-Milliseconds", "10000");
    p->read_usage(NULL, &resp, &u);
    assert_true(u.has_window);
    assert_int_equal(u.window_max, 190);
    assert_int_equal(u.window_remaining, 187);
    assert_int_equal(u.window_ms, 10000);
    assert_false(u.has_daily); /* OAuth apps get no daily headers */
    ucrm_hdrs__add(&resp.headers, "X-HubSpot-RateLimit-Daily", "1000000");
    ucrm_hdrs__add(&resp.headers, "X-HubSpot-RateLimit-Daily-Remaining", "999001");
    p->read_usage(NULL, &resp, &u);
    assert_true(u.has_daily);
    assert_int_equal(u.daily_remaining, 999001);
    ucrm_hdrs__free(&resp.headers);
    ucrm_hdrs__add(&resp.headers, "X-HubSpot-RateLimit-Max", "lots");
    ucrm_hdrs__add(&resp.headers, "X-HubSpot-RateLimit-Remaining", "1");
    ucrm_hdrs__add(&resp.headers, "X-HubSpot-RateLimit-Interval-Milliseconds", "10000");
    memset(&u, 0, sizeof u);
    p->read_usage(NULL, &resp, &u);
    assert_false(u.has_window);
    ucrm_hdrs__free(&resp.headers);

    static const struct {
        const char *method, *path;
        ucrm_bucket_t bucket;
        ucrm_retry_class_t retry;
    } cases[] = {
        {"POST", "/crm/v3/objects/contacts/search", UCRM_BUCKET_SEARCH, UCRM_RETRY_SAFE},
        {"POST", "/crm/v3/objects/2-1234/search?hapikey=no", UCRM_BUCKET_SEARCH, UCRM_RETRY_SAFE},
        {"POST", "/crm/v3/objects/deals/batch/read", UCRM_BUCKET_MAIN, UCRM_RETRY_SAFE},
        {"POST", "/crm/v3/objects/deals/batch/create", UCRM_BUCKET_MAIN, UCRM_RETRY_UNSAFE},
        {"POST", "/crm/v3/objects/contacts/x/search", UCRM_BUCKET_MAIN, UCRM_RETRY_UNSAFE},
        {"GET", "/crm/v3/objects/contacts/search", UCRM_BUCKET_MAIN, UCRM_RETRY_SAFE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ucrm_req_t req;
        ucrm_req__init(&req, cases[i].method, strcmp(cases[i].method, "GET") == 0 ? UCRM_RETRY_SAFE : UCRM_RETRY_UNSAFE);
        assert_int_equal(p->passthrough_prepare(NULL, cases[i].path, &req, NULL), UCRM_OK);
        assert_string_equal(req.url.ptr, cases[i].path);
        assert_int_equal(req.bucket, cases[i].bucket);
        assert_int_equal(req.retry, cases[i].retry);
        ucrm_req__free(&req);
    }
    assert_int_equal(p->batch_max, 100);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hubspot_rec__contact_read),
        cmocka_unit_test(test_hubspot_rec__company_read),
        cmocka_unit_test(test_hubspot_rec__deal_read),
        cmocka_unit_test(test_hubspot_rec__selected_fields),
        cmocka_unit_test(test_hubspot_rec__get_include_deleted),
        cmocka_unit_test(test_hubspot_rec__create_body),
        cmocka_unit_test(test_hubspot_rec__create_deal_company),
        cmocka_unit_test(test_hubspot_rec__unsupported_writes),
        cmocka_unit_test(test_hubspot_rec__update_dirty_and_primary),
        cmocka_unit_test(test_hubspot_rec__update_association_fails),
        cmocka_unit_test(test_hubspot_rec__update_clear_primary),
        cmocka_unit_test(test_hubspot_rec__delete),
        cmocka_unit_test(test_hubspot_rec__upsert),
        cmocka_unit_test(test_hubspot_rec__mapping_overrides),
        cmocka_unit_test(test_hubspot_rec__error_mapping),
        cmocka_unit_test(test_hubspot_rec__not_found_on_get),
        cmocka_unit_test(test_hubspot_rec__malformed),
        cmocka_unit_test(test_hubspot_rec__json_text),
        cmocka_unit_test(test_hubspot_rec__token_refresh),
        cmocka_unit_test(test_hubspot_rec__token_errors),
        cmocka_unit_test(test_hubspot_rec__conf_checks),
        cmocka_unit_test(test_hubspot_rec__usage_and_passthrough_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
