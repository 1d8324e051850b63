/*
 * hs_read.c -- a HubSpot object (SimplePublicObject, PROTOCOL B2) to a unified record.
 *
 * Every property value arrives as a string (or null, or is omitted when it has no value); "" also means "no
 * value" (HubSpot clears a property by setting it to ""). Top-level id, createdAt, updatedAt and archived give
 * the common fields. Values that cannot be what the property says (a number that is not a number, a date that
 * is not a date) are UCRM_ERR_PROTOCOL with the property named: the record is never built from a guess.
 */
#include "hubspot_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct rctx {
    ucrm_record_t *rec;
    const hs_row_t *row;
    const cJSON *const *v; /* the row's property values (NULL: absent) */
    bool absent_null;
    char *why;
} rctx_t;

static ucrm_err_t bad(rctx_t *c, const char *prop, const char *what, const char *value) {
    snprintf(c->why, HS_WHY, "property %s: %s (%.80s%s)", prop, what, value ? value : "",
             value && strlen(value) > 80 ? "..." : "");
    return UCRM_ERR_PROTOCOL;
}

/* A put_* result: PROTOCOL/TYPE become PROTOCOL with a reason. */
static ucrm_err_t put_rc(rctx_t *c, ucrm_err_t rc, const char *prop, const char *value) {
    if (rc == UCRM_OK || rc == UCRM_ERR_NOMEM)
        return rc;
    return bad(c, prop, rc == UCRM_ERR_PROTOCOL ? "value not valid for its type" : "unexpected value type", value);
}

/* The text of a property value: NULL for absent, null and "". Non-string scalars are rendered (HubSpot sends
 * strings, but a number is unambiguous). */
static const char *text_of(const cJSON *v, char buf[40], bool *weird) {
    *weird = false;
    if (!v || cJSON_IsNull(v))
        return NULL;
    if (cJSON_IsString(v))
        return v->valuestring && *v->valuestring ? v->valuestring : NULL;
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? "true" : "false";
    if (cJSON_IsNumber(v) && ucrm_json__num_text(v->valuedouble, buf))
        return buf;
    *weird = true;
    return NULL;
}

/* Nothing to read for this row: null, or nothing at all when the response was not asked for it. */
static ucrm_err_t put_none(rctx_t *c, bool present) {
    if (!present && !c->absent_null)
        return UCRM_OK;
    return ucrm_record__put_null(c->rec, c->row->field);
}

static bool parse_time_text(const char *s, int64_t *ms) {
    size_t n = strlen(s);
    if (n && n <= 15 && strspn(s, "-0123456789") == n)
        return ucrm__parse_i64(s, ms); /* epoch milliseconds (PROTOCOL B5: inputs and some outputs) */
    return ucrm__parse_time(s, n, ms);
}

/* value * 100 for a decimal text, exactly rounded: "0.9" -> 90, "0.125" -> 12.5. */
static bool times_100(const char *s, double *out) {
    char buf[80];
    size_t n = strlen(s);
    const char *dot = strchr(s, '.');
    if (n == 0 || n > 60 || !ucrm__decimal_valid(s, n))
        return ucrm__parse_double(s, out) && isfinite(*out = *out * 100.0);
    size_t frac = dot ? n - (size_t)(dot - s) - 1 : 0;
    size_t k = 0;
    for (const char *p = s; *p; p++)
        if (*p != '.')
            buf[k++] = *p;
    snprintf(buf + k, sizeof buf - k, "e%d", 2 - (int)frac);
    return ucrm__parse_double(buf, out);
}

