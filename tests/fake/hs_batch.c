/*
 * hs_batch.c -- HubSpot CRM v3 batch endpoints (PROTOCOL B3): read, create, update, upsert, archive.
 *
 * At most 100 inputs (else 400 VALIDATION_ERROR). batch/read answers 207 with an OBJECT_NOT_FOUND error listing
 * the missing ids. batch/create is all-or-nothing (400/409 for the first bad input) unless every failing input
 * carries an objectWriteTraceId, in which case the good inputs are created and the answer is 207 with one
 * error per bad input (HS-DOC error-handling). batch/update and batch/upsert follow the same multi-status rule
 * for invalid properties (see whole_batch_error). batch/update also reports ids that do not exist as one
 * OBJECT_NOT_FOUND error (context ids, and objectWriteTraceId when the inputs have one) in a 207. batch/upsert
 * needs an idProperty naming a unique property (contacts: email), validates the id as that property's value
 * when it creates the record, answers 409 for an email another contact has, and returns "new" per result.
 * Results echo the input's objectWriteTraceId. batch/archive: 204.
 */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HS_BATCH_MAX 100

static cJSON *batch_envelope(void)
{
    char ts[32];
    fk_fmt_hs_datetime(fk_now_ms(), ts);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "COMPLETE");
    cJSON_AddArrayToObject(o, "results");
    cJSON_AddStringToObject(o, "startedAt", ts);
    cJSON_AddStringToObject(o, "completedAt", ts);
    return o;
}

static cJSON *std_error(const char *category, const char *message, const char *ctx_key, cJSON *ctx_vals)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "status", "error");
    cJSON_AddStringToObject(e, "category", category);
    cJSON_AddStringToObject(e, "message", message);
    cJSON_AddArrayToObject(e, "errors");
    cJSON *ctx = cJSON_AddObjectToObject(e, "context");
    if (ctx_key && ctx_vals)
        cJSON_AddItemToObject(ctx, ctx_key, ctx_vals);
    else
        cJSON_Delete(ctx_vals);
    cJSON_AddObjectToObject(e, "links");
    return e;
}

static void finish(fk_resp_t *rs, cJSON *env, cJSON *errors, int ok_status)
{
    int ne = errors ? cJSON_GetArraySize(errors) : 0;
    if (ne) {
        cJSON_AddNumberToObject(env, "numErrors", ne);
        cJSON_AddItemToObject(env, "errors", errors);
        fk_resp_json(rs, 207, env);
    } else {
        cJSON_Delete(errors);
        fk_resp_json(rs, ok_status, env);
    }
}

/* An input's id: a string as sent (an upsert key such as an email can be long: never cut it), or a number as
 * text in buf. */
static const char *input_id(const cJSON *in, char buf[40])
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(in, "id");
    if (cJSON_IsString(id))
        return id->valuestring;
    if (cJSON_IsNumber(id)) {
        snprintf(buf, 40, "%.0f", id->valuedouble);
        return buf;
    }
    return NULL;
}

/* "Could not get some CONTACT objects, ..." (batch/read; the same text in captured batch/update 207 bodies,
 * rudder-transformer test/integrations/destinations/hs/dataDelivery/updateMultiStatus.ts) */
static void not_found_message(int obj, char *msg, size_t cap)
{
    char up[16];
    snprintf(up, sizeof up, "%s", fk_hs_obj_singular(obj));
    for (char *p = up; *p; p++)
        *p = (char)(*p - 32 * (*p >= 'a' && *p <= 'z'));
    snprintf(msg, cap, "Could not get some %s objects, they may be deleted or not exist. Check that ids are valid.", up);
}

