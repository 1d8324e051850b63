/*
 * version.c -- runtime version and feature detection.
 */
#include "common_int.h"
#include "provider_int.h"
#ifdef UCRM_WITH_REDIS
#include "redis_int.h"
#endif

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>

static char curl_name[96];
static pthread_once_t curl_name_once = PTHREAD_ONCE_INIT;

static void curl_name_init(void) {
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    snprintf(curl_name, sizeof curl_name, "libcurl/%s %s", v->version, v->ssl_version ? v->ssl_version : "");
}

UCRM_API int ucrm_version(void) { return UCRM_VERSION_NUM; }

UCRM_API const char *ucrm_version_str(void) { return UCRM_VERSION_STR; }

UCRM_API unsigned int ucrm_features(void) {
    unsigned int f = UCRM_FEATURE_THREADS | UCRM_FEATURE_TLS | UCRM_FEATURE_JWT;
    if (ucrm_provider__find("hubspot"))
        f |= UCRM_FEATURE_HUBSPOT;
    if (ucrm_provider__find("salesforce"))
        f |= UCRM_FEATURE_SALESFORCE;
#ifdef UCRM_WITH_REDIS
    f |= UCRM_FEATURE_REDIS;
#endif
    return f;
}

UCRM_API const char *ucrm_feature_backend(ucrm_feature_t feature) {
    if (!(ucrm_features() & (unsigned int)feature))
        return NULL;
    switch (feature) {
    case UCRM_FEATURE_TLS:
        pthread_once(&curl_name_once, curl_name_init);
        return curl_name;
    case UCRM_FEATURE_JWT:
        return "openssl";
    case UCRM_FEATURE_THREADS:
        return "pthreads";
    case UCRM_FEATURE_REDIS:
#ifdef UCRM_WITH_REDIS
        return ucrm_redis__version();
#else
        return NULL;
#endif
    case UCRM_FEATURE_HUBSPOT:
        return "crm-v3";
    case UCRM_FEATURE_SALESFORCE:
        return "rest";
    }
    return NULL;
}
