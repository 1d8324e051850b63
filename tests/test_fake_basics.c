/*
 * test_fake_basics.c -- the command-line contract and control API of unicrm-fake: start/stop, stats schema,
 * reset, records read/seed, clock, unknown routes, keep-alive, Server-Timing, TLS mode.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include "helpers/fake_test.h"

static ucrm_fake_t *F;

static int group_setup(void **state)
{
    F = fake_start("--seed", "3", NULL);
    *state = F;
    return F ? 0 : -1;
}

static void test_fake_basics__start_and_bad_options(void **state)
{
    (void)state;
    assert_true(fake_port(F) > 0);
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%d", fake_port(F));
    assert_string_equal(fake_url(F), want);
    assert_null(fake_start("--no-such-option", NULL));
    assert_null(fake_start("--hubspot-rate", "ten", NULL));
    assert_null(fake_start("--faults", "429,meteor", NULL));
    assert_null(fake_start("--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key", NULL));
    assert_null(fake_start("--salesforce-custom-fields", "Contact.NoSuffix", NULL));
}

static void test_fake_basics__stats_schema(void **state)
{
    (void)state;
    cJSON_Delete(t_call(F, "GET", "/crm/v3/objects/contacts", T_PAT, NULL, 200));
    cJSON_Delete(t_call(F, "GET", "/crm/v3/objects/contacts/10001", T_PAT, NULL, 200));
    cJSON_Delete(t_call(F, "GET", "/crm/v3/objects/contacts/1", T_PAT, NULL, 404));
    cJSON_Delete(t_call(F, "GET", "/nowhere", NULL, NULL, 404));
    cJSON *s = t_call(F, "GET", "/__fake/stats", NULL, NULL, 200);
    static const char *const paths[] = {
        "requests.total", "requests.hubspot", "requests.salesforce", "requests.control", "status.200", "hubspot.requests",
        "hubspot.429", "hubspot.search_requests", "hubspot.search_429", "salesforce.requests", "salesforce.api_usage",
        "salesforce.limit_exceeded", "tokens_issued.hubspot", "tokens_issued.salesforce", "token_requests.hubspot",
        "token_requests.salesforce", "records.hubspot.contacts", "records.hubspot.companies", "records.hubspot.deals",
        "records.salesforce.Contact", "records.salesforce.Account", "records.salesforce.Opportunity",
        "faults_injected.429", "faults_injected.500", "faults_injected.503", "faults_injected.reset",
        "faults_injected.timeout", "faults_injected.badjson"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        if (!cJSON_IsNumber(t_at(s, paths[i])))
            print_message("stats lacks %s\n", paths[i]);
        assert_true(cJSON_IsNumber(t_at(s, paths[i])));
    }
    assert_true(cJSON_IsObject(t_at(s, "routes")));
    cJSON_Delete(s);
    assert_int_equal(fake_stat(F, "routes.GET /crm/v3/objects/{type}/{id}.200"), 1);
    assert_int_equal(fake_stat(F, "routes.GET /crm/v3/objects/{type}/{id}.404"), 1);
    assert_int_equal(fake_stat(F, "routes.GET /crm/v3/objects/{type}.200"), 1);
    assert_int_equal(fake_stat(F, "requests.hubspot"), 3);
    assert_int_equal(fake_stat(F, "hubspot.requests"), 3);
    assert_int_equal(fake_stat(F, "status.404"), 2);
    assert_int_equal(fake_stat(F, "records.hubspot.contacts"), 3);
    assert_int_equal(fake_stat(F, "records.salesforce.Opportunity"), 3);
    assert_int_equal(fake_stat(F, "no.such.path"), -1);
}

static void test_fake_basics__reset_clears_and_reseeds(void **state)
{
    (void)state;
    cJSON_Delete(t_call(F, "POST", "/crm/v3/objects/companies", T_PAT, "{\"properties\":{\"name\":\"X\"}}", 201));
    assert_int_equal(fake_stat(F, "records.hubspot.companies"), 4);
    assert_int_equal(fake_clock_advance(F, 5000), 0);
    assert_int_equal(fake_reset(F), 0);
    assert_int_equal(fake_stat(F, "records.hubspot.companies"), 3);
    assert_int_equal(fake_stat(F, "hubspot.requests"), 0);
    cJSON *c = t_call(F, "GET", "/__fake/clock", NULL, NULL, 200);
    assert_int_equal((int)t_num(c, "offset_ms"), 0);
    cJSON_Delete(c);
    /* deterministic seed: same ids after every reset */
    c = t_call(F, "GET", "/crm/v3/objects/contacts/10001", T_PAT, NULL, 200);
    assert_string_equal(t_str(c, "properties.email"), "seed.contact.1@example.com");
    cJSON_Delete(c);
}

