/*
 * test_fake_hs_search.c -- HubSpot CRM search and associations v4 of unicrm-fake over real HTTP, primary companies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "helpers/fake_test.h"

static ucrm_fake_t *F;

static int group_setup(void **state)
{
    F = fake_start("--seed", "250", "--hubspot-search-rate", "1000000/1000", "--hubspot-rate", "1000000/10000", NULL);
    *state = F;
    return F ? 0 : -1;
}

static cJSON *search(const char *type, const char *body, long expect)
{
    char path[96];
    snprintf(path, sizeof path, "/crm/v3/objects/%s/search", type);
    return t_call(F, "POST", path, T_PAT, body, expect);
}

static int total_of(const char *type, const char *filters)
{
    char body[2048];
    snprintf(body, sizeof body, "{\"filterGroups\":%s,\"limit\":1}", filters);
    cJSON *j = search(type, body, 200);
    int n = (int)t_num(j, "total");
    cJSON_Delete(j);
    return n;
}

static void test_fake_hs_search__operators(void **state)
{
    (void)state;
#define ONE(f) "[{\"filters\":[" f "]}]"
    assert_int_equal(total_of("contacts", ONE("{\"propertyName\":\"email\",\"operator\":\"EQ\",\"value\":"
                                              "\"SEED.CONTACT.5@EXAMPLE.COM\"}")),
                     1);
    assert_int_equal(total_of("contacts", ONE("{\"propertyName\":\"lastname\",\"operator\":\"NEQ\",\"value\":"
                                              "\"Contact 5\"}")),
                     249);
    assert_int_equal(total_of("deals", ONE("{\"propertyName\":\"amount\",\"operator\":\"GT\",\"value\":\"3400\"}")), 10);
    assert_int_equal(total_of("deals", ONE("{\"propertyName\":\"amount\",\"operator\":\"LTE\",\"value\":1030}")), 3);
    assert_int_equal(total_of("deals", ONE("{\"propertyName\":\"amount\",\"operator\":\"BETWEEN\",\"value\":\"1100\","
                                           "\"highValue\":\"1200\"}")),
                     11);
    assert_int_equal(total_of("deals", ONE("{\"propertyName\":\"dealstage\",\"operator\":\"IN\",\"values\":"
                                           "[\"closedwon\",\"closedlost\"]}")),
                     71);
    assert_int_equal(total_of("deals", ONE("{\"propertyName\":\"dealstage\",\"operator\":\"NOT_IN\",\"values\":"
                                           "[\"closedwon\",\"closedlost\"]}")),
                     179);
    assert_int_equal(total_of("contacts", ONE("{\"propertyName\":\"phone\",\"operator\":\"HAS_PROPERTY\"}")), 250);
    assert_int_equal(total_of("contacts", ONE("{\"propertyName\":\"jobtitle\",\"operator\":\"NOT_HAS_PROPERTY\"}")), 250);
    assert_int_equal(total_of("companies", ONE("{\"propertyName\":\"name\",\"operator\":\"CONTAINS_TOKEN\",\"value\":"
                                               "\"1*\"}")),
                     111);
    assert_int_equal(total_of("companies", ONE("{\"propertyName\":\"name\",\"operator\":\"NOT_CONTAINS_TOKEN\","
                                               "\"value\":\"company\"}")),
                     0);
    /* groups are ORed, filters in a group ANDed */
    assert_int_equal(total_of("deals", "[{\"filters\":[{\"propertyName\":\"amount\",\"operator\":\"LT\",\"value\":\"1030\"}]},"
                                       "{\"filters\":[{\"propertyName\":\"amount\",\"operator\":\"GTE\",\"value\":\"3490\"},"
                                       "{\"propertyName\":\"dealstage\",\"operator\":\"EQ\",\"value\":\"contractsent\"}]}]"),
                     2 + 1);
    assert_int_equal(total_of("contacts", "[]"), 250);
}

