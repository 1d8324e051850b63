/*
 * test_conf_oom.c -- allocation-failure torture of the configuration module (STYLE rule 40).
 *
 * A counting allocator is installed with ucrm_global_set_allocator() before anything else allocates (hence a
 * process of its own). A full scenario (new, sets of every kind incl. secrets and mappings, failing sets, dup,
 * dump, describe, get, destroy) is run again and again, failing the Nth allocation (then every allocation from
 * the Nth on) for N = 1, 2, ... until the scenario completes without reaching N. Each run must end in UCRM_OK,
 * UCRM_ERR_NOMEM or the step's expected error, never crash, leave no block allocated, and leave an unchanged
 * value behind a failed set. The allocator also checks that no freed block still holds a secret.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "helpers/oomalloc.h"
#include "error_int.h"

#define SECRET "S3CRET-oom-marker-5b1e"

static const char *const secret_markers[] = {SECRET, NULL};

/* ---------------------------------------------------------------------------------------------- scenario */

/* The key's current text (ucrm_conf_get allocates nothing on success). */
static void current(const ucrm_conf_t *c, const char *key, char out[256]) {
    size_t n = 256;
    out[0] = '\0';
    assert_int_equal(ucrm_conf_get(c, key, out, &n, NULL), UCRM_OK);
}

/* One set that should succeed: UCRM_OK, or NOMEM with the old value kept and the OOM error handed out. */
static ucrm_err_t step_set(ucrm_conf_t *c, const char *key, const char *value) {
    char before[256], after[256];
    current(c, key, before);
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_conf_set(c, key, value, &e);
    if (rc == UCRM_OK) {
        assert_null(e);
        return rc;
    }
    if (rc != UCRM_ERR_NOMEM)
        fail_msg("set %s: %s (%s)", key, ucrm_err_name(rc), ucrm_error_message(e));
    assert_int_equal(ucrm_error_code(e), UCRM_ERR_NOMEM);
    ucrm_error_destroy(e);
    current(c, key, after);
    assert_string_equal(before, after);
    return rc;
}

/* One set that must fail with want: the code is kept even when the message cannot be allocated. */
static void step_bad_set(ucrm_conf_t *c, const char *key, const char *value, ucrm_err_t want) {
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_conf_set(c, key, value, &e);
    if (rc != want)
        fail_msg("set %s=%s: %s, want %s", key, value, ucrm_err_name(rc), ucrm_err_name(want));
    assert_true(ucrm_error_code(e) == want || ucrm_error_code(e) == UCRM_ERR_NOMEM);
    ucrm_error_destroy(e);
}

static const char *const good_sets[][2] = {
    {"provider", "hubspot"},
    {"auth.access.token", SECRET "-access"},
    {"auth.client.secret", SECRET "-client"},
    {"auth.refresh.token", SECRET "-refresh"},
    {"auth.client.id", "client-1"},
    {"api.url", "https://api.hubapi.com/"},
    {"http.timeout.ms", "15000"},
    {"log.stderr", "yes"},
    {"log.level", "debug"},
    {"builtin.features", "threads, tls"},
    {"upsert.contact.key", "custom.Ext__c"},
    {"mapping.contact.lifecycle_stage", "Lifecycle_Stage__c"},
    {"mapping.deal.pipeline", "Pipeline__c"},
    {"mapping.account.industry", "Industry"},
    {"mapping.contact.lifecycle_stage", "Stage2__c"}, /* replace */
    {"auth.client.id", "client-2"},                   /* replace */
    {"auth.access.token", SECRET "-rotated"},         /* replace a secret */
    {"mapping.deal.pipeline", NULL},                  /* remove */
    {"auth.refresh.token", NULL},                     /* reset a secret */
    {"http.timeout.ms", NULL},                        /* reset */
};

static ucrm_err_t scenario_bad_sets(ucrm_conf_t *c) {
    step_bad_set(c, "no.such.key", "1", UCRM_ERR_CONF_UNKNOWN);
    step_bad_set(c, "mapping.contact.nickname", "X", UCRM_ERR_CONF_UNKNOWN);
    step_bad_set(c, "mapping.deal.status", "X", UCRM_ERR_CONF_UNKNOWN);
    step_bad_set(c, "retry.max", "x", UCRM_ERR_CONF_INVALID);
    step_bad_set(c, "provider", "zoho", UCRM_ERR_CONF_INVALID);
    step_bad_set(c, "upsert.deal.key", "status", UCRM_ERR_CONF_INVALID);
    step_bad_set(c, "auth.client.secret", SECRET "\n", UCRM_ERR_CONF_INVALID);
    unsigned int all = UCRM_FEATURE_HUBSPOT | UCRM_FEATURE_SALESFORCE | UCRM_FEATURE_THREADS | UCRM_FEATURE_JWT |
                       UCRM_FEATURE_REDIS | UCRM_FEATURE_TLS;
    if ((ucrm_features() & all) != all)
        step_bad_set(c, "builtin.features", "hubspot,salesforce,threads,jwt,redis,tls", UCRM_ERR_NOT_BUILT_IN);
    return UCRM_OK;
}

