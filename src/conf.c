/*
 * conf.c -- the configuration object: string keys checked against the property table (conf_props.c),
 * per-connection field mappings, typed callback setters, the transport, and the internal accessors.
 *
 * Values are stored as validated, normalised text (NULL = default). Defaults are never copied into the object:
 * the effective value is computed from the table and the provider currently set, so setting `provider` after
 * other keys changes their defaults as expected. Secrets are wiped when replaced, reset or destroyed, and never
 * appear in anything this file returns or in an error message.
 */
#include "conf_int.h"
#include "error_int.h"
#include "model_int.h"
#ifdef UCRM_WITH_REDIS
#include "redis_int.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAPPING_PREFIX "mapping."
#define MAPPING_PREFIX_LEN 8
#define REDACTED "[redacted]"
#define VALUE_MAX 8192      /* longest accepted value, in bytes */
#define TARGET_MAX 255      /* longest provider field name in a mapping */
#define ECHO_MAX 64         /* longest excerpt of a value or key quoted in an error message */

/* ---------------------------------------------------------------------------------------------- helpers */

static ucrm_err_t nomem(ucrm_error_t **errp) { return ucrm__give(errp, &ucrm__oom_error); }

/* The message for a failure with code could not be built: hand out the OOM error but keep the code, as
 * ucrm__fail() does when it cannot allocate the error object. */
static ucrm_err_t fail_oom_msg(ucrm_error_t **errp, ucrm_err_t code) {
    ucrm__give(errp, &ucrm__oom_error);
    return code;
}

static bool prop_valid(ucrm_prop_id_t p) { return (int)p >= 0 && p < UCRM_P__COUNT; }

static bool is_secret(ucrm_prop_id_t p) { return prop_valid(p) && ucrm_props[p].type == UCRM_PT_SECRET; }

static void free_value(ucrm_prop_id_t p, char *v) {
    if (is_secret(p))
        ucrm__free_secret(v);
    else
        ucrm__free(v);
}

/* The default of p for the provider currently set in conf (the set value of p itself is ignored). */
static const char *prop_default(const ucrm_conf_t *conf, ucrm_prop_id_t p) {
    const ucrm_prop_t *row = &ucrm_props[p];
    const char *provider = conf ? conf->values[UCRM_P_PROVIDER] : NULL;
    if (row->def_hubspot && ucrm__streq(provider, "hubspot"))
        return row->def_hubspot;
    if (row->def_salesforce && ucrm__streq(provider, "salesforce"))
        return row->def_salesforce;
    return row->def;
}

/* Copies an excerpt of s (valid UTF-8) into out for quoting in a message, cut on a character boundary. */
static const char *excerpt(const char *s, char out[ECHO_MAX + 4]) {
    size_t n = strlen(s);
    if (n <= ECHO_MAX)
        return s;
    n = ECHO_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    memcpy(out, s, n);
    memcpy(out + n, "...", 4);
    return out;
}

typedef enum text_problem { TEXT_OK, TEXT_UTF8, TEXT_CONTROL } text_problem_t;

/* Valid UTF-8 without C0/C1 control characters or DEL? */
static text_problem_t text_check(const char *s) {
    size_t len = strlen(s);
    if (!ucrm__utf8_valid(s, len))
        return TEXT_UTF8;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F)
            return TEXT_CONTROL;
        if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9F)
            return TEXT_CONTROL; /* U+0080..U+009F */
    }
    return TEXT_OK;
}

/* The index of value in a comma-separated list, or -1. */
static int list_index(const char *list, const char *value) {
    if (!value)
        return -1;
    size_t vlen = strlen(value);
    int i = 0;
    for (const char *p = list; p && *p; i++) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == vlen && strncmp(p, value, n) == 0)
            return i;
        p = comma ? comma + 1 : NULL;
    }
    return -1;
}

/* Can the field carry a unique key (writable, and a single value rather than a JSON object or array)? */
static bool key_capable(const ucrm_model_field_t *f) {
    return !(f->flags & UCRM_MF_READONLY) && f->type != UCRM_FIELD_OBJECT && f->type != UCRM_FIELD_ARRAY;
}

/* Appends the writable (with scalar_only: key-capable) unified fields of object, comma-separated. */
static void put_writable_fields(ucrm_buf_t *b, ucrm_object_t object, bool scalar_only) {
    size_t n;
    const ucrm_model_field_t *f = ucrm_model__fields(object, &n);
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if ((f[i].flags & UCRM_MF_READONLY) || (scalar_only && !key_capable(&f[i])))
            continue;
        ucrm_buf__printf(b, "%s%s", first ? "" : ", ", f[i].name);
        first = false;
    }
}

/* A failure whose message ends with the writable fields of object. */
static ucrm_err_t fail_with_fields(ucrm_error_t **errp, ucrm_err_t code, ucrm_object_t object, bool scalar_only,
                                   const char *what) {
    if (!errp)
        return code;
    ucrm_buf_t b = UCRM_BUF_INIT;
    ucrm_buf__printf(&b, "%s (%s fields of %s: ", what, scalar_only ? "possible key" : "writable",
                     ucrm_object_name(object));
    put_writable_fields(&b, object, scalar_only);
    ucrm_buf__putc(&b, ')');
    if (b.oom) {
        ucrm_buf__free(&b);
        return fail_oom_msg(errp, code);
    }
    ucrm__fail(errp, code, "%s", ucrm_buf__str(&b));
    ucrm_buf__free(&b);
    return code;
}

