/*
 * test_fake_soql.c -- /query and /queryAll of unicrm-fake: the SOQL subset, errors, and nextRecordsUrl paging
 * with Sforce-Query-Options batchSize; sObject Collections.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "helpers/fake_test.h"

static ucrm_fake_t *F;
static char TOKEN_LINE[300];
static const char *H[4];
#define V "/services/data/v59.0"

static int group_setup(void **state)
{
    F = fake_start("--seed", "450", "--salesforce-custom-fields", "Account.Code__c:casesensitive,Account.Tag__c:externalid",
                   NULL);
    *state = F;
    return F ? 0 : -1;
}

static int reset(void **state)
{
    return t_fake_reset_sf(state, TOKEN_LINE, sizeof TOKEN_LINE, H);
}

/* URL-encodes a SOQL text into dst (spaces as '+', as simple-salesforce and jsforce clients send them) */
static void enc(char *dst, size_t cap, const char *q)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)q; *p && w + 4 < cap; p++) {
        if (*p == ' ')
            dst[w++] = '+';
        else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
                 *p == '.' || *p == '-')
            dst[w++] = (char)*p;
        else {
            dst[w++] = '%';
            dst[w++] = hex[*p >> 4];
            dst[w++] = hex[*p & 15];
        }
    }
    dst[w] = '\0';
}

static cJSON *query(const char *soql, long expect)
{
    char path[4096], e[3800];
    enc(e, sizeof e, soql);
    snprintf(path, sizeof path, V "/query/?q=%s", e);
    return t_call(F, "GET", path, H, NULL, expect);
}

static int count_of(const char *soql)
{
    cJSON *j = query(soql, 200);
    int n = (int)t_num(j, "totalSize");
    assert_true(cJSON_IsTrue(t_at(j, "done")));
    cJSON_Delete(j);
    return n;
}

static void test_fake_soql__select_where_order_limit(void **state)
{
    (void)state;
    cJSON *j = query("SELECT Id, Name, Email FROM Contact WHERE Email = 'SEED.CONTACT.7@example.com'", 200);
    assert_int_equal((int)t_num(j, "totalSize"), 1);
    assert_true(cJSON_IsTrue(t_at(j, "done")));
    assert_string_equal(t_str(j, "records.0.Name"), "Seed Contact 7");
    assert_string_equal(t_str(j, "records.0.attributes.type"), "Contact");
    assert_null(t_at(j, "records.0.Phone"));
    assert_null(t_at(j, "nextRecordsUrl"));
    cJSON_Delete(j);
    assert_int_equal(count_of("SELECT Id FROM Contact WHERE LastName LIKE 'Contact 1%'"), 1 + 10 + 100);
    assert_int_equal(count_of("SELECT Id FROM Contact WHERE LastName LIKE 'contact _'"), 9);
    assert_int_equal(count_of("SELECT Id FROM Opportunity WHERE StageName IN ('Closed Won', 'Closed Lost')"), 112);
    assert_int_equal(count_of("SELECT Id FROM Opportunity WHERE StageName NOT IN ('Closed Won','Closed Lost')"), 338);
    assert_int_equal(count_of("SELECT Id FROM Opportunity WHERE Amount > 5000 AND Amount <= 5100"), 10);
    assert_int_equal(count_of("SELECT Id FROM Opportunity WHERE (Amount < 1100 OR Amount >= 5490) AND IsClosed = true"),
                     2);
    assert_int_equal(count_of("SELECT Id FROM Opportunity WHERE NOT Amount > 1020"), 2);
    assert_int_equal(count_of("SELECT Id FROM Contact WHERE Phone = null"), 450);
    assert_int_equal(count_of("SELECT Id FROM Contact WHERE Email != null LIMIT 7"), 7);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE CreatedDate > 2000-01-01T00:00:00Z"), 450);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE CreatedDate < 2000-01-01T00:00:00+02:00"), 0);
    assert_int_equal(count_of("SELECT Id FROM Opportunity WHERE CloseDate >= TODAY"), 450);
    assert_int_equal(count_of("select id from contact where lastname = 'contact 12'"), 1);

    j = query("SELECT Name, Amount FROM Opportunity ORDER BY Amount DESC LIMIT 3 OFFSET 1", 200);
    assert_int_equal((int)t_num(j, "totalSize"), 3);
    assert_int_equal((int)t_num(j, "records.0.Amount"), 5490);
    assert_int_equal((int)t_num(j, "records.2.Amount"), 5470);
    cJSON_Delete(j);
    j = query("SELECT COUNT() FROM Account", 200);
    assert_int_equal((int)t_num(j, "totalSize"), 450);
    assert_int_equal(t_len(j, "records"), 0);
    cJSON_Delete(j);
}

