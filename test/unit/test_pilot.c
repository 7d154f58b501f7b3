/* test_pilot.c — the control-pilot duty cycle of IEC 61851-1 (hw/pilot.h),
 * both ways, against the table of the standard.
 *
 * The simulated board encodes an offer with hw_pilot_duty_pct and the
 * simulated EV decodes it with hw_pilot_current_a; a real board and a real
 * car follow the same table. A wrong constant here would make every
 * charging-limit test above the pilot pass while the car draws something
 * else, so both directions are pinned down case by case, and then the
 * round trip is checked for every offer on the 0.1 A grid the controller
 * uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include "hw/pilot.h"

#define EPS 1e-9

typedef struct {
    double in;
    double out;
} pair_t;

static void
s_check_close(const char *what, double in, double got, double want)
{
    if (!(fabs(got - want) <= EPS))
        fail_msg("%s(%.4f) = %.12f, expected %.12f", what, in, got, want);
}

static void
test_encode_table(void **state)
{
    const pair_t cases[] = {
        //  low range: D = I / 0.6
        {  6.0, 10.0 },
        { 10.0, 100.0 / 6.0 },
        { 16.0, 80.0 / 3.0 },               //  26.67 %
        { 32.0, 160.0 / 3.0 },              //  53.33 %
        { 51.0, 85.0 },
        //  (51, 52.5] A: nothing decodes there; offered as 51 A (85 %)
        { 51.1, 85.0 },
        { 52.0, 85.0 },
        { 52.5, 85.0 },
        //  high range: D = I / 2.5 + 64
        { 52.6, 85.04 },
        { 63.0, 89.2 },
        { 80.0, 96.0 },
        //  above the pilot's range: offered as 80 A
        { 80.1, 96.0 },
        { 100.0, 96.0 },
        { INFINITY, 96.0 },
        //  below 6 A: oscillator off, no PWM
        { 5.9, 100.0 },
        { 5.999, 100.0 },
        { 0.0, 100.0 },
        { -3.0, 100.0 },
        { -INFINITY, 100.0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        s_check_close("hw_pilot_duty_pct", cases[i].in, hw_pilot_duty_pct(cases[i].in),
                      cases[i].out);
    //  NaN (a broken computation upstream) must never become a PWM.
    assert_true(hw_pilot_duty_pct(NAN) == HW_PILOT_OFF_PCT);
    assert_true(HW_PILOT_OFF_PCT == 100.0);
}

static void
test_decode_table(void **state)
{
    const pair_t cases[] = {
        //  below 8 %: no charging (5 % = digital communication, ISO 15118)
        {  0.0, 0.0 },
        {  5.0, 0.0 },
        {  7.9, 0.0 },
        //  8 % … 10 %: 6 A
        {  8.0, 6.0 },
        {  9.0, 6.0 },
        {  9.99, 6.0 },
        { 10.0, 6.0 },
        //  10 % … 85 %: D × 0.6
        { 26.0, 15.6 },
        { 50.0, 30.0 },
        { 85.0, 51.0 },
        //  85 % … 96 %: (D − 64) × 2.5
        { 85.04, 52.6 },
        { 90.0, 65.0 },
        { 96.0, 80.0 },
        //  96 % … 97 %: 80 A
        { 96.5, 80.0 },
        { 97.0, 80.0 },
        //  above 97 %: no charging (100 % = no PWM)
        { 97.5, 0.0 },
        { 100.0, 0.0 },
        { -1.0, 0.0 },
        { INFINITY, 0.0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        s_check_close("hw_pilot_current_a", cases[i].in, hw_pilot_current_a(cases[i].in),
                      cases[i].out);
    assert_true(hw_pilot_current_a(NAN) == 0.0);
}

//  The oscillator off is never read as an offer, whatever was asked for.
static void
test_off_means_no_current(void **state)
{
    const double below[] = { 0.0, 1.0, 5.0, 5.9, 5.99, -10.0, NAN };
    for (size_t i = 0; i < sizeof(below) / sizeof(below[0]); i++)
        assert_true(hw_pilot_current_a(hw_pilot_duty_pct(below[i])) == 0.0);
}

//  Every offer on the controller's 0.1 A grid reaches the car unchanged —
//  except, by the standard itself, 51.1 … 52.5 A: the EVSE formula for
//  51 A < I ≤ 80 A (I / 2.5 + 64) is ≤ 85 % up to 52.5 A, which the EV table
//  reads in the LOW range, so no duty cycle decodes to (51, 52.5] A. Those
//  offers are made as 51 A: never more than asked, and never less than a
//  lower offer gets.
static void
test_round_trip(void **state)
{
    int checked = 0, gap = 0;
    for (int tenths = 60; tenths <= 800; tenths++) {
        double amps = tenths / 10.0;
        double duty = hw_pilot_duty_pct(amps);
        double back = hw_pilot_current_a(duty);
        assert_true(duty >= 10.0 - EPS && duty <= 96.0 + EPS);
        if (amps > HW_PILOT_LOW_MAX_A && amps <= HW_PILOT_HIGH_FROM_A + EPS) {
            s_check_close("the gap is offered as 51 A", amps, back, HW_PILOT_LOW_MAX_A);
            gap++;
            continue;
        }
        s_check_close("round trip", amps, back, amps);
        checked++;
    }
    assert_int_equal(checked, 741 - 15);
    assert_int_equal(gap, 15);
}

//  Monotonic: a higher offer never gives a shorter duty cycle, so a car can
//  never be offered less by asking more (strictly increasing outside the
//  51 A plateau).
static void
test_encode_monotonic(void **state)
{
    double last = hw_pilot_duty_pct(6.0);
    for (int tenths = 61; tenths <= 800; tenths++) {
        double amps = tenths / 10.0;
        double duty = hw_pilot_duty_pct(amps);
        if (amps > HW_PILOT_LOW_MAX_A && amps <= HW_PILOT_HIGH_FROM_A + EPS)
            assert_true(fabs(duty - 85.0) <= EPS);
        else
            assert_true(duty > last);
        last = duty;
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_table),
        cmocka_unit_test(test_decode_table),
        cmocka_unit_test(test_off_means_no_current),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_encode_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
