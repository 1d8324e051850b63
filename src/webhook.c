/*
 * webhook.c -- webhook signatures: HubSpot's v1/v2/v3 (inbound) and unicrm's own scheme for the application's
 * outbound webhooks. Facts: PROTOCOL.md B10 (HubSpot "validating requests" page, hubspot-api-nodejs
 * src/utils/signature.ts, hubspot-api-python hubspot/utils/signature.py).
 *
 * Every comparison is between decoded 32-byte digests with CRYPTO_memcmp. Decoding the received signature takes
 * time that depends on that signature only, which the sender already knows.
 */
#include "common_int.h"
#include "error_int.h"

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>

#define DIGEST_LEN 32
#define HUBSPOT_MAX_AGE_MS 300000 /* HubSpot: reject timestamps older than 5 minutes (SDKs: now - ts > 300000) */
#define OWN_DEFAULT_TOLERANCE_MS 300000

/* ---------------------------------------------------------------------------------------------- digests */

typedef struct part {
    const void *p;
    size_t n;
} part_t;

static EVP_MD *g_sha256;
static EVP_MAC *g_hmac;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* Fetched once: an explicit fetch per call would cost more than hashing a webhook. Shared read-only after. */
static void fetch_once(void) {
    g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    g_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static bool algos(void) {
    pthread_once(&g_once, fetch_once);
    return g_sha256 && g_hmac;
}

static bool sha256(const part_t *parts, size_t n, unsigned char out[DIGEST_LEN]) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    bool ok = md && EVP_DigestInit_ex(md, g_sha256, NULL) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = parts[i].n == 0 || EVP_DigestUpdate(md, parts[i].p, parts[i].n) == 1;
    ok = ok && EVP_DigestFinal_ex(md, out, &len) == 1 && len == DIGEST_LEN;
    EVP_MD_CTX_free(md);
    return ok;
}

static bool hmac_sha256(const char *key, const part_t *parts, size_t n, unsigned char out[DIGEST_LEN]) {
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(g_hmac);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    size_t len = 0;
    bool ok = ctx && EVP_MAC_init(ctx, (const unsigned char *)key, strlen(key), params) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = parts[i].n == 0 || EVP_MAC_update(ctx, parts[i].p, parts[i].n) == 1;
    ok = ok && EVP_MAC_final(ctx, out, &len, DIGEST_LEN) == 1 && len == DIGEST_LEN;
    EVP_MAC_CTX_free(ctx);
    return ok;
}

