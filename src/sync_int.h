/*
 * sync_int.h -- what the sync toolkit's modules share (policy.c, recon.c): the names of compound components and
 * the normalised text of values, so that a value compares equal however a provider spelled it.
 */
#ifndef UCRM_SYNC_INT_H
#define UCRM_SYNC_INT_H

#include "common_int.h"
#include "model_int.h"

#include <cjson/cJSON.h>

/* The compound (object or array) unified field of a component name ("address.city" -> address), or NULL. */
const ucrm_model_field_t *ucrm_sync__component_of(ucrm_object_t object, const char *field);
/* A JSON scalar's text (strings as they are, integral numbers within 2^53 in decimal, others in their shortest
 * exact form, booleans "true"/"false", null ""), into buf (reset first). false for objects and arrays. */
bool ucrm_sync__json_scalar_text(const cJSON *v, ucrm_buf_t *buf);
/* The normalised form of text that is a date, a date-time or a decimal number: "n:<epoch ms>" or
 * "n:<digits>" (no '+', no trailing fractional zeros, "-0" as "0"), into out; its length, or 0 when the text is
 * none of these (compare it as text then). */
size_t ucrm_sync__norm_num(const char *s, size_t n, char out[64]);

#endif /* UCRM_SYNC_INT_H */
