#include <stdio.h>
#include <string.h>
#include <unicrm/unicrm.h>

int main(void) {
    ucrm_client_t *crm = NULL; /* from ucrm_client_new() */
    ucrm_record_t *rec = NULL;
    ucrm_error_t *err = NULL;
    const char *json = "{\"email\":\"ada@example.com\",\"first_name\":\"Ada\",\"last_name\":\"Lovelace\"}";
    ucrm_err_t rc = ucrm_record_new_from_json(&rec, UCRM_OBJECT_CONTACT, json, strlen(json), &err);
    if (rc == UCRM_OK)
        rc = ucrm_upsert(crm, rec, "email", NULL, &err); /* create, or update the contact with this e-mail */
    if (rc == UCRM_OK)
        printf("contact %s\n", ucrm_record_id(rec));
    else if (rc == UCRM_ERR_CONFLICT)
        printf("several contacts match: %s\n", ucrm_error_details(err));
    ucrm_error_destroy(err);
    ucrm_record_destroy(rec);
    return rc < 0;
}
