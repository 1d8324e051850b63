/*
 * memory.c -- figure 5: resident memory.
 *   - Iterating 100,000 contacts one record at a time (ucrm_list + ucrm_iter_next, each record destroyed by the
 *     caller, as a sync loop does), default page sizes (HubSpot 100, Salesforce 2,000 per request): the growth
 *     of the peak RSS from the moment the first page has been read to the end (target < 8 MB), and RSS at 10 %,
 *     50 % and 100 % of the records to show it is flat in the record count. The peak is reset
 *     (/proc/self/clear_refs, 5) after the first page, so VmHWM at the end is the peak of the iteration itself.
 *   - An idle client: RSS added by ucrm_client_new, then by its first request (connection, buffers), and the
 *     average per client over 100 clients of 100 accounts (one request each).
 * Each measurement runs in a process of its own (forked before any unicrm call), so that one's heap does not
 * shape another's. The records are seeded through the fake's control API (no budget used).
 *
 *   build/plain/bench/memory           (BENCH_QUICK=1: 5,000 records)
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct result {
    long first_kb, at10_kb, at50_kb, end_kb, peak_kb, records;
    long idle_new_kb, idle_used_kb, per_client_kb, base_kb;
} result_t;

static void seed(const ucrm_fake_t *f, bool sf, long n) {
    const long chunk = 10000;
    size_t cap = (size_t)chunk * 256 + 16;
    char *buf = malloc(cap);
    for (long start = 0; start < n; start += chunk) {
        size_t o = 0;
        buf[o++] = '[';
        for (long i = start; i < n && i < start + chunk; i++) {
            if (i > start)
                buf[o++] = ',';
            o += (size_t)snprintf(
                buf + o, cap - o,
                sf ? "{\"FirstName\":\"Mem\",\"LastName\":\"Contact %ld\",\"Email\":\"mem.%ld@example.com\","
                     "\"Phone\":\"+1 555 %07ld\",\"Title\":\"Engineer\",\"MailingCity\":\"Boston\"}"
                   : "{\"firstname\":\"Mem\",\"lastname\":\"Contact %ld\",\"email\":\"mem.%ld@example.com\","
                     "\"phone\":\"+1 555 %07ld\",\"jobtitle\":\"Engineer\",\"city\":\"Boston\",\"lifecyclestage\":"
                     "\"lead\"}",
                i, i, i);
        }
        buf[o++] = ']';
        buf[o] = '\0';
        bench_fake_seed(f, sf ? "salesforce" : "hubspot", sf ? "Contact" : "contacts", buf);
    }
    free(buf);
}

static ucrm_conf_t *conf_for(const ucrm_fake_t *f, const char *provider) {
    const char *extra[] = {"ratelimit.requests", "1000000", "ratelimit.interval.ms", "1000", NULL};
    return bench_conf(f, provider, extra);
}

/* A client of its own account key (so that it has a limiter of its own, as a client of another account). */
static ucrm_client_t *client_keyed(const ucrm_conf_t *base, int k) {
    char key[32];
    snprintf(key, sizeof key, "mem-%d", k);
    ucrm_conf_t *conf = ucrm_conf_dup(base);
    if (!conf)
        bench_die("out of memory");
    bench_conf_set(conf, "ratelimit.key", key);
    ucrm_client_t *c = bench_client(conf);
    ucrm_conf_destroy(conf);
    return c;
}

static void get_one(ucrm_client_t *c, const char *id) {
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_get(c, UCRM_OBJECT_CONTACT, id, NULL, &r, &e) != UCRM_OK)
        bench_die("get: %s", ucrm_error_message(e));
    ucrm_record_destroy(r);
}

static void reset_peak(void) {
    FILE *c = fopen("/proc/self/clear_refs", "w");
    if (!c || fputs("5", c) < 0 || fclose(c) != 0)
        bench_die("cannot reset the peak RSS (/proc/self/clear_refs)");
}

static void iterate(const ucrm_fake_t *f, const char *provider, long n, result_t *out) {
    ucrm_conf_t *conf = conf_for(f, provider);
    ucrm_client_t *c = bench_client(conf);
    ucrm_conf_destroy(conf);
    ucrm_iter_t *it = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_list(c, UCRM_OBJECT_CONTACT, NULL, &it, &e) != UCRM_OK)
        bench_die("list: %s", ucrm_error_message(e));
    ucrm_record_t *r = NULL;
    ucrm_err_t rc;
    long got = 0;
    while ((rc = ucrm_iter_next(it, &r, &e)) == UCRM_OK) {
        ucrm_record_destroy(r);
        if (++got == 1) {
            out->first_kb = bench_rss_kb();
            reset_peak();
        }
        if (got == n / 10)
            out->at10_kb = bench_rss_kb();
        if (got == n / 2)
            out->at50_kb = bench_rss_kb();
    }
    if (rc != UCRM_ITEROVER)
        bench_die("iteration: %s: %s", ucrm_err_name(rc), ucrm_error_message(e));
    if (got != n)
        bench_die("iterated %ld records, not %ld", got, n);
    out->end_kb = bench_rss_kb();
    out->peak_kb = bench_hwm_kb();
    out->records = got;
    ucrm_iter_destroy(it);
    ucrm_client_destroy(c);
}

