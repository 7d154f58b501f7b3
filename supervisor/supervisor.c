/* supervisor.c — see supervisor.h. The lifecycle of the actors; what to
 * do on a fault is policy.c, the broker and the status page services.c,
 * the status cache status.c, the cpctl commands control.c, the Reset
 * schedule reset.c.
 *
 * Single-threaded: one cp_poller (loop.h) over the control socket, the supervisor's
 * own bus connection, the broker and every actor pipe. Actors run as
 * zactor threads behind a shim that signals readiness first (a failing
 * start becomes a death to restart, never a blocked constructor) and
 * reports "$DIED" when the actor returns without being asked to; in
 * --split, as processes (actor_proc.c) speaking the same pipe protocol.
 *
 * Liveness: an actor must show a sign of life within liveness_ms. A
 * process (--split) is asked every CP_OPT_PING_MS: "$PING", answered by
 * "$PONG". A thread is not woken for it: the supervisor's tick reads its
 * loop watch (loop.h) — waiting for input, or moved on since the last
 * tick, is alive. A silent thread is hung: it is told to give up (the
 * abandon flag, honoured by injected hangs) and restarted when it does; if
 * it does not come back within HANG_GRACE_MS the process escalates,
 * because a thread stuck in a real deadlock cannot be killed safely —
 * under systemd's Restart=always the whole controller restarts from the
 * durable store, which is what the store is for. A silent process is
 * killed and restarted.
 *
 * Liveness is measured on the supervisor's own waking time: when its tick
 * comes much later than scheduled, the whole process was stopped (SIGSTOP,
 * a VM pause, a suspended board) or starved, and nobody could answer
 * meanwhile — every deadline moves by the stall instead of every actor
 * being declared hung at once.
 *
 * The supervisor's own threads — the bus broker and the status page —
 * are watched under the same policy (services.c).
 */
#include "supervisor/supervisor.h"

#include <assert.h>
#include <string.h>
#include <unistd.h>
#include "supervisor/actor_proc.h"
#include "supervisor/actors.h"
#include "supervisor/bus.h"
#include "supervisor/control.h"
#include "supervisor/log.h"
#include "supervisor/policy.h"
#include "supervisor/reset.h"
#include "supervisor/sdnotify.h"
#include "supervisor/services.h"
#include "supervisor/shell.h"
#include "supervisor/status.h"
#include "supervisor/storage_probe.h"
#include "supervisor/store_watch.h"

#define MAX_ACTORS 16
#define HANG_GRACE_MS 2000
#define STOP_GRACE_MS 3000
//  A tick later than this was a stall of the whole process, discounted.
#define STALL_MS 500
//  For this long after an actor is first heard from, a command the broker
//  could not route to it still waits for it (s_host_actor_starting).
#define SERVING_SETTLE_MS 1000

typedef enum {
    ACTOR_RUNNING,
    ACTOR_HUNG,                    //  missed its deadline; told to give up (thread mode)
    ACTOR_WAITING,                 //  down, restarts at start_at (back-off)
    ACTOR_DEGRADED,                //  down past its limit (non-critical), retried at start_at
    ACTOR_STOPPED                  //  down for good (shutdown, escalation)
} actor_state_t;

typedef struct {
    zactor_fn *main;
    cp_actor_args_t *args;
} shim_args_t;

typedef struct _actor_slot_t {
    const cp_actor_def_t *def;
    int index;                     //  in cp_actor_defs and the policy
    zactor_t *zactor;              //  thread mode
    cp_proc_t proc;                //  split mode
    cp_actor_args_t *args;
    shim_args_t *shim;
    actor_state_t state;
    bool exited;                   //  $BYE or $DIED seen: joining cannot block
    int restarts;
    int64_t last_pong;
    uint64_t progress_seen;        //  in-memory liveness: the loop watch's progress at the last tick
    int64_t hung_at;
    int64_t start_at;              //  WAITING / DEGRADED: when it starts again
    int64_t down_at;               //  when it went down (0: serving), for the restart latency
    //  Heard from (a pong) since it was last started, and when: until
    //  then its bus socket may not be connected yet (control.h).
    bool serving;
    int64_t serving_at;
    //  Split mode: the actor runs as a thread inside this other actor's
    //  process (safety in hw, actor_proc.h), reached through its pipe.
    struct _actor_slot_t *host;
} actor_slot_t;

struct _cp_supervisor_t {
    const cp_options_t *options;
    cp_clock_t *clock;
    hw_driver_t *hw;
    cp_bus_endpoints_t ep;
    cp_services_t *services;       //  the broker and the status page
    cp_bus_t *bus;
    cp_control_t *control;
    cp_status_t *status;
    int64_t clock_seen;            //  newest clock.offset seq (s_on_clock_offset)
    cp_policy_t *policy;
    cp_reset_t *reset;
    cp_poller_t *poller;
    int64_t liveness_at;           //  the last liveness tick (s_memory_liveness)
    actor_slot_t actors[MAX_ACTORS];
    int actor_count;
    int64_t next_tick;
    int exit_code;
    bool stopping;
    cp_store_watch_t *store_watch; //  the database deleted under us (store_watch.h)
    cp_storage_probe_t *storage;   //  stalled storage, not hung actors (storage_probe.h)
    int64_t storage_stalled_at;    //  a stall was seen (0: none now)
    int64_t storage_back_at;       //  it ended: actors get time to catch up
    cp_sdnotify_t *sdnotify;       //  systemd readiness and watchdog (sdnotify.h)
    bool ready_sent;               //  READY=1 went out once
};

static void
s_escalate(cp_supervisor_t *self)
{
    self->exit_code = 1;
    self->stopping = true;
}

//  --------------------------------------------------------------------------
//  Actor lifecycle

static bool s_actor_reap(cp_supervisor_t *self, actor_slot_t *slot);

