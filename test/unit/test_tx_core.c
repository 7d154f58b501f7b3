/* test_tx_core.c — unit tests for the pure core of the transaction actor
 * (actors/transaction/tx_core.c): the ChargePointStatus derived from the
 * hardware, and the level-triggered StatusNotification reporting (one in
 * flight, connector 0..N in order, everything again on each online edge,
 * only the latest status of a connector after an offline period).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/transaction/tx_core.h"

#define CONNECTORS 2

static int
setup(void **state)
{
    tx_core_t *core = tx_core_new(CONNECTORS);
    assert_non_null(core);
    *state = core;
    return 0;
}

static int
teardown(void **state)
{
    tx_core_t *core = *state;
    tx_core_destroy(&core);
    assert_null(core);
    return 0;
}

static void
expect_status(const tx_status_t *s, const char *status, const char *error_code, const char *vendor)
{
    assert_string_equal(s->status, status);
    assert_string_equal(s->error_code, error_code);
    assert_string_equal(s->vendor_error_code, vendor);
}

//  Asserts the next report is for connector with status, acknowledges it
//  (ok) and returns nothing; fails if no report is due.
static void
report(tx_core_t *core, int connector, const char *status, const char *error_code, bool ok)
{
    tx_status_t s;
    memset(&s, 0x5a, sizeof s);
    int n = tx_core_next_report(core, &s);
    if (n != connector)
        print_error("expected a report for connector %d, got %d\n", connector, n);
    assert_int_equal(n, connector);
    assert_string_equal(s.status, status);
    assert_string_equal(s.error_code, error_code);
    tx_core_report_done(core, n, &s, ok);
}

static void
expect_nothing_due(tx_core_t *core)
{
    tx_status_t s;
    assert_int_equal(tx_core_next_report(core, &s), -1);
}

//  Online, and every connector reported once and acknowledged.
static void
settle_online(tx_core_t *core)
{
    tx_core_on_online(core, true);
    for (int n = 0; n <= CONNECTORS; n++) {
        tx_status_t s;
        assert_int_equal(tx_core_next_report(core, &s), n);
        tx_core_report_done(core, n, &s, true);
    }
    expect_nothing_due(core);
}

/* -------------------------------------------------------------- derive */

static void
test_derive(void **state)
{
    (void) state;
    tx_status_t s;
    tx_core_derive(false, "none", &s);
    expect_status(&s, "Available", "NoError", "");
    tx_core_derive(false, NULL, &s);
    expect_status(&s, "Available", "NoError", "");
    tx_core_derive(false, "", &s);
    expect_status(&s, "Available", "NoError", "");
    tx_core_derive(true, "none", &s);
    expect_status(&s, "Preparing", "NoError", "");
    tx_core_derive(true, NULL, &s);
    expect_status(&s, "Preparing", "NoError", "");

    //  a fault wins over the plug, whichever it is
    for (int plugged = 0; plugged <= 1; plugged++) {
        //  the same codes as the safety actor's verdicts (safety_core.h)
        tx_core_derive(plugged, "rcd", &s);
        expect_status(&s, "Faulted", "GroundFailure", "ResidualCurrent");
        tx_core_derive(plugged, "ground", &s);
        expect_status(&s, "Faulted", "GroundFailure", "EarthContinuity");
        tx_core_derive(plugged, "overcurrent", &s);
        expect_status(&s, "Faulted", "OverCurrentFailure", "OverCurrentDetector");
        tx_core_derive(plugged, "overtemp", &s);
        expect_status(&s, "Faulted", "HighTemperature", "OverTemperature");
        tx_core_derive(plugged, "welding", &s);
        expect_status(&s, "Faulted", "PowerSwitchFailure", "ContactorWelded");
        tx_core_derive(plugged, "pilot-short", &s);
        expect_status(&s, "Faulted", "OtherError", "Fault:pilot-short");
    }
}

