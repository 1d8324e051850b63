/*
 * redis_tokens.c -- the shared token store (token.store=redis); the protocol is in tokenstore_int.h.
 *
 * Keys, in the account's hash tag: <prefix>{<ratelimit.key>}:tok:<app digest> is a hash (ver: the version, the
 * server's clock in us when stored, so that versions never repeat even after the server lost its data; at, rt,
 * exp, iat, url; fseq: the last fence handed out; wf: the fence of the last store), and the same name + ":lock"
 * holds the refresh lock (its value is the holder's fence, with an expiry). The hash has no expiry: it holds the
 * only copy of a rotated refresh token.
 *
 * Token values are stored "p:<token>" (as they are), or with redis.token.key "e1:" + hex(nonce | AES-256-GCM
 * ciphertext | tag), authenticated together with the hash's name and the field, so a value cannot be moved to
 * another account or field. Answers holding tokens are wiped before they are freed.
 */
#include "tokenstore_int.h"
#include "error_int.h"
#include "redis_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <time.h>

#define NONCE_LEN 12
#define TAG_LEN 16

typedef struct rts {
    ucrm_redis_t *r;
    char *key, *lock;
    bool encrypt;
    unsigned char kek[32];
    char where[320];
} rts_t;

/* ---------------------------------------------------------------------------------------------- scripts */

static const char *const s_load_parts[] = {
    "local v = redis.call('HMGET', KEYS[1], 'ver', 'at', 'rt', 'exp', 'iat', 'url')\n"
    "v[7] = redis.call('PTTL', KEYS[2])\n"
    "return v\n",
    NULL};
static ucrm_redis_script_t s_load = {"token load", s_load_parts, "", 0};

static const char *const s_lock_parts[] = {
    "local p = redis.call('PTTL', KEYS[2])\n"
    "if p ~= -2 then return {0, p} end\n"
    "local f = redis.call('HINCRBY', KEYS[1], 'fseq', 1)\n"
    "redis.call('SET', KEYS[2], string.format('%d', f), 'PX', ARGV[1])\n"
    "return {f, 0}\n",
    NULL};
static ucrm_redis_script_t s_lock = {"token lock", s_lock_parts, "", 0};

/* ARGV fence, at, rt (empty: keep), exp, iat, url (empty: keep). -1 when fenced out, else the new version. */
static const char *const s_store_parts[] = {
    "if redis.replicate_commands then pcall(redis.replicate_commands) end\n"
    "local fence = tonumber(ARGV[1])\n"
    "local wf = tonumber(redis.call('HGET', KEYS[1], 'wf')) or 0\n"
    "if fence > 0 then\n"
    "  if fence <= wf then return -1 end\n"
    "  redis.call('HSET', KEYS[1], 'wf', ARGV[1])\n"
    "else\n"
    "  redis.call('HSET', KEYS[1], 'wf', string.format('%d', redis.call('HINCRBY', KEYS[1], 'fseq', 1)))\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'at', ARGV[2], 'exp', ARGV[4], 'iat', ARGV[5])\n"
    "if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'rt', ARGV[3]) end\n"
    "if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'url', ARGV[6]) end\n"
    "local t = redis.call('TIME')\n"
    "local v, old = tonumber(t[1]) * 1000000 + tonumber(t[2]), tonumber(redis.call('HGET', KEYS[1], 'ver')) or 0\n"
    "if v <= old then v = old + 1 end\n"
    "redis.call('HSET', KEYS[1], 'ver', string.format('%d', v))\n"
    "return v\n",
    NULL};
static ucrm_redis_script_t s_store = {"token store", s_store_parts, "", 0};

static const char *const s_unlock_parts[] = {
    "if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) return 1 end\n"
    "return 0\n",
    NULL};
static ucrm_redis_script_t s_unlock = {"token unlock", s_unlock_parts, "", 0};