static void batch_read(fk_req_t *rq, fk_resp_t *rs, int obj, const cJSON *body, const cJSON *inputs)
{
    int archived = fk_query(rq, "archived") && strcmp(fk_query(rq, "archived"), "true") == 0;
    const char *idp = fk_json_str(body, "idProperty");
    const char **props;
    int np;
    fk_hs_props_from_array(cJSON_GetObjectItemCaseSensitive(body, "properties"), &props, &np);
    cJSON *env = batch_envelope(), *res = cJSON_GetObjectItemCaseSensitive(env, "results");
    cJSON *missing = cJSON_CreateArray();
    const cJSON *in;
    cJSON_ArrayForEach(in, inputs)
    {
        char buf[40];
        const char *id = input_id(in, buf);
        fk_rec_t *r = id ? fk_hs_find(obj, id, idp, archived) : NULL;
        if (r)
            cJSON_AddItemToArray(res, fk_hs_render(r, np ? props : NULL, np, 1));
        else
            cJSON_AddItemToArray(missing, cJSON_CreateString(id ? id : ""));
    }
    cJSON *errors = cJSON_CreateArray();
    if (cJSON_GetArraySize(missing)) {
        char msg[160];
        not_found_message(obj, msg, sizeof msg);
        cJSON_AddItemToArray(errors, std_error("OBJECT_NOT_FOUND", msg, "ids", missing));
    } else {
        cJSON_Delete(missing);
    }
    for (int i = 0; i < np; i++)
        free((char *)props[i]);
    free(props);
    finish(rs, env, errors, 200);
}

/* Validates one create input; returns -1 with msg/status/category. `seen` collects emails of this batch. */
static int check_create(int obj, const cJSON *in, fk_map_t *seen, char **msg, int *status, const char **cat)
{
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(in, "properties");
    if (!cJSON_IsObject(props)) {
        *msg = fk_xstrdup("Invalid input JSON on line 1, column 1. Some required fields were not set: [properties]");
        *status = 400;
        *cat = "VALIDATION_ERROR";
        return -1;
    }
    if (fk_hs_check_props(obj, props, msg, status, cat))
        return -1;
    const fk_rec_t *dup = fk_hs_email_conflict(obj, props, NULL);
    const char *email = obj == FK_HS_CONTACTS ? fk_json_str(props, "email") : NULL;
    char *k = email && *email ? fk_xstrdup(email) : NULL;
    if (k)
        fk_lower(k);
    if (dup || (k && fk_map_get(seen, k))) {
        fk_buf_t b = {0};
        if (dup)
            fk_buf_printf(&b, "Contact already exists. Existing ID: %s", dup->id);
        else
            fk_buf_printf(&b, "Duplicate email in batch input: %s", email);
        *msg = fk_buf_take(&b);
        *status = 409;
        *cat = "CONFLICT";
        free(k);
        return -1;
    }
    if (k)
        fk_map_put(seen, k, (void *)in);
    free(k);
    if (fk_hs_check_assocs(obj, cJSON_GetObjectItemCaseSensitive(in, "associations"), msg)) {
        *status = 400;
        *cat = "VALIDATION_ERROR";
        return -1;
    }
    return 0;
}

static void batch_create(fk_resp_t *rs, int obj, const cJSON *inputs)
{
    int n = cJSON_GetArraySize(inputs), bad = 0, all_traced = 1;
    char **msgs = calloc((size_t)n, sizeof *msgs);
    int *sts = calloc((size_t)n, sizeof *sts);
    const char **cats = calloc((size_t)n, sizeof *cats);
    fk_map_t seen = {0};
    int i = 0;
    const cJSON *in;
    cJSON_ArrayForEach(in, inputs)
    {
        if (check_create(obj, in, &seen, &msgs[i], &sts[i], &cats[i])) {
            bad++;
            if (!fk_json_str(in, "objectWriteTraceId"))
                all_traced = 0;
        }
        i++;
    }
    fk_map_free(&seen);
    if (bad && !all_traced) {
        for (i = 0; i < n && !msgs[i]; i++)
            ;
        fk_hs_error(rs, sts[i], cats[i], msgs[i], NULL);
    } else {
        cJSON *env = batch_envelope(), *res = cJSON_GetObjectItemCaseSensitive(env, "results");
        cJSON *errors = cJSON_CreateArray();
        i = 0;
        cJSON_ArrayForEach(in, inputs)
        {
            if (msgs[i]) {
                cJSON *trace = cJSON_CreateArray();
                cJSON_AddItemToArray(trace, cJSON_CreateString(fk_json_str(in, "objectWriteTraceId")));
                cJSON_AddItemToArray(errors, std_error(cats[i], msgs[i], "objectWriteTraceId", trace));
            } else {
                fk_rec_t *r = fk_hs_create(obj, cJSON_GetObjectItemCaseSensitive(in, "properties"));
                fk_hs_create_assocs(r, cJSON_GetObjectItemCaseSensitive(in, "associations"));
                cJSON *o = fk_hs_render_full(r);
                if (fk_json_str(in, "objectWriteTraceId"))
                    cJSON_AddStringToObject(o, "objectWriteTraceId", fk_json_str(in, "objectWriteTraceId"));
                cJSON_AddItemToArray(res, o);
            }
            i++;
        }
        finish(rs, env, errors, 201);
    }
    for (i = 0; i < n; i++)
        free(msgs[i]);
    free(msgs);
    free(sts);
    free(cats);
}

