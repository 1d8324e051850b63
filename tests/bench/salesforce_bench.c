/*
 * salesforce_bench.c -- the Salesforce adapter's read path. Not run by make check.
 *
 *   1. one Contact: cJSON parse of the GET answer + conversion to a unified record (sf_map__to_record, the
 *      payload kept as the remote JSON) + destroy; median and P99 over many single runs;
 *   2. a 2,000-record query page (1.3 MB, 21 fields per Contact): parse + conversion of every record (what
 *      iter_fetch does with the HTTP answer), median and P99;
 *   3. the same page end to end through the public API (ucrm_list + ucrm_iter_next_page) over the in-process
 *      scripted transport: pipeline, request building, parsing, conversion.
 *
 *   make bench-build && build/plain/bench/salesforce_bench [contact-runs] [page-runs]      (also run by make bench)
 */
#include "../providers/salesforce/sf_int.h"
#include "bench.h"
#include "helpers/script.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONTACT_FMT                                                                                            \
    "{\"attributes\":{\"type\":\"Contact\",\"url\":\"/services/data/v66.0/sobjects/Contact/003xx0000%06dAAS\"},"  \
    "\"Id\":\"003xx0000%06dAAS\",\"CreatedDate\":\"2013-05-20T20:49:32.000+0000\","                           \
    "\"SystemModstamp\":\"2024-02-29T23:59:59.000+0000\",\"IsDeleted\":false,\"FirstName\":\"Ada\","              \
    "\"LastName\":\"Lovelace\",\"Email\":\"ada.lovelace@example.com\",\"Phone\":\"+44 20 7946 0000\","            \
    "\"MobilePhone\":\"+44 7700 900123\",\"HomePhone\":null,\"OtherPhone\":null,\"Fax\":null,"                   \
    "\"AssistantPhone\":null,\"Title\":\"Analyst\",\"AccountId\":\"001xx000003DGb2AAG\","                         \
    "\"OwnerId\":\"005xx000001Sv6mAAC\",\"MailingStreet\":\"12 St James's Square\",\"MailingCity\":\"London\","   \
    "\"MailingState\":null,\"MailingPostalCode\":\"SW1Y 4JH\",\"MailingCountry\":\"United Kingdom\"}"

static double now_us(void) { return bench_now_us(); }

static void report(const char *what, double *t, int n) {
    bench_samples_t s = {t, (size_t)n, (size_t)n, false};
    bench_report(what, &s);
}

static char *page_json(int n) {
    size_t cap = (size_t)n * (sizeof CONTACT_FMT + 16) + 256, len = 0;
    char *b = malloc(cap);
    len += (size_t)snprintf(b, cap, "{\"totalSize\":%d,\"done\":true,\"records\":[", n);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(b + len, cap - len, i ? "," CONTACT_FMT : CONTACT_FMT, i, i);
    snprintf(b + len, cap - len, "]}");
    return b;
}

static const sf_objmap_t *contact_map(ucrm_conf_t *conf, void **st) {
    extern const ucrm_provider_t ucrm__provider_salesforce;
    if (ucrm__provider_salesforce.init(conf, st, NULL) != UCRM_OK)
        exit(1);
    return sf_map__obj(*st, UCRM_OBJECT_CONTACT);
}

static void bench_contact(ucrm_conf_t *conf, int runs) {
    void *st = NULL;
    const sf_objmap_t *m = contact_map(conf, &st);
    double *t = malloc((size_t)runs * sizeof *t);
    char contact[sizeof CONTACT_FMT + 16];
    snprintf(contact, sizeof contact, CONTACT_FMT, 4, 4);
    size_t clen = strlen(contact);
    for (int i = -runs / 10; i < runs; i++) {
        double t0 = now_us();
        cJSON *j = cJSON_ParseWithLength(contact, clen);
        ucrm_record_t *r = NULL;
        if (!j || sf_map__to_record(m, j, &r, NULL) != UCRM_OK)
            exit(2);
        ucrm_record_destroy(r);
        if (i >= 0)
            t[i] = now_us() - t0;
    }
    report("one Contact: parse + map (+ destroy)", t, runs);
    free(t);
}

