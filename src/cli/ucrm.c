/*
 * ucrm.c -- `ucrm`, the command-line client: what curl is to libcurl. Uses only the public API.
 *
 *   ucrm [options] <object> <get|list|search|create|update|delete|upsert> [arguments]
 *
 * See usage() below (also `ucrm --help`) and docs/man/man1/ucrm.1.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* In parts: ISO C limits one string literal to 4095 characters. */
static const char *const usage_text[] = {
    "usage: ucrm [options] <object> <command> [arguments]\n"
    "       ucrm [options] config [describe]\n"
    "       ucrm --version | --help\n"
    "\n"
    "Reads and writes CRM records (Salesforce, HubSpot) through libunicrm. Records are JSON objects of unified\n"
    "fields (first_name, email, amount, ...; custom.<ProviderField> for anything else).\n"
    "\n"
    "Objects: contact, account, deal (plural forms accepted).\n"
    "Commands:\n"
    "  get ID...                    print the record(s)\n"
    "  list                         print every record, one JSON object per line\n"
    "  search FIELD VALUE           print the records whose FIELD equals VALUE, one per line\n"
    "  create [RECORD]              create; prints the record with its new id\n"
    "  update [ID] [RECORD]         send RECORD's fields to record ID (or to the \"id\" inside RECORD)\n"
    "  upsert [--key FIELD] [RECORD]  create or update by a unique field (default: upsert.<object>.key)\n"
    "  delete ID... | delete -      delete by id (\"-\": ids from standard input, one per line)\n"
    "RECORD is JSON text, @FILE, or - for standard input (the default when standard input is not a terminal).\n"
    "Input with several objects (one per line, or a JSON array) runs as a batch and prints one result line per\n"
    "item: {\"index\":N,\"ok\":true,\"id\":...} or {\"index\":N,\"ok\":false,\"error\":{...}}.\n"
    "\n",
    "Connection:\n"
    "  -p, --provider NAME          hubspot or salesforce\n"
    "  -c, --conf KEY=VALUE         any configuration property (repeatable; see docs/CONFIGURATION.md or\n"
    "                               `ucrm config describe`)\n"
    "      --config FILE            read KEY=VALUE lines from FILE (# starts a comment); default $UCRM_CONFIG\n"
    "      --fake                   start the bundled local fake CRM (unicrm-fake) for this command and use it\n"
    "      --fake-url URL           use an already running unicrm-fake at URL (with its test credentials)\n"
    "      --fake-seed N            records per object the started fake holds (default 5)\n"
    "Precedence, lowest first: config file, environment, --fake, then --conf and --provider in command-line\n"
    "order.\n"
    "Environment: UCRM_PROVIDER, UCRM_API_URL, UCRM_TOKEN_URL, UCRM_AUTH_METHOD, UCRM_ACCESS_TOKEN,\n"
    "  UCRM_REFRESH_TOKEN, UCRM_CLIENT_ID, UCRM_CLIENT_SECRET, UCRM_JWT_KEY_FILE, UCRM_JWT_SUBJECT, UCRM_CA_FILE,\n"
    "  UCRM_CONFIG, UCRM_FAKE_BIN. Put secrets there or in a chmod-600 config file, not on the command line:\n"
    "  other users can read a command line (ps).\n"
    "\n",
    "Request options:\n"
    "  -f, --fields LIST            unified fields to read, comma-separated (get, list, search)\n"
    "  -n, --limit N                stop after N records (list, search); prints how to continue\n"
    "      --resume CURSOR          continue a list or search where an earlier --limit stopped\n"
    "      --page-size N            records per provider page (1..2000)\n"
    "      --since TIME             list only records modified at or after TIME (RFC 3339)\n"
    "      --include-deleted        list deleted (archived) records too\n"
    "      --timeout MS             time budget per call, retries included\n"
    "      --priority LANE          low, normal or high (rate-limit lane)\n"
    "      --idempotency-key KEY    sent with writes where the provider supports one\n"
    "      --all-or-none            batches: all items or none (Salesforce)\n"
    "Output:\n"
    "      --compact                single records on one line too (default: pretty for single records)\n"
    "      --raw                    the provider's own payload instead of unified fields\n"
    "      --stats                  print the client's metrics (JSON) on standard error at the end\n"
    "  -v, --verbose                log to standard error (-vv: debug) and show provider error details\n"
    "  -h, --help                   this text;  -V, --version: versions and built-in features\n"
    "\n",
    "Exit status:\n"
    "   0 success                        6 invalid data (validation, unknown field, wrong type, unsupported)\n"
    "   1 usage error                    7 rate limited or quota exhausted\n"
    "   2 configuration (or --fake)      8 connection, TLS or timeout\n"
    "   3 authentication or permission   9 provider failure or unreadable answer\n"
    "   4 not found                     10 batch: some items failed\n"
    "   5 conflict (duplicate)          11 anything else\n"
    "\n"
    "Examples:\n"
    "  ucrm --fake contact list\n"
    "  export UCRM_PROVIDER=hubspot UCRM_ACCESS_TOKEN=...   # or a config file\n"
    "  ucrm contact get 10001 --fields first_name,email\n"
    "  ucrm contact create '{\"email\":\"ada@example.com\",\"first_name\":\"Ada\"}'\n"
    "  ucrm contact upsert --key email < contacts.ndjson\n"
    "  ucrm deal list --since 2024-05-01T00:00:00Z --limit 100\n",
    NULL};

