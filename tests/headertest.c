/* Compiles the public headers alone, as strict C99 (and C89 with -DUCRM_HEADERTEST_C89): any construct that
 * is not plain portable C (inline functions, // comments, trailing enum commas, mixed declarations) fails. */
#include <unicrm/unicrm.h>
#include <unicrm/sys/transport.h>

int headertest_version_matches(void);
int headertest_version_matches(void) {
    return UCRM_AT_LEAST_VERSION(1, 0, 0) && ucrm_version() == UCRM_VERSION_NUM;
}
