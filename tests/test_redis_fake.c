/*
 * test_redis_fake.c -- several processes sharing one CRM account through Redis, against the local fake
 * (build/bin/unicrm-fake, whose /__fake/stats is the judge) and a private redis-server (tests/helpers/redissrv.h).
 * Each worker is a fork() of this program that makes its own client and threads and reports its counts through a
 * pipe.
 *
 *   hammer        4 processes x 4 threads share one HubSpot budget at the fake's 190 / rolling 10 s for 25 s:
 *                 no 429, at least 95 % of what the window allows in that time
 *   expiry        4 processes x 4 threads iterate while the fake expires every token three times: exactly one
 *                 token request per expiry, no call fails (HubSpot OAuth; Salesforce with refresh-token rotation,
 *                 where two processes refreshing at once would log each other out)
 *   outage        Redis killed mid-run and restarted (state lost): with redis.failure=closed calls fail with a
 *                 clear error while it is away, every write is either applied or reported as not applied, no 429
 *                 follows the restart, the run recovers; with degrade the calls go on within the degraded share
 *
 * Skipped (exit 77) only when the library has no Redis backend or redis-server is missing. Timing margins are
 * wide: the machine is shared. The threaded cases but the 25-second hammer are named *__threads_* (the TSan run
 * selects them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers/clock_test.h"
#include <cjson/cJSON.h>

#include "helpers/fake.h"
#include "helpers/redissrv.h"
#include <unicrm/unicrm.h>



/* ---------------------------------------------------------------------------------------------- workers */

enum { OP_GET, OP_LIST, OP_CREATE };

/* What one worker process does: `threads` threads calling `op` until `until_ms` (monotonic, shared by all). */
typedef struct wspec {
    const char *fake_url, *redis_url, *kind, *key, *id;
    const char *const *extra; /* more configuration, key/value pairs */
    int threads, op;
    int64_t until_ms;          /* no call runs past it (INT64_MAX: until the parent says stop) */
} wspec_t;

/* Shared by the parent and its workers (an anonymous shared mapping made before the first fork). */
typedef struct ctl {
    int stop;                  /* the parent says: stop */
    int64_t late_ms;           /* calls that succeed after then count as "late" (the run recovered) */
} ctl_t;
static ctl_t *g_ctl;

static bool stopped(const wspec_t *s) {
    return now_ms() >= s->until_ms || __atomic_load_n(&g_ctl->stop, __ATOMIC_ACQUIRE);
}

/* A new run: nothing late yet, not stopped. */
static void ctl_reset(void) {
    __atomic_store_n(&g_ctl->late_ms, INT64_MAX, __ATOMIC_RELEASE);
    __atomic_store_n(&g_ctl->stop, 0, __ATOMIC_RELEASE);
}

/* What it reports (fixed size: written through a pipe). */
typedef struct wres {
    long ok, failed, deferred, late_ok;
    long transport, not_applied, unknown, redis_named; /* failed calls: code, write state, message */
    long token_cbs, warn_down, warn_up;
    long fallback_acquired;
    int setup_failed;
    char last_error[200];
} wres_t;

typedef struct wctx {
    const wspec_t *spec;
    ucrm_client_t *c;
    pthread_mutex_t lock;
    wres_t res;
    int index;
} wctx_t;

static void on_log(int level, const char *facility, const char *msg, void *opaque) {
    wctx_t *w = opaque;
    if (level > UCRM_LOG_WARNING)
        return;
    pthread_mutex_lock(&w->lock);
    if (strstr(msg, "is unreachable") && strcmp(facility, "ratelimit") == 0)
        w->res.warn_down++;
    if (strstr(msg, "answers again") && strcmp(facility, "ratelimit") == 0)
        w->res.warn_up++;
    pthread_mutex_unlock(&w->lock);
}

static int on_token(const char *at, const char *rt, int64_t exp, const char *url, void *opaque) {
    (void)at, (void)rt, (void)exp, (void)url;
    wctx_t *w = opaque;
    pthread_mutex_lock(&w->lock);
    w->res.token_cbs++;
    pthread_mutex_unlock(&w->lock);
    return 0;
}