typedef struct cli_opts {
    cli_sources_t src;
    const char *config_file;
    int fake_start, fake_seed;
    const char *fields, *since, *resume, *idem_key, *key_field;
    int32_t page_size;
    int include_deleted, all_or_none, priority;
    int64_t timeout_ms;
    long long limit;
    int compact, raw, stats, verbose;
} cli_opts_t;

typedef struct cli {
    cli_opts_t o;
    ucrm_client_t *client;
    ucrm_reqopts_t *opts;
    ucrm_object_t object;
    const char *object_name, *verb;
} cli_t;

static int usage_error(const char *fmt, const char *arg) {
    fputs("ucrm: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'ucrm --help'.\n", stderr);
    return CLI_EXIT_USAGE;
}

static int parse_ll(const char *s, long long min, long long max, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

enum {
    OPT_CONFIG = 256, OPT_FAKE, OPT_FAKE_URL, OPT_FAKE_SEED, OPT_RESUME, OPT_PAGE_SIZE, OPT_SINCE,
    OPT_INCLUDE_DELETED, OPT_TIMEOUT, OPT_PRIORITY, OPT_IDEM, OPT_ALL_OR_NONE, OPT_COMPACT, OPT_RAW, OPT_STATS,
    OPT_KEY
};

static const struct option long_opts[] = {
    {"provider", required_argument, NULL, 'p'},
    {"conf", required_argument, NULL, 'c'},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"fake", no_argument, NULL, OPT_FAKE},
    {"fake-url", required_argument, NULL, OPT_FAKE_URL},
    {"fake-seed", required_argument, NULL, OPT_FAKE_SEED},
    {"fields", required_argument, NULL, 'f'},
    {"limit", required_argument, NULL, 'n'},
    {"resume", required_argument, NULL, OPT_RESUME},
    {"page-size", required_argument, NULL, OPT_PAGE_SIZE},
    {"since", required_argument, NULL, OPT_SINCE},
    {"include-deleted", no_argument, NULL, OPT_INCLUDE_DELETED},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"priority", required_argument, NULL, OPT_PRIORITY},
    {"idempotency-key", required_argument, NULL, OPT_IDEM},
    {"all-or-none", no_argument, NULL, OPT_ALL_OR_NONE},
    {"key", required_argument, NULL, OPT_KEY},
    {"compact", no_argument, NULL, OPT_COMPACT},
    {"raw", no_argument, NULL, OPT_RAW},
    {"stats", no_argument, NULL, OPT_STATS},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static int print_version(void) {
    unsigned int f = ucrm_features();
    printf("ucrm %s (libunicrm %s)\n", UCRM_VERSION_STR, ucrm_version_str());
    printf("providers:%s%s\n", (f & UCRM_FEATURE_HUBSPOT) ? " hubspot" : "",
           (f & UCRM_FEATURE_SALESFORCE) ? " salesforce" : "");
    printf("features:%s%s%s\n", (f & UCRM_FEATURE_JWT) ? " jwt" : "", (f & UCRM_FEATURE_REDIS) ? " redis" : "",
           (f & UCRM_FEATURE_THREADS) ? " threads" : "");
    printf("tls: %s\n", ucrm_feature_backend(UCRM_FEATURE_TLS) ? ucrm_feature_backend(UCRM_FEATURE_TLS) : "none");
    return CLI_EXIT_OK;
}

