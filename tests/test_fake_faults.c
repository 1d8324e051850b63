/*
 * test_fake_faults.c -- fault injection of unicrm-fake (POST /__fake/faults): each kind, "before" versus
 * "after" semantics, what faults never touch, 477 with Retry-After, and --latency-ms not serialising connections.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <time.h>

#include "helpers/fake_test.h"

static ucrm_fake_t *F;

static int group_setup(void **state)
{
    F = fake_start("--fault-timeout-ms", "1500", "--hubspot-rate", "100000/10000", NULL);
    *state = F;
    return F ? 0 : -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_fake_faults__status_faults(void **state)
{
    (void)state;
    assert_int_equal(fake_set_faults(F, "{\"rate\":1,\"faults\":[\"429\"]}"), 0);
    cJSON *e = t_call(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 429);
    assert_string_equal(t_str(e, "policyName"), "TEN_SECONDLY_ROLLING");
    cJSON_Delete(e);
    char *tok = NULL;
    assert_int_equal(fake_set_faults(F, "{\"rate\":0}"), 0);
    tok = fake_salesforce_token(F);
    char line[400];
    const char *h[3];
    t_bearer(tok, line, sizeof line, h);
    free(tok);
    assert_int_equal(fake_set_faults(F, "{\"rate\":1,\"faults\":[\"429\"]}"), 0);
    e = t_call(F, "GET", "/services/data/v59.0/limits", h, NULL, 403);
    assert_string_equal(t_str(e, "0.errorCode"), "REQUEST_LIMIT_EXCEEDED");
    cJSON_Delete(e);
    assert_int_equal(fake_set_faults(F, "{\"faults\":[\"500\"]}"), 0);
    e = t_call(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 500);
    assert_string_equal(t_str(e, "status"), "error");
    cJSON_Delete(e);
    e = t_call(F, "GET", "/services/data/v59.0/limits", h, NULL, 500);
    assert_string_equal(t_str(e, "0.errorCode"), "UNKNOWN_EXCEPTION");
    cJSON_Delete(e);
    assert_int_equal(fake_set_faults(F, "{\"faults\":[\"503\"]}"), 0);
    cJSON_Delete(t_call(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 503));
    assert_int_equal(fake_set_faults(F, "{\"faults\":[\"badjson\"]}"), 0);
    long st;
    char *b = fake_request_h(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, &st);
    assert_int_equal(st, 200);
    cJSON *j = cJSON_Parse(b);
    assert_null(j);
    free(b);
    /* control routes and (by default) token endpoints are never faulted */
    free(fake_stats(F));
    tok = fake_hubspot_token(F);
    assert_non_null(tok);
    free(tok);
    assert_int_equal(fake_set_faults(F, "{\"faults\":[\"503\"],\"token\":true}"), 0);
    assert_null(fake_hubspot_token(F));
    assert_int_equal(fake_stat(F, "faults_injected.429"), 2);
    assert_int_equal(fake_stat(F, "faults_injected.500"), 2);
    assert_int_equal(fake_stat(F, "faults_injected.503"), 2);
    assert_int_equal(fake_stat(F, "faults_injected.badjson"), 1);
    /* bad fault settings */
    assert_int_equal(fake_set_faults(F, "{\"faults\":[\"meteor\"]}"), -1);
    assert_int_equal(fake_set_faults(F, "{\"rate\":2}"), -1);
    assert_int_equal(fake_set_faults(F, "{\"when\":\"later\"}"), -1);
}

static void test_fake_faults__reset_and_timeout(void **state)
{
    (void)state;
    assert_int_equal(fake_set_faults(F, "{\"rate\":1,\"faults\":[\"reset\"]}"), 0);
    long st = -1;
    char *b = fake_request_full(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 0, 5000, &st, NULL);
    assert_null(b);
    assert_int_equal(st, 0);
    assert_int_equal(fake_set_faults(F, "{\"faults\":[\"timeout\"]}"), 0);
    double t0 = now_s();
    b = fake_request_full(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 0, 400, &st, NULL);
    assert_null(b);
    assert_true(now_s() - t0 < 1.4); /* the client gave up; the fake still holds the connection */
    /* held connections do not block others */
    free(fake_stats(F));
    assert_int_equal(fake_stat(F, "faults_injected.reset"), 1);
    assert_int_equal(fake_stat(F, "faults_injected.timeout"), 1);
    /* a client that waits longer than the hold sees the connection closed without a response */
    t0 = now_s();
    b = fake_request_full(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 0, 5000, &st, NULL);
    assert_null(b);
    assert_true(now_s() - t0 >= 1.3);
    assert_int_equal(fake_set_faults(F, "{\"rate\":0}"), 0);
    cJSON_Delete(t_call(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 200));
}