static void test_fake_soql__errors(void **state)
{
    (void)state;
    cJSON *e = query("SELECT Bogus FROM Contact", 400);
    assert_string_equal(t_str(e, "0.errorCode"), "INVALID_FIELD");
    assert_non_null(strstr(t_str(e, "0.message"), "ERROR at Row:1:Column:8"));
    assert_non_null(strstr(t_str(e, "0.message"), "No such column 'Bogus' on entity 'Contact'"));
    cJSON_Delete(e);
    e = query("SELECT Id FROM Widget__c", 400);
    assert_string_equal(t_str(e, "0.errorCode"), "INVALID_TYPE");
    cJSON_Delete(e);
    e = query("SELECT Id FORM Contact", 400);
    assert_string_equal(t_str(e, "0.errorCode"), "MALFORMED_QUERY");
    assert_non_null(strstr(t_str(e, "0.message"), "unexpected token"));
    cJSON_Delete(e);
    e = query("SELECT Id FROM Contact WHERE Email = 'a' AND Phone = 'b' OR Title = 'c'", 400);
    assert_string_equal(t_str(e, "0.errorCode"), "MALFORMED_QUERY");
    cJSON_Delete(e);
    e = query("SELECT Id FROM Account WHERE CreatedDate > '2020-01-01T00:00:00Z'", 400);
    assert_string_equal(t_str(e, "0.errorCode"), "INVALID_FIELD");
    assert_non_null(strstr(t_str(e, "0.message"), "must be of type dateTime"));
    cJSON_Delete(e);
    e = query("SELECT Id FROM Contact WHERE Email = 'unterminated", 400);
    assert_string_equal(t_str(e, "0.errorCode"), "MALFORMED_QUERY");
    cJSON_Delete(e);
    e = t_call(F, "GET", V "/query/", H, NULL, 400);
    assert_string_equal(t_str(e, "0.errorCode"), "MALFORMED_QUERY");
    cJSON_Delete(e);
    e = t_call(F, "GET", V "/query/01gXXXXXXXXXXXXXXX-2000", H, NULL, 400);
    assert_string_equal(t_str(e, "0.errorCode"), "INVALID_QUERY_LOCATOR");
    cJSON_Delete(e);
}

/* Creates Accounts with the given names (a JSON array of strings) through the control API. */
static void accounts(const char *json_names)
{
    cJSON *names = cJSON_Parse(json_names), *arr = cJSON_CreateArray();
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
    {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "Name", n->valuestring);
        cJSON_AddItemToArray(arr, o);
    }
    char *body = cJSON_PrintUnformatted(arr);
    cJSON *r = t_call(F, "POST", "/__fake/records/salesforce/Account", NULL, body, 201);
    assert_int_equal(t_len(r, "ids"), cJSON_GetArraySize(names));
    cJSON_Delete(r);
    free(body);
    cJSON_Delete(arr);
    cJSON_Delete(names);
}

static void malformed(const char *soql, const char *expect_in_message)
{
    cJSON *e = query(soql, 400);
    assert_string_equal(t_str(e, "0.errorCode"), "MALFORMED_QUERY");
    if (!strstr(t_str(e, "0.message"), expect_in_message))
        print_message("%s -> %s\n", soql, t_str(e, "0.message"));
    assert_non_null(strstr(t_str(e, "0.message"), expect_in_message));
    cJSON_Delete(e);
}

/* SOQL and SOSL Reference, "Quoted String Escape Sequences": \n \r \t \b \f (either case), \" \' \\, \uXXXX;
 * \% and \_ only in LIKE, where they are a literal % and _; any other backslash is an error. */
