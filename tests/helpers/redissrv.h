/*
 * redissrv.h -- a private redis-server for tests: started on a free loopback port in a temporary directory, no
 * persistence, never a system service. Plain sockets (no hiredis), so every test binary can link it.
 *
 *   const char *why;
 *   if (!redis_srv_available(&why)) { printf("SKIP: %s\n", why); return 77; }
 *   redis_srv_t *r = redis_srv_start(NULL);      // extra redis-server arguments, NULL-terminated, or NULL
 *   conf_set(c, "redis.url", redis_srv_url(r));  // "redis://127.0.0.1:PORT"
 *   redis_srv_kill(r); redis_srv_restart(r);      // an outage: the same port afterwards
 *   redis_srv_stop(r);
 */
#ifndef UCRM_TESTS_REDISSRV_H
#define UCRM_TESTS_REDISSRV_H

#include <stdbool.h>

typedef struct redis_srv redis_srv_t;

/* The Redis backend is built in (ucrm_features()) and redis-server can be run; else *why says what is missing. */
bool redis_srv_available(const char **why);

/* Starts redis-server (arguments after the defaults, at most 64; NULL-terminated array or NULL); NULL (after
 * printing why) when it cannot start. */
redis_srv_t *redis_srv_start(const char *const *extra);
int redis_srv_port(const redis_srv_t *s);
int redis_srv_pid(const redis_srv_t *s); /* the server's process (0 while it is not running) */
const char *redis_srv_url(const redis_srv_t *s);
/* Stops it (SIGTERM), removes the directory, frees s. */
void redis_srv_stop(redis_srv_t *s);
/* SIGKILL and wait: the server is gone (its data too); s stays valid for redis_srv_restart. */
void redis_srv_kill(redis_srv_t *s);
/* Starts it again on the same port with the same arguments; 0 when it answers. */
int redis_srv_restart(redis_srv_t *s);
/* SIGSTOP / SIGCONT: a server that stops answering without closing its connections. */
void redis_srv_pause(redis_srv_t *s);
void redis_srv_resume(redis_srv_t *s);

/* Runs one command (arguments NULL-terminated, sent as a RESP array) and returns its answer as text (malloc'd,
 * free()): a status or error line ("-ERR ..." keeps its dash), an integer, a bulk string, or an array's elements
 * one per line; "(nil)" for a nil. NULL when the server does not answer. */
char *redis_srv_cmd(const redis_srv_t *s, const char *arg, ...);
/* The integer answer of a command, or -1. */
long long redis_srv_int(const redis_srv_t *s, const char *arg, ...);

#endif /* UCRM_TESTS_REDISSRV_H */
