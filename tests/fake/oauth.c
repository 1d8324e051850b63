/*
 * oauth.c -- token endpoints of both providers, bearer-token checks, and JWT bearer verification (RS256).
 *
 * HubSpot (PROTOCOL B9; spec Auth_Oauth_155908_v1_oauth.json): POST /oauth/v1/token, form-encoded,
 * grant_type=refresh_token|client_credentials; the response carries token_type, access_token, expires_in
 * (--token-ttl), token_use (required by the spec's AccessTokenResponse) and, for refresh_token, the same refresh
 * token. Errors are HTTP 400 with the legacy status (BAD_REFRESH_TOKEN, BAD_CLIENT_ID, BAD_GRANT_TYPE) plus the
 * RFC 6749 error/error_description pair HubSpot added.
 *
 * Salesforce (PROTOCOL A9): POST /services/oauth2/token with refresh_token (client creds in the body or HTTP
 * Basic), client_credentials, or urn:ietf:params:oauth:grant-type:jwt-bearer. The response has no expires_in,
 * issued_at in ms as a string, instance_url = this fake, id = identity URL, signature =
 * base64(HMAC-SHA256(client_secret, id + issued_at)). Errors: 400 {"error","error_description"}.
 */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* org and user ids with valid checksums; the user is the records' OwnerId/CreatedById (005...1) */
static void sf_ids(char org[19], char user[19])
{
    fk_sf_make_id("00D", 1, org);
    fk_sf_make_id("005", 1, user);
}

typedef struct {
    int n;
    char *k[32], *v[32];
} fk_form_t;

static void form_parse(const fk_req_t *rq, fk_form_t *f)
{
    f->n = fk_parse_form(rq->body, rq->body_len, f->k, f->v, 32);
}

static const char *form_get(const fk_req_t *rq, const fk_form_t *f, const char *key)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->k[i], key) == 0)
            return f->v[i];
    return fk_query(rq, key); /* HubSpot's spec also lists client_secret/refresh_token as query parameters */
}

static void form_free(fk_form_t *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->k[i]);
        free(f->v[i]);
    }
    f->n = 0;
}

/* ------------------------------------------------------------------------------------------------ token table */
static fk_token_t *token_issue(int provider, char *tok_owned)
{
    fk_token_t *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    t->token = tok_owned;
    t->provider = provider;
    t->expires_ms = fk_now_ms() + G.o.token_ttl * 1000;
    fk_map_put(&G.tokens, t->token, t);
    if (provider == FK_P_HUBSPOT)
        G.st.tok_issued_hs++;
    else
        G.st.tok_issued_sf++;
    return t;
}

void fk_tokens_clear(void)
{
    for (size_t i = 0; i < G.tokens.cap; i++) {
        fk_token_t *t = G.tokens.keys[i] ? G.tokens.vals[i] : NULL;
        if (t) {
            free(t->token);
            free(t);
        }
    }
    fk_map_free(&G.tokens);
}

void fk_tokens_revoke(int provider)
{
    int64_t now = fk_now_ms();
    for (size_t i = 0; i < G.tokens.cap; i++) {
        fk_token_t *t = G.tokens.keys[i] ? G.tokens.vals[i] : NULL;
        if (t && t->provider == provider && (t->expires_ms == 0 || t->expires_ms > now)) {
            t->expires_ms = now;
            t->revoked = 1;
        }
    }
    if (provider == FK_P_HUBSPOT) {
        free(G.hs_refresh);
        G.hs_refresh = NULL;
    } else {
        free(G.sf_refresh);
        G.sf_refresh = NULL;
    }
}

