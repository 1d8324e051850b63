/*
 * model_int.h -- the unified model: which fields each object has, their types and flags. Data, in model.c.
 * The table is the single source of truth for field names; records keep pointers to these static names.
 */
#ifndef UCRM_MODEL_INT_H
#define UCRM_MODEL_INT_H

#include "common_int.h"

enum {
    UCRM_MF_READONLY = 1 << 0, /* set by the provider only (id, created_at, updated_at, is_deleted, status) */
    UCRM_MF_COMMON   = 1 << 1  /* on every object */
};

typedef struct ucrm_model_field {
    const char *name;          /* unified snake_case name */
    ucrm_field_type_t type;    /* STRING, INT, DOUBLE, BOOL, DATETIME, DATE, DECIMAL, OBJECT, ARRAY */
    unsigned flags;
} ucrm_model_field_t;

#define UCRM_CUSTOM_PREFIX "custom."
#define UCRM_CUSTOM_PREFIX_LEN 7

/* Every unified field of an object (common ones first). NULL/0 for an unknown object. */
const ucrm_model_field_t *ucrm_model__fields(ucrm_object_t object, size_t *count);
/* A unified field by name, or NULL (also NULL for custom.* names). */
const ucrm_model_field_t *ucrm_model__find(ucrm_object_t object, const char *name);
/* Is this a well-formed custom field name ("custom." followed by 1..255 bytes of [A-Za-z0-9_.-])? */
bool ucrm_model__is_custom(const char *name);
/* Is object one of the three unified objects? */
bool ucrm_model__object_valid(ucrm_object_t object);

#endif /* UCRM_MODEL_INT_H */
