/* test_storage_probe.c — the supervisor asks the storage before it calls a
 * silent actor hung (supervisor/storage_probe.h): on healthy storage the
 * first check starts a probe (unknown), a later one finds it done (ok);
 * a probe older than the suspicion does not count; an unwritable state
 * directory is not a stall (the probe comes back, with an error). The
 * stalled case needs a frozen filesystem: test/e2e/storage.test.mjs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include "supervisor/storage_probe.h"
#include "bench.h"

//  Check until the verdict is not UNKNOWN (the probe thread runs apart).
static cp_storage_verdict_t
s_settle(cp_storage_probe_t *probe, int64_t since, int64_t *now)
{
    int64_t stalled = 0;
    cp_storage_verdict_t v = CP_STORAGE_UNKNOWN;
    for (int i = 0; i < 400 && v == CP_STORAGE_UNKNOWN; i++) {
        zclock_sleep(5);
        v = cp_storage_probe_check(probe, since, *now, &stalled);
    }
    return v;
}

static void
test_healthy_storage(void **state)
{
    char dir[64];
    bench_state_dir(dir, sizeof(dir), "probe");
    cp_storage_probe_t *probe = cp_storage_probe_new(dir);
    assert_non_null(probe);
    int64_t now = 1000, stalled = -1;
    assert_int_equal(cp_storage_probe_check(probe, 900, now, &stalled), CP_STORAGE_UNKNOWN);   //  probe started
    assert_int_equal(s_settle(probe, 900, &now), CP_STORAGE_OK);
    assert_int_equal(stalled, 0);
    //  a later suspicion needs a newer probe
    now = 5000;
    assert_int_equal(cp_storage_probe_check(probe, 4000, now, &stalled), CP_STORAGE_UNKNOWN);
    assert_int_equal(s_settle(probe, 4000, &now), CP_STORAGE_OK);
    cp_storage_probe_destroy(&probe);
    assert_null(probe);
    bench_state_dir_remove(dir);
}

static void
test_missing_dir_is_not_a_stall(void **state)
{
    cp_storage_probe_t *probe = cp_storage_probe_new("/nonexistent/chargepointd-probe");
    int64_t now = 1000;
    int64_t stalled = 0;
    assert_int_equal(cp_storage_probe_check(probe, 0, now, &stalled), CP_STORAGE_UNKNOWN);
    assert_int_equal(s_settle(probe, 0, &now), CP_STORAGE_OK);
    cp_storage_probe_destroy(&probe);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy_storage),
        cmocka_unit_test(test_missing_dir_is_not_a_stall),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
