/*
 * soql.c -- /query and /queryAll with a real subset of SOQL (PROTOCOL A3), and nextRecordsUrl cursors.
 *
 *   SELECT field, ... | COUNT()  FROM Contact|Account|Opportunity
 *   [WHERE cond]  cond: comparisons with = != <> < > <= >= LIKE IN NOT IN, AND / OR / NOT, parentheses;
 *                 AND and OR may not be mixed at one level without parentheses (as in SOQL).
 *                 values: 'strings', numbers, true/false, null, date 2024-01-31,
 *                 dateTime 2024-01-31T10:00:00Z / +hh:mm / -hh:mm (unquoted; dateTime fields need dateTime
 *                 literals and date fields date literals), TODAY, YESTERDAY, TOMORROW, LAST_N_DAYS:n, NEXT_N_DAYS:n
 *   [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]
 * Quoted strings take the escapes of "Quoted String Escape Sequences" (SOQL and SOSL Reference): \n \r \t \b \f
 * (also upper case), \" \' \\, \uXXXX, and in LIKE patterns only \% and \_ (a literal % or _); any other backslash
 * sequence is MALFORMED_QUERY "Invalid string literal ... Illegal character sequence". String comparisons
 * (=, !=, <, >, IN, LIKE, ORDER BY) ignore case (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic), except on
 * unique case-sensitive custom fields; LIKE's _ is one character, not one byte. Keywords ignore case.
 * Errors: MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE with Salesforce's "ERROR at Row:1:Column:N" layout.
 *
 * Paging: Sforce-Query-Options: batchSize=N (clamped to 200..2000, default 2000). A query larger than one batch
 * gets a locator; nextRecordsUrl is /services/data/vXX.X/query/<locator>-<offset> (also for queryAll, as
 * Salesforce does). The matching records are fixed when the query runs; their field values are read when each
 * page is served. The 64 most recent locators are kept (older ones answer INVALID_QUERY_LOCATOR).
 */
#include "fake.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_CURSORS 64

/* ------------------------------------------------------------------------------------------------ lexer */
enum { T_END, T_IDENT, T_STRING, T_NUMBER, T_DATE, T_DATETIME, T_OP, T_LP, T_RP, T_COMMA, T_BAD };

typedef struct {
    int type;
    const char *s;
    size_t n;
    size_t pos;
    int64_t ms;
} tok_t;

typedef struct {
    const char *q;
    size_t i;
    tok_t t;
    int err;
    char code[32];
    char msg[900];
} lex_t;

static int is_ident_char(int c)
{
    return isalnum(c) || c == '_' || c == '.' || c == ':';
}

static int lex_datetime(lex_t *L, size_t start)
{
    const char *p = L->q + start;
    size_t n = 0;
    while (p[n] && (isdigit((unsigned char)p[n]) || strchr("-:T.+Zz", p[n])))
        n++;
    if (n < 10)
        return 0;
    char buf[40];
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, p, n);
    buf[n] = '\0';
    int date_only;
    if (fk_parse_iso(buf, &L->t.ms, &date_only))
        return 0;
    if (!date_only && !strpbrk(buf + 10, "Zz+-"))
        return 0; /* dateTime literals need a zone */
    L->t.type = date_only ? T_DATE : T_DATETIME;
    L->t.n = n;
    return 1;
}

static void lex_next(lex_t *L)
{
    const char *q = L->q;
    while (q[L->i] && isspace((unsigned char)q[L->i]))
        L->i++;
    tok_t *t = &L->t;
    t->pos = L->i;
    t->s = q + L->i;
    t->n = 1;
    char c = q[L->i];
    if (!c) {
        t->type = T_END;
        t->n = 0;
        return;
    }
    if (c == '(' || c == ')' || c == ',') {
        t->type = c == '(' ? T_LP : c == ')' ? T_RP : T_COMMA;
    } else if (c == '=' || c == '<' || c == '>' || c == '!') {
        t->type = T_OP;
        if ((c == '<' && (q[L->i + 1] == '=' || q[L->i + 1] == '>')) || (c != '=' && q[L->i + 1] == '='))
            t->n = 2;
        else if (c == '!')
            t->type = T_BAD;
    } else if (c == '\'') {
        size_t j = L->i + 1;
        while (q[j] && q[j] != '\'')
            j += (q[j] == '\\' && q[j + 1]) ? 2 : 1;
        t->type = q[j] ? T_STRING : T_BAD;
        t->n = j - L->i + (q[j] ? 1 : 0);
    } else if (isdigit((unsigned char)c) && lex_datetime(L, L->i)) {
        /* date or dateTime literal */
    } else if (isdigit((unsigned char)c) || ((c == '-' || c == '+' || c == '.') && isdigit((unsigned char)q[L->i + 1]))) {
        size_t j = L->i + 1;
        while (isdigit((unsigned char)q[j]) || q[j] == '.')
            j++;
        t->type = T_NUMBER;
        t->n = j - L->i;
    } else if (isalpha((unsigned char)c) || c == '_') {
        size_t j = L->i;
        while (is_ident_char((unsigned char)q[j]))
            j++;
        t->type = T_IDENT;
        t->n = j - L->i;
    } else {
        t->type = T_BAD;
    }
    L->i += t->n;
}

