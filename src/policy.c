/*
 * policy.c -- field ownership (who owns a field, which way it flows) and echo suppression (recognising the
 * change events the CRM sends back for our own writes).
 *
 * Echo fingerprints live in a ttlmap keyed "<object>\x1f<id>\x1f<field>" with a 64-bit hash of the field's
 * normalised value; "<object>\x1f<id>\x1f\x1e" marks a record we wrote, "...\x1d" one we deleted. Values are
 * normalised so that the CRM's text and ours compare equal when they mean the same: dates and date-times as
 * epoch ms (HubSpot sends dates as epoch-ms text), decimals without a '+' or trailing fractional zeros, null as
 * the empty string (HubSpot reports a cleared property as ""), a list of strings joined with ';' (HubSpot's
 * multi-value text).
 */
#include "error_int.h"
#include "events_int.h"
#include "json_int.h"
#include "model_int.h"
#include "record_int.h"
#include "sync_int.h"
#include "ttlmap_int.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>

#define DEFAULT_ECHO_TTL_MS (60 * 60 * 1000)
#define DEFAULT_ECHO_CAPACITY 100000
#define MARK_WRITTEN "\x1e"
#define MARK_DELETED "\x1d"

typedef struct rule {
    ucrm_object_t object;
    char *field; /* "*" for the object's default */
    ucrm_owner_t owner;
    ucrm_sync_dir_t dir;
} rule_t;

struct ucrm_policy_s {
    pthread_mutex_t lock;
    rule_t *rules;
    size_t nrules, caprules;
    char **sources;
    size_t nsources;
    ucrm_ttlmap_t *fp;
    int64_t ttl_ms;
};

/* ---------------------------------------------------------------------------------------------- life */

UCRM_API ucrm_err_t ucrm_policy_new(ucrm_policy_t **out) {
    if (!out)
        return UCRM_ERR_INVALID_ARG;
    *out = NULL;
    ucrm_policy_t *p = ucrm__calloc(1, sizeof *p);
    if (!p)
        return UCRM_ERR_NOMEM;
    if (!(p->fp = ucrm_ttlmap__new(DEFAULT_ECHO_CAPACITY)) || pthread_mutex_init(&p->lock, NULL) != 0) {
        ucrm_ttlmap__free(p->fp);
        ucrm__free(p);
        return UCRM_ERR_NOMEM;
    }
    p->ttl_ms = DEFAULT_ECHO_TTL_MS;
    *out = p;
    return UCRM_OK;
}

UCRM_API void ucrm_policy_destroy(ucrm_policy_t *p) {
    if (!p)
        return;
    for (size_t i = 0; i < p->nrules; i++)
        ucrm__free(p->rules[i].field);
    for (size_t i = 0; i < p->nsources; i++)
        ucrm__free(p->sources[i]);
    ucrm__free(p->rules);
    ucrm__free(p->sources);
    ucrm_ttlmap__free(p->fp);
    pthread_mutex_destroy(&p->lock);
    ucrm__free(p);
}

static void lock(const ucrm_policy_t *p) { pthread_mutex_lock(&((ucrm_policy_t *)p)->lock); }
static void unlock(const ucrm_policy_t *p) { pthread_mutex_unlock(&((ucrm_policy_t *)p)->lock); }

/* ---------------------------------------------------------------------------------------------- rules */

const ucrm_model_field_t *ucrm_sync__component_of(ucrm_object_t object, const char *field) {
    const char *dot = strchr(field, '.');
    if (!dot || !dot[1] || ucrm_model__is_custom(field))
        return NULL;
    char name[64];
    size_t n = (size_t)(dot - field);
    if (n >= sizeof name)
        return NULL;
    memcpy(name, field, n);
    name[n] = '\0';
    const ucrm_model_field_t *def = ucrm_model__find(object, name);
    return def && (def->type == UCRM_FIELD_OBJECT || def->type == UCRM_FIELD_ARRAY) ? def : NULL;
}

static const rule_t *find_rule(const ucrm_policy_t *p, ucrm_object_t object, const char *field, size_t flen) {
    for (size_t i = 0; i < p->nrules; i++)
        if (p->rules[i].object == object && strlen(p->rules[i].field) == flen &&
            memcmp(p->rules[i].field, field, flen) == 0)
            return &p->rules[i];
    return NULL;
}

/* The rule for a field: its own, its compound field's, the object's "*". Lock held. */
static const rule_t *rule_for(const ucrm_policy_t *p, ucrm_object_t object, const char *field) {
    const rule_t *r = find_rule(p, object, field, strlen(field));
    if (!r && ucrm_sync__component_of(object, field))
        r = find_rule(p, object, field, (size_t)(strchr(field, '.') - field));
    return r ? r : find_rule(p, object, "*", 1);
}

