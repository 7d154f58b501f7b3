/* metering_core.c — measurand sets, MeterValue building and the sampling
 * schedules of the metering actor (see metering_core.h). Pure: time comes
 * in as arguments, effects go out through the emit callback.
 */
#include "actors/metering/metering_core.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hw/hw.h"
#include "supervisor/clock.h"

#define DAY_MS (86400LL * 1000)

//  hw_connector carries the per-phase current and the phase-to-neutral
//  voltage of a three-phase connector (hw/sim models HW_SIM_PHASES = 3).
//  §3.16.3: every phase the meter measures SHALL be reported.
#define METERING_PHASES 3

//  A clock-aligned tick that fires this late after its boundary is still
//  stamped with the boundary itself: timer jitter must not make a
//  quarter-hour reading look like 10:15:00.004.
#define ALIGNED_STAMP_SLACK_MS 1000

//  --------------------------------------------------------------------------
//  Measurand sets

static const struct {
    const char *name;
    metering_measurand_t bit;
} s_measurands[] = {
    { "Energy.Active.Import.Register", METERING_ENERGY_IMPORT },
    { "Power.Active.Import", METERING_POWER_IMPORT },
    { "Current.Import", METERING_CURRENT_IMPORT },
    { "Current.Offered", METERING_CURRENT_OFFERED },
    { "Voltage", METERING_VOLTAGE },
    { "Temperature", METERING_TEMPERATURE },
    { "SoC", METERING_SOC },
};
#define MEASURAND_COUNT (sizeof(s_measurands) / sizeof(s_measurands[0]))