static bool wconf(ucrm_conf_t *c, const char *k, const char *v) {
    ucrm_error_t *e = NULL;
    if (ucrm_conf_set(c, k, v, &e) == UCRM_OK)
        return true;
    dprintf(2, "worker: conf %s: %s\n", k, ucrm_error_message(e));
    ucrm_error_destroy(e);
    return false;
}

static ucrm_client_t *worker_client(wctx_t *w) {
    const wspec_t *s = w->spec;
    bool sf = strcmp(s->kind, "sf") == 0;
    ucrm_conf_t *c = ucrm_conf_new();
    bool ok = wconf(c, "provider", sf ? "salesforce" : "hubspot") && (sf || wconf(c, "api.url", s->fake_url)) &&
              wconf(c, "auth.token.url", s->fake_url) && wconf(c, "ratelimit.key", s->key) &&
              wconf(c, "redis.url", s->redis_url) && wconf(c, "retry.backoff.ms", "20") &&
              wconf(c, "redis.timeout.ms", "500");
    if (ok && strcmp(s->kind, "pat") == 0)
        ok = wconf(c, "auth.access.token", "pat-test");
    else if (ok)
        ok = wconf(c, "auth.refresh.token", "test-refresh") && wconf(c, "auth.client.id", "test-client") &&
             wconf(c, "auth.client.secret", "test-secret");
    for (size_t i = 0; ok && s->extra && s->extra[i]; i += 2)
        ok = wconf(c, s->extra[i], s->extra[i + 1]);
    ucrm_conf_set_log_cb(c, on_log, w);
    ucrm_conf_set_token_cb(c, on_token, w);
    ucrm_client_t *cl = NULL;
    ucrm_error_t *e = NULL;
    if (ok && ucrm_client_new(&cl, c, &e) != UCRM_OK) {
        dprintf(2, "worker: client: %s\n", ucrm_error_message(e));
        ucrm_error_destroy(e);
    }
    ucrm_conf_destroy(c);
    return cl;
}

static ucrm_err_t one_call(wctx_t *w, int thread, long n, ucrm_error_t **e) {
    const wspec_t *s = w->spec;
    ucrm_reqopts_t *o = NULL;
    ucrm_reqopts_new(&o);
    int64_t left = s->until_ms - now_ms();
    if (s->until_ms != INT64_MAX) /* no call runs past the end */
        ucrm_reqopts_set_timeout_ms(o, left > 1 ? left : 1);
    ucrm_err_t rc;
    if (s->op == OP_GET) {
        ucrm_record_t *r = NULL;
        rc = ucrm_get(w->c, UCRM_OBJECT_CONTACT, s->id, o, &r, e);
        ucrm_record_destroy(r);
    } else if (s->op == OP_CREATE) {
        ucrm_record_t *r = NULL;
        char email[96];
        snprintf(email, sizeof email, "w%d-%d-%ld@example.com", (int)getpid(), thread, n);
        ucrm_record_new(&r, UCRM_OBJECT_CONTACT);
        ucrm_record_set_string(r, "email", email);
        rc = ucrm_create(w->c, r, o, e);
        ucrm_record_destroy(r);
    } else {
        ucrm_reqopts_set_page_size(o, 10);
        ucrm_iter_t *it = NULL;
        ucrm_record_t *r = NULL;
        rc = ucrm_list(w->c, UCRM_OBJECT_CONTACT, o, &it, e);
        while (rc == UCRM_OK && (rc = ucrm_iter_next(it, &r, e)) == UCRM_OK)
            ucrm_record_destroy(r);
        ucrm_iter_destroy(it);
        if (rc == UCRM_ITEROVER)
            rc = UCRM_OK;
    }
    ucrm_reqopts_destroy(o);
    return rc;
}

typedef struct tharg {
    wctx_t *w;
    int thread;
} tharg_t;

