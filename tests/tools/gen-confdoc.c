/*
 * gen-confdoc.c -- writes docs/CONFIGURATION.md to stdout (`make docs`). The text comes from
 * tests/helpers/confdoc.c, which tests/test_confdoc.c also uses to check that the checked-in file is current.
 */
#include "helpers/confdoc.h"

#include <unicrm/unicrm.h>

#include <stdio.h>
#include <string.h>

int main(void) {
    char *doc = confdoc_render();
    if (!doc) {
        fputs("gen-confdoc: out of memory\n", stderr);
        return 1;
    }
    size_t n = strlen(doc);
    int ok = fwrite(doc, 1, n, stdout) == n && fflush(stdout) == 0;
    ucrm_free(doc);
    if (!ok) {
        perror("gen-confdoc: write");
        return 1;
    }
    return 0;
}
