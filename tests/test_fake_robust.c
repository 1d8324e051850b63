/*
 * test_fake_robust.c -- unicrm-fake must never crash: garbage bytes, malformed HTTP, huge headers and URLs,
 * oversized bodies (413), and random JSON thrown at every provider endpoint; afterwards it still answers and
 * exits 0 on SIGTERM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "helpers/fake_test.h"

static ucrm_fake_t *F;
static unsigned RNG = 12345;

static unsigned rnd(void)
{
    RNG = RNG * 1103515245u + 12345u;
    return (RNG >> 8) & 0xffffff;
}

static int group_setup(void **state)
{
    F = fake_start("--seed", "20", "--hubspot-rate", "1000000/10000", "--hubspot-search-rate", "1000000/1000", NULL);
    *state = F;
    return F ? 0 : -1;
}

/* Sends raw bytes on a fresh connection, returns what came back (up to cap-1 bytes) */
static size_t raw(const char *data, size_t n, char *out, size_t cap)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)fake_port(F));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {0, 400000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
    size_t off = 0;
    while (off < n) {
        ssize_t k = send(s, data + off, n - off, MSG_NOSIGNAL);
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    shutdown(s, SHUT_WR);
    size_t got = 0;
    for (;;) {
        ssize_t k = recv(s, out + got, cap - 1 - got, 0);
        if (k <= 0 || got + (size_t)k >= cap - 1) {
            if (k > 0)
                got += (size_t)k;
            break;
        }
        got += (size_t)k;
    }
    out[got] = '\0';
    close(s);
    return got;
}

static void still_alive(void)
{
    cJSON *s = t_call(F, "GET", "/__fake/stats", NULL, NULL, 200);
    assert_true(t_num(s, "requests.total") > 0);
    cJSON_Delete(s);
    cJSON_Delete(t_call(F, "GET", "/crm/v3/objects/contacts?limit=1", T_PAT, NULL, 200));
}

static void test_fake_robust__malformed_http(void **state)
{
    (void)state;
    char out[4096];
    static const char *const reqs[] = {
        "GARBAGE\r\n\r\n",
        "GET\r\n\r\n",
        "GET / HTTP/9.9\r\n\r\n",
        "GET /crm/v3/objects/contacts HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        "POST /crm/v3/objects/contacts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
        "GET /%zz%00%ff/../.. HTTP/1.1\r\nHost: x\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        "GET /crm/v3/objects/contacts/%00 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer pat-test\r\n\r\n",
        "GET /services/data/v59.0/query/?q=%27%27%27%27 HTTP/1.1\r\nHost: x\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof reqs / sizeof *reqs; i++)
        raw(reqs[i], strlen(reqs[i]), out, sizeof out);
    /* a huge header block and a huge URL */
    size_t big = 200000;
    char *b = malloc(big + 256);
    int n = sprintf(b, "GET /crm/v3/objects/contacts HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(b + n, 'a', big);
    strcpy(b + n + big, "\r\n\r\n");
    raw(b, strlen(b), out, sizeof out);
    assert_true(strncmp(out, "HTTP/1.1 4", 10) == 0 || out[0] == '\0');
    n = sprintf(b, "GET /crm/v3/objects/contacts/");
    memset(b + n, '9', big);
    strcpy(b + n + big, " HTTP/1.1\r\nHost: x\r\n\r\n");
    raw(b, strlen(b), out, sizeof out);
    assert_true(strncmp(out, "HTTP/1.1 4", 10) == 0 || out[0] == '\0');
    free(b);
    /* a body announced bigger than 16 MiB is refused with 413 before it is sent */
    const char *huge = "POST /crm/v3/objects/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer pat-test\r\n"
                       "Content-Type: application/json\r\nContent-Length: 20000000\r\n\r\n{";
    raw(huge, strlen(huge), out, sizeof out);
    assert_memory_equal(out, "HTTP/1.1 413", 12);
    still_alive();
}

static void test_fake_robust__oversized_chunked_body(void **state)
{
    (void)state;
    size_t n = 17u * 1024 * 1024;
    char *body = malloc(n);
    memset(body, ' ', n);
    body[0] = '{';
    body[n - 1] = '}';
    const char *h[] = {"Authorization: Bearer pat-test", "Content-Type: application/json", "Transfer-Encoding: chunked",
                       NULL};
    long st;
    char *r = fake_request_full(F, "POST", "/crm/v3/objects/contacts", h, body, n, 30000, &st, NULL);
    free(body);
    free(r);
    assert_int_equal(st, 413);
    still_alive();
}

static const char *const PATHS[] = {
    "/crm/v3/objects/contacts", "/crm/v3/objects/companies/10002", "/crm/v3/objects/deals/search",
    "/crm/v3/objects/contacts/batch/create", "/crm/v3/objects/contacts/batch/upsert", "/crm/v3/objects/deals/batch/read",
    "/crm/v4/associations/contacts/companies/batch/create", "/crm/v4/objects/contacts/10001/associations/companies/10002",
    "/services/data/v59.0/sobjects/Contact", "/services/data/v59.0/composite/sobjects",
    "/services/data/v59.0/composite/sobjects/Contact/Id", "/services/data/v59.0/query/?q=SELECT+Id+FROM+Contact+WHERE+",
    "/oauth/v1/token", "/services/oauth2/token", "/__fake/faults", "/__fake/records/hubspot/deals", "/__fake/clock",
};
static const char *const METHODS[] = {"GET", "POST", "PATCH", "PUT", "DELETE"};

static void rand_json(char *out, size_t cap, int depth)
{
    static const char *const atoms[] = {"null", "true", "1e309", "-0", "\"\"", "\"\\u0000\"", "\"x\"", "12345678901234567890",
                                        "\"2024-13-45\"", "\"associations.contact\"", "{}", "[]", "\"EQ\""};
    static const char *const keys[] = {"properties", "inputs", "filterGroups", "filters", "operator", "records",
                                       "attributes", "type", "id", "value", "values", "email", "LastName", "limit",
                                       "after", "sorts", "to", "types", "associationTypeId", "rate", "faults"};
    size_t len = strlen(out);
    if (len + 64 >= cap)
        return;
    unsigned k = rnd() % 10;
    if (depth > 4 || k < 4) {
        strcat(out, atoms[rnd() % (sizeof atoms / sizeof *atoms)]);
    } else if (k < 7) {
        strcat(out, "{");
        int n = (int)(rnd() % 4);
        for (int i = 0; i < n && strlen(out) + 64 < cap; i++) {
            if (i)
                strcat(out, ",");
            sprintf(out + strlen(out), "\"%s\":", keys[rnd() % (sizeof keys / sizeof *keys)]);
            rand_json(out, cap, depth + 1);
        }
        strcat(out, "}");
    } else {
        strcat(out, "[");
        int n = (int)(rnd() % 4);
        for (int i = 0; i < n && strlen(out) + 64 < cap; i++) {
            if (i)
                strcat(out, ",");
            rand_json(out, cap, depth + 1);
        }
        strcat(out, "]");
    }
}

static void test_fake_robust__random_requests(void **state)
{
    (void)state;
    char *tok = fake_salesforce_token(F);
    char sf[400];
    snprintf(sf, sizeof sf, "Authorization: Bearer %s", tok);
    free(tok);
    int answered = 0;
    for (int i = 0; i < 600; i++) {
        char body[2048] = "";
        rand_json(body, sizeof body, 0);
        if (rnd() % 5 == 0)
            body[rnd() % (strlen(body) + 1)] = '\0'; /* truncated */
        const char *path = PATHS[rnd() % (sizeof PATHS / sizeof *PATHS)];
        const char *h[] = {strncmp(path, "/services", 9) == 0 ? sf : "Authorization: Bearer pat-test",
                           "Content-Type: application/json", NULL};
        char p2[512];
        snprintf(p2, sizeof p2, "%s%s", path, rnd() % 3 == 0 ? "?limit=-1&after=%ff&properties=,,,&fields=Id,,x" : "");
        long st;
        const char *m = METHODS[rnd() % 5];
        if (strncmp(path, "/__fake/faults", 14) == 0 || strncmp(path, "/__fake/clock", 13) == 0)
            m = "GET"; /* keep faults off and the clock where it is */
        char *r = fake_request_full(F, m, p2, h, body, strlen(body), 10000, &st, NULL);
        if (st >= 200 && st < 600)
            answered++;
        free(r);
    }
    assert_int_equal(answered, 600);
    still_alive();
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Inputs that would blow the stack or take exponential time in a naive parser or matcher. */
static void test_fake_robust__pathological_patterns(void **state)
{
    (void)state;
    size_t big = 60000;
    char *v = malloc(big + 64);
    memset(v, 'a', big);
    v[big] = '\0';
    char *body = malloc(big + 256);
    sprintf(body, "[{\"LastName\":\"%s\"}]", v);
    long st;
    free(fake_request(F, "POST", "/__fake/records/salesforce/Contact", body, &st));
    assert_int_equal(st, 201);
    sprintf(body, "[{\"firstname\":\"%s\"}]", v);
    free(fake_request(F, "POST", "/__fake/records/hubspot/contacts", body, &st));
    assert_int_equal(st, 201);
    free(body);
    char *tok = fake_salesforce_token(F);
    char line[400];
    const char *h[3];
    t_bearer(tok, line, sizeof line, h);
    free(tok);
    double t0 = now_s();
    /* LIKE '%a%a%...%b' against 60,000 a's */
    char q[4096] = "/services/data/v59.0/query/?q=SELECT+Id+FROM+Contact+WHERE+LastName+LIKE+'";
    for (int i = 0; i < 40; i++)
        strcat(q, "%25a");
    strcat(q, "%25b'");
    cJSON *j = t_call(F, "GET", q, h, NULL, 200);
    assert_int_equal((int)t_num(j, "totalSize"), 0);
    cJSON_Delete(j);
    /* CONTAINS_TOKEN '*a*a*...*b' against the same */
    char sb[1024] = "{\"filterGroups\":[{\"filters\":[{\"propertyName\":\"firstname\",\"operator\":\"CONTAINS_TOKEN\",\"value\":\"";
    for (int i = 0; i < 40; i++)
        strcat(sb, "*a");
    strcat(sb, "*b\"}]}]}");
    j = t_call(F, "POST", "/crm/v3/objects/contacts/search", T_PAT, sb, 200);
    assert_int_equal((int)t_num(j, "total"), 0);
    cJSON_Delete(j);
    assert_true(now_s() - t0 < 10.0);
    /* 20,000 nested parentheses and 20,000 NOTs: refused, not a stack overflow */
    size_t n = 20000;
    char *deep = malloc(n * 6 + 256);
    strcpy(deep, "/services/data/v59.0/query/?q=SELECT+Id+FROM+Contact+WHERE+");
    size_t w = strlen(deep);
    memset(deep + w, '(', n);
    strcpy(deep + w + n, "Email='x'");
    w = strlen(deep);
    memset(deep + w, ')', n);
    deep[w + n] = '\0';
    j = t_call(F, "GET", deep, h, NULL, 400);
    assert_string_equal(t_str(j, "0.errorCode"), "MALFORMED_QUERY");
    cJSON_Delete(j);
    strcpy(deep, "/services/data/v59.0/query/?q=SELECT+Id+FROM+Contact+WHERE+");
    w = strlen(deep);
    for (size_t i = 0; i < n / 4; i++, w += 4) /* 20 kB: the URL must stay under the 64 kB header memory */
        memcpy(deep + w, "NOT+", 4);
    strcpy(deep + w, "Email='x'");
    j = t_call(F, "GET", deep, h, NULL, 400);
    assert_string_equal(t_str(j, "0.errorCode"), "MALFORMED_QUERY");
    cJSON_Delete(j);
    free(deep);
    free(v);
    still_alive();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fake_robust__malformed_http),
        cmocka_unit_test(test_fake_robust__oversized_chunked_body),
        cmocka_unit_test(test_fake_robust__random_requests),
        cmocka_unit_test(test_fake_robust__pathological_patterns),
    };
    return cmocka_run_group_tests(tests, group_setup, t_fake_stop);
}
