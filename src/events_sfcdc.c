/*
 * events_sfcdc.c -- Salesforce Change Data Capture events (JSON form) -> unified change events.
 * Facts: PROTOCOL.md A11; Salesforce CDC developer guide: "Change Event Message Structure" (CometD
 * {"data":{"schema","payload","event":{"replayId"}},"channel"}), "ChangeEventHeader Fields" (recordIds may hold
 * a wildcard "001*"), "Get Compound Fields in Change Events" (changedFields name components as
 * "Compound.Component", nested in the payload; BillingAddress.Street is BillingStreet on the sObject),
 * "Gap Events" / "Overflow Events" (GAP_CREATE/UPDATE/DELETE/UNDELETE, GAP_OVERFLOW: header only);
 * Apex ChangeEventHeader (changeOrigin "com/salesforce/api/<api>/<ver>;client=<id>", commitUser).
 */
#include "events_int.h"

#include "error_int.h"
#include "json_int.h"
#include "provider_int.h"

#include <stdio.h>

typedef struct sf_msg {
    const cJSON *payload, *header;
    const char *replay;
    size_t idx;
    const char *entity, *type, *txkey;
    int64_t occurred, seq;
    bool has_seq;
    ucrm_object_t object;
    const cJSON *changed, *nulled, *diff;
    bool field_names;      /* changedFields is a usable list of names */
} sf_msg_t;

static ucrm_err_t bad(ev_parse_t *ctx, size_t idx, const char *what) {
    return ucrm__fail(ctx->errp, UCRM_ERR_PROTOCOL, "Salesforce change event %zu: %s", idx, what);
}

static ucrm_err_t oom(ev_parse_t *ctx) { return ucrm__fail(ctx->errp, UCRM_ERR_NOMEM, "out of memory"); }

static ucrm_object_t sf_object(const char *entity) {
    if (strcmp(entity, "Contact") == 0)
        return UCRM_OBJECT_CONTACT;
    if (strcmp(entity, "Account") == 0)
        return UCRM_OBJECT_ACCOUNT;
    if (strcmp(entity, "Opportunity") == 0)
        return UCRM_OBJECT_DEAL;
    return (ucrm_object_t)0;
}

/* The Pub/Sub API's header lists fields as bitmaps ("0x1A", "3-0x02") that need the Avro schema to read. */
static bool is_bitmap(const char *s) {
    while (*s >= '0' && *s <= '9')
        s++;
    if (*s == '-')
        s++;
    return s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

static bool names_list(const cJSON *a) {
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) == 0)
        return false;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) if (!cJSON_IsString(v) || !*v->valuestring || is_bitmap(v->valuestring)) return false;
    return true;
}

static bool in_list(const cJSON *a, const char *name) {
    const cJSON *v;
    cJSON_ArrayForEach(v, (cJSON_IsArray(a) ? a : NULL)) if (cJSON_IsString(v) && strcmp(v->valuestring, name) == 0)
        return true;
    return false;
}

/* "Compound.Component" -> the sObject field name: Name.FirstName -> FirstName, MailingAddress.City ->
 * MailingCity, Loc__c.Latitude__s -> Loc__Latitude__s; other names unchanged. Into the scratch buffer. */
static void flatten(ucrm_buf_t *b, const char *cf) {
    ucrm_buf__reset(b);
    const char *dot = strchr(cf, '.');
    if (!dot) {
        ucrm_buf__puts(b, cf);
        return;
    }
    size_t clen = (size_t)(dot - cf);
    if (clen == 4 && memcmp(cf, "Name", 4) == 0)
        ucrm_buf__puts(b, dot + 1);
    else if (clen > 7 && memcmp(dot - 7, "Address", 7) == 0)
        ucrm_buf__printf(b, "%.*s%s", (int)(clen - 7), cf, dot + 1);
    else if (clen > 3 && memcmp(dot - 3, "__c", 3) == 0)
        ucrm_buf__printf(b, "%.*s__%s", (int)(clen - 3), cf, dot + 1);
    else
        ucrm_buf__puts(b, cf);
}

/* The value of a changed field in the payload: nested for compound components. NULL when absent. */
static const cJSON *field_value(const cJSON *payload, const char *cf) {
    const char *dot = strchr(cf, '.');
    if (!dot)
        return cJSON_GetObjectItemCaseSensitive(payload, cf);
    char compound[256];
    size_t clen = (size_t)(dot - cf);
    if (clen >= sizeof compound)
        return NULL;
    memcpy(compound, cf, clen);
    compound[clen] = '\0';
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(payload, compound);
    return cJSON_IsObject(c) ? cJSON_GetObjectItemCaseSensitive(c, dot + 1) : NULL;
}

