/*
 * hs_props.c -- HubSpot object types, property definitions (PROTOCOL B5 + --hubspot-custom-properties),
 * property validation and the SimplePublicObject rendering, deal-stage derived values, association types.
 *
 * Deal stages of the default pipeline and their probabilities (HubSpot's defaults: appointmentscheduled 20 %,
 * qualifiedtobuy 40 %, presentationscheduled 60 %, decisionmakerboughtin 80 %, contractsent 90 %, closedwon
 * 100 % won, closedlost 0 % closed) drive hs_is_closed, hs_is_closed_won and hs_deal_stage_probability.
 */
#include "fake.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const fk_hs_prop_t contact_props[] = {
    {"firstname", 's', 0, 0},     {"lastname", 's', 0, 0},     {"email", 's', 0, 1},
    {"hs_additional_emails", 's', 0, 0}, {"phone", 's', 0, 0}, {"mobilephone", 's', 0, 0},
    {"fax", 's', 0, 0},           {"company", 's', 0, 0},      {"jobtitle", 's', 0, 0},
    {"website", 's', 0, 0},       {"address", 's', 0, 0},      {"city", 's', 0, 0},
    {"state", 's', 0, 0},         {"zip", 's', 0, 0},          {"country", 's', 0, 0},
    {"lifecyclestage", 'e', 0, 0}, {"hs_lead_status", 'e', 0, 0}, {"hubspot_owner_id", 'e', 0, 0},
    {"createdate", 't', 0, 0},    {"lastmodifieddate", 't', 1, 0}, {"hs_object_id", 'n', 1, 0},
};
static const fk_hs_prop_t company_props[] = {
    {"name", 's', 0, 0},          {"domain", 's', 0, 0},        {"industry", 'e', 0, 0},
    {"numberofemployees", 'n', 0, 0}, {"annualrevenue", 'n', 0, 0}, {"phone", 's', 0, 0},
    {"address", 's', 0, 0},       {"city", 's', 0, 0},          {"state", 's', 0, 0},
    {"zip", 's', 0, 0},           {"country", 's', 0, 0},       {"website", 's', 0, 0},
    {"description", 's', 0, 0},   {"lifecyclestage", 'e', 0, 0}, {"hubspot_owner_id", 'e', 0, 0},
    {"createdate", 't', 0, 0},    {"hs_lastmodifieddate", 't', 1, 0}, {"hs_object_id", 'n', 1, 0},
};
static const fk_hs_prop_t deal_props[] = {
    {"dealname", 's', 0, 0},      {"amount", 'n', 0, 0},        {"dealstage", 'e', 0, 0},
    {"pipeline", 'e', 0, 0},      {"closedate", 't', 0, 0},     {"hubspot_owner_id", 'e', 0, 0},
    {"dealtype", 'e', 0, 0},      {"description", 's', 0, 0},   {"createdate", 't', 0, 0},
    {"hs_lastmodifieddate", 't', 1, 0}, {"hs_object_id", 'n', 1, 0}, {"hs_is_closed", 'b', 1, 0},
    {"hs_is_closed_won", 'b', 1, 0}, {"hs_deal_stage_probability", 'n', 1, 0},
};

static fk_hs_prop_t *g_props[FK_HS_NOBJ];
static int g_nprops[FK_HS_NOBJ];

static const char *const def_contacts[] = {"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate",
                                           "lastname", NULL};
static const char *const def_companies[] = {"createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name",
                                            NULL};
static const char *const def_deals[] = {"amount", "closedate", "createdate", "dealname", "dealstage",
                                        "hs_lastmodifieddate", "hs_object_id", "pipeline", NULL};

static const struct {
    const char *id;
    double prob;
    int closed, won;
} stages[] = {
    {"appointmentscheduled", 0.2, 0, 0}, {"qualifiedtobuy", 0.4, 0, 0}, {"presentationscheduled", 0.6, 0, 0},
    {"decisionmakerboughtin", 0.8, 0, 0}, {"contractsent", 0.9, 0, 0}, {"closedwon", 1.0, 1, 1},
    {"closedlost", 0.0, 1, 0},
};
static const char *const lifecycle[] = {"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
                                        "opportunity", "customer", "evangelist", "other", NULL};

