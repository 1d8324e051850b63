/*
 * hs_map.c -- the field maps (ARCHITECTURE.md "The unified model", HubSpot column) as data, one table per object,
 * the mapping.<object>.<field> overrides applied on top, and the resolution of a call's field selection.
 *
 * Property names: PROTOCOL.md B5 (default properties), B4 (last-modified property per object).
 */
#include "hubspot_int.h"

#include "conf_int.h"

/* ---------------------------------------------------------------------------------------------- the tables */

#define ROW1(f, c, p) {f, c, {p}, {NULL}, 1, false}
#define ROW1_RO(f, c, p) {f, c, {p}, {NULL}, 1, true}
#define ADDRESS_ROW                                                                                            \
    {"address", HS_C_ADDRESS, {"address", "city", "state", "zip", "country"},                                  \
     {"street", "city", "state", "postal_code", "country"}, 5, false}

static const hs_row_t contact_map[] = {
    ROW1("first_name", HS_C_STR, "firstname"),
    ROW1("last_name", HS_C_STR, "lastname"),
    ROW1("email", HS_C_STR, "email"),
    ROW1("additional_emails", HS_C_SEMI, "hs_additional_emails"),
    {"phone_numbers", HS_C_PHONES, {"phone", "mobilephone", "fax"}, {"work", "mobile", "fax"}, 3, false},
    ROW1("title", HS_C_STR, "jobtitle"),
    {"account_id", HS_C_ASSOC, {NULL}, {NULL}, 0, false},
    ROW1("owner_id", HS_C_STR, "hubspot_owner_id"),
    ROW1("lifecycle_stage", HS_C_STR, "lifecyclestage"),
    ADDRESS_ROW,
};

static const hs_row_t account_map[] = {
    ROW1("name", HS_C_STR, "name"),
    ROW1("industry", HS_C_STR, "industry"),
    ROW1("description", HS_C_STR, "description"),
    ROW1("website", HS_C_STR, "website"),
    ROW1("domain", HS_C_STR, "domain"),
    ROW1("employee_count", HS_C_INT, "numberofemployees"),
    ROW1("annual_revenue", HS_C_DEC, "annualrevenue"),
    ROW1("phone", HS_C_STR, "phone"),
    ROW1("owner_id", HS_C_STR, "hubspot_owner_id"),
    ADDRESS_ROW,
};

static const hs_row_t deal_map[] = {
    ROW1("name", HS_C_STR, "dealname"),
    ROW1("amount", HS_C_DEC, "amount"),
    ROW1("currency", HS_C_STR, "deal_currency_code"),
    ROW1("stage", HS_C_STR, "dealstage"),
    {"status", HS_C_STATUS, {"hs_is_closed", "hs_is_closed_won"}, {NULL}, 2, true},
    ROW1("close_date", HS_C_DATE, "closedate"),
    ROW1_RO("probability", HS_C_PROB, "hs_deal_stage_probability"),
    ROW1("pipeline", HS_C_STR, "pipeline"),
    {"account_id", HS_C_ASSOC, {NULL}, {NULL}, 0, false},
    ROW1("owner_id", HS_C_STR, "hubspot_owner_id"),
};

static const struct objdef {
    ucrm_object_t object;
    const char *type, *singular, *modified;
    int primary_type;
    const char *primary_name;
    const hs_row_t *map;
    size_t nmap;
} objdefs[3] = {
    /* PROTOCOL B6: contact->company primary 1 (unlabeled 279), deal->company primary 5 (unlabeled 341) */
    {UCRM_OBJECT_CONTACT, "contacts", "contact", "lastmodifieddate", 1, "contact_to_company", contact_map,
     UCRM__ARRAY_LEN(contact_map)},
    {UCRM_OBJECT_ACCOUNT, "companies", "company", "hs_lastmodifieddate", 0, NULL, account_map,
     UCRM__ARRAY_LEN(account_map)},
    {UCRM_OBJECT_DEAL, "deals", "deal", "hs_lastmodifieddate", 5, "deal_to_company", deal_map,
     UCRM__ARRAY_LEN(deal_map)},
};

