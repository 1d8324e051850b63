/*
 * hubspot_bench.c -- how long the HubSpot adapter takes to translate, in process (no network):
 *   1. one contact answer (JSON text, 15 properties + 2 custom + associations) into a unified record, as
 *      ucrm_get reads it (scanned in place), and for reference through a cJSON tree (parse, then translate);
 *   2. one unified contact (10 fields, all dirty) into a request body;
 *   3. one 100-contact page: the adapter's page reader (JSON text to 100 records, as list and search read pages)
 *      and, for reference, cJSON parsing the same page. The whole public path of a page (ucrm_list +
 *      ucrm_iter_next_page through the pipeline) is figure 1 of make bench (overhead.c).
 * Median and P99 per operation over many iterations. A benchmark, not a test: nothing passes or fails.
 *
 *   make bench-build && build/plain/bench/hubspot_bench [iterations]      (also run by make bench)
 */
#include "../providers/hubspot/hubspot_int.h"
#include "bench.h"

#include "conf_int.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const contact_fmt =
    "{\"id\":\"%d\",\"properties\":{\"createdate\":\"2019-10-30T03:30:17.883Z\",\"email\":\"jane.doe.%d@example.com\","
    "\"firstname\":\"Jane\",\"lastname\":\"Doe\",\"hs_additional_emails\":\"jane@home.example;j.doe@old.example\","
    "\"phone\":\"+1 555 0100\",\"mobilephone\":\"+1 555 0101\",\"fax\":null,\"jobtitle\":\"CTO\","
    "\"hubspot_owner_id\":\"910901\",\"lifecyclestage\":\"customer\",\"address\":\"1 Main St\",\"city\":\"Boston\","
    "\"state\":\"MA\",\"zip\":\"02110\",\"country\":\"USA\",\"hs_object_id\":\"%d\","
    "\"lastmodifieddate\":\"2019-12-07T16:50:06.678Z\",\"favorite_color\":\"teal\",\"hs_lead_status\":\"OPEN\"},"
    "\"createdAt\":\"2019-10-30T03:30:17.883Z\",\"updatedAt\":\"2019-12-07T16:50:06.678Z\",\"archived\":false,"
    "\"associations\":{\"companies\":{\"results\":[{\"id\":\"900\",\"type\":\"contact_to_company\"},"
    "{\"id\":\"900\",\"type\":\"contact_to_company_unlabeled\"}]}}}";

_Noreturn static void die(const char *what) {
    fprintf(stderr, "hubspot_bench: %s\n", what);
    exit(1);
}

/* Times n runs of fn(arg) (bench_time: a tenth as warm-up), median and P99. */
static void bench(const char *what, long n, int inner, void (*fn)(void *), void *arg) {
    bench_samples_t t = {0};
    bench_time(&t, n, inner, fn, arg);
    bench_report(what, &t);
    bench_samples_free(&t);
}

typedef struct ctx {
    const hs_obj_t *o;
    hs_sel_t sel;
    char *contact;      /* one answer */
    cJSON *parsed;      /* the same, parsed */
    ucrm_record_t *rec; /* to write */
    char *page;         /* 100 contacts */
} ctx_t;

static void scan_contact(void *p) {
    ctx_t *c = p;
    char why[HS_WHY];
    ucrm_record_t *r;
    if (hs_record_scan(c->o, &c->sel, c->contact, strlen(c->contact), &r, NULL, why) != UCRM_OK)
        die(why);
    ucrm_record_destroy(r);
}

static void parse_contact(void *p) {
    ctx_t *c = p;
    char why[HS_WHY];
    ucrm_record_t *r;
    cJSON *j = cJSON_Parse(c->contact);
    if (!j || hs_record_from(c->o, &c->sel, j, true, &r, why) != UCRM_OK)
        die(why);
    ucrm_record_destroy(r);
}

static void translate_contact(void *p) {
    ctx_t *c = p;
    char why[HS_WHY];
    ucrm_record_t *r;
    if (hs_record_from(c->o, &c->sel, c->parsed, false, &r, why) != UCRM_OK)
        die(why);
    ucrm_record_destroy(r);
}

static void build_body(void *p) {
    ctx_t *c = p;
    ucrm_buf_t b = UCRM_BUF_INIT;
    hs_wout_t w;
    ucrm_buf__puts(&b, "{\"properties\":");
    if (hs_write_props(c->o, c->rec, true, NULL, &b, &w, NULL) != UCRM_OK)
        die("write");
    ucrm_buf__puts(&b, ",\"associations\":");
    hs_write_assoc_inputs(c->o, w.assoc > 0 ? w.company : NULL, &b);
    ucrm_buf__putc(&b, '}');
    ucrm_buf__free(&b);
}

static ucrm_err_t keep_rec(void *arg, ucrm_record_t *rec, const hs_info_t *info) {
    (void)info;
    return ucrm_records__push(arg, rec);
}

