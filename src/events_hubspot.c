/*
 * events_hubspot.c -- HubSpot webhook notifications -> unified change events. Facts: PROTOCOL.md B10 (HubSpot
 * webhooks docs; the "New subscription types for Webhooks" changelog for merge/restore/associationChange
 * fields: primaryObjectId, mergedObjectIds, newObjectId, associationType, fromObjectId, toObjectId,
 * associationRemoved).
 */
#include "events_int.h"

#include "error_int.h"
#include "json_int.h"
#include "provider_int.h"

#include <stdio.h>

static ucrm_event_kind_t hs_kind(const char *action, bool removed) {
    static const struct {
        const char *name;
        ucrm_event_kind_t kind;
    } kinds[] = {
        {"creation", UCRM_EVENT_CREATED},          {"deletion", UCRM_EVENT_DELETED},
        {"privacyDeletion", UCRM_EVENT_DELETED},   {"propertyChange", UCRM_EVENT_PROPERTY_CHANGED},
        {"merge", UCRM_EVENT_MERGED},              {"restore", UCRM_EVENT_RESTORED},
        {"associationChange", UCRM_EVENT_ASSOCIATED},
    };
    for (size_t i = 0; i < UCRM__ARRAY_LEN(kinds); i++)
        if (strcmp(kinds[i].name, action) == 0)
            return kinds[i].kind == UCRM_EVENT_ASSOCIATED && removed ? UCRM_EVENT_DISASSOCIATED : kinds[i].kind;
    return UCRM_EVENT_OTHER;
}

/* The object from the subscription type's prefix ("contact" in "contact.creation"); the generic "object.*"
 * types name it with objectTypeId. */
static ucrm_object_t hs_object(const char *prefix, size_t plen, const cJSON *n) {
    static const struct {
        const char *name, *type_id;
        ucrm_object_t o;
    } objs[] = {{"contact", "0-1", UCRM_OBJECT_CONTACT}, {"company", "0-2", UCRM_OBJECT_ACCOUNT},
                {"deal", "0-3", UCRM_OBJECT_DEAL}};
    const char *tid = plen == 6 && memcmp(prefix, "object", 6) == 0 ? ucrm_json__str(n, "objectTypeId") : NULL;
    for (size_t i = 0; i < UCRM__ARRAY_LEN(objs); i++)
        if ((strlen(objs[i].name) == plen && memcmp(objs[i].name, prefix, plen) == 0) ||
            (tid && strcmp(tid, objs[i].type_id) == 0))
            return objs[i].o;
    return (ucrm_object_t)0;
}

typedef struct hs_note {
    const cJSON *n;
    size_t idx;
    const char *type;
    int64_t occurred;
    bool oom;
} hs_note_t;

static ucrm_err_t bad(ev_parse_t *ctx, const hs_note_t *h, const char *what) {
    return ucrm__fail(ctx->errp, UCRM_ERR_PROTOCOL, "HubSpot webhook: notification %zu (%s): %s", h->idx,
                      h->type ? h->type : "?", what);
}

static const char *hs_id(ev_parse_t *ctx, hs_note_t *h, const char *key) {
    return ucrm_events__id(ctx, cJSON_GetObjectItemCaseSensitive(h->n, key), &h->oom);
}

/* Merges: the surviving record is newObjectId (set when the merge created a new record), else primaryObjectId;
 * the related ids are the records that are gone (mergedObjectIds, and the primary when a new record replaced
 * it). */
