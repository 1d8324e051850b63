/*
 * test_sync_e2e.c -- the webhook path end to end: the local fake sends HubSpot-style signed batches (with
 * duplicates, reordering and retries, POST /__fake/webhooks) to a tiny HTTP receiver in this test, which does
 * what an application does with the toolkit: verify (v1/v2 and v3), parse, dedupe, keep the newest per record
 * and field, apply only what is newer than what it holds, and un-mark the events of a request it fails so that
 * the retry gets through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "helpers/fake_test.h"
#include <unicrm/unicrm.h>

#define SECRET "e2e-client-secret"
#define MAX_APPLIED 512

/* ------------------------------------------------------------------------------------------------ the app */

typedef struct applied {
    char key[128];    /* record id + field */
    char value[128];
    int64_t at;
} applied_t;

typedef struct app {
    pthread_mutex_t lock;
    ucrm_dedupe_t *dedupe;
    const char *secret;
    const char *sigver;  /* X-HubSpot-Signature-Version to expect ("v1"/"v2") */
    int fail_first;      /* answer 500 to this many requests */
    int requests, rejected, failed, events, duplicates, superseded, stale;
    int creations, deletions;
    applied_t applied[MAX_APPLIED];
    int napplied;
    char last_error[256];
} app_t;

static applied_t *slot(app_t *a, const char *key) {
    for (int i = 0; i < a->napplied; i++)
        if (strcmp(a->applied[i].key, key) == 0)
            return &a->applied[i];
    if (a->napplied == MAX_APPLIED)
        return NULL;
    applied_t *s = &a->applied[a->napplied++];
    snprintf(s->key, sizeof s->key, "%s", key);
    s->at = -1;
    return s;
}

/* Applies an event only when it is newer than what the application holds (ordering across batches). */
static void apply(app_t *a, const ucrm_event_t *ev) {
    char key[128];
    snprintf(key, sizeof key, "%s/%s", ucrm_event_record_id(ev),
             ucrm_event_field(ev) ? ucrm_event_field(ev) : "(record)");
    applied_t *s = slot(a, key);
    if (!s)
        return;
    if (ucrm_event_occurred_at_ms(ev) <= s->at) {
        a->stale++;
        return;
    }
    s->at = ucrm_event_occurred_at_ms(ev);
    snprintf(s->value, sizeof s->value, "%s", ucrm_event_value(ev) ? ucrm_event_value(ev) : "");
    a->creations += ucrm_event_kind(ev) == UCRM_EVENT_CREATED;
    a->deletions += ucrm_event_kind(ev) == UCRM_EVENT_DELETED;
}

typedef struct hreq {
    char method[8], target[1024];
    char sig[128], sigver[8], sig3[128], ts[32];
    const char *body;
    size_t len;
    int port;
} hreq_t;

/* The application's webhook handler: returns the HTTP status to answer. */
static int handle(app_t *a, const hreq_t *r) {
    char url[1200];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", r->port, r->target);
    ucrm_error_t *e = NULL;
    pthread_mutex_lock(&a->lock);
    a->requests++;
    int status = 200;
    if (strcmp(r->sigver, a->sigver) != 0 ||
        ucrm_webhook_verify_hubspot(a->secret, r->method, url, r->body, r->len, r->sigver, r->sig, NULL, 0, &e) < 0 ||
        ucrm_webhook_verify_hubspot(a->secret, r->method, url, r->body, r->len, "v3", r->sig3, r->ts, 0, &e) < 0) {
        snprintf(a->last_error, sizeof a->last_error, "%s", ucrm_error_message(e));
        a->rejected++;
        status = 401;
        goto out;
    }
    ucrm_events_t *evs = NULL;
    size_t dups = 0, superseded = 0;
    if (ucrm_events_parse_hubspot(&evs, r->body, r->len, NULL, &e) < 0 ||
        ucrm_events_dedupe(evs, &dups, a->dedupe, 0, &e) < 0) {
        snprintf(a->last_error, sizeof a->last_error, "%s", ucrm_error_message(e));
        ucrm_events_destroy(evs);
        status = 400;
        goto out;
    }
    if (a->failed < a->fail_first) { /* processing "failed": un-mark what dedupe let in, answer 500: retried */
        a->failed++;
        for (size_t i = 0; i < ucrm_events_count(evs); i++)
            ucrm_dedupe_forget(a->dedupe, ucrm_event_key(ucrm_events_get(evs, i)), NULL);
        status = 500;
    } else if (ucrm_events_keep_newest(evs, &superseded) == UCRM_OK) {
        a->duplicates += (int)dups;
        a->superseded += (int)superseded;
        for (size_t i = 0; i < ucrm_events_count(evs); i++) {
            a->events++;
            apply(a, ucrm_events_get(evs, i));
        }
    } else {
        status = 500;
    }
    ucrm_events_destroy(evs);
out:
    ucrm_error_destroy(e);
    pthread_mutex_unlock(&a->lock);
    return status;
}

