/* test_hw_actor.c — the hw actor: its pure core, then the whole actor on
 * an inproc bus with the simulated charger behind it.
 *
 * The core tests pin down the publish rules (first sight, change, energy
 * while power flows, periodic refresh, dead bands; for the grid meter:
 * first sight, silence, a 0.2 A band, a 2 s refresh) and the validation of
 * every hw_command (idTag, RFID UID, PIN, connector, operands, grid). The actor
 * test checks what other actors rely on: a command is answered and its
 * effect published at once, tokens become hw.token events, and a snapshot
 * request returns every connector.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "actors/hw/hw_actor.h"
#include "actors/hw/hw_core.h"
#include "hw/hw.h"
#include "hw/sim/sim.h"
#include "messages/msg.h"
#include "supervisor/bus.h"
#include "supervisor/clock.h"
#include "supervisor/shell.h"
#include "test/unit/bench.h"

//  --------------------------------------------------------------------------
//  Core: publish decisions

static hw_connector_state_t
s_state(int connector)
{
    hw_connector_state_t st;
    memset(&st, 0, sizeof(st));
    st.connector = connector;
    st.pilot = 'A';
    st.voltage_v = 230;
    st.offered_a = 32;
    st.temperature_c = 25;
    snprintf(st.fault, sizeof(st.fault), "none");
    return st;
}

static void
test_core_new(void **state)
{
    assert_null(hw_core_new(0));
    assert_null(hw_core_new(HW_MAX_CONNECTORS + 1));
    hw_core_t *core = hw_core_new(HW_MAX_CONNECTORS);
    assert_non_null(core);
    assert_int_equal(hw_core_connectors(core), HW_MAX_CONNECTORS);
    hw_core_destroy(&core);
    assert_null(core);
}

//  The shell stops its fast tick only while every connector, as last
//  published, is at rest, and then sleeps until the earliest refresh.
static void
test_core_at_rest(void **state)
{
    hw_core_t *core = hw_core_new(2);
    hw_connector_state_t a = s_state(1);
    hw_connector_state_t b = s_state(2);
    assert_false(hw_core_at_rest(core));                //  nothing published yet
    assert_int_equal(hw_core_next_refresh(core), 0);
    hw_core_published(core, &a, 1000);
    assert_false(hw_core_at_rest(core));                //  connector 2 not yet
    hw_core_published(core, &b, 3000);
    assert_true(hw_core_at_rest(core));
    assert_int_equal(hw_core_next_refresh(core), 1000 + HW_CORE_REFRESH_MS);
    hw_connector_state_t st;
    st = b; st.plugged = true;           hw_core_published(core, &st, 4000); assert_false(hw_core_at_rest(core));
    st = b; st.pilot = 'B';              hw_core_published(core, &st, 4000); assert_false(hw_core_at_rest(core));
    st = b; st.ev_requesting = true;     hw_core_published(core, &st, 4000); assert_false(hw_core_at_rest(core));
    st = b; st.contactor_closed = true;  hw_core_published(core, &st, 4000); assert_false(hw_core_at_rest(core));
    st = b; st.power_w = 10;             hw_core_published(core, &st, 4000); assert_false(hw_core_at_rest(core));
    st = b; snprintf(st.fault, sizeof(st.fault), "rcd");
    hw_core_published(core, &st, 4000);
    assert_false(hw_core_at_rest(core));
    hw_core_published(core, &b, 4000);
    assert_true(hw_core_at_rest(core));
    hw_core_destroy(&core);
}

//  What the board link announces to the hw actor: steps, not the measured
//  values that move on their own.
static void
test_connector_stepped(void **state)
{
    hw_connector_state_t a = s_state(1);
    hw_connector_state_t st;
    st = a; st.energy_wh = 5; st.power_w = 3; st.current_a = 1; st.voltage_v = 231; st.temperature_c = 26;
    assert_false(hw_connector_stepped(&a, &st));
    st = a; st.plugged = true;           assert_true(hw_connector_stepped(&a, &st));
    st = a; st.pilot = 'B';              assert_true(hw_connector_stepped(&a, &st));
    st = a; st.ev_requesting = true;     assert_true(hw_connector_stepped(&a, &st));
    st = a; st.contactor_closed = true;  assert_true(hw_connector_stepped(&a, &st));
    st = a; st.locked = true;            assert_true(hw_connector_stepped(&a, &st));
    st = a; st.permitted = true;         assert_true(hw_connector_stepped(&a, &st));
    st = a; st.tamper = true;            assert_true(hw_connector_stepped(&a, &st));
    st = a; st.left_away = true;         assert_true(hw_connector_stepped(&a, &st));
    st = a; st.board_continuous = true;  assert_true(hw_connector_stepped(&a, &st));
    st = a; st.offered_a = 16;           assert_true(hw_connector_stepped(&a, &st));
    st = a; st.safety_cap_a = 10;        assert_true(hw_connector_stepped(&a, &st));
    st = a; snprintf(st.fault, sizeof(st.fault), "overtemp");
    assert_true(hw_connector_stepped(&a, &st));
}

static void
test_core_first_then_quiet(void **state)
{
    hw_core_t *core = hw_core_new(2);
    hw_connector_state_t a = s_state(1);
    hw_connector_state_t b = s_state(2);
    assert_int_equal(hw_core_decide(core, &a, 0), HW_PUBLISH_FIRST);
    assert_int_equal(hw_core_decide(core, &b, 0), HW_PUBLISH_FIRST);
    hw_core_published(core, &a, 0);
    assert_int_equal(hw_core_decide(core, &a, 250), HW_PUBLISH_NONE);
    assert_int_equal(hw_core_decide(core, &b, 250), HW_PUBLISH_FIRST);  //  per connector
    //  Idle: nothing until the periodic refresh.
    assert_int_equal(hw_core_decide(core, &a, 9750), HW_PUBLISH_NONE);
    assert_int_equal(hw_core_decide(core, &a, 10000), HW_PUBLISH_REFRESH);
    hw_core_published(core, &a, 10000);
    assert_int_equal(hw_core_decide(core, &a, 10250), HW_PUBLISH_NONE);
    hw_core_reset(core);
    assert_int_equal(hw_core_decide(core, &a, 10250), HW_PUBLISH_FIRST);
    hw_core_destroy(&core);
}

static void
test_core_change(void **state)
{
    hw_core_t *core = hw_core_new(1);
    hw_connector_state_t last = s_state(1);
    hw_core_published(core, &last, 0);
    hw_connector_state_t st;

    st = last; st.plugged = true;            assert_int_equal(hw_core_decide(core, &st, 1), HW_PUBLISH_CHANGE);
    st = last; st.pilot = 'B';               assert_int_equal(hw_core_decide(core, &st, 1), HW_PUBLISH_CHANGE);
    st = last; st.ev_requesting = true;      assert_int_equal(hw_core_decide(core, &st, 1), HW_PUBLISH_CHANGE);
    st = last; st.contactor_closed = true;   assert_int_equal(hw_core_decide(core, &st, 1), HW_PUBLISH_CHANGE);
    st = last; st.locked = true;             assert_int_equal(hw_core_decide(core, &st, 1), HW_PUBLISH_CHANGE);
    st = last; st.offered_a = 16;            assert_int_equal(hw_core_decide(core, &st, 1), HW_PUBLISH_CHANGE);
    st = last; st.current_a = 6;             assert_int_equal(hw_core_decide(core, &st, 1), HW_PUBLISH_CHANGE);
    st = last; st.temperature_c = 90;        assert_int_equal(hw_core_decide(core, &st, 1), HW_PUBLISH_CHANGE);
    st = last; st.voltage_v = 0;             assert_int_equal(hw_core_decide(core, &st, 1), HW_PUBLISH_CHANGE);
    st = last; snprintf(st.fault, sizeof(st.fault), "rcd");
    assert_int_equal(hw_core_decide(core, &st, 1), HW_PUBLISH_CHANGE);
    st = last; st.temperature_c = NAN;       assert_int_equal(hw_core_decide(core, &st, 1), HW_PUBLISH_CHANGE);

    //  Energy alone is not a change (with no power it does not move anyway).
    st = last; st.energy_wh = 5;             assert_int_equal(hw_core_decide(core, &st, 1), HW_PUBLISH_NONE);
    //  Jitter inside the dead bands is not a change either.
    st = last; st.temperature_c += 0.2; st.voltage_v += 1; st.power_w += 10;
    assert_false(hw_core_state_changed(&last, &st));
    assert_int_equal(hw_core_decide(core, &st, 1), HW_PUBLISH_NONE);
    //  ... but drift past them is.
    st = last; st.voltage_v -= 5;            assert_true(hw_core_state_changed(&last, &st));
    hw_core_destroy(&core);
}

static void
test_core_energy_while_power(void **state)
{
    hw_core_t *core = hw_core_new(1);
    hw_connector_state_t st = s_state(1);
    st.plugged = true; st.pilot = 'C'; st.contactor_closed = true;
    st.current_a = 16; st.power_w = 16 * 690;
    hw_core_published(core, &st, 1000);
    st.energy_wh = 3;     //  only the meter moved
    assert_int_equal(hw_core_decide(core, &st, 1250), HW_PUBLISH_NONE);
    assert_int_equal(hw_core_decide(core, &st, 1750), HW_PUBLISH_NONE);
    //  A tick a little early still counts as "one second" (tick slack).
    assert_int_equal(hw_core_decide(core, &st, 1000 + 1000 - HW_CORE_TICK_MS / 2 - 1), HW_PUBLISH_NONE);
    assert_int_equal(hw_core_decide(core, &st, 1000 + 1000 - HW_CORE_TICK_MS / 2), HW_PUBLISH_ENERGY);
    assert_int_equal(hw_core_decide(core, &st, 2000), HW_PUBLISH_ENERGY);
    hw_core_published(core, &st, 2000);
    assert_int_equal(hw_core_decide(core, &st, 2250), HW_PUBLISH_NONE);
    hw_core_destroy(&core);
}

static hw_grid_state_t
s_grid(bool ok, double current_a)
{
    hw_grid_state_t g;
    memset(&g, 0, sizeof(g));
    g.ok = ok;
    g.current_a = current_a;
    return g;
}

static void
test_core_grid_publish(void **state)
{
    hw_core_t *core = hw_core_new(1);
    hw_grid_state_t g = s_grid(true, 10.0);
    //  First sight, whatever the reading.
    assert_true(hw_core_grid_decide(core, &g, 0));
    hw_core_grid_published(core, &g, 0);
    //  The same reading a tick later: nothing to tell.
    assert_false(hw_core_grid_decide(core, &g, HW_CORE_TICK_MS));
    //  Meter noise inside the 0.2 A band is not worth an event...
    hw_grid_state_t n;
    n = s_grid(true, 10.15);  assert_false(hw_core_grid_decide(core, &n, 250));
    n = s_grid(true, 9.85);   assert_false(hw_core_grid_decide(core, &n, 250));
    n = s_grid(true, 10.2);   assert_false(hw_core_grid_decide(core, &n, 250));
    //  ... a change past it is, both ways.
    n = s_grid(true, 10.25);  assert_true(hw_core_grid_decide(core, &n, 250));
    n = s_grid(true, 9.75);   assert_true(hw_core_grid_decide(core, &n, 250));
    n = s_grid(true, 25.0);   assert_true(hw_core_grid_decide(core, &n, 250));
    n = s_grid(true, NAN);    assert_true(hw_core_grid_decide(core, &n, 250));
    //  Deciding records nothing: drift is measured against the last
    //  published reading, so a slow creep is published once past the band.
    n = s_grid(true, 10.21);  assert_true(hw_core_grid_decide(core, &n, 500));
    //  The meter falls silent: publish at once, then quiet while silent.
    n = s_grid(false, 0);
    assert_true(hw_core_grid_decide(core, &n, 500));
    hw_core_grid_published(core, &n, 500);
    assert_false(hw_core_grid_decide(core, &n, 750));
    //  ... and answers again, even with the same value: publish.
    n = s_grid(true, 0);
    assert_true(hw_core_grid_decide(core, &n, 1000));
    hw_core_grid_published(core, &n, 1000);
    assert_false(hw_core_grid_decide(core, &n, 1250));
    //  Nothing changes: the periodic refresh, on the first tick at or
    //  after the period (half a tick of slack), so Power Boost never sees
    //  a live meter as stale.
    assert_false(hw_core_grid_decide(core, &n, 1000 + HW_CORE_GRID_REFRESH_MS - HW_CORE_TICK_MS / 2 - 1));
    assert_true(hw_core_grid_decide(core, &n, 1000 + HW_CORE_GRID_REFRESH_MS - HW_CORE_TICK_MS / 2));
    assert_true(hw_core_grid_decide(core, &n, 1000 + HW_CORE_GRID_REFRESH_MS));
    hw_core_grid_published(core, &n, 1000 + HW_CORE_GRID_REFRESH_MS);
    assert_false(hw_core_grid_decide(core, &n, 1000 + HW_CORE_GRID_REFRESH_MS + HW_CORE_TICK_MS));
    //  A silent meter is refreshed too (Power Boost counts its silence).
    n = s_grid(false, 0);
    hw_core_grid_published(core, &n, 5000);
    assert_false(hw_core_grid_decide(core, &n, 5000 + HW_CORE_GRID_REFRESH_MS / 2));
    assert_true(hw_core_grid_decide(core, &n, 5000 + HW_CORE_GRID_REFRESH_MS));
    //  The grid bookkeeping is apart from the connectors'.
    hw_connector_state_t st = s_state(1);
    assert_int_equal(hw_core_decide(core, &st, 5000), HW_PUBLISH_FIRST);
    hw_core_published(core, &st, 5000);
    assert_false(hw_core_grid_decide(core, &n, 5000 + HW_CORE_GRID_REFRESH_MS / 2));
    //  A reset (actor restart) forgets the grid too: first sight again.
    hw_core_reset(core);
    assert_true(hw_core_grid_decide(core, &n, 5000 + HW_CORE_GRID_REFRESH_MS / 2));
    hw_core_destroy(&core);
    //  A HW_CORE_GRID_REFRESH_MS of a few seconds is what Power Boost's
    //  staleness rule (6 s = 3 missed refreshes) assumes.
    assert_int_equal(HW_CORE_GRID_REFRESH_MS, 2000);
}

//  --------------------------------------------------------------------------
//  Core: commands

static cp_msg_hw_command_t
s_cmd(int connector, const char *command, const char *arg, double value)
{
    cp_msg_hw_command_t cmd;
    memset(&cmd, 0, sizeof(cmd));
    cmd.connector = connector;
    snprintf(cmd.command, sizeof(cmd.command), "%s", command);
    snprintf(cmd.arg, sizeof(cmd.arg), "%s", arg ? arg : "");
    cmd.value = value;
    return cmd;
}

//  Parse and return rc; a refusal must always carry a reason.
static int
s_parse(const cp_msg_hw_command_t *cmd, hw_action_t *action)
{
    char reason[200] = "x";
    int rc = hw_core_parse_command(cmd, 2, action, reason, sizeof(reason));
    if (rc == 0)
        assert_string_equal(reason, "");
    else
        assert_true(strlen(reason) > 0);
    return rc;
}

static void
test_core_simulate_commands(void **state)
{
    hw_action_t a;
    const char *ok[] = { "plug", "unplug", "ev_charge", "ev_pause" };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        cp_msg_hw_command_t cmd = s_cmd(2, ok[i], NULL, 0);
        assert_int_equal(s_parse(&cmd, &a), 0);
        assert_int_equal(a.kind, HW_ACTION_SIMULATE);
        assert_int_equal(a.connector, 2);
        assert_string_equal(a.command, ok[i]);
        assert_string_equal(a.arg, "");
    }
    const char *faults[] = { "rcd", "ground", "overcurrent", "overtemp", "clear" };
    for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
        cp_msg_hw_command_t cmd = s_cmd(1, "fault", faults[i], 0);
        assert_int_equal(s_parse(&cmd, &a), 0);
        assert_string_equal(a.command, "fault");
        assert_string_equal(a.arg, faults[i]);
    }
    cp_msg_hw_command_t cmd = s_cmd(1, "fault", "lightning", 0);
    assert_int_equal(s_parse(&cmd, &a), -1);
    cmd = s_cmd(1, "fault", "", 0);
    assert_int_equal(s_parse(&cmd, &a), -1);
    //  Unknown connector and unknown command.
    char reason[200];
    cmd = s_cmd(3, "plug", NULL, 0);
    assert_int_equal(hw_core_parse_command(&cmd, 2, &a, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "unknown connector 3"));
    cmd = s_cmd(0, "plug", NULL, 0);
    assert_int_equal(s_parse(&cmd, &a), -1);
    cmd = s_cmd(-1, "unplug", NULL, 0);
    assert_int_equal(s_parse(&cmd, &a), -1);
    cmd = s_cmd(1, "explode", NULL, 0);
    assert_int_equal(hw_core_parse_command(&cmd, 2, &a, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "unknown hw command"));
    cmd = s_cmd(1, "", NULL, 0);
    assert_int_equal(s_parse(&cmd, &a), -1);
}

static void
test_core_grid_command(void **state)
{
    hw_action_t a;
    const char *ok[] = { "10", "0", "12.5", "off", "on" };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        cp_msg_hw_command_t cmd = s_cmd(0, "grid", ok[i], 0);
        assert_int_equal(s_parse(&cmd, &a), 0);
        assert_int_equal(a.kind, HW_ACTION_SIMULATE);
        assert_int_equal(a.connector, 0);
        assert_string_equal(a.command, "grid");
        assert_string_equal(a.arg, ok[i]);
    }
    //  The operand is the driver's to judge (it knows its range): the core
    //  passes it through unchanged.
    cp_msg_hw_command_t cmd = s_cmd(0, "grid", "x", 0);
    assert_int_equal(s_parse(&cmd, &a), 0);
    assert_string_equal(a.arg, "x");
    //  Connector 0 only: the meter is the installation's, not a connector's.
    char reason[200];
    cmd = s_cmd(1, "grid", "10", 0);
    assert_int_equal(hw_core_parse_command(&cmd, 2, &a, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "connector 0"));
    cmd = s_cmd(2, "grid", "off", 0);
    assert_int_equal(s_parse(&cmd, &a), -1);
    cmd = s_cmd(3, "grid", "10", 0);
    assert_int_equal(s_parse(&cmd, &a), -1);
    cmd = s_cmd(-1, "grid", "10", 0);
    assert_int_equal(s_parse(&cmd, &a), -1);
    //  An operand is required.
    cmd = s_cmd(0, "grid", "", 0);
    assert_int_equal(hw_core_parse_command(&cmd, 2, &a, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "off or on"));
    cmd = s_cmd(0, "grid", NULL, 0);
    assert_int_equal(s_parse(&cmd, &a), -1);
    //  Connector 0 is still no connector for the other commands.
    cmd = s_cmd(0, "fault", "rcd", 0);
    assert_int_equal(s_parse(&cmd, &a), -1);
    cmd = s_cmd(0, "offer", NULL, 16);
    assert_int_equal(s_parse(&cmd, &a), -1);
}

static void
test_core_driver_commands(void **state)
{
    hw_action_t a;
    cp_msg_hw_command_t cmd = s_cmd(1, "contactor", NULL, 1);
    assert_int_equal(s_parse(&cmd, &a), 0);
    assert_int_equal(a.kind, HW_ACTION_CONTACTOR);
    assert_true(a.flag);
    cmd = s_cmd(1, "contactor", NULL, 0);
    assert_int_equal(s_parse(&cmd, &a), 0);
    assert_false(a.flag);
    cmd = s_cmd(1, "contactor", NULL, 2);
    assert_int_equal(s_parse(&cmd, &a), -1);
    cmd = s_cmd(1, "contactor", NULL, 0.5);
    assert_int_equal(s_parse(&cmd, &a), -1);
    cmd = s_cmd(1, "contactor", NULL, NAN);
    assert_int_equal(s_parse(&cmd, &a), -1);
    cmd = s_cmd(3, "contactor", NULL, 1);
    assert_int_equal(s_parse(&cmd, &a), -1);

    cmd = s_cmd(2, "lock", NULL, 1);
    assert_int_equal(s_parse(&cmd, &a), 0);
    assert_int_equal(a.kind, HW_ACTION_LOCK);
    assert_int_equal(a.connector, 2);
    assert_true(a.flag);
    cmd = s_cmd(2, "lock", NULL, -1);
    assert_int_equal(s_parse(&cmd, &a), -1);

    cmd = s_cmd(1, "offer", NULL, 16);
    assert_int_equal(s_parse(&cmd, &a), 0);
    assert_int_equal(a.kind, HW_ACTION_OFFER);
    assert_true(a.amps == 16.0);
    cmd = s_cmd(1, "offer", NULL, 0);
    assert_int_equal(s_parse(&cmd, &a), 0);
    cmd = s_cmd(1, "offer", NULL, -1);
    assert_int_equal(s_parse(&cmd, &a), -1);
    cmd = s_cmd(1, "offer", NULL, NAN);
    assert_int_equal(s_parse(&cmd, &a), -1);
    cmd = s_cmd(1, "offer", NULL, INFINITY);
    assert_int_equal(s_parse(&cmd, &a), -1);
}

static void
test_core_swipe(void **state)
{
    hw_action_t a;
    cp_msg_hw_command_t cmd = s_cmd(0, "swipe", "ABC123", 0);
    assert_int_equal(s_parse(&cmd, &a), 0);      //  tokens need no connector
    assert_int_equal(a.kind, HW_ACTION_TOKEN);
    assert_string_equal(a.source, "card");
    assert_string_equal(a.token, "ABC123");
    cmd = s_cmd(1, "swipe", "12345678901234567890", 0);
    assert_int_equal(s_parse(&cmd, &a), 0);
    assert_string_equal(a.token, "12345678901234567890");
    cmd = s_cmd(1, "swipe", "mixed Case-tag_1~", 0);
    assert_int_equal(s_parse(&cmd, &a), 0);
    assert_string_equal(a.token, "mixed Case-tag_1~");   //  an idTag is not rewritten
    cmd = s_cmd(1, "swipe", "123456789012345678901", 0);
    assert_int_equal(s_parse(&cmd, &a), -1);
    cmd = s_cmd(1, "swipe", "", 0);
    assert_int_equal(s_parse(&cmd, &a), -1);
    cmd = s_cmd(1, "swipe", "AB\x01" "CD", 0);
    assert_int_equal(s_parse(&cmd, &a), -1);
    cmd = s_cmd(1, "swipe", "caf\xc3\xa9", 0);
    assert_int_equal(s_parse(&cmd, &a), -1);
}

static void
test_core_rfid(void **state)
{
    hw_action_t a;
    cp_msg_hw_command_t cmd = s_cmd(0, "rfid", "04a1b2c3", 0);
    assert_int_equal(s_parse(&cmd, &a), 0);
    assert_int_equal(a.kind, HW_ACTION_TOKEN);
    assert_string_equal(a.source, "rfid");
    assert_string_equal(a.token, "04A1B2C3");          //  upper-cased, bytes kept in order
    cmd = s_cmd(0, "rfid", "04a1b2c3d4e5f6", 0);
    assert_int_equal(s_parse(&cmd, &a), 0);
    assert_string_equal(a.token, "04A1B2C3D4E5F6");
    cmd = s_cmd(0, "rfid", "0123456789abcdefABCD", 0);
    assert_int_equal(s_parse(&cmd, &a), 0);
    assert_string_equal(a.token, "0123456789ABCDEFABCD");

    const char *bad[] = {
        "", "123", "04A1B2C", "04A1B2C3D4", "04A1B2C3D4E5", "04A1B2G3",
        "04 A1 B2 C3", "04:A1:B2:C3", "0x04A1B2", "04A1B2C3D4E5F60", "0123456789ABCDEF0123456789"
    };
    char reason[200];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cmd = s_cmd(0, "rfid", bad[i], 0);
        assert_int_equal(hw_core_parse_command(&cmd, 1, &a, reason, sizeof(reason)), -1);
        assert_non_null(strstr(reason, "RFID UID"));
    }
}

static void
test_core_pin(void **state)
{
    hw_action_t a;
    cp_msg_hw_command_t cmd = s_cmd(0, "pin", "1234", 0);
    assert_int_equal(s_parse(&cmd, &a), 0);
    assert_string_equal(a.source, "pin");
    assert_string_equal(a.token, "1234");
    cmd = s_cmd(0, "pin", "12345678", 0);
    assert_int_equal(s_parse(&cmd, &a), 0);
    const char *bad[] = { "", "123", "123456789", "12a4", "12 34", "-1234", "+123" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cmd = s_cmd(0, "pin", bad[i], 0);
        assert_int_equal(s_parse(&cmd, &a), -1);
    }
}

static void
test_core_state_to_msg(void **state)
{
    hw_connector_state_t st = s_state(3);
    st.plugged = true; st.pilot = 'C'; st.ev_requesting = true;
    st.contactor_closed = true; st.locked = true;
    st.energy_wh = 1234.5; st.power_w = 11040; st.current_a = 16;
    st.voltage_v = 230; st.offered_a = 16; st.temperature_c = 29.8;
    snprintf(st.fault, sizeof(st.fault), "overtemp");
    cp_msg_hw_connector_t m;
    hw_core_state_to_msg(&st, &m);
    assert_int_equal(m.connector, 3);
    assert_true(m.plugged);
    assert_string_equal(m.pilot, "C");
    assert_true(m.ev_requesting);
    assert_true(m.contactor_closed);
    assert_true(m.locked);
    assert_true(m.energy_wh == 1234.5);
    assert_true(m.power_w == 11040);
    assert_true(m.current_a == 16);
    assert_true(m.voltage_v == 230);
    assert_true(m.offered_a == 16);
    assert_true(m.temperature_c == 29.8);
    assert_string_equal(m.fault, "overtemp");
    //  A driver that leaves the fault empty reports "none".
    st.fault[0] = '\0';
    hw_core_state_to_msg(&st, &m);
    assert_string_equal(m.fault, "none");
    //  The whole message encodes (every field within its catalog limit).
    cp_msg_t *msg = cp_msg_new(CP_MSG_HW_CONNECTOR);
    assert_non_null(msg);
    msg->u.hw_connector = m;
    char *data = NULL;
    size_t size = 0;
    assert_int_equal(cp_msg_encode(msg, &data, &size), 0);
    free(data);
    cp_msg_destroy(&msg);

    char topic[32];
    hw_core_topic(7, topic, sizeof(topic));
    assert_string_equal(topic, "hw.connector.7");
}

//  --------------------------------------------------------------------------
//  The actor on an inproc bus

typedef struct {
    cp_bus_endpoints_t ep;
    zactor_t *broker;
    cp_clock_t *clock;
    hw_driver_t *hw;
    cp_actor_args_t args;
    zactor_t *actor;
    cp_bus_t *tester;
} bench_t;

//  The supervisor's shim signals before the actor runs; so does this one.
static void
s_shim(zsock_t *pipe, void *args)
{
    zsock_signal(pipe, 0);
    hw_actor(pipe, args);
}

static void s_sync(bench_t *b);

static int
s_actor_setup(void **state)
{
    bench_t *b = calloc(1, sizeof(bench_t));
    assert_non_null(b);
    //  A fresh endpoint per test: an inproc name is released asynchronously
    //  when the previous broker closes, so rebinding it at once may fail.
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "inproc://test-hw-%" PRId64, zclock_usecs());
    cp_bus_endpoints_init(&b->ep, prefix);
    b->broker = zactor_new(cp_bus_broker_actor, &b->ep);
    assert_non_null(b->broker);
    b->clock = cp_clock_new_system();
    assert_non_null(b->clock);
    b->hw = hw_sim_new(2, b->clock);
    assert_non_null(b->hw);
    b->tester = cp_bus_new(&b->ep, "tester");
    assert_non_null(b->tester);
    assert_int_equal(cp_bus_subscribe(b->tester, "hw."), 0);
    snprintf(b->args.name, sizeof(b->args.name), "hw");
    b->args.bus = b->ep;
    b->args.clock = b->clock;
    b->args.hw = b->hw;
    atomic_init(&b->args.abandon, false);
    atomic_init(&b->args.terminated, false);
    b->actor = zactor_new(s_shim, &b->args);
    assert_non_null(b->actor);
    s_sync(b);
    *state = b;
    return 0;
}

static int
s_actor_teardown(void **state)
{
    bench_t *b = *state;
    zactor_destroy(&b->actor);            //  sends $TERM, waits for the end
    assert_true(atomic_load(&b->args.terminated));
    cp_bus_destroy(&b->tester);
    zactor_destroy(&b->broker);
    hw_driver_destroy(&b->hw);
    cp_clock_destroy(&b->clock);
    free(b);
    return 0;
}

//  Next message on the tester's request socket or events socket within
//  timeout_ms; NULL on timeout (env->kind 0) or an unreachable notice.
static cp_msg_t *
s_recv(bench_t *b, zsock_t *which, cp_bus_envelope_t *env, int timeout_ms)
{
    return bench_recv(b->tester, which, env, timeout_ms);
}

//  Send a request to "hw" and return its first answer (partial or final).
//  While the actor is still connecting the broker answers "unreachable":
//  retry then, as a real client restarting with the controller would.
static cp_msg_t *
s_request(bench_t *b, const cp_msg_t *request, cp_bus_envelope_t *env)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        uint64_t corr = cp_bus_request(b->tester, "hw", request);
        assert_true(corr != 0);
        cp_msg_t *reply = s_recv(b, cp_bus_requests(b->tester), env, 2000);
        if (reply) {
            assert_true(env->corr == corr);
            return reply;
        }
        assert_int_equal(env->kind, CP_BUS_UNREACHABLE);
        zclock_sleep(10);
    }
    fail_msg("hw never became reachable");
    return NULL;
}

static cp_msg_t *
s_command(bench_t *b, int connector, const char *command, const char *arg, double value)
{
    cp_msg_t *req = cp_msg_new(CP_MSG_HW_COMMAND);
    assert_non_null(req);
    req->u.hw_command = s_cmd(connector, command, arg, value);
    cp_bus_envelope_t env;
    cp_msg_t *reply = s_request(b, req, &env);
    cp_msg_destroy(&req);
    assert_int_equal(env.kind, CP_BUS_REPLY);
    assert_int_equal(reply->type, CP_MSG_REPLY);
    return reply;
}

static void
s_command_ok(bench_t *b, int connector, const char *command, const char *arg, double value)
{
    cp_msg_t *reply = s_command(b, connector, command, arg, value);
    if (!reply->u.reply.ok)
        fail_msg("%s refused: %s", command, reply->u.reply.reason);
    cp_msg_destroy(&reply);
}

//  PUB/SUB subscriptions travel through the proxy asynchronously, so the
//  first events of a fresh actor may reach nobody (the "slow joiner"; in
//  the controller the snapshot request covers it). Before a test counts on
//  events, repeat a no-op command (every command publishes its connector)
//  until its event arrives, then drain what is queued.
static void
s_sync(bench_t *b)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        s_command_ok(b, 1, "lock", NULL, 0);
        cp_bus_envelope_t env;
        cp_msg_t *msg = s_recv(b, cp_bus_events(b->tester), &env, 50);
        if (msg) {
            while (msg) {
                cp_msg_destroy(&msg);
                msg = s_recv(b, cp_bus_events(b->tester), &env, 50);
            }
            return;
        }
    }
    fail_msg("the tester never received an event from hw");
}

//  Wait for an event on `topic` that satisfies pred; fails after 3 s.
typedef bool (event_pred_fn)(const cp_msg_t *msg);

static cp_msg_t *
s_wait_event(bench_t *b, const char *topic, event_pred_fn *pred)
{
    int64_t deadline = zclock_mono() + 3000;
    while (zclock_mono() < deadline) {
        cp_bus_envelope_t env;
        cp_msg_t *msg = s_recv(b, cp_bus_events(b->tester), &env, 100);
        if (msg && streq(env.topic, topic) && (!pred || pred(msg)))
            return msg;
        cp_msg_destroy(&msg);
    }
    fail_msg("no matching %s event", topic);
    return NULL;
}

static bool s_plugged(const cp_msg_t *m) { return m->u.hw_connector.plugged; }
static bool s_charging(const cp_msg_t *m) { return m->u.hw_connector.power_w > 0; }
static bool s_closed(const cp_msg_t *m) { return m->u.hw_connector.contactor_closed; }

static void
test_actor_plug_publishes(void **state)
{
    bench_t *b = *state;
    s_command_ok(b, 1, "plug", NULL, 0);
    cp_msg_t *event = s_wait_event(b, "hw.connector.1", s_plugged);
    assert_int_equal(event->type, CP_MSG_HW_CONNECTOR);
    assert_int_equal(event->u.hw_connector.connector, 1);
    assert_string_equal(event->u.hw_connector.pilot, "B");
    assert_string_equal(event->u.hw_connector.fault, "none");
    cp_msg_destroy(&event);

    //  A second plug is refused with the driver's reason.
    cp_msg_t *reply = s_command(b, 1, "plug", NULL, 0);
    assert_false(reply->u.reply.ok);
    assert_non_null(strstr(reply->u.reply.reason, "already plugged"));
    cp_msg_destroy(&reply);
}

static void
test_actor_snapshot(void **state)
{
    bench_t *b = *state;
    s_command_ok(b, 2, "plug", NULL, 0);
    s_command_ok(b, 2, "lock", NULL, 1);
    cp_msg_t *req = cp_msg_new(CP_MSG_SNAPSHOT_REQUEST);
    assert_non_null(req);
    cp_bus_envelope_t env;
    cp_msg_t *reply = s_request(b, req, &env);
    cp_msg_destroy(&req);
    for (int n = 1; n <= 2; n++) {
        assert_non_null(reply);
        assert_int_equal(env.kind, CP_BUS_PARTIAL);
        assert_int_equal(reply->type, CP_MSG_HW_CONNECTOR);
        assert_int_equal(reply->u.hw_connector.connector, n);
        assert_int_equal(reply->u.hw_connector.plugged, n == 2);
        assert_int_equal(reply->u.hw_connector.locked, n == 2);
        cp_msg_destroy(&reply);
        reply = s_recv(b, cp_bus_requests(b->tester), &env, 2000);
    }
    //  The simulator has a grid meter: its reading closes the levels.
    assert_non_null(reply);
    assert_int_equal(env.kind, CP_BUS_PARTIAL);
    assert_int_equal(reply->type, CP_MSG_HW_GRID);
    assert_true(reply->u.hw_grid.ok);
    assert_true(reply->u.hw_grid.current_a == 0.0);
    assert_true(reply->u.hw_grid.charger_a == 0.0);
    cp_msg_destroy(&reply);
    reply = s_recv(b, cp_bus_requests(b->tester), &env, 2000);
    assert_non_null(reply);
    assert_int_equal(env.kind, CP_BUS_REPLY);
    assert_int_equal(reply->type, CP_MSG_REPLY);
    assert_true(reply->u.reply.ok);
    cp_msg_destroy(&reply);
}

static void
test_actor_tokens(void **state)
{
    bench_t *b = *state;
    s_command_ok(b, 0, "rfid", "04a1b2c3", 0);
    cp_msg_t *event = s_wait_event(b, "hw.token", NULL);
    assert_int_equal(event->type, CP_MSG_HW_TOKEN);
    assert_string_equal(event->u.hw_token.source, "rfid");
    assert_string_equal(event->u.hw_token.token, "04A1B2C3");
    cp_msg_destroy(&event);

    s_command_ok(b, 0, "swipe", "TAG-001", 0);
    event = s_wait_event(b, "hw.token", NULL);
    assert_string_equal(event->u.hw_token.source, "card");
    assert_string_equal(event->u.hw_token.token, "TAG-001");
    cp_msg_destroy(&event);

    s_command_ok(b, 0, "pin", "4711", 0);
    event = s_wait_event(b, "hw.token", NULL);
    assert_string_equal(event->u.hw_token.source, "pin");
    assert_string_equal(event->u.hw_token.token, "4711");
    cp_msg_destroy(&event);

    cp_msg_t *reply = s_command(b, 0, "rfid", "123", 0);
    assert_false(reply->u.reply.ok);
    assert_non_null(strstr(reply->u.reply.reason, "RFID UID"));
    cp_msg_destroy(&reply);
    reply = s_command(b, 9, "plug", NULL, 0);
    assert_false(reply->u.reply.ok);
    cp_msg_destroy(&reply);

    //  A request the actor does not serve is refused, not ignored.
    cp_msg_t *req = cp_msg_new(CP_MSG_CONFIG_GET);
    assert_non_null(req);
    cp_bus_envelope_t env;
    reply = s_request(b, req, &env);
    cp_msg_destroy(&req);
    assert_int_equal(env.kind, CP_BUS_REPLY);
    assert_false(reply->u.reply.ok);
    cp_msg_destroy(&reply);
}

static void
test_actor_energy_flows(void **state)
{
    bench_t *b = *state;
    s_command_ok(b, 1, "plug", NULL, 0);
    s_command_ok(b, 1, "ev_charge", NULL, 0);
    s_command_ok(b, 1, "offer", NULL, 16);
    //  The safety path approves connector 1 (the interlock: test_sim_safety.c).
    assert_int_equal(b->hw->ops->safety_feed(b->hw, HW_SIM_WATCHDOG_MAX_MS), 0);
    assert_int_equal(b->hw->ops->safety_permit(b->hw, 1, true, 0), 0);
    s_command_ok(b, 1, "contactor", NULL, 1);
    cp_msg_t *event = s_wait_event(b, "hw.connector.1", s_closed);
    assert_true(event->u.hw_connector.current_a == 16.0);
    double last = event->u.hw_connector.energy_wh;
    cp_msg_destroy(&event);
    //  While power flows the meter is republished about once a second.
    for (int i = 0; i < 2; i++) {
        int64_t start = zclock_mono();
        event = s_wait_event(b, "hw.connector.1", s_charging);
        assert_true(zclock_mono() - start < 1600);
        assert_true(event->u.hw_connector.energy_wh > last);
        last = event->u.hw_connector.energy_wh;
        cp_msg_destroy(&event);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_new),
        cmocka_unit_test(test_core_first_then_quiet),
        cmocka_unit_test(test_core_at_rest),
        cmocka_unit_test(test_connector_stepped),
        cmocka_unit_test(test_core_change),
        cmocka_unit_test(test_core_energy_while_power),
        cmocka_unit_test(test_core_grid_publish),
        cmocka_unit_test(test_core_simulate_commands),
        cmocka_unit_test(test_core_grid_command),
        cmocka_unit_test(test_core_driver_commands),
        cmocka_unit_test(test_core_swipe),
        cmocka_unit_test(test_core_rfid),
        cmocka_unit_test(test_core_pin),
        cmocka_unit_test(test_core_state_to_msg),
        cmocka_unit_test_setup_teardown(test_actor_plug_publishes, s_actor_setup, s_actor_teardown),
        cmocka_unit_test_setup_teardown(test_actor_snapshot, s_actor_setup, s_actor_teardown),
        cmocka_unit_test_setup_teardown(test_actor_tokens, s_actor_setup, s_actor_teardown),
        cmocka_unit_test_setup_teardown(test_actor_energy_flows, s_actor_setup, s_actor_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
