/*
 * hs_write.c -- unified record -> HubSpot "properties" object (SimplePublicObjectInput*, PROTOCOL B2/B3).
 *
 * Every value is written as a JSON string (the specs type properties as string -> string maps): numbers in
 * plain notation, booleans "true"/"false", date-times RFC 3339, dates as midnight UTC, null as "" (HubSpot
 * clears a property set to ""). Compound fields are spread over their properties and replace them all: an
 * address without a city clears the city.
 */
#include "hubspot_int.h"

#include <inttypes.h>

/* An error naming the unified field. */
static ucrm_err_t field_fail(ucrm_error_t **errp, ucrm_err_t code, const char *field, const char *fmt, ...)
    UCRM__PRINTF(4, 5);
static ucrm_err_t field_fail(ucrm_error_t **errp, ucrm_err_t code, const char *field, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ucrm_error_t *e = ucrm_error__vnew(code, fmt, ap);
    va_end(ap);
    if (!e->is_static)
        ucrm_error__set_field(e, field);
    return ucrm__give(errp, e);
}

bool hs_scalar_text(const ucrm_fval_t *f, ucrm_buf_t *out) {
    char nb[40];
    switch (f->type) {
    case UCRM_FIELD_STRING:
    case UCRM_FIELD_DATETIME:
    case UCRM_FIELD_DECIMAL:
    case UCRM_FIELD_DATE: return ucrm_buf__puts(out, f->v.s), true;
    case UCRM_FIELD_INT: return ucrm_buf__printf(out, "%" PRId64, f->v.i), true;
    case UCRM_FIELD_DOUBLE:
        if (ucrm_json__num_text(f->v.d, nb))
            ucrm_buf__puts(out, nb);
        return true;
    case UCRM_FIELD_BOOL: return ucrm_buf__puts(out, f->v.b ? "true" : "false"), true;
    case UCRM_FIELD_NULL: return ucrm_buf__reserve(out, 0), true;
    default: return false;
    }
}

/* ,"prop":"text" */
static void put_pair(ucrm_buf_t *b, bool *first, const char *prop, const char *text, size_t len) {
    if (!*first)
        ucrm_buf__putc(b, ',');
    *first = false;
    ucrm_buf__json_str(b, prop, strlen(prop));
    ucrm_buf__putc(b, ':');
    ucrm_buf__json_str(b, text, len);
}

/* A JSON array of scalars as a ";"-list (multi-value enumerations, hs_additional_emails). */
static ucrm_err_t semi_text(const ucrm_fval_t *f, ucrm_buf_t *t, ucrm_error_t **errp) {
    if (f->type == UCRM_FIELD_NULL)
        return UCRM_OK;
    for (const cJSON *e = f->v.j ? f->v.j->child : NULL; e; e = e->next) {
        if (!cJSON_IsString(e) || !e->valuestring)
            return field_fail(errp, UCRM_ERR_VALIDATION, f->name, "%s: HubSpot takes a list of strings here",
                              f->name);
        if (strchr(e->valuestring, ';'))
            return field_fail(errp, UCRM_ERR_VALIDATION, f->name,
                              "%s: '%s' contains ';', the separator of HubSpot multi-value properties", f->name,
                              e->valuestring);
        if (t->len)
            ucrm_buf__putc(t, ';');
        ucrm_buf__puts(t, e->valuestring);
    }
    return UCRM_OK;
}

/* The index of a phone type in the row's parts, or -1. */
static int phone_part(const hs_row_t *row, const char *type) {
    for (unsigned p = 0; p < row->nprops; p++)
        if (strcmp(row->parts[p], type) == 0)
            return (int)p;
    return -1;
}

static ucrm_err_t phones_values(const hs_obj_t *o, const hs_row_t *row, const ucrm_fval_t *f,
                                const char *vals[HS_MAX_PARTS], ucrm_error_t **errp) {
    for (const cJSON *e = f->type == UCRM_FIELD_ARRAY ? f->v.j->child : NULL; e; e = e->next) {
        const char *num = ucrm_json__str(e, "number");
        const char *type = ucrm_json__str(e, "type");
        if (!type)
            type = "work";
        int p = phone_part(row, type);
        if (p < 0)
            return field_fail(errp, UCRM_ERR_UNSUPPORTED, f->name,
                              "%s: HubSpot %s have no '%s' phone property (work is phone, mobile is mobilephone, "
                              "fax is fax); keep it in a custom property (custom.<name>)",
                              f->name, o->type, type);
        if (vals[p])
            return field_fail(errp, UCRM_ERR_UNSUPPORTED, f->name,
                              "%s: HubSpot keeps one %s number per %s (property %s); got two", f->name, type,
                              o->singular, row->props[p]);
        vals[p] = num ? num : "";
    }
    return UCRM_OK;
}

