/*
 * sf_soql.c -- SOQL text: select lists, literals and the WHERE conditions of ucrm_search.
 *
 * Values never become SOQL syntax: a string value is always one quoted literal with every character that could
 * end or alter it escaped by the rules of "Quoted String Escape Sequences" (SOQL and SOSL Reference: \n \r \t
 * \b \f \" \' \\, and \uXXXX for other control characters); numbers, dates and booleans are validated and
 * written by this code, never copied. Field names come from the map or are checked to be plain API names.
 */
#include "sf_int.h"

#include <inttypes.h>
#include <strings.h>

static bool escape(ucrm_buf_t *q, const char *s, size_t len, bool like) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '\n': ucrm_buf__puts(q, "\\n"); break;
        case '\r': ucrm_buf__puts(q, "\\r"); break;
        case '\t': ucrm_buf__puts(q, "\\t"); break;
        case '\b': ucrm_buf__puts(q, "\\b"); break;
        case '\f': ucrm_buf__puts(q, "\\f"); break;
        case '"': ucrm_buf__puts(q, "\\\""); break;
        case '\'': ucrm_buf__puts(q, "\\'"); break;
        case '\\': ucrm_buf__puts(q, "\\\\"); break;
        case '%':
        case '_':
            if (like)
                ucrm_buf__putc(q, '\\');
            ucrm_buf__putc(q, (char)c);
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                ucrm_buf__puts(q, "\\u00");
                ucrm_buf__putc(q, hex[c >> 4]);
                ucrm_buf__putc(q, hex[c & 15]);
            } else {
                ucrm_buf__putc(q, (char)c);
            }
        }
    }
    return !q->oom;
}

bool sf_soql__quote(ucrm_buf_t *q, const char *s, size_t len) {
    ucrm_buf__putc(q, '\'');
    escape(q, s, len, false);
    return ucrm_buf__putc(q, '\'');
}

bool sf_soql__datetime(ucrm_buf_t *q, int64_t epoch_ms) {
    char t[32];
    ucrm__format_time(epoch_ms - ((epoch_ms % 1000) + 1000) % 1000, t);
    /* "YYYY-MM-DDThh:mm:ss.000Z" -> "YYYY-MM-DDThh:mm:ssZ" */
    ucrm_buf__append(q, t, 19);
    return ucrm_buf__putc(q, 'Z');
}

/* ---------------------------------------------------------------------------------------------- select */

typedef struct sel {
    bool slot[SF_MAX_SLOTS];
    const char *custom[64];
    size_t ncustom;
} sel_t;

static ucrm_err_t sel_name(const sf_objmap_t *m, sel_t *s, const char *name, ucrm_error_t **errp) {
    const char *obj = ucrm_object_name(m->object);
    if (strcmp(name, "id") == 0)
        return UCRM_OK;
    if (ucrm_model__is_custom(name)) {
        const char *sf = name + UCRM_CUSTOM_PREFIX_LEN;
        if (!sf_map__valid_name(sf))
            return ucrm__fail(errp, UCRM_ERR_INVALID_FIELD,
                              "%s: '%s' is not a Salesforce field API name (letters, digits and underscores)", obj,
                              name);
        int slot = sf_map__slot(m, sf, strlen(sf));
        if (slot >= 0) {
            s->slot[slot] = true;
            return UCRM_OK;
        }
        if (strcasecmp(sf, "Id") == 0)
            return UCRM_OK;
        for (size_t i = 0; i < s->ncustom; i++)
            if (strcasecmp(s->custom[i], sf) == 0)
                return UCRM_OK;
        if (s->ncustom == UCRM__ARRAY_LEN(s->custom))
            return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "%s: more than %zu custom fields selected", obj,
                              UCRM__ARRAY_LEN(s->custom));
        s->custom[s->ncustom++] = sf;
        return UCRM_OK;
    }
    const sf_entry_t *e = sf_map__entry(m, name);
    if (!e) {
        if (ucrm_model__find(m->object, name))
            return UCRM_OK; /* a unified field Salesforce lacks: simply absent from the records (NOENT) */
        return ucrm__fail(errp, UCRM_ERR_INVALID_FIELD, "'%s' is not a field of %s", name, obj);
    }
    for (size_t k = 0; k < e->nslot; k++)
        s->slot[e->slot[k]] = true;
    return UCRM_OK;
}

