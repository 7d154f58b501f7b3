/* test_safety_actor.c — the safety actor's shell on an inproc bus with the
 * simulated charger behind it (the rules themselves: test_safety_core.c).
 *
 * Checks what the fail-safe promise rests on: the actor approves safe
 * connectors by itself at start, a trip opens the contactor directly in
 * the driver within a tick and is published as safety_state, a snapshot
 * returns every connector, a clean stop withdraws every permission, a
 * crashed actor's contactors open by the hw watchdog alone, and a driver
 * that can rest (the board link) is rested while the charger is idle and
 * fed again once a car is announced.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "actors/safety/safety_actor.h"
#include "actors/safety/safety_core.h"
#include "hw/hw.h"
#include "hw/sim/sim.h"
#include "messages/msg.h"
#include "supervisor/bus.h"
#include "supervisor/clock.h"
#include "supervisor/shell.h"
#include "test/unit/bench.h"

typedef struct {
    char dir[64];                   //  state dir (the owner's settings)
    cp_options_t options;
    cp_bus_endpoints_t ep;
    zactor_t *broker;
    cp_clock_t *clock;
    hw_driver_t *hw;
    cp_actor_args_t args;
    zactor_t *actor;
    cp_bus_t *tester;
    hw_driver_t *sim;               //  the simulator under a resting driver, or NULL
    hw_driver_t resting;
} bench_t;

//  A driver that rests and announces steps, as the board link does: the
//  simulator's ops with notice_fds, counting rests and feeds.
static bool s_want_resting;
static const hw_driver_ops_t *s_sim_ops;
static hw_driver_ops_t s_resting_ops;
//  The counts change under s_count_lock and wake s_count_changed, so a
//  test waits for the call itself, not for time to pass.
static int s_rests, s_feeds;
static pthread_mutex_t s_count_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_count_changed = PTHREAD_COND_INITIALIZER;
static int s_idle_fd = -1, s_notice_fd = -1;

static void
s_count_up(int *counter)
{
    pthread_mutex_lock(&s_count_lock);
    (*counter)++;
    pthread_cond_broadcast(&s_count_changed);
    pthread_mutex_unlock(&s_count_lock);
}

static int
s_count(const int *counter)
{
    pthread_mutex_lock(&s_count_lock);
    int value = *counter;
    pthread_mutex_unlock(&s_count_lock);
    return value;
}

static int
s_counting_rest(hw_driver_t *driver, int timeout_ms)
{
    s_count_up(&s_rests);
    return s_sim_ops->safety_rest(driver, timeout_ms);
}

static int
s_counting_feed(hw_driver_t *driver, int timeout_ms)
{
    s_count_up(&s_feeds);
    return s_sim_ops->safety_feed(driver, timeout_ms);
}

static void
s_notice_fds(hw_driver_t *driver, int fds[2])
{
    fds[0] = s_idle_fd;
    fds[1] = s_notice_fd;
}

static void
s_shim(zsock_t *pipe, void *args)
{
    zsock_signal(pipe, 0);
    safety_actor(pipe, args);
}

static hw_connector_state_t
s_read(bench_t *b, int n)
{
    hw_connector_state_t st;
    assert_int_equal(b->hw->ops->read(b->hw, n, &st), 0);
    return st;
}

//  Poll the driver until connector n's permission is `permitted`; ms taken.
static int64_t
s_wait_permitted(bench_t *b, int n, bool permitted, int64_t timeout_ms)
{
    int64_t start = zclock_mono();
    while (zclock_mono() - start < timeout_ms) {
        if (s_read(b, n).permitted == permitted)
            return zclock_mono() - start;
        zclock_sleep(5);
    }
    fail_msg("connector %d never became %s", n, permitted ? "permitted" : "forbidden");
    return -1;
}

static int
s_setup(void **state)
{
    bench_t *b = calloc(1, sizeof(bench_t));
    assert_non_null(b);
    bench_state_dir(b->dir, sizeof(b->dir), "safety");
    cp_options_defaults(&b->options);
    snprintf(b->options.state_dir, sizeof(b->options.state_dir), "%s", b->dir);
    b->options.connectors = 2;
    bench_seed_config(&b->options);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "inproc://test-safety-%" PRId64, zclock_usecs());
    cp_bus_endpoints_init(&b->ep, prefix);
    b->broker = zactor_new(cp_bus_broker_actor, &b->ep);
    assert_non_null(b->broker);
    b->clock = cp_clock_new_system();
    assert_non_null(b->clock);
    b->hw = hw_sim_new(2, b->clock);
    assert_non_null(b->hw);
    if (s_want_resting) {
        b->sim = b->hw;
        s_sim_ops = b->sim->ops;
        s_resting_ops = *b->sim->ops;
        s_resting_ops.safety_rest = s_counting_rest;
        s_resting_ops.safety_feed = s_counting_feed;
        s_resting_ops.notice_fds = s_notice_fds;
        s_rests = s_feeds = 0;             //  the actor is not running yet
        s_idle_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        s_notice_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        b->resting = (hw_driver_t) { .ops = &s_resting_ops, .impl = b->sim->impl };
        b->hw = &b->resting;
    }
    //  the controller's offer (a board powers on offering nothing)
    assert_int_equal(b->hw->ops->set_offered_current(b->hw, 1, 32), 0);
    assert_int_equal(b->hw->ops->set_offered_current(b->hw, 2, 32), 0);
    b->tester = cp_bus_new(&b->ep, "tester");
    assert_non_null(b->tester);
    assert_int_equal(cp_bus_subscribe(b->tester, "safety."), 0);
    snprintf(b->args.name, sizeof(b->args.name), "safety");
    b->args.bus = b->ep;
    b->args.clock = b->clock;
    b->args.hw = b->hw;
    b->args.options = &b->options;
    atomic_init(&b->args.abandon, false);
    atomic_init(&b->args.terminated, false);
    //  Power-on: nothing may close before the safety actor runs.
    assert_int_equal(b->hw->ops->set_contactor(b->hw, 1, true), -1);
    b->actor = zactor_new(s_shim, &b->args);
    assert_non_null(b->actor);
    s_wait_permitted(b, 1, true, 2000);
    s_wait_permitted(b, 2, true, 2000);
    zclock_sleep(100);                  //  let the subscription settle
    *state = b;
    return 0;
}

static int
s_teardown(void **state)
{
    bench_t *b = *state;
    if (b->actor)
        zactor_destroy(&b->actor);
    cp_bus_destroy(&b->tester);
    zactor_destroy(&b->broker);
    if (b->sim) {
        hw_driver_destroy(&b->sim);
        close(s_idle_fd);
        close(s_notice_fd);
        s_want_resting = false;
    }
    else
        hw_driver_destroy(&b->hw);
    cp_clock_destroy(&b->clock);
    bench_state_dir_remove(b->dir);
    free(b);
    return 0;
}

static cp_msg_t *
s_recv(bench_t *b, zsock_t *which, cp_bus_envelope_t *env, int timeout_ms)
{
    return bench_recv(b->tester, which, env, timeout_ms);
}

//  Wait for a safety_state event of connector n with tripped == tripped.
static cp_msg_t *
s_wait_state(bench_t *b, int n, bool tripped, int timeout_ms)
{
    char topic[40];
    safety_topic(n, topic, sizeof(topic));
    int64_t deadline = zclock_mono() + timeout_ms;
    while (zclock_mono() < deadline) {
        cp_bus_envelope_t env;
        cp_msg_t *msg = s_recv(b, cp_bus_events(b->tester), &env, 100);
        if (msg && streq(env.topic, topic) && msg->type == CP_MSG_SAFETY_STATE
        &&  msg->u.safety_state.tripped == tripped)
            return msg;
        cp_msg_destroy(&msg);
    }
    fail_msg("no %s event with tripped=%d", topic, tripped);
    return NULL;
}

static void
s_sim(bench_t *b, int n, const char *cmd, const char *arg)
{
    char reason[100];
    assert_int_equal(b->hw->ops->simulate(b->hw, n, cmd, arg, reason, sizeof(reason)), 0);
}

static void
s_charge(bench_t *b, int n)
{
    s_sim(b, n, "plug", NULL);
    s_sim(b, n, "ev_charge", NULL);
    assert_int_equal(b->hw->ops->set_contactor(b->hw, n, true), 0);
    assert_true(s_read(b, n).power_w > 0);
}

static int
s_setup_resting(void **state)
{
    s_want_resting = true;
    return s_setup(state);
}

//  Until *counter reaches at least target, woken by each count (5 s at most).
static void
s_wait_count(const int *counter, int target, const char *what)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 5;
    pthread_mutex_lock(&s_count_lock);
    int rc = 0;
    while (*counter < target && rc == 0)
        rc = pthread_cond_timedwait(&s_count_changed, &s_count_lock, &deadline);
    int value = *counter;
    pthread_mutex_unlock(&s_count_lock);
    if (value < target)
        fail_msg("%s: %d, not %d", what, value, target);
}

//  Idle, with a driver that can rest and announce: rested, not fed; a
//  step announced wakes it, and with a car there it feeds again (so a
//  contactor may close) and no longer rests.
static void
test_rests_when_idle_and_wakes_on_notice(void **state)
{
    bench_t *b = *state;
    s_wait_count(&s_rests, 2, "rests of an idle charger");
    int feeds = s_count(&s_feeds);
    s_wait_count(&s_rests, s_count(&s_rests) + 2, "rests go on");
    assert_int_equal(s_count(&s_feeds), feeds);          //  and nothing is fed meanwhile
    assert_true(s_read(b, 1).permitted);                     //  the permissions kept

    s_sim(b, 1, "plug", NULL);
    uint64_t one = 1;
    assert_int_equal(write(s_notice_fd, &one, sizeof(one)), (ssize_t) sizeof(one));
    s_wait_count(&s_feeds, feeds + 1, "feeds once a car is announced");
    int rests = s_count(&s_rests);
    s_wait_count(&s_feeds, s_count(&s_feeds) + 3, "feeds go on");
    assert_int_equal(s_count(&s_rests), rests);          //  no rest with a car there
    s_sim(b, 1, "ev_charge", NULL);
    assert_int_equal(b->hw->ops->set_contactor(b->hw, 1, true), 0);
}

static void
test_trip_opens_directly(void **state)
{
    bench_t *b = *state;
    s_charge(b, 1);
    s_charge(b, 2);
    zclock_sleep(300);
    assert_true(s_read(b, 1).contactor_closed);     //  fed and approved: holds
    s_sim(b, 1, "fault", "rcd");
    int64_t ms = s_wait_permitted(b, 1, false, 1000);
    assert_true(ms <= 3 * SAFETY_TICK_MS);
    hw_connector_state_t st = s_read(b, 1);
    assert_false(st.contactor_closed);
    assert_true(st.power_w == 0);
    assert_true(s_read(b, 2).contactor_closed);     //  the other one goes on
    cp_msg_t *msg = s_wait_state(b, 1, true, 2000);
    assert_int_equal(msg->u.safety_state.connector, 1);
    assert_string_equal(msg->u.safety_state.error_code, "GroundFailure");
    assert_string_equal(msg->u.safety_state.vendor_error, "ResidualCurrent");
    assert_string_equal(msg->u.safety_state.stop_reason, "EmergencyStop");
    assert_true(msg->u.safety_state.seq > 0);
    cp_msg_destroy(&msg);
    //  Closing is refused while tripped.
    assert_int_equal(b->hw->ops->set_contactor(b->hw, 1, true), -1);
    //  Clear + unplug: approved again, and published.
    s_sim(b, 1, "fault", "clear");
    s_sim(b, 1, "unplug", NULL);
    s_wait_permitted(b, 1, true, 1000);
    msg = s_wait_state(b, 1, false, 2000);
    assert_string_equal(msg->u.safety_state.error_code, "NoError");
    cp_msg_destroy(&msg);
}

//  The owner's EarthingSystem (safety_core.h rule 2), changed at run time
//  through config.changed: on TT the earth (PE-N) monitor does not trip;
//  back on TN the same reading trips at once. The residual-current monitor
//  trips on both.
static void
s_earthing(bench_t *b, const char *value)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_CONFIG_CHANGED);
    assert_non_null(msg);
    cp_msg_set_str(msg->u.config_changed.key, "EarthingSystem");
    cp_msg_set_str(msg->u.config_changed.value, value);
    assert_int_equal(cp_bus_publish(b->tester, "config.changed", msg), 0);
    cp_msg_destroy(&msg);
    zclock_sleep(3 * SAFETY_TICK_MS);
}

static void
test_earthing_system(void **state)
{
    bench_t *b = *state;
    s_charge(b, 1);
    s_earthing(b, "TT");
    s_sim(b, 1, "fault", "ground");
    zclock_sleep(5 * SAFETY_TICK_MS);
    assert_true(s_read(b, 1).permitted);
    assert_true(s_read(b, 1).contactor_closed);     //  charging goes on under TT
    s_earthing(b, "TN");
    s_wait_permitted(b, 1, false, 1000);
    cp_msg_t *msg = s_wait_state(b, 1, true, 2000);
    assert_string_equal(msg->u.safety_state.error_code, "GroundFailure");
    assert_string_equal(msg->u.safety_state.vendor_error, "EarthContinuity");
    cp_msg_destroy(&msg);
    //  Residual current trips whatever the earthing.
    s_sim(b, 2, "plug", NULL);
    s_earthing(b, "TT");
    s_sim(b, 2, "fault", "rcd");
    s_wait_permitted(b, 2, false, 1000);
}

static void
test_snapshot(void **state)
{
    bench_t *b = *state;
    s_sim(b, 2, "fault", "overtemp");
    s_wait_permitted(b, 2, false, 1000);
    cp_msg_t *req = cp_msg_new(CP_MSG_SNAPSHOT_REQUEST);
    assert_non_null(req);
    uint64_t corr = cp_bus_request(b->tester, "safety", req);
    cp_msg_destroy(&req);
    assert_true(corr != 0);
    int states = 0;
    for (;;) {
        cp_bus_envelope_t env;
        cp_msg_t *reply = s_recv(b, cp_bus_requests(b->tester), &env, 2000);
        assert_non_null(reply);
        assert_true(env.corr == corr);
        if (reply->type == CP_MSG_REPLY) {
            assert_true(reply->u.reply.ok);
            cp_msg_destroy(&reply);
            break;
        }
        assert_int_equal(reply->type, CP_MSG_SAFETY_STATE);
        const cp_msg_safety_state_t *s = &reply->u.safety_state;
        states++;
        assert_int_equal(s->connector, states);
        if (s->connector == 2) {
            assert_true(s->tripped);
            assert_string_equal(s->error_code, "HighTemperature");
            assert_true(s->derate_a == SAFETY_DERATE_A);
        }
        else
            assert_false(s->tripped);
        cp_msg_destroy(&reply);
    }
    assert_int_equal(states, 2);
}

static void
test_clean_stop_withdraws(void **state)
{
    bench_t *b = *state;
    s_charge(b, 1);
    zactor_destroy(&b->actor);                      //  $TERM
    assert_true(atomic_load(&b->args.terminated));
    hw_connector_state_t st = s_read(b, 1);
    assert_false(st.permitted);
    assert_false(st.contactor_closed);
}

static void
test_crash_opens_by_watchdog(void **state)
{
    bench_t *b = *state;
    s_charge(b, 1);
    //  Injected crash: the actor leaves without withdrawing anything.
    zstr_send(b->actor, "$KILL");
    int64_t start = zclock_mono();
    while (s_read(b, 1).contactor_closed) {
        assert_true(zclock_mono() - start < 2000);
        zclock_sleep(5);
    }
    int64_t ms = zclock_mono() - start;
    assert_true(ms <= SAFETY_WATCHDOG_MS + 2 * SAFETY_TICK_MS);
    assert_false(s_read(b, 1).permitted);
    assert_int_equal(b->hw->ops->set_contactor(b->hw, 1, true), -1);
    zactor_destroy(&b->actor);
    //  A new incarnation re-approves the safe connector; closing works again.
    atomic_store(&b->args.terminated, false);
    b->actor = zactor_new(s_shim, &b->args);
    assert_non_null(b->actor);
    s_wait_permitted(b, 1, true, 1000);
    assert_int_equal(b->hw->ops->set_contactor(b->hw, 1, true), 0);
}

static void
test_restart_withdraws_first(void **state)
{
    bench_t *b = *state;
    s_charge(b, 1);
    //  A fast restart (before the watchdog runs out) still opens: the gap
    //  nobody supervised is unknown. Stop without the clean withdrawal...
    int64_t start = zclock_mono();
    zstr_send(b->actor, "$KILL");
    zactor_destroy(&b->actor);
    atomic_store(&b->args.terminated, false);
    b->actor = zactor_new(s_shim, &b->args);
    assert_non_null(b->actor);
    //  ...opened by the new incarnation (well before the watchdog would
    //  have), and approved again.
    for (;;) {
        hw_connector_state_t st = s_read(b, 1);
        if (!st.contactor_closed && st.permitted)
            break;
        assert_true(zclock_mono() - start < SAFETY_WATCHDOG_MS - 100);
        zclock_sleep(2);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_trip_opens_directly, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_rests_when_idle_and_wakes_on_notice, s_setup_resting, s_teardown),
        cmocka_unit_test_setup_teardown(test_earthing_system, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_clean_stop_withdraws, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_crash_opens_by_watchdog, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_restart_withdraws_first, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
