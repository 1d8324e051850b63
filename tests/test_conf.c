/*
 * test_conf.c -- the configuration object: validation of every property type, defaults per provider, reset,
 * secrets, mappings, get/dump/dup/describe, builtin.features, callback and transport setters, internal accessors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_int.h"
#include "error_int.h"
#include "model_int.h"
#include "unicrm/sys/transport.h"

#define SECRET "S3CRET-d0-n0t-l3ak-7f3a9c"

/* ---------------------------------------------------------------------------------------------- helpers */

static ucrm_conf_t *conf_for(const char *provider) {
    ucrm_conf_t *c = ucrm_conf_new();
    assert_non_null(c);
    if (provider)
        assert_int_equal(ucrm_conf_set(c, "provider", provider, NULL), UCRM_OK);
    return c;
}

/* ucrm_conf_get into a malloc'd string (size probed first); NULL when the get fails. */
static char *get(const ucrm_conf_t *c, const char *key) {
    size_t n = 0;
    if (ucrm_conf_get(c, key, NULL, &n, NULL) != UCRM_OK)
        return NULL;
    char *s = malloc(n);
    assert_non_null(s);
    size_t n2 = n;
    assert_int_equal(ucrm_conf_get(c, key, s, &n2, NULL), UCRM_OK);
    assert_int_equal(n2, n);
    assert_int_equal(strlen(s) + 1, n);
    return s;
}

#define assert_get(c, key, want) assert_get_at(c, key, want, __LINE__)
static void assert_get_at(const ucrm_conf_t *c, const char *key, const char *want, int line) {
    char *v = get(c, key);
    if (!v || strcmp(v, want) != 0)
        fail_msg("line %d: get %s = '%s', want '%s'", line, key, v ? v : "(failed)", want);
    free(v);
}

#define set_ok(c, key, value) set_ok_at(c, key, value, __LINE__)
static void set_ok_at(ucrm_conf_t *c, const char *key, const char *value, int line) {
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_conf_set(c, key, value, &e);
    if (rc != UCRM_OK)
        fail_msg("line %d: set %s=%s: %s: %s", line, key, value ? value : "NULL", ucrm_err_name(rc),
                 ucrm_error_message(e));
    assert_null(e);
}

/* Expects ucrm_conf_set to fail with code; the message must contain needle (when given) and the key (unless
 * no_key). The previous value must survive. Returns nothing; frees the error. */
#define set_fails(c, key, value, code, needle) set_fails_at(c, key, value, code, needle, true, __LINE__)
#define set_fails_nokey(c, key, value, code, needle) set_fails_at(c, key, value, code, needle, false, __LINE__)
static void set_fails_at(ucrm_conf_t *c, const char *key, const char *value, ucrm_err_t code, const char *needle,
                         bool with_key, int line) {
    char *before = get(c, key);
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_conf_set(c, key, value, &e);
    if (rc != code)
        fail_msg("line %d: set %s: %s (%s), want %s", line, key, ucrm_err_name(rc), ucrm_error_message(e),
                 ucrm_err_name(code));
    assert_non_null(e);
    assert_int_equal(ucrm_error_code(e), code);
    const char *msg = ucrm_error_message(e);
    if (needle && !strstr(msg, needle))
        fail_msg("line %d: message '%s' lacks '%s'", line, msg, needle);
    if (with_key && !strstr(msg, key))
        fail_msg("line %d: message '%s' lacks the key '%s'", line, msg, key);
    if (strstr(msg, SECRET))
        fail_msg("line %d: message leaks the secret", line);
    ucrm_error_destroy(e);
    char *after = get(c, key);
    if (!before != !after || (before && strcmp(before, after) != 0))
        fail_msg("line %d: failed set changed %s from '%s' to '%s'", line, key, before ? before : "(none)",
                 after ? after : "(none)");
    free(before);
    free(after);
}

static char *temp_file(const char *content) {
    char *path = strdup("/tmp/ucrm-test-conf-XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    return path;
}

/* ---------------------------------------------------------------------------------------------- the table */

static void test_conf__table_consistent(void **state) {
    (void)state;
    for (int p = 0; p < UCRM_P__COUNT; p++) {
        const ucrm_prop_t *r = &ucrm_props[p];
        if (!r->name)
            fail_msg("property id %d has no row", p);
        assert_int_equal(strspn(r->name, "abcdefghijklmnopqrstuvwxyz0123456789."), strlen(r->name));
        assert_int_equal(ucrm_conf__find(r->name), p);
        assert_non_null(r->desc);
        assert_true(strlen(r->desc) > 20);
        assert_false(ucrm__startswith(r->name, "mapping."));
        if (r->type == UCRM_PT_ENUM)
            assert_non_null(r->enum_values);
        else
            assert_null(r->enum_values);
        if (r->type == UCRM_PT_INT || r->type == UCRM_PT_MS)
            assert_true(r->min <= r->max);
        if (r->type == UCRM_PT_SECRET || r->type == UCRM_PT_FILE)
            assert_true(!r->def && !r->def_hubspot && !r->def_salesforce);
    }
}

/* Every default, for every provider, is a value ucrm_conf_set accepts unchanged. */
static void test_conf__defaults_are_valid(void **state) {
    (void)state;
    const char *providers[] = {NULL, "hubspot", "salesforce"};
    for (size_t i = 0; i < 3; i++) {
        ucrm_conf_t *c = conf_for(providers[i]);
        for (int p = 0; p < UCRM_P__COUNT; p++) {
            if (p == UCRM_P_PROVIDER)
                continue;
            const char *def = ucrm_conf__str(c, (ucrm_prop_id_t)p);
            if (!def)
                continue;
            char *copy = strdup(def);
            if (!(ucrm_features() & UCRM_FEATURE_REDIS) && strncmp(ucrm_props[p].name, "redis.", 6) == 0) {
                set_fails(c, ucrm_props[p].name, copy, UCRM_ERR_NOT_BUILT_IN, "without Redis support");
                free(copy);
                continue;
            }
            set_ok(c, ucrm_props[p].name, copy);
            assert_string_equal(ucrm_conf__str(c, (ucrm_prop_id_t)p), copy);
            free(copy);
        }
        ucrm_conf_destroy(c);
    }
}

/* ---------------------------------------------------------------------------------------------- basics */

static void test_conf__new_destroy(void **state) {
    (void)state;
    ucrm_conf_t *c = ucrm_conf_new();
    assert_non_null(c);
    for (int p = 0; p < UCRM_P__COUNT; p++)
        assert_false(ucrm_conf__is_set(c, (ucrm_prop_id_t)p));
    ucrm_conf_destroy(c);
    ucrm_conf_destroy(NULL);
}

static void test_conf__bad_args(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_conf_set(NULL, "provider", "hubspot", &e), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_error_code(e), UCRM_ERR_INVALID_ARG);
    ucrm_error_destroy(e);
    e = NULL;
    assert_int_equal(ucrm_conf_set(c, NULL, "x", &e), UCRM_ERR_INVALID_ARG);
    ucrm_error_destroy(e);
    assert_int_equal(ucrm_conf_set(c, NULL, "x", NULL), UCRM_ERR_INVALID_ARG);
    ucrm_conf_destroy(c);
}

