/*
 * test_fake_hubspot.c -- HubSpot CRM v3 objects and batch endpoints of unicrm-fake, over real HTTP.
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
    F = fake_start("--seed", "0", "--hubspot-rate", "100000/10000", "--hubspot-custom-properties",
                   "contacts.favorite_color,contacts.customer_code:unique,deals.priority_score:number", NULL);
    *state = F;
    return F ? 0 : -1;
}

static char *create_contact(const char *email, const char *first)
{
    char body[512];
    snprintf(body, sizeof body, "{\"properties\":{\"email\":\"%s\",\"firstname\":\"%s\",\"lastname\":\"Doe\"}}", email,
             first);
    cJSON *j = t_call(F, "POST", "/crm/v3/objects/contacts", T_PAT, body, 201);
    char *id = strdup(t_str(j, "id"));
    cJSON_Delete(j);
    return id;
}

static int is_iso_ms_z(const char *s)
{
    /* 2024-01-17T19:55:04.281Z */
    return s && strlen(s) == 24 && s[4] == '-' && s[10] == 'T' && s[19] == '.' && s[23] == 'Z';
}

static void test_fake_hubspot__create_get_patch_delete(void **state)
{
    (void)state;
    cJSON *c = t_call(F, "POST", "/crm/v3/objects/contacts", T_PAT,
                      "{\"properties\":{\"email\":\"Jane@Example.com\",\"firstname\":\"Jane\",\"lastname\":\"Doe\","
                      "\"favorite_color\":\"blue\"}}",
                      201);
    const char *id = t_str(c, "id");
    assert_non_null(id);
    for (const char *p = id; *p; p++)
        assert_true(*p >= '0' && *p <= '9');
    assert_string_equal(t_str(c, "properties.hs_object_id"), id);
    assert_true(is_iso_ms_z(t_str(c, "properties.createdate")));
    assert_true(is_iso_ms_z(t_str(c, "createdAt")));
    assert_false(cJSON_IsTrue(t_at(c, "archived")));
    assert_string_equal(t_str(c, "properties.favorite_color"), "blue");

    char path[128];
    snprintf(path, sizeof path, "/crm/v3/objects/contacts/%s", id);
    cJSON *g = t_call(F, "GET", path, T_PAT, NULL, 200);
    /* default property set of a contact GET */
    assert_string_equal(t_str(g, "properties.email"), "Jane@Example.com");
    assert_string_equal(t_str(g, "properties.firstname"), "Jane");
    assert_non_null(t_at(g, "properties.lastmodifieddate"));
    assert_null(t_at(g, "properties.favorite_color"));
    cJSON_Delete(g);

    snprintf(path, sizeof path, "/crm/v3/objects/contacts/%s?properties=favorite_color,phone,nonexistent", id);
    g = t_call(F, "GET", path, T_PAT, NULL, 200);
    assert_string_equal(t_str(g, "properties.favorite_color"), "blue");
    assert_true(cJSON_IsNull(t_at(g, "properties.phone")));
    assert_null(t_at(g, "properties.nonexistent"));
    assert_string_equal(t_str(g, "properties.hs_object_id"), id); /* always added to an explicit list */
    assert_non_null(t_str(g, "properties.lastmodifieddate"));
    assert_null(t_at(g, "properties.email"));
    cJSON_Delete(g);

    g = t_call(F, "GET", "/crm/v3/objects/contacts/jane@example.com?idProperty=email", T_PAT, NULL, 200);
    assert_string_equal(t_str(g, "id"), id);
    cJSON_Delete(g);

    snprintf(path, sizeof path, "/crm/v3/objects/contacts/%s", id);
    cJSON *p = t_call(F, "PATCH", path, T_PAT, "{\"properties\":{\"firstname\":\"Janet\",\"phone\":\"555\"}}", 200);
    assert_string_equal(t_str(p, "properties.firstname"), "Janet");
    assert_string_equal(t_str(p, "properties.phone"), "555");
    assert_true(strcmp(t_str(p, "updatedAt"), t_str(c, "updatedAt")) > 0);
    assert_string_equal(t_str(p, "properties.lastmodifieddate"), t_str(p, "updatedAt"));
    cJSON_Delete(p);

    cJSON_Delete(t_call(F, "DELETE", path, T_PAT, NULL, 204));
    cJSON *nf = t_call(F, "GET", path, T_PAT, NULL, 404);
    assert_string_equal(t_str(nf, "category"), "OBJECT_NOT_FOUND");
    assert_string_equal(t_str(nf, "status"), "error");
    assert_non_null(t_str(nf, "correlationId"));
    assert_string_equal(t_str(nf, "context.id.0"), id);
    cJSON_Delete(nf);
    snprintf(path, sizeof path, "/crm/v3/objects/contacts/%s?archived=true", id);
    g = t_call(F, "GET", path, T_PAT, NULL, 200);
    assert_true(cJSON_IsTrue(t_at(g, "archived")));
    assert_true(is_iso_ms_z(t_str(g, "archivedAt")));
    cJSON_Delete(g);
    /* the archived contact's email is free again */
    free(create_contact("jane@example.com", "Again"));
    assert_int_equal(fake_stat(F, "records.hubspot.contacts"), 1);
    cJSON_Delete(c);
}