static void bench_page(ucrm_conf_t *conf, int pages) {
    void *st = NULL;
    const sf_objmap_t *m = contact_map(conf, &st);
    char *page = page_json(2000);
    size_t plen = strlen(page);
    double *tp = malloc((size_t)pages * sizeof *tp);
    for (int i = -2; i < pages; i++) {
        /* the body arrives in a buffer of its own, freed once parsed, as from the transport (this also keeps
         * glibc's heap in the state the real path sees: freeing it consolidates the previous page's chunks) */
        char *body = malloc(plen + 1);
        memcpy(body, page, plen + 1);
        double t0 = now_us();
        cJSON *j = cJSON_ParseWithLength(body, plen);
        free(body);
        cJSON *recs = cJSON_GetObjectItemCaseSensitive(j, "records");
        ucrm_records_t *pg = NULL;
        ucrm_records__new(&pg);
        cJSON *item = recs ? recs->child : NULL;
        while (item) {
            cJSON *next = item->next;
            cJSON_DetachItemViaPointer(recs, item);
            ucrm_record_t *r = NULL;
            if (sf_map__to_record(m, item, &r, NULL) != UCRM_OK || ucrm_records__push(pg, r) != UCRM_OK)
                exit(3);
            item = next;
        }
        cJSON_Delete(j);
        double t1 = now_us();
        if (ucrm_records_count(pg) != 2000)
            exit(4);
        ucrm_records_destroy(pg);
        if (i >= 0)
            tp[i] = t1 - t0;
    }
    printf("page of %zu bytes\n", plen);
    report("2,000-record page: parse + map", tp, pages);
    free(page);
    free(tp);
}

static void bench_list(ucrm_conf_t *conf, int pages) {
    char *page = page_json(2000);
    double *tp = malloc((size_t)pages * sizeof *tp);
    script_t *s = script_new();
    script_answer_all(s, 200, "Sforce-Limit-Info: api-usage=1/100000", page);
    script_install(s, conf);
    ucrm_client_t *c = NULL;
    if (ucrm_client_new(&c, conf, NULL) != UCRM_OK)
        exit(5);
    for (int i = -2; i < pages; i++) {
        double t0 = now_us();
        ucrm_iter_t *it = NULL;
        ucrm_records_t *pg = NULL;
        if (ucrm_list(c, UCRM_OBJECT_CONTACT, NULL, &it, NULL) != UCRM_OK ||
            ucrm_iter_next_page(it, &pg, NULL) != UCRM_OK || ucrm_records_count(pg) != 2000)
            exit(6);
        double t1 = now_us();
        ucrm_records_destroy(pg);
        ucrm_iter_destroy(it);
        if (i >= 0)
            tp[i] = t1 - t0;
    }
    report("2,000-record page: ucrm_list + next_page", tp, pages);
    ucrm_client_destroy(c);
    script_free(s);
    free(page);
    free(tp);
}

/* Each measurement runs in its own process, so that one's heap does not shape the next one's figures. */
int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 20000, pages = argc > 2 ? atoi(argv[2]) : 40;
    if (runs < 100)
        runs = 100;
    if (pages < 5)
        pages = 5;
    for (int k = 0; k < 3; k++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            ucrm_conf_t *conf = ucrm_conf_new();
            ucrm_conf_set(conf, "provider", "salesforce", NULL);
            ucrm_conf_set(conf, "auth.access.token", "00D!bench", NULL);
            ucrm_conf_set(conf, "api.url", "https://acme.my.salesforce.com", NULL);
            if (k == 0)
                bench_contact(conf, runs);
            else if (k == 1)
                bench_page(conf, pages);
            else
                bench_list(conf, pages);
            ucrm_conf_destroy(conf);
            fflush(stdout);
            _exit(0);
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "measurement %d failed (status %d)\n", k, status);
            return 1;
        }
    }
    return 0;
}
