/*
 * providers.c -- the adapter registry. Each adapter defines a const vtable (providers/<name>/) and is listed
 * here; an adapter that is not compiled in is simply absent (ucrm_client_new() then reports NOT_BUILT_IN).
 */
#include "provider_int.h"

#include <pthread.h>

/* The Makefile defines UCRM_WITH_<NAME> for every providers/<name>/ that has sources. (Strong references: a
 * weak one would not pull the adapter out of the static archive.) */
#ifdef UCRM_WITH_HUBSPOT
extern const ucrm_provider_t ucrm__provider_hubspot;
#endif
#ifdef UCRM_WITH_SALESFORCE
extern const ucrm_provider_t ucrm__provider_salesforce;
#endif

static const ucrm_provider_t *const builtin[] = {
#ifdef UCRM_WITH_HUBSPOT
    &ucrm__provider_hubspot,
#endif
#ifdef UCRM_WITH_SALESFORCE
    &ucrm__provider_salesforce,
#endif
    NULL,
};

static const ucrm_provider_t *test_provider; /* tests only */
static pthread_mutex_t test_lock = PTHREAD_MUTEX_INITIALIZER;

const ucrm_provider_t *ucrm_provider__find(const char *name) {
    if (!name)
        return NULL;
    /* A registered test provider overrides the built-in one of the same name (tests of the core contracts). */
    pthread_mutex_lock(&test_lock);
    const ucrm_provider_t *t = test_provider;
    pthread_mutex_unlock(&test_lock);
    if (t && ucrm__streq(t->name, name))
        return t;
    for (size_t i = 0; builtin[i]; i++)
        if (ucrm__streq(builtin[i]->name, name))
            return builtin[i];
    return NULL;
}

void ucrm_provider__register_test(const ucrm_provider_t *p) {
    pthread_mutex_lock(&test_lock);
    test_provider = p;
    pthread_mutex_unlock(&test_lock);
}
