/*
 * conf_props.c -- the configuration property table: one row per ucrm_prop_id_t (conf_int.h).
 *
 * Validation (conf.c), ucrm_conf_describe_json(), conf dumps and docs/CONFIGURATION.md (make docs) are all
 * generated from these rows, so a description written here is what users read. Provider facts (limits, URLs,
 * lifetimes) follow /work/shared/protocol/PROTOCOL.md; the section is named in the comment beside each one.
 */
#include "conf_int.h"

#define MS_HOUR INT64_C(3600000)
#define MS_DAY INT64_C(86400000)

const ucrm_prop_t ucrm_props[UCRM_P__COUNT] = {
    /* ------------------------------------------------------------------------------------ provider, endpoints */
    [UCRM_P_PROVIDER] = {
        .name = "provider", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_ENUM,
        .enum_values = "hubspot,salesforce",
        .desc = "The CRM this configuration connects to. Required: ucrm_client_new() fails with "
                "UCRM_ERR_CONF_INVALID without it, and UCRM_ERR_NOT_BUILT_IN when the adapter is not in this "
                "build. Several defaults below depend on it.",
    },
    [UCRM_P_API_URL] = {
        /* PROTOCOL.md A1 (instance_url), B (https://api.hubapi.com) */
        .name = "api.url", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_URL,
        .def_hubspot = "https://api.hubapi.com",
        .desc = "Base URL of the provider's REST API, without a trailing slash. HubSpot: https://api.hubapi.com. "
                "Salesforce: the org's instance URL (https://MyDomainName.my.salesforce.com); when unset, the "
                "instance_url returned with the access token is used. Plain http is accepted only for loopback "
                "hosts (the local fake, tests).",
    },
    [UCRM_P_SF_API_VERSION] = {
        /* PROTOCOL.md A1: Spring '26 = v66.0; 21.0-30.0 are retired (410) */
        .name = "salesforce.api.version", .scope = UCRM_SCOPE_SALESFORCE, .type = UCRM_PT_STRING,
        .def = "66.0",
        .desc = "Salesforce REST API version used in /services/data/vXX.X/ paths, written as digits.digits "
                "without the v (66.0 is Spring '26). Versions before 31.0 are retired by Salesforce and "
                "rejected. Passthrough paths may use {version} to get it.",
    },

    /* ------------------------------------------------------------------------------------ authentication */
    [UCRM_P_AUTH_METHOD] = {
        .name = "auth.method", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_ENUM,
        .def = "auto", .enum_values = "auto,static,refresh_token,client_credentials,jwt_bearer",
        .desc = "How access tokens are obtained. static: auth.access.token is used as is and never refreshed "
                "(HubSpot private apps). refresh_token: the OAuth refresh-token grant (HubSpot OAuth apps, "
                "Salesforce connected apps). client_credentials and jwt_bearer: Salesforce server-to-server "
                "flows. auto chooses from the credentials that are set: a JWT key file means jwt_bearer, a "
                "refresh token means refresh_token, an access token alone means static, a client id and "
                "secret alone mean client_credentials.",
    },
    [UCRM_P_AUTH_TOKEN_URL] = {
        /* PROTOCOL.md A9 (login.salesforce.com/services/oauth2/token), B9 (api.hubapi.com/oauth/v1/token) */
        .name = "auth.token.url", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_URL,
        .def_hubspot = "https://api.hubapi.com", .def_salesforce = "https://login.salesforce.com",
        .desc = "Base URL of the OAuth 2.0 token endpoint; the provider's path is appended (/oauth/v1/token "
                "for HubSpot, /services/oauth2/token for Salesforce). Salesforce sandboxes use "
                "https://test.salesforce.com; the client-credentials flow needs the org's My Domain URL.",
    },
    [UCRM_P_AUTH_ACCESS_TOKEN] = {
        .name = "auth.access.token", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_SECRET,
        .desc = "A pre-issued access token: a HubSpot private-app token (pat-...) or a Salesforce session id. "
                "With auth.method=static it is sent as is; with a refresh flow it is used until it expires or "
                "is rejected, then replaced.",
    },
    [UCRM_P_AUTH_REFRESH_TOKEN] = {
        .name = "auth.refresh.token", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_SECRET,
        .desc = "OAuth refresh token. When the provider rotates it, the new one is handed to the token "
                "callback (ucrm_conf_set_token_cb()) so that the application can persist it; a refresh "
                "response without a new refresh token keeps this one.",
    },
    [UCRM_P_AUTH_CLIENT_ID] = {
        .name = "auth.client.id", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_STRING,
        .desc = "OAuth client id: the HubSpot app's client id, or the Salesforce connected app's consumer key "
                "(also the issuer of JWT bearer assertions).",
    },
    [UCRM_P_AUTH_CLIENT_SECRET] = {
        .name = "auth.client.secret", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_SECRET,
        .desc = "OAuth client secret (Salesforce consumer secret), for the refresh-token and client-credentials "
                "grants. Not used by the JWT bearer flow.",
    },
    [UCRM_P_AUTH_JWT_KEY_FILE] = {
        /* PROTOCOL.md A9 JWT bearer flow: RS256 only */
        .name = "auth.jwt.key.file", .scope = UCRM_SCOPE_SALESFORCE, .type = UCRM_PT_FILE,
        .desc = "PEM file holding the RSA private key that signs JWT bearer assertions (RS256, the only "
                "algorithm Salesforce accepts). It must be readable when the property is set; the key is read "
                "when the client authenticates.",
    },
    [UCRM_P_AUTH_JWT_SUBJECT] = {
        .name = "auth.jwt.subject", .scope = UCRM_SCOPE_SALESFORCE, .type = UCRM_PT_STRING,
        .desc = "The Salesforce username the JWT bearer assertion is issued for (its sub claim). The user must "
                "be pre-authorised for the connected app.",
    },
    [UCRM_P_AUTH_JWT_AUDIENCE] = {
        .name = "auth.jwt.audience", .scope = UCRM_SCOPE_SALESFORCE, .type = UCRM_PT_STRING,
        .def = "https://login.salesforce.com",
        .desc = "The aud claim of JWT bearer assertions: https://login.salesforce.com, "
                "https://test.salesforce.com for sandboxes, or an Experience Cloud site URL.",
    },
    [UCRM_P_AUTH_SESSION_LIFETIME_MS] = {
        /* PROTOCOL.md A9: no expires_in; default session timeout 2 hours */
        .name = "auth.session.lifetime.ms", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_MS,
        .def = "7200000", .min = 60000, .max = MS_DAY,
        .desc = "How long an access token is assumed to stay valid when the provider does not say: Salesforce "
                "token responses carry no expires_in (its default session timeout is 2 hours), and "
                "ucrm_client_set_token() accepts an unknown expiry. Set it to the org's session timeout; a "
                "rejected token is refreshed anyway.",
    },
    [UCRM_P_AUTH_REFRESH_PERCENT] = {
        .name = "auth.refresh.percent", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_INT,
        .def = "80", .min = 1, .max = 100,
        .desc = "Refresh the access token proactively, at the start of a call, once this percentage of its "
                "lifetime has passed.",
    },
    [UCRM_P_AUTH_REFRESH_COOLDOWN_MS] = {
        .name = "auth.refresh.cooldown.ms", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_MS,
        .def = "5000", .min = 0, .max = MS_HOUR,
        .desc = "Minimum time between two token refresh attempts after a refresh failed, so that a revoked "
                "credential does not turn every call into a token request.",
    },
    [UCRM_P_TOKEN_STORE] = {
        .name = "token.store", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_ENUM,
        .def = "memory", .enum_values = "memory,redis",
        .desc = "Where the access token, its expiry and the refresh token live. memory: in the client; its "
                "threads share one token and one refresh at a time. redis: in Redis (redis.url), shared by "
                "every process and host with the same credentials: one of them refreshes at a time (a lock with "
                "an expiry and a fencing token) while the others wait for the new token, and a rotated refresh "
                "token is stored together with the access token, so that workers never log each other out. The "
                "token callback fires in the process that refreshed. Static tokens (auth.method=static) are never "
                "stored. Needs a build with Redis support (UCRM_ERR_NOT_BUILT_IN otherwise).",
    },

    /* ------------------------------------------------------------------------------------ HTTP */
    [UCRM_P_HTTP_TIMEOUT_MS] = {
        .name = "http.timeout.ms", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_MS,
        .def = "30000", .min = 1, .max = MS_HOUR,
        .desc = "Timeout of one HTTP attempt (connection and transfer). The whole call, retries and waits "
                "included, is bounded by retry.budget.ms.",
    },
    [UCRM_P_HTTP_CONNECT_TIMEOUT_MS] = {
        .name = "http.connect.timeout.ms", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_MS,
        .def = "10000", .min = 1, .max = MS_HOUR,
        .desc = "Timeout for establishing a connection (name resolution, TCP and TLS handshakes).",
    },
    [UCRM_P_HTTP_CA_FILE] = {
        .name = "http.ca.file", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_FILE,
        .desc = "PEM bundle of CA certificates used to verify the provider's TLS certificate instead of the "
                "system store. Certificate and host name verification are always on.",
    },
    [UCRM_P_HTTP_USER_AGENT] = {
        .name = "http.user.agent", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_STRING,
        .def = "unicrm/" UCRM_VERSION_STR,
        .desc = "User-Agent header sent with every request. Applications are encouraged to prepend their own "
                "name and version, e.g. \"myapp/2.1 unicrm/1.0.0\".",
    },
    [UCRM_P_HTTP_POOL_SIZE] = {
        .name = "http.pool.size", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_INT,
        .def = "16", .min = 1, .max = 1024,
        .desc = "Maximum number of idle connections a client keeps open for reuse (keep-alive).",
    },

    /* ------------------------------------------------------------------------------------ retries */
    [UCRM_P_RETRY_MAX] = {
        .name = "retry.max", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_INT,
        .def = "3", .min = 0, .max = 100,
        .desc = "Maximum number of retries of one request (at most retry.max + 1 attempts). Only transient "
                "failures are retried: rate limits, 5xx, lock contention, connection failures. A create is "
                "retried only when the request provably did not reach the provider.",
    },
    [UCRM_P_RETRY_BACKOFF_MS] = {
        .name = "retry.backoff.ms", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_MS,
        .def = "200", .min = 0, .max = MS_HOUR,
        .desc = "Base of the exponential backoff: retry n waits about retry.backoff.ms * 2^(n-1), with jitter, "
                "unless the provider said when to come back (Retry-After, rate-limit window).",
    },
    [UCRM_P_RETRY_BACKOFF_MAX_MS] = {
        .name = "retry.backoff.max.ms", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_MS,
        .def = "10000", .min = 0, .max = MS_HOUR,
        .desc = "Upper bound of one backoff wait.",
    },
    [UCRM_P_RETRY_BUDGET_MS] = {
        .name = "retry.budget.ms", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_MS,
        .def = "120000", .min = 1, .max = MS_DAY,
        .desc = "Total time one call may take: every attempt, backoff wait and rate-limiter wait together. No "
                "retry starts once it is used up. ucrm_reqopts_set_timeout_ms() overrides it per call.",
    },

    /* ------------------------------------------------------------------------------------ rate limits */
    [UCRM_P_RL_ENABLE] = {
        .name = "ratelimit.enable", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_BOOL,
        .def = "true",
        .desc = "Pace requests with the client-side rate limiter. When false, requests go out as fast as the "
                "application makes them and only the provider's throttling answers slow them down.",
    },
    [UCRM_P_RL_REQUESTS] = {
        /* PROTOCOL.md B8: private apps 190 / 10 s (Professional, Enterprise), 100 (Free, Starter), OAuth apps 110 */
        .name = "ratelimit.requests", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_INT,
        .def_hubspot = "190", .def_salesforce = "0", .min = 0, .max = 1000000,
        .desc = "Requests allowed per ratelimit.interval.ms (the main bucket); 0 means no window limit. "
                "HubSpot private apps: 190 per 10 s on Professional and Enterprise, 100 on Free and Starter; "
                "public OAuth apps: 110 per 10 s. Salesforce has no short-window limit.",
    },
    [UCRM_P_RL_INTERVAL_MS] = {
        .name = "ratelimit.interval.ms", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_MS,
        .def = "10000", .min = 1, .max = MS_DAY,
        .desc = "Length of the main bucket's rolling window.",
    },
    [UCRM_P_RL_SEARCH_REQUESTS] = {
        /* PROTOCOL.md B4, B8: search 5 requests per second */
        .name = "ratelimit.search.requests", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_INT,
        .def_hubspot = "5", .def_salesforce = "0", .min = 0, .max = 1000000,
        .desc = "Search requests allowed per ratelimit.search.interval.ms, in a bucket of their own; 0 means no "
                "separate limit. HubSpot's search endpoints allow 5 per second and send no rate-limit headers. "
                "Searches count against the daily budget but not against the main window (HubSpot documents "
                "the search limit as a separate one); should the provider count them there, its "
                "X-HubSpot-RateLimit-Remaining header corrects the main window.",
    },
    [UCRM_P_RL_SEARCH_INTERVAL_MS] = {
        .name = "ratelimit.search.interval.ms", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_MS,
        .def = "1000", .min = 1, .max = MS_DAY,
        .desc = "Length of the search bucket's window.",
    },
    [UCRM_P_RL_DAILY] = {
        /* PROTOCOL.md B8 (625,000 Professional; the changelog says 650,000), A10 (100,000 + licences) */
        .name = "ratelimit.daily", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_INT,
        .def_hubspot = "625000", .def_salesforce = "100000", .min = 0, .max = INT64_C(1000000000),
        .desc = "Requests allowed per day; 0 means no daily limit. HubSpot private apps: 625,000 on "
                "Professional, 1,000,000 on Enterprise, 250,000 on Free and Starter (reset at midnight in the "
                "account's time zone). Salesforce: 100,000 plus an allocation per licence, over a rolling "
                "24 hours. The provider's usage headers correct the local count (X-HubSpot-RateLimit-Daily-"
                "Remaining, Sforce-Limit-Info api-usage=N/M). When this key is left unset, the limit the "
                "provider reports replaces the default; when it is set, it is a cap (the lower of the two "
                "applies). Counted locally over a rolling 24 hours. Once the share for a priority is used up, "
                "calls fail at once with UCRM_ERR_QUOTA_EXHAUSTED instead of waiting.",
    },
    [UCRM_P_RL_CONCURRENCY] = {
        /* PROTOCOL.md A10: 25 concurrent long-running requests (5 for Developer/Trial orgs) */
        .name = "ratelimit.concurrency", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_INT,
        .def_hubspot = "0", .def_salesforce = "25", .min = 0, .max = 100000,
        .desc = "Maximum requests in flight at once for the account (across the clients sharing "
                "ratelimit.key); 0 means unlimited. Salesforce allows 25 concurrent long-running (20 s or "
                "more) requests per production org (5 for Developer and Trial orgs) and answers "
                "REQUEST_LIMIT_EXCEEDED beyond. Whether a request will run long cannot be known before it is "
                "sent, so the limit applies to every request: 25 in flight is far more than an org's API "
                "throughput needs for short requests.",
    },
    [UCRM_P_RL_KEY] = {
        .name = "ratelimit.key", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_STRING,
        .desc = "Names the shared budget: every client in the process with the same key draws from one set of "
                "buckets. Unset or empty, it is derived from the provider and the account identity (a digest, "
                "never a secret in clear), so clients of the same account share automatically. The first "
                "client created for a key decides the limits; later clients with the same key share them.",
    },
    [UCRM_P_RL_WAIT_MAX_MS] = {
        .name = "ratelimit.wait.max.ms", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_MS,
        .def = "30000", .min = 0, .max = MS_DAY,
        .desc = "Longest a call waits for the rate limiter. When the wait would be longer, the call fails at "
                "once with UCRM_ERR_RATE_LIMITED and a retry-after instead of blocking. "
                "ucrm_reqopts_set_max_wait_ms() overrides it per call.",
    },
    [UCRM_P_RL_RESERVE_HIGH_PERCENT] = {
        .name = "ratelimit.reserve.high.percent", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_INT,
        .def = "10", .min = 0, .max = 90,
        .desc = "Share of every bucket (window, search window, daily budget, concurrency) kept for "
                "UCRM_PRIORITY_HIGH calls, so that a bulk job cannot starve interactive lookups: with 10 and "
                "190 requests per window, NORMAL and LOW calls use at most 171 slots of a window, HIGH calls "
                "all 190. A bucket of more than one slot keeps at least one. LOW calls also wait while NORMAL "
                "calls are waiting.",
    },
    [UCRM_P_RL_DAILY_RECHECK_MS] = {
        .name = "ratelimit.daily.recheck.ms", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_MS,
        .def = "60000", .min = 100, .max = MS_DAY,
        .desc = "Once the provider's usage figures say the daily budget is used up, calls fail at once with "
                "UCRM_ERR_QUOTA_EXHAUSTED, except one request this long after the provider's last figures, whose "
                "answer tells whether the budget has freed (Salesforce's day is rolling; HubSpot's resets at "
                "midnight in the account's time zone).",
    },
    [UCRM_P_RL_HEADROOM] = {
        .name = "ratelimit.headroom", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_INT,
        .def = "0", .min = 0, .max = 1000,
        .desc = "Slots of the main window never used, as a safety margin against requests made outside this "
                "process's knowledge. The limiter counts a request from the moment it is sent until one "
                "window after its response arrived, so it cannot overrun a rolling window that the provider "
                "counts on arrival; the provider's X-HubSpot-RateLimit-Remaining header accounts for other "
                "users of the account.",
    },
    [UCRM_P_RL_BACKEND] = {
        .name = "ratelimit.backend", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_ENUM,
        .def = "memory", .enum_values = "memory,redis",
        .desc = "Where the rate-limit budgets are counted. memory: in this process, shared by its clients with the "
                "same ratelimit.key. redis: in Redis (redis.url), shared by every process and host using the same "
                "ratelimit.key and redis.prefix, with the same semantics (rolling windows, priority reserve, "
                "wait limit, corrections from the provider's usage headers, drain on rate-limit answers, daily "
                "budget, concurrency), applied atomically by Lua scripts on the Redis server's clock: one round "
                "trip per request in the common case. All processes sharing a key should use the same limits. "
                "Needs a build with Redis support (UCRM_ERR_NOT_BUILT_IN otherwise).",
    },

    /* ------------------------------------------------------------------------------------ Redis */
    [UCRM_P_REDIS_URL] = {
        .name = "redis.url", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_SECRET,
        .desc = "The Redis server for ratelimit.backend=redis and token.store=redis: "
                "redis://[[user]:password@]host[:port][/db] (port 6379 and database 0 by default; an IPv6 "
                "address in brackets). A password alone authenticates as the default user, user:password as an "
                "ACL user (Redis 6 or later). Treated as a secret because it may hold a password: never logged "
                "or dumped. A single Redis server (or a proxy in front of a replicated or clustered one); every "
                "key of one account shares one hash tag, so the key layout is ready for Redis Cluster.",
    },
    [UCRM_P_REDIS_PREFIX] = {
        .name = "redis.prefix", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_STRING,
        .def = "ucrm:",
        .desc = "Prepended to every Redis key unicrm writes: <prefix>{<ratelimit.key>}:rl:... for budgets and "
                "<prefix>{<ratelimit.key>}:tok:<credential digest> for tokens (the braces are the Redis Cluster "
                "hash tag). Up to 64 printable characters without braces; use it to separate applications or "
                "environments sharing one Redis.",
    },
    [UCRM_P_REDIS_TIMEOUT_MS] = {
        .name = "redis.timeout.ms", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_MS,
        .def = "1000", .min = 1, .max = 60000,
        .desc = "Timeout for connecting to Redis and for each command. After a failure, connections are retried "
                "with a backoff (100 ms doubling to 5 s) and calls in between see Redis as unreachable at once "
                "instead of waiting (see redis.failure).",
    },
    [UCRM_P_REDIS_FAILURE] = {
        .name = "redis.failure", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_ENUM,
        .def = "closed", .enum_values = "closed,degrade",
        .desc = "What happens while Redis is unreachable. closed: calls that need it fail at once with "
                "UCRM_ERR_TRANSPORT (retriable, \"Redis ... is unreachable\"; a write is reported as not "
                "applied); an access token that is still valid stays in use. degrade: each process falls back to "
                "an in-process limiter with redis.degrade.percent of every budget and refreshes tokens by itself, "
                "logged at WARNING once when it starts and once when Redis is back; what it used meanwhile is "
                "then added to the shared budget, and a token it refreshed is stored if no newer one was. Never "
                "an unbounded burst: what the other processes sent is unknown, so the fallback takes each window "
                "as full when the outage begins (nothing new for up to one window), then at most "
                "redis.degrade.percent per process, until 5 s and one window after Redis is back (the others may "
                "still be on their fallback); the daily budget follows the provider's account-wide figures once a "
                "response brings them.",
    },
    [UCRM_P_REDIS_DEGRADE_PERCENT] = {
        .name = "redis.degrade.percent", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_INT,
        .def = "25", .min = 1, .max = 100,
        .desc = "With redis.failure=degrade: the share of each budget (window, search window, daily budget, "
                "concurrency; at least one request) one process may use while Redis is unreachable. With N "
                "processes sharing an account, 100 / N or less keeps them within the provider's limits.",
    },
    [UCRM_P_REDIS_TLS] = {
        .name = "redis.tls", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_BOOL,
        .def = "false",
        .desc = "Connect to Redis over TLS. Not available: the hiredis of Debian 12 (0.14) has no TLS support "
                "(hiredis_ssl), so true fails with UCRM_ERR_NOT_BUILT_IN. Keep Redis on a trusted network or "
                "reach it through a TLS tunnel (stunnel, spiped), protect it with an ACL user and a password, "
                "and consider redis.token.key.",
    },
    [UCRM_P_REDIS_TOKEN_KEY] = {
        .name = "redis.token.key", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_SECRET,
        .desc = "With token.store=redis: a 256-bit key, as 64 hexadecimal digits, that encrypts the access and "
                "refresh tokens stored in Redis (AES-256-GCM, bound to their key and field). Without it they are "
                "stored as they are, readable by anyone who can read the Redis keys, its snapshots or the "
                "network between the workers and Redis. Every process sharing the tokens needs the same key; "
                "tokens written with another key cannot be read (UCRM_ERR_CONF_INVALID).",
    },

    /* ------------------------------------------------------------------------------------ logging, build */
    [UCRM_P_LOG_STDERR] = {
        .name = "log.stderr", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_BOOL,
        .def = "false",
        .desc = "Write log messages to stderr when no log callback is set. Log messages never contain secrets.",
    },
    [UCRM_P_LOG_LEVEL] = {
        .name = "log.level", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_ENUM,
        .def = "warning", .enum_values = "error,warning,notice,info,debug",
        .desc = "The most verbose level that is logged (to the callback or stderr).",
    },
    [UCRM_P_BUILTIN_FEATURES] = {
        .name = "builtin.features", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_STRING,
        .desc = "Comma-separated features the application requires: hubspot, salesforce, threads, jwt, redis, "
                "tls. Setting it fails with UCRM_ERR_NOT_BUILT_IN, naming what is missing, when this build "
                "lacks any of them (see ucrm_features()).",
    },

    /* ------------------------------------------------------------------------------------ upsert keys */
    [UCRM_P_UPSERT_KEY_CONTACT] = {
        .name = "upsert.contact.key", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_STRING,
        .def_hubspot = "email",
        .desc = "Field that identifies contacts for ucrm_upsert() when key_field is NULL: a writable unified "
                "field (email) or custom.<field> (a HubSpot unique property, a Salesforce external-id field "
                "such as custom.External_Id__c).",
    },
    [UCRM_P_UPSERT_KEY_ACCOUNT] = {
        .name = "upsert.account.key", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_STRING,
        .desc = "Field that identifies accounts for ucrm_upsert() when key_field is NULL: a writable unified "
                "field (for example domain) or custom.<field>.",
    },
    [UCRM_P_UPSERT_KEY_DEAL] = {
        .name = "upsert.deal.key", .scope = UCRM_SCOPE_GLOBAL, .type = UCRM_PT_STRING,
        .desc = "Field that identifies deals for ucrm_upsert() when key_field is NULL: a writable unified "
                "field or custom.<field>.",
    },
};
