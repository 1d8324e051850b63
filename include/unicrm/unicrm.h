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
 * @brief Which implementation backs a feature ("libcurl/7.88.1", "openssl", "hiredis/0.14.1 (no TLS)", ...), or
 *        NULL when the feature is not built in. UCRM_FEATURE_REDIS is set when the library was built with hiredis
 *        (ratelimit.backend=redis, token.store=redis); Debian 12's hiredis has no TLS support, hence "no TLS":
 *        redis.tls=true fails with UCRM_ERR_NOT_BUILT_IN.
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
 * @brief Provider detail as JSON text: the provider's error body (API errors only: nothing a token endpoint sends
 *        is kept) or, for a Salesforce 300, the array of matching record URLs; "" when there is none. NULL-safe: "".
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
 * @since 1.0.0
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
/** @brief List only records modified at or after this RFC 3339 time (incremental sync). NULL clears it.
 *  @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_reqopts_set_updated_since(ucrm_reqopts_t *opts, const char *rfc3339);
/** @brief 1: list deleted (archived) records as well, with is_deleted set. @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_reqopts_set_include_deleted(ucrm_reqopts_t *opts, int include);
/** @brief Total time budget for the call (retries and limiter waits included), ms; 0 = retry.budget.ms.
 *  @since 1.0.0 */
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
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_reqopts_set_max_wait_ms(ucrm_reqopts_t *opts, int64_t ms);
/** @brief An idempotency key for writes, for providers that accept one. NULL clears it. Neither HubSpot's CRM v3
 *  nor Salesforce's REST API accepts one today, so the key is validated and kept but not sent; unicrm's own
 *  retry rules (a create is only retried when it provably did not arrive) are what prevents duplicates.
 *  @since 1.0.0 */
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
 *          another error when an error that every chunk would meet (authentication, quota, rate limit, timeout)
 *          stopped the batch before any item succeeded (then every item reports that error);
 *          UCRM_ERR_INVALID_ARG before anything is sent (a NULL argument, an UPSERT batch without a key field or
 *          with an item lacking its value: the batch has not run and may be run once fixed); UCRM_ERR_STATE when
 *          it already ran.
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

/* ============================================================================================== sync toolkit */
/*
 * Building blocks for keeping an application's own data in step with the CRM, with no server and no queue of
 * unicrm's own: the application owns its HTTP endpoint and its queue and hands unicrm the raw bytes.
 *
 *   webhook in:   ucrm_webhook_verify_hubspot() -> ucrm_events_parse_hubspot() (or, for Salesforce Change Data
 *                 Capture, ucrm_events_parse_salesforce_cdc()) -> ucrm_events_dedupe() -> ucrm_events_keep_newest()
 *                 -> for each event: ucrm_policy_allows() and ucrm_policy_is_echo() -> apply it.
 *   writes out:   ucrm_policy_filter(TO_CRM) -> ucrm_policy_note_write() -> ucrm_update() (so that the webhook
 *                 HubSpot sends back for our own write is recognised as an echo).
 *   webhook out:  ucrm_webhook_sign() for the application's own consumers, ucrm_webhook_verify() on their side.
 *   truth pass:   ucrm_recon_new() from the last checkpoint -> ucrm_recon_run() -> repair each drift item ->
 *                 store ucrm_recon_checkpoint() (what webhooks missed: lost deliveries, gaps, deletes).
 *
 * Everything here but the reconciliation passes (which read through a client) is pure computation on memory (no
 * I/O). Times are epoch milliseconds; wherever a function takes `now_ms`, 0 means "read the system clock".
 */

/* ---------------------------------------------------------------------------------------------- signatures */

