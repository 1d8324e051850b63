/*
 * client_int.h -- the client: provider vtable + adapter state, a private copy of the configuration, the
 * transport, the shared limiter, the token layer and stats.
 */
#ifndef UCRM_CLIENT_INT_H
#define UCRM_CLIENT_INT_H

#include "auth_int.h"
#include "common_int.h"
#include "conf_int.h"
#include "http_int.h"
#include "provider_int.h"
#include "ratelimit_int.h"
#include "stats_int.h"

struct ucrm_client_s {
    const ucrm_provider_t *provider;
    void *pstate;
    ucrm_conf_t *conf;             /* private copy */
    ucrm_http_t *http;             /* NULL when an application transport is set */
    bool has_transport;
    ucrm_transport_t transport;
    ucrm_limiter_t *limiter;
    ucrm_auth_t *auth;
    ucrm_stats_t *stats;
    /* settings read once from conf */
    int64_t timeout_ms;            /* per attempt */
    int64_t connect_timeout_ms;
    int64_t retry_max;
    int64_t backoff_ms, backoff_max_ms;
    int64_t budget_ms;             /* whole call, retries and waits included */
    int64_t wait_max_ms;
    int log_level;
    bool log_stderr;
};

/* Logging through the configured callback (or stderr); never pass secrets. */
void ucrm_client__log(ucrm_client_t *c, int level, const char *facility, const char *fmt, ...) UCRM__PRINTF(4, 5);

/* The upsert key for object: key_field when given, else the configured upsert.<object>.key, else NULL. */
const char *ucrm__upsert_key(const ucrm_client_t *c, ucrm_object_t object, const char *key_field);

#endif /* UCRM_CLIENT_INT_H */
