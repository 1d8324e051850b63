/*
 * sf_map.c -- the unified model <-> Salesforce fields: the field map as data (ARCHITECTURE.md "The unified
 * model"; field names and types from PROTOCOL.md A8), the per-client overrides (mapping.<object>.<field>), and
 * the two conversions: a Salesforce record (JSON) into a unified record, and a unified record into the members
 * of a Salesforce request body.
 *
 * Reading is one pass over the record's members: each name is looked up (case-insensitively: SOQL names are) in
 * the object's hash of Salesforce field names, so that every mapped value lands in its slot; members no map
 * entry names become custom.<Name> fields. The entries then convert their slots.
 */
#include "sf_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>

#define RO SF_F_READONLY

typedef struct sf_row {
    const char *unified;
    const char *sf;    /* the field; the prefix for SF_ADDRESS; NULL for SF_PHONES and SF_STATUS */
    uint8_t conv;
    uint8_t flags;
} sf_row_t;

/* id is not a field: Id is read into the record's id. Unified fields absent here (contact.additional_emails,
 * contact.lifecycle_stage, deal.pipeline) exist only through mapping.* keys. */
#define SF_COMMON_ROWS                                                                                         \
    {"created_at", "CreatedDate", SF_DATETIME, RO}, {"updated_at", "SystemModstamp", SF_DATETIME, RO},         \
        {"is_deleted", "IsDeleted", SF_BOOL, RO}

static const sf_row_t contact_rows[] = {
    SF_COMMON_ROWS,
    {"first_name", "FirstName", SF_STR, 0},
    {"last_name", "LastName", SF_STR, 0},
    {"email", "Email", SF_STR, 0},
    {"phone_numbers", NULL, SF_PHONES, 0},
    {"title", "Title", SF_STR, 0},
    {"account_id", "AccountId", SF_STR, 0},
    {"owner_id", "OwnerId", SF_STR, 0},
    {"address", "Mailing", SF_ADDRESS, 0},
};

static const sf_row_t account_rows[] = {
    SF_COMMON_ROWS,
    {"name", "Name", SF_STR, 0},
    {"industry", "Industry", SF_STR, 0},
    {"description", "Description", SF_STR, 0},
    {"website", "Website", SF_STR, 0},
    {"domain", "Website", SF_DOMAIN, RO},
    {"employee_count", "NumberOfEmployees", SF_INT, 0},
    {"annual_revenue", "AnnualRevenue", SF_DECIMAL, 0},
    {"phone", "Phone", SF_STR, 0},
    {"owner_id", "OwnerId", SF_STR, 0},
    {"address", "Billing", SF_ADDRESS, 0},
};

static const sf_row_t deal_rows[] = {
    SF_COMMON_ROWS,
    {"name", "Name", SF_STR, 0},
    {"amount", "Amount", SF_DECIMAL, 0},
    {"currency", "CurrencyIsoCode", SF_STR, SF_F_OPTIONAL},
    {"stage", "StageName", SF_STR, 0},
    {"status", NULL, SF_STATUS, RO},
    {"close_date", "CloseDate", SF_DATE, 0},
    {"probability", "Probability", SF_DOUBLE, 0},
    {"account_id", "AccountId", SF_STR, 0},
    {"owner_id", "OwnerId", SF_STR, 0},
};

static const struct {
    const char *sf, *type;
} phones[] = {{"Phone", "work"},        {"MobilePhone", "mobile"}, {"HomePhone", "home"},
              {"OtherPhone", "other"},  {"Fax", "fax"},            {"AssistantPhone", "assistant"}};

static const struct {
    const char *suffix, *key;
} addr[] = {{"Street", "street"}, {"City", "city"}, {"State", "state"}, {"PostalCode", "postal_code"},
            {"Country", "country"}};

static const char *const status_fields[] = {"IsClosed", "IsWon"};

static const char *const sobjects[] = {"Contact", "Account", "Opportunity"};

/* ============================================================================================== the map */

static uint32_t name_hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * 16777619u; /* ASCII case folding, as SOQL names */
    }
    return h;
}

int sf_map__slot(const sf_objmap_t *m, const char *name, size_t len) {
    for (uint32_t h = name_hash(name, len) & (SF_HASH_SIZE - 1);; h = (h + 1) & (SF_HASH_SIZE - 1)) {
        int s = m->hash[h];
        if (!s)
            return -1;
        const char *n = m->names[s - 1];
        if (m->lens[s - 1] == len && (memcmp(n, name, len) == 0 || strncasecmp(n, name, len) == 0))
            return s - 1;
    }
}

/* sf_map__slot for a NUL-terminated name, hashing and measuring it in one pass (the per-member hot path). */
static int slot_of(const sf_objmap_t *m, const char *name) {
    uint32_t h = 2166136261u;
    size_t len = 0;
    for (unsigned char c; (c = (unsigned char)name[len]) != '\0'; len++)
        h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * 16777619u;
    for (h &= SF_HASH_SIZE - 1;; h = (h + 1) & (SF_HASH_SIZE - 1)) {
        int s = m->hash[h];
        if (!s)
            return -1;
        const char *n = m->names[s - 1];
        if (m->lens[s - 1] == len && (memcmp(n, name, len) == 0 || strncasecmp(n, name, len) == 0))
            return s - 1;
    }
}

