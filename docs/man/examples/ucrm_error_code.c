#include <stdio.h>
#include <unistd.h>
#include <unicrm/unicrm.h>

/* Retries a read while the error says that is safe, waiting as long as the provider asks. */
ucrm_err_t get_with_retry(ucrm_client_t *crm, const char *id, ucrm_record_t **out) {
    for (int attempt = 0;; attempt++) {
        ucrm_error_t *err = NULL;
        ucrm_err_t rc = ucrm_get(crm, UCRM_OBJECT_CONTACT, id, NULL, out, &err);
        if (rc == UCRM_OK)
            return rc;
        int again = attempt < 3 && ucrm_error_is_retriable(err);
        int64_t wait_ms = ucrm_error_retry_after_ms(err);
        fprintf(stderr, "%s (HTTP %d, provider code '%s', request id '%s'): %s\n", ucrm_err_name(ucrm_error_code(err)),
                ucrm_error_http_status(err), ucrm_error_provider_code(err), ucrm_error_request_id(err),
                ucrm_error_message(err));
        ucrm_error_destroy(err);
        if (!again)
            return rc;
        usleep((useconds_t)(wait_ms > 0 ? wait_ms : 1000) * 1000);
    }
}

int main(void) {
    ucrm_record_t *rec = NULL;
    ucrm_err_t rc = get_with_retry(NULL, "42", &rec);
    ucrm_record_destroy(rec);
    return rc < 0;
}
