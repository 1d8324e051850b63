#include <stdio.h>
#include <unicrm/unicrm.h>

int create_deal(ucrm_client_t *crm) {
    ucrm_record_t *deal = NULL;
    ucrm_error_t *err = NULL;
    ucrm_err_t rc = ucrm_record_new(&deal, UCRM_OBJECT_DEAL);
    if (rc == UCRM_OK)
        rc = ucrm_record_set_string(deal, "name", "Annual licence");
    if (rc == UCRM_OK)
        rc = ucrm_record_set_string(deal, "amount", "1500.25"); /* an exact decimal */
    if (rc == UCRM_OK)
        rc = ucrm_record_set_string(deal, "close_date", "2026-12-31");
    if (rc == UCRM_OK)
        rc = ucrm_create(crm, deal, NULL, &err);
    if (rc == UCRM_OK)
        printf("created deal %s\n", ucrm_record_id(deal));
    else if (ucrm_error_write_state(err) == UCRM_WRITE_UNKNOWN)
        fprintf(stderr, "may have been created: look it up before trying again\n");
    else
        fprintf(stderr, "not created: %s\n", ucrm_error_message(err));
    ucrm_error_destroy(err);
    ucrm_record_destroy(deal);
    return rc < 0;
}

int main(void) { return create_deal(NULL) == 0; }
