/*
 * test_dedupe.c -- the dedupe store through the public API: check-and-insert, TTL expiry (never extended by a
 * repeat), the capacity bound (oldest first), forget, an application-backed store through callbacks, bad
 * arguments, and many threads racing on the same keys (each key is "new" exactly once).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include <unicrm/unicrm.h>

static int seen(ucrm_dedupe_t *d, const char *key, int64_t now) {
    int was = -1;
    ucrm_error_t *e = NULL;
    if (ucrm_dedupe_seen(d, &was, key, now, &e) != UCRM_OK)
        fail_msg("seen(%s): %s", key, ucrm_error_message(e));
    return was;
}

static void test_dedupe__check_and_insert(void **state) {
    (void)state;
    ucrm_dedupe_t *d = NULL;
    assert_int_equal(ucrm_dedupe_new(&d, 10, 1000), UCRM_OK);
    assert_int_equal(seen(d, "a", 1), 0);
    assert_int_equal(seen(d, "a", 2), 1);
    assert_int_equal(seen(d, "b", 2), 0);
    assert_int_equal(seen(d, "A", 2), 0); /* keys are compared exactly */
    assert_int_equal(ucrm_dedupe_count(d), 3);
    assert_int_equal(ucrm_dedupe_forget(d, "a", NULL), UCRM_OK);
    assert_int_equal(ucrm_dedupe_forget(d, "never", NULL), UCRM_OK);
    assert_int_equal(ucrm_dedupe_count(d), 2);
    assert_int_equal(seen(d, "a", 3), 0);
    /* now_ms 0: the system clock (far past the explicit times above, so "b" has expired) */
    assert_int_equal(seen(d, "b", 0), 0);
    assert_int_equal(seen(d, "b", 0), 1);
    ucrm_dedupe_destroy(d);
}

static void test_dedupe__ttl(void **state) {
    (void)state;
    ucrm_dedupe_t *d = NULL;
    assert_int_equal(ucrm_dedupe_new(&d, 100, 1000), UCRM_OK);
    assert_int_equal(seen(d, "k", 100), 0);
    assert_int_equal(seen(d, "k", 600), 1);  /* a repeat does not extend the TTL... */
    assert_int_equal(seen(d, "k", 1099), 1);
    assert_int_equal(seen(d, "k", 1100), 0); /* ...so it expires 1000 ms after the first sighting */
    assert_int_equal(seen(d, "k", 2099), 1);
    /* expired keys are dropped as new ones come in */
    for (int i = 0; i < 50; i++) {
        char k[16];
        snprintf(k, sizeof k, "x%d", i);
        seen(d, k, 3000 + i);
    }
    assert_int_equal(ucrm_dedupe_count(d), 50); /* "k" (expired at 2100) was dropped by the first insert */
    assert_int_equal(seen(d, "late", 5000), 0); /* everything above expired by now */
    assert_int_equal(ucrm_dedupe_count(d), 1);
    ucrm_dedupe_destroy(d);
}

static void test_dedupe__capacity(void **state) {
    (void)state;
    ucrm_dedupe_t *d = NULL;
    assert_int_equal(ucrm_dedupe_new(&d, 3, 1000000), UCRM_OK);
    seen(d, "a", 1);
    seen(d, "b", 2);
    seen(d, "c", 3);
    assert_int_equal(seen(d, "b", 4), 1); /* a repeat does not make "b" younger */
    assert_int_equal(seen(d, "d", 5), 0); /* full: "a", the oldest, goes */
    assert_int_equal(ucrm_dedupe_count(d), 3);
    assert_int_equal(seen(d, "c", 6), 1);
    assert_int_equal(seen(d, "a", 7), 0); /* forgotten, so new again; "b" goes */
    assert_int_equal(seen(d, "b", 8), 0);
    ucrm_dedupe_destroy(d);

    /* a long stream of distinct keys stays within the bound, and the newest ones are remembered */
    assert_int_equal(ucrm_dedupe_new(&d, 1000, 1000000), UCRM_OK);
    char k[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(k, sizeof k, "event-%d", i);
        assert_int_equal(seen(d, k, 10), 0);
        if (ucrm_dedupe_count(d) > 1000)
            fail_msg("count %zu over capacity", ucrm_dedupe_count(d));
    }
    for (int i = 99000; i < 100000; i++) {
        snprintf(k, sizeof k, "event-%d", i);
        assert_int_equal(seen(d, k, 11), 1);
    }
    snprintf(k, sizeof k, "event-%d", 98999);
    assert_int_equal(seen(d, k, 12), 0);
    ucrm_dedupe_destroy(d);
}

typedef struct store {
    char keys[8][64];
    int64_t exp[8];
    int n;
    int64_t last_ttl;
    int fail;
} store_t;

