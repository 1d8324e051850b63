/*
 * jwt.c -- RS256 JSON Web Tokens through OpenSSL 3 EVP (see jwt_int.h).
 */
#include "jwt_int.h"

#include "error_int.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define KEY_FILE_MAX (64 * 1024) /* a 16384-bit RSA key in PEM is about 13 KiB */


/* Reads the whole file (at most KEY_FILE_MAX bytes) into *buf (wipe and free it). */
static ucrm_err_t read_key_file(const char *path, char **buf, size_t *len, ucrm_error_t **errp) {
    *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ucrm__fail(errp, UCRM_ERR_CONF_INVALID, "auth.jwt.key.file: cannot open '%s': %s", path,
                          strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > KEY_FILE_MAX) {
        fclose(f);
        return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                          "auth.jwt.key.file: '%s' is not a regular file of 1 byte to %d KiB", path,
                          KEY_FILE_MAX / 1024);
    }
    char *b = ucrm__malloc((size_t)st.st_size + 1);
    if (!b) {
        fclose(f);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    size_t n = fread(b, 1, (size_t)st.st_size, f);
    fclose(f);
    b[n] = '\0';
    *buf = b;
    *len = n;
    return UCRM_OK;
}

static void wipe_free(char *b, size_t n) {
    if (b) {
        OPENSSL_cleanse(b, n);
        ucrm__free(b);
    }
}

/* PEM pass-phrase callback: no pass-phrase is configured, so an encrypted key fails to load. */
static int no_passphrase(char *buf, int size, int rwflag, void *u) {
    (void)buf;
    (void)size;
    (void)rwflag;
    *(int *)u = 1;
    return -1;
}

static ucrm_err_t load_key(const char *path, EVP_PKEY **out, ucrm_error_t **errp) {
    char *buf;
    size_t len = 0;
    *out = NULL;
    ucrm_err_t rc = read_key_file(path, &buf, &len, errp);
    if (rc < 0)
        return rc;
    int asked = 0;
    BIO *bio = BIO_new_mem_buf(buf, (int)len);
    EVP_PKEY *pk = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &asked) : NULL;
    BIO_free(bio);
    wipe_free(buf, len);
    ERR_clear_error(); /* leave no entries behind for the application's own OpenSSL use */
    if (!pk && !bio)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    if (!pk)
        return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                          asked ? "auth.jwt.key.file: '%s' holds an encrypted private key; an unencrypted PEM key is "
                                  "needed"
                                : "auth.jwt.key.file: '%s' holds no PEM private key",
                          path);
    if (!EVP_PKEY_is_a(pk, "RSA")) {
        EVP_PKEY_free(pk);
        return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                          "auth.jwt.key.file: '%s' is not an RSA key (RS256, the only algorithm Salesforce accepts, "
                          "needs one)",
                          path);
    }
    *out = pk;
    return UCRM_OK;
}

ucrm_err_t ucrm_jwt__check_key(const char *pem_file, ucrm_error_t **errp) {
    EVP_PKEY *pk;
    ucrm_err_t rc = load_key(pem_file, &pk, errp);
    EVP_PKEY_free(pk);
    return rc;
}

/* Signs data[0..n) with SHA-256 and PKCS#1 v1.5 padding; *sig is allocated. */
static ucrm_err_t sign(EVP_PKEY *pk, const char *data, size_t n, unsigned char **sig, size_t *siglen,
                       ucrm_error_t **errp) {
    *sig = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t len = 0;
    bool ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
              EVP_DigestSign(md, NULL, &len, (const unsigned char *)data, n) == 1 && len > 0;
    if (ok && !(*sig = ucrm__malloc(len))) {
        EVP_MD_CTX_free(md);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    ok = ok && EVP_DigestSign(md, *sig, &len, (const unsigned char *)data, n) == 1;
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    if (!ok) {
        ucrm__free(*sig);
        *sig = NULL;
        return md ? ucrm__fail(errp, UCRM_ERR_FAIL, "OpenSSL could not sign the JWT assertion")
                  : ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    *siglen = len;
    return UCRM_OK;
}

ucrm_err_t ucrm_jwt__sign_rs256(const char *pem_file, const char *header_json, const char *claims_json, char **out,
                                ucrm_error_t **errp) {
    *out = NULL;
    EVP_PKEY *pk;
    ucrm_err_t rc = load_key(pem_file, &pk, errp);
    if (rc < 0)
        return rc;
    char *h = ucrm__b64url_encode(header_json, strlen(header_json));
    char *c = ucrm__b64url_encode(claims_json, strlen(claims_json));
    ucrm_buf_t tok = UCRM_BUF_INIT;
    if (h && c) {
        ucrm_buf__puts(&tok, h);
        ucrm_buf__putc(&tok, '.');
        ucrm_buf__puts(&tok, c);
    }
    ucrm__free(h);
    ucrm__free(c);
    if (!h || !c || tok.oom) {
        EVP_PKEY_free(pk);
        ucrm_buf__free(&tok);
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    unsigned char *sig = NULL;
    size_t siglen = 0;
    rc = sign(pk, tok.ptr, tok.len, &sig, &siglen, errp);
    EVP_PKEY_free(pk);
    char *s = rc == UCRM_OK ? ucrm__b64url_encode(sig, siglen) : NULL;
    ucrm__free(sig);
    if (rc == UCRM_OK) {
        ucrm_buf__putc(&tok, '.');
        ucrm_buf__puts(&tok, s ? s : "");
        if (!s || tok.oom)
            rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    ucrm__free(s);
    if (rc == UCRM_OK) {
        *out = tok.ptr;
        return UCRM_OK;
    }
    if (tok.ptr)
        OPENSSL_cleanse(tok.ptr, tok.cap);
    ucrm_buf__free(&tok);
    return rc;
}