static const char *const s_probe_parts[] = {
    "return {tonumber(redis.call('HGET', KEYS[1], 'ver')) or 0, redis.call('PTTL', KEYS[2])}\n",
    NULL};
static ucrm_redis_script_t s_probe = {"token probe", s_probe_parts, "", 0};

/* ---------------------------------------------------------------------------------------------- sealing */

static void hex_put(ucrm_buf_t *b, const unsigned char *p, size_t n) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        ucrm_buf__putc(b, digits[p[i] >> 4]);
        ucrm_buf__putc(b, digits[p[i] & 15]);
    }
}

/* Decodes n hex digits into out (n/2 bytes); false when malformed. */
static bool hex_get(const char *s, size_t n, unsigned char *out) {
    if (n % 2)
        return false;
    for (size_t i = 0; i < n; i += 2) {
        int a = ucrm_redis__hexval(s[i]), b = ucrm_redis__hexval(s[i + 1]);
        if (a < 0 || b < 0)
            return false;
        out[i / 2] = (unsigned char)(a * 16 + b);
    }
    return true;
}

/* The stored form of a token value (in b, which the caller wipes). */
static bool seal(const rts_t *st, const char *field, const char *value, ucrm_buf_t *b) {
    size_t n = strlen(value);
    if (!st->encrypt) {
        ucrm_buf__puts(b, "p:");
        ucrm_buf__append(b, value, n);
        return !b->oom;
    }
    unsigned char nonce[NONCE_LEN], tag[TAG_LEN];
    unsigned char *ct = ucrm__malloc(n ? n : 1);
    EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    bool ok = ct && cx && RAND_bytes(nonce, NONCE_LEN) == 1 &&
              EVP_EncryptInit_ex(cx, EVP_aes_256_gcm(), NULL, st->kek, nonce) == 1 &&
              EVP_EncryptUpdate(cx, NULL, &len, (const unsigned char *)st->key, (int)strlen(st->key) + 1) == 1 &&
              EVP_EncryptUpdate(cx, NULL, &len, (const unsigned char *)field, (int)strlen(field)) == 1 &&
              EVP_EncryptUpdate(cx, ct, &len, (const unsigned char *)value, (int)n) == 1 &&
              EVP_EncryptFinal_ex(cx, ct + len, &fin) == 1 &&
              EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
    if (ok) {
        ucrm_buf__reserve(b, 3 + 2 * (NONCE_LEN + n + TAG_LEN));
        ucrm_buf__puts(b, "e1:");
        hex_put(b, nonce, NONCE_LEN);
        hex_put(b, ct, (size_t)(len + fin));
        hex_put(b, tag, TAG_LEN);
    }
    EVP_CIPHER_CTX_free(cx);
    if (ct)
        OPENSSL_cleanse(ct, n ? n : 1);
    ucrm__free(ct);
    return ok && !b->oom;
}

