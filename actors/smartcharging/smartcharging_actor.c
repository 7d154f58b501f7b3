/* smartcharging_actor.c — the thin shell around the smart-charging model
 * (see smartcharging_actor.h). Everything that decides is pure
 * (profile.c, composite.c, the operation files); this file only feeds
 * them with bus events, the clock and the store, and carries out what they
 * decide.
 */
#include "actors/smartcharging/smartcharging_actor.h"

#include <math.h>
#include <string.h>
#include "actors/config/config_store.h"
#include "actors/smartcharging/composite.h"
#include "actors/smartcharging/local_limits.h"
#include "actors/smartcharging/profile_store.h"
#include "actors/smartcharging/sc_ops.h"
#include "hw/hw.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"
#include "supervisor/store.h"

#define LOG "smartcharging"

typedef struct {
    double limit_a;             //  published / offered now
    int64_t next_change_ms;
    sc_source_t source;         //  what holds it there
    int64_t lowered_mono;       //  when its limit last fell (s_hold_rises)
    bool published;
    double offered_a;           //  acknowledged by hw; NAN = not yet
    uint64_t offer_corr;        //  in flight
    double offer_pending_a;
    int64_t offer_retry_mono;   //  0 = none
} s_conn_t;

typedef struct {
    cp_shell_t *shell;
    cp_clock_t *clock;
    const cp_options_t *options;
    sqlite3 *db;
    config_store_t *config;
    sc_store_t *store;
    sc_ops_ctx_t ctx;
    int connectors;
    int timer;
    int64_t seen_tx[SC_MAX_CONNECTORS + 1];
    int64_t seen_hw[SC_MAX_CONNECTORS + 1];
    bool tx_known[SC_MAX_CONNECTORS + 1];   //  a state of the connector arrived since start
    s_conn_t conn[SC_MAX_CONNECTORS + 1];
    //  the owner's and installer's limits, and the grid meter (Power Boost)
    sc_local_config_t local;
    sc_grid_view_t grid;
    int64_t grid_at_mono;       //  0 = no reading yet
    int64_t started_mono;
    int64_t rise_at;            //  a held rise may go ahead (mono); 0 = none
    int64_t seen_grid;
} sc_actor_t;

static int64_t s_mono(sc_actor_t *self) { return cp_clock_mono_ms(self->clock); }
static int64_t s_wall(sc_actor_t *self) { return cp_clock_wall_ms(self->clock); }

//  --------------------------------------------------------------------------
//  Configuration (9.4)

static void
s_read_config(sc_actor_t *self)
{
    sc_rules_t *r = &self->ctx.rules;
    r->connectors = self->connectors;
    r->max_stack_level = (int) config_store_get_int(self->config, "ChargeProfileMaxStackLevel", 8);
    r->max_periods = (int) config_store_get_int(self->config, "ChargingScheduleMaxPeriods", 48);
    self->ctx.max_installed = (int) config_store_get_int(self->config, "MaxChargingProfilesInstalled", 32);
    char units[64] = "";
    config_store_get(self->config, "ChargingScheduleAllowedChargingRateUnit", units, sizeof(units));
    r->allow_a = strstr(units, "Current") != NULL;
    r->allow_w = strstr(units, "Power") != NULL;
    if (!r->allow_a && !r->allow_w)
        r->allow_a = true;      //  a hand-edited store: the pilot's own unit

    self->ctx.voltage_v = (double) config_store_get_int(self->config, "NominalVoltage", 230);
    //  Local limits (local_limits.h); the store validated every value.
    sc_local_config_t *local = &self->local;
    local->installation_max_a = (double) config_store_get_int(self->config, "InstallationMaxCurrent", 32);
    local->owner_limit_a = (double) config_store_get_int(self->config, "LocalCurrentLimit", 0);
    local->power_boost = config_store_get_bool(self->config, "PowerBoostEnabled", false);
    local->main_fuse_a = (double) config_store_get_int(self->config, "PowerBoostMainFuse", 40);
    local->utc_offset_min = (int) config_store_get_int(self->config, "LocalTimeOffset", 0);
    char schedule[CONFIG_VALUE_MAX + 1] = "";
    char why[160];
    config_store_get(self->config, "LocalChargingSchedule", schedule, sizeof(schedule));
    if (sc_local_schedule_parse(schedule, &local->schedule, why, sizeof(why)) != 0)
        cp_error(LOG, "stored LocalChargingSchedule is invalid (%s): no local schedule", why);
}

