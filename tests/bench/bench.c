/*
 * bench.c -- helpers shared by the benchmark programs (see bench.h).
 */
#include "bench.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------------- basics */

void bench_die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stdout);
    exit(1);
}

double bench_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

void bench_sleep_us(double us) {
    if (us <= 0)
        return;
    struct timespec ts = {(time_t)(us / 1e6), (long)((us - (double)(time_t)(us / 1e6) * 1e6) * 1e3)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

bool bench_quick(void) {
    const char *q = getenv("BENCH_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

long bench_scale(long full, long quick) { return bench_quick() ? quick : full; }

int bench_ncpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

bool bench_pin(int cpu) {
    if (bench_ncpus() < 2 || cpu >= bench_ncpus())
        return false;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
}

/* ---------------------------------------------------------------------------------------------- samples */

void bench_samples_add(bench_samples_t *s, double x) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v)
            bench_die("out of memory");
    }
    s->v[s->n++] = x;
    s->sorted = false;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_pct(bench_samples_t *s, double p) {
    if (!s->n)
        return 0;
    if (!s->sorted) {
        qsort(s->v, s->n, sizeof *s->v, cmp_double);
        s->sorted = true;
    }
    /* nearest rank: the smallest sample with at least p % of the samples at or below it */
    double rank = p / 100.0 * (double)s->n;
    size_t k = (size_t)rank;
    if ((double)k < rank)
        k++;
    return s->v[k ? k - 1 : 0];
}

double bench_mean(const bench_samples_t *s) {
    double sum = 0;
    for (size_t i = 0; i < s->n; i++)
        sum += s->v[i];
    return s->n ? sum / (double)s->n : 0;
}

void bench_samples_free(bench_samples_t *s) {
    free(s->v);
    memset(s, 0, sizeof *s);
}

void bench_time(bench_samples_t *out, long n, int inner, void (*fn)(void *), void *arg) {
    if (inner < 1)
        inner = 1;
    for (long i = 0; i < n / 10; i++)
        fn(arg);
    for (long i = 0; i < n; i++) {
        double t0 = bench_now_us();
        for (int k = 0; k < inner; k++)
            fn(arg);
        bench_samples_add(out, (bench_now_us() - t0) / inner);
    }
}

void bench_report(const char *what, bench_samples_t *s) {
    printf("%-60s median %9.2f us   p99 %9.2f us   (%zu runs)\n", what, bench_pct(s, 50), bench_pct(s, 99), s->n);
}

/* ---------------------------------------------------------------------------------------------- rows */

void bench_row(const char *fig, const char *measure, const char *target, int verdict, const char *value_fmt, ...) {
    char value[256];
    va_list ap;
    va_start(ap, value_fmt);
    vsnprintf(value, sizeof value, value_fmt, ap);
    va_end(ap);
    printf("@row\t%s\t%s\t%s\t%s\t%s\n", fig, measure, value, target ? target : "",
           verdict == BENCH_PASS ? "pass" : verdict == BENCH_MISS ? "MISS" : "");
    fflush(stdout);
}

/* ---------------------------------------------------------------------------------------------- memory */

static _Thread_local uint64_t t_allocs;

static void *count_malloc(size_t n) {
    t_allocs++;
    return malloc(n);
}

static void *count_realloc(void *p, size_t n) {
    t_allocs++;
    return realloc(p, n);
}

void bench_count_allocs(void) {
    if (ucrm_global_set_allocator(count_malloc, count_realloc, free) != UCRM_OK)
        bench_die("ucrm_global_set_allocator refused the counting allocator (called too late?)");
}

uint64_t bench_allocs(void) { return t_allocs; }

static long status_kb(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = atol(line + kl + 1);
            break;
        }
    if (f)
        fclose(f);
    return v;
}

long bench_rss_kb(void) { return status_kb("VmRSS"); }
long bench_hwm_kb(void) { return status_kb("VmHWM"); }

/* ---------------------------------------------------------------------------------------------- the fake */

ucrm_fake_t *bench_fake(const char *const *args) {
    fflush(stdout);
    ucrm_fake_t *f = fake_startv(args);
    if (!f)
        bench_die("the fake did not start (UCRM_FAKE_BIN=%s)", getenv("UCRM_FAKE_BIN") ? getenv("UCRM_FAKE_BIN")
                                                                                    : "build/bin/unicrm-fake");
    return f;
}

void bench_fake_stop(ucrm_fake_t *f) {
    int rc = fake_stop(f);
    if (rc != 0)
        fprintf(stderr, "bench: the fake exited with status %d\n", rc);
}

long bench_fake_stat(const ucrm_fake_t *f, const char *dotted) {
    long v = fake_stat(f, dotted);
    if (v < 0)
        bench_die("no %s in /__fake/stats", dotted);
    return v;
}

char *bench_first_id(const ucrm_fake_t *f, const char *provider, const char *object) {
    char path[128];
    snprintf(path, sizeof path, "/__fake/records/%s/%s", provider, object);
    long st = 0;
    char *body = fake_request(f, "GET", path, NULL, &st);
    cJSON *j = st == 200 ? cJSON_Parse(body) : NULL;
    free(body);
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "records"), 0);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
    if (!cJSON_IsString(id))
        id = cJSON_GetObjectItemCaseSensitive(r, "Id");
    if (!cJSON_IsString(id))
        bench_die("no %s %s in the fake", provider, object);
    char *out = strdup(id->valuestring);
    cJSON_Delete(j);
    return out;
}

