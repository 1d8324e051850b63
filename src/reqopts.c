/*
 * reqopts.c -- per-call request options (ucrm_reqopts_t) and their NULL-safe internal accessors. Setters
 * validate fully and leave the object unchanged when they fail.
 */
#include "reqopts_int.h"

#include "model_int.h"

#define PAGE_SIZE_MAX 2000
#define IDEMPOTENCY_KEY_MAX 255

static void fields_free(char **fields, size_t n) {
    for (size_t i = 0; i < n; i++)
        ucrm__free(fields[i]);
    ucrm__free(fields);
}

UCRM_API ucrm_err_t ucrm_reqopts_new(ucrm_reqopts_t **out) {
    if (!out)
        return UCRM_ERR_INVALID_ARG;
    ucrm_reqopts_t *o = ucrm__calloc(1, sizeof *o);
    *out = o;
    if (!o)
        return UCRM_ERR_NOMEM;
    o->priority = UCRM_PRIORITY_NORMAL;
    o->max_wait_ms = -1;
    return UCRM_OK;
}

UCRM_API void ucrm_reqopts_destroy(ucrm_reqopts_t *opts) {
    if (!opts)
        return;
    fields_free(opts->fields, opts->nfields);
    ucrm__free(opts->idempotency_key);
    ucrm__free(opts);
}

UCRM_API ucrm_err_t ucrm_reqopts_dup(ucrm_reqopts_t **out, const ucrm_reqopts_t *opts) {
    if (!out)
        return UCRM_ERR_INVALID_ARG;
    *out = NULL;
    if (!opts)
        return UCRM_ERR_INVALID_ARG;
    ucrm_reqopts_t *d = ucrm__calloc(1, sizeof *d);
    if (!d)
        return UCRM_ERR_NOMEM;
    *d = *opts;
    d->fields = NULL;
    d->nfields = 0;
    d->idempotency_key = NULL;
    if (opts->nfields && !(d->fields = ucrm__calloc(opts->nfields, sizeof *d->fields)))
        goto oom;
    for (; d->nfields < opts->nfields; d->nfields++)
        if (!(d->fields[d->nfields] = ucrm__strdup(opts->fields[d->nfields])))
            goto oom;
    if (opts->idempotency_key && !(d->idempotency_key = ucrm__strdup(opts->idempotency_key)))
        goto oom;
    *out = d;
    return UCRM_OK;
oom:
    ucrm_reqopts_destroy(d);
    return UCRM_ERR_NOMEM;
}

/* ---------------------------------------------------------------------------------------------- fields */

