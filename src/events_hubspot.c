/*
 * events_hubspot.c -- HubSpot webhook notifications -> unified change events. Facts: PROTOCOL.md B10 (HubSpot
 * webhooks docs; the "New subscription types for Webhooks" changelog for merge/restore/associationChange
 * fields: primaryObjectId, mergedObjectIds, newObjectId, associationType, fromObjectId, toObjectId,
 * associationRemoved).
 *
 * Each notification's members are read in one pass into a table (the first of duplicate names wins, as with
 * cJSON_GetObjectItem): looking each name up separately cost a third of the parse in strcmp.
 */
#include "events_int.h"

#include "error_int.h"
#include "json_int.h"
#include "provider_int.h"

enum {
    M_SUBSCRIPTION_TYPE, M_EVENT_TYPE, M_OCCURRED_AT, M_OBJECT_ID, M_OBJECT_TYPE_ID, M_PORTAL_ID, M_ATTEMPT,
    M_EVENT_ID, M_PROPERTY_NAME, M_PROPERTY_VALUE, M_CHANGE_SOURCE, M_SOURCE_ID, M_PRIMARY_ID, M_MERGED_IDS,
    M_NEW_ID, M_FROM_ID, M_TO_ID, M_ASSOC_TYPE, M_ASSOC_REMOVED, M_COUNT
};

static const struct member {
    const char *name;
    int id;
} members[] = {
    /* grouped by first letter for member_id() */
    {"associationRemoved", M_ASSOC_REMOVED}, {"associationType", M_ASSOC_TYPE}, {"attemptNumber", M_ATTEMPT},
    {"changeSource", M_CHANGE_SOURCE},
    {"eventId", M_EVENT_ID}, {"eventType", M_EVENT_TYPE},
    {"fromObjectId", M_FROM_ID},
    {"mergedObjectIds", M_MERGED_IDS},
    {"newObjectId", M_NEW_ID},
    {"objectId", M_OBJECT_ID}, {"objectTypeId", M_OBJECT_TYPE_ID}, {"occurredAt", M_OCCURRED_AT},
    {"portalId", M_PORTAL_ID}, {"primaryObjectId", M_PRIMARY_ID}, {"propertyName", M_PROPERTY_NAME},
    {"propertyValue", M_PROPERTY_VALUE},
    {"sourceId", M_SOURCE_ID}, {"subscriptionType", M_SUBSCRIPTION_TYPE},
    {"toObjectId", M_TO_ID},
};

static int member_id(const char *k) {
    for (size_t i = 0; i < UCRM__ARRAY_LEN(members); i++)
        if (members[i].name[0] == k[0] && strcmp(members[i].name, k) == 0)
            return members[i].id;
    return -1;
}

typedef struct hs_note {
    const cJSON *n;
    const cJSON *m[M_COUNT];
    size_t idx;
    const char *type;
    int64_t occurred;
    bool oom;
} hs_note_t;

static const char *mstr(const hs_note_t *h, int id) {
    return cJSON_IsString(h->m[id]) ? h->m[id]->valuestring : NULL;
}

static ucrm_event_kind_t hs_kind(const char *action, bool removed) {
    static const struct {
        const char *name;
        ucrm_event_kind_t kind;
    } kinds[] = {
        {"propertyChange", UCRM_EVENT_PROPERTY_CHANGED}, {"creation", UCRM_EVENT_CREATED},
        {"deletion", UCRM_EVENT_DELETED},                {"privacyDeletion", UCRM_EVENT_DELETED},
        {"merge", UCRM_EVENT_MERGED},                    {"restore", UCRM_EVENT_RESTORED},
        {"associationChange", UCRM_EVENT_ASSOCIATED},
    };
    for (size_t i = 0; i < UCRM__ARRAY_LEN(kinds); i++)
        if (strcmp(kinds[i].name, action) == 0)
            return kinds[i].kind == UCRM_EVENT_ASSOCIATED && removed ? UCRM_EVENT_DISASSOCIATED : kinds[i].kind;
    return UCRM_EVENT_OTHER;
}

/* The object from the subscription type's prefix ("contact" in "contact.creation"); the generic "object.*"
 * types name it with objectTypeId. */
