/*
 * unicrm -- embeddable unified-CRM client library (Salesforce, HubSpot).
 *
 * One API to read and write contacts, accounts and deals in the CRM at request time. Nothing is stored at rest:
 * unicrm holds configuration, OAuth tokens and rate-limit state in memory, nothing else.
 *
 * Conventions (apply to every function below unless its comment says otherwise):
 *  - Every fallible call returns ucrm_err_t: UCRM_OK (0) on success, a negative UCRM_ERR_* on failure, so
 *    `if (rc < 0)` is the error test. UCRM_ITEROVER (positive) ends an iteration.
 *  - Outputs come first after the handle. The optional last parameter `ucrm_error_t **errp` receives, on failure,
 *    a heap-allocated immutable error object with the details; destroy it with ucrm_error_destroy(). Pass NULL
 *    when the code is enough. On success *errp is left untouched.
 *  - Every string is UTF-8 and NUL-terminated. Strings passed in are copied: the caller may free them as soon as
 *    the call returns. Strings returned as `const char *` are borrowed (see each @remark Lifetime); strings
 *    returned through a `char **` out-parameter belong to the caller and are freed with ucrm_free().
 *  - Times are RFC 3339 UTC strings with milliseconds ("2024-05-01T12:00:00.000Z") or int64_t epoch
 *    milliseconds. Durations are int64_t milliseconds.
 *  - Destroy functions accept NULL. No function takes or returns a struct by value, none is variadic.
 *  - Threading: a ucrm_client_t may be shared by any number of threads. Every other handle (conf, record,
 *    reqopts, iterator, batch, response) may move between threads but must be used by one thread at a time.
 *    Error objects are immutable and may be shared. unicrm starts no threads; callbacks run on the thread that
 *    called into unicrm, during that call.
 *
 * Copyright (c) 2026 the unicrm developers. MIT licence, see LICENSE.
 */
#ifndef UNICRM_UNICRM_H
#define UNICRM_UNICRM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================================================== export macros */

#if defined(UCRM_STATIC)
#  define UCRM_API
#elif defined(_WIN32)
#  if defined(UCRM_BUILDING)
#    define UCRM_API __declspec(dllexport)
#  else
#    define UCRM_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define UCRM_API __attribute__((visibility("default")))
#else
#  define UCRM_API
#endif

/** Marks a function as deprecated, with the version and the replacement: UCRM_DEPRECATED("since 1.4: use x"). */
#if defined(UCRM_NO_DEPRECATION_WARNINGS)
#  define UCRM_DEPRECATED(msg)
#elif defined(__GNUC__) && ((__GNUC__ > 4) || (__GNUC__ == 4 && __GNUC_MINOR__ >= 5))
#  define UCRM_DEPRECATED(msg) __attribute__((deprecated(msg)))
#elif defined(_MSC_VER)
#  define UCRM_DEPRECATED(msg) __declspec(deprecated(msg))
#else
#  define UCRM_DEPRECATED(msg)
#endif

/* ============================================================================================== version */

#define UCRM_VERSION_MAJOR 1
#define UCRM_VERSION_MINOR 0
#define UCRM_VERSION_PATCH 0
#define UCRM_VERSION_STR "1.0.0"
/** The version as 0xMMmmpp. */
#define UCRM_VERSION_NUM ((UCRM_VERSION_MAJOR << 16) | (UCRM_VERSION_MINOR << 8) | UCRM_VERSION_PATCH)
/** True when the headers are at least version a.b.c. */
#define UCRM_AT_LEAST_VERSION(a, b, c) (UCRM_VERSION_NUM >= (((a) << 16) | ((b) << 8) | (c)))

/**
 * @brief The runtime library version as 0xMMmmpp (compare with UCRM_VERSION_NUM from the headers you built with).
 * @remark Threading: safe from any thread. Bindings should check this, not the macros.
 * @since 1.0.0
 */
UCRM_API int ucrm_version(void);

/**
 * @brief The runtime library version as a string, e.g. "1.0.0".
 * @remark Lifetime: static. Threading: any thread.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_version_str(void);

/* ============================================================================================== features */

/** Bits returned by ucrm_features(). Values are fixed forever. */
typedef enum ucrm_feature_e {
    UCRM_FEATURE_HUBSPOT    = 1 << 0, /**< the HubSpot adapter is built in */
    UCRM_FEATURE_SALESFORCE = 1 << 1, /**< the Salesforce adapter is built in */
    UCRM_FEATURE_THREADS    = 1 << 2, /**< clients are thread-safe (always set) */
    UCRM_FEATURE_JWT        = 1 << 3, /**< Salesforce JWT bearer flow (RS256 via OpenSSL) */
    UCRM_FEATURE_REDIS      = 1 << 4, /**< the Redis backend for shared rate limits and tokens */
    UCRM_FEATURE_TLS        = 1 << 5  /**< HTTPS through libcurl (always set) */
} ucrm_feature_t;

/**
 * @brief The features of this build, as a bitmask of ucrm_feature_t.
 * @remark Threading: any thread.
 * @since 1.0.0
 */
UCRM_API unsigned int ucrm_features(void);

/**
 * @brief Which implementation backs a feature ("libcurl/7.88.1", "openssl", "hiredis", ...), or NULL when the
 *        feature is not built in.
 * @remark Lifetime: static. Threading: any thread.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_feature_backend(ucrm_feature_t feature);

/* ============================================================================================== errors */

/**
 * Result codes. 0 is success, UCRM_ITEROVER ends an iteration, every error is negative. Codes are grouped in
 * ranges and are only ever appended: no value is renumbered or removed.
 */
