/*
 * test_event_fields.c -- change events named in unified terms by the real adapters' field maps (the provider
 * vtable's unified_field): HubSpot webhook propertyName and Salesforce CDC changedFields, for every object,
 * compound components (address.city, phone_numbers.mobile), the fields behind the common ones (id, updated_at),
 * mapping.* overrides (the mapped property is the unified field, the default property becomes custom.*), and an
 * echo of a component write recognised through those names. Parsing never talks to the provider: the clients
 * point at a closed port.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unicrm/unicrm.h>

/* A real client of provider with extra NULL-terminated key/value pairs. */
static ucrm_client_t *client(const char *provider, const char *const *extra) {
    ucrm_conf_t *conf = ucrm_conf_new();
    assert_int_equal(ucrm_conf_set(conf, "provider", provider, NULL), UCRM_OK);
    assert_int_equal(ucrm_conf_set(conf, "auth.access.token", "tok", NULL), UCRM_OK);
    assert_int_equal(ucrm_conf_set(conf, "api.url", "http://127.0.0.1:9", NULL), UCRM_OK);
    for (size_t i = 0; extra && extra[i]; i += 2) {
        ucrm_error_t *e = NULL;
        if (ucrm_conf_set(conf, extra[i], extra[i + 1], &e) != UCRM_OK)
            fail_msg("%s=%s: %s", extra[i], extra[i + 1], ucrm_error_message(e));
    }
    ucrm_client_t *c = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_client_new(&c, conf, &e) != UCRM_OK)
        fail_msg("client_new(%s): %s", provider, ucrm_error_message(e));
    ucrm_conf_destroy(conf);
    return c;
}

/* The unified field of one HubSpot propertyChange notification on type ("contact", "company", "deal"). */
static void hs_expect(const ucrm_client_t *c, const char *type, const char *prop, const char *want) {
    char body[512];
    snprintf(body, sizeof body,
             "[{\"eventId\":1,\"subscriptionId\":2,\"portalId\":62515,\"appId\":54321,\"occurredAt\":1700000000000,"
             "\"subscriptionType\":\"%s.propertyChange\",\"attemptNumber\":0,\"objectId\":101,"
             "\"propertyName\":\"%s\",\"propertyValue\":\"v\",\"changeSource\":\"CRM_UI\"}]",
             type, prop);
    ucrm_events_t *evs = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_events_parse_hubspot(&evs, body, strlen(body), c, &e) != UCRM_OK)
        fail_msg("parse_hubspot: %s", ucrm_error_message(e));
    const ucrm_event_t *ev = ucrm_events_get(evs, 0);
    if (!ev || strcmp(ucrm_event_field(ev), want) != 0)
        fail_msg("HubSpot %s.%s: got '%s', want '%s'", type, prop, ev ? ucrm_event_field(ev) : "(none)", want);
    assert_string_equal(ucrm_event_provider_field(ev), prop);
    ucrm_events_destroy(evs);
}

/* The unified field of one Salesforce CDC UPDATE of entity whose changedFields is [field]. */
static void sf_expect(const ucrm_client_t *c, const char *entity, const char *field, const char *want) {
    char body[512];
    snprintf(body, sizeof body,
             "{\"ChangeEventHeader\":{\"entityName\":\"%s\",\"recordIds\":[\"003A\"],\"changeType\":\"UPDATE\","
             "\"commitTimestamp\":1700000000000,\"commitUser\":\"005x\",\"changedFields\":[\"%s\"]}}",
             entity, field);
    ucrm_events_t *evs = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_events_parse_salesforce_cdc(&evs, body, strlen(body), c, &e) != UCRM_OK)
        fail_msg("parse_salesforce_cdc: %s", ucrm_error_message(e));
    const ucrm_event_t *ev = ucrm_events_get(evs, 0);
    if (!ev || strcmp(ucrm_event_field(ev), want) != 0)
        fail_msg("Salesforce %s.%s: got '%s', want '%s'", entity, field, ev ? ucrm_event_field(ev) : "(none)", want);
    ucrm_events_destroy(evs);
}