/**
 * @brief Verifies a HubSpot webhook request, exactly as HubSpot signs it.
 *
 *  - "v1" (X-HubSpot-Signature-Version: v1): lowercase hex SHA-256 of client_secret + body.
 *  - "v2": lowercase hex SHA-256 of client_secret + method + url + body.
 *  - "v3" (X-HubSpot-Signature-v3): base64 HMAC-SHA256, keyed with client_secret, of method + url + body +
 *    timestamp, where url first has these escapes decoded (HubSpot's rule, hex digits in either case):
 *    %3A : %2F / %3F ? %40 @ %21 ! %24 $ %27 ' %28 ( %29 ) %2A * %2C , %3B ; (no other escape is decoded).
 *    A timestamp more than 5 minutes (300000 ms) older than now_ms is rejected, as HubSpot requires and its SDKs
 *    do; so is one more than 5 minutes in the future (the SDKs accept any future time; unicrm bounds it because
 *    a far-future timestamp would keep a captured request replayable for that long, and HubSpot stamps the
 *    time it sends, so only a broken clock produces one).
 * The body is hashed as the raw bytes received (it may hold NUL bytes); parse it only after it verified.
 * Hex signatures are accepted in either case; a v3 signature may lack its '=' padding, and a space in it is read
 * as '+' (some servers form-decode header values). Surrounding spaces and tabs of signature and timestamp are
 * ignored. The comparison runs in constant time (CRYPTO_memcmp) on the decoded 32-byte digests.
 * v1 and v2 carry no timestamp: a captured request can be replayed, so deduplicate its events
 * (ucrm_events_dedupe()).
 *
 * @param client_secret  the app's client secret (required, non-empty)
 * @param method         the request method, e.g. "POST" (v2 and v3; compared upper-cased); NULL for v1
 * @param url            the full URL HubSpot called, scheme, host, path and query as received
 *                       ("https://example.com/hook?x=1") (v2 and v3); NULL for v1
 * @param body           the raw request body; NULL only when body_len is 0
 * @param version        "v1" or "v2" (the X-HubSpot-Signature-Version value), or "v3" for X-HubSpot-Signature-v3
 * @param signature      the X-HubSpot-Signature (v1, v2) or X-HubSpot-Signature-v3 (v3) header value
 * @param timestamp      X-HubSpot-Request-Timestamp, epoch ms as decimal text (v3 only, else NULL)
 * @param now_ms         the current time in epoch ms, or 0 for the system clock
 * @returns UCRM_OK when valid; UCRM_ERR_AUTH otherwise, with the reason in the message ("mismatch", "stale",
 *          "in the future", "malformed ..."): a missing, truncated or non-hex/base64 signature, an unknown version
 *          or a missing or malformed timestamp are UCRM_ERR_AUTH too, since they come from the request;
 *          UCRM_ERR_INVALID_ARG for a NULL/empty secret, a NULL body with a length, or a NULL method/url for
 *          v2/v3. Neither the secret nor the expected signature appears in any message.
 * @remark Threading: any thread. No allocation unless an error object is returned.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_webhook_verify_hubspot(const char *client_secret, const char *method, const char *url,
                                                const char *body, size_t body_len, const char *version,
                                                const char *signature, const char *timestamp, int64_t now_ms,
                                                ucrm_error_t **errp);

/**
 * @brief Signs a payload the application sends to its own webhook consumers.
 *
 * The signature (one header value, e.g. for "X-Signature") is `t=<timestamp_ms>,v1=<base64 HMAC-SHA256>` where
 * the HMAC, keyed with secret, covers the ASCII decimal timestamp, a '.', then the body bytes:
 * HMAC(secret, "<t>." + body). Base64 is standard with padding. Consumers check it with ucrm_webhook_verify() or
 * any HMAC library from this description.
 * @param[out] out       the header value; free with ucrm_free()
 * @param secret         the shared secret (required, non-empty)
 * @param body           the exact bytes to send; NULL only when body_len is 0
 * @param timestamp_ms   the signing time in epoch ms (> 0), or 0 for the system clock
 * @returns UCRM_OK, UCRM_ERR_INVALID_ARG, UCRM_ERR_NOMEM.
 * @remark Threading: any thread.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_webhook_sign(char **out, const char *secret, const char *body, size_t body_len,
                                      int64_t timestamp_ms, ucrm_error_t **errp);

/**
 * @brief Verifies a signature made by ucrm_webhook_sign(), in constant time, with a replay window.
 *
 * The header is a comma-separated list of key=value items; exactly one `t` is required; it may carry several
 * `v1` values (a sender rotating secrets signs with both) and the signature is valid when any of them matches;
 * other keys are ignored (later schemes). The request is rejected when |now_ms - t| > tolerance_ms.
 * Within the window the same request can be replayed: deduplicate on the signature or an event id if that
 * matters.
 * @param tolerance_ms   the replay window in ms; 0 for the default of 300000 (5 minutes); negative is invalid
 * @returns UCRM_OK when valid; UCRM_ERR_AUTH ("mismatch", "stale", "in the future", "malformed ...") otherwise;
 *          UCRM_ERR_INVALID_ARG for a NULL/empty secret, a NULL body with a length, a negative tolerance.
 * @remark Threading: any thread.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_webhook_verify(const char *secret, const char *body, size_t body_len,
                                        const char *signature, int64_t now_ms, int64_t tolerance_ms,
                                        ucrm_error_t **errp);

/* ---------------------------------------------------------------------------------------------- change events */

/** A parsed batch of change events (from one webhook request or one Change Data Capture message). Not
 *  thread-safe: one thread at a time; the events it holds may be read from several threads at once as long as
 *  no thread modifies the batch (ucrm_events_dedupe, ucrm_events_keep_newest). */
typedef struct ucrm_events_s ucrm_events_t;
/** One unified change event: one record, and at most one field. Borrowed from its ucrm_events_t. */
typedef struct ucrm_event_s ucrm_event_t;
/** A store of recently seen event keys (see ucrm_dedupe_new()). Thread-safe. */
typedef struct ucrm_dedupe_s ucrm_dedupe_t;

/** What happened to the record. Values are fixed forever. */
typedef enum ucrm_event_kind_e {
    UCRM_EVENT_OTHER            = 0, /**< a type unicrm does not interpret (see ucrm_event_provider_type()) */
    UCRM_EVENT_CREATED          = 1, /**< the record was created (HubSpot *.creation, Salesforce CREATE) */
    UCRM_EVENT_UPDATED          = 2, /**< the record changed but the fields are not known: re-read it */
    UCRM_EVENT_DELETED          = 3, /**< deleted/archived (HubSpot *.deletion and *.privacyDeletion, DELETE) */
    UCRM_EVENT_PROPERTY_CHANGED = 4, /**< one field changed: ucrm_event_field(), ucrm_event_value() */
    UCRM_EVENT_MERGED           = 5, /**< other records were merged into this one (ucrm_event_related_id()) */
    UCRM_EVENT_ASSOCIATED       = 6, /**< an association to ucrm_event_related_id(ev, 0) was added */
    UCRM_EVENT_DISASSOCIATED    = 7, /**< an association to ucrm_event_related_id(ev, 0) was removed */
    UCRM_EVENT_RESTORED         = 8  /**< restored from the recycle bin (HubSpot *.restore, UNDELETE) */
} ucrm_event_kind_t;

