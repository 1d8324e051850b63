/*
 * test_hubspot_iter.c -- the HubSpot adapter's iteration, batches and passthrough on recorded exchanges:
 * paging by HubSpot's cursor and then the archived records, incremental sync by keyset over shared
 * timestamps, cursors that resume exactly, search translation, batch results mapped back to the caller's
 * order (207 multi-status out of order, results without trace ids, refused chunks split to isolate bad inputs),
 * the primary company in batches, and passthrough.
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

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Iterates to the end; ids joined by ',' into out. Returns the final code. */
static ucrm_err_t drain(ucrm_iter_t *it, char *out, size_t n, ucrm_error_t **e) {
    ucrm_record_t *r;
    ucrm_err_t rc;
    out[0] = '\0';
    while ((rc = ucrm_iter_next(it, &r, e)) == UCRM_OK) {
        size_t l = strlen(out);
        snprintf(out + l, n - l, "%s%s", l ? "," : "", ucrm_record_id(r));
        ucrm_record_destroy(r);
    }
    return rc;
}

/* ---------------------------------------------------------------------------------------------- lists */

static void test_hubspot_iter__list_then_archived(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    hs_fx_load(f, "list_paging");
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_fields(o, "email,account_id");
    ucrm_reqopts_set_page_size(o, 2);
    ucrm_reqopts_set_include_deleted(o, 1);
    ucrm_iter_t *it = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_list(f->c, UCRM_OBJECT_CONTACT, o, &it, &e), UCRM_OK);
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_OK);
    assert_string_equal(hs_str(r, "account_id"), "50");
    ucrm_record_destroy(r);
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_OK);
    assert_true(ucrm_record_is_null(r, "account_id"));
    ucrm_record_destroy(r);
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_OK);
    assert_string_equal(ucrm_record_id(r), "3");
    ucrm_record_destroy(r);
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_OK);
    assert_string_equal(ucrm_record_id(r), "9");
    int del = 0;
    ucrm_record_get_bool(r, "is_deleted", &del);
    assert_int_equal(del, 1);
    ucrm_record_destroy(r);
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_ITEROVER);
    int64_t total;
    assert_int_equal(ucrm_iter_total(it, &total), UCRM_ERR_NOENT); /* lists have no total */
    ucrm_iter_destroy(it);
    ucrm_reqopts_destroy(o);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_iter__list_page_failure_repeats(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    const char *url1 = "/crm/v3/objects/companies?limit=1&archived=false&properties=name";
    const char *url2 = "/crm/v3/objects/companies?limit=1&archived=false&properties=name&after=20";
    const char *rec = "{\"id\":\"%s\",\"properties\":{\"name\":\"n\"},\"createdAt\":\"2024-01-01T00:00:00Z\","
                      "\"updatedAt\":\"2024-01-01T00:00:00Z\",\"archived\":false}";
    char p1[512], p2[512], r1[256], r2[256];
    snprintf(r1, sizeof r1, rec, "10");
    snprintf(r2, sizeof r2, rec, "20");
    snprintf(p1, sizeof p1, "{\"results\":[%s],\"paging\":{\"next\":{\"after\":\"20\"}}}", r1);
    snprintf(p2, sizeof p2, "{\"results\":[%s]}", r2);
    script_expect(f->s, "GET", url1, NULL, 200, NULL, p1);
    script_expect(f->s, "GET", url2, NULL, 200, NULL, "{\"results\":[{\"id\":\"20\",\"prop"); /* truncated */
    script_expect(f->s, "GET", url2, NULL, 200, NULL, p2);
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_fields(o, "name");
    ucrm_reqopts_set_page_size(o, 1);
    ucrm_iter_t *it = NULL;
    ucrm_error_t *e = NULL;
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_list(f->c, UCRM_OBJECT_ACCOUNT, o, &it, &e), UCRM_OK);
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_OK);
    ucrm_record_destroy(r);
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_ERR_PROTOCOL);
    assert_null(r);
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_OK); /* the same page again, nothing skipped */
    assert_string_equal(ucrm_record_id(r), "20");
    ucrm_record_destroy(r);
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_ITEROVER);
    ucrm_iter_destroy(it);
    ucrm_reqopts_destroy(o);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

static ucrm_reqopts_t *since_opts(void) {
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_fields(o, "email");
    ucrm_reqopts_set_page_size(o, 3);
    ucrm_reqopts_set_updated_since(o, "2024-01-01T00:00:00Z");
    return o;
}

