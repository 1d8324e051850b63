/*
 * script.h -- a scripted in-process transport for tests: each expected request is matched (method, path and
 * query, optionally the JSON body) and answered with a canned response or a transport failure, in order.
 *
 * Exchanges can be added in code or loaded from data files (tests/data/<provider>/<case>.http):
 *
 *     >>> POST /crm/v3/objects/contacts
 *     >>> Content-Type: application/json            (request headers that must be present; optional)
 *     {"properties":{"email":"a@example.com"}}      (expected body, compared as JSON; optional)
 *     <<< 201
 *     <<< Content-Type: application/json           (response headers)
 *     {"id":"1", ...}                               (response body, verbatim up to the next ">>>" or EOF)
 *
 * A line "!!! FAIL TRANSPORT NOT_SENT" (or TIMEOUT MAYBE_SENT, ...) instead of "<<<" answers with a transport
 * failure. Lines starting with "#" before the first ">>>" are comments. The path is compared without scheme and
 * host; "*" as the whole expected body accepts any body.
 *
 * A request that does not match the next exchange is answered 599 with a description, and script_ok() then
 * returns false with the mismatch in script_error().
 */
#ifndef UCRM_TESTS_SCRIPT_H
#define UCRM_TESTS_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include <unicrm/sys/transport.h>

typedef struct script script_t;

script_t *script_new(void);
void script_free(script_t *s);

/* Adds an exchange. req_body: expected JSON body, "*" for any, NULL for none. resp_headers: "Name: value" lines
 * separated by "\n", or NULL. */
void script_expect(script_t *s, const char *method, const char *path, const char *req_body, int status,
                   const char *resp_headers, const char *resp_body);
/* Adds an exchange answered by a transport failure. */
void script_fail(script_t *s, const char *method, const char *path, ucrm_err_t code, ucrm_http_sent_t sent);
/* Adds an exchange whose answer is delayed by ms (for timeout tests: the transport honours the request's
 * timeout and fails with UCRM_ERR_TIMEOUT / MAYBE_SENT if ms exceeds it). */
void script_expect_slow(script_t *s, const char *method, const char *path, int delay_ms, int status,
                        const char *resp_body);
/* Loads every exchange of a .http file; false (with script_error()) when the file is malformed. */
bool script_load(script_t *s, const char *path);

/* Makes clients created from conf use this script. */
void script_install(script_t *s, ucrm_conf_t *conf);

bool script_ok(const script_t *s);              /* no mismatch so far */
const char *script_error(const script_t *s);    /* the first mismatch, or "" */
size_t script_remaining(const script_t *s);     /* exchanges not yet used */
size_t script_requests(const script_t *s);      /* requests received */
/* The i-th received request (0-based): its URL, body and a header (NULL when absent). */
const char *script_request_url(const script_t *s, size_t i);
const char *script_request_body(const script_t *s, size_t i);
const char *script_request_header(const script_t *s, size_t i, const char *name);

/* "Any request matches": answer every request with this response (for benchmarks and fuzzing). */
void script_answer_all(script_t *s, int status, const char *resp_headers, const char *resp_body);

#endif /* UCRM_TESTS_SCRIPT_H */
