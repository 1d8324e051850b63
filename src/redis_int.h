/*
 * redis_int.h -- the Redis connection layer under the Redis limiter (redis_limiter.c) and token store
 * (redis_tokens.c). Built only with hiredis (UCRM_WITH_REDIS); hiredis 0.14's synchronous API.
 *
 * An endpoint (ucrm_redis_t) is one Redis server as redis.url and redis.timeout.ms name it, shared (reference
 * counted) by every limiter and token store of the process that uses it. It keeps a small locked pool of
 * connections (hiredis contexts are not thread-safe: a thread takes one for one command and gives it back), with
 * connect and command timeouts, and a reconnect backoff: after a failure no connection is tried for 100 ms,
 * doubling up to 5 s, and commands in between fail at once ("unreachable") instead of each waiting for a timeout.
 *
 * Scripts run with EVALSHA; a NOSCRIPT answer (a restarted or flushed server) loads the script with SCRIPT LOAD
 * and runs it again. A command whose answer is not needed at once (the limiter's done) is written without
 * waiting: its answer is read when the connection is next used.
 *
 * Safety: writes to a socket the server has closed raise SIGPIPE, which hiredis 0.14 does not suppress; every
 * command runs with SIGPIPE blocked in the calling thread and a SIGPIPE it caused is consumed, so an application
 * is never killed by a Redis restart and its own signal disposition is untouched. Connections are close-on-exec,
 * and a forked child never uses its parent's connections. hiredis allocates with malloc, not through
 * ucrm_global_set_allocator()'s hooks.
 *
 * Errors: UCRM_ERR_TRANSPORT with a message naming the server (host:port/db, never the password) and the cause;
 * retriable, with the time until the next connection attempt as the retry-after.
 */
#ifndef UCRM_REDIS_INT_H
#define UCRM_REDIS_INT_H

#include "common_int.h"
#include "conf_int.h"

struct redisReply;

/* The reconnect backoff's bounds (redis.c): a process that makes calls finds Redis back at most this long after
 * it is (the Redis limiter's recovery period counts on it). */
#define UCRM_REDIS_BACKOFF_MIN_US INT64_C(100000)
#define UCRM_REDIS_BACKOFF_MAX_US INT64_C(5000000)

/* "hiredis/0.14.1 (no TLS)": what ucrm_feature_backend(UCRM_FEATURE_REDIS) reports. */
const char *ucrm_redis__version(void);
/* The value of a hexadecimal digit, or -1. */
int ucrm_redis__hexval(char c);

/* redis://[[user]:password@]host[:port][/db], parsed. Strings owned (password wiped on free). */
typedef struct ucrm_redis_url {
    char *user;     /* NULL: the default user */
    char *password; /* NULL: no AUTH */
    char *host;     /* without the brackets of an IPv6 literal */
    int port;
    int db;
} ucrm_redis_url_t;

/* Parses url. false with *why a static reason (never quoting the URL) when malformed, or with *why NULL when
 * out of memory. */
bool ucrm_redis__parse_url(const char *url, ucrm_redis_url_t *out, const char **why);
void ucrm_redis__url_free(ucrm_redis_url_t *u);

typedef struct ucrm_redis ucrm_redis_t;

/* A Lua script, run by its SHA-1 (computed on first use). Define them static with name and parts set: the text
 * is the concatenation of parts (NULL-terminated; C limits one string literal to 4095 characters). */
typedef struct ucrm_redis_script {
    const char *name; /* for messages */
    const char *const *parts;
    char sha[41];
    int once;         /* internal: sha computed */
} ucrm_redis_script_t;

/* Finds or creates the endpoint for conf's redis.url / redis.timeout.ms (no connection is made yet). */
ucrm_err_t ucrm_redis__get(ucrm_redis_t **out, const ucrm_conf_t *conf, ucrm_error_t **errp);
void ucrm_redis__release(ucrm_redis_t *r);

/* "host:port/db", for messages (no password). */
const char *ucrm_redis__where(const ucrm_redis_t *r);

/* Runs s with argv[0..nkeys-1] as KEYS and the rest as ARGV (argc in all; lens may be NULL for C strings).
 * On UCRM_OK *reply holds the answer (free with ucrm_redis__reply_free); a Lua error is an error here. */
ucrm_err_t ucrm_redis__eval(ucrm_redis_t *r, ucrm_redis_script_t *s, int nkeys, int argc, const char *const *argv,
                            const size_t *lens, struct redisReply **reply, ucrm_error_t **errp);
/* The same without waiting for the answer: it is read, and an error in it counted (stats "async_errors"), when
 * the connection is next used. UCRM_OK once the command is written. */
ucrm_err_t ucrm_redis__eval_async(ucrm_redis_t *r, ucrm_redis_script_t *s, int nkeys, int argc,
                                  const char *const *argv, const size_t *lens, ucrm_error_t **errp);
void ucrm_redis__reply_free(struct redisReply *reply);
/* Wipes the strings of an answer (tokens) before freeing it. */
void ucrm_redis__reply_free_secret(struct redisReply *reply);

/* Reading answers: element i of an array answer (or the answer itself with i < 0). */
bool ucrm_redis__reply_int(const struct redisReply *reply, int i, int64_t *out);    /* integer or numeric text */
const char *ucrm_redis__reply_str(const struct redisReply *reply, int i, size_t *len); /* NULL: nil/absent */
size_t ucrm_redis__reply_len(const struct redisReply *reply);                        /* array elements */

/* Is the endpoint in its reconnect backoff (the last attempt failed and the next is not due)? */
bool ucrm_redis__backing_off(ucrm_redis_t *r);

/* Figures as JSON members ("where":...,"state":...,...) appended to buf. */
void ucrm_redis__stats_json(ucrm_redis_t *r, ucrm_buf_t *buf);

#endif /* UCRM_REDIS_INT_H */
