/*
 * sync_demo.c -- a small bidirectional sync between HubSpot and Salesforce, written as an application would
 * write it with unicrm's public API (run it with `make demo`: it starts the bundled fake CRM on loopback).
 *
 *   sync_demo --url http://127.0.0.1:PORT [--contacts N] [--companies N] [--plain]
 *
 * The story, in five steps:
 *   1. The scene: a HubSpot portal with N contacts at N/10 companies, a Salesforce org with fewer, some of them
 *      the same people and companies (made through unicrm by "scene" clients, which stand for the CRMs' users).
 *   2. First sync: a full reconciliation pass of each CRM against our empty store finds every record MISSING;
 *      we link records by key (email, company name), merge them by the field-ownership table, and write what
 *      each side lacks in batches: upserts keyed by an external id, so that a crash and a rerun cannot duplicate
 *      anything. Companies go first, so that contacts can point at their company on either side.
 *   3. The users change things on both sides: owned fields, a field the other side owns, the same name on both
 *      sides, new and deleted records.
 *   4. Incremental sync: a reconciliation pass from each CRM's checkpoint lists only what changed since (our
 *      own writes of step 2 included: they compare equal to our store and are dropped as echoes), and the
 *      ownership table decides which change wins and which is put back.
 *   5. The truth pass: a full reconciliation of both CRMs with our ids reports no drift at all.
 *
 * Everything sync-related comes from unicrm's sync toolkit: ucrm_recon_* (pulls since a checkpoint, with
 * deletes, compared with our store), ucrm_policy_* (who owns which field, echo suppression), ucrm_batch_* and
 * the client's statistics. What the demo keeps itself is what an application keeps: the link table between the
 * two CRMs' ids, and the last synced values ("golden" records).
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicrm/unicrm.h>

#include "demo_util.h"

/* ================================================================================ 1. what is synced, and who owns it */

enum { HS = 0, SF = 1 };                 /* the two sides */
enum { ACCOUNTS = 0, CONTACTS = 1 };     /* in this order: contacts point at accounts */
static const char *const SIDE[2] = {"HubSpot", "Salesforce"};

/* The field-ownership table: which CRM is the system of record for each field. A change made on the owner's
 * side flows to the other; a change made on the other side is put back. NEWEST: the later change wins. */
typedef enum { OWN_HUBSPOT, OWN_SALESFORCE, OWN_NEWEST } owner_t;
static const struct {
    ucrm_object_t object;
    const char *field;
    owner_t owner;
} OWNERSHIP[] = {
    {UCRM_OBJECT_ACCOUNT, "name", OWN_NEWEST},
    {UCRM_OBJECT_ACCOUNT, "website", OWN_HUBSPOT},
    {UCRM_OBJECT_ACCOUNT, "industry", OWN_SALESFORCE},
    {UCRM_OBJECT_CONTACT, "email", OWN_NEWEST},
    {UCRM_OBJECT_CONTACT, "first_name", OWN_NEWEST},
    {UCRM_OBJECT_CONTACT, "last_name", OWN_NEWEST},
    {UCRM_OBJECT_CONTACT, "lifecycle_stage", OWN_HUBSPOT}, /* marketing runs in HubSpot */
    {UCRM_OBJECT_CONTACT, "phone_numbers", OWN_HUBSPOT},
    {UCRM_OBJECT_CONTACT, "title", OWN_SALESFORCE},        /* sales runs in Salesforce */
    {UCRM_OBJECT_CONTACT, "account_id", OWN_SALESFORCE},
};

/* The synced fields of each object (the reconciliation compares exactly these). */
static const char *const FIELDS[2] = { /* as ucrm_recon_set_fields() takes them; FIELD_LIST to loop over */"name,website,industry",
                                      "first_name,last_name,email,title,phone_numbers,lifecycle_stage,account_id"};
static const char *const FIELD_LIST[2][8] = {
    {"name", "website", "industry", NULL},
    {"first_name", "last_name", "email", "title", "phone_numbers", "lifecycle_stage", "account_id", NULL},
};
static const ucrm_object_t OBJECT[2] = {UCRM_OBJECT_ACCOUNT, UCRM_OBJECT_CONTACT};

/* How each side identifies a record it has not seen from us yet: upsert keys. Salesforce keeps the HubSpot id in
 * an external-id field; HubSpot keys contacts by email and companies by a unique property holding the Salesforce
 * id. A retried or rerun upsert updates what the first attempt created instead of duplicating it. */
static const char *const UPSERT_KEY[2][2] = {
    /* HubSpot                  Salesforce */
    {"custom.sf_account_id", "custom.External_Id__c"}, /* accounts */
    {"email", "custom.External_Id__c"},                /* contacts */
};

/* ================================================================================ 2. the application's store */

/* One record known to the sync: its id on each side and the values last synced. */
typedef struct link {
    char *key;                /* lower-cased email or company name: how a record is matched across CRMs */
    char *id[2];              /* HubSpot id, Salesforce id (NULL until the record exists there) */
    ucrm_record_t *golden;    /* the synced values; account_id holds the company's key, not a CRM id */
    /* this round */
    ucrm_record_t *before;    /* golden at the start of the round (NULL for a record new this round) */
    ucrm_record_t *seen[2];   /* each side's record as the pull found it (NULL: unchanged there) */
    char *changed[2];         /* the fields that differed on that side (from the reconciliation) */
    bool touched, deleted[2], wrote[2];
} link_t;

typedef struct store {
    link_t *v;
    size_t n, cap;
    demo_index_t by_key, by_id[2];
    char *checkpoint[2];      /* per side: where the next incremental pull starts */
} store_t;

typedef struct side {
    ucrm_client_t *c;         /* the sync's client */
    ucrm_client_t *user;      /* the scene's client: a person using this CRM (own rate-limit key) */
    ucrm_policy_t *policy;    /* field ownership and echo fingerprints, seen from this CRM */
    long written, created, deleted, echoes, batches, failed;
} side_t;

typedef struct demo {
    side_t side[2];
    store_t store[2];         /* accounts, contacts */
    int contacts, companies;
    int obj, from;            /* the pass being run (for the lookup callback) */
    long reverted, conflicts;
} demo_t;

static char *xstrdup(const char *s) {
    char *d = s ? strdup(s) : NULL;
    if (s && !d) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return d;
}

static void die(const char *what, ucrm_err_t rc, ucrm_error_t *e) {
    demo_done("FAILED: %s: %s: %s", what, ucrm_err_name(rc), e ? ucrm_error_message(e) : "");
    exit(1);
}

/* The demo stops at the first unexpected error (an application would log, retry later or alert). CHECK() for
 * calls without an error object, CHECK_E() for calls that take one: write &err as their last argument. */
#define CHECK(call, what)                                                                                      \
    do {                                                                                                       \
        ucrm_err_t rc_ = (call);                                                                               \
        if (rc_ < 0)                                                                                           \
            die(what, rc_, NULL);                                                                              \
    } while (0)