static void props_init(void)
{
    if (g_props[0])
        return;
    const fk_hs_prop_t *base[] = {contact_props, company_props, deal_props};
    const int nb[] = {(int)(sizeof contact_props / sizeof *contact_props),
                      (int)(sizeof company_props / sizeof *company_props), (int)(sizeof deal_props / sizeof *deal_props)};
    for (int o = 0; o < FK_HS_NOBJ; o++) {
        g_props[o] = fk_xmalloc((size_t)(nb[o] + 64) * sizeof(fk_hs_prop_t));
        memcpy(g_props[o], base[o], (size_t)nb[o] * sizeof(fk_hs_prop_t));
        g_nprops[o] = nb[o];
    }
    for (int i = 0; i < G.o.ncustom_hs; i++) {
        const fk_custom_t *c = &G.o.custom_hs[i];
        int o = fk_hs_obj_from_name(c->obj);
        if (o < 0)
            continue;
        fk_hs_prop_t *p = &g_props[o][g_nprops[o]++];
        p->name = c->name;
        p->type = strcmp(c->type, "number") == 0     ? 'n'
                  : strcmp(c->type, "datetime") == 0 ? 't'
                  : strcmp(c->type, "date") == 0     ? 'd'
                  : strcmp(c->type, "bool") == 0     ? 'b'
                                                     : 's';
        p->readonly = 0;
        p->unique = c->unique;
        p->custom = 1;
    }
}

int fk_hs_nprops(int obj)
{
    props_init();
    return g_nprops[obj];
}

const fk_hs_prop_t *fk_hs_prop_at(int obj, int i)
{
    props_init();
    return &g_props[obj][i];
}

const fk_hs_prop_t *fk_hs_prop(int obj, const char *name)
{
    props_init();
    for (int i = 0; i < g_nprops[obj]; i++)
        if (strcmp(g_props[obj][i].name, name) == 0)
            return &g_props[obj][i];
    return NULL;
}

int fk_hs_obj_from_name(const char *n)
{
    if (!n)
        return -1;
    if (fk_strcaseeq(n, "contacts") || fk_strcaseeq(n, "contact") || strcmp(n, "0-1") == 0)
        return FK_HS_CONTACTS;
    if (fk_strcaseeq(n, "companies") || fk_strcaseeq(n, "company") || strcmp(n, "0-2") == 0)
        return FK_HS_COMPANIES;
    if (fk_strcaseeq(n, "deals") || fk_strcaseeq(n, "deal") || strcmp(n, "0-3") == 0)
        return FK_HS_DEALS;
    return -1;
}

const char *fk_hs_obj_name(int obj)
{
    static const char *n[] = {"contacts", "companies", "deals"};
    return n[obj];
}

const char *fk_hs_obj_singular(int obj)
{
    static const char *n[] = {"contact", "company", "deal"};
    return n[obj];
}

const char *fk_hs_obj_typeid(int obj)
{
    static const char *n[] = {"0-1", "0-2", "0-3"};
    return n[obj];
}

const char *fk_hs_modified_prop(int obj)
{
    return obj == FK_HS_CONTACTS ? "lastmodifieddate" : "hs_lastmodifieddate";
}

const char *const *fk_hs_default_props(int obj)
{
    return obj == FK_HS_CONTACTS ? def_contacts : obj == FK_HS_COMPANIES ? def_companies : def_deals;
}

/* ------------------------------------------------------------------------------------------------ derived */
static void set_prop(fk_rec_t *r, const char *name, const char *val)
{
    cJSON *old = cJSON_GetObjectItemCaseSensitive(r->f, name);
    if (old)
        cJSON_ReplaceItemInObjectCaseSensitive(r->f, name, cJSON_CreateString(val));
    else
        cJSON_AddStringToObject(r->f, name, val);
}

