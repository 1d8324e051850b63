/* hstest.c -- see hstest.h. Test code: aborts on allocation failure. */
#include "hstest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hsfx_t *make(const char *base_url, const char *const *kv, bool scripted) {
    hsfx_t *f = calloc(1, sizeof *f);
    if (!f)
        abort();
    f->conf = ucrm_conf_new();
    static const char *const defaults[] = {"provider", "hubspot", "auth.access.token", "pat-na1-test", "retry.max",
                                           "0", "ratelimit.enable", "false", NULL};
    for (size_t i = 0; defaults[i]; i += 2)
        ucrm_conf_set(f->conf, defaults[i], defaults[i + 1], NULL);
    if (base_url)
        ucrm_conf_set(f->conf, "api.url", base_url, NULL);
    for (size_t i = 0; kv && kv[i]; i += 2) {
        ucrm_error_t *e = NULL;
        if (ucrm_conf_set(f->conf, kv[i], kv[i + 1], &e) != UCRM_OK) {
            fprintf(stderr, "hs_fx: %s=%s: %s\n", kv[i], kv[i + 1] ? kv[i + 1] : "(null)", ucrm_error_message(e));
            abort();
        }
    }
    if (scripted) {
        f->s = script_new();
        script_install(f->s, f->conf);
    }
    ucrm_error_t *e = NULL;
    if (ucrm_client_new(&f->c, f->conf, &e) != UCRM_OK) {
        fprintf(stderr, "hs_fx: client: %s\n", ucrm_error_message(e));
        abort();
    }
    return f;
}

hsfx_t *hs_fx(const char *const *kv) { return make(NULL, kv, true); }

hsfx_t *hs_fx_url(const char *base_url, const char *const *kv) { return make(base_url, kv, false); }

bool hs_fx_done(hsfx_t *f) {
    bool ok = true;
    ucrm_client_destroy(f->c);
    ucrm_conf_destroy(f->conf);
    if (f->s) {
        if (!script_ok(f->s)) {
            fprintf(stderr, "script: %s\n", script_error(f->s));
            ok = false;
        } else if (script_remaining(f->s)) {
            fprintf(stderr, "script: %zu exchanges not used\n", script_remaining(f->s));
            ok = false;
        }
        script_free(f->s);
    }
    free(f);
    return ok;
}

void hs_fx_load(hsfx_t *f, const char *name) {
    char path[256];
    snprintf(path, sizeof path, "tests/data/hubspot/%s.http", name);
    if (!script_load(f->s, path)) {
        fprintf(stderr, "%s\n", script_error(f->s));
        abort();
    }
}

const char *hs_str(const ucrm_record_t *r, const char *field) {
    const char *s = NULL;
    return ucrm_record_get_string(r, field, &s) == UCRM_OK ? s : NULL;
}

const char *hs_json(const ucrm_record_t *r, const char *field) {
    static char buf[4096];
    char *j = NULL;
    if (ucrm_record_get_json(r, field, &j) != UCRM_OK)
        return "<absent>";
    snprintf(buf, sizeof buf, "%s", j);
    ucrm_free(j);
    return buf;
}