/**
 * @brief Parses a HubSpot webhook request body (a JSON array of notifications) into unified events.
 *
 * One event per notification, in the order received. `subscriptionType` names the type (`eventType` is accepted
 * when it is absent, as HubSpot's documentation writes it): `<object>.creation`, `.deletion`,
 * `.privacyDeletion`, `.propertyChange`, `.merge`, `.associationChange`, `.restore`, and the generic
 * `object.<type>` with `objectTypeId` "0-1"/"0-2"/"0-3". Objects: contact, company (account), deal; other objects
 * (ticket, product, ...) give events with ucrm_event_object() 0 and the provider's name in ucrm_event_object_name();
 * unknown types give UCRM_EVENT_OTHER events. Nothing a notification says is dropped: ucrm_event_raw_json() has
 * all of it.
 * Record ids: objectId; for merges newObjectId, else primaryObjectId (the records merged away are the related
 * ids); for association changes fromObjectId (toObjectId is the related id, associationType the value).
 * @param[out] out   the batch; destroy with ucrm_events_destroy()
 * @param body       the raw request body (verify it first); body_len its length (at most 64 MiB)
 * @param client     optional: a HubSpot client whose field map names fields in unified terms ("firstname" ->
 *                   "first_name", including its mapping.* overrides; one property of a compound field is that
 *                   component: "city" -> "address.city", "mobilephone" -> "phone_numbers.mobile"; unmapped
 *                   properties are "custom.<propertyName>"); NULL reports every property as
 *                   "custom.<propertyName>". The client is only read during the call.
 * @returns UCRM_OK (also for an empty array); UCRM_ERR_PROTOCOL when the body is not strict JSON (the rules of
 *          ucrm_record_new_from_json(): UTF-8, no "\u0000", numbers of at most 63 characters, nesting up to 64
 *          levels; the message gives the byte offset), not an array, or a notification lacks what its type needs
 *          (the message names its index; no partial batch is returned); UCRM_ERR_INVALID_ARG for NULL arguments or
 *          a client of another provider; UCRM_ERR_NOMEM.
 * @remark Threading: any thread; the client may be in use by other threads.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_events_parse_hubspot(ucrm_events_t **out, const char *body, size_t body_len,
                                              const ucrm_client_t *client, ucrm_error_t **errp);

/**
 * @brief Parses Salesforce Change Data Capture events in their JSON form into unified events.
 *
 * Accepted shapes: a CometD message {"channel":"/data/...ChangeEvent","data":{"schema":..,"payload":{..},
 * "event":{"replayId":N}}}, an array of such messages (/meta/ messages in it are skipped), the "data" object
 * alone, or a bare payload {"ChangeEventHeader":{..}, fields...} optionally wrapped as {"replayId":..,
 * "payload":{..}}. For each record id in the header:
 *  - CREATE: one UCRM_EVENT_CREATED (the field values are in ucrm_event_raw_json());
 *  - UPDATE: one UCRM_EVENT_PROPERTY_CHANGED per changedFields entry, with the value taken from the payload
 *    (a nulledFields entry has a null value, a diffFields entry none); compound components are named as the
 *    sObject names them ("Name.FirstName" -> FirstName, "MailingAddress.City" -> MailingCity); without
 *    usable changedFields (before API 47.0, or the Pub/Sub API's bitmap form) one UCRM_EVENT_UPDATED;
 *  - DELETE, UNDELETE: UCRM_EVENT_DELETED, UCRM_EVENT_RESTORED;
 *  - GAP_CREATE/UPDATE/DELETE/UNDELETE: the same kinds with ucrm_event_is_gap() 1 (no field data: re-read);
 *  - GAP_OVERFLOW, or a wildcard record id ("001*"): one event with a NULL record id and is_gap 1: reconcile the
 *    whole object.
 * entityName Contact, Account and Opportunity are the unified contact, account and deal; other entities give
 * ucrm_event_object() 0. occurred-at is commitTimestamp.
 * @param client  optional: a Salesforce client for unified field names, mapping.* overrides included
 *                ("FirstName" -> "first_name", "MailingCity" -> "address.city", "MobilePhone" ->
 *                "phone_numbers.mobile", unmapped: "custom.<FieldName>"); NULL: "custom.<FieldName>" for all
 * @returns as ucrm_events_parse_hubspot().
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_events_parse_salesforce_cdc(ucrm_events_t **out, const char *body, size_t body_len,
                                                     const ucrm_client_t *client, ucrm_error_t **errp);

/** @brief Number of events in the batch (0 for NULL). @since 1.0.0 */
UCRM_API size_t ucrm_events_count(const ucrm_events_t *evs);

/**
 * @brief The i-th event (0-based), or NULL when out of range.
 * @remark Lifetime: borrowed; valid until the batch is destroyed (ucrm_events_dedupe() and
 *         ucrm_events_keep_newest() change indexes but never invalidate an event pointer).
 * @since 1.0.0
 */
UCRM_API const ucrm_event_t *ucrm_events_get(const ucrm_events_t *evs, size_t i);

/**
 * @brief Removes the events the dedupe store has already seen, and marks the others as seen (in order, so a
 *        duplicate inside the batch is removed too). Keys are ucrm_event_key().
 * @param[out] removed  how many events were removed; may be NULL
 * @param now_ms        the current time, or 0 for the system clock
 * @returns UCRM_OK; an error from the store (UCRM_ERR_USER from a custom store's callback, UCRM_ERR_NOMEM): then
 *          the batch is unchanged, although keys before the failing one may already be marked.
 * @remark An event marked seen whose processing then fails must be un-marked with ucrm_dedupe_forget() before
 *         the request is answered with an error, or HubSpot's retry of it would be dropped as a duplicate.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_events_dedupe(ucrm_events_t *evs, size_t *removed, ucrm_dedupe_t *d,
                                       int64_t now_ms, ucrm_error_t **errp);

/**
 * @brief Keeps only the newest event by occurred-at (ties: the one received later) for each record and
 *        aspect, and sorts what is left by occurred-at, oldest first, so that applying them in order leaves the
 *        newest state. The aspects of a record are: each field (property changes), its lifecycle (created,
 *        updated, deleted, restored, merged), each unknown type, and each association (type and related id);
 *        records of different HubSpot portals are different records. Events without a record id are all kept. Neither provider guarantees delivery order, hence this.
 * @param[out] removed  how many events were removed; may be NULL
 * @returns UCRM_OK, UCRM_ERR_INVALID_ARG, UCRM_ERR_NOMEM (the batch is then unchanged).
 * @remark Only events in this batch are compared: to reject an event older than one applied from an earlier
 *         batch, compare ucrm_event_occurred_at_ms() with the time stored with the application's data.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_events_keep_newest(ucrm_events_t *evs, size_t *removed);

/** @brief Destroys a batch and its events. NULL is ignored. @since 1.0.0 */
UCRM_API void ucrm_events_destroy(ucrm_events_t *evs);

/* Event accessors. All are NULL-safe (NULL, 0 or -1); strings are borrowed from the batch and live as long as it. */

/** @brief What happened. @since 1.0.0 */
UCRM_API ucrm_event_kind_t ucrm_event_kind(const ucrm_event_t *ev);
/** @brief "hubspot" or "salesforce". @since 1.0.0 */
UCRM_API const char *ucrm_event_provider(const ucrm_event_t *ev);
/** @brief The provider's type: HubSpot subscriptionType ("contact.propertyChange"), Salesforce changeType
 *         ("UPDATE"). @since 1.0.0 */
