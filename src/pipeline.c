/*
 * pipeline.c -- the request pipeline (see pipeline_int.h for the stages). Everything that decides whether a
 * request is sent, re-sent or given up on lives here, once, for every provider and every call.
 */
#include "pipeline_int.h"
#include "client_int.h"
#include "error_int.h"
#include "reqopts_int.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>

/* An attempt is not started with less time than this left in the call's budget: it could only time out. */
#define MIN_ATTEMPT_US 5000

struct ucrm_request_info_s {
    const char *method;
    const char *path;
    const char *op;
    int status;
    int attempt;
    int64_t elapsed_us;
    int64_t wait_us;
    ucrm_err_t err;
    int64_t server_us;
};

UCRM_API const char *ucrm_request_info_method(const ucrm_request_info_t *i) { return i ? i->method : ""; }
UCRM_API const char *ucrm_request_info_path(const ucrm_request_info_t *i) { return i ? i->path : ""; }
UCRM_API const char *ucrm_request_info_operation(const ucrm_request_info_t *i) { return i ? i->op : ""; }
UCRM_API int ucrm_request_info_status(const ucrm_request_info_t *i) { return i ? i->status : 0; }
UCRM_API int ucrm_request_info_attempt(const ucrm_request_info_t *i) { return i ? i->attempt : 0; }
UCRM_API int64_t ucrm_request_info_elapsed_us(const ucrm_request_info_t *i) { return i ? i->elapsed_us : 0; }
UCRM_API int64_t ucrm_request_info_limiter_wait_us(const ucrm_request_info_t *i) { return i ? i->wait_us : 0; }
UCRM_API ucrm_err_t ucrm_request_info_error(const ucrm_request_info_t *i) { return i ? i->err : UCRM_OK; }
UCRM_API int64_t ucrm_request_info_server_time_us(const ucrm_request_info_t *i) { return i ? i->server_us : 0; }

void ucrm_req__init(ucrm_req_t *req, const char *method, ucrm_retry_class_t retry) {
    memset(req, 0, sizeof *req);
    req->method = method;
    req->retry = retry;
    req->bucket = UCRM_BUCKET_MAIN;
}

void ucrm_req__free(ucrm_req_t *req) {
    ucrm_buf__free(&req->url);
    ucrm_buf__free(&req->body);
    ucrm_hdrs__free(&req->headers);
}

void ucrm_call__init(ucrm_call_t *call, ucrm_client_t *c, const ucrm_reqopts_t *opts, const char *op,
                     ucrm_error_t **errp) {
    call->client = c;
    call->opts = opts;
    call->op = op;
    call->errp = errp;
    call->sent = 0;
    int64_t budget = ucrm_reqopts__timeout_ms(opts);
    if (budget <= 0)
        budget = c->budget_ms;
    call->deadline_us = ucrm__mono_us() + budget * 1000;
}

void *ucrm_call__pstate(const ucrm_call_t *call) { return call->client->pstate; }
const ucrm_conf_t *ucrm_call__conf(const ucrm_call_t *call) { return call->client->conf; }

/* ---------------------------------------------------------------------------------------------- helpers */

