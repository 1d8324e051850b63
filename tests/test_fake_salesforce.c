/*
 * test_fake_salesforce.c -- Salesforce sObject REST of unicrm-fake over real HTTP: CRUD, ids, dates, derived
 * Opportunity fields, external-id upsert (encoded slashes too), errors, /limits, versions, getUpdated/getDeleted,
 * and emptying the Recycle Bin through POST /__fake/purge.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ctype.h>
#include <time.h>

#include "helpers/fake_test.h"

static ucrm_fake_t *F;
static char TOKEN_LINE[300];
static const char *H[3];
#define V "/services/data/v59.0"

static int group_setup(void **state)
{
    F = fake_start("--salesforce-custom-fields", "Contact.External_Id__c:externalid,Contact.Lifecycle_Stage__c", NULL);
    *state = F;
    return F ? 0 : -1;
}

static int reset(void **state)
{
    return t_fake_reset_sf(state, TOKEN_LINE, sizeof TOKEN_LINE, H);
}

/* the 3-character suffix of an 18-character id, computed independently of the fake */
static int id_checksum_ok(const char *id)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    if (!id || strlen(id) != 18)
        return 0;
    for (int c = 0; c < 3; c++) {
        int m = 0;
        for (int i = 0; i < 5; i++)
            if (isupper((unsigned char)id[c * 5 + i]))
                m |= 1 << i;
        if (id[15 + c] != al[m])
            return 0;
    }
    return 1;
}

static int is_sf_datetime(const char *s)
{
    /* 2013-05-20T20:49:32.000+0000 */
    return s && strlen(s) == 28 && s[10] == 'T' && s[19] == '.' && strcmp(s + 23, "+0000") == 0;
}

static char *create(const char *type, const char *body)
{
    char path[128];
    snprintf(path, sizeof path, V "/sobjects/%s/", type);
    cJSON *j = t_call(F, "POST", path, H, body, 201);
    assert_true(cJSON_IsTrue(t_at(j, "success")));
    assert_int_equal(t_len(j, "errors"), 0);
    char *id = strdup(t_str(j, "id"));
    cJSON_Delete(j);
    return id;
}

static void test_fake_salesforce__crud(void **state)
{
    (void)state;
    char *id = create("Contact", "{\"FirstName\":\"Ada\",\"LastName\":\"Lovelace\",\"Email\":\"ada@example.com\"}");
    assert_true(id_checksum_ok(id));
    assert_memory_equal(id, "003", 3);
    char path[160];
    snprintf(path, sizeof path, V "/sobjects/Contact/%s", id);
    char *hdrs = NULL;
    cJSON *g = t_call_h(F, "GET", path, H, NULL, 200, &hdrs);
    char *li = fake_header(hdrs, "Sforce-Limit-Info");
    assert_non_null(li);
    assert_non_null(strstr(li, "api-usage="));
    assert_non_null(strstr(li, "/100000"));
    free(li);
    free(hdrs);
    assert_string_equal(t_str(g, "attributes.type"), "Contact");
    char url[160];
    snprintf(url, sizeof url, V "/sobjects/Contact/%s", id);
    assert_string_equal(t_str(g, "attributes.url"), url);
    assert_string_equal(t_str(g, "Id"), id);
    assert_string_equal(t_str(g, "Name"), "Ada Lovelace");
    assert_false(cJSON_IsTrue(t_at(g, "IsDeleted")));
    assert_true(cJSON_IsNull(t_at(g, "Phone")));
    assert_true(is_sf_datetime(t_str(g, "CreatedDate")));
    assert_true(is_sf_datetime(t_str(g, "SystemModstamp")));
    assert_memory_equal(t_str(g, "OwnerId"), "005", 3);
    assert_true(id_checksum_ok(t_str(g, "OwnerId")));
    cJSON_Delete(g);

    /* 15-character id and ?fields= */
    snprintf(path, sizeof path, V "/sobjects/Contact/%.15s?fields=Email,FirstName", id);
    g = t_call(F, "GET", path, H, NULL, 200);
    assert_string_equal(t_str(g, "Email"), "ada@example.com");
    assert_null(t_at(g, "LastName"));
    assert_string_equal(t_str(g, "Id"), id);
    cJSON_Delete(g);

    snprintf(path, sizeof path, V "/sobjects/Contact/%s", id);
    assert_null(t_call(F, "PATCH", path, H, "{\"Phone\":\"555-0100\",\"FirstName\":\"Augusta\"}", 204));
    g = t_call(F, "GET", path, H, NULL, 200);
    assert_string_equal(t_str(g, "Phone"), "555-0100");
    assert_string_equal(t_str(g, "Name"), "Augusta Lovelace");
    assert_true(strcmp(t_str(g, "LastModifiedDate"), t_str(g, "CreatedDate")) >= 0);
    cJSON_Delete(g);

    assert_null(t_call(F, "DELETE", path, H, NULL, 204));
    cJSON *e = t_call(F, "GET", path, H, NULL, 404);
    assert_string_equal(t_str(e, "0.errorCode"), "ENTITY_IS_DELETED");
    assert_string_equal(t_str(e, "0.message"), "entity is deleted");
    cJSON_Delete(e);
    e = t_call(F, "DELETE", path, H, NULL, 404);
    assert_string_equal(t_str(e, "0.errorCode"), "ENTITY_IS_DELETED");
    cJSON_Delete(e);
    assert_int_equal(fake_stat(F, "records.salesforce.Contact"), 0);
    free(id);
}

