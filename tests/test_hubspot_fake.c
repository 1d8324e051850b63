/*
 * test_hubspot_fake.c -- the HubSpot adapter against the local fake (tests/fake) over real HTTP: every
 * operation for contacts, accounts and deals, paging through 2,500 records, an incremental sync over more than
 * 10,000 modified records with shared timestamps (and a resume from a cursor in a new client), a batch of 250
 * upserts with invalid inputs, custom properties, primary-company associations, each error mapping, injected
 * faults and truncated answers, and the OAuth refresh-token flow (expiry, revocation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "helpers/fake.h"
#include "helpers/hstest.h"

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define CUSTOM_PROPS                                                                                           \
    "contacts.favorite_color,contacts.customer_code:unique,deals.priority_score:number,companies.ext_id:unique,"   \
    "deals.ext_id:unique"

static ucrm_fake_t *F;

static int group_setup(void **state) {
    (void)state;
    F = fake_start("--hubspot-rate", "1000000/10000", "--hubspot-search-rate", "1000000/1000",
                   "--hubspot-custom-properties", CUSTOM_PROPS, NULL);
    return F ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    return fake_stop(F) == 0 ? 0 : -1;
}

static int reset(void **state) {
    (void)state;
    return fake_reset(F);
}

static hsfx_t *fx(const char *const *kv) { return hs_fx_url(fake_url(F), kv); }

static void must(ucrm_err_t rc, ucrm_error_t *e, const char *what) {
    if (rc != UCRM_OK)
        fail_msg("%s: %s %s", what, ucrm_err_name(rc), ucrm_error_message(e));
}

static ucrm_record_t *from_json(ucrm_object_t o, const char *json) {
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    must(ucrm_record_new_from_json(&r, o, json, strlen(json), &e), e, json);
    return r;
}

/* Creates a record from unified JSON and returns its id (malloc'd). */
static char *create(hsfx_t *f, ucrm_object_t o, const char *json) {
    ucrm_record_t *r = from_json(o, json);
    ucrm_error_t *e = NULL;
    must(ucrm_create(f->c, r, NULL, &e), e, "create");
    char *id = strdup(ucrm_record_id(r));
    ucrm_record_destroy(r);
    return id;
}

static ucrm_record_t *get(hsfx_t *f, ucrm_object_t o, const char *id, const char *fields) {
    ucrm_reqopts_t *opts = NULL;
    ucrm_reqopts_new(&opts);
    if (fields)
        ucrm_reqopts_set_fields(opts, fields);
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    must(ucrm_get(f->c, o, id, opts, &r, &e), e, "get");
    ucrm_reqopts_destroy(opts);
    return r;
}

/* POST /__fake/records/hubspot/<object>: returns the ids as a cJSON array (caller deletes). */
static cJSON *seed(const char *object, const char *json_array) {
    char path[128];
    long st = 0;
    snprintf(path, sizeof path, "/__fake/records/hubspot/%s", object);
    char *body = fake_request(F, "POST", path, json_array, &st);
    assert_int_equal(st, 201);
    cJSON *j = cJSON_Parse(body);
    free(body);
    cJSON *ids = cJSON_DetachItemFromObjectCaseSensitive(j, "ids");
    cJSON_Delete(j);
    assert_non_null(ids);
    return ids;
}

/* ---------------------------------------------------------------------------------------------- CRUD */

static void crud(hsfx_t *f, ucrm_object_t o, const char *create_json, const char *check_field,
                 const char *check_value, const char *update_field, const char *update_value) {
    ucrm_error_t *e = NULL;
    char *id = create(f, o, create_json);
    ucrm_record_t *r = get(f, o, id, NULL);
    assert_string_equal(hs_str(r, check_field), check_value);
    assert_non_null(hs_str(r, "created_at"));
    ucrm_record_set_string(r, update_field, update_value);
    must(ucrm_update(f->c, r, NULL, &e), e, "update");
    ucrm_record_destroy(r);
    r = get(f, o, id, NULL);
    assert_string_equal(hs_str(r, update_field), update_value);
    assert_string_equal(hs_str(r, check_field), check_value); /* untouched */
    ucrm_record_destroy(r);
    /* found by search on the field, and by list and incremental list */
    ucrm_iter_t *it = NULL;
    must(ucrm_search(f->c, o, check_field, check_value, NULL, &it, &e), e, "search");
    must(ucrm_iter_next(it, &r, &e), e, "search result");
    assert_string_equal(ucrm_record_id(r), id);
    assert_string_equal(hs_str(r, update_field), update_value);
    ucrm_record_destroy(r);
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_ITEROVER);
    ucrm_iter_destroy(it);
    for (int since = 0; since < 2; since++) {
        ucrm_reqopts_t *lo = NULL;
        ucrm_reqopts_new(&lo);
        if (since)
            ucrm_reqopts_set_updated_since(lo, "2020-01-01T00:00:00Z");
        must(ucrm_list(f->c, o, lo, &it, &e), e, "list");
        bool seen = false;
        ucrm_err_t rc;
        while ((rc = ucrm_iter_next(it, &r, &e)) == UCRM_OK) {
            seen |= strcmp(ucrm_record_id(r), id) == 0;
            ucrm_record_destroy(r);
        }
        assert_int_equal(rc, UCRM_ITEROVER);
        assert_true(seen);
        ucrm_iter_destroy(it);
        ucrm_reqopts_destroy(lo);
    }
    must(ucrm_delete(f->c, o, id, NULL, &e), e, "delete");
    assert_int_equal(ucrm_get(f->c, o, id, NULL, &r, &e), UCRM_ERR_NOT_FOUND);
    assert_int_equal(ucrm_delete(f->c, o, id, NULL, &e), UCRM_ERR_NOT_FOUND);
    ucrm_reqopts_t *opts = NULL;
    ucrm_reqopts_new(&opts);
    ucrm_reqopts_set_include_deleted(opts, 1);
    must(ucrm_get(f->c, o, id, opts, &r, &e), e, "get archived");
    int del = 0;
    ucrm_record_get_bool(r, "is_deleted", &del);
    assert_int_equal(del, 1);
    ucrm_record_destroy(r);
    ucrm_reqopts_destroy(opts);
    ucrm_error_destroy(e);
    free(id);
}

