/* test_policy.c — the supervision policy on a virtual clock.
 *
 * What the supervisor relies on (supervisor/policy.h): faults of different
 * actors never add up to an escalation below the global backstop; one
 * actor in a crash loop escalates when it is critical and is left down
 * (then retried after the cool-down) when it is not; the first restart is
 * immediate and repeated ones back off exponentially up to a cap; the
 * windows slide; and the counts are exact up to the largest limit the
 * options accept (no ring that silently under-counts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include "supervisor/policy.h"

#define SEC 1000

static cp_policy_t *
s_policy(int intensity, int global, int64_t period_ms, int actors)
{
    cp_policy_config_t c;
    cp_policy_config_defaults(&c, intensity, global, period_ms);
    cp_policy_t *p = cp_policy_new(&c, actors);
    assert_non_null(p);
    return p;
}

static void
test_defaults(void **state)
{
    cp_policy_config_t c;
    cp_policy_config_defaults(&c, 5, 20, 60 * SEC);
    assert_int_equal(c.intensity, 5);
    assert_int_equal(c.global_intensity, 20);
    assert_int_equal(c.period_ms, 60 * SEC);
    assert_int_equal(c.backoff_min_ms, 100);
    assert_int_equal(c.backoff_max_ms, 5000);
    assert_int_equal(c.cooldown_ms, 60 * SEC);
    char reason[128];
    assert_true(cp_policy_config_valid(&c, reason, sizeof(reason)));
}

static void
test_config_refused(void **state)
{
    char reason[128];
    cp_policy_config_t c;
    cp_policy_config_defaults(&c, 0, 20, 60 * SEC);
    assert_false(cp_policy_config_valid(&c, reason, sizeof(reason)));
    assert_non_null(strstr(reason, "per-actor"));
    cp_policy_config_defaults(&c, CP_POLICY_INTENSITY_MAX + 1, CP_POLICY_GLOBAL_INTENSITY_MAX, 60 * SEC);
    assert_false(cp_policy_config_valid(&c, reason, sizeof(reason)));
    cp_policy_config_defaults(&c, 5, 4, 60 * SEC);          //  backstop below the per-actor limit
    assert_false(cp_policy_config_valid(&c, reason, sizeof(reason)));
    assert_non_null(strstr(reason, "global"));
    cp_policy_config_defaults(&c, 5, CP_POLICY_GLOBAL_INTENSITY_MAX + 1, 60 * SEC);
    assert_false(cp_policy_config_valid(&c, reason, sizeof(reason)));
    cp_policy_config_defaults(&c, 5, 20, 0);
    assert_false(cp_policy_config_valid(&c, reason, sizeof(reason)));
    cp_policy_config_defaults(&c, 5, 20, 60 * SEC);
    c.backoff_max_ms = c.backoff_min_ms - 1;
    assert_false(cp_policy_config_valid(&c, reason, sizeof(reason)));
    cp_policy_config_defaults(&c, 5, 20, 60 * SEC);
    c.cooldown_ms = 0;
    assert_false(cp_policy_config_valid(&c, reason, sizeof(reason)));
    cp_policy_config_defaults(&c, CP_POLICY_INTENSITY_MAX, CP_POLICY_GLOBAL_INTENSITY_MAX, CP_POLICY_PERIOD_MAX_MS);
    assert_true(cp_policy_config_valid(&c, reason, sizeof(reason)));
}

//  The first finding: six different actors killed once each, a few
//  seconds apart, must not stop the charger.
static void
test_unrelated_faults_do_not_escalate(void **state)
{
    cp_policy_t *p = s_policy(5, 20, 60 * SEC, 9);
    int64_t now = 1000;
    for (int actor = 0; actor < 9; actor++, now += 3 * SEC) {
        cp_policy_decision_t d = cp_policy_fault(p, actor, now);
        assert_int_equal(d.action, CP_POLICY_RESTART);
        assert_int_equal(d.at_ms, now);                     //  first restart: at once
        assert_int_equal(d.recent, 0);
        assert_int_equal(d.global_recent, actor);
    }
    cp_policy_destroy(&p);
    assert_null(p);
}

static void
test_crash_loop_of_critical_escalates(void **state)
{
    cp_policy_t *p = s_policy(5, 20, 60 * SEC, 3);
    int64_t now = 0;
    for (int i = 0; i < 5; i++, now += 500) {
        cp_policy_decision_t d = cp_policy_fault(p, 1, now);
        assert_int_equal(d.action, CP_POLICY_RESTART);
        assert_int_equal(d.recent, i);
    }
    assert_int_equal(cp_policy_recent(p, 1, now), 5);
    cp_policy_decision_t d = cp_policy_fault(p, 1, now);
    assert_int_equal(d.action, CP_POLICY_ESCALATE);
    assert_int_equal(d.recent, 5);
    assert_non_null(strstr(d.why, "critical"));
    //  Another actor is not in that loop.
    assert_int_equal(cp_policy_fault(p, 2, now).action, CP_POLICY_RESTART);
    cp_policy_destroy(&p);
}

static void
test_backoff_doubles_to_cap(void **state)
{
    cp_policy_t *p = s_policy(20, 80, 600 * SEC, 1);
    const int64_t expect[] = { 0, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000 };
    int64_t now = 10 * SEC;
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++, now += 10) {
        cp_policy_decision_t d = cp_policy_fault(p, 0, now);
        assert_int_equal(d.action, CP_POLICY_RESTART);
        assert_int_equal(d.at_ms - now, expect[i]);
    }
    cp_policy_destroy(&p);
}

//  Restarts older than the period no longer count: an actor that faults
//  now and then is restarted at once every time, forever.
static void
test_window_slides(void **state)
{
    cp_policy_t *p = s_policy(2, 8, 10 * SEC, 1);
    int64_t now = 0;
    for (int i = 0; i < 100; i++, now += 5 * SEC + 1) {
        cp_policy_decision_t d = cp_policy_fault(p, 0, now);
        assert_int_equal(d.action, CP_POLICY_RESTART);
        assert_true(d.recent <= 1);
    }
    //  Exactly at the edge: a restart period_ms ago has left the window.
    cp_policy_destroy(&p);
    p = s_policy(1, 4, 10 * SEC, 1);
    assert_int_equal(cp_policy_fault(p, 0, 0).action, CP_POLICY_RESTART);
    assert_int_equal(cp_policy_fault(p, 0, 10 * SEC - 1).action, CP_POLICY_ESCALATE);
    assert_int_equal(cp_policy_fault(p, 0, 10 * SEC).action, CP_POLICY_RESTART);
    cp_policy_destroy(&p);
}

//  A dead HMI degrades: it is left down, retried after the cool-down, and
//  gets its full intensity again then; charging (the critical actors) never
//  escalates because of it.
static void
test_non_critical_degrades(void **state)
{
    cp_policy_t *p = s_policy(3, 12, 60 * SEC, 2);
    assert_true(cp_policy_critical(p, 1));
    cp_policy_set_critical(p, 1, false);
    assert_false(cp_policy_critical(p, 1));
    int64_t now = 0;
    for (int i = 0; i < 3; i++, now += 100)
        assert_int_equal(cp_policy_fault(p, 1, now).action, CP_POLICY_RESTART);
    cp_policy_decision_t d = cp_policy_fault(p, 1, now);
    assert_int_equal(d.action, CP_POLICY_DEGRADE);
    assert_int_equal(d.at_ms, now + 60 * SEC);
    //  Degrading is not a restart: it adds nothing to the windows.
    assert_int_equal(cp_policy_recent(p, 1, now), 3);
    assert_int_equal(cp_policy_fault(p, 0, now).global_recent, 3);
    now = d.at_ms;
    cp_policy_retry(p, 1, now);
    assert_int_equal(cp_policy_recent(p, 1, now), 1);
    //  The retried actor dies again at once: restarted (backing off), and a
    //  full loop again before it degrades again.
    d = cp_policy_fault(p, 1, now + 10);
    assert_int_equal(d.action, CP_POLICY_RESTART);
    assert_int_equal(d.at_ms, now + 10 + 100);
    assert_int_equal(cp_policy_fault(p, 1, now + 20).action, CP_POLICY_RESTART);
    assert_int_equal(cp_policy_fault(p, 1, now + 30).action, CP_POLICY_DEGRADE);
    cp_policy_destroy(&p);
}

//  Faults that hit everything: each actor below its own limit, all of them
//  together past the backstop.
static void
test_global_backstop(void **state)
{
    cp_policy_t *p = s_policy(5, 20, 60 * SEC, 10);
    int64_t now = 0;
    int restarts = 0;
    for (int round = 0; round < 2; round++)
        for (int actor = 0; actor < 10; actor++, now += 10) {
            assert_int_equal(cp_policy_fault(p, actor, now).action, CP_POLICY_RESTART);
            restarts++;
        }
    assert_int_equal(restarts, 20);
    cp_policy_decision_t d = cp_policy_fault(p, 3, now);
    assert_int_equal(d.action, CP_POLICY_ESCALATE);
    assert_int_equal(d.global_recent, 20);
    assert_int_equal(d.recent, 2);
    assert_non_null(strstr(d.why, "all actors"));
    //  The backstop also stops a non-critical actor's restarts.
    cp_policy_set_critical(p, 4, false);
    assert_int_equal(cp_policy_fault(p, 4, now).action, CP_POLICY_ESCALATE);
    //  Once the window has slid past them, restarts are allowed again.
    assert_int_equal(cp_policy_fault(p, 3, now + 60 * SEC).action, CP_POLICY_RESTART);
    cp_policy_destroy(&p);
}

//  The largest limits the options accept are counted exactly: 1000
//  restarts of one actor in a day escalate at the 1001st fault, not never
//  (the old 64-entry ring under-counted a large intensity).
static void
test_largest_limits_are_exact(void **state)
{
    cp_policy_config_t c;
    cp_policy_config_defaults(&c, CP_POLICY_INTENSITY_MAX, CP_POLICY_GLOBAL_INTENSITY_MAX, CP_POLICY_PERIOD_MAX_MS);
    c.backoff_min_ms = 0;
    c.backoff_max_ms = 0;
    int actors = CP_POLICY_GLOBAL_INTENSITY_MAX / CP_POLICY_INTENSITY_MAX + 2;
    cp_policy_t *p = cp_policy_new(&c, actors);
    assert_non_null(p);
    int64_t now = 0;
    for (int i = 0; i < CP_POLICY_INTENSITY_MAX; i++, now += 1000)
        assert_int_equal(cp_policy_fault(p, 0, now).action, CP_POLICY_RESTART);
    assert_int_equal(cp_policy_recent(p, 0, now), CP_POLICY_INTENSITY_MAX);
    assert_int_equal(cp_policy_fault(p, 0, now).action, CP_POLICY_ESCALATE);
    //  The global window holds its whole limit too.
    for (int actor = 1; actor < CP_POLICY_GLOBAL_INTENSITY_MAX / CP_POLICY_INTENSITY_MAX; actor++)
        for (int i = 0; i < CP_POLICY_INTENSITY_MAX; i++, now += 10)
            assert_int_equal(cp_policy_fault(p, actor, now).action, CP_POLICY_RESTART);
    cp_policy_decision_t d = cp_policy_fault(p, actors - 1, now);
    assert_int_equal(d.global_recent, CP_POLICY_GLOBAL_INTENSITY_MAX);
    assert_int_equal(d.action, CP_POLICY_ESCALATE);
    cp_policy_destroy(&p);
}

static void
test_action_names(void **state)
{
    assert_string_equal(cp_policy_action_name(CP_POLICY_RESTART), "restart");
    assert_string_equal(cp_policy_action_name(CP_POLICY_DEGRADE), "degrade");
    assert_string_equal(cp_policy_action_name(CP_POLICY_ESCALATE), "escalate");
    assert_string_equal(cp_policy_action_name((cp_policy_action_t) 99), "?");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_config_refused),
        cmocka_unit_test(test_unrelated_faults_do_not_escalate),
        cmocka_unit_test(test_crash_loop_of_critical_escalates),
        cmocka_unit_test(test_backoff_doubles_to_cap),
        cmocka_unit_test(test_window_slides),
        cmocka_unit_test(test_non_critical_degrades),
        cmocka_unit_test(test_global_backstop),
        cmocka_unit_test(test_largest_limits_are_exact),
        cmocka_unit_test(test_action_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
