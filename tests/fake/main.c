/*
 * main.c -- unicrm-fake: command line, start-up, signal handling, shutdown.
 *
 *   build/bin/unicrm-fake [--port N] [options]     (see tests/fake/README.md)
 *
 * Prints "listening on http://127.0.0.1:PORT" (or https) as its first stdout line, runs until SIGTERM/SIGINT,
 * then exits 0.
 */
#include "fake.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <openssl/evp.h>

fk_global_t G;

static void usage(FILE *f)
{
    fputs("usage: unicrm-fake [--port N] [--threads N] [--seed N] [--hubspot-rate N/MS] [--hubspot-search-rate N/MS]\n"
          "       [--hubspot-daily N] [--salesforce-daily N] [--token-ttl S] [--latency-ms MS]\n"
          "       [--fault-rate R] [--faults 429,500,503,reset,timeout,badjson,477] [--fault-timeout-ms MS]\n"
          "       [--fault-retry-after S]\n"
          "       [--tls-cert FILE --tls-key FILE] [--client-id S] [--client-secret S] [--refresh-token S]\n"
          "       [--hubspot-private-token S] [--jwt-public-key FILE] [--salesforce-rotate-refresh]\n"
          "       [--salesforce-custom-fields Obj.Field__c[:type],...] [--hubspot-custom-properties obj.name[:type],...]\n"
          "       [--verbose]\n",
          f);
}

static int parse_rate(const char *s, long *max, long *ms)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '/' || a < 0)
        return -1;
    const char *p = end + 1;
    long b = strtol(p, &end, 10);
    if (end == p || *end || b <= 0)
        return -1;
    *max = a;
    *ms = b;
    return 0;
}

static int parse_long(const char *s, long *out, long min)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < min)
        return -1;
    *out = v;
    return 0;
}

/* "Contact.External_Id__c:externalid,Account.Score__c:double" or "contacts.favorite_color:number:unique" */
int fk_parse_custom(const char *spec, int salesforce)
{
    char *copy = fk_xstrdup(spec), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int *n = salesforce ? &G.o.ncustom_sf : &G.o.ncustom_hs;
        fk_custom_t *c = salesforce ? &G.o.custom_sf[*n] : &G.o.custom_hs[*n];
        if (*n >= 64)
            break;
        memset(c, 0, sizeof *c);
        char *dot = strchr(tok, '.');
        if (!dot || dot == tok || !dot[1]) {
            free(copy);
            return -1;
        }
        *dot = '\0';
        snprintf(c->obj, sizeof c->obj, "%s", tok);
        char *rest = dot + 1, *colon = strchr(rest, ':');
        if (colon)
            *colon = '\0';
        snprintf(c->name, sizeof c->name, "%s", rest);
        snprintf(c->type, sizeof c->type, "%s", "string");
        while (colon) {
            char *attr = colon + 1;
            colon = strchr(attr, ':');
            if (colon)
                *colon = '\0';
            if (strcmp(attr, "externalid") == 0)
                c->externalid = c->unique = 1;
            else if (strcmp(attr, "unique") == 0)
                c->unique = 1;
            else if (strcmp(attr, "casesensitive") == 0)
                c->casesensitive = c->unique = 1;
            else
                snprintf(c->type, sizeof c->type, "%s", attr);
        }
        if (salesforce && (strlen(c->name) < 4 || strcmp(c->name + strlen(c->name) - 3, "__c") != 0)) {
            free(copy);
            return -1;
        }
        (*n)++;
    }
    free(copy);
    return 0;
}

static void defaults(void)
{
    G.o.port = 0;
    G.o.threads = 2;
    G.o.hs_rate_max = 190;
    G.o.hs_rate_ms = 10000;
    G.o.hs_search_max = 5;
    G.o.hs_search_ms = 1000;
    G.o.hs_daily = 1000000;
    G.o.sf_daily = 100000;
    G.o.token_ttl = 1800;
    G.o.fault_timeout_ms = 30000;
    G.o.fault_retry_after_s = 1;
    snprintf(G.o.faults, sizeof G.o.faults, "%s", "429,500,503,reset,timeout,badjson");
    G.o.client_id = "test-client";
    G.o.client_secret = "test-secret";
    G.o.refresh_token = "test-refresh";
    G.o.hs_private_token = "pat-test";
}

static int known_option(const char *a)
{
    static const char *const opts[] = {"--port", "--threads", "--seed", "--hubspot-rate", "--hubspot-search-rate",
                                       "--hubspot-daily", "--salesforce-daily", "--token-ttl", "--latency-ms",
                                       "--fault-timeout-ms", "--fault-rate", "--faults", "--fault-retry-after",
                                       "--tls-cert", "--tls-key",
                                       "--client-id", "--client-secret", "--refresh-token", "--hubspot-private-token",
                                       "--jwt-public-key", "--salesforce-custom-fields", "--hubspot-custom-properties"};
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        if (strcmp(a, opts[i]) == 0)
            return 1;
    return 0;
}