static void test_fake_basics__records_seed_and_read(void **state)
{
    (void)state;
    cJSON *r = t_call(F, "POST", "/__fake/records/hubspot/contacts", NULL,
                      "[{\"email\":\"s1@example.com\",\"createdate\":\"2020-01-01T00:00:00Z\"},"
                      "{\"properties\":{\"email\":\"s2@example.com\"},\"archived\":true}]",
                      201);
    assert_int_equal(t_len(r, "ids"), 2);
    cJSON_Delete(r);
    r = t_call(F, "GET", "/__fake/records/hubspot/contacts", NULL, NULL, 200);
    assert_int_equal((int)t_num(r, "total"), 5);
    assert_string_equal(t_str(r, "records.3.properties.createdate"), "2020-01-01T00:00:00.000Z");
    assert_string_equal(t_str(r, "records.3.createdAt"), "2020-01-01T00:00:00.000Z");
    assert_string_equal(t_str(r, "records.0.associations.companies.results.0.id"), "10002");
    cJSON_Delete(r);
    r = t_call(F, "POST", "/__fake/records/salesforce/Account", NULL,
               "[{\"Name\":\"Old\",\"CreatedDate\":\"2021-11-06T17:38:40.000+0000\",\"IsDeleted\":true}]", 201);
    cJSON_Delete(r);
    r = t_call(F, "GET", "/__fake/records/salesforce/Account", NULL, NULL, 200);
    assert_int_equal((int)t_num(r, "total"), 4);
    assert_true(cJSON_IsTrue(t_at(r, "records.3.IsDeleted")));
    assert_string_equal(t_str(r, "records.3.CreatedDate"), "2021-11-06T17:38:40.000+0000");
    cJSON_Delete(r);
    cJSON_Delete(t_call(F, "POST", "/__fake/records/salesforce/Account", NULL, "[{\"Nope\":1}]", 400));
    cJSON_Delete(t_call(F, "POST", "/__fake/records/salesforce/Account", NULL, "{}", 400));
    cJSON_Delete(t_call(F, "GET", "/__fake/records/marketo/leads", NULL, NULL, 404));
    /* the control API is not a provider route */
    assert_int_equal(fake_stat(F, "hubspot.requests"), 0);
    assert_int_equal(fake_stat(F, "records.hubspot.contacts"), 4);
}

static void test_fake_basics__routing_errors(void **state)
{
    (void)state;
    cJSON_Delete(t_call(F, "GET", "/", NULL, NULL, 404));
    cJSON *e = t_call(F, "GET", "/crm/v3/nothing", T_PAT, NULL, 404);
    assert_string_equal(t_str(e, "status"), "error");
    cJSON_Delete(e);
    assert_null(t_call(F, "PUT", "/crm/v3/objects/contacts/10001", T_PAT, "{}", 405));
    char *tok = fake_salesforce_token(F);
    char line[400];
    const char *h[3];
    t_bearer(tok, line, sizeof line, h);
    free(tok);
    e = t_call(F, "GET", "/services/data/v59.0/nothing/here", h, NULL, 404);
    assert_string_equal(t_str(e, "0.errorCode"), "NOT_FOUND");
    cJSON_Delete(e);
    e = t_call(F, "PUT", "/services/data/v59.0/sobjects/Account/001000000000000AAA", h, "{}", 405);
    assert_string_equal(t_str(e, "0.errorCode"), "METHOD_NOT_ALLOWED");
    cJSON_Delete(e);
    cJSON_Delete(t_call(F, "GET", "/__fake/nothing", NULL, NULL, 404));
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    (void)p;
    (void)u;
    return s * n;
}

