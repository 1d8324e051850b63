/* authsrv.c -- see authsrv.h. Uses no unicrm allocation of its own (the secret-scan test counts on it). */
#include "authsrv.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TOKENS 4096

struct authsrv {
    pthread_mutex_t lock;
    int64_t ttl_ms;
    int delay_ms;
    bool rotate, revoked, no_expiry;
    char prefix[16];
    char refresh[64];      /* the refresh token accepted now */
    int next;              /* tokens issued */
    int min_valid;         /* tokens below are invalidated */
    int64_t expires[MAX_TOKENS];
    int token_requests, api_requests, api_401, refresh_seq;
    char last_bearer[128];
};

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void reply(ucrm_http_response_t *resp, int status, const char *body) {
    ucrm_http_response_set_status(resp, status);
    ucrm_http_response_add_header(resp, "Content-Type", "application/json");
    ucrm_http_response_append_body(resp, body, strlen(body));
}

static void token_endpoint(authsrv_t *s, const ucrm_http_request_t *req, ucrm_http_response_t *resp) {
    pthread_mutex_lock(&s->lock);
    s->token_requests++;
    int delay = s->delay_ms;
    pthread_mutex_unlock(&s->lock);
    if (delay) {
        struct timespec ts = {delay / 1000, (long)(delay % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    const char *body = ucrm_http_request_body(req, NULL);
    char want[96], out[512];
    pthread_mutex_lock(&s->lock);
    snprintf(want, sizeof want, "refresh_token=%s", s->refresh);
    if (s->revoked || !body || !strstr(body, want) || s->next >= MAX_TOKENS) {
        pthread_mutex_unlock(&s->lock);
        reply(resp, 400, "{\"error\":\"invalid_grant\",\"message\":\"refresh token is invalid, expired or revoked\"}");
        return;
    }
    int n = s->next++;
    s->expires[n] = mono_ms() + s->ttl_ms;
    int len = snprintf(out, sizeof out, "{\"access_token\":\"%s%d\"", s->prefix, n);
    if (!s->no_expiry)
        len += snprintf(out + len, sizeof out - (size_t)len, ",\"expires_in\":%.3f", (double)s->ttl_ms / 1000.0);
    if (s->rotate) {
        snprintf(s->refresh, sizeof s->refresh, "RT-%d", ++s->refresh_seq);
        len += snprintf(out + len, sizeof out - (size_t)len, ",\"refresh_token\":\"%s\"", s->refresh);
    }
    snprintf(out + len, sizeof out - (size_t)len, "}");
    pthread_mutex_unlock(&s->lock);
    reply(resp, 200, out);
}

static void api(authsrv_t *s, const ucrm_http_request_t *req, ucrm_http_response_t *resp) {
    const char *auth = ucrm_http_request_header_get(req, "Authorization");
    pthread_mutex_lock(&s->lock);
    s->api_requests++;
    snprintf(s->last_bearer, sizeof s->last_bearer, "%s", auth ? auth : "");
    size_t pl = strlen(s->prefix);
    bool ok = false;
    if (auth && strncmp(auth, "Bearer ", 7) == 0 && strncmp(auth + 7, s->prefix, pl) == 0) {
        int n = atoi(auth + 7 + pl);
        ok = n >= s->min_valid && n < s->next && mono_ms() < s->expires[n];
    }
    if (!ok)
        s->api_401++;
    pthread_mutex_unlock(&s->lock);
    if (ok)
        reply(resp, 200, "{\"id\":\"42\",\"fields\":{\"first_name\":\"Ada\"}}");
    else
        reply(resp, 401, "{\"error\":\"EXPIRED\",\"message\":\"the access token expired\"}");
}

static ucrm_err_t as_send(void *opaque, const ucrm_http_request_t *req, ucrm_http_response_t *resp) {
    authsrv_t *s = opaque;
    const char *url = ucrm_http_request_url(req);
    size_t n = strlen(url);
    if (n >= 6 && strcmp(url + n - 6, "/token") == 0)
        token_endpoint(s, req, resp);
    else
        api(s, req, resp);
    return UCRM_OK;
}

authsrv_t *authsrv_new(int64_t ttl_ms, const char *refresh_token, const char *prefix) {
    authsrv_t *s = calloc(1, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    s->ttl_ms = ttl_ms;
    snprintf(s->refresh, sizeof s->refresh, "%s", refresh_token);
    snprintf(s->prefix, sizeof s->prefix, "%s", prefix);
    return s;
}

void authsrv_free(authsrv_t *s) {
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void authsrv_install(authsrv_t *s, ucrm_conf_t *conf) {
    ucrm_transport_t t;
    ucrm_transport_init(&t, UCRM_TRANSPORT_VERSION);
    t.opaque = s;
    t.send = as_send;
    ucrm_conf_set_transport(conf, &t);
}

#define SETTER(name, field, type)                                                                                    \
    void name(authsrv_t *s, type v) {                                                                                \
        pthread_mutex_lock(&s->lock);                                                                                \
        s->field = v;                                                                                                \
        pthread_mutex_unlock(&s->lock);                                                                              \
    }
SETTER(authsrv_set_delay, delay_ms, int)
SETTER(authsrv_set_rotate, rotate, bool)
SETTER(authsrv_set_revoked, revoked, bool)
SETTER(authsrv_set_no_expiry, no_expiry, bool)
#undef SETTER

void authsrv_invalidate_all(authsrv_t *s) {
    pthread_mutex_lock(&s->lock);
    s->min_valid = s->next;
    pthread_mutex_unlock(&s->lock);
}

void authsrv_issue(authsrv_t *s, char *out, size_t outsz) {
    pthread_mutex_lock(&s->lock);
    int n = s->next < MAX_TOKENS ? s->next++ : MAX_TOKENS - 1;
    s->expires[n] = mono_ms() + s->ttl_ms;
    snprintf(out, outsz, "%s%d", s->prefix, n);
    pthread_mutex_unlock(&s->lock);
}

#define GETTER(name, field)                                                                                          \
    int name(authsrv_t *s) {                                                                                         \
        pthread_mutex_lock(&s->lock);                                                                                \
        int v = s->field;                                                                                            \
        pthread_mutex_unlock(&s->lock);                                                                              \
        return v;                                                                                                    \
    }
GETTER(authsrv_token_requests, token_requests)
GETTER(authsrv_api_requests, api_requests)
GETTER(authsrv_api_401, api_401)
#undef GETTER

void authsrv_last_bearer(authsrv_t *s, char *out, size_t outsz) {
    pthread_mutex_lock(&s->lock);
    snprintf(out, outsz, "%s", s->last_bearer);
    pthread_mutex_unlock(&s->lock);
}
