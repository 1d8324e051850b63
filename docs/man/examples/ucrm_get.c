#include <stdio.h>
#include <unicrm/unicrm.h>

/* Prints a contact's e-mail address; crm was made with ucrm_client_new(). */
int print_email(ucrm_client_t *crm, const char *id) {
    ucrm_reqopts_t *opts = NULL;
    ucrm_record_t *rec = NULL;
    ucrm_error_t *err = NULL;
    const char *email = NULL;
    ucrm_err_t rc = ucrm_reqopts_new(&opts);
    if (rc == UCRM_OK)
        rc = ucrm_reqopts_set_fields(opts, "email,first_name"); /* read only what is needed */
    if (rc == UCRM_OK)
        rc = ucrm_get(crm, UCRM_OBJECT_CONTACT, id, opts, &rec, &err);
    if (rc == UCRM_ERR_NOT_FOUND)
        printf("no contact %s\n", id);
    else if (rc < 0)
        fprintf(stderr, "get: %s\n", ucrm_error_message(err));
    else if (ucrm_record_get_string(rec, "email", &email) == UCRM_OK)
        printf("%s\n", email); /* borrowed from rec */
    ucrm_error_destroy(err);
    ucrm_record_destroy(rec);
    ucrm_reqopts_destroy(opts);
    return rc < 0;
}

int main(void) { return print_email(NULL, "42") == 0; }