static void test_fake_salesforce__errors(void **state)
{
    (void)state;
    cJSON *e = t_call(F, "POST", V "/sobjects/Contact", H, "{\"FirstName\":\"No last name\"}", 400);
    assert_string_equal(t_str(e, "0.errorCode"), "REQUIRED_FIELD_MISSING");
    assert_string_equal(t_str(e, "0.message"), "Required fields are missing: [LastName]");
    assert_string_equal(t_str(e, "0.fields.0"), "LastName");
    cJSON_Delete(e);
    e = t_call(F, "POST", V "/sobjects/Contact", H, "{\"LastName\":\"X\",\"Bogus__c\":1}", 400);
    assert_string_equal(t_str(e, "0.errorCode"), "INVALID_FIELD");
    assert_string_equal(t_str(e, "0.message"), "No such column 'Bogus__c' on sobject of type Contact");
    cJSON_Delete(e);
    e = t_call(F, "POST", V "/sobjects/Contact", H, "{\"LastName\":\"X\",\"Id\":\"003000000000001AAA\"}", 400);
    assert_string_equal(t_str(e, "0.message"), "The Id field should not be specified in the sobject data.");
    cJSON_Delete(e);
    e = t_call(F, "POST", V "/sobjects/Contact", H, "{\"LastName\":\"X\",\"Name\":\"Y\"}", 400);
    assert_string_equal(t_str(e, "0.errorCode"), "INVALID_FIELD_FOR_INSERT_UPDATE");
    cJSON_Delete(e);
    e = t_call(F, "POST", V "/sobjects/Contact", H, "{\"LastName\":", 400);
    assert_string_equal(t_str(e, "0.errorCode"), "JSON_PARSER_ERROR");
    cJSON_Delete(e);
    e = t_call(F, "POST", V "/sobjects/Contact", H, "{\"LastName\":\"X\",\"DoNotCall\":\"yes\"}", 400);
    assert_string_equal(t_str(e, "0.errorCode"), "JSON_PARSER_ERROR");
    cJSON_Delete(e);
    e = t_call(F, "POST", V "/sobjects/Contact", H, "{\"LastName\":\"X\",\"AccountId\":\"nope\"}", 400);
    assert_string_equal(t_str(e, "0.errorCode"), "MALFORMED_ID");
    cJSON_Delete(e);
    e = t_call(F, "GET", V "/sobjects/Contact/003000000000000AAA", H, NULL, 404);
    assert_string_equal(t_str(e, "0.errorCode"), "NOT_FOUND");
    assert_string_equal(t_str(e, "0.message"), "The requested resource does not exist");
    cJSON_Delete(e);
    char *acc = create("Account", "{\"Name\":\"Acme\"}");
    char path[160];
    snprintf(path, sizeof path, V "/sobjects/Contact/%s", acc);
    e = t_call(F, "GET", path, H, NULL, 400);
    assert_string_equal(t_str(e, "0.errorCode"), "MALFORMED_ID");
    cJSON_Delete(e);
    snprintf(path, sizeof path, V "/sobjects/Account/%s?fields=Name,Bogus", acc);
    e = t_call(F, "GET", path, H, NULL, 400);
    assert_string_equal(t_str(e, "0.errorCode"), "INVALID_FIELD");
    cJSON_Delete(e);
    free(acc);
    e = t_call(F, "GET", V "/sobjects/Widget__c/001000000000000AAA", H, NULL, 404);
    assert_string_equal(t_str(e, "0.errorCode"), "NOT_FOUND");
    cJSON_Delete(e);
    e = t_call(F, "GET", "/services/data/v25.0/limits", H, NULL, 410);
    cJSON_Delete(e);
    e = t_call(F, "GET", "/services/data/v99.0/limits", H, NULL, 404);
    cJSON_Delete(e);
    /* expired or unknown session */
    const char *bad[] = {"Authorization: Bearer 00Dxx!nope", NULL};
    e = t_call(F, "GET", V "/limits", bad, NULL, 401);
    assert_string_equal(t_str(e, "0.errorCode"), "INVALID_SESSION_ID");
    assert_string_equal(t_str(e, "0.message"), "Session expired or invalid");
    cJSON_Delete(e);
    assert_int_equal(fake_stat(F, "records.salesforce.Contact"), 0);
}