static size_t grab_header(char *p, size_t s, size_t n, void *u)
{
    if (n * s > 14 && strncasecmp(p, "Server-Timing:", 14) == 0)
        snprintf(u, 128, "%.*s", (int)(n * s), p);
    return s * n;
}

static void test_fake_basics__keep_alive_and_server_timing(void **state)
{
    (void)state;
    CURL *c = curl_easy_init();
    char url[160], timing[128] = "";
    snprintf(url, sizeof url, "%s/crm/v3/objects/contacts/10001", fake_url(F));
    struct curl_slist *hl = curl_slist_append(NULL, "Authorization: Bearer pat-test");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, grab_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, timing);
    long connects = -1;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(curl_easy_perform(c), CURLE_OK);
        curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
        assert_int_equal(connects, i == 0 ? 1 : 0); /* one connection, reused */
    }
    double dur = -1;
    assert_int_equal(sscanf(timing, "Server-Timing: app;dur=%lf", &dur), 1);
    assert_true(dur >= 0 && dur < 1000);
    assert_non_null(strchr(timing, '.'));
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
}

/* ------------------------------------------------------------------------------------------------ TLS */
static int make_cert(const char *certfile, const char *keyfile)
{
    EVP_PKEY *k = EVP_RSA_gen(2048);
    X509 *x = X509_new();
    if (!k || !x)
        return -1;
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1, 0);
    X509_set_issuer_name(x, n);
    int ok = X509_sign(x, k, EVP_sha256()) > 0;
    FILE *fc = fopen(certfile, "w"), *fk = fopen(keyfile, "w");
    ok = ok && fc && fk && PEM_write_X509(fc, x) == 1 && PEM_write_PrivateKey(fk, k, NULL, NULL, 0, NULL, NULL) == 1;
    if (fc)
        fclose(fc);
    if (fk)
        fclose(fk);
    X509_free(x);
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

static void test_fake_basics__tls_mode(void **state)
{
    (void)state;
    char dir[] = "/tmp/unicrm-fake-tls-XXXXXX", cert[64], key[64];
    assert_non_null(mkdtemp(dir));
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    assert_int_equal(make_cert(cert, key), 0);
    ucrm_fake_t *t = fake_start("--tls-cert", cert, "--tls-key", key, "--seed", "1", NULL);
    assert_non_null(t);
    assert_memory_equal(fake_url(t), "https://127.0.0.1:", 18);
    cJSON *j = t_call(t, "GET", "/crm/v3/objects/contacts/10001", T_PAT, NULL, 200);
    assert_string_equal(t_str(j, "properties.email"), "seed.contact.1@example.com");
    cJSON_Delete(j);
    char *tok = fake_salesforce_token(t);
    assert_non_null(tok);
    free(tok);
    assert_int_equal(fake_stat(t, "tokens_issued.salesforce"), 1);
    assert_int_equal(fake_stop(t), 0);
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fake_basics__start_and_bad_options, t_fake_reset),
        cmocka_unit_test_setup(test_fake_basics__stats_schema, t_fake_reset),
        cmocka_unit_test_setup(test_fake_basics__reset_clears_and_reseeds, t_fake_reset),
        cmocka_unit_test_setup(test_fake_basics__records_seed_and_read, t_fake_reset),
        cmocka_unit_test_setup(test_fake_basics__routing_errors, t_fake_reset),
        cmocka_unit_test_setup(test_fake_basics__keep_alive_and_server_timing, t_fake_reset),
        cmocka_unit_test(test_fake_basics__tls_mode),
    };
    return cmocka_run_group_tests(tests, group_setup, t_fake_stop);
}
