/*
 * confdoc.h -- renders docs/CONFIGURATION.md from the property table (src/conf_props.c) and the unified model.
 * Shared by the generator (tests/tools/gen-confdoc.c, `make docs`) and the staleness test (tests/test_confdoc.c),
 * so that both produce byte-for-byte the same text.
 */
#ifndef UCRM_TESTS_CONFDOC_H
#define UCRM_TESTS_CONFDOC_H

/* The whole document, NUL-terminated; free with ucrm_free(). NULL when out of memory. */
char *confdoc_render(void);

#endif /* UCRM_TESTS_CONFDOC_H */