static void test_event_fields__hubspot_defaults(void **state) {
    (void)state;
    ucrm_client_t *c = client("hubspot", NULL);
    static const char *const contact[][2] = {
        {"firstname", "first_name"},         {"lastname", "last_name"},
        {"email", "email"},                  {"hs_additional_emails", "additional_emails"},
        {"phone", "phone_numbers.work"},     {"mobilephone", "phone_numbers.mobile"},
        {"fax", "phone_numbers.fax"},        {"jobtitle", "title"},
        {"hubspot_owner_id", "owner_id"},    {"lifecyclestage", "lifecycle_stage"},
        {"address", "address.street"},       {"city", "address.city"},
        {"state", "address.state"},          {"zip", "address.postal_code"},
        {"country", "address.country"},      {"hs_object_id", "id"},
        {"createdate", "created_at"},        {"lastmodifieddate", "updated_at"},
        {"favorite_color", "custom.favorite_color"}, {"hs_lastmodifieddate", "custom.hs_lastmodifieddate"},
    };
    for (size_t i = 0; i < sizeof contact / sizeof contact[0]; i++)
        hs_expect(c, "contact", contact[i][0], contact[i][1]);
    static const char *const company[][2] = {
        {"name", "name"},           {"domain", "domain"},
        {"website", "website"},     {"numberofemployees", "employee_count"},
        {"annualrevenue", "annual_revenue"}, {"phone", "phone"},
        {"city", "address.city"},   {"zip", "address.postal_code"},
        {"hs_lastmodifieddate", "updated_at"}, {"lastmodifieddate", "custom.lastmodifieddate"},
        {"mobilephone", "custom.mobilephone"},
    };
    for (size_t i = 0; i < sizeof company / sizeof company[0]; i++)
        hs_expect(c, "company", company[i][0], company[i][1]);
    static const char *const deal[][2] = {
        {"dealname", "name"},         {"amount", "amount"},
        {"deal_currency_code", "currency"}, {"dealstage", "stage"},
        {"hs_is_closed", "status"},   {"hs_is_closed_won", "status"},
        {"closedate", "close_date"},  {"hs_deal_stage_probability", "probability"},
        {"pipeline", "pipeline"},     {"hubspot_owner_id", "owner_id"},
        {"city", "custom.city"},
    };
    for (size_t i = 0; i < sizeof deal / sizeof deal[0]; i++)
        hs_expect(c, "deal", deal[i][0], deal[i][1]);
    /* objects outside the unified model are never mapped, even with a property of the same name */
    hs_expect(c, "ticket", "firstname", "custom.firstname");
    ucrm_client_destroy(c);
}

static void test_event_fields__hubspot_overrides(void **state) {
    (void)state;
    static const char *const kv[] = {"mapping.contact.lifecycle_stage", "stage_x", "mapping.contact.address",
                                     "address_json", "mapping.contact.title", "role", NULL};
    ucrm_client_t *c = client("hubspot", kv);
    hs_expect(c, "contact", "stage_x", "lifecycle_stage");
    hs_expect(c, "contact", "lifecyclestage", "custom.lifecyclestage"); /* the default property is now unmapped */
    hs_expect(c, "contact", "address_json", "address");                 /* one JSON property: the whole field */
    hs_expect(c, "contact", "city", "custom.city");
    hs_expect(c, "contact", "role", "title");
    hs_expect(c, "contact", "jobtitle", "custom.jobtitle");
    hs_expect(c, "contact", "mobilephone", "phone_numbers.mobile");     /* untouched rows keep their names */
    ucrm_client_destroy(c);
}

