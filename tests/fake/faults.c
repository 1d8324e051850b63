/*
 * faults.c -- fault injection (--fault-rate/--faults, POST /__fake/faults).
 *
 * A fault is drawn for each provider API request (and token request when "token":true) with probability
 * `rate`, uniformly among the enabled kinds. With "when":"before" the request is not processed at all (no
 * write, no budget used); with "when":"after" it is processed completely (writes applied, budgets used) and
 * then its response is replaced (429/500/503/badjson) or lost (reset/timeout).
 *
 *   429      HubSpot: 429 TEN_SECONDLY_ROLLING body; Salesforce has no 429 on its REST API (PROTOCOL A10), so
 *            there it is its throttling answer, 403 REQUEST_LIMIT_EXCEEDED.
 *   500/503  the provider's error shape with that status.
 *   reset    the connection is closed with no response.
 *   timeout  the connection is held open for --fault-timeout-ms (30 s default), then closed with no response;
 *            shutdown ends the hold at once.
 *   badjson  200 with the first half of the JSON body ("after": of the real body).
 *   477      HubSpot only (Salesforce requests never draw it): 477 Migration in Progress with Retry-After in
 *            seconds ("retry_after", --fault-retry-after, 1 by default), the only HubSpot status whose
 *            Retry-After is documented (HS-DOC error-handling: "HubSpot will return a Retry-After response
 *            header indicating how many seconds to wait before retrying the request (typically up to 24
 *            hours)"). A 429 fault on a HubSpot token endpoint carries Retry-After too (PostHog PR #64726 saw
 *            Retry-After in seconds on /oauth/v1/token 429s); /crm 429s carry none (B8).
 */
#include "fake.h"

#include <stdlib.h>
#include <string.h>

const char *const fk_fault_names[FK_NFAULTS] = {"429", "500", "503", "reset", "timeout", "badjson", "477"};

int fk_faults_parse_list(const char *list, int enabled[FK_NFAULTS])
{
    memset(enabled, 0, FK_NFAULTS * sizeof *enabled);
    char *copy = fk_xstrdup(list), *save = NULL;
    int bad = 0;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        int k;
        for (k = 0; k < FK_NFAULTS; k++)
            if (strcmp(t, fk_fault_names[k]) == 0)
                break;
        if (k == FK_NFAULTS)
            bad = 1;
        else
            enabled[k] = 1;
    }
    free(copy);
    return bad ? -1 : 0;
}

void fk_faults_from_opts(void)
{
    memset(&G.faults, 0, sizeof G.faults);
    G.faults.rate = G.o.fault_rate;
    G.faults.retry_after_s = G.o.fault_retry_after_s;
    fk_faults_parse_list(G.o.faults, G.faults.enabled);
}

int fk_fault_pick(const fk_req_t *rq)
{
    if (G.faults.rate <= 0)
        return -1;
    if (!rq->api_route && !(rq->token_route && G.faults.tokens))
        return -1;
    int kinds[FK_NFAULTS], n = 0;
    for (int k = 0; k < FK_NFAULTS; k++)
        if (G.faults.enabled[k] && !(k == FK_F_477 && rq->provider != FK_P_HUBSPOT))
            kinds[n++] = k;
    if (n == 0 || fk_rand01() >= G.faults.rate)
        return -1;
    return kinds[fk_rand() % (uint64_t)n];
}

void fk_fault_apply(const fk_req_t *rq, fk_resp_t *rs, int fault, int after)
{
    G.st.faults[fault]++;
    int hs = rq->provider == FK_P_HUBSPOT;
    switch (fault) {
    case FK_F_429:
        if (hs) {
            char cid[37], rid[37];
            fk_uuid(cid);
            fk_uuid(rid);
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "status", "error");
            cJSON_AddStringToObject(j, "message", "You have reached your ten_secondly_rolling limit.");
            cJSON_AddStringToObject(j, "errorType", "RATE_LIMIT");
            cJSON_AddStringToObject(j, "correlationId", cid);
            cJSON_AddStringToObject(j, "policyName", "TEN_SECONDLY_ROLLING");
            cJSON_AddStringToObject(j, "requestId", rid);
            fk_resp_json(rs, 429, j);
            if (rq->token_route)
                fk_resp_header(rs, "Retry-After", "%ld", G.faults.retry_after_s);
        } else {
            fk_sf_error(rs, 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", NULL);
        }
        break;
    case FK_F_500:
    case FK_F_503: {
        int st = fault == FK_F_500 ? 500 : 503;
        if (hs)
            fk_hs_error(rs, st, st == 500 ? "INTERNAL_ERROR" : "SERVICE_UNAVAILABLE",
                        st == 500 ? "internal error" : "Service Unavailable", NULL);
        else
            fk_sf_error(rs, st, st == 500 ? "UNKNOWN_EXCEPTION" : "SERVER_UNAVAILABLE",
                        st == 500 ? "An unexpected error occurred. Please include this ErrorId if you contact "
                                    "support: 1234567890-12345 (-1234567890)"
                                  : "Server temporarily unavailable",
                        NULL);
        break;
    }
    case FK_F_RESET:
        rs->action = FK_ACT_RESET;
        break;
    case FK_F_TIMEOUT:
        rs->action = FK_ACT_HOLD_CLOSE;
        rs->hold_ms = G.o.fault_timeout_ms;
        break;
    case FK_F_BADJSON: {
        char *full = (after && rs->body && rs->len > 1)
                         ? fk_xstrdup(rs->body)
                         : fk_xstrdup(hs ? "{\"id\":\"0\",\"properties\":{\"hs_object_id\":\"0\"},\"archived\":false}"
                                         : "[{\"attributes\":{\"type\":\"Contact\"},\"Id\":null}]");
        full[strlen(full) / 2] = '\0';
        fk_resp_set(rs, 200, full, "application/json;charset=UTF-8");
        break;
    }
    case FK_F_477:
        fk_hs_error(rs, 477, "MIGRATION_IN_PROGRESS",
                    "This account is being migrated between data hosting locations. Retry after the Retry-After delay.",
                    NULL);
        fk_resp_header(rs, "Retry-After", "%ld", G.faults.retry_after_s);
        break;
    default:
        break;
    }
}