//  The database file was deleted under us (store_watch.h): stop every actor
//  cleanly (ocpp first, as at shutdown), so their last writes are in the
//  file still open, write it back to its path, and escalate.
static void
s_store_lost(cp_supervisor_t *self)
{
    for (int i = self->actor_count - 1; i >= 0; i--)
        if (self->actors[i].zactor || self->actors[i].proc.pipe)
            s_actor_reap(self, &self->actors[i]);
    char err[256];
    if (cp_store_watch_restore(self->store_watch, err, sizeof(err)) != 0)
        cp_error("supervisor", "the state database cannot be put back: %s", err);
    s_escalate(self);
}

static void
s_actor_shim(zsock_t *pipe, void *arg)
{
    shim_args_t *shim = arg;
    zsock_signal(pipe, 0);
    shim->main(pipe, shim->args);
    //  Tell the supervisor the actor has left, whichever way: it then knows
    //  that joining the thread (zactor_destroy) cannot block.
    zstr_send(pipe, atomic_load(&shim->args->terminated) ? "$BYE" : "$DIED");
}

//  The socket an actor is heard on: its zactor, its process's pipe, or
//  its host process's pipe.
static void *
s_pipe(const actor_slot_t *slot)
{
    if (slot->host)
        return slot->host->proc.pipe;
    return slot->zactor ? (void *) slot->zactor : (void *) slot->proc.pipe;
}

//  Send a pipe command ($PING, $KILL, $HANG, $START) to an actor; a guest
//  gets it through its host, prefixed.
static void
s_send(cp_supervisor_t *self, const actor_slot_t *slot, const char *cmd)
{
    void *pipe = s_pipe(slot);
    if (!pipe)
        return;
    if (slot->host)
        zstr_sendm(pipe, CP_PROC_GUEST);
    zstr_send(pipe, cmd);
    cp_poller_touch(self->poller, pipe);    //  the send may have taken its wake-up
}

static const char *
s_state_name(actor_state_t state)
{
    switch (state) {
    case ACTOR_RUNNING:  return "running";
    case ACTOR_HUNG:     return "hung";
    case ACTOR_WAITING:  return "restarting";
    case ACTOR_DEGRADED: return "degraded";
    case ACTOR_STOPPED:  return "stopped";
    }
    return "?";
}

//  Tell every actor (sys.actor.<name>) that an actor runs or is down: a
//  shell fails its requests in flight to a dead actor at once instead of
//  waiting out their deadlines, and a peer that keeps state about it
//  re-learns it from the new incarnation.
static void
s_announce(cp_supervisor_t *self, const actor_slot_t *slot, const char *state)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_ACTOR_STATE);
    if (!msg)
        return;
    char topic[64];
    snprintf(topic, sizeof(topic), "sys.actor.%s", slot->def->name);
    cp_msg_set_str(msg->u.actor_state.name, slot->def->name);
    cp_msg_set_str(msg->u.actor_state.state, state);
    msg->u.actor_state.incarnation = slot->restarts + 1;
    msg->u.actor_state.seq = cp_msg_seq_now();
    cp_bus_publish(self->bus, topic, msg);
    cp_msg_destroy(&msg);
}

//  Ask for a sign of life: $PONG answers on the pipe. In one process the
//  actor's loop watch answers without waking it (s_memory_liveness), so
//  only a start asks there: its answer says when the actor serves again.
static void
s_ping(cp_supervisor_t *self, actor_slot_t *slot, bool on_start)
{
    if (!on_start && slot->zactor && slot->args && slot->args->pong_in_memory)
        return;
    s_send(self, slot, "$PING");
}

//  Running from now on: liveness counts from here, and a ping goes out at
//  once so that the first pong says when it serves again.
static void
s_actor_running(cp_supervisor_t *self, actor_slot_t *slot)
{
    slot->state = ACTOR_RUNNING;
    slot->last_pong = cp_clock_mono_ms(self->clock);
    slot->hung_at = 0;
    slot->serving = false;
    s_announce(self, slot, "running");
    s_ping(self, slot, true);
}

//  A host process started: its guests started with it (again, unless this
//  is their first start).
static void
s_guests_running(cp_supervisor_t *self, actor_slot_t *host)
{
    for (int i = 0; i < self->actor_count; i++) {
        actor_slot_t *guest = &self->actors[i];
        if (guest->host == host) {
            if (guest->state != ACTOR_RUNNING && host->restarts > 0)
                guest->restarts++;
            cp_info("supervisor", "actor %s started in %s's process %d (restarts %d)", guest->def->name,
                    host->def->name, (int) host->proc.pid, guest->restarts);
            s_actor_running(self, guest);
        }
    }
}

//  A host process went down: its guests with it.
static void
s_guests_down(cp_supervisor_t *self, actor_slot_t *host)
{
    for (int i = 0; i < self->actor_count; i++) {
        actor_slot_t *guest = &self->actors[i];
        if (guest->host == host && guest->state == ACTOR_RUNNING) {
            s_announce(self, guest, "down");
            guest->state = ACTOR_STOPPED;
            guest->down_at = cp_clock_mono_ms(self->clock);
        }
    }
}

