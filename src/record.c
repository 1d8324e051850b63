/*
 * record.c -- records (record_int.h): typed, name-addressed fields checked against the unified model, their
 * JSON form, and the put_* API the adapters fill records with.
 *
 * One conversion layer serves every entry point. A value arrives as text, an integer, a double, a boolean, a
 * time, a null, JSON text or a cJSON tree; conv_*() turns it into a stored value of the field's model type (or
 * of its own type for custom fields) or says why it does not fit; store() puts it in place. Public setters add
 * the read-only check and the dirty mark; put_* skip both and report bad provider data as UCRM_ERR_PROTOCOL.
 *
 * JSON input (ucrm_record_new_from_json, ucrm_record_set_json) is validated first by a strict iterative scanner
 * (grammar, UTF-8, nesting <= 64, no \u0000, numbers <= 63 characters) that also remembers where each top-level
 * member is. Scalars are then converted straight from the text (numbers keep their exact digits); only
 * object and array values are handed to cJSON, which after the scan can fail only for lack of memory.
 *
 * Numbers are formatted and parsed in the "C" locale whatever the application's LC_NUMERIC says.
 */
#include "record_int.h"
#include "jsonscan_int.h"

#include "error_int.h"

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define PLAIN_MAX 400                      /* plain decimal text from a number: fits every finite double */
#define TIME_MIN_MS INT64_C(-62167219200000) /* 0000-01-01T00:00:00.000Z */
#define TIME_MAX_MS INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */
#define FIELDS_MIN_CAP 8

/* ============================================================================================== small helpers */

