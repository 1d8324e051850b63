/*
 * test_webhook.c -- webhook signatures through the public API: HubSpot v1/v2/v3 with the published vectors
 * (PROTOCOL.md B10: hubspot-api-nodejs test/unit/signature.spec.ts, hubspot-api-python
 * tests/spec/utils/test_signature.py), tampering, wrong secrets, the 5-minute window both ways, malformed and
 * truncated headers, HubSpot's URI decoding, empty and binary bodies; and unicrm's own outbound scheme.
 * Expected values not taken from the SDKs were computed independently with Python's hashlib/hmac/base64 (the
 * one-liners are next to them) or, for the system-clock cases, with OpenSSL's one-shot HMAC() here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <unicrm/unicrm.h>

#define SECRET "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
#define URL "https://www.example.com/webhook_uri"
#define TS "1693657560000"
#define TS_MS 1693657560000LL

static const char *v1_body =
    "[{\"eventId\":1,\"subscriptionId\":12345,\"portalId\":62515,\"occurredAt\":1564113600000,\"subscriptionType\":"
    "\"contact.creation\",\"attemptNumber\":0,\"objectId\":123,\"changeSource\":\"CRM\",\"changeFlag\":\"NEW\","
    "\"appId\":54321}]";

/* Verifies and returns the code; the message (when an error) goes to *msg (static copy). */
static char last_msg[512];
static ucrm_err_t hs(const char *secret, const char *method, const char *url, const char *body, size_t len,
                     const char *version, const char *sig, const char *ts, int64_t now) {
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_webhook_verify_hubspot(secret, method, url, body, len, version, sig, ts, now, &e);
    snprintf(last_msg, sizeof last_msg, "%s", ucrm_error_message(e));
    if (rc == UCRM_OK)
        assert_null(e);
    else
        assert_int_equal(ucrm_error_code(e), rc);
    ucrm_error_destroy(e);
    return rc;
}

#define HS(b, ver, sig, ts, now) hs(SECRET, "POST", URL, (b), strlen(b), (ver), (sig), (ts), (now))

static void assert_msg_has(const char *needle) {
    if (!strstr(last_msg, needle))
        fail_msg("message '%s' lacks '%s'", last_msg, needle);
}

static void test_webhook__published_vectors(void **state) {
    (void)state;
    /* hubspot-api-nodejs signature.spec.ts */
    assert_int_equal(hs(SECRET, NULL, NULL, v1_body, strlen(v1_body), "v1",
                        "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de", NULL, 0), UCRM_OK);
    assert_int_equal(hs(SECRET, "GET", URL, "", 0, "v2",
                        "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e", NULL, 0), UCRM_OK);
    assert_int_equal(hs(SECRET, "POST", URL, "{\"example_field\":\"example_value\"}", 33, "v2",
                        "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900", NULL, 0), UCRM_OK);
    /* hubspot-api-python test_signature.py (single-quoted body, as in the SDK's test) */
    const char *py_body = "{'example_field':'example_value'}";
    assert_int_equal(HS(py_body, "v1", "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750", NULL, 0),
                     UCRM_OK);
    assert_int_equal(HS(py_body, "v2", "4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383", NULL, 0),
                     UCRM_OK);
    assert_int_equal(HS(py_body, "v3", "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y=", TS, TS_MS + 1000), UCRM_OK);
    /* PROTOCOL.md B10, computed with hmac.new(secret, "POST"+url+body+ts, sha256) */
    assert_int_equal(HS("{\"example_field\":\"example_value\"}", "v3", "oaA3M5dEtt6kFsseJD/Hv/x+JNl1vsoxFj4oxmwP6Go=",
                        TS, TS_MS),
                     UCRM_OK);
}

