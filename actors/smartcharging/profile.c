/* profile.c — see profile.h. Parsing, validation and JSON of one
 * ChargingProfile. Every Rejected carries a reason for the log, so that an
 * operator can tell a CSMS bug from a charger limit. */
#include "actors/smartcharging/profile.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "supervisor/clock.h"
#include "supervisor/log.h"

static const char *const s_purposes[] = { "ChargePointMaxProfile", "TxDefaultProfile", "TxProfile" };
static const char *const s_kinds[] = { "Absolute", "Recurring", "Relative" };
static const char *const s_recurs[] = { "", "Daily", "Weekly" };
static const char *const s_units[] = { "A", "W" };

const char *sc_purpose_name(sc_purpose_t p) { return (unsigned) p < 3 ? s_purposes[p] : "?"; }
const char *sc_kind_name(sc_kind_t k) { return (unsigned) k < 3 ? s_kinds[k] : "?"; }
const char *sc_recur_name(sc_recur_t r) { return (unsigned) r < 3 ? s_recurs[r] : "?"; }
const char *sc_unit_name(sc_unit_t u) { return (unsigned) u < 2 ? s_units[u] : "?"; }

static int
s_lookup(const char *text, const char *const *names, int count)
{
    for (int i = 0; text && i < count; i++)
        if (names[i][0] && strcmp(text, names[i]) == 0)
            return i;
    return -1;
}

int
sc_purpose_parse(const char *text, sc_purpose_t *out)
{
    int i = s_lookup(text, s_purposes, 3);
    if (i >= 0)
        *out = (sc_purpose_t) i;
    return i >= 0 ? 0 : -1;
}

int
sc_unit_parse(const char *text, sc_unit_t *out)
{
    int i = s_lookup(text, s_units, 2);
    if (i >= 0)
        *out = (sc_unit_t) i;
    return i >= 0 ? 0 : -1;
}

//  An integer member; absent is fine when !required.
static int
s_int(const json_t *obj, const char *key, bool required, bool *present, int64_t *out,
      char *why, size_t why_size)
{
    json_t *v = json_object_get(obj, key);
    if (present)
        *present = v != NULL;
    if (!v)
        return required ? cp_refuse(why, why_size, "%s missing", key) : 0;
    if (json_is_integer(v))
        *out = json_integer_value(v);
    else
    if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v))
        && fabs(json_real_value(v)) < 9e15)
        *out = (int64_t) json_real_value(v);
    else
        return cp_refuse(why, why_size, "%s: expected an integer", key);
    return 0;
}

static int
s_time(const json_t *obj, const char *key, bool *present, int64_t *out, char *why, size_t why_size)
{
    json_t *v = json_object_get(obj, key);
    *present = v != NULL;
    if (!v)
        return 0;
    if (!json_is_string(v) || cp_clock_parse(json_string_value(v), out) != 0)
        return cp_refuse(why, why_size, "%s: not a date-time", key);
    return 0;
}

