/* safety_actor.c — the shell of the safety actor (see safety_actor.h).
 *
 * One loop timer does all the work, in an order that matters: feed the
 * watchdog and read every connector first (we are alive; one exchange
 * with a board that knows PET_READ, hw.h safety_feed_read), then for each
 * connector decide → permit/forbid on the driver → publish. The driver call comes before the
 * bus on purpose: a trip must open the contactor even if the bus is slow,
 * full or gone. Publishing is level-triggered (on change and every
 * SAFETY_REFRESH_MS) so a consumer that missed an edge catches up.
 *
 * Each driver call is an exchange with the board, and this loop runs for
 * years: the permission is sent only when the board's fresh report differs
 * from the verdict (a board whose watchdog forgot it says so in the very
 * next report), and the tick slows to SAFETY_QUIET_TICK_MS while every
 * connector is quiet. A driver that can rest (hw.h safety_rest) is rested
 * instead while every connector is quiet, every SAFETY_REST_TICK_MS, and
 * wakes the tick at once when the board announces a step (notice_fds):
 * an idle charger's safety actor then makes a few system calls a second
 * instead of fifteen (issue 12). The first tick that is no longer quiet
 * feeds the watchdog before anything else, so that a contactor may close.
 */
#include "actors/safety/safety_actor.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "actors/config/config_store.h"
#include "actors/safety/safety_core.h"
#include "hw/hw.h"
#include "messages/msg.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"

#define SAFETY_LOG "safety"

typedef struct {
    cp_shell_t *shell;
    config_store_t *config;     //  the owner's settings (EarthingSystem), read-only
    hw_driver_t *hw;            //  borrowed from the supervisor
    cp_clock_t *clock;          //  borrowed
    safety_core_t *core;
    int connectors;
    int tick_timer;             //  re-armed by every tick (SAFETY_TICK_MS or the quiet one)
    bool quiet;                 //  every connector quiet at the last tick
    bool resting;               //  the last tick rested the driver (hw_driver_rest_read)
    int notice_fds[2];          //  the driver's (notice_fds), -1: none
    bool watching;              //  notice_fds in the loop
    bool feed_failing;
    bool permit_failing[HW_MAX_CONNECTORS];
    bool publish_due[HW_MAX_CONNECTORS];    //  changed, not yet published
    int64_t published_ms[HW_MAX_CONNECTORS];
} safety_t;

void
safety_topic(int connector, char *out, size_t out_size)
{
    snprintf(out, out_size, "safety.connector.%d", connector);
}

static void
s_state_msg(const safety_verdict_t *v, cp_msg_t *msg)
{
    memset(msg, 0, sizeof(*msg));
    msg->type = CP_MSG_SAFETY_STATE;
    cp_msg_safety_state_t *s = &msg->u.safety_state;
    s->connector = v->connector;
    s->tripped = v->tripped;
    cp_msg_set_str(s->error_code, v->error_code);
    cp_msg_set_str(s->vendor_error, v->vendor_error);
    cp_msg_set_str(s->stop_reason, v->stop_reason);
    s->derate_a = v->derate_a;
    s->seq = cp_msg_seq_now();
}

static void
s_log_change(const safety_verdict_t *before, const safety_verdict_t *after, bool first)
{
    int n = after->connector;
    if (after->tripped && (!before->tripped || before->cause != after->cause))
        cp_error(SAFETY_LOG, "connector %d: TRIP %s (%s, %s): contactor forbidden", n,
                 after->error_code, after->vendor_error, safety_cause_name(after->cause));
    else
    if (after->locked_out && !before->locked_out)
        cp_warn(SAFETY_LOG, "connector %d: locked out: no automatic re-approval left this hour", n);
    else
    if (!after->tripped && (before->tripped || first))
        cp_info(SAFETY_LOG, "connector %d: %s", n, first ? "approved" : "recovered: approved again");
    if (after->derate_a != before->derate_a) {
        if (after->derate_a > 0)
            cp_warn(SAFETY_LOG, "connector %d: over-temperature: derated to %.0f A", n, after->derate_a);
        else
            cp_info(SAFETY_LOG, "connector %d: temperature back to normal: derating lifted", n);
    }
}