/* Reads one page; the records are destroyed by the caller (outside the timing). */
static ucrm_records_t *read_page(ctx_t *c) {
    char why[HS_WHY];
    ucrm_records_t *page = NULL;
    hs_page_scan_t ps;
    if (ucrm_records__new(&page) != UCRM_OK ||
        hs_scan_page(c->o, &c->sel, c->page, strlen(c->page), keep_rec, page, &ps, why) != UCRM_OK)
        die(why);
    hs_page_scan_free(&ps);
    if (page->n != 100)
        die("page size");
    return page;
}

/* The page reader, with the time to build the records and the time to destroy them reported apart. */
static void bench_page(ctx_t *c, long n) {
    bench_samples_t t = {0}, d = {0};
    for (long i = 0; i < n / 10; i++)
        ucrm_records_destroy(read_page(c));
    for (long i = 0; i < n; i++) {
        double t0 = bench_now_us();
        ucrm_records_t *page = read_page(c);
        double t1 = bench_now_us();
        ucrm_records_destroy(page);
        bench_samples_add(&t, t1 - t0);
        bench_samples_add(&d, bench_now_us() - t1);
    }
    bench_report("100-contact page -> 100 records (the adapter's page reader)", &t);
    bench_report("  then destroying the 100 records (payloads included)", &d);
    bench_samples_free(&t);
    bench_samples_free(&d);
}

static void parse_page_only(void *p) {
    ctx_t *c = p;
    cJSON_Delete(cJSON_Parse(c->page));
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 20000;
    if (n < 100)
        n = 100;
    ctx_t c;
    memset(&c, 0, sizeof c);
    ucrm_conf_t *conf = ucrm_conf_new();
    ucrm_conf_set(conf, "provider", "hubspot", NULL);
    ucrm_conf_set(conf, "auth.access.token", "pat-bench", NULL);
    ucrm_conf_set(conf, "ratelimit.enable", "false", NULL);
    hs_state_t st;
    memset(&st, 0, sizeof st);
    if (hs_map_init(&st, conf, NULL) != UCRM_OK || hs_sel_init(&c.sel, hs_obj(&st, UCRM_OBJECT_CONTACT), NULL, NULL))
        die("init");
    c.o = hs_obj(&st, UCRM_OBJECT_CONTACT);
    char buf[4096];
    snprintf(buf, sizeof buf, contact_fmt, 512, 512, 512);
    c.contact = buf;
    c.parsed = cJSON_Parse(buf);
    ucrm_buf_t pg = UCRM_BUF_INIT;
    ucrm_buf__puts(&pg, "{\"results\":[");
    for (int i = 0; i < 100; i++) {
        if (i)
            ucrm_buf__putc(&pg, ',');
        ucrm_buf__printf(&pg, contact_fmt, 1000 + i, i, 1000 + i);
    }
    ucrm_buf__puts(&pg, "]}");
    c.page = pg.ptr;
    const char *rec_json =
        "{\"first_name\":\"Ada\",\"last_name\":\"Lovelace\",\"email\":\"ada@example.com\",\"title\":\"Countess\","
        "\"lifecycle_stage\":\"lead\",\"owner_id\":\"910901\",\"account_id\":\"900\","
        "\"additional_emails\":[\"a@b.com\",\"c@d.com\"],\"phone_numbers\":[{\"number\":\"+44 1\",\"type\":\"work\"},"
        "{\"number\":\"+44 2\",\"type\":\"mobile\"}],\"address\":{\"street\":\"1 St\",\"city\":\"London\","
        "\"postal_code\":\"W1\",\"country\":\"UK\"},\"custom.favorite_color\":\"teal\"}";
    if (ucrm_record_new_from_json(&c.rec, UCRM_OBJECT_CONTACT, rec_json, strlen(rec_json), NULL) != UCRM_OK)
        die("record");

    printf("HubSpot adapter, one contact = %zu bytes of JSON, one page = %zu bytes\n", strlen(c.contact), pg.len);
    bench("contact answer -> record (as ucrm_get reads it)", n, 1, scan_contact, &c);
    bench("  (for reference: cJSON_Parse, then translation)", n, 1, parse_contact, &c);
    bench("  (for reference: translation of a parsed cJSON object)", n, 1, translate_contact, &c);
    bench("record (11 dirty fields) -> create body", n, 1, build_body, &c);
    bench_page(&c, n / 20);
    bench("  (for reference: cJSON_Parse + cJSON_Delete of that page)", n / 20, 1, parse_page_only, &c);

    ucrm_record_destroy(c.rec);
    cJSON_Delete(c.parsed);
    ucrm_buf__free(&pg);
    hs_sel_free(&c.sel);
    hs_map_free(&st);
    ucrm_conf_destroy(conf);
    return 0;
}
