/*
 * test_fake_auth.c -- token endpoints and bearer checks of unicrm-fake: HubSpot OAuth refresh and private-app
 * tokens, Salesforce refresh / client credentials / JWT bearer (RS256 key made at test time), expiry through
 * the fake clock, revocation, refresh-token rotation, the Salesforce token signature.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <time.h>
#include <unistd.h>

#include "helpers/fake_test.h"

static ucrm_fake_t *F;
static char KEYDIR[64], PUBFILE[128];
static EVP_PKEY *KEY;

static int group_setup(void **state)
{
    (void)state;
    snprintf(KEYDIR, sizeof KEYDIR, "/tmp/unicrm-fake-auth-XXXXXX");
    if (!mkdtemp(KEYDIR))
        return -1;
    KEY = EVP_RSA_gen(2048);
    snprintf(PUBFILE, sizeof PUBFILE, "%s/jwt.pub.pem", KEYDIR);
    FILE *fp = fopen(PUBFILE, "w");
    if (!KEY || !fp || PEM_write_PUBKEY(fp, KEY) != 1)
        return -1;
    fclose(fp);
    F = fake_start("--token-ttl", "60", "--jwt-public-key", PUBFILE, NULL);
    *state = F;
    return F ? 0 : -1;
}

static int group_teardown(void **state)
{
    int rc = t_fake_stop(state);
    unlink(PUBFILE);
    rmdir(KEYDIR);
    EVP_PKEY_free(KEY);
    return rc;
}

static cJSON *token(const char *path, const char *form, const char *const *hdrs, long expect)
{
    const char *h[3] = {"Content-Type: application/x-www-form-urlencoded", hdrs ? hdrs[0] : NULL, NULL};
    return t_call(F, "POST", path, h, form, expect);
}

static void test_fake_auth__hubspot_refresh_and_expiry(void **state)
{
    (void)state;
    cJSON *t = token("/oauth/v1/token",
                     "grant_type=refresh_token&client_id=test-client&client_secret=test-secret&refresh_token=test-refresh",
                     NULL, 200);
    assert_string_equal(t_str(t, "token_type"), "bearer");
    assert_string_equal(t_str(t, "refresh_token"), "test-refresh");
    assert_string_equal(t_str(t, "token_use"), "access_token");
    assert_int_equal((int)t_num(t, "expires_in"), 60);
    char line[400];
    const char *h[3];
    t_bearer(t_str(t, "access_token"), line, sizeof line, h);
    char *hdrs = NULL;
    cJSON_Delete(t_call_h(F, "GET", "/crm/v3/objects/contacts", h, NULL, 200, &hdrs));
    /* OAuth requests carry no daily headers (B8) */
    char *v = fake_header(hdrs, "X-HubSpot-RateLimit-Daily");
    assert_null(v);
    v = fake_header(hdrs, "X-HubSpot-RateLimit-Max");
    assert_non_null(v);
    free(v);
    free(hdrs);
    assert_int_equal(fake_clock_advance(F, 61000), 0);
    cJSON *e = t_call(F, "GET", "/crm/v3/objects/contacts", h, NULL, 401);
    assert_string_equal(t_str(e, "category"), "EXPIRED_AUTHENTICATION");
    int ago = -1;
    assert_int_equal(sscanf(t_str(e, "message"), "The OAuth token used to make this call expired %d second(s) ago.", &ago), 1);
    assert_true(ago >= 1 && ago <= 5); /* 61 s after issue with a 60 s lifetime, plus the test's own run time */
    assert_non_null(t_str(e, "context.expire time.0"));
    cJSON_Delete(e);
    /* the private-app token never expires */
    cJSON_Delete(t_call(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 200));
    assert_int_equal(fake_stat(F, "tokens_issued.hubspot"), 1);
    assert_int_equal(fake_stat(F, "token_requests.hubspot"), 1);
    cJSON_Delete(t);
}