static bool
s_is_sc_key(const char *key)
{
    return streq(key, "ChargeProfileMaxStackLevel") || streq(key, "ChargingScheduleMaxPeriods")
        || streq(key, "MaxChargingProfilesInstalled")
        || streq(key, "ChargingScheduleAllowedChargingRateUnit")
        || streq(key, "InstallationMaxCurrent") || streq(key, "LocalCurrentLimit")
        || streq(key, "PowerBoostEnabled") || streq(key, "PowerBoostMainFuse")
        || streq(key, "LocalChargingSchedule") || streq(key, "LocalTimeOffset")
        || streq(key, "NominalVoltage");
}

//  --------------------------------------------------------------------------
//  Limits

static void s_rearm(sc_actor_t *self);

static void
s_offer_send(sc_actor_t *self, int c)
{
    s_conn_t *conn = &self->conn[c];
    cp_msg_t *msg = cp_msg_new(CP_MSG_HW_COMMAND);
    if (msg) {
        msg->u.hw_command.connector = c;
        cp_msg_set_str(msg->u.hw_command.command, "offer");
        msg->u.hw_command.value = conn->limit_a;
        conn->offer_corr = cp_shell_request(self->shell, "hw", msg);
        conn->offer_pending_a = conn->limit_a;
        cp_msg_destroy(&msg);
    }
    conn->offer_retry_mono = conn->offer_corr ? 0 : s_mono(self) + SC_ACTOR_RETRY_MS;
}

static void
s_publish(sc_actor_t *self, int c)
{
    s_conn_t *conn = &self->conn[c];
    cp_msg_t *msg = cp_msg_new(CP_MSG_SC_LIMIT);
    if (!msg)
        return;
    msg->u.sc_limit.connector = c;
    msg->u.sc_limit.limit_a = conn->limit_a;
    msg->u.sc_limit.next_change_ms = conn->next_change_ms;
    cp_msg_set_str(msg->u.sc_limit.source, sc_source_name(conn->source));
    msg->u.sc_limit.seq = cp_msg_seq_now();
    char topic[32];
    snprintf(topic, sizeof(topic), "sc.limit.%d", c);
    cp_shell_publish(self->shell, topic, msg);
    cp_msg_destroy(&msg);
}

//  limit now and next change (wall ms, 0 = none) of one composite mode;
//  *source: DEFAULT when no profile applies, else OCPP
static double
s_now(sc_actor_t *self, int connector, sc_mode_t mode, int64_t start, int64_t *next, sc_source_t *source)
{
    sc_composite_req_t req;
    sc_ops_composite_req(&self->ctx, &req, connector, start, SC_ACTOR_HORIZON_S, SC_UNIT_A);
    req.mode = mode;
    sc_slot_t out[2];
    int n = sc_composite(&req, out, 2, NULL);
    if (n < 1) {
        cp_error(LOG, "cannot compute the limit of connector %d: offering the default", connector);
        *source = SC_SOURCE_DEFAULT;
        return SC_ACTOR_DEFAULT_LIMIT_A;
    }
    if (n == 2 && (*next == 0 || start + out[1].start_s * 1000 < *next))
        *next = start + out[1].start_s * 1000;
    *source = out[0].is_default ? SC_SOURCE_DEFAULT : SC_SOURCE_OCPP;
    return out[0].limit;
}

//  Until the levels it depends on have arrived after a (re)start — every
//  connector's transaction (a TxProfile applies only with its transaction)
//  and, with Power Boost, a grid reading — the actor neither publishes nor
//  offers: the hw layer keeps offering what was last decided, instead of a
//  limit computed without the TxProfile or the meter for a moment.
static bool
s_levels_known(sc_actor_t *self)
{
    for (int c = 1; c <= self->connectors; c++)
        if (!self->tx_known[c])
            return false;
    //  a board without a grid meter never sends a reading: after the
    //  staleness delay Power Boost's fallback applies
    return !self->local.power_boost || self->grid_at_mono != 0
        || s_mono(self) - self->started_mono >= SC_POWER_BOOST_STALE_MS;
}