/* Options that only set a value; -1 for an invalid value. */
static int set_request_opt(cli_opts_t *o, int c, const char *arg) {
    long long v;
    switch (c) {
    case 'f': o->fields = arg; return 0;
    case 'n':
        if (parse_ll(arg, 1, (long long)1 << 62, &v) < 0)
            return -1;
        o->limit = v;
        return 0;
    case OPT_RESUME: o->resume = arg; return 0;
    case OPT_PAGE_SIZE:
        if (parse_ll(arg, 1, 2000, &v) < 0)
            return -1;
        o->page_size = (int32_t)v;
        return 0;
    case OPT_SINCE: o->since = arg; return 0;
    case OPT_INCLUDE_DELETED: o->include_deleted = 1; return 0;
    case OPT_TIMEOUT:
        if (parse_ll(arg, 1, 86400000, &v) < 0)
            return -1;
        o->timeout_ms = v;
        return 0;
    case OPT_PRIORITY:
        o->priority = strcmp(arg, "low") == 0 ? UCRM_PRIORITY_LOW : strcmp(arg, "normal") == 0 ? UCRM_PRIORITY_NORMAL
                    : strcmp(arg, "high") == 0 ? UCRM_PRIORITY_HIGH : -1;
        return o->priority < 0 ? -1 : 0;
    case OPT_IDEM: o->idem_key = arg; return 0;
    case OPT_ALL_OR_NONE: o->all_or_none = 1; return 0;
    case OPT_KEY: o->key_field = arg; return 0;
    case OPT_COMPACT: o->compact = 1; return 0;
    case OPT_RAW: o->raw = 1; return 0;
    case OPT_STATS: o->stats = 1; return 0;
    case 'v': o->verbose++; return 0;
    }
    return -2;
}

/* Returns -1 to continue, or an exit code. */
static int parse_args(cli_opts_t *o, int argc, char **argv) {
    int c;
    o->limit = -1;
    o->fake_seed = 5;
    while ((c = getopt_long(argc, argv, "p:c:f:n:vhV", long_opts, NULL)) != -1) {
        if (c == 'h') {
            for (const char *const *u = usage_text; *u; u++)
                fputs(*u, stdout);
            return CLI_EXIT_OK;
        }
        if (c == 'V')
            return print_version();
        if (c == '?')
            return usage_error("%s", "invalid option");
        if (c == 'p') {
            if (cli_kvs_add(&o->src.args, "provider", optarg, "--provider") < 0)
                return CLI_EXIT_OTHER;
        } else if (c == 'c') {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg)
                return usage_error("--conf wants KEY=VALUE, got '%s'", optarg);
            char key[256];
            snprintf(key, sizeof key, "%.*s", (int)(eq - optarg), optarg);
            if (cli_kvs_add(&o->src.args, key, eq + 1, "--conf") < 0)
                return CLI_EXIT_OTHER;
        } else if (c == OPT_CONFIG) {
            o->config_file = optarg;
        } else if (c == OPT_FAKE) {
            o->fake_start = 1;
            o->src.fake = 1;
        } else if (c == OPT_FAKE_URL) {
            o->src.fake = 1;
            o->src.fake_url = optarg;
        } else if (c == OPT_FAKE_SEED) {
            long long v;
            if (parse_ll(optarg, 0, 10000, &v) < 0)
                return usage_error("--fake-seed wants 0..10000, got '%s'", optarg);
            o->fake_seed = (int)v;
        } else if (set_request_opt(o, c, optarg) == -1) {
            return usage_error("invalid value '%s' for an option", optarg);
        }
    }
    if (o->fake_start && o->src.fake_url)
        return usage_error("%s", "--fake and --fake-url exclude each other");
    return -1;
}