static void test_fake_hs_search__paging_sort_and_cap(void **state)
{
    (void)state;
    int seen[251] = {0}, got = 0, pages = 0;
    char after[32] = "0";
    for (;;) {
        char body[512];
        snprintf(body, sizeof body, "{\"sorts\":[{\"propertyName\":\"amount\",\"direction\":\"DESCENDING\"}],"
                 "\"properties\":[\"dealname\",\"amount\"],\"limit\":100,\"after\":\"%s\"}", after);
        cJSON *j = search("deals", body, 200);
        pages++;
        assert_int_equal((int)t_num(j, "total"), 250);
        double prev = 1e9;
        const cJSON *r;
        cJSON_ArrayForEach(r, t_at(j, "results"))
        {
            double a = atof(t_str(r, "properties.amount"));
            assert_true(a <= prev);
            prev = a;
            int i = (int)((a - 1000) / 10);
            assert_true(i >= 1 && i <= 250);
            assert_int_equal(seen[i], 0);
            seen[i] = 1;
            got++;
            assert_non_null(t_str(r, "properties.hs_object_id"));
            assert_null(t_at(r, "properties.pipeline"));
        }
        const char *nx = t_str(j, "paging.next.after");
        if (!nx) {
            cJSON_Delete(j);
            break;
        }
        snprintf(after, sizeof after, "%s", nx);
        cJSON_Delete(j);
    }
    assert_int_equal(got, 250);
    assert_int_equal(pages, 3);
    /* default properties of a deal search */
    cJSON *j = search("deals", "{\"limit\":1}", 200);
    assert_non_null(t_at(j, "results.0.properties.dealstage"));
    assert_non_null(t_at(j, "results.0.properties.hs_lastmodifieddate"));
    assert_null(t_at(j, "results.0.properties.hs_is_closed"));
    cJSON_Delete(j);
    cJSON *e = search("contacts", "{\"limit\":201}", 400);
    assert_string_equal(t_str(e, "category"), "VALIDATION_ERROR");
    cJSON_Delete(e);
    e = search("contacts", "{\"after\":\"10000\"}", 400);
    assert_string_equal(t_str(e, "category"), "VALIDATION_ERROR");
    cJSON_Delete(e);
    e = search("contacts", "{\"filterGroups\":[{\"filters\":[]},{\"filters\":[]},{\"filters\":[]},{\"filters\":[]},"
                           "{\"filters\":[]},{\"filters\":[]}]}",
               400);
    cJSON_Delete(e);
    e = search("contacts", "{\"filterGroups\":[{\"filters\":[{\"propertyName\":\"email\",\"operator\":\"LIKE\","
                           "\"value\":\"x\"}]}]}",
               400);
    cJSON_Delete(e);
    e = search("contacts", "{\"filterGroups\":", 400);
    assert_non_null(strstr(t_str(e, "message"), "Invalid input JSON"));
    cJSON_Delete(e);
}

static void test_fake_hs_search__incremental_by_lastmodified(void **state)
{
    (void)state;
    cJSON *ck = t_call(F, "GET", "/__fake/clock", NULL, NULL, 200);
    long long t0 = (long long)t_num(ck, "now_ms");
    cJSON_Delete(ck);
    assert_int_equal(fake_clock_advance(F, 60000), 0);
    cJSON_Delete(t_call(F, "PATCH", "/crm/v3/objects/contacts/10001", T_PAT,
                        "{\"properties\":{\"firstname\":\"Changed\"}}", 200));
    cJSON_Delete(t_call(F, "PATCH", "/crm/v3/objects/companies/10002", T_PAT,
                        "{\"properties\":{\"city\":\"Paris\"}}", 200));
    char body[512];
    snprintf(body, sizeof body, "{\"filterGroups\":[{\"filters\":[{\"propertyName\":\"lastmodifieddate\",\"operator\":"
             "\"GTE\",\"value\":\"%lld\"}]}],\"sorts\":[{\"propertyName\":\"lastmodifieddate\",\"direction\":"
             "\"ASCENDING\"}]}", t0 + 30000);
    cJSON *j = search("contacts", body, 200);
    assert_int_equal((int)t_num(j, "total"), 1);
    assert_string_equal(t_str(j, "results.0.id"), "10001");
    cJSON_Delete(j);
    snprintf(body, sizeof body, "{\"filterGroups\":[{\"filters\":[{\"propertyName\":\"hs_lastmodifieddate\",\"operator\":"
             "\"GT\",\"value\":\"%lld\"}]}]}", t0 + 30000);
    j = search("companies", body, 200);
    assert_int_equal((int)t_num(j, "total"), 1);
    assert_string_equal(t_str(j, "results.0.properties.hs_object_id"), "10002");
    cJSON_Delete(j);
    /* archived records never match */
    cJSON_Delete(t_call(F, "DELETE", "/crm/v3/objects/contacts/10001", T_PAT, NULL, 204));
    snprintf(body, sizeof body, "{\"filterGroups\":[{\"filters\":[{\"propertyName\":\"lastmodifieddate\",\"operator\":"
             "\"GTE\",\"value\":\"%lld\"}]}]}", t0 + 30000);
    j = search("contacts", body, 200);
    assert_int_equal((int)t_num(j, "total"), 0);
    cJSON_Delete(j);
    j = search("contacts", "{\"query\":\"seed.contact.17@\"}", 200);
    assert_int_equal((int)t_num(j, "total"), 1);
    cJSON_Delete(j);
}