int fk_auth_check(const fk_req_t *rq, int provider, int *is_oauth, int64_t *expired_ms)
{
    const char *h = fk_header(rq, "Authorization");
    *is_oauth = 0;
    if (!h)
        return 1;
    while (*h == ' ')
        h++;
    if (strncasecmp(h, "Bearer ", 7) == 0)
        h += 7;
    else if (provider == FK_P_SALESFORCE && strncasecmp(h, "OAuth ", 6) == 0)
        h += 6;
    else
        return 1;
    while (*h == ' ')
        h++;
    if (provider == FK_P_HUBSPOT && G.o.hs_private_token[0] && strcmp(h, G.o.hs_private_token) == 0)
        return 0;
    fk_token_t *t = fk_map_get(&G.tokens, h);
    if (!t || t->provider != provider)
        return 1;
    *is_oauth = 1;
    if (t->expires_ms && fk_now_ms() >= t->expires_ms) {
        *expired_ms = t->expires_ms;
        return 2;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------------ HubSpot */
static void hs_token_error(fk_resp_t *rs, const char *status, const char *message, const char *error,
                           const char *desc)
{
    char cid[37], rid[37];
    fk_uuid(cid);
    fk_uuid(rid);
    cJSON *j = cJSON_CreateObject();
    if (error) {
        cJSON_AddStringToObject(j, "error", error);
        cJSON_AddStringToObject(j, "error_description", desc);
    }
    cJSON_AddStringToObject(j, "status", status);
    cJSON_AddStringToObject(j, "message", message);
    cJSON_AddStringToObject(j, "correlationId", cid);
    cJSON_AddStringToObject(j, "requestId", rid);
    fk_resp_json(rs, 400, j);
}

static char *hs_new_access_token(void)
{
    char body[161];
    fk_random_token(body, 160);
    char *t = fk_xmalloc(200);
    snprintf(t, 200, "CK%s", body);
    return t;
}

void fk_oauth_hubspot(fk_req_t *rq, fk_resp_t *rs)
{
    fk_form_t f = {0};
    form_parse(rq, &f);
    const char *gt = form_get(rq, &f, "grant_type");
    const char *cid = form_get(rq, &f, "client_id");
    const char *sec = form_get(rq, &f, "client_secret");
    int cc = gt && strcmp(gt, "client_credentials") == 0;
    if (!gt || (strcmp(gt, "refresh_token") != 0 && !cc)) {
        hs_token_error(rs, "BAD_GRANT_TYPE", "missing or unsupported grant type", "unsupported_grant_type",
                       "grant type not supported");
    } else if (!cid || strcmp(cid, G.o.client_id) != 0) {
        hs_token_error(rs, "BAD_CLIENT_ID", "missing or unknown client id", "invalid_client", "client id is invalid");
    } else if (!sec || strcmp(sec, G.o.client_secret) != 0) {
        hs_token_error(rs, "BAD_CLIENT_SECRET", "missing or invalid client secret", "invalid_client",
                       "client secret is invalid");
    } else if (!cc && (!G.hs_refresh || !form_get(rq, &f, "refresh_token") ||
                       strcmp(form_get(rq, &f, "refresh_token"), G.hs_refresh) != 0)) {
        hs_token_error(rs, "BAD_REFRESH_TOKEN", "missing or unknown refresh token", "invalid_grant",
                       "refresh token is invalid, expired or revoked");
    } else {
        fk_token_t *t = token_issue(FK_P_HUBSPOT, hs_new_access_token());
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "token_type", "bearer");
        if (!cc)
            cJSON_AddStringToObject(j, "refresh_token", G.hs_refresh);
        cJSON_AddStringToObject(j, "access_token", t->token);
        cJSON_AddNumberToObject(j, "expires_in", (double)G.o.token_ttl);
        cJSON_AddStringToObject(j, "token_use", cc ? "client_credentials" : "access_token");
        fk_resp_json(rs, 200, j);
    }
    form_free(&f);
}

void fk_oauth_hubspot_tokeninfo(fk_req_t *rq, fk_resp_t *rs, const char *token, int refresh)
{
    (void)rq;
    int64_t now = fk_now_ms();
    fk_token_t *t = refresh ? NULL : fk_map_get(&G.tokens, token);
    int ok = refresh ? (G.hs_refresh && strcmp(token, G.hs_refresh) == 0)
                     : (t && t->provider == FK_P_HUBSPOT && t->expires_ms > now);
    if (!ok) {
        fk_hs_error(rs, 404, "OBJECT_NOT_FOUND", refresh ? "Refresh token not found" : "Token not found", NULL);
        return;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "token", token);
    cJSON_AddStringToObject(j, "user", "fake-user@example.com");
    cJSON_AddStringToObject(j, "hub_domain", "fake.example.com");
    cJSON *sc = cJSON_AddArrayToObject(j, "scopes");
    static const char *scopes[] = {"crm.objects.contacts.read", "crm.objects.contacts.write",
                                   "crm.objects.companies.read", "crm.objects.companies.write",
                                   "crm.objects.deals.read", "crm.objects.deals.write", "oauth"};
    for (size_t i = 0; i < sizeof scopes / sizeof *scopes; i++)
        cJSON_AddItemToArray(sc, cJSON_CreateString(scopes[i]));
    cJSON_AddNumberToObject(j, "hub_id", 12345678);
    if (refresh) {
        cJSON_AddStringToObject(j, "client_id", G.o.client_id);
    } else {
        cJSON_AddNumberToObject(j, "app_id", 1000001);
        cJSON_AddNumberToObject(j, "expires_in", (double)((t->expires_ms - now) / 1000));
    }
    cJSON_AddNumberToObject(j, "user_id", 1);
    cJSON_AddStringToObject(j, "token_type", refresh ? "refresh" : "access");
    fk_resp_json(rs, 200, j);
}

/* ------------------------------------------------------------------------------------------------ Salesforce */
static void sf_token_error(fk_resp_t *rs, int status, const char *error, const char *desc)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error", error);
    cJSON_AddStringToObject(j, "error_description", desc);
    fk_resp_json(rs, status, j);
}

