/*
 * test_recon.c -- reconciliation passes (ucrm_recon_*) against the local fake, for both providers: a full pass
 * finds missing, stale and extra records (deleted in the CRM, and never in the CRM through the application's
 * ids); its checkpoint starts an incremental pass that sees only what changed since, deletes included; a
 * checkpoint taken in the middle of a pass continues it; a failing callback or fetch can be repeated without
 * losing or repeating a record; fingerprints normalise values; every bad argument is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/fake.h"
#include "helpers/hstest.h"
#include "helpers/sf_test.h"
#include <unicrm/unicrm.h>

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

static ucrm_fake_t *F;

static int group_setup(void **state) {
    (void)state;
    F = fake_start("--hubspot-rate", "1000000/10000", "--hubspot-search-rate", "1000000/1000", NULL);
    return F ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    return fake_stop(F) == 0 ? 0 : -1;
}

static int reset(void **state) {
    (void)state;
    return fake_reset(F);
}

static void must(ucrm_err_t rc, ucrm_error_t **e, const char *what) {
    if (rc != UCRM_OK)
        fail_msg("%s: %s %s", what, ucrm_err_name(rc), ucrm_error_message(*e));
    ucrm_error_destroy(*e);
    *e = NULL;
}

static ucrm_record_t *rec_json(ucrm_object_t o, const char *json) {
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    must(ucrm_record_new_from_json(&r, o, json, strlen(json), &e), &e, json);
    return r;
}

/* ------------------------------------------------------------------------------------------------ the app */

/* The application's copy of some CRM contacts: id -> record, compared by record or by fingerprint. */
#define APP_MAX 64
typedef struct app {
    char *ids[APP_MAX];
    ucrm_record_t *recs[APP_MAX];
    size_t n;
    int by_fingerprint;
    const char *fields;
    int calls, fail_at; /* fail_at: the callback fails on that call (1-based), 0 never */
} app_t;

static void app_put(app_t *a, const char *id, ucrm_record_t *rec) {
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->ids[i], id) == 0) {
            ucrm_record_destroy(a->recs[i]);
            a->recs[i] = rec;
            return;
        }
    assert_true(a->n < APP_MAX);
    a->ids[a->n] = strdup(id);
    a->recs[a->n++] = rec;
}

static void app_del(app_t *a, const char *id) {
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->ids[i], id) == 0) {
            free(a->ids[i]);
            ucrm_record_destroy(a->recs[i]);
            a->ids[i] = a->ids[--a->n];
            a->recs[i] = a->recs[a->n];
            return;
        }
}

static void app_free(app_t *a) {
    while (a->n)
        app_del(a, a->ids[0]);
}

static int lookup(ucrm_object_t object, const char *id, const ucrm_record_t *crm, ucrm_recon_view_t *view,
                  void *opaque) {
    app_t *a = opaque;
    assert_int_equal(object, UCRM_OBJECT_CONTACT);
    assert_non_null(crm);
    assert_string_equal(ucrm_record_id(crm), id);
    if (++a->calls == a->fail_at)
        return 42;
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->ids[i], id) != 0)
            continue;
        if (!a->by_fingerprint)
            return ucrm_recon_view_set_record(view, a->recs[i]) == UCRM_OK ? 0 : -1;
        char *fp = NULL;
        assert_int_equal(ucrm_record_fingerprint(&fp, a->recs[i], a->fields, NULL), UCRM_OK);
        ucrm_err_t rc = ucrm_recon_view_set_fingerprint(view, fp);
        ucrm_free(fp);
        return rc == UCRM_OK ? 0 : -1;
    }
    return 0; /* not held */
}

/* Applies a finished pass's drift to the app: the CRM is the truth. */
static void app_repair(app_t *a, const ucrm_recon_t *r) {
    for (size_t i = 0; i < ucrm_recon_drift_count(r); i++) {
        const char *id = ucrm_recon_drift_id(r, i);
        if (ucrm_recon_drift_kind(r, i) == UCRM_DRIFT_EXTRA) {
            app_del(a, id);
            continue;
        }
        ucrm_record_t *copy = NULL;
        assert_int_equal(ucrm_record_dup(&copy, ucrm_recon_drift_record(r, i)), UCRM_OK);
        app_put(a, id, copy);
    }
}

