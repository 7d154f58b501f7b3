/* hw_actor.c — the shell of the hw actor (see hw_actor.h).
 *
 * Carries out what the core (hw_core.c) decides: reads the driver on a
 * 250 ms timer and publishes what the core says is worth publishing,
 * turns validated hw_command requests into driver calls, and answers
 * snapshot requests so that a restarted subscriber catches up on levels
 * instead of hoping it saw every edge. Nothing here polls faster than the
 * timer: between ticks the actor sleeps in its loop.
 *
 * At rest (hw_core_at_rest: no car, nothing flowing, no fault) and with a
 * driver that announces steps (changes_fd: the board link, whose reports
 * the safety actor refreshes every 100-200 ms), the 250 ms tick stops: the
 * actor wakes when a report steps, and otherwise only when a refresh falls
 * due. Four wake-ups a second of an idle charger for nothing (issue 12).
 */
#include "actors/hw/hw_actor.h"

#include <assert.h>
#include <string.h>
#include <unistd.h>
#include "actors/config/config_store.h"
#include "actors/hw/hw_core.h"
#include "hw/hw.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"

#define HW_LOG "hw"

typedef struct {
    cp_shell_t *shell;
    hw_driver_t *hw;            //  borrowed from the supervisor
    cp_clock_t *clock;          //  borrowed
    hw_core_t *core;
    int connectors;
    //  A failing read is logged when it starts failing and when it
    //  recovers, not four times a second.
    bool read_failing[HW_MAX_CONNECTORS];
    bool grid_silent_logged;
    int64_t started_ms;
    //  The grid meter is read every tick only while Power Boost uses it
    //  (PowerBoostEnabled, re-read on config.changed); otherwise as often
    //  as its reading is published anyway: four board exchanges a second
    //  of an idle charger for nothing (issue 12).
    config_store_t *config;
    bool grid_every_tick;
    int64_t grid_read_ms;
    int tick_timer;             //  the one-shot of the next read (s_rearm), 0 = none
    int changes_fd;             //  the driver's changes_fd, -1: none (tick always)
} hw_actor_t;

//  Read one connector; 0, or -1 (logged once per failure streak). The
//  tick takes a report up to one tick old when the driver has one (the
//  safety actor reads every connector faster than we do: no second
//  exchange with the board); after a command, fresh = true.
static int
s_read(hw_actor_t *self, int connector, bool fresh, hw_connector_state_t *state)
{
    bool *failing = &self->read_failing[connector - 1];
    const hw_driver_ops_t *ops = self->hw->ops;
    int rc = !fresh && ops->read_recent ? ops->read_recent(self->hw, connector, HW_CORE_TICK_MS, state)
                                        : ops->read(self->hw, connector, state);
    if (rc != 0) {
        if (!*failing)
            cp_error(HW_LOG, "connector %d: the driver cannot read the hardware", connector);
        *failing = true;
        return -1;
    }
    if (*failing)
        cp_info(HW_LOG, "connector %d: the driver reads the hardware again", connector);
    *failing = false;
    //  The driver fills the number too, but trust our loop index.
    state->connector = connector;
    return 0;
}

static void
s_state_msg(const hw_connector_state_t *state, cp_msg_t *msg)
{
    memset(msg, 0, sizeof(*msg));
    msg->type = CP_MSG_HW_CONNECTOR;
    hw_core_state_to_msg(state, &msg->u.hw_connector);
    msg->u.hw_connector.seq = cp_msg_seq_now();
}

//  Publish connector n if the core says so, or always when forced (after a
//  command changed it). Returns 0 when nothing failed.
static int
s_publish_connector(hw_actor_t *self, int connector, bool force, double *current_a)
{
    hw_connector_state_t state;
    if (s_read(self, connector, force, &state) != 0)
        return -1;
    if (current_a)
        *current_a = state.current_a;
    int64_t now = cp_clock_mono_ms(self->clock);
    if (!force && hw_core_decide(self->core, &state, now) == HW_PUBLISH_NONE)
        return 0;
    cp_msg_t msg;
    s_state_msg(&state, &msg);
    char topic[32];
    hw_core_topic(connector, topic, sizeof(topic));
    if (cp_shell_publish(self->shell, topic, &msg) != 0) {
        //  Not recorded as published: the next tick tries again.
        cp_warn(HW_LOG, "cannot publish %s", topic);
        return -1;
    }
    hw_core_published(self->core, &state, now);
    return 0;
}

