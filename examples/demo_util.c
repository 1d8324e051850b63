/* demo_util.c -- see demo_util.h. */
#include "demo_util.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------------ index */

static uint64_t hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

static size_t slot(const demo_index_t *ix, const char *key) {
    size_t i = (size_t)hash(key) & (ix->cap - 1);
    while (ix->keys[i] && strcmp(ix->keys[i], key) != 0)
        i = (i + 1) & (ix->cap - 1);
    return i;
}

int demo_index_get(const demo_index_t *ix, const char *key, size_t *val) {
    if (!ix->cap || !key)
        return 0;
    size_t i = slot(ix, key);
    if (!ix->keys[i])
        return 0;
    *val = ix->vals[i];
    return 1;
}

static int grow(demo_index_t *ix) {
    demo_index_t big = {calloc(ix->cap ? ix->cap * 2 : 64, sizeof(char *)),
                        calloc(ix->cap ? ix->cap * 2 : 64, sizeof(size_t)), ix->cap ? ix->cap * 2 : 64, ix->n};
    if (!big.keys || !big.vals) {
        free(big.keys);
        free(big.vals);
        return -1;
    }
    for (size_t i = 0; i < ix->cap; i++)
        if (ix->keys[i]) {
            size_t j = slot(&big, ix->keys[i]);
            big.keys[j] = ix->keys[i];
            big.vals[j] = ix->vals[i];
        }
    free(ix->keys);
    free(ix->vals);
    *ix = big;
    return 0;
}

int demo_index_put(demo_index_t *ix, const char *key, size_t val) {
    if ((ix->n + 1) * 2 > ix->cap && grow(ix) < 0)
        return -1;
    size_t i = slot(ix, key);
    if (!ix->keys[i]) {
        if (!(ix->keys[i] = strdup(key)))
            return -1;
        ix->n++;
    }
    ix->vals[i] = val;
    return 0;
}

void demo_index_del(demo_index_t *ix, const char *key) {
    if (!ix->cap || !key)
        return;
    size_t i = slot(ix, key);
    if (!ix->keys[i])
        return;
    free(ix->keys[i]);
    ix->keys[i] = NULL;
    ix->n--;
    /* re-insert the rest of the cluster so that lookups still find it */
    for (size_t j = (i + 1) & (ix->cap - 1); ix->keys[j]; j = (j + 1) & (ix->cap - 1)) {
        char *k = ix->keys[j];
        size_t v = ix->vals[j];
        ix->keys[j] = NULL;
        size_t t = slot(ix, k);
        ix->keys[t] = k;
        ix->vals[t] = v;
    }
}

void demo_index_free(demo_index_t *ix) {
    for (size_t i = 0; i < ix->cap; i++)
        free(ix->keys[i]);
    free(ix->keys);
    free(ix->vals);
    memset(ix, 0, sizeof *ix);
}

/* ------------------------------------------------------------------------------------------------ progress */

static int tty;
static int64_t last_ms;
static size_t live_len;

int64_t demo_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void demo_progress_init(int force_plain) { tty = !force_plain && isatty(STDOUT_FILENO); }

int demo_progress_is_tty(void) { return tty; }

void demo_progress(const char *fmt, ...) {
    if (!tty)
        return;
    int64_t now = demo_now_ms();
    if (now - last_ms < 50)
        return;
    last_ms = now;
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t n = strlen(line);
    printf("\r%s%*s", line, live_len > n ? (int)(live_len - n) : 0, "");
    live_len = n;
    fflush(stdout);
}

void demo_done(const char *fmt, ...) {
    if (tty && live_len)
        printf("\r%*s\r", (int)live_len, "");
    live_len = 0;
    last_ms = 0;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* ------------------------------------------------------------------------------------------------ stats */

double demo_json_num(const char *json, const char *path, double dflt) {
    cJSON *root = cJSON_Parse(json);
    const cJSON *node = root;
    char part[64];
    for (const char *p = path; node && *p;) {
        size_t n = strcspn(p, ".");
        if (n >= sizeof part)
            n = sizeof part - 1;
        memcpy(part, p, n);
        part[n] = '\0';
        node = cJSON_GetObjectItemCaseSensitive(node, part);
        p += n + (p[n] == '.');
    }
    double v = cJSON_IsNumber(node) ? node->valuedouble : dflt;
    cJSON_Delete(root);
    return v;
}

const char *demo_thousands(long long v, char buf[32]) {
    char raw[32];
    int n = snprintf(raw, sizeof raw, "%lld", v < 0 ? -v : v), o = 0;
    if (v < 0)
        buf[o++] = '-';
    for (int i = 0; i < n; i++) {
        buf[o++] = raw[i];
        if ((n - i - 1) % 3 == 0 && i < n - 1)
            buf[o++] = ',';
    }
    buf[o] = '\0';
    return buf;
}