/* The drift item of id: its kind (0 when none) and fields. */
static ucrm_drift_t drift_of(const ucrm_recon_t *r, const char *id, const char **fields) {
    for (size_t i = 0; i < ucrm_recon_drift_count(r); i++)
        if (strcmp(ucrm_recon_drift_id(r, i), id) == 0) {
            if (fields)
                *fields = ucrm_recon_drift_fields(r, i);
            return ucrm_recon_drift_kind(r, i);
        }
    return (ucrm_drift_t)0;
}

/* ------------------------------------------------------------------------------------------------ CRM side */

typedef struct side {
    const char *provider;
    hsfx_t *hs;
    ucrm_client_t *c;
} side_t;

static side_t side_open(const char *provider) {
    side_t s = {provider, NULL, NULL};
    if (strcmp(provider, "hubspot") == 0) {
        s.hs = hs_fx_url(fake_url(F), NULL);
        s.c = s.hs->c;
    } else {
        s.c = sft_client(F, NULL);
    }
    return s;
}

static void side_close(side_t *s) {
    if (s->hs)
        assert_true(hs_fx_done(s->hs));
    else
        ucrm_client_destroy(s->c);
}

/* Creates a contact; returns its id (malloc'd). */
static char *crm_create(side_t *s, const char *first, const char *last, const char *title) {
    char json[256];
    snprintf(json, sizeof json, "{\"first_name\":\"%s\",\"last_name\":\"%s\",\"email\":\"%s.%s@example.com\","
             "\"title\":\"%s\"}", first, last, first, last, title);
    ucrm_record_t *r = rec_json(UCRM_OBJECT_CONTACT, json);
    ucrm_error_t *e = NULL;
    must(ucrm_create(s->c, r, NULL, &e), &e, "create");
    char *id = strdup(ucrm_record_id(r));
    ucrm_record_destroy(r);
    return id;
}

static void crm_set_title(side_t *s, const char *id, const char *title) {
    ucrm_record_t *r = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_record_new(&r, UCRM_OBJECT_CONTACT), UCRM_OK);
    assert_int_equal(ucrm_record_set_string(r, "id", id), UCRM_OK);
    assert_int_equal(ucrm_record_set_string(r, "title", title), UCRM_OK);
    must(ucrm_update(s->c, r, NULL, &e), &e, "update");
    ucrm_record_destroy(r);
}

static void crm_delete(side_t *s, const char *id) {
    ucrm_error_t *e = NULL;
    must(ucrm_delete(s->c, UCRM_OBJECT_CONTACT, id, NULL, &e), &e, "delete");
}

static ucrm_recon_t *pass(side_t *s, const char *checkpoint, app_t *a, const char *extra_app_id) {
    ucrm_recon_t *r = NULL;
    ucrm_error_t *e = NULL;
    must(ucrm_recon_new(&r, s->c, UCRM_OBJECT_CONTACT, checkpoint, NULL, &e), &e, "recon_new");
    must(ucrm_recon_set_fields(r, a->fields, &e), &e, "set_fields");
    assert_int_equal(ucrm_recon_set_lookup(r, lookup, a), UCRM_OK);
    assert_int_equal(ucrm_recon_set_overlap_ms(r, 0), UCRM_OK);
    if (extra_app_id)
        must(ucrm_recon_add_app_id(r, extra_app_id, &e), &e, "add_app_id");
    must(ucrm_recon_run(r, &e), &e, "run");
    assert_int_equal(ucrm_recon_step(r, NULL), UCRM_ITEROVER); /* finished stays finished */
    return r;
}