/* The URL path without query string, for logs and observers (never the query: it may hold search values). */
static void path_of(const char *url, char *out, size_t outsz) {
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : url;
    if (!p)
        p = "/";
    size_t n = strcspn(p, "?#");
    if (n >= outsz)
        n = outsz - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static void observe(ucrm_call_t *call, const ucrm_req_t *req, const char *path, const ucrm_resp_t *resp,
                    int attempt, int64_t wait_us, ucrm_err_t err, bool rate_limited) {
    ucrm_client_t *c = call->client;
    ucrm_stats__attempt(c->stats, call->op, resp->status, err, resp->elapsed_us, wait_us, rate_limited);
    if (c->conf->observer_cb) {
        ucrm_request_info_t info = {req->method, path, call->op, resp->status, attempt, resp->elapsed_us,
                                    wait_us, err, resp->server_time_us};
        c->conf->observer_cb(&info, c->conf->observer_opaque);
    }
    if (c->log_level >= UCRM_LOG_DEBUG)
        ucrm_client__log(c, UCRM_LOG_DEBUG, "http", "%s %s -> %d (attempt %d, %.3f ms, waited %.3f ms)%s%s",
                         req->method, path, resp->status, attempt, (double)resp->elapsed_us / 1000.0,
                         (double)wait_us / 1000.0, err ? ": " : "", err ? ucrm_err_name(err) : "");
}

/* Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]. */
static int64_t backoff_ms(const ucrm_client_t *c, int attempt) {
    int64_t ceiling = c->backoff_ms;
    for (int i = 1; i < attempt && ceiling < c->backoff_max_ms; i++)
        ceiling *= 2;
    if (ceiling > c->backoff_max_ms)
        ceiling = c->backoff_max_ms;
    if (ceiling <= 0)
        return 0;
    return (int64_t)(ucrm__rand64() % (uint64_t)(ceiling + 1));
}

/* Assembles the transport request: absolute URL, headers (Authorization first). */
static ucrm_err_t build_http(ucrm_call_t *call, const ucrm_req_t *req, const ucrm_buf_t *base,
                             const ucrm_buf_t *bearer, ucrm_buf_t *url, ucrm_hdrs_t *hdrs) {
    ucrm_buf__reset(url);
    if (!(req->flags & UCRM_REQ_ABSOLUTE)) {
        const char *b = ucrm_buf__str(base);
        size_t bl = strlen(b);
        while (bl && b[bl - 1] == '/')
            bl--;
        ucrm_buf__append(url, b, bl);
        if (req->url.len && req->url.ptr[0] != '/')
            ucrm_buf__putc(url, '/');
    }
    ucrm_buf__append(url, ucrm_buf__str(&req->url), req->url.len);
    bool ok = !url->oom;
    if (bearer && bearer->len)
        ok = ok && ucrm_hdrs__add(hdrs, "Authorization", bearer->ptr);
    ok = ok && ucrm_hdrs__add(hdrs, "Accept", "application/json");
    if (req->body.len || req->content_type)
        ok = ok && ucrm_hdrs__add(hdrs, "Content-Type", req->content_type ? req->content_type : "application/json");
    for (size_t i = 0; ok && i < req->headers.n; i++)
        ok = ucrm_hdrs__add(hdrs, req->headers.v[i].name, req->headers.v[i].value);
    return ok ? UCRM_OK : ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory building a request");
}

static ucrm_err_t send(ucrm_client_t *c, const ucrm_http_request_t *hr, ucrm_resp_t *resp) {
    if (c->has_transport) {
        int64_t t0 = ucrm__mono_us();
        ucrm_err_t rc = c->transport.send(c->transport.opaque, hr, resp);
        resp->elapsed_us = ucrm__mono_us() - t0;
        if (rc == UCRM_OK)
            resp->server_time_us = ucrm_http__server_timing_us(ucrm_resp__header(resp, "Server-Timing"));
        if (rc == UCRM_OK && resp->status == 0) {
            resp->failure = UCRM_ERR_TRANSPORT;
            resp->sent = UCRM_HTTP_MAYBE_SENT;
            ucrm__strset(&resp->failure_msg, "the transport returned no status");
            return UCRM_ERR_TRANSPORT;
        }
        if (rc != UCRM_OK && resp->failure == UCRM_OK) {
            resp->failure = rc == UCRM_ERR_TIMEOUT || rc == UCRM_ERR_TLS ? rc : UCRM_ERR_TRANSPORT;
            resp->sent = UCRM_HTTP_MAYBE_SENT;
            if (!resp->failure_msg)
                ucrm__strset(&resp->failure_msg, "the transport failed");
        }
        return rc == UCRM_OK ? UCRM_OK : resp->failure;
    }
    return ucrm_http__send(c->http, hr, resp);
}

static bool is_write(const ucrm_req_t *req) {
    return strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0;
}

/* The error for a transport failure (no HTTP response). */
static ucrm_error_t *transport_error(const ucrm_req_t *req, const ucrm_resp_t *resp, bool *retriable) {
    ucrm_error_t *e = ucrm_error__new(resp->failure ? resp->failure : UCRM_ERR_TRANSPORT, "%s %s",
                                      req->method, resp->failure_msg ? resp->failure_msg : "transport failure");
    bool not_sent = resp->sent == UCRM_HTTP_NOT_SENT;
    /* TLS failures and malformed answers do not heal by retrying immediately. */
    bool transient = resp->failure != UCRM_ERR_TLS && resp->failure != UCRM_ERR_PROTOCOL &&
                     resp->failure != UCRM_ERR_NOMEM;
    *retriable = transient && (req->retry != UCRM_RETRY_UNSAFE || not_sent);
    if (is_write(req))
        ucrm_error__set_write_state(e, not_sent ? UCRM_WRITE_NOT_APPLIED : UCRM_WRITE_UNKNOWN);
    ucrm_error__set_retry(e, *retriable, 0);
    return e;
}

/* ---------------------------------------------------------------------------------------------- exec */

/* What the limiter should make of an attempt that ended with this response. */
static ucrm_rl_outcome_t rl_outcome(ucrm_err_t trc, const ucrm_resp_t *resp, const ucrm_errclass_t *cls) {
    if (trc != UCRM_OK)
        return resp->sent == UCRM_HTTP_NOT_SENT ? UCRM_RL_NOT_SENT : UCRM_RL_SENT;
    if (cls && cls->quota_exhausted)
        return UCRM_RL_QUOTA;
    if (cls && cls->rate_limited)
        return UCRM_RL_RATE_LIMITED;
    return UCRM_RL_SENT;
}

/* State of one ucrm_call__exec() across its attempts. */
typedef struct exec_state {
    ucrm_buf_t bearer, base, url;
    ucrm_hdrs_t hdrs;
    char path[256];
    bool replayed_auth;
    ucrm_priority_t prio;
    int64_t max_wait;
} exec_state_t;

/* Stages 1 and 2: a limiter slot and a token. On failure the error is in call->errp and no slot is held. */
static ucrm_err_t prepare_attempt(ucrm_call_t *call, ucrm_req_t *req, exec_state_t *x, ucrm_rl_ticket_t *ticket,
                                  bool *took_slot, int64_t *wait_us, uint64_t *gen) {
    ucrm_client_t *c = call->client;
    ucrm_err_t rc = UCRM_OK;
    *took_slot = false;
    if (req->bucket != UCRM_BUCKET_NONE && c->limiter) {
        rc = ucrm_limiter__acquire(c->limiter, ticket, req->bucket, x->prio, x->max_wait, call->deadline_us,
                                   wait_us, call->errp);
        if (ticket->event_level) /* the shared limiter's store went away or came back: said once */
            ucrm_client__log(c, ticket->event_level, "ratelimit", "%s", ticket->event_msg);
        if (rc < 0)
            goto fail;
        *took_slot = true;
    }
    if (!(req->flags & UCRM_REQ_NO_AUTH)) {
        ucrm_buf__reset(&x->bearer);
        ucrm_buf__reset(&x->base);
        if ((rc = ucrm_auth__ensure(call, &x->bearer, &x->base, gen)) < 0)
            goto fail;
    }
    rc = build_http(call, req, &x->base, (req->flags & UCRM_REQ_NO_AUTH) ? NULL : &x->bearer, &x->url, &x->hdrs);
    if (rc < 0)
        goto fail;
    path_of(x->url.ptr, x->path, sizeof x->path);
    return UCRM_OK;
fail:
    if (*took_slot)
        ucrm_limiter__done(c->limiter, ticket, NULL, UCRM_RL_NOT_SENT, 0);
    *took_slot = false;
    if (call->errp && *call->errp && is_write(req) && !(*call->errp)->is_static)
        ucrm_error__set_write_state(*call->errp, UCRM_WRITE_NOT_APPLIED);
    return rc;
}

/* Stage 6: whether to try again and how long to sleep first (ms). A rate-limit answer is waited out in the
 * limiter (it keeps the bucket closed until the provider's window reopens, and the wait counts against
 * ratelimit.wait.max.ms), so the pipeline itself does not sleep for it; without a limiter it sleeps. */
static bool next_attempt(ucrm_call_t *call, const exec_state_t *x, int attempt, bool retriable, bool rate_limited,
                         bool took_slot, int64_t retry_after, int64_t *delay) {
    ucrm_client_t *c = call->client;
    *delay = 0;
    if (!retriable || attempt > c->retry_max)
        return false;
    int64_t wait = backoff_ms(c, attempt);
    if (retry_after > wait)
        wait = retry_after;
    if (ucrm__mono_us() + wait * 1000 + MIN_ATTEMPT_US >= call->deadline_us)
        return false;
    if (rate_limited && took_slot) {
        if (x->max_wait >= 0 && retry_after > x->max_wait)
            return false; /* the provider asked for longer than the caller accepts to wait */
        return true;
    }
    *delay = wait;
    return true;
}

/* Stage 3: the transport request from the prepared URL and headers, within the call's budget. */
static ucrm_err_t send_attempt(ucrm_call_t *call, const ucrm_req_t *req, exec_state_t *x, ucrm_resp_t *resp) {
    ucrm_client_t *c = call->client;
    int64_t left_ms = (call->deadline_us - ucrm__mono_us()) / 1000;
    int64_t timeout = c->timeout_ms < left_ms ? c->timeout_ms : left_ms;
    if (timeout < 1)
        timeout = 1;
    ucrm_http_request_t hr = {req->method, x->url.ptr, &x->hdrs, req->body.ptr, req->body.len, timeout,
                              c->connect_timeout_ms < timeout ? c->connect_timeout_ms : timeout};
    call->sent++;
    return send(c, &hr, resp);
}

/* Stage 5 for an HTTP error: the adapter's error and classification, the write state, and whether the request
 * may be repeated (a create only when the provider provably did not act on it). */
static ucrm_error_t *classify(ucrm_call_t *call, const ucrm_req_t *req, const ucrm_resp_t *resp,
                              ucrm_errclass_t *cls, bool *retriable) {
    ucrm_client_t *c = call->client;
    ucrm_error_t *e = c->provider->parse_error(c->pstate, req, resp, cls);
    bool provably_not_applied = cls->rate_limited || cls->quota_exhausted || cls->not_received ||
                                cls->auth_expired || resp->status < 500;
    *retriable = (cls->retriable || cls->rate_limited) && !cls->quota_exhausted &&
                 (req->retry != UCRM_RETRY_UNSAFE || provably_not_applied);
    if (is_write(req) && !e->is_static)
        ucrm_error__set_write_state(e, provably_not_applied ? UCRM_WRITE_NOT_APPLIED : UCRM_WRITE_UNKNOWN);
    ucrm_error__set_retry(e, *retriable, cls->retry_after_ms);
    return e;
}

/* A rejected token: refresh once and replay (true), unless this call already did or nothing can be refreshed
 * (a static token: the error then says what to do). */
static bool replay_after_401(ucrm_call_t *call, const ucrm_req_t *req, exec_state_t *x, const ucrm_errclass_t *cls,
                             uint64_t gen, ucrm_error_t *e) {
    if (!cls->auth_expired || (req->flags & UCRM_REQ_NO_AUTH) || x->replayed_auth)
        return false;
    if (ucrm_auth__rejected(call, gen) != UCRM_OK) {
        if (!e->is_static)
            ucrm_error__set_message(e, "%s (the access token cannot be refreshed: a static token needs replacing, "
                                       "see ucrm_client_set_token)", e->message);
        return false;
    }
    x->replayed_auth = true;
    return true;
}

/* Gives up: the final error, or for passthrough the final response whatever its status. */
static ucrm_err_t give_up(ucrm_call_t *call, const ucrm_req_t *req, const ucrm_resp_t *resp, ucrm_error_t *e,
                          bool retriable, int attempt) {
    if (req->flags & UCRM_REQ_RAW && resp->status) {
        ucrm_error_destroy(e);
        return UCRM_OK;
    }
    if (retriable && attempt > call->client->retry_max && !e->is_static)
        ucrm_error__set_message(e, "%s (gave up after %d attempts)", e->message, attempt);
    return ucrm__give(call->errp, e);
}

ucrm_err_t ucrm_call__exec(ucrm_call_t *call, ucrm_req_t *req, ucrm_resp_t *resp) {
    ucrm_client_t *c = call->client;
    exec_state_t x = {UCRM_BUF_INIT, UCRM_BUF_INIT, UCRM_BUF_INIT, {0}, "", false, UCRM_PRIORITY_NORMAL, 0};
    ucrm_err_t rc = UCRM_OK;
    x.prio = ucrm_reqopts__priority(call->opts);
    x.max_wait = ucrm_reqopts__max_wait_ms(call->opts);
    if (x.max_wait < 0)
        x.max_wait = c->wait_max_ms;

    for (int attempt = 1;; attempt++) {
        bool retriable = false, took_slot = false;
        int64_t wait_us = 0;
        uint64_t gen = 0;
        ucrm_rl_ticket_t ticket;
        ucrm_resp__reset(resp);
        ucrm_hdrs__free(&x.hdrs);
        if (ucrm__mono_us() + MIN_ATTEMPT_US >= call->deadline_us) {
            rc = ucrm__fail(call->errp, UCRM_ERR_TIMEOUT, "%s: the call's time budget ran out before attempt %d",
                            call->op, attempt);
            break;
        }
        /* 1. rate limiter, 2. auth, 3. send */
        if ((rc = prepare_attempt(call, req, &x, &ticket, &took_slot, &wait_us, &gen)) < 0)
            break;
        ucrm_err_t trc = send_attempt(call, req, &x, resp);
        /* 4. usage back into the limiter, 5. classify */
        ucrm_usage_t usage = {0};
        ucrm_errclass_t cls = {0};
        if (trc == UCRM_OK && c->provider->read_usage)
            c->provider->read_usage(c->pstate, resp, &usage);
        if (trc == UCRM_OK && resp->status < 400) {
            if (took_slot)
                ucrm_limiter__done(c->limiter, &ticket, &usage, UCRM_RL_SENT, 0);
            observe(call, req, x.path, resp, attempt, wait_us, UCRM_OK, false);
            rc = UCRM_OK;
            break;
        }
        ucrm_error_t *e = trc != UCRM_OK ? transport_error(req, resp, &retriable)
                                         : classify(call, req, resp, &cls, &retriable);
        if (took_slot)
            ucrm_limiter__done(c->limiter, &ticket, trc == UCRM_OK ? &usage : NULL,
                               rl_outcome(trc, resp, trc == UCRM_OK ? &cls : NULL), cls.retry_after_ms);
        observe(call, req, x.path, resp, attempt, wait_us, e->code, cls.rate_limited);
        if (trc == UCRM_OK && replay_after_401(call, req, &x, &cls, gen, e)) {
            ucrm_error_destroy(e);
            attempt--; /* the replay is not a retry; no backoff */
            continue;
        }
        /* 6. retry? */
        int64_t delay = 0;
        if (!next_attempt(call, &x, attempt, retriable, cls.rate_limited, took_slot, cls.retry_after_ms, &delay)) {
            rc = give_up(call, req, resp, e, retriable, attempt);
            break;
        }
        ucrm_error_destroy(e);
        ucrm_stats__retry(c->stats, call->op);
        ucrm_client__log(c, UCRM_LOG_INFO, "retry", "%s %s: attempt %d failed (status %d), retrying in %lld ms",
                         req->method, x.path, attempt, resp->status, (long long)delay);
        ucrm__sleep_ms(delay);
    }
    ucrm_hdrs__free(&x.hdrs);
    ucrm_buf__free(&x.url);
    if (x.bearer.ptr)
        OPENSSL_cleanse(x.bearer.ptr, x.bearer.cap);
    ucrm_buf__free(&x.bearer);
    ucrm_buf__free(&x.base);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- parsing */

cJSON *ucrm_call__parse_json(ucrm_call_t *call, const ucrm_resp_t *resp, const char *what) {
    if (!resp->body.len) {
        ucrm_call__protocol_error(call, resp, what, "empty body");
        return NULL;
    }
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(resp->body.ptr, resp->body.len, &end, false);
    if (!j) {
        size_t off = end && end >= resp->body.ptr ? (size_t)(end - resp->body.ptr) : 0;
        ucrm_buf_t why = UCRM_BUF_INIT;
        ucrm_buf__printf(&why, "malformed JSON at byte %zu of %zu", off, resp->body.len);
        ucrm_call__protocol_error(call, resp, what, why.oom ? "malformed JSON" : why.ptr);
        ucrm_buf__free(&why);
        return NULL;
    }
    return j;
}

ucrm_err_t ucrm_call__protocol_error(ucrm_call_t *call, const ucrm_resp_t *resp, const char *what,
                                     const char *why) {
    ucrm_error_t *e = ucrm_error__new(UCRM_ERR_PROTOCOL, "unexpected response to %s: %s", what, why);
    ucrm_error__set_provider(e, resp ? resp->status : 0, NULL, NULL);
    return ucrm__give(call->errp, e);
}
