/*
 * jsonscan_int.h -- a strict, non-recursive JSON scanner over raw text: validates the whole document (UTF-8,
 * escapes, numbers, depth limit, size limit) without building a tree, and can collect the top-level object's
 * members with their raw offsets, so callers keep number text exactly as written.
 */
#ifndef UCRM_JSONSCAN_INT_H
#define UCRM_JSONSCAN_INT_H

#include "common_int.h"

#define JSON_MAX_INPUT ((size_t)64 << 20) /* 64 MiB */
#define JSON_MAX_DEPTH 64
#define JSON_MAX_NUMBER 63 /* cJSON reads at most 63 characters of a number */

enum { JK_NONE, JK_OBJECT, JK_ARRAY, JK_STRING, JK_NUMBER, JK_TRUE, JK_FALSE, JK_NULL };

typedef struct jmember {
    size_t key_off, key_len; /* the key literal, quotes included */
    size_t val_off, val_len; /* the value's text */
    int kind;
} jmember_t;

typedef struct jscan {
    const char *s;
    size_t len, pos;
    size_t err_pos;
    const char *err;        /* static; NULL with oom */
    bool oom;
    bool collect;           /* remember the members of a top-level object */
    jmember_t *m;
    size_t nm, capm;
    int root_kind;
    size_t root_off, root_len;
    /* the top-level member being read */
    size_t key_off, key_len, val_off;
    int val_kind;
} jscan_t;

/* Scans text; on failure returns UCRM_ERR_INVALID_ARG (message in errp, with the byte offset) or NOMEM.
 * With collect, j->m lists the members of a top-level object (free j->m with ucrm__free). */
ucrm_err_t ucrm_jscan__run(jscan_t *j, const char *s, size_t len, bool collect, ucrm_error_t **errp);
/* Unescapes a string literal's inside (raw, n bytes) into out (>= n + 1 bytes); returns the length. */
size_t ucrm_jscan__unescape(const char *raw, size_t n, char *out);
/* The unescaped value of the string literal at s[off..off+len) (quotes included), malloc'd; NULL on OOM. */
char *ucrm_jscan__string_value(const char *s, size_t off, size_t len, size_t *n);

#endif /* UCRM_JSONSCAN_INT_H */
