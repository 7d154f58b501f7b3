/* test_metering_actor.c — the metering actor on an inproc bus, with the
 * test playing hw, transaction and ocpp.
 *
 * Checks the message flows other actors rely on: the (re)start snapshot of
 * hw and transaction (retried while transaction is not there yet), the
 * Transaction.Begin stop data of a transaction that just started, periodic
 * samples every MeterValueSampleInterval, a tx_meter re-sent after the
 * transaction actor was unreachable (nothing silently lost), and
 * TriggerMessage MeterValues answered and sent to ocpp. Timing uses the
 * system clock with a 1 s interval: the virtual timeline is in
 * test_metering.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "actors/config/config_store.h"
#include "actors/metering/metering_actor.h"
#include "messages/msg.h"
#include "supervisor/bus.h"
#include "supervisor/clock.h"
#include "supervisor/options.h"
#include "supervisor/shell.h"
#include "supervisor/store.h"
#include "test/unit/bench.h"

typedef struct {
    char dir[64];
    cp_options_t options;
    cp_bus_endpoints_t ep;
    zactor_t *broker;
    cp_clock_t *clock;
    cp_actor_args_t args;
    zactor_t *actor;
    cp_bus_t *hw;                   //  the test plays these three actors
    cp_bus_t *tx;
    cp_bus_t *ocpp;
} bench_t;

static void
s_shim(zsock_t *pipe, void *args)
{
    zsock_signal(pipe, 0);
    metering_actor(pipe, args);
}

static void
s_seed(bench_t *b)
{
    char err[256];
    sqlite3 *db = cp_store_open(b->dir, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(config_store_seed(db, &b->options), CONFIG_STORE_OK);
    //  What the config actor would do on a ChangeConfiguration.
    config_store_t *config = config_store_new(db, &b->options);
    assert_non_null(config);
    assert_int_equal(config_store_set(config, "MeterValueSampleInterval", "1"), CONFIG_STORE_OK);
    assert_int_equal(config_store_set(config, "MeterValuesSampledData",
                                      "Energy.Active.Import.Register,Current.Import"), CONFIG_STORE_OK);
    assert_int_equal(config_store_set(config, "StopTxnSampledData", "Energy.Active.Import.Register"),
                     CONFIG_STORE_OK);
    config_store_destroy(&config);
    cp_store_close(&db);
}

static int
s_setup(void **state)
{
    bench_t *b = calloc(1, sizeof(bench_t));
    assert_non_null(b);
    bench_state_dir(b->dir, sizeof(b->dir), "metering");
    cp_options_defaults(&b->options);
    snprintf(b->options.state_dir, sizeof(b->options.state_dir), "%s", b->dir);
    b->options.connectors = 2;
    s_seed(b);
    //  A fresh endpoint per test (inproc names are released asynchronously).
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "inproc://test-metering-%" PRId64, zclock_usecs());
    cp_bus_endpoints_init(&b->ep, prefix);
    b->broker = zactor_new(cp_bus_broker_actor, &b->ep);
    assert_non_null(b->broker);
    b->clock = cp_clock_new_system();
    b->hw = cp_bus_new(&b->ep, "hw");
    b->ocpp = cp_bus_new(&b->ep, "ocpp");
    assert_true(b->clock && b->hw && b->ocpp);
    snprintf(b->args.name, sizeof(b->args.name), "metering");
    b->args.bus = b->ep;
    b->args.clock = b->clock;
    b->args.options = &b->options;
    atomic_init(&b->args.abandon, false);
    atomic_init(&b->args.terminated, false);
    *state = b;
    return 0;
}

static int
s_teardown(void **state)
{
    bench_t *b = *state;
    zactor_destroy(&b->actor);
    assert_true(atomic_load(&b->args.terminated));
    cp_bus_destroy(&b->hw);
    cp_bus_destroy(&b->tx);
    cp_bus_destroy(&b->ocpp);
    zactor_destroy(&b->broker);
    cp_clock_destroy(&b->clock);
    bench_state_dir_remove(b->dir);
    free(b);
    return 0;
}

//  The next request that arrives at bus within timeout_ms, or NULL.
static cp_msg_t *
s_recv_request(cp_bus_t *bus, cp_bus_envelope_t *env, int timeout_ms)
{
    return bench_recv(bus, cp_bus_requests(bus), env, timeout_ms);
}

static cp_msg_t *
s_expect(cp_bus_t *bus, cp_msg_type_t type, cp_bus_envelope_t *env, int timeout_ms)
{
    cp_msg_t *msg = s_recv_request(bus, env, timeout_ms);
    if (!msg)
        fail_msg("%s: no %s within %d ms", cp_bus_name(bus), cp_msg_type_name(type), timeout_ms);
    assert_int_equal(env->kind, CP_BUS_REQUEST);
    assert_int_equal(msg->type, type);
    return msg;
}

static void
s_reply_ok(cp_bus_t *bus, const cp_bus_envelope_t *env)
{
    cp_msg_t *reply = cp_msg_new(CP_MSG_REPLY);
    reply->u.reply.ok = true;
    assert_int_equal(cp_bus_reply(bus, env, reply, true), 0);
    cp_msg_destroy(&reply);
}

static void
s_answer_hw_snapshot(bench_t *b)
{
    cp_bus_envelope_t env;
    cp_msg_t *req = s_expect(b->hw, CP_MSG_SNAPSHOT_REQUEST, &env, 3000);
    cp_msg_destroy(&req);
    for (int n = 1; n <= 2; n++) {
        cp_msg_t *state = cp_msg_new(CP_MSG_HW_CONNECTOR);
        cp_msg_hw_connector_t *hc = &state->u.hw_connector;
        hc->connector = n;
        hc->plugged = n == 1;
        cp_msg_set_str(hc->pilot, n == 1 ? "C" : "A");
        hc->energy_wh = 1000.0 * n + 0.5;
        hc->current_a = n == 1 ? 16 : 0;
        hc->voltage_v = 230;
        hc->offered_a = 16;
        hc->temperature_c = 25;
        cp_msg_set_str(hc->fault, "none");
        assert_int_equal(cp_bus_reply(b->hw, &env, state, false), 0);
        cp_msg_destroy(&state);
    }
    s_reply_ok(b->hw, &env);
}

//  Play "transaction" from now on and answer its snapshot: connector 1 has
//  a transaction (tx_local 7) that has just started, connector 2 is idle.
static void
s_join_transaction(bench_t *b)
{
    b->tx = cp_bus_new(&b->ep, "transaction");
    assert_non_null(b->tx);
    cp_bus_envelope_t env;
    //  The first attempt went nowhere; the retry comes within a second.
    cp_msg_t *req = s_expect(b->tx, CP_MSG_SNAPSHOT_REQUEST, &env, 3000);
    cp_msg_destroy(&req);
    for (int n = 0; n <= 2; n++) {
        cp_msg_t *view = cp_msg_new(CP_MSG_TX_CONNECTOR);
        cp_msg_tx_connector_t *tc = &view->u.tx_connector;
        tc->connector = n;
        cp_msg_set_str(tc->status, n == 1 ? "Charging" : "Available");
        cp_msg_set_str(tc->error_code, "NoError");
        if (n == 1) {
            tc->tx_active = true;
            tc->tx_local = 7;
            cp_clock_format(cp_clock_wall_ms(b->clock), tc->started_at, sizeof(tc->started_at));
        }
        assert_int_equal(cp_bus_reply(b->tx, &env, view, false), 0);
        cp_msg_destroy(&view);
    }
    s_reply_ok(b->tx, &env);
}

static void
s_assert_tx_meter(const cp_msg_t *msg, const char *kind, const char *context)
{
    const cp_msg_tx_meter_t *tm = &msg->u.tx_meter;
    assert_int_equal(tm->connector, 1);
    assert_int_equal(tm->tx_local, 7);
    assert_string_equal(tm->kind, kind);
    json_t *array = json_loads(tm->payload, 0, NULL);
    assert_non_null(array);
    json_t *sv = json_array_get(json_object_get(json_array_get(array, 0), "sampledValue"), 0);
    assert_string_equal(json_string_value(json_object_get(sv, "context")), context);
    json_decref(array);
}

static void
test_actor_flows(void **state)
{
    bench_t *b = *state;
    b->actor = zactor_new(s_shim, &b->args);
    assert_non_null(b->actor);
    s_answer_hw_snapshot(b);
    s_join_transaction(b);

    cp_bus_envelope_t env;
    //  The transaction started just now: its Begin values.
    cp_msg_t *msg = s_expect(b->tx, CP_MSG_TX_METER, &env, 3000);
    s_assert_tx_meter(msg, "stopdata", "Transaction.Begin");
    cp_msg_destroy(&msg);
    s_reply_ok(b->tx, &env);

    //  Then every second: periodic + stop data with the same timestamp.
    msg = s_expect(b->tx, CP_MSG_TX_METER, &env, 3000);
    s_assert_tx_meter(msg, "periodic", "Sample.Periodic");
    json_t *periodic = json_loads(msg->u.tx_meter.payload, 0, NULL);
    //  energy + 3 phase currents
    assert_int_equal(json_array_size(json_object_get(json_array_get(periodic, 0), "sampledValue")), 4);
    cp_msg_destroy(&msg);
    s_reply_ok(b->tx, &env);
    msg = s_expect(b->tx, CP_MSG_TX_METER, &env, 3000);
    s_assert_tx_meter(msg, "stopdata", "Sample.Periodic");
    json_t *stop = json_loads(msg->u.tx_meter.payload, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_array_get(periodic, 0), "timestamp")),
                        json_string_value(json_object_get(json_array_get(stop, 0), "timestamp")));
    json_decref(periodic);
    json_decref(stop);
    cp_msg_destroy(&msg);
    s_reply_ok(b->tx, &env);

    //  TriggerMessage for connector 2 (idle): accepted, sent to ocpp
    //  without a transactionId.
    cp_msg_t *trigger = cp_msg_new(CP_MSG_TRIGGER);
    cp_msg_set_str(trigger->u.trigger.message, "MeterValues");
    trigger->u.trigger.connector = 2;
    uint64_t corr = cp_bus_request(b->ocpp, "metering", trigger);
    cp_msg_destroy(&trigger);
    assert_true(corr != 0);
    bool replied = false, called = false;
    for (int i = 0; i < 2; i++) {
        msg = s_recv_request(b->ocpp, &env, 3000);
        assert_non_null(msg);
        if (env.kind == CP_BUS_REPLY) {
            assert_int_equal(env.corr, corr);
            assert_true(msg->u.reply.ok);
            replied = true;
        }
        else {
            assert_int_equal(msg->type, CP_MSG_OCPP_CALL);
            assert_string_equal(msg->u.ocpp_call.action, "MeterValues");
            json_t *p = json_loads(msg->u.ocpp_call.payload, 0, NULL);
            assert_int_equal(json_integer_value(json_object_get(p, "connectorId")), 2);
            assert_null(json_object_get(p, "transactionId"));
            json_decref(p);
            //  Offline: dropped by the actor (debug log only).
            cp_msg_t *result = cp_msg_new(CP_MSG_OCPP_RESULT);
            cp_msg_set_str(result->u.ocpp_result.outcome, "rejected");
            assert_int_equal(cp_bus_reply(b->ocpp, &env, result, true), 0);
            cp_msg_destroy(&result);
            called = true;
        }
        cp_msg_destroy(&msg);
    }
    assert_true(replied && called);
    //  Another TriggerMessage is refused by metering.
    trigger = cp_msg_new(CP_MSG_TRIGGER);
    cp_msg_set_str(trigger->u.trigger.message, "Heartbeat");
    trigger->u.trigger.connector = -1;
    corr = cp_bus_request(b->ocpp, "metering", trigger);
    cp_msg_destroy(&trigger);
    msg = s_recv_request(b->ocpp, &env, 3000);
    assert_non_null(msg);
    assert_int_equal(env.corr, corr);
    assert_false(msg->u.reply.ok);
    cp_msg_destroy(&msg);

    //  The transaction actor goes away (restarting): the next samples are
    //  kept and re-sent once it is back, nothing lost.
    while ((msg = s_recv_request(b->tx, &env, 0)))
        cp_msg_destroy(&msg);
    cp_bus_destroy(&b->tx);
    int64_t away = cp_clock_wall_ms(b->clock);
    zclock_sleep(1500);
    b->tx = cp_bus_new(&b->ep, "transaction");
    assert_non_null(b->tx);
    int64_t back = cp_clock_wall_ms(b->clock);
    int periodic_count = 0;
    bool recovered = false;
    int64_t deadline = zclock_mono() + 4000;
    while (!(recovered && periodic_count >= 2) && zclock_mono() < deadline) {
        msg = s_recv_request(b->tx, &env, 500);
        if (!msg)
            continue;
        assert_int_equal(msg->type, CP_MSG_TX_METER);
        if (streq(msg->u.tx_meter.kind, "periodic")) {
            periodic_count++;
            json_t *array = json_loads(msg->u.tx_meter.payload, 0, NULL);
            int64_t stamp;
            assert_int_equal(cp_clock_parse(json_string_value(json_object_get(
                json_array_get(array, 0), "timestamp")), &stamp), 0);
            json_decref(array);
            if (stamp >= away && stamp < back)
                recovered = true;
        }
        cp_msg_destroy(&msg);
        s_reply_ok(b->tx, &env);
    }
    //  A sample taken while it was away arrived after all.
    assert_true(periodic_count >= 2);
    assert_true(recovered);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_actor_flows, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