//  Current moving between cars (local_limits.h SC_EV_RESPONSE_MS): a
//  connector's rise waits until every other connector's fall is at least
//  SC_EV_RESPONSE_MS old, so the car that must slow down has done so before
//  the other may speed up. Falls apply at once. self->rise_at is when a
//  held rise may go ahead (0: none held), for the timer.
static void
s_hold_rises(sc_actor_t *self, double *limit)
{
    int64_t now = s_mono(self);
    self->rise_at = 0;
    for (int c = 1; c <= self->connectors; c++) {
        s_conn_t *conn = &self->conn[c];
        //  only a car that may be drawing has to slow down first
        if (conn->published && limit[c] < conn->limit_a && self->ctx.tx[c].active)
            conn->lowered_mono = now;
    }
    for (int c = 1; c <= self->connectors; c++) {
        s_conn_t *conn = &self->conn[c];
        if (!conn->published || limit[c] <= conn->limit_a)
            continue;
        int64_t free_at = 0;
        for (int d = 1; d <= self->connectors; d++)
            if (d != c && self->conn[d].lowered_mono && self->conn[d].lowered_mono + SC_EV_RESPONSE_MS > free_at)
                free_at = self->conn[d].lowered_mono + SC_EV_RESPONSE_MS;
        if (free_at > now) {
            limit[c] = conn->limit_a;       //  hold: what it has now, never more
            if (!self->rise_at || free_at < self->rise_at)
                self->rise_at = free_at;
        }
    }
}

static void
s_recompute(sc_actor_t *self)
{
    if (!s_levels_known(self))
        return;
    int64_t now = s_wall(self);
    int64_t start = now - ((now % 1000) + 1000) % 1000;
    self->ctx.now_ms = now;
    int64_t next = 0;
    sc_limits_in_t in;
    memset(&in, 0, sizeof(in));
    in.connectors = self->connectors;
    in.cp_cap_a = s_now(self, 0, SC_MODE_CP_MAX, start, &next, &in.cp_source);
    for (int c = 1; c <= self->connectors; c++) {
        in.own_a[c] = s_now(self, c, SC_MODE_OWN, start, &next, &in.own_source[c]);
        in.active[c] = self->ctx.tx[c].active;
        in.started_ms[c] = self->ctx.tx_start_ms[c];
    }
    self->grid.fresh = self->grid_at_mono
                    && s_mono(self) - self->grid_at_mono < SC_POWER_BOOST_STALE_MS;
    sc_local_limits(&self->local, &self->grid, now, &in.local);
    if (in.local.next_wall_ms && (next == 0 || in.local.next_wall_ms < next))
        next = in.local.next_wall_ms;
    double limit[SC_MAX_CONNECTORS + 1];
    sc_source_t source[SC_MAX_CONNECTORS + 1];
    sc_limits_combine(&in, limit, source);
    s_hold_rises(self, limit);
    for (int c = 1; c <= self->connectors; c++) {
        s_conn_t *conn = &self->conn[c];
        bool changed = !conn->published || conn->limit_a != limit[c] || conn->next_change_ms != next
                    || conn->source != source[c];
        bool new_limit = !conn->published || conn->limit_a != limit[c] || conn->source != source[c];
        conn->limit_a = limit[c];
        conn->next_change_ms = next;
        conn->source = source[c];
        if (changed) {
            if (new_limit)
                cp_info(LOG, "connector %d: limit %.1f A (%s)", c, limit[c], sc_source_name(source[c]));
            conn->published = true;
            s_publish(self, c);
        }
        //  one offer in flight at a time; a newer limit follows its answer
        if (!conn->offer_corr && !conn->offer_retry_mono && conn->offered_a != limit[c])
            s_offer_send(self, c);
    }
}

//  What the hardware says it was last asked to offer. A board that
//  restarted (in --split, the hw process and its simulator), or an offer
//  that got lost, shows a request other than the limit decided here: offer
//  again. Level-triggered, so nothing depends on seeing an edge.
//  True when it is to be offered again (the only case worth a recompute:
//  hw states arrive every second while a car charges).
static bool
s_on_hw(sc_actor_t *self, const cp_msg_hw_connector_t *hw)
{
    int c = (int) hw->connector;
    if (c < 1 || c > self->connectors || cp_msg_stale(hw->seq, &self->seen_hw[c]))
        return false;
    s_conn_t *conn = &self->conn[c];
    if (conn->published && !conn->offer_corr && fabs(hw->requested_a - conn->limit_a) > 0.05
        && !isnan(conn->offered_a)) {
        cp_info(LOG, "connector %d: the hardware offers on a request of %.1f A, not %.1f A: offering again", c,
                hw->requested_a, conn->limit_a);
        conn->offered_a = NAN;          //  s_recompute offers again
        return true;
    }
    return false;
}

