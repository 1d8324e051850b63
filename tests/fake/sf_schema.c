/*
 * sf_schema.c -- Salesforce sObjects Contact, Account, Opportunity: fields (PROTOCOL A8 +
 * --salesforce-custom-fields), validation with Salesforce's error codes, derived fields, record rendering.
 *
 * Opportunity stage picklist of a new org and its default probability / forecast category:
 *   Prospecting 10 Pipeline, Qualification 10 Pipeline, Needs Analysis 20 Pipeline, Value Proposition 50 Pipeline,
 *   Id. Decision Makers 60 Pipeline, Perception Analysis 70 Pipeline, Proposal/Price Quote 75 Pipeline,
 *   Negotiation/Review 90 Pipeline, Closed Won 100 Closed (won), Closed Lost 0 Omitted (closed).
 * IsClosed/IsWon/ForecastCategory follow StageName; Probability follows it unless the same write sets it;
 * ExpectedRevenue = Amount * Probability / 100; FiscalYear/FiscalQuarter from CloseDate (calendar fiscal year).
 */
#include "fake.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYS_HEAD {"Id", 'i', 0, 0, 0, 0}, {"IsDeleted", 'b', 0, 0, 0, 0}
#define SYS_TAIL                                                                                                      \
    {"OwnerId", 'r', 1, 1, 0, 0}, {"CreatedDate", 't', 0, 0, 0, 0}, {"CreatedById", 'r', 0, 0, 0, 0},                 \
        {"LastModifiedDate", 't', 0, 0, 0, 0}, {"LastModifiedById", 'r', 0, 0, 0, 0},                                 \
        {"SystemModstamp", 't', 0, 0, 0, 0}, {"LastActivityDate", 'd', 0, 0, 0, 0},                                   \
        {"LastViewedDate", 't', 0, 0, 0, 0}, {                                                                         \
        "LastReferencedDate", 't', 0, 0, 0, 0                                                                          \
    }
#define F(n, t) {n, t, 1, 1, 0, 0}
#define RO(n, t) {n, t, 0, 0, 0, 0}
#define REQ(n, t) {n, t, 1, 1, 1, 0}

static const fk_sf_field_t contact_f[] = {
    SYS_HEAD, RO("MasterRecordId", 'r'), F("AccountId", 'r'), REQ("LastName", 's'), F("FirstName", 's'),
    F("Salutation", 'k'), RO("Name", 's'), F("OtherStreet", 's'), F("OtherCity", 's'), F("OtherState", 's'),
    F("OtherPostalCode", 's'), F("OtherCountry", 's'), F("MailingStreet", 's'), F("MailingCity", 's'),
    F("MailingState", 's'), F("MailingPostalCode", 's'), F("MailingCountry", 's'), F("Phone", 's'), F("Fax", 's'),
    F("MobilePhone", 's'), F("HomePhone", 's'), F("OtherPhone", 's'), F("AssistantPhone", 's'),
    F("ReportsToId", 'r'), F("Email", 's'), F("Title", 's'), F("Department", 's'), F("AssistantName", 's'),
    F("LeadSource", 'k'), F("Birthdate", 'd'), F("Description", 's'), F("HasOptedOutOfEmail", 'b'),
    F("DoNotCall", 'b'), SYS_TAIL,
};
static const fk_sf_field_t account_f[] = {
    SYS_HEAD, RO("MasterRecordId", 'r'), REQ("Name", 's'), F("Type", 'k'), F("ParentId", 'r'),
    F("BillingStreet", 's'), F("BillingCity", 's'), F("BillingState", 's'), F("BillingPostalCode", 's'),
    F("BillingCountry", 's'), F("ShippingStreet", 's'), F("ShippingCity", 's'), F("ShippingState", 's'),
    F("ShippingPostalCode", 's'), F("ShippingCountry", 's'), F("Phone", 's'), F("Fax", 's'),
    F("AccountNumber", 's'), F("Website", 's'), F("Sic", 's'), F("Industry", 'k'), F("AnnualRevenue", 'c'),
    F("NumberOfEmployees", 'g'), F("Rating", 'k'), F("Description", 's'), SYS_TAIL,
};
static const fk_sf_field_t opp_f[] = {
    SYS_HEAD, F("AccountId", 'r'), REQ("Name", 's'), F("Description", 's'), REQ("StageName", 'k'),
    F("Amount", 'c'), F("Probability", 'p'), RO("ExpectedRevenue", 'c'), REQ("CloseDate", 'd'), F("Type", 'k'),
    F("NextStep", 's'), F("LeadSource", 'k'), RO("IsClosed", 'b'), RO("IsWon", 'b'), F("ForecastCategory", 'k'),
    F("ForecastCategoryName", 'k'), F("CampaignId", 'r'), RO("HasOpportunityLineItem", 'b'), F("Pricebook2Id", 'r'),
    F("ContactId", 'r'), RO("FiscalQuarter", 'g'), RO("FiscalYear", 'g'), RO("Fiscal", 's'), SYS_TAIL,
};