const sf_entry_t *sf_map__entry(const sf_objmap_t *m, const char *unified) {
    for (size_t i = 0; i < m->nentries; i++)
        if (strcmp(m->entries[i].def->name, unified) == 0)
            return &m->entries[i];
    return NULL;
}

bool sf_map__valid_name(const char *name) {
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 255 || !isalpha((unsigned char)name[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '_')
            return false;
    return true;
}

ucrm_err_t sf_map__custom_name(const sf_objmap_t *m, const char *name, const char **sf, ucrm_error_t **errp) {
    *sf = name + UCRM_CUSTOM_PREFIX_LEN;
    if (sf_map__valid_name(*sf))
        return UCRM_OK;
    return ucrm__fail(errp, UCRM_ERR_INVALID_FIELD,
                      "%s: '%s' is not a Salesforce field API name (letters, digits and underscores)",
                      ucrm_object_name(m->object), name);
}

/* Adds (or finds) a field name; returns its slot, -1 on OOM or when the map is full. */
static int add_name(sf_objmap_t *m, const char *name) {
    size_t len = strlen(name);
    int s = sf_map__slot(m, name, len);
    if (s >= 0)
        return s;
    if (m->nnames >= SF_MAX_SLOTS || !(m->names[m->nnames] = ucrm__strdup(name)))
        return -1;
    m->lens[m->nnames] = len;
    uint32_t h = name_hash(name, len) & (SF_HASH_SIZE - 1);
    while (m->hash[h])
        h = (h + 1) & (SF_HASH_SIZE - 1);
    m->hash[h] = (uint8_t)(m->nnames + 1);
    return (int)m->nnames++;
}

static sf_conv_t conv_of_type(ucrm_field_type_t t) {
    switch (t) {
    case UCRM_FIELD_DATETIME: return SF_DATETIME;
    case UCRM_FIELD_DATE: return SF_DATE;
    case UCRM_FIELD_BOOL: return SF_BOOL;
    case UCRM_FIELD_INT: return SF_INT;
    case UCRM_FIELD_DOUBLE: return SF_DOUBLE;
    case UCRM_FIELD_DECIMAL: return SF_DECIMAL;
    case UCRM_FIELD_ARRAY: return SF_LIST;
    case UCRM_FIELD_OBJECT: return SF_ADDRESS;
    default: return SF_STR;
    }
}

static const sf_row_t *static_row(ucrm_object_t o, const char *unified) {
    const sf_row_t *rows = o == UCRM_OBJECT_CONTACT ? contact_rows : o == UCRM_OBJECT_ACCOUNT ? account_rows : deal_rows;
    size_t n = o == UCRM_OBJECT_CONTACT   ? UCRM__ARRAY_LEN(contact_rows)
               : o == UCRM_OBJECT_ACCOUNT ? UCRM__ARRAY_LEN(account_rows)
                                          : UCRM__ARRAY_LEN(deal_rows);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].unified, unified) == 0)
            return &rows[i];
    return NULL;
}

/* Fills e's slots for conv with base (field or prefix). false on OOM / overflow. */
static bool entry_slots(sf_objmap_t *m, sf_entry_t *e, const char *base) {
    char name[300];
    int s;
    switch (e->conv) {
    case SF_PHONES:
        for (size_t i = 0; i < UCRM__ARRAY_LEN(phones); i++) {
            if ((s = add_name(m, phones[i].sf)) < 0)
                return false;
            e->slot[e->nslot++] = (uint8_t)s;
        }
        return true;
    case SF_ADDRESS:
        for (size_t i = 0; i < UCRM__ARRAY_LEN(addr); i++) {
            snprintf(name, sizeof name, "%s%s", base, addr[i].suffix);
            if ((s = add_name(m, name)) < 0)
                return false;
            e->slot[e->nslot++] = (uint8_t)s;
        }
        return true;
    case SF_STATUS:
        for (size_t i = 0; i < UCRM__ARRAY_LEN(status_fields); i++) {
            if ((s = add_name(m, status_fields[i])) < 0)
                return false;
            e->slot[e->nslot++] = (uint8_t)s;
        }
        return true;
    default:
        if ((s = add_name(m, base)) < 0)
            return false;
        e->slot[e->nslot++] = (uint8_t)s;
        return true;
    }
}

/* Two unified fields on one Salesforce field make writes ambiguous: only the static website/domain pair
 * (domain is derived and never written) may share. */
static ucrm_err_t check_collision(const sf_objmap_t *m, const sf_entry_t *e, ucrm_error_t **errp) {
    for (size_t i = 0; i < m->nentries; i++) {
        const sf_entry_t *o = &m->entries[i];
        if ((o->flags & RO) && (e->flags & RO))
            continue;
        if (o->conv == SF_DOMAIN || e->conv == SF_DOMAIN)
            continue;
        for (size_t a = 0; a < o->nslot; a++)
            for (size_t b = 0; b < e->nslot; b++)
                if (o->slot[a] == e->slot[b])
                    return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                                      "mapping: %s.%s and %s.%s would both be the Salesforce field %s",
                                      ucrm_object_name(m->object), o->def->name, ucrm_object_name(m->object),
                                      e->def->name, m->names[o->slot[a]]);
    }
    return UCRM_OK;
}

