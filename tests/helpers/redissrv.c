/*
 * redissrv.c -- a private redis-server for tests (API in redissrv.h).
 */
#include "redissrv.h"

#include <unicrm/unicrm.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct redis_srv {
    pid_t pid;
    int port;
    char url[64];
    char dir[64];
    char *extra[64];
    int nextra;
};

static const char *server_bin(void) {
    const char *b = getenv("UCRM_REDIS_SERVER");
    return b && *b ? b : "redis-server";
}

bool redis_srv_available(const char **why) {
    if (!(ucrm_features() & UCRM_FEATURE_REDIS)) {
        *why = "this build has no Redis backend (hiredis was not found at build time: apt-get install libhiredis-dev)";
        return false;
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd, "%s --version >/dev/null 2>&1", server_bin());
    if (system(cmd) != 0) {
        *why = "redis-server is not installed (apt-get install redis-server)";
        return false;
    }
    return true;
}

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    return a;
}

/* A port for a server that is restarted on it (redis_srv_restart) and that test programs running side by side
 * (UCRM_TEST_JOBS) must not take from one another: picked at random below the kernel's ephemeral range, which
 * every port-0 bind and outgoing connection draws from, so a killed server's port is not handed to someone else
 * before it comes back. Bound once to see that it is free. */
static int free_port(void) {
    static unsigned seed;
    if (!seed)
        seed = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL);
    for (int attempt = 0; attempt < 50; attempt++) {
        seed = seed * 1103515245u + 12345u;
        int port = 20000 + (int)((seed >> 8) % 12000u); /* 20000..31999: below 32768, Linux's default start */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return -1;
        struct sockaddr_in a = loopback(port);
        int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok)
            return port;
    }
    return -1;
}

static int dial(int port, int timeout_ms) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = loopback(port);
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads one CRLF-terminated line (without it) into a malloc'd string. */
static char *read_line(int fd) {
    size_t cap = 64, n = 0;
    char *b = malloc(cap);
    for (;;) {
        char c;
        ssize_t k = recv(fd, &c, 1, 0);
        if (k <= 0) {
            free(b);
            return NULL;
        }
        if (n + 2 > cap)
            b = realloc(b, cap *= 2);
        b[n++] = c;
        if (n >= 2 && b[n - 2] == '\r' && b[n - 1] == '\n') {
            b[n - 2] = '\0';
            return b;
        }
    }
}

static void append(char **out, size_t *len, const char *s, size_t n) {
    *out = realloc(*out, *len + n + 2);
    memcpy(*out + *len, s, n);
    *len += n;
    (*out)[*len] = '\0';
}

/* Reads one RESP value, appending its text to out. false on a transport failure. */
static bool read_value(int fd, char **out, size_t *len) {
    char *line = read_line(fd);
    if (!line)
        return false;
    bool ok = true;
    if (line[0] == '$' || line[0] == '*') {
        long n = atol(line + 1);
        if (n < 0) {
            append(out, len, "(nil)", 5);
        } else if (line[0] == '$') {
            char *buf = malloc((size_t)n + 2);
            size_t got = 0;
            while (ok && got < (size_t)n + 2) {
                ssize_t k = recv(fd, buf + got, (size_t)n + 2 - got, 0);
                ok = k > 0;
                got += ok ? (size_t)k : 0;
            }
            if (ok)
                append(out, len, buf, (size_t)n);
            free(buf);
        } else {
            for (long i = 0; ok && i < n; i++) {
                if (i)
                    append(out, len, "\n", 1);
                ok = read_value(fd, out, len);
            }
        }
    } else {
        append(out, len, line[0] == '-' ? line : line + 1, strlen(line[0] == '-' ? line : line + 1));
    }
    free(line);
    return ok;
}

