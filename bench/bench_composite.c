/* bench_composite.c — GetCompositeSchedule over a 24-hour window with 100
 * installed charging profiles (issue 5: "answers in under 1 ms inside the
 * controller"). Prints Markdown table rows like bench_auth.
 *
 * The 100 profiles are a worst case the store accepts with 8 connectors:
 * a ChargePointMaxProfile at each of 9 stack levels, a TxDefaultProfile at
 * each of 9 levels on each of connectors 0..8 (81), and 10 TxProfiles on
 * connectors with a running transaction; Daily and Weekly recurring with
 * 48 half-hour periods, Absolute and Relative, validFrom/validTo, W and A
 * mixed. Measured: the whole operation (get_composite_schedule: request
 * JSON in, response JSON out), for connector 1 and for connector 0 (the
 * total over 8 connectors), in A and W.
 */
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "actors/smartcharging/sc_ops.h"
#include "supervisor/clock.h"
#include "supervisor/log.h"
#include "supervisor/store.h"
#include "bench/bench.h"

#define RUNS 2000

static void
s_install(sc_ops_ctx_t *ctx, int connector, int id, int level, sc_purpose_t purpose, int variant)
{
    sc_profile_t p;
    memset(&p, 0, sizeof(p));
    p.id = id;
    p.connector = connector;
    p.stack_level = level;
    p.purpose = purpose;
    p.unit = variant % 3 == 0 ? SC_UNIT_W : SC_UNIT_A;
    int64_t day = 1714521600000LL;      //  2024-05-01T00:00:00Z
    switch (purpose == SC_PURPOSE_TX ? 3 : variant % 4) {
        case 0:
        case 1:
            p.kind = SC_KIND_RECURRING;
            p.recur = variant % 4 ? SC_RECUR_DAILY : SC_RECUR_WEEKLY;
            p.has_start = true;
            p.start_ms = day - (int64_t) (variant % 7) * 3600 * 1000;
            break;
        case 2:
            p.kind = SC_KIND_ABSOLUTE;
            p.has_start = true;
            p.start_ms = day + (int64_t) (variant % 5) * 1800 * 1000;
            p.has_duration = true;
            p.duration_s = 20 * 3600;
            p.has_valid_to = true;
            p.valid_to_ms = day + 2 * 86400000LL;
            break;
        default:
            p.kind = SC_KIND_RELATIVE;
            p.has_duration = true;
            p.duration_s = 12 * 3600;
            break;
    }
    p.period_count = 48;
    for (int i = 0; i < 48; i++) {
        p.periods[i].start_s = i * 1800;
        double a = 6 + ((i * 7 + variant * 3) % 27);
        p.periods[i].limit = p.unit == SC_UNIT_W ? a * 690 : a;
        p.periods[i].phases = (i + variant) % 5 == 0 ? 1 : 3;
    }
    if (sc_store_install(ctx->store, &p, purpose == SC_PURPOSE_TX ? connector : 0, 1000, NULL) != SC_STORE_OK) {
        fprintf(stderr, "cannot install profile %d\n", id);
        exit(1);
    }
}

int
main(void)
{
    cp_log_set_level(CP_LOG_ERROR);
    char dir[64];
    if (bench_dir_new(dir, sizeof(dir), "composite") != 0)
        return 1;
    char err[256];
    sqlite3 *db = cp_store_open(dir, err, sizeof(err));
    sc_store_t *store = db ? sc_store_new(db) : NULL;
    if (!store) {
        fprintf(stderr, "cannot open the store: %s\n", err);
        return 1;
    }
    sc_ops_ctx_t ctx = {
        .store = store, .rules = { .connectors = 8, .max_stack_level = 8, .max_periods = 48,
                                   .allow_a = true, .allow_w = true },
        .max_installed = 1000, .voltage_v = 230, .phases = 3, .default_limit_a = 32,
    };
    ctx.now_ms = 1714521600000LL + 9 * 3600 * 1000 + 123;
    int id = 1;
    for (int level = 0; level <= 8; level++)
        s_install(&ctx, 0, id++, level, SC_PURPOSE_CP_MAX, level);
    for (int c = 0; c <= 8; c++)
        for (int level = 0; level <= 8; level++)
            s_install(&ctx, c, id++, level, SC_PURPOSE_TX_DEFAULT, c * 9 + level);
    for (int i = 0; i < 10; i++) {
        int c = 1 + i % 8;
        ctx.tx[c] = (sc_tx_view_t) { .active = true, .confirmed = true, .tx_id = 100 + c };
        ctx.tx_local[c] = c;
        ctx.tx_start_ms[c] = ctx.now_ms - (int64_t) c * 600 * 1000;
        s_install(&ctx, c, id++, i / 8, SC_PURPOSE_TX, i);
    }
    if (sc_store_count(store) != 100) {
        fprintf(stderr, "expected 100 profiles, have %d\n", sc_store_count(store));
        return 1;
    }
    static const struct { const char *what; const char *request; } cases[] = {
        { "GetCompositeSchedule 24 h, 100 profiles, connector 1, A",
          "{\"connectorId\":1,\"duration\":86400,\"chargingRateUnit\":\"A\"}" },
        { "GetCompositeSchedule 24 h, 100 profiles, connector 1, W",
          "{\"connectorId\":1,\"duration\":86400,\"chargingRateUnit\":\"W\"}" },
        { "GetCompositeSchedule 24 h, 100 profiles, connector 0 (total of 8), A",
          "{\"connectorId\":0,\"duration\":86400,\"chargingRateUnit\":\"A\"}" },
    };
    printf("| measure | goal (µs) | mean (µs) | median (µs) | p99 (µs) |\n");
    printf("|---|---|---|---|---|\n");
    double *us = calloc(RUNS, sizeof(double));
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        json_t *request = json_loads(cases[k].request, 0, NULL);
        size_t periods = 0;
        for (int i = 0; i < RUNS; i++) {
            int64_t t0 = zclock_usecs();
            json_t *response = get_composite_schedule(&ctx, request);
            char *text = json_dumps(response, JSON_COMPACT);
            us[i] = (double) (zclock_usecs() - t0);
            periods = json_array_size(json_object_get(json_object_get(response, "chargingSchedule"),
                                                      "chargingSchedulePeriod"));
            free(text);
            json_decref(response);
        }
        char what[160];
        snprintf(what, sizeof(what), "%s (%zu periods)", cases[k].what, periods);
        bench_row_us(what, us, RUNS);
        json_decref(request);
    }
    free(us);
    sc_store_destroy(&store);
    cp_store_close(&db);
    return bench_dir_remove(dir) == 0 ? 0 : 1;
}
