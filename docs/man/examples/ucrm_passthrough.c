#include <stdio.h>
#include <unicrm/unicrm.h>

/* Reads the Salesforce org's API limits: same token, rate limiter and retries as the unified calls. */
int main(void) {
    ucrm_client_t *crm = NULL; /* from ucrm_client_new() with provider=salesforce */
    ucrm_response_t *resp = NULL;
    ucrm_error_t *err = NULL;
    size_t len = 0;
    ucrm_err_t rc = ucrm_passthrough(crm, "GET", "/services/data/{version}/limits", NULL, 0, NULL, &resp, &err);
    if (rc == UCRM_OK && ucrm_response_status(resp) == 200)
        printf("%s\n", ucrm_response_body(resp, &len));
    else if (rc == UCRM_OK)
        printf("HTTP %d\n", ucrm_response_status(resp)); /* an answer, but not a success */
    else
        fprintf(stderr, "no answer: %s\n", ucrm_error_message(err));
    ucrm_response_destroy(resp);
    ucrm_error_destroy(err);
    return rc < 0;
}