/* sf:<transactionKey>:<sequenceNumber>:<recordId>:<field>, or sf:r<replayId>:..., or sf:t<commitTimestamp>:... */
static ucrm_err_t sf_key(ev_parse_t *ctx, const sf_msg_t *m, ucrm_event_t *ev) {
    ucrm_buf_t *b = &ctx->scratch;
    ucrm_buf__reset(b);
    if (m->txkey && m->has_seq)
        ucrm_buf__printf(b, "sf:%s:%lld", m->txkey, (long long)m->seq);
    else if (m->replay)
        ucrm_buf__printf(b, "sf:r%s", m->replay);
    else
        ucrm_buf__printf(b, "sf:t%lld:%s:%s", (long long)m->occurred, m->entity, m->type);
    ucrm_buf__printf(b, ":%s:%s", ev->id ? ev->id : "*", ev->pfield ? ev->pfield : "");
    return (ev->key = ucrm_events__scratch_dup(ctx)) ? UCRM_OK : oom(ctx);
}

static ucrm_err_t sf_source(ev_parse_t *ctx, const sf_msg_t *m, ucrm_event_t *ev) {
    ev->source = ucrm_json__str(m->header, "changeOrigin");
    ev->user = ucrm_json__str(m->header, "commitUser");
    const char *c = ev->source ? strstr(ev->source, "client=") : NULL;
    if (c) {
        c += 7;
        size_t n = strcspn(c, ";");
        if (n && !(ev->source_id = ucrm_events__strdup(ctx, c, n)))
            return oom(ctx);
    }
    return UCRM_OK;
}

static ucrm_event_t *sf_event(ev_parse_t *ctx, const sf_msg_t *m, const char *id, ucrm_event_kind_t kind) {
    ucrm_event_t *ev = ucrm_events__add(ctx);
    if (!ev)
        return NULL;
    ev->kind = kind;
    ev->object = m->object;
    ev->object_name = m->object ? ucrm_object_name(m->object) : m->entity;
    ev->ptype = m->type;
    ev->occurred_at = m->occurred;
    ev->replay = m->replay;
    ev->raw = m->payload;
    ev->id = id;
    return ev;
}

static ucrm_err_t sf_field(ev_parse_t *ctx, const sf_msg_t *m, const char *id, const char *cf) {
    ucrm_event_t *ev = sf_event(ctx, m, id, UCRM_EVENT_PROPERTY_CHANGED);
    if (!ev)
        return oom(ctx);
    flatten(&ctx->scratch, cf);
    if (!(ev->pfield = ucrm_events__scratch_dup(ctx)) || !(ev->field = ucrm_events__field(ctx, m->object, ev->pfield)))
        return oom(ctx);
    const cJSON *v = field_value(m->payload, cf);
    if (v) {
        bool ok;
        ev->value = ucrm_events__scalar(ctx, v, &ok);
        ev->has_value = true;
        if (!ok)
            return oom(ctx);
    } else if (in_list(m->nulled, cf)) {
        ev->has_value = true;
    }
    if (in_list(m->diff, cf)) { /* sent as a diff of a long text: not the value */
        ev->value = NULL;
        ev->has_value = false;
    }
    ucrm_err_t rc = sf_source(ctx, m, ev);
    return rc < 0 ? rc : sf_key(ctx, m, ev);
}

static ucrm_event_kind_t sf_kind(const char *type, bool *gap) {
    static const struct {
        const char *name;
        ucrm_event_kind_t kind;
    } kinds[] = {{"CREATE", UCRM_EVENT_CREATED}, {"UPDATE", UCRM_EVENT_UPDATED}, {"DELETE", UCRM_EVENT_DELETED},
                 {"UNDELETE", UCRM_EVENT_RESTORED}, {"OVERFLOW", UCRM_EVENT_UPDATED}};
    *gap = strncmp(type, "GAP_", 4) == 0;
    const char *t = *gap ? type + 4 : type;
    for (size_t i = 0; i < UCRM__ARRAY_LEN(kinds); i++)
        if (strcmp(kinds[i].name, t) == 0 && (*gap || i < 4))
            return kinds[i].kind;
    return UCRM_EVENT_OTHER;
}

/* The events for one record id (NULL: the whole object). */
static ucrm_err_t sf_record(ev_parse_t *ctx, const sf_msg_t *m, const char *id, bool gap) {
    bool g;
    ucrm_event_kind_t kind = sf_kind(m->type, &g);
    if (kind == UCRM_EVENT_UPDATED && !gap && id && m->field_names) {
        const cJSON *f;
        cJSON_ArrayForEach(f, m->changed) {
            ucrm_err_t rc = sf_field(ctx, m, id, f->valuestring);
            if (rc < 0)
                return rc;
        }
        return UCRM_OK;
    }
    ucrm_event_t *ev = sf_event(ctx, m, id, kind);
    if (!ev)
        return oom(ctx);
    ev->gap = gap;
    ucrm_err_t rc = sf_source(ctx, m, ev);
    return rc < 0 ? rc : sf_key(ctx, m, ev);
}

