/*
 * fake.h -- private declarations shared by the files of unicrm-fake (tests/fake/).
 *
 * Threading model: libmicrohttpd runs the connections on its own thread pool; every request is dispatched
 * with the single global lock `G.lock` held (store, tokens, rate windows, stats, query cursors), so the
 * route handlers below never lock anything themselves. Delays (--latency-ms, the "timeout" fault) never
 * hold the lock or a thread: the connection is suspended and resumed by the timer thread (http.c).
 */
#ifndef UCRM_FAKE_H
#define UCRM_FAKE_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <pthread.h>
#include <cjson/cJSON.h>

#define FK_MAX_BODY        (16u * 1024u * 1024u) /* request bodies above this get 413 */
#define FK_MAX_HDRS        16
#define FK_MAX_QARGS       32
#define FK_MAX_ROUTES      128

/* ------------------------------------------------------------------------------------------------ utilities */
typedef struct {
    char *s;
    size_t len, cap;
} fk_buf_t;
void fk_buf_put(fk_buf_t *b, const char *s, size_t n);
void fk_buf_puts(fk_buf_t *b, const char *s);
void fk_buf_printf(fk_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *fk_buf_take(fk_buf_t *b); /* returns the NUL-terminated string, resets b */

void *fk_xmalloc(size_t n);
void *fk_xrealloc(void *p, size_t n);
char *fk_xstrdup(const char *s);
char *fk_xstrndup(const char *s, size_t n);

/* string -> pointer map (open addressing; keys are copied) */
typedef struct {
    char **keys;
    void **vals;
    size_t cap, n;
} fk_map_t;
void *fk_map_get(const fk_map_t *m, const char *key);
void fk_map_put(fk_map_t *m, const char *key, void *val);
void fk_map_del(fk_map_t *m, const char *key);
void fk_map_free(fk_map_t *m);

int64_t fk_mono_ns(void);     /* CLOCK_MONOTONIC */
int64_t fk_now_ms(void);      /* the fake's clock: wall clock + /__fake/clock offset (epoch ms) */
uint64_t fk_rand(void);       /* xorshift; call with G.lock held */
double fk_rand01(void);
void fk_uuid(char out[37]);
void fk_random_token(char *out, size_t nchars); /* [A-Za-z0-9] */

/* Dates. Salesforce dateTime "YYYY-MM-DDThh:mm:ss.SSS+0000"; HubSpot "YYYY-MM-DDThh:mm:ss.SSSZ"; date "YYYY-MM-DD". */
void fk_fmt_sf_datetime(int64_t ms, char out[32]);
void fk_fmt_hs_datetime(int64_t ms, char out[32]);
void fk_fmt_date(int64_t ms, char out[16]);
/* ISO 8601 date or dateTime (Z, +hh:mm, +hhmm or no zone = UTC; optional .fraction). 0 on success. */
int fk_parse_iso(const char *s, int64_t *ms, int *is_date_only);
/* digits only (optionally '-'), fits int64. 0 on success. */
int fk_parse_i64(const char *s, int64_t *out);
/* epoch-ms string or ISO date/dateTime */
int fk_parse_time_value(const char *s, int64_t *ms);

/* Salesforce ids: 15 case-sensitive chars + 3-char case-safe checksum. */
void fk_sf_make_id(const char *prefix, uint64_t seq, char out[19]);
/* Accepts a 15- or 18-char id, returns its canonical 18-char form (case restored from the suffix). 0 if valid. */
int fk_sf_canon_id(const char *in, char out[19]);

char *fk_url_decode(const char *s, size_t n, int plus_is_space); /* malloc'd */
/* Parses "a=1&b=2" into key/value pairs (decoded, '+' = space). Returns count (<= max). Strings malloc'd. */
int fk_parse_form(const char *s, size_t n, char **keys, char **vals, int max);
char *fk_b64_encode(const unsigned char *in, size_t n); /* standard, padded */
unsigned char *fk_b64url_decode(const char *in, size_t n, size_t *outn); /* accepts both alphabets, no padding needed */
int fk_strcaseeq(const char *a, const char *b); /* UTF-8, case-insensitive by fk_fold_cp */
/* UTF-8: decodes one code point (an invalid byte stands for itself) and returns what follows it */
const char *fk_utf8_next(const char *s, uint32_t *cp);
/* simple case folding (lower case) of ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic capitals */
uint32_t fk_fold_cp(uint32_t cp);
int fk_utf8_casecmp(const char *a, const char *b); /* <0, 0, >0 by folded code points */
/* case-insensitive wildcard match: star = any run, one = any single char (0 = none), esc escapes (0 = none) */
int fk_wildcard(const char *pat, const char *s, char star, char one, char esc);
void fk_lower(char *s);
char *fk_json_print(const cJSON *j); /* unformatted, malloc'd */
const char *fk_json_str(const cJSON *obj, const char *key); /* string member or NULL */

/* ------------------------------------------------------------------------------------------------ requests */
enum { FK_P_OTHER = 0, FK_P_HUBSPOT, FK_P_SALESFORCE, FK_P_CONTROL };
enum { FK_ACT_RESPOND = 0, FK_ACT_RESET, FK_ACT_HOLD_CLOSE };

typedef struct fk_req {
    const char *method;
    char *path;          /* percent-decoded path, no query */
    char *raw_path;      /* path as sent */
    int nq;
    char *qk[FK_MAX_QARGS], *qv[FK_MAX_QARGS];
    const char *body;
    size_t body_len;
    void *conn;          /* struct MHD_Connection * */
    int provider;
    char route[96];      /* stats route pattern, e.g. "GET /crm/v3/objects/{type}/{id}" */
    int api_route;       /* provider API route (faults apply) */
    int token_route;     /* token endpoint (faults only when enabled for tokens) */
    int hs_oauth;        /* HubSpot request authenticated with an OAuth token (no daily headers) */
    int path_matched;    /* some route matched the path but not the method (405) */
    char api_version[16]; /* Salesforce "v59.0" */
} fk_req_t;

typedef struct fk_resp {
    int status;
    char *body;
    size_t len;
    const char *ctype;
    int nh;
    char hn[FK_MAX_HDRS][48];
    char hv[FK_MAX_HDRS][200];
    int action;
    int64_t hold_ms;
} fk_resp_t;

const char *fk_query(const fk_req_t *rq, const char *key);
const char *fk_header(const fk_req_t *rq, const char *name);
void fk_resp_set(fk_resp_t *rs, int status, char *body_owned, const char *ctype);
void fk_resp_json(fk_resp_t *rs, int status, cJSON *j); /* takes ownership of j */
void fk_resp_empty(fk_resp_t *rs, int status);
void fk_resp_header(fk_resp_t *rs, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void fk_resp_clear(fk_resp_t *rs);

/* ------------------------------------------------------------------------------------------------ config */
typedef struct {
    char obj[24];
    char name[64];
    char type[16];
    int externalid;
    int unique;
    int casesensitive;   /* Salesforce "Unique, case sensitive": = and external-id matching respect case */
} fk_custom_t;

typedef struct {
    int port;
    int threads;
    int seed;
    long hs_rate_max;
    long hs_rate_ms;
    long hs_search_max;
    long hs_search_ms;
    long hs_daily;
    long sf_daily;
    long token_ttl;
    long latency_ms;
    double fault_rate;
    char faults[128];
    long fault_timeout_ms;
    long fault_retry_after_s;
    const char *tls_cert, *tls_key;
    const char *client_id, *client_secret, *refresh_token, *hs_private_token;
    const char *jwt_pubkey_file;
    int sf_rotate_refresh;
    int verbose;
    int ncustom_sf, ncustom_hs;
    fk_custom_t custom_sf[64], custom_hs[64];
} fk_opts_t;

/* ------------------------------------------------------------------------------------------------ store */
enum { FK_HS_CONTACTS = 0, FK_HS_COMPANIES, FK_HS_DEALS, FK_HS_NOBJ };
enum { FK_SF_CONTACT = 0, FK_SF_ACCOUNT, FK_SF_OPPORTUNITY, FK_SF_NOBJ };

typedef struct {
    int to_obj;          /* FK_HS_* */
    uint64_t to_id;
    int type_id;
    int user_defined;
} fk_assoc_t;

typedef struct fk_rec {
    char id[24];
    uint64_t seq;        /* HubSpot numeric id; Salesforce sequence */
    int obj;
    cJSON *f;            /* Salesforce: typed fields; HubSpot: string properties */
    int64_t created_ms, modified_ms, deleted_ms;
    int64_t purged_ms;   /* Salesforce: when the deleted record leaves queryAll for good (0 = not purged) */
    int deleted;
    fk_assoc_t *assoc;
    int nassoc, capassoc;
} fk_rec_t;

typedef struct {
    fk_rec_t **v;        /* creation (= id) order */
    size_t n, cap;
    size_t live;
    fk_map_t byid;
} fk_table_t;

/* A deleted Salesforce record emptied from the Recycle Bin (POST /__fake/purge) once its queryAll grace is over:
 * queryAll, lookups by id and /__fake/records no longer see it; getDeleted still lists it. */
static inline int fk_rec_purged(const fk_rec_t *r)
{
    return r->purged_ms && fk_now_ms() >= r->purged_ms;
}

fk_rec_t *fk_table_add(fk_table_t *t, fk_rec_t *r);
fk_rec_t *fk_table_get(const fk_table_t *t, const char *id);
size_t fk_table_lower_bound(const fk_table_t *t, uint64_t seq); /* first index with seq >= given */
void fk_table_clear(fk_table_t *t);
fk_rec_t *fk_rec_new(int obj);
void fk_rec_free(fk_rec_t *r);

/* ------------------------------------------------------------------------------------------------ tokens */
typedef struct {
    char *token;
    int provider;
    int64_t expires_ms;  /* 0 = never */
    int revoked;
} fk_token_t;

/* ------------------------------------------------------------------------------------------------ rate windows */
typedef struct {
    int64_t *ts;         /* ring of admission times (monotonic ns) */
    size_t cap, head, n;
    long max;
    int64_t window_ns;
} fk_window_t;
void fk_window_init(fk_window_t *w, long max, long window_ms);
void fk_window_free(fk_window_t *w);
long fk_window_count(fk_window_t *w, int64_t now_ns);
int fk_window_try(fk_window_t *w, int64_t now_ns); /* 1 = admitted (and counted) */

typedef struct {
    int64_t base_min;    /* minute index of slot 0's start */
    long slots[1440];
    long max;
} fk_daily_t;
long fk_daily_used(fk_daily_t *d, int64_t now_ms);
void fk_daily_add(fk_daily_t *d, int64_t now_ms);

/* ------------------------------------------------------------------------------------------------ stats */
enum { FK_F_429 = 0, FK_F_500, FK_F_503, FK_F_RESET, FK_F_TIMEOUT, FK_F_BADJSON, FK_F_477, FK_NFAULTS };
extern const char *const fk_fault_names[FK_NFAULTS]; /* "429", ..., "477" */

typedef struct {
    char name[96];
    long st[600];
} fk_route_stat_t;

typedef struct {
    long total, hubspot, salesforce, control, other;
    long status[600];
    fk_route_stat_t routes[FK_MAX_ROUTES];
    int nroutes;
    long hs_requests, hs_429, hs_search, hs_search_429;
    long sf_requests, sf_limit_exceeded;
    long tok_issued_hs, tok_issued_sf, tok_req_hs, tok_req_sf;
    long faults[FK_NFAULTS];
} fk_stats_t;


typedef struct {
    double rate;
    int enabled[FK_NFAULTS];
    long retry_after_s;  /* Retry-After of the 477 fault (and of HubSpot token-endpoint 429 faults) */
    int after;
    int tokens;
} fk_faults_t;

/* ------------------------------------------------------------------------------------------------ global state */
typedef struct {
    pthread_mutex_t lock;
    fk_opts_t o;
    char base_url[64];
    int64_t clock_offset_ms;
    uint64_t rng;
    fk_table_t hs[FK_HS_NOBJ];
    fk_table_t sf[FK_SF_NOBJ];
    uint64_t hs_next_id;
    uint64_t sf_next_seq;
    fk_map_t hs_email;              /* lower-cased email -> live contact */
    fk_map_t tokens;                /* access token -> fk_token_t */
    char *hs_refresh, *sf_refresh;  /* current refresh tokens (NULL = revoked) */
    fk_window_t hs_win, hs_search_win;
    fk_daily_t hs_day, sf_day;
    fk_stats_t st;
    fk_faults_t faults;
    void *cursors;                  /* soql.c query locators */
    void *jwt_key;                  /* EVP_PKEY * */
    int stopping;                   /* read/written with __atomic builtins (fk_stopping) */
    int seeding;                    /* /__fake/records inserts: no uniqueness checks */
} fk_global_t;

extern fk_global_t G;

/* main.c */
int fk_parse_custom(const char *spec, int salesforce);

/* http.c */
static inline int fk_stopping(void)
{
    return __atomic_load_n(&G.stopping, __ATOMIC_ACQUIRE);
}
int fk_http_start(void);
void fk_http_stop(void);
int fk_http_port(void);

/* dispatch.c */
void fk_dispatch(fk_req_t *rq, fk_resp_t *rs);
void fk_stats_count(const fk_req_t *rq, int status);
typedef char fk_cap_t[4][256];
/* Matches rq->path against pattern ("/crm/v3/objects/{type}/{id}"; one trailing '/' ignored). On a match with the
 * right method (NULL = any) sets rq->route and fills caps (may be NULL) and returns 1. */
int fk_route(fk_req_t *rq, const char *method, const char *pattern, fk_cap_t caps);
void fk_not_found(fk_req_t *rq, fk_resp_t *rs);

/* control.c */
void fk_control(fk_req_t *rq, fk_resp_t *rs);
void fk_reset_all(void);
void fk_faults_from_opts(void);
int fk_faults_parse_list(const char *list, int enabled[FK_NFAULTS]);

/* webhook_sender.c */
void fk_webhooks_route(fk_req_t *rq, fk_resp_t *rs); /* /__fake/webhooks (G.lock held) */
void fk_webhooks_stop(void);                         /* joins the delivery threads (after fk_http_stop) */

/* faults.c */
int fk_fault_pick(const fk_req_t *rq); /* -1 none, else FK_F_* */
void fk_fault_apply(const fk_req_t *rq, fk_resp_t *rs, int fault, int after);

/* oauth.c */
void fk_oauth_hubspot(fk_req_t *rq, fk_resp_t *rs);
void fk_oauth_hubspot_tokeninfo(fk_req_t *rq, fk_resp_t *rs, const char *token, int refresh);
void fk_oauth_salesforce(fk_req_t *rq, fk_resp_t *rs);
void fk_oauth_salesforce_revoke(fk_req_t *rq, fk_resp_t *rs);
/* 0 ok; 1 missing/unknown; 2 expired (expired_ms set) */
int fk_auth_check(const fk_req_t *rq, int provider, int *is_oauth, int64_t *expired_ms);
void fk_tokens_revoke(int provider);
void fk_tokens_clear(void);
int fk_jwt_load_key(const char *file);

/* seed.c */
void fk_seed(int n);

/* errors shared by the providers */
void fk_hs_error(fk_resp_t *rs, int status, const char *category, const char *message, cJSON *context);
void fk_sf_error(fk_resp_t *rs, int status, const char *code, const char *message, const char *field);
void fk_sf_error_fields(fk_resp_t *rs, int status, const char *code, const char *message, cJSON *fields);

/* hubspot: hs_props.c */
typedef struct {
    const char *name;
    char type;           /* 's' string, 'n' number, 't' datetime, 'd' date, 'e' enumeration, 'b' bool */
    int readonly;
    int unique;
    int custom;          /* from --hubspot-custom-properties */
} fk_hs_prop_t;
const fk_hs_prop_t *fk_hs_prop(int obj, const char *name);
int fk_hs_obj_from_name(const char *name); /* contacts/contact/0-1 ... ; -1 unknown */
const char *fk_hs_obj_name(int obj);        /* "contacts" */
const char *fk_hs_obj_singular(int obj);    /* "contact" */
const char *fk_hs_obj_typeid(int obj);      /* "0-1" */
const char *fk_hs_modified_prop(int obj);   /* lastmodifieddate / hs_lastmodifieddate */
const char *const *fk_hs_default_props(int obj);
int fk_hs_nprops(int obj);
const fk_hs_prop_t *fk_hs_prop_at(int obj, int i);
void fk_hs_derive(fk_rec_t *r); /* deal stage -> hs_is_closed ... */
cJSON *fk_hs_render(const fk_rec_t *r, const char *const *props, int nprops, int with_null);
int fk_hs_add_assoc(fk_rec_t *from, fk_rec_t *to, int type_id, int user_defined);
int fk_hs_assoc_pair(int type_id);
const char *fk_hs_assoc_name(int type_id);
const char *fk_hs_assoc_label(int type_id);
int fk_hs_default_type(int from_obj, int to_obj);

/* hubspot routes */
void fk_hs_route(fk_req_t *rq, fk_resp_t *rs);          /* hs_routes.c, /crm/v3/objects */
void fk_hs_properties(fk_req_t *rq, fk_resp_t *rs, int obj, const char *name); /* hs_props.c */
void fk_hs_batch(fk_req_t *rq, fk_resp_t *rs, int obj, const char *op); /* hs_batch.c */
void fk_hs_search(fk_req_t *rq, fk_resp_t *rs, int obj); /* hs_search.c */
void fk_hs_assoc_route(fk_req_t *rq, fk_resp_t *rs);    /* hs_assoc.c, /crm/v4 */
/* Validates a properties object; on error returns -1 with *msg (malloc'd), *status and *category set. */
int fk_hs_check_props(int obj, const cJSON *props, char **msg, int *status, const char **category);
void fk_hs_apply_props(fk_rec_t *r, const cJSON *props);   /* validated props; keeps indexes and derived values */
fk_rec_t *fk_hs_email_conflict(int obj, const cJSON *props, const fk_rec_t *self);
cJSON *fk_hs_render_full(const fk_rec_t *r);                 /* every property with a value */
int fk_hs_assoc_allowed(int from_obj, int to_obj, int type_id, int user_defined);
int fk_hs_check_assocs(int obj, const cJSON *assocs, char **msg);
void fk_hs_create_assocs(fk_rec_t *r, const cJSON *assocs);
void fk_hs_add_all_associations(cJSON *o, const fk_rec_t *r);
fk_rec_t *fk_hs_find(int obj, const char *id, const char *id_property, int archived);
fk_rec_t *fk_hs_create(int obj, const cJSON *props);    /* no validation; store insert + derived values */
int fk_hs_parse_json_body(const fk_req_t *rq, fk_resp_t *rs, cJSON **out);
void fk_hs_touch(fk_rec_t *r);
void fk_hs_archive(fk_rec_t *r);
void fk_hs_props_from_list(const char *csv, const char ***out, int *n);
void fk_hs_props_from_array(const cJSON *arr, const char ***out, int *n);

/* salesforce: sf_schema.c */
typedef struct {
    const char *name;
    char type;           /* 'i' id, 'r' reference, 's' string, 'b' bool, 'n' double, 'c' currency, 'p' percent,
                          * 'g' int, 'd' date, 't' datetime, 'k' picklist */
    int createable, updateable, required, externalid;
    int casesensitive;   /* unique case-sensitive custom field (--salesforce-custom-fields ...:casesensitive) */
} fk_sf_field_t;
int fk_sf_obj_from_name(const char *name); /* case-insensitive; -1 unknown */
const char *fk_sf_obj_name(int obj);
const char *fk_sf_obj_prefix(int obj);
int fk_sf_nfields(int obj);
const fk_sf_field_t *fk_sf_field_at(int obj, int i);
const fk_sf_field_t *fk_sf_field(int obj, const char *name); /* case-insensitive */
/* Text equality as Salesforce compares field values: case-insensitive, except for case-sensitive unique fields */
int fk_sf_text_eq(const fk_sf_field_t *fd, const char *a, const char *b);
int fk_sf_version_ok(const char *v, double *ver); /* "v59.0" */
void fk_sf_derive(fk_rec_t *r);
cJSON *fk_sf_render(const fk_rec_t *r, const char *ver, const char *const *fields, int nfields);
cJSON *fk_sf_field_value(const fk_rec_t *r, const fk_sf_field_t *fd);
/* Applies body fields to r; on error writes the Salesforce error into err (code,msg,field) and returns -1. */
typedef struct {
    char code[48];
    char msg[512];
    char field[64];
    int status;
} fk_sf_err_t;
int fk_sf_apply(int obj, fk_rec_t *r, const cJSON *body, int creating, fk_sf_err_t *err);
int fk_sf_validate(int obj, const cJSON *body, int creating, fk_sf_err_t *err);
int fk_sf_validate_for(int obj, const cJSON *body, const fk_rec_t *self, fk_sf_err_t *err); /* self NULL = create */
fk_rec_t *fk_sf_insert(int obj, const cJSON *body); /* validated body */
void fk_sf_touch(fk_rec_t *r);
void fk_sf_delete(fk_rec_t *r);
fk_rec_t *fk_sf_find(int obj, const char *id); /* any id form, deleted included */

/* salesforce routes */
void fk_sf_route(fk_req_t *rq, fk_resp_t *rs);        /* sf_routes.c */
void fk_sf_composite(fk_req_t *rq, fk_resp_t *rs, const char *ver, const char *rest); /* sf_composite.c */
void fk_sf_query(fk_req_t *rq, fk_resp_t *rs, const char *ver, int all, const char *locator); /* soql.c */
void fk_sf_replication(fk_req_t *rq, fk_resp_t *rs, const char *ver, int obj, int deleted); /* sf_routes.c */
void fk_soql_cursors_clear(void);
int fk_sf_parse_body(const fk_req_t *rq, fk_resp_t *rs, cJSON **out);

#endif /* UCRM_FAKE_H */