static void test_event_fields__salesforce_defaults(void **state) {
    (void)state;
    ucrm_client_t *c = client("salesforce", NULL);
    static const char *const contact[][2] = {
        {"FirstName", "first_name"},        {"Name.LastName", "last_name"},
        {"Email", "email"},                 {"Phone", "phone_numbers.work"},
        {"MobilePhone", "phone_numbers.mobile"}, {"HomePhone", "phone_numbers.home"},
        {"OtherPhone", "phone_numbers.other"},   {"Fax", "phone_numbers.fax"},
        {"AssistantPhone", "phone_numbers.assistant"}, {"Title", "title"},
        {"AccountId", "account_id"},        {"OwnerId", "owner_id"},
        {"MailingAddress.City", "address.city"}, {"MailingStreet", "address.street"},
        {"MailingPostalCode", "address.postal_code"}, {"MailingAddress", "address"},
        {"mailingcountry", "address.country"}, {"SystemModstamp", "updated_at"},
        {"CreatedDate", "created_at"},      {"LastModifiedDate", "custom.LastModifiedDate"},
        {"OtherCity", "custom.OtherCity"},  {"OtherAddress", "custom.OtherAddress"},
        {"Lifecycle_Stage__c", "custom.Lifecycle_Stage__c"}, {"Id", "id"},
    };
    for (size_t i = 0; i < sizeof contact / sizeof contact[0]; i++)
        sf_expect(c, "Contact", contact[i][0], contact[i][1]);
    static const char *const account[][2] = {
        {"Name", "name"},                  {"Website", "website"},
        {"NumberOfEmployees", "employee_count"}, {"AnnualRevenue", "annual_revenue"},
        {"Phone", "phone"},                {"BillingAddress.City", "address.city"},
        {"BillingAddress", "address"},     {"ShippingCity", "custom.ShippingCity"},
    };
    for (size_t i = 0; i < sizeof account / sizeof account[0]; i++)
        sf_expect(c, "Account", account[i][0], account[i][1]);
    static const char *const opp[][2] = {
        {"Name", "name"},       {"Amount", "amount"},         {"StageName", "stage"},
        {"IsClosed", "status"}, {"IsWon", "status"},          {"CloseDate", "close_date"},
        {"Probability", "probability"}, {"AccountId", "account_id"}, {"CurrencyIsoCode", "currency"},
    };
    for (size_t i = 0; i < sizeof opp / sizeof opp[0]; i++)
        sf_expect(c, "Opportunity", opp[i][0], opp[i][1]);
    sf_expect(c, "Lead", "FirstName", "custom.FirstName");
    ucrm_client_destroy(c);
}

static void test_event_fields__salesforce_overrides(void **state) {
    (void)state;
    static const char *const kv[] = {"mapping.contact.lifecycle_stage", "Lifecycle_Stage__c",
                                     "mapping.contact.additional_emails", "Other_Emails__c", NULL};
    ucrm_client_t *c = client("salesforce", kv);
    sf_expect(c, "Contact", "Lifecycle_Stage__c", "lifecycle_stage");
    sf_expect(c, "Contact", "lifecycle_stage__C", "lifecycle_stage"); /* Salesforce names are case-insensitive */
    sf_expect(c, "Contact", "Other_Emails__c", "additional_emails");
    sf_expect(c, "Account", "Lifecycle_Stage__c", "custom.Lifecycle_Stage__c"); /* another object's mapping */
    ucrm_client_destroy(c);
}

/* A component written by us comes back as a HubSpot "city" / Salesforce "MailingCity" change: with the adapters'
 * names, the policy's rules for the component and its echo fingerprint apply to it. */
