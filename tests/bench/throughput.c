/*
 * throughput.c -- figure 2: unified gets per second over loopback against the local fake, keep-alive, side by
 * side in one run with
 *   - a bare libcurl loop (bench_curl: the same GET -- URL, Authorization, Accept, User-Agent, Accept-Encoding,
 *     TCP_NODELAY -- on one reused easy handle per thread, the body parsed with cJSON): the floor any
 *     libcurl-based client pays;
 *   - wrk with the same number of connections: the wire ceiling (no JSON, an event loop, no per-request
 *     allocation).
 * Each is run on 1 and on 4 threads (4 connections); unicrm's threads share one client (its pool of easy
 * handles). Because the machine is shared, unicrm and the bare loop alternate in short slices (order swapped
 * every slice): the share reported is the median of the per-slice shares, the rates the medians of the
 * per-slice rates; wrk (a process of its own) runs a few times and its median is reported.
 *
 * Pinning (when there are at least 2 CPUs): the fake runs on CPU 0, this program (and wrk, which inherits its
 * affinity) on CPU 1, so every client measured gets the same single core and the server never competes with
 * it. On a 2-core machine, 4 client threads therefore share one core: the 4-thread figures measure the CPU each
 * request costs (and what sharing one client costs: locks, pool) rather than parallel speed-up. The fake runs
 * one worker thread (it has one core): with two, the bare loop's rate fell to a quarter in some slices while
 * unicrm's did not, which made the comparison depend on how connections were spread over the workers.
 * Beside the rates, the client threads' CPU time per request (CLOCK_THREAD_CPUTIME_ID) is reported: it
 * depends much less on what else runs on the machine.
 *
 *   build/plain/bench/throughput      (BENCH_QUICK=1 for a short run)
 */
#include "bench.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { MAXT = 4 };

typedef struct target {
    const char *url;
    const char *const *headers; /* "Name: value", NULL-terminated: those unicrm sent */
    const char *user_agent;
    ucrm_client_t *c;
    const char *id;
    bench_curl_t *bare[MAXT]; /* one per thread, kept across slices (their connections stay open, as the
                               * client's do) */
} target_t;

typedef struct job {
    const target_t *t;
    pthread_barrier_t *start;
    double until_us;
    long done;
    double cpu_us; /* the thread's CPU time (user + system) while measured */
    bool curl;     /* bare libcurl, else unicrm */
    int i;     /* thread number */
} job_t;

/* ---------------------------------------------------------------------------------------------- the loops */

static double thread_cpu_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void *curl_loop(void *p) {
    job_t *j = p;
    bench_curl_t *b = j->t->bare[j->i];
    pthread_barrier_wait(j->start);
    double c0 = thread_cpu_us();
    while (bench_now_us() < j->until_us) {
        long st = bench_curl_get(b, NULL);
        if (st != 200)
            bench_die("bare libcurl GET failed (status %ld)", st);
        j->done++;
    }
    j->cpu_us = thread_cpu_us() - c0;
    return NULL;
}

static void *unicrm_loop(void *p) {
    job_t *j = p;
    pthread_barrier_wait(j->start);
    double c0 = thread_cpu_us();
    while (bench_now_us() < j->until_us) {
        ucrm_record_t *r = NULL;
        ucrm_error_t *e = NULL;
        ucrm_err_t rc = ucrm_get(j->t->c, UCRM_OBJECT_CONTACT, j->t->id, NULL, &r, &e);
        if (rc != UCRM_OK)
            bench_die("ucrm_get: %s: %s", ucrm_err_name(rc), ucrm_error_message(e));
        ucrm_record_destroy(r);
        j->done++;
    }
    j->cpu_us = thread_cpu_us() - c0;
    return NULL;
}

/* Requests per second of n threads running the loop for secs; *cpu (may be NULL): their CPU time per request. */
static double run_loop(const target_t *t, bool curl, int n, double secs, double *cpu) {
    pthread_t th[MAXT];
    job_t jobs[MAXT];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)n + 1);
    for (int i = 0; i < n; i++) {
        jobs[i] = (job_t){t, &start, 0, 0, 0, curl, i};
        pthread_create(&th[i], NULL, curl ? curl_loop : unicrm_loop, &jobs[i]);
    }
    double t0 = bench_now_us(), until = t0 + secs * 1e6;
    for (int i = 0; i < n; i++)
        jobs[i].until_us = until;
    pthread_barrier_wait(&start);
    t0 = bench_now_us();
    long total = 0;
    double cpu_us = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        total += jobs[i].done;
        cpu_us += jobs[i].cpu_us;
    }
    if (cpu)
        *cpu = total ? cpu_us / (double)total : 0;
    double dt = (bench_now_us() - t0) / 1e6;
    pthread_barrier_destroy(&start);
    return (double)total / dt;
}