static void test_hubspot_fake__crud(void **state) {
    (void)state;
    hsfx_t *f = fx(NULL);
    crud(f, UCRM_OBJECT_CONTACT,
         "{\"first_name\":\"Ada\",\"last_name\":\"Lovelace\",\"email\":\"ada@example.com\","
         "\"additional_emails\":[\"ada@home.example\"],\"phone_numbers\":[{\"number\":\"+44 1\",\"type\":\"work\"},"
         "{\"number\":\"+44 2\",\"type\":\"mobile\"}],\"address\":{\"street\":\"1 St\",\"city\":\"London\"},"
         "\"lifecycle_stage\":\"lead\"}",
         "email", "ada@example.com", "title", "Countess");
    crud(f, UCRM_OBJECT_ACCOUNT, "{\"name\":\"Acme\",\"domain\":\"acme.example\",\"employee_count\":250,"
                                 "\"annual_revenue\":\"1000000.50\",\"industry\":\"COMPUTER_SOFTWARE\"}",
         "domain", "acme.example", "description", "Anvils");
    crud(f, UCRM_OBJECT_DEAL, "{\"name\":\"Big\",\"amount\":\"1500.25\",\"stage\":\"contractsent\","
                              "\"close_date\":\"2024-06-30\",\"pipeline\":\"default\"}",
         "close_date", "2024-06-30", "name", "Bigger");
    /* values the fake derives or converts */
    char *id = create(f, UCRM_OBJECT_DEAL, "{\"name\":\"Won\",\"amount\":\"10\",\"stage\":\"closedwon\"}");
    ucrm_record_t *r = get(f, UCRM_OBJECT_DEAL, id, NULL);
    double p = 0;
    assert_string_equal(hs_str(r, "status"), "won");
    assert_int_equal(ucrm_record_get_double(r, "probability", &p), UCRM_OK);
    assert_true(p == 100.0);
    ucrm_record_destroy(r);
    free(id);
    id = create(f, UCRM_OBJECT_ACCOUNT, "{\"name\":\"Acme 2\",\"employee_count\":7}");
    r = get(f, UCRM_OBJECT_ACCOUNT, id, "employee_count,annual_revenue,address");
    int64_t n = 0;
    assert_int_equal(ucrm_record_get_int64(r, "employee_count", &n), UCRM_OK);
    assert_int_equal(n, 7);
    assert_true(ucrm_record_is_null(r, "annual_revenue"));
    assert_true(ucrm_record_is_null(r, "address"));
    assert_int_equal(ucrm_record_field_type(r, "name"), UCRM_FIELD_NONE);
    ucrm_record_destroy(r);
    free(id);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_fake__upsert(void **state) {
    (void)state;
    hsfx_t *f = fx(NULL);
    ucrm_error_t *e = NULL;
    char *id = create(f, UCRM_OBJECT_CONTACT, "{\"email\":\"u@example.com\",\"first_name\":\"U\"}");
    ucrm_record_t *r = from_json(UCRM_OBJECT_CONTACT, "{\"email\":\"u@example.com\",\"title\":\"Boss\"}");
    must(ucrm_upsert(f->c, r, NULL, NULL, &e), e, "upsert existing");
    assert_string_equal(ucrm_record_id(r), id);
    ucrm_record_destroy(r);
    r = get(f, UCRM_OBJECT_CONTACT, id, NULL);
    assert_string_equal(hs_str(r, "title"), "Boss");
    assert_string_equal(hs_str(r, "first_name"), "U");
    ucrm_record_destroy(r);
    r = from_json(UCRM_OBJECT_CONTACT, "{\"email\":\"new@example.com\",\"title\":\"New\"}");
    must(ucrm_upsert(f->c, r, "email", NULL, &e), e, "upsert new");
    assert_string_not_equal(ucrm_record_id(r), id);
    ucrm_record_t *g = get(f, UCRM_OBJECT_CONTACT, ucrm_record_id(r), "email");
    assert_string_equal(hs_str(g, "email"), "new@example.com"); /* set from the key */
    ucrm_record_destroy(g);
    ucrm_record_destroy(r);
    r = from_json(UCRM_OBJECT_ACCOUNT, "{\"custom.ext_id\":\"EXT-1\",\"name\":\"Ext\"}");
    must(ucrm_upsert(f->c, r, "custom.ext_id", NULL, &e), e, "upsert by a unique custom property");
    char *aid = strdup(ucrm_record_id(r));
    ucrm_record_set_string(r, "name", "Ext 2");
    must(ucrm_upsert(f->c, r, "custom.ext_id", NULL, &e), e, "upsert again");
    assert_string_equal(ucrm_record_id(r), aid);
    ucrm_record_destroy(r);
    free(aid);
    free(id);
    assert_true(hs_fx_done(f));
}

/* ---------------------------------------------------------------------------------------------- paging */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Checks that got (n ids) is exactly want (a cJSON array of ids): no gap, no duplicate. */
static void same_ids(char **got, size_t n, const cJSON *want) {
    size_t w = (size_t)cJSON_GetArraySize(want);
    char **exp = calloc(w, sizeof *exp);
    size_t k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, want) exp[k++] = e->valuestring;
    qsort(got, n, sizeof *got, cmp_str);
    qsort(exp, w, sizeof *exp, cmp_str);
    for (size_t i = 1; i < n; i++)
        if (strcmp(got[i - 1], got[i]) == 0)
            fail_msg("duplicate id %s", got[i]);
    if (n != w)
        fail_msg("%zu records, want %zu", n, w);
    for (size_t i = 0; i < n; i++)
        if (strcmp(got[i], exp[i]) != 0)
            fail_msg("id %s missing (got %s)", exp[i], got[i]);
    free(exp);
}

