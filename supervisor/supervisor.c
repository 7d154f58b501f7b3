/* supervisor.c — see supervisor.h.
 *
 * Single-threaded: one zpoller over the control socket, the supervisor's
 * own bus connection and every actor pipe. Actors run as zactor threads
 * behind a shim that signals readiness first (a failing start becomes a
 * death to restart, never a blocked constructor) and reports "$DIED" when
 * the actor returns without being asked to.
 *
 * Liveness: every second each actor gets "$PING" and must "$PONG" within
 * liveness_ms. A silent actor is hung: it is told to give up (the abandon
 * flag, honoured by injected hangs) and restarted; if its thread does not
 * come back within the grace period the process escalates, because a
 * thread stuck in a real deadlock cannot be killed safely — under
 * systemd's Restart=always the whole controller restarts from the durable
 * store, which is what the store is for.
 */
#include "supervisor/supervisor.h"

#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <string.h>
#include "actors/config/ocpp_settings.h"
#include "supervisor/actor_proc.h"
#include "supervisor/actors.h"
#include "supervisor/bus.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"
#include "supervisor/store.h"

#define MAX_ACTORS 16
#define MAX_PENDING 64
#define RESTART_RING 64
#define CPCTL_TIMEOUT_MS 4500
#define HANG_GRACE_MS 2000
#define RESET_DELAY_MS 1500
#define STOP_GRACE_MS 3000

typedef enum { ACTOR_RUNNING, ACTOR_HUNG, ACTOR_STOPPED } actor_state_t;

typedef struct {
    zactor_fn *main;
    cp_actor_args_t *args;
} shim_args_t;

typedef struct {
    const cp_actor_def_t *def;
    zactor_t *zactor;              //  thread mode
    cp_proc_t proc;                //  split mode
    cp_actor_args_t *args;
    shim_args_t *shim;
    actor_state_t state;
    bool exited;                   //  $BYE or $DIED seen: joining cannot block
    uint64_t snapshot_corr;        //  status snapshot asked of this actor
    int snapshot_tries;            //  left: a new actor may not be on the bus yet
    int restarts;
    int64_t last_pong;
    int64_t hung_at;
} actor_slot_t;

typedef enum { PENDING_TEXT, PENDING_CONFIG_GET, PENDING_CONFIG_SET } pending_kind_t;

typedef struct {
    uint64_t corr;
    zframe_t *client;              //  cpctl routing id
    int64_t deadline;
    pending_kind_t kind;
    char actor[CP_BUS_NAME_MAX];
} pending_t;

struct _cp_supervisor_t {
    const cp_options_t *options;
    cp_clock_t *clock;
    hw_driver_t *hw;
    cp_bus_endpoints_t ep;
    zactor_t *broker;
    cp_bus_t *bus;
    zsock_t *control;
    zpoller_t *poller;
    actor_slot_t actors[MAX_ACTORS];
    int actor_count;
    int64_t restart_times[RESTART_RING];
    int restart_head;
    pending_t pending[MAX_PENDING];
    //  status snapshot, level-triggered from events and snapshot replies
    cp_msg_t *ocpp_state;
    cp_msg_t *hw_conn[HW_MAX_CONNECTORS + 1];
    cp_msg_t *tx_conn[HW_MAX_CONNECTORS + 1];
    cp_msg_t *hmi_conn[HW_MAX_CONNECTORS + 1];
    cp_msg_t *sc_limit[HW_MAX_CONNECTORS + 1];
    cp_msg_t *grid;                //  the grid meter (Power Boost); NULL: none
    int64_t seen_sc[HW_MAX_CONNECTORS + 1], seen_grid;
    int64_t seen_ocpp, seen_hw[HW_MAX_CONNECTORS + 1], seen_tx[HW_MAX_CONNECTORS + 1];
    int64_t seen_hmi[HW_MAX_CONNECTORS + 1];
    int64_t next_tick;
    config_store_t *config;        //  a reader: the OCPP settings in force
    char reset_type[16];           //  Reset requested by the central system
    int64_t reset_at;
    int exit_code;
    bool stopping;
};

//  --------------------------------------------------------------------------
//  Actor lifecycle

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

