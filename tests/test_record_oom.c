/*
 * test_record_oom.c -- allocation-failure torture for records, record pages and request options.
 *
 * A counting allocator (installed with ucrm_global_set_allocator, so cJSON goes through it too) fails the Nth
 * allocation, for N = 1, 2, ... until the whole scenario runs without reaching N. Every run must end with
 * UCRM_OK (no failure injected) or UCRM_ERR_NOMEM, and with every allocation freed. Two modes: only the Nth
 * allocation fails, and every allocation from the Nth on fails (cleanup paths must not need memory).
 * Its own binary because the allocator can only be installed before unicrm's first allocation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers/oomalloc.h"
#include "record_int.h"
#include "reqopts_int.h"

#include <stdio.h>
#include <stdlib.h>

static const char *doc =
    "{\"id\":\"0035g00000XyZ\",\"first_name\":\"Ada \\u00c9\\ud83d\\ude00\",\"email\":\"ada@x.io\","
    "\"additional_emails\":[\"a2@x.io\",\"a3@x.io\"],\"phone_numbers\":[{\"number\":\"+44\",\"type\":\"work\"}],"
    "\"address\":{\"city\":\"London\",\"state\":null},\"created_at\":\"2024-05-01T12:00:00+02:00\","
    "\"custom.Score__c\":97,\"custom.Ratio__c\":0.125,\"custom.Tags__c\":[\"a\",{\"k\":[1,true,null]}],"
    "\"custom.Note__c\":\"x\"}";

/* Something the scenario must see fail with this code (or NOMEM). The error object allocation may itself be
 * the injected failure: then the code is kept and *absorbed is set. */
static ucrm_err_t expect_error(ucrm_object_t o, const char *json, ucrm_err_t want, bool *absorbed) {
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    long before = oomalloc_count();
    ucrm_err_t rc = ucrm_record_new_from_json(&r, o, json, strlen(json), &e);
    assert_null(r);
    assert_non_null(e);
    if (ucrm_error_code(e) != rc) /* the error object itself could not be allocated: the static OOM one */
        assert_int_equal(ucrm_error_code(e), UCRM_ERR_NOMEM);
    ucrm_error_destroy(e);
    if (rc == UCRM_ERR_NOMEM)
        return rc;
    assert_int_equal(rc, want);
    if (oomalloc_failed() && oomalloc_fail_at() > before)
        *absorbed = true; /* only the details were lost */
    return UCRM_OK;
}

static ucrm_err_t page_of_copies(const ucrm_record_t *r, ucrm_records_t **page) {
    ucrm_err_t rc = ucrm_records__new(page);
    for (int i = 0; rc == UCRM_OK && i < 3; i++) {
        ucrm_record_t *d = NULL;
        rc = ucrm_record_dup(&d, r);
        if (rc == UCRM_OK)
            rc = ucrm_records__push(*page, d);
    }
    return rc;
}

