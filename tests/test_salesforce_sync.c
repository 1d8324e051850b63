/*
 * test_salesforce_sync.c -- the Salesforce adapter's bulk paths against unicrm-fake over real HTTP: paging
 * through 5,000 records, cursors, a query locator lost mid-iteration, an access token expiring mid-iteration,
 * incremental sync with updates and deletes, batches of 450 upserts with failing records (allOrNone off and
 * on), batch create/update/delete, and the three token grants (refresh token, client credentials, JWT bearer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "helpers/sf_test.h"

static ucrm_fake_t *F;
static ucrm_client_t *C;
static char KEY_FILE[64] = "/tmp/ucrm-sf-test-key-XXXXXX";
static char PUB_FILE[64] = "/tmp/ucrm-sf-test-pub-XXXXXX";

#define QUERY_ROUTE "routes.GET /services/data/{ver}/query.200"
#define MORE_ROUTE "routes.GET /services/data/{ver}/query/{locator}.200"

static void write_keys(void) {
    EVP_PKEY *pk = EVP_RSA_gen(2048);
    assert_non_null(pk);
    int fd = mkstemp(KEY_FILE);
    FILE *f = fdopen(fd, "w");
    assert_int_equal(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    fd = mkstemp(PUB_FILE);
    f = fdopen(fd, "w");
    assert_int_equal(PEM_write_PUBKEY(f, pk), 1);
    fclose(f);
    EVP_PKEY_free(pk);
}

static int group_setup(void **state) {
    (void)state;
    write_keys();
    F = fake_start("--salesforce-custom-fields", SFT_CUSTOM_FIELDS, "--jwt-public-key", PUB_FILE, NULL);
    return F ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    unlink(KEY_FILE);
    unlink(PUB_FILE);
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

/* Seeds n contacts LastName "S<i>" (in chunks); returns nothing, the fake numbers them. */
static void seed_contacts(int n) {
    for (int off = 0; off < n; off += 1000) {
        size_t cap = 64 * 1000 + 16;
        char *buf = malloc(cap);
        size_t len = 0;
        buf[len++] = '[';
        for (int i = off; i < n && i < off + 1000; i++)
            len += (size_t)snprintf(buf + len, cap - len, "%s{\"LastName\":\"S%d\",\"Email\":\"s%d@example.com\"}",
                                    i > off ? "," : "", i, i);
        buf[len++] = ']';
        buf[len] = '\0';
        cJSON_Delete(sft_seed(F, "Contact", buf));
        free(buf);
    }
}

/* Iterates it to the end; counts records and checks that no id repeats. */
typedef struct seen {
    char (*ids)[19];
    int n, cap;
    int dups;
} seen_t;

static void seen_add(seen_t *s, const char *id) {
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->ids[i], id) == 0) {
            s->dups++;
            return;
        }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->ids = realloc(s->ids, (size_t)s->cap * sizeof *s->ids);
    }
    snprintf(s->ids[s->n++], 19, "%s", id);
}

static int drain(ucrm_iter_t *it, seen_t *s, int max) {
    ucrm_record_t *r;
    ucrm_error_t *e = NULL;
    int n = 0;
    ucrm_err_t rc = UCRM_OK;
    while (n < max && (rc = ucrm_iter_next(it, &r, &e)) == UCRM_OK) {
        seen_add(s, ucrm_record_id(r));
        ucrm_record_destroy(r);
        n++;
    }
    if (n < max)
        sft_want(rc, &e, UCRM_ITEROVER);
    return n;
}

static ucrm_reqopts_t *opts_page(int32_t n) {
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    assert_int_equal(ucrm_reqopts_set_page_size(o, n), UCRM_OK);
    return o;
}

/* ============================================================================================== paging */

