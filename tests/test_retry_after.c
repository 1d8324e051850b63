/*
 * test_retry_after.c -- Retry-After honoured end to end: the fake answers HubSpot 477 Migration in Progress with
 * Retry-After: 1 (PROTOCOL B7), unicrm waits at least that long and retries; the write is applied once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers/fake.h"
#include <unicrm/unicrm.h>

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Turns the faults off a little after the first (faulted) attempt, long before Retry-After runs out. */
static void *faults_off_later(void *arg) {
    usleep(300 * 1000);
    fake_set_faults(arg, "{\"rate\":0}");
    return NULL;
}

static void test_retry_after__477_waits_then_succeeds(void **state) {
    (void)state;
    ucrm_fake_t *f = fake_start("--fault-retry-after", "1", NULL);
    assert_non_null(f);
    ucrm_conf_t *conf = ucrm_conf_new();
    assert_int_equal(ucrm_conf_set(conf, "provider", "hubspot", NULL), UCRM_OK);
    assert_int_equal(ucrm_conf_set(conf, "api.url", fake_url(f), NULL), UCRM_OK);
    assert_int_equal(ucrm_conf_set(conf, "auth.access.token", "pat-test", NULL), UCRM_OK);
    assert_int_equal(ucrm_conf_set(conf, "retry.backoff.ms", "1", NULL), UCRM_OK);
    ucrm_client_t *c = NULL;
    assert_int_equal(ucrm_client_new(&c, conf, NULL), UCRM_OK);

    assert_int_equal(fake_set_faults(f, "{\"rate\":1.0,\"faults\":[\"477\"],\"when\":\"before\"}"), 0);
    pthread_t t;
    pthread_create(&t, NULL, faults_off_later, f);
    ucrm_record_t *r = NULL;
    ucrm_record_new(&r, UCRM_OBJECT_CONTACT);
    ucrm_record_set_string(r, "email", "migrating@example.com");
    long t0 = now_ms();
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_create(c, r, NULL, &e);
    long waited = now_ms() - t0;
    pthread_join(t, NULL);
    if (rc != UCRM_OK)
        fail_msg("create: %s %s", ucrm_err_name(rc), ucrm_error_message(e));
    assert_true(waited >= 950); /* Retry-After: 1 second, not the 1 ms backoff */
    assert_true(fake_stat(f, "faults_injected.477") >= 1);
    assert_int_equal(fake_stat(f, "records.hubspot.contacts"), 1); /* a refused create retried once, applied once */
    ucrm_record_destroy(r);
    ucrm_client_destroy(c);
    ucrm_conf_destroy(conf);
    assert_int_equal(fake_stop(f), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_after__477_waits_then_succeeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
