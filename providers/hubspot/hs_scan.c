/*
 * hs_scan.c -- HubSpot objects and pages read in place from their JSON text (hs_json.c), without a cJSON tree:
 * the values feed the same builder as trees do (hs_read.c), and each record keeps its object's text, as
 * received, as a raw JSON payload (ucrm_record_remote_json() returns it unchanged).
 */
#include "hubspot_int.h"

#include "hs_json.h"

#include <stdio.h>
#include <stdlib.h>

#define STACK_SCRATCH 8192

/* Unescaped strings and number texts, NUL-terminated, for one object: a block on the stack, then heap blocks
 * chained as needed (what was handed out never moves). */
typedef struct block {
    struct block *next;
    size_t cap;
    char data[];
} block_t;

typedef struct arena {
    char *p;
    size_t used, cap;
    block_t *heap;
    bool oom;
} arena_t;

static void arena_free(arena_t *a) {
    while (a->heap) {
        block_t *n = a->heap->next;
        ucrm__free(a->heap);
        a->heap = n;
    }
}

/* The slice as a NUL-terminated string in the arena (unescaped); NULL for a bad escape or no memory. */
static const char *keep(arena_t *a, const hj_str_t *s) {
    if (a->used + s->len + 1 > a->cap) {
        size_t cap = s->len + 1 > STACK_SCRATCH ? s->len + 1 : STACK_SCRATCH;
        block_t *b = ucrm__malloc(sizeof *b + cap);
        if (!b) {
            a->oom = true;
            return NULL;
        }
        b->next = a->heap;
        b->cap = cap;
        a->heap = b;
        a->p = b->data;
        a->used = 0;
        a->cap = cap;
    }
    char *out = a->p + a->used;
    size_t n = s->len;
    if (s->esc) {
        if (!hj_unescape(s, out, &n))
            return NULL;
    } else {
        memcpy(out, s->s, n);
        out[n] = '\0';
    }
    a->used += n + 1;
    return out;
}

/* A scalar or compound value as a view. false on malformed text. */
static bool read_val(hj_t *j, arena_t *a, hs_val_t *v) {
    hj_str_t s;
    memset(v, 0, sizeof *v);
    const char *start;
    switch (hj_scalar(j, &s)) {
    case HJ_STR: v->kind = HV_STR; return (v->s = keep(a, &s)) != NULL;
    case HJ_NUM: v->kind = HV_NUM; return (v->s = keep(a, &s)) != NULL;
    case HJ_TRUE: v->kind = HV_BOOL, v->s = "true"; return true;
    case HJ_FALSE: v->kind = HV_BOOL, v->s = "false"; return true;
    case HJ_NULL: v->kind = HV_NULL; return true;
    case HJ_OBJ:
    case HJ_ARR:
        hj_peek(j);
        start = j->p;
        if (!hj_skip(j))
            return false;
        v->kind = HV_COMPOUND;
        v->span = start;
        v->span_len = (size_t)(j->p - start);
        return true;
    default: return false;
    }
}

/* {"companies":{"results":[{"id":"900","type":"contact_to_company"},...]}}: the primary company. */
static bool read_assoc(hj_t *j, const hs_obj_t *o, arena_t *a, const char **primary) {
    hj_str_t k;
    int r, r2, r3;
    if (hj_peek(j) != '{')
        return hj_skip(j);
    hj_enter(j, '{');
    while ((r = hj_next_member(j, &k)) > 0) {
        if (!(hj_streq(&k, "companies") || hj_streq(&k, "company")) || hj_peek(j) != '{') {
            if (!hj_skip(j))
                return false;
            continue;
        }
        hj_enter(j, '{');
        while ((r2 = hj_next_member(j, &k)) > 0) {
            if (!hj_streq(&k, "results") || hj_peek(j) != '[') {
                if (!hj_skip(j))
                    return false;
                continue;
            }
            hj_enter(j, '[');
            while ((r3 = hj_next_elem(j)) > 0) {
                hs_val_t id = {0}, type = {0};
                if (hj_peek(j) != '{') {
                    if (!hj_skip(j))
                        return false;
                    continue;
                }
                hj_enter(j, '{');
                int r4;
                while ((r4 = hj_next_member(j, &k)) > 0) {
                    hs_val_t *dst = hj_streq(&k, "id") ? &id : hj_streq(&k, "type") ? &type : NULL;
                    hs_val_t skip;
                    if (!read_val(j, a, dst ? dst : &skip))
                        return false;
                }
                if (r4 < 0)
                    return false;
                if (!*primary && o->primary_name && id.kind == HV_STR && *id.s && type.kind == HV_STR &&
                    strcmp(type.s, o->primary_name) == 0)
                    *primary = id.s; /* PROTOCOL B2: <object>_to_company marks the primary one */
            }
            if (r3 < 0)
                return false;
        }
        if (r2 < 0)
            return false;
    }
    return r == 0;
}

