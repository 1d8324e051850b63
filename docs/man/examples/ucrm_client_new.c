#include <stdio.h>
#include <stdlib.h>
#include <unicrm/unicrm.h>

int main(void) {
    ucrm_error_t *err = NULL;
    ucrm_client_t *crm = NULL;
    ucrm_conf_t *conf = ucrm_conf_new();
    if (!conf)
        return 1;
    if (ucrm_conf_set(conf, "provider", "hubspot", &err) < 0 ||
        ucrm_conf_set(conf, "auth.access.token", getenv("HUBSPOT_TOKEN"), &err) < 0 ||
        ucrm_client_new(&crm, conf, &err) < 0) /* copies conf; no network I/O yet */
        fprintf(stderr, "%s: %s\n", ucrm_err_name(ucrm_error_code(err)), ucrm_error_message(err));
    ucrm_conf_destroy(conf); /* whether or not the client was created */
    ucrm_error_destroy(err);
    /* ... use crm from any number of threads ... */
    ucrm_client_destroy(crm);
    return crm ? 0 : 1;
}