static ucrm_err_t sf_header(ev_parse_t *ctx, sf_msg_t *m) {
    m->entity = ucrm_json__str(m->header, "entityName");
    m->type = ucrm_json__str(m->header, "changeType");
    if (!m->entity || !*m->entity || !m->type || !*m->type)
        return bad(ctx, m->idx, "the header lacks entityName or changeType");
    if (!ucrm_json__i64(m->header, "commitTimestamp", &m->occurred))
        return bad(ctx, m->idx, "the header lacks an integral commitTimestamp");
    m->txkey = ucrm_json__str(m->header, "transactionKey");
    m->has_seq = ucrm_json__i64(m->header, "sequenceNumber", &m->seq);
    m->object = sf_object(m->entity);
    m->changed = cJSON_GetObjectItemCaseSensitive(m->header, "changedFields");
    m->nulled = cJSON_GetObjectItemCaseSensitive(m->header, "nulledFields");
    m->diff = cJSON_GetObjectItemCaseSensitive(m->header, "diffFields");
    m->field_names = names_list(m->changed);
    return UCRM_OK;
}

static ucrm_err_t sf_payload(ev_parse_t *ctx, sf_msg_t *m) {
    ucrm_err_t rc = sf_header(ctx, m);
    if (rc < 0)
        return rc;
    bool gap;
    sf_kind(m->type, &gap);
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(m->header, "recordIds");
    if (strcmp(m->type, "GAP_OVERFLOW") == 0 || (cJSON_IsArray(ids) && cJSON_GetArraySize(ids) == 0 && gap))
        return sf_record(ctx, m, NULL, true);
    if (!cJSON_IsArray(ids) || cJSON_GetArraySize(ids) == 0)
        return bad(ctx, m->idx, "the header has no recordIds");
    const cJSON *id;
    cJSON_ArrayForEach(id, ids) {
        if (!cJSON_IsString(id) || !*id->valuestring)
            return bad(ctx, m->idx, "a record id is not a non-empty string");
        bool wildcard = strchr(id->valuestring, '*') != NULL; /* "001*": every record of the object */
        rc = sf_record(ctx, m, wildcard ? NULL : id->valuestring, gap || wildcard);
        if (rc < 0)
            return rc;
    }
    return UCRM_OK;
}

/* A message in any of the accepted shapes: CometD message, its "data" object, {"replayId","payload"}, or the
 * bare payload. /meta/ messages are skipped. */
static ucrm_err_t sf_message(ev_parse_t *ctx, const cJSON *msg, size_t idx) {
    if (!cJSON_IsObject(msg))
        return bad(ctx, idx, "not a JSON object");
    const char *channel = ucrm_json__str(msg, "channel");
    if (channel && ucrm__startswith(channel, "/meta/"))
        return UCRM_OK;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(msg, "data");
    if (!cJSON_IsObject(data))
        data = msg;
    sf_msg_t m = {.idx = idx};
    m.payload = cJSON_GetObjectItemCaseSensitive(data, "payload");
    if (!cJSON_IsObject(m.payload))
        m.payload = data;
    m.header = cJSON_GetObjectItemCaseSensitive(m.payload, "ChangeEventHeader");
    if (!cJSON_IsObject(m.header))
        return bad(ctx, idx, "no ChangeEventHeader (not a change event)");
    const cJSON *event = cJSON_GetObjectItemCaseSensitive(data, "event");
    const cJSON *replay = cJSON_GetObjectItemCaseSensitive(event, "replayId");
    if (!replay)
        replay = cJSON_GetObjectItemCaseSensitive(data, "replayId");
    if (!replay)
        replay = cJSON_GetObjectItemCaseSensitive(msg, "replayId");
    bool ok = true;
    if (cJSON_IsString(replay) || cJSON_IsNumber(replay))
        m.replay = ucrm_events__scalar(ctx, replay, &ok);
    if (!ok)
        return oom(ctx);
    return sf_payload(ctx, &m);
}

UCRM_API ucrm_err_t ucrm_events_parse_salesforce_cdc(ucrm_events_t **out, const char *body, size_t body_len,
                                                     const ucrm_client_t *client, ucrm_error_t **errp) {
    ev_parse_t ctx;
    ucrm_err_t rc = ucrm_events__begin(&ctx, out, body, body_len, client, "salesforce", errp);
    if (rc < 0)
        return rc;
    const cJSON *root = ctx.evs->root;
    if (cJSON_IsArray(root)) {
        size_t idx = 0;
        const cJSON *m;
        cJSON_ArrayForEach(m, root) {
            if ((rc = sf_message(&ctx, m, idx++)) < 0)
                break;
        }
    } else {
        rc = sf_message(&ctx, root, 0);
    }
    return ucrm_events__end(&ctx, out, rc);
}
