/*
 * test_policy.c -- field ownership and echo suppression through the public API: rules (field, component,
 * object default), validation, conflict resolution, filtering change sets both ways, echo recognition of
 * HubSpot and Salesforce events by value fingerprint (with normalised values), by record, by deletion and by
 * source, the echo window, and concurrent use.
 * Events come from the real parsers with the test provider's identity field map (tests/helpers/testprov.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "helpers/script.h"
#include "helpers/testprov.h"
#include <unicrm/unicrm.h>

typedef struct fx {
    script_t *s;
    ucrm_conf_t *conf;
    ucrm_client_t *hs, *sf;
    ucrm_policy_t *p;
} fx_t;

static ucrm_client_t *client(fx_t *f, const char *provider) {
    testprov_register_as(provider);
    ucrm_conf_set(f->conf, "provider", provider, NULL);
    ucrm_client_t *c = NULL;
    assert_int_equal(ucrm_client_new(&c, f->conf, NULL), UCRM_OK);
    return c;
}

static int setup(void **state) {
    fx_t *f = calloc(1, sizeof *f);
    f->s = script_new();
    f->conf = ucrm_conf_new();
    ucrm_conf_set(f->conf, "auth.access.token", "tok", NULL);
    ucrm_conf_set(f->conf, "api.url", "http://127.0.0.1:9", NULL);
    script_install(f->s, f->conf);
    f->sf = client(f, "salesforce");
    f->hs = client(f, "hubspot"); /* the provider stays registered as hubspot; clients keep their vtable */
    assert_int_equal(ucrm_policy_new(&f->p), UCRM_OK);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx_t *f = *state;
    ucrm_policy_destroy(f->p);
    ucrm_client_destroy(f->hs);
    ucrm_client_destroy(f->sf);
    ucrm_conf_destroy(f->conf);
    script_free(f->s);
    free(f);
    testprov_unregister();
    return 0;
}

static void test_policy__rules(void **state) {
    fx_t *f = *state;
    ucrm_policy_t *p = f->p;
    ucrm_owner_t o;
    ucrm_sync_dir_t d;
    assert_int_equal(ucrm_policy_get(p, &o, &d, UCRM_OBJECT_CONTACT, "email"), UCRM_ERR_NOENT);
    assert_int_equal(o, 0);
    assert_int_equal(d, UCRM_SYNC_NONE);
    assert_int_equal(ucrm_policy_allows(p, UCRM_OBJECT_CONTACT, "email", UCRM_SYNC_FROM_CRM), 0);

    assert_int_equal(ucrm_policy_set(p, UCRM_OBJECT_CONTACT, "email", UCRM_OWNER_PRODUCT, UCRM_SYNC_BOTH, NULL),
                     UCRM_OK);
    assert_int_equal(ucrm_policy_set(p, UCRM_OBJECT_CONTACT, "*", UCRM_OWNER_CRM, UCRM_SYNC_FROM_CRM, NULL), UCRM_OK);
    assert_int_equal(ucrm_policy_set(p, UCRM_OBJECT_CONTACT, "address", UCRM_OWNER_CRM, UCRM_SYNC_BOTH, NULL),
                     UCRM_OK);
    assert_int_equal(ucrm_policy_set(p, UCRM_OBJECT_CONTACT, "address.country", UCRM_OWNER_CRM, UCRM_SYNC_NONE, NULL),
                     UCRM_OK);
    assert_int_equal(ucrm_policy_set(p, UCRM_OBJECT_CONTACT, "custom.Score__c", UCRM_OWNER_NEWEST, UCRM_SYNC_TO_CRM,
                                     NULL),
                     UCRM_OK);
    assert_int_equal(ucrm_policy_get(p, &o, &d, UCRM_OBJECT_CONTACT, "email"), UCRM_OK);
    assert_int_equal(o, UCRM_OWNER_PRODUCT);
    assert_int_equal(d, UCRM_SYNC_BOTH);
    /* the object default */
    assert_int_equal(ucrm_policy_get(p, &o, &d, UCRM_OBJECT_CONTACT, "title"), UCRM_OK);
    assert_int_equal(d, UCRM_SYNC_FROM_CRM);
    assert_int_equal(ucrm_policy_get(p, &o, &d, UCRM_OBJECT_CONTACT, "custom.Other__c"), UCRM_OK);
    assert_int_equal(d, UCRM_SYNC_FROM_CRM);
    /* a component follows its field unless it has a rule of its own */
    assert_int_equal(ucrm_policy_allows(p, UCRM_OBJECT_CONTACT, "address.city", UCRM_SYNC_TO_CRM), 1);
    assert_int_equal(ucrm_policy_allows(p, UCRM_OBJECT_CONTACT, "address.country", UCRM_SYNC_FROM_CRM), 0);
    /* other objects are unaffected */
    assert_int_equal(ucrm_policy_get(p, NULL, NULL, UCRM_OBJECT_ACCOUNT, "email"), UCRM_ERR_NOENT);
    assert_int_equal(ucrm_policy_allows(p, UCRM_OBJECT_CONTACT, "custom.Score__c", UCRM_SYNC_TO_CRM), 1);
    assert_int_equal(ucrm_policy_allows(p, UCRM_OBJECT_CONTACT, "custom.Score__c", UCRM_SYNC_FROM_CRM), 0);
    assert_int_equal(ucrm_policy_allows(p, UCRM_OBJECT_CONTACT, "email", UCRM_SYNC_BOTH), 1);
    assert_int_equal(ucrm_policy_allows(p, UCRM_OBJECT_CONTACT, "title", UCRM_SYNC_BOTH), 0);
    assert_int_equal(ucrm_policy_allows(p, UCRM_OBJECT_CONTACT, "email", UCRM_SYNC_NONE), 0);
    /* replacing a rule */
    assert_int_equal(ucrm_policy_set(p, UCRM_OBJECT_CONTACT, "email", UCRM_OWNER_CRM, UCRM_SYNC_FROM_CRM, NULL),
                     UCRM_OK);
    assert_int_equal(ucrm_policy_allows(p, UCRM_OBJECT_CONTACT, "email", UCRM_SYNC_TO_CRM), 0);
}

