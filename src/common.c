/*
 * common.c -- allocation hooks, buffers, string/number/time helpers, UTF-8 validation.
 */
#include "common_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

/* ---------------------------------------------------------------------------------------------- allocation */

static ucrm_malloc_fn *g_malloc = malloc;
static ucrm_realloc_fn *g_realloc = realloc;
static ucrm_free_fn *g_free = free;
static atomic_bool g_alloc_used;

void ucrm__alloc_used(void) { atomic_store_explicit(&g_alloc_used, true, memory_order_relaxed); }

UCRM_API ucrm_err_t ucrm_global_set_allocator(ucrm_malloc_fn *malloc_fn, ucrm_realloc_fn *realloc_fn,
                                              ucrm_free_fn *free_fn) {
    if (!malloc_fn || !realloc_fn || !free_fn)
        return UCRM_ERR_INVALID_ARG;
    if (atomic_load(&g_alloc_used))
        return UCRM_ERR_STATE;
    g_malloc = malloc_fn;
    g_realloc = realloc_fn;
    g_free = free_fn;
    cJSON_Hooks hooks = {malloc_fn, free_fn};
    cJSON_InitHooks(&hooks);
    return UCRM_OK;
}

void *ucrm__malloc(size_t n) {
    ucrm__alloc_used();
    return g_malloc(n ? n : 1);
}

void *ucrm__calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = ucrm__malloc(n * size);
    if (p)
        memset(p, 0, (n * size) > 0 ? n * size : 1);
    return p;
}

void *ucrm__realloc(void *p, size_t n) {
    ucrm__alloc_used();
    return g_realloc(p, n ? n : 1);
}

void ucrm__free(void *p) {
    if (p)
        g_free(p);
}

UCRM_API void ucrm_free(void *p) { ucrm__free(p); }