/* Iterates up to `stop` records (0: to the end) appending ids; returns the iterator's cursor (malloc'd) or
 * NULL at the end. */
static char *walk(ucrm_iter_t *it, char ***ids, size_t *n, size_t stop) {
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    ucrm_err_t rc;
    size_t taken = 0;
    while ((rc = ucrm_iter_next(it, &r, &e)) == UCRM_OK) {
        *ids = realloc(*ids, (*n + 1) * sizeof **ids);
        (*ids)[(*n)++] = strdup(ucrm_record_id(r));
        ucrm_record_destroy(r);
        if (stop && ++taken == stop)
            return strdup(ucrm_iter_cursor(it));
    }
    if (rc != UCRM_ITEROVER)
        fail_msg("iteration: %s %s", ucrm_err_name(rc), ucrm_error_message(e));
    return NULL;
}

static void free_ids(char **ids, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

static void test_hubspot_fake__paging_2500(void **state) {
    (void)state;
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < 2500; i++) {
        char email[64];
        snprintf(email, sizeof email, "p%d@example.com", i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "email", email);
        cJSON_AddItemToArray(arr, o);
    }
    char *body = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    cJSON *want = seed("contacts", body);
    free(body);
    hsfx_t *f = fx(NULL);
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_fields(o, "email");
    ucrm_iter_t *it = NULL;
    ucrm_error_t *e = NULL;
    char **ids = NULL;
    size_t n = 0;
    must(ucrm_list(f->c, UCRM_OBJECT_CONTACT, o, &it, &e), e, "list");
    char *cur = walk(it, &ids, &n, 1234); /* stop in the middle of a page */
    ucrm_iter_destroy(it);
    assert_true(hs_fx_done(f));
    assert_non_null(cur);
    /* a new client resumes from the cursor */
    f = fx(NULL);
    must(ucrm_iter_resume(f->c, cur, o, &it, &e), e, "resume");
    assert_null(walk(it, &ids, &n, 0));
    ucrm_iter_destroy(it);
    same_ids(ids, n, want);
    long pages = fake_stat(F, "routes.GET /crm/v3/objects/{type}.200");
    assert_true(pages >= 25 && pages <= 27); /* 100 per page, one page fetched twice around the resume */
    free(cur);
    free_ids(ids, n);
    cJSON_Delete(want);
    ucrm_reqopts_destroy(o);
    assert_true(hs_fx_done(f));
}

/* 10,500 modified contacts in groups sharing a millisecond (and 250 sharing one), plus 400 older ones. */
static cJSON *seed_modified(void) {
    const long long t0 = 1704067200000LL; /* 2024-01-01 */
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < 10900; i++) {
        char email[64], ts[32];
        long long t = i < 400 ? t0 - 86400000LL + i : t0 + (i - 400) / 3;
        if (i >= 5000 && i < 5250)
            t = t0 + 999999; /* more records at one timestamp than a page holds */
        snprintf(email, sizeof email, "m%d@example.com", i);
        snprintf(ts, sizeof ts, "%lld", t);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "email", email);
        cJSON_AddStringToObject(o, "lastmodifieddate", ts);
        cJSON_AddStringToObject(o, "createdate", ts);
        cJSON_AddItemToArray(arr, o);
    }
    char *body = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    cJSON *ids = seed("contacts", body);
    free(body);
    cJSON *want = cJSON_CreateArray();
    int i = 0;
    const cJSON *id;
    cJSON_ArrayForEach(id, ids) if (i++ >= 400) cJSON_AddItemToArray(want, cJSON_CreateString(id->valuestring));
    cJSON_Delete(ids);
    return want;
}