/* ---------------------------------------------------------------------------------------------- overrides */

bool hs_prop_name_ok(const char *s) {
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= 255 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* The converter a field mapped to one custom property uses: its unified type decides. */
static hs_conv_t override_conv(const ucrm_model_field_t *f) {
    switch (f->type) {
    case UCRM_FIELD_INT: return HS_C_INT;
    case UCRM_FIELD_DECIMAL: return HS_C_DEC;
    case UCRM_FIELD_DOUBLE: return HS_C_DBL;
    case UCRM_FIELD_BOOL: return HS_C_BOOL;
    case UCRM_FIELD_DATETIME: return HS_C_TIME;
    case UCRM_FIELD_DATE: return HS_C_DATE;
    case UCRM_FIELD_ARRAY: return strcmp(f->name, "additional_emails") == 0 ? HS_C_SEMI : HS_C_JSON;
    case UCRM_FIELD_OBJECT: return HS_C_JSON;
    default: return HS_C_STR;
    }
}

static const struct objdef *objdef_of(ucrm_object_t o) {
    for (size_t i = 0; i < UCRM__ARRAY_LEN(objdefs); i++)
        if (objdefs[i].object == o)
            return &objdefs[i];
    return NULL;
}

/* Is prop used by a row of the map other than row `except`? */
static bool prop_taken(const hs_obj_t *o, const char *prop, size_t except) {
    for (size_t r = 0; r < o->nrows; r++)
        for (unsigned p = 0; r != except && p < o->rows[r].nprops; p++)
            if (strcmp(o->rows[r].props[p], prop) == 0)
                return true;
    return false;
}

static ucrm_err_t build_slots(hs_obj_t *o, ucrm_error_t **errp) {
    o->nslots = 0;
    o->assoc_row = -1;
    for (size_t r = 0; r < o->nrows; r++) {
        if (o->rows[r].conv == HS_C_ASSOC)
            o->assoc_row = (int)r;
        o->first_slot[r] = (unsigned char)o->nslots;
        for (unsigned p = 0; p < o->rows[r].nprops; p++) {
            if (o->nslots == HS_MAX_SLOTS)
                return ucrm__fail(errp, UCRM_ERR_CONF_INVALID, "hubspot: too many mapped properties");
            o->slots[o->nslots++] = (hs_slot_t){o->rows[r].props[p], (unsigned char)r, (unsigned char)p};
        }
    }
    return UCRM_OK;
}

/* Applies the mapping overrides of conf to o (targets point into st->owned). */
static ucrm_err_t apply_overrides(hs_state_t *st, hs_obj_t *o, const ucrm_conf_t *conf, ucrm_error_t **errp) {
    for (size_t i = 0; i < conf->nmappings; i++) {
        const ucrm_mapping_t *m = &conf->mappings[i];
        if (m->object != o->object)
            continue;
        int r = hs_row_of(o, m->field);
        const ucrm_model_field_t *def = ucrm_model__find(o->object, m->field);
        if (r < 0 || !def)
            return ucrm__fail(errp, UCRM_ERR_CONF_INVALID, "mapping.%s.%s: not a mapped field of HubSpot %s",
                              ucrm_object_name(o->object), m->field, o->type);
        char *t = ucrm__strdup(m->target);
        char **grown = t ? ucrm__realloc(st->owned, (st->nowned + 1) * sizeof *grown) : NULL;
        if (!grown) {
            ucrm__free(t);
            return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
        }
        st->owned = grown;
        st->owned[st->nowned++] = t;
        hs_row_t *row = &o->rows[r];
        memset(row->props, 0, sizeof row->props);
        memset(row->parts, 0, sizeof row->parts);
        row->props[0] = t;
        row->nprops = 1;
        row->conv = override_conv(def);
        row->readonly = false;
    }
    for (size_t r = 0; r < o->nrows; r++)
        for (unsigned p = 0; p < o->rows[r].nprops; p++)
            if (prop_taken(o, o->rows[r].props[p], r))
                return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                                  "mapping.%s.%s: HubSpot property '%s' is already used by another unified field",
                                  ucrm_object_name(o->object), o->rows[r].field, o->rows[r].props[p]);
    return UCRM_OK;
}