/* true when a v4 list/batch-read result array holds toObjectId `to` with association type `type` */
static int has_type(const cJSON *list, long to, int type)
{
    const cJSON *r, *t;
    const cJSON *results = cJSON_IsArray(list) ? list : t_at(list, "results");
    cJSON_ArrayForEach(r, results)
    {
        if ((long)t_num(r, "toObjectId") != to)
            continue;
        cJSON_ArrayForEach(t, t_at(r, "associationTypes")) if ((int)t_num(t, "typeId") == type) return 1;
    }
    return 0;
}

/* true when a v3 record's associations.<group> lists {id, type} */
static int has_v3(const cJSON *rec, const char *group, const char *id, const char *type)
{
    char path[96];
    snprintf(path, sizeof path, "associations.%s.results", group);
    const cJSON *e;
    cJSON_ArrayForEach(e, t_at(rec, path))
    {
        if (strcmp(t_str(e, "id"), id) == 0 && strcmp(t_str(e, "type"), type) == 0)
            return 1;
    }
    return 0;
}

static cJSON *v4_list(const char *from, const char *id, const char *to)
{
    char path[160];
    snprintf(path, sizeof path, "/crm/v4/objects/%s/%s/associations/%s", from, id, to);
    return t_call(F, "GET", path, T_PAT, NULL, 200);
}

static char *new_contact(const char *email)
{
    char body[200];
    snprintf(body, sizeof body, "{\"properties\":{\"email\":\"%s\"}}", email);
    cJSON *c = t_call(F, "POST", "/crm/v3/objects/contacts", T_PAT, body, 201);
    char *id = strdup(t_str(c, "id"));
    cJSON_Delete(c);
    return id;
}

/* The first company associated with a contact or deal becomes its primary company (type 1 / 5, with the
 * unlabelled 279 / 341 beside it); later companies are unlabelled; an explicit primary replaces the old one. v3
 * reads name the primary <object>_to_company and the other <object>_to_company_unlabeled. */