/* The token from its stored form (a new string), or NULL with the reason in *why (NULL: out of memory). */
static char *unseal(const rts_t *st, const char *field, const char *v, size_t vlen, const char **why) {
    *why = NULL;
    if (vlen >= 2 && v[0] == 'p' && v[1] == ':')
        return ucrm__strndup(v + 2, vlen - 2);
    if (vlen < 3 || strncmp(v, "e1:", 3) != 0) {
        *why = "the token stored in Redis has an unknown format (written by another program?)";
        return NULL;
    }
    if (!st->encrypt) {
        *why = "the token stored in Redis is encrypted: set redis.token.key to the key the other processes use";
        return NULL;
    }
    size_t hl = vlen - 3, bl = hl / 2;
    if (hl % 2 || bl < NONCE_LEN + TAG_LEN) {
        *why = "the encrypted token stored in Redis is malformed";
        return NULL;
    }
    unsigned char *raw = ucrm__malloc(bl);
    char *out = ucrm__malloc(bl - NONCE_LEN - TAG_LEN + 1);
    EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    bool ok = raw && out && cx;
    if (ok && !hex_get(v + 3, hl, raw)) {
        *why = "the encrypted token stored in Redis is malformed";
        ok = false;
    }
    size_t ctl = bl - NONCE_LEN - TAG_LEN;
    if (ok && !(EVP_DecryptInit_ex(cx, EVP_aes_256_gcm(), NULL, st->kek, raw) == 1 &&
                EVP_DecryptUpdate(cx, NULL, &len, (const unsigned char *)st->key, (int)strlen(st->key) + 1) == 1 &&
                EVP_DecryptUpdate(cx, NULL, &len, (const unsigned char *)field, (int)strlen(field)) == 1 &&
                EVP_DecryptUpdate(cx, (unsigned char *)out, &len, raw + NONCE_LEN, (int)ctl) == 1 &&
                EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, raw + NONCE_LEN + ctl) == 1 &&
                EVP_DecryptFinal_ex(cx, (unsigned char *)out + len, &fin) == 1)) {
        *why = "the token stored in Redis cannot be decrypted: it was written with another redis.token.key";
        ok = false;
    }
    EVP_CIPHER_CTX_free(cx);
    if (raw)
        OPENSSL_cleanse(raw, bl);
    ucrm__free(raw);
    if (!ok) {
        if (out)
            OPENSSL_cleanse(out, ctl + 1);
        ucrm__free(out);
        return NULL;
    }
    out[len + fin] = '\0';
    return out;
}

/* ---------------------------------------------------------------------------------------------- operations */

static ucrm_err_t run(rts_t *st, ucrm_redis_script_t *s, int argc, const char *const *argv, const size_t *lens,
                      struct redisReply **rep, ucrm_error_t **errp) {
    return ucrm_redis__eval(st->r, s, 2, argc, argv, lens, rep, errp);
}

static ucrm_err_t unexpected(const rts_t *st, const char *what, ucrm_error_t **errp) {
    return ucrm__fail(errp, UCRM_ERR_TRANSPORT, "Redis at %s gave an unexpected answer to the %s script",
                      ucrm_redis__where(st->r), what);
}

static ucrm_err_t rts_load(void *impl, ucrm_token_t *tok, uint64_t *ver, ucrm_error_t **errp) {
    rts_t *st = impl;
    memset(tok, 0, sizeof *tok);
    *ver = 0;
    const char *argv[2] = {st->key, st->lock};
    struct redisReply *rep = NULL;
    ucrm_err_t rc = run(st, &s_load, 2, argv, NULL, &rep, errp);
    if (rc < 0)
        return rc;
    int64_t v = 0;
    if (ucrm_redis__reply_len(rep) != 7) {
        ucrm_redis__reply_free_secret(rep);
        return unexpected(st, "token load", errp);
    }
    if (!ucrm_redis__reply_int(rep, 0, &v) || v <= 0) { /* nothing stored yet */
        ucrm_redis__reply_free_secret(rep);
        return UCRM_OK;
    }
    size_t al = 0, rl = 0, ul = 0;
    const char *at = ucrm_redis__reply_str(rep, 1, &al), *rt = ucrm_redis__reply_str(rep, 2, &rl);
    const char *url = ucrm_redis__reply_str(rep, 5, &ul);
    const char *why = NULL;
    bool ok = at != NULL;
    if (ok)
        ok = (tok->access_token = unseal(st, "at", at, al, &why)) != NULL;
    if (ok && rt)
        ok = (tok->refresh_token = unseal(st, "rt", rt, rl, &why)) != NULL;
    if (ok && url && ul)
        ok = (tok->instance_url = ucrm__strndup(url, ul)) != NULL;
    int64_t exp = 0, iat = 0;
    ucrm_redis__reply_int(rep, 3, &exp);
    ucrm_redis__reply_int(rep, 4, &iat);
    ucrm_redis__reply_free_secret(rep);
    if (!ok) {
        ucrm__free_secret(tok->access_token);
        ucrm__free_secret(tok->refresh_token);
        ucrm__free(tok->instance_url);
        memset(tok, 0, sizeof *tok);
        if (!at)
            return unexpected(st, "token load", errp);
        return why ? ucrm__fail(errp, UCRM_ERR_CONF_INVALID, "%s (%s)", why, st->where)
                   : ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    }
    tok->expires_at_ms = exp;
    tok->issued_at_ms = iat;
    *ver = (uint64_t)v;
    return UCRM_OK;
}

