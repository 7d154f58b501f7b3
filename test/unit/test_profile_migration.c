/* test_profile_migration.c — the A05 decision core (profile_migration.h):
 * a higher profile is tried and committed only once a link built with it
 * is accepted; a refusal for a reason of the profile falls back at once, a
 * network failure only when the bound passes; the fallback is asked again
 * until the configuration takes it; a restart mid-trial tries again with a
 * fresh bound; the profile never goes down except by the fallback or by
 * the operator on site (which moves committed down too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actors/ocpp/profile_migration.h"

#define BOUND 60000

static void
test_first_start_takes_the_configured_profile(void **state)
{
    (void) state;
    profile_migration_t pm;
    assert_int_equal(pm_start(&pm, -1, 0, 1, 0, BOUND), PM_FX_PERSIST);
    assert_int_equal(pm.committed, 1);
    assert_int_equal(pm.phase, PM_IDLE);
    //  nothing happens while idle
    assert_int_equal(pm_tick(&pm, 10 * BOUND), 0);
    assert_int_equal(pm_link_failed(&pm, 1, false, 0), 0);
    assert_int_equal(pm_accepted(&pm, 1), 0);
    //  the same value again: no trial
    assert_int_equal(pm_configured(&pm, 1, 5), 0);
    assert_int_equal(pm.phase, PM_IDLE);
}

static void
test_upgrade_committed_when_accepted(void **state)
{
    (void) state;
    profile_migration_t pm;
    pm_start(&pm, 1, 0, 1, 0, BOUND);
    assert_int_equal(pm_configured(&pm, 2, 1000), PM_FX_PERSIST);
    assert_int_equal(pm.phase, PM_TRYING);
    assert_int_equal(pm.target, 2);
    assert_int_equal(pm.deadline, 1000 + BOUND);
    //  the old link going down, or accepted, says nothing about profile 2
    assert_int_equal(pm_link_failed(&pm, 1, false, 1100), 0);
    assert_int_equal(pm_accepted(&pm, 1), 0);
    assert_int_equal(pm.phase, PM_TRYING);
    //  a network failure waits for the bound
    assert_int_equal(pm_link_failed(&pm, 2, true, 2000), 0);
    assert_int_equal(pm_tick(&pm, 1000 + BOUND - 1), 0);
    assert_int_equal(pm_accepted(&pm, 2), PM_FX_PERSIST | PM_FX_COMMIT);
    assert_int_equal(pm.committed, 2);
    assert_int_equal(pm.target, 0);
    assert_int_equal(pm.phase, PM_IDLE);
    //  committed: a later failure of profile 2 is just a failure
    assert_int_equal(pm_link_failed(&pm, 2, false, 5 * BOUND), 0);
    assert_int_equal(pm_tick(&pm, 10 * BOUND), 0);
}

static void
test_refused_falls_back_at_once_and_asks_until_taken(void **state)
{
    (void) state;
    profile_migration_t pm;
    pm_start(&pm, 1, 0, 1, 0, BOUND);
    pm_configured(&pm, 2, 0);
    assert_int_equal(pm_link_failed(&pm, 2, false, 500), PM_FX_FALLBACK);
    assert_int_equal(pm.phase, PM_FALLING_BACK);
    assert_int_equal(pm.committed, 1);
    //  not taken yet: asked again every retry period, not before
    assert_int_equal(pm_tick(&pm, 500 + PROFILE_MIGRATION_RETRY_MS - 1), 0);
    assert_int_equal(pm_tick(&pm, 500 + PROFILE_MIGRATION_RETRY_MS), PM_FX_FALLBACK);
    //  a late success of the abandoned trial does not commit it
    assert_int_equal(pm_accepted(&pm, 2), 0);
    //  the configuration still says 2 (the request is in flight): no new trial
    assert_int_equal(pm_configured(&pm, 2, 9000), 0);
    assert_int_equal(pm.phase, PM_FALLING_BACK);
    //  taken
    assert_int_equal(pm_configured(&pm, 1, 9500), PM_FX_PERSIST);
    assert_int_equal(pm.phase, PM_IDLE);
    assert_int_equal(pm.committed, 1);
    assert_int_equal(pm.target, 0);
}

static void
test_bound_falls_back(void **state)
{
    (void) state;
    profile_migration_t pm;
    pm_start(&pm, 2, 0, 2, 0, BOUND);
    pm_configured(&pm, 3, 100);
    assert_int_equal(pm_tick(&pm, 100 + BOUND), PM_FX_FALLBACK);
    assert_int_equal(pm.committed, 2);
    pm_configured(&pm, 2, 100 + BOUND + 10);
    assert_int_equal(pm.phase, PM_IDLE);
}

static void
test_restart_mid_trial_tries_again_with_a_fresh_bound(void **state)
{
    (void) state;
    profile_migration_t pm;
    //  a power cut during the 1 → 2 trial: SecurityProfile says 2
    assert_int_equal(pm_start(&pm, 1, 2, 2, 777, BOUND), 0);
    assert_int_equal(pm.phase, PM_TRYING);
    assert_int_equal(pm.deadline, 777 + BOUND);
    assert_int_equal(pm_link_failed(&pm, 2, false, 800), PM_FX_FALLBACK);
    //  a power cut after the fallback was taken but before it was stored
    assert_int_equal(pm_start(&pm, 1, 2, 1, 0, BOUND), PM_FX_PERSIST);
    assert_int_equal(pm.phase, PM_IDLE);
    assert_int_equal(pm.target, 0);
    assert_int_equal(pm.committed, 1);
    //  a power cut right after ChangeConfiguration stored 3 (target not yet stored)
    assert_int_equal(pm_start(&pm, 2, 0, 3, 0, BOUND), PM_FX_PERSIST);
    assert_int_equal(pm.phase, PM_TRYING);
    assert_int_equal(pm.target, 3);
}

static void
test_operator_lowers_on_site(void **state)
{
    (void) state;
    profile_migration_t pm;
    pm_start(&pm, 3, 0, 3, 0, BOUND);
    assert_int_equal(pm_configured(&pm, 1, 10), PM_FX_PERSIST);
    assert_int_equal(pm.committed, 1);
    assert_int_equal(pm.phase, PM_IDLE);
    //  and during a trial: the trial ends where the operator put it
    pm_configured(&pm, 2, 20);
    assert_int_equal(pm_configured(&pm, 0, 30), PM_FX_PERSIST);
    assert_int_equal(pm.committed, 0);
    assert_int_equal(pm.phase, PM_IDLE);
    //  a higher value during a trial: the new one is tried
    pm_configured(&pm, 2, 40);
    assert_int_equal(pm_configured(&pm, 3, 50), PM_FX_PERSIST);
    assert_int_equal(pm.target, 3);
    assert_int_equal(pm.deadline, 50 + BOUND);
}

static void
test_network_reasons(void **state)
{
    (void) state;
    assert_true(pm_reason_is_network("connection refused or unreachable (Unable to connect)"));
    assert_true(pm_reason_is_network("connect failed"));
    assert_false(pm_reason_is_network("TLS: certificate verify failed: unable to get local issuer certificate"));
    assert_false(pm_reason_is_network("HTTP 401"));
    assert_false(pm_reason_is_network("TLS: SSL err"));
    assert_false(pm_reason_is_network("handshake timed out after 20 s"));
    assert_false(pm_reason_is_network(NULL));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_start_takes_the_configured_profile),
        cmocka_unit_test(test_upgrade_committed_when_accepted),
        cmocka_unit_test(test_refused_falls_back_at_once_and_asks_until_taken),
        cmocka_unit_test(test_bound_falls_back),
        cmocka_unit_test(test_restart_mid_trial_tries_again_with_a_fresh_bound),
        cmocka_unit_test(test_operator_lowers_on_site),
        cmocka_unit_test(test_network_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
