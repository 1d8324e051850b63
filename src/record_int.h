/*
 * record_int.h -- record internals for the core and the adapters.
 *
 * A record is a small vector of fields. Unified field names point at the model's static strings (no copy);
 * custom fields own their "custom.<name>" string. Values are typed; OBJECT/ARRAY values are cJSON trees owned
 * by the field. The provider payload is kept as a cJSON tree (detached from its page) and printed only when
 * ucrm_record_remote_json() asks for it.
 *
 * Adapters fill records with the ucrm_record__put_* functions, which neither mark fields dirty nor check the
 * read-only flag (the provider is the source of read-only values). They check the value against the model type
 * and return UCRM_ERR_TYPE on a mismatch so that an adapter bug cannot produce an ill-typed record.
 */
#ifndef UCRM_RECORD_INT_H
#define UCRM_RECORD_INT_H

#include "common_int.h"
#include "model_int.h"

#include <cjson/cJSON.h>

typedef struct ucrm_fval {
    const char *name;             /* static (model) or == owned_name */
    char *owned_name;             /* custom fields only */
    const ucrm_model_field_t *def; /* NULL for custom fields */
    ucrm_field_type_t type;       /* NULL/STRING/INT/DOUBLE/BOOL/DATETIME/DATE/DECIMAL/OBJECT/ARRAY */
    bool dirty;
    union {
        char *s;                  /* STRING, DATETIME, DATE, DECIMAL (normalised text) */
        int64_t i;
        double d;
        bool b;
        cJSON *j;                 /* OBJECT, ARRAY */
    } v;
} ucrm_fval_t;

struct ucrm_record_s {
    ucrm_object_t object;
    char *id;
    ucrm_fval_t *fields;
    size_t nfields, capfields;
    cJSON *remote;                /* provider payload, or NULL */
};

/* Lookup. NULL when absent. */
ucrm_fval_t *ucrm_record__find(const ucrm_record_t *rec, const char *name);

/* Adapter-side setters (not dirty, no read-only check). name: a unified field name or "custom.<x>".
 * Strings are copied (len bytes; need not be NUL-terminated) and UTF-8 validated (UCRM_ERR_PROTOCOL when not).
 * DATETIME strings must already be normalised (ucrm__format_time); DATE is "YYYY-MM-DD".
 * As implemented (record.c): put_str's type must be the field's model type (else UCRM_ERR_TYPE); text that is
 * not a valid value of that type is UCRM_ERR_PROTOCOL (provider data), and a DATETIME in any RFC 3339 form with a
 * zone ("...+0000") is accepted and normalised here. Numbers convert as the public setters do (int -> INT,
 * DOUBLE, DECIMAL; double -> DOUBLE, DECIMAL, or INT when integral); non-finite doubles and times outside
 * 0000-9999 are UCRM_ERR_PROTOCOL. "id" is not a field: put_str(rec, "id", UCRM_FIELD_STRING, ...) sets the
 * id, every other put_* on "id" is UCRM_ERR_TYPE. */
ucrm_err_t ucrm_record__put_str(ucrm_record_t *rec, const char *name, ucrm_field_type_t type, const char *s,
                                size_t len);
ucrm_err_t ucrm_record__put_int(ucrm_record_t *rec, const char *name, int64_t v);
ucrm_err_t ucrm_record__put_double(ucrm_record_t *rec, const char *name, double v);
ucrm_err_t ucrm_record__put_bool(ucrm_record_t *rec, const char *name, bool v);
ucrm_err_t ucrm_record__put_null(ucrm_record_t *rec, const char *name);
ucrm_err_t ucrm_record__put_time(ucrm_record_t *rec, const char *name, int64_t epoch_ms); /* DATETIME */
/* Takes ownership of j (also on failure). j must be an object or array. */
ucrm_err_t ucrm_record__put_json(ucrm_record_t *rec, const char *name, cJSON *j);
/* Custom field from any JSON value the provider sent (string/number/bool/null/object/array), typed by the
 * value. Does not take ownership (copies). A number is INT when integral and within +-2^53, else DOUBLE; a
 * provider name that does not make a valid custom.<name> is UCRM_ERR_INVALID_FIELD (skip it). */
ucrm_err_t ucrm_record__put_custom_json(ucrm_record_t *rec, const char *provider_name, const cJSON *value);

ucrm_err_t ucrm_record__set_id_n(ucrm_record_t *rec, const char *id, size_t len);
/* Takes ownership of the payload tree (replacing any previous one). */
void ucrm_record__set_remote(ucrm_record_t *rec, cJSON *payload);

/* A new record with capacity for n fields (adapters pre-size from the field map). */
ucrm_err_t ucrm_record__new_sized(ucrm_record_t **out, ucrm_object_t object, size_t n);

/* Serialises one field value as JSON into buf (the same text ucrm_record_get_json returns). */
bool ucrm_record__value_json(const ucrm_fval_t *f, ucrm_buf_t *buf);

/* Copies every field of src into dst (replacing same-named ones), keeping dirty marks; used when a create/update
 * response is read back into the caller's record. Takes nothing from src.
 * As implemented: a replaced field is dirty if it was dirty in dst or in src; src's id and payload, when it has
 * them, replace dst's; on failure (NOMEM) dst is unchanged; different objects are UCRM_ERR_INVALID_ARG. */
ucrm_err_t ucrm_record__merge(ucrm_record_t *dst, const ucrm_record_t *src);

/* Field list of a page of records. */
struct ucrm_records_s {
    ucrm_record_t **recs;
    size_t n, cap;
    size_t taken;                  /* how many the iterator has handed out */
};
/* A new, empty page (destroy with ucrm_records_destroy). */
ucrm_err_t ucrm_records__new(ucrm_records_t **out);
ucrm_err_t ucrm_records__push(ucrm_records_t *page, ucrm_record_t *rec); /* takes rec (destroys on failure) */
void ucrm_records__clear(ucrm_records_t *page);

#endif /* UCRM_RECORD_INT_H */
