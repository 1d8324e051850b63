/*
 * pipeline_int.h -- the request pipeline: the one path every HTTP request takes, unified or passthrough.
 *
 *   1. rate limiter: take a token from the account's bucket (priority lane, fail fast past the wait limit)
 *   2. auth: make sure the access token is valid (proactive refresh, single-flight)
 *   3. send through the transport (libcurl pool or the application's ucrm_transport_t)
 *   4. usage headers back into the limiter (adapter parses them: provider->read_usage)
 *   5. classify (adapter: provider->parse_error): success / retriable / auth-expired / final
 *   6. retry with exponential backoff and full jitter, honouring Retry-After, within retry.max and the budget
 *   7. report to the request observer and the client's stats
 *
 * Adapters describe a request (ucrm_req_t) and call ucrm_call__exec(); they never sleep, retry, refresh or
 * count. The pipeline never knows a field name.
 */
#ifndef UCRM_PIPELINE_INT_H
#define UCRM_PIPELINE_INT_H

#include "common_int.h"
#include "http_int.h"

/* Which rate-limit bucket a request draws from. */
typedef enum ucrm_bucket {
    UCRM_BUCKET_MAIN = 0,   /* HubSpot 10-second window; Salesforce daily budget */
    UCRM_BUCKET_SEARCH = 1, /* HubSpot search 5/s */
    UCRM_BUCKET_NONE = 2    /* token requests and the like: not counted */
} ucrm_bucket_t;

/* May the request be repeated after a failure? */
typedef enum ucrm_retry_class {
    UCRM_RETRY_SAFE,        /* reads: always */
    UCRM_RETRY_IDEMPOTENT,  /* PATCH update, DELETE, upsert by key: always */
    UCRM_RETRY_UNSAFE       /* creates: only when provably not received (connect failure, 429, quota) */
} ucrm_retry_class_t;

enum {
    UCRM_REQ_RAW = 1 << 0,      /* passthrough: any final HTTP status is returned as UCRM_OK with the response */
    UCRM_REQ_NO_AUTH = 1 << 1,  /* token requests: no Authorization header, no refresh-on-401 */
    UCRM_REQ_ABSOLUTE = 1 << 2  /* url is absolute (token endpoint, Salesforce nextRecordsUrl is NOT: relative) */
};

/* A request as an adapter describes it. Build with ucrm_req__init(), free with ucrm_req__free(). */
typedef struct ucrm_req {
    const char *method;         /* static string */
    ucrm_buf_t url;             /* path + query relative to the API base, or absolute with UCRM_REQ_ABSOLUTE */
    ucrm_buf_t body;
    const char *content_type;   /* NULL: application/json when there is a body */
    ucrm_hdrs_t headers;        /* extra headers (Sforce-Query-Options, ...) */
    ucrm_retry_class_t retry;
    ucrm_bucket_t bucket;
    unsigned flags;
} ucrm_req_t;

void ucrm_req__init(ucrm_req_t *req, const char *method, ucrm_retry_class_t retry);
void ucrm_req__free(ucrm_req_t *req);

/* One unified operation in progress: what every stage needs to know about the caller. */
typedef struct ucrm_call {
    ucrm_client_t *client;
    const ucrm_reqopts_t *opts;  /* may be NULL: defaults */
    const char *op;              /* "get", "create", "list", "batch", "passthrough", ... (static) */
    int64_t deadline_us;         /* monotonic; the call's total budget */
    ucrm_error_t **errp;         /* where the final error goes (may be NULL) */
    int sent;                    /* requests handed to the transport through this call (a copy counts its own) */
} ucrm_call_t;

/* Starts a call: computes the deadline from opts/conf. */
void ucrm_call__init(ucrm_call_t *call, ucrm_client_t *c, const ucrm_reqopts_t *opts, const char *op,
                     ucrm_error_t **errp);

/* Runs req through the pipeline. On UCRM_OK, resp holds a response with status 2xx/3xx (or any status with
 * UCRM_REQ_RAW). On error, *call->errp holds the error (built by the adapter's parse_error for HTTP errors) and
 * resp holds the last response, if any, for the adapter to inspect. resp must be zero-initialised or reset. */
ucrm_err_t ucrm_call__exec(ucrm_call_t *call, ucrm_req_t *req, ucrm_resp_t *resp);

/* Parses a response body as JSON; on failure sets a UCRM_ERR_PROTOCOL error in call->errp ("malformed JSON
 * in <what>: ...") and returns NULL. */
struct cJSON;
struct cJSON *ucrm_call__parse_json(ucrm_call_t *call, const ucrm_resp_t *resp, const char *what);
/* Sets a UCRM_ERR_PROTOCOL error ("unexpected response to <what>: <why>") and returns the code. */
ucrm_err_t ucrm_call__protocol_error(ucrm_call_t *call, const ucrm_resp_t *resp, const char *what,
                                     const char *why);

#endif /* UCRM_PIPELINE_INT_H */
