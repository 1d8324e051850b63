/*
 * fake_test.h -- small inline helpers for the cmocka tests of unicrm-fake (tests/test_fake_*.c).
 * Include after <cmocka.h>.
 */
#ifndef UCRM_TESTS_FAKE_TEST_H
#define UCRM_TESTS_FAKE_TEST_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/fake.h"

static const char *const T_PAT[] = {"Authorization: Bearer pat-test", NULL};

/* Follows "a.b.0.c" through objects and arrays. */
static inline const cJSON *t_at(const cJSON *j, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = j;
    char *save = NULL;
    for (char *k = strtok_r(buf, ".", &save); k && cur; k = strtok_r(NULL, ".", &save)) {
        if (cJSON_IsArray(cur) && k[0] >= '0' && k[0] <= '9')
            cur = cJSON_GetArrayItem(cur, atoi(k));
        else
            cur = cJSON_GetObjectItemCaseSensitive(cur, k);
    }
    return cur;
}

static inline const char *t_str(const cJSON *j, const char *path)
{
    const cJSON *v = t_at(j, path);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static inline double t_num(const cJSON *j, const char *path)
{
    const cJSON *v = t_at(j, path);
    return cJSON_IsNumber(v) ? v->valuedouble : -12345.0;
}

static inline int t_len(const cJSON *j, const char *path)
{
    const cJSON *v = path ? t_at(j, path) : j;
    return cJSON_IsArray(v) || cJSON_IsObject(v) ? cJSON_GetArraySize(v) : -1;
}

/* Sends a request, checks the status, returns the parsed body (NULL when empty). */
static inline cJSON *t_call(const ucrm_fake_t *f, const char *method, const char *path, const char *const *hdrs,
                            const char *body, long expect)
{
    long st = 0;
    char *b = fake_request_h(f, method, path, hdrs, body, &st);
    if (st != expect)
        print_message("%s %s -> %ld (want %ld): %s\n", method, path, st, expect, b ? b : "(no body)");
    assert_int_equal(st, expect);
    cJSON *j = b && *b ? cJSON_Parse(b) : NULL;
    if (b && *b && !j)
        print_message("%s %s: body is not JSON: %.200s\n", method, path, b);
    free(b);
    return j;
}

/* Like t_call, also returns the response headers (malloc'd). */
static inline cJSON *t_call_h(const ucrm_fake_t *f, const char *method, const char *path, const char *const *hdrs,
                              const char *body, long expect, char **resp_headers)
{
    long st = 0;
    char *b = fake_request_full(f, method, path, hdrs, body, body ? strlen(body) : 0, 0, &st, resp_headers);
    if (st != expect)
        print_message("%s %s -> %ld (want %ld): %s\n", method, path, st, expect, b ? b : "(no body)");
    assert_int_equal(st, expect);
    cJSON *j = b && *b ? cJSON_Parse(b) : NULL;
    free(b);
    return j;
}

/* A test_fake_* program's group setup starts its fake and makes it the group state (*state = F = fake_start(...));
 * then t_fake_stop is its group teardown and t_fake_reset the setup of each case. */
static inline int t_fake_stop(void **state)
{
    return fake_stop(*state) == 0 ? 0 : -1;
}

static inline int t_fake_reset(void **state)
{
    return fake_reset(*state);
}

/* "Authorization: Bearer <token>" header list in caller storage. */
static inline const char *const *t_bearer(const char *token, char *line, size_t cap, const char *hdrs[3])
{
    snprintf(line, cap, "Authorization: Bearer %s", token);
    hdrs[0] = line;
    hdrs[1] = NULL;
    return hdrs;
}

/* t_fake_reset, then a new Salesforce access token from the fake as a header list in caller storage (t_bearer). */
static inline int t_fake_reset_sf(void **state, char *line, size_t cap, const char *hdrs[3])
{
    if (t_fake_reset(state))
        return -1;
    char *t = fake_salesforce_token(*state);
    if (!t)
        return -1;
    t_bearer(t, line, cap, hdrs);
    free(t);
    return 0;
}

#endif /* UCRM_TESTS_FAKE_TEST_H */