static void test_fake_soql__string_escapes(void **state)
{
    (void)state;
    accounts("[\"Ter%\",\"Ter%x\",\"Terx\",\"Ter_\",\"TerA\",\"Bob's BBQ\",\"back\\\\slash\",\"tab\\there\","
             "\"quote\\\"d\",\"bell\\bx\",\"form\\ffeed\",\"line\\nbreak\",\"Caf\\u00e9\",\"CAF\\u00c9 noir\","
             "\"\\ud83d\\ude00 smile\"]");
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name LIKE 'Ter%'"), 5);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name LIKE 'Ter\\%'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name LIKE 'Ter\\%%'"), 2);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name LIKE 'Ter_'"), 4);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name LIKE 'Ter\\_'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name LIKE 'ter\\u0025%'"), 2); /* \u0025: literal % */
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name = 'Bob\\'s BBQ'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name = 'bob\\'S bbq'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name = 'back\\\\slash'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name LIKE 'back\\\\%'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name LIKE 'back%'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name = 'tab\\there'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name = 'TAB\\There'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name = 'quote\\\"d'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name = 'bell\\bx'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name = 'bell\\Bx'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name = 'form\\ffeed'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name IN ('line\\nbreak', 'line\\Nbreak', 'x')"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name = 'line\\rbreak'"), 0);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name = 'tab\\u0009here'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name = '\\ud83d\\ude00 smile'"), 1);
    /* = ignores case beyond ASCII; LIKE's _ is one character (é is two bytes) */
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name = 'caf\\u00c9'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name = 'CAF\xc3\x89'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name LIKE 'caf_'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name LIKE 'caf_%'"), 2);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name LIKE '_ smile'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Name != 'caf\xc3\xa9' AND Name LIKE 'caf%'"), 1);
    /* keywords ignore case */
    assert_int_equal(count_of("select id from account where name like 'ter\\%' order by name desc nulls last"), 1);

    malformed("SELECT Id FROM Account WHERE Name = 'Ter\\%'", "Illegal character sequence '\\%' in string literal");
    malformed("SELECT Id FROM Account WHERE Name IN ('Ter\\_')", "Illegal character sequence '\\_'");
    malformed("SELECT Id, Name FROM Contact WHERE FirstName = 'Anne\\-Marie'",
              "ERROR at Row:1:Column:48\nInvalid string literal 'Anne\\-Marie'. Illegal character sequence '\\-' in "
              "string literal.");
    malformed("SELECT Id FROM Account WHERE Name = 'x\\a'", "Illegal character sequence '\\a'");
    malformed("SELECT Id FROM Account WHERE Name = 'x\\U00e9'", "Illegal character sequence '\\U'");
    malformed("SELECT Id FROM Account WHERE Name = 'x\\u00e'", "Illegal character sequence '\\u'");
    malformed("SELECT Id FROM Account WHERE Name = 'x\\uzzzz'", "Illegal character sequence '\\u'");
    malformed("SELECT Id FROM Account WHERE Name = 'x\\ud83d'", "Illegal character sequence '\\u'");
    malformed("SELECT Id FROM Account WHERE Name = 'x\\ude00'", "Illegal character sequence '\\u'");
    malformed("SELECT Id FROM Account WHERE Name = 'x\\u0000'", "Illegal character sequence '\\u'");
    malformed("SELECT Id FROM Account WHERE Name LIKE 'x\\'", "unexpected token"); /* the quote is escaped */
}

/* Comparisons ignore case except on unique case-sensitive fields (SOQL and SOSL Reference, Comparison Operators);
 * the same rule decides external-id matching and uniqueness. */
static void test_fake_soql__case_sensitive_fields(void **state)
{
    (void)state;
    cJSON_Delete(t_call(F, "POST", "/__fake/records/salesforce/Account", NULL,
                        "[{\"Name\":\"CS\",\"Code__c\":\"ABC-1\",\"Tag__c\":\"ABC-1\"}]", 201));
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Code__c = 'ABC-1'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Code__c = 'abc-1'"), 0);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Code__c LIKE 'abc%'"), 0);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Code__c IN ('abc-1', 'ABC-1')"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Tag__c = 'abc-1'"), 1);
    assert_int_equal(count_of("SELECT Id FROM Account WHERE Tag__c LIKE 'abc%'"), 1);
    cJSON *j = t_call(F, "GET", V "/sobjects/Account/Code__c/abc-1", H, NULL, 404);
    assert_string_equal(t_str(j, "0.errorCode"), "NOT_FOUND");
    cJSON_Delete(j);
    j = t_call(F, "GET", V "/sobjects/Account/Code__c/ABC-1?fields=Name", H, NULL, 200);
    assert_string_equal(t_str(j, "Name"), "CS");
    cJSON_Delete(j);
    j = t_call(F, "GET", V "/sobjects/Account/Tag__c/abc-1?fields=Name", H, NULL, 200);
    assert_string_equal(t_str(j, "Name"), "CS");
    cJSON_Delete(j);
    /* another case is another value on the case-sensitive field, a duplicate on the other one */
    cJSON_Delete(t_call(F, "POST", V "/sobjects/Account", H, "{\"Name\":\"CS2\",\"Code__c\":\"abc-1\"}", 201));
    j = t_call(F, "POST", V "/sobjects/Account", H, "{\"Name\":\"CS3\",\"Tag__c\":\"abc-1\"}", 400);
    assert_string_equal(t_str(j, "0.errorCode"), "DUPLICATE_VALUE");
    cJSON_Delete(j);
}