void fk_hs_derive(fk_rec_t *r)
{
    if (r->obj != FK_HS_DEALS)
        return;
    if (!fk_json_str(r->f, "pipeline") || !*fk_json_str(r->f, "pipeline"))
        set_prop(r, "pipeline", "default");
    const char *st = fk_json_str(r->f, "dealstage");
    for (size_t i = 0; st && i < sizeof stages / sizeof *stages; i++) {
        if (strcmp(st, stages[i].id) == 0) {
            char p[16];
            snprintf(p, sizeof p, "%.1f", stages[i].prob);
            set_prop(r, "hs_deal_stage_probability", p);
            set_prop(r, "hs_is_closed", stages[i].closed ? "true" : "false");
            set_prop(r, "hs_is_closed_won", stages[i].won ? "true" : "false");
            return;
        }
    }
    set_prop(r, "hs_is_closed", "false");
    set_prop(r, "hs_is_closed_won", "false");
}

void fk_hs_touch(fk_rec_t *r)
{
    char ts[32];
    int64_t now = fk_now_ms();
    if (now <= r->modified_ms)
        now = r->modified_ms + 1; /* keep lastmodifieddate strictly increasing per record */
    r->modified_ms = now;
    fk_fmt_hs_datetime(now, ts);
    set_prop(r, fk_hs_modified_prop(r->obj), ts);
}

/* ------------------------------------------------------------------------------------------------ validation */
static char *value_string(const cJSON *v)
{
    char tmp[64];
    if (cJSON_IsString(v))
        return fk_xstrdup(v->valuestring);
    if (cJSON_IsBool(v))
        return fk_xstrdup(cJSON_IsTrue(v) ? "true" : "false");
    if (cJSON_IsNull(v))
        return fk_xstrdup("");
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == (double)(long long)d && d < 9e15 && d > -9e15)
            snprintf(tmp, sizeof tmp, "%lld", (long long)d);
        else
            snprintf(tmp, sizeof tmp, "%.17g", d);
        return fk_xstrdup(tmp);
    }
    return NULL;
}

static int valid_email(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.')
        return 0;
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p))
            return 0;
    return s[strlen(s) - 1] != '.';
}

static int valid_number(const char *s)
{
    if (!*s)
        return 1;
    char *end;
    strtod(s, &end);
    return *end == '\0';
}

static void add_problem(cJSON *arr, const char *name, const char *error, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "isValid", 0);
    cJSON_AddStringToObject(o, "message", message);
    cJSON_AddStringToObject(o, "error", error);
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "localizedErrorMessage", message);
    cJSON_AddNumberToObject(o, "portalId", 12345678);
    cJSON_AddItemToArray(arr, o);
}

static void check_enum(int obj, const fk_hs_prop_t *p, const char *val, cJSON *probs)
{
    const char *const *opts = NULL;
    const char *stage_opts[8];
    if (obj == FK_HS_DEALS && strcmp(p->name, "dealstage") == 0) {
        for (size_t i = 0; i < 7; i++)
            stage_opts[i] = stages[i].id;
        stage_opts[7] = NULL;
        opts = stage_opts;
    } else if (obj == FK_HS_DEALS && strcmp(p->name, "pipeline") == 0) {
        static const char *const pipes[] = {"default", NULL};
        opts = pipes;
    } else if (strcmp(p->name, "lifecyclestage") == 0) {
        opts = lifecycle;
    }
    if (!opts || !*val)
        return;
    fk_buf_t b = {0};
    for (int i = 0; opts[i]; i++) {
        if (strcmp(opts[i], val) == 0) {
            free(b.s);
            return;
        }
        fk_buf_printf(&b, "%s%s", i ? ", " : "", opts[i]);
    }
    char msg[512];
    snprintf(msg, sizeof msg, "%s was not one of the allowed options: [%s]", val, b.s);
    free(b.s);
    add_problem(probs, p->name, "INVALID_OPTION", msg);
}

