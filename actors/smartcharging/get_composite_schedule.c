/* get_composite_schedule.c — GetCompositeSchedule (5.7, errata 3.28-3.30):
 * the composite (composite.c) from the moment of receipt X for duration
 * seconds. scheduleStart is X truncated to the whole second, so that the
 * integer startPeriods are exact. Without chargingRateUnit we answer in A,
 * the unit the pilot works in. The schedule reports the OCPP limits only
 * (local limits are not part of this module yet). Rejected for an unknown
 * connector or a negative duration. */
#include "actors/smartcharging/sc_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include "supervisor/clock.h"

void
sc_ops_composite_req(sc_ops_ctx_t *ctx, sc_composite_req_t *req, int connector, int64_t start_ms,
                     int64_t duration_s, sc_unit_t unit)
{
    int count = 0;
    const sc_profile_t *const *profiles = sc_store_profiles(ctx->store, &count);
    *req = (sc_composite_req_t) {
        .profiles = profiles, .profile_count = count, .connectors = ctx->rules.connectors,
        .connector = connector, .start_ms = start_ms, .duration_s = duration_s, .unit = unit,
        .voltage_v = ctx->voltage_v, .phases = ctx->phases, .default_limit_a = ctx->default_limit_a,
        .mode = SC_MODE_FULL,
    };
    for (int c = 1; c <= ctx->rules.connectors && c <= SC_MAX_CONNECTORS; c++)
        req->tx_start_ms[c] = ctx->tx[c].active ? ctx->tx_start_ms[c] : 0;
}

json_t *
get_composite_schedule(sc_ops_ctx_t *ctx, const json_t *request)
{
    ctx->reason[0] = '\0';
    ctx->error_code[0] = '\0';
    json_t *jc = json_object_get(request, "connectorId");
    json_t *jd = json_object_get(request, "duration");
    json_int_t connector = json_is_integer(jc) ? json_integer_value(jc) : -1;
    json_int_t duration = json_is_integer(jd) ? json_integer_value(jd) : -1;
    sc_unit_t unit = SC_UNIT_A;
    json_t *ju = json_object_get(request, "chargingRateUnit");
    if (ju && sc_unit_parse(json_string_value(ju), &unit) != 0) {
        //  errata 3.24 (the schema already catches it; belt and braces)
        snprintf(ctx->error_code, sizeof(ctx->error_code), "PropertyConstraintViolation");
        snprintf(ctx->reason, sizeof(ctx->reason), "chargingRateUnit is not A or W");
        return NULL;
    }
    if (connector < 0 || connector > ctx->rules.connectors || duration < 0) {
        snprintf(ctx->reason, sizeof(ctx->reason), connector < 0 || connector > ctx->rules.connectors
                 ? "unknown connector" : "negative duration");
        return json_pack("{s:s}", "status", "Rejected");
    }
    int64_t start = ctx->now_ms - ((ctx->now_ms % 1000) + 1000) % 1000;
    sc_composite_req_t req;
    sc_ops_composite_req(ctx, &req, (int) connector, start, duration, unit);
    sc_slot_t *slots = calloc(SC_OPS_MAX_COMPOSITE_PERIODS, sizeof(sc_slot_t));
    bool truncated = false;
    int n = slots ? sc_composite(&req, slots, SC_OPS_MAX_COMPOSITE_PERIODS, &truncated) : -1;
    if (n < 1) {
        free(slots);
        snprintf(ctx->reason, sizeof(ctx->reason), "cannot compute the composite");
        return json_pack("{s:s}", "status", "Rejected");
    }
    json_t *periods = json_array();
    for (int i = 0; periods && i < n; i++)
        json_array_append_new(periods, json_pack("{s:I, s:f, s:i}", "startPeriod", (json_int_t) slots[i].start_s,
                                                 "limit", slots[i].limit, "numberPhases", slots[i].phases));
    //  A truncated schedule says honestly how far it reaches.
    int64_t reported = truncated ? slots[n - 1].start_s + 1 : duration;
    free(slots);
    char ts[40];
    cp_clock_format(start, ts, sizeof(ts));
    snprintf(ctx->reason, sizeof(ctx->reason), "%d period(s) over %llds in %s", n, (long long) reported,
             sc_unit_name(unit));
    return json_pack("{s:s, s:I, s:s, s:{s:I, s:s, s:s, s:o}}", "status", "Accepted",
                     "connectorId", connector, "scheduleStart", ts,
                     "chargingSchedule", "duration", (json_int_t) reported, "startSchedule", ts,
                     "chargingRateUnit", sc_unit_name(unit), "chargingSchedulePeriod", periods);
}