static void
s_publish(safety_t *self, int n, const safety_verdict_t *v, int64_t now)
{
    cp_msg_t msg;
    s_state_msg(v, &msg);
    char topic[40];
    safety_topic(n, topic, sizeof(topic));
    if (cp_shell_publish(self->shell, topic, &msg) != 0) {
        //  Still due: the next tick tries again. The contactor does not
        //  wait for this (the driver was already told).
        cp_warn(SAFETY_LOG, "cannot publish %s", topic);
        self->publish_due[n - 1] = true;
        return;
    }
    self->publish_due[n - 1] = false;
    self->published_ms[n - 1] = now;
}

//  Evaluate connector n from its fresh report (NULL: it could not be read)
//  and carry out the verdict on the driver. True when the connector is
//  quiet (safety_core_quiet).
static bool
s_check_connector(safety_t *self, int n, const hw_connector_state_t *report, int64_t now)
{
    safety_verdict_t before;
    safety_core_verdict(self->core, n, &before);
    bool first = self->published_ms[n - 1] == 0 && !self->publish_due[n - 1];
    if (report && before.permit && !report->permitted && !self->permit_failing[n - 1])
        cp_warn(SAFETY_LOG, "connector %d: the hw layer withdrew our permission (watchdog "
                "expired: was this actor stalled?); approving again", n);
    safety_verdict_t v;
    bool changed = safety_core_evaluate(self->core, n, report, now, &v);
    //  Re-assert unless the fresh report shows the board holds exactly
    //  this (it forgets permissions when its watchdog expires, and says so
    //  in the next report); after a refused call, always.
    bool *failing = &self->permit_failing[n - 1];
    bool held = report && !*failing && report->permitted == v.permit
             && fabs(report->safety_cap_a - v.cap_a) < 0.001;
    if (held)
        ;
    else
    if (self->hw->ops->safety_permit(self->hw, n, v.permit, v.cap_a) != 0) {
        if (!*failing)
            cp_error(SAFETY_LOG, "connector %d: the driver refuses %s", n,
                     v.permit ? "the permission" : "the withdrawal");
        *failing = true;
    }
    else
        *failing = false;
    if (changed) {
        s_log_change(&before, &v, first);
        self->publish_due[n - 1] = true;
    }
    if (self->publish_due[n - 1] || now - self->published_ms[n - 1] >= SAFETY_REFRESH_MS)
        s_publish(self, n, &v, now);
    return safety_core_quiet(report, &v);
}

//  The watchdog fed (or rested) or not: its failure is logged when it
//  starts and when it ends.
static void
s_fed(safety_t *self, bool fed)
{
    if (!fed && !self->feed_failing)
        cp_error(SAFETY_LOG, "the driver refuses the watchdog feed: contactors stay open");
    else
    if (fed && self->feed_failing)
        cp_info(SAFETY_LOG, "the driver accepts the watchdog feed again");
    self->feed_failing = !fed;
}

//  Feed the watchdog and read every connector (one call: hw.h
//  safety_feed_read).
static void
s_feed_read(safety_t *self, hw_connector_state_t *states, bool *readable)
{
    s_fed(self, hw_driver_feed_read(self->hw, SAFETY_WATCHDOG_MS, states, readable) == 0);
}

static int s_on_notice(cp_loop_t *loop, int fd, void *arg);

//  Wait on the board's notices while resting, not otherwise (a feeding
//  tick reads every connector anyway).
static void
s_watch_notices(safety_t *self, bool watch)
{
    if (watch == self->watching || self->notice_fds[0] < 0)
        return;
    cp_loop_t *loop = cp_shell_loop(self->shell);
    if (!watch) {
        cp_loop_fd_end(loop, self->notice_fds[0]);
        cp_loop_fd_end(loop, self->notice_fds[1]);
    }
    else
    if (cp_loop_fd(loop, self->notice_fds[0], s_on_notice, self) != 0
    ||  cp_loop_fd(loop, self->notice_fds[1], s_on_notice, self) != 0) {
        //  Both or neither. Then the rest tick alone finds a step, a
        //  second late at most.
        cp_loop_fd_end(loop, self->notice_fds[0]);
        cp_warn(SAFETY_LOG, "cannot wait on the board's notices");
        return;
    }
    self->watching = watch;
}