/* client_id/client_secret from the form or from "Authorization: Basic base64(id:secret)" */
static void sf_client_creds(const fk_req_t *rq, const fk_form_t *f, char **id, char **secret)
{
    const char *bi = form_get(rq, f, "client_id"), *bs = form_get(rq, f, "client_secret");
    *id = bi ? fk_xstrdup(bi) : NULL;
    *secret = bs ? fk_xstrdup(bs) : NULL;
    const char *h = fk_header(rq, "Authorization");
    if (h && strncasecmp(h, "Basic ", 6) == 0) {
        size_t n = 0;
        unsigned char *dec = fk_b64url_decode(h + 6, strlen(h + 6), &n);
        if (dec) {
            char *s = fk_xstrndup((const char *)dec, n);
            char *colon = strchr(s, ':');
            if (colon) {
                *colon = '\0';
                if (!*id)
                    *id = fk_url_decode(s, strlen(s), 1);
                if (!*secret)
                    *secret = fk_url_decode(colon + 1, strlen(colon + 1), 1);
            }
            free(s);
            free(dec);
        }
    }
}

static void sf_token_ok(fk_resp_t *rs, const char *scope, const char *new_refresh)
{
    char tok[128], rnd[97], issued[24], id[160], org[19], user[19];
    sf_ids(org, user);
    fk_random_token(rnd, 96);
    snprintf(tok, sizeof tok, "%.15s!%s", org, rnd);
    fk_token_t *t = token_issue(FK_P_SALESFORCE, fk_xstrdup(tok));
    snprintf(issued, sizeof issued, "%lld", (long long)fk_now_ms());
    snprintf(id, sizeof id, "%s/id/%s/%s", G.base_url, org, user);
    char msg[200];
    snprintf(msg, sizeof msg, "%s%s", id, issued);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), G.o.client_secret, (int)strlen(G.o.client_secret), (const unsigned char *)msg, strlen(msg), mac,
         &maclen);
    char *sig = fk_b64_encode(mac, maclen);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "access_token", t->token);
    if (new_refresh)
        cJSON_AddStringToObject(j, "refresh_token", new_refresh);
    cJSON_AddStringToObject(j, "signature", sig);
    cJSON_AddStringToObject(j, "scope", scope);
    cJSON_AddStringToObject(j, "instance_url", G.base_url);
    cJSON_AddStringToObject(j, "id", id);
    cJSON_AddStringToObject(j, "token_type", "Bearer");
    cJSON_AddStringToObject(j, "issued_at", issued);
    free(sig);
    fk_resp_json(rs, 200, j);
}