static int
s_actor_start(cp_supervisor_t *self, actor_slot_t *slot)
{
    if (slot->host) {
        //  A thread of its host's process: the host's relay starts it.
        if (slot->host->state != ACTOR_RUNNING) {
            slot->state = ACTOR_STOPPED;    //  it starts with its host
            return 0;
        }
        s_send(self, slot, "$START");
        cp_info("supervisor", "actor %s started in %s's process (restarts %d)", slot->def->name,
                slot->host->def->name, slot->restarts);
        s_actor_running(self, slot);
        return 0;
    }
    if (self->options->split) {
        cp_clock_steer_t steer;
        cp_clock_steer(self->clock, &steer);
        if (cp_proc_spawn(&slot->proc, self->options, slot->def->name, &steer) != 0)
            return -1;
        cp_poller_add(self->poller, slot->proc.pipe, CP_LOOP_TOUCHED_ONLY);
        cp_info("supervisor", "actor %s started as process %d (restarts %d)", slot->def->name,
                (int) slot->proc.pid, slot->restarts);
        s_actor_running(self, slot);
        s_guests_running(self, slot);
        return 0;
    }
    slot->args = calloc(1, sizeof(cp_actor_args_t));
    slot->shim = calloc(1, sizeof(shim_args_t));
    if (!slot->args || !slot->shim)
        return -1;
    snprintf(slot->args->name, sizeof(slot->args->name), "%s", slot->def->name);
    slot->args->bus = self->ep;
    slot->args->options = self->options;
    //  Its own clock: the shell sets the central system's offset on it.
    //  It starts with the offset in force (s_on_clock_offset), not the
    //  host's time, for whatever it stamps before its shell hears it.
    slot->args->clock = cp_clock_new_following(self->clock);
    if (!slot->args->clock)
        return -1;
    slot->args->hw = self->hw;
    slot->args->pong_in_memory = true;
    slot->progress_seen = 0;
    slot->shim->main = slot->def->main;
    slot->shim->args = slot->args;
    slot->exited = false;
    slot->zactor = zactor_new(s_actor_shim, slot->shim);
    if (!slot->zactor)
        return -1;
    cp_poller_add(self->poller, slot->zactor, CP_LOOP_TOUCHED_ONLY);
    cp_info("supervisor", "actor %s started (restarts %d)", slot->def->name, slot->restarts);
    s_actor_running(self, slot);
    return 0;
}

//  Ask a thread actor to stop and wait, bounded, until it has left.
static bool
s_actor_stop_bounded(cp_supervisor_t *self, actor_slot_t *slot)
{
    if (slot->exited)
        return true;
    if (slot->state == ACTOR_HUNG)
        atomic_store(&slot->args->abandon, true);
    zstr_send(slot->zactor, "$TERM");
    zpoller_t *poller = zpoller_new(slot->zactor, NULL);
    zpoller_set_nonstop(poller, true);      //  we are often here because of SIGTERM
    int64_t deadline = cp_clock_mono_ms(self->clock) + STOP_GRACE_MS;
    while (!slot->exited) {
        int64_t left = deadline - cp_clock_mono_ms(self->clock);
        if (left <= 0)
            break;
        if (!zpoller_wait(poller, (int) left))
            continue;                       //  a signal, or the deadline (checked above)
        char *cmd = zstr_recv(slot->zactor);
        if (cmd && (streq(cmd, "$BYE") || streq(cmd, "$DIED")))
            slot->exited = true;
        zstr_free(&cmd);
    }
    zpoller_destroy(&poller);
    return slot->exited;
}

//  Joins the actor thread (it has returned or is returning) or reaps its
//  process, and frees. False when the actor could not be stopped
//  (escalation is under way).
static bool
s_actor_reap(cp_supervisor_t *self, actor_slot_t *slot)
{
    if (slot->proc.pipe) {
        cp_poller_remove(self->poller, slot->proc.pipe);
        cp_proc_reap(&slot->proc, STOP_GRACE_MS);
    }
    if (slot->zactor) {
        cp_poller_remove(self->poller, slot->zactor);
        if (!s_actor_stop_bounded(self, slot)) {
            //  Stuck in a real deadlock: its thread cannot be joined or its
            //  memory freed. Escalate; the durable store has what matters.
            cp_error("supervisor", "actor %s does not stop: escalating (exit 1)", slot->def->name);
            s_escalate(self);
            slot->zactor = NULL;
            slot->args = NULL;
            slot->shim = NULL;
            slot->state = ACTOR_STOPPED;
            return false;
        }
        zactor_destroy(&slot->zactor);
    }
    if (slot->args)
        cp_clock_destroy(&slot->args->clock);
    free(slot->args);
    free(slot->shim);
    slot->args = NULL;
    slot->shim = NULL;
    slot->state = ACTOR_STOPPED;
    return true;
}

static void
s_actor_restart_now(cp_supervisor_t *self, actor_slot_t *slot)
{
    slot->restarts++;
    if (s_actor_start(self, slot) != 0) {
        cp_error("supervisor", "cannot restart actor %s: escalating (exit 1)", slot->def->name);
        slot->state = ACTOR_STOPPED;
        s_escalate(self);
        return;
    }
    cp_status_ask(self->status, slot->def->name);
}

//  The actor died or hung (why says which): down it goes, and the policy
//  says whether it comes back now, later, not for a while, or never.
static void
s_actor_fault(cp_supervisor_t *self, actor_slot_t *slot, const char *why)
{
    int64_t now = cp_clock_mono_ms(self->clock);
    cp_warn("supervisor", "actor %s %s", slot->def->name, why);
    if (slot->state != ACTOR_HUNG)          //  a hung one was announced down already
        s_announce(self, slot, "down");
    slot->down_at = now;
    s_guests_down(self, slot);
    if (!s_actor_reap(self, slot))
        return;                             //  escalating
    cp_policy_decision_t d = cp_policy_fault(self->policy, slot->index, now);
    int period = self->options->restart_period_s;
    switch (d.action) {
    case CP_POLICY_ESCALATE:
        cp_error("supervisor", "actor %s: %s (%d of its restarts, %d of all, within %d s): escalating (exit 1)",
                 slot->def->name, d.why, d.recent, d.global_recent, period);
        s_escalate(self);
        break;
    case CP_POLICY_DEGRADE:
        cp_error("supervisor", "actor %s: %s after %d restarts within %d s: degraded, charging goes on; "
                 "retried in %lld s", slot->def->name, d.why, d.recent, period,
                 (long long) ((d.at_ms - now) / 1000));
        slot->state = ACTOR_DEGRADED;
        slot->start_at = d.at_ms;
        break;
    case CP_POLICY_RESTART:
        if (d.at_ms <= now) {
            cp_info("supervisor", "actor %s restarting", slot->def->name);
            s_actor_restart_now(self, slot);
        }
        else {
            cp_warn("supervisor", "actor %s: %s (%d within %d s): restarting in %lld ms", slot->def->name, d.why,
                    d.recent, period, (long long) (d.at_ms - now));
            slot->state = ACTOR_WAITING;
            slot->start_at = d.at_ms;
        }
        break;
    }
}

