/*
 * http.c -- the libcurl transport: a pool of easy handles (each keeps its own connections alive between
 * requests), a share handle for DNS and TLS sessions, timeouts always on, TLS verification always on, plain
 * http only towards loopback hosts.
 */
#include "http_int.h"
#include "error_int.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#define MAX_BODY (256u * 1024u * 1024u) /* a response larger than this is refused */

/* ---------------------------------------------------------------------------------------------- headers */

/* A header is one allocation: name, NUL, value, NUL (value points into it); a response's dozen or so headers fit
 * in the first array (16), so that reading a response costs one allocation per header and one for the array. */
bool ucrm_hdrs__add_n(ucrm_hdrs_t *h, const char *name, size_t nlen, const char *value, size_t vlen) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        ucrm_hdr_t *v = ucrm__realloc(h->v, cap * sizeof *v);
        if (!v)
            return false;
        h->v = v;
        h->cap = cap;
    }
    if (nlen > SIZE_MAX / 2 - 2 || vlen > SIZE_MAX / 2)
        return false;
    char *n = ucrm__malloc(nlen + vlen + 2);
    if (!n)
        return false;
    memcpy(n, name, nlen);
    n[nlen] = '\0';
    memcpy(n + nlen + 1, value, vlen);
    n[nlen + 1 + vlen] = '\0';
    h->v[h->n].name = n;
    h->v[h->n].value = n + nlen + 1;
    h->n++;
    return true;
}

bool ucrm_hdrs__add(ucrm_hdrs_t *h, const char *name, const char *value) {
    return ucrm_hdrs__add_n(h, name, strlen(name), value, strlen(value));
}

const char *ucrm_hdrs__get(const ucrm_hdrs_t *h, const char *name) {
    for (size_t i = 0; h && i < h->n; i++)
        if (strcasecmp(h->v[i].name, name) == 0)
            return h->v[i].value;
    return NULL;
}

static void hdrs_clear(ucrm_hdrs_t *h) {
    for (size_t i = 0; i < h->n; i++) {
        /* Request headers carry the bearer token: wipe credentials before the memory goes back. */
        if (strcasecmp(h->v[i].name, "Authorization") == 0)
            OPENSSL_cleanse(h->v[i].value, strlen(h->v[i].value));
        ucrm__free(h->v[i].name); /* the value is in the same block */
    }
    h->n = 0;
}

void ucrm_hdrs__free(ucrm_hdrs_t *h) {
    hdrs_clear(h);
    ucrm__free(h->v);
    h->v = NULL;
    h->cap = 0;
}

void ucrm_resp__reset(ucrm_resp_t *r) {
    r->status = 0;
    hdrs_clear(&r->headers);
    ucrm_buf__reset(&r->body);
    r->failure = UCRM_OK;
    r->sent = UCRM_HTTP_NOT_SENT;
    ucrm__free(r->failure_msg);
    r->failure_msg = NULL;
    r->elapsed_us = 0;
    r->server_time_us = 0;
    r->new_connections = 0;
}

void ucrm_resp__free(ucrm_resp_t *r) {
    ucrm_resp__reset(r);
    ucrm_hdrs__free(&r->headers);
    ucrm_buf__free(&r->body);
}

const char *ucrm_resp__header(const ucrm_resp_t *r, const char *name) { return ucrm_hdrs__get(&r->headers, name); }