static void test_conf__unknown_key(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    set_fails(c, "no.such.key", "1", UCRM_ERR_CONF_UNKNOWN, "unknown");
    set_fails(c, "Provider", "hubspot", UCRM_ERR_CONF_UNKNOWN, NULL);
    set_fails(c, "", "x", UCRM_ERR_CONF_UNKNOWN, NULL);
    set_fails(c, "no.such.key", NULL, UCRM_ERR_CONF_UNKNOWN, NULL); /* resetting an unknown key is an error too */
    set_fails_nokey(c, "bad\xff key", "1", UCRM_ERR_CONF_UNKNOWN, "UTF-8");
    set_fails_nokey(c, "bad\nkey", "1", UCRM_ERR_CONF_UNKNOWN, "control");
    /* A very long key is quoted, shortened. */
    char longkey[300];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_conf_set(c, longkey, "1", &e), UCRM_ERR_CONF_UNKNOWN);
    assert_true(strlen(ucrm_error_message(e)) < 250);
    ucrm_error_destroy(e);
    /* errp NULL is fine */
    assert_int_equal(ucrm_conf_set(c, "no.such.key", "1", NULL), UCRM_ERR_CONF_UNKNOWN);
    /* get says the same */
    size_t n = 0;
    e = NULL;
    assert_int_equal(ucrm_conf_get(c, "no.such.key", NULL, &n, &e), UCRM_ERR_CONF_UNKNOWN);
    assert_non_null(strstr(ucrm_error_message(e), "no.such.key"));
    ucrm_error_destroy(e);
    ucrm_conf_destroy(c);
}

/* ---------------------------------------------------------------------------------------------- types */

static void test_conf__int_values(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    set_ok(c, "retry.max", "0");
    set_ok(c, "retry.max", "100");
    set_ok(c, "retry.max", "007");
    assert_get(c, "retry.max", "7"); /* normalised */
    assert_int_equal(ucrm_conf__int(c, UCRM_P_RETRY_MAX), 7);
    set_fails(c, "retry.max", "101", UCRM_ERR_CONF_INVALID, "between 0 and 100");
    set_fails(c, "retry.max", "-1", UCRM_ERR_CONF_INVALID, "between 0 and 100");
    set_fails(c, "retry.max", "abc", UCRM_ERR_CONF_INVALID, "integer");
    set_fails(c, "retry.max", "3x", UCRM_ERR_CONF_INVALID, "'3x'");
    set_fails(c, "retry.max", "", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "retry.max", " 3", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "retry.max", "1.5", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "retry.max", "0x10", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "retry.max", "99999999999999999999999", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "http.pool.size", "0", UCRM_ERR_CONF_INVALID, "between 1 and 1024");
    set_fails(c, "auth.refresh.percent", "0", UCRM_ERR_CONF_INVALID, "between 1 and 100");
    set_fails(c, "ratelimit.reserve.high.percent", "91", UCRM_ERR_CONF_INVALID, "between 0 and 90");
    assert_get(c, "retry.max", "7");
    ucrm_conf_destroy(c);
}

static void test_conf__ms_values(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    set_ok(c, "http.timeout.ms", "1");
    set_ok(c, "http.timeout.ms", "3600000");
    set_fails(c, "http.timeout.ms", "0", UCRM_ERR_CONF_INVALID, "milliseconds");
    set_fails(c, "http.timeout.ms", "3600001", UCRM_ERR_CONF_INVALID, "between 1 and 3600000");
    set_fails(c, "http.timeout.ms", "10s", UCRM_ERR_CONF_INVALID, "milliseconds");
    set_fails(c, "retry.budget.ms", "-5", UCRM_ERR_CONF_INVALID, NULL);
    assert_int_equal(ucrm_conf__int(c, UCRM_P_HTTP_TIMEOUT_MS), 3600000);
    ucrm_conf_destroy(c);
}

static void test_conf__bool_values(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    const char *yes[] = {"true", "TRUE", "True", "1", "yes", "YES", "on", "On"};
    const char *no[] = {"false", "FALSE", "0", "no", "No", "off", "OFF"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        set_ok(c, "log.stderr", yes[i]);
        assert_get(c, "log.stderr", "true");
        assert_true(ucrm_conf__bool(c, UCRM_P_LOG_STDERR));
    }
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        set_ok(c, "log.stderr", no[i]);
        assert_get(c, "log.stderr", "false");
        assert_false(ucrm_conf__bool(c, UCRM_P_LOG_STDERR));
    }
    set_fails(c, "log.stderr", "maybe", UCRM_ERR_CONF_INVALID, "true or false");
    set_fails(c, "log.stderr", "2", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "log.stderr", "", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "ratelimit.enable", "yess", UCRM_ERR_CONF_INVALID, "'yess'");
    ucrm_conf_destroy(c);
}

static void test_conf__enum_values(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    set_ok(c, "provider", "salesforce");
    set_ok(c, "provider", "hubspot");
    set_fails(c, "provider", "HubSpot", UCRM_ERR_CONF_INVALID, "one of hubspot, salesforce;");
    set_fails(c, "provider", "pipedrive", UCRM_ERR_CONF_INVALID, "'pipedrive'");
    set_fails(c, "provider", "", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "provider", "hubspot,salesforce", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "auth.method", "oauth", UCRM_ERR_CONF_INVALID, "jwt_bearer");
    set_ok(c, "auth.method", "jwt_bearer");
    set_fails(c, "log.level", "trace", UCRM_ERR_CONF_INVALID, "debug");
    assert_get(c, "provider", "hubspot");
    ucrm_conf_destroy(c);
}

static void test_conf__url_values(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    set_ok(c, "api.url", "https://api.hubapi.com");
    set_ok(c, "api.url", "HTTPS://example.my.salesforce.com:8443/base/");
    assert_get(c, "api.url", "HTTPS://example.my.salesforce.com:8443/base"); /* trailing slash removed */
    set_ok(c, "api.url", "https://example.com/");
    assert_get(c, "api.url", "https://example.com");
    set_ok(c, "api.url", "http://127.0.0.1:8080");
    set_ok(c, "api.url", "http://localhost:1/x");
    set_ok(c, "api.url", "http://[::1]:9000");
    set_ok(c, "auth.token.url", "http://127.0.0.2");
    set_fails(c, "api.url", "http://example.com", UCRM_ERR_CONF_INVALID, "loopback");
    set_fails(c, "api.url", "http://127.0.0.1.example.com", UCRM_ERR_CONF_INVALID, "loopback");
    set_fails(c, "api.url", "http://localhost.example.com", UCRM_ERR_CONF_INVALID, "loopback");
    set_fails(c, "api.url", "http://evil.example?@127.0.0.1", UCRM_ERR_CONF_INVALID, "query");
    set_fails(c, "api.url", "http://evil.example#@127.0.0.1", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "api.url", "https://user:pw@example.com", UCRM_ERR_CONF_INVALID, "user info");
    set_fails(c, "api.url", "ftp://example.com", UCRM_ERR_CONF_INVALID, "https URL");
    set_fails(c, "api.url", "example.com", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "api.url", "https://", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "api.url", "https:///path", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "api.url", "https://exa mple.com", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "api.url", "https://example.com:0", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "api.url", "https://example.com:65536", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "api.url", "https://example.com:+80", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "api.url", "https://example.com:", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "api.url", "https://[::1", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "api.url", "https://example.com/a[1]", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "api.url", "https://exa_mple.com", UCRM_ERR_CONF_INVALID, NULL);
    set_ok(c, "api.url", "https://[2001:db8::1]:8443/services/");
    assert_get(c, "api.url", "https://[2001:db8::1]:8443/services");
    set_fails(c, "api.url", "https://ex\xc3\xa4mple.com", UCRM_ERR_CONF_INVALID, "ASCII");
    set_fails(c, "api.url", "", UCRM_ERR_CONF_INVALID, NULL); /* short inputs: ASan checks no read past NUL */
    set_fails(c, "api.url", "h", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "api.url", "https:/", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "auth.token.url", "http://login.salesforce.com", UCRM_ERR_CONF_INVALID, "loopback");
    assert_get(c, "api.url", "https://[2001:db8::1]:8443/services");
    ucrm_conf_destroy(c);
}