/* ------------------------------------------------------------------------------------------------ commands */

static int out_failed(void) {
    return ferror(stdout) != 0;
}

static ucrm_err_t print_record(const cli_t *c, const ucrm_record_t *rec, int single) {
    char *json = NULL;
    ucrm_err_t rc = c->o.raw ? ucrm_record_remote_json(rec, &json) : ucrm_record_to_json(rec, &json);
    if (rc == UCRM_ERR_NOENT && c->o.raw) /* not read from the provider (e.g. after an update): unified form */
        rc = ucrm_record_to_json(rec, &json);
    if (rc < 0)
        return rc;
    if (single && !c->o.compact)
        cli_json_pretty(stdout, json);
    else
        printf("%s\n", json);
    ucrm_free(json);
    return UCRM_OK;
}

static ucrm_err_t build_opts(cli_t *c) {
    const cli_opts_t *o = &c->o;
    ucrm_err_t rc = ucrm_reqopts_new(&c->opts);
    if (rc == UCRM_OK && o->fields)
        rc = ucrm_reqopts_set_fields(c->opts, o->fields);
    if (rc == UCRM_OK && o->page_size)
        rc = ucrm_reqopts_set_page_size(c->opts, o->page_size);
    if (rc == UCRM_OK && o->since)
        rc = ucrm_reqopts_set_updated_since(c->opts, o->since);
    if (rc == UCRM_OK && o->include_deleted)
        rc = ucrm_reqopts_set_include_deleted(c->opts, 1);
    if (rc == UCRM_OK && o->timeout_ms)
        rc = ucrm_reqopts_set_timeout_ms(c->opts, o->timeout_ms);
    if (rc == UCRM_OK && o->priority)
        rc = ucrm_reqopts_set_priority(c->opts, (ucrm_priority_t)o->priority);
    if (rc == UCRM_OK && o->idem_key)
        rc = ucrm_reqopts_set_idempotency_key(c->opts, o->idem_key);
    if (rc == UCRM_OK && o->all_or_none)
        rc = ucrm_reqopts_set_all_or_none(c->opts, 1);
    if (rc < 0)
        fprintf(stderr, "ucrm: invalid request option (%s): %s\n", ucrm_err_name(rc),
                o->since ? "check --fields and --since" : "check --fields");
    return rc;
}

static int cmd_get(cli_t *c, int argc, char **argv) {
    if (argc < 1)
        return usage_error("%s", "get wants at least one ID");
    int status = CLI_EXIT_OK;
    for (int i = 0; i < argc && !out_failed(); i++) {
        ucrm_record_t *rec = NULL;
        ucrm_error_t *err = NULL;
        ucrm_err_t rc = ucrm_get(c->client, c->object, argv[i], c->opts, &rec, &err);
        if (rc == UCRM_OK)
            rc = print_record(c, rec, argc == 1);
        if (rc < 0) {
            char what[300];
            snprintf(what, sizeof what, "%s get %s", c->object_name, argv[i]);
            int s = cli_report(what, rc, err, c->o.verbose);
            if (status == CLI_EXIT_OK)
                status = s;
        }
        ucrm_error_destroy(err);
        ucrm_record_destroy(rec);
    }
    return status;
}