static int tok_is(const tok_t *t, const char *kw)
{
    return t->type == T_IDENT && strlen(kw) == t->n && strncasecmp(t->s, kw, t->n) == 0;
}

static void soql_error(lex_t *L, size_t pos, const char *code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void soql_error(lex_t *L, size_t pos, const char *code, const char *fmt, ...)
{
    if (L->err)
        return;
    L->err = 1;
    snprintf(L->code, sizeof L->code, "%s", code);
    int row = 1;
    size_t col = 1, line_start = 0;
    for (size_t i = 0; i < pos && L->q[i]; i++) {
        if (L->q[i] == '\n') {
            row++;
            col = 1;
            line_start = i + 1;
        } else {
            col++;
        }
    }
    char detail[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    size_t line_len = strcspn(L->q + line_start, "\n");
    if (line_len > 300)
        line_len = 300;
    char caret[320];
    size_t k = col - 1 < 300 ? col - 1 : 300;
    memset(caret, ' ', k);
    caret[k] = '\0';
    snprintf(L->msg, sizeof L->msg, "\n%.*s\n%s^\nERROR at Row:%d:Column:%zu\n%s", (int)line_len, L->q + line_start,
             caret, row, col, detail);
}

static void unexpected(lex_t *L)
{
    if (L->t.type == T_END)
        soql_error(L, L->t.pos, "MALFORMED_QUERY", "unexpected token: <EOF>");
    else
        soql_error(L, L->t.pos, "MALFORMED_QUERY", "unexpected token: '%.*s'", (int)(L->t.n > 60 ? 60 : L->t.n), L->t.s);
}

/* ------------------------------------------------------------------------------------------------ AST */
enum { V_NULL, V_STR, V_NUM, V_BOOL, V_DATE, V_DT };
enum { OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE, OP_LIKE, OP_IN, OP_NIN };
enum { N_CMP, N_AND, N_OR, N_NOT };

typedef struct {
    int kind;
    double num;
    char *str;
    int64_t ms;
} sval_t;

typedef struct node {
    int kind;
    struct node *a, *b;
    const fk_sf_field_t *fd;
    int op;
    sval_t *vals;
    int nvals;
} node_t;

typedef struct {
    const fk_sf_field_t *fd;
    int desc, nulls_last;
} order_t;

#define MAX_DEPTH 64     /* nested parentheses / NOT */
#define MAX_NODES 4000   /* conditions in one WHERE clause */

typedef struct {
    int depth;
    int obj, count_only;
    const fk_sf_field_t *fields[128];
    int nfields;
    node_t *where;
    order_t order[8];
    int norder;
    int64_t limit, offset;
    node_t **nodes;
    int nnodes, capnodes;
} query_t;

static node_t *new_node(query_t *Q, int kind)
{
    if (Q->nnodes >= MAX_NODES)
        return NULL;
    node_t *n = calloc(1, sizeof *n);
    if (!n)
        abort();
    n->kind = kind;
    if (Q->nnodes == Q->capnodes) {
        Q->capnodes = Q->capnodes ? Q->capnodes * 2 : 16;
        Q->nodes = fk_xrealloc(Q->nodes, (size_t)Q->capnodes * sizeof *Q->nodes);
    }
    Q->nodes[Q->nnodes++] = n;
    return n;
}

static void query_free(query_t *Q)
{
    for (int i = 0; i < Q->nnodes; i++) {
        for (int j = 0; j < Q->nodes[i]->nvals; j++)
            free(Q->nodes[i]->vals[j].str);
        free(Q->nodes[i]->vals);
        free(Q->nodes[i]);
    }
    free(Q->nodes);
}

static const fk_sf_field_t *expect_field(lex_t *L, query_t *Q)
{
    if (L->t.type != T_IDENT) {
        unexpected(L);
        return NULL;
    }
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(L->t.n < 127 ? L->t.n : 127), L->t.s);
    const fk_sf_field_t *fd = fk_sf_field(Q->obj, name);
    if (!fd) {
        soql_error(L, L->t.pos, "INVALID_FIELD", "No such column '%s' on entity '%s'. If you are attempting to use a "
                   "custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL "
                   "or the describe call for the appropriate names.", name, fk_sf_obj_name(Q->obj));
        return NULL;
    }
    lex_next(L);
    return fd;
}

static int64_t today_ms(void)
{
    int64_t now = fk_now_ms();
    return now - now % 86400000;
}

static int date_literal(lex_t *L, sval_t *v)
{
    static const struct {
        const char *kw;
        int days;
    } fixed[] = {{"TODAY", 0}, {"YESTERDAY", -1}, {"TOMORROW", 1}};
    for (size_t i = 0; i < 3; i++)
        if (tok_is(&L->t, fixed[i].kw)) {
            v->kind = V_DATE;
            v->ms = today_ms() + (int64_t)fixed[i].days * 86400000;
            return 1;
        }
    if (L->t.type == T_IDENT && L->t.n > 12 &&
        (strncasecmp(L->t.s, "LAST_N_DAYS:", 12) == 0 || strncasecmp(L->t.s, "NEXT_N_DAYS:", 12) == 0)) {
        int n = atoi(L->t.s + 12);
        v->kind = V_DATE;
        v->ms = today_ms() + (int64_t)(toupper((unsigned char)L->t.s[0]) == 'L' ? -n : n) * 86400000;
        return 1;
    }
    return 0;
}

static void put_utf8(fk_buf_t *b, uint32_t c)
{
    char u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xc0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3f));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xe0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        u[2] = (char)(0x80 | (c & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (c >> 18));
        u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
        u[3] = (char)(0x80 | (c & 0x3f));
        n = 4;
    }
    fk_buf_put(b, u, n);
}