UCRM_API const char *ucrm_event_provider_type(const ucrm_event_t *ev);
/** @brief The unified object, or 0 for an object outside the unified model. @since 1.0.0 */
UCRM_API ucrm_object_t ucrm_event_object(const ucrm_event_t *ev);
/** @brief "contact", "account", "deal", or the provider's object name ("ticket", "Lead"). @since 1.0.0 */
UCRM_API const char *ucrm_event_object_name(const ucrm_event_t *ev);
/** @brief The record id as the provider's API uses it, or NULL when the event concerns the whole object (see
 *         ucrm_events_parse_salesforce_cdc()). @since 1.0.0 */
UCRM_API const char *ucrm_event_record_id(const ucrm_event_t *ev);
/**
 * @brief For UCRM_EVENT_PROPERTY_CHANGED: the field in unified terms ("first_name"), a component of a compound
 *        unified field ("address.city") when the client's adapter names one, or "custom.<provider name>" when
 *        the field is not mapped (or no client was given). NULL for other kinds.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_event_field(const ucrm_event_t *ev);
/** @brief The provider's field name ("firstname", "MailingCity"), or NULL. @since 1.0.0 */
UCRM_API const char *ucrm_event_provider_field(const ucrm_event_t *ev);
/** @brief 1 when the event carries the field's new value (then a NULL ucrm_event_value() means null), 0 when
 *         it does not (no field, a Salesforce diffFields entry, a gap). @since 1.0.0 */
UCRM_API int ucrm_event_has_value(const ucrm_event_t *ev);
/**
 * @brief The new value as the provider sent it, as text: HubSpot propertyValue (always a string; "" when the
 *        property was cleared; dates as epoch-ms text), Salesforce JSON scalars as text (numbers in their
 *        shortest exact form, booleans "true"/"false"), NULL for null. For association events the association
 *        type ("CONTACT_TO_COMPANY").
 * @since 1.0.0
 */
UCRM_API const char *ucrm_event_value(const ucrm_event_t *ev);
/** @brief When the change happened at the provider, epoch ms (HubSpot occurredAt, Salesforce commitTimestamp).
 *         @since 1.0.0 */
UCRM_API int64_t ucrm_event_occurred_at_ms(const ucrm_event_t *ev);
/** @brief What made the change: HubSpot changeSource ("CRM_UI", "INTEGRATION", "IMPORT", ...), Salesforce
 *         changeOrigin ("com/salesforce/api/rest/62.0;client=myapp"), or NULL. @since 1.0.0 */
UCRM_API const char *ucrm_event_source(const ucrm_event_t *ev);
/** @brief Who or which app made it: HubSpot sourceId ("userId:45678", an app id), Salesforce the client id of
 *         changeOrigin (`client=` value, sent by API clients in Sforce-Call-Options), or NULL. @since 1.0.0 */
UCRM_API const char *ucrm_event_source_id(const ucrm_event_t *ev);
/** @brief Salesforce commitUser (the user id that made the change), or NULL. @since 1.0.0 */
UCRM_API const char *ucrm_event_user(const ucrm_event_t *ev);
/** @brief The account the event belongs to: HubSpot portalId as text; NULL for Salesforce. @since 1.0.0 */
UCRM_API const char *ucrm_event_account_id(const ucrm_event_t *ev);
/**
 * @brief A stable key identifying this change across retries and redeliveries, for deduplication:
 *        HubSpot "hs:<portalId>:<objectId>:<occurredAt>:<subscriptionType>:<propertyName>" (association
 *        events add the related id, type and direction; eventId is not used: HubSpot says it is not unique);
 *        Salesforce "sf:<transactionKey>:<sequenceNumber>:<recordId>:<field>" (the replay id when the header
 *        lacks a transaction key). Salesforce keys are unique within one org: give each org its own store.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_event_key(const ucrm_event_t *ev);
/** @brief HubSpot attemptNumber (0 for the first delivery), -1 when the provider has none. @since 1.0.0 */
UCRM_API int32_t ucrm_event_attempt(const ucrm_event_t *ev);
/** @brief The Salesforce replay id as text (CometD replayId), or NULL. Store the last one processed to resume
 *         a subscription. @since 1.0.0 */
UCRM_API const char *ucrm_event_replay_id(const ucrm_event_t *ev);
/** @brief 1 when the provider says the event lacks the change's details (Salesforce gap and overflow events):
 *         re-read the record, or reconcile the object when the record id is NULL. @since 1.0.0 */
UCRM_API int ucrm_event_is_gap(const ucrm_event_t *ev);
/** @brief Number of related record ids (merged-away records, the associated record). @since 1.0.0 */
UCRM_API size_t ucrm_event_related_count(const ucrm_event_t *ev);
/** @brief The i-th related record id, or NULL when out of range. @since 1.0.0 */
UCRM_API const char *ucrm_event_related_id(const ucrm_event_t *ev, size_t i);
/**
 * @brief The whole notification this event came from, as compact JSON (the HubSpot notification object, the
 *        Salesforce payload with its header). Several events may share one notification.
 * @param[out] out  free with ucrm_free()
 * @returns UCRM_OK, UCRM_ERR_INVALID_ARG, UCRM_ERR_NOMEM.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_event_raw_json(const ucrm_event_t *ev, char **out);

/* ---------------------------------------------------------------------------------------------- dedupe */

/* ucrm_dedupe_t (a store of recently seen event keys, thread-safe) is declared with the change events. */

/**
 * Check-and-insert callback of an application-backed store (e.g. Redis `SET key 1 NX PX ttl_ms`): atomically,
 * if key is present and younger than ttl_ms, set *was_seen = 1; otherwise store it (expiring after ttl_ms) and
 * set *was_seen = 0. Returns 0, or non-zero to fail the call with UCRM_ERR_USER (ucrm_error_user_code() gives
 * the value). Runs on the calling thread, possibly from several threads at once.
 */