static char *vcmd(int port, const char *arg, va_list ap) {
    const char *argv[64];
    int argc = 0;
    for (const char *a = arg; a && argc < 64; a = va_arg(ap, const char *))
        argv[argc++] = a;
    int fd = dial(port, 3000);
    if (fd < 0)
        return NULL;
    size_t cap = 64, len = 0;
    char *req = malloc(cap);
    len = (size_t)snprintf(req, cap, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        size_t need = len + strlen(argv[i]) + 32;
        if (need > cap)
            req = realloc(req, cap = need * 2);
        len += (size_t)snprintf(req + len, cap - len, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    }
    char *out = NULL;
    size_t olen = 0;
    bool ok = send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len && read_value(fd, &out, &olen);
    free(req);
    close(fd);
    if (!ok) {
        free(out);
        return NULL;
    }
    if (!out)
        out = strdup("");
    return out;
}

char *redis_srv_cmd(const redis_srv_t *s, const char *arg, ...) {
    va_list ap;
    va_start(ap, arg);
    char *r = vcmd(s->port, arg, ap);
    va_end(ap);
    return r;
}

long long redis_srv_int(const redis_srv_t *s, const char *arg, ...) {
    va_list ap;
    va_start(ap, arg);
    char *r = vcmd(s->port, arg, ap);
    va_end(ap);
    long long v = -1;
    if (r && *r && *r != '-' && *r != '(')
        v = atoll(r);
    free(r);
    return v;
}

static int spawn(redis_srv_t *s) {
    char port[16], log[96];
    snprintf(port, sizeof port, "%d", s->port);
    snprintf(log, sizeof log, "%s/redis.log", s->dir);
    const char *argv[96] = {server_bin(), "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                            "--daemonize", "no", "--dir", s->dir, "--logfile", log};
    int n = 15;
    for (int i = 0; i < s->nextra && n < 95; i++)
        argv[n++] = s->extra[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR); /* never the test's output: a pipe reading it would wait for us */
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    s->pid = pid;
    for (int i = 0; i < 500; i++) { /* up to 5 s */
        char *pong = redis_srv_cmd(s, "PING", NULL);
        bool up = pong && (strcmp(pong, "PONG") == 0 || strncmp(pong, "-NOAUTH", 7) == 0);
        free(pong);
        if (up)
            return 0;
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            s->pid = 0;
            return -1;
        }
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return -1;
}

redis_srv_t *redis_srv_start(const char *const *extra) {
    redis_srv_t *s = calloc(1, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/ucrm-redis-XXXXXX");
    if (!mkdtemp(s->dir)) {
        fprintf(stderr, "redis_srv_start: mkdtemp: %s\n", strerror(errno));
        free(s);
        return NULL;
    }
    for (int i = 0; extra && extra[i] && s->nextra < 64; i++)
        s->extra[s->nextra++] = strdup(extra[i]);
    for (int attempt = 0; attempt < 5; attempt++) {
        s->port = free_port();
        snprintf(s->url, sizeof s->url, "redis://127.0.0.1:%d", s->port);
        if (s->port > 0 && spawn(s) == 0)
            return s;
    }
    fprintf(stderr, "redis_srv_start: %s did not start (see %s/redis.log)\n", server_bin(), s->dir);
    redis_srv_stop(s);
    return NULL;
}

int redis_srv_port(const redis_srv_t *s) { return s->port; }
int redis_srv_pid(const redis_srv_t *s) { return (int)s->pid; }
const char *redis_srv_url(const redis_srv_t *s) { return s->url; }

static void reap(redis_srv_t *s, int sig) {
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGCONT);
    kill(s->pid, sig);
    int st;
    while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR) {
    }
    s->pid = 0;
}

void redis_srv_kill(redis_srv_t *s) { reap(s, SIGKILL); }

int redis_srv_restart(redis_srv_t *s) {
    reap(s, SIGKILL);
    for (int i = 0; i < 100; i++) { /* the port may linger a moment */
        if (spawn(s) == 0)
            return 0;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return -1;
}

void redis_srv_pause(redis_srv_t *s) {
    if (s->pid > 0)
        kill(s->pid, SIGSTOP);
}

void redis_srv_resume(redis_srv_t *s) {
    if (s->pid > 0)
        kill(s->pid, SIGCONT);
}

void redis_srv_stop(redis_srv_t *s) {
    if (!s)
        return;
    reap(s, SIGTERM);
    char path[128];
    snprintf(path, sizeof path, "%s/redis.log", s->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/dump.rdb", s->dir);
    unlink(path);
    rmdir(s->dir);
    for (int i = 0; i < s->nextra; i++)
        free(s->extra[i]);
    free(s);
}