/* ------------------------------------------------------------------------------------------------ receiver */

typedef struct receiver {
    int lfd, port, wake[2];
    pthread_t thr;
    app_t *app;
} receiver_t;

static void header(const char *head, const char *name, char *out, size_t n) {
    out[0] = '\0';
    char pat[64];
    snprintf(pat, sizeof pat, "\r\n%s:", name);
    const char *h = strcasestr(head, pat);
    if (!h)
        return;
    h += strlen(pat);
    while (*h == ' ')
        h++;
    size_t k = strcspn(h, "\r\n");
    snprintf(out, n, "%.*s", (int)(k < n - 1 ? k : n - 1), h);
}

/* One request per connection (the fake sends Connection: close). */
static void serve(receiver_t *rv, int fd) {
    size_t cap = 1 << 20, have = 0;
    char *buf = malloc(cap + 1);
    char *end = NULL;
    size_t clen = 0, head_len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, cap - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n"))) {
            head_len = (size_t)(end - buf) + 4;
            char cl[32];
            header(buf, "Content-Length", cl, sizeof cl);
            clen = (size_t)strtoul(cl, NULL, 10);
        }
        if (end && have >= head_len + clen)
            break;
    }
    if (end && have >= head_len + clen) {
        hreq_t r = {.body = buf + head_len, .len = clen, .port = rv->port};
        buf[head_len - 2] = '\0'; /* the head, with its last CRLF kept for header() */
        sscanf(buf, "%7s %1023s", r.method, r.target);
        header(buf, "X-HubSpot-Signature", r.sig, sizeof r.sig);
        header(buf, "X-HubSpot-Signature-Version", r.sigver, sizeof r.sigver);
        header(buf, "X-HubSpot-Signature-v3", r.sig3, sizeof r.sig3);
        header(buf, "X-HubSpot-Request-Timestamp", r.ts, sizeof r.ts);
        int st = handle(rv->app, &r);
        char out[128];
        int n = snprintf(out, sizeof out, "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", st);
        if (write(fd, out, (size_t)n) != n) {
        }
    }
    free(buf);
}

static void *run(void *arg) {
    receiver_t *rv = arg;
    for (;;) {
        struct pollfd p[2] = {{rv->lfd, POLLIN, 0}, {rv->wake[0], POLLIN, 0}};
        if (poll(p, 2, -1) <= 0 || p[1].revents)
            return NULL;
        int fd = accept(rv->lfd, NULL, NULL);
        if (fd >= 0) {
            serve(rv, fd);
            close(fd);
        }
    }
}

static receiver_t *receiver_start(app_t *a) {
    receiver_t *rv = calloc(1, sizeof *rv);
    rv->app = a;
    rv->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(rv->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(rv->lfd, 16), 0);
    getsockname(rv->lfd, (struct sockaddr *)&sa, &sl);
    rv->port = ntohs(sa.sin_port);
    assert_int_equal(pipe(rv->wake), 0);
    pthread_create(&rv->thr, NULL, run, rv);
    return rv;
}

static void receiver_stop(receiver_t *rv) {
    if (write(rv->wake[1], "x", 1) != 1) {
    }
    pthread_join(rv->thr, NULL);
    close(rv->lfd);
    close(rv->wake[0]);
    close(rv->wake[1]);
    free(rv);
}

/* ------------------------------------------------------------------------------------------------ fixture */

typedef struct fx {
    ucrm_fake_t *fake;
    receiver_t *rv;
    app_t app;
} fx_t;

static int setup(void **state) {
    fx_t *f = calloc(1, sizeof *f);
    f->fake = fake_start(NULL);
    if (!f->fake)
        return -1;
    pthread_mutex_init(&f->app.lock, NULL);
    f->app.secret = SECRET;
    f->app.sigver = "v1";
    if (ucrm_dedupe_new(&f->app.dedupe, 10000, 24LL * 3600 * 1000) != UCRM_OK)
        return -1;
    f->rv = receiver_start(&f->app);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx_t *f = *state;
    int rc = fake_stop(f->fake);
    receiver_stop(f->rv);
    ucrm_dedupe_destroy(f->app.dedupe);
    pthread_mutex_destroy(&f->app.lock);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* Starts a delivery and waits (up to 20 s) until the fake says it is done; returns the delivery's status. */
static cJSON *deliver(fx_t *f, const char *json) {
    cJSON *started = t_call(f->fake, "POST", "/__fake/webhooks", NULL, json, 202);
    int id = (int)t_num(started, "id");
    cJSON_Delete(started);
    for (int i = 0; i < 2000; i++) {
        cJSON *all = t_call(f->fake, "GET", "/__fake/webhooks", NULL, NULL, 200);
        const cJSON *d;
        cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(all, "deliveries")) {
            if ((int)t_num(d, "id") == id && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "done"))) {
                cJSON *copy = cJSON_Duplicate(d, 1);
                cJSON_Delete(all);
                return copy;
            }
        }
        cJSON_Delete(all);
        struct timespec t = {0, 10 * 1000000L};
        nanosleep(&t, NULL);
    }
    fail_msg("delivery %d did not finish", id);
    return NULL;
}