typedef enum ucrm_err_e {
    UCRM_OK          = 0,
    UCRM_ITEROVER    = 1,  /**< end of an iteration: not an error */
    UCRM_PASSTHROUGH = 2,  /**< returned by a callback: behave as if no callback were set */

    /* arguments and state: -1 .. -19 */
    UCRM_ERR_INVALID_ARG   = -1,  /**< a NULL or out-of-range argument */
    UCRM_ERR_UNSUPPORTED   = -2,  /**< the operation or field is not supported by this provider */
    UCRM_ERR_NOENT         = -3,  /**< no such field (or value) on the record */
    UCRM_ERR_TYPE          = -4,  /**< wrong accessor for the field's type */
    UCRM_ERR_INVALID_FIELD = -5,  /**< the name is not a unified field of this object nor custom.<name> */
    UCRM_ERR_STATE         = -6,  /**< the handle is in the wrong state for this call */
    UCRM_ERR_USER          = -7,  /**< an application callback aborted the operation */
    UCRM_ERR_FAIL          = -8,  /**< anything else; see the error object */

    /* memory: -20 .. -29 */
    UCRM_ERR_NOMEM = -20, /**< out of memory */

    /* configuration: -30 .. -39 */
    UCRM_ERR_CONF_UNKNOWN = -30, /**< unknown configuration key */
    UCRM_ERR_CONF_INVALID = -31, /**< invalid configuration value, or an inconsistent configuration */
    UCRM_ERR_NOT_BUILT_IN = -32, /**< the feature is not built into this library */

    /* transport: -40 .. -49 */
    UCRM_ERR_TRANSPORT = -40, /**< connection or HTTP-level failure */
    UCRM_ERR_TIMEOUT   = -41, /**< the call or a request timed out */
    UCRM_ERR_TLS       = -42, /**< TLS handshake or certificate verification failed */

    /* authentication: -50 .. -59 */
    UCRM_ERR_AUTH      = -50, /**< credentials missing, invalid, expired beyond refresh, or revoked */
    UCRM_ERR_FORBIDDEN = -51, /**< authenticated but not allowed (scopes, permissions) */

    /* rate limits: -60 .. -69 */
    UCRM_ERR_RATE_LIMITED    = -60, /**< the rate limit would be exceeded; see ucrm_error_retry_after_ms() */
    UCRM_ERR_QUOTA_EXHAUSTED = -61, /**< the daily (or other long-window) quota is used up */

    /* provider and HTTP: -70 .. -89 */
    UCRM_ERR_NOT_FOUND  = -70, /**< the record (or resource) does not exist or was deleted */
    UCRM_ERR_CONFLICT   = -71, /**< duplicate, or several records matched; see ucrm_error_existing_id() */
    UCRM_ERR_VALIDATION = -72, /**< the provider rejected a value; see ucrm_error_field() */
    UCRM_ERR_PROVIDER   = -73, /**< the provider failed (5xx, lock contention, ...) */
    UCRM_ERR_PROTOCOL   = -74, /**< the provider's answer could not be understood (malformed, truncated) */
    UCRM_ERR_PARTIAL    = -75  /**< a batch ran but some items failed; see ucrm_batch_result() */
} ucrm_err_t;

/** Whether a failed write may have been applied by the provider. */
typedef enum ucrm_write_state_e {
    UCRM_WRITE_NA          = 0, /**< not a write, or the write succeeded */
    UCRM_WRITE_NOT_APPLIED = 1, /**< the provider certainly did not apply the write */
    UCRM_WRITE_UNKNOWN     = 2  /**< the write may or may not have been applied (e.g. timeout after sending) */
} ucrm_write_state_t;

/** An immutable error object. */
typedef struct ucrm_error_s ucrm_error_t;

/**
 * @brief The symbolic name of a code, e.g. "UCRM_ERR_NOT_FOUND"; "UCRM_ERR_UNKNOWN" for an unknown value.
 * @remark Lifetime: static. Threading: any thread.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_err_name(ucrm_err_t code);

/**
 * @brief A one-line English description of a code.
 * @remark Lifetime: static. Threading: any thread.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_err_str(ucrm_err_t code);

/**
 * @brief Every defined code, so that bindings can generate their constants at run time.
 * @param[out] codes  set to a static array of codes (use ucrm_err_name/ucrm_err_str on each)
 * @param[out] count  number of entries
 * @returns UCRM_OK, or UCRM_ERR_INVALID_ARG if an argument is NULL
 * @remark Lifetime: static. Threading: any thread.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_err_list(const ucrm_err_t **codes, size_t *count);

/**
 * @brief The error's code. NULL-safe: NULL gives UCRM_OK.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_error_code(const ucrm_error_t *e);

/**
 * @brief A human-readable message (never contains a secret). NULL-safe: NULL gives "".
 * @remark Lifetime: as long as the error object.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_error_message(const ucrm_error_t *e);

/**
 * @brief 1 if repeating the same call later may succeed and is safe (no duplicate can result), else 0.
 *        NULL-safe: 0.
 * @since 1.0.0
 */
UCRM_API int ucrm_error_is_retriable(const ucrm_error_t *e);

/**
 * @brief For a failed write: whether the provider may have applied it (see ucrm_write_state_t). NULL-safe.
 * @since 1.0.0
 */
UCRM_API ucrm_write_state_t ucrm_error_write_state(const ucrm_error_t *e);

/**
 * @brief The HTTP status of the provider's answer, or 0 if there was none. NULL-safe: 0.
 * @since 1.0.0
 */
UCRM_API int ucrm_error_http_status(const ucrm_error_t *e);

/**
 * @brief The provider's own error code: Salesforce `errorCode`/`statusCode` (e.g. "INVALID_FIELD"), HubSpot
 *        `category` (e.g. "VALIDATION_ERROR"), an OAuth `error`, or "". NULL-safe: "".
 * @remark Lifetime: as long as the error object.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_error_provider_code(const ucrm_error_t *e);

/**
 * @brief The provider's request or correlation id (HubSpot `correlationId`), or "". NULL-safe: "".
 * @remark Lifetime: as long as the error object.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_error_request_id(const ucrm_error_t *e);

/**
 * @brief How long to wait before retrying, in ms (rate limits, Retry-After), or 0. NULL-safe: 0.
 * @since 1.0.0
 */
UCRM_API int64_t ucrm_error_retry_after_ms(const ucrm_error_t *e);

/**
 * @brief The offending field, as a unified field name when it maps to one, else the provider's name, or "".
 *        NULL-safe: "".
 * @remark Lifetime: as long as the error object.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_error_field(const ucrm_error_t *e);

/**
 * @brief For UCRM_ERR_CONFLICT: the id of the existing record (HubSpot "Existing ID", the first Salesforce match,
 *        a duplicate's id), or "". NULL-safe: "".
 * @remark Lifetime: as long as the error object.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_error_existing_id(const ucrm_error_t *e);

/**
 * @brief Provider detail as JSON text: the provider's error body (secrets removed) or, for a Salesforce 300, the
 *        array of matching record URLs; "" when there is none. NULL-safe: "".
 * @remark Lifetime: as long as the error object.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_error_details(const ucrm_error_t *e);

/**
 * @brief For UCRM_ERR_USER: the non-zero value the application callback returned. NULL-safe: 0.
 * @since 1.0.0
 */