static void build_select(sf_objmap_t *m, ucrm_buf_t *b) {
    bool wanted[SF_MAX_SLOTS] = {false};
    for (size_t i = 0; i < m->nentries; i++)
        if (!(m->entries[i].flags & SF_F_OPTIONAL))
            for (size_t k = 0; k < m->entries[i].nslot; k++)
                wanted[m->entries[i].slot[k]] = true;
    ucrm_buf__puts(b, "Id");
    for (size_t s = 0; s < m->nnames; s++)
        if (wanted[s]) {
            ucrm_buf__putc(b, ',');
            ucrm_buf__puts(b, m->names[s]);
        }
}

static ucrm_err_t init_object(sf_objmap_t *m, ucrm_object_t o, const ucrm_conf_t *conf, ucrm_error_t **errp) {
    size_t nf;
    const ucrm_model_field_t *defs = ucrm_model__fields(o, &nf);
    m->object = o;
    m->sobject = sobjects[o - 1];
    m->updated_slot = m->deleted_slot = -1;
    for (size_t i = 0; i < nf; i++) {
        if (strcmp(defs[i].name, "id") == 0)
            continue;
        const char *target = ucrm_conf__mapping(conf, o, defs[i].name);
        const sf_row_t *row = static_row(o, defs[i].name);
        if (!target && !row)
            continue;
        sf_entry_t *e = &m->entries[m->nentries];
        memset(e, 0, sizeof *e);
        e->def = &defs[i];
        e->conv = (uint8_t)(target ? conv_of_type(defs[i].type) : row->conv);
        e->flags = target ? 0 : row->flags;
        if (!entry_slots(m, e, target ? target : row->sf))
            return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory building the Salesforce field map");
        ucrm_err_t rc = check_collision(m, e, errp);
        if (rc < 0)
            return rc;
        if (strcmp(defs[i].name, "updated_at") == 0)
            m->updated_slot = e->slot[0];
        else if (strcmp(defs[i].name, "is_deleted") == 0)
            m->deleted_slot = e->slot[0];
        m->nentries++;
    }
    ucrm_buf_t sel = UCRM_BUF_INIT;
    build_select(m, &sel);
    if (sel.oom) {
        ucrm_buf__free(&sel);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    m->default_select = sel.ptr;
    return UCRM_OK;
}

ucrm_err_t sf_map__init(sf_state_t *st, const ucrm_conf_t *conf, ucrm_error_t **errp) {
    for (int o = UCRM_OBJECT_CONTACT; o <= UCRM_OBJECT_DEAL; o++) {
        ucrm_err_t rc = init_object(&st->maps[o - 1], (ucrm_object_t)o, conf, errp);
        if (rc < 0)
            return rc;
    }
    return UCRM_OK;
}

void sf_map__free(sf_state_t *st) {
    for (size_t o = 0; o < 3; o++) {
        for (size_t i = 0; i < st->maps[o].nnames; i++)
            ucrm__free(st->maps[o].names[i]);
        ucrm__free(st->maps[o].default_select);
    }
}

ucrm_err_t sf_map__check_conf(const ucrm_conf_t *conf, ucrm_error_t **errp) {
    for (size_t i = 0; i < conf->nmappings; i++) {
        const ucrm_mapping_t *mp = &conf->mappings[i];
        const char *obj = ucrm_object_name(mp->object);
        if (strcmp(mp->field, "phone_numbers") == 0)
            return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                              "mapping.%s.phone_numbers: on Salesforce the phone list is the six standard phone "
                              "fields (Phone, MobilePhone, HomePhone, OtherPhone, Fax, AssistantPhone) and cannot "
                              "be remapped",
                              obj);
        if (!sf_map__valid_name(mp->target) || strlen(mp->target) > 200 || strcasecmp(mp->target, "Id") == 0)
            return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                              "mapping.%s.%s: '%s' is not a Salesforce field API name (a letter, then letters, "
                              "digits and underscores, e.g. Lifecycle_Stage__c; not Id)",
                              obj, mp->field, mp->target);
    }
    return UCRM_OK;
}

void sf_map__unified_name(const sf_objmap_t *m, const char *sf_field, char *out, size_t outsz) {
    int s = sf_field ? sf_map__slot(m, sf_field, strlen(sf_field)) : -1;
    for (size_t i = 0; s >= 0 && i < m->nentries; i++)
        for (size_t k = 0; k < m->entries[i].nslot; k++)
            if (m->entries[i].slot[k] == s && !(m->entries[i].conv == SF_DOMAIN)) {
                snprintf(out, outsz, "%s", m->entries[i].def->name);
                return;
            }
    if (sf_field && strcasecmp(sf_field, "Id") == 0)
        snprintf(out, outsz, "id");
    else
        snprintf(out, outsz, UCRM_CUSTOM_PREFIX "%s", sf_field ? sf_field : "");
}

