/*
 * create_contact.c -- create a contact, read it back, change it, and (with --delete) delete it again.
 *
 *   cc create_contact.c $(pkg-config --cflags --libs unicrm) -o create_contact
 *   UCRM_PROVIDER=hubspot UCRM_ACCESS_TOKEN=... ./create_contact ada@example.com Ada Lovelace [--delete]
 *
 * Connection from the environment, as in list_contacts.c. Valid C and C++ (built both ways by the tests).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicrm/unicrm.h>

static const char *const env_keys[][2] = {
    {"UCRM_PROVIDER", "provider"},           {"UCRM_API_URL", "api.url"},
    {"UCRM_TOKEN_URL", "auth.token.url"},    {"UCRM_ACCESS_TOKEN", "auth.access.token"},
    {"UCRM_REFRESH_TOKEN", "auth.refresh.token"}, {"UCRM_CLIENT_ID", "auth.client.id"},
    {"UCRM_CLIENT_SECRET", "auth.client.secret"},
};

static int report(const char *what, ucrm_err_t rc, ucrm_error_t *err) {
    fprintf(stderr, "%s: %s (%s", what, err ? ucrm_error_message(err) : ucrm_err_str(rc), ucrm_err_name(rc));
    if (ucrm_error_http_status(err))
        fprintf(stderr, ", HTTP %d", ucrm_error_http_status(err));
    if (rc == UCRM_ERR_CONFLICT && *ucrm_error_existing_id(err))
        fprintf(stderr, ", existing record %s", ucrm_error_existing_id(err));
    if (ucrm_error_write_state(err) == UCRM_WRITE_UNKNOWN)
        fputs(", the write may have been applied", stderr);
    fputs(")\n", stderr);
    ucrm_error_destroy(err);
    return 1;
}

static ucrm_client_t *connect_from_env(void) {
    ucrm_error_t *err = NULL;
    ucrm_client_t *crm = NULL;
    ucrm_conf_t *conf = ucrm_conf_new();
    ucrm_err_t rc = conf ? UCRM_OK : UCRM_ERR_NOMEM;
    for (size_t i = 0; rc == UCRM_OK && i < sizeof env_keys / sizeof env_keys[0]; i++) {
        const char *v = getenv(env_keys[i][0]);
        if (v && *v)
            rc = ucrm_conf_set(conf, env_keys[i][1], v, &err);
    }
    if (rc == UCRM_OK)
        rc = ucrm_client_new(&crm, conf, &err);
    ucrm_conf_destroy(conf);
    if (rc < 0)
        report("configuration", rc, err);
    return crm;
}

static void print_json(const char *label, const ucrm_record_t *rec) {
    char *json = NULL;
    if (ucrm_record_to_json(rec, &json) == UCRM_OK)
        printf("%s %s\n", label, json);
    ucrm_free(json); /* what unicrm returns through char ** is freed with ucrm_free() */
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: create_contact EMAIL [FIRST [LAST]] [--delete]\n");
        return 2;
    }
    int del = strcmp(argv[argc - 1], "--delete") == 0;
    if (del)
        argc--;
    ucrm_client_t *crm = connect_from_env();
    if (!crm)
        return 1;
    ucrm_error_t *err = NULL;
    ucrm_record_t *rec = NULL, *back = NULL;
    ucrm_err_t rc = ucrm_record_new(&rec, UCRM_OBJECT_CONTACT);
    if (rc == UCRM_OK)
        rc = ucrm_record_set_string(rec, "email", argv[1]);
    if (rc == UCRM_OK && argc > 2)
        rc = ucrm_record_set_string(rec, "first_name", argv[2]);
    if (rc == UCRM_OK && argc > 3)
        rc = ucrm_record_set_string(rec, "last_name", argv[3]);
    int status = 0;
    if (rc < 0 || (rc = ucrm_create(crm, rec, NULL, &err)) < 0) {
        status = report("create", rc, err);
    } else {
        printf("created %s\n", ucrm_record_id(rec));
        /* read it back, then change one field: update sends only what changed */
        if ((rc = ucrm_get(crm, UCRM_OBJECT_CONTACT, ucrm_record_id(rec), NULL, &back, &err)) < 0)
            status = report("get", rc, err);
        else if ((rc = ucrm_record_set_string(back, "title", "Analyst")) < 0 ||
                 (rc = ucrm_update(crm, back, NULL, &err)) < 0)
            status = report("update", rc, err);
        else
            print_json("updated", back);
        if (status == 0 && del) {
            if ((rc = ucrm_delete(crm, UCRM_OBJECT_CONTACT, ucrm_record_id(rec), NULL, &err)) < 0)
                status = report("delete", rc, err);
            else
                printf("deleted %s\n", ucrm_record_id(rec));
        }
    }
    ucrm_record_destroy(back);
    ucrm_record_destroy(rec);
    ucrm_client_destroy(crm);
    return status;
}