UCRM_API int ucrm_error_user_code(const ucrm_error_t *e);

/**
 * @brief A copy of an error object (for keeping a borrowed batch item error). NULL gives NULL.
 * @returns a new object owned by the caller, or a static out-of-memory error when allocation fails.
 * @since 1.0.0
 */
UCRM_API ucrm_error_t *ucrm_error_dup(const ucrm_error_t *e);

/**
 * @brief Destroys an error object. NULL and the static out-of-memory error are ignored.
 * @since 1.0.0
 */
UCRM_API void ucrm_error_destroy(ucrm_error_t *e);

/* ============================================================================================== memory */

/**
 * @brief Frees memory that unicrm returned through a `char **` out-parameter. NULL is ignored.
 * @remark Threading: any thread.
 * @since 1.0.0
 */
UCRM_API void ucrm_free(void *p);

/** Allocator hooks: same contracts as malloc, realloc and free. */
typedef void *ucrm_malloc_fn(size_t size);
typedef void *ucrm_realloc_fn(void *p, size_t size);
typedef void ucrm_free_fn(void *p);

/**
 * @brief Routes unicrm's own allocations (and cJSON's) through the given functions.
 * @returns UCRM_OK; UCRM_ERR_INVALID_ARG if a function is NULL; UCRM_ERR_STATE if called after any other unicrm
 *          call has allocated memory.
 * @remark Call it first, before any other unicrm function, from one thread. libcurl and OpenSSL keep their own
 *         allocators. Allocation failures are always reported as UCRM_ERR_NOMEM, never fatal.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_global_set_allocator(ucrm_malloc_fn *malloc_fn, ucrm_realloc_fn *realloc_fn,
                                              ucrm_free_fn *free_fn);

/**
 * @brief Optional explicit global initialisation (libcurl's global init). Reference counted: each successful call
 *        needs one ucrm_global_cleanup(). Without it, unicrm initialises lazily, once, on first use.
 * @remark Threading: call it from one thread before other threads use unicrm, as libcurl requires.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_global_init(void);

/**
 * @brief Releases what ucrm_global_init() set up, when the reference count drops to zero.
 * @remark Threading: as ucrm_global_init(). No client may exist at that point.
 * @since 1.0.0
 */
UCRM_API void ucrm_global_cleanup(void);

/* ============================================================================================== configuration */

/** A configuration object: string keys and values checked against one property table. */
typedef struct ucrm_conf_s ucrm_conf_t;

/** Log levels (syslog numbering). */
typedef enum ucrm_log_level_e {
    UCRM_LOG_ERROR   = 3,
    UCRM_LOG_WARNING = 4,
    UCRM_LOG_NOTICE  = 5,
    UCRM_LOG_INFO    = 6,
    UCRM_LOG_DEBUG   = 7
} ucrm_log_level_t;

/**
 * Log callback. facility names the module ("http", "ratelimit", "oauth", ...). Messages never contain secrets.
 * Runs on the thread that made the call, during the call; it must not call back into the same client.
 */
typedef void ucrm_log_cb(int level, const char *facility, const char *message, void *opaque);

/**
 * Token callback, called after every successful token refresh (and after ucrm_client_set_token), so that the
 * application can persist the credentials.
 * @param access_token   the new access token
 * @param refresh_token  the refresh token now in use (the rotated one, or the previous one if none came back);
 *                       NULL for flows without one (JWT bearer, client credentials)
 * @param expires_at_ms  when unicrm considers the token expired (epoch ms)
 * @param instance_url   the API base (Salesforce instance_url), or NULL
 * @returns 0 to continue; any other value aborts the current call with UCRM_ERR_USER (the new token is kept).
 * @remark Runs on the thread that refreshed (or called ucrm_client_set_token), outside the client's locks but
 *         serialised per client: two calls never overlap, and a token is never handed over after a newer one
 *         (so the last refresh token persisted is the one in use). It must not call ucrm_client_set_token() on
 *         the same client. The strings are valid only during the call.
 */
typedef int ucrm_token_cb(const char *access_token, const char *refresh_token, int64_t expires_at_ms,
                          const char *instance_url, void *opaque);

/** Facts about one HTTP request, handed to the request observer. Valid only during the callback. */
typedef struct ucrm_request_info_s ucrm_request_info_t;

/**
 * Request observer: called once per HTTP attempt (retries and token requests included), after it completes.
 * Runs on the calling thread; keep it short.
 */
typedef void ucrm_request_observer_cb(const ucrm_request_info_t *info, void *opaque);

/**
 * @brief A new configuration object holding every default.
 * @returns the object, or NULL when out of memory. Destroy with ucrm_conf_destroy().
 * @since 1.0.0
 */
UCRM_API ucrm_conf_t *ucrm_conf_new(void);

/**
 * @brief Sets one property by name (see docs/CONFIGURATION.md or ucrm_conf_describe_json()).
 * @param value  the value as text; NULL resets the key to its default
 * @returns UCRM_OK, UCRM_ERR_CONF_UNKNOWN (no such key), UCRM_ERR_CONF_INVALID (bad value; the message says
 *          why), UCRM_ERR_NOT_BUILT_IN (the feature is not in this build), UCRM_ERR_INVALID_ARG, UCRM_ERR_NOMEM.
 * @remark Keys and values are copied. `mapping.<object>.<field>` keys are accepted for any writable unified
 *         field. Secret values are wiped from memory when replaced or destroyed.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_conf_set(ucrm_conf_t *conf, const char *key, const char *value, ucrm_error_t **errp);

/**
 * @brief Reads one property back as text.
 * @param dest       buffer, or NULL to ask for the size
 * @param dest_size  in: size of dest; out: size needed including the NUL
 * @returns UCRM_OK; UCRM_ERR_CONF_UNKNOWN; UCRM_ERR_INVALID_ARG when dest is too small (dest_size then holds
 *          the size needed). Secret values read back as "[redacted]" when set and "" when not. A key that was
 *          not set reads back as its default for the provider set in conf, or "" when it has none.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_conf_get(const ucrm_conf_t *conf, const char *key, char *dest, size_t *dest_size,
                                  ucrm_error_t **errp);

/**
 * @brief Every property that differs from its default, and every mapping, as a flat array {key0, value0, key1,
 *        value1, ...} sorted by key. Secrets are redacted.
 * @returns UCRM_OK, UCRM_ERR_INVALID_ARG (a NULL argument) or UCRM_ERR_NOMEM.
 * @param[out] kv     the array; free with ucrm_conf_dump_free()
 * @param[out] count  number of strings (twice the number of properties)
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_conf_dump(const ucrm_conf_t *conf, char ***kv, size_t *count);

/** @brief Frees what ucrm_conf_dump() returned. @since 1.0.0 */
UCRM_API void ucrm_conf_dump_free(char **kv, size_t count);

