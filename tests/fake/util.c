/*
 * util.c -- buffers, maps, clocks, random, dates, ids and encodings for unicrm-fake.
 */
#include "fake.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>

void *fk_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("unicrm-fake: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *fk_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("unicrm-fake: out of memory\n", stderr);
        abort();
    }
    return q;
}

char *fk_xstrndup(const char *s, size_t n)
{
    char *d = fk_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *fk_xstrdup(const char *s)
{
    return fk_xstrndup(s, strlen(s));
}

/* ------------------------------------------------------------------------------------------------ buffers */
void fk_buf_put(fk_buf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->s = fk_xrealloc(b->s, cap);
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void fk_buf_puts(fk_buf_t *b, const char *s)
{
    fk_buf_put(b, s, strlen(s));
}

void fk_buf_printf(fk_buf_t *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        fk_buf_put(b, tmp, (size_t)n);
        return;
    }
    char *big = fk_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    fk_buf_put(b, big, (size_t)n);
    free(big);
}

char *fk_buf_take(fk_buf_t *b)
{
    char *s = b->s ? b->s : fk_xstrdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

/* ------------------------------------------------------------------------------------------------ map */
static uint64_t fk_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static size_t fk_map_slot(const fk_map_t *m, const char *key)
{
    size_t i = (size_t)fk_hash(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

void *fk_map_get(const fk_map_t *m, const char *key)
{
    if (!m->cap)
        return NULL;
    size_t i = fk_map_slot(m, key);
    return m->keys[i] ? m->vals[i] : NULL;
}

static void fk_map_grow(fk_map_t *m)
{
    fk_map_t n = {0};
    n.cap = m->cap ? m->cap * 2 : 64;
    n.keys = calloc(n.cap, sizeof *n.keys);
    n.vals = calloc(n.cap, sizeof *n.vals);
    if (!n.keys || !n.vals)
        abort();
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i]) {
            size_t j = fk_map_slot(&n, m->keys[i]);
            n.keys[j] = m->keys[i];
            n.vals[j] = m->vals[i];
            n.n++;
        }
    }
    free(m->keys);
    free(m->vals);
    *m = n;
}

void fk_map_put(fk_map_t *m, const char *key, void *val)
{
    if ((m->n + 1) * 2 > m->cap)
        fk_map_grow(m);
    size_t i = fk_map_slot(m, key);
    if (!m->keys[i]) {
        m->keys[i] = fk_xstrdup(key);
        m->n++;
    }
    m->vals[i] = val;
}

void fk_map_del(fk_map_t *m, const char *key)
{
    if (!m->cap)
        return;
    size_t i = fk_map_slot(m, key);
    if (!m->keys[i])
        return;
    free(m->keys[i]);
    m->keys[i] = NULL;
    m->n--;
    /* re-insert the rest of the cluster (linear probing deletion) */
    size_t j = (i + 1) & (m->cap - 1);
    while (m->keys[j]) {
        char *k = m->keys[j];
        void *v = m->vals[j];
        m->keys[j] = NULL;
        size_t s = fk_map_slot(m, k);
        m->keys[s] = k;
        m->vals[s] = v;
        j = (j + 1) & (m->cap - 1);
    }
}

void fk_map_free(fk_map_t *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------------------------------------------ clocks, random */
int64_t fk_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t fk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 + G.clock_offset_ms;
}

uint64_t fk_rand(void)
{
    uint64_t x = G.rng ? G.rng : 0x9E3779B97F4A7C15ULL;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    G.rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

double fk_rand01(void)
{
    return (double)(fk_rand() >> 11) / 9007199254740992.0;
}

void fk_uuid(char out[37])
{
    uint64_t a = fk_rand(), b = fk_rand();
    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffffu,
             (unsigned)a & 0xfffu, (unsigned)((b >> 48) & 0x3fffu) | 0x8000u,
             (unsigned long long)(b & 0xffffffffffffULL));
}

void fk_random_token(char *out, size_t nchars)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t i = 0; i < nchars; i++)
        out[i] = al[fk_rand() % 62];
    out[nchars] = '\0';
}