static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long l;
        int used = 1, bad = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--verbose") == 0) {
            G.o.verbose = 1;
            used = 0;
        } else if (strcmp(a, "--salesforce-rotate-refresh") == 0) {
            G.o.sf_rotate_refresh = 1;
            used = 0;
        } else if (!known_option(a)) {
            fprintf(stderr, "unicrm-fake: unknown option %s\n", a);
            usage(stderr);
            return -1;
        } else if (!v) {
            bad = 1;
        } else if (strcmp(a, "--port") == 0) {
            bad = parse_long(v, &l, 0) || l > 65535;
            G.o.port = (int)l;
        } else if (strcmp(a, "--threads") == 0) {
            bad = parse_long(v, &l, 1) || l > 64;
            G.o.threads = (int)l;
        } else if (strcmp(a, "--seed") == 0) {
            bad = parse_long(v, &l, 0) || l > 1000000;
            G.o.seed = (int)l;
        } else if (strcmp(a, "--hubspot-rate") == 0) {
            bad = parse_rate(v, &G.o.hs_rate_max, &G.o.hs_rate_ms);
        } else if (strcmp(a, "--hubspot-search-rate") == 0) {
            bad = parse_rate(v, &G.o.hs_search_max, &G.o.hs_search_ms);
        } else if (strcmp(a, "--hubspot-daily") == 0) {
            bad = parse_long(v, &G.o.hs_daily, 0);
        } else if (strcmp(a, "--salesforce-daily") == 0) {
            bad = parse_long(v, &G.o.sf_daily, 0);
        } else if (strcmp(a, "--token-ttl") == 0) {
            bad = parse_long(v, &G.o.token_ttl, 1);
        } else if (strcmp(a, "--latency-ms") == 0) {
            bad = parse_long(v, &G.o.latency_ms, 0);
        } else if (strcmp(a, "--fault-timeout-ms") == 0) {
            bad = parse_long(v, &G.o.fault_timeout_ms, 0);
        } else if (strcmp(a, "--fault-retry-after") == 0) {
            bad = parse_long(v, &G.o.fault_retry_after_s, 0) || G.o.fault_retry_after_s > 86400 * 7;
        } else if (strcmp(a, "--fault-rate") == 0) {
            char *end;
            G.o.fault_rate = strtod(v, &end);
            bad = end == v || *end || G.o.fault_rate < 0 || G.o.fault_rate > 1;
        } else if (strcmp(a, "--faults") == 0) {
            int en[FK_NFAULTS];
            bad = fk_faults_parse_list(v, en) || strlen(v) >= sizeof G.o.faults;
            if (!bad)
                snprintf(G.o.faults, sizeof G.o.faults, "%s", v);
        } else if (strcmp(a, "--tls-cert") == 0) {
            G.o.tls_cert = v;
        } else if (strcmp(a, "--tls-key") == 0) {
            G.o.tls_key = v;
        } else if (strcmp(a, "--client-id") == 0) {
            G.o.client_id = v;
        } else if (strcmp(a, "--client-secret") == 0) {
            G.o.client_secret = v;
        } else if (strcmp(a, "--refresh-token") == 0) {
            G.o.refresh_token = v;
        } else if (strcmp(a, "--hubspot-private-token") == 0) {
            G.o.hs_private_token = v;
        } else if (strcmp(a, "--jwt-public-key") == 0) {
            G.o.jwt_pubkey_file = v;
        } else if (strcmp(a, "--salesforce-custom-fields") == 0) {
            bad = fk_parse_custom(v, 1);
        } else if (strcmp(a, "--hubspot-custom-properties") == 0) {
            bad = fk_parse_custom(v, 0);
        } else {
            fprintf(stderr, "unicrm-fake: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
        if (bad) {
            fprintf(stderr, "unicrm-fake: bad or missing value for %s\n", a);
            return -1;
        }
        i += used;
    }
    return 0;
}

static void free_state(void)
{
    fk_reset_all(); /* empties tables; then drop what reset re-creates */
    for (int i = 0; i < FK_HS_NOBJ; i++) {
        fk_table_clear(&G.hs[i]);
        fk_map_free(&G.hs[i].byid);
    }
    for (int i = 0; i < FK_SF_NOBJ; i++) {
        fk_table_clear(&G.sf[i]);
        fk_map_free(&G.sf[i].byid);
    }
    fk_map_free(&G.hs_email);
    fk_tokens_clear();
    fk_map_free(&G.tokens);
    fk_soql_cursors_clear();
    fk_window_free(&G.hs_win);
    fk_window_free(&G.hs_search_win);
    free(G.hs_refresh);
    free(G.sf_refresh);
    if (G.jwt_key)
        EVP_PKEY_free(G.jwt_key);
}

int main(int argc, char **argv)
{
    defaults();
    if (parse_args(argc, argv))
        return 2;
    if (getrandom(&G.rng, sizeof G.rng, 0) != (ssize_t)sizeof G.rng || !G.rng)
        G.rng = (uint64_t)fk_mono_ns() | 1;
    pthread_mutex_init(&G.lock, NULL);
    if (G.o.jwt_pubkey_file && fk_jwt_load_key(G.o.jwt_pubkey_file)) {
        fprintf(stderr, "unicrm-fake: cannot load the JWT public key %s\n", G.o.jwt_pubkey_file);
        return 2;
    }
    fk_reset_all();

    /* Block the stop signals in every thread; the main thread waits for them with sigwait. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (fk_http_start()) {
        fk_http_stop();
        fk_webhooks_stop();
        free_state();
        return 1;
    }
    int port = fk_http_port();
    pthread_mutex_lock(&G.lock); /* handlers read base_url under the lock */
    snprintf(G.base_url, sizeof G.base_url, "%s://127.0.0.1:%d", G.o.tls_cert ? "https" : "http", port);
    pthread_mutex_unlock(&G.lock);
    printf("listening on %s\n", G.base_url);
    fflush(stdout);

    int sig = 0;
    sigwait(&set, &sig);
    fk_http_stop();
    fk_webhooks_stop();
    pthread_mutex_lock(&G.lock);
    free_state();
    pthread_mutex_unlock(&G.lock);
    pthread_mutex_destroy(&G.lock);
    return 0;
}
