#include <stdio.h>
#include <unicrm/unicrm.h>

int main(void) {
    ucrm_conf_t *conf = ucrm_conf_new();
    ucrm_error_t *err = NULL;
    char value[64];
    size_t size = sizeof value;
    if (!conf)
        return 1;
    ucrm_conf_set(conf, "provider", "salesforce", NULL);
    if (ucrm_conf_set(conf, "http.timeout.ms", "fast", &err) == UCRM_ERR_CONF_INVALID)
        printf("rejected: %s\n", ucrm_error_message(err)); /* names the key and the expected form */
    ucrm_error_destroy(err);
    if (ucrm_conf_get(conf, "ratelimit.daily", value, &size, NULL) == UCRM_OK)
        printf("ratelimit.daily = %s\n", value); /* the Salesforce default */
    ucrm_conf_destroy(conf);
    return 0;
}