static void test_fake_faults__before_versus_after(void **state)
{
    (void)state;
    assert_int_equal(fake_set_faults(F, "{\"rate\":1,\"faults\":[\"503\"],\"when\":\"before\"}"), 0);
    cJSON_Delete(t_call(F, "POST", "/crm/v3/objects/contacts", T_PAT, "{\"properties\":{\"email\":\"a@example.com\"}}",
                        503));
    assert_int_equal(fake_stat(F, "records.hubspot.contacts"), 0);
    assert_int_equal(fake_set_faults(F, "{\"when\":\"after\",\"faults\":[\"reset\"]}"), 0);
    long st;
    char *b = fake_request_h(F, "POST", "/crm/v3/objects/contacts", T_PAT, "{\"properties\":{\"email\":\"a@example.com\"}}",
                             &st);
    assert_null(b);
    assert_int_equal(fake_stat(F, "records.hubspot.contacts"), 1); /* applied, response lost */
    assert_int_equal(fake_set_faults(F, "{\"faults\":[\"badjson\"]}"), 0);
    b = fake_request_h(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, &st);
    assert_int_equal(st, 200);
    assert_non_null(strstr(b, "{\"results\":[{\"id\":\""));
    assert_null(cJSON_Parse(b));
    free(b);
    /* retrying the lost create now meets the record that was made */
    assert_int_equal(fake_set_faults(F, "{\"rate\":0}"), 0);
    cJSON *e = t_call(F, "POST", "/crm/v3/objects/contacts", T_PAT, "{\"properties\":{\"email\":\"a@example.com\"}}", 409);
    cJSON_Delete(e);
    cJSON *f = t_call(F, "GET", "/__fake/faults", NULL, NULL, 200);
    assert_string_equal(t_str(f, "when"), "after");
    cJSON_Delete(f);
    assert_int_equal(fake_reset(F), 0);
    f = t_call(F, "GET", "/__fake/faults", NULL, NULL, 200);
    assert_string_equal(t_str(f, "when"), "before");
    assert_int_equal((int)t_num(f, "rate"), 0);
    cJSON_Delete(f);
}

/* 477 Migration in Progress with Retry-After in seconds: the only HubSpot status with a documented Retry-After
 * (HS-DOC error-handling). HubSpot only; /crm 429s have no Retry-After, token-endpoint 429s do. */