static void idle(const ucrm_fake_t *f, const char *provider, result_t *out) {
    char *id = bench_first_id(f, provider, strcmp(provider, "salesforce") == 0 ? "Contact" : "contacts");
    ucrm_conf_t *conf = conf_for(f, provider);
    if (ucrm_global_init() != UCRM_OK)
        bench_die("ucrm_global_init");
    out->base_kb = bench_rss_kb();
    ucrm_client_t *c = client_keyed(conf, 0);
    out->idle_new_kb = bench_rss_kb() - out->base_kb;
    get_one(c, id);
    out->idle_used_kb = bench_rss_kb() - out->base_kb;
    enum { MORE = 99 };
    ucrm_client_t *more[MORE];
    long before = bench_rss_kb();
    for (int i = 0; i < MORE; i++) {
        more[i] = client_keyed(conf, i + 1);
        get_one(more[i], id);
    }
    out->per_client_kb = (bench_rss_kb() - before) / MORE;
    for (int i = 0; i < MORE; i++)
        ucrm_client_destroy(more[i]);
    ucrm_client_destroy(c);
    ucrm_conf_destroy(conf);
    free(id);
}

static void in_child(void (*fn)(void *), void *arg) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn(arg);
        fflush(stdout);
        _exit(0);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        bench_die("a memory measurement failed");
}

typedef struct job {
    const ucrm_fake_t *f;
    const char *provider;
    long n;
    result_t *out;
} job_t;

static void run_seed(void *p) {
    job_t *j = p;
    seed(j->f, strcmp(j->provider, "salesforce") == 0, j->n - 1); /* + the one seeded at start */
}

static void run_iterate(void *p) {
    job_t *j = p;
    iterate(j->f, j->provider, j->n, j->out);
}

static void run_idle(void *p) {
    job_t *j = p;
    idle(j->f, j->provider, j->out);
}

int main(void) {
    long n = bench_scale(100000, 5000);
    result_t *res = mmap(NULL, 2 * sizeof *res, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (res == MAP_FAILED)
        bench_die("mmap");
    memset(res, 0, 2 * sizeof *res);
    /* one record of each type to start with (the idle clients read it); this process only forks: seeding, which
     * leaves freed memory behind, and each measurement run in processes of their own */
    const char *args[] = {"--seed", "1", "--hubspot-rate", "1000000000/10000", "--hubspot-daily", "1000000000",
                          "--salesforce-daily", "1000000000", NULL};
    ucrm_fake_t *f = bench_fake(args);
    printf("figure 5: resident memory (VmRSS, VmHWM), %ld contacts per provider\n", n);
    fflush(stdout);
    const char *prov[2] = {"hubspot", "salesforce"}, *names[2] = {"HubSpot", "Salesforce"};
    for (int p = 0; p < 2; p++) {
        job_t j = {f, prov[p], n, &res[p]};
        in_child(run_idle, &j);
        double t0 = bench_now_us();
        in_child(run_seed, &j);
        double t1 = bench_now_us();
        in_child(run_iterate, &j);
        double t2 = bench_now_us();
        const result_t *r = &res[p];
        long growth = r->peak_kb - r->first_kb;
        printf("  %s: RSS after the first page %ld KB, at 10 %% %ld KB, at 50 %% %ld KB, at the end %ld KB; peak "
               "after the first page %ld KB (seeded in %.1f s, iterated in %.1f s)\n",
               names[p], r->first_kb, r->at10_kb, r->at50_kb, r->end_kb, r->peak_kb, (t1 - t0) / 1e6,
               (t2 - t1) / 1e6);
        printf("  %s: idle client: +%ld KB for ucrm_client_new, +%ld KB after its first request; %ld KB per client "
               "over 99 more clients; the process before the client: %ld KB\n",
               names[p], r->idle_new_kb, r->idle_used_kb, r->per_client_kb, r->base_kb);
        char m[96];
        snprintf(m, sizeof m, "%s: peak RSS growth iterating %ld records", names[p], n);
        bench_row("5", m, "< 8 MB, flat", growth < 8 * 1024 ? BENCH_PASS : BENCH_MISS,
                  "%.2f MB (RSS %.1f / %.1f / %.1f MB at 10/50/100 %%)", growth / 1024.0, r->at10_kb / 1024.0,
                  r->at50_kb / 1024.0, r->end_kb / 1024.0);
        snprintf(m, sizeof m, "%s: RSS of an idle client (after 1 request)", names[p]);
        bench_row("5", m, "", BENCH_INFO, "%ld KB (%ld KB each over 100 clients)", r->idle_used_kb,
                  r->per_client_kb);
    }
    bench_fake_stop(f);
    return 0;
}