/* ---------------------------------------------------------------------------------------------- encodings */

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Exactly 64 hex digits (either case) -> 32 bytes. */
static bool hex_decode32(const char *s, size_t n, unsigned char out[DIGEST_LEN]) {
    if (n != 2 * DIGEST_LEN)
        return false;
    for (size_t i = 0; i < DIGEST_LEN; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

static int b64val(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == ' ') /* ' ': a '+' that went through form decoding somewhere */
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Standard base64 of exactly 32 bytes: 43 symbols, then one optional '='. The unused low bits of the last symbol
 * must be zero (one canonical text per digest). */
static bool b64_decode32(const char *s, size_t n, unsigned char out[DIGEST_LEN]) {
    if (n == 44 && s[43] == '=')
        n = 43;
    if (n != 43)
        return false;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val(s[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    return o == DIGEST_LEN && acc == 0;
}

static void b64_encode32(const unsigned char in[DIGEST_LEN], char out[48]) {
    EVP_EncodeBlock((unsigned char *)out, in, DIGEST_LEN); /* 44 chars + NUL */
}

/* s without surrounding spaces/tabs, as [*b, *b + *n). */
static void trim(const char *s, const char **b, size_t *n) {
    size_t len = strlen(s);
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    *b = s;
    *n = len;
}

/* A timestamp: 1..18 decimal digits, nothing else. */
static bool parse_ts(const char *s, size_t n, int64_t *out) {
    if (n == 0 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return ucrm__parse_i64_n(s, n, out);
}

static ucrm_err_t check_window(ucrm_error_t **errp, const char *what, int64_t ts, int64_t now, int64_t limit) {
    if (now - ts > limit)
        return ucrm__fail(errp, UCRM_ERR_AUTH, "%s: stale (timestamp %lld ms old, limit %lld ms)", what,
                          (long long)(now - ts), (long long)limit);
    if (ts - now > limit)
        return ucrm__fail(errp, UCRM_ERR_AUTH, "%s: timestamp %lld ms in the future (limit %lld ms)", what,
                          (long long)(ts - now), (long long)limit);
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- HubSpot */

/* The escapes HubSpot decodes in the URI before hashing for v3 (and only those). */
static int hubspot_unescape(const char *s) {
    static const struct {
        char hi, lo, c;
    } map[] = {{'3', 'A', ':'}, {'2', 'F', '/'}, {'3', 'F', '?'}, {'4', '0', '@'}, {'2', '1', '!'}, {'2', '4', '$'},
               {'2', '7', '\''}, {'2', '8', '('}, {'2', '9', ')'}, {'2', 'A', '*'}, {'2', 'C', ','}, {'3', 'B', ';'}};
    if (s[0] != '%' || !s[1] || !s[2])
        return -1;
    char lo = (char)(s[2] >= 'a' && s[2] <= 'f' ? s[2] - 'a' + 'A' : s[2]);
    for (size_t i = 0; i < UCRM__ARRAY_LEN(map); i++)
        if (map[i].hi == s[1] && map[i].lo == lo)
            return (unsigned char)map[i].c;
    return -1;
}

/* Decodes into buf (same length or shorter). One left-to-right pass equals HubSpot's successive replacements:
 * no replacement produces a '%' or a hex digit, so none can create a new escape. */
static bool hubspot_decode_uri(const char *url, ucrm_buf_t *buf) {
    size_t n = strlen(url);
    if (!ucrm_buf__reserve(buf, n + 1))
        return false;
    for (size_t i = 0; i < n; i++) {
        int c = url[i] == '%' ? hubspot_unescape(url + i) : -1;
        if (c >= 0) {
            buf->ptr[buf->len++] = (char)c;
            i += 2;
        } else {
            buf->ptr[buf->len++] = url[i];
        }
    }
    buf->ptr[buf->len] = '\0';
    return true;
}

typedef struct hs_req {
    int version; /* 1, 2, 3 */
    const char *secret, *url;
    char method[16];
    const char *body;
    size_t body_len;
    const char *ts;
    size_t ts_len;
} hs_req_t;

static ucrm_err_t hubspot_digest(const hs_req_t *r, unsigned char out[DIGEST_LEN], ucrm_error_t **errp) {
    const char *what = "HubSpot webhook signature";
    if (r->version == 1) {
        part_t p[] = {{r->secret, strlen(r->secret)}, {r->body, r->body_len}};
        return sha256(p, 2, out) ? UCRM_OK : ucrm__fail(errp, UCRM_ERR_FAIL, "%s: SHA-256 failed", what);
    }
    if (r->version == 2) {
        part_t p[] = {{r->secret, strlen(r->secret)},
                      {r->method, strlen(r->method)},
                      {r->url, strlen(r->url)},
                      {r->body, r->body_len}};
        return sha256(p, 4, out) ? UCRM_OK : ucrm__fail(errp, UCRM_ERR_FAIL, "%s: SHA-256 failed", what);
    }
    ucrm_buf_t uri = UCRM_BUF_INIT;
    if (!hubspot_decode_uri(r->url, &uri))
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    part_t p[] = {{r->method, strlen(r->method)}, {uri.ptr, uri.len}, {r->body, r->body_len}, {r->ts, r->ts_len}};
    bool ok = hmac_sha256(r->secret, p, 4, out);
    ucrm_buf__free(&uri);
    return ok ? UCRM_OK : ucrm__fail(errp, UCRM_ERR_FAIL, "%s: HMAC-SHA256 failed", what);
}

static int hubspot_version(const char *v) {
    if (!v)
        return 0;
    if ((v[0] == 'v' || v[0] == 'V') && v[1] >= '1' && v[1] <= '3' && v[2] == '\0')
        return v[1] - '0';
    return 0;
}

/* Arguments the application controls (INVALID_ARG), then what the request carries (AUTH). */
static ucrm_err_t hubspot_args(hs_req_t *r, const char *method, const char *version, const char *signature,
                               const char *timestamp, ucrm_error_t **errp) {
    if (!r->secret || !*r->secret)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "HubSpot webhook: client_secret is required");
    if (!r->body && r->body_len)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "HubSpot webhook: body is NULL but body_len is not 0");
    r->version = hubspot_version(version);
    if (!r->version)
        return ucrm__fail(errp, UCRM_ERR_AUTH, "HubSpot webhook signature: malformed: %s signature version",
                          version && *version ? "unsupported" : "no");
    if (r->version >= 2) {
        if (!method || !r->url)
            return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "HubSpot webhook: v%d needs the method and the URL",
                              r->version);
        size_t n = strlen(method);
        if (n == 0 || n >= sizeof r->method)
            return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "HubSpot webhook: bad method");
        for (size_t i = 0; i <= n; i++)
            r->method[i] = (char)(method[i] >= 'a' && method[i] <= 'z' ? method[i] - 'a' + 'A' : method[i]);
    }
    if (!signature)
        return ucrm__fail(errp, UCRM_ERR_AUTH, "HubSpot webhook signature v%d: malformed: missing signature",
                          r->version);
    if (r->version == 3) {
        if (!timestamp)
            return ucrm__fail(errp, UCRM_ERR_AUTH, "HubSpot webhook signature v3: malformed: missing timestamp");
        trim(timestamp, &r->ts, &r->ts_len);
    }
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_webhook_verify_hubspot(const char *client_secret, const char *method, const char *url,
                                                const char *body, size_t body_len, const char *version,
                                                const char *signature, const char *timestamp, int64_t now_ms,
                                                ucrm_error_t **errp) {
    hs_req_t r = {.secret = client_secret, .url = url, .body = body, .body_len = body_len};
    ucrm_err_t rc = hubspot_args(&r, method, version, signature, timestamp, errp);
    if (rc < 0)
        return rc;
    if (!r.body)
        r.body = "";
    const char *sig;
    size_t sig_len;
    trim(signature, &sig, &sig_len);
    unsigned char got[DIGEST_LEN], want[DIGEST_LEN];
    bool decoded = r.version == 3 ? b64_decode32(sig, sig_len, got) : hex_decode32(sig, sig_len, got);
    if (!decoded)
        return ucrm__fail(errp, UCRM_ERR_AUTH, "HubSpot webhook signature v%d: malformed signature (%zu characters, "
                          "expected %s)", r.version, sig_len, r.version == 3 ? "base64 of 32 bytes" : "64 hex digits");
    if (r.version == 3) {
        int64_t ts;
        if (!parse_ts(r.ts, r.ts_len, &ts))
            return ucrm__fail(errp, UCRM_ERR_AUTH, "HubSpot webhook signature v3: malformed timestamp");
        rc = check_window(errp, "HubSpot webhook signature v3", ts, now_ms ? now_ms : ucrm__now_ms(),
                          HUBSPOT_MAX_AGE_MS);
        if (rc < 0)
            return rc;
    }
    if (!algos())
        return ucrm__fail(errp, UCRM_ERR_FAIL, "HubSpot webhook: OpenSSL has no SHA256/HMAC");
    rc = hubspot_digest(&r, want, errp);
    if (rc < 0)
        return rc;
    if (CRYPTO_memcmp(got, want, DIGEST_LEN) != 0)
        return ucrm__fail(errp, UCRM_ERR_AUTH, "HubSpot webhook signature v%d: mismatch", r.version);
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- own scheme */

static bool own_digest(const char *secret, const char *ts, const char *body, size_t len,
                       unsigned char out[DIGEST_LEN]) {
    part_t p[] = {{ts, strlen(ts)}, {".", 1}, {body, len}};
    return hmac_sha256(secret, p, 3, out);
}

static ucrm_err_t own_args(const char *secret, const char *body, size_t len, ucrm_error_t **errp) {
    if (!secret || !*secret)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "webhook: secret is required");
    if (!body && len)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "webhook: body is NULL but body_len is not 0");
    if (!algos())
        return ucrm__fail(errp, UCRM_ERR_FAIL, "webhook: OpenSSL has no SHA256/HMAC");
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_webhook_sign(char **out, const char *secret, const char *body, size_t body_len,
                                      int64_t timestamp_ms, ucrm_error_t **errp) {
    if (out)
        *out = NULL;
    if (!out)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "webhook: out is NULL");
    if (timestamp_ms < 0 || timestamp_ms > 999999999999999999LL)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "webhook: timestamp_ms out of range");
    ucrm_err_t rc = own_args(secret, body, body_len, errp);
    if (rc < 0)
        return rc;
    char ts[24], b64[48];
    snprintf(ts, sizeof ts, "%lld", (long long)(timestamp_ms ? timestamp_ms : ucrm__now_ms()));
    unsigned char d[DIGEST_LEN];
    if (!own_digest(secret, ts, body ? body : "", body_len, d))
        return ucrm__fail(errp, UCRM_ERR_FAIL, "webhook: HMAC-SHA256 failed");
    b64_encode32(d, b64);
    ucrm_buf_t b = UCRM_BUF_INIT;
    ucrm_buf__printf(&b, "t=%s,v1=%s", ts, b64);
    if (!(*out = ucrm_buf__steal(&b)))
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    return UCRM_OK;
}

typedef struct own_sig {
    const char *t;
    size_t t_len;
    int nt;
    unsigned char v1[8][DIGEST_LEN];
    int nv1;
    bool bad_v1;
} own_sig_t;

/* One "key=value" item (already trimmed). Unknown keys are skipped; at most 8 v1 values are considered. */
static void own_item(own_sig_t *s, const char *it, size_t n) {
    if (n >= 2 && it[0] == 't' && it[1] == '=') {
        s->t = it + 2;
        s->t_len = n - 2;
        s->nt++;
    } else if (n >= 3 && memcmp(it, "v1=", 3) == 0 && s->nv1 < 8) {
        if (b64_decode32(it + 3, n - 3, s->v1[s->nv1]))
            s->nv1++;
        else
            s->bad_v1 = true;
    }
}

static void own_parse(own_sig_t *s, const char *sig) {
    const char *p = sig;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        own_item(s, p, n);
        if (!e)
            break;
        p = e + 1;
    }
}