static void
test_derive_overwrites_output(void **state)
{
    (void) state;
    tx_status_t s;
    tx_core_derive(false, "weird", &s);
    expect_status(&s, "Faulted", "OtherError", "Fault:weird");
    tx_core_derive(false, "none", &s);
    expect_status(&s, "Available", "NoError", "");   //  no stale vendor code
}

/* ---------------------------------------------------------- reporting */

static void
test_initial_state(void **state)
{
    tx_core_t *core = *state;
    assert_int_equal(tx_core_connectors(core), CONNECTORS);
    assert_false(tx_core_online(core));
    for (int n = 0; n <= CONNECTORS; n++)
        expect_status(tx_core_status(core, n), "Available", "NoError", "");
}

static void
test_nothing_reported_while_offline(void **state)
{
    tx_core_t *core = *state;
    expect_nothing_due(core);
    assert_true(tx_core_on_hw(core, 1, true, "none"));
    expect_status(tx_core_status(core, 1), "Preparing", "NoError", "");
    expect_nothing_due(core);
    tx_core_on_online(core, false);
    expect_nothing_due(core);
}

//  While Pending (not online) TriggerMessage StatusNotification still
//  reports what was asked, once — nothing else, and no retry loop.
static void
test_forced_report_while_offline(void **state)
{
    tx_core_t *core = *state;
    expect_nothing_due(core);
    tx_core_force_report(core, 2);
    report(core, 2, "Available", "NoError", false);   //  refused: not asked again
    expect_nothing_due(core);
    tx_core_force_report(core, 0);
    tx_core_force_report(core, 1);
    report(core, 0, "Available", "NoError", true);
    report(core, 1, "Available", "NoError", true);
    expect_nothing_due(core);
    //  online again: a forced report of an acknowledged status still goes
    tx_core_on_online(core, true);
    for (int n = 0; n <= CONNECTORS; n++)
        report(core, n, "Available", "NoError", true);
    tx_core_force_report(core, 1);
    report(core, 1, "Available", "NoError", true);
    expect_nothing_due(core);
}

static void
test_online_reports_all_in_order_one_at_a_time(void **state)
{
    tx_core_t *core = *state;
    tx_core_on_online(core, true);
    assert_true(tx_core_online(core));
    for (int n = 0; n <= CONNECTORS; n++) {
        tx_status_t s, s2;
        assert_int_equal(tx_core_next_report(core, &s), n);
        expect_status(&s, "Available", "NoError", "");
        //  one in flight: nothing else until it is done
        assert_int_equal(tx_core_next_report(core, &s2), -1);
        assert_int_equal(tx_core_next_report(core, &s2), -1);
        tx_core_report_done(core, n, &s, true);
    }
    expect_nothing_due(core);
}

static void
test_change_while_online_reported(void **state)
{
    tx_core_t *core = *state;
    settle_online(core);
    assert_true(tx_core_on_hw(core, 2, true, "none"));
    assert_false(tx_core_on_hw(core, 2, true, "none"));   //  no change
    assert_false(tx_core_on_hw(core, 2, true, NULL));     //  same status
    report(core, 2, "Preparing", "NoError", true);
    expect_nothing_due(core);
    assert_true(tx_core_on_hw(core, 1, false, "overtemp"));
    report(core, 1, "Faulted", "HighTemperature", true);
    expect_nothing_due(core);
}

//  Level-triggered: plug and unplug while offline leave connector 1
//  Available, and after reconnection only that is reported — never the
//  intermediate Preparing.
static void
test_offline_edges_collapse_to_latest(void **state)
{
    tx_core_t *core = *state;
    settle_online(core);
    tx_core_on_online(core, false);
    assert_true(tx_core_on_hw(core, 1, true, "none"));
    assert_true(tx_core_on_hw(core, 1, false, "none"));
    assert_true(tx_core_on_hw(core, 2, true, "none"));
    expect_nothing_due(core);

    tx_core_on_online(core, true);
    report(core, 0, "Available", "NoError", true);
    report(core, 1, "Available", "NoError", true);
    report(core, 2, "Preparing", "NoError", true);
    expect_nothing_due(core);
}

