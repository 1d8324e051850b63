/*
 * overhead.c -- figure 1: the library's own cost per operation, with no network.
 *
 * Each provider's operations run through the public API against an in-process application transport
 * (<unicrm/sys/transport.h>) that answers every request with what the local fake answered the first time that
 * request was seen (bench_replay: recorded once over loopback, then replayed from memory). So the figures hold
 * everything unicrm does for a call -- argument checks, rate limiter, request building, the pipeline, response
 * parsing, record conversion, error classification -- plus the in-process transport's copy of the canned answer
 * into the response (what the libcurl transport's write callback also does), and nothing of the network.
 *
 * Operations (records prepared beforehand; what is timed is what the application calls):
 *   get      ucrm_get of one contact + ucrm_record_destroy of the result
 *   create   ucrm_create of a prepared contact (6 fields)
 *   update   ucrm_update of a contact with 2 dirty fields
 *   list     ucrm_list + ucrm_iter_next_page of a 100-record page + destroying page and iterator
 *   batch    ucrm_batch_new + 100 ucrm_batch_add (copies) + ucrm_batch_run (upsert by email for HubSpot, by an
 *            external id for Salesforce: one request of 100 inputs) + ucrm_batch_destroy
 * Median and P99 of single timings; allocations per call are counted in a second process whose allocator is a
 * counting one (ucrm_global_set_allocator: unicrm's and cJSON's allocations; libcurl is not on this path).
 * Timings come from a process with the default allocator, so counting costs nothing in them.
 *
 *   build/plain/bench/overhead        (BENCH_QUICK=1 for a short run)
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum { OP_GET, OP_CREATE, OP_UPDATE, OP_LIST, OP_BATCH, NOPS };
enum { NPROV = 2 };

static const char *const providers[NPROV] = {"hubspot", "salesforce"};
static const char *const prov_names[NPROV] = {"HubSpot", "Salesforce"};
static const char *const op_names[NOPS] = {"get", "create", "update", "list page of 100", "batch upsert of 100"};

typedef struct result {
    double med, p99;  /* us */
    double allocs;    /* per call */
    long runs;
} result_t;

typedef struct shared {
    result_t r[NPROV][NOPS];
} shared_t;

typedef struct ctx {
    int prov;
    ucrm_client_t *c;
    char *id;
    ucrm_record_t *tmpl;   /* a contact to create */
    ucrm_record_t *rec;    /* the one being created */
    ucrm_record_t *upd;    /* a contact to update (id set) */
    ucrm_record_t *items[100];
    ucrm_reqopts_t *page_opts;
    const char *key;       /* batch upsert key */
    int flip;
} ctx_t;

static void check(ucrm_err_t rc, ucrm_error_t *e, const char *what) {
    if (rc != UCRM_OK)
        bench_die("%s: %s: %s", what, ucrm_err_name(rc), ucrm_error_message(e));
    ucrm_error_destroy(e);
}

static ucrm_record_t *from_json(const char *json) {
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    check(ucrm_record_new_from_json(&r, UCRM_OBJECT_CONTACT, json, strlen(json), &e), e, "record");
    return r;
}

/* ---------------------------------------------------------------------------------------------- operations */

static void op_get(ctx_t *x) {
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    check(ucrm_get(x->c, UCRM_OBJECT_CONTACT, x->id, NULL, &r, &e), e, "get");
    ucrm_record_destroy(r);
}

static void prep_create(ctx_t *x) {
    if (ucrm_record_dup(&x->rec, x->tmpl) != UCRM_OK)
        bench_die("dup");
}

static void op_create(ctx_t *x) {
    ucrm_error_t *e = NULL;
    check(ucrm_create(x->c, x->rec, NULL, &e), e, "create");
}

static void post_create(ctx_t *x) {
    ucrm_record_destroy(x->rec);
    x->rec = NULL;
}

static void prep_update(ctx_t *x) {
    /* alternate values so that both fields are dirty every time */
    x->flip = !x->flip;
    if (ucrm_record_set_string(x->upd, "title", x->flip ? "Head of Engineering" : "VP Engineering") != UCRM_OK ||
        ucrm_record_set_string(x->upd, "first_name", x->flip ? "Grace" : "Ada") != UCRM_OK)
        bench_die("set");
}