int
metering_set_parse(const char *csl, metering_set_t *set)
{
    assert(set);
    *set = 0;
    if (!csl)
        return 0;
    int rc = 0;
    const char *cursor = csl;
    //  "" is the empty set, not one empty item.
    while (*cursor == ' ' || *cursor == '\t')
        cursor++;
    if (*cursor == '\0')
        return 0;
    while (cursor) {
        const char *comma = strchr(cursor, ',');
        const char *end = comma ? comma : cursor + strlen(cursor);
        while (cursor < end && (*cursor == ' ' || *cursor == '\t'))
            cursor++;
        while (end > cursor && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        size_t len = (size_t) (end - cursor);
        bool known = false;
        for (size_t i = 0; i < MEASURAND_COUNT && len; i++)
            if (strlen(s_measurands[i].name) == len && memcmp(s_measurands[i].name, cursor, len) == 0) {
                *set |= s_measurands[i].bit;
                known = true;
            }
        if (!known)
            rc = -1;
        cursor = comma ? comma + 1 : NULL;
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Samples

const char *
metering_context_name(metering_context_t context)
{
    switch (context) {
        case METERING_CONTEXT_PERIODIC: return "Sample.Periodic";
        case METERING_CONTEXT_CLOCK:    return "Sample.Clock";
        case METERING_CONTEXT_TX_BEGIN: return "Transaction.Begin";
        case METERING_CONTEXT_TX_END:   return "Transaction.End";
        case METERING_CONTEXT_TRIGGER:  return "Trigger";
    }
    return "Other";
}

int
metering_format_value(double value, char *buf, size_t size)
{
    assert(buf && size > 0);
    buf[0] = '\0';
    //  Beyond 1e12 no charger reading is plausible; refusing it also keeps
    //  "%.3f" short.
    if (!isfinite(value) || fabs(value) >= 1e12)
        return -1;
    char text[32];
    snprintf(text, sizeof(text), "%.3f", value);
    char *dot = strchr(text, '.');
    if (dot) {
        char *end = text + strlen(text);
        while (end > dot + 1 && end[-1] == '0')
            *--end = '\0';
        if (end == dot + 1)
            *dot = '\0';
    }
    //  -0.0004 prints as "-0": a reading has no sign of zero.
    if (strcmp(text, "-0") == 0)
        snprintf(text, sizeof(text), "0");
    if (strlen(text) + 1 > size)
        return -1;
    snprintf(buf, size, "%s", text);
    return 0;
}

//  Append one sampledValue; skipped (never invented) when value is not a
//  reading. phase/location may be NULL.
static void
s_add(json_t *values, const char *text, metering_context_t context, const char *measurand,
      const char *phase, const char *location, const char *unit)
{
    json_t *sv = json_object();
    if (!sv)
        return;
    json_object_set_new(sv, "value", json_string(text));
    json_object_set_new(sv, "context", json_string(metering_context_name(context)));
    json_object_set_new(sv, "measurand", json_string(measurand));
    if (phase)
        json_object_set_new(sv, "phase", json_string(phase));
    if (location)
        json_object_set_new(sv, "location", json_string(location));
    json_object_set_new(sv, "unit", json_string(unit));
    json_array_append_new(values, sv);
}

static void
s_add_number(json_t *values, double value, metering_context_t context, const char *measurand,
             const char *phase, const char *location, const char *unit)
{
    char text[32];
    if (metering_format_value(value, text, sizeof(text)) == 0)
        s_add(values, text, context, measurand, phase, location, unit);
}

json_t *
metering_meter_value(const cp_msg_hw_connector_t *r, int64_t wall_ms, metering_context_t context,
                     metering_set_t set)
{
    assert(r);
    json_t *values = json_array();
    if (!values)
        return NULL;
    if ((set & METERING_ENERGY_IMPORT) && isfinite(r->energy_wh) && r->energy_wh >= 0
        && r->energy_wh < 1e15) {
        //  A register reading is truncated, never rounded up: it must not
        //  report energy that has not been delivered yet (and it matches
        //  the whole-Wh register the rest of the controller shows).
        char text[32];
        snprintf(text, sizeof(text), "%lld", (long long) floor(r->energy_wh));
        s_add(values, text, context, "Energy.Active.Import.Register", NULL, "Outlet", "Wh");
    }
    if (set & METERING_POWER_IMPORT)
        s_add_number(values, r->power_w, context, "Power.Active.Import", NULL, "Outlet", "W");
    if (set & METERING_CURRENT_IMPORT) {
        static const char *const phases[METERING_PHASES] = { "L1", "L2", "L3" };
        for (int i = 0; i < METERING_PHASES; i++)
            s_add_number(values, r->current_a, context, "Current.Import", phases[i], "Outlet", "A");
    }
    if (set & METERING_CURRENT_OFFERED)
        //  offered_a is what the pilot offers now, i.e. the limit actually
        //  applied after smart charging (lessons: Metering).
        s_add_number(values, r->offered_a, context, "Current.Offered", NULL, "Outlet", "A");
    if (set & METERING_VOLTAGE) {
        static const char *const phases[METERING_PHASES] = { "L1-N", "L2-N", "L3-N" };
        for (int i = 0; i < METERING_PHASES; i++)
            s_add_number(values, r->voltage_v, context, "Voltage", phases[i], "Outlet", "V");
    }
    if (set & METERING_TEMPERATURE)
        s_add_number(values, r->temperature_c, context, "Temperature", NULL, "Body", "Celsius");
    //  METERING_SOC: the hardware has no state of charge; never invented.
    if (json_array_size(values) == 0) {
        json_decref(values);
        return NULL;
    }
    char stamp[40];
    cp_clock_format(wall_ms, stamp, sizeof(stamp));
    json_t *mv = json_object();
    if (!mv) {
        json_decref(values);
        return NULL;
    }
    json_object_set_new(mv, "timestamp", json_string(stamp));
    json_object_set_new(mv, "sampledValue", values);
    return mv;
}

//  --------------------------------------------------------------------------
//  Schedules

//  floor division that also holds before 1970
static int64_t
s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t
metering_next_aligned(int64_t wall_ms, int64_t interval_s)
{
    if (interval_s <= 0)
        return -1;
    int64_t interval_ms = interval_s * 1000;
    int64_t midnight = s_floor_div(wall_ms, DAY_MS) * DAY_MS;
    int64_t next = midnight + (s_floor_div(wall_ms - midnight, interval_ms) + 1) * interval_ms;
    //  §3.16.2: the intervals are per day, starting at 00:00:00.
    return next < midnight + DAY_MS ? next : midnight + DAY_MS;
}

int64_t
metering_next_sampled(int64_t start_ms, int64_t interval_s, int64_t now_ms)
{
    if (interval_s <= 0)
        return -1;
    int64_t interval_ms = interval_s * 1000;
    if (now_ms < start_ms)
        return start_ms + interval_ms;
    return start_ms + (s_floor_div(now_ms - start_ms, interval_ms) + 1) * interval_ms;
}

//  --------------------------------------------------------------------------
//  The scheduler

typedef struct {
    bool have_reading;
    cp_msg_hw_connector_t reading;
    bool tx_seen;                   //  a view arrived since we started
    bool tx_active;
    int64_t tx_local;
    int64_t tx_id;
    bool tx_confirmed;
    int64_t tx_start_mono;          //  anchor of the sampled schedule
    int64_t sample_due_mono;        //  -1: none
} connector_t;

struct _metering_core_t {
    int connectors;
    metering_emit_fn *emit;
    void *ctx;
    metering_config_t config;
    int64_t aligned_due_wall;       //  -1: clock-aligned data off
    connector_t connector[HW_MAX_CONNECTORS + 1];   //  [1..connectors]
};

metering_core_t *
metering_core_new(int connectors, metering_emit_fn *emit, void *ctx)
{
    assert(emit);
    if (connectors < 1 || connectors > HW_MAX_CONNECTORS)
        return NULL;
    metering_core_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->connectors = connectors;
    self->emit = emit;
    self->ctx = ctx;
    self->aligned_due_wall = -1;
    for (int n = 0; n <= HW_MAX_CONNECTORS; n++)
        self->connector[n].sample_due_mono = -1;
    return self;
}

void
metering_core_destroy(metering_core_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

int
metering_core_connectors(const metering_core_t *self)
{
    assert(self);
    return self->connectors;
}

static void
s_emit_json(metering_core_t *self, metering_out_kind_t kind, int connector, int64_t tx_local,
            const char *tx_kind, json_t *payload)
{
    char *text = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    if (!text)
        return;
    metering_out_t out = {
        .kind = kind, .connector = connector, .tx_local = tx_local, .tx_kind = tx_kind,
        .payload = text,
    };
    self->emit(self->ctx, &out);
    free(text);
}

//  A tx_meter of one MeterValue for the running transaction on n; nothing
//  when the set is empty or nothing in it can be read.
static void
s_tx_meter(metering_core_t *self, int n, const char *tx_kind, int64_t wall_ms,
           metering_context_t context, metering_set_t set)
{
    connector_t *c = &self->connector[n];
    if (!set || !c->have_reading)
        return;
    json_t *mv = metering_meter_value(&c->reading, wall_ms, context, set);
    if (!mv)
        return;
    json_t *array = json_array();
    json_array_append_new(array, mv);
    s_emit_json(self, METERING_OUT_TX_METER, n, c->tx_local, tx_kind, array);
}

//  A MeterValues.req straight to the central system (not transaction data
//  that must survive in the outbox: a clock-aligned reading of an idle
//  connector, or a triggered one). Returns 0 if sent.
static int
s_meter_values(metering_core_t *self, int n, int64_t wall_ms, metering_context_t context,
               metering_set_t set, bool with_tx)
{
    connector_t *c = &self->connector[n];
    if (!set || !c->have_reading)
        return -1;
    json_t *mv = metering_meter_value(&c->reading, wall_ms, context, set);
    if (!mv)
        return -1;
    json_t *payload = json_object();
    json_object_set_new(payload, "connectorId", json_integer(n));
    if (with_tx && c->tx_active && c->tx_confirmed)
        json_object_set_new(payload, "transactionId", json_integer(c->tx_id));
    json_t *array = json_array();
    json_array_append_new(array, mv);
    json_object_set_new(payload, "meterValue", array);
    s_emit_json(self, METERING_OUT_METER_VALUES, n, 0, NULL, payload);
    return 0;
}

//  Errata 3.16.6: when StopTransaction carries meter data at all, it
//  carries the start and stop value of every configured measurand; when
//  both keys are empty it carries none (errata 3.14.5).
static metering_set_t
s_stop_set(const metering_core_t *self)
{
    return self->config.stop_sampled | self->config.stop_aligned;
}

static void
s_reschedule_sample(metering_core_t *self, connector_t *c, int64_t mono_ms)
{
    c->sample_due_mono = c->tx_active
        ? metering_next_sampled(c->tx_start_mono, self->config.sample_interval_s, mono_ms)
        : -1;
}

void
metering_core_set_config(metering_core_t *self, const metering_config_t *config,
                         int64_t mono_ms, int64_t wall_ms)
{
    assert(self && config);
    self->config = *config;
    self->aligned_due_wall = metering_next_aligned(wall_ms, config->aligned_interval_s);
    for (int n = 1; n <= self->connectors; n++)
        s_reschedule_sample(self, &self->connector[n], mono_ms);
}

void
metering_core_on_hw(metering_core_t *self, const cp_msg_hw_connector_t *reading)
{
    assert(self && reading);
    if (reading->connector < 1 || reading->connector > self->connectors)
        return;
    connector_t *c = &self->connector[reading->connector];
    c->reading = *reading;
    c->have_reading = true;
}

static void
s_tx_begin(metering_core_t *self, int n, const cp_msg_tx_connector_t *view, int64_t mono_ms,
           int64_t wall_ms, bool first_view)
{
    connector_t *c = &self->connector[n];
    c->tx_active = true;
    c->tx_local = view->tx_local;
    c->tx_id = view->tx_id;
    c->tx_confirmed = view->tx_confirmed;
    //  Sample "from the start of the transaction" (§3.16.1): anchor on
    //  started_at when we join late, so a restart keeps the cadence.
    int64_t started_wall;
    int64_t age = 0;
    if (view->started_at[0] && cp_clock_parse(view->started_at, &started_wall) == 0
        && started_wall <= wall_ms)
        age = wall_ms - started_wall;
    c->tx_start_mono = mono_ms - age;
    s_reschedule_sample(self, c, mono_ms);
    if (!first_view || age <= METERING_BEGIN_GRACE_MS)
        s_tx_meter(self, n, "stopdata", wall_ms, METERING_CONTEXT_TX_BEGIN, s_stop_set(self));
}

static void
s_tx_end(metering_core_t *self, int n, int64_t wall_ms)
{
    connector_t *c = &self->connector[n];
    //  Sent at once: the transaction actor builds StopTransaction after a
    //  short settle and expects the End values by then.
    s_tx_meter(self, n, "stopdata", wall_ms, METERING_CONTEXT_TX_END, s_stop_set(self));
    c->tx_active = false;
    c->sample_due_mono = -1;
}

void
metering_core_on_tx(metering_core_t *self, const cp_msg_tx_connector_t *view, int64_t mono_ms,
                    int64_t wall_ms)
{
    assert(self && view);
    if (view->connector < 1 || view->connector > self->connectors)
        return;
    int n = (int) view->connector;
    connector_t *c = &self->connector[n];
    bool first_view = !c->tx_seen;
    c->tx_seen = true;
    if (view->tx_active) {
        if (c->tx_active && c->tx_local == view->tx_local) {
            //  Same transaction: StartTransaction.conf may have brought its id.
            c->tx_id = view->tx_id;
            c->tx_confirmed = view->tx_confirmed;
            return;
        }
        //  A different transaction while one ran: we missed the end edge
        //  (e.g. during our restart). Close ours before starting the new.
        if (c->tx_active)
            s_tx_end(self, n, wall_ms);
        s_tx_begin(self, n, view, mono_ms, wall_ms, first_view);
    }
    else
    if (c->tx_active)
        s_tx_end(self, n, wall_ms);
}

static void
s_aligned_tick(metering_core_t *self, int64_t stamp)
{
    for (int n = 1; n <= self->connectors; n++) {
        connector_t *c = &self->connector[n];
        if (c->tx_active) {
            s_tx_meter(self, n, "periodic", stamp, METERING_CONTEXT_CLOCK, self->config.aligned);
            s_tx_meter(self, n, "stopdata", stamp, METERING_CONTEXT_CLOCK, self->config.stop_aligned);
        }
        else
            s_meter_values(self, n, stamp, METERING_CONTEXT_CLOCK, self->config.aligned, false);
    }
}

void
metering_core_tick(metering_core_t *self, int64_t mono_ms, int64_t wall_ms)
{
    assert(self);
    if (self->aligned_due_wall >= 0) {
        int64_t interval_ms = self->config.aligned_interval_s * 1000;
        if (wall_ms >= self->aligned_due_wall) {
            //  Several boundaries missed (the wall clock jumped forward, or
            //  we were suspended) give one reading, not a burst of equal ones.
            int64_t late = wall_ms - self->aligned_due_wall;
            s_aligned_tick(self, late <= ALIGNED_STAMP_SLACK_MS ? self->aligned_due_wall : wall_ms);
            self->aligned_due_wall = metering_next_aligned(wall_ms, self->config.aligned_interval_s);
        }
        else
        if (self->aligned_due_wall - wall_ms > interval_ms)
            //  The wall clock went back (set from the central system's
            //  currentTime): the boundary we waited for is not the next one.
            self->aligned_due_wall = metering_next_aligned(wall_ms, self->config.aligned_interval_s);
    }
    for (int n = 1; n <= self->connectors; n++) {
        connector_t *c = &self->connector[n];
        if (!c->tx_active || c->sample_due_mono < 0 || mono_ms < c->sample_due_mono)
            continue;
        s_tx_meter(self, n, "periodic", wall_ms, METERING_CONTEXT_PERIODIC, self->config.sampled);
        s_tx_meter(self, n, "stopdata", wall_ms, METERING_CONTEXT_PERIODIC, self->config.stop_sampled);
        s_reschedule_sample(self, c, mono_ms);
    }
}

int64_t
metering_core_next_delay(const metering_core_t *self, int64_t mono_ms, int64_t wall_ms)
{
    assert(self);
    int64_t delay = -1;
    if (self->aligned_due_wall >= 0)
        delay = self->aligned_due_wall > wall_ms ? self->aligned_due_wall - wall_ms : 0;
    for (int n = 1; n <= self->connectors; n++) {
        const connector_t *c = &self->connector[n];
        if (!c->tx_active || c->sample_due_mono < 0)
            continue;
        int64_t d = c->sample_due_mono > mono_ms ? c->sample_due_mono - mono_ms : 0;
        if (delay < 0 || d < delay)
            delay = d;
    }
    return delay;
}

int
metering_core_trigger(metering_core_t *self, int connector, int64_t wall_ms)
{
    assert(self);
    if (connector < -1 || connector > self->connectors)
        return -1;
    //  §5.17 TriggerMessage: "the most recent measurements for all
    //  measurands configured in MeterValuesSampledData". An empty list
    //  would give an empty (schema-invalid) MeterValue, so fall back to the
    //  register, the spec's default measurand.
    metering_set_t set = self->config.sampled ? self->config.sampled : METERING_ENERGY_IMPORT;
    int first = connector > 0 ? connector : 1;
    int last = connector > 0 ? connector : self->connectors;
    int sent = 0;
    for (int n = first; n <= last; n++)
        if (s_meter_values(self, n, wall_ms, METERING_CONTEXT_TRIGGER, set, true) == 0)
            sent++;
    return sent;
}