static void *worker_thread(void *p) {
    tharg_t *a = p;
    wctx_t *w = a->w;
    const wspec_t *s = w->spec;
    for (long n = 0; !stopped(s); n++) {
        ucrm_error_t *e = NULL;
        ucrm_err_t rc = one_call(w, a->thread, n, &e);
        int64_t t = now_ms();
        pthread_mutex_lock(&w->lock);
        if (rc == UCRM_OK) {
            w->res.ok++;
            w->res.late_ok += t >= __atomic_load_n(&g_ctl->late_ms, __ATOMIC_ACQUIRE);
        } else if ((rc == UCRM_ERR_RATE_LIMITED || rc == UCRM_ERR_TIMEOUT) &&
                   t + ucrm_error_retry_after_ms(e) >= s->until_ms - 50) {
            w->res.deferred++; /* the next slot comes after the end of the run */
        } else {
            w->res.failed++;
            w->res.transport += rc == UCRM_ERR_TRANSPORT;
            w->res.not_applied += ucrm_error_write_state(e) == UCRM_WRITE_NOT_APPLIED;
            w->res.unknown += ucrm_error_write_state(e) == UCRM_WRITE_UNKNOWN;
            w->res.redis_named += strstr(ucrm_error_message(e), "Redis") != NULL;
            snprintf(w->res.last_error, sizeof w->res.last_error, "%s: %s", ucrm_err_name(rc), ucrm_error_message(e));
        }
        pthread_mutex_unlock(&w->lock);
        if (rc == UCRM_ERR_RATE_LIMITED && t + ucrm_error_retry_after_ms(e) >= s->until_ms - 50)
            msleep(s->until_ms - now_ms()); /* a client would come back after the end */
        else if (rc != UCRM_OK)
            msleep(10); /* as an application would, before trying again */
        ucrm_error_destroy(e);
    }
    return NULL;
}

/* The worker process: runs and writes its wres_t to fd. */
static void worker_main(const wspec_t *s, int fd) {
    wctx_t w;
    memset(&w, 0, sizeof w);
    w.spec = s;
    pthread_mutex_init(&w.lock, NULL);
    if (!(w.c = worker_client(&w))) {
        w.res.setup_failed = 1;
    } else {
        pthread_t th[16];
        tharg_t args[16];
        for (int i = 0; i < s->threads && i < 16; i++) {
            args[i] = (tharg_t){&w, i};
            pthread_create(&th[i], NULL, worker_thread, &args[i]);
        }
        for (int i = 0; i < s->threads && i < 16; i++)
            pthread_join(th[i], NULL);
        char *js = NULL;
        if (ucrm_client_stats_json(w.c, &js, NULL) == UCRM_OK) {
            cJSON *j = cJSON_Parse(js);
            const cJSON *v = cJSON_GetObjectItem(
                cJSON_GetObjectItem(cJSON_GetObjectItem(j, "ratelimit"), "shared"), "fallback_acquired");
            w.res.fallback_acquired = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
            cJSON_Delete(j);
            ucrm_free(js);
        }
        ucrm_client_destroy(w.c);
    }
    ssize_t n = write(fd, &w.res, sizeof w.res);
    (void)n;
    close(fd);
    pthread_mutex_destroy(&w.lock);
}

typedef struct pool {
    pid_t pid[8];
    int fd[8];
    int n;
} pool_t;

static void spawn(pool_t *p, const wspec_t *s) {
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        worker_main(s, pfd[1]);
        _exit(0);
    }
    close(pfd[1]);
    p->pid[p->n] = pid;
    p->fd[p->n++] = pfd[0];
}

