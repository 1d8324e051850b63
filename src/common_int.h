/*
 * common_int.h -- internal utilities shared by every module: allocation (through the hookable allocator),
 * growable buffers, string helpers, clocks, UTF-8 validation. Never installed.
 */
#ifndef UCRM_COMMON_INT_H
#define UCRM_COMMON_INT_H

#include "unicrm/unicrm.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#  define UCRM__PRINTF(f, a) __attribute__((format(printf, f, a)))
#  define UCRM__UNUSED __attribute__((unused))
#else
#  define UCRM__PRINTF(f, a)
#  define UCRM__UNUSED
#endif

#define UCRM__ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------------------------------------- allocation */
/* All of unicrm allocates through these (ucrm_global_set_allocator() replaces them). They never abort: NULL
 * means out of memory and the caller returns UCRM_ERR_NOMEM. */
void *ucrm__malloc(size_t n);
void *ucrm__calloc(size_t n, size_t size); /* overflow-checked */
void *ucrm__realloc(void *p, size_t n);
void ucrm__free(void *p);
char *ucrm__strdup(const char *s);            /* NULL in, NULL out */
char *ucrm__strndup(const char *s, size_t n); /* copies at most n bytes, always NUL-terminates */
/* Replace *dst with a copy of src (NULL clears). Returns false on OOM, leaving *dst unchanged. */
bool ucrm__strset(char **dst, const char *src);
/* Wipes then frees a secret string. */
void ucrm__free_secret(char *s);
/* Marks that an allocation happened (ucrm_global_set_allocator() refuses afterwards). */
void ucrm__alloc_used(void);

/* ---------------------------------------------------------------------------------------------- buffers */
typedef struct ucrm_buf {
    char *ptr;   /* NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    bool oom;    /* sticky: set when an append failed; later appends are no-ops */
} ucrm_buf_t;

#define UCRM_BUF_INIT {NULL, 0, 0, false}

bool ucrm_buf__reserve(ucrm_buf_t *b, size_t extra);
bool ucrm_buf__append(ucrm_buf_t *b, const char *data, size_t len);
bool ucrm_buf__puts(ucrm_buf_t *b, const char *s);
bool ucrm_buf__putc(ucrm_buf_t *b, char c);
bool ucrm_buf__printf(ucrm_buf_t *b, const char *fmt, ...) UCRM__PRINTF(2, 3);
bool ucrm_buf__vprintf(ucrm_buf_t *b, const char *fmt, va_list ap) UCRM__PRINTF(2, 0);
/* Appends s percent-encoded for a URL query value or path segment (RFC 3986 unreserved kept). */
bool ucrm_buf__urlencode(ucrm_buf_t *b, const char *s, size_t len);
/* Appends s as a JSON string literal (with quotes). */
bool ucrm_buf__json_str(ucrm_buf_t *b, const char *s, size_t len);
void ucrm_buf__reset(ucrm_buf_t *b); /* len = 0, keeps memory */
void ucrm_buf__free(ucrm_buf_t *b);
/* Hands the string to the caller (empty string when nothing was appended); NULL on OOM. */
char *ucrm_buf__steal(ucrm_buf_t *b);
static inline const char *ucrm_buf__str(const ucrm_buf_t *b) { return b->ptr ? b->ptr : ""; }

/* ---------------------------------------------------------------------------------------------- strings */
bool ucrm__streq(const char *a, const char *b);          /* NULL-safe */
bool ucrm__strcaseeq(const char *a, const char *b);      /* ASCII case-insensitive, NULL-safe */
bool ucrm__startswith(const char *s, const char *prefix);
/* Strict decimal parse of the whole string (no trailing junk, no overflow). */
bool ucrm__parse_i64(const char *s, int64_t *out);
bool ucrm__parse_i64_n(const char *s, size_t len, int64_t *out);
bool ucrm__parse_double(const char *s, double *out);
/* Validates UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool ucrm__utf8_valid(const char *s, size_t len);
/* Is the host part of an http(s) URL a loopback address (127.0.0.0/8, ::1, localhost)? */
bool ucrm__url_is_loopback(const char *url);

/* ---------------------------------------------------------------------------------------------- locale */
/* Numbers in JSON, URLs and logs are always written and read in the "C" numeric locale, whatever the
 * application set: switch this thread to it (uselocale) and back. enter returns what leave restores. */
#include <locale.h>
locale_t ucrm__c_locale_enter(void);
void ucrm__c_locale_leave(locale_t old);

/* ---------------------------------------------------------------------------------------------- time */
int64_t ucrm__now_ms(void);        /* wall clock, epoch ms */
int64_t ucrm__mono_ms(void);       /* monotonic ms */
int64_t ucrm__mono_us(void);       /* monotonic us */
void ucrm__sleep_ms(int64_t ms);
/* Parses RFC 3339 / ISO 8601 date-times as providers send them: "2024-05-01T12:00:00Z",
 * "...T12:00:00.123Z", "...T12:00:00.000+0000", "...+02:00", and a bare date "2024-05-01" (midnight UTC).
 * Returns false when malformed. */
bool ucrm__parse_time(const char *s, size_t len, int64_t *epoch_ms);
/* Formats epoch ms as "YYYY-MM-DDThh:mm:ss.mmmZ" into out (>= 25 bytes). */
void ucrm__format_time(int64_t epoch_ms, char out[32]);
/* Formats epoch ms as "YYYY-MM-DD" (UTC day) into out (>= 11 bytes). */
void ucrm__format_date(int64_t epoch_ms, char out[16]);
/* Validates a decimal number text: optional '-', digits, optional '.' digits, no exponent. */
bool ucrm__decimal_valid(const char *s, size_t len);

/* ---------------------------------------------------------------------------------------------- base64url */
/* base64url (RFC 4648 section 5) without padding, NUL-terminated; NULL on out of memory. */
char *ucrm__b64url_encode(const void *data, size_t n);
/* Decodes unpadded base64url of at most max_len characters; NULL when malformed, too long or out of memory.
 * The result is NUL-terminated; *outlen is its length. */
char *ucrm__b64url_decode(const char *s, size_t max_len, size_t *outlen);

/* ---------------------------------------------------------------------------------------------- random */
/* A uniformly distributed 64-bit value (thread-safe; not for cryptography). */
uint64_t ucrm__rand64(void);

#endif /* UCRM_COMMON_INT_H */