static ucrm_object_t hs_object(const hs_note_t *h, size_t plen) {
    static const struct {
        const char *name, *type_id;
        ucrm_object_t o;
    } objs[] = {{"contact", "0-1", UCRM_OBJECT_CONTACT}, {"company", "0-2", UCRM_OBJECT_ACCOUNT},
                {"deal", "0-3", UCRM_OBJECT_DEAL}};
    const char *tid = plen == 6 && memcmp(h->type, "object", 6) == 0 ? mstr(h, M_OBJECT_TYPE_ID) : NULL;
    for (size_t i = 0; i < UCRM__ARRAY_LEN(objs); i++)
        if ((strlen(objs[i].name) == plen && memcmp(objs[i].name, h->type, plen) == 0) ||
            (tid && strcmp(tid, objs[i].type_id) == 0))
            return objs[i].o;
    return (ucrm_object_t)0;
}

static ucrm_err_t bad(ev_parse_t *ctx, const hs_note_t *h, const char *what) {
    return ucrm__fail(ctx->errp, UCRM_ERR_PROTOCOL, "HubSpot webhook: notification %zu (%s): %s", h->idx,
                      h->type ? h->type : "?", what);
}

static ucrm_err_t oom(ev_parse_t *ctx) { return ucrm__fail(ctx->errp, UCRM_ERR_NOMEM, "out of memory"); }

static const char *hs_id(ev_parse_t *ctx, hs_note_t *h, int id) { return ucrm_events__id(ctx, h->m[id], &h->oom); }

/* Merges: the surviving record is newObjectId (set when the merge created a new record), else primaryObjectId;
 * the related ids are the records that are gone (mergedObjectIds, and the primary when a new record replaced
 * it). */
static ucrm_err_t hs_merge(ev_parse_t *ctx, hs_note_t *h, ucrm_event_t *ev) {
    const char *primary = hs_id(ctx, h, M_PRIMARY_ID);
    ev->id = hs_id(ctx, h, M_NEW_ID);
    if (!ev->id)
        ev->id = primary ? primary : hs_id(ctx, h, M_OBJECT_ID);
    const cJSON *merged = h->m[M_MERGED_IDS];
    size_t cap = (size_t)cJSON_GetArraySize(merged) + 1;
    if (!(ev->related = ucrm_events__alloc(ctx, cap * sizeof *ev->related)))
        return oom(ctx);
    const cJSON *m;
    cJSON_ArrayForEach(m, (cJSON_IsArray(merged) ? merged : NULL)) {
        const char *id = ucrm_events__id(ctx, m, &h->oom);
        if (!id)
            return h->oom ? oom(ctx) : bad(ctx, h, "bad mergedObjectIds");
        ev->related[ev->nrelated++] = id;
    }
    if (primary && ev->id && strcmp(primary, ev->id) != 0)
        ev->related[ev->nrelated++] = primary;
    return UCRM_OK;
}

static ucrm_err_t hs_association(ev_parse_t *ctx, hs_note_t *h, ucrm_event_t *ev) {
    ev->id = hs_id(ctx, h, M_FROM_ID);
    if (!ev->id)
        ev->id = hs_id(ctx, h, M_OBJECT_ID);
    const char *to = hs_id(ctx, h, M_TO_ID);
    if (!to)
        return h->oom ? oom(ctx) : bad(ctx, h, "no toObjectId");
    if (!(ev->related = ucrm_events__alloc(ctx, sizeof *ev->related)))
        return oom(ctx);
    ev->related[ev->nrelated++] = to;
    ev->value = mstr(h, M_ASSOC_TYPE);
    ev->has_value = ev->value != NULL;
    return UCRM_OK;
}

static ucrm_err_t hs_property(ev_parse_t *ctx, hs_note_t *h, ucrm_event_t *ev) {
    ev->id = hs_id(ctx, h, M_OBJECT_ID);
    ev->pfield = mstr(h, M_PROPERTY_NAME);
    if (!ev->pfield || !*ev->pfield)
        return bad(ctx, h, "no propertyName");
    if (!(ev->field = ucrm_events__field(ctx, ev->object, ev->pfield)))
        return oom(ctx);
    const cJSON *v = h->m[M_PROPERTY_VALUE];
    if (v) {
        bool ok;
        ev->value = ucrm_events__scalar(ctx, v, &ok);
        ev->has_value = true;
        if (!ok)
            return oom(ctx);
    }
    return UCRM_OK;
}

