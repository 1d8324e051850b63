#include <stdio.h>
#include <unicrm/unicrm.h>

/* Counts the deals, one page per call (fewer crossings for a language binding). */
int main(void) {
    ucrm_client_t *crm = NULL; /* from ucrm_client_new() */
    ucrm_iter_t *it = NULL;
    ucrm_records_t *page = NULL;
    ucrm_error_t *err = NULL;
    size_t total = 0;
    ucrm_err_t rc = ucrm_list(crm, UCRM_OBJECT_DEAL, NULL, &it, &err);
    while (rc == UCRM_OK && (rc = ucrm_iter_next_page(it, &page, &err)) == UCRM_OK) {
        total += ucrm_records_count(page);
        ucrm_records_destroy(page); /* and the records it holds */
    }
    printf("%zu deals (%s)\n", total, rc == UCRM_ITEROVER ? "complete" : ucrm_error_message(err));
    ucrm_error_destroy(err);
    ucrm_iter_destroy(it);
    return rc < 0;
}