static void test_salesforce_sync__pages_through_5000(void **state) {
    (void)state;
    seed_contacts(5000);
    ucrm_error_t *e = NULL;
    ucrm_iter_t *it = NULL;
    sft_ok(ucrm_list(C, UCRM_OBJECT_CONTACT, NULL, &it, &e), &e);
    /* lazy: nothing is fetched before the first ucrm_iter_next() */
    assert_int_equal(fake_stat(F, QUERY_ROUTE), -1);
    seen_t s = {0};
    assert_int_equal(drain(it, &s, 1 << 30), 5000);
    assert_int_equal(s.n, 5000);
    assert_int_equal(s.dups, 0);
    int64_t total = 0;
    assert_int_equal(ucrm_iter_total(it, &total), UCRM_OK);
    assert_int_equal(total, 5000);
    ucrm_iter_destroy(it);
    /* default batch of 2,000: one query and two nextRecordsUrl pages */
    assert_int_equal(fake_stat(F, QUERY_ROUTE), 1);
    assert_int_equal(fake_stat(F, MORE_ROUTE), 2);

    /* page size 500 -> Sforce-Query-Options: batchSize=500: ten requests; page-at-a-time access */
    ucrm_reqopts_t *o = opts_page(500);
    sft_ok(ucrm_list(C, UCRM_OBJECT_CONTACT, o, &it, &e), &e);
    ucrm_records_t *pg = NULL;
    int pages = 0, n = 0;
    ucrm_err_t rc;
    while ((rc = ucrm_iter_next_page(it, &pg, &e)) == UCRM_OK) {
        assert_int_equal(ucrm_records_count(pg), 500);
        n += (int)ucrm_records_count(pg);
        pages++;
        ucrm_records_destroy(pg);
    }
    sft_want(rc, &e, UCRM_ITEROVER);
    assert_int_equal(pages, 10);
    assert_int_equal(n, 5000);
    assert_int_equal(fake_stat(F, MORE_ROUTE), 2 + 9);
    ucrm_iter_destroy(it);
    ucrm_reqopts_destroy(o);
    free(s.ids);
}

static void test_salesforce_sync__cursor_resumes_in_another_client(void **state) {
    (void)state;
    seed_contacts(1000);
    ucrm_reqopts_t *o = opts_page(200);
    ucrm_error_t *e = NULL;
    ucrm_iter_t *it = NULL;
    sft_ok(ucrm_list(C, UCRM_OBJECT_CONTACT, o, &it, &e), &e);
    seen_t s = {0};
    assert_int_equal(drain(it, &s, 350), 350);
    char *cursor = strdup(ucrm_iter_cursor(it));
    ucrm_iter_destroy(it);
    ucrm_client_t *c2 = sft_client(F, NULL);
    sft_ok(ucrm_iter_resume(c2, cursor, o, &it, &e), &e);
    assert_int_equal(drain(it, &s, 1 << 30), 650);
    assert_int_equal(s.n, 1000);
    assert_int_equal(s.dups, 0);
    ucrm_iter_destroy(it);
    /* a tampered cursor is refused */
    cursor[10] = cursor[10] == 'A' ? 'B' : 'A';
    ucrm_err_t rc = ucrm_iter_resume(c2, cursor, o, &it, &e);
    assert_true(rc == UCRM_ERR_INVALID_ARG);
    ucrm_error_destroy(e);
    ucrm_client_destroy(c2);
    ucrm_reqopts_destroy(o);
    free(cursor);
    free(s.ids);
}

static void test_salesforce_sync__lost_locator_restarts_after_last_record(void **state) {
    (void)state;
    seed_contacts(1000);
    cJSON_Delete(sft_seed(F, "Account", "[{\"Name\":\"a\"}]"));
    ucrm_reqopts_t *o = opts_page(200);
    ucrm_error_t *e = NULL;
    ucrm_iter_t *it = NULL;
    sft_ok(ucrm_list(C, UCRM_OBJECT_CONTACT, o, &it, &e), &e);
    seen_t s = {0};
    assert_int_equal(drain(it, &s, 300), 300);
    /* 64 newer query locators push ours out of the fake's cache (Salesforce also expires idle ones) */
    for (int i = 0; i < 65; i++) {
        ucrm_iter_t *other = NULL;
        sft_ok(ucrm_list(C, UCRM_OBJECT_CONTACT, o, &other, &e), &e);
        ucrm_record_t *r = NULL;
        sft_ok(ucrm_iter_next(other, &r, &e), &e);
        ucrm_record_destroy(r);
        ucrm_iter_destroy(other);
    }
    assert_int_equal(drain(it, &s, 1 << 30), 700);
    assert_int_equal(s.n, 1000);
    assert_int_equal(s.dups, 0);
    assert_int_equal(fake_stat(F, "routes.GET /services/data/{ver}/query/{locator}.400"), 1);
    ucrm_iter_destroy(it);
    ucrm_reqopts_destroy(o);
    free(s.ids);
}