static void test_conf__file_values(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    char *path = temp_file("-----BEGIN CERTIFICATE-----\n");
    set_ok(c, "http.ca.file", path);
    assert_get(c, "http.ca.file", path);
    set_ok(c, "auth.jwt.key.file", path);
    set_fails(c, "http.ca.file", "/nonexistent/ucrm/ca.pem", UCRM_ERR_CONF_INVALID, "no such file");
    set_fails(c, "http.ca.file", "/tmp", UCRM_ERR_CONF_INVALID, "not a regular file");
    set_fails(c, "http.ca.file", "", UCRM_ERR_CONF_INVALID, "empty");
    char fifo[] = "/tmp/ucrm-test-fifo-XXXXXX";
    int fd = mkstemp(fifo);
    assert_true(fd >= 0);
    close(fd);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    set_fails(c, "http.ca.file", fifo, UCRM_ERR_CONF_INVALID, "not a regular file"); /* and does not hang */
    unlink(fifo);
    if (geteuid() != 0) { /* root reads anything */
        assert_int_equal(chmod(path, 0), 0);
        set_fails(c, "auth.jwt.key.file", path, UCRM_ERR_CONF_INVALID, "permission denied");
    }
    assert_get(c, "http.ca.file", path);
    unlink(path);
    free(path);
    ucrm_conf_destroy(c);
}

static void test_conf__string_values(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    set_ok(c, "auth.client.id", "3MVG9-abc.def");
    assert_get(c, "auth.client.id", "3MVG9-abc.def");
    set_ok(c, "http.user.agent", "myapp/2.1 unicrm/1.0.0 \xc3\xa9t\xc3\xa9");
    set_ok(c, "ratelimit.key", "");
    assert_true(ucrm_conf__is_set(c, UCRM_P_RL_KEY));
    ucrm_conf_destroy(c);
}

static void test_conf__text_checks(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    const char *bad_utf8[] = {"\xff", "ab\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"};
    const char *controls[] = {"a\nb", "a\tb", "\x7f", "a\rb", "x\xc2\x85y", "\x1b[31m"};
    const char *keys[] = {"auth.client.id", "http.user.agent", "auth.access.token", "api.url", "retry.max"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        for (size_t i = 0; i < sizeof bad_utf8 / sizeof *bad_utf8; i++)
            set_fails(c, keys[k], bad_utf8[i], UCRM_ERR_CONF_INVALID, "UTF-8");
        for (size_t i = 0; i < sizeof controls / sizeof *controls; i++)
            set_fails(c, keys[k], controls[i], UCRM_ERR_CONF_INVALID, "control character");
    }
    set_fails(c, "mapping.contact.email", "Email\n", UCRM_ERR_CONF_INVALID, "control character");
    char *big = malloc(8194);
    memset(big, 'a', 8193);
    big[8193] = '\0';
    set_fails(c, "auth.client.id", big, UCRM_ERR_CONF_INVALID, "8192");
    big[8192] = '\0';
    set_ok(c, "auth.client.id", big);
    free(big);
    ucrm_conf_destroy(c);
}

/* ---------------------------------------------------------------------------------------------- defaults */

static void test_conf__defaults(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    assert_get(c, "provider", "");
    assert_get(c, "api.url", "");
    assert_get(c, "auth.method", "auto");
    assert_get(c, "http.timeout.ms", "30000");
    assert_get(c, "http.connect.timeout.ms", "10000");
    assert_get(c, "http.user.agent", "unicrm/" UCRM_VERSION_STR);
    assert_get(c, "http.pool.size", "16");
    assert_get(c, "retry.max", "3");
    assert_get(c, "retry.backoff.ms", "200");
    assert_get(c, "retry.backoff.max.ms", "10000");
    assert_get(c, "retry.budget.ms", "120000");
    assert_get(c, "ratelimit.enable", "true");
    assert_get(c, "ratelimit.interval.ms", "10000");
    assert_get(c, "ratelimit.search.interval.ms", "1000");
    assert_get(c, "ratelimit.wait.max.ms", "30000");
    assert_get(c, "ratelimit.reserve.high.percent", "10");
    assert_get(c, "ratelimit.key", "");
    assert_get(c, "auth.session.lifetime.ms", "7200000");
    assert_get(c, "auth.refresh.percent", "80");
    assert_get(c, "auth.refresh.cooldown.ms", "5000");
    assert_get(c, "auth.jwt.audience", "https://login.salesforce.com");
    assert_get(c, "salesforce.api.version", "66.0");
    assert_get(c, "log.stderr", "false");
    assert_get(c, "log.level", "warning");
    assert_get(c, "builtin.features", "");
    assert_get(c, "http.ca.file", "");
    assert_get(c, "auth.access.token", "");
    assert_get(c, "ratelimit.requests", ""); /* only per provider */
    assert_null(ucrm_conf__str(c, UCRM_P_API_URL));
    assert_int_equal(ucrm_conf__int(c, UCRM_P_RL_REQUESTS), 0);
    assert_int_equal(ucrm_conf__int(c, UCRM_P_HTTP_TIMEOUT_MS), 30000);
    assert_true(ucrm_conf__bool(c, UCRM_P_RL_ENABLE));
    assert_false(ucrm_conf__is_set(c, UCRM_P_HTTP_TIMEOUT_MS));
    ucrm_conf_destroy(c);
}

static void test_conf__provider_defaults(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for("hubspot");
    assert_get(c, "api.url", "https://api.hubapi.com");
    assert_get(c, "auth.token.url", "https://api.hubapi.com");
    assert_get(c, "ratelimit.requests", "190");
    assert_get(c, "ratelimit.interval.ms", "10000");
    assert_get(c, "ratelimit.search.requests", "5");
    assert_get(c, "ratelimit.daily", "625000");
    assert_get(c, "ratelimit.concurrency", "0");
    assert_get(c, "upsert.contact.key", "email");
    assert_get(c, "upsert.account.key", "");
    assert_int_equal(ucrm_conf__int(c, UCRM_P_RL_REQUESTS), 190);

    /* A set value survives a provider change; defaults follow the provider. */
    set_ok(c, "ratelimit.daily", "250000");
    set_ok(c, "provider", "salesforce");
    assert_get(c, "api.url", "");
    assert_get(c, "auth.token.url", "https://login.salesforce.com");
    assert_get(c, "ratelimit.requests", "0");
    assert_get(c, "ratelimit.search.requests", "0");
    assert_get(c, "ratelimit.daily", "250000");
    assert_get(c, "ratelimit.concurrency", "25");
    assert_get(c, "salesforce.api.version", "66.0");
    assert_get(c, "auth.session.lifetime.ms", "7200000");
    assert_get(c, "upsert.contact.key", "");
    assert_null(ucrm_conf__upsert_key(c, UCRM_OBJECT_CONTACT));
    set_ok(c, "ratelimit.daily", NULL);
    assert_get(c, "ratelimit.daily", "100000");
    assert_int_equal(ucrm_conf__int(c, UCRM_P_RL_CONCURRENCY), 25);
    ucrm_conf_destroy(c);
}

static void test_conf__null_resets(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for("hubspot");
    set_ok(c, "http.timeout.ms", "5");
    set_ok(c, "api.url", "https://example.com");
    set_ok(c, "auth.access.token", SECRET);
    assert_true(ucrm_conf__is_set(c, UCRM_P_HTTP_TIMEOUT_MS));
    set_ok(c, "http.timeout.ms", NULL);
    set_ok(c, "api.url", NULL);
    set_ok(c, "auth.access.token", NULL);
    set_ok(c, "auth.access.token", NULL); /* twice is fine */
    set_ok(c, "retry.max", NULL);         /* never set is fine */
    assert_false(ucrm_conf__is_set(c, UCRM_P_HTTP_TIMEOUT_MS));
    assert_false(ucrm_conf__is_set(c, UCRM_P_AUTH_ACCESS_TOKEN));
    assert_get(c, "http.timeout.ms", "30000");
    assert_get(c, "api.url", "https://api.hubapi.com");
    assert_get(c, "auth.access.token", "");
    set_ok(c, "provider", NULL);
    assert_get(c, "provider", "");
    assert_get(c, "api.url", "");
    ucrm_conf_destroy(c);
}

/* ---------------------------------------------------------------------------------------------- special keys */