static void test_policy__validation(void **state) {
    fx_t *f = *state;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_policy_set(f->p, UCRM_OBJECT_CONTACT, "emial", UCRM_OWNER_CRM, UCRM_SYNC_BOTH, &e),
                     UCRM_ERR_INVALID_FIELD);
    assert_non_null(strstr(ucrm_error_message(e), "emial"));
    ucrm_error_destroy(e);
    assert_int_equal(ucrm_policy_set(f->p, UCRM_OBJECT_CONTACT, "updated_at", UCRM_OWNER_CRM, UCRM_SYNC_BOTH, NULL),
                     UCRM_ERR_UNSUPPORTED);
    assert_int_equal(ucrm_policy_set(f->p, UCRM_OBJECT_DEAL, "status", UCRM_OWNER_CRM, UCRM_SYNC_TO_CRM, NULL),
                     UCRM_ERR_UNSUPPORTED);
    assert_int_equal(ucrm_policy_set(f->p, UCRM_OBJECT_DEAL, "status", UCRM_OWNER_CRM, UCRM_SYNC_FROM_CRM, NULL),
                     UCRM_OK);
    assert_int_equal(ucrm_policy_set(f->p, UCRM_OBJECT_CONTACT, "email.x", UCRM_OWNER_CRM, UCRM_SYNC_BOTH, NULL),
                     UCRM_ERR_INVALID_FIELD); /* email is not compound */
    assert_int_equal(ucrm_policy_set(f->p, UCRM_OBJECT_CONTACT, "address.", UCRM_OWNER_CRM, UCRM_SYNC_BOTH, NULL),
                     UCRM_ERR_INVALID_FIELD);
    assert_int_equal(ucrm_policy_set(f->p, UCRM_OBJECT_CONTACT, "custom.", UCRM_OWNER_CRM, UCRM_SYNC_BOTH, NULL),
                     UCRM_ERR_INVALID_FIELD);
    assert_int_equal(ucrm_policy_set(f->p, (ucrm_object_t)9, "email", UCRM_OWNER_CRM, UCRM_SYNC_BOTH, NULL),
                     UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_policy_set(f->p, UCRM_OBJECT_CONTACT, "email", (ucrm_owner_t)0, UCRM_SYNC_BOTH, NULL),
                     UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_policy_set(f->p, UCRM_OBJECT_CONTACT, "email", UCRM_OWNER_CRM, (ucrm_sync_dir_t)4, NULL),
                     UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_policy_set(f->p, UCRM_OBJECT_CONTACT, NULL, UCRM_OWNER_CRM, UCRM_SYNC_BOTH, NULL),
                     UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_policy_set(NULL, UCRM_OBJECT_CONTACT, "email", UCRM_OWNER_CRM, UCRM_SYNC_BOTH, NULL),
                     UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_policy_get(NULL, NULL, NULL, UCRM_OBJECT_CONTACT, "email"), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_policy_allows(NULL, UCRM_OBJECT_CONTACT, "email", UCRM_SYNC_TO_CRM), 0);
    assert_int_equal(ucrm_policy_new(NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_policy_set_echo_window(f->p, 0, 10), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_policy_set_echo_window(f->p, 10, 0), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_policy_add_echo_source(f->p, "", NULL), UCRM_ERR_INVALID_ARG);
    ucrm_policy_destroy(NULL);
}