static void test_webhook__tampered_and_wrong_secret(void **state) {
    (void)state;
    char body[512];
    snprintf(body, sizeof body, "%s", v1_body);
    body[strlen(body) - 3] = '2'; /* appId 54321 -> 54221 */
    const char *v1 = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de";
    assert_int_equal(hs(SECRET, NULL, NULL, body, strlen(body), "v1", v1, NULL, 0), UCRM_ERR_AUTH);
    assert_msg_has("mismatch");
    /* one byte more or less */
    assert_int_equal(hs(SECRET, NULL, NULL, v1_body, strlen(v1_body) - 1, "v1", v1, NULL, 0), UCRM_ERR_AUTH);
    assert_int_equal(hs("zzzzzzzz-yyyy-yyyy-yyyy-yyyyyyyyyyyy", NULL, NULL, v1_body, strlen(v1_body), "v1", v1, NULL, 0),
                     UCRM_ERR_AUTH);
    /* v2: another method, another URL, another body */
    const char *v2 = "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900";
    const char *b2 = "{\"example_field\":\"example_value\"}";
    assert_int_equal(hs(SECRET, "PUT", URL, b2, strlen(b2), "v2", v2, NULL, 0), UCRM_ERR_AUTH);
    assert_int_equal(hs(SECRET, "POST", URL "/", b2, strlen(b2), "v2", v2, NULL, 0), UCRM_ERR_AUTH);
    assert_int_equal(hs(SECRET, "POST", URL, "{\"example_field\":\"example_valuf\"}", strlen(b2), "v2", v2, NULL, 0),
                     UCRM_ERR_AUTH);
    /* v3: body, timestamp (signed), secret */
    const char *v3 = "oaA3M5dEtt6kFsseJD/Hv/x+JNl1vsoxFj4oxmwP6Go=";
    assert_int_equal(HS("{\"example_field\":\"example_valuE\"}", "v3", v3, TS, TS_MS), UCRM_ERR_AUTH);
    assert_msg_has("mismatch");
    assert_int_equal(HS(b2, "v3", v3, "1693657560001", TS_MS), UCRM_ERR_AUTH);
    assert_int_equal(hs("x", "POST", URL, b2, strlen(b2), "v3", v3, TS, TS_MS), UCRM_ERR_AUTH);
    /* a v3 signature presented as v1/v2 and vice versa */
    assert_int_equal(HS(b2, "v1", v3, NULL, 0), UCRM_ERR_AUTH);
    assert_int_equal(HS(b2, "v3", v2, TS, TS_MS), UCRM_ERR_AUTH);
}

static void test_webhook__timestamp_window(void **state) {
    (void)state;
    const char *b = "{\"example_field\":\"example_value\"}";
    const char *sig = "oaA3M5dEtt6kFsseJD/Hv/x+JNl1vsoxFj4oxmwP6Go=";
    assert_int_equal(HS(b, "v3", sig, TS, TS_MS + 300000), UCRM_OK); /* exactly 5 minutes old: accepted (SDKs) */
    assert_int_equal(HS(b, "v3", sig, TS, TS_MS + 300001), UCRM_ERR_AUTH);
    assert_msg_has("stale");
    assert_int_equal(HS(b, "v3", sig, TS, TS_MS + 86400000), UCRM_ERR_AUTH);
    assert_int_equal(HS(b, "v3", sig, TS, TS_MS - 300000), UCRM_OK); /* 5 minutes ahead of us: clock skew */
    assert_int_equal(HS(b, "v3", sig, TS, TS_MS - 300001), UCRM_ERR_AUTH);
    assert_msg_has("future");
    /* now_ms = 0: the system clock; a signature made now verifies, one from 2023 is stale */
    assert_int_equal(HS(b, "v3", sig, TS, 0), UCRM_ERR_AUTH);
    assert_msg_has("stale");
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    char ts[32], src[256];
    snprintf(ts, sizeof ts, "%lld", (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000);
    int n = snprintf(src, sizeof src, "POST%s%s%s", URL, b, ts);
    unsigned char d[32];
    unsigned int dl = 0;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)src, (size_t)n, d, &dl);
    char b64[64];
    EVP_EncodeBlock((unsigned char *)b64, d, 32);
    assert_int_equal(HS(b, "v3", b64, ts, 0), UCRM_OK);
}

