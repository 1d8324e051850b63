/*
 * test_salesforce_units.c -- the Salesforce adapter's pieces on their own: SOQL literal escaping, the usage
 * header, token requests (bodies, the JWT assertion verified with the public key) and token responses, token
 * error classification, configuration checks, mapping overrides and passthrough paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../providers/salesforce/sf_int.h"
#include "helpers/script.h"
#include "helpers/sf_test.h"

extern const ucrm_provider_t ucrm__provider_salesforce;
#define P (&ucrm__provider_salesforce)

/* ============================================================================================== SOQL */

static void expect_quote(const char *in, const char *want) {
    ucrm_buf_t b = UCRM_BUF_INIT;
    assert_true(sf_soql__quote(&b, in, strlen(in)));
    assert_string_equal(ucrm_buf__str(&b), want);
    ucrm_buf__free(&b);
}

static void test_salesforce_units__soql_quote(void **state) {
    (void)state;
    expect_quote("plain", "'plain'");
    expect_quote("", "''");
    expect_quote("O'Brien", "'O\\'Brien'");
    expect_quote("x' OR Name LIKE '%", "'x\\' OR Name LIKE \\'%'"); /* % is literal outside LIKE */
    expect_quote("back\\slash\\", "'back\\\\slash\\\\'");
    expect_quote("\\'", "'\\\\\\''");
    expect_quote("say \"hi\"", "'say \\\"hi\\\"'");
    expect_quote("a\nb\rc\td\be\ff", "'a\\nb\\rc\\td\\be\\ff'");
    expect_quote("\x01\x1f\x7f", "'\\u0001\\u001f\\u007f'");
    expect_quote("Zo\xc3\xab \xe5\xb1\xb1\xe7\x94\xb0 \xf0\x9f\x9a\x80", "'Zo\xc3\xab \xe5\xb1\xb1\xe7\x94\xb0 \xf0\x9f\x9a\x80'");
    /* every quote in the output is escaped except the two delimiters */
    const char *nasty = "'''\\\\'\\'";
    ucrm_buf_t b = UCRM_BUF_INIT;
    sf_soql__quote(&b, nasty, strlen(nasty));
    const char *q = ucrm_buf__str(&b);
    size_t n = strlen(q), bs = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        if (q[i] == '\'')
            assert_true(bs % 2 == 1);
        bs = q[i] == '\\' ? bs + 1 : 0;
    }
    assert_true(bs % 2 == 0);
    ucrm_buf__free(&b);
}

static void test_salesforce_units__soql_datetime(void **state) {
    (void)state;
    ucrm_buf_t b = UCRM_BUF_INIT;
    sf_soql__datetime(&b, INT64_C(1704067200999)); /* 2024-01-01T00:00:00.999Z: whole seconds, floored */
    assert_string_equal(ucrm_buf__str(&b), "2024-01-01T00:00:00Z");
    ucrm_buf__reset(&b);
    sf_soql__datetime(&b, INT64_C(-1)); /* before the epoch floors too */
    assert_string_equal(ucrm_buf__str(&b), "1969-12-31T23:59:59Z");
    ucrm_buf__reset(&b);
    sf_soql__datetime_exact(&b, INT64_C(1704067200123));
    assert_string_equal(ucrm_buf__str(&b), "2024-01-01T00:00:00.123Z");
    ucrm_buf__reset(&b);
    sf_soql__datetime_exact(&b, INT64_C(1704067200000));
    assert_string_equal(ucrm_buf__str(&b), "2024-01-01T00:00:00Z");
    ucrm_buf__free(&b);
}

/* ============================================================================================== usage */

static void usage_of(const char *header, ucrm_usage_t *u) {
    ucrm_resp_t r;
    memset(&r, 0, sizeof r);
    r.status = 200;
    if (header)
        ucrm_hdrs__add(&r.headers, "sforce-limit-info", header);
    memset(u, 0, sizeof *u);
    P->read_usage(NULL, &r, u);
    ucrm_resp__free(&r);
}