static long hex4(const char *s, size_t avail)
{
    long v = 0;
    if (avail < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        int c = (unsigned char)s[i], d = isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* One escape after a backslash at s[i] (s has n content bytes). Appends its character(s) to b and returns the
 * number of bytes consumed after the backslash, or 0 for an illegal sequence. In a LIKE pattern the result keeps
 * a backslash before a literal %, _ or backslash, which like_match() reads as "this one is not a wildcard". */
static size_t unescape(const char *s, size_t i, size_t n, int like, fk_buf_t *b)
{
    static const char from[] = "nNrRtTbBfF\"'", to[] = "\n\n\r\r\t\t\b\b\f\f\"'";
    char e = s[i + 1];
    const char *k = strchr(from, e);
    if (e && k) {
        fk_buf_put(b, &to[k - from], 1);
        return 1;
    }
    if (e == '\\' || (like && (e == '%' || e == '_'))) {
        if (like)
            fk_buf_put(b, "\\", 1);
        fk_buf_put(b, &e, 1);
        return 1;
    }
    if (e != 'u')
        return 0;
    long c = hex4(s + i + 2, n - i - 2);
    size_t used = 5;
    if (c >= 0xd800 && c < 0xdc00) { /* a surrogate pair written as two escapes */
        long lo = n - i >= 12 && s[i + 6] == '\\' && s[i + 7] == 'u' ? hex4(s + i + 8, n - i - 8) : -1;
        if (lo < 0xdc00 || lo > 0xdfff)
            return 0;
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        used = 11;
    }
    if (c <= 0 || (c >= 0xdc00 && c <= 0xdfff))
        return 0; /* malformed, a lone low surrogate, or NUL (the fake stores C strings) */
    if (like && (c == '%' || c == '_' || c == '\\'))
        fk_buf_put(b, "\\", 1);
    put_utf8(b, (uint32_t)c);
    return used;
}

/* Decodes the quoted string token t into v->str; MALFORMED_QUERY for an illegal escape. */
static int decode_string(lex_t *L, const tok_t *t, int like, sval_t *v)
{
    const char *s = t->s + 1;
    size_t n = t->n - 2;
    fk_buf_t b = {0};
    fk_buf_put(&b, "", 0);
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            fk_buf_put(&b, s + i, 1);
            continue;
        }
        size_t used = unescape(s, i, n, like, &b);
        if (!used) {
            free(b.s);
            soql_error(L, t->pos, "MALFORMED_QUERY", "Invalid string literal '%.*s'. Illegal character sequence "
                       "'\\%.*s' in string literal.", (int)(n > 200 ? 200 : n), s, s[i + 1] ? 1 : 0, s + i + 1);
            return -1;
        }
        i += used;
    }
    v->kind = V_STR;
    v->str = fk_buf_take(&b);
    return 0;
}