static void address_values(const hs_row_t *row, const ucrm_fval_t *f, const char *vals[HS_MAX_PARTS]) {
    for (unsigned p = 0; f->type == UCRM_FIELD_OBJECT && p < row->nprops; p++)
        vals[p] = ucrm_json__str(f->v.j, row->parts[p]);
}

/* Every property of a compound row (phones, address), "" where the value has none. */
static ucrm_err_t put_parts(const hs_obj_t *o, const hs_row_t *row, const ucrm_fval_t *f, const char *skip,
                            ucrm_buf_t *b, bool *first, size_t *n, ucrm_error_t **errp) {
    const char *vals[HS_MAX_PARTS] = {0};
    if (row->conv == HS_C_PHONES) {
        ucrm_err_t rc = phones_values(o, row, f, vals, errp);
        if (rc < 0)
            return rc;
    } else {
        address_values(row, f, vals);
    }
    for (unsigned p = 0; p < row->nprops; p++) {
        if (skip && strcmp(row->props[p], skip) == 0)
            continue;
        const char *v = vals[p] ? vals[p] : "";
        put_pair(b, first, row->props[p], v, strlen(v));
        (*n)++;
    }
    return UCRM_OK;
}

/* The text of a single-property row. */
static ucrm_err_t row_text(const hs_row_t *row, const ucrm_fval_t *f, ucrm_buf_t *t, ucrm_error_t **errp) {
    switch (row->conv) {
    case HS_C_SEMI: return semi_text(f, t, errp);
    case HS_C_JSON:
        if (f->type != UCRM_FIELD_NULL)
            ucrm_record__value_json(f, t);
        return UCRM_OK;
    case HS_C_DATE:
        if (f->type == UCRM_FIELD_DATE) /* closedate is a datetime: midnight UTC (PROTOCOL B5) */
            ucrm_buf__printf(t, "%sT00:00:00.000Z", f->v.s);
        else
            hs_scalar_text(f, t);
        return UCRM_OK;
    default:
        if (!hs_scalar_text(f, t))
            return field_fail(errp, UCRM_ERR_TYPE, f->name, "%s: not a scalar value", f->name);
        return UCRM_OK;
    }
}

/* A mapped unified field. */
static ucrm_err_t put_mapped(const hs_obj_t *o, const hs_row_t *row, const ucrm_fval_t *f, const char *skip,
                             ucrm_buf_t *b, bool *first, ucrm_buf_t *t, hs_wout_t *w, ucrm_error_t **errp) {
    if (row->conv == HS_C_ASSOC) {
        w->assoc = f->type == UCRM_FIELD_NULL ? -1 : 1;
        w->company = f->type == UCRM_FIELD_STRING ? f->v.s : NULL;
        return UCRM_OK;
    }
    if (row->readonly)
        return field_fail(errp, UCRM_ERR_UNSUPPORTED, f->name,
                          "%s.%s is computed by HubSpot (%s) and cannot be written; to keep your own value, map it "
                          "to a property of yours with mapping.%s.%s=<property>",
                          ucrm_object_name(o->object), f->name, row->props[0], ucrm_object_name(o->object),
                          f->name);
    if (row->conv == HS_C_PHONES || row->conv == HS_C_ADDRESS)
        return put_parts(o, row, f, skip, b, first, &w->nprops, errp);
    if (skip && strcmp(row->props[0], skip) == 0)
        return UCRM_OK;
    ucrm_buf__reset(t);
    ucrm_err_t rc = row_text(row, f, t, errp);
    if (rc == UCRM_OK) {
        put_pair(b, first, row->props[0], ucrm_buf__str(t), t->len);
        w->nprops++;
    }
    return rc;
}

/* A custom.<prop> field: scalars as text, arrays as ";"-lists, objects as JSON text. */
static ucrm_err_t put_custom(const ucrm_fval_t *f, ucrm_buf_t *b, bool *first, ucrm_buf_t *t, hs_wout_t *w,
                             ucrm_error_t **errp) {
    const char *prop = f->name + UCRM_CUSTOM_PREFIX_LEN;
    ucrm_buf__reset(t);
    ucrm_err_t rc = UCRM_OK;
    if (f->type == UCRM_FIELD_ARRAY)
        rc = semi_text(f, t, errp);
    else if (f->type == UCRM_FIELD_OBJECT)
        ucrm_record__value_json(f, t);
    else
        hs_scalar_text(f, t);
    if (rc == UCRM_OK) {
        put_pair(b, first, prop, ucrm_buf__str(t), t->len);
        w->nprops++;
    }
    return rc;
}