static ucrm_err_t check_rule(ucrm_object_t object, const char *field, ucrm_owner_t owner, ucrm_sync_dir_t dir,
                             ucrm_error_t **errp) {
    if (!ucrm_model__object_valid(object) || !field || owner < UCRM_OWNER_CRM || owner > UCRM_OWNER_NEWEST ||
        dir < UCRM_SYNC_NONE || dir > UCRM_SYNC_BOTH)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "policy: bad object, field, owner or direction");
    if (strcmp(field, "*") == 0 || ucrm_model__is_custom(field) || ucrm_sync__component_of(object, field))
        return UCRM_OK;
    const ucrm_model_field_t *def = ucrm_model__find(object, field);
    if (!def)
        return ucrm__fail(errp, UCRM_ERR_INVALID_FIELD, "policy: '%s' is not a field of %s", field,
                          ucrm_object_name(object));
    if ((def->flags & UCRM_MF_READONLY) && (dir & UCRM_SYNC_TO_CRM))
        return ucrm__fail(errp, UCRM_ERR_UNSUPPORTED, "policy: %s.%s is read-only: it cannot flow to the CRM",
                          ucrm_object_name(object), field);
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_policy_set(ucrm_policy_t *p, ucrm_object_t object, const char *field, ucrm_owner_t owner,
                                    ucrm_sync_dir_t direction, ucrm_error_t **errp) {
    if (!p)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "policy: NULL policy");
    ucrm_err_t rc = check_rule(object, field, owner, direction, errp);
    if (rc < 0)
        return rc;
    lock(p);
    rule_t *r = (rule_t *)find_rule(p, object, field, strlen(field));
    if (!r && p->nrules == p->caprules) {
        size_t cap = p->caprules ? p->caprules * 2 : 16;
        rule_t *nr = ucrm__realloc(p->rules, cap * sizeof *nr);
        if (nr) {
            p->rules = nr;
            p->caprules = cap;
        }
    }
    char *name = r ? NULL : ucrm__strdup(field);
    if (!r && name && p->nrules < p->caprules) {
        r = &p->rules[p->nrules++];
        r->object = object;
        r->field = name;
        name = NULL;
    }
    if (r) {
        r->owner = owner;
        r->dir = direction;
    }
    unlock(p);
    ucrm__free(name);
    return r ? UCRM_OK : ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
}

UCRM_API ucrm_err_t ucrm_policy_get(const ucrm_policy_t *p, ucrm_owner_t *owner, ucrm_sync_dir_t *direction,
                                    ucrm_object_t object, const char *field) {
    if (owner)
        *owner = (ucrm_owner_t)0;
    if (direction)
        *direction = UCRM_SYNC_NONE;
    if (!p || !field)
        return UCRM_ERR_INVALID_ARG;
    lock(p);
    const rule_t *r = rule_for(p, object, field);
    if (r && owner)
        *owner = r->owner;
    if (r && direction)
        *direction = r->dir;
    unlock(p);
    return r ? UCRM_OK : UCRM_ERR_NOENT;
}

UCRM_API int ucrm_policy_allows(const ucrm_policy_t *p, ucrm_object_t object, const char *field,
                                ucrm_sync_dir_t direction) {
    ucrm_sync_dir_t d;
    if (direction <= UCRM_SYNC_NONE || direction > UCRM_SYNC_BOTH)
        return 0;
    return ucrm_policy_get(p, NULL, &d, object, field) == UCRM_OK && (d & direction) == direction;
}

UCRM_API ucrm_owner_t ucrm_policy_resolve(const ucrm_policy_t *p, ucrm_object_t object, const char *field,
                                          int64_t crm_changed_at_ms, int64_t product_changed_at_ms) {
    ucrm_owner_t owner;
    ucrm_sync_dir_t d;
    if (ucrm_policy_get(p, &owner, &d, object, field) != UCRM_OK || d == UCRM_SYNC_NONE)
        return (ucrm_owner_t)0;
    if (d != UCRM_SYNC_BOTH)
        return d == UCRM_SYNC_FROM_CRM ? UCRM_OWNER_CRM : UCRM_OWNER_PRODUCT;
    if (owner != UCRM_OWNER_NEWEST)
        return owner;
    return crm_changed_at_ms >= product_changed_at_ms ? UCRM_OWNER_CRM : UCRM_OWNER_PRODUCT;
}

/* ---------------------------------------------------------------------------------------------- fingerprints */