static ucrm_err_t scenario_outputs(const ucrm_conf_t *d) {
    char **kv = NULL;
    size_t n = 0;
    ucrm_err_t rc = ucrm_conf_dump(d, &kv, &n);
    if (rc != UCRM_OK)
        return rc;
    assert_true(n >= 10);
    ucrm_conf_dump_free(kv, n);
    char *json = NULL;
    if ((rc = ucrm_conf_describe_json(&json)) != UCRM_OK)
        return rc;
    assert_non_null(strstr(json, "\"auth.access.token\""));
    ucrm_free(json);
    char buf[64];
    size_t size = 0;
    assert_int_equal(ucrm_conf_get(d, "auth.access.token", NULL, &size, NULL), UCRM_OK);
    size = sizeof buf;
    assert_int_equal(ucrm_conf_get(d, "mapping.contact.lifecycle_stage", buf, &size, NULL), UCRM_OK);
    assert_string_equal(buf, "Stage2__c");
    return UCRM_OK;
}

static ucrm_err_t scenario(void) {
    ucrm_conf_t *c = ucrm_conf_new(), *d = NULL;
    if (!c)
        return UCRM_ERR_NOMEM;
    ucrm_err_t rc = UCRM_OK;
    for (size_t i = 0; rc == UCRM_OK && i < sizeof good_sets / sizeof *good_sets; i++)
        rc = step_set(c, good_sets[i][0], good_sets[i][1]);
    if (rc == UCRM_OK)
        rc = scenario_bad_sets(c);
    if (rc == UCRM_OK && !(d = ucrm_conf_dup(c)))
        rc = UCRM_ERR_NOMEM;
    if (rc == UCRM_OK)
        rc = step_set(d, "auth.client.secret", SECRET "-dup");
    if (rc == UCRM_OK)
        rc = step_set(d, "mapping.deal.stage", "StageName");
    if (rc == UCRM_OK)
        rc = scenario_outputs(d);
    ucrm_conf_destroy(d);
    ucrm_conf_destroy(c);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- tests */

static void run(long n, void *ctx) {
    long *nomem = ctx;
    ucrm_err_t rc = scenario();
    if (!oomalloc_failed())
        assert_int_equal(rc, UCRM_OK);
    else if (rc != UCRM_OK && rc != UCRM_ERR_NOMEM)
        fail_msg("failing allocation %ld: %s", n, ucrm_err_name(rc));
    *nomem += rc == UCRM_ERR_NOMEM;
}

static void torture(bool fail_rest) {
    oomalloc_arm(0, false);
    assert_int_equal(scenario(), UCRM_OK);
    long total = oomalloc_count();
    assert_true(total > 30);
    assert_int_equal(oomalloc_live(), 0);
    long nomem = 0;
    assert_int_equal(oomalloc_torture(fail_rest, run, &nomem), total);
    print_message("%ld allocations in the scenario; failing #n%s: %ld runs ended in NOMEM\n", total,
                  fail_rest ? " and later" : "", nomem);
    assert_true(nomem > total / 2); /* most failures surface as NOMEM (some only lose an error message) */
    assert_int_equal(oomalloc_secret_hits(), 0);
    oomalloc_arm(0, false);
}

static void test_conf_oom__each_allocation_fails_once(void **state) {
    (void)state;
    torture(false);
}

static void test_conf_oom__allocations_fail_from_n_on(void **state) {
    (void)state;
    torture(true);
}

/* Every freed block is scanned for the secret: none may still hold it (wiped before free). */
static void test_conf_oom__secrets_wiped_on_free(void **state) {
    (void)state;
    oomalloc_arm(0, false);
    oomalloc_reset_hits();
    /* the detector works: a plain free of a secret copy is seen, a wiping free is not */
    char *s = ucrm__strdup("x" SECRET "y");
    ucrm__free(s);
    assert_int_equal(oomalloc_secret_hits(), 1);
    s = ucrm__strdup(SECRET);
    ucrm__free_secret(s);
    assert_int_equal(oomalloc_secret_hits(), 1);
    oomalloc_reset_hits();
    assert_int_equal(scenario(), UCRM_OK);
    assert_int_equal(oomalloc_secret_hits(), 0);
    assert_int_equal(oomalloc_live(), 0);
}

static void test_conf_oom__new_and_dup_return_null(void **state) {
    (void)state;
    oomalloc_arm(1, true);
    assert_null(ucrm_conf_new());
    oomalloc_arm(0, false);
    ucrm_conf_t *c = ucrm_conf_new();
    assert_int_equal(ucrm_conf_set(c, "auth.access.token", SECRET, NULL), UCRM_OK);
    oomalloc_arm(1, true);
    assert_null(ucrm_conf_dup(c));
    char **kv = NULL;
    size_t n = 0;
    assert_int_equal(ucrm_conf_dump(c, &kv, &n), UCRM_ERR_NOMEM);
    char *json = NULL;
    assert_int_equal(ucrm_conf_describe_json(&json), UCRM_ERR_NOMEM);
    assert_null(json);
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_conf_set(c, "retry.max", "4", &e), UCRM_ERR_NOMEM);
    assert_ptr_equal(e, &ucrm__oom_error); /* the static singleton: nothing to allocate */
    ucrm_error_destroy(e);
    oomalloc_arm(0, false);
    ucrm_conf_destroy(c);
    assert_int_equal(oomalloc_live(), 0);
    assert_int_equal(oomalloc_secret_hits(), 0);
}

int main(void) {
    /* Must come first: the allocator can only be replaced before unicrm allocates anything. */
    if (oomalloc_install() != 0)
        return 1;
    oomalloc_scan(secret_markers);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conf_oom__secrets_wiped_on_free),
        cmocka_unit_test(test_conf_oom__new_and_dup_return_null),
        cmocka_unit_test(test_conf_oom__each_allocation_fails_once),
        cmocka_unit_test(test_conf_oom__allocations_fail_from_n_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