typedef int ucrm_dedupe_seen_cb(const char *key, int64_t now_ms, int64_t ttl_ms, int *was_seen, void *opaque);
/** Removes key from an application-backed store (absent keys are fine). Returns 0 or non-zero as above. */
typedef int ucrm_dedupe_forget_cb(const char *key, void *opaque);

/**
 * @brief A bounded in-memory store: at most capacity keys, each remembered for ttl_ms from when it was first
 *        seen. When full, the oldest key goes first; with one TTL for every key that is also the first to expire,
 *        so capacity only matters when more than capacity events arrive within ttl_ms (size it for the peak
 *        rate times the TTL: HubSpot retries for up to 24 hours).
 * @param[out] out  destroy with ucrm_dedupe_destroy()
 * @param capacity  1 .. 2^30 keys
 * @param ttl_ms    > 0
 * @returns UCRM_OK, UCRM_ERR_INVALID_ARG, UCRM_ERR_NOMEM.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_dedupe_new(ucrm_dedupe_t **out, size_t capacity, int64_t ttl_ms);

/**
 * @brief A store backed by the application through two callbacks.
 * @param seen      required; forget may be NULL (ucrm_dedupe_forget() then returns UCRM_ERR_UNSUPPORTED)
 * @param opaque    passed to both; unicrm never dereferences it
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_dedupe_new_custom(ucrm_dedupe_t **out, int64_t ttl_ms, ucrm_dedupe_seen_cb *seen,
                                           ucrm_dedupe_forget_cb *forget, void *opaque);

/**
 * @brief Check-and-insert: *was_seen = 1 if key was seen within the TTL (its expiry is not extended), else 0 and
 *        key is now remembered.
 * @param now_ms  the current time, or 0 for the system clock
 * @returns UCRM_OK, UCRM_ERR_INVALID_ARG (NULL or empty key), UCRM_ERR_NOMEM, UCRM_ERR_USER (custom store).
 * @remark Threading: any thread.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_dedupe_seen(ucrm_dedupe_t *d, int *was_seen, const char *key, int64_t now_ms,
                                     ucrm_error_t **errp);

/**
 * @brief Forgets a key (e.g. its event failed to process, so the provider's retry must get through).
 *        An absent key is not an error.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_dedupe_forget(ucrm_dedupe_t *d, const char *key, ucrm_error_t **errp);

/** @brief Keys held by an in-memory store (expired ones not yet dropped included); 0 for a custom store.
 *         @since 1.0.0 */
UCRM_API size_t ucrm_dedupe_count(const ucrm_dedupe_t *d);

/** @brief Destroys a store. NULL is ignored. No other thread may be using it. @since 1.0.0 */
UCRM_API void ucrm_dedupe_destroy(ucrm_dedupe_t *d);

/* ---------------------------------------------------------------------------------------------- field ownership */

/** Field ownership and echo suppression. Thread-safe (configure it, then share it). */
typedef struct ucrm_policy_s ucrm_policy_t;

/** Which side wins when both changed a field. Values are fixed forever. */
typedef enum ucrm_owner_e {
    UCRM_OWNER_CRM     = 1, /**< the CRM is the system of record for the field */
    UCRM_OWNER_PRODUCT = 2, /**< the application is */
    UCRM_OWNER_NEWEST  = 3  /**< whichever side changed it last (ties go to the CRM) */
} ucrm_owner_t;

/** Which way values may flow. A bit set: BOTH = FROM_CRM | TO_CRM. Values are fixed forever. */
typedef enum ucrm_sync_dir_e {
    UCRM_SYNC_NONE     = 0, /**< not synchronised */
    UCRM_SYNC_FROM_CRM = 1, /**< CRM -> application */
    UCRM_SYNC_TO_CRM   = 2, /**< application -> CRM */
    UCRM_SYNC_BOTH     = 3
} ucrm_sync_dir_t;

/**
 * @brief An empty policy: no field is synchronised until ucrm_policy_set() says so. Echo fingerprints are kept
 *        for 1 hour, at most 100000 of them (see ucrm_policy_set_echo_window()). Fingerprints are keyed by object
 *        and record id: use one policy per CRM account (HubSpot portal, Salesforce org).
 * @param[out] out  destroy with ucrm_policy_destroy()
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_policy_new(ucrm_policy_t **out);

/** @brief Destroys a policy. NULL is ignored. No other thread may be using it. @since 1.0.0 */
UCRM_API void ucrm_policy_destroy(ucrm_policy_t *p);

/**
 * @brief Sets the owner and direction of one field of an object, replacing an earlier rule for it.
 * @param field  a unified field ("email"), a component ("address.city"), "custom.<name>", or "*" for every
 *               field of the object without a rule of its own. A component without a rule follows its field's.
 * @returns UCRM_OK; UCRM_ERR_INVALID_ARG (unknown object, owner or direction, NULL field);
 *          UCRM_ERR_INVALID_FIELD (neither a unified field of the object, nor custom.<name>, nor "*");
 *          UCRM_ERR_UNSUPPORTED for a read-only field (id, created_at, updated_at, is_deleted, deal status) with
 *          a direction including TO_CRM; UCRM_ERR_NOMEM.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_policy_set(ucrm_policy_t *p, ucrm_object_t object, const char *field, ucrm_owner_t owner,
                                    ucrm_sync_dir_t direction, ucrm_error_t **errp);

/**
 * @brief The rule that applies to a field (its own, its compound field's, the object's "*", else none).
 * @param[out] owner      may be NULL; 0 when no rule applies
 * @param[out] direction  may be NULL; UCRM_SYNC_NONE when no rule applies
 * @returns UCRM_OK, or UCRM_ERR_NOENT when no rule applies; UCRM_ERR_INVALID_ARG.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_policy_get(const ucrm_policy_t *p, ucrm_owner_t *owner, ucrm_sync_dir_t *direction,
                                    ucrm_object_t object, const char *field);

/** @brief 1 if the field's direction includes every bit of direction, else 0 (also for bad arguments).
 *         @since 1.0.0 */
UCRM_API int ucrm_policy_allows(const ucrm_policy_t *p, ucrm_object_t object, const char *field,
                                ucrm_sync_dir_t direction);