//  Restarts whose back-off or cool-down is over.
static void
s_actor_due_starts(cp_supervisor_t *self, int64_t now)
{
    for (int i = 0; i < self->actor_count && !self->stopping; i++) {
        actor_slot_t *slot = &self->actors[i];
        if ((slot->state == ACTOR_WAITING || slot->state == ACTOR_DEGRADED) && now >= slot->start_at) {
            if (slot->state == ACTOR_DEGRADED) {
                cp_info("supervisor", "actor %s: cool-down over, trying it again", slot->def->name);
                cp_policy_retry(self->policy, slot->index, now);
            }
            s_actor_restart_now(self, slot);
        }
    }
    if (!self->stopping && !cp_services_due(self->services, now))
        s_escalate(self);
}

static actor_slot_t *
s_actor_find(cp_supervisor_t *self, const char *name)
{
    for (int i = 0; i < self->actor_count; i++)
        if (streq(self->actors[i].def->name, name))
            return &self->actors[i];
    return NULL;
}

//  A sign of life, given at `at` (or no later).
static void
s_on_pong(cp_supervisor_t *self, actor_slot_t *slot, int64_t at)
{
    if (at > slot->last_pong)
        slot->last_pong = at;
    if (!slot->serving && slot->state == ACTOR_RUNNING) {
        slot->serving = true;
        slot->serving_at = cp_clock_mono_ms(self->clock);
        if (self->control)
            cp_control_actor_serving(self->control, slot->def->name);
    }
    if (slot->down_at && slot->state == ACTOR_RUNNING) {
        cp_info("supervisor", "actor %s serving again %lld ms after it went down", slot->def->name,
                (long long) (at - slot->down_at));
        slot->down_at = 0;
    }
    if (slot->state == ACTOR_HUNG && !self->options->split) {
        //  It was only slow: it answers again, so it is not stuck.
        cp_warn("supervisor", "actor %s answers again after a stall", slot->def->name);
        slot->state = ACTOR_RUNNING;
        s_announce(self, slot, "running");
        atomic_store(&slot->args->abandon, false);
    }
}

//  Liveness in one process, read from each actor's loop watch: an actor
//  waiting for input is alive now; one that moved on since the last tick
//  was alive then (no later, so no deadline is stretched); one doing
//  neither gives no answer — stuck in a handler, or still starting.
static void
s_memory_liveness(cp_supervisor_t *self, int64_t now)
{
    for (int i = 0; i < self->actor_count; i++) {
        actor_slot_t *slot = &self->actors[i];
        if (!slot->zactor || !slot->args || !slot->args->pong_in_memory)
            continue;
        uint64_t progress = atomic_load(&slot->args->watch.progress);
        if (atomic_load(&slot->args->watch.waiting))
            s_on_pong(self, slot, now);
        else
        if (progress != slot->progress_seen)
            s_on_pong(self, slot, self->liveness_at ? self->liveness_at : now);
        slot->progress_seen = progress;
    }
    self->liveness_at = now;
}

static void
s_on_actor_command(cp_supervisor_t *self, actor_slot_t *slot, const char *cmd)
{
    if (streq(cmd, "$PONG"))
        s_on_pong(self, slot, cp_clock_mono_ms(self->clock));
    else
    if (streq(cmd, "$DIED") && (slot->state == ACTOR_RUNNING || slot->state == ACTOR_HUNG)) {
        slot->exited = true;
        s_actor_fault(self, slot, slot->state == ACTOR_HUNG ? "hung and gave up" : "died");
    }
    else
    if (streq(cmd, "$BYE"))
        slot->exited = true;
}

//  A message on an actor's pipe; on a host's, maybe its guest's.
static void
s_on_actor_pipe(cp_supervisor_t *self, actor_slot_t *slot)
{
    zmsg_t *msg = zmsg_recv(s_pipe(slot));
    if (!msg)
        return;
    char *cmd = zmsg_popstr(msg);
    if (cmd && streq(cmd, CP_PROC_GUEST)) {
        zstr_free(&cmd);
        cmd = zmsg_popstr(msg);
        for (int i = 0; i < self->actor_count; i++)
            if (self->actors[i].host == slot) {
                slot = &self->actors[i];
                break;
            }
    }
    if (cmd)
        s_on_actor_command(self, slot, cmd);
    zstr_free(&cmd);
    zmsg_destroy(&msg);
}

//  --------------------------------------------------------------------------
//  Liveness

//  The tick came `late` ms after it was due: nobody could answer while the
//  supervisor itself was not running, so every deadline moves by as much.
static void
s_discount_stall(cp_supervisor_t *self, int64_t late)
{
    cp_warn("supervisor", "the process stalled for %lld ms (stopped, paused or starved): liveness "
            "deadlines moved by as much", (long long) late);
    for (int i = 0; i < self->actor_count; i++) {
        actor_slot_t *slot = &self->actors[i];
        slot->last_pong += late;
        if (slot->hung_at)
            slot->hung_at += late;
    }
    cp_services_discount(self->services, late);
}