static int parse_value(lex_t *L, sval_t *v, int like)
{
    memset(v, 0, sizeof *v);
    tok_t *t = &L->t;
    if (t->type == T_STRING) {
        if (decode_string(L, t, like, v))
            return -1;
    } else if (t->type == T_NUMBER) {
        v->kind = V_NUM;
        v->num = strtod(t->s, NULL);
    } else if (t->type == T_DATE || t->type == T_DATETIME) {
        v->kind = t->type == T_DATE ? V_DATE : V_DT;
        v->ms = t->ms;
    } else if (tok_is(t, "true") || tok_is(t, "false")) {
        v->kind = V_BOOL;
        v->num = tok_is(t, "true");
    } else if (tok_is(t, "null")) {
        v->kind = V_NULL;
    } else if (!date_literal(L, v)) {
        unexpected(L);
        return -1;
    }
    lex_next(L);
    return 0;
}

static int value_fits(lex_t *L, const fk_sf_field_t *fd, const sval_t *v, size_t pos, int op)
{
    const char *need = NULL;
    if (v->kind == V_NULL)
        return op == OP_EQ || op == OP_NE || op == OP_IN || op == OP_NIN ? 0 : (need = "not null", 1);
    switch (fd->type) {
    case 't': if (v->kind != V_DT) need = "dateTime"; break;
    case 'd': if (v->kind != V_DATE) need = "date"; break;
    case 'b': if (v->kind != V_BOOL) need = "boolean"; break;
    case 'n': case 'c': case 'p': case 'g': if (v->kind != V_NUM) need = "number"; break;
    default: if (v->kind != V_STR) need = "string"; break;
    }
    if (!need)
        return 0;
    soql_error(L, pos, "INVALID_FIELD", "value of filter criterion for field '%s' must be of type %s%s", fd->name, need,
               strcmp(need, "string") ? " and should not be enclosed in quotes" : "");
    return -1;
}

static node_t *parse_cond(lex_t *L, query_t *Q);

static node_t *parse_comparison(lex_t *L, query_t *Q)
{
    const fk_sf_field_t *fd = expect_field(L, Q);
    if (!fd)
        return NULL;
    node_t *n = new_node(Q, N_CMP);
    if (!n) {
        soql_error(L, L->t.pos, "MALFORMED_QUERY", "Query is too complicated");
        return NULL;
    }
    n->fd = fd;
    size_t pos = L->t.pos;
    if (L->t.type == T_OP) {
        static const char *ops[] = {"=", "!=", "<", ">", "<=", ">=", "<>"};
        int k;
        for (k = 0; k < 7; k++)
            if (strlen(ops[k]) == L->t.n && strncmp(ops[k], L->t.s, L->t.n) == 0)
                break;
        n->op = k == 6 ? OP_NE : k;
        lex_next(L);
    } else if (tok_is(&L->t, "LIKE")) {
        n->op = OP_LIKE;
        lex_next(L);
    } else if (tok_is(&L->t, "IN") || tok_is(&L->t, "NOT")) {
        n->op = tok_is(&L->t, "IN") ? OP_IN : OP_NIN;
        lex_next(L);
        if (n->op == OP_NIN) {
            if (!tok_is(&L->t, "IN")) {
                unexpected(L);
                return NULL;
            }
            lex_next(L);
        }
        if (L->t.type != T_LP) {
            unexpected(L);
            return NULL;
        }
        lex_next(L);
        int cap = 0;
        for (;;) {
            if (n->nvals == cap) {
                cap = cap ? cap * 2 : 8;
                n->vals = fk_xrealloc(n->vals, (size_t)cap * sizeof *n->vals);
            }
            size_t vpos = L->t.pos;
            if (parse_value(L, &n->vals[n->nvals], 0))
                return NULL;
            n->nvals++;
            if (value_fits(L, fd, &n->vals[n->nvals - 1], vpos, n->op))
                return NULL;
            if (L->t.type == T_COMMA) {
                lex_next(L);
                continue;
            }
            if (L->t.type != T_RP) {
                unexpected(L);
                return NULL;
            }
            lex_next(L);
            return n;
        }
    } else {
        unexpected(L);
        return NULL;
    }
    n->vals = fk_xmalloc(sizeof *n->vals);
    size_t vpos = L->t.pos;
    if (parse_value(L, &n->vals[0], n->op == OP_LIKE))
        return NULL;
    n->nvals = 1;
    if (n->op == OP_LIKE && n->vals[0].kind != V_STR) {
        soql_error(L, vpos, "INVALID_FIELD", "LIKE needs a string value");
        return NULL;
    }
    (void)pos;
    if (value_fits(L, fd, &n->vals[0], vpos, n->op))
        return NULL;
    return n;
}