static void test_fake_salesforce__opportunity_derived(void **state)
{
    (void)state;
    char *id = create("Opportunity", "{\"Name\":\"Deal\",\"StageName\":\"Negotiation/Review\",\"CloseDate\":"
                                     "\"2025-08-14\",\"Amount\":1000}");
    assert_memory_equal(id, "006", 3);
    char path[160];
    snprintf(path, sizeof path, V "/sobjects/Opportunity/%s", id);
    cJSON *g = t_call(F, "GET", path, H, NULL, 200);
    assert_int_equal((int)t_num(g, "Probability"), 90);
    assert_false(cJSON_IsTrue(t_at(g, "IsClosed")));
    assert_true(cJSON_IsNumber(t_at(g, "Amount")));
    assert_int_equal((int)t_num(g, "ExpectedRevenue"), 900);
    assert_string_equal(t_str(g, "CloseDate"), "2025-08-14");
    assert_int_equal((int)t_num(g, "FiscalQuarter"), 3);
    cJSON_Delete(g);
    assert_null(t_call(F, "PATCH", path, H, "{\"StageName\":\"Closed Won\"}", 204));
    g = t_call(F, "GET", path, H, NULL, 200);
    assert_int_equal((int)t_num(g, "Probability"), 100);
    assert_true(cJSON_IsTrue(t_at(g, "IsClosed")));
    assert_true(cJSON_IsTrue(t_at(g, "IsWon")));
    assert_string_equal(t_str(g, "ForecastCategory"), "Closed");
    cJSON_Delete(g);
    cJSON *e = t_call(F, "PATCH", path, H, "{\"StageName\":\"Dreaming\"}", 400);
    assert_string_equal(t_str(e, "0.errorCode"), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
    cJSON_Delete(e);
    e = t_call(F, "PATCH", path, H, "{\"CloseDate\":\"2025-13-40\"}", 400);
    assert_string_equal(t_str(e, "0.errorCode"), "JSON_PARSER_ERROR");
    cJSON_Delete(e);
    free(id);
}

static void test_fake_salesforce__upsert_external_id(void **state)
{
    (void)state;
    cJSON *j = t_call(F, "PATCH", V "/sobjects/Contact/External_Id__c/EXT-1", H, "{\"LastName\":\"One\"}", 201);
    assert_true(cJSON_IsTrue(t_at(j, "created")));
    char *id = strdup(t_str(j, "id"));
    cJSON_Delete(j);
    j = t_call(F, "PATCH", V "/sobjects/Contact/External_Id__c/EXT-1", H, "{\"LastName\":\"Uno\"}", 200);
    assert_false(cJSON_IsTrue(t_at(j, "created")));
    assert_string_equal(t_str(j, "id"), id);
    cJSON_Delete(j);
    assert_null(t_call(F, "PATCH", "/services/data/v45.0/sobjects/Contact/External_Id__c/EXT-1", H,
                       "{\"LastName\":\"Eins\"}", 204));
    j = t_call(F, "GET", V "/sobjects/Contact/External_Id__c/EXT-1", H, NULL, 200);
    assert_string_equal(t_str(j, "LastName"), "Eins");
    assert_string_equal(t_str(j, "External_Id__c"), "EXT-1");
    cJSON_Delete(j);
    /* duplicates can only be made through the control API; upsert then answers 300 with the URLs */
    long st;
    free(fake_request(F, "POST", "/__fake/records/salesforce/Contact",
                      "[{\"LastName\":\"D1\",\"External_Id__c\":\"DUP\"},{\"LastName\":\"D2\",\"External_Id__c\":\"DUP\"}]",
                      &st));
    assert_int_equal(st, 201);
    j = t_call(F, "PATCH", V "/sobjects/Contact/External_Id__c/DUP", H, "{\"LastName\":\"X\"}", 300);
    assert_int_equal(t_len(j, NULL), 2);
    assert_non_null(strstr(t_str(j, "0"), V "/sobjects/Contact/003"));
    cJSON_Delete(j);
    j = t_call(F, "PATCH", V "/sobjects/Contact/Lifecycle_Stage__c/x", H, "{\"LastName\":\"X\"}", 404);
    assert_string_equal(t_str(j, "0.errorCode"), "NOT_FOUND");
    cJSON_Delete(j);
    /* a second record may not take an external id already in use */
    j = t_call(F, "POST", V "/sobjects/Contact", H, "{\"LastName\":\"Y\",\"External_Id__c\":\"ext-1\"}", 400);
    assert_string_equal(t_str(j, "0.errorCode"), "DUPLICATE_VALUE");
    cJSON_Delete(j);
    free(id);
}

/* An encoded slash inside the external-id value is data, not a path separator: jsforce PR #1258 and
 * texei-sfdx-plugin PR #112 encode the value with encodeURIComponent and Salesforce then matches "a/b". */
static void test_fake_salesforce__external_id_with_encoded_slash(void **state)
{
    (void)state;
    cJSON *j = t_call(F, "PATCH", V "/sobjects/Contact/External_Id__c/a%2Fb%20c", H, "{\"LastName\":\"Slash\"}", 201);
    assert_true(cJSON_IsTrue(t_at(j, "created")));
    cJSON_Delete(j);
    j = t_call(F, "GET", V "/sobjects/Contact/External_Id__c/a%2Fb%20c?fields=LastName,External_Id__c", H, NULL, 200);
    assert_string_equal(t_str(j, "External_Id__c"), "a/b c");
    cJSON_Delete(j);
    j = t_call(F, "GET", V "/sobjects/Contact/External_Id__c/A%2fB%20C?fields=LastName", H, NULL, 200);
    assert_string_equal(t_str(j, "LastName"), "Slash");
    cJSON_Delete(j);
    j = t_call(F, "PATCH", V "/sobjects/Contact/External_Id__c/a%2Fb%20c", H, "{\"LastName\":\"Again\"}", 200);
    assert_false(cJSON_IsTrue(t_at(j, "created")));
    cJSON_Delete(j);
    /* unencoded, the slash splits the path: no such resource (simple-salesforce issue #22) */
    j = t_call(F, "GET", V "/sobjects/Contact/External_Id__c/a/b%20c", H, NULL, 404);
    assert_string_equal(t_str(j, "0.errorCode"), "NOT_FOUND");
    cJSON_Delete(j);
    assert_null(t_call(F, "DELETE", V "/sobjects/Contact/External_Id__c/a%2Fb%20c", H, NULL, 204));
    assert_int_equal(fake_stat(F, "records.salesforce.Contact"), 0);
}

static long count_query(const char *path)
{
    cJSON *j = t_call(F, "GET", path, H, NULL, 200);
    long n = (long)t_num(j, "totalSize");
    cJSON_Delete(j);
    return n;
}

/* POST /__fake/purge: emptyRecycleBin. The deleted record stays in getDeleted (PROTOCOL A4) and leaves queryAll,
 * at once or after "queryall_ms" (the SOAP API guide: queryAll still sees it "typically 24 hours"). */
static void test_fake_salesforce__purge_recycle_bin(void **state)
{
    (void)state;
    cJSON *ck = t_call(F, "GET", "/__fake/clock", NULL, NULL, 200);
    long long now = (long long)t_num(ck, "now_ms");
    cJSON_Delete(ck);
    char *a = create("Account", "{\"Name\":\"A\"}"), *b = create("Account", "{\"Name\":\"B\"}");
    char *c = create("Account", "{\"Name\":\"C\"}");
    char path[512], body[512];
    const char *ids[] = {a, b};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, V "/sobjects/Account/%s", ids[i]);
        assert_null(t_call(F, "DELETE", path, H, NULL, 204));
    }
    const char *deleted_q = V "/queryAll/?q=SELECT+Id+FROM+Account+WHERE+IsDeleted+=+true";
    assert_int_equal(count_query(deleted_q), 2);
    snprintf(body, sizeof body,
             "{\"provider\":\"salesforce\",\"object\":\"Account\",\"ids\":[\"%s\",\"%s\",\"001000000000000AAA\"]}", a, c);
    cJSON *p = t_call(F, "POST", "/__fake/purge", NULL, body, 200);
    assert_int_equal(t_len(p, "purged"), 1);
    assert_string_equal(t_str(p, "purged.0"), a);
    assert_int_equal(t_len(p, "errors"), 2);
    assert_string_equal(t_str(p, "errors.0.id"), c);
    assert_string_equal(t_str(p, "errors.0.error"), "not deleted");
    assert_string_equal(t_str(p, "errors.1.error"), "not found");
    cJSON_Delete(p);
    assert_int_equal(count_query(deleted_q), 1);
    assert_int_equal(fake_stat(F, "records_purged.salesforce.Account"), 1);
    snprintf(path, sizeof path, V "/sobjects/Account/%s", a);
    cJSON *e = t_call(F, "GET", path, H, NULL, 404);
    assert_string_equal(t_str(e, "0.errorCode"), "NOT_FOUND");
    cJSON_Delete(e);
    snprintf(path, sizeof path, V "/sobjects/Account/%s", b);
    e = t_call(F, "GET", path, H, NULL, 404);
    assert_string_equal(t_str(e, "0.errorCode"), "ENTITY_IS_DELETED");
    cJSON_Delete(e);
    snprintf(path, sizeof path, V "/composite/sobjects/Account?ids=%s&fields=Id", a);
    e = t_call(F, "GET", path, H, NULL, 200);
    assert_true(cJSON_IsNull(t_at(e, "0")));
    cJSON_Delete(e);
    e = t_call(F, "GET", "/__fake/records/salesforce/Account", NULL, NULL, 200);
    assert_int_equal((int)t_num(e, "total"), 2);
    cJSON_Delete(e);

    /* with a queryAll grace period, and for every deleted Account */
    snprintf(path, sizeof path, V "/sobjects/Account/%s", c);
    assert_null(t_call(F, "DELETE", path, H, NULL, 204));
    p = t_call(F, "POST", "/__fake/purge", NULL,
               "{\"provider\":\"salesforce\",\"object\":\"Account\",\"all\":true,\"queryall_ms\":60000}", 200);
    assert_int_equal(t_len(p, "purged"), 2);
    cJSON_Delete(p);
    assert_int_equal(count_query(deleted_q), 2);
    e = t_call(F, "GET", path, H, NULL, 404);
    assert_string_equal(t_str(e, "0.errorCode"), "ENTITY_IS_DELETED");
    cJSON_Delete(e);
    assert_int_equal(fake_clock_advance(F, 60001), 0);
    assert_int_equal(count_query(deleted_q), 0);
    assert_int_equal(count_query(V "/queryAll/?q=SELECT+Id+FROM+Account"), 0);
    e = t_call(F, "GET", path, H, NULL, 404);
    assert_string_equal(t_str(e, "0.errorCode"), "NOT_FOUND");
    cJSON_Delete(e);

    /* getDeleted still lists all three within its window */
    time_t s = (time_t)(now / 1000 - 60), en = (time_t)(now / 1000 + 180);
    struct tm ts, te;
    gmtime_r(&s, &ts);
    gmtime_r(&en, &te);
    char start[40], end[40];
    strftime(start, sizeof start, "%Y-%m-%dT%H:%M:%S%%2B00:00", &ts);
    strftime(end, sizeof end, "%Y-%m-%dT%H:%M:%S%%2B00:00", &te);
    snprintf(path, sizeof path, V "/sobjects/Account/deleted/?start=%s&end=%s", start, end);
    e = t_call(F, "GET", path, H, NULL, 200);
    assert_int_equal(t_len(e, "deletedRecords"), 3);
    cJSON_Delete(e);

    e = t_call(F, "POST", "/__fake/purge", NULL, "{\"provider\":\"hubspot\",\"all\":true}", 400);
    cJSON_Delete(e);
    e = t_call(F, "POST", "/__fake/purge", NULL, "{\"provider\":\"salesforce\",\"object\":\"Account\"}", 400);
    cJSON_Delete(e);
    e = t_call(F, "POST", "/__fake/purge", NULL, "{\"provider\":\"salesforce\",\"object\":\"Lead\",\"all\":true}", 400);
    cJSON_Delete(e);
    free(a);
    free(b);
    free(c);
}