/* Collects every worker's report; sums into *sum, keeps each in each[] (when given). */
static void collect(pool_t *p, wres_t *sum, wres_t *each) {
    memset(sum, 0, sizeof *sum);
    for (int i = 0; i < p->n; i++) {
        wres_t r;
        memset(&r, 0, sizeof r);
        ssize_t got = 0;
        while (got < (ssize_t)sizeof r) {
            ssize_t k = read(p->fd[i], (char *)&r + got, sizeof r - (size_t)got);
            if (k <= 0)
                break;
            got += k;
        }
        close(p->fd[i]);
        int st = -1;
        waitpid(p->pid[i], &st, 0);
        if (got != (ssize_t)sizeof r || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fail_msg("worker %d died (status %d)", i, st);
        if (r.setup_failed)
            fail_msg("worker %d could not make its client", i);
        if (r.failed)
            print_message("worker %d: %ld failed calls, last: %s\n", i, r.failed, r.last_error);
        if (each)
            each[i] = r;
        sum->ok += r.ok;
        sum->failed += r.failed;
        sum->deferred += r.deferred;
        sum->late_ok += r.late_ok;
        sum->transport += r.transport;
        sum->not_applied += r.not_applied;
        sum->unknown += r.unknown;
        sum->redis_named += r.redis_named;
        sum->token_cbs += r.token_cbs;
        sum->warn_down += r.warn_down;
        sum->warn_up += r.warn_up;
        sum->fallback_acquired += r.fallback_acquired;
    }
    p->n = 0;
}

/* The servers of the running test, stopped by teardown() whatever happened. */
static ucrm_fake_t *g_fake;
static redis_srv_t *g_redis;

static ucrm_fake_t *start_fake(const char *const *args) {
    ucrm_fake_t *f = fake_startv(args);
    if (!f)
        fail_msg("the fake did not start");
    g_fake = f;
    return f;
}

static redis_srv_t *start_redis(void) {
    redis_srv_t *r = redis_srv_start(NULL);
    if (!r)
        fail_msg("redis-server did not start");
    g_redis = r;
    return r;
}

/* Stops both; the fake must exit cleanly (under valgrind or ASan, a leak or an error in it fails the test). */
static void stop_servers(void) {
    redis_srv_stop(g_redis);
    g_redis = NULL;
    ucrm_fake_t *f = g_fake;
    g_fake = NULL;
    if (f)
        assert_int_equal(fake_stop(f), 0);
}

static int teardown(void **state) {
    (void)state;
    redis_srv_stop(g_redis);
    g_redis = NULL;
    if (g_fake)
        fake_stop(g_fake);
    g_fake = NULL;
    return 0;
}

static char *first_id(const ucrm_fake_t *f) {
    long st = 0;
    char *body = fake_request(f, "GET", "/__fake/records/hubspot/contacts", NULL, &st);
    assert_int_equal(st, 200);
    cJSON *j = cJSON_Parse(body);
    free(body);
    const cJSON *id = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "records"), 0), "id");
    assert_true(cJSON_IsString(id));
    char *out = strdup(id->valuestring);
    cJSON_Delete(j);
    return out;
}

/* ---------------------------------------------------------------------------------------------- hammer */

static void test_redis_fake__hammer_4x4_190_per_10s(void **state) {
    (void)state;
    const char *fargs[] = {"--seed", "3", "--hubspot-rate", "190/10000", "--threads", "4", NULL};
    ucrm_fake_t *f = start_fake(fargs);
    redis_srv_t *r = start_redis();
    char *id = first_id(f);
    enum { P = 4, T = 4, SECONDS = 25 };
    const char *extra[] = {"ratelimit.backend", "redis", "ratelimit.reserve.high.percent", "0", NULL};
    int64_t t0 = now_ms();
    wspec_t s = {fake_url(f), redis_srv_url(r), "pat", "hammer", id, extra, T, OP_GET, t0 + SECONDS * 1000};
    ctl_reset();
    pool_t p = {{0}, {0}, 0};
    for (int i = 0; i < P; i++)
        spawn(&p, &s);
    wres_t sum;
    collect(&p, &sum, NULL);
    double secs = (double)(now_ms() - t0) / 1000.0;
    long requests = fake_stat(f, "hubspot.requests"), r429 = fake_stat(f, "hubspot.429");
    long allowed = 190 * ((SECONDS + 9) / 10); /* 190 at 0 s, 10 s and 20 s */
    print_message("hammer: %d processes x %d threads, %ld requests in %.1f s, %ld 429s, %ld ok, %ld failed, %ld "
                  "deferred past the end: %.1f%% of the %ld the window allows\n",
                  P, T, requests, secs, r429, sum.ok, sum.failed, sum.deferred,
                  100.0 * (double)requests / (double)allowed, allowed);
    assert_int_equal(r429, 0);
    assert_int_equal(sum.failed, 0);
    assert_int_equal(sum.ok, requests);
    assert_true((double)requests >= 0.95 * (double)allowed);
    assert_true(secs < SECONDS + 3);
    free(id);
    stop_servers();
}

/* ---------------------------------------------------------------------------------------------- expiry */

/* Waits until the fake's counter `stat` reaches at least `target` (60 s at most: valgrind is slow). */
static void wait_stat(const ucrm_fake_t *f, const char *stat, long target) {
    int64_t until = now_ms() + 60000;
    while (fake_stat(f, stat) < target) {
        if (now_ms() > until)
            fail_msg("%s stayed below %ld", stat, target);
        msleep(20);
    }
}