static void test_fake_faults__migration_477_retry_after(void **state)
{
    (void)state;
    assert_int_equal(fake_set_faults(F, "{\"rate\":1,\"faults\":[\"477\"],\"retry_after\":7}"), 0);
    char *hdrs = NULL;
    cJSON *e = t_call_h(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 477, &hdrs);
    char *ra = fake_header(hdrs, "Retry-After");
    assert_non_null(ra);
    assert_string_equal(ra, "7");
    free(ra);
    free(hdrs);
    assert_string_equal(t_str(e, "status"), "error");
    assert_non_null(t_str(e, "correlationId"));
    cJSON_Delete(e);
    /* "after": the write happened, the answer is still 477 */
    assert_int_equal(fake_set_faults(F, "{\"when\":\"after\"}"), 0);
    cJSON_Delete(t_call(F, "POST", "/crm/v3/objects/contacts", T_PAT, "{\"properties\":{\"email\":\"m@example.com\"}}",
                        477));
    assert_int_equal(fake_stat(F, "records.hubspot.contacts"), 1);
    /* Salesforce requests never draw it */
    assert_int_equal(fake_set_faults(F, "{\"rate\":0}"), 0);
    char *tok = fake_salesforce_token(F), line[400];
    const char *h[3];
    t_bearer(tok, line, sizeof line, h);
    free(tok);
    assert_int_equal(fake_set_faults(F, "{\"rate\":1,\"when\":\"before\"}"), 0);
    cJSON_Delete(t_call(F, "GET", "/services/data/v59.0/limits", h, NULL, 200));
    cJSON *f = t_call(F, "GET", "/__fake/faults", NULL, NULL, 200);
    assert_string_equal(t_str(f, "faults.0"), "477");
    assert_int_equal((int)t_num(f, "retry_after"), 7);
    cJSON_Delete(f);
    assert_int_equal(fake_stat(F, "faults_injected.477"), 2);
    /* 429s: none on /crm, Retry-After on the token endpoint */
    assert_int_equal(fake_set_faults(F, "{\"faults\":[\"429\"],\"token\":true,\"retry_after\":2}"), 0);
    e = t_call_h(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 429, &hdrs);
    assert_null(fake_header(hdrs, "Retry-After"));
    free(hdrs);
    cJSON_Delete(e);
    e = t_call_h(F, "POST", "/oauth/v1/token", NULL,
                 "grant_type=refresh_token&client_id=test-client&client_secret=test-secret&refresh_token=test-refresh",
                 429, &hdrs);
    ra = fake_header(hdrs, "Retry-After");
    assert_non_null(ra);
    assert_string_equal(ra, "2");
    free(ra);
    free(hdrs);
    cJSON_Delete(e);
    assert_int_equal(fake_set_faults(F, "{\"retry_after\":-1}"), -1);
    assert_int_equal(fake_set_faults(F, "{\"retry_after\":\"7\"}"), -1);
    /* from the command line, with its default kinds left alone */
    ucrm_fake_t *g = fake_start("--fault-rate", "1", "--faults", "477", "--fault-retry-after", "3", NULL);
    assert_non_null(g);
    long st;
    char *b = fake_request_full(g, "GET", "/crm/v3/objects/companies", T_PAT, NULL, 0, 0, &st, &hdrs);
    assert_int_equal(st, 477);
    ra = fake_header(hdrs, "Retry-After");
    assert_string_equal(ra, "3");
    free(ra);
    free(hdrs);
    free(b);
    assert_int_equal(fake_stop(g), 0);
}

/* ------------------------------------------------------------------------------------------------ latency */
static ucrm_fake_t *LAT;

static void *one_request(void *arg)
{
    long st;
    free(fake_request_h(LAT, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, &st));
    *(long *)arg = st;
    return NULL;
}

static void test_fake_faults__latency_is_concurrent(void **state)
{
    (void)state;
    LAT = fake_start("--latency-ms", "400", "--threads", "1", NULL);
    assert_non_null(LAT);
    pthread_t th[6];
    long st[6];
    double t0 = now_s();
    for (int i = 0; i < 6; i++)
        pthread_create(&th[i], NULL, one_request, &st[i]);
    for (int i = 0; i < 6; i++)
        pthread_join(th[i], NULL);
    double dt = now_s() - t0;
    for (int i = 0; i < 6; i++)
        assert_int_equal(st[i], 200);
    /* serialised, six requests would take 2.4 s; concurrently about 0.4 s */
    assert_true(dt >= 0.39);
    assert_true(dt < 1.6);
    /* control requests are not delayed */
    t0 = now_s();
    free(fake_stats(LAT));
    assert_true(now_s() - t0 < 0.3);
    assert_int_equal(fake_stop(LAT), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fake_faults__status_faults, t_fake_reset),
        cmocka_unit_test_setup(test_fake_faults__reset_and_timeout, t_fake_reset),
        cmocka_unit_test_setup(test_fake_faults__before_versus_after, t_fake_reset),
        cmocka_unit_test_setup(test_fake_faults__migration_477_retry_after, t_fake_reset),
        cmocka_unit_test(test_fake_faults__latency_is_concurrent),
    };
    return cmocka_run_group_tests(tests, group_setup, t_fake_stop);
}