static void
s_grid_msg(const hw_grid_state_t *grid, double charger_a, cp_msg_t *msg)
{
    memset(msg, 0, sizeof(*msg));
    msg->type = CP_MSG_HW_GRID;
    msg->u.hw_grid.ok = grid->ok;
    msg->u.hw_grid.current_a = grid->current_a;
    msg->u.hw_grid.charger_a = charger_a;
    msg->u.hw_grid.seq = cp_msg_seq_now();
}

static void
s_load_config(hw_actor_t *self)
{
    bool every_tick = !self->config || config_store_get_bool(self->config, "PowerBoostEnabled", false);
    if (every_tick != self->grid_every_tick)
        cp_debug(HW_LOG, "grid meter read every %d ms", every_tick ? HW_CORE_TICK_MS : HW_CORE_REFRESH_MS);
    self->grid_every_tick = every_tick;
}

//  The grid meter, read in the same tick as the connectors so that the
//  charger's own share of the reading (charger_a) matches it.
static void
s_publish_grid(hw_actor_t *self, double charger_a, bool force)
{
    int64_t now = cp_clock_mono_ms(self->clock);
    //  Only Power Boost needs the meter often (and a 2 s refresh, to tell a
    //  silent meter): without it, the reading is for the status and is
    //  refreshed like a connector's, which spares the broker and the
    //  smart-charging actor a wake-up every 2 s of an idle charger.
    if (!force && !self->grid_every_tick && now - self->grid_read_ms < HW_CORE_REFRESH_MS)
        return;
    hw_grid_state_t grid;
    //  The attempt counts as the read: a charger without a grid meter is
    //  asked again at the next refresh, not at every wake-up (s_rearm
    //  would otherwise find the read overdue at once, again and again).
    self->grid_read_ms = now;
    if (!self->hw->ops->read_grid || self->hw->ops->read_grid(self->hw, &grid) != 0)
        return;                             //  no grid meter installed
    if (!force && !hw_core_grid_decide(self->core, &grid, now))
        return;
    cp_msg_t msg;
    s_grid_msg(&grid, charger_a, &msg);
    if (cp_shell_publish(self->shell, "hw.grid", &msg) != 0) {
        cp_warn(HW_LOG, "cannot publish hw.grid");
        return;
    }
    if (!grid.ok && (!self->grid_silent_logged))
        cp_warn(HW_LOG, "the grid meter does not answer");
    else
    if (grid.ok && self->grid_silent_logged)
        cp_info(HW_LOG, "the grid meter answers again");
    self->grid_silent_logged = !grid.ok;
    hw_core_grid_published(self->core, &grid, now);
}

//  Read and publish every connector, then the grid meter with the sum of
//  the connectors' per-phase currents.
static void
s_publish_all(hw_actor_t *self, bool force_connectors, bool force_grid)
{
    double charger_a = 0;
    for (int n = 1; n <= self->connectors; n++) {
        double current = 0;
        if (s_publish_connector(self, n, force_connectors, &current) == 0)
            charger_a += current;
    }
    s_publish_grid(self, charger_a, force_grid);
}

static int s_on_tick(cp_loop_t *loop, int timer_id, void *arg);

//  The next read: a tick from now while anything may move between steps
//  (a car, power, a fault, the start's announcements, Power Boost's grid
//  meter, a failing read, a driver without changes_fd); at rest, the next
//  refresh of a connector or of the grid meter, a step waking us earlier.
static void
s_rearm(hw_actor_t *self)
{
    int64_t now = cp_clock_mono_ms(self->clock);
    int64_t delay = HW_CORE_TICK_MS;
    bool failing = false;
    for (int n = 0; n < self->connectors; n++)
        failing = failing || self->read_failing[n];
    if (self->changes_fd >= 0 && !failing && !self->grid_every_tick
    &&  now - self->started_ms >= HW_CORE_ANNOUNCE_MS && hw_core_at_rest(self->core)) {
        int64_t next = hw_core_next_refresh(self->core);
        if (self->hw->ops->read_grid && self->grid_read_ms + HW_CORE_REFRESH_MS < next)
            next = self->grid_read_ms + HW_CORE_REFRESH_MS;
        //  Never sooner than a tick: a refresh that could not be published
        //  stays overdue, and must not spin the loop until it is.
        if (next - now > delay)
            delay = next - now;
    }
    cp_shell_rearm(self->shell, &self->tick_timer, delay, s_on_tick, self, "hardware readings are late");
}

static void
s_read_all(hw_actor_t *self)
{
    //  A fresh publisher's first messages can be lost while its connection
    //  to the bus is still being made (in --split, a restarted hw process):
    //  repeat every state for the first HW_CORE_ANNOUNCE_MS, so subscribers
    //  learn the new board's levels now rather than at the next refresh.
    bool announcing = cp_clock_mono_ms(self->clock) - self->started_ms < HW_CORE_ANNOUNCE_MS;
    s_publish_all(self, announcing, announcing);
    s_rearm(self);
}

