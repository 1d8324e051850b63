/*
 * list_contacts.c -- print every contact of a CRM account: id, email and name, one per line.
 *
 *   cc list_contacts.c $(pkg-config --cflags --libs unicrm) -o list_contacts
 *   UCRM_PROVIDER=hubspot UCRM_ACCESS_TOKEN=... ./list_contacts [MAX]
 *
 * The connection comes from environment variables (the same ones `ucrm` reads): UCRM_PROVIDER, UCRM_API_URL,
 * UCRM_TOKEN_URL, UCRM_ACCESS_TOKEN, UCRM_REFRESH_TOKEN, UCRM_CLIENT_ID, UCRM_CLIENT_SECRET.
 * Valid C (C99 and later) and C++ (C++11 and later): it is built both ways by tests/test_install.sh.
 */
#include <stdio.h>
#include <stdlib.h>

#include <unicrm/unicrm.h>

static const char *const env_keys[][2] = {
    {"UCRM_PROVIDER", "provider"},           {"UCRM_API_URL", "api.url"},
    {"UCRM_TOKEN_URL", "auth.token.url"},    {"UCRM_ACCESS_TOKEN", "auth.access.token"},
    {"UCRM_REFRESH_TOKEN", "auth.refresh.token"}, {"UCRM_CLIENT_ID", "auth.client.id"},
    {"UCRM_CLIENT_SECRET", "auth.client.secret"},
};

/* Prints the error and returns 1 (for `return fail(...)`). */
static int fail(const char *what, ucrm_err_t rc, ucrm_error_t *err) {
    fprintf(stderr, "%s: %s (%s)\n", what, err ? ucrm_error_message(err) : ucrm_err_str(rc), ucrm_err_name(rc));
    ucrm_error_destroy(err);
    return 1;
}

static const char *field(const ucrm_record_t *rec, const char *name) {
    const char *v = NULL;
    return ucrm_record_get_string(rec, name, &v) == UCRM_OK ? v : "-";
}

int main(int argc, char **argv) {
    long max = argc > 1 ? strtol(argv[1], NULL, 10) : -1;
    ucrm_error_t *err = NULL;
    ucrm_conf_t *conf = ucrm_conf_new();
    if (!conf)
        return fail("ucrm_conf_new", UCRM_ERR_NOMEM, NULL);
    for (size_t i = 0; i < sizeof env_keys / sizeof env_keys[0]; i++) {
        const char *v = getenv(env_keys[i][0]);
        ucrm_err_t rc = v && *v ? ucrm_conf_set(conf, env_keys[i][1], v, &err) : UCRM_OK;
        if (rc < 0) {
            ucrm_conf_destroy(conf);
            return fail(env_keys[i][0], rc, err);
        }
    }
    ucrm_client_t *crm = NULL;
    ucrm_err_t rc = ucrm_client_new(&crm, conf, &err);
    ucrm_conf_destroy(conf); /* the client keeps its own copy */
    if (rc < 0)
        return fail("ucrm_client_new", rc, err);

    ucrm_reqopts_t *opts = NULL;
    ucrm_iter_t *it = NULL;
    rc = ucrm_reqopts_new(&opts);
    if (rc == UCRM_OK)
        rc = ucrm_reqopts_set_fields(opts, "email,first_name,last_name");
    if (rc == UCRM_OK)
        rc = ucrm_list(crm, UCRM_OBJECT_CONTACT, opts, &it, &err);
    long n = 0;
    while (rc == UCRM_OK && (max < 0 || n < max)) {
        ucrm_record_t *rec = NULL;
        rc = ucrm_iter_next(it, &rec, &err); /* fetches the next page when needed */
        if (rc != UCRM_OK)
            break;
        printf("%s\t%s\t%s %s\n", ucrm_record_id(rec), field(rec, "email"), field(rec, "first_name"),
               field(rec, "last_name"));
        ucrm_record_destroy(rec);
        n++;
    }
    int status = rc < 0 ? fail("listing contacts", rc, err) : 0;
    if (status == 0)
        fprintf(stderr, "%ld contacts\n", n);
    ucrm_iter_destroy(it); /* before the client */
    ucrm_reqopts_destroy(opts);
    ucrm_client_destroy(crm);
    return status;
}