/* A unified field name ([a-z][a-z0-9_]*, not checked against an object) or custom.<name>. */
static bool field_name_ok(const char *s, size_t n) {
    char buf[UCRM_CUSTOM_PREFIX_LEN + 256];
    if (n > UCRM_CUSTOM_PREFIX_LEN && memcmp(s, UCRM_CUSTOM_PREFIX, UCRM_CUSTOM_PREFIX_LEN) == 0) {
        if (n >= sizeof buf)
            return false;
        memcpy(buf, s, n);
        buf[n] = '\0';
        return ucrm_model__is_custom(buf);
    }
    if (n == 0 || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static bool is_space(char c) { return c == ' ' || c == '\t'; }

static bool seen(char **fields, size_t n, const char *s, size_t len) {
    for (size_t i = 0; i < n; i++)
        if (strlen(fields[i]) == len && memcmp(fields[i], s, len) == 0)
            return true;
    return false;
}

/* Splits csv into trimmed, validated, de-duplicated names. */
static ucrm_err_t parse_fields(const char *csv, char ***out, size_t *count) {
    size_t cap = 1, n = 0;
    for (const char *p = csv; *p; p++)
        cap += *p == ',';
    char **fields = ucrm__calloc(cap, sizeof *fields);
    if (!fields)
        return UCRM_ERR_NOMEM;
    const char *p = csv;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && is_space(*p))
            p++, len--;
        while (len && is_space(p[len - 1]))
            len--;
        if (!field_name_ok(p, len)) {
            fields_free(fields, n);
            return UCRM_ERR_INVALID_ARG;
        }
        if (!seen(fields, n, p, len) && !(fields[n++] = ucrm__strndup(p, len))) {
            fields_free(fields, n - 1);
            return UCRM_ERR_NOMEM;
        }
        if (!end)
            break;
        p = end + 1;
    }
    *out = fields;
    *count = n;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_reqopts_set_fields(ucrm_reqopts_t *opts, const char *fields_csv) {
    char **fields = NULL;
    size_t n = 0;
    if (!opts)
        return UCRM_ERR_INVALID_ARG;
    if (fields_csv && *fields_csv) {
        ucrm_err_t rc = parse_fields(fields_csv, &fields, &n);
        if (rc != UCRM_OK)
            return rc;
    }
    fields_free(opts->fields, opts->nfields);
    opts->fields = fields;
    opts->nfields = n;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- scalars */

UCRM_API ucrm_err_t ucrm_reqopts_set_page_size(ucrm_reqopts_t *opts, int32_t n) {
    if (!opts || n < 1 || n > PAGE_SIZE_MAX)
        return UCRM_ERR_INVALID_ARG;
    opts->page_size = n;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_reqopts_set_updated_since(ucrm_reqopts_t *opts, const char *rfc3339) {
    int64_t ms;
    if (!opts)
        return UCRM_ERR_INVALID_ARG;
    if (!rfc3339) {
        opts->has_updated_since = false;
        opts->updated_since_ms = 0;
        return UCRM_OK;
    }
    size_t len = strlen(rfc3339);
    if (len <= 10 || !ucrm__parse_time(rfc3339, len, &ms)) /* a bare date has no zone */
        return UCRM_ERR_INVALID_ARG;
    opts->has_updated_since = true;
    opts->updated_since_ms = ms;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_reqopts_set_include_deleted(ucrm_reqopts_t *opts, int include) {
    if (!opts)
        return UCRM_ERR_INVALID_ARG;
    opts->include_deleted = include != 0;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_reqopts_set_timeout_ms(ucrm_reqopts_t *opts, int64_t ms) {
    if (!opts || ms < 0)
        return UCRM_ERR_INVALID_ARG;
    opts->timeout_ms = ms;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_reqopts_set_priority(ucrm_reqopts_t *opts, ucrm_priority_t p) {
    if (!opts || (p != UCRM_PRIORITY_LOW && p != UCRM_PRIORITY_NORMAL && p != UCRM_PRIORITY_HIGH))
        return UCRM_ERR_INVALID_ARG;
    opts->priority = p;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_reqopts_set_max_wait_ms(ucrm_reqopts_t *opts, int64_t ms) {
    if (!opts || ms < -1)
        return UCRM_ERR_INVALID_ARG;
    opts->max_wait_ms = ms;
    return UCRM_OK;
}

/* 1..255 bytes of printable ASCII, without leading or trailing spaces (HTTP would strip them). */
static bool idempotency_key_ok(const char *k) {
    size_t n = strlen(k);
    if (n == 0 || n > IDEMPOTENCY_KEY_MAX || k[0] == ' ' || k[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++)
        if (k[i] < 0x20 || k[i] > 0x7E)
            return false;
    return true;
}

UCRM_API ucrm_err_t ucrm_reqopts_set_idempotency_key(ucrm_reqopts_t *opts, const char *key) {
    if (!opts || (key && !idempotency_key_ok(key)))
        return UCRM_ERR_INVALID_ARG;
    return ucrm__strset(&opts->idempotency_key, key) ? UCRM_OK : UCRM_ERR_NOMEM;
}

UCRM_API ucrm_err_t ucrm_reqopts_set_all_or_none(ucrm_reqopts_t *opts, int all_or_none) {
    if (!opts)
        return UCRM_ERR_INVALID_ARG;
    opts->all_or_none = all_or_none != 0;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- accessors */

size_t ucrm_reqopts__nfields(const ucrm_reqopts_t *o) { return o ? o->nfields : 0; }

const char *ucrm_reqopts__field(const ucrm_reqopts_t *o, size_t i) {
    return o && i < o->nfields ? o->fields[i] : NULL;
}

int32_t ucrm_reqopts__page_size(const ucrm_reqopts_t *o) { return o ? o->page_size : 0; }

bool ucrm_reqopts__updated_since(const ucrm_reqopts_t *o, int64_t *epoch_ms) {
    if (!o || !o->has_updated_since)
        return false;
    if (epoch_ms)
        *epoch_ms = o->updated_since_ms;
    return true;
}

bool ucrm_reqopts__include_deleted(const ucrm_reqopts_t *o) { return o && o->include_deleted; }
int64_t ucrm_reqopts__timeout_ms(const ucrm_reqopts_t *o) { return o ? o->timeout_ms : 0; }
ucrm_priority_t ucrm_reqopts__priority(const ucrm_reqopts_t *o) { return o ? o->priority : UCRM_PRIORITY_NORMAL; }
int64_t ucrm_reqopts__max_wait_ms(const ucrm_reqopts_t *o) { return o ? o->max_wait_ms : -1; }
const char *ucrm_reqopts__idempotency_key(const ucrm_reqopts_t *o) { return o ? o->idempotency_key : NULL; }
bool ucrm_reqopts__all_or_none(const ucrm_reqopts_t *o) { return o && o->all_or_none; }