/* Frees a header list after wiping its lines (the Authorization line holds the bearer token). */
static void slist_free_wiped(struct curl_slist *l) {
    for (struct curl_slist *p = l; p; p = p->next)
        if (p->data)
            OPENSSL_cleanse(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

/* ---------------------------------------------------------------------------------------------- global init */

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static CURLcode g_init_rc = CURLE_FAILED_INIT;

static void global_init_once(void) { g_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

ucrm_err_t ucrm_http__global_init(void) {
    pthread_once(&g_once, global_init_once);
    return g_init_rc == CURLE_OK ? UCRM_OK : UCRM_ERR_TRANSPORT;
}

static pthread_mutex_t g_ref_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_refs;

UCRM_API ucrm_err_t ucrm_global_init(void) {
    ucrm_err_t rc = ucrm_http__global_init();
    if (rc == UCRM_OK) {
        pthread_mutex_lock(&g_ref_lock);
        g_refs++;
        pthread_mutex_unlock(&g_ref_lock);
    }
    return rc;
}

UCRM_API void ucrm_global_cleanup(void) {
    pthread_mutex_lock(&g_ref_lock);
    if (g_refs > 0 && --g_refs == 0)
        curl_global_cleanup();
    pthread_mutex_unlock(&g_ref_lock);
}

/* ---------------------------------------------------------------------------------------------- the pool */

struct ucrm_http {
    pthread_mutex_t lock;
    CURL **idle;
    size_t nidle, cap;
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    char *ca_file;
    char *user_agent;
    int64_t connections; /* under lock */
};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *userp) {
    (void)h;
    (void)access;
    struct ucrm_http *http = userp;
    pthread_mutex_lock(&http->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *userp) {
    (void)h;
    struct ucrm_http *http = userp;
    pthread_mutex_unlock(&http->share_locks[data]);
}

ucrm_err_t ucrm_http__new(ucrm_http_t **out, const ucrm_http_settings_t *s, ucrm_error_t **errp) {
    if (ucrm_http__global_init() != UCRM_OK)
        return ucrm__fail(errp, UCRM_ERR_TRANSPORT, "libcurl global initialisation failed");
    ucrm_http_t *h = ucrm__calloc(1, sizeof *h);
    if (!h)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&h->lock, NULL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&h->share_locks[i], NULL);
    h->cap = s->pool_size > 0 ? (size_t)s->pool_size : 16;
    h->idle = ucrm__calloc(h->cap, sizeof *h->idle);
    h->share = curl_share_init();
    if (!h->idle || !h->share || (s->ca_file && !(h->ca_file = ucrm__strdup(s->ca_file))) ||
        !(h->user_agent = ucrm__strdup(s->user_agent ? s->user_agent : "unicrm/" UCRM_VERSION_STR))) {
        ucrm_http__destroy(h);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(h->share, CURLSHOPT_USERDATA, h);
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    *out = h;
    return UCRM_OK;
}

void ucrm_http__destroy(ucrm_http_t *h) {
    if (!h)
        return;
    for (size_t i = 0; i < h->nidle; i++)
        curl_easy_cleanup(h->idle[i]);
    ucrm__free(h->idle);
    if (h->share)
        curl_share_cleanup(h->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&h->share_locks[i]);
    pthread_mutex_destroy(&h->lock);
    ucrm__free(h->ca_file);
    ucrm__free(h->user_agent);
    ucrm__free(h);
}

int64_t ucrm_http__connections(const ucrm_http_t *h) {
    ucrm_http_t *m = (ucrm_http_t *)h;
    pthread_mutex_lock(&m->lock);
    int64_t n = m->connections;
    pthread_mutex_unlock(&m->lock);
    return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp);
static size_t on_header(char *data, size_t size, size_t nmemb, void *userp);

static CURL *checkout(ucrm_http_t *h) {
    CURL *c = NULL;
    pthread_mutex_lock(&h->lock);
    if (h->nidle)
        c = h->idle[--h->nidle];
    pthread_mutex_unlock(&h->lock);
    if (c)
        return c;
    c = curl_easy_init();
    if (!c)
        return NULL;
    /* Options that never change for a handle. */
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_SHARE, h->share);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
    curl_easy_setopt(c, CURLOPT_USERAGENT, h->user_agent);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_MAXCONNECTS, 2L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    return c;
}

/* The schemes a handle may use: https only, or http too (towards loopback hosts), set only when it changes (libcurl
 * parses the list each time it is set); CURLOPT_PRIVATE remembers the handle's current setting. */
static void set_protocols(CURL *c, bool https) {
    char *cur = NULL;
    curl_easy_getinfo(c, CURLINFO_PRIVATE, &cur);
    const char *want = https ? "https" : "http,https";
    if (cur != want) {
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, want);
        curl_easy_setopt(c, CURLOPT_PRIVATE, want);
    }
}

/* Returns a handle to the pool (or frees it when the pool is full); c may be NULL to only count. */
static void checkin(ucrm_http_t *h, CURL *c, int64_t new_conns) {
    pthread_mutex_lock(&h->lock);
    h->connections += new_conns;
    if (c && h->nidle < h->cap) {
        h->idle[h->nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&h->lock);
    if (c)
        curl_easy_cleanup(c);
}

/* ---------------------------------------------------------------------------------------------- one request */

/* Appends "Name: value" to a libcurl header list (which copies it); the line is wiped afterwards, since it may
 * hold the bearer token. A stack buffer serves the usual short lines. */
static struct curl_slist *append_header(struct curl_slist *hl, const ucrm_hdr_t *h) {
    char small[512];
    size_t nl = strlen(h->name), vl = strlen(h->value), len = nl + 2 + vl;
    char *line = len < sizeof small ? small : len < SIZE_MAX ? ucrm__malloc(len + 1) : NULL;
    if (!line)
        return NULL;
    memcpy(line, h->name, nl);
    line[nl] = ':';
    line[nl + 1] = ' ';
    memcpy(line + nl + 2, h->value, vl);
    line[len] = '\0';
    struct curl_slist *r = curl_slist_append(hl, line);
    OPENSSL_cleanse(line, len);
    if (line != small)
        ucrm__free(line);
    return r;
}

typedef struct xfer {
    ucrm_resp_t *resp;
    bool too_big;
} xfer_t;

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp) {
    xfer_t *x = userp;
    size_t n = size * nmemb;
    if (x->resp->body.len + n > MAX_BODY) {
        x->too_big = true;
        return 0;
    }
    return ucrm_buf__append(&x->resp->body, data, n) ? n : 0;
}

/* Server-Timing: app;dur=1.234 (milliseconds): the first metric's duration, in microseconds; 0 without one. */
int64_t ucrm_http__server_timing_us(const char *v) {
    const char *d = v ? strstr(v, "dur=") : NULL;
    if (!d)
        return 0;
    double ms = strtod(d + 4, NULL);
    return ms > 0 && ms < 1e9 ? (int64_t)(ms * 1000.0) : 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp) {
    xfer_t *x = userp;
    size_t n = size * nmemb, len = n;
    while (len && (data[len - 1] == '\r' || data[len - 1] == '\n'))
        len--;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* A new status line (after 100 Continue or a redirect we do not follow): start over. */
        hdrs_clear(&x->resp->headers);
        return n;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon)
        return n;
    size_t nlen = (size_t)(colon - data);
    const char *v = colon + 1;
    while (v < data + len && (*v == ' ' || *v == '\t'))
        v++;
    if (!ucrm_hdrs__add_n(&x->resp->headers, data, nlen, v, (size_t)(data + len - v)))
        return 0;
    if (nlen == 13 && strncasecmp(data, "Server-Timing", 13) == 0)
        x->resp->server_time_us = ucrm_http__server_timing_us(x->resp->headers.v[x->resp->headers.n - 1].value);
    return n;
}