/* The whole story on one provider: full pass, repair, changes, incremental pass, repair, quiet pass. */
static void drift_story(const char *provider, int by_fingerprint) {
    side_t s = side_open(provider);
    app_t a = {.by_fingerprint = by_fingerprint, .fields = "first_name,last_name,email,title"};
    char *ok = crm_create(&s, "Ada", "Lovelace", "Countess");
    char *stale = crm_create(&s, "Alan", "Turing", "Fellow");
    char *missing = crm_create(&s, "Grace", "Hopper", "Admiral");
    char *gone = crm_create(&s, "Edsger", "Dijkstra", "Professor");
    for (int i = 0; i < 3; i++) { /* the app's copies, as it last saw them */
        const char *id = i == 0 ? ok : i == 1 ? stale : gone;
        ucrm_record_t *r = NULL;
        assert_int_equal(ucrm_get(s.c, UCRM_OBJECT_CONTACT, id, NULL, &r, NULL), UCRM_OK);
        if (i == 1)
            assert_int_equal(ucrm_record_set_string(r, "title", "Student"), UCRM_OK);
        app_put(&a, id, r);
    }
    crm_delete(&s, gone);

    /* a full pass: every kind of drift */
    ucrm_recon_t *r = pass(&s, NULL, &a, "never-in-the-crm");
    const char *fields = NULL;
    assert_int_equal(drift_of(r, ok, NULL), 0);
    assert_int_equal(drift_of(r, stale, &fields), UCRM_DRIFT_STALE);
    if (by_fingerprint)
        assert_null(fields);
    else
        assert_string_equal(fields, "title");
    assert_int_equal(drift_of(r, missing, NULL), UCRM_DRIFT_MISSING);
    assert_int_equal(drift_of(r, gone, NULL), UCRM_DRIFT_EXTRA);
    assert_int_equal(drift_of(r, "never-in-the-crm", NULL), UCRM_DRIFT_EXTRA);
    assert_int_equal(ucrm_recon_drift_count(r), 4);
    for (size_t i = 0; i < 4; i++) {
        const ucrm_record_t *cr = ucrm_recon_drift_record(r, i);
        int deleted = 0;
        if (strcmp(ucrm_recon_drift_id(r, i), "never-in-the-crm") == 0) {
            assert_null(cr);
            continue;
        }
        assert_non_null(cr);
        ucrm_record_get_bool(cr, "is_deleted", &deleted);
        assert_int_equal(deleted, strcmp(ucrm_recon_drift_id(r, i), gone) == 0);
    }
    assert_int_equal(ucrm_recon_examined(r), 4);
    char *cp = strdup(ucrm_recon_checkpoint(r));
    char head[64];
    snprintf(head, sizeof head, "ucrm-recon.1.%s.contact.", provider);
    assert_true(strncmp(cp, head, strlen(head)) == 0);
    app_repair(&a, r);
    ucrm_recon_destroy(r);

    /* later: one change, one creation, one deletion in the CRM */
    assert_int_equal(fake_clock_advance(F, 10000), 0);
    crm_set_title(&s, ok, "Analyst");
    char *added = crm_create(&s, "Barbara", "Liskov", "Professor");
    crm_delete(&s, missing);
    r = pass(&s, cp, &a, NULL);
    assert_int_equal(drift_of(r, ok, &fields), UCRM_DRIFT_STALE);
    if (!by_fingerprint)
        assert_string_equal(fields, "title");
    assert_int_equal(drift_of(r, added, NULL), UCRM_DRIFT_MISSING);
    assert_int_equal(drift_of(r, missing, NULL), UCRM_DRIFT_EXTRA);
    assert_int_equal(ucrm_recon_drift_count(r), 3);
    /* incremental: the three changed records, plus at most those sharing the previous pass's newest second */
    size_t seen = ucrm_recon_examined(r);
    if (seen < 3 || seen > 5)
        fail_msg("%s incremental pass examined %zu records", provider, seen);
    free(cp);
    cp = strdup(ucrm_recon_checkpoint(r));
    app_repair(&a, r);
    ucrm_recon_destroy(r);

    /* nothing changed since: no drift, and the app's copy is the CRM's */
    assert_int_equal(fake_clock_advance(F, 10000), 0);
    r = pass(&s, cp, &a, NULL);
    assert_int_equal(ucrm_recon_drift_count(r), 0);
    ucrm_recon_destroy(r);
    r = pass(&s, NULL, &a, NULL);
    assert_int_equal(ucrm_recon_drift_count(r), 0);
    assert_int_equal(a.n, 3); /* ok, stale, added */
    ucrm_recon_destroy(r);

    free(cp);
    free(ok);
    free(stale);
    free(missing);
    free(gone);
    free(added);
    app_free(&a);
    side_close(&s);
}