static void check_one(int obj, const char *name, const cJSON *v, cJSON *probs)
{
    char msg[512];
    const fk_hs_prop_t *p = fk_hs_prop(obj, name);
    if (!p) {
        snprintf(msg, sizeof msg, "Property \"%s\" does not exist", name);
        add_problem(probs, name, "PROPERTY_DOESNT_EXIST", msg);
        return;
    }
    if (p->readonly) {
        snprintf(msg, sizeof msg, "\"%s\" is a read only property; its value cannot be set.", name);
        add_problem(probs, name, "READ_ONLY_VALUE", msg);
        return;
    }
    char *val = value_string(v);
    if (!val) {
        snprintf(msg, sizeof msg, "%s is not a valid value for property %s.", cJSON_IsArray(v) ? "array" : "object",
                 name);
        add_problem(probs, name, "INVALID_PROPERTY_VALUE", msg);
        return;
    }
    int64_t ms;
    if (strcmp(name, "email") == 0 && *val && !valid_email(val)) {
        snprintf(msg, sizeof msg, "Email address %.400s is invalid", val);
        add_problem(probs, name, "INVALID_EMAIL", msg);
    } else if (p->type == 'n' && !valid_number(val)) {
        snprintf(msg, sizeof msg, "%.400s was not a valid number.", val);
        add_problem(probs, name, "INVALID_DECIMAL", msg);
    } else if ((p->type == 't' || p->type == 'd') && *val && fk_parse_time_value(val, &ms) != 0) {
        snprintf(msg, sizeof msg, "%.400s was not a valid long or ISO 8601 date-time.", val);
        add_problem(probs, name, "INVALID_DATE", msg);
    } else if (p->type == 'd' && *val && ms % 86400000 != 0) {
        snprintf(msg, sizeof msg, "%.400s is not at midnight UTC.", val);
        add_problem(probs, name, "INVALID_DATE", msg);
    } else if (p->type == 'b' && *val && strcmp(val, "true") != 0 && strcmp(val, "false") != 0) {
        snprintf(msg, sizeof msg, "%.400s was not a valid boolean.", val);
        add_problem(probs, name, "INVALID_BOOLEAN", msg);
    } else if (p->type == 'e') {
        check_enum(obj, p, val, probs);
    }
    free(val);
}

int fk_hs_check_props(int obj, const cJSON *props, char **msg, int *status, const char **category)
{
    if (!cJSON_IsObject(props)) {
        *msg = fk_xstrdup("Invalid input JSON on line 1, column 1: properties must be an object");
        *status = 400;
        *category = "VALIDATION_ERROR";
        return -1;
    }
    cJSON *probs = cJSON_CreateArray();
    const cJSON *v;
    cJSON_ArrayForEach(v, props) check_one(obj, v->string, v, probs);
    if (cJSON_GetArraySize(probs) == 0) {
        cJSON_Delete(probs);
        return 0;
    }
    char *list = fk_json_print(probs);
    cJSON_Delete(probs);
    fk_buf_t b = {0};
    fk_buf_printf(&b, "Property values were not valid: %s", list);
    free(list);
    *msg = fk_buf_take(&b);
    *status = 400;
    *category = "VALIDATION_ERROR";
    return -1;
}

fk_rec_t *fk_hs_email_conflict(int obj, const cJSON *props, const fk_rec_t *self)
{
    if (obj != FK_HS_CONTACTS)
        return NULL;
    const char *email = fk_json_str(props, "email");
    if (!email || !*email)
        return NULL;
    char *k = fk_xstrdup(email);
    fk_lower(k);
    fk_rec_t *r = fk_map_get(&G.hs_email, k);
    free(k);
    return r == self ? NULL : r;
}