/* Components of compound fields as change events name them (provider_int.h, unified_field), static strings in
 * the order of phones[] and addr[]. */
static const char *const phone_components[] = {"phone_numbers.work",  "phone_numbers.mobile", "phone_numbers.home",
                                               "phone_numbers.other", "phone_numbers.fax",
                                               "phone_numbers.assistant"};
static const char *const addr_components[] = {"address.street", "address.city", "address.state",
                                              "address.postal_code", "address.country"};

/* The entry and part behind a slot (website, not the derived domain, for Website), or NULL. */
static const sf_entry_t *entry_of_slot(const sf_objmap_t *m, int slot, size_t *part) {
    for (size_t i = 0; slot >= 0 && i < m->nentries; i++)
        for (size_t k = 0; k < m->entries[i].nslot; k++)
            if (m->entries[i].slot[k] == slot && m->entries[i].conv != SF_DOMAIN) {
                *part = k;
                return &m->entries[i];
            }
    return NULL;
}

const char *sf_unified_field(void *state, ucrm_object_t object, const char *field) {
    if (!state || !field || object < UCRM_OBJECT_CONTACT || object > UCRM_OBJECT_DEAL)
        return NULL;
    const sf_objmap_t *m = sf_map__obj(state, object);
    size_t len = strlen(field), part = 0;
    const sf_entry_t *e = entry_of_slot(m, sf_map__slot(m, field, len), &part);
    if (!e && len > 7 && strcasecmp(field + len - 7, "Address") == 0) {
        /* the compound field itself ("MailingAddress"): its prefix's Street component tells which entry */
        char street[300];
        if (len - 7 + 6 < sizeof street) {
            snprintf(street, sizeof street, "%.*sStreet", (int)(len - 7), field);
            e = entry_of_slot(m, sf_map__slot(m, street, strlen(street)), &part);
            return e && e->conv == SF_ADDRESS ? e->def->name : NULL;
        }
    }
    if (!e)
        return strcasecmp(field, "Id") == 0 ? "id" : NULL;
    if (e->conv == SF_PHONES && part < UCRM__ARRAY_LEN(phone_components))
        return phone_components[part];
    if (e->conv == SF_ADDRESS && part < UCRM__ARRAY_LEN(addr_components))
        return addr_components[part];
    return e->def->name; /* IsClosed and IsWon are both "status" */
}

/* ============================================================================================== reading */

typedef struct rctx {
    const sf_objmap_t *m;
    ucrm_record_t *rec;
    const cJSON *vals[SF_MAX_SLOTS];
    ucrm_error_t **errp;
} rctx_t;

/* A put_* result: NOMEM stays, anything else is bad provider data. */
static ucrm_err_t put_rc(rctx_t *c, ucrm_err_t rc, const sf_entry_t *e, const char *why) {
    if (rc == UCRM_OK)
        return UCRM_OK;
    if (rc == UCRM_ERR_NOMEM)
        return ucrm__fail(c->errp, UCRM_ERR_NOMEM, "out of memory");
    return ucrm__fail(c->errp, UCRM_ERR_PROTOCOL, "Salesforce %s %s: %s (%s) %s", c->m->sobject,
                      c->rec->id ? c->rec->id : "(no Id)", c->m->names[e->slot[0]], e->def->name,
                      why ? why : "has a value that does not fit the unified field");
}

static ucrm_err_t read_plain(rctx_t *c, const sf_entry_t *e, const cJSON *v) {
    const char *name = e->def->name;
    ucrm_record_t *r = c->rec;
    if (cJSON_IsNull(v))
        return put_rc(c, ucrm_record__put_null(r, name), e, NULL);
    if (cJSON_IsString(v) && (e->conv != SF_BOOL))
        return put_rc(c, ucrm_record__put_str(r, name, e->def->type, v->valuestring, strlen(v->valuestring)), e,
                      NULL);
    if (cJSON_IsBool(v) && e->conv == SF_BOOL)
        return put_rc(c, ucrm_record__put_bool(r, name, cJSON_IsTrue(v)), e, NULL);
    if (cJSON_IsNumber(v) && e->conv != SF_STR && e->conv != SF_BOOL && e->conv != SF_DATE &&
        e->conv != SF_DATETIME)
        return put_rc(c, ucrm_record__put_double(r, name, v->valuedouble), e, NULL);
    if (e->conv == SF_STR && (cJSON_IsNumber(v) || cJSON_IsBool(v))) {
        /* a mapped text field backed by a number or checkbox field: its text */
        char buf[40];
        if (cJSON_IsBool(v))
            snprintf(buf, sizeof buf, "%s", cJSON_IsTrue(v) ? "true" : "false");
        else if (!ucrm_json__num_text(v->valuedouble, buf))
            return put_rc(c, UCRM_ERR_PROTOCOL, e, NULL);
        return put_rc(c, ucrm_record__put_str(r, name, UCRM_FIELD_STRING, buf, strlen(buf)), e, NULL);
    }
    return put_rc(c, UCRM_ERR_PROTOCOL, e, "has a JSON value of the wrong kind");
}

