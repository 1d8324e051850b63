/*
 * webhook_sender.c -- HubSpot-style webhook deliveries from the fake to a URL (the application under test):
 *
 *   POST /__fake/webhooks   {"url":"http://127.0.0.1:PORT/hook", "events":[{...}] | "from_recent":{...}, ...}
 *                           -> 202 {"id":N,"notifications":N,"batches":N}; delivered by a thread of its own
 *   GET  /__fake/webhooks   -> {"deliveries":[{"id","done","notifications","batches","requests","delivered",
 *                               "failed","statuses":[...]}]}
 *
 * As HubSpot does (PROTOCOL.md B10): POST of a JSON array of at most 100 notifications; headers
 * X-HubSpot-Signature (v1: hex SHA-256 of secret + body; v2: of secret + method + URL + body) with
 * X-HubSpot-Signature-Version, and X-HubSpot-Signature-v3 (base64 HMAC-SHA256 of method + URI + body + timestamp,
 * the URI with HubSpot's twelve escapes decoded, as the validating side decodes them) with
 * X-HubSpot-Request-Timestamp (the fake clock, ms); a batch answered with anything but 2xx (or not answered
 * within the timeout) is sent again, attemptNumber incremented and signed anew, up to `retries` times; a
 * notification may be delivered twice (`duplicates`) and order is not kept (`reorder`).
 *
 * Threads: the notifications are built under G.lock (control handler); a delivery thread owns its batches and
 * takes G.lock only to update its counters, so the application may call the fake while it handles a webhook.
 */
#include "fake.h"

#include <netdb.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef struct wh_job {
    int id;
    char host[256], port[8];
    char *target;        /* path and query as sent */
    char *url;           /* the full URL: what v2 signs */
    char *uri_v3;        /* the URL with HubSpot's escapes decoded: what v3 signs */
    char *secret;
    int sigver;          /* X-HubSpot-Signature version: 1 or 2 */
    int retries;
    long retry_delay_ms, timeout_ms;
    cJSON **batches;
    int nbatches, notifications;
    /* under G.lock */
    int requests, delivered, failed, done;
    int *statuses, nstatuses, capstatuses;
    pthread_t thread;
    struct wh_job *next;
} wh_job_t;

static wh_job_t *g_jobs;   /* under G.lock */
static int g_next_job = 1;
static uint64_t g_event_id = 100000;

/* ------------------------------------------------------------------------------------------------ signing */

static void hex32(const unsigned char d[32], char out[65])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[64] = '\0';
}

static void sha256_hex(const char *const *parts, const size_t *lens, int n, char out[65])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char d[32];
    unsigned int dl = 0;
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (int i = 0; i < n; i++)
        EVP_DigestUpdate(md, parts[i], lens[i]);
    EVP_DigestFinal_ex(md, d, &dl);
    EVP_MD_CTX_free(md);
    hex32(d, out);
}

/* The escapes HubSpot's validation decodes before hashing (v3), and only those. */
static char *hubspot_decode(const char *url)
{
    static const char *const map[][2] = {{"3A", ":"}, {"2F", "/"}, {"3F", "?"}, {"40", "@"}, {"21", "!"}, {"24", "$"},
                                         {"27", "'"}, {"28", "("}, {"29", ")"}, {"2A", "*"}, {"2C", ","}, {"3B", ";"}};
    fk_buf_t b = {0};
    for (const char *p = url; *p; p++) {
        int hit = -1;
        if (p[0] == '%' && p[1] && p[2])
            for (int i = 0; i < 12 && hit < 0; i++)
                if (p[1] == map[i][0][0] && (p[2] == map[i][0][1] || p[2] == map[i][0][1] + ('a' - 'A')))
                    hit = i;
        if (hit >= 0) {
            fk_buf_put(&b, map[hit][1], 1);
            p += 2;
        } else {
            fk_buf_put(&b, p, 1);
        }
    }
    return fk_buf_take(&b);
}

