/*
 * model.c -- the unified model as data (ARCHITECTURE.md "The unified model"). Adapters map these names to
 * provider fields in their own tables; records and configuration validate names against this one.
 */
#include "model_int.h"

#define COMMON_FIELDS                                                                                          \
    {"id", UCRM_FIELD_STRING, UCRM_MF_READONLY | UCRM_MF_COMMON},                                              \
    {"created_at", UCRM_FIELD_DATETIME, UCRM_MF_READONLY | UCRM_MF_COMMON},                                    \
    {"updated_at", UCRM_FIELD_DATETIME, UCRM_MF_READONLY | UCRM_MF_COMMON},                                    \
    {"is_deleted", UCRM_FIELD_BOOL, UCRM_MF_READONLY | UCRM_MF_COMMON}

static const ucrm_model_field_t contact_fields[] = {
    COMMON_FIELDS,
    {"first_name", UCRM_FIELD_STRING, 0},
    {"last_name", UCRM_FIELD_STRING, 0},
    {"email", UCRM_FIELD_STRING, 0},
    {"additional_emails", UCRM_FIELD_ARRAY, 0}, /* ["a@x", ...] */
    {"phone_numbers", UCRM_FIELD_ARRAY, 0},     /* [{"number": "...", "type": "work|mobile|home|other|fax|assistant"}] */
    {"title", UCRM_FIELD_STRING, 0},
    {"account_id", UCRM_FIELD_STRING, 0},
    {"owner_id", UCRM_FIELD_STRING, 0},
    {"lifecycle_stage", UCRM_FIELD_STRING, 0},
    {"address", UCRM_FIELD_OBJECT, 0},          /* {street, city, state, postal_code, country} */
};

static const ucrm_model_field_t account_fields[] = {
    COMMON_FIELDS,
    {"name", UCRM_FIELD_STRING, 0},
    {"industry", UCRM_FIELD_STRING, 0},
    {"description", UCRM_FIELD_STRING, 0},
    {"website", UCRM_FIELD_STRING, 0},
    {"domain", UCRM_FIELD_STRING, 0},
    {"employee_count", UCRM_FIELD_INT, 0},
    {"annual_revenue", UCRM_FIELD_DECIMAL, 0},
    {"phone", UCRM_FIELD_STRING, 0},
    {"owner_id", UCRM_FIELD_STRING, 0},
    {"address", UCRM_FIELD_OBJECT, 0},
};

static const ucrm_model_field_t deal_fields[] = {
    COMMON_FIELDS,
    {"name", UCRM_FIELD_STRING, 0},
    {"amount", UCRM_FIELD_DECIMAL, 0},
    {"currency", UCRM_FIELD_STRING, 0},
    {"stage", UCRM_FIELD_STRING, 0},
    {"status", UCRM_FIELD_STRING, UCRM_MF_READONLY}, /* open | won | lost */
    {"close_date", UCRM_FIELD_DATE, 0},
    {"probability", UCRM_FIELD_DOUBLE, 0},           /* 0..100 */
    {"pipeline", UCRM_FIELD_STRING, 0},
    {"account_id", UCRM_FIELD_STRING, 0},
    {"owner_id", UCRM_FIELD_STRING, 0},
};

const ucrm_model_field_t *ucrm_model__fields(ucrm_object_t object, size_t *count) {
    switch (object) {
    case UCRM_OBJECT_CONTACT:
        *count = UCRM__ARRAY_LEN(contact_fields);
        return contact_fields;
    case UCRM_OBJECT_ACCOUNT:
        *count = UCRM__ARRAY_LEN(account_fields);
        return account_fields;
    case UCRM_OBJECT_DEAL:
        *count = UCRM__ARRAY_LEN(deal_fields);
        return deal_fields;
    }
    *count = 0;
    return NULL;
}

const ucrm_model_field_t *ucrm_model__find(ucrm_object_t object, const char *name) {
    size_t n;
    const ucrm_model_field_t *f = ucrm_model__fields(object, &n);
    if (!name)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return &f[i];
    return NULL;
}

bool ucrm_model__is_custom(const char *name) {
    if (!name || strncmp(name, UCRM_CUSTOM_PREFIX, UCRM_CUSTOM_PREFIX_LEN) != 0)
        return false;
    const char *p = name + UCRM_CUSTOM_PREFIX_LEN;
    size_t n = strlen(p);
    if (n == 0 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-'))
            return false;
    }
    return true;
}

bool ucrm_model__object_valid(ucrm_object_t object) {
    return object == UCRM_OBJECT_CONTACT || object == UCRM_OBJECT_ACCOUNT || object == UCRM_OBJECT_DEAL;
}

UCRM_API const char *ucrm_object_name(ucrm_object_t object) {
    switch (object) {
    case UCRM_OBJECT_CONTACT:
        return "contact";
    case UCRM_OBJECT_ACCOUNT:
        return "account";
    case UCRM_OBJECT_DEAL:
        return "deal";
    }
    return NULL;
}

UCRM_API ucrm_err_t ucrm_object_from_name(const char *name, ucrm_object_t *out) {
    static const struct {
        const char *name;
        ucrm_object_t o;
    } names[] = {
        {"contact", UCRM_OBJECT_CONTACT}, {"contacts", UCRM_OBJECT_CONTACT}, {"account", UCRM_OBJECT_ACCOUNT},
        {"accounts", UCRM_OBJECT_ACCOUNT}, {"deal", UCRM_OBJECT_DEAL},       {"deals", UCRM_OBJECT_DEAL},
    };
    if (!name || !out)
        return UCRM_ERR_INVALID_ARG;
    for (size_t i = 0; i < UCRM__ARRAY_LEN(names); i++)
        if (strcmp(names[i].name, name) == 0) {
            *out = names[i].o;
            return UCRM_OK;
        }
    return UCRM_ERR_INVALID_ARG;
}