//  The socket to talk to an actor: its zactor, or its process's pipe.
static void *
s_pipe(const actor_slot_t *slot)
{
    return slot->zactor ? (void *) slot->zactor : (void *) slot->proc.pipe;
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

static int
s_actor_start(cp_supervisor_t *self, actor_slot_t *slot)
{
    if (self->options->split) {
        if (cp_proc_spawn(&slot->proc, self->options, slot->def->name) != 0)
            return -1;
        zpoller_add(self->poller, slot->proc.pipe);
        slot->state = ACTOR_RUNNING;
        slot->last_pong = cp_clock_mono_ms(self->clock);
        slot->hung_at = 0;
        cp_info("supervisor", "actor %s started as process %d (restarts %d)", slot->def->name,
                (int) slot->proc.pid, slot->restarts);
        s_announce(self, slot, "running");
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
    slot->args->clock = cp_clock_new_like(self->clock);
    if (!slot->args->clock)
        return -1;
    slot->args->hw = self->hw;
    slot->shim->main = slot->def->main;
    slot->shim->args = slot->args;
    slot->exited = false;
    slot->zactor = zactor_new(s_actor_shim, slot->shim);
    if (!slot->zactor)
        return -1;
    zpoller_add(self->poller, slot->zactor);
    slot->state = ACTOR_RUNNING;
    slot->last_pong = cp_clock_mono_ms(self->clock);
    slot->hung_at = 0;
    cp_info("supervisor", "actor %s started (restarts %d)", slot->def->name, slot->restarts);
    s_announce(self, slot, "running");
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

//  Joins the actor thread (it has returned or is returning) and frees.
//  False when the actor could not be stopped (escalation is under way).
static bool
s_actor_reap(cp_supervisor_t *self, actor_slot_t *slot)
{
    if (slot->proc.pipe) {
        zpoller_remove(self->poller, slot->proc.pipe);
        cp_proc_reap(&slot->proc, 3000);
    }
    if (slot->zactor) {
        zpoller_remove(self->poller, slot->zactor);
        if (!s_actor_stop_bounded(self, slot)) {
            //  Stuck in a real deadlock: its thread cannot be joined or its
            //  memory freed. Escalate; the durable store has what matters.
            cp_error("supervisor", "actor %s does not stop: escalating (exit 1)", slot->def->name);
            self->exit_code = 1;
            self->stopping = true;
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

static void s_request_snapshot(cp_supervisor_t *self, const char *actor);

//  One-for-one restart under the intensity limit.
static void
s_actor_restart(cp_supervisor_t *self, actor_slot_t *slot, const char *why)
{
    cp_warn("supervisor", "actor %s %s; restarting", slot->def->name, why);
    s_announce(self, slot, "down");
    if (!s_actor_reap(self, slot))
        return;                     //  escalating
    int64_t now = cp_clock_mono_ms(self->clock);
    int recent = 0;
    for (int i = 0; i < RESTART_RING; i++)
        if (self->restart_times[i] && now - self->restart_times[i] < self->options->restart_period_s * 1000LL)
            recent++;
    if (recent >= self->options->restart_intensity) {
        cp_error("supervisor", "more than %d restarts in %d s: escalating (exit 1)",
                 self->options->restart_intensity, self->options->restart_period_s);
        self->exit_code = 1;
        self->stopping = true;
        return;
    }
    self->restart_times[self->restart_head++ % RESTART_RING] = now;
    slot->restarts++;
    if (s_actor_start(self, slot) != 0) {
        cp_error("supervisor", "cannot restart actor %s: escalating", slot->def->name);
        self->exit_code = 1;
        self->stopping = true;
        return;
    }
    s_request_snapshot(self, slot->def->name);
}

static actor_slot_t *
s_actor_find(cp_supervisor_t *self, const char *name)
{
    for (int i = 0; i < self->actor_count; i++)
        if (streq(self->actors[i].def->name, name))
            return &self->actors[i];
    return NULL;
}

static void
s_on_actor_pipe(cp_supervisor_t *self, actor_slot_t *slot)
{
    zmsg_t *msg = zmsg_recv(s_pipe(slot));
    if (!msg)
        return;
    char *cmd = zmsg_popstr(msg);
    if (cmd && streq(cmd, "$PONG")) {
        slot->last_pong = cp_clock_mono_ms(self->clock);
        if (slot->state == ACTOR_HUNG && !self->options->split) {
            //  It was only slow: it answers again, so it is not stuck.
            cp_warn("supervisor", "actor %s answers again after a stall", slot->def->name);
            slot->state = ACTOR_RUNNING;
            s_announce(self, slot, "running");
            atomic_store(&slot->args->abandon, false);
        }
    }
    else
    if (cmd && streq(cmd, "$DIED")) {
        slot->exited = true;
        s_actor_restart(self, slot, "died");
    }
    else
    if (cmd && streq(cmd, "$BYE"))
        slot->exited = true;
    zstr_free(&cmd);
    zmsg_destroy(&msg);
}

static void
s_liveness_tick(cp_supervisor_t *self)
{
    int64_t now = cp_clock_mono_ms(self->clock);
    for (int i = 0; i < self->actor_count; i++) {
        actor_slot_t *slot = &self->actors[i];
        char why[64];
        if (self->options->split && slot->state != ACTOR_STOPPED && cp_proc_exited(&slot->proc, why, sizeof(why))) {
            s_actor_restart(self, slot, why);
            continue;
        }
        if (slot->state == ACTOR_RUNNING) {
            if (now - slot->last_pong > self->options->liveness_ms && self->options->split) {
                //  A process can be killed: no need to wait or escalate.
                cp_warn("supervisor", "actor %s (process %d) missed its liveness deadline: killing it",
                        slot->def->name, (int) slot->proc.pid);
                cp_proc_kill(&slot->proc);
                s_actor_restart(self, slot, "hung");
            }
            else
            if (now - slot->last_pong > self->options->liveness_ms) {
                cp_warn("supervisor", "actor %s missed its liveness deadline (%d ms): hung",
                        slot->def->name, self->options->liveness_ms);
                slot->state = ACTOR_HUNG;
                slot->hung_at = now;
                s_announce(self, slot, "down");
                atomic_store(&slot->args->abandon, true);
            }
            else
                zstr_send(s_pipe(slot), "$PING");
        }
        else
        if (slot->state == ACTOR_HUNG && now - slot->hung_at > HANG_GRACE_MS) {
            cp_error("supervisor", "actor %s is stuck and cannot be reclaimed: escalating (exit 1)",
                     slot->def->name);
            self->exit_code = 1;
            self->stopping = true;
            //  Its thread cannot be joined: do not wait for it at exit.
            slot->zactor = NULL;
            slot->state = ACTOR_STOPPED;
        }
    }
}

//  --------------------------------------------------------------------------
//  Status snapshot

static void
s_cache(cp_msg_t **slot, const cp_msg_t *msg)
{
    //  Re-encode to copy: messages own heap TEXT fields.
    char *data = NULL;
    size_t size = 0;
    if (cp_msg_encode(msg, &data, &size) != 0)
        return;
    cp_msg_t *copy = cp_msg_decode(data, size, NULL, 0);
    free(data);
    if (copy) {
        cp_msg_destroy(slot);
        *slot = copy;
    }
}

//  Cache msg as the newest state of connector n (first..connectors) unless
//  an older copy arrived late (cp_msg_stale).
static void
s_cache_connector(cp_supervisor_t *self, cp_msg_t **slots, int64_t *seen, int64_t n, int first,
                  int64_t seq, const cp_msg_t *msg)
{
    if (n >= first && n <= self->options->connectors && !cp_msg_stale(seq, &seen[n]))
        s_cache(&slots[n], msg);
}

static void
s_absorb_state(cp_supervisor_t *self, const cp_msg_t *msg)
{
    switch (msg->type) {
    case CP_MSG_OCPP_STATE:
        if (!cp_msg_stale(msg->u.ocpp_state.seq, &self->seen_ocpp))
            s_cache(&self->ocpp_state, msg);
        break;
    case CP_MSG_HW_GRID:
        if (!cp_msg_stale(msg->u.hw_grid.seq, &self->seen_grid))
            s_cache(&self->grid, msg);
        break;
    case CP_MSG_HW_CONNECTOR:
        s_cache_connector(self, self->hw_conn, self->seen_hw, msg->u.hw_connector.connector, 1,
                          msg->u.hw_connector.seq, msg);
        break;
    case CP_MSG_HMI_STATE:
        s_cache_connector(self, self->hmi_conn, self->seen_hmi, msg->u.hmi_state.connector, 1,
                          msg->u.hmi_state.seq, msg);
        break;
    case CP_MSG_SC_LIMIT:
        s_cache_connector(self, self->sc_limit, self->seen_sc, msg->u.sc_limit.connector, 1,
                          msg->u.sc_limit.seq, msg);
        break;
    case CP_MSG_TX_CONNECTOR:      //  connector 0 too: the charger as a whole
        s_cache_connector(self, self->tx_conn, self->seen_tx, msg->u.tx_connector.connector, 0,
                          msg->u.tx_connector.seq, msg);
        break;
    default:
        break;
    }
}

static void
s_request_snapshot(cp_supervisor_t *self, const char *actor)
{
    if (!streq(actor, "hw") && !streq(actor, "transaction") && !streq(actor, "ocpp") && !streq(actor, "hmi")
    &&  !streq(actor, "smartcharging"))
        return;
    cp_msg_t *req = cp_msg_new(CP_MSG_SNAPSHOT_REQUEST);
    cp_msg_set_str(req->u.snapshot_request.scope, "status");
    uint64_t corr = cp_bus_request(self->bus, actor, req);
    cp_msg_destroy(&req);
    actor_slot_t *slot = s_actor_find(self, actor);
    if (slot) {
        if (slot->snapshot_corr == 0 || slot->snapshot_tries <= 0)
            slot->snapshot_tries = 5;
        slot->snapshot_corr = corr;
    }
}

//  A snapshot request reached an actor before it joined the bus: ask again
//  at the next tick, a few times, so status never stays stale.
static bool
s_snapshot_reply(cp_supervisor_t *self, const cp_bus_envelope_t *env)
{
    for (int i = 0; i < self->actor_count; i++) {
        actor_slot_t *slot = &self->actors[i];
        if (slot->snapshot_corr && slot->snapshot_corr == env->corr) {
            if (env->kind == CP_BUS_UNREACHABLE && --slot->snapshot_tries > 0)
                slot->snapshot_corr = UINT64_MAX;           //  retry at the next tick
            else
                slot->snapshot_corr = 0;
            return true;
        }
    }
    return false;
}

static json_t *
s_status_json(cp_supervisor_t *self)
{
    json_t *root = json_object();
    //  The OCPP settings in force (store, else start-up options).
    ocpp_settings_t settings = { .enabled = self->options->csms_url[0] != '\0' };
    if (!self->config || ocpp_settings_read(self->config, &settings) != CONFIG_STORE_OK) {
        //  (options bound both: a URL of 500+ characters is not dialable)
        snprintf(settings.url, sizeof(settings.url), "%.500s", self->options->csms_url);
        snprintf(settings.identity, sizeof(settings.identity), "%.48s", self->options->id);
    }
    json_object_set_new(root, "chargePointId", json_string(settings.identity));
    json_object_set_new(root, "version", json_string(CP_VERSION));
    json_t *ocpp = json_object();
    const cp_msg_ocpp_state_t *os = self->ocpp_state ? &self->ocpp_state->u.ocpp_state : NULL;
    const char *conn = os ? os->connection : (settings.enabled ? "connecting" : "disabled");
    json_object_set_new(ocpp, "connection", json_string(conn));
    json_object_set_new(ocpp, "enabled", json_boolean(settings.enabled));
    json_object_set_new(ocpp, "passwordSet", json_boolean(settings.password_set));
    json_object_set_new(ocpp, "registration", json_string(os ? os->registration : "None"));
    json_object_set_new(ocpp, "heartbeatInterval", json_integer(os ? os->heartbeat_interval : 0));
    if (os && os->last_error[0])
        json_object_set_new(ocpp, "lastError", json_string(os->last_error));
    if (settings.url[0]) {
        char url[512];
        cp_log_redact_url(settings.url, url, sizeof(url));
        json_object_set_new(ocpp, "url", json_string(url));
    }
    json_object_set_new(root, "ocpp", ocpp);

    json_t *connectors = json_array();
    for (int n = 1; n <= self->options->connectors; n++) {
        json_t *c = json_object();
        const cp_msg_tx_connector_t *tx = self->tx_conn[n] ? &self->tx_conn[n]->u.tx_connector : NULL;
        const cp_msg_hw_connector_t *hw = self->hw_conn[n] ? &self->hw_conn[n]->u.hw_connector : NULL;
        json_object_set_new(c, "id", json_integer(n));
        json_object_set_new(c, "status", json_string(tx ? tx->status : "Unavailable"));
        json_object_set_new(c, "errorCode", json_string(tx ? tx->error_code : "NoError"));
        json_object_set_new(c, "plugged", json_boolean(hw && hw->plugged));
        if (tx && tx->tx_active) {
            json_t *t = json_object();
            json_object_set_new(t, "id", tx->tx_confirmed ? json_integer(tx->tx_id) : json_null());
            json_object_set_new(t, "idTag", json_string(tx->id_tag));
            json_object_set_new(t, "meterStart", json_integer(tx->meter_start));
            json_object_set_new(t, "startedAt", json_string(tx->started_at));
            json_object_set_new(c, "transaction", t);
        }
        else
            json_object_set_new(c, "transaction", json_null());
        json_object_set_new(c, "energyWh", json_integer(hw ? (json_int_t) hw->energy_wh : 0));
        json_object_set_new(c, "powerW", json_integer(hw ? (json_int_t) (hw->power_w + 0.5) : 0));
        json_object_set_new(c, "limitA", json_real(hw ? hw->offered_a : 0.0));
        //  The pilot's PWM duty cycle for it (IEC 61851-1; 100 = no PWM),
        //  and which limit holds it there (local_limits.h).
        json_object_set_new(c, "dutyPct", json_real(hw ? round(hw->duty_pct * 10.0) / 10.0 : 100.0));
        const cp_msg_sc_limit_t *sc = self->sc_limit[n] ? &self->sc_limit[n]->u.sc_limit : NULL;
        if (sc)
            json_object_set_new(c, "limitSource", json_string(sc->source));
        json_object_set_new(c, "pilot", json_string(hw ? hw->pilot : "A"));
        json_object_set_new(c, "contactor", json_boolean(hw && hw->contactor_closed));
        json_object_set_new(c, "locked", json_boolean(hw && hw->locked));
        json_object_set_new(c, "fault", json_string(hw ? hw->fault : "none"));
        json_object_set_new(c, "temperatureC", json_real(hw ? hw->temperature_c : 0.0));
        //  What the driver sees on the charger (halo and display, the seed's HMI).
        const cp_msg_hmi_state_t *hmi = self->hmi_conn[n] ? &self->hmi_conn[n]->u.hmi_state : NULL;
        if (hmi)
            json_object_set_new(c, "hmi", json_pack("{s:s, s:s, s:s}", "halo", hmi->halo, "pattern", hmi->pattern,
                                                    "display", hmi->display));
        json_array_append_new(connectors, c);
    }
    json_object_set_new(root, "connectors", connectors);
    //  The household grid meter, when the installation has one.
    if (self->grid) {
        const cp_msg_hw_grid_t *g = &self->grid->u.hw_grid;
        json_object_set_new(root, "grid", json_pack("{s:b, s:f, s:f}", "ok", g->ok,
                                                    "currentA", round(g->current_a * 10.0) / 10.0,
                                                    "chargerA", round(g->charger_a * 10.0) / 10.0));
    }

    json_t *actors = json_array();
    for (int i = 0; i < self->actor_count; i++) {
        const actor_slot_t *slot = &self->actors[i];
        json_t *a = json_object();
        json_object_set_new(a, "name", json_string(slot->def->name));
        json_object_set_new(a, "state", json_string(slot->state == ACTOR_RUNNING ? "running"
                                                    : slot->state == ACTOR_HUNG ? "hung" : "stopped"));
        json_object_set_new(a, "restarts", json_integer(slot->restarts));
        json_array_append_new(actors, a);
    }
    json_object_set_new(root, "actors", actors);
    json_object_set_new(root, "busDropped", json_integer((json_int_t) cp_bus_dropped(self->bus)));
    return root;
}

//  --------------------------------------------------------------------------
//  cpctl

static void
s_control_reply(cp_supervisor_t *self, zframe_t *client, int code, const char *text)
{
    zmsg_t *out = zmsg_new();
    zframe_t *id = zframe_dup(client);
    zmsg_append(out, &id);
    zmsg_addstrf(out, "%d", code);
    zmsg_addstr(out, text ? text : "");
    if (zmsg_send(&out, self->control) != 0)
        zmsg_destroy(&out);
}

static pending_t *
s_pending_add(cp_supervisor_t *self, uint64_t corr, zframe_t *client, pending_kind_t kind, const char *actor)
{
    for (int i = 0; i < MAX_PENDING; i++) {
        pending_t *p = &self->pending[i];
        if (p->corr == 0) {
            p->corr = corr;
            p->client = zframe_dup(client);
            p->deadline = cp_clock_mono_ms(self->clock) + CPCTL_TIMEOUT_MS;
            p->kind = kind;
            snprintf(p->actor, sizeof(p->actor), "%s", actor);
            return p;
        }
    }
    return NULL;
}

static void
s_pending_clear(pending_t *p)
{
    zframe_destroy(&p->client);
    p->corr = 0;
}

static void
s_forward(cp_supervisor_t *self, zframe_t *client, const char *actor, cp_msg_t *msg, pending_kind_t kind)
{
    uint64_t corr = cp_bus_request(self->bus, actor, msg);
    if (!corr || !s_pending_add(self, corr, client, kind, actor))
        s_control_reply(self, client, 1, "controller busy: request not sent");
}

static bool
s_connector_arg(cp_supervisor_t *self, const char *text, int *n)
{
    char *end = NULL;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || !*text || *end || v < 1 || v > self->options->connectors)
        return false;
    *n = (int) v;
    return true;
}

static void
s_hw_command(cp_supervisor_t *self, zframe_t *client, int connector, const char *command, const char *arg)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_HW_COMMAND);
    msg->u.hw_command.connector = connector;
    cp_msg_set_str(msg->u.hw_command.command, command);
    if (arg && cp_msg_set_str(msg->u.hw_command.arg, arg) != 0) {
        s_control_reply(self, client, 1, "argument too long");
        cp_msg_destroy(&msg);
        return;
    }
    s_forward(self, client, "hw", msg, PENDING_TEXT);
    cp_msg_destroy(&msg);
}

static void
s_on_control(cp_supervisor_t *self)
{
    zmsg_t *in = zmsg_recv(self->control);
    if (!in)
        return;
    zframe_t *client = zmsg_pop(in);
    int argc = 0;
    char *argv[8] = { NULL };
    while (zmsg_size(in) > 0 && argc < 8)
        argv[argc++] = zmsg_popstr(in);
    bool extra = zmsg_size(in) > 0;
    zmsg_destroy(&in);
    const char *cmd = argc > 0 ? argv[0] : "";
    int n = 0;
    char reason[128];

    if (extra || argc == 0)
        s_control_reply(self, client, 2, "bad request");
    else
    if (streq(cmd, "status") && argc == 1) {
        json_t *status = s_status_json(self);
        char *text = json_dumps(status, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
        s_control_reply(self, client, 0, text);
        free(text);
        json_decref(status);
    }
    else
    if ((streq(cmd, "plug") || streq(cmd, "unplug")) && argc == 2) {
        if (s_connector_arg(self, argv[1], &n))
            s_hw_command(self, client, n, cmd, NULL);
        else {
            snprintf(reason, sizeof(reason), "no connector '%s' (1..%d)", argv[1], self->options->connectors);
            s_control_reply(self, client, 1, reason);
        }
    }
    else
    if (streq(cmd, "ev") && argc == 3 && (streq(argv[2], "charge") || streq(argv[2], "pause"))) {
        if (s_connector_arg(self, argv[1], &n))
            s_hw_command(self, client, n, streq(argv[2], "charge") ? "ev_charge" : "ev_pause", NULL);
        else {
            snprintf(reason, sizeof(reason), "no connector '%s' (1..%d)", argv[1], self->options->connectors);
            s_control_reply(self, client, 1, reason);
        }
    }
    else
    if (streq(cmd, "fault") && argc == 3) {
        if (s_connector_arg(self, argv[1], &n))
            s_hw_command(self, client, n, "fault", argv[2]);
        else {
            snprintf(reason, sizeof(reason), "no connector '%s' (1..%d)", argv[1], self->options->connectors);
            s_control_reply(self, client, 1, reason);
        }
    }
    else
    if ((streq(cmd, "swipe") || streq(cmd, "rfid") || streq(cmd, "pin")) && argc == 2)
        s_hw_command(self, client, 0, cmd, argv[1]);
    else
    if (streq(cmd, "key") && argc == 2)         //  keypad presses
        s_hw_command(self, client, 0, cmd, argv[1]);
    else
    if (streq(cmd, "grid") && argc == 2)        //  the simulated household meter
        s_hw_command(self, client, 0, cmd, argv[1]);
    else
    if (streq(cmd, "actor") && argc == 2 && streq(argv[1], "list")) {
        char text[1024] = "";
        size_t len = 0;
        for (int i = 0; i < self->actor_count; i++) {
            const actor_slot_t *slot = &self->actors[i];
            len += (size_t) snprintf(text + len, sizeof(text) - len, "%-12s %-8s restarts=%d\n",
                                     slot->def->name,
                                     slot->state == ACTOR_RUNNING ? "running"
                                     : slot->state == ACTOR_HUNG ? "hung" : "stopped",
                                     slot->restarts);
        }
        s_control_reply(self, client, 0, text);
    }
    else
    if (streq(cmd, "actor") && argc == 3 && (streq(argv[1], "kill") || streq(argv[1], "hang"))) {
        actor_slot_t *slot = s_actor_find(self, argv[2]);
        if (!slot) {
            snprintf(reason, sizeof(reason), "no actor named '%s'", argv[2]);
            s_control_reply(self, client, 1, reason);
        }
        else
        if (slot->state != ACTOR_RUNNING) {
            snprintf(reason, sizeof(reason), "actor %s is not running", argv[2]);
            s_control_reply(self, client, 1, reason);
        }
        else {
            if (self->options->split && streq(argv[1], "kill"))
                cp_proc_kill(&slot->proc);      //  a real crash
            else
                zstr_send(s_pipe(slot), streq(argv[1], "kill") ? "$KILL" : "$HANG");
            snprintf(reason, sizeof(reason), "%s: %s sent", argv[2], streq(argv[1], "kill") ? "kill" : "hang");
            s_control_reply(self, client, 0, reason);
        }
    }
    else
    if (streq(cmd, "config") && argc >= 2 && argc <= 3 && streq(argv[1], "get")) {
        cp_msg_t *msg = cp_msg_new(CP_MSG_CONFIG_GET);
        if (argc == 3 && cp_msg_set_str(msg->u.config_get.key, argv[2]) != 0)
            s_control_reply(self, client, 1, "key too long");
        else
            s_forward(self, client, "config", msg, PENDING_CONFIG_GET);
        cp_msg_destroy(&msg);
    }
    else
    if (streq(cmd, "datatransfer") && argc >= 2 && argc <= 4) {
        //  A vendor-specific DataTransfer.req to the central system.
        json_t *p = json_pack("{s:s}", "vendorId", argv[1]);
        if (argc >= 3 && argv[2][0])
            json_object_set_new(p, "messageId", json_string(argv[2]));
        if (argc == 4)
            json_object_set_new(p, "data", json_string(argv[3]));
        char *text = json_dumps(p, JSON_COMPACT);
        json_decref(p);
        cp_msg_t *msg = cp_msg_new(CP_MSG_OCPP_CALL);
        cp_msg_set_str(msg->u.ocpp_call.action, "DataTransfer");
        cp_msg_set_text(&msg->u.ocpp_call.payload, text);
        free(text);
        if (strlen(argv[1]) > 255 || (argc >= 3 && strlen(argv[2]) > 50))
            s_control_reply(self, client, 1, "vendorId is at most 255 and messageId 50 characters");
        else
            s_forward(self, client, "ocpp", msg, PENDING_TEXT);
        cp_msg_destroy(&msg);
    }
    else
    if (streq(cmd, "config") && argc == 4 && streq(argv[1], "set")) {
        cp_msg_t *msg = cp_msg_new(CP_MSG_CONFIG_SET);
        cp_msg_set_str(msg->u.config_set.origin, "local");
        if (cp_msg_set_str(msg->u.config_set.key, argv[2]) != 0
        ||  cp_msg_set_str(msg->u.config_set.value, argv[3]) != 0)
            s_control_reply(self, client, 1, "Rejected: key or value too long");
        else
            s_forward(self, client, "config", msg, PENDING_CONFIG_SET);
        cp_msg_destroy(&msg);
    }
    else {
        snprintf(reason, sizeof(reason), "unknown command or wrong arguments: '%s'", cmd);
        s_control_reply(self, client, 2, reason);
    }
    for (int i = 0; i < argc; i++)
        zstr_free(&argv[i]);
    zframe_destroy(&client);
}

static void
s_on_reply(cp_supervisor_t *self, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    pending_t *p = NULL;
    for (int i = 0; i < MAX_PENDING; i++)
        if (self->pending[i].corr == env->corr && env->corr)
            p = &self->pending[i];
    if (!p)
        return;
    char text[512];
    if (env->kind == CP_BUS_UNREACHABLE || !msg) {
        snprintf(text, sizeof(text), "actor %s is not running right now; try again", p->actor);
        s_control_reply(self, p->client, 1, text);
    }
    else
    if (msg->type == CP_MSG_REPLY)
        s_control_reply(self, p->client, msg->u.reply.ok ? 0 : 1, msg->u.reply.reason);
    else
    if (msg->type == CP_MSG_OCPP_RESULT) {
        const cp_msg_ocpp_result_t *r = &msg->u.ocpp_result;
        if (streq(r->outcome, "result"))
            s_control_reply(self, p->client, 0, r->payload ? r->payload : "{}");
        else {
            snprintf(text, sizeof(text), "%s%s%s%s%s", r->outcome, r->error_code[0] ? ": " : "", r->error_code,
                     r->error_description[0] ? " " : "", r->error_description);
            s_control_reply(self, p->client, 1, text);
        }
    }
    else
    if (msg->type == CP_MSG_CONFIG_VALUES)
        s_control_reply(self, p->client, 0, msg->u.config_values.json ? msg->u.config_values.json : "[]");
    else
    if (msg->type == CP_MSG_CONFIG_SET_REPLY) {
        const cp_msg_config_set_reply_t *r = &msg->u.config_set_reply;
        bool ok = streq(r->status, "Accepted") || streq(r->status, "RebootRequired");
        snprintf(text, sizeof(text), "%s%s%s", r->status, r->reason[0] ? ": " : "", r->reason);
        s_control_reply(self, p->client, ok ? 0 : 1, text);
    }
    else
        s_control_reply(self, p->client, 1, "unexpected reply");
    s_pending_clear(p);
}

static void
s_pending_expire(cp_supervisor_t *self)
{
    int64_t now = cp_clock_mono_ms(self->clock);
    for (int i = 0; i < MAX_PENDING; i++) {
        pending_t *p = &self->pending[i];
        if (p->corr && now > p->deadline) {
            char text[128];
            snprintf(text, sizeof(text), "actor %s did not answer in time", p->actor);
            s_control_reply(self, p->client, 1, text);
            s_pending_clear(p);
        }
    }
}

static void
s_on_bus(cp_supervisor_t *self, zsock_t *sock)
{
    cp_bus_envelope_t env;
    bool dropped = false;
    cp_msg_t *msg = cp_bus_recv(self->bus, sock, &env, &dropped);
    if (dropped)
        return;
    if (env.kind == CP_BUS_EVENT || env.kind == CP_BUS_PARTIAL) {
        if (msg)
            s_absorb_state(self, msg);
    }
    else
    if (env.kind == CP_BUS_REPLY || env.kind == CP_BUS_UNREACHABLE) {
        if (!s_snapshot_reply(self, &env))
            s_on_reply(self, &env, msg);
    }
    else
    if (env.kind == CP_BUS_REQUEST && msg && msg->type == CP_MSG_SYSTEM_RESET) {
        //  Leave time for the Reset.conf (and the queued stops) to go out.
        snprintf(self->reset_type, sizeof(self->reset_type), "%s", msg->u.system_reset.type);
        self->reset_at = cp_clock_mono_ms(self->clock) + RESET_DELAY_MS;
        cp_info("supervisor", "%s reset in %d ms", self->reset_type, RESET_DELAY_MS);
        cp_msg_t *reply = cp_msg_new(CP_MSG_REPLY);
        reply->u.reply.ok = true;
        cp_bus_reply(self->bus, &env, reply, true);
        cp_msg_destroy(&reply);
    }
    else
    if (env.kind == CP_BUS_REQUEST && msg) {
        //  Nothing else addresses the supervisor: refuse rather than ignore.
        cp_msg_t *reply = cp_msg_new(CP_MSG_REPLY);
        cp_msg_set_str(reply->u.reply.reason, "supervisor takes no requests");
        cp_bus_reply(self->bus, &env, reply, true);
        cp_msg_destroy(&reply);
    }
    cp_msg_destroy(&msg);
}

//  --------------------------------------------------------------------------

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
    self->broker = zactor_new(cp_bus_broker_actor, &self->ep);
    self->control = zsock_new(ZMQ_ROUTER);
    self->bus = cp_bus_new(&self->ep, "supervisor");
    if (!self->broker || !self->control || !self->bus) {
        snprintf(err, err_size, "cannot create the bus");
        cp_supervisor_destroy(&self);
        return NULL;
    }
    zsock_set_linger(self->control, 0);
    if (zsock_bind(self->control, "%s", options->control) < 0) {
        snprintf(err, err_size, "cannot bind the control endpoint %s: %s", options->control,
                 zmq_strerror(zmq_errno()));
        cp_supervisor_destroy(&self);
        return NULL;
    }
    //  No store, no settings: status then shows the start-up options.
    char store_err[256];
    self->config = config_store_open_reader(options, store_err, sizeof(store_err));
    if (!self->config)
        cp_warn("supervisor", "status cannot read the OCPP settings: %s", store_err);
    cp_bus_subscribe(self->bus, "ocpp.state");
    cp_bus_subscribe(self->bus, "hw.connector.");
    cp_bus_subscribe(self->bus, "tx.connector.");
    cp_bus_subscribe(self->bus, "hmi.connector.");
    cp_bus_subscribe(self->bus, "sc.limit.");
    cp_bus_subscribe(self->bus, "hw.grid");
    self->poller = zpoller_new(self->control, cp_bus_events(self->bus), cp_bus_requests(self->bus), NULL);
    for (int i = 0; i < cp_actor_def_count && i < MAX_ACTORS; i++) {
        //  Split mode: safety is a thread of the hw process (actor_proc.c).
        if (options->split && streq(cp_actor_defs[i].name, "safety"))
            continue;
        actor_slot_t *slot = &self->actors[self->actor_count++];
        slot->def = &cp_actor_defs[i];
        if (s_actor_start(self, slot) != 0) {
            snprintf(err, err_size, "cannot start actor %s", slot->def->name);
            cp_supervisor_destroy(&self);
            return NULL;
        }
    }
    for (int i = 0; i < self->actor_count; i++)
        s_request_snapshot(self, self->actors[i].def->name);
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
        if (slot->state == ACTOR_STOPPED && !slot->zactor && !slot->proc.pipe)
            continue;
        stuck |= !s_actor_reap(self, slot);
    }
    if (stuck) {
        //  A thread that cannot be joined keeps sockets open: the ZeroMQ
        //  context would never terminate. Leave now; the store is durable.
        cp_error("supervisor", "an actor did not stop: exiting without cleanup");
        _exit(1);
    }
    for (int i = 0; i < MAX_PENDING; i++)
        if (self->pending[i].corr)
            s_pending_clear(&self->pending[i]);
    cp_msg_destroy(&self->ocpp_state);
    for (int n = 0; n <= HW_MAX_CONNECTORS; n++) {
        cp_msg_destroy(&self->hw_conn[n]);
        cp_msg_destroy(&self->tx_conn[n]);
        cp_msg_destroy(&self->hmi_conn[n]);
        cp_msg_destroy(&self->sc_limit[n]);
    }
    cp_msg_destroy(&self->grid);
    config_store_destroy(&self->config);
    zpoller_destroy(&self->poller);
    cp_bus_destroy(&self->bus);
    zsock_destroy(&self->control);
    zactor_destroy(&self->broker);
    free(self);
    *self_p = NULL;
}

int
cp_supervisor_run(cp_supervisor_t *self)
{
    assert(self);
    self->next_tick = cp_clock_mono_ms(self->clock) + 1000;
    while (!self->stopping) {
        int64_t now = cp_clock_mono_ms(self->clock);
        int timeout = (int) (self->next_tick > now ? self->next_tick - now : 0);
        void *which = zpoller_wait(self->poller, timeout);
        if (zpoller_terminated(self->poller) || zsys_interrupted) {
            cp_info("supervisor", "signal received: shutting down");
            break;
        }
        if (which == self->control)
            s_on_control(self);
        else
        if (which == cp_bus_events(self->bus) || which == cp_bus_requests(self->bus))
            s_on_bus(self, which);
        else
        if (which) {
            for (int i = 0; i < self->actor_count; i++)
                if (s_pipe(&self->actors[i]) && which == s_pipe(&self->actors[i])) {
                    s_on_actor_pipe(self, &self->actors[i]);
                    break;
                }
        }
        now = cp_clock_mono_ms(self->clock);
        if (self->reset_at && now >= self->reset_at) {
            self->reset_at = 0;
            if (streq(self->reset_type, "Hard")) {
                cp_info("supervisor", "Hard reset: restarting the process");
                self->exit_code = CP_EXIT_HARD_RESET;
                break;
            }
            //  Soft reset: every actor stops cleanly and starts again from
            //  the durable store, in start order.
            cp_info("supervisor", "Soft reset: restarting every actor");
            for (int i = 0; i < self->actor_count; i++) {
                actor_slot_t *slot = &self->actors[i];
                if (slot->state == ACTOR_HUNG)
                    continue;
                s_announce(self, slot, "down");
                if (!s_actor_reap(self, slot))
                    break;          //  escalating
                if (s_actor_start(self, slot) != 0) {
                    self->exit_code = 1;
                    self->stopping = true;
                }
            }
            for (int i = 0; i < self->actor_count; i++)
                s_request_snapshot(self, self->actors[i].def->name);
        }
        if (now >= self->next_tick) {
            self->next_tick = now + 1000;
            s_liveness_tick(self);
            s_pending_expire(self);
            for (int i = 0; i < self->actor_count; i++)
                if (self->actors[i].snapshot_corr == UINT64_MAX)
                    s_request_snapshot(self, self->actors[i].def->name);
        }
        //  An actor abandoned after an injected hang comes back as $DIED.
    }
    return self->exit_code;
}
