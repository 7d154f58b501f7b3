/* test_resume.c — the rules that decide a transaction an earlier run of the
 * controller left open (actors/transaction/resume.h), each on its own and
 * in the order they apply: a silent board, a power cut, the car gone
 * (recorded or not), an unlocked cable (a stop made before the crash), a
 * register that went backwards, and the one case that goes on. meterStop
 * never bills less than the last saved reading.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include "actors/transaction/resume.h"

static hw_connector_state_t
s_board(bool continuous, bool plugged, double energy_wh)
{
    hw_connector_state_t b;
    memset(&b, 0, sizeof(b));
    b.connector = 1;
    b.board_continuous = continuous;
    b.plugged = plugged;
    b.energy_wh = energy_wh;
    b.locked = plugged;             //  a session holds the cable
    return b;
}

static void
test_plugged_and_continuous_goes_on(void **state)
{
    (void) state;
    resume_row_t row = { .last_saved_wh = 1200.0 };
    hw_connector_state_t board = s_board(true, true, 1234.6);
    resume_decision_t d;
    resume_decide(&row, &board, &d);
    assert_true(d.go_on);
    assert_null(d.reason);
    //  also after a clean shutdown (systemd restart): the board vouches
    row.clean_shutdown = true;
    resume_decide(&row, &board, &d);
    assert_true(d.go_on);
    //  a register read back with rounding is still continuous
    board.energy_wh = 1199.7;
    resume_decide(&row, &board, &d);
    assert_true(d.go_on);
}

static void
test_silent_board_ends_at_the_last_saved_reading(void **state)
{
    (void) state;
    resume_row_t row = { .last_saved_wh = 1200.9 };
    resume_decision_t d;
    resume_decide(&row, NULL, &d);
    assert_false(d.go_on);
    assert_string_equal(d.reason, "PowerLoss");
    assert_int_equal(d.meter_stop, 1200);
    row.clean_shutdown = true;
    resume_decide(&row, NULL, &d);
    assert_string_equal(d.reason, "Reboot");
}

static void
test_power_cut_ends_at_the_boards_register(void **state)
{
    (void) state;
    resume_row_t row = { .last_saved_wh = 1200.0 };
    hw_connector_state_t board = s_board(false, true, 1207.4);
    resume_decision_t d;
    resume_decide(&row, &board, &d);
    assert_false(d.go_on);
    assert_string_equal(d.reason, "PowerLoss");
    assert_int_equal(d.meter_stop, 1207);
    //  never below what was saved (and maybe reported)
    board.energy_wh = 1000.0;
    resume_decide(&row, &board, &d);
    assert_int_equal(d.meter_stop, 1200);
    row.clean_shutdown = true;
    resume_decide(&row, &board, &d);
    assert_string_equal(d.reason, "Reboot");
    //  a car left meanwhile does not matter once the board lost power
    board.left_away = true;
    resume_decide(&row, &board, &d);
    assert_string_equal(d.reason, "Reboot");
}

static void
test_car_that_left_ends_with_evdisconnected(void **state)
{
    (void) state;
    resume_row_t row = { .last_saved_wh = 1200.0, .clean_shutdown = true };
    //  recorded by the board: the register the instant it left, even
    //  though another car is plugged now
    hw_connector_state_t board = s_board(true, true, 1300.0);
    board.left_away = true;
    board.left_wh = 1250.8;
    resume_decision_t d;
    resume_decide(&row, &board, &d);
    assert_false(d.go_on);
    assert_string_equal(d.reason, "EVDisconnected");
    assert_int_equal(d.meter_stop, 1250);
    //  not recorded: the register now
    board = s_board(true, false, 1260.2);
    resume_decide(&row, &board, &d);
    assert_string_equal(d.reason, "EVDisconnected");
    assert_int_equal(d.meter_stop, 1260);
    //  never below the last saved reading
    board.energy_wh = 1100.0;
    resume_decide(&row, &board, &d);
    assert_int_equal(d.meter_stop, 1200);
}

static void
test_unlocked_cable_is_a_stop_already_made(void **state)
{
    (void) state;
    resume_row_t row = { .last_saved_wh = 1200.0 };
    hw_connector_state_t board = s_board(true, true, 1210.3);
    board.locked = false;
    resume_decision_t d;
    resume_decide(&row, &board, &d);
    assert_false(d.go_on);
    assert_string_equal(d.reason, "Other");
    assert_int_equal(d.meter_stop, 1210);
}

static void
test_register_backwards_ends_with_powerloss(void **state)
{
    (void) state;
    resume_row_t row = { .last_saved_wh = 1200.0 };
    hw_connector_state_t board = s_board(true, true, 15.0);     //  another meter
    resume_decision_t d;
    resume_decide(&row, &board, &d);
    assert_false(d.go_on);
    assert_string_equal(d.reason, "PowerLoss");
    assert_int_equal(d.meter_stop, 1200);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugged_and_continuous_goes_on),
        cmocka_unit_test(test_silent_board_ends_at_the_last_saved_reading),
        cmocka_unit_test(test_power_cut_ends_at_the_boards_register),
        cmocka_unit_test(test_car_that_left_ends_with_evdisconnected),
        cmocka_unit_test(test_unlocked_cable_is_a_stop_already_made),
        cmocka_unit_test(test_register_backwards_ends_with_powerloss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