static void test_salesforce_units__limit_info(void **state) {
    (void)state;
    ucrm_usage_t u;
    usage_of("api-usage=18/5000", &u);
    assert_true(u.has_daily);
    assert_int_equal(u.daily_max, 5000);
    assert_int_equal(u.daily_remaining, 4982);
    usage_of("api-usage=100/100; api-bursts=1/750", &u);
    assert_true(u.has_daily);
    assert_int_equal(u.daily_remaining, 0);
    usage_of("per-app-api-usage=17/250(appName=sample-connected-app), api-usage=40/15000", &u);
    assert_true(u.has_daily);
    assert_int_equal(u.daily_max, 15000);
    assert_int_equal(u.daily_remaining, 14960);
    usage_of("per-app-api-usage=17/250(appName=x)", &u);
    assert_false(u.has_daily);
    static const char *const bad[] = {"api-usage=", "api-usage=abc/def", "api-usage=5/0", "api-usage=5",
                                      "api-usage=99999999999999999999/1", "garbage", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        usage_of(bad[i], &u);
        assert_false(u.has_daily);
    }
    usage_of(NULL, &u);
    assert_false(u.has_daily);
    assert_false(u.has_window);
}

/* ============================================================================================== tokens */

static ucrm_conf_t *conf_with(const char *const *kv) {
    ucrm_conf_t *c = ucrm_conf_new();
    sft_set(c, "provider", "salesforce");
    for (size_t i = 0; kv[i]; i += 2)
        sft_set(c, kv[i], kv[i + 1]);
    return c;
}

/* The form body of the token request of grant with the given configuration. */
static char *token_body(const char *const *kv, ucrm_grant_t grant, const char *refresh, char *url_out) {
    ucrm_conf_t *conf = conf_with(kv);
    void *st = NULL;
    ucrm_error_t *e = NULL;
    sft_ok(P->init(conf, &st, &e), &e);
    ucrm_req_t req;
    ucrm_req__init(&req, "POST", UCRM_RETRY_SAFE);
    ucrm_token_t cur = {0};
    cur.refresh_token = (char *)refresh;
    sft_ok(P->token_request(st, conf, grant, &cur, &req, &e), &e);
    assert_string_equal(req.content_type, "application/x-www-form-urlencoded");
    if (url_out)
        strcpy(url_out, ucrm_buf__str(&req.url));
    char *body = strdup(ucrm_buf__str(&req.body));
    ucrm_req__free(&req);
    P->term(st);
    ucrm_conf_destroy(conf);
    return body;
}

static void test_salesforce_units__token_requests(void **state) {
    (void)state;
    char url[256];
    const char *kv[] = {"auth.token.url", "https://test.salesforce.com/", "auth.client.id", "key",
                        "auth.client.secret", "s&cr=t", "auth.refresh.token", "r+1", NULL};
    char *b = token_body(kv, UCRM_GRANT_REFRESH_TOKEN, "r+1", url);
    assert_string_equal(url, "https://test.salesforce.com/services/oauth2/token");
    assert_string_equal(b, "grant_type=refresh_token&client_id=key&client_secret=s%26cr%3Dt&refresh_token=r%2B1");
    free(b);
    /* client_secret is optional for the refresh-token flow (A9) */
    const char *nosecret[] = {"auth.client.id", "key", "auth.refresh.token", "r", NULL};
    b = token_body(nosecret, UCRM_GRANT_REFRESH_TOKEN, "r", url);
    assert_string_equal(url, "https://login.salesforce.com/services/oauth2/token");
    assert_string_equal(b, "grant_type=refresh_token&client_id=key&refresh_token=r");
    free(b);
    const char *cc[] = {"auth.token.url", "https://acme.my.salesforce.com", "auth.client.id", "key",
                        "auth.client.secret", "sec", NULL};
    b = token_body(cc, UCRM_GRANT_CLIENT_CREDENTIALS, NULL, url);
    assert_string_equal(b, "grant_type=client_credentials&client_id=key&client_secret=sec");
    free(b);
}

static char *b64url_decode(const char *s, size_t n, size_t *outlen) {
    char *in = malloc(n + 4);
    size_t m = n;
    for (size_t i = 0; i < n; i++)
        in[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    while (m % 4)
        in[m++] = '=';
    unsigned char *out = malloc(m);
    int len = EVP_DecodeBlock(out, (unsigned char *)in, (int)m);
    assert_true(len >= 0);
    len -= (int)(m - n);
    free(in);
    *outlen = (size_t)len;
    out[len] = '\0';
    return (char *)out;
}

static char *url_decode(const char *s, size_t n) {
    char *o = malloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n) {
            char h[3] = {s[i + 1], s[i + 2], 0};
            o[k++] = (char)strtol(h, NULL, 16);
            i += 2;
        } else {
            o[k++] = s[i];
        }
    }
    o[k] = '\0';
    return o;
}