/* The workers iterate until told to stop; each expiry comes once every thread has had time to use the token of
 * the one before (their calls counted by the fake), so that slow runs (valgrind) test the same thing. */
static void expiry_run(const char *kind, const char *provider, const char *const *fargs) {
    ucrm_fake_t *f = start_fake(fargs);
    redis_srv_t *r = start_redis();
    enum { P = 4, T = 4, EXPIRIES = 3 };
    const char *extra[] = {"token.store", "redis", "ratelimit.backend", "redis", "ratelimit.requests", "100000",
                           "ratelimit.interval.ms", "1000", NULL};
    char token_stat[64], req_stat[64];
    snprintf(token_stat, sizeof token_stat, "token_requests.%s", provider);
    snprintf(req_stat, sizeof req_stat, "%s.requests", provider);
    wspec_t s = {fake_url(f), redis_srv_url(r), kind, provider, NULL, extra, T, OP_LIST, INT64_MAX};
    ctl_reset();
    pool_t p = {{0}, {0}, 0};
    for (int i = 0; i < P; i++)
        spawn(&p, &s);
    wait_stat(f, req_stat, 4 * P * T);
    for (int k = 0; k < EXPIRIES; k++) {
        msleep(300);
        /* the fake's clock jumps past the token lifetime: every token the processes hold is expired */
        assert_int_equal(fake_clock_advance(f, 3LL * 3600 * 1000), 0);
        wait_stat(f, token_stat, 2 + k);
        wait_stat(f, req_stat, fake_stat(f, req_stat) + 4 * P * T);
    }
    msleep(300);
    __atomic_store_n(&g_ctl->stop, 1, __ATOMIC_RELEASE); /* the end */
    wres_t sum;
    collect(&p, &sum, NULL);
    long tokens = fake_stat(f, token_stat);
    print_message("%s expiry: %d processes x %d threads, %ld calls (%ld failed), %ld token requests for %d "
                  "expiries, %ld token callbacks\n",
                  kind, P, T, sum.ok, sum.failed, tokens, EXPIRIES, sum.token_cbs);
    assert_int_equal(sum.failed, 0);
    assert_int_equal(tokens, 1 + EXPIRIES); /* the first token, then exactly one refresh per expiry */
    assert_int_equal(sum.token_cbs, 1 + EXPIRIES); /* where the refresh happened, and only there */
    stop_servers();
}

static void test_redis_fake__threads_token_expiry_4_processes_hubspot(void **state) {
    (void)state;
    const char *fargs[] = {"--seed", "40", "--hubspot-rate", "100000/1000", NULL};
    expiry_run("oauth", "hubspot", fargs);
}

static void test_redis_fake__threads_token_expiry_4_processes_salesforce_rotation(void **state) {
    (void)state;
    /* every refresh returns a new refresh token and invalidates the old one */
    const char *fargs[] = {"--seed", "40", "--token-ttl", "7200", "--salesforce-rotate-refresh", NULL};
    expiry_run("sf", "salesforce", fargs);
}

/* ---------------------------------------------------------------------------------------------- outage */

/* 2 processes x 2 threads create contacts on a budget of 40 per 2 s; once they are under way Redis is killed
 * (its data lost) and restarted 3.5 s later: with redis.failure=degrade the fallback waits out one window (what the
 * other process sent is unknown) and then runs on its share for the rest of the outage. The run goes on until
 * every worker had time to reconnect (on its backoff: at most 3.2 s later here) and use a couple of windows. */
