/* test_sim_safety.c — the fail-safe interlock of the simulated charger.
 *
 * The promise under test (hw.h, sim.h): no contactor closes unless the
 * safety path feeds the watchdog AND permits that connector; the
 * contactors open by themselves when the watchdog runs out or the
 * permission is withdrawn, and the energy stops at that instant; the
 * safety cap limits the offer; a welded contactor shows voltage after an
 * open command. All on a virtual clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "hw/hw.h"
#include "hw/sim/sim.h"
#include "supervisor/clock.h"

#define WATCHDOG_MS 600

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
    //  the controller's offer (a board powers on offering nothing)
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 32), 0);
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 2, 32), 0);
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    hw_driver_destroy(&f->hw);
    cp_clock_destroy(&f->clock);
    free(f);
    return 0;
}

static hw_connector_state_t
s_read(fixture_t *f, int n)
{
    hw_connector_state_t st;
    assert_int_equal(f->hw->ops->read(f->hw, n, &st), 0);
    return st;
}

static int
s_close(fixture_t *f, int n)
{
    return f->hw->ops->set_contactor(f->hw, n, true);
}

static int
s_feed(fixture_t *f)
{
    return f->hw->ops->safety_feed(f->hw, WATCHDOG_MS);
}

static int
s_permit(fixture_t *f, int n, bool permitted, double cap)
{
    return f->hw->ops->safety_permit(f->hw, n, permitted, cap);
}

//  A car plugged in and asking for energy.
static void
s_car(fixture_t *f, int n)
{
    assert_int_equal(f->hw->ops->simulate(f->hw, n, "plug", NULL, NULL, 0), 0);
    assert_int_equal(f->hw->ops->simulate(f->hw, n, "ev_charge", NULL, NULL, 0), 0);
}

static void
test_pure_watchdog_rule(void **state)
{
    assert_false(hw_sim_watchdog_ok(false, 0, 600, 0));         //  never fed
    assert_true(hw_sim_watchdog_ok(true, 1000, 600, 1000));
    assert_true(hw_sim_watchdog_ok(true, 1000, 600, 1600));     //  inclusive
    assert_false(hw_sim_watchdog_ok(true, 1000, 600, 1601));
    assert_false(hw_sim_watchdog_ok(false, 1000, 600, 1001));   //  disarmed
}

static void
test_power_on_refuses(void **state)
{
    fixture_t *f = *state;
    s_car(f, 1);
    hw_connector_state_t st = s_read(f, 1);
    assert_false(st.permitted);
    assert_true(st.safety_cap_a == 0);
    //  No feed at all: closing is refused, and so is a permission.
    assert_int_equal(s_close(f, 1), -1);
    assert_false(s_read(f, 1).contactor_closed);
    assert_int_equal(s_permit(f, 1, true, 0), -1);
    assert_false(s_read(f, 1).permitted);
    //  Forbidding is always accepted; opening an open contactor too.
    assert_int_equal(s_permit(f, 1, false, 0), 0);
    assert_int_equal(f->hw->ops->set_contactor(f->hw, 1, false), 0);
    //  Fed but not permitted: still refused.
    assert_int_equal(s_feed(f), 0);
    assert_int_equal(s_close(f, 1), -1);
    assert_false(s_read(f, 1).contactor_closed);
    assert_true(s_read(f, 1).current_a == 0);
}

static void
test_feed_and_permit_close(void **state)
{
    fixture_t *f = *state;
    s_car(f, 1);
    assert_int_equal(s_feed(f), 0);
    assert_int_equal(s_permit(f, 1, true, 0), 0);
    assert_true(s_read(f, 1).permitted);
    assert_int_equal(s_close(f, 1), 0);
    hw_connector_state_t st = s_read(f, 1);
    assert_true(st.contactor_closed);
    assert_true(st.current_a == 32.0);
    assert_true(st.voltage_after_open_v == 230.0);   //  load side live
    //  The permission is per connector.
    assert_false(s_read(f, 2).permitted);
    assert_int_equal(s_close(f, 2), -1);
}

static void
test_watchdog_expiry_opens(void **state)
{
    fixture_t *f = *state;
    s_car(f, 1);
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 16), 0);
    assert_int_equal(s_feed(f), 0);
    assert_int_equal(s_permit(f, 1, true, 0), 0);
    assert_int_equal(s_close(f, 1), 0);
    double e0 = s_read(f, 1).energy_wh;
    //  Fed regularly: stays closed for as long as the feeding goes on.
    for (int i = 0; i < 20; i++) {
        cp_clock_advance(f->clock, 500);
        assert_int_equal(s_feed(f), 0);
        assert_true(s_read(f, 1).contactor_closed);
    }
    double e1 = s_read(f, 1).energy_wh;
    assert_true(fabs((e1 - e0) - 16 * 690.0 * 10 / 3600.0) < 1e-6);
    //  Exactly at the timeout it still holds; one ms later it is open.
    cp_clock_advance(f->clock, WATCHDOG_MS);
    assert_true(s_read(f, 1).contactor_closed);
    cp_clock_advance(f->clock, 1);
    hw_connector_state_t st = s_read(f, 1);
    assert_false(st.contactor_closed);
    assert_false(st.permitted);                       //  forgotten
    assert_true(st.current_a == 0);
    assert_true(st.voltage_after_open_v == 0);
    //  Noticed late, the energy still stopped at the expiry instant.
    assert_int_equal(s_feed(f), 0);
    assert_int_equal(s_permit(f, 1, true, 0), 0);     //  re-approve...
    assert_int_equal(s_permit(f, 1, false, 0), 0);    //  (and withdraw again)
    cp_clock_advance(f->clock, 5000);
    double e2 = s_read(f, 1).energy_wh;
    assert_true(fabs((e2 - e1) - 16 * 690.0 * 0.6 / 3600.0) < 1e-6);
}

static void
test_expiry_noticed_late(void **state)
{
    fixture_t *f = *state;
    s_car(f, 1);
    assert_int_equal(s_feed(f), 0);
    assert_int_equal(s_permit(f, 1, true, 0), 0);
    assert_int_equal(s_close(f, 1), 0);
    double e0 = s_read(f, 1).energy_wh;
    //  Nobody calls the driver for an hour: the meter counts 600 ms only.
    cp_clock_advance(f->clock, 3600 * 1000);
    hw_connector_state_t st = s_read(f, 1);
    assert_false(st.contactor_closed);
    assert_true(fabs((st.energy_wh - e0) - 32 * 690.0 * 0.6 / 3600.0) < 1e-6);
}

static void
test_late_feed_rescues_nothing(void **state)
{
    fixture_t *f = *state;
    s_car(f, 1);
    assert_int_equal(s_feed(f), 0);
    assert_int_equal(s_permit(f, 1, true, 0), 0);
    assert_int_equal(s_close(f, 1), 0);
    cp_clock_advance(f->clock, WATCHDOG_MS + 50);
    //  The first call after the expiry is a feed: the contactor opened
    //  anyway and the permission is gone: a restarted safety path must
    //  approve again explicitly.
    assert_int_equal(s_feed(f), 0);
    hw_connector_state_t st = s_read(f, 1);
    assert_false(st.contactor_closed);
    assert_false(st.permitted);
    assert_int_equal(s_close(f, 1), -1);
    assert_int_equal(s_permit(f, 1, true, 0), 0);
    assert_int_equal(s_close(f, 1), 0);
    assert_true(s_read(f, 1).current_a == 32.0);
}

static void
test_withdraw_opens_at_once(void **state)
{
    fixture_t *f = *state;
    s_car(f, 1);
    s_car(f, 2);
    assert_int_equal(s_feed(f), 0);
    assert_int_equal(s_permit(f, 1, true, 0), 0);
    assert_int_equal(s_permit(f, 2, true, 0), 0);
    assert_int_equal(s_close(f, 1), 0);
    assert_int_equal(s_close(f, 2), 0);
    cp_clock_advance(f->clock, 100);
    assert_int_equal(s_permit(f, 1, false, 0), 0);
    hw_connector_state_t st = s_read(f, 1);
    assert_false(st.contactor_closed);
    assert_false(st.permitted);
    assert_true(st.power_w == 0);
    //  The other connector goes on.
    assert_true(s_read(f, 2).contactor_closed);
    //  Closing is refused until permitted again.
    assert_int_equal(s_close(f, 1), -1);
    assert_int_equal(s_permit(f, 1, true, 0), 0);
    assert_int_equal(s_close(f, 1), 0);
}

static void
test_cap_limits_offer(void **state)
{
    fixture_t *f = *state;
    s_car(f, 1);
    assert_int_equal(s_feed(f), 0);
    assert_int_equal(s_permit(f, 1, true, 16), 0);
    assert_int_equal(s_close(f, 1), 0);
    hw_connector_state_t st = s_read(f, 1);
    assert_true(st.safety_cap_a == 16);
    assert_true(st.offered_a == 16);                  //  min(32 requested, 16)
    assert_true(st.current_a == 16);
    //  A lower request is honoured under the cap.
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 10), 0);
    assert_true(s_read(f, 1).offered_a == 10);
    //  The cap lifted: the request applies again.
    assert_int_equal(f->hw->ops->set_offered_current(f->hw, 1, 32), 0);
    assert_int_equal(s_permit(f, 1, true, 0), 0);
    st = s_read(f, 1);
    assert_true(st.offered_a == 32);
    assert_true(st.current_a == 32);
    //  A cap below the IEC minimum stops the car drawing.
    assert_int_equal(s_permit(f, 1, true, 5), 0);
    assert_true(s_read(f, 1).current_a == 0);
}

static void
test_welding(void **state)
{
    fixture_t *f = *state;
    s_car(f, 1);
    assert_int_equal(s_feed(f), 0);
    assert_int_equal(s_permit(f, 1, true, 0), 0);
    //  Open and idle: no voltage on the load side.
    assert_true(s_read(f, 1).voltage_after_open_v == 0);
    assert_int_equal(s_close(f, 1), 0);
    assert_int_equal(f->hw->ops->simulate(f->hw, 1, "fault", "welding", NULL, 0), 0);
    hw_connector_state_t st = s_read(f, 1);
    assert_string_equal(st.fault, "welding");
    assert_int_equal(st.pilot, 'F');
    //  Commanded open, the contacts stay stuck: voltage remains.
    assert_int_equal(f->hw->ops->set_contactor(f->hw, 1, false), 0);
    st = s_read(f, 1);
    assert_false(st.contactor_closed);
    assert_true(st.voltage_after_open_v == 230.0);
    //  A withdrawal does not unstick them either.
    assert_int_equal(s_permit(f, 1, false, 0), 0);
    assert_true(s_read(f, 1).voltage_after_open_v == 230.0);
    //  Clearing the fault (repair) frees the contacts.
    assert_int_equal(f->hw->ops->simulate(f->hw, 1, "fault", "clear", NULL, 0), 0);
    assert_true(s_read(f, 1).voltage_after_open_v == 0);
    //  Welding injected while open: nothing to weld, no voltage.
    assert_int_equal(f->hw->ops->simulate(f->hw, 1, "fault", "welding", NULL, 0), 0);
    assert_true(s_read(f, 1).voltage_after_open_v == 0);
}

static int
s_rest(fixture_t *f, int ms)
{
    return f->hw->ops->safety_rest(f->hw, ms);
}

//  Resting keeps the permissions past the feed's timeout, for the rest's,
//  but never lets a contactor close: that needs a live feed.
static void
test_rest_keeps_permissions_not_contactors(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(s_feed(f), 0);
    assert_int_equal(s_permit(f, 1, true, 0), 0);
    assert_int_equal(s_rest(f, 3000), 0);
    s_car(f, 1);
    cp_clock_advance(f->clock, WATCHDOG_MS + 1);      //  the feed ran out
    assert_true(s_read(f, 1).permitted);              //  kept by the rest
    assert_int_equal(s_close(f, 1), -1);              //  but nothing closes
    assert_false(s_read(f, 1).contactor_closed);
    assert_int_equal(s_permit(f, 2, true, 0), 0);     //  a resting safety path may approve
    assert_int_equal(s_rest(f, 3000), 0);             //  rested again: kept on
    cp_clock_advance(f->clock, 2999);
    assert_true(s_read(f, 1).permitted);
    cp_clock_advance(f->clock, 2);                    //  the rest ran out: forgotten
    assert_false(s_read(f, 1).permitted);
    assert_false(s_read(f, 2).permitted);
    assert_int_equal(s_permit(f, 1, true, 0), -1);    //  nothing live to approve under
    //  A feed ends the rest: the car may charge, under the feed's timeout.
    assert_int_equal(s_rest(f, 3000), 0);
    assert_int_equal(s_feed(f), 0);
    assert_int_equal(s_permit(f, 1, true, 0), 0);
    assert_int_equal(s_close(f, 1), 0);
    assert_int_equal(s_rest(f, 3000), -1);            //  refused: a contactor is closed
    cp_clock_advance(f->clock, WATCHDOG_MS + 1);
    hw_connector_state_t st = s_read(f, 1);
    assert_false(st.contactor_closed);                //  the feed's bound, rest or not
    assert_false(st.permitted);
}

//  A rest is capped (HW_REST_MAX_MS) and needs a sensible timeout.
static void
test_rest_bounds(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(s_rest(f, 0), -1);
    assert_int_equal(s_feed(f), 0);
    assert_int_equal(s_permit(f, 1, true, 0), 0);
    assert_int_equal(s_rest(f, 60000), 0);
    cp_clock_advance(f->clock, HW_REST_MAX_MS);
    assert_true(s_read(f, 1).permitted);
    cp_clock_advance(f->clock, 1);
    assert_false(s_read(f, 1).permitted);
}

static void
test_bad_arguments(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(f->hw->ops->safety_feed(f->hw, 0), -1);
    assert_int_equal(f->hw->ops->safety_feed(f->hw, -5), -1);
    assert_int_equal(f->hw->ops->safety_feed(f->hw, HW_SIM_WATCHDOG_MAX_MS + 1), -1);
    assert_int_equal(s_feed(f), 0);
    assert_int_equal(s_permit(f, 3, true, 0), -1);
    assert_int_equal(s_permit(f, 0, false, 0), -1);
    assert_int_equal(s_permit(f, 1, true, NAN), -1);
    assert_int_equal(s_permit(f, 1, true, -1), -1);
    assert_int_equal(s_permit(f, 1, true, HW_SIM_MAX_OFFER_A + 1), -1);
    assert_false(s_read(f, 1).permitted);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pure_watchdog_rule),
        cmocka_unit_test_setup_teardown(test_power_on_refuses, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_feed_and_permit_close, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_watchdog_expiry_opens, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_expiry_noticed_late, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_late_feed_rescues_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_withdraw_opens_at_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_cap_limits_offer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_welding, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_rest_keeps_permissions_not_contactors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_rest_bounds, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