static void test_salesforce_units__jwt_assertion(void **state) {
    (void)state;
    char key[] = "/tmp/ucrm-sf-units-key-XXXXXX";
    EVP_PKEY *pk = EVP_RSA_gen(2048);
    FILE *f = fdopen(mkstemp(key), "w");
    PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    const char *kv[] = {"auth.client.id", "3MVG9.consumer", "auth.jwt.key.file", key, "auth.jwt.subject",
                        "api@acme.example", "auth.jwt.audience", "https://test.salesforce.com", NULL};
    char *body = token_body(kv, UCRM_GRANT_JWT_BEARER, NULL, NULL);
    const char *pre = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
    assert_int_equal(strncmp(body, pre, strlen(pre)), 0);
    char *jwt = url_decode(body + strlen(pre), strlen(body + strlen(pre)));
    char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    assert_non_null(d2);
    size_t hl, cl, sl;
    char *hdr = b64url_decode(jwt, (size_t)(d1 - jwt), &hl);
    char *claims = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cl);
    char *sig = b64url_decode(d2 + 1, strlen(d2 + 1), &sl);
    cJSON *h = cJSON_Parse(hdr), *c = cJSON_Parse(claims);
    assert_string_equal(cJSON_GetObjectItem(h, "alg")->valuestring, "RS256");
    assert_string_equal(cJSON_GetObjectItem(c, "iss")->valuestring, "3MVG9.consumer");
    assert_string_equal(cJSON_GetObjectItem(c, "sub")->valuestring, "api@acme.example");
    assert_string_equal(cJSON_GetObjectItem(c, "aud")->valuestring, "https://test.salesforce.com");
    double exp = cJSON_GetObjectItem(c, "exp")->valuedouble, now = (double)time(NULL);
    assert_true(exp >= now + 170 && exp <= now + 190);
    /* the signature verifies with the public key over header.claims */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk), 1);
    assert_int_equal(EVP_DigestVerify(md, (unsigned char *)sig, sl, (unsigned char *)jwt, (size_t)(d2 - jwt)), 1);
    EVP_MD_CTX_free(md);
    cJSON_Delete(h);
    cJSON_Delete(c);
    free(hdr);
    free(claims);
    free(sig);
    free(jwt);
    free(body);
    EVP_PKEY_free(pk);
    unlink(key);
}

static ucrm_err_t parse_token(const char *body, ucrm_token_t *t, ucrm_error_t **e) {
    ucrm_resp_t r;
    memset(&r, 0, sizeof r);
    r.status = 200;
    ucrm_buf__puts(&r.body, body);
    memset(t, 0, sizeof *t);
    ucrm_err_t rc = P->token_parse(NULL, &r, t, e);
    ucrm_resp__free(&r);
    return rc;
}

static void test_salesforce_units__token_responses(void **state) {
    (void)state;
    ucrm_token_t t;
    ucrm_error_t *e = NULL;
    char body[512];
    long long now = (long long)time(NULL) * 1000;
    snprintf(body, sizeof body,
             "{\"access_token\":\"00D!AQ\",\"instance_url\":\"https://acme.my.salesforce.com/\",\"id\":\"x\","
             "\"token_type\":\"Bearer\",\"issued_at\":\"%lld\",\"signature\":\"s\"}",
             now - 1000);
    sft_ok(parse_token(body, &t, &e), &e);
    assert_string_equal(t.access_token, "00D!AQ");
    assert_string_equal(t.instance_url, "https://acme.my.salesforce.com");
    assert_null(t.refresh_token);
    assert_int_equal(t.expires_at_ms, 0);
    assert_int_equal(t.issued_at_ms, now - 1000);
    ucrm_token__clear(&t);
    /* issued_at in seconds (what the docs say), and one far from this host's clock (not trusted: 0 = now) */
    snprintf(body, sizeof body, "{\"access_token\":\"a\",\"issued_at\":\"%lld\",\"refresh_token\":\"rot\"}", now / 1000);
    sft_ok(parse_token(body, &t, &e), &e);
    assert_int_equal(t.issued_at_ms, now / 1000 * 1000);
    assert_string_equal(t.refresh_token, "rot");
    assert_null(t.instance_url);
    ucrm_token__clear(&t);
    sft_ok(parse_token("{\"access_token\":\"a\",\"issued_at\":\"1708058728442\"}", &t, &e), &e);
    assert_int_equal(t.issued_at_ms, 0);
    ucrm_token__clear(&t);
    sft_ok(parse_token("{\"access_token\":\"a\",\"instance_url\":\"http://127.0.0.1:8080\"}", &t, &e), &e);
    ucrm_token__clear(&t);
    static const char *const bad[] = {
        "", "{\"access_token\":", "[]", "{\"access_token\":\"\"}", "{\"access_token\":7}",
        "{\"access_token\":\"a\",\"token_type\":\"MAC\"}",
        "{\"access_token\":\"a\",\"instance_url\":\"http://evil.example\"}",
        "{\"access_token\":\"a\",\"instance_url\":\"https://user@evil.example\"}",
        "{\"access_token\":\"a\",\"instance_url\":\"ftp://acme.example\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ucrm_err_t rc = parse_token(bad[i], &t, &e);
        if (rc != UCRM_ERR_PROTOCOL)
            fail_msg("case %zu: %s", i, ucrm_err_name(rc));
        assert_null(t.access_token);
        assert_null(strstr(ucrm_error_message(e), "access_token\":"));
        ucrm_error_destroy(e);
        e = NULL;
    }
}