static ucrm_err_t put_tree(rctx_t *c, const sf_entry_t *e, cJSON *j) {
    if (!j)
        return ucrm__fail(c->errp, UCRM_ERR_NOMEM, "out of memory");
    return put_rc(c, ucrm_record__put_json(c->rec, e->def->name, j), e, NULL);
}

/* Adds key (a static string: not copied) = item to obj; frees item when it cannot. */
static bool add_cs(cJSON *obj, const char *key, cJSON *item) {
    if (item && cJSON_AddItemToObjectCS(obj, key, item))
        return true;
    cJSON_Delete(item);
    return false;
}

static ucrm_err_t read_phones(rctx_t *c, const sf_entry_t *e) {
    cJSON *arr = cJSON_CreateArray();
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < e->nslot; i++) {
        const cJSON *v = c->vals[e->slot[i]];
        if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
            continue;
        if (!cJSON_IsString(v)) {
            cJSON_Delete(arr);
            return put_rc(c, UCRM_ERR_PROTOCOL, e, "holds a phone number that is not a string");
        }
        cJSON *p = cJSON_CreateObject();
        ok = p && cJSON_AddItemToArray(arr, p);
        if (!ok)
            cJSON_Delete(p);
        ok = ok && add_cs(p, "number", cJSON_CreateString(v->valuestring)) &&
             add_cs(p, "type", cJSON_CreateStringReference(phones[i].type));
    }
    if (!ok) {
        cJSON_Delete(arr);
        arr = NULL;
    }
    return put_tree(c, e, arr);
}

static ucrm_err_t read_address(rctx_t *c, const sf_entry_t *e) {
    bool any = false;
    for (size_t i = 0; i < e->nslot; i++) {
        const cJSON *v = c->vals[e->slot[i]];
        if (v && !cJSON_IsNull(v) && !cJSON_IsString(v))
            return put_rc(c, UCRM_ERR_PROTOCOL, e, "holds an address part that is not a string");
        any = any || (v && cJSON_IsString(v));
    }
    if (!any)
        return put_rc(c, ucrm_record__put_null(c->rec, e->def->name), e, NULL);
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL;
    for (size_t i = 0; ok && i < e->nslot; i++) {
        const cJSON *v = c->vals[e->slot[i]];
        ok = add_cs(o, addr[i].key, v && cJSON_IsString(v) ? cJSON_CreateString(v->valuestring) : cJSON_CreateNull());
    }
    if (!ok) {
        cJSON_Delete(o);
        o = NULL;
    }
    return put_tree(c, e, o);
}

static ucrm_err_t read_list(rctx_t *c, const sf_entry_t *e, const cJSON *v) {
    if (cJSON_IsNull(v))
        return put_rc(c, ucrm_record__put_null(c->rec, e->def->name), e, NULL);
    if (!cJSON_IsString(v))
        return put_rc(c, UCRM_ERR_PROTOCOL, e, "is not a text field");
    cJSON *arr = cJSON_CreateArray();
    const char *s = v->valuestring;
    while (arr && *s) {
        size_t n = strcspn(s, ";");
        const char *b = s, *end = s + n;
        while (b < end && isspace((unsigned char)*b))
            b++;
        while (end > b && isspace((unsigned char)end[-1]))
            end--;
        if (end > b) {
            char *item = ucrm__strndup(b, (size_t)(end - b));
            cJSON *str = item ? cJSON_CreateString(item) : NULL;
            ucrm__free(item);
            if (!str || !cJSON_AddItemToArray(arr, str)) {
                cJSON_Delete(str);
                cJSON_Delete(arr);
                arr = NULL;
            }
        }
        s += n + (s[n] == ';');
    }
    return put_tree(c, e, arr);
}

static ucrm_err_t read_status(rctx_t *c, const sf_entry_t *e) {
    const cJSON *closed = c->vals[e->slot[0]], *won = c->vals[e->slot[1]];
    if (!closed)
        return UCRM_OK;
    if (cJSON_IsNull(closed))
        return put_rc(c, ucrm_record__put_null(c->rec, e->def->name), e, NULL);
    if (!cJSON_IsBool(closed) || (won && !cJSON_IsBool(won) && !cJSON_IsNull(won)))
        return put_rc(c, UCRM_ERR_PROTOCOL, e, "IsClosed/IsWon are not booleans");
    const char *s = !cJSON_IsTrue(closed) ? "open" : !won || cJSON_IsNull(won) ? NULL : cJSON_IsTrue(won) ? "won" : "lost";
    if (!s)
        return UCRM_OK; /* closed, but won or lost is not known: leave status unset rather than guess */
    return put_rc(c, ucrm_record__put_str(c->rec, e->def->name, UCRM_FIELD_STRING, s, strlen(s)), e, NULL);
}

/* The host of a web address: "https://www.Example.com/about" -> "example.com". */
static size_t domain_of(const char *url, char *out, size_t outsz) {
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    while (*p == '/')
        p++;
    const char *at = NULL;
    size_t auth = strcspn(p, "/?#");
    for (size_t i = 0; i < auth; i++)
        if (p[i] == '@')
            at = p + i;
    if (at)
        p = at + 1;
    size_t n = strcspn(p, ":/?# \t");
    if (n > 4 && strncasecmp(p, "www.", 4) == 0) {
        p += 4;
        n -= 4;
    }
    while (n && p[n - 1] == '.')
        n--;
    if (n >= outsz)
        return 0;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)p[i]);
    out[n] = '\0';
    return n;
}