static int
s_on_tick(cp_loop_t *loop, int timer_id, void *arg)
{
    hw_actor_t *self = arg;
    self->tick_timer = 0;
    s_read_all(self);
    return 0;
}

//  A report stepped (or the link went down): read now, not at the refresh.
static int
s_on_changes(cp_loop_t *loop, int fd, void *arg)
{
    uint64_t count;
    if (read(fd, &count, sizeof(count)) < 0) {
        //  EAGAIN: another reader emptied it; reading again costs nothing
    }
    s_read_all(arg);
    return 0;
}

static void
s_reply(hw_actor_t *self, const cp_bus_envelope_t *env, bool ok, const char *reason)
{
    if (cp_shell_reply_status(self->shell, env, ok, reason) != 0)
        cp_warn(HW_LOG, "cannot reply to %s", env->peer);
}

//  Carry out a validated action. 0, or -1 with reason.
static int
s_execute(hw_actor_t *self, const hw_action_t *action, char *reason, size_t reason_size)
{
    hw_driver_t *hw = self->hw;
    int rc = -1;
    switch (action->kind) {
        case HW_ACTION_SIMULATE:
            rc = hw->ops->simulate(hw, action->connector, action->command,
                                   action->arg[0] ? action->arg : NULL, reason, reason_size);
            if (rc != 0 && reason[0] == '\0')
                snprintf(reason, reason_size, "the driver refused %s", action->command);
            break;
        case HW_ACTION_CONTACTOR:
            rc = hw->ops->set_contactor(hw, action->connector, action->flag);
            if (rc != 0)
                snprintf(reason, reason_size, "the driver cannot %s the contactor",
                         action->flag ? "close" : "open");
            break;
        case HW_ACTION_LOCK:
            rc = hw->ops->set_lock(hw, action->connector, action->flag);
            if (rc != 0)
                snprintf(reason, reason_size, "the driver cannot %s the connector",
                         action->flag ? "lock" : "unlock");
            break;
        case HW_ACTION_OFFER:
            rc = hw->ops->set_offered_current(hw, action->connector, action->amps);
            if (rc != 0)
                snprintf(reason, reason_size, "the driver cannot offer %.1f A", action->amps);
            break;
        case HW_ACTION_KEYS:
            rc = 0;
            for (const char *key = action->token; *key && rc == 0; key++) {
                cp_msg_t msg;
                memset(&msg, 0, sizeof(msg));
                msg.type = CP_MSG_HW_KEY;
                msg.u.hw_key.key[0] = *key;
                rc = cp_shell_publish(self->shell, "hw.key", &msg);
            }
            if (rc != 0)
                snprintf(reason, reason_size, "cannot publish the key presses");
            break;
        case HW_ACTION_TOKEN: {
            cp_msg_t msg;
            memset(&msg, 0, sizeof(msg));
            msg.type = CP_MSG_HW_TOKEN;
            cp_msg_set_str(msg.u.hw_token.source, action->source);
            cp_msg_set_str(msg.u.hw_token.token, action->token);
            rc = cp_shell_publish(self->shell, "hw.token", &msg);
            if (rc != 0)
                snprintf(reason, reason_size, "cannot publish the token");
            break;
        }
    }
    return rc;
}

static void
s_on_command(hw_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_hw_command_t *command)
{
    char reason[200] = "";
    hw_action_t action;
    if (hw_core_parse_command(command, self->connectors, &action, reason, sizeof(reason)) != 0) {
        cp_warn(HW_LOG, "refused %s from %s: %s", command->command, env->peer, reason);
        s_reply(self, env, false, reason);
        return;
    }
    if (s_execute(self, &action, reason, sizeof(reason)) != 0) {
        cp_warn(HW_LOG, "%s from %s failed: %s", command->command, env->peer, reason);
        s_reply(self, env, false, reason);
        return;
    }
    if (action.kind == HW_ACTION_KEYS)
        //  Digits of a PIN are secrets: count them, never log them.
        cp_info(HW_LOG, "%zu keypad key(s) pressed", strlen(action.token));
    else
    if (action.kind == HW_ACTION_TOKEN) {
        //  A PIN is a secret: its value never reaches a log.
        if (strcmp(action.source, "pin") == 0)
            cp_info(HW_LOG, "pin entered");
        else
            cp_info(HW_LOG, "%s token presented: %s", action.source, action.token);
    }
    else {
        if (action.kind == HW_ACTION_SIMULATE)
            cp_info(HW_LOG, "connector %d: %s%s%s", action.connector, action.command,
                    action.arg[0] ? " " : "", action.arg);
        else
            cp_info(HW_LOG, "connector %d: %s %g", action.connector, command->command,
                    command->value);
        //  Subscribers see the effect now, not up to a tick later.
        if (action.connector == 0)
            s_publish_all(self, false, true);
        else
            s_publish_connector(self, action.connector, true, NULL);
    }
    s_reply(self, env, true, "");
}