/* One validation failure per input of an update or upsert batch (msg NULL = the input is good). */
typedef struct {
    char *msg;
    int status;
    const char *cat;
} in_err_t;

/* Multi-status rules shared by batch/update and batch/upsert: when every invalid input carries an
 * objectWriteTraceId the valid ones are written and the answer is 207 with one error per invalid input (its
 * context names the trace id); otherwise the first invalid input fails the whole batch (HS-DOC error-handling
 * documents this for batch create; HubSpot's reference lists objectWriteTraceId on update and upsert inputs and
 * errors/numErrors in their responses, and clients rely on it there: airbyte PR #74725, rudder-transformer
 * src/v1/destinations/hs/networkHandler.ts). Returns 1 after answering the whole-batch error. */
static int whole_batch_error(fk_resp_t *rs, const cJSON *inputs, const in_err_t *errs, int n)
{
    int first = -1, all_traced = 1, i = 0;
    const cJSON *in;
    cJSON_ArrayForEach(in, inputs)
    {
        if (i < n && errs[i].msg) {
            if (first < 0)
                first = i;
            if (!fk_json_str(in, "objectWriteTraceId"))
                all_traced = 0;
        }
        i++;
    }
    if (first < 0 || all_traced)
        return 0;
    fk_hs_error(rs, errs[first].status, errs[first].cat, errs[first].msg, NULL);
    return 1;
}

static cJSON *trace_list(const cJSON *in)
{
    cJSON *t = cJSON_CreateArray();
    cJSON_AddItemToArray(t, cJSON_CreateString(fk_json_str(in, "objectWriteTraceId")));
    return t;
}

static void free_errs(in_err_t *errs, int n)
{
    for (int i = 0; i < n; i++)
        free(errs[i].msg);
    free(errs);
}

static cJSON *result_of(fk_rec_t *r, const cJSON *in)
{
    cJSON *o = fk_hs_render_full(r);
    if (fk_json_str(in, "objectWriteTraceId"))
        cJSON_AddStringToObject(o, "objectWriteTraceId", fk_json_str(in, "objectWriteTraceId"));
    return o;
}