void bench_fake_seed(const ucrm_fake_t *f, const char *provider, const char *object, const char *json_array) {
    char path[128];
    snprintf(path, sizeof path, "/__fake/records/%s/%s", provider, object);
    long st = 0;
    char *body = fake_request_full(f, "POST", path, NULL, json_array, strlen(json_array), 120000, &st, NULL);
    if (st != 201)
        bench_die("seeding %s %s: status %ld: %.200s", provider, object, st, body ? body : "");
    free(body);
}

void bench_conf_set(ucrm_conf_t *conf, const char *key, const char *value) {
    ucrm_error_t *e = NULL;
    if (ucrm_conf_set(conf, key, value, &e) != UCRM_OK)
        bench_die("conf %s=%s: %s", key, value, ucrm_error_message(e));
}

ucrm_conf_t *bench_conf(const ucrm_fake_t *f, const char *provider, const char *const *extra) {
    ucrm_conf_t *c = ucrm_conf_new();
    if (!c)
        bench_die("out of memory");
    bench_conf_set(c, "provider", provider);
    bench_conf_set(c, "api.url", fake_url(f));
    if (strcmp(provider, "salesforce") == 0) {
        char *tok = fake_salesforce_token(f);
        if (!tok)
            bench_die("no Salesforce session from the fake");
        bench_conf_set(c, "auth.access.token", tok);
        free(tok);
    } else {
        bench_conf_set(c, "auth.access.token", "pat-test");
    }
    for (size_t i = 0; extra && extra[i]; i += 2)
        bench_conf_set(c, extra[i], extra[i + 1]);
    return c;
}

ucrm_client_t *bench_client(const ucrm_conf_t *conf) {
    ucrm_client_t *c = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_client_new(&c, conf, &e) != UCRM_OK)
        bench_die("ucrm_client_new: %s", ucrm_error_message(e));
    return c;
}

/* ---------------------------------------------------------------------------------------------- replay */

typedef struct hdr {
    char *name, *value;
} hdr_t;

typedef struct exchange {
    char *method, *url;
    int status;
    hdr_t *h;
    size_t nh;
    char *body;
    size_t body_len;
} exchange_t;

struct bench_replay {
    const ucrm_fake_t *f;
    exchange_t *x;
    size_t n, cap;
    char *last_url;
    char **last_headers; /* "Name: value", NULL-terminated */
};

bench_replay_t *bench_replay_new(const ucrm_fake_t *f) {
    bench_replay_t *r = calloc(1, sizeof *r);
    if (!r)
        bench_die("out of memory");
    r->f = f;
    return r;
}

static void free_last(bench_replay_t *r) {
    for (size_t i = 0; r->last_headers && r->last_headers[i]; i++)
        free(r->last_headers[i]);
    free(r->last_headers);
    free(r->last_url);
    r->last_headers = NULL;
    r->last_url = NULL;
}

void bench_replay_free(bench_replay_t *r) {
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        for (size_t k = 0; k < r->x[i].nh; k++) {
            free(r->x[i].h[k].name);
            free(r->x[i].h[k].value);
        }
        free(r->x[i].h);
        free(r->x[i].method);
        free(r->x[i].url);
        free(r->x[i].body);
    }
    free(r->x);
    free_last(r);
    free(r);
}