static void test_fake_hubspot__duplicate_email_409(void **state)
{
    (void)state;
    char *id = create_contact("dup@example.com", "A");
    cJSON *e = t_call(F, "POST", "/crm/v3/objects/contacts", T_PAT,
                      "{\"properties\":{\"email\":\"DUP@example.com\"}}", 409);
    char want[96];
    snprintf(want, sizeof want, "Contact already exists. Existing ID: %s", id);
    assert_string_equal(t_str(e, "message"), want);
    assert_string_equal(t_str(e, "category"), "CONFLICT");
    cJSON_Delete(e);
    free(id);
}

static void test_fake_hubspot__validation_errors(void **state)
{
    (void)state;
    cJSON *e = t_call(F, "POST", "/crm/v3/objects/contacts", T_PAT,
                      "{\"properties\":{\"email\":\"x@example.com\",\"missing\":\"1\"}}", 400);
    assert_string_equal(t_str(e, "category"), "VALIDATION_ERROR");
    const char *m = t_str(e, "message");
    assert_non_null(strstr(m, "Property values were not valid: [{"));
    assert_non_null(strstr(m, "\"error\":\"PROPERTY_DOESNT_EXIST\""));
    assert_non_null(strstr(m, "\"name\":\"missing\""));
    assert_non_null(strstr(m, "Property \\\"missing\\\" does not exist"));
    cJSON_Delete(e);
    e = t_call(F, "POST", "/crm/v3/objects/contacts", T_PAT, "{\"properties\":{\"email\":\"not-an-email\"}}", 400);
    assert_non_null(strstr(t_str(e, "message"), "INVALID_EMAIL"));
    cJSON_Delete(e);
    e = t_call(F, "POST", "/crm/v3/objects/contacts", T_PAT, "{\"properties\":{\"hs_object_id\":\"5\"}}", 400);
    assert_non_null(strstr(t_str(e, "message"), "READ_ONLY_VALUE"));
    cJSON_Delete(e);
    e = t_call(F, "POST", "/crm/v3/objects/deals", T_PAT, "{\"properties\":{\"dealstage\":\"nope\"}}", 400);
    assert_non_null(strstr(t_str(e, "message"), "INVALID_OPTION"));
    cJSON_Delete(e);
    e = t_call(F, "POST", "/crm/v3/objects/contacts", T_PAT, "{\"properties\":{\"email\":", 400);
    assert_non_null(strstr(t_str(e, "message"), "Invalid input JSON on line 1"));
    assert_string_equal(t_str(e, "category"), "VALIDATION_ERROR");
    cJSON_Delete(e);
    e = t_call(F, "POST", "/crm/v3/objects/contacts", T_PAT, "{}", 400);
    assert_non_null(strstr(t_str(e, "message"), "[properties]"));
    cJSON_Delete(e);
    e = t_call(F, "GET", "/crm/v3/objects/widgets", T_PAT, NULL, 400);
    assert_string_equal(t_str(e, "message"), "Unable to infer object type from: widgets");
    cJSON_Delete(e);
    cJSON_Delete(t_call(F, "GET", "/crm/v3/objects/contacts?limit=101", T_PAT, NULL, 400));
    cJSON_Delete(t_call(F, "GET", "/crm/v3/objects/contacts?limit=abc", T_PAT, NULL, 400));
    assert_int_equal(fake_stat(F, "records.hubspot.contacts"), 0);
}

