/*
 * test_events.c -- change events through the public API: HubSpot webhook batches (every subscription type, the
 * eventType alias, unknown types and objects, malformed/truncated/huge/non-UTF-8 bodies) and Salesforce Change
 * Data Capture messages (CometD, data-only and bare shapes; CREATE/UPDATE/DELETE/UNDELETE/GAP_*; compound
 * fields; several record ids; wildcards), unified field names through a client's adapter (the test provider's
 * identity map), keep_newest and dedupe on batches.
 * Payload shapes follow PROTOCOL.md B10 (HubSpot) and A11 plus the CDC guide's examples (Salesforce).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/script.h"
#include "helpers/testprov.h"
#include <unicrm/unicrm.h>

/* ------------------------------------------------------------------------------------------------ helpers */

static ucrm_client_t *client_for(const char *provider, script_t **s, ucrm_conf_t **conf) {
    testprov_register_as(provider);
    *s = script_new();
    *conf = ucrm_conf_new();
    assert_int_equal(ucrm_conf_set(*conf, "provider", provider, NULL), UCRM_OK);
    ucrm_conf_set(*conf, "auth.access.token", "tok", NULL);
    ucrm_conf_set(*conf, "api.url", "http://127.0.0.1:9", NULL);
    script_install(*s, *conf);
    ucrm_client_t *c = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_client_new(&c, *conf, &e) != UCRM_OK)
        fail_msg("client_new(%s): %s", provider, ucrm_error_message(e));
    return c;
}

static void client_done(ucrm_client_t *c, script_t *s, ucrm_conf_t *conf) {
    ucrm_client_destroy(c);
    ucrm_conf_destroy(conf);
    assert_int_equal(script_requests(s), 0); /* parsing never talks to the provider */
    script_free(s);
    testprov_unregister();
}

static ucrm_events_t *hs_parse(const char *body, const ucrm_client_t *c) {
    ucrm_events_t *evs = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_events_parse_hubspot(&evs, body, strlen(body), c, &e) != UCRM_OK)
        fail_msg("parse_hubspot: %s", ucrm_error_message(e));
    return evs;
}

static ucrm_events_t *sf_parse(const char *body, const ucrm_client_t *c) {
    ucrm_events_t *evs = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_events_parse_salesforce_cdc(&evs, body, strlen(body), c, &e) != UCRM_OK)
        fail_msg("parse_salesforce_cdc: %s", ucrm_error_message(e));
    return evs;
}

/* Expects a failure with code and a message containing needle. */
static void expect_fail(int hubspot, const char *body, size_t len, ucrm_err_t code, const char *needle) {
    ucrm_events_t *evs = (ucrm_events_t *)1;
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = hubspot ? ucrm_events_parse_hubspot(&evs, body, len, NULL, &e)
                            : ucrm_events_parse_salesforce_cdc(&evs, body, len, NULL, &e);
    if (rc != code || (needle && !strstr(ucrm_error_message(e), needle)))
        fail_msg("'%.60s': got %s '%s', want %s '%s'", body ? body : "(null)", ucrm_err_name(rc),
                 ucrm_error_message(e), ucrm_err_name(code), needle ? needle : "");
    assert_null(evs);
    ucrm_error_destroy(e);
}

#define HS_FAIL(body, needle) expect_fail(1, (body), strlen(body), UCRM_ERR_PROTOCOL, (needle))
#define SF_FAIL(body, needle) expect_fail(0, (body), strlen(body), UCRM_ERR_PROTOCOL, (needle))

#define HS_N(extra) "{\"eventId\":1,\"subscriptionId\":2,\"portalId\":62515,\"appId\":54321,\"attemptNumber\":0," extra "}"

/* ------------------------------------------------------------------------------------------------ HubSpot */

static const char *hs_all_types =
    "[" HS_N("\"occurredAt\":1000,\"subscriptionType\":\"contact.creation\",\"objectId\":101,\"changeSource\":\"CRM_UI\","
             "\"changeFlag\":\"NEW\"") ","
    HS_N("\"occurredAt\":1001,\"subscriptionType\":\"contact.deletion\",\"objectId\":102,\"changeSource\":\"CRM\"") ","
    HS_N("\"occurredAt\":1002,\"subscriptionType\":\"contact.privacyDeletion\",\"objectId\":103") ","
    HS_N("\"occurredAt\":1003,\"subscriptionType\":\"contact.propertyChange\",\"objectId\":104,\"propertyName\":"
         "\"email\",\"propertyValue\":\"ada@example.com\",\"changeSource\":\"INTEGRATION\",\"sourceId\":\"987\"") ","
    HS_N("\"occurredAt\":1004,\"subscriptionType\":\"contact.merge\",\"objectId\":105,\"primaryObjectId\":105,"
         "\"mergedObjectIds\":[106,\"107\"],\"newObjectId\":108,\"numberOfPropertiesMoved\":3") ","
    HS_N("\"occurredAt\":1005,\"subscriptionType\":\"contact.associationChange\",\"fromObjectId\":109,"
         "\"toObjectId\":5001,\"associationType\":\"CONTACT_TO_COMPANY\",\"associationRemoved\":false,"
         "\"isPrimaryAssociation\":true") ","
    HS_N("\"occurredAt\":1006,\"subscriptionType\":\"contact.associationChange\",\"fromObjectId\":109,"
         "\"toObjectId\":5001,\"associationType\":\"CONTACT_TO_COMPANY\",\"associationRemoved\":true") ","
    HS_N("\"occurredAt\":1007,\"subscriptionType\":\"contact.restore\",\"objectId\":110") ","
    HS_N("\"occurredAt\":1008,\"subscriptionType\":\"company.propertyChange\",\"objectId\":201,\"propertyName\":"
         "\"name\",\"propertyValue\":\"Acme\"") ","
    HS_N("\"occurredAt\":1009,\"subscriptionType\":\"deal.creation\",\"objectId\":301") ","
    HS_N("\"occurredAt\":1010,\"subscriptionType\":\"ticket.creation\",\"objectId\":401") ","
    HS_N("\"occurredAt\":1011,\"subscriptionType\":\"contact.somethingNew\",\"objectId\":111") ","
    HS_N("\"occurredAt\":1012,\"subscriptionType\":\"object.propertyChange\",\"objectTypeId\":\"0-1\",\"objectId\":112,"
         "\"propertyName\":\"firstname\",\"propertyValue\":\"\"") ","
    HS_N("\"occurredAt\":1013,\"subscriptionType\":\"conversation.newMessage\",\"messageId\":\"m1\"")
    "]";

