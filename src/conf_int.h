/*
 * conf_int.h -- the configuration object and its property table (rows in conf_props.c).
 *
 * Every property has an id below and one row in the table: name, scope, type, defaults (global and per
 * provider), bounds, enum values, secret flag, description. Validation, ucrm_conf_describe_json(),
 * docs/CONFIGURATION.md (make docs) and conf dumps all come from that one table. To add a property: append an id
 * here (before UCRM_P__COUNT) and a row in conf_props.c; nothing else.
 */
#ifndef UCRM_CONF_INT_H
#define UCRM_CONF_INT_H

#include "common_int.h"
#include "unicrm/sys/transport.h"

typedef enum ucrm_prop_id {
    UCRM_P_PROVIDER,
    UCRM_P_API_URL,
    UCRM_P_SF_API_VERSION,
    UCRM_P_AUTH_METHOD,
    UCRM_P_AUTH_TOKEN_URL,
    UCRM_P_AUTH_ACCESS_TOKEN,
    UCRM_P_AUTH_REFRESH_TOKEN,
    UCRM_P_AUTH_CLIENT_ID,
    UCRM_P_AUTH_CLIENT_SECRET,
    UCRM_P_AUTH_JWT_KEY_FILE,
    UCRM_P_AUTH_JWT_SUBJECT,
    UCRM_P_AUTH_JWT_AUDIENCE,
    UCRM_P_AUTH_SESSION_LIFETIME_MS,
    UCRM_P_AUTH_REFRESH_PERCENT,
    UCRM_P_AUTH_REFRESH_COOLDOWN_MS,
    UCRM_P_HTTP_TIMEOUT_MS,
    UCRM_P_HTTP_CONNECT_TIMEOUT_MS,
    UCRM_P_HTTP_CA_FILE,
    UCRM_P_HTTP_USER_AGENT,
    UCRM_P_HTTP_POOL_SIZE,
    UCRM_P_RETRY_MAX,
    UCRM_P_RETRY_BACKOFF_MS,
    UCRM_P_RETRY_BACKOFF_MAX_MS,
    UCRM_P_RETRY_BUDGET_MS,
    UCRM_P_RL_ENABLE,
    UCRM_P_RL_REQUESTS,
    UCRM_P_RL_INTERVAL_MS,
    UCRM_P_RL_SEARCH_REQUESTS,
    UCRM_P_RL_SEARCH_INTERVAL_MS,
    UCRM_P_RL_DAILY,
    UCRM_P_RL_CONCURRENCY,
    UCRM_P_RL_KEY,
    UCRM_P_RL_WAIT_MAX_MS,
    UCRM_P_RL_RESERVE_HIGH_PERCENT,
    UCRM_P_RL_HEADROOM,
    UCRM_P_RL_DAILY_RECHECK_MS,
    UCRM_P_LOG_STDERR,
    UCRM_P_LOG_LEVEL,
    UCRM_P_BUILTIN_FEATURES,
    UCRM_P_UPSERT_KEY_CONTACT,
    UCRM_P_UPSERT_KEY_ACCOUNT,
    UCRM_P_UPSERT_KEY_DEAL,
    UCRM_P__COUNT
} ucrm_prop_id_t;

typedef enum ucrm_prop_type {
    UCRM_PT_STRING,
    UCRM_PT_URL,      /* http(s) URL; http only for loopback hosts */
    UCRM_PT_INT,      /* int64 within [min, max] */
    UCRM_PT_MS,       /* duration in ms within [min, max] */
    UCRM_PT_BOOL,     /* true/false (also 1/0, yes/no, on/off) */
    UCRM_PT_ENUM,     /* one of enum_values (comma-separated in the row) */
    UCRM_PT_SECRET,   /* string, never logged or dumped, wiped on free */
    UCRM_PT_FILE      /* path of a readable file */
} ucrm_prop_type_t;

typedef enum ucrm_prop_scope {
    UCRM_SCOPE_GLOBAL,
    UCRM_SCOPE_HUBSPOT,
    UCRM_SCOPE_SALESFORCE
} ucrm_prop_scope_t;

typedef struct ucrm_prop {
    const char *name;
    ucrm_prop_scope_t scope;
    ucrm_prop_type_t type;
    const char *def;            /* default for every provider, or NULL (unset) */
    const char *def_hubspot;    /* overrides def when provider=hubspot (NULL: use def) */
    const char *def_salesforce; /* overrides def when provider=salesforce */
    int64_t min, max;           /* INT/MS bounds */
    const char *enum_values;    /* ENUM: "a,b,c" */
    const char *desc;           /* one paragraph, for docs/CONFIGURATION.md */
} ucrm_prop_t;

/* The table, indexed by ucrm_prop_id_t. */
extern const ucrm_prop_t ucrm_props[UCRM_P__COUNT];

typedef struct ucrm_mapping {
    ucrm_object_t object;
    char *field;    /* unified field name */
    char *target;   /* provider field name */
} ucrm_mapping_t;

struct ucrm_conf_s {
    char *values[UCRM_P__COUNT]; /* NULL: default */
    ucrm_mapping_t *mappings;
    size_t nmappings;
    ucrm_log_cb *log_cb;
    void *log_opaque;
    ucrm_token_cb *token_cb;
    void *token_opaque;
    ucrm_request_observer_cb *observer_cb;
    void *observer_opaque;
    bool has_transport;
    ucrm_transport_t transport;
};

/* Effective values (set value, else the provider's default, else the global default). str returns NULL when
 * unset; int/bool parse the validated text (0/false when unset). */
const char *ucrm_conf__str(const ucrm_conf_t *conf, ucrm_prop_id_t p);
int64_t ucrm_conf__int(const ucrm_conf_t *conf, ucrm_prop_id_t p);
bool ucrm_conf__bool(const ucrm_conf_t *conf, ucrm_prop_id_t p);
bool ucrm_conf__is_set(const ucrm_conf_t *conf, ucrm_prop_id_t p);
/* The mapping override for object.field, or NULL. */
const char *ucrm_conf__mapping(const ucrm_conf_t *conf, ucrm_object_t object, const char *field);
/* The property id for a name, or -1. */
int ucrm_conf__find(const char *name);
/* Added by the conf module: log.level as a syslog level (UCRM_LOG_ERROR .. UCRM_LOG_DEBUG). */
ucrm_log_level_t ucrm_conf__log_level(const ucrm_conf_t *conf);
/* Added by the conf module: the effective upsert.<object>.key (unified or custom.* name), or NULL when none. */
const char *ucrm_conf__upsert_key(const ucrm_conf_t *conf, ucrm_object_t object);

#endif /* UCRM_CONF_INT_H */
