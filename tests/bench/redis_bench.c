/*
 * redis_bench.c -- figure 7: what the Redis limiter backend (ratelimit.backend=redis) costs per request: acquire
 * (one script round trip, waited for) + done (written without waiting for its answer), on a window so large that
 * nothing waits, through a redis-server on loopback. Median and 99th percentile per acquire+done on one thread
 * (target: under 100 us), then throughput with 4 threads sharing one limiter and with two limiters of one account
 * in one process (two "processes"), and with the daily budget and concurrency cap switched on. The server runs on
 * CPU 0 and the benchmark on CPU 1 (when there are two).
 *
 *   make bench-build && build/plain/bench/redis_bench [pairs]     (also run by make bench)
 *   UCRM_REDIS_URL=redis://127.0.0.1:6379 build/plain/bench/redis_bench   (that server instead of a private one)
 *
 * Without the Redis backend in the build or redis-server installed it says so and measures nothing.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef UCRM_WITH_REDIS
int main(void) {
    printf("redis_bench: skipped: this build has no Redis backend (hiredis was not found at build time)\n");
    bench_row("7", "Redis limiter: acquire+done, median", "< 100 us", BENCH_INFO, "not built");
    return 0;
}
#else
#include "helpers/redissrv.h"
#include "provider_int.h"
#include "ratelimit_int.h"
#include "redis_int.h"

#include <pthread.h>
#include <sched.h>
#include <string.h>

typedef struct job {
    void *impl;
    long n;
    double *lat;  /* us per acquire+done */
    double *dlat; /* of which done (NULL: not kept) */
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
        int64_t w = 0;
        double t0 = bench_now_us();
        ucrm_error_t *e = NULL;
        if (ucrm_limiter__redis.acquire(j->impl, &t, -1, INT64_MAX / 2, &w, &e) != UCRM_OK)
            bench_die("acquire failed: %s", ucrm_error_message(e));
        double t1 = bench_now_us();
        ucrm_limiter__redis.done(j->impl, &t, (i & 7) ? NULL : &u, UCRM_RL_SENT, 0);
        j->lat[i] = bench_now_us() - t0;
        if (j->dlat)
            j->dlat[i] = bench_now_us() - t1;
    }
    return NULL;
}

static void *make(const char *url, const char *key, const char *daily, const char *conc) {
    ucrm_conf_t *conf = ucrm_conf_new();
    bench_conf_set(conf, "provider", "hubspot");
    bench_conf_set(conf, "ratelimit.backend", "redis");
    bench_conf_set(conf, "redis.url", url);
    bench_conf_set(conf, "ratelimit.requests", "1000000");
    bench_conf_set(conf, "ratelimit.interval.ms", "1000");
    bench_conf_set(conf, "ratelimit.daily", daily);
    bench_conf_set(conf, "ratelimit.concurrency", conc);
    ucrm_rl_settings_t s;
    ucrm_rl_settings__from_conf(&s, conf);
    void *impl = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_limiter__redis.create(&impl, &s, conf, key, &e) != UCRM_OK)
        bench_die("create: %s", ucrm_error_message(e));
    ucrm_conf_destroy(conf);
    return impl;
}