//  An actor is overdue: may the supervisor call it hung now? Not while the
//  storage is stalled (it is waiting on a write, and a restart would block
//  on the same write), up to STORAGE_STALL_MAX_MS; not in the tick that
//  starts the probe; not while the actors catch up after a stall.
#define STORAGE_STALL_MAX_MS 120000
static bool
s_verdict_allowed(cp_supervisor_t *self, actor_slot_t *slot, int64_t now)
{
    if (!self->storage)
        return true;
    int64_t stalled_ms = 0;
    cp_storage_verdict_t v = cp_storage_probe_check(self->storage, slot->last_pong + self->options->liveness_ms,
                                                    now, &stalled_ms);
    if (v == CP_STORAGE_STALLED) {
        if (!self->storage_stalled_at) {
            self->storage_stalled_at = now - stalled_ms;
            cp_error("supervisor", "the storage is stalled (a write blocked for %lld ms): actors waiting on it are "
                     "not hung; their verdict waits up to %d s", (long long) stalled_ms, STORAGE_STALL_MAX_MS / 1000);
        }
        if (stalled_ms < STORAGE_STALL_MAX_MS)
            return false;
        cp_error("supervisor", "the storage has been stalled for %lld s: actor %s is judged anyway",
                 (long long) stalled_ms / 1000, slot->def->name);
        return true;
    }
    if (v == CP_STORAGE_UNKNOWN)
        return false;                   //  the probe answers by the next tick
    if (self->storage_stalled_at) {
        cp_warn("supervisor", "the storage responds again after a stall of about %lld ms",
                (long long) (now - self->storage_stalled_at));
        self->storage_stalled_at = 0;
        self->storage_back_at = now;
    }
    //  After a stall every blocked actor has a backlog: give them one
    //  liveness period to answer before anyone is judged.
    return !self->storage_back_at || now - self->storage_back_at > self->options->liveness_ms;
}

//  systemd (sdnotify.h): ready once every actor runs, and alive only while
//  every actor answered its last ping within its liveness deadline. Any
//  actor down, restarting, degraded or hung withholds the watchdog: a short
//  restart fits inside WatchdogSec=, a wedge does not.
static void
s_sd_tick(cp_supervisor_t *self, int64_t now)
{
    if (!cp_sdnotify_enabled(self->sdnotify) || self->stopping)
        return;
    for (int i = 0; i < self->actor_count; i++) {
        actor_slot_t *slot = &self->actors[i];
        if (slot->state != ACTOR_RUNNING || now - slot->last_pong > self->options->liveness_ms)
            return;
    }
    if (!self->ready_sent) {
        self->ready_sent = cp_sdnotify_send(self->sdnotify, "READY=1");
        if (self->ready_sent)
            cp_info("supervisor", "every actor runs: READY=1 sent to systemd");
    }
    cp_sdnotify_send(self->sdnotify, "WATCHDOG=1");
}

static void
s_liveness_tick(cp_supervisor_t *self, int64_t now)
{
    s_memory_liveness(self, now);
    //  A stall seen before: say when it ends (the actors catch up then).
    int64_t stalled_ms = 0;
    if (self->storage_stalled_at
        && cp_storage_probe_check(self->storage, self->storage_stalled_at, now, &stalled_ms) == CP_STORAGE_OK) {
        cp_warn("supervisor", "the storage responds again after a stall of about %lld ms",
                (long long) (now - self->storage_stalled_at));
        self->storage_stalled_at = 0;
        self->storage_back_at = now;
    }
    for (int i = 0; i < self->actor_count && !self->stopping; i++) {
        actor_slot_t *slot = &self->actors[i];
        char why[64];
        if (self->options->split && !slot->host && (slot->state == ACTOR_RUNNING || slot->state == ACTOR_HUNG)
        &&  cp_proc_exited(&slot->proc, why, sizeof(why))) {
            s_actor_fault(self, slot, why);
            continue;
        }
        bool overdue = now - slot->last_pong > self->options->liveness_ms;
        if (overdue && slot->state == ACTOR_RUNNING && !s_verdict_allowed(self, slot, now)) {
            s_ping(self, slot, false);  //  answered once it is back
            continue;
        }
        if (slot->state == ACTOR_RUNNING && overdue && slot->host) {
            //  A thread cannot be killed, its process can: the host goes
            //  down with it and both come back (the next tick sees the
            //  host gone). It counts as this actor's fault.
            cp_warn("supervisor", "actor %s (a thread of %s's process %d) missed its liveness deadline (%d ms): "
                    "killing that process", slot->def->name, slot->host->def->name, (int) slot->host->proc.pid,
                    self->options->liveness_ms);
            cp_proc_kill(&slot->host->proc);
            s_announce(self, slot, "down");
            slot->state = ACTOR_STOPPED;
            slot->down_at = now;
            cp_policy_decision_t d = cp_policy_fault(self->policy, slot->index, now);
            if (d.action == CP_POLICY_ESCALATE) {
                cp_error("supervisor", "actor %s: %s: escalating (exit 1)", slot->def->name, d.why);
                s_escalate(self);
            }
        }
        else
        if (slot->state == ACTOR_RUNNING && overdue && self->options->split) {
            //  A process can be killed: no need to wait or escalate.
            cp_warn("supervisor", "actor %s (process %d) missed its liveness deadline (%d ms): killing it",
                    slot->def->name, (int) slot->proc.pid, self->options->liveness_ms);
            cp_proc_kill(&slot->proc);
            s_actor_fault(self, slot, "hung");
        }
        else
        if (slot->state == ACTOR_RUNNING && overdue) {
            cp_warn("supervisor", "actor %s missed its liveness deadline (%d ms): hung",
                    slot->def->name, self->options->liveness_ms);
            slot->state = ACTOR_HUNG;
            slot->hung_at = now;
            s_announce(self, slot, "down");
            atomic_store(&slot->args->abandon, true);
        }
        else
        if (slot->state == ACTOR_RUNNING)
            s_ping(self, slot, false);
        else
        if (slot->state == ACTOR_HUNG && now - slot->hung_at > HANG_GRACE_MS) {
            cp_error("supervisor", "actor %s is stuck and cannot be reclaimed: escalating (exit 1)",
                     slot->def->name);
            s_escalate(self);
            //  Its thread cannot be joined: do not wait for it at exit.
            slot->zactor = NULL;
            slot->state = ACTOR_STOPPED;
        }
    }
}