static ucrm_err_t rts_lock(void *impl, int64_t ttl_ms, uint64_t *fence, ucrm_error_t **errp) {
    rts_t *st = impl;
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%lld", (long long)(ttl_ms > 0 ? ttl_ms : 1));
    const char *argv[3] = {st->key, st->lock, ttl};
    struct redisReply *rep = NULL;
    ucrm_err_t rc = run(st, &s_lock, 3, argv, NULL, &rep, errp);
    if (rc < 0)
        return rc;
    int64_t f = 0;
    bool ok = ucrm_redis__reply_len(rep) == 2 && ucrm_redis__reply_int(rep, 0, &f) && f >= 0;
    ucrm_redis__reply_free(rep);
    if (!ok)
        return unexpected(st, "token lock", errp);
    *fence = (uint64_t)f;
    return UCRM_OK;
}

static ucrm_err_t rts_store(void *impl, uint64_t fence, const ucrm_token_t *tok, uint64_t *ver, ucrm_error_t **errp) {
    rts_t *st = impl;
    ucrm_buf_t at = UCRM_BUF_INIT, rt = UCRM_BUF_INIT;
    bool ok = seal(st, "at", tok->access_token ? tok->access_token : "", &at) &&
              (!tok->refresh_token || seal(st, "rt", tok->refresh_token, &rt));
    ucrm_err_t rc = UCRM_OK;
    if (!ok) {
        rc = ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory (or the cipher failed) storing the token");
    } else {
        char f[24], exp[24], iat[24];
        snprintf(f, sizeof f, "%llu", (unsigned long long)fence);
        snprintf(exp, sizeof exp, "%lld", (long long)tok->expires_at_ms);
        snprintf(iat, sizeof iat, "%lld", (long long)tok->issued_at_ms);
        const char *argv[8] = {st->key, st->lock, f, ucrm_buf__str(&at), ucrm_buf__str(&rt), exp, iat,
                               tok->instance_url ? tok->instance_url : ""};
        struct redisReply *rep = NULL;
        rc = run(st, &s_store, 8, argv, NULL, &rep, errp);
        int64_t v = 0;
        if (rc == UCRM_OK && !ucrm_redis__reply_int(rep, -1, &v))
            rc = unexpected(st, "token store", errp);
        else if (rc == UCRM_OK && v < 0)
            rc = ucrm__fail(errp, UCRM_ERR_STATE, "a newer token was stored in Redis meanwhile (%s)", st->where);
        else if (rc == UCRM_OK)
            *ver = (uint64_t)v;
        ucrm_redis__reply_free(rep);
    }
    if (at.ptr)
        OPENSSL_cleanse(at.ptr, at.cap);
    if (rt.ptr)
        OPENSSL_cleanse(rt.ptr, rt.cap);
    ucrm_buf__free(&at);
    ucrm_buf__free(&rt);
    return rc;
}

static void rts_unlock(void *impl, uint64_t fence) {
    rts_t *st = impl;
    char f[24];
    snprintf(f, sizeof f, "%llu", (unsigned long long)fence);
    const char *argv[3] = {st->key, st->lock, f};
    struct redisReply *rep = NULL;
    if (run(st, &s_unlock, 3, argv, NULL, &rep, NULL) == UCRM_OK) /* else the lock expires by itself */
        ucrm_redis__reply_free(rep);
}