static void test_hubspot_iter__incremental_ties(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    hs_fx_load(f, "incremental_ties");
    ucrm_reqopts_t *o = since_opts();
    ucrm_iter_t *it = NULL;
    ucrm_error_t *e = NULL;
    char ids[256];
    assert_int_equal(ucrm_list(f->c, UCRM_OBJECT_CONTACT, o, &it, &e), UCRM_OK);
    assert_int_equal(drain(it, ids, sizeof ids, &e), UCRM_ITEROVER);
    assert_string_equal(ids, "1,2,3,4,5,6,7"); /* each once, none missing */
    int64_t total = 0;
    assert_int_equal(ucrm_iter_total(it, &total), UCRM_OK);
    assert_int_equal(total, 7);
    ucrm_iter_destroy(it);
    ucrm_reqopts_destroy(o);
    assert_true(hs_fx_done(f));
}

/* Reads up to record `until`, returns a copy of the cursor (free()). */
static char *cursor_after(hsfx_t *f, const ucrm_reqopts_t *o, const char *until) {
    ucrm_iter_t *it = NULL;
    ucrm_error_t *e = NULL;
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_list(f->c, UCRM_OBJECT_CONTACT, o, &it, &e), UCRM_OK);
    for (;;) {
        ucrm_err_t rc = ucrm_iter_next(it, &r, &e);
        if (rc != UCRM_OK)
            fail_msg("before %s: %s %s", until, ucrm_err_name(rc), ucrm_error_message(e));
        bool stop = strcmp(ucrm_record_id(r), until) == 0;
        ucrm_record_destroy(r);
        if (stop)
            break;
    }
    char *cur = strdup(ucrm_iter_cursor(it));
    ucrm_iter_destroy(it);
    return cur;
}

static void resume_expect(const char *file, const char *cursor, const ucrm_reqopts_t *o, const char *want) {
    hsfx_t *f = hs_fx(NULL);
    hs_fx_load(f, file);
    ucrm_iter_t *it = NULL;
    ucrm_error_t *e = NULL;
    char ids[256];
    assert_int_equal(ucrm_iter_resume(f->c, cursor, o, &it, &e), UCRM_OK);
    ucrm_err_t rc = drain(it, ids, sizeof ids, &e);
    if (rc != UCRM_ITEROVER)
        fail_msg("resume: %s %s (%s)", ucrm_err_name(rc), ucrm_error_message(e), script_error(f->s));
    assert_string_equal(ids, want);
    ucrm_iter_destroy(it);
    assert_true(hs_fx_done(f));
}

/* A cursor taken in the middle of a page, and one taken with ids remembered at a shared timestamp, resume in a
 * new client exactly where the first iteration stopped. The resumed iterator gets the fields and page size,
 * not updated_since: the cursor carries the keyset. */
static void test_hubspot_iter__incremental_resume(void **state) {
    (void)state;
    ucrm_reqopts_t *o = since_opts();
    hsfx_t *f = hs_fx(NULL);
    hs_fx_load(f, "incremental_ties");
    char *cur = cursor_after(f, o, "1");
    hs_fx_done(f); /* the rest of the script is for the resumed iterator */
    ucrm_reqopts_t *o2 = NULL;
    ucrm_reqopts_new(&o2);
    ucrm_reqopts_set_fields(o2, "email");
    ucrm_reqopts_set_page_size(o2, 3);
    resume_expect("incremental_ties", cur, o2, "2,3,4,5,6,7");
    free(cur);
    f = hs_fx(NULL);
    hs_fx_load(f, "incremental_ties");
    cur = cursor_after(f, o, "4");
    hs_fx_done(f);
    resume_expect("incremental_resume", cur, o2, "5,6,7");
    ucrm_reqopts_destroy(o2);
    free(cur);
    /* a cursor is not a free-form state */
    f = hs_fx(NULL);
    ucrm_iter_t *it = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_iter_resume(f->c, "eyJ2IjoxfQ", NULL, &it, &e), UCRM_ERR_INVALID_ARG);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
    ucrm_reqopts_destroy(o);
}

