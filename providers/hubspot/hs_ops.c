/*
 * hs_ops.c -- single-record operations (PROTOCOL B2, B3, B6).
 *
 *   get     GET    /crm/v3/objects/{type}/{id}?properties=..[&associations=companies][&archived=true]
 *   create  POST   /crm/v3/objects/{type}  {"properties":{..},"associations":[primary company or none]}
 *   update  PATCH  /crm/v3/objects/{type}/{id}  {"properties":{dirty}}, then, when account_id changed, the
 *           primary company through associations v4 (a second request; see hs_update)
 *   delete  GET (existence) then DELETE /crm/v3/objects/{type}/{id} (archive)
 *   upsert  POST   /crm/v3/objects/{type}/batch/upsert with one input {id: key value, idProperty: key property}
 */
#include "hubspot_int.h"

#include <stdio.h>

ucrm_err_t hs_send(ucrm_call_t *call, ucrm_req_t *req, ucrm_resp_t *resp, cJSON **json, const char *what) {
    ucrm_err_t rc = UCRM_OK;
    if (req->url.oom || req->body.oom)
        rc = ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
    if (rc == UCRM_OK)
        rc = ucrm_call__exec(call, req, resp);
    ucrm_req__free(req);
    if (rc == UCRM_OK && json && !(*json = ucrm_call__parse_json(call, resp, what)))
        rc = UCRM_ERR_PROTOCOL;
    return rc;
}

static void url_object(ucrm_buf_t *u, const hs_obj_t *o, const char *id) {
    ucrm_buf__printf(u, "/crm/v3/objects/%s", o->type);
    if (id) {
        ucrm_buf__putc(u, '/');
        ucrm_buf__urlencode(u, id, strlen(id));
    }
}

/* A read failure on a response: UCRM_ERR_PROTOCOL naming what was wrong. */
static ucrm_err_t read_fail(ucrm_call_t *call, const ucrm_resp_t *resp, ucrm_err_t rc, const char *what,
                            const char *why) {
    if (rc == UCRM_ERR_NOMEM)
        return ucrm__fail(call->errp, UCRM_ERR_NOMEM, "out of memory");
    return ucrm_call__protocol_error(call, resp, what, why);
}

/* ---------------------------------------------------------------------------------------------- get */

static ucrm_err_t get_once(ucrm_call_t *call, const hs_obj_t *o, const hs_sel_t *sel, const char *id,
                           bool archived, ucrm_record_t **out) {
    ucrm_req_t req;
    ucrm_resp_t resp = {0};
    cJSON *j = NULL;
    ucrm_req__init(&req, "GET", UCRM_RETRY_SAFE);
    url_object(&req.url, o, id);
    ucrm_buf__puts(&req.url, "?properties=");
    hs_sel_props_csv(sel, o, &req.url);
    if (sel->assoc)
        ucrm_buf__puts(&req.url, "&associations=companies");
    if (archived)
        ucrm_buf__puts(&req.url, "&archived=true");
    ucrm_err_t rc = hs_send(call, &req, &resp, &j, "get");
    if (rc == UCRM_OK) {
        char why[HS_WHY];
        rc = hs_record_from(o, sel, j, true, out, why);
        if (rc < 0)
            rc = read_fail(call, &resp, rc, "get", why);
    } else {
        cJSON_Delete(j);
    }
    ucrm_resp__free(&resp);
    return rc;
}