static void test_hubspot_fake__incremental_10k(void **state) {
    (void)state;
    cJSON *want = seed_modified();
    hsfx_t *f = fx(NULL);
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_fields(o, "email");
    ucrm_reqopts_set_page_size(o, 200);
    ucrm_reqopts_set_updated_since(o, "2024-01-01T00:00:00Z");
    ucrm_iter_t *it = NULL;
    ucrm_error_t *e = NULL;
    char **ids = NULL;
    size_t n = 0;
    must(ucrm_list(f->c, UCRM_OBJECT_CONTACT, o, &it, &e), e, "incremental");
    char *cur = walk(it, &ids, &n, 6001);
    int64_t total = 0;
    assert_int_equal(ucrm_iter_total(it, &total), UCRM_OK);
    assert_int_equal(total, 10500);
    ucrm_iter_destroy(it);
    assert_true(hs_fx_done(f));
    f = fx(NULL);
    ucrm_reqopts_t *o2 = NULL;
    ucrm_reqopts_new(&o2);
    ucrm_reqopts_set_fields(o2, "email");
    ucrm_reqopts_set_page_size(o2, 200);
    must(ucrm_iter_resume(f->c, cur, o2, &it, &e), e, "resume");
    assert_null(walk(it, &ids, &n, 0));
    ucrm_iter_destroy(it);
    same_ids(ids, n, want);
    /* no query went past HubSpot's 10,000-result cap, none was refused */
    assert_int_equal(fake_stat(F, "routes.POST /crm/v3/objects/{type}/search.400"), -1);
    free(cur);
    free_ids(ids, n);
    cJSON_Delete(want);
    ucrm_reqopts_destroy(o);
    ucrm_reqopts_destroy(o2);
    assert_true(hs_fx_done(f));
}

/* ---------------------------------------------------------------------------------------------- batches */

static void test_hubspot_fake__batch_250_upserts(void **state) {
    (void)state;
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < 50; i++) {
        char email[64];
        snprintf(email, sizeof email, "b%d@example.com", i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "email", email);
        cJSON_AddItemToArray(arr, o);
    }
    char *body = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    cJSON *existing = seed("contacts", body);
    free(body);
    hsfx_t *f = fx(NULL);
    ucrm_batch_t *b = NULL;
    ucrm_batch_new(&b, UCRM_OBJECT_CONTACT, UCRM_BATCH_UPSERT);
    ucrm_batch_set_key_field(b, "email");
    for (int i = 0; i < 250; i++) {
        char json[256];
        const char *extra = i == 7 || i == 201 ? ",\"lifecycle_stage\":\"bogus\"" : i == 133 ? ",\"custom.nope\":\"x\"" : "";
        snprintf(json, sizeof json, "{\"email\":\"b%d@example.com\",\"first_name\":\"B%d\"%s}", i, i, extra);
        ucrm_record_t *r = from_json(UCRM_OBJECT_CONTACT, json);
        assert_int_equal(ucrm_batch_add(b, r), UCRM_OK);
        ucrm_record_destroy(r);
    }
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_ERR_PARTIAL);
    assert_non_null(strstr(ucrm_error_message(e), "3 of 250"));
    size_t ok = 0;
    for (size_t i = 0; i < 250; i++) {
        const char *id = NULL;
        const ucrm_error_t *ie = NULL;
        ucrm_err_t rc = ucrm_batch_result(b, i, &id, &ie);
        if (i == 7 || i == 133 || i == 201) {
            assert_int_equal(rc, UCRM_ERR_VALIDATION);
            assert_string_equal(ucrm_error_field(ie), i == 133 ? "custom.nope" : "lifecycle_stage");
            continue;
        }
        if (rc != UCRM_OK)
            fail_msg("item %zu: %s", i, ucrm_error_message(ie));
        int created = -1;
        ucrm_batch_result_created(b, i, &created);
        assert_int_equal(created, i >= 50);
        if (i < 50)
            assert_string_equal(id, cJSON_GetArrayItem(existing, (int)i)->valuestring);
        /* the id belongs to this input's email */
        if (i % 37 == 0) {
            ucrm_record_t *r = get(f, UCRM_OBJECT_CONTACT, id, "email,first_name");
            char email[64];
            snprintf(email, sizeof email, "b%zu@example.com", i);
            assert_string_equal(hs_str(r, "email"), email);
            ucrm_record_destroy(r);
        }
        ok++;
    }
    assert_int_equal(ok, 247);
    assert_int_equal(fake_stat(F, "records.hubspot.contacts"), 50 + 198); /* 200 new inputs, 2 of them refused */
    ucrm_batch_destroy(b);
    ucrm_error_destroy(e);
    cJSON_Delete(existing);
    assert_true(hs_fx_done(f));
}

