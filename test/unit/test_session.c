/* test_session.c — unit tests for the pure core of charging sessions
 * (actors/transaction/session.c) on a virtual timeline, with a recording
 * effects table: authorization, start and stop of transactions (meter
 * values, StopTransaction reasons 7.36), ConnectionTimeOut, parentIdTag,
 * StartTransaction.conf not Accepted, EV-side disconnect, faults,
 * remote start/stop, ChangeAvailability, restore, two connectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/transaction/session.h"

#define TIMEOUT_S 30
#define EV_MAX 64

//  One recorded effect.
typedef enum { EV_AUTHORIZE, EV_START, EV_STOP, EV_CONTACTOR, EV_AVAILABILITY } ev_kind_t;

static const char *kind_names[] = { "authorize", "start", "stop", "contactor", "availability" };

typedef struct {
    ev_kind_t kind;
    int connector;
    char id_tag[32];
    int64_t meter;
    int64_t tx_local;
    char reason[32];
    bool flag;                      //  contactor closed / operative
} ev_t;

typedef struct {
    session_t *s;
    ev_t ev[EV_MAX];
    int n;                          //  recorded
    int seen;                       //  consumed by the test
    int64_t next_local;
    bool fail_start;
    int64_t now;                    //  virtual monotonic clock, ms
    //  Cable lock effects, kept apart from the sequence above.
    bool locked[HW_MAX_CONNECTORS + 1];
    int lock_calls;
    //  Reservation effects, also kept apart: last id and state per connector.
    int resv_id[HW_MAX_CONNECTORS + 1];
    bool resv_active[HW_MAX_CONNECTORS + 1];
    int resv_calls;
    int start_reservation;          //  session_starting_reservation seen by start
    hw_connector_state_t hw[HW_MAX_CONNECTORS + 1];
} fx_t;

static ev_t *
s_record(fx_t *f, ev_kind_t kind, int connector)
{
    assert_true(f->n < EV_MAX);
    ev_t *e = &f->ev[f->n++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->connector = connector;
    return e;
}

static void
fx_authorize(void *ctx, const char *id_tag)
{
    ev_t *e = s_record(ctx, EV_AUTHORIZE, 0);
    snprintf(e->id_tag, sizeof e->id_tag, "%s", id_tag);
}

static int64_t
fx_start(void *ctx, int connector, const char *id_tag, int64_t meter_start)
{
    fx_t *f = ctx;
    ev_t *e = s_record(f, EV_START, connector);
    snprintf(e->id_tag, sizeof e->id_tag, "%s", id_tag);
    e->meter = meter_start;
    if (f->fail_start) {
        e->tx_local = -1;
        return -1;
    }
    e->tx_local = ++f->next_local;
    f->start_reservation = session_starting_reservation(f->s, connector);
    return e->tx_local;
}

static void
fx_reservation(void *ctx, int connector, int reservation_id, bool active)
{
    fx_t *f = ctx;
    f->resv_id[connector] = reservation_id;
    f->resv_active[connector] = active;
    f->resv_calls++;
}

static void
fx_stop(void *ctx, int connector, int64_t tx_local, const char *id_tag, int64_t meter_stop, const char *reason)
{
    ev_t *e = s_record(ctx, EV_STOP, connector);
    e->tx_local = tx_local;
    snprintf(e->id_tag, sizeof e->id_tag, "%s", id_tag ? id_tag : "");
    e->meter = meter_stop;
    snprintf(e->reason, sizeof e->reason, "%s", reason);
}

static void
fx_contactor(void *ctx, int connector, bool closed)
{
    s_record(ctx, EV_CONTACTOR, connector)->flag = closed;
}

static void
fx_lock(void *ctx, int connector, bool locked)
{
    fx_t *f = ctx;
    assert_true(connector >= 1 && connector <= HW_MAX_CONNECTORS);
    f->locked[connector] = locked;
    f->lock_calls++;
}

static int64_t
fx_wall_ms(void *ctx)
{
    return 1700000000000LL + ((fx_t *) ctx)->now;
}

static void
fx_availability(void *ctx, int connector, bool operative)
{
    s_record(ctx, EV_AVAILABILITY, connector)->flag = operative;
}

static const session_effects_t effects = {
    .authorize = fx_authorize,
    .start = fx_start,
    .stop = fx_stop,
    .contactor = fx_contactor,
    .lock = fx_lock,
    .wall_ms = fx_wall_ms,
    .availability = fx_availability,
    .reservation = fx_reservation,
};

static fx_t *
fx_new(int connectors, bool stop_on_ev_disconnect, bool stop_on_invalid)
{
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->now = 1000;
    for (int c = 0; c <= HW_MAX_CONNECTORS; c++) {
        f->hw[c].connector = c;
        f->hw[c].pilot = 'A';
        f->hw[c].offered_a = 32;
        f->hw[c].voltage_v = 230;
        snprintf(f->hw[c].fault, sizeof f->hw[c].fault, "none");
    }
    session_config_t cfg = { .connection_timeout_s = TIMEOUT_S,
                             .stop_on_ev_side_disconnect = stop_on_ev_disconnect,
                             .stop_on_invalid_id = stop_on_invalid };
    f->s = session_new(connectors, &cfg, &effects, f);
    assert_non_null(f->s);
    assert_int_equal(session_connectors(f->s), connectors);
    return f;
}

static void
fx_destroy(fx_t **f_p)
{
    session_destroy(&(*f_p)->s);
    assert_null((*f_p)->s);
    free(*f_p);
    *f_p = NULL;
}

static int
setup1(void **state)
{
    *state = fx_new(1, true, true);
    return 0;
}

static int
setup2(void **state)
{
    *state = fx_new(2, true, true);
    return 0;
}

static int
teardown(void **state)
{
    fx_t *f = *state;
    fx_destroy(&f);
    return 0;
}

//  --- Inputs on the virtual timeline --------------------------------------

static void
advance(fx_t *f, int64_t ms)
{
    f->now += ms;
}

static void
push_hw(fx_t *f, int c)
{
    session_on_hw(f->s, f->now, &f->hw[c]);
}

static void
plug(fx_t *f, int c, bool plugged)
{
    f->hw[c].plugged = plugged;
    f->hw[c].pilot = plugged ? 'B' : 'A';
    if (!plugged)
        f->hw[c].ev_requesting = false;
    push_hw(f, c);
}

static void
ev_request(fx_t *f, int c, bool requesting)
{
    f->hw[c].ev_requesting = requesting;
    f->hw[c].pilot = requesting ? 'C' : 'B';
    push_hw(f, c);
}

static void
energy(fx_t *f, int c, double wh)
{
    f->hw[c].energy_wh = wh;
    push_hw(f, c);
}

static void
fault(fx_t *f, int c, const char *code)
{
    snprintf(f->hw[c].fault, sizeof f->hw[c].fault, "%s", code);
    push_hw(f, c);
}

static void
offered(fx_t *f, int c, double amps)
{
    f->hw[c].offered_a = amps;
    push_hw(f, c);
}

static void
swipe(fx_t *f, const char *tag)
{
    session_on_token(f->s, f->now, tag);
}

static void
authorized(fx_t *f, const char *tag, const char *status, const char *parent)
{
    session_on_authorized(f->s, f->now, tag, status, parent);
}

//  --- Expectations --------------------------------------------------------

//  The next effect not yet checked must be of kind; returns it.
static const ev_t *
next_ev(fx_t *f, ev_kind_t kind)
{
    if (f->seen >= f->n)
        fail_msg("expected a %s effect, got none", kind_names[kind]);
    const ev_t *e = &f->ev[f->seen++];
    if (e->kind != kind)
        fail_msg("expected a %s effect, got %s (connector %d)", kind_names[kind], kind_names[e->kind],
                 e->connector);
    return e;
}

static void
no_more_effects(fx_t *f)
{
    if (f->seen < f->n)
        fail_msg("unexpected %s effect (connector %d, %s)", kind_names[f->ev[f->seen].kind],
                 f->ev[f->seen].connector, f->ev[f->seen].id_tag);
}

static void
expect_authorize(fx_t *f, const char *tag)
{
    assert_string_equal(next_ev(f, EV_AUTHORIZE)->id_tag, tag);
}

//  start + contactor(true); returns the tx_local.
static int64_t
expect_start(fx_t *f, int c, const char *tag, int64_t meter)
{
    const ev_t *e = next_ev(f, EV_START);
    assert_int_equal(e->connector, c);
    assert_string_equal(e->id_tag, tag);
    assert_int_equal(e->meter, meter);
    int64_t local = e->tx_local;
    e = next_ev(f, EV_CONTACTOR);
    assert_int_equal(e->connector, c);
    assert_true(e->flag);
    const session_tx_t *tx = session_tx(f->s, c);
    assert_true(tx->active);
    assert_int_equal(tx->tx_local, local);
    assert_string_equal(tx->id_tag, tag);
    assert_int_equal(tx->meter_start, meter);
    assert_true(f->locked[c]);                             //  cable locked for the transaction
    return local;
}

static void
expect_contactor(fx_t *f, int c, bool closed)
{
    const ev_t *e = next_ev(f, EV_CONTACTOR);
    assert_int_equal(e->connector, c);
    assert_int_equal(e->flag, closed);
}

//  contactor(false) then stop; tag NULL = not checked.
static void
expect_stop(fx_t *f, int c, int64_t local, const char *tag, int64_t meter, const char *reason)
{
    expect_contactor(f, c, false);
    const ev_t *e = next_ev(f, EV_STOP);
    assert_int_equal(e->connector, c);
    assert_int_equal(e->tx_local, local);
    if (tag)
        assert_string_equal(e->id_tag, tag);
    assert_int_equal(e->meter, meter);
    assert_string_equal(e->reason, reason);
    assert_false(session_tx(f->s, c)->active);
    assert_false(f->locked[c]);                            //  the driver may take the cable
}

static void
expect_availability(fx_t *f, int c, bool operative)
{
    const ev_t *e = next_ev(f, EV_AVAILABILITY);
    assert_int_equal(e->connector, c);
    assert_int_equal(e->flag, operative);
}

static void
expect_status(fx_t *f, int c, const char *status, const char *error_code)
{
    tx_status_t st;
    memset(&st, 0x5a, sizeof st);
    session_status(f->s, c, &st);
    if (strcmp(st.status, status) != 0)
        fail_msg("connector %d: status %s, expected %s", c, st.status, status);
    assert_string_equal(st.error_code, error_code);
}

static void
status_is(fx_t *f, int c, const char *status)
{
    expect_status(f, c, status, "NoError");
}

//  Plug connector c, swipe tag, Accepted: the transaction starts.
static int64_t
start_tx(fx_t *f, int c, const char *tag, const char *parent)
{
    if (!f->hw[c].plugged)
        plug(f, c, true);
    swipe(f, tag);
    expect_authorize(f, tag);
    authorized(f, tag, "Accepted", parent);
    return expect_start(f, c, tag, (int64_t) f->hw[c].energy_wh);
}

//  --- Tests ---------------------------------------------------------------

static void
test_initial_state(void **state)
{
    fx_t *f = *state;
    status_is(f, 0, "Available");
    status_is(f, 1, "Available");
    assert_true(session_operative(f->s, 0));
    assert_true(session_operative(f->s, 1));
    assert_false(session_tx(f->s, 1)->active);
    assert_true(session_next_deadline(f->s) == INT64_MAX);
    no_more_effects(f);
}

static void
test_plug_then_swipe_full_cycle(void **state)
{
    fx_t *f = *state;
    energy(f, 1, 1234.9);
    plug(f, 1, true);
    status_is(f, 1, "Preparing");
    no_more_effects(f);

    swipe(f, "TAG");
    expect_authorize(f, "TAG");
    no_more_effects(f);
    status_is(f, 1, "Preparing");

    advance(f, 300);
    authorized(f, "TAG", "Accepted", NULL);
    int64_t local = expect_start(f, 1, "TAG", 1234);      //  floor(energy_wh)
    no_more_effects(f);
    assert_true(local > 0);
    assert_false(session_tx(f->s, 1)->confirmed);
    assert_true(session_tx(f->s, 1)->started_wall_ms == 1700000000000LL + f->now);
    status_is(f, 1, "SuspendedEV");                        //  EV not requesting yet

    ev_request(f, 1, true);
    status_is(f, 1, "Charging");
    session_on_start_confirmed(f->s, f->now, local, 501, "Accepted");
    assert_true(session_tx(f->s, 1)->confirmed);
    assert_int_equal(session_tx(f->s, 1)->tx_id, 501);
    status_is(f, 1, "Charging");
    no_more_effects(f);

    advance(f, 3600 * 1000);
    energy(f, 1, 5678.6);
    ev_request(f, 1, false);
    status_is(f, 1, "SuspendedEV");
    ev_request(f, 1, true);
    status_is(f, 1, "Charging");
    no_more_effects(f);

    swipe(f, "TAG");                                       //  the same tag stops, no Authorize
    expect_stop(f, 1, local, "TAG", 5678, "Local");
    no_more_effects(f);
    status_is(f, 1, "Finishing");

    plug(f, 1, false);
    status_is(f, 1, "Available");
    no_more_effects(f);
}

static void
test_swipe_then_plug_within_timeout(void **state)
{
    fx_t *f = *state;
    energy(f, 1, 100);
    swipe(f, "TAG");
    expect_authorize(f, "TAG");
    authorized(f, "TAG", "Accepted", NULL);
    no_more_effects(f);                                    //  no cable: wait
    status_is(f, 1, "Preparing");
    assert_true(session_next_deadline(f->s) == f->now + TIMEOUT_S * 1000);

    advance(f, TIMEOUT_S * 1000 - 1);
    session_tick(f->s, f->now);                            //  1 ms before the deadline: still waiting
    status_is(f, 1, "Preparing");
    plug(f, 1, true);
    expect_start(f, 1, "TAG", 100);
    no_more_effects(f);
    assert_true(session_next_deadline(f->s) == INT64_MAX);
    status_is(f, 1, "SuspendedEV");
}

static void
test_swipe_then_no_plug_times_out(void **state)
{
    fx_t *f = *state;
    swipe(f, "TAG");
    expect_authorize(f, "TAG");
    authorized(f, "TAG", "Accepted", NULL);
    int64_t deadline = session_next_deadline(f->s);
    assert_true(deadline == f->now + TIMEOUT_S * 1000);
    status_is(f, 1, "Preparing");

    f->now = deadline;
    session_tick(f->s, f->now);
    assert_true(session_next_deadline(f->s) == INT64_MAX);
    status_is(f, 1, "Available");                          //  back to the original state

    advance(f, 5000);
    plug(f, 1, true);
    no_more_effects(f);                                    //  no transaction
    assert_false(session_tx(f->s, 1)->active);
    status_is(f, 1, "Preparing");
}

//  The shell's timer may fire late: a plug seen at or after the deadline,
//  before the tick, must not start the transaction either (ConnectionTimeOut).
static void
test_plug_after_deadline_before_tick(void **state)
{
    fx_t *f = *state;
    swipe(f, "TAG");
    expect_authorize(f, "TAG");
    authorized(f, "TAG", "Accepted", NULL);
    f->now = session_next_deadline(f->s) + 5;
    plug(f, 1, true);
    no_more_effects(f);
    assert_false(session_tx(f->s, 1)->active);
}

static void
test_swipe_twice_while_waiting_cancels(void **state)
{
    fx_t *f = *state;
    swipe(f, "TAG");
    expect_authorize(f, "TAG");
    authorized(f, "TAG", "Accepted", NULL);
    status_is(f, 1, "Preparing");
    advance(f, 2000);
    swipe(f, "TAG");
    no_more_effects(f);                                    //  cancelled, not asked again
    assert_true(session_next_deadline(f->s) == INT64_MAX);
    status_is(f, 1, "Available");
    plug(f, 1, true);
    no_more_effects(f);
    assert_false(session_tx(f->s, 1)->active);
}

static void
test_authorize_not_accepted(void **state)
{
    fx_t *f = *state;
    const char *statuses[] = { "Invalid", "Blocked", "Expired", "ConcurrentTx" };
    plug(f, 1, true);
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        swipe(f, "BAD");
        expect_authorize(f, "BAD");
        authorized(f, "BAD", statuses[i], NULL);
        no_more_effects(f);
        assert_false(session_tx(f->s, 1)->active);
        status_is(f, 1, "Preparing");
    }
    //  Not accepted while unplugged: nothing waits for a plug either.
    plug(f, 1, false);
    swipe(f, "BAD");
    expect_authorize(f, "BAD");
    authorized(f, "BAD", "Invalid", NULL);
    assert_true(session_next_deadline(f->s) == INT64_MAX);
    plug(f, 1, true);
    no_more_effects(f);
    //  An answer nobody asked for is ignored.
    authorized(f, "STRANGER", "Accepted", NULL);
    no_more_effects(f);
    assert_false(session_tx(f->s, 1)->active);
}

static void
test_parent_id_tag_stops(void **state)
{
    fx_t *f = *state;
    energy(f, 1, 10);
    int64_t local = start_tx(f, 1, "A", "P");
    assert_string_equal(session_tx(f->s, 1)->parent_id_tag, "P");
    energy(f, 1, 2010.4);
    swipe(f, "B");
    expect_authorize(f, "B");                              //  another tag: ask first
    no_more_effects(f);
    assert_true(session_tx(f->s, 1)->active);
    authorized(f, "B", "Accepted", "P");
    expect_stop(f, 1, local, "B", 2010, "Local");
    no_more_effects(f);
    status_is(f, 1, "Finishing");
}

static void
test_parent_id_tag_other_group(void **state)
{
    fx_t *f = *state;
    int64_t local = start_tx(f, 1, "A", "P");
    swipe(f, "B");
    expect_authorize(f, "B");
    authorized(f, "B", "Accepted", "Q");
    no_more_effects(f);                                    //  not stopped, no second start
    assert_true(session_tx(f->s, 1)->active);
    assert_int_equal(session_tx(f->s, 1)->tx_local, local);
    assert_string_equal(session_tx(f->s, 1)->id_tag, "A");
    //  Without any parent: not stopped either.
    swipe(f, "C");
    expect_authorize(f, "C");
    authorized(f, "C", "Accepted", NULL);
    no_more_effects(f);
    assert_true(session_tx(f->s, 1)->active);
    //  Same group but not Accepted: not stopped.
    swipe(f, "D");
    expect_authorize(f, "D");
    authorized(f, "D", "Blocked", "P");
    no_more_effects(f);
    assert_true(session_tx(f->s, 1)->active);
}

//  IdToken is CiString20Type, case insensitive (7.15, 7.28).
static void
test_id_tag_case_insensitive(void **state)
{
    fx_t *f = *state;
    int64_t local = start_tx(f, 1, "04AB12CD", "PARENT");
    swipe(f, "04ab12cd");
    expect_stop(f, 1, local, "04ab12cd", 0, "Local");
    no_more_effects(f);
    plug(f, 1, false);

    local = start_tx(f, 1, "A", "PARENT");
    swipe(f, "B");
    expect_authorize(f, "B");
    authorized(f, "B", "Accepted", "parent");
    expect_stop(f, 1, local, "B", 0, "Local");
    no_more_effects(f);
}

static void
test_start_conf_invalid_stop_on_invalid_id(void **state)
{
    fx_t *f = *state;                                      //  stop_on_invalid_id = true
    energy(f, 1, 50);
    int64_t local = start_tx(f, 1, "TAG", NULL);
    ev_request(f, 1, true);
    energy(f, 1, 75.5);
    session_on_start_confirmed(f->s, f->now, local + 100, 7, "Invalid");   //  other tx: ignored
    no_more_effects(f);
    session_on_start_confirmed(f->s, f->now, local, 7, "Invalid");
    expect_stop(f, 1, local, NULL, 75, "DeAuthorized");
    no_more_effects(f);
    status_is(f, 1, "Finishing");
}

static void
test_start_conf_invalid_suspends(void **state)
{
    fx_t *f = *state;
    session_config_t cfg = { .connection_timeout_s = TIMEOUT_S, .stop_on_ev_side_disconnect = false,
                             .stop_on_invalid_id = false };
    session_set_config(f->s, &cfg);
    int64_t local = start_tx(f, 1, "TAG", NULL);
    ev_request(f, 1, true);
    status_is(f, 1, "Charging");
    session_on_start_confirmed(f->s, f->now, local, 8, "Blocked");
    expect_contactor(f, 1, false);
    no_more_effects(f);                                    //  no stop
    const session_tx_t *tx = session_tx(f->s, 1);
    assert_true(tx->active);
    assert_true(tx->suspended_invalid);
    assert_true(tx->confirmed);
    assert_int_equal(tx->tx_id, 8);
    status_is(f, 1, "SuspendedEVSE");
    //  Unplug and replug: the contactor stays open.
    plug(f, 1, false);
    expect_contactor(f, 1, false);
    plug(f, 1, true);
    no_more_effects(f);
    status_is(f, 1, "SuspendedEVSE");
    //  The same tag still ends it.
    swipe(f, "TAG");
    expect_stop(f, 1, local, "TAG", 0, "Local");
    no_more_effects(f);
}

static void
test_unplug_stops_on_ev_side_disconnect(void **state)
{
    fx_t *f = *state;                                      //  stop_on_ev_side_disconnect = true
    int64_t local = start_tx(f, 1, "TAG", NULL);
    ev_request(f, 1, true);
    energy(f, 1, 900.99);
    plug(f, 1, false);
    expect_stop(f, 1, local, NULL, 900, "EVDisconnected");
    no_more_effects(f);
    status_is(f, 1, "Available");
    plug(f, 1, true);                                      //  a new car: no transaction by itself
    no_more_effects(f);
    status_is(f, 1, "Preparing");
}

static void
test_unplug_keeps_tx_without_ev_side_disconnect(void **state)
{
    fx_t *f = *state;
    session_config_t cfg = { .connection_timeout_s = TIMEOUT_S, .stop_on_ev_side_disconnect = false,
                             .stop_on_invalid_id = true };
    session_set_config(f->s, &cfg);
    int64_t local = start_tx(f, 1, "TAG", NULL);
    ev_request(f, 1, true);
    plug(f, 1, false);
    expect_contactor(f, 1, false);
    no_more_effects(f);
    assert_true(session_tx(f->s, 1)->active);
    assert_true(f->locked[1]);                             //  UnlockConnectorOnEVSideDisconnect false
    status_is(f, 1, "SuspendedEV");
    plug(f, 1, true);
    expect_contactor(f, 1, true);                          //  energy transfer allowed again
    no_more_effects(f);
    assert_int_equal(session_tx(f->s, 1)->tx_local, local);
    ev_request(f, 1, true);
    status_is(f, 1, "Charging");

    //  UnlockConnectorOnEVSideDisconnect: unlocked while away, locked again on replug.
    cfg.unlock_on_ev_side_disconnect = true;
    session_set_config(f->s, &cfg);
    plug(f, 1, false);
    expect_contactor(f, 1, false);
    no_more_effects(f);
    assert_false(f->locked[1]);
    assert_true(session_tx(f->s, 1)->active);
    plug(f, 1, true);
    expect_contactor(f, 1, true);
    no_more_effects(f);
    assert_true(f->locked[1]);
}

static void
test_fault_during_tx(void **state)
{
    fx_t *f = *state;
    struct { const char *fault, *code; } cases[] = {
        { "rcd", "GroundFailure" }, { "ground", "GroundFailure" },
        { "overcurrent", "OverCurrentFailure" }, { "overtemp", "HighTemperature" },
        { "weird", "OtherError" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        energy(f, 1, 100.0 * (double) (i + 1));
        int64_t local = start_tx(f, 1, "TAG", NULL);
        ev_request(f, 1, true);
        energy(f, 1, 100.0 * (double) (i + 1) + 42.7);
        fault(f, 1, cases[i].fault);
        no_more_effects(f);                 //  waiting for the safety actor's verdict
        expect_status(f, 1, "Faulted", cases[i].code);
        advance(f, SESSION_FAULT_GRACE_MS - 1);
        session_tick(f->s, f->now);
        no_more_effects(f);
        advance(f, 1);
        session_tick(f->s, f->now);         //  none came: stop anyway
        expect_stop(f, 1, local, NULL, 100 * (int64_t) (i + 1) + 42, "Other");
        no_more_effects(f);
        expect_status(f, 1, "Faulted", cases[i].code);
        //  The fault persisting is not a second stop.
        energy(f, 1, 100.0 * (double) (i + 1) + 50);
        no_more_effects(f);
        fault(f, 1, "none");
        status_is(f, 1, "Finishing");
        plug(f, 1, false);
        status_is(f, 1, "Available");
    }
    tx_status_t st;
    fault(f, 1, "weird");
    session_status(f->s, 1, &st);
    assert_string_equal(st.vendor_error_code, "Fault:weird");
    fault(f, 1, "none");
    no_more_effects(f);
}

static void
test_faulted_connector_not_startable(void **state)
{
    fx_t *f = *state;
    fault(f, 1, "overtemp");
    plug(f, 1, true);
    expect_status(f, 1, "Faulted", "HighTemperature");
    swipe(f, "TAG");
    expect_authorize(f, "TAG");
    authorized(f, "TAG", "Accepted", NULL);
    no_more_effects(f);
    assert_false(session_tx(f->s, 1)->active);
    assert_false(session_remote_start(f->s, f->now, 1, "R", false));
    assert_false(session_remote_start(f->s, f->now, 0, "R", false));
    no_more_effects(f);
    //  Unplugged and faulted: a waiting authorization does not start on plug either.
    plug(f, 1, false);
    swipe(f, "T2");
    expect_authorize(f, "T2");
    authorized(f, "T2", "Accepted", NULL);
    plug(f, 1, true);
    no_more_effects(f);
    assert_false(session_tx(f->s, 1)->active);
}

static void
test_low_offered_current_suspends(void **state)
{
    fx_t *f = *state;
    start_tx(f, 1, "TAG", NULL);
    ev_request(f, 1, true);
    status_is(f, 1, "Charging");
    offered(f, 1, 5.9);
    status_is(f, 1, "SuspendedEVSE");
    offered(f, 1, 0);
    status_is(f, 1, "SuspendedEVSE");
    offered(f, 1, 6.0);
    status_is(f, 1, "Charging");
    no_more_effects(f);
    assert_true(session_tx(f->s, 1)->active);
}

//  Overlapping RemoteStartTransactions (issue 11.14): the first holds its
//  connector until it starts or times out; another identifier's is
//  Rejected instead of silently replacing it; the same one again is the
//  central system retrying.
static void
test_remote_start_overlap_rejected(void **state)
{
    fx_t *f = *state;                                      //  two connectors
    assert_true(session_remote_start(f->s, f->now, 1, "FIRST", false));
    assert_false(session_remote_start(f->s, f->now, 1, "SECOND", false));
    assert_false(session_remote_start(f->s, f->now, 0, "SECOND", false));  //  "any" may be connector 1
    assert_true(session_remote_start(f->s, f->now, 1, "first", false));    //  a retry
    no_more_effects(f);
    plug(f, 1, true);
    expect_start(f, 1, "first", 0);                        //  as the retry spelled it
    no_more_effects(f);
    //  being authorized claims the connector too
    assert_true(session_remote_start(f->s, f->now, 2, "THIRD", true));
    expect_authorize(f, "THIRD");
    assert_false(session_remote_start(f->s, f->now, 2, "FOURTH", true));
    no_more_effects(f);
    session_on_authorized(f->s, f->now, "THIRD", "Accepted", "");
    no_more_effects(f);
    plug(f, 2, true);
    expect_start(f, 2, "THIRD", 0);
    no_more_effects(f);
}

static void
test_remote_start_rules(void **state)
{
    fx_t *f = *state;                                      //  two connectors
    assert_false(session_remote_start(f->s, f->now, 3, "R", false));       //  out of range
    assert_false(session_remote_start(f->s, f->now, -1, "R", false));
    no_more_effects(f);

    //  Connector given, no cable yet: Accepted, waits for a plug there only.
    assert_true(session_remote_start(f->s, f->now, 2, "R", false));
    no_more_effects(f);
    status_is(f, 2, "Preparing");
    status_is(f, 1, "Available");
    plug(f, 1, true);
    no_more_effects(f);
    plug(f, 2, true);
    expect_start(f, 2, "R", 0);
    no_more_effects(f);

    //  Busy connector: rejected.
    assert_false(session_remote_start(f->s, f->now, 2, "R2", false));
    no_more_effects(f);
    //  No connector given: starts on the plugged free one (1).
    assert_true(session_remote_start(f->s, f->now, 0, "R2", false));
    expect_start(f, 1, "R2", 0);
    no_more_effects(f);
    //  Both busy: rejected with or without a connector.
    assert_false(session_remote_start(f->s, f->now, 0, "R3", false));
    assert_false(session_remote_start(f->s, f->now, 1, "R3", true));
    no_more_effects(f);

    //  Finishing counts as busy.
    swipe(f, "R2");
    expect_contactor(f, 1, false);
    next_ev(f, EV_STOP);
    status_is(f, 1, "Finishing");
    assert_false(session_remote_start(f->s, f->now, 1, "R3", false));
    plug(f, 1, false);
    //  Inoperative connector: rejected.
    assert_string_equal(session_change_availability(f->s, f->now, 1, false), "Accepted");
    expect_availability(f, 1, false);
    assert_false(session_remote_start(f->s, f->now, 1, "R3", false));
    assert_false(session_remote_start(f->s, f->now, 0, "R3", false));
    no_more_effects(f);
}

static void
test_remote_start_no_connector_waits_for_plug(void **state)
{
    fx_t *f = *state;
    assert_true(session_remote_start(f->s, f->now, 0, "R", false));
    no_more_effects(f);
    advance(f, 1000);
    plug(f, 2, true);
    expect_start(f, 2, "R", 0);
    no_more_effects(f);
    assert_string_equal(session_tx(f->s, 2)->parent_id_tag, "");
}

static void
test_remote_start_authorize_first(void **state)
{
    fx_t *f = *state;
    plug(f, 1, true);
    plug(f, 2, true);
    energy(f, 2, 77.7);
    assert_true(session_remote_start(f->s, f->now, 2, "R", true));
    expect_authorize(f, "R");
    no_more_effects(f);                                    //  nothing before authorization
    assert_false(session_tx(f->s, 1)->active);
    assert_false(session_tx(f->s, 2)->active);
    authorized(f, "R", "Accepted", "P");
    expect_start(f, 2, "R", 77);                           //  the hinted connector only
    no_more_effects(f);
    assert_false(session_tx(f->s, 1)->active);

    //  Authorize first, rejected: no start.
    assert_true(session_remote_start(f->s, f->now, 1, "X", true));
    expect_authorize(f, "X");
    authorized(f, "X", "Invalid", NULL);
    no_more_effects(f);
    assert_false(session_tx(f->s, 1)->active);
}

//  A remote start with the group of a running transaction starts, it does
//  not stop the running one.
static void
test_remote_start_authorize_first_same_parent(void **state)
{
    fx_t *f = *state;
    int64_t local = start_tx(f, 1, "A", "P");
    plug(f, 2, true);
    assert_true(session_remote_start(f->s, f->now, 2, "B", true));
    expect_authorize(f, "B");
    authorized(f, "B", "Accepted", "P");
    expect_start(f, 2, "B", 0);
    no_more_effects(f);
    assert_int_equal(session_tx(f->s, 1)->tx_local, local);
}

static void
test_remote_stop(void **state)
{
    fx_t *f = *state;
    energy(f, 1, 10);
    int64_t local = start_tx(f, 1, "TAG", NULL);
    assert_false(session_remote_stop(f->s, f->now, 0));    //  not confirmed yet
    no_more_effects(f);
    session_on_start_confirmed(f->s, f->now, local, 4711, "Accepted");
    assert_false(session_remote_stop(f->s, f->now, 4712)); //  unknown id
    no_more_effects(f);
    energy(f, 1, 20.2);
    assert_true(session_remote_stop(f->s, f->now, 4711));
    expect_stop(f, 1, local, NULL, 20, "Remote");
    no_more_effects(f);
    assert_false(session_remote_stop(f->s, f->now, 4711)); //  already stopped
    no_more_effects(f);
    status_is(f, 1, "Finishing");
}

static void
test_stop_connector_all(void **state)
{
    fx_t *f = *state;
    assert_int_equal(session_stop_connector(f->s, f->now, 0, "SoftReset"), 0);
    no_more_effects(f);
    energy(f, 1, 11);
    energy(f, 2, 22);
    int64_t l1 = start_tx(f, 1, "A", NULL);
    int64_t l2 = start_tx(f, 2, "B", NULL);
    assert_int_equal(session_stop_connector(f->s, f->now, 0, "SoftReset"), 2);
    expect_stop(f, 1, l1, NULL, 11, "SoftReset");
    expect_stop(f, 2, l2, NULL, 22, "SoftReset");
    no_more_effects(f);
    status_is(f, 1, "Finishing");
    status_is(f, 2, "Finishing");
}

static void
test_stop_connector_one(void **state)
{
    fx_t *f = *state;
    start_tx(f, 1, "A", NULL);
    int64_t l2 = start_tx(f, 2, "B", NULL);
    assert_int_equal(session_stop_connector(f->s, f->now, 2, "UnlockCommand"), 1);
    expect_stop(f, 2, l2, NULL, 0, "UnlockCommand");
    no_more_effects(f);
    assert_true(session_tx(f->s, 1)->active);
}

static void
test_change_availability_idle(void **state)
{
    fx_t *f = *state;
    plug(f, 1, true);
    assert_string_equal(session_change_availability(f->s, f->now, 1, false), "Accepted");
    expect_availability(f, 1, false);
    no_more_effects(f);
    status_is(f, 1, "Unavailable");
    status_is(f, 2, "Available");
    status_is(f, 0, "Available");
    assert_false(session_operative(f->s, 1));
    //  Already Inoperative: Accepted, nothing to persist.
    assert_string_equal(session_change_availability(f->s, f->now, 1, false), "Accepted");
    no_more_effects(f);
    //  Not startable.
    swipe(f, "TAG");
    expect_authorize(f, "TAG");
    authorized(f, "TAG", "Accepted", NULL);
    no_more_effects(f);
    assert_false(session_tx(f->s, 1)->active);
    swipe(f, "TAG");                                       //  drop the waiting authorization
    //  Operative restores.
    assert_string_equal(session_change_availability(f->s, f->now, 1, true), "Accepted");
    expect_availability(f, 1, true);
    no_more_effects(f);
    assert_true(session_operative(f->s, 1));
    status_is(f, 1, "Preparing");
    assert_string_equal(session_change_availability(f->s, f->now, 1, true), "Accepted");
    no_more_effects(f);
}

static void
test_change_availability_during_tx(void **state)
{
    fx_t *f = *state;
    int64_t local = start_tx(f, 1, "TAG", NULL);
    ev_request(f, 1, true);
    assert_string_equal(session_change_availability(f->s, f->now, 1, false), "Scheduled");
    no_more_effects(f);                                    //  not yet
    status_is(f, 1, "Charging");
    assert_true(session_operative(f->s, 1));
    swipe(f, "TAG");
    expect_stop(f, 1, local, "TAG", 0, "Local");
    expect_availability(f, 1, false);                      //  applied at the stop
    no_more_effects(f);
    status_is(f, 1, "Unavailable");
    assert_false(session_operative(f->s, 1));
    plug(f, 1, false);
    status_is(f, 1, "Unavailable");
    assert_string_equal(session_change_availability(f->s, f->now, 1, true), "Accepted");
    expect_availability(f, 1, true);
    status_is(f, 1, "Available");
    no_more_effects(f);
}

static void
test_change_availability_scheduled_then_operative(void **state)
{
    fx_t *f = *state;
    int64_t local = start_tx(f, 1, "TAG", NULL);
    assert_string_equal(session_change_availability(f->s, f->now, 1, false), "Scheduled");
    assert_string_equal(session_change_availability(f->s, f->now, 1, true), "Accepted");
    no_more_effects(f);
    swipe(f, "TAG");
    expect_stop(f, 1, local, "TAG", 0, "Local");
    no_more_effects(f);                                    //  the schedule was withdrawn
    assert_true(session_operative(f->s, 1));
    status_is(f, 1, "Finishing");
}

static void
test_change_availability_connector_zero(void **state)
{
    fx_t *f = *state;
    assert_string_equal(session_change_availability(f->s, f->now, 0, false), "Accepted");
    expect_availability(f, 0, false);
    expect_availability(f, 1, false);
    expect_availability(f, 2, false);
    no_more_effects(f);
    status_is(f, 0, "Unavailable");
    status_is(f, 1, "Unavailable");
    status_is(f, 2, "Unavailable");
    assert_false(session_remote_start(f->s, f->now, 0, "R", false));
    assert_string_equal(session_change_availability(f->s, f->now, 0, true), "Accepted");
    expect_availability(f, 0, true);
    expect_availability(f, 1, true);
    expect_availability(f, 2, true);
    no_more_effects(f);
    status_is(f, 0, "Available");
    status_is(f, 1, "Available");
    status_is(f, 2, "Available");
}

static void
test_change_availability_connector_zero_during_tx(void **state)
{
    fx_t *f = *state;
    int64_t local = start_tx(f, 1, "TAG", NULL);
    assert_string_equal(session_change_availability(f->s, f->now, 0, false), "Scheduled");
    expect_availability(f, 0, false);
    expect_availability(f, 2, false);
    no_more_effects(f);
    status_is(f, 0, "Unavailable");
    status_is(f, 2, "Unavailable");
    assert_true(session_tx(f->s, 1)->active);
    swipe(f, "TAG");
    expect_stop(f, 1, local, "TAG", 0, "Local");
    expect_availability(f, 1, false);
    no_more_effects(f);
    status_is(f, 1, "Unavailable");
}

static void
test_change_availability_out_of_range(void **state)
{
    fx_t *f = *state;
    assert_string_equal(session_change_availability(f->s, f->now, 3, false), "Rejected");
    assert_string_equal(session_change_availability(f->s, f->now, -1, false), "Rejected");
    assert_string_equal(session_change_availability(f->s, f->now, 3, true), "Rejected");
    no_more_effects(f);
    status_is(f, 1, "Available");
    status_is(f, 2, "Available");
}

static void
test_load_availability(void **state)
{
    fx_t *f = *state;
    session_load_availability(f->s, 2, false);
    no_more_effects(f);
    assert_false(session_operative(f->s, 2));
    status_is(f, 2, "Unavailable");
    status_is(f, 1, "Available");
    assert_false(session_remote_start(f->s, f->now, 2, "R", false));
    session_load_availability(f->s, 0, false);
    no_more_effects(f);
    status_is(f, 0, "Unavailable");
    status_is(f, 1, "Unavailable");
    assert_false(session_remote_start(f->s, f->now, 1, "R", false));
    session_load_availability(f->s, 0, true);
    session_load_availability(f->s, 2, true);
    no_more_effects(f);
    status_is(f, 2, "Available");
}

static void
test_start_effect_fails(void **state)
{
    fx_t *f = *state;
    f->fail_start = true;
    plug(f, 1, true);
    swipe(f, "TAG");
    expect_authorize(f, "TAG");
    authorized(f, "TAG", "Accepted", NULL);
    const ev_t *e = next_ev(f, EV_START);
    assert_int_equal(e->connector, 1);
    no_more_effects(f);                                    //  no contactor
    assert_int_equal(f->lock_calls, 0);                    //  nor lock
    assert_false(session_tx(f->s, 1)->active);
    status_is(f, 1, "Preparing");
    //  The tag does not "stop" anything: a new presentation asks again.
    f->fail_start = false;
    swipe(f, "TAG");
    expect_authorize(f, "TAG");
    authorized(f, "TAG", "Accepted", NULL);
    expect_start(f, 1, "TAG", 0);
    no_more_effects(f);
}

static void
test_restore(void **state)
{
    fx_t *f = *state;
    session_tx_t tx = { .active = true, .tx_local = 42, .tx_id = 9001, .confirmed = true,
                        .id_tag = "R1", .parent_id_tag = "", .meter_start = 1000,
                        .started_wall_ms = 1690000000000LL };
    session_restore(f->s, 1, &tx);
    no_more_effects(f);
    assert_int_equal(session_tx(f->s, 1)->tx_local, 42);
    status_is(f, 1, "SuspendedEV");
    f->hw[1].plugged = true;
    f->hw[1].ev_requesting = true;
    f->hw[1].energy_wh = 1500.5;
    push_hw(f, 1);
    status_is(f, 1, "Charging");
    assert_true(f->locked[1]);
    //  A plug is not a new transaction.
    for (int i = 0; i < f->n; i++)
        assert_int_not_equal(f->ev[i].kind, EV_START);
    f->seen = f->n;
    assert_int_equal(session_tx(f->s, 1)->tx_local, 42);
    swipe(f, "R1");
    expect_stop(f, 1, 42, "R1", 1500, "Local");
    no_more_effects(f);
}

static void
test_restore_remote_stop(void **state)
{
    fx_t *f = *state;
    session_tx_t tx = { .active = true, .tx_local = 7, .tx_id = 300, .confirmed = true,
                        .id_tag = "R1", .meter_start = 2000 };
    session_restore(f->s, 1, &tx);
    assert_true(session_remote_stop(f->s, f->now, 300));
    expect_stop(f, 1, 7, NULL, 2000, "Remote");            //  no meter yet: not below the start
    no_more_effects(f);
}

static void
test_two_connectors(void **state)
{
    fx_t *f = *state;
    energy(f, 1, 100);
    energy(f, 2, 200);
    plug(f, 2, true);
    swipe(f, "A");
    expect_authorize(f, "A");
    authorized(f, "A", "Accepted", NULL);
    int64_t la = expect_start(f, 2, "A", 200);             //  the plugged one
    no_more_effects(f);
    assert_false(session_tx(f->s, 1)->active);
    status_is(f, 1, "Available");

    swipe(f, "B");
    expect_authorize(f, "B");
    authorized(f, "B", "Accepted", NULL);
    no_more_effects(f);                                    //  waits for a plug
    advance(f, 5000);
    plug(f, 1, true);
    int64_t lb = expect_start(f, 1, "B", 100);
    no_more_effects(f);
    assert_true(la != lb);

    energy(f, 2, 300);
    swipe(f, "A");
    expect_stop(f, 2, la, "A", 300, "Local");
    no_more_effects(f);
    assert_true(session_tx(f->s, 1)->active);
    status_is(f, 2, "Finishing");
    swipe(f, "B");
    expect_stop(f, 1, lb, "B", 100, "Local");
    no_more_effects(f);
}

static void
test_meter_never_backwards(void **state)
{
    fx_t *f = *state;
    energy(f, 1, 1500.7);
    int64_t local = start_tx(f, 1, "TAG", NULL);
    assert_int_equal(session_tx(f->s, 1)->meter_start, 1500);
    energy(f, 1, 1200);                                    //  a meter reporting lower
    swipe(f, "TAG");
    expect_stop(f, 1, local, "TAG", 1500, "Local");
    no_more_effects(f);
}

static void
test_hw_out_of_range_ignored(void **state)
{
    fx_t *f = *state;
    hw_connector_state_t hw = f->hw[1];
    hw.connector = 5;
    hw.plugged = true;
    session_on_hw(f->s, f->now, &hw);
    hw.connector = 0;
    session_on_hw(f->s, f->now, &hw);
    no_more_effects(f);
    status_is(f, 1, "Available");
}


//  --- Reservations (spec 5.13) --------------------------------------------

static void
test_reservation_lifecycle(void **state)
{
    fx_t *f = *state;
    int64_t deadline = f->now + 60000;
    assert_string_equal(session_reserve(f->s, f->now, 1, 42, "R1", "GRP", deadline), "Accepted");
    assert_true(f->resv_active[1]);
    assert_int_equal(f->resv_id[1], 42);
    status_is(f, 1, "Reserved");
    //  A second reservation of the same connector: Occupied; connector 0
    //  and unknown connectors: Rejected.
    assert_string_equal(session_reserve(f->s, f->now, 1, 43, "R2", "", deadline), "Occupied");
    assert_string_equal(session_reserve(f->s, f->now, 0, 44, "R2", "", deadline), "Rejected");
    assert_string_equal(session_reserve(f->s, f->now, 2, 44, "R2", "", deadline), "Rejected");
    //  Another identifier may not use the reserved connector.
    plug(f, 1, true);
    status_is(f, 1, "Reserved");
    swipe(f, "OTHER");
    expect_authorize(f, "OTHER");
    authorized(f, "OTHER", "Accepted", NULL);
    no_more_effects(f);
    assert_false(session_tx(f->s, 1)->active);
    //  The holder starts, with the reservation id, which ends it.
    swipe(f, "R1");
    expect_authorize(f, "R1");
    authorized(f, "R1", "Accepted", NULL);
    expect_start(f, 1, "R1", 0);
    assert_int_equal(f->start_reservation, 42);
    assert_false(f->resv_active[1]);
    assert_false(session_reservation(f->s, 1)->active);
}

static void
test_reservation_group_member(void **state)
{
    fx_t *f = *state;
    assert_string_equal(session_reserve(f->s, f->now, 1, 7, "R1", "GRP", f->now + 60000), "Accepted");
    plug(f, 1, true);
    swipe(f, "MEMBER");
    expect_authorize(f, "MEMBER");
    authorized(f, "MEMBER", "Accepted", "GRP");
    expect_start(f, 1, "MEMBER", 0);
    assert_int_equal(f->start_reservation, 7);
}

static void
test_reservation_expiry_and_cancel(void **state)
{
    fx_t *f = *state;
    assert_string_equal(session_reserve(f->s, f->now, 1, 1, "R1", "", f->now + 5000), "Accepted");
    assert_true(session_next_deadline(f->s) <= f->now + 5000);
    advance(f, 4999);
    session_tick(f->s, f->now);
    assert_true(f->resv_active[1]);
    advance(f, 1);
    session_tick(f->s, f->now);
    assert_false(f->resv_active[1]);
    status_is(f, 1, "Available");
    //  Cancel: known id → true, unknown → false.
    assert_string_equal(session_reserve(f->s, f->now, 1, 2, "R1", "", f->now + 5000), "Accepted");
    assert_false(session_cancel_reservation(f->s, 99));
    assert_true(session_cancel_reservation(f->s, 2));
    assert_false(f->resv_active[1]);
    status_is(f, 1, "Available");
    //  Same id again replaces the reservation (spec 5.13).
    assert_string_equal(session_reserve(f->s, f->now, 1, 3, "R1", "", f->now + 5000), "Accepted");
    assert_string_equal(session_reserve(f->s, f->now, 1, 3, "R9", "", f->now + 9000), "Accepted");
    assert_string_equal(session_reservation(f->s, 1)->id_tag, "R9");
}

static void
test_reservation_refusals(void **state)
{
    fx_t *f = *state;
    int64_t d = f->now + 60000;
    plug(f, 1, true);
    assert_string_equal(session_reserve(f->s, f->now, 1, 1, "R1", "", d), "Occupied");
    plug(f, 1, false);
    assert_string_equal(session_change_availability(f->s, f->now, 1, false), "Accepted");
    assert_string_equal(session_reserve(f->s, f->now, 1, 1, "R1", "", d), "Unavailable");
    assert_string_equal(session_change_availability(f->s, f->now, 1, true), "Accepted");
    f->hw[1].fault[0] = '\0';
    snprintf(f->hw[1].fault, sizeof f->hw[1].fault, "rcd");
    push_hw(f, 1);
    assert_string_equal(session_reserve(f->s, f->now, 1, 1, "R1", "", d), "Faulted");
    snprintf(f->hw[1].fault, sizeof f->hw[1].fault, "none");
    push_hw(f, 1);
    //  A fault ends a reservation (spec 5.13 (3)).
    assert_string_equal(session_reserve(f->s, f->now, 1, 1, "R1", "", d), "Accepted");
    snprintf(f->hw[1].fault, sizeof f->hw[1].fault, "ground");
    push_hw(f, 1);
    assert_false(f->resv_active[1]);
}

//  A safety trip stops the transaction with the safety actor's reason and
//  shows its error code; clearing it makes the connector usable again.
static void
test_safety_trip(void **state)
{
    fx_t *f = *state;
    energy(f, 1, 500);
    int64_t local = start_tx(f, 1, "TAG", NULL);
    ev_request(f, 1, true);
    session_on_safety(f->s, f->now, 1, true, "GroundFailure", "rcd 6mA DC", "EmergencyStop");
    expect_stop(f, 1, local, NULL, 500, "EmergencyStop");
    no_more_effects(f);
    tx_status_t st;
    session_status(f->s, 1, &st);
    assert_string_equal(st.status, "Faulted");
    assert_string_equal(st.error_code, "GroundFailure");
    assert_string_equal(st.vendor_error_code, "rcd 6mA DC");
    //  The hardware fault that follows is not a second stop.
    fault(f, 1, "rcd");
    advance(f, SESSION_FAULT_GRACE_MS + 1);
    session_tick(f->s, f->now);
    no_more_effects(f);
    //  Not startable while tripped.
    swipe(f, "OTHER");
    expect_authorize(f, "OTHER");
    authorized(f, "OTHER", "Accepted", NULL);
    no_more_effects(f);
    fault(f, 1, "none");
    session_on_safety(f->s, f->now, 1, false, "", "", "");
    status_is(f, 1, "Finishing");
    plug(f, 1, false);
    status_is(f, 1, "Available");
    //  A verdict for a connector the charger lacks is ignored.
    session_on_safety(f->s, f->now, 7, true, "GroundFailure", "", "Other");
    no_more_effects(f);
}

int
main(void)
{
#define T1(fn) cmocka_unit_test_setup_teardown(fn, setup1, teardown)
#define T2(fn) cmocka_unit_test_setup_teardown(fn, setup2, teardown)
    const struct CMUnitTest tests[] = {
        T1(test_initial_state),
        T1(test_reservation_lifecycle),
        T1(test_reservation_group_member),
        T1(test_reservation_expiry_and_cancel),
        T1(test_reservation_refusals),
        T1(test_plug_then_swipe_full_cycle),
        T1(test_swipe_then_plug_within_timeout),
        T1(test_swipe_then_no_plug_times_out),
        T1(test_plug_after_deadline_before_tick),
        T1(test_swipe_twice_while_waiting_cancels),
        T1(test_authorize_not_accepted),
        T1(test_parent_id_tag_stops),
        T1(test_parent_id_tag_other_group),
        T1(test_id_tag_case_insensitive),
        T1(test_start_conf_invalid_stop_on_invalid_id),
        T1(test_start_conf_invalid_suspends),
        T1(test_unplug_stops_on_ev_side_disconnect),
        T1(test_unplug_keeps_tx_without_ev_side_disconnect),
        T1(test_fault_during_tx),
        T1(test_safety_trip),
        T1(test_faulted_connector_not_startable),
        T1(test_low_offered_current_suspends),
        T2(test_remote_start_rules),
        T2(test_remote_start_overlap_rejected),
        T2(test_remote_start_no_connector_waits_for_plug),
        T2(test_remote_start_authorize_first),
        T2(test_remote_start_authorize_first_same_parent),
        T1(test_remote_stop),
        T2(test_stop_connector_all),
        T2(test_stop_connector_one),
        T2(test_change_availability_idle),
        T1(test_change_availability_during_tx),
        T1(test_change_availability_scheduled_then_operative),
        T2(test_change_availability_connector_zero),
        T2(test_change_availability_connector_zero_during_tx),
        T2(test_change_availability_out_of_range),
        T2(test_load_availability),
        T1(test_start_effect_fails),
        T1(test_restore),
        T1(test_restore_remote_stop),
        T2(test_two_connectors),
        T1(test_meter_never_backwards),
        T1(test_hw_out_of_range_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