static const applied_t *held(app_t *a, const char *key) {
    for (int i = 0; i < a->napplied; i++)
        if (strcmp(a->applied[i].key, key) == 0)
            return &a->applied[i];
    return NULL;
}

/* ------------------------------------------------------------------------------------------------ tests */

/* 10 contacts x 3 successive emails, delivered in batches of 7, shuffled, with 12 duplicates, the first two
 * requests failing: the application ends up with exactly the newest email of each contact. */
static void test_sync_e2e__duplicates_reordering_retries(void **state) {
    fx_t *f = *state;
    f->app.fail_first = 2;
    char body[16384];
    size_t o = (size_t)snprintf(body, sizeof body,
                                "{\"url\":\"http://127.0.0.1:%d/hooks/hubspot?tenant=acme%%2Fprod&x=%%3A(1)\","
                                "\"secret\":\"" SECRET "\",\"batch_size\":7,\"duplicates\":12,\"reorder\":true,"
                                "\"retries\":3,\"retry_delay_ms\":10,\"events\":[",
                                f->rv->port);
    for (int rec = 0; rec < 10; rec++)
        for (int v = 0; v < 3; v++)
            o += (size_t)snprintf(body + o, sizeof body - o,
                                  "%s{\"subscriptionType\":\"contact.propertyChange\",\"objectId\":%d,"
                                  "\"propertyName\":\"email\",\"propertyValue\":\"c%d-v%d@x.io\",\"occurredAt\":%d}",
                                  rec || v ? "," : "", 500 + rec, rec, v, 1000 + 10 * v + rec);
    snprintf(body + o, sizeof body - o, "]}");
    cJSON *d = deliver(f, body);
    assert_int_equal((int)t_num(d, "notifications"), 42);
    assert_int_equal((int)t_num(d, "batches"), 6);
    assert_int_equal((int)t_num(d, "delivered"), 6);
    assert_int_equal((int)t_num(d, "failed"), 0);
    assert_int_equal((int)t_num(d, "requests"), 8);      /* two retries */
    assert_int_equal((int)t_num(d, "statuses.0"), 500);
    assert_int_equal((int)t_num(d, "statuses.1"), 500);
    cJSON_Delete(d);
    app_t *a = &f->app;
    if (a->rejected)
        fail_msg("rejected %d: %s", a->rejected, a->last_error);
    assert_int_equal(a->requests, 8);
    for (int rec = 0; rec < 10; rec++) {
        char key[64], want[64];
        snprintf(key, sizeof key, "%d/custom.email", 500 + rec);
        snprintf(want, sizeof want, "c%d-v2@x.io", rec);
        const applied_t *s = held(a, key);
        assert_non_null(s);
        assert_string_equal(s->value, want);
        assert_int_equal(s->at, 1020 + rec);
    }
    /* the 42 notifications of the successful requests: 12 duplicates, and the 30 distinct changes each once,
     * applied or superseded by a newer one in the same batch (older ones arriving later are stale) */
    assert_int_equal(a->duplicates, 12);
    assert_int_equal(a->events + a->superseded, 30);
    assert_true(a->stale <= a->events - 10);
}

/* The same changes delivered twice (a whole redelivery) change nothing the second time. */
static void test_sync_e2e__redelivery_is_deduplicated(void **state) {
    fx_t *f = *state;
    char body[1024];
    snprintf(body, sizeof body,
             "{\"url\":\"http://127.0.0.1:%d/h\",\"secret\":\"" SECRET "\",\"events\":["
             "{\"subscriptionType\":\"deal.creation\",\"objectId\":77,\"occurredAt\":5,\"eventId\":1},"
             "{\"subscriptionType\":\"deal.deletion\",\"objectId\":78,\"occurredAt\":6,\"eventId\":2}]}",
             f->rv->port);
    cJSON_Delete(deliver(f, body));
    assert_int_equal(f->app.events, 2);
    cJSON_Delete(deliver(f, body));
    assert_int_equal(f->app.requests, 2);
    assert_int_equal(f->app.events, 2);
    assert_int_equal(f->app.duplicates, 2);
    assert_int_equal(f->app.creations, 1);
    assert_int_equal(f->app.deletions, 1);
}