/* ------------------------------------------------------------------------------------------------ dates */
static void fk_gmtime(int64_t ms, struct tm *tm, int *msec)
{
    int64_t s = ms / 1000;
    int m = (int)(ms % 1000);
    if (m < 0) {
        m += 1000;
        s--;
    }
    time_t t = (time_t)s;
    gmtime_r(&t, tm);
    *msec = m;
}

void fk_fmt_sf_datetime(int64_t ms, char out[32])
{
    struct tm tm;
    int msec;
    fk_gmtime(ms, &tm, &msec);
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+0000", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, msec);
    snprintf(out, 32, "%.31s", tmp);
}

void fk_fmt_hs_datetime(int64_t ms, char out[32])
{
    struct tm tm;
    int msec;
    fk_gmtime(ms, &tm, &msec);
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, msec);
    snprintf(out, 32, "%.31s", tmp);
}

void fk_fmt_date(int64_t ms, char out[16])
{
    struct tm tm;
    int msec;
    fk_gmtime(ms, &tm, &msec);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    snprintf(out, 16, "%.15s", tmp);
}

static int fk_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int64_t fk_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int fk_parse_zone(const char *p, int64_t *off_ms)
{
    *off_ms = 0;
    if (*p == '\0' || ((*p == 'Z' || *p == 'z') && p[1] == '\0'))
        return 0;
    if (*p != '+' && *p != '-')
        return -1;
    int sign = *p == '-' ? -1 : 1, hh, mm;
    p++;
    if (fk_digits(p, 2, &hh))
        return -1;
    p += 2;
    if (*p == ':')
        p++;
    if (fk_digits(p, 2, &mm) || p[2] != '\0' || hh > 23 || mm > 59)
        return -1;
    *off_ms = sign * ((int64_t)hh * 3600000 + (int64_t)mm * 60000);
    return 0;
}

int fk_parse_iso(const char *s, int64_t *ms, int *is_date_only)
{
    int y, mo, d, h = 0, mi = 0, se = 0, frac = 0;
    if (!s || strlen(s) < 10 || fk_digits(s, 4, &y) || s[4] != '-' || fk_digits(s + 5, 2, &mo) || s[7] != '-' ||
        fk_digits(s + 8, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
        return -1;
    const char *p = s + 10;
    if (is_date_only)
        *is_date_only = (*p == '\0');
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (fk_digits(p, 2, &h) || p[2] != ':' || fk_digits(p + 3, 2, &mi))
            return -1;
        p += 5;
        if (*p == ':') {
            if (fk_digits(p + 1, 2, &se))
                return -1;
            p += 3;
            if (*p == '.') {
                p++;
                int nd = 0, v = 0;
                while (isdigit((unsigned char)*p)) {
                    if (nd < 3)
                        v = v * 10 + (*p - '0');
                    nd++;
                    p++;
                }
                if (nd == 0)
                    return -1;
                while (nd < 3) {
                    v *= 10;
                    nd++;
                }
                frac = v;
            }
        }
        if (h > 23 || mi > 59 || se > 60)
            return -1;
    } else if (*p != '\0') {
        return -1;
    }
    int64_t off;
    if (fk_parse_zone(p, &off))
        return -1;
    int64_t days = fk_days_from_civil(y, mo, d);
    *ms = ((days * 86400 + h * 3600 + mi * 60 + se) * 1000) + frac - off;
    return 0;
}

int fk_parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s)
        return -1;
    const char *p = s;
    if (*p == '-')
        p++;
    if (!*p || strlen(p) > 18)
        return -1;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            return -1;
    *out = strtoll(s, NULL, 10);
    return 0;
}

int fk_parse_time_value(const char *s, int64_t *ms)
{
    if (fk_parse_i64(s, ms) == 0)
        return 0;
    return fk_parse_iso(s, ms, NULL);
}