static node_t *parse_factor(lex_t *L, query_t *Q)
{
    if ((tok_is(&L->t, "NOT") || L->t.type == T_LP) && Q->depth >= MAX_DEPTH) {
        soql_error(L, L->t.pos, "MALFORMED_QUERY", "Query is too complicated");
        return NULL;
    }
    if (tok_is(&L->t, "NOT")) {
        lex_next(L);
        node_t *n = new_node(Q, N_NOT);
        if (!n) {
            soql_error(L, L->t.pos, "MALFORMED_QUERY", "Query is too complicated");
            return NULL;
        }
        Q->depth++;
        n->a = parse_factor(L, Q);
        Q->depth--;
        return n->a ? n : NULL;
    }
    if (L->t.type == T_LP) {
        lex_next(L);
        Q->depth++;
        node_t *n = parse_cond(L, Q);
        Q->depth--;
        if (!n)
            return NULL;
        if (L->t.type != T_RP) {
            unexpected(L);
            return NULL;
        }
        lex_next(L);
        return n;
    }
    return parse_comparison(L, Q);
}

static node_t *parse_cond(lex_t *L, query_t *Q)
{
    node_t *left = parse_factor(L, Q);
    int conj = -1;
    while (left && (tok_is(&L->t, "AND") || tok_is(&L->t, "OR"))) {
        int k = tok_is(&L->t, "AND") ? N_AND : N_OR;
        if (conj >= 0 && k != conj) {
            unexpected(L); /* SOQL needs parentheses to mix AND and OR */
            return NULL;
        }
        conj = k;
        lex_next(L);
        node_t *n = new_node(Q, k);
        if (!n) {
            soql_error(L, L->t.pos, "MALFORMED_QUERY", "Query is too complicated");
            return NULL;
        }
        n->a = left;
        n->b = parse_factor(L, Q);
        if (!n->b)
            return NULL;
        left = n;
    }
    return left;
}

static int parse_int_clause(lex_t *L, int64_t *out)
{
    lex_next(L);
    if (L->t.type != T_NUMBER) {
        unexpected(L);
        return -1;
    }
    char buf[24];
    snprintf(buf, sizeof buf, "%.*s", (int)(L->t.n < 20 ? L->t.n : 20), L->t.s);
    if (fk_parse_i64(buf, out) || *out < 0) {
        unexpected(L);
        return -1;
    }
    lex_next(L);
    return 0;
}

static int parse_order(lex_t *L, query_t *Q)
{
    lex_next(L);
    if (!tok_is(&L->t, "BY")) {
        unexpected(L);
        return -1;
    }
    lex_next(L);
    for (;;) {
        if (Q->norder == 8) {
            unexpected(L);
            return -1;
        }
        order_t *o = &Q->order[Q->norder];
        if (!(o->fd = expect_field(L, Q)))
            return -1;
        o->desc = 0;
        if (tok_is(&L->t, "ASC") || tok_is(&L->t, "DESC")) {
            o->desc = tok_is(&L->t, "DESC");
            lex_next(L);
        }
        o->nulls_last = o->desc;
        if (tok_is(&L->t, "NULLS")) {
            lex_next(L);
            if (!tok_is(&L->t, "FIRST") && !tok_is(&L->t, "LAST")) {
                unexpected(L);
                return -1;
            }
            o->nulls_last = tok_is(&L->t, "LAST");
            lex_next(L);
        }
        Q->norder++;
        if (L->t.type != T_COMMA)
            return 0;
        lex_next(L);
    }
}

static int parse_select_list(lex_t *L, query_t *Q, size_t *field_pos, int *nfp)
{
    *nfp = 0;
    lex_next(L);
    if (tok_is(&L->t, "COUNT")) {
        lex_next(L);
        if (L->t.type != T_LP)
            return unexpected(L), -1;
        lex_next(L);
        if (L->t.type != T_RP)
            return unexpected(L), -1;
        lex_next(L);
        Q->count_only = 1;
        return 0;
    }
    for (;;) {
        if (L->t.type != T_IDENT || tok_is(&L->t, "FROM") || *nfp == 128)
            return unexpected(L), -1;
        field_pos[(*nfp)++] = L->t.pos;
        lex_next(L);
        if (L->t.type != T_COMMA)
            return 0;
        lex_next(L);
    }
}

