/*
 * ratelimit_bench.c -- the limiter's cost per request: acquire + done of the in-process backend, with a window
 * so large that nothing waits (what every request pays), on 1 and on 8 threads sharing one limiter, and with a
 * daily budget and concurrency cap switched on as well. Not run by make check.
 *
 *   make bench-build && build/plain/bench/ratelimit_bench [pairs per thread]      (also run by make bench)
 */
#include "bench.h"
#include "provider_int.h"
#include "ratelimit_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static double now_s(void) { return bench_now_us() / 1e6; }

typedef struct job {
    ucrm_limiter_t *l;
    long n;
} job_t;

static void *run(void *p) {
    job_t *j = p;
    ucrm_usage_t u = {0};
    u.has_window = true;
    u.window_max = 1000000000;
    u.window_remaining = 999999999;
    for (long i = 0; i < j->n; i++) {
        ucrm_rl_ticket_t t;
        int64_t w = 0;
        if (ucrm_limiter__acquire(j->l, &t, UCRM_BUCKET_MAIN, UCRM_PRIORITY_NORMAL, -1, INT64_MAX / 2, &w, NULL) !=
            UCRM_OK) {
            fprintf(stderr, "acquire failed\n");
            exit(1);
        }
        ucrm_limiter__done(j->l, &t, (i & 7) ? NULL : &u, UCRM_RL_SENT, 0);
    }
    return NULL;
}

static void bench(const char *name, const char *daily, const char *conc, int threads, long n) {
    ucrm_conf_t *conf = ucrm_conf_new();
    ucrm_conf_set(conf, "provider", "hubspot", NULL);
    ucrm_conf_set(conf, "ratelimit.requests", "1000000", NULL);
    ucrm_conf_set(conf, "ratelimit.interval.ms", "1000", NULL);
    ucrm_conf_set(conf, "ratelimit.daily", daily, NULL);
    ucrm_conf_set(conf, "ratelimit.concurrency", conc, NULL);
    ucrm_limiter_t *l = NULL;
    if (ucrm_limiter__get(&l, conf, name, NULL) != UCRM_OK)
        exit(1);
    pthread_t th[16];
    job_t j = {l, n};
    double t0 = now_s();
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, run, &j);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    double dt = now_s() - t0;
    printf("%-34s %d thread%s: %7.0f ns per acquire+done (%.2f M/s)\n", name, threads, threads > 1 ? "s" : " ",
           dt * 1e9 / (double)(n * threads), (double)(n * threads) / dt / 1e6);
    ucrm_limiter__release(l);
    ucrm_conf_destroy(conf);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 300000;
    bench("window only", "0", "0", 1, n);
    bench("window only", "0", "0", 8, n / 4);
    bench("window + daily + concurrency", "1000000000", "100", 1, n);
    bench("window + daily + concurrency", "1000000000", "100", 8, n / 4);
    return 0;
}
