/*
 * hubspot_int.h -- the HubSpot CRM v3 adapter's private interface (PROTOCOL.md part B).
 *
 *   hubspot.c   vtable, per-client state, configuration checks, OAuth token request/response, usage headers,
 *               passthrough
 *   hs_map.c    the field maps as data (one table per object), mapping.* overrides, field selection
 *   hs_read.c   HubSpot object (SimplePublicObject) -> unified record
 *   hs_write.c  unified record -> "properties" object, association inputs, upsert keys
 *   hs_error.c  HubSpot error bodies -> ucrm_error_t (whole responses and batch items)
 *   hs_ops.c    get, create, update (+ primary company association), delete, upsert
 *   hs_iter.c   list (GET paging by `after`), search and incremental sync (search API, keyset paging)
 *   hs_batch.c  batch create / update / upsert / archive, per-item results mapped back to the caller's order
 *
 * Unified <-> HubSpot at a glance: contact <-> contacts, account <-> companies, deal <-> deals. Every HubSpot
 * property value is a string on the wire (numbers, booleans, dates included); the converters below turn them
 * into typed unified values and back.
 */
#ifndef UCRM_HUBSPOT_INT_H
#define UCRM_HUBSPOT_INT_H

#include "error_int.h"
#include "json_int.h"
#include "model_int.h"
#include "provider_int.h"
#include "reqopts_int.h"

/* PROTOCOL B3: at most 100 inputs per batch request. */
#define HS_BATCH_MAX 100
/* PROTOCOL B2: list limit 1..100; B4: search limit up to 200. */
#define HS_LIST_MAX 100
#define HS_SEARCH_MAX 200
#define HS_PAGE_DEFAULT 100

#define HS_MAX_ROWS 24
#define HS_MAX_PARTS 5
#define HS_MAX_SLOTS 48
#define HS_WHY 256

/* How a unified field is stored in HubSpot (the converter kind of a field-map row). */
typedef enum hs_conv {
    HS_C_STR,     /* one string property, as is */
    HS_C_INT,     /* number property ("250", "250.0") <-> int */
    HS_C_DEC,     /* number property <-> exact decimal text */
    HS_C_DBL,     /* number property <-> double */
    HS_C_BOOL,    /* "true"/"false" <-> bool */
    HS_C_TIME,    /* datetime property (ISO 8601 or epoch ms) <-> RFC 3339 with milliseconds */
    HS_C_DATE,    /* datetime property (closedate) <-> YYYY-MM-DD (UTC day; written as midnight UTC) */
    HS_C_SEMI,    /* ";"-separated list (hs_additional_emails) <-> JSON array of strings */
    HS_C_PHONES,  /* phone / mobilephone / fax <-> [{"number", "type": work|mobile|fax}] */
    HS_C_ADDRESS, /* address, city, state, zip, country <-> {street, city, state, postal_code, country} */
    HS_C_PROB,    /* hs_deal_stage_probability 0..1 -> 0..100 (read-only in HubSpot) */
    HS_C_STATUS,  /* hs_is_closed + hs_is_closed_won -> open | won | lost (read-only) */
    HS_C_ASSOC,   /* the primary associated company (not a property) */
    HS_C_JSON     /* a compound field that mapping.* put into one property: the property holds JSON text */
} hs_conv_t;

/* One row of a field map. */
typedef struct hs_row {
    const char *field;                /* unified name: the model's static string */
    hs_conv_t conv;
    const char *props[HS_MAX_PARTS];  /* HubSpot properties (static, or the conf's mapping target) */
    const char *parts[HS_MAX_PARTS];  /* PHONES: phone types; ADDRESS: unified address keys */
    unsigned nprops;
    bool readonly;                    /* computed by HubSpot: writing it is UCRM_ERR_UNSUPPORTED */
} hs_row_t;

/* Which row (and which part of it) a HubSpot property feeds. */
typedef struct hs_slot {
    const char *prop;
    unsigned char row, part;
} hs_slot_t;