static void test_fake_auth__hubspot_token_errors(void **state)
{
    (void)state;
    cJSON *e = token("/oauth/v1/token",
                     "grant_type=refresh_token&client_id=test-client&client_secret=test-secret&refresh_token=nope",
                     NULL, 400);
    assert_string_equal(t_str(e, "status"), "BAD_REFRESH_TOKEN");
    assert_string_equal(t_str(e, "error"), "invalid_grant");
    cJSON_Delete(e);
    e = token("/oauth/v1/token", "grant_type=refresh_token&client_id=other&client_secret=test-secret&refresh_token=x",
              NULL, 400);
    assert_string_equal(t_str(e, "status"), "BAD_CLIENT_ID");
    cJSON_Delete(e);
    e = token("/oauth/v1/token", "grant_type=password&client_id=test-client&client_secret=test-secret", NULL, 400);
    assert_string_equal(t_str(e, "status"), "BAD_GRANT_TYPE");
    cJSON_Delete(e);
    /* revoked: refresh fails and issued tokens stop working */
    char *tok = fake_hubspot_token(F);
    char line[400];
    const char *h[3];
    t_bearer(tok, line, sizeof line, h);
    long st;
    free(fake_request(F, "POST", "/__fake/revoke", "{\"provider\":\"hubspot\"}", &st));
    assert_int_equal(st, 200);
    assert_null(fake_hubspot_token(F));
    e = t_call(F, "GET", "/crm/v3/objects/contacts", h, NULL, 401);
    assert_string_equal(t_str(e, "category"), "EXPIRED_AUTHENTICATION");
    cJSON_Delete(e);
    free(tok);
    assert_int_equal(fake_reset(F), 0);
    tok = fake_hubspot_token(F);
    assert_non_null(tok);
    free(tok);
}

static void check_sf_token(const cJSON *t)
{
    assert_string_equal(t_str(t, "token_type"), "Bearer");
    assert_null(t_at(t, "expires_in"));
    assert_string_equal(t_str(t, "instance_url"), fake_url(F));
    const char *issued = t_str(t, "issued_at");
    assert_int_equal(strlen(issued), 13); /* milliseconds */
    char msg[512];
    snprintf(msg, sizeof msg, "%s%s", t_str(t, "id"), issued);
    unsigned char mac[64];
    unsigned int ml = 0;
    HMAC(EVP_sha256(), "test-secret", 11, (const unsigned char *)msg, strlen(msg), mac, &ml);
    unsigned char b64[128];
    EVP_EncodeBlock(b64, mac, (int)ml);
    assert_string_equal(t_str(t, "signature"), (const char *)b64);
}

static void test_fake_auth__salesforce_flows(void **state)
{
    (void)state;
    cJSON *t = token("/services/oauth2/token",
                     "grant_type=refresh_token&client_id=test-client&client_secret=test-secret&refresh_token=test-refresh",
                     NULL, 200);
    check_sf_token(t);
    assert_null(t_at(t, "refresh_token"));
    char line[400];
    const char *h[3];
    t_bearer(t_str(t, "access_token"), line, sizeof line, h);
    cJSON_Delete(t_call(F, "GET", "/services/data/v59.0/limits", h, NULL, 200));
    assert_int_equal(fake_clock_advance(F, 61000), 0);
    cJSON *e = t_call(F, "GET", "/services/data/v59.0/limits", h, NULL, 401);
    assert_string_equal(t_str(e, "0.errorCode"), "INVALID_SESSION_ID");
    cJSON_Delete(e);
    cJSON_Delete(t);
    /* client credentials through HTTP Basic (base64 of test-client:test-secret) */
    const char *basic[] = {"Authorization: Basic dGVzdC1jbGllbnQ6dGVzdC1zZWNyZXQ=", NULL};
    t = token("/services/oauth2/token", "grant_type=client_credentials", basic, 200);
    check_sf_token(t);
    assert_string_equal(t_str(t, "scope"), "api");
    cJSON_Delete(t);
    e = token("/services/oauth2/token",
              "grant_type=refresh_token&client_id=test-client&client_secret=wrong&refresh_token=test-refresh", NULL, 400);
    assert_string_equal(t_str(e, "error"), "invalid_client");
    cJSON_Delete(e);
    e = token("/services/oauth2/token",
              "grant_type=refresh_token&client_id=test-client&client_secret=test-secret&refresh_token=old", NULL, 400);
    assert_string_equal(t_str(e, "error"), "invalid_grant");
    assert_string_equal(t_str(e, "error_description"), "expired access/refresh token");
    cJSON_Delete(e);
    e = token("/services/oauth2/token", "grant_type=password&username=a&password=b", NULL, 400);
    assert_string_equal(t_str(e, "error"), "unsupported_grant_type");
    cJSON_Delete(e);
    assert_int_equal(fake_stat(F, "tokens_issued.salesforce"), 2);
}

static char *b64url(const unsigned char *in, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    char *eq = strchr(out, '=');
    if (eq)
        *eq = '\0';
    return out;
}

