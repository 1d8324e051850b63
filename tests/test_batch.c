/*
 * test_batch.c -- the batch contract through the public API: chunking to the provider's size, per-item
 * outcomes in the caller's order, partial failures, chunk-level failures, stop on fatal errors, misuse.
 * Scripted provider (batch size 3) over the scripted transport.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/script.h"
#include "helpers/testprov.h"
#include <unicrm/unicrm.h>

typedef tpfx_t fx_t;

static int setup(void **state) {
    static const char *const kv[] = {"retry.max", "1", "retry.backoff.ms", "1", NULL};
    *state = tp_fx(kv);
    return 0;
}

static int teardown(void **state) {
    return tp_fx_done(*state) ? 0 : -1;
}

static ucrm_batch_t *create_batch(int n) {
    ucrm_batch_t *b = NULL;
    assert_int_equal(ucrm_batch_new(&b, UCRM_OBJECT_CONTACT, UCRM_BATCH_CREATE), UCRM_OK);
    for (int i = 0; i < n; i++) {
        ucrm_record_t *r = NULL;
        char email[64];
        snprintf(email, sizeof email, "c%d@example.com", i);
        ucrm_record_new(&r, UCRM_OBJECT_CONTACT);
        ucrm_record_set_string(r, "email", email);
        assert_int_equal(ucrm_batch_add(b, r), UCRM_OK);
        ucrm_record_destroy(r); /* the batch keeps a copy */
    }
    return b;
}

static void test_batch__chunks_and_keeps_order(void **state) {
    fx_t *f = *state;
    script_expect(f->s, "POST", "/objects/contact/batch/create",
                  "{\"items\":[{\"fields\":{\"email\":\"c0@example.com\"}},{\"fields\":{\"email\":\"c1@example.com\"}},"
                  "{\"fields\":{\"email\":\"c2@example.com\"}}]}",
                  200, NULL, "{\"results\":[{\"id\":\"100\"},{\"id\":\"101\"},{\"id\":\"102\"}]}");
    script_expect(f->s, "POST", "/objects/contact/batch/create", "*", 200, NULL,
                  "{\"results\":[{\"id\":\"103\"},{\"id\":\"104\"},{\"id\":\"105\"}]}");
    script_expect(f->s, "POST", "/objects/contact/batch/create",
                  "{\"items\":[{\"fields\":{\"email\":\"c6@example.com\"}}]}", 200, NULL,
                  "{\"results\":[{\"id\":\"106\",\"created\":true}]}");
    ucrm_batch_t *b = create_batch(7);
    assert_int_equal(ucrm_batch_count(b), 7);
    const char *id = NULL;
    assert_int_equal(ucrm_batch_result(b, 0, &id, NULL), UCRM_ERR_STATE); /* not run yet */
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, NULL), UCRM_OK);
    for (size_t i = 0; i < 7; i++) {
        const ucrm_error_t *e = (const ucrm_error_t *)0x1;
        assert_int_equal(ucrm_batch_result(b, i, &id, &e), UCRM_OK);
        assert_null(e);
        char want[8];
        snprintf(want, sizeof want, "%zu", 100 + i);
        assert_string_equal(id, want);
    }
    int created = -1;
    assert_int_equal(ucrm_batch_result_created(b, 6, &created), UCRM_OK);
    assert_int_equal(created, 1);
    assert_int_equal(ucrm_batch_result_created(b, 0, &created), UCRM_ERR_NOENT);
    assert_int_equal(ucrm_batch_result(b, 7, &id, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, NULL), UCRM_ERR_STATE); /* runs once */
    ucrm_record_t *r = NULL;
    ucrm_record_new(&r, UCRM_OBJECT_CONTACT);
    assert_int_equal(ucrm_batch_add(b, r), UCRM_ERR_STATE);
    ucrm_record_destroy(r);
    ucrm_batch_destroy(b);
}

static void test_batch__partial_failure_maps_items(void **state) {
    fx_t *f = *state;
    script_expect(f->s, "POST", "/objects/contact/batch/create", "*", 200, NULL,
                  "{\"results\":[{\"id\":\"1\"},{\"error\":{\"message\":\"bad email\"}},{\"id\":\"3\"}]}");
    script_expect(f->s, "POST", "/objects/contact/batch/create", "*", 200, NULL, "{\"results\":[{\"id\":\"4\"}]}");
    ucrm_batch_t *b = create_batch(4);
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_ERR_PARTIAL);
    assert_int_equal(ucrm_error_code(e), UCRM_ERR_PARTIAL);
    assert_non_null(strstr(ucrm_error_message(e), "1 of 4"));
    ucrm_error_destroy(e);
    const char *id;
    const ucrm_error_t *ie;
    assert_int_equal(ucrm_batch_result(b, 1, &id, &ie), UCRM_ERR_VALIDATION);
    assert_null(id);
    assert_string_equal(ucrm_error_message(ie), "bad email");
    assert_int_equal(ucrm_batch_result(b, 3, &id, &ie), UCRM_OK);
    assert_string_equal(id, "4");
    ucrm_batch_destroy(b);
}

