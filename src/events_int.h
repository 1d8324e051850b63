/*
 * events_int.h -- change events: the batch container (events.c) and what the provider parsers
 * (events_hubspot.c, events_sfcdc.c) share.
 *
 * A batch keeps the parsed JSON tree alive: event strings point into it where the provider's text is used as
 * is (ids sent as strings, property values, change sources), and into the batch's arena otherwise. Events are
 * allocated from the arena too, so an event pointer stays valid until the batch is destroyed; the batch's view
 * (an array of pointers) is what dedupe and keep_newest reorder and shrink.
 */
#ifndef UCRM_EVENTS_INT_H
#define UCRM_EVENTS_INT_H

#include "common_int.h"

#include <cjson/cJSON.h>

struct ucrm_event_s {
    ucrm_event_kind_t kind;
    ucrm_object_t object;
    bool has_value;
    bool gap;
    int32_t attempt;
    int64_t occurred_at;
    size_t order;            /* position in the input (ties in keep_newest) */
    const char *provider, *ptype, *object_name, *id, *field, *pfield, *value;
    const char *source, *source_id, *user, *account, *key, *replay;
    const char **related;
    size_t nrelated;
    const cJSON *raw;        /* the notification (HubSpot) or payload (Salesforce) */
};

typedef struct ev_chunk ev_chunk_t;

struct ucrm_events_s {
    cJSON *root;
    ev_chunk_t *arena;
    ucrm_event_t **view;
    size_t n, cap;
};

/* What a parser works with. */
typedef struct ev_parse {
    ucrm_events_t *evs;
    const char *provider;
    const struct ucrm_provider *prov; /* NULL: no client */
    void *pstate;
    ucrm_buf_t scratch;
    ucrm_error_t **errp;
} ev_parse_t;

/* Checks the arguments and the body (size, UTF-8, no \u0000), parses it and sets up ctx with a new batch whose
 * root is the tree. On failure nothing is left to free. */
ucrm_err_t ucrm_events__begin(ev_parse_t *ctx, ucrm_events_t **out, const char *body, size_t len,
                              const ucrm_client_t *client, const char *provider, ucrm_error_t **errp);
/* Hands the batch to *out, or destroys it when rc < 0. Frees the scratch buffer. */
ucrm_err_t ucrm_events__end(ev_parse_t *ctx, ucrm_events_t **out, ucrm_err_t rc);

/* A new zeroed event appended to the batch (provider, order and attempt -1 set). NULL on OOM. */
ucrm_event_t *ucrm_events__add(ev_parse_t *ctx);
/* Arena copies; NULL on OOM (s NULL gives NULL too: check the input first). */
const char *ucrm_events__strdup(ev_parse_t *ctx, const char *s, size_t n);
void *ucrm_events__alloc(ev_parse_t *ctx, size_t n);
/* The arena copy of the scratch buffer's text; NULL on OOM. */
const char *ucrm_events__scratch_dup(ev_parse_t *ctx);
/* The unified name of a provider field through the client's adapter ("custom.<name>" when unmapped), as an
 * arena string; NULL on OOM. */
const char *ucrm_events__field(ev_parse_t *ctx, ucrm_object_t object, const char *pfield);
/* A JSON scalar as text: strings as they are (borrowed from the tree), integers in [-2^53, 2^53] in decimal,
 * other numbers in their shortest exact form, booleans "true"/"false", null as NULL (*ok true), anything else
 * compact JSON; *ok false on OOM. */
const char *ucrm_events__scalar(ev_parse_t *ctx, const cJSON *v, bool *ok);
/* Decimal text of v into out (>= 21 bytes), without printf. */
void ucrm_events__i64_text(int64_t v, char out[24]);
/* An id sent as a JSON string (non-empty) or an integral number within 2^53; NULL when absent or neither.
 * *oom set on OOM. */
const char *ucrm_events__id(ev_parse_t *ctx, const cJSON *v, bool *oom);

#endif /* UCRM_EVENTS_INT_H */
