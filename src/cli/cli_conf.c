/*
 * cli_conf.c -- where `ucrm` takes its configuration from (config file, environment, command line, the local
 * fake), and starting/stopping the local fake for --fake.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* ------------------------------------------------------------------------------------------------ key/value lists */

int cli_kvs_add(cli_kvs_t *l, const char *key, const char *value, const char *origin) {
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        cli_kv_t *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = nc;
    }
    cli_kv_t *kv = &l->v[l->n];
    kv->key = strdup(key);
    kv->value = strdup(value);
    kv->origin = strdup(origin);
    if (!kv->key || !kv->value || !kv->origin) {
        free(kv->key);
        free(kv->value);
        free(kv->origin);
        return -1;
    }
    l->n++;
    return 0;
}

void cli_kvs_free(cli_kvs_t *l) {
    for (size_t i = 0; i < l->n; i++) {
        /* values may be secrets: wipe them before handing the memory back */
        memset(l->v[i].value, 0, strlen(l->v[i].value));
        free(l->v[i].key);
        free(l->v[i].value);
        free(l->v[i].origin);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

int cli_read_config_file(const char *path, cli_kvs_t *out) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "ucrm: config file %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
        fprintf(stderr, "ucrm: config file %s: not a regular file\n", path);
        fclose(f);
        return -1;
    }
    char *line = NULL, origin[PATH_MAX + 32];
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        snprintf(origin, sizeof origin, "%s:%d", path, lineno);
        if (!eq) {
            fprintf(stderr, "ucrm: %s: expected key=value\n", origin);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        if (!*key) {
            fprintf(stderr, "ucrm: %s: empty key\n", origin);
            rc = -1;
            break;
        }
        if (cli_kvs_add(out, key, value, origin) < 0) {
            fprintf(stderr, "ucrm: out of memory\n");
            rc = -1;
            break;
        }
    }
    if (line) {
        memset(line, 0, cap);
        free(line);
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "ucrm: config file %s: read error\n", path);
        rc = -1;
    }
    fclose(f);
    return rc; /* the permission warning comes from cli_build_conf(), once it knows which values are secrets */
}

static const struct {
    const char *env, *key;
} env_keys[] = {
    {"UCRM_PROVIDER", "provider"},
    {"UCRM_API_URL", "api.url"},
    {"UCRM_TOKEN_URL", "auth.token.url"},
    {"UCRM_AUTH_METHOD", "auth.method"},
    {"UCRM_ACCESS_TOKEN", "auth.access.token"},
    {"UCRM_REFRESH_TOKEN", "auth.refresh.token"},
    {"UCRM_CLIENT_ID", "auth.client.id"},
    {"UCRM_CLIENT_SECRET", "auth.client.secret"},
    {"UCRM_JWT_KEY_FILE", "auth.jwt.key.file"},
    {"UCRM_JWT_SUBJECT", "auth.jwt.subject"},
    {"UCRM_CA_FILE", "http.ca.file"},
};

void cli_read_env(cli_kvs_t *out) {
    for (size_t i = 0; i < sizeof env_keys / sizeof env_keys[0]; i++) {
        const char *v = getenv(env_keys[i].env);
        if (v && *v)
            cli_kvs_add(out, env_keys[i].key, v, env_keys[i].env);
    }
}

/* ------------------------------------------------------------------------------------------------ building */

static const char *last_provider(const cli_kvs_t *l, const char *found) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].key, "provider") == 0)
            found = l->v[i].value;
    return found;
}

const char *cli_sources_provider(const cli_sources_t *s) {
    const char *p = last_provider(&s->file, NULL);
    p = last_provider(&s->env, p);
    return last_provider(&s->args, p);
}

/* With the fake, URLs and credentials come from the fake: the environment's and the file's would point at (or
 * authenticate against) a real account. */
static int fake_ignores(const char *key) {
    return strcmp(key, "api.url") == 0 || strncmp(key, "auth.", 5) == 0;
}

static int is_secret(const ucrm_conf_t *conf, const char *key) {
    char buf[32];
    size_t n = sizeof buf;
    return ucrm_conf_get(conf, key, buf, &n, NULL) == UCRM_OK && strcmp(buf, "[redacted]") == 0;
}

static ucrm_err_t apply(ucrm_conf_t *conf, const cli_kvs_t *l, int skip_fake_keys, int *secrets) {
    for (size_t i = 0; i < l->n; i++) {
        const cli_kv_t *kv = &l->v[i];
        if (skip_fake_keys && fake_ignores(kv->key))
            continue;
        ucrm_error_t *err = NULL;
        ucrm_err_t rc = ucrm_conf_set(conf, kv->key, kv->value, &err);
        if (rc < 0) {
            fprintf(stderr, "ucrm: %s: %s [%s]\n", kv->origin, ucrm_error_message(err), ucrm_err_name(rc));
            ucrm_error_destroy(err);
            return rc;
        }
        if (is_secret(conf, kv->key))
            *secrets = 1;
    }
    return UCRM_OK;
}

static ucrm_err_t apply_fake(ucrm_conf_t *conf, const char *provider, const char *url) {
    /* The fake's default test credentials (unicrm-fake --help). */
    static const char *const hubspot[] = {"auth.access.token", "pat-test", NULL};
    static const char *const salesforce[] = {"auth.client.id",     "test-client", "auth.client.secret",
                                             "test-secret",        "auth.refresh.token", "test-refresh", NULL};
    const char *const *kv = strcmp(provider, "salesforce") == 0 ? salesforce : hubspot;
    cli_kvs_t l = {0};
    int secrets = 0, oom = cli_kvs_add(&l, "api.url", url, "--fake") < 0 ||
                           cli_kvs_add(&l, "auth.token.url", url, "--fake") < 0;
    for (; !oom && *kv; kv += 2)
        oom = cli_kvs_add(&l, kv[0], kv[1], "--fake") < 0;
    ucrm_err_t rc = oom ? UCRM_ERR_NOMEM : apply(conf, &l, 0, &secrets);
    cli_kvs_free(&l);
    return rc;
}