static void batch_update(fk_resp_t *rs, int obj, const cJSON *body, const cJSON *inputs)
{
    const cJSON *in;
    int n = cJSON_GetArraySize(inputs), i = 0;
    in_err_t *errs = calloc((size_t)n + 1, sizeof *errs);
    if (!errs)
        abort();
    cJSON_ArrayForEach(in, inputs)
    {
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(in, "properties");
        char buf[40];
        if (!input_id(in, buf) || !cJSON_IsObject(props)) {
            fk_hs_error(rs, 400, "VALIDATION_ERROR",
                        "Invalid input JSON on line 1, column 1. Some required fields were not set: [id, properties]",
                        NULL);
            free_errs(errs, n);
            return;
        }
        fk_hs_check_props(obj, props, &errs[i].msg, &errs[i].status, &errs[i].cat);
        i++;
    }
    if (whole_batch_error(rs, inputs, errs, n)) {
        free_errs(errs, n);
        return;
    }
    cJSON *env = batch_envelope(), *res = cJSON_GetObjectItemCaseSensitive(env, "results");
    cJSON *missing = cJSON_CreateArray(), *missing_traces = cJSON_CreateArray(), *errors = cJSON_CreateArray();
    i = 0;
    cJSON_ArrayForEach(in, inputs)
    {
        char buf[40];
        const char *id = input_id(in, buf);
        const char *idp = fk_json_str(in, "idProperty") ? fk_json_str(in, "idProperty") : fk_json_str(body, "idProperty");
        const char *trace = fk_json_str(in, "objectWriteTraceId");
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(in, "properties");
        if (errs[i++].msg) {
            cJSON_AddItemToArray(errors, std_error(errs[i - 1].cat, errs[i - 1].msg, "objectWriteTraceId", trace_list(in)));
            continue;
        }
        fk_rec_t *r = fk_hs_find(obj, id, idp, 0);
        const fk_rec_t *dup = r ? fk_hs_email_conflict(obj, props, r) : NULL;
        if (!r) {
            cJSON_AddItemToArray(missing, cJSON_CreateString(id));
            if (trace)
                cJSON_AddItemToArray(missing_traces, cJSON_CreateString(trace));
        } else if (dup) {
            char m[96];
            snprintf(m, sizeof m, "Contact already exists. Existing ID: %s", dup->id);
            cJSON *ids = cJSON_CreateArray();
            cJSON_AddItemToArray(ids, cJSON_CreateString(id));
            cJSON *e = std_error("CONFLICT", m, "ids", ids);
            if (trace)
                cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(e, "context"), "objectWriteTraceId", trace_list(in));
            cJSON_AddItemToArray(errors, e);
        } else {
            fk_hs_apply_props(r, props);
            fk_hs_touch(r);
            cJSON_AddItemToArray(res, result_of(r, in));
        }
    }
    if (cJSON_GetArraySize(missing)) {
        char msg[160];
        not_found_message(obj, msg, sizeof msg);
        cJSON *e = std_error("OBJECT_NOT_FOUND", msg, "ids", missing);
        if (cJSON_GetArraySize(missing_traces))
            cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(e, "context"), "objectWriteTraceId", missing_traces);
        else
            cJSON_Delete(missing_traces);
        cJSON_AddItemToArray(errors, e);
    } else {
        cJSON_Delete(missing);
        cJSON_Delete(missing_traces);
    }
    free_errs(errs, n);
    finish(rs, env, errors, 200);
}

static int upsert_key_ok(int obj, const char *idp)
{
    if (!idp)
        return 0;
    if (obj == FK_HS_CONTACTS && strcmp(idp, "email") == 0)
        return 1;
    const fk_hs_prop_t *p = fk_hs_prop(obj, idp);
    return p && p->unique;
}

/* The properties an upsert input writes: its own minus the key, plus key = id when it creates the record. */
static cJSON *upsert_props(const cJSON *in, const char *idp, const char *id, int creating)
{
    cJSON *p = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(in, "properties"), 1);
    cJSON_DeleteItemFromObjectCaseSensitive(p, idp);
    if (creating)
        cJSON_AddStringToObject(p, idp, id);
    return p;
}

/* Upsert by a unique property (contacts: email). The id is that property's value, so an input that creates a
 * record has it validated like any property: an invalid email is INVALID_EMAIL, never a new contact
 * (rudder-transformer test/integrations/destinations/hs/dataDelivery/upsert.ts: invalid ids come back as errors
 * of a 207; Atlas-Authority/marketing-automation #174: INVALID_EMAIL from batch upsert). A contact's email that
 * another contact already has fails the whole batch with 409 CONFLICT (airbyte PR #76340, quoting the HubSpot
 * community thread "Contacts API Batch Upsert return 409 instead of 207"). */
