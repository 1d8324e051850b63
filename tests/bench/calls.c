/*
 * calls.c -- figure 4: API calls spent, counted by the fake (/__fake/stats: provider requests, every route):
 *   - upserting 10,000 contacts with one ucrm_batch (UPSERT by email for HubSpot, by the external id
 *     custom.External_Id__c for Salesforce): HubSpot takes 100 inputs per batch/upsert request, Salesforce 200
 *     records per sObject Collections request, so the floor is 100 and 50 requests (targets <= 100, <= 50);
 *   - reading them back incrementally: ucrm_list with updated_since (a moment before the upsert) and the largest
 *     page each provider serves (HubSpot search: 200 per request, plus one v4 batch read of the company
 *     associations per page, because search answers carry none; Salesforce: SOQL pages of 2,000).
 * One fake per provider, with budgets far above what this uses (the figure counts requests; pacing is figure 3).
 *
 *   build/plain/bench/calls            (BENCH_QUICK=1: 1,000 contacts)
 */
#include "bench.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t fake_now_ms(const ucrm_fake_t *f) {
    long st = 0;
    char *b = fake_request(f, "GET", "/__fake/clock", NULL, &st);
    cJSON *j = st == 200 ? cJSON_Parse(b) : NULL;
    free(b);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(j, "now_ms");
    if (!cJSON_IsNumber(n))
        bench_die("no clock from the fake");
    int64_t ms = (int64_t)n->valuedouble;
    cJSON_Delete(j);
    return ms;
}

static void rfc3339(int64_t ms, char *out, size_t n) {
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Requests per route of the fake, those with at least one, as "route: n" lines. */
static void print_routes(const ucrm_fake_t *f) {
    char *s = fake_stats(f);
    cJSON *j = s ? cJSON_Parse(s) : NULL;
    free(s);
    const cJSON *route;
    cJSON_ArrayForEach(route, cJSON_GetObjectItemCaseSensitive(j, "routes")) {
        if (strncmp(route->string, "POST /__fake", 12) == 0 || strncmp(route->string, "GET /__fake", 11) == 0 ||
            strstr(route->string, "oauth"))
            continue;
        const cJSON *st;
        long n = 0;
        cJSON_ArrayForEach(st, route) n += (long)st->valuedouble;
        printf("      %-64s %6ld\n", route->string, n);
    }
    cJSON_Delete(j);
}

/* Reads back every contact modified since `since` (fields: NULL for all), checks that there are n, and returns
 * the requests it took. */
static long read_back(const ucrm_fake_t *f, ucrm_client_t *c, const char *name, const char *counter,
                      const char *since, const char *fields, long n) {
    long mark = bench_fake_stat(f, counter);
    ucrm_reqopts_t *o = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_reqopts_new(&o) != UCRM_OK || ucrm_reqopts_set_updated_since(o, since) != UCRM_OK ||
        ucrm_reqopts_set_page_size(o, 2000) != UCRM_OK || (fields && ucrm_reqopts_set_fields(o, fields) != UCRM_OK))
        bench_die("reqopts");
    ucrm_iter_t *it = NULL;
    if (ucrm_list(c, UCRM_OBJECT_CONTACT, o, &it, &e) != UCRM_OK)
        bench_die("list: %s", ucrm_error_message(e));
    long got = 0;
    ucrm_record_t *r = NULL;
    ucrm_err_t rc;
    double t0 = bench_now_us();
    while ((rc = ucrm_iter_next(it, &r, &e)) == UCRM_OK) {
        got++;
        ucrm_record_destroy(r);
    }
    double secs = (bench_now_us() - t0) / 1e6;
    if (rc != UCRM_ITEROVER)
        bench_die("%s read back: %s: %s", name, ucrm_err_name(rc), ucrm_error_message(e));
    if (got != n)
        bench_die("%s read back %ld records, not %ld", name, got, n);
    ucrm_iter_destroy(it);
    ucrm_reqopts_destroy(o);
    long calls = bench_fake_stat(f, counter) - mark;
    printf("  %s: incremental read-back of %ld contacts (updated_since %s, fields %s): %ld requests, %.2f s\n", name,
           got, since, fields ? fields : "all", calls, secs);
    return calls;
}

