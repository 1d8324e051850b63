/*
 * redis_bench.c -- what the Redis limiter backend costs per request: acquire (one script round trip) + done
 * (written without waiting for its answer) on a window so large that nothing waits, through Redis on loopback.
 * Median and 99th percentile per acquire+done, on 1 thread and on 4 threads sharing one limiter, and with two
 * limiters of one account in one process (two "processes"). Not run by make check.
 *
 *   cc -O2 -g -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -Itests -DUCRM_WITH_REDIS $(pkg-config --cflags libcjson) \
 *      tests/bench/redis_bench.c tests/helpers/redissrv.c lib/libunicrm.a \
 *      $(pkg-config --libs libcurl libcjson libssl libcrypto hiredis) -lpthread -lm -o build/redis_bench
 *   build/redis_bench [pairs per thread]          # starts its own redis-server on a free loopback port
 *   UCRM_REDIS_URL=redis://127.0.0.1:6379 build/redis_bench   # or uses that server
 */
#include "helpers/redissrv.h"
#include "provider_int.h"
#include "ratelimit_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct job {
    void *impl;
    long n;
    int64_t *lat; /* ns per acquire+done */
} job_t;

static void *run(void *p) {
    job_t *j = p;
    ucrm_usage_t u = {0};
    u.has_window = true;
    u.window_max = 1000000000;
    u.window_remaining = 999999999;
    for (long i = 0; i < j->n; i++) {
        ucrm_rl_ticket_t t;
        memset(&t, 0, sizeof t);
        t.bucket = UCRM_BUCKET_MAIN;
        t.prio = UCRM_PRIORITY_NORMAL;
        int64_t w = 0, t0 = now_ns();
        ucrm_error_t *e = NULL;
        if (ucrm_limiter__redis.acquire(j->impl, &t, -1, INT64_MAX / 2, &w, &e) != UCRM_OK) {
            fprintf(stderr, "acquire failed: %s\n", ucrm_error_message(e));
            exit(1);
        }
        ucrm_limiter__redis.done(j->impl, &t, (i & 7) ? NULL : &u, UCRM_RL_SENT, 0);
        j->lat[i] = now_ns() - t0;
    }
    return NULL;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void *make(const char *url, const char *key, const char *daily, const char *conc) {
    ucrm_conf_t *conf = ucrm_conf_new();
    ucrm_conf_set(conf, "provider", "hubspot", NULL);
    ucrm_conf_set(conf, "ratelimit.backend", "redis", NULL);
    ucrm_conf_set(conf, "redis.url", url, NULL);
    ucrm_conf_set(conf, "ratelimit.requests", "1000000", NULL);
    ucrm_conf_set(conf, "ratelimit.interval.ms", "1000", NULL);
    ucrm_conf_set(conf, "ratelimit.daily", daily, NULL);
    ucrm_conf_set(conf, "ratelimit.concurrency", conc, NULL);
    ucrm_rl_settings_t s;
    ucrm_rl_settings__from_conf(&s, conf);
    void *impl = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_limiter__redis.create(&impl, &s, conf, key, &e) != UCRM_OK) {
        fprintf(stderr, "create: %s\n", ucrm_error_message(e));
        exit(1);
    }
    ucrm_conf_destroy(conf);
    return impl;
}

/* threads split over `limiters` limiters of one account (1: one process; 2: two processes' worth). */
static void bench(const char *url, const char *name, int threads, int limiters, const char *daily, const char *conc,
                  long n) {
    char key[64];
    snprintf(key, sizeof key, "bench-%s-%d-%ld", name, threads, (long)now_ns());
    void *impl[2] = {make(url, key, daily, conc), limiters > 1 ? make(url, key, daily, conc) : NULL};
    pthread_t th[16];
    job_t j[16];
    int64_t *lat = calloc((size_t)(threads * n), sizeof *lat);
    /* warm up: connections made, scripts loaded */
    job_t warm = {impl[0], 200, lat};
    run(&warm);
    if (impl[1]) {
        warm.impl = impl[1];
        run(&warm);
    }
    int64_t t0 = now_ns();
    for (int i = 0; i < threads; i++) {
        j[i] = (job_t){impl[i % limiters], n, lat + i * n};
        pthread_create(&th[i], NULL, run, &j[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    double secs = (double)(now_ns() - t0) / 1e9;
    long total = threads * n;
    qsort(lat, (size_t)total, sizeof *lat, cmp64);
    printf("%-28s %2d thread%s %d limiter%s: median %6.1f us, p99 %6.1f us per acquire+done; %8.0f acquires/s\n",
           name, threads, threads > 1 ? "s" : " ", limiters, limiters > 1 ? "s" : " ",
           (double)lat[total / 2] / 1000.0, (double)lat[total * 99 / 100] / 1000.0, (double)total / secs);
    free(lat);
    ucrm_limiter__redis.destroy(impl[0]);
    if (impl[1])
        ucrm_limiter__redis.destroy(impl[1]);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 20000;
    const char *url = getenv("UCRM_REDIS_URL");
    redis_srv_t *srv = NULL;
    if (!url || !*url) {
        const char *why = NULL;
        if (!redis_srv_available(&why)) {
            fprintf(stderr, "redis_bench: %s\n", why);
            return 1;
        }
        if (!(srv = redis_srv_start(NULL)))
            return 1;
        url = redis_srv_url(srv);
    }
    printf("Redis limiter backend through %s, %ld acquire+done pairs per thread\n", url, n);
    bench(url, "window", 1, 1, "0", "0", n);
    bench(url, "window", 4, 1, "0", "0", n / 4);
    bench(url, "window", 4, 2, "0", "0", n / 4);
    bench(url, "window+daily+concurrency", 1, 1, "100000000", "1000", n);
    bench(url, "window+daily+concurrency", 4, 1, "100000000", "1000", n / 4);
    redis_srv_stop(srv);
    return 0;
}