static void test_fake_hs_search__primary_company(void **state)
{
    (void)state;
    cJSON *l = v4_list("contacts", "10001", "companies");
    assert_true(has_type(l, 10002, 1));
    assert_true(has_type(l, 10002, 279));
    assert_string_equal(t_str(l, "results.0.associationTypes.0.label"), "Contact with Primary Company");
    assert_true(cJSON_IsNull(t_at(l, "results.0.associationTypes.1.label")));
    cJSON_Delete(l);
    l = v4_list("deals", "10003", "companies");
    assert_true(has_type(l, 10002, 5));
    assert_true(has_type(l, 10002, 341));
    cJSON_Delete(l);
    l = v4_list("companies", "10002", "contacts");
    assert_true(has_type(l, 10001, 2));
    assert_true(has_type(l, 10001, 280));
    cJSON_Delete(l);
    l = t_call(F, "GET", "/crm/v3/objects/contacts/10001?associations=companies", T_PAT, NULL, 200);
    assert_int_equal(t_len(l, "associations.companies.results"), 2);
    assert_true(has_v3(l, "companies", "10002", "contact_to_company"));
    assert_true(has_v3(l, "companies", "10002", "contact_to_company_unlabeled"));
    cJSON_Delete(l);
    l = t_call(F, "GET", "/crm/v3/objects/deals/10003?associations=companies,contacts", T_PAT, NULL, 200);
    assert_true(has_v3(l, "companies", "10002", "deal_to_company"));
    assert_true(has_v3(l, "companies", "10002", "deal_to_company_unlabeled"));
    assert_true(has_v3(l, "contacts", "10001", "deal_to_contact"));
    cJSON_Delete(l);

    /* a new contact: its first company (default association) becomes primary, the second does not */
    char *c = new_contact("primary.first@example.com"), path[200];
    snprintf(path, sizeof path, "/crm/v4/objects/contacts/%s/associations/default/companies/10005", c);
    cJSON_Delete(t_call(F, "PUT", path, T_PAT, NULL, 200));
    snprintf(path, sizeof path, "/crm/v4/objects/contacts/%s/associations/default/companies/10002", c);
    cJSON_Delete(t_call(F, "PUT", path, T_PAT, NULL, 200));
    l = v4_list("contacts", c, "companies");
    assert_true(has_type(l, 10005, 1));
    assert_false(has_type(l, 10002, 1));
    assert_true(has_type(l, 10002, 279));
    cJSON_Delete(l);
    /* an explicit primary moves it; the old primary keeps its unlabelled association */
    snprintf(path, sizeof path, "/crm/v4/objects/contacts/%s/associations/companies/10002", c);
    cJSON *p = t_call(F, "PUT", path, T_PAT, "[{\"associationCategory\":\"HUBSPOT_DEFINED\",\"associationTypeId\":1}]", 201);
    assert_string_equal(t_str(p, "labels.0"), "Contact with Primary Company");
    cJSON_Delete(p);
    l = v4_list("contacts", c, "companies");
    assert_true(has_type(l, 10002, 1));
    assert_false(has_type(l, 10005, 1));
    assert_true(has_type(l, 10005, 279));
    cJSON_Delete(l);
    l = v4_list("companies", "10005", "contacts");
    assert_false(has_type(l, strtol(c, NULL, 10), 2));
    assert_true(has_type(l, strtol(c, NULL, 10), 280));
    cJSON_Delete(l);
    free(c);

    /* from the company's side, at creation, and through the v4 batch */
    c = new_contact("primary.company.side@example.com");
    snprintf(path, sizeof path, "/crm/v4/objects/companies/10008/associations/default/contacts/%s", c);
    cJSON_Delete(t_call(F, "PUT", path, T_PAT, NULL, 200));
    l = v4_list("contacts", c, "companies");
    assert_true(has_type(l, 10008, 1));
    cJSON_Delete(l);
    free(c);
    cJSON *d = t_call(F, "POST", "/crm/v3/objects/deals", T_PAT,
                      "{\"properties\":{\"dealname\":\"First\"},\"associations\":[{\"to\":{\"id\":10005},\"types\":"
                      "[{\"associationCategory\":\"HUBSPOT_DEFINED\",\"associationTypeId\":341}]}]}", 201);
    l = v4_list("deals", t_str(d, "id"), "companies");
    assert_true(has_type(l, 10005, 5));
    cJSON_Delete(l);
    cJSON_Delete(d);
    c = new_contact("primary.batch@example.com");
    char body[300];
    snprintf(body, sizeof body, "{\"inputs\":[{\"from\":{\"id\":\"%s\"},\"to\":{\"id\":\"10011\"},\"types\":"
             "[{\"associationCategory\":\"HUBSPOT_DEFINED\",\"associationTypeId\":279}]}]}", c);
    cJSON_Delete(t_call(F, "POST", "/crm/v4/associations/contacts/companies/batch/create", T_PAT, body, 201));
    l = v4_list("contacts", c, "companies");
    assert_true(has_type(l, 10011, 1));
    cJSON_Delete(l);
    free(c);
}

