/*
 * error.c -- error codes (names, descriptions, the exported list) and the immutable error object.
 */
#include "error_int.h"

#include <stdio.h>

typedef struct err_desc {
    ucrm_err_t code;
    const char *name;
    const char *desc;
} err_desc_t;

#define E(c, d) {c, #c, d}
static const err_desc_t descs[] = {
    E(UCRM_OK, "Success"),
    E(UCRM_ITEROVER, "End of iteration"),
    E(UCRM_PASSTHROUGH, "Callback passed: behave as if no callback were set"),
    E(UCRM_ERR_INVALID_ARG, "Invalid argument"),
    E(UCRM_ERR_UNSUPPORTED, "Not supported by this provider"),
    E(UCRM_ERR_NOENT, "No such field or value"),
    E(UCRM_ERR_TYPE, "Wrong type for this field"),
    E(UCRM_ERR_INVALID_FIELD, "Not a field of this object"),
    E(UCRM_ERR_STATE, "Wrong state for this call"),
    E(UCRM_ERR_USER, "Aborted by an application callback"),
    E(UCRM_ERR_FAIL, "Operation failed"),
    E(UCRM_ERR_NOMEM, "Out of memory"),
    E(UCRM_ERR_CONF_UNKNOWN, "Unknown configuration key"),
    E(UCRM_ERR_CONF_INVALID, "Invalid configuration value"),
    E(UCRM_ERR_NOT_BUILT_IN, "Not built into this library"),
    E(UCRM_ERR_TRANSPORT, "Connection or HTTP transport failure"),
    E(UCRM_ERR_TIMEOUT, "Timed out"),
    E(UCRM_ERR_TLS, "TLS failure"),
    E(UCRM_ERR_AUTH, "Authentication failed"),
    E(UCRM_ERR_FORBIDDEN, "Not permitted"),
    E(UCRM_ERR_RATE_LIMITED, "Rate limit reached"),
    E(UCRM_ERR_QUOTA_EXHAUSTED, "Quota exhausted"),
    E(UCRM_ERR_NOT_FOUND, "Record not found"),
    E(UCRM_ERR_CONFLICT, "Conflict with an existing record"),
    E(UCRM_ERR_VALIDATION, "Rejected by provider validation"),
    E(UCRM_ERR_PROVIDER, "Provider failure"),
    E(UCRM_ERR_PROTOCOL, "Malformed or unexpected provider response"),
    E(UCRM_ERR_PARTIAL, "Some batch items failed"),
};
#undef E

static const ucrm_err_t codes[] = {
    UCRM_OK, UCRM_ITEROVER, UCRM_PASSTHROUGH, UCRM_ERR_INVALID_ARG, UCRM_ERR_UNSUPPORTED, UCRM_ERR_NOENT,
    UCRM_ERR_TYPE, UCRM_ERR_INVALID_FIELD, UCRM_ERR_STATE, UCRM_ERR_USER, UCRM_ERR_FAIL, UCRM_ERR_NOMEM,
    UCRM_ERR_CONF_UNKNOWN, UCRM_ERR_CONF_INVALID, UCRM_ERR_NOT_BUILT_IN, UCRM_ERR_TRANSPORT, UCRM_ERR_TIMEOUT,
    UCRM_ERR_TLS, UCRM_ERR_AUTH, UCRM_ERR_FORBIDDEN, UCRM_ERR_RATE_LIMITED, UCRM_ERR_QUOTA_EXHAUSTED,
    UCRM_ERR_NOT_FOUND, UCRM_ERR_CONFLICT, UCRM_ERR_VALIDATION, UCRM_ERR_PROVIDER, UCRM_ERR_PROTOCOL,
    UCRM_ERR_PARTIAL,
};

_Static_assert(UCRM__ARRAY_LEN(codes) == UCRM__ARRAY_LEN(descs), "every code has a description");

static const err_desc_t *find_desc(ucrm_err_t code) {
    for (size_t i = 0; i < UCRM__ARRAY_LEN(descs); i++)
        if (descs[i].code == code)
            return &descs[i];
    return NULL;
}

UCRM_API const char *ucrm_err_name(ucrm_err_t code) {
    const err_desc_t *d = find_desc(code);
    return d ? d->name : "UCRM_ERR_UNKNOWN";
}

UCRM_API const char *ucrm_err_str(ucrm_err_t code) {
    const err_desc_t *d = find_desc(code);
    return d ? d->desc : "Unknown error code";
}