static ucrm_err_t conv_scalar(rctx_t *c) {
    char nb[40], tb[16];
    bool weird;
    const char *prop = c->row->props[0];
    const char *s = text_of(c->v[0], nb, &weird);
    if (weird)
        return bad(c, prop, "not a string", NULL);
    if (!s)
        return put_none(c, c->v[0] != NULL);
    ucrm_record_t *r = c->rec;
    const char *f = c->row->field;
    int64_t i;
    double d;
    switch (c->row->conv) {
    case HS_C_INT:
        if (ucrm__parse_i64(s, &i))
            return put_rc(c, ucrm_record__put_int(r, f, i), prop, s);
        if (ucrm__parse_double(s, &d) && d == trunc(d) && fabs(d) < 9.2e18)
            return put_rc(c, ucrm_record__put_int(r, f, (int64_t)d), prop, s);
        return bad(c, prop, "not an integer", s);
    case HS_C_DEC:
        if (ucrm__decimal_valid(s, strlen(s)))
            return put_rc(c, ucrm_record__put_str(r, f, UCRM_FIELD_DECIMAL, s, strlen(s)), prop, s);
        if (ucrm__parse_double(s, &d) && isfinite(d))
            return put_rc(c, ucrm_record__put_double(r, f, d), prop, s);
        return bad(c, prop, "not a number", s);
    case HS_C_DBL:
        if (ucrm__parse_double(s, &d) && isfinite(d))
            return put_rc(c, ucrm_record__put_double(r, f, d), prop, s);
        return bad(c, prop, "not a number", s);
    case HS_C_PROB:
        if (times_100(s, &d))
            return put_rc(c, ucrm_record__put_double(r, f, d), prop, s);
        return bad(c, prop, "not a number", s);
    case HS_C_BOOL:
        if (ucrm__strcaseeq(s, "true") || ucrm__strcaseeq(s, "false"))
            return put_rc(c, ucrm_record__put_bool(r, f, ucrm__strcaseeq(s, "true")), prop, s);
        return bad(c, prop, "not true or false", s);
    case HS_C_TIME:
        if (parse_time_text(s, &i))
            return put_rc(c, ucrm_record__put_time(r, f, i), prop, s);
        return bad(c, prop, "not a date-time", s);
    case HS_C_DATE:
        if (!parse_time_text(s, &i))
            return bad(c, prop, "not a date", s);
        ucrm__format_date(i, tb);
        return put_rc(c, ucrm_record__put_str(r, f, UCRM_FIELD_DATE, tb, strlen(tb)), prop, s);
    default:
        return put_rc(c, ucrm_record__put_str(r, f, UCRM_FIELD_STRING, s, strlen(s)), prop, s);
    }
}

/* "a@x.com;b@y.com" -> ["a@x.com","b@y.com"] (spaces around items trimmed, empty items dropped). */
static ucrm_err_t conv_semi(rctx_t *c) {
    char nb[40];
    bool weird;
    const char *s = text_of(c->v[0], nb, &weird);
    if (weird)
        return bad(c, c->row->props[0], "not a string", NULL);
    if (!s)
        return put_none(c, c->v[0] != NULL);
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return UCRM_ERR_NOMEM;
    for (const char *p = s; *p;) {
        const char *e = strchr(p, ';');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *a = p, *z = p + n;
        while (a < z && (*a == ' ' || *a == '\t'))
            a++;
        while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
            z--;
        if (z > a) {
            char *item = ucrm__strndup(a, (size_t)(z - a));
            cJSON *js = item ? cJSON_CreateString(item) : NULL;
            ucrm__free(item);
            if (!js || !cJSON_AddItemToArray(arr, js)) {
                cJSON_Delete(js);
                cJSON_Delete(arr);
                return UCRM_ERR_NOMEM;
            }
        }
        p += n + (e ? 1 : 0);
    }
    return put_rc(c, ucrm_record__put_json(c->rec, c->row->field, arr), c->row->props[0], s);
}