/* Parses the whole query into Q. Field names are resolved once FROM is known. */
static int soql_parse(lex_t *L, query_t *Q)
{
    size_t field_pos[128];
    int nfp;
    memset(Q, 0, sizeof *Q);
    Q->limit = -1;
    lex_next(L);
    if (!tok_is(&L->t, "SELECT"))
        return unexpected(L), -1;
    if (parse_select_list(L, Q, field_pos, &nfp))
        return -1;
    if (!tok_is(&L->t, "FROM"))
        return unexpected(L), -1;
    lex_next(L);
    if (L->t.type != T_IDENT)
        return unexpected(L), -1;
    char obj[128];
    snprintf(obj, sizeof obj, "%.*s", (int)(L->t.n < 127 ? L->t.n : 127), L->t.s);
    Q->obj = fk_sf_obj_from_name(obj);
    if (Q->obj < 0) {
        soql_error(L, L->t.pos, "INVALID_TYPE", "sObject type '%s' is not supported. If you are attempting to use a "
                   "custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or "
                   "the describe call for the appropriate names.", obj);
        return -1;
    }
    size_t after_from = L->i;
    for (int i = 0; i < nfp; i++) {
        L->i = field_pos[i];
        lex_next(L);
        const fk_sf_field_t *fd = expect_field(L, Q);
        if (!fd)
            return -1;
        Q->fields[Q->nfields++] = fd;
    }
    L->i = after_from;
    lex_next(L);
    if (tok_is(&L->t, "WHERE")) {
        lex_next(L);
        if (!(Q->where = parse_cond(L, Q)))
            return -1;
    }
    if (tok_is(&L->t, "ORDER") && parse_order(L, Q))
        return -1;
    if (tok_is(&L->t, "LIMIT") && parse_int_clause(L, &Q->limit))
        return -1;
    if (tok_is(&L->t, "OFFSET") && parse_int_clause(L, &Q->offset))
        return -1;
    if (L->t.type != T_END)
        return unexpected(L), -1;
    if (Q->offset > 2000) {
        soql_error(L, 0, "NUMBER_OUTSIDE_VALID_RANGE", "Maximum SOQL offset allowed is 2000");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------------ evaluation */
/* LIKE: % is any run, _ exactly one character (code point); a backslash makes the next character literal (see
 * unescape()). Case as for =. Iterative with one backtrack point: O(len(p) * len(s)). */
static int like_match(const char *p, const char *s, int cs)
{
    const char *star_p = NULL, *star_s = NULL;
    while (*s) {
        if (*p == '%') {
            star_p = ++p;
            star_s = s;
            continue;
        }
        uint32_t pc = 0, sc;
        int literal = *p == '\\' && p[1];
        const char *pn = *p ? fk_utf8_next(p + literal, &pc) : NULL;
        const char *sn = fk_utf8_next(s, &sc);
        if (pn && ((!literal && pc == '_') || pc == sc || (!cs && fk_fold_cp(pc) == fk_fold_cp(sc)))) {
            p = pn;
            s = sn;
            continue;
        }
        if (!star_p)
            return 0;
        p = star_p;
        s = star_s = fk_utf8_next(star_s, &sc);
    }
    while (*p == '%')
        p++;
    return *p == '\0';
}

/* compares a record value with a literal; *isnull set when the record value is null */
static int cmp_field(const fk_rec_t *r, const fk_sf_field_t *fd, const sval_t *v, int *isnull)
{
    cJSON *x = fk_sf_field_value(r, fd);
    int c = 0;
    *isnull = cJSON_IsNull(x);
    if (!*isnull) {
        if (v->kind == V_DT || v->kind == V_DATE) {
            int64_t ms = 0;
            fk_parse_iso(x->valuestring, &ms, NULL);
            c = (ms > v->ms) - (ms < v->ms);
        } else if (v->kind == V_NUM) {
            c = (x->valuedouble > v->num) - (x->valuedouble < v->num);
        } else if (v->kind == V_BOOL) {
            c = cJSON_IsTrue(x) != (v->num != 0);
        } else if (v->kind == V_STR && cJSON_IsString(x)) {
            char canon[19];
            const char *lit = v->str;
            if ((fd->type == 'i' || fd->type == 'r') && fk_sf_canon_id(v->str, canon) == 0)
                lit = canon;
            /* ids compare case-sensitively (15/18-char ids differ by case), so Id order is creation order; so do
             * unique case-sensitive fields (SOQL and SOSL Reference, Comparison Operators) */
            c = (fd->type == 'i' || fd->type == 'r' || fd->casesensitive) ? strcmp(x->valuestring, lit)
                                                                           : fk_utf8_casecmp(x->valuestring, lit);
        }
    }
    cJSON_Delete(x);
    return c;
}

static int eval(const node_t *n, const fk_rec_t *r)
{
    switch (n->kind) {
    case N_AND: return eval(n->a, r) && eval(n->b, r);
    case N_OR: return eval(n->a, r) || eval(n->b, r);
    case N_NOT: return !eval(n->a, r);
    default: break;
    }
    int isnull, c;
    if (n->op == OP_IN || n->op == OP_NIN) {
        int hit = 0;
        for (int i = 0; i < n->nvals && !hit; i++) {
            c = cmp_field(r, n->fd, &n->vals[i], &isnull);
            hit = n->vals[i].kind == V_NULL ? isnull : (!isnull && c == 0);
        }
        return n->op == OP_IN ? hit : !hit;
    }
    const sval_t *v = &n->vals[0];
    if (v->kind == V_NULL) {
        cmp_field(r, n->fd, v, &isnull);
        return n->op == OP_EQ ? isnull : !isnull;
    }
    if (n->op == OP_LIKE) {
        cJSON *x = fk_sf_field_value(r, n->fd);
        int m = cJSON_IsString(x) && like_match(v->str, x->valuestring, n->fd->casesensitive);
        cJSON_Delete(x);
        return m;
    }
    c = cmp_field(r, n->fd, v, &isnull);
    if (isnull)
        return n->op == OP_NE;
    switch (n->op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_GT: return c > 0;
    case OP_LE: return c <= 0;
    default: return c >= 0;
    }
}

static const query_t *g_sortq;

static int order_cmp(const void *pa, const void *pb)
{
    const fk_rec_t *a = *(fk_rec_t *const *)pa, *b = *(fk_rec_t *const *)pb;
    for (int i = 0; i < g_sortq->norder; i++) {
        const order_t *o = &g_sortq->order[i];
        cJSON *x = fk_sf_field_value(a, o->fd), *y = fk_sf_field_value(b, o->fd);
        int c = 0, xn = cJSON_IsNull(x), yn = cJSON_IsNull(y);
        if (xn || yn) {
            c = xn == yn ? 0 : (xn ? -1 : 1) * (o->nulls_last ? -1 : 1);
        } else {
            if (cJSON_IsNumber(x))
                c = (x->valuedouble > y->valuedouble) - (x->valuedouble < y->valuedouble);
            else if (cJSON_IsBool(x))
                c = cJSON_IsTrue(x) - cJSON_IsTrue(y);
            else if (strchr("td", o->fd->type)) {
                int64_t mx = 0, my = 0;
                fk_parse_iso(x->valuestring, &mx, NULL);
                fk_parse_iso(y->valuestring, &my, NULL);
                c = (mx > my) - (mx < my);
            } else if (o->fd->type == 'i' || o->fd->type == 'r' || o->fd->casesensitive)
                c = strcmp(x->valuestring, y->valuestring);
            else
                c = fk_utf8_casecmp(x->valuestring, y->valuestring);
            if (o->desc)
                c = -c;
        }
        cJSON_Delete(x);
        cJSON_Delete(y);
        if (c)
            return c;
    }
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* ------------------------------------------------------------------------------------------------ cursors */
typedef struct {
    char id[19];
    int obj;
    fk_rec_t **recs;
    size_t n;
    const fk_sf_field_t **fields;
    int nfields;
    long batch;
    uint64_t serial;
} cursor_t;

typedef struct {
    cursor_t *c[MAX_CURSORS];
    uint64_t serial;
} cursors_t;

void fk_soql_cursors_clear(void)
{
    cursors_t *cs = G.cursors;
    if (!cs)
        return;
    for (int i = 0; i < MAX_CURSORS; i++) {
        if (cs->c[i]) {
            free(cs->c[i]->recs);
            free(cs->c[i]->fields);
            free(cs->c[i]);
        }
    }
    free(cs);
    G.cursors = NULL;
}

static cursor_t *cursor_new(void)
{
    if (!G.cursors) {
        G.cursors = calloc(1, sizeof(cursors_t));
        if (!G.cursors)
            abort();
    }
    cursors_t *cs = G.cursors;
    int slot = 0;
    for (int i = 0; i < MAX_CURSORS; i++) {
        if (!cs->c[i]) {
            slot = i;
            break;
        }
        if (cs->c[i]->serial < cs->c[slot]->serial)
            slot = i;
    }
    if (cs->c[slot]) {
        free(cs->c[slot]->recs);
        free(cs->c[slot]->fields);
        free(cs->c[slot]);
    }
    cursor_t *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->serial = ++cs->serial;
    fk_sf_make_id("01g", c->serial + 1000, c->id);
    cs->c[slot] = c;
    return c;
}

static cursor_t *cursor_find(const char *id)
{
    cursors_t *cs = G.cursors;
    for (int i = 0; cs && i < MAX_CURSORS; i++)
        if (cs->c[i] && strcmp(cs->c[i]->id, id) == 0)
            return cs->c[i];
    return NULL;
}

static long batch_size(const fk_req_t *rq, long dflt)
{
    const char *h = fk_header(rq, "Sforce-Query-Options");
    const char *p = h ? strcasestr(h, "batchSize=") : NULL;
    if (!p)
        return dflt;
    long b = strtol(p + 10, NULL, 10);
    return b < 200 ? 200 : b > 2000 ? 2000 : b;
}

static void send_page(const fk_req_t *rq, fk_resp_t *rs, const char *ver, cursor_t *c, size_t offset, long batch)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "totalSize", (double)c->n);
    size_t end = offset + (size_t)batch < c->n ? offset + (size_t)batch : c->n;
    cJSON_AddBoolToObject(o, "done", end >= c->n);
    if (end < c->n) {
        char url[128];
        snprintf(url, sizeof url, "/services/data/%s/query/%s-%zu", ver, c->id, end);
        cJSON_AddStringToObject(o, "nextRecordsUrl", url);
    }
    cJSON *arr = cJSON_AddArrayToObject(o, "records");
    const char *names[128];
    for (int i = 0; i < c->nfields; i++)
        names[i] = c->fields[i]->name;
    for (size_t i = offset; i < end; i++)
        cJSON_AddItemToArray(arr, fk_sf_render(c->recs[i], ver, names, c->nfields));
    (void)rq;
    fk_resp_json(rs, 200, o);
}

static void query_more(fk_req_t *rq, fk_resp_t *rs, const char *ver, const char *locator)
{
    const char *dash = strrchr(locator, '-');
    char id[32];
    int64_t off = -1;
    if (dash && (size_t)(dash - locator) < sizeof id) {
        memcpy(id, locator, (size_t)(dash - locator));
        id[dash - locator] = '\0';
        if (fk_parse_i64(dash + 1, &off))
            off = -1;
    }
    cursor_t *c = off >= 0 ? cursor_find(id) : NULL;
    if (!c || (size_t)off > c->n) {
        fk_sf_error(rs, 400, "INVALID_QUERY_LOCATOR", "invalid query locator", NULL);
        return;
    }
    c->serial = ++((cursors_t *)G.cursors)->serial;
    send_page(rq, rs, ver, c, (size_t)off, batch_size(rq, c->batch));
}

void fk_sf_query(fk_req_t *rq, fk_resp_t *rs, const char *ver, int all, const char *locator)
{
    if (locator) {
        query_more(rq, rs, ver, locator);
        return;
    }
    const char *q = fk_query(rq, "q");
    if (!q || !*q) {
        fk_sf_error(rs, 400, "MALFORMED_QUERY", "A query string has to be specified", NULL);
        return;
    }
    if (strlen(q) > 100000) {
        fk_sf_error(rs, 400, "MALFORMED_QUERY", "Query is too long", NULL);
        return;
    }
    lex_t L = {.q = q};
    query_t Q;
    if (soql_parse(&L, &Q)) {
        fk_sf_error(rs, 400, L.code, L.msg, NULL);
        query_free(&Q);
        return;
    }
    const fk_table_t *t = &G.sf[Q.obj];
    fk_rec_t **hits = fk_xmalloc((t->n + 1) * sizeof *hits);
    size_t nh = 0;
    for (size_t i = 0; i < t->n; i++)
        if ((!t->v[i]->deleted || (all && !fk_rec_purged(t->v[i]))) && (!Q.where || eval(Q.where, t->v[i])))
            hits[nh++] = t->v[i];
    if (Q.norder) {
        g_sortq = &Q;
        qsort(hits, nh, sizeof *hits, order_cmp);
    }
    size_t from = (size_t)Q.offset < nh ? (size_t)Q.offset : nh;
    size_t cnt = nh - from;
    if (Q.limit >= 0 && (size_t)Q.limit < cnt)
        cnt = (size_t)Q.limit;
    if (Q.count_only) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "totalSize", (double)cnt);
        cJSON_AddBoolToObject(o, "done", 1);
        cJSON_AddArrayToObject(o, "records");
        fk_resp_json(rs, 200, o);
        free(hits);
        query_free(&Q);
        return;
    }
    cursor_t tmp = {0}, *c = &tmp;
    long batch = batch_size(rq, 2000);
    if (cnt > (size_t)batch)
        c = cursor_new();
    c->obj = Q.obj;
    c->n = cnt;
    c->recs = fk_xmalloc((cnt + 1) * sizeof *c->recs);
    memcpy(c->recs, hits + from, cnt * sizeof *hits);
    c->fields = fk_xmalloc((size_t)(Q.nfields + 1) * sizeof *c->fields);
    memcpy(c->fields, Q.fields, (size_t)Q.nfields * sizeof *Q.fields);
    c->nfields = Q.nfields;
    c->batch = batch;
    send_page(rq, rs, ver, c, 0, batch);
    if (c == &tmp) {
        free(tmp.recs);
        free(tmp.fields);
    }
    free(hits);
    query_free(&Q);
    (void)all;
}
