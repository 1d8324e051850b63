/*
 * test_auth_secrets.c -- no freed block ever holds a credential. An allocator installed with
 * ucrm_global_set_allocator() (before anything else allocates: a process of its own; cJSON goes through it too)
 * scans every block unicrm frees, and every block a realloc leaves behind (this allocator always moves), for
 * the access tokens, refresh tokens and client secret of a full token-layer scenario: first token, 401 and
 * refresh with a rotated refresh token, a proactive refresh, ucrm_client_set_token, a revoked refresh token,
 * stats, conf dump, destroy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers/clock_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helpers/authsrv.h"
#include "helpers/oomalloc.h"
#include "helpers/testprov.h"
#include <unicrm/unicrm.h>

/* Every credential of the scenario contains one of these. */
static const char *const markers[] = {"ATsecret", "RT-", "CSsecret-9f1", NULL};


static ucrm_err_t get42(ucrm_client_t *c, ucrm_error_t **e) {
    ucrm_record_t *r = NULL;
    ucrm_err_t rc = ucrm_get(c, UCRM_OBJECT_CONTACT, "42", NULL, &r, e);
    ucrm_record_destroy(r);
    return rc;
}

static int on_token(const char *at, const char *rt, int64_t exp, const char *url, void *opaque) {
    (void)at, (void)rt, (void)exp, (void)url;
    ++*(int *)opaque;
    return 0;
}

static void test_auth_secrets__freed_memory_holds_no_credential(void **state) {
    (void)state;
    authsrv_t *srv = authsrv_new(1000, "RT-0", "ATsecret-");
    authsrv_set_rotate(srv, true);
    ucrm_conf_t *conf = ucrm_conf_new();
    const char *kv[] = {"provider", "hubspot", "auth.refresh.token", "RT-0", "auth.client.id", "cid",
                        "auth.client.secret", "CSsecret-9f1", "auth.token.url", "https://auth.example.com",
                        "retry.backoff.ms", "1", "auth.refresh.percent", "50", "auth.refresh.cooldown.ms", "0",
                        "log.level", "debug", NULL};
    for (size_t i = 0; kv[i]; i += 2)
        assert_int_equal(ucrm_conf_set(conf, kv[i], kv[i + 1], NULL), UCRM_OK);
    int cbs = 0;
    ucrm_conf_set_token_cb(conf, on_token, &cbs);
    authsrv_install(srv, conf);
    ucrm_client_t *c = NULL;
    assert_int_equal(ucrm_client_new(&c, conf, NULL), UCRM_OK);

    assert_int_equal(get42(c, NULL), UCRM_OK);       /* first token */
    authsrv_invalidate_all(srv);
    assert_int_equal(get42(c, NULL), UCRM_OK);       /* 401, refresh (rotated), replay */
    msleep(600);
    assert_int_equal(get42(c, NULL), UCRM_OK);       /* proactive refresh at 50 % */
    char tok[40];
    authsrv_issue(srv, tok, sizeof tok);
    assert_int_equal(ucrm_client_set_token(c, tok, "RT-pushed-longer-than-before-0123456789", 0,
                                           "https://na1.example.com", NULL),
                     UCRM_OK);
    assert_int_equal(get42(c, NULL), UCRM_OK);
    authsrv_set_revoked(srv, true);
    authsrv_invalidate_all(srv);
    ucrm_error_t *e = NULL;
    assert_int_equal(get42(c, &e), UCRM_ERR_AUTH);
    ucrm_error_destroy(e);
    assert_true(authsrv_token_requests(srv) >= 4);
    assert_true(cbs >= 4);

    char *st = NULL;
    assert_int_equal(ucrm_client_stats_json(c, &st, NULL), UCRM_OK);
    ucrm_free(st);
    char **dump = NULL;
    size_t n = 0;
    assert_int_equal(ucrm_conf_dump(conf, &dump, &n), UCRM_OK);
    ucrm_conf_dump_free(dump, n);
    ucrm_client_destroy(c);
    ucrm_conf_destroy(conf);
    authsrv_free(srv);

    assert_true(oomalloc_freed() > 100);
    if (oomalloc_secret_hits())
        fail_msg("%ld freed blocks held a credential; the first: \"%s\"", oomalloc_secret_hits(),
                 oomalloc_first_hit());
    assert_int_equal(oomalloc_live(), 0);
}

int main(void) {
    if (oomalloc_install() != 0)
        return 1;
    oomalloc_scan(markers);
    testprov_register();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_secrets__freed_memory_holds_no_credential),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    testprov_unregister();
    return rc;
}