//  --------------------------------------------------------------------------
//  The bus

static void
s_on_request(cp_supervisor_t *self, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    cp_msg_t *reply = cp_msg_new(CP_MSG_REPLY);
    if (!reply)
        return;
    if (msg->type == CP_MSG_SYSTEM_RESET) {
        //  Leave time for the Reset.conf (and the queued stops) to go out.
        cp_reset_request(self->reset, msg->u.system_reset.type, cp_clock_mono_ms(self->clock));
        cp_info("supervisor", "%s reset in %d ms", msg->u.system_reset.type, CP_RESET_DELAY_MS);
        reply->u.reply.ok = true;
    }
    else
        //  Nothing else addresses the supervisor: refuse rather than ignore.
        cp_msg_set_str(reply->u.reply.reason, "supervisor takes no requests");
    cp_bus_reply(self->bus, env, reply, true);
    cp_msg_destroy(&reply);
}

//  The central system's time, as the ocpp actor announces it: followed
//  here only to hand it to every actor (re)started from now on, so that a
//  restarted actor stamps nothing with the host's time in the moment
//  before its shell has asked for the offset (shell.h).
static void
s_on_clock_offset(cp_supervisor_t *self, const cp_msg_clock_offset_t *offset)
{
    cp_shell_follow_offset(self->clock, &self->clock_seen, offset);
}

static void
s_on_bus(cp_supervisor_t *self, zsock_t *sock)
{
    cp_bus_envelope_t env;
    bool dropped = false;
    cp_msg_t *msg = cp_bus_recv(self->bus, sock, &env, &dropped);
    if (dropped)
        return;
    if (env.kind == CP_BUS_EVENT && msg && msg->type == CP_MSG_CLOCK_OFFSET)
        s_on_clock_offset(self, &msg->u.clock_offset);
    else
    if (env.kind == CP_BUS_EVENT || env.kind == CP_BUS_PARTIAL) {
        if (msg)
            cp_status_absorb(self->status, msg);
    }
    else
    if (env.kind == CP_BUS_REPLY || env.kind == CP_BUS_UNREACHABLE) {
        if (!cp_status_on_reply(self->status, &env))
            cp_control_on_reply(self->control, &env, msg);
    }
    else
    if (env.kind == CP_BUS_REQUEST && msg)
        s_on_request(self, &env, msg);
    cp_msg_destroy(&msg);
}

//  --------------------------------------------------------------------------
//  Reset (reset.h): Hard leaves the loop for main to re-execute; Soft
//  restarts every actor, in start order, from the durable store.

static void
s_soft_reset(cp_supervisor_t *self)
{
    cp_info("supervisor", "Soft reset: restarting every actor");
    for (int i = 0; i < self->actor_count && !self->stopping; i++) {
        actor_slot_t *slot = &self->actors[i];
        if (slot->state == ACTOR_HUNG || slot->host)
            continue;                       //  on its way out already; a guest restarts with its host
        if (slot->state == ACTOR_RUNNING) {
            s_announce(self, slot, "down");
            if (!s_actor_reap(self, slot))
                break;                      //  escalating
        }
        if (s_actor_start(self, slot) != 0) {
            cp_error("supervisor", "Soft reset: cannot start actor %s: escalating (exit 1)", slot->def->name);
            s_escalate(self);
        }
    }
    for (int i = 0; i < self->actor_count; i++)
        cp_status_ask(self->status, self->actors[i].def->name);
}

//  --------------------------------------------------------------------------
//  What cpctl asks of the supervisor (control.h)

static json_t *
s_actor_row(json_t *actors, const char *name, const char *state, int restarts)
{
    json_t *a = json_object();
    json_object_set_new(a, "name", json_string(name));
    json_object_set_new(a, "state", json_string(state));
    json_object_set_new(a, "restarts", json_integer(restarts));
    json_array_append_new(actors, a);
    return a;
}

static json_t *
s_host_status(void *ctx)
{
    cp_supervisor_t *self = ctx;
    json_t *root = cp_status_json(self->status);
    if (!root)
        return NULL;
    //  A board of its own: is it there? One grid read is the probe (a
    //  round trip of microseconds; it re-makes a broken link too).
    hw_link_state_t link;
    hw_grid_state_t probe;
    if (self->hw->ops->link_state) {
        if (self->hw->ops->read_grid)
            self->hw->ops->read_grid(self->hw, &probe);
        self->hw->ops->link_state(self->hw, &link);
        char boot[16];
        snprintf(boot, sizeof(boot), "%08x", link.boot_id);
        json_object_set_new(root, "board", json_pack("{s:s, s:s, s:b, s:b, s:b, s:b, s:I, s:I, s:I, s:I}", "link",
                                                     link.up ? "up" : "down", "bootId", boot,
                                                     "continuous", link.continuous, "petRead",
                                                     link.pet_read, "rest", link.rest, "resting",
                                                     link.resting, "rttUs",
                                                     (json_int_t) link.rtt_us, "badFrames",
                                                     (json_int_t) link.bad_frames, "links",
                                                     (json_int_t) link.links, "notices",
                                                     (json_int_t) link.notices));
    }
    json_t *actors = json_array();
    for (int i = 0; i < self->actor_count; i++) {
        const actor_slot_t *slot = &self->actors[i];
        json_t *row = s_actor_row(actors, slot->def->name, s_state_name(slot->state), slot->restarts);
        //  --split: where it runs — its own process, or a thread of another's.
        if (slot->host)
            json_object_set_new(row, "in", json_string(slot->host->def->name));
        else
        if (self->options->split && slot->proc.pid > 0)
            json_object_set_new(row, "pid", json_integer(slot->proc.pid));
    }
    json_object_set_new(root, "actors", actors);
    //  The supervisor's own threads, watched like the actors.
    json_t *services = json_array();
    cp_services_status(self->services, services);
    json_object_set_new(root, "services", services);
    json_object_set_new(root, "busDropped", json_integer((json_int_t) cp_bus_dropped(self->bus)));
    return root;
}

