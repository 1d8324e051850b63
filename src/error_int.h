/*
 * error_int.h -- building error objects. The struct is visible to unicrm's own modules (adapters fill in the
 * provider details); to applications it is opaque and immutable once returned.
 */
#ifndef UCRM_ERROR_INT_H
#define UCRM_ERROR_INT_H

#include "common_int.h"

struct ucrm_error_s {
    ucrm_err_t code;
    char *message;
    int retriable;                  /* 0/1: safe and useful to repeat the call */
    ucrm_write_state_t write_state;
    int http_status;
    char *provider_code;            /* Salesforce errorCode/statusCode, HubSpot category, OAuth error */
    char *request_id;               /* HubSpot correlationId, ... */
    int64_t retry_after_ms;
    char *field;                    /* offending field (unified name when known) */
    char *existing_id;              /* CONFLICT: the existing record */
    char *details;                  /* JSON text: provider error body or matches */
    int user_code;                  /* UCRM_ERR_USER: the callback's value */
    bool is_static;                 /* the out-of-memory singleton */
};

/* The static out-of-memory error: destroy ignores it. */
extern ucrm_error_t ucrm__oom_error;

/* A new error with a printf-style message; returns &ucrm__oom_error when allocation fails. */
ucrm_error_t *ucrm_error__new(ucrm_err_t code, const char *fmt, ...) UCRM__PRINTF(2, 3);
ucrm_error_t *ucrm_error__vnew(ucrm_err_t code, const char *fmt, va_list ap) UCRM__PRINTF(2, 0);

/* Creates an error and stores it in *errp (when errp is non-NULL); returns code. Use as
 *   return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "id must not be empty");            */
ucrm_err_t ucrm__fail(ucrm_error_t **errp, ucrm_err_t code, const char *fmt, ...) UCRM__PRINTF(3, 4);

/* Hands e to the caller through errp (or destroys it when errp is NULL); returns e's code. If *errp already
 * holds an error it is replaced. */
ucrm_err_t ucrm__give(ucrm_error_t **errp, ucrm_error_t *e);

/* Setters for the optional details; each copies its string and silently keeps the old value on OOM (details are
 * best-effort, the code and message are what matters). Never call them on the OOM singleton (they ignore it). */
void ucrm_error__set_provider(ucrm_error_t *e, int http_status, const char *provider_code, const char *request_id);
void ucrm_error__set_field(ucrm_error_t *e, const char *field);
void ucrm_error__set_existing_id(ucrm_error_t *e, const char *id);
void ucrm_error__set_details(ucrm_error_t *e, const char *json);
void ucrm_error__set_retry(ucrm_error_t *e, int retriable, int64_t retry_after_ms);
void ucrm_error__set_write_state(ucrm_error_t *e, ucrm_write_state_t ws);
/* Replaces the message (printf-style). */
void ucrm_error__set_message(ucrm_error_t *e, const char *fmt, ...) UCRM__PRINTF(2, 3);

#endif /* UCRM_ERROR_INT_H */