static void batch_upsert(fk_resp_t *rs, int obj, const cJSON *inputs)
{
    const cJSON *in;
    int n = cJSON_GetArraySize(inputs), i = 0;
    in_err_t *errs = calloc((size_t)n + 1, sizeof *errs);
    if (!errs)
        abort();
    cJSON_ArrayForEach(in, inputs)
    {
        const char *idp = fk_json_str(in, "idProperty");
        char buf[40];
        const char *id = input_id(in, buf);
        if (!id || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(in, "properties")) || !upsert_key_ok(obj, idp)) {
            fk_hs_error(rs, 400, "VALIDATION_ERROR",
                        "Upsert inputs need an id, properties and an idProperty that names a unique property", NULL);
            free_errs(errs, n);
            return;
        }
        fk_rec_t *r = fk_hs_find(obj, id, idp, 0);
        cJSON *p = upsert_props(in, idp, id, !r);
        const fk_rec_t *dup = fk_hs_email_conflict(obj, p, r);
        if (dup) {
            char m[96];
            snprintf(m, sizeof m, "Contact already exists. Existing ID: %s", dup->id);
            fk_hs_error(rs, 409, "CONFLICT", m, NULL);
            cJSON_Delete(p);
            free_errs(errs, n);
            return;
        }
        fk_hs_check_props(obj, p, &errs[i].msg, &errs[i].status, &errs[i].cat);
        cJSON_Delete(p);
        i++;
    }
    if (whole_batch_error(rs, inputs, errs, n)) {
        free_errs(errs, n);
        return;
    }
    cJSON *env = batch_envelope(), *res = cJSON_GetObjectItemCaseSensitive(env, "results");
    cJSON *errors = cJSON_CreateArray();
    i = 0;
    cJSON_ArrayForEach(in, inputs)
    {
        char buf[40];
        const char *id = input_id(in, buf), *idp = fk_json_str(in, "idProperty");
        if (errs[i++].msg) {
            cJSON_AddItemToArray(errors, std_error(errs[i - 1].cat, errs[i - 1].msg, "objectWriteTraceId", trace_list(in)));
            continue;
        }
        fk_rec_t *r = fk_hs_find(obj, id, idp, 0);
        int created = !r;
        cJSON *p = upsert_props(in, idp, id, created);
        if (r) {
            fk_hs_apply_props(r, p);
            fk_hs_touch(r);
        } else {
            r = fk_hs_create(obj, p);
        }
        cJSON_Delete(p);
        cJSON *o = result_of(r, in);
        cJSON_AddBoolToObject(o, "new", created);
        cJSON_AddItemToArray(res, o);
    }
    free_errs(errs, n);
    finish(rs, env, errors, 200);
}

static void batch_archive(fk_resp_t *rs, int obj, const cJSON *inputs)
{
    const cJSON *in;
    cJSON_ArrayForEach(in, inputs)
    {
        char buf[40];
        const char *id = input_id(in, buf);
        fk_rec_t *r = id ? fk_table_get(&G.hs[obj], id) : NULL;
        if (r)
            fk_hs_archive(r);
    }
    fk_resp_empty(rs, 204);
}

void fk_hs_batch(fk_req_t *rq, fk_resp_t *rs, int obj, const char *op)
{
    static const char *const ops[] = {"read", "create", "update", "upsert", "archive"};
    int k;
    for (k = 0; k < 5; k++)
        if (strcmp(op, ops[k]) == 0)
            break;
    if (k == 5) {
        fk_not_found(rq, rs);
        return;
    }
    snprintf(rq->route, sizeof rq->route, "POST /crm/v3/objects/{type}/batch/%s", ops[k]);
    cJSON *body;
    if (fk_hs_parse_json_body(rq, rs, &body))
        return;
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(body, "inputs");
    if (!cJSON_IsArray(inputs)) {
        fk_hs_error(rs, 400, "VALIDATION_ERROR",
                    "Invalid input JSON on line 1, column 2. Some required fields were not set: [inputs]", NULL);
    } else if (cJSON_GetArraySize(inputs) > HS_BATCH_MAX) {
        fk_hs_error(rs, 400, "VALIDATION_ERROR",
                    "The maximum number of inputs supported in a batch request is 100. Please reduce the number of "
                    "items and try again",
                    NULL);
    } else {
        switch (k) {
        case 0: batch_read(rq, rs, obj, body, inputs); break;
        case 1: batch_create(rs, obj, inputs); break;
        case 2: batch_update(rs, obj, body, inputs); break;
        case 3: batch_upsert(rs, obj, inputs); break;
        default: batch_archive(rs, obj, inputs); break;
        }
    }
    cJSON_Delete(body);
}
