#include <stdio.h>
#include <string.h>
#include <unicrm/unicrm.h>

/* The application's copy: here one contact, kept as the fingerprint of the values it last applied. */
static const char *held_id = "003A", *held_fp = "f1:00000000000000000000000000000000";

static int lookup(ucrm_object_t object, const char *id, const ucrm_record_t *crm, ucrm_recon_view_t *view,
                  void *opaque) {
    (void)object, (void)crm, (void)opaque;
    if (strcmp(id, held_id) == 0)
        ucrm_recon_view_set_fingerprint(view, held_fp);
    return 0; /* records not described are not held: MISSING */
}

/* One truth pass over contacts since the stored checkpoint; prints the drift and the next checkpoint. */
int main(void) {
    ucrm_client_t *crm = NULL;              /* from ucrm_client_new() */
    const char *checkpoint = NULL;          /* the stored one; NULL the first time: a full pass */
    ucrm_recon_t *r = NULL;
    ucrm_error_t *err = NULL;
    ucrm_err_t rc = ucrm_recon_new(&r, crm, UCRM_OBJECT_CONTACT, checkpoint, NULL, &err);
    if (rc == UCRM_OK)
        rc = ucrm_recon_set_fields(r, "first_name,last_name,email,title", &err);
    if (rc == UCRM_OK)
        rc = ucrm_recon_set_lookup(r, lookup, NULL);
    if (rc == UCRM_OK)
        rc = ucrm_recon_run(r, &err);
    for (size_t i = 0; rc == UCRM_OK && i < ucrm_recon_drift_count(r); i++)
        printf("%s %d\n", ucrm_recon_drift_id(r, i), (int)ucrm_recon_drift_kind(r, i));
    if (rc == UCRM_OK)
        printf("next checkpoint: %s\n", ucrm_recon_checkpoint(r));
    else
        fprintf(stderr, "reconciliation: %s\n", ucrm_error_message(err));
    ucrm_error_destroy(err);
    ucrm_recon_destroy(r);
    return rc < 0;
}