/* wrk -t1 -cN for whole seconds; -1 when wrk is not installed or says nothing usable. */
static double run_wrk(const target_t *t, int conns, int secs) {
    char cmd[4096];
    int o = snprintf(cmd, sizeof cmd, "wrk -t1 -c%d -d%ds", conns, secs);
    for (size_t i = 0; t->headers[i] && o < (int)sizeof cmd - 256; i++)
        if (strncasecmp(t->headers[i], "User-Agent:", 11) != 0)
            o += snprintf(cmd + o, sizeof cmd - (size_t)o, " -H '%s'", t->headers[i]);
    snprintf(cmd + o, sizeof cmd - (size_t)o, " -H 'User-Agent: %s' '%s' 2>/dev/null", t->user_agent, t->url);
    fflush(stdout);
    /* wrk sizes its event loop for its own sockets (10 + 3 per connection): descriptors inherited from here
     * (the client's connections) would push its socket numbers past that, so none is inherited */
    for (int fd = 3; fd < 1024; fd++) {
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0)
            fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
    }
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[512];
    double rps = -1;
    long non2xx = 0;
    while (fgets(line, sizeof line, p)) {
        if (getenv("BENCH_DEBUG"))
            fputs(line, stderr);
        if (strncmp(line, "Requests/sec:", 13) == 0)
            rps = atof(line + 13);
        if (strstr(line, "Non-2xx or 3xx responses:"))
            non2xx = atol(strchr(line, ':') + 1);
    }
    if (pclose(p) != 0)
        return -1;
    if (non2xx)
        bench_die("wrk received %ld non-2xx answers: the measurement is not of the same request", non2xx);
    return rps;
}

static bool have_wrk(void) { return system("command -v wrk >/dev/null 2>&1") == 0; }

/* ---------------------------------------------------------------------------------------------- main */

static double median3(const double *v, int n) {
    bench_samples_t s = {0};
    for (int i = 0; i < n; i++)
        bench_samples_add(&s, v[i]);
    double m = bench_pct(&s, 50);
    bench_samples_free(&s);
    return m;
}