static void
test_offline_change_before_first_online(void **state)
{
    tx_core_t *core = *state;
    assert_true(tx_core_on_hw(core, 1, true, "none"));
    assert_true(tx_core_on_hw(core, 1, true, "rcd"));
    tx_core_on_online(core, true);
    report(core, 0, "Available", "NoError", true);
    tx_status_t s;
    assert_int_equal(tx_core_next_report(core, &s), 1);
    expect_status(&s, "Faulted", "GroundFailure", "ResidualCurrent");
    tx_core_report_done(core, 1, &s, true);
    report(core, 2, "Available", "NoError", true);
    expect_nothing_due(core);
}

static void
test_failed_report_stays_pending(void **state)
{
    tx_core_t *core = *state;
    tx_core_on_online(core, true);
    report(core, 0, "Available", "NoError", false);
    report(core, 0, "Available", "NoError", false);
    report(core, 0, "Available", "NoError", true);
    report(core, 1, "Available", "NoError", true);
    assert_true(tx_core_on_hw(core, 1, true, "none"));
    report(core, 1, "Preparing", "NoError", false);
    report(core, 1, "Preparing", "NoError", true);
    report(core, 2, "Available", "NoError", true);
    expect_nothing_due(core);
}

static void
test_second_online_edge_reports_everything(void **state)
{
    tx_core_t *core = *state;
    settle_online(core);
    //  online again without an edge: nothing
    tx_core_on_online(core, true);
    expect_nothing_due(core);
    //  an edge: everything, even though nothing changed
    tx_core_on_online(core, false);
    tx_core_on_online(core, true);
    for (int n = 0; n <= CONNECTORS; n++)
        report(core, n, "Available", "NoError", true);
    expect_nothing_due(core);
}

static void
test_change_during_flight_reported_again(void **state)
{
    tx_core_t *core = *state;
    settle_online(core);
    assert_true(tx_core_on_hw(core, 1, true, "none"));
    tx_status_t s;
    assert_int_equal(tx_core_next_report(core, &s), 1);
    expect_status(&s, "Preparing", "NoError", "");
    assert_true(tx_core_on_hw(core, 1, false, "none"));
    tx_core_report_done(core, 1, &s, true);      //  Preparing acknowledged
    report(core, 1, "Available", "NoError", true);
    expect_nothing_due(core);
}

static void
test_offline_during_flight(void **state)
{
    tx_core_t *core = *state;
    tx_core_on_online(core, true);
    tx_status_t s;
    assert_int_equal(tx_core_next_report(core, &s), 0);
    tx_core_on_online(core, false);
    expect_nothing_due(core);
    //  the report that was in flight finishes late: ignored
    tx_core_report_done(core, 0, &s, true);
    tx_core_on_online(core, true);
    for (int n = 0; n <= CONNECTORS; n++)
        report(core, n, "Available", "NoError", true);
    expect_nothing_due(core);
}

static void
test_report_done_for_other_connector_ignored(void **state)
{
    tx_core_t *core = *state;
    tx_core_on_online(core, true);
    tx_status_t s;
    assert_int_equal(tx_core_next_report(core, &s), 0);
    tx_core_report_done(core, 2, &s, true);      //  not the one in flight
    assert_int_equal(tx_core_next_report(core, &s), -1);
    tx_core_report_done(core, 0, &s, true);
    report(core, 1, "Available", "NoError", true);
    report(core, 2, "Available", "NoError", true);
    expect_nothing_due(core);
}

