/*
 * fake.c -- start, drive and stop build/bin/unicrm-fake from tests (API in fake.h).
 *
 * The fake is started with fork/exec and "--port 0"; its first stdout line ("listening on URL") gives the URL.
 * UCRM_FAKE_BIN names the binary (the Makefile sets it). UCRM_FAKE_WRAPPER, when set, is a space-separated
 * command put in front of it (e.g. "valgrind --leak-check=full --error-exitcode=99").
 */
#include "fake.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct ucrm_fake {
    pid_t pid;
    int port;
    char url[96];
};

static void fake_curl_init(void)
{
    static int done;
    if (!done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        done = 1;
    }
}

static const char *fake_bin(void)
{
    const char *b = getenv("UCRM_FAKE_BIN");
    return b && *b ? b : "build/bin/unicrm-fake";
}

/* Reads one line from fd within timeout_ms. */
static int read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t n = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (n + 1 < cap) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = timeout_ms - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0)
            return -1;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        ssize_t k = read(fd, buf + n, 1);
        if (k <= 0)
            return -1;
        if (buf[n] == '\n') {
            buf[n] = '\0';
            return 0;
        }
        n++;
    }
    return -1;
}

ucrm_fake_t *fake_startv(const char *const *args)
{
    fake_curl_init();
    const char *argv[160];
    int n = 0;
    char *wrapper = getenv("UCRM_FAKE_WRAPPER") ? strdup(getenv("UCRM_FAKE_WRAPPER")) : NULL;
    if (wrapper) {
        char *save = NULL;
        for (char *t = strtok_r(wrapper, " ", &save); t && n < 32; t = strtok_r(NULL, " ", &save))
            argv[n++] = t;
    }
    argv[n++] = fake_bin();
    argv[n++] = "--port";
    argv[n++] = "0";
    for (int i = 0; args && args[i] && n < 158; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int pfd[2];
    if (pipe(pfd) != 0) {
        free(wrapper);
        return NULL;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        free(wrapper);
        return NULL;
    }
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "fake_start: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    free(wrapper);
    char line[256];
    int wait_ms = getenv("UCRM_FAKE_WRAPPER") ? 60000 : 10000;
    int ok = read_line(pfd[0], line, sizeof line, wait_ms) == 0;
    close(pfd[0]);
    ucrm_fake_t *f = calloc(1, sizeof *f);
    const char *u = ok ? strstr(line, "http") : NULL;
    const char *colon = u ? strrchr(u, ':') : NULL;
    if (!f || !u || !colon || strncmp(line, "listening on ", 13) != 0) {
        fprintf(stderr, "fake_start: %s did not report its address (got \"%s\")\n", fake_bin(), ok ? line : "");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        free(f);
        return NULL;
    }
    f->pid = pid;
    f->port = atoi(colon + 1);
    snprintf(f->url, sizeof f->url, "%s", u);
    return f;
}

ucrm_fake_t *fake_start(const char *arg, ...)
{
    const char *args[128];
    int n = 0;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && n < 127; a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    return fake_startv(args);
}

const char *fake_url(const ucrm_fake_t *f)
{
    return f ? f->url : "";
}

int fake_port(const ucrm_fake_t *f)
{
    return f ? f->port : -1;
}

int fake_stop(ucrm_fake_t *f)
{
    if (!f)
        return -1;
    int status = 0, rc = -1;
    kill(f->pid, SIGTERM);
    int limit_ms = getenv("UCRM_FAKE_WRAPPER") ? 60000 : 15000;
    for (int waited = 0; waited < limit_ms; waited += 10) {
        pid_t r = waitpid(f->pid, &status, WNOHANG);
        if (r == f->pid) {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            break;
        }
        usleep(10000);
    }
    if (rc == -1 && waitpid(f->pid, &status, WNOHANG) == 0) {
        fprintf(stderr, "fake_stop: the fake did not exit after SIGTERM; killing it\n");
        kill(f->pid, SIGKILL);
        waitpid(f->pid, NULL, 0);
    }
    free(f);
    return rc;
}

/* ------------------------------------------------------------------------------------------------ HTTP */
typedef struct {
    char *p;
    size_t n;
} buf_t;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    buf_t *b = ud;
    size_t k = size * nmemb;
    char *q = realloc(b->p, b->n + k + 1);
    if (!q)
        return 0;
    b->p = q;
    memcpy(b->p + b->n, ptr, k);
    b->n += k;
    b->p[b->n] = '\0';
    return k;
}