static const struct {
    const char *name;
    int prob, closed, won;
    const char *fc, *fcname;
} stages[] = {
    {"Prospecting", 10, 0, 0, "Pipeline", "Pipeline"},
    {"Qualification", 10, 0, 0, "Pipeline", "Pipeline"},
    {"Needs Analysis", 20, 0, 0, "Pipeline", "Pipeline"},
    {"Value Proposition", 50, 0, 0, "Pipeline", "Pipeline"},
    {"Id. Decision Makers", 60, 0, 0, "Pipeline", "Pipeline"},
    {"Perception Analysis", 70, 0, 0, "Pipeline", "Pipeline"},
    {"Proposal/Price Quote", 75, 0, 0, "Pipeline", "Pipeline"},
    {"Negotiation/Review", 90, 0, 0, "Pipeline", "Pipeline"},
    {"Closed Won", 100, 1, 1, "Closed", "Closed"},
    {"Closed Lost", 0, 1, 0, "Omitted", "Omitted"},
};
#define NSTAGES (int)(sizeof stages / sizeof *stages)

static fk_sf_field_t *g_fields[FK_SF_NOBJ];
static int g_nfields[FK_SF_NOBJ];
static char g_user_id[19];

static void fields_init(void)
{
    if (g_fields[0])
        return;
    const fk_sf_field_t *base[] = {contact_f, account_f, opp_f};
    const int nb[] = {(int)(sizeof contact_f / sizeof *contact_f), (int)(sizeof account_f / sizeof *account_f),
                      (int)(sizeof opp_f / sizeof *opp_f)};
    for (int o = 0; o < FK_SF_NOBJ; o++) {
        g_fields[o] = fk_xmalloc((size_t)(nb[o] + 64) * sizeof(fk_sf_field_t));
        memcpy(g_fields[o], base[o], (size_t)nb[o] * sizeof(fk_sf_field_t));
        g_nfields[o] = nb[o];
    }
    for (int i = 0; i < G.o.ncustom_sf; i++) {
        const fk_custom_t *c = &G.o.custom_sf[i];
        int o = fk_sf_obj_from_name(c->obj);
        if (o < 0)
            continue;
        fk_sf_field_t *f = &g_fields[o][g_nfields[o]++];
        f->name = c->name;
        f->type = strcmp(c->type, "double") == 0 || strcmp(c->type, "number") == 0 ? 'n'
                  : strcmp(c->type, "boolean") == 0 || strcmp(c->type, "bool") == 0 ? 'b'
                  : strcmp(c->type, "date") == 0                                     ? 'd'
                  : strcmp(c->type, "datetime") == 0                                 ? 't'
                                                                                     : 's';
        f->createable = f->updateable = 1;
        f->required = 0;
        f->externalid = c->externalid || c->unique;
        f->casesensitive = c->casesensitive;
    }
    fk_sf_make_id("005", 1, g_user_id);
}

int fk_sf_obj_from_name(const char *n)
{
    if (fk_strcaseeq(n, "Contact"))
        return FK_SF_CONTACT;
    if (fk_strcaseeq(n, "Account"))
        return FK_SF_ACCOUNT;
    if (fk_strcaseeq(n, "Opportunity"))
        return FK_SF_OPPORTUNITY;
    return -1;
}

const char *fk_sf_obj_name(int obj)
{
    static const char *n[] = {"Contact", "Account", "Opportunity"};
    return n[obj];
}