int
sc_profile_from_json(const json_t *cs, int connector, sc_profile_t *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof(*out));
    out->connector = connector;
    if (!json_is_object(cs))
        return cp_refuse(why, why_size, "csChargingProfiles: not an object");
    int64_t v = 0;
    if (s_int(cs, "chargingProfileId", true, NULL, &v, why, why_size))
        return -1;
    if (v < INT32_MIN || v > INT32_MAX)
        return cp_refuse(why, why_size, "chargingProfileId out of range");
    out->id = (int) v;
    if (s_int(cs, "transactionId", false, &out->has_tx_id, &out->tx_id, why, why_size))
        return -1;
    if (s_int(cs, "stackLevel", true, NULL, &v, why, why_size))
        return -1;
    if (v < 0 || v > INT32_MAX)
        return cp_refuse(why, why_size, "stackLevel out of range");
    out->stack_level = (int) v;
    int i = s_lookup(json_string_value(json_object_get(cs, "chargingProfilePurpose")), s_purposes, 3);
    if (i < 0)
        return cp_refuse(why, why_size, "chargingProfilePurpose missing or unknown");
    out->purpose = (sc_purpose_t) i;
    i = s_lookup(json_string_value(json_object_get(cs, "chargingProfileKind")), s_kinds, 3);
    if (i < 0)
        return cp_refuse(why, why_size, "chargingProfileKind missing or unknown");
    out->kind = (sc_kind_t) i;
    json_t *recur = json_object_get(cs, "recurrencyKind");
    if (recur) {
        i = s_lookup(json_string_value(recur), s_recurs, 3);
        if (i < 0)
            return cp_refuse(why, why_size, "recurrencyKind unknown");
        out->recur = (sc_recur_t) i;
    }
    if (s_time(cs, "validFrom", &out->has_valid_from, &out->valid_from_ms, why, why_size)
        || s_time(cs, "validTo", &out->has_valid_to, &out->valid_to_ms, why, why_size))
        return -1;

    json_t *sched = json_object_get(cs, "chargingSchedule");
    if (!json_is_object(sched))
        return cp_refuse(why, why_size, "chargingSchedule missing");
    if (s_int(sched, "duration", false, &out->has_duration, &out->duration_s, why, why_size)
        || s_time(sched, "startSchedule", &out->has_start, &out->start_ms, why, why_size))
        return -1;
    i = s_lookup(json_string_value(json_object_get(sched, "chargingRateUnit")), s_units, 2);
    if (i < 0)
        return cp_refuse(why, why_size, "chargingRateUnit missing or unknown");
    out->unit = (sc_unit_t) i;
    json_t *min_rate = json_object_get(sched, "minChargingRate");
    if (min_rate) {
        if (!json_is_number(min_rate))
            return cp_refuse(why, why_size, "minChargingRate: expected a number");
        out->has_min_rate = true;
        out->min_rate = json_number_value(min_rate);
    }
    json_t *periods = json_object_get(sched, "chargingSchedulePeriod");
    if (!json_is_array(periods) || json_array_size(periods) == 0)
        return cp_refuse(why, why_size, "chargingSchedulePeriod missing or empty");
    if (json_array_size(periods) > SC_MAX_PERIODS)
        return cp_refuse(why, why_size, "%zu periods: more than %d", json_array_size(periods),
                      SC_MAX_PERIODS);
    size_t index;
    json_t *p;
    json_array_foreach(periods, index, p) {
        sc_period_t *out_p = &out->periods[index];
        bool has_phases = false;
        int64_t phases = 0;
        if (!json_is_object(p))
            return cp_refuse(why, why_size, "chargingSchedulePeriod[%zu]: not an object", index);
        if (s_int(p, "startPeriod", true, NULL, &out_p->start_s, why, why_size)
            || s_int(p, "numberPhases", false, &has_phases, &phases, why, why_size))
            return -1;
        json_t *limit = json_object_get(p, "limit");
        if (!json_is_number(limit))
            return cp_refuse(why, why_size, "chargingSchedulePeriod[%zu].limit missing", index);
        out_p->limit = json_number_value(limit);
        if (has_phases && (phases < 1 || phases > 3))
            //  Errata 3.34 only covers more phases than the charger has,
            //  which we clamp; a count outside 1..3 is not a phase count.
            return cp_refuse(why, why_size, "chargingSchedulePeriod[%zu].numberPhases %lld not in 1..3",
                          index, (long long) phases);
        out_p->phases = has_phases ? (int) phases : 0;
    }
    out->period_count = (int) json_array_size(periods);
    return 0;
}

json_t *
sc_profile_to_json(const sc_profile_t *self)
{
    json_t *periods = json_array();
    for (int i = 0; periods && i < self->period_count; i++) {
        const sc_period_t *p = &self->periods[i];
        json_t *jp = json_pack("{s:I, s:f}", "startPeriod", (json_int_t) p->start_s, "limit", p->limit);
        if (jp && p->phases)
            json_object_set_new(jp, "numberPhases", json_integer(p->phases));
        if (!jp || json_array_append_new(periods, jp) != 0) {
            json_decref(periods);
            return NULL;
        }
    }
    json_t *sched = json_pack("{s:s, s:o}", "chargingRateUnit", sc_unit_name(self->unit),
                              "chargingSchedulePeriod", periods);
    if (!sched)
        return NULL;
    char ts[40];
    if (self->has_duration)
        json_object_set_new(sched, "duration", json_integer(self->duration_s));
    if (self->has_start) {
        cp_clock_format(self->start_ms, ts, sizeof(ts));
        json_object_set_new(sched, "startSchedule", json_string(ts));
    }
    if (self->has_min_rate)
        json_object_set_new(sched, "minChargingRate", json_real(self->min_rate));
    json_t *cs = json_pack("{s:i, s:i, s:s, s:s, s:o}", "chargingProfileId", self->id,
                           "stackLevel", self->stack_level,
                           "chargingProfilePurpose", sc_purpose_name(self->purpose),
                           "chargingProfileKind", sc_kind_name(self->kind),
                           "chargingSchedule", sched);
    if (!cs)
        return NULL;
    if (self->has_tx_id)
        json_object_set_new(cs, "transactionId", json_integer(self->tx_id));
    if (self->recur != SC_RECUR_NONE)
        json_object_set_new(cs, "recurrencyKind", json_string(sc_recur_name(self->recur)));
    if (self->has_valid_from) {
        cp_clock_format(self->valid_from_ms, ts, sizeof(ts));
        json_object_set_new(cs, "validFrom", json_string(ts));
    }
    if (self->has_valid_to) {
        cp_clock_format(self->valid_to_ms, ts, sizeof(ts));
        json_object_set_new(cs, "validTo", json_string(ts));
    }
    return cs;
}