void fk_hs_apply_props(fk_rec_t *r, const cJSON *props)
{
    const char *old_email = r->obj == FK_HS_CONTACTS ? fk_json_str(r->f, "email") : NULL;
    if (old_email && cJSON_GetObjectItemCaseSensitive(props, "email")) {
        char *k = fk_xstrdup(old_email);
        fk_lower(k);
        if (fk_map_get(&G.hs_email, k) == r)
            fk_map_del(&G.hs_email, k);
        free(k);
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, props)
    {
        char *val = value_string(v);
        const fk_hs_prop_t *p = fk_hs_prop(r->obj, v->string);
        int64_t ms;
        if (val && p && (p->type == 't' || p->type == 'd') && *val && fk_parse_time_value(val, &ms) == 0) {
            char iso[32];
            fk_fmt_hs_datetime(ms, iso);
            if (p->type == 'd')
                iso[10] = '\0';
            free(val);
            val = fk_xstrdup(iso);
            if (strcmp(v->string, "createdate") == 0)
                r->created_ms = ms;
        }
        if (!val)
            continue;
        cJSON *old = cJSON_GetObjectItemCaseSensitive(r->f, v->string);
        if (old)
            cJSON_DeleteItemFromObjectCaseSensitive(r->f, v->string);
        if (*val)
            cJSON_AddStringToObject(r->f, v->string, val);
        free(val);
    }
    if (r->obj == FK_HS_CONTACTS && !r->deleted) {
        const char *email = fk_json_str(r->f, "email");
        if (email && *email) {
            char *k = fk_xstrdup(email);
            fk_lower(k);
            fk_map_put(&G.hs_email, k, r);
            free(k);
        }
    }
    fk_hs_derive(r);
}

/* ------------------------------------------------------------------------------------------------ rendering */
cJSON *fk_hs_render(const fk_rec_t *r, const char *const *props, int nprops, int with_null)
{
    char ts[32];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", r->id);
    cJSON *p = cJSON_AddObjectToObject(o, "properties");
    int explicit_list = props != NULL;
    if (!props) {
        props = fk_hs_default_props(r->obj);
        nprops = 0;
        while (props[nprops])
            nprops++;
    }
    for (int i = 0; i < nprops; i++) {
        if (!fk_hs_prop(r->obj, props[i]) || cJSON_GetObjectItemCaseSensitive(p, props[i]))
            continue; /* HubSpot ignores unknown names in read requests */
        const char *v = fk_json_str(r->f, props[i]);
        if (v)
            cJSON_AddStringToObject(p, props[i], v);
        else if (with_null)
            cJSON_AddNullToObject(p, props[i]);
    }
    if (explicit_list) {
        /* HubSpot always adds these three to an explicit property list (and search does the same) */
        const char *always[] = {"createdate", "hs_object_id", fk_hs_modified_prop(r->obj)};
        for (int i = 0; i < 3; i++) {
            const char *v = fk_json_str(r->f, always[i]);
            if (v && !cJSON_GetObjectItemCaseSensitive(p, always[i]))
                cJSON_AddStringToObject(p, always[i], v);
        }
    }
    fk_fmt_hs_datetime(r->created_ms, ts);
    cJSON_AddStringToObject(o, "createdAt", ts);
    fk_fmt_hs_datetime(r->modified_ms, ts);
    cJSON_AddStringToObject(o, "updatedAt", ts);
    cJSON_AddBoolToObject(o, "archived", r->deleted);
    if (r->deleted) {
        fk_fmt_hs_datetime(r->deleted_ms, ts);
        cJSON_AddStringToObject(o, "archivedAt", ts);
    }
    return o;
}

cJSON *fk_hs_render_full(const fk_rec_t *r)
{
    int n = fk_hs_nprops(r->obj);
    const char **names = fk_xmalloc((size_t)n * sizeof *names);
    for (int i = 0; i < n; i++)
        names[i] = fk_hs_prop_at(r->obj, i)->name;
    cJSON *o = fk_hs_render(r, names, n, 0);
    free(names);
    return o;
}

void fk_hs_props_from_list(const char *csv, const char ***out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!csv || !*csv)
        return;
    int cap = 8;
    const char **v = fk_xmalloc((size_t)cap * sizeof *v);
    const char *p = csv;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l) {
            if (*n == cap) {
                cap *= 2;
                v = fk_xrealloc(v, (size_t)cap * sizeof *v);
            }
            v[(*n)++] = fk_xstrndup(p, l);
        }
        p += l + (e ? 1 : 0);
    }
    *out = v;
}

