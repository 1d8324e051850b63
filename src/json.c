/*
 * json.c -- see json_int.h.
 */
#include "json_int.h"

#include <openssl/crypto.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *ucrm_json__str(const cJSON *obj, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool ucrm_json__i64(const cJSON *obj, const char *key, int64_t *out) {
    return ucrm_json__item_i64(cJSON_GetObjectItemCaseSensitive(obj, key), out);
}

bool ucrm_json__item_i64(const cJSON *v, int64_t *out) {
    if (cJSON_IsString(v))
        return ucrm__parse_i64(v->valuestring, out);
    if (!cJSON_IsNumber(v))
        return false;
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < -9.2233720368547758e18 || d >= 9.2233720368547758e18)
        return false;
    *out = (int64_t)d;
    return true;
}

bool ucrm_json__bool(const cJSON *obj, const char *key, bool *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
        return true;
    }
    if (cJSON_IsString(v)) {
        if (strcmp(v->valuestring, "true") == 0)
            return (*out = true);
        if (strcmp(v->valuestring, "false") == 0)
            return !(*out = false);
    }
    return false;
}

static bool num_text(double v, char out[40]);

bool ucrm_json__num_text(double v, char out[40]) {
    if (!isfinite(v))
        return false;
    locale_t old = ucrm__c_locale_enter();
    bool ok = num_text(v, out);
    ucrm__c_locale_leave(old);
    return ok;
}

static bool num_text(double v, char out[40]) {
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, 40, "%.0f", v);
        return true;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, 40, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            break;
    }
    if (!strchr(out, 'e'))
        return true;
    /* plain notation: %f with enough decimals, trailing zeros trimmed */
    snprintf(out, 40, "%.17f", v);
    char *dot = strchr(out, '.');
    if (dot) {
        char *end = out + strlen(out) - 1;
        while (end > dot && *end == '0')
            *end-- = '\0';
        if (end == dot)
            *end = '\0';
    }
    return true;
}

bool ucrm_json__form_add(ucrm_buf_t *body, const char *key, const char *value) {
    if (body->len)
        ucrm_buf__putc(body, '&');
    ucrm_buf__urlencode(body, key, strlen(key));
    ucrm_buf__putc(body, '=');
    return ucrm_buf__urlencode(body, value, strlen(value));
}

static void wipe_strings(cJSON *j) {
    for (; j; j = j->next) {
        if (j->valuestring)
            OPENSSL_cleanse(j->valuestring, strlen(j->valuestring));
        if (j->string && !(j->type & cJSON_StringIsConst))
            OPENSSL_cleanse(j->string, strlen(j->string));
        wipe_strings(j->child);
    }
}

void ucrm_json__delete_secret(cJSON *j) {
    if (!j)
        return;
    cJSON *next = j->next;
    j->next = NULL; /* only this item and its children */
    wipe_strings(j);
    j->next = next;
    cJSON_Delete(j);
}