ucrm_err_t sf_soql__select(const sf_objmap_t *m, const ucrm_reqopts_t *opts, const char *const *extra,
                           size_t nextra, ucrm_buf_t *out, ucrm_error_t **errp) {
    size_t nf = ucrm_reqopts__nfields(opts);
    if (nf == 0 && nextra == 0) {
        ucrm_buf__puts(out, m->default_select);
        return out->oom ? ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory") : UCRM_OK;
    }
    sel_t s;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i < m->nentries; i++)
        if (nf == 0 && !(m->entries[i].flags & SF_F_OPTIONAL))
            for (size_t k = 0; k < m->entries[i].nslot; k++)
                s.slot[m->entries[i].slot[k]] = true;
    for (size_t i = 0; i < nf; i++) {
        ucrm_err_t rc = sel_name(m, &s, ucrm_reqopts__field(opts, i), errp);
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < nextra; i++) {
        int slot = sf_map__slot(m, extra[i], strlen(extra[i]));
        if (slot >= 0)
            s.slot[slot] = true;
    }
    ucrm_buf__puts(out, "Id");
    for (size_t i = 0; i < m->nnames; i++)
        if (s.slot[i]) {
            ucrm_buf__putc(out, ',');
            ucrm_buf__puts(out, m->names[i]);
        }
    for (size_t i = 0; i < s.ncustom; i++) {
        ucrm_buf__putc(out, ',');
        ucrm_buf__puts(out, s.custom[i]);
    }
    return out->oom ? ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory") : UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- search */

static ucrm_err_t bad_search(const char *field, const char *what, ucrm_error_t **errp) {
    ucrm_error_t *e = ucrm_error__new(UCRM_ERR_INVALID_ARG, "ucrm_search: the value for '%s' must be %s", field, what);
    ucrm_error__set_field(e, field);
    return ucrm__give(errp, e);
}

/* "F = literal" for one field of conversion conv. */
static ucrm_err_t cond_plain(const char *field, const char *sf, sf_conv_t conv, const char *value, ucrm_buf_t *q,
                             ucrm_error_t **errp) {
    size_t len = strlen(value);
    int64_t i64, ms;
    ucrm_buf__puts(q, sf);
    ucrm_buf__puts(q, " = ");
    if (len == 0) {
        ucrm_buf__puts(q, "null"); /* Salesforce stores an empty text as null */
        return UCRM_OK;
    }
    switch (conv) {
    case SF_BOOL:
        if (strcasecmp(value, "true") != 0 && strcasecmp(value, "false") != 0)
            return bad_search(field, "true or false", errp);
        ucrm_buf__puts(q, strcasecmp(value, "true") == 0 ? "true" : "false");
        return UCRM_OK;
    case SF_INT:
        if (!ucrm__parse_i64(value, &i64))
            return bad_search(field, "an integer", errp);
        ucrm_buf__printf(q, "%" PRId64, i64);
        return UCRM_OK;
    case SF_DOUBLE:
    case SF_DECIMAL:
        if (!ucrm__decimal_valid(value, len))
            return bad_search(field, "a decimal number (digits, optional '.' and fraction)", errp);
        ucrm_buf__puts(q, value[0] == '+' ? value + 1 : value);
        return UCRM_OK;
    case SF_DATE:
        if (len != 10 || !ucrm__parse_time(value, len, &ms))
            return bad_search(field, "a date (YYYY-MM-DD)", errp);
        ucrm_buf__append(q, value, 10);
        return UCRM_OK;
    case SF_DATETIME:
        if (!ucrm__parse_time(value, len, &ms))
            return bad_search(field, "an RFC 3339 date-time with a zone", errp);
        sf_soql__datetime(q, ms);
        return UCRM_OK;
    default:
        sf_soql__quote(q, value, len);
        return UCRM_OK;
    }
}