size_t ucrm_sync__norm_num(const char *s, size_t n, char buf[64]) {
    int64_t ms;
    if (n >= 10 && n < 40 && s[4] == '-' && s[7] == '-' && ucrm__parse_time(s, n, &ms))
        return (size_t)snprintf(buf, 64, "n:%lld", (long long)ms);
    if (n && n < 48 && ucrm__decimal_valid(s, n)) {
        size_t b = s[0] == '+', e = n;
        if (memchr(s, '.', n)) {
            while (s[e - 1] == '0')
                e--;
            if (s[e - 1] == '.')
                e--;
        }
        int k = snprintf(buf, 64, "n:%.*s", (int)(e - b), s + b);
        if (strcmp(buf, "n:-0") == 0)
            k = snprintf(buf, 64, "n:0");
        return (size_t)k;
    }
    return 0;
}

/* The normalised form of a value's text (see the top of the file), hashed. */
static uint64_t fp_text(const char *s, size_t n) {
    char buf[64];
    size_t k = ucrm_sync__norm_num(s, n, buf);
    if (k)
        return ucrm__hash64(buf, k, 0);
    uint64_t h = ucrm__hash64("s:", 2, 0);
    return ucrm__hash64(s, n, h);
}

bool ucrm_sync__json_scalar_text(const cJSON *v, ucrm_buf_t *buf) {
    ucrm_buf__reset(buf);
    if (cJSON_IsString(v))
        return ucrm_buf__puts(buf, v->valuestring), true;
    if (cJSON_IsBool(v))
        return ucrm_buf__puts(buf, cJSON_IsTrue(v) ? "true" : "false"), true;
    if (cJSON_IsNull(v))
        return true;
    if (!cJSON_IsNumber(v))
        return false;
    char t[40];
    double d = v->valuedouble;
    if (d == floor(d) && fabs(d) <= 9007199254740992.0)
        snprintf(t, sizeof t, "%.0f", d);
    else if (!ucrm_json__num_text(d, t))
        return false;
    return ucrm_buf__puts(buf, t), true;
}

/* A scalar field value's text into buf. false for compound values. */
static bool fval_text(const ucrm_fval_t *f, ucrm_buf_t *buf) {
    char t[40];
    ucrm_buf__reset(buf);
    switch (f->type) {
    case UCRM_FIELD_NULL: return true;
    case UCRM_FIELD_INT: snprintf(t, sizeof t, "%lld", (long long)f->v.i); return ucrm_buf__puts(buf, t), true;
    case UCRM_FIELD_DOUBLE:
        if (!ucrm_json__num_text(f->v.d, t))
            snprintf(t, sizeof t, "nan");
        return ucrm_buf__puts(buf, t), true;
    case UCRM_FIELD_BOOL: return ucrm_buf__puts(buf, f->v.b ? "true" : "false"), true;
    case UCRM_FIELD_OBJECT:
    case UCRM_FIELD_ARRAY: return false;
    default: return ucrm_buf__puts(buf, f->v.s ? f->v.s : ""), true;
    }
}

/* The whole-field fingerprint: scalars by text; a list of strings joined with ';'; other compound values by
 * their JSON text. */
static uint64_t fval_fp(const ucrm_fval_t *f, ucrm_buf_t *buf) {
    if (fval_text(f, buf))
        return fp_text(ucrm_buf__str(buf), buf->len);
    ucrm_buf__reset(buf);
    bool strings = cJSON_IsArray(f->v.j);
    const cJSON *e;
    cJSON_ArrayForEach(e, (cJSON_IsArray(f->v.j) ? f->v.j : NULL)) strings = strings && cJSON_IsString(e);
    if (strings) {
        cJSON_ArrayForEach(e, f->v.j) {
            if (buf->len)
                ucrm_buf__putc(buf, ';');
            ucrm_buf__puts(buf, e->valuestring);
        }
        return fp_text(ucrm_buf__str(buf), buf->len);
    }
    ucrm_record__value_json(f, buf);
    uint64_t h = ucrm__hash64("j:", 2, 0);
    return ucrm__hash64(ucrm_buf__str(buf), buf->len, h);
}

static void fp_key(ucrm_buf_t *k, ucrm_object_t object, const char *id, const char *field, size_t flen) {
    ucrm_buf__reset(k);
    ucrm_buf__printf(k, "%d\x1f%s\x1f", (int)object, id);
    ucrm_buf__append(k, field, flen);
}

static int64_t expiry(const ucrm_policy_t *p, int64_t now) {
    return now > INT64_MAX - p->ttl_ms ? INT64_MAX : now + p->ttl_ms;
}