//  Rest while every connector was quiet at the last tick and the driver
//  can, and announces steps (true); else feed. Either way read every
//  connector. (A driver that announces nothing is not rested: a car
//  would wait for the next rest tick to be seen.)
static bool
s_rest_or_feed(safety_t *self, hw_connector_state_t *states, bool *readable)
{
    if (self->quiet && self->notice_fds[0] >= 0
        && hw_driver_rest_read(self->hw, SAFETY_REST_MS, states, readable) == 0) {
        s_fed(self, true);
        return true;
    }
    //  Not quiet, refused (a contactor closed), a link down, or a driver
    //  that cannot rest: the feed as always.
    s_feed_read(self, states, readable);
    return false;
}

static int
s_on_tick(cp_loop_t *loop, int timer_id, void *arg)
{
    safety_t *self = arg;
    self->tick_timer = -1;
    hw_connector_state_t states[HW_MAX_CONNECTORS];
    bool readable[HW_MAX_CONNECTORS];
    bool rested = s_rest_or_feed(self, states, readable);
    int64_t now = cp_clock_mono_ms(self->clock);
    bool quiet = true;
    for (int n = 1; n <= self->connectors; n++)
        quiet &= s_check_connector(self, n, readable[n - 1] ? &states[n - 1] : NULL, now);
    //  A cable arrived while resting: feed at once, so that nothing waits
    //  on the next tick to close a contactor.
    if (rested && !quiet && self->hw->ops->safety_feed(self->hw, SAFETY_WATCHDOG_MS) != 0)
        cp_warn(SAFETY_LOG, "cannot feed the watchdog after resting: the next tick feeds again");
    int delay = !quiet ? SAFETY_TICK_MS : rested ? SAFETY_REST_TICK_MS : SAFETY_QUIET_TICK_MS;
    if (quiet != self->quiet || rested != self->resting)
        cp_debug(SAFETY_LOG, "every connector %s: %s every %d ms", quiet ? "quiet" : "no longer quiet",
                 rested ? "resting the board" : "evaluated", delay);
    self->quiet = quiet;
    self->resting = rested && quiet;
    s_watch_notices(self, self->resting);
    self->tick_timer = cp_loop_timer(cp_shell_loop(self->shell), (size_t) delay, 1, s_on_tick, self);
    if (self->tick_timer < 0) {
        //  Nothing would feed the watchdog any more: leave, and let the
        //  supervisor restart us (the board keeps everything open meanwhile).
        cp_error(SAFETY_LOG, "cannot arm the next tick: leaving");
        return -1;
    }
    return 0;
}

//  The board announced a step while resting: evaluate now, not at the
//  next rest tick.
static int
s_on_notice(cp_loop_t *loop, int fd, void *arg)
{
    safety_t *self = arg;
    if (self->tick_timer >= 0)
        cp_loop_timer_end(loop, self->tick_timer);
    int rc = s_on_tick(loop, 0, self);
    //  The tick's own exchange took the notice in (and said so on the
    //  eventfd): nothing more is owed for it.
    uint64_t count;
    if (read(self->notice_fds[1], &count, sizeof(count)) < 0) {
        //  EAGAIN: nothing noted
    }
    return rc;
}

static void
s_on_snapshot(safety_t *self, const cp_bus_envelope_t *env)
{
    for (int n = 1; n <= self->connectors; n++) {
        safety_verdict_t v;
        safety_core_verdict(self->core, n, &v);
        cp_msg_t msg;
        s_state_msg(&v, &msg);
        if (cp_shell_reply(self->shell, env, &msg, false) != 0) {
            cp_warn(SAFETY_LOG, "cannot send the snapshot to %s", env->peer);
            return;
        }
    }
    if (cp_shell_reply_status(self->shell, env, true, "") != 0)
        cp_warn(SAFETY_LOG, "cannot reply to %s", env->peer);
}

