/*
 * test_confdoc.c -- docs/CONFIGURATION.md is generated from the property table; this fails when the checked-in
 * file is stale (run from the repository root, as `make check` does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "helpers/confdoc.h"

#define DOC_PATH "docs/CONFIGURATION.md"

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap + 1);
    assert_non_null(s);
    size_t got;
    while ((got = fread(s + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            s = realloc(s, cap + 1);
            assert_non_null(s);
        }
    }
    fclose(f);
    s[n] = '\0';
    *len = n;
    return s;
}

static void test_confdoc__up_to_date(void **state) {
    (void)state;
    char *want = confdoc_render();
    assert_non_null(want);
    size_t len = 0;
    char *have = read_file(DOC_PATH, &len);
    if (!have)
        fail_msg(DOC_PATH " is missing (run the test from the repository root); run `make docs` and commit it");
    if (len != strlen(want) || memcmp(have, want, len) != 0) {
        size_t i = 0, line = 1;
        while (i < len && want[i] && have[i] == want[i])
            line += have[i++] == '\n';
        fail_msg(DOC_PATH " is stale (first difference on line %zu): run `make docs` and commit the result", line);
    }
    free(have);
    ucrm_free(want);
}

/* Every property and every type appears in the document. */
static void test_confdoc__lists_every_property(void **state) {
    (void)state;
    char *doc = confdoc_render();
    assert_non_null(doc);
    for (int p = 0; p < UCRM_P__COUNT; p++) {
        char heading[128];
        snprintf(heading, sizeof heading, "\n### `%s`\n", ucrm_props[p].name);
        const char *at = strstr(doc, heading);
        if (!at)
            fail_msg("no section for %s", ucrm_props[p].name);
        assert_null(strstr(at + 1, heading)); /* exactly once */
    }
    assert_non_null(strstr(doc, "## Field mappings: `mapping.<object>.<field>`"));
    assert_non_null(strstr(doc, "## Custom fields"));
    assert_non_null(strstr(doc, "| contact | `first_name`"));
    assert_non_null(strstr(doc, "custom.&lt;field&gt;")); /* descriptions are escaped, not raw HTML */
    ucrm_free(doc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_confdoc__up_to_date),
        cmocka_unit_test(test_confdoc__lists_every_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