/* Would the record also write prop through a mapped field? */
static bool mapped_written(const hs_obj_t *o, const ucrm_record_t *rec, const char *prop, bool dirty_only) {
    const hs_slot_t *s = hs_slot_of(o, prop);
    if (!s)
        return false;
    const ucrm_fval_t *f = ucrm_record__find(rec, o->rows[s->row].field);
    return f && (f->dirty || !dirty_only);
}

ucrm_err_t hs_write_props(const hs_obj_t *o, const ucrm_record_t *rec, bool dirty_only, const char *skip_prop,
                          ucrm_buf_t *b, hs_wout_t *w, ucrm_error_t **errp) {
    ucrm_buf_t t = UCRM_BUF_INIT;
    bool first = true;
    ucrm_err_t rc = UCRM_OK;
    memset(w, 0, sizeof *w);
    ucrm_buf__putc(b, '{');
    for (size_t i = 0; rc == UCRM_OK && i < rec->nfields; i++) {
        const ucrm_fval_t *f = &rec->fields[i];
        if ((dirty_only && !f->dirty) || (f->def && (f->def->flags & UCRM_MF_READONLY)))
            continue;
        if (!f->def) {
            const char *prop = f->name + UCRM_CUSTOM_PREFIX_LEN;
            if (skip_prop && strcmp(prop, skip_prop) == 0)
                continue;
            if (mapped_written(o, rec, prop, dirty_only))
                rc = field_fail(errp, UCRM_ERR_INVALID_ARG, f->name,
                                "%s and %s both write HubSpot property %s", f->name,
                                o->rows[hs_slot_of(o, prop)->row].field, prop);
            else
                rc = put_custom(f, b, &first, &t, w, errp);
            continue;
        }
        int r = hs_row_of(o, f->name);
        if (r < 0)
            rc = field_fail(errp, UCRM_ERR_UNSUPPORTED, f->name,
                            "HubSpot %s have no property for %s; map one with mapping.%s.%s=<property>", o->type,
                            f->name, ucrm_object_name(o->object), f->name);
        else
            rc = put_mapped(o, &o->rows[r], f, skip_prop, b, &first, &t, w, errp);
    }
    ucrm_buf__putc(b, '}');
    ucrm_buf__free(&t);
    if (rc == UCRM_OK && b->oom)
        rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    return rc;
}

void hs_write_assoc_inputs(const hs_obj_t *o, const char *company, ucrm_buf_t *b) {
    ucrm_buf__putc(b, '[');
    if (company && o->primary_type) {
        /* PROTOCOL B2 create body with associations; B6 primary type ids */
        ucrm_buf__puts(b, "{\"to\":{\"id\":");
        ucrm_buf__json_str(b, company, strlen(company));
        ucrm_buf__printf(b, "},\"types\":[{\"associationCategory\":\"HUBSPOT_DEFINED\",\"associationTypeId\":%d}]}",
                         o->primary_type);
    }
    ucrm_buf__putc(b, ']');
}

ucrm_err_t hs_key_prop(const hs_obj_t *o, const char *key_field, const char **prop, ucrm_error_t **errp) {
    if (ucrm_model__is_custom(key_field)) {
        *prop = key_field + UCRM_CUSTOM_PREFIX_LEN;
        return UCRM_OK;
    }
    int r = hs_row_of(o, key_field);
    if (r < 0 || o->rows[r].nprops != 1 || o->rows[r].readonly || o->rows[r].conv == HS_C_SEMI ||
        o->rows[r].conv == HS_C_JSON)
        return field_fail(errp, UCRM_ERR_UNSUPPORTED, key_field,
                          "%s cannot identify HubSpot %s in an upsert: use a unique property (email for contacts, "
                          "or custom.<property> with unique values)",
                          key_field, o->type);
    *prop = o->rows[r].props[0];
    return UCRM_OK;
}

ucrm_err_t hs_key_value(const ucrm_record_t *rec, const char *key_field, ucrm_buf_t *out, ucrm_error_t **errp) {
    const ucrm_fval_t *f = ucrm_record__find(rec, key_field);
    if (!f || f->type == UCRM_FIELD_NULL || !hs_scalar_text(f, out) || out->len == 0)
        return field_fail(errp, UCRM_ERR_INVALID_ARG, key_field, "the record has no value for the key field '%s'",
                          key_field);
    return out->oom ? ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory") : UCRM_OK;
}