static void test_recon__hubspot_by_record(void **state) {
    (void)state;
    drift_story("hubspot", 0);
}

static void test_recon__hubspot_by_fingerprint(void **state) {
    (void)state;
    drift_story("hubspot", 1);
}

static void test_recon__salesforce_by_record(void **state) {
    (void)state;
    drift_story("salesforce", 0);
}

static void test_recon__salesforce_by_fingerprint(void **state) {
    (void)state;
    drift_story("salesforce", 1);
}

/* 250 contacts seeded in the fake, pages of 100: a checkpoint taken after the first page continues the pass;
 * a failing callback and a failing fetch are repeated without losing or repeating a record. */
static void resume_story(const char *provider) {
    side_t s = side_open(provider);
    char path[96], *body = malloc(250 * 96 + 16), *b = body;
    b += sprintf(b, "[");
    for (int i = 0; i < 250; i++)
        b += strcmp(provider, "hubspot") == 0
                 ? sprintf(b, "%s{\"email\":\"p%d@example.com\",\"lastname\":\"P%d\"}", i ? "," : "", i, i)
                 : sprintf(b, "%s{\"Email\":\"p%d@example.com\",\"LastName\":\"P%d\"}", i ? "," : "", i, i);
    sprintf(b, "]");
    snprintf(path, sizeof path, "/__fake/records/%s/%s", provider,
             strcmp(provider, "hubspot") == 0 ? "contacts" : "Contact");
    long st = 0;
    free(fake_request(F, "POST", path, body, &st));
    free(body);
    assert_int_equal(st, 201);

    app_t a = {.fields = NULL}; /* holds nothing: every record is missing */
    ucrm_reqopts_t *o = NULL;
    assert_int_equal(ucrm_reqopts_new(&o), UCRM_OK);
    assert_int_equal(ucrm_reqopts_set_page_size(o, strcmp(provider, "hubspot") == 0 ? 100 : 200), UCRM_OK);
    ucrm_recon_t *r = NULL;
    ucrm_error_t *e = NULL;
    must(ucrm_recon_new(&r, s.c, UCRM_OBJECT_CONTACT, NULL, o, &e), &e, "recon_new");
    assert_int_equal(ucrm_recon_set_lookup(r, lookup, &a), UCRM_OK);
    must(ucrm_recon_add_app_id(r, "held-but-unknown", &e), &e, "add_app_id");
    const char *cp0 = ucrm_recon_checkpoint(r);
    assert_non_null(strstr(cp0, ".0.0")); /* a full pass that has not started */
    must(ucrm_recon_step(r, &e), &e, "first page");
    size_t first = ucrm_recon_examined(r);
    assert_true(first >= 100 && first < 250);
    assert_int_equal(ucrm_recon_drift_count(r), first);
    char *cp = strdup(ucrm_recon_checkpoint(r));
    /* a cursor rides along while the pass is under way */
    assert_true(strlen(cp) > 40);
    ucrm_recon_destroy(r);

    /* continue in a "new process"; the callback fails on its 20th call there, then a fetch fails */
    a.fail_at = a.calls + 20;
    must(ucrm_recon_new(&r, s.c, UCRM_OBJECT_CONTACT, cp, o, &e), &e, "recon_new from mid-pass");
    assert_int_equal(ucrm_recon_set_lookup(r, lookup, &a), UCRM_OK);
    must(ucrm_recon_add_app_id(r, "held-but-unknown", &e), &e, "add_app_id");
    ucrm_err_t rc = ucrm_recon_run(r, &e);
    assert_int_equal(rc, UCRM_ERR_USER);
    assert_int_equal(ucrm_error_user_code(e), 42);
    ucrm_error_destroy(e);
    e = NULL;
    size_t before = ucrm_recon_examined(r);
    assert_int_equal(fake_set_faults(F, "{\"rate\":1.0,\"faults\":[\"503\"]}"), 0);
    rc = ucrm_recon_run(r, &e); /* finishes the page in hand, then the next fetch fails */
    size_t after_page = ucrm_recon_examined(r);
    if (rc != UCRM_OK) {
        assert_true(rc < 0);
        ucrm_error_destroy(e);
        e = NULL;
        assert_int_equal(ucrm_recon_examined(r), after_page);
    }
    assert_true(after_page > before);
    assert_int_equal(fake_set_faults(F, "{\"rate\":0}"), 0);
    must(ucrm_recon_run(r, &e), &e, "run after the faults");
    assert_int_equal(first + ucrm_recon_examined(r), 250);
    assert_int_equal(ucrm_recon_drift_count(r), 250 - first); /* every record once; no "extra": resumed pass */
    assert_int_equal(drift_of(r, "held-but-unknown", NULL), 0);
    ucrm_recon_destroy(r);
    ucrm_reqopts_destroy(o);
    free(cp);
    app_free(&a);
    side_close(&s);
}