static ucrm_err_t read_domain(rctx_t *c, const sf_entry_t *e, const cJSON *v) {
    char host[256];
    if (cJSON_IsString(v)) {
        size_t n = domain_of(v->valuestring, host, sizeof host);
        if (n)
            return put_rc(c, ucrm_record__put_str(c->rec, e->def->name, UCRM_FIELD_STRING, host, n), e, NULL);
    }
    return put_rc(c, ucrm_record__put_null(c->rec, e->def->name), e, NULL);
}

static bool any_slot(const rctx_t *c, const sf_entry_t *e) {
    for (size_t i = 0; i < e->nslot; i++)
        if (c->vals[e->slot[i]])
            return true;
    return false;
}

static ucrm_err_t read_entry(rctx_t *c, const sf_entry_t *e) {
    if (!any_slot(c, e))
        return UCRM_OK;
    const cJSON *v = c->vals[e->slot[0]];
    switch (e->conv) {
    case SF_PHONES: return read_phones(c, e);
    case SF_ADDRESS: return read_address(c, e);
    case SF_STATUS: return read_status(c, e);
    case SF_LIST: return read_list(c, e, v);
    case SF_DOMAIN: return read_domain(c, e, v);
    default: return read_plain(c, e, v);
    }
}

/* Members the map does not name become custom.<Name> fields (nested objects, e.g. relationship queries,
 * included); names that cannot be custom field names are left in the remote payload only. */
static ucrm_err_t read_customs(rctx_t *c, const cJSON *item) {
    const cJSON *v;
    cJSON_ArrayForEach(v, item) {
        const char *k = v->string;
        if (!k || strcmp(k, "attributes") == 0 || strcmp(k, "Id") == 0 || slot_of(c->m, k) >= 0)
            continue;
        ucrm_err_t rc = ucrm_record__put_custom_json(c->rec, k, v);
        if (rc == UCRM_ERR_NOMEM)
            return ucrm__fail(c->errp, UCRM_ERR_NOMEM, "out of memory");
    }
    return UCRM_OK;
}

ucrm_err_t sf_map__to_record(const sf_objmap_t *m, cJSON *item, ucrm_record_t **out, ucrm_error_t **errp) {
    *out = NULL;
    if (!cJSON_IsObject(item)) {
        cJSON_Delete(item);
        return ucrm__fail(errp, UCRM_ERR_PROTOCOL, "Salesforce %s: a record is not a JSON object", m->sobject);
    }
    rctx_t c;
    c.m = m;
    c.errp = errp;
    memset(c.vals, 0, sizeof(c.vals[0]) * m->nnames);
    size_t ncustom = 0;
    const cJSON *id = NULL, *v;
    cJSON_ArrayForEach(v, item) {
        const char *k = v->string;
        if (!k)
            continue;
        int s = slot_of(m, k);
        if (s >= 0)
            c.vals[s] = v;
        else if (strcmp(k, "Id") == 0)
            id = v;
        else if (strcmp(k, "attributes") != 0)
            ncustom++;
    }
    ucrm_err_t rc = ucrm_record__new_sized(&c.rec, m->object, m->nentries + ncustom);
    if (rc < 0) {
        cJSON_Delete(item);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    if (cJSON_IsString(id) && (rc = ucrm_record__set_id_n(c.rec, id->valuestring, strlen(id->valuestring))) < 0)
        rc = rc == UCRM_ERR_NOMEM ? ucrm__fail(errp, rc, "out of memory")
                                  : ucrm__fail(errp, UCRM_ERR_PROTOCOL, "Salesforce %s: unusable Id", m->sobject);
    else if (id && !cJSON_IsString(id) && !cJSON_IsNull(id))
        rc = ucrm__fail(errp, UCRM_ERR_PROTOCOL, "Salesforce %s: Id is not a string", m->sobject);
    for (size_t i = 0; rc == UCRM_OK && i < m->nentries; i++)
        rc = read_entry(&c, &m->entries[i]);
    if (rc == UCRM_OK && ncustom)
        rc = read_customs(&c, item);
    if (rc < 0) {
        ucrm_record_destroy(c.rec);
        cJSON_Delete(item);
        return rc;
    }
    ucrm_record__set_remote(c.rec, item);
    *out = c.rec;
    return UCRM_OK;
}

/* ============================================================================================== writing */

typedef struct wctx {
    const sf_objmap_t *m;
    ucrm_buf_t *b;
    bool *first;
    size_t *n;
    ucrm_error_t **errp;
} wctx_t;

static void member(wctx_t *w, const char *name) {
    if (!*w->first)
        ucrm_buf__putc(w->b, ',');
    *w->first = false;
    (*w->n)++;
    ucrm_buf__json_str(w->b, name, strlen(name));
    ucrm_buf__putc(w->b, ':');
}

static ucrm_err_t bad_value(wctx_t *w, const ucrm_fval_t *f, const char *why) {
    ucrm_error_t *e = ucrm_error__new(UCRM_ERR_VALIDATION, "%s.%s: %s", ucrm_object_name(w->m->object), f->name, why);
    ucrm_error__set_field(e, f->name);
    ucrm_error__set_write_state(e, UCRM_WRITE_NOT_APPLIED);
    return ucrm__give(w->errp, e);
}

/* Every slot of e as a member: the string in vals[i], or null. */
static ucrm_err_t write_slots(wctx_t *w, const sf_entry_t *e, const cJSON *const *vals) {
    for (size_t i = 0; i < e->nslot; i++) {
        member(w, w->m->names[e->slot[i]]);
        if (vals[i])
            ucrm_buf__json_str(w->b, vals[i]->valuestring, strlen(vals[i]->valuestring));
        else
            ucrm_buf__puts(w->b, "null");
    }
    return UCRM_OK;
}

static ucrm_err_t write_phones(wctx_t *w, const sf_entry_t *e, const ucrm_fval_t *f) {
    const cJSON *num[UCRM__ARRAY_LEN(phones)] = {NULL};
    const cJSON *p;
    if (f->type == UCRM_FIELD_ARRAY) {
        cJSON_ArrayForEach(p, f->v.j) {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(p, "number");
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "type");
            const char *type = cJSON_IsString(t) ? t->valuestring : "work";
            size_t k = 0;
            while (k < UCRM__ARRAY_LEN(phones) && strcmp(phones[k].type, type) != 0)
                k++;
            if (!cJSON_IsObject(p) || !cJSON_IsString(n) || (t && !cJSON_IsString(t) && !cJSON_IsNull(t)))
                return bad_value(w, f, "each phone must be {\"number\": string, \"type\": string}");
            if (k == UCRM__ARRAY_LEN(phones))
                return bad_value(w, f, "Salesforce phone types are work, mobile, home, other, fax and assistant");
            if (num[k])
                return bad_value(w, f, "Salesforce holds one phone number of each type");
            num[k] = n;
        }
    }
    return write_slots(w, e, num);
}