void fk_hs_props_from_array(const cJSON *arr, const char ***out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!cJSON_IsArray(arr))
        return;
    const char **v = fk_xmalloc((size_t)(cJSON_GetArraySize(arr) + 1) * sizeof *v);
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) if (cJSON_IsString(e)) v[(*n)++] = fk_xstrdup(e->valuestring);
    *out = v;
}

/* ------------------------------------------------------------------------------------------------ associations */
/* Labels of the primary types since 2024-02-19: "<ObjectType> with Primary Company" (HubSpot developer changelog
 * "Changes to primary labels for HubSpot-defined association labels"; integrations should use the type ids). */
static const struct {
    int type, from, to, pair;
    const char *name, *label;
} atypes[] = {
    {1, FK_HS_CONTACTS, FK_HS_COMPANIES, 2, "contact_to_company", "Contact with Primary Company"},
    {279, FK_HS_CONTACTS, FK_HS_COMPANIES, 280, "contact_to_company_unlabeled", NULL},
    {2, FK_HS_COMPANIES, FK_HS_CONTACTS, 1, "company_to_contact", "Contact with Primary Company"},
    {280, FK_HS_COMPANIES, FK_HS_CONTACTS, 279, "company_to_contact_unlabeled", NULL},
    {5, FK_HS_DEALS, FK_HS_COMPANIES, 6, "deal_to_company", "Deal with Primary Company"},
    {341, FK_HS_DEALS, FK_HS_COMPANIES, 342, "deal_to_company_unlabeled", NULL},
    {6, FK_HS_COMPANIES, FK_HS_DEALS, 5, "company_to_deal", "Deal with Primary Company"},
    {342, FK_HS_COMPANIES, FK_HS_DEALS, 341, "company_to_deal_unlabeled", NULL},
    {4, FK_HS_CONTACTS, FK_HS_DEALS, 3, "contact_to_deal", NULL},
    {3, FK_HS_DEALS, FK_HS_CONTACTS, 4, "deal_to_contact", NULL},
    {449, FK_HS_CONTACTS, FK_HS_CONTACTS, 449, "contact_to_contact", NULL},
    {450, FK_HS_COMPANIES, FK_HS_COMPANIES, 450, "company_to_company", NULL},
    {451, FK_HS_DEALS, FK_HS_DEALS, 451, "deal_to_deal", NULL},
};
#define NATYPES (sizeof atypes / sizeof *atypes)

static int atype_index(int type)
{
    for (size_t i = 0; i < NATYPES; i++)
        if (atypes[i].type == type)
            return (int)i;
    return -1;
}

int fk_hs_assoc_pair(int type_id)
{
    int i = atype_index(type_id);
    return i < 0 ? type_id : atypes[i].pair;
}

const char *fk_hs_assoc_name(int type_id)
{
    int i = atype_index(type_id);
    return i < 0 ? NULL : atypes[i].name;
}

const char *fk_hs_assoc_label(int type_id)
{
    int i = atype_index(type_id);
    return i < 0 ? NULL : atypes[i].label;
}

int fk_hs_default_type(int from_obj, int to_obj)
{
    for (size_t i = 0; i < NATYPES; i++)
        if (atypes[i].from == from_obj && atypes[i].to == to_obj && !atypes[i].label)
            return atypes[i].type;
    return -1;
}

int fk_hs_assoc_allowed(int from_obj, int to_obj, int type_id, int user_defined)
{
    if (user_defined)
        return type_id > 0;
    int i = atype_index(type_id);
    return i >= 0 && atypes[i].from == from_obj && atypes[i].to == to_obj;
}

static int add_edge(fk_rec_t *from, const fk_rec_t *to, int type, int user)
{
    for (int i = 0; i < from->nassoc; i++)
        if (from->assoc[i].to_obj == to->obj && from->assoc[i].to_id == to->seq && from->assoc[i].type_id == type &&
            from->assoc[i].user_defined == user)
            return 0;
    if (from->nassoc == from->capassoc) {
        from->capassoc = from->capassoc ? from->capassoc * 2 : 4;
        from->assoc = fk_xrealloc(from->assoc, (size_t)from->capassoc * sizeof *from->assoc);
    }
    from->assoc[from->nassoc++] = (fk_assoc_t){to->obj, to->seq, type, user};
    return 1;
}

