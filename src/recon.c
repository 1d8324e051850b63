/*
 * recon.c -- reconciliation ("truth pass"): list what changed in the CRM since a checkpoint, deleted records
 * included, compare each record with the application's view, report the drift, produce the next checkpoint.
 *
 * Built on the public iteration API: ucrm_list() with updated_since + include_deleted for a new pass,
 * ucrm_iter_resume() with the cursor kept in a mid-pass checkpoint, ucrm_iter_next_page() one page per step. All
 * provider knowledge (HubSpot search + archived list, Salesforce queryAll + deleted/) stays in the adapters.
 *
 * Checkpoint text: "ucrm-recon.1.<provider>.<object>.<since_ms>.<max_ms>[.<cursor>]": the pass's start
 * (0 = full pass), the newest updated_at seen so far, and while the pass is under way the iterator cursor of
 * its last complete page (base64url: no '.'). A finished pass writes "<next since>.0" without a cursor.
 *
 * Comparison works on a canonical text per field (canon_field): equal texts mean equal values, whichever
 * provider or application spelled them. A fingerprint is SHA-256 over "name\0text\0" for the sorted fields.
 */
#include "error_int.h"
#include "json_int.h"
#include "model_int.h"
#include "record_int.h"
#include "sync_int.h"
#include "ttlmap_int.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#define CP_PREFIX "ucrm-recon.1."
#define DEFAULT_OVERLAP_MS 120000
#define MAX_CHECKPOINT (64 * 1024)
#define MAX_TIME_MS INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */

typedef struct drift {
    ucrm_drift_t kind;
    char *id;
    ucrm_record_t *rec; /* the CRM's record, or NULL */
    char *fields;       /* differing fields (record comparison), or NULL */
} drift_t;

typedef struct app_id {
    char *id;
    bool seen;
} app_id_t;

typedef struct fieldset {
    char **names; /* sorted, unique */
    size_t n;
} fieldset_t;

struct ucrm_recon_view_s {
    ucrm_recon_t *r;
    const ucrm_record_t *crm;
    bool held, stale;
    char *fields;
    ucrm_err_t rc; /* a setter's failure (NOMEM), reported by the step */
};

struct ucrm_recon_s {
    ucrm_client_t *client;
    ucrm_object_t object;
    const char *provider;
    ucrm_reqopts_t *opts;      /* the caller's options + updated_since + include_deleted */
    fieldset_t fields;
    ucrm_recon_lookup_cb *cb;
    void *opaque;
    app_id_t *app;
    size_t napp, capapp;
    bool app_sorted;
    int64_t since_ms, max_ms, next_since_ms, overlap_ms;
    char *cursor;              /* resume point: the last complete page */
    char *pending_cursor;      /* the page being examined */
    bool resumed, started, done;
    ucrm_iter_t *it;
    ucrm_records_t *page;
    size_t pos;
    drift_t *drift;
    size_t ndrift, capdrift;
    ucrm_ttlmap_t *by_id;      /* drift index by record id */
    size_t examined;
    char *checkpoint;
};

/* ---------------------------------------------------------------------------------------------- fields */