/* v2 signatures (method + URL), and records taken from the fake's store ("from recent changes"). */
static void test_sync_e2e__v2_from_recent_changes(void **state) {
    fx_t *f = *state;
    f->app.sigver = "v2";
    cJSON *ids = t_call(f->fake, "POST", "/__fake/records/hubspot/contacts", NULL,
                        "[{\"email\":\"a@x.io\",\"firstname\":\"Ada\"},{\"email\":\"b@x.io\"},"
                        "{\"email\":\"gone@x.io\",\"archived\":true}]",
                        201);
    const char *gone = t_str(ids, "ids.2");
    char body[512];
    snprintf(body, sizeof body,
             "{\"url\":\"http://127.0.0.1:%d/h\",\"secret\":\"" SECRET "\",\"signature_version\":\"v2\","
             "\"from_recent\":{\"since_ms\":0,\"objects\":[\"contacts\"],\"properties\":[\"email\",\"firstname\"]}}",
             f->rv->port);
    cJSON *d = deliver(f, body);
    /* 3 creations, 4 property changes (a: email, firstname; b: email; gone: email), 1 deletion */
    assert_int_equal((int)t_num(d, "notifications"), 8);
    assert_int_equal((int)t_num(d, "delivered"), 1);
    cJSON_Delete(d);
    if (f->app.rejected)
        fail_msg("rejected: %s", f->app.last_error);
    /* the archived contact's creation is superseded by its deletion in the same batch (keep_newest) */
    assert_int_equal(f->app.events, 7);
    assert_int_equal(f->app.superseded, 1);
    assert_int_equal(f->app.creations, 2);
    char key[64];
    snprintf(key, sizeof key, "%s/custom.email", t_str(ids, "ids.0"));
    assert_string_equal(held(&f->app, key)->value, "a@x.io");
    snprintf(key, sizeof key, "%s/(record)", gone);
    assert_non_null(held(&f->app, key));
    assert_int_equal(f->app.deletions, 1);
    cJSON_Delete(ids);
}

/* A receiver with another secret rejects every request; the fake retries each batch, then gives up. */
static void test_sync_e2e__wrong_secret_rejected(void **state) {
    fx_t *f = *state;
    char body[512];
    snprintf(body, sizeof body,
             "{\"url\":\"http://127.0.0.1:%d/h\",\"secret\":\"not-the-app-secret\",\"retries\":2,\"retry_delay_ms\":1,"
             "\"events\":[{\"subscriptionType\":\"contact.creation\",\"objectId\":1}]}",
             f->rv->port);
    cJSON *d = deliver(f, body);
    assert_int_equal((int)t_num(d, "requests"), 3);
    assert_int_equal((int)t_num(d, "failed"), 1);
    assert_int_equal((int)t_num(d, "statuses.2"), 401);
    cJSON_Delete(d);
    assert_int_equal(f->app.rejected, 3);
    assert_non_null(strstr(f->app.last_error, "mismatch"));
    assert_int_equal(f->app.events, 0);
}

static void test_sync_e2e__bad_requests(void **state) {
    fx_t *f = *state;
    const char *bad[] = {
        "{}", "[]", "{\"url\":\"https://127.0.0.1:1/h\",\"events\":[]}",
        "{\"url\":\"http://127.0.0.1:1/h\"}",
        "{\"url\":\"http://127.0.0.1:1/h\",\"events\":[{\"objectId\":1}]}",
        "{\"url\":\"http://127.0.0.1:1/h\",\"events\":[],\"batch_size\":101}",
        "{\"url\":\"http://127.0.0.1:1/h\",\"events\":[],\"retries\":11}",
        "{\"url\":\"http://127.0.0.1:1/h\",\"events\":[],\"signature_version\":\"v3\"}",
        "{\"url\":\"http://:1/h\",\"events\":[]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cJSON_Delete(t_call(f->fake, "POST", "/__fake/webhooks", NULL, bad[i], 400));
    /* nobody listening: the batch fails after its retries, the fake stays healthy */
    cJSON *d = deliver(f, "{\"url\":\"http://127.0.0.1:1/h\",\"retries\":1,\"retry_delay_ms\":1,"
                          "\"events\":[{\"subscriptionType\":\"contact.creation\",\"objectId\":1}]}");
    assert_int_equal((int)t_num(d, "failed"), 1);
    assert_int_equal((int)t_num(d, "statuses.0"), 0);
    cJSON_Delete(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sync_e2e__duplicates_reordering_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_e2e__redelivery_is_deduplicated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_e2e__v2_from_recent_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_e2e__wrong_secret_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_e2e__bad_requests, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