/* phone/mobilephone/fax -> [{"number":..,"type":..}]; address parts -> {street, city, ...}. */
static ucrm_err_t conv_parts(rctx_t *c) {
    bool phones = c->row->conv == HS_C_PHONES, any_key = false, any_value = false;
    cJSON *out = phones ? cJSON_CreateArray() : cJSON_CreateObject();
    if (!out)
        return UCRM_ERR_NOMEM;
    for (unsigned p = 0; p < c->row->nprops; p++) {
        char nb[40];
        bool weird;
        const char *s = text_of(c->v[p], nb, &weird);
        any_key |= c->v[p] != NULL;
        if (weird) {
            cJSON_Delete(out);
            return bad(c, c->row->props[p], "not a string", NULL);
        }
        any_value |= s != NULL;
        bool ok;
        if (phones) {
            cJSON *ph = s ? cJSON_CreateObject() : NULL;
            ok = !s || (ph && cJSON_AddStringToObject(ph, "number", s) &&
                        cJSON_AddStringToObject(ph, "type", c->row->parts[p]) && cJSON_AddItemToArray(out, ph));
            if (!ok)
                cJSON_Delete(ph);
        } else {
            ok = s ? cJSON_AddStringToObject(out, c->row->parts[p], s) != NULL
                   : cJSON_AddNullToObject(out, c->row->parts[p]) != NULL;
        }
        if (!ok) {
            cJSON_Delete(out);
            return UCRM_ERR_NOMEM;
        }
    }
    if (!any_value) {
        cJSON_Delete(out);
        return put_none(c, any_key);
    }
    return put_rc(c, ucrm_record__put_json(c->rec, c->row->field, out), c->row->props[0], NULL);
}

/* hs_is_closed + hs_is_closed_won -> open | won | lost (PROTOCOL B5). */
static ucrm_err_t conv_status(rctx_t *c) {
    char b1[40], b2[40];
    bool w1, w2;
    const char *closed = text_of(c->v[0], b1, &w1), *won = text_of(c->v[1], b2, &w2);
    if ((closed && !ucrm__strcaseeq(closed, "true") && !ucrm__strcaseeq(closed, "false")) || w1)
        return bad(c, c->row->props[0], "not true or false", closed);
    if ((won && !ucrm__strcaseeq(won, "true") && !ucrm__strcaseeq(won, "false")) || w2)
        return bad(c, c->row->props[1], "not true or false", won);
    const char *st = NULL;
    if (won && ucrm__strcaseeq(won, "true"))
        st = "won";
    else if (closed)
        st = ucrm__strcaseeq(closed, "true") ? "lost" : "open";
    if (!st)
        return put_none(c, c->v[0] || c->v[1]);
    return put_rc(c, ucrm_record__put_str(c->rec, c->row->field, UCRM_FIELD_STRING, st, strlen(st)),
                  c->row->props[0], st);
}

/* A compound field that a mapping put into one property holding JSON text. */
static ucrm_err_t conv_json(rctx_t *c) {
    char nb[40];
    bool weird;
    const char *s = text_of(c->v[0], nb, &weird);
    if (weird)
        return bad(c, c->row->props[0], "not a string", NULL);
    if (!s)
        return put_none(c, c->v[0] != NULL);
    cJSON *j = cJSON_Parse(s);
    if (!j)
        return bad(c, c->row->props[0], "not JSON text", s);
    return put_rc(c, ucrm_record__put_json(c->rec, c->row->field, j), c->row->props[0], s);
}

static ucrm_err_t conv_row(rctx_t *c) {
    switch (c->row->conv) {
    case HS_C_SEMI: return conv_semi(c);
    case HS_C_PHONES:
    case HS_C_ADDRESS: return conv_parts(c);
    case HS_C_STATUS: return conv_status(c);
    case HS_C_JSON: return conv_json(c);
    case HS_C_ASSOC: return UCRM_OK;
    default: return conv_scalar(c);
    }
}

/* ---------------------------------------------------------------------------------------------- associations */

bool hs_id_text(const cJSON *v, char buf[32]) {
    if (cJSON_IsString(v) && v->valuestring && *v->valuestring && strlen(v->valuestring) < 32) {
        strcpy(buf, v->valuestring);
        return true;
    }
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble == trunc(v->valuedouble) &&
        v->valuedouble >= 0 && v->valuedouble < 9007199254740992.0) {
        snprintf(buf, 32, "%.0f", v->valuedouble);
        return true;
    }
    return false;
}

