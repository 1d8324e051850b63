/*
 * test_sync_oom.c -- allocation-failure torture for the sync toolkit: event parsing (both providers, with a
 * client's field map), keep_newest, dedupe, the policy (rules, fingerprints, echo checks, filtering), the
 * signatures, record fingerprints and setting up a reconciliation pass (checkpoint, fields, application ids).
 *
 * A counting allocator (installed with ucrm_global_set_allocator, so cJSON goes through it too) fails the Nth
 * allocation, for N = 1, 2, ... until the whole scenario runs without reaching N. Every run must end with
 * UCRM_OK (no failure injected) or UCRM_ERR_NOMEM, and with every allocation freed. Two modes: only the Nth
 * allocation fails, and every allocation from the Nth on fails. Its own binary because the allocator can only be
 * installed before unicrm's first allocation. (OpenSSL keeps its own allocator.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/oomalloc.h"
#include "helpers/script.h"
#include "helpers/testprov.h"
#include <unicrm/unicrm.h>

/* Calls whose allocation failures are absorbed by design: an error object that could not be allocated (the
 * static out-of-memory error stands in, the code is kept), and ucrm_policy_is_echo (an answer of 0 on failure:
 * the change is applied, never lost). */
#define ABSORBING(x)                                                                                           \
    do {                                                                                                       \
        oomalloc_absorbing(true);                                                                              \
        x;                                                                                                     \
        oomalloc_absorbing(false);                                                                             \
    } while (0)

static ucrm_client_t *g_client;

static const char *hs_body =
    "[{\"subscriptionType\":\"contact.propertyChange\",\"objectId\":1,\"occurredAt\":3,\"portalId\":7,"
    "\"propertyName\":\"email\",\"propertyValue\":\"a@x.io\",\"changeSource\":\"INTEGRATION\",\"sourceId\":\"9\"},"
    "{\"subscriptionType\":\"contact.propertyChange\",\"objectId\":1,\"occurredAt\":2,\"propertyName\":\"email\","
    "\"propertyValue\":\"old@x.io\"},"
    "{\"subscriptionType\":\"contact.propertyChange\",\"objectId\":1,\"occurredAt\":2,\"propertyName\":\"firstname\","
    "\"propertyValue\":12.5},"
    "{\"subscriptionType\":\"contact.merge\",\"newObjectId\":1,\"primaryObjectId\":2,\"mergedObjectIds\":[3,\"4\"],"
    "\"occurredAt\":4},"
    "{\"subscriptionType\":\"contact.associationChange\",\"fromObjectId\":1,\"toObjectId\":5,\"associationType\":"
    "\"CONTACT_TO_COMPANY\",\"associationRemoved\":true,\"occurredAt\":5},"
    "{\"subscriptionType\":\"contact.creation\",\"objectId\":1,\"occurredAt\":1},"
    "{\"subscriptionType\":\"ticket.creation\",\"objectId\":1,\"occurredAt\":1},"
    "{\"subscriptionType\":\"conversation.x\",\"eventId\":77,\"occurredAt\":1}]";

static const char *sf_body =
    "[{\"channel\":\"/meta/connect\"},{\"channel\":\"/data/ChangeEvents\",\"data\":{\"payload\":{\"ChangeEventHeader\":"
    "{\"entityName\":\"Contact\",\"recordIds\":[\"003A\",\"003B\"],\"changeType\":\"UPDATE\",\"changeOrigin\":"
    "\"com/salesforce/api/rest/62.0;client=unicrm\",\"transactionKey\":\"t\",\"sequenceNumber\":1,"
    "\"commitTimestamp\":10,\"commitUser\":\"005\",\"changedFields\":[\"Name.FirstName\",\"MailingAddress.City\","
    "\"email\",\"Score__c\"],\"nulledFields\":[\"email\"]},\"Name\":{\"FirstName\":\"Ada\"},\"MailingAddress\":"
    "{\"City\":\"Paris\"},\"Score__c\":1.25},\"event\":{\"replayId\":42}}},"
    "{\"ChangeEventHeader\":{\"entityName\":\"Account\",\"recordIds\":[\"001*\"],\"changeType\":\"GAP_UPDATE\","
    "\"commitTimestamp\":11}}]";