const char *fk_sf_obj_prefix(int obj)
{
    static const char *p[] = {"003", "001", "006"};
    return p[obj];
}

int fk_sf_nfields(int obj)
{
    fields_init();
    return g_nfields[obj];
}

const fk_sf_field_t *fk_sf_field_at(int obj, int i)
{
    fields_init();
    return &g_fields[obj][i];
}

const fk_sf_field_t *fk_sf_field(int obj, const char *name)
{
    fields_init();
    for (int i = 0; i < g_nfields[obj]; i++)
        if (fk_strcaseeq(g_fields[obj][i].name, name))
            return &g_fields[obj][i];
    return NULL;
}

int fk_sf_text_eq(const fk_sf_field_t *fd, const char *a, const char *b)
{
    /* SOQL and SOSL Reference, Comparison Operators: case-sensitive for unique case-sensitive fields,
     * case-insensitive for all others */
    return a && b && (fd && fd->casesensitive ? strcmp(a, b) == 0 : fk_utf8_casecmp(a, b) == 0);
}

int fk_sf_version_ok(const char *v, double *ver)
{
    if (!v || v[0] != 'v')
        return -1;
    char *end;
    double d = strtod(v + 1, &end);
    if (end == v + 1 || *end || !strchr(v, '.'))
        return -1;
    *ver = d;
    return 0;
}

/* ------------------------------------------------------------------------------------------------ values */
static void set_field(fk_rec_t *r, const char *name, cJSON *v)
{
    if (cJSON_GetObjectItemCaseSensitive(r->f, name))
        cJSON_ReplaceItemInObjectCaseSensitive(r->f, name, v);
    else
        cJSON_AddItemToObject(r->f, name, v);
}

cJSON *fk_sf_field_value(const fk_rec_t *r, const fk_sf_field_t *fd)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->f, fd->name);
    if (v)
        return cJSON_Duplicate(v, 1);
    if (fd->type == 'b')
        return cJSON_CreateFalse();
    return cJSON_CreateNull();
}

static int stage_index(const char *s)
{
    for (int i = 0; s && i < NSTAGES; i++)
        if (strcmp(stages[i].name, s) == 0)
            return i;
    return -1;
}

static void derive_opportunity(fk_rec_t *r, int stage_changed, int prob_set)
{
    int si = stage_index(fk_json_str(r->f, "StageName"));
    if (si >= 0) {
        if (stage_changed && !prob_set)
            set_field(r, "Probability", cJSON_CreateNumber(stages[si].prob));
        set_field(r, "IsClosed", cJSON_CreateBool(stages[si].closed));
        set_field(r, "IsWon", cJSON_CreateBool(stages[si].won));
        if (stage_changed) {
            set_field(r, "ForecastCategory", cJSON_CreateString(stages[si].fc));
            set_field(r, "ForecastCategoryName", cJSON_CreateString(stages[si].fcname));
        }
    }
    const cJSON *amt = cJSON_GetObjectItemCaseSensitive(r->f, "Amount");
    const cJSON *prob = cJSON_GetObjectItemCaseSensitive(r->f, "Probability");
    if (cJSON_IsNumber(amt) && cJSON_IsNumber(prob))
        set_field(r, "ExpectedRevenue", cJSON_CreateNumber(round(amt->valuedouble * prob->valuedouble) / 100.0));
    else
        set_field(r, "ExpectedRevenue", cJSON_CreateNull());
    const char *cd = fk_json_str(r->f, "CloseDate");
    if (cd && strlen(cd) >= 7) {
        int y = atoi(cd), m = atoi(cd + 5), q = (m - 1) / 3 + 1;
        char fiscal[16];
        snprintf(fiscal, sizeof fiscal, "%d %d", y, q);
        set_field(r, "FiscalYear", cJSON_CreateNumber(y));
        set_field(r, "FiscalQuarter", cJSON_CreateNumber(q));
        set_field(r, "Fiscal", cJSON_CreateString(fiscal));
    }
}

void fk_sf_derive(fk_rec_t *r)
{
    if (r->obj == FK_SF_CONTACT) {
        const char *fn = fk_json_str(r->f, "FirstName"), *ln = fk_json_str(r->f, "LastName");
        char name[256];
        snprintf(name, sizeof name, "%s%s%s", fn ? fn : "", fn && *fn ? " " : "", ln ? ln : "");
        set_field(r, "Name", cJSON_CreateString(name));
    }
}