static bool read_props(hj_t *j, hs_rd_t *rd, arena_t *a, ucrm_err_t *rc) {
    hj_str_t k;
    int r;
    if (hj_peek(j) == 'n')
        return hj_skip(j);
    if (!hj_enter(j, '{')) {
        snprintf(rd->why, HS_WHY, "properties is not an object");
        return false;
    }
    while ((r = hj_next_member(j, &k)) > 0) {
        const char *name = keep(a, &k);
        hs_val_t v;
        if (!name || !read_val(j, a, &v))
            return false;
        if ((*rc = hs_rd_prop(rd, name, &v)) < 0)
            return false;
    }
    return r == 0;
}

/* Reads the members of one object (the scanner at its '{'). */
static bool read_object(hj_t *j, hs_rd_t *rd, arena_t *a, ucrm_err_t *rc) {
    hj_str_t k;
    int r;
    if (!hj_enter(j, '{')) {
        snprintf(rd->why, HS_WHY, "a result is not a JSON object");
        return false;
    }
    while ((r = hj_next_member(j, &k)) > 0) {
        bool ok;
        if (hj_streq(&k, "id"))
            ok = read_val(j, a, &rd->id);
        else if (hj_streq(&k, "properties"))
            ok = read_props(j, rd, a, rc);
        else if (hj_streq(&k, "createdAt"))
            ok = read_val(j, a, &rd->created);
        else if (hj_streq(&k, "updatedAt"))
            ok = read_val(j, a, &rd->updated);
        else if (hj_streq(&k, "archived"))
            ok = read_val(j, a, &rd->archived);
        else if (hj_streq(&k, "archivedAt"))
            ok = read_val(j, a, &rd->archived_at);
        else if (hj_streq(&k, "associations"))
            ok = read_assoc(j, rd->o, a, &rd->primary);
        else
            ok = hj_skip(j);
        if (!ok)
            return false;
    }
    return r == 0;
}

static bool ms_of(const char *s, int64_t *ms) {
    size_t n = s ? strlen(s) : 0;
    if (n && strspn(s, "0123456789") == n)
        return ucrm__parse_i64(s, ms);
    return n && ucrm__parse_time(s, n, ms);
}

static void fill_info(const hs_rd_t *rd, hs_info_t *info) {
    memset(info, 0, sizeof *info);
    if ((rd->id.kind == HV_STR || rd->id.kind == HV_NUM) && strlen(rd->id.s) < sizeof info->id)
        strcpy(info->id, rd->id.s);
    const char *upd = rd->updated.kind == HV_STR ? rd->updated.s : NULL;
    info->has_modified = ms_of(rd->modified, &info->modified_ms) || ms_of(upd, &info->modified_ms);
    const char *ch = rd->archived_at.kind == HV_STR ? rd->archived_at.s : upd;
    info->has_changed = ms_of(ch, &info->changed_ms);
}