static void test_conf__sf_api_version(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for("salesforce");
    set_ok(c, "salesforce.api.version", "31.0");
    set_ok(c, "salesforce.api.version", "62.0");
    set_ok(c, "salesforce.api.version", "100.0");
    set_fails(c, "salesforce.api.version", "30.0", UCRM_ERR_CONF_INVALID, "retired");
    set_fails(c, "salesforce.api.version", "v62.0", UCRM_ERR_CONF_INVALID, "without the v");
    set_fails(c, "salesforce.api.version", "62", UCRM_ERR_CONF_INVALID, "digits.digits");
    set_fails(c, "salesforce.api.version", "62.", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "salesforce.api.version", "62.0.1", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "salesforce.api.version", ".0", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "salesforce.api.version", "latest", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "salesforce.api.version", "99999.0", UCRM_ERR_CONF_INVALID, NULL);
    assert_get(c, "salesforce.api.version", "100.0");
    ucrm_conf_destroy(c);
}

static const struct {
    const char *name;
    unsigned int bit;
} feature_names[] = {
    {"hubspot", UCRM_FEATURE_HUBSPOT}, {"salesforce", UCRM_FEATURE_SALESFORCE}, {"threads", UCRM_FEATURE_THREADS},
    {"jwt", UCRM_FEATURE_JWT},         {"redis", UCRM_FEATURE_REDIS},           {"tls", UCRM_FEATURE_TLS},
};

static void test_conf__builtin_features(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    unsigned int have = ucrm_features();
    assert_true(have & UCRM_FEATURE_THREADS);
    assert_true(have & UCRM_FEATURE_TLS);
    set_ok(c, "builtin.features", "");
    set_ok(c, "builtin.features", "threads, tls,");
    assert_get(c, "builtin.features", "threads,tls");
    set_fails(c, "builtin.features", "threads,gpu", UCRM_ERR_CONF_INVALID, "unknown feature 'gpu'");
    set_fails(c, "builtin.features", "THREADS", UCRM_ERR_CONF_INVALID, NULL);
    /* Each feature alone: accepted when built in, else NOT_BUILT_IN naming it. */
    char all[128] = "";
    for (size_t i = 0; i < sizeof feature_names / sizeof *feature_names; i++) {
        strcat(all, i ? "," : "");
        strcat(all, feature_names[i].name);
        if (have & feature_names[i].bit) {
            set_ok(c, "builtin.features", feature_names[i].name);
        } else {
            char want[64];
            snprintf(want, sizeof want, "not built into this library: %s", feature_names[i].name);
            set_fails(c, "builtin.features", feature_names[i].name, UCRM_ERR_NOT_BUILT_IN, want);
        }
    }
    /* All of them: the message names every missing one and only those. */
    ucrm_error_t *e = NULL;
    ucrm_err_t rc = ucrm_conf_set(c, "builtin.features", all, &e);
    bool complete = (have & 0x3Fu) == 0x3Fu;
    assert_int_equal(rc, complete ? UCRM_OK : UCRM_ERR_NOT_BUILT_IN);
    for (size_t i = 0; !complete && i < sizeof feature_names / sizeof *feature_names; i++) {
        const char *tail = strstr(ucrm_error_message(e), "library: ");
        assert_non_null(tail);
        assert_int_equal(strstr(tail, feature_names[i].name) != NULL, !(have & feature_names[i].bit));
    }
    ucrm_error_destroy(e);
    ucrm_conf_destroy(c);
}

static void test_conf__upsert_keys(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for("salesforce");
    set_ok(c, "upsert.contact.key", "email");
    set_ok(c, "upsert.contact.key", "custom.External_Id__c");
    assert_string_equal(ucrm_conf__upsert_key(c, UCRM_OBJECT_CONTACT), "custom.External_Id__c");
    set_ok(c, "upsert.account.key", "domain");
    set_ok(c, "upsert.deal.key", "custom.Deal_Key__c");
    set_fails(c, "upsert.contact.key", "id", UCRM_ERR_CONF_INVALID, "writable");
    set_fails(c, "upsert.deal.key", "status", UCRM_ERR_CONF_INVALID, "stage");
    set_fails(c, "upsert.account.key", "email", UCRM_ERR_CONF_INVALID, "domain");
    set_fails(c, "upsert.contact.key", "address", UCRM_ERR_CONF_INVALID, "single-valued");
    set_fails(c, "upsert.contact.key", "phone_numbers", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "upsert.contact.key", "custom.", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "upsert.contact.key", "", UCRM_ERR_CONF_INVALID, NULL);
    assert_string_equal(ucrm_conf__upsert_key(c, UCRM_OBJECT_ACCOUNT), "domain");
    assert_null(ucrm_conf__upsert_key(c, (ucrm_object_t)9));
    ucrm_conf_destroy(c);
}

/* ---------------------------------------------------------------------------------------------- secrets */

static void assert_no_secret(const char *s) {
    if (s && strstr(s, SECRET))
        fail_msg("secret found in: %s", s);
}

static void test_conf__secrets_never_shown(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for("salesforce");
    const char *secrets[] = {"auth.access.token", "auth.refresh.token", "auth.client.secret"};
    for (size_t i = 0; i < 3; i++) {
        assert_get(c, secrets[i], "");
        set_ok(c, secrets[i], SECRET);
        assert_get(c, secrets[i], "[redacted]");
        assert_string_equal(ucrm_conf__str(c, UCRM_P_AUTH_ACCESS_TOKEN), SECRET); /* internal readers see it */
        /* failing sets never quote a secret */
        set_fails(c, secrets[i], SECRET "\n", UCRM_ERR_CONF_INVALID, NULL);
        set_fails(c, secrets[i], SECRET "\xff", UCRM_ERR_CONF_INVALID, NULL);
        set_fails(c, secrets[i], "", UCRM_ERR_CONF_INVALID, "empty");
    }
    char big[9000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, SECRET, strlen(SECRET));
    set_fails(c, "auth.client.secret", big, UCRM_ERR_CONF_INVALID, NULL);
    set_ok(c, "mapping.contact.email", "Email");

    char **kv = NULL;
    size_t n = 0;
    assert_int_equal(ucrm_conf_dump(c, &kv, &n), UCRM_OK);
    int redacted = 0;
    for (size_t i = 0; i < n; i++) {
        assert_no_secret(kv[i]);
        redacted += i % 2 == 1 && strcmp(kv[i], "[redacted]") == 0;
    }
    assert_int_equal(redacted, 3);
    ucrm_conf_dump_free(kv, n);

    char *json = NULL;
    assert_int_equal(ucrm_conf_describe_json(&json), UCRM_OK);
    assert_no_secret(json);
    ucrm_free(json);

    ucrm_conf_t *d = ucrm_conf_dup(c);
    assert_non_null(d);
    assert_get(d, "auth.client.secret", "[redacted]");
    assert_string_equal(ucrm_conf__str(d, UCRM_P_AUTH_CLIENT_SECRET), SECRET);
    ucrm_conf_destroy(d);
    ucrm_conf_destroy(c);
}

/* A replaced or reset secret is released (its wiping is checked with an allocator hook in test_conf_oom). */
static void test_conf__secret_replaced(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    set_ok(c, "auth.refresh.token", SECRET "-1");
    const char *first = ucrm_conf__str(c, UCRM_P_AUTH_REFRESH_TOKEN);
    assert_string_equal(first, SECRET "-1");
    set_ok(c, "auth.refresh.token", SECRET "-2");
    assert_string_equal(ucrm_conf__str(c, UCRM_P_AUTH_REFRESH_TOKEN), SECRET "-2");
    ucrm_conf_t *d = ucrm_conf_dup(c);
    assert_ptr_not_equal(ucrm_conf__str(d, UCRM_P_AUTH_REFRESH_TOKEN), ucrm_conf__str(c, UCRM_P_AUTH_REFRESH_TOKEN));
    set_ok(c, "auth.refresh.token", NULL);
    assert_null(ucrm_conf__str(c, UCRM_P_AUTH_REFRESH_TOKEN));
    assert_string_equal(ucrm_conf__str(d, UCRM_P_AUTH_REFRESH_TOKEN), SECRET "-2");
    ucrm_conf_destroy(d);
    ucrm_conf_destroy(c);
}