static void test_events__hubspot_every_type(void **state) {
    (void)state;
    ucrm_events_t *evs = hs_parse(hs_all_types, NULL);
    assert_int_equal(ucrm_events_count(evs), 14);
    const ucrm_event_t *ev = ucrm_events_get(evs, 0);
    assert_int_equal(ucrm_event_kind(ev), UCRM_EVENT_CREATED);
    assert_string_equal(ucrm_event_provider(ev), "hubspot");
    assert_string_equal(ucrm_event_provider_type(ev), "contact.creation");
    assert_int_equal(ucrm_event_object(ev), UCRM_OBJECT_CONTACT);
    assert_string_equal(ucrm_event_object_name(ev), "contact");
    assert_string_equal(ucrm_event_record_id(ev), "101");
    assert_null(ucrm_event_field(ev));
    assert_int_equal(ucrm_event_has_value(ev), 0);
    assert_int_equal(ucrm_event_occurred_at_ms(ev), 1000);
    assert_string_equal(ucrm_event_source(ev), "CRM_UI");
    assert_string_equal(ucrm_event_account_id(ev), "62515");
    assert_int_equal(ucrm_event_attempt(ev), 0);
    assert_string_equal(ucrm_event_key(ev), "hs:62515:101:1000:contact.creation:");
    assert_null(ucrm_event_replay_id(ev));

    assert_int_equal(ucrm_event_kind(ucrm_events_get(evs, 1)), UCRM_EVENT_DELETED);
    assert_int_equal(ucrm_event_kind(ucrm_events_get(evs, 2)), UCRM_EVENT_DELETED);
    assert_string_equal(ucrm_event_provider_type(ucrm_events_get(evs, 2)), "contact.privacyDeletion");

    ev = ucrm_events_get(evs, 3);
    assert_int_equal(ucrm_event_kind(ev), UCRM_EVENT_PROPERTY_CHANGED);
    assert_string_equal(ucrm_event_field(ev), "custom.email"); /* no client: unmapped */
    assert_string_equal(ucrm_event_provider_field(ev), "email");
    assert_int_equal(ucrm_event_has_value(ev), 1);
    assert_string_equal(ucrm_event_value(ev), "ada@example.com");
    assert_string_equal(ucrm_event_source_id(ev), "987");
    assert_string_equal(ucrm_event_key(ev), "hs:62515:104:1003:contact.propertyChange:email");

    ev = ucrm_events_get(evs, 4); /* merge: the new record survives; 106, 107 and the old primary are gone */
    assert_int_equal(ucrm_event_kind(ev), UCRM_EVENT_MERGED);
    assert_string_equal(ucrm_event_record_id(ev), "108");
    assert_int_equal(ucrm_event_related_count(ev), 3);
    assert_string_equal(ucrm_event_related_id(ev, 0), "106");
    assert_string_equal(ucrm_event_related_id(ev, 1), "107");
    assert_string_equal(ucrm_event_related_id(ev, 2), "105");
    assert_null(ucrm_event_related_id(ev, 3));

    ev = ucrm_events_get(evs, 5);
    assert_int_equal(ucrm_event_kind(ev), UCRM_EVENT_ASSOCIATED);
    assert_string_equal(ucrm_event_record_id(ev), "109");
    assert_string_equal(ucrm_event_related_id(ev, 0), "5001");
    assert_string_equal(ucrm_event_value(ev), "CONTACT_TO_COMPANY");
    assert_string_equal(ucrm_event_key(ev),
                        "hs:62515:109:1005:contact.associationChange::5001:CONTACT_TO_COMPANY:a");
    ev = ucrm_events_get(evs, 6);
    assert_int_equal(ucrm_event_kind(ev), UCRM_EVENT_DISASSOCIATED);
    assert_string_equal(ucrm_event_key(ev),
                        "hs:62515:109:1006:contact.associationChange::5001:CONTACT_TO_COMPANY:r");

    assert_int_equal(ucrm_event_kind(ucrm_events_get(evs, 7)), UCRM_EVENT_RESTORED);
    ev = ucrm_events_get(evs, 8);
    assert_int_equal(ucrm_event_object(ev), UCRM_OBJECT_ACCOUNT);
    assert_string_equal(ucrm_event_object_name(ev), "account");
    assert_string_equal(ucrm_event_value(ev), "Acme");
    assert_int_equal(ucrm_event_object(ucrm_events_get(evs, 9)), UCRM_OBJECT_DEAL);

    ev = ucrm_events_get(evs, 10); /* an object outside the model */
    assert_int_equal(ucrm_event_object(ev), 0);
    assert_string_equal(ucrm_event_object_name(ev), "ticket");
    assert_int_equal(ucrm_event_kind(ev), UCRM_EVENT_CREATED);
    ev = ucrm_events_get(evs, 11); /* a type unicrm does not know */
    assert_int_equal(ucrm_event_kind(ev), UCRM_EVENT_OTHER);
    assert_string_equal(ucrm_event_provider_type(ev), "contact.somethingNew");
    assert_string_equal(ucrm_event_record_id(ev), "111");
    ev = ucrm_events_get(evs, 12); /* generic object.* with objectTypeId; a cleared property is "" */
    assert_int_equal(ucrm_event_object(ev), UCRM_OBJECT_CONTACT);
    assert_string_equal(ucrm_event_value(ev), "");
    assert_int_equal(ucrm_event_has_value(ev), 1);
    ev = ucrm_events_get(evs, 13); /* no object id at all: kept, keyed by eventId */
    assert_int_equal(ucrm_event_kind(ev), UCRM_EVENT_OTHER);
    assert_null(ucrm_event_record_id(ev));
    assert_string_equal(ucrm_event_object_name(ev), "conversation");
    assert_string_equal(ucrm_event_key(ev), "hs:62515:e1:1013:conversation.newMessage:");
    assert_null(ucrm_events_get(evs, 14));

    char *raw = NULL;
    assert_int_equal(ucrm_event_raw_json(ucrm_events_get(evs, 4), &raw), UCRM_OK);
    assert_non_null(strstr(raw, "\"numberOfPropertiesMoved\":3"));
    assert_non_null(strstr(raw, "\"mergedObjectIds\":[106,\"107\"]"));
    ucrm_free(raw);
    ucrm_events_destroy(evs);
}