static void test_fake_hubspot__deal_derived_properties(void **state)
{
    (void)state;
    cJSON *d = t_call(F, "POST", "/crm/v3/objects/deals", T_PAT,
                      "{\"properties\":{\"dealname\":\"D\",\"amount\":1500.5,\"dealstage\":\"contractsent\","
                      "\"closedate\":\"1704067200000\"}}",
                      201);
    assert_string_equal(t_str(d, "properties.pipeline"), "default");
    assert_string_equal(t_str(d, "properties.amount"), "1500.5");
    assert_string_equal(t_str(d, "properties.hs_deal_stage_probability"), "0.9");
    assert_string_equal(t_str(d, "properties.hs_is_closed"), "false");
    assert_string_equal(t_str(d, "properties.closedate"), "2024-01-01T00:00:00.000Z");
    assert_non_null(t_str(d, "properties.hs_lastmodifieddate"));
    char path[96];
    snprintf(path, sizeof path, "/crm/v3/objects/deals/%s", t_str(d, "id"));
    cJSON *p = t_call(F, "PATCH", path, T_PAT, "{\"properties\":{\"dealstage\":\"closedwon\"}}", 200);
    assert_string_equal(t_str(p, "properties.hs_is_closed"), "true");
    assert_string_equal(t_str(p, "properties.hs_is_closed_won"), "true");
    assert_string_equal(t_str(p, "properties.hs_deal_stage_probability"), "1.0");
    cJSON_Delete(p);
    cJSON_Delete(d);
}

static void test_fake_hubspot__list_paging_no_gaps(void **state)
{
    (void)state;
    long st;
    /* 57 contacts seeded directly, 3 archived */
    char *body = malloc(57 * 64 + 16), *w = body;
    w += sprintf(w, "[");
    for (int i = 0; i < 57; i++)
        w += sprintf(w, "%s{\"email\":\"p%d@example.com\"%s}", i ? "," : "", i, i % 20 == 7 ? ",\"archived\":true" : "");
    sprintf(w, "]");
    free(fake_request(F, "POST", "/__fake/records/hubspot/contacts", body, &st));
    free(body);
    assert_int_equal(st, 201);
    int seen[57] = {0}, total = 0, pages = 0;
    char path[256] = "/crm/v3/objects/contacts?limit=10&properties=email";
    for (;;) {
        cJSON *j = t_call(F, "GET", path, T_PAT, NULL, 200);
        pages++;
        const cJSON *r;
        cJSON_ArrayForEach(r, t_at(j, "results"))
        {
            int n = atoi(t_str(r, "properties.email") + 1);
            assert_true(n >= 0 && n < 57);
            assert_int_equal(seen[n], 0);
            seen[n] = 1;
            total++;
            assert_false(cJSON_IsTrue(t_at(r, "archived")));
        }
        const char *after = t_str(j, "paging.next.after");
        if (!after) {
            cJSON_Delete(j);
            break;
        }
        assert_non_null(strstr(t_str(j, "paging.next.link"), "after="));
        snprintf(path, sizeof path, "/crm/v3/objects/contacts?limit=10&properties=email&after=%s", after);
        cJSON_Delete(j);
    }
    assert_int_equal(total, 54);
    assert_int_equal(pages, 6);
    cJSON *a = t_call(F, "GET", "/crm/v3/objects/contacts?archived=true&limit=100", T_PAT, NULL, 200);
    assert_int_equal(t_len(a, "results"), 3);
    assert_null(t_at(a, "paging"));
    cJSON_Delete(a);
}