void fk_sf_touch(fk_rec_t *r)
{
    int64_t now = fk_now_ms();
    if (now <= r->modified_ms)
        now = r->modified_ms + 1;
    r->modified_ms = now;
    char ts[32];
    fk_fmt_sf_datetime(now, ts);
    set_field(r, "LastModifiedDate", cJSON_CreateString(ts));
    set_field(r, "SystemModstamp", cJSON_CreateString(ts));
    set_field(r, "LastModifiedById", cJSON_CreateString(g_user_id));
}

void fk_sf_delete(fk_rec_t *r)
{
    if (r->deleted)
        return;
    r->deleted = 1;
    r->deleted_ms = fk_now_ms();
    G.sf[r->obj].live--;
    set_field(r, "IsDeleted", cJSON_CreateTrue());
    fk_sf_touch(r);
}

fk_rec_t *fk_sf_find(int obj, const char *id)
{
    char canon[19];
    if (fk_sf_canon_id(id, canon))
        return NULL;
    fk_rec_t *r = fk_table_get(&G.sf[obj], canon);
    return r && !fk_rec_purged(r) ? r : NULL;
}

/* ------------------------------------------------------------------------------------------------ validation */
static int set_err(fk_sf_err_t *e, int status, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int set_err(fk_sf_err_t *e, int status, const char *code, const char *field, const char *fmt, ...)
{
    e->status = status;
    snprintf(e->code, sizeof e->code, "%s", code);
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *ref_prefix(const char *field)
{
    if (strcmp(field, "AccountId") == 0 || strcmp(field, "ParentId") == 0)
        return "001";
    if (strcmp(field, "ContactId") == 0 || strcmp(field, "ReportsToId") == 0)
        return "003";
    if (strcmp(field, "OwnerId") == 0)
        return "005";
    return NULL;
}

static int check_value(int obj, const fk_sf_field_t *fd, const cJSON *v, fk_sf_err_t *e)
{
    static const char *tnames[] = {"boolean", "double", "date", "datetime", "string"};
    int64_t ms;
    int date_only;
    (void)obj;
    if (cJSON_IsNull(v))
        return 0;
    switch (fd->type) {
    case 'b':
        if (!cJSON_IsBool(v))
            goto type;
        return 0;
    case 'n': case 'c': case 'p': case 'g':
        if (cJSON_IsNumber(v))
            return 0;
        if (cJSON_IsString(v)) {
            char *end;
            strtod(v->valuestring, &end);
            if (*v->valuestring && !*end)
                return 0;
        }
        goto type;
    case 'd':
        if (!cJSON_IsString(v) || fk_parse_iso(v->valuestring, &ms, &date_only) || !date_only)
            goto type;
        return 0;
    case 't':
        if (!cJSON_IsString(v) || fk_parse_iso(v->valuestring, &ms, NULL))
            goto type;
        return 0;
    case 'r': {
        char canon[19];
        const char *pfx = ref_prefix(fd->name);
        if (!cJSON_IsString(v))
            goto type;
        if (!*v->valuestring)
            return 0;
        if (fk_sf_canon_id(v->valuestring, canon) || (pfx && strncmp(canon, pfx, 3) != 0))
            return set_err(e, 400, "MALFORMED_ID", fd->name, "%s: id value of incorrect type: %.100s", fd->name,
                           v->valuestring);
        return 0;
    }
    default:
        if (cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v))
            return 0;
        goto type;
    }
type: {
    const char *tn = fd->type == 'b' ? tnames[0]
                     : strchr("ncpg", fd->type) ? tnames[1]
                     : fd->type == 'd'          ? tnames[2]
                     : fd->type == 't'          ? tnames[3]
                                                : tnames[4];
    char *shown = cJSON_PrintUnformatted(v);
    set_err(e, 400, "JSON_PARSER_ERROR", NULL,
            "Cannot deserialize instance of %s from %s value %.100s or request may be missing a required field",
            tn, cJSON_IsString(v) ? "VALUE_STRING" : cJSON_IsNumber(v) ? "VALUE_NUMBER_INT" : "START_OBJECT",
            shown ? shown : "?");
    free(shown);
    return -1;
}
}

static int check_external_unique(int obj, const fk_sf_field_t *fd, const cJSON *v, const fk_rec_t *self,
                                  fk_sf_err_t *e)
{
    if (!fd->externalid || !cJSON_IsString(v) || !*v->valuestring || G.seeding)
        return 0;
    const fk_table_t *t = &G.sf[obj];
    for (size_t i = 0; i < t->n; i++) {
        const char *x = fk_json_str(t->v[i]->f, fd->name);
        if (t->v[i] != self && !t->v[i]->deleted && x && fk_sf_text_eq(fd, x, v->valuestring))
            return set_err(e, 400, "DUPLICATE_VALUE", NULL, "duplicate value found: %s duplicates value on record "
                           "with id: %s", fd->name, t->v[i]->id);
    }
    return 0;
}

static int check_required(int obj, const cJSON *body, int creating, fk_sf_err_t *e)
{
    fk_buf_t miss = {0};
    const char *first = NULL;
    for (int i = 0; i < fk_sf_nfields(obj); i++) {
        const fk_sf_field_t *fd = fk_sf_field_at(obj, i);
        if (!fd->required)
            continue;
        const cJSON *v = NULL, *it;
        cJSON_ArrayForEach(it, body) if (fk_strcaseeq(it->string, fd->name)) v = it;
        int missing = creating ? (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
                               : (v && (cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring)));
        if (missing) {
            fk_buf_printf(&miss, "%s%s", first ? ", " : "", fd->name);
            if (!first)
                first = fd->name;
        }
    }
    if (!first)
        return 0;
    set_err(e, 400, "REQUIRED_FIELD_MISSING", first, "Required fields are missing: [%s]", miss.s);
    free(miss.s);
    return -1;
}

static int validate(int obj, const cJSON *body, int creating, const fk_rec_t *self, fk_sf_err_t *e)
{
    if (!cJSON_IsObject(body))
        return set_err(e, 400, "JSON_PARSER_ERROR", NULL,
                       "Cannot deserialize instance of %s from START_ARRAY value", fk_sf_obj_name(obj));
    const cJSON *it;
    cJSON_ArrayForEach(it, body)
    {
        if (strcmp(it->string, "attributes") == 0)
            continue;
        const fk_sf_field_t *fd = fk_sf_field(obj, it->string);
        if (!fd)
            return set_err(e, 400, "INVALID_FIELD", NULL, "No such column '%.80s' on sobject of type %s", it->string,
                           fk_sf_obj_name(obj));
        if (fd->type == 'i')
            return set_err(e, 400, "INVALID_FIELD", NULL, "The Id field should not be specified in the sobject data.");
        if ((creating && !fd->createable) || (!creating && !fd->updateable))
            return set_err(e, 400, "INVALID_FIELD_FOR_INSERT_UPDATE", fd->name,
                           "Unable to create/update fields: %s. Please check the security settings of this field and "
                           "verify that it is read/write for your profile or permission set.",
                           fd->name);
        if (check_value(obj, fd, it, e) || check_external_unique(obj, fd, it, self, e))
            return -1;
        if (obj == FK_SF_OPPORTUNITY && strcmp(fd->name, "StageName") == 0 && cJSON_IsString(it) &&
            *it->valuestring && stage_index(it->valuestring) < 0)
            return set_err(e, 400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "StageName",
                           "Stage: bad value for restricted picklist field: %.100s", it->valuestring);
    }
    return check_required(obj, body, creating, e);
}

int fk_sf_validate(int obj, const cJSON *body, int creating, fk_sf_err_t *err)
{
    return validate(obj, body, creating, NULL, err);
}

int fk_sf_validate_for(int obj, const cJSON *body, const fk_rec_t *self, fk_sf_err_t *err)
{
    return validate(obj, body, self == NULL, self, err);
}

static cJSON *normalise(const fk_sf_field_t *fd, const cJSON *v)
{
    if (cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring && fd->type != 's' && fd->type != 'k'))
        return fd->type == 'b' ? cJSON_CreateFalse() : cJSON_CreateNull();
    if (strchr("ncpg", fd->type) && cJSON_IsString(v))
        return cJSON_CreateNumber(strtod(v->valuestring, NULL));
    if (fd->type == 't') {
        int64_t ms;
        char ts[32];
        fk_parse_iso(v->valuestring, &ms, NULL);
        fk_fmt_sf_datetime(ms, ts);
        return cJSON_CreateString(ts);
    }
    if (fd->type == 'r') {
        char canon[19];
        if (fk_sf_canon_id(v->valuestring, canon) == 0)
            return cJSON_CreateString(canon);
    }
    if (cJSON_IsNumber(v) && !strchr("ncpg", fd->type)) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.17g", v->valuedouble);
        return cJSON_CreateString(tmp);
    }
    if (cJSON_IsBool(v) && fd->type != 'b')
        return cJSON_CreateString(cJSON_IsTrue(v) ? "true" : "false");
    if (cJSON_IsString(v) && !*v->valuestring)
        return cJSON_CreateNull();
    return cJSON_Duplicate(v, 1);
}