static void test_hubspot_iter__search_translation(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    const char *empty = "{\"total\":0,\"results\":[]}";
    /* status lost: two filters in one group */
    script_expect(f->s, "POST", "/crm/v3/objects/deals/search",
                  "{\"filterGroups\":[{\"filters\":[{\"propertyName\":\"hs_is_closed\",\"operator\":\"EQ\",\"value\":\"true\"},"
                  "{\"propertyName\":\"hs_is_closed_won\",\"operator\":\"EQ\",\"value\":\"false\"}]}],"
                  "\"sorts\":[{\"propertyName\":\"hs_object_id\",\"direction\":\"ASCENDING\"}],"
                  "\"properties\":[\"dealname\",\"hs_lastmodifieddate\"],\"limit\":100,\"after\":\"0\"}",
                  200, NULL, empty);
    /* close_date: the whole UTC day */
    script_expect(f->s, "POST", "/crm/v3/objects/deals/search",
                  "{\"filterGroups\":[{\"filters\":[{\"propertyName\":\"closedate\",\"operator\":\"BETWEEN\","
                  "\"value\":\"1719705600000\",\"highValue\":\"1719791999999\"}]}],"
                  "\"sorts\":[{\"propertyName\":\"hs_object_id\",\"direction\":\"ASCENDING\"}],"
                  "\"properties\":[\"dealname\",\"hs_lastmodifieddate\"],\"limit\":100,\"after\":\"0\"}",
                  200, NULL, empty);
    /* account_id: the association pseudo-property; results get their primary company from v4 */
    script_expect(f->s, "POST", "/crm/v3/objects/contacts/search",
                  "{\"filterGroups\":[{\"filters\":[{\"propertyName\":\"associations.company\",\"operator\":\"EQ\","
                  "\"value\":\"900\"}]}],\"sorts\":[{\"propertyName\":\"hs_object_id\",\"direction\":\"ASCENDING\"}],"
                  "\"properties\":[\"email\",\"lastmodifieddate\"],\"limit\":2,\"after\":\"0\"}",
                  200, NULL,
                  "{\"total\":2,\"results\":[{\"id\":\"1\",\"properties\":{\"email\":\"a@x.com\"},\"createdAt\":"
                  "\"2024-01-01T00:00:00Z\",\"updatedAt\":\"2024-01-01T00:00:00Z\",\"archived\":false},{\"id\":\"2\","
                  "\"properties\":{\"email\":\"b@x.com\"},\"createdAt\":\"2024-01-01T00:00:00Z\",\"updatedAt\":"
                  "\"2024-01-01T00:00:00Z\",\"archived\":false}]}");
    script_expect(f->s, "POST", "/crm/v4/associations/contacts/companies/batch/read",
                  "{\"inputs\":[{\"id\":\"1\"},{\"id\":\"2\"}]}", 200, NULL,
                  "{\"status\":\"COMPLETE\",\"results\":[{\"from\":{\"id\":\"2\"},\"to\":[{\"toObjectId\":900,"
                  "\"associationTypes\":[{\"category\":\"HUBSPOT_DEFINED\",\"typeId\":279,\"label\":null}]}]},"
                  "{\"from\":{\"id\":\"1\"},\"to\":[{\"toObjectId\":\"900\",\"associationTypes\":[{\"category\":"
                  "\"HUBSPOT_DEFINED\",\"typeId\":1,\"label\":\"Primary\"}]}]}],\"startedAt\":\"2024-01-01T00:00:00Z\","
                  "\"completedAt\":\"2024-01-01T00:00:00Z\"}");
    /* the next keyset page after id 2 */
    script_expect(f->s, "POST", "/crm/v3/objects/contacts/search",
                  "{\"filterGroups\":[{\"filters\":[{\"propertyName\":\"associations.company\",\"operator\":\"EQ\","
                  "\"value\":\"900\"},{\"propertyName\":\"hs_object_id\",\"operator\":\"GT\",\"value\":\"2\"}]}],"
                  "\"sorts\":[{\"propertyName\":\"hs_object_id\",\"direction\":\"ASCENDING\"}],"
                  "\"properties\":[\"email\",\"lastmodifieddate\"],\"limit\":2,\"after\":\"0\"}",
                  200, NULL, empty);
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_fields(o, "name");
    ucrm_iter_t *it = NULL;
    ucrm_error_t *e = NULL;
    char ids[64];
    assert_int_equal(ucrm_search(f->c, UCRM_OBJECT_DEAL, "status", "lost", o, &it, &e), UCRM_OK);
    assert_int_equal(drain(it, ids, sizeof ids, &e), UCRM_ITEROVER);
    ucrm_iter_destroy(it);
    assert_int_equal(ucrm_search(f->c, UCRM_OBJECT_DEAL, "close_date", "2024-06-30", o, &it, &e), UCRM_OK);
    assert_int_equal(drain(it, ids, sizeof ids, &e), UCRM_ITEROVER);
    ucrm_iter_destroy(it);
    ucrm_reqopts_set_fields(o, "email,account_id");
    ucrm_reqopts_set_page_size(o, 2);
    assert_int_equal(ucrm_search(f->c, UCRM_OBJECT_CONTACT, "account_id", "900", o, &it, &e), UCRM_OK);
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_OK);
    assert_string_equal(hs_str(r, "account_id"), "900");
    ucrm_record_destroy(r);
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_OK);
    assert_true(ucrm_record_is_null(r, "account_id")); /* associated, not primary */
    ucrm_record_destroy(r);
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_ITEROVER);
    ucrm_iter_destroy(it);
    /* what cannot be searched */
    assert_int_equal(ucrm_search(f->c, UCRM_OBJECT_CONTACT, "address", "x", NULL, &it, &e), UCRM_ERR_UNSUPPORTED);
    assert_non_null(strstr(ucrm_error_message(e), "custom."));
    assert_int_equal(ucrm_search(f->c, UCRM_OBJECT_DEAL, "status", "maybe", NULL, &it, &e), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_search(f->c, UCRM_OBJECT_DEAL, "close_date", "2024-06-30T00:00:00Z", NULL, &it, &e),
                     UCRM_ERR_INVALID_ARG);
    ucrm_reqopts_set_include_deleted(o, 1);
    assert_int_equal(ucrm_search(f->c, UCRM_OBJECT_CONTACT, "email", "a@x.com", o, &it, &e), UCRM_ERR_UNSUPPORTED);
    ucrm_error_destroy(e);
    ucrm_reqopts_destroy(o);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_iter__list_cursor(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    script_answer_all(f->s, 200, NULL,
                      "{\"results\":[{\"id\":\"1\",\"properties\":{},\"createdAt\":\"2024-01-01T00:00:00Z\","
                      "\"updatedAt\":\"2024-01-01T00:00:00Z\",\"archived\":false}],\"paging\":{\"next\":{\"after\":\"2\"}}}");
    ucrm_iter_t *it = NULL, *it2 = NULL;
    ucrm_error_t *e = NULL;
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_list(f->c, UCRM_OBJECT_CONTACT, NULL, &it, &e), UCRM_OK);
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_OK);
    ucrm_record_destroy(r);
    char *cur = strdup(ucrm_iter_cursor(it));
    assert_int_equal(ucrm_iter_resume(f->c, cur, NULL, &it2, &e), UCRM_OK);
    assert_int_equal(ucrm_iter_next(it2, &r, &e), UCRM_OK);
    assert_string_equal(script_request_url(f->s, 1), "https://api.hubapi.com/crm/v3/objects/contacts?limit=100&"
                                                     "archived=false&properties=firstname,lastname,email,"
                                                     "hs_additional_emails,phone,mobilephone,fax,jobtitle,"
                                                     "hubspot_owner_id,lifecyclestage,address,city,state,zip,"
                                                     "country&associations=companies&after=2");
    ucrm_record_destroy(r);
    ucrm_iter_destroy(it2);
    ucrm_iter_destroy(it);
    free(cur);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