const char *hs_primary_v3(const hs_obj_t *o, const cJSON *item) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(item, "associations");
    const cJSON *grp = cJSON_GetObjectItemCaseSensitive(a, "companies");
    if (!grp)
        grp = cJSON_GetObjectItemCaseSensitive(a, "company");
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(grp, "results")) {
        /* PROTOCOL B2: one entry per label; the primary one is <object>_to_company, the others
         * <object>_to_company_unlabeled or a custom label */
        const char *type = ucrm_json__str(e, "type");
        const char *id = ucrm_json__str(e, "id");
        if (o->primary_name && type && id && *id && strcmp(type, o->primary_name) == 0)
            return id;
    }
    return NULL;
}

bool hs_primary_v4(const hs_obj_t *o, const cJSON *targets, char buf[32]) {
    const cJSON *t;
    cJSON_ArrayForEach(t, targets) {
        const cJSON *ty;
        cJSON_ArrayForEach(ty, cJSON_GetObjectItemCaseSensitive(t, "associationTypes")) {
            int64_t id;
            const char *cat = ucrm_json__str(ty, "category");
            if (ucrm_json__i64(ty, "typeId", &id) && id == o->primary_type &&
                (!cat || strcmp(cat, "HUBSPOT_DEFINED") == 0) &&
                hs_id_text(cJSON_GetObjectItemCaseSensitive(t, "toObjectId"), buf))
                return true;
        }
    }
    return false;
}

/* ---------------------------------------------------------------------------------------------- the record */

static ucrm_err_t put_top_time(ucrm_record_t *r, const cJSON *item, const char *key, const char *field, char *why) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, key);
    int64_t ms;
    if (!v || cJSON_IsNull(v))
        return UCRM_OK;
    if (!cJSON_IsString(v) || !ucrm__parse_time(v->valuestring, strlen(v->valuestring), &ms)) {
        snprintf(why, HS_WHY, "%s is not a date-time", key);
        return UCRM_ERR_PROTOCOL;
    }
    return ucrm_record__put_time(r, field, ms);
}

static ucrm_err_t put_common(ucrm_record_t *r, const cJSON *item, char *why) {
    char idb[32];
    if (!hs_id_text(cJSON_GetObjectItemCaseSensitive(item, "id"), idb)) {
        snprintf(why, HS_WHY, "an object has no id");
        return UCRM_ERR_PROTOCOL;
    }
    ucrm_err_t rc = ucrm_record__set_id_n(r, idb, strlen(idb));
    if (rc == UCRM_OK)
        rc = put_top_time(r, item, "createdAt", "created_at", why);
    if (rc == UCRM_OK)
        rc = put_top_time(r, item, "updatedAt", "updated_at", why);
    if (rc == UCRM_OK) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(item, "archived");
        if (a && !cJSON_IsBool(a)) {
            snprintf(why, HS_WHY, "archived is not a boolean");
            return UCRM_ERR_PROTOCOL;
        }
        rc = ucrm_record__put_bool(r, "is_deleted", cJSON_IsTrue(a));
    }
    if (rc == UCRM_ERR_PROTOCOL && !*why)
        snprintf(why, HS_WHY, "an object has an invalid id");
    return rc;
}

static bool custom_wanted(const hs_sel_t *sel, const hs_obj_t *o, const char *prop, bool mapped) {
    for (size_t i = 0; i < sel->ncustom; i++)
        if (strcmp(sel->custom[i], prop) == 0)
            return true;
    return sel->all && !mapped && !hs_is_system_prop(o, prop);
}

static ucrm_err_t put_custom(ucrm_record_t *r, const char *prop, const cJSON *v, char *why) {
    static const cJSON null_value = {.type = cJSON_NULL};
    if (cJSON_IsString(v) && v->valuestring && !*v->valuestring)
        v = &null_value; /* "" is HubSpot's "no value" */
    ucrm_err_t rc = ucrm_record__put_custom_json(r, prop, v);
    if (rc == UCRM_ERR_INVALID_FIELD)
        return UCRM_OK; /* a name we cannot represent as custom.<name>: reachable through the payload */
    if (rc == UCRM_ERR_PROTOCOL)
        snprintf(why, HS_WHY, "property %.100s: invalid value", prop);
    return rc;
}