static void test_webhook__malformed_headers(void **state) {
    (void)state;
    const char *b = "{\"example_field\":\"example_value\"}";
    const char *v3 = "oaA3M5dEtt6kFsseJD/Hv/x+JNl1vsoxFj4oxmwP6Go=";
    const char *v1 = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de";
    const char *cases[][3] = {
        /* version, signature, timestamp */
        {"v1", "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817d", NULL},  /* 63 digits */
        {"v1", "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817dee", NULL}, /* 65 */
        {"v1", "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817dg", NULL},  /* non-hex */
        {"v1", "", NULL},
        {"v3", "oaA3M5dEtt6kFsseJD/Hv/x+JNl1vsoxFj4oxmwP6G", TS},    /* truncated: 42 symbols */
        {"v3", "oaA3M5dEtt6kFsseJD/Hv/x+JNl1vsoxFj4oxmwP6Go==", TS}, /* two pads */
        {"v3", "oaA3M5dEtt6kFsseJD/Hv/x+JNl1vsoxFj4oxmwP6Go!", TS},  /* bad symbol */
        {"v3", "oaA3M5dEtt6kFsseJD/Hv/x+JNl1vsoxFj4oxmwP6Gp=", TS},  /* non-canonical last symbol */
        {"v3", v3, NULL},
        {"v3", v3, ""},
        {"v3", v3, "1693657560000x"},
        {"v3", v3, "-1693657560000"},
        {"v3", v3, "+1693657560000"},
        {"v3", v3, "99999999999999999999999"},
        {"v3", v3, "1693657560 000"},
        {"v4", v3, TS},
        {"", v3, TS},
        {"v", v3, TS},
        {"v33", v3, TS},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ucrm_err_t rc = HS(b, cases[i][0], cases[i][1], cases[i][2], TS_MS);
        if (rc != UCRM_ERR_AUTH || !strstr(last_msg, "malformed"))
            fail_msg("case %zu: %s '%s'", i, ucrm_err_name(rc), last_msg);
    }
    assert_int_equal(HS(b, NULL, v3, TS, TS_MS), UCRM_ERR_AUTH); /* no version header */
    assert_int_equal(HS(b, "v3", NULL, TS, TS_MS), UCRM_ERR_AUTH); /* no signature header */
    assert_msg_has("missing signature");
    /* accepted variations: upper-case hex, "V3", no padding, '+' as ' ', surrounding blanks */
    assert_int_equal(hs(SECRET, NULL, NULL, v1_body, strlen(v1_body), "V1",
                        "232DB2615F3D666FE21A8EC971AC7B5402D33B9A925784DF3CA654D05F4817DE", NULL, 0), UCRM_OK);
    assert_int_equal(HS(b, "V3", "oaA3M5dEtt6kFsseJD/Hv/x+JNl1vsoxFj4oxmwP6Go", TS, TS_MS), UCRM_OK);
    assert_int_equal(HS(b, "v3", "oaA3M5dEtt6kFsseJD/Hv/x JNl1vsoxFj4oxmwP6Go=", TS, TS_MS), UCRM_OK);
    assert_int_equal(HS(b, "v3", " \toaA3M5dEtt6kFsseJD/Hv/x+JNl1vsoxFj4oxmwP6Go= ", " 1693657560000\t", TS_MS),
                     UCRM_OK);
    assert_int_equal(hs(SECRET, NULL, NULL, v1_body, strlen(v1_body), "v1", v1, "ignored for v1", 0), UCRM_OK);
}