static void set_failure(ucrm_resp_t *r, ucrm_err_t code, ucrm_http_sent_t sent, const char *fmt, ...)
    UCRM__PRINTF(4, 5);
static void set_failure(ucrm_resp_t *r, ucrm_err_t code, ucrm_http_sent_t sent, const char *fmt, ...) {
    ucrm_buf_t b = UCRM_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    ucrm_buf__vprintf(&b, fmt, ap);
    va_end(ap);
    r->failure = code;
    r->sent = sent;
    ucrm__free(r->failure_msg);
    r->failure_msg = ucrm_buf__steal(&b);
}

/* Maps a libcurl failure to our code and to whether the request may have reached the server. */
static void classify_curl(CURL *c, CURLcode cc, const char *errbuf, xfer_t *x) {
    curl_off_t sent_bytes = 0;
    long req_size = 0;
    curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &req_size);
    curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &sent_bytes);
    ucrm_http_sent_t sent = (req_size > 0 || sent_bytes > 0) ? UCRM_HTTP_MAYBE_SENT : UCRM_HTTP_NOT_SENT;
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(cc);
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        set_failure(x->resp, UCRM_ERR_TRANSPORT, UCRM_HTTP_NOT_SENT, "connection failed: %s", detail);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        set_failure(x->resp, UCRM_ERR_TIMEOUT, sent, "%s: %s",
                    sent == UCRM_HTTP_NOT_SENT ? "timed out before the request was sent"
                                               : "timed out waiting for the response",
                    detail);
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
        set_failure(x->resp, UCRM_ERR_TLS, UCRM_HTTP_NOT_SENT, "TLS failure: %s", detail);
        break;
    case CURLE_WRITE_ERROR:
        if (x->too_big) {
            set_failure(x->resp, UCRM_ERR_PROTOCOL, UCRM_HTTP_MAYBE_SENT, "response body larger than %u bytes",
                        MAX_BODY);
            break;
        }
        set_failure(x->resp, UCRM_ERR_NOMEM, UCRM_HTTP_MAYBE_SENT, "out of memory reading the response");
        break;
    default:
        set_failure(x->resp, UCRM_ERR_TRANSPORT, sent, "%s", detail);
        break;
    }
}