UCRM_API ucrm_err_t ucrm_err_list(const ucrm_err_t **out, size_t *count) {
    if (!out || !count)
        return UCRM_ERR_INVALID_ARG;
    *out = codes;
    *count = UCRM__ARRAY_LEN(codes);
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- the object */

ucrm_error_t ucrm__oom_error = {
    .code = UCRM_ERR_NOMEM,
    .message = (char *)"out of memory",
    .retriable = 0,
    .is_static = true,
};

ucrm_error_t *ucrm_error__vnew(ucrm_err_t code, const char *fmt, va_list ap) {
    ucrm_error_t *e = ucrm__calloc(1, sizeof *e);
    if (!e)
        return &ucrm__oom_error;
    ucrm_buf_t b = UCRM_BUF_INIT;
    if (fmt)
        ucrm_buf__vprintf(&b, fmt, ap);
    e->message = ucrm_buf__steal(&b);
    if (!e->message) {
        ucrm__free(e);
        return &ucrm__oom_error;
    }
    e->code = code;
    return e;
}

ucrm_error_t *ucrm_error__new(ucrm_err_t code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ucrm_error_t *e = ucrm_error__vnew(code, fmt, ap);
    va_end(ap);
    return e;
}

ucrm_err_t ucrm__give(ucrm_error_t **errp, ucrm_error_t *e) {
    ucrm_err_t code = e ? e->code : UCRM_ERR_FAIL;
    if (errp) {
        if (*errp && *errp != e)
            ucrm_error_destroy(*errp);
        *errp = e;
    } else {
        ucrm_error_destroy(e);
    }
    return code;
}

ucrm_err_t ucrm__fail(ucrm_error_t **errp, ucrm_err_t code, const char *fmt, ...) {
    if (!errp)
        return code;
    va_list ap;
    va_start(ap, fmt);
    ucrm_error_t *e = ucrm_error__vnew(code, fmt, ap);
    va_end(ap);
    ucrm__give(errp, e);
    return code;
}

static void set_str(ucrm_error_t *e, char **slot, const char *s) {
    if (!e || e->is_static)
        return;
    ucrm__strset(slot, s && *s ? s : NULL);
}

void ucrm_error__set_provider(ucrm_error_t *e, int http_status, const char *provider_code, const char *request_id) {
    if (!e || e->is_static)
        return;
    e->http_status = http_status;
    if (provider_code)
        set_str(e, &e->provider_code, provider_code);
    if (request_id)
        set_str(e, &e->request_id, request_id);
}

void ucrm_error__set_field(ucrm_error_t *e, const char *field) { set_str(e, e ? &e->field : NULL, field); }

void ucrm_error__set_existing_id(ucrm_error_t *e, const char *id) {
    set_str(e, e ? &e->existing_id : NULL, id);
}

void ucrm_error__set_details(ucrm_error_t *e, const char *json) { set_str(e, e ? &e->details : NULL, json); }

void ucrm_error__set_retry(ucrm_error_t *e, int retriable, int64_t retry_after_ms) {
    if (!e || e->is_static)
        return;
    e->retriable = retriable ? 1 : 0;
    e->retry_after_ms = retry_after_ms > 0 ? retry_after_ms : 0;
}

void ucrm_error__set_write_state(ucrm_error_t *e, ucrm_write_state_t ws) {
    if (!e || e->is_static)
        return;
    e->write_state = ws;
}

void ucrm_error__set_message(ucrm_error_t *e, const char *fmt, ...) {
    if (!e || e->is_static)
        return;
    ucrm_buf_t b = UCRM_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    ucrm_buf__vprintf(&b, fmt, ap);
    va_end(ap);
    char *m = ucrm_buf__steal(&b);
    if (m) {
        ucrm__free(e->message);
        e->message = m;
    }
}

/* ---------------------------------------------------------------------------------------------- accessors */

UCRM_API ucrm_err_t ucrm_error_code(const ucrm_error_t *e) { return e ? e->code : UCRM_OK; }
UCRM_API const char *ucrm_error_message(const ucrm_error_t *e) { return e && e->message ? e->message : ""; }
UCRM_API int ucrm_error_is_retriable(const ucrm_error_t *e) { return e ? e->retriable : 0; }
UCRM_API ucrm_write_state_t ucrm_error_write_state(const ucrm_error_t *e) {
    return e ? e->write_state : UCRM_WRITE_NA;
}
UCRM_API int ucrm_error_http_status(const ucrm_error_t *e) { return e ? e->http_status : 0; }
UCRM_API const char *ucrm_error_provider_code(const ucrm_error_t *e) {
    return e && e->provider_code ? e->provider_code : "";
}
UCRM_API const char *ucrm_error_request_id(const ucrm_error_t *e) {
    return e && e->request_id ? e->request_id : "";
}
UCRM_API int64_t ucrm_error_retry_after_ms(const ucrm_error_t *e) { return e ? e->retry_after_ms : 0; }
UCRM_API const char *ucrm_error_field(const ucrm_error_t *e) { return e && e->field ? e->field : ""; }
UCRM_API const char *ucrm_error_existing_id(const ucrm_error_t *e) {
    return e && e->existing_id ? e->existing_id : "";
}
UCRM_API const char *ucrm_error_details(const ucrm_error_t *e) { return e && e->details ? e->details : ""; }
UCRM_API int ucrm_error_user_code(const ucrm_error_t *e) { return e ? e->user_code : 0; }

UCRM_API ucrm_error_t *ucrm_error_dup(const ucrm_error_t *e) {
    if (!e)
        return NULL;
    if (e->is_static)
        return (ucrm_error_t *)e;
    ucrm_error_t *d = ucrm__calloc(1, sizeof *d);
    if (!d)
        return &ucrm__oom_error;
    *d = *e;
    d->message = d->provider_code = d->request_id = d->field = d->existing_id = d->details = NULL;
    bool ok = ucrm__strset(&d->message, e->message) && ucrm__strset(&d->provider_code, e->provider_code) &&
              ucrm__strset(&d->request_id, e->request_id) && ucrm__strset(&d->field, e->field) &&
              ucrm__strset(&d->existing_id, e->existing_id) && ucrm__strset(&d->details, e->details);
    if (!ok) {
        ucrm_error_destroy(d);
        return &ucrm__oom_error;
    }
    return d;
}

UCRM_API void ucrm_error_destroy(ucrm_error_t *e) {
    if (!e || e->is_static)
        return;
    ucrm__free(e->message);
    ucrm__free(e->provider_code);
    ucrm__free(e->request_id);
    ucrm__free(e->field);
    ucrm__free(e->existing_id);
    ucrm__free(e->details);
    ucrm__free(e);
}