static void test_fake_salesforce__limits_and_versions(void **state)
{
    (void)state;
    char *hdrs = NULL;
    cJSON *v = t_call_h(F, "GET", "/services/data/", NULL, NULL, 200, &hdrs);
    assert_null(fake_header(hdrs, "Sforce-Limit-Info"));
    free(hdrs);
    assert_true(t_len(v, NULL) > 10);
    assert_non_null(t_str(v, "0.version"));
    assert_non_null(t_str(v, "0.label"));
    cJSON_Delete(v);
    cJSON *l = t_call_h(F, "GET", V "/limits/", H, NULL, 200, &hdrs);
    char *li = fake_header(hdrs, "Sforce-Limit-Info");
    int used = 0, max = 0;
    assert_int_equal(sscanf(li, "api-usage=%d/%d", &used, &max), 2);
    assert_int_equal((int)t_num(l, "DailyApiRequests.Max"), max);
    assert_int_equal((int)t_num(l, "DailyApiRequests.Remaining"), max - used);
    assert_int_equal(used, 1);
    free(li);
    free(hdrs);
    cJSON_Delete(l);
    assert_int_equal(fake_stat(F, "salesforce.api_usage"), 1);
    assert_int_equal(fake_stat(F, "token_requests.salesforce"), 1);
}