/* ---------------------------------------------------------------------------------------------- batches */

static ucrm_batch_t *contacts_batch(ucrm_batch_op_t op, const char *const *emails, size_t n) {
    ucrm_batch_t *b = NULL;
    assert_int_equal(ucrm_batch_new(&b, UCRM_OBJECT_CONTACT, op), UCRM_OK);
    for (size_t i = 0; i < n; i++) {
        ucrm_record_t *r = NULL;
        ucrm_record_new(&r, UCRM_OBJECT_CONTACT);
        if (emails[i])
            ucrm_record_set_string(r, "email", emails[i]);
        assert_int_equal(ucrm_batch_add(b, r), UCRM_OK);
        ucrm_record_destroy(r);
    }
    return b;
}

static void expect_item(const ucrm_batch_t *b, size_t i, const char *id, ucrm_err_t code) {
    const char *got = NULL;
    const ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_batch_result(b, i, &got, &e);
    if (rc != code)
        fail_msg("item %zu: %s (%s), want %s", i, ucrm_err_name(rc), ucrm_error_message(e), ucrm_err_name(code));
    if (id)
        assert_string_equal(got, id);
}

static void test_hubspot_iter__batch_create_out_of_order(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    hs_fx_load(f, "batch_create_207");
    static const char *const emails[] = {"a@x.com", "not-an-email", "c@x.com"};
    ucrm_batch_t *b = contacts_batch(UCRM_BATCH_CREATE, emails, 3);
    ucrm_error_t *e = NULL;
    /* the third has a primary company: association input on create */
    ucrm_batch_destroy(b);
    ucrm_batch_new(&b, UCRM_OBJECT_CONTACT, UCRM_BATCH_CREATE);
    for (int i = 0; i < 3; i++) {
        ucrm_record_t *r = NULL;
        ucrm_record_new(&r, UCRM_OBJECT_CONTACT);
        ucrm_record_set_string(r, "email", emails[i]);
        if (i == 2)
            ucrm_record_set_string(r, "account_id", "900");
        ucrm_batch_add(b, r);
        ucrm_record_destroy(r);
    }
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_ERR_PARTIAL);
    expect_item(b, 0, "101", UCRM_OK);
    expect_item(b, 1, NULL, UCRM_ERR_VALIDATION);
    expect_item(b, 2, "103", UCRM_OK);
    const ucrm_error_t *ie = NULL;
    ucrm_batch_result(b, 1, NULL, &ie);
    assert_string_equal(ucrm_error_field(ie), "email");
    assert_string_equal(ucrm_error_provider_code(ie), "VALIDATION_ERROR");
    int created = -1;
    assert_int_equal(ucrm_batch_result_created(b, 0, &created), UCRM_OK);
    assert_int_equal(created, 1);
    ucrm_batch_destroy(b);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_iter__batch_create_untraced(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    hs_fx_load(f, "batch_create_untraced");
    ucrm_batch_t *b = NULL;
    ucrm_batch_new(&b, UCRM_OBJECT_CONTACT, UCRM_BATCH_CREATE);
    static const char *const names[][2] = {{"a@x.com", "A"}, {"b@x.com", "B"}, {"c@x.com", "C"}};
    for (int i = 0; i < 3; i++) {
        ucrm_record_t *r = NULL;
        ucrm_record_new(&r, UCRM_OBJECT_CONTACT);
        ucrm_record_set_string(r, "email", names[i][0]);
        ucrm_record_set_string(r, "first_name", names[i][1]);
        if (i == 1)
            ucrm_record_set_string(r, "custom.missing", "x");
        ucrm_batch_add(b, r);
        ucrm_record_destroy(r);
    }
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_ERR_PARTIAL);
    expect_item(b, 0, "201", UCRM_OK);
    expect_item(b, 1, NULL, UCRM_ERR_VALIDATION);
    expect_item(b, 2, "203", UCRM_OK);
    const ucrm_error_t *ie = NULL;
    ucrm_batch_result(b, 1, NULL, &ie);
    assert_string_equal(ucrm_error_field(ie), "custom.missing");
    ucrm_batch_destroy(b);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