static void test_policy__resolve(void **state) {
    fx_t *f = *state;
    ucrm_policy_set(f->p, UCRM_OBJECT_DEAL, "amount", UCRM_OWNER_CRM, UCRM_SYNC_BOTH, NULL);
    ucrm_policy_set(f->p, UCRM_OBJECT_DEAL, "stage", UCRM_OWNER_PRODUCT, UCRM_SYNC_BOTH, NULL);
    ucrm_policy_set(f->p, UCRM_OBJECT_DEAL, "name", UCRM_OWNER_NEWEST, UCRM_SYNC_BOTH, NULL);
    ucrm_policy_set(f->p, UCRM_OBJECT_DEAL, "pipeline", UCRM_OWNER_PRODUCT, UCRM_SYNC_FROM_CRM, NULL);
    ucrm_policy_set(f->p, UCRM_OBJECT_DEAL, "currency", UCRM_OWNER_CRM, UCRM_SYNC_TO_CRM, NULL);
    ucrm_policy_set(f->p, UCRM_OBJECT_DEAL, "owner_id", UCRM_OWNER_CRM, UCRM_SYNC_NONE, NULL);
    assert_int_equal(ucrm_policy_resolve(f->p, UCRM_OBJECT_DEAL, "amount", 1, 2), UCRM_OWNER_CRM);
    assert_int_equal(ucrm_policy_resolve(f->p, UCRM_OBJECT_DEAL, "stage", 2, 1), UCRM_OWNER_PRODUCT);
    assert_int_equal(ucrm_policy_resolve(f->p, UCRM_OBJECT_DEAL, "name", 1, 2), UCRM_OWNER_PRODUCT);
    assert_int_equal(ucrm_policy_resolve(f->p, UCRM_OBJECT_DEAL, "name", 2, 1), UCRM_OWNER_CRM);
    assert_int_equal(ucrm_policy_resolve(f->p, UCRM_OBJECT_DEAL, "name", 2, 2), UCRM_OWNER_CRM); /* tie */
    assert_int_equal(ucrm_policy_resolve(f->p, UCRM_OBJECT_DEAL, "pipeline", 1, 9), UCRM_OWNER_CRM);
    assert_int_equal(ucrm_policy_resolve(f->p, UCRM_OBJECT_DEAL, "currency", 9, 1), UCRM_OWNER_PRODUCT);
    assert_int_equal(ucrm_policy_resolve(f->p, UCRM_OBJECT_DEAL, "owner_id", 1, 2), 0);
    assert_int_equal(ucrm_policy_resolve(f->p, UCRM_OBJECT_DEAL, "close_date", 1, 2), 0);
}

static ucrm_record_t *contact(const char *id) {
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_record_new(&r, UCRM_OBJECT_CONTACT), UCRM_OK);
    if (id)
        ucrm_record_set_id(r, id);
    return r;
}

