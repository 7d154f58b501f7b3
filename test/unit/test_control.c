/* test_control.c — the cpctl commands and their exit codes, and the Reset
 * schedule.
 *
 * What cpctl users rely on (interface.md): 0 done, 1 refused with a
 * reason, 2 usage — for every command of the table in control.c, with the
 * usage of a command named in its usage error; a forwarded command answers
 * with its actor's reply, "not running" when its actor is not on the bus,
 * or "did not answer in time" past CP_CONTROL_TIMEOUT_MS (on a virtual
 * clock here). Checked against a real broker and a stand-in for the hw
 * actor; the supervisor's own answers (status, the actor table, fault
 * injection) come from a host that records what it was asked.
 * reset.c is pure: its schedule is checked on plain numbers.
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
#include "supervisor/control.h"
#include "supervisor/options.h"
#include "supervisor/reset.h"
#include "bench.h"

#define WAIT_MS 5000

typedef struct {
    cp_options_t options;
    cp_clock_t *clock;
    cp_bus_endpoints_t ep;
    zactor_t *broker;
    cp_bus_t *bus;                 //  the supervisor's side
    cp_bus_t *hw;                  //  a stand-in for the hw actor
    cp_control_t *control;
    zsock_t *client;               //  cpctl
    char fault_name[64], fault_kind[16];
    int fault_code;
    const char *starting;          //  the actor the host calls starting, if any
} fixture_t;

static json_t *
s_host_status(void *ctx)
{
    return json_pack("{s:s}", "chargePointId", "CP-TEST");
}

static void
s_host_list(void *ctx, char *text, size_t size)
{
    snprintf(text, size, "hw running restarts=0\n");
}

static int
s_host_fault(void *ctx, const char *name, const char *fault, char *reason, size_t size)
{
    fixture_t *f = ctx;
    snprintf(f->fault_name, sizeof(f->fault_name), "%s", name);
    snprintf(f->fault_kind, sizeof(f->fault_kind), "%s", fault);
    if (f->fault_code)
        snprintf(reason, size, "no actor named '%s'", name);
    return f->fault_code;
}

static bool
s_host_starting(void *ctx, const char *name)
{
    fixture_t *f = ctx;
    return f->starting && streq(f->starting, name);
}

static int
s_setup(void **state)
{
    static int run;
    fixture_t *f = calloc(1, sizeof(fixture_t));
    assert_non_null(f);
    cp_options_defaults(&f->options);
    f->options.connectors = 2;
    snprintf(f->options.control, sizeof(f->options.control), "inproc://test-control-%d", run);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "inproc://test-control-bus-%d", run++);
    cp_bus_endpoints_init(&f->ep, prefix);
    f->clock = cp_clock_new_virtual(1000, 1700000000000);
    f->broker = zactor_new(cp_bus_broker_actor, &f->ep);
    f->bus = cp_bus_new(&f->ep, "supervisor");
    f->hw = cp_bus_new(&f->ep, "hw");
    assert_non_null(f->clock);
    assert_non_null(f->broker);
    assert_non_null(f->bus);
    assert_non_null(f->hw);
    cp_control_host_t host = { .ctx = f, .status = s_host_status, .actor_list = s_host_list,
                               .actor_fault = s_host_fault, .actor_starting = s_host_starting };
    char err[256];
    f->control = cp_control_new(&f->options, f->clock, f->bus, &host, err, sizeof(err));
    assert_non_null(f->control);
    f->client = zsock_new_dealer(f->options.control);
    assert_non_null(f->client);
    zsock_set_rcvtimeo(f->client, WAIT_MS);
    //  Connections are asynchronous: hw is routable once a request reaches
    //  it (until then the broker answers "unreachable").
    cp_msg_t *probe = cp_msg_new(CP_MSG_SNAPSHOT_REQUEST);
    bool routable = false;
    for (int64_t deadline = zclock_mono() + WAIT_MS; !routable && zclock_mono() < deadline; ) {
        assert_true(cp_bus_request(f->bus, "hw", probe) != 0);
        cp_bus_envelope_t env;
        cp_msg_t *got = bench_recv(f->hw, cp_bus_requests(f->hw), &env, 100);
        routable = got != NULL;
        cp_msg_destroy(&got);
        cp_msg_t *answer = bench_recv(f->bus, cp_bus_requests(f->bus), &env, 0);  //  an "unreachable", if any
        cp_msg_destroy(&answer);
    }
    cp_msg_destroy(&probe);
    assert_true(routable);
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    zsock_destroy(&f->client);
    cp_control_destroy(&f->control);
    assert_null(f->control);
    cp_bus_destroy(&f->hw);
    cp_bus_destroy(&f->bus);
    zactor_destroy(&f->broker);
    cp_clock_destroy(&f->clock);
    free(f);
    return 0;
}

//  Send the words as cpctl does and let the control socket take them.
static void
s_send(fixture_t *f, const char *const *words)
{
    zmsg_t *msg = zmsg_new();
    for (; *words; words++)
        zmsg_addstr(msg, *words);
    assert_int_equal(zmsg_send(&msg, f->client), 0);
    zpoller_t *poller = zpoller_new(cp_control_socket(f->control), NULL);
    assert_ptr_equal(zpoller_wait(poller, WAIT_MS), cp_control_socket(f->control));
    zpoller_destroy(&poller);
    cp_control_on_command(f->control);
}

//  The answer to cpctl: code, and text into buf.
static int
s_answer(fixture_t *f, char *buf, size_t size)
{
    zmsg_t *msg = zmsg_recv(f->client);
    assert_non_null(msg);
    char *code = zmsg_popstr(msg), *text = zmsg_popstr(msg);
    assert_non_null(code);
    snprintf(buf, size, "%s", text ? text : "");
    int rc = atoi(code);
    zstr_free(&code);
    zstr_free(&text);
    zmsg_destroy(&msg);
    return rc;
}

#define ASK(f, buf, ...) (s_send((f), (const char *const[]) { __VA_ARGS__, NULL }), \
                          s_answer((f), (buf), sizeof(buf)))

//  The outcome of a forwarded request, as the supervisor's loop passes it.
static void
s_pump_reply(fixture_t *f)
{
    zpoller_t *poller = zpoller_new(cp_bus_requests(f->bus), NULL);
    assert_non_null(zpoller_wait(poller, WAIT_MS));
    zpoller_destroy(&poller);
    cp_bus_envelope_t env;
    bool dropped = false;
    cp_msg_t *msg = cp_bus_recv(f->bus, cp_bus_requests(f->bus), &env, &dropped);
    assert_false(dropped);
    assert_true(cp_control_on_reply(f->control, &env, msg));
    cp_msg_destroy(&msg);
}

//  The request the stand-in hw actor receives.
static cp_msg_t *
s_hw_receive(fixture_t *f, cp_bus_envelope_t *env)
{
    zpoller_t *poller = zpoller_new(cp_bus_requests(f->hw), NULL);
    assert_non_null(zpoller_wait(poller, WAIT_MS));
    zpoller_destroy(&poller);
    cp_msg_t *msg = cp_bus_recv(f->hw, cp_bus_requests(f->hw), env, NULL);
    assert_non_null(msg);
    assert_int_equal(env->kind, CP_BUS_REQUEST);
    return msg;
}

static void
test_status_and_actor_table(void **state)
{
    fixture_t *f = *state;
    char buf[512];
    assert_int_equal(ASK(f, buf, "status"), 0);
    assert_non_null(strstr(buf, "\"chargePointId\": \"CP-TEST\""));
    assert_int_equal(ASK(f, buf, "actor", "list"), 0);
    assert_string_equal(buf, "hw running restarts=0\n");
    assert_int_equal(ASK(f, buf, "actor", "hang", "metering"), 0);
    assert_string_equal(f->fault_name, "metering");
    assert_string_equal(f->fault_kind, "hang");
    assert_string_equal(buf, "metering: hang sent");
    f->fault_code = 1;
    assert_int_equal(ASK(f, buf, "actor", "kill", "nobody"), 1);
    assert_string_equal(f->fault_kind, "kill");
    assert_string_equal(buf, "no actor named 'nobody'");
}

static void
test_usage_errors(void **state)
{
    fixture_t *f = *state;
    char buf[512];
    assert_int_equal(ASK(f, buf, "frobnicate"), 2);
    assert_string_equal(buf, "unknown command or wrong arguments: 'frobnicate'");
    //  The right words with the wrong count: the command's usage is named.
    assert_int_equal(ASK(f, buf, "status", "now"), 2);
    assert_non_null(strstr(buf, "usage: status"));
    assert_int_equal(ASK(f, buf, "plug"), 2);
    assert_non_null(strstr(buf, "usage: plug N"));
    assert_int_equal(ASK(f, buf, "ev", "1", "fly"), 2);
    assert_non_null(strstr(buf, "ev N charge|pause"));
    assert_int_equal(ASK(f, buf, "actor", "kill"), 2);
    assert_non_null(strstr(buf, "actor list | actor kill NAME | actor hang NAME"));
    assert_int_equal(ASK(f, buf, "actor", "frob", "hw"), 2);
    assert_int_equal(ASK(f, buf, "config", "set", "K"), 2);
    assert_int_equal(ASK(f, buf, "datatransfer"), 2);
    assert_int_equal(ASK(f, buf, "datatransfer", "a", "b", "c", "d"), 2);
    //  More words than cpctl ever sends: malformed.
    assert_int_equal(ASK(f, buf, "a", "b", "c", "d", "e", "f", "g", "h", "i"), 2);
    assert_string_equal(buf, "bad request");
    assert_string_equal(cp_control_usage("ev"), "ev N charge|pause");
    assert_null(cp_control_usage("frobnicate"));
    assert_null(cp_control_usage(NULL));
}

static void
test_refusals(void **state)
{
    fixture_t *f = *state;
    char buf[512];
    const char *bad[] = { "0", "3", "-1", "1x", "", "99999999999999999999" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ASK(f, buf, "plug", bad[i]), 1);
        assert_non_null(strstr(buf, "(1..2)"));
    }
    assert_int_equal(ASK(f, buf, "fault", "7", "rcd"), 1);
    assert_int_equal(ASK(f, buf, "ev", "0", "charge"), 1);
    char longer[600];
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(ASK(f, buf, "swipe", longer), 1);
    assert_string_equal(buf, "argument too long");
    assert_int_equal(ASK(f, buf, "config", "set", longer, "1"), 1);
    assert_int_equal(ASK(f, buf, "datatransfer", longer), 1);
    assert_non_null(strstr(buf, "vendorId is at most 255"));
}

//  A forwarded command: the actor gets the request, cpctl its reply.
static void
test_forwarded_reply(void **state)
{
    fixture_t *f = *state;
    char buf[512];
    s_send(f, (const char *const[]) { "ev", "2", "charge", NULL });
    cp_bus_envelope_t env;
    cp_msg_t *req = s_hw_receive(f, &env);
    assert_int_equal(req->type, CP_MSG_HW_COMMAND);
    assert_int_equal(req->u.hw_command.connector, 2);
    assert_string_equal(req->u.hw_command.command, "ev_charge");
    cp_msg_destroy(&req);
    cp_msg_t *reply = cp_msg_new(CP_MSG_REPLY);
    reply->u.reply.ok = false;
    cp_msg_set_str(reply->u.reply.reason, "not plugged");
    assert_int_equal(cp_bus_reply(f->hw, &env, reply, true), 0);
    cp_msg_destroy(&reply);
    s_pump_reply(f);
    assert_int_equal(s_answer(f, buf, sizeof(buf)), 1);
    assert_string_equal(buf, "not plugged");

    s_send(f, (const char *const[]) { "swipe", "TAG-1", NULL });
    req = s_hw_receive(f, &env);
    assert_string_equal(req->u.hw_command.command, "swipe");
    assert_string_equal(req->u.hw_command.arg, "TAG-1");
    assert_int_equal(req->u.hw_command.connector, 0);
    cp_msg_destroy(&req);
    reply = cp_msg_new(CP_MSG_REPLY);
    reply->u.reply.ok = true;
    cp_bus_reply(f->hw, &env, reply, true);
    cp_msg_destroy(&reply);
    s_pump_reply(f);
    assert_int_equal(s_answer(f, buf, sizeof(buf)), 0);
}

//  The config actor is not on the bus: the broker says so, cpctl hears it.
static void
test_forwarded_unreachable(void **state)
{
    fixture_t *f = *state;
    char buf[512];
    s_send(f, (const char *const[]) { "config", "get", "HeartbeatInterval", NULL });
    s_pump_reply(f);
    assert_int_equal(s_answer(f, buf, sizeof(buf)), 1);
    assert_string_equal(buf, "actor config is not running right now; try again");
}

//  True when the client has an answer within ms.
static bool
s_answered_within(fixture_t *f, int ms)
{
    zpoller_t *poller = zpoller_new(f->client, NULL);
    bool answered = zpoller_wait(poller, ms) != NULL;
    zpoller_destroy(&poller);
    return answered;
}

//  `config get` while config is starting: the broker's "unreachable" is
//  taken in, and cpctl gets no answer yet.
static void
s_config_get_while_starting(fixture_t *f)
{
    f->starting = "config";
    s_send(f, (const char *const[]) { "config", "get", "HeartbeatInterval", NULL });
    s_pump_reply(f);
    assert_false(s_answered_within(f, 50));
}

//  config is restarting: the command is not refused, it waits; once the
//  actor is on the bus and heard serving it gets the command and cpctl
//  its answer. (The actor that connects is routable only once the broker
//  has taken its connection: until then each resend comes back
//  unreachable and waits again, as it would for a real restart.)
static void
test_forwarded_waits_for_a_starting_actor(void **state)
{
    fixture_t *f = *state;
    char buf[512];
    s_config_get_while_starting(f);

    cp_bus_t *config = cp_bus_new(&f->ep, "config");
    assert_non_null(config);
    f->starting = NULL;                             //  heard serving
    cp_msg_t *req = NULL;
    cp_bus_envelope_t env;
    for (int64_t deadline = zclock_mono() + WAIT_MS; !req && zclock_mono() < deadline; ) {
        cp_control_actor_serving(f->control, "config");
        req = bench_recv(config, cp_bus_requests(config), &env, 100);
        if (!req) {
            f->starting = "config";                 //  not routable yet: it waits again
            s_pump_reply(f);
            f->starting = NULL;
        }
    }
    assert_non_null(req);
    assert_int_equal(req->type, CP_MSG_CONFIG_GET);
    cp_msg_destroy(&req);
    cp_msg_t *reply = cp_msg_new(CP_MSG_CONFIG_VALUES);
    assert_int_equal(cp_msg_set_text(&reply->u.config_values.json, "[{\"key\":\"HeartbeatInterval\"}]"), 0);
    cp_bus_reply(config, &env, reply, true);
    cp_msg_destroy(&reply);
    s_pump_reply(f);
    assert_int_equal(s_answer(f, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "[{\"key\":\"HeartbeatInterval\"}]");
    cp_bus_destroy(&config);
}

//  An actor that never comes back within the deadline: "not running".
static void
test_forwarded_wait_ends_at_the_deadline(void **state)
{
    fixture_t *f = *state;
    char buf[512];
    s_config_get_while_starting(f);
    cp_control_expire(f->control);                  //  sent again: unreachable again, waits again
    s_pump_reply(f);
    assert_false(s_answered_within(f, 50));
    cp_clock_advance(f->clock, CP_CONTROL_TIMEOUT_MS + 1);
    cp_control_expire(f->control);
    assert_int_equal(s_answer(f, buf, sizeof(buf)), 1);
    assert_string_equal(buf, "actor config is not running right now; try again");
}

//  The hw actor takes the request and never answers.
static void
test_forwarded_timeout(void **state)
{
    fixture_t *f = *state;
    char buf[512];
    s_send(f, (const char *const[]) { "unplug", "1", NULL });
    cp_bus_envelope_t env;
    cp_msg_t *req = s_hw_receive(f, &env);
    cp_msg_destroy(&req);
    cp_control_expire(f->control);
    cp_clock_advance(f->clock, CP_CONTROL_TIMEOUT_MS);
    cp_control_expire(f->control);                 //  at the deadline: not yet
    cp_clock_advance(f->clock, 1);
    cp_control_expire(f->control);
    assert_int_equal(s_answer(f, buf, sizeof(buf)), 1);
    assert_string_equal(buf, "actor hw did not answer in time");
    //  A late reply then belongs to nobody.
    cp_msg_t *reply = cp_msg_new(CP_MSG_REPLY);
    reply->u.reply.ok = true;
    cp_bus_reply(f->hw, &env, reply, true);
    cp_msg_destroy(&reply);
    zpoller_t *poller = zpoller_new(cp_bus_requests(f->bus), NULL);
    assert_non_null(zpoller_wait(poller, WAIT_MS));
    zpoller_destroy(&poller);
    cp_msg_t *late = cp_bus_recv(f->bus, cp_bus_requests(f->bus), &env, NULL);
    assert_false(cp_control_on_reply(f->control, &env, late));
    cp_msg_destroy(&late);
}

//  --------------------------------------------------------------------------
//  reset.c

static void
test_reset_schedule(void **state)
{
    cp_reset_t *r = cp_reset_new();
    assert_non_null(r);
    assert_true(cp_reset_at(r) == INT64_MAX);
    assert_int_equal(cp_reset_due(r, 0), CP_RESET_NONE);
    cp_reset_request(r, "Soft", 1000);
    assert_int_equal(cp_reset_at(r), 1000 + CP_RESET_DELAY_MS);
    assert_int_equal(cp_reset_due(r, 1000 + CP_RESET_DELAY_MS - 1), CP_RESET_NONE);
    assert_int_equal(cp_reset_due(r, 1000 + CP_RESET_DELAY_MS), CP_RESET_SOFT);
    assert_int_equal(cp_reset_due(r, 9000), CP_RESET_NONE);         //  once
    assert_true(cp_reset_at(r) == INT64_MAX);
    cp_reset_request(r, "Hard", 5000);
    cp_reset_request(r, "Soft", 6000);                               //  the last request wins
    assert_int_equal(cp_reset_due(r, 5000 + CP_RESET_DELAY_MS), CP_RESET_NONE);
    assert_int_equal(cp_reset_due(r, 6000 + CP_RESET_DELAY_MS), CP_RESET_SOFT);
    cp_reset_request(r, "Hard", 0);
    assert_int_equal(cp_reset_due(r, CP_RESET_DELAY_MS), CP_RESET_HARD);
    cp_reset_destroy(&r);
    assert_null(r);
}

int
main(void)
{
    zsys_init();
    zsys_set_linger(0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_status_and_actor_table, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_forwarded_reply, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_forwarded_unreachable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_forwarded_waits_for_a_starting_actor, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_forwarded_wait_ends_at_the_deadline, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_forwarded_timeout, s_setup, s_teardown),
        cmocka_unit_test(test_reset_schedule),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