static void test_salesforce_sync__token_expires_mid_iteration(void **state) {
    (void)state;
    seed_contacts(1000);
    ucrm_reqopts_t *o = opts_page(200);
    ucrm_error_t *e = NULL;
    ucrm_iter_t *it = NULL;
    sft_ok(ucrm_list(C, UCRM_OBJECT_CONTACT, o, &it, &e), &e);
    seen_t s = {0};
    assert_int_equal(drain(it, &s, 200), 200);
    assert_int_equal(fake_stat(F, "tokens_issued.salesforce"), 1);
    /* the fake's sessions last 1800 s: past that, the next page gets 401 INVALID_SESSION_ID */
    assert_int_equal(fake_clock_advance(F, 1801000), 0);
    assert_int_equal(drain(it, &s, 1 << 30), 800);
    assert_int_equal(s.n, 1000);
    assert_int_equal(s.dups, 0);
    assert_int_equal(fake_stat(F, "tokens_issued.salesforce"), 2);
    assert_int_equal(fake_stat(F, "routes.GET /services/data/*.401"), 1);
    ucrm_iter_destroy(it);
    ucrm_reqopts_destroy(o);
    free(s.ids);
}

/* ============================================================================================== incremental sync */

static ucrm_record_t *get_contact(const char *id) {
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    sft_ok(ucrm_get(C, UCRM_OBJECT_CONTACT, id, NULL, &r, &e), &e);
    return r;
}