/**
 * @brief A deep copy (callbacks and their opaques included). NULL when out of memory or conf is NULL.
 * @since 1.0.0
 */
UCRM_API ucrm_conf_t *ucrm_conf_dup(const ucrm_conf_t *conf);

/** @brief Destroys a configuration object, wiping its secrets. NULL is ignored. @since 1.0.0 */
UCRM_API void ucrm_conf_destroy(ucrm_conf_t *conf);

/**
 * @brief The property table as a JSON array of {name, scope, type, default, provider_defaults, min, max, values,
 *        secret, description}, for bindings and tools.
 * @param[out] out  JSON text; free with ucrm_free()
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_conf_describe_json(char **out);

/**
 * @brief Sets the log callback (NULL: no callback; with `log.stderr=true` messages then go to stderr).
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_conf_set_log_cb(ucrm_conf_t *conf, ucrm_log_cb *cb, void *opaque);

/** @brief Sets the token callback (see ucrm_token_cb). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_conf_set_token_cb(ucrm_conf_t *conf, ucrm_token_cb *cb, void *opaque);

/** @brief Sets the request observer (see ucrm_request_observer_cb). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_conf_set_request_observer(ucrm_conf_t *conf, ucrm_request_observer_cb *cb,
                                                   void *opaque);

/* Request observer accessors. All are NULL-safe and valid only during the callback. */
/** @brief HTTP method ("GET", ...). @since 1.0.0 */
UCRM_API const char *ucrm_request_info_method(const ucrm_request_info_t *info);
/** @brief URL path without the query string (the token request's path for token requests). @since 1.0.0 */
UCRM_API const char *ucrm_request_info_path(const ucrm_request_info_t *info);
/** @brief The unified operation ("get", "list", "batch", "passthrough", "token", ...). @since 1.0.0 */
UCRM_API const char *ucrm_request_info_operation(const ucrm_request_info_t *info);
/** @brief HTTP status, or 0 when no response arrived. @since 1.0.0 */
UCRM_API int ucrm_request_info_status(const ucrm_request_info_t *info);
/** @brief Attempt number, 1 for the first. @since 1.0.0 */
UCRM_API int ucrm_request_info_attempt(const ucrm_request_info_t *info);
/** @brief Time on the wire for this attempt, in microseconds. @since 1.0.0 */
UCRM_API int64_t ucrm_request_info_elapsed_us(const ucrm_request_info_t *info);
/** @brief Time spent waiting for the rate limiter before this attempt, in microseconds. @since 1.0.0 */
UCRM_API int64_t ucrm_request_info_limiter_wait_us(const ucrm_request_info_t *info);
/** @brief UCRM_OK, or the error this attempt ended with. @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_request_info_error(const ucrm_request_info_t *info);

/* ============================================================================================== client */

/** A connection to one CRM account. Thread-safe. */
typedef struct ucrm_client_s ucrm_client_t;

/**
 * @brief Creates a client from a configuration.
 * @param[out] out   the client; destroy with ucrm_client_destroy()
 * @param conf       copied: the caller keeps ownership and destroys it whether or not this succeeds
 * @returns UCRM_OK; UCRM_ERR_CONF_INVALID (missing `provider`, missing credentials, bad key for this provider);
 *          UCRM_ERR_NOT_BUILT_IN (provider or feature not in this build); UCRM_ERR_NOMEM.
 * @remark No network I/O happens here: the first call authenticates.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_client_new(ucrm_client_t **out, const ucrm_conf_t *conf, ucrm_error_t **errp);

/**
 * @brief Destroys a client, closing its connections and wiping its tokens. NULL is ignored.
 * @remark No other thread may be using the client. Iterators and responses obtained from it must be destroyed
 *         first.
 * @since 1.0.0
 */
UCRM_API void ucrm_client_destroy(ucrm_client_t *client);

/**
 * @brief The provider's name ("hubspot", "salesforce"). NULL-safe: "".
 * @remark Lifetime: static.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_client_provider(const ucrm_client_t *client);

/**
 * @brief The client's metrics as JSON text: requests per operation, errors by code, 429s, retries, token
 *        refreshes, limiter wait, latency percentiles. Never contains a secret.
 *
 * Members: "provider"; "calls": per operation {count, errors, attempts, retries, rate_limited_429,
 * limiter_wait_ms, p50_ms, p95_ms, p99_ms, max_ms} (latency of whole calls, retries and waits included);
 * "errors": count per error code name; "http": {attempts, retries, rate_limited_429, status: count per HTTP
 * status, latency: per attempt, time on the wire}; "token_refreshes", "token_refresh_failures",
 * "limiter_wait_ms"; "latency" (all calls); "auth": {grant, refreshes, refresh_failures, refresh_waits,
 * has_token, token_valid_for_ms, cooling_down}; "ratelimit" (empty when ratelimit.enable=false; shared by the
 * clients of one ratelimit.key): {backend, clients, window and search: {limit, effective_limit, interval_ms,
 * used, in_flight, drained_for_ms, drains, corrections}, daily: {limit, effective_limit, used, probes},
 * concurrency: {limit, in_flight}, acquired, waits, wait_ms_total, wait_ms_max, waiting, rejected_rate_limited,
 * rejected_quota, rate_limited_answers, quota_answers}. Members may be added in later versions.
 * @param[out] out  JSON text; free with ucrm_free()
 * @remark Threading: any thread.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_client_stats_json(ucrm_client_t *client, char **out, ucrm_error_t **errp);

/**
 * @brief Pushes a token into the client (for applications that manage tokens themselves, or restore a persisted
 *        one). The token callback is called.
 * @param access_token   required
 * @param refresh_token  NULL keeps the current one
 * @param expires_at_ms  epoch ms; 0 means "unknown" (the configured session lifetime applies)
 * @param instance_url   NULL keeps the current API base
 * @remark Threading: any thread.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_client_set_token(ucrm_client_t *client, const char *access_token,
                                          const char *refresh_token, int64_t expires_at_ms,
                                          const char *instance_url, ucrm_error_t **errp);

/* ============================================================================================== objects */