/* The query of the default selection, which nearly every get and list uses: built once instead of per request. */
static ucrm_err_t build_all_query(hs_obj_t *o, ucrm_error_t **errp) {
    hs_sel_t all;
    memset(&all, 0, sizeof all);
    all.all = true;
    all.assoc = o->assoc_row >= 0;
    ucrm_buf_t b = UCRM_BUF_INIT;
    o->all_query = NULL; /* hs_sel_query() below computes it */
    hs_sel_query(&all, o, &b);
    if (b.oom) {
        ucrm_buf__free(&b);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    o->all_query = b.ptr ? b.ptr : ucrm__strdup("");
    return o->all_query ? UCRM_OK : ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
}

ucrm_err_t hs_map_init(hs_state_t *st, const ucrm_conf_t *conf, ucrm_error_t **errp) {
    for (size_t i = 0; i < UCRM__ARRAY_LEN(objdefs); i++) {
        const struct objdef *d = &objdefs[i];
        hs_obj_t *o = &st->objs[i];
        o->object = d->object;
        o->type = d->type;
        o->singular = d->singular;
        o->modified = d->modified;
        o->primary_type = d->primary_type;
        o->primary_name = d->primary_name;
        o->nrows = d->nmap;
        for (size_t r = 0; r < d->nmap; r++) {
            o->rows[r] = d->map[r];
            /* records compare field names by pointer first: use the model's own strings */
            o->rows[r].field = ucrm_model__find(d->object, d->map[r].field)->name;
        }
        ucrm_err_t rc = apply_overrides(st, o, conf, errp);
        if (rc == UCRM_OK)
            rc = build_slots(o, errp);
        if (rc == UCRM_OK)
            rc = build_all_query(o, errp);
        if (rc < 0)
            return rc;
    }
    return UCRM_OK;
}

void hs_map_free(hs_state_t *st) {
    for (size_t i = 0; i < UCRM__ARRAY_LEN(st->objs); i++) {
        ucrm__free(st->objs[i].all_query);
        st->objs[i].all_query = NULL;
    }
    for (size_t i = 0; i < st->nowned; i++)
        ucrm__free(st->owned[i]);
    ucrm__free(st->owned);
    st->owned = NULL;
    st->nowned = 0;
}

ucrm_err_t hs_map_check(const ucrm_conf_t *conf, ucrm_error_t **errp) {
    for (size_t i = 0; i < conf->nmappings; i++) {
        const ucrm_mapping_t *m = &conf->mappings[i];
        if (strchr(m->target, '.'))
            return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                              "mapping.%s.%s: '%s' is not a HubSpot property name (internal names have no '.')",
                              ucrm_object_name(m->object), m->field, m->target);
    }
    /* collisions are found by building the maps once */
    hs_state_t tmp;
    memset(&tmp, 0, sizeof tmp);
    ucrm_err_t rc = hs_map_init(&tmp, conf, errp);
    hs_map_free(&tmp);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- lookups */

const hs_obj_t *hs_obj(const hs_state_t *st, ucrm_object_t object) {
    const struct objdef *d = objdef_of(object);
    return d ? &st->objs[d - objdefs] : NULL;
}

const hs_obj_t *hs_obj_by_type(const hs_state_t *st, const char *type, size_t len) {
    static const char *const ids[] = {"0-1", "0-2", "0-3"}; /* PROTOCOL B1 */
    for (size_t i = 0; i < UCRM__ARRAY_LEN(objdefs); i++)
        if ((strlen(objdefs[i].type) == len && strncmp(objdefs[i].type, type, len) == 0) ||
            (len == 3 && strncmp(ids[i], type, 3) == 0))
            return &st->objs[i];
    return NULL;
}

int hs_row_of(const hs_obj_t *o, const char *field) {
    for (size_t r = 0; r < o->nrows; r++)
        if (o->rows[r].field == field || strcmp(o->rows[r].field, field) == 0)
            return (int)r;
    return -1;
}

const hs_slot_t *hs_slot_of(const hs_obj_t *o, const char *prop) {
    for (size_t i = 0; i < o->nslots; i++)
        if (o->slots[i].prop[0] == prop[0] && strcmp(o->slots[i].prop, prop) == 0)
            return &o->slots[i];
    return NULL;
}

bool hs_is_system_prop(const hs_obj_t *o, const char *prop) {
    return strcmp(prop, "hs_object_id") == 0 || strcmp(prop, "createdate") == 0 || strcmp(prop, o->modified) == 0;
}

/* "<field>.<part>" of the compound rows (phone types, address keys), as static strings: change events name a
 * component this way (provider_int.h, unified_field). */
static const char *const components[] = {
    "phone_numbers.work", "phone_numbers.mobile", "phone_numbers.fax", "address.street", "address.city",
    "address.state", "address.postal_code", "address.country",
};

static const char *component_name(const char *field, const char *part) {
    size_t fl = strlen(field);
    for (size_t i = 0; part && i < UCRM__ARRAY_LEN(components); i++)
        if (strncmp(components[i], field, fl) == 0 && components[i][fl] == '.' &&
            strcmp(components[i] + fl + 1, part) == 0)
            return components[i];
    return field;
}

const char *hs_unified_field(void *state, ucrm_object_t object, const char *prop) {
    const hs_obj_t *o = state && prop ? hs_obj(state, object) : NULL;
    if (!o)
        return NULL;
    const hs_slot_t *s = hs_slot_of(o, prop);
    if (!s) { /* the properties behind the common fields */
        if (strcmp(prop, "hs_object_id") == 0)
            return "id";
        if (strcmp(prop, "createdate") == 0)
            return "created_at";
        return strcmp(prop, o->modified) == 0 ? "updated_at" : NULL;
    }
    const hs_row_t *row = &o->rows[s->row];
    /* one property of a compound field is that component ("city" -> "address.city", "mobilephone" ->
     * "phone_numbers.mobile"); the two properties behind deal status are the status itself */
    if (row->conv == HS_C_PHONES || row->conv == HS_C_ADDRESS)
        return component_name(row->field, row->parts[s->part]);
    return row->field;
}

/* ---------------------------------------------------------------------------------------------- selection */

void hs_sel_free(hs_sel_t *sel) {
    for (size_t i = 0; i < sel->ncustom; i++)
        ucrm__free(sel->custom[i]);
    ucrm__free(sel->custom);
    memset(sel, 0, sizeof *sel);
}

bool hs_sel_row(const hs_sel_t *sel, size_t row) { return sel->all || (sel->rows & (UINT32_C(1) << row)); }

static bool is_common(const char *f) {
    return strcmp(f, "id") == 0 || strcmp(f, "created_at") == 0 || strcmp(f, "updated_at") == 0 ||
           strcmp(f, "is_deleted") == 0;
}

ucrm_err_t hs_sel_init(hs_sel_t *sel, const hs_obj_t *o, const ucrm_reqopts_t *opts, ucrm_error_t **errp) {
    memset(sel, 0, sizeof *sel);
    sel->absent_null = true;
    size_t n = ucrm_reqopts__nfields(opts);
    if (n == 0) {
        sel->all = true;
        sel->assoc = o->assoc_row >= 0;
        return UCRM_OK;
    }
    for (size_t i = 0; i < n; i++) {
        const char *f = ucrm_reqopts__field(opts, i);
        int r;
        if (is_common(f))
            continue;
        if ((r = hs_row_of(o, f)) >= 0) {
            sel->rows |= UINT32_C(1) << r;
            if (o->rows[r].conv == HS_C_ASSOC)
                sel->assoc = true;
            continue;
        }
        if (!ucrm_model__is_custom(f)) {
            hs_sel_free(sel);
            return ucrm__fail(errp, UCRM_ERR_INVALID_FIELD, "'%s' is not a field of %s (selected fields)", f,
                              ucrm_object_name(o->object));
        }
        char **grown = ucrm__realloc(sel->custom, (sel->ncustom + 1) * sizeof *grown);
        char *name = grown ? ucrm__strdup(f + UCRM_CUSTOM_PREFIX_LEN) : NULL;
        if (grown)
            sel->custom = grown;
        if (!name) {
            hs_sel_free(sel);
            return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
        }
        sel->custom[sel->ncustom++] = name;
    }
    return UCRM_OK;
}

/* Is prop among the first ncustom custom names, or read by a selected row? */
static bool sel_has(const hs_sel_t *sel, const hs_obj_t *o, const char *prop, size_t ncustom) {
    const hs_slot_t *s = hs_slot_of(o, prop);
    if (s && hs_sel_row(sel, s->row))
        return true;
    for (size_t i = 0; i < ncustom; i++)
        if (strcmp(sel->custom[i], prop) == 0)
            return true;
    return false;
}

/* Calls emit(prop) for every property a selection reads, each once. */
static void sel_each(const hs_sel_t *sel, const hs_obj_t *o, const char *extra,
                     void (*emit)(ucrm_buf_t *, const char *, bool *), ucrm_buf_t *b) {
    bool first = true;
    for (size_t r = 0; r < o->nrows; r++) {
        if (!hs_sel_row(sel, r))
            continue;
        for (unsigned p = 0; p < o->rows[r].nprops; p++)
            emit(b, o->rows[r].props[p], &first);
    }
    for (size_t i = 0; i < sel->ncustom; i++)
        if (!sel_has(sel, o, sel->custom[i], i))
            emit(b, sel->custom[i], &first);
    if (extra && !sel_has(sel, o, extra, sel->ncustom))
        emit(b, extra, &first);
}

static void emit_csv(ucrm_buf_t *b, const char *p, bool *first) {
    if (!*first)
        ucrm_buf__putc(b, ',');
    *first = false;
    ucrm_buf__urlencode(b, p, strlen(p));
}

static void emit_json(ucrm_buf_t *b, const char *p, bool *first) {
    if (!*first)
        ucrm_buf__putc(b, ',');
    *first = false;
    ucrm_buf__json_str(b, p, strlen(p));
}

void hs_sel_props_csv(const hs_sel_t *sel, const hs_obj_t *o, ucrm_buf_t *b) { sel_each(sel, o, NULL, emit_csv, b); }

void hs_sel_query(const hs_sel_t *sel, const hs_obj_t *o, ucrm_buf_t *b) {
    if (sel->all && !sel->ncustom && sel->assoc == (o->assoc_row >= 0) && o->all_query && *o->all_query) {
        ucrm_buf__puts(b, o->all_query);
        return;
    }
    ucrm_buf_t props = UCRM_BUF_INIT;
    hs_sel_props_csv(sel, o, &props);
    if (props.len) {
        ucrm_buf__puts(b, "properties=");
        ucrm_buf__append(b, props.ptr, props.len);
    }
    if (sel->assoc)
        ucrm_buf__puts(b, props.len ? "&associations=companies" : "associations=companies");
    if (!props.len && !sel->assoc && b->len && (b->ptr[b->len - 1] == '&' || b->ptr[b->len - 1] == '?'))
        b->ptr[--b->len] = '\0'; /* nothing to name: HubSpot's defaults come back */
    if (props.oom)
        b->oom = true;
    ucrm_buf__free(&props);
}

void hs_sel_props_json(const hs_sel_t *sel, const hs_obj_t *o, const char *extra, ucrm_buf_t *b) {
    sel_each(sel, o, extra, emit_json, b);
}
