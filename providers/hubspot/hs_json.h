/*
 * hs_json.h -- the HubSpot adapter's in-place JSON scanner (hs_json.c): validating, non-allocating.
 *
 *   hj_t j = {body, body + len, 0, false};
 *   if (!hj_enter(&j, '{')) fail;
 *   while ((r = hj_next_member(&j, &key)) > 0) { ... read or hj_skip() the value ... }
 *   if (r < 0 || !hj_end(&j)) fail;
 */
#ifndef UCRM_HS_JSON_H
#define UCRM_HS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct hj {
    const char *p, *end;
    int depth;
    bool first;      /* the container just entered has not had an item yet */
} hj_t;

/* A slice of the text: a string's content without its quotes (esc: it holds escapes), or a number. */
typedef struct hj_str {
    const char *s;
    size_t len;
    bool esc;
} hj_str_t;

enum { HJ_ERR = -1, HJ_OBJ = 1, HJ_ARR, HJ_STR, HJ_NUM, HJ_TRUE, HJ_FALSE, HJ_NULL };

/* The next non-space character (0 at the end), not consumed. */
int hj_peek(hj_t *j);
/* Reads a scalar (string, number, true, false, null) into out; for '{' and '[' returns HJ_OBJ/HJ_ARR without
 * consuming anything. HJ_ERR on malformed text. */
int hj_scalar(hj_t *j, hj_str_t *out);
bool hj_string(hj_t *j, hj_str_t *out);
bool hj_number(hj_t *j, hj_str_t *out);
/* Enters an object ('{') or array ('['). */
bool hj_enter(hj_t *j, char open);
/* The next member: 1 with the key read and the ':' consumed (the value comes next), 0 after the closing '}',
 * -1 on malformed text. Every value must be read or skipped before the next call. */
int hj_next_member(hj_t *j, hj_str_t *key);
/* The next array element: 1 (the element comes next), 0 after ']', -1 on malformed text. */
int hj_next_elem(hj_t *j);
/* Skips one value of any kind, validating it. */
bool hj_skip(hj_t *j);
/* Nothing but white space is left. */
bool hj_end(hj_t *j);
/* Writes the string's content, unescaped and NUL-terminated, to out (room for in->len + 1 bytes is enough).
 * false for a lone surrogate or an escaped NUL. */
bool hj_unescape(const hj_str_t *in, char *out, size_t *outlen);
/* Is the (unescaped-free) slice exactly lit? */
bool hj_streq(const hj_str_t *s, const char *lit);

#endif /* UCRM_HS_JSON_H */
