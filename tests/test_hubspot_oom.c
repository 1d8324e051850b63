/*
 * test_hubspot_oom.c -- allocation-failure torture of the HubSpot adapter: a scenario of reads (scanned in
 * place and from trees), a search that reads primary companies, writes with associations and a batch with a
 * 207 answer, on recorded answers, with the Nth allocation failing for N = 1, 2, ... until the scenario runs
 * through; once with only that allocation failing, once with every one from it on. Every run must end without
 * a crash, with an error code when a failure was injected, and with every block freed.
 * Its own binary because the allocator can only be installed before unicrm's first allocation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/oomalloc.h"
#include "helpers/script.h"
#include <unicrm/unicrm.h>

static const char *const contact =
    "{\"id\":\"512\",\"properties\":{\"email\":\"jane@example.com\",\"firstname\":\"Jane\",\"hs_additional_emails\":"
    "\"a@x.com;b@x.com\",\"phone\":\"1\",\"mobilephone\":\"2\",\"city\":\"Boston\",\"zip\":\"02110\","
    "\"favorite_color\":\"t\\u00e9al\",\"score\":17},\"createdAt\":\"2019-10-30T03:30:17.883Z\","
    "\"updatedAt\":\"2019-12-07T16:50:06.678Z\",\"archived\":false,\"associations\":{\"companies\":{\"results\":"
    "[{\"id\":\"900\",\"type\":\"contact_to_company\"}]}}}";

static void load(script_t *s) {
    char page[2048];
    snprintf(page, sizeof page, "{\"results\":[%s,%s],\"paging\":{\"next\":{\"after\":\"600\"}}}", contact, contact);
    script_expect(s, "GET",
                  "/crm/v3/objects/contacts/512?properties=firstname,lastname,email,hs_additional_emails,phone,"
                  "mobilephone,fax,jobtitle,hubspot_owner_id,lifecyclestage,address,city,state,zip,country&"
                  "associations=companies",
                  "*", 200, NULL, contact);
    script_expect(s, "GET", "/crm/v3/objects/contacts?limit=2&archived=false&properties=email,favorite_color&"
                            "associations=companies", NULL, 200, NULL, page);
    script_expect(s, "POST", "/crm/v3/objects/contacts/search", "*", 200, NULL,
                  "{\"total\":2,\"results\":[{\"id\":\"1\",\"properties\":{\"email\":\"a@x.com\",\"lastmodifieddate\":"
                  "\"2024-01-01T00:00:00Z\"},\"createdAt\":\"2024-01-01T00:00:00Z\",\"updatedAt\":\"2024-01-01T00:00:00Z\","
                  "\"archived\":false}]}");
    script_expect(s, "POST", "/crm/v4/associations/contacts/companies/batch/read", "*", 200, NULL,
                  "{\"status\":\"COMPLETE\",\"results\":[{\"from\":{\"id\":\"1\"},\"to\":[{\"toObjectId\":900,"
                  "\"associationTypes\":[{\"category\":\"HUBSPOT_DEFINED\",\"typeId\":1}]}]}]}");
    script_expect(s, "POST", "/crm/v3/objects/contacts", "*", 201, NULL, contact);
    script_expect(s, "PATCH", "/crm/v3/objects/contacts/512", "*", 200, NULL, contact);
    script_expect(s, "PUT", "/crm/v4/objects/contacts/512/associations/companies/901", "*", 201, NULL, "{}");
    const char *refused = "{\"status\":\"error\",\"message\":\"Property values were not valid: [{\\\"name\\\":"
                          "\\\"email\\\"}]\",\"correlationId\":\"c\",\"category\":\"VALIDATION_ERROR\"}";
    script_expect(s, "POST", "/crm/v3/objects/contacts/batch/upsert", "*", 400, NULL, refused); /* both inputs */
    script_expect(s, "POST", "/crm/v3/objects/contacts/batch/upsert", "*", 400, NULL, refused); /* the first */
    script_expect(s, "POST", "/crm/v3/objects/contacts/batch/upsert", "*", 200, NULL,
                  "{\"status\":\"COMPLETE\",\"results\":[{\"id\":\"9\",\"new\":true,\"properties\":{},\"createdAt\":"
                  "\"2024-01-01T00:00:00Z\",\"updatedAt\":\"2024-01-01T00:00:00Z\",\"archived\":false,"
                  "\"objectWriteTraceId\":\"ucrm-1\"}]}");
    script_expect(s, "POST", "/crm/v3/objects/contacts/batch/create", "*", 207, NULL,
                  "{\"status\":\"COMPLETE\",\"results\":[{\"id\":\"8\",\"properties\":{},\"createdAt\":"
                  "\"2024-01-01T00:00:00Z\",\"updatedAt\":\"2024-01-01T00:00:00Z\",\"archived\":false,"
                  "\"objectWriteTraceId\":\"ucrm-1\"}],\"numErrors\":1,\"errors\":[{\"status\":\"error\",\"category\":"
                  "\"CONFLICT\",\"message\":\"Contact already exists. Existing ID: 5\",\"context\":{"
                  "\"objectWriteTraceId\":[\"ucrm-0\"]},\"errors\":[],\"links\":{}}]}");
}

/* The scenario: each step may fail (NOMEM, or another code when the failure hit a parse); nothing may leak.
 * Returns true when every step succeeded and every recorded exchange was used as expected. */