ucrm_err_t ucrm_http__send(ucrm_http_t *h, const ucrm_http_request_t *req, ucrm_resp_t *resp) {
    bool https = strncasecmp(req->url, "https://", 8) == 0;
    bool http = strncasecmp(req->url, "http://", 7) == 0;
    if (!https && !(http && ucrm__url_is_loopback(req->url))) {
        set_failure(resp, UCRM_ERR_TRANSPORT, UCRM_HTTP_NOT_SENT,
                    http ? "refusing plain http to a non-loopback host (use https)" : "unsupported URL scheme");
        return resp->failure;
    }
    CURL *c = checkout(h);
    if (!c) {
        set_failure(resp, UCRM_ERR_NOMEM, UCRM_HTTP_NOT_SENT, "cannot create a libcurl handle");
        return resp->failure;
    }
    char errbuf[CURL_ERROR_SIZE];
    errbuf[0] = '\0';
    xfer_t x = {resp, false};
    struct curl_slist *hl = NULL;
    bool oom = false;
    for (size_t i = 0; req->headers && i < req->headers->n && !oom; i++) {
        struct curl_slist *nl = append_header(hl, &req->headers->v[i]);
        if (!nl)
            oom = true;
        else
            hl = nl;
    }
    /* no 100-continue round trip for a body (a request without one never sends Expect) */
    struct curl_slist *nl = oom ? NULL : req->body_len ? curl_slist_append(hl, "Expect:") : hl;
    if (!nl) {
        slist_free_wiped(hl);
        checkin(h, c, 0);
        set_failure(resp, UCRM_ERR_NOMEM, UCRM_HTTP_NOT_SENT, "out of memory building headers");
        return resp->failure;
    }
    hl = nl;

    curl_easy_setopt(c, CURLOPT_URL, req->url);
    set_protocols(c, https);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(req->timeout_ms > 0 ? req->timeout_ms : 30000));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 10000));
    /* Reset the method-related options a previous request may have set. */
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(c, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    if (strcmp(req->method, "GET") == 0) {
        /* HTTPGET set above */
    } else if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
        if (strcmp(req->method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    }

    int64_t t0 = ucrm__mono_us();
    CURLcode cc = curl_easy_perform(c);
    resp->elapsed_us = ucrm__mono_us() - t0;
    long conns = 0;
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &conns);
    resp->new_connections = (int)conns;
    ucrm_err_t rc = UCRM_OK;
    if (cc == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        resp->status = (int)status;
        if (resp->body.oom) {
            set_failure(resp, UCRM_ERR_NOMEM, UCRM_HTTP_MAYBE_SENT, "out of memory reading the response");
            rc = resp->failure;
        }
    } else {
        classify_curl(c, cc, errbuf, &x);
        rc = resp->failure;
        resp->status = 0;
    }
    /* Drop pointers into this stack frame before the handle goes back to the pool. */
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, NULL);
    slist_free_wiped(hl);
    if (cc != CURLE_OK && cc != CURLE_HTTP_RETURNED_ERROR) {
        /* The connection may be in an unknown state: don't keep the handle's connections around. */
        curl_easy_cleanup(c);
        checkin(h, NULL, conns);
    } else {
        checkin(h, c, conns);
    }
    return rc;
}
