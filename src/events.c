/*
 * events.c -- the change-event batch: parsing set-up shared by the provider parsers, the arena, accessors,
 * deduplication and newest-per-record filtering. See events_int.h.
 */
#include "events_int.h"

#include "client_int.h"
#include "error_int.h"
#include "json_int.h"
#include "jsonscan_int.h"
#include "model_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define EV_MAX_BODY JSON_MAX_INPUT
#define EV_CHUNK 4096

/* ---------------------------------------------------------------------------------------------- arena */

struct ev_chunk {
    ev_chunk_t *next;
    size_t used, size;
    _Alignas(max_align_t) unsigned char data[];
};

void *ucrm_events__alloc(ev_parse_t *ctx, size_t n) {
    ucrm_events_t *evs = ctx->evs;
    n = (n + 15) & ~(size_t)15;
    ev_chunk_t *c = evs->arena;
    if (!c || c->size - c->used < n) {
        size_t size = n > EV_CHUNK / 2 ? n : EV_CHUNK;
        if (size > SIZE_MAX - sizeof *c || !(c = ucrm__malloc(sizeof *c + size)))
            return NULL;
        c->used = 0;
        c->size = size;
        /* A big block goes behind the current one so that the current one keeps serving small requests. */
        if (evs->arena && size != EV_CHUNK) {
            c->next = evs->arena->next;
            evs->arena->next = c;
        } else {
            c->next = evs->arena;
            evs->arena = c;
        }
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

const char *ucrm_events__strdup(ev_parse_t *ctx, const char *s, size_t n) {
    if (!s)
        return NULL;
    char *d = ucrm_events__alloc(ctx, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

const char *ucrm_events__scratch_dup(ev_parse_t *ctx) {
    if (ctx->scratch.oom)
        return NULL;
    return ucrm_events__strdup(ctx, ucrm_buf__str(&ctx->scratch), ctx->scratch.len);
}

/* ---------------------------------------------------------------------------------------------- parse helpers */

static ucrm_err_t check_client(ev_parse_t *ctx, const ucrm_client_t *client, const char *provider) {
    if (!client)
        return UCRM_OK;
    if (!ucrm__streq(client->provider->name, provider))
        return ucrm__fail(ctx->errp, UCRM_ERR_INVALID_ARG, "%s events need a %s client, not a %s one", provider,
                          provider, client->provider->name);
    ctx->prov = client->provider;
    ctx->pstate = client->pstate;
    return UCRM_OK;
}

ucrm_err_t ucrm_events__begin(ev_parse_t *ctx, ucrm_events_t **out, const char *body, size_t len,
                              const ucrm_client_t *client, const char *provider, ucrm_error_t **errp) {
    memset(ctx, 0, sizeof *ctx);
    ctx->errp = errp;
    ctx->provider = provider;
    if (out)
        *out = NULL;
    if (!out || (!body && len))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "%s events: out and body are required", provider);
    ucrm_err_t rc = check_client(ctx, client, provider);
    if (rc < 0)
        return rc;
    if (len > EV_MAX_BODY)
        return ucrm__fail(errp, UCRM_ERR_PROTOCOL, "%s events: body of %zu bytes is over the 64 MiB limit",
                          provider, len);
    /* Strict validation first (no allocation without collect): exact messages for malformed input, and cJSON
     * (which cannot tell a syntax error from a failed allocation) then fails only for lack of memory. */
    jscan_t j;
    if (ucrm_jscan__run(&j, body ? body : "", len, false, NULL) != UCRM_OK)
        return ucrm__fail(errp, UCRM_ERR_PROTOCOL, "%s events: body is not valid JSON: %s at byte %zu", provider,
                          j.err ? j.err : "malformed", j.err_pos);
    if (!(ctx->evs = ucrm__calloc(1, sizeof *ctx->evs)))
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    /* The text is valid JSON, so cJSON can fail only for lack of memory. */
    if (!(ctx->evs->root = cJSON_ParseWithLength(body ? body : "", len))) {
        ucrm_events_destroy(ctx->evs);
        ctx->evs = NULL;
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    return UCRM_OK;
}

ucrm_err_t ucrm_events__end(ev_parse_t *ctx, ucrm_events_t **out, ucrm_err_t rc) {
    ucrm_buf__free(&ctx->scratch);
    if (rc < 0) {
        ucrm_events_destroy(ctx->evs);
        ctx->evs = NULL;
        return rc;
    }
    *out = ctx->evs;
    return UCRM_OK;
}

ucrm_event_t *ucrm_events__add(ev_parse_t *ctx) {
    ucrm_events_t *evs = ctx->evs;
    if (evs->n == evs->cap) {
        size_t cap = evs->cap ? evs->cap * 2 : 16;
        ucrm_event_t **v = ucrm__realloc(evs->view, cap * sizeof *v);
        if (!v)
            return NULL;
        evs->view = v;
        evs->cap = cap;
    }
    ucrm_event_t *ev = ucrm_events__alloc(ctx, sizeof *ev);
    if (!ev)
        return NULL;
    memset(ev, 0, sizeof *ev);
    ev->provider = ctx->provider;
    ev->attempt = -1;
    ev->order = evs->n;
    evs->view[evs->n++] = ev;
    return ev;
}

const char *ucrm_events__field(ev_parse_t *ctx, ucrm_object_t object, const char *pfield) {
    const char *u = NULL;
    if (ctx->prov && ctx->prov->unified_field && object)
        u = ctx->prov->unified_field(ctx->pstate, object, pfield);
    if (u)
        return ucrm_events__strdup(ctx, u, strlen(u));
    ucrm_buf__reset(&ctx->scratch);
    ucrm_buf__puts(&ctx->scratch, UCRM_CUSTOM_PREFIX);
    ucrm_buf__puts(&ctx->scratch, pfield);
    return ucrm_events__scratch_dup(ctx);
}

void ucrm_events__i64_text(int64_t v, char out[24]) {
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t o = 0;
    if (v < 0)
        out[o++] = '-';
    while (n)
        out[o++] = tmp[--n];
    out[o] = '\0';
}

/* An integral double within +-2^53 (exactly representable), as int64. */
static bool exact_int(double d, int64_t *out) {
    if (d != floor(d) || fabs(d) > 9007199254740992.0)
        return false;
    *out = (int64_t)d;
    return true;
}

const char *ucrm_events__scalar(ev_parse_t *ctx, const cJSON *v, bool *ok) {
    *ok = true;
    if (!v || cJSON_IsNull(v))
        return NULL;
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? "true" : "false";
    const char *r = NULL;
    if (cJSON_IsNumber(v)) {
        char buf[40];
        int64_t i;
        if (exact_int(v->valuedouble, &i))
            ucrm_events__i64_text(i, buf);
        else if (!ucrm_json__num_text(v->valuedouble, buf))
            snprintf(buf, sizeof buf, "null");
        r = ucrm_events__strdup(ctx, buf, strlen(buf));
    } else {
        char *j = cJSON_PrintUnformatted(v);
        r = j ? ucrm_events__strdup(ctx, j, strlen(j)) : NULL;
        cJSON_free(j);
    }
    *ok = r != NULL;
    return r;
}

const char *ucrm_events__id(ev_parse_t *ctx, const cJSON *v, bool *oom) {
    if (cJSON_IsString(v))
        return *v->valuestring ? v->valuestring : NULL;
    if (!cJSON_IsNumber(v))
        return NULL;
    int64_t i;
    if (!exact_int(v->valuedouble, &i))
        return NULL;
    char buf[24];
    ucrm_events__i64_text(i, buf);
    const char *r = ucrm_events__strdup(ctx, buf, strlen(buf));
    if (!r)
        *oom = true;
    return r;
}

/* ---------------------------------------------------------------------------------------------- the batch */

UCRM_API void ucrm_events_destroy(ucrm_events_t *evs) {
    if (!evs)
        return;
    for (ev_chunk_t *c = evs->arena, *next; c; c = next) {
        next = c->next;
        ucrm__free(c);
    }
    ucrm__free(evs->view);
    cJSON_Delete(evs->root);
    ucrm__free(evs);
}

UCRM_API size_t ucrm_events_count(const ucrm_events_t *evs) { return evs ? evs->n : 0; }

UCRM_API const ucrm_event_t *ucrm_events_get(const ucrm_events_t *evs, size_t i) {
    return evs && i < evs->n ? evs->view[i] : NULL;
}

UCRM_API ucrm_err_t ucrm_events_dedupe(ucrm_events_t *evs, size_t *removed, ucrm_dedupe_t *d, int64_t now_ms,
                                       ucrm_error_t **errp) {
    if (removed)
        *removed = 0;
    if (!evs || !d)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "events_dedupe: events and store are required");
    if (evs->n == 0)
        return UCRM_OK;
    int64_t now = now_ms ? now_ms : ucrm__now_ms();
    bool *dup = ucrm__calloc(evs->n, sizeof *dup);
    if (!dup)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < evs->n; i++) {
        int seen = 0;
        ucrm_err_t rc = ucrm_dedupe_seen(d, &seen, evs->view[i]->key, now, errp);
        if (rc < 0) {
            ucrm__free(dup);
            return rc;
        }
        dup[i] = seen != 0;
    }
    size_t k = 0;
    for (size_t i = 0; i < evs->n; i++)
        if (!dup[i])
            evs->view[k++] = evs->view[i];
    if (removed)
        *removed = evs->n - k;
    evs->n = k;
    ucrm__free(dup);
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- keep newest */

typedef struct slot {
    const char *key; /* points into the slot buffer once it is final */
    size_t off;
    ucrm_event_t *ev;
} slot_t;

/* The aspect of its record an event is about: events with the same slot key supersede each other. */
static void slot_key(ucrm_buf_t *b, const ucrm_event_t *ev) {
    ucrm_buf__printf(b, "%s\x1f%s\x1f%s\x1f", ev->account ? ev->account : "", ev->object_name ? ev->object_name : "",
                     ev->id);
    switch (ev->kind) {
    case UCRM_EVENT_PROPERTY_CHANGED:
        ucrm_buf__printf(b, "f\x1f%s", ev->field ? ev->field : "");
        break;
    case UCRM_EVENT_ASSOCIATED:
    case UCRM_EVENT_DISASSOCIATED:
        ucrm_buf__printf(b, "a\x1f%s\x1f%s", ev->value ? ev->value : "", ev->nrelated ? ev->related[0] : "");
        break;
    case UCRM_EVENT_OTHER:
        ucrm_buf__printf(b, "o\x1f%s", ev->ptype ? ev->ptype : "");
        break;
    default:
        ucrm_buf__puts(b, "l");
    }
    ucrm_buf__putc(b, '\0');
}

static int newer_cmp(const ucrm_event_t *a, const ucrm_event_t *b) {
    if (a->occurred_at != b->occurred_at)
        return a->occurred_at < b->occurred_at ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int slot_cmp(const void *pa, const void *pb) {
    const slot_t *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    return c ? c : newer_cmp(a->ev, b->ev);
}

static int time_cmp(const void *pa, const void *pb) {
    return newer_cmp(*(ucrm_event_t *const *)pa, *(ucrm_event_t *const *)pb);
}

UCRM_API ucrm_err_t ucrm_events_keep_newest(ucrm_events_t *evs, size_t *removed) {
    if (removed)
        *removed = 0;
    if (!evs)
        return UCRM_ERR_INVALID_ARG;
    size_t n = evs->n;
    slot_t *s = ucrm__calloc(n ? n : 1, sizeof *s);
    ucrm_buf_t keys = UCRM_BUF_INIT;
    size_t ns = 0, k = 0;
    for (size_t i = 0; s && i < n; i++) {
        if (!evs->view[i]->id) /* a whole-object event: always kept */
            continue;
        s[ns].off = keys.len;
        s[ns++].ev = evs->view[i];
        slot_key(&keys, evs->view[i]);
    }
    if (!s || keys.oom) {
        ucrm__free(s);
        ucrm_buf__free(&keys);
        return UCRM_ERR_NOMEM;
    }
    for (size_t i = 0; i < ns; i++)
        s[i].key = keys.ptr + s[i].off;
    qsort(s, ns, sizeof *s, slot_cmp);
    /* Every whole-object event, then the last (newest) of each run of equal slot keys. */
    for (size_t i = 0; i < n; i++)
        if (!evs->view[i]->id)
            evs->view[k++] = evs->view[i];
    for (size_t i = 0; i < ns; i++)
        if (i + 1 == ns || strcmp(s[i].key, s[i + 1].key) != 0)
            evs->view[k++] = s[i].ev;
    qsort(evs->view, k, sizeof *evs->view, time_cmp);
    if (removed)
        *removed = n - k;
    evs->n = k;
    ucrm__free(s);
    ucrm_buf__free(&keys);
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- accessors */

UCRM_API ucrm_event_kind_t ucrm_event_kind(const ucrm_event_t *ev) { return ev ? ev->kind : UCRM_EVENT_OTHER; }
UCRM_API const char *ucrm_event_provider(const ucrm_event_t *ev) { return ev ? ev->provider : NULL; }
UCRM_API const char *ucrm_event_provider_type(const ucrm_event_t *ev) { return ev ? ev->ptype : NULL; }
UCRM_API ucrm_object_t ucrm_event_object(const ucrm_event_t *ev) { return ev ? ev->object : (ucrm_object_t)0; }
UCRM_API const char *ucrm_event_object_name(const ucrm_event_t *ev) { return ev ? ev->object_name : NULL; }
UCRM_API const char *ucrm_event_record_id(const ucrm_event_t *ev) { return ev ? ev->id : NULL; }
UCRM_API const char *ucrm_event_field(const ucrm_event_t *ev) { return ev ? ev->field : NULL; }
UCRM_API const char *ucrm_event_provider_field(const ucrm_event_t *ev) { return ev ? ev->pfield : NULL; }
UCRM_API int ucrm_event_has_value(const ucrm_event_t *ev) { return ev ? ev->has_value : 0; }
UCRM_API const char *ucrm_event_value(const ucrm_event_t *ev) { return ev ? ev->value : NULL; }
UCRM_API int64_t ucrm_event_occurred_at_ms(const ucrm_event_t *ev) { return ev ? ev->occurred_at : 0; }
UCRM_API const char *ucrm_event_source(const ucrm_event_t *ev) { return ev ? ev->source : NULL; }
UCRM_API const char *ucrm_event_source_id(const ucrm_event_t *ev) { return ev ? ev->source_id : NULL; }
UCRM_API const char *ucrm_event_user(const ucrm_event_t *ev) { return ev ? ev->user : NULL; }
UCRM_API const char *ucrm_event_account_id(const ucrm_event_t *ev) { return ev ? ev->account : NULL; }
UCRM_API const char *ucrm_event_key(const ucrm_event_t *ev) { return ev ? ev->key : NULL; }
UCRM_API int32_t ucrm_event_attempt(const ucrm_event_t *ev) { return ev ? ev->attempt : -1; }
UCRM_API const char *ucrm_event_replay_id(const ucrm_event_t *ev) { return ev ? ev->replay : NULL; }
UCRM_API int ucrm_event_is_gap(const ucrm_event_t *ev) { return ev ? ev->gap : 0; }
UCRM_API size_t ucrm_event_related_count(const ucrm_event_t *ev) { return ev ? ev->nrelated : 0; }

UCRM_API const char *ucrm_event_related_id(const ucrm_event_t *ev, size_t i) {
    return ev && i < ev->nrelated ? ev->related[i] : NULL;
}

UCRM_API ucrm_err_t ucrm_event_raw_json(const ucrm_event_t *ev, char **out) {
    if (out)
        *out = NULL;
    if (!ev || !out)
        return UCRM_ERR_INVALID_ARG;
    char *j = ev->raw ? cJSON_PrintUnformatted(ev->raw) : NULL;
    if (!j)
        return UCRM_ERR_NOMEM;
    *out = ucrm__strdup(j);
    cJSON_free(j);
    return *out ? UCRM_OK : UCRM_ERR_NOMEM;
}