ucrm_err_t hs_get(ucrm_call_t *call, ucrm_object_t object, const char *id, ucrm_record_t **out) {
    const hs_obj_t *o = hs_obj(hs_state(call), object);
    hs_sel_t sel;
    ucrm_err_t rc = hs_sel_init(&sel, o, call->opts, call->errp);
    if (rc < 0)
        return rc;
    if (!ucrm_reqopts__include_deleted(call->opts)) {
        rc = get_once(call, o, &sel, id, false, out);
    } else {
        /* HubSpot reads archived records only with archived=true, and then only those (PROTOCOL B2) */
        ucrm_error_t *first = NULL;
        ucrm_call_t c1 = *call;
        c1.errp = &first;
        rc = get_once(&c1, o, &sel, id, false, out);
        if (rc == UCRM_ERR_NOT_FOUND) {
            ucrm_error_destroy(first);
            first = NULL;
            rc = get_once(call, o, &sel, id, true, out);
        } else if (first) {
            ucrm__give(call->errp, first);
        }
    }
    hs_sel_free(&sel);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- associations */

ucrm_err_t hs_set_primary(ucrm_call_t *call, const hs_obj_t *o, const char *id, const char *company) {
    /* PROTOCOL B6: PUT the labelled association with the primary type id; HubSpot keeps one primary company per
     * record, so the previous primary becomes an ordinary (unlabelled) association: nothing to remove. */
    ucrm_req_t req;
    ucrm_resp_t resp = {0};
    ucrm_req__init(&req, "PUT", UCRM_RETRY_IDEMPOTENT);
    ucrm_buf__printf(&req.url, "/crm/v4/objects/%s/", o->type);
    ucrm_buf__urlencode(&req.url, id, strlen(id));
    ucrm_buf__puts(&req.url, "/associations/companies/");
    ucrm_buf__urlencode(&req.url, company, strlen(company));
    ucrm_buf__printf(&req.body, "[{\"associationCategory\":\"HUBSPOT_DEFINED\",\"associationTypeId\":%d}]",
                     o->primary_type);
    ucrm_err_t rc = hs_send(call, &req, &resp, NULL, "association");
    if (rc < 0 && call->errp && *call->errp && !(*call->errp)->is_static)
        ucrm_error__set_field(*call->errp, o->rows[o->assoc_row].field);
    ucrm_resp__free(&resp);
    return rc;
}

/* account_id = null: removes the association with the current primary company (other companies stay). */
static ucrm_err_t clear_primary(ucrm_call_t *call, const hs_obj_t *o, const char *id) {
    ucrm_req_t req;
    ucrm_resp_t resp = {0};
    cJSON *j = NULL;
    ucrm_req__init(&req, "GET", UCRM_RETRY_SAFE);
    ucrm_buf__printf(&req.url, "/crm/v4/objects/%s/", o->type);
    ucrm_buf__urlencode(&req.url, id, strlen(id));
    ucrm_buf__puts(&req.url, "/associations/companies?limit=500");
    ucrm_err_t rc = hs_send(call, &req, &resp, &j, "associations");
    char company[32];
    bool has = rc == UCRM_OK && hs_primary_v4(o, cJSON_GetObjectItemCaseSensitive(j, "results"), company);
    cJSON_Delete(j);
    ucrm_resp__free(&resp);
    if (!has)
        return rc;
    ucrm_req__init(&req, "DELETE", UCRM_RETRY_IDEMPOTENT);
    ucrm_buf__printf(&req.url, "/crm/v4/objects/%s/", o->type);
    ucrm_buf__urlencode(&req.url, id, strlen(id));
    ucrm_buf__printf(&req.url, "/associations/companies/%s", company);
    rc = hs_send(call, &req, &resp, NULL, "association");
    ucrm_resp__free(&resp);
    return rc;
}

/* After the properties were written: the association part of an update or upsert. */
static ucrm_err_t apply_assoc(ucrm_call_t *call, const hs_obj_t *o, const char *id, const hs_wout_t *w,
                              bool props_written) {
    if (!w->assoc || o->assoc_row < 0)
        return UCRM_OK;
    ucrm_err_t rc = w->assoc > 0 ? hs_set_primary(call, o, id, w->company) : clear_primary(call, o, id);
    if (rc < 0 && props_written && call->errp && *call->errp && !(*call->errp)->is_static) {
        ucrm_error_t *e = *call->errp;
        ucrm_error__set_message(e, "the properties of %s %s were written but its primary company (account_id) was "
                                   "not %s: %s", o->singular, id, w->assoc > 0 ? "set" : "removed", e->message);
        ucrm_error__set_field(e, o->rows[o->assoc_row].field);
    }
    return rc;
}

/* ---------------------------------------------------------------------------------------------- writes */

/* Reads a write response back into rec (fields HubSpot returned; the caller's others stay). */
static ucrm_err_t read_back(ucrm_call_t *call, const hs_obj_t *o, const ucrm_resp_t *resp, cJSON *item,
                            ucrm_record_t *rec, const char *what) {
    static const hs_sel_t wsel = {.all = true};
    ucrm_record_t *tmp = NULL;
    char why[HS_WHY];
    ucrm_err_t rc = hs_record_from(o, &wsel, item, true, &tmp, why);
    if (rc == UCRM_OK)
        rc = ucrm_record__merge(rec, tmp);
    ucrm_record_destroy(tmp);
    if (rc == UCRM_ERR_NOMEM)
        return ucrm__fail(call->errp, rc, "out of memory");
    if (rc < 0)
        return ucrm_call__protocol_error(call, resp, what, why);
    return UCRM_OK;
}

ucrm_err_t hs_create(ucrm_call_t *call, ucrm_record_t *rec) {
    const hs_obj_t *o = hs_obj(hs_state(call), rec->object);
    ucrm_req_t req;
    ucrm_resp_t resp = {0};
    hs_wout_t w;
    cJSON *j = NULL;
    ucrm_req__init(&req, "POST", UCRM_RETRY_UNSAFE);
    url_object(&req.url, o, NULL);
    ucrm_buf__puts(&req.body, "{\"properties\":");
    ucrm_err_t rc = hs_write_props(o, rec, true, NULL, &req.body, &w, call->errp);
    if (rc < 0) {
        ucrm_req__free(&req);
        return rc;
    }
    /* SimplePublicObjectInputForCreate requires "associations" (an empty list when there is none) */
    ucrm_buf__puts(&req.body, ",\"associations\":");
    hs_write_assoc_inputs(o, w.assoc > 0 ? w.company : NULL, &req.body);
    ucrm_buf__putc(&req.body, '}');
    rc = hs_send(call, &req, &resp, &j, "create");
    if (rc == UCRM_OK) {
        char idb[32];
        bool has_id = hs_id_text(cJSON_GetObjectItemCaseSensitive(j, "id"), idb);
        if (has_id)
            ucrm_record__set_id_n(rec, idb, strlen(idb));
        rc = read_back(call, o, &resp, j, rec, "create");
        if (rc == UCRM_ERR_PROTOCOL && has_id) {
            /* created, and we know its id: the values the caller sent stand; do not invite a duplicate */
            ucrm_error_destroy(call->errp ? *call->errp : NULL);
            if (call->errp)
                *call->errp = NULL;
            rc = UCRM_OK;
        } else if (rc == UCRM_ERR_PROTOCOL && call->errp && *call->errp && !(*call->errp)->is_static) {
            ucrm_error__set_write_state(*call->errp, UCRM_WRITE_UNKNOWN);
        }
    } else {
        cJSON_Delete(j);
    }
    ucrm_resp__free(&resp);
    return rc;
}

/* Marks the fields just written clean (all dirty ones except account_id), so that when the association request
 * fails, a repeated ucrm_update() only redoes what is left. */
static void clean_written(const hs_obj_t *o, ucrm_record_t *rec) {
    const char *assoc = o->assoc_row >= 0 ? o->rows[o->assoc_row].field : NULL;
    for (size_t i = 0; i < rec->nfields; i++)
        if (rec->fields[i].name != assoc)
            rec->fields[i].dirty = false;
}

/*
 * Two requests when account_id changed along with other fields: the PATCH of the properties, then the v4
 * association. HubSpot has no transaction across them. If the second fails the first stays applied: the error
 * says "the properties ... were written but its primary company was not set", the written fields are marked
 * clean and account_id stays dirty, so that calling ucrm_update() again repeats only the association.
 */
ucrm_err_t hs_update(ucrm_call_t *call, ucrm_record_t *rec) {
    const hs_obj_t *o = hs_obj(hs_state(call), rec->object);
    ucrm_req_t req;
    ucrm_resp_t resp = {0};
    hs_wout_t w;
    cJSON *j = NULL;
    ucrm_req__init(&req, "PATCH", UCRM_RETRY_IDEMPOTENT);
    url_object(&req.url, o, rec->id);
    ucrm_buf__puts(&req.body, "{\"properties\":");
    ucrm_err_t rc = hs_write_props(o, rec, true, NULL, &req.body, &w, call->errp);
    ucrm_buf__putc(&req.body, '}');
    if (rc < 0 || w.nprops == 0) {
        ucrm_req__free(&req);
        return rc < 0 ? rc : apply_assoc(call, o, rec->id, &w, false);
    }
    rc = hs_send(call, &req, &resp, &j, "update");
    if (rc == UCRM_OK)
        rc = read_back(call, o, &resp, j, rec, "update");
    else
        cJSON_Delete(j);
    ucrm_resp__free(&resp);
    if (rc == UCRM_OK) {
        clean_written(o, rec);
        rc = apply_assoc(call, o, rec->id, &w, true);
    }
    return rc;
}

/*
 * HubSpot answers 204 to archiving an id that does not exist or is already archived, but ucrm_delete() promises
 * UCRM_ERR_NOT_FOUND for a record that is gone: one cheap read (hs_object_id only) checks first.
 */
ucrm_err_t hs_del(ucrm_call_t *call, ucrm_object_t object, const char *id) {
    const hs_obj_t *o = hs_obj(hs_state(call), object);
    ucrm_req_t req;
    ucrm_resp_t resp = {0};
    ucrm_req__init(&req, "GET", UCRM_RETRY_SAFE);
    url_object(&req.url, o, id);
    ucrm_buf__puts(&req.url, "?properties=hs_object_id");
    ucrm_err_t rc = hs_send(call, &req, &resp, NULL, "delete");
    ucrm_resp__free(&resp);
    if (rc < 0)
        return rc;
    ucrm_req__init(&req, "DELETE", UCRM_RETRY_IDEMPOTENT);
    url_object(&req.url, o, id);
    rc = hs_send(call, &req, &resp, NULL, "delete");
    ucrm_resp__free(&resp);
    return rc;
}

/* The upsert's one result, or its one error. */
static ucrm_err_t upsert_result(ucrm_call_t *call, const hs_obj_t *o, const ucrm_resp_t *resp, cJSON *j,
                                cJSON **item) {
    cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "results");
    const cJSON *err = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "errors"), 0);
    *item = cJSON_GetArrayItem(res, 0);
    if (cJSON_IsObject(*item)) {
        cJSON_DetachItemViaPointer(res, *item);
        return UCRM_OK;
    }
    *item = NULL;
    if (cJSON_IsObject(err)) /* 207 with the input's error */
        return ucrm__give(call->errp, hs_item_error(o, err, resp->status));
    return ucrm_call__protocol_error(call, resp, "upsert", "no result and no error");
}

