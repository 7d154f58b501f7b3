/* test_store_health.c — a failing store is one episode: logged and
 * published once when it starts, retried on a bounded back-off, cleared by
 * the first write that succeeds (actors/transaction/store_health.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include "actors/transaction/store_health.h"

static void
test_healthy(void **state)
{
    store_health_t h;
    store_health_init(&h);
    assert_false(h.failing);
    assert_int_equal(h.retry_at, INT64_MAX);
    //  a success without an episode ends nothing; a retry changes nothing
    assert_false(store_health_ok(&h));
    store_health_retried(&h, 1000);
    assert_int_equal(h.retry_at, INT64_MAX);
}

static void
test_episode(void **state)
{
    store_health_t h;
    store_health_init(&h);
    //  the first failure starts the episode (and says so once)
    assert_true(store_health_failed(&h, 1000, 1764151200000, "record the stop", "database or disk is full"));
    assert_true(h.failing);
    assert_string_equal(h.error, "record the stop: database or disk is full");
    assert_int_equal(h.since_ms, 1764151200000);
    assert_int_equal(h.retry_at, 1000 + STORE_HEALTH_RETRY_FIRST_MS);
    //  later failures are counted, not announced, and keep the first cause
    for (int i = 0; i < 100; i++)
        assert_false(store_health_failed(&h, 1100 + i, 1764151200100, "save the meter reading", "disk I/O error"));
    assert_int_equal(h.failures, 101);
    assert_string_equal(h.error, "record the stop: database or disk is full");
    assert_int_equal(h.since_ms, 1764151200000);
    //  retries back off, doubling, up to the bound
    int64_t now = 1500;
    int64_t expect[] = { 1000, 2000, 4000, 5000, 5000 };
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        store_health_retried(&h, now);
        assert_int_equal(h.retry_at - now, expect[i]);
        now = h.retry_at;
    }
    //  the first success ends it, once, and forgets it
    assert_true(store_health_ok(&h));
    assert_false(h.failing);
    assert_int_equal(h.failures, 0);
    assert_string_equal(h.error, "");
    assert_int_equal(h.retry_at, INT64_MAX);
    assert_false(store_health_ok(&h));
    //  a new episode starts afresh, back-off included
    assert_true(store_health_failed(&h, 90000, 1764151300000, "append", NULL));
    assert_string_equal(h.error, "append: failed");
    assert_int_equal(h.retry_at, 90000 + STORE_HEALTH_RETRY_FIRST_MS);
}

static void
test_long_error_truncated(void **state)
{
    store_health_t h;
    store_health_init(&h);
    char what[400];
    memset(what, 'w', sizeof(what) - 1);
    what[sizeof(what) - 1] = '\0';
    assert_true(store_health_failed(&h, 0, 0, what, "x"));
    assert_int_equal(strlen(h.error), STORE_HEALTH_ERROR_MAX);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_episode),
        cmocka_unit_test(test_long_error_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