static ucrm_err_t write_address(wctx_t *w, const sf_entry_t *e, const ucrm_fval_t *f) {
    const cJSON *part[UCRM__ARRAY_LEN(addr)] = {NULL};
    const cJSON *v;
    if (f->type == UCRM_FIELD_OBJECT) {
        cJSON_ArrayForEach(v, f->v.j) {
            size_t k = 0;
            while (k < UCRM__ARRAY_LEN(addr) && !ucrm__streq(addr[k].key, v->string))
                k++;
            if (k == UCRM__ARRAY_LEN(addr))
                return bad_value(w, f, "address keys are street, city, state, postal_code and country");
            if (!cJSON_IsString(v) && !cJSON_IsNull(v))
                return bad_value(w, f, "address parts must be strings or null");
            part[k] = cJSON_IsString(v) ? v : NULL;
        }
    }
    return write_slots(w, e, part);
}

static ucrm_err_t write_list(wctx_t *w, const sf_entry_t *e, const ucrm_fval_t *f) {
    member(w, w->m->names[e->slot[0]]);
    if (f->type != UCRM_FIELD_ARRAY) {
        ucrm_buf__puts(w->b, "null");
        return UCRM_OK;
    }
    ucrm_buf_t s = UCRM_BUF_INIT;
    const cJSON *v;
    cJSON_ArrayForEach(v, f->v.j) {
        if (!cJSON_IsString(v) || strchr(v->valuestring, ';')) {
            ucrm_buf__free(&s);
            return bad_value(w, f, "the list is stored ';'-separated: items must be strings without ';'");
        }
        if (s.len)
            ucrm_buf__putc(&s, ';');
        ucrm_buf__puts(&s, v->valuestring);
    }
    ucrm_buf__json_str(w->b, ucrm_buf__str(&s), s.len);
    bool oom = s.oom;
    ucrm_buf__free(&s);
    return oom ? ucrm__fail(w->errp, UCRM_ERR_NOMEM, "out of memory") : UCRM_OK;
}

static ucrm_err_t write_plain(wctx_t *w, const sf_entry_t *e, const ucrm_fval_t *f) {
    member(w, w->m->names[e->slot[0]]);
    char num[40];
    switch (f->type) {
    case UCRM_FIELD_STRING:
    case UCRM_FIELD_DATETIME:
    case UCRM_FIELD_DATE:
        ucrm_buf__json_str(w->b, f->v.s, strlen(f->v.s));
        break;
    case UCRM_FIELD_DECIMAL: /* normalised decimal text is a valid JSON number: the digits go out exactly */
        ucrm_buf__puts(w->b, f->v.s);
        break;
    case UCRM_FIELD_INT:
        ucrm_buf__printf(w->b, "%" PRId64, f->v.i);
        break;
    case UCRM_FIELD_DOUBLE:
        ucrm_buf__puts(w->b, ucrm_json__num_text(f->v.d, num) ? num : "null");
        break;
    case UCRM_FIELD_BOOL:
        ucrm_buf__puts(w->b, f->v.b ? "true" : "false");
        break;
    default:
        ucrm_buf__puts(w->b, "null");
    }
    return UCRM_OK;
}

