/*
 * auth_int.h -- the token layer the pipeline calls in stage 2.
 *
 * Static bearer, OAuth refresh-token flow, Salesforce client credentials and JWT bearer. Proactive refresh at
 * auth.refresh.percent of the lifetime, refresh-on-401 with a single replay, single-flight refresh (one request
 * however many threads find the token stale), cooldown after a failed refresh, token callback after each
 * refresh. The adapter builds and parses the token request (provider->token_request/token_parse). With
 * token.store=redis the token is shared by processes through the store of tokenstore_int.h.
 */
#ifndef UCRM_AUTH_INT_H
#define UCRM_AUTH_INT_H

#include "common_int.h"
#include "conf_int.h"
#include "pipeline_int.h"

typedef struct ucrm_auth ucrm_auth_t;

/* account_key: the limiter's key for the account (ratelimit.key or its default), which names the shared token
 * store's entry with token.store=redis. */
ucrm_err_t ucrm_auth__new(ucrm_auth_t **out, const ucrm_conf_t *conf, const char *account_key,
                          ucrm_error_t **errp);
void ucrm_auth__destroy(ucrm_auth_t *a);

/* Makes sure a usable access token exists (refreshing when needed) and writes "Bearer <token>" into bearer and
 * the API base URL (api.url, else the token's instance_url) into base. *gen identifies the token used, for
 * ucrm_auth__rejected(). */
ucrm_err_t ucrm_auth__ensure(ucrm_call_t *call, ucrm_buf_t *bearer, ucrm_buf_t *base, uint64_t *gen);

/* The provider rejected the token of generation gen (401). Returns UCRM_OK when a replay may succeed (a newer
 * token exists or a refresh is possible: the next ensure refreshes, once per generation), or UCRM_ERR_AUTH
 * when nothing can be done (static token). */
ucrm_err_t ucrm_auth__rejected(ucrm_call_t *call, uint64_t gen);

/* ucrm_client_set_token(). */
ucrm_err_t ucrm_auth__set_token(ucrm_auth_t *a, ucrm_client_t *c, const char *access_token,
                                const char *refresh_token, int64_t expires_at_ms, const char *instance_url,
                                ucrm_error_t **errp);

/* Which grant the configuration asks for (auth.method, or inferred when "auto"). */
ucrm_err_t ucrm_auth__grant(const ucrm_conf_t *conf, int *grant, ucrm_error_t **errp);

/* The account identity for the default ratelimit.key (e.g. a hash of the credentials, never the secret). */
ucrm_err_t ucrm_auth__account_key(const ucrm_conf_t *conf, ucrm_buf_t *out);

void ucrm_auth__stats_json(ucrm_auth_t *a, ucrm_buf_t *buf);

#endif /* UCRM_AUTH_INT_H */