/* The four signature headers for one request. */
static void sign(const wh_job_t *j, const char *body, size_t len, int64_t ts_ms, fk_buf_t *hdr)
{
    char sig[65], ts[24];
    snprintf(ts, sizeof ts, "%lld", (long long)ts_ms);
    if (j->sigver == 1) {
        const char *p[] = {j->secret, body};
        size_t l[] = {strlen(j->secret), len};
        sha256_hex(p, l, 2, sig);
    } else {
        const char *p[] = {j->secret, "POST", j->url, body};
        size_t l[] = {strlen(j->secret), 4, strlen(j->url), len};
        sha256_hex(p, l, 4, sig);
    }
    fk_buf_printf(hdr, "X-HubSpot-Signature: %s\r\nX-HubSpot-Signature-Version: v%d\r\n", sig, j->sigver);
    fk_buf_t src = {0};
    fk_buf_puts(&src, "POST");
    fk_buf_puts(&src, j->uri_v3);
    fk_buf_put(&src, body, len);
    fk_buf_puts(&src, ts);
    unsigned char d[32];
    unsigned int dl = 0;
    HMAC(EVP_sha256(), j->secret, (int)strlen(j->secret), (const unsigned char *)src.s, src.len, d, &dl);
    free(src.s);
    char *b64 = fk_b64_encode(d, 32);
    fk_buf_printf(hdr, "X-HubSpot-Signature-v3: %s\r\nX-HubSpot-Request-Timestamp: %s\r\n", b64, ts);
    free(b64);
}

/* ------------------------------------------------------------------------------------------------ HTTP client */

/* One POST; returns the status, or 0 when there was no answer (refused, reset, timeout). */
static int post(const wh_job_t *j, const char *body, size_t len, const char *sig_headers)
{
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(j->host, j->port, &hints, &ai) != 0 || !ai)
        return 0;
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    struct timeval tv = {j->timeout_ms / 1000, (j->timeout_ms % 1000) * 1000};
    int status = 0;
    if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 &&
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        fk_buf_t req = {0};
        fk_buf_printf(&req,
                      "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                      "User-Agent: HubSpot Connect 2.0 (http://dev.hubspot.com/) - unicrm-fake\r\n"
                      "X-HubSpot-Timeout-Millis: %ld\r\nConnection: close\r\n%s\r\n",
                      j->target, j->host, j->port, len, j->timeout_ms, sig_headers);
        fk_buf_put(&req, body, len);
        size_t off = 0;
        while (off < req.len) {
            ssize_t n = send(fd, req.s + off, req.len - off, MSG_NOSIGNAL);
            if (n <= 0)
                break;
            off += (size_t)n;
        }
        char line[64];
        size_t have = 0;
        while (off == req.len && have < sizeof line - 1 && !memchr(line, '\n', have)) {
            ssize_t n = recv(fd, line + have, sizeof line - 1 - have, 0);
            if (n <= 0)
                break;
            have += (size_t)n;
        }
        line[have] = '\0';
        if (strncmp(line, "HTTP/1.", 7) == 0 && have > 12)
            status = atoi(line + 9);
        free(req.s);
    }
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return status;
}

/* ------------------------------------------------------------------------------------------------ delivery */

static void job_record(wh_job_t *j, int status)
{
    pthread_mutex_lock(&G.lock);
    if (j->nstatuses == j->capstatuses) {
        j->capstatuses = j->capstatuses ? 2 * j->capstatuses : 16;
        j->statuses = fk_xrealloc(j->statuses, (size_t)j->capstatuses * sizeof *j->statuses);
    }
    j->statuses[j->nstatuses++] = status;
    j->requests++;
    pthread_mutex_unlock(&G.lock);
}

/* Sleeps ms in small steps so that shutdown is not held up. */
static void nap(long ms)
{
    for (long left = ms; left > 0 && !fk_stopping(); left -= 20) {
        struct timespec t = {0, (left < 20 ? left : 20) * 1000000L};
        nanosleep(&t, NULL);
    }
}

static int deliver_batch(wh_job_t *j, cJSON *batch)
{
    for (int attempt = 0; attempt <= j->retries && !fk_stopping(); attempt++) {
        if (attempt)
            nap(j->retry_delay_ms);
        cJSON *n;
        cJSON_ArrayForEach(n, batch)
        {
            cJSON_ReplaceItemInObjectCaseSensitive(n, "attemptNumber", cJSON_CreateNumber(attempt));
        }
        char *body = fk_json_print(batch);
        pthread_mutex_lock(&G.lock);
        int64_t ts = fk_now_ms();
        pthread_mutex_unlock(&G.lock);
        fk_buf_t hdr = {0};
        sign(j, body, strlen(body), ts, &hdr);
        int status = post(j, body, strlen(body), hdr.s);
        free(hdr.s);
        free(body);
        job_record(j, status);
        if (status >= 200 && status < 300)
            return 1;
    }
    return 0;
}