/** The unified objects. Values are fixed forever. */
typedef enum ucrm_object_e {
    UCRM_OBJECT_CONTACT = 1,
    UCRM_OBJECT_ACCOUNT = 2,
    UCRM_OBJECT_DEAL    = 3
} ucrm_object_t;

/**
 * @brief "contact", "account", "deal", or NULL for an unknown value.
 * @remark Lifetime: static.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_object_name(ucrm_object_t object);

/**
 * @brief Parses "contact", "account" or "deal" (also the plural forms).
 * @returns UCRM_OK or UCRM_ERR_INVALID_ARG.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_object_from_name(const char *name, ucrm_object_t *out);

/* ============================================================================================== records */

/** A record: a unified object with name-addressed fields. Not thread-safe. */
typedef struct ucrm_record_s ucrm_record_t;

/** Field types. */
typedef enum ucrm_field_type_e {
    UCRM_FIELD_NONE     = 0,  /**< the field is not present on the record */
    UCRM_FIELD_NULL     = 1,  /**< present and null */
    UCRM_FIELD_STRING   = 2,
    UCRM_FIELD_INT      = 3,
    UCRM_FIELD_DOUBLE   = 4,
    UCRM_FIELD_BOOL     = 5,
    UCRM_FIELD_DATETIME = 6,  /**< RFC 3339 UTC with milliseconds, read as a string or epoch ms */
    UCRM_FIELD_OBJECT   = 7,  /**< JSON object, read with ucrm_record_get_json() */
    UCRM_FIELD_ARRAY    = 8,  /**< JSON array, read with ucrm_record_get_json() */
    UCRM_FIELD_DECIMAL  = 9,  /**< exact decimal kept as text ("1500.25"); readable as string or double */
    UCRM_FIELD_DATE     = 10  /**< YYYY-MM-DD, read as a string */
} ucrm_field_type_t;

/**
 * @brief A new, empty record of the given object type.
 * @param[out] out  destroy with ucrm_record_destroy()
 * @returns UCRM_OK, UCRM_ERR_INVALID_ARG (unknown object), UCRM_ERR_NOMEM.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_record_new(ucrm_record_t **out, ucrm_object_t object);

/**
 * @brief A record built from a JSON object of unified fields (the shape ucrm_record_to_json() writes: unified
 *        names, "custom.<name>" keys, "id"). Every field set is marked dirty, so the record can be created or
 *        updated as is, except the read-only fields (created_at, updated_at, is_deleted, deal status): those are
 *        kept but not marked, so that what ucrm_record_to_json() wrote reads back unchanged.
 *        A key that appears twice in one object, at any depth, is an error (UCRM_ERR_INVALID_ARG), as are
 *        "\u0000" and numbers longer than 63 characters. A decimal field takes a JSON string or number; a number
 *        keeps its digits exactly as written (1.50e1 gives "15.0"). Custom fields take any JSON value: a number
 *        without fraction or exponent that fits int64 becomes an int, any other number a double.
 * @param json  the text; need not be NUL-terminated
 * @param len   its length in bytes
 * @returns UCRM_OK; UCRM_ERR_INVALID_ARG with a message for malformed JSON, invalid UTF-8, a non-object, input
 *          over 64 MiB or nested deeper than 64 levels; UCRM_ERR_INVALID_FIELD for an unknown field name;
 *          UCRM_ERR_TYPE for a value of the wrong type.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_record_new_from_json(ucrm_record_t **out, ucrm_object_t object, const char *json,
                                              size_t len, ucrm_error_t **errp);

/** @brief Destroys a record. NULL is ignored. @since 1.0.0 */
UCRM_API void ucrm_record_destroy(ucrm_record_t *rec);

/**
 * @brief A deep copy of a record (fields, dirty marks, id, provider payload).
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_record_dup(ucrm_record_t **out, const ucrm_record_t *rec);

/** @brief The record's object type (0 for NULL). @since 1.0.0 */
UCRM_API ucrm_object_t ucrm_record_object(const ucrm_record_t *rec);

/**
 * @brief The provider's record id, or NULL until the record was created, read or given an id.
 * @remark Lifetime: until the id changes or the record is destroyed.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_record_id(const ucrm_record_t *rec);

/**
 * @brief Sets the record's id (the record to update or delete). NULL clears it. The id is not a dirty field.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_record_set_id(ucrm_record_t *rec, const char *id);

/*
 * Field access by unified name ("first_name", "amount", ...) or "custom.<provider_field>".
 * Getters return UCRM_ERR_NOENT when the field is absent, UCRM_ERR_TYPE when the field's type does not fit the
 * accessor (a null value is UCRM_ERR_TYPE for every getter but get_json), UCRM_ERR_INVALID_FIELD when the name
 * is neither a unified field of the record's object nor custom.<name>.
 * Setters mark the field dirty (ucrm_update() sends only dirty fields) and return UCRM_ERR_TYPE when the value
 * does not fit the unified field's type, UCRM_ERR_UNSUPPORTED for read-only fields (created_at, updated_at,
 * is_deleted, deal status), UCRM_ERR_INVALID_ARG for invalid UTF-8, malformed JSON, a non-finite double or a time
 * outside the years 0000-9999. "id" names the record id, not a field: get_string/get_json read it, and
 * set_string, set_json (a JSON string) and set_null act as ucrm_record_set_id().
 */

