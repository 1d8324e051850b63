/*
 * record_bench.c -- how long an adapter takes to build a record from a provider response: a HubSpot contact
 * with 12 properties (id, names, email, title, owner, lifecycle stage, two date-times, archived, three custom
 * properties) through ucrm_record__new_sized/set_id_n/put_*, then destroyed. Not run by make check.
 *
 *   make bench-build && build/plain/bench/record_bench [records]      (also run by make bench)
 *
 * Prints ns/record for building (the adapter's hot path), and for reference for to_json and new_from_json.
 */
#include "bench.h"
#include "record_int.h"

#include <stdio.h>
#include <stdlib.h>

static const struct prop {
    const char *name;
    ucrm_field_type_t type;
    const char *value;
} props[] = {
    {"first_name", UCRM_FIELD_STRING, "Ada"},
    {"last_name", UCRM_FIELD_STRING, "Lovelace"},
    {"email", UCRM_FIELD_STRING, "ada.lovelace@example.com"},
    {"title", UCRM_FIELD_STRING, "Analyst"},
    {"owner_id", UCRM_FIELD_STRING, "81526364"},
    {"lifecycle_stage", UCRM_FIELD_STRING, "customer"},
    {"created_at", UCRM_FIELD_DATETIME, "2024-05-01T12:00:00.123Z"},
    {"updated_at", UCRM_FIELD_DATETIME, "2024-06-11T08:30:15.250Z"},
    {"custom.hs_lead_status", UCRM_FIELD_STRING, "OPEN"},
    {"custom.company_size", UCRM_FIELD_STRING, "51-200"},
    {"custom.hs_analytics_source", UCRM_FIELD_STRING, "ORGANIC_SEARCH"},
};

static double now_ns(void) { return bench_now_us() * 1e3; }

static ucrm_record_t *build(void) {
    ucrm_record_t *r;
    if (ucrm_record__new_sized(&r, UCRM_OBJECT_CONTACT, 12) != UCRM_OK ||
        ucrm_record__set_id_n(r, "51", 2) != UCRM_OK)
        abort();
    for (size_t k = 0; k < sizeof props / sizeof *props; k++)
        if (ucrm_record__put_str(r, props[k].name, props[k].type, props[k].value, strlen(props[k].value)) !=
            UCRM_OK)
            abort();
    if (ucrm_record__put_bool(r, "is_deleted", false) != UCRM_OK)
        abort();
    return r;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    if (n <= 0)
        n = 1000000;
    for (long i = 0; i < n / 10; i++) /* warm up */
        ucrm_record_destroy(build());

    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        ucrm_record_destroy(build());
    double build_ns = (now_ns() - t0) / (double)n;

    ucrm_record_t *r = build();
    char *json = NULL;
    long m = n / 4 > 0 ? n / 4 : 1;
    t0 = now_ns();
    for (long i = 0; i < m; i++) {
        ucrm_free(json);
        if (ucrm_record_to_json(r, &json) != UCRM_OK)
            abort();
    }
    double to_json_ns = (now_ns() - t0) / (double)m;
    size_t len = strlen(json);
    t0 = now_ns();
    for (long i = 0; i < m; i++) {
        ucrm_record_t *p;
        if (ucrm_record_new_from_json(&p, UCRM_OBJECT_CONTACT, json, len, NULL) != UCRM_OK)
            abort();
        ucrm_record_destroy(p);
    }
    double from_json_ns = (now_ns() - t0) / (double)m;
    ucrm_free(json);
    ucrm_record_destroy(r);

    printf("build (new_sized + id + 12 put_* + destroy): %8.1f ns/record  (%ld records)\n", build_ns, n);
    printf("ucrm_record_to_json (%zu bytes):            %8.1f ns/record\n", len, to_json_ns);
    printf("ucrm_record_new_from_json + destroy:          %8.1f ns/record\n", from_json_ns);
    return 0;
}
