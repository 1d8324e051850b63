/*
 * seed.c -- --seed N: N records per object type for both providers, with plausible values and links
 * (HubSpot contact i -> company i, deal i -> company i and contact i, company i being the primary company of both
 * as the first one associated; Salesforce Contact i and Opportunity i -> Account i). Deterministic: the same N gives the same data (ids included) after every reset.
 */
#include "fake.h"

#include <stdio.h>
#include <string.h>

static const char *const hs_stages[] = {"appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
                                        "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"};
static const char *const sf_stages[] = {"Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
                                        "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"};

static void seed_hubspot(int n)
{
    char buf[128];
    for (int i = 1; i <= n; i++) {
        cJSON *c = cJSON_CreateObject(), *co = cJSON_CreateObject(), *d = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "firstname", "Seed");
        snprintf(buf, sizeof buf, "Contact %d", i);
        cJSON_AddStringToObject(c, "lastname", buf);
        snprintf(buf, sizeof buf, "seed.contact.%d@example.com", i);
        cJSON_AddStringToObject(c, "email", buf);
        snprintf(buf, sizeof buf, "+1 555 %07d", i);
        cJSON_AddStringToObject(c, "phone", buf);
        cJSON_AddStringToObject(c, "lifecyclestage", "lead");
        snprintf(buf, sizeof buf, "Seed Company %d", i);
        cJSON_AddStringToObject(c, "company", buf);
        cJSON_AddStringToObject(co, "name", buf);
        snprintf(buf, sizeof buf, "seed-company-%d.example.com", i);
        cJSON_AddStringToObject(co, "domain", buf);
        cJSON_AddStringToObject(co, "city", "Boston");
        snprintf(buf, sizeof buf, "Seed Deal %d", i);
        cJSON_AddStringToObject(d, "dealname", buf);
        snprintf(buf, sizeof buf, "%d.00", 1000 + 10 * i);
        cJSON_AddStringToObject(d, "amount", buf);
        cJSON_AddStringToObject(d, "dealstage", hs_stages[i % 7]);
        cJSON_AddStringToObject(d, "pipeline", "default");
        fk_rec_t *rc = fk_hs_create(FK_HS_CONTACTS, c);
        fk_rec_t *rco = fk_hs_create(FK_HS_COMPANIES, co);
        fk_rec_t *rd = fk_hs_create(FK_HS_DEALS, d);
        fk_hs_add_assoc(rc, rco, 279, 0);
        fk_hs_add_assoc(rd, rco, 341, 0);
        fk_hs_add_assoc(rd, rc, 3, 0);
        cJSON_Delete(c);
        cJSON_Delete(co);
        cJSON_Delete(d);
    }
}

static void seed_salesforce(int n)
{
    char buf[128], date[16];
    for (int i = 1; i <= n; i++) {
        cJSON *a = cJSON_CreateObject(), *c = cJSON_CreateObject(), *o = cJSON_CreateObject();
        snprintf(buf, sizeof buf, "Seed Account %d", i);
        cJSON_AddStringToObject(a, "Name", buf);
        cJSON_AddStringToObject(a, "Industry", "Technology");
        snprintf(buf, sizeof buf, "https://seed-account-%d.example.com", i);
        cJSON_AddStringToObject(a, "Website", buf);
        fk_rec_t *ra = fk_sf_insert(FK_SF_ACCOUNT, a);
        cJSON_AddStringToObject(c, "FirstName", "Seed");
        snprintf(buf, sizeof buf, "Contact %d", i);
        cJSON_AddStringToObject(c, "LastName", buf);
        snprintf(buf, sizeof buf, "seed.contact.%d@example.com", i);
        cJSON_AddStringToObject(c, "Email", buf);
        cJSON_AddStringToObject(c, "AccountId", ra->id);
        fk_sf_insert(FK_SF_CONTACT, c);
        snprintf(buf, sizeof buf, "Seed Opportunity %d", i);
        cJSON_AddStringToObject(o, "Name", buf);
        cJSON_AddStringToObject(o, "StageName", sf_stages[i % 8]);
        fk_fmt_date(fk_now_ms() + (int64_t)(i % 90) * 86400000, date);
        cJSON_AddStringToObject(o, "CloseDate", date);
        cJSON_AddNumberToObject(o, "Amount", 1000 + 10 * i);
        cJSON_AddStringToObject(o, "AccountId", ra->id);
        fk_sf_insert(FK_SF_OPPORTUNITY, o);
        cJSON_Delete(a);
        cJSON_Delete(c);
        cJSON_Delete(o);
    }
}

void fk_seed(int n)
{
    seed_hubspot(n);
    seed_salesforce(n);
}