static void test_hubspot_fake__batch_create_update_archive(void **state) {
    (void)state;
    hsfx_t *f = fx(NULL);
    char *company = create(f, UCRM_OBJECT_ACCOUNT, "{\"name\":\"Parent\"}");
    ucrm_batch_t *b = NULL;
    ucrm_error_t *e = NULL;
    ucrm_batch_new(&b, UCRM_OBJECT_DEAL, UCRM_BATCH_CREATE);
    for (int i = 0; i < 120; i++) {
        char json[256];
        snprintf(json, sizeof json, "{\"name\":\"D%d\",\"stage\":\"%s\",\"account_id\":\"%s\"}", i,
                 i == 60 ? "nostage" : "qualifiedtobuy", company);
        ucrm_record_t *r = from_json(UCRM_OBJECT_DEAL, json);
        ucrm_batch_add(b, r);
        ucrm_record_destroy(r);
    }
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_ERR_PARTIAL);
    char *ids[120];
    for (size_t i = 0; i < 120; i++) {
        const char *id = NULL;
        ucrm_err_t rc = ucrm_batch_result(b, i, &id, NULL);
        assert_int_equal(rc, i == 60 ? UCRM_ERR_VALIDATION : UCRM_OK);
        ids[i] = id ? strdup(id) : NULL;
    }
    ucrm_batch_destroy(b);
    ucrm_record_t *r = get(f, UCRM_OBJECT_DEAL, ids[119], "name,account_id");
    assert_string_equal(hs_str(r, "name"), "D119");
    assert_string_equal(hs_str(r, "account_id"), company); /* association input on create */
    ucrm_record_destroy(r);
    ucrm_batch_new(&b, UCRM_OBJECT_DEAL, UCRM_BATCH_UPDATE);
    for (size_t i = 0; i < 120; i += 10) {
        r = from_json(UCRM_OBJECT_DEAL, "{\"amount\":\"99\"}");
        ucrm_record_set_id(r, i == 60 ? "999999" : ids[i]);
        ucrm_batch_add(b, r);
        ucrm_record_destroy(r);
    }
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_ERR_PARTIAL);
    assert_int_equal(ucrm_batch_result(b, 6, NULL, NULL), UCRM_ERR_NOT_FOUND);
    assert_int_equal(ucrm_batch_result(b, 7, NULL, NULL), UCRM_OK);
    ucrm_batch_destroy(b);
    r = get(f, UCRM_OBJECT_DEAL, ids[70], "amount");
    assert_string_equal(hs_str(r, "amount"), "99");
    ucrm_record_destroy(r);
    ucrm_batch_new(&b, UCRM_OBJECT_DEAL, UCRM_BATCH_DELETE);
    for (size_t i = 0; i < 120; i++)
        if (ids[i])
            ucrm_batch_add_id(b, ids[i]);
    must(ucrm_batch_run(f->c, b, NULL, &e), e, "batch archive");
    ucrm_batch_destroy(b);
    assert_int_equal(fake_stat(F, "records.hubspot.deals"), 0);
    for (size_t i = 0; i < 120; i++)
        free(ids[i]);
    free(company);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

/* ---------------------------------------------------------------------------------------------- properties */

static void test_hubspot_fake__custom_properties(void **state) {
    (void)state;
    hsfx_t *f = fx(NULL);
    ucrm_error_t *e = NULL;
    char *id = create(f, UCRM_OBJECT_CONTACT,
                      "{\"email\":\"c@example.com\",\"custom.favorite_color\":\"teal\",\"custom.customer_code\":\"C-7\"}");
    ucrm_record_t *r = get(f, UCRM_OBJECT_CONTACT, id, "email,custom.favorite_color,custom.customer_code");
    assert_string_equal(hs_str(r, "custom.favorite_color"), "teal");
    assert_string_equal(hs_str(r, "custom.customer_code"), "C-7");
    ucrm_record_set_string(r, "custom.favorite_color", "red");
    must(ucrm_update(f->c, r, NULL, &e), e, "update custom");
    ucrm_record_destroy(r);
    r = get(f, UCRM_OBJECT_CONTACT, id, "custom.favorite_color");
    assert_string_equal(hs_str(r, "custom.favorite_color"), "red");
    ucrm_record_destroy(r);
    /* upsert by the unique custom property, search by a custom property */
    r = from_json(UCRM_OBJECT_CONTACT, "{\"custom.customer_code\":\"C-7\",\"title\":\"VIP\"}");
    must(ucrm_upsert(f->c, r, "custom.customer_code", NULL, &e), e, "upsert by custom");
    assert_string_equal(ucrm_record_id(r), id);
    ucrm_record_destroy(r);
    ucrm_iter_t *it = NULL;
    must(ucrm_search(f->c, UCRM_OBJECT_CONTACT, "custom.favorite_color", "red", NULL, &it, &e), e, "search");
    must(ucrm_iter_next(it, &r, &e), e, "search result");
    assert_string_equal(ucrm_record_id(r), id);
    assert_string_equal(hs_str(r, "title"), "VIP");
    ucrm_record_destroy(r);
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_ITEROVER);
    ucrm_iter_destroy(it);
    /* a number property: HubSpot stores text, the custom field reads back as HubSpot sends it */
    char *did = create(f, UCRM_OBJECT_DEAL, "{\"name\":\"N\",\"custom.priority_score\":12.5}");
    r = get(f, UCRM_OBJECT_DEAL, did, "custom.priority_score");
    assert_string_equal(hs_str(r, "custom.priority_score"), "12.5");
    ucrm_record_destroy(r);
    free(did);
    free(id);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

