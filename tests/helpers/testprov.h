/*
 * testprov.h -- a scripted provider for the core's contract tests (see testprov.c for its tiny protocol).
 * While registered it overrides the built-in adapter named "hubspot": tests set provider=hubspot.
 */
#ifndef UCRM_TESTS_TESTPROV_H
#define UCRM_TESTS_TESTPROV_H

void testprov_register(void);
/* The same provider registered as "hubspot" or "salesforce" (overriding that built-in adapter). Its unified_field
 * hook is an identity map: a provider field named like a unified field ("email", "address.city") is that field. */
void testprov_register_as(const char *name);
void testprov_unregister(void);

#include <stdbool.h>

#include "helpers/script.h"
#include <unicrm/unicrm.h>

/* A client of the test provider on a new script (the core's contract tests). */
typedef struct tpfx {
    script_t *s;
    ucrm_conf_t *conf;
    ucrm_client_t *c;
} tpfx_t;

/* Registers the provider and makes the client: provider hubspot, access token "tok", then kv ("key", "value"
 * pairs ending with NULL). Aborts when a key or the client is refused. */
tpfx_t *tp_fx(const char *const *kv);
/* Destroys the client and unregisters the provider; false (after printing why) when the script saw a mismatch. */
bool tp_fx_done(tpfx_t *f);

#endif
