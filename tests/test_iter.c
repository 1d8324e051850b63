/*
 * test_iter.c -- the iterator contract through the public API: lazy paging, no gap and no duplicate, a failed
 * page can be fetched again, cursors resume exactly where they left off, page-at-a-time access, totals.
 * Scripted provider over the scripted transport (see helpers/testprov.c for the protocol).
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
    static const char *const kv[] = {"retry.max", "0", NULL};
    *state = tp_fx(kv);
    return 0;
}

static int teardown(void **state) {
    return tp_fx_done(*state) ? 0 : -1;
}

/* A page of contacts with ids first..last, then "next" when given. */
static char *page(int first, int last, const char *next, int total) {
    static char buf[8192];
    int n = snprintf(buf, sizeof buf, "{\"results\":[");
    for (int i = first; i <= last; i++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "%s{\"id\":\"%d\",\"fields\":{\"email\":\"c%d@example.com\"}}",
                      i > first ? "," : "", i, i);
    n += snprintf(buf + n, sizeof buf - (size_t)n, "]");
    if (next)
        n += snprintf(buf + n, sizeof buf - (size_t)n, ",\"next\":\"%s\"", next);
    if (total >= 0)
        n += snprintf(buf + n, sizeof buf - (size_t)n, ",\"total\":%d", total);
    snprintf(buf + n, sizeof buf - (size_t)n, "}");
    return buf;
}

static int next_id(ucrm_iter_t *it) {
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_iter_next(it, &r, &e);
    if (rc == UCRM_ITEROVER)
        return 0;
    if (rc != UCRM_OK)
        fail_msg("iter_next: %s %s", ucrm_err_name(rc), ucrm_error_message(e));
    int id = atoi(ucrm_record_id(r));
    ucrm_record_destroy(r);
    return id;
}

static void test_iter__pages_lazily_in_order(void **state) {
    fx_t *f = *state;
    script_expect(f->s, "GET", "/objects/contact?limit=3", NULL, 200, NULL, page(1, 3, "p2", 5));
    script_expect(f->s, "GET", "/objects/contact?limit=3&after=p2", NULL, 200, NULL, page(4, 5, NULL, 5));
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    ucrm_reqopts_set_page_size(o, 3);
    ucrm_iter_t *it = NULL;
    assert_int_equal(ucrm_list(f->c, UCRM_OBJECT_CONTACT, o, &it, NULL), UCRM_OK);
    ucrm_reqopts_destroy(o); /* the iterator keeps its own copy */
    assert_int_equal(script_requests(f->s), 0); /* nothing until the first next() */
    int64_t total = 0;
    assert_int_equal(ucrm_iter_total(it, &total), UCRM_ERR_NOENT);
    assert_null(ucrm_iter_cursor(it));
    assert_int_equal(next_id(it), 1);
    assert_int_equal(script_requests(f->s), 1);
    assert_int_equal(ucrm_iter_total(it, &total), UCRM_OK);
    assert_int_equal(total, 5);
    assert_int_equal(next_id(it), 2);
    assert_int_equal(next_id(it), 3);
    assert_int_equal(script_requests(f->s), 1);
    assert_int_equal(next_id(it), 4);
    assert_int_equal(next_id(it), 5);
    assert_int_equal(next_id(it), 0);
    assert_int_equal(next_id(it), 0); /* stays over */
    assert_int_equal(script_requests(f->s), 2);
    ucrm_iter_destroy(it);
}

static void test_iter__failed_page_is_fetched_again(void **state) {
    fx_t *f = *state;
    script_expect(f->s, "GET", "/objects/contact?limit=10", NULL, 200, NULL, page(1, 2, "p2", -1));
    script_expect(f->s, "GET", "/objects/contact?limit=10&after=p2", NULL, 503, NULL, "{\"error\":\"DOWN\"}");
    script_expect(f->s, "GET", "/objects/contact?limit=10&after=p2", NULL, 200, NULL, "{\"results\":[{\"id\":");
    script_expect(f->s, "GET", "/objects/contact?limit=10&after=p2", NULL, 200, NULL, page(3, 4, NULL, -1));
    ucrm_iter_t *it = NULL;
    assert_int_equal(ucrm_list(f->c, UCRM_OBJECT_CONTACT, NULL, &it, NULL), UCRM_OK);
    assert_int_equal(next_id(it), 1);
    assert_int_equal(next_id(it), 2);
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_ERR_PROVIDER);
    assert_null(r);
    ucrm_error_destroy(e);
    e = NULL;
    assert_int_equal(ucrm_iter_next(it, &r, &e), UCRM_ERR_PROTOCOL); /* truncated page */
    ucrm_error_destroy(e);
    assert_int_equal(next_id(it), 3); /* no record skipped, none repeated */
    assert_int_equal(next_id(it), 4);
    assert_int_equal(next_id(it), 0);
    ucrm_iter_destroy(it);
}

