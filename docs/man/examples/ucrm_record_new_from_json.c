#include <stdio.h>
#include <string.h>
#include <unicrm/unicrm.h>

int main(void) {
    const char *json = "{\"name\":\"Acme\",\"employee_count\":250,\"custom.Tier__c\":\"gold\"}";
    ucrm_record_t *acct = NULL;
    ucrm_error_t *err = NULL;
    int64_t n = 0;
    char *out = NULL;
    ucrm_err_t rc = ucrm_record_new_from_json(&acct, UCRM_OBJECT_ACCOUNT, json, strlen(json), &err);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", ucrm_err_name(rc), ucrm_error_message(err)); /* e.g. an unknown field */
        ucrm_error_destroy(err);
        return 1;
    }
    if (ucrm_record_get_int64(acct, "employee_count", &n) == UCRM_OK)
        printf("%lld employees\n", (long long)n);
    if (ucrm_record_to_json(acct, &out) == UCRM_OK)
        printf("%s\n", out);
    ucrm_free(out);
    ucrm_record_destroy(acct);
    return 0;
}
