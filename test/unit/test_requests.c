/* test_requests.c — every request an actor sends has exactly one outcome.
 *
 * What actors rely on (supervisor/requests.h, supervisor/shell.h): a
 * request is answered by its reply, or fails as "timed out" when its
 * deadline passes, or as "unreachable" when the broker cannot route it or
 * the supervisor announces its actor down while it is in flight — and
 * never twice: a reply after the outcome is dropped. The table is tested
 * on a virtual clock (pure); the shell against a real broker, with a peer
 * that answers late or never, and a down announcement like the
 * supervisor's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <string.h>
#include "messages/msg.h"
#include "supervisor/bus.h"
#include "supervisor/clock.h"
#include "supervisor/requests.h"
#include "supervisor/shell.h"
#include "bench.h"

#define WAIT_MS 10000

static cp_request_t
s_request(uint64_t corr, const char *to, int64_t sent_seq, int64_t deadline_ms)
{
    cp_request_t r = { .corr = corr, .sent_seq = sent_seq, .deadline_ms = deadline_ms };
    snprintf(r.to, sizeof(r.to), "%s", to);
    return r;
}

//  --------------------------------------------------------------------------
//  The table, on a virtual clock

static void
test_table_take_once(void **state)
{
    cp_requests_t *t = cp_requests_new(8);
    cp_request_t a = s_request(7, "auth", 100, 5000), out;
    assert_int_equal(cp_requests_add(t, &a), 0);
    assert_int_equal(cp_requests_add(t, &a), -1);          //  same corr twice
    cp_request_t zero = s_request(0, "auth", 100, 5000);
    assert_int_equal(cp_requests_add(t, &zero), -1);       //  0 is "not sent"
    assert_true(cp_requests_has(t, 7));
    assert_true(cp_requests_take(t, 7, &out));
    assert_int_equal(out.corr, 7);
    assert_string_equal(out.to, "auth");
    assert_false(cp_requests_take(t, 7, &out));            //  a second answer: not ours any more
    assert_false(cp_requests_has(t, 7));
    assert_false(cp_requests_take(t, 0, NULL));
    assert_int_equal(cp_requests_size(t), 0);
    cp_requests_destroy(&t);
    assert_null(t);
}

static void
test_table_deadlines(void **state)
{
    cp_requests_t *t = cp_requests_new(8);
    assert_true(cp_requests_next_deadline(t) == INT64_MAX);
    cp_request_t a = s_request(1, "hw", 0, 3000), b = s_request(2, "hw", 0, 1000), c = s_request(3, "auth", 0, 2000);
    cp_requests_add(t, &a);
    cp_requests_add(t, &b);
    cp_requests_add(t, &c);
    assert_int_equal(cp_requests_next_deadline(t), 1000);
    cp_request_t out;
    assert_false(cp_requests_expire(t, 999, &out));         //  nothing due yet
    assert_true(cp_requests_expire(t, 1000, &out));         //  due exactly at its deadline
    assert_int_equal(out.corr, 2);
    assert_false(cp_requests_expire(t, 1999, &out));
    assert_int_equal(cp_requests_next_deadline(t), 2000);
    //  a clock that jumped past both: each comes out once
    uint64_t seen = 0;
    while (cp_requests_expire(t, 10000, &out))
        seen |= 1u << out.corr;
    assert_int_equal(seen, (1u << 1) | (1u << 3));
    assert_int_equal(cp_requests_size(t), 0);
    assert_false(cp_requests_take(t, 1, NULL));            //  expired: a late reply is not ours
    cp_requests_destroy(&t);
}

static void
test_table_peer_down(void **state)
{
    cp_requests_t *t = cp_requests_new(8);
    //  sent before the death (seq 10, 20), after it (seq 40), to another actor
    cp_request_t a = s_request(1, "auth", 10, 5000), b = s_request(2, "auth", 20, 5000);
    cp_request_t late = s_request(3, "auth", 40, 5000), other = s_request(4, "hw", 10, 5000);
    cp_requests_add(t, &a);
    cp_requests_add(t, &b);
    cp_requests_add(t, &late);
    cp_requests_add(t, &other);
    cp_request_t out;
    uint64_t seen = 0;
    while (cp_requests_peer_down(t, "auth", 30, &out))
        seen |= 1u << out.corr;
    assert_int_equal(seen, (1u << 1) | (1u << 2));
    assert_true(cp_requests_has(t, 3));                     //  went to the next incarnation
    assert_true(cp_requests_has(t, 4));
    assert_false(cp_requests_peer_down(t, "nobody", INT64_MAX, &out));
    cp_requests_destroy(&t);
}

static void
test_table_bounded(void **state)
{
    cp_requests_t *t = cp_requests_new(3);
    for (uint64_t corr = 1; corr <= 3; corr++) {
        cp_request_t r = s_request(corr, "x", 0, (int64_t) corr);
        assert_int_equal(cp_requests_add(t, &r), 0);
    }
    cp_request_t r = s_request(4, "x", 0, 4);
    assert_int_equal(cp_requests_add(t, &r), -1);
    assert_true(cp_requests_take(t, 2, NULL));
    assert_int_equal(cp_requests_add(t, &r), 0);            //  room again
    assert_int_equal(cp_requests_size(t), 3);
    cp_requests_destroy(&t);
}

//  --------------------------------------------------------------------------
//  The shell, against a real broker

#define OUTCOMES_MAX 16

typedef struct {
    zactor_t *broker;
    cp_bus_endpoints_t ep;
    cp_bus_t *bob;                 //  the peer: answers when the test says
    cp_bus_t *supervisor;          //  announces actors down
    zsock_t *pipe[2];              //  the shell's supervisor pipe (test holds [1])
    cp_actor_args_t args;
    cp_clock_t *clock;
    cp_shell_t *shell;
    cp_bus_envelope_t outcomes[OUTCOMES_MAX];
    int outcome_count;
    int partials;
} fixture_t;

static void
s_handler(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, void *ctx)
{
    fixture_t *f = ctx;
    if (env->kind == CP_BUS_PARTIAL)
        f->partials++;
    if (cp_bus_is_outcome(env) && f->outcome_count < OUTCOMES_MAX)
        f->outcomes[f->outcome_count++] = *env;
}

static int
s_stop_loop(cp_loop_t *loop, int timer_id, void *arg)
{
    return -1;
}

//  Run the shell's loop for ms.
static void
s_run(fixture_t *f, int ms)
{
    cp_loop_timer(cp_shell_loop(f->shell), (size_t) ms, 1, s_stop_loop, NULL);
    cp_shell_run(f->shell);
}

//  Run until n outcomes have arrived or WAIT_MS passed.
static void
s_run_until(fixture_t *f, int n)
{
    int64_t deadline = zclock_mono() + WAIT_MS;
    while (f->outcome_count < n && zclock_mono() < deadline)
        s_run(f, 20);
}

static int
s_setup(void **state)
{
    static int counter;             //  test-only: a distinct inproc prefix per test
    fixture_t *f = calloc(1, sizeof(fixture_t));
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "inproc://t-req-%d", ++counter);
    cp_bus_endpoints_init(&f->ep, prefix);
    f->broker = zactor_new(cp_bus_broker_actor, &f->ep);
    f->bob = cp_bus_new(&f->ep, "bob");
    f->supervisor = cp_bus_new(&f->ep, "supervisor");
    f->clock = cp_clock_new_system();
    char pipe[64];
    snprintf(pipe, sizeof(pipe), "inproc://t-req-pipe-%d", counter);
    f->pipe[0] = zsock_new(ZMQ_PAIR);
    f->pipe[1] = zsock_new(ZMQ_PAIR);
    assert_int_equal(zsock_bind(f->pipe[0], "%s", pipe), 0);
    assert_int_equal(zsock_connect(f->pipe[1], "%s", pipe), 0);
    snprintf(f->args.name, sizeof(f->args.name), "alice");
    f->args.bus = f->ep;
    f->args.clock = f->clock;
    f->shell = cp_shell_new(f->pipe[0], &f->args);
    assert_non_null(f->shell);
    cp_shell_set_handler(f->shell, s_handler, f);
    //  Bob is routable once a request reaches him (connections are
    //  asynchronous): until then requests come back unreachable.
    cp_msg_t *ping = cp_msg_new(CP_MSG_SNAPSHOT_REQUEST);
    int64_t deadline = zclock_mono() + WAIT_MS;
    bool routable = false;
    while (!routable && zclock_mono() < deadline) {
        f->outcome_count = 0;
        uint64_t corr = cp_shell_request_within(f->shell, "bob", ping, WAIT_MS);
        assert_true(corr != 0);
        cp_bus_envelope_t env;
        cp_msg_t *got = bench_recv(f->bob, cp_bus_requests(f->bob), &env, 100);
        if (got) {
            routable = true;
            cp_bus_reply(f->bob, &env, got, true);
            cp_msg_destroy(&got);
        }
        s_run_until(f, 1);              //  the reply, or "unreachable"
    }
    cp_msg_destroy(&ping);
    assert_true(routable);
    f->outcome_count = 0;
    f->partials = 0;
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    cp_shell_destroy(&f->shell);
    zsock_destroy(&f->pipe[0]);
    zsock_destroy(&f->pipe[1]);
    cp_bus_destroy(&f->bob);
    cp_bus_destroy(&f->supervisor);
    zactor_destroy(&f->broker);
    cp_clock_destroy(&f->clock);
    free(f);
    return 0;
}

static uint64_t
s_ask_bob(fixture_t *f, int64_t timeout_ms, cp_bus_envelope_t *bob_env)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_CONFIG_GET);
    uint64_t corr = cp_shell_request_within(f->shell, "bob", msg, timeout_ms);
    cp_msg_destroy(&msg);
    assert_true(corr != 0);
    cp_msg_t *got = bench_recv(f->bob, cp_bus_requests(f->bob), bob_env, WAIT_MS);
    assert_non_null(got);
    assert_int_equal(bob_env->corr, corr);
    cp_msg_destroy(&got);
    return corr;
}

static void
s_bob_replies(fixture_t *f, const cp_bus_envelope_t *bob_env, bool final)
{
    cp_msg_t *reply = cp_msg_new(CP_MSG_REPLY);
    reply->u.reply.ok = true;
    assert_int_equal(cp_bus_reply(f->bob, bob_env, reply, final), 0);
    cp_msg_destroy(&reply);
}

static void
test_shell_reply(void **state)
{
    fixture_t *f = *state;
    cp_bus_envelope_t bob_env;
    uint64_t corr = s_ask_bob(f, WAIT_MS, &bob_env);
    assert_int_equal(cp_shell_requests_pending(f->shell), 1);
    s_bob_replies(f, &bob_env, false);
    s_bob_replies(f, &bob_env, true);
    s_run_until(f, 1);
    assert_int_equal(f->outcome_count, 1);
    assert_int_equal(f->outcomes[0].kind, CP_BUS_REPLY);
    assert_int_equal(f->outcomes[0].corr, corr);
    assert_int_equal(f->partials, 1);
    assert_int_equal(cp_shell_requests_pending(f->shell), 0);
    //  a duplicate final reply is not a second outcome
    s_bob_replies(f, &bob_env, true);
    s_bob_replies(f, &bob_env, false);
    s_run(f, 200);
    assert_int_equal(f->outcome_count, 1);
    assert_int_equal(f->partials, 1);
}

static void
test_shell_timeout_then_late_reply(void **state)
{
    fixture_t *f = *state;
    cp_bus_envelope_t bob_env;
    int64_t sent = zclock_mono();
    uint64_t corr = s_ask_bob(f, 300, &bob_env);
    s_run_until(f, 1);
    assert_int_equal(f->outcome_count, 1);
    assert_int_equal(f->outcomes[0].kind, CP_BUS_TIMEOUT);
    assert_int_equal(f->outcomes[0].corr, corr);
    assert_string_equal(f->outcomes[0].peer, "bob");
    assert_true(zclock_mono() - sent >= 300);
    //  bob answers after all: dropped, the handler already had its outcome
    s_bob_replies(f, &bob_env, true);
    s_run(f, 200);
    assert_int_equal(f->outcome_count, 1);
}

static void
test_shell_unreachable(void **state)
{
    fixture_t *f = *state;
    cp_msg_t *msg = cp_msg_new(CP_MSG_CONFIG_GET);
    uint64_t corr = cp_shell_request_within(f->shell, "nobody", msg, WAIT_MS);
    cp_msg_destroy(&msg);
    s_run_until(f, 1);
    assert_int_equal(f->outcome_count, 1);
    assert_int_equal(f->outcomes[0].kind, CP_BUS_UNREACHABLE);
    assert_int_equal(f->outcomes[0].corr, corr);
    assert_int_equal(cp_shell_requests_pending(f->shell), 0);
}

static void
s_announce(fixture_t *f, const char *name, const char *state, int64_t seq)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_ACTOR_STATE);
    cp_msg_set_str(msg->u.actor_state.name, name);
    cp_msg_set_str(msg->u.actor_state.state, state);
    msg->u.actor_state.incarnation = 2;
    msg->u.actor_state.seq = seq;
    char topic[64];
    snprintf(topic, sizeof(topic), "sys.actor.%s", name);
    assert_int_equal(cp_bus_publish(f->supervisor, topic, msg), 0);
    cp_msg_destroy(&msg);
}

static void
test_shell_peer_down(void **state)
{
    fixture_t *f = *state;
    cp_bus_envelope_t bob_env;
    //  A long deadline: only the announcement can end it in time. The
    //  shell's subscription propagates asynchronously, so announce until
    //  the outcome comes (each announcement is harmless: the request is
    //  failed once, then no longer in flight).
    uint64_t corr = s_ask_bob(f, 60000, &bob_env);
    int64_t deadline = zclock_mono() + WAIT_MS;
    while (f->outcome_count == 0 && zclock_mono() < deadline) {
        s_announce(f, "bob", "down", cp_msg_seq_now());
        s_run(f, 20);
    }
    assert_int_equal(f->outcome_count, 1);
    assert_int_equal(f->outcomes[0].kind, CP_BUS_UNREACHABLE);
    assert_int_equal(f->outcomes[0].corr, corr);
    //  bob's late answer (it "was only slow") is dropped
    s_bob_replies(f, &bob_env, true);
    s_run(f, 200);
    assert_int_equal(f->outcome_count, 1);

    //  A request sent after the death went to the next incarnation: an
    //  announcement of that (older) death does not fail it, nor does
    //  "running" or another actor's death.
    int64_t died = cp_msg_seq_now();
    f->outcome_count = 0;
    corr = s_ask_bob(f, 60000, &bob_env);
    s_announce(f, "bob", "down", died);
    s_announce(f, "bob", "running", cp_msg_seq_now());
    s_announce(f, "carol", "down", cp_msg_seq_now());
    s_run(f, 200);
    assert_int_equal(f->outcome_count, 0);
    s_bob_replies(f, &bob_env, true);
    s_run_until(f, 1);
    assert_int_equal(f->outcome_count, 1);
    assert_int_equal(f->outcomes[0].kind, CP_BUS_REPLY);
    assert_int_equal(f->outcomes[0].corr, corr);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_take_once),
        cmocka_unit_test(test_table_deadlines),
        cmocka_unit_test(test_table_peer_down),
        cmocka_unit_test(test_table_bounded),
        cmocka_unit_test_setup_teardown(test_shell_reply, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_shell_timeout_then_late_reply, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_shell_unreachable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_shell_peer_down, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