size_t bench_replay_recorded(const bench_replay_t *r) { return r->n; }
const char *bench_replay_last_url(const bench_replay_t *r) { return r->last_url; }
const char *const *bench_replay_last_headers(const bench_replay_t *r) {
    return (const char *const *)r->last_headers;
}

/* Splits a raw header block ("HTTP/1.1 200 OK\r\nName: value\r\n...") into x->h. */
static void keep_headers(exchange_t *x, const char *raw) {
    for (const char *p = raw; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        if (colon && strncmp(p, "HTTP/", 5) != 0) {
            const char *v = colon + 1;
            while (v < p + len && *v == ' ')
                v++;
            x->h = realloc(x->h, (x->nh + 1) * sizeof *x->h);
            x->h[x->nh].name = strndup(p, (size_t)(colon - p));
            x->h[x->nh].value = strndup(v, (size_t)(p + len - v));
            x->nh++;
        }
        p = eol ? eol + 2 : p + len;
    }
}

static exchange_t *record(bench_replay_t *r, const ucrm_http_request_t *req) {
    const char *url = ucrm_http_request_url(req), *base = fake_url(r->f);
    size_t bl = strlen(base);
    if (strncmp(url, base, bl) != 0)
        bench_die("replay: %s is not a URL of the fake", url);
    size_t nh = ucrm_http_request_header_count(req);
    const char **hv = calloc(nh + 1, sizeof *hv);
    char **owned = calloc(nh + 1, sizeof *owned);
    for (size_t i = 0; i < nh; i++) {
        const char *name, *value;
        ucrm_http_request_header(req, i, &name, &value);
        size_t len = strlen(name) + strlen(value) + 3;
        owned[i] = malloc(len);
        snprintf(owned[i], len, "%s: %s", name, value);
        hv[i] = owned[i];
    }
    size_t blen = 0;
    const char *body = ucrm_http_request_body(req, &blen);
    long status = 0;
    char *raw = NULL;
    char *rbody = fake_request_full(r->f, ucrm_http_request_method(req), url + bl, hv, body, blen, 60000, &status,
                                    &raw);
    for (size_t i = 0; i < nh; i++)
        free(owned[i]);
    free(owned);
    free(hv);
    if (!status || !rbody)
        bench_die("replay: %s %s got no answer from the fake", ucrm_http_request_method(req), url);
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->x = realloc(r->x, r->cap * sizeof *r->x);
    }
    exchange_t *x = &r->x[r->n++];
    memset(x, 0, sizeof *x);
    x->method = strdup(ucrm_http_request_method(req));
    x->url = strdup(url);
    x->status = (int)status;
    x->body = rbody;
    x->body_len = strlen(rbody);
    keep_headers(x, raw);
    free(raw);
    return x;
}

static void remember(bench_replay_t *r, const ucrm_http_request_t *req) {
    free_last(r);
    r->last_url = strdup(ucrm_http_request_url(req));
    size_t nh = ucrm_http_request_header_count(req);
    r->last_headers = calloc(nh + 1, sizeof *r->last_headers);
    for (size_t i = 0; i < nh; i++) {
        const char *name, *value;
        ucrm_http_request_header(req, i, &name, &value);
        size_t len = strlen(name) + strlen(value) + 3;
        r->last_headers[i] = malloc(len);
        snprintf(r->last_headers[i], len, "%s: %s", name, value);
    }
}

static ucrm_err_t replay_send(void *opaque, const ucrm_http_request_t *req, ucrm_http_response_t *resp) {
    bench_replay_t *r = opaque;
    const char *method = ucrm_http_request_method(req), *url = ucrm_http_request_url(req);
    exchange_t *x = NULL;
    for (size_t i = 0; i < r->n && !x; i++)
        if (strcmp(r->x[i].url, url) == 0 && strcmp(r->x[i].method, method) == 0)
            x = &r->x[i];
    if (!x) {
        remember(r, req);
        x = record(r, req);
    }
    ucrm_err_t rc = ucrm_http_response_set_status(resp, x->status);
    for (size_t k = 0; rc == UCRM_OK && k < x->nh; k++)
        rc = ucrm_http_response_add_header(resp, x->h[k].name, x->h[k].value);
    if (rc == UCRM_OK)
        rc = ucrm_http_response_append_body(resp, x->body, x->body_len);
    return rc;
}

