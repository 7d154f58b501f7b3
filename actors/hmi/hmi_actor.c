/* hmi_actor.c — the thin shell around hmi_core (see hmi_actor.h). It feeds
 * the core with bus states, configuration and time, and publishes each
 * connector's view when it changes. One loop timer, re-armed after every
 * event at the core's next deadline (snapshots retry in the shell).
 */
#include "actors/hmi/hmi_actor.h"

#include <string.h>
#include "actors/config/config_store.h"
#include "actors/hmi/hmi_core.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"

#define LOG "hmi"

typedef struct {
    cp_shell_t *shell;
    cp_clock_t *clock;
    const cp_options_t *options;
    config_store_t *config;        //  a reader: the config actor owns the keys
    hmi_core_t *core;
    int timer;                      //  loop timer id; 0 = none armed
    int64_t seen_ocpp;              //  newest state seqs (cp_msg_stale)
    int64_t seen_store;
    int64_t seen_hw[HMI_MAX_CONNECTORS + 1];
    int64_t seen_tx[HMI_MAX_CONNECTORS + 1];
    hmi_view_t shown[HMI_MAX_CONNECTORS + 1];
    bool published[HMI_MAX_CONNECTORS + 1];
} hmi_actor_t;

static int64_t s_mono(hmi_actor_t *self) { return cp_clock_mono_ms(self->clock); }

static void
s_state_msg(hmi_actor_t *self, int n, cp_msg_t *msg)
{
    memset(msg, 0, sizeof(*msg));
    msg->type = CP_MSG_HMI_STATE;
    msg->u.hmi_state.connector = n;
    cp_msg_set_str(msg->u.hmi_state.halo, self->shown[n].halo);
    cp_msg_set_str(msg->u.hmi_state.pattern, self->shown[n].pattern);
    cp_msg_set_str(msg->u.hmi_state.display, self->shown[n].display);
    msg->u.hmi_state.seq = cp_msg_seq_now();
}

//  Recompute every view; publish those that changed.
static void
s_refresh(hmi_actor_t *self)
{
    int64_t now = s_mono(self);
    for (int n = 1; n <= hmi_core_connectors(self->core); n++) {
        hmi_view_t view;
        if (hmi_core_view(self->core, n, now, &view) != 0)
            continue;
        if (self->published[n] && memcmp(&view, &self->shown[n], sizeof(view)) == 0)
            continue;
        self->shown[n] = view;
        self->published[n] = true;
        cp_msg_t msg;
        s_state_msg(self, n, &msg);
        char topic[32];
        snprintf(topic, sizeof(topic), "hmi.connector.%d", n);
        if (cp_shell_publish(self->shell, topic, &msg) != 0)
            cp_warn(LOG, "cannot publish %s", topic);
        cp_debug(LOG, "connector %d: %s %s \"%s\"", n, view.halo, view.pattern, view.display);
    }
}

static void
s_read_config(hmi_actor_t *self)
{
    hmi_core_set_free_charging(self->core,
                               config_store_get_bool(self->config, "FreeChargingEnabled", false));
}

static void s_rearm(hmi_actor_t *self);

static int
s_on_timer(cp_loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    hmi_actor_t *self = arg;
    self->timer = 0;
    hmi_core_tick(self->core, s_mono(self));
    s_refresh(self);
    s_rearm(self);
    return 0;
}

static void
s_rearm(hmi_actor_t *self)
{
    int64_t delay = hmi_core_next_delay(self->core, s_mono(self));         //  -1: nothing due
    cp_shell_rearm(self->shell, &self->timer, delay < 0 ? CP_SHELL_NEVER : delay, s_on_timer,
                   self, "the display is late");
}

//  A keypad key: the core assembles the PIN; a submitted one goes to hw,
//  which presents it at the reader like a card ("pin" token). The digits
//  never reach a log.
static void
s_on_key(hmi_actor_t *self, char key, int64_t now)
{
    char pin[HMI_PIN_MAX + 1] = "";
    if (hmi_core_key(self->core, key, now, pin, sizeof(pin)) != 1)
        return;
    cp_msg_t *req = cp_msg_new(CP_MSG_HW_COMMAND);
    if (req && cp_msg_set_str(req->u.hw_command.command, "pin") == 0
        && cp_msg_set_str(req->u.hw_command.arg, pin) == 0 && cp_shell_request(self->shell, "hw", req))
        cp_info(LOG, "PIN entered on the keypad: presented");
    else
        cp_warn(LOG, "PIN entered on the keypad could not be presented");
    cp_msg_destroy(&req);
    memset(pin, 0, sizeof(pin));
}