static void test_event_fields__component_policy_and_echo(void **state) {
    (void)state;
    ucrm_client_t *hs = client("hubspot", NULL), *sf = client("salesforce", NULL);
    ucrm_policy_t *p = NULL;
    assert_int_equal(ucrm_policy_new(&p), UCRM_OK);
    assert_int_equal(ucrm_policy_set(p, UCRM_OBJECT_CONTACT, "address", UCRM_OWNER_CRM, UCRM_SYNC_BOTH, NULL),
                     UCRM_OK);
    assert_int_equal(ucrm_policy_set(p, UCRM_OBJECT_CONTACT, "phone_numbers.mobile", UCRM_OWNER_PRODUCT,
                                     UCRM_SYNC_TO_CRM, NULL),
                     UCRM_OK);
    ucrm_record_t *r = NULL;
    assert_int_equal(ucrm_record_new(&r, UCRM_OBJECT_CONTACT), UCRM_OK);
    assert_int_equal(ucrm_record_set_string(r, "id", "101"), UCRM_OK);
    assert_int_equal(ucrm_record_set_json(r, "address", "{\"city\":\"Paris\",\"country\":\"France\"}"), UCRM_OK);
    assert_int_equal(ucrm_policy_note_write(p, r, 1700000000000, NULL), UCRM_OK);
    ucrm_record_destroy(r);

    const char *body =
        "[{\"eventId\":1,\"subscriptionId\":2,\"portalId\":1,\"appId\":2,\"occurredAt\":1700000000500,"
        "\"subscriptionType\":\"contact.propertyChange\",\"attemptNumber\":0,\"objectId\":101,"
        "\"propertyName\":\"city\",\"propertyValue\":\"Paris\"},"
        "{\"eventId\":2,\"subscriptionId\":2,\"portalId\":1,\"appId\":2,\"occurredAt\":1700000000600,"
        "\"subscriptionType\":\"contact.propertyChange\",\"attemptNumber\":0,\"objectId\":101,"
        "\"propertyName\":\"country\",\"propertyValue\":\"Spain\"},"
        "{\"eventId\":3,\"subscriptionId\":2,\"portalId\":1,\"appId\":2,\"occurredAt\":1700000000700,"
        "\"subscriptionType\":\"contact.propertyChange\",\"attemptNumber\":0,\"objectId\":101,"
        "\"propertyName\":\"mobilephone\",\"propertyValue\":\"+1 555\"}]";
    ucrm_events_t *evs = NULL;
    assert_int_equal(ucrm_events_parse_hubspot(&evs, body, strlen(body), hs, NULL), UCRM_OK);
    const ucrm_event_t *city = ucrm_events_get(evs, 0), *country = ucrm_events_get(evs, 1);
    const ucrm_event_t *mobile = ucrm_events_get(evs, 2);
    assert_string_equal(ucrm_event_field(city), "address.city");
    assert_int_equal(ucrm_policy_is_echo(p, city, 1700000001000), 1);    /* what we wrote */
    assert_int_equal(ucrm_policy_is_echo(p, country, 1700000001000), 0); /* someone else's change */
    assert_int_equal(ucrm_policy_allows(p, UCRM_OBJECT_CONTACT, ucrm_event_field(country), UCRM_SYNC_FROM_CRM), 1);
    assert_string_equal(ucrm_event_field(mobile), "phone_numbers.mobile");
    assert_int_equal(ucrm_policy_allows(p, UCRM_OBJECT_CONTACT, ucrm_event_field(mobile), UCRM_SYNC_FROM_CRM), 0);
    ucrm_events_destroy(evs);

    const char *cdc = "{\"ChangeEventHeader\":{\"entityName\":\"Contact\",\"recordIds\":[\"101\"],\"changeType\":"
                      "\"UPDATE\",\"commitTimestamp\":1700000000800,\"changedFields\":[\"MailingAddress.City\"]},"
                      "\"MailingAddress\":{\"City\":\"Paris\"}}";
    assert_int_equal(ucrm_events_parse_salesforce_cdc(&evs, cdc, strlen(cdc), sf, NULL), UCRM_OK);
    assert_string_equal(ucrm_event_field(ucrm_events_get(evs, 0)), "address.city");
    assert_string_equal(ucrm_event_value(ucrm_events_get(evs, 0)), "Paris");
    assert_int_equal(ucrm_policy_is_echo(p, ucrm_events_get(evs, 0), 1700000001000), 1);
    ucrm_events_destroy(evs);
    ucrm_policy_destroy(p);
    ucrm_client_destroy(hs);
    ucrm_client_destroy(sf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_fields__hubspot_defaults),
        cmocka_unit_test(test_event_fields__hubspot_overrides),
        cmocka_unit_test(test_event_fields__salesforce_defaults),
        cmocka_unit_test(test_event_fields__salesforce_overrides),
        cmocka_unit_test(test_event_fields__component_policy_and_echo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