/* threads split over `limiters` limiters of one account; returns the median us per acquire+done. */
static double bench(const char *url, const char *name, int threads, int limiters, const char *daily,
                    const char *conc, long n, double *p99, double *per_s) {
    char key[80];
    snprintf(key, sizeof key, "bench-%s-%d-%d-%.0f", name, threads, limiters, bench_now_us());
    void *impl[2] = {make(url, key, daily, conc), limiters > 1 ? make(url, key, daily, conc) : NULL};
    pthread_t th[16];
    job_t j[16];
    double *lat = calloc((size_t)(threads * n) + 200, sizeof *lat);
    double *dlat = calloc((size_t)(threads * n) + 200, sizeof *dlat);
    job_t warm = {impl[0], 200, lat, NULL}; /* connections made, scripts loaded */
    run(&warm);
    if (impl[1]) {
        warm.impl = impl[1];
        run(&warm);
    }
    double t0 = bench_now_us();
    for (int i = 0; i < threads; i++) {
        j[i] = (job_t){impl[i % limiters], n, lat + i * n, dlat + i * n};
        pthread_create(&th[i], NULL, run, &j[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    double secs = (bench_now_us() - t0) / 1e6;
    bench_samples_t s = {0}, d = {0};
    for (long i = 0; i < threads * n; i++) {
        bench_samples_add(&s, lat[i]);
        bench_samples_add(&d, dlat[i]);
    }
    double med = bench_pct(&s, 50);
    *p99 = bench_pct(&s, 99);
    *per_s = (double)(threads * n) / secs;
    printf("  %-26s %d thread%s %d limiter%s: median %6.1f us (done %4.1f), p99 %6.1f us per acquire+done; "
           "%6.0f/s\n",
           name, threads, threads > 1 ? "s" : " ", limiters, limiters > 1 ? "s" : " ", med, bench_pct(&d, 50), *p99,
           *per_s);
    bench_samples_free(&s);
    bench_samples_free(&d);
    free(lat);
    free(dlat);
    ucrm_limiter__redis.destroy(impl[0]);
    if (impl[1])
        ucrm_limiter__redis.destroy(impl[1]);
    return med;
}

/* The floor under an acquire: one round trip of a script that does nothing, through the same connection layer
 * (pool, SIGPIPE guard, EVALSHA). Median us. */
static double floor_us(const char *url, long n) {
    static const char *const parts[] = {"return 1\n", NULL};
    static ucrm_redis_script_t nothing = {"nothing", parts, "", 0};
    ucrm_conf_t *conf = ucrm_conf_new();
    bench_conf_set(conf, "redis.url", url);
    ucrm_redis_t *r = NULL;
    if (ucrm_redis__get(&r, conf, NULL) != UCRM_OK)
        bench_die("redis endpoint");
    ucrm_conf_destroy(conf);
    bench_samples_t s = {0};
    for (long i = 0; i < n + 200; i++) {
        struct redisReply *rep = NULL;
        double t0 = bench_now_us();
        if (ucrm_redis__eval(r, &nothing, 0, 0, NULL, NULL, &rep, NULL) != UCRM_OK)
            bench_die("eval");
        double t = bench_now_us() - t0;
        ucrm_redis__reply_free(rep);
        if (i >= 200)
            bench_samples_add(&s, t);
    }
    double med = bench_pct(&s, 50);
    printf("  %-26s a round trip of a script that does nothing: median %6.1f us, p99 %6.1f us\n", "floor", med,
           bench_pct(&s, 99));
    bench_samples_free(&s);
    ucrm_redis__release(r);
    return med;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : bench_scale(20000, 500);
    const char *url = getenv("UCRM_REDIS_URL");
    redis_srv_t *srv = NULL;
    if (!url || !*url) {
        const char *why = NULL;
        if (!redis_srv_available(&why)) {
            printf("redis_bench: skipped: %s\n", why);
            bench_row("7", "Redis limiter: acquire+done, median", "< 100 us", BENCH_INFO, "no redis-server");
            return 0;
        }
        if (!(srv = redis_srv_start(NULL)))
            bench_die("redis-server did not start");
        url = redis_srv_url(srv);
        /* as the other figures do with the fake: the server on CPU 0, the clients on CPU 1, so that a round trip
         * is not decided by whether the scheduler put both on one core */
        cpu_set_t cpus;
        CPU_ZERO(&cpus);
        CPU_SET(0, &cpus);
        if (bench_ncpus() >= 2 && sched_setaffinity(redis_srv_pid(srv), sizeof cpus, &cpus) == 0 && bench_pin(1))
            printf("redis-server on CPU 0, the benchmark on CPU 1\n");
    }
    printf("Redis limiter backend (figure 7) through %s, %ld acquire+done per thread\n", url, n);
    double p99, per_s, p99b, per_sb, per_s2, per_s4;
    double fl = floor_us(url, n);
    double med = bench(url, "window", 1, 1, "0", "0", n, &p99, &per_s);
    bench(url, "window", 4, 1, "0", "0", n / 4, &p99b, &per_s4);
    bench(url, "window", 4, 2, "0", "0", n / 4, &p99b, &per_s2);
    double medb = bench(url, "window+daily+concurrency", 1, 1, "100000000", "1000", n, &p99b, &per_sb);
    bench_row("7", "Redis limiter: acquire+done, median", "< 100 us", med < 100 ? BENCH_PASS : BENCH_MISS,
              "%.1f us", med);
    bench_row("7", "Redis limiter: acquire+done, p99", "", BENCH_INFO, "%.1f us", p99);
    bench_row("7", "Redis round trip floor (empty script)", "", BENCH_INFO, "%.1f us", fl);
    bench_row("7", "Redis, all buckets: median", "", BENCH_INFO, "%.1f us", medb);
    bench_row("7", "Redis, 4 threads: acquires/s", "", BENCH_INFO, "%.0f (2 limiters: %.0f)", per_s4, per_s2);
    redis_srv_stop(srv);
    return 0;
}
#endif /* UCRM_WITH_REDIS */
