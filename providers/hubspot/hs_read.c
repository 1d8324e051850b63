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
    const hs_val_t *v;     /* the row's property values */
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

/* The text of a property value: NULL for absent, null and "". *weird for an object or array. */
static const char *text_of(const hs_val_t *v, bool *weird) {
    *weird = v->kind == HV_COMPOUND;
    return (v->kind == HV_STR || v->kind == HV_NUM || v->kind == HV_BOOL) && *v->s ? v->s : NULL;
}

static bool present(const hs_val_t *v) { return v->kind != HV_ABSENT; }

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
    char tb[16];
    bool weird;
    const char *prop = c->row->props[0];
    const char *s = text_of(&c->v[0], &weird);
    if (weird)
        return bad(c, prop, "not a string", NULL);
    if (!s)
        return put_none(c, present(&c->v[0]));
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
        if (!parse_time_text(s, &i))
            return bad(c, prop, "not a date-time", s);
        if (strspn(s, "-0123456789") == strlen(s)) /* epoch ms */
            return put_rc(c, ucrm_record__put_time(r, f, i), prop, s);
        return put_rc(c, ucrm_record__put_str(r, f, UCRM_FIELD_DATETIME, s, strlen(s)), prop, s);
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
    bool weird;
    const char *s = text_of(&c->v[0], &weird);
    if (weird)
        return bad(c, c->row->props[0], "not a string", NULL);
    if (!s)
        return put_none(c, present(&c->v[0]));
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
            char small[128], *item = (size_t)(z - a) < sizeof small ? small : ucrm__malloc((size_t)(z - a) + 1);
            if (item) {
                memcpy(item, a, (size_t)(z - a));
                item[z - a] = '\0';
            }
            cJSON *js = item ? cJSON_CreateString(item) : NULL;
            if (item != small)
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

/* Adds v under a key that lives as long as the program (the map's part names), without copying the key.
 * With v NULL: adds "type": key (a phone's type). Takes v, also on failure. */
static bool add_cs(cJSON *o, const char *key, cJSON *v) {
    if (!v) {
        v = cJSON_CreateStringReference(key);
        key = "type";
    }
    if (!v)
        return false;
    cJSON_AddItemToObjectCS(o, key, v);
    return true;
}

