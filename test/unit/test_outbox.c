/* test_outbox.c — the durable queue of transaction-related messages:
 * FIFO order, transactionId filled from the local -> CSMS mapping (never a
 * placeholder), persistence across close/reopen, retries per spec 3.7.1,
 * discarding, the capacity policy, refused input and SQLite failures.
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
#include "actors/transaction/outbox.h"
#include "supervisor/log.h"
#include "supervisor/store.h"

#define CAPACITY 1000

typedef struct {
    char dir[64];
    size_t capacity;
    sqlite3 *db;
    outbox_t *outbox;
} fixture_t;

static void
s_remove_dir(const char *dir)
{
    static const char *const files[] = { "", "-wal", "-shm", "-journal" };
    char path[256];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s%s", dir, CP_STORE_FILE, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void
s_open(fixture_t *f)
{
    char err[256];
    f->db = cp_store_open(f->dir, err, sizeof(err));
    assert_non_null(f->db);
    f->outbox = outbox_new(f->db, f->capacity);
    assert_non_null(f->outbox);
}

static void
s_close(fixture_t *f)
{
    outbox_destroy(&f->outbox);
    assert_null(f->outbox);
    cp_store_close(&f->db);
}

//  A restart: a new outbox on a new connection to the same file.
static void
s_reopen(fixture_t *f)
{
    s_close(f);
    s_open(f);
}

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(fixture_t));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_outbox.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->capacity = CAPACITY;
    s_open(f);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    s_close(f);
    s_remove_dir(f->dir);
    free(f);
    return 0;
}

//  The payload's transactionId: 1 and *value if present, 0 if absent.
static int
s_transaction_id(const char *payload, int64_t *value)
{
    json_error_t error;
    json_t *root = json_loads(payload, 0, &error);
    assert_non_null(root);
    assert_true(json_is_object(root));
    json_t *id = json_object_get(root, "transactionId");
    int present = id != NULL;
    if (present) {
        assert_true(json_is_integer(id));
        *value = json_integer_value(id);
    }
    json_decref(root);
    return present;
}

static int64_t
s_int_field(const char *payload, const char *name)
{
    json_error_t error;
    json_t *root = json_loads(payload, 0, &error);
    assert_non_null(root);
    json_t *value = json_object_get(root, name);
    assert_true(json_is_integer(value));
    int64_t n = json_integer_value(value);
    json_decref(root);
    return n;
}

//  Peek, check action / tx / transactionId (-1 = must be absent), ack.
static void
s_expect_and_ack(fixture_t *f, const char *action, int64_t tx_local, int64_t csms_id)
{
    outbox_msg_t msg = { 0 };
    assert_int_equal(outbox_peek(f->outbox, &msg), 0);
    assert_string_equal(msg.action, action);
    assert_int_equal(msg.tx_local, tx_local);
    int64_t got = 0;
    if (csms_id < 0)
        assert_int_equal(s_transaction_id(msg.payload, &got), 0);
    else {
        assert_int_equal(s_transaction_id(msg.payload, &got), 1);
        assert_int_equal(got, csms_id);
    }
    assert_int_equal(outbox_ack(f->outbox, msg.id), 0);
    outbox_msg_clear(&msg);
}

static const char s_start[] = "{\"connectorId\":1,\"idTag\":\"TAG\",\"meterStart\":0,"
                              "\"timestamp\":\"2024-01-01T00:00:00Z\"}";
static const char s_meter[] = "{\"connectorId\":1,\"meterValue\":[]}";
static const char s_stop[] = "{\"meterStop\":100,\"timestamp\":\"2024-01-01T01:00:00Z\"}";

static void
test_fifo_two_transactions(void **state)
{
    fixture_t *f = *state;
    assert_true(outbox_append(f->outbox, "StartTransaction", 1, s_start) > 0);
    assert_true(outbox_append(f->outbox, "StartTransaction", 2, s_start) > 0);
    assert_true(outbox_append(f->outbox, "MeterValues", 2, s_meter) > 0);
    assert_true(outbox_append(f->outbox, "MeterValues", 1, s_meter) > 0);
    assert_true(outbox_append(f->outbox, "StopTransaction", 2, s_stop) > 0);
    assert_true(outbox_append(f->outbox, "StopTransaction", 1, s_stop) > 0);
    assert_int_equal(outbox_count(f->outbox), 6);

    //  Each Start's conf brings the id before the ack (outbox.h).
    assert_int_equal(outbox_set_transaction_id(f->outbox, 1, 101), 0);
    s_expect_and_ack(f, "StartTransaction", 1, -1);
    assert_int_equal(outbox_set_transaction_id(f->outbox, 2, 202), 0);
    s_expect_and_ack(f, "StartTransaction", 2, -1);
    s_expect_and_ack(f, "MeterValues", 2, 202);
    s_expect_and_ack(f, "MeterValues", 1, 101);
    s_expect_and_ack(f, "StopTransaction", 2, 202);
    s_expect_and_ack(f, "StopTransaction", 1, 101);

    outbox_msg_t msg = { 0 };
    assert_int_equal(outbox_peek(f->outbox, &msg), 1);
    assert_int_equal(outbox_count(f->outbox), 0);
}

static void
test_ids_grow_after_empty(void **state)
{
    fixture_t *f = *state;
    int64_t first = outbox_append(f->outbox, "StartTransaction", 1, s_start);
    assert_true(first > 0);
    assert_int_equal(outbox_ack(f->outbox, first), 0);
    //  The caller may still hold the old id: it must never name another.
    int64_t second = outbox_append(f->outbox, "StartTransaction", 2, s_start);
    assert_true(second > first);
    assert_int_equal(outbox_ack(f->outbox, first), 1);
    assert_int_equal(outbox_count(f->outbox), 1);
}

//  The owner peeks after every bus event, and an empty queue is remembered
//  instead of read again: whatever is queued after an empty peek (appended,
//  or dead letters queued again) must still be the next peek's.
static void
test_empty_peek_then_queued(void **state)
{
    fixture_t *f = *state;
    outbox_msg_t msg = { 0 };
    assert_int_equal(outbox_peek(f->outbox, &msg), 1);
    assert_int_equal(outbox_peek(f->outbox, &msg), 1);
    int64_t start = outbox_append(f->outbox, "StartTransaction", 7, s_start);
    assert_true(start > 0);
    assert_int_equal(outbox_peek(f->outbox, &msg), 0);
    assert_int_equal(msg.id, start);
    outbox_msg_clear(&msg);
    assert_int_equal(outbox_fail(f->outbox, start, 1, 60), OUTBOX_DISCARDED);
    assert_int_equal(outbox_peek(f->outbox, &msg), 1);
    assert_int_equal(outbox_requeue_dead(f->outbox), 1);
    assert_int_equal(outbox_peek(f->outbox, &msg), 0);
    assert_string_equal(msg.action, "StartTransaction");
    outbox_msg_clear(&msg);
}

static void
test_transaction_id_filled_at_peek(void **state)
{
    fixture_t *f = *state;
    int64_t tx = 7, csms = 4242, got = 0;
    assert_true(outbox_append(f->outbox, "StartTransaction", tx, s_start) > 0);
    assert_int_equal(outbox_get_transaction_id(f->outbox, tx, &got), 1);

    outbox_msg_t msg = { 0 };
    assert_int_equal(outbox_peek(f->outbox, &msg), 0);
    assert_string_equal(msg.action, "StartTransaction");
    assert_int_equal(msg.attempts, 0);
    assert_int_equal(s_transaction_id(msg.payload, &got), 0);
    assert_int_equal(s_int_field(msg.payload, "meterStart"), 0);
    assert_int_equal(outbox_set_transaction_id(f->outbox, tx, csms), 0);
    assert_int_equal(outbox_ack(f->outbox, msg.id), 0);
    outbox_msg_clear(&msg);
    assert_null(msg.payload);

    assert_int_equal(outbox_get_transaction_id(f->outbox, tx, &got), 0);
    assert_int_equal(got, csms);
    //  A careless placeholder in the payload is replaced, never sent.
    assert_true(outbox_append(f->outbox, "MeterValues", tx,
                              "{\"connectorId\":1,\"transactionId\":-1,\"meterValue\":[]}") > 0);
    assert_true(outbox_append(f->outbox, "StopTransaction", tx, s_stop) > 0);

    assert_int_equal(outbox_peek(f->outbox, &msg), 0);
    assert_string_equal(msg.action, "MeterValues");
    assert_int_equal(s_transaction_id(msg.payload, &got), 1);
    assert_int_equal(got, csms);
    assert_int_equal(s_int_field(msg.payload, "connectorId"), 1);
    assert_int_equal(outbox_ack(f->outbox, msg.id), 0);
    outbox_msg_clear(&msg);

    assert_int_equal(outbox_peek(f->outbox, &msg), 0);
    assert_string_equal(msg.action, "StopTransaction");
    assert_int_equal(s_transaction_id(msg.payload, &got), 1);
    assert_int_equal(got, csms);
    assert_int_equal(s_int_field(msg.payload, "meterStop"), 100);
    assert_int_equal(outbox_ack(f->outbox, msg.id), 0);
    outbox_msg_clear(&msg);
    //  The transaction is over: its mapping is cleaned up.
    assert_int_equal(outbox_get_transaction_id(f->outbox, tx, &got), 1);
}

static void
test_offline_session(void **state)
{
    fixture_t *f = *state;
    //  All queued while offline, before any CSMS id exists.
    assert_true(outbox_append(f->outbox, "StartTransaction", 7, s_start) > 0);
    for (int i = 0; i < 3; i++)
        assert_true(outbox_append(f->outbox, "MeterValues", 7, s_meter) > 0);
    assert_true(outbox_append(f->outbox, "StopTransaction", 7, s_stop) > 0);
    assert_int_equal(outbox_count(f->outbox), 5);

    //  Back online: the Start goes first, its conf brings the id.
    outbox_msg_t msg = { 0 };
    assert_int_equal(outbox_peek(f->outbox, &msg), 0);
    assert_string_equal(msg.action, "StartTransaction");
    assert_int_equal(outbox_set_transaction_id(f->outbox, 7, 555), 0);
    assert_int_equal(outbox_ack(f->outbox, msg.id), 0);
    outbox_msg_clear(&msg);

    for (int i = 0; i < 3; i++)
        s_expect_and_ack(f, "MeterValues", 7, 555);
    s_expect_and_ack(f, "StopTransaction", 7, 555);
    assert_int_equal(outbox_peek(f->outbox, &msg), 1);
}

static void
test_persistence(void **state)
{
    fixture_t *f = *state;
    assert_true(outbox_append(f->outbox, "StartTransaction", 3, s_start) > 0);
    assert_true(outbox_append(f->outbox, "MeterValues", 3, s_meter) > 0);
    assert_true(outbox_append(f->outbox, "StopTransaction", 3, s_stop) > 0);
    outbox_msg_t msg = { 0 };
    assert_int_equal(outbox_peek(f->outbox, &msg), 0);
    int64_t start_id = msg.id;
    outbox_msg_clear(&msg);
    assert_int_equal(outbox_fail(f->outbox, start_id, 3, 60), 60000);
    assert_int_equal(outbox_set_transaction_id(f->outbox, 9, 909), 0);

    s_reopen(f);
    assert_int_equal(outbox_count(f->outbox), 3);
    int64_t got = 0;
    assert_int_equal(outbox_get_transaction_id(f->outbox, 9, &got), 0);
    assert_int_equal(got, 909);
    assert_int_equal(outbox_peek(f->outbox, &msg), 0);
    assert_int_equal(msg.id, start_id);
    assert_string_equal(msg.action, "StartTransaction");
    assert_int_equal(msg.attempts, 1);
    outbox_msg_clear(&msg);
    //  A restart does not refill the retry budget.
    assert_int_equal(outbox_fail(f->outbox, start_id, 3, 60), 120000);

    s_reopen(f);
    assert_int_equal(outbox_peek(f->outbox, &msg), 0);
    assert_int_equal(msg.attempts, 2);
    outbox_msg_clear(&msg);
    assert_int_equal(outbox_set_transaction_id(f->outbox, 3, 303), 0);
    assert_int_equal(outbox_ack(f->outbox, start_id), 0);

    s_reopen(f);
    s_expect_and_ack(f, "MeterValues", 3, 303);
    s_expect_and_ack(f, "StopTransaction", 3, 303);
}

static void
test_acked_stop_never_resent(void **state)
{
    fixture_t *f = *state;
    assert_true(outbox_append(f->outbox, "StartTransaction", 4, s_start) > 0);
    assert_true(outbox_append(f->outbox, "StopTransaction", 4, s_stop) > 0);
    assert_int_equal(outbox_set_transaction_id(f->outbox, 4, 44), 0);
    s_expect_and_ack(f, "StartTransaction", 4, -1);

    outbox_msg_t msg = { 0 };
    assert_int_equal(outbox_peek(f->outbox, &msg), 0);
    assert_string_equal(msg.action, "StopTransaction");
    int64_t stop_id = msg.id;
    outbox_msg_clear(&msg);
    assert_int_equal(outbox_ack(f->outbox, stop_id), 0);

    //  Reboot right after the CALLRESULT.
    s_reopen(f);
    assert_int_equal(outbox_peek(f->outbox, &msg), 1);
    assert_int_equal(outbox_count(f->outbox), 0);
    assert_int_equal(outbox_ack(f->outbox, stop_id), 1);
}

static void
test_fail_retry_schedule(void **state)
{
    fixture_t *f = *state;
    assert_true(outbox_append(f->outbox, "StartTransaction", 5, s_start) > 0);
    assert_int_equal(outbox_set_transaction_id(f->outbox, 5, 55), 0);
    s_expect_and_ack(f, "StartTransaction", 5, -1);
    int64_t stop = outbox_append(f->outbox, "StopTransaction", 5, s_stop);
    assert_true(stop > 0);

    //  Spec 3.7.1 example: attempts 3, interval 60.
    assert_int_equal(outbox_fail(f->outbox, stop, 3, 60), 60000);
    assert_int_equal(outbox_fail(f->outbox, stop, 3, 60), 120000);
    assert_int_equal(outbox_fail(f->outbox, stop, 3, 60), OUTBOX_DISCARDED);
    assert_int_equal(outbox_count(f->outbox), 0);
    outbox_msg_t msg = { 0 };
    assert_int_equal(outbox_peek(f->outbox, &msg), 1);
    int64_t got = 0;
    assert_int_equal(outbox_get_transaction_id(f->outbox, 5, &got), 1);

    //  Gone: a late fail or ack names nothing.
    assert_int_equal(outbox_fail(f->outbox, stop, 3, 60), OUTBOX_FAIL_ERROR);
    assert_int_equal(outbox_ack(f->outbox, stop), 1);

    //  TransactionMessageAttempts 0 or 1: the first failure is the last.
    int64_t meter = outbox_append(f->outbox, "MeterValues", 0, s_meter);
    assert_int_equal(outbox_fail(f->outbox, meter, 0, 60), OUTBOX_DISCARDED);
    assert_int_equal(outbox_count(f->outbox), 0);
}

static void
test_discarded_start_takes_its_transaction(void **state)
{
    fixture_t *f = *state;
    int64_t start1 = outbox_append(f->outbox, "StartTransaction", 1, s_start);
    assert_true(outbox_append(f->outbox, "StartTransaction", 2, s_start) > 0);
    assert_true(outbox_append(f->outbox, "MeterValues", 1, s_meter) > 0);
    assert_true(outbox_append(f->outbox, "MeterValues", 2, s_meter) > 0);
    assert_true(outbox_append(f->outbox, "StopTransaction", 1, s_stop) > 0);
    assert_true(outbox_append(f->outbox, "StopTransaction", 2, s_stop) > 0);

    assert_int_equal(outbox_fail(f->outbox, start1, 3, 60), 60000);
    assert_int_equal(outbox_fail(f->outbox, start1, 3, 60), 120000);
    assert_int_equal(outbox_fail(f->outbox, start1, 3, 60), OUTBOX_DISCARDED);
    assert_int_equal(outbox_count(f->outbox), 3);

    //  Transaction 1 is still running on the charger and keeps metering:
    //  those messages must not go out with a placeholder either.
    assert_true(outbox_append(f->outbox, "MeterValues", 1, s_meter) > 0);

    assert_int_equal(outbox_set_transaction_id(f->outbox, 2, 22), 0);
    s_expect_and_ack(f, "StartTransaction", 2, -1);
    s_expect_and_ack(f, "MeterValues", 2, 22);
    s_expect_and_ack(f, "StopTransaction", 2, 22);
    outbox_msg_t msg = { 0 };
    assert_int_equal(outbox_peek(f->outbox, &msg), 1);
    assert_null(msg.payload);
    assert_int_equal(outbox_count(f->outbox), 0);
}

//  What the queue gives up on is kept (bounded), counted and can be queued
//  again: a billing record never vanishes from the charger (issue 11.7).
static void
test_dead_letters(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(outbox_dead_count(f->outbox), 0);
    assert_int_equal(outbox_requeue_dead(f->outbox), 0);
    //  a StopTransaction refused until its attempts ran out
    assert_true(outbox_append(f->outbox, "StartTransaction", 5, s_start) > 0);
    assert_int_equal(outbox_set_transaction_id(f->outbox, 5, 55), 0);
    s_expect_and_ack(f, "StartTransaction", 5, -1);
    int64_t stop = outbox_append(f->outbox, "StopTransaction", 5, s_stop);
    assert_int_equal(outbox_fail(f->outbox, stop, 1, 60), OUTBOX_DISCARDED);
    assert_int_equal(outbox_count(f->outbox), 0);
    assert_int_equal(outbox_dead_count(f->outbox), 1);
    //  a discarded StartTransaction takes its transaction into the dead letters
    int64_t start = outbox_append(f->outbox, "StartTransaction", 6, s_start);
    assert_true(outbox_append(f->outbox, "MeterValues", 6, s_meter) > 0);
    assert_true(outbox_append(f->outbox, "StopTransaction", 6, s_stop) > 0);
    assert_int_equal(outbox_fail(f->outbox, start, 1, 60), OUTBOX_DISCARDED);
    assert_int_equal(outbox_dead_count(f->outbox), 4);
    //  they survive a restart
    s_reopen(f);
    assert_int_equal(outbox_dead_count(f->outbox), 4);
    //  queued again, in their original order, with the id they had
    assert_int_equal(outbox_requeue_dead(f->outbox), 4);
    assert_int_equal(outbox_dead_count(f->outbox), 0);
    assert_int_equal(outbox_count(f->outbox), 4);
    s_expect_and_ack(f, "StopTransaction", 5, 55);
    assert_int_equal(outbox_set_transaction_id(f->outbox, 6, 66), 0);
    s_expect_and_ack(f, "StartTransaction", 6, -1);
    s_expect_and_ack(f, "MeterValues", 6, 66);
    s_expect_and_ack(f, "StopTransaction", 6, 66);
    assert_int_equal(outbox_count(f->outbox), 0);
    //  bounded: the newest OUTBOX_DEAD_MAX are kept
    for (int i = 0; i < OUTBOX_DEAD_MAX + 3; i++) {
        int64_t meter = outbox_append(f->outbox, "MeterValues", 0, s_meter);
        assert_int_equal(outbox_fail(f->outbox, meter, 1, 60), OUTBOX_DISCARDED);
    }
    assert_int_equal(outbox_dead_count(f->outbox), OUTBOX_DEAD_MAX);
}

static void
test_start_acked_without_id(void **state)
{
    fixture_t *f = *state;
    //  Caller bug (acked before set_transaction_id): the dependents are
    //  dropped rather than sent without a real transactionId.
    int64_t start = outbox_append(f->outbox, "StartTransaction", 8, s_start);
    assert_true(outbox_append(f->outbox, "MeterValues", 8, s_meter) > 0);
    assert_true(outbox_append(f->outbox, "StopTransaction", 8, s_stop) > 0);
    int64_t other = outbox_append(f->outbox, "MeterValues", 0, s_meter);
    assert_int_equal(outbox_ack(f->outbox, start), 0);

    outbox_msg_t msg = { 0 };
    assert_int_equal(outbox_peek(f->outbox, &msg), 0);
    assert_int_equal(msg.id, other);
    assert_int_equal(msg.tx_local, 0);
    int64_t got = 0;
    assert_int_equal(s_transaction_id(msg.payload, &got), 0);
    outbox_msg_clear(&msg);
    assert_int_equal(outbox_count(f->outbox), 1);
}

static void
test_capacity_thins_meter_values(void **state)
{
    fixture_t *f = *state;
    s_close(f);
    f->capacity = 10;
    s_open(f);

    assert_true(outbox_append(f->outbox, "StartTransaction", 1, s_start) > 0);
    char payload[64];
    for (int i = 1; i <= 20; i++) {
        snprintf(payload, sizeof(payload), "{\"connectorId\":1,\"n\":%d,\"meterValue\":[]}", i);
        assert_true(outbox_append(f->outbox, "MeterValues", 1, payload) > 0);
        assert_true(outbox_count(f->outbox) <= 10);
    }
    assert_true(outbox_append(f->outbox, "StopTransaction", 1, s_stop) > 0);
    size_t count = outbox_count(f->outbox);
    assert_true(count <= 10);
    assert_true(count >= 3);

    assert_int_equal(outbox_set_transaction_id(f->outbox, 1, 11), 0);
    s_expect_and_ack(f, "StartTransaction", 1, -1);
    int64_t last_n = 0;
    int meters = 0;
    outbox_msg_t msg = { 0 };
    for (size_t i = 1; i < count - 1; i++) {
        assert_int_equal(outbox_peek(f->outbox, &msg), 0);
        assert_string_equal(msg.action, "MeterValues");
        int64_t n = s_int_field(msg.payload, "n");
        //  The oldest reading survives every thinning; order is kept.
        if (meters == 0)
            assert_int_equal(n, 1);
        assert_true(n > last_n);
        last_n = n;
        meters++;
        assert_int_equal(outbox_ack(f->outbox, msg.id), 0);
        outbox_msg_clear(&msg);
    }
    assert_int_equal(last_n, 20);
    assert_true(meters < 20);
    s_expect_and_ack(f, "StopTransaction", 1, 11);
    assert_int_equal(outbox_peek(f->outbox, &msg), 1);
}

static void
test_capacity_keeps_start_stop(void **state)
{
    fixture_t *f = *state;
    s_close(f);
    f->capacity = 2;
    s_open(f);

    assert_true(outbox_append(f->outbox, "StartTransaction", 1, s_start) > 0);
    assert_true(outbox_append(f->outbox, "StartTransaction", 2, s_start) > 0);
    //  Full of Start/Stop only: MeterValues refused, Start/Stop accepted.
    assert_int_equal(outbox_append(f->outbox, "MeterValues", 1, s_meter), -1);
    assert_true(outbox_append(f->outbox, "StopTransaction", 1, s_stop) > 0);
    assert_true(outbox_append(f->outbox, "StartTransaction", 3, s_start) > 0);
    assert_int_equal(outbox_count(f->outbox), 4);
    assert_int_equal(outbox_append(f->outbox, "MeterValues", 2, s_meter), -1);
    assert_int_equal(outbox_count(f->outbox), 4);

    //  One MeterValues in a full queue cannot be thinned (it is the only
    //  one and may be in flight): the next one is refused.
    s_close(f);
    f->capacity = 5;
    s_open(f);
    assert_true(outbox_append(f->outbox, "MeterValues", 2, s_meter) > 0);
    assert_int_equal(outbox_append(f->outbox, "MeterValues", 2, s_meter), -1);
    assert_int_equal(outbox_count(f->outbox), 5);
}

static void
test_refused_input(void **state)
{
    fixture_t *f = *state;
    static const char *const bad[] = { "{", "", "[1,2]", "42", "\"text\"", "null",
                                       "{\"a\":1} trailing" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(outbox_append(f->outbox, "MeterValues", 1, bad[i]), -1);
    assert_int_equal(outbox_append(f->outbox, "MeterValues", 1, NULL), -1);
    assert_int_equal(outbox_append(f->outbox, "Heartbeat", 0, "{}"), -1);
    assert_int_equal(outbox_append(f->outbox, "", 0, "{}"), -1);
    assert_int_equal(outbox_append(f->outbox, NULL, 0, "{}"), -1);
    assert_int_equal(outbox_append(f->outbox, "StartTransaction", 0, s_start), -1);
    assert_int_equal(outbox_append(f->outbox, "StopTransaction", -1, s_stop), -1);
    assert_int_equal(outbox_set_transaction_id(f->outbox, 0, 5), -1);
    assert_int_equal(outbox_count(f->outbox), 0);
    outbox_msg_t msg = { 0 };
    assert_int_equal(outbox_peek(f->outbox, &msg), 1);
    outbox_msg_clear(&msg);
}

static void
test_corrupt_row_skipped(void **state)
{
    fixture_t *f = *state;
    //  A hand-edited database must not block the queue for good.
    assert_true(outbox_append(f->outbox, "StartTransaction", 1, s_start) > 0);
    assert_int_equal(outbox_set_transaction_id(f->outbox, 1, 10), 0);
    int64_t meter = outbox_append(f->outbox, "MeterValues", 1, s_meter);
    assert_true(outbox_append(f->outbox, "StopTransaction", 1, s_stop) > 0);
    assert_int_equal(cp_store_exec(f->db, "UPDATE tx_outbox SET action = 'Bogus' "
                                          "WHERE action = 'StartTransaction'"), 0);
    char sql[128];
    snprintf(sql, sizeof(sql), "UPDATE tx_outbox SET payload = 'not json' WHERE id = %lld",
             (long long) meter);
    assert_int_equal(cp_store_exec(f->db, sql), 0);
    s_expect_and_ack(f, "StopTransaction", 1, 10);
    outbox_msg_t msg = { 0 };
    assert_int_equal(outbox_peek(f->outbox, &msg), 1);
}

static void
test_sqlite_failures(void **state)
{
    fixture_t *f = *state;
    int64_t id = outbox_append(f->outbox, "StartTransaction", 1, s_start);
    assert_true(id > 0);

    assert_int_equal(cp_store_exec(f->db, "DROP TABLE tx_outbox"), 0);
    assert_int_equal(outbox_append(f->outbox, "StartTransaction", 2, s_start), -1);
    outbox_msg_t msg = { 0 };
    assert_int_equal(outbox_peek(f->outbox, &msg), -1);
    assert_null(msg.payload);
    assert_int_equal(outbox_ack(f->outbox, id), -1);
    assert_int_equal(outbox_fail(f->outbox, id, 3, 60), OUTBOX_FAIL_ERROR);
    assert_int_equal(outbox_count(f->outbox), 0);

    assert_int_equal(cp_store_exec(f->db, "DROP TABLE tx_outbox_ids"), 0);
    int64_t got = 0;
    assert_int_equal(outbox_set_transaction_id(f->outbox, 1, 5), -1);
    assert_int_equal(outbox_get_transaction_id(f->outbox, 1, &got), -1);
    //  No transaction left open on the connection after the failures.
    assert_true(sqlite3_get_autocommit(f->db));

    //  A fresh outbox recreates its tables.
    s_reopen(f);
    assert_true(outbox_append(f->outbox, "StartTransaction", 1, s_start) > 0);
    assert_int_equal(outbox_count(f->outbox), 1);
}

static void
test_new_fails_cleanly(void **state)
{
    fixture_t *f = *state;
    s_close(f);
    s_remove_dir(f->dir);
    assert_non_null(mkdtemp(strcpy(f->dir, "/tmp/test_outbox.XXXXXX")));
    char err[256];
    f->db = cp_store_open(f->dir, err, sizeof(err));
    assert_non_null(f->db);
    //  Something else squats on the table name.
    assert_int_equal(cp_store_exec(f->db, "CREATE VIEW tx_outbox AS SELECT 1 AS id"), 0);
    assert_null(outbox_new(f->db, 10));
    assert_true(sqlite3_get_autocommit(f->db));
    outbox_t *none = NULL;
    outbox_destroy(&none);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fifo_two_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_grow_after_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_peek_then_queued, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transaction_id_filled_at_peek, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acked_stop_never_resent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_retry_schedule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discarded_start_takes_its_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_letters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_acked_without_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capacity_thins_meter_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capacity_keeps_start_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_row_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sqlite_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_fails_cleanly, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