static void test_recon__hubspot_resume(void **state) {
    (void)state;
    resume_story("hubspot");
}

static void test_recon__salesforce_resume(void **state) {
    (void)state;
    resume_story("salesforce");
}

static char *fp(const char *json, const char *fields) {
    ucrm_record_t *r = rec_json(UCRM_OBJECT_ACCOUNT, json);
    char *out = NULL;
    ucrm_error_t *e = NULL;
    must(ucrm_record_fingerprint(&out, r, fields, &e), &e, json);
    ucrm_record_destroy(r);
    assert_int_equal(strlen(out), 35);
    assert_true(strncmp(out, "f1:", 3) == 0);
    return out;
}

#define SAME(a, b, f) do { char *x_ = fp(a, f), *y_ = fp(b, f); assert_string_equal(x_, y_); ucrm_free(x_); \
                           ucrm_free(y_); } while (0)
#define DIFF(a, b, f) do { char *x_ = fp(a, f), *y_ = fp(b, f); assert_string_not_equal(x_, y_); ucrm_free(x_); \
                           ucrm_free(y_); } while (0)

static void test_recon__fingerprint(void **state) {
    (void)state;
    SAME("{\"annual_revenue\":\"1500.250\"}", "{\"annual_revenue\":\"1500.25\"}", NULL);
    SAME("{\"annual_revenue\":\"1500\"}", "{\"annual_revenue\":1500}", NULL);
    SAME("{\"name\":\"A\",\"industry\":null}", "{\"name\":\"A\"}", NULL);
    SAME("{\"name\":\"A\",\"industry\":\"\"}", "{\"name\":\"A\"}", NULL);
    SAME("{\"address\":{\"city\":\"Paris\",\"street\":null}}", "{\"address\":{\"city\":\"Paris\"}}", NULL);
    SAME("{\"address\":{\"city\":\"Paris\",\"country\":\"FR\"}}", "{\"address\":{\"country\":\"FR\",\"city\":\"Paris\"}}",
         NULL);
    SAME("{\"address\":{}}", "{}", NULL);
    SAME("{\"name\":\"A\",\"website\":\"x\"}", "{\"name\":\"A\",\"website\":\"y\"}", "name");
    SAME("{\"name\":\"A\"}", "{\"name\":\"A\",\"custom.x\":1}", "name, industry"); /* order and spaces */
    SAME("{\"address\":{\"city\":\"Paris\",\"postal_code\":\"1\"}}", "{\"address\":{\"city\":\"Paris\"}}", "address.city");
    DIFF("{\"address\":{\"city\":\"Paris\"}}", "{\"address\":{\"city\":\"Lyon\"}}", "address.city");
    DIFF("{\"name\":\"A\"}", "{\"name\":\"a\"}", NULL);
    DIFF("{\"name\":\"1\"}", "{\"name\":\"1.0\",\"employee_count\":1}", NULL);
    DIFF("{\"custom.x\":1}", "{\"custom.x\":2}", "custom.x");
    /* the field set is part of the fingerprint */
    char *x = fp("{\"name\":\"A\"}", "name"), *y = fp("{\"name\":\"A\"}", "name,industry");
    assert_string_not_equal(x, y);
    ucrm_free(x);
    ucrm_free(y);
    /* a phone component is the number of the entry of that type */
    ucrm_record_t *c1 = rec_json(UCRM_OBJECT_CONTACT, "{\"phone_numbers\":[{\"number\":\"1\",\"type\":\"work\"},"
                                                      "{\"number\":\"2\",\"type\":\"mobile\"}]}");
    ucrm_record_t *c2 = rec_json(UCRM_OBJECT_CONTACT, "{\"phone_numbers\":[{\"type\":\"mobile\",\"number\":\"2\"}]}");
    assert_int_equal(ucrm_record_fingerprint(&x, c1, "phone_numbers.mobile", NULL), UCRM_OK);
    assert_int_equal(ucrm_record_fingerprint(&y, c2, "phone_numbers.mobile", NULL), UCRM_OK);
    assert_string_equal(x, y);
    ucrm_free(x);
    ucrm_free(y);
    assert_int_equal(ucrm_record_fingerprint(&x, c1, "phone_numbers", NULL), UCRM_OK);
    assert_int_equal(ucrm_record_fingerprint(&y, c2, "phone_numbers", NULL), UCRM_OK);
    assert_string_not_equal(x, y);
    ucrm_free(x);
    ucrm_free(y);
    ucrm_record_destroy(c1);
    ucrm_record_destroy(c2);
}

