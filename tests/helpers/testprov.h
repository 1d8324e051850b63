/*
 * testprov.h -- a scripted provider for the core's contract tests (see testprov.c for its tiny protocol).
 * While registered it overrides the built-in adapter named "hubspot": tests set provider=hubspot.
 */
#ifndef UCRM_TESTS_TESTPROV_H
#define UCRM_TESTS_TESTPROV_H

void testprov_register(void);
void testprov_unregister(void);

#endif