static void test_salesforce_sync__incremental_with_updates_and_deletes(void **state) {
    (void)state;
    cJSON *ids = sft_seed(F, "Contact",
                          "[{\"LastName\":\"A\"},{\"LastName\":\"B\"},{\"LastName\":\"C\"},{\"LastName\":\"D\"},"
                          "{\"LastName\":\"E\"},{\"LastName\":\"F\"},{\"LastName\":\"G\"},{\"LastName\":\"H\"}]");
    usleep(1100 * 1000); /* SOQL dateTime literals have whole seconds */
    /* The deleted list covers whole minutes up to the one the pass starts in (its end is rounded down): for the
     * deleted pass below to see D and E, `since` and their deletion must fall in one minute. Starting at most 50 s
     * into a minute leaves a slow run (valgrind) 9 s for the deletions. */
    while (time(NULL) % 60 > 50)
        usleep(200 * 1000);
    char since[32];
    time_t now = time(NULL);
    strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    usleep(1100 * 1000);
    ucrm_error_t *e = NULL;
    /* after `since`: D and E deleted (first, see above), B and C updated, one contact created */
    for (int i = 3; i <= 4; i++)
        sft_ok(ucrm_delete(C, UCRM_OBJECT_CONTACT, cJSON_GetArrayItem(ids, i)->valuestring, NULL, &e), &e);
    for (int i = 1; i <= 2; i++) {
        ucrm_record_t *r = get_contact(cJSON_GetArrayItem(ids, i)->valuestring);
        ucrm_record_set_string(r, "title", "changed");
        sft_ok(ucrm_update(C, r, NULL, &e), &e);
        ucrm_record_destroy(r);
    }
    ucrm_record_t *n = NULL;
    ucrm_record_new(&n, UCRM_OBJECT_CONTACT);
    ucrm_record_set_string(n, "last_name", "New");
    sft_ok(ucrm_create(C, n, NULL, &e), &e);

    /* without include_deleted: the changed and created live records only */
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    assert_int_equal(ucrm_reqopts_set_updated_since(o, since), UCRM_OK);
    ucrm_iter_t *it = NULL;
    sft_ok(ucrm_list(C, UCRM_OBJECT_CONTACT, o, &it, &e), &e);
    seen_t s = {0};
    assert_int_equal(drain(it, &s, 1 << 30), 3);
    ucrm_iter_destroy(it);

    /* with include_deleted: queryAll adds the deleted ones (is_deleted, full fields), then the deleted/ pass
     * (after the deletions' minute is covered) finds nothing queryAll did not already give */
    assert_int_equal(fake_clock_advance(F, 120000), 0);
    assert_int_equal(ucrm_reqopts_set_include_deleted(o, 1), UCRM_OK);
    sft_ok(ucrm_list(C, UCRM_OBJECT_CONTACT, o, &it, &e), &e);
    ucrm_record_t *r;
    int live = 0, deleted = 0;
    while (ucrm_iter_next(it, &r, &e) == UCRM_OK) {
        int d = 0;
        assert_int_equal(ucrm_record_get_bool(r, "is_deleted", &d), UCRM_OK);
        if (d) {
            deleted++;
            const char *ln = sft_str(r, "last_name");
            assert_true(strcmp(ln, "D") == 0 || strcmp(ln, "E") == 0);
        } else {
            live++;
        }
        ucrm_record_destroy(r);
    }
    assert_null(e);
    assert_int_equal(live, 3);
    assert_int_equal(deleted, 2);
    assert_int_equal(fake_stat(F, "routes.GET /services/data/{ver}/queryAll.200"), 2); /* list + Id IN check */
    assert_int_equal(fake_stat(F, "routes.GET /services/data/{ver}/sobjects/{type}/deleted.200"), 1);
    ucrm_iter_destroy(it);

    /* a window older than Salesforce's 15 days of deleted-record data: a full resync is needed */
    assert_int_equal(ucrm_reqopts_set_updated_since(o, "2001-01-01T00:00:00Z"), UCRM_OK);
    ucrm_err_t rc = ucrm_list(C, UCRM_OBJECT_CONTACT, o, &it, &e);
    assert_int_equal(rc, UCRM_ERR_VALIDATION);
    assert_string_equal(ucrm_error_field(e), "updated_since");
    assert_non_null(strstr(ucrm_error_message(e), "full resync"));
    ucrm_error_destroy(e);
    ucrm_reqopts_destroy(o);
    ucrm_record_destroy(n);
    cJSON_Delete(ids);
    free(s.ids);
}

/* ============================================================================================== batches */

static ucrm_batch_t *upsert_batch(int n, bool bad) {
    ucrm_batch_t *b = NULL;
    assert_int_equal(ucrm_batch_new(&b, UCRM_OBJECT_CONTACT, UCRM_BATCH_UPSERT), UCRM_OK);
    assert_int_equal(ucrm_batch_set_key_field(b, "custom.External_Id__c"), UCRM_OK);
    for (int i = 0; i < n; i++) {
        ucrm_record_t *r = NULL;
        char v[32];
        ucrm_record_new(&r, UCRM_OBJECT_CONTACT);
        snprintf(v, sizeof v, "B-%d", i);
        ucrm_record_set_string(r, "custom.External_Id__c", v);
        snprintf(v, sizeof v, "Batch %d", i);
        if (!(bad && i == 7))
            ucrm_record_set_string(r, "last_name", v);
        if (bad && i % 50 == 49)
            ucrm_record_set_string(r, "account_id", "001notanid");
        assert_int_equal(ucrm_batch_add(b, r), UCRM_OK);
        ucrm_record_destroy(r);
    }
    return b;
}