sc_verdict_t
sc_profile_validate(sc_profile_t *self, const sc_rules_t *rules, const sc_tx_view_t *tx,
                    int64_t now_ms, char *why, size_t why_size)
{
    if (self->connector < 0 || self->connector > rules->connectors) {
        cp_refuse(why, why_size, "connector %d does not exist", self->connector);
        return SC_PROFILE_BAD_CONNECTOR;
    }
    #define REJECT(...) do { cp_refuse(why, why_size, __VA_ARGS__); return SC_PROFILE_REJECTED; } while (0)
    if (self->stack_level < 0 || self->stack_level > rules->max_stack_level)
        REJECT("stackLevel %d above ChargeProfileMaxStackLevel %d", self->stack_level,
               rules->max_stack_level);
    if ((self->unit == SC_UNIT_A && !rules->allow_a) || (self->unit == SC_UNIT_W && !rules->allow_w))
        REJECT("chargingRateUnit %s not in ChargingScheduleAllowedChargingRateUnit",
               sc_unit_name(self->unit));
    int max_periods = rules->max_periods < SC_MAX_PERIODS ? rules->max_periods : SC_MAX_PERIODS;
    if (self->period_count < 1 || self->period_count > max_periods)
        REJECT("%d periods: ChargingScheduleMaxPeriods is %d", self->period_count, max_periods);
    if (self->periods[0].start_s != 0)
        REJECT("first startPeriod is %lld, not 0 (errata 3.45)", (long long) self->periods[0].start_s);
    for (int i = 0; i < self->period_count; i++) {
        if (i > 0 && self->periods[i].start_s <= self->periods[i - 1].start_s)
            REJECT("startPeriod %lld does not follow %lld: periods must increase strictly",
                   (long long) self->periods[i].start_s, (long long) self->periods[i - 1].start_s);
        if (!isfinite(self->periods[i].limit) || self->periods[i].limit < 0)
            REJECT("period %d: limit must be >= 0", i);
    }
    if (self->has_duration && self->duration_s < 0)
        REJECT("duration is negative");
    if (self->has_min_rate && (!isfinite(self->min_rate) || self->min_rate < 0))
        REJECT("minChargingRate must be >= 0");
    if (self->has_valid_from && self->has_valid_to && self->valid_to_ms <= self->valid_from_ms)
        REJECT("validTo is not after validFrom");
    if (self->has_valid_to && self->valid_to_ms <= now_ms)
        REJECT("validTo is in the past");
    switch (self->purpose) {
        case SC_PURPOSE_CP_MAX:
            if (self->connector != 0)
                REJECT("ChargePointMaxProfile only on connector 0 (3.13.1)");
            break;
        case SC_PURPOSE_TX_DEFAULT:
            break;
        case SC_PURPOSE_TX:
            if (self->connector == 0)
                REJECT("TxProfile only on a connector > 0 (3.13.1)");
            if (!tx || !tx->active)
                REJECT("TxProfile without a transaction on connector %d (3.13.1)", self->connector);
            if (self->has_tx_id && (!tx->confirmed || tx->tx_id != self->tx_id))
                REJECT("transactionId %lld is not the transaction on connector %d",
                       (long long) self->tx_id, self->connector);
            break;
    }
    if (self->has_tx_id && self->purpose != SC_PURPOSE_TX)
        REJECT("transactionId is only valid for a TxProfile (7.8)");
    switch (self->kind) {
        case SC_KIND_RECURRING:
            if (self->recur == SC_RECUR_NONE)
                REJECT("a Recurring profile needs recurrencyKind");
            if (!self->has_start)
                REJECT("a Recurring profile needs startSchedule");
            break;
        case SC_KIND_ABSOLUTE:
            self->recur = SC_RECUR_NONE;
            if (!self->has_start) {
                self->has_start = true;
                self->start_ms = now_ms;
            }
            break;
        case SC_KIND_RELATIVE:
            //  Relative to the transaction start: a startSchedule means
            //  nothing here (7.13) and would only confuse persistence.
            self->recur = SC_RECUR_NONE;
            self->has_start = false;
            self->start_ms = 0;
            break;
    }
    #undef REJECT
    return SC_PROFILE_OK;
}
