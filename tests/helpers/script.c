/* script.c -- see script.h. Test code: plain malloc, abort on allocation failure. */
#include "script.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct exchange {
    char *method, *path, *req_body;
    char **req_headers; /* "Name: value" that must be present */
    size_t nreq_headers;
    int status;
    char *resp_headers, *resp_body;
    ucrm_err_t fail;
    ucrm_http_sent_t sent;
    int delay_ms;
} exchange_t;

typedef struct received {
    char *url, *body;
    char **headers; /* "Name: value" */
    size_t nheaders;
} received_t;

struct script {
    pthread_mutex_t lock;
    exchange_t *ex;
    size_t n, cap, next;
    received_t *rx;
    size_t nrx, caprx;
    char error[2048];
    bool answer_all;
    exchange_t all;
};

static void *xmalloc(size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (!p)
        abort();
    return p;
}

static char *xstrdup(const char *s) {
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

script_t *script_new(void) {
    script_t *s = xmalloc(sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

static void ex_free(exchange_t *e) {
    free(e->method);
    free(e->path);
    free(e->req_body);
    for (size_t i = 0; i < e->nreq_headers; i++)
        free(e->req_headers[i]);
    free(e->req_headers);
    free(e->resp_headers);
    free(e->resp_body);
}

void script_free(script_t *s) {
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        ex_free(&s->ex[i]);
    free(s->ex);
    for (size_t i = 0; i < s->nrx; i++) {
        free(s->rx[i].url);
        free(s->rx[i].body);
        for (size_t k = 0; k < s->rx[i].nheaders; k++)
            free(s->rx[i].headers[k]);
        free(s->rx[i].headers);
    }
    free(s->rx);
    ex_free(&s->all);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static exchange_t *add(script_t *s) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->ex = realloc(s->ex, s->cap * sizeof *s->ex);
        if (!s->ex)
            abort();
    }
    exchange_t *e = &s->ex[s->n++];
    memset(e, 0, sizeof *e);
    return e;
}

void script_expect(script_t *s, const char *method, const char *path, const char *req_body, int status,
                   const char *resp_headers, const char *resp_body) {
    exchange_t *e = add(s);
    e->method = xstrdup(method);
    e->path = xstrdup(path);
    e->req_body = xstrdup(req_body);
    e->status = status;
    e->resp_headers = xstrdup(resp_headers);
    e->resp_body = xstrdup(resp_body ? resp_body : "");
}

void script_fail(script_t *s, const char *method, const char *path, ucrm_err_t code, ucrm_http_sent_t sent) {
    exchange_t *e = add(s);
    e->method = xstrdup(method);
    e->path = xstrdup(path);
    e->req_body = xstrdup("*");
    e->fail = code;
    e->sent = sent;
}

void script_expect_slow(script_t *s, const char *method, const char *path, int delay_ms, int status,
                        const char *resp_body) {
    script_expect(s, method, path, "*", status, NULL, resp_body);
    s->ex[s->n - 1].delay_ms = delay_ms;
}

void script_answer_all(script_t *s, int status, const char *resp_headers, const char *resp_body) {
    ex_free(&s->all);
    memset(&s->all, 0, sizeof s->all);
    s->all.status = status;
    s->all.resp_headers = xstrdup(resp_headers);
    s->all.resp_body = xstrdup(resp_body ? resp_body : "");
    s->answer_all = true;
}

/* ---------------------------------------------------------------------------------------------- files */

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = xmalloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

/* Appends line (without its newline) to *acc, separated by '\n'. */
static void acc_line(char **acc, const char *line, size_t len) {
    size_t old = *acc ? strlen(*acc) : 0;
    char *p = realloc(*acc, old + len + 2);
    if (!p)
        abort();
    if (old)
        p[old++] = '\n';
    memcpy(p + old, line, len);
    p[old + len] = '\0';
    *acc = p;
}

static void trim_trailing_newlines(char *s) {
    if (!s)
        return;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

bool script_load(script_t *s, const char *path) {
    char *text = slurp(path);
    if (!text) {
        snprintf(s->error, sizeof s->error, "cannot read %s", path);
        return false;
    }
    enum { NONE, REQ, RESP } state = NONE;
    exchange_t *e = NULL;
    char *body = NULL;
    bool ok = true;
    char *line = text;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len && line[len - 1] == '\r')
            len--;
        if (len >= 4 && strncmp(line, ">>> ", 4) == 0) {
            if (state == REQ && e) {
                /* request header line after the request line */
                if (!e->method) {
                    ok = false;
                    break;
                }
            }
            if (state != REQ || body) {
                /* start of a new exchange: close the previous one */
                if (e && state == RESP) {
                    trim_trailing_newlines(body);
                    e->resp_body = body ? body : xstrdup("");
                    body = NULL;
                }
                e = add(s);
                state = REQ;
                char sp[16], rest[4096];
                if (sscanf(line + 4, "%15s %4095s", sp, rest) != 2) {
                    ok = false;
                    break;
                }
                e->method = xstrdup(sp);
                e->path = xstrdup(rest);
            } else if (!e->method) {
                ok = false;
                break;
            } else {
                e->req_headers = realloc(e->req_headers, (e->nreq_headers + 1) * sizeof(char *));
                e->req_headers[e->nreq_headers++] = strndup(line + 4, len - 4);
            }
        } else if (len >= 4 && strncmp(line, "<<< ", 4) == 0) {
            if (!e) {
                ok = false;
                break;
            }
            if (state == REQ) {
                trim_trailing_newlines(body);
                e->req_body = body;
                body = NULL;
                state = RESP;
                e->status = atoi(line + 4);
                if (e->status < 100) {
                    ok = false;
                    break;
                }
            } else {
                acc_line(&e->resp_headers, line + 4, len - 4);
            }
        } else if (len >= 4 && strncmp(line, "!!! ", 4) == 0) {
            if (!e || state != REQ) {
                ok = false;
                break;
            }
            trim_trailing_newlines(body);
            e->req_body = body ? body : xstrdup("*");
            body = NULL;
            e->fail = strstr(line, "TIMEOUT") ? UCRM_ERR_TIMEOUT : strstr(line, "TLS") ? UCRM_ERR_TLS
                                                                                       : UCRM_ERR_TRANSPORT;
            e->sent = strstr(line, "MAYBE_SENT") ? UCRM_HTTP_MAYBE_SENT : UCRM_HTTP_NOT_SENT;
            e->resp_body = xstrdup("");
            state = NONE;
        } else if (state == NONE && !e && (len == 0 || line[0] == '#')) {
            /* comment or blank line before the first exchange */
        } else if (state != NONE) {
            acc_line(&body, line, len);
        }
        line = nl ? nl + 1 : NULL;
    }
    if (ok && e && state == RESP) {
        trim_trailing_newlines(body);
        e->resp_body = body ? body : xstrdup("");
        body = NULL;
    } else if (ok && e && state == REQ) {
        ok = false;
    }
    free(body);
    free(text);
    if (!ok)
        snprintf(s->error, sizeof s->error, "malformed script file %s", path);
    return ok;
}

/* ---------------------------------------------------------------------------------------------- transport */

static const char *path_of(const char *url) {
    const char *p = strstr(url, "://");
    if (!p)
        return url;
    p = strchr(p + 3, '/');
    return p ? p : "/";
}

static bool json_equal(const char *a, const char *b, size_t blen) {
    cJSON *ja = cJSON_Parse(a);
    cJSON *jb = cJSON_ParseWithLength(b, blen);
    bool eq = ja && jb && cJSON_Compare(ja, jb, true);
    if (!ja && !jb)
        eq = strlen(a) == blen && memcmp(a, b, blen) == 0; /* not JSON: compare as text */
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    return eq;
}

static void mismatch(script_t *s, const char *fmt, const char *a, const char *b) {
    if (!s->error[0])
        snprintf(s->error, sizeof s->error, fmt, a, b);
}

static void record_request(script_t *s, const ucrm_http_request_t *req) {
    if (s->nrx == s->caprx) {
        s->caprx = s->caprx ? s->caprx * 2 : 16;
        s->rx = realloc(s->rx, s->caprx * sizeof *s->rx);
        if (!s->rx)
            abort();
    }
    received_t *r = &s->rx[s->nrx++];
    memset(r, 0, sizeof *r);
    r->url = xstrdup(ucrm_http_request_url(req));
    size_t blen = 0;
    const char *body = ucrm_http_request_body(req, &blen);
    r->body = body ? strndup(body, blen) : xstrdup("");
    r->nheaders = ucrm_http_request_header_count(req);
    r->headers = xmalloc((r->nheaders + 1) * sizeof(char *));
    for (size_t i = 0; i < r->nheaders; i++) {
        const char *n, *v;
        ucrm_http_request_header(req, i, &n, &v);
        size_t l = strlen(n) + strlen(v) + 3;
        r->headers[i] = xmalloc(l);
        snprintf(r->headers[i], l, "%s: %s", n, v);
    }
}

static void respond(ucrm_http_response_t *resp, const exchange_t *e) {
    ucrm_http_response_set_status(resp, e->status);
    if (e->resp_headers) {
        char *copy = xstrdup(e->resp_headers), *save = NULL;
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            char *colon = strchr(l, ':');
            if (!colon)
                continue;
            *colon = '\0';
            char *v = colon + 1;
            while (*v == ' ')
                v++;
            ucrm_http_response_add_header(resp, l, v);
        }
        free(copy);
    }
    ucrm_http_response_append_body(resp, e->resp_body, strlen(e->resp_body));
}