/* ------------------------------------------------------------------------------------------------ Salesforce ids */
static const char fk_b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char fk_sfx[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

static void fk_sf_suffix(const char id15[15], char out[3])
{
    for (int c = 0; c < 3; c++) {
        int mask = 0;
        for (int i = 0; i < 5; i++)
            if (id15[c * 5 + i] >= 'A' && id15[c * 5 + i] <= 'Z')
                mask |= 1 << i;
        out[c] = fk_sfx[mask];
    }
}

void fk_sf_make_id(const char *prefix, uint64_t seq, char out[19])
{
    /* key prefix (3) + pod "5g" (2) + reserved "0" (1) + 9 base-62 digits = 15, then the checksum */
    memcpy(out, prefix, 3);
    out[3] = '5';
    out[4] = 'g';
    out[5] = '0';
    for (int i = 14; i >= 6; i--) {
        out[i] = fk_b62[seq % 62];
        seq /= 62;
    }
    fk_sf_suffix(out, out + 15);
    out[18] = '\0';
}

int fk_sf_canon_id(const char *in, char out[19])
{
    size_t n = in ? strlen(in) : 0;
    if (n != 15 && n != 18)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)in[i]))
            return -1;
    memcpy(out, in, 15);
    if (n == 18) {
        for (int c = 0; c < 3; c++) {
            const char *pos = strchr(fk_sfx, toupper((unsigned char)in[15 + c]));
            if (!pos)
                return -1;
            int mask = (int)(pos - fk_sfx);
            for (int i = 0; i < 5; i++) {
                char *ch = &out[c * 5 + i];
                if (isalpha((unsigned char)*ch))
                    *ch = (char)((mask & (1 << i)) ? toupper((unsigned char)*ch) : tolower((unsigned char)*ch));
            }
        }
    }
    fk_sf_suffix(out, out + 15);
    out[18] = '\0';
    return 0;
}

/* ------------------------------------------------------------------------------------------------ encodings */
static int fk_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *fk_url_decode(const char *s, size_t n, int plus_is_space)
{
    char *o = fk_xmalloc(n + 1), *w = o;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n) {
            int a = fk_hexval((unsigned char)s[i + 1]);
            int b = fk_hexval((unsigned char)s[i + 2]);
            if (a >= 0 && b >= 0) {
                *w++ = (char)(a * 16 + b);
                i += 2;
                continue;
            }
        }
        *w++ = (plus_is_space && s[i] == '+') ? ' ' : s[i];
    }
    *w = '\0';
    return o;
}

int fk_parse_form(const char *s, size_t n, char **keys, char **vals, int max)
{
    int cnt = 0;
    size_t i = 0;
    while (i < n && cnt < max) {
        size_t j = i;
        while (j < n && s[j] != '&')
            j++;
        if (j > i) {
            const char *eq = memchr(s + i, '=', j - i);
            size_t kl = eq ? (size_t)(eq - (s + i)) : j - i;
            keys[cnt] = fk_url_decode(s + i, kl, 1);
            vals[cnt] = eq ? fk_url_decode(eq + 1, (size_t)(s + j - eq - 1), 1) : fk_xstrdup("");
            cnt++;
        }
        i = j + 1;
    }
    return cnt;
}

char *fk_b64_encode(const unsigned char *in, size_t n)
{
    char *out = fk_xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    return out;
}

unsigned char *fk_b64url_decode(const char *in, size_t n, size_t *outn)
{
    unsigned char *out = fk_xmalloc(n * 3 / 4 + 4);
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)in[i], v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '-' || c == '+')
            v = 62;
        else if (c == '_' || c == '/')
            v = 63;
        else if (c == '=')
            break;
        else {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    *outn = o;
    return out;
}

int fk_wildcard(const char *p, const char *s, char star, char one, char esc)
{
    /* iterative match with one backtrack point: O(len(p) * len(s)), no recursion */
    const char *star_p = NULL, *star_s = NULL;
    while (*s) {
        if (*p == star) {
            star_p = ++p;
            star_s = s;
            continue;
        }
        char pc = *p;
        const char *next = p + 1;
        int literal = 0;
        if (esc && pc == esc && p[1]) {
            pc = p[1];
            next = p + 2;
            literal = 1;
        }
        if (pc && ((!literal && one && pc == one) || tolower((unsigned char)pc) == tolower((unsigned char)*s))) {
            p = next;
            s++;
            continue;
        }
        if (!star_p)
            return 0;
        p = star_p;
        s = ++star_s;
    }
    while (*p == star)
        p++;
    return *p == '\0';
}