/* One member of a ';'-separated list: F = 'v' OR F LIKE 'v;%' OR F LIKE '%;v' OR F LIKE '%;v;%'. */
static void cond_list(const char *sf, const char *value, ucrm_buf_t *q) {
    size_t len = strlen(value);
    static const char *const pre[] = {"", "%;", "%;"}, *const post[] = {";%", "", ";%"};
    ucrm_buf__printf(q, "(%s = ", sf);
    sf_soql__quote(q, value, len);
    for (size_t i = 0; i < 3; i++) {
        ucrm_buf__printf(q, " OR %s LIKE '%s", sf, pre[i]);
        escape(q, value, len, true);
        ucrm_buf__printf(q, "%s'", post[i]);
    }
    ucrm_buf__putc(q, ')');
}

static ucrm_err_t cond_entry(const sf_objmap_t *m, const sf_entry_t *e, const char *field, const char *value,
                             ucrm_buf_t *q, ucrm_error_t **errp) {
    switch (e->conv) {
    case SF_PHONES:
        if (!*value)
            return bad_search(field, "a phone number", errp);
        ucrm_buf__putc(q, '(');
        for (size_t k = 0; k < e->nslot; k++) {
            if (k)
                ucrm_buf__puts(q, " OR ");
            ucrm_buf__printf(q, "%s = ", m->names[e->slot[k]]);
            sf_soql__quote(q, value, strlen(value));
        }
        ucrm_buf__putc(q, ')');
        return UCRM_OK;
    case SF_STATUS:
        if (strcmp(value, "open") == 0)
            ucrm_buf__printf(q, "%s = false", m->names[e->slot[0]]);
        else if (strcmp(value, "won") == 0)
            ucrm_buf__printf(q, "%s = true", m->names[e->slot[1]]);
        else if (strcmp(value, "lost") == 0)
            ucrm_buf__printf(q, "(%s = true AND %s = false)", m->names[e->slot[0]], m->names[e->slot[1]]);
        else
            return bad_search(field, "open, won or lost", errp);
        return UCRM_OK;
    case SF_LIST:
        if (!*value || strchr(value, ';'))
            return bad_search(field, "one non-empty item without ';'", errp);
        cond_list(m->names[e->slot[0]], value, q);
        return UCRM_OK;
    case SF_ADDRESS:
    case SF_DOMAIN:
        return ucrm__fail(errp, UCRM_ERR_UNSUPPORTED,
                          "ucrm_search: %s.%s cannot be searched on Salesforce (search %s instead)",
                          ucrm_object_name(m->object), field, e->conv == SF_DOMAIN ? "website" : "a custom field");
    default:
        return cond_plain(field, m->names[e->slot[0]], (sf_conv_t)e->conv, value, q, errp);
    }
}

ucrm_err_t sf_soql__search_cond(const sf_objmap_t *m, const char *field, const char *value, ucrm_buf_t *q,
                                ucrm_error_t **errp) {
    ucrm_err_t rc;
    if (strcmp(field, "id") == 0 || ucrm_model__is_custom(field)) {
        const char *sf;
        sf_conv_t conv;
        if ((rc = sf_map__plain_field(m, field, &sf, &conv, errp)) < 0)
            return rc;
        rc = cond_plain(field, sf, SF_STR, value, q, errp);
    } else {
        const sf_entry_t *e = sf_map__entry(m, field);
        if (!e)
            return ucrm__fail(errp, UCRM_ERR_UNSUPPORTED,
                              "ucrm_search: %s.%s has no Salesforce field (map it with mapping.%s.%s=<Field__c>)",
                              ucrm_object_name(m->object), field, ucrm_object_name(m->object), field);
        rc = cond_entry(m, e, field, value, q, errp);
    }
    if (rc == UCRM_OK && q->oom)
        rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    return rc;
}