/* phone/mobilephone/fax -> [{"number":..,"type":..}]; address parts -> {street, city, ...}. */
static ucrm_err_t conv_parts(rctx_t *c) {
    bool phones = c->row->conv == HS_C_PHONES, any_key = false, any_value = false;
    cJSON *out = phones ? cJSON_CreateArray() : cJSON_CreateObject();
    if (!out)
        return UCRM_ERR_NOMEM;
    for (unsigned p = 0; p < c->row->nprops; p++) {
        bool weird;
        const char *s = text_of(&c->v[p], &weird);
        any_key |= present(&c->v[p]);
        if (weird) {
            cJSON_Delete(out);
            return bad(c, c->row->props[p], "not a string", NULL);
        }
        any_value |= s != NULL;
        bool ok;
        if (phones) {
            cJSON *ph = s ? cJSON_CreateObject() : NULL;
            ok = !s || (ph && add_cs(ph, "number", cJSON_CreateString(s)) &&
                        add_cs(ph, c->row->parts[p], NULL) && cJSON_AddItemToArray(out, ph));
            if (!ok)
                cJSON_Delete(ph);
        } else {
            ok = add_cs(out, c->row->parts[p], s ? cJSON_CreateString(s) : cJSON_CreateNull());
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
    bool w1, w2;
    const char *closed = text_of(&c->v[0], &w1), *won = text_of(&c->v[1], &w2);
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
        return put_none(c, present(&c->v[0]) || present(&c->v[1]));
    return put_rc(c, ucrm_record__put_str(c->rec, c->row->field, UCRM_FIELD_STRING, st, strlen(st)),
                  c->row->props[0], st);
}

/* A compound field that a mapping put into one property holding JSON text. */
static ucrm_err_t conv_json(rctx_t *c) {
    bool weird;
    const char *s = text_of(&c->v[0], &weird);
    if (weird)
        return bad(c, c->row->props[0], "not a string", NULL);
    if (!s)
        return put_none(c, present(&c->v[0]));
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

/* ---------------------------------------------------------------------------------------------- the record */

static bool custom_wanted(const hs_sel_t *sel, const hs_obj_t *o, const char *prop, bool mapped) {
    for (size_t i = 0; i < sel->ncustom; i++)
        if (strcmp(sel->custom[i], prop) == 0)
            return true;
    return sel->all && !mapped && !hs_is_system_prop(o, prop);
}

/* custom.<prop> from a value: strings as strings ("" is no value), numbers typed, objects and arrays as JSON. */
static ucrm_err_t put_custom(hs_rd_t *rd, const char *prop, const hs_val_t *v) {
    char name[UCRM_CUSTOM_PREFIX_LEN + 256];
    size_t n = strlen(prop);
    if (n > 255)
        return UCRM_OK; /* cannot be a custom.<name>: reachable through the payload */
    memcpy(name, UCRM_CUSTOM_PREFIX, UCRM_CUSTOM_PREFIX_LEN);
    memcpy(name + UCRM_CUSTOM_PREFIX_LEN, prop, n + 1);
    ucrm_record_t *r = rd->rec;
    ucrm_err_t rc;
    int64_t i;
    double d;
    if (v->kind == HV_STR && *v->s)
        rc = ucrm_record__put_str(r, name, UCRM_FIELD_STRING, v->s, strlen(v->s));
    else if (v->kind == HV_NUM && ucrm__parse_i64(v->s, &i) && i > -(INT64_C(1) << 53) && i < INT64_C(1) << 53)
        rc = ucrm_record__put_int(r, name, i);
    else if (v->kind == HV_NUM && ucrm__parse_double(v->s, &d))
        rc = ucrm_record__put_double(r, name, d);
    else if (v->kind == HV_BOOL)
        rc = ucrm_record__put_bool(r, name, v->s[0] == 't');
    else if (v->kind == HV_COMPOUND && v->node)
        rc = ucrm_record__put_custom_json(r, prop, v->node);
    else if (v->kind == HV_COMPOUND) {
        cJSON *j = cJSON_ParseWithLength(v->span, v->span_len);
        rc = j ? ucrm_record__put_custom_json(r, prop, j) : UCRM_ERR_NOMEM;
        cJSON_Delete(j);
    } else
        rc = ucrm_record__put_null(r, name);
    if (rc == UCRM_ERR_INVALID_FIELD)
        return UCRM_OK; /* a name we cannot represent as custom.<name>: reachable through the payload */
    if (rc == UCRM_ERR_PROTOCOL || rc == UCRM_ERR_TYPE)
        snprintf(rd->why, HS_WHY, "property %.100s: invalid value", prop);
    return rc == UCRM_ERR_TYPE ? UCRM_ERR_PROTOCOL : rc;
}

ucrm_err_t hs_rd_begin(hs_rd_t *rd, const hs_obj_t *o, const hs_sel_t *sel, char *why) {
    memset(rd, 0, sizeof *rd);
    rd->o = o;
    rd->sel = sel;
    rd->why = why;
    why[0] = '\0';
    /* room for the common fields and a few custom ones without growing (a larger block costs more) */
    return ucrm_record__new_sized(&rd->rec, o->object, o->nrows + 8 + sel->ncustom);
}

ucrm_err_t hs_rd_prop(hs_rd_t *rd, const char *name, const hs_val_t *v) {
    const hs_slot_t *s = hs_slot_of(rd->o, name);
    if (s)
        rd->vals[s - rd->o->slots] = *v;
    if (name[0] == rd->o->modified[0] && strcmp(name, rd->o->modified) == 0)
        rd->modified = v->kind == HV_STR ? v->s : NULL;
    if (!custom_wanted(rd->sel, rd->o, name, s != NULL))
        return UCRM_OK;
    rd->nseen_custom++;
    return put_custom(rd, name, v);
}

static ucrm_err_t put_top_time(hs_rd_t *rd, const hs_val_t *v, const char *key, const char *field) {
    if (v->kind == HV_ABSENT || v->kind == HV_NULL)
        return UCRM_OK;
    /* HubSpot's form (2024-01-17T19:55:04.281Z) is the record's own: the text is kept without reformatting */
    ucrm_err_t rc = v->kind == HV_STR ? ucrm_record__put_str(rd->rec, field, UCRM_FIELD_DATETIME, v->s, strlen(v->s))
                                      : UCRM_ERR_PROTOCOL;
    if (rc == UCRM_ERR_PROTOCOL)
        snprintf(rd->why, HS_WHY, "%s is not a date-time", key);
    return rc;
}

static ucrm_err_t put_common(hs_rd_t *rd) {
    ucrm_record_t *r = rd->rec;
    if ((rd->id.kind != HV_STR && rd->id.kind != HV_NUM) || !*rd->id.s) {
        snprintf(rd->why, HS_WHY, "an object has no id");
        return UCRM_ERR_PROTOCOL;
    }
    ucrm_err_t rc = ucrm_record__set_id_n(r, rd->id.s, strlen(rd->id.s));
    if (rc == UCRM_ERR_PROTOCOL)
        snprintf(rd->why, HS_WHY, "an object has an invalid id");
    if (rc == UCRM_OK)
        rc = put_top_time(rd, &rd->created, "createdAt", "created_at");
    if (rc == UCRM_OK)
        rc = put_top_time(rd, &rd->updated, "updatedAt", "updated_at");
    if (rc == UCRM_OK) {
        if (rd->archived.kind != HV_ABSENT && rd->archived.kind != HV_BOOL) {
            snprintf(rd->why, HS_WHY, "archived is not a boolean");
            return UCRM_ERR_PROTOCOL;
        }
        rc = ucrm_record__put_bool(r, "is_deleted", rd->archived.kind == HV_BOOL && rd->archived.s[0] == 't');
    }
    return rc;
}

/* Selected custom fields the response lacks read as null. */
static ucrm_err_t null_customs(hs_rd_t *rd) {
    for (size_t i = 0; rd->sel->absent_null && i < rd->sel->ncustom; i++) {
        char name[UCRM_CUSTOM_PREFIX_LEN + 256];
        snprintf(name, sizeof name, "%s%s", UCRM_CUSTOM_PREFIX, rd->sel->custom[i]);
        if (ucrm_record__find(rd->rec, name))
            continue;
        ucrm_err_t rc = ucrm_record__put_null(rd->rec, name);
        if (rc == UCRM_ERR_NOMEM)
            return rc;
    }
    return UCRM_OK;
}

ucrm_err_t hs_rd_finish(hs_rd_t *rd) {
    const hs_obj_t *o = rd->o;
    ucrm_err_t rc = put_common(rd);
    rctx_t c = {rd->rec, NULL, NULL, rd->sel->absent_null, rd->why};
    for (size_t k = 0; rc == UCRM_OK && k < o->nrows; k++) {
        if (!hs_sel_row(rd->sel, k) || o->rows[k].conv == HS_C_ASSOC)
            continue;
        c.row = &o->rows[k];
        c.v = &rd->vals[o->first_slot[k]];
        rc = conv_row(&c);
    }
    if (rc == UCRM_OK)
        rc = null_customs(rd);
    if (rc == UCRM_OK && rd->sel->assoc && o->assoc_row >= 0) {
        const char *f = o->rows[o->assoc_row].field;
        rc = rd->primary ? ucrm_record__put_str(rd->rec, f, UCRM_FIELD_STRING, rd->primary, strlen(rd->primary))
                         : ucrm_record__put_null(rd->rec, f);
        if (rc == UCRM_ERR_PROTOCOL)
            snprintf(rd->why, HS_WHY, "an associated company id is invalid");
    }
    if (rc == UCRM_ERR_PROTOCOL && !rd->why[0])
        snprintf(rd->why, HS_WHY, "an object could not be read");
    return rc;
}

void hs_rd_abort(hs_rd_t *rd) {
    ucrm_record_destroy(rd->rec);
    rd->rec = NULL;
}

/* ---------------------------------------------------------------------------------------------- from a tree */

/* A cJSON value as a view (numbers rendered into buf). */
static hs_val_t val_of(const cJSON *v, char buf[40]) {
    hs_val_t r = {HV_ABSENT, NULL, NULL, NULL, 0};
    if (!v)
        return r;
    if (cJSON_IsNull(v))
        r.kind = HV_NULL;
    else if (cJSON_IsString(v))
        r.kind = HV_STR, r.s = v->valuestring ? v->valuestring : "";
    else if (cJSON_IsBool(v))
        r.kind = HV_BOOL, r.s = cJSON_IsTrue(v) ? "true" : "false";
    else if (cJSON_IsNumber(v) && ucrm_json__num_text(v->valuedouble, buf))
        r.kind = HV_NUM, r.s = buf;
    else
        r.kind = HV_COMPOUND, r.node = v;
    return r;
}

/* The primary company in a v3 "associations" member. */
static const char *primary_in(const hs_obj_t *o, const cJSON *a) {
    const cJSON *grp = NULL;
    for (const cJSON *m = a ? a->child : NULL; m && !grp; m = m->next)
        if (m->string && (strcmp(m->string, "companies") == 0 || strcmp(m->string, "company") == 0))
            grp = m;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(grp, "results")) {
        /* PROTOCOL B2: one entry per label; the primary one is <object>_to_company, the others
         * <object>_to_company_unlabeled or a custom label */
        const char *type = ucrm_json__str(e, "type"), *id = ucrm_json__str(e, "id");
        if (o->primary_name && type && id && *id && strcmp(type, o->primary_name) == 0)
            return id;
    }
    return NULL;
}

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

/* A view of v that stays valid while rd is read: a number's text goes into the next of numbuf. */
static bool keep_val(const cJSON *v, hs_val_t *out, char (*numbuf)[40], size_t nnum, size_t *k) {
    char scratch[40];
    *out = val_of(v, scratch);
    if (out->kind != HV_NUM)
        return true;
    if (*k == nnum)
        return false;
    memcpy(numbuf[*k], scratch, sizeof scratch);
    out->s = numbuf[(*k)++];
    return true;
}

/* Reads the members of a tree object into rd. numbuf: room for the number texts. */
static ucrm_err_t read_tree(hs_rd_t *rd, const cJSON *item, char (*numbuf)[40], size_t nnum) {
    const cJSON *props = NULL;
    size_t k = 0;
    bool ok = true;
    for (const cJSON *m = item->child; m && ok; m = m->next) {
        const char *key = m->string ? m->string : "";
        if (strcmp(key, "id") == 0)
            ok = keep_val(m, &rd->id, numbuf, nnum, &k);
        else if (strcmp(key, "createdAt") == 0)
            ok = keep_val(m, &rd->created, numbuf, nnum, &k);
        else if (strcmp(key, "updatedAt") == 0)
            ok = keep_val(m, &rd->updated, numbuf, nnum, &k);
        else if (strcmp(key, "archived") == 0)
            ok = keep_val(m, &rd->archived, numbuf, nnum, &k);
        else if (strcmp(key, "properties") == 0)
            props = m;
        else if (strcmp(key, "associations") == 0)
            rd->primary = primary_in(rd->o, m);
    }
    if (props && !cJSON_IsNull(props) && !cJSON_IsObject(props)) {
        snprintf(rd->why, HS_WHY, "properties is not an object");
        return UCRM_ERR_PROTOCOL;
    }
    for (const cJSON *p = props ? props->child : NULL; p && ok; p = p->next) {
        hs_val_t v;
        if (!p->string || !(ok = keep_val(p, &v, numbuf, nnum, &k)))
            continue;
        ucrm_err_t rc = hs_rd_prop(rd, p->string, &v);
        if (rc < 0)
            return rc;
    }
    if (!ok) {
        snprintf(rd->why, HS_WHY, "too many numeric values in one object");
        return UCRM_ERR_PROTOCOL;
    }
    return UCRM_OK;
}

ucrm_err_t hs_record_from(const hs_obj_t *o, const hs_sel_t *sel, cJSON *item, bool take, ucrm_record_t **out,
                          char why[HS_WHY]) {
    hs_rd_t rd;
    char numbuf[HS_MAX_SLOTS + 8][40];
    ucrm_err_t rc;
    *out = NULL;
    if (!cJSON_IsObject(item)) {
        why[0] = '\0';
        snprintf(why, HS_WHY, "a result is not a JSON object");
        rc = UCRM_ERR_PROTOCOL;
        rd.rec = NULL;
    } else if ((rc = hs_rd_begin(&rd, o, sel, why)) == UCRM_OK && (rc = read_tree(&rd, item, numbuf, UCRM__ARRAY_LEN(numbuf))) == UCRM_OK) {
        rc = hs_rd_finish(&rd);
    }
    if (rc < 0) {
        hs_rd_abort(&rd);
        if (take)
            cJSON_Delete(item);
        return rc;
    }
    if (take)
        ucrm_record__set_remote(rd.rec, item);
    *out = rd.rec;
    return UCRM_OK;
}
