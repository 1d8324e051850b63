/*
 * hstest.h -- shared fixture of the HubSpot adapter tests: a client on the scripted transport (recorded
 * exchanges, tests/data/hubspot/<case>.http) or on the local fake, and small record accessors.
 */
#ifndef UCRM_TESTS_HSTEST_H
#define UCRM_TESTS_HSTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "helpers/script.h"
#include <unicrm/unicrm.h>

typedef struct hsfx {
    script_t *s;           /* NULL when the client talks to a server */
    ucrm_conf_t *conf;
    ucrm_client_t *c;
} hsfx_t;

/* A client on a new script. kv: extra "key", "value" pairs ending with NULL (they override the defaults:
 * provider hubspot, a private-app token pat-na1-test, retry.max 0, rate limiting off). */
hsfx_t *hs_fx(const char *const *kv);
/* A client on a server's base URL (same defaults and overrides, api.url set to base_url). */
hsfx_t *hs_fx_url(const char *base_url, const char *const *kv);
/* Destroys the client; returns false (after printing why) when the script saw a mismatch or has unused
 * exchanges. */
bool hs_fx_done(hsfx_t *f);
/* Loads tests/data/hubspot/<name>.http into the fixture's script. */
void hs_fx_load(hsfx_t *f, const char *name);

/* The string value of a field, or NULL when absent/null/not a string. */
const char *hs_str(const ucrm_record_t *r, const char *field);
/* A field as JSON text in a static buffer ("<absent>" when absent). */
const char *hs_json(const ucrm_record_t *r, const char *field);

#endif