static void sf_refresh_grant(const fk_req_t *rq, const fk_form_t *f, fk_resp_t *rs)
{
    char *id, *secret;
    sf_client_creds(rq, f, &id, &secret);
    const char *rt = form_get(rq, f, "refresh_token");
    if (!id || strcmp(id, G.o.client_id) != 0) {
        sf_token_error(rs, 400, "invalid_client_id", "client identifier invalid");
    } else if (!secret || strcmp(secret, G.o.client_secret) != 0) {
        sf_token_error(rs, 400, "invalid_client", "invalid client credentials");
    } else if (!rt || !G.sf_refresh || strcmp(rt, G.sf_refresh) != 0) {
        sf_token_error(rs, 400, "invalid_grant", "expired access/refresh token");
    } else if (G.o.sf_rotate_refresh) {
        char nr[90];
        memcpy(nr, "5Ae", 3);
        fk_random_token(nr + 3, 80);
        free(G.sf_refresh);
        G.sf_refresh = fk_xstrdup(nr);
        sf_token_ok(rs, "refresh_token api", nr);
    } else {
        sf_token_ok(rs, "refresh_token api", NULL);
    }
    free(id);
    free(secret);
}

static void sf_client_credentials(const fk_req_t *rq, const fk_form_t *f, fk_resp_t *rs)
{
    char *id, *secret;
    sf_client_creds(rq, f, &id, &secret);
    if (!id || strcmp(id, G.o.client_id) != 0)
        sf_token_error(rs, 400, "invalid_client_id", "client identifier invalid");
    else if (!secret || strcmp(secret, G.o.client_secret) != 0)
        sf_token_error(rs, 400, "invalid_client", "invalid client credentials");
    else
        sf_token_ok(rs, "api", NULL);
    free(id);
    free(secret);
}

int fk_jwt_load_key(const char *file)
{
    FILE *fp = fopen(file, "r");
    if (!fp)
        return -1;
    EVP_PKEY *k = PEM_read_PUBKEY(fp, NULL, NULL, NULL);
    if (!k) {
        rewind(fp);
        X509 *x = PEM_read_X509(fp, NULL, NULL, NULL);
        if (x) {
            k = X509_get_pubkey(x);
            X509_free(x);
        }
    }
    fclose(fp);
    if (!k)
        return -1;
    G.jwt_key = k;
    return 0;
}

static cJSON *jwt_part(const char *s, size_t n)
{
    size_t dn = 0;
    unsigned char *d = fk_b64url_decode(s, n, &dn);
    if (!d)
        return NULL;
    cJSON *j = cJSON_ParseWithLength((const char *)d, dn);
    free(d);
    return j;
}

static int jwt_sig_ok(const char *signed_part, size_t sn, const char *sig64, size_t sigl)
{
    size_t siglen = 0;
    unsigned char *sig = fk_b64url_decode(sig64, sigl, &siglen);
    if (!sig)
        return 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, G.jwt_key) == 1 &&
             EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)signed_part, sn) == 1;
    EVP_MD_CTX_free(ctx);
    free(sig);
    return ok;
}

static int jwt_aud_ok(const cJSON *aud)
{
    static const char *ok[] = {"https://login.salesforce.com", "https://test.salesforce.com"};
    const char *a = cJSON_IsString(aud) ? aud->valuestring : NULL;
    if (cJSON_IsArray(aud) && cJSON_GetArraySize(aud) == 1 && cJSON_IsString(cJSON_GetArrayItem(aud, 0)))
        a = cJSON_GetArrayItem(aud, 0)->valuestring;
    if (!a)
        return 0;
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (strcmp(a, ok[i]) == 0)
            return 1;
    return strcmp(a, G.base_url) == 0;
}