static int st_seen(const char *key, int64_t now, int64_t ttl, int *was_seen, void *opaque) {
    store_t *s = opaque;
    s->last_ttl = ttl;
    if (s->fail)
        return s->fail;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->keys[i], key) == 0 && s->exp[i] > now) {
            *was_seen = 1;
            return 0;
        }
    snprintf(s->keys[s->n], sizeof s->keys[0], "%s", key);
    s->exp[s->n++] = now + ttl;
    *was_seen = 0;
    return 0;
}

static int st_forget(const char *key, void *opaque) {
    store_t *s = opaque;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->keys[i], key) == 0)
            s->keys[i][0] = '\0';
    return s->fail;
}

static void test_dedupe__custom_store(void **state) {
    (void)state;
    store_t s = {0};
    ucrm_dedupe_t *d = NULL;
    assert_int_equal(ucrm_dedupe_new_custom(&d, 5000, st_seen, st_forget, &s), UCRM_OK);
    assert_int_equal(seen(d, "k1", 10), 0);
    assert_int_equal(s.last_ttl, 5000);
    assert_int_equal(seen(d, "k1", 20), 1);
    assert_int_equal(seen(d, "k1", 5010), 0); /* the store's own expiry */
    assert_int_equal(ucrm_dedupe_forget(d, "k1", NULL), UCRM_OK);
    assert_int_equal(ucrm_dedupe_count(d), 0);
    s.fail = -3;
    int was = 5;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_dedupe_seen(d, &was, "k2", 1, &e), UCRM_ERR_USER);
    assert_int_equal(ucrm_error_user_code(e), -3);
    assert_int_equal(was, 0);
    ucrm_error_destroy(e);
    e = NULL;
    assert_int_equal(ucrm_dedupe_forget(d, "k2", &e), UCRM_ERR_USER);
    assert_int_equal(ucrm_error_user_code(e), -3);
    ucrm_error_destroy(e);
    ucrm_dedupe_destroy(d);

    /* without a forget callback */
    assert_int_equal(ucrm_dedupe_new_custom(&d, 5000, st_seen, NULL, &s), UCRM_OK);
    assert_int_equal(ucrm_dedupe_forget(d, "k", NULL), UCRM_ERR_UNSUPPORTED);
    ucrm_dedupe_destroy(d);
}

static void test_dedupe__bad_arguments(void **state) {
    (void)state;
    ucrm_dedupe_t *d = (ucrm_dedupe_t *)1;
    assert_int_equal(ucrm_dedupe_new(&d, 0, 1000), UCRM_ERR_INVALID_ARG);
    assert_null(d);
    d = (ucrm_dedupe_t *)1;
    assert_int_equal(ucrm_dedupe_new(&d, 10, 0), UCRM_ERR_INVALID_ARG);
    assert_null(d);
    assert_int_equal(ucrm_dedupe_new(&d, ((size_t)1 << 30) + 1, 10), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_dedupe_new(NULL, 10, 10), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_dedupe_new_custom(&d, 10, NULL, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_dedupe_new_custom(&d, -1, st_seen, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_dedupe_new(&d, 10, 10), UCRM_OK);
    int was;
    assert_int_equal(ucrm_dedupe_seen(d, &was, NULL, 1, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_dedupe_seen(d, &was, "", 1, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_dedupe_seen(d, NULL, "k", 1, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_dedupe_seen(NULL, &was, "k", 1, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_dedupe_forget(d, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_dedupe_forget(NULL, "k", NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_dedupe_count(NULL), 0);
    ucrm_dedupe_destroy(d);
    ucrm_dedupe_destroy(NULL);
}

#define THREADS 8
#define KEYS 5000

typedef struct race {
    ucrm_dedupe_t *d;
    int firsts;
} race_t;

static void *racer(void *arg) {
    race_t *r = arg;
    char k[64];
    for (int i = 0; i < KEYS; i++) {
        snprintf(k, sizeof k, "hs:1:%d:1000:contact.creation:", i);
        int was = 1;
        if (ucrm_dedupe_seen(r->d, &was, k, 1000, NULL) == UCRM_OK && !was)
            r->firsts++;
    }
    return NULL;
}

static void test_dedupe__threads(void **state) {
    (void)state;
    ucrm_dedupe_t *d = NULL;
    assert_int_equal(ucrm_dedupe_new(&d, KEYS, 60000), UCRM_OK);
    pthread_t t[THREADS];
    race_t r[THREADS];
    for (int i = 0; i < THREADS; i++) {
        r[i] = (race_t){d, 0};
        assert_int_equal(pthread_create(&t[i], NULL, racer, &r[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        total += r[i].firsts;
    }
    assert_int_equal(total, KEYS); /* every key won by exactly one thread */
    assert_int_equal(ucrm_dedupe_count(d), KEYS);
    ucrm_dedupe_destroy(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedupe__check_and_insert),
        cmocka_unit_test(test_dedupe__ttl),
        cmocka_unit_test(test_dedupe__capacity),
        cmocka_unit_test(test_dedupe__custom_store),
        cmocka_unit_test(test_dedupe__bad_arguments),
        cmocka_unit_test(test_dedupe__threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