/**
 * @brief Reads a string-like field (string, date, date-time, decimal).
 * @remark Lifetime: borrowed; valid until the field is changed or the record is destroyed.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_record_get_string(const ucrm_record_t *rec, const char *field, const char **out);
/** @brief Reads an integer field (or a decimal with no fraction that fits in int64). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_record_get_int64(const ucrm_record_t *rec, const char *field, int64_t *out);
/** @brief Reads a number (double, int or decimal field). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_record_get_double(const ucrm_record_t *rec, const char *field, double *out);
/** @brief Reads a boolean field; *out is 0 or 1. @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_record_get_bool(const ucrm_record_t *rec, const char *field, int *out);
/** @brief Reads a date-time (or date) field as epoch milliseconds. @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_record_get_time_ms(const ucrm_record_t *rec, const char *field, int64_t *out);
/**
 * @brief Reads any field as JSON text (objects, arrays, and scalars as JSON values).
 *        Decimals come out as JSON strings ("1500.25") so that no reader rounds them; dates and date-times as
 *        strings; doubles always with a fraction or an exponent ("50.0", "1e+300") and ints without, so that
 *        ucrm_record_new_from_json() gives custom fields back their type.
 * @param[out] out  free with ucrm_free()
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_record_get_json(const ucrm_record_t *rec, const char *field, char **out);

/**
 * @brief Sets a string-like field (string, date, date-time, decimal: the text is validated).
 *        A date is exactly "YYYY-MM-DD" (a real calendar day); a date-time is any RFC 3339 form with a zone,
 *        stored as "YYYY-MM-DDThh:mm:ss.mmmZ"; a decimal keeps its digits as given (no rounding, trailing zeros
 *        kept) with a leading '+' and redundant leading zeros dropped, and takes no exponent.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_record_set_string(ucrm_record_t *rec, const char *field, const char *value);
/** @brief Sets an integer field (also decimal and double fields). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_record_set_int64(ucrm_record_t *rec, const char *field, int64_t value);
/**
 * @brief Sets a number field (double or decimal; decimals are written with up to 17 significant digits: the
 *        fewest of 15, 16 or 17 that read back as the same double, in plain notation without exponent).
 *        An int field takes an integral value in the int64 range.
 */
UCRM_API ucrm_err_t ucrm_record_set_double(ucrm_record_t *rec, const char *field, double value);
/** @brief Sets a boolean field (0 or non-zero). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_record_set_bool(ucrm_record_t *rec, const char *field, int value);
/** @brief Sets a field to null (clears it at the provider on update). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_record_set_null(ucrm_record_t *rec, const char *field);
/** @brief Sets a date-time field from epoch milliseconds (a date field takes the UTC day). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_record_set_time_ms(ucrm_record_t *rec, const char *field, int64_t epoch_ms);
/**
 * @brief Sets a field from JSON text: compound fields (address, phone_numbers, additional_emails) and any
 *        custom field. The JSON is validated against the field's type.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_record_set_json(ucrm_record_t *rec, const char *field, const char *json);

/**
 * @brief Removes a field from the record (it is then neither read nor sent). UCRM_ERR_NOENT if absent.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_record_unset(ucrm_record_t *rec, const char *field);

/** @brief The field's type, UCRM_FIELD_NONE when absent (or on bad arguments). @since 1.0.0 */
UCRM_API ucrm_field_type_t ucrm_record_field_type(const ucrm_record_t *rec, const char *field);
/** @brief 1 if the field is present and null, else 0. @since 1.0.0 */
UCRM_API int ucrm_record_is_null(const ucrm_record_t *rec, const char *field);
/** @brief Number of fields present on the record (id excluded). @since 1.0.0 */
UCRM_API size_t ucrm_record_field_count(const ucrm_record_t *rec);
/**
 * @brief The name of the i-th field (0-based), or NULL when out of range.
 * @remark Lifetime: until the record's fields are added or removed, or the record is destroyed.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_record_field_name(const ucrm_record_t *rec, size_t i);
/**
 * @brief 1 if the named field was set since the record was read or last cleaned; with field NULL, 1 if any
 *        field is dirty.
 * @since 1.0.0
 */
UCRM_API int ucrm_record_is_dirty(const ucrm_record_t *rec, const char *field);
/** @brief Marks every field clean. @since 1.0.0 */
UCRM_API void ucrm_record_clear_dirty(ucrm_record_t *rec);

/**
 * @brief The record as a JSON object of unified fields ({"id":..., "first_name":..., "custom.x":...}), in the
 *        order the fields were first set, values as ucrm_record_get_json() writes them (decimals as strings).
 * @param[out] out  free with ucrm_free()
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_record_to_json(const ucrm_record_t *rec, char **out);

/**
 * @brief The raw provider payload the record was read from (HubSpot object, Salesforce sObject), as JSON.
 * @param[out] out  free with ucrm_free()
 * @returns UCRM_OK, UCRM_ERR_NOENT when the record was not read from a provider.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_record_remote_json(const ucrm_record_t *rec, char **out);

/* ============================================================================================== request options */

/** Per-call options. Not modified by calls, so one object can serve many calls (one thread at a time). */
typedef struct ucrm_reqopts_s ucrm_reqopts_t;

/** Request priority: a share of each rate-limit bucket is reserved for HIGH. */
typedef enum ucrm_priority_e {
    UCRM_PRIORITY_LOW    = 1,
    UCRM_PRIORITY_NORMAL = 2,
    UCRM_PRIORITY_HIGH   = 3
} ucrm_priority_t;