UCRM_API ucrm_err_t ucrm_webhook_verify(const char *secret, const char *body, size_t body_len,
                                        const char *signature, int64_t now_ms, int64_t tolerance_ms,
                                        ucrm_error_t **errp) {
    ucrm_err_t rc = own_args(secret, body, body_len, errp);
    if (rc < 0)
        return rc;
    if (tolerance_ms < 0)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "webhook: tolerance_ms must not be negative");
    if (!signature)
        return ucrm__fail(errp, UCRM_ERR_AUTH, "webhook signature: malformed: missing signature");
    own_sig_t s = {0};
    own_parse(&s, signature);
    int64_t ts;
    if (s.nt != 1 || !parse_ts(s.t, s.t_len, &ts))
        return ucrm__fail(errp, UCRM_ERR_AUTH, "webhook signature: malformed: %s", s.nt > 1 ? "several t= items"
                                                                                  : "no valid t=<epoch ms> item");
    if (s.nv1 == 0)
        return ucrm__fail(errp, UCRM_ERR_AUTH, "webhook signature: malformed: %s",
                          s.bad_v1 ? "v1 is not base64 of 32 bytes" : "no v1= item");
    rc = check_window(errp, "webhook signature", ts, now_ms ? now_ms : ucrm__now_ms(),
                      tolerance_ms ? tolerance_ms : OWN_DEFAULT_TOLERANCE_MS);
    if (rc < 0)
        return rc;
    char tsbuf[24];
    snprintf(tsbuf, sizeof tsbuf, "%.*s", (int)s.t_len, s.t); /* the digits as sent, leading zeros included */
    unsigned char want[DIGEST_LEN];
    if (!own_digest(secret, tsbuf, body ? body : "", body_len, want))
        return ucrm__fail(errp, UCRM_ERR_FAIL, "webhook: HMAC-SHA256 failed");
    int match = 0;
    for (int i = 0; i < s.nv1; i++)
        match |= CRYPTO_memcmp(s.v1[i], want, DIGEST_LEN) == 0;
    return match ? UCRM_OK : ucrm__fail(errp, UCRM_ERR_AUTH, "webhook signature: mismatch");
}