//  The supply's earthing system (safety_core.h rule 2). Without a store
//  the stricter TN check stays.
static void
s_set_earthing(safety_t *self, const char *value)
{
    safety_earthing_t earthing = value && streq(value, "TT") ? SAFETY_EARTHING_TT : SAFETY_EARTHING_TN;
    //  Arm or disarm the board's monitor; the core ignores its readings on
    //  TT as well, for a board that cannot disarm it.
    if (self->hw->ops->safety_set_earthing
        && self->hw->ops->safety_set_earthing(self->hw, earthing == SAFETY_EARTHING_TT) != 0)
        cp_error(SAFETY_LOG, "the driver cannot set the earth monitor for %s", value);
    if (earthing != safety_core_earthing(self->core))
        cp_info(SAFETY_LOG, "earthing system %s: the earth (PE-N) monitor is %s", earthing == SAFETY_EARTHING_TT
                ? "TT" : "TN", earthing == SAFETY_EARTHING_TT ? "ignored (RCD protects)" : "checked");
    safety_core_set_earthing(self->core, earthing);
}

static void
s_on_message(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, void *ctx)
{
    safety_t *self = ctx;
    if (env->kind == CP_BUS_EVENT && msg && msg->type == CP_MSG_CONFIG_CHANGED
        && streq(msg->u.config_changed.key, "EarthingSystem")) {
        s_set_earthing(self, msg->u.config_changed.value);
        return;
    }
    if (env->kind != CP_BUS_REQUEST || !msg)
        return;
    if (msg->type == CP_MSG_SNAPSHOT_REQUEST)
        s_on_snapshot(self, env);
    else {
        char reason[80];
        snprintf(reason, sizeof(reason), "safety does not handle %s", cp_msg_type_name(msg->type));
        if (cp_shell_reply_status(self->shell, env, false, reason) != 0)
            cp_warn(SAFETY_LOG, "cannot reply to %s", env->peer);
    }
}

void
safety_actor(zsock_t *pipe, void *args)
{
    cp_actor_args_t *actor_args = args;
    assert(pipe && actor_args && actor_args->hw && actor_args->clock);
    safety_t self = {
        .hw = actor_args->hw,
        .clock = actor_args->clock,
        .tick_timer = -1,
        .notice_fds = { -1, -1 },
    };
    if (self.hw->ops->notice_fds)
        self.hw->ops->notice_fds(self.hw, self.notice_fds);
    self.connectors = self.hw->ops->connector_count(self.hw);
    //  Whatever happens next, nothing closes on a permission given before
    //  we (re)started: the time nobody supervised is unknown.
    for (int n = 1; n <= self.connectors && n <= HW_MAX_CONNECTORS; n++)
        self.hw->ops->safety_permit(self.hw, n, false, 0);
    self.core = safety_core_new(self.connectors);
    if (!self.core) {
        cp_error(SAFETY_LOG, "cannot start: the driver reports %d connectors (1..%d)",
                 self.connectors, HW_MAX_CONNECTORS);
        return;
    }
    self.shell = cp_shell_new(pipe, actor_args);
    if (!self.shell) {
        //  Without a bus we could still protect, but the supervisor must
        //  know: leave (the watchdog keeps everything open meanwhile).
        cp_error(SAFETY_LOG, "cannot start: no bus");
        safety_core_destroy(&self.core);
        return;
    }
    cp_shell_set_handler(self.shell, s_on_message, &self);
    //  The owner's setting, then its changes. A store that cannot be read
    //  leaves the stricter TN check: protection never waits for it.
    char err[256] = "";
    self.config = config_store_open_reader(actor_args->options, err, sizeof(err));
    char earthing[8] = "TN";
    if (self.config)
        config_store_get(self.config, "EarthingSystem", earthing, sizeof(earthing));
    else
        cp_warn(SAFETY_LOG, "cannot read the earthing system (%s): checking as TN", err[0] ? err : "no store");
    s_set_earthing(&self, earthing);
    cp_bus_subscribe(cp_shell_bus(self.shell), "config.changed");
    //  First look at once: re-approve what is safe, announce every verdict;
    //  each tick arms the next.
    if (s_on_tick(NULL, 0, &self) != 0) {
        config_store_destroy(&self.config);
        cp_shell_destroy(&self.shell);
        safety_core_destroy(&self.core);
        return;
    }
    //  A clean stop ($TERM) forbids everything: nobody supervises any more.
    //  An injected kill leaves like a crash would: the hw watchdog and the
    //  next start take care of it.
    if (cp_shell_run(self.shell) == 0)
        for (int n = 1; n <= self.connectors; n++)
            self.hw->ops->safety_permit(self.hw, n, false, 0);
    config_store_destroy(&self.config);
    cp_shell_destroy(&self.shell);
    safety_core_destroy(&self.core);
}
