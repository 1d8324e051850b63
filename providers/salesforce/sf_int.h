/*
 * sf_int.h -- the Salesforce adapter's private interface (providers/salesforce/).
 *
 *   sf_provider.c  the vtable, per-client state, configuration checks, usage headers, passthrough
 *   sf_map.c       the field map (data) with mapping.* overrides; Salesforce JSON <-> unified records
 *   sf_soql.c      SOQL text: select lists, escaped literals, WHERE clauses for search and incremental sync
 *   sf_ops.c       get / create / update / delete / upsert by external id
 *   sf_iter.c      list and search: query / queryAll, nextRecordsUrl paging, the deleted/ pass, cursors
 *   sf_batch.c     sObject Collections (create, update, upsert, delete) in chunks of 200
 *   sf_error.c     error bodies -> ucrm_error_t and the pipeline's classification; token errors
 *   sf_auth.c      token requests (refresh token, client credentials, JWT bearer) and token responses
 *
 * Protocol facts: /work/shared/protocol/PROTOCOL.md part A (section named beside each use).
 */
#ifndef UCRM_SF_INT_H
#define UCRM_SF_INT_H

#include "error_int.h"
#include "json_int.h"
#include "model_int.h"
#include "provider_int.h"
#include "record_int.h"
#include "reqopts_int.h"

#define SF_BATCH_MAX 200       /* sObject Collections: up to 200 records (A5) */
#define SF_MAX_SLOTS 64        /* distinct Salesforce fields one object map can name */
#define SF_HASH_SIZE 128       /* power of two, > 1.5 * SF_MAX_SLOTS */
#define SF_MAX_ENTRIES 24      /* unified fields per object (the model has at most 14) */
#define SF_PAGE_MIN 200        /* Sforce-Query-Options batchSize bounds (A3) */
#define SF_PAGE_MAX 2000

/* How a unified field is converted to and from Salesforce fields. */
typedef enum sf_conv {
    SF_STR,      /* string (ids, picklists, text) */
    SF_DATETIME, /* "2013-05-20T20:49:32.000+0000" -> RFC 3339 UTC with ms */
    SF_DATE,     /* "2024-12-31" */
    SF_BOOL,
    SF_INT,      /* number -> int64 */
    SF_DOUBLE,
    SF_DECIMAL,  /* currency: number -> exact decimal text; written back as a JSON number with those digits */
    SF_LIST,     /* JSON array of strings <-> one text field, ';'-separated (mapped additional_emails) */
    SF_PHONES,   /* Phone, MobilePhone, HomePhone, OtherPhone, Fax, AssistantPhone <-> [{number, type}] */
    SF_ADDRESS,  /* <prefix>Street/City/State/PostalCode/Country <-> {street, city, state, postal_code, country} */
    SF_STATUS,   /* IsClosed, IsWon -> "open" | "won" | "lost" (read-only) */
    SF_DOMAIN    /* Website -> its host name (read-only: Salesforce has no domain field) */
} sf_conv_t;

enum {
    SF_F_READONLY = 1 << 0, /* never written (system fields, derived values) */
    SF_F_OPTIONAL = 1 << 1  /* not selected by default: only when asked for (CurrencyIsoCode exists only in
                               multi-currency orgs) */
};

/* A unified field as this client maps it. */
typedef struct sf_entry {
    const ucrm_model_field_t *def;  /* the unified field (static) */
    uint8_t conv;                   /* sf_conv_t */
    uint8_t flags;
    uint8_t nslot;
    uint8_t slot[6];                /* indices into the object's field names */
} sf_entry_t;

/* One object's resolved map: the static table with the mapping.* overrides applied. */
typedef struct sf_objmap {
    ucrm_object_t object;
    const char *sobject;            /* "Contact", "Account", "Opportunity" */
    sf_entry_t entries[SF_MAX_ENTRIES];
    size_t nentries;
    char *names[SF_MAX_SLOTS];      /* distinct Salesforce field names (owned) */
    size_t lens[SF_MAX_SLOTS];      /* their lengths */
    size_t nnames;
    uint8_t hash[SF_HASH_SIZE];     /* case-insensitive name -> slot + 1 (0 = empty) */
    int updated_slot;               /* the field behind updated_at (SystemModstamp): ordering and filters */
    int deleted_slot;               /* IsDeleted */
    char *default_select;           /* "Id,FirstName,...": every non-optional mapped field */
} sf_objmap_t;