typedef struct fp_ctx {
    ucrm_policy_t *p;
    ucrm_object_t object;
    const char *id;
    int64_t now;
    ucrm_buf_t key, val;
    bool ok;
} fp_ctx_t;

static void put_fp(fp_ctx_t *c, const char *field, size_t flen, uint64_t h) {
    fp_key(&c->key, c->object, c->id, field, flen);
    if (c->key.oom || !ucrm_ttlmap__put(c->p->fp, c->key.ptr, c->key.len, h, c->now, expiry(c->p, c->now)))
        c->ok = false;
}

/* Components of compound values: address.city, ...; phone_numbers.<type> = number. */
static void put_components(fp_ctx_t *c, const ucrm_fval_t *f) {
    const cJSON *e;
    ucrm_buf_t name = UCRM_BUF_INIT;
    cJSON_ArrayForEach(e, f->v.j) {
        const cJSON *v = e;
        const char *sub = e->string;
        if (cJSON_IsArray(f->v.j)) {
            sub = ucrm_json__str(e, "type");
            v = cJSON_GetObjectItemCaseSensitive(e, "number");
        }
        if (!sub || !v || !ucrm_sync__json_scalar_text(v, &c->val))
            continue;
        ucrm_buf__reset(&name);
        ucrm_buf__printf(&name, "%s.%s", f->name, sub);
        if (name.oom || c->val.oom)
            c->ok = false;
        else
            put_fp(c, name.ptr, name.len, fp_text(ucrm_buf__str(&c->val), c->val.len));
    }
    ucrm_buf__free(&name);
}

UCRM_API ucrm_err_t ucrm_policy_note_write(ucrm_policy_t *p, const ucrm_record_t *rec, int64_t now_ms,
                                           ucrm_error_t **errp) {
    if (!p || !rec || !rec->id || !*rec->id)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "policy: note_write needs a record with an id");
    fp_ctx_t c = {.p = p, .object = rec->object, .id = rec->id, .now = now_ms ? now_ms : ucrm__now_ms(), .ok = true};
    lock(p);
    put_fp(&c, MARK_WRITTEN, 1, 0);
    for (size_t i = 0; i < rec->nfields; i++) {
        const ucrm_fval_t *f = &rec->fields[i];
        if (f->def && (f->def->flags & UCRM_MF_READONLY))
            continue;
        uint64_t h = fval_fp(f, &c.val);
        if (c.val.oom)
            c.ok = false;
        else
            put_fp(&c, f->name, strlen(f->name), h);
        if (f->type == UCRM_FIELD_OBJECT || f->type == UCRM_FIELD_ARRAY)
            put_components(&c, f);
    }
    unlock(p);
    ucrm_buf__free(&c.key);
    ucrm_buf__free(&c.val);
    return c.ok ? UCRM_OK : ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
}

UCRM_API ucrm_err_t ucrm_policy_note_delete(ucrm_policy_t *p, ucrm_object_t object, const char *id,
                                            int64_t now_ms, ucrm_error_t **errp) {
    if (!p || !ucrm_model__object_valid(object) || !id || !*id)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "policy: note_delete needs an object and an id");
    fp_ctx_t c = {.p = p, .object = object, .id = id, .now = now_ms ? now_ms : ucrm__now_ms(), .ok = true};
    lock(p);
    put_fp(&c, MARK_DELETED, 1, 0);
    unlock(p);
    ucrm_buf__free(&c.key);
    return c.ok ? UCRM_OK : ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
}

/* Is there a live fingerprint for (object, id, field) equal to h (any value when want is false)? Lock held. */
static bool fp_match(ucrm_policy_t *p, ucrm_buf_t *k, ucrm_object_t object, const char *id, const char *field,
                     bool want, uint64_t h, int64_t now) {
    uint64_t v;
    fp_key(k, object, id, field, strlen(field));
    return !k->oom && ucrm_ttlmap__get(p->fp, k->ptr, k->len, now, &v) && (!want || v == h);
}

static bool from_source(const ucrm_policy_t *p, const ucrm_event_t *ev) {
    for (size_t i = 0; i < p->nsources; i++)
        if (ucrm__streq(p->sources[i], ev->source) || ucrm__streq(p->sources[i], ev->source_id) ||
            ucrm__streq(p->sources[i], ev->user))
            return true;
    return false;
}

