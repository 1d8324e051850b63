/*
 * latency.c -- figure 6: the latency unicrm adds under load. 8 threads make gets on a fixed schedule at 80 % of
 * HubSpot's 190 per 10 s (152 per 10 s: one every 65.8 ms, taken by whichever thread is free) for 60 s against
 * the fake. The calls alternate between unicrm (ucrm_get on one shared client at its defaults) and a bare
 * libcurl client (bench_curl: the same request on a handle per thread, body parsed with cJSON), so that both
 * see the same machine, the same server and the same rate; together they make the 80 %.
 * Per unicrm call:
 *   total   time around ucrm_get (+ destroying the record), measured by the caller
 *   server  the fake's own handler time, from its Server-Timing header
 *           (ucrm_request_info_server_time_us, summed over the call's attempts)
 *   wire    the transport's time for the attempts (ucrm_request_info_elapsed_us: curl_easy_perform, i.e.
 *           libcurl, the loopback network, the fake's HTTP layer and its handler)
 *   wait    time waiting for the rate limiter (ucrm_request_info_limiter_wait_us)
 * and P50/P95/P99 of
 *   own     = total - server: all that is not the server's work (what the issue asks for), next to the bare
 *             client's own time (its total - the same header's server time)
 *   library = total - wire - wait: unicrm outside curl_easy_perform (request building, pipeline, limiter
 *             bookkeeping, header list, parsing, conversion)
 * plus the limiter's wait (at 80 % of the limit a call never needs to wait) and the 429s the fake sent.
 * At this rate a call comes every 65 ms per client: the CPU's caches are cold for every call, so these times
 * are far above figure 1's back-to-back ones (see docs/PERFORMANCE.md).
 *
 *   build/plain/bench/latency          (BENCH_QUICK=1: 3 s at 80 % of 40 per 1 s)
 */
#include "bench.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NTHREADS = 8 };

typedef struct seen {
    int64_t elapsed_us, server_us, wait_us;
    int attempts;
} seen_t;

static _Thread_local seen_t t_seen;

static void observe(const ucrm_request_info_t *info, void *opaque) {
    (void)opaque;
    t_seen.elapsed_us += ucrm_request_info_elapsed_us(info);
    t_seen.server_us += ucrm_request_info_server_time_us(info);
    t_seen.wait_us += ucrm_request_info_limiter_wait_us(info);
    t_seen.attempts++;
}

typedef struct shared {
    ucrm_client_t *c;
    const char *id;
    const char *url, *ua;
    const char *const *headers;
    double t0_us, period_us, end_us;
    atomic_long next;
    pthread_mutex_t lock;
    pthread_barrier_t warm, go;
    bench_samples_t total, server, own, library, wire_rest, wait; /* unicrm */
    bench_samples_t bare_total, bare_own;                          /* bare libcurl */
    long retries, failed;
} shared_t;

static void unicrm_call(shared_t *s) {
    memset(&t_seen, 0, sizeof t_seen);
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    double t0 = bench_now_us();
    ucrm_err_t rc = ucrm_get(s->c, UCRM_OBJECT_CONTACT, s->id, NULL, &r, &e);
    ucrm_record_destroy(r);
    double total = bench_now_us() - t0;
    pthread_mutex_lock(&s->lock);
    if (rc != UCRM_OK) {
        s->failed++;
        fprintf(stderr, "  get: %s: %s\n", ucrm_err_name(rc), ucrm_error_message(e));
    } else {
        double server = (double)t_seen.server_us, wire = (double)t_seen.elapsed_us, wait = (double)t_seen.wait_us;
        bench_samples_add(&s->total, total);
        bench_samples_add(&s->server, server);
        bench_samples_add(&s->own, total - server);
        bench_samples_add(&s->library, total - wire - wait);
        bench_samples_add(&s->wire_rest, wire - server);
        bench_samples_add(&s->wait, wait);
        s->retries += t_seen.attempts - 1;
    }
    pthread_mutex_unlock(&s->lock);
    ucrm_error_destroy(e);
}

static void bare_call(shared_t *s, bench_curl_t *b) {
    int64_t server = 0;
    double t0 = bench_now_us();
    long st = bench_curl_get(b, &server);
    double total = bench_now_us() - t0;
    pthread_mutex_lock(&s->lock);
    if (st != 200) {
        s->failed++;
        fprintf(stderr, "  bare libcurl GET: status %ld\n", st);
    } else {
        bench_samples_add(&s->bare_total, total);
        bench_samples_add(&s->bare_own, total - (double)server);
    }
    pthread_mutex_unlock(&s->lock);
}

static void *work(void *p) {
    shared_t *s = p;
    bench_curl_t *b = bench_curl_new(s->url, s->headers, s->ua, true);
    /* warm-up, not measured: each thread's connections (its curl handle, and one of the client's pool) */
    ucrm_record_t *r = NULL;
    if (bench_curl_get(b, NULL) != 200 || ucrm_get(s->c, UCRM_OBJECT_CONTACT, s->id, NULL, &r, NULL) != UCRM_OK)
        bench_die("warm-up call failed");
    ucrm_record_destroy(r);
    pthread_barrier_wait(&s->warm);
    pthread_barrier_wait(&s->go);
    for (;;) {
        long k = atomic_fetch_add(&s->next, 1);
        double at = s->t0_us + (double)k * s->period_us;
        if (at >= s->end_us)
            break;
        bench_sleep_us(at - bench_now_us());
        if (k % 2 == 0)
            unicrm_call(s);
        else
            bare_call(s, b);
    }
    bench_curl_free(b);
    return NULL;
}

