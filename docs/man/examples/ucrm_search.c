#include <stdio.h>
#include <unicrm/unicrm.h>

int main(void) {
    ucrm_client_t *crm = NULL; /* from ucrm_client_new() */
    ucrm_iter_t *it = NULL;
    ucrm_record_t *rec = NULL;
    ucrm_error_t *err = NULL;
    ucrm_err_t rc = ucrm_search(crm, UCRM_OBJECT_CONTACT, "email", "ada@example.com", NULL, &it, &err);
    while (rc == UCRM_OK && (rc = ucrm_iter_next(it, &rec, &err)) == UCRM_OK) {
        printf("match: %s\n", ucrm_record_id(rec));
        ucrm_record_destroy(rec);
    }
    if (rc < 0)
        fprintf(stderr, "search: %s\n", ucrm_error_message(err));
    ucrm_error_destroy(err);
    ucrm_iter_destroy(it); /* before the client */
    return rc < 0;
}
