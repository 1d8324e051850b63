#include <stdio.h>
#include <unicrm/unicrm.h>

/* Prints the names of the accounts changed since a point in time, page by page under the hood. */
int main(void) {
    ucrm_client_t *crm = NULL; /* from ucrm_client_new() */
    ucrm_reqopts_t *opts = NULL;
    ucrm_iter_t *it = NULL;
    ucrm_record_t *rec = NULL;
    ucrm_error_t *err = NULL;
    const char *name;
    ucrm_err_t rc = ucrm_reqopts_new(&opts);
    if (rc == UCRM_OK)
        rc = ucrm_reqopts_set_updated_since(opts, "2026-01-01T00:00:00Z");
    if (rc == UCRM_OK)
        rc = ucrm_list(crm, UCRM_OBJECT_ACCOUNT, opts, &it, &err);
    while (rc == UCRM_OK && (rc = ucrm_iter_next(it, &rec, &err)) == UCRM_OK) {
        if (ucrm_record_get_string(rec, "name", &name) == UCRM_OK)
            printf("%s\n", name);
        ucrm_record_destroy(rec);
    }
    if (rc < 0) /* the same ucrm_iter_next() may be repeated after an error */
        fprintf(stderr, "list: %s\n", ucrm_error_message(err));
    ucrm_error_destroy(err);
    ucrm_iter_destroy(it);
    ucrm_reqopts_destroy(opts);
    return rc < 0;
}