/* The object's text as a raw JSON payload (one allocation for the text, one for the node). */
static cJSON *raw_payload(const char *text, size_t len) {
    char *copy = cJSON_malloc(len + 1);
    cJSON *node = copy ? cJSON_CreateRaw("") : NULL;
    if (!node) {
        cJSON_free(copy);
        return NULL;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    cJSON_free(node->valuestring);
    node->valuestring = copy;
    return node;
}

/* Reads the object at the scanner's position into a record; its text (start .. the scanner's new position)
 * becomes the payload. */
static ucrm_err_t scan_one(const hs_obj_t *o, const hs_sel_t *sel, hj_t *j, ucrm_record_t **out, hs_info_t *info,
                           char *why) {
    char stack[STACK_SCRATCH];
    arena_t a = {stack, 0, sizeof stack, NULL, false};
    hs_rd_t rd;
    *out = NULL;
    hj_peek(j);
    const char *start = j->p;
    ucrm_err_t rc = hs_rd_begin(&rd, o, sel, why);
    if (rc == UCRM_OK && !read_object(j, &rd, &a, &rc) && rc == UCRM_OK) {
        rc = a.oom ? UCRM_ERR_NOMEM : UCRM_ERR_PROTOCOL;
        if (!why[0])
            snprintf(why, HS_WHY, "malformed JSON");
    }
    if (rc == UCRM_OK)
        rc = hs_rd_finish(&rd);
    cJSON *payload = rc == UCRM_OK ? raw_payload(start, (size_t)(j->p - start)) : NULL;
    if (rc == UCRM_OK && !payload)
        rc = UCRM_ERR_NOMEM;
    if (rc == UCRM_OK && info)
        fill_info(&rd, info);
    arena_free(&a);
    if (rc < 0) {
        hs_rd_abort(&rd);
        return rc;
    }
    ucrm_record__set_remote(rd.rec, payload);
    *out = rd.rec;
    return UCRM_OK;
}

ucrm_err_t hs_record_scan(const hs_obj_t *o, const hs_sel_t *sel, const char *text, size_t len,
                          ucrm_record_t **out, hs_info_t *info, char why[HS_WHY]) {
    hj_t j = {text, text + len, 0, false};
    why[0] = '\0';
    ucrm_err_t rc = scan_one(o, sel, &j, out, info, why);
    if (rc == UCRM_OK && !hj_end(&j)) {
        ucrm_record_destroy(*out);
        *out = NULL;
        snprintf(why, HS_WHY, "text after the object");
        return UCRM_ERR_PROTOCOL;
    }
    return rc;
}

/* ---------------------------------------------------------------------------------------------- pages */

void hs_page_scan_free(hs_page_scan_t *ps) {
    ucrm__free(ps->scratch);
    memset(ps, 0, sizeof *ps);
    ps->total = -1;
}

static ucrm_err_t page_fail(char *why, const char *msg) {
    snprintf(why, HS_WHY, "%s", msg);
    return UCRM_ERR_PROTOCOL;
}

static ucrm_err_t read_results(hj_t *j, const hs_obj_t *o, const hs_sel_t *sel, hs_each_fn *each, void *arg,
                               hs_page_scan_t *ps, char *why) {
    int r;
    if (!hj_enter(j, '['))
        return page_fail(why, "results is not an array");
    while ((r = hj_next_elem(j)) > 0) {
        ucrm_record_t *rec = NULL;
        hs_info_t info;
        ucrm_err_t rc = scan_one(o, sel, j, &rec, &info, why);
        if (rc == UCRM_OK)
            rc = each(arg, rec, &info);
        if (rc < 0)
            return rc;
        ps->nresults++;
    }
    return r == 0 ? UCRM_OK : page_fail(why, "malformed JSON in results");
}

/* "paging":{"next":{"after":"..."}} */
static bool read_paging(hj_t *j, hs_page_scan_t *ps) {
    hj_str_t k, s;
    int r, r2;
    if (hj_peek(j) != '{')
        return hj_skip(j);
    hj_enter(j, '{');
    while ((r = hj_next_member(j, &k)) > 0) {
        if (!hj_streq(&k, "next") || hj_peek(j) != '{') {
            if (!hj_skip(j))
                return false;
            continue;
        }
        hj_enter(j, '{');
        while ((r2 = hj_next_member(j, &k)) > 0) {
            if (hj_streq(&k, "after") && hj_peek(j) == '"') {
                if (!hj_string(j, &s))
                    return false;
                ucrm__free(ps->scratch);
                ps->scratch = ucrm__malloc(s.len + 1);
                size_t n;
                if (!ps->scratch || !hj_unescape(&s, ps->scratch, &n))
                    return false;
                ps->after = ps->scratch;
            } else if (!hj_skip(j)) {
                return false;
            }
        }
        if (r2 < 0)
            return false;
    }
    return r == 0;
}

ucrm_err_t hs_scan_page(const hs_obj_t *o, const hs_sel_t *sel, const char *body, size_t len, hs_each_fn *each,
                        void *arg, hs_page_scan_t *ps, char why[HS_WHY]) {
    hj_t j = {body, body + len, 0, false};
    hj_str_t k, s;
    int r;
    bool results = false;
    memset(ps, 0, sizeof *ps);
    ps->total = -1;
    why[0] = '\0';
    if (!len)
        return page_fail(why, "empty body");
    if (!hj_enter(&j, '{'))
        return page_fail(why, "not a JSON object");
    while ((r = hj_next_member(&j, &k)) > 0) {
        if (hj_streq(&k, "results")) {
            ucrm_err_t rc = read_results(&j, o, sel, each, arg, ps, why);
            if (rc < 0)
                return rc;
            results = true;
        } else if (hj_streq(&k, "paging")) {
            if (!read_paging(&j, ps))
                return page_fail(why, "malformed paging");
        } else if (hj_streq(&k, "total") && hj_peek(&j) != '"' && hj_peek(&j) != '{' && hj_peek(&j) != '[') {
            int64_t t;
            char nb[32];
            if (!hj_number(&j, &s))
                return page_fail(why, "total is not a number");
            snprintf(nb, sizeof nb, "%.*s", (int)(s.len < 31 ? s.len : 31), s.s);
            if (ucrm__parse_i64(nb, &t) && t >= 0)
                ps->total = t;
        } else if (!hj_skip(&j)) {
            return page_fail(why, "malformed JSON");
        }
    }
    if (r < 0 || !hj_end(&j))
        return page_fail(why, r < 0 ? "malformed JSON" : "text after the page");
    return results ? UCRM_OK : page_fail(why, "no results array");
}
