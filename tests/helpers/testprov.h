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

#endif