static void test_fake_salesforce__get_updated_deleted(void **state)
{
    (void)state;
    cJSON *ck = t_call(F, "GET", "/__fake/clock", NULL, NULL, 200);
    long long now = (long long)t_num(ck, "now_ms");
    cJSON_Delete(ck);
    char *a = create("Account", "{\"Name\":\"A\"}");
    char *b = create("Account", "{\"Name\":\"B\"}");
    char path[256];
    snprintf(path, sizeof path, V "/sobjects/Account/%s", b);
    assert_null(t_call(F, "DELETE", path, H, NULL, 204));
    assert_int_equal(fake_clock_advance(F, 120000), 0);
    /* window from one minute before the writes to now (seconds are ignored) */
    time_t s = (time_t)(now / 1000 - 60), e = (time_t)(now / 1000 + 120);
    struct tm ts, te;
    gmtime_r(&s, &ts);
    gmtime_r(&e, &te);
    char start[40], end[40];
    strftime(start, sizeof start, "%Y-%m-%dT%H:%M:%S%%2B00:00", &ts);
    strftime(end, sizeof end, "%Y-%m-%dT%H:%M:%S%%2B00:00", &te);
    snprintf(path, sizeof path, V "/sobjects/Account/updated/?start=%s&end=%s", start, end);
    cJSON *u = t_call(F, "GET", path, H, NULL, 200);
    assert_int_equal(t_len(u, "ids"), 1);
    assert_string_equal(t_str(u, "ids.0"), a);
    assert_true(is_sf_datetime(t_str(u, "latestDateCovered")));
    cJSON_Delete(u);
    snprintf(path, sizeof path, V "/sobjects/Account/deleted/?start=%s&end=%s", start, end);
    u = t_call(F, "GET", path, H, NULL, 200);
    assert_int_equal(t_len(u, "deletedRecords"), 1);
    assert_string_equal(t_str(u, "deletedRecords.0.id"), b);
    assert_true(is_sf_datetime(t_str(u, "deletedRecords.0.deletedDate")));
    assert_true(is_sf_datetime(t_str(u, "earliestDateAvailable")));
    cJSON_Delete(u);
    snprintf(path, sizeof path, V "/sobjects/Account/updated/?start=%s&end=%s", end, start);
    u = t_call(F, "GET", path, H, NULL, 400);
    assert_string_equal(t_str(u, "0.errorCode"), "INVALID_REPLICATION_DATE");
    cJSON_Delete(u);
    free(a);
    free(b);
}