typedef struct sf_state {
    char version[16];               /* "v66.0" */
    char data_path[40];             /* "/services/data/v66.0" */
    int version_major;              /* 66 */
    int grant;                      /* ucrm_grant_t */
    sf_objmap_t maps[3];            /* by object - 1 */
} sf_state_t;

/* ---------------------------------------------------------------------------------------------- sf_map.c */
ucrm_err_t sf_map__init(sf_state_t *st, const ucrm_conf_t *conf, ucrm_error_t **errp);
void sf_map__free(sf_state_t *st);
/* Checks the mapping.* keys that concern Salesforce (targets are plain field names; phone_numbers cannot move). */
ucrm_err_t sf_map__check_conf(const ucrm_conf_t *conf, ucrm_error_t **errp);
static inline const sf_objmap_t *sf_map__obj(const sf_state_t *st, ucrm_object_t o) { return &st->maps[o - 1]; }
/* The slot of a Salesforce field name (case-insensitive), or -1. */
int sf_map__slot(const sf_objmap_t *m, const char *name, size_t len);
/* The entry of a unified field, or NULL when this client does not map it. */
const sf_entry_t *sf_map__entry(const sf_objmap_t *m, const char *unified);
/* The unified name (or "custom.<name>") for a Salesforce field named in an error, into out. */
void sf_map__unified_name(const sf_objmap_t *m, const char *sf_field, char *out, size_t outsz);
/* The vtable's unified_field: the unified name a change event gives a Salesforce field ("FirstName" ->
 * "first_name", "MailingCity" -> "address.city", "MobilePhone" -> "phone_numbers.mobile", "MailingAddress" ->
 * "address", mapping.* overrides honoured), or NULL when unmapped. Static strings. */
const char *sf_unified_field(void *state, ucrm_object_t object, const char *field);
/* Is name usable as a Salesforce field API name (letter first, then letters, digits, underscores)? */
bool sf_map__valid_name(const char *name);
/* The Salesforce field of a custom.<Name> field name; UCRM_ERR_INVALID_FIELD when Name is not an API name. */
ucrm_err_t sf_map__custom_name(const sf_objmap_t *m, const char *name, const char **sf, ucrm_error_t **errp);

/* Salesforce record JSON -> a new unified record (takes ownership of item: it becomes the remote payload).
 * UCRM_ERR_PROTOCOL (message names the field) when a value cannot be read; item is freed on failure. */
ucrm_err_t sf_map__to_record(const sf_objmap_t *m, cJSON *item, ucrm_record_t **out, ucrm_error_t **errp);
/* Appends the fields of rec as members of a JSON object being written ("Name":"x",...; a leading ',' when
 * *first is false). only_dirty: update semantics. skip: a unified or custom name to leave out (the upsert key).
 * *n counts the members written. Errors: UNSUPPORTED (a dirty field this client cannot write), INVALID_FIELD,
 * VALIDATION (a phone list or address that Salesforce cannot hold), NOMEM. */
ucrm_err_t sf_map__write_fields(const sf_objmap_t *m, const ucrm_record_t *rec, bool only_dirty, const char *skip,
                                ucrm_buf_t *body, bool *first, size_t *n, ucrm_error_t **errp);
/* The Salesforce field behind a unified or custom.* name that takes one plain value (upsert keys, search):
 * *field and *conv. UNSUPPORTED / INVALID_FIELD with a message otherwise. */
ucrm_err_t sf_map__plain_field(const sf_objmap_t *m, const char *name, const char **field, sf_conv_t *conv,
                               ucrm_error_t **errp);
/* A record's value for name as plain text (upsert key values): strings as is, numbers in decimal. */
ucrm_err_t sf_map__value_text(const ucrm_record_t *rec, const char *name, ucrm_buf_t *out, ucrm_error_t **errp);

/* ---------------------------------------------------------------------------------------------- sf_soql.c */
/* Appends the escaped SOQL string literal of s (quotes included). */
bool sf_soql__quote(ucrm_buf_t *q, const char *s, size_t len);
/* Appends a dateTime literal "2024-01-01T00:00:00Z" (seconds precision: Salesforce stores no milliseconds). */
bool sf_soql__datetime(ucrm_buf_t *q, int64_t epoch_ms);
/* The same with milliseconds when epoch_ms has any (Salesforce's own values never do; the restart condition
 * after a lost query locator must match a stored value exactly). */