static void op_update(ctx_t *x) {
    ucrm_error_t *e = NULL;
    check(ucrm_update(x->c, x->upd, NULL, &e), e, "update");
}

static void op_list(ctx_t *x) {
    ucrm_iter_t *it = NULL;
    ucrm_records_t *page = NULL;
    ucrm_error_t *e = NULL;
    check(ucrm_list(x->c, UCRM_OBJECT_CONTACT, x->page_opts, &it, &e), e, "list");
    check(ucrm_iter_next_page(it, &page, &e), e, "next page");
    if (ucrm_records_count(page) != 100)
        bench_die("list: a page of %zu records, not 100", ucrm_records_count(page));
    ucrm_records_destroy(page);
    ucrm_iter_destroy(it);
}

static void op_batch(ctx_t *x) {
    ucrm_batch_t *b = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_batch_new(&b, UCRM_OBJECT_CONTACT, UCRM_BATCH_UPSERT) != UCRM_OK ||
        ucrm_batch_set_key_field(b, x->key) != UCRM_OK)
        bench_die("batch_new");
    for (int i = 0; i < 100; i++)
        if (ucrm_batch_add(b, x->items[i]) != UCRM_OK)
            bench_die("batch_add");
    check(ucrm_batch_run(x->c, b, NULL, &e), e, "batch run");
    ucrm_batch_destroy(b);
}

typedef struct op {
    void (*prep)(ctx_t *);
    void (*run)(ctx_t *);
    void (*post)(ctx_t *);
    long full, quick; /* timed runs */
} op_t;

static const op_t ops[NOPS] = {
    [OP_GET] = {NULL, op_get, NULL, 50000, 300},
    [OP_CREATE] = {prep_create, op_create, post_create, 50000, 300},
    [OP_UPDATE] = {prep_update, op_update, NULL, 50000, 300},
    [OP_LIST] = {NULL, op_list, NULL, 2000, 30},
    [OP_BATCH] = {NULL, op_batch, NULL, 2000, 30},
};

static result_t measure(ctx_t *x, const op_t *op, bool count) {
    long n = bench_scale(op->full, op->quick);
    bench_samples_t s = {0};
    uint64_t allocs = 0;
    for (long i = -n / 10 - 1; i < n; i++) {
        if (op->prep)
            op->prep(x);
        uint64_t a0 = bench_allocs();
        double t0 = bench_now_us();
        op->run(x);
        double t1 = bench_now_us();
        if (i >= 0) {
            bench_samples_add(&s, t1 - t0);
            allocs += bench_allocs() - a0;
        }
        if (op->post)
            op->post(x);
    }
    result_t r = {bench_pct(&s, 50), bench_pct(&s, 99), count ? (double)allocs / (double)n : -1, n};
    bench_samples_free(&s);
    return r;
}

/* ---------------------------------------------------------------------------------------------- setup */

static void setup(ctx_t *x, const ucrm_fake_t *f, bench_replay_t *rp, int prov) {
    bool sf = prov == 1;
    x->prov = prov;
    /* a window far above what this loop does: the limiter runs (as for every user) but never waits */
    const char *extra[] = {"ratelimit.requests", "1000000", "ratelimit.interval.ms", "1000", NULL};
    ucrm_conf_t *conf = bench_conf(f, providers[prov], extra);
    bench_replay_install(rp, conf);
    x->c = bench_client(conf);
    ucrm_conf_destroy(conf);
    x->id = bench_first_id(f, providers[prov], sf ? "Contact" : "contacts");

    char json[1024];
    snprintf(json, sizeof json,
             "{\"first_name\":\"Ada\",\"last_name\":\"Lovelace\",\"email\":\"ada.%d@example.com\","
             "\"title\":\"Analyst\",\"phone_numbers\":[{\"number\":\"+44 20 7946 0000\",\"type\":\"work\"}],"
             "\"address\":{\"street\":\"12 St James's Square\",\"city\":\"London\",\"postal_code\":\"SW1Y 4JH\","
             "\"country\":\"United Kingdom\"}}",
             (int)getpid());
    x->tmpl = from_json(json);
    x->upd = from_json("{\"last_name\":\"Lovelace\"}");
    if (ucrm_record_set_id(x->upd, x->id) != UCRM_OK)
        bench_die("set_id");
    x->key = sf ? "custom.External_Id__c" : "email";
    for (int i = 0; i < 100; i++) {
        char ext[48] = "";
        if (sf)
            snprintf(ext, sizeof ext, ",\"custom.External_Id__c\":\"ext-%d-%d\"", (int)getpid(), i);
        snprintf(json, sizeof json,
                 "{\"first_name\":\"Batch\",\"last_name\":\"Contact %d\",\"email\":\"batch.%d.%d@example.com\","
                 "\"title\":\"Engineer\"%s}",
                 i, (int)getpid(), i, ext);
        x->items[i] = from_json(json);
    }
    if (ucrm_reqopts_new(&x->page_opts) != UCRM_OK || ucrm_reqopts_set_page_size(x->page_opts, 100) != UCRM_OK)
        bench_die("reqopts");
}

