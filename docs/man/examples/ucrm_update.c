#include <unicrm/unicrm.h>

/* Changes one field: only dirty fields are sent. */
ucrm_err_t set_title(ucrm_client_t *crm, const char *contact_id, const char *title, ucrm_error_t **errp) {
    ucrm_record_t *rec = NULL;
    ucrm_err_t rc = ucrm_record_new(&rec, UCRM_OBJECT_CONTACT);
    if (rc == UCRM_OK)
        rc = ucrm_record_set_id(rec, contact_id);
    if (rc == UCRM_OK)
        rc = ucrm_record_set_string(rec, "title", title);
    if (rc == UCRM_OK)
        rc = ucrm_update(crm, rec, NULL, errp); /* a PATCH of "title" only */
    ucrm_record_destroy(rec);
    return rc;
}

int main(void) { return set_title(NULL, "42", "CTO", NULL) == UCRM_OK; }