static void test_events__hubspot_details(void **state) {
    (void)state;
    /* eventType (the documentation's name) when subscriptionType is absent; ids as strings; a retry (attempt 1)
     * has the same key as the first delivery; null and absent values; a numeric value */
    const char *body =
        "[{\"eventType\":\"deal.propertyChange\",\"objectId\":\"9007199254740992\",\"occurredAt\":5,\"portalId\":\"7\","
        "\"propertyName\":\"amount\",\"propertyValue\":1500.25,\"attemptNumber\":1},"
        "{\"subscriptionType\":\"deal.propertyChange\",\"objectId\":9007199254740992,\"occurredAt\":5,\"portalId\":7,"
        "\"propertyName\":\"amount\",\"propertyValue\":\"1500.25\",\"attemptNumber\":0},"
        "{\"subscriptionType\":\"deal.propertyChange\",\"objectId\":1,\"occurredAt\":6,\"propertyName\":\"x\","
        "\"propertyValue\":null},"
        "{\"subscriptionType\":\"deal.propertyChange\",\"objectId\":1,\"occurredAt\":7,\"propertyName\":\"y\"}]";
    ucrm_events_t *evs = hs_parse(body, NULL);
    assert_int_equal(ucrm_events_count(evs), 4);
    const ucrm_event_t *a = ucrm_events_get(evs, 0), *b = ucrm_events_get(evs, 1);
    assert_string_equal(ucrm_event_provider_type(a), "deal.propertyChange");
    assert_string_equal(ucrm_event_value(a), "1500.25");
    assert_int_equal(ucrm_event_attempt(a), 1);
    assert_string_equal(ucrm_event_key(a), ucrm_event_key(b));
    assert_string_equal(ucrm_event_record_id(b), "9007199254740992");
    assert_int_equal(ucrm_event_has_value(ucrm_events_get(evs, 2)), 1);
    assert_null(ucrm_event_value(ucrm_events_get(evs, 2)));
    assert_int_equal(ucrm_event_has_value(ucrm_events_get(evs, 3)), 0);
    assert_null(ucrm_event_account_id(ucrm_events_get(evs, 3)));
    assert_int_equal(ucrm_event_attempt(ucrm_events_get(evs, 3)), -1);
    ucrm_events_destroy(evs);

    evs = hs_parse(" [ ] \n", NULL);
    assert_int_equal(ucrm_events_count(evs), 0);
    assert_null(ucrm_events_get(evs, 0));
    ucrm_events_destroy(evs);
}

static void test_events__hubspot_unified_fields(void **state) {
    (void)state;
    script_t *s;
    ucrm_conf_t *conf;
    ucrm_client_t *c = client_for("hubspot", &s, &conf);
    /* the test adapter's identity map: "email" and "address.city" are unified names, "firstname" is not */
    const char *body = "[" HS_N("\"occurredAt\":1,\"subscriptionType\":\"contact.propertyChange\",\"objectId\":1,"
                                "\"propertyName\":\"email\",\"propertyValue\":\"a@b.c\"") ","
                       HS_N("\"occurredAt\":1,\"subscriptionType\":\"contact.propertyChange\",\"objectId\":1,"
                            "\"propertyName\":\"address.city\",\"propertyValue\":\"Paris\"") ","
                       HS_N("\"occurredAt\":1,\"subscriptionType\":\"contact.propertyChange\",\"objectId\":1,"
                            "\"propertyName\":\"firstname\",\"propertyValue\":\"Ada\"") ","
                       HS_N("\"occurredAt\":1,\"subscriptionType\":\"ticket.propertyChange\",\"objectId\":1,"
                            "\"propertyName\":\"email\",\"propertyValue\":\"x\"") "]";
    ucrm_events_t *evs = hs_parse(body, c);
    assert_string_equal(ucrm_event_field(ucrm_events_get(evs, 0)), "email");
    assert_string_equal(ucrm_event_field(ucrm_events_get(evs, 1)), "address.city");
    assert_string_equal(ucrm_event_field(ucrm_events_get(evs, 2)), "custom.firstname");
    assert_string_equal(ucrm_event_field(ucrm_events_get(evs, 3)), "custom.email"); /* not a unified object */
    /* the batch outlives the client */
    client_done(c, s, conf);
    assert_string_equal(ucrm_event_field(ucrm_events_get(evs, 0)), "email");
    ucrm_events_destroy(evs);

    /* a Salesforce client cannot name HubSpot fields */
    c = client_for("salesforce", &s, &conf);
    ucrm_events_t *bad = (ucrm_events_t *)1;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_events_parse_hubspot(&bad, "[]", 2, c, &e), UCRM_ERR_INVALID_ARG);
    assert_null(bad);
    assert_non_null(strstr(ucrm_error_message(e), "hubspot client"));
    ucrm_error_destroy(e);
    client_done(c, s, conf);
}

