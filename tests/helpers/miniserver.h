/*
 * miniserver.h -- a tiny HTTP/1.1 server on a loopback port, in a thread, for transport tests: keep-alive,
 * counted connections, canned answers, delays, and connections dropped mid-answer.
 */
#ifndef UCRM_TESTS_MINISERVER_H
#define UCRM_TESTS_MINISERVER_H

typedef struct miniserver miniserver_t;

typedef enum {
    MINI_OK,        /* answer with the configured status/body */
    MINI_DELAY,     /* sleep delay_ms, then answer */
    MINI_DROP       /* read the request, then close the connection without answering */
} mini_mode_t;

miniserver_t *mini_start(void);
void mini_stop(miniserver_t *m);
int mini_port(const miniserver_t *m);
/* What the next requests get. */
void mini_set(miniserver_t *m, mini_mode_t mode, int status, const char *body, int delay_ms);
int mini_connections(const miniserver_t *m);   /* accepted so far */
int mini_requests(const miniserver_t *m);      /* requests read so far */
/* The last request's raw head (request line + headers) and body. */
const char *mini_last_head(const miniserver_t *m);
const char *mini_last_body(const miniserver_t *m);

#endif
