/*
 * test_salesforce_oom.c -- allocation-failure torture for the Salesforce adapter: a scenario of recorded exchanges
 * (token, get, a two-page list, an upsert answered 300, a batch upsert with a failed record, an error answer)
 * runs with the Nth allocation failing, for N = 1, 2, ... until a run completes without reaching N, once failing
 * only the Nth and once every allocation from the Nth on. Every run must end without a crash and with every
 * block freed; the run without failures must succeed throughout. Its own binary: the counting allocator is
 * installed before unicrm's first allocation.
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

#define V "/services/data/v66.0"
#define SEL "Id,CreatedDate,SystemModstamp,IsDeleted,FirstName,LastName,Email,Phone,MobilePhone,HomePhone," \
            "OtherPhone,Fax,AssistantPhone,Title,AccountId,OwnerId,Stage__c,MailingStreet,MailingCity,"      \
            "MailingState,MailingPostalCode,MailingCountry"
#define REC(i)                                                                                                 \
    "{\"attributes\":{\"type\":\"Contact\"},\"Id\":\"003xx000000000" i "AAA\",\"SystemModstamp\":"              \
    "\"2024-03-01T10:00:0" i ".000+0000\",\"LastName\":\"L" i "\",\"Phone\":\"1\",\"MobilePhone\":\"2\","         \
    "\"MailingCity\":\"Oslo\",\"Score__c\":1.5,\"Nested__r\":{\"a\":[1,null]}}"
#define QUERY                                                                                                  \
    V "/query/?q=SELECT%20" "Id%2CCreatedDate%2CSystemModstamp%2CIsDeleted%2CFirstName%2CLastName%2CEmail%2C"   \
      "Phone%2CMobilePhone%2CHomePhone%2COtherPhone%2CFax%2CAssistantPhone%2CTitle%2CAccountId%2COwnerId%2C"     \
      "Stage__c%2C"                                                                                             \
      "MailingStreet%2CMailingCity%2CMailingState%2CMailingPostalCode%2CMailingCountry%20FROM%20Contact%20"      \
      "ORDER%20BY%20SystemModstamp%2C%20Id"

static void script_scenario(script_t *s) {
    script_expect(s, "POST", "/services/oauth2/token", "*", 200, NULL,
                  "{\"access_token\":\"00D!AQ\",\"instance_url\":\"https://acme.my.salesforce.com\","
                  "\"token_type\":\"Bearer\",\"issued_at\":\"1708058728442\",\"refresh_token\":\"rotated\"}");
    script_expect(s, "GET", V "/sobjects/Contact/003xx0000000001AAA?fields=" SEL, NULL, 200,
                  "Sforce-Limit-Info: api-usage=1/100", REC("1"));
    script_expect(s, "GET", QUERY, NULL, 200, NULL,
                  "{\"totalSize\":2,\"done\":false,\"nextRecordsUrl\":\"/services/data/v66.0/query/01gxx-1\","
                  "\"records\":[" REC("1") "]}");
    script_expect(s, "GET", V "/query/01gxx-1", NULL, 200, NULL, "{\"totalSize\":2,\"done\":true,\"records\":[" REC("2") "]}");
    script_expect(s, "PATCH", V "/sobjects/Contact/External_Id__c/E-1", "*", 300, NULL,
                  "[\"/services/data/v66.0/sobjects/Contact/003xx0000000001AAA\"]");
    script_expect(s, "PATCH", V "/composite/sobjects/Contact/External_Id__c", "*", 200, NULL,
                  "[{\"id\":\"003xx0000000001AAA\",\"success\":true,\"errors\":[],\"created\":true},"
                  "{\"success\":false,\"errors\":[{\"statusCode\":\"DUPLICATE_VALUE\",\"message\":\"duplicate value "
                  "found: External_Id__c duplicates value on record with id: 003xx0000000001\",\"fields\":[]}]}]");
    script_expect(s, "DELETE", V "/sobjects/Contact/003xx0000000009AAA", NULL, 400, NULL,
                  "[{\"message\":\"Required fields are missing: [LastName]\",\"errorCode\":\"REQUIRED_FIELD_MISSING\","
                  "\"fields\":[\"LastName\"]}]");
}

/* The scenario; returns how many steps succeeded (all 6 when nothing failed). */
static int scenario(script_t *s) {
    int ok = 0;
    ucrm_conf_t *conf = ucrm_conf_new();
    if (!conf)
        return 0;
    ucrm_client_t *c = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_conf_set(conf, "provider", "salesforce", NULL) || ucrm_conf_set(conf, "auth.refresh.token", "r", NULL) ||
        ucrm_conf_set(conf, "auth.client.id", "k", NULL) || ucrm_conf_set(conf, "retry.max", "0", NULL) ||
        ucrm_conf_set(conf, "mapping.contact.lifecycle_stage", "Stage__c", NULL))
        goto out;
    script_install(s, conf);
    if (ucrm_client_new(&c, conf, &e) != UCRM_OK)
        goto out;
    ucrm_record_t *r = NULL;
    if (ucrm_get(c, UCRM_OBJECT_CONTACT, "003xx0000000001AAA", NULL, &r, &e) == UCRM_OK) {
        char *json = NULL;
        ok += ucrm_record_to_json(r, &json) == UCRM_OK;
        ucrm_free(json);
    }
    ucrm_record_destroy(r);
    ucrm_error_destroy(e);
    e = NULL;
    ucrm_iter_t *it = NULL;
    if (ucrm_list(c, UCRM_OBJECT_CONTACT, NULL, &it, &e) == UCRM_OK) {
        int n = 0;
        while (ucrm_iter_next(it, &r, &e) == UCRM_OK) {
            n++;
            (void)ucrm_iter_cursor(it);
            ucrm_record_destroy(r);
        }
        ok += n == 2;
    }
    ucrm_iter_destroy(it);
    ucrm_error_destroy(e);
    e = NULL;
    if (ucrm_record_new(&r, UCRM_OBJECT_CONTACT) == UCRM_OK && !ucrm_record_set_string(r, "last_name", "X") &&
        !ucrm_record_set_string(r, "custom.External_Id__c", "E-1") &&
        !ucrm_record_set_json(r, "phone_numbers", "[{\"number\":\"5\",\"type\":\"home\"}]") &&
        !ucrm_record_set_json(r, "address", "{\"city\":\"Oslo\"}") && !ucrm_record_set_string(r, "lifecycle_stage", "x"))
        ok += ucrm_upsert(c, r, "custom.External_Id__c", NULL, &e) == UCRM_ERR_CONFLICT;
    ucrm_error_destroy(e);
    e = NULL;
    ucrm_batch_t *b = NULL;
    if (r && ucrm_batch_new(&b, UCRM_OBJECT_CONTACT, UCRM_BATCH_UPSERT) == UCRM_OK &&
        !ucrm_batch_set_key_field(b, "custom.External_Id__c") && !ucrm_batch_add(b, r) && !ucrm_batch_add(b, r))
        ok += ucrm_batch_run(c, b, NULL, &e) == UCRM_ERR_PARTIAL && ucrm_batch_result(b, 1, NULL, NULL) == UCRM_ERR_CONFLICT;
    ucrm_batch_destroy(b);
    ucrm_record_destroy(r);
    ucrm_error_destroy(e);
    e = NULL;
    ok += ucrm_delete(c, UCRM_OBJECT_CONTACT, "003xx0000000009AAA", NULL, &e) == UCRM_ERR_VALIDATION &&
          strcmp(ucrm_error_field(e), "last_name") == 0;
    ucrm_error_destroy(e);
    e = NULL;
    char *stats = NULL;
    ok += ucrm_client_stats_json(c, &stats, NULL) == UCRM_OK;
    ucrm_free(stats);