/* ---------------------------------------------------------------------------------------------- mappings */

static void test_conf__mapping_valid(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for("salesforce");
    assert_get(c, "mapping.contact.lifecycle_stage", "");
    set_ok(c, "mapping.contact.lifecycle_stage", "Lifecycle_Stage__c");
    assert_get(c, "mapping.contact.lifecycle_stage", "Lifecycle_Stage__c");
    assert_string_equal(ucrm_conf__mapping(c, UCRM_OBJECT_CONTACT, "lifecycle_stage"), "Lifecycle_Stage__c");
    assert_null(ucrm_conf__mapping(c, UCRM_OBJECT_ACCOUNT, "lifecycle_stage"));
    set_ok(c, "mapping.contact.lifecycle_stage", "Stage2__c"); /* replaces */
    assert_int_equal(c->nmappings, 1);
    assert_string_equal(ucrm_conf__mapping(c, UCRM_OBJECT_CONTACT, "lifecycle_stage"), "Stage2__c");
    set_ok(c, "mapping.account.name", "Legal_Name__c");
    set_ok(c, "mapping.deal.pipeline", "Pipeline__c");
    set_ok(c, "mapping.deal.stage", "properties.dealstage");
    assert_int_equal(c->nmappings, 4);
    set_ok(c, "mapping.account.name", NULL); /* removes */
    set_ok(c, "mapping.account.name", NULL);
    set_ok(c, "mapping.account.industry", NULL); /* never set */
    assert_int_equal(c->nmappings, 3);
    assert_null(ucrm_conf__mapping(c, UCRM_OBJECT_ACCOUNT, "name"));
    assert_get(c, "mapping.account.name", "");
    assert_string_equal(ucrm_conf__mapping(c, UCRM_OBJECT_DEAL, "pipeline"), "Pipeline__c");
    assert_string_equal(ucrm_conf__mapping(c, UCRM_OBJECT_DEAL, "stage"), "properties.dealstage");
    assert_null(ucrm_conf__mapping(c, UCRM_OBJECT_DEAL, NULL));
    assert_null(ucrm_conf__mapping(NULL, UCRM_OBJECT_DEAL, "stage"));
    /* Every writable field of every object can be mapped. */
    for (int o = UCRM_OBJECT_CONTACT; o <= UCRM_OBJECT_DEAL; o++) {
        size_t n;
        const ucrm_model_field_t *f = ucrm_model__fields((ucrm_object_t)o, &n);
        for (size_t i = 0; i < n; i++) {
            char key[96];
            snprintf(key, sizeof key, "mapping.%s.%s", ucrm_object_name((ucrm_object_t)o), f[i].name);
            ucrm_err_t want = f[i].flags & UCRM_MF_READONLY ? UCRM_ERR_CONF_UNKNOWN : UCRM_OK;
            assert_int_equal(ucrm_conf_set(c, key, "X__c", NULL), want);
        }
    }
    ucrm_conf_destroy(c);
}

static void test_conf__mapping_invalid(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    set_fails(c, "mapping.lead.email", "Email", UCRM_ERR_CONF_UNKNOWN, "contact, account or deal");
    set_fails(c, "mapping.contacts.email", "Email", UCRM_ERR_CONF_UNKNOWN, NULL);
    set_fails(c, "mapping.contact", "Email", UCRM_ERR_CONF_UNKNOWN, NULL);
    set_fails(c, "mapping.", "Email", UCRM_ERR_CONF_UNKNOWN, NULL);
    set_fails(c, "mapping.contact.", "Email", UCRM_ERR_CONF_UNKNOWN, NULL);
    set_fails(c, "mapping.contact.nickname", "Nick__c", UCRM_ERR_CONF_UNKNOWN, "first_name, last_name, email");
    set_fails(c, "mapping.contact.custom.Foo__c", "Foo__c", UCRM_ERR_CONF_UNKNOWN, "custom");
    set_fails(c, "mapping.account.first_name", "X", UCRM_ERR_CONF_UNKNOWN, NULL);
    set_fails(c, "mapping.deal.status", "Status__c", UCRM_ERR_CONF_UNKNOWN, "read-only");
    set_fails(c, "mapping.contact.id", "Id", UCRM_ERR_CONF_UNKNOWN, "read-only");
    set_fails(c, "mapping.account.created_at", "X", UCRM_ERR_CONF_UNKNOWN, "read-only");
    set_fails(c, "mapping.deal.status", NULL, UCRM_ERR_CONF_UNKNOWN, NULL);
    set_fails(c, "mapping.contact.email", "", UCRM_ERR_CONF_INVALID, "[A-Za-z0-9_.]");
    set_fails(c, "mapping.contact.email", "Work Email", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "mapping.contact.email", "Email-2", UCRM_ERR_CONF_INVALID, NULL);
    set_fails(c, "mapping.contact.email", "Em\xc3\xa4il", UCRM_ERR_CONF_INVALID, NULL);
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    set_fails(c, "mapping.contact.email", longname, UCRM_ERR_CONF_INVALID, "255");
    longname[255] = '\0';
    set_ok(c, "mapping.contact.email", longname);
    assert_int_equal(c->nmappings, 1);
    size_t n = 0;
    assert_int_equal(ucrm_conf_get(c, "mapping.deal.status", NULL, &n, NULL), UCRM_ERR_CONF_UNKNOWN);
    assert_int_equal(ucrm_conf_get(c, "mapping.lead.x", NULL, &n, NULL), UCRM_ERR_CONF_UNKNOWN);
    ucrm_conf_destroy(c);
}

/* ---------------------------------------------------------------------------------------------- get */