static ucrm_err_t scenario(bool *absorbed) {
    ucrm_err_t rc;
    ucrm_record_t *c = NULL, *d = NULL, *p = NULL, *copy = NULL, *taken = NULL;
    ucrm_records_t *page = NULL;
    ucrm_reqopts_t *o = NULL, *o2 = NULL;
    ucrm_error_t *e = NULL;
    char *js = NULL;
    cJSON *tree = NULL;

    STEP(ucrm_reqopts_new(&o));
    STEP(ucrm_reqopts_set_fields(o, "first_name, email,custom.x,first_name"));
    STEP(ucrm_reqopts_set_idempotency_key(o, "key-1"));
    STEP(ucrm_reqopts_set_updated_since(o, "2024-05-01T12:00:00Z"));
    STEP(ucrm_reqopts_dup(&o2, o));

    rc = ucrm_record_new_from_json(&c, UCRM_OBJECT_CONTACT, doc, strlen(doc), &e);
    if (rc != UCRM_OK) {
        assert_int_equal(ucrm_error_code(e), rc);
        goto out;
    }
    STEP(ucrm_record_set_string(c, "last_name", "Lovelace"));
    STEP(ucrm_record_set_string(c, "email", "ada@y.io"));
    STEP(ucrm_record_set_json(c, "address", "{\"street\":\"1 Main\",\"country\":\"GB\"}"));
    STEP(ucrm_record_set_json(c, "custom.Obj", "{\"a\":[1,2,{\"b\":\"c\"}],\"d\":{\"e\":null}}"));
    STEP(ucrm_record_set_json(c, "custom.Num", "12345678901234567890"));
    STEP(ucrm_record_set_double(c, "custom.D", 0.1));
    STEP(ucrm_record_set_time_ms(c, "custom.T", 1714564800000));
    STEP(ucrm_record_set_int64(c, "custom.I", 7));
    STEP(ucrm_record_unset(c, "custom.Note__c"));
    STEP(ucrm_record_set_id(c, "0035g00000XyZ-2"));
    STEP(ucrm_record_to_json(c, &js));
    ucrm_free(js);
    js = NULL;
    STEP(ucrm_record_get_json(c, "custom.Tags__c", &js));
    ucrm_free(js);
    js = NULL;
    STEP(expect_error(UCRM_OBJECT_CONTACT, "{\"email\":\"a\",\"nickname\":1}", UCRM_ERR_INVALID_FIELD, absorbed));
    STEP(expect_error(UCRM_OBJECT_ACCOUNT, "{\"employee_count\":\"x\"}", UCRM_ERR_TYPE, absorbed));
    STEP(expect_error(UCRM_OBJECT_ACCOUNT, "{\"name\":\"x\"", UCRM_ERR_INVALID_ARG, absorbed));

    STEP(ucrm_record_new(&d, UCRM_OBJECT_DEAL));
    STEP(ucrm_record_set_double(d, "amount", 1500.25));
    STEP(ucrm_record_set_json(d, "amount", "1.5e3"));
    STEP(ucrm_record_set_string(d, "close_date", "2024-02-29"));
    STEP(ucrm_record_set_double(d, "probability", 0.5));

    /* the adapters' path */
    STEP(ucrm_record__new_sized(&p, UCRM_OBJECT_DEAL, 2));
    STEP(ucrm_record__set_id_n(p, "006A", 4));
    STEP(ucrm_record__put_str(p, "name", UCRM_FIELD_STRING, "Big deal", 8));
    STEP(ucrm_record__put_str(p, "amount", UCRM_FIELD_DECIMAL, "10.00", 5));
    STEP(ucrm_record__put_str(p, "created_at", UCRM_FIELD_DATETIME, "2024-05-01T12:00:00.000+0000", 28));
    STEP(ucrm_record__put_time(p, "updated_at", 1714564800000));
    STEP(ucrm_record__put_bool(p, "is_deleted", false));
    STEP(ucrm_record__put_double(p, "probability", 20));
    STEP(ucrm_record__put_null(p, "stage"));
    if (!(tree = cJSON_Parse("{\"k\":[1,2,\"x\"]}"))) {
        rc = UCRM_ERR_NOMEM;
        goto out;
    }
    STEP(ucrm_record__put_custom_json(p, "Meta__c", tree));
    rc = ucrm_record__put_json(p, "custom.Tree", tree); /* takes tree, also on failure */
    tree = NULL;
    STEP(rc);
    if (!(tree = cJSON_Parse("{\"Id\":\"006A\",\"Amount\":10.0}"))) {
        rc = UCRM_ERR_NOMEM;
        goto out;
    }
    ucrm_record__set_remote(p, tree);
    tree = NULL;
    STEP(ucrm_record_remote_json(p, &js));
    ucrm_free(js);
    js = NULL;
    STEP(ucrm_record__merge(d, p));
    STEP(ucrm_record_dup(&copy, d));
    STEP(ucrm_record_to_json(copy, &js));
    ucrm_free(js);
    js = NULL;

    STEP(page_of_copies(c, &page));
    taken = ucrm_records_take(page, 1);
    assert_non_null(taken);
    rc = UCRM_OK;
out:
    ucrm_error_destroy(e);
    ucrm_free(js);
    cJSON_Delete(tree);
    ucrm_records_destroy(page);
    ucrm_record_destroy(taken);
    ucrm_record_destroy(copy);
    ucrm_record_destroy(p);
    ucrm_record_destroy(d);
    ucrm_record_destroy(c);
    ucrm_reqopts_destroy(o2);
    ucrm_reqopts_destroy(o);
    return rc;
}

static void run(long n, void *ctx) {
    bool sticky = *(const bool *)ctx, absorbed = false;
    ucrm_err_t rc = scenario(&absorbed);
    if (!oomalloc_failed())
        assert_int_equal(rc, UCRM_OK);
    else if (rc != UCRM_ERR_NOMEM && !(rc == UCRM_OK && absorbed))
        fail_msg("fail at allocation %ld (%s): %s instead of UCRM_ERR_NOMEM", n, oomalloc_mode(sticky),
                 ucrm_err_name(rc));
}

static void torture(bool sticky) {
    long n = oomalloc_torture(sticky, run, &sticky);
    print_message("%s mode: %ld allocations in the scenario, each failure handled\n", oomalloc_mode(sticky), n);
    assert_true(n > 99);
}

static void test_record_oom__each_allocation_fails_once(void **state) {
    (void)state;
    torture(false);
}

static void test_record_oom__every_allocation_fails_from_n(void **state) {
    (void)state;
    torture(true);
}

int main(void) {
    if (oomalloc_install() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_oom__each_allocation_fails_once),
        cmocka_unit_test(test_record_oom__every_allocation_fails_from_n),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