static void test_fake_hubspot__batch_read_create_update_upsert_archive(void **state)
{
    (void)state;
    cJSON *c = t_call(F, "POST", "/crm/v3/objects/contacts/batch/create", T_PAT,
                      "{\"inputs\":[{\"properties\":{\"email\":\"b1@example.com\"}},"
                      "{\"properties\":{\"email\":\"b2@example.com\",\"customer_code\":\"C2\"}}]}",
                      201);
    assert_string_equal(t_str(c, "status"), "COMPLETE");
    assert_int_equal(t_len(c, "results"), 2);
    assert_non_null(t_str(c, "startedAt"));
    char body[512];
    snprintf(body, sizeof body, "{\"properties\":[\"email\"],\"inputs\":[{\"id\":\"%s\"},{\"id\":\"999999\"}]}",
             t_str(c, "results.0.id"));
    cJSON *r = t_call(F, "POST", "/crm/v3/objects/contacts/batch/read", T_PAT, body, 207);
    assert_int_equal(t_len(r, "results"), 1);
    assert_int_equal((int)t_num(r, "numErrors"), 1);
    assert_string_equal(t_str(r, "errors.0.category"), "OBJECT_NOT_FOUND");
    assert_string_equal(t_str(r, "errors.0.context.ids.0"), "999999");
    cJSON_Delete(r);
    r = t_call(F, "POST", "/crm/v3/objects/contacts/batch/read", T_PAT,
               "{\"idProperty\":\"email\",\"inputs\":[{\"id\":\"B2@example.com\"}]}", 200);
    assert_string_equal(t_str(r, "results.0.id"), t_str(c, "results.1.id"));
    cJSON_Delete(r);

    snprintf(body, sizeof body, "{\"inputs\":[{\"id\":\"%s\",\"properties\":{\"firstname\":\"U\"}}]}",
             t_str(c, "results.0.id"));
    r = t_call(F, "POST", "/crm/v3/objects/contacts/batch/update", T_PAT, body, 200);
    assert_string_equal(t_str(r, "results.0.properties.firstname"), "U");
    cJSON_Delete(r);

    r = t_call(F, "POST", "/crm/v3/objects/contacts/batch/upsert", T_PAT,
               "{\"inputs\":[{\"id\":\"b1@example.com\",\"idProperty\":\"email\",\"properties\":{\"phone\":\"1\"}},"
               "{\"id\":\"b3@example.com\",\"idProperty\":\"email\",\"properties\":{\"phone\":\"3\"}}]}",
               200);
    assert_false(cJSON_IsTrue(t_at(r, "results.0.new")));
    assert_true(cJSON_IsTrue(t_at(r, "results.1.new")));
    assert_string_equal(t_str(r, "results.1.properties.email"), "b3@example.com");
    cJSON_Delete(r);
    assert_int_equal(fake_stat(F, "records.hubspot.contacts"), 3);

    snprintf(body, sizeof body, "{\"inputs\":[{\"id\":\"%s\"},{\"id\":\"%s\"}]}", t_str(c, "results.0.id"),
             t_str(c, "results.1.id"));
    cJSON_Delete(t_call(F, "POST", "/crm/v3/objects/contacts/batch/archive", T_PAT, body, 204));
    assert_int_equal(fake_stat(F, "records.hubspot.contacts"), 1);
    assert_int_equal(fake_stat(F, "routes.POST /crm/v3/objects/{type}/batch/archive.204"), 1);
    cJSON_Delete(c);
}

static void test_fake_hubspot__batch_errors(void **state)
{
    (void)state;
    /* 101 inputs */
    char *body = malloc(101 * 16 + 32), *w = body;
    w += sprintf(w, "{\"inputs\":[");
    for (int i = 0; i < 101; i++)
        w += sprintf(w, "%s{\"id\":\"%d\"}", i ? "," : "", i + 1);
    sprintf(w, "]}");
    cJSON *e = t_call(F, "POST", "/crm/v3/objects/contacts/batch/read", T_PAT, body, 400);
    free(body);
    assert_string_equal(t_str(e, "category"), "VALIDATION_ERROR");
    assert_non_null(strstr(t_str(e, "message"), "100"));
    cJSON_Delete(e);
    /* one bad input without objectWriteTraceId fails the whole batch */
    e = t_call(F, "POST", "/crm/v3/objects/contacts/batch/create", T_PAT,
               "{\"inputs\":[{\"properties\":{\"email\":\"ok@example.com\"}},{\"properties\":{\"nope\":\"1\"}}]}", 400);
    assert_non_null(strstr(t_str(e, "message"), "PROPERTY_DOESNT_EXIST"));
    cJSON_Delete(e);
    assert_int_equal(fake_stat(F, "records.hubspot.contacts"), 0);
    /* with objectWriteTraceId: 207 multi-status, the good one is created */
    e = t_call(F, "POST", "/crm/v3/objects/contacts/batch/create", T_PAT,
               "{\"inputs\":[{\"properties\":{\"email\":\"ok@example.com\"},\"objectWriteTraceId\":\"t1\"},"
               "{\"properties\":{\"nope\":\"1\"},\"objectWriteTraceId\":\"t2\"}]}",
               207);
    assert_int_equal(t_len(e, "results"), 1);
    assert_int_equal((int)t_num(e, "numErrors"), 1);
    assert_string_equal(t_str(e, "errors.0.context.objectWriteTraceId.0"), "t2");
    assert_string_equal(t_str(e, "errors.0.status"), "error");
    cJSON_Delete(e);
    assert_int_equal(fake_stat(F, "records.hubspot.contacts"), 1);
    cJSON_Delete(t_call(F, "POST", "/crm/v3/objects/contacts/batch/create", T_PAT, "{\"nope\":[]}", 400));
    cJSON_Delete(t_call(F, "POST", "/crm/v3/objects/contacts/batch/explode", T_PAT, "{\"inputs\":[]}", 404));
}

