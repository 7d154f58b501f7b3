/* test_sim.c — the simulated charger and EV (hw/sim) on a virtual clock.
 *
 * Every other test and the demo stand on this model, so it is checked
 * here against the physics it claims: pilot states per IEC 61851-1, the
 * EV's current rules (it draws what it decodes from the pilot's duty
 * cycle), the meter's integral over time, faults and refusals, and the
 * household grid meter Power Boost reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "hw/hw.h"
#include "hw/sim/sim.h"
#include "supervisor/clock.h"

#define HOUR_MS (3600 * 1000)

typedef struct {
    cp_clock_t *clock;
    hw_driver_t *hw;
} fixture_t;

static int
s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(fixture_t));
    assert_non_null(f);
    f->clock = cp_clock_new_virtual(1000, 1764151200000LL);
    assert_non_null(f->clock);
    f->hw = hw_sim_new(2, f->clock);
    assert_non_null(f->hw);
    //  A board powers on offering nothing (test_power_on_offers_nothing);
    //  the controller then offers the rated 32 A, as these tests assume.
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 32), 0);
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 2, 32), 0);
    //  These tests are about the model, not the interlock (that is
    //  test_sim_safety.c): a healthy safety path approves both connectors
    //  and keeps feeding the watchdog while time passes (s_advance).
    assert_int_equal(f->hw->ops->safety_feed(f->hw, 600), 0);
    assert_int_equal(f->hw->ops->safety_permit(f->hw, 1, true, 0), 0);
    assert_int_equal(f->hw->ops->safety_permit(f->hw, 2, true, 0), 0);
    *state = f;
    return 0;
}

//  Let ms pass with the safety path alive (fed every 500 ms at most).
static void
s_advance(fixture_t *f, int64_t ms)
{
    while (ms > 0) {
        int64_t step = ms < 500 ? ms : 500;
        assert_int_equal(f->hw->ops->safety_feed(f->hw, 600), 0);
        cp_clock_advance(f->clock, step);
        ms -= step;
    }
    assert_int_equal(f->hw->ops->safety_feed(f->hw, 600), 0);
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    hw_driver_destroy(&f->hw);
    assert_null(f->hw);
    cp_clock_destroy(&f->clock);
    free(f);
    return 0;
}

static hw_connector_state_t
s_read(fixture_t *f, int n)
{
    hw_connector_state_t st;
    assert_int_equal(f->hw->ops->read(f->hw, n, &st), 0);
    assert_int_equal(st.connector, n);
    return st;
}

static int
s_sim(fixture_t *f, int n, const char *cmd, const char *arg)
{
    char reason[128] = "x";
    int rc = f->hw->ops->simulate(f->hw, n, cmd, arg, reason, sizeof(reason));
    if (rc == 0)
        assert_string_equal(reason, "");
    else
        assert_true(strlen(reason) > 0);     //  a refusal always says why
    return rc;
}

//  Plug in, ask for energy, close the contactor: the normal session.
static void
s_start_charging(fixture_t *f, int n)
{
    assert_int_equal(s_sim(f, n, "plug", NULL), 0);
    assert_int_equal(s_sim(f, n, "ev_charge", NULL), 0);
    assert_int_equal(f->hw->ops->set_contactor(f->hw, n, true), 0);
}

static void
test_new_and_defaults(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(f->hw->ops->connector_count(f->hw), 2);
    hw_connector_state_t st = s_read(f, 1);
    assert_false(st.plugged);
    assert_int_equal(st.pilot, 'A');
    assert_false(st.ev_requesting);
    assert_false(st.contactor_closed);
    assert_false(st.locked);
    assert_true(st.energy_wh == 0.0);
    assert_true(st.power_w == 0.0);
    assert_true(st.current_a == 0.0);
    assert_true(st.voltage_v == 230.0);
    assert_true(st.offered_a == 32.0);
    assert_true(st.temperature_c == 25.0);
    assert_string_equal(st.fault, "none");
}

//  Power-on: no PWM (100 %) until the controller offers, so a car plugged
//  in and allowed to charge still draws nothing.
static void
test_power_on_offers_nothing(void **state)
{
    fixture_t *f = *state;
    hw_driver_t *hw = hw_sim_new(1, f->clock);
    assert_non_null(hw);
    hw_connector_state_t st;
    assert_int_equal(hw->ops->read(hw, 1, &st), 0);
    assert_true(st.offered_a == 0.0);
    assert_true(st.duty_pct == 100.0);
    char reason[100];
    assert_int_equal(hw->ops->simulate(hw, 1, "plug", NULL, reason, sizeof(reason)), 0);
    assert_int_equal(hw->ops->simulate(hw, 1, "ev_charge", NULL, reason, sizeof(reason)), 0);
    assert_int_equal(hw->ops->safety_feed(hw, 600), 0);
    assert_int_equal(hw->ops->safety_permit(hw, 1, true, 0), 0);
    assert_int_equal(hw->ops->set_contactor(hw, 1, true), 0);
    assert_int_equal(hw->ops->read(hw, 1, &st), 0);
    assert_true(st.current_a == 0.0);
    assert_int_equal(hw->ops->set_offered_current(hw, 1, 16), 0);
    assert_int_equal(hw->ops->read(hw, 1, &st), 0);
    assert_true(st.current_a == 16.0);
    hw_driver_destroy(&hw);
}

static void
test_new_refuses_bad_count(void **state)
{
    fixture_t *f = *state;
    assert_null(hw_sim_new(0, f->clock));
    assert_null(hw_sim_new(-1, f->clock));
    assert_null(hw_sim_new(HW_MAX_CONNECTORS + 1, f->clock));
    hw_driver_t *hw = hw_sim_new(HW_MAX_CONNECTORS, f->clock);
    assert_non_null(hw);
    assert_int_equal(hw->ops->connector_count(hw), HW_MAX_CONNECTORS);
    hw_driver_destroy(&hw);
    assert_null(hw);
    hw_driver_destroy(&hw);         //  destroying NULL is harmless
}

static void
test_pilot_states(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(s_sim(f, 1, "plug", NULL), 0);
    hw_connector_state_t st = s_read(f, 1);
    assert_true(st.plugged);
    assert_int_equal(st.pilot, 'B');
    assert_false(st.ev_requesting);

    assert_int_equal(s_sim(f, 1, "ev_charge", NULL), 0);
    st = s_read(f, 1);
    assert_int_equal(st.pilot, 'C');
    assert_true(st.ev_requesting);
    //  Requesting alone draws nothing: the contactor is open.
    assert_true(st.current_a == 0.0);

    assert_int_equal(s_sim(f, 1, "ev_pause", NULL), 0);
    assert_int_equal(s_read(f, 1).pilot, 'B');
    assert_int_equal(s_sim(f, 1, "ev_charge", NULL), 0);
    assert_int_equal(s_sim(f, 1, "ev_charge", NULL), 0);   //  idempotent

    assert_int_equal(s_sim(f, 1, "unplug", NULL), 0);
    st = s_read(f, 1);
    assert_false(st.plugged);
    assert_int_equal(st.pilot, 'A');
    assert_false(st.ev_requesting);

    //  A car plugged in again starts in B, not where the last one left off.
    assert_int_equal(s_sim(f, 1, "plug", NULL), 0);
    assert_int_equal(s_read(f, 1).pilot, 'B');
    //  The other connector never moved.
    assert_int_equal(s_read(f, 2).pilot, 'A');
}

static void
test_plug_errors(void **state)
{
    fixture_t *f = *state;
    char reason[128];
    assert_int_equal(s_sim(f, 1, "plug", NULL), 0);
    assert_int_equal(f->hw->ops->simulate(f->hw, 1, "plug", NULL, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "already plugged"));
    assert_int_equal(f->hw->ops->simulate(f->hw, 2, "unplug", NULL, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "not plugged"));
    assert_int_equal(s_sim(f, 2, "ev_charge", NULL), -1);
    assert_int_equal(s_sim(f, 2, "ev_pause", NULL), -1);
    //  The failed commands changed nothing.
    assert_true(s_read(f, 1).plugged);
    assert_false(s_read(f, 2).plugged);
}

static void
test_bad_commands(void **state)
{
    fixture_t *f = *state;
    char reason[128];
    assert_int_equal(f->hw->ops->simulate(f->hw, 3, "plug", NULL, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "unknown connector 3"));
    assert_int_equal(s_sim(f, 0, "plug", NULL), -1);
    assert_int_equal(s_sim(f, -5, "plug", NULL), -1);
    assert_int_equal(f->hw->ops->simulate(f->hw, 1, "teleport", NULL, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "unknown command"));
    assert_int_equal(s_sim(f, 1, "", NULL), -1);
    assert_int_equal(s_sim(f, 1, NULL, NULL), -1);
    assert_int_equal(f->hw->ops->simulate(f->hw, 1, "fault", "lightning", reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "unknown fault"));
    assert_int_equal(s_sim(f, 1, "fault", NULL), -1);
    assert_int_equal(s_sim(f, 1, "fault", ""), -1);
    //  A caller that does not want the reason may pass none.
    assert_int_equal(f->hw->ops->simulate(f->hw, 9, "plug", NULL, NULL, 0), -1);
    //  The other ops refuse unknown connectors too.
    hw_connector_state_t st;
    assert_int_equal(f->hw->ops->read(f->hw, 0, &st), -1);
    assert_int_equal(f->hw->ops->read(f->hw, 3, &st), -1);
    assert_int_equal(f->hw->ops->set_contactor(f->hw, 3, true), -1);
    assert_int_equal(f->hw->ops->set_lock(f->hw, 0, true), -1);
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 3, 16), -1);
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, NAN), -1);
    assert_true(s_read(f, 1).offered_a == 32.0);
}

static void
test_charge_one_hour(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 16), 0);
    s_start_charging(f, 1);
    hw_connector_state_t st = s_read(f, 1);
    assert_true(st.current_a == 16.0);
    assert_true(st.power_w == 16.0 * 230.0 * 3);
    assert_true(fabs(st.temperature_c - (25.0 + 16 * 0.3)) < 1e-9);
    s_advance(f, HOUR_MS);
    st = s_read(f, 1);
    assert_true(fabs(st.energy_wh - 11040.0) <= 0.5);
    //  Only the charging connector's meter moved.
    assert_true(s_read(f, 2).energy_wh == 0.0);
}

static void
test_energy_exact_however_read(void **state)
{
    fixture_t *f = *state;
    //  The same hour read 3600 times must give the same total as one read,
    //  and an offer change half way must count each half at its own power.
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 16), 0);
    s_start_charging(f, 1);
    double last = 0;
    for (int i = 0; i < 1800; i++) {
        s_advance(f, 1000);
        double now = s_read(f, 1).energy_wh;
        assert_true(now >= last);
        last = now;
    }
    assert_true(fabs(last - 5520.0) <= 0.5);
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 32), 0);
    s_advance(f, HOUR_MS / 2);
    assert_true(fabs(s_read(f, 1).energy_wh - (5520.0 + 11040.0)) <= 0.5);
}

static void
test_ev_max_and_clamp(void **state)
{
    fixture_t *f = *state;
    s_start_charging(f, 1);
    //  The EV takes at most its own 32 A whatever is offered.
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 63), 0);
    hw_connector_state_t st = s_read(f, 1);
    assert_true(st.offered_a == 63.0);
    assert_true(st.current_a == 32.0);
    //  The pilot cannot offer more than 80 A or less than nothing.
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 200), 0);
    assert_true(s_read(f, 1).offered_a == 80.0);
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, -3), 0);
    st = s_read(f, 1);
    assert_true(st.offered_a == 0.0);
    assert_true(st.current_a == 0.0);
}

static void
test_below_six_amps_no_current(void **state)
{
    fixture_t *f = *state;
    s_start_charging(f, 1);
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 5.9), 0);
    hw_connector_state_t st = s_read(f, 1);
    assert_int_equal(st.pilot, 'C');
    assert_true(st.current_a == 0.0);
    assert_true(st.power_w == 0.0);
    s_advance(f, HOUR_MS);
    assert_true(s_read(f, 1).energy_wh == 0.0);
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 6), 0);
    assert_true(s_read(f, 1).current_a == 6.0);
}

static void
test_current_needs_everything(void **state)
{
    fixture_t *f = *state;
    //  Contactor closed but no car: nothing.
    assert_int_equal(f->hw->ops->set_contactor(f->hw, 1, true), 0);
    assert_true(s_read(f, 1).current_a == 0.0);
    //  Car connected but not asking: nothing.
    assert_int_equal(s_sim(f, 1, "plug", NULL), 0);
    assert_true(s_read(f, 1).current_a == 0.0);
    assert_int_equal(s_sim(f, 1, "ev_charge", NULL), 0);
    assert_true(s_read(f, 1).current_a == 32.0);
    //  Pause: the car stops drawing.
    assert_int_equal(s_sim(f, 1, "ev_pause", NULL), 0);
    assert_true(s_read(f, 1).current_a == 0.0);
    assert_int_equal(s_sim(f, 1, "ev_charge", NULL), 0);
    //  Contactor opened: nothing.
    assert_int_equal(f->hw->ops->set_contactor(f->hw, 1, false), 0);
    assert_true(s_read(f, 1).power_w == 0.0);
}

static void
test_unplug_with_contactor_closed(void **state)
{
    fixture_t *f = *state;
    s_start_charging(f, 1);
    s_advance(f, 60 * 1000);
    double before = s_read(f, 1).energy_wh;
    assert_true(before > 0);
    assert_int_equal(s_sim(f, 1, "unplug", NULL), 0);
    hw_connector_state_t st = s_read(f, 1);
    assert_true(st.power_w == 0.0);
    assert_true(st.contactor_closed);       //  the controller's business
    assert_int_equal(st.pilot, 'A');
    s_advance(f, HOUR_MS);
    assert_true(s_read(f, 1).energy_wh == before);
}

static void
test_lock(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(f->hw->ops->set_lock(f->hw, 1, true), 0);
    assert_true(s_read(f, 1).locked);
    assert_false(s_read(f, 2).locked);
    assert_int_equal(f->hw->ops->set_lock(f->hw, 1, false), 0);
    assert_false(s_read(f, 1).locked);
}

static void
test_faults_and_clear(void **state)
{
    fixture_t *f = *state;
    const char *kinds[] = { "rcd", "ground", "overtemp", "welding" };
    s_start_charging(f, 1);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        assert_int_equal(s_sim(f, 1, "fault", kinds[i]), 0);
        hw_connector_state_t st = s_read(f, 1);
        assert_string_equal(st.fault, kinds[i]);
        assert_int_equal(st.pilot, 'F');
        assert_true(st.current_a == 0.0);
        assert_true(st.power_w == 0.0);
        if (strcmp(kinds[i], "overtemp") == 0)
            assert_true(st.temperature_c == 90.0);
        else
            assert_true(st.temperature_c == 25.0);
        //  The other connector is unaffected.
        assert_string_equal(s_read(f, 2).fault, "none");
        assert_int_equal(s_sim(f, 1, "fault", "clear"), 0);
        st = s_read(f, 1);
        assert_string_equal(st.fault, "none");
        assert_int_equal(st.pilot, 'C');
        assert_true(st.current_a == 32.0);
    }
    //  The latest injection replaces the active one; clear with none is fine.
    assert_int_equal(s_sim(f, 1, "fault", "rcd"), 0);
    assert_int_equal(s_sim(f, 1, "fault", "ground"), 0);
    assert_string_equal(s_read(f, 1).fault, "ground");
    assert_int_equal(s_sim(f, 1, "fault", "clear"), 0);
    assert_int_equal(s_sim(f, 1, "fault", "clear"), 0);
    //  A fault with no car drives F as well.
    assert_int_equal(s_sim(f, 2, "fault", "ground"), 0);
    assert_int_equal(s_read(f, 2).pilot, 'F');
    assert_int_equal(s_sim(f, 2, "fault", "clear"), 0);
    assert_int_equal(s_read(f, 2).pilot, 'A');
}

static void
test_overcurrent(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 16), 0);
    s_start_charging(f, 1);
    assert_int_equal(s_sim(f, 1, "fault", "overcurrent"), 0);
    hw_connector_state_t st = s_read(f, 1);
    assert_string_equal(st.fault, "overcurrent");
    assert_int_equal(st.pilot, 'F');
    assert_true(st.current_a == 26.0);
    assert_true(st.power_w == 26.0 * 230.0 * 3);
    //  Energy still flows through the meter until the contactor opens.
    s_advance(f, HOUR_MS);
    assert_true(fabs(s_read(f, 1).energy_wh - 26.0 * 690.0) <= 0.5);
    assert_int_equal(f->hw->ops->set_contactor(f->hw, 1, false), 0);
    assert_true(s_read(f, 1).current_a == 0.0);
    assert_int_equal(s_sim(f, 1, "fault", "clear"), 0);
    assert_int_equal(f->hw->ops->set_contactor(f->hw, 1, true), 0);
    assert_true(s_read(f, 1).current_a == 16.0);
}

static void
test_energy_monotonic(void **state)
{
    fixture_t *f = *state;
    s_start_charging(f, 1);
    double last = 0;
    const char *steps[] = { "ev_pause", "ev_charge", "unplug", "plug", "ev_charge" };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        s_advance(f, 10 * 60 * 1000);
        double before = s_read(f, 1).energy_wh;
        assert_true(before >= last);
        assert_int_equal(s_sim(f, 1, steps[i], NULL), 0);
        double after = s_read(f, 1).energy_wh;
        assert_true(after >= before);
        last = after;
    }
    //  Reading twice at the same instant adds nothing.
    assert_true(s_read(f, 1).energy_wh == last);
}

//  --------------------------------------------------------------------------
//  The pilot's duty cycle and the EV that decodes it (hw/pilot.h)

static void
test_duty_cycle_and_ev_decode(void **state)
{
    fixture_t *f = *state;
    //  The default 32 A offer, before any car: 53.33 %.
    hw_connector_state_t st = s_read(f, 1);
    assert_true(fabs(st.duty_pct - 160.0 / 3.0) < 1e-9);
    //  The duty cycle follows the offer with or without a car.
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 16), 0);
    st = s_read(f, 1);
    assert_true(st.offered_a == 16.0);
    assert_true(fabs(st.duty_pct - 80.0 / 3.0) < 1e-9);       //  26.67 %
    assert_true(st.current_a == 0.0);
    //  The EV draws what it decodes from 26.67 %: 16.00 A, not 15.99.
    s_start_charging(f, 1);
    st = s_read(f, 1);
    assert_true(st.current_a == 16.0);
    assert_true(fabs(st.duty_pct - 80.0 / 3.0) < 1e-9);
    //  Below 6 A the oscillator is off (100 %): the EV draws nothing.
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 5), 0);
    st = s_read(f, 1);
    assert_true(st.offered_a == 5.0);
    assert_true(st.duty_pct == 100.0);
    assert_true(st.current_a == 0.0);
    assert_true(st.power_w == 0.0);
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 0), 0);
    assert_true(s_read(f, 1).duty_pct == 100.0);
    //  Offers on the 0.1 A grid reach the EV exactly: it controls its
    //  current to 10 mA, so 7.0 A / 0.6 × 0.6 = 6.999999999999999 A of
    //  floating point is drawn as 7.00 A (and meters count clean values).
    const double offers[][3] = {        //  offer, duty %, drawn
        {  6.0, 10.0,  6.0 },
        {  7.0, 7.0 / 0.6, 7.0 },
        { 10.5, 17.5, 10.5 },
        { 11.0, 11.0 / 0.6, 11.0 },
        { 12.5, 12.5 / 0.6, 12.5 },
        { 13.7, 13.7 / 0.6, 13.7 },
        { 14.0, 14.0 / 0.6, 14.0 },
        { 31.9, 31.9 / 0.6, 31.9 },
        { 51.0, 85.0, 32.0 },           //  the EV's own 32 A maximum
        { 80.0, 96.0, 32.0 },
    };
    for (size_t i = 0; i < sizeof(offers) / sizeof(offers[0]); i++) {
        assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, offers[i][0]), 0);
        st = s_read(f, 1);
        assert_true(fabs(st.duty_pct - offers[i][1]) < 1e-9);
        if (st.current_a != offers[i][2])
            fail_msg("offer %.1f A: the EV draws %.17g A, expected %.2f", offers[i][0],
                     st.current_a, offers[i][2]);
        assert_true(fabs(st.power_w - offers[i][2] * 690.0) < 1e-6);
    }
    //  The safety path's derating cap is what the pilot offers, and so
    //  what the EV decodes.
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 32), 0);
    assert_int_equal(f->hw->ops->safety_permit(f->hw, 1, true, 10), 0);
    st = s_read(f, 1);
    assert_true(st.offered_a == 10.0);
    assert_true(fabs(st.duty_pct - 100.0 / 6.0) < 1e-9);
    assert_true(st.current_a == 10.0);
}

//  --------------------------------------------------------------------------
//  The household grid meter (connector 0, "grid")

static hw_grid_state_t
s_grid(fixture_t *f)
{
    hw_grid_state_t g;
    memset(&g, 0xa5, sizeof(g));
    assert_int_equal(f->hw->ops->read_grid(f->hw, &g), 0);
    return g;
}

static void
test_grid_meter(void **state)
{
    fixture_t *f = *state;
    assert_non_null(f->hw->ops->read_grid);
    //  At power-on: the meter answers, no household load, no charging.
    hw_grid_state_t g = s_grid(f);
    assert_true(g.ok);
    assert_true(g.current_a == 0.0);
    //  The house alone.
    assert_int_equal(s_sim(f, 0, "grid", "10"), 0);
    g = s_grid(f);
    assert_true(g.ok);
    assert_true(g.current_a == 10.0);
    //  Plus every connector's per-phase current.
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 16), 0);
    s_start_charging(f, 1);
    assert_true(s_grid(f).current_a == 26.0);
    s_start_charging(f, 2);                                 //  the default 32 A
    assert_true(s_grid(f).current_a == 58.0);
    assert_int_equal(s_sim(f, 2, "ev_pause", NULL), 0);
    assert_true(s_grid(f).current_a == 26.0);
    //  An offer below 6 A draws nothing, so the meter does not see it.
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 5), 0);
    assert_true(s_grid(f).current_a == 10.0);
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 16), 0);
    //  A misbehaving EV (overcurrent) is seen on the meter too.
    assert_int_equal(s_sim(f, 1, "fault", "overcurrent"), 0);
    assert_true(s_grid(f).current_a == 10.0 + 26.0);
    assert_int_equal(s_sim(f, 1, "fault", "clear"), 0);
    //  The house load changes; decimals and the range ends are taken.
    assert_int_equal(s_sim(f, 0, "grid", "12.5"), 0);
    assert_true(s_grid(f).current_a == 28.5);
    assert_int_equal(s_sim(f, 0, "grid", "0"), 0);
    assert_true(s_grid(f).current_a == 16.0);
    assert_int_equal(s_sim(f, 0, "grid", "1000"), 0);
    assert_true(s_grid(f).current_a == 1016.0);
    assert_int_equal(s_sim(f, 0, "grid", "10"), 0);
    //  The meter falls silent, and answers again with the live value.
    assert_int_equal(s_sim(f, 0, "grid", "off"), 0);
    g = s_grid(f);
    assert_false(g.ok);
    assert_int_equal(s_sim(f, 0, "grid", "off"), 0);        //  idempotent
    assert_false(s_grid(f).ok);
    //  The load may change while it is silent; it shows once it is back.
    assert_int_equal(s_sim(f, 0, "grid", "4"), 0);
    assert_false(s_grid(f).ok);
    assert_int_equal(s_sim(f, 0, "grid", "on"), 0);
    g = s_grid(f);
    assert_true(g.ok);
    assert_true(g.current_a == 20.0);
    assert_int_equal(s_sim(f, 0, "grid", "on"), 0);
    assert_true(s_grid(f).ok);
    //  A silent meter does not stop the charger: the connectors still draw.
    assert_int_equal(s_sim(f, 0, "grid", "off"), 0);
    assert_true(s_read(f, 1).current_a == 16.0);
}

static void
test_grid_bad_operands(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(s_sim(f, 0, "grid", "10"), 0);
    const char *bad[] = { "x", "-1", "", "2000", "1000.1", "10A", " 10x", "nan", "inf", "OFF", "On" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char reason[128] = "";
        if (f->hw->ops->simulate(f->hw, 0, "grid", bad[i], reason, sizeof(reason)) != -1)
            fail_msg("grid '%s' accepted", bad[i]);
        assert_non_null(strstr(reason, "grid takes the household load"));
        assert_non_null(strstr(reason, "off or on"));
    }
    assert_int_equal(s_sim(f, 0, "grid", NULL), -1);
    assert_int_equal(f->hw->ops->simulate(f->hw, 0, "grid", "x", NULL, 0), -1);
    //  A refused operand changes nothing.
    hw_grid_state_t g = s_grid(f);
    assert_true(g.ok);
    assert_true(g.current_a == 10.0);
    //  grid is a command of connector 0 only.
    char reason[128] = "";
    assert_int_equal(f->hw->ops->simulate(f->hw, 1, "grid", "10", reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "unknown command"));
    assert_int_equal(s_sim(f, 3, "grid", "10"), -1);
    assert_int_equal(s_sim(f, 0, "plug", NULL), -1);
    assert_true(s_grid(f).current_a == 10.0);
}

//  Concurrent readers and writers must neither crash nor break invariants
//  (run under ThreadSanitizer/ASan in CI).
typedef struct {
    fixture_t *f;
    int rounds;
} worker_t;

static void *
s_worker(void *arg)
{
    worker_t *w = arg;
    for (int i = 0; i < w->rounds; i++) {
        hw_connector_state_t st;
        w->f->hw->ops->read(w->f->hw, 1, &st);
        w->f->hw->ops->set_offered_current(w->f->hw, 1, (double) (i % 40));
        w->f->hw->ops->simulate(w->f->hw, 1, i % 2 ? "ev_charge" : "ev_pause", NULL, NULL, 0);
    }
    return NULL;
}

static void
test_threads(void **state)
{
    fixture_t *f = *state;
    s_start_charging(f, 1);
    worker_t w = { f, 2000 };
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, s_worker, &w), 0);
    double last = 0;
    for (int i = 0; i < 2000; i++) {
        s_advance(f, 10);
        double now = s_read(f, 1).energy_wh;
        assert_true(now >= last);
        last = now;
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_and_defaults, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_power_on_offers_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_new_refuses_bad_count, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_pilot_states, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_plug_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_commands, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_charge_one_hour, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_energy_exact_however_read, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_ev_max_and_clamp, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_below_six_amps_no_current, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_current_needs_everything, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_unplug_with_contactor_closed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_lock, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_faults_and_clear, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_overcurrent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_energy_monotonic, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_duty_cycle_and_ev_decode, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_grid_meter, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_grid_bad_operands, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_threads, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
