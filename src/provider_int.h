/*
 * provider_int.h -- what a provider adapter implements. Adapters live in providers/<name>/ and define one const
 * vtable (ucrm__provider_hubspot, ucrm__provider_salesforce: hidden symbols) registered in src/providers.c.
 *
 * Division of labour:
 *  - the adapter translates: unified record <-> provider request/response, through its field map (data);
 *    it parses errors, usage headers and token responses; it decides how many requests an operation takes
 *    (e.g. an update plus an association change) and sends each through ucrm_call__exec();
 *  - the pipeline (pipeline.c) owns rate limiting, tokens, retries, timeouts, observation and stats.
 * An adapter therefore never sleeps, retries, refreshes a token or counts requests.
 *
 * Errors: every operation returns ucrm_err_t and, on failure, leaves the error object in *call->errp (use
 * ucrm__fail(call->errp, ...) or ucrm__give(call->errp, e)). Errors from ucrm_call__exec() are already there.
 *
 * Threading: the adapter's state (from init) is shared by every thread using the client, read-only after init
 * (or internally locked). Iterator state belongs to one iterator, used by one thread at a time.
 */
#ifndef UCRM_PROVIDER_INT_H
#define UCRM_PROVIDER_INT_H

#include "common_int.h"
#include "conf_int.h"
#include "http_int.h"
#include "pipeline_int.h"
#include "record_int.h"

#include <cjson/cJSON.h>

/* How the pipeline should treat a failed response (filled by parse_error). */
typedef struct ucrm_errclass {
    bool retriable;          /* transient (5xx, lock contention, 423, 477): retry with backoff */
    bool auth_expired;       /* the access token was rejected: refresh once and replay */
    bool rate_limited;       /* burst/window limit hit: drain the bucket, wait, retry */
    bool quota_exhausted;    /* daily/long-window quota: no retry, UCRM_ERR_QUOTA_EXHAUSTED */
    bool not_received;       /* the provider certainly did not act on the request (throttled before work) */
    int64_t retry_after_ms;  /* the provider's hint (Retry-After, window reset), 0 when none */
} ucrm_errclass_t;

/* Usage the provider reported in response headers (filled by read_usage). */
typedef struct ucrm_usage {
    bool has_window;         /* X-HubSpot-RateLimit-Max / -Remaining / -Interval-Milliseconds */
    int64_t window_max, window_remaining, window_ms;
    bool has_daily;          /* X-HubSpot-RateLimit-Daily(-Remaining), Sforce-Limit-Info api-usage=N/M */
    int64_t daily_max, daily_remaining;
} ucrm_usage_t;

/* An OAuth token as the token layer keeps it. Strings owned (secrets wiped on free by auth.c). */
typedef struct ucrm_token {
    char *access_token;
    char *refresh_token;     /* NULL when the response had none (keep the previous one) */
    char *instance_url;      /* Salesforce instance_url; NULL otherwise */
    int64_t expires_at_ms;   /* epoch ms; 0 = the provider gave no lifetime (Salesforce) */
    int64_t issued_at_ms;    /* epoch ms */
} ucrm_token_t;

typedef enum ucrm_grant {
    UCRM_GRANT_STATIC,             /* auth.access.token only (HubSpot private app, pre-issued token) */
    UCRM_GRANT_REFRESH_TOKEN,
    UCRM_GRANT_CLIENT_CREDENTIALS, /* Salesforce */
    UCRM_GRANT_JWT_BEARER          /* Salesforce, RS256 */
} ucrm_grant_t;

/* What an iteration is over. Strings are owned by the iterator and live as long as it. */
typedef struct ucrm_query {
    ucrm_object_t object;
    const char *search_field;  /* unified field; NULL for list */
    const char *search_value;
} ucrm_query_t;

/* One batch item: the core fills rec/id before, the adapter fills the outcome. */
typedef struct ucrm_batch_item {
    ucrm_record_t *rec;      /* the batch's copy of the caller's record (NULL for ucrm_batch_add_id) */
    char *id;                /* in: the id for UPDATE/DELETE (from rec or add_id); out: the resulting id */
    ucrm_error_t *err;       /* out: NULL on success */
    int created;             /* out: 1 created, 0 updated, -1 unknown */
    bool done;               /* out: set by the adapter when it recorded the outcome */
} ucrm_batch_item_t;