static ucrm_error_t *token_error(int grant, int status, const char *body, ucrm_errclass_t *cls) {
    sf_state_t st;
    memset(&st, 0, sizeof st);
    st.grant = grant;
    ucrm_req_t req;
    ucrm_req__init(&req, "POST", UCRM_RETRY_SAFE);
    req.flags = UCRM_REQ_NO_AUTH | UCRM_REQ_ABSOLUTE;
    ucrm_resp_t r;
    memset(&r, 0, sizeof r);
    r.status = status;
    ucrm_buf__puts(&r.body, body);
    memset(cls, 0, sizeof *cls);
    ucrm_error_t *e = P->parse_error(&st, &req, &r, cls);
    ucrm_resp__free(&r);
    ucrm_req__free(&req);
    return e;
}

static void test_salesforce_units__token_errors(void **state) {
    (void)state;
    ucrm_errclass_t cls;
    ucrm_error_t *e = token_error(UCRM_GRANT_REFRESH_TOKEN, 400,
                                  "{\"error\":\"invalid_grant\",\"error_description\":\"expired access/refresh token\"}", &cls);
    assert_int_equal(ucrm_error_code(e), UCRM_ERR_AUTH);
    assert_string_equal(ucrm_error_provider_code(e), "invalid_grant");
    assert_non_null(strstr(ucrm_error_message(e), "re-authorisation is needed"));
    assert_non_null(strstr(ucrm_error_message(e), "expired access/refresh token"));
    assert_false(cls.retriable || cls.auth_expired);
    ucrm_error_destroy(e);
    e = token_error(UCRM_GRANT_JWT_BEARER, 400,
                    "{\"error\":\"invalid_grant\",\"error_description\":\"user hasn't approved this consumer\"}", &cls);
    assert_non_null(strstr(ucrm_error_message(e), "pre-authorised"));
    ucrm_error_destroy(e);
    e = token_error(UCRM_GRANT_CLIENT_CREDENTIALS, 400,
                    "{\"error\":\"invalid_client\",\"error_description\":\"invalid client credentials\"}", &cls);
    assert_int_equal(ucrm_error_code(e), UCRM_ERR_AUTH);
    assert_non_null(strstr(ucrm_error_message(e), "auth.client.secret"));
    ucrm_error_destroy(e);
    e = token_error(UCRM_GRANT_REFRESH_TOKEN, 503, "<html>down</html>", &cls);
    assert_int_equal(ucrm_error_code(e), UCRM_ERR_PROVIDER);
    assert_true(cls.retriable);
    ucrm_error_destroy(e);
    e = token_error(UCRM_GRANT_REFRESH_TOKEN, 400, "\x01\xff not json", &cls);
    assert_int_equal(ucrm_error_code(e), UCRM_ERR_AUTH);
    assert_int_equal(ucrm_error_http_status(e), 400);
    ucrm_error_destroy(e);
}

/* ============================================================================================== configuration */