static char *make_jwt(const char *iss, const char *aud, long long exp, int corrupt)
{
    char claims[512];
    snprintf(claims, sizeof claims, "{\"iss\":\"%s\",\"sub\":\"user@example.com\",\"aud\":\"%s\",\"exp\":%lld}", iss, aud,
             exp);
    const char *hdr = "{\"alg\":\"RS256\"}";
    char *h64 = b64url((const unsigned char *)hdr, strlen(hdr)), *c64 = b64url((const unsigned char *)claims, strlen(claims));
    char signing[1024];
    snprintf(signing, sizeof signing, "%s.%s", h64, c64);
    unsigned char sig[512];
    size_t sl = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, KEY), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &sl, (const unsigned char *)signing, strlen(signing)), 1);
    EVP_MD_CTX_free(ctx);
    if (corrupt)
        sig[10] ^= 0x55;
    char *s64 = b64url(sig, sl);
    char *jwt = malloc(strlen(signing) + strlen(s64) + 2);
    sprintf(jwt, "%s.%s", signing, s64);
    free(h64);
    free(c64);
    free(s64);
    return jwt;
}

static cJSON *jwt_grant(const char *jwt, long expect)
{
    char *form = malloc(strlen(jwt) + 100);
    sprintf(form, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer&assertion=%s", jwt);
    cJSON *r = token("/services/oauth2/token", form, NULL, expect);
    free(form);
    return r;
}

static void test_fake_auth__salesforce_jwt(void **state)
{
    (void)state;
    long long now = (long long)time(NULL);
    char *jwt = make_jwt("test-client", "https://login.salesforce.com", now + 180, 0);
    cJSON *t = jwt_grant(jwt, 200);
    check_sf_token(t);
    assert_null(t_at(t, "refresh_token"));
    cJSON_Delete(t);
    free(jwt);
    struct {
        const char *iss, *aud;
        long long exp;
        int corrupt;
        const char *error, *desc;
    } bad[] = {
        {"test-client", "https://login.salesforce.com", now + 180, 1, "invalid_grant", "invalid assertion"},
        {"someone-else", "https://login.salesforce.com", now + 180, 0, "invalid_client_id", NULL},
        {"test-client", "https://example.com", now + 180, 0, "invalid_grant", NULL},
        {"test-client", "https://login.salesforce.com", now - 600, 0, "invalid_grant", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        jwt = make_jwt(bad[i].iss, bad[i].aud, bad[i].exp, bad[i].corrupt);
        cJSON *e = jwt_grant(jwt, 400);
        assert_string_equal(t_str(e, "error"), bad[i].error);
        if (bad[i].desc)
            assert_string_equal(t_str(e, "error_description"), bad[i].desc);
        cJSON_Delete(e);
        free(jwt);
    }
    cJSON_Delete(jwt_grant("not.a.jwt", 400));
    assert_int_equal(fake_stat(F, "tokens_issued.salesforce"), 1);
}

static void test_fake_auth__salesforce_rotation(void **state)
{
    (void)state;
    ucrm_fake_t *r = fake_start("--salesforce-rotate-refresh", NULL);
    assert_non_null(r);
    ucrm_fake_t *save = F;
    F = r;
    cJSON *t = token("/services/oauth2/token",
                     "grant_type=refresh_token&client_id=test-client&client_secret=test-secret&refresh_token=test-refresh",
                     NULL, 200);
    const char *nr = t_str(t, "refresh_token");
    assert_non_null(nr);
    char form[256];
    snprintf(form, sizeof form, "grant_type=refresh_token&client_id=test-client&client_secret=test-secret&refresh_token=%s",
             nr);
    cJSON *e = token("/services/oauth2/token",
                     "grant_type=refresh_token&client_id=test-client&client_secret=test-secret&refresh_token=test-refresh",
                     NULL, 400);
    assert_string_equal(t_str(e, "error"), "invalid_grant");
    cJSON_Delete(e);
    cJSON_Delete(token("/services/oauth2/token", form, NULL, 200));
    cJSON_Delete(t);
    F = save;
    assert_int_equal(fake_stop(r), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fake_auth__hubspot_refresh_and_expiry, t_fake_reset),
        cmocka_unit_test_setup(test_fake_auth__hubspot_token_errors, t_fake_reset),
        cmocka_unit_test_setup(test_fake_auth__salesforce_flows, t_fake_reset),
        cmocka_unit_test_setup(test_fake_auth__salesforce_jwt, t_fake_reset),
        cmocka_unit_test_setup(test_fake_auth__salesforce_rotation, t_fake_reset),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