typedef struct ucrm_provider {
    const char *name;              /* the `provider` configuration value */
    ucrm_feature_t feature;        /* UCRM_FEATURE_HUBSPOT / _SALESFORCE */
    size_t batch_max;              /* records per batch request (HubSpot 100, Salesforce 200) */

    /* ---- lifecycle */
    /* Checks provider-scoped configuration (credentials present, mapping targets well-formed, ...). */
    ucrm_err_t (*conf_validate)(const ucrm_conf_t *conf, ucrm_error_t **errp);
    /* Builds the adapter's per-client state (field maps with mapping overrides applied, API version, ...). */
    ucrm_err_t (*init)(const ucrm_conf_t *conf, void **state, ucrm_error_t **errp);
    void (*term)(void *state);

    /* ---- auth specifics (the token layer in auth.c decides when; the adapter knows how) */
    /* Fills req (absolute URL, form body, UCRM_REQ_NO_AUTH | UCRM_REQ_ABSOLUTE, bucket NONE) for the grant. */
    ucrm_err_t (*token_request)(void *state, const ucrm_conf_t *conf, ucrm_grant_t grant,
                                const ucrm_token_t *current, ucrm_req_t *req, ucrm_error_t **errp);
    /* Parses a 2xx token response into out (zeroed by the caller). */
    ucrm_err_t (*token_parse)(void *state, const ucrm_resp_t *resp, ucrm_token_t *out, ucrm_error_t **errp);

    /* ---- classification */
    /* Builds the error for a non-success response and says how the pipeline should treat it. Must never fail
     * (return an error describing the malformed body instead). For token requests (UCRM_REQ_NO_AUTH) it parses
     * OAuth error bodies; a revoked refresh token gives UCRM_ERR_AUTH saying re-authorisation is needed. */
    ucrm_error_t *(*parse_error)(void *state, const ucrm_req_t *req, const ucrm_resp_t *resp,
                                 ucrm_errclass_t *cls);
    /* Reads usage headers from any response (success or not). */
    void (*read_usage)(void *state, const ucrm_resp_t *resp, ucrm_usage_t *out);

    /* ---- single-record operations */
    ucrm_err_t (*get)(ucrm_call_t *call, ucrm_object_t object, const char *id, ucrm_record_t **out);
    /* On success: id set on rec, fields read back merged in, rec marked clean by the core. */
    ucrm_err_t (*create)(ucrm_call_t *call, ucrm_record_t *rec);
    /* Sends only dirty fields. The core skips the call when nothing is dirty. */
    ucrm_err_t (*update)(ucrm_call_t *call, ucrm_record_t *rec);
    ucrm_err_t (*del)(ucrm_call_t *call, ucrm_object_t object, const char *id);
    /* key_field: unified or custom.* name; NULL = the configured default (upsert.<object>.key). */
    ucrm_err_t (*upsert)(ucrm_call_t *call, ucrm_record_t *rec, const char *key_field);

    /* ---- iteration. The iterator state describes the next page to fetch. */
    ucrm_err_t (*iter_open)(ucrm_call_t *call, const ucrm_query_t *q, void **istate);
    /* Fetches the next page into page. *more = false when no page follows. *total = -1 when unknown.
     * On error istate must be unchanged, so that the same fetch can be repeated. */
    ucrm_err_t (*iter_fetch)(ucrm_call_t *call, void *istate, ucrm_records_t *page, bool *more, int64_t *total);
    /* Describes the page the next iter_fetch will return, as members added to obj (for cursors). */
    ucrm_err_t (*iter_save)(const void *istate, cJSON *obj);
    /* Recreates a state from what iter_save wrote. UCRM_ERR_INVALID_ARG when obj is not understood. */
    ucrm_err_t (*iter_restore)(ucrm_call_t *call, const ucrm_query_t *q, const cJSON *obj, void **istate);
    void (*iter_free)(void *istate);

    /* ---- batches: one chunk of at most batch_max items, outcomes written into items (in order). A returned
     * error without per-item outcomes applies to every item not marked done. */
    ucrm_err_t (*batch_chunk)(ucrm_call_t *call, ucrm_batch_op_t op, ucrm_object_t object, const char *key_field,
                              ucrm_batch_item_t *items, size_t n);

    /* ---- passthrough: req arrives with method, body, retry class (GET/HEAD safe, PUT/PATCH/DELETE idempotent,
     * POST unsafe), bucket MAIN and flags RAW; the adapter writes the URL from the caller's path (e.g. replacing
     * "{version}") and may adjust bucket and retry class (e.g. HubSpot POST .../search: SEARCH bucket, safe).
     * NULL = the path is used as is. */
    ucrm_err_t (*passthrough_prepare)(void *state, const char *path, ucrm_req_t *req, ucrm_error_t **errp);

    /* ---- sync toolkit (src/events*.c): the unified name of a provider field as change events name it
     * (HubSpot webhook propertyName "firstname", Salesforce CDC field "FirstName"/"MailingCity": compound CDC
     * components are already flattened to the sObject field name), honouring the client's mapping.* overrides.
     * Returns a unified field of object ("first_name"), or a component of a compound unified field written
     * "<field>.<key>" ("address.city", "phone_numbers.mobile"), static or owned by the state (it must live as
     * long as the state); NULL when the field is not mapped (the event then says "custom.<provider_field>").
     * Read-only on the state, called from any thread. NULL hook = nothing is mapped. */
    const char *(*unified_field)(void *state, ucrm_object_t object, const char *provider_field);
} ucrm_provider_t;

/* The registry (providers.c). */
const ucrm_provider_t *ucrm_provider__find(const char *name);
/* Test hook (static library only; never exported): registers a provider that overrides the built-in one with the
 * same name (NULL unregisters), e.g. a scripted one for the core's contract tests. */
void ucrm_provider__register_test(const ucrm_provider_t *p);

/* The adapter state of the client running a call. */
void *ucrm_call__pstate(const ucrm_call_t *call);
const ucrm_conf_t *ucrm_call__conf(const ucrm_call_t *call);

/* Token helpers for adapters and auth.c. */
void ucrm_token__clear(ucrm_token_t *t); /* wipes secrets and frees */
/* token_parse implementations free their parsed tree with ucrm_json__delete_secret() (json_int.h). */


#endif /* UCRM_PROVIDER_INT_H */
