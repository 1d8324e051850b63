/*
 * transport.c -- the <unicrm/sys/transport.h> accessors through which an application transport reads requests
 * and fills responses.
 */
#include "error_int.h"
#include "http_int.h"

UCRM_API ucrm_err_t ucrm_transport_init(ucrm_transport_t *t, unsigned int version) {
    if (!t || version == 0 || version > UCRM_TRANSPORT_VERSION)
        return UCRM_ERR_INVALID_ARG;
    memset(t, 0, sizeof *t);
    t->version = version;
    return UCRM_OK;
}

UCRM_API const char *ucrm_http_request_method(const ucrm_http_request_t *req) { return req ? req->method : ""; }

UCRM_API const char *ucrm_http_request_url(const ucrm_http_request_t *req) { return req ? req->url : ""; }

UCRM_API size_t ucrm_http_request_header_count(const ucrm_http_request_t *req) {
    return req && req->headers ? req->headers->n : 0;
}

UCRM_API ucrm_err_t ucrm_http_request_header(const ucrm_http_request_t *req, size_t i, const char **name,
                                             const char **value) {
    if (!req || !req->headers || i >= req->headers->n)
        return UCRM_ERR_INVALID_ARG;
    if (name)
        *name = req->headers->v[i].name;
    if (value)
        *value = req->headers->v[i].value;
    return UCRM_OK;
}

UCRM_API const char *ucrm_http_request_header_get(const ucrm_http_request_t *req, const char *name) {
    return req && name ? ucrm_hdrs__get(req->headers, name) : NULL;
}

UCRM_API const char *ucrm_http_request_body(const ucrm_http_request_t *req, size_t *len) {
    if (len)
        *len = req && req->body ? req->body_len : 0;
    return req && req->body_len ? req->body : NULL;
}

UCRM_API int64_t ucrm_http_request_timeout_ms(const ucrm_http_request_t *req) { return req ? req->timeout_ms : 0; }

UCRM_API ucrm_err_t ucrm_http_response_set_status(ucrm_http_response_t *resp, int status) {
    if (!resp || status < 100 || status > 999)
        return UCRM_ERR_INVALID_ARG;
    resp->status = status;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_http_response_add_header(ucrm_http_response_t *resp, const char *name,
                                                  const char *value) {
    if (!resp || !name || !value)
        return UCRM_ERR_INVALID_ARG;
    return ucrm_hdrs__add(&resp->headers, name, value) ? UCRM_OK : UCRM_ERR_NOMEM;
}

UCRM_API ucrm_err_t ucrm_http_response_append_body(ucrm_http_response_t *resp, const char *data, size_t len) {
    if (!resp || (!data && len))
        return UCRM_ERR_INVALID_ARG;
    return ucrm_buf__append(&resp->body, data ? data : "", len) ? UCRM_OK : UCRM_ERR_NOMEM;
}

UCRM_API ucrm_err_t ucrm_http_response_set_failure(ucrm_http_response_t *resp, ucrm_err_t code,
                                                   ucrm_http_sent_t sent, const char *message) {
    if (!resp || (code != UCRM_ERR_TRANSPORT && code != UCRM_ERR_TIMEOUT && code != UCRM_ERR_TLS) ||
        (sent != UCRM_HTTP_NOT_SENT && sent != UCRM_HTTP_MAYBE_SENT))
        return UCRM_ERR_INVALID_ARG;
    char *m = ucrm__strdup(message ? message : "transport failure");
    if (!m)
        return UCRM_ERR_NOMEM;
    ucrm__free(resp->failure_msg);
    resp->failure_msg = m;
    resp->failure = code;
    resp->sent = sent;
    resp->status = 0;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- lifetime */
/* An application transport's destroy() runs when the last client using its opaque goes away: clients made from
 * one configuration (or copies of it) share the transport, so the count is process-wide, keyed by opaque. */

#include <pthread.h>

typedef struct tref {
    void *opaque;
    void (*destroy)(void *);
    size_t refs;
    struct tref *next;
} tref_t;

static pthread_mutex_t g_tref_lock = PTHREAD_MUTEX_INITIALIZER;
static tref_t *g_trefs;

ucrm_err_t ucrm_transport__ref(const ucrm_transport_t *t) {
    if (!t->destroy)
        return UCRM_OK;
    ucrm_err_t rc = UCRM_OK;
    pthread_mutex_lock(&g_tref_lock);
    tref_t *r = g_trefs;
    while (r && !(r->opaque == t->opaque && r->destroy == t->destroy))
        r = r->next;
    if (r) {
        r->refs++;
    } else if ((r = ucrm__calloc(1, sizeof *r))) {
        r->opaque = t->opaque;
        r->destroy = t->destroy;
        r->refs = 1;
        r->next = g_trefs;
        g_trefs = r;
    } else {
        rc = UCRM_ERR_NOMEM;
    }
    pthread_mutex_unlock(&g_tref_lock);
    return rc;
}

void ucrm_transport__unref(const ucrm_transport_t *t) {
    if (!t->destroy)
        return;
    bool last = false;
    pthread_mutex_lock(&g_tref_lock);
    for (tref_t **pp = &g_trefs; *pp; pp = &(*pp)->next) {
        tref_t *r = *pp;
        if (r->opaque == t->opaque && r->destroy == t->destroy) {
            if (--r->refs == 0) {
                *pp = r->next;
                ucrm__free(r);
                last = true;
            }
            break;
        }
    }
    pthread_mutex_unlock(&g_tref_lock);
    if (last)
        t->destroy(t->opaque);
}