static ucrm_err_t client_with(const char *const *kv, ucrm_error_t **e) {
    ucrm_conf_t *conf = conf_with(kv);
    ucrm_client_t *c = NULL;
    ucrm_err_t rc = ucrm_client_new(&c, conf, e);
    ucrm_client_destroy(c);
    ucrm_conf_destroy(conf);
    return rc;
}

static void want_conf_error(const char *const *kv, const char *fragment) {
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = client_with(kv, &e);
    if (rc != UCRM_ERR_CONF_INVALID || !strstr(ucrm_error_message(e), fragment))
        fail_msg("%s: %s (want CONF_INVALID with '%s')", ucrm_err_name(rc), ucrm_error_message(e), fragment);
    ucrm_error_destroy(e);
}

static void test_salesforce_units__conf_checks(void **state) {
    (void)state;
    ucrm_error_t *e = NULL;
    const char *stat[] = {"auth.access.token", "00D!x", NULL};
    want_conf_error(stat, "api.url");
    const char *stat_ok[] = {"auth.access.token", "00D!x", "api.url", "https://acme.my.salesforce.com", NULL};
    sft_ok(client_with(stat_ok, &e), &e);
    const char *cc[] = {"auth.method", "client_credentials", "auth.client.id", "k", "auth.client.secret", "s", NULL};
    want_conf_error(cc, "My Domain");
    const char *cc_ok[] = {"auth.method", "client_credentials", "auth.client.id", "k", "auth.client.secret", "s",
                           "auth.token.url", "https://acme.my.salesforce.com", NULL};
    sft_ok(client_with(cc_ok, &e), &e);
    const char *ph[] = {"auth.refresh.token", "r", "auth.client.id", "k", "mapping.contact.phone_numbers", "Phone__c",
                        NULL};
    want_conf_error(ph, "cannot be remapped");
    const char *dot[] = {"auth.refresh.token", "r", "auth.client.id", "k", "mapping.contact.title", "Account.Name",
                         NULL};
    want_conf_error(dot, "not a Salesforce field API name");
    const char *idt[] = {"auth.refresh.token", "r", "auth.client.id", "k", "mapping.contact.title", "id", NULL};
    want_conf_error(idt, "not Id");
    const char *col[] = {"auth.refresh.token", "r", "auth.client.id", "k", "mapping.contact.title", "email", NULL};
    want_conf_error(col, "both be the Salesforce field");

    /* JWT keys: EC, encrypted, not PEM */
    char ec[] = "/tmp/ucrm-sf-units-ec-XXXXXX", enc[] = "/tmp/ucrm-sf-units-enc-XXXXXX",
         junk[] = "/tmp/ucrm-sf-units-junk-XXXXXX";
    EVP_PKEY *k = EVP_EC_gen("P-256");
    FILE *f = fdopen(mkstemp(ec), "w");
    PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    EVP_PKEY_free(k);
    k = EVP_RSA_gen(2048);
    f = fdopen(mkstemp(enc), "w");
    PEM_write_PrivateKey(f, k, EVP_aes_128_cbc(), (unsigned char *)"pass", 4, NULL, NULL);
    fclose(f);
    EVP_PKEY_free(k);
    f = fdopen(mkstemp(junk), "w");
    fputs("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n", f);
    fclose(f);
    const char *jwt[] = {"auth.client.id", "k", "auth.jwt.subject", "u", "auth.jwt.key.file", ec, NULL};
    want_conf_error(jwt, "not an RSA key");
    jwt[5] = enc;
    want_conf_error(jwt, "encrypted");
    jwt[5] = junk;
    want_conf_error(jwt, "no PEM private key");
    unlink(ec);
    unlink(enc);
    unlink(junk);
    /* provider-scoped keys of the other provider, and retired versions, are the conf module's to refuse */
    ucrm_conf_t *conf = ucrm_conf_new();
    assert_int_equal(ucrm_conf_set(conf, "salesforce.api.version", "30.0", &e), UCRM_ERR_CONF_INVALID);
    ucrm_error_destroy(e);
    ucrm_conf_destroy(conf);
}

/* ============================================================================================== mapping */