static void teardown(ctx_t *x) {
    ucrm_client_destroy(x->c);
    ucrm_record_destroy(x->tmpl);
    ucrm_record_destroy(x->upd);
    for (int i = 0; i < 100; i++)
        ucrm_record_destroy(x->items[i]);
    ucrm_reqopts_destroy(x->page_opts);
    free(x->id);
}

/* One process per provider and mode, so that neither heap nor allocator choice leaks into another's figures. */
static void child(const ucrm_fake_t *f, int prov, bool count, shared_t *out) {
    if (count)
        bench_count_allocs();
    /* the fake back to its 100 seeded records per type: a list then answers exactly 100 (the recording of the
     * list comes after that of create, and Salesforce pages hold at least 200) */
    if (fake_reset(f) != 0)
        bench_die("the fake did not reset");
    ctx_t x;
    memset(&x, 0, sizeof x);
    bench_replay_t *rp = bench_replay_new(f);
    setup(&x, f, rp, prov);
    op_list(&x); /* records the list answer before create and batch add records */
    for (int o = 0; o < NOPS; o++) {
        result_t r = measure(&x, &ops[o], count);
        if (count)
            out->r[prov][o].allocs = r.allocs;
        else {
            out->r[prov][o].med = r.med;
            out->r[prov][o].p99 = r.p99;
            out->r[prov][o].runs = r.runs;
        }
    }
    if (bench_replay_recorded(rp) != NOPS)
        bench_die("%zu distinct requests, expected %d (one per operation)", bench_replay_recorded(rp), NOPS);
    teardown(&x);
    bench_replay_free(rp);
}

int main(void) {
    shared_t *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        bench_die("mmap");
    memset(sh, 0, sizeof *sh);
    const char *args[] = {"--seed", "100", "--hubspot-rate", "1000000000/10000", "--hubspot-daily", "1000000000",
                          "--salesforce-daily", "1000000000", "--salesforce-custom-fields",
                          "Contact.External_Id__c:externalid", NULL};
    ucrm_fake_t *f = bench_fake(args);
    bench_pin(1);
    printf("figure 1: library overhead per operation, in-process transport (no network)\n");
    fflush(stdout);
    for (int prov = 0; prov < NPROV; prov++)
        for (int count = 0; count < 2; count++) {
            fflush(stdout);
            pid_t pid = fork();
            if (pid == 0) {
                child(f, prov, count, sh);
                fflush(stdout);
                _exit(0);
            }
            int st = 0;
            if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                bench_die("%s %s measurement failed", providers[prov], count ? "allocation" : "timing");
        }
    bench_fake_stop(f);
    for (int prov = 0; prov < NPROV; prov++)
        for (int o = 0; o < NOPS; o++) {
            const result_t *r = &sh->r[prov][o];
            bool page = o == OP_LIST || o == OP_BATCH;
            double target = page ? 300 : 5;
            char measure[96], tgt[48];
            snprintf(measure, sizeof measure, "%s %s", prov_names[prov], op_names[o]);
            snprintf(tgt, sizeof tgt, "median < %.0f us", target);
            printf("  %-34s median %8.2f us   p99 %8.2f us   %7.1f allocations/call   (%ld runs)\n", measure, r->med,
                   r->p99, r->allocs, r->runs);
            bench_row("1", measure, tgt, r->med < target ? BENCH_PASS : BENCH_MISS,
                      "%.2f us median, %.2f P99, %.0f allocs", r->med, r->p99, r->allocs);
        }
    return 0;
}
