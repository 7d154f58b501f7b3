/* test_tx_store.c — the transaction actor's durable record (tx_store.h):
 * the life of a transaction row (active → stopping → stopped), what
 * recovery reads back after a restart, StopTxnSampledData, reservations,
 * availability, the meter registers the simulator restores, bounded reads,
 * and SQLite failures reported instead of ignored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "actors/transaction/tx_store.h"
#include "supervisor/log.h"
#include "supervisor/store.h"
#include "test/unit/bench.h"

#define RUN "run-1"

typedef struct {
    char dir[64];
    sqlite3 *db;
    tx_store_t *store;
} fixture_t;

static void
s_open(fixture_t *f)
{
    char err[256];
    f->db = cp_store_open(f->dir, err, sizeof(err));
    assert_non_null(f->db);
    f->store = tx_store_new(f->db);
    assert_non_null(f->store);
}

static void
s_close(fixture_t *f)
{
    tx_store_destroy(&f->store);
    assert_null(f->store);
    cp_store_close(&f->db);
}

//  A restart: a new store on a new connection to the same file.
static void
s_reopen(fixture_t *f)
{
    s_close(f);
    s_open(f);
}

static int
setup(void **state)
{
    cp_log_set_level(CP_LOG_ERROR);
    fixture_t *f = calloc(1, sizeof(fixture_t));
    assert_non_null(f);
    bench_state_dir(f->dir, sizeof(f->dir), "tx_store");
    s_open(f);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    s_close(f);
    bench_state_dir_remove(f->dir);
    free(f);
    return 0;
}

static void
test_life_of_a_transaction(void **state)
{
    fixture_t *f = *state;
    int64_t local = tx_store_begin(f->store, 1, "TAG-1", 1000, 1764151200000LL, RUN);
    assert_true(local > 0);
    //  Not queued yet: recovery would have to decide about it.
    int64_t unqueued[4];
    assert_int_equal(tx_store_unqueued(f->store, unqueued, 4), 1);
    assert_int_equal(unqueued[0], local);
    assert_int_equal(tx_store_set_queued(f->store, local), 0);
    assert_int_equal(tx_store_unqueued(f->store, unqueued, 4), 0);

    tx_store_active_t open[4];
    assert_int_equal(tx_store_active(f->store, open, 4), 1);
    assert_int_equal(open[0].tx_local, local);
    assert_int_equal(open[0].connector, 1);
    assert_string_equal(open[0].id_tag, "TAG-1");
    assert_string_equal(open[0].parent_id_tag, "");
    assert_int_equal(open[0].meter_start, 1000);
    assert_int_equal(open[0].started_ms, 1764151200000LL);
    assert_string_equal(open[0].run_id, RUN);
    assert_true(open[0].last_meter_wh == 1000.0);
    assert_false(open[0].has_csms_id);
    assert_false(open[0].clean_shutdown);

    assert_int_equal(tx_store_set_csms_id(f->store, local, 4711), 0);
    assert_int_equal(tx_store_save_meter(f->store, local, 1234.5), 0);
    assert_int_equal(tx_store_active(f->store, open, 4), 1);
    assert_true(open[0].has_csms_id);
    assert_int_equal(open[0].csms_id, 4711);
    assert_true(open[0].last_meter_wh == 1234.5);
    char tag[TX_STORE_TAG_MAX + 1];
    assert_int_equal(tx_store_id_tag(f->store, local, false, tag, sizeof(tag)), 0);
    assert_string_equal(tag, "TAG-1");
    assert_int_equal(tx_store_id_tag(f->store, local, true, tag, sizeof(tag)), 1);
    assert_string_equal(tag, "");
    assert_int_equal(tx_store_is_open(f->store, local), 1);

    //  The stop: no longer active, still open until its StopTransaction
    //  is queued; the meter may still rise while the contactor opens.
    assert_int_equal(tx_store_add_stopdata(f->store, local, "[{\"n\":1}]"), 0);
    assert_int_equal(tx_store_stop(f->store, local, 1300, "Local", "TAG-2", 1764151260000LL), 0);
    assert_int_equal(tx_store_active(f->store, open, 4), 0);
    assert_int_equal(tx_store_is_open(f->store, local), 1);
    assert_int_equal(tx_store_raise_meter_stop(f->store, 1, 1310), 0);
    assert_int_equal(tx_store_raise_meter_stop(f->store, 1, 1200), 0);      //  never lowered
    assert_int_equal(tx_store_add_stopdata(f->store, local, "[{\"n\":2},{\"n\":3}]"), 0);
    tx_store_stop_t stops[4];
    assert_int_equal(tx_store_stopping(f->store, stops, 4), 1);
    assert_int_equal(stops[0].tx_local, local);
    assert_int_equal(stops[0].meter_stop, 1310);
    assert_int_equal(stops[0].stopped_ms, 1764151260000LL);
    assert_string_equal(stops[0].reason, "Local");
    assert_string_equal(stops[0].id_tag, "TAG-2");
    assert_int_equal(tx_store_id_tag(f->store, local, true, tag, sizeof(tag)), 0);
    assert_string_equal(tag, "TAG-2");
    json_t *data = tx_store_stopdata(f->store, local);
    assert_non_null(data);
    assert_int_equal(json_array_size(data), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(data, i), "n")), (json_int_t) i + 1);
    json_decref(data);

    //  Queued: stopped, samples gone, later samples refused.
    assert_int_equal(tx_store_set_stopped(f->store, local), 0);
    assert_int_equal(tx_store_stopping(f->store, stops, 4), 0);
    assert_int_equal(tx_store_is_open(f->store, local), 0);
    data = tx_store_stopdata(f->store, local);
    assert_non_null(data);
    assert_int_equal(json_array_size(data), 0);
    json_decref(data);
    assert_int_equal(tx_store_add_stopdata(f->store, local, "[{\"n\":4}]"), 1);
    assert_int_equal(tx_store_is_open(f->store, local + 100), 0);
    assert_int_equal(tx_store_id_tag(f->store, local + 100, false, tag, sizeof(tag)), 1);
    assert_true(sqlite3_get_autocommit(f->db));
}

static void
test_recovery_reads_after_restart(void **state)
{
    fixture_t *f = *state;
    int64_t kept = tx_store_begin(f->store, 1, "A", 10, 1000, "old-run");
    int64_t unqueued = tx_store_begin(f->store, 2, "B", 20, 2000, "old-run");
    assert_true(kept > 0 && unqueued > kept);
    assert_int_equal(tx_store_set_queued(f->store, kept), 0);
    assert_int_equal(tx_store_mark_clean_shutdown(f->store), 0);
    s_reopen(f);

    int64_t ids[4];
    assert_int_equal(tx_store_unqueued(f->store, ids, 4), 1);
    assert_int_equal(ids[0], unqueued);
    assert_int_equal(tx_store_forget(f->store, unqueued), 0);
    tx_store_active_t open[4];
    assert_int_equal(tx_store_active(f->store, open, 4), 1);
    assert_int_equal(open[0].tx_local, kept);
    assert_true(open[0].clean_shutdown);
    assert_string_equal(open[0].run_id, "old-run");
    //  resumed by this run: its run id, no mark
    assert_int_equal(tx_store_adopt(f->store, kept, "new-run"), 0);
    assert_int_equal(tx_store_active(f->store, open, 4), 1);
    assert_false(open[0].clean_shutdown);
    assert_string_equal(open[0].run_id, "new-run");
    //  A PowerLoss stop as recovery records it: no idTag.
    assert_int_equal(tx_store_stop(f->store, kept, 10, "PowerLoss", "", 3000), 0);
    tx_store_stop_t stops[2];
    assert_int_equal(tx_store_stopping(f->store, stops, 2), 1);
    assert_string_equal(stops[0].id_tag, "");
    assert_string_equal(stops[0].reason, "PowerLoss");
}

static void
test_reads_are_bounded(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 5; i++)
        assert_true(tx_store_begin(f->store, 1, "T", i, i, RUN) > 0);
    tx_store_active_t open[3];
    assert_int_equal(tx_store_active(f->store, open, 3), 3);
    assert_int_equal(open[2].meter_start, 2);     //  oldest first
    int64_t ids[2];
    assert_int_equal(tx_store_unqueued(f->store, ids, 2), 2);
    assert_int_equal(tx_store_unqueued(f->store, ids, 0), 0);
    //  Nothing left open on the connection: a write goes through.
    assert_true(tx_store_begin(f->store, 1, "T", 9, 9, RUN) > 0);
    assert_true(sqlite3_get_autocommit(f->db));
}

static void
test_stopdata_skips_a_bad_row(void **state)
{
    fixture_t *f = *state;
    int64_t local = tx_store_begin(f->store, 1, "T", 0, 0, RUN);
    assert_int_equal(tx_store_add_stopdata(f->store, local, "[1]"), 0);
    assert_int_equal(tx_store_add_stopdata(f->store, local, "not json"), 0);
    assert_int_equal(tx_store_add_stopdata(f->store, local, "{\"a\":1}"), 0);
    assert_int_equal(tx_store_add_stopdata(f->store, local, "[2]"), 0);
    json_t *data = tx_store_stopdata(f->store, local);
    assert_non_null(data);
    assert_int_equal(json_array_size(data), 2);
    json_decref(data);
}

static void
test_reservations_and_availability(void **state)
{
    fixture_t *f = *state;
    tx_store_reservation_t r = { .connector = 1, .reservation_id = 7, .id_tag = "R1", .parent_id_tag = "P",
                                 .expiry_ms = 5000 };
    assert_int_equal(tx_store_put_reservation(f->store, &r), 0);
    r = (tx_store_reservation_t) { .connector = 2, .reservation_id = 8, .id_tag = "R2", .expiry_ms = 9000 };
    assert_int_equal(tx_store_put_reservation(f->store, &r), 0);
    //  One reservation per connector: a new one replaces it.
    r = (tx_store_reservation_t) { .connector = 1, .reservation_id = 9, .id_tag = "R3", .expiry_ms = 6000 };
    assert_int_equal(tx_store_put_reservation(f->store, &r), 0);
    s_reopen(f);
    tx_store_reservation_t rows[4];
    assert_int_equal(tx_store_reservations(f->store, rows, 4), 2);
    assert_int_equal(rows[0].connector, 1);
    assert_int_equal(rows[0].reservation_id, 9);
    assert_string_equal(rows[0].id_tag, "R3");
    assert_string_equal(rows[0].parent_id_tag, "");
    assert_int_equal(rows[0].expiry_ms, 6000);
    assert_string_equal(rows[1].id_tag, "R2");
    assert_int_equal(tx_store_expire_reservations(f->store, 6000), 0);
    assert_int_equal(tx_store_reservations(f->store, rows, 4), 1);
    assert_int_equal(rows[0].reservation_id, 8);
    assert_int_equal(tx_store_delete_reservation(f->store, 8), 0);
    assert_int_equal(tx_store_delete_reservation(f->store, 8), 0);          //  harmless twice
    assert_int_equal(tx_store_reservations(f->store, rows, 4), 0);

    assert_int_equal(tx_store_set_availability(f->store, 0, true), 0);
    assert_int_equal(tx_store_set_availability(f->store, 2, false), 0);
    assert_int_equal(tx_store_set_availability(f->store, 2, true), 0);
    assert_int_equal(tx_store_set_availability(f->store, 1, false), 0);
    s_reopen(f);
    tx_store_availability_t av[4];
    assert_int_equal(tx_store_availability(f->store, av, 4), 3);
    assert_int_equal(av[0].connector, 0);
    assert_true(av[0].operative);
    assert_int_equal(av[1].connector, 1);
    assert_false(av[1].operative);
    assert_int_equal(av[2].connector, 2);
    assert_true(av[2].operative);
}

static void
test_meter_registers(void **state)
{
    fixture_t *f = *state;
    //  A first start: no table at all is not an error.
    char err[256];
    sqlite3 *empty_db = NULL;
    char empty[64];
    bench_state_dir(empty, sizeof(empty), "tx_store_empty");
    empty_db = cp_store_open(empty, err, sizeof(err));
    assert_non_null(empty_db);
    double registers[4] = { -1, -1, -1, -1 };
    assert_int_equal(tx_store_meter_registers(empty_db, registers, 3), 0);
    assert_true(registers[1] == -1 && registers[2] == -1);
    cp_store_close(&empty_db);
    bench_state_dir_remove(empty);

    int64_t a = tx_store_begin(f->store, 1, "A", 100, 0, RUN);
    assert_int_equal(tx_store_save_meter(f->store, a, 150.5), 0);
    int64_t b = tx_store_begin(f->store, 2, "B", 200, 0, RUN);
    assert_int_equal(tx_store_stop(f->store, b, 260, "Local", "", 0), 0);
    int64_t c = tx_store_begin(f->store, 5, "C", 900, 0, RUN);      //  beyond max: ignored
    assert_true(a > 0 && b > 0 && c > 0);
    assert_int_equal(tx_store_meter_registers(f->db, registers, 3), 0);
    assert_true(registers[1] == 150.5);
    assert_true(registers[2] == 260.0);
    assert_true(registers[3] == -1);
}

static void
test_sqlite_failures(void **state)
{
    fixture_t *f = *state;
    int64_t local = tx_store_begin(f->store, 1, "T", 0, 0, RUN);
    assert_true(local > 0);
    //  Writes refused by SQLite are reported, never taken for done.
    assert_int_equal(cp_store_exec(f->db, "PRAGMA query_only = ON"), 0);
    assert_int_equal(tx_store_begin(f->store, 1, "T", 0, 0, RUN), -1);
    assert_int_equal(tx_store_set_queued(f->store, local), -1);
    assert_int_equal(tx_store_set_csms_id(f->store, local, 1), -1);
    assert_int_equal(tx_store_save_meter(f->store, local, 1), -1);
    assert_int_equal(tx_store_stop(f->store, local, 1, "Local", NULL, 1), -1);
    assert_int_equal(tx_store_add_stopdata(f->store, local, "[]"), -1);
    assert_int_equal(tx_store_set_stopped(f->store, local), -1);
    assert_int_equal(tx_store_mark_clean_shutdown(f->store), -1);
    assert_int_equal(tx_store_set_availability(f->store, 1, true), -1);
    tx_store_reservation_t r = { .connector = 1, .reservation_id = 1, .id_tag = "R", .expiry_ms = 1 };
    assert_int_equal(tx_store_put_reservation(f->store, &r), -1);
    assert_true(sqlite3_get_autocommit(f->db));
    //  Reads still work on a read-only connection.
    assert_int_equal(tx_store_is_open(f->store, local), 1);
    assert_int_equal(cp_store_exec(f->db, "PRAGMA query_only = OFF"), 0);

    //  A table gone under the store: reads fail too.
    assert_int_equal(cp_store_exec(f->db, "DROP TABLE transactions"), 0);
    tx_store_active_t open[2];
    tx_store_stop_t stops[2];
    int64_t ids[2];
    char tag[8];
    assert_int_equal(tx_store_active(f->store, open, 2), -1);
    assert_int_equal(tx_store_stopping(f->store, stops, 2), -1);
    assert_int_equal(tx_store_unqueued(f->store, ids, 2), -1);
    assert_int_equal(tx_store_is_open(f->store, local), -1);
    assert_int_equal(tx_store_id_tag(f->store, local, false, tag, sizeof(tag)), -1);
    double registers[2] = { 0 };
    assert_int_equal(tx_store_meter_registers(f->db, registers, 1), 0);     //  as on a first start
    assert_true(sqlite3_get_autocommit(f->db));
    //  A fresh store recreates its tables.
    s_reopen(f);
    assert_true(tx_store_begin(f->store, 1, "T", 0, 0, RUN) > 0);
}

static void
test_new_fails_cleanly(void **state)
{
    fixture_t *f = *state;
    //  Something else squats on a table name: no store, nothing leaked.
    s_close(f);
    char err[256];
    f->db = cp_store_open(f->dir, err, sizeof(err));
    assert_non_null(f->db);
    assert_int_equal(cp_store_exec(f->db, "DROP TABLE reservations;"
                                          " CREATE VIEW reservations AS SELECT 1 AS connector"), 0);
    assert_null(tx_store_new(f->db));
    tx_store_t *none = NULL;
    tx_store_destroy(&none);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_life_of_a_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recovery_reads_after_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_are_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stopdata_skips_a_bad_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reservations_and_availability, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meter_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sqlite_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_fails_cleanly, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
