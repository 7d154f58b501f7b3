/* test_bus.c — the bus every actor talks through: the broker (XSUB/XPUB
 * proxy + ROUTER) and the client side, over inproc:// and ipc://.
 *
 * What actors rely on: events reach subscribers by topic prefix and only
 * them; a request reaches the named actor with the sender and correlation
 * id, and its partial and final replies come back with the same id; a
 * request to an actor that is not there comes back as 'unreachable' at once
 * instead of vanishing; a restarted actor gets its name back; and garbage on
 * either channel is counted and dropped, never a crash.
 *
 * Connections and subscriptions propagate asynchronously, so every wait is
 * a bounded poll, and each "is it ready yet" step retries until it is, then
 * asserts. No sleep is ever an assertion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "messages/msg.h"
#include "supervisor/bus.h"

#define WAIT_MS 10000           //  upper bound for anything to propagate
#define STEP_MS 50

typedef struct {
    cp_bus_endpoints_t ep;
    zactor_t *broker;
    cp_bus_t *alice;
    cp_bus_t *bob;
    char dir[64];               //  ipc only
} fixture_t;

static fixture_t *
s_fixture_new(const char *prefix)
{
    fixture_t *f = calloc(1, sizeof(fixture_t));
    assert_non_null(f);
    cp_bus_endpoints_init(&f->ep, prefix);
    f->broker = zactor_new(cp_bus_broker_actor, &f->ep);
    assert_non_null(f->broker);
    f->alice = cp_bus_new(&f->ep, "alice");
    f->bob = cp_bus_new(&f->ep, "bob");
    assert_non_null(f->alice);
    assert_non_null(f->bob);
    return f;
}

static void
s_fixture_destroy(fixture_t **f_p)
{
    fixture_t *f = *f_p;
    cp_bus_destroy(&f->alice);
    cp_bus_destroy(&f->bob);
    assert_null(f->alice);
    zactor_destroy(&f->broker);
    free(f);
    *f_p = NULL;
}

static int
s_setup_inproc(void **state)
{
    //  a distinct prefix per test: inproc names outlive a test's sockets briefly
    static int counter;                     //  test-only, single thread
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "inproc://t-bus-%d", ++counter);
    *state = s_fixture_new(prefix);
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    s_fixture_destroy(&f);
    return 0;
}

//  Receive one message from which within timeout_ms. Returns true if one
//  arrived (the message, possibly NULL, in *msg).
static bool
s_recv(cp_bus_t *bus, zsock_t *which, int timeout_ms, cp_bus_envelope_t *env,
       cp_msg_t **msg, bool *dropped)
{
    zpoller_t *poller = zpoller_new(which, NULL);
    assert_non_null(poller);
    void *ready = zpoller_wait(poller, timeout_ms);
    zpoller_destroy(&poller);
    *msg = NULL;
    if (ready != which)
        return false;
    bool d = false;
    *msg = cp_bus_recv(bus, which, env, &d);
    if (dropped)
        *dropped = d;
    return true;
}

static cp_msg_t *
s_connector_msg(int64_t connector)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_HW_CONNECTOR);
    assert_non_null(msg);
    msg->u.hw_connector.connector = connector;
    msg->u.hw_connector.plugged = true;
    cp_msg_set_str(msg->u.hw_connector.pilot, "C");
    msg->u.hw_connector.energy_wh = 1234.5;
    cp_msg_set_str(msg->u.hw_connector.fault, "none");
    return msg;
}

//  Publish on topic until `to` receives it (subscriptions propagate
//  asynchronously), then sync: publish a marker and receive until it
//  arrives, so that no retry copy is left queued. Returns the first copy.
static cp_msg_t *
s_publish_until_received(cp_bus_t *from, cp_bus_t *to, const char *topic, const cp_msg_t *msg,
                         cp_bus_envelope_t *env)
{
    cp_msg_t *got = NULL;
    int64_t deadline = zclock_mono() + WAIT_MS;
    while (!got && zclock_mono() < deadline) {
        assert_int_equal(cp_bus_publish(from, topic, msg), 0);
        bool dropped = true;
        if (s_recv(to, cp_bus_events(to), STEP_MS, env, &got, &dropped)) {
            assert_false(dropped);
            assert_non_null(got);
        }
    }
    if (!got)
        fail_msg("%s never received %s from %s", cp_bus_name(to), topic, cp_bus_name(from));
    return got;
}

//  Receive events until one on `topic`; every event before it must be
//  on `allowed` (NULL: none allowed).
static cp_msg_t *
s_recv_event_until(cp_bus_t *to, const char *topic, const char *allowed, cp_bus_envelope_t *env)
{
    int64_t deadline = zclock_mono() + WAIT_MS;
    while (zclock_mono() < deadline) {
        cp_msg_t *msg = NULL;
        bool dropped = true;
        if (!s_recv(to, cp_bus_events(to), STEP_MS, env, &msg, &dropped))
            continue;
        assert_false(dropped);
        assert_non_null(msg);
        assert_int_equal(env->kind, CP_BUS_EVENT);
        if (streq(env->topic, topic))
            return msg;
        if (!allowed || !streq(env->topic, allowed))
            fail_msg("unexpected event on '%s' while waiting for '%s'", env->topic, topic);
        cp_msg_destroy(&msg);
    }
    fail_msg("no event on '%s'", topic);
    return NULL;
}

static cp_msg_t *
s_snapshot_msg(const char *scope)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_SNAPSHOT_REQUEST);
    assert_non_null(msg);
    cp_msg_set_str(msg->u.snapshot_request.scope, scope);
    return msg;
}

static cp_msg_t *
s_reply_msg(bool ok, int64_t code, const char *reason)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_REPLY);
    assert_non_null(msg);
    msg->u.reply.ok = ok;
    msg->u.reply.code = code;
    cp_msg_set_str(msg->u.reply.reason, reason);
    return msg;
}

//  Send requests from `from` to `name` until one is delivered to `to` (a
//  fresh dealer is routable only once the broker has seen its identity;
//  before that the broker answers 'X' and we retry). Requests delivered to
//  any `also` client (an older incarnation) are swallowed. Returns the
//  delivered request; its envelope in *env.
static cp_msg_t *
s_request_until_delivered(cp_bus_t *from, const char *name, cp_bus_t *to, cp_bus_t *also,
                          const cp_msg_t *msg, cp_bus_envelope_t *env, uint64_t *corr_p)
{
    int64_t deadline = zclock_mono() + WAIT_MS;
    while (zclock_mono() < deadline) {
        uint64_t corr = cp_bus_request(from, name, msg);
        assert_true(corr != 0);
        //  wait for this attempt's outcome: delivered, or refused with 'X'
        int64_t attempt_end = zclock_mono() + 2000;
        while (zclock_mono() < attempt_end) {
            zpoller_t *poller = zpoller_new(cp_bus_requests(from), cp_bus_requests(to), NULL);
            if (also)
                zpoller_add(poller, cp_bus_requests(also));
            void *which = zpoller_wait(poller, STEP_MS);
            zpoller_destroy(&poller);
            if (!which)
                continue;
            cp_bus_envelope_t e;
            bool dropped = true;
            if (which == cp_bus_requests(from)) {
                cp_msg_t *back = cp_bus_recv(from, which, &e, &dropped);
                assert_false(dropped);
                assert_null(back);
                assert_int_equal(e.kind, CP_BUS_UNREACHABLE);
                if (e.corr == corr)
                    break;                      //  not routable yet: retry
                continue;                       //  an older attempt's refusal
            }
            if (also && which == cp_bus_requests(also)) {
                cp_msg_t *stale = cp_bus_recv(also, which, &e, &dropped);
                assert_false(dropped);
                cp_msg_destroy(&stale);
                if (e.corr == corr)
                    break;
                continue;
            }
            cp_msg_t *in = cp_bus_recv(to, which, env, &dropped);
            assert_false(dropped);
            assert_non_null(in);
            if (env->corr == corr) {
                *corr_p = corr;
                return in;
            }
            cp_msg_destroy(&in);                //  a late copy of an older attempt
        }
    }
    fail_msg("request from %s never reached %s", cp_bus_name(from), name);
    return NULL;
}

//  --------------------------------------------------------------------------

static void
test_endpoints_init(void **state)
{
    cp_bus_endpoints_t ep;
    cp_bus_endpoints_init(&ep, "inproc://cp");
    assert_string_equal(ep.pub, "inproc://cp-pub");
    assert_string_equal(ep.sub, "inproc://cp-sub");
    assert_string_equal(ep.req, "inproc://cp-req");
    cp_bus_endpoints_init(&ep, "ipc:///dir/bus");
    assert_string_equal(ep.pub, "ipc:///dir/bus-pub");
    assert_string_equal(ep.sub, "ipc:///dir/bus-sub");
    assert_string_equal(ep.req, "ipc:///dir/bus-req");
}

//  Join a fresh bus: poll its events, re-sending the probe, until joined.
//  Nothing else may arrive on it meanwhile (it subscribed to nothing else
//  that anyone publishes yet).
static void
s_join(cp_bus_t *bus)
{
    assert_int_equal(cp_bus_join(bus), 0);
    assert_false(cp_bus_joined(bus));
    int64_t deadline = zclock_mono() + WAIT_MS;
    while (!cp_bus_joined(bus) && zclock_mono() < deadline) {
        cp_bus_envelope_t env;
        cp_msg_t *msg = NULL;
        bool dropped = true;
        if (s_recv(bus, cp_bus_events(bus), 5, &env, &msg, &dropped)) {
            assert_false(dropped);             //  the probe is consumed, never counted
            assert_null(msg);
            assert_int_equal(strncmp(env.topic, "sys.join.", 9), 0);
        }
        else
            assert_int_equal(cp_bus_join_probe(bus), 0);
    }
    assert_true(cp_bus_joined(bus));
    assert_int_equal(cp_bus_dropped(bus), 0);
}

//  The start-up race every actor used to run: a fresh bus's first publish
//  vanished in a PUB that had no subscription yet, and a fresh subscriber
//  missed what was published before its subscription reached the broker.
//  Once joined, neither happens: one publish each way, no retry, many
//  fresh buses in a row.
static void
test_join(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(cp_bus_subscribe(f->alice, "ev."), 0);
    s_join(f->alice);
    cp_msg_t *msg = s_connector_msg(7);
    for (int round = 0; round < 50; round++) {
        cp_bus_t *carol = cp_bus_new(&f->ep, "carol");
        assert_non_null(carol);
        assert_int_equal(cp_bus_join(carol), 0);     //  as the shell does at once
        //  published before the join: held, then delivered, in order
        assert_int_equal(cp_bus_publish(carol, "ev.first", msg), 0);
        assert_int_equal(cp_bus_subscribe(carol, "news."), 0);
        s_join(carol);
        assert_int_equal(cp_bus_publish(carol, "ev.second", msg), 0);
        cp_bus_envelope_t env;
        cp_msg_t *got = s_recv_event_until(f->alice, "ev.first", NULL, &env);
        cp_msg_destroy(&got);
        got = s_recv_event_until(f->alice, "ev.second", NULL, &env);
        cp_msg_destroy(&got);
        //  subscribed before the join: the first event after it arrives
        assert_int_equal(cp_bus_publish(f->alice, "news.now", msg), 0);
        got = s_recv_event_until(carol, "news.now", NULL, &env);
        assert_int_equal(got->u.hw_connector.connector, 7);
        cp_msg_destroy(&got);
        //  the probe's copies are consumed; nobody else sees them
        cp_msg_t *none = NULL;
        assert_false(s_recv(f->bob, cp_bus_events(f->bob), 0, &env, &none, NULL));
        cp_bus_destroy(&carol);
    }
    cp_msg_destroy(&msg);
}

static void
test_client_basics(void **state)
{
    fixture_t *f = *state;
    assert_string_equal(cp_bus_name(f->alice), "alice");
    assert_string_equal(cp_bus_name(f->bob), "bob");
    assert_non_null(cp_bus_events(f->alice));
    assert_non_null(cp_bus_requests(f->alice));
    assert_ptr_not_equal(cp_bus_events(f->alice), cp_bus_requests(f->alice));
    assert_ptr_not_equal(cp_bus_events(f->alice), cp_bus_events(f->bob));
    assert_int_equal(cp_bus_dropped(f->alice), 0);
    //  correlation ids: never 0, distinct per request
    cp_msg_t *msg = s_snapshot_msg("x");
    uint64_t seen[32];
    for (int i = 0; i < 32; i++) {
        seen[i] = cp_bus_request(f->alice, "nobody", msg);
        assert_true(seen[i] != 0);
        for (int j = 0; j < i; j++)
            assert_true(seen[i] != seen[j]);
    }
    cp_msg_destroy(&msg);
}

static void
s_scenario_events(fixture_t *f)
{
    assert_int_equal(cp_bus_subscribe(f->bob, "hw."), 0);
    cp_msg_t *msg = s_connector_msg(1);
    cp_bus_envelope_t env;
    cp_msg_t *got = s_publish_until_received(f->alice, f->bob, "hw.connector.1", msg, &env);
    assert_int_equal(env.kind, CP_BUS_EVENT);
    assert_string_equal(env.topic, "hw.connector.1");
    assert_string_equal(env.peer, "");
    assert_int_equal(got->type, CP_MSG_HW_CONNECTOR);
    assert_int_equal(got->u.hw_connector.connector, 1);
    assert_true(got->u.hw_connector.plugged);
    assert_string_equal(got->u.hw_connector.pilot, "C");
    assert_true(got->u.hw_connector.energy_wh == 1234.5);
    assert_string_equal(got->u.hw_connector.fault, "none");
    cp_msg_destroy(&got);

    //  Flush the retries, then check filtering: a topic outside "hw." sent
    //  before a marker must never show up; the marker must.
    cp_msg_t *marker = s_connector_msg(99);
    assert_int_equal(cp_bus_publish(f->alice, "hw.sync", marker), 0);
    got = s_recv_event_until(f->bob, "hw.sync", "hw.connector.1", &env);
    cp_msg_destroy(&got);
    cp_msg_t *other = s_snapshot_msg("not for bob");
    assert_int_equal(cp_bus_publish(f->alice, "ocpp.state", other), 0);
    assert_int_equal(cp_bus_publish(f->alice, "h", other), 0);
    assert_int_equal(cp_bus_publish(f->alice, "hw", other), 0);
    assert_int_equal(cp_bus_publish(f->alice, "hw.connector.2", msg), 0);
    got = s_recv_event_until(f->bob, "hw.connector.2", NULL, &env);
    assert_int_equal(got->u.hw_connector.connector, 1);
    cp_msg_destroy(&got);

    //  alice subscribed to nothing: she got none of it
    cp_msg_t *none = NULL;
    assert_false(s_recv(f->alice, cp_bus_events(f->alice), 0, &env, &none, NULL));
    assert_int_equal(cp_bus_dropped(f->bob), 0);
    cp_msg_destroy(&other);
    cp_msg_destroy(&marker);
    cp_msg_destroy(&msg);
}

static void
s_scenario_request_reply(fixture_t *f)
{
    cp_msg_t *req = s_snapshot_msg("all");
    cp_bus_envelope_t env;
    uint64_t corr = 0;
    cp_msg_t *in = s_request_until_delivered(f->alice, "bob", f->bob, NULL, req, &env, &corr);
    assert_int_equal(env.kind, CP_BUS_REQUEST);
    assert_string_equal(env.peer, "alice");
    assert_true(env.corr == corr);
    assert_string_equal(env.topic, "");
    assert_int_equal(in->type, CP_MSG_SNAPSHOT_REQUEST);
    assert_string_equal(in->u.snapshot_request.scope, "all");
    cp_msg_destroy(&in);

    //  bob: two partials, then the final reply
    cp_msg_t *partial = s_connector_msg(1);
    assert_int_equal(cp_bus_reply(f->bob, &env, partial, false), 0);
    partial->u.hw_connector.connector = 2;
    assert_int_equal(cp_bus_reply(f->bob, &env, partial, false), 0);
    cp_msg_t *final = s_reply_msg(true, 7, "done");
    assert_int_equal(cp_bus_reply(f->bob, &env, final, true), 0);

    cp_bus_envelope_t back;
    cp_msg_t *msg = NULL;
    bool dropped = true;
    for (int n = 1; n <= 2; n++) {
        assert_true(s_recv(f->alice, cp_bus_requests(f->alice), WAIT_MS, &back, &msg, &dropped));
        assert_false(dropped);
        assert_non_null(msg);
        assert_int_equal(back.kind, CP_BUS_PARTIAL);
        assert_string_equal(back.peer, "bob");
        assert_true(back.corr == corr);
        assert_int_equal(msg->type, CP_MSG_HW_CONNECTOR);
        assert_int_equal(msg->u.hw_connector.connector, n);     //  in order
        cp_msg_destroy(&msg);
    }
    assert_true(s_recv(f->alice, cp_bus_requests(f->alice), WAIT_MS, &back, &msg, &dropped));
    assert_false(dropped);
    assert_non_null(msg);
    assert_int_equal(back.kind, CP_BUS_REPLY);
    assert_string_equal(back.peer, "bob");
    assert_true(back.corr == corr);
    assert_int_equal(msg->type, CP_MSG_REPLY);
    assert_true(msg->u.reply.ok);
    assert_int_equal(msg->u.reply.code, 7);
    assert_string_equal(msg->u.reply.reason, "done");
    cp_msg_destroy(&msg);

    //  The other direction works too, with its own correlation ids.
    cp_bus_envelope_t env2;
    uint64_t corr2 = 0;
    in = s_request_until_delivered(f->bob, "alice", f->alice, NULL, req, &env2, &corr2);
    assert_int_equal(env2.kind, CP_BUS_REQUEST);
    assert_string_equal(env2.peer, "bob");
    assert_true(env2.corr == corr2);
    cp_msg_destroy(&in);
    assert_int_equal(cp_bus_reply(f->alice, &env2, final, true), 0);
    assert_true(s_recv(f->bob, cp_bus_requests(f->bob), WAIT_MS, &back, &msg, &dropped));
    assert_non_null(msg);
    assert_int_equal(back.kind, CP_BUS_REPLY);
    assert_string_equal(back.peer, "alice");
    assert_true(back.corr == corr2);
    cp_msg_destroy(&msg);

    assert_int_equal(cp_bus_dropped(f->alice), 0);
    assert_int_equal(cp_bus_dropped(f->bob), 0);
    cp_msg_destroy(&final);
    cp_msg_destroy(&partial);
    cp_msg_destroy(&req);
}

static void
s_scenario_unreachable(fixture_t *f)
{
    cp_msg_t *req = s_snapshot_msg("all");
    //  alice must be known to the broker for the refusal to reach her:
    //  the first request itself makes her known, so the answer is immediate
    for (int round = 0; round < 3; round++) {
        uint64_t corr = cp_bus_request(f->alice, "nobody", req);
        assert_true(corr != 0);
        cp_bus_envelope_t env;
        cp_msg_t *msg = NULL;
        bool dropped = true;
        assert_true(s_recv(f->alice, cp_bus_requests(f->alice), WAIT_MS, &env, &msg, &dropped));
        assert_null(msg);
        assert_false(dropped);
        assert_int_equal(env.kind, CP_BUS_UNREACHABLE);
        assert_true(env.corr == corr);
        assert_string_equal(env.peer, "nobody");
    }
    //  a reply to someone gone is dropped by the broker, not bounced
    cp_bus_envelope_t fake = { .kind = CP_BUS_REQUEST, .corr = 12345 };
    snprintf(fake.peer, sizeof(fake.peer), "nobody");
    cp_msg_t *reply = s_reply_msg(false, 1, "x");
    assert_int_equal(cp_bus_reply(f->alice, &fake, reply, true), 0);
    cp_msg_t *msg = NULL;
    cp_bus_envelope_t env;
    //  the next thing alice gets is the X for this probe, not a bounce
    uint64_t corr = cp_bus_request(f->alice, "nobody", req);
    assert_true(s_recv(f->alice, cp_bus_requests(f->alice), WAIT_MS, &env, &msg, NULL));
    assert_int_equal(env.kind, CP_BUS_UNREACHABLE);
    assert_true(env.corr == corr);
    assert_int_equal(cp_bus_dropped(f->alice), 0);
    cp_msg_destroy(&reply);
    cp_msg_destroy(&req);
}

static void
test_events(void **state)
{
    s_scenario_events(*state);
}

static void
test_request_reply(void **state)
{
    s_scenario_request_reply(*state);
}

static void
test_unreachable(void **state)
{
    s_scenario_unreachable(*state);
}

static void
test_unencodable(void **state)
{
    fixture_t *f = *state;
    cp_msg_t *msg = cp_msg_new(CP_MSG_OCPP_CALL);
    char *big = malloc(CP_MSG_TEXT_MAX + 2);
    assert_non_null(big);
    memset(big, 'b', CP_MSG_TEXT_MAX + 1);
    big[CP_MSG_TEXT_MAX + 1] = '\0';
    msg->u.ocpp_call.payload = big;
    assert_int_equal(cp_bus_publish(f->alice, "hw.x", msg), -1);
    assert_true(cp_bus_request(f->alice, "bob", msg) == 0);
    cp_bus_envelope_t env = { .kind = CP_BUS_REQUEST, .corr = 5 };
    snprintf(env.peer, sizeof(env.peer), "bob");
    assert_int_equal(cp_bus_reply(f->alice, &env, msg, true), -1);
    cp_msg_destroy(&msg);
}

//  Garbage on both channels: counted, dropped, and the client still works.
static void
test_garbage(void **state)
{
    fixture_t *f = *state;
    cp_msg_t *valid = s_snapshot_msg("x");
    char *valid_data;
    size_t valid_size;
    assert_int_equal(cp_msg_encode(valid, &valid_data, &valid_size), 0);

    //  ---- events: a raw publisher on the proxy's XSUB side
    assert_int_equal(cp_bus_subscribe(f->bob, "hw."), 0);
    zsock_t *raw_pub = zsock_new_pub(NULL);
    assert_non_null(raw_pub);
    assert_int_equal(zsock_connect(raw_pub, "%s", f->ep.pub), 0);
    //  retry a garbage body until one arrives (subscription propagation)
    cp_bus_envelope_t env;
    cp_msg_t *msg = NULL;
    bool dropped = false;
    bool got = false;
    int64_t deadline = zclock_mono() + WAIT_MS;
    while (!got && zclock_mono() < deadline) {
        assert_int_equal(zstr_sendm(raw_pub, "hw.garbage"), 0);
        assert_int_equal(zstr_send(raw_pub, "\x01\x02\x03 not msgpack"), 0);
        got = s_recv(f->bob, cp_bus_events(f->bob), STEP_MS, &env, &msg, &dropped);
    }
    assert_true(got);
    assert_null(msg);
    assert_true(dropped);
    //  flush retries with a marker sent behind them from the same socket
    assert_int_equal(zsock_send(raw_pub, "sb", "hw.marker", valid_data, valid_size), 0);
    uint64_t garbage = 1;
    while (true) {
        assert_true(s_recv(f->bob, cp_bus_events(f->bob), WAIT_MS, &env, &msg, &dropped));
        if (msg) {
            assert_string_equal(env.topic, "hw.marker");
            cp_msg_destroy(&msg);
            break;
        }
        assert_true(dropped);
        garbage++;
    }
    assert_true(cp_bus_dropped(f->bob) == garbage);

    //  one frame, three frames, an empty body, a valid-looking but
    //  truncated body: each dropped exactly once
    assert_int_equal(zstr_send(raw_pub, "hw.one-frame"), 0);
    assert_int_equal(zsock_send(raw_pub, "sss", "hw.three", "a", "b"), 0);
    assert_int_equal(zsock_send(raw_pub, "sb", "hw.empty", "", (size_t) 0), 0);
    assert_int_equal(zsock_send(raw_pub, "sb", "hw.cut", valid_data, valid_size - 1), 0);
    assert_int_equal(zsock_send(raw_pub, "sb", "hw.ok", valid_data, valid_size), 0);
    for (int n = 0; n < 4; n++) {
        assert_true(s_recv(f->bob, cp_bus_events(f->bob), WAIT_MS, &env, &msg, &dropped));
        assert_null(msg);
        assert_true(dropped);
    }
    assert_true(s_recv(f->bob, cp_bus_events(f->bob), WAIT_MS, &env, &msg, &dropped));
    assert_non_null(msg);
    assert_false(dropped);
    assert_string_equal(env.topic, "hw.ok");
    cp_msg_destroy(&msg);
    assert_true(cp_bus_dropped(f->bob) == garbage + 4);
    zsock_destroy(&raw_pub);

    //  ---- requests: a raw dealer speaking to the broker as "mallory"
    uint64_t corr = 0;
    cp_msg_t *in = s_request_until_delivered(f->alice, "bob", f->bob, NULL, valid, &env, &corr);
    cp_msg_destroy(&in);                     //  bob is routable now
    zsock_t *mallory = zsock_new(ZMQ_DEALER);
    assert_non_null(mallory);
    zsock_set_identity(mallory, "mallory");
    assert_int_equal(zsock_connect(mallory, "%s", f->ep.req), 0);
    uint64_t c8 = 77;
    char q = CP_BUS_REQUEST, z = 'Z', x = CP_BUS_UNREACHABLE;
    uint64_t before = cp_bus_dropped(f->bob);
    //  broker-level garbage (wrong frame count): dropped by the broker
    assert_int_equal(zstr_send(mallory, "bob"), 0);
    assert_int_equal(zsock_send(mallory, "ss", "bob", "Q"), 0);
    //  reaches bob, but: undecodable body; empty body; bad kind; short
    //  corr; long kind; a valid body after all that
    assert_int_equal(zsock_send(mallory, "sbbb", "bob", &q, (size_t) 1, &c8, sizeof(c8),
                                "\xde\xad\xbe\xef", (size_t) 4), 0);
    assert_int_equal(zsock_send(mallory, "sbbb", "bob", &q, (size_t) 1, &c8, sizeof(c8),
                                "", (size_t) 0), 0);
    assert_int_equal(zsock_send(mallory, "sbbb", "bob", &z, (size_t) 1, &c8, sizeof(c8),
                                valid_data, valid_size), 0);
    assert_int_equal(zsock_send(mallory, "sbbb", "bob", &q, (size_t) 1, &c8, (size_t) 3,
                                valid_data, valid_size), 0);
    assert_int_equal(zsock_send(mallory, "sbbb", "bob", "QQ", (size_t) 2, &c8, sizeof(c8),
                                valid_data, valid_size), 0);
    //  an 'X' forged by a peer is not a broker notice... but the envelope
    //  is well-formed, so it is delivered as unreachable, not counted
    assert_int_equal(zsock_send(mallory, "sbbb", "bob", &x, (size_t) 1, &c8, sizeof(c8),
                                "", (size_t) 0), 0);
    assert_int_equal(zsock_send(mallory, "sbbb", "bob", &q, (size_t) 1, &c8, sizeof(c8),
                                valid_data, valid_size), 0);
    int bad = 0;
    bool done = false;
    while (!done) {
        if (!s_recv(f->bob, cp_bus_requests(f->bob), WAIT_MS, &env, &msg, &dropped))
            fail_msg("bob stopped receiving after %d bad requests", bad);
        if (msg) {
            assert_int_equal(env.kind, CP_BUS_REQUEST);
            assert_string_equal(env.peer, "mallory");
            assert_true(env.corr == c8);
            cp_msg_destroy(&msg);
            done = true;
        }
        else
        if (dropped)
            bad++;
        else
            assert_int_equal(env.kind, CP_BUS_UNREACHABLE);
    }
    assert_int_equal(bad, 5);
    assert_true(cp_bus_dropped(f->bob) == before + 5);
    zsock_destroy(&mallory);

    //  still fully working afterwards, broker included
    in = s_request_until_delivered(f->alice, "bob", f->bob, NULL, valid, &env, &corr);
    assert_string_equal(env.peer, "alice");
    cp_msg_destroy(&in);
    assert_int_equal(cp_bus_dropped(f->alice), 0);
    free(valid_data);
    cp_msg_destroy(&valid);
}

//  A restarted actor (destroy, then new with the same name) receives the
//  requests addressed to its name.
static void
test_reconnect_same_name(void **state)
{
    fixture_t *f = *state;
    cp_msg_t *req = s_snapshot_msg("all");
    cp_bus_envelope_t env;
    uint64_t corr = 0;
    cp_msg_t *in = s_request_until_delivered(f->alice, "bob", f->bob, NULL, req, &env, &corr);
    cp_msg_destroy(&in);

    for (int restart = 0; restart < 3; restart++) {
        cp_bus_destroy(&f->bob);
        assert_null(f->bob);
        f->bob = cp_bus_new(&f->ep, "bob");
        assert_non_null(f->bob);
        in = s_request_until_delivered(f->alice, "bob", f->bob, NULL, req, &env, &corr);
        assert_string_equal(env.peer, "alice");
        assert_int_equal(env.kind, CP_BUS_REQUEST);
        cp_msg_destroy(&in);
        //  and its reply reaches alice
        cp_msg_t *reply = s_reply_msg(true, restart, "back");
        assert_int_equal(cp_bus_reply(f->bob, &env, reply, true), 0);
        cp_bus_envelope_t back;
        cp_msg_t *msg = NULL;
        while (true) {
            assert_true(s_recv(f->alice, cp_bus_requests(f->alice), WAIT_MS, &back, &msg, NULL));
            if (back.kind == CP_BUS_UNREACHABLE) {
                assert_null(msg);               //  an earlier attempt's refusal
                continue;
            }
            break;
        }
        assert_non_null(msg);
        assert_int_equal(back.kind, CP_BUS_REPLY);
        assert_true(back.corr == corr);
        assert_int_equal(msg->u.reply.code, restart);
        cp_msg_destroy(&msg);
        cp_msg_destroy(&reply);
    }
    cp_msg_destroy(&req);
}

//  ROUTER_HANDOVER proper: a new incarnation connects while the old one
//  is still connected (a hung actor being replaced); the name must move to
//  the new one. Without handover the broker would keep refusing it.
static void
test_handover_while_old_connected(void **state)
{
    fixture_t *f = *state;
    cp_msg_t *req = s_snapshot_msg("all");
    cp_bus_envelope_t env;
    uint64_t corr = 0;
    cp_msg_t *in = s_request_until_delivered(f->alice, "bob", f->bob, NULL, req, &env, &corr);
    cp_msg_destroy(&in);

    cp_bus_t *bob2 = cp_bus_new(&f->ep, "bob");
    assert_non_null(bob2);
    in = s_request_until_delivered(f->alice, "bob", bob2, f->bob, req, &env, &corr);
    assert_string_equal(env.peer, "alice");
    cp_msg_destroy(&in);
    //  from now on the old one gets nothing
    for (int i = 0; i < 5; i++) {
        uint64_t c = cp_bus_request(f->alice, "bob", req);
        cp_msg_t *msg = NULL;
        assert_true(s_recv(bob2, cp_bus_requests(bob2), WAIT_MS, &env, &msg, NULL));
        assert_non_null(msg);
        assert_true(env.corr == c);
        cp_msg_destroy(&msg);
    }
    cp_msg_t *stale = NULL;
    assert_false(s_recv(f->bob, cp_bus_requests(f->bob), 0, &env, &stale, NULL));
    cp_bus_destroy(&f->bob);
    f->bob = bob2;
    cp_msg_destroy(&req);
}

//  --------------------------------------------------------------------------
//  The same over ipc:// in a private directory: transport is configuration.

static int
s_setup_ipc(void **state)
{
    char dir[] = "/tmp/cp-test-bus-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "ipc://%s/bus", dir);
    fixture_t *f = s_fixture_new(prefix);
    snprintf(f->dir, sizeof(f->dir), "%s", dir);
    *state = f;
    return 0;
}

static int
s_teardown_ipc(void **state)
{
    fixture_t *f = *state;
    char dir[64];
    snprintf(dir, sizeof(dir), "%s", f->dir);
    s_fixture_destroy(&f);
    //  libzmq removes its socket files on unbind; clean up whatever is left
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)))
            if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                char path[512];
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                unlink(path);
            }
        closedir(d);
    }
    rmdir(dir);
    return 0;
}

static void
test_ipc(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(strncmp(f->ep.pub, "ipc://", 6), 0);
    //  the broker really bound there
    char path[256];
    snprintf(path, sizeof(path), "%s/bus-req", f->dir);
    assert_int_equal(access(path, F_OK), 0);
    s_scenario_events(f);
    s_scenario_request_reply(f);
    s_scenario_unreachable(f);
    //  restart over ipc too
    cp_bus_destroy(&f->bob);
    f->bob = cp_bus_new(&f->ep, "bob");
    assert_non_null(f->bob);
    cp_msg_t *req = s_snapshot_msg("after restart");
    cp_bus_envelope_t env;
    uint64_t corr;
    cp_msg_t *in = s_request_until_delivered(f->alice, "bob", f->bob, NULL, req, &env, &corr);
    assert_string_equal(in->u.snapshot_request.scope, "after restart");
    cp_msg_destroy(&in);
    cp_msg_destroy(&req);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoints_init),
        cmocka_unit_test_setup_teardown(test_client_basics, s_setup_inproc, s_teardown),
        cmocka_unit_test_setup_teardown(test_events, s_setup_inproc, s_teardown),
        cmocka_unit_test_setup_teardown(test_request_reply, s_setup_inproc, s_teardown),
        cmocka_unit_test_setup_teardown(test_unreachable, s_setup_inproc, s_teardown),
        cmocka_unit_test_setup_teardown(test_unencodable, s_setup_inproc, s_teardown),
        cmocka_unit_test_setup_teardown(test_garbage, s_setup_inproc, s_teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_same_name, s_setup_inproc, s_teardown),
        cmocka_unit_test_setup_teardown(test_handover_while_old_connected, s_setup_inproc, s_teardown),
        cmocka_unit_test_setup_teardown(test_ipc, s_setup_ipc, s_teardown_ipc),
        cmocka_unit_test_setup_teardown(test_join, s_setup_inproc, s_teardown),
        cmocka_unit_test_setup_teardown(test_join, s_setup_ipc, s_teardown_ipc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