//  The grid meter (Power Boost). True when the reading can change a limit:
//  only with Power Boost on (then the meter refreshes every 2 s).
static bool
s_on_grid(sc_actor_t *self, const cp_msg_hw_grid_t *grid)
{
    if (cp_msg_stale(grid->seq, &self->seen_grid))
        return false;
    bool was_ok = self->grid.ok || !self->grid_at_mono;
    self->grid.ok = grid->ok;
    self->grid.grid_a = grid->current_a;
    self->grid.charger_a = grid->charger_a;
    self->grid_at_mono = s_mono(self);
    if (self->local.power_boost && was_ok && !grid->ok)
        cp_warn(LOG, "Power Boost: the grid meter does not answer; offering %.0f A in total",
                SC_POWER_BOOST_FALLBACK_A);
    return self->local.power_boost;
}

//  --------------------------------------------------------------------------
//  Transactions

static void
s_on_tx(sc_actor_t *self, const cp_msg_tx_connector_t *tx)
{
    int c = (int) tx->connector;
    if (c < 1 || c > self->connectors || cp_msg_stale(tx->seq, &self->seen_tx[c]))
        return;
    sc_tx_view_t *view = &self->ctx.tx[c];
    bool was_active = view->active;
    int64_t was_local = self->ctx.tx_local[c];
    view->active = tx->tx_active;
    view->confirmed = tx->tx_active && tx->tx_confirmed;
    view->tx_id = tx->tx_active ? tx->tx_id : 0;
    self->ctx.tx_local[c] = tx->tx_active ? tx->tx_local : 0;
    if (tx->tx_active) {
        int64_t started = 0;
        if (cp_clock_parse(tx->started_at, &started) != 0)
            started = s_wall(self);
        self->ctx.tx_start_ms[c] = started;
    }
    else
        self->ctx.tx_start_ms[c] = 0;
    if (!self->tx_known[c] || was_active != view->active || was_local != self->ctx.tx_local[c]) {
        //  3.13.1: a TxProfile ends with its transaction (also one that
        //  ended while this actor was down: the first state decides)
        self->tx_known[c] = true;
        int n = sc_store_end_tx(self->store, c, self->ctx.tx_local[c]);
        if (n > 0)
            cp_info(LOG, "connector %d: %d TxProfile(s) removed with their transaction", c, n);
    }
}

//  --------------------------------------------------------------------------
//  OCPP operations

static void
s_on_inbound(sc_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_ocpp_inbound_t *in)
{
    json_t *request = json_loads(in->payload ? in->payload : "{}", 0, NULL);
    self->ctx.now_ms = s_wall(self);
    self->ctx.changed = false;
    self->ctx.error_code[0] = '\0';
    json_t *response = NULL;
    bool known = true;
    if (!request)
        snprintf(self->ctx.error_code, sizeof(self->ctx.error_code), "FormationViolation");
    else
    if (streq(in->action, "SetChargingProfile"))
        response = set_charging_profile(&self->ctx, request);
    else
    if (streq(in->action, "ClearChargingProfile"))
        response = clear_charging_profile(&self->ctx, request);
    else
    if (streq(in->action, "GetCompositeSchedule"))
        response = get_composite_schedule(&self->ctx, request);
    else
        known = false;
    cp_msg_t *reply = cp_msg_new(CP_MSG_OCPP_INBOUND_REPLY);
    if (!reply) {
        json_decref(response);
        json_decref(request);
        cp_shell_reply_status(self->shell, env, false, "out of memory");
        return;
    }
    cp_msg_ocpp_inbound_reply_t *out = &reply->u.ocpp_inbound_reply;
    char *text = response ? json_dumps(response, JSON_COMPACT) : NULL;
    if (text && cp_msg_set_text(&out->payload, text) == 0)
        cp_info(LOG, "%s → %s%s%s", in->action, text, self->ctx.reason[0] ? ": " : "", self->ctx.reason);
    else
    if (!known) {
        cp_msg_set_str(out->error_code, "NotSupported");
        cp_msg_set_str(out->error_description, "not handled by the smartcharging actor");
    }
    else
    if (self->ctx.error_code[0]) {
        cp_msg_set_str(out->error_code, self->ctx.error_code);
        cp_msg_set_str(out->error_description, self->ctx.reason);
        cp_info(LOG, "%s → CALLERROR %s: %s", in->action, self->ctx.error_code, self->ctx.reason);
    }
    else {
        cp_msg_set_str(out->error_code, "InternalError");
        cp_msg_set_str(out->error_description, "cannot build the response");
    }
    free(text);
    cp_shell_reply(self->shell, env, reply, true);
    cp_msg_destroy(&reply);
    json_decref(response);
    json_decref(request);
}

