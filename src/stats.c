/*
 * stats.c -- client metrics: calls and errors per operation, errors by code, HTTP statuses, retries, 429s,
 * token refreshes, limiter wait, and latency percentiles from log-linear histograms (no samples stored).
 */
#include "stats_int.h"

#include <pthread.h>

/* Histogram of microsecond values: 8 linear sub-buckets per power of two, up to ~2^38 us (76 hours). */
#define SUB 8
#define OCTAVES 38
#define NBUCKETS (SUB * OCTAVES)

typedef struct hist {
    uint64_t b[NBUCKETS];
    uint64_t n;
    int64_t max;
    int64_t sum;
} hist_t;

static int bucket_of(int64_t us) {
    if (us < SUB)
        return us < 0 ? 0 : (int)us;
    int msb = 63 - __builtin_clzll((unsigned long long)us); /* >= 3 */
    int sub = (int)((us >> (msb - 3)) & (SUB - 1));
    int idx = (msb - 2) * SUB + sub;
    return idx < NBUCKETS ? idx : NBUCKETS - 1;
}

/* Upper bound of a bucket, in us. */
static int64_t bucket_hi(int idx) {
    if (idx < SUB)
        return idx;
    int msb = idx / SUB + 2;
    int sub = idx % SUB;
    return ((int64_t)(SUB + sub + 1) << (msb - 3)) - 1;
}

static void hist_add(hist_t *h, int64_t us) {
    h->b[bucket_of(us)]++;
    h->n++;
    h->sum += us;
    if (us > h->max)
        h->max = us;
}

static double hist_pct(const hist_t *h, double p) {
    if (!h->n)
        return 0;
    uint64_t want = (uint64_t)(p * (double)h->n + 0.5);
    if (want < 1)
        want = 1;
    uint64_t acc = 0;
    for (int i = 0; i < NBUCKETS; i++) {
        acc += h->b[i];
        if (acc >= want) {
            int64_t hi = bucket_hi(i);
            return (double)(hi < h->max ? hi : h->max) / 1000.0;
        }
    }
    return (double)h->max / 1000.0;
}

#define MAX_OPS 16
#define MAX_CODES 40
#define MAX_STATUS 24

typedef struct op_stats {
    const char *op; /* static string */
    uint64_t calls, errors;
    uint64_t attempts, retries, rate_limited;
    int64_t wait_us;
    hist_t lat; /* whole calls */
} op_stats_t;

typedef struct code_count {
    ucrm_err_t code;
    uint64_t n;
} code_count_t;

typedef struct status_count {
    int status;
    uint64_t n;
} status_count_t;

struct ucrm_stats {
    pthread_mutex_t lock;
    op_stats_t ops[MAX_OPS];
    size_t nops;
    code_count_t errors[MAX_CODES];
    size_t nerrors;
    status_count_t status[MAX_STATUS];
    size_t nstatus;
    uint64_t attempts, retries, rate_limited;
    uint64_t events[UCRM_STAT__COUNT];
    int64_t wait_us_total;
    hist_t all;  /* whole calls */
    hist_t http; /* single attempts, time on the wire */
};

ucrm_stats_t *ucrm_stats__new(void) {
    ucrm_stats_t *s = ucrm__calloc(1, sizeof *s);
    if (s)
        pthread_mutex_init(&s->lock, NULL);
    return s;
}

void ucrm_stats__destroy(ucrm_stats_t *s) {
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    ucrm__free(s);
}

static op_stats_t *op_slot(ucrm_stats_t *s, const char *op) {
    for (size_t i = 0; i < s->nops; i++)
        if (s->ops[i].op == op || strcmp(s->ops[i].op, op) == 0)
            return &s->ops[i];
    if (s->nops == MAX_OPS)
        return NULL;
    s->ops[s->nops].op = op;
    return &s->ops[s->nops++];
}

void ucrm_stats__attempt(ucrm_stats_t *s, const char *op, int status, ucrm_err_t err, int64_t elapsed_us,
                         int64_t limiter_wait_us, bool rate_limited) {
    (void)err;
    pthread_mutex_lock(&s->lock);
    s->attempts++;
    s->wait_us_total += limiter_wait_us;
    s->rate_limited += rate_limited;
    hist_add(&s->http, elapsed_us);
    op_stats_t *o = op_slot(s, op);
    if (o) {
        o->attempts++;
        o->rate_limited += rate_limited;
        o->wait_us += limiter_wait_us;
    }
    size_t i = 0;
    while (i < s->nstatus && s->status[i].status != status)
        i++;
    if (i < s->nstatus)
        s->status[i].n++;
    else if (s->nstatus < MAX_STATUS)
        s->status[s->nstatus++] = (status_count_t){status, 1};
    pthread_mutex_unlock(&s->lock);
}