/** @brief New options with every default. Destroy with ucrm_reqopts_destroy(). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_reqopts_new(ucrm_reqopts_t **out);
/** @brief A copy. @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_reqopts_dup(ucrm_reqopts_t **out, const ucrm_reqopts_t *opts);
/** @brief Destroys options. NULL is ignored. @since 1.0.0 */
UCRM_API void ucrm_reqopts_destroy(ucrm_reqopts_t *opts);
/**
 * @brief The unified fields to read (get, list, search), comma-separated ("first_name,email,custom.x");
 *        NULL or "" selects every mapped field.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_reqopts_set_fields(ucrm_reqopts_t *opts, const char *fields_csv);
/** @brief Records per page for list/search, 1..2000 (clamped to what the provider allows). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_reqopts_set_page_size(ucrm_reqopts_t *opts, int32_t n);
/** @brief List only records modified at or after this RFC 3339 time (incremental sync). NULL clears it. */
UCRM_API ucrm_err_t ucrm_reqopts_set_updated_since(ucrm_reqopts_t *opts, const char *rfc3339);
/** @brief 1: list deleted (archived) records as well, with is_deleted set. @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_reqopts_set_include_deleted(ucrm_reqopts_t *opts, int include);
/** @brief Total time budget for the call (retries and limiter waits included), ms; 0 = retry.budget.ms. */
UCRM_API ucrm_err_t ucrm_reqopts_set_timeout_ms(ucrm_reqopts_t *opts, int64_t ms);
/**
 * @brief Priority lane (default UCRM_PRIORITY_NORMAL). HIGH may also use the share of every rate-limit bucket
 *        kept by ratelimit.reserve.high.percent and goes first when calls wait; LOW waits while NORMAL calls
 *        wait. Use LOW for bulk jobs and HIGH for interactive calls that share an account.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_reqopts_set_priority(ucrm_reqopts_t *opts, ucrm_priority_t p);
/**
 * @brief Longest rate-limiter wait before failing with UCRM_ERR_RATE_LIMITED (with a retry-after), -1 =
 *        ratelimit.wait.max.ms, 0 = never wait. The call fails at once when the wait is known to be longer.
 */
UCRM_API ucrm_err_t ucrm_reqopts_set_max_wait_ms(ucrm_reqopts_t *opts, int64_t ms);
/** @brief An idempotency key sent with writes where the provider supports one. NULL clears it. */
UCRM_API ucrm_err_t ucrm_reqopts_set_idempotency_key(ucrm_reqopts_t *opts, const char *key);
/** @brief Batches: 1 = all or none (Salesforce allOrNone); default 0. @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_reqopts_set_all_or_none(ucrm_reqopts_t *opts, int all_or_none);

/* ============================================================================================== operations */

/**
 * @brief Reads one record by id.
 * @param opts      fields to select, timeout, priority; NULL for defaults
 * @param[out] out  the record; destroy with ucrm_record_destroy()
 * @returns UCRM_OK, UCRM_ERR_NOT_FOUND, or any transport/auth/rate-limit/provider error.
 * @remark Threading: any thread (the client is thread-safe).
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_get(ucrm_client_t *c, ucrm_object_t object, const char *id, const ucrm_reqopts_t *opts,
                             ucrm_record_t **out, ucrm_error_t **errp);

/**
 * @brief Creates the record at the provider. On success the new id is set on rec, server-set fields are read
 *        back where the provider returns them, and rec is marked clean.
 * @returns UCRM_OK, UCRM_ERR_CONFLICT (duplicate; ucrm_error_existing_id()), UCRM_ERR_VALIDATION, ...
 *          A create is retried only when the request provably did not reach the provider; otherwise the error's
 *          write state says whether it may have been applied.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_create(ucrm_client_t *c, ucrm_record_t *rec, const ucrm_reqopts_t *opts,
                                ucrm_error_t **errp);

/**
 * @brief Sends the record's dirty fields to the provider (a PATCH); rec needs an id. Marks rec clean on success.
 *        With no dirty field nothing is sent and UCRM_OK is returned.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_update(ucrm_client_t *c, ucrm_record_t *rec, const ucrm_reqopts_t *opts,
                                ucrm_error_t **errp);

/**
 * @brief Deletes (HubSpot: archives) a record. Deleting a record that is already gone is UCRM_ERR_NOT_FOUND.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_delete(ucrm_client_t *c, ucrm_object_t object, const char *id,
                                const ucrm_reqopts_t *opts, ucrm_error_t **errp);

/**
 * @brief Creates or updates by a unique key: key_field names the unified field (e.g. "email") or custom field
 *        ("custom.External_Id__c") whose value, taken from rec, identifies the record. Sets rec's id.
 * @param key_field  NULL uses the `upsert.<object>.key` configuration (default: email for HubSpot contacts,
 *                   none otherwise)
 * @returns UCRM_OK; UCRM_ERR_CONFLICT when several records match (ucrm_error_details() lists them).
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_upsert(ucrm_client_t *c, ucrm_record_t *rec, const char *key_field,
                                const ucrm_reqopts_t *opts, ucrm_error_t **errp);

/* ============================================================================================== iteration */

/** A lazy, pull-based iterator over records. Not thread-safe. */
typedef struct ucrm_iter_s ucrm_iter_t;
/** A page of records, owned by the caller. */
typedef struct ucrm_records_s ucrm_records_t;

/**
 * @brief Iterates over every record of an object (opts: fields, page size, updated_since, include_deleted).
 *        No request is made until the first ucrm_iter_next().
 * @param[out] out  destroy with ucrm_iter_destroy()
 * @remark The iterator keeps a reference to the client: destroy it before the client.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_list(ucrm_client_t *c, ucrm_object_t object, const ucrm_reqopts_t *opts,
                              ucrm_iter_t **out, ucrm_error_t **errp);

/**
 * @brief Iterates over records whose unified field equals value (exact match, provider's case rules).
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_search(ucrm_client_t *c, ucrm_object_t object, const char *field, const char *value,
                                const ucrm_reqopts_t *opts, ucrm_iter_t **out, ucrm_error_t **errp);

/**
 * @brief The next record, fetching the next page when needed.
 * @param[out] out  the record, owned by the caller
 * @returns UCRM_OK, UCRM_ITEROVER at the end, or an error. After an error the same call may be repeated: the
 *          failed page is fetched again and no record is skipped or repeated.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_iter_next(ucrm_iter_t *it, ucrm_record_t **out, ucrm_error_t **errp);

/**
 * @brief The rest of the current page (or the next page) in one call, for bindings that cross FFI per page.
 * @param[out] out  the page; destroy with ucrm_records_destroy()
 * @returns UCRM_OK, UCRM_ITEROVER at the end, or an error.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_iter_next_page(ucrm_iter_t *it, ucrm_records_t **out, ucrm_error_t **errp);

/**
 * @brief An opaque continuation string: ucrm_iter_resume() with it continues after the last record returned.
 * @remark Lifetime: borrowed; valid until the next call on the iterator. NULL before the first page.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_iter_cursor(ucrm_iter_t *it);

/**
 * @brief Re-opens an iteration from a cursor, in this or a later process (same provider).
 * @returns UCRM_OK; UCRM_ERR_INVALID_ARG for a malformed cursor or one from another provider.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_iter_resume(ucrm_client_t *c, const char *cursor, const ucrm_reqopts_t *opts,
                                     ucrm_iter_t **out, ucrm_error_t **errp);

/**
 * @brief The total number of matching records when the provider reported it.
 * @returns UCRM_OK or UCRM_ERR_NOENT when unknown.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_iter_total(const ucrm_iter_t *it, int64_t *out);

/** @brief Destroys an iterator. NULL is ignored. @since 1.0.0 */
UCRM_API void ucrm_iter_destroy(ucrm_iter_t *it);