static void drop_type(fk_rec_t *r, int type)
{
    int w = 0;
    for (int i = 0; i < r->nassoc; i++) {
        if (r->assoc[i].type_id == type && !r->assoc[i].user_defined) {
            char id[24];
            snprintf(id, sizeof id, "%llu", (unsigned long long)r->assoc[i].to_id);
            fk_rec_t *o = fk_table_get(&G.hs[r->assoc[i].to_obj], id);
            int pair = fk_hs_assoc_pair(type);
            for (int j = 0; o && j < o->nassoc; j++)
                if (o->assoc[j].to_id == r->seq && o->assoc[j].type_id == pair && !o->assoc[j].user_defined) {
                    o->assoc[j] = o->assoc[--o->nassoc];
                    break;
                }
            continue;
        }
        r->assoc[w++] = r->assoc[i];
    }
    r->nassoc = w;
}

/* contact -> company 1, deal -> company 5 (PROTOCOL B6); 0 for objects without a primary company */
static int primary_type(int obj)
{
    return obj == FK_HS_CONTACTS ? 1 : obj == FK_HS_DEALS ? 5 : 0;
}

static int has_primary(const fk_rec_t *r, int ptype)
{
    for (int i = 0; i < r->nassoc; i++) {
        if (r->assoc[i].type_id != ptype || r->assoc[i].user_defined)
            continue;
        char id[24];
        snprintf(id, sizeof id, "%llu", (unsigned long long)r->assoc[i].to_id);
        const fk_rec_t *c = fk_table_get(&G.hs[FK_HS_COMPANIES], id);
        if (c && !c->deleted)
            return 1;
    }
    return 0;
}

/* Stores an association in both directions. Between a contact or deal and a company, HubSpot keeps one primary
 * company: an explicit primary (1/2, 5/6) replaces the previous one, and the first company associated with a
 * record that has none becomes its primary, whatever type was asked for (HubSpot makes the first associated
 * company primary; hubspot-api-nodejs issue #176 sees every v3 contact_to_company association become primary).
 * A primary association always comes with the unlabelled one (v4 reads list both type ids, PROTOCOL B6). */
int fk_hs_add_assoc(fk_rec_t *from, fk_rec_t *to, int type_id, int user_defined)
{
    fk_rec_t *holder = NULL, *company = NULL;
    if (to->obj == FK_HS_COMPANIES && primary_type(from->obj))
        holder = from, company = to;
    else if (from->obj == FK_HS_COMPANIES && primary_type(to->obj))
        holder = to, company = from;
    if (holder) {
        int ptype = primary_type(holder->obj);
        int explicit_primary = !user_defined && (type_id == ptype || type_id == fk_hs_assoc_pair(ptype));
        if (explicit_primary)
            drop_type(holder, ptype); /* one primary company per contact / deal */
        if (explicit_primary || !has_primary(holder, ptype)) {
            add_edge(holder, company, ptype, 0);
            add_edge(company, holder, fk_hs_assoc_pair(ptype), 0);
            add_edge(holder, company, fk_hs_default_type(holder->obj, FK_HS_COMPANIES), 0);
            add_edge(company, holder, fk_hs_default_type(FK_HS_COMPANIES, holder->obj), 0);
        }
    }
    int added = add_edge(from, to, type_id, user_defined);
    add_edge(to, from, user_defined ? type_id : fk_hs_assoc_pair(type_id), user_defined);
    return added;
}

/* ------------------------------------------------------------------------------------------------ properties API */
static void add_option(cJSON *opts, const char *value, int order)
{
    char label[64];
    snprintf(label, sizeof label, "%s", value);
    label[0] = (char)toupper((unsigned char)label[0]);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "label", label);
    cJSON_AddStringToObject(o, "value", value);
    cJSON_AddNumberToObject(o, "displayOrder", order);
    cJSON_AddBoolToObject(o, "hidden", 0);
    cJSON_AddItemToArray(opts, o);
}