static void fieldset_free(fieldset_t *fs) {
    for (size_t i = 0; i < fs->n; i++)
        ucrm__free(fs->names[i]);
    ucrm__free(fs->names);
    fs->names = NULL;
    fs->n = 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool fieldset_add(fieldset_t *fs, const char *name, size_t len) {
    char *s = ucrm__strndup(name, len);
    char **v = s ? ucrm__realloc(fs->names, (fs->n + 1) * sizeof *v) : NULL;
    if (!v) {
        ucrm__free(s);
        return false;
    }
    fs->names = v;
    v[fs->n++] = s;
    return true;
}

/* Is name a field we can compare on object: a unified field, a component, custom.<name>? */
static bool field_ok(ucrm_object_t object, const char *name) {
    return ucrm_model__find(object, name) || ucrm_model__is_custom(name) ||
           ucrm_sync__component_of(object, name);
}

/* Parses fields_csv (NULL/"" = the default set) into a sorted set without duplicates. */
static ucrm_err_t fieldset_parse(fieldset_t *fs, ucrm_object_t object, const char *csv, ucrm_error_t **errp) {
    fieldset_t out = {NULL, 0};
    bool ok = true;
    if (!csv || !*csv) {
        size_t nf;
        const ucrm_model_field_t *defs = ucrm_model__fields(object, &nf);
        for (size_t i = 0; ok && i < nf; i++)
            if (!(defs[i].flags & (UCRM_MF_READONLY | UCRM_MF_COMMON)))
                ok = fieldset_add(&out, defs[i].name, strlen(defs[i].name));
    }
    for (const char *p = csv; ok && p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len) {
            if (!(ok = fieldset_add(&out, p, len)))
                break;
            if (!field_ok(object, out.names[out.n - 1])) {
                ucrm_err_t rc = ucrm__fail(errp, UCRM_ERR_INVALID_FIELD, "'%s' is not a field of %s",
                                           out.names[out.n - 1], ucrm_object_name(object));
                fieldset_free(&out);
                return rc;
            }
        }
        p = end ? end + 1 : p + len;
    }
    if (!ok) {
        fieldset_free(&out);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    if (out.n)
        qsort(out.names, out.n, sizeof *out.names, cmp_str);
    size_t w = 0;
    for (size_t i = 0; i < out.n; i++) {
        if (w && strcmp(out.names[w - 1], out.names[i]) == 0)
            ucrm__free(out.names[i]);
        else
            out.names[w++] = out.names[i];
    }
    out.n = w;
    fieldset_free(fs);
    *fs = out;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- canonical text */

/* A scalar's text, normalised: "n:..." for numbers and dates, "s:<text>", "b:true"; "" for null and "". */
static void canon_scalar_text(const char *s, size_t n, ucrm_buf_t *out) {
    char num[64];
    size_t k;
    if (!n)
        return;
    if ((k = ucrm_sync__norm_num(s, n, num)) != 0) {
        ucrm_buf__append(out, num, k);
        return;
    }
    ucrm_buf__puts(out, "s:");
    ucrm_buf__append(out, s, n);
}

static void canon_json(const cJSON *v, ucrm_buf_t *out, ucrm_buf_t *tmp);

/* Object members in name order, null and "" members left out: "{k=v;...}"; nothing for an empty object. */
static void canon_object(const cJSON *v, ucrm_buf_t *out, ucrm_buf_t *tmp) {
    const cJSON *m, *best;
    const char *after = NULL;
    size_t start = out->len;
    bool any = false;
    ucrm_buf__putc(out, '{');
    for (;;) { /* selection by name: objects here have a handful of members */
        best = NULL;
        cJSON_ArrayForEach(m, v) if (m->string && (!after || strcmp(m->string, after) > 0) &&
                                     (!best || strcmp(m->string, best->string) < 0)) best = m;
        if (!best)
            break;
        after = best->string;
        size_t mark = out->len;
        ucrm_buf__puts(out, best->string);
        ucrm_buf__putc(out, '=');
        size_t before = out->len;
        canon_json(best, out, tmp);
        if (out->len == before) { /* null or empty: as if absent */
            out->len = mark;
            if (out->ptr)
                out->ptr[mark] = '\0';
            continue;
        }
        ucrm_buf__putc(out, ';');
        any = true;
    }
    if (!any) {
        out->len = start;
        if (out->ptr)
            out->ptr[start] = '\0';
        return;
    }
    ucrm_buf__putc(out, '}');
}

static void canon_json(const cJSON *v, ucrm_buf_t *out, ucrm_buf_t *tmp) {
    if (cJSON_IsObject(v)) {
        canon_object(v, out, tmp);
    } else if (cJSON_IsArray(v)) {
        const cJSON *e;
        if (!cJSON_GetArraySize(v))
            return;
        ucrm_buf__putc(out, '[');
        cJSON_ArrayForEach(e, v) {
            canon_json(e, out, tmp);
            ucrm_buf__putc(out, ',');
        }
        ucrm_buf__putc(out, ']');
    } else if (cJSON_IsBool(v)) {
        ucrm_buf__puts(out, cJSON_IsTrue(v) ? "b:true" : "b:false");
    } else if (ucrm_sync__json_scalar_text(v, tmp)) {
        if (tmp->oom) /* the next use of tmp resets it: the failure must stay on out */
            out->oom = true;
        else
            canon_scalar_text(ucrm_buf__str(tmp), tmp->len, out);
    }
}

/* A component's value: the member of an object field, or the "number" of the array entry of that "type". */
static const cJSON *component_value(const ucrm_fval_t *f, const char *key) {
    if (f->type == UCRM_FIELD_OBJECT)
        return cJSON_GetObjectItemCaseSensitive(f->v.j, key);
    const cJSON *e;
    if (f->type == UCRM_FIELD_ARRAY)
        cJSON_ArrayForEach(e, f->v.j) if (ucrm__streq(ucrm_json__str(e, "type"), key)) {
            const cJSON *num = cJSON_GetObjectItemCaseSensitive(e, "number");
            return num ? num : e;
        }
    return NULL;
}

/* The canonical text of one field of rec (appended to out). */
static void canon_field(const ucrm_record_t *rec, const char *name, ucrm_buf_t *out, ucrm_buf_t *tmp) {
    const ucrm_fval_t *f = ucrm_record__find(rec, name);
    if (!f && !ucrm_model__is_custom(name) && ucrm_sync__component_of(rec->object, name)) {
        const char *dot = strchr(name, '.');
        char compound[64];
        size_t n = (size_t)(dot - name);
        memcpy(compound, name, n); /* ucrm_sync__component_of checked n < 64 */
        compound[n] = '\0';
        const ucrm_fval_t *c = ucrm_record__find(rec, compound);
        const cJSON *v = c ? component_value(c, dot + 1) : NULL;
        if (v)
            canon_json(v, out, tmp);
        return;
    }
    if (!f || f->type == UCRM_FIELD_NULL)
        return;
    char t[40];
    switch (f->type) {
    case UCRM_FIELD_OBJECT:
    case UCRM_FIELD_ARRAY: canon_json(f->v.j, out, tmp); return;
    case UCRM_FIELD_BOOL: ucrm_buf__puts(out, f->v.b ? "b:true" : "b:false"); return;
    case UCRM_FIELD_INT: snprintf(t, sizeof t, "%lld", (long long)f->v.i); break;
    case UCRM_FIELD_DOUBLE:
        if (!ucrm_json__num_text(f->v.d, t))
            snprintf(t, sizeof t, "nan");
        break;
    default: canon_scalar_text(f->v.s ? f->v.s : "", f->v.s ? strlen(f->v.s) : 0, out); return;
    }
    canon_scalar_text(t, strlen(t), out);
}

static ucrm_err_t fingerprint(const ucrm_record_t *rec, const fieldset_t *fs, char out[40]) {
    ucrm_buf_t text = UCRM_BUF_INIT, tmp = UCRM_BUF_INIT;
    for (size_t i = 0; i < fs->n; i++) {
        ucrm_buf__append(&text, fs->names[i], strlen(fs->names[i]) + 1);
        canon_field(rec, fs->names[i], &text, &tmp);
        ucrm_buf__putc(&text, '\0');
    }
    unsigned char md[32];
    unsigned int mdlen = 0;
    bool ok = !text.oom && !tmp.oom &&
              EVP_Digest(text.ptr ? text.ptr : "", text.len, md, &mdlen, EVP_sha256(), NULL) == 1;
    ucrm_buf__free(&text);
    ucrm_buf__free(&tmp);
    if (!ok)
        return UCRM_ERR_NOMEM;
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "f1:", 3);
    for (size_t i = 0; i < 16; i++) {
        out[3 + 2 * i] = hex[md[i] >> 4];
        out[4 + 2 * i] = hex[md[i] & 15];
    }
    out[35] = '\0';
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_record_fingerprint(char **out, const ucrm_record_t *rec, const char *fields_csv,
                                            ucrm_error_t **errp) {
    if (out)
        *out = NULL;
    if (!out || !rec)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_record_fingerprint: NULL argument");
    fieldset_t fs = {NULL, 0};
    ucrm_err_t rc = fieldset_parse(&fs, rec->object, fields_csv, errp);
    char fp[40];
    if (rc == UCRM_OK && (rc = fingerprint(rec, &fs, fp)) < 0)
        ucrm__fail(errp, rc, "out of memory");
    fieldset_free(&fs);
    if (rc == UCRM_OK && !(*out = ucrm__strdup(fp)))
        rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    return rc;
}

/* ---------------------------------------------------------------------------------------------- checkpoints */

/* Reads "<since>.<max>[.<cursor>]" after the provider and object. */
static ucrm_err_t parse_checkpoint(ucrm_recon_t *r, const char *cp, ucrm_error_t **errp) {
    char head[96];
    snprintf(head, sizeof head, CP_PREFIX "%s.%s.", r->provider, ucrm_object_name(r->object));
    size_t n = strlen(cp);
    if (n > MAX_CHECKPOINT || !ucrm__startswith(cp, CP_PREFIX))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "reconciliation: not a checkpoint of this library");
    if (!ucrm__startswith(cp, head))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG,
                          "reconciliation: the checkpoint is of another provider or object (this pass: %s %s)",
                          r->provider, ucrm_object_name(r->object));
    const char *p = cp + strlen(head), *dot1 = strchr(p, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    size_t l2 = dot1 ? (dot2 ? (size_t)(dot2 - dot1 - 1) : strlen(dot1 + 1)) : 0;
    if (!dot1 || !ucrm__parse_i64_n(p, (size_t)(dot1 - p), &r->since_ms) ||
        !ucrm__parse_i64_n(dot1 + 1, l2, &r->max_ms) || r->since_ms < 0 || r->max_ms < 0 ||
        r->since_ms > MAX_TIME_MS || r->max_ms > MAX_TIME_MS || (dot2 && !dot2[1]))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "reconciliation: malformed checkpoint");
    if (dot2) {
        if (strspn(dot2 + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=") != strlen(dot2 + 1))
            return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "reconciliation: malformed checkpoint cursor");
        if (!(r->cursor = ucrm__strdup(dot2 + 1)))
            return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
        r->resumed = true;
    }
    return UCRM_OK;
}

UCRM_API const char *ucrm_recon_checkpoint(ucrm_recon_t *r) {
    if (!r)
        return NULL;
    ucrm_buf_t b = UCRM_BUF_INIT;
    ucrm_buf__printf(&b, CP_PREFIX "%s.%s.%lld.%lld", r->provider, ucrm_object_name(r->object),
                     (long long)(r->done ? r->next_since_ms : r->since_ms), (long long)(r->done ? 0 : r->max_ms));
    if (!r->done && r->cursor)
        ucrm_buf__printf(&b, ".%s", r->cursor);
    char *s = ucrm_buf__steal(&b);
    if (!s)
        return NULL;
    ucrm__free(r->checkpoint);
    r->checkpoint = s;
    return s;
}

/* ---------------------------------------------------------------------------------------------- life */

UCRM_API ucrm_err_t ucrm_recon_new(ucrm_recon_t **out, ucrm_client_t *client, ucrm_object_t object,
                                   const char *checkpoint, const ucrm_reqopts_t *opts, ucrm_error_t **errp) {
    if (out)
        *out = NULL;
    if (!out || !client || !ucrm_model__object_valid(object))
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_recon_new: a client, an object and out are required");
    ucrm_recon_t *r = ucrm__calloc(1, sizeof *r);
    if (!r)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    r->client = client;
    r->object = object;
    r->provider = ucrm_client_provider(client);
    r->overlap_ms = DEFAULT_OVERLAP_MS;
    ucrm_err_t rc = fieldset_parse(&r->fields, object, NULL, errp);
    if (rc == UCRM_OK && checkpoint && *checkpoint)
        rc = parse_checkpoint(r, checkpoint, errp);
    if (rc == UCRM_OK && ((opts ? ucrm_reqopts_dup(&r->opts, opts) : ucrm_reqopts_new(&r->opts)) != UCRM_OK ||
                          !(r->by_id = ucrm_ttlmap__new((size_t)1 << 30))))
        rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    if (rc == UCRM_OK) {
        char since[32];
        ucrm__format_time(r->since_ms, since);
        ucrm_reqopts_set_include_deleted(r->opts, 1);
        rc = ucrm_reqopts_set_updated_since(r->opts, r->since_ms ? since : NULL);
        if (rc < 0)
            ucrm__fail(errp, rc, "out of memory");
    }
    if (rc < 0) {
        ucrm_recon_destroy(r);
        return rc;
    }
    *out = r;
    return UCRM_OK;
}

UCRM_API void ucrm_recon_destroy(ucrm_recon_t *r) {
    if (!r)
        return;
    ucrm_iter_destroy(r->it);
    ucrm_records_destroy(r->page);
    ucrm_reqopts_destroy(r->opts);
    fieldset_free(&r->fields);
    for (size_t i = 0; i < r->napp; i++)
        ucrm__free(r->app[i].id);
    ucrm__free(r->app);
    for (size_t i = 0; i < r->ndrift; i++) {
        ucrm__free(r->drift[i].id);
        ucrm__free(r->drift[i].fields);
        ucrm_record_destroy(r->drift[i].rec);
    }
    ucrm__free(r->drift);
    ucrm_ttlmap__free(r->by_id);
    ucrm__free(r->cursor);
    ucrm__free(r->pending_cursor);
    ucrm__free(r->checkpoint);
    ucrm__free(r);
}

UCRM_API ucrm_err_t ucrm_recon_set_fields(ucrm_recon_t *r, const char *fields_csv, ucrm_error_t **errp) {
    if (!r || r->started)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_recon_set_fields: no pass, or the pass has started");
    return fieldset_parse(&r->fields, r->object, fields_csv, errp);
}

UCRM_API ucrm_err_t ucrm_recon_set_lookup(ucrm_recon_t *r, ucrm_recon_lookup_cb *cb, void *opaque) {
    if (!r)
        return UCRM_ERR_INVALID_ARG;
    r->cb = cb;
    r->opaque = opaque;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_recon_set_overlap_ms(ucrm_recon_t *r, int64_t ms) {
    if (!r || ms < 0)
        return UCRM_ERR_INVALID_ARG;
    r->overlap_ms = ms;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_recon_add_app_id(ucrm_recon_t *r, const char *id, ucrm_error_t **errp) {
    if (!r || !id || !*id || r->done)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_recon_add_app_id: a pass not yet finished and an id");
    if (r->napp == r->capapp) {
        size_t cap = r->capapp ? r->capapp * 2 : 64;
        app_id_t *v = ucrm__realloc(r->app, cap * sizeof *v);
        if (!v)
            return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
        r->app = v;
        r->capapp = cap;
    }
    if (!(r->app[r->napp].id = ucrm__strdup(id)))
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    r->app[r->napp++].seen = false;
    r->app_sorted = false;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- views */

UCRM_API ucrm_err_t ucrm_recon_view_set_fingerprint(ucrm_recon_view_t *view, const char *fp) {
    if (!view)
        return UCRM_ERR_INVALID_ARG;
    view->held = true;
    view->stale = false;
    if (!fp)
        return UCRM_OK;
    char mine[40];
    if (fingerprint(view->crm, &view->r->fields, mine) < 0)
        return view->rc = UCRM_ERR_NOMEM;
    view->stale = strcmp(mine, fp) != 0;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_recon_view_set_record(ucrm_recon_view_t *view, const ucrm_record_t *app) {
    if (!view || !app || app->object != view->r->object)
        return UCRM_ERR_INVALID_ARG;
    ucrm_buf_t a = UCRM_BUF_INIT, b = UCRM_BUF_INIT, tmp = UCRM_BUF_INIT, diff = UCRM_BUF_INIT;
    const fieldset_t *fs = &view->r->fields;
    bool oom = false;
    for (size_t i = 0; i < fs->n; i++) {
        ucrm_buf__reset(&a);
        ucrm_buf__reset(&b);
        canon_field(view->crm, fs->names[i], &a, &tmp);
        canon_field(app, fs->names[i], &b, &tmp);
        oom = oom || a.oom || b.oom; /* reset clears the flag: keep it */
        if (a.len != b.len || (a.len && memcmp(a.ptr, b.ptr, a.len) != 0)) {
            if (diff.len)
                ucrm_buf__putc(&diff, ',');
            ucrm_buf__puts(&diff, fs->names[i]);
        }
    }
    oom = oom || tmp.oom || diff.oom;
    ucrm_buf__free(&a);
    ucrm_buf__free(&b);
    ucrm_buf__free(&tmp);
    ucrm__free(view->fields);
    view->fields = NULL;
    if (oom) {
        ucrm_buf__free(&diff);
        return view->rc = UCRM_ERR_NOMEM;
    }
    view->held = true;
    view->stale = diff.len > 0;
    view->fields = diff.len ? ucrm_buf__steal(&diff) : NULL;
    ucrm_buf__free(&diff);
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- the pass */

static int cmp_app(const void *a, const void *b) {
    return strcmp(((const app_id_t *)a)->id, ((const app_id_t *)b)->id);
}

/* The added id (marked seen), or NULL. */
static app_id_t *app_find(ucrm_recon_t *r, const char *id) {
    if (!r->napp)
        return NULL;
    if (!r->app_sorted) {
        qsort(r->app, r->napp, sizeof *r->app, cmp_app);
        r->app_sorted = true;
    }
    app_id_t key = {(char *)id, false};
    app_id_t *a = bsearch(&key, r->app, r->napp, sizeof *r->app, cmp_app);
    if (a)
        a->seen = true;
    return a;
}

/* Adds (or replaces: one item per id) a drift item; takes rec and fields, also on failure. */
static ucrm_err_t add_drift(ucrm_recon_t *r, ucrm_drift_t kind, const char *id, ucrm_record_t *rec, char *fields) {
    uint64_t at;
    drift_t *d = NULL;
    if (ucrm_ttlmap__get(r->by_id, id, strlen(id), 0, &at)) {
        d = &r->drift[at];
        ucrm_record_destroy(d->rec);
        ucrm__free(d->fields);
    } else {
        if (r->ndrift == r->capdrift) {
            size_t cap = r->capdrift ? r->capdrift * 2 : 32;
            drift_t *v = ucrm__realloc(r->drift, cap * sizeof *v);
            if (!v)
                goto oom;
            r->drift = v;
            r->capdrift = cap;
        }
        d = &r->drift[r->ndrift];
        memset(d, 0, sizeof *d);
        if (!(d->id = ucrm__strdup(id)) ||
            !ucrm_ttlmap__put(r->by_id, id, strlen(id), r->ndrift, 0, INT64_MAX)) {
            ucrm__free(d->id);
            goto oom;
        }
        r->ndrift++;
    }
    d->kind = kind;
    d->rec = rec;
    d->fields = fields;
    return UCRM_OK;
oom:
    ucrm_record_destroy(rec);
    ucrm__free(fields);
    return UCRM_ERR_NOMEM;
}

/* Removes the drift item of id, if any (the record was listed again and now agrees). */
static void clear_drift(ucrm_recon_t *r, const char *id) {
    uint64_t at;
    if (!ucrm_ttlmap__get(r->by_id, id, strlen(id), 0, &at))
        return;
    drift_t *d = &r->drift[at];
    ucrm__free(d->id);
    ucrm__free(d->fields);
    ucrm_record_destroy(d->rec);
    ucrm_ttlmap__del(r->by_id, id, strlen(id));
    memmove(d, d + 1, (r->ndrift - at - 1) * sizeof *d);
    r->ndrift--;
    for (size_t i = at; i < r->ndrift; i++) /* reindex the items that moved */
        ucrm_ttlmap__put(r->by_id, r->drift[i].id, strlen(r->drift[i].id), i, 0, INT64_MAX);
}

/* Examines the page's record at i (taking it when it becomes a drift item). */
static ucrm_err_t examine(ucrm_recon_t *r, size_t i, ucrm_error_t **errp) {
    const ucrm_record_t *rec = ucrm_records_get(r->page, i);
    const char *id = rec ? ucrm_record_id(rec) : NULL;
    if (!id || !*id)
        return UCRM_OK;
    ucrm_recon_view_t view = {.r = r, .crm = rec};
    if (r->cb) {
        int urc = r->cb(r->object, id, rec, &view, r->opaque);
        if (urc != 0) {
            ucrm__free(view.fields);
            ucrm_error_t *e = ucrm_error__new(UCRM_ERR_USER, "reconciliation: the lookup callback failed (%d)", urc);
            if (e != &ucrm__oom_error)
                e->user_code = urc;
            return ucrm__give(errp, e);
        }
    }
    if (view.rc < 0) {
        ucrm__free(view.fields);
        return ucrm__fail(errp, view.rc, "out of memory");
    }
    bool held = app_find(r, id) != NULL || view.held;
    const ucrm_fval_t *del = ucrm_record__find(rec, "is_deleted");
    bool deleted = del && del->type == UCRM_FIELD_BOOL && del->v.b;
    const ucrm_fval_t *upd = ucrm_record__find(rec, "updated_at");
    int64_t ms;
    if (upd && upd->type == UCRM_FIELD_DATETIME && upd->v.s && ucrm__parse_time(upd->v.s, strlen(upd->v.s), &ms) &&
        ms > r->max_ms)
        r->max_ms = ms;
    ucrm_drift_t kind = deleted ? (held ? UCRM_DRIFT_EXTRA : 0) : !held ? UCRM_DRIFT_MISSING
                                                              : view.stale ? UCRM_DRIFT_STALE : 0;
    if (!kind) {
        ucrm__free(view.fields);
        clear_drift(r, id);
        return UCRM_OK;
    }
    /* the id string belongs to the record: copy it before the record moves */
    char *idc = ucrm__strdup(id);
    char *fields = kind == UCRM_DRIFT_STALE ? view.fields : NULL;
    ucrm_err_t rc = idc ? add_drift(r, kind, idc, ucrm_records_take(r->page, i), fields) : UCRM_ERR_NOMEM;
    if (kind != UCRM_DRIFT_STALE || !idc)
        ucrm__free(view.fields);
    ucrm__free(idc);
    return rc < 0 ? ucrm__fail(errp, rc, "out of memory") : UCRM_OK;
}

static ucrm_err_t finish(ucrm_recon_t *r, ucrm_error_t **errp) {
    if (r->since_ms == 0 && !r->resumed) /* a full pass saw every record: the ids it never listed are extra */
        for (size_t i = 0; i < r->napp; i++)
            if (!r->app[i].seen && add_drift(r, UCRM_DRIFT_EXTRA, r->app[i].id, NULL, NULL) < 0)
                return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    int64_t next = r->max_ms > r->overlap_ms ? r->max_ms - r->overlap_ms : 0;
    r->next_since_ms = r->max_ms ? (next > r->since_ms ? next : r->since_ms) : r->since_ms;
    ucrm__free(r->cursor);
    r->cursor = NULL;
    r->done = true;
    return UCRM_ITEROVER;
}

/* Fetches the next page (opening or resuming the iteration first). */
static ucrm_err_t fetch(ucrm_recon_t *r, ucrm_error_t **errp) {
    ucrm_err_t rc;
    if (!r->it) {
        rc = r->cursor ? ucrm_iter_resume(r->client, r->cursor, r->opts, &r->it, errp)
                       : ucrm_list(r->client, r->object, r->opts, &r->it, errp);
        if (rc < 0)
            return rc;
    }
    if ((rc = ucrm_iter_next_page(r->it, &r->page, errp)) != UCRM_OK)
        return rc;
    const char *c = ucrm_iter_cursor(r->it);
    ucrm__free(r->pending_cursor);
    r->pending_cursor = c ? ucrm__strdup(c) : NULL;
    r->pos = 0;
    if (c && !r->pending_cursor) {
        ucrm_records_destroy(r->page);
        r->page = NULL;
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_recon_step(ucrm_recon_t *r, ucrm_error_t **errp) {
    if (!r)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_recon_step: NULL pass");
    if (r->done)
        return UCRM_ITEROVER;
    r->started = true;
    ucrm_err_t rc;
    if (!r->page) {
        rc = fetch(r, errp);
        if (rc == UCRM_ITEROVER)
            return finish(r, errp);
        if (rc < 0)
            return rc;
    }
    for (size_t n = ucrm_records_count(r->page); r->pos < n; r->pos++) {
        if ((rc = examine(r, r->pos, errp)) < 0)
            return rc; /* the next step starts again at this record */
        r->examined++;
    }
    ucrm_records_destroy(r->page);
    r->page = NULL;
    if (r->pending_cursor) {
        ucrm__free(r->cursor);
        r->cursor = r->pending_cursor;
        r->pending_cursor = NULL;
    }
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_recon_run(ucrm_recon_t *r, ucrm_error_t **errp) {
    ucrm_err_t rc;
    while ((rc = ucrm_recon_step(r, errp)) == UCRM_OK)
        ;
    return rc == UCRM_ITEROVER ? UCRM_OK : rc;
}

/* ---------------------------------------------------------------------------------------------- results */

UCRM_API size_t ucrm_recon_examined(const ucrm_recon_t *r) { return r ? r->examined : 0; }

UCRM_API size_t ucrm_recon_drift_count(const ucrm_recon_t *r) { return r ? r->ndrift : 0; }

static const drift_t *drift_at(const ucrm_recon_t *r, size_t i) { return r && i < r->ndrift ? &r->drift[i] : NULL; }

UCRM_API ucrm_drift_t ucrm_recon_drift_kind(const ucrm_recon_t *r, size_t i) {
    const drift_t *d = drift_at(r, i);
    return d ? d->kind : (ucrm_drift_t)0;
}

UCRM_API const char *ucrm_recon_drift_id(const ucrm_recon_t *r, size_t i) {
    const drift_t *d = drift_at(r, i);
    return d ? d->id : NULL;
}

UCRM_API const ucrm_record_t *ucrm_recon_drift_record(const ucrm_recon_t *r, size_t i) {
    const drift_t *d = drift_at(r, i);
    return d ? d->rec : NULL;
}

UCRM_API const char *ucrm_recon_drift_fields(const ucrm_recon_t *r, size_t i) {
    const drift_t *d = drift_at(r, i);
    return d ? d->fields : NULL;
}