static bool scenario(void) {
    int ok = 0;
    script_t *s = script_new();
    load(s);
    ucrm_conf_t *conf = ucrm_conf_new();
    ucrm_client_t *c = NULL;
    ucrm_error_t *e = NULL;
    ucrm_record_t *r = NULL;
    ucrm_reqopts_t *o = NULL;
    ucrm_iter_t *it = NULL;
    ucrm_batch_t *b = NULL;
    if (!conf)
        goto out;
    ucrm_conf_set(conf, "provider", "hubspot", NULL);
    ucrm_conf_set(conf, "auth.access.token", "pat", NULL);
    ucrm_conf_set(conf, "retry.max", "0", NULL);
    ucrm_conf_set(conf, "ratelimit.enable", "false", NULL);
    script_install(s, conf);
    if (ucrm_client_new(&c, conf, &e) != UCRM_OK)
        goto out;
    ok += ucrm_get(c, UCRM_OBJECT_CONTACT, "512", NULL, &r, &e) == UCRM_OK;
    ucrm_record_destroy(r);
    r = NULL;
    if (ucrm_reqopts_new(&o) == UCRM_OK && ucrm_reqopts_set_fields(o, "email,custom.favorite_color,account_id") ==
                                               UCRM_OK && ucrm_reqopts_set_page_size(o, 2) == UCRM_OK &&
        ucrm_list(c, UCRM_OBJECT_CONTACT, o, &it, &e) == UCRM_OK) {
        for (int i = 0; i < 2 && ucrm_iter_next(it, &r, &e) == UCRM_OK; i++) {
            ucrm_record_destroy(r);
            r = NULL;
            ok++;
        }
        ok += ucrm_iter_cursor(it) != NULL;
    }
    ucrm_iter_destroy(it);
    it = NULL;
    if (ucrm_search(c, UCRM_OBJECT_CONTACT, "email", "a@x.com", o, &it, &e) == UCRM_OK &&
        ucrm_iter_next(it, &r, &e) == UCRM_OK) {
        ucrm_record_destroy(r);
        r = NULL;
        ok++;
    }
    ucrm_iter_destroy(it);
    if (ucrm_record_new(&r, UCRM_OBJECT_CONTACT) == UCRM_OK && ucrm_record_set_string(r, "email", "x@y.com") ==
                                                                   UCRM_OK &&
        ucrm_record_set_json(r, "address", "{\"city\":\"B\"}") == UCRM_OK &&
        ucrm_record_set_string(r, "account_id", "900") == UCRM_OK && ucrm_create(c, r, NULL, &e) == UCRM_OK &&
        ucrm_record_set_string(r, "title", "T") == UCRM_OK && ucrm_record_set_string(r, "account_id", "901") == UCRM_OK)
        ok += ucrm_update(c, r, NULL, &e) == UCRM_OK;
    ucrm_record_destroy(r);
    r = NULL;
    for (int op = 0; op < 2; op++) {
        if (ucrm_batch_new(&b, UCRM_OBJECT_CONTACT, op ? UCRM_BATCH_CREATE : UCRM_BATCH_UPSERT) != UCRM_OK)
            break;
        for (int i = 0; i < 2; i++) {
            if (ucrm_record_new(&r, UCRM_OBJECT_CONTACT) == UCRM_OK &&
                ucrm_record_set_string(r, "email", i ? "b@x.com" : "a@x.com") == UCRM_OK)
                ucrm_batch_add(b, r);
            ucrm_record_destroy(r);
            r = NULL;
        }
        const ucrm_error_t *ie = NULL;
        ok += ucrm_batch_run(c, b, NULL, &e) == UCRM_ERR_PARTIAL && ucrm_batch_result(b, 1, NULL, &ie) == UCRM_OK &&
              ucrm_batch_result(b, 0, NULL, &ie) == (op ? UCRM_ERR_CONFLICT : UCRM_ERR_VALIDATION);
        ucrm_batch_destroy(b);
        b = NULL;
    }
out:
    ucrm_reqopts_destroy(o);
    ucrm_error_destroy(e);
    ucrm_client_destroy(c);
    ucrm_conf_destroy(conf);
    bool all = ok == 8 && script_ok(s) && script_remaining(s) == 0;
    if (!all && !oomalloc_failed())
        print_error("scenario: %d steps succeeded; script: %s, %zu left\n", ok, script_error(s), script_remaining(s));
    script_free(s);
    return all;
}

static void run(long n, void *ctx) {
    (void)n, (void)ctx;
    bool all = scenario();
    if (!oomalloc_failed())
        assert_true(all); /* without a failure, every step works */
}

static void torture(bool sticky) {
    long n = oomalloc_torture(sticky, run, NULL);
    print_message("%s: %ld allocation points, no leak\n", sticky ? "every allocation from N on" : "allocation N", n);
    assert_true(n > 199); /* the scenario really runs through the adapter */
}

static void test_hubspot_oom__single(void **state) {
    (void)state;
    torture(false);
}

static void test_hubspot_oom__sticky(void **state) {
    (void)state;
    torture(true);
}

int main(void) {
    if (oomalloc_install() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hubspot_oom__single),
        cmocka_unit_test(test_hubspot_oom__sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
