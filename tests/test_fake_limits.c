/*
 * test_fake_limits.c -- budgets of unicrm-fake: HubSpot's rolling window (429 at the budget and not before,
 * rejected requests not counted, recovery), the search window, the daily headers, token requests outside the
 * window; Salesforce's daily budget (403 REQUEST_LIMIT_EXCEEDED, Sforce-Limit-Info, /limits).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <time.h>

#include "helpers/fake_test.h"

static ucrm_fake_t *F;

static int group_setup(void **state)
{
    /* windows long enough that a loaded machine cannot slip requests out of them during a test */
    F = fake_start("--hubspot-rate", "10/4000", "--hubspot-search-rate", "5/3000", "--hubspot-daily", "14",
                   "--salesforce-daily", "5", NULL);
    *state = F;
    return F ? 0 : -1;
}

static long hdr_long(const char *hdrs, const char *name)
{
    char *v = fake_header(hdrs, name);
    long n = v ? atol(v) : -1;
    free(v);
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_fake_limits__hubspot_rolling_window(void **state)
{
    (void)state;
    char *h = NULL;
    /* token requests are not counted in the window */
    for (int i = 0; i < 3; i++)
        free(fake_hubspot_token(F));
    for (int i = 0; i < 10; i++) {
        cJSON_Delete(t_call_h(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 200, &h));
        assert_int_equal(hdr_long(h, "X-HubSpot-RateLimit-Max"), 10);
        assert_int_equal(hdr_long(h, "X-HubSpot-RateLimit-Interval-Milliseconds"), 4000);
        assert_int_equal(hdr_long(h, "X-HubSpot-RateLimit-Remaining"), 9 - i);
        assert_int_equal(hdr_long(h, "X-HubSpot-RateLimit-Daily"), 14);
        assert_int_equal(hdr_long(h, "X-HubSpot-RateLimit-Daily-Remaining"), 13 - i);
        free(h);
    }
    cJSON *e = t_call_h(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 429, &h);
    assert_string_equal(t_str(e, "policyName"), "TEN_SECONDLY_ROLLING");
    assert_string_equal(t_str(e, "errorType"), "RATE_LIMIT");
    assert_string_equal(t_str(e, "message"), "You have reached your ten_secondly_rolling limit.");
    assert_non_null(t_str(e, "correlationId"));
    assert_non_null(t_str(e, "requestId"));
    assert_int_equal(hdr_long(h, "X-HubSpot-RateLimit-Remaining"), 0);
    free(h);
    cJSON_Delete(e);
    /* 429s do not use up budget: several more rejections, then the window rolls and 10 pass again */
    for (int i = 0; i < 3; i++)
        cJSON_Delete(t_call(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 429));
    assert_int_equal(fake_stat(F, "hubspot.429"), 4);
    assert_int_equal(fake_stat(F, "hubspot.window_used"), 10);
    /* control requests never count */
    for (int i = 0; i < 5; i++)
        free(fake_stats(F));
    sleep_ms(4100);
    cJSON_Delete(t_call_h(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 200, &h));
    assert_int_equal(hdr_long(h, "X-HubSpot-RateLimit-Remaining"), 9);
    free(h);
    assert_int_equal(fake_stat(F, "hubspot.daily_used"), 11);
    /* the daily budget (14) runs out before the window: 429 DAILY */
    for (int i = 0; i < 3; i++)
        cJSON_Delete(t_call(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 200));
    e = t_call(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 429);
    assert_string_equal(t_str(e, "policyName"), "DAILY");
    assert_string_equal(t_str(e, "message"), "You have reached your daily limit.");
    cJSON_Delete(e);
    /* OAuth apps have no daily limit */
    char *tok = fake_hubspot_token(F);
    char line[400];
    const char *hh[3];
    t_bearer(tok, line, sizeof line, hh);
    cJSON_Delete(t_call_h(F, "GET", "/crm/v3/objects/contacts", hh, NULL, 200, &h));
    assert_int_equal(hdr_long(h, "X-HubSpot-RateLimit-Daily"), -1);
    free(h);
    free(tok);
}

static void test_fake_limits__hubspot_search_window(void **state)
{
    (void)state;
    char *h = NULL;
    for (int i = 0; i < 5; i++) {
        cJSON_Delete(t_call_h(F, "POST", "/crm/v3/objects/contacts/search", T_PAT, "{}", 200, &h));
        assert_int_equal(hdr_long(h, "X-HubSpot-RateLimit-Max"), -1); /* search carries no rate headers */
        free(h);
    }
    cJSON *e = t_call(F, "POST", "/crm/v3/objects/contacts/search", T_PAT, "{}", 429);
    assert_string_equal(t_str(e, "message"), "You have reached your secondly limit.");
    assert_string_equal(t_str(e, "policyName"), "SECONDLY");
    cJSON_Delete(e);
    assert_int_equal(fake_stat(F, "hubspot.search_429"), 1);
    assert_int_equal(fake_stat(F, "hubspot.search_requests"), 6);
    /* searches do not use the 10-second window, but they are API calls for the daily budget */
    assert_int_equal(fake_stat(F, "hubspot.window_used"), 0);
    assert_int_equal(fake_stat(F, "hubspot.daily_used"), 5);
    cJSON_Delete(t_call(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 200));
}

static void test_fake_limits__salesforce_daily(void **state)
{
    (void)state;
    char *tok = fake_salesforce_token(F);
    char line[400];
    const char *h[3];
    t_bearer(tok, line, sizeof line, h);
    char *hd = NULL;
    for (int i = 1; i <= 5; i++) {
        cJSON_Delete(t_call_h(F, "GET", "/services/data/v59.0/sobjects/Contact/003000000000000AAA", h, NULL, 404, &hd));
        char *li = fake_header(hd, "Sforce-Limit-Info"), want[32];
        snprintf(want, sizeof want, "api-usage=%d/5", i);
        assert_string_equal(li, want);
        free(li);
        free(hd);
    }
    cJSON *e = t_call_h(F, "GET", "/services/data/v59.0/limits", h, NULL, 403, &hd);
    assert_string_equal(t_str(e, "0.errorCode"), "REQUEST_LIMIT_EXCEEDED");
    assert_string_equal(t_str(e, "0.message"), "TotalRequests Limit exceeded.");
    char *li = fake_header(hd, "Sforce-Limit-Info");
    assert_string_equal(li, "api-usage=5/5");
    free(li);
    free(hd);
    cJSON_Delete(e);
    assert_int_equal(fake_stat(F, "salesforce.limit_exceeded"), 1);
    /* the allocation is a rolling 24 hours: a day later it is free again */
    assert_int_equal(fake_clock_advance(F, 24LL * 3600 * 1000 + 120000), 0);
    char *tok2 = fake_salesforce_token(F);
    t_bearer(tok2, line, sizeof line, h);
    cJSON *l = t_call(F, "GET", "/services/data/v59.0/limits", h, NULL, 200);
    assert_int_equal((int)t_num(l, "DailyApiRequests.Max"), 5);
    assert_int_equal((int)t_num(l, "DailyApiRequests.Remaining"), 4);
    cJSON_Delete(l);
    free(tok);
    free(tok2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fake_limits__hubspot_rolling_window, t_fake_reset),
        cmocka_unit_test_setup(test_fake_limits__hubspot_search_window, t_fake_reset),
        cmocka_unit_test_setup(test_fake_limits__salesforce_daily, t_fake_reset),
    };
    return cmocka_run_group_tests(tests, group_setup, t_fake_stop);
}