static ucrm_err_t events_part(ucrm_policy_t *p) {
    ucrm_err_t rc;
    ucrm_events_t *evs = NULL, *sf = NULL;
    ucrm_dedupe_t *d = NULL;
    ucrm_error_t *e = NULL;
    char *raw = NULL;
    size_t removed;
    STEP(ucrm_events_parse_hubspot(&evs, hs_body, strlen(hs_body), g_client, &e));
    STEP(ucrm_event_raw_json(ucrm_events_get(evs, 3), &raw));
    STEP(ucrm_events_keep_newest(evs, &removed));
    STEP(ucrm_dedupe_new(&d, 4, 1000));
    STEP(ucrm_events_dedupe(evs, &removed, d, 1, &e));
    STEP(ucrm_dedupe_forget(d, ucrm_event_key(ucrm_events_get(evs, 0)), &e));
    STEP(ucrm_events_parse_salesforce_cdc(&sf, sf_body, strlen(sf_body), NULL, &e));
    for (size_t i = 0; i < ucrm_events_count(evs); i++)
        ABSORBING(ucrm_policy_is_echo(p, ucrm_events_get(evs, i), 1));
    for (size_t i = 0; i < ucrm_events_count(sf); i++)
        ABSORBING(ucrm_policy_is_echo(p, ucrm_events_get(sf, i), 1));
out:
    if (rc != UCRM_OK && e)
        assert_int_equal(ucrm_error_code(e) == rc || ucrm_error_code(e) == UCRM_ERR_NOMEM, 1);
    ucrm_error_destroy(e);
    ucrm_free(raw);
    ucrm_dedupe_destroy(d);
    ucrm_events_destroy(sf);
    ucrm_events_destroy(evs);
    return rc;
}

static ucrm_err_t policy_part(ucrm_policy_t *p) {
    ucrm_err_t rc;
    ucrm_record_t *r = NULL, *out = NULL;
    STEP(ucrm_policy_set(p, UCRM_OBJECT_CONTACT, "*", UCRM_OWNER_CRM, UCRM_SYNC_BOTH, NULL));
    STEP(ucrm_policy_set(p, UCRM_OBJECT_CONTACT, "email", UCRM_OWNER_PRODUCT, UCRM_SYNC_TO_CRM, NULL));
    STEP(ucrm_policy_set(p, UCRM_OBJECT_CONTACT, "address.city", UCRM_OWNER_NEWEST, UCRM_SYNC_BOTH, NULL));
    STEP(ucrm_policy_add_echo_source(p, "unicrm", NULL));
    STEP(ucrm_record_new(&r, UCRM_OBJECT_CONTACT));
    STEP(ucrm_record_set_id(r, "1"));
    STEP(ucrm_record_set_string(r, "email", "a@x.io"));
    STEP(ucrm_record_set_string(r, "title", "CTO"));
    STEP(ucrm_record_set_json(r, "address", "{\"city\":\"Paris\",\"country\":\"FR\"}"));
    STEP(ucrm_record_set_json(r, "phone_numbers", "[{\"number\":\"+33\",\"type\":\"work\"}]"));
    STEP(ucrm_record_set_json(r, "additional_emails", "[\"b@x.io\"]"));
    STEP(ucrm_policy_note_write(p, r, 1, NULL));
    STEP(ucrm_policy_note_delete(p, UCRM_OBJECT_CONTACT, "2", 1, NULL));
    STEP(ucrm_policy_filter(p, &out, NULL, r, UCRM_SYNC_FROM_CRM, 2, NULL));
    ucrm_record_destroy(out);
    out = NULL;
    STEP(ucrm_policy_filter(p, &out, NULL, r, UCRM_SYNC_TO_CRM, 2, NULL));
out:
    ucrm_record_destroy(out);
    ucrm_record_destroy(r);
    return rc;
}

static ucrm_err_t signature_part(void) {
    ucrm_err_t rc;
    char *sig = NULL;
    STEP(ucrm_webhook_sign(&sig, "k", "body", 4, 1000, NULL));
    STEP(ucrm_webhook_verify("k", "body", 4, sig, 1000, 0, NULL));
    /* HubSpot v3 with escapes to decode (the decoded URI is a heap buffer) */
    const char *url = "https://www.example.com/webhook_uri?a=%3A%2f%3F%40%21%24%27%28%29%2A%2C%3B&b=%20%25%3a";
    STEP(ucrm_webhook_verify_hubspot("yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", "POST", url, "[{\"objectId\":1}]", 16,
                                     "v3", "MYlP53Lcg0lU8C3x7FW9/e7vafb2yVGo8lmJlE4+HRQ=", "1693657560000",
                                     1693657560000LL, NULL));
    /* an expected failure: AUTH whether or not its error object could be allocated */
    ucrm_error_t *e = NULL;
    ABSORBING(rc = ucrm_webhook_verify("k", "bodY", 4, sig, 1000, 0, &e));
    assert_int_equal(rc, UCRM_ERR_AUTH);
    ucrm_error_destroy(e);
    rc = UCRM_OK;
out:
    ucrm_free(sig);
    return rc;
}

