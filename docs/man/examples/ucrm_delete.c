#include <stdio.h>
#include <unicrm/unicrm.h>

int main(void) {
    ucrm_client_t *crm = NULL; /* from ucrm_client_new() */
    ucrm_error_t *err = NULL;
    ucrm_err_t rc = ucrm_delete(crm, UCRM_OBJECT_ACCOUNT, "1234", NULL, &err);
    if (rc == UCRM_ERR_NOT_FOUND)
        rc = UCRM_OK; /* already gone: what we wanted */
    if (rc < 0)
        fprintf(stderr, "delete: %s (retriable: %d)\n", ucrm_error_message(err), ucrm_error_is_retriable(err));
    ucrm_error_destroy(err);
    return rc < 0;
}