static void test_conf__get_size_probing(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for("hubspot");
    size_t n = 0;
    assert_int_equal(ucrm_conf_get(c, "api.url", NULL, &n, NULL), UCRM_OK);
    assert_int_equal(n, strlen("https://api.hubapi.com") + 1);
    char buf[64];
    size_t small = 5;
    memset(buf, 'z', sizeof buf);
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_conf_get(c, "api.url", buf, &small, &e), UCRM_ERR_INVALID_ARG);
    assert_int_equal(small, n);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[5], 'z'); /* nothing written past the given size */
    assert_int_equal(ucrm_error_code(e), UCRM_ERR_INVALID_ARG);
    ucrm_error_destroy(e);
    size_t zero = 0;
    assert_int_equal(ucrm_conf_get(c, "api.url", buf, &zero, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(zero, n);
    assert_int_equal(buf[0], '\0');
    size_t exact = n;
    assert_int_equal(ucrm_conf_get(c, "api.url", buf, &exact, NULL), UCRM_OK);
    assert_string_equal(buf, "https://api.hubapi.com");
    size_t big = sizeof buf;
    assert_int_equal(ucrm_conf_get(c, "retry.max", buf, &big, NULL), UCRM_OK);
    assert_int_equal(big, 2);
    assert_string_equal(buf, "3");
    size_t one = 1; /* "" fits in one byte */
    assert_int_equal(ucrm_conf_get(c, "ratelimit.key", buf, &one, NULL), UCRM_OK);
    assert_string_equal(buf, "");
    e = NULL;
    assert_int_equal(ucrm_conf_get(c, "api.url", buf, NULL, &e), UCRM_ERR_INVALID_ARG);
    ucrm_error_destroy(e);
    assert_int_equal(ucrm_conf_get(NULL, "api.url", NULL, &n, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_conf_get(c, NULL, NULL, &n, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_conf_get(c, "bad\x01key", NULL, &n, NULL), UCRM_ERR_CONF_UNKNOWN);
    /* secrets: the redaction marker's size, never the secret's */
    set_ok(c, "auth.access.token", SECRET);
    assert_int_equal(ucrm_conf_get(c, "auth.access.token", NULL, &n, NULL), UCRM_OK);
    assert_int_equal(n, sizeof "[redacted]");
    ucrm_conf_destroy(c);
}

/* ---------------------------------------------------------------------------------------------- dump */

static void test_conf__dump(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    char **kv = NULL;
    size_t n = 99;
    assert_int_equal(ucrm_conf_dump(c, &kv, &n), UCRM_OK);
    assert_non_null(kv);
    assert_int_equal(n, 0);
    ucrm_conf_dump_free(kv, n);
    ucrm_conf_dump_free(NULL, 0);

    set_ok(c, "provider", "hubspot");
    set_ok(c, "http.timeout.ms", "30000");      /* equal to the default: not dumped */
    set_ok(c, "ratelimit.requests", "190");     /* equal to hubspot's default */
    set_ok(c, "retry.max", "5");
    set_ok(c, "api.url", "http://127.0.0.1:9");
    set_ok(c, "auth.client.secret", SECRET);
    set_ok(c, "mapping.deal.pipeline", "pipeline2");
    set_ok(c, "mapping.contact.lifecycle_stage", "lifecyclestage");
    set_ok(c, "log.stderr", "on");
    set_ok(c, "ratelimit.key", ""); /* reads back like the unset key: not dumped */
    assert_int_equal(ucrm_conf_dump(c, &kv, &n), UCRM_OK);
    const char *want[] = {
        "api.url", "http://127.0.0.1:9", "auth.client.secret", "[redacted]", "log.stderr", "true",
        "mapping.contact.lifecycle_stage", "lifecyclestage", "mapping.deal.pipeline", "pipeline2",
        "provider", "hubspot", "retry.max", "5",
    };
    assert_int_equal(n, sizeof want / sizeof *want);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(kv[i], want[i]);
    ucrm_conf_dump_free(kv, n);

    /* "differs from default" follows the provider */
    set_ok(c, "provider", "salesforce");
    assert_int_equal(ucrm_conf_dump(c, &kv, &n), UCRM_OK);
    bool has_requests = false;
    for (size_t i = 0; i + 1 < n; i += 2) {
        has_requests |= strcmp(kv[i], "ratelimit.requests") == 0 && strcmp(kv[i + 1], "190") == 0;
        if (i >= 2)
            assert_true(strcmp(kv[i - 2], kv[i]) < 0);
    }
    assert_true(has_requests);
    ucrm_conf_dump_free(kv, n);
    assert_int_equal(ucrm_conf_dump(NULL, &kv, &n), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_conf_dump(c, NULL, &n), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_conf_dump(c, &kv, NULL), UCRM_ERR_INVALID_ARG);
    ucrm_conf_destroy(c);
}

/* ---------------------------------------------------------------------------------------------- dup */

static void log_cb(int level, const char *facility, const char *message, void *opaque) {
    (void)level, (void)facility, (void)message, (void)opaque;
}
static int token_cb(const char *a, const char *r, int64_t e, const char *i, void *opaque) {
    (void)a, (void)r, (void)e, (void)i, (void)opaque;
    return 0;
}
static void observer_cb(const ucrm_request_info_t *info, void *opaque) { (void)info, (void)opaque; }
static ucrm_err_t send_fn(void *opaque, const ucrm_http_request_t *req, ucrm_http_response_t *resp) {
    (void)opaque, (void)req, (void)resp;
    return UCRM_OK;
}
static void destroy_fn(void *opaque) { (void)opaque; }

static void test_conf__dup_independent(void **state) {
    (void)state;
    int o1, o2, o3, o4;
    ucrm_conf_t *c = conf_for("hubspot");
    set_ok(c, "retry.max", "9");
    set_ok(c, "auth.access.token", SECRET);
    set_ok(c, "mapping.contact.email", "email");
    ucrm_conf_set_log_cb(c, log_cb, &o1);
    ucrm_conf_set_token_cb(c, token_cb, &o2);
    ucrm_conf_set_request_observer(c, observer_cb, &o3);
    ucrm_transport_t t;
    memset(&t, 0, sizeof t);
    t.version = UCRM_TRANSPORT_VERSION;
    t.opaque = &o4;
    t.send = send_fn;
    t.destroy = destroy_fn;
    assert_int_equal(ucrm_conf_set_transport(c, &t), UCRM_OK);

    ucrm_conf_t *d = ucrm_conf_dup(c);
    assert_non_null(d);
    assert_get(d, "retry.max", "9");
    assert_get(d, "provider", "hubspot");
    assert_get(d, "mapping.contact.email", "email");
    assert_string_equal(ucrm_conf__str(d, UCRM_P_AUTH_ACCESS_TOKEN), SECRET);
    assert_ptr_equal(d->log_cb, log_cb);
    assert_ptr_equal(d->log_opaque, &o1);
    assert_ptr_equal(d->token_cb, token_cb);
    assert_ptr_equal(d->token_opaque, &o2);
    assert_ptr_equal(d->observer_cb, observer_cb);
    assert_ptr_equal(d->observer_opaque, &o3);
    assert_true(d->has_transport);
    assert_ptr_equal(d->transport.send, send_fn);
    assert_ptr_equal(d->transport.opaque, &o4);
    assert_ptr_equal(d->transport.destroy, destroy_fn);

    /* Changing the copy leaves the original alone, and the other way round. */
    set_ok(d, "retry.max", "1");
    set_ok(d, "provider", "salesforce");
    set_ok(d, "auth.access.token", NULL);
    set_ok(d, "mapping.contact.email", "Email");
    set_ok(d, "mapping.deal.stage", "StageName");
    ucrm_conf_set_log_cb(d, NULL, NULL);
    ucrm_conf_set_transport(d, NULL);
    set_ok(c, "http.pool.size", "2");
    assert_get(c, "retry.max", "9");
    assert_get(c, "provider", "hubspot");
    assert_string_equal(ucrm_conf__str(c, UCRM_P_AUTH_ACCESS_TOKEN), SECRET);
    assert_get(c, "mapping.contact.email", "email");
    assert_get(c, "mapping.deal.stage", "");
    assert_ptr_equal(c->log_cb, log_cb);
    assert_true(c->has_transport);
    assert_get(d, "http.pool.size", "16");
    ucrm_conf_destroy(c);
    assert_get(d, "mapping.contact.email", "Email"); /* the copy outlives the original */
    ucrm_conf_destroy(d);
    assert_null(ucrm_conf_dup(NULL));
    ucrm_conf_t *empty = ucrm_conf_new();
    ucrm_conf_t *d2 = ucrm_conf_dup(empty);
    assert_non_null(d2);
    assert_int_equal(d2->nmappings, 0);
    ucrm_conf_destroy(empty);
    ucrm_conf_destroy(d2);
}

/* ---------------------------------------------------------------------------------------------- callbacks */

static void test_conf__callback_setters(void **state) {
    (void)state;
    int o;
    ucrm_conf_t *c = conf_for(NULL);
    assert_null(c->log_cb);
    assert_int_equal(ucrm_conf_set_log_cb(c, log_cb, &o), UCRM_OK);
    assert_ptr_equal(c->log_cb, log_cb);
    assert_ptr_equal(c->log_opaque, &o);
    assert_int_equal(ucrm_conf_set_log_cb(c, NULL, &o), UCRM_OK);
    assert_null(c->log_cb);
    assert_null(c->log_opaque);
    assert_int_equal(ucrm_conf_set_token_cb(c, token_cb, &o), UCRM_OK);
    assert_ptr_equal(c->token_cb, token_cb);
    assert_ptr_equal(c->token_opaque, &o);
    assert_int_equal(ucrm_conf_set_token_cb(c, NULL, NULL), UCRM_OK);
    assert_null(c->token_cb);
    assert_null(c->token_opaque);
    assert_int_equal(ucrm_conf_set_request_observer(c, observer_cb, &o), UCRM_OK);
    assert_ptr_equal(c->observer_cb, observer_cb);
    assert_ptr_equal(c->observer_opaque, &o);
    assert_int_equal(ucrm_conf_set_request_observer(c, NULL, &o), UCRM_OK);
    assert_null(c->observer_cb);
    assert_null(c->observer_opaque);
    /* an opaque may be any integer cast to a pointer: never dereferenced */
    assert_int_equal(ucrm_conf_set_log_cb(c, log_cb, (void *)(uintptr_t)42), UCRM_OK);
    assert_ptr_equal(c->log_opaque, (void *)(uintptr_t)42);
    assert_int_equal(ucrm_conf_set_log_cb(NULL, log_cb, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_conf_set_token_cb(NULL, token_cb, NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_conf_set_request_observer(NULL, observer_cb, NULL), UCRM_ERR_INVALID_ARG);
    ucrm_conf_destroy(c);
}

static void test_conf__transport_setter(void **state) {
    (void)state;
    int o;
    ucrm_conf_t *c = conf_for(NULL);
    ucrm_transport_t t;
    memset(&t, 0, sizeof t);
    t.send = send_fn;
    t.opaque = &o;
    t.version = 0;
    assert_int_equal(ucrm_conf_set_transport(c, &t), UCRM_ERR_INVALID_ARG);
    t.version = UCRM_TRANSPORT_VERSION + 1;
    assert_int_equal(ucrm_conf_set_transport(c, &t), UCRM_ERR_INVALID_ARG);
    t.version = UCRM_TRANSPORT_VERSION;
    t.send = NULL;
    assert_int_equal(ucrm_conf_set_transport(c, &t), UCRM_ERR_INVALID_ARG);
    assert_false(c->has_transport);
    t.send = send_fn;
    assert_int_equal(ucrm_conf_set_transport(NULL, &t), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_conf_set_transport(c, &t), UCRM_OK);
    assert_true(c->has_transport);
    assert_int_equal(c->transport.version, UCRM_TRANSPORT_VERSION);
    assert_ptr_equal(c->transport.send, send_fn);
    assert_ptr_equal(c->transport.opaque, &o);
    assert_null(c->transport.destroy);
    /* copied: the caller's struct may go away */
    memset(&t, 0, sizeof t);
    assert_ptr_equal(c->transport.send, send_fn);
    /* a failed set leaves the previous transport */
    assert_int_equal(ucrm_conf_set_transport(c, &t), UCRM_ERR_INVALID_ARG);
    assert_true(c->has_transport);
    assert_int_equal(ucrm_conf_set_transport(c, NULL), UCRM_OK);
    assert_false(c->has_transport);
    assert_null(c->transport.send);
    ucrm_conf_destroy(c);
}

/* ---------------------------------------------------------------------------------------------- describe */

static void test_conf__describe_json(void **state) {
    (void)state;
    char *json = NULL;
    assert_int_equal(ucrm_conf_describe_json(NULL), UCRM_ERR_INVALID_ARG);
    assert_int_equal(ucrm_conf_describe_json(&json), UCRM_OK);
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    assert_true(cJSON_IsArray(root));
    assert_int_equal(cJSON_GetArraySize(root), UCRM_P__COUNT);
    int seen[UCRM_P__COUNT] = {0};
    const cJSON *item;
    cJSON_ArrayForEach(item, root) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");
        assert_true(cJSON_IsString(name));
        int id = ucrm_conf__find(name->valuestring);
        assert_true(id >= 0);
        seen[id]++;
        const ucrm_prop_t *r = &ucrm_props[id];
        const char *fields[] = {"scope", "type", "default", "provider_defaults", "min", "max", "values", "secret",
                                "description"};
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
            assert_non_null(cJSON_GetObjectItemCaseSensitive(item, fields[i]));
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(item, "scope")));
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(item, "description")->valuestring, r->desc);
        const cJSON *def = cJSON_GetObjectItemCaseSensitive(item, "default");
        if (r->def)
            assert_string_equal(def->valuestring, r->def);
        else
            assert_true(cJSON_IsNull(def));
        const cJSON *pd = cJSON_GetObjectItemCaseSensitive(item, "provider_defaults");
        assert_true(cJSON_IsObject(pd));
        const cJSON *hs = cJSON_GetObjectItemCaseSensitive(pd, "hubspot");
        const cJSON *sf = cJSON_GetObjectItemCaseSensitive(pd, "salesforce");
        assert_int_equal(hs != NULL, r->def_hubspot != NULL);
        assert_int_equal(sf != NULL, r->def_salesforce != NULL);
        if (hs)
            assert_string_equal(hs->valuestring, r->def_hubspot);
        if (sf)
            assert_string_equal(sf->valuestring, r->def_salesforce);
        assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "secret")), r->type == UCRM_PT_SECRET);
        const cJSON *min = cJSON_GetObjectItemCaseSensitive(item, "min");
        const cJSON *max = cJSON_GetObjectItemCaseSensitive(item, "max");
        if (r->type == UCRM_PT_INT || r->type == UCRM_PT_MS) {
            assert_true(cJSON_IsNumber(min) && cJSON_IsNumber(max));
            assert_true(min->valuedouble == (double)r->min && max->valuedouble == (double)r->max);
        } else {
            assert_true(cJSON_IsNull(min) && cJSON_IsNull(max));
        }
        const cJSON *values = cJSON_GetObjectItemCaseSensitive(item, "values");
        if (r->type == UCRM_PT_ENUM) {
            assert_true(cJSON_IsArray(values));
            assert_true(cJSON_GetArraySize(values) >= 2);
            const cJSON *v;
            cJSON_ArrayForEach(v, values) assert_non_null(strstr(r->enum_values, v->valuestring));
        } else {
            assert_true(cJSON_IsNull(values));
        }
    }
    for (int p = 0; p < UCRM_P__COUNT; p++)
        if (seen[p] != 1)
            fail_msg("%s listed %d times", ucrm_props[p].name, seen[p]);
    /* spot checks */
    const cJSON *first = cJSON_GetArrayItem(root, UCRM_P_PROVIDER);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(first, "type")->valuestring, "enum");
    const cJSON *tok = cJSON_GetArrayItem(root, UCRM_P_AUTH_ACCESS_TOKEN);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(tok, "type")->valuestring, "secret");
    const cJSON *ver = cJSON_GetArrayItem(root, UCRM_P_SF_API_VERSION);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(ver, "scope")->valuestring, "salesforce");
    cJSON_Delete(root);
    ucrm_free(json);
}