/* hs:<portalId>:<objectId>:<occurredAt>:<subscriptionType>:<propertyName>[:<to>:<associationType>:<a|r>] */
static ucrm_err_t hs_key(ev_parse_t *ctx, hs_note_t *h, ucrm_event_t *ev) {
    ucrm_buf_t *b = &ctx->scratch;
    ucrm_buf__reset(b);
    const char *eid = ev->id;
    if (!eid) /* only for types unicrm does not interpret: the eventId, marked with an 'e' */
        eid = hs_id(ctx, h, M_EVENT_ID);
    if (h->oom)
        return oom(ctx);
    char t[24];
    ucrm_events__i64_text(h->occurred, t);
    ucrm_buf__puts(b, "hs:");
    ucrm_buf__puts(b, ev->account ? ev->account : "");
    ucrm_buf__puts(b, ev->id ? ":" : ":e");
    ucrm_buf__puts(b, eid ? eid : "");
    ucrm_buf__putc(b, ':');
    ucrm_buf__puts(b, t);
    ucrm_buf__putc(b, ':');
    ucrm_buf__puts(b, h->type);
    ucrm_buf__putc(b, ':');
    ucrm_buf__puts(b, ev->pfield ? ev->pfield : "");
    if (ev->kind == UCRM_EVENT_ASSOCIATED || ev->kind == UCRM_EVENT_DISASSOCIATED) {
        ucrm_buf__putc(b, ':');
        ucrm_buf__puts(b, ev->related[0]);
        ucrm_buf__putc(b, ':');
        ucrm_buf__puts(b, ev->value ? ev->value : "");
        ucrm_buf__puts(b, ev->kind == UCRM_EVENT_ASSOCIATED ? ":a" : ":r");
    }
    return (ev->key = ucrm_events__scratch_dup(ctx)) ? UCRM_OK : oom(ctx);
}

static ucrm_err_t hs_common(ev_parse_t *ctx, hs_note_t *h, ucrm_event_t *ev) {
    int64_t v;
    ev->raw = h->n;
    ev->ptype = h->type;
    ev->occurred_at = h->occurred;
    if (ucrm_json__item_i64(h->m[M_ATTEMPT], &v) && v >= 0 && v <= INT32_MAX)
        ev->attempt = (int32_t)v;
    ev->account = hs_id(ctx, h, M_PORTAL_ID);
    ev->source = mstr(h, M_CHANGE_SOURCE);
    ev->source_id = hs_id(ctx, h, M_SOURCE_ID);
    const char *dot = strchr(h->type, '.');
    size_t plen = dot ? (size_t)(dot - h->type) : strlen(h->type);
    ev->object = hs_object(h, plen);
    ev->object_name = ev->object ? ucrm_object_name(ev->object) : ucrm_events__strdup(ctx, h->type, plen);
    ev->kind = dot ? hs_kind(dot + 1, cJSON_IsTrue(h->m[M_ASSOC_REMOVED])) : UCRM_EVENT_OTHER;
    return !ev->object_name || h->oom ? oom(ctx) : UCRM_OK;
}

static ucrm_err_t hs_note(ev_parse_t *ctx, const cJSON *n, size_t idx) {
    hs_note_t h = {.n = n, .idx = idx};
    if (!cJSON_IsObject(n))
        return bad(ctx, &h, "not a JSON object");
    const cJSON *c;
    cJSON_ArrayForEach(c, n) {
        int id = c->string ? member_id(c->string) : -1;
        if (id >= 0 && !h.m[id])
            h.m[id] = c;
    }
    h.type = mstr(&h, M_SUBSCRIPTION_TYPE);
    if (!h.type) /* the documentation's field table calls it eventType; real payloads say subscriptionType */
        h.type = mstr(&h, M_EVENT_TYPE);
    if (!h.type || !*h.type)
        return bad(ctx, &h, "no subscriptionType");
    if (!ucrm_json__item_i64(h.m[M_OCCURRED_AT], &h.occurred))
        return bad(ctx, &h, "no integral occurredAt");
    ucrm_event_t *ev = ucrm_events__add(ctx);
    if (!ev)
        return oom(ctx);
    ucrm_err_t rc = hs_common(ctx, &h, ev);
    if (rc < 0)
        return rc;
    switch (ev->kind) {
    case UCRM_EVENT_MERGED: rc = hs_merge(ctx, &h, ev); break;
    case UCRM_EVENT_ASSOCIATED:
    case UCRM_EVENT_DISASSOCIATED: rc = hs_association(ctx, &h, ev); break;
    case UCRM_EVENT_PROPERTY_CHANGED: rc = hs_property(ctx, &h, ev); break;
    default: ev->id = hs_id(ctx, &h, M_OBJECT_ID);
    }
    if (rc < 0)
        return rc;
    if (h.oom)
        return oom(ctx);
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