/** @brief Number of records in a page (0 for NULL). @since 1.0.0 */
UCRM_API size_t ucrm_records_count(const ucrm_records_t *page);
/**
 * @brief The i-th record of a page, or NULL when out of range.
 * @remark Lifetime: borrowed from the page.
 * @since 1.0.0
 */
UCRM_API ucrm_record_t *ucrm_records_get(const ucrm_records_t *page, size_t i);
/**
 * @brief Takes the i-th record out of the page: the caller owns it, the page keeps NULL in its place.
 * @since 1.0.0
 */
UCRM_API ucrm_record_t *ucrm_records_take(ucrm_records_t *page, size_t i);
/** @brief Destroys a page and the records it still holds. NULL is ignored. @since 1.0.0 */
UCRM_API void ucrm_records_destroy(ucrm_records_t *page);

/* ============================================================================================== batches */

/** A batch of writes of one kind on one object. Not thread-safe. */
typedef struct ucrm_batch_s ucrm_batch_t;

typedef enum ucrm_batch_op_e {
    UCRM_BATCH_CREATE = 1,
    UCRM_BATCH_UPDATE = 2,
    UCRM_BATCH_UPSERT = 3,
    UCRM_BATCH_DELETE = 4
} ucrm_batch_op_t;

/** @brief A new, empty batch. Destroy with ucrm_batch_destroy(). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_batch_new(ucrm_batch_t **out, ucrm_object_t object, ucrm_batch_op_t op);
/** @brief The unique key for an UPSERT batch (as ucrm_upsert()'s key_field). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_batch_set_key_field(ucrm_batch_t *b, const char *key_field);
/**
 * @brief Adds a copy of rec (its dirty fields for UPDATE/UPSERT, its id for UPDATE/DELETE).
 * @returns UCRM_ERR_INVALID_ARG when the record's object differs from the batch's; UCRM_ERR_STATE after run.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_batch_add(ucrm_batch_t *b, const ucrm_record_t *rec);
/** @brief Adds a record id (DELETE batches). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_batch_add_id(ucrm_batch_t *b, const char *id);
/**
 * @brief Runs the batch in chunks of the provider's batch size (HubSpot 100, Salesforce 200).
 * @returns UCRM_OK when every item succeeded; UCRM_ERR_PARTIAL when some failed (see ucrm_batch_result());
 *          another error when the batch could not run at all (then every item reports that error).
 * @remark A batch runs once; to retry failed items, add them to a new batch.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_batch_run(ucrm_client_t *c, ucrm_batch_t *b, const ucrm_reqopts_t *opts,
                                   ucrm_error_t **errp);
/** @brief Number of items added. @since 1.0.0 */
UCRM_API size_t ucrm_batch_count(const ucrm_batch_t *b);
/**
 * @brief The outcome of item i, in the order items were added.
 * @param[out] id   the record id (borrowed; NULL when the item failed without one); may be NULL
 * @param[out] err  NULL on success, else the item's error (borrowed); may be NULL
 * @returns UCRM_OK or the item's error code; UCRM_ERR_STATE before run; UCRM_ERR_INVALID_ARG when out of range.
 * @remark Lifetime: borrowed values live as long as the batch.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_batch_result(const ucrm_batch_t *b, size_t i, const char **id,
                                      const ucrm_error_t **err);
/**
 * @brief For UPSERT (and CREATE) batches: 1 if item i was created, 0 if an existing record was updated.
 * @returns UCRM_OK, UCRM_ERR_NOENT when the provider did not say.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_batch_result_created(const ucrm_batch_t *b, size_t i, int *created);
/** @brief Destroys a batch. NULL is ignored. @since 1.0.0 */
UCRM_API void ucrm_batch_destroy(ucrm_batch_t *b);

/* ============================================================================================== passthrough */

/** A raw provider response. */
typedef struct ucrm_response_s ucrm_response_t;

/**
 * @brief Sends any request to the provider through the same auth, rate limiting and retries as unified calls.
 * @param method    "GET", "POST", "PATCH", "PUT" or "DELETE"
 * @param path      relative to the provider's API base, with its query string ("/crm/v3/objects/contacts?limit=5",
 *                  "/services/data/v62.0/limits"); "{version}" is replaced with the configured API version
 * @param body      request body (JSON) or NULL; body_len its length
 * @param[out] out  the response, also for HTTP error statuses; destroy with ucrm_response_destroy()
 * @returns UCRM_OK when a response arrived (any status: check ucrm_response_status()); an error only when no
 *          response could be obtained (transport, auth refresh, rate limit).
 * @remark POST is retried only when the request provably did not reach the provider.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_passthrough(ucrm_client_t *c, const char *method, const char *path, const char *body,
                                     size_t body_len, const ucrm_reqopts_t *opts, ucrm_response_t **out,
                                     ucrm_error_t **errp);
/** @brief The HTTP status (0 for NULL). @since 1.0.0 */
UCRM_API int ucrm_response_status(const ucrm_response_t *r);
/**
 * @brief The body (NUL-terminated for convenience) and its length.
 * @remark Lifetime: as long as the response.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_response_body(const ucrm_response_t *r, size_t *len);
/**
 * @brief A response header by name (case-insensitive), or NULL.
 * @remark Lifetime: as long as the response.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_response_header(const ucrm_response_t *r, const char *name);
/** @brief Destroys a response. NULL is ignored. @since 1.0.0 */
UCRM_API void ucrm_response_destroy(ucrm_response_t *r);

#ifdef __cplusplus
}
#endif

#endif /* UNICRM_UNICRM_H */