static void test_fake_salesforce__describe(void **state)
{
    (void)state;
    cJSON *d = t_call(F, "GET", V "/sobjects/Contact/describe", H, NULL, 200);
    assert_string_equal(t_str(d, "keyPrefix"), "003");
    int found = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, t_at(d, "fields")) if (strcmp(t_str(f, "name"), "External_Id__c") == 0) found =
        cJSON_IsTrue(t_at(f, "externalId"));
    assert_true(found);
    cJSON_Delete(d);
    d = t_call(F, "GET", V "/sobjects", H, NULL, 200);
    assert_int_equal(t_len(d, "sobjects"), 3);
    cJSON_Delete(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fake_salesforce__crud, reset),
        cmocka_unit_test_setup(test_fake_salesforce__errors, reset),
        cmocka_unit_test_setup(test_fake_salesforce__opportunity_derived, reset),
        cmocka_unit_test_setup(test_fake_salesforce__upsert_external_id, reset),
        cmocka_unit_test_setup(test_fake_salesforce__external_id_with_encoded_slash, reset),
        cmocka_unit_test_setup(test_fake_salesforce__purge_recycle_bin, reset),
        cmocka_unit_test_setup(test_fake_salesforce__limits_and_versions, reset),
        cmocka_unit_test_setup(test_fake_salesforce__get_updated_deleted, reset),
        cmocka_unit_test_setup(test_fake_salesforce__describe, reset),
    };
    return cmocka_run_group_tests(tests, group_setup, t_fake_stop);
}
