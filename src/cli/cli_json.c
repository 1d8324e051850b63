/*
 * cli_json.c -- JSON input splitting and output formatting for `ucrm`, without a JSON library: the library
 * validates every record itself, so the CLI only needs to find where each value starts and ends, and to
 * re-indent what the library wrote (keeping number text exact, which a parse/print round trip would not).
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cli_exit_code(ucrm_err_t rc) {
    switch (rc) {
    case UCRM_OK:
    case UCRM_ITEROVER:
        return CLI_EXIT_OK;
    case UCRM_ERR_CONF_UNKNOWN:
    case UCRM_ERR_CONF_INVALID:
    case UCRM_ERR_NOT_BUILT_IN:
        return CLI_EXIT_CONFIG;
    case UCRM_ERR_AUTH:
    case UCRM_ERR_FORBIDDEN:
        return CLI_EXIT_AUTH;
    case UCRM_ERR_NOT_FOUND:
        return CLI_EXIT_NOT_FOUND;
    case UCRM_ERR_CONFLICT:
        return CLI_EXIT_CONFLICT;
    case UCRM_ERR_VALIDATION:
    case UCRM_ERR_INVALID_FIELD:
    case UCRM_ERR_INVALID_ARG:
    case UCRM_ERR_TYPE:
    case UCRM_ERR_UNSUPPORTED:
    case UCRM_ERR_NOENT:
        return CLI_EXIT_INVALID;
    case UCRM_ERR_RATE_LIMITED:
    case UCRM_ERR_QUOTA_EXHAUSTED:
        return CLI_EXIT_RATE;
    case UCRM_ERR_TRANSPORT:
    case UCRM_ERR_TIMEOUT:
    case UCRM_ERR_TLS:
        return CLI_EXIT_TRANSPORT;
    case UCRM_ERR_PROVIDER:
    case UCRM_ERR_PROTOCOL:
        return CLI_EXIT_PROVIDER;
    case UCRM_ERR_PARTIAL:
        return CLI_EXIT_PARTIAL;
    default:
        return CLI_EXIT_OTHER;
    }
}

/* ------------------------------------------------------------------------------------------------ splitting */

static size_t skip_ws(const char *b, size_t len, size_t i) {
    while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
        i++;
    return i;
}

/* From b[i] == '{', the index just past the matching '}', or 0 when the input ends first. */
static size_t object_end(const char *b, size_t len, size_t i) {
    size_t depth = 0;
    int in_str = 0;
    for (; i < len; i++) {
        char c = b[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0)
                return i + 1;
        }
    }
    return 0;
}

static int push_span(cli_span_t **spans, size_t *count, size_t *cap, const char *p, size_t n) {
    if (*count == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        cli_span_t *ns = realloc(*spans, nc * sizeof *ns);
        if (!ns)
            return -1;
        *spans = ns;
        *cap = nc;
    }
    (*spans)[*count].p = p;
    (*spans)[(*count)++].len = n;
    return 0;
}

int cli_json_split(const char *b, size_t len, cli_span_t **spans, size_t *count) {
    size_t cap = 0, i = skip_ws(b, len, 0);
    int in_array = i < len && b[i] == '[';
    *spans = NULL;
    *count = 0;
    if (in_array)
        i = skip_ws(b, len, i + 1);
    while (i < len) {
        if (in_array && b[i] == ']') {
            i = skip_ws(b, len, i + 1);
            if (i < len) {
                fprintf(stderr, "ucrm: input: unexpected data after the array at byte %zu\n", i);
                goto fail;
            }
            return 0;
        }
        if (b[i] != '{') {
            fprintf(stderr, "ucrm: input: expected a JSON object at byte %zu, found '%c'\n", i, b[i]);
            goto fail;
        }
        size_t end = object_end(b, len, i);
        if (!end) {
            fprintf(stderr, "ucrm: input: the JSON object starting at byte %zu is not closed (truncated?)\n", i);
            goto fail;
        }
        if (push_span(spans, count, &cap, b + i, end - i) < 0) {
            fprintf(stderr, "ucrm: out of memory\n");
            goto fail;
        }
        i = skip_ws(b, len, end);
        if (in_array && i < len && b[i] == ',')
            i = skip_ws(b, len, i + 1);
    }
    if (in_array) {
        fprintf(stderr, "ucrm: input: the JSON array is not closed (truncated?)\n");
        goto fail;
    }
    return 0;
fail:
    free(*spans);
    *spans = NULL;
    *count = 0;
    return -1;
}

/* ------------------------------------------------------------------------------------------------ output */

static void indent(FILE *out, int level) {
    fputc('\n', out);
    for (int k = 0; k < level; k++)
        fputs("  ", out);
}

