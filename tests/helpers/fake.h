/*
 * fake.h -- start and drive the local fake server (build/bin/unicrm-fake) from tests.
 *
 *   ucrm_fake_t *f = fake_start("--seed", "50", "--token-ttl", "5", NULL);
 *   const char *base = fake_url(f);           // "http://127.0.0.1:PORT"
 *   long status; char *body = fake_request(f, "GET", "/__fake/stats", NULL, &status);
 *   ...
 *   fake_stop(f);                             // SIGTERM, waits, checks exit status 0
 *
 * The binary is $UCRM_FAKE_BIN (set by the Makefile), else build/bin/unicrm-fake. fake_start() returns NULL
 * (after printing why) when the fake cannot start; tests should fail, not skip, in that case.
 */
#ifndef UCRM_TESTS_FAKE_H
#define UCRM_TESTS_FAKE_H

#include <stddef.h>

typedef struct ucrm_fake ucrm_fake_t;

/* Extra command-line arguments, NULL-terminated. --port 0 is always passed first. */
ucrm_fake_t *fake_start(const char *arg, ...);
/* Same with an argv-style array (NULL-terminated). */
ucrm_fake_t *fake_startv(const char *const *args);
const char *fake_url(const ucrm_fake_t *f);
int fake_port(const ucrm_fake_t *f);
/* Stops the fake (SIGTERM) and returns its exit status (0 expected), or -1. */
int fake_stop(ucrm_fake_t *f);

/* Plain HTTP to the fake with libcurl (not through unicrm). headers: NULL-terminated "Name: value" strings or
 * NULL. Returns the body (malloc'd, free()), sets *status (0 on transport failure). */
char *fake_request(const ucrm_fake_t *f, const char *method, const char *path, const char *body, long *status);
char *fake_request_h(const ucrm_fake_t *f, const char *method, const char *path, const char *const *headers,
                     const char *body, long *status);

/* Control API shortcuts. */
int fake_reset(const ucrm_fake_t *f);                        /* POST /__fake/reset; 0 on success */
char *fake_stats(const ucrm_fake_t *f);                      /* GET /__fake/stats (malloc'd JSON) */
/* Reads one integer out of /__fake/stats by a dotted path, e.g. "hubspot.429" or "tokens_issued.salesforce";
 * -1 when absent. */
long fake_stat(const ucrm_fake_t *f, const char *dotted_path);

/* ---- additions (unicrm-fake helpers) ---- */

/* Full form: body of body_len bytes (may be NULL), timeout_ms (0 = 30 s); *resp_headers (if not NULL) receives
 * the raw response header block (malloc'd, free()). Returns NULL with *status 0 on transport failure (reset,
 * timeout). A JSON-looking body gets "Content-Type: application/json" unless headers name one. */
char *fake_request_full(const ucrm_fake_t *f, const char *method, const char *path, const char *const *headers,
                        const char *body, size_t body_len, long timeout_ms, long *status, char **resp_headers);
/* Value of header `name` in a raw header block (case-insensitive), malloc'd, or NULL. */
char *fake_header(const char *raw_headers, const char *name);
/* POST /__fake/clock {"advance_ms":ms}; 0 on success. */
int fake_clock_advance(const ucrm_fake_t *f, long long ms);
/* POST /__fake/faults with the given JSON; 0 on success. */
int fake_set_faults(const ucrm_fake_t *f, const char *json);
/* Access tokens from the fake's token endpoints with the default credentials (malloc'd), or NULL. */
char *fake_hubspot_token(const ucrm_fake_t *f);
char *fake_salesforce_token(const ucrm_fake_t *f);

#endif /* UCRM_TESTS_FAKE_H */
