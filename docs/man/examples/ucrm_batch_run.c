#include <stdio.h>
#include <unicrm/unicrm.h>

int main(void) {
    ucrm_client_t *crm = NULL; /* from ucrm_client_new() */
    ucrm_batch_t *batch = NULL;
    ucrm_error_t *err = NULL;
    const char *emails[] = {"a@example.com", "b@example.com", "c@example.com"};
    ucrm_err_t rc = ucrm_batch_new(&batch, UCRM_OBJECT_CONTACT, UCRM_BATCH_UPSERT);
    if (rc == UCRM_OK)
        rc = ucrm_batch_set_key_field(batch, "email");
    for (size_t i = 0; rc == UCRM_OK && i < 3; i++) {
        ucrm_record_t *rec = NULL;
        rc = ucrm_record_new(&rec, UCRM_OBJECT_CONTACT);
        if (rc == UCRM_OK)
            rc = ucrm_record_set_string(rec, "email", emails[i]);
        if (rc == UCRM_OK)
            rc = ucrm_batch_add(batch, rec); /* copies rec */
        ucrm_record_destroy(rec);
    }
    if (rc == UCRM_OK)
        rc = ucrm_batch_run(crm, batch, NULL, &err);
    for (size_t i = 0; (rc == UCRM_OK || rc == UCRM_ERR_PARTIAL) && i < ucrm_batch_count(batch); i++) {
        const char *id = NULL;
        const ucrm_error_t *item = NULL; /* borrowed from the batch */
        if (ucrm_batch_result(batch, i, &id, &item) == UCRM_OK)
            printf("%s -> %s\n", emails[i], id);
        else
            printf("%s failed: %s\n", emails[i], ucrm_error_message(item));
    }
    ucrm_error_destroy(err);
    ucrm_batch_destroy(batch);
    return rc < 0 && rc != UCRM_ERR_PARTIAL;
}