static ucrm_err_t script_send(void *opaque, const ucrm_http_request_t *req, ucrm_http_response_t *resp) {
    script_t *s = opaque;
    pthread_mutex_lock(&s->lock);
    record_request(s, req);
    if (s->answer_all) {
        respond(resp, &s->all);
        pthread_mutex_unlock(&s->lock);
        return UCRM_OK;
    }
    if (s->next >= s->n) {
        char what[400];
        snprintf(what, sizeof what, "%s %.380s", ucrm_http_request_method(req), path_of(ucrm_http_request_url(req)));
        mismatch(s, "unexpected request %s%s (no exchange left)", what, "");
        pthread_mutex_unlock(&s->lock);
        ucrm_http_response_set_status(resp, 599);
        return UCRM_OK;
    }
    exchange_t *e = &s->ex[s->next++];
    const char *path = path_of(ucrm_http_request_url(req));
    if (strcmp(e->method, ucrm_http_request_method(req)) != 0 || strcmp(e->path, path) != 0) {
        char got[400], want[400];
        snprintf(got, sizeof got, "%s %.380s", ucrm_http_request_method(req), path);
        snprintf(want, sizeof want, "%s %.380s", e->method, e->path);
        mismatch(s, "got request %s, expected %s", got, want);
        pthread_mutex_unlock(&s->lock);
        ucrm_http_response_set_status(resp, 599);
        return UCRM_OK;
    }
    size_t blen = 0;
    const char *body = ucrm_http_request_body(req, &blen);
    if (!e->req_body && blen) {
        mismatch(s, "request %s has a body but none was expected: %.400s", e->path, body);
    } else if (e->req_body && strcmp(e->req_body, "*") != 0 && !json_equal(e->req_body, body ? body : "", blen)) {
        char got[500];
        snprintf(got, sizeof got, "%.*s", (int)(blen < 480 ? blen : 480), body ? body : "");
        mismatch(s, "request body differs:\n  got:      %s\n  expected: %s", got, e->req_body);
    }
    for (size_t i = 0; i < e->nreq_headers; i++) {
        char name[128];
        const char *colon = strchr(e->req_headers[i], ':');
        size_t nl = colon ? (size_t)(colon - e->req_headers[i]) : 0;
        if (!colon || nl >= sizeof name)
            continue;
        memcpy(name, e->req_headers[i], nl);
        name[nl] = '\0';
        const char *want = colon + 1;
        while (*want == ' ')
            want++;
        const char *got = ucrm_http_request_header_get(req, name);
        if (!got || strcmp(got, want) != 0)
            mismatch(s, "request header %s differs (got '%s')", e->req_headers[i], got ? got : "(absent)");
    }
    exchange_t copy = *e;
    pthread_mutex_unlock(&s->lock);
    if (copy.delay_ms) {
        int64_t limit = ucrm_http_request_timeout_ms(req);
        int ms = copy.delay_ms < limit ? copy.delay_ms : (int)limit;
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        if (copy.delay_ms > limit) {
            ucrm_http_response_set_failure(resp, UCRM_ERR_TIMEOUT, UCRM_HTTP_MAYBE_SENT, "scripted timeout");
            return UCRM_ERR_TIMEOUT;
        }
    }
    if (copy.fail) {
        ucrm_http_response_set_failure(resp, copy.fail, copy.sent, "scripted transport failure");
        return copy.fail;
    }
    respond(resp, &copy);
    return UCRM_OK;
}

void script_install(script_t *s, ucrm_conf_t *conf) {
    ucrm_transport_t t;
    ucrm_transport_init(&t, UCRM_TRANSPORT_VERSION);
    t.opaque = s;
    t.send = script_send;
    ucrm_conf_set_transport(conf, &t);
}

bool script_ok(const script_t *s) { return s->error[0] == '\0'; }
const char *script_error(const script_t *s) { return s->error; }
size_t script_remaining(const script_t *s) { return s->n - s->next; }
size_t script_requests(const script_t *s) { return s->nrx; }

const char *script_request_url(const script_t *s, size_t i) { return i < s->nrx ? s->rx[i].url : NULL; }
const char *script_request_body(const script_t *s, size_t i) { return i < s->nrx ? s->rx[i].body : NULL; }

const char *script_request_header(const script_t *s, size_t i, const char *name) {
    if (i >= s->nrx)
        return NULL;
    size_t nl = strlen(name);
    for (size_t k = 0; k < s->rx[i].nheaders; k++) {
        const char *h = s->rx[i].headers[k];
        if (strncasecmp(h, name, nl) == 0 && h[nl] == ':')
            return h + nl + 2;
    }
    return NULL;
}