static ucrm_err_t recon_part(void) {
    ucrm_err_t rc;
    ucrm_record_t *r = NULL;
    ucrm_recon_t *pass = NULL;
    char *fp = NULL;
    const char *json = "{\"email\":\"a@x.io\",\"address\":{\"city\":\"Paris\",\"street\":null},"
                       "\"phone_numbers\":[{\"number\":\"1\",\"type\":\"work\"}],\"custom.n\":1.50}";
    STEP(ucrm_record_new_from_json(&r, UCRM_OBJECT_CONTACT, json, strlen(json), NULL));
    STEP(ucrm_record_fingerprint(&fp, r, NULL, NULL));
    ucrm_free(fp);
    fp = NULL;
    STEP(ucrm_record_fingerprint(&fp, r, "address.city,phone_numbers.work,custom.n,email", NULL));
    STEP(ucrm_recon_new(&pass, g_client, UCRM_OBJECT_CONTACT, "ucrm-recon.1.hubspot.contact.1000.2000.abc", NULL,
                        NULL));
    STEP(ucrm_recon_set_fields(pass, "email, title,address.city", NULL));
    STEP(ucrm_recon_add_app_id(pass, "1", NULL));
    STEP(ucrm_recon_add_app_id(pass, "2", NULL));
    STEP(ucrm_recon_checkpoint(pass) ? UCRM_OK : UCRM_ERR_NOMEM);
out:
    ucrm_recon_destroy(pass);
    ucrm_free(fp);
    ucrm_record_destroy(r);
    return rc;
}

static ucrm_err_t scenario(void) {
    ucrm_err_t rc;
    ucrm_policy_t *p = NULL;
    STEP(signature_part());
    STEP(recon_part());
    STEP(ucrm_policy_new(&p));
    STEP(policy_part(p));
    STEP(events_part(p));
out:
    ucrm_policy_destroy(p);
    return rc;
}

static void run(long n, void *ctx) {
    bool sticky = *(const bool *)ctx;
    ucrm_err_t rc = scenario();
    if (!oomalloc_failed())
        assert_int_equal(rc, UCRM_OK);
    else if (rc != UCRM_ERR_NOMEM && !(rc == UCRM_OK && !oomalloc_hard_failure()))
        fail_msg("fail at allocation %ld (%s): %s instead of UCRM_ERR_NOMEM", n, oomalloc_mode(sticky),
                 ucrm_err_name(rc));
}

static void torture(bool sticky) {
    long n = oomalloc_torture(sticky, run, &sticky);
    print_message("%s mode: %ld allocations in the scenario, each failure handled\n", oomalloc_mode(sticky), n);
    assert_true(n > 99);
}

static void test_sync_oom__each_allocation_fails_once(void **state) {
    (void)state;
    torture(false);
}

static void test_sync_oom__every_allocation_fails_from_n(void **state) {
    (void)state;
    torture(true);
}

int main(void) {
    if (oomalloc_install() != 0)
        return 1;
    /* A client only for its field map (made before the torture: its own failures are other tests' business). */
    testprov_register_as("hubspot");
    script_t *s = script_new();
    ucrm_conf_t *conf = ucrm_conf_new();
    ucrm_conf_set(conf, "provider", "hubspot", NULL);
    ucrm_conf_set(conf, "auth.access.token", "tok", NULL);
    script_install(s, conf);
    if (ucrm_client_new(&g_client, conf, NULL) != UCRM_OK) {
        fprintf(stderr, "could not create the client\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_oom__each_allocation_fails_once),
        cmocka_unit_test(test_sync_oom__every_allocation_fails_from_n),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ucrm_client_destroy(g_client);
    ucrm_conf_destroy(conf);
    script_free(s);
    testprov_unregister();
    return rc;
}