static int iterate(cli_t *c, ucrm_iter_t *it, const char *what) {
    long long n = 0;
    ucrm_err_t rc = UCRM_OK;
    ucrm_error_t *err = NULL;
    while ((c->o.limit < 0 || n < c->o.limit) && !out_failed()) {
        ucrm_record_t *rec = NULL;
        rc = ucrm_iter_next(it, &rec, &err);
        if (rc != UCRM_OK)
            break;
        rc = print_record(c, rec, 0);
        ucrm_record_destroy(rec);
        if (rc < 0)
            break;
        n++;
    }
    int status = CLI_EXIT_OK;
    if (rc < 0) {
        status = cli_report(what, rc, err, c->o.verbose);
        const char *cur = ucrm_iter_cursor(it);
        if (cur && n > 0)
            fprintf(stderr, "ucrm: %lld records printed; continue with --resume '%s'\n", n, cur);
    } else if (rc == UCRM_OK && c->o.limit >= 0 && n == c->o.limit && ucrm_iter_cursor(it)) {
        fprintf(stderr, "ucrm: stopped after %lld records; continue with --resume '%s'\n", n, ucrm_iter_cursor(it));
    }
    ucrm_error_destroy(err);
    return status;
}

static int cmd_list(cli_t *c, int argc, char **argv) {
    (void)argv;
    int search = strcmp(c->verb, "search") == 0;
    if (argc != (search ? 2 : 0))
        return usage_error("%s", search ? "search wants FIELD VALUE" : "list takes no argument");
    ucrm_iter_t *it = NULL;
    ucrm_error_t *err = NULL;
    char what[300];
    ucrm_err_t rc;
    if (c->o.resume)
        rc = ucrm_iter_resume(c->client, c->o.resume, c->opts, &it, &err);
    else if (search)
        rc = ucrm_search(c->client, c->object, argv[0], argv[1], c->opts, &it, &err);
    else
        rc = ucrm_list(c->client, c->object, c->opts, &it, &err);
    snprintf(what, sizeof what, "%s %s", c->object_name, c->verb);
    int status = rc < 0 ? cli_report(what, rc, err, c->o.verbose) : iterate(c, it, what);
    ucrm_error_destroy(err);
    ucrm_iter_destroy(it);
    return status;
}

/* The text of RECORD: JSON, @FILE or "-"; stdin when absent and not a terminal. */
static int read_input(const char *arg, char **buf, size_t *len) {
    if (!arg) {
        if (isatty(STDIN_FILENO))
            return usage_error("%s", "expected a RECORD (JSON text, @FILE, or - for standard input)");
        arg = "-";
    }
    if (strcmp(arg, "-") == 0 || arg[0] == '@')
        return cli_read_all(arg[0] == '@' ? arg + 1 : arg, buf, len) < 0 ? CLI_EXIT_USAGE : 0;
    *len = strlen(arg);
    *buf = strdup(arg);
    return *buf ? 0 : CLI_EXIT_OTHER;
}

static void print_batch_item(const ucrm_batch_t *b, size_t i) {
    const char *id = NULL;
    const ucrm_error_t *err = NULL;
    int created;
    ucrm_err_t rc = ucrm_batch_result(b, i, &id, &err);
    printf("{\"index\":%zu,\"ok\":%s", i, rc == UCRM_OK ? "true" : "false");
    if (id) {
        fputs(",\"id\":", stdout);
        cli_json_string(stdout, id);
    }
    if (rc == UCRM_OK && ucrm_batch_result_created(b, i, &created) == UCRM_OK)
        printf(",\"created\":%s", created ? "true" : "false");
    if (rc != UCRM_OK) {
        fputs(",\"error\":", stdout);
        cli_error_json(stdout, rc, err);
    }
    fputs("}\n", stdout);
}