static void line(const char *what, bench_samples_t *v) {
    printf("  %-64s P50 %8.1f us   P95 %8.1f us   P99 %8.1f us   max %8.1f us\n", what, bench_pct(v, 50),
           bench_pct(v, 95), bench_pct(v, 99), bench_pct(v, 100));
}

int main(void) {
    bool quick = bench_quick();
    int rate = quick ? 40 : 190, iv = quick ? 1000 : 10000;
    double secs = quick ? 3 : 60;
    char rs[32], req[16], ivs[16];
    snprintf(rs, sizeof rs, "%d/%d", rate, iv);
    const char *args[] = {"--seed", "3", "--hubspot-rate", rs, NULL};
    ucrm_fake_t *f = bench_fake(args);
    char *id = bench_first_id(f, "hubspot", "contacts");
    ucrm_conf_t *conf = bench_conf(f, "hubspot", NULL);
    if (quick) {
        snprintf(req, sizeof req, "%d", rate);
        snprintf(ivs, sizeof ivs, "%d", iv);
        bench_conf_set(conf, "ratelimit.requests", req);
        bench_conf_set(conf, "ratelimit.interval.ms", ivs);
    }
    ucrm_conf_set_request_observer(conf, observe, NULL);
    char ua[256];
    size_t ual = sizeof ua;
    if (ucrm_conf_get(conf, "http.user.agent", ua, &ual, NULL) != UCRM_OK)
        bench_die("http.user.agent");
    bench_replay_t *rp = bench_probe_get(f, conf, id);
    shared_t s;
    memset(&s, 0, sizeof s);
    s.c = bench_client(conf);
    ucrm_conf_destroy(conf);
    s.id = id;
    s.url = bench_replay_last_url(rp);
    s.headers = bench_replay_last_headers(rp);
    s.ua = ua;
    pthread_mutex_init(&s.lock, NULL);
    s.period_us = (double)iv * 1000.0 / (0.8 * rate);
    printf("figure 6: latency added at 80 %% of %d per %d ms (one get every %.1f ms), %d threads, %.0f s\n", rate, iv,
           s.period_us / 1000, NTHREADS, secs);
    fflush(stdout);
    pthread_barrier_init(&s.warm, NULL, NTHREADS + 1);
    pthread_barrier_init(&s.go, NULL, NTHREADS + 1);
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&th[i], NULL, work, &s);
    pthread_barrier_wait(&s.warm);
    /* the warm-up calls are in the window too: in the full run they fit beside the first 10 s of the schedule
     * (16 + 152 < 171, the NORMAL share); the quick run's tiny window is left to empty first */
    s.t0_us = bench_now_us() + (quick ? iv * 1000.0 : 100000);
    s.end_us = s.t0_us + secs * 1e6;
    pthread_barrier_wait(&s.go);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    long r429 = bench_fake_stat(f, "hubspot.429");

    printf("  %zu unicrm calls, %zu bare libcurl calls, %ld failed, %ld retried attempts, %ld 429s from the fake\n",
           s.total.n, s.bare_total.n, s.failed, s.retries, r429);
    line("unicrm total (around ucrm_get)", &s.total);
    line("  server (the fake's handler, Server-Timing)", &s.server);
    line("  own = total - server", &s.own);
    line("    wire - server (libcurl, loopback, the fake's HTTP layer)", &s.wire_rest);
    line("    library = total - wire - wait (unicrm outside libcurl)", &s.library);
    line("    limiter wait", &s.wait);
    line("bare libcurl + cJSON total", &s.bare_total);
    line("  own = total - server", &s.bare_own);

    char m[128];
    snprintf(m, sizeof m, "unicrm own time per get at 80 %% of %d/%d ms", rate, iv);
    bench_row("6", m, "", BENCH_INFO, "P50 %.0f / P95 %.0f / P99 %.0f us", bench_pct(&s.own, 50),
              bench_pct(&s.own, 95), bench_pct(&s.own, 99));
    bench_row("6", "  bare libcurl + cJSON, same schedule", "", BENCH_INFO, "P50 %.0f / P95 %.0f / P99 %.0f us",
              bench_pct(&s.bare_own, 50), bench_pct(&s.bare_own, 95), bench_pct(&s.bare_own, 99));
    bench_row("6", "  unicrm outside libcurl (total - wire - wait)", "", BENCH_INFO,
              "P50 %.1f / P95 %.1f / P99 %.1f us", bench_pct(&s.library, 50), bench_pct(&s.library, 95),
              bench_pct(&s.library, 99));
    bench_row("6", "  limiter wait P99, max; 429s; failed calls", "", BENCH_INFO, "%.0f us, %.0f us; %ld; %ld",
              bench_pct(&s.wait, 99), bench_pct(&s.wait, 100), r429, s.failed);

    bench_samples_free(&s.total);
    bench_samples_free(&s.server);
    bench_samples_free(&s.own);
    bench_samples_free(&s.library);
    bench_samples_free(&s.wire_rest);
    bench_samples_free(&s.wait);
    bench_samples_free(&s.bare_total);
    bench_samples_free(&s.bare_own);
    bench_replay_free(rp);
    pthread_mutex_destroy(&s.lock);
    pthread_barrier_destroy(&s.warm);
    pthread_barrier_destroy(&s.go);
    ucrm_client_destroy(s.c);
    free(id);
    bench_fake_stop(f);
    return s.failed ? 1 : 0;
}
