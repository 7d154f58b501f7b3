/* test_safety_core.c — every rule of safety_core.h on a virtual clock.
 *
 * Each test feeds driver readings at chosen instants and checks the
 * verdict: permit, cap, trip, error code, vendor error, stop reason, the
 * "changed" signal that drives publishing, and the recovery rules
 * (unplug + clear, hourly budget, hysteresis, welding never).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "actors/safety/safety_core.h"

#define HOUR_MS (3600 * 1000)

//  A healthy car charging at `amps` on connector 1 with the contactor closed.
static hw_connector_state_t
s_charging(double amps)
{
    hw_connector_state_t st;
    memset(&st, 0, sizeof(st));
    st.connector = 1;
    st.plugged = true;
    st.pilot = 'C';
    st.ev_requesting = true;
    st.contactor_closed = true;
    st.current_a = amps;
    st.offered_a = amps;
    st.voltage_v = 230;
    st.temperature_c = 30;
    st.voltage_after_open_v = 230;
    snprintf(st.fault, sizeof(st.fault), "none");
    return st;
}

//  Nobody there: unplugged, open, cold.
static hw_connector_state_t
s_idle(void)
{
    hw_connector_state_t st = s_charging(0);
    st.plugged = false;
    st.pilot = 'A';
    st.ev_requesting = false;
    st.contactor_closed = false;
    st.offered_a = 32;
    st.voltage_after_open_v = 0;
    return st;
}

static void
s_fault(hw_connector_state_t *st, const char *fault)
{
    snprintf(st->fault, sizeof(st->fault), "%s", fault);
}

typedef struct {
    safety_core_t *core;
    int64_t now;
    safety_verdict_t v;
    bool changed;
} fx_t;

static int
s_setup(void **state)
{
    fx_t *f = calloc(1, sizeof(fx_t));
    assert_non_null(f);
    f->core = safety_core_new(2);
    assert_non_null(f->core);
    f->now = 1000;
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fx_t *f = *state;
    safety_core_destroy(&f->core);
    assert_null(f->core);
    free(f);
    return 0;
}

//  Evaluate connector 1 at f->now.
static const safety_verdict_t *
s_eval(fx_t *f, const hw_connector_state_t *st)
{
    f->changed = safety_core_evaluate(f->core, 1, st, f->now, &f->v);
    return &f->v;
}

static void
s_assert_ok(const safety_verdict_t *v)
{
    assert_false(v->tripped);
    assert_true(v->permit);
    assert_string_equal(v->error_code, "NoError");
    assert_string_equal(v->vendor_error, "");
    assert_string_equal(v->stop_reason, "");
}

static void
s_assert_trip(const safety_verdict_t *v, const char *code, const char *vendor, const char *reason)
{
    assert_true(v->tripped);
    assert_false(v->permit);
    assert_string_equal(v->error_code, code);
    assert_string_equal(v->vendor_error, vendor);
    assert_string_equal(v->stop_reason, reason);
}

static void
test_new(void **state)
{
    assert_null(safety_core_new(0));
    assert_null(safety_core_new(HW_MAX_CONNECTORS + 1));
    safety_core_t *core = safety_core_new(HW_MAX_CONNECTORS);
    assert_non_null(core);
    assert_int_equal(safety_core_connectors(core), HW_MAX_CONNECTORS);
    //  Before any look at the hardware, nothing is approved.
    safety_verdict_t v;
    safety_core_verdict(core, 3, &v);
    assert_false(v.permit);
    assert_int_equal(v.connector, 3);
    safety_core_destroy(&core);
    assert_null(core);
}

static void
test_first_look_and_quiet(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_charging(32);
    s_assert_ok(s_eval(f, &st));
    assert_true(f->changed);                  //  first: always published
    assert_true(f->v.cap_a == 0);
    f->now += 100;
    s_eval(f, &st);
    assert_false(f->changed);
    safety_verdict_t last;
    safety_core_verdict(f->core, 1, &last);
    assert_true(last.permit);
    //  Connector 2 is independent: not yet looked at.
    safety_core_verdict(f->core, 2, &last);
    assert_false(last.permit);
}

//  The slow tick is for a connector where nothing can flow: any cable, a
//  closed contactor, a trip or an unreadable connector brings back the fast one.
static void
test_quiet(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_charging(32);
    st.plugged = false;
    st.contactor_closed = false;
    st.ev_requesting = false;
    st.current_a = 0;
    st.pilot = 'A';
    s_assert_ok(s_eval(f, &st));
    assert_true(safety_core_quiet(&st, &f->v));
    assert_false(safety_core_quiet(NULL, &f->v));
    hw_connector_state_t plugged = st;
    plugged.plugged = true;
    assert_false(safety_core_quiet(&plugged, &f->v));
    hw_connector_state_t closed = st;
    closed.contactor_closed = true;
    assert_false(safety_core_quiet(&closed, &f->v));
    f->now += 100;
    snprintf(st.fault, sizeof(st.fault), "rcd");
    s_eval(f, &st);
    assert_true(f->v.tripped);
    assert_false(safety_core_quiet(&st, &f->v));
}

static void
test_rcd_trip_and_recovery(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_charging(32);
    s_eval(f, &st);
    s_fault(&st, "rcd");
    s_assert_trip(s_eval(f, &st), "GroundFailure", "ResidualCurrent", "EmergencyStop");
    assert_true(f->changed);
    assert_int_equal(f->v.cause, SAFETY_CAUSE_RCD);
    //  The fault clears, but nobody unplugged: still tripped.
    st.contactor_closed = false;
    st.current_a = 0;
    st.voltage_after_open_v = 0;
    s_fault(&st, "none");
    f->now += 60000;
    assert_true(s_eval(f, &st)->tripped);
    assert_false(f->changed);
    //  Unplug: the rule is met, approved again.
    st.plugged = false;
    f->now += 100;
    s_assert_ok(s_eval(f, &st));
    assert_true(f->changed);
}

static void
test_ground_unplug_before_clear(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_charging(16);
    s_fault(&st, "ground");
    s_assert_trip(s_eval(f, &st), "GroundFailure", "EarthContinuity", "EmergencyStop");
    //  Unplugged while the fault is still there: remembered.
    st = s_idle();
    s_fault(&st, "ground");
    f->now += 100;
    assert_true(s_eval(f, &st)->tripped);
    //  Replugged, then the fault clears: approved.
    st.plugged = true;
    f->now += 100;
    assert_true(s_eval(f, &st)->tripped);
    s_fault(&st, "none");
    f->now += 100;
    s_assert_ok(s_eval(f, &st));
}

//  Rule 2 depends on the earthing system: TN (the default) checks the
//  earth monitor, TT ignores it (a local electrode floats away from N);
//  the residual-current monitor trips on both; a TN ground trip lifts when
//  the owner says TT (the reading no longer means a hazard) once unplugged.
static void
test_earthing_tn_tt(void **state)
{
    fx_t *f = *state;
    assert_int_equal(safety_core_earthing(f->core), SAFETY_EARTHING_TN);
    safety_core_set_earthing(f->core, SAFETY_EARTHING_TT);
    hw_connector_state_t st = s_charging(16);
    s_fault(&st, "ground");
    s_assert_ok(s_eval(f, &st));
    s_fault(&st, "rcd");
    f->now += 100;
    s_assert_trip(s_eval(f, &st), "GroundFailure", "ResidualCurrent", "EmergencyStop");
    //  a fresh core on TN: the same ground reading trips
    safety_core_t *tn = safety_core_new(1);
    assert_non_null(tn);
    st = s_charging(16);
    s_fault(&st, "ground");
    safety_verdict_t v;
    safety_core_evaluate(tn, 1, &st, 1000, &v);
    s_assert_trip(&v, "GroundFailure", "EarthContinuity", "EmergencyStop");
    safety_core_set_earthing(tn, SAFETY_EARTHING_TT);
    st.plugged = false;
    safety_core_evaluate(tn, 1, &st, 1100, &v);
    s_assert_ok(&v);
    safety_core_destroy(&tn);
}

static void
test_trip_while_unplugged(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_idle();
    s_fault(&st, "rcd");
    assert_true(s_eval(f, &st)->tripped);
    //  No car to unplug: clearing is enough.
    s_fault(&st, "none");
    f->now += 100;
    s_assert_ok(s_eval(f, &st));
}

//  Trip by rcd, then unplug with the fault cleared: one re-approval spent.
static const safety_verdict_t *
s_rcd_cycle(fx_t *f)
{
    hw_connector_state_t st = s_charging(32);
    s_fault(&st, "rcd");
    assert_true(s_eval(f, &st)->tripped);
    f->now += 1000;
    st = s_idle();
    return s_eval(f, &st);
}

static void
test_retry_budget(void **state)
{
    fx_t *f = *state;
    int64_t first = f->now + 1000;          //  when the first re-approval happens
    for (int i = 0; i < SAFETY_RETRIES_PER_HOUR; i++) {
        s_assert_ok(s_rcd_cycle(f));
        f->now += 60000;
    }
    //  The fourth in the same hour: locked out, with a vendor code saying so.
    const safety_verdict_t *v = s_rcd_cycle(f);
    s_assert_trip(v, "GroundFailure", "LockedOut", "EmergencyStop");
    assert_true(v->locked_out);
    //  Replugging does not help while the hour lasts.
    hw_connector_state_t st = s_idle();
    for (int i = 0; i < 10; i++) {
        f->now += 60000;
        st.plugged = !st.plugged;
        if (f->now - first < HOUR_MS)
            assert_true(s_eval(f, &st)->locked_out);
    }
    //  Once the oldest re-approval is an hour old, a slot is free again.
    f->now = first + HOUR_MS - 1;
    st.plugged = false;
    assert_true(s_eval(f, &st)->locked_out);
    f->now = first + HOUR_MS;
    s_assert_ok(s_eval(f, &st));
    assert_false(f->v.locked_out);
    //  ...and only one: the next trip within the window is locked out.
    f->now += 1000;
    assert_true(s_rcd_cycle(f)->locked_out);
}

static void
test_overcurrent_grace(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_charging(16);
    s_eval(f, &st);
    //  Within the 2 A margin: never a trip.
    st.current_a = 17.9;
    for (int i = 0; i < 100; i++) {
        f->now += 100;
        s_assert_ok(s_eval(f, &st));
    }
    //  Above it: tolerated for the grace period, then a trip.
    st.current_a = 19;
    int64_t start = f->now;
    s_eval(f, &st);
    f->now = start + SAFETY_OC_GRACE_MS - 1;
    s_assert_ok(s_eval(f, &st));
    f->now = start + SAFETY_OC_GRACE_MS;
    s_assert_trip(s_eval(f, &st), "OverCurrentFailure", "EvOverCurrent", "Other");
}

static void
test_overcurrent_interrupted(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_charging(16);
    //  An excess that stops before the grace period restarts the count.
    st.current_a = 20;
    s_eval(f, &st);
    f->now += SAFETY_OC_GRACE_MS - 100;
    s_assert_ok(s_eval(f, &st));
    st.current_a = 16;
    f->now += 100;
    s_assert_ok(s_eval(f, &st));
    st.current_a = 20;
    f->now += 100;
    s_assert_ok(s_eval(f, &st));
    f->now += SAFETY_OC_GRACE_MS - 100;
    s_assert_ok(s_eval(f, &st));
    f->now += 100;
    assert_true(s_eval(f, &st)->tripped);
}

static void
test_overcurrent_ten_percent(void **state)
{
    fx_t *f = *state;
    //  At 32 A the margin is 10 % (3.2 A), more than 2 A.
    hw_connector_state_t st = s_charging(32);
    st.current_a = 35.1;
    s_eval(f, &st);
    f->now += 2 * SAFETY_OC_GRACE_MS;
    s_assert_ok(s_eval(f, &st));
    st.current_a = 35.3;
    s_eval(f, &st);
    f->now += SAFETY_OC_GRACE_MS;
    assert_true(s_eval(f, &st)->tripped);
}

static void
test_overcurrent_hard_limit(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_charging(16);
    s_eval(f, &st);
    //  16 × 1.5 + 2 = 26 A: above it, at once.
    st.current_a = 26;
    f->now += 100;
    s_assert_ok(s_eval(f, &st));
    st.current_a = 26.1;
    f->now += 100;
    s_assert_trip(s_eval(f, &st), "OverCurrentFailure", "EvOverCurrent", "Other");
    //  The hardware rating caps the hard limit (connector 2).
    hw_connector_state_t st2 = s_charging(80);
    safety_verdict_t v;
    safety_core_evaluate(f->core, 2, &st2, f->now, &v);
    assert_false(v.tripped);
    st2.current_a = 80.5;
    safety_core_evaluate(f->core, 2, &st2, f->now + 100, &v);
    assert_true(v.tripped);
    assert_string_equal(v.error_code, "OverCurrentFailure");
}

static void
test_overcurrent_offer_lowered(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_charging(32);
    s_eval(f, &st);
    //  The offer drops to 16 A; the car still draws 32 A (> 26 A, the hard
    //  limit of 16 A) but has 5 s to follow the pilot: no instant trip.
    st.offered_a = 16;
    f->now += 100;
    s_assert_ok(s_eval(f, &st));
    f->now += 3000;
    s_assert_ok(s_eval(f, &st));
    //  It follows within the grace period: fine.
    st.current_a = 16;
    f->now += 100;
    s_assert_ok(s_eval(f, &st));
    //  A car that does not follow trips when the grace period ends.
    st = s_charging(32);
    f->now += 10000;
    s_eval(f, &st);
    st.offered_a = 10;
    int64_t drop = f->now + 100;
    f->now = drop;
    s_assert_ok(s_eval(f, &st));
    f->now = drop + SAFETY_OC_GRACE_MS;
    assert_true(s_eval(f, &st)->tripped);
}

static void
test_overcurrent_flag_and_recovery(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_charging(16);
    s_fault(&st, "overcurrent");
    s_assert_trip(s_eval(f, &st), "OverCurrentFailure", "OverCurrentDetector", "Other");
    //  Cleared but the same car still plugged: stays tripped.
    st = s_charging(0);
    st.contactor_closed = false;
    st.voltage_after_open_v = 0;
    f->now += 10000;
    assert_true(s_eval(f, &st)->tripped);
    st.plugged = false;
    f->now += 100;
    s_assert_ok(s_eval(f, &st));
}

static void
test_temperature_derate_hysteresis(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_charging(32);
    st.temperature_c = 69.9;
    s_assert_ok(s_eval(f, &st));
    assert_true(f->v.cap_a == 0);
    st.temperature_c = SAFETY_DERATE_C;
    f->now += 100;
    s_assert_ok(s_eval(f, &st));                  //  derating is not a trip
    assert_true(f->changed);
    assert_true(f->v.cap_a == SAFETY_DERATE_A);
    assert_true(f->v.derate_a == SAFETY_DERATE_A);
    //  Between the thresholds: the derating holds.
    st.temperature_c = 66;
    f->now += 100;
    assert_true(s_eval(f, &st)->cap_a == SAFETY_DERATE_A);
    assert_false(f->changed);
    st.temperature_c = 72;
    f->now += 100;
    assert_true(s_eval(f, &st)->cap_a == SAFETY_DERATE_A);
    //  Below the hysteresis: lifted.
    st.temperature_c = 64.9;
    f->now += 100;
    assert_true(s_eval(f, &st)->cap_a == 0);
    assert_true(f->changed);
}

static void
test_temperature_trip(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_charging(32);
    st.temperature_c = 84.9;
    s_assert_ok(s_eval(f, &st));
    st.temperature_c = SAFETY_TRIP_C;
    f->now += 100;
    s_assert_trip(s_eval(f, &st), "HighTemperature", "OverTemperature", "Other");
    assert_true(f->v.cap_a == SAFETY_DERATE_A);
    //  Cooling down (no unplug needed) — but only below the hysteresis.
    st.contactor_closed = false;
    st.current_a = 0;
    st.voltage_after_open_v = 0;
    st.temperature_c = 70;
    f->now += 100;
    assert_true(s_eval(f, &st)->tripped);
    st.temperature_c = 65.5;
    f->now += 100;
    assert_true(s_eval(f, &st)->tripped);
    st.temperature_c = 60;
    f->now += 100;
    s_assert_ok(s_eval(f, &st));
    assert_true(f->v.cap_a == 0);
    //  Not counted against the budget: many cycles, no lockout.
    for (int i = 0; i < 10; i++) {
        st.temperature_c = 90;
        f->now += 100;
        assert_true(s_eval(f, &st)->tripped);
        st.temperature_c = 30;
        f->now += 100;
        s_assert_ok(s_eval(f, &st));
    }
}

static void
test_temperature_flag(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_charging(32);
    s_fault(&st, "overtemp");
    //  The driver's own sensor alarm trips whatever the reading says.
    s_assert_trip(s_eval(f, &st), "HighTemperature", "OverTemperature", "Other");
    s_fault(&st, "none");
    f->now += 100;
    s_assert_ok(s_eval(f, &st));
}

static void
test_welding_measured(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_charging(32);
    s_eval(f, &st);
    //  Commanded open, voltage still there: debounced for the opening time.
    st.contactor_closed = false;
    st.current_a = 0;
    int64_t open = f->now + 100;
    f->now = open;
    s_assert_ok(s_eval(f, &st));
    f->now = open + SAFETY_WELD_DEBOUNCE_MS - 1;
    s_assert_ok(s_eval(f, &st));
    f->now = open + SAFETY_WELD_DEBOUNCE_MS;
    s_assert_trip(s_eval(f, &st), "PowerSwitchFailure", "ContactorWelded", "Other");
    //  Never recovered automatically: voltage gone, unplugged, an hour later.
    st = s_idle();
    for (int i = 0; i < 5; i++) {
        f->now += HOUR_MS;
        st.plugged = !st.plugged;
        assert_true(s_eval(f, &st)->tripped);
    }
    //  A fresh core (the restarted safety actor after service) approves it.
    safety_core_t *fresh = safety_core_new(1);
    safety_verdict_t v;
    safety_core_evaluate(fresh, 1, &st, f->now, &v);
    assert_true(v.permit);
    safety_core_destroy(&fresh);
}

static void
test_welding_short_blip(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_charging(32);
    st.contactor_closed = false;
    s_eval(f, &st);
    //  Voltage gone before the debounce ends: a normal opening.
    st.voltage_after_open_v = 10;
    f->now += 200;
    s_assert_ok(s_eval(f, &st));
    f->now += 1000;
    s_assert_ok(s_eval(f, &st));
}

static void
test_welding_flag(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_idle();
    s_fault(&st, "welding");
    s_assert_trip(s_eval(f, &st), "PowerSwitchFailure", "ContactorWelded", "Other");
    s_fault(&st, "none");
    f->now += 100;
    assert_true(s_eval(f, &st)->tripped);
}

static void
test_other_fault_and_unreadable(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_idle();
    s_fault(&st, "lightning");
    s_assert_trip(s_eval(f, &st), "OtherError", "Fault:lightning", "Other");
    s_fault(&st, "");                             //  empty reads as none
    f->now += 100;
    s_assert_ok(s_eval(f, &st));
    //  Unreadable: fail-safe, recovered by the next good reading.
    f->now += 100;
    s_assert_trip(s_eval(f, NULL), "OtherError", "ReadFailure", "Other");
    assert_true(f->changed);
    f->now += 100;
    s_assert_ok(s_eval(f, &st));
}

static void
test_cause_upgrade(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t st = s_charging(32);
    st.temperature_c = 90;
    assert_int_equal(s_eval(f, &st)->cause, SAFETY_CAUSE_TEMPERATURE);
    //  A residual current on top: the worse cause and its rule take over.
    s_fault(&st, "rcd");
    f->now += 100;
    s_assert_trip(s_eval(f, &st), "GroundFailure", "ResidualCurrent", "EmergencyStop");
    assert_true(f->changed);
    //  Cool and clear, still plugged: the rcd rule wants an unplug.
    s_fault(&st, "none");
    st.temperature_c = 30;
    st.contactor_closed = false;
    st.current_a = 0;
    st.voltage_after_open_v = 0;
    f->now += 100;
    assert_true(s_eval(f, &st)->tripped);
    st.plugged = false;
    f->now += 100;
    s_assert_ok(s_eval(f, &st));
    //  A lesser cause does not replace a worse one.
    st = s_charging(32);
    s_fault(&st, "rcd");
    f->now += 100;
    s_eval(f, &st);
    st.temperature_c = 90;
    f->now += 100;
    assert_int_equal(s_eval(f, &st)->cause, SAFETY_CAUSE_RCD);
}

static void
test_connectors_independent(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t a = s_charging(32);
    hw_connector_state_t b = s_charging(32);
    b.connector = 2;
    s_fault(&a, "rcd");
    safety_verdict_t va, vb;
    safety_core_evaluate(f->core, 1, &a, f->now, &va);
    safety_core_evaluate(f->core, 2, &b, f->now, &vb);
    assert_true(va.tripped);
    assert_false(vb.tripped);
    assert_int_equal(va.connector, 1);
    assert_int_equal(vb.connector, 2);
    assert_string_equal(safety_cause_name(SAFETY_CAUSE_WELDING), "welding");
    assert_string_equal(safety_cause_name(SAFETY_CAUSE_NONE), "none");
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new),
        T(test_quiet),
        T(test_first_look_and_quiet),
        T(test_rcd_trip_and_recovery),
        T(test_ground_unplug_before_clear),
        T(test_earthing_tn_tt),
        T(test_trip_while_unplugged),
        T(test_retry_budget),
        T(test_overcurrent_grace),
        T(test_overcurrent_interrupted),
        T(test_overcurrent_ten_percent),
        T(test_overcurrent_hard_limit),
        T(test_overcurrent_offer_lowered),
        T(test_overcurrent_flag_and_recovery),
        T(test_temperature_derate_hysteresis),
        T(test_temperature_trip),
        T(test_temperature_flag),
        T(test_welding_measured),
        T(test_welding_short_blip),
        T(test_welding_flag),
        T(test_other_fault_and_unreadable),
        T(test_cause_upgrade),
        T(test_connectors_independent),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