/* Reads properties into the rows' value slots and the custom fields. */
static ucrm_err_t read_props(const hs_obj_t *o, const hs_sel_t *sel, ucrm_record_t *r, const cJSON *props,
                             const cJSON *vals[HS_MAX_ROWS][HS_MAX_PARTS], char *why) {
    if (props && !cJSON_IsNull(props) && !cJSON_IsObject(props)) {
        snprintf(why, HS_WHY, "properties is not an object");
        return UCRM_ERR_PROTOCOL;
    }
    for (const cJSON *p = props ? props->child : NULL; p; p = p->next) {
        if (!p->string)
            continue;
        const hs_slot_t *s = hs_slot_of(o, p->string);
        if (s)
            vals[s->row][s->part] = p;
        if (custom_wanted(sel, o, p->string, s != NULL)) {
            ucrm_err_t rc = put_custom(r, p->string, p, why);
            if (rc < 0)
                return rc;
        }
    }
    return UCRM_OK;
}

/* Selected custom fields the response lacks read as null. */
static ucrm_err_t null_customs(const hs_sel_t *sel, ucrm_record_t *r, const cJSON *props) {
    for (size_t i = 0; sel->absent_null && i < sel->ncustom; i++) {
        if (cJSON_GetObjectItemCaseSensitive(props, sel->custom[i]))
            continue;
        static const cJSON null_value = {.type = cJSON_NULL};
        ucrm_err_t rc = ucrm_record__put_custom_json(r, sel->custom[i], &null_value);
        if (rc == UCRM_ERR_NOMEM)
            return rc;
    }
    return UCRM_OK;
}

static ucrm_err_t build(const hs_obj_t *o, const hs_sel_t *sel, const cJSON *item, ucrm_record_t *r, char *why) {
    const cJSON *vals[HS_MAX_ROWS][HS_MAX_PARTS];
    memset(vals, 0, sizeof vals);
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(item, "properties");
    ucrm_err_t rc = put_common(r, item, why);
    if (rc == UCRM_OK)
        rc = read_props(o, sel, r, props, vals, why);
    rctx_t c = {r, NULL, NULL, sel->absent_null, why};
    for (size_t k = 0; rc == UCRM_OK && k < o->nrows; k++) {
        if (!hs_sel_row(sel, k) || o->rows[k].conv == HS_C_ASSOC)
            continue;
        c.row = &o->rows[k];
        c.v = vals[k];
        rc = conv_row(&c);
    }
    if (rc == UCRM_OK)
        rc = null_customs(sel, r, props);
    if (rc == UCRM_OK && sel->assoc && o->assoc_row >= 0) {
        const char *acc = hs_primary_v3(o, item);
        const char *f = o->rows[o->assoc_row].field;
        rc = acc ? ucrm_record__put_str(r, f, UCRM_FIELD_STRING, acc, strlen(acc)) : ucrm_record__put_null(r, f);
        if (rc == UCRM_ERR_PROTOCOL)
            snprintf(why, HS_WHY, "an associated company id is invalid");
    }
    return rc;
}

ucrm_err_t hs_record_from(const hs_obj_t *o, const hs_sel_t *sel, cJSON *item, bool take, ucrm_record_t **out,
                          char why[HS_WHY]) {
    *out = NULL;
    why[0] = '\0';
    ucrm_record_t *r = NULL;
    ucrm_err_t rc;
    if (!cJSON_IsObject(item)) {
        snprintf(why, HS_WHY, "a result is not a JSON object");
        rc = UCRM_ERR_PROTOCOL;
    } else {
        rc = ucrm_record__new_sized(&r, o->object, o->nrows + 4 + sel->ncustom);
    }
    if (rc == UCRM_OK)
        rc = build(o, sel, item, r, why);
    if (rc == UCRM_ERR_PROTOCOL && !why[0])
        snprintf(why, HS_WHY, "an object could not be read");
    if (rc < 0) {
        ucrm_record_destroy(r);
        if (take)
            cJSON_Delete(item);
        return rc;
    }
    if (take)
        ucrm_record__set_remote(r, item);
    *out = r;
    return UCRM_OK;
}
