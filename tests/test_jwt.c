/*
 * test_jwt.c -- RS256 JSON Web Tokens (src/jwt.c): base64url, signatures verified with the public key, PKCS#1
 * and PKCS#8 keys, and every key file that cannot be used.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "error_int.h"
#include "jwt_int.h"

static void test_jwt__b64url(void **state) {
    (void)state;
    /* RFC 4648 section 10 vectors, without padding */
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const out[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        char *s = ucrm__b64url_encode(in[i], strlen(in[i]));
        assert_string_equal(s, out[i]);
        ucrm__free(s);
    }
    /* the URL-safe alphabet */
    const unsigned char bytes[] = {0xfb, 0xff, 0xbf};
    char *s = ucrm__b64url_encode(bytes, sizeof bytes);
    assert_string_equal(s, "-_-_");
    ucrm__free(s);
}

static char *write_key(EVP_PKEY *pk, int traditional) {
    char *path = strdup("/tmp/ucrm-jwt-test-XXXXXX");
    FILE *f = fdopen(mkstemp(path), "w");
    if (traditional) {
        BIO *b = BIO_new_fp(f, BIO_NOCLOSE);
        assert_int_equal(PEM_write_bio_PrivateKey_traditional(b, pk, NULL, NULL, 0, NULL, NULL), 1);
        BIO_free(b);
    } else
        assert_int_equal(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    return path;
}

static unsigned char *b64url_decode(const char *s, size_t n, size_t *len) {
    char *in = malloc(n + 4);
    size_t m = n;
    for (size_t i = 0; i < n; i++)
        in[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    while (m % 4)
        in[m++] = '=';
    unsigned char *out = malloc(m + 1);
    int l = EVP_DecodeBlock(out, (unsigned char *)in, (int)m);
    free(in);
    assert_true(l >= 0);
    *len = (size_t)l - (m - n);
    out[*len] = '\0';
    return out;
}

static void sign_and_verify(int traditional) {
    EVP_PKEY *pk = EVP_RSA_gen(2048);
    char *path = write_key(pk, traditional);
    char *jwt = NULL;
    ucrm_error_t *e = NULL;
    const char *hdr = "{\"alg\":\"RS256\"}", *claims = "{\"iss\":\"me\",\"exp\":1}";
    assert_int_equal(ucrm_jwt__sign_rs256(path, hdr, claims, &jwt, &e), UCRM_OK);
    assert_null(e);
    char *d1 = strchr(jwt, '.'), *d2 = strrchr(jwt, '.');
    assert_true(d1 && d2 && d1 != d2);
    size_t hl, cl, sl;
    unsigned char *h = b64url_decode(jwt, (size_t)(d1 - jwt), &hl);
    unsigned char *c = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cl);
    unsigned char *sig = b64url_decode(d2 + 1, strlen(d2 + 1), &sl);
    assert_string_equal((char *)h, hdr);
    assert_string_equal((char *)c, claims);
    assert_int_equal(sl, 256);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk), 1);
    assert_int_equal(EVP_DigestVerify(md, sig, sl, (unsigned char *)jwt, (size_t)(d2 - jwt)), 1);
    /* and not over anything else */
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk), 1);
    assert_int_not_equal(EVP_DigestVerify(md, sig, sl, (unsigned char *)jwt, (size_t)(d2 - jwt) - 1), 1);
    EVP_MD_CTX_free(md);
    assert_null(strchr(jwt, '=')); /* no padding */
    assert_null(strchr(jwt, '+'));
    assert_null(strchr(jwt, '/'));
    free(h);
    free(c);
    free(sig);
    ucrm__free_secret(jwt);
    unlink(path);
    free(path);
    EVP_PKEY_free(pk);
}

static void test_jwt__pkcs8_key_signs_verifiably(void **state) {
    (void)state;
    sign_and_verify(0);
}

static void test_jwt__pkcs1_key_signs_verifiably(void **state) {
    (void)state;
    sign_and_verify(1);
}

static void want_bad(const char *path, const char *fragment) {
    ucrm_error_t *e = NULL;
    char *jwt = (char *)"untouched";
    ucrm_err_t rc = ucrm_jwt__sign_rs256(path, "{}", "{}", &jwt, &e);
    assert_int_equal(rc, UCRM_ERR_CONF_INVALID);
    assert_null(jwt);
    if (!strstr(ucrm_error_message(e), fragment))
        fail_msg("'%s' lacks '%s'", ucrm_error_message(e), fragment);
    ucrm_error_destroy(e);
    e = NULL;
    assert_int_equal(ucrm_jwt__check_key(path, &e), UCRM_ERR_CONF_INVALID);
    ucrm_error_destroy(e);
}

static void test_jwt__unusable_keys(void **state) {
    (void)state;
    want_bad("/nonexistent/key.pem", "cannot open");
    want_bad("/tmp", "not a regular file");
    char empty[] = "/tmp/ucrm-jwt-empty-XXXXXX";
    close(mkstemp(empty));
    want_bad(empty, "not a regular file");
    unlink(empty);
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    char *p = write_key(ec, 0);
    want_bad(p, "not an RSA key");
    unlink(p);
    free(p);
    EVP_PKEY_free(ec);
    EVP_PKEY *rsa = EVP_RSA_gen(2048);
    char enc[] = "/tmp/ucrm-jwt-enc-XXXXXX";
    FILE *f = fdopen(mkstemp(enc), "w");
    PEM_write_PrivateKey(f, rsa, EVP_aes_256_cbc(), (unsigned char *)"secret", 6, NULL, NULL);
    fclose(f);
    want_bad(enc, "encrypted");
    unlink(enc);
    /* a public key only */
    char pub[] = "/tmp/ucrm-jwt-pub-XXXXXX";
    f = fdopen(mkstemp(pub), "w");
    PEM_write_PUBKEY(f, rsa);
    fclose(f);
    want_bad(pub, "no PEM private key");
    unlink(pub);
    EVP_PKEY_free(rsa);
    /* bigger than any key */
    char big[] = "/tmp/ucrm-jwt-big-XXXXXX";
    f = fdopen(mkstemp(big), "w");
    for (int i = 0; i < 70000; i++)
        fputc('A', f);
    fclose(f);
    want_bad(big, "KiB");
    unlink(big);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt__b64url),
        cmocka_unit_test(test_jwt__pkcs8_key_signs_verifiably),
        cmocka_unit_test(test_jwt__pkcs1_key_signs_verifiably),
        cmocka_unit_test(test_jwt__unusable_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