static void test_salesforce_sync__batch_450_upserts_with_failures(void **state) {
    (void)state;
    /* B-0 .. B-29 exist already: those are updates */
    char buf[8192];
    size_t len = 0;
    len += (size_t)snprintf(buf + len, sizeof buf - len, "[");
    for (int i = 0; i < 30; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s{\"LastName\":\"Old\",\"External_Id__c\":\"B-%d\"}",
                                i ? "," : "", i);
    snprintf(buf + len, sizeof buf - len, "]");
    cJSON *old = sft_seed(F, "Contact", buf);

    ucrm_batch_t *b = upsert_batch(450, true);
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_batch_run(C, b, NULL, &e);
    assert_int_equal(rc, UCRM_ERR_PARTIAL);
    ucrm_error_destroy(e);
    e = NULL;
    assert_int_equal(fake_stat(F, "routes.PATCH /services/data/{ver}/composite/sobjects/{type}/{extField}.200"), 3);
    int failed = 0;
    for (size_t i = 0; i < 450; i++) {
        const char *id = NULL;
        const ucrm_error_t *ie = NULL;
        rc = ucrm_batch_result(b, i, &id, &ie);
        int created = -1;
        if (i % 50 == 49) {
            assert_int_equal(rc, UCRM_ERR_VALIDATION);
            assert_string_equal(ucrm_error_provider_code(ie), "MALFORMED_ID");
            assert_string_equal(ucrm_error_field(ie), "account_id");
            assert_int_equal(ucrm_error_write_state(ie), UCRM_WRITE_NOT_APPLIED);
            failed++;
        } else if (i == 7) {
            /* B-7 exists: an update may leave LastName out */
            assert_int_equal(rc, UCRM_OK);
        } else {
            if (rc != UCRM_OK)
                print_message("item %zu: %s\n", i, ucrm_error_message(ie));
            assert_int_equal(rc, UCRM_OK);
            assert_non_null(id);
            assert_int_equal(ucrm_batch_result_created(b, i, &created), UCRM_OK);
            assert_int_equal(created, i < 30 ? 0 : 1);
            if (i < 30)
                assert_string_equal(id, cJSON_GetArrayItem(old, (int)i)->valuestring);
        }
    }
    assert_int_equal(failed, 9);
    assert_int_equal(fake_stat(F, "records.salesforce.Contact"), 450 - 9);
    ucrm_batch_destroy(b);

    /* a new record without LastName fails with REQUIRED_FIELD_MISSING at its own index */
    ucrm_batch_t *b2 = NULL;
    ucrm_batch_new(&b2, UCRM_OBJECT_CONTACT, UCRM_BATCH_UPSERT);
    ucrm_batch_set_key_field(b2, "custom.External_Id__c");
    for (int i = 0; i < 3; i++) {
        ucrm_record_t *r = NULL;
        char v[32];
        ucrm_record_new(&r, UCRM_OBJECT_CONTACT);
        snprintf(v, sizeof v, "N-%d", i);
        ucrm_record_set_string(r, "custom.External_Id__c", v);
        if (i != 1)
            ucrm_record_set_string(r, "last_name", v);
        ucrm_batch_add(b2, r);
        ucrm_record_destroy(r);
    }
    sft_want(ucrm_batch_run(C, b2, NULL, &e), &e, UCRM_ERR_PARTIAL);
    const ucrm_error_t *ie = NULL;
    assert_int_equal(ucrm_batch_result(b2, 1, NULL, &ie), UCRM_ERR_VALIDATION);
    assert_string_equal(ucrm_error_provider_code(ie), "REQUIRED_FIELD_MISSING");
    assert_string_equal(ucrm_error_field(ie), "last_name");
    assert_int_equal(ucrm_batch_result(b2, 0, NULL, NULL), UCRM_OK);
    assert_int_equal(ucrm_batch_result(b2, 2, NULL, NULL), UCRM_OK);
    ucrm_batch_destroy(b2);
    cJSON_Delete(old);
}

static void test_salesforce_sync__batch_all_or_none(void **state) {
    (void)state;
    ucrm_batch_t *b = upsert_batch(150, true);
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_all_or_none(o, 1);
    ucrm_error_t *e = NULL;
    sft_want(ucrm_batch_run(C, b, o, &e), &e, UCRM_ERR_PARTIAL);
    for (size_t i = 0; i < 150; i++) {
        const ucrm_error_t *ie = NULL;
        ucrm_err_t rc = ucrm_batch_result(b, i, NULL, &ie);
        assert_true(rc < 0);
        if (i % 50 != 49 && i != 7) {
            assert_string_equal(ucrm_error_provider_code(ie), "ALL_OR_NONE_OPERATION_ROLLED_BACK");
            assert_true(ucrm_error_is_retriable(ie));
        }
    }
    assert_int_equal(fake_stat(F, "records.salesforce.Contact"), 0);
    ucrm_batch_destroy(b);
    /* a record that cannot even be sent (two work phones) fails the whole all-or-none chunk locally */
    ucrm_batch_new(&b, UCRM_OBJECT_CONTACT, UCRM_BATCH_CREATE);
    for (int i = 0; i < 3; i++) {
        ucrm_record_t *r = NULL;
        ucrm_record_new(&r, UCRM_OBJECT_CONTACT);
        ucrm_record_set_string(r, "last_name", "X");
        if (i == 2)
            assert_int_equal(ucrm_record_set_json(r, "phone_numbers",
                                                  "[{\"number\":\"1\",\"type\":\"work\"},{\"number\":\"2\",\"type\":\"work\"}]"),
                             UCRM_OK);
        ucrm_batch_add(b, r);
        ucrm_record_destroy(r);
    }
    sft_want(ucrm_batch_run(C, b, o, &e), &e, UCRM_ERR_PARTIAL);
    const ucrm_error_t *ie = NULL;
    assert_int_equal(ucrm_batch_result(b, 2, NULL, &ie), UCRM_ERR_VALIDATION);
    assert_string_equal(ucrm_error_field(ie), "phone_numbers");
    assert_int_equal(ucrm_batch_result(b, 0, NULL, NULL), UCRM_ERR_PARTIAL);
    assert_int_equal(fake_stat(F, "routes.POST /services/data/{ver}/composite/sobjects.200"), -1);
    ucrm_batch_destroy(b);
    ucrm_reqopts_destroy(o);
}

static void test_salesforce_sync__batch_create_update_delete(void **state) {
    (void)state;
    ucrm_error_t *e = NULL;
    ucrm_batch_t *b = NULL;
    ucrm_batch_new(&b, UCRM_OBJECT_ACCOUNT, UCRM_BATCH_CREATE);
    for (int i = 0; i < 250; i++) {
        ucrm_record_t *r = NULL;
        char v[32];
        ucrm_record_new(&r, UCRM_OBJECT_ACCOUNT);
        snprintf(v, sizeof v, "Acct %d", i);
        ucrm_record_set_string(r, "name", i == 100 ? "" : v);
        ucrm_record_set_string(r, "annual_revenue", "1500.10");
        ucrm_batch_add(b, r);
        ucrm_record_destroy(r);
    }
    sft_want(ucrm_batch_run(C, b, NULL, &e), &e, UCRM_ERR_PARTIAL);
    const ucrm_error_t *ie = NULL;
    assert_int_equal(ucrm_batch_result(b, 100, NULL, &ie), UCRM_ERR_VALIDATION);
    assert_string_equal(ucrm_error_field(ie), "name");
    assert_int_equal(fake_stat(F, "records.salesforce.Account"), 249);

    ucrm_batch_t *u = NULL, *d = NULL;
    ucrm_batch_new(&u, UCRM_OBJECT_ACCOUNT, UCRM_BATCH_UPDATE);
    ucrm_batch_new(&d, UCRM_OBJECT_ACCOUNT, UCRM_BATCH_DELETE);
    for (size_t i = 0; i < 250; i++) {
        const char *id = NULL;
        if (ucrm_batch_result(b, i, &id, NULL) != UCRM_OK)
            continue;
        ucrm_record_t *r = NULL;
        ucrm_record_new(&r, UCRM_OBJECT_ACCOUNT);
        ucrm_record_set_id(r, id);
        ucrm_record_set_string(r, "industry", "Energy");
        ucrm_batch_add(u, r);
        ucrm_record_destroy(r);
        if (i % 2 == 0)
            ucrm_batch_add_id(d, id);
    }
    ucrm_batch_add_id(d, "001000000000000AAA"); /* not there */
    sft_ok(ucrm_batch_run(C, u, NULL, &e), &e);
    const char *id0 = NULL;
    ucrm_batch_result(b, 0, &id0, NULL);
    cJSON *st = sft_stored(F, "Account", id0);
    assert_string_equal(cJSON_GetObjectItem(st, "Industry")->valuestring, "Energy");
    assert_true(cJSON_GetObjectItem(st, "AnnualRevenue")->valuedouble == 1500.10);
    cJSON_Delete(st);
    sft_want(ucrm_batch_run(C, d, NULL, &e), &e, UCRM_ERR_PARTIAL);
    size_t nd = ucrm_batch_count(d);
    assert_int_equal(ucrm_batch_result(d, nd - 1, NULL, &ie), UCRM_ERR_NOT_FOUND);
    assert_int_equal(ucrm_batch_result(d, 0, NULL, NULL), UCRM_OK);
    assert_int_equal(fake_stat(F, "records.salesforce.Account"), 249 - (long)(nd - 1));
    ucrm_batch_destroy(b);
    ucrm_batch_destroy(u);
    ucrm_batch_destroy(d);
}

/* ============================================================================================== grants */

static void get_one(ucrm_client_t *c) {
    ucrm_iter_t *it = NULL;
    ucrm_error_t *e = NULL;
    sft_ok(ucrm_list(c, UCRM_OBJECT_ACCOUNT, NULL, &it, &e), &e);
    ucrm_record_t *r = NULL;
    sft_ok(ucrm_iter_next(it, &r, &e), &e);
    ucrm_record_destroy(r);
    ucrm_iter_destroy(it);
}

static void test_salesforce_sync__jwt_and_client_credentials(void **state) {
    (void)state;
    cJSON_Delete(sft_seed(F, "Account", "[{\"Name\":\"a\"}]"));
    ucrm_conf_t *conf = ucrm_conf_new();
    sft_set(conf, "provider", "salesforce");
    sft_set(conf, "auth.token.url", fake_url(F));
    sft_set(conf, "auth.client.id", "test-client");
    sft_set(conf, "auth.jwt.key.file", KEY_FILE);
    sft_set(conf, "auth.jwt.subject", "integration@example.com");
    ucrm_client_t *c = NULL;
    ucrm_error_t *e = NULL;
    sft_ok(ucrm_client_new(&c, conf, &e), &e);
    get_one(c);
    assert_int_equal(fake_stat(F, "tokens_issued.salesforce"), 1);
    ucrm_client_destroy(c);
    /* a key the fake cannot verify with its public key: invalid assertion -> AUTH with advice */
    char other[64] = "/tmp/ucrm-sf-test-other-XXXXXX";
    int fd = mkstemp(other);
    FILE *f = fdopen(fd, "w");
    EVP_PKEY *pk = EVP_RSA_gen(2048);
    PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    EVP_PKEY_free(pk);
    sft_set(conf, "auth.jwt.key.file", other);
    sft_ok(ucrm_client_new(&c, conf, &e), &e);
    ucrm_iter_t *it = NULL;
    sft_ok(ucrm_list(c, UCRM_OBJECT_ACCOUNT, NULL, &it, &e), &e);
    ucrm_record_t *r = NULL;
    ucrm_err_t rc = ucrm_iter_next(it, &r, &e);
    assert_int_equal(rc, UCRM_ERR_AUTH);
    assert_string_equal(ucrm_error_provider_code(e), "invalid_grant");
    assert_non_null(strstr(ucrm_error_message(e), "auth.jwt.subject"));
    ucrm_error_destroy(e);
    e = NULL;
    ucrm_iter_destroy(it);
    ucrm_client_destroy(c);
    unlink(other);
    ucrm_conf_destroy(conf);

    /* client credentials */
    conf = ucrm_conf_new();
    sft_set(conf, "provider", "salesforce");
    sft_set(conf, "auth.token.url", fake_url(F));
    sft_set(conf, "auth.method", "client_credentials");
    sft_set(conf, "auth.client.id", "test-client");
    sft_set(conf, "auth.client.secret", "test-secret");
    sft_ok(ucrm_client_new(&c, conf, &e), &e);
    get_one(c);
    assert_int_equal(fake_stat(F, "tokens_issued.salesforce"), 2);
    ucrm_client_destroy(c);
    /* wrong secret: AUTH about the client credentials, secret not echoed */
    sft_set(conf, "auth.client.secret", "wrong-secret-value");
    sft_ok(ucrm_client_new(&c, conf, &e), &e);
    ucrm_response_t *resp = NULL;
    rc = ucrm_passthrough(c, "GET", "/limits", NULL, 0, NULL, &resp, &e);
    assert_int_equal(rc, UCRM_ERR_AUTH);
    assert_string_equal(ucrm_error_provider_code(e), "invalid_client");
    assert_null(strstr(ucrm_error_message(e), "wrong-secret-value"));
    assert_non_null(strstr(ucrm_error_message(e), "auth.client.secret"));
    ucrm_error_destroy(e);
    ucrm_client_destroy(c);
    ucrm_conf_destroy(conf);
}

typedef struct tokseen {
    int calls;
    char refresh[64], url[128];
    int64_t expires;
} tokseen_t;

static int on_token(const char *access_token, const char *refresh_token, int64_t expires_at_ms,
                    const char *instance_url, void *opaque) {
    tokseen_t *t = opaque;
    (void)access_token;
    t->calls++;
    snprintf(t->refresh, sizeof t->refresh, "%s", refresh_token ? refresh_token : "");
    snprintf(t->url, sizeof t->url, "%s", instance_url ? instance_url : "");
    t->expires = expires_at_ms;
    return 0;
}

static void test_salesforce_sync__token_callback_gets_instance_url(void **state) {
    (void)state;
    ucrm_conf_t *conf = sft_conf(F, NULL);
    tokseen_t t = {0};
    ucrm_conf_set_token_cb(conf, on_token, &t);
    ucrm_client_t *c = NULL;
    ucrm_error_t *e = NULL;
    sft_ok(ucrm_client_new(&c, conf, &e), &e);
    ucrm_response_t *resp = NULL;
    /* "/" is relative to /services/data/vXX.X: the resource list of the configured version */
    sft_ok(ucrm_passthrough(c, "GET", "/", NULL, 0, NULL, &resp, &e), &e);
    assert_int_equal(ucrm_response_status(resp), 200);
    assert_non_null(strstr(ucrm_response_body(resp, NULL), "/services/data/v66.0/sobjects"));
    ucrm_response_destroy(resp);
    /* Salesforce gives no expires_in: the session lifetime (2 h by default) applies; instance_url is the base */
    assert_int_equal(t.calls, 1);
    assert_string_equal(t.url, fake_url(F));
    assert_string_equal(t.refresh, "test-refresh");
    int64_t left = t.expires - (int64_t)time(NULL) * 1000;
    assert_true(left > 7000 * 1000 && left <= 7200 * 1000 + 5000);
    char *stats = NULL;
    assert_int_equal(ucrm_client_stats_json(c, &stats, NULL), UCRM_OK);
    assert_null(strstr(stats, "test-refresh"));
    assert_null(strstr(stats, "test-secret"));
    ucrm_free(stats);
    ucrm_client_destroy(c);
    ucrm_conf_destroy(conf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_salesforce_sync__pages_through_5000, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_sync__cursor_resumes_in_another_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_sync__lost_locator_restarts_after_last_record, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_sync__token_expires_mid_iteration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_sync__incremental_with_updates_and_deletes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_sync__batch_450_upserts_with_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_sync__batch_all_or_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_sync__batch_create_update_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_sync__jwt_and_client_credentials, setup, teardown),
        cmocka_unit_test_setup_teardown(test_salesforce_sync__token_callback_gets_instance_url, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