/* ---------------------------------------------------------------------------------------------- type checks */

typedef struct setctx {
    ucrm_prop_id_t id;
    const char *name;
    const char *value;
    char quoted[ECHO_MAX + 4]; /* excerpt buffer; never used for secrets */
    ucrm_error_t **errp;
} setctx_t;

static const char *shown(setctx_t *c) { return excerpt(c->value, c->quoted); }

static ucrm_err_t check_int(setctx_t *c, char **norm) {
    const ucrm_prop_t *row = &ucrm_props[c->id];
    const char *what = row->type == UCRM_PT_MS ? "a duration in milliseconds" : "an integer";
    int64_t v;
    if (!ucrm__parse_i64(c->value, &v))
        return ucrm__fail(c->errp, UCRM_ERR_CONF_INVALID,
                          "'%s' must be %s between %" PRId64 " and %" PRId64 " (decimal digits only), got '%s'",
                          c->name, what, row->min, row->max, shown(c));
    if (v < row->min || v > row->max)
        return ucrm__fail(c->errp, UCRM_ERR_CONF_INVALID,
                          "'%s' must be %s between %" PRId64 " and %" PRId64 ", got %" PRId64, c->name, what,
                          row->min, row->max, v);
    ucrm_buf_t b = UCRM_BUF_INIT;
    ucrm_buf__printf(&b, "%" PRId64, v);
    if (!(*norm = ucrm_buf__steal(&b)))
        return nomem(c->errp);
    return UCRM_OK;
}

static ucrm_err_t check_bool(setctx_t *c, char **norm) {
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};
    for (size_t i = 0; i < UCRM__ARRAY_LEN(yes); i++) {
        const char *canon = ucrm__strcaseeq(c->value, yes[i]) ? "true"
                            : ucrm__strcaseeq(c->value, no[i]) ? "false"
                                                              : NULL;
        if (canon)
            return (*norm = ucrm__strdup(canon)) ? UCRM_OK : nomem(c->errp);
    }
    return ucrm__fail(c->errp, UCRM_ERR_CONF_INVALID,
                      "'%s' must be true or false (also 1/0, yes/no, on/off), got '%s'", c->name, shown(c));
}

static ucrm_err_t check_enum(setctx_t *c) {
    const char *values = ucrm_props[c->id].enum_values;
    if (list_index(values, c->value) >= 0)
        return UCRM_OK;
    if (!c->errp)
        return UCRM_ERR_CONF_INVALID;
    ucrm_buf_t b = UCRM_BUF_INIT;
    for (const char *p = values; *p; p++)
        *p == ',' ? ucrm_buf__puts(&b, ", ") : ucrm_buf__putc(&b, *p);
    ucrm_err_t rc = b.oom ? fail_oom_msg(c->errp, UCRM_ERR_CONF_INVALID)
                          : ucrm__fail(c->errp, UCRM_ERR_CONF_INVALID, "'%s' must be one of %s; got '%s'", c->name,
                                       ucrm_buf__str(&b), shown(c));
    ucrm_buf__free(&b);
    return rc;
}

/* A character allowed in the path of a base URL (RFC 3986 pchar and '/', without '@'). */
static bool path_char_ok(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("-._~!$&'()*+,;=:/%", ch));
}

/* Host [":" port] of an http(s) URL: a DNS name / IPv4 address, or an IPv6 literal in brackets. */
static bool authority_ok(const char *a, size_t len) {
    size_t i = 0;
    if (len && a[0] == '[') {
        while (i < len && a[i] != ']')
            i++;
        if (i == len || i < 3)
            return false;
        for (size_t k = 1; k < i; k++)
            if (!(strchr("0123456789abcdefABCDEF:.", a[k])))
                return false;
        i++;
    } else {
        while (i < len && a[i] != ':') {
            char ch = a[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                  ch == '.'))
                return false;
            i++;
        }
        if (i == 0)
            return false;
    }
    if (i == len)
        return true;
    if (a[i] != ':' || len - i < 2 || len - i > 6)
        return false;
    int64_t port;
    return ucrm__parse_i64_n(a + i + 1, len - i - 1, &port) && a[i + 1] != '+' && a[i + 1] != '-' && port >= 1 &&
           port <= 65535;
}

static ucrm_err_t check_url(setctx_t *c, char **norm) {
    const char *v = c->value;
    bool https = strncasecmp(v, "https://", 8) == 0;
    bool http = !https && strncasecmp(v, "http://", 7) == 0;
    const char *auth = https ? v + 8 : http ? v + 7 : v; /* never past the NUL */
    size_t alen = strcspn(auth, "/");
    bool chars_ok = https || http;
    for (const char *p = auth + alen; chars_ok && *p; p++)
        chars_ok = path_char_ok(*p);
    if (!chars_ok || !authority_ok(auth, alen))
        return ucrm__fail(c->errp, UCRM_ERR_CONF_INVALID,
                          "'%s' must be an https URL such as https://host[:port][/path], without user info, query "
                          "or fragment (ASCII only: percent-encode the rest), got '%s'",
                          c->name, shown(c));
    if (http && !ucrm__url_is_loopback(v))
        return ucrm__fail(c->errp, UCRM_ERR_CONF_INVALID,
                          "'%s': plain http is only allowed for loopback hosts (localhost, 127.0.0.0/8, [::1]) "
                          "because tokens would cross the network unencrypted; use https://, got '%s'",
                          c->name, shown(c));
    size_t n = strlen(v);
    size_t min = (size_t)(auth - v) + alen;
    while (n > min && v[n - 1] == '/')
        n--; /* the provider paths are appended: no trailing slash */
    return (*norm = ucrm__strndup(v, n)) ? UCRM_OK : nomem(c->errp);
}