static void page_through(const char *first_path, int batch, int expect_total, int expect_pages)
{
    char hdr[64];
    snprintf(hdr, sizeof hdr, "Sforce-Query-Options: batchSize=%d", batch);
    const char *hs[3] = {H[0], hdr, NULL};
    char(*seen)[19] = calloc((size_t)expect_total + 1, sizeof *seen);
    int total = 0, pages = 0;
    char path[512];
    snprintf(path, sizeof path, "%s", first_path);
    for (;;) {
        cJSON *j = t_call(F, "GET", path, hs, NULL, 200);
        pages++;
        assert_int_equal((int)t_num(j, "totalSize"), expect_total);
        const cJSON *r;
        cJSON_ArrayForEach(r, t_at(j, "records"))
        {
            const char *id = t_str(r, "Id");
            assert_non_null(id);
            for (int k = 0; k < total; k++) /* a second sighting of an id is a duplicate page entry */
                assert_string_not_equal(seen[k], id);
            assert_true(total < expect_total);
            snprintf(seen[total], sizeof seen[total], "%s", id);
            total++;
        }
        const char *next = t_str(j, "nextRecordsUrl");
        if (!next) {
            assert_true(cJSON_IsTrue(t_at(j, "done")));
            cJSON_Delete(j);
            break;
        }
        assert_false(cJSON_IsTrue(t_at(j, "done")));
        assert_non_null(strstr(next, V "/query/01g"));
        snprintf(path, sizeof path, "%s", next);
        cJSON_Delete(j);
    }
    free(seen);
    assert_int_equal(total, expect_total);
    assert_int_equal(pages, expect_pages);
}

static void test_fake_soql__paging_batch_size(void **state)
{
    (void)state;
    page_through(V "/query/?q=SELECT+Id,Name+FROM+Contact+ORDER+BY+Name", 200, 450, 3);
    page_through(V "/query/?q=SELECT+Id+FROM+Contact", 100, 450, 3); /* clamped to the 200 minimum */
    page_through(V "/query/?q=SELECT+Id+FROM+Contact", 5000, 450, 1);
    /* queryAll sees deleted records, query does not */
    cJSON *j = query("SELECT Id FROM Account LIMIT 1", 200);
    char path[160];
    snprintf(path, sizeof path, V "/sobjects/Account/%s", t_str(j, "records.0.Id"));
    cJSON_Delete(j);
    assert_null(t_call(F, "DELETE", path, H, NULL, 204));
    assert_int_equal(count_of("SELECT Id FROM Account"), 449);
    j = t_call(F, "GET", V "/queryAll/?q=SELECT+Id,IsDeleted+FROM+Account+WHERE+IsDeleted+=+true", H, NULL, 200);
    assert_int_equal((int)t_num(j, "totalSize"), 1);
    assert_true(cJSON_IsTrue(t_at(j, "records.0.IsDeleted")));
    cJSON_Delete(j);
    page_through(V "/queryAll/?q=SELECT+Id+FROM+Account", 200, 450, 3);
}

/* keyset paging: WHERE Id > last ORDER BY Id LIMIT n walks every record once, in creation order */
static void test_fake_soql__keyset_paging_by_id(void **state)
{
    (void)state;
    char last[19] = "", prev[19] = "";
    int total = 0;
    for (;;) {
        char q[256];
        if (last[0])
            snprintf(q, sizeof q, "SELECT Id FROM Contact WHERE Id > '%s' ORDER BY Id LIMIT 97", last);
        else
            snprintf(q, sizeof q, "SELECT Id FROM Contact ORDER BY Id LIMIT 97");
        cJSON *j = query(q, 200);
        int n = t_len(j, "records");
        for (int i = 0; i < n; i++) {
            char path[32];
            snprintf(path, sizeof path, "records.%d.Id", i);
            const char *id = t_str(j, path);
            assert_true(strcmp(id, prev) > 0);
            snprintf(prev, sizeof prev, "%s", id);
            total++;
        }
        snprintf(last, sizeof last, "%s", prev);
        cJSON_Delete(j);
        if (n < 97)
            break;
    }
    assert_int_equal(total, 450);
}