static void test_webhook__uri_decoding(void **state) {
    (void)state;
    const char *enc = "https://www.example.com/webhook_uri?a=%3A%2f%3F%40%21%24%27%28%29%2A%2C%3B&b=%20%25%3a";
    const char *b = "[{\"objectId\":1}]";
    /* python: decoded = "https://www.example.com/webhook_uri?a=:/?@!$'()*,;&b=%20%25:" (only HubSpot's twelve
     * escapes, either hex case); base64(hmac(secret, "POST"+decoded+body+ts)) */
    assert_int_equal(hs(SECRET, "POST", enc, b, strlen(b), "v3", "MYlP53Lcg0lU8C3x7FW9/e7vafb2yVGo8lmJlE4+HRQ=", TS,
                        TS_MS),
                     UCRM_OK);
    /* the same over the undecoded URL must not verify: decoding really happens */
    assert_int_equal(hs(SECRET, "POST", enc, b, strlen(b), "v3", "Fw6kkYElYsZ1mclTQWe6Sg/3BxnRp7SpqiEtltuwjxg=", TS,
                        TS_MS),
                     UCRM_ERR_AUTH);
    /* v2 hashes the URL as given: sha256(secret+"POST"+enc+body) */
    assert_int_equal(hs(SECRET, "POST", enc, b, strlen(b), "v2",
                        "d034ecf2c62f0d69574c02681fa4f7f6ad73c0bdb8a3228b14b8001e0d59fcfd", NULL, 0), UCRM_OK);
    /* a trailing '%' or a half escape is kept as is (no crash, no over-read) */
    assert_int_equal(hs(SECRET, "POST", "https://x/%", b, strlen(b), "v3", "oaA3M5dEtt6kFsseJD/Hv/x+JNl1vsoxFj4oxmwP6Go=",
                        TS, TS_MS),
                     UCRM_ERR_AUTH);
    assert_int_equal(hs(SECRET, "POST", "https://x/%3", b, strlen(b), "v3",
                        "oaA3M5dEtt6kFsseJD/Hv/x+JNl1vsoxFj4oxmwP6Go=", TS, TS_MS),
                     UCRM_ERR_AUTH);
}

static void test_webhook__bodies(void **state) {
    (void)state;
    /* empty body, GET: base64(hmac(secret, "GET"+url+""+ts)) */
    assert_int_equal(hs(SECRET, "get", URL, NULL, 0, "v3", "Mqfg0iEbI6BJOwPPIPxI7vbp34DKJ0Uy9z4GLEMmRtk=", TS, TS_MS),
                     UCRM_OK);
    /* binary body with NUL bytes, hashed as bytes: sha256(secret + b"a\0b\xff\0") */
    const char bin[] = {'a', 0, 'b', (char)0xff, 0};
    assert_int_equal(hs(SECRET, NULL, NULL, bin, sizeof bin, "v1",
                        "793cf02ba36211e0b14711252cdef493002ec4d737d1a014df6a486d766c9b16", NULL, 0), UCRM_OK);
    assert_int_equal(hs(SECRET, "POST", "https://h.example/x", bin, sizeof bin, "v3",
                        "lok6xgjJ90ZeHAEHiHWdIY1Xm2GFfm1AsTnp7raCPQY=", TS, TS_MS),
                     UCRM_OK);
    /* the same bytes cut at the first NUL do not verify */
    assert_int_equal(hs(SECRET, NULL, NULL, bin, 1, "v1",
                        "793cf02ba36211e0b14711252cdef493002ec4d737d1a014df6a486d766c9b16", NULL, 0),
                     UCRM_ERR_AUTH);
}

static void test_webhook__bad_arguments(void **state) {
    (void)state;
    const char *v3 = "oaA3M5dEtt6kFsseJD/Hv/x+JNl1vsoxFj4oxmwP6Go=";
    const char *b = "{\"example_field\":\"example_value\"}";
    assert_int_equal(hs(NULL, "POST", URL, b, strlen(b), "v3", v3, TS, TS_MS), UCRM_ERR_INVALID_ARG);
    assert_int_equal(hs("", "POST", URL, b, strlen(b), "v3", v3, TS, TS_MS), UCRM_ERR_INVALID_ARG);
    assert_int_equal(hs(SECRET, "POST", URL, NULL, 3, "v3", v3, TS, TS_MS), UCRM_ERR_INVALID_ARG);
    assert_int_equal(hs(SECRET, NULL, URL, b, strlen(b), "v3", v3, TS, TS_MS), UCRM_ERR_INVALID_ARG);
    assert_int_equal(hs(SECRET, "POST", NULL, b, strlen(b), "v2", v3, NULL, 0), UCRM_ERR_INVALID_ARG);
    assert_int_equal(hs(SECRET, "", URL, b, strlen(b), "v2", v3, NULL, 0), UCRM_ERR_INVALID_ARG);
    /* errp may be NULL */
    assert_int_equal(ucrm_webhook_verify_hubspot(SECRET, "POST", URL, b, strlen(b), "v3", "x", TS, TS_MS, NULL),
                     UCRM_ERR_AUTH);
}