const char *fk_utf8_next(const char *s, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    int n = u[0] >= 0xf0 && u[0] < 0xf5 ? 3 : u[0] >= 0xe0 ? 2 : u[0] >= 0xc2 && u[0] < 0xe0 ? 1 : 0;
    uint32_t c = n == 3 ? u[0] & 7u : n == 2 ? u[0] & 15u : n == 1 ? u[0] & 31u : u[0];
    if (u[0] >= 0xf5)
        n = 0;
    for (int i = 1; i <= n; i++) {
        if ((u[i] & 0xc0) != 0x80) { /* invalid: the lead byte stands for itself */
            *cp = u[0];
            return s + 1;
        }
        c = (c << 6) | (u[i] & 0x3fu);
    }
    *cp = c;
    return s + 1 + n;
}

uint32_t fk_fold_cp(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    if ((c >= 0xc0 && c <= 0xde && c != 0xd7) || (c >= 0x391 && c <= 0x3ab && c != 0x3a2) ||
        (c >= 0x410 && c <= 0x42f))
        return c + 32;                                  /* Latin-1, Greek, Cyrillic capitals */
    if (c >= 0x400 && c <= 0x40f)
        return c + 80;                                  /* Cyrillic Ѐ..Џ */
    if (c == 0x178)
        return 0xff;                                    /* Ÿ */
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177) || (c >= 0x1a0 && c <= 0x1a5))
        return c | 1u;                                  /* Latin Extended-A pairs: capital even, small odd */
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
        return (c & 1u) ? c + 1 : c;                    /* pairs with the capital odd */
    return c;
}

int fk_utf8_casecmp(const char *a, const char *b)
{
    while (*a && *b) {
        uint32_t x, y;
        a = fk_utf8_next(a, &x);
        b = fk_utf8_next(b, &y);
        x = fk_fold_cp(x);
        y = fk_fold_cp(y);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return (*a != '\0') - (*b != '\0');
}

int fk_strcaseeq(const char *a, const char *b)
{
    return a && b && fk_utf8_casecmp(a, b) == 0;
}

void fk_lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

char *fk_json_print(const cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    if (!s)
        abort();
    return s;
}

const char *fk_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ------------------------------------------------------------------------------------------------ windows */
void fk_window_init(fk_window_t *w, long max, long window_ms)
{
    free(w->ts);
    memset(w, 0, sizeof *w);
    w->max = max;
    w->window_ns = (int64_t)window_ms * 1000000LL;
}

void fk_window_free(fk_window_t *w)
{
    free(w->ts);
    w->ts = NULL;
    w->cap = w->n = w->head = 0;
}

long fk_window_count(fk_window_t *w, int64_t now_ns)
{
    while (w->n > 0 && now_ns - w->ts[w->head] >= w->window_ns) {
        w->head = (w->head + 1) % w->cap;
        w->n--;
    }
    return (long)w->n;
}

int fk_window_try(fk_window_t *w, int64_t now_ns)
{
    if (fk_window_count(w, now_ns) >= w->max)
        return 0;
    if (w->n == w->cap) {
        /* grow the ring (entries never exceed max, so memory is bounded by the admitted rate) */
        size_t ncap = w->cap ? w->cap * 2 : 64;
        int64_t *nts = fk_xmalloc(ncap * sizeof *nts);
        for (size_t i = 0; i < w->n; i++)
            nts[i] = w->ts[(w->head + i) % w->cap];
        free(w->ts);
        w->ts = nts;
        w->cap = ncap;
        w->head = 0;
    }
    w->ts[(w->head + w->n) % w->cap] = now_ns;
    w->n++;
    return 1;
}

/* Rolling 24 h at one-minute resolution, on the fake's clock. */
static void fk_daily_roll(fk_daily_t *d, int64_t now_ms)
{
    int64_t m = now_ms / 60000;
    if (d->base_min == 0 || m - d->base_min >= 2 * 1440) {
        memset(d->slots, 0, sizeof d->slots);
        d->base_min = m - 1439;
        return;
    }
    while (m - d->base_min >= 1440) {
        d->slots[d->base_min % 1440] = 0;
        d->base_min++;
    }
}

long fk_daily_used(fk_daily_t *d, int64_t now_ms)
{
    fk_daily_roll(d, now_ms);
    long s = 0;
    for (int i = 0; i < 1440; i++)
        s += d->slots[i];
    return s;
}

void fk_daily_add(fk_daily_t *d, int64_t now_ms)
{
    fk_daily_roll(d, now_ms);
    d->slots[(now_ms / 60000) % 1440]++;
}