static void
s_on_snapshot(hw_actor_t *self, const cp_bus_envelope_t *env)
{
    double charger_a = 0;
    for (int n = 1; n <= self->connectors; n++) {
        hw_connector_state_t state;
        if (s_read(self, n, true, &state) != 0) {
            char reason[64];
            snprintf(reason, sizeof(reason), "cannot read connector %d", n);
            s_reply(self, env, false, reason);
            return;
        }
        charger_a += state.current_a;
        cp_msg_t msg;
        s_state_msg(&state, &msg);
        if (cp_shell_reply(self->shell, env, &msg, false) != 0) {
            cp_warn(HW_LOG, "cannot send the snapshot to %s", env->peer);
            return;
        }
    }
    //  The grid meter too, when there is one (Power Boost starts from it).
    hw_grid_state_t grid;
    if (self->hw->ops->read_grid && self->hw->ops->read_grid(self->hw, &grid) == 0) {
        cp_msg_t msg;
        s_grid_msg(&grid, charger_a, &msg);
        if (cp_shell_reply(self->shell, env, &msg, false) != 0) {
            cp_warn(HW_LOG, "cannot send the snapshot to %s", env->peer);
            return;
        }
    }
    s_reply(self, env, true, "");
}

static void
s_on_message(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, void *ctx)
{
    hw_actor_t *self = ctx;
    if (env->kind == CP_BUS_EVENT && msg && msg->type == CP_MSG_CONFIG_CHANGED) {
        s_load_config(self);
        s_rearm(self);              //  Power Boost turned on reads every tick
        return;
    }
    //  We request nothing: only requests matter from here on.
    if (env->kind != CP_BUS_REQUEST || !msg)
        return;
    if (msg->type == CP_MSG_HW_COMMAND) {
        s_on_command(self, env, &msg->u.hw_command);
        s_rearm(self);              //  a plug or a contactor ends the rest
    }
    else
    if (msg->type == CP_MSG_SNAPSHOT_REQUEST)
        s_on_snapshot(self, env);
    else {
        char reason[80];
        snprintf(reason, sizeof(reason), "hw does not handle %s", cp_msg_type_name(msg->type));
        s_reply(self, env, false, reason);
    }
}

void
hw_actor(zsock_t *pipe, void *args)
{
    cp_actor_args_t *actor_args = args;
    assert(pipe && actor_args && actor_args->hw && actor_args->clock);
    hw_actor_t self = {
        .hw = actor_args->hw,
        .clock = actor_args->clock,
        .changes_fd = -1,
    };
    self.connectors = self.hw->ops->connector_count(self.hw);
    self.core = hw_core_new(self.connectors);
    if (!self.core) {
        cp_error(HW_LOG, "cannot start: the driver reports %d connectors (1..%d)",
                 self.connectors, HW_MAX_CONNECTORS);
        return;
    }
    self.shell = cp_shell_new(pipe, actor_args);
    if (!self.shell) {
        cp_error(HW_LOG, "cannot start: no bus");
        hw_core_destroy(&self.core);
        return;
    }
    cp_shell_set_handler(self.shell, s_on_message, &self);
    //  Without its configuration (a store that cannot be read) the grid
    //  meter is read every tick, as Power Boost would need.
    char err[256];
    if (actor_args->options)
        self.config = config_store_open_reader(actor_args->options, err, sizeof(err));
    s_load_config(&self);
    cp_bus_subscribe(cp_shell_bus(self.shell), "config.changed");
    if (self.hw->ops->changes_fd) {
        int fd = self.hw->ops->changes_fd(self.hw);
        if (fd >= 0 && cp_loop_fd(cp_shell_loop(self.shell), fd, s_on_changes, &self) == 0)
            self.changes_fd = fd;
    }
    //  Announce every connector at once (the core says FIRST for each), so
    //  that subscribers already listening need not ask for a snapshot.
    self.started_ms = cp_clock_mono_ms(self.clock);
    s_publish_all(&self, false, true);
    s_rearm(&self);
    cp_shell_run(self.shell);
    config_store_destroy(&self.config);
    cp_shell_destroy(&self.shell);
    hw_core_destroy(&self.core);
}