static void *job_main(void *arg)
{
    wh_job_t *j = arg;
    for (int b = 0; b < j->nbatches && !fk_stopping(); b++) {
        int ok = deliver_batch(j, j->batches[b]);
        pthread_mutex_lock(&G.lock);
        if (ok)
            j->delivered++;
        else
            j->failed++;
        pthread_mutex_unlock(&G.lock);
    }
    pthread_mutex_lock(&G.lock);
    j->done = 1;
    pthread_mutex_unlock(&G.lock);
    return NULL;
}

static void job_free(wh_job_t *j)
{
    for (int b = 0; b < j->nbatches; b++)
        cJSON_Delete(j->batches[b]);
    free(j->batches);
    free(j->target);
    free(j->url);
    free(j->uri_v3);
    free(j->secret);
    free(j->statuses);
    free(j);
}

void fk_webhooks_stop(void)
{
    pthread_mutex_lock(&G.lock);
    wh_job_t *list = g_jobs;
    g_jobs = NULL;
    pthread_mutex_unlock(&G.lock);
    while (list) {
        wh_job_t *next = list->next;
        pthread_join(list->thread, NULL);
        job_free(list);
        list = next;
    }
}

/* ------------------------------------------------------------------------------------------------ notifications */

/* A notification with HubSpot's envelope filled in where the caller left it out. */
static cJSON *envelope(const cJSON *given, int64_t portal, int64_t app)
{
    cJSON *n = cJSON_Duplicate(given, 1);
    if (!cJSON_GetObjectItemCaseSensitive(n, "eventId"))
        cJSON_AddNumberToObject(n, "eventId", (double)g_event_id++);
    if (!cJSON_GetObjectItemCaseSensitive(n, "subscriptionId"))
        cJSON_AddNumberToObject(n, "subscriptionId", 1000 + (double)(fk_rand() % 9000));
    if (!cJSON_GetObjectItemCaseSensitive(n, "portalId"))
        cJSON_AddNumberToObject(n, "portalId", (double)portal);
    if (!cJSON_GetObjectItemCaseSensitive(n, "appId"))
        cJSON_AddNumberToObject(n, "appId", (double)app);
    if (!cJSON_GetObjectItemCaseSensitive(n, "occurredAt"))
        cJSON_AddNumberToObject(n, "occurredAt", (double)fk_now_ms());
    if (!cJSON_GetObjectItemCaseSensitive(n, "attemptNumber"))
        cJSON_AddNumberToObject(n, "attemptNumber", 0);
    if (!cJSON_GetObjectItemCaseSensitive(n, "changeSource"))
        cJSON_AddStringToObject(n, "changeSource", "CRM");
    return n;
}

static void add_note(cJSON *all, const char *singular, const char *action, const fk_rec_t *r, int64_t at,
                     const char *prop, const char *value)
{
    char type[64];
    snprintf(type, sizeof type, "%s.%s", singular, action);
    cJSON *n = cJSON_CreateObject();
    cJSON_AddNumberToObject(n, "objectId", (double)r->seq);
    cJSON_AddStringToObject(n, "subscriptionType", type);
    cJSON_AddNumberToObject(n, "occurredAt", (double)at);
    if (prop) {
        cJSON_AddStringToObject(n, "propertyName", prop);
        cJSON_AddStringToObject(n, "propertyValue", value);
    }
    if (strcmp(action, "creation") == 0)
        cJSON_AddStringToObject(n, "changeFlag", "NEW");
    cJSON_AddItemToArray(all, n);
}

/* The fake keeps no property history: a record modified since `since` reports every property it has a value
 * for (or those listed), with its current value, at its last-modified time. */
static void recent_record(cJSON *all, const fk_rec_t *r, int64_t since, const cJSON *props)
{
    const char *sing = fk_hs_obj_singular(r->obj);
    if (r->created_ms >= since)
        add_note(all, sing, "creation", r, r->created_ms, NULL, NULL);
    if (r->modified_ms >= since) {
        const cJSON *p;
        cJSON_ArrayForEach(p, r->f)
        {
            const fk_hs_prop_t *d = fk_hs_prop(r->obj, p->string);
            if (!cJSON_IsString(p) || !d || d->readonly || strcmp(p->string, "createdate") == 0)
                continue;
            int listed = !props;
            const cJSON *l;
            cJSON_ArrayForEach(l, props)
            {
                listed |= cJSON_IsString(l) && strcmp(l->valuestring, p->string) == 0;
            }
            if (listed)
                add_note(all, sing, "propertyChange", r, r->modified_ms, p->string, p->valuestring);
        }
    }
    if (r->deleted && r->deleted_ms >= since)
        add_note(all, sing, "deletion", r, r->deleted_ms, NULL, NULL);
}