/* ---------------------------------------------------------------------------------------------- internals */

static void test_conf__internal_accessors(void **state) {
    (void)state;
    assert_int_equal(ucrm_conf__find("provider"), UCRM_P_PROVIDER);
    assert_int_equal(ucrm_conf__find("upsert.deal.key"), UCRM_P_UPSERT_KEY_DEAL);
    assert_int_equal(ucrm_conf__find("nope"), -1);
    assert_int_equal(ucrm_conf__find(NULL), -1);
    assert_int_equal(ucrm_conf__find("mapping.contact.email"), -1);
    assert_null(ucrm_conf__str(NULL, UCRM_P_RETRY_MAX));
    ucrm_conf_t *c = conf_for(NULL);
    assert_null(ucrm_conf__str(c, UCRM_P__COUNT));
    assert_null(ucrm_conf__str(c, (ucrm_prop_id_t)-1));
    assert_false(ucrm_conf__is_set(c, UCRM_P__COUNT));
    assert_false(ucrm_conf__is_set(NULL, UCRM_P_RETRY_MAX));
    assert_int_equal(ucrm_conf__int(c, UCRM_P_AUTH_CLIENT_ID), 0);
    assert_false(ucrm_conf__bool(NULL, UCRM_P_RL_ENABLE));
    assert_int_equal(ucrm_conf__log_level(c), UCRM_LOG_WARNING);
    const char *levels[] = {"error", "warning", "notice", "info", "debug"};
    for (int i = 0; i < 5; i++) {
        set_ok(c, "log.level", levels[i]);
        assert_int_equal(ucrm_conf__log_level(c), UCRM_LOG_ERROR + i);
    }
    set_ok(c, "ratelimit.daily", "1000000000");
    assert_int_equal(ucrm_conf__int(c, UCRM_P_RL_DAILY), 1000000000);
    ucrm_conf_destroy(c);
}