/**
 * @brief Which side's value wins for a field that both sides changed: the owner, or for UCRM_OWNER_NEWEST the
 *        later of the two change times (ties: the CRM). For a one-way field the side it flows from always wins.
 * @returns UCRM_OWNER_CRM or UCRM_OWNER_PRODUCT; 0 when no rule applies or for bad arguments.
 * @since 1.0.0
 */
UCRM_API ucrm_owner_t ucrm_policy_resolve(const ucrm_policy_t *p, ucrm_object_t object, const char *field,
                                          int64_t crm_changed_at_ms, int64_t product_changed_at_ms);

/**
 * @brief Keeps the fields of a change set that may be written in the given direction.
 *
 * out gets a copy of rec (same object and id, fields keep their dirty marks) with only the fields whose rule
 * allows direction; for UCRM_SYNC_FROM_CRM the fields that echo one of our recent writes (see
 * ucrm_policy_note_write()) are dropped as well, so that our own change is not applied back.
 * @param[out] out      the filtered record; destroy with ucrm_record_destroy()
 * @param[out] echoes   how many fields were dropped as echoes; may be NULL
 * @param direction     UCRM_SYNC_FROM_CRM (a change read from the CRM, about to be applied to the application) or
 *                      UCRM_SYNC_TO_CRM (an application change about to be written, e.g. with ucrm_update())
 * @param now_ms        the current time, or 0 for the system clock
 * @returns UCRM_OK, UCRM_ERR_INVALID_ARG, UCRM_ERR_NOMEM.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_policy_filter(ucrm_policy_t *p, ucrm_record_t **out, size_t *echoes,
                                       const ucrm_record_t *rec, ucrm_sync_dir_t direction, int64_t now_ms,
                                       ucrm_error_t **errp);

/**
 * @brief Remembers what we are writing to the CRM, so that the change events the CRM sends back for it are
 *        recognised as echoes. Call it just before the write (ucrm_update(), a batch) with the record being
 *        written; for a create, just after it (the id is known only then). Every field present in rec is
 *        remembered (a compound field also as its components: address.city, phone_numbers.mobile), by a
 *        fingerprint of its value, for the echo window; the record itself is remembered too (for creation
 *        events).
 * @returns UCRM_OK; UCRM_ERR_INVALID_ARG (no id); UCRM_ERR_NOMEM.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_policy_note_write(ucrm_policy_t *p, const ucrm_record_t *rec, int64_t now_ms,
                                           ucrm_error_t **errp);

/** @brief Remembers that we are deleting a record (deletion events for it are then echoes). @since 1.0.0 */
UCRM_API ucrm_err_t ucrm_policy_note_delete(ucrm_policy_t *p, ucrm_object_t object, const char *id,
                                            int64_t now_ms, ucrm_error_t **errp);

/**
 * @brief Declares a source that is us: an event whose ucrm_event_source(), ucrm_event_source_id() or
 *        ucrm_event_user() equals it (exactly) is an echo, whatever its content (e.g. our HubSpot app id as
 *        sourceId, our Salesforce integration user id, or the client id we send in Sforce-Call-Options).
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_policy_add_echo_source(ucrm_policy_t *p, const char *source, ucrm_error_t **errp);

/**
 * @brief Sets how long write fingerprints are kept (ttl_ms > 0) and how many at most (capacity >= 1; the
 *        oldest go first). Existing fingerprints are kept (and dropped down to the new capacity).
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_policy_set_echo_window(ucrm_policy_t *p, int64_t ttl_ms, size_t capacity);

/**
 * @brief 1 if the event is an echo of our own write, else 0 (also for bad arguments):
 *        its source is one of ours (ucrm_policy_add_echo_source()); or, within the echo window, a property change
 *        whose value equals the value we wrote to that field of that record; a creation of a record we wrote;
 *        a deletion of a record we deleted.
 * Values are compared after normalising both sides: numbers by value ("1500.250" = "1500.25"), dates and
 * date-times as epoch ms (HubSpot sends dates as epoch-ms text), null = "". A value the CRM transforms (e.g. a
 * probability HubSpot stores as a fraction) never matches, so such an echo is not recognised and is applied
 * back: harmless, since it carries our own value.
 * @since 1.0.0
 */
UCRM_API int ucrm_policy_is_echo(ucrm_policy_t *p, const ucrm_event_t *ev, int64_t now_ms);

/* ---------------------------------------------------------------------------------------------- reconciliation */
/*
 * The "truth pass": webhooks and change events can be lost (an endpoint down for longer than the provider
 * retries, a Change Data Capture gap), so an application periodically asks the CRM what changed since the last
 * pass, compares it with its own copy, and repairs the difference. A pass is incremental: it lists every record
 * of one object modified since a checkpoint, deleted ones included (ucrm_list() with updated_since and
 * include_deleted: HubSpot's search plus its archived records, Salesforce's queryAll plus its deleted/ list), asks
 * the application for its view of each one, and reports the drift:
 *
 *   MISSING  live in the CRM, unknown to the application;
 *   STALE    in both, but the application's copy differs in the compared fields;
 *   EXTRA    held by the application but deleted in the CRM, or (at the end of a full pass only, with the
 *            application's ids given through ucrm_recon_add_app_id()) not in the CRM at all.
 *
 * It ends with the next checkpoint, an opaque string the application stores and passes to the next pass.
 *
 *   ucrm_recon_t *r = NULL;
 *   if (ucrm_recon_new(&r, client, UCRM_OBJECT_CONTACT, load_checkpoint(), NULL, &e) < 0) ...
 *   ucrm_recon_set_fields(r, "first_name,last_name,email,title", &e);
 *   ucrm_recon_set_lookup(r, my_lookup, db);   (calls ucrm_recon_view_set_fingerprint() or _set_record())
 *   if (ucrm_recon_run(r, &e) == UCRM_OK) {
 *       for (size_t i = 0; i < ucrm_recon_drift_count(r); i++) repair(ucrm_recon_drift_kind(r, i), ...);
 *       store_checkpoint(ucrm_recon_checkpoint(r));
 *   }
 *   ucrm_recon_destroy(r);
 *
 * The application's view is given either as a fingerprint (ucrm_record_fingerprint() of the record as it last
 * applied it: one short string per row to store) or as a record built from its own data (then the drift says
 * which fields differ).
 */