static void
s_absorb(hmi_actor_t *self, const cp_msg_t *msg)
{
    int64_t now = s_mono(self);
    int max = hmi_core_connectors(self->core);
    if (msg->type == CP_MSG_STORE_STATE) {
        if (!cp_msg_stale(msg->u.store_state.seq, &self->seen_store))
            hmi_core_set_storage(self->core, msg->u.store_state.ok);
    }
    else
    if (msg->type == CP_MSG_OCPP_STATE) {
        if (!cp_msg_stale(msg->u.ocpp_state.seq, &self->seen_ocpp))
            hmi_core_set_ocpp(self->core, msg->u.ocpp_state.connection, msg->u.ocpp_state.registration);
    }
    else
    if (msg->type == CP_MSG_TX_CONNECTOR) {
        int c = (int) msg->u.tx_connector.connector;
        if (c >= 1 && c <= max && !cp_msg_stale(msg->u.tx_connector.seq, &self->seen_tx[c]))
            hmi_core_on_tx(self->core, &msg->u.tx_connector, now);
    }
    else
    if (msg->type == CP_MSG_HW_CONNECTOR) {
        int c = (int) msg->u.hw_connector.connector;
        if (c >= 1 && c <= max && !cp_msg_stale(msg->u.hw_connector.seq, &self->seen_hw[c]))
            hmi_core_on_hw(self->core, &msg->u.hw_connector);
    }
    else
    if (msg->type == CP_MSG_AUTH_TOKEN)
        hmi_core_on_token(self->core, msg->u.auth_token.id_tag, now);
    else
    if (msg->type == CP_MSG_HW_KEY)
        s_on_key(self, msg->u.hw_key.key[0], now);
    else
    if (msg->type == CP_MSG_CONFIG_CHANGED && streq(msg->u.config_changed.key, "FreeChargingEnabled"))
        s_read_config(self);
}

static void
s_on_snapshot(hmi_actor_t *self, const cp_bus_envelope_t *env)
{
    s_refresh(self);
    for (int n = 1; n <= hmi_core_connectors(self->core); n++) {
        cp_msg_t msg;
        s_state_msg(self, n, &msg);
        if (cp_shell_reply(self->shell, env, &msg, false) != 0) {
            cp_warn(LOG, "cannot send the snapshot to %s", env->peer);
            return;
        }
    }
    cp_shell_reply_status(self->shell, env, true, "");
}

static void
s_handler(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, void *ctx)
{
    hmi_actor_t *self = ctx;
    if (env->kind == CP_BUS_EVENT || env->kind == CP_BUS_PARTIAL) {
        if (msg)
            s_absorb(self, msg);
    }
    else
    if (env->kind == CP_BUS_REQUEST) {
        if (msg->type == CP_MSG_SNAPSHOT_REQUEST)
            s_on_snapshot(self, env);
        else
            cp_shell_reply_status(shell, env, false, "hmi: unsupported request");
    }
    s_refresh(self);
    s_rearm(self);
}

void
hmi_actor(zsock_t *pipe, void *args)
{
    cp_actor_args_t *actor_args = args;
    hmi_actor_t *self = calloc(1, sizeof(hmi_actor_t));
    if (!self) {
        cp_error(LOG, "cannot start: out of memory");
        return;
    }
    self->clock = actor_args->clock;
    self->options = actor_args->options;
    char err[256] = "";
    int connectors = self->options->connectors;
    if (connectors > HMI_MAX_CONNECTORS)
        connectors = HMI_MAX_CONNECTORS;
    self->shell = cp_shell_new(pipe, actor_args);
    self->config = config_store_open_reader(self->options, err, sizeof(err));
    self->core = hmi_core_new(connectors);
    if (!self->shell || !self->config || !self->core) {
        cp_error(LOG, "cannot start: %s", err[0] ? err : "no bus or core");
        goto done;
    }
    cp_shell_set_handler(self->shell, s_handler, self);
    cp_bus_t *bus = cp_shell_bus(self->shell);
    cp_bus_subscribe(bus, "ocpp.state");
    cp_bus_subscribe(bus, "store.state");
    cp_bus_subscribe(bus, "tx.connector.");
    cp_bus_subscribe(bus, "hw.connector.");
    cp_bus_subscribe(bus, "auth.token");
    cp_bus_subscribe(bus, "hw.key");
    cp_bus_subscribe(bus, "config.changed");
    s_read_config(self);
    //  Level-triggered rebuild from the actors that own the state.
    cp_shell_snapshot(self->shell, "transaction", "hmi");
    cp_shell_snapshot(self->shell, "hw", "hmi");
    cp_shell_snapshot(self->shell, "ocpp", "hmi");
    s_refresh(self);
    s_rearm(self);
    cp_shell_run(self->shell);
done:
    hmi_core_destroy(&self->core);
    config_store_destroy(&self->config);
    cp_shell_destroy(&self->shell);
    free(self);
}