static void
s_host_actor_list(void *ctx, char *text, size_t size)
{
    cp_supervisor_t *self = ctx;
    size_t len = 0;
    for (int i = 0; i < self->actor_count && len < size; i++) {
        const actor_slot_t *slot = &self->actors[i];
        len += (size_t) snprintf(text + len, size - len, "%-12s %-10s restarts=%d%s\n", slot->def->name,
                                 s_state_name(slot->state), slot->restarts,
                                 slot->def->critical ? "" : " (non-critical)");
    }
    if (len < size)
        cp_services_list(self->services, text + len, size - len);
}

static int
s_host_actor_fault(void *ctx, const char *name, const char *fault, char *reason, size_t size)
{
    cp_supervisor_t *self = ctx;
    bool kill = streq(fault, "kill");
    int code = cp_services_fault(self->services, name, fault, reason, size);
    if (code >= 0)
        return code;
    actor_slot_t *slot = s_actor_find(self, name);
    if (!slot) {
        snprintf(reason, size, "no actor named '%.40s'", name);
        return 1;
    }
    if (slot->state != ACTOR_RUNNING) {
        snprintf(reason, size, "actor %.40s is not running", name);
        return 1;
    }
    if (self->options->split && kill && !slot->host)
        cp_proc_kill(&slot->proc);          //  a real crash
    else
        //  $CRASH raises a real fault in the actor's own thread: in --split
        //  its process dies (the guest takes its host with it), in one
        //  process the whole controller does, as on the charger.
        s_send(self, slot, kill ? "$KILL" : streq(fault, "crash") ? "$CRASH" : "$HANG");
    return 0;
}

//  Restarting, or started and not yet heard from (or only just: a process
//  may answer its pipe before its bus socket has connected).
static bool
s_host_actor_starting(void *ctx, const char *name)
{
    cp_supervisor_t *self = ctx;
    const actor_slot_t *slot = s_actor_find(self, name);
    if (!slot)
        return false;
    if (slot->state == ACTOR_WAITING)
        return true;
    return slot->state == ACTOR_RUNNING
        && (!slot->serving || cp_clock_mono_ms(self->clock) - slot->serving_at < SERVING_SETTLE_MS);
}

//  --------------------------------------------------------------------------

//  A send went through one of the loop's sockets: look at it before waiting.
static void
s_socket_used(void *poller, zsock_t *sock)
{
    cp_poller_touch(poller, sock);
}

cp_supervisor_t *
cp_supervisor_new(const cp_options_t *options, cp_clock_t *clock, hw_driver_t *hw, char *err, size_t err_size)
{
    assert(options && clock && hw);
    cp_supervisor_t *self = calloc(1, sizeof(cp_supervisor_t));
    if (!self)
        return NULL;
    self->options = options;
    self->clock = clock;
    self->hw = hw;
    cp_bus_endpoints_init(&self->ep, options->bus_prefix);
    cp_policy_config_t policy;
    cp_policy_config_defaults(&policy, options->restart_intensity, options->restart_global_intensity,
                              options->restart_period_s * 1000LL);
    if (!cp_policy_config_valid(&policy, err, err_size)) {
        free(self);
        return NULL;
    }
    //  The policy counts the actors and, after them, the services.
    self->policy = cp_policy_new(&policy, cp_actor_def_count + CP_SERVICES);
    self->reset = cp_reset_new();
    self->sdnotify = cp_sdnotify_new();
    self->poller = cp_poller_new();
    if (!self->policy || !self->reset || !self->poller
    ||  !(self->services = cp_services_new(options, clock, self->policy, cp_actor_def_count, self->poller))
    ||  !(self->bus = cp_bus_new(&self->ep, "supervisor"))
    ||  !(self->status = cp_status_new(options, self->bus))) {
        snprintf(err, err_size, "cannot create the bus");
        cp_supervisor_destroy(&self);
        return NULL;
    }
    cp_services_set_bus(self->services, self->bus);
    cp_bus_subscribe(self->bus, "clock.offset");      //  s_on_clock_offset
    cp_control_host_t host = { .ctx = self, .status = s_host_status, .actor_list = s_host_actor_list,
                               .actor_fault = s_host_actor_fault, .actor_starting = s_host_actor_starting };
    self->control = cp_control_new(options, clock, self->bus, &host, err, err_size);
    if (!self->control) {
        cp_supervisor_destroy(&self);
        return NULL;
    }
    //  Every socket is looked at only when its descriptor fires or a send
    //  went through it (the use hooks): an idle tick checks none of them.
    cp_poller_add(self->poller, cp_control_socket(self->control), CP_LOOP_TOUCHED_ONLY);
    cp_poller_add(self->poller, cp_bus_events(self->bus), CP_LOOP_TOUCHED_ONLY);
    cp_poller_add(self->poller, cp_bus_requests(self->bus), CP_LOOP_TOUCHED_ONLY);
    cp_control_on_use(self->control, s_socket_used, self->poller);
    cp_bus_on_use(self->bus, s_socket_used, self->poller);
    for (int i = 0; i < cp_actor_def_count && i < MAX_ACTORS; i++) {
        cp_policy_set_critical(self->policy, i, cp_actor_defs[i].critical);
        actor_slot_t *slot = &self->actors[self->actor_count++];
        slot->def = &cp_actor_defs[i];
        slot->index = i;
        slot->state = ACTOR_STOPPED;
    }
    //  Split mode: safety is a thread of the hw process (actor_proc.h).
    actor_slot_t *guest = s_actor_find(self, CP_PROC_GUEST_ACTOR);
    if (options->split && guest)
        guest->host = s_actor_find(self, CP_PROC_GUEST_HOST);
    for (int i = 0; i < self->actor_count; i++) {
        actor_slot_t *slot = &self->actors[i];
        if (s_actor_start(self, slot) != 0) {
            snprintf(err, err_size, "cannot start actor %s", slot->def->name);
            cp_supervisor_destroy(&self);
            return NULL;
        }
    }
    for (int i = 0; i < self->actor_count; i++)
        cp_status_ask(self->status, self->actors[i].def->name);
    char watch_err[256];
    self->store_watch = cp_store_watch_new(options->state_dir, watch_err, sizeof(watch_err));
    self->storage = cp_storage_probe_new(options->state_dir);
    if (!self->store_watch)
        cp_warn("supervisor", "the state database is not watched: %s", watch_err);
    return self;
}