#define CHECK_E(what, ...)                                                                                     \
    do {                                                                                                       \
        ucrm_error_t *err = NULL;                                                                              \
        ucrm_err_t rc_ = (__VA_ARGS__);                                                                        \
        if (rc_ < 0)                                                                                           \
            die(what, rc_, err);                                                                               \
        ucrm_error_destroy(err);                                                                               \
    } while (0)

static const char *str(const ucrm_record_t *r, const char *field) {
    const char *s = NULL;
    return r && ucrm_record_get_string(r, field, &s) == UCRM_OK ? s : NULL;
}

static char *lower(const char *s) {
    char *d = xstrdup(s ? s : "");
    for (char *p = d; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

/* The matching key of a record: email for contacts, name for companies. */
static char *key_of(int obj, const ucrm_record_t *r) { return lower(str(r, obj == CONTACTS ? "email" : "name")); }

/* Copies one field (any type) from src to dst; absent or null becomes null. */
static void copy_field(ucrm_record_t *dst, const ucrm_record_t *src, const char *field) {
    char *json = NULL;
    if (src && ucrm_record_field_type(src, field) != UCRM_FIELD_NONE && !ucrm_record_is_null(src, field) &&
        ucrm_record_get_json(src, field, &json) == UCRM_OK) {
        if (strcmp(field, "account_id") == 0) /* a scalar: set_json takes compound and custom fields */
            CHECK(ucrm_record_set_string(dst, field, str(src, field)), "copy account_id");
        else
            CHECK(ucrm_record_set_json(dst, field, json), field);
    } else {
        CHECK(ucrm_record_set_null(dst, field), field);
    }
    ucrm_free(json);
}

/* Do two records agree on a field? Compared with unicrm's normalised fingerprints, so that "1500.0" equals
 * "1500" and an empty list equals no value, whichever CRM wrote it. */
static bool same_field(const ucrm_record_t *a, const ucrm_record_t *b, const char *field) {
    char *fa = NULL, *fb = NULL;
    CHECK(ucrm_record_fingerprint(&fa, a, field, NULL), "fingerprint");
    CHECK(ucrm_record_fingerprint(&fb, b, field, NULL), "fingerprint");
    bool same = strcmp(fa, fb) == 0;
    ucrm_free(fa);
    ucrm_free(fb);
    return same;
}

/* For each synced field f of obj. */
#define FOR_EACH_FIELD(obj, f)                                                                                 \
    for (const char *const *f##_p = FIELD_LIST[obj], *f; (f = *f##_p) != NULL; f##_p++)

/* Is field one of the comma-separated names in csv? */
static bool in_csv(const char *csv, const char *field) {
    size_t n = strlen(field);
    for (const char *p = csv; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, field, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

static link_t *link_by_id(store_t *st, int side, const char *id) {
    size_t i;
    return demo_index_get(&st->by_id[side], id, &i) ? &st->v[i] : NULL;
}

static link_t *link_by_key(store_t *st, const char *key) {
    size_t i;
    return demo_index_get(&st->by_key, key, &i) ? &st->v[i] : NULL;
}

static link_t *link_new(store_t *st, const char *key) {
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 256;
        st->v = realloc(st->v, st->cap * sizeof *st->v);
        if (!st->v)
            exit(1);
    }
    link_t *l = &st->v[st->n];
    memset(l, 0, sizeof *l);
    l->key = xstrdup(key);
    if (demo_index_put(&st->by_key, key, st->n) < 0)
        exit(1);
    st->n++;
    return l;
}

static void link_set_id(store_t *st, link_t *l, int side, const char *id) {
    if (l->id[side])
        demo_index_del(&st->by_id[side], l->id[side]);
    free(l->id[side]);
    l->id[side] = xstrdup(id);
    if (id && demo_index_put(&st->by_id[side], id, (size_t)(l - st->v)) < 0)
        exit(1);
}

/* The company key an account id of one side stands for (contacts' account_id), or NULL. */
static const char *company_key(demo_t *d, int side, const char *account_id) {
    link_t *l = account_id ? link_by_id(&d->store[ACCOUNTS], side, account_id) : NULL;
    return l ? l->key : NULL;
}

/* Copies field f of a CRM record into a record in the store's terms (account_id: the company's key). */
static void golden_field(demo_t *d, int side, ucrm_record_t *dst, const ucrm_record_t *crm, const char *f) {
    if (strcmp(f, "account_id") == 0) {
        const char *k = company_key(d, side, str(crm, "account_id"));
        CHECK(k ? ucrm_record_set_string(dst, f, k) : ucrm_record_set_null(dst, f), "account");
    } else {
        copy_field(dst, crm, f);
    }
}

/* A CRM record in the store's terms: only the synced fields, account_id as the company's key. */
static ucrm_record_t *to_golden(demo_t *d, int obj, int side, const ucrm_record_t *crm) {
    ucrm_record_t *g = NULL;
    CHECK(ucrm_record_new(&g, OBJECT[obj]), "record");
    FOR_EACH_FIELD(obj, f)
        golden_field(d, side, g, crm, f);
    return g;
}

/* The store's values as one side sees them: its id, account_id as its own company id. */
static ucrm_record_t *side_view(demo_t *d, int obj, int side, const link_t *l, const ucrm_record_t *values) {
    ucrm_record_t *v = NULL;
    CHECK(ucrm_record_new(&v, OBJECT[obj]), "record");
    if (l->id[side])
        CHECK(ucrm_record_set_id(v, l->id[side]), "id");
    FOR_EACH_FIELD(obj, f) {
        if (strcmp(f, "account_id") == 0) {
            const link_t *co = str(values, f) ? link_by_key(&d->store[ACCOUNTS], str(values, f)) : NULL;
            CHECK(co && co->id[side] ? ucrm_record_set_string(v, f, co->id[side]) : ucrm_record_set_null(v, f),
                  "account");
        } else {
            copy_field(v, values, f);
        }
    }
    return v;
}

/* ================================================================================ 3. pulling: reconciliation passes */

/* The lookup callback of a pass: our view of the CRM record `id`, for unicrm to compare field by field. */
static int lookup(ucrm_object_t object, const char *id, const ucrm_record_t *crm, ucrm_recon_view_t *view,
                  void *opaque) {
    (void)object, (void)crm;
    demo_t *d = opaque;
    link_t *l = link_by_id(&d->store[d->obj], d->from, id);
    if (!l)
        return 0; /* not ours (yet): the pass reports it MISSING */
    if (l->wrote[d->from])
        d->side[d->from].echoes++; /* we wrote it last round; if it still agrees, it is only our echo */
    ucrm_record_t *mine = side_view(d, d->obj, d->from, l, l->golden);
    ucrm_err_t rc = ucrm_recon_view_set_record(view, mine);
    ucrm_record_destroy(mine);
    return rc == UCRM_OK ? 0 : 1;
}

static void begin_round(link_t *l) {
    if (l->touched)
        return;
    l->touched = true;
    if (l->golden)
        CHECK(ucrm_record_dup(&l->before, l->golden), "dup");
}

/* Files each drift item of a finished pass on its link, for the merge; counts[] gets missing, stale, extra. */
static void file_drift(demo_t *d, int obj, int from, const ucrm_recon_t *r, long counts[3]) {
    store_t *st = &d->store[obj];
    side_t *s = &d->side[from];
    for (size_t i = 0; i < ucrm_recon_drift_count(r); i++) {
        const char *id = ucrm_recon_drift_id(r, i);
        const ucrm_record_t *rec = ucrm_recon_drift_record(r, i);
        link_t *l = link_by_id(st, from, id);
        switch (ucrm_recon_drift_kind(r, i)) {
        case UCRM_DRIFT_MISSING: { /* new on this side: match it by key, or start a new link */
            counts[0]++;
            char *key = key_of(obj, rec);
            l = link_by_key(st, key);
            if (!l)
                l = link_new(st, key);
            free(key);
            begin_round(l);
            link_set_id(st, l, from, id);
            CHECK(ucrm_record_dup(&l->seen[from], rec), "dup");
            break;
        }
        case UCRM_DRIFT_STALE: /* changed on this side (our lookup found the link) */
            counts[1]++;
            if (l->wrote[from])
                s->echoes--; /* it changed after our write: not (only) an echo */
            begin_round(l);
            CHECK(ucrm_record_dup(&l->seen[from], rec), "dup");
            free(l->changed[from]);
            l->changed[from] = xstrdup(ucrm_recon_drift_fields(r, i));
            break;
        case UCRM_DRIFT_EXTRA: /* deleted on this side (or never there) */
            counts[2]++;
            if (l) {
                if (l->wrote[from])
                    s->echoes--;
                begin_round(l);
                l->deleted[from] = true;
            }
            break;
        }
    }
}

/* Runs one reconciliation pass of one object on one side and files each drift item on its link. full: every
 * record, and our ids are declared so that "extra" covers records the CRM never had. Returns the drift count. */
static long pull(demo_t *d, int obj, int from, bool full, const char *label) {
    store_t *st = &d->store[obj];
    side_t *s = &d->side[from];
    ucrm_reqopts_t *opts = NULL;
    CHECK(ucrm_reqopts_new(&opts), "opts");
    CHECK(ucrm_reqopts_set_priority(opts, UCRM_PRIORITY_LOW), "priority"); /* a background job */
    ucrm_recon_t *r = NULL;
    CHECK_E("reconciliation", ucrm_recon_new(&r, s->c, OBJECT[obj], full ? NULL : st->checkpoint[from], opts, &err));
    CHECK_E("fields", ucrm_recon_set_fields(r, FIELDS[obj], &err));
    ucrm_recon_set_lookup(r, lookup, d);
    /* Production keeps the default overlap (2 minutes: HubSpot's search index lags, Salesforce timestamps have
     * second precision). The demo's rounds are seconds apart, so a short one keeps the output to the point. */
    ucrm_recon_set_overlap_ms(r, 1000);
    if (full)
        for (size_t i = 0; i < st->n; i++)
            if (st->v[i].id[from])
                CHECK_E("app id", ucrm_recon_add_app_id(r, st->v[i].id[from], &err));
    d->obj = obj;
    d->from = from;
    long echoes_before = s->echoes;
    ucrm_err_t rc;
    ucrm_error_t *perr = NULL;
    /* one page per step, so that the progress line moves (ucrm_recon_run() does the same loop) */
    while ((rc = ucrm_recon_step(r, &perr)) == UCRM_OK)
        demo_progress("  %s: pulling %s %s ... %zu examined", label, SIDE[from], ucrm_object_name(OBJECT[obj]),
                      ucrm_recon_examined(r));
    if (rc != UCRM_ITEROVER)
        die("reconciliation pass", rc, perr);

    long drift = (long)ucrm_recon_drift_count(r), n[3] = {0, 0, 0};
    file_drift(d, obj, from, r, n);
    free(st->checkpoint[from]);
    st->checkpoint[from] = xstrdup(ucrm_recon_checkpoint(r)); /* an application stores this string */
    demo_done("  %s: %-10s %-8s %5zu examined: %ld missing, %ld stale, %ld extra", label, SIDE[from],
              ucrm_object_name(OBJECT[obj]), ucrm_recon_examined(r), n[0], n[1], n[2]);
    long same = (long)ucrm_recon_examined(r) - drift;
    if (!full && same > 0)
        demo_done("  %*s  the other %ld equal our store: %ld of them our own writes coming back (echoes, not sent "
                  "back), the rest unchanged", (int)strlen(label), "", same, s->echoes - echoes_before);
    ucrm_recon_destroy(r);
    ucrm_reqopts_destroy(opts);
    return drift;
}

/* ================================================================================ 4. merging by ownership */

static owner_t owner_of(int obj, const char *field) {
    for (size_t i = 0; i < sizeof OWNERSHIP / sizeof OWNERSHIP[0]; i++)
        if (OWNERSHIP[i].object == OBJECT[obj] && strcmp(OWNERSHIP[i].field, field) == 0)
            return OWNERSHIP[i].owner;
    return OWN_NEWEST;
}

/* The ownership table as each CRM's policy: the owner's side lets changes flow in (FROM_CRM) and takes our
 * writes when a record is first copied there; the other side only takes our writes (TO_CRM), so its own
 * changes to the field are not applied and get put back. */
static void build_policies(demo_t *d) {
    for (int s = 0; s < 2; s++) {
        CHECK(ucrm_policy_new(&d->side[s].policy), "policy");
        for (size_t i = 0; i < sizeof OWNERSHIP / sizeof OWNERSHIP[0]; i++) {
            owner_t o = OWNERSHIP[i].owner;
            bool mine = (o == OWN_HUBSPOT && s == HS) || (o == OWN_SALESFORCE && s == SF);
            ucrm_owner_t who = o == OWN_NEWEST ? UCRM_OWNER_NEWEST : mine ? UCRM_OWNER_CRM : UCRM_OWNER_PRODUCT;
            ucrm_sync_dir_t dir = o == OWN_NEWEST || mine ? UCRM_SYNC_BOTH : UCRM_SYNC_TO_CRM;
            CHECK_E("policy", ucrm_policy_set(d->side[s].policy, OWNERSHIP[i].object, OWNERSHIP[i].field, who, dir,
                                              &err));
        }
    }
}

static int64_t updated_ms(const ucrm_record_t *r) {
    int64_t ms = 0;
    ucrm_record_get_time_ms(r, "updated_at", &ms);
    return ms;
}

/* A record new this round: its values from the side(s) that have it; where both do (matched by key), each
 * field from its owner (names: the newer record). */
static void merge_new(demo_t *d, int obj, link_t *l) {
    ucrm_record_t *g[2] = {NULL, NULL};
    for (int s = 0; s < 2; s++)
        if (l->seen[s])
            g[s] = to_golden(d, obj, s, l->seen[s]);
    int only = g[HS] ? (g[SF] ? -1 : HS) : SF;
    if (only >= 0) {
        l->golden = g[only];
        return;
    }
    CHECK(ucrm_record_dup(&l->golden, g[HS]), "dup");
    int newer = updated_ms(l->seen[SF]) > updated_ms(l->seen[HS]) ? SF : HS;
    FOR_EACH_FIELD(obj, f) {
        owner_t o = owner_of(obj, f);
        int from = o == OWN_HUBSPOT ? HS : o == OWN_SALESFORCE ? SF : newer;
        if (ucrm_record_is_null(g[from], f)) /* the owner has no value: keep the other side's */
            from = 1 - from;
        copy_field(l->golden, g[from], f);
    }
    ucrm_record_destroy(g[HS]);
    ucrm_record_destroy(g[SF]);
}

/* A known record changed on one or both sides: each changed field goes through the side's policy. The policy
 * filter keeps the fields that side may change (FROM_CRM) and drops echoes of our own recent writes; when both
 * sides changed a NEWEST field, ucrm_policy_resolve() picks the later change. */
static void merge_changes(demo_t *d, int obj, link_t *l) {
    ucrm_record_t *in[2] = {NULL, NULL};
    int64_t when[2] = {0, 0};
    for (int s = 0; s < 2; s++)
        if (l->seen[s]) {
            CHECK_E("policy filter",
                    ucrm_policy_filter(d->side[s].policy, &in[s], NULL, l->seen[s], UCRM_SYNC_FROM_CRM, 0, &err));
            when[s] = updated_ms(l->seen[s]);
        }
    FOR_EACH_FIELD(obj, f) {
        int take = -1;
        for (int s = 0; s < 2; s++) {
            /* did side s change f (the reconciliation said so), and may it (the policy kept it)? */
            if (!in[s] || !in_csv(l->changed[s], f) || ucrm_record_field_type(in[s], f) == UCRM_FIELD_NONE)
                continue;
            if (take >= 0) { /* both did: NEWEST takes the later change (ties go to the CRM) */
                int winner = ucrm_policy_resolve(d->side[s].policy, OBJECT[obj], f, when[s], when[take]) ==
                                     UCRM_OWNER_CRM ? s : take;
                if (d->conflicts++ < 3)
                    demo_done("  conflict: %s of %s changed in both CRMs: %s's change is newer and wins", f, l->key,
                              SIDE[winner]);
                if (winner != s)
                    continue;
            }
            take = s;
        }
        if (take >= 0)
            golden_field(d, take, l->golden, in[take], f);
    }
    ucrm_record_destroy(in[HS]);
    ucrm_record_destroy(in[SF]);
}

/* ================================================================================ 5. pushing: batches per side */

typedef struct pending {
    ucrm_batch_t *b;
    link_t **links;
    size_t n;
} pending_t;

/* Runs a batch and reads back each item's outcome: new ids into the links, failures counted and shown. */
static void run_batch(demo_t *d, int obj, int to, ucrm_batch_op_t op, pending_t *p) {
    side_t *s = &d->side[to];
    if (!p->n)
        return;
    ucrm_error_t *err = NULL;
    ucrm_err_t rc = ucrm_batch_run(s->c, p->b, NULL, &err);
    if (rc < 0 && rc != UCRM_ERR_PARTIAL)
        die("batch", rc, err);
    ucrm_error_destroy(err);
    s->batches++;
    for (size_t i = 0; i < p->n; i++) {
        const char *id = NULL;
        const ucrm_error_t *ie = NULL;
        if (ucrm_batch_result(p->b, i, &id, &ie) != UCRM_OK) {
            if (s->failed++ < 5)
                demo_done("  ! %s %s %s: %s", SIDE[to], ucrm_object_name(OBJECT[obj]), p->links[i]->key,
                          ucrm_error_message(ie));
            continue;
        }
        link_t *l = p->links[i];
        if (op == UCRM_BATCH_DELETE) {
            s->deleted++;
            continue;
        }
        int created = 0;
        if (op == UCRM_BATCH_UPSERT && ucrm_batch_result_created(p->b, i, &created) == UCRM_OK && created)
            s->created++;
        if (!l->id[to])
            link_set_id(&d->store[obj], l, to, id);
        /* remember what we wrote: the change events (or pulls) that bring it back are echoes */
        ucrm_record_t *w = side_view(d, obj, to, l, l->golden);
        ucrm_policy_note_write(s->policy, w, 0, NULL);
        ucrm_record_destroy(w);
        l->wrote[to] = true;
        s->written++;
    }
    ucrm_batch_destroy(p->b);
    free(p->links);
    memset(p, 0, sizeof *p);
}

static void add_item(demo_t *d, int obj, int to, ucrm_batch_op_t op, pending_t *p, link_t *l, ucrm_record_t *rec) {
    size_t max = to == HS ? 100 : 200; /* one provider request per batch: the progress line moves per request */
    if (!p->b) {
        CHECK(ucrm_batch_new(&p->b, OBJECT[obj], op), "batch");
        if (op == UCRM_BATCH_UPSERT)
            CHECK(ucrm_batch_set_key_field(p->b, UPSERT_KEY[obj][to]), "key");
        p->links = calloc(max, sizeof *p->links);
    }
    CHECK(rec ? ucrm_batch_add(p->b, rec) : ucrm_batch_add_id(p->b, l->id[to]), "batch add");
    p->links[p->n++] = l;
    if (p->n == max)
        run_batch(d, obj, to, op, p);
}

/* What side `to` must receive for link l, filtered by its policy (TO_CRM), or NULL when nothing:
 *  - a record it lacks: every value we have, plus its upsert key;
 *  - a record it has: the fields where our store differs from what it holds now (its record as pulled this
 *    round, or else the values before this round), which also puts back changes to fields it does not own.
 * A record linked this round (found on both sides) also gets the other side's id as its external key. */
static ucrm_record_t *changes_for(demo_t *d, int obj, int to, link_t *l) {
    ucrm_record_t *theirs = l->seen[to] ? to_golden(d, obj, to, l->seen[to]) : NULL;
    const ucrm_record_t *held = theirs ? theirs : l->before;
    ucrm_record_t *full = side_view(d, obj, to, l, l->golden), *diff = NULL, *out = NULL;
    CHECK(ucrm_record_new(&diff, OBJECT[obj]), "record");
    if (l->id[to])
        CHECK(ucrm_record_set_id(diff, l->id[to]), "id");
    FOR_EACH_FIELD(obj, f) {
        if (l->id[to] ? held && same_field(l->golden, held, f) : ucrm_record_is_null(full, f))
            continue;
        copy_field(diff, full, f);
        if (theirs && l->before && !same_field(theirs, l->before, f) &&
            !ucrm_policy_allows(d->side[to].policy, OBJECT[obj], f, UCRM_SYNC_FROM_CRM))
            d->reverted++; /* they changed a field the other CRM owns: put back */
    }
    if (ucrm_record_field_count(diff))
        CHECK_E("policy filter", ucrm_policy_filter(d->side[to].policy, &out, NULL, diff, UCRM_SYNC_TO_CRM, 0, &err));
    const char *key = UPSERT_KEY[obj][to];
    bool keyed = strncmp(key, "custom.", 7) == 0 && (!l->id[to] || (!l->before && l->id[1 - to]));
    if (keyed && !out) {
        CHECK(ucrm_record_new(&out, OBJECT[obj]), "record");
        CHECK(ucrm_record_set_id(out, l->id[to]), "id");
    }
    if (keyed)
        CHECK(ucrm_record_set_string(out, key, l->id[1 - to]), "external id");
    ucrm_record_destroy(theirs);
    ucrm_record_destroy(full);
    ucrm_record_destroy(diff);
    if (out && !ucrm_record_field_count(out)) {
        ucrm_record_destroy(out);
        out = NULL;
    }
    return out;
}

/* Writes each touched link's changes to both sides (updates, upserts for records a side lacks, deletes), then
 * closes the round. */
static void push(demo_t *d, int obj, const char *label) {
    store_t *st = &d->store[obj];
    for (int to = 0; to < 2; to++) {
        pending_t up = {0}, ins = {0}, del = {0};
        long before = d->side[to].written + d->side[to].deleted, queued = 0;
        for (size_t i = 0; i < st->n; i++) {
            link_t *l = &st->v[i];
            l->wrote[to] = false;
            if (!l->touched || !l->golden)
                continue;
            if (l->deleted[1 - to] && l->id[to] && !l->deleted[to]) { /* deleted there: delete here too */
                ucrm_policy_note_delete(d->side[to].policy, OBJECT[obj], l->id[to], 0, NULL);
                add_item(d, obj, to, UCRM_BATCH_DELETE, &del, l, NULL);
                continue;
            }
            if (l->deleted[0] || l->deleted[1])
                continue;
            ucrm_record_t *w = changes_for(d, obj, to, l);
            if (w) {
                add_item(d, obj, to, l->id[to] ? UCRM_BATCH_UPDATE : UCRM_BATCH_UPSERT, l->id[to] ? &up : &ins, l, w);
                queued++;
            }
            ucrm_record_destroy(w);
            demo_progress("  %s: writing %s %s ... %ld queued, %ld written", label, SIDE[to],
                          ucrm_object_name(OBJECT[obj]), queued, d->side[to].written + d->side[to].deleted - before);
        }
        run_batch(d, obj, to, UCRM_BATCH_UPDATE, &up);
        run_batch(d, obj, to, UCRM_BATCH_UPSERT, &ins);
        run_batch(d, obj, to, UCRM_BATCH_DELETE, &del);
        demo_done("  %s: %-10s %-8s %5ld written (%s -> %s)", label, SIDE[to], ucrm_object_name(OBJECT[obj]),
                  d->side[to].written + d->side[to].deleted - before, SIDE[1 - to], SIDE[to]);
    }
    /* close the round: forget deleted records, keep the rest */
    for (size_t i = 0; i < st->n; i++) {
        link_t *l = &st->v[i];
        if (l->deleted[0] || l->deleted[1]) {
            for (int s = 0; s < 2; s++)
                link_set_id(st, l, s, NULL);
            ucrm_record_destroy(l->golden);
            l->golden = NULL;
        }
        ucrm_record_destroy(l->before);
        for (int s = 0; s < 2; s++) {
            ucrm_record_destroy(l->seen[s]);
            free(l->changed[s]);
            l->seen[s] = NULL;
            l->changed[s] = NULL;
            l->deleted[s] = false;
        }
        l->before = NULL;
        l->touched = false;
    }
}

/* One sync round for one object: pull both sides (since their checkpoints), merge, push. */
static void sync_object(demo_t *d, int obj, bool first, const char *label) {
    for (int s = 0; s < 2; s++)
        pull(d, obj, s, first, label);
    store_t *st = &d->store[obj];
    for (size_t i = 0; i < st->n; i++) {
        link_t *l = &st->v[i];
        if (!l->touched || l->deleted[HS] || l->deleted[SF])
            continue;
        if (!l->golden)
            merge_new(d, obj, l);
        else
            merge_changes(d, obj, l);
    }
    push(d, obj, label);
}

/* ================================================================================ the scene (the CRMs' users) */

static const char *const FIRST[] = {"Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken",
                                    "Margaret", "Dennis", "Radia", "John", "Hedy", "Tim", "Shafi", "Leslie"};
static const char *const LAST[] = {"Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen",
                                   "Thompson", "Hamilton", "Ritchie", "Perlman", "Backus", "Lamarr", "Berners-Lee",
                                   "Goldwasser", "Lamport", "Kay", "Wirth", "Cerf", "Kahn"};
static const char *const WORD1[] = {"Blue", "North", "Bright", "Iron", "Quiet", "Swift", "Silver", "Red",
                                    "Open", "Deep", "High", "Clear", "Green", "Solid", "Prime", "True"};
static const char *const WORD2[] = {"Harbor", "Peak", "Forge", "River", "Field", "Stone", "Bridge", "Grove",
                                    "Signal", "Vector", "Summit", "Anchor", "Beacon", "Circuit", "Meadow"};
static const char *const STAGE[] = {"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
                                    "opportunity"};
static const char *const TITLE[] = {"Engineer", "Director", "VP Sales", "CTO", "Analyst", "Buyer", "Founder"};
static const char *const INDUSTRY[] = {"Technology", "Finance", "Retail", "Healthcare", "Energy"};
#define PICK(a, i) a[(size_t)(i) % (sizeof a / sizeof a[0])]

static void company_name(int i, char *buf, size_t n) {
    snprintf(buf, n, "%s %s %s %d", PICK(WORD1, i), PICK(WORD2, i / 16 + i), i % 3 ? "Labs" : "Systems", i);
}

/* Creates records as a user would (batches through the scene client), returning their ids in order. */
static char **scene_create(demo_t *d, int side, int obj, ucrm_record_t **recs, int n) {
    char **ids = calloc((size_t)n + 1, sizeof *ids);
    for (int at = 0; at < n; at += 100) {
        ucrm_batch_t *b = NULL;
        CHECK(ucrm_batch_new(&b, OBJECT[obj], UCRM_BATCH_CREATE), "batch");
        int end = at + 100 < n ? at + 100 : n;
        for (int i = at; i < end; i++)
            CHECK(ucrm_batch_add(b, recs[i]), "batch add");
        CHECK_E("scene batch", ucrm_batch_run(d->side[side].user, b, NULL, &err));
        for (int i = at; i < end; i++) {
            const char *id = NULL;
            ucrm_batch_result(b, (size_t)(i - at), &id, NULL);
            ids[i] = xstrdup(id);
        }
        ucrm_batch_destroy(b);
        demo_progress("  scene: %s %s ... %d", SIDE[side], ucrm_object_name(OBJECT[obj]), end);
    }
    for (int i = 0; i < n; i++)
        ucrm_record_destroy(recs[i]);
    return ids;
}

static void free_ids(char **ids) {
    for (size_t i = 0; ids && ids[i]; i++)
        free(ids[i]);
    free(ids);
}

static ucrm_record_t *new_rec(int obj) {
    ucrm_record_t *r = NULL;
    CHECK(ucrm_record_new(&r, OBJECT[obj]), "record");
    return r;
}

static void person(ucrm_record_t *r, int i, const char *domain) {
    char email[160];
    snprintf(email, sizeof email, "%s.%s.%d@%s", PICK(FIRST, i), PICK(LAST, i / 16 + i), i, domain);
    for (char *p = email; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    ucrm_record_set_string(r, "first_name", PICK(FIRST, i));
    ucrm_record_set_string(r, "last_name", PICK(LAST, i / 16 + i));
    ucrm_record_set_string(r, "email", email);
}

typedef struct scene {
    char **hs_companies, **hs_contacts, **sf_accounts, **sf_contacts;
    int n_sf_accounts, n_sf_contacts;
} scene_t;

/* Step 1: HubSpot holds the marketing database; Salesforce a smaller sales one; some people and companies are in
 * both (same email, same company name) and must be linked, not duplicated. */
static void set_scene(demo_t *d, scene_t *sc) {
    int nc = d->companies, np = d->contacts;
    char name[96], domain[128], phone[32];
    ucrm_record_t **recs = calloc((size_t)(np > nc ? np : nc) + 1, sizeof *recs);

    for (int i = 0; i < nc; i++) { /* HubSpot companies */
        recs[i] = new_rec(ACCOUNTS);
        company_name(i, name, sizeof name);
        snprintf(domain, sizeof domain, "https://company%d.example.com", i);
        ucrm_record_set_string(recs[i], "name", name);
        ucrm_record_set_string(recs[i], "website", domain);
        ucrm_record_set_string(recs[i], "industry", PICK(INDUSTRY, i));
    }
    sc->hs_companies = scene_create(d, HS, ACCOUNTS, recs, nc);
    for (int i = 0; i < np; i++) { /* HubSpot contacts, each at a company */
        recs[i] = new_rec(CONTACTS);
        snprintf(domain, sizeof domain, "company%d.example.com", i % nc);
        person(recs[i], i, domain);
        snprintf(phone, sizeof phone, "+1 617 555 %04d", i % 10000);
        char phones[128];
        snprintf(phones, sizeof phones, "[{\"number\":\"%s\",\"type\":\"work\"}]", phone);
        ucrm_record_set_json(recs[i], "phone_numbers", phones);
        ucrm_record_set_string(recs[i], "lifecycle_stage", PICK(STAGE, i));
        ucrm_record_set_string(recs[i], "title", PICK(TITLE, i));
        ucrm_record_set_string(recs[i], "account_id", sc->hs_companies[i % nc]);
    }
    sc->hs_contacts = scene_create(d, HS, CONTACTS, recs, np);

    /* Salesforce: a tenth as many accounts, the first half with the names of HubSpot companies */
    int na = nc / 10 > 2 ? nc / 10 : 2;
    for (int i = 0; i < na; i++) {
        recs[i] = new_rec(ACCOUNTS);
        if (i < na / 2)
            company_name(i * 7 % nc, name, sizeof name); /* the same company, known to both CRMs */
        else
            snprintf(name, sizeof name, "Salesforce Only Account %d", i);
        ucrm_record_set_string(recs[i], "name", name);
        ucrm_record_set_string(recs[i], "industry", PICK(INDUSTRY, i + 2));
    }
    sc->sf_accounts = scene_create(d, SF, ACCOUNTS, recs, na);
    sc->n_sf_accounts = na;
    /* Salesforce contacts: a tenth as many, the first third being HubSpot people (same email) */
    int nsf = np / 10 > 3 ? np / 10 : 3;
    for (int i = 0; i < nsf; i++) {
        recs[i] = new_rec(CONTACTS);
        if (i < nsf / 3) {
            snprintf(domain, sizeof domain, "company%d.example.com", (i * 9) % nc);
            person(recs[i], i * 9, domain);
        } else {
            person(recs[i], np + i, "salesforce-only.example.com");
        }
        ucrm_record_set_string(recs[i], "title", PICK(TITLE, i + 3));
        ucrm_record_set_string(recs[i], "account_id", sc->sf_accounts[i % na]);
    }
    sc->sf_contacts = scene_create(d, SF, CONTACTS, recs, nsf);
    sc->n_sf_contacts = nsf;
    free(recs);
    demo_done("1. The scene: HubSpot has %d companies and %d contacts; Salesforce %d accounts and %d contacts,",
              nc, np, na, nsf);
    demo_done("   %d of the accounts and %d of the contacts being the same companies and people", na / 2, nsf / 3);
}

/* Applies the same change to several records through a user's client (one batch update). */
static void user_update(demo_t *d, int side, int obj, char **ids, int n, int first, int count, int stride,
                        const char *field, const char *json_value) {
    ucrm_batch_t *b = NULL;
    CHECK(ucrm_batch_new(&b, OBJECT[obj], UCRM_BATCH_UPDATE), "batch");
    for (int i = first, k = 0; k < count && i < n; i += stride, k++) {
        ucrm_record_t *r = new_rec(obj);
        ucrm_record_set_id(r, ids[i]);
        cJSON *v = cJSON_Parse(json_value); /* a JSON value: a string, or a compound field */
        if (cJSON_IsString(v))
            ucrm_record_set_string(r, field, v->valuestring);
        else
            ucrm_record_set_json(r, field, json_value);
        cJSON_Delete(v);
        CHECK(ucrm_batch_add(b, r), "batch add");
        ucrm_record_destroy(r);
    }
    CHECK_E("user update", ucrm_batch_run(d->side[side].user, b, NULL, &err));
    ucrm_batch_destroy(b);
}

static void user_delete(demo_t *d, int side, int obj, char **ids, int n, int from, int count) {
    ucrm_batch_t *b = NULL;
    CHECK(ucrm_batch_new(&b, OBJECT[obj], UCRM_BATCH_DELETE), "batch");
    for (int i = from; i < from + count && i < n; i++)
        CHECK(ucrm_batch_add_id(b, ids[i]), "batch add");
    CHECK_E("user delete", ucrm_batch_run(d->side[side].user, b, NULL, &err));
    ucrm_batch_destroy(b);
}

/* Step 3: a day of work in both CRMs. */
static void users_change_things(demo_t *d, scene_t *sc) {
    int np = d->contacts, nc = d->companies, nsf = sc->n_sf_contacts, na = sc->n_sf_accounts;
    int k = np / 40 > 2 ? np / 40 : 2;
    /* HubSpot: marketing moves leads along, adds mobile numbers, edits three titles (Salesforce owns titles: they
     * are put back), renames three people, updates websites, adds and removes contacts */
    user_update(d, HS, CONTACTS, sc->hs_contacts, np, 1, k, 7, "lifecycle_stage", "\"customer\"");
    user_update(d, HS, CONTACTS, sc->hs_contacts, np, 2, k / 2, 11, "phone_numbers",
                "[{\"number\":\"+1 617 555 0000\",\"type\":\"work\"},{\"number\":\"+1 857 555 0101\","
                "\"type\":\"mobile\"}]");
    user_update(d, HS, CONTACTS, sc->hs_contacts, np, 3, 3, 13, "title", "\"Chief Everything Officer\"");
    user_update(d, HS, CONTACTS, sc->hs_contacts, np, 0, 3, 9, "first_name", "\"Renamed-in-HubSpot\"");
    user_update(d, HS, ACCOUNTS, sc->hs_companies, nc, 1, 3, 3, "website", "\"https://new-site.example.com\"");
    ucrm_record_t *recs[8];
    int nnew = 5;
    for (int i = 0; i < nnew; i++) {
        recs[i] = new_rec(CONTACTS);
        person(recs[i], 5 * np + i, "new-in-hubspot.example.com");
        ucrm_record_set_string(recs[i], "lifecycle_stage", "lead");
    }
    free_ids(scene_create(d, HS, CONTACTS, recs, nnew));
    user_delete(d, HS, CONTACTS, sc->hs_contacts, np, np - 3, 3);

    /* Salesforce, a moment later: sales updates titles, moves two contacts to another account, re-classifies two
     * accounts, renames the same three people (contacts 0, 1, 2 are HubSpot's 0, 9 and 18: the later change
     * wins), adds and removes contacts */
    user_update(d, SF, CONTACTS, sc->sf_contacts, nsf, 0, k / 2, 1, "title", "\"Head of Procurement\"");
    char acct[64];
    snprintf(acct, sizeof acct, "\"%s\"", sc->sf_accounts[na - 1]);
    user_update(d, SF, CONTACTS, sc->sf_contacts, nsf, 1, 2, 2, "account_id", acct);
    user_update(d, SF, ACCOUNTS, sc->sf_accounts, na, 0, 2, 1, "industry", "\"Aerospace\"");
    user_update(d, SF, CONTACTS, sc->sf_contacts, nsf, 0, 3, 1, "first_name", "\"Renamed-in-Salesforce\"");
    for (int i = 0; i < nnew; i++) {
        recs[i] = new_rec(CONTACTS);
        person(recs[i], 6 * np + i, "new-in-salesforce.example.com");
        ucrm_record_set_string(recs[i], "account_id", sc->sf_accounts[0]);
    }
    free_ids(scene_create(d, SF, CONTACTS, recs, nnew));
    user_delete(d, SF, CONTACTS, sc->sf_contacts, nsf, nsf - 2, 2);
    demo_done("3. Meanwhile the users changed things on both sides: owned fields, titles edited in HubSpot (which");
    demo_done("   Salesforce owns), the same three names on both sides, new and deleted contacts, websites, industries");
}

/* ================================================================================ connecting, statistics */

/* One fake serves both CRMs. HubSpot: a private-app token. Salesforce: the OAuth refresh-token flow, so the
 * token layer fetches (and would refresh) the access token. Budgets: HubSpot 190 requests per rolling 10 s,
 * Salesforce a daily allocation; a scene client gets its own rate-limit key so its calls are not ours. */
static ucrm_client_t *connect_side(const char *url, int side, bool scene, const char *sf_daily) {
    ucrm_conf_t *conf = ucrm_conf_new();
    const char *hs[] = {"provider", "hubspot", "api.url", url, "auth.access.token", "pat-test",
                        "ratelimit.requests", "190", "ratelimit.interval.ms", "10000", NULL};
    const char *sf[] = {"provider", "salesforce", "auth.token.url", url, "auth.refresh.token", "test-refresh",
                        "auth.client.id", "test-client", "auth.client.secret", "test-secret", "ratelimit.daily",
                        sf_daily, "mapping.contact.lifecycle_stage", "Lifecycle_Stage__c", NULL};
    for (const char **kv = side == HS ? hs : sf; *kv; kv += 2)
        CHECK_E(kv[0], ucrm_conf_set(conf, kv[0], kv[1], &err));
    if (scene)
        CHECK_E("ratelimit.key", ucrm_conf_set(conf, "ratelimit.key", side == HS ? "scene-hs" : "scene-sf", &err));
    ucrm_client_t *c = NULL;
    CHECK_E("client", ucrm_client_new(&c, conf, &err));
    ucrm_conf_destroy(conf);
    return c;
}

/* The numbers an operator wants after a run, from our counters and from each client's statistics
 * (ucrm_client_stats_json(): JSON text, read here with cJSON as any application would). */
static void summary(demo_t *d, long drift, double secs, const char *sf_daily) {
    char *js[2];
    for (int s = 0; s < 2; s++)
        CHECK_E("stats", ucrm_client_stats_json(d->side[s].c, &js[s], &err));
    char a[32], b[32], c[32];
    printf("\nSummary (%.1f s)\n", secs);
    printf("  records synced                       created   updated   deleted\n");
    for (int to = 1; to >= 0; to--) {
        const side_t *s = &d->side[to];
        printf("    %-10s -> %-10s          %9s %9s %9ld\n", SIDE[1 - to], SIDE[to], demo_thousands(s->created, a),
               demo_thousands(s->written - s->created, b), s->deleted);
    }
    printf("  echoes recognised, not sent back     %s from HubSpot, %s from Salesforce\n",
           demo_thousands(d->side[HS].echoes, a), demo_thousands(d->side[SF].echoes, b));
    printf("  field changes put back (ownership)   %ld; conflicts resolved (newest wins): %ld\n", d->reverted,
           d->conflicts);
    printf("\n                                       %-26s %s\n", "HubSpot", "Salesforce");
    char hs_calls[64], sf_calls[64];
    snprintf(hs_calls, sizeof hs_calls, "%.0f (budget 190 per 10 s)", demo_json_num(js[HS], "http.attempts", 0));
    snprintf(sf_calls, sizeof sf_calls, "%.0f of %s per day", demo_json_num(js[SF], "http.attempts", 0),
             demo_thousands(atoll(sf_daily), c));
    printf("  API requests                         %-26s %s\n", hs_calls, sf_calls);
    printf("  batches written                      %-26ld %ld\n", d->side[HS].batches, d->side[SF].batches);
    printf("  429s received                        %-26.0f %.0f\n", demo_json_num(js[HS], "http.rate_limited_429", 0),
           demo_json_num(js[SF], "http.rate_limited_429", 0));
    printf("  retries                              %-26.0f %.0f\n", demo_json_num(js[HS], "http.retries", 0),
           demo_json_num(js[SF], "http.retries", 0));
    printf("  token refreshes                      %-26s %.0f (refresh-token flow)\n", "0 (private-app token)",
           demo_json_num(js[SF], "token_refreshes", 0));
    for (int s = 0; s < 2; s++)
        snprintf(s ? b : a, 32, "%.1f s", demo_json_num(js[s], "limiter_wait_ms", 0) / 1000);
    printf("  rate-limiter wait (all calls)        %-26s %s\n", a, b);
    for (int s = 0; s < 2; s++)
        snprintf(s ? b : a, 32, "%.1f / %.1f / %.1f", demo_json_num(js[s], "http.latency.p50_ms", 0),
                 demo_json_num(js[s], "http.latency.p95_ms", 0), demo_json_num(js[s], "http.latency.p99_ms", 0));
    printf("  latency p50 / p95 / p99 (ms)         %-26s %s\n", a, b);
    printf("  write failures                       %-26ld %ld\n", d->side[HS].failed, d->side[SF].failed);
    if (demo_json_num(js[HS], "limiter_wait_ms", 0) >= 500)
        printf("  (HubSpot's wait is its limiter pacing the search API, 5 requests per second, and the 190 per 10 s\n"
               "   window: the calls waited their turn instead of being refused)\n");
    printf("  drift after the sync                 %ld\n", drift);
    for (int s = 0; s < 2; s++)
        ucrm_free(js[s]);
}

/* ================================================================================ main */

/* Options: 0 when fine, 2 (the exit status) after a usage message. */
static int parse_args(int argc, char **argv, demo_t *d, const char **url, const char **sf_daily, int *plain) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
            *url = argv[++i];
        else if (strcmp(argv[i], "--contacts") == 0 && i + 1 < argc)
            d->contacts = atoi(argv[++i]);
        else if (strcmp(argv[i], "--companies") == 0 && i + 1 < argc)
            d->companies = atoi(argv[++i]);
        else if (strcmp(argv[i], "--salesforce-daily") == 0 && i + 1 < argc)
            *sf_daily = argv[++i];
        else if (strcmp(argv[i], "--plain") == 0)
            *plain = 1;
        else {
            fprintf(stderr, "usage: %s --url http://127.0.0.1:PORT [--contacts N] [--companies N] "
                            "[--salesforce-daily N] [--plain]\n", argv[0]);
            return 2;
        }
    }
    if (!*url || d->contacts < 30 || d->contacts > 20000 || d->companies < 0 || d->companies > d->contacts) {
        fprintf(stderr, "%s: --url is required; --contacts must be 30..20000, --companies at most that\n", argv[0]);
        return 2;
    }
    if (d->companies == 0)
        d->companies = d->contacts / 10;
    return 0;
}

static void cleanup(demo_t *d, scene_t *sc) {
    for (int s = 0; s < 2; s++) {
        ucrm_client_destroy(d->side[s].c);
        ucrm_client_destroy(d->side[s].user);
        ucrm_policy_destroy(d->side[s].policy);
    }
    for (int obj = 0; obj < 2; obj++) {
        store_t *st = &d->store[obj];
        for (size_t i = 0; i < st->n; i++) {
            link_t *l = &st->v[i];
            free(l->key);
            ucrm_record_destroy(l->golden);
            ucrm_record_destroy(l->before);
            for (int s = 0; s < 2; s++) {
                free(l->id[s]);
                free(l->changed[s]);
                ucrm_record_destroy(l->seen[s]);
            }
        }
        free(st->v);
        demo_index_free(&st->by_key);
        for (int s = 0; s < 2; s++) {
            demo_index_free(&st->by_id[s]);
            free(st->checkpoint[s]);
        }
    }
    free_ids(sc->hs_companies);
    free_ids(sc->hs_contacts);
    free_ids(sc->sf_accounts);
    free_ids(sc->sf_contacts);
}

int main(int argc, char **argv) {
    const char *url = NULL, *sf_daily = "15000";
    demo_t d;
    scene_t sc;
    memset(&d, 0, sizeof d);
    memset(&sc, 0, sizeof sc);
    d.contacts = 2000;
    int plain = 0, usage = parse_args(argc, argv, &d, &url, &sf_daily, &plain);
    if (usage)
        return usage;
    demo_progress_init(plain);
    int64_t t0 = demo_now_ms();
    printf("unicrm sync demo: HubSpot <-> Salesforce on the local fake at %s\n\n", url);

    for (int s = 0; s < 2; s++) {
        d.side[s].c = connect_side(url, s, false, sf_daily);
        d.side[s].user = connect_side(url, s, true, sf_daily);
    }
    build_policies(&d);
    set_scene(&d, &sc);

    printf("\n2. First sync: full pull of both CRMs against our empty store, then batches both ways\n");
    for (int obj = ACCOUNTS; obj <= CONTACTS; obj++)
        sync_object(&d, obj, true, "first sync");

    printf("\n");
    users_change_things(&d, &sc);

    printf("\n4. Incremental sync: each CRM's changes since its checkpoint, merged by field ownership\n");
    for (int obj = ACCOUNTS; obj <= CONTACTS; obj++)
        sync_object(&d, obj, false, "incremental");
    demo_done("  ownership: %ld change(s) to fields the other CRM owns were put back; %ld conflict(s) resolved",
              d.reverted, d.conflicts);

    printf("\n5. Truth pass: a full reconciliation of both CRMs against our store\n");
    long drift = 0;
    for (int obj = ACCOUNTS; obj <= CONTACTS; obj++)
        for (int s = 0; s < 2; s++) {
            long echoes = d.side[s].echoes;
            drift += pull(&d, obj, s, true, "truth pass");
            d.side[s].echoes = echoes; /* a full pass is not about echoes */
        }
    demo_done("  %s", drift ? "DRIFT FOUND: the sync is incomplete" : "no drift: both CRMs agree with our store");

    summary(&d, drift, (double)(demo_now_ms() - t0) / 1000.0, sf_daily);
    int failed = drift != 0 || d.side[HS].failed || d.side[SF].failed;
    printf("\nresult: %s\n", failed ? "FAILED" : "ok");
    cleanup(&d, &sc);
    return failed;
}