/* ---------------------------------------------------------------------------------------------- associations */

static int primaries_and_links(hsfx_t *f, const char *contact, const char *company, bool *primary) {
    char path[256];
    ucrm_response_t *resp = NULL;
    ucrm_error_t *e = NULL;
    snprintf(path, sizeof path, "/crm/v4/objects/contacts/%s/associations/companies", contact);
    must(ucrm_passthrough(f->c, "GET", path, NULL, 0, NULL, &resp, &e), e, "v4 list");
    cJSON *j = cJSON_Parse(ucrm_response_body(resp, NULL));
    int linked = 0;
    *primary = false;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(j, "results")) {
        char id[32];
        snprintf(id, sizeof id, "%.0f", cJSON_GetObjectItemCaseSensitive(t, "toObjectId")->valuedouble);
        if (strcmp(id, company) != 0)
            continue;
        linked = 1;
        const cJSON *ty;
        cJSON_ArrayForEach(ty, cJSON_GetObjectItemCaseSensitive(t, "associationTypes"))
            *primary |= cJSON_GetObjectItemCaseSensitive(ty, "typeId")->valueint == 1;
    }
    cJSON_Delete(j);
    ucrm_response_destroy(resp);
    return linked;
}

static void test_hubspot_fake__associations(void **state) {
    (void)state;
    hsfx_t *f = fx(NULL);
    ucrm_error_t *e = NULL;
    char *a = create(f, UCRM_OBJECT_ACCOUNT, "{\"name\":\"A\"}");
    char *b = create(f, UCRM_OBJECT_ACCOUNT, "{\"name\":\"B\"}");
    char json[256];
    snprintf(json, sizeof json, "{\"email\":\"assoc@example.com\",\"account_id\":\"%s\"}", a);
    char *c = create(f, UCRM_OBJECT_CONTACT, json);
    ucrm_record_t *r = get(f, UCRM_OBJECT_CONTACT, c, "account_id");
    assert_string_equal(hs_str(r, "account_id"), a);
    ucrm_record_set_string(r, "account_id", b);
    must(ucrm_update(f->c, r, NULL, &e), e, "new primary");
    ucrm_record_destroy(r);
    r = get(f, UCRM_OBJECT_CONTACT, c, NULL);
    assert_string_equal(hs_str(r, "account_id"), b);
    ucrm_record_destroy(r);
    bool primary = true;
    assert_int_equal(primaries_and_links(f, c, a, &primary), 1); /* the old one stays associated, not primary */
    assert_false(primary);
    assert_int_equal(primaries_and_links(f, c, b, &primary), 1);
    assert_true(primary);
    /* deals too; and search results get theirs through a v4 batch read */
    snprintf(json, sizeof json, "{\"name\":\"D\",\"account_id\":\"%s\"}", b);
    char *d = create(f, UCRM_OBJECT_DEAL, json);
    r = get(f, UCRM_OBJECT_DEAL, d, "account_id,name");
    assert_string_equal(hs_str(r, "account_id"), b);
    ucrm_record_destroy(r);
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_fields(o, "email,account_id");
    ucrm_iter_t *it = NULL;
    must(ucrm_search(f->c, UCRM_OBJECT_CONTACT, "account_id", b, o, &it, &e), e, "search by account");
    must(ucrm_iter_next(it, &r, &e), e, "search result");
    assert_string_equal(ucrm_record_id(r), c);
    assert_string_equal(hs_str(r, "account_id"), b);
    ucrm_record_destroy(r);
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_ITEROVER);
    ucrm_iter_destroy(it);
    must(ucrm_list(f->c, UCRM_OBJECT_CONTACT, o, &it, &e), e, "list with accounts");
    must(ucrm_iter_next(it, &r, &e), e, "list result");
    assert_string_equal(hs_str(r, "account_id"), b);
    ucrm_record_destroy(r);
    ucrm_iter_destroy(it);
    ucrm_reqopts_destroy(o);
    /* no primary company: the association goes */
    r = get(f, UCRM_OBJECT_CONTACT, c, "account_id");
    ucrm_record_set_null(r, "account_id");
    must(ucrm_update(f->c, r, NULL, &e), e, "remove primary");
    ucrm_record_destroy(r);
    r = get(f, UCRM_OBJECT_CONTACT, c, "account_id");
    assert_true(ucrm_record_is_null(r, "account_id"));
    ucrm_record_destroy(r);
    assert_int_equal(primaries_and_links(f, c, b, &primary), 0);
    /* a company that does not exist */
    r = get(f, UCRM_OBJECT_CONTACT, c, "account_id");
    ucrm_record_set_string(r, "account_id", "424242");
    assert_int_equal(ucrm_update(f->c, r, NULL, &e), UCRM_ERR_NOT_FOUND);
    assert_string_equal(ucrm_error_field(e), "account_id");
    ucrm_record_destroy(r);
    free(a);
    free(b);
    free(c);
    free(d);
    ucrm_error_destroy(e);
    assert_true(hs_fx_done(f));
}

