/*
 * budget.c -- figure 3: rate-limit efficiency. 8 threads share one client and call ucrm_get back to back for
 * 60 s against the fake, which enforces HubSpot's rolling window; the fake's /__fake/stats is the judge:
 *   budget used = requests the fake accepted / (duration x the window's rate)   (target >= 97 %)
 *   429s        = rate-limit answers the fake sent                               (target 0)
 * Scenarios, each against a fake of its own and with a ratelimit.key of its own, run at the same time (the
 * load is a few dozen requests a second: they do not disturb one another):
 *   190 / 10 s   HubSpot Professional/Enterprise private app: the fake's default, the client's ratelimit.* at
 *                their defaults but ratelimit.reserve.high.percent=0 (every call has the same priority, so the
 *                whole window is theirs);
 *   100 / 10 s   the lower tier (Free/Starter): --hubspot-rate 100/10000 and ratelimit.requests=100, same;
 *   190 / 10 s, all defaults: the default keeps 10 % of the window for UCRM_PRIORITY_HIGH calls, so NORMAL
 *                calls alone use at most 171 of 190 slots: shown for information, by design below 97 %.
 * A call may not run past the end: its timeout is the time left, and a RATE_LIMITED answer whose retry-after
 * falls after the end counts as deferred (the application would come back then), not as a failure.
 *
 *   build/plain/bench/budget           (BENCH_QUICK=1: 3 s at 19/1 s and 10/1 s)
 */
#include "bench.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NSCEN = 3, NTHREADS = 8 };

typedef struct scen {
    const char *name;
    int rate, interval_ms;
    bool reserve0;       /* ratelimit.reserve.high.percent=0 */
    bool has_target;
    ucrm_fake_t *f;
    ucrm_client_t *c;
    char *id;
    long ok, failed, deferred;
    pthread_mutex_t lock;
} scen_t;

typedef struct worker {
    scen_t *s;
    double until_us;
} worker_t;

static void *work(void *p) {
    worker_t *w = p;
    scen_t *s = w->s;
    long ok = 0, failed = 0, deferred = 0;
    for (double left; (left = w->until_us - bench_now_us()) > 1000;) {
        ucrm_reqopts_t *o = NULL;
        ucrm_error_t *e = NULL;
        ucrm_record_t *r = NULL;
        if (ucrm_reqopts_new(&o) != UCRM_OK || ucrm_reqopts_set_timeout_ms(o, (int64_t)(left / 1000)) != UCRM_OK)
            bench_die("reqopts");
        ucrm_err_t rc = ucrm_get(s->c, UCRM_OBJECT_CONTACT, s->id, o, &r, &e);
        ucrm_reqopts_destroy(o);
        ucrm_record_destroy(r);
        if (rc == UCRM_OK) {
            ok++;
        } else if (rc == UCRM_ERR_RATE_LIMITED &&
                   bench_now_us() + (double)ucrm_error_retry_after_ms(e) * 1000 >= w->until_us) {
            deferred++;
            bench_sleep_us(w->until_us - bench_now_us());
        } else {
            failed++;
            fprintf(stderr, "  %s: %s: %s\n", s->name, ucrm_err_name(rc), ucrm_error_message(e));
        }
        ucrm_error_destroy(e);
    }
    pthread_mutex_lock(&s->lock);
    s->ok += ok;
    s->failed += failed;
    s->deferred += deferred;
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void start(scen_t *s, int k) {
    char rate[48], key[32], req[16], iv[16];
    snprintf(rate, sizeof rate, "%d/%d", s->rate, s->interval_ms);
    const char *args[] = {"--seed", "3", "--hubspot-rate", rate, NULL};
    s->f = bench_fake(args);
    s->id = bench_first_id(s->f, "hubspot", "contacts");
    snprintf(key, sizeof key, "budget-%d", k);
    snprintf(req, sizeof req, "%d", s->rate);
    snprintf(iv, sizeof iv, "%d", s->interval_ms);
    ucrm_conf_t *conf = bench_conf(s->f, "hubspot", NULL);
    bench_conf_set(conf, "ratelimit.key", key);
    /* only what differs from the defaults (190 per 10,000 ms) */
    if (s->rate != 190)
        bench_conf_set(conf, "ratelimit.requests", req);
    if (s->interval_ms != 10000)
        bench_conf_set(conf, "ratelimit.interval.ms", iv);
    if (s->reserve0)
        bench_conf_set(conf, "ratelimit.reserve.high.percent", "0");
    s->c = bench_client(conf);
    ucrm_conf_destroy(conf);
    pthread_mutex_init(&s->lock, NULL);
}

int main(void) {
    bool quick = bench_quick();
    int iv = quick ? 1000 : 10000;
    double secs = quick ? 3 : 60;
    scen_t sc[NSCEN] = {
        {"190 per 10 s", quick ? 19 : 190, iv, true, true},
        {"100 per 10 s", quick ? 10 : 100, iv, true, true},
        {"190 per 10 s, default reserve", quick ? 19 : 190, iv, false, false},
    };
    if (quick) {
        sc[0].name = "19 per 1 s";
        sc[1].name = "10 per 1 s";
        sc[2].name = "19 per 1 s, default reserve";
    }
    for (int k = 0; k < NSCEN; k++)
        start(&sc[k], k);
    printf("figure 3: rate-limit efficiency, %d threads per client, %.0f s, scenarios side by side\n", NTHREADS, secs);
    fflush(stdout);

    worker_t w[NSCEN][NTHREADS];
    pthread_t th[NSCEN][NTHREADS];
    double t0 = bench_now_us();
    for (int k = 0; k < NSCEN; k++)
        for (int i = 0; i < NTHREADS; i++) {
            w[k][i] = (worker_t){&sc[k], t0 + secs * 1e6};
            pthread_create(&th[k][i], NULL, work, &w[k][i]);
        }
    for (int k = 0; k < NSCEN; k++)
        for (int i = 0; i < NTHREADS; i++)
            pthread_join(th[k][i], NULL);
    double took = (bench_now_us() - t0) / 1e6;

    for (int k = 0; k < NSCEN; k++) {
        scen_t *s = &sc[k];
        long req = bench_fake_stat(s->f, "hubspot.requests"), r429 = bench_fake_stat(s->f, "hubspot.429");
        long accepted = req - r429;
        double allowed = secs * 1000.0 / s->interval_ms * s->rate;
        double used = 100.0 * (double)accepted / allowed;
        printf("  %-30s accepted %5ld of %5.0f (%.1f %%), 429s %ld, calls ok %ld, failed %ld, deferred past the "
               "end %ld; ran %.1f s\n",
               s->name, accepted, allowed, used, r429, s->ok, s->failed, s->deferred, took);
        char m[96];
        snprintf(m, sizeof m, "%s: budget used", s->name);
        if (s->has_target) {
            bench_row("3", m, ">= 97 %", used >= 97.0 && !s->failed ? BENCH_PASS : BENCH_MISS,
                      "%.1f %% (%ld of %.0f)", used, accepted, allowed);
            snprintf(m, sizeof m, "%s: 429s received", s->name);
            bench_row("3", m, "0", r429 == 0 ? BENCH_PASS : BENCH_MISS, "%ld", r429);
        } else {
            bench_row("3", m, "", BENCH_INFO, "%.1f %% (%ld of %.0f; 429s: %ld)", used, accepted, allowed, r429);
        }
        ucrm_client_destroy(s->c);
        free(s->id);
        bench_fake_stop(s->f);
        pthread_mutex_destroy(&s->lock);
    }
    return 0;
}