/* A refused chunk is split until the bad input stands alone. */
static void test_hubspot_iter__batch_split_refused(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    const char *bad = "{\"status\":\"error\",\"message\":\"Property values were not valid: [{\\\"name\\\":\\\"email\\\","
                      "\\\"error\\\":\\\"INVALID_EMAIL\\\"}]\",\"correlationId\":\"c\",\"category\":\"VALIDATION_ERROR\"}";
    const char *ok2 = "{\"status\":\"COMPLETE\",\"results\":[{\"id\":\"11\",\"new\":true,\"properties\":{\"email\":"
                      "\"a@x.com\"},\"createdAt\":\"2024-01-01T00:00:00Z\",\"updatedAt\":\"2024-01-01T00:00:00Z\","
                      "\"archived\":false},{\"id\":\"12\",\"new\":false,\"properties\":{\"email\":\"B@x.com\"},"
                      "\"createdAt\":\"2024-01-01T00:00:00Z\",\"updatedAt\":\"2024-01-01T00:00:00Z\",\"archived\":false}],"
                      "\"startedAt\":\"2024-01-01T00:00:00Z\",\"completedAt\":\"2024-01-01T00:00:00Z\"}";
    const char *ok4 = "{\"status\":\"COMPLETE\",\"results\":[{\"id\":\"14\",\"new\":true,\"properties\":{\"email\":"
                      "\"d@x.com\"},\"createdAt\":\"2024-01-01T00:00:00Z\",\"updatedAt\":\"2024-01-01T00:00:00Z\","
                      "\"archived\":false}],\"startedAt\":\"2024-01-01T00:00:00Z\",\"completedAt\":\"2024-01-01T00:00:00Z\"}";
    script_expect(f->s, "POST", "/crm/v3/objects/contacts/batch/upsert", "*", 400, NULL, bad); /* 4 inputs */
    script_expect(f->s, "POST", "/crm/v3/objects/contacts/batch/upsert", "*", 200, NULL, ok2); /* 0, 1 */
    script_expect(f->s, "POST", "/crm/v3/objects/contacts/batch/upsert", "*", 400, NULL, bad); /* 2, 3 */
    script_expect(f->s, "POST", "/crm/v3/objects/contacts/batch/upsert", "*", 400, NULL, bad); /* 2 */
    script_expect(f->s, "POST", "/crm/v3/objects/contacts/batch/upsert", "*", 200, NULL, ok4); /* 3 */
    static const char *const emails[] = {"a@x.com", "b@x.com", "bad", "d@x.com"};
    ucrm_batch_t *b = contacts_batch(UCRM_BATCH_UPSERT, emails, 4);
    ucrm_batch_set_key_field(b, "email");
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_ERR_PARTIAL);
    expect_item(b, 0, "11", UCRM_OK);
    expect_item(b, 1, "12", UCRM_OK); /* matched by the key value, case aside */
    expect_item(b, 2, NULL, UCRM_ERR_VALIDATION);
    expect_item(b, 3, "14", UCRM_OK);
    int created = -1;
    ucrm_batch_result_created(b, 1, &created);
    assert_int_equal(created, 0);
    /* each input carried its trace id and the key as id */
    assert_non_null(strstr(script_request_body(f->s, 4), "\"id\":\"d@x.com\""));
    assert_non_null(strstr(script_request_body(f->s, 4), "\"objectWriteTraceId\":\"ucrm-3\""));
    assert_non_null(strstr(script_request_body(f->s, 4), "\"idProperty\":\"email\""));
    assert_null(strstr(script_request_body(f->s, 4), "\"email\":"));
    ucrm_batch_destroy(b);
    /* a refusal about the request itself (no property named) is not split: one request, every input fails */
    script_expect(f->s, "POST", "/crm/v3/objects/contacts/batch/upsert", "*", 400, NULL,
                  "{\"status\":\"error\",\"message\":\"idProperty must name a unique property\",\"correlationId\":"
                  "\"c\",\"category\":\"VALIDATION_ERROR\"}");
    b = contacts_batch(UCRM_BATCH_UPSERT, emails, 4);
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_ERR_PARTIAL); /* the core's code when items failed */
    for (size_t i = 0; i < 4; i++)
        expect_item(b, i, NULL, UCRM_ERR_VALIDATION);
    assert_int_equal(script_requests(f->s), 6);
    ucrm_batch_destroy(b);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_iter__batch_update_and_primary(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    script_expect(f->s, "POST", "/crm/v3/objects/deals/batch/update",
                  "{\"inputs\":[{\"id\":\"1\",\"properties\":{\"dealname\":\"A\"},\"objectWriteTraceId\":\"ucrm-0\"},"
                  "{\"id\":\"2\",\"properties\":{\"dealname\":\"B\"},\"objectWriteTraceId\":\"ucrm-1\"},"
                  "{\"id\":\"3\",\"properties\":{\"dealname\":\"C\"},\"objectWriteTraceId\":\"ucrm-2\"}]}",
                  207, NULL,
                  "{\"status\":\"COMPLETE\",\"results\":[{\"id\":\"3\",\"properties\":{},\"createdAt\":"
                  "\"2024-01-01T00:00:00Z\",\"updatedAt\":\"2024-01-01T00:00:00Z\",\"archived\":false},{\"id\":\"1\","
                  "\"properties\":{},\"createdAt\":\"2024-01-01T00:00:00Z\",\"updatedAt\":\"2024-01-01T00:00:00Z\","
                  "\"archived\":false}],\"numErrors\":1,\"errors\":[{\"status\":\"error\",\"category\":"
                  "\"OBJECT_NOT_FOUND\",\"message\":\"Could not find some objects\",\"context\":{\"ids\":[\"2\"]},"
                  "\"errors\":[],\"links\":{}}],\"startedAt\":\"2024-01-01T00:00:00Z\",\"completedAt\":"
                  "\"2024-01-01T00:00:00Z\"}");
    /* the primary companies of the updated deals that asked for one, in one v4 request; one fails */
    script_expect(f->s, "POST", "/crm/v4/associations/deals/companies/batch/create",
                  "{\"inputs\":[{\"from\":{\"id\":\"1\"},\"to\":{\"id\":\"50\"},\"types\":[{\"associationCategory\":"
                  "\"HUBSPOT_DEFINED\",\"associationTypeId\":5}]},{\"from\":{\"id\":\"3\"},\"to\":{\"id\":\"404\"},"
                  "\"types\":[{\"associationCategory\":\"HUBSPOT_DEFINED\",\"associationTypeId\":5}]}]}",
                  207, NULL,
                  "{\"status\":\"COMPLETE\",\"results\":[{\"fromObjectTypeId\":\"0-3\",\"fromObjectId\":1,"
                  "\"toObjectTypeId\":\"0-2\",\"toObjectId\":50,\"labels\":[\"Primary\"]}],\"numErrors\":1,\"errors\":"
                  "[{\"status\":\"error\",\"category\":\"VALIDATION_ERROR\",\"message\":\"company 404 does not exist\","
                  "\"context\":{},\"errors\":[],\"links\":{}}],\"startedAt\":\"2024-01-01T00:00:00Z\","
                  "\"completedAt\":\"2024-01-01T00:00:00Z\"}");
    ucrm_batch_t *b = NULL;
    ucrm_batch_new(&b, UCRM_OBJECT_DEAL, UCRM_BATCH_UPDATE);
    static const char *const names[] = {"A", "B", "C"};
    static const char *const companies[] = {"50", "60", "404"};
    for (int i = 0; i < 3; i++) {
        ucrm_record_t *r = NULL;
        char id[8];
        snprintf(id, sizeof id, "%d", i + 1);
        ucrm_record_new(&r, UCRM_OBJECT_DEAL);
        ucrm_record_set_id(r, id);
        ucrm_record_set_string(r, "name", names[i]);
        ucrm_record_set_string(r, "account_id", companies[i]);
        ucrm_batch_add(b, r);
        ucrm_record_destroy(r);
    }
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_ERR_PARTIAL);
    expect_item(b, 0, "1", UCRM_OK);
    expect_item(b, 1, NULL, UCRM_ERR_NOT_FOUND);
    expect_item(b, 2, NULL, UCRM_ERR_VALIDATION);
    const ucrm_error_t *ie = NULL;
    ucrm_batch_result(b, 2, NULL, &ie);
    assert_non_null(strstr(ucrm_error_message(ie), "were written but its primary company"));
    assert_string_equal(ucrm_error_field(ie), "account_id");
    ucrm_batch_destroy(b);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_iter__batch_archive_and_local_failures(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    script_expect(f->s, "POST", "/crm/v3/objects/companies/batch/archive", "{\"inputs\":[{\"id\":\"5\"},{\"id\":\"6\"}]}",
                  204, NULL, "");
    ucrm_batch_t *b = NULL;
    ucrm_error_t *e = NULL;
    ucrm_batch_new(&b, UCRM_OBJECT_ACCOUNT, UCRM_BATCH_DELETE);
    ucrm_batch_add_id(b, "5");
    ucrm_batch_add_id(b, "6");
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_OK);
    expect_item(b, 0, "5", UCRM_OK);
    expect_item(b, 1, "6", UCRM_OK);
    ucrm_batch_destroy(b);
    /* inputs refused before sending: duplicate key, unsupported field, a removal of the primary company */
    script_expect(f->s, "POST", "/crm/v3/objects/contacts/batch/upsert",
                  "{\"inputs\":[{\"idProperty\":\"email\",\"id\":\"a@x.com\",\"properties\":{},\"objectWriteTraceId\":"
                  "\"ucrm-0\"}]}",
                  200, NULL,
                  "{\"status\":\"COMPLETE\",\"results\":[{\"id\":\"1\",\"new\":false,\"properties\":{\"email\":"
                  "\"a@x.com\"},\"createdAt\":\"2024-01-01T00:00:00Z\",\"updatedAt\":\"2024-01-01T00:00:00Z\","
                  "\"archived\":false,\"objectWriteTraceId\":\"ucrm-0\"}],\"startedAt\":\"2024-01-01T00:00:00Z\","
                  "\"completedAt\":\"2024-01-01T00:00:00Z\"}");
    ucrm_batch_new(&b, UCRM_OBJECT_CONTACT, UCRM_BATCH_UPSERT);
    const char *bodies[] = {"{\"email\":\"a@x.com\"}", "{\"email\":\"A@X.COM\"}",
                            "{\"email\":\"c@x.com\",\"phone_numbers\":[{\"number\":\"1\",\"type\":\"home\"}]}",
                            "{\"email\":\"d@x.com\",\"account_id\":null}"};
    for (int i = 0; i < 4; i++) {
        ucrm_record_t *r = NULL;
        assert_int_equal(ucrm_record_new_from_json(&r, UCRM_OBJECT_CONTACT, bodies[i], strlen(bodies[i]), NULL),
                         UCRM_OK);
        ucrm_batch_add(b, r);
        ucrm_record_destroy(r);
    }
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_ERR_PARTIAL);
    expect_item(b, 0, "1", UCRM_OK);
    expect_item(b, 1, NULL, UCRM_ERR_VALIDATION);
    expect_item(b, 2, NULL, UCRM_ERR_UNSUPPORTED);
    expect_item(b, 3, NULL, UCRM_ERR_UNSUPPORTED);
    const ucrm_error_t *ie = NULL;
    ucrm_batch_result(b, 2, NULL, &ie);
    assert_int_equal(ucrm_error_write_state(ie), UCRM_WRITE_NOT_APPLIED);
    ucrm_batch_destroy(b);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_iter__batch_chunks_of_100(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    script_answer_all(f->s, 204, NULL, "");
    ucrm_batch_t *b = NULL;
    ucrm_error_t *e = NULL;
    ucrm_batch_new(&b, UCRM_OBJECT_DEAL, UCRM_BATCH_DELETE);
    for (int i = 0; i < 250; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", 1000 + i);
        ucrm_batch_add_id(b, id);
    }
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_OK);
    assert_int_equal(script_requests(f->s), 3);
    size_t n100 = 0;
    for (const char *p = script_request_body(f->s, 0); (p = strstr(p, "\"id\"")); p++)
        n100++;
    assert_int_equal(n100, 100);
    expect_item(b, 249, "1249", UCRM_OK);
    ucrm_batch_destroy(b);
    hs_fx_done(f);
}