static ucrm_err_t rts_wait(void *impl, uint64_t ver, int64_t deadline_us, ucrm_error_t **errp) {
    rts_t *st = impl;
    const char *argv[2] = {st->key, st->lock};
    int64_t step_us = 2000;
    for (;;) {
        struct redisReply *rep = NULL;
        ucrm_err_t rc = run(st, &s_probe, 2, argv, NULL, &rep, errp);
        if (rc < 0)
            return rc;
        int64_t v = 0, pttl = 0;
        bool ok = ucrm_redis__reply_int(rep, 0, &v) && ucrm_redis__reply_int(rep, 1, &pttl);
        ucrm_redis__reply_free(rep);
        if (!ok)
            return unexpected(st, "token probe", errp);
        if ((uint64_t)v != ver || pttl == -2)
            return UCRM_OK;
        int64_t now = ucrm__mono_us();
        if (now >= deadline_us)
            return ucrm__fail(errp, UCRM_ERR_TIMEOUT,
                              "the call's time budget ran out waiting for another process's token refresh (%s)",
                              st->where);
        int64_t sleep_us = step_us < deadline_us - now ? step_us : deadline_us - now;
        if (pttl > 0 && pttl * 1000 < sleep_us)
            sleep_us = pttl * 1000;
        struct timespec ts = {(time_t)(sleep_us / 1000000), (long)(sleep_us % 1000000) * 1000};
        nanosleep(&ts, NULL);
        step_us = step_us * 3 / 2 > 50000 ? 50000 : step_us * 3 / 2;
    }
}

static const char *rts_where(void *impl) { return ((rts_t *)impl)->where; }

static void rts_destroy(void *impl) {
    rts_t *st = impl;
    if (!st)
        return;
    ucrm_redis__release(st->r);
    ucrm__free(st->key);
    ucrm__free(st->lock);
    OPENSSL_cleanse(st->kek, sizeof st->kek);
    ucrm__free(st);
}

ucrm_err_t ucrm_tokenstore__redis_open(void **impl, const ucrm_conf_t *conf, const char *key, const char *app,
                                       ucrm_error_t **errp) {
    rts_t *st = ucrm__calloc(1, sizeof *st);
    if (!st)
        return ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory");
    const char *prefix = ucrm_conf__str(conf, UCRM_P_REDIS_PREFIX);
    ucrm_buf_t k = UCRM_BUF_INIT, l = UCRM_BUF_INIT;
    ucrm_buf__printf(&k, "%s{%s}:tok:%s", prefix ? prefix : "", key, app);
    ucrm_buf__printf(&l, "%s:lock", ucrm_buf__str(&k));
    st->key = ucrm_buf__steal(&k);
    st->lock = ucrm_buf__steal(&l);
    const char *kek = ucrm_conf__str(conf, UCRM_P_REDIS_TOKEN_KEY);
    if (kek && *kek) {
        st->encrypt = strlen(kek) == 64 && hex_get(kek, 64, st->kek);
        if (!st->encrypt) {
            rts_destroy(st);
            return ucrm__fail(errp, UCRM_ERR_CONF_INVALID, "redis.token.key must be 64 hexadecimal digits");
        }
    }
    ucrm_err_t rc = !st->key || !st->lock ? ucrm__fail(errp, UCRM_ERR_NOMEM, "out of memory")
                                          : ucrm_redis__get(&st->r, conf, errp);
    if (rc < 0) {
        rts_destroy(st);
        return rc;
    }
    snprintf(st->where, sizeof st->where, "Redis at %s", ucrm_redis__where(st->r));
    *impl = st;
    return UCRM_OK;
}

const ucrm_tokenstore_ops_t ucrm_tokenstore__redis = {
    .name = "redis",
    .load = rts_load,
    .lock = rts_lock,
    .store = rts_store,
    .unlock = rts_unlock,
    .wait = rts_wait,
    .where = rts_where,
    .destroy = rts_destroy,
};
