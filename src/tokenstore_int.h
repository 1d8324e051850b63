/*
 * tokenstore_int.h -- where the token layer (auth.c) shares its token beyond one client.
 *
 * token.store=memory (the default) has no store object: the token lives in the client's ucrm_auth, whose lock
 * and condition variable make its refresh single-flight among the client's threads (auth.c).
 *
 * token.store=redis (redis_tokens.c) shares it between processes and hosts. The client still keeps the current
 * token and uses it without asking anyone; it goes to the store only when it needs another one (none yet, near
 * its end of life, rejected by the provider):
 *   1. load: a newer token than the one it has (another process refreshed) is taken over as it is;
 *   2. otherwise lock: one process at a time holds the refresh lock, which expires by itself (a holder that dies
 *      does not block the others for longer than ttl_ms) and comes with a fencing token;
 *   3. the holder loads again (a refresh may have landed between 1 and 2), refreshes with the stored refresh
 *      token, stores the new access token and the rotated refresh token together, and unlocks;
 *   4. the others, finding the lock held, keep using their token while it is valid, else wait for the version
 *      to change (or the lock to go) and start again at 1.
 * A store is refused (UCRM_ERR_STATE) when a holder with a larger fencing token has stored since: a holder whose
 * lock expired during a slow refresh cannot overwrite a newer token. The refresh token is secret: a store never
 * logs it, and may encrypt it (redis.token.key).
 *
 * All functions are thread-safe; impl is one store for one account's credentials.
 */
#ifndef UCRM_TOKENSTORE_INT_H
#define UCRM_TOKENSTORE_INT_H

#include "common_int.h"
#include "conf_int.h"
#include "provider_int.h"

typedef struct ucrm_tokenstore_ops {
    const char *name;
    /* The stored token (strings owned by *tok, free with ucrm_token__clear) and its version; *ver 0 and *tok
     * empty when nothing is stored. */
    ucrm_err_t (*load)(void *impl, ucrm_token_t *tok, uint64_t *ver, ucrm_error_t **errp);
    /* Takes the refresh lock for ttl_ms: *fence > 0 (larger than every fence handed out before) when taken, 0
     * when someone else holds it. */
    ucrm_err_t (*lock)(void *impl, int64_t ttl_ms, uint64_t *fence, ucrm_error_t **errp);
    /* Stores tok as a new version (*ver): access token, expiry, issue time, and the refresh token and instance
     * URL when tok has them (else the stored ones stay). fence: the lock's; refused with UCRM_ERR_STATE when a
     * holder of a larger fence has stored since. fence 0: unconditionally (a token the application set), which
     * also fences out every lock taken before. */
    ucrm_err_t (*store)(void *impl, uint64_t fence, const ucrm_token_t *tok, uint64_t *ver, ucrm_error_t **errp);
    /* Releases the lock if fence still holds it. */
    void (*unlock)(void *impl, uint64_t fence);
    /* Returns when the stored version is no longer ver or nobody holds the lock (polling the store), or fails
     * with UCRM_ERR_TIMEOUT at deadline_us (monotonic). */
    ucrm_err_t (*wait)(void *impl, uint64_t ver, int64_t deadline_us, ucrm_error_t **errp);
    /* "redis at host:port/db" (for messages). */
    const char *(*where)(void *impl);
    void (*destroy)(void *impl);
} ucrm_tokenstore_ops_t;

/* Opens the store conf's token.store names for the account: *ops stays NULL for memory. key: the account key
 * (ratelimit.key or its default), app: a digest of who the token is for, without the tokens themselves (so
 * that a rotated or newly configured refresh token still finds the shared entry). */
ucrm_err_t ucrm_tokenstore__open(const ucrm_conf_t *conf, const char *key, const char *app,
                                 const ucrm_tokenstore_ops_t **ops, void **impl, ucrm_error_t **errp);

#ifdef UCRM_WITH_REDIS
extern const ucrm_tokenstore_ops_t ucrm_tokenstore__redis;
ucrm_err_t ucrm_tokenstore__redis_open(void **impl, const ucrm_conf_t *conf, const char *key, const char *app,
                                       ucrm_error_t **errp);
#endif

#endif /* UCRM_TOKENSTORE_INT_H */