/* batch/update and batch/upsert: invalid inputs that all carry an objectWriteTraceId are reported one by one in a
 * 207 while the others are written; otherwise the first one fails the batch. Upsert validates the id as the value
 * of idProperty when it creates (INVALID_EMAIL), and an email another contact has is a whole-batch 409. */
static void test_fake_hubspot__batch_update_upsert_multi_status(void **state)
{
    (void)state;
    char *b1 = create_contact("b1@example.com", "One"), *b2 = create_contact("b2@example.com", "Two");
    char body[1024];
    /* update: one bad property, no trace ids -> 400, nothing written */
    snprintf(body, sizeof body, "{\"inputs\":[{\"id\":\"%s\",\"properties\":{\"firstname\":\"X\"}},"
             "{\"id\":\"%s\",\"properties\":{\"nope\":\"1\"}}]}", b1, b2);
    cJSON *e = t_call(F, "POST", "/crm/v3/objects/contacts/batch/update", T_PAT, body, 400);
    assert_string_equal(t_str(e, "category"), "VALIDATION_ERROR");
    assert_non_null(strstr(t_str(e, "message"), "PROPERTY_DOESNT_EXIST"));
    cJSON_Delete(e);
    /* a traced bad input beside an untraced one still fails the batch */
    snprintf(body, sizeof body, "{\"inputs\":[{\"id\":\"%s\",\"properties\":{\"email\":\"bad\"},\"objectWriteTraceId\":"
             "\"t1\"},{\"id\":\"%s\",\"properties\":{\"nope\":\"1\"}}]}", b1, b2);
    cJSON_Delete(t_call(F, "POST", "/crm/v3/objects/contacts/batch/update", T_PAT, body, 400));
    snprintf(body, sizeof body, "/crm/v3/objects/contacts/%s", b1);
    e = t_call(F, "GET", body, T_PAT, NULL, 200);
    assert_string_equal(t_str(e, "properties.firstname"), "One");
    cJSON_Delete(e);
    /* every input traced: 207, the good one written */
    snprintf(body, sizeof body, "{\"inputs\":[{\"id\":\"%s\",\"properties\":{\"firstname\":\"X\"},\"objectWriteTraceId\":"
             "\"t1\"},{\"id\":\"%s\",\"properties\":{\"nope\":\"1\"},\"objectWriteTraceId\":\"t2\"},"
             "{\"id\":\"999999\",\"properties\":{\"firstname\":\"Z\"},\"objectWriteTraceId\":\"t3\"}]}", b1, b2);
    cJSON *r = t_call(F, "POST", "/crm/v3/objects/contacts/batch/update", T_PAT, body, 207);
    assert_int_equal(t_len(r, "results"), 1);
    assert_string_equal(t_str(r, "results.0.properties.firstname"), "X");
    assert_string_equal(t_str(r, "results.0.objectWriteTraceId"), "t1");
    assert_int_equal((int)t_num(r, "numErrors"), 2);
    assert_string_equal(t_str(r, "errors.0.category"), "VALIDATION_ERROR");
    assert_string_equal(t_str(r, "errors.0.context.objectWriteTraceId.0"), "t2");
    assert_string_equal(t_str(r, "errors.1.category"), "OBJECT_NOT_FOUND");
    assert_string_equal(t_str(r, "errors.1.context.ids.0"), "999999");
    assert_string_equal(t_str(r, "errors.1.context.objectWriteTraceId.0"), "t3");
    assert_string_equal(t_str(r, "errors.1.message"),
                        "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.");
    cJSON_Delete(r);

    /* upsert by email: an invalid email as the id never creates a contact */
    e = t_call(F, "POST", "/crm/v3/objects/contacts/batch/upsert", T_PAT,
               "{\"inputs\":[{\"id\":\"not-an-email\",\"idProperty\":\"email\",\"properties\":{\"firstname\":\"N\"}}]}",
               400);
    assert_string_equal(t_str(e, "category"), "VALIDATION_ERROR");
    assert_non_null(strstr(t_str(e, "message"), "INVALID_EMAIL"));
    assert_non_null(strstr(t_str(e, "message"), "Email address not-an-email is invalid"));
    cJSON_Delete(e);
    assert_int_equal(fake_stat(F, "records.hubspot.contacts"), 2);
    r = t_call(F, "POST", "/crm/v3/objects/contacts/batch/upsert", T_PAT,
               "{\"inputs\":[{\"id\":\"b4@example.com\",\"idProperty\":\"email\",\"properties\":{},\"objectWriteTraceId\":"
               "\"u1\"},{\"id\":\"bad-email\",\"idProperty\":\"email\",\"properties\":{},\"objectWriteTraceId\":\"u2\"},"
               "{\"id\":\"B1@example.com\",\"idProperty\":\"email\",\"properties\":{\"firstname\":\"Y\"},"
               "\"objectWriteTraceId\":\"u3\"},{\"id\":\"b2@example.com\",\"idProperty\":\"email\",\"properties\":"
               "{\"hs_object_id\":\"1\"},\"objectWriteTraceId\":\"u4\"}]}",
               207);
    assert_int_equal(t_len(r, "results"), 2);
    assert_true(cJSON_IsTrue(t_at(r, "results.0.new")));
    assert_string_equal(t_str(r, "results.0.objectWriteTraceId"), "u1");
    assert_false(cJSON_IsTrue(t_at(r, "results.1.new")));
    assert_string_equal(t_str(r, "results.1.id"), b1);
    assert_int_equal((int)t_num(r, "numErrors"), 2);
    assert_string_equal(t_str(r, "errors.0.context.objectWriteTraceId.0"), "u2");
    assert_non_null(strstr(t_str(r, "errors.0.message"), "INVALID_EMAIL"));
    assert_string_equal(t_str(r, "errors.1.context.objectWriteTraceId.0"), "u4");
    assert_non_null(strstr(t_str(r, "errors.1.message"), "READ_ONLY_VALUE"));
    cJSON_Delete(r);
    assert_int_equal(fake_stat(F, "records.hubspot.contacts"), 3);
    /* an email another contact already has: the whole batch answers 409, even with trace ids */
    e = t_call(F, "POST", "/crm/v3/objects/contacts/batch/upsert", T_PAT,
               "{\"inputs\":[{\"id\":\"C9\",\"idProperty\":\"customer_code\",\"properties\":{\"email\":\"b2@example.com\"},"
               "\"objectWriteTraceId\":\"v1\"},{\"id\":\"C10\",\"idProperty\":\"customer_code\",\"properties\":{},"
               "\"objectWriteTraceId\":\"v2\"}]}",
               409);
    assert_string_equal(t_str(e, "category"), "CONFLICT");
    char want[64];
    snprintf(want, sizeof want, "Existing ID: %s", b2);
    assert_non_null(strstr(t_str(e, "message"), want));
    cJSON_Delete(e);
    assert_int_equal(fake_stat(F, "records.hubspot.contacts"), 3);
    free(b1);
    free(b2);
}

