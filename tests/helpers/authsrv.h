/*
 * authsrv.h -- an in-process "provider" for token-layer tests, installed as the transport of a configuration:
 * a token endpoint (any URL ending in /token, testprov's refresh-token grant) that issues AT-<n> tokens with a
 * server-side lifetime and counts requests, and an API that answers GET with a contact when the bearer is a
 * valid token and 401 {"error":"EXPIRED"} otherwise. Thread-safe; the token endpoint can be slowed down, can
 * rotate refresh tokens, can refuse (revoked refresh token), and every issued token can be invalidated at once.
 */
#ifndef UCRM_TESTS_AUTHSRV_H
#define UCRM_TESTS_AUTHSRV_H

#include <stdbool.h>
#include <stdint.h>

#include <unicrm/sys/transport.h>

typedef struct authsrv authsrv_t;

/* ttl_ms: lifetime of issued tokens (sent as expires_in, in seconds with a fraction); refresh_token: the one
 * the endpoint accepts at first; prefix: the access tokens' prefix ("AT-"). */
authsrv_t *authsrv_new(int64_t ttl_ms, const char *refresh_token, const char *prefix);
void authsrv_free(authsrv_t *s);
void authsrv_install(authsrv_t *s, ucrm_conf_t *conf);

void authsrv_set_delay(authsrv_t *s, int token_delay_ms); /* the token endpoint answers this late */
void authsrv_set_rotate(authsrv_t *s, bool rotate);        /* issue a new refresh token with each access token */
void authsrv_set_revoked(authsrv_t *s, bool revoked);      /* 400 invalid_grant for every token request */
void authsrv_set_no_expiry(authsrv_t *s, bool omit);       /* omit expires_in (like Salesforce) */
void authsrv_invalidate_all(authsrv_t *s);                 /* every token issued so far is now rejected */
/* Issues a valid access token without a token request (as the application's own OAuth flow would). */
void authsrv_issue(authsrv_t *s, char *out, size_t outsz);

int authsrv_token_requests(authsrv_t *s);
int authsrv_api_requests(authsrv_t *s);
int authsrv_api_401(authsrv_t *s);
/* The bearer of the last API request (copied into out). */
void authsrv_last_bearer(authsrv_t *s, char *out, size_t outsz);

#endif
