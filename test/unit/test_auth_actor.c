/* test_auth_actor.c — the auth actor on an inproc bus. The test plays
 * "ocpp" (answers the snapshot and Authorize, sends inbound CALLs),
 * "transaction" (asks auth_request), "hw" (publishes hw.token) and
 * "config" (publishes config.changed).
 *
 * Flows: online → Authorize sent → its idTagInfo answers and is cached;
 * the link drops → the cache answers; Authorize fails → offline rules;
 * the link drops while Authorize is in flight → answered at once;
 * SendLocalList over ocpp_inbound → Accepted, then the list answers
 * offline; GetLocalListVersion/ClearCache responses schema-valid; an RFID
 * token becomes auth.token in the seed's byte order, a malformed one is
 * dropped; free charging answers Accepted/free.
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
#include "actors/auth/auth_actor.h"
#include "actors/config/config_store.h"
#include "gateway/schema.h"
#include "messages/msg.h"
#include "supervisor/bus.h"
#include "supervisor/clock.h"
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
    cp_bus_t *ocpp, *tx, *hw, *config;
    schema_set_t *schemas;
} bench_t;

static void
s_shim(zsock_t *pipe, void *args)
{
    zsock_signal(pipe, 0);
    auth_actor(pipe, args);
}

static void
s_set_key(bench_t *b, const char *key, const char *value)
{
    char err[256];
    sqlite3 *db = cp_store_open(b->dir, err, sizeof(err));
    assert_non_null(db);
    //  What the config actor would do on a ChangeConfiguration.
    config_store_t *config = config_store_new(db, &b->options);
    assert_non_null(config);
    assert_int_equal(config_store_set(config, key, value), CONFIG_STORE_OK);
    config_store_destroy(&config);
    cp_store_close(&db);
}

static cp_msg_t *
s_expect_request(cp_bus_t *bus, cp_msg_type_t type, cp_bus_envelope_t *env)
{
    cp_msg_t *msg = bench_recv(bus, cp_bus_requests(bus), env, 3000);
    if (!msg)
        fail_msg("%s: no %s", cp_bus_name(bus), cp_msg_type_name(type));
    assert_int_equal(env->kind, CP_BUS_REQUEST);
    assert_int_equal(msg->type, type);
    return msg;
}

static void
s_answer_snapshot(bench_t *b, bool online)
{
    cp_bus_envelope_t env;
    cp_msg_t *req = s_expect_request(b->ocpp, CP_MSG_SNAPSHOT_REQUEST, &env);
    cp_msg_destroy(&req);
    cp_msg_t *st = cp_msg_new(CP_MSG_OCPP_STATE);
    cp_msg_set_str(st->u.ocpp_state.connection, online ? "connected" : "disconnected");
    cp_msg_set_str(st->u.ocpp_state.registration, online ? "Accepted" : "Unknown");
    assert_int_equal(cp_bus_reply(b->ocpp, &env, st, false), 0);
    cp_msg_destroy(&st);
    cp_msg_t *ok = cp_msg_new(CP_MSG_REPLY);
    ok->u.reply.ok = true;
    assert_int_equal(cp_bus_reply(b->ocpp, &env, ok, true), 0);
    cp_msg_destroy(&ok);
}

static int
s_setup(void **state)
{
    bench_t *b = calloc(1, sizeof(bench_t));
    bench_state_dir(b->dir, sizeof(b->dir), "auth");
    cp_options_defaults(&b->options);
    snprintf(b->options.state_dir, sizeof(b->options.state_dir), "%s", b->dir);
    b->options.connectors = 1;
    bench_seed_config(&b->options);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "inproc://test-auth-%" PRId64, zclock_usecs());
    cp_bus_endpoints_init(&b->ep, prefix);
    b->broker = zactor_new(cp_bus_broker_actor, &b->ep);
    b->clock = cp_clock_new_system();
    b->ocpp = cp_bus_new(&b->ep, "ocpp");
    b->tx = cp_bus_new(&b->ep, "transaction");
    b->hw = cp_bus_new(&b->ep, "hw");
    b->config = cp_bus_new(&b->ep, "config");
    b->schemas = schema_set_new();
    assert_true(b->broker && b->clock && b->ocpp && b->tx && b->hw && b->config && b->schemas);
    assert_int_equal(cp_bus_subscribe(b->tx, "auth."), 0);
    snprintf(b->args.name, sizeof(b->args.name), "auth");
    b->args.bus = b->ep;
    b->args.clock = b->clock;
    b->args.options = &b->options;
    atomic_init(&b->args.abandon, false);
    atomic_init(&b->args.terminated, false);
    *state = b;
    return 0;
}

static json_t *s_inbound(bench_t *b, const char *action, const char *payload);

//  Start the actor and answer its snapshot of the link. Then one inbound
//  round trip from "ocpp": the broker keeps one peer's messages in order,
//  so once it is answered the snapshot has been taken in (requests from
//  "transaction" could otherwise overtake it).
static void
s_start(bench_t *b, bool online)
{
    b->actor = zactor_new(s_shim, &b->args);
    assert_non_null(b->actor);
    s_answer_snapshot(b, online);
    json_decref(s_inbound(b, "GetLocalListVersion", "{}"));
}

static int
s_teardown(void **state)
{
    bench_t *b = *state;
    zactor_destroy(&b->actor);
    assert_true(atomic_load(&b->args.terminated));
    cp_bus_destroy(&b->ocpp);
    cp_bus_destroy(&b->tx);
    cp_bus_destroy(&b->hw);
    cp_bus_destroy(&b->config);
    zactor_destroy(&b->broker);
    cp_clock_destroy(&b->clock);
    schema_set_destroy(&b->schemas);
    bench_state_dir_remove(b->dir);
    free(b);
    return 0;
}

//  Send auth_request from "transaction"; returns the corr.
static uint64_t
s_ask(bench_t *b, const char *id_tag)
{
    cp_msg_t *req = cp_msg_new(CP_MSG_AUTH_REQUEST);
    cp_msg_set_str(req->u.auth_request.id_tag, id_tag);
    cp_msg_set_str(req->u.auth_request.purpose, "start");
    uint64_t corr = cp_bus_request(b->tx, "auth", req);
    cp_msg_destroy(&req);
    assert_true(corr != 0);
    return corr;
}

//  The auth_result for corr.
static cp_msg_t *
s_result(bench_t *b, uint64_t corr)
{
    cp_bus_envelope_t env;
    cp_msg_t *msg = bench_recv(b->tx, cp_bus_requests(b->tx), &env, 3000);
    if (!msg)
        fail_msg("no auth_result");
    assert_int_equal(env.kind, CP_BUS_REPLY);
    assert_true(env.corr == corr);
    assert_int_equal(msg->type, CP_MSG_AUTH_RESULT);
    return msg;
}

static void
s_expect_result(bench_t *b, uint64_t corr, const char *status, const char *source, const char *parent)
{
    cp_msg_t *r = s_result(b, corr);
    if (strcmp(r->u.auth_result.status, status) || strcmp(r->u.auth_result.source, source))
        fail_msg("%s: got %s/%s, want %s/%s", r->u.auth_result.id_tag, r->u.auth_result.status,
                 r->u.auth_result.source, status, source);
    if (parent)
        assert_string_equal(r->u.auth_result.parent_id_tag, parent);
    cp_msg_destroy(&r);
}

//  "ocpp" receives Authorize for id_tag; returns its envelope.
static cp_bus_envelope_t
s_expect_authorize(bench_t *b, const char *id_tag)
{
    cp_bus_envelope_t env;
    cp_msg_t *call = s_expect_request(b->ocpp, CP_MSG_OCPP_CALL, &env);
    assert_string_equal(call->u.ocpp_call.action, "Authorize");
    json_t *p = json_loads(call->u.ocpp_call.payload, 0, NULL);
    assert_int_equal(schema_set_validate(b->schemas, "Authorize", p, NULL, 0), OCPPJ_OK);
    assert_string_equal(json_string_value(json_object_get(p, "idTag")), id_tag);
    json_decref(p);
    cp_msg_destroy(&call);
    return env;
}

static void
s_answer(bench_t *b, const cp_bus_envelope_t *env, const char *outcome, const char *payload)
{
    cp_msg_t *r = cp_msg_new(CP_MSG_OCPP_RESULT);
    cp_msg_set_str(r->u.ocpp_result.outcome, outcome);
    if (payload)
        cp_msg_set_text(&r->u.ocpp_result.payload, payload);
    assert_int_equal(cp_bus_reply(b->ocpp, env, r, true), 0);
    cp_msg_destroy(&r);
}

static void
s_link(bench_t *b, bool online)
{
    cp_msg_t *st = cp_msg_new(CP_MSG_OCPP_STATE);
    cp_msg_set_str(st->u.ocpp_state.connection, online ? "connected" : "disconnected");
    cp_msg_set_str(st->u.ocpp_state.registration, online ? "Accepted" : "Unknown");
    assert_int_equal(cp_bus_publish(b->ocpp, "ocpp.state", st), 0);
    cp_msg_destroy(&st);
    zclock_sleep(100);
}

//  An inbound CALL from "ocpp", taken off the link at received_seq (0:
//  unknown); returns the response payload (decref).
static json_t *
s_inbound_at(bench_t *b, const char *action, const char *payload, int64_t received_seq)
{
    cp_msg_t *req = cp_msg_new(CP_MSG_OCPP_INBOUND);
    cp_msg_set_str(req->u.ocpp_inbound.action, action);
    cp_msg_set_text(&req->u.ocpp_inbound.payload, payload);
    req->u.ocpp_inbound.received_seq = received_seq;
    uint64_t corr = cp_bus_request(b->ocpp, "auth", req);
    cp_msg_destroy(&req);
    cp_bus_envelope_t env;
    cp_msg_t *reply = bench_recv(b->ocpp, cp_bus_requests(b->ocpp), &env, 3000);
    assert_non_null(reply);
    assert_true(env.corr == corr);
    assert_int_equal(reply->type, CP_MSG_OCPP_INBOUND_REPLY);
    assert_string_equal(reply->u.ocpp_inbound_reply.error_code, "");
    json_t *response = json_loads(reply->u.ocpp_inbound_reply.payload, 0, NULL);
    cp_msg_destroy(&reply);
    char name[64], why[200] = "";
    snprintf(name, sizeof(name), "%sResponse", action);
    if (schema_set_validate(b->schemas, name, response, why, sizeof(why)) != OCPPJ_OK)
        fail_msg("%s: %s", name, why);
    return response;
}

static json_t *
s_inbound(bench_t *b, const char *action, const char *payload)
{
    return s_inbound_at(b, action, payload, 0);
}

//  "transaction" publishes what a Start/StopTransaction.conf said of id_tag.
static void
s_idtaginfo(bench_t *b, const char *id_tag, int64_t received_seq)
{
    cp_msg_t *info = cp_msg_new(CP_MSG_AUTH_IDTAGINFO);
    cp_msg_set_str(info->u.auth_idtaginfo.id_tag, id_tag);
    cp_msg_set_str(info->u.auth_idtaginfo.status, "Accepted");
    info->u.auth_idtaginfo.received_seq = received_seq;
    assert_int_equal(cp_bus_publish(b->tx, "auth.idtaginfo", info), 0);
    cp_msg_destroy(&info);
}

//  Offline, ask for id_tag until the cache answers it, within 5 s: the
//  event that cached it travels another path (the SUB) than the ask and
//  its answer (the DEALER), so no message of ours says it has arrived.
//  Each ask is itself a round trip through the actor.
static void
s_await_cached(bench_t *b, const char *id_tag, bool republish)
{
    int64_t deadline = zclock_mono() + 5000;
    while (zclock_mono() < deadline) {
        if (republish)
            s_idtaginfo(b, id_tag, 0);
        cp_msg_t *r = s_result(b, s_ask(b, id_tag));
        bool cached = streq(r->u.auth_result.source, "cache");
        cp_msg_destroy(&r);
        if (cached)
            return;
        zclock_sleep(5);            //  a breath between asks, not a wait for the event
    }
    fail_msg("%s never answered from the cache", id_tag);
}

static void
test_online_authorize_then_cache_offline(void **state)
{
    bench_t *b = *state;
    s_start(b, true);
    uint64_t corr = s_ask(b, "CARD1");
    cp_bus_envelope_t env = s_expect_authorize(b, "CARD1");
    //  A second request for the same tag rides on the same Authorize.
    uint64_t corr2 = s_ask(b, "CARD1");
    zclock_sleep(50);
    s_answer(b, &env, "result", "{\"idTagInfo\": {\"status\": \"Accepted\", \"parentIdTag\": \"FLEET\"}}");
    s_expect_result(b, corr, "Accepted", "csms", "FLEET");
    s_expect_result(b, corr2, "Accepted", "csms", "FLEET");
    //  Offline now: the cache answers (LocalPreAuthorize is false).
    s_link(b, false);
    s_expect_result(b, s_ask(b, "card1"), "Accepted", "cache", "FLEET");
    //  An unknown tag offline: AllowOfflineTxForUnknownId is false.
    s_expect_result(b, s_ask(b, "STRANGER"), "Invalid", "offline", "");
}

static void
test_authorize_failure_uses_offline_rules(void **state)
{
    bench_t *b = *state;
    s_set_key(b, "AllowOfflineTxForUnknownId", "true");
    s_start(b, true);
    uint64_t corr = s_ask(b, "CARD2");
    cp_bus_envelope_t env = s_expect_authorize(b, "CARD2");
    s_answer(b, &env, "timeout", NULL);
    s_expect_result(b, corr, "Accepted", "offline", "");
    //  Nothing was cached from a timeout: online again, it is asked again.
    corr = s_ask(b, "CARD2");
    env = s_expect_authorize(b, "CARD2");
    s_answer(b, &env, "result", "{\"idTagInfo\": {\"status\": \"Blocked\"}}");
    s_expect_result(b, corr, "Blocked", "csms", "");
    //  Blocked is cached: an error now falls back to Blocked, never to the
    //  unknown-id rule.
    corr = s_ask(b, "CARD2");
    env = s_expect_authorize(b, "CARD2");
    s_answer(b, &env, "error", NULL);
    s_expect_result(b, corr, "Blocked", "cache", "");
    //  The link drops while Authorize is in flight: answered at once.
    corr = s_ask(b, "CARD3");
    env = s_expect_authorize(b, "CARD3");
    s_link(b, false);
    s_expect_result(b, corr, "Accepted", "offline", "");
    //  The late answer is ignored.
    s_answer(b, &env, "result", "{\"idTagInfo\": {\"status\": \"Invalid\"}}");
    s_expect_result(b, s_ask(b, "CARD3"), "Accepted", "offline", "");
}

//  A StopTransaction.conf just ahead of a ClearCache on the link: its
//  IdTagInfo reaches auth the long way (through the transaction actor),
//  maybe after the ClearCache. Taken in the central system's order, it
//  was cleared: it must not be cached after the clear; one answered after
//  the clear is.
static void
test_idtaginfo_before_clear_cache_stays_cleared(void **state)
{
    bench_t *b = *state;
    s_set_key(b, "AuthorizationCacheEnabled", "true");
    s_set_key(b, "LocalAuthorizeOffline", "true");
    s_set_key(b, "AllowOfflineTxForUnknownId", "false");
    s_start(b, false);
    s_await_cached(b, "WARM", true);        //  the publish path works
    int64_t before_clear = cp_msg_seq_now();
    json_t *cleared = s_inbound_at(b, "ClearCache", "{}", cp_msg_seq_now());
    assert_string_equal(json_string_value(json_object_get(cleared, "status")), "Accepted");
    json_decref(cleared);
    s_idtaginfo(b, "OLDCARD", before_clear);
    s_idtaginfo(b, "NEWCARD", cp_msg_seq_now());
    s_await_cached(b, "NEWCARD", false);    //  published after OLDCARD: both taken in
    s_expect_result(b, s_ask(b, "OLDCARD"), "Invalid", "offline", "");
    s_expect_result(b, s_ask(b, "WARM"), "Invalid", "offline", "");
}

static void
test_send_local_list_then_offline(void **state)
{
    bench_t *b = *state;
    s_start(b, false);
    json_t *r = s_inbound(b, "GetLocalListVersion", "{}");
    assert_int_equal(json_integer_value(json_object_get(r, "listVersion")), 0);
    json_decref(r);
    r = s_inbound(b, "SendLocalList", "{\"listVersion\": 12, \"updateType\": \"Full\", \"localAuthorizationList\": ["
                  "{\"idTag\": \"LISTED\", \"idTagInfo\": {\"status\": \"Accepted\", \"parentIdTag\": \"P\"}},"
                  "{\"idTag\": \"BANNED\", \"idTagInfo\": {\"status\": \"Blocked\"}}]}");
    assert_string_equal(json_string_value(json_object_get(r, "status")), "Accepted");
    json_decref(r);
    r = s_inbound(b, "GetLocalListVersion", "{}");
    assert_int_equal(json_integer_value(json_object_get(r, "listVersion")), 12);
    json_decref(r);
    s_expect_result(b, s_ask(b, "LISTED"), "Accepted", "list", "P");
    s_expect_result(b, s_ask(b, "BANNED"), "Blocked", "list", "");
    r = s_inbound(b, "SendLocalList", "{\"listVersion\": 12, \"updateType\": \"Differential\","
                  " \"localAuthorizationList\": [{\"idTag\": \"BANNED\"}]}");
    assert_string_equal(json_string_value(json_object_get(r, "status")), "VersionMismatch");
    json_decref(r);
    r = s_inbound(b, "ClearCache", "{}");
    assert_string_equal(json_string_value(json_object_get(r, "status")), "Accepted");
    json_decref(r);
    //  LocalPreAuthorize online: the list answers without an Authorize.
    s_set_key(b, "LocalPreAuthorize", "true");
    cp_msg_t *changed = cp_msg_new(CP_MSG_CONFIG_CHANGED);
    cp_msg_set_str(changed->u.config_changed.key, "LocalPreAuthorize");
    cp_msg_set_str(changed->u.config_changed.value, "true");
    assert_int_equal(cp_bus_publish(b->config, "config.changed", changed), 0);
    cp_msg_destroy(&changed);
    s_link(b, true);
    s_expect_result(b, s_ask(b, "LISTED"), "Accepted", "list", "P");
    //  A restarted actor finds the list in the store.
    zactor_destroy(&b->actor);
    s_start(b, false);
    s_expect_result(b, s_ask(b, "LISTED"), "Accepted", "list", "P");
}

static void
test_tokens_and_free_charging(void **state)
{
    bench_t *b = *state;
    s_start(b, false);
    //  The tester's subscription to auth.* may join late: repeat the token.
    cp_msg_t *tok = cp_msg_new(CP_MSG_HW_TOKEN);
    cp_msg_t *got = NULL;
    cp_bus_envelope_t env;
    for (int attempt = 0; attempt < 50 && !got; attempt++) {
        cp_msg_set_str(tok->u.hw_token.source, "rfid");
        cp_msg_set_str(tok->u.hw_token.token, "XYZ");             //  malformed: dropped
        cp_bus_publish(b->hw, "hw.token", tok);
        cp_msg_set_str(tok->u.hw_token.token, "04A1B2C3");
        cp_bus_publish(b->hw, "hw.token", tok);
        got = bench_recv(b->tx, cp_bus_events(b->tx), &env, 100);
    }
    cp_msg_destroy(&tok);
    assert_non_null(got);
    assert_string_equal(env.topic, "auth.token");
    assert_int_equal(got->type, CP_MSG_AUTH_TOKEN);
    assert_string_equal(got->u.auth_token.id_tag, "C3B2A104");
    assert_string_equal(got->u.auth_token.source, "rfid");
    cp_msg_destroy(&got);
    //  Free charging (the seed's AuthEnabled).
    s_set_key(b, "FreeChargingEnabled", "true");
    cp_msg_t *changed = cp_msg_new(CP_MSG_CONFIG_CHANGED);
    cp_msg_set_str(changed->u.config_changed.key, "FreeChargingEnabled");
    cp_msg_set_str(changed->u.config_changed.value, "true");
    assert_int_equal(cp_bus_publish(b->config, "config.changed", changed), 0);
    cp_msg_destroy(&changed);
    zclock_sleep(100);
    s_expect_result(b, s_ask(b, "ANYONE"), "Accepted", "free", "");
    //  An unsupported request is refused, not ignored.
    cp_msg_t *req = cp_msg_new(CP_MSG_CONFIG_GET);
    uint64_t corr = cp_bus_request(b->tx, "auth", req);
    cp_msg_destroy(&req);
    cp_msg_t *reply = bench_recv(b->tx, cp_bus_requests(b->tx), &env, 3000);
    assert_non_null(reply);
    assert_true(env.corr == corr);
    assert_int_equal(reply->type, CP_MSG_REPLY);
    assert_false(reply->u.reply.ok);
    cp_msg_destroy(&reply);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_online_authorize_then_cache_offline, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_authorize_failure_uses_offline_rules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_send_local_list_then_offline, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_idtaginfo_before_clear_cache_stays_cleared, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_tokens_and_free_charging, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