static void
s_on_snapshot_request(sc_actor_t *self, const cp_bus_envelope_t *env)
{
    for (int c = 1; c <= self->connectors; c++) {
        s_conn_t *conn = &self->conn[c];
        if (!conn->published)
            continue;                   //  nothing decided yet since the start
        cp_msg_t *msg = cp_msg_new(CP_MSG_SC_LIMIT);
        if (!msg)
            break;
        msg->u.sc_limit.connector = c;
        msg->u.sc_limit.limit_a = conn->limit_a;
        msg->u.sc_limit.next_change_ms = conn->next_change_ms;
        cp_msg_set_str(msg->u.sc_limit.source, sc_source_name(conn->source));
        msg->u.sc_limit.seq = cp_msg_seq_now();
        cp_shell_reply(self->shell, env, msg, false);
        cp_msg_destroy(&msg);
    }
    cp_shell_reply_status(self->shell, env, true, "");
}

//  A reply or unreachable notice: the answer to an offer.
static void
s_on_answer(sc_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    for (int c = 1; c <= self->connectors; c++) {
        s_conn_t *conn = &self->conn[c];
        if (!conn->offer_corr || conn->offer_corr != env->corr)
            continue;
        conn->offer_corr = 0;
        if (env->kind == CP_BUS_REPLY && msg && msg->type == CP_MSG_REPLY && msg->u.reply.ok)
            conn->offered_a = conn->offer_pending_a;
        else {
            cp_warn(LOG, "hw did not take the offer of %.1f A on connector %d (%s); retrying", conn->offer_pending_a,
                    c, env->kind == CP_BUS_UNREACHABLE ? "unreachable" : env->kind == CP_BUS_TIMEOUT ? "no answer"
                     : msg && msg->type == CP_MSG_REPLY ? msg->u.reply.reason : "bad reply");
            conn->offer_retry_mono = s_mono(self) + SC_ACTOR_RETRY_MS;
        }
        return;
    }
}

//  --------------------------------------------------------------------------
//  The timer: the next schedule boundary, or a retry

static int
s_on_timer(cp_loop_t *loop, int timer_id, void *arg)
{
    sc_actor_t *self = arg;
    self->timer = 0;
    int64_t now = s_mono(self);
    for (int c = 1; c <= self->connectors; c++)
        if (self->conn[c].offer_retry_mono && self->conn[c].offer_retry_mono <= now)
            self->conn[c].offer_retry_mono = 0;     //  s_recompute sends it again
    s_recompute(self);
    s_rearm(self);
    return 0;
}

static void
s_rearm(sc_actor_t *self)
{
    int64_t now_mono = s_mono(self), now_wall = s_wall(self);
    int64_t delay = SC_ACTOR_MAX_SLEEP_MS;
    for (int c = 1; c <= self->connectors; c++) {
        s_conn_t *conn = &self->conn[c];
        if (conn->next_change_ms && conn->next_change_ms - now_wall < delay)
            delay = conn->next_change_ms - now_wall;
        if (conn->offer_retry_mono && conn->offer_retry_mono - now_mono < delay)
            delay = conn->offer_retry_mono - now_mono;
    }
    if (self->rise_at && self->rise_at - now_mono < delay)
        delay = self->rise_at - now_mono;
    //  Power Boost notices a silent meter by the absence of readings (and
    //  a missing one by the absence of a first reading).
    if (self->local.power_boost && (self->grid.fresh || !self->grid_at_mono)) {
        int64_t since = self->grid_at_mono ? self->grid_at_mono : self->started_mono;
        int64_t stale = since + SC_POWER_BOOST_STALE_MS - now_mono;
        if (stale > 0 && stale < delay)         //  a past deadline has been seen
            delay = stale;
    }
    cp_shell_rearm(self->shell, &self->timer, delay, s_on_timer, self, "limits change late");
}