/** A reconciliation pass over one object of one client. Not thread-safe: one thread at a time (the client it
 *  uses may be shared). */
typedef struct ucrm_recon_s ucrm_recon_t;
/** The application's answer about one record, valid only inside the lookup callback it is passed to. */
typedef struct ucrm_recon_view_s ucrm_recon_view_t;

/** What a drift item says. Values are fixed forever. */
typedef enum ucrm_drift_e {
    UCRM_DRIFT_MISSING = 1, /**< live in the CRM, absent from the application: add it */
    UCRM_DRIFT_STALE   = 2, /**< the application's copy differs from the CRM's: update it */
    UCRM_DRIFT_EXTRA   = 3  /**< the application holds a record the CRM deleted (or, on a full pass, never had) */
} ucrm_drift_t;

/**
 * The application's view of one CRM record, asked once for each record the pass examines (deleted ones
 * included). Say what the application holds with ucrm_recon_view_set_fingerprint() or
 * ucrm_recon_view_set_record(); calling neither means "not held" (unless the id was given to
 * ucrm_recon_add_app_id()). crm_record is borrowed for the duration of the call (its is_deleted field is true
 * for a deleted record). Return 0, or non-zero to stop the pass with UCRM_ERR_USER (ucrm_error_user_code() gives
 * the value; the same step can be repeated and starts again at this record). Runs on the thread that called
 * ucrm_recon_step() / ucrm_recon_run(), during that call.
 */
typedef int ucrm_recon_lookup_cb(ucrm_object_t object, const char *id, const ucrm_record_t *crm_record,
                                 ucrm_recon_view_t *view, void *opaque);

/**
 * @brief A fingerprint of a record's values for the given fields: "f1:" and 32 hex digits (128 bits of SHA-256
 *        over the fields' names and normalised values).
 *
 * Values are normalised so that what means the same gives the same fingerprint whichever provider or
 * application wrote it: numbers by value ("1500.250" = "1500.25"), dates and date-times as epoch ms, an absent
 * field = null = "" = an empty list or object, object members in name order with null and "" members left out.
 * A component ("address.city", "phone_numbers.mobile": the number of the entry of that type) takes that part of
 * the compound field. The order of fields_csv does not matter. Stable across platforms and within a major
 * version of the library, so fingerprints can be stored.
 * @param[out] out     the fingerprint; free with ucrm_free()
 * @param fields_csv   comma-separated unified fields of rec's object, components, or custom.<name>; NULL or ""
 *                     for the default set: every unified field of the object that is neither read-only nor
 *                     common (id, created_at, updated_at, is_deleted, deal status)
 * @returns UCRM_OK; UCRM_ERR_INVALID_ARG (NULL out or rec); UCRM_ERR_INVALID_FIELD (a name that is not a
 *          field of the object); UCRM_ERR_NOMEM.
 * @remark Threading: any thread (rec is only read).
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_record_fingerprint(char **out, const ucrm_record_t *rec, const char *fields_csv,
                                            ucrm_error_t **errp);

/**
 * @brief Prepares a reconciliation pass (no request is made until the first ucrm_recon_step()).
 * @param[out] out      destroy with ucrm_recon_destroy()
 * @param client        the CRM account; the pass keeps a reference: destroy the pass before the client
 * @param checkpoint    NULL or "" for a full pass (every record, and the "not in the CRM at all" kind of EXTRA);
 *                      else a checkpoint from ucrm_recon_checkpoint() of an earlier pass of the same provider and
 *                      object: the records modified since that pass (a checkpoint taken in the middle of a pass
 *                      continues that pass where it stopped)
 * @param opts          optional, copied: page size, priority (LOW suits a background pass), timeout, maximum
 *                      limiter wait, fields to read (leave them unset, or include every compared field: a field
 *                      not read compares as null); updated_since and include_deleted are set by the pass
 * @returns UCRM_OK; UCRM_ERR_INVALID_ARG (NULL client or out, unknown object, a checkpoint that is malformed or
 *          of another provider or object: the message says which); UCRM_ERR_NOMEM.
 * @remark Threading: the pass is not thread-safe; the client may be used by other threads meanwhile.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_recon_new(ucrm_recon_t **out, ucrm_client_t *client, ucrm_object_t object,
                                   const char *checkpoint, const ucrm_reqopts_t *opts, ucrm_error_t **errp);

/** @brief Destroys a pass and its drift items. NULL is ignored. @since 1.0.0 */
UCRM_API void ucrm_recon_destroy(ucrm_recon_t *r);

