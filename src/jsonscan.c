/*
 * jsonscan.c -- see jsonscan_int.h. Iterative (an explicit stack of JSON_MAX_DEPTH levels), so hostile nesting
 * cannot overflow the C stack; cJSON is only used on text this scanner has already accepted.
 */
#include "jsonscan_int.h"
#include "error_int.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }



static bool js_fail(jscan_t *j, size_t pos, const char *msg) {
    j->err_pos = pos;
    j->err = msg;
    return false;
}

static void js_ws(jscan_t *j) {
    while (j->pos < j->len) {
        char c = j->s[j->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        j->pos++;
    }
}

static bool hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d = is_digit(c) ? (unsigned)(c - '0')
                     : (c >= 'a' && c <= 'f') ? (unsigned)(c - 'a' + 10)
                     : (c >= 'A' && c <= 'F') ? (unsigned)(c - 'A' + 10)
                                               : 16u;
        if (d > 15)
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

/* A backslash escape at s[*i]; advances *i past it. */
static bool js_escape(jscan_t *j, size_t *i) {
    const char *s = j->s;
    size_t p = *i, left = j->len - p;
    unsigned u, lo;
    if (left < 2)
        return js_fail(j, j->len, "unterminated string");
    if (s[p + 1] && strchr("\"\\/bfnrt", s[p + 1])) {
        *i = p + 2;
        return true;
    }
    if (s[p + 1] != 'u')
        return js_fail(j, p, "invalid escape sequence");
    if (left < 6 || !hex4(s + p + 2, &u))
        return js_fail(j, p, "invalid \\u escape");
    if (u == 0)
        return js_fail(j, p, "\\u0000 is not allowed");
    if (u >= 0xDC00 && u <= 0xDFFF)
        return js_fail(j, p, "unpaired UTF-16 surrogate");
    if (u >= 0xD800 && u <= 0xDBFF) {
        if (left < 12 || s[p + 6] != '\\' || s[p + 7] != 'u' || !hex4(s + p + 8, &lo) || lo < 0xDC00 ||
            lo > 0xDFFF)
            return js_fail(j, p, "unpaired UTF-16 surrogate");
        *i = p + 12;
        return true;
    }
    *i = p + 6;
    return true;
}

static size_t utf8_seq_len(unsigned char c) {
    return c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
}

static bool js_string(jscan_t *j) {
    const unsigned char *s = (const unsigned char *)j->s;
    size_t i = j->pos + 1;
    for (;;) {
        if (i >= j->len)
            return js_fail(j, j->len, "unterminated string");
        unsigned char c = s[i];
        if (c == '"')
            break;
        if (c < 0x20)
            return js_fail(j, i, "control character in string");
        if (c == '\\') {
            if (!js_escape(j, &i))
                return false;
        } else if (c >= 0x80) {
            size_t n = utf8_seq_len(c);
            if (!n || n > j->len - i || !ucrm__utf8_valid(j->s + i, n))
                return js_fail(j, i, "invalid UTF-8");
            i += n;
        } else {
            i++;
        }
    }
    j->pos = i + 1;
    return true;
}

static bool js_digits(jscan_t *j) {
    size_t start = j->pos;
    while (j->pos < j->len && is_digit(j->s[j->pos]))
        j->pos++;
    return j->pos > start || js_fail(j, j->pos, j->pos < j->len ? "invalid number" : "unexpected end of input");
}

static bool js_number(jscan_t *j) {
    size_t start = j->pos;
    if (j->s[j->pos] == '-')
        j->pos++;
    if (j->pos < j->len && j->s[j->pos] == '0')
        j->pos++;
    else if (!js_digits(j))
        return false;
    if (j->pos < j->len && j->s[j->pos] == '.') {
        j->pos++;
        if (!js_digits(j))
            return false;
    }
    if (j->pos < j->len && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E')) {
        j->pos++;
        if (j->pos < j->len && (j->s[j->pos] == '+' || j->s[j->pos] == '-'))
            j->pos++;
        if (!js_digits(j))
            return false;
    }
    if (j->pos - start > JSON_MAX_NUMBER)
        return js_fail(j, start, "number longer than 63 characters");
    return true;
}

static bool js_literal(jscan_t *j, const char *word) {
    size_t n = strlen(word);
    if (j->len - j->pos < n || memcmp(j->s + j->pos, word, n) != 0)
        return js_fail(j, j->pos, j->len - j->pos < n && memcmp(j->s + j->pos, word, j->len - j->pos) == 0
                                      ? "unexpected end of input"
                                      : "invalid literal");
    j->pos += n;
    return true;
}

static int js_scalar(jscan_t *j) {
    char c = j->s[j->pos];
    if (c == '"')
        return js_string(j) ? JK_STRING : JK_NONE;
    if (c == '-' || is_digit(c))
        return js_number(j) ? JK_NUMBER : JK_NONE;
    if (c == 't')
        return js_literal(j, "true") ? JK_TRUE : JK_NONE;
    if (c == 'f')
        return js_literal(j, "false") ? JK_FALSE : JK_NONE;
    if (c == 'n')
        return js_literal(j, "null") ? JK_NULL : JK_NONE;
    js_fail(j, j->pos, "expected a JSON value");
    return JK_NONE;
}

/* A value ended; depth is the nesting level it sits at (0: the top-level value). */
static bool js_value_end(jscan_t *j, size_t depth) {
    if (depth == 0) {
        j->root_len = j->pos - j->root_off;
    } else if (depth == 1 && j->collect && j->root_kind == JK_OBJECT) {
        if (j->nm == j->capm) {
            size_t cap = j->capm ? j->capm * 2 : 16;
            jmember_t *m = ucrm__realloc(j->m, cap * sizeof *m);
            if (!m) {
                j->oom = true;
                return false;
            }
            j->m = m;
            j->capm = cap;
        }
        j->m[j->nm++] = (jmember_t){j->key_off, j->key_len, j->val_off, j->pos - j->val_off, j->val_kind};
    }
    return true;
}

enum { ST_VALUE, ST_OBJ_OPEN, ST_ARR_OPEN, ST_KEY, ST_AFTER };

/* ST_VALUE: a value starts at j->pos (opens a container, or reads a whole scalar). */
static bool js_value(jscan_t *j, int *st, char *stack, size_t *depth) {
    size_t level = *depth; /* the nesting level the value sits at */
    char c = j->s[j->pos];
    int kind;
    if (level == 0)
        j->root_off = j->pos;
    if (level == 1)
        j->val_off = j->pos;
    if (c == '{' || c == '[') {
        if (level == JSON_MAX_DEPTH)
            return js_fail(j, j->pos, "nested deeper than 64 levels");
        kind = c == '{' ? JK_OBJECT : JK_ARRAY;
        stack[(*depth)++] = c;
        j->pos++;
        *st = c == '{' ? ST_OBJ_OPEN : ST_ARR_OPEN;
    } else {
        if ((kind = js_scalar(j)) == JK_NONE)
            return false;
        *st = ST_AFTER;
    }
    if (level == 0)
        j->root_kind = kind;
    if (level == 1)
        j->val_kind = kind;
    return *st != ST_AFTER || js_value_end(j, level); /* a container ends when it closes */
}

/* ST_KEY: a member name, then ':'. */
static bool js_key(jscan_t *j, size_t depth) {
    size_t k = j->pos;
    if (j->s[k] != '"')
        return js_fail(j, k, "expected a string key");
    if (!js_string(j))
        return false;
    if (depth == 1) {
        j->key_off = k;
        j->key_len = j->pos - k;
    }
    js_ws(j);
    if (j->pos >= j->len || j->s[j->pos] != ':')
        return js_fail(j, j->pos, j->pos >= j->len ? "unexpected end of input" : "expected ':'");
    j->pos++;
    return true;
}

/* One step of the scanner in state *st at nesting level *depth (stack holds the open brackets). */
static bool js_step(jscan_t *j, int *st, char *stack, size_t *depth) {
    char c = j->s[j->pos];
    switch (*st) {
    case ST_VALUE:
        return js_value(j, st, stack, depth);
    case ST_KEY:
        *st = ST_VALUE;
        return js_key(j, *depth);
    case ST_ARR_OPEN:
    case ST_OBJ_OPEN:
        if (c == (*st == ST_ARR_OPEN ? ']' : '}'))
            break; /* empty: close below */
        *st = *st == ST_ARR_OPEN ? ST_VALUE : ST_KEY;
        return true;
    case ST_AFTER:
        if (c == ',') {
            j->pos++;
            *st = stack[*depth - 1] == '{' ? ST_KEY : ST_VALUE;
            return true;
        }
        if (c != (stack[*depth - 1] == '{' ? '}' : ']'))
            return js_fail(j, j->pos, stack[*depth - 1] == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
        break;
    }
    /* close the innermost container */
    j->pos++;
    (*depth)--;
    *st = ST_AFTER;
    return js_value_end(j, *depth);
}

/* Validates s[0..len) as one JSON value (iteratively: the nesting limit bounds a fixed stack). */
static bool js_scan(jscan_t *j) {
    char stack[JSON_MAX_DEPTH];
    size_t depth = 0;
    int st = ST_VALUE;
    for (;;) {
        js_ws(j);
        if (st == ST_AFTER && depth == 0)
            return j->pos == j->len || js_fail(j, j->pos, "unexpected data after the JSON value");
        if (j->pos >= j->len)
            return js_fail(j, j->len, "unexpected end of input");
        if (!js_step(j, &st, stack, &depth))
            return false;
    }
}

/* Unescapes a validated string literal's body raw[0..n) into out (n + 1 bytes); returns the length. */
size_t ucrm_jscan__unescape(const char *raw, size_t n, char *out) {
    char *o = out;
    for (size_t i = 0; i < n;) {
        const char *bs = memchr(raw + i, '\\', n - i);
        size_t run = bs ? (size_t)(bs - (raw + i)) : n - i;
        memcpy(o, raw + i, run);
        o += run;
        i += run;
        if (i >= n)
            break;
        char e = raw[i + 1];
        unsigned u, lo;
        i += 2;
        switch (e) {
        case 'b': *o++ = '\b'; continue;
        case 'f': *o++ = '\f'; continue;
        case 'n': *o++ = '\n'; continue;
        case 'r': *o++ = '\r'; continue;
        case 't': *o++ = '\t'; continue;
        case 'u': break;
        default: *o++ = e; continue;
        }
        hex4(raw + i, &u);
        i += 4;
        if (u >= 0xD800 && u <= 0xDBFF) {
            hex4(raw + i + 2, &lo);
            i += 6;
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        }
        int extra = u < 0x80 ? 0 : u < 0x800 ? 1 : u < 0x10000 ? 2 : 3; /* continuation bytes */
        static const unsigned char lead[] = {0x00, 0xC0, 0xE0, 0xF0};
        *o++ = (char)(lead[extra] | u >> (6 * extra));
        for (int k = extra - 1; k >= 0; k--)
            *o++ = (char)(0x80 | ((u >> (6 * k)) & 0x3F));
    }
    *o = '\0';
    return (size_t)(o - out);
}

/* A heap copy of a string literal's value (literal at s[off..off+len), quotes included). */
char *ucrm_jscan__string_value(const char *s, size_t off, size_t len, size_t *n) {
    char *out = ucrm__malloc(len - 1);
    if (out)
        *n = ucrm_jscan__unescape(s + off + 1, len - 2, out);
    return out;
}

/* Scans text; on failure returns INVALID_ARG (message in errp) or NOMEM. */
ucrm_err_t ucrm_jscan__run(jscan_t *j, const char *s, size_t len, bool collect, ucrm_error_t **errp) {
    memset(j, 0, sizeof *j);
    j->s = s;
    j->len = len;
    j->collect = collect;
    if (len > JSON_MAX_INPUT)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "JSON input of %zu bytes is over the 64 MiB limit", len);
    if (js_scan(j))
        return UCRM_OK;
    if (j->oom)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "malformed JSON at byte %zu: %s", j->err_pos, j->err);
}