int fk_sf_apply(int obj, fk_rec_t *r, const cJSON *body, int creating, fk_sf_err_t *err)
{
    if (validate(obj, body, creating, r, err))
        return -1;
    int stage_changed = creating, prob_set = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, body)
    {
        if (strcmp(it->string, "attributes") == 0)
            continue;
        const fk_sf_field_t *fd = fk_sf_field(obj, it->string);
        if (strcmp(fd->name, "StageName") == 0)
            stage_changed = 1;
        if (strcmp(fd->name, "Probability") == 0 && !cJSON_IsNull(it))
            prob_set = 1;
        set_field(r, fd->name, normalise(fd, it));
    }
    fk_sf_derive(r);
    if (obj == FK_SF_OPPORTUNITY)
        derive_opportunity(r, stage_changed, prob_set);
    return 0;
}

fk_rec_t *fk_sf_insert(int obj, const cJSON *body)
{
    fk_rec_t *r = fk_rec_new(obj);
    r->seq = G.sf_next_seq++;
    fk_sf_make_id(fk_sf_obj_prefix(obj), r->seq, r->id);
    int64_t now = fk_now_ms();
    r->created_ms = now;
    char ts[32];
    fk_fmt_sf_datetime(now, ts);
    set_field(r, "Id", cJSON_CreateString(r->id));
    set_field(r, "IsDeleted", cJSON_CreateFalse());
    set_field(r, "OwnerId", cJSON_CreateString(g_user_id));
    set_field(r, "CreatedDate", cJSON_CreateString(ts));
    set_field(r, "CreatedById", cJSON_CreateString(g_user_id));
    fk_sf_err_t e;
    fk_sf_apply(obj, r, body, 1, &e);
    fk_sf_touch(r);
    r->modified_ms = now;
    set_field(r, "LastModifiedDate", cJSON_CreateString(ts));
    set_field(r, "SystemModstamp", cJSON_CreateString(ts));
    fk_table_add(&G.sf[obj], r);
    return r;
}

/* ------------------------------------------------------------------------------------------------ rendering */
cJSON *fk_sf_render(const fk_rec_t *r, const char *ver, const char *const *fields, int nfields)
{
    char url[96];
    snprintf(url, sizeof url, "/services/data/%s/sobjects/%s/%s", ver, fk_sf_obj_name(r->obj), r->id);
    cJSON *o = cJSON_CreateObject(), *a = cJSON_AddObjectToObject(o, "attributes");
    cJSON_AddStringToObject(a, "type", fk_sf_obj_name(r->obj));
    cJSON_AddStringToObject(a, "url", url);
    if (!fields) {
        for (int i = 0; i < fk_sf_nfields(r->obj); i++) {
            const fk_sf_field_t *fd = fk_sf_field_at(r->obj, i);
            cJSON_AddItemToObject(o, fd->name, fk_sf_field_value(r, fd));
        }
        return o;
    }
    for (int i = 0; i < nfields; i++) {
        const fk_sf_field_t *fd = fk_sf_field(r->obj, fields[i]);
        if (fd && !cJSON_GetObjectItemCaseSensitive(o, fd->name))
            cJSON_AddItemToObject(o, fd->name, fk_sf_field_value(r, fd));
    }
    return o;
}
