/*
 * bench.h -- what the benchmark programs under tests/bench/ share: clocks, sample statistics, the result rows
 * that tests/bench/run-bench turns into the table of `make bench`, a counting allocator, resident memory, a
 * record-and-replay application transport, and clients of the local fake.
 *
 * A benchmark reports; it never passes or fails on a figure. A program exits non-zero only when it could not
 * measure (the fake did not start, a call failed): then the figure is missing, which is a bug to fix.
 *
 * Environment: BENCH_QUICK=1 selects the short smoke run (seconds in all); UCRM_FAKE_BIN names the fake.
 */
#ifndef UCRM_BENCH_H
#define UCRM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <unicrm/sys/transport.h>
#include <unicrm/unicrm.h>

#include "helpers/fake.h"

/* ---------------------------------------------------------------------------------------------- basics */

#if defined(__GNUC__)
#define BENCH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BENCH_PRINTF(f, a)
#endif

_Noreturn void bench_die(const char *fmt, ...) BENCH_PRINTF(1, 2);
double bench_now_us(void);      /* CLOCK_MONOTONIC, microseconds */
void bench_sleep_us(double us); /* no-op for us <= 0 */
bool bench_quick(void);         /* BENCH_QUICK=1 */
long bench_scale(long full, long quick);
/* Pins the calling process to one CPU when there are at least two (cpu < number of CPUs); false otherwise. */
bool bench_pin(int cpu);
int bench_ncpus(void);

/* ---------------------------------------------------------------------------------------------- samples */

typedef struct bench_samples {
    double *v;
    size_t n, cap;
    bool sorted;
} bench_samples_t;

void bench_samples_add(bench_samples_t *s, double x);
/* The p-th percentile (0..100, nearest rank) of the samples; 0 when there are none. Sorts them. */
double bench_pct(bench_samples_t *s, double p);
double bench_mean(const bench_samples_t *s);
void bench_samples_free(bench_samples_t *s);

/* Times fn(arg): n/10 untimed warm-up runs, then n runs timed one by one (each timing covers `inner` calls and
 * is divided by inner, for work shorter than the clock's resolution). Samples in microseconds. */
void bench_time(bench_samples_t *out, long n, int inner, void (*fn)(void *), void *arg);
/* One line: what, median, P99, runs. */
void bench_report(const char *what, bench_samples_t *s);

/* ---------------------------------------------------------------------------------------------- result rows */

enum { BENCH_INFO = -1, BENCH_MISS = 0, BENCH_PASS = 1 };

/* One row of the table: figure ("1", "2", ...), what was measured, the measured value, the target ("" for
 * none) and the verdict (BENCH_PASS, BENCH_MISS or BENCH_INFO when there is no target). Written to stdout as
 * "@row<TAB>fig<TAB>measure<TAB>value<TAB>target<TAB>result"; run-bench collects them. */
void bench_row(const char *fig, const char *measure, const char *target, int verdict, const char *value_fmt, ...)
    BENCH_PRINTF(5, 6);

/* ---------------------------------------------------------------------------------------------- memory */

/* Installs a counting allocator through ucrm_global_set_allocator(): call it before any other unicrm call.
 * It counts the allocations unicrm makes and those of cJSON (which unicrm routes through the same hooks): not
 * libcurl's or OpenSSL's. The count is per thread. */
void bench_count_allocs(void);
uint64_t bench_allocs(void); /* malloc + realloc calls on this thread since bench_count_allocs() */

long bench_rss_kb(void); /* VmRSS of this process, KiB */
long bench_hwm_kb(void); /* VmHWM (peak RSS) */

/* ---------------------------------------------------------------------------------------------- the fake */

/* Starts the fake (args NULL-terminated, "--port 0" added) or exits. */
ucrm_fake_t *bench_fake(const char *const *args);
void bench_fake_stop(ucrm_fake_t *f);
/* An integer of /__fake/stats (dotted path) or exits. */
long bench_fake_stat(const ucrm_fake_t *f, const char *dotted);
/* The id of the first record of provider/object ("hubspot"/"contacts", "salesforce"/"Contact"), malloc'd. */
char *bench_first_id(const ucrm_fake_t *f, const char *provider, const char *object);
/* Posts a JSON array of records to /__fake/records/{provider}/{object} (no budget used) or exits. */
void bench_fake_seed(const ucrm_fake_t *f, const char *provider, const char *object, const char *json_array);

/* A configuration for a client of the fake: provider "hubspot" (private-app token) or "salesforce" (a session
 * from the fake's token endpoint, api.url = the fake), then the NULL-terminated key/value pairs of extra. */
ucrm_conf_t *bench_conf(const ucrm_fake_t *f, const char *provider, const char *const *extra);
void bench_conf_set(ucrm_conf_t *conf, const char *key, const char *value); /* exits on error */
ucrm_client_t *bench_client(const ucrm_conf_t *conf);                      /* exits on error */

/* ---------------------------------------------------------------------------------------------- replay */

/* An application transport that answers each distinct request (method + URL) from a recording: the first time a
 * request is seen it is sent to the fake over plain libcurl (not through unicrm) and the answer (status,
 * headers, body) is kept; afterwards it is answered in process, with no network. Not thread-safe: one thread
 * per client. Also remembers the last request forwarded to the fake (URL and headers), for figures that send
 * the same request by other means. */
typedef struct bench_replay bench_replay_t;

bench_replay_t *bench_replay_new(const ucrm_fake_t *f);
void bench_replay_install(bench_replay_t *r, ucrm_conf_t *conf);
size_t bench_replay_recorded(const bench_replay_t *r); /* distinct requests sent to the fake */
const char *bench_replay_last_url(const bench_replay_t *r);
/* That request's headers as "Name: value" strings, NULL-terminated (valid until the next one is forwarded). */
const char *const *bench_replay_last_headers(const bench_replay_t *r);
void bench_replay_free(bench_replay_t *r);

/* The request a unified get of `id` sends through a client made from conf, seen through a replaying transport on
 * a copy of conf: read it with bench_replay_last_url/_headers, then bench_replay_free(). */
bench_replay_t *bench_probe_get(const ucrm_fake_t *f, const ucrm_conf_t *conf, const char *id);

/* ---------------------------------------------------------------------------------------------- bare libcurl */

/* The floor any libcurl-based client pays: one reused easy handle, a GET with the given headers ("Name: value",
 * NULL-terminated; a User-Agent among them is sent as CURLOPT_USERAGENT), the options unicrm's transport sets
 * that change what goes on the wire (Accept-Encoding, TCP_NODELAY), the body parsed with cJSON and freed. One
 * thread per handle. With server_time, the Server-Timing header is read too. */
typedef struct bench_curl bench_curl_t;

bench_curl_t *bench_curl_new(const char *url, const char *const *headers, const char *user_agent, bool server_time);
/* One GET; returns the HTTP status (0 on a transport failure or a body that is not JSON); *server_us (may be
 * NULL) receives the Server-Timing duration, 0 without one. */
long bench_curl_get(bench_curl_t *b, int64_t *server_us);
void bench_curl_free(bench_curl_t *b);

#endif /* UCRM_BENCH_H */