/* ---------------------------------------------------------------------------------------------- errors */

static void test_hubspot_fake__errors(void **state) {
    (void)state;
    hsfx_t *f = fx(NULL);
    ucrm_error_t *e = NULL;
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "4242", NULL, &r, &e), UCRM_ERR_NOT_FOUND);
    assert_string_equal(ucrm_error_provider_code(e), "OBJECT_NOT_FOUND");
    assert_int_equal(strlen(ucrm_error_request_id(e)), 36); /* the correlationId */
    assert_int_equal(ucrm_error_http_status(e), 404);
    char *first = create(f, UCRM_OBJECT_CONTACT, "{\"email\":\"dup@example.com\"}");
    r = from_json(UCRM_OBJECT_CONTACT, "{\"email\":\"DUP@example.com\"}");
    assert_int_equal(ucrm_create(f->c, r, NULL, &e), UCRM_ERR_CONFLICT);
    assert_string_equal(ucrm_error_existing_id(e), first);
    assert_int_equal(ucrm_error_write_state(e), UCRM_WRITE_NOT_APPLIED);
    ucrm_record_destroy(r);
    r = from_json(UCRM_OBJECT_CONTACT, "{\"email\":\"not an email\"}");
    assert_int_equal(ucrm_create(f->c, r, NULL, &e), UCRM_ERR_VALIDATION);
    assert_string_equal(ucrm_error_field(e), "email");
    assert_string_equal(ucrm_error_provider_code(e), "VALIDATION_ERROR");
    ucrm_record_destroy(r);
    r = from_json(UCRM_OBJECT_CONTACT, "{\"custom.nope\":\"x\"}");
    ucrm_record_set_id(r, first);
    assert_int_equal(ucrm_update(f->c, r, NULL, &e), UCRM_ERR_VALIDATION);
    assert_string_equal(ucrm_error_field(e), "custom.nope");
    ucrm_record_destroy(r);
    assert_true(hs_fx_done(f));
    /* a token HubSpot does not know */
    f = fx(KV("auth.access.token", "pat-wrong"));
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, first, NULL, &r, &e), UCRM_ERR_AUTH);
    assert_int_equal(ucrm_error_http_status(e), 401);
    assert_true(hs_fx_done(f));
    free(first);
    ucrm_error_destroy(e);
}

static void test_hubspot_fake__rate_limit(void **state) {
    (void)state;
    ucrm_fake_t *g = fake_start("--hubspot-rate", "3/10000", NULL);
    assert_non_null(g);
    hsfx_t *f = hs_fx_url(fake_url(g), NULL);
    ucrm_error_t *e = NULL;
    ucrm_record_t *r = NULL;
    for (int i = 0; i < 3; i++)
        assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "1", NULL, &r, &e), UCRM_ERR_NOT_FOUND);
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_CONTACT, "1", NULL, &r, &e), UCRM_ERR_RATE_LIMITED);
    assert_int_equal(ucrm_error_retry_after_ms(e), 10000);
    assert_int_equal(ucrm_error_is_retriable(e), 1);
    assert_string_equal(ucrm_error_provider_code(e), "TEN_SECONDLY_ROLLING");
    assert_true(hs_fx_done(f));
    /* the refused request used no budget at HubSpot (PROTOCOL B8: a 429 is not counted) */
    assert_int_equal(fake_stat(g, "hubspot.429"), 1);
    ucrm_error_destroy(e);
    assert_int_equal(fake_stop(g), 0);
}

