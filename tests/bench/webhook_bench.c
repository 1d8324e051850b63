/*
 * webhook_bench.c -- the sync toolkit's per-request costs, through the public API only: verifying a HubSpot v3
 * signature of a 100-notification batch (~26 KB, HubSpot's maximum), parsing that batch into events, the whole
 * receive path (verify + parse + dedupe + keep_newest + an echo check per event), and one dedupe check. Not run
 * by make check.
 *
 *   make bench-build && build/plain/bench/webhook_bench [iterations]      (also run by make bench)
 */
#include "bench.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
#define URL "https://app.example.com/hubspot/webhooks?tenant=acme%2Fprod"
#define TS "1700000000000"
#define NOW 1700000001000LL

static double now_ns(void) { return bench_now_us() * 1e3; }

/* 100 notifications as HubSpot sends them: mostly property changes, some creations, a merge, associations. */
static size_t make_batch(char *b, size_t cap) {
    size_t o = 0;
    o += (size_t)snprintf(b + o, cap - o, "[");
    for (int i = 0; i < 100; i++) {
        const char *sep = i ? "," : "";
        if (i % 10 == 0)
            o += (size_t)snprintf(b + o, cap - o,
                                  "%s{\"eventId\":%lld,\"subscriptionId\":1234,\"portalId\":62515,\"appId\":54321,"
                                  "\"occurredAt\":%lld,\"subscriptionType\":\"contact.creation\",\"attemptNumber\":0,"
                                  "\"objectId\":%d,\"changeSource\":\"CRM_UI\",\"changeFlag\":\"NEW\"}",
                                  sep, (long long)(3816279340LL + i), 1699999990000LL + i, 1246965 + i);
        else if (i % 25 == 7)
            o += (size_t)snprintf(b + o, cap - o,
                                  "%s{\"eventId\":%lld,\"subscriptionId\":1235,\"portalId\":62515,\"appId\":54321,"
                                  "\"occurredAt\":%lld,\"subscriptionType\":\"contact.associationChange\","
                                  "\"attemptNumber\":0,\"fromObjectId\":%d,\"toObjectId\":9001,\"associationType\":"
                                  "\"CONTACT_TO_COMPANY\",\"associationRemoved\":false,\"isPrimaryAssociation\":true,"
                                  "\"changeSource\":\"CRM_UI\"}",
                                  sep, (long long)(3816279340LL + i), 1699999990000LL + i, 1246965 + i);
        else
            o += (size_t)snprintf(b + o, cap - o,
                                  "%s{\"eventId\":%lld,\"subscriptionId\":1236,\"portalId\":62515,\"appId\":54321,"
                                  "\"occurredAt\":%lld,\"subscriptionType\":\"contact.propertyChange\","
                                  "\"attemptNumber\":0,\"objectId\":%d,\"propertyName\":\"%s\",\"propertyValue\":"
                                  "\"value number %d for the property\",\"changeSource\":\"INTEGRATION\","
                                  "\"sourceId\":\"54321\"}",
                                  sep, (long long)(3816279340LL + i), 1699999990000LL + i, 1246965 + i % 40,
                                  i % 3 ? "lifecyclestage" : "email", i);
    }
    o += (size_t)snprintf(b + o, cap - o, "]");
    return o;
}

static void sign_v3(const char *body, size_t len, char out[64]) {
    char decoded[] = "https://app.example.com/hubspot/webhooks?tenant=acme/prod";
    size_t n = 4 + strlen(decoded) + len + strlen(TS);
    char *src = malloc(n + 1);
    snprintf(src, n + 1, "POST%s%.*s%s", decoded, (int)len, body, TS);
    unsigned char d[32];
    unsigned int dl;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (unsigned char *)src, n, d, &dl);
    EVP_EncodeBlock((unsigned char *)out, d, 32);
    free(src);
}

#define BENCH(label, iters, body)                                                                              \
    do {                                                                                                       \
        double t0 = now_ns();                                                                                  \
        for (long it = 0; it < (iters); it++) {                                                                \
            body;                                                                                              \
        }                                                                                                      \
        double per = (now_ns() - t0) / (double)(iters);                                                        \
        printf("%-46s %10.0f ns  (%.1f us)\n", label, per, per / 1000);                                         \
    } while (0)

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 2000;
    if (n <= 0)
        n = 2000;
    static char body[64 * 1024];
    size_t len = make_batch(body, sizeof body);
    char sig[64];
    sign_v3(body, len, sig);
    if (ucrm_webhook_verify_hubspot(SECRET, "POST", URL, body, len, "v3", sig, TS, NOW, NULL) != UCRM_OK) {
        fprintf(stderr, "the benchmark's signature does not verify\n");
        return 1;
    }
    printf("batch: 100 notifications, %zu bytes; %ld iterations\n", len, n);

    BENCH("verify v3 (HMAC-SHA256 + URI decoding)", n,
          if (ucrm_webhook_verify_hubspot(SECRET, "POST", URL, body, len, "v3", sig, TS, NOW, NULL)) abort());

    BENCH("parse 100 notifications", n, {
        ucrm_events_t *evs = NULL;
        if (ucrm_events_parse_hubspot(&evs, body, len, NULL, NULL))
            abort();
        ucrm_events_destroy(evs);
    });

    ucrm_dedupe_t *d = NULL;
    ucrm_policy_t *p = NULL;
    if (ucrm_dedupe_new(&d, 1000000, 24LL * 3600 * 1000) || ucrm_policy_new(&p))
        abort();
    ucrm_policy_add_echo_source(p, "54321", NULL);
    BENCH("receive: verify+parse+dedupe+newest+echo", n, {
        ucrm_events_t *evs = NULL;
        size_t removed;
        if (ucrm_webhook_verify_hubspot(SECRET, "POST", URL, body, len, "v3", sig, TS, NOW, NULL) ||
            ucrm_events_parse_hubspot(&evs, body, len, NULL, NULL) ||
            ucrm_events_dedupe(evs, &removed, d, NOW + it, NULL) || ucrm_events_keep_newest(evs, &removed))
            abort();
        for (size_t k = 0; k < ucrm_events_count(evs); k++)
            ucrm_policy_is_echo(p, ucrm_events_get(evs, k), NOW);
        ucrm_events_destroy(evs);
    });

    /* dedupe checks on distinct keys (inserts, the store growing to 1M) and on keys already present */
    char key[96];
    long m = n * 100;
    BENCH("dedupe check, new key", m, {
        snprintf(key, sizeof key, "hs:62515:%ld:1700000000000:contact.propertyChange:email", it);
        int was;
        ucrm_dedupe_seen(d, &was, key, NOW, NULL);
    });
    BENCH("dedupe check, duplicate key", m, {
        snprintf(key, sizeof key, "hs:62515:%ld:1700000000000:contact.propertyChange:email", it % 1000);
        int was;
        ucrm_dedupe_seen(d, &was, key, NOW, NULL);
    });
    printf("dedupe store holds %zu keys\n", ucrm_dedupe_count(d));
    ucrm_dedupe_destroy(d);
    ucrm_policy_destroy(p);
    return 0;
}
