// Compiles the public headers as C++11 with -Wall -Wextra -pedantic -Werror.
#include <unicrm/unicrm.h>
#include <unicrm/sys/transport.h>

int headertest_cxx(void);
int headertest_cxx(void) {
    ucrm_object_t o = UCRM_OBJECT_CONTACT;
    ucrm_err_t e = UCRM_ERR_NOT_FOUND;
    return static_cast<int>(o) + static_cast<int>(e) + (ucrm_error_code(nullptr) == UCRM_OK ? 0 : 1);
}