static ucrm_err_t hs_merge(ev_parse_t *ctx, hs_note_t *h, ucrm_event_t *ev) {
    const char *primary = hs_id(ctx, h, "primaryObjectId");
    ev->id = hs_id(ctx, h, "newObjectId");
    if (!ev->id)
        ev->id = primary ? primary : hs_id(ctx, h, "objectId");
    const cJSON *merged = cJSON_GetObjectItemCaseSensitive(h->n, "mergedObjectIds");
    size_t cap = (size_t)cJSON_GetArraySize(merged) + 1;
    ev->related = ucrm_events__alloc(ctx, cap * sizeof *ev->related);
    if (!ev->related)
        return ucrm__fail(ctx->errp, UCRM_ERR_NOMEM, "out of memory");
    const cJSON *m;
    cJSON_ArrayForEach(m, merged) {
        const char *id = ucrm_events__id(ctx, m, &h->oom);
        if (!id)
            return h->oom ? ucrm__fail(ctx->errp, UCRM_ERR_NOMEM, "out of memory") : bad(ctx, h, "bad mergedObjectIds");
        ev->related[ev->nrelated++] = id;
    }
    if (primary && ev->id && strcmp(primary, ev->id) != 0)
        ev->related[ev->nrelated++] = primary;
    return UCRM_OK;
}

static ucrm_err_t hs_association(ev_parse_t *ctx, hs_note_t *h, ucrm_event_t *ev) {
    ev->id = hs_id(ctx, h, "fromObjectId");
    if (!ev->id)
        ev->id = hs_id(ctx, h, "objectId");
    const char *to = hs_id(ctx, h, "toObjectId");
    if (!to)
        return h->oom ? UCRM_OK : bad(ctx, h, "no toObjectId");
    ev->related = ucrm_events__alloc(ctx, sizeof *ev->related);
    if (!ev->related)
        return ucrm__fail(ctx->errp, UCRM_ERR_NOMEM, "out of memory");
    ev->related[ev->nrelated++] = to;
    ev->value = ucrm_json__str(h->n, "associationType");
    ev->has_value = ev->value != NULL;
    return UCRM_OK;
}

static ucrm_err_t hs_property(ev_parse_t *ctx, hs_note_t *h, ucrm_event_t *ev) {
    ev->id = hs_id(ctx, h, "objectId");
    ev->pfield = ucrm_json__str(h->n, "propertyName");
    if (!ev->pfield || !*ev->pfield)
        return bad(ctx, h, "no propertyName");
    if (!(ev->field = ucrm_events__field(ctx, ev->object, ev->pfield)))
        return ucrm__fail(ctx->errp, UCRM_ERR_NOMEM, "out of memory");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h->n, "propertyValue");
    if (v) {
        bool ok;
        ev->value = ucrm_events__scalar(ctx, v, &ok);
        ev->has_value = true;
        if (!ok)
            return ucrm__fail(ctx->errp, UCRM_ERR_NOMEM, "out of memory");
    }
    return UCRM_OK;
}

/* hs:<portalId>:<objectId>:<occurredAt>:<subscriptionType>:<propertyName>[:<to>:<associationType>:<a|r>] */
static ucrm_err_t hs_key(ev_parse_t *ctx, hs_note_t *h, ucrm_event_t *ev) {
    ucrm_buf_t *b = &ctx->scratch;
    ucrm_buf__reset(b);
    const char *eid = ev->id;
    if (!eid) /* only for types unicrm does not interpret: the eventId, marked with an 'e' */
        eid = hs_id(ctx, h, "eventId");
    if (h->oom)
        return ucrm__fail(ctx->errp, UCRM_ERR_NOMEM, "out of memory");
    ucrm_buf__printf(b, "hs:%s:%s%s:%lld:%s:%s", ev->account ? ev->account : "", ev->id ? "" : "e",
                     eid ? eid : "", (long long)h->occurred, h->type, ev->pfield ? ev->pfield : "");
    if (ev->kind == UCRM_EVENT_ASSOCIATED || ev->kind == UCRM_EVENT_DISASSOCIATED)
        ucrm_buf__printf(b, ":%s:%s:%c", ev->related[0], ev->value ? ev->value : "",
                         ev->kind == UCRM_EVENT_ASSOCIATED ? 'a' : 'r');
    return (ev->key = ucrm_events__scratch_dup(ctx)) ? UCRM_OK : ucrm__fail(ctx->errp, UCRM_ERR_NOMEM, "out of memory");
}