static void test_webhook__no_secret_in_messages(void **state) {
    (void)state;
    const char *b = "{\"example_field\":\"example_value\"}";
    const char *sigs[] = {"oaA3M5dEtt6kFsseJD/Hv/x+JNl1vsoxFj4oxmwP6Go=", "bad"};
    for (int v = 0; v < 2; v++) {
        HS("{}", "v3", sigs[v], TS, TS_MS);
        assert_null(strstr(last_msg, SECRET));
        assert_null(strstr(last_msg, "oaA3M5")); /* the expected signature of the tampered body never shows */
    }
    HS(b, "v2", "0000000000000000000000000000000000000000000000000000000000000000", NULL, 0);
    assert_null(strstr(last_msg, "4fe4e3a7"));
    assert_null(strstr(last_msg, "9569219f"));
}

/* ------------------------------------------------------------------------------------------------ outbound */

static ucrm_err_t own(const char *secret, const char *body, const char *sig, int64_t now, int64_t tol) {
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_webhook_verify(secret, body, body ? strlen(body) : 0, sig, now, tol, &e);
    snprintf(last_msg, sizeof last_msg, "%s", ucrm_error_message(e));
    ucrm_error_destroy(e);
    return rc;
}

static void test_webhook__own_sign_vector(void **state) {
    (void)state;
    char *sig = NULL;
    assert_int_equal(ucrm_webhook_sign(&sig, "whsec_test", "{\"a\":1}", 7, 1700000000000LL, NULL), UCRM_OK);
    /* python: base64(hmac("whsec_test", "1700000000000." + '{"a":1}', sha256)) */
    assert_string_equal(sig, "t=1700000000000,v1=MyhOvvJIofRj+BOEv7OTUbhXy0iXxlS4IGEVNvoITx4=");
    assert_int_equal(own("whsec_test", "{\"a\":1}", sig, 1700000000000LL, 0), UCRM_OK);
    ucrm_free(sig);
    /* timestamp 0 = now; verify with now_ms 0 */
    assert_int_equal(ucrm_webhook_sign(&sig, "k", "", 0, 0, NULL), UCRM_OK);
    assert_non_null(strstr(sig, ",v1="));
    assert_int_equal(own("k", "", sig, 0, 0), UCRM_OK);
    ucrm_free(sig);
}