char *fake_request_full(const ucrm_fake_t *f, const char *method, const char *path, const char *const *headers,
                        const char *body, size_t body_len, long timeout_ms, long *status, char **resp_headers)
{
    fake_curl_init();
    *status = 0;
    if (resp_headers)
        *resp_headers = NULL;
    CURL *c = curl_easy_init();
    if (!c || !f)
        return NULL;
    buf_t b = {0}, h = {0};
    char url[8192];
    snprintf(url, sizeof url, "%s%s", f->url, path);
    struct curl_slist *hl = NULL;
    int has_ct = 0;
    for (int i = 0; headers && headers[i]; i++) {
        hl = curl_slist_append(hl, headers[i]);
        if (strncasecmp(headers[i], "Content-Type:", 13) == 0)
            has_ct = 1;
    }
    if (body && !has_ct && (body[0] == '{' || body[0] == '['))
        hl = curl_slist_append(hl, "Content-Type: application/json");
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 30000L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L); /* the fake's TLS mode uses a throw-away self-signed cert */
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
    if (resp_headers)
        *resp_headers = h.p ? h.p : strdup("");
    else
        free(h.p);
    if (rc != CURLE_OK) {
        free(b.p);
        return NULL;
    }
    return b.p ? b.p : strdup("");
}

char *fake_request_h(const ucrm_fake_t *f, const char *method, const char *path, const char *const *headers,
                     const char *body, long *status)
{
    return fake_request_full(f, method, path, headers, body, body ? strlen(body) : 0, 0, status, NULL);
}

char *fake_request(const ucrm_fake_t *f, const char *method, const char *path, const char *body, long *status)
{
    return fake_request_h(f, method, path, NULL, body, status);
}

char *fake_header(const char *raw, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = raw; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = len - (size_t)(v - p);
            char *out = malloc(vl + 1);
            memcpy(out, v, vl);
            out[vl] = '\0';
            return out;
        }
        p = eol ? eol + 2 : p + len;
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------------ control API */
int fake_reset(const ucrm_fake_t *f)
{
    long st;
    char *b = fake_request(f, "POST", "/__fake/reset", "{}", &st);
    free(b);
    return st == 200 ? 0 : -1;
}

char *fake_stats(const ucrm_fake_t *f)
{
    long st;
    char *b = fake_request(f, "GET", "/__fake/stats", NULL, &st);
    if (st != 200) {
        free(b);
        return NULL;
    }
    return b;
}

long fake_stat(const ucrm_fake_t *f, const char *dotted_path)
{
    char *s = fake_stats(f);
    cJSON *j = s ? cJSON_Parse(s) : NULL;
    free(s);
    long v = -1;
    const cJSON *cur = j;
    char *path = strdup(dotted_path), *save = NULL;
    /* route names contain dots and slashes, so a key that exists whole wins over splitting */
    for (char *k = strtok_r(path, ".", &save); k && cur; k = strtok_r(NULL, ".", &save)) {
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(cur, k);
        if (!next && save && *save) {
            char joined[512];
            snprintf(joined, sizeof joined, "%s.%s", k, save);
            next = cJSON_GetObjectItemCaseSensitive(cur, joined);
            if (next) {
                cur = next;
                break;
            }
        }
        cur = next;
    }
    if (cJSON_IsNumber(cur))
        v = (long)cur->valuedouble;
    free(path);
    cJSON_Delete(j);
    return v;
}

int fake_clock_advance(const ucrm_fake_t *f, long long ms)
{
    char body[64];
    long st;
    snprintf(body, sizeof body, "{\"advance_ms\":%lld}", ms);
    free(fake_request(f, "POST", "/__fake/clock", body, &st));
    return st == 200 ? 0 : -1;
}

int fake_set_faults(const ucrm_fake_t *f, const char *json)
{
    long st;
    free(fake_request(f, "POST", "/__fake/faults", json, &st));
    return st == 200 ? 0 : -1;
}

static char *token_from(const char *body)
{
    cJSON *j = body ? cJSON_Parse(body) : NULL;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "access_token");
    char *out = cJSON_IsString(t) ? strdup(t->valuestring) : NULL;
    cJSON_Delete(j);
    return out;
}

char *fake_hubspot_token(const ucrm_fake_t *f)
{
    long st;
    char *b = fake_request(f, "POST", "/oauth/v1/token",
                           "grant_type=refresh_token&client_id=test-client&client_secret=test-secret"
                           "&refresh_token=test-refresh",
                           &st);
    char *t = st == 200 ? token_from(b) : NULL;
    free(b);
    return t;
}

char *fake_salesforce_token(const ucrm_fake_t *f)
{
    long st;
    char *b = fake_request(f, "POST", "/services/oauth2/token",
                           "grant_type=refresh_token&client_id=test-client&client_secret=test-secret"
                           "&refresh_token=test-refresh",
                           &st);
    char *t = st == 200 ? token_from(b) : NULL;
    free(b);
    return t;
}