static void test_batch__chunk_failure_and_missing_results(void **state) {
    fx_t *f = *state;
    /* chunk 1: a 500 on a create batch is not retried (it may have been applied) */
    script_expect(f->s, "POST", "/objects/contact/batch/create", "*", 500, NULL, "{\"error\":\"INTERNAL\"}");
    /* chunk 2: the provider answers for fewer items than it was sent */
    script_expect(f->s, "POST", "/objects/contact/batch/create", "*", 200, NULL, "{\"results\":[{\"id\":\"4\"}]}");
    ucrm_batch_t *b = create_batch(5);
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, NULL), UCRM_ERR_PARTIAL);
    const ucrm_error_t *ie;
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(ucrm_batch_result(b, i, NULL, &ie), UCRM_ERR_PROVIDER);
        assert_int_equal(ucrm_error_write_state(ie), UCRM_WRITE_UNKNOWN);
    }
    assert_int_equal(ucrm_batch_result(b, 3, NULL, NULL), UCRM_OK);
    assert_int_equal(ucrm_batch_result(b, 4, NULL, &ie), UCRM_ERR_PROTOCOL);
    assert_int_equal(script_requests(f->s), 2);
    ucrm_batch_destroy(b);
}

static void test_batch__fatal_error_stops_the_rest(void **state) {
    fx_t *f = *state;
    script_expect(f->s, "POST", "/objects/contact/batch/create", "*", 403, NULL, "{\"error\":\"QUOTA\"}");
    ucrm_batch_t *b = create_batch(8);
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_ERR_QUOTA_EXHAUSTED);
    ucrm_error_destroy(e);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(ucrm_batch_result(b, i, NULL, NULL), UCRM_ERR_QUOTA_EXHAUSTED);
    assert_int_equal(script_requests(f->s), 1); /* later chunks were not sent */
    ucrm_batch_destroy(b);
}

static void test_batch__update_delete_upsert_shapes(void **state) {
    fx_t *f = *state;
    script_expect(f->s, "POST", "/objects/deal/batch/delete",
                  "{\"items\":[{\"id\":\"1\",\"fields\":{}},{\"id\":\"2\",\"fields\":{}}]}", 200, NULL,
                  "{\"results\":[{\"id\":\"1\"},{\"id\":\"2\"}]}");
    ucrm_batch_t *b = NULL;
    assert_int_equal(ucrm_batch_new(&b, UCRM_OBJECT_DEAL, UCRM_BATCH_DELETE), UCRM_OK);
    assert_int_equal(ucrm_batch_add_id(b, "1"), UCRM_OK);
    assert_int_equal(ucrm_batch_add_id(b, "2"), UCRM_OK);
    assert_int_equal(ucrm_batch_add_id(b, ""), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, NULL), UCRM_OK);
    ucrm_batch_destroy(b);

    /* misuse */
    assert_int_equal(ucrm_batch_new(&b, UCRM_OBJECT_CONTACT, UCRM_BATCH_UPDATE), UCRM_OK);
    ucrm_record_t *r = NULL, *deal = NULL;
    ucrm_record_new(&r, UCRM_OBJECT_CONTACT);
    ucrm_record_new(&deal, UCRM_OBJECT_DEAL);
    assert_int_equal(ucrm_batch_add(b, r), UCRM_ERR_INVALID_ARG);    /* update without id */
    assert_int_equal(ucrm_batch_add(b, deal), UCRM_ERR_INVALID_ARG); /* wrong object */
    assert_int_equal(ucrm_batch_add_id(b, "1"), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_batch_set_key_field(b, "email"), UCRM_ERR_STATE);
    ucrm_batch_destroy(b);

    assert_int_equal(ucrm_batch_new(&b, UCRM_OBJECT_CONTACT, UCRM_BATCH_UPSERT), UCRM_OK);
    assert_int_equal(ucrm_batch_set_key_field(b, "not_a_field"), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_batch_set_key_field(b, "custom.ext_id"), UCRM_OK);
    ucrm_record_set_string(r, "email", "x@example.com");
    assert_int_equal(ucrm_batch_add(b, r), UCRM_OK);
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, &e), UCRM_ERR_INVALID_ARG); /* item without custom.ext_id */
    assert_non_null(strstr(ucrm_error_message(e), "custom.ext_id"));
    ucrm_error_destroy(e);
    assert_int_equal(ucrm_batch_result(b, 0, NULL, NULL), UCRM_ERR_STATE); /* refused: it has not run */
    assert_int_equal(ucrm_batch_set_key_field(b, "email"), UCRM_OK);       /* fixed, it runs */
    script_expect(f->s, "POST", "/objects/contact/batch/upsert", "*", 200, NULL, "{\"results\":[{\"id\":\"8\"}]}");
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, NULL), UCRM_OK);
    const char *id = NULL;
    assert_int_equal(ucrm_batch_result(b, 0, &id, NULL), UCRM_OK);
    assert_string_equal(id, "8");
    ucrm_batch_destroy(b);
    ucrm_record_destroy(r);
    ucrm_record_destroy(deal);

    assert_int_equal(ucrm_batch_new(&b, (ucrm_object_t)7, UCRM_BATCH_CREATE), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_batch_new(&b, UCRM_OBJECT_DEAL, (ucrm_batch_op_t)9), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_batch_count(NULL), 0);
    ucrm_batch_destroy(NULL);
}

static void test_batch__empty_batch_sends_nothing(void **state) {
    fx_t *f = *state;
    ucrm_batch_t *b = NULL;
    assert_int_equal(ucrm_batch_new(&b, UCRM_OBJECT_ACCOUNT, UCRM_BATCH_CREATE), UCRM_OK);
    assert_int_equal(ucrm_batch_run(f->c, b, NULL, NULL), UCRM_OK);
    assert_int_equal(script_requests(f->s), 0);
    ucrm_batch_destroy(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(n) cmocka_unit_test_setup_teardown(n, setup, teardown)
        T(test_batch__chunks_and_keeps_order),
        T(test_batch__partial_failure_maps_items),
        T(test_batch__chunk_failure_and_missing_results),
        T(test_batch__fatal_error_stops_the_rest),
        T(test_batch__update_delete_upsert_shapes),
        T(test_batch__empty_batch_sends_nothing),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