out:
    ucrm_error_destroy(e);
    ucrm_client_destroy(c);
    ucrm_conf_destroy(conf);
    return ok;
}

static void run(long n, void *ctx) {
    (void)n, (void)ctx;
    script_t *s = script_new();
    script_scenario(s);
    (void)scenario(s);
    script_free(s);
}

static void torture(bool sticky) {
    oomalloc_torture(sticky, run, NULL);
}

static void test_salesforce_oom__scenario_without_failures(void **state) {
    (void)state;
    script_t *s = script_new();
    script_scenario(s);
    long live = oomalloc_live();
    assert_int_equal(scenario(s), 6);
    assert_true(script_ok(s));
    assert_int_equal(script_remaining(s), 0);
    script_free(s);
    assert_int_equal(oomalloc_live(), live);
}

static void test_salesforce_oom__nth_allocation_fails(void **state) {
    (void)state;
    torture(false);
}

static void test_salesforce_oom__every_allocation_from_nth_fails(void **state) {
    (void)state;
    torture(true);
}

int main(void) {
    if (oomalloc_install() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_salesforce_oom__scenario_without_failures),
        cmocka_unit_test(test_salesforce_oom__nth_allocation_fails),
        cmocka_unit_test(test_salesforce_oom__every_allocation_from_nth_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