static void test_events__hubspot_malformed(void **state) {
    (void)state;
    HS_FAIL("", "not valid JSON");
    HS_FAIL("[{\"subscriptionType\":\"contact.creation\",\"objectId\":1,\"occurredAt\":1", "not valid JSON");
    HS_FAIL("[] []", "after the JSON value");
    HS_FAIL("{\"subscriptionType\":\"contact.creation\"}", "not a JSON array");
    HS_FAIL("\"x\"", "not a JSON array");
    HS_FAIL("[1]", "notification 0");
    HS_FAIL("[{\"objectId\":1,\"occurredAt\":1}]", "no subscriptionType");
    HS_FAIL("[{\"subscriptionType\":\"\",\"objectId\":1,\"occurredAt\":1}]", "no subscriptionType");
    HS_FAIL("[{\"subscriptionType\":\"contact.creation\",\"objectId\":1}]", "occurredAt");
    HS_FAIL("[{\"subscriptionType\":\"contact.creation\",\"objectId\":1,\"occurredAt\":1.5}]", "occurredAt");
    HS_FAIL("[{\"subscriptionType\":\"contact.creation\",\"occurredAt\":1}]", "no object id");
    HS_FAIL("[{\"subscriptionType\":\"contact.creation\",\"objectId\":1.5,\"occurredAt\":1}]", "no object id");
    HS_FAIL("[{\"subscriptionType\":\"contact.creation\",\"objectId\":1e300,\"occurredAt\":1}]", "no object id");
    HS_FAIL("[{\"subscriptionType\":\"contact.creation\",\"objectId\":[1],\"occurredAt\":1}]", "no object id");
    HS_FAIL("[{\"subscriptionType\":\"contact.propertyChange\",\"objectId\":1,\"occurredAt\":1}]", "no propertyName");
    HS_FAIL("[{\"subscriptionType\":\"contact.associationChange\",\"fromObjectId\":1,\"occurredAt\":1}]",
            "no toObjectId");
    HS_FAIL("[{\"subscriptionType\":\"contact.merge\",\"newObjectId\":1,\"mergedObjectIds\":[{}],\"occurredAt\":1}]",
            "mergedObjectIds");
    /* the second notification is bad: no partial batch */
    HS_FAIL("[{\"subscriptionType\":\"contact.creation\",\"objectId\":1,\"occurredAt\":1},{\"occurredAt\":2}]",
            "notification 1");
    /* non-UTF-8, \u0000, an unpaired surrogate, a stray byte; an escaped backslash before u0000 is fine */
    HS_FAIL("[{\"subscriptionType\":\"contact.creation\xff\",\"objectId\":1,\"occurredAt\":1}]", "UTF-8");
    HS_FAIL("[{\"subscriptionType\":\"contact.propertyChange\",\"objectId\":1,\"occurredAt\":1,\"propertyName\":\"a\","
            "\"propertyValue\":\"x\\u0000y\"}]", "\\u0000");
    HS_FAIL("[{\"subscriptionType\":\"contact.creation\",\"objectId\":1,\"occurredAt\":1,\"x\":\"\\ud800\"}]", "surrogate");
    HS_FAIL("[{\"subscriptionType\":\"contact.creation\",\"objectId\":1,\"occurredAt\":1}\x80]", "at byte 68"); /* 0-based offset of the stray byte */
    ucrm_events_t *evs = hs_parse("[{\"subscriptionType\":\"contact.propertyChange\",\"objectId\":1,\"occurredAt\":1,"
                                  "\"propertyName\":\"a\",\"propertyValue\":\"x\\\\u0000y\"}]", NULL);
    assert_string_equal(ucrm_event_value(ucrm_events_get(evs, 0)), "x\\u0000y");
    ucrm_events_destroy(evs);
    /* truncated at every length: never a crash, never a batch */
    size_t n = strlen(hs_all_types);
    for (size_t i = 0; i < n; i++) {
        ucrm_events_t *t = NULL;
        ucrm_err_t rc = ucrm_events_parse_hubspot(&t, hs_all_types, i, NULL, NULL);
        if (rc != UCRM_ERR_PROTOCOL)
            fail_msg("truncated at %zu: %s", i, ucrm_err_name(rc));
        assert_null(t);
    }
    /* nesting far beyond cJSON's limit */
    size_t depth = 200000;
    char *deep = malloc(depth * 2 + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[depth * 2] = '\0';
    expect_fail(1, deep, depth * 2, UCRM_ERR_PROTOCOL, "not valid JSON");
    free(deep);
    /* over 64 MiB: refused before any byte is read (so the length may exceed the buffer here) */
    expect_fail(1, "[]", ((size_t)64 << 20) + 1, UCRM_ERR_PROTOCOL, "64 MiB");
    /* arguments */
    assert_int_equal(ucrm_events_parse_hubspot(NULL, "[]", 2, NULL, NULL), UCRM_ERR_INVALID_ARG);
    expect_fail(1, NULL, 3, UCRM_ERR_INVALID_ARG, NULL);
}

static void test_events__hubspot_huge_batch(void **state) {
    (void)state;
    /* 20000 notifications (HubSpot sends at most 100; the parser must not care) */
    size_t n = 20000;
    char *body = malloc(n * 200 + 16);
    size_t off = 0;
    body[off++] = '[';
    for (size_t i = 0; i < n; i++)
        off += (size_t)sprintf(body + off, "%s{\"subscriptionType\":\"contact.propertyChange\",\"objectId\":%zu,"
                                           "\"occurredAt\":%zu,\"propertyName\":\"p%zu\",\"propertyValue\":\"v\"}",
                               i ? "," : "", i, 1000 + i, i % 7);
    body[off++] = ']';
    body[off] = '\0';
    ucrm_events_t *evs = NULL;
    assert_int_equal(ucrm_events_parse_hubspot(&evs, body, off, NULL, NULL), UCRM_OK);
    assert_int_equal(ucrm_events_count(evs), n);
    assert_string_equal(ucrm_event_record_id(ucrm_events_get(evs, n - 1)), "19999");
    assert_string_equal(ucrm_event_field(ucrm_events_get(evs, n - 1)), "custom.p0"); /* 19999 % 7 */
    ucrm_events_destroy(evs);
    free(body);
}

/* ------------------------------------------------------------------------------------------------ Salesforce */

/* The CDC guide's account-creation example, in a CometD message. */
static const char *sf_create =
    "{\"channel\":\"/data/ChangeEvents\",\"data\":{\"schema\":\"IeRuaY6cbI_HsV8Rv1Mc5g\",\"payload\":{"
    "\"ChangeEventHeader\":{\"entityName\":\"Account\",\"recordIds\":[\"0015f00002JUXA8AAP\"],\"changeType\":"
    "\"CREATE\",\"changeOrigin\":\"com/salesforce/api/rest/60.0;client=unicrm-demo\",\"transactionKey\":"
    "\"00006bec-ce66-0611-9018-30a98446c9f2\",\"sequenceNumber\":1,\"commitTimestamp\":1714156685000,"
    "\"commitNumber\":1100670838951,\"commitUser\":\"0055f000005mc66AAA\",\"nulledFields\":[],\"diffFields\":[],"
    "\"changedFields\":[]},\"Name\":\"Acme\",\"Type\":null,\"BillingAddress\":{\"Street\":\"415 Mission Street\","
    "\"City\":\"San Francisco\",\"State\":\"CA\",\"PostalCode\":\"94105\",\"Country\":\"United States\","
    "\"Latitude\":null},\"AnnualRevenue\":null,\"CreatedDate\":\"2024-04-26T18:38:05.000Z\"},"
    "\"event\":{\"replayId\":6}}}";

static void test_events__sf_create(void **state) {
    (void)state;
    ucrm_events_t *evs = sf_parse(sf_create, NULL);
    assert_int_equal(ucrm_events_count(evs), 1);
    const ucrm_event_t *ev = ucrm_events_get(evs, 0);
    assert_int_equal(ucrm_event_kind(ev), UCRM_EVENT_CREATED);
    assert_string_equal(ucrm_event_provider(ev), "salesforce");
    assert_string_equal(ucrm_event_provider_type(ev), "CREATE");
    assert_int_equal(ucrm_event_object(ev), UCRM_OBJECT_ACCOUNT);
    assert_string_equal(ucrm_event_record_id(ev), "0015f00002JUXA8AAP");
    assert_int_equal(ucrm_event_occurred_at_ms(ev), 1714156685000LL);
    assert_string_equal(ucrm_event_source(ev), "com/salesforce/api/rest/60.0;client=unicrm-demo");
    assert_string_equal(ucrm_event_source_id(ev), "unicrm-demo");
    assert_string_equal(ucrm_event_user(ev), "0055f000005mc66AAA");
    assert_string_equal(ucrm_event_replay_id(ev), "6");
    assert_int_equal(ucrm_event_attempt(ev), -1);
    assert_null(ucrm_event_account_id(ev));
    assert_int_equal(ucrm_event_is_gap(ev), 0);
    assert_string_equal(ucrm_event_key(ev), "sf:00006bec-ce66-0611-9018-30a98446c9f2:1:0015f00002JUXA8AAP:");
    char *raw = NULL;
    assert_int_equal(ucrm_event_raw_json(ev, &raw), UCRM_OK);
    assert_non_null(strstr(raw, "\"City\":\"San Francisco\""));
    assert_non_null(strstr(raw, "\"ChangeEventHeader\""));
    ucrm_free(raw);
    ucrm_events_destroy(evs);
}

static const char *sf_update =
    "{\"schema\":\"s\",\"payload\":{\"ChangeEventHeader\":{\"entityName\":\"Contact\",\"recordIds\":"
    "[\"003A\",\"003B\"],\"changeType\":\"UPDATE\",\"changeOrigin\":\"\",\"transactionKey\":\"tx1\","
    "\"sequenceNumber\":3,\"commitTimestamp\":1700000000123,\"commitUser\":\"005U\",\"changedFields\":"
    "[\"Name.FirstName\",\"MailingAddress.City\",\"Email\",\"Description\",\"Score__c\",\"LastModifiedDate\","
    "\"Geo__c.Latitude__s\"],\"nulledFields\":[\"Email\"],\"diffFields\":[\"Description\"]},"
    "\"Name\":{\"Salutation\":null,\"FirstName\":\"Ada\",\"LastName\":null},\"MailingAddress\":{\"City\":\"Paris\"},"
    "\"Description\":\"@@ -1 +1 @@\",\"Score__c\":97.5,\"LastModifiedDate\":\"2023-11-14T22:13:20.000Z\","
    "\"Geo__c\":{\"Latitude__s\":48.85}},\"event\":{\"replayId\":\"0000AB\"}}";

static void test_events__sf_update_fields(void **state) {
    (void)state;
    ucrm_events_t *evs = sf_parse(sf_update, NULL); /* the "data" object alone */
    assert_int_equal(ucrm_events_count(evs), 14);  /* 2 records x 7 fields, record by record */
    static const char *pf[] = {"FirstName", "MailingCity", "Email", "Description", "Score__c", "LastModifiedDate",
                               "Geo__Latitude__s"};
    static const char *val[] = {"Ada", "Paris", NULL, NULL, "97.5", "2023-11-14T22:13:20.000Z", "48.85"};
    static const int has[] = {1, 1, 1, 0, 1, 1, 1};
    for (size_t i = 0; i < 14; i++) {
        const ucrm_event_t *ev = ucrm_events_get(evs, i);
        assert_int_equal(ucrm_event_kind(ev), UCRM_EVENT_PROPERTY_CHANGED);
        assert_string_equal(ucrm_event_record_id(ev), i < 7 ? "003A" : "003B");
        assert_string_equal(ucrm_event_provider_field(ev), pf[i % 7]);
        char want[64];
        snprintf(want, sizeof want, "custom.%s", pf[i % 7]);
        assert_string_equal(ucrm_event_field(ev), want);
        assert_int_equal(ucrm_event_has_value(ev), has[i % 7]);
        if (val[i % 7])
            assert_string_equal(ucrm_event_value(ev), val[i % 7]);
        else
            assert_null(ucrm_event_value(ev));
        assert_null(ucrm_event_source_id(ev)); /* empty changeOrigin */
        assert_string_equal(ucrm_event_replay_id(ev), "0000AB");
    }
    assert_string_equal(ucrm_event_key(ucrm_events_get(evs, 8)), "sf:tx1:3:003B:MailingCity");
    ucrm_events_destroy(evs);
}

static void test_events__sf_kinds(void **state) {
    (void)state;
#define SF_MSG(type, ids, extra)                                                                                   \
    "{\"ChangeEventHeader\":{\"entityName\":\"Opportunity\",\"recordIds\":" ids ",\"changeType\":\"" type "\","   \
    "\"commitTimestamp\":10" extra "}}"
    const char *body = "[{\"channel\":\"/meta/connect\",\"successful\":true},"
                       "{\"data\":{\"payload\":" SF_MSG("DELETE", "[\"006A\"]", "") ",\"event\":{\"replayId\":1}}},"
                       "{\"data\":{\"payload\":" SF_MSG("UNDELETE", "[\"006A\"]", "") "}},"
                       SF_MSG("GAP_CREATE", "[\"006B\",\"006C\"]", "") ","
                       SF_MSG("GAP_UPDATE", "[\"006B\"]", ",\"changedFields\":[\"Amount\"]") ","
                       SF_MSG("GAP_DELETE", "[\"006B\"]", "") ","
                       SF_MSG("GAP_UNDELETE", "[\"006B\"]", "") ","
                       SF_MSG("GAP_OVERFLOW", "[]", "") ","
                       SF_MSG("UPDATE", "[\"006*\"]", ",\"changedFields\":[\"StageName\"]") ","
                       SF_MSG("UPDATE", "[\"006D\"]", "") ","
                       SF_MSG("UPDATE", "[\"006D\"]", ",\"changedFields\":[\"0x1A\",\"3-0x02\"]") ","
                       SF_MSG("SOMETHING", "[\"006D\"]", "") ","
                       "{\"replayId\":\"AAEC\",\"payload\":" SF_MSG("DELETE", "[\"006E\"]", "") "}]";
    ucrm_events_t *evs = sf_parse(body, NULL);
    struct {
        ucrm_event_kind_t kind;
        const char *id;
        int gap;
    } want[] = {
        {UCRM_EVENT_DELETED, "006A", 0}, {UCRM_EVENT_RESTORED, "006A", 0}, {UCRM_EVENT_CREATED, "006B", 1},
        {UCRM_EVENT_CREATED, "006C", 1}, {UCRM_EVENT_UPDATED, "006B", 1},  {UCRM_EVENT_DELETED, "006B", 1},
        {UCRM_EVENT_RESTORED, "006B", 1}, {UCRM_EVENT_UPDATED, NULL, 1},   {UCRM_EVENT_UPDATED, NULL, 1},
        {UCRM_EVENT_UPDATED, "006D", 0}, /* no changedFields (before API 47.0): re-read */
        {UCRM_EVENT_UPDATED, "006D", 0}, /* Pub/Sub bitmaps: re-read */
        {UCRM_EVENT_OTHER, "006D", 0},   {UCRM_EVENT_DELETED, "006E", 0},
    };
    assert_int_equal(ucrm_events_count(evs), sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const ucrm_event_t *ev = ucrm_events_get(evs, i);
        if (ucrm_event_kind(ev) != want[i].kind || ucrm_event_is_gap(ev) != want[i].gap ||
            !(want[i].id ? ucrm_event_record_id(ev) && strcmp(ucrm_event_record_id(ev), want[i].id) == 0
                         : ucrm_event_record_id(ev) == NULL))
            fail_msg("event %zu: kind %d gap %d id %s", i, ucrm_event_kind(ev), ucrm_event_is_gap(ev),
                     ucrm_event_record_id(ev) ? ucrm_event_record_id(ev) : "NULL");
        assert_int_equal(ucrm_event_object(ev), UCRM_OBJECT_DEAL);
        assert_string_equal(ucrm_event_object_name(ev), "deal");
    }
    /* keys without a transaction key: the replay id, else the commit time */
    assert_string_equal(ucrm_event_key(ucrm_events_get(evs, 0)), "sf:r1:006A:");
    assert_string_equal(ucrm_event_key(ucrm_events_get(evs, 1)), "sf:t10:Opportunity:UNDELETE:006A:");
    assert_string_equal(ucrm_event_key(ucrm_events_get(evs, 7)), "sf:t10:Opportunity:GAP_OVERFLOW:*:");
    assert_string_equal(ucrm_event_replay_id(ucrm_events_get(evs, 12)), "AAEC");
    ucrm_events_destroy(evs);
}

static void test_events__sf_unified_fields(void **state) {
    (void)state;
    script_t *s;
    ucrm_conf_t *conf;
    ucrm_client_t *c = client_for("salesforce", &s, &conf);
    const char *body = "{\"ChangeEventHeader\":{\"entityName\":\"Contact\",\"recordIds\":[\"003A\"],\"changeType\":"
                       "\"UPDATE\",\"commitTimestamp\":1,\"changedFields\":[\"email\",\"Title__c\"]},"
                       "\"email\":\"a@b.c\",\"Title__c\":\"CTO\"}";
    ucrm_events_t *evs = sf_parse(body, c);
    assert_string_equal(ucrm_event_field(ucrm_events_get(evs, 0)), "email");
    assert_string_equal(ucrm_event_field(ucrm_events_get(evs, 1)), "custom.Title__c");
    ucrm_events_destroy(evs);
    /* an entity outside the model is never mapped */
    evs = sf_parse("{\"ChangeEventHeader\":{\"entityName\":\"Lead\",\"recordIds\":[\"00Q1\"],\"changeType\":"
                   "\"UPDATE\",\"commitTimestamp\":1,\"changedFields\":[\"email\"]},\"email\":\"x\"}", c);
    assert_int_equal(ucrm_event_object(ucrm_events_get(evs, 0)), 0);
    assert_string_equal(ucrm_event_object_name(ucrm_events_get(evs, 0)), "Lead");
    assert_string_equal(ucrm_event_field(ucrm_events_get(evs, 0)), "custom.email");
    ucrm_events_destroy(evs);
    ucrm_events_t *bad = NULL;
    assert_int_equal(ucrm_events_parse_salesforce_cdc(&bad, "{}", 2, NULL, NULL), UCRM_ERR_PROTOCOL);
    client_done(c, s, conf);
    c = client_for("hubspot", &s, &conf);
    assert_int_equal(ucrm_events_parse_salesforce_cdc(&bad, body, strlen(body), c, NULL), UCRM_ERR_INVALID_ARG);
    client_done(c, s, conf);
}

static void test_events__sf_malformed(void **state) {
    (void)state;
    SF_FAIL("", "not valid JSON");
    SF_FAIL("{\"data\":{\"payload\":{}}}", "no ChangeEventHeader");
    SF_FAIL("{\"channel\":\"/event/Order_Event__e\",\"data\":{\"payload\":{\"Amount__c\":1}}}", "no ChangeEventHeader");
    SF_FAIL("[1]", "not a JSON object");
    SF_FAIL("{\"ChangeEventHeader\":[]}", "no ChangeEventHeader");
    SF_FAIL("{\"ChangeEventHeader\":{\"recordIds\":[\"1\"],\"changeType\":\"CREATE\",\"commitTimestamp\":1}}",
            "entityName");
    SF_FAIL("{\"ChangeEventHeader\":{\"entityName\":\"Account\",\"recordIds\":[\"1\"],\"commitTimestamp\":1}}",
            "changeType");
    SF_FAIL("{\"ChangeEventHeader\":{\"entityName\":\"Account\",\"recordIds\":[\"1\"],\"changeType\":\"CREATE\"}}",
            "commitTimestamp");
    SF_FAIL("{\"ChangeEventHeader\":{\"entityName\":\"Account\",\"recordIds\":[\"1\"],\"changeType\":\"CREATE\","
            "\"commitTimestamp\":\"soon\"}}", "commitTimestamp");
    SF_FAIL("{\"ChangeEventHeader\":{\"entityName\":\"Account\",\"changeType\":\"CREATE\",\"commitTimestamp\":1}}",
            "recordIds");
    SF_FAIL("{\"ChangeEventHeader\":{\"entityName\":\"Account\",\"recordIds\":[],\"changeType\":\"CREATE\","
            "\"commitTimestamp\":1}}", "recordIds");
    SF_FAIL("{\"ChangeEventHeader\":{\"entityName\":\"Account\",\"recordIds\":[1],\"changeType\":\"CREATE\","
            "\"commitTimestamp\":1}}", "record id");
    SF_FAIL("[{\"ChangeEventHeader\":{\"entityName\":\"Account\",\"recordIds\":[\"1\"],\"changeType\":\"CREATE\","
            "\"commitTimestamp\":1}},{}]", "change event 1");
    SF_FAIL("{\"ChangeEventHeader\":{\"entityName\":\"Acc\xc0\xafunt\"}}", "UTF-8");
    size_t n = strlen(sf_create);
    for (size_t i = 0; i < n; i++) {
        ucrm_events_t *t = NULL;
        if (ucrm_events_parse_salesforce_cdc(&t, sf_create, i, NULL, NULL) != UCRM_ERR_PROTOCOL)
            fail_msg("truncated at %zu", i);
        assert_null(t);
    }
}

/* ------------------------------------------------------------------------------------------------ ordering */

#define PC(id, t, prop, val)                                                                                       \
    "{\"subscriptionType\":\"contact.propertyChange\",\"objectId\":" #id ",\"occurredAt\":" #t                     \
    ",\"propertyName\":\"" prop "\",\"propertyValue\":\"" val "\",\"portalId\":1}"
#define LC(type, id, t) "{\"subscriptionType\":\"contact." type "\",\"objectId\":" #id ",\"occurredAt\":" #t ",\"portalId\":1}"
#define AC(id, to, t, removed)                                                                                     \
    "{\"subscriptionType\":\"contact.associationChange\",\"fromObjectId\":" #id ",\"toObjectId\":" #to            \
    ",\"associationType\":\"CONTACT_TO_COMPANY\",\"associationRemoved\":" removed ",\"occurredAt\":" #t "}"

static void test_events__keep_newest(void **state) {
    (void)state;
    /* delivered out of order, as HubSpot may */
    const char *body = "[" PC(1, 30, "email", "c@x") "," PC(1, 10, "email", "a@x") "," PC(1, 20, "email", "b@x") ","
                       PC(1, 20, "firstname", "Ada") "," LC("creation", 2, 5) "," LC("deletion", 2, 50) ","
                       PC(2, 40, "email", "z@x") "," AC(1, 9, 15, "false") "," AC(1, 9, 16, "true") ","
                       AC(1, 8, 12, "false") "," PC(3, 7, "email", "first") "," PC(3, 7, "email", "second") ","
                       "{\"subscriptionType\":\"conversation.newMessage\",\"occurredAt\":1,\"eventId\":5},"
                       "{\"subscriptionType\":\"conversation.newMessage\",\"occurredAt\":1,\"eventId\":6}]";
    ucrm_events_t *evs = hs_parse(body, NULL);
    assert_int_equal(ucrm_events_count(evs), 14);
    const ucrm_event_t *first = ucrm_events_get(evs, 0);
    size_t removed = 99;
    assert_int_equal(ucrm_events_keep_newest(evs, &removed), UCRM_OK);
    assert_int_equal(removed, 5);
    /* sorted by occurred-at, ties in arrival order */
    const char *want[] = {"conv", "conv", "3:email=second", "1:assoc 8", "1:assoc 9 removed", "1:firstname=Ada",
                          "1:email=c@x", "2:email=z@x", "2:deleted"};
    assert_int_equal(ucrm_events_count(evs), 9);
    for (size_t i = 0; i < 9; i++) {
        const ucrm_event_t *ev = ucrm_events_get(evs, i);
        char got[64];
        switch (ucrm_event_kind(ev)) {
        case UCRM_EVENT_PROPERTY_CHANGED:
            snprintf(got, sizeof got, "%s:%s=%s", ucrm_event_record_id(ev), ucrm_event_provider_field(ev),
                     ucrm_event_value(ev));
            break;
        case UCRM_EVENT_ASSOCIATED:
        case UCRM_EVENT_DISASSOCIATED:
            snprintf(got, sizeof got, "%s:assoc %s%s", ucrm_event_record_id(ev), ucrm_event_related_id(ev, 0),
                     ucrm_event_kind(ev) == UCRM_EVENT_DISASSOCIATED ? " removed" : "");
            break;
        case UCRM_EVENT_DELETED: snprintf(got, sizeof got, "%s:deleted", ucrm_event_record_id(ev)); break;
        default: snprintf(got, sizeof got, "conv");
        }
        if (strcmp(got, want[i]) != 0)
            fail_msg("position %zu: got %s, want %s", i, got, want[i]);
    }
    /* the dropped events stay valid (pointers are stable until destroy) */
    assert_string_equal(ucrm_event_value(first), "c@x");
    assert_int_equal(ucrm_events_keep_newest(evs, NULL), UCRM_OK); /* idempotent */
    assert_int_equal(ucrm_events_count(evs), 9);
    ucrm_events_destroy(evs);
    /* the same object id in two HubSpot portals: two records */
    evs = hs_parse("[" PC(1, 10, "email", "a") ",{\"subscriptionType\":\"contact.propertyChange\",\"objectId\":1,"
                   "\"occurredAt\":20,\"propertyName\":\"email\",\"propertyValue\":\"b\",\"portalId\":2}]", NULL);
    assert_int_equal(ucrm_events_keep_newest(evs, &removed), UCRM_OK);
    assert_int_equal(removed, 0);
    ucrm_events_destroy(evs);
    assert_int_equal(ucrm_events_keep_newest(NULL, &removed), UCRM_ERR_INVALID_ARG);
}

static void test_events__dedupe_batch(void **state) {
    (void)state;
    /* the same notification twice (a retry), plus one other */
    const char *body = "[" PC(1, 10, "email", "a@x") "," PC(1, 10, "email", "a@x") "," PC(1, 11, "email", "b@x") "]";
    ucrm_dedupe_t *d = NULL;
    assert_int_equal(ucrm_dedupe_new(&d, 100, 60000), UCRM_OK);
    ucrm_events_t *evs = hs_parse(body, NULL);
    size_t removed = 0;
    assert_int_equal(ucrm_events_dedupe(evs, &removed, d, 1000, NULL), UCRM_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(ucrm_events_count(evs), 2);
    assert_string_equal(ucrm_event_value(ucrm_events_get(evs, 1)), "b@x");
    ucrm_events_destroy(evs);
    /* redelivered later: everything is a duplicate, until the processing of one failed and it was forgotten */
    evs = hs_parse(body, NULL);
    assert_int_equal(ucrm_events_dedupe(evs, &removed, d, 2000, NULL), UCRM_OK);
    assert_int_equal(removed, 3);
    assert_int_equal(ucrm_events_count(evs), 0);
    ucrm_events_destroy(evs);
    assert_int_equal(ucrm_dedupe_forget(d, "hs:1:1:11:contact.propertyChange:email", NULL), UCRM_OK);
    evs = hs_parse(body, NULL);
    assert_int_equal(ucrm_events_dedupe(evs, &removed, d, 3000, NULL), UCRM_OK);
    assert_int_equal(ucrm_events_count(evs), 1);
    assert_string_equal(ucrm_event_value(ucrm_events_get(evs, 0)), "b@x");
    /* after the TTL everything is new again */
    ucrm_events_destroy(evs);
    evs = hs_parse(body, NULL);
    assert_int_equal(ucrm_events_dedupe(evs, &removed, d, 3000 + 60000, NULL), UCRM_OK);
    assert_int_equal(ucrm_events_count(evs), 2);
    assert_int_equal(ucrm_events_dedupe(NULL, &removed, d, 0, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_events_dedupe(evs, &removed, NULL, 0, NULL), UCRM_ERR_INVALID_ARG);
    ucrm_events_destroy(evs);
    ucrm_dedupe_destroy(d);
}

static int failing_seen(const char *key, int64_t now, int64_t ttl, int *was_seen, void *opaque) {
    (void)now, (void)ttl;
    int *calls = opaque;
    *was_seen = 0;
    return ++*calls == 2 && key ? 42 : 0;
}

static void test_events__dedupe_failure_leaves_batch(void **state) {
    (void)state;
    int calls = 0;
    ucrm_dedupe_t *d = NULL;
    assert_int_equal(ucrm_dedupe_new_custom(&d, 1000, failing_seen, NULL, &calls), UCRM_OK);
    ucrm_events_t *evs = hs_parse("[" PC(1, 10, "email", "a") "," PC(1, 11, "email", "b") "]", NULL);
    ucrm_error_t *e = NULL;
    size_t removed = 7;
    assert_int_equal(ucrm_events_dedupe(evs, &removed, d, 0, &e), UCRM_ERR_USER);
    assert_int_equal(ucrm_error_user_code(e), 42);
    assert_int_equal(removed, 0);
    assert_int_equal(ucrm_events_count(evs), 2);
    ucrm_error_destroy(e);
    ucrm_events_destroy(evs);
    ucrm_dedupe_destroy(d);
}

static void test_events__null_safety(void **state) {
    (void)state;
    assert_int_equal(ucrm_events_count(NULL), 0);
    assert_null(ucrm_events_get(NULL, 0));
    ucrm_events_destroy(NULL);
    assert_int_equal(ucrm_event_kind(NULL), UCRM_EVENT_OTHER);
    assert_null(ucrm_event_provider(NULL));
    assert_null(ucrm_event_record_id(NULL));
    assert_null(ucrm_event_field(NULL));
    assert_null(ucrm_event_value(NULL));
    assert_null(ucrm_event_key(NULL));
    assert_null(ucrm_event_related_id(NULL, 0));
    assert_int_equal(ucrm_event_related_count(NULL), 0);
    assert_int_equal(ucrm_event_attempt(NULL), -1);
    assert_int_equal(ucrm_event_occurred_at_ms(NULL), 0);
    assert_int_equal(ucrm_event_has_value(NULL), 0);
    assert_int_equal(ucrm_event_is_gap(NULL), 0);
    char *out = (char *)"x";
    assert_int_equal(ucrm_event_raw_json(NULL, &out), UCRM_ERR_INVALID_ARG);
    assert_null(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events__hubspot_every_type),
        cmocka_unit_test(test_events__hubspot_details),
        cmocka_unit_test(test_events__hubspot_unified_fields),
        cmocka_unit_test(test_events__hubspot_malformed),
        cmocka_unit_test(test_events__hubspot_huge_batch),
        cmocka_unit_test(test_events__sf_create),
        cmocka_unit_test(test_events__sf_update_fields),
        cmocka_unit_test(test_events__sf_kinds),
        cmocka_unit_test(test_events__sf_unified_fields),
        cmocka_unit_test(test_events__sf_malformed),
        cmocka_unit_test(test_events__keep_newest),
        cmocka_unit_test(test_events__dedupe_batch),
        cmocka_unit_test(test_events__dedupe_failure_leaves_batch),
        cmocka_unit_test(test_events__null_safety),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