void ucrm_stats__call(ucrm_stats_t *s, const char *op, ucrm_err_t result, int64_t total_us) {
    pthread_mutex_lock(&s->lock);
    op_stats_t *o = op_slot(s, op);
    bool failed = result < 0 && result != UCRM_ERR_PARTIAL;
    if (o) {
        o->calls++;
        o->errors += failed ? 1 : 0;
        hist_add(&o->lat, total_us);
    }
    hist_add(&s->all, total_us);
    if (result < 0) {
        size_t i = 0;
        while (i < s->nerrors && s->errors[i].code != result)
            i++;
        if (i < s->nerrors)
            s->errors[i].n++;
        else if (s->nerrors < MAX_CODES)
            s->errors[s->nerrors++] = (code_count_t){result, 1};
    }
    pthread_mutex_unlock(&s->lock);
}

void ucrm_stats__retry(ucrm_stats_t *s, const char *op) {
    pthread_mutex_lock(&s->lock);
    s->retries++;
    op_stats_t *o = op_slot(s, op);
    if (o)
        o->retries++;
    pthread_mutex_unlock(&s->lock);
}

void ucrm_stats__event(ucrm_stats_t *s, ucrm_stat_event_t ev) {
    if ((unsigned)ev >= UCRM_STAT__COUNT)
        return;
    pthread_mutex_lock(&s->lock);
    s->events[ev]++;
    pthread_mutex_unlock(&s->lock);
}

static void lat_json(ucrm_buf_t *b, const hist_t *h) {
    ucrm_buf__printf(b, "\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f", hist_pct(h, 0.50),
                     hist_pct(h, 0.95), hist_pct(h, 0.99), (double)h->max / 1000.0);
}

void ucrm_stats__json(ucrm_stats_t *s, ucrm_buf_t *b) {
    pthread_mutex_lock(&s->lock);
    ucrm_buf__puts(b, "\"calls\":{");
    for (size_t i = 0; i < s->nops; i++) {
        const op_stats_t *o = &s->ops[i];
        ucrm_buf__printf(b,
                         "%s\"%s\":{\"count\":%llu,\"errors\":%llu,\"attempts\":%llu,\"retries\":%llu,"
                         "\"rate_limited_429\":%llu,\"limiter_wait_ms\":%.3f,",
                         i ? "," : "", o->op, (unsigned long long)o->calls, (unsigned long long)o->errors,
                         (unsigned long long)o->attempts, (unsigned long long)o->retries,
                         (unsigned long long)o->rate_limited, (double)o->wait_us / 1000.0);
        lat_json(b, &o->lat);
        ucrm_buf__putc(b, '}');
    }
    ucrm_buf__puts(b, "},\"errors\":{");
    for (size_t i = 0; i < s->nerrors; i++)
        ucrm_buf__printf(b, "%s\"%s\":%llu", i ? "," : "", ucrm_err_name(s->errors[i].code),
                         (unsigned long long)s->errors[i].n);
    ucrm_buf__printf(b, "},\"http\":{\"attempts\":%llu,\"retries\":%llu,\"rate_limited_429\":%llu,\"status\":{",
                     (unsigned long long)s->attempts, (unsigned long long)s->retries,
                     (unsigned long long)s->rate_limited);
    for (size_t i = 0; i < s->nstatus; i++)
        ucrm_buf__printf(b, "%s\"%d\":%llu", i ? "," : "", s->status[i].status, (unsigned long long)s->status[i].n);
    ucrm_buf__puts(b, "},\"latency\":{");
    lat_json(b, &s->http);
    ucrm_buf__printf(b, "}},\"token_refreshes\":%llu,\"token_refresh_failures\":%llu,\"limiter_wait_ms\":%.3f,"
                        "\"latency\":{",
                     (unsigned long long)s->events[UCRM_STAT_REFRESH],
                     (unsigned long long)s->events[UCRM_STAT_REFRESH_FAILED], (double)s->wait_us_total / 1000.0);
    lat_json(b, &s->all);
    ucrm_buf__putc(b, '}');
    pthread_mutex_unlock(&s->lock);
}