static ucrm_err_t write_custom(wctx_t *w, const ucrm_fval_t *f) {
    const char *name;
    ucrm_err_t rc = sf_map__custom_name(w->m, f->name, &name, w->errp);
    if (rc < 0)
        return rc;
    int s = sf_map__slot(w->m, name, strlen(name));
    if (s >= 0) {
        char uni[300];
        sf_map__unified_name(w->m, name, uni, sizeof uni);
        return ucrm__fail(w->errp, UCRM_ERR_INVALID_FIELD, "%s: %s is the unified field '%s' on Salesforce: set that",
                          ucrm_object_name(w->m->object), f->name, uni);
    }
    member(w, name);
    ucrm_record__value_json(f, w->b);
    return UCRM_OK;
}

static ucrm_err_t write_field(wctx_t *w, const ucrm_fval_t *f) {
    if (!f->def)
        return write_custom(w, f);
    const sf_entry_t *e = sf_map__entry(w->m, f->name);
    if (!e || (e->flags & RO)) {
        if (!f->dirty || (f->def->flags & UCRM_MF_READONLY))
            return UCRM_OK; /* read back from the provider, not something the caller asked to write */
        ucrm_error_t *err = ucrm_error__new(
            UCRM_ERR_UNSUPPORTED,
            e ? "%s.%s is derived from another Salesforce field and cannot be written (map it with mapping.%s.%s)"
              : "%s.%s has no Salesforce field (map it with mapping.%s.%s=<Field__c>)",
            ucrm_object_name(w->m->object), f->name, ucrm_object_name(w->m->object), f->name);
        ucrm_error__set_field(err, f->name);
        ucrm_error__set_write_state(err, UCRM_WRITE_NOT_APPLIED);
        return ucrm__give(w->errp, err);
    }
    switch (e->conv) {
    case SF_PHONES: return write_phones(w, e, f);
    case SF_ADDRESS: return write_address(w, e, f);
    case SF_LIST: return write_list(w, e, f);
    default: return write_plain(w, e, f);
    }
}

ucrm_err_t sf_map__write_fields(const sf_objmap_t *m, const ucrm_record_t *rec, bool only_dirty, const char *skip,
                                ucrm_buf_t *body, bool *first, size_t *n, ucrm_error_t **errp) {
    wctx_t w = {m, body, first, n, errp};
    for (size_t i = 0; i < rec->nfields; i++) {
        const ucrm_fval_t *f = &rec->fields[i];
        if ((only_dirty && !f->dirty) || (skip && strcmp(f->name, skip) == 0))
            continue;
        ucrm_err_t rc = write_field(&w, f);
        if (rc < 0)
            return rc;
    }
    return body->oom ? ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory") : UCRM_OK;
}

ucrm_err_t sf_map__plain_field(const sf_objmap_t *m, const char *name, const char **field, sf_conv_t *conv,
                               ucrm_error_t **errp) {
    const char *obj = ucrm_object_name(m->object);
    if (ucrm_model__is_custom(name)) {
        *conv = SF_STR;
        return sf_map__custom_name(m, name, field, errp);
    }
    if (strcmp(name, "id") == 0) {
        *field = "Id";
        *conv = SF_STR;
        return UCRM_OK;
    }
    const sf_entry_t *e = sf_map__entry(m, name);
    if (!e)
        return ucrm__fail(errp, ucrm_model__find(m->object, name) ? UCRM_ERR_UNSUPPORTED : UCRM_ERR_INVALID_FIELD,
                          "%s.%s has no Salesforce field (map it with mapping.%s.%s=<Field__c>)", obj, name, obj, name);
    if (e->nslot != 1 || e->conv == SF_LIST || e->conv == SF_DOMAIN)
        return ucrm__fail(errp, UCRM_ERR_UNSUPPORTED, "%s.%s is not one plain Salesforce field", obj, name);
    *field = m->names[e->slot[0]];
    *conv = (sf_conv_t)e->conv;
    return UCRM_OK;
}

ucrm_err_t sf_map__value_text(const ucrm_record_t *rec, const char *name, ucrm_buf_t *out, ucrm_error_t **errp) {
    const ucrm_fval_t *f = ucrm_record__find(rec, name);
    char num[40];
    switch (f ? f->type : UCRM_FIELD_NONE) {
    case UCRM_FIELD_STRING:
    case UCRM_FIELD_DATE:
    case UCRM_FIELD_DATETIME:
    case UCRM_FIELD_DECIMAL:
        ucrm_buf__puts(out, f->v.s);
        break;
    case UCRM_FIELD_INT:
        ucrm_buf__printf(out, "%" PRId64, f->v.i);
        break;
    case UCRM_FIELD_DOUBLE:
        if (!ucrm_json__num_text(f->v.d, num))
            return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "'%s' is not a finite number", name);
        ucrm_buf__puts(out, num);
        break;
    case UCRM_FIELD_BOOL:
        ucrm_buf__puts(out, f->v.b ? "true" : "false");
        break;
    default:
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "'%s' has no single value to use as a key", name);
    }
    if (out->oom)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    if (!out->len)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "the key field '%s' is empty", name);
    return UCRM_OK;
}