static void test_fake_hs_search__associations_v4(void **state)
{
    (void)state;
    /* seed: contact 10001 -> company 10002 (279, so primary too), deal 10003 -> company 10002 and contact 10001 */
    cJSON *l = t_call(F, "GET", "/crm/v4/objects/contacts/10001/associations/companies", T_PAT, NULL, 200);
    assert_int_equal((int)t_num(l, "results.0.toObjectId"), 10002);
    assert_true(has_type(l, 10002, 279));
    assert_string_equal(t_str(l, "results.0.associationTypes.0.category"), "HUBSPOT_DEFINED");
    cJSON_Delete(l);
    l = t_call(F, "GET", "/crm/v3/objects/companies/10002?associations=contacts,deals", T_PAT, NULL, 200);
    assert_string_equal(t_str(l, "associations.contacts.results.0.id"), "10001");
    assert_true(has_v3(l, "contacts", "10001", "company_to_contact_unlabeled"));
    assert_string_equal(t_str(l, "associations.deals.results.0.id"), "10003");
    cJSON_Delete(l);
    /* default association between contact 10004 and company 10002 */
    cJSON *p = t_call(F, "PUT", "/crm/v4/objects/contacts/10004/associations/default/companies/10002", T_PAT, NULL, 200);
    assert_string_equal(t_str(p, "status"), "COMPLETE");
    assert_int_equal((int)t_num(p, "results.0.associationSpec.associationTypeId"), 279);
    cJSON_Delete(p);
    /* labelled: primary company */
    p = t_call(F, "PUT", "/crm/v4/objects/contacts/10004/associations/companies/10005", T_PAT,
               "[{\"associationCategory\":\"HUBSPOT_DEFINED\",\"associationTypeId\":1}]", 201);
    assert_string_equal(t_str(p, "fromObjectTypeId"), "0-1");
    assert_int_equal((int)t_num(p, "toObjectId"), 10005);
    assert_string_equal(t_str(p, "labels.0"), "Contact with Primary Company");
    cJSON_Delete(p);
    l = t_call(F, "POST", "/crm/v4/associations/contacts/companies/batch/read", T_PAT,
               "{\"inputs\":[{\"id\":\"10004\"}]}", 200);
    assert_int_equal(t_len(l, "results.0.to"), 2);
    cJSON_Delete(l);
    /* search on the association pseudo-property */
    l = search("contacts", "{\"filterGroups\":[{\"filters\":[{\"propertyName\":\"associations.company\","
                           "\"operator\":\"EQ\",\"value\":\"10002\"}]}]}", 200);
    assert_int_equal((int)t_num(l, "total"), 2);
    cJSON_Delete(l);
    assert_null(t_call(F, "DELETE", "/crm/v4/objects/contacts/10004/associations/companies/10002", T_PAT, NULL, 204));
    l = t_call(F, "GET", "/crm/v4/objects/companies/10002/associations/contacts", T_PAT, NULL, 200);
    assert_int_equal(t_len(l, "results"), 1);
    cJSON_Delete(l);
    cJSON *e = t_call(F, "PUT", "/crm/v4/objects/contacts/10004/associations/companies/10005", T_PAT,
                      "[{\"associationCategory\":\"HUBSPOT_DEFINED\",\"associationTypeId\":341}]", 400);
    cJSON_Delete(e);
    e = t_call(F, "PUT", "/crm/v4/objects/contacts/999/associations/default/companies/10002", T_PAT, NULL, 404);
    cJSON_Delete(e);
    /* create with associations */
    cJSON *c = t_call(F, "POST", "/crm/v3/objects/deals", T_PAT,
                      "{\"properties\":{\"dealname\":\"Assoc\"},\"associations\":[{\"to\":{\"id\":10002},\"types\":"
                      "[{\"associationCategory\":\"HUBSPOT_DEFINED\",\"associationTypeId\":341}]}]}",
                      201);
    char path[128];
    snprintf(path, sizeof path, "/crm/v4/objects/deals/%s/associations/companies", t_str(c, "id"));
    l = t_call(F, "GET", path, T_PAT, NULL, 200);
    assert_int_equal((int)t_num(l, "results.0.toObjectId"), 10002);
    cJSON_Delete(l);
    cJSON_Delete(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fake_hs_search__operators, t_fake_reset),
        cmocka_unit_test_setup(test_fake_hs_search__paging_sort_and_cap, t_fake_reset),
        cmocka_unit_test_setup(test_fake_hs_search__incremental_by_lastmodified, t_fake_reset),
        cmocka_unit_test_setup(test_fake_hs_search__associations_v4, t_fake_reset),
        cmocka_unit_test_setup(test_fake_hs_search__primary_company, t_fake_reset),
    };
    return cmocka_run_group_tests(tests, group_setup, t_fake_stop);
}