static void test_hubspot_fake__faults(void **state) {
    (void)state;
    hsfx_t *f = fx(NULL);
    ucrm_error_t *e = NULL;
    ucrm_record_t *r = NULL;
    char *id = create(f, UCRM_OBJECT_ACCOUNT, "{\"name\":\"F\"}");
    assert_int_equal(fake_set_faults(F, "{\"rate\":1,\"faults\":[\"503\"]}"), 0);
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_ACCOUNT, id, NULL, &r, &e), UCRM_ERR_PROVIDER);
    assert_int_equal(ucrm_error_is_retriable(e), 1);
    assert_int_equal(fake_set_faults(F, "{\"rate\":1,\"faults\":[\"badjson\"]}"), 0);
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_ACCOUNT, id, NULL, &r, &e), UCRM_ERR_PROTOCOL);
    assert_null(r);
    /* the write happened, its answer was cut: the caller is told it may have been applied */
    assert_int_equal(fake_set_faults(F, "{\"rate\":1,\"faults\":[\"badjson\"],\"when\":\"after\"}"), 0);
    r = from_json(UCRM_OBJECT_ACCOUNT, "{\"name\":\"G\"}");
    assert_int_equal(ucrm_create(f->c, r, NULL, &e), UCRM_ERR_PROTOCOL);
    assert_int_equal(ucrm_error_write_state(e), UCRM_WRITE_UNKNOWN);
    ucrm_record_destroy(r);
    assert_int_equal(fake_set_faults(F, "{\"rate\":1,\"faults\":[\"reset\"],\"when\":\"before\"}"), 0);
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_ACCOUNT, id, NULL, &r, &e), UCRM_ERR_TRANSPORT);
    assert_int_equal(fake_set_faults(F, "{\"rate\":0}"), 0);
    r = get(f, UCRM_OBJECT_ACCOUNT, id, "name");
    assert_string_equal(hs_str(r, "name"), "F");
    ucrm_record_destroy(r);
    assert_true(hs_fx_done(f));
    /* with retries, transient faults are absorbed */
    f = fx(KV("retry.max", "24", "retry.backoff.ms", "1", "retry.backoff.max.ms", "5")); /* 0.5^25: never flaky */
    assert_int_equal(fake_set_faults(F, "{\"rate\":0.5,\"faults\":[\"500\",\"503\",\"reset\"],\"when\":\"before\"}"), 0);
    for (int i = 0; i < 20; i++) {
        r = get(f, UCRM_OBJECT_ACCOUNT, id, "name");
        ucrm_record_destroy(r);
    }
    assert_int_equal(fake_set_faults(F, "{\"rate\":0}"), 0);
    assert_true(hs_fx_done(f));
    free(id);
    ucrm_error_destroy(e);
}

/* ---------------------------------------------------------------------------------------------- OAuth */

static int token_calls;
static int on_token(const char *at, const char *rt, int64_t exp, const char *url, void *opaque) {
    (void)at, (void)exp, (void)url, (void)opaque;
    assert_string_equal(rt, "test-refresh"); /* HubSpot returns the same refresh token */
    token_calls++;
    return 0;
}

static void test_hubspot_fake__oauth(void **state) {
    (void)state;
    ucrm_fake_t *g = fake_start("--token-ttl", "60", NULL);
    assert_non_null(g);
    hsfx_t *f = hs_fx_url(fake_url(g), KV("auth.access.token", NULL, "auth.refresh.token", "test-refresh",
                                           "auth.client.id", "test-client", "auth.client.secret", "test-secret",
                                           "auth.token.url", fake_url(g)));
    /* the fixture's client was made before the callback could be set: a second one with it */
    ucrm_client_destroy(f->c);
    ucrm_conf_set_token_cb(f->conf, on_token, NULL);
    token_calls = 0;
    assert_int_equal(ucrm_client_new(&f->c, f->conf, NULL), UCRM_OK);
    ucrm_error_t *e = NULL;
    char *id = create(f, UCRM_OBJECT_ACCOUNT, "{\"name\":\"O\"}");
    assert_int_equal(fake_stat(g, "tokens_issued.hubspot"), 1);
    assert_int_equal(token_calls, 1);
    /* the token expires at HubSpot (fake clock): 401 EXPIRED_AUTHENTICATION, one refresh, the call succeeds */
    assert_int_equal(fake_clock_advance(g, 120000), 0);
    ucrm_record_t *r = get(f, UCRM_OBJECT_ACCOUNT, id, "name");
    ucrm_record_destroy(r);
    assert_int_equal(fake_stat(g, "tokens_issued.hubspot"), 2);
    assert_int_equal(token_calls, 2);
    /* the app is uninstalled: the refresh token is refused, re-authorisation is needed */
    long st = 0;
    free(fake_request(g, "POST", "/__fake/revoke", "{\"provider\":\"hubspot\"}", &st));
    assert_int_equal(st, 200);
    assert_int_equal(ucrm_get(f->c, UCRM_OBJECT_ACCOUNT, id, NULL, &r, &e), UCRM_ERR_AUTH);
    assert_non_null(strstr(ucrm_error_message(e), "re-authorisation is needed"));
    assert_null(strstr(ucrm_error_message(e), "test-refresh"));
    assert_null(strstr(ucrm_error_message(e), "test-secret"));
    ucrm_error_destroy(e);
    free(id);
    assert_true(hs_fx_done(f));
    assert_int_equal(fake_stop(g), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_hubspot_fake__crud, reset),
        cmocka_unit_test_setup(test_hubspot_fake__upsert, reset),
        cmocka_unit_test_setup(test_hubspot_fake__paging_2500, reset),
        cmocka_unit_test_setup(test_hubspot_fake__incremental_10k, reset),
        cmocka_unit_test_setup(test_hubspot_fake__batch_250_upserts, reset),
        cmocka_unit_test_setup(test_hubspot_fake__batch_create_update_archive, reset),
        cmocka_unit_test_setup(test_hubspot_fake__custom_properties, reset),
        cmocka_unit_test_setup(test_hubspot_fake__associations, reset),
        cmocka_unit_test_setup(test_hubspot_fake__errors, reset),
        cmocka_unit_test_setup(test_hubspot_fake__rate_limit, reset),
        cmocka_unit_test_setup(test_hubspot_fake__faults, reset),
        cmocka_unit_test_setup(test_hubspot_fake__oauth, reset),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