/**
 * @brief The fields compared (as ucrm_record_fingerprint()'s fields_csv; NULL or "" restores the default). Set it
 *        before the first step, to the fields the application keeps in step with the CRM.
 * @returns UCRM_OK; UCRM_ERR_INVALID_FIELD; UCRM_ERR_INVALID_ARG (NULL pass, or the pass has started);
 *          UCRM_ERR_NOMEM.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_recon_set_fields(ucrm_recon_t *r, const char *fields_csv, ucrm_error_t **errp);

/**
 * @brief Sets the callback that gives the application's view of each record (NULL removes it).
 * @param opaque  passed to the callback; never dereferenced by unicrm
 * @returns UCRM_OK, UCRM_ERR_INVALID_ARG (NULL pass).
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_recon_set_lookup(ucrm_recon_t *r, ucrm_recon_lookup_cb *cb, void *opaque);

/**
 * @brief Declares that the application holds the record with this id (copied). A record whose id was added is
 *        held even when the lookup callback says nothing about it; at the end of a full pass (no checkpoint),
 *        every added id the CRM did not list, live or deleted, is reported as EXTRA with no record. For an
 *        incremental pass, ids are only a presence set (records the CRM did not list are unchanged, not extra).
 * @returns UCRM_OK; UCRM_ERR_INVALID_ARG (NULL pass, NULL or empty id, or the pass has finished); UCRM_ERR_NOMEM.
 * @remark Memory: one copy of each id until the pass is destroyed.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_recon_add_app_id(ucrm_recon_t *r, const char *id, ucrm_error_t **errp);

/**
 * @brief How far the next checkpoint reaches back before the newest modification the pass saw (default 120000
 *        ms). Records modified inside this overlap are examined again by the next pass (harmless: they compare
 *        equal); it covers HubSpot's search index lag ("a few moments"), Salesforce's second-precision
 *        timestamps, transactions that commit late, and Salesforce's deleted-records list, which covers whole
 *        minutes.
 * @returns UCRM_OK, UCRM_ERR_INVALID_ARG (NULL pass, negative value).
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_recon_set_overlap_ms(ucrm_recon_t *r, int64_t ms);

/**
 * @brief Examines one page of records (fetching it through the client: rate limiter, tokens and retries apply).
 * @returns UCRM_OK when a page was examined; UCRM_ITEROVER when the pass is complete (every drift item and the
 *          final checkpoint are then known; further calls return UCRM_ITEROVER); UCRM_ERR_USER when the lookup
 *          callback stopped it; any error of ucrm_iter_next_page(). After an error nothing is lost: calling
 *          again repeats the failed fetch or continues at the record whose callback failed.
 * @remark Threading: the lookup callback runs on this thread, during this call.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_recon_step(ucrm_recon_t *r, ucrm_error_t **errp);

/**
 * @brief Runs the pass to its end (ucrm_recon_step() until UCRM_ITEROVER).
 * @returns UCRM_OK when the pass is complete, else the error of the failing step (the pass can be run again
 *          from there, or continued later from ucrm_recon_checkpoint()).
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_recon_run(ucrm_recon_t *r, ucrm_error_t **errp);

/**
 * @brief The checkpoint to store: after a complete pass, where the next pass starts (the newest modification
 *        seen minus the overlap, never earlier than this pass's own start; unchanged when nothing was listed);
 *        before that, the point this pass has reached (its last complete page), from which ucrm_recon_new()
 *        continues it. Printable ASCII, at most a few hundred bytes; opaque: its format may change in a later
 *        version, which still reads the older forms.
 * @returns the checkpoint, or NULL for a NULL pass or out of memory.
 * @remark Lifetime: borrowed; valid until the next call on the pass.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_recon_checkpoint(ucrm_recon_t *r);

/** @brief How many CRM records the pass has examined so far (live and deleted). @since 1.0.0 */
UCRM_API size_t ucrm_recon_examined(const ucrm_recon_t *r);

/**
 * @brief Number of drift items found so far, in the order found (at most one per record id: a record listed
 *        twice, e.g. modified during the pass, is reported once, as last seen).
 * @since 1.0.0
 */
UCRM_API size_t ucrm_recon_drift_count(const ucrm_recon_t *r);

/** @brief The kind of drift item i, or 0 when out of range. @since 1.0.0 */
UCRM_API ucrm_drift_t ucrm_recon_drift_kind(const ucrm_recon_t *r, size_t i);

/**
 * @brief The record id of drift item i (the CRM's id), or NULL when out of range.
 * @remark Lifetime: borrowed; valid until the pass is destroyed.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_recon_drift_id(const ucrm_recon_t *r, size_t i);

/**
 * @brief The CRM's record of drift item i, as listed (for EXTRA: the deleted record, is_deleted true), or NULL
 *        for an EXTRA the CRM never listed, or out of range.
 * @remark Lifetime: borrowed; valid until the pass is destroyed. Copy it with ucrm_record_dup() to keep it.
 * @since 1.0.0
 */
UCRM_API const ucrm_record_t *ucrm_recon_drift_record(const ucrm_recon_t *r, size_t i);

/**
 * @brief For a STALE item found by comparing records (ucrm_recon_view_set_record()): the fields that differ,
 *        comma-separated in name order ("email,title"); NULL otherwise (a fingerprint says only that something
 *        differs).
 * @remark Lifetime: borrowed; valid until the pass is destroyed.
 * @since 1.0.0
 */
UCRM_API const char *ucrm_recon_drift_fields(const ucrm_recon_t *r, size_t i);

/**
 * @brief In the lookup callback: the application holds the record, and this is the fingerprint
 *        (ucrm_record_fingerprint() with the pass's fields) of its copy; NULL means "held, do not compare".
 *        The text is compared during the call and not kept.
 * @returns UCRM_OK; UCRM_ERR_INVALID_ARG (NULL view); UCRM_ERR_NOMEM.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_recon_view_set_fingerprint(ucrm_recon_view_t *view, const char *fingerprint);

/**
 * @brief In the lookup callback: the application holds the record, and app_record is its copy (only read, during
 *        the call). The pass's fields are compared one by one, normalised as ucrm_record_fingerprint() does; the
 *        names of those that differ become ucrm_recon_drift_fields().
 * @returns UCRM_OK; UCRM_ERR_INVALID_ARG (NULL view or record, a record of another object); UCRM_ERR_NOMEM.
 * @since 1.0.0
 */
UCRM_API ucrm_err_t ucrm_recon_view_set_record(ucrm_recon_view_t *view, const ucrm_record_t *app_record);

/* ============================================================================================== request observer:
 * server time */

/**
 * @brief The server's own processing time for this attempt, in microseconds, as the server reported it in a
 *        `Server-Timing` response header (W3C Server Timing: the first metric's `dur`, in milliseconds, e.g.
 *        `app;dur=1.234`); 0 when the response had no such header (Salesforce and HubSpot send none; the local
 *        fake and some proxies do) or no response arrived.
 *
 * With ucrm_request_info_elapsed_us() it splits an attempt's time on the wire into the server's part and the
 * rest (network, TLS, HTTP parsing), e.g. to see what a client adds under load. Read by the libcurl transport
 * and, for application transports (<unicrm/sys/transport.h>), from the header they add to the response.
 * @remark NULL-safe (0); valid only during the observer callback, like the other ucrm_request_info_* accessors.
 * @since 1.0.0
 */
UCRM_API int64_t ucrm_request_info_server_time_us(const ucrm_request_info_t *info);

#ifdef __cplusplus
}
#endif

#endif /* UNICRM_UNICRM_H */