char *ucrm__strdup(const char *s) {
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *d = ucrm__malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

char *ucrm__strndup(const char *s, size_t n) {
    if (!s)
        return NULL;
    size_t len = strnlen(s, n);
    char *d = ucrm__malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

bool ucrm__strset(char **dst, const char *src) {
    char *copy = NULL;
    if (src && !(copy = ucrm__strdup(src)))
        return false;
    ucrm__free(*dst);
    *dst = copy;
    return true;
}

void ucrm__free_secret(char *s) {
    if (!s)
        return;
    OPENSSL_cleanse(s, strlen(s));
    ucrm__free(s);
}

/* ---------------------------------------------------------------------------------------------- C locale */

#include <pthread.h>

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void c_locale_init(void) { c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

locale_t ucrm__c_locale_enter(void) {
    pthread_once(&c_locale_once, c_locale_init);
    return c_locale ? uselocale(c_locale) : (locale_t)0;
}

void ucrm__c_locale_leave(locale_t old) {
    if (old)
        uselocale(old);
}

/* ---------------------------------------------------------------------------------------------- buffers */

bool ucrm_buf__reserve(ucrm_buf_t *b, size_t extra) {
    if (b->oom)
        return false;
    if (extra > SIZE_MAX - b->len - 1) {
        b->oom = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = ucrm__realloc(b->ptr, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    p[b->len] = '\0'; /* a buffer that was empty must read as "" too (steal, str) */
    b->ptr = p;
    b->cap = cap;
    return true;
}

bool ucrm_buf__append(ucrm_buf_t *b, const char *data, size_t len) {
    if (!ucrm_buf__reserve(b, len))
        return false;
    if (len)
        memcpy(b->ptr + b->len, data, len);
    b->len += len;
    b->ptr[b->len] = '\0';
    return true;
}

bool ucrm_buf__puts(ucrm_buf_t *b, const char *s) { return ucrm_buf__append(b, s, strlen(s)); }

bool ucrm_buf__putc(ucrm_buf_t *b, char c) { return ucrm_buf__append(b, &c, 1); }

bool ucrm_buf__vprintf(ucrm_buf_t *b, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    locale_t old = ucrm__c_locale_enter();
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    bool ok;
    if (n < 0) {
        b->oom = true;
        ok = false;
    } else if ((size_t)n < sizeof small) {
        ok = ucrm_buf__append(b, small, (size_t)n);
    } else if ((ok = ucrm_buf__reserve(b, (size_t)n))) {
        vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
        b->len += (size_t)n;
    }
    ucrm__c_locale_leave(old);
    return ok;
}

bool ucrm_buf__printf(ucrm_buf_t *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    bool ok = ucrm_buf__vprintf(b, fmt, ap);
    va_end(ap);
    return ok;
}

/* RFC 3986 unreserved characters: ALPHA / DIGIT / "-" / "." / "_" / "~" */
static const unsigned char g_unreserved[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
    ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
    ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

bool ucrm_buf__urlencode(ucrm_buf_t *b, const char *s, size_t len) {
    static const char hex[] = "0123456789ABCDEF";
    if (!ucrm_buf__reserve(b, len * 3))
        return false;
    char *o = b->ptr + b->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (g_unreserved[c]) {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    b->len = (size_t)(o - b->ptr);
    b->ptr[b->len] = '\0';
    return true;
}

bool ucrm_buf__json_str(ucrm_buf_t *b, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    if (!ucrm_buf__reserve(b, len + 2))
        return false;
    ucrm_buf__putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        ucrm_buf__append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': ucrm_buf__append(b, "\\\"", 2); break;
        case '\\': ucrm_buf__append(b, "\\\\", 2); break;
        case '\n': ucrm_buf__append(b, "\\n", 2); break;
        case '\r': ucrm_buf__append(b, "\\r", 2); break;
        case '\t': ucrm_buf__append(b, "\\t", 2); break;
        case '\b': ucrm_buf__append(b, "\\b", 2); break;
        case '\f': ucrm_buf__append(b, "\\f", 2); break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            ucrm_buf__append(b, esc, 6);
        }
        }
    }
    ucrm_buf__append(b, s + run, len - run);
    return ucrm_buf__putc(b, '"');
}

void ucrm_buf__reset(ucrm_buf_t *b) {
    b->len = 0;
    b->oom = false;
    if (b->ptr)
        b->ptr[0] = '\0';
}

void ucrm_buf__free(ucrm_buf_t *b) {
    ucrm__free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

char *ucrm_buf__steal(ucrm_buf_t *b) {
    if (b->oom) {
        ucrm_buf__free(b);
        return NULL;
    }
    if (!b->ptr && !ucrm_buf__reserve(b, 0))
        return NULL;
    char *p = b->ptr;
    b->ptr = NULL;
    b->len = b->cap = 0;
    return p;
}

/* ---------------------------------------------------------------------------------------------- strings */

bool ucrm__streq(const char *a, const char *b) {
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

bool ucrm__strcaseeq(const char *a, const char *b) {
    if (!a || !b)
        return a == b;
    return strcasecmp(a, b) == 0;
}

bool ucrm__startswith(const char *s, const char *prefix) {
    return s && prefix && strncmp(s, prefix, strlen(prefix)) == 0;
}

bool ucrm__parse_i64_n(const char *s, size_t len, int64_t *out) {
    if (!s || len == 0)
        return false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
        if (len == 1)
            return false;
    }
    uint64_t v = 0;
    uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return true;
}

bool ucrm__parse_i64(const char *s, int64_t *out) { return s && ucrm__parse_i64_n(s, strlen(s), out); }

bool ucrm__parse_double(const char *s, double *out) {
    if (!s || !*s)
        return false;
    char *end = NULL;
    errno = 0;
    locale_t old = ucrm__c_locale_enter();
    double v = strtod(s, &end);
    ucrm__c_locale_leave(old);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool ucrm__utf8_valid(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= n) /* needs bytes i .. i+n */
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

bool ucrm__url_is_loopback(const char *url) {
    const char *p = strstr(url ? url : "", "://");
    if (!p)
        return false;
    p += 3;
    /* userinfo ends at the last '@' of the authority, which itself ends at the first '/', '?' or '#' */
    size_t auth_len = strcspn(p, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < auth_len; i++)
        if (p[i] == '@')
            at = p + i;
    if (at)
        p = at + 1;
    if (ucrm__startswith(p, "[::1]"))
        return true;
    size_t hl = strcspn(p, ":/?#");
    if (hl == 9 && strncasecmp(p, "localhost", 9) == 0)
        return true;
    if (hl >= 7 && strncmp(p, "127.", 4) == 0) {
        for (size_t i = 4; i < hl; i++)
            if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '.'))
                return false;
        return true;
    }
    return false;
}

/* ---------------------------------------------------------------------------------------------- time */

int64_t ucrm__now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ucrm__mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ucrm__mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void ucrm__sleep_ms(int64_t ms) {
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's algorithm. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool digits(const char *s, size_t n, unsigned *out) {
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

static bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* ".fff..." at s[*i] (optional): milliseconds from the first three digits, the rest read and dropped. */
static bool parse_fraction(const char *s, size_t len, size_t *i, unsigned *ms) {
    if (*i >= len || s[*i] != '.')
        return true;
    size_t start = ++*i;
    unsigned frac = 0, nd = 0;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        if (nd < 3) {
            frac = frac * 10 + (unsigned)(s[*i] - '0');
            nd++;
        }
        ++*i;
    }
    if (*i == start)
        return false;
    while (nd < 3) {
        frac *= 10;
        nd++;
    }
    *ms = frac;
    return true;
}

/* The zone at s[*i], which must end the text: Z, or +hh:mm, +hhmm, +hh (or -); a date-time needs one: we never
 * guess local time. */
static bool parse_zone(const char *s, size_t len, size_t *i, int64_t *off_min) {
    if (*i >= len)
        return false;
    if (s[*i] == 'Z' || s[*i] == 'z') {
        ++*i;
        return true;
    }
    if (s[*i] != '+' && s[*i] != '-')
        return false;
    int sign = s[*i] == '-' ? -1 : 1;
    unsigned oh, om;
    size_t k = *i + 1;
    if (len - k == 5 && s[k + 2] == ':' && digits(s + k, 2, &oh) && digits(s + k + 3, 2, &om))
        k += 5;
    else if (len - k == 4 && digits(s + k, 2, &oh) && digits(s + k + 2, 2, &om))
        k += 4;
    else if (len - k == 2 && digits(s + k, 2, &oh) && (om = 0, 1))
        k += 2;
    else
        return false;
    if (oh > 23 || om > 59)
        return false;
    *off_min = sign * (int64_t)(oh * 60 + om);
    *i = k;
    return true;
}

bool ucrm__parse_time(const char *s, size_t len, int64_t *epoch_ms) {
    unsigned Y, M, D, h = 0, mi = 0, sec = 0, ms = 0;
    if (len < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &Y) || !digits(s + 5, 2, &M) ||
        !digits(s + 8, 2, &D))
        return false;
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] + (M == 2 && leap(Y)))
        return false;
    int64_t off_min = 0;
    size_t i = 10;
    if (len > 10) {
        if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || len < 19 || s[13] != ':' || s[16] != ':' ||
            !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
            return false;
        if (h > 23 || mi > 59 || sec > 60)
            return false;
        i = 19;
        if (!parse_fraction(s, len, &i, &ms) || !parse_zone(s, len, &i, &off_min))
            return false;
    }
    if (i != len)
        return false;
    if (sec == 60)
        sec = 59; /* leap second: clamp */
    int64_t days = days_from_civil(Y, M, D);
    *epoch_ms = ((days * 86400 + h * 3600 + mi * 60 + sec) - off_min * 60) * 1000 + ms;
    return true;
}

void ucrm__format_time(int64_t epoch_ms, char out[32]) {
    int64_t days = epoch_ms >= 0 ? epoch_ms / 86400000 : -((-epoch_ms + 86399999) / 86400000);
    int64_t rem = epoch_ms - days * 86400000;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    unsigned msec = (unsigned)(rem % 1000);
    unsigned secs = (unsigned)(rem / 1000);
    if (y < 0 || y > 9999) {
        snprintf(out, 32, "%04d-%02u-%02uT%02u:%02u:%02u.%03uZ", (int)y, m, d, secs / 3600, (secs / 60) % 60,
                 secs % 60, msec);
        return;
    }
    /* the common case by hand: snprintf was a tenth of a record's conversion time */
    unsigned v[] = {(unsigned)y / 100, (unsigned)y % 100, m, d, secs / 3600, (secs / 60) % 60, secs % 60};
    static const char sep[] = {0, 0, '-', '-', 'T', ':', ':'}; /* written before each pair of digits */
    char *o = out;
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        if (sep[i])
            *o++ = sep[i];
        *o++ = (char)('0' + v[i] / 10);
        *o++ = (char)('0' + v[i] % 10);
    }
    *o++ = '.';
    *o++ = (char)('0' + msec / 100);
    *o++ = (char)('0' + msec / 10 % 10);
    *o++ = (char)('0' + msec % 10);
    *o++ = 'Z';
    *o = '\0';
}