static bool is_id(const char *name) { return name[0] == 'i' && name[1] == 'd' && name[2] == '\0'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_text_type(ucrm_field_type_t t) {
    return t == UCRM_FIELD_STRING || t == UCRM_FIELD_DATETIME || t == UCRM_FIELD_DATE || t == UCRM_FIELD_DECIMAL;
}

static char *dup_n(const char *s, size_t n) {
    char *d = ucrm__malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* strtod of a whole NUL-terminated string; false unless finite and fully consumed. */
static bool c_strtod(const char *s, double *out) {
    char *end = NULL;
    locale_t old = ucrm__c_locale_enter();
    double v = strtod(s, &end);
    ucrm__c_locale_leave(old);
    if (end == s || *end != '\0' || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* The shortest of 15, 16 or 17 significant digits that reads back as v (%g form, or %e form when exp). */
static void fmt_shortest(char *buf, size_t n, double v, bool exp) {
    locale_t old = ucrm__c_locale_enter();
    for (int p = 15; p <= 17; p++) {
        if (exp)
            snprintf(buf, n, "%.*e", p - 1, v);
        else
            snprintf(buf, n, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    ucrm__c_locale_leave(old);
}

/* ---------------------------------------------------------------------------------------------- number text */

/* Writes JSON number text s[0..n) in plain positional notation, digit for digit ("1.50e1" -> "15.0",
 * "-2E-3" -> "-0.002"), with redundant leading zeros of the integer part dropped. out: PLAIN_MAX bytes.
 * False when the result would not fit. */
static bool number_to_plain(const char *s, size_t n, char *out) {
    size_t i = 0, il = 0, fl = 0;
    bool neg = n > 0 && s[0] == '-';
    i = neg;
    const char *ip = s + i;
    while (i < n && is_digit(s[i]))
        i++, il++;
    const char *fp = s + i + 1;
    if (i < n && s[i] == '.')
        for (i++; i < n && is_digit(s[i]); i++)
            fl++;
    long e = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        bool eneg = s[++i] == '-';
        if (s[i] == '-' || s[i] == '+')
            i++;
        for (; i < n && is_digit(s[i]); i++)
            e = e > 100000 ? e : e * 10 + (s[i] - '0');
        e = eneg ? -e : e;
    }
    long nd = (long)(il + fl), point = (long)il + e;
    long ilen = point > 0 ? point : 1, flen = point < nd ? nd - point : 0;
    if ((long)neg + ilen + (flen ? flen + 1 : 0) >= PLAIN_MAX)
        return false;
#define DIGIT(k) ((k) < 0 || (k) >= nd ? '0' : (k) < (long)il ? ip[(k)] : fp[(k) - (long)il])
    char *o = out;
    if (neg)
        *o++ = '-';
    long k = 0;
    while (k < point - 1 && DIGIT(k) == '0')
        k++;
    if (point <= 0)
        *o++ = '0';
    for (; k < point; k++)
        *o++ = DIGIT(k);
    if (flen) {
        *o++ = '.';
        for (k = point; k < nd; k++)
            *o++ = DIGIT(k);
    }
#undef DIGIT
    *o = '\0';
    return true;
}

/* Plain decimal text (as stored) -> int64 when its value is integral and in range ("1500.00" -> 1500). */
static bool plain_to_i64(const char *s, int64_t *out) {
    const char *dot = strchr(s, '.');
    if (dot)
        for (const char *p = dot + 1; *p; p++)
            if (*p != '0')
                return false;
    return ucrm__parse_i64_n(s, dot ? (size_t)(dot - s) : strlen(s), out);
}

/* A double as decimal text without exponent, shortest round trip. False when non-finite or too long. */
static bool double_to_plain(double v, char *out) {
    char buf[40];
    if (!isfinite(v))
        return false;
    if (v == 0) {
        strcpy(out, "0");
        return true;
    }
    fmt_shortest(buf, sizeof buf, v, true);
    char *e = strchr(buf, 'e'), *z = e; /* strip the mantissa's trailing zeros: "1.500e+01" -> "1.5e+01" */
    if (!e)
        return false;
    while (z > buf && z[-1] == '0')
        z--;
    if (z > buf && z[-1] == '.')
        z--;
    memmove(z, e, strlen(e) + 1);
    return number_to_plain(buf, strlen(buf), out);
}

/* A double as a JSON number that reads back as a double: "0.1", "1500.0", "1e+300", "-0.0". */
static bool put_double_json(ucrm_buf_t *b, double v) {
    char buf[40];
    fmt_shortest(buf, sizeof buf, v, false);
    if (!strpbrk(buf, ".e"))
        strcat(buf, ".0");
    return ucrm_buf__puts(b, buf);
}

/* Validated decimal text -> normalised copy: no '+', no redundant leading zeros; digits otherwise untouched. */
static char *decimal_normalise(const char *s, size_t len) {
    char *d = ucrm__malloc(len + 1), *o = d;
    if (!d)
        return NULL;
    size_t i = 0;
    if (s[0] == '-' || s[0] == '+') {
        if (s[0] == '-')
            *o++ = '-';
        i = 1;
    }
    while (i + 1 < len && s[i] == '0' && is_digit(s[i + 1]))
        i++;
    memcpy(o, s + i, len - i);
    o[len - i] = '\0';
    return d;
}

/* ============================================================================================== values */

/* How a conversion reports a failure: the code for bad data (INVALID_ARG for the public API, PROTOCOL for
 * put_*) and a static reason for messages. */
typedef struct cctx {
    ucrm_err_t bad;
    const char *why;
} cctx_t;

static ucrm_err_t cfail(cctx_t *c, ucrm_err_t code, const char *why) {
    c->why = why;
    return code;
}

static void val_clear(ucrm_fval_t *f) {
    if (is_text_type(f->type))
        ucrm__free(f->v.s);
    else if (f->type == UCRM_FIELD_OBJECT || f->type == UCRM_FIELD_ARRAY)
        cJSON_Delete(f->v.j);
    f->type = UCRM_FIELD_NULL;
}

static ucrm_field_type_t target_type(const ucrm_model_field_t *def) {
    return def ? def->type : UCRM_FIELD_NONE; /* NONE: custom, takes the value's own type */
}

static ucrm_err_t set_text(ucrm_fval_t *out, ucrm_field_type_t t, char *s) {
    if (!s)
        return UCRM_ERR_NOMEM;
    out->type = t;
    out->v.s = s;
    return UCRM_OK;
}

static ucrm_err_t conv_time(cctx_t *c, const ucrm_model_field_t *def, int64_t ms, ucrm_fval_t *out) {
    ucrm_field_type_t t = target_type(def);
    char buf[32];
    if (t != UCRM_FIELD_NONE && t != UCRM_FIELD_DATETIME && t != UCRM_FIELD_DATE)
        return cfail(c, UCRM_ERR_TYPE, "not a date or date-time field");
    if (ms < TIME_MIN_MS || ms > TIME_MAX_MS)
        return cfail(c, c->bad, "time outside the years 0000-9999");
    if (t == UCRM_FIELD_DATE) {
        ucrm__format_date(ms, buf);
        return set_text(out, UCRM_FIELD_DATE, dup_n(buf, 10));
    }
    ucrm__format_time(ms, buf);
    return set_text(out, UCRM_FIELD_DATETIME, dup_n(buf, 24));
}

/* Already "YYYY-MM-DDThh:mm:ss.mmmZ" (digits unchecked here: ucrm__parse_time does it), no leap second. */
static bool time_is_normal(const char *s, size_t len) {
    return len == 24 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' &&
           s[19] == '.' && s[23] == 'Z' && s[17] <= '5' && is_digit(s[20]) && is_digit(s[21]) && is_digit(s[22]);
}

/* Text for a string-like field. declared: the type the caller says the text is (put_str), or NONE for "fit it
 * to the field" (public setters, JSON). owned: NULL, or a heap copy of exactly s[0..len) that may be adopted;
 * it is always consumed. */
static ucrm_err_t conv_text(cctx_t *c, const ucrm_model_field_t *def, ucrm_field_type_t declared, const char *s,
                            size_t len, char *owned, ucrm_fval_t *out) {
    ucrm_field_type_t t = target_type(def);
    ucrm_err_t rc;
    int64_t ms;
    if (t == UCRM_FIELD_NONE)
        t = declared != UCRM_FIELD_NONE ? declared : UCRM_FIELD_STRING;
    else if (declared != UCRM_FIELD_NONE && declared != t)
        t = UCRM_FIELD_NONE; /* the adapter says it is something the field is not */
    switch (t) {
    case UCRM_FIELD_STRING:
        rc = set_text(out, t, owned ? owned : dup_n(s, len));
        owned = NULL;
        break;
    case UCRM_FIELD_DATETIME:
        if (time_is_normal(s, len) && ucrm__parse_time(s, len, &ms)) { /* as stored already: keep the text */
            rc = set_text(out, t, owned ? owned : dup_n(s, len));
            owned = NULL;
        } else if (len <= 10 || !ucrm__parse_time(s, len, &ms))
            rc = cfail(c, declared ? c->bad : UCRM_ERR_TYPE, "not an RFC 3339 date-time with a time zone");
        else
            rc = conv_time(c, NULL, ms, out);
        break;
    case UCRM_FIELD_DATE:
        if (len != 10 || !ucrm__parse_time(s, len, &ms))
            rc = cfail(c, declared ? c->bad : UCRM_ERR_TYPE, "not a valid YYYY-MM-DD date");
        else
            rc = set_text(out, t, owned ? owned : dup_n(s, len)), owned = NULL;
        break;
    case UCRM_FIELD_DECIMAL:
        if (!ucrm__decimal_valid(s, len))
            rc = cfail(c, declared ? c->bad : UCRM_ERR_TYPE, "not a decimal number (digits, optional fraction)");
        else
            rc = set_text(out, t, decimal_normalise(s, len));
        break;
    default:
        rc = cfail(c, UCRM_ERR_TYPE, declared ? "wrong type for this field" : "the field does not take text");
    }
    ucrm__free(owned);
    return rc;
}

static ucrm_err_t conv_int(cctx_t *c, const ucrm_model_field_t *def, int64_t v, ucrm_fval_t *out) {
    char buf[24];
    switch (target_type(def)) {
    case UCRM_FIELD_NONE:
    case UCRM_FIELD_INT:
        out->type = UCRM_FIELD_INT;
        out->v.i = v;
        return UCRM_OK;
    case UCRM_FIELD_DOUBLE:
        out->type = UCRM_FIELD_DOUBLE;
        out->v.d = (double)v;
        return UCRM_OK;
    case UCRM_FIELD_DECIMAL:
        snprintf(buf, sizeof buf, "%" PRId64, v);
        return set_text(out, UCRM_FIELD_DECIMAL, ucrm__strdup(buf));
    default:
        return cfail(c, UCRM_ERR_TYPE, "the field does not take a number");
    }
}

static ucrm_err_t conv_double(cctx_t *c, const ucrm_model_field_t *def, double v, ucrm_fval_t *out) {
    char buf[PLAIN_MAX];
    if (!isfinite(v))
        return cfail(c, c->bad, "not a finite number");
    switch (target_type(def)) {
    case UCRM_FIELD_NONE:
    case UCRM_FIELD_DOUBLE:
        out->type = UCRM_FIELD_DOUBLE;
        out->v.d = v;
        return UCRM_OK;
    case UCRM_FIELD_INT:
        if (v != trunc(v) || v < -9223372036854775808.0 || v >= 9223372036854775808.0)
            return cfail(c, UCRM_ERR_TYPE, "not an integer in the int64 range");
        out->type = UCRM_FIELD_INT;
        out->v.i = (int64_t)v;
        return UCRM_OK;
    case UCRM_FIELD_DECIMAL:
        if (!double_to_plain(v, buf))
            return cfail(c, UCRM_ERR_TYPE, "number out of range for a decimal");
        return set_text(out, UCRM_FIELD_DECIMAL, ucrm__strdup(buf));
    default:
        return cfail(c, UCRM_ERR_TYPE, "the field does not take a number");
    }
}

static ucrm_err_t conv_bool(cctx_t *c, const ucrm_model_field_t *def, bool v, ucrm_fval_t *out) {
    ucrm_field_type_t t = target_type(def);
    if (t != UCRM_FIELD_NONE && t != UCRM_FIELD_BOOL)
        return cfail(c, UCRM_ERR_TYPE, "the field does not take a boolean");
    out->type = UCRM_FIELD_BOOL;
    out->v.b = v;
    return UCRM_OK;
}

/* A JSON number's exact text (validated grammar, <= 63 characters). */
static ucrm_err_t conv_number_text(cctx_t *c, const ucrm_model_field_t *def, const char *s, size_t n,
                                   ucrm_fval_t *out) {
    char plain[PLAIN_MAX], z[JSON_MAX_NUMBER + 1];
    int64_t i;
    double d;
    memcpy(z, s, n);
    z[n] = '\0';
    switch (target_type(def)) {
    case UCRM_FIELD_NONE:
        if (!strpbrk(z, ".eE") && ucrm__parse_i64_n(z, n, &i))
            return conv_int(c, def, i, out);
        /* fall through */
    case UCRM_FIELD_DOUBLE:
        if (!c_strtod(z, &d))
            return cfail(c, UCRM_ERR_TYPE, "number out of the double range");
        return conv_double(c, def, d, out);
    case UCRM_FIELD_INT:
        if (!number_to_plain(z, n, plain) || !plain_to_i64(plain, &i))
            return cfail(c, UCRM_ERR_TYPE, "not an integer in the int64 range");
        return conv_int(c, def, i, out);
    case UCRM_FIELD_DECIMAL:
        if (!number_to_plain(z, n, plain))
            return cfail(c, UCRM_ERR_TYPE, "number out of range for a decimal");
        return set_text(out, UCRM_FIELD_DECIMAL, ucrm__strdup(plain));
    default:
        return cfail(c, UCRM_ERR_TYPE, "the field does not take a number");
    }
}

/* ---------------------------------------------------------------------------------------------- JSON trees */

static bool tree_utf8_valid(const cJSON *j) {
    for (; j; j = j->next) {
        if (j->string && !ucrm__utf8_valid(j->string, strlen(j->string)))
            return false;
        if ((cJSON_IsString(j) || cJSON_IsRaw(j)) && j->valuestring &&
            !ucrm__utf8_valid(j->valuestring, strlen(j->valuestring)))
            return false;
        if (j->child && !tree_utf8_valid(j->child))
            return false;
    }
    return true;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Finds a member name used twice in one object, anywhere in the tree. UCRM_OK, UCRM_ERR_INVALID_ARG with *dup
 * set, or UCRM_ERR_NOMEM. */
static ucrm_err_t tree_find_dup(const cJSON *j, const char **dup) {
    for (; j; j = j->next) {
        if (cJSON_IsObject(j) && j->child && j->child->next) {
            size_t n = (size_t)cJSON_GetArraySize(j), k = 0;
            const char **names = ucrm__malloc(n * sizeof *names);
            if (!names)
                return UCRM_ERR_NOMEM;
            for (const cJSON *m = j->child; m; m = m->next)
                names[k++] = m->string ? m->string : "";
            qsort(names, n, sizeof *names, cmp_names);
            for (k = 1; k < n && strcmp(names[k - 1], names[k]) != 0; k++)
                ;
            *dup = k < n ? names[k] : NULL;
            ucrm__free(names);
            if (*dup)
                return UCRM_ERR_INVALID_ARG;
        }
        if (j->child) {
            ucrm_err_t rc = tree_find_dup(j->child, dup);
            if (rc != UCRM_OK)
                return rc;
        }
    }
    return UCRM_OK;
}

static bool one_of(const char *s, const char *const *list) {
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

static const char *const phone_types[] = {"work", "mobile", "home", "other", "fax", "assistant", NULL};
static const char *const address_keys[] = {"street", "city", "state", "postal_code", "country", NULL};

static bool phone_ok(const cJSON *p) {
    bool number = false;
    if (!cJSON_IsObject(p))
        return false;
    for (const cJSON *m = p->child; m; m = m->next) {
        if (!m->string)
            return false;
        if (strcmp(m->string, "number") == 0 && cJSON_IsString(m))
            number = true;
        else if (!(strcmp(m->string, "type") == 0 && cJSON_IsString(m) && m->valuestring &&
                   one_of(m->valuestring, phone_types)))
            return false;
    }
    return number;
}

/* The shape of the known compound fields; NULL when fine, else why not. */
static const char *shape_error(const char *name, const cJSON *j) {
    if (strcmp(name, "additional_emails") == 0) {
        for (const cJSON *e = j->child; e; e = e->next)
            if (!cJSON_IsString(e))
                return "additional_emails must be an array of strings";
    } else if (strcmp(name, "phone_numbers") == 0) {
        for (const cJSON *p = j->child; p; p = p->next)
            if (!phone_ok(p))
                return "phone_numbers must be an array of {\"number\": string, \"type\": work|mobile|home|other|"
                       "fax|assistant}";
    } else if (strcmp(name, "address") == 0) {
        for (const cJSON *m = j->child; m; m = m->next)
            if (!m->string || !one_of(m->string, address_keys) || !(cJSON_IsString(m) || cJSON_IsNull(m)))
                return "address members are street, city, state, postal_code, country: strings or null";
    }
    return NULL;
}

/* An object or array for a field (takes j, also on failure). */
static ucrm_err_t conv_tree(cctx_t *c, const ucrm_model_field_t *def, cJSON *j, ucrm_fval_t *out) {
    ucrm_field_type_t t = target_type(def), have = cJSON_IsObject(j) ? UCRM_FIELD_OBJECT : UCRM_FIELD_ARRAY;
    const char *why = NULL;
    if (!cJSON_IsObject(j) && !cJSON_IsArray(j))
        why = "not a JSON object or array";
    else if (t != UCRM_FIELD_NONE && t != have)
        why = t == UCRM_FIELD_OBJECT ? "the field takes a JSON object"
              : t == UCRM_FIELD_ARRAY ? "the field takes a JSON array"
                                      : "the field does not take a JSON object or array";
    else if (def)
        why = shape_error(def->name, j);
    if (why) {
        cJSON_Delete(j);
        return cfail(c, UCRM_ERR_TYPE, why);
    }
    out->type = have;
    out->v.j = j;
    return UCRM_OK;
}

/* A scalar or tree the provider sent, for a custom field (copied). */
static ucrm_err_t conv_cjson(cctx_t *c, const cJSON *v, ucrm_fval_t *out) {
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring ? v->valuestring : "";
        size_t n = strlen(s);
        if (!ucrm__utf8_valid(s, n))
            return cfail(c, c->bad, "invalid UTF-8");
        return conv_text(c, NULL, UCRM_FIELD_STRING, s, n, NULL, out);
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == trunc(d) && fabs(d) <= 9007199254740992.0)
            return conv_int(c, NULL, (int64_t)d, out);
        return conv_double(c, NULL, d, out);
    }
    if (cJSON_IsBool(v))
        return conv_bool(c, NULL, cJSON_IsTrue(v), out);
    if (cJSON_IsNull(v)) {
        out->type = UCRM_FIELD_NULL;
        return UCRM_OK;
    }
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
        return cfail(c, c->bad, "not a JSON value");
    if (!tree_utf8_valid(v->child))
        return cfail(c, c->bad, "invalid UTF-8");
    cJSON *copy = cJSON_Duplicate(v, 1);
    return copy ? conv_tree(c, NULL, copy, out) : UCRM_ERR_NOMEM;
}

/* Serialises a tree (recursion depth = the tree's depth: <= 64 for JSON we parsed, <= 1000 for cJSON's). */
static bool write_tree(ucrm_buf_t *b, const cJSON *j) {
    if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
        bool obj = cJSON_IsObject(j);
        ucrm_buf__putc(b, obj ? '{' : '[');
        for (const cJSON *m = j->child; m; m = m->next) {
            if (m != j->child)
                ucrm_buf__putc(b, ',');
            if (obj) {
                const char *k = m->string ? m->string : "";
                ucrm_buf__json_str(b, k, strlen(k));
                ucrm_buf__putc(b, ':');
            }
            if (!write_tree(b, m))
                return false;
        }
        return ucrm_buf__putc(b, obj ? '}' : ']');
    }
    if (cJSON_IsString(j)) {
        const char *s = j->valuestring ? j->valuestring : "";
        return ucrm_buf__json_str(b, s, strlen(s));
    }
    if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (!isfinite(d))
            return ucrm_buf__puts(b, "null");
        if (d == trunc(d) && fabs(d) < 9007199254740992.0)
            return ucrm_buf__printf(b, "%" PRId64, (int64_t)d);
        char buf[40];
        fmt_shortest(buf, sizeof buf, d, false);
        return ucrm_buf__puts(b, buf);
    }
    if (cJSON_IsRaw(j) && j->valuestring)
        return ucrm_buf__puts(b, j->valuestring);
    return ucrm_buf__puts(b, cJSON_IsTrue(j) ? "true" : cJSON_IsFalse(j) ? "false" : "null");
}

bool ucrm_record__value_json(const ucrm_fval_t *f, ucrm_buf_t *b) {
    switch (f->type) {
    case UCRM_FIELD_STRING:
    case UCRM_FIELD_DATETIME:
    case UCRM_FIELD_DATE:
    case UCRM_FIELD_DECIMAL: /* as a JSON string: exact, whatever the reader's number type */
        return ucrm_buf__json_str(b, f->v.s, strlen(f->v.s));
    case UCRM_FIELD_INT:
        return ucrm_buf__printf(b, "%" PRId64, f->v.i);
    case UCRM_FIELD_DOUBLE:
        return put_double_json(b, f->v.d);
    case UCRM_FIELD_BOOL:
        return ucrm_buf__puts(b, f->v.b ? "true" : "false");
    case UCRM_FIELD_OBJECT:
    case UCRM_FIELD_ARRAY:
        return write_tree(b, f->v.j);
    default:
        return ucrm_buf__puts(b, "null");
    }
}

/* A scanned value of the given kind at s[off..off+len) for a field. */
static ucrm_err_t conv_json_value(cctx_t *c, const ucrm_model_field_t *def, const char *s, size_t off, size_t len,
                                  int kind, ucrm_fval_t *out) {
    size_t n;
    char *str;
    cJSON *tree;
    const char *dup;
    ucrm_err_t rc;
    switch (kind) {
    case JK_STRING:
        if (!(str = ucrm_jscan__string_value(s, off, len, &n)))
            return UCRM_ERR_NOMEM;
        return conv_text(c, def, UCRM_FIELD_NONE, str, n, str, out);
    case JK_NUMBER:
        return conv_number_text(c, def, s + off, len, out);
    case JK_TRUE:
    case JK_FALSE:
        return conv_bool(c, def, kind == JK_TRUE, out);
    case JK_NULL:
        out->type = UCRM_FIELD_NULL;
        return UCRM_OK;
    default:
        if (!(tree = cJSON_ParseWithLengthOpts(s + off, len, NULL, 0)))
            return UCRM_ERR_NOMEM; /* the text is valid JSON: only an allocation can have failed */
        if ((rc = tree_find_dup(tree, &dup)) != UCRM_OK) {
            c->why = rc == UCRM_ERR_INVALID_ARG ? "duplicate member name in a JSON object" : NULL;
            cJSON_Delete(tree);
            return rc;
        }
        return conv_tree(c, def, tree, out);
    }
}

/* ============================================================================================== records */

static ucrm_err_t record_alloc(ucrm_record_t **out, ucrm_object_t object, size_t n) {
    if (!out)
        return UCRM_ERR_INVALID_ARG;
    *out = NULL;
    if (!ucrm_model__object_valid(object))
        return UCRM_ERR_INVALID_ARG;
    ucrm_record_t *r = ucrm__calloc(1, sizeof *r);
    if (!r)
        return UCRM_ERR_NOMEM;
    r->object = object;
    if (n && !(r->fields = ucrm__malloc(n * sizeof *r->fields))) {
        ucrm__free(r);
        return UCRM_ERR_NOMEM;
    }
    r->capfields = n;
    *out = r;
    return UCRM_OK;
}

ucrm_err_t ucrm_record__new_sized(ucrm_record_t **out, ucrm_object_t object, size_t n) {
    return record_alloc(out, object, n);
}

UCRM_API ucrm_err_t ucrm_record_new(ucrm_record_t **out, ucrm_object_t object) {
    return record_alloc(out, object, 0);
}

UCRM_API void ucrm_record_destroy(ucrm_record_t *rec) {
    if (!rec)
        return;
    for (size_t i = 0; i < rec->nfields; i++) {
        val_clear(&rec->fields[i]);
        ucrm__free(rec->fields[i].owned_name);
    }
    ucrm__free(rec->fields);
    ucrm__free(rec->id);
    cJSON_Delete(rec->remote);
    ucrm__free(rec);
}

ucrm_fval_t *ucrm_record__find(const ucrm_record_t *rec, const char *name) {
    for (size_t i = 0; i < rec->nfields; i++) {
        ucrm_fval_t *f = &rec->fields[i];
        if (f->name == name || (f->name[0] == name[0] && strcmp(f->name, name) == 0))
            return f;
    }
    return NULL;
}

/* Where a value for a name goes. */
typedef struct fref {
    const char *name;              /* the model's static name, or the caller's custom name (copied on insert) */
    const ucrm_model_field_t *def; /* NULL for custom fields */
    ucrm_fval_t *f;                /* the field when present */
} fref_t;

/* ucrm_model__find, faster for the adapters' hot path: pointer and first byte before strcmp, and no scan for
 * custom names. */
static const ucrm_model_field_t *model_find(ucrm_object_t object, const char *name) {
    size_t n;
    const ucrm_model_field_t *f = ucrm_model__fields(object, &n);
    if (name[0] == 'c' && strncmp(name, UCRM_CUSTOM_PREFIX, UCRM_CUSTOM_PREFIX_LEN) == 0)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (f[i].name == name || (f[i].name[0] == name[0] && strcmp(f[i].name, name) == 0))
            return &f[i];
    return NULL;
}

/* "id" is never a field: callers handle it before resolving. */
static ucrm_err_t resolve(const ucrm_record_t *rec, const char *name, fref_t *r) {
    if ((r->f = ucrm_record__find(rec, name))) {
        r->name = r->f->name;
        r->def = r->f->def;
        return UCRM_OK;
    }
    if ((r->def = model_find(rec->object, name))) {
        r->name = r->def->name;
        return is_id(name) ? UCRM_ERR_INVALID_FIELD : UCRM_OK;
    }
    r->name = name;
    return ucrm_model__is_custom(name) ? UCRM_OK : UCRM_ERR_INVALID_FIELD;
}

static bool fields_reserve(ucrm_record_t *rec, size_t extra) {
    if (rec->capfields - rec->nfields >= extra)
        return true;
    size_t cap = rec->capfields < FIELDS_MIN_CAP ? FIELDS_MIN_CAP : rec->capfields * 2;
    while (cap - rec->nfields < extra)
        cap *= 2;
    ucrm_fval_t *f = ucrm__realloc(rec->fields, cap * sizeof *f);
    if (!f)
        return false;
    rec->fields = f;
    rec->capfields = cap;
    return true;
}

/* Puts value v (consumed, also on failure) into the field r refers to, appending it when absent. */
static ucrm_err_t store(ucrm_record_t *rec, const fref_t *r, ucrm_fval_t *v, bool dirty) {
    ucrm_fval_t *f = r->f;
    if (!f) {
        char *owned = NULL;
        if (!fields_reserve(rec, 1) || (!r->def && !(owned = ucrm__strdup(r->name)))) {
            val_clear(v);
            return UCRM_ERR_NOMEM;
        }
        f = &rec->fields[rec->nfields++];
        f->name = owned ? owned : r->name;
        f->owned_name = owned;
        f->def = r->def;
        f->dirty = false;
    } else {
        val_clear(f);
    }
    f->type = v->type;
    f->v = v->v;
    f->dirty |= dirty;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- the id */

static ucrm_err_t set_id(ucrm_record_t *rec, const char *id, size_t len, ucrm_err_t bad) {
    if (!id) {
        ucrm__free(rec->id);
        rec->id = NULL;
        return UCRM_OK;
    }
    if (len == 0 || memchr(id, '\0', len) || !ucrm__utf8_valid(id, len))
        return bad;
    char *copy = dup_n(id, len);
    if (!copy)
        return UCRM_ERR_NOMEM;
    ucrm__free(rec->id);
    rec->id = copy;
    return UCRM_OK;
}

UCRM_API ucrm_object_t ucrm_record_object(const ucrm_record_t *rec) { return rec ? rec->object : (ucrm_object_t)0; }
UCRM_API const char *ucrm_record_id(const ucrm_record_t *rec) { return rec ? rec->id : NULL; }

UCRM_API ucrm_err_t ucrm_record_set_id(ucrm_record_t *rec, const char *id) {
    if (!rec)
        return UCRM_ERR_INVALID_ARG;
    return set_id(rec, id, id ? strlen(id) : 0, UCRM_ERR_INVALID_ARG);
}

ucrm_err_t ucrm_record__set_id_n(ucrm_record_t *rec, const char *id, size_t len) {
    return set_id(rec, id, len, UCRM_ERR_PROTOCOL);
}

/* ---------------------------------------------------------------------------------------------- setters */

/* What a setter is given. */
typedef enum vkind { V_TEXT, V_INT, V_DOUBLE, V_BOOL, V_TIME, V_NULL, V_JSON } vkind_t;

typedef struct vin {
    vkind_t kind;
    const char *s; /* V_TEXT, V_JSON */
    int64_t i;     /* V_INT, V_TIME */
    double d;
    bool b;
} vin_t;

static ucrm_err_t conv_in(cctx_t *c, const ucrm_model_field_t *def, const vin_t *in, ucrm_fval_t *out) {
    jscan_t j;
    ucrm_err_t rc;
    switch (in->kind) {
    case V_TEXT: {
        size_t n = strlen(in->s);
        if (!ucrm__utf8_valid(in->s, n))
            return cfail(c, c->bad, "invalid UTF-8");
        return conv_text(c, def, UCRM_FIELD_NONE, in->s, n, NULL, out);
    }
    case V_INT: return conv_int(c, def, in->i, out);
    case V_DOUBLE: return conv_double(c, def, in->d, out);
    case V_BOOL: return conv_bool(c, def, in->b, out);
    case V_TIME: return conv_time(c, def, in->i, out);
    case V_NULL: out->type = UCRM_FIELD_NULL; return UCRM_OK;
    case V_JSON: break;
    }
    if ((rc = ucrm_jscan__run(&j, in->s, strlen(in->s), false, NULL)) != UCRM_OK)
        return rc;
    return conv_json_value(c, def, in->s, j.root_off, j.root_len, j.root_kind, out);
}

/* The id through the field API: text (or a JSON string) sets it, null clears it. */
static ucrm_err_t set_id_value(ucrm_record_t *rec, const vin_t *in) {
    jscan_t j;
    ucrm_err_t rc;
    size_t n;
    if (in->kind == V_TEXT)
        return ucrm_record_set_id(rec, in->s);
    if (in->kind == V_NULL)
        return ucrm_record_set_id(rec, NULL);
    if (in->kind != V_JSON)
        return UCRM_ERR_TYPE;
    if ((rc = ucrm_jscan__run(&j, in->s, strlen(in->s), false, NULL)) != UCRM_OK)
        return rc;
    if (j.root_kind == JK_NULL)
        return ucrm_record_set_id(rec, NULL);
    if (j.root_kind != JK_STRING)
        return UCRM_ERR_TYPE;
    char *s = ucrm_jscan__string_value(in->s, j.root_off, j.root_len, &n);
    if (!s)
        return UCRM_ERR_NOMEM;
    rc = set_id(rec, s, n, UCRM_ERR_INVALID_ARG);
    ucrm__free(s);
    return rc;
}

static ucrm_err_t set_public(ucrm_record_t *rec, const char *field, const vin_t *in) {
    fref_t r;
    ucrm_fval_t v;
    cctx_t c = {UCRM_ERR_INVALID_ARG, NULL};
    ucrm_err_t rc;
    if (!rec || !field || ((in->kind == V_TEXT || in->kind == V_JSON) && !in->s))
        return UCRM_ERR_INVALID_ARG;
    if (is_id(field))
        return set_id_value(rec, in);
    if ((rc = resolve(rec, field, &r)) != UCRM_OK)
        return rc;
    if (r.def && (r.def->flags & UCRM_MF_READONLY))
        return UCRM_ERR_UNSUPPORTED;
    if ((rc = conv_in(&c, r.def, in, &v)) != UCRM_OK)
        return rc;
    return store(rec, &r, &v, true);
}

UCRM_API ucrm_err_t ucrm_record_set_string(ucrm_record_t *rec, const char *field, const char *value) {
    return set_public(rec, field, &(vin_t){.kind = V_TEXT, .s = value});
}

UCRM_API ucrm_err_t ucrm_record_set_int64(ucrm_record_t *rec, const char *field, int64_t value) {
    return set_public(rec, field, &(vin_t){.kind = V_INT, .i = value});
}

UCRM_API ucrm_err_t ucrm_record_set_double(ucrm_record_t *rec, const char *field, double value) {
    return set_public(rec, field, &(vin_t){.kind = V_DOUBLE, .d = value});
}

UCRM_API ucrm_err_t ucrm_record_set_bool(ucrm_record_t *rec, const char *field, int value) {
    return set_public(rec, field, &(vin_t){.kind = V_BOOL, .b = value != 0});
}

UCRM_API ucrm_err_t ucrm_record_set_null(ucrm_record_t *rec, const char *field) {
    return set_public(rec, field, &(vin_t){.kind = V_NULL});
}

UCRM_API ucrm_err_t ucrm_record_set_time_ms(ucrm_record_t *rec, const char *field, int64_t epoch_ms) {
    return set_public(rec, field, &(vin_t){.kind = V_TIME, .i = epoch_ms});
}

UCRM_API ucrm_err_t ucrm_record_set_json(ucrm_record_t *rec, const char *field, const char *json) {
    return set_public(rec, field, &(vin_t){.kind = V_JSON, .s = json});
}

UCRM_API ucrm_err_t ucrm_record_unset(ucrm_record_t *rec, const char *field) {
    fref_t r;
    if (!rec || !field)
        return UCRM_ERR_INVALID_ARG;
    if (is_id(field)) {
        if (!rec->id)
            return UCRM_ERR_NOENT;
        return ucrm_record_set_id(rec, NULL);
    }
    ucrm_err_t rc = resolve(rec, field, &r);
    if (rc != UCRM_OK)
        return rc;
    if (!r.f)
        return UCRM_ERR_NOENT;
    val_clear(r.f);
    ucrm__free(r.f->owned_name);
    size_t i = (size_t)(r.f - rec->fields);
    memmove(r.f, r.f + 1, (rec->nfields - i - 1) * sizeof *r.f);
    rec->nfields--;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- getters */

/* The field for a getter: UCRM_OK with *f, NOENT, INVALID_FIELD or INVALID_ARG. Not for "id". */
static ucrm_err_t lookup(const ucrm_record_t *rec, const char *field, const void *out, const ucrm_fval_t **f) {
    if (!rec || !field || !out)
        return UCRM_ERR_INVALID_ARG;
    if ((*f = ucrm_record__find(rec, field)))
        return UCRM_OK;
    return model_find(rec->object, field) || ucrm_model__is_custom(field) ? UCRM_ERR_NOENT
                                                                               : UCRM_ERR_INVALID_FIELD;
}

/* The id for a getter that is not get_string/get_json. */
static ucrm_err_t id_not_this_type(const ucrm_record_t *rec, const void *out) {
    if (!rec || !out)
        return UCRM_ERR_INVALID_ARG;
    return rec->id ? UCRM_ERR_TYPE : UCRM_ERR_NOENT;
}

#define GETTER_PROLOGUE(rec, field, out, f)                                                                    \
    const ucrm_fval_t *f;                                                                                      \
    if (field && is_id(field))                                                                                 \
        return id_not_this_type(rec, out);                                                                     \
    ucrm_err_t rc_ = lookup(rec, field, out, &f);                                                              \
    if (rc_ != UCRM_OK)                                                                                        \
        return rc_

UCRM_API ucrm_err_t ucrm_record_get_string(const ucrm_record_t *rec, const char *field, const char **out) {
    const ucrm_fval_t *f;
    if (rec && field && out && is_id(field)) {
        *out = rec->id;
        return rec->id ? UCRM_OK : UCRM_ERR_NOENT;
    }
    ucrm_err_t rc = lookup(rec, field, out, &f);
    if (rc != UCRM_OK)
        return rc;
    if (!is_text_type(f->type))
        return UCRM_ERR_TYPE;
    *out = f->v.s;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_record_get_int64(const ucrm_record_t *rec, const char *field, int64_t *out) {
    GETTER_PROLOGUE(rec, field, out, f);
    if (f->type == UCRM_FIELD_INT) {
        *out = f->v.i;
        return UCRM_OK;
    }
    if (f->type == UCRM_FIELD_DECIMAL && plain_to_i64(f->v.s, out))
        return UCRM_OK;
    return UCRM_ERR_TYPE;
}

UCRM_API ucrm_err_t ucrm_record_get_double(const ucrm_record_t *rec, const char *field, double *out) {
    GETTER_PROLOGUE(rec, field, out, f);
    switch (f->type) {
    case UCRM_FIELD_DOUBLE: *out = f->v.d; return UCRM_OK;
    case UCRM_FIELD_INT: *out = (double)f->v.i; return UCRM_OK;
    case UCRM_FIELD_DECIMAL: return c_strtod(f->v.s, out) ? UCRM_OK : UCRM_ERR_TYPE;
    default: return UCRM_ERR_TYPE;
    }
}

UCRM_API ucrm_err_t ucrm_record_get_bool(const ucrm_record_t *rec, const char *field, int *out) {
    GETTER_PROLOGUE(rec, field, out, f);
    if (f->type != UCRM_FIELD_BOOL)
        return UCRM_ERR_TYPE;
    *out = f->v.b ? 1 : 0;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_record_get_time_ms(const ucrm_record_t *rec, const char *field, int64_t *out) {
    GETTER_PROLOGUE(rec, field, out, f);
    if (f->type != UCRM_FIELD_DATETIME && f->type != UCRM_FIELD_DATE)
        return UCRM_ERR_TYPE;
    return ucrm__parse_time(f->v.s, strlen(f->v.s), out) ? UCRM_OK : UCRM_ERR_TYPE;
}

static ucrm_err_t buf_out(ucrm_buf_t *b, char **out) {
    char *s = ucrm_buf__steal(b);
    if (!s)
        return UCRM_ERR_NOMEM;
    *out = s;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_record_get_json(const ucrm_record_t *rec, const char *field, char **out) {
    const ucrm_fval_t *f;
    ucrm_buf_t b = UCRM_BUF_INIT;
    if (rec && field && out && is_id(field)) {
        if (!rec->id)
            return UCRM_ERR_NOENT;
        ucrm_buf__json_str(&b, rec->id, strlen(rec->id));
        return buf_out(&b, out);
    }
    ucrm_err_t rc = lookup(rec, field, out, &f);
    if (rc != UCRM_OK)
        return rc;
    ucrm_record__value_json(f, &b);
    return buf_out(&b, out);
}

UCRM_API ucrm_field_type_t ucrm_record_field_type(const ucrm_record_t *rec, const char *field) {
    if (!rec || !field)
        return UCRM_FIELD_NONE;
    if (is_id(field))
        return rec->id ? UCRM_FIELD_STRING : UCRM_FIELD_NONE;
    const ucrm_fval_t *f = ucrm_record__find(rec, field);
    return f ? f->type : UCRM_FIELD_NONE;
}

UCRM_API int ucrm_record_is_null(const ucrm_record_t *rec, const char *field) {
    return ucrm_record_field_type(rec, field) == UCRM_FIELD_NULL;
}

UCRM_API size_t ucrm_record_field_count(const ucrm_record_t *rec) { return rec ? rec->nfields : 0; }

UCRM_API const char *ucrm_record_field_name(const ucrm_record_t *rec, size_t i) {
    return rec && i < rec->nfields ? rec->fields[i].name : NULL;
}

UCRM_API int ucrm_record_is_dirty(const ucrm_record_t *rec, const char *field) {
    if (!rec)
        return 0;
    for (size_t i = 0; i < rec->nfields; i++)
        if (rec->fields[i].dirty && (!field || strcmp(rec->fields[i].name, field) == 0))
            return 1;
    return 0;
}

UCRM_API void ucrm_record_clear_dirty(ucrm_record_t *rec) {
    for (size_t i = 0; rec && i < rec->nfields; i++)
        rec->fields[i].dirty = false;
}

/* ---------------------------------------------------------------------------------------------- JSON */

UCRM_API ucrm_err_t ucrm_record_to_json(const ucrm_record_t *rec, char **out) {
    ucrm_buf_t b = UCRM_BUF_INIT;
    if (!rec || !out)
        return UCRM_ERR_INVALID_ARG;
    ucrm_buf__reserve(&b, 64 + rec->nfields * 48);
    ucrm_buf__putc(&b, '{');
    if (rec->id) {
        ucrm_buf__puts(&b, "\"id\":");
        ucrm_buf__json_str(&b, rec->id, strlen(rec->id));
    }
    for (size_t i = 0; i < rec->nfields; i++) {
        const ucrm_fval_t *f = &rec->fields[i];
        if (i || rec->id)
            ucrm_buf__putc(&b, ',');
        ucrm_buf__json_str(&b, f->name, strlen(f->name));
        ucrm_buf__putc(&b, ':');
        ucrm_record__value_json(f, &b);
    }
    ucrm_buf__putc(&b, '}');
    return buf_out(&b, out);
}

UCRM_API ucrm_err_t ucrm_record_remote_json(const ucrm_record_t *rec, char **out) {
    ucrm_buf_t b = UCRM_BUF_INIT;
    if (!rec || !out)
        return UCRM_ERR_INVALID_ARG;
    if (!rec->remote)
        return UCRM_ERR_NOENT;
    write_tree(&b, rec->remote);
    return buf_out(&b, out);
}

/* An error naming the member, through errp. */
static ucrm_err_t fail_key(ucrm_error_t **errp, ucrm_err_t code, const char *key, const char *fmt, const char *why) {
    if (!errp)
        return code;
    if (code == UCRM_ERR_NOMEM)
        return ucrm__fail(errp, code, "out of memory");
    ucrm_error_t *e = ucrm_error__new(code, fmt, key, why ? why : ucrm_err_str(code));
    ucrm_error__set_field(e, key);
    return ucrm__give(errp, e);
}

/* One top-level member of a record document. */
static ucrm_err_t add_member(ucrm_record_t *rec, const char *s, const jmember_t *m, bool *seen_id,
                             ucrm_error_t **errp) {
    char key[300];
    fref_t r;
    ucrm_fval_t v;
    cctx_t c = {UCRM_ERR_INVALID_ARG, NULL};
    if (m->key_len - 1 > sizeof key) /* longer than any field name can be */
        return ucrm__fail(errp, UCRM_ERR_INVALID_FIELD, "a key of %zu bytes at byte %zu is not a field name",
                          m->key_len - 2, m->key_off);
    ucrm_jscan__unescape(s + m->key_off + 1, m->key_len - 2, key);
    if (is_id(key)) {
        if (*seen_id)
            return fail_key(errp, UCRM_ERR_INVALID_ARG, key, "duplicate key \"%s\": %s", "each field may appear once");
        *seen_id = true;
        if (m->kind != JK_STRING && m->kind != JK_NULL)
            return fail_key(errp, UCRM_ERR_TYPE, key, "field \"%s\": %s", "the id must be a string or null");
        size_t n = 0;
        char *id = m->kind == JK_NULL ? NULL : ucrm_jscan__string_value(s, m->val_off, m->val_len, &n);
        if (m->kind == JK_STRING && !id)
            return fail_key(errp, UCRM_ERR_NOMEM, key, "", NULL);
        ucrm_err_t rc = set_id(rec, id, n, UCRM_ERR_INVALID_ARG);
        ucrm__free(id);
        return rc == UCRM_OK ? rc : fail_key(errp, rc, key, "field \"%s\": %s", "the id must not be empty");
    }
    ucrm_err_t rc = resolve(rec, key, &r);
    if (rc != UCRM_OK)
        return fail_key(errp, rc, key, "field \"%s\": %s", "not a field of this object nor custom.<name>");
    if (r.f)
        return fail_key(errp, UCRM_ERR_INVALID_ARG, key, "duplicate key \"%s\": %s", "each field may appear once");
    if ((rc = conv_json_value(&c, r.def, s, m->val_off, m->val_len, m->kind, &v)) != UCRM_OK)
        return fail_key(errp, rc, key, "field \"%s\": %s", c.why);
    if ((rc = store(rec, &r, &v, !(r.def && (r.def->flags & UCRM_MF_READONLY)))) != UCRM_OK)
        return ucrm__fail(errp, rc, "out of memory");
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_record_new_from_json(ucrm_record_t **out, ucrm_object_t object, const char *json,
                                              size_t len, ucrm_error_t **errp) {
    jscan_t j;
    ucrm_record_t *rec = NULL;
    bool seen_id = false;
    if (!out || (!json && len))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "out and json must not be NULL");
    *out = NULL;
    if (!ucrm_model__object_valid(object))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "unknown object %d", (int)object);
    ucrm_err_t rc = ucrm_jscan__run(&j, json ? json : "", len, true, errp);
    if (rc == UCRM_OK && j.root_kind != JK_OBJECT)
        rc = ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "a record must be a JSON object");
    if (rc == UCRM_OK && (rc = record_alloc(&rec, object, j.nm)) != UCRM_OK)
        ucrm__fail(errp, rc, "out of memory");
    for (size_t i = 0; rc == UCRM_OK && i < j.nm; i++)
        rc = add_member(rec, json, &j.m[i], &seen_id, errp);
    ucrm__free(j.m);
    if (rc != UCRM_OK) {
        ucrm_record_destroy(rec);
        return rc;
    }
    *out = rec;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- copies */

/* A deep copy of a field's value into out (names are not copied). */
static ucrm_err_t val_copy(const ucrm_fval_t *f, ucrm_fval_t *out) {
    out->type = f->type;
    out->v = f->v;
    if (is_text_type(f->type) && !(out->v.s = ucrm__strdup(f->v.s)))
        return UCRM_ERR_NOMEM;
    if ((f->type == UCRM_FIELD_OBJECT || f->type == UCRM_FIELD_ARRAY) && !(out->v.j = cJSON_Duplicate(f->v.j, 1)))
        return UCRM_ERR_NOMEM;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_record_dup(ucrm_record_t **out, const ucrm_record_t *rec) {
    ucrm_record_t *d;
    if (!out)
        return UCRM_ERR_INVALID_ARG;
    *out = NULL;
    if (!rec)
        return UCRM_ERR_INVALID_ARG;
    ucrm_err_t rc = record_alloc(&d, rec->object, rec->nfields);
    if (rc != UCRM_OK)
        return rc;
    for (size_t i = 0; i < rec->nfields; i++) {
        const ucrm_fval_t *f = &rec->fields[i];
        ucrm_fval_t *g = &d->fields[i];
        *g = (ucrm_fval_t){.name = f->name, .def = f->def, .type = UCRM_FIELD_NULL, .dirty = f->dirty};
        d->nfields++;
        if (f->owned_name && !(g->name = g->owned_name = ucrm__strdup(f->owned_name)))
            goto oom;
        if (val_copy(f, g) != UCRM_OK) {
            g->type = UCRM_FIELD_NULL;
            goto oom;
        }
    }
    if ((rec->id && !(d->id = ucrm__strdup(rec->id))) || (rec->remote && !(d->remote = cJSON_Duplicate(rec->remote, 1))))
        goto oom;
    *out = d;
    return UCRM_OK;
oom:
    ucrm_record_destroy(d);
    return UCRM_ERR_NOMEM;
}

ucrm_err_t ucrm_record__merge(ucrm_record_t *dst, const ucrm_record_t *src) {
    if (!dst || !src || dst->object != src->object)
        return UCRM_ERR_INVALID_ARG;
    ucrm_record_t *tmp; /* every copy is made first, so that a failure leaves dst untouched */
    ucrm_err_t rc = ucrm_record_dup(&tmp, src);
    if (rc != UCRM_OK)
        return rc;
    size_t added = 0;
    for (size_t i = 0; i < tmp->nfields; i++)
        added += !ucrm_record__find(dst, tmp->fields[i].name);
    if (!fields_reserve(dst, added)) {
        ucrm_record_destroy(tmp);
        return UCRM_ERR_NOMEM;
    }
    for (size_t i = 0; i < tmp->nfields; i++) {
        ucrm_fval_t *s = &tmp->fields[i], *f = ucrm_record__find(dst, s->name);
        if (f) {
            val_clear(f);
            f->type = s->type;
            f->v = s->v;
            f->dirty |= s->dirty;
            ucrm__free(s->owned_name);
        } else {
            dst->fields[dst->nfields++] = *s;
        }
    }
    tmp->nfields = 0;
    if (tmp->id) {
        ucrm__free(dst->id);
        dst->id = tmp->id, tmp->id = NULL;
    }
    if (tmp->remote) {
        cJSON_Delete(dst->remote);
        dst->remote = tmp->remote, tmp->remote = NULL;
    }
    ucrm_record_destroy(tmp);
    return UCRM_OK;
}

/* ============================================================================================== adapters */

/* Resolves a name for put_*; the id is set with set_id_n (or put_str), never as a typed value. */
static ucrm_err_t put(ucrm_record_t *rec, const char *name, fref_t *r) {
    if (!rec || !name)
        return UCRM_ERR_INVALID_ARG;
    return is_id(name) ? UCRM_ERR_TYPE : resolve(rec, name, r);
}

static ucrm_err_t put_value(ucrm_record_t *rec, const fref_t *r, ucrm_err_t rc, ucrm_fval_t *v) {
    return rc == UCRM_OK ? store(rec, r, v, false) : rc;
}

/* A scalar from an adapter: no dirty mark, no read-only check, unrepresentable values are PROTOCOL. */
static ucrm_err_t put_in(ucrm_record_t *rec, const char *name, const vin_t *in) {
    fref_t r;
    ucrm_fval_t v;
    cctx_t c = {UCRM_ERR_PROTOCOL, NULL};
    ucrm_err_t rc = put(rec, name, &r);
    return rc != UCRM_OK ? rc : put_value(rec, &r, conv_in(&c, r.def, in, &v), &v);
}

ucrm_err_t ucrm_record__put_str(ucrm_record_t *rec, const char *name, ucrm_field_type_t type, const char *s,
                                size_t len) {
    fref_t r;
    ucrm_fval_t v;
    cctx_t c = {UCRM_ERR_PROTOCOL, NULL};
    if (!rec || !name || !s)
        return UCRM_ERR_INVALID_ARG;
    if (is_id(name))
        return type == UCRM_FIELD_STRING ? set_id(rec, s, len, UCRM_ERR_PROTOCOL) : UCRM_ERR_TYPE;
    ucrm_err_t rc = put(rec, name, &r);
    if (rc != UCRM_OK)
        return rc;
    if (!is_text_type(type))
        return UCRM_ERR_TYPE;
    if (memchr(s, '\0', len) || !ucrm__utf8_valid(s, len))
        return UCRM_ERR_PROTOCOL;
    return put_value(rec, &r, conv_text(&c, r.def, type, s, len, NULL, &v), &v);
}

ucrm_err_t ucrm_record__put_int(ucrm_record_t *rec, const char *name, int64_t v) {
    return put_in(rec, name, &(vin_t){.kind = V_INT, .i = v});
}

ucrm_err_t ucrm_record__put_double(ucrm_record_t *rec, const char *name, double v) {
    return put_in(rec, name, &(vin_t){.kind = V_DOUBLE, .d = v});
}

ucrm_err_t ucrm_record__put_bool(ucrm_record_t *rec, const char *name, bool v) {
    return put_in(rec, name, &(vin_t){.kind = V_BOOL, .b = v});
}

ucrm_err_t ucrm_record__put_null(ucrm_record_t *rec, const char *name) {
    return put_in(rec, name, &(vin_t){.kind = V_NULL});
}

ucrm_err_t ucrm_record__put_time(ucrm_record_t *rec, const char *name, int64_t epoch_ms) {
    return put_in(rec, name, &(vin_t){.kind = V_TIME, .i = epoch_ms});
}

ucrm_err_t ucrm_record__put_json(ucrm_record_t *rec, const char *name, cJSON *j) {
    fref_t r;
    ucrm_fval_t v;
    cctx_t c = {UCRM_ERR_PROTOCOL, NULL};
    ucrm_err_t rc = put(rec, name, &r);
    if (rc == UCRM_OK && !j)
        rc = UCRM_ERR_INVALID_ARG;
    else if (rc == UCRM_OK && (cJSON_IsObject(j) || cJSON_IsArray(j)) && !tree_utf8_valid(j->child))
        rc = UCRM_ERR_PROTOCOL;
    if (rc != UCRM_OK) {
        cJSON_Delete(j);
        return rc;
    }
    return put_value(rec, &r, conv_tree(&c, r.def, j, &v), &v);
}

ucrm_err_t ucrm_record__put_custom_json(ucrm_record_t *rec, const char *provider_name, const cJSON *value) {
    char name[UCRM_CUSTOM_PREFIX_LEN + 256];
    fref_t r;
    ucrm_fval_t v;
    cctx_t c = {UCRM_ERR_PROTOCOL, NULL};
    if (!rec || !provider_name || !value)
        return UCRM_ERR_INVALID_ARG;
    size_t n = strlen(provider_name);
    if (n > 255)
        return UCRM_ERR_INVALID_FIELD;
    memcpy(name, UCRM_CUSTOM_PREFIX, UCRM_CUSTOM_PREFIX_LEN);
    memcpy(name + UCRM_CUSTOM_PREFIX_LEN, provider_name, n + 1);
    ucrm_err_t rc = resolve(rec, name, &r);
    return rc != UCRM_OK ? rc : put_value(rec, &r, conv_cjson(&c, value, &v), &v);
}

void ucrm_record__set_remote(ucrm_record_t *rec, cJSON *payload) {
    if (!rec) {
        cJSON_Delete(payload);
        return;
    }
    cJSON_Delete(rec->remote);
    rec->remote = payload;
}