UCRM_API int ucrm_policy_is_echo(ucrm_policy_t *p, const ucrm_event_t *ev, int64_t now_ms) {
    if (!p || !ev)
        return 0;
    int64_t now = now_ms ? now_ms : ucrm__now_ms();
    ucrm_buf_t k = UCRM_BUF_INIT;
    bool echo;
    lock(p);
    echo = from_source(p, ev);
    if (!echo && ev->id && ev->object) {
        if (ev->kind == UCRM_EVENT_CREATED)
            echo = fp_match(p, &k, ev->object, ev->id, MARK_WRITTEN, false, 0, now);
        else if (ev->kind == UCRM_EVENT_DELETED)
            echo = fp_match(p, &k, ev->object, ev->id, MARK_DELETED, false, 0, now);
        else if (ev->kind == UCRM_EVENT_PROPERTY_CHANGED && ev->has_value && ev->field)
            echo = fp_match(p, &k, ev->object, ev->id, ev->field, true,
                            fp_text(ev->value ? ev->value : "", ev->value ? strlen(ev->value) : 0), now);
    }
    unlock(p);
    ucrm_buf__free(&k);
    return echo;
}

UCRM_API ucrm_err_t ucrm_policy_add_echo_source(ucrm_policy_t *p, const char *source, ucrm_error_t **errp) {
    if (!p || !source || !*source)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "policy: a non-empty source is required");
    char *s = ucrm__strdup(source);
    lock(p);
    char **v = s ? ucrm__realloc(p->sources, (p->nsources + 1) * sizeof *v) : NULL;
    if (v) {
        p->sources = v;
        v[p->nsources++] = s;
    }
    unlock(p);
    if (!v) {
        ucrm__free(s);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_policy_set_echo_window(ucrm_policy_t *p, int64_t ttl_ms, size_t capacity) {
    if (!p || ttl_ms <= 0 || capacity == 0 || capacity > ((size_t)1 << 30))
        return UCRM_ERR_INVALID_ARG;
    lock(p);
    p->ttl_ms = ttl_ms;
    ucrm_ttlmap__set_capacity(p->fp, capacity);
    unlock(p);
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- filter */

/* Should field f of rec go through in direction dir? Lock held. *oom set when a buffer failed (the answer is
 * then meaningless). */
static bool keep_field(ucrm_policy_t *p, const ucrm_record_t *rec, const ucrm_fval_t *f, ucrm_sync_dir_t dir,
                       int64_t now, ucrm_buf_t *k, ucrm_buf_t *val, bool *echo, bool *oom) {
    const rule_t *r = rule_for(p, rec->object, f->name);
    *echo = false;
    if (!r || (r->dir & dir) != dir)
        return false;
    if (dir == UCRM_SYNC_FROM_CRM && rec->id) {
        uint64_t h = fval_fp(f, val);
        *oom = *oom || val->oom;
        *echo = !val->oom && fp_match(p, k, rec->object, rec->id, f->name, true, h, now);
        *oom = *oom || k->oom;
    }
    return !*echo;
}

UCRM_API ucrm_err_t ucrm_policy_filter(ucrm_policy_t *p, ucrm_record_t **out, size_t *echoes,
                                       const ucrm_record_t *rec, ucrm_sync_dir_t direction, int64_t now_ms,
                                       ucrm_error_t **errp) {
    if (out)
        *out = NULL;
    if (echoes)
        *echoes = 0;
    if (!p || !out || !rec || (direction != UCRM_SYNC_FROM_CRM && direction != UCRM_SYNC_TO_CRM))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "policy: filter needs a policy, a record and one direction");
    ucrm_record_t *copy = NULL;
    if (ucrm_record_dup(&copy, rec) != UCRM_OK)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    int64_t now = now_ms ? now_ms : ucrm__now_ms();
    ucrm_buf_t k = UCRM_BUF_INIT, val = UCRM_BUF_INIT, drop = UCRM_BUF_INIT;
    size_t n_echo = 0;
    bool oom = false;
    lock(p);
    for (size_t i = 0; i < rec->nfields; i++) {
        bool echo;
        if (!keep_field(p, rec, &rec->fields[i], direction, now, &k, &val, &echo, &oom)) {
            ucrm_buf__append(&drop, rec->fields[i].name, strlen(rec->fields[i].name) + 1);
            n_echo += echo;
        }
    }
    unlock(p);
    bool ok = !drop.oom && !oom;
    for (size_t off = 0; ok && off < drop.len; off += strlen(drop.ptr + off) + 1)
        ucrm_record_unset(copy, drop.ptr + off);
    ucrm_buf__free(&k);
    ucrm_buf__free(&val);
    ucrm_buf__free(&drop);
    if (!ok) {
        ucrm_record_destroy(copy);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    if (echoes)
        *echoes = n_echo;
    *out = copy;
    return UCRM_OK;
}