int main(void) {
    bool pinned = bench_ncpus() >= 2;
    if (pinned)
        setenv("UCRM_FAKE_WRAPPER", "taskset -c 0", 1);
    const char *args[] = {"--seed", "10", "--hubspot-rate", "1000000000/10000", "--hubspot-daily", "1000000000",
                          "--threads", "1", NULL};
    ucrm_fake_t *f = bench_fake(args);
    unsetenv("UCRM_FAKE_WRAPPER");
    if (pinned)
        bench_pin(1);

    char *id = bench_first_id(f, "hubspot", "contacts");
    /* a window far above what the loop reaches: the limiter runs, as for every user, but never waits */
    const char *extra[] = {"ratelimit.requests", "1000000", "ratelimit.interval.ms", "1000", NULL};
    ucrm_conf_t *conf = bench_conf(f, "hubspot", extra);
    char ua[256];
    size_t ual = sizeof ua;
    if (ucrm_conf_get(conf, "http.user.agent", ua, &ual, NULL) != UCRM_OK)
        bench_die("http.user.agent");

    /* the exact request a unified get sends */
    bench_replay_t *rp = bench_probe_get(f, conf, id);
    target_t t = {bench_replay_last_url(rp), bench_replay_last_headers(rp), ua, bench_client(conf), id, {NULL}};
    for (int i = 0; i < MAXT; i++)
        t.bare[i] = bench_curl_new(t.url, t.headers, ua, false);
    ucrm_conf_destroy(conf);
    printf("figure 2: loopback throughput, HubSpot GET %s\n", t.url + strlen(fake_url(f)));
    printf("  fake on CPU 0, clients on CPU 1: %s\n", pinned ? "yes" : "no (one CPU)");

    /* unicrm and bare libcurl alternate in short slices (the order swapped every slice), so that both see the
     * same background load on this shared machine; wrk runs on its own (a process) a few times, median */
    int slices = bench_quick() ? 2 : 16, wsecs = bench_quick() ? 1 : 2, wruns = bench_quick() ? 1 : 3;
    double slice = bench_quick() ? 0.2 : 0.3;
    bool wrk = have_wrk();
    const int threads[2] = {1, 4};
    run_loop(&t, false, 4, 0.2, NULL); /* warm-up: connections, the limiter's ring, the allocator */
    run_loop(&t, true, 4, 0.2, NULL);
    for (int ti = 0; ti < 2; ti++) {
        /* paired slices: the headline share is the median of the per-slice shares (robust to a slice that a
         * neighbour's build slowed down), the rates the medians of the per-slice rates */
        bench_samples_t ru = {0}, rc = {0}, share = {0}, cu = {0}, cc = {0};
        for (int k = 0; k < slices; k++) {
            double a, b, ca, cb;
            if (k % 2) {
                b = run_loop(&t, true, threads[ti], slice, &cb);
                a = run_loop(&t, false, threads[ti], slice, &ca);
            } else {
                a = run_loop(&t, false, threads[ti], slice, &ca);
                b = run_loop(&t, true, threads[ti], slice, &cb);
            }
            bench_samples_add(&ru, a);
            bench_samples_add(&rc, b);
            bench_samples_add(&share, a / b);
            bench_samples_add(&cu, ca);
            bench_samples_add(&cc, cb);
            if (getenv("BENCH_DEBUG"))
                fprintf(stderr, "  slice %d, %d threads: unicrm %.0f/s, bare %.0f/s\n", k, threads[ti], a, b);
        }
        double u = bench_pct(&ru, 50), c = bench_pct(&rc, 50), sh = bench_pct(&share, 50);
        double wr[3] = {0};
        for (int k = 0; k < wruns; k++)
            wr[k] = wrk ? run_wrk(&t, threads[ti], wsecs) : -1;
        double w = median3(wr, wruns);
        printf("  %d thread%s: unicrm %8.0f/s   bare libcurl %8.0f/s   share %.1f %% (median of %d alternating slices "
               "of %.1f s; quartiles %.1f..%.1f %%)   wrk %8.0f/s\n",
               threads[ti], threads[ti] > 1 ? "s" : " ", u, c, 100 * sh, slices, slice, 100 * bench_pct(&share, 25),
               100 * bench_pct(&share, 75), w);
        fflush(stdout);
        char m[96];
        snprintf(m, sizeof m, "unicrm gets/s, %d thread%s (share of bare libcurl)", threads[ti],
                 threads[ti] > 1 ? "s" : "");
        bench_row("2", m, ">= 90 %", sh >= 0.9 ? BENCH_PASS : BENCH_MISS, "%.0f/s (%.1f %%)", u, 100 * sh);
        snprintf(m, sizeof m, "bare libcurl + cJSON, %d thread%s", threads[ti], threads[ti] > 1 ? "s" : "");
        bench_row("2", m, "", BENCH_INFO, "%.0f/s", c);
        snprintf(m, sizeof m, "  client CPU per get (user + system), %d thread%s", threads[ti],
                 threads[ti] > 1 ? "s" : "");
        bench_row("2", m, "", BENCH_INFO, "unicrm %.1f us, bare libcurl %.1f us (ratio %.1f %%)", bench_pct(&cu, 50),
                  bench_pct(&cc, 50), 100 * bench_pct(&cc, 50) / bench_pct(&cu, 50));
        snprintf(m, sizeof m, "wrk -t1 -c%d (wire ceiling)", threads[ti]);
        if (w > 0)
            bench_row("2", m, "", BENCH_INFO, "%.0f/s (unicrm: %.1f %%)", w, 100 * u / w);
        else
            bench_row("2", m, "", BENCH_INFO, "not measured: wrk is not installed");
        bench_samples_free(&ru);
        bench_samples_free(&rc);
        bench_samples_free(&share);
        bench_samples_free(&cu);
        bench_samples_free(&cc);
    }
    long r429 = bench_fake_stat(f, "hubspot.429");
    if (r429)
        bench_die("the fake answered %ld 429s: its budget was not generous enough", r429);
    ucrm_client_destroy(t.c);
    for (int i = 0; i < MAXT; i++)
        bench_curl_free(t.bare[i]);
    bench_replay_free(rp);
    free(id);
    bench_fake_stop(f);
    return 0;
}