static int run_batch(cli_t *c, ucrm_batch_t *b) {
    ucrm_error_t *err = NULL;
    ucrm_err_t rc = ucrm_batch_run(c->client, b, c->opts, &err);
    size_t n = ucrm_batch_count(b);
    for (size_t i = 0; i < n; i++)
        print_batch_item(b, i);
    char what[300];
    snprintf(what, sizeof what, "%s %s (batch of %zu)", c->object_name, c->verb, n);
    int status = rc < 0 ? cli_report(what, rc, err, c->o.verbose) : CLI_EXIT_OK;
    ucrm_error_destroy(err);
    return status;
}

static ucrm_err_t single_write(cli_t *c, ucrm_record_t *rec, ucrm_error_t **err) {
    if (strcmp(c->verb, "create") == 0)
        return ucrm_create(c->client, rec, c->opts, err);
    if (strcmp(c->verb, "update") == 0)
        return ucrm_update(c->client, rec, c->opts, err);
    return ucrm_upsert(c->client, rec, c->o.key_field, c->opts, err);
}

static int write_records(cli_t *c, const char *id, const char *input) {
    char *buf = NULL, what[300];
    size_t len = 0, n = 0;
    cli_span_t *spans = NULL;
    int status = read_input(input, &buf, &len);
    if (status)
        return status;
    if (cli_json_split(buf, len, &spans, &n) < 0 || n == 0) {
        if (n == 0 && spans == NULL)
            fprintf(stderr, "ucrm: no record in the input\n");
        free(buf);
        return CLI_EXIT_INVALID;
    }
    if (id && n > 1) {
        free(spans);
        free(buf);
        return usage_error("%s", "update ID takes one record; for several, put an \"id\" in each");
    }
    ucrm_batch_op_t op = strcmp(c->verb, "create") == 0   ? UCRM_BATCH_CREATE
                         : strcmp(c->verb, "update") == 0 ? UCRM_BATCH_UPDATE
                                                          : UCRM_BATCH_UPSERT;
    ucrm_batch_t *batch = NULL;
    ucrm_err_t rc = n > 1 ? ucrm_batch_new(&batch, c->object, op) : UCRM_OK;
    if (rc == UCRM_OK && batch && c->o.key_field)
        rc = ucrm_batch_set_key_field(batch, c->o.key_field);
    ucrm_error_t *err = NULL;
    ucrm_record_t *rec = NULL;
    for (size_t i = 0; rc == UCRM_OK && i < n; i++) {
        ucrm_record_destroy(rec);
        rec = NULL;
        rc = ucrm_record_new_from_json(&rec, c->object, spans[i].p, spans[i].len, &err);
        if (rc == UCRM_OK && id)
            rc = ucrm_record_set_id(rec, id);
        if (rc == UCRM_OK && batch)
            rc = ucrm_batch_add(batch, rec);
        if (rc < 0)
            snprintf(what, sizeof what, "input record %zu", i + 1);
    }
    if (rc < 0) {
        status = cli_report(what, rc, err, c->o.verbose);
    } else if (batch) {
        status = run_batch(c, batch);
    } else {
        rc = single_write(c, rec, &err);
        if (rc == UCRM_OK)
            rc = print_record(c, rec, 1);
        snprintf(what, sizeof what, "%s %s", c->object_name, c->verb);
        status = rc < 0 ? cli_report(what, rc, err, c->o.verbose) : CLI_EXIT_OK;
    }
    ucrm_error_destroy(err);
    ucrm_record_destroy(rec);
    ucrm_batch_destroy(batch);
    free(spans);
    free(buf);
    return status;
}

static int cmd_write(cli_t *c, int argc, char **argv) {
    int update = strcmp(c->verb, "update") == 0;
    if (argc > (update ? 2 : 1))
        return usage_error("too many arguments for %s", c->verb);
    if (!update)
        return write_records(c, NULL, argc ? argv[0] : NULL);
    /* update [ID] [RECORD]: a lone argument is the RECORD when it looks like one */
    if (argc == 1 && (argv[0][0] == '{' || argv[0][0] == '[' || argv[0][0] == '@' || strcmp(argv[0], "-") == 0))
        return write_records(c, NULL, argv[0]);
    return write_records(c, argc ? argv[0] : NULL, argc > 1 ? argv[1] : NULL);
}