void cli_json_pretty(FILE *out, const char *j) {
    int level = 0;
    for (size_t i = 0; j[i]; i++) {
        char c = j[i];
        if (c == '"') {
            size_t s = i++;
            while (j[i] && j[i] != '"')
                i += (j[i] == '\\' && j[i + 1]) ? 2 : 1;
            fwrite(j + s, 1, i - s + (j[i] ? 1 : 0), out);
            if (!j[i])
                break;
        } else if (c == '{' || c == '[') {
            size_t k = i + 1;
            while (j[k] == ' ' || j[k] == '\n' || j[k] == '\t' || j[k] == '\r')
                k++;
            if (j[k] == (c == '{' ? '}' : ']')) { /* empty container on one line */
                fputc(c, out);
                fputc(j[k], out);
                i = k;
                continue;
            }
            fputc(c, out);
            indent(out, ++level);
        } else if (c == '}' || c == ']') {
            indent(out, --level);
            fputc(c, out);
        } else if (c == ',') {
            fputc(',', out);
            indent(out, level);
        } else if (c == ':') {
            fputs(": ", out);
        } else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
            fputc(c, out);
        }
    }
    fputc('\n', out);
}

void cli_json_string(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static const char *write_state_name(ucrm_write_state_t w) {
    return w == UCRM_WRITE_NOT_APPLIED ? "not_applied" : w == UCRM_WRITE_UNKNOWN ? "unknown" : "n/a";
}

void cli_error_json(FILE *out, ucrm_err_t rc, const ucrm_error_t *err) {
    ucrm_err_t code = err ? ucrm_error_code(err) : rc;
    fputs("{\"code\":", out);
    cli_json_string(out, ucrm_err_name(code));
    fputs(",\"message\":", out);
    cli_json_string(out, err ? ucrm_error_message(err) : ucrm_err_str(code));
    if (ucrm_error_http_status(err))
        fprintf(out, ",\"http_status\":%d", ucrm_error_http_status(err));
    const struct {
        const char *name, *value;
    } strs[] = {{"provider_code", ucrm_error_provider_code(err)},
                {"request_id", ucrm_error_request_id(err)},
                {"field", ucrm_error_field(err)},
                {"existing_id", ucrm_error_existing_id(err)}};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (*strs[i].value) {
            fprintf(out, ",\"%s\":", strs[i].name);
            cli_json_string(out, strs[i].value);
        }
    }
    if (ucrm_error_retry_after_ms(err))
        fprintf(out, ",\"retry_after_ms\":%lld", (long long)ucrm_error_retry_after_ms(err));
    fprintf(out, ",\"retriable\":%s", ucrm_error_is_retriable(err) ? "true" : "false");
    if (ucrm_error_write_state(err) != UCRM_WRITE_NA)
        fprintf(out, ",\"write_state\":\"%s\"", write_state_name(ucrm_error_write_state(err)));
    fputc('}', out);
}

int cli_report(const char *what, ucrm_err_t rc, const ucrm_error_t *err, int verbose) {
    ucrm_err_t code = err ? ucrm_error_code(err) : rc;
    const char *msg = err && *ucrm_error_message(err) ? ucrm_error_message(err) : ucrm_err_str(code);
    fprintf(stderr, "ucrm: %s: %s [%s", what, msg, ucrm_err_name(code));
    if (ucrm_error_http_status(err))
        fprintf(stderr, ", HTTP %d", ucrm_error_http_status(err));
    if (*ucrm_error_provider_code(err))
        fprintf(stderr, ", provider code %s", ucrm_error_provider_code(err));
    if (*ucrm_error_field(err))
        fprintf(stderr, ", field %s", ucrm_error_field(err));
    if (*ucrm_error_existing_id(err))
        fprintf(stderr, ", existing id %s", ucrm_error_existing_id(err));
    if (*ucrm_error_request_id(err))
        fprintf(stderr, ", request id %s", ucrm_error_request_id(err));
    if (ucrm_error_retry_after_ms(err))
        fprintf(stderr, ", retry after %lld ms", (long long)ucrm_error_retry_after_ms(err));
    if (ucrm_error_write_state(err) == UCRM_WRITE_UNKNOWN)
        fputs(", the write may have been applied", stderr);
    else if (ucrm_error_write_state(err) == UCRM_WRITE_NOT_APPLIED)
        fputs(", the write was not applied", stderr);
    if (ucrm_error_is_retriable(err))
        fputs(", retriable", stderr);
    fputs("]\n", stderr);
    if (verbose && *ucrm_error_details(err))
        fprintf(stderr, "ucrm: provider details: %s\n", ucrm_error_details(err));
    return cli_exit_code(code);
}

int cli_read_all(const char *path, char **buf, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ucrm: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    while (b) {
        if (cap - n < 2) {
            char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = !b || ferror(f);
    if (bad)
        fprintf(stderr, "ucrm: %s: %s\n", strcmp(path, "-") == 0 ? "standard input" : path,
                b ? "read error" : "out of memory");
    if (f != stdin)
        fclose(f);
    if (bad) {
        free(b);
        return -1;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}