/* An encoded slash in an id path segment is data (idProperty=email, an email with a slash) */
static void test_fake_hubspot__id_with_encoded_slash(void **state)
{
    (void)state;
    char *id = create_contact("a/b@example.com", "Slash");
    cJSON *j = t_call(F, "GET", "/crm/v3/objects/contacts/a%2Fb%40example.com?idProperty=email", T_PAT, NULL, 200);
    assert_string_equal(t_str(j, "id"), id);
    cJSON_Delete(j);
    j = t_call(F, "PATCH", "/crm/v3/objects/contacts/A%2FB%40example.com?idProperty=email", T_PAT,
               "{\"properties\":{\"firstname\":\"Patched\"}}", 200);
    assert_string_equal(t_str(j, "properties.firstname"), "Patched");
    cJSON_Delete(j);
    cJSON_Delete(t_call(F, "GET", "/crm/v3/objects/contacts/a/b@example.com?idProperty=email", T_PAT, NULL, 404));
    free(id);
}

static void test_fake_hubspot__unauthenticated(void **state)
{
    (void)state;
    cJSON *e = t_call(F, "GET", "/crm/v3/objects/contacts", NULL, NULL, 401);
    assert_string_equal(t_str(e, "category"), "INVALID_AUTHENTICATION");
    cJSON_Delete(e);
    const char *bad[] = {"Authorization: Bearer pat-wrong", NULL};
    e = t_call(F, "GET", "/crm/v3/objects/contacts", bad, NULL, 401);
    assert_string_equal(t_str(e, "category"), "INVALID_AUTHENTICATION");
    cJSON_Delete(e);
    assert_int_equal(fake_stat(F, "hubspot.window_used"), 0);
}

