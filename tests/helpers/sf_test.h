/*
 * sf_test.h -- small helpers for the Salesforce adapter's tests against unicrm-fake (tests/test_salesforce_*.c).
 * Include after <cmocka.h>.
 */
#ifndef UCRM_TESTS_SF_TEST_H
#define UCRM_TESTS_SF_TEST_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicrm/unicrm.h>

#include "helpers/fake.h"

/* Custom fields every Salesforce test fake declares. */
#define SFT_CUSTOM_FIELDS                                                                                      \
    "Contact.External_Id__c:externalid,Contact.Lifecycle_Stage__c,Contact.Score__c:double,"                    \
    "Account.External_Id__c:externalid,Opportunity.External_Id__c:externalid"

static inline void sft_set(ucrm_conf_t *conf, const char *k, const char *v) {
    ucrm_error_t *e = NULL;
    if (ucrm_conf_set(conf, k, v, &e) != UCRM_OK)
        print_message("conf %s=%s: %s\n", k, v ? v : "(null)", ucrm_error_message(e));
    assert_null(e);
}

/* A conf for the fake's Salesforce with the refresh-token flow; extra: NULL-terminated key, value pairs. */
static inline ucrm_conf_t *sft_conf(const ucrm_fake_t *f, const char *const *extra) {
    ucrm_conf_t *conf = ucrm_conf_new();
    sft_set(conf, "provider", "salesforce");
    sft_set(conf, "auth.token.url", fake_url(f));
    sft_set(conf, "auth.refresh.token", "test-refresh");
    sft_set(conf, "auth.client.id", "test-client");
    sft_set(conf, "auth.client.secret", "test-secret");
    sft_set(conf, "retry.backoff.ms", "1");
    sft_set(conf, "retry.backoff.max.ms", "5");
    for (size_t i = 0; extra && extra[i]; i += 2)
        sft_set(conf, extra[i], extra[i + 1]);
    return conf;
}

static inline ucrm_client_t *sft_client(const ucrm_fake_t *f, const char *const *extra) {
    ucrm_conf_t *conf = sft_conf(f, extra);
    ucrm_client_t *c = NULL;
    ucrm_error_t *e = NULL;
    if (ucrm_client_new(&c, conf, &e) != UCRM_OK)
        print_message("client: %s\n", ucrm_error_message(e));
    assert_non_null(c);
    ucrm_error_destroy(e);
    ucrm_conf_destroy(conf);
    return c;
}

/* Asserts rc == want, printing the error's message otherwise; destroys *e. */
static inline void sft_want(ucrm_err_t rc, ucrm_error_t **e, ucrm_err_t want) {
    if (rc != want)
        print_message("got %s (%s), want %s\n", ucrm_err_name(rc), ucrm_error_message(*e), ucrm_err_name(want));
    assert_int_equal(rc, want);
    ucrm_error_destroy(*e);
    *e = NULL;
}
#define sft_ok(rc, e) sft_want((rc), (e), UCRM_OK)

/* POST /__fake/records/salesforce/<object> with a JSON array; returns the ids (cJSON array, caller deletes). */
static inline cJSON *sft_seed(const ucrm_fake_t *f, const char *object, const char *json_array) {
    char path[128];
    long st = 0;
    snprintf(path, sizeof path, "/__fake/records/salesforce/%s", object);
    char *b = fake_request(f, "POST", path, json_array, &st);
    if (st != 201)
        print_message("seed %s -> %ld: %.300s\n", object, st, b ? b : "");
    assert_int_equal(st, 201);
    cJSON *j = cJSON_Parse(b);
    free(b);
    cJSON *ids = cJSON_DetachItemFromObject(j, "ids");
    cJSON_Delete(j);
    assert_true(cJSON_IsArray(ids));
    return ids;
}

/* The fake's stored record (all fields) of object with Id id (cJSON object, caller deletes), or NULL. */
static inline cJSON *sft_stored(const ucrm_fake_t *f, const char *object, const char *id) {
    char path[128];
    long st = 0;
    snprintf(path, sizeof path, "/__fake/records/salesforce/%s", object);
    char *b = fake_request(f, "GET", path, NULL, &st);
    assert_int_equal(st, 200);
    cJSON *j = cJSON_Parse(b);
    free(b);
    cJSON *recs = cJSON_GetObjectItem(j, "records"), *r, *found = NULL;
    cJSON_ArrayForEach(r, recs) {
        const cJSON *rid = cJSON_GetObjectItem(r, "Id");
        if (cJSON_IsString(rid) && strcmp(rid->valuestring, id) == 0) {
            found = cJSON_Duplicate(r, 1);
            break;
        }
    }
    cJSON_Delete(j);
    return found;
}

static inline const char *sft_str(const ucrm_record_t *r, const char *field) {
    const char *s = NULL;
    ucrm_err_t rc = ucrm_record_get_string(r, field, &s);
    if (rc != UCRM_OK)
        print_message("get_string %s: %s\n", field, ucrm_err_name(rc));
    assert_int_equal(rc, UCRM_OK);
    return s;
}

/* ucrm_record_get_json as a parsed tree (caller deletes). */
static inline cJSON *sft_json(const ucrm_record_t *r, const char *field) {
    char *s = NULL;
    assert_int_equal(ucrm_record_get_json(r, field, &s), UCRM_OK);
    cJSON *j = cJSON_Parse(s);
    ucrm_free(s);
    assert_non_null(j);
    return j;
}

#endif /* UCRM_TESTS_SF_TEST_H */