static void test_iter__cursor_resumes_mid_page(void **state) {
    fx_t *f = *state;
    script_expect(f->s, "GET", "/objects/contact?limit=10", NULL, 200, NULL, page(1, 3, "p2", -1));
    script_expect(f->s, "GET", "/objects/contact?limit=10&after=p2", NULL, 200, NULL, page(4, 6, "p3", -1));
    /* the resumed iterator refetches page p2 and skips what was already returned */
    script_expect(f->s, "GET", "/objects/contact?limit=10&after=p2", NULL, 200, NULL, page(4, 6, "p3", -1));
    script_expect(f->s, "GET", "/objects/contact?limit=10&after=p3", NULL, 200, NULL, page(7, 7, NULL, -1));
    ucrm_iter_t *it = NULL;
    assert_int_equal(ucrm_list(f->c, UCRM_OBJECT_CONTACT, NULL, &it, NULL), UCRM_OK);
    for (int i = 1; i <= 4; i++)
        assert_int_equal(next_id(it), i);
    char *cursor = strdup(ucrm_iter_cursor(it));
    ucrm_iter_destroy(it);
    for (const char *p = cursor; *p; p++) /* opaque and URL-safe */
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
    assert_int_equal(ucrm_iter_resume(f->c, cursor, NULL, &it, NULL), UCRM_OK);
    free(cursor);
    assert_int_equal(next_id(it), 5);
    assert_int_equal(next_id(it), 6);
    assert_int_equal(next_id(it), 7);
    assert_int_equal(next_id(it), 0);
    ucrm_iter_destroy(it);
}

static void test_iter__cursor_at_page_end_points_at_next_page(void **state) {
    fx_t *f = *state;
    script_expect(f->s, "GET", "/objects/contact?limit=10", NULL, 200, NULL, page(1, 2, "p2", -1));
    script_expect(f->s, "GET", "/objects/contact?limit=10&after=p2", NULL, 200, NULL, page(3, 3, NULL, -1));
    ucrm_iter_t *it = NULL;
    assert_int_equal(ucrm_list(f->c, UCRM_OBJECT_CONTACT, NULL, &it, NULL), UCRM_OK);
    assert_int_equal(next_id(it), 1);
    assert_int_equal(next_id(it), 2);
    char *cursor = strdup(ucrm_iter_cursor(it));
    ucrm_iter_destroy(it);
    assert_int_equal(ucrm_iter_resume(f->c, cursor, NULL, &it, NULL), UCRM_OK);
    free(cursor);
    assert_int_equal(next_id(it), 3); /* page 1 is not fetched again */
    assert_int_equal(next_id(it), 0);
    /* a cursor taken at the very end resumes to an empty iteration, without a request */
    cursor = strdup(ucrm_iter_cursor(it));
    ucrm_iter_destroy(it);
    size_t before = script_requests(f->s);
    assert_int_equal(ucrm_iter_resume(f->c, cursor, NULL, &it, NULL), UCRM_OK);
    free(cursor);
    assert_int_equal(next_id(it), 0);
    assert_int_equal(script_requests(f->s), before);
    ucrm_iter_destroy(it);
}