void
cp_supervisor_destroy(cp_supervisor_t **self_p)
{
    assert(self_p);
    cp_supervisor_t *self = *self_p;
    if (!self)
        return;
    //  Stop in reverse start order: ocpp first, so nothing new arrives.
    bool stuck = false;
    for (int i = self->actor_count - 1; i >= 0; i--) {
        actor_slot_t *slot = &self->actors[i];
        if (!slot->zactor && !slot->proc.pipe)
            continue;
        stuck |= !s_actor_reap(self, slot);
    }
    cp_store_watch_destroy(&self->store_watch);
    cp_storage_probe_destroy(&self->storage);
    if (stuck) {
        //  A thread that cannot be joined keeps sockets open: the ZeroMQ
        //  context would never terminate. Leave now; the store is durable.
        cp_error("supervisor", "an actor did not stop: exiting without cleanup");
        _exit(1);
    }
    cp_control_destroy(&self->control);
    cp_status_destroy(&self->status);
    cp_bus_destroy(&self->bus);
    cp_services_destroy(&self->services);       //  the broker last: the bus outlives every actor
    cp_poller_destroy(&self->poller);
    cp_reset_destroy(&self->reset);
    cp_sdnotify_destroy(&self->sdnotify);
    cp_policy_destroy(&self->policy);
    free(self);
    *self_p = NULL;
}

void
cp_supervisor_watch_httpd(cp_supervisor_t *self, struct _httpd_t *httpd)
{
    assert(self);
    cp_services_watch_httpd(self->services, httpd);
}

//  How long the loop may sleep: until the tick, a restart or the reset.
static int
s_timeout(cp_supervisor_t *self, int64_t now)
{
    int64_t next = self->next_tick;
    for (int i = 0; i < self->actor_count; i++) {
        const actor_slot_t *slot = &self->actors[i];
        if ((slot->state == ACTOR_WAITING || slot->state == ACTOR_DEGRADED) && slot->start_at < next)
            next = slot->start_at;
    }
    if (cp_services_next_start(self->services) < next)
        next = cp_services_next_start(self->services);
    if (cp_reset_at(self->reset) < next)
        next = cp_reset_at(self->reset);
    return next > now ? (int) (next - now) : 0;
}

int
cp_supervisor_run(cp_supervisor_t *self)
{
    assert(self);
    self->next_tick = cp_clock_mono_ms(self->clock) + CP_OPT_PING_MS;
    while (!self->stopping) {
        void *which = cp_poller_wait(self->poller, s_timeout(self, cp_clock_mono_ms(self->clock)));
        if (cp_poller_terminated(self->poller) || zsys_interrupted) {
            cp_info("supervisor", "signal received: shutting down");
            break;
        }
        if (which == cp_control_socket(self->control))
            cp_control_on_command(self->control);
        else
        if (which == cp_bus_events(self->bus) || which == cp_bus_requests(self->bus))
            s_on_bus(self, which);
        else
        if (which && which == cp_services_broker(self->services)) {
            if (!cp_services_broker_ended(self->services))
                s_escalate(self);
        }
        else
        if (which) {
            for (int i = 0; i < self->actor_count; i++)
                if (!self->actors[i].host && s_pipe(&self->actors[i]) && which == s_pipe(&self->actors[i])) {
                    s_on_actor_pipe(self, &self->actors[i]);
                    break;
                }
        }
        int64_t now = cp_clock_mono_ms(self->clock);
        s_actor_due_starts(self, now);
        cp_reset_kind_t reset = cp_reset_due(self->reset, now);
        if (reset == CP_RESET_HARD) {
            cp_info("supervisor", "Hard reset: restarting the process");
            self->exit_code = CP_EXIT_HARD_RESET;
            break;
        }
        if (reset == CP_RESET_SOFT)
            s_soft_reset(self);
        if (now >= self->next_tick && !self->stopping) {
            if (now - self->next_tick > STALL_MS)
                s_discount_stall(self, now - self->next_tick);
            self->next_tick = now + CP_OPT_PING_MS;
            s_liveness_tick(self, now);
            s_sd_tick(self, now);
            if (!self->stopping && !cp_services_tick(self->services, now))
                s_escalate(self);
            cp_control_expire(self->control);
            cp_status_tick(self->status);
            if (self->store_watch && !cp_store_watch_ok(self->store_watch, now))
                s_store_lost(self);
        }
        //  An actor abandoned after an injected hang comes back as $DIED.
    }
    cp_sdnotify_send(self->sdnotify, "STOPPING=1");
    return self->exit_code;
}