/* On success *errp is left untouched; on failure an earlier error in *errp is replaced, not leaked. */
static void test_conf__errp_contract(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for(NULL);
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_conf_set(c, "retry.max", "2", &e), UCRM_OK);
    assert_null(e);
    assert_int_equal(ucrm_conf_set(c, "retry.max", "x", &e), UCRM_ERR_CONF_INVALID);
    ucrm_error_t *first = e;
    assert_int_equal(ucrm_conf_set(c, "retry.max", "1", &e), UCRM_OK);
    assert_ptr_equal(e, first);
    assert_int_equal(ucrm_conf_set(c, "nope", "1", &e), UCRM_ERR_CONF_UNKNOWN);
    assert_int_equal(ucrm_error_code(e), UCRM_ERR_CONF_UNKNOWN);
    ucrm_error_destroy(e);
    ucrm_conf_destroy(c);
}

/* ---------------------------------------------------------------------------------------------- Redis keys */

/* The Redis keys: their syntax where the backend is built in, UCRM_ERR_NOT_BUILT_IN with the reason where not. */
static void test_conf__redis_keys(void **state) {
    (void)state;
    ucrm_conf_t *c = conf_for("hubspot");
    set_ok(c, "ratelimit.backend", "memory");
    set_ok(c, "token.store", "memory");
    set_fails(c, "ratelimit.backend", "etcd", UCRM_ERR_CONF_INVALID, "memory, redis");
    if (!(ucrm_features() & UCRM_FEATURE_REDIS)) {
        set_fails(c, "redis.tls", "true", UCRM_ERR_NOT_BUILT_IN, "without Redis support");
        set_fails(c, "ratelimit.backend", "redis", UCRM_ERR_NOT_BUILT_IN, "libhiredis-dev");
        set_fails(c, "token.store", "redis", UCRM_ERR_NOT_BUILT_IN, "without Redis support");
        set_fails(c, "redis.url", "redis://localhost", UCRM_ERR_NOT_BUILT_IN, "without Redis support");
        set_fails(c, "redis.prefix", "app:", UCRM_ERR_NOT_BUILT_IN, "without Redis support");
        set_ok(c, "redis.url", NULL); /* a reset is always fine */
        ucrm_conf_destroy(c);
        return;
    }
    set_ok(c, "ratelimit.backend", "redis");
    set_ok(c, "token.store", "redis");
    set_ok(c, "redis.tls", "false");
    set_fails(c, "redis.tls", "true", UCRM_ERR_NOT_BUILT_IN, "hiredis_ssl"); /* Debian's hiredis has no TLS */
    static const char *const good[] = {"redis://localhost", "redis://127.0.0.1:6380/2", "redis://[::1]:6379",
                                       "REDIS://cache.internal:7000/0", "redis://:" SECRET "@h",
                                       "redis://app:" SECRET "@h:1/15", "redis://a:p%40ss@h/"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        set_ok(c, "redis.url", good[i]);
    static const struct {
        const char *url, *why;
    } bad[] = {
        {"http://h", "redis://"},
        {"rediss://h", "TLS"},
        {"redis://", "host"},
        {"redis://h:0", "port"},
        {"redis://h:99999", "port"},
        {"redis://h:6379/x", "database"},
        {"redis://h/-1", "database"},
        {"redis://h?timeout=1", "query"},
        {"redis://app@h", "password"},
        {"redis://app:@h", "empty"},
        {"redis://a:p%4@h", "percent"},
        {"redis://[::1", "["},
        {"redis://h" SECRET "@:1", "host"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        set_fails(c, "redis.url", bad[i].url, UCRM_ERR_CONF_INVALID, bad[i].why);
    set_fails(c, "redis.url", "redis://x:" SECRET "@", UCRM_ERR_CONF_INVALID, "host"); /* never quoted */
    /* the password never shows */
    set_ok(c, "redis.url", "redis://app:" SECRET "@h:1/2");
    assert_get(c, "redis.url", "[redacted]");
    char **kv = NULL;
    size_t n = 0;
    assert_int_equal(ucrm_conf_dump(c, &kv, &n), UCRM_OK);
    for (size_t i = 0; i < n; i++)
        assert_null(strstr(kv[i], SECRET));
    ucrm_conf_dump_free(kv, n);
    set_ok(c, "redis.prefix", "myapp:prod:");
    set_fails(c, "redis.prefix", "a{b}", UCRM_ERR_CONF_INVALID, "braces");
    set_fails(c, "redis.prefix", "a b", UCRM_ERR_CONF_INVALID, "spaces");
    set_ok(c, "redis.token.key", "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF");
    set_fails(c, "redis.token.key", "0011", UCRM_ERR_CONF_INVALID, "64 hexadecimal");
    set_fails(c, "redis.token.key", SECRET SECRET SECRET, UCRM_ERR_CONF_INVALID, "64 hexadecimal");
    assert_get(c, "redis.token.key", "[redacted]");
    set_ok(c, "redis.failure", "degrade");
    set_fails(c, "redis.failure", "open", UCRM_ERR_CONF_INVALID, "closed, degrade");
    set_fails(c, "redis.degrade.percent", "0", UCRM_ERR_CONF_INVALID, "between 1 and 100");
    set_fails(c, "redis.timeout.ms", "0", UCRM_ERR_CONF_INVALID, NULL);
    /* a client needs redis.url with a redis backend */
    ucrm_conf_t *d = conf_for("hubspot");
    set_ok(d, "auth.access.token", "pat-x");
    set_ok(d, "ratelimit.backend", "redis");
    ucrm_client_t *cl = NULL;
    ucrm_error_t *e = NULL;
    assert_int_equal(ucrm_client_new(&cl, d, &e), UCRM_ERR_CONF_INVALID);
    assert_non_null(strstr(ucrm_error_message(e), "redis.url"));
    ucrm_error_destroy(e);
    ucrm_conf_destroy(d);
    ucrm_conf_destroy(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conf__table_consistent),
        cmocka_unit_test(test_conf__defaults_are_valid),
        cmocka_unit_test(test_conf__new_destroy),
        cmocka_unit_test(test_conf__bad_args),
        cmocka_unit_test(test_conf__unknown_key),
        cmocka_unit_test(test_conf__int_values),
        cmocka_unit_test(test_conf__ms_values),
        cmocka_unit_test(test_conf__bool_values),
        cmocka_unit_test(test_conf__enum_values),
        cmocka_unit_test(test_conf__url_values),
        cmocka_unit_test(test_conf__file_values),
        cmocka_unit_test(test_conf__string_values),
        cmocka_unit_test(test_conf__text_checks),
        cmocka_unit_test(test_conf__defaults),
        cmocka_unit_test(test_conf__provider_defaults),
        cmocka_unit_test(test_conf__null_resets),
        cmocka_unit_test(test_conf__sf_api_version),
        cmocka_unit_test(test_conf__builtin_features),
        cmocka_unit_test(test_conf__upsert_keys),
        cmocka_unit_test(test_conf__secrets_never_shown),
        cmocka_unit_test(test_conf__secret_replaced),
        cmocka_unit_test(test_conf__mapping_valid),
        cmocka_unit_test(test_conf__mapping_invalid),
        cmocka_unit_test(test_conf__get_size_probing),
        cmocka_unit_test(test_conf__dump),
        cmocka_unit_test(test_conf__dup_independent),
        cmocka_unit_test(test_conf__callback_setters),
        cmocka_unit_test(test_conf__transport_setter),
        cmocka_unit_test(test_conf__describe_json),
        cmocka_unit_test(test_conf__internal_accessors),
        cmocka_unit_test(test_conf__errp_contract),
        cmocka_unit_test(test_conf__redis_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