bool sf_soql__datetime_exact(ucrm_buf_t *q, int64_t epoch_ms);
/* Appends the select list for opts' fields (or the default one), always with Id, plus extra (NULL or a field
 * name the caller needs, e.g. SystemModstamp). INVALID_FIELD for a name that is not a field of the object. */
ucrm_err_t sf_soql__select(const sf_objmap_t *m, const ucrm_reqopts_t *opts, const char *const *extra,
                           size_t nextra, ucrm_buf_t *out, ucrm_error_t **errp);
/* Appends the condition "field = value" for ucrm_search (typed literals; escaped strings). */
ucrm_err_t sf_soql__search_cond(const sf_objmap_t *m, const char *field, const char *value, ucrm_buf_t *q,
                                ucrm_error_t **errp);

/* ---------------------------------------------------------------------------------------------- sf_ops.c */
ucrm_err_t sf_get(ucrm_call_t *call, ucrm_object_t object, const char *id, ucrm_record_t **out);
ucrm_err_t sf_create(ucrm_call_t *call, ucrm_record_t *rec);
ucrm_err_t sf_update(ucrm_call_t *call, ucrm_record_t *rec);
ucrm_err_t sf_del(ucrm_call_t *call, ucrm_object_t object, const char *id);
ucrm_err_t sf_upsert(ucrm_call_t *call, ucrm_record_t *rec, const char *key_field);
/* Runs req (freed here) and parses a JSON body when json is not NULL. */
ucrm_err_t sf_run(ucrm_call_t *call, ucrm_req_t *req, ucrm_resp_t *resp, cJSON **json, const char *what);
/* The same when only the JSON body matters. */
ucrm_err_t sf_run_json(ucrm_call_t *call, ucrm_req_t *req, cJSON **json, const char *what);
/* Appends "/services/data/vXX.X/sobjects/<SObject>" to url. */
void sf_sobject_path(const sf_state_t *st, const sf_objmap_t *m, ucrm_buf_t *url);

/* ---------------------------------------------------------------------------------------------- sf_iter.c */
ucrm_err_t sf_iter_open(ucrm_call_t *call, const ucrm_query_t *q, void **istate);
ucrm_err_t sf_iter_fetch(ucrm_call_t *call, void *istate, ucrm_records_t *page, bool *more, int64_t *total);
ucrm_err_t sf_iter_save(const void *istate, cJSON *obj);
ucrm_err_t sf_iter_restore(ucrm_call_t *call, const ucrm_query_t *q, const cJSON *obj, void **istate);
void sf_iter_free(void *istate);

/* ---------------------------------------------------------------------------------------------- sf_batch.c */
ucrm_err_t sf_batch_chunk(ucrm_call_t *call, ucrm_batch_op_t op, ucrm_object_t object, const char *key_field,
                          ucrm_batch_item_t *items, size_t n);

/* ---------------------------------------------------------------------------------------------- sf_error.c */
ucrm_error_t *sf_parse_error(void *state, const ucrm_req_t *req, const ucrm_resp_t *resp, ucrm_errclass_t *cls);
/* The unified code for a Salesforce errorCode / statusCode (http_status 0 when unknown). */
ucrm_err_t sf_error__code(const char *code, const char *message, int http_status, bool *retriable);
/* An error for one failed record of a collection result ({"statusCode","message","fields"}). */
ucrm_error_t *sf_error__item(const sf_objmap_t *m, const cJSON *err);
/* The id at the end of a record URL ("/services/data/v62.0/sobjects/Account/001..." -> "001..."), or NULL. */
const char *sf_error__url_id(const char *url);

/* ---------------------------------------------------------------------------------------------- sf_auth.c */
ucrm_err_t sf_token_request(void *state, const ucrm_conf_t *conf, ucrm_grant_t grant, const ucrm_token_t *current,
                            ucrm_req_t *req, ucrm_error_t **errp);
ucrm_err_t sf_token_parse(void *state, const ucrm_resp_t *resp, ucrm_token_t *out, ucrm_error_t **errp);

#endif /* UCRM_SF_INT_H */