static void outage_run(const char *failure, wres_t *sum, wres_t each[2], long *records, long *r429) {
    const char *fargs[] = {"--seed", "0", "--hubspot-rate", "40/2000", NULL};
    ucrm_fake_t *f = start_fake(fargs);
    redis_srv_t *r = start_redis();
    enum { P = 2, T = 2 };
    const char *extra[] = {"ratelimit.backend", "redis", "ratelimit.requests", "40", "ratelimit.interval.ms", "2000",
                           "ratelimit.reserve.high.percent", "0", "redis.failure", failure,
                           "redis.degrade.percent", "40", NULL};
    wspec_t s = {fake_url(f), redis_srv_url(r), "pat", "outage", NULL, extra, T, OP_CREATE, INT64_MAX};
    ctl_reset();
    pool_t p = {{0}, {0}, 0};
    for (int i = 0; i < P; i++)
        spawn(&p, &s);
    wait_stat(f, "hubspot.requests", 30);
    msleep(500);
    redis_srv_kill(r);
    msleep(3500);
    assert_int_equal(redis_srv_restart(r), 0);
    __atomic_store_n(&g_ctl->late_ms, now_ms(), __ATOMIC_RELEASE);
    msleep(5000);
    __atomic_store_n(&g_ctl->stop, 1, __ATOMIC_RELEASE);
    collect(&p, sum, each);
    long st = 0;
    char *body = fake_request(f, "GET", "/__fake/records/hubspot/contacts", NULL, &st);
    assert_int_equal(st, 200);
    cJSON *j = cJSON_Parse(body);
    free(body);
    *records = (long)cJSON_GetObjectItem(j, "total")->valuedouble;
    cJSON_Delete(j);
    *r429 = fake_stat(f, "hubspot.429");
    print_message("outage (%s): %ld created, %ld failed (%ld transport, %ld naming Redis, %ld not applied, %ld "
                  "unknown), %ld after the restart, %ld through the fallback; the fake has %ld records, %ld 429s\n",
                  failure, sum->ok, sum->failed, sum->transport, sum->redis_named, sum->not_applied, sum->unknown,
                  sum->late_ok, sum->fallback_acquired, *records, *r429);
    stop_servers();
}

static void test_redis_fake__threads_outage_fail_closed(void **state) {
    (void)state;
    wres_t sum, each[2];
    long records = 0, r429 = 0;
    outage_run("closed", &sum, each, &records, &r429);
    assert_true(sum.failed > 0);                    /* calls failed while Redis was away... */
    assert_int_equal(sum.transport, sum.failed);    /* ...with a transport error */
    assert_int_equal(sum.redis_named, sum.failed);  /* ...saying that Redis is unreachable */
    assert_int_equal(sum.not_applied, sum.failed);  /* ...and that the write did not happen */
    assert_int_equal(sum.unknown, 0);
    assert_int_equal(records, sum.ok);              /* nothing lost, nothing unaccounted for */
    assert_int_equal(r429, 0);                      /* the restarted (empty) Redis got the usage back */
    for (int i = 0; i < 2; i++) {
        assert_true(each[i].late_ok > 0);           /* the run recovered */
        assert_int_equal(each[i].warn_down, 1);     /* said once each way */
        assert_int_equal(each[i].warn_up, 1);
    }
}

static void test_redis_fake__threads_outage_degrade(void **state) {
    (void)state;
    wres_t sum, each[2];
    long records = 0, r429 = 0;
    outage_run("degrade", &sum, each, &records, &r429);
    assert_int_equal(sum.failed, 0);                /* the calls went on */
    assert_true(sum.fallback_acquired > 0);         /* through the in-process fallback */
    assert_int_equal(records, sum.ok);
    assert_int_equal(r429, 0);                      /* a window's wait, then 2 x 40 % of the budget */
    for (int i = 0; i < 2; i++) {
        assert_true(each[i].late_ok > 0);
        assert_int_equal(each[i].warn_down, 1);
        assert_int_equal(each[i].warn_up, 1);
    }
}

int main(void) {
    const char *why = NULL;
    if (!redis_srv_available(&why)) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    if (getenv("UCRM_TEST_FILTER"))
        cmocka_set_test_filter(getenv("UCRM_TEST_FILTER"));
    g_ctl = mmap(NULL, sizeof *g_ctl, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (g_ctl == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_redis_fake__threads_token_expiry_4_processes_hubspot, teardown),
        cmocka_unit_test_teardown(test_redis_fake__threads_token_expiry_4_processes_salesforce_rotation, teardown),
        cmocka_unit_test_teardown(test_redis_fake__threads_outage_fail_closed, teardown),
        cmocka_unit_test_teardown(test_redis_fake__threads_outage_degrade, teardown),
        cmocka_unit_test_teardown(test_redis_fake__hammer_4x4_190_per_10s, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
