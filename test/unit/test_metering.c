/* test_metering.c — the metering core on a virtual timeline.
 *
 * Pins down what the central system will see: which measurands, units,
 * phases, locations and contexts each sample carries (every payload is
 * validated against the official MeterValues and StopTransaction schemas,
 * the contract the interop CSMS enforces), when clock-aligned samples fall
 * (midnight UTC + k × interval, lessons "Metering"), when sampled ones
 * fall (from the transaction start), and which go to the transaction
 * outbox versus straight to the central system.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "actors/metering/metering_core.h"
#include "gateway/schema.h"
#include "supervisor/clock.h"

#define MIN_MS (60LL * 1000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

//  2026-11-26T00:00:00Z
static int64_t
s_day(void)
{
    int64_t ms;
    assert_int_equal(cp_clock_parse("2026-11-26T00:00:00Z", &ms), 0);
    return ms;
}

static int64_t
s_at(const char *text)
{
    int64_t ms;
    assert_int_equal(cp_clock_parse(text, &ms), 0);
    return ms;
}

static cp_msg_hw_connector_t
s_reading(int connector)
{
    cp_msg_hw_connector_t r;
    memset(&r, 0, sizeof(r));
    r.connector = connector;
    r.plugged = true;
    snprintf(r.pilot, sizeof(r.pilot), "C");
    r.contactor_closed = true;
    r.energy_wh = 12345.9;
    r.power_w = 11040;
    r.current_a = 16;
    r.voltage_v = 230;
    r.offered_a = 16.5;
    r.temperature_c = 31.25;
    snprintf(r.fault, sizeof(r.fault), "none");
    return r;
}

//  --------------------------------------------------------------------------
//  Schema checks

static schema_set_t *s_schemas;

static int
s_group_setup(void **state)
{
    s_schemas = schema_set_new();
    return s_schemas ? 0 : -1;
}

static int
s_group_teardown(void **state)
{
    schema_set_destroy(&s_schemas);
    return 0;
}

static void
s_assert_valid(const char *schema, json_t *payload)
{
    char why[256] = "";
    ocppj_error_t rc = schema_set_validate(s_schemas, schema, payload, why, sizeof(why));
    if (rc != OCPPJ_OK) {
        char *text = json_dumps(payload, JSON_COMPACT);
        fail_msg("%s invalid: %s\n%s", schema, why, text);
    }
}

//  A MeterValue array (tx_meter payload) must fit both places the
//  transaction actor will put it.
static void
s_assert_array_valid(json_t *array)
{
    json_t *mv = json_pack("{s:i, s:i, s:O}", "connectorId", 1, "transactionId", 5, "meterValue", array);
    s_assert_valid("MeterValues", mv);
    json_decref(mv);
    json_t *stop = json_pack("{s:O, s:i, s:s, s:i}", "transactionData", array, "meterStop", 12345,
                             "timestamp", "2026-11-26T10:00:00.000Z", "transactionId", 5);
    s_assert_valid("StopTransaction", stop);
    json_decref(stop);
}

//  --------------------------------------------------------------------------
//  Measurand sets

static void
test_set_parse(void **state)
{
    metering_set_t set = 99;
    assert_int_equal(metering_set_parse("", &set), 0);
    assert_int_equal(set, 0);
    assert_int_equal(metering_set_parse(NULL, &set), 0);
    assert_int_equal(set, 0);
    assert_int_equal(metering_set_parse("  ", &set), 0);
    assert_int_equal(set, 0);
    assert_int_equal(metering_set_parse("Energy.Active.Import.Register", &set), 0);
    assert_int_equal(set, METERING_ENERGY_IMPORT);
    assert_int_equal(metering_set_parse("Energy.Active.Import.Register,Power.Active.Import,"
                                        "Current.Import,Current.Offered,Voltage,Temperature,SoC", &set), 0);
    assert_int_equal(set, METERING_ENERGY_IMPORT | METERING_POWER_IMPORT | METERING_CURRENT_IMPORT
                     | METERING_CURRENT_OFFERED | METERING_VOLTAGE | METERING_TEMPERATURE | METERING_SOC);
    assert_int_equal(metering_set_parse(" Voltage , Temperature ", &set), 0);
    assert_int_equal(set, METERING_VOLTAGE | METERING_TEMPERATURE);
    //  Unknown or empty items: reported, the known ones kept.
    assert_int_equal(metering_set_parse("Voltage,Frequency", &set), -1);
    assert_int_equal(set, METERING_VOLTAGE);
    assert_int_equal(metering_set_parse("Voltage,,Temperature", &set), -1);
    assert_int_equal(set, METERING_VOLTAGE | METERING_TEMPERATURE);
    assert_int_equal(metering_set_parse("Voltage.L1", &set), -1);
    assert_int_equal(metering_set_parse("voltage", &set), -1);      //  enums are case-sensitive
    assert_int_equal(metering_set_parse("VoltageX", &set), -1);
    assert_int_equal(set, 0);
}

//  --------------------------------------------------------------------------
//  Samples

static void
test_format_value(void **state)
{
    char buf[32];
    struct { double v; const char *text; } cases[] = {
        { 16, "16" }, { 16.5, "16.5" }, { 0.125, "0.125" }, { 230.0, "230" }, { 0, "0" },
        { -0.0001, "0" }, { 11040.25, "11040.25" }, { 31.2504, "31.25" }, { -3.5, "-3.5" },
        { 1e11, "100000000000" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(metering_format_value(cases[i].v, buf, sizeof(buf)), 0);
        assert_string_equal(buf, cases[i].text);
    }
    assert_int_equal(metering_format_value(NAN, buf, sizeof(buf)), -1);
    assert_string_equal(buf, "");
    assert_int_equal(metering_format_value(INFINITY, buf, sizeof(buf)), -1);
    assert_int_equal(metering_format_value(1e13, buf, sizeof(buf)), -1);
    char tiny[3];
    assert_int_equal(metering_format_value(1234, tiny, sizeof(tiny)), -1);
}

static void
test_context_names(void **state)
{
    assert_string_equal(metering_context_name(METERING_CONTEXT_PERIODIC), "Sample.Periodic");
    assert_string_equal(metering_context_name(METERING_CONTEXT_CLOCK), "Sample.Clock");
    assert_string_equal(metering_context_name(METERING_CONTEXT_TX_BEGIN), "Transaction.Begin");
    assert_string_equal(metering_context_name(METERING_CONTEXT_TX_END), "Transaction.End");
    assert_string_equal(metering_context_name(METERING_CONTEXT_TRIGGER), "Trigger");
}

//  The sampledValue i of mv must carry exactly these fields (NULL = absent).
static void
s_assert_sv(json_t *mv, size_t i, const char *value, const char *context, const char *measurand,
            const char *phase, const char *location, const char *unit)
{
    json_t *sv = json_array_get(json_object_get(mv, "sampledValue"), i);
    assert_non_null(sv);
    assert_string_equal(json_string_value(json_object_get(sv, "value")), value);
    assert_string_equal(json_string_value(json_object_get(sv, "context")), context);
    assert_string_equal(json_string_value(json_object_get(sv, "measurand")), measurand);
    if (phase)
        assert_string_equal(json_string_value(json_object_get(sv, "phase")), phase);
    else
        assert_null(json_object_get(sv, "phase"));
    assert_string_equal(json_string_value(json_object_get(sv, "location")), location);
    assert_string_equal(json_string_value(json_object_get(sv, "unit")), unit);
    assert_null(json_object_get(sv, "format"));      //  Raw is the default
}

static void
s_assert_mv_valid(json_t *mv)
{
    json_t *array = json_array();
    json_array_append(array, mv);
    s_assert_array_valid(array);
    json_decref(array);
}

static void
test_meter_value_each_measurand(void **state)
{
    cp_msg_hw_connector_t r = s_reading(1);
    int64_t t = s_at("2026-11-26T10:15:00Z");
    json_t *mv;

    mv = metering_meter_value(&r, t, METERING_CONTEXT_PERIODIC, METERING_ENERGY_IMPORT);
    assert_non_null(mv);
    assert_string_equal(json_string_value(json_object_get(mv, "timestamp")), "2026-11-26T10:15:00.000Z");
    assert_int_equal(json_array_size(json_object_get(mv, "sampledValue")), 1);
    //  The register is truncated to whole Wh, never rounded up.
    s_assert_sv(mv, 0, "12345", "Sample.Periodic", "Energy.Active.Import.Register", NULL, "Outlet", "Wh");
    s_assert_mv_valid(mv);
    json_decref(mv);

    mv = metering_meter_value(&r, t, METERING_CONTEXT_CLOCK, METERING_POWER_IMPORT);
    s_assert_sv(mv, 0, "11040", "Sample.Clock", "Power.Active.Import", NULL, "Outlet", "W");
    s_assert_mv_valid(mv);
    json_decref(mv);

    mv = metering_meter_value(&r, t, METERING_CONTEXT_TX_BEGIN, METERING_CURRENT_IMPORT);
    assert_int_equal(json_array_size(json_object_get(mv, "sampledValue")), 3);
    s_assert_sv(mv, 0, "16", "Transaction.Begin", "Current.Import", "L1", "Outlet", "A");
    s_assert_sv(mv, 1, "16", "Transaction.Begin", "Current.Import", "L2", "Outlet", "A");
    s_assert_sv(mv, 2, "16", "Transaction.Begin", "Current.Import", "L3", "Outlet", "A");
    s_assert_mv_valid(mv);
    json_decref(mv);

    mv = metering_meter_value(&r, t, METERING_CONTEXT_TX_END, METERING_CURRENT_OFFERED);
    s_assert_sv(mv, 0, "16.5", "Transaction.End", "Current.Offered", NULL, "Outlet", "A");
    s_assert_mv_valid(mv);
    json_decref(mv);

    mv = metering_meter_value(&r, t, METERING_CONTEXT_TRIGGER, METERING_VOLTAGE);
    assert_int_equal(json_array_size(json_object_get(mv, "sampledValue")), 3);
    s_assert_sv(mv, 0, "230", "Trigger", "Voltage", "L1-N", "Outlet", "V");
    s_assert_sv(mv, 1, "230", "Trigger", "Voltage", "L2-N", "Outlet", "V");
    s_assert_sv(mv, 2, "230", "Trigger", "Voltage", "L3-N", "Outlet", "V");
    s_assert_mv_valid(mv);
    json_decref(mv);

    mv = metering_meter_value(&r, t, METERING_CONTEXT_PERIODIC, METERING_TEMPERATURE);
    s_assert_sv(mv, 0, "31.25", "Sample.Periodic", "Temperature", NULL, "Body", "Celsius");
    s_assert_mv_valid(mv);
    json_decref(mv);

    //  SoC is not delivered by this hardware: never invented.
    assert_null(metering_meter_value(&r, t, METERING_CONTEXT_PERIODIC, METERING_SOC));
    assert_null(metering_meter_value(&r, t, METERING_CONTEXT_PERIODIC, 0));
    mv = metering_meter_value(&r, t, METERING_CONTEXT_PERIODIC, METERING_SOC | METERING_ENERGY_IMPORT);
    assert_int_equal(json_array_size(json_object_get(mv, "sampledValue")), 1);
    json_decref(mv);
}

static void
test_meter_value_all_and_missing(void **state)
{
    cp_msg_hw_connector_t r = s_reading(2);
    metering_set_t all;
    assert_int_equal(metering_set_parse("Energy.Active.Import.Register,Power.Active.Import,"
                                        "Current.Import,Current.Offered,Voltage,Temperature,SoC", &all), 0);
    json_t *mv = metering_meter_value(&r, s_day(), METERING_CONTEXT_CLOCK, all);
    //  1 energy + 1 power + 3 currents + 1 offered + 3 voltages + 1 temperature
    assert_int_equal(json_array_size(json_object_get(mv, "sampledValue")), 10);
    s_assert_mv_valid(mv);
    json_t *whole = json_pack("{s:i, s:[O]}", "connectorId", 2, "meterValue", mv);
    s_assert_valid("MeterValues", whole);
    json_decref(whole);
    json_decref(mv);

    //  A sensor that delivers nothing (NaN) is left out, not reported as 0.
    r.temperature_c = NAN;
    r.voltage_v = INFINITY;
    mv = metering_meter_value(&r, s_day(), METERING_CONTEXT_CLOCK, all);
    assert_int_equal(json_array_size(json_object_get(mv, "sampledValue")), 6);
    json_decref(mv);
    r.energy_wh = NAN;
    assert_null(metering_meter_value(&r, s_day(), METERING_CONTEXT_CLOCK, METERING_ENERGY_IMPORT));
}

//  --------------------------------------------------------------------------
//  Schedules

static void
test_next_aligned(void **state)
{
    int64_t day = s_day();
    assert_int_equal(metering_next_aligned(s_at("2026-11-26T10:07:30Z"), 900), s_at("2026-11-26T10:15:00Z"));
    //  Strictly after: on a boundary, the next one.
    assert_int_equal(metering_next_aligned(s_at("2026-11-26T10:15:00Z"), 900), s_at("2026-11-26T10:30:00Z"));
    assert_int_equal(metering_next_aligned(s_at("2026-11-26T10:14:59.999Z"), 900), s_at("2026-11-26T10:15:00Z"));
    //  Across midnight: restarts at midnight of the next day.
    assert_int_equal(metering_next_aligned(s_at("2026-11-26T23:55:00Z"), 600), s_at("2026-11-27T00:00:00Z"));
    assert_int_equal(metering_next_aligned(s_at("2026-11-27T00:00:00Z"), 600), s_at("2026-11-27T00:10:00Z"));
    //  7 h does not divide a day: 00, 07, 14, 21, then 00 again.
    int64_t t = day;
    const char *expect[] = { "2026-11-26T07:00:00Z", "2026-11-26T14:00:00Z", "2026-11-26T21:00:00Z",
                             "2026-11-27T00:00:00Z", "2026-11-27T07:00:00Z" };
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        t = metering_next_aligned(t, 7 * 3600);
        assert_int_equal(t, s_at(expect[i]));
    }
    assert_int_equal(metering_next_aligned(s_at("2026-11-26T22:00:00Z"), 7 * 3600), day + DAY_MS);
    //  A whole day, and the odd interval that does not divide an hour.
    assert_int_equal(metering_next_aligned(s_at("2026-11-26T12:00:00Z"), 86400), day + DAY_MS);
    assert_int_equal(metering_next_aligned(day + 1, 7), day + 7000);
    //  Aligned to the clock, not to when we looked.
    assert_int_equal(metering_next_aligned(s_at("2026-11-26T10:07:31.234Z"), 60), s_at("2026-11-26T10:08:00Z"));
    //  0 (and nonsense) disables.
    assert_int_equal(metering_next_aligned(day, 0), -1);
    assert_int_equal(metering_next_aligned(day, -5), -1);
    //  Before 1970 still floors to midnight (a wall clock not yet set).
    assert_int_equal(metering_next_aligned(-1, 900), 0);
}

static void
test_next_sampled(void **state)
{
    assert_int_equal(metering_next_sampled(1000, 60, 1000), 61000);
    assert_int_equal(metering_next_sampled(1000, 60, 60999), 61000);
    assert_int_equal(metering_next_sampled(1000, 60, 61000), 121000);
    assert_int_equal(metering_next_sampled(1000, 60, 500000), 541000);
    assert_int_equal(metering_next_sampled(1000, 60, 0), 61000);
    assert_int_equal(metering_next_sampled(1000, 0, 5000), -1);
}

//  --------------------------------------------------------------------------
//  The scheduler on a virtual timeline

#define MAX_OUT 64

typedef struct {
    metering_out_kind_t kind;
    int connector;
    int64_t tx_local;
    char tx_kind[16];
    json_t *payload;
} out_t;

typedef struct {
    metering_core_t *core;
    int64_t mono;
    int64_t wall;
    out_t out[MAX_OUT];
    int count;
} timeline_t;

static void
s_record(void *ctx, const metering_out_t *o)
{
    timeline_t *tl = ctx;
    assert_true(tl->count < MAX_OUT);
    out_t *rec = &tl->out[tl->count++];
    rec->kind = o->kind;
    rec->connector = o->connector;
    rec->tx_local = o->tx_local;
    snprintf(rec->tx_kind, sizeof(rec->tx_kind), "%s", o->tx_kind ? o->tx_kind : "");
    json_error_t error;
    rec->payload = json_loads(o->payload, 0, &error);
    assert_non_null(rec->payload);
    //  Everything that leaves the core is schema-valid where it will go.
    if (o->kind == METERING_OUT_TX_METER)
        s_assert_array_valid(rec->payload);
    else
        s_assert_valid("MeterValues", rec->payload);
}

static void
s_clear(timeline_t *tl)
{
    for (int i = 0; i < tl->count; i++)
        json_decref(tl->out[i].payload);
    tl->count = 0;
}

static timeline_t *
s_timeline(int connectors, const char *wall)
{
    timeline_t *tl = calloc(1, sizeof(timeline_t));
    assert_non_null(tl);
    tl->core = metering_core_new(connectors, s_record, tl);
    assert_non_null(tl->core);
    tl->mono = 5000;
    tl->wall = s_at(wall);
    return tl;
}

static void
s_timeline_destroy(timeline_t **tl_p)
{
    timeline_t *tl = *tl_p;
    s_clear(tl);
    metering_core_destroy(&tl->core);
    assert_null(tl->core);
    free(tl);
    *tl_p = NULL;
}

//  Advance both clocks to the core's next due time and tick, as the shell's
//  timer does. Returns the delay that was waited.
static int64_t
s_run_next(timeline_t *tl)
{
    int64_t delay = metering_core_next_delay(tl->core, tl->mono, tl->wall);
    assert_true(delay >= 0);
    tl->mono += delay;
    tl->wall += delay;
    metering_core_tick(tl->core, tl->mono, tl->wall);
    return delay;
}

static void
s_config(timeline_t *tl, int64_t sample_s, int64_t aligned_s, const char *sampled, const char *aligned,
         const char *stop_sampled, const char *stop_aligned)
{
    metering_config_t c = { .sample_interval_s = sample_s, .aligned_interval_s = aligned_s };
    assert_int_equal(metering_set_parse(sampled, &c.sampled), 0);
    assert_int_equal(metering_set_parse(aligned, &c.aligned), 0);
    assert_int_equal(metering_set_parse(stop_sampled, &c.stop_sampled), 0);
    assert_int_equal(metering_set_parse(stop_aligned, &c.stop_aligned), 0);
    metering_core_set_config(tl->core, &c, tl->mono, tl->wall);
}

static void
s_tx(timeline_t *tl, int connector, bool active, int64_t tx_local, int64_t tx_id, bool confirmed,
     const char *started_at)
{
    cp_msg_tx_connector_t v;
    memset(&v, 0, sizeof(v));
    v.connector = connector;
    snprintf(v.status, sizeof(v.status), active ? "Charging" : "Available");
    v.tx_active = active;
    v.tx_local = tx_local;
    v.tx_id = tx_id;
    v.tx_confirmed = confirmed;
    if (started_at)
        snprintf(v.started_at, sizeof(v.started_at), "%s", started_at);
    metering_core_on_tx(tl->core, &v, tl->mono, tl->wall);
}

static void
s_hw(timeline_t *tl, int connector, double energy_wh)
{
    cp_msg_hw_connector_t r = s_reading(connector);
    r.energy_wh = energy_wh;
    metering_core_on_hw(tl->core, &r);
}

//  The first MeterValue of an output (tx_meter array or MeterValues.req).
static json_t *
s_mv(const out_t *o)
{
    json_t *array = o->kind == METERING_OUT_TX_METER ? o->payload : json_object_get(o->payload, "meterValue");
    assert_int_equal(json_array_size(array), 1);
    return json_array_get(array, 0);
}

static const char *
s_context(const out_t *o)
{
    json_t *sv = json_array_get(json_object_get(s_mv(o), "sampledValue"), 0);
    return json_string_value(json_object_get(sv, "context"));
}

static const char *
s_stamp(const out_t *o)
{
    return json_string_value(json_object_get(s_mv(o), "timestamp"));
}

static size_t
s_values(const out_t *o)
{
    return json_array_size(json_object_get(s_mv(o), "sampledValue"));
}

static void
s_assert_tx_out(const out_t *o, int connector, int64_t tx_local, const char *tx_kind, const char *context)
{
    assert_int_equal(o->kind, METERING_OUT_TX_METER);
    assert_int_equal(o->connector, connector);
    assert_int_equal(o->tx_local, tx_local);
    assert_string_equal(o->tx_kind, tx_kind);
    assert_string_equal(s_context(o), context);
}

static void
test_core_new(void **state)
{
    timeline_t tl;
    assert_null(metering_core_new(0, s_record, &tl));
    assert_null(metering_core_new(9, s_record, &tl));
    metering_core_t *core = metering_core_new(2, s_record, &tl);
    assert_int_equal(metering_core_connectors(core), 2);
    //  Nothing configured: nothing scheduled.
    assert_int_equal(metering_core_next_delay(core, 0, s_day()), -1);
    metering_core_destroy(&core);
    metering_core_destroy(&core);     //  idempotent on NULL
}

static void
test_timeline_transaction(void **state)
{
    timeline_t *tl = s_timeline(2, "2026-11-26T10:07:30Z");
    s_config(tl, 60, 900, "Energy.Active.Import.Register,Power.Active.Import",
             "Energy.Active.Import.Register", "Energy.Active.Import.Register", "Current.Offered");
    s_hw(tl, 1, 1000);
    s_hw(tl, 2, 2000);
    s_tx(tl, 1, false, 0, 0, false, NULL);
    s_tx(tl, 2, false, 0, 0, false, NULL);
    assert_int_equal(tl->count, 0);
    //  Idle: the next thing due is the clock boundary at 10:15.
    assert_int_equal(metering_core_next_delay(tl->core, tl->mono, tl->wall), 7 * MIN_MS + 30000);

    //  10:07:30 transaction 7 starts on connector 1: Begin values of every
    //  stop-data measurand (errata 3.16.6), into the outbox.
    s_tx(tl, 1, true, 7, 0, false, "2026-11-26T10:07:30.000Z");
    assert_int_equal(tl->count, 1);
    s_assert_tx_out(&tl->out[0], 1, 7, "stopdata", "Transaction.Begin");
    assert_int_equal(s_values(&tl->out[0]), 2);    //  energy + offered
    assert_string_equal(s_stamp(&tl->out[0]), "2026-11-26T10:07:30.000Z");
    s_clear(tl);
    //  The same view again (e.g. StartTransaction.conf brought id 5): no new Begin.
    s_tx(tl, 1, true, 7, 5, true, "2026-11-26T10:07:30.000Z");
    assert_int_equal(tl->count, 0);

    //  10:08:30: first periodic sample, one minute after the start.
    assert_int_equal(s_run_next(tl), MIN_MS);
    assert_int_equal(tl->count, 2);
    s_assert_tx_out(&tl->out[0], 1, 7, "periodic", "Sample.Periodic");
    assert_int_equal(s_values(&tl->out[0]), 2);    //  energy + power
    s_assert_tx_out(&tl->out[1], 1, 7, "stopdata", "Sample.Periodic");
    assert_int_equal(s_values(&tl->out[1]), 1);
    assert_string_equal(s_stamp(&tl->out[0]), "2026-11-26T10:08:30.000Z");
    assert_string_equal(s_stamp(&tl->out[0]), s_stamp(&tl->out[1]));
    s_clear(tl);

    //  Run to 10:15:00: six more samples, then the clock boundary.
    for (int i = 0; i < 6; i++) {
        assert_int_equal(s_run_next(tl), MIN_MS);
        assert_int_equal(tl->count, 2);
        s_clear(tl);
    }
    assert_int_equal(s_run_next(tl), 30000);
    //  Connector 1 (transaction) into the outbox, connector 2 (idle)
    //  straight to the central system without a transactionId.
    assert_int_equal(tl->count, 3);
    s_assert_tx_out(&tl->out[0], 1, 7, "periodic", "Sample.Clock");
    s_assert_tx_out(&tl->out[1], 1, 7, "stopdata", "Sample.Clock");
    assert_string_equal(json_string_value(json_object_get(json_array_get(
        json_object_get(s_mv(&tl->out[1]), "sampledValue"), 0), "measurand")), "Current.Offered");
    assert_int_equal(tl->out[2].kind, METERING_OUT_METER_VALUES);
    assert_int_equal(tl->out[2].connector, 2);
    assert_int_equal(json_integer_value(json_object_get(tl->out[2].payload, "connectorId")), 2);
    assert_null(json_object_get(tl->out[2].payload, "transactionId"));
    assert_string_equal(s_context(&tl->out[2]), "Sample.Clock");
    assert_string_equal(s_stamp(&tl->out[2]), "2026-11-26T10:15:00.000Z");
    s_clear(tl);
    //  Then 10:15:30 (sampled), ... 10:30:00 (aligned).
    assert_int_equal(s_run_next(tl), 30000);
    assert_int_equal(tl->count, 2);
    s_clear(tl);

    //  A trigger includes the confirmed transaction's id.
    assert_int_equal(metering_core_trigger(tl->core, 1, tl->wall), 1);
    assert_int_equal(tl->out[0].kind, METERING_OUT_METER_VALUES);
    assert_int_equal(json_integer_value(json_object_get(tl->out[0].payload, "transactionId")), 5);
    assert_string_equal(s_context(&tl->out[0]), "Trigger");
    assert_int_equal(s_values(&tl->out[0]), 2);
    s_clear(tl);

    //  10:16: the transaction ends: End values at once, sampling stops.
    tl->mono += 30000;
    tl->wall += 30000;
    s_hw(tl, 1, 4321.7);
    s_tx(tl, 1, false, 7, 5, true, NULL);
    assert_int_equal(tl->count, 1);
    s_assert_tx_out(&tl->out[0], 1, 7, "stopdata", "Transaction.End");
    json_t *sv = json_array_get(json_object_get(s_mv(&tl->out[0]), "sampledValue"), 0);
    assert_string_equal(json_string_value(json_object_get(sv, "value")), "4321");
    s_clear(tl);
    s_tx(tl, 1, false, 7, 5, true, NULL);     //  repeated view: no second End
    assert_int_equal(tl->count, 0);
    //  Only the clock is due now: 10:30.
    assert_int_equal(metering_core_next_delay(tl->core, tl->mono, tl->wall), 14 * MIN_MS);
    assert_int_equal(s_run_next(tl), 14 * MIN_MS);
    assert_int_equal(tl->count, 2);
    assert_int_equal(tl->out[0].kind, METERING_OUT_METER_VALUES);
    assert_int_equal(tl->out[1].kind, METERING_OUT_METER_VALUES);
    assert_string_equal(s_stamp(&tl->out[0]), "2026-11-26T10:30:00.000Z");
    s_timeline_destroy(&tl);
}

static void
test_timeline_disabled_and_empty(void **state)
{
    timeline_t *tl = s_timeline(1, "2026-11-26T10:00:00Z");
    //  Both intervals 0: nothing scheduled, even during a transaction; stop
    //  data keys empty: no Begin/End (errata 3.14.5).
    s_config(tl, 0, 0, "Energy.Active.Import.Register", "Energy.Active.Import.Register", "", "");
    s_hw(tl, 1, 10);
    s_tx(tl, 1, false, 0, 0, false, NULL);
    s_tx(tl, 1, true, 1, 0, false, NULL);
    assert_int_equal(tl->count, 0);
    assert_int_equal(metering_core_next_delay(tl->core, tl->mono, tl->wall), -1);
    //  Enabling sampling mid-transaction keeps the cadence of the start.
    tl->mono += 90000;
    tl->wall += 90000;
    s_config(tl, 60, 0, "Energy.Active.Import.Register", "", "", "");
    assert_int_equal(metering_core_next_delay(tl->core, tl->mono, tl->wall), 30000);
    assert_int_equal(s_run_next(tl), 30000);
    assert_int_equal(tl->count, 1);            //  periodic only: StopTxnSampledData is empty
    s_assert_tx_out(&tl->out[0], 1, 1, "periodic", "Sample.Periodic");
    s_clear(tl);
    //  MeterValuesSampledData empty: nothing to send, but a trigger still
    //  sends the register rather than an empty MeterValue.
    s_config(tl, 60, 0, "", "", "", "");
    assert_int_equal(s_run_next(tl), MIN_MS);
    assert_int_equal(tl->count, 0);
    assert_int_equal(metering_core_trigger(tl->core, -1, tl->wall), 1);
    assert_int_equal(s_values(&tl->out[0]), 1);
    //  Not confirmed yet: no transactionId to give.
    assert_null(json_object_get(tl->out[0].payload, "transactionId"));
    s_timeline_destroy(&tl);
}

static void
test_timeline_trigger(void **state)
{
    timeline_t *tl = s_timeline(2, "2026-11-26T10:00:00Z");
    s_config(tl, 0, 0, "Voltage", "", "", "");
    //  No reading yet: nothing to send.
    assert_int_equal(metering_core_trigger(tl->core, 1, tl->wall), 0);
    s_hw(tl, 1, 1);
    assert_int_equal(metering_core_trigger(tl->core, 3, tl->wall), -1);
    assert_int_equal(metering_core_trigger(tl->core, -2, tl->wall), -1);
    assert_int_equal(metering_core_trigger(tl->core, 2, tl->wall), 0);
    assert_int_equal(metering_core_trigger(tl->core, 1, tl->wall), 1);
    s_clear(tl);
    s_hw(tl, 2, 1);
    //  0 (the charger) and absent (-1): every connector.
    assert_int_equal(metering_core_trigger(tl->core, 0, tl->wall), 2);
    assert_int_equal(tl->out[0].connector, 1);
    assert_int_equal(tl->out[1].connector, 2);
    assert_int_equal(s_values(&tl->out[1]), 3);
    s_clear(tl);
    assert_int_equal(metering_core_trigger(tl->core, -1, tl->wall), 2);
    //  Readings of unknown connectors are ignored.
    s_hw(tl, 0, 1);
    s_hw(tl, 3, 1);
    s_timeline_destroy(&tl);
}

static void
test_timeline_restart_adopts(void **state)
{
    //  A restarted metering actor learns of a transaction that has run for
    //  10 minutes: no Begin (it would be a mid-session reading), sampling
    //  keeps the cadence of the real start.
    timeline_t *tl = s_timeline(2, "2026-11-26T10:10:20Z");
    s_config(tl, 60, 0, "Energy.Active.Import.Register", "", "Energy.Active.Import.Register", "");
    s_hw(tl, 1, 1);
    s_hw(tl, 2, 1);
    s_tx(tl, 1, true, 3, 9, true, "2026-11-26T10:00:00.000Z");
    assert_int_equal(tl->count, 0);
    assert_int_equal(metering_core_next_delay(tl->core, tl->mono, tl->wall), 40000);
    //  ... but one that started just now still gets its Begin.
    s_tx(tl, 2, true, 4, 0, false, "2026-11-26T10:10:18.000Z");
    assert_int_equal(tl->count, 1);
    s_assert_tx_out(&tl->out[0], 2, 4, "stopdata", "Transaction.Begin");
    s_clear(tl);
    //  A different transaction on connector 1 while we thought 3 ran: we
    //  missed its end. 3 gets its End, 4... the new one its Begin.
    s_tx(tl, 1, true, 5, 0, false, "2026-11-26T10:10:20.000Z");
    assert_int_equal(tl->count, 2);
    s_assert_tx_out(&tl->out[0], 1, 3, "stopdata", "Transaction.End");
    s_assert_tx_out(&tl->out[1], 1, 5, "stopdata", "Transaction.Begin");
    s_timeline_destroy(&tl);
}

static void
test_timeline_clock_steps(void **state)
{
    timeline_t *tl = s_timeline(1, "2026-11-26T23:55:00Z");
    s_config(tl, 0, 600, "", "Energy.Active.Import.Register", "", "");
    s_hw(tl, 1, 1);
    //  Across midnight: 00:00 of the next day.
    assert_int_equal(s_run_next(tl), 5 * MIN_MS);
    assert_int_equal(tl->count, 1);
    assert_string_equal(s_stamp(&tl->out[0]), "2026-11-27T00:00:00.000Z");
    s_clear(tl);
    //  A tick a few ms late is stamped with the boundary itself.
    int64_t d = metering_core_next_delay(tl->core, tl->mono, tl->wall);
    assert_int_equal(d, 10 * MIN_MS);
    tl->mono += d + 7;
    tl->wall += d + 7;
    metering_core_tick(tl->core, tl->mono, tl->wall);
    assert_string_equal(s_stamp(&tl->out[0]), "2026-11-27T00:10:00.000Z");
    s_clear(tl);
    //  The central system sets the clock back an hour: the next boundary is
    //  re-derived from the new time, not waited for an hour.
    tl->wall -= HOUR_MS;
    metering_core_tick(tl->core, tl->mono, tl->wall);
    assert_int_equal(tl->count, 0);
    assert_int_equal(tl->wall + metering_core_next_delay(tl->core, tl->mono, tl->wall),
                     s_at("2026-11-26T23:20:00Z"));
    //  ... and forward again past six boundaries (23:20 ... 00:10): one
    //  reading now, stamped now, not a burst of equal ones.
    tl->wall += HOUR_MS + 5000;
    assert_int_equal(metering_core_next_delay(tl->core, tl->mono, tl->wall), 0);
    metering_core_tick(tl->core, tl->mono, tl->wall);
    assert_int_equal(tl->count, 1);
    assert_string_equal(s_stamp(&tl->out[0]), "2026-11-27T00:10:05.007Z");
    s_clear(tl);
    assert_int_equal(tl->wall + metering_core_next_delay(tl->core, tl->mono, tl->wall),
                     s_at("2026-11-27T00:20:00Z"));
    //  Disabling at run time stops the schedule.
    s_config(tl, 0, 0, "", "", "", "");
    assert_int_equal(metering_core_next_delay(tl->core, tl->mono, tl->wall), -1);
    s_timeline_destroy(&tl);
}

static void
test_timeline_day_of_7h(void **state)
{
    //  A whole virtual day with a 7 h interval: 00, 07, 14, 21, 00.
    timeline_t *tl = s_timeline(1, "2026-11-26T00:00:00Z");
    s_config(tl, 0, 7 * 3600, "", "Energy.Active.Import.Register", "", "");
    s_hw(tl, 1, 1);
    const char *expect[] = { "2026-11-26T07:00:00.000Z", "2026-11-26T14:00:00.000Z",
                             "2026-11-26T21:00:00.000Z", "2026-11-27T00:00:00.000Z",
                             "2026-11-27T07:00:00.000Z" };
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        s_run_next(tl);
        assert_int_equal(tl->count, 1);
        assert_string_equal(s_stamp(&tl->out[0]), expect[i]);
        s_clear(tl);
    }
    s_timeline_destroy(&tl);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_parse),
        cmocka_unit_test(test_format_value),
        cmocka_unit_test(test_context_names),
        cmocka_unit_test(test_meter_value_each_measurand),
        cmocka_unit_test(test_meter_value_all_and_missing),
        cmocka_unit_test(test_next_aligned),
        cmocka_unit_test(test_next_sampled),
        cmocka_unit_test(test_core_new),
        cmocka_unit_test(test_timeline_transaction),
        cmocka_unit_test(test_timeline_disabled_and_empty),
        cmocka_unit_test(test_timeline_trigger),
        cmocka_unit_test(test_timeline_restart_adopts),
        cmocka_unit_test(test_timeline_clock_steps),
        cmocka_unit_test(test_timeline_day_of_7h),
    };
    return cmocka_run_group_tests(tests, s_group_setup, s_group_teardown);
}
