/*
 * clock_test.h -- the monotonic clock and sleeps of the timing-driven tests (limiter, tokens, Redis), and a
 * configuration setter that fails the test with the library's message. Include after <cmocka.h>.
 */
#ifndef UCRM_TESTS_CLOCK_TEST_H
#define UCRM_TESTS_CLOCK_TEST_H

#include <stdint.h>
#include <time.h>

#include <unicrm/unicrm.h>

static inline int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline int64_t now_ms(void) { return now_us() / 1000; }

/* Sleeps ms milliseconds (nothing for 0 or less). */
static inline void msleep(int64_t ms) {
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ucrm_conf_set(), failing the test with the library's message. */
static inline void conf_set(ucrm_conf_t *c, const char *k, const char *v) {
    ucrm_error_t *e = NULL;
    if (ucrm_conf_set(c, k, v, &e) != UCRM_OK)
        fail_msg("conf %s=%s: %s", k, v, ucrm_error_message(e));
}

#endif
