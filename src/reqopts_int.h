/*
 * reqopts_int.h -- request options as the core and adapters read them. Use the accessors: they apply the
 * defaults when opts is NULL.
 */
#ifndef UCRM_REQOPTS_INT_H
#define UCRM_REQOPTS_INT_H

#include "common_int.h"

struct ucrm_reqopts_s {
    char **fields;          /* unified field names, validated syntactically (not against an object) */
    size_t nfields;
    int32_t page_size;      /* 0: provider default */
    int64_t updated_since_ms;
    bool has_updated_since;
    bool include_deleted;
    int64_t timeout_ms;     /* 0: conf http.timeout.ms / retry.budget.ms */
    ucrm_priority_t priority;
    int64_t max_wait_ms;    /* -1: conf ratelimit.wait.max.ms */
    char *idempotency_key;
    bool all_or_none;
};

/* NULL-safe accessors (defaults when opts is NULL). */
size_t ucrm_reqopts__nfields(const ucrm_reqopts_t *o);
const char *ucrm_reqopts__field(const ucrm_reqopts_t *o, size_t i);
int32_t ucrm_reqopts__page_size(const ucrm_reqopts_t *o);          /* 0 = provider default */
bool ucrm_reqopts__updated_since(const ucrm_reqopts_t *o, int64_t *epoch_ms);
bool ucrm_reqopts__include_deleted(const ucrm_reqopts_t *o);
int64_t ucrm_reqopts__timeout_ms(const ucrm_reqopts_t *o);         /* 0 = configured default */
ucrm_priority_t ucrm_reqopts__priority(const ucrm_reqopts_t *o);  /* NORMAL by default */
int64_t ucrm_reqopts__max_wait_ms(const ucrm_reqopts_t *o);        /* -1 = configured default */
const char *ucrm_reqopts__idempotency_key(const ucrm_reqopts_t *o);
bool ucrm_reqopts__all_or_none(const ucrm_reqopts_t *o);

#endif /* UCRM_REQOPTS_INT_H */