void ucrm__format_date(int64_t epoch_ms, char out[16]) {
    int64_t days = epoch_ms >= 0 ? epoch_ms / 86400000 : -((-epoch_ms + 86399999) / 86400000);
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, 16, "%04d-%02u-%02u", (int)y, m, d);
}

bool ucrm__decimal_valid(const char *s, size_t len) {
    size_t i = 0;
    if (len && (s[0] == '-' || s[0] == '+'))
        i++;
    size_t int_digits = 0, frac_digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        i++;
        int_digits++;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            frac_digits++;
        }
        if (!frac_digits)
            return false;
    }
    return i == len && int_digits > 0;
}

/* ---------------------------------------------------------------------------------------------- base64url */

#include <openssl/evp.h>

char *ucrm__b64url_encode(const void *data, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = data;
    if (n > (SIZE_MAX - 4) / 4 * 3)
        return NULL;
    char *out = ucrm__malloc((n + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    char *o = out;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        *o++ = tab[v >> 18 & 63];
        *o++ = tab[v >> 12 & 63];
        *o++ = tab[v >> 6 & 63];
        *o++ = tab[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        *o++ = tab[v >> 18 & 63];
        *o++ = tab[v >> 12 & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        *o++ = tab[v >> 18 & 63];
        *o++ = tab[v >> 12 & 63];
        *o++ = tab[v >> 6 & 63];
    }
    *o = '\0';
    return out;
}

char *ucrm__b64url_decode(const char *s, size_t max_len, size_t *outlen) {
    size_t n = strlen(s);
    if (n == 0 || n > max_len)
        return NULL;
    size_t padded = (n + 3) / 4 * 4;
    char *in = ucrm__malloc(padded + 1);
    unsigned char *out = ucrm__malloc(padded / 4 * 3 + 1);
    if (!in || !out) {
        ucrm__free(in);
        ucrm__free(out);
        return NULL;
    }
    for (size_t i = 0; i < padded; i++) {
        char c = i < n ? s[i] : '=';
        if (i < n && !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '_')) {
            ucrm__free(in);
            ucrm__free(out);
            return NULL;
        }
        in[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    int len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)padded);
    ucrm__free(in);
    if (len < 0) {
        ucrm__free(out);
        return NULL;
    }
    len -= (int)(padded - n); /* EVP_DecodeBlock counts padding as zero bytes */
    if (len < 0)
        len = 0;
    out[len] = '\0';
    *outlen = (size_t)len;
    return (char *)out;
}

/* ---------------------------------------------------------------------------------------------- random */

uint64_t ucrm__rand64(void) {
    /* splitmix64 over an atomic counter seeded from the clock: cheap, thread-safe, good enough for jitter. */
    static _Atomic uint64_t state;
    uint64_t s = atomic_load_explicit(&state, memory_order_relaxed);
    if (s == 0) {
        uint64_t seed = (uint64_t)ucrm__mono_us() ^ ((uint64_t)ucrm__now_ms() << 20) ^ 0x9E3779B97F4A7C15ull;
        uint64_t expected = 0;
        atomic_compare_exchange_strong(&state, &expected, seed);
    }
    uint64_t z = atomic_fetch_add_explicit(&state, 0x9E3779B97F4A7C15ull, memory_order_relaxed) +
                 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