static void
test_out_of_range_connector_ignored(void **state)
{
    tx_core_t *core = *state;
    settle_online(core);
    assert_false(tx_core_on_hw(core, 0, true, "rcd"));
    assert_false(tx_core_on_hw(core, -1, true, "rcd"));
    assert_false(tx_core_on_hw(core, CONNECTORS + 1, true, "rcd"));
    assert_false(tx_core_on_hw(core, HW_MAX_CONNECTORS + 1, true, "rcd"));
    assert_false(tx_core_on_hw(core, 1000000, true, "rcd"));
    for (int n = 0; n <= CONNECTORS; n++)
        expect_status(tx_core_status(core, n), "Available", "NoError", "");
    expect_nothing_due(core);
}

static void
test_max_connectors(void **state)
{
    (void) state;
    tx_core_t *core = tx_core_new(HW_MAX_CONNECTORS);
    assert_non_null(core);
    assert_true(tx_core_on_hw(core, HW_MAX_CONNECTORS, true, "overcurrent"));
    tx_core_on_online(core, true);
    for (int n = 0; n < HW_MAX_CONNECTORS; n++)
        report(core, n, "Available", "NoError", true);
    report(core, HW_MAX_CONNECTORS, "Faulted", "OverCurrentFailure", true);
    expect_nothing_due(core);
    tx_core_destroy(&core);
}


//  MinimumStatusDuration: a change is reported only once it has lasted the
//  minimum; a status that is gone before that is never sent; a
//  re-synchronisation (online edge) is not delayed.
static void
test_minimum_status_duration(void **state)
{
    tx_core_t *core = *state;
    tx_core_set_min_duration(core, 5000);
    tx_core_on_online(core, true);
    tx_status_t st, available, preparing, finishing;
    int64_t wake;
    tx_core_derive(false, "none", &available);
    tx_core_derive(true, "none", &preparing);
    finishing = preparing;
    snprintf(finishing.status, sizeof(finishing.status), "Finishing");
    //  The online edge reports everything at once.
    for (int n = 0; n <= CONNECTORS; n++) {
        assert_int_equal(tx_core_next_report_at(core, 0, &st, &wake), n);
        tx_core_report_done(core, n, &st, true);
    }
    //  Connector 1 goes Preparing at t=1000: not before t=6000.
    assert_true(tx_core_set_status_at(core, 1, &preparing, 1000));
    assert_int_equal(tx_core_next_report_at(core, 3000, &st, &wake), -1);
    assert_int_equal(wake, 6000);
    assert_int_equal(tx_core_next_report_at(core, 6000, &st, &wake), 1);
    assert_string_equal(st.status, "Preparing");
    tx_core_report_done(core, 1, &st, true);
    //  Finishing for 2 s then Available: Finishing is never reported.
    assert_true(tx_core_set_status_at(core, 1, &finishing, 10000));
    assert_int_equal(tx_core_next_report_at(core, 11000, &st, &wake), -1);
    assert_true(tx_core_set_status_at(core, 1, &available, 12000));
    assert_int_equal(tx_core_next_report_at(core, 16999, &st, &wake), -1);
    assert_int_equal(wake, 17000);
    assert_int_equal(tx_core_next_report_at(core, 17000, &st, &wake), 1);
    assert_string_equal(st.status, "Available");
    tx_core_report_done(core, 1, &st, true);
    assert_int_equal(tx_core_next_report_at(core, 20000, &st, &wake), -1);
    assert_true(wake == INT64_MAX);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derive),
        cmocka_unit_test(test_derive_overwrites_output),
        cmocka_unit_test_setup_teardown(test_initial_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forced_report_while_offline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_minimum_status_duration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_reported_while_offline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_online_reports_all_in_order_one_at_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_while_online_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline_edges_collapse_to_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline_change_before_first_online, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_report_stays_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_online_edge_reports_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_during_flight_reported_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline_during_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_done_for_other_connector_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_range_connector_ignored, setup, teardown),
        cmocka_unit_test(test_max_connectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