static ucrm_err_t hs_common(ev_parse_t *ctx, hs_note_t *h, ucrm_event_t *ev) {
    int64_t v;
    ev->raw = h->n;
    ev->ptype = h->type;
    ev->occurred_at = h->occurred;
    if (ucrm_json__i64(h->n, "attemptNumber", &v) && v >= 0 && v <= INT32_MAX)
        ev->attempt = (int32_t)v;
    ev->account = hs_id(ctx, h, "portalId");
    ev->source = ucrm_json__str(h->n, "changeSource");
    ev->source_id = hs_id(ctx, h, "sourceId");
    const char *dot = strchr(h->type, '.');
    size_t plen = dot ? (size_t)(dot - h->type) : strlen(h->type);
    ev->object = hs_object(h->type, plen, h->n);
    ev->object_name = ev->object ? ucrm_object_name(ev->object) : ucrm_events__strdup(ctx, h->type, plen);
    const cJSON *removed = cJSON_GetObjectItemCaseSensitive(h->n, "associationRemoved");
    ev->kind = dot ? hs_kind(dot + 1, cJSON_IsTrue(removed)) : UCRM_EVENT_OTHER;
    return !ev->object_name || h->oom ? ucrm__fail(ctx->errp, UCRM_ERR_NOMEM, "out of memory") : UCRM_OK;
}

static ucrm_err_t hs_note(ev_parse_t *ctx, const cJSON *n, size_t idx) {
    hs_note_t h = {.n = n, .idx = idx};
    if (!cJSON_IsObject(n))
        return bad(ctx, &h, "not a JSON object");
    h.type = ucrm_json__str(n, "subscriptionType");
    if (!h.type) /* the documentation's field table calls it eventType; real payloads say subscriptionType */
        h.type = ucrm_json__str(n, "eventType");
    if (!h.type || !*h.type)
        return bad(ctx, &h, "no subscriptionType");
    if (!ucrm_json__i64(n, "occurredAt", &h.occurred))
        return bad(ctx, &h, "no integral occurredAt");
    ucrm_event_t *ev = ucrm_events__add(ctx);
    if (!ev)
        return ucrm__fail(ctx->errp, UCRM_ERR_NOMEM, "out of memory");
    ucrm_err_t rc = hs_common(ctx, &h, ev);
    if (rc < 0)
        return rc;
    switch (ev->kind) {
    case UCRM_EVENT_MERGED: rc = hs_merge(ctx, &h, ev); break;
    case UCRM_EVENT_ASSOCIATED:
    case UCRM_EVENT_DISASSOCIATED: rc = hs_association(ctx, &h, ev); break;
    case UCRM_EVENT_PROPERTY_CHANGED: rc = hs_property(ctx, &h, ev); break;
    default: ev->id = hs_id(ctx, &h, "objectId");
    }
    if (rc < 0)
        return rc;
    if (h.oom)
        return ucrm__fail(ctx->errp, UCRM_ERR_NOMEM, "out of memory");
    if (!ev->id && ev->kind != UCRM_EVENT_OTHER)
        return bad(ctx, &h, "no object id");
    return hs_key(ctx, &h, ev);
}

UCRM_API ucrm_err_t ucrm_events_parse_hubspot(ucrm_events_t **out, const char *body, size_t body_len,
                                              const ucrm_client_t *client, ucrm_error_t **errp) {
    ev_parse_t ctx;
    ucrm_err_t rc = ucrm_events__begin(&ctx, out, body, body_len, client, "hubspot", errp);
    if (rc < 0)
        return rc;
    const cJSON *root = ctx.evs->root;
    if (!cJSON_IsArray(root))
        rc = ucrm__fail(errp, UCRM_ERR_PROTOCOL, "HubSpot webhook: body is not a JSON array of notifications");
    size_t idx = 0;
    const cJSON *n;
    cJSON_ArrayForEach(n, (cJSON_IsArray(root) ? root : NULL)) {
        if (rc < 0)
            break;
        rc = hs_note(&ctx, n, idx++);
    }
    return ucrm_events__end(&ctx, out, rc);
}