/* Ids from standard input, one per line (blank lines skipped). */
static int read_ids(cli_kvs_t *ids) {
    char *buf = NULL;
    size_t len;
    if (cli_read_all("-", &buf, &len) < 0)
        return -1;
    for (char *save = NULL, *line = strtok_r(buf, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line && cli_kvs_add(ids, line, "", "stdin") < 0) {
            free(buf);
            return -1;
        }
    }
    free(buf);
    return 0;
}

static int cmd_delete(cli_t *c, int argc, char **argv) {
    cli_kvs_t ids = {0};
    if (argc == 0)
        return usage_error("%s", "delete wants at least one ID (or - to read them from standard input)");
    for (int i = 0; i < argc; i++) {
        int bad = strcmp(argv[i], "-") == 0 ? read_ids(&ids) : cli_kvs_add(&ids, argv[i], "", "argv");
        if (bad < 0) {
            cli_kvs_free(&ids);
            return CLI_EXIT_OTHER;
        }
    }
    int status = CLI_EXIT_OK;
    ucrm_error_t *err = NULL;
    char what[300];
    snprintf(what, sizeof what, "%s delete", c->object_name);
    if (ids.n == 1) {
        ucrm_err_t rc = ucrm_delete(c->client, c->object, ids.v[0].key, c->opts, &err);
        if (rc == UCRM_OK) {
            fputs("{\"id\":", stdout);
            cli_json_string(stdout, ids.v[0].key);
            fputs(",\"deleted\":true}\n", stdout);
        } else {
            snprintf(what, sizeof what, "%s delete %s", c->object_name, ids.v[0].key);
            status = cli_report(what, rc, err, c->o.verbose);
        }
    } else if (ids.n > 1) {
        ucrm_batch_t *b = NULL;
        ucrm_err_t rc = ucrm_batch_new(&b, c->object, UCRM_BATCH_DELETE);
        for (size_t i = 0; rc == UCRM_OK && i < ids.n; i++)
            rc = ucrm_batch_add_id(b, ids.v[i].key);
        status = rc < 0 ? cli_report(what, rc, NULL, c->o.verbose) : run_batch(c, b);
        ucrm_batch_destroy(b);
    } else {
        fprintf(stderr, "ucrm: no id in the input\n");
        status = CLI_EXIT_USAGE;
    }
    ucrm_error_destroy(err);
    cli_kvs_free(&ids);
    return status;
}

/* ------------------------------------------------------------------------------------------------ config command */

static int cmd_config(cli_t *c, ucrm_conf_t *conf, int argc, char **argv) {
    (void)c;
    if (argc == 1 && strcmp(argv[0], "describe") == 0) {
        char *json = NULL;
        ucrm_err_t rc = ucrm_conf_describe_json(&json);
        if (rc < 0)
            return cli_report("config describe", rc, NULL, 0);
        cli_json_pretty(stdout, json);
        ucrm_free(json);
        return CLI_EXIT_OK;
    }
    if (argc)
        return usage_error("config takes no argument but 'describe', got '%s'", argv[0]);
    char **kv = NULL;
    size_t n = 0;
    ucrm_err_t rc = ucrm_conf_dump(conf, &kv, &n);
    if (rc < 0)
        return cli_report("config", rc, NULL, 0);
    for (size_t i = 0; i + 1 < n; i += 2)
        printf("%s=%s\n", kv[i], kv[i + 1]);
    ucrm_conf_dump_free(kv, n);
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------------------------------------------ main */

typedef int cmd_fn(cli_t *, int, char **);

static cmd_fn *find_command(const char *verb) {
    static const struct {
        const char *verb;
        cmd_fn *fn;
    } verbs[] = {{"get", cmd_get},       {"list", cmd_list},     {"search", cmd_list}, {"create", cmd_write},
                 {"update", cmd_write},  {"upsert", cmd_write},  {"delete", cmd_delete}};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(verbs[i].verb, verb) == 0)
            return verbs[i].fn;
    return NULL;
}