static void test_policy__filter_to_crm(void **state) {
    fx_t *f = *state;
    ucrm_policy_set(f->p, UCRM_OBJECT_CONTACT, "email", UCRM_OWNER_PRODUCT, UCRM_SYNC_BOTH, NULL);
    ucrm_policy_set(f->p, UCRM_OBJECT_CONTACT, "title", UCRM_OWNER_CRM, UCRM_SYNC_FROM_CRM, NULL);
    ucrm_policy_set(f->p, UCRM_OBJECT_CONTACT, "address", UCRM_OWNER_PRODUCT, UCRM_SYNC_TO_CRM, NULL);
    ucrm_record_t *r = contact("42");
    ucrm_record_set_string(r, "email", "a@x.io");
    ucrm_record_set_string(r, "title", "CTO");
    ucrm_record_set_string(r, "first_name", "Ada"); /* no rule: not synchronised */
    ucrm_record_set_json(r, "address", "{\"city\":\"Paris\"}");
    ucrm_record_clear_dirty(r);
    ucrm_record_set_string(r, "email", "b@x.io"); /* only email is dirty */
    ucrm_record_t *out = NULL;
    size_t echoes = 9;
    assert_int_equal(ucrm_policy_filter(f->p, &out, &echoes, r, UCRM_SYNC_TO_CRM, 0, NULL), UCRM_OK);
    assert_int_equal(echoes, 0);
    assert_int_equal(ucrm_record_field_count(out), 2);
    assert_string_equal(ucrm_record_field_name(out, 0), "email");
    assert_string_equal(ucrm_record_field_name(out, 1), "address");
    assert_string_equal(ucrm_record_id(out), "42");
    assert_int_equal(ucrm_record_is_dirty(out, "email"), 1);
    assert_int_equal(ucrm_record_is_dirty(out, "address"), 0);
    ucrm_record_destroy(out);
    assert_int_equal(ucrm_policy_filter(f->p, &out, NULL, r, UCRM_SYNC_FROM_CRM, 0, NULL), UCRM_OK);
    assert_int_equal(ucrm_record_field_count(out), 2); /* email, title */
    assert_int_equal(ucrm_record_field_type(out, "title"), UCRM_FIELD_STRING);
    ucrm_record_destroy(out);
    out = (ucrm_record_t *)1;
    assert_int_equal(ucrm_policy_filter(f->p, &out, NULL, r, UCRM_SYNC_BOTH, 0, NULL), UCRM_ERR_INVALID_ARG);
    assert_null(out);
    assert_int_equal(ucrm_policy_filter(f->p, &out, NULL, NULL, UCRM_SYNC_TO_CRM, 0, NULL), UCRM_ERR_INVALID_ARG);
    ucrm_record_destroy(r);
}

static void test_policy__filter_drops_echoes(void **state) {
    fx_t *f = *state;
    ucrm_policy_set(f->p, UCRM_OBJECT_CONTACT, "*", UCRM_OWNER_NEWEST, UCRM_SYNC_BOTH, NULL);
    ucrm_record_t *w = contact("42");
    ucrm_record_set_string(w, "email", "a@x.io");
    ucrm_record_set_json(w, "additional_emails", "[\"b@x.io\",\"c@x.io\"]");
    assert_int_equal(ucrm_policy_note_write(f->p, w, 1000, NULL), UCRM_OK);
    /* the CRM's view a moment later: email is ours, title was changed by someone at the CRM */
    ucrm_record_t *crm = contact("42");
    ucrm_record_set_string(crm, "email", "a@x.io");
    ucrm_record_set_json(crm, "additional_emails", "[\"b@x.io\",\"c@x.io\"]");
    ucrm_record_set_string(crm, "title", "CEO");
    ucrm_record_t *out = NULL;
    size_t echoes = 0;
    assert_int_equal(ucrm_policy_filter(f->p, &out, &echoes, crm, UCRM_SYNC_FROM_CRM, 2000, NULL), UCRM_OK);
    assert_int_equal(echoes, 2);
    assert_int_equal(ucrm_record_field_count(out), 1);
    assert_string_equal(ucrm_record_field_name(out, 0), "title");
    ucrm_record_destroy(out);
    /* another record, or the same after the window: not echoes */
    ucrm_record_set_id(crm, "43");
    assert_int_equal(ucrm_policy_filter(f->p, &out, &echoes, crm, UCRM_SYNC_FROM_CRM, 2000, NULL), UCRM_OK);
    assert_int_equal(echoes, 0);
    ucrm_record_destroy(out);
    ucrm_record_set_id(crm, "42");
    assert_int_equal(ucrm_policy_filter(f->p, &out, &echoes, crm, UCRM_SYNC_FROM_CRM, 1000 + 3600 * 1000, NULL),
                     UCRM_OK);
    assert_int_equal(echoes, 0);
    assert_int_equal(ucrm_record_field_count(out), 3);
    ucrm_record_destroy(out);
    /* TO_CRM never drops echoes */
    assert_int_equal(ucrm_policy_filter(f->p, &out, &echoes, w, UCRM_SYNC_TO_CRM, 1500, NULL), UCRM_OK);
    assert_int_equal(ucrm_record_field_count(out), 2);
    ucrm_record_destroy(out);
    ucrm_record_destroy(crm);
    ucrm_record_destroy(w);
}