static void test_hubspot_iter__batch_fatal_error(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    script_expect(f->s, "POST", "/crm/v3/objects/contacts/batch/create", "*", 401, NULL,
                  "{\"status\":\"error\",\"message\":\"Authentication credentials not found.\",\"correlationId\":\"c\","
                  "\"category\":\"INVALID_AUTHENTICATION\"}");
    static const char *const emails[] = {"a@x.com", "b@x.com"};
    ucrm_batch_t *b = contacts_batch(UCRM_BATCH_CREATE, emails, 2);
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_ERR_AUTH);
    expect_item(b, 0, NULL, UCRM_ERR_AUTH);
    expect_item(b, 1, NULL, UCRM_ERR_AUTH);
    ucrm_batch_destroy(b);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_iter__batch_malformed_answer(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    script_expect(f->s, "POST", "/crm/v3/objects/contacts/batch/create", "*", 201, NULL, "{\"status\":\"COMPL");
    script_expect(f->s, "POST", "/crm/v3/objects/contacts/batch/create", "*", 201, NULL,
                  "{\"status\":\"COMPLETE\",\"results\":[]}");
    static const char *const emails[] = {"a@x.com"};
    ucrm_batch_t *b = contacts_batch(UCRM_BATCH_CREATE, emails, 1);
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_ERR_PARTIAL);
    const ucrm_error_t *ie = NULL;
    assert_int_equal(ucrm_batch_result(b, 0, NULL, &ie), UCRM_ERR_PROTOCOL);
    ucrm_batch_destroy(b);
    b = contacts_batch(UCRM_BATCH_CREATE, emails, 1);
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_ERR_PARTIAL);
    assert_int_equal(ucrm_batch_result(b, 0, NULL, &ie), UCRM_ERR_PROTOCOL);
    assert_int_equal(ucrm_error_write_state(ie), UCRM_WRITE_UNKNOWN); /* may have been created */
    ucrm_batch_destroy(b);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