static ucrm_err_t check_file(setctx_t *c) {
    const char *why = NULL;
    struct stat st;
    int fd = -1;
    if (!*c->value)
        why = "the path is empty";
    else if (stat(c->value, &st) != 0)
        why = errno == ENOENT || errno == ENOTDIR ? "no such file" : "cannot be accessed";
    else if (!S_ISREG(st.st_mode)) /* checked before open(): opening a FIFO would block */
        why = "not a regular file";
    else if ((fd = open(c->value, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
        why = errno == EACCES ? "permission denied" : "cannot be opened";
    if (fd >= 0)
        close(fd);
    if (!why)
        return UCRM_OK;
    return ucrm__fail(c->errp, UCRM_ERR_CONF_INVALID, "'%s' must name a readable file: '%s': %s", c->name,
                      shown(c), why);
}

/* ---------------------------------------------------------------------------------------------- property checks */

static ucrm_err_t check_sf_version(setctx_t *c) {
    const char *v = c->value;
    size_t maj = strspn(v, "0123456789");
    size_t min = v[maj] == '.' ? strspn(v + maj + 1, "0123456789") : 0;
    if (maj == 0 || maj > 4 || min == 0 || min > 4 || v[maj + 1 + min] != '\0')
        return ucrm__fail(c->errp, UCRM_ERR_CONF_INVALID,
                          "'%s' must be a version such as 66.0 (digits.digits, without the v), got '%s'", c->name,
                          shown(c));
    if (atoi(v) < 31)
        return ucrm__fail(c->errp, UCRM_ERR_CONF_INVALID,
                          "'%s': version %s is retired by Salesforce (requests fail with 410); use 31.0 or later",
                          c->name, shown(c));
    return UCRM_OK;
}

static const struct {
    const char *name;
    unsigned int bit;
} features[] = {
    {"hubspot", UCRM_FEATURE_HUBSPOT}, {"salesforce", UCRM_FEATURE_SALESFORCE}, {"threads", UCRM_FEATURE_THREADS},
    {"jwt", UCRM_FEATURE_JWT},         {"redis", UCRM_FEATURE_REDIS},           {"tls", UCRM_FEATURE_TLS},
};

/* One item of the builtin.features list: its bit, or 0 when unknown. */
static unsigned int feature_bit(const char *s, size_t n) {
    for (size_t i = 0; i < UCRM__ARRAY_LEN(features); i++)
        if (strlen(features[i].name) == n && strncmp(features[i].name, s, n) == 0)
            return features[i].bit;
    return 0;
}

/* builtin.features: every listed feature must be known and built in. Normalised to "a,b" (spaces and empty
 * items dropped). */
static ucrm_err_t check_features(setctx_t *c, char **norm) {
    ucrm_buf_t canon = UCRM_BUF_INIT;
    unsigned int want = 0;
    for (const char *p = c->value; *p;) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, ", ");
        if (n == 0)
            continue;
        unsigned int bit = feature_bit(p, n);
        if (!bit) {
            ucrm_buf__free(&canon);
            return ucrm__fail(c->errp, UCRM_ERR_CONF_INVALID,
                              "'%s': unknown feature '%.*s' (known: hubspot, salesforce, threads, jwt, redis, tls)",
                              c->name, (int)(n > ECHO_MAX ? ECHO_MAX : n), p);
        }
        want |= bit;
        ucrm_buf__printf(&canon, "%s%.*s", canon.len ? "," : "", (int)n, p);
        p += n;
    }
    unsigned int missing = want & ~ucrm_features();
    if (missing) {
        ucrm_buf_t m = UCRM_BUF_INIT;
        for (size_t i = 0; i < UCRM__ARRAY_LEN(features); i++)
            if (missing & features[i].bit)
                ucrm_buf__printf(&m, "%s%s", m.len ? ", " : "", features[i].name);
        ucrm_err_t rc = m.oom ? fail_oom_msg(c->errp, UCRM_ERR_NOT_BUILT_IN)
                              : ucrm__fail(c->errp, UCRM_ERR_NOT_BUILT_IN,
                                           "'%s': not built into this library: %s", c->name, ucrm_buf__str(&m));
        ucrm_buf__free(&m);
        ucrm_buf__free(&canon);
        return rc;
    }
    return (*norm = ucrm_buf__steal(&canon)) ? UCRM_OK : nomem(c->errp);
}

static ucrm_err_t check_upsert_key(setctx_t *c, ucrm_object_t object) {
    if (ucrm_model__is_custom(c->value))
        return UCRM_OK;
    const ucrm_model_field_t *f = ucrm_model__find(object, c->value);
    if (f && key_capable(f))
        return UCRM_OK;
    char what[ECHO_MAX * 3];
    snprintf(what, sizeof what, "'%s' must be a writable single-valued unified field or custom.<field>, got '%s'",
             c->name, shown(c));
    return fail_with_fields(c->errp, UCRM_ERR_CONF_INVALID, object, true, what);
}

/* redis.prefix: goes in front of every key; braces would move the Redis Cluster hash tag. */
static ucrm_err_t check_redis_prefix(setctx_t *c) {
    size_t n = strlen(c->value);
    if (n > 64 || strpbrk(c->value, "{} "))
        return ucrm__fail(c->errp, UCRM_ERR_CONF_INVALID,
                          "'%s' must be at most 64 characters without braces or spaces, got '%s'", c->name,
                          shown(c));
    return UCRM_OK;
}

/* redis.token.key: 64 hexadecimal digits (never quoted: it is a secret). */
static ucrm_err_t check_token_key(setctx_t *c) {
    if (strlen(c->value) != 64 || strspn(c->value, "0123456789abcdefABCDEF") != 64)
        return ucrm__fail(c->errp, UCRM_ERR_CONF_INVALID,
                          "'%s' must be a 256-bit key written as 64 hexadecimal digits (e.g. the output of "
                          "`openssl rand -hex 32`)", c->name);
    return UCRM_OK;
}

/* redis.url: the syntax only (never quoted: it may hold a password). */
static ucrm_err_t check_redis_url(setctx_t *c) {
#ifdef UCRM_WITH_REDIS
    ucrm_redis_url_t u;
    const char *why = NULL;
    if (ucrm_redis__parse_url(c->value, &u, &why)) {
        ucrm_redis__url_free(&u);
        return UCRM_OK;
    }
    if (why == NULL)
        return nomem(c->errp);
    return ucrm__fail(c->errp, UCRM_ERR_CONF_INVALID,
                      "'%s' must look like redis://[[user]:password@]host[:port][/db]: %s", c->name, why);
#else
    (void)c;
    return UCRM_OK;
#endif
}

/* Redis support is optional: its keys (and the redis backends) are refused by a build without it, and TLS to
 * Redis by every build (Debian's hiredis 0.14 has no hiredis_ssl). */
static ucrm_err_t check_built_in(setctx_t *c, const char *norm) {
    bool redis_key = ucrm__startswith(c->name, "redis.") ||
                     ((c->id == UCRM_P_RL_BACKEND || c->id == UCRM_P_TOKEN_STORE) && ucrm__streq(norm, "redis"));
    if (redis_key && !(ucrm_features() & UCRM_FEATURE_REDIS))
        return ucrm__fail(c->errp, UCRM_ERR_NOT_BUILT_IN,
                          "'%s': this library was built without Redis support (hiredis was not found when it "
                          "was built: install libhiredis-dev and rebuild)", c->name);
    if (c->id == UCRM_P_REDIS_TLS && ucrm__streq(norm, "true"))
        return ucrm__fail(c->errp, UCRM_ERR_NOT_BUILT_IN,
                          "'%s': TLS to Redis is not available: the hiredis this library is built with (Debian "
                          "12's 0.14) has no TLS support (hiredis_ssl); reach Redis over a trusted network or a "
                          "TLS tunnel, and see redis.token.key", c->name);
    return UCRM_OK;
}

/* Checks that depend on the property rather than its type. */
static ucrm_err_t check_special(setctx_t *c, char **norm) {
    switch (c->id) {
    case UCRM_P_REDIS_PREFIX: return check_redis_prefix(c);
    case UCRM_P_REDIS_TOKEN_KEY: return check_token_key(c);
    case UCRM_P_REDIS_URL: return check_redis_url(c);
    case UCRM_P_SF_API_VERSION: return check_sf_version(c);
    case UCRM_P_BUILTIN_FEATURES: return check_features(c, norm);
    case UCRM_P_UPSERT_KEY_CONTACT: return check_upsert_key(c, UCRM_OBJECT_CONTACT);
    case UCRM_P_UPSERT_KEY_ACCOUNT: return check_upsert_key(c, UCRM_OBJECT_ACCOUNT);
    case UCRM_P_UPSERT_KEY_DEAL: return check_upsert_key(c, UCRM_OBJECT_DEAL);
    default: return UCRM_OK;
    }
}

/* Validates c->value for its property; on success *norm holds the text to store (a new allocation). */
static ucrm_err_t validate(setctx_t *c, char **norm) {
    ucrm_err_t rc = UCRM_OK;
    *norm = NULL;
    switch (ucrm_props[c->id].type) {
    case UCRM_PT_INT:
    case UCRM_PT_MS: return check_int(c, norm);
    case UCRM_PT_BOOL: return check_bool(c, norm);
    case UCRM_PT_URL: return check_url(c, norm);
    case UCRM_PT_ENUM: rc = check_enum(c); break;
    case UCRM_PT_FILE: rc = check_file(c); break;
    case UCRM_PT_SECRET:
        if (!*c->value)
            return ucrm__fail(c->errp, UCRM_ERR_CONF_INVALID, "'%s' must not be empty (NULL resets it)", c->name);
        rc = check_special(c, norm);
        break;
    case UCRM_PT_STRING: rc = check_special(c, norm); break;
    }
    if (rc == UCRM_OK && !*norm && !(*norm = ucrm__strdup(c->value)))
        rc = nomem(c->errp);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- mappings */

typedef struct mapkey {
    ucrm_object_t object;
    const ucrm_model_field_t *field;
} mapkey_t;

/* Parses "mapping.<object>.<field>"; the field must be a writable unified field of the object. */
static ucrm_err_t parse_mapping_key(const char *key, mapkey_t *mk, ucrm_error_t **errp) {
    char q[ECHO_MAX + 4];
    const char *rest = key + MAPPING_PREFIX_LEN;
    const char *dot = strchr(rest, '.');
    static const char *const objects[] = {"contact", "account", "deal"};
    mk->object = 0;
    for (size_t i = 0; dot && i < UCRM__ARRAY_LEN(objects); i++)
        if ((size_t)(dot - rest) == strlen(objects[i]) && strncmp(rest, objects[i], strlen(objects[i])) == 0)
            mk->object = (ucrm_object_t)(i + 1);
    if (!mk->object)
        return ucrm__fail(errp, UCRM_ERR_CONF_UNKNOWN,
                          "unknown configuration key '%s': expected mapping.<object>.<field> with object contact, "
                          "account or deal",
                          excerpt(key, q));
    mk->field = ucrm_model__find(mk->object, dot + 1);
    if (mk->field && !(mk->field->flags & UCRM_MF_READONLY))
        return UCRM_OK;
    char what[ECHO_MAX * 4];
    if (mk->field)
        snprintf(what, sizeof what, "unknown configuration key '%s': '%s' is read-only and cannot be mapped", key,
                 mk->field->name);
    else
        snprintf(what, sizeof what,
                 "unknown configuration key '%s': not a unified field (custom.<name> fields need no mapping)",
                 excerpt(key, q));
    return fail_with_fields(errp, UCRM_ERR_CONF_UNKNOWN, mk->object, false, what);
}

static ucrm_mapping_t *find_mapping(const ucrm_conf_t *conf, ucrm_object_t object, const char *field) {
    for (size_t i = 0; i < conf->nmappings; i++)
        if (conf->mappings[i].object == object && ucrm__streq(conf->mappings[i].field, field))
            return &conf->mappings[i];
    return NULL;
}

static void remove_mapping(ucrm_conf_t *conf, ucrm_mapping_t *m) {
    ucrm__free(m->field);
    ucrm__free(m->target);
    size_t i = (size_t)(m - conf->mappings);
    memmove(m, m + 1, (conf->nmappings - i - 1) * sizeof *m);
    conf->nmappings--;
}

static bool target_ok(const char *t) {
    size_t n = strlen(t);
    return n >= 1 && n <= TARGET_MAX &&
           strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") == n;
}

static ucrm_err_t add_mapping(ucrm_conf_t *conf, const mapkey_t *mk, const char *target, ucrm_error_t **errp) {
    ucrm_mapping_t *grown = ucrm__realloc(conf->mappings, (conf->nmappings + 1) * sizeof *grown);
    if (!grown)
        return nomem(errp);
    conf->mappings = grown;
    ucrm_mapping_t m = {mk->object, ucrm__strdup(mk->field->name), ucrm__strdup(target)};
    if (!m.field || !m.target) {
        ucrm__free(m.field);
        ucrm__free(m.target);
        return nomem(errp);
    }
    conf->mappings[conf->nmappings++] = m;
    return UCRM_OK;
}

static ucrm_err_t set_mapping(ucrm_conf_t *conf, const char *key, const char *value, ucrm_error_t **errp) {
    mapkey_t mk;
    ucrm_err_t rc = parse_mapping_key(key, &mk, errp);
    if (rc != UCRM_OK)
        return rc;
    ucrm_mapping_t *m = find_mapping(conf, mk.object, mk.field->name);
    if (!value) {
        if (m)
            remove_mapping(conf, m);
        return UCRM_OK;
    }
    if (!target_ok(value)) {
        char q[ECHO_MAX + 4];
        return ucrm__fail(errp, UCRM_ERR_CONF_INVALID,
                          "'%s' must be a provider field name of 1 to %d characters from [A-Za-z0-9_.], got '%s'",
                          key, TARGET_MAX, excerpt(value, q));
    }
    if (m)
        return ucrm__strset(&m->target, value) ? UCRM_OK : nomem(errp);
    return add_mapping(conf, &mk, value, errp);
}

/* ---------------------------------------------------------------------------------------------- new, set */

UCRM_API ucrm_conf_t *ucrm_conf_new(void) { return ucrm__calloc(1, sizeof(ucrm_conf_t)); }

/* Rejects keys and values that are not printable UTF-8 text (a key is then not quoted back). */
static ucrm_err_t check_text(const char *key, const char *value, ucrm_error_t **errp) {
    static const char *const why[] = {"", "is not valid UTF-8", "contains a control character"};
    text_problem_t kp = text_check(key);
    if (kp != TEXT_OK)
        return ucrm__fail(errp, UCRM_ERR_CONF_UNKNOWN, "unknown configuration key: the key %s", why[kp]);
    if (!value)
        return UCRM_OK;
    char q[ECHO_MAX + 4];
    text_problem_t vp = text_check(value);
    if (vp != TEXT_OK)
        return ucrm__fail(errp, UCRM_ERR_CONF_INVALID, "the value of '%s' %s", excerpt(key, q), why[vp]);
    if (strlen(value) > VALUE_MAX)
        return ucrm__fail(errp, UCRM_ERR_CONF_INVALID, "the value of '%s' is longer than %d bytes", excerpt(key, q),
                          VALUE_MAX);
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_conf_set(ucrm_conf_t *conf, const char *key, const char *value, ucrm_error_t **errp) {
    if (!conf || !key)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_conf_set: %s is NULL", conf ? "key" : "conf");
    ucrm_err_t rc = check_text(key, value, errp);
    if (rc != UCRM_OK)
        return rc;
    if (ucrm__startswith(key, MAPPING_PREFIX))
        return set_mapping(conf, key, value, errp);
    int id = ucrm_conf__find(key);
    if (id < 0) {
        char q[ECHO_MAX + 4];
        return ucrm__fail(errp, UCRM_ERR_CONF_UNKNOWN,
                          "unknown configuration key '%s' (see docs/CONFIGURATION.md or ucrm_conf_describe_json())",
                          excerpt(key, q));
    }
    char *norm = NULL;
    if (value) {
        setctx_t c = {.id = (ucrm_prop_id_t)id, .name = ucrm_props[id].name, .value = value, .errp = errp};
        if ((rc = validate(&c, &norm)) != UCRM_OK)
            return rc;
        if ((rc = check_built_in(&c, norm)) != UCRM_OK) {
            free_value((ucrm_prop_id_t)id, norm);
            return rc;
        }
    }
    free_value((ucrm_prop_id_t)id, conf->values[id]);
    conf->values[id] = norm;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- get */

/* The text ucrm_conf_get() reports for key (borrowed: table, conf or a literal). */
static ucrm_err_t lookup(const ucrm_conf_t *conf, const char *key, const char **out, ucrm_error_t **errp) {
    if (text_check(key) != TEXT_OK)
        return ucrm__fail(errp, UCRM_ERR_CONF_UNKNOWN, "unknown configuration key: the key is not printable UTF-8");
    if (ucrm__startswith(key, MAPPING_PREFIX)) {
        mapkey_t mk;
        ucrm_err_t rc = parse_mapping_key(key, &mk, errp);
        if (rc != UCRM_OK)
            return rc;
        *out = ucrm_conf__mapping(conf, mk.object, mk.field->name);
        *out = *out ? *out : "";
        return UCRM_OK;
    }
    int id = ucrm_conf__find(key);
    if (id < 0) {
        char q[ECHO_MAX + 4];
        return ucrm__fail(errp, UCRM_ERR_CONF_UNKNOWN, "unknown configuration key '%s'", excerpt(key, q));
    }
    const char *v = ucrm_conf__str(conf, (ucrm_prop_id_t)id);
    if (is_secret((ucrm_prop_id_t)id))
        v = v ? REDACTED : "";
    *out = v ? v : "";
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_conf_get(const ucrm_conf_t *conf, const char *key, char *dest, size_t *dest_size,
                                  ucrm_error_t **errp) {
    if (!conf || !key || !dest_size)
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_conf_get: %s is NULL",
                          !conf ? "conf" : !key ? "key" : "dest_size");
    const char *v = "";
    ucrm_err_t rc = lookup(conf, key, &v, errp);
    if (rc != UCRM_OK)
        return rc;
    size_t need = strlen(v) + 1;
    if (!dest) {
        *dest_size = need;
        return UCRM_OK;
    }
    if (*dest_size < need) {
        if (*dest_size > 0)
            dest[0] = '\0';
        *dest_size = need;
        return ucrm__fail(errp, UCRM_ERR_INVALID_ARG, "ucrm_conf_get: '%s' needs a buffer of %zu bytes", key, need);
    }
    memcpy(dest, v, need);
    *dest_size = need;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- dump */

static int cmp_pair(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Does p's set value differ from what it would be unset (as ucrm_conf_get shows it: no default reads "")?
 * Secrets always count as different. */
static bool differs(const ucrm_conf_t *conf, ucrm_prop_id_t p) {
    const char *def = prop_default(conf, p);
    return conf->values[p] && (is_secret(p) || !ucrm__streq(conf->values[p], def ? def : ""));
}

static bool put_pair(char **kv, size_t *n, char *k, const char *v) {
    kv[(*n)++] = k;
    kv[(*n)++] = ucrm__strdup(v);
    return k && kv[*n - 1];
}

UCRM_API ucrm_err_t ucrm_conf_dump(const ucrm_conf_t *conf, char ***kv, size_t *count) {
    if (!conf || !kv || !count)
        return UCRM_ERR_INVALID_ARG;
    size_t pairs = conf->nmappings;
    for (int p = 0; p < UCRM_P__COUNT; p++)
        pairs += differs(conf, (ucrm_prop_id_t)p);
    char **arr = ucrm__calloc(pairs ? 2 * pairs : 1, sizeof *arr);
    if (!arr)
        return UCRM_ERR_NOMEM;
    size_t n = 0;
    bool ok = true;
    for (int p = 0; ok && p < UCRM_P__COUNT; p++)
        if (differs(conf, (ucrm_prop_id_t)p))
            ok = put_pair(arr, &n, ucrm__strdup(ucrm_props[p].name),
                          is_secret((ucrm_prop_id_t)p) ? REDACTED : conf->values[p]);
    for (size_t i = 0; ok && i < conf->nmappings; i++) {
        const ucrm_mapping_t *m = &conf->mappings[i];
        ucrm_buf_t k = UCRM_BUF_INIT;
        ucrm_buf__printf(&k, MAPPING_PREFIX "%s.%s", ucrm_object_name(m->object), m->field);
        ok = put_pair(arr, &n, ucrm_buf__steal(&k), m->target);
    }
    if (!ok) {
        ucrm_conf_dump_free(arr, n);
        return UCRM_ERR_NOMEM;
    }
    qsort(arr, pairs, 2 * sizeof *arr, cmp_pair);
    *kv = arr;
    *count = n;
    return UCRM_OK;
}

UCRM_API void ucrm_conf_dump_free(char **kv, size_t count) {
    if (!kv)
        return;
    for (size_t i = 0; i < count; i++)
        ucrm__free(kv[i]);
    ucrm__free(kv);
}

/* ---------------------------------------------------------------------------------------------- dup, destroy */

UCRM_API void ucrm_conf_destroy(ucrm_conf_t *conf) {
    if (!conf)
        return;
    for (int p = 0; p < UCRM_P__COUNT; p++)
        free_value((ucrm_prop_id_t)p, conf->values[p]);
    for (size_t i = 0; i < conf->nmappings; i++) {
        ucrm__free(conf->mappings[i].field);
        ucrm__free(conf->mappings[i].target);
    }
    ucrm__free(conf->mappings);
    ucrm__free(conf);
}

static bool dup_mappings(ucrm_conf_t *d, const ucrm_conf_t *conf) {
    if (!conf->nmappings)
        return true;
    if (!(d->mappings = ucrm__calloc(conf->nmappings, sizeof *d->mappings)))
        return false;
    for (size_t i = 0; i < conf->nmappings; i++) {
        const ucrm_mapping_t *m = &conf->mappings[i];
        d->mappings[i].object = m->object;
        d->mappings[i].field = ucrm__strdup(m->field);
        d->mappings[i].target = ucrm__strdup(m->target);
        d->nmappings = i + 1; /* so that destroy frees what was copied */
        if (!d->mappings[i].field || !d->mappings[i].target)
            return false;
    }
    return true;
}

UCRM_API ucrm_conf_t *ucrm_conf_dup(const ucrm_conf_t *conf) {
    if (!conf)
        return NULL;
    ucrm_conf_t *d = ucrm_conf_new();
    if (!d)
        return NULL;
    bool ok = true;
    for (int p = 0; ok && p < UCRM_P__COUNT; p++)
        ok = !conf->values[p] || (d->values[p] = ucrm__strdup(conf->values[p]));
    if (!ok || !dup_mappings(d, conf)) {
        ucrm_conf_destroy(d);
        return NULL;
    }
    d->log_cb = conf->log_cb;
    d->log_opaque = conf->log_opaque;
    d->token_cb = conf->token_cb;
    d->token_opaque = conf->token_opaque;
    d->observer_cb = conf->observer_cb;
    d->observer_opaque = conf->observer_opaque;
    d->has_transport = conf->has_transport;
    d->transport = conf->transport;
    return d;
}

/* ---------------------------------------------------------------------------------------------- describe */

static const char *scope_name(ucrm_prop_scope_t s) {
    switch (s) {
    case UCRM_SCOPE_HUBSPOT: return "hubspot";
    case UCRM_SCOPE_SALESFORCE: return "salesforce";
    case UCRM_SCOPE_GLOBAL: break;
    }
    return "global";
}

static const char *type_name(ucrm_prop_type_t t) {
    static const char *const names[] = {
        [UCRM_PT_STRING] = "string", [UCRM_PT_URL] = "url",       [UCRM_PT_INT] = "int",
        [UCRM_PT_MS] = "ms",         [UCRM_PT_BOOL] = "bool",     [UCRM_PT_ENUM] = "enum",
        [UCRM_PT_SECRET] = "secret", [UCRM_PT_FILE] = "file",
    };
    return (size_t)t < UCRM__ARRAY_LEN(names) && names[t] ? names[t] : "string";
}

static void json_str_or_null(ucrm_buf_t *b, const char *s) {
    if (s)
        ucrm_buf__json_str(b, s, strlen(s));
    else
        ucrm_buf__puts(b, "null");
}

static void describe_row(ucrm_buf_t *b, const ucrm_prop_t *r) {
    bool numeric = r->type == UCRM_PT_INT || r->type == UCRM_PT_MS;
    ucrm_buf__puts(b, "{\"name\":");
    json_str_or_null(b, r->name);
    ucrm_buf__printf(b, ",\"scope\":\"%s\",\"type\":\"%s\",\"default\":", scope_name(r->scope), type_name(r->type));
    json_str_or_null(b, r->def);
    ucrm_buf__puts(b, ",\"provider_defaults\":{");
    if (r->def_hubspot) {
        ucrm_buf__puts(b, "\"hubspot\":");
        json_str_or_null(b, r->def_hubspot);
    }
    if (r->def_salesforce) {
        ucrm_buf__puts(b, r->def_hubspot ? ",\"salesforce\":" : "\"salesforce\":");
        json_str_or_null(b, r->def_salesforce);
    }
    if (numeric)
        ucrm_buf__printf(b, "},\"min\":%" PRId64 ",\"max\":%" PRId64 ",\"values\":", r->min, r->max);
    else
        ucrm_buf__puts(b, "},\"min\":null,\"max\":null,\"values\":");
    if (r->type == UCRM_PT_ENUM) {
        ucrm_buf__putc(b, '[');
        for (const char *p = r->enum_values; p && *p;) {
            size_t n = strcspn(p, ",");
            if (p != r->enum_values)
                ucrm_buf__putc(b, ',');
            ucrm_buf__json_str(b, p, n);
            p += n + (p[n] == ',');
        }
        ucrm_buf__putc(b, ']');
    } else {
        ucrm_buf__puts(b, "null");
    }
    ucrm_buf__printf(b, ",\"secret\":%s,\"description\":", r->type == UCRM_PT_SECRET ? "true" : "false");
    json_str_or_null(b, r->desc);
    ucrm_buf__putc(b, '}');
}

UCRM_API ucrm_err_t ucrm_conf_describe_json(char **out) {
    if (!out)
        return UCRM_ERR_INVALID_ARG;
    ucrm_buf_t b = UCRM_BUF_INIT;
    ucrm_buf__putc(&b, '[');
    for (int p = 0; p < UCRM_P__COUNT; p++) {
        if (p)
            ucrm_buf__putc(&b, ',');
        describe_row(&b, &ucrm_props[p]);
    }
    ucrm_buf__putc(&b, ']');
    *out = ucrm_buf__steal(&b);
    return *out ? UCRM_OK : UCRM_ERR_NOMEM;
}

/* ---------------------------------------------------------------------------------------------- callbacks */

UCRM_API ucrm_err_t ucrm_conf_set_log_cb(ucrm_conf_t *conf, ucrm_log_cb *cb, void *opaque) {
    if (!conf)
        return UCRM_ERR_INVALID_ARG;
    conf->log_cb = cb;
    conf->log_opaque = cb ? opaque : NULL;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_conf_set_token_cb(ucrm_conf_t *conf, ucrm_token_cb *cb, void *opaque) {
    if (!conf)
        return UCRM_ERR_INVALID_ARG;
    conf->token_cb = cb;
    conf->token_opaque = cb ? opaque : NULL;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_conf_set_request_observer(ucrm_conf_t *conf, ucrm_request_observer_cb *cb, void *opaque) {
    if (!conf)
        return UCRM_ERR_INVALID_ARG;
    conf->observer_cb = cb;
    conf->observer_opaque = cb ? opaque : NULL;
    return UCRM_OK;
}

UCRM_API ucrm_err_t ucrm_conf_set_transport(ucrm_conf_t *conf, const ucrm_transport_t *t) {
    if (!conf)
        return UCRM_ERR_INVALID_ARG;
    if (!t) {
        conf->has_transport = false;
        memset(&conf->transport, 0, sizeof conf->transport);
        return UCRM_OK;
    }
    if (t->version < 1 || t->version > UCRM_TRANSPORT_VERSION || !t->send)
        return UCRM_ERR_INVALID_ARG;
    /* Only the members of t's version are read: a transport written against an older (shorter) struct stays
     * valid. Version 1: version, opaque, send, destroy. */
    ucrm_transport_t copy;
    memset(&copy, 0, sizeof copy);
    copy.version = t->version;
    copy.opaque = t->opaque;
    copy.send = t->send;
    copy.destroy = t->destroy;
    conf->transport = copy;
    conf->has_transport = true;
    return UCRM_OK;
}

/* ---------------------------------------------------------------------------------------------- internal */

int ucrm_conf__find(const char *name) {
    if (!name)
        return -1;
    for (int p = 0; p < UCRM_P__COUNT; p++)
        if (strcmp(ucrm_props[p].name, name) == 0)
            return p;
    return -1;
}

const char *ucrm_conf__str(const ucrm_conf_t *conf, ucrm_prop_id_t p) {
    if (!conf || !prop_valid(p))
        return NULL;
    return conf->values[p] ? conf->values[p] : prop_default(conf, p);
}

int64_t ucrm_conf__int(const ucrm_conf_t *conf, ucrm_prop_id_t p) {
    int64_t v;
    return ucrm__parse_i64(ucrm_conf__str(conf, p), &v) ? v : 0;
}

bool ucrm_conf__bool(const ucrm_conf_t *conf, ucrm_prop_id_t p) {
    return ucrm__streq(ucrm_conf__str(conf, p), "true");
}

bool ucrm_conf__is_set(const ucrm_conf_t *conf, ucrm_prop_id_t p) {
    return conf && prop_valid(p) && conf->values[p] != NULL;
}

const char *ucrm_conf__mapping(const ucrm_conf_t *conf, ucrm_object_t object, const char *field) {
    if (!conf || !field)
        return NULL;
    const ucrm_mapping_t *m = find_mapping(conf, object, field);
    return m ? m->target : NULL;
}

ucrm_log_level_t ucrm_conf__log_level(const ucrm_conf_t *conf) {
    int i = list_index(ucrm_props[UCRM_P_LOG_LEVEL].enum_values, ucrm_conf__str(conf, UCRM_P_LOG_LEVEL));
    return (ucrm_log_level_t)(UCRM_LOG_ERROR + (i < 0 ? 1 : i));
}

const char *ucrm_conf__upsert_key(const ucrm_conf_t *conf, ucrm_object_t object) {
    switch (object) {
    case UCRM_OBJECT_CONTACT: return ucrm_conf__str(conf, UCRM_P_UPSERT_KEY_CONTACT);
    case UCRM_OBJECT_ACCOUNT: return ucrm_conf__str(conf, UCRM_P_UPSERT_KEY_ACCOUNT);
    case UCRM_OBJECT_DEAL: return ucrm_conf__str(conf, UCRM_P_UPSERT_KEY_DEAL);
    }
    return NULL;
}