static void test_recon__bad_arguments(void **state) {
    (void)state;
    side_t s = side_open("hubspot");
    ucrm_recon_t *r = (ucrm_recon_t *)1;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_recon_new(&r, NULL, UCRM_OBJECT_CONTACT, NULL, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_null(r);
    assert_int_equal(ucrm_recon_new(NULL, s.c, UCRM_OBJECT_CONTACT, NULL, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_recon_new(&r, s.c, (ucrm_object_t)9, NULL, NULL, NULL), UCRM_ERR_INVALID_ARG);
    static const char *const bad[] = {"x", "ucrm-recon.1.hubspot.contact.", "ucrm-recon.1.hubspot.contact.1",
                                      "ucrm-recon.1.hubspot.contact.a.0", "ucrm-recon.1.hubspot.contact.-1.0",
                                      "ucrm-recon.1.hubspot.contact.1.0.", "ucrm-recon.1.hubspot.contact.1.0.a b",
                                      "ucrm-recon.1.hubspot.contact.1.2.3.4",
                                      "ucrm-recon.1.hubspot.contact.253402300800000.0",
                                      "ucrm-recon.1.hubspot.contact.99999999999999999999.0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ucrm_recon_new(&r, s.c, UCRM_OBJECT_CONTACT, bad[i], NULL, &e), UCRM_ERR_INVALID_ARG);
        assert_null(r);
        assert_non_null(strstr(ucrm_error_message(e), "checkpoint"));
        ucrm_error_destroy(e);
        e = NULL;
    }
    assert_int_equal(ucrm_recon_new(&r, s.c, UCRM_OBJECT_ACCOUNT, "ucrm-recon.1.hubspot.contact.1.0", NULL, &e),
                     UCRM_ERR_INVALID_ARG);
    assert_non_null(strstr(ucrm_error_message(e), "another provider or object"));
    ucrm_error_destroy(e);
    e = NULL;
    assert_int_equal(ucrm_recon_new(&r, s.c, UCRM_OBJECT_CONTACT, "ucrm-recon.1.salesforce.contact.1.0", NULL, NULL),
                     UCRM_ERR_INVALID_ARG);
    must(ucrm_recon_new(&r, s.c, UCRM_OBJECT_CONTACT, "", NULL, &e), &e, "empty checkpoint = full pass");
    assert_int_equal(ucrm_recon_set_fields(r, "email,nope", &e), UCRM_ERR_INVALID_FIELD);
    assert_non_null(strstr(ucrm_error_message(e), "nope"));
    ucrm_error_destroy(e);
    e = NULL;
    assert_int_equal(ucrm_recon_set_fields(r, "address.city, phone_numbers.mobile,custom.x, ,", NULL), UCRM_OK);
    assert_int_equal(ucrm_recon_set_overlap_ms(r, -1), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_recon_set_overlap_ms(NULL, 1), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_recon_add_app_id(r, "", NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_recon_add_app_id(r, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_recon_set_lookup(NULL, lookup, NULL), UCRM_ERR_INVALID_ARG);
    must(ucrm_recon_run(r, &e), &e, "empty fake");
    assert_int_equal(ucrm_recon_examined(r), 0);
    assert_string_equal(ucrm_recon_checkpoint(r), "ucrm-recon.1.hubspot.contact.0.0"); /* still a full pass */
    assert_int_equal(ucrm_recon_set_fields(r, "email", NULL), UCRM_ERR_INVALID_ARG);  /* started */
    assert_int_equal(ucrm_recon_add_app_id(r, "1", NULL), UCRM_ERR_INVALID_ARG);      /* finished */
    assert_int_equal(ucrm_recon_drift_kind(r, 0), 0);
    assert_null(ucrm_recon_drift_id(r, 0));
    assert_null(ucrm_recon_drift_record(r, 0));
    assert_null(ucrm_recon_drift_fields(r, 0));
    ucrm_recon_destroy(r);
    /* NULL-safety */
    ucrm_recon_destroy(NULL);
    assert_null(ucrm_recon_checkpoint(NULL));
    assert_int_equal(ucrm_recon_examined(NULL), 0);
    assert_int_equal(ucrm_recon_drift_count(NULL), 0);
    assert_int_equal(ucrm_recon_step(NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_recon_run(NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_recon_view_set_fingerprint(NULL, "f1:"), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_recon_view_set_record(NULL, NULL), UCRM_ERR_INVALID_ARG);
    char *out = (char *)"x";
    assert_int_equal(ucrm_record_fingerprint(&out, NULL, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_null(out);
    ucrm_record_t *rec = rec_json(UCRM_OBJECT_CONTACT, "{\"email\":\"a@b.c\"}");
    assert_int_equal(ucrm_record_fingerprint(NULL, rec, NULL, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_record_fingerprint(&out, rec, "name", &e), UCRM_ERR_INVALID_FIELD); /* an account field */
    ucrm_error_destroy(e);
    ucrm_record_destroy(rec);
    side_close(&s);
}

/* A lookup that answers with a record of another object is refused; the pass reports it as not held. */
static int wrong_object(ucrm_object_t object, const char *id, const ucrm_record_t *crm, ucrm_recon_view_t *view,
                        void *opaque) {
    (void)object, (void)id, (void)crm;
    ucrm_record_t *acct = rec_json(UCRM_OBJECT_ACCOUNT, "{\"name\":\"x\"}");
    *(int *)opaque += ucrm_recon_view_set_record(view, acct) == UCRM_ERR_INVALID_ARG;
    ucrm_record_destroy(acct);
    return 0;
}

static void test_recon__view_of_another_object(void **state) {
    (void)state;
    side_t s = side_open("salesforce");
    free(crm_create(&s, "Katherine", "Johnson", "Mathematician"));
    ucrm_recon_t *r = NULL;
    ucrm_error_t *e = NULL;
    int refused = 0;
    must(ucrm_recon_new(&r, s.c, UCRM_OBJECT_CONTACT, NULL, NULL, &e), &e, "new");
    assert_int_equal(ucrm_recon_set_lookup(r, wrong_object, &refused), UCRM_OK);
    must(ucrm_recon_run(r, &e), &e, "run");
    assert_int_equal(refused, 1);
    assert_int_equal(ucrm_recon_drift_count(r), 1);
    assert_int_equal(ucrm_recon_drift_kind(r, 0), UCRM_DRIFT_MISSING);
    ucrm_recon_destroy(r);
    side_close(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recon__fingerprint),
        cmocka_unit_test_setup(test_recon__hubspot_by_record, reset),
        cmocka_unit_test_setup(test_recon__hubspot_by_fingerprint, reset),
        cmocka_unit_test_setup(test_recon__salesforce_by_record, reset),
        cmocka_unit_test_setup(test_recon__salesforce_by_fingerprint, reset),
        cmocka_unit_test_setup(test_recon__hubspot_resume, reset),
        cmocka_unit_test_setup(test_recon__salesforce_resume, reset),
        cmocka_unit_test_setup(test_recon__bad_arguments, reset),
        cmocka_unit_test_setup(test_recon__view_of_another_object, reset),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