static void test_fake_soql__collections(void **state)
{
    (void)state;
    cJSON *r = t_call(F, "POST", V "/composite/sobjects", H,
                      "{\"allOrNone\":false,\"records\":[{\"attributes\":{\"type\":\"Account\"},\"Name\":\"C1\"},"
                      "{\"attributes\":{\"type\":\"Contact\"},\"LastName\":\"C2\"},"
                      "{\"attributes\":{\"type\":\"Contact\"},\"FirstName\":\"no last\"}]}",
                      200);
    assert_true(cJSON_IsTrue(t_at(r, "0.success")));
    assert_memory_equal(t_str(r, "0.id"), "001", 3);
    assert_memory_equal(t_str(r, "1.id"), "003", 3);
    assert_false(cJSON_IsTrue(t_at(r, "2.success")));
    assert_null(t_at(r, "2.id"));
    assert_string_equal(t_str(r, "2.errors.0.statusCode"), "REQUIRED_FIELD_MISSING");
    assert_string_equal(t_str(r, "2.errors.0.fields.0"), "LastName");
    char body[1024];
    snprintf(body, sizeof body,
             "{\"allOrNone\":true,\"records\":[{\"attributes\":{\"type\":\"Account\"},\"id\":\"%s\",\"Name\":\"C1b\"},"
             "{\"attributes\":{\"type\":\"Contact\"},\"id\":\"001xx000003DGb2999\",\"LastName\":\"x\"}]}",
             t_str(r, "0.id"));
    cJSON *u = t_call(F, "PATCH", V "/composite/sobjects", H, body, 200);
    assert_false(cJSON_IsTrue(t_at(u, "0.success")));
    assert_string_equal(t_str(u, "0.id"), t_str(r, "0.id"));
    assert_string_equal(t_str(u, "0.errors.0.statusCode"), "ALL_OR_NONE_OPERATION_ROLLED_BACK");
    assert_string_equal(t_str(u, "1.errors.0.statusCode"), "MALFORMED_ID");
    cJSON_Delete(u);
    char path[300];
    snprintf(path, sizeof path, V "/composite/sobjects/Account?ids=%s&fields=Id,Name", t_str(r, "0.id"));
    cJSON *g = t_call(F, "GET", path, H, NULL, 200);
    assert_string_equal(t_str(g, "0.Name"), "C1"); /* rolled back */
    cJSON_Delete(g);
    snprintf(path, sizeof path, V "/composite/sobjects?ids=%s,%s,003000000000000AAA&allOrNone=false", t_str(r, "0.id"),
             t_str(r, "1.id"));
    cJSON *d = t_call(F, "DELETE", path, H, NULL, 200);
    assert_true(cJSON_IsTrue(t_at(d, "0.success")));
    assert_true(cJSON_IsTrue(t_at(d, "1.success")));
    assert_false(cJSON_IsTrue(t_at(d, "2.success")));
    cJSON_Delete(d);
    cJSON_Delete(r);
    /* 201 records -> 400 EXCEEDED_ID_LIMIT */
    char *big = malloc(201 * 60 + 64), *w = big;
    w += sprintf(w, "{\"records\":[");
    for (int i = 0; i < 201; i++)
        w += sprintf(w, "%s{\"attributes\":{\"type\":\"Account\"},\"Name\":\"B%d\"}", i ? "," : "", i);
    sprintf(w, "]}");
    cJSON *e = t_call(F, "POST", V "/composite/sobjects", H, big, 400);
    free(big);
    assert_string_equal(t_str(e, "0.errorCode"), "EXCEEDED_ID_LIMIT");
    cJSON_Delete(e);
    assert_int_equal(fake_stat(F, "records.salesforce.Account"), 450);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fake_soql__select_where_order_limit, reset),
        cmocka_unit_test_setup(test_fake_soql__errors, reset),
        cmocka_unit_test_setup(test_fake_soql__string_escapes, reset),
        cmocka_unit_test_setup(test_fake_soql__case_sensitive_fields, reset),
        cmocka_unit_test_setup(test_fake_soql__paging_batch_size, reset),
        cmocka_unit_test_setup(test_fake_soql__keyset_paging_by_id, reset),
        cmocka_unit_test_setup(test_fake_soql__collections, reset),
    };
    return cmocka_run_group_tests(tests, group_setup, t_fake_stop);
}
