/*
 * hs_json.c -- a small validating JSON scanner that reads HubSpot pages in place.
 *
 * cJSON allocates a node, a key and a value string for every member: about 90 allocations for one contact,
 * 9,000 for a page of 100, and they dominate the cost of reading a page. Pages are therefore scanned in place:
 * nothing is allocated, values are slices of the body, and each record keeps its object's text as a raw JSON
 * payload. The scanner accepts exactly RFC 8259 JSON (no trailing commas, no leading zeros, no control
 * characters in strings, valid escapes and surrogate pairs), with a nesting limit; UTF-8 is checked where the
 * text becomes a value (the record setters validate it).
 */
#include "hs_json.h"

#define HJ_MAX_DEPTH 64

static void ws(hj_t *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

int hj_peek(hj_t *j) {
    ws(j);
    return j->p < j->end ? (unsigned char)*j->p : 0;
}

static bool hexd(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool hj_string(hj_t *j, hj_str_t *out) {
    if (hj_peek(j) != '"')
        return false;
    const char *s = ++j->p;
    bool esc = false;
    for (;;) {
        /* the closing quote is usually the next '"': find it fast, then check what lies before it */
        const char *q = memchr(j->p, '"', (size_t)(j->end - j->p));
        if (!q)
            return false;
        const char *b = memchr(j->p, '\\', (size_t)(q - j->p));
        const char *stop = b ? b : q;
        for (const char *c = j->p; c < stop; c++)
            if ((unsigned char)*c < 0x20)
                return false;
        if (!b) {
            out->s = s;
            out->len = (size_t)(q - s);
            out->esc = esc;
            j->p = q + 1;
            return true;
        }
        esc = true;
        j->p = b + 1; /* an escape: validate it, then look for the closing quote again */
        if (j->p >= j->end)
            return false;
        char c = *j->p;
        if (c == 'u') {
            if (j->end - j->p < 5 || !hexd(j->p[1]) || !hexd(j->p[2]) || !hexd(j->p[3]) || !hexd(j->p[4]))
                return false;
            j->p += 4;
        } else if (!(c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't')) {
            return false;
        }
        j->p++;
    }
}

static bool digits(hj_t *j) {
    const char *s = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++;
    return j->p > s;
}

bool hj_number(hj_t *j, hj_str_t *out) {
    ws(j);
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p < j->end && *j->p == '0')
        j->p++;
    else if (!digits(j))
        return false;
    if (j->p < j->end && *j->p == '.' && (j->p++, !digits(j)))
        return false;
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (!digits(j))
            return false;
    }
    out->s = s;
    out->len = (size_t)(j->p - s);
    out->esc = false;
    return true;
}

static bool literal(hj_t *j, const char *w, size_t n) {
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return false;
    j->p += n;
    return true;
}

int hj_scalar(hj_t *j, hj_str_t *out) {
    switch (hj_peek(j)) {
    case '"': return hj_string(j, out) ? HJ_STR : HJ_ERR;
    case 't': return literal(j, "true", 4) ? HJ_TRUE : HJ_ERR;
    case 'f': return literal(j, "false", 5) ? HJ_FALSE : HJ_ERR;
    case 'n': return literal(j, "null", 4) ? HJ_NULL : HJ_ERR;
    case '{': return HJ_OBJ;
    case '[': return HJ_ARR;
    default: return hj_number(j, out) ? HJ_NUM : HJ_ERR;
    }
}

/* ---------------------------------------------------------------------------------------------- containers */

bool hj_enter(hj_t *j, char open) {
    if (hj_peek(j) != open || j->depth >= HJ_MAX_DEPTH)
        return false;
    j->p++;
    j->depth++;
    j->first = true;
    return true;
}

/* After a member or element: ',' (more) or the closing bracket (done). 1, 0 or -1. */
static int after_item(hj_t *j, char close) {
    int c = hj_peek(j);
    if (c == close) {
        j->p++;
        j->depth--;
        j->first = false;
        return 0;
    }
    if (j->first)
        return 1;
    if (c != ',')
        return -1;
    j->p++;
    return 1;
}

int hj_next_member(hj_t *j, hj_str_t *key) {
    int r = after_item(j, '}');
    if (r <= 0)
        return r;
    j->first = false;
    if (!hj_string(j, key) || hj_peek(j) != ':')
        return -1;
    j->p++;
    return 1;
}

int hj_next_elem(hj_t *j) {
    int r = after_item(j, ']');
    if (r > 0)
        j->first = false;
    return r;
}

bool hj_skip(hj_t *j) {
    hj_str_t s, k;
    int kind = hj_scalar(j, &s), r;
    if (kind == HJ_ERR)
        return false;
    if (kind == HJ_OBJ) {
        if (!hj_enter(j, '{'))
            return false;
        while ((r = hj_next_member(j, &k)) > 0)
            if (!hj_skip(j))
                return false;
        return r == 0;
    }
    if (kind == HJ_ARR) {
        if (!hj_enter(j, '['))
            return false;
        while ((r = hj_next_elem(j)) > 0)
            if (!hj_skip(j))
                return false;
        return r == 0;
    }
    return true;
}

bool hj_end(hj_t *j) { return hj_peek(j) == 0 && j->p == j->end; }

/* ---------------------------------------------------------------------------------------------- strings */

static unsigned hex4(const char *p) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

static size_t put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

bool hj_unescape(const hj_str_t *in, char *out, size_t *outlen) {
    size_t n = 0;
    for (size_t i = 0; i < in->len; i++) {
        char c = in->s[i];
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        c = in->s[++i];
        switch (c) {
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            unsigned cp = hex4(in->s + i + 1);
            i += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return false; /* a lone low surrogate */
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (i + 6 >= in->len || in->s[i + 1] != '\\' || in->s[i + 2] != 'u')
                    return false;
                unsigned lo = hex4(in->s + i + 3);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return false;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
            if (cp == 0)
                return false; /* NUL cannot be in a C string value */
            n += put_utf8(out + n, cp);
            break;
        }
        default: out[n++] = c; /* " \ / */
        }
    }
    out[n] = '\0';
    *outlen = n;
    return true;
}

bool hj_streq(const hj_str_t *s, const char *lit) {
    size_t n = strlen(lit);
    return !s->esc && s->len == n && memcmp(s->s, lit, n) == 0;
}