/* ---------------------------------------------------------------------------------------------- passthrough */

static void test_hubspot_iter__passthrough(void **state) {
    (void)state;
    hsfx_t *f = hs_fx(NULL);
    script_expect(f->s, "POST", "/crm/v3/objects/contacts/search", "{\"query\":\"ada\"}", 200, NULL,
                  "{\"total\":0,\"results\":[]}");
    script_expect(f->s, "GET", "/crm/v3/properties/contacts?archived=false", NULL, 404, NULL,
                  "{\"status\":\"error\",\"message\":\"nope\",\"correlationId\":\"c\",\"category\":\"OBJECT_NOT_FOUND\"}");
    ucrm_response_t *resp = NULL;
    ucrm_error_t *e = NULL;
    const char *body = "{\"query\":\"ada\"}";
    assert_int_equal(ucrm_passthrough(f->c, "POST", "/crm/v3/objects/contacts/search", body, strlen(body), NULL,
                                      &resp, &e),
                     UCRM_OK);
    assert_int_equal(ucrm_response_status(resp), 200);
    assert_string_equal(script_request_header(f->s, 0, "Authorization"), "Bearer pat-na1-test");
    ucrm_response_destroy(resp);
    assert_int_equal(ucrm_passthrough(f->c, "GET", "/crm/v3/properties/contacts?archived=false", NULL, 0, NULL, &resp,
                                      &e),
                     UCRM_OK);
    assert_int_equal(ucrm_response_status(resp), 404); /* passthrough hands back any status */
    size_t len = 0;
    assert_non_null(strstr(ucrm_response_body(resp, &len), "nope"));
    ucrm_response_destroy(resp);
    assert_true(hs_fx_done(f));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hubspot_iter__list_then_archived),
        cmocka_unit_test(test_hubspot_iter__list_page_failure_repeats),
        cmocka_unit_test(test_hubspot_iter__incremental_ties),
        cmocka_unit_test(test_hubspot_iter__incremental_resume),
        cmocka_unit_test(test_hubspot_iter__search_translation),
        cmocka_unit_test(test_hubspot_iter__list_cursor),
        cmocka_unit_test(test_hubspot_iter__batch_create_out_of_order),
        cmocka_unit_test(test_hubspot_iter__batch_create_untraced),
        cmocka_unit_test(test_hubspot_iter__batch_split_refused),
        cmocka_unit_test(test_hubspot_iter__batch_update_and_primary),
        cmocka_unit_test(test_hubspot_iter__batch_archive_and_local_failures),
        cmocka_unit_test(test_hubspot_iter__batch_chunks_of_100),
        cmocka_unit_test(test_hubspot_iter__batch_fatal_error),
        cmocka_unit_test(test_hubspot_iter__batch_malformed_answer),
        cmocka_unit_test(test_hubspot_iter__passthrough),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
