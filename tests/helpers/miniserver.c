/* miniserver.c -- see miniserver.h. One thread, one connection at a time (enough for transport tests). */
#include "miniserver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct miniserver {
    int lfd, port, wake[2];
    pthread_t thr;
    pthread_mutex_t lock;
    mini_mode_t mode;
    int status, delay_ms;
    char body[8192];
    int conns, reqs;
    char head[8192], last_body[8192];
};

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Serves one connection until the client closes it or we are stopped. */
static void serve(miniserver_t *m, int fd) {
    char buf[65536];
    size_t have = 0;
    for (;;) {
        struct pollfd p[2] = {{fd, POLLIN, 0}, {m->wake[0], POLLIN, 0}};
        if (poll(p, 2, -1) <= 0 || p[1].revents)
            return;
        ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
        if (n <= 0)
            return;
        have += (size_t)n;
        buf[have] = '\0';
        if ((unsigned char)buf[0] < 'A' || (unsigned char)buf[0] > 'Z') {
            /* not HTTP (e.g. a TLS ClientHello): answer like a plain HTTP server would, then close */
            static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            if (write(fd, bad, sizeof bad - 1) < 0) {
            }
            return;
        }
        char *end;
        while ((end = strstr(buf, "\r\n\r\n"))) {
            size_t head_len = (size_t)(end - buf) + 4;
            size_t clen = 0;
            const char *cl = strcasestr(buf, "\r\ncontent-length:");
            if (cl && cl < end)
                clen = (size_t)strtoul(cl + 17, NULL, 10);
            if (have < head_len + clen)
                break;
            pthread_mutex_lock(&m->lock);
            m->reqs++;
            snprintf(m->head, sizeof m->head, "%.*s", (int)head_len, buf);
            snprintf(m->last_body, sizeof m->last_body, "%.*s", (int)clen, buf + head_len);
            mini_mode_t mode = m->mode;
            int status = m->status, delay = m->delay_ms;
            char body[8192];
            snprintf(body, sizeof body, "%s", m->body);
            pthread_mutex_unlock(&m->lock);
            if (mode == MINI_DROP)
                return;
            if (mode == MINI_DELAY)
                sleep_ms(delay);
            char out[9000];
            int len = snprintf(out, sizeof out,
                               "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                               "Server-Timing: app;dur=0.250\r\n\r\n%s",
                               status, strlen(body), body);
            if (write(fd, out, (size_t)len) != len)
                return;
            memmove(buf, buf + head_len + clen, have - head_len - clen);
            have -= head_len + clen;
            buf[have] = '\0';
        }
    }
}

static void *run(void *arg) {
    miniserver_t *m = arg;
    for (;;) {
        struct pollfd p[2] = {{m->lfd, POLLIN, 0}, {m->wake[0], POLLIN, 0}};
        if (poll(p, 2, -1) <= 0 || p[1].revents)
            return NULL;
        int fd = accept(m->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        pthread_mutex_lock(&m->lock);
        m->conns++;
        pthread_mutex_unlock(&m->lock);
        serve(m, fd);
        close(fd);
    }
}

miniserver_t *mini_start(void) {
    miniserver_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    pthread_mutex_init(&m->lock, NULL);
    m->mode = MINI_OK;
    m->status = 200;
    strcpy(m->body, "{}");
    m->lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(m->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(m->lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(m->lfd, 16) < 0 ||
        getsockname(m->lfd, (struct sockaddr *)&a, &al) < 0 || pipe(m->wake) < 0) {
        close(m->lfd);
        free(m);
        return NULL;
    }
    m->port = ntohs(a.sin_port);
    pthread_create(&m->thr, NULL, run, m);
    return m;
}

void mini_stop(miniserver_t *m) {
    if (!m)
        return;
    if (write(m->wake[1], "x", 1) != 1) {
        /* the thread then stays blocked; nothing better to do in a test */
    }
    pthread_join(m->thr, NULL);
    close(m->lfd);
    close(m->wake[0]);
    close(m->wake[1]);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

int mini_port(const miniserver_t *m) { return m->port; }

void mini_set(miniserver_t *m, mini_mode_t mode, int status, const char *body, int delay_ms) {
    pthread_mutex_lock(&m->lock);
    m->mode = mode;
    m->status = status;
    m->delay_ms = delay_ms;
    snprintf(m->body, sizeof m->body, "%s", body ? body : "");
    pthread_mutex_unlock(&m->lock);
}

int mini_connections(const miniserver_t *m) {
    miniserver_t *mm = (miniserver_t *)m;
    pthread_mutex_lock(&mm->lock);
    int n = mm->conns;
    pthread_mutex_unlock(&mm->lock);
    return n;
}

int mini_requests(const miniserver_t *m) {
    miniserver_t *mm = (miniserver_t *)m;
    pthread_mutex_lock(&mm->lock);
    int n = mm->reqs;
    pthread_mutex_unlock(&mm->lock);
    return n;
}

const char *mini_last_head(const miniserver_t *m) { return m->head; }
const char *mini_last_body(const miniserver_t *m) { return m->last_body; }
