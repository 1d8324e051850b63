/*
 * demo_util.h -- small helpers of examples/sync_demo.c that have nothing to do with unicrm: a string -> index
 * hash map, a progress line (live on a terminal, plain lines otherwise), and reading numbers out of the client's
 * statistics JSON. Kept apart so that sync_demo.c reads as the sync itself.
 */
#ifndef UCRM_DEMO_UTIL_H
#define UCRM_DEMO_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* ---- an index: string key -> size_t (open addressing; keys are copied) */
typedef struct demo_index {
    char **keys;
    size_t *vals;
    size_t cap, n;
} demo_index_t;

/* Looks key up: 1 and *val when present, else 0. */
int demo_index_get(const demo_index_t *ix, const char *key, size_t *val);
/* Inserts or replaces. 0, or -1 when out of memory. */
int demo_index_put(demo_index_t *ix, const char *key, size_t val);
/* Removes key (absent keys are fine). */
void demo_index_del(demo_index_t *ix, const char *key);
void demo_index_free(demo_index_t *ix);

/* ---- progress: a live line on a terminal ("\r...", rewritten in place), nothing until the step ends otherwise */
void demo_progress_init(int force_plain);
int demo_progress_is_tty(void);
/* Rewrites the live line (terminal only; rate-limited to ~20 updates per second). */
void demo_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends the step: clears the live line and prints a permanent one. */
void demo_done(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- statistics JSON (ucrm_client_stats_json): a number by dotted path ("http.retries"), or dflt when absent */
double demo_json_num(const char *json, const char *path, double dflt);

/* ---- misc */
int64_t demo_now_ms(void);
/* "12,345" into buf */
const char *demo_thousands(long long v, char buf[32]);

#endif