//  --------------------------------------------------------------------------
//  Bus

static void
s_handler(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, void *ctx)
{
    sc_actor_t *self = ctx;
    //  snapshot replies (cp_shell_snapshot) are levels like events
    if (env->kind == CP_BUS_EVENT || env->kind == CP_BUS_PARTIAL) {
        if (msg && msg->type == CP_MSG_TX_CONNECTOR)
            s_on_tx(self, &msg->u.tx_connector);
        else
        //  frequent readings: recompute only when they can change something
        if (msg && msg->type == CP_MSG_HW_GRID) {
            if (!s_on_grid(self, &msg->u.hw_grid))
                return;
        }
        else
        if (msg && msg->type == CP_MSG_HW_CONNECTOR) {
            if (!s_on_hw(self, &msg->u.hw_connector))
                return;
        }
        else
        if (msg && msg->type == CP_MSG_CONFIG_CHANGED && s_is_sc_key(msg->u.config_changed.key))
            s_read_config(self);
    }
    else
    if (env->kind == CP_BUS_REQUEST) {
        if (msg->type == CP_MSG_OCPP_INBOUND)
            s_on_inbound(self, env, &msg->u.ocpp_inbound);
        else
        if (msg->type == CP_MSG_SNAPSHOT_REQUEST)
            s_on_snapshot_request(self, env);
        else
            cp_shell_reply_status(shell, env, false, "smartcharging: unsupported request");
    }
    else
        s_on_answer(self, env, msg);
    s_recompute(self);
    s_rearm(self);
}

void
smartcharging_actor(zsock_t *pipe, void *args)
{
    cp_actor_args_t *actor_args = args;
    sc_actor_t *self = calloc(1, sizeof(sc_actor_t));
    if (!self) {
        cp_error(LOG, "cannot start: out of memory");
        return;
    }
    self->clock = actor_args->clock;
    self->options = actor_args->options;
    self->started_mono = s_mono(self);
    self->connectors = self->options->connectors;
    if (self->connectors < 1)
        self->connectors = 1;
    if (self->connectors > SC_MAX_CONNECTORS)
        self->connectors = SC_MAX_CONNECTORS;
    for (int c = 0; c <= SC_MAX_CONNECTORS; c++)
        self->conn[c].offered_a = NAN;
    self->ctx.voltage_v = SC_DEFAULT_VOLTAGE_V;
    self->ctx.phases = SC_ACTOR_PHASES;
    self->ctx.default_limit_a = SC_ACTOR_DEFAULT_LIMIT_A;
    char err[256] = "";
    self->shell = cp_shell_new(pipe, actor_args);
    self->db = cp_store_open(self->options->state_dir, err, sizeof(err));
    if (self->db)
        self->config = config_store_open_reader(self->options, err, sizeof(err));
    self->store = self->db ? sc_store_new(self->db) : NULL;
    if (!self->shell || !self->db || !self->config || !self->store) {
        cp_error(LOG, "cannot start: %s", err[0] ? err : "no bus or profile store");
        goto done;
    }
    self->ctx.store = self->store;
    s_read_config(self);
    cp_info(LOG, "%d charging profile(s) installed", sc_store_count(self->store));
    cp_shell_set_handler(self->shell, s_handler, self);
    cp_bus_t *bus = cp_shell_bus(self->shell);
    cp_bus_subscribe(bus, "tx.connector.");
    cp_bus_subscribe(bus, "config.changed");
    cp_bus_subscribe(bus, "hw.grid");
    cp_bus_subscribe(bus, "hw.connector.");     //  what the hardware was asked to offer
    cp_shell_snapshot(self->shell, "transaction", "smartcharging");
    cp_shell_snapshot(self->shell, "hw", "smartcharging");      //  the grid meter
    s_recompute(self);
    s_rearm(self);
    cp_shell_run(self->shell);
done:
    sc_store_destroy(&self->store);
    config_store_destroy(&self->config);
    cp_store_close(&self->db);
    cp_shell_destroy(&self->shell);
    free(self);
}