static const char *recent(cJSON *all, const cJSON *spec)
{
    int64_t since = 0;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(spec, "since_ms");
    if (cJSON_IsNumber(s))
        since = (int64_t)s->valuedouble;
    const cJSON *objs = cJSON_GetObjectItemCaseSensitive(spec, "objects");
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(spec, "properties");
    for (int o = 0; o < FK_HS_NOBJ; o++) {
        int wanted = !objs;
        const cJSON *x;
        cJSON_ArrayForEach(x, objs)
        {
            wanted |= cJSON_IsString(x) && fk_hs_obj_from_name(x->valuestring) == o;
        }
        for (size_t i = 0; wanted && i < G.hs[o].n; i++)
            recent_record(all, G.hs[o].v[i], since, cJSON_IsArray(props) ? props : NULL);
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------------ request */

static const char *parse_url(wh_job_t *j, const char *url)
{
    if (strncmp(url, "http://", 7) != 0)
        return "url must be an http:// URL (the fake sends to local receivers)";
    const char *a = url + 7, *end = a + strcspn(a, "/?#"), *hs = a, *he, *port = NULL;
    if (*a == '[') { /* [::1]:port */
        const char *rb = memchr(a, ']', (size_t)(end - a));
        if (!rb)
            return "bad host in url";
        hs = a + 1;
        he = rb;
        if (rb + 1 < end && rb[1] == ':')
            port = rb + 2;
    } else {
        const char *c = memchr(a, ':', (size_t)(end - a));
        he = c ? c : end;
        if (c)
            port = c + 1;
    }
    if (he <= hs || (size_t)(he - hs) >= sizeof j->host || (port && (port >= end || end - port >= (long)sizeof j->port)))
        return "bad host or port in url";
    snprintf(j->host, sizeof j->host, "%.*s", (int)(he - hs), hs);
    snprintf(j->port, sizeof j->port, "%.*s", port ? (int)(end - port) : 2, port ? port : "80");
    fk_buf_t t = {0};
    if (*end != '/')
        fk_buf_puts(&t, "/");
    fk_buf_puts(&t, end);
    j->target = fk_buf_take(&t);
    j->url = fk_xstrdup(url);
    j->uri_v3 = hubspot_decode(url);
    return NULL;
}

static long num(const cJSON *b, const char *k, long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, k);
    return cJSON_IsNumber(v) ? (long)v->valuedouble : dflt;
}

static const char *options(wh_job_t *j, const cJSON *b)
{
    const char *secret = fk_json_str(b, "secret"), *ver = fk_json_str(b, "signature_version");
    j->secret = fk_xstrdup(secret ? secret : G.o.client_secret);
    j->sigver = ver && strcmp(ver, "v2") == 0 ? 2 : 1;
    if (ver && strcmp(ver, "v1") != 0 && strcmp(ver, "v2") != 0)
        return "signature_version must be v1 or v2 (v3 is always sent too)";
    j->retries = (int)num(b, "retries", 0);
    j->retry_delay_ms = num(b, "retry_delay_ms", 50);
    j->timeout_ms = num(b, "timeout_ms", 5000); /* HubSpot gives up after 5 seconds */
    if (j->retries < 0 || j->retries > 10 || j->retry_delay_ms < 0 || j->timeout_ms < 1)
        return "retries must be 0..10, retry_delay_ms >= 0, timeout_ms >= 1";
    return NULL;
}

/* Duplicates and shuffles the notifications, then cuts them into batches. */
static void batch_up(wh_job_t *j, cJSON *all, const cJSON *b)
{
    int n = cJSON_GetArraySize(all);
    long dups = num(b, "duplicates", 0), size = num(b, "batch_size", 100);
    for (long d = 0; d < dups && n > 0; d++)
        cJSON_AddItemToArray(all, cJSON_Duplicate(cJSON_GetArrayItem(all, (int)(fk_rand() % (uint64_t)n)), 1));
    n = cJSON_GetArraySize(all);
    cJSON **v = fk_xmalloc(((size_t)n + 1) * sizeof *v);
    for (int i = 0; i < n; i++)
        v[i] = cJSON_DetachItemFromArray(all, 0);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "reorder")))
        for (int i = n - 1; i > 0; i--) {
            int k = (int)(fk_rand() % (uint64_t)(i + 1));
            cJSON *t = v[i];
            v[i] = v[k];
            v[k] = t;
        }
    j->notifications = n;
    j->batches = fk_xmalloc(((size_t)n / (size_t)size + 1) * sizeof *j->batches);
    for (int i = 0; i < n; i++) {
        if (i % size == 0)
            j->batches[j->nbatches++] = cJSON_CreateArray();
        cJSON_AddItemToArray(j->batches[j->nbatches - 1], v[i]);
    }
    free(v);
}

