/*
 * unicrm/sys/transport.h -- replace the HTTP transport (tests, in-process benchmarks, custom stacks).
 *
 * This is a systems extension point with a weaker stability promise than <unicrm/unicrm.h>: the vtable is
 * versioned (its first member) and only grows at the end; a transport built against an older version keeps
 * working because unicrm reads only the members that version had.
 *
 * A transport answers one HTTP request at a time per call; unicrm may call it from several threads at once
 * (one per thread using the client), so send() must be thread-safe for the transport's own state.
 * Requests arrive fully formed (absolute URL, headers including Authorization, body); the transport does no
 * retries, no redirects and no authentication of its own.
 */
#ifndef UNICRM_SYS_TRANSPORT_H
#define UNICRM_SYS_TRANSPORT_H

#include "../unicrm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define UCRM_TRANSPORT_VERSION 1

/** A request, read through the accessors below. Valid only during send(). */
typedef struct ucrm_http_request_s ucrm_http_request_t;
/** The response being filled in, through the setters below. Valid only during send(). */
typedef struct ucrm_http_response_s ucrm_http_response_t;

/** How far a failed request got: decides whether a non-idempotent request may be retried. */
typedef enum ucrm_http_sent_e {
    UCRM_HTTP_NOT_SENT   = 0, /**< nothing reached the server (resolve/connect failure, refused) */
    UCRM_HTTP_MAYBE_SENT = 1  /**< the server may have received the request (timeout or reset after sending) */
} ucrm_http_sent_t;

/** The transport vtable. Initialise it with ucrm_transport_init() and fill in the members. */
typedef struct ucrm_transport_s {
    /** UCRM_TRANSPORT_VERSION the transport was written against. */
    unsigned int version;
    /** Handed back to every function; unicrm never dereferences it. */
    void *opaque;
    /**
     * Performs one request. Returns UCRM_OK when an HTTP response (any status) was stored in resp; otherwise
     * UCRM_ERR_TRANSPORT, UCRM_ERR_TIMEOUT or UCRM_ERR_TLS after calling ucrm_http_response_set_failure().
     */
    ucrm_err_t (*send)(void *opaque, const ucrm_http_request_t *req, ucrm_http_response_t *resp);
    /** Called when the last client using this opaque is destroyed (clients made from copies of one
     *  configuration share it); never called if no client was created. May be NULL. */
    void (*destroy)(void *opaque);
} ucrm_transport_t;

/**
 * @brief Zeroes a transport vtable and sets its version.
 * @returns UCRM_OK, or UCRM_ERR_INVALID_ARG for NULL or a version this library does not know.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_transport_init(ucrm_transport_t *t, unsigned int version);

/**
 * @brief Makes clients created from conf use this transport instead of libcurl.
 * @param t  copied (the version's members only); its opaque must stay valid until destroy() is called, or, if
 *           destroy is NULL, until every client created from conf is destroyed. NULL restores libcurl.
 * @returns UCRM_OK; UCRM_ERR_INVALID_ARG for a NULL conf, a NULL send or a version this library does not know.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_conf_set_transport(ucrm_conf_t *conf, const ucrm_transport_t *t);

/* Request accessors (borrowed values, valid during send()). */
/** @brief "GET", "POST", "PATCH", "PUT", "DELETE". @since 1.0.0 */
UCRM_API const char *ucrm_http_request_method(const ucrm_http_request_t *req);
/** @brief Absolute URL, query string included. @since 1.0.0 */
UCRM_API const char *ucrm_http_request_url(const ucrm_http_request_t *req);
/** @brief Number of request headers. @since 1.0.0 */
UCRM_API size_t ucrm_http_request_header_count(const ucrm_http_request_t *req);
/** @brief The i-th header's name and value; UCRM_ERR_INVALID_ARG when out of range. @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_http_request_header(const ucrm_http_request_t *req, size_t i, const char **name,
                                             const char **value);
/** @brief A header by name (case-insensitive), or NULL. @since 1.0.0 */
UCRM_API const char *ucrm_http_request_header_get(const ucrm_http_request_t *req, const char *name);
/** @brief The body and its length (NULL and 0 when there is none). @since 1.0.0 */
UCRM_API const char *ucrm_http_request_body(const ucrm_http_request_t *req, size_t *len);
/** @brief The time left for this attempt, in ms (connect + transfer). @since 1.0.0 */
UCRM_API int64_t ucrm_http_request_timeout_ms(const ucrm_http_request_t *req);

/* Response setters. */
/** @brief Sets the HTTP status. @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_http_response_set_status(ucrm_http_response_t *resp, int status);
/** @brief Adds a response header (copied). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_http_response_add_header(ucrm_http_response_t *resp, const char *name,
                                                  const char *value);
/** @brief Appends body bytes (copied). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_http_response_append_body(ucrm_http_response_t *resp, const char *data, size_t len);
/**
 * @brief Records why no response was obtained: code (UCRM_ERR_TRANSPORT, UCRM_ERR_TIMEOUT, UCRM_ERR_TLS),
 *        whether the request may have reached the server, and a message (copied; no secrets).
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_http_response_set_failure(ucrm_http_response_t *resp, ucrm_err_t code,
                                                   ucrm_http_sent_t sent, const char *message);

#ifdef __cplusplus
}
#endif

#endif /* UNICRM_SYS_TRANSPORT_H */