ucrm_err_t hs_upsert(ucrm_call_t *call, ucrm_record_t *rec, const char *key_field) {
    const hs_obj_t *o = hs_obj(hs_state(call), rec->object);
    const char *prop;
    ucrm_buf_t key = UCRM_BUF_INIT;
    ucrm_req_t req;
    ucrm_resp_t resp = {0};
    hs_wout_t w;
    cJSON *j = NULL, *item = NULL;
    ucrm_err_t rc = hs_key_prop(o, key_field, &prop, call->errp);
    if (rc == UCRM_OK)
        rc = hs_key_value(rec, key_field, &key, call->errp);
    if (rc < 0) {
        ucrm_buf__free(&key);
        return rc;
    }
    ucrm_req__init(&req, "POST", UCRM_RETRY_IDEMPOTENT);
    url_object(&req.url, o, NULL);
    ucrm_buf__puts(&req.url, "/batch/upsert");
    /* PROTOCOL B3: {"inputs":[{"id":"<value>","idProperty":"email","properties":{...}}]}; the key travels as the
     * id (HubSpot sets the property from it on create) */
    ucrm_buf__puts(&req.body, "{\"inputs\":[{\"id\":");
    ucrm_buf__json_str(&req.body, key.ptr, key.len);
    ucrm_buf__puts(&req.body, ",\"idProperty\":");
    ucrm_buf__json_str(&req.body, prop, strlen(prop));
    ucrm_buf__puts(&req.body, ",\"properties\":");
    rc = hs_write_props(o, rec, true, prop, &req.body, &w, call->errp);
    ucrm_buf__puts(&req.body, "}]}");
    ucrm_buf__free(&key);
    if (rc < 0) {
        ucrm_req__free(&req);
        return rc;
    }
    rc = hs_send(call, &req, &resp, &j, "upsert");
    if (rc == UCRM_OK)
        rc = upsert_result(call, o, &resp, j, &item);
    if (rc == UCRM_OK)
        rc = read_back(call, o, &resp, item, rec, "upsert");
    cJSON_Delete(j);
    ucrm_resp__free(&resp);
    if (rc == UCRM_OK) {
        clean_written(o, rec);
        rc = apply_assoc(call, o, rec->id, &w, true);
    }
    return rc;
}