/* One unified object as HubSpot knows it, with the effective field map (defaults + mapping overrides). */
typedef struct hs_obj {
    ucrm_object_t object;
    const char *type;          /* "contacts", "companies", "deals" */
    const char *singular;      /* "contact", ... */
    const char *modified;      /* last-modified property: lastmodifieddate / hs_lastmodifieddate (PROTOCOL B4) */
    int primary_type;          /* v4 type id of the primary company association: contact 1, deal 5; 0: none */
    const char *primary_name;  /* its v3 name: "contact_to_company", "deal_to_company" */
    hs_row_t rows[HS_MAX_ROWS];
    size_t nrows;
    hs_slot_t slots[HS_MAX_SLOTS];
    size_t nslots;
    unsigned char first_slot[HS_MAX_ROWS]; /* a row's parts are slots first_slot .. first_slot + nprops - 1 */
    int assoc_row;             /* the HS_C_ASSOC row, or -1 */
    char *all_query;           /* hs_sel_query() of the default selection (every mapped field), built once */
} hs_obj_t;

typedef struct hs_state {
    hs_obj_t objs[3];          /* contact, account, deal */
    char **owned;              /* mapping targets (copies) */
    size_t nowned;
} hs_state_t;

/* ---------------------------------------------------------------------------------------------- hs_map.c */
ucrm_err_t hs_map_init(hs_state_t *st, const ucrm_conf_t *conf, ucrm_error_t **errp);
void hs_map_free(hs_state_t *st);
/* Checks mapping.* targets without building anything (conf_validate). */
ucrm_err_t hs_map_check(const ucrm_conf_t *conf, ucrm_error_t **errp);
const hs_obj_t *hs_obj(const hs_state_t *st, ucrm_object_t object);
const hs_obj_t *hs_obj_by_type(const hs_state_t *st, const char *type, size_t len);
/* The row of a unified field, or -1. */
int hs_row_of(const hs_obj_t *o, const char *field);
/* The slot of a HubSpot property, or NULL. */
const hs_slot_t *hs_slot_of(const hs_obj_t *o, const char *prop);
/* Properties HubSpot always returns that duplicate unified fields (hs_object_id, createdate, last modified):
 * not turned into custom.* fields. */
bool hs_is_system_prop(const hs_obj_t *o, const char *prop);
/* The vtable's unified_field: the unified name a change event gives a HubSpot property ("firstname" ->
 * "first_name", "city" -> "address.city", "mobilephone" -> "phone_numbers.mobile", mapping.* overrides honoured),
 * or NULL when unmapped. Static, or owned by the state. */
const char *hs_unified_field(void *state, ucrm_object_t object, const char *prop);
/* A HubSpot property name we accept in mapping targets and custom.* names: [A-Za-z0-9_.-], 1..255. */
bool hs_prop_name_ok(const char *s);

/* The fields a call reads (reqopts fields), resolved against the map. */
typedef struct hs_sel {
    bool all;          /* no selection: every mapped field (+ whatever else HubSpot returns, as custom.*) */
    uint32_t rows;     /* bit per map row */
    char **custom;     /* provider names of the selected custom.* fields (owned) */
    size_t ncustom;
    bool assoc;        /* account_id is read: from the v3 "associations" member (null when absent) */
    bool absent_null;  /* a selected field the response lacks reads as null (reads; not write responses) */
} hs_sel_t;

ucrm_err_t hs_sel_init(hs_sel_t *sel, const hs_obj_t *o, const ucrm_reqopts_t *opts, ucrm_error_t **errp);
void hs_sel_free(hs_sel_t *sel);
bool hs_sel_row(const hs_sel_t *sel, size_t row);
/* Appends the properties to request, comma-separated (URL query) or as JSON strings separated by commas
 * (inside a JSON array). extra: a property always requested (or NULL). */
void hs_sel_props_csv(const hs_sel_t *sel, const hs_obj_t *o, ucrm_buf_t *b);
void hs_sel_props_json(const hs_sel_t *sel, const hs_obj_t *o, const char *extra, ucrm_buf_t *b);
/* Appends "properties=a,b[&associations=companies]" (either part only when needed; when neither is, the '?' or
 * '&' just before is removed). */
void hs_sel_query(const hs_sel_t *sel, const hs_obj_t *o, ucrm_buf_t *b);

/* ---------------------------------------------------------------------------------------------- hs_read.c */
/* A value as read from a tree (cJSON) or from text in place (hs_scan.c). */
enum { HV_ABSENT, HV_NULL, HV_STR, HV_NUM, HV_BOOL, HV_COMPOUND };
typedef struct hs_val {
    int kind;
    const char *s;            /* STR, NUM, BOOL: NUL-terminated text ("true"/"false" for BOOL) */
    const cJSON *node;        /* COMPOUND read from a tree */
    const char *span;         /* COMPOUND read from text: its JSON text */
    size_t span_len;
} hs_val_t;

