/*
 * json_int.h -- small cJSON helpers shared by the adapters (cJSON never appears in a public header).
 */
#ifndef UCRM_JSON_INT_H
#define UCRM_JSON_INT_H

#include "common_int.h"

#include <cjson/cJSON.h>

/* The string member key of obj, or NULL when absent or not a string. */
const char *ucrm_json__str(const cJSON *obj, const char *key);
/* The number member key of obj as int64 (must be integral and in range); false otherwise. Also accepts a
 * string holding a decimal integer (HubSpot sends numbers as strings). */
bool ucrm_json__i64(const cJSON *obj, const char *key, int64_t *out);
/* The same for a value already at hand (NULL: false). */
bool ucrm_json__item_i64(const cJSON *v, int64_t *out);
/* The boolean member key of obj; also accepts "true"/"false" strings. false when absent or neither. */
bool ucrm_json__bool(const cJSON *obj, const char *key, bool *out);
/* Shortest decimal text that reads back as exactly v ("1500.25", "0.1", "1e+21" never: plain notation up to
 * 17 significant digits). Exact for any decimal with at most 15 significant digits. Returns false for
 * NaN/infinity. */
bool ucrm_json__num_text(double v, char out[40]);
/* cJSON_Delete() after wiping every key and string value (OPENSSL_cleanse): for parsed token responses, whose
 * strings hold access and refresh tokens. NULL is ignored. */
void ucrm_json__delete_secret(cJSON *j);
/* Appends key=value to an application/x-www-form-urlencoded body ('&' first when the body is not empty). */
bool ucrm_json__form_add(ucrm_buf_t *body, const char *key, const char *value);

#endif /* UCRM_JSON_INT_H */