static void test_webhook__own_verify_rejects(void **state) {
    (void)state;
    const int64_t t = 1700000000000LL;
    char *sig = NULL;
    assert_int_equal(ucrm_webhook_sign(&sig, "s3cret", "payload", 7, t, NULL), UCRM_OK);
    assert_int_equal(own("s3cret", "payloaD", sig, t, 0), UCRM_ERR_AUTH);
    assert_string_equal(last_msg, "webhook signature: mismatch");
    assert_int_equal(own("s3creT", "payload", sig, t, 0), UCRM_ERR_AUTH);
    /* window: default 5 min, custom */
    assert_int_equal(own("s3cret", "payload", sig, t + 300000, 0), UCRM_OK);
    assert_int_equal(own("s3cret", "payload", sig, t + 300001, 0), UCRM_ERR_AUTH);
    assert_non_null(strstr(last_msg, "stale"));
    assert_int_equal(own("s3cret", "payload", sig, t - 300001, 0), UCRM_ERR_AUTH);
    assert_non_null(strstr(last_msg, "future"));
    assert_int_equal(own("s3cret", "payload", sig, t + 1001, 1000), UCRM_ERR_AUTH);
    assert_int_equal(own("s3cret", "payload", sig, t + 1000, 1000), UCRM_OK);
    /* the timestamp is signed: changing it breaks the signature */
    char forged[256];
    snprintf(forged, sizeof forged, "t=%lld%s", (long long)(t + 1), strchr(sig, ','));
    assert_int_equal(own("s3cret", "payload", forged, t, 0), UCRM_ERR_AUTH);
    assert_string_equal(last_msg, "webhook signature: mismatch");
    /* rotation: several v1, unknown keys ignored, spaces tolerated */
    char rot[400];
    snprintf(rot, sizeof rot, "t=%lld, v0=zzz, v1=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=, %s ,v2=x", (long long)t,
             strstr(sig, "v1="));
    assert_int_equal(own("s3cret", "payload", rot, t, 0), UCRM_OK);
    /* malformed */
    const char *bad[] = {"", "v1=abc", "t=,v1=x", "t=12a,v1=x", "t=1,t=1,v1=x", "garbage", "t=1700000000000",
                         "t=1700000000000,v1=notbase64!", "t=1700000000000,v1="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (own("s3cret", "payload", bad[i], t, 0) != UCRM_ERR_AUTH || !strstr(last_msg, "malformed"))
            fail_msg("case %zu (%s): '%s'", i, bad[i], last_msg);
    }
    assert_int_equal(own("s3cret", "payload", NULL, t, 0), UCRM_ERR_AUTH);
    assert_int_equal(own("s3cret", "payload", sig, t, -1), UCRM_ERR_INVALID_ARG);
    assert_int_equal(own(NULL, "payload", sig, t, 0), UCRM_ERR_INVALID_ARG);
    assert_int_equal(own("", "payload", sig, t, 0), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_webhook_verify("s3cret", NULL, 3, sig, t, 0, NULL), UCRM_ERR_INVALID_ARG);
    ucrm_free(sig);
    /* sign: bad arguments leave *out NULL */
    sig = (char *)"sentinel";
    assert_int_equal(ucrm_webhook_sign(&sig, NULL, "x", 1, t, NULL), UCRM_ERR_INVALID_ARG);
    assert_null(sig);
    assert_int_equal(ucrm_webhook_sign(&sig, "k", NULL, 1, t, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_webhook_sign(&sig, "k", "x", 1, -5, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_webhook_sign(NULL, "k", "x", 1, t, NULL), UCRM_ERR_INVALID_ARG);
}

static void test_webhook__own_binary_body(void **state) {
    (void)state;
    const char body[] = {0, 1, 2, 0, (char)0xfe};
    char *sig = NULL;
    assert_int_equal(ucrm_webhook_sign(&sig, "k", body, sizeof body, 5, NULL), UCRM_OK);
    assert_int_equal(ucrm_webhook_verify("k", body, sizeof body, sig, 5, 0, NULL), UCRM_OK);
    assert_int_equal(ucrm_webhook_verify("k", body, sizeof body - 1, sig, 5, 0, NULL), UCRM_ERR_AUTH);
    ucrm_free(sig);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webhook__published_vectors),
        cmocka_unit_test(test_webhook__tampered_and_wrong_secret),
        cmocka_unit_test(test_webhook__timestamp_window),
        cmocka_unit_test(test_webhook__malformed_headers),
        cmocka_unit_test(test_webhook__uri_decoding),
        cmocka_unit_test(test_webhook__bodies),
        cmocka_unit_test(test_webhook__bad_arguments),
        cmocka_unit_test(test_webhook__no_secret_in_messages),
        cmocka_unit_test(test_webhook__own_sign_vector),
        cmocka_unit_test(test_webhook__own_verify_rejects),
        cmocka_unit_test(test_webhook__own_binary_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