/* One object being read into a record: the front-ends (tree, text) fill the values, hs_rd_finish converts. */
typedef struct hs_rd {
    const hs_obj_t *o;
    const hs_sel_t *sel;
    ucrm_record_t *rec;
    char *why;                /* HS_WHY bytes: the reason of a UCRM_ERR_PROTOCOL */
    hs_val_t id, created, updated, archived, archived_at;
    const char *primary;      /* the primary company (v3 associations), or NULL */
    const char *modified;     /* the last-modified property's text, or NULL */
    hs_val_t vals[HS_MAX_SLOTS]; /* by slot */
    size_t nseen_custom;
} hs_rd_t;

/* Starts reading (allocates the record). */
ucrm_err_t hs_rd_begin(hs_rd_t *rd, const hs_obj_t *o, const hs_sel_t *sel, char *why);
/* One property: into its slot, or a custom field when the selection wants it (converted at once). */
ucrm_err_t hs_rd_prop(hs_rd_t *rd, const char *name, const hs_val_t *v);
/* Converts the slots into unified fields; the record is rd->rec. */
ucrm_err_t hs_rd_finish(hs_rd_t *rd);
/* Drops the record after a failure. */
void hs_rd_abort(hs_rd_t *rd);

/* Builds a record from one SimplePublicObject(WithAssociations). When take is true the record keeps item as its
 * remote payload (the caller detached it from its parent), also on failure (it is then freed). On
 * UCRM_ERR_PROTOCOL, why says what was wrong. */
ucrm_err_t hs_record_from(const hs_obj_t *o, const hs_sel_t *sel, cJSON *item, bool take, ucrm_record_t **out,
                          char why[HS_WHY]);
/* The primary company id among v4 targets [{toObjectId, associationTypes}] (into buf; false when none). */
bool hs_primary_v4(const hs_obj_t *o, const cJSON *targets, char buf[32]);
/* Integer-like JSON id (string or number) into buf; false when neither. */
bool hs_id_text(const cJSON *v, char buf[32]);

/* ---------------------------------------------------------------------------------------------- hs_scan.c */
/* What the iterator needs to know about an object besides its record. */
typedef struct hs_info {
    char id[32];
    bool has_modified;        /* the last-modified property (else updatedAt) as epoch ms */
    int64_t modified_ms;
    bool has_changed;         /* archivedAt, else updatedAt */
    int64_t changed_ms;
} hs_info_t;

/* A page read in place from its JSON text: a results array of objects, paging.next.after, total. */
typedef struct hs_page_scan {
    const char *after;        /* paging.next.after (unescaped; valid until the scan is freed), or NULL */
    int64_t total;            /* -1 when absent */
    size_t nresults;          /* objects in results */
    char *scratch;            /* owned */
} hs_page_scan_t;

/* Reads every object of body's results array: calls each(arg, record, info) in order with a record built
 * from the object (its text kept as the raw payload); each takes the record, also when it returns an error.
 * UCRM_ERR_PROTOCOL with why for malformed text. Free ps with hs_page_scan_free() whatever the outcome. */
typedef ucrm_err_t hs_each_fn(void *arg, ucrm_record_t *rec, const hs_info_t *info);
ucrm_err_t hs_scan_page(const hs_obj_t *o, const hs_sel_t *sel, const char *body, size_t len, hs_each_fn *each,
                        void *arg, hs_page_scan_t *ps, char why[HS_WHY]);
void hs_page_scan_free(hs_page_scan_t *ps);
/* Reads one object's JSON text into a record (its text kept as the raw payload). */
ucrm_err_t hs_record_scan(const hs_obj_t *o, const hs_sel_t *sel, const char *text, size_t len,
                          ucrm_record_t **out, hs_info_t *info, char why[HS_WHY]);

/* ---------------------------------------------------------------------------------------------- hs_write.c */
typedef struct hs_wout {
    int assoc;             /* 0: account_id not written; 1: set to company; -1: cleared */
    const char *company;   /* borrowed from the record */
    size_t nprops;         /* properties written */
} hs_wout_t;