static void sf_jwt_grant(const fk_req_t *rq, const fk_form_t *f, fk_resp_t *rs)
{
    const char *as = form_get(rq, f, "assertion");
    const char *d1 = as ? strchr(as, '.') : NULL, *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || strchr(d2 + 1, '.')) {
        sf_token_error(rs, 400, "invalid_grant", "invalid assertion");
        return;
    }
    cJSON *hdr = jwt_part(as, (size_t)(d1 - as)), *cl = jwt_part(d1 + 1, (size_t)(d2 - d1 - 1));
    const char *alg = fk_json_str(hdr, "alg"), *iss = fk_json_str(cl, "iss"), *sub = fk_json_str(cl, "sub");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(cl, "exp");
    double expv = cJSON_IsNumber(exp) ? exp->valuedouble
                  : cJSON_IsString(exp) ? strtod(exp->valuestring, NULL)
                                        : 0;
    if (!hdr || !cl || !alg || strcmp(alg, "RS256") != 0 || !sub || !exp) {
        sf_token_error(rs, 400, "invalid_grant", "invalid assertion");
    } else if (!iss || strcmp(iss, G.o.client_id) != 0) {
        sf_token_error(rs, 400, "invalid_client_id", "client identifier invalid");
    } else if (!jwt_aud_ok(cJSON_GetObjectItemCaseSensitive(cl, "aud"))) {
        sf_token_error(rs, 400, "invalid_grant", "audience is invalid");
    } else if (expv * 1000.0 + 180000.0 < (double)fk_now_ms()) {
        sf_token_error(rs, 400, "invalid_grant", "expired authorization code");
    } else if (!G.jwt_key) {
        sf_token_error(rs, 400, "invalid_grant", "user hasn't approved this consumer");
    } else if (!jwt_sig_ok(as, (size_t)(d2 - as), d2 + 1, strlen(d2 + 1))) {
        sf_token_error(rs, 400, "invalid_grant", "invalid assertion");
    } else {
        sf_token_ok(rs, "api", NULL);
    }
    cJSON_Delete(hdr);
    cJSON_Delete(cl);
}

void fk_oauth_salesforce(fk_req_t *rq, fk_resp_t *rs)
{
    fk_form_t f = {0};
    form_parse(rq, &f);
    const char *gt = form_get(rq, &f, "grant_type");
    if (!gt)
        sf_token_error(rs, 400, "unsupported_grant_type", "grant type not supported");
    else if (strcmp(gt, "refresh_token") == 0)
        sf_refresh_grant(rq, &f, rs);
    else if (strcmp(gt, "client_credentials") == 0)
        sf_client_credentials(rq, &f, rs);
    else if (strcmp(gt, "urn:ietf:params:oauth:grant-type:jwt-bearer") == 0)
        sf_jwt_grant(rq, &f, rs);
    else
        sf_token_error(rs, 400, "unsupported_grant_type", "grant type not supported");
    form_free(&f);
}

void fk_oauth_salesforce_revoke(fk_req_t *rq, fk_resp_t *rs)
{
    fk_form_t f = {0};
    form_parse(rq, &f);
    const char *tok = form_get(rq, &f, "token");
    fk_token_t *t = tok ? fk_map_get(&G.tokens, tok) : NULL;
    if (tok && G.sf_refresh && strcmp(tok, G.sf_refresh) == 0) {
        fk_tokens_revoke(FK_P_SALESFORCE);
        fk_resp_empty(rs, 200);
    } else if (t && t->provider == FK_P_SALESFORCE) {
        t->expires_ms = fk_now_ms();
        t->revoked = 1;
        fk_resp_empty(rs, 200);
    } else {
        sf_token_error(rs, 400, "unsupported_token_type", "this token type is not supported");
    }
    form_free(&f);
}