static void test_salesforce_units__mapping_overrides(void **state) {
    (void)state;
    /* address moved to Other*, additional_emails onto a text field (';'-separated), deal.pipeline mapped */
    script_t *s = script_new();
    ucrm_conf_t *conf = conf_with((const char *const[]){
        "auth.access.token", "00D!x", "api.url", "https://acme.my.salesforce.com",
        "mapping.contact.address", "Other", "mapping.contact.additional_emails", "Emails__c",
        "mapping.contact.email", "Work_Email__c", NULL});
    script_install(s, conf);
    ucrm_client_t *c = NULL;
    ucrm_error_t *e = NULL;
    sft_ok(ucrm_client_new(&c, conf, &e), &e);
    script_expect(s, "GET",
                  "/services/data/v66.0/sobjects/Contact/003xx0000000001AAA?fields=Id,CreatedDate,SystemModstamp,"
                  "IsDeleted,FirstName,LastName,Work_Email__c,Emails__c,Phone,MobilePhone,HomePhone,OtherPhone,Fax,"
                  "AssistantPhone,Title,AccountId,OwnerId,OtherStreet,OtherCity,OtherState,OtherPostalCode,"
                  "OtherCountry",
                  NULL, 200, NULL,
                  "{\"Id\":\"003xx0000000001AAA\",\"work_email__c\":\"w@example.com\",\"Emails__c\":\" a@x.example ;;"
                  "b@x.example\",\"OtherCity\":\"Oslo\",\"Email\":\"not-mapped@example.com\"}");
    ucrm_record_t *r = NULL;
    sft_ok(ucrm_get(c, UCRM_OBJECT_CONTACT, "003xx0000000001AAA", NULL, &r, &e), &e);
    assert_string_equal(sft_str(r, "email"), "w@example.com"); /* names match case-insensitively */
    cJSON *em = sft_json(r, "additional_emails");
    assert_int_equal(cJSON_GetArraySize(em), 2);
    assert_string_equal(cJSON_GetArrayItem(em, 0)->valuestring, "a@x.example");
    cJSON_Delete(em);
    cJSON *a = sft_json(r, "address");
    assert_string_equal(cJSON_GetObjectItem(a, "city")->valuestring, "Oslo");
    cJSON_Delete(a);
    assert_string_equal(sft_str(r, "custom.Email"), "not-mapped@example.com");
    ucrm_record_set_json(r, "additional_emails", "[\"c@x.example\",\"d@x.example\"]");
    ucrm_record_set_json(r, "address", "{\"street\":\"1 Gate\"}");
    script_expect(s, "PATCH", "/services/data/v66.0/sobjects/Contact/003xx0000000001AAA",
                  "{\"Emails__c\":\"c@x.example;d@x.example\",\"OtherStreet\":\"1 Gate\",\"OtherCity\":null,"
                  "\"OtherState\":null,\"OtherPostalCode\":null,\"OtherCountry\":null}",
                  204, NULL, "");
    sft_ok(ucrm_update(c, r, NULL, &e), &e);
    ucrm_record_set_json(r, "additional_emails", "[\"semi;colon@x.example\"]");
    sft_want(ucrm_update(c, r, NULL, &e), &e, UCRM_ERR_VALIDATION);
    ucrm_record_destroy(r);
    /* search through a ';'-separated list matches one whole item, with LIKE wildcards escaped */
    ucrm_iter_t *it = NULL;
    sft_ok(ucrm_search(c, UCRM_OBJECT_CONTACT, "additional_emails", "a_b%@x.example", NULL, &it, &e), &e);
    ucrm_iter_destroy(it);
    assert_true(script_ok(s));
    assert_int_equal(script_remaining(s), 0);
    ucrm_client_destroy(c);
    ucrm_conf_destroy(conf);
    script_free(s);
}