static const char *build(wh_job_t *j, const cJSON *b)
{
    const char *url = fk_json_str(b, "url"), *err;
    if (!url)
        return "url is required";
    if ((err = parse_url(j, url)) || (err = options(j, b)))
        return err;
    long size = num(b, "batch_size", 100), dups = num(b, "duplicates", 0);
    if (size < 1 || size > 100 || dups < 0 || dups > 10000)
        return "batch_size must be 1..100 and duplicates 0..10000";
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(b, "events");
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(b, "from_recent");
    if (!cJSON_IsArray(events) == !cJSON_IsObject(from))
        return "give either events (an array of notifications) or from_recent (an object)";
    cJSON *raw = cJSON_CreateArray(), *all = cJSON_CreateArray();
    if (cJSON_IsArray(events)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, events)
        {
            if (!cJSON_IsObject(e) || (!fk_json_str(e, "subscriptionType") && !fk_json_str(e, "eventType"))) {
                cJSON_Delete(raw);
                cJSON_Delete(all);
                return "each event must be an object with a subscriptionType";
            }
            cJSON_AddItemToArray(raw, cJSON_Duplicate(e, 1));
        }
    } else {
        recent(raw, from);
    }
    int64_t portal = num(b, "portal_id", 62515), app = num(b, "app_id", 54321);
    const cJSON *e;
    cJSON_ArrayForEach(e, raw)
    {
        cJSON_AddItemToArray(all, envelope(e, portal, app));
    }
    cJSON_Delete(raw);
    batch_up(j, all, b);
    cJSON_Delete(all);
    return NULL;
}

static void start(fk_req_t *rq, fk_resp_t *rs)
{
    cJSON *b = cJSON_ParseWithLength(rq->body, rq->body_len);
    wh_job_t *j = calloc(1, sizeof *j);
    if (!j)
        abort();
    const char *err = cJSON_IsObject(b) ? build(j, b) : "body must be a JSON object";
    cJSON_Delete(b);
    if (!err && pthread_create(&j->thread, NULL, job_main, j) != 0)
        err = "cannot start the delivery thread";
    if (err) {
        job_free(j);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "error", err);
        fk_resp_json(rs, 400, o);
        return;
    }
    j->id = g_next_job++;
    j->next = g_jobs;
    g_jobs = j;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", j->id);
    cJSON_AddNumberToObject(o, "notifications", j->notifications);
    cJSON_AddNumberToObject(o, "batches", j->nbatches);
    fk_resp_json(rs, 202, o);
}

static void list(fk_resp_t *rs)
{
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "deliveries");
    for (const wh_job_t *j = g_jobs; j; j = j->next) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddNumberToObject(d, "id", j->id);
        cJSON_AddBoolToObject(d, "done", j->done);
        cJSON_AddNumberToObject(d, "notifications", j->notifications);
        cJSON_AddNumberToObject(d, "batches", j->nbatches);
        cJSON_AddNumberToObject(d, "requests", j->requests);
        cJSON_AddNumberToObject(d, "delivered", j->delivered);
        cJSON_AddNumberToObject(d, "failed", j->failed);
        cJSON *st = cJSON_AddArrayToObject(d, "statuses");
        for (int i = 0; i < j->nstatuses; i++)
            cJSON_AddItemToArray(st, cJSON_CreateNumber(j->statuses[i]));
        cJSON_AddItemToArray(arr, d);
    }
    fk_resp_json(rs, 200, o);
}

/* Called from fk_control() with G.lock held. */
void fk_webhooks_route(fk_req_t *rq, fk_resp_t *rs)
{
    if (strcmp(rq->method, "POST") == 0)
        start(rq, rs);
    else
        list(rs);
}