static void run(const char *provider, const char *name, long n, long target) {
    bool sf = strcmp(provider, "salesforce") == 0;
    const char *args[] = {"--hubspot-rate", "1000000000/10000", "--hubspot-daily", "1000000000",
                          "--hubspot-search-rate", "1000000/1000", "--salesforce-daily", "1000000000",
                          "--salesforce-custom-fields", "Contact.External_Id__c:externalid", NULL};
    ucrm_fake_t *f = bench_fake(args);
    const char *extra[] = {"ratelimit.requests", "1000000", "ratelimit.interval.ms", "1000",
                           "ratelimit.search.requests", "1000000", NULL};
    ucrm_conf_t *conf = bench_conf(f, provider, extra);
    ucrm_client_t *c = bench_client(conf);
    ucrm_conf_destroy(conf);
    const char *counter = sf ? "salesforce.requests" : "hubspot.requests";

    /* the moment before: whole seconds, one second back (Salesforce compares SystemModstamp by the second) */
    char since[40];
    rfc3339(fake_now_ms(f) - 1000, since, sizeof since);

    ucrm_batch_t *b = NULL;
    if (ucrm_batch_new(&b, UCRM_OBJECT_CONTACT, UCRM_BATCH_UPSERT) != UCRM_OK ||
        ucrm_batch_set_key_field(b, sf ? "custom.External_Id__c" : "email") != UCRM_OK)
        bench_die("batch");
    for (long i = 0; i < n; i++) {
        char json[256], ext[64] = "";
        if (sf)
            snprintf(ext, sizeof ext, ",\"custom.External_Id__c\":\"bulk-%ld\"", i);
        snprintf(json, sizeof json,
                 "{\"first_name\":\"Bulk\",\"last_name\":\"Contact %ld\",\"email\":\"bulk.%ld@example.com\"%s}", i,
                 i, ext);
        ucrm_record_t *r = NULL;
        if (ucrm_record_new_from_json(&r, UCRM_OBJECT_CONTACT, json, strlen(json), NULL) != UCRM_OK ||
            ucrm_batch_add(b, r) != UCRM_OK)
            bench_die("batch_add");
        ucrm_record_destroy(r);
    }
    long before = bench_fake_stat(f, counter);
    ucrm_error_t *e = NULL;
    double t0 = bench_now_us();
    ucrm_err_t rc = ucrm_batch_run(c, b, NULL, &e);
    double up_s = (bench_now_us() - t0) / 1e6;
    if (rc != UCRM_OK)
        bench_die("%s batch upsert: %s: %s", name, ucrm_err_name(rc), ucrm_error_message(e));
    for (size_t i = 0; i < ucrm_batch_count(b); i++) {
        const char *id = NULL;
        const ucrm_error_t *ie = NULL;
        if (ucrm_batch_result(b, i, &id, &ie) != UCRM_OK || ie || !id)
            bench_die("%s batch item %zu failed: %s", name, i, ucrm_error_message(ie));
    }
    ucrm_batch_destroy(b);
    long upsert_calls = bench_fake_stat(f, counter) - before;
    printf("  %s: upsert of %ld contacts: %ld requests, %.2f s\n", name, n, upsert_calls, up_s);

    long read_calls = read_back(f, c, name, counter, since, NULL, n);
    long read_few = read_back(f, c, name, counter, since, "first_name,last_name,email,updated_at", n);
    printf("    all requests, by route:\n");
    print_routes(f);

    char m[96], t[32], v[96];
    snprintf(m, sizeof m, "%s: requests to upsert %ld contacts", name, n);
    snprintf(t, sizeof t, "<= %ld", target);
    snprintf(v, sizeof v, "%ld", upsert_calls);
    bench_row("4", m, t, upsert_calls <= target ? BENCH_PASS : BENCH_MISS, "%s", v);
    snprintf(m, sizeof m, "%s: requests to read them back (updated_since)", name);
    bench_row("4", m, "", BENCH_INFO, "%ld (%.1f records per request)", read_calls, (double)n / (double)read_calls);
    snprintf(m, sizeof m, "%s: the same, 4 fields (no account_id)", name);
    bench_row("4", m, "", BENCH_INFO, "%ld (%.1f records per request)", read_few, (double)n / (double)read_few);
    ucrm_client_destroy(c);
    bench_fake_stop(f);
}

int main(void) {
    long n = bench_scale(10000, 1000);
    printf("figure 4: API calls spent, counted at the fake\n");
    run("hubspot", "HubSpot", n, n / 100);
    run("salesforce", "Salesforce", n, n / 200);
    return 0;
}
