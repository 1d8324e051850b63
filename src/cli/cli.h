/*
 * cli.h -- the pieces of the `ucrm` command-line client. The CLI is an application of the public API: it includes
 * only <unicrm/unicrm.h> and is not part of the library.
 */
#ifndef UCRM_CLI_H
#define UCRM_CLI_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include <unicrm/unicrm.h>

/* Exit codes (documented in `ucrm --help` and ucrm(1)). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_USAGE = 1,      /* bad command line */
    CLI_EXIT_CONFIG = 2,     /* configuration: unknown key, bad value, missing provider, not built in, fake */
    CLI_EXIT_AUTH = 3,       /* authentication or permission */
    CLI_EXIT_NOT_FOUND = 4,  /* no such record */
    CLI_EXIT_CONFLICT = 5,   /* duplicate, or several records matched */
    CLI_EXIT_INVALID = 6,    /* invalid data: rejected by unicrm's checks or by the provider */
    CLI_EXIT_RATE = 7,       /* rate limited or quota exhausted */
    CLI_EXIT_TRANSPORT = 8,  /* connection, TLS or timeout */
    CLI_EXIT_PROVIDER = 9,   /* the provider failed or answered something unreadable */
    CLI_EXIT_PARTIAL = 10,   /* a batch ran but some items failed */
    CLI_EXIT_OTHER = 11      /* anything else (out of memory, output error, ...) */
};

/* The exit code for a result code. */
int cli_exit_code(ucrm_err_t rc);

/* ------------------------------------------------------------------------------------------------ configuration */

typedef struct cli_kv {
    char *key;
    char *value;
    char *origin; /* "--conf", "UCRM_ACCESS_TOKEN", "FILE:LINE", "--fake" ... for messages */
} cli_kv_t;

typedef struct cli_kvs {
    cli_kv_t *v;
    size_t n, cap;
} cli_kvs_t;

/* Appends a copy; 0 on success, -1 when out of memory. */
int cli_kvs_add(cli_kvs_t *l, const char *key, const char *value, const char *origin);
void cli_kvs_free(cli_kvs_t *l);

/* Reads a `key=value` file (# comments, blank lines, whitespace around key and value ignored). On error prints
 * the reason (with FILE:LINE) and returns -1. */
int cli_read_config_file(const char *path, cli_kvs_t *out);

/* The environment variables the CLI reads, in the order of the table in --help. */
void cli_read_env(cli_kvs_t *out);

/* Where configuration comes from, lowest precedence first. */
typedef struct cli_sources {
    cli_kvs_t file;  /* --config FILE or $UCRM_CONFIG */
    cli_kvs_t env;   /* UCRM_PROVIDER, UCRM_ACCESS_TOKEN, ... */
    cli_kvs_t args;  /* --conf key=value, then --provider (last, so it wins) */
    int fake;        /* --fake or --fake-url: URLs and credentials from the environment and file are ignored */
    const char *fake_url;
} cli_sources_t;

/* The provider the sources name (the last `provider` by precedence), or NULL. */
const char *cli_sources_provider(const cli_sources_t *s);

/* Builds the configuration: file, environment, fake settings (when s->fake), arguments. Prints the reason and
 * returns the error code on failure; *conf_out is set on success. */
ucrm_err_t cli_build_conf(const cli_sources_t *s, const char *provider, int verbose, ucrm_conf_t **conf_out);

/* ------------------------------------------------------------------------------------------------ local fake */

typedef struct cli_fake {
    pid_t pid;
    char url[256];
} cli_fake_t;

/* Starts unicrm-fake on a free loopback port ($UCRM_FAKE_BIN, else next to this program, else $PATH), reads its
 * "listening on URL" line. Returns 0, or -1 after printing why. */
int cli_fake_start(cli_fake_t *f, int seed, int verbose);
/* Stops it (SIGTERM, then SIGKILL after 5 s). Safe on a fake that was not started. */
void cli_fake_stop(cli_fake_t *f);

/* ------------------------------------------------------------------------------------------------ JSON and output */

/* One JSON value inside an input buffer. */
typedef struct cli_span {
    const char *p;
    size_t len;
} cli_span_t;

/* Splits input holding one JSON object, several (NDJSON or concatenated) or one array of objects into spans.
 * Returns 0, or -1 after printing what is wrong (with the byte offset). *spans is malloc'd. */
int cli_json_split(const char *buf, size_t len, cli_span_t **spans, size_t *count);

/* Writes compact JSON text re-indented with two spaces, numbers and strings kept byte for byte. */
void cli_json_pretty(FILE *out, const char *json);

/* Writes s as a JSON string literal (quotes and escapes). */
void cli_json_string(FILE *out, const char *s);

/* Prints a failed call: "ucrm: WHAT: message [UCRM_ERR_X, HTTP 404, ...]", plus the provider's details when
 * verbose. Returns the exit code. */
int cli_report(const char *what, ucrm_err_t rc, const ucrm_error_t *err, int verbose);

/* Writes an error object as a JSON object (for batch item results). */
void cli_error_json(FILE *out, ucrm_err_t rc, const ucrm_error_t *err);

/* Reads a whole file ("-" = stdin) into a NUL-terminated malloc'd buffer. Returns 0 or -1 after printing. */
int cli_read_all(const char *path, char **buf, size_t *len);

#endif /* UCRM_CLI_H */