static void test_salesforce_units__search_conditions(void **state) {
    (void)state;
    ucrm_conf_t *conf = conf_with((const char *const[]){"auth.access.token", "x", "api.url",
                                                        "https://acme.my.salesforce.com",
                                                        "mapping.contact.additional_emails", "Emails__c", NULL});
    void *st = NULL;
    ucrm_error_t *e = NULL;
    sft_ok(P->init(conf, &st, &e), &e);
    const sf_objmap_t *m = sf_map__obj(st, UCRM_OBJECT_CONTACT);
    const sf_objmap_t *d = sf_map__obj(st, UCRM_OBJECT_DEAL);
    struct {
        const sf_objmap_t *m;
        const char *field, *value, *want;
    } cases[] = {
        {m, "email", "a@b.example", "Email = 'a@b.example'"},
        {m, "email", "", "Email = null"},
        {m, "id", "003xx0000000001AAA", "Id = '003xx0000000001AAA'"},
        {m, "custom.Code__c", "7", "Code__c = '7'"},
        {m, "phone_numbers", "1", "(Phone = '1' OR MobilePhone = '1' OR HomePhone = '1' OR OtherPhone = '1' OR "
                                  "Fax = '1' OR AssistantPhone = '1')"},
        {m, "additional_emails", "a_b%",
         "(Emails__c = 'a_b%' OR Emails__c LIKE 'a\\_b\\%;%' OR Emails__c LIKE '%;a\\_b\\%' OR "
         "Emails__c LIKE '%;a\\_b\\%;%')"},
        {m, "created_at", "2024-05-01T12:00:00.750+02:00", "CreatedDate = 2024-05-01T10:00:00Z"},
        {m, "is_deleted", "TRUE", "IsDeleted = true"},
        {d, "amount", "+1500.10", "Amount = 1500.10"},
        {d, "probability", "75", "Probability = 75"},
        {d, "close_date", "2024-02-29", "CloseDate = 2024-02-29"},
        {d, "status", "lost", "(IsClosed = true AND IsWon = false)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ucrm_buf_t q = UCRM_BUF_INIT;
        ucrm_err_t rc = sf_soql__search_cond(cases[i].m, cases[i].field, cases[i].value, &q, &e);
        if (rc != UCRM_OK || strcmp(ucrm_buf__str(&q), cases[i].want) != 0)
            fail_msg("case %zu: %s [%s] want [%s]", i, ucrm_error_message(e), ucrm_buf__str(&q), cases[i].want);
        ucrm_buf__free(&q);
    }
    static const struct {
        const char *field, *value;
    } bad[] = {{"close_date", "2024-02-30"}, {"close_date", "2024-01-01T00:00:00Z"}, {"amount", "1e5"},
               {"amount", "1.5.2"},          {"probability", "NaN"},            {"is_deleted", "yes"},
               {"status", "Open"},           {"created_at", "yesterday"},      {"name", NULL}};
    for (size_t i = 0; bad[i].value; i++) {
        ucrm_buf_t q = UCRM_BUF_INIT;
        const sf_objmap_t *mm = strcmp(bad[i].field, "is_deleted") == 0 || strcmp(bad[i].field, "created_at") == 0 ? m : d;
        sft_want(sf_soql__search_cond(mm, bad[i].field, bad[i].value, &q, &e), &e, UCRM_ERR_INVALID_ARG);
        ucrm_buf__free(&q);
    }
    P->term(st);
    ucrm_conf_destroy(conf);
}

static void test_salesforce_units__passthrough_paths(void **state) {
    (void)state;
    void *st = NULL;
    ucrm_conf_t *conf = conf_with((const char *const[]){"salesforce.api.version", "62.0", NULL});
    ucrm_error_t *e = NULL;
    sft_ok(P->init(conf, &st, &e), &e);
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"/services/data/{version}/limits", "/services/data/v62.0/limits"},
        {"/sobjects/Account/describe", "/services/data/v62.0/sobjects/Account/describe"},
        {"/services/apexrest/{version}/x/{version}", "/services/apexrest/v62.0/x/v62.0"},
        {"/services/oauth2/userinfo", "/services/oauth2/userinfo"},
        {"/", "/services/data/v62.0/"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ucrm_req_t req;
        ucrm_req__init(&req, "GET", UCRM_RETRY_SAFE);
        sft_ok(P->passthrough_prepare(st, cases[i].in, &req, &e), &e);
        assert_string_equal(ucrm_buf__str(&req.url), cases[i].out);
        ucrm_req__free(&req);
    }
    P->term(st);
    ucrm_conf_destroy(conf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_salesforce_units__soql_quote),
        cmocka_unit_test(test_salesforce_units__soql_datetime),
        cmocka_unit_test(test_salesforce_units__limit_info),
        cmocka_unit_test(test_salesforce_units__token_requests),
        cmocka_unit_test(test_salesforce_units__jwt_assertion),
        cmocka_unit_test(test_salesforce_units__token_responses),
        cmocka_unit_test(test_salesforce_units__token_errors),
        cmocka_unit_test(test_salesforce_units__conf_checks),
        cmocka_unit_test(test_salesforce_units__mapping_overrides),
        cmocka_unit_test(test_salesforce_units__search_conditions),
        cmocka_unit_test(test_salesforce_units__passthrough_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