static cJSON *property_json(int obj, const fk_hs_prop_t *p)
{
    static const char *const groups[] = {"contactinformation", "companyinformation", "dealinformation"};
    const char *type = p->type == 'n'   ? "number"
                       : p->type == 't' ? "datetime"
                       : p->type == 'd' ? "date"
                       : p->type == 'e' ? "enumeration"
                       : p->type == 'b' ? "bool"
                                        : "string";
    const char *field = p->type == 'n'   ? "number"
                        : p->type == 't' ? "date"
                        : p->type == 'd' ? "date"
                        : p->type == 'e' ? "select"
                        : p->type == 'b' ? "booleancheckbox"
                                         : "text";
    char label[96];
    snprintf(label, sizeof label, "%s", p->name);
    for (char *c = label; *c; c++)
        if (*c == '_')
            *c = ' ';
    label[0] = (char)toupper((unsigned char)label[0]);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", p->name);
    cJSON_AddStringToObject(o, "label", label);
    cJSON_AddStringToObject(o, "type", type);
    cJSON_AddStringToObject(o, "fieldType", field);
    cJSON_AddStringToObject(o, "description", "");
    cJSON_AddStringToObject(o, "groupName", groups[obj]);
    cJSON *opts = cJSON_AddArrayToObject(o, "options");
    if (obj == FK_HS_DEALS && strcmp(p->name, "dealstage") == 0)
        for (size_t i = 0; i < sizeof stages / sizeof *stages; i++)
            add_option(opts, stages[i].id, (int)i);
    else if (obj == FK_HS_DEALS && strcmp(p->name, "pipeline") == 0)
        add_option(opts, "default", 0);
    else if (strcmp(p->name, "lifecyclestage") == 0)
        for (int i = 0; lifecycle[i]; i++)
            add_option(opts, lifecycle[i], i);
    else if (p->type == 'b') {
        add_option(opts, "true", 0);
        add_option(opts, "false", 1);
    }
    cJSON_AddNumberToObject(o, "displayOrder", -1);
    cJSON_AddBoolToObject(o, "calculated", p->readonly && strcmp(p->name, "hs_object_id") != 0);
    cJSON_AddBoolToObject(o, "externalOptions", 0);
    cJSON_AddBoolToObject(o, "hasUniqueValue", p->unique);
    cJSON_AddBoolToObject(o, "hidden", 0);
    cJSON_AddBoolToObject(o, "hubspotDefined", !p->custom);
    cJSON *m = cJSON_AddObjectToObject(o, "modificationMetadata");
    cJSON_AddBoolToObject(m, "archivable", p->custom);
    cJSON_AddBoolToObject(m, "readOnlyDefinition", !p->custom);
    cJSON_AddBoolToObject(m, "readOnlyValue", p->readonly);
    cJSON_AddBoolToObject(o, "formField", !p->readonly);
    cJSON_AddBoolToObject(o, "archived", 0);
    return o;
}

/* GET /crm/v3/properties/{objectType}[/{propertyName}] -- read-only view of the property definitions */
void fk_hs_properties(fk_req_t *rq, fk_resp_t *rs, int obj, const char *name)
{
    (void)rq;
    if (name) {
        const fk_hs_prop_t *p = fk_hs_prop(obj, name);
        if (!p) {
            char msg[320];
            snprintf(msg, sizeof msg, "Unable to find property %.200s for object type %s", name, fk_hs_obj_name(obj));
            fk_hs_error(rs, 404, "OBJECT_NOT_FOUND", msg, NULL);
            return;
        }
        fk_resp_json(rs, 200, property_json(obj, p));
        return;
    }
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "results");
    for (int i = 0; i < fk_hs_nprops(obj); i++)
        cJSON_AddItemToArray(arr, property_json(obj, fk_hs_prop_at(obj, i)));
    fk_resp_json(rs, 200, o);
}