ucrm_err_t cli_build_conf(const cli_sources_t *s, const char *provider, int verbose, ucrm_conf_t **conf_out) {
    ucrm_conf_t *conf = ucrm_conf_new();
    if (!conf) {
        fprintf(stderr, "ucrm: out of memory\n");
        return UCRM_ERR_NOMEM;
    }
    int file_secrets = 0, arg_secrets = 0, env_secrets = 0;
    ucrm_err_t rc = apply(conf, &s->file, s->fake, &file_secrets);
    if (rc == UCRM_OK)
        rc = apply(conf, &s->env, s->fake, &env_secrets);
    if (rc == UCRM_OK && provider)
        rc = ucrm_conf_set(conf, "provider", provider, NULL);
    if (rc == UCRM_OK && s->fake)
        rc = apply_fake(conf, provider ? provider : "hubspot", s->fake_url);
    if (rc == UCRM_OK)
        rc = apply(conf, &s->args, 0, &arg_secrets);
    if (rc == UCRM_OK && verbose) {
        ucrm_conf_set(conf, "log.stderr", "true", NULL);
        ucrm_conf_set(conf, "log.level", verbose > 1 ? "debug" : "info", NULL);
    }
    if (rc < 0) {
        ucrm_conf_destroy(conf);
        return rc;
    }
    if (arg_secrets)
        fprintf(stderr, "ucrm: warning: a secret was given on the command line, where other users can see it "
                        "(ps); use an environment variable or --config FILE instead\n");
    if (file_secrets && s->file.n) {
        const char *path = s->file.v[0].origin;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s", path);
        char *colon = strrchr(p, ':');
        if (colon)
            *colon = '\0';
        struct stat st;
        if (stat(p, &st) == 0 && (st.st_mode & 077))
            fprintf(stderr, "ucrm: warning: %s holds secrets and is readable by other users; chmod 600 it\n", p);
    }
    *conf_out = conf;
    return UCRM_OK;
}

/* ------------------------------------------------------------------------------------------------ local fake */

static int find_fake(char *out, size_t size) {
    const char *env = getenv("UCRM_FAKE_BIN");
    if (env && *env) {
        snprintf(out, size, "%s", env);
        return 0;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            int w = snprintf(out, size, "%s/unicrm-fake", self);
            if (w > 0 && (size_t)w < size && access(out, X_OK) == 0)
                return 0;
        }
    }
    snprintf(out, size, "unicrm-fake"); /* from $PATH */
    return 0;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the first line of the fake's output within 10 s. */
static int read_first_line(int fd, char *line, size_t size) {
    size_t n = 0;
    int64_t deadline = now_ms() + 10000;
    while (n + 1 < size) {
        int64_t left = deadline - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return -1;
        ssize_t got = read(fd, line + n, 1);
        if (got <= 0)
            return -1;
        if (line[n] == '\n') {
            line[n] = '\0';
            return 0;
        }
        n++;
    }
    return -1;
}

static void exec_fake(const char *bin, int fd, int seed, int verbose) {
    char seed_s[16];
    snprintf(seed_s, sizeof seed_s, "%d", seed);
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive ucrm, whatever kills it */
#endif
    dup2(fd, STDOUT_FILENO);
    close(fd);
    if (!verbose) {
        int nul = open("/dev/null", O_WRONLY);
        if (nul >= 0)
            dup2(nul, STDERR_FILENO);
    }
    char *const argv[] = {(char *)bin, (char *)"--port", (char *)"0", (char *)"--seed", seed_s, NULL};
    if (strchr(bin, '/'))
        execv(bin, argv);
    else
        execvp(bin, argv);
    _exit(127);
}

int cli_fake_start(cli_fake_t *f, int seed, int verbose) {
    char bin[PATH_MAX], line[512];
    int fds[2];
    f->pid = 0;
    find_fake(bin, sizeof bin);
    if (pipe(fds) < 0) {
        fprintf(stderr, "ucrm: --fake: pipe: %s\n", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "ucrm: --fake: fork: %s\n", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        exec_fake(bin, fds[1], seed, verbose);
    }
    close(fds[1]);
    f->pid = pid;
    int ok = read_first_line(fds[0], line, sizeof line) == 0 && strncmp(line, "listening on ", 13) == 0;
    close(fds[0]);
    if (ok) {
        int w = snprintf(f->url, sizeof f->url, "%s", line + 13);
        ok = w > 0 && (size_t)w < sizeof f->url;
    }
    if (!ok) {
        fprintf(stderr, "ucrm: --fake: could not start %s (set UCRM_FAKE_BIN to the unicrm-fake program, "
                        "or add -v to see its errors)\n", bin);
        cli_fake_stop(f);
        return -1;
    }
    return 0;
}

void cli_fake_stop(cli_fake_t *f) {
    if (f->pid <= 0)
        return;
    kill(f->pid, SIGTERM);
    int64_t deadline = now_ms() + 5000;
    int status;
    while (waitpid(f->pid, &status, WNOHANG) == 0) {
        if (now_ms() > deadline) {
            kill(f->pid, SIGKILL);
            waitpid(f->pid, &status, 0);
            break;
        }
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    f->pid = 0;
}