void bench_replay_install(bench_replay_t *r, ucrm_conf_t *conf) {
    ucrm_transport_t t;
    ucrm_transport_init(&t, UCRM_TRANSPORT_VERSION);
    t.opaque = r;
    t.send = replay_send;
    if (ucrm_conf_set_transport(conf, &t) != UCRM_OK)
        bench_die("ucrm_conf_set_transport");
}

bench_replay_t *bench_probe_get(const ucrm_fake_t *f, const ucrm_conf_t *conf, const char *id) {
    ucrm_conf_t *copy = ucrm_conf_dup(conf);
    if (!copy)
        bench_die("out of memory");
    bench_replay_t *rp = bench_replay_new(f);
    bench_replay_install(rp, copy);
    ucrm_client_t *c = bench_client(copy);
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_get(c, UCRM_OBJECT_CONTACT, id, NULL, &r, &e) != UCRM_OK)
        bench_die("probe get: %s", ucrm_error_message(e));
    ucrm_record_destroy(r);
    ucrm_client_destroy(c);
    ucrm_conf_destroy(copy);
    if (!bench_replay_last_url(rp))
        bench_die("probe get: no request seen");
    return rp;
}

/* ---------------------------------------------------------------------------------------------- bare libcurl */

struct bench_curl {
    CURL *c;
    struct curl_slist *hl;
    char *p;
    size_t n, cap;
    int64_t server_us;
};

static size_t bc_body(char *data, size_t size, size_t nmemb, void *ud) {
    bench_curl_t *b = ud;
    size_t k = size * nmemb;
    if (b->n + k + 1 > b->cap) {
        b->cap = (b->n + k + 1) * 2;
        char *np = realloc(b->p, b->cap);
        if (!np)
            return 0;
        b->p = np;
    }
    memcpy(b->p + b->n, data, k);
    b->n += k;
    b->p[b->n] = '\0';
    return k;
}

static size_t bc_header(char *data, size_t size, size_t nmemb, void *ud) {
    bench_curl_t *b = ud;
    size_t k = size * nmemb;
    if (k > 14 && strncasecmp(data, "Server-Timing:", 14) == 0) {
        char v[128];
        size_t vl = k - 14 < sizeof v - 1 ? k - 14 : sizeof v - 1;
        memcpy(v, data + 14, vl);
        v[vl] = '\0';
        const char *d = strstr(v, "dur=");
        b->server_us = d ? (int64_t)(atof(d + 4) * 1000.0) : 0;
    }
    return k;
}

bench_curl_t *bench_curl_new(const char *url, const char *const *headers, const char *user_agent, bool server_time) {
    bench_curl_t *b = calloc(1, sizeof *b);
    if (!b || !(b->c = curl_easy_init()))
        bench_die("curl_easy_init");
    for (size_t i = 0; headers && headers[i]; i++)
        if (strncasecmp(headers[i], "User-Agent:", 11) != 0)
            b->hl = curl_slist_append(b->hl, headers[i]);
    curl_easy_setopt(b->c, CURLOPT_URL, url);
    curl_easy_setopt(b->c, CURLOPT_HTTPHEADER, b->hl);
    curl_easy_setopt(b->c, CURLOPT_USERAGENT, user_agent);
    curl_easy_setopt(b->c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(b->c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(b->c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(b->c, CURLOPT_WRITEFUNCTION, bc_body);
    curl_easy_setopt(b->c, CURLOPT_WRITEDATA, b);
    if (server_time) {
        curl_easy_setopt(b->c, CURLOPT_HEADERFUNCTION, bc_header);
        curl_easy_setopt(b->c, CURLOPT_HEADERDATA, b);
    }
    return b;
}

long bench_curl_get(bench_curl_t *b, int64_t *server_us) {
    b->n = 0;
    b->server_us = 0;
    long st = 0;
    if (curl_easy_perform(b->c) != CURLE_OK || curl_easy_getinfo(b->c, CURLINFO_RESPONSE_CODE, &st) != CURLE_OK)
        return 0;
    cJSON *doc = cJSON_ParseWithLength(b->p, b->n);
    if (!doc)
        return 0;
    cJSON_Delete(doc);
    if (server_us)
        *server_us = b->server_us;
    return st;
}

void bench_curl_free(bench_curl_t *b) {
    if (!b)
        return;
    curl_slist_free_all(b->hl);
    curl_easy_cleanup(b->c);
    free(b->p);
    free(b);
}
