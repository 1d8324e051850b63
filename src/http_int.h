/*
 * http_int.h -- HTTP request/response as the pipeline, the adapters and transports see them, and the libcurl
 * transport (http.c): a pool of easy handles reused across calls (keep-alive), shared DNS/TLS session cache,
 * connect and total timeouts always on, TLS verification always on, plain http only for loopback hosts.
 */
#ifndef UCRM_HTTP_INT_H
#define UCRM_HTTP_INT_H

#include "common_int.h"
#include "unicrm/sys/transport.h"

typedef struct ucrm_hdr {
    char *name;
    char *value;
} ucrm_hdr_t;

typedef struct ucrm_hdrs {
    ucrm_hdr_t *v;
    size_t n, cap;
} ucrm_hdrs_t;

bool ucrm_hdrs__add(ucrm_hdrs_t *h, const char *name, const char *value);
bool ucrm_hdrs__add_n(ucrm_hdrs_t *h, const char *name, size_t nlen, const char *value, size_t vlen);
const char *ucrm_hdrs__get(const ucrm_hdrs_t *h, const char *name); /* case-insensitive; first match */
void ucrm_hdrs__free(ucrm_hdrs_t *h);

/* What a transport receives (public opaque type ucrm_http_request_t). */
struct ucrm_http_request_s {
    const char *method;
    const char *url;            /* absolute */
    const ucrm_hdrs_t *headers; /* Authorization included */
    const char *body;
    size_t body_len;
    int64_t timeout_ms;
    int64_t connect_timeout_ms;
};

/* What a transport fills in (public opaque type ucrm_http_response_t); also what adapters parse. */
struct ucrm_http_response_s {
    int status;                 /* 0 when no response */
    ucrm_hdrs_t headers;
    ucrm_buf_t body;            /* NUL-terminated when non-empty */
    ucrm_err_t failure;         /* UCRM_OK, or why there is no response */
    ucrm_http_sent_t sent;      /* with failure: may the request have reached the server? */
    char *failure_msg;
    int64_t elapsed_us;         /* time on the wire */
    int64_t server_time_us;     /* the server's own time from a Server-Timing header (the fake sends one), else 0 */
    int new_connections;        /* connections opened for this request (0 = reused) */
};
typedef struct ucrm_http_response_s ucrm_resp_t;

void ucrm_resp__reset(ucrm_resp_t *r);  /* ready for another attempt, keeps memory */
void ucrm_resp__free(ucrm_resp_t *r);
const char *ucrm_resp__header(const ucrm_resp_t *r, const char *name);

/* The libcurl transport. One per client. */
typedef struct ucrm_http ucrm_http_t;

typedef struct ucrm_http_settings {
    const char *ca_file;        /* NULL: system store */
    const char *user_agent;
    int pool_size;              /* easy handles kept idle */
} ucrm_http_settings_t;

ucrm_err_t ucrm_http__new(ucrm_http_t **out, const ucrm_http_settings_t *s, ucrm_error_t **errp);
void ucrm_http__destroy(ucrm_http_t *h);
/* Thread-safe: checks an easy handle out of the pool for the duration of the request. Returns UCRM_OK with
 * resp->status set, or the failure code with resp->failure/sent/failure_msg set. Refuses http:// URLs whose
 * host is not loopback (UCRM_ERR_TRANSPORT, NOT_SENT). */
ucrm_err_t ucrm_http__send(ucrm_http_t *h, const ucrm_http_request_t *req, ucrm_resp_t *resp);
/* The server's own time from a Server-Timing header value ("app;dur=1.234": the first metric's duration, ms),
 * in microseconds; 0 when value is NULL or has no usable duration. */
int64_t ucrm_http__server_timing_us(const char *value);
/* Connections opened so far (to show keep-alive works). */
int64_t ucrm_http__connections(const ucrm_http_t *h);

/* Reference counting of application transports (destroy() when the last client using one is destroyed). */
ucrm_err_t ucrm_transport__ref(const ucrm_transport_t *t);
void ucrm_transport__unref(const ucrm_transport_t *t);

/* libcurl global init through call_once (ucrm_global_init() is the explicit variant). */
ucrm_err_t ucrm_http__global_init(void);

#endif /* UCRM_HTTP_INT_H */