static void test_iter__bad_cursors_rejected(void **state) {
    fx_t *f = *state;
    const char *bad[] = {"", "not base64 !", "eyJ2IjoxfQ", /* {"v":1} */
                         "eyJ2IjoyLCJwIjoiaHVic3BvdCIsIm8iOiJjb250YWN0IiwiaSI6MCwicyI6e319", /* v:2 */
                         "eyJ2IjoxLCJwIjoic2FsZXNmb3JjZSIsIm8iOiJjb250YWN0IiwiaSI6MCwicyI6e319", /* salesforce */
                         "eyJ2IjoxLCJwIjoiaHVic3BvdCIsIm8iOiJjb250YWN0IiwiaSI6LTEsInMiOnt9fQ",   /* i: -1 */
                         NULL};
    for (int i = 0; bad[i]; i++) {
        ucrm_iter_t *it = (ucrm_iter_t *)0x1;
        ucrm_error_t *e = NULL;
        assert_int_equal(ucrm_iter_resume(f->c, bad[i], NULL, &it, &e), UCRM_ERR_INVALID_ARG);
        assert_null(it);
        assert_true(strlen(ucrm_error_message(e)) > 0);
        ucrm_error_destroy(e);
    }
    assert_int_equal(ucrm_iter_resume(f->c, NULL, NULL, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(script_requests(f->s), 0);
}

static void test_iter__next_page_hands_out_pages(void **state) {
    fx_t *f = *state;
    script_expect(f->s, "GET", "/objects/contact?limit=10", NULL, 200, NULL, page(1, 3, "p2", -1));
    script_expect(f->s, "GET", "/objects/contact?limit=10&after=p2", NULL, 200, NULL, "{\"results\":[],\"next\":\"p3\"}");
    script_expect(f->s, "GET", "/objects/contact?limit=10&after=p3", NULL, 200, NULL, page(4, 5, NULL, -1));
    ucrm_iter_t *it = NULL;
    assert_int_equal(ucrm_list(f->c, UCRM_OBJECT_CONTACT, NULL, &it, NULL), UCRM_OK);
    assert_int_equal(next_id(it), 1);
    ucrm_records_t *pg = NULL;
    assert_int_equal(ucrm_iter_next_page(it, &pg, NULL), UCRM_OK); /* the rest of page 1 */
    assert_int_equal(ucrm_records_count(pg), 2);
    assert_string_equal(ucrm_record_id(ucrm_records_get(pg, 0)), "2");
    assert_null(ucrm_records_get(pg, 2));
    ucrm_record_t *taken = ucrm_records_take(pg, 1);
    assert_string_equal(ucrm_record_id(taken), "3");
    assert_null(ucrm_records_get(pg, 1));
    ucrm_record_destroy(taken);
    ucrm_records_destroy(pg);
    assert_int_equal(ucrm_iter_next_page(it, &pg, NULL), UCRM_OK); /* the empty page is skipped */
    assert_int_equal(ucrm_records_count(pg), 2);
    assert_string_equal(ucrm_record_id(ucrm_records_get(pg, 1)), "5");
    ucrm_records_destroy(pg);
    assert_int_equal(ucrm_iter_next_page(it, &pg, NULL), UCRM_ITEROVER);
    assert_null(pg);
    ucrm_iter_destroy(it);
}

static void test_iter__search_and_argument_checks(void **state) {
    fx_t *f = *state;
    script_expect(f->s, "GET", "/objects/contact?limit=10&field=email&value=a%27%20OR%201%3D1", NULL, 200, NULL,
                  page(9, 9, NULL, 1));
    ucrm_iter_t *it = NULL;
    assert_int_equal(ucrm_search(f->c, UCRM_OBJECT_CONTACT, "email", "a' OR 1=1", NULL, &it, NULL), UCRM_OK);
    assert_int_equal(next_id(it), 9);
    assert_int_equal(next_id(it), 0);
    ucrm_iter_destroy(it);
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_search(f->c, UCRM_OBJECT_CONTACT, "no_such_field", "x", NULL, &it, &e),
                     UCRM_ERR_INVALID_FIELD);
    ucrm_error_destroy(e);
    assert_int_equal(ucrm_search(f->c, UCRM_OBJECT_CONTACT, "email", NULL, NULL, &it, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_search(f->c, UCRM_OBJECT_CONTACT, "email", "\xc3", NULL, &it, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_list(f->c, (ucrm_object_t)0, NULL, &it, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_list(NULL, UCRM_OBJECT_CONTACT, NULL, &it, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_iter_next(NULL, NULL, NULL), UCRM_ERR_INVALID_ARG);
    e = NULL;
    assert_int_equal(ucrm_search(f->c, (ucrm_object_t)9, "email", "x", NULL, &it, &e), UCRM_ERR_INVALID_ARG);
    assert_non_null(strstr(ucrm_error_message(e), "unknown object"));
    ucrm_error_destroy(e);
    assert_int_equal(ucrm_search(NULL, UCRM_OBJECT_CONTACT, "email", "x", NULL, &it, NULL), UCRM_ERR_INVALID_ARG);
    ucrm_records_t *page = NULL;
    assert_int_equal(ucrm_iter_next_page(NULL, &page, NULL), UCRM_ERR_INVALID_ARG);
    int64_t total = 0;
    assert_int_equal(ucrm_iter_total(NULL, &total), UCRM_ERR_INVALID_ARG);
    assert_null(ucrm_records_get(NULL, 0));
    assert_null(ucrm_records_take(NULL, 0));
    assert_null(ucrm_iter_cursor(NULL));
    ucrm_iter_destroy(NULL);
    ucrm_records_destroy(NULL);
    assert_int_equal(ucrm_records_count(NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(n) cmocka_unit_test_setup_teardown(n, setup, teardown)
        T(test_iter__pages_lazily_in_order),
        T(test_iter__failed_page_is_fetched_again),
        T(test_iter__cursor_resumes_mid_page),
        T(test_iter__cursor_at_page_end_points_at_next_page),
        T(test_iter__bad_cursors_rejected),
        T(test_iter__next_page_hands_out_pages),
        T(test_iter__search_and_argument_checks),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