static ucrm_events_t *hs_events(fx_t *f, const char *body) {
    ucrm_events_t *evs = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_events_parse_hubspot(&evs, body, strlen(body), f->hs, &e) != UCRM_OK)
        fail_msg("%s", ucrm_error_message(e));
    return evs;
}

#define HPC(type, id, prop, val)                                                                                  \
    "{\"subscriptionType\":\"" type ".propertyChange\",\"objectId\":" #id ",\"occurredAt\":1,\"propertyName\":\""  \
    prop "\",\"propertyValue\":\"" val "\",\"changeSource\":\"INTEGRATION\"}"

static void test_policy__hubspot_echoes(void **state) {
    fx_t *f = *state;
    /* what we wrote, in unified terms */
    ucrm_record_t *deal = NULL;
    ucrm_record_new(&deal, UCRM_OBJECT_DEAL);
    ucrm_record_set_id(deal, "7");
    ucrm_record_set_string(deal, "amount", "1500.50");
    ucrm_record_set_string(deal, "close_date", "2024-05-01");
    ucrm_record_set_string(deal, "stage", "closedwon");
    ucrm_record_set_double(deal, "probability", 40);
    ucrm_record_set_null(deal, "pipeline");
    ucrm_record_set_string(deal, "updated_at", "2024-05-01T00:00:00Z"); /* read-only: not remembered */
    assert_int_equal(ucrm_policy_note_write(f->p, deal, 10000, NULL), UCRM_OK);
    ucrm_record_t *c = contact("9");
    ucrm_record_set_json(c, "address", "{\"city\":\"Paris\",\"postal_code\":\"75001\"}");
    ucrm_record_set_json(c, "phone_numbers", "[{\"number\":\"+33 1\",\"type\":\"mobile\"}]");
    ucrm_record_set_string(c, "first_name", "Ada");
    assert_int_equal(ucrm_policy_note_write(f->p, c, 10000, NULL), UCRM_OK);
    /* what HubSpot sends back (values as HubSpot writes them: dates as epoch ms, decimals trimmed, cleared = "") */
    const char *body = "[" HPC("deal", 7, "amount", "1500.5") "," HPC("deal", 7, "close_date", "1714521600000") ","
                       HPC("deal", 7, "stage", "closedwon") "," HPC("deal", 7, "pipeline", "") ","
                       HPC("deal", 7, "stage", "closedlost") "," HPC("deal", 8, "stage", "closedwon") ","
                       HPC("contact", 9, "address.city", "Paris") "," HPC("contact", 9, "address.postal_code", "75002")
                       "," HPC("contact", 9, "phone_numbers.mobile", "+33 1") "," HPC("contact", 9, "firstname", "Ada")
                       "," HPC("deal", 7, "probability", "0.4") ","
                       "{\"subscriptionType\":\"deal.creation\",\"objectId\":7,\"occurredAt\":1},"
                       "{\"subscriptionType\":\"deal.creation\",\"objectId\":8,\"occurredAt\":1},"
                       "{\"subscriptionType\":\"deal.deletion\",\"objectId\":7,\"occurredAt\":1},"
                       "{\"subscriptionType\":\"deal.associationChange\",\"fromObjectId\":7,\"toObjectId\":1,"
                       "\"occurredAt\":1}]";
    ucrm_events_t *evs = hs_events(f, body);
    /* 1: echo; 0: not */
    const int want[] = {1, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0};
    assert_int_equal(ucrm_events_count(evs), sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int got = ucrm_policy_is_echo(f->p, ucrm_events_get(evs, i), 20000);
        if (got != want[i])
            fail_msg("event %zu (%s %s=%s): echo %d, want %d", i, ucrm_event_provider_type(ucrm_events_get(evs, i)),
                     ucrm_event_field(ucrm_events_get(evs, i)), ucrm_event_value(ucrm_events_get(evs, i)), got,
                     want[i]);
    }
    /* after we delete it, the deletion is ours too */
    assert_int_equal(ucrm_policy_note_delete(f->p, UCRM_OBJECT_DEAL, "7", 10000, NULL), UCRM_OK);
    assert_int_equal(ucrm_policy_is_echo(f->p, ucrm_events_get(evs, 13), 20000), 1);
    /* outside the window nothing is an echo */
    assert_int_equal(ucrm_policy_is_echo(f->p, ucrm_events_get(evs, 0), 10000 + 3600 * 1000), 0);
    /* by source: our app's changes are echoes whatever they say */
    assert_int_equal(ucrm_policy_is_echo(f->p, ucrm_events_get(evs, 4), 20000), 0);
    assert_int_equal(ucrm_policy_add_echo_source(f->p, "INTEGRATION", NULL), UCRM_OK);
    assert_int_equal(ucrm_policy_is_echo(f->p, ucrm_events_get(evs, 4), 20000), 1);
    assert_int_equal(ucrm_policy_is_echo(f->p, ucrm_events_get(evs, 12), 20000), 0); /* no changeSource */
    assert_int_equal(ucrm_policy_is_echo(f->p, NULL, 20000), 0);
    assert_int_equal(ucrm_policy_is_echo(NULL, ucrm_events_get(evs, 0), 20000), 0);
    ucrm_events_destroy(evs);
    ucrm_record_destroy(deal);
    ucrm_record_destroy(c);
    /* note_* arguments */
    ucrm_record_t *noid = contact(NULL);
    assert_int_equal(ucrm_policy_note_write(f->p, noid, 0, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_policy_note_delete(f->p, UCRM_OBJECT_DEAL, "", 0, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_policy_note_delete(f->p, (ucrm_object_t)0, "1", 0, NULL), UCRM_ERR_INVALID_ARG);
    ucrm_record_destroy(noid);
}

static void test_policy__salesforce_echoes(void **state) {
    fx_t *f = *state;
    ucrm_record_t *c = contact("003A");
    ucrm_record_set_string(c, "email", "a@x.io");
    ucrm_policy_note_write(f->p, c, 1000, NULL);
    ucrm_record_destroy(c);
    const char *body =
        "[{\"ChangeEventHeader\":{\"entityName\":\"Contact\",\"recordIds\":[\"003A\"],\"changeType\":\"UPDATE\","
        "\"changeOrigin\":\"com/salesforce/api/rest/62.0;client=someone-else\",\"commitUser\":\"005X\","
        "\"commitTimestamp\":2,\"changedFields\":[\"email\"]},\"email\":\"a@x.io\"},"
        "{\"ChangeEventHeader\":{\"entityName\":\"Contact\",\"recordIds\":[\"003A\"],\"changeType\":\"UPDATE\","
        "\"changeOrigin\":\"com/salesforce/api/rest/62.0;client=unicrm\",\"commitTimestamp\":3,"
        "\"changedFields\":[\"Title\"]},\"Title\":\"CTO\"},"
        "{\"ChangeEventHeader\":{\"entityName\":\"Contact\",\"recordIds\":[\"003B\"],\"changeType\":\"DELETE\","
        "\"commitUser\":\"005INTEGRATION\",\"commitTimestamp\":4}}]";
    ucrm_events_t *evs = NULL;
    assert_int_equal(ucrm_events_parse_salesforce_cdc(&evs, body, strlen(body), f->sf, NULL), UCRM_OK);
    assert_int_equal(ucrm_policy_is_echo(f->p, ucrm_events_get(evs, 0), 2000), 1); /* same value we wrote */
    assert_int_equal(ucrm_policy_is_echo(f->p, ucrm_events_get(evs, 1), 2000), 0);
    assert_int_equal(ucrm_policy_is_echo(f->p, ucrm_events_get(evs, 2), 2000), 0);
    ucrm_policy_add_echo_source(f->p, "unicrm", NULL);         /* our Sforce-Call-Options client id */
    ucrm_policy_add_echo_source(f->p, "005INTEGRATION", NULL); /* our integration user */
    assert_int_equal(ucrm_policy_is_echo(f->p, ucrm_events_get(evs, 1), 2000), 1);
    assert_int_equal(ucrm_policy_is_echo(f->p, ucrm_events_get(evs, 2), 2000), 1);
    ucrm_events_destroy(evs);
}

static void test_policy__echo_window(void **state) {
    fx_t *f = *state;
    assert_int_equal(ucrm_policy_set_echo_window(f->p, 500, 2), UCRM_OK);
    const char *ids[] = {"1", "2", "3"};
    for (int i = 0; i < 3; i++) {
        ucrm_record_t *c = contact(ids[i]);
        ucrm_policy_note_write(f->p, c, 100 + i, NULL); /* each: one record marker */
        ucrm_record_destroy(c);
    }
    ucrm_events_t *evs = hs_events(f, "[{\"subscriptionType\":\"contact.creation\",\"objectId\":1,\"occurredAt\":1},"
                                      "{\"subscriptionType\":\"contact.creation\",\"objectId\":2,\"occurredAt\":1},"
                                      "{\"subscriptionType\":\"contact.creation\",\"objectId\":3,\"occurredAt\":1}]");
    assert_int_equal(ucrm_policy_is_echo(f->p, ucrm_events_get(evs, 0), 200), 0); /* dropped: capacity 2 */
    assert_int_equal(ucrm_policy_is_echo(f->p, ucrm_events_get(evs, 1), 200), 1);
    assert_int_equal(ucrm_policy_is_echo(f->p, ucrm_events_get(evs, 2), 601), 1);
    assert_int_equal(ucrm_policy_is_echo(f->p, ucrm_events_get(evs, 2), 602), 0); /* 500 ms after 102 */
    ucrm_events_destroy(evs);
}

typedef struct worker {
    fx_t *f;
    const ucrm_events_t *evs;
    int id, echoes;
} worker_t;

static void *writer(void *arg) {
    worker_t *w = arg;
    for (int i = 0; i < 500; i++) {
        ucrm_record_t *c = NULL;
        ucrm_record_new(&c, UCRM_OBJECT_CONTACT);
        char id[32];
        snprintf(id, sizeof id, "%d", w->id * 1000 + i);
        ucrm_record_set_id(c, id);
        ucrm_record_set_string(c, "email", "a@x.io");
        ucrm_policy_note_write(w->f->p, c, 1000, NULL);
        ucrm_record_destroy(c);
    }
    return NULL;
}

static void *reader(void *arg) {
    worker_t *w = arg;
    for (int i = 0; i < 500; i++)
        for (size_t k = 0; k < ucrm_events_count(w->evs); k++)
            w->echoes += ucrm_policy_is_echo(w->f->p, ucrm_events_get(w->evs, k), 1000);
    return NULL;
}

static void test_policy__threads(void **state) {
    fx_t *f = *state;
    ucrm_policy_set(f->p, UCRM_OBJECT_CONTACT, "*", UCRM_OWNER_CRM, UCRM_SYNC_BOTH, NULL);
    ucrm_record_t *c = contact("1");
    ucrm_record_set_string(c, "email", "a@x.io");
    ucrm_policy_note_write(f->p, c, 1000, NULL);
    ucrm_record_destroy(c);
    ucrm_events_t *evs = hs_events(f, "[" HPC("contact", 1, "email", "a@x.io") "]");
    pthread_t t[6];
    worker_t w[6];
    for (int i = 0; i < 6; i++) {
        w[i] = (worker_t){f, evs, i + 1, 0};
        pthread_create(&t[i], NULL, i % 2 ? reader : writer, &w[i]);
    }
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    for (int i = 1; i < 6; i += 2)
        assert_int_equal(w[i].echoes, 500);
    ucrm_events_destroy(evs);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_policy__rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy__validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy__resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy__filter_to_crm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy__filter_drops_echoes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy__hubspot_echoes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy__salesforce_echoes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy__echo_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy__threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