static int finish_stats(cli_t *c) {
    char *json = NULL;
    if (ucrm_client_stats_json(c->client, &json, NULL) == UCRM_OK) {
        fputs("ucrm: stats: ", stderr);
        fprintf(stderr, "%s\n", json);
        ucrm_free(json);
    }
    return 0;
}

static int run(cli_t *c, int argc, char **argv) {
    cli_opts_t *o = &c->o;
    const char *cfg = o->config_file ? o->config_file : getenv("UCRM_CONFIG");
    if (cfg && *cfg && cli_read_config_file(cfg, &o->src.file) < 0)
        return CLI_EXIT_CONFIG;
    cli_read_env(&o->src.env);
    if (argc < 1)
        return usage_error("%s", "missing <object> (contact, account, deal) or 'config'");
    int is_config = strcmp(argv[0], "config") == 0;
    if (!is_config) {
        if (ucrm_object_from_name(argv[0], &c->object) < 0)
            return usage_error("unknown object '%s' (contact, account, deal)", argv[0]);
        c->object_name = ucrm_object_name(c->object);
        if (argc < 2)
            return usage_error("missing command after '%s'", argv[0]);
        c->verb = argv[1];
        if (!find_command(c->verb))
            return usage_error("unknown command '%s' (get, list, search, create, update, upsert, delete)", c->verb);
    }
    const char *provider = cli_sources_provider(&o->src);
    if (!provider && o->src.fake)
        provider = "hubspot";
    if (!provider && !is_config) {
        fprintf(stderr, "ucrm: no provider: use --provider, UCRM_PROVIDER or provider= in the config file "
                        "(or --fake to try the local fake)\n");
        return CLI_EXIT_CONFIG;
    }
    cli_fake_t fake = {0};
    if (o->fake_start) {
        if (cli_fake_start(&fake, o->fake_seed, o->verbose) < 0)
            return CLI_EXIT_CONFIG;
        o->src.fake_url = fake.url;
    }
    ucrm_conf_t *conf = NULL;
    ucrm_err_t rc = cli_build_conf(&o->src, provider, o->verbose, &conf);
    int status = rc < 0 ? cli_exit_code(rc) : CLI_EXIT_OK;
    if (rc == UCRM_OK && is_config) {
        status = cmd_config(c, conf, argc - 1, argv + 1);
    } else if (rc == UCRM_OK) {
        ucrm_error_t *err = NULL;
        rc = ucrm_client_new(&c->client, conf, &err);
        if (rc < 0)
            status = cli_report("client", rc, err, o->verbose);
        else if (build_opts(c) < 0)
            status = CLI_EXIT_USAGE;
        else
            status = find_command(c->verb)(c, argc - 2, argv + 2);
        ucrm_error_destroy(err);
        if (o->stats && c->client)
            finish_stats(c);
    }
    ucrm_reqopts_destroy(c->opts);
    ucrm_client_destroy(c->client);
    ucrm_conf_destroy(conf);
    cli_fake_stop(&fake);
    return status;
}

int main(int argc, char **argv) {
    cli_t c;
    memset(&c, 0, sizeof c);
    signal(SIGPIPE, SIG_IGN); /* a closed pipe (ucrm ... | head) shows as a write error, handled below */
    int status = parse_args(&c.o, argc, argv);
    if (status < 0)
        status = run(&c, argc - optind, argv + optind);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (errno != EPIPE) {
            fprintf(stderr, "ucrm: writing the output failed: %s\n", strerror(errno));
            status = CLI_EXIT_OTHER;
        }
    }
    cli_kvs_free(&c.o.src.file);
    cli_kvs_free(&c.o.src.env);
    cli_kvs_free(&c.o.src.args);
    return status;
}