static void test_fake_hubspot__properties_api(void **state)
{
    (void)state;
    cJSON *l = t_call(F, "GET", "/crm/v3/properties/contacts", T_PAT, NULL, 200);
    int found = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, t_at(l, "results"))
    {
        assert_non_null(t_str(p, "name"));
        assert_non_null(t_str(p, "type"));
        assert_non_null(t_str(p, "fieldType"));
        assert_non_null(t_str(p, "groupName"));
        if (strcmp(t_str(p, "name"), "favorite_color") == 0)
            found = !cJSON_IsTrue(t_at(p, "hubspotDefined"));
        if (strcmp(t_str(p, "name"), "customer_code") == 0)
            assert_true(cJSON_IsTrue(t_at(p, "hasUniqueValue")));
    }
    assert_true(found);
    cJSON_Delete(l);
    l = t_call(F, "GET", "/crm/v3/properties/deals/dealstage", T_PAT, NULL, 200);
    assert_string_equal(t_str(l, "type"), "enumeration");
    assert_string_equal(t_str(l, "options.5.value"), "closedwon");
    cJSON_Delete(l);
    l = t_call(F, "GET", "/crm/v3/properties/deals/hs_is_closed", T_PAT, NULL, 200);
    assert_true(cJSON_IsTrue(t_at(l, "modificationMetadata.readOnlyValue")));
    cJSON_Delete(l);
    cJSON_Delete(t_call(F, "GET", "/crm/v3/properties/deals/nope", T_PAT, NULL, 404));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fake_hubspot__create_get_patch_delete, t_fake_reset),
        cmocka_unit_test_setup(test_fake_hubspot__duplicate_email_409, t_fake_reset),
        cmocka_unit_test_setup(test_fake_hubspot__validation_errors, t_fake_reset),
        cmocka_unit_test_setup(test_fake_hubspot__deal_derived_properties, t_fake_reset),
        cmocka_unit_test_setup(test_fake_hubspot__list_paging_no_gaps, t_fake_reset),
        cmocka_unit_test_setup(test_fake_hubspot__batch_read_create_update_upsert_archive, t_fake_reset),
        cmocka_unit_test_setup(test_fake_hubspot__batch_errors, t_fake_reset),
        cmocka_unit_test_setup(test_fake_hubspot__batch_update_upsert_multi_status, t_fake_reset),
        cmocka_unit_test_setup(test_fake_hubspot__id_with_encoded_slash, t_fake_reset),
        cmocka_unit_test_setup(test_fake_hubspot__unauthenticated, t_fake_reset),
        cmocka_unit_test_setup(test_fake_hubspot__properties_api, t_fake_reset),
    };
    return cmocka_run_group_tests(tests, group_setup, t_fake_stop);
}