/* Writes the record's fields (dirty ones only when dirty_only) as a JSON object of HubSpot properties into b.
 * skip_prop: a property left out (the upsert key, sent as the id). Unsupported writes (read-only HubSpot
 * properties, phone types HubSpot lacks, ...) fail with the error in errp and the unified field named. */
ucrm_err_t hs_write_props(const hs_obj_t *o, const ucrm_record_t *rec, bool dirty_only, const char *skip_prop,
                          ucrm_buf_t *b, hs_wout_t *w, ucrm_error_t **errp);
/* [{"to":{"id":company},"types":[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":primary}]}] or
 * [] when company is NULL. */
void hs_write_assoc_inputs(const hs_obj_t *o, const char *company, ucrm_buf_t *b);
/* The HubSpot property an upsert key (unified or custom.*) names. */
ucrm_err_t hs_key_prop(const hs_obj_t *o, const char *key_field, const char **prop, ucrm_error_t **errp);
/* The key field's value as HubSpot text (into out). */
ucrm_err_t hs_key_value(const ucrm_record_t *rec, const char *key_field, ucrm_buf_t *out, ucrm_error_t **errp);
/* A unified value as HubSpot property text (strings, numbers, booleans, dates; NULL -> ""). false when the
 * value is compound. */
bool hs_scalar_text(const ucrm_fval_t *f, ucrm_buf_t *out);

/* ---------------------------------------------------------------------------------------------- hs_error.c */
/* The error for a failed response (parse_error). Never NULL. */
ucrm_error_t *hs_parse_error(void *state, const ucrm_req_t *req, const ucrm_resp_t *resp, ucrm_errclass_t *cls);
/* The error for one entry of a batch response's "errors" array (a StandardError). */
ucrm_error_t *hs_item_error(const hs_obj_t *o, const cJSON *err, int http_status);
/* The unified name of a HubSpot property ("city" -> "address", "x" -> "custom.x") into buf. */
const char *hs_field_of_prop(const hs_obj_t *o, const char *prop, char *buf, size_t n);

/* ---------------------------------------------------------------------------------------------- hs_ops.c */
ucrm_err_t hs_get(ucrm_call_t *call, ucrm_object_t object, const char *id, ucrm_record_t **out);
ucrm_err_t hs_create(ucrm_call_t *call, ucrm_record_t *rec);
ucrm_err_t hs_update(ucrm_call_t *call, ucrm_record_t *rec);
ucrm_err_t hs_del(ucrm_call_t *call, ucrm_object_t object, const char *id);
ucrm_err_t hs_upsert(ucrm_call_t *call, ucrm_record_t *rec, const char *key_field);
/* Sends req (freed), parses a JSON body into *json when json is non-NULL ("what" names it in errors). */
ucrm_err_t hs_send(ucrm_call_t *call, ucrm_req_t *req, ucrm_resp_t *resp, cJSON **json, const char *what);
/* Makes company the record's primary company (v4 PUT with the primary type id). */
ucrm_err_t hs_set_primary(ucrm_call_t *call, const hs_obj_t *o, const char *id, const char *company);

/* ---------------------------------------------------------------------------------------------- hs_iter.c */
ucrm_err_t hs_iter_open(ucrm_call_t *call, const ucrm_query_t *q, void **istate);
ucrm_err_t hs_iter_fetch(ucrm_call_t *call, void *istate, ucrm_records_t *page, bool *more, int64_t *total);
ucrm_err_t hs_iter_save(const void *istate, cJSON *obj);
ucrm_err_t hs_iter_restore(ucrm_call_t *call, const ucrm_query_t *q, const cJSON *obj, void **istate);
void hs_iter_free(void *istate);
/* Reads the primary companies of ids (v4 batch read) and puts account_id on each record of page[from..]. */
ucrm_err_t hs_fill_accounts(ucrm_call_t *call, const hs_obj_t *o, ucrm_records_t *page, size_t from);

/* ---------------------------------------------------------------------------------------------- hs_batch.c */
ucrm_err_t hs_batch_chunk(ucrm_call_t *call, ucrm_batch_op_t op, ucrm_object_t object, const char *key_field,
                          ucrm_batch_item_t *items, size_t n);

/* The adapter's state of the client running call. */
static inline const hs_state_t *hs_state(const ucrm_call_t *call) {
    return (const hs_state_t *)ucrm_call__pstate(call);
}

#endif /* UCRM_HUBSPOT_INT_H */
