/* metering_actor.c — the thin shell around metering_core (see
 * metering_actor.h). It feeds the core with readings, transaction views,
 * configuration and time, and carries out what the core emits: tx_meter
 * requests (kept until the transaction actor acknowledged them, because
 * they are billing data) and fire-and-forget MeterValues calls. One loop
 * timer, re-armed after every event at the earliest of: the core's next
 * due sample, a tx_meter retry (snapshots retry in the shell). Nothing polls.
 */
#include "actors/metering/metering_actor.h"

#include <string.h>
#include "actors/config/config_store.h"
#include "actors/metering/metering_core.h"
#include "supervisor/log.h"
#include "hw/hw.h"
#include "supervisor/shell.h"

#define LOG "metering"

//  A tx_meter the transaction actor has not acknowledged yet.
typedef struct {
    uint64_t corr;                  //  in flight; 0 = waiting to be (re)sent
    int64_t due_mono;               //  resend at (not in flight) / give up waiting at
    int64_t connector;
    int64_t tx_local;
    char kind[16];
    char *payload;
} pending_t;

typedef struct {
    cp_shell_t *shell;
    cp_clock_t *clock;
    const cp_options_t *options;
    config_store_t *config;        //  a reader: the config actor owns the keys
    metering_core_t *core;
    int timer;                      //  loop timer id; 0 = none armed
    pending_t pending[METERING_MAX_PENDING];
    int pending_count;
    int64_t seen_hw[HW_MAX_CONNECTORS + 1];    //  newest state seqs (cp_msg_stale)
    int64_t seen_tx[HW_MAX_CONNECTORS + 1];
} metering_actor_t;

static int64_t s_mono(metering_actor_t *self) { return cp_clock_mono_ms(self->clock); }
static int64_t s_wall(metering_actor_t *self) { return cp_clock_wall_ms(self->clock); }

//  --------------------------------------------------------------------------
//  Configuration

static metering_set_t
s_config_set(metering_actor_t *self, const char *key)
{
    char value[512];
    metering_set_t set = 0;
    if (config_store_get(self->config, key, value, sizeof(value)) != CONFIG_STORE_OK)
        cp_warn(LOG, "cannot read %s: no measurands", key);
    else
    if (metering_set_parse(value, &set) != 0)
        //  Only a hand-edited store gets here: ChangeConfiguration rejects
        //  unknown measurands (§3.16.4).
        cp_warn(LOG, "%s: unsupported measurands in '%s' ignored", key, value);
    return set;
}

static void
s_read_config(metering_actor_t *self)
{
    metering_config_t config = {
        .sample_interval_s = config_store_get_int(self->config, "MeterValueSampleInterval", 0),
        .aligned_interval_s = config_store_get_int(self->config, "ClockAlignedDataInterval", 0),
        .sampled = s_config_set(self, "MeterValuesSampledData"),
        .aligned = s_config_set(self, "MeterValuesAlignedData"),
        .stop_sampled = s_config_set(self, "StopTxnSampledData"),
        .stop_aligned = s_config_set(self, "StopTxnAlignedData"),
    };
    metering_core_set_config(self->core, &config, s_mono(self), s_wall(self));
    cp_debug(LOG, "sampled every %llds, clock-aligned every %llds",
             (long long) config.sample_interval_s, (long long) config.aligned_interval_s);
}

static bool
s_is_metering_key(const char *key)
{
    static const char *const keys[] = {
        "MeterValueSampleInterval", "ClockAlignedDataInterval", "MeterValuesSampledData",
        "MeterValuesAlignedData", "StopTxnSampledData", "StopTxnAlignedData", NULL
    };
    for (int i = 0; keys[i]; i++)
        if (streq(key, keys[i]))
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  tx_meter delivery

static void
s_pending_send(metering_actor_t *self, pending_t *p)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_TX_METER);
    if (msg) {
        msg->u.tx_meter.connector = p->connector;
        msg->u.tx_meter.tx_local = p->tx_local;
        cp_msg_set_str(msg->u.tx_meter.kind, p->kind);
        if (cp_msg_set_text(&msg->u.tx_meter.payload, p->payload) == 0)
            p->corr = cp_shell_request_within(self->shell, "transaction", msg, METERING_REPLY_TIMEOUT_MS);
        cp_msg_destroy(&msg);
    }
    //  Sent: its outcome (the shell's deadline included) decides what
    //  next. Not sent: try again shortly.
    p->due_mono = p->corr ? INT64_MAX : s_mono(self) + METERING_RETRY_MS;
}

static void
s_pending_remove(metering_actor_t *self, int i)
{
    free(self->pending[i].payload);
    memmove(&self->pending[i], &self->pending[i + 1],
            (size_t) (self->pending_count - i - 1) * sizeof(pending_t));
    self->pending_count--;
}

static void
s_pending_add(metering_actor_t *self, const metering_out_t *out)
{
    if (self->pending_count == METERING_MAX_PENDING) {
        //  Bounded memory: the transaction actor has been gone for ~100
        //  samples. Say so loudly rather than lose data silently.
        cp_error(LOG, "transaction unreachable for too long: %s sample of connector %lld dropped",
                 self->pending[0].kind, (long long) self->pending[0].connector);
        s_pending_remove(self, 0);
    }
    pending_t *p = &self->pending[self->pending_count];
    memset(p, 0, sizeof(*p));
    p->payload = strdup(out->payload);
    if (!p->payload) {
        cp_error(LOG, "out of memory: %s sample of connector %d dropped", out->tx_kind, out->connector);
        return;
    }
    p->connector = out->connector;
    p->tx_local = out->tx_local;
    snprintf(p->kind, sizeof(p->kind), "%s", out->tx_kind);
    self->pending_count++;
    s_pending_send(self, p);
}

//  A reply or unreachable notice for a tx_meter; false if corr is not ours.
static bool
s_pending_answered(metering_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    for (int i = 0; i < self->pending_count; i++) {
        pending_t *p = &self->pending[i];
        if (p->corr != env->corr)
            continue;
        if (cp_bus_failed(env)) {
            cp_debug(LOG, "transaction %s; %s sample retried in %d ms",
                     env->kind == CP_BUS_TIMEOUT ? "did not answer" : "unreachable", p->kind, METERING_RETRY_MS);
            p->corr = 0;
            p->due_mono = s_mono(self) + METERING_RETRY_MS;
        }
        else
        if (env->kind == CP_BUS_REPLY) {
            if (!msg || msg->type != CP_MSG_REPLY || !msg->u.reply.ok)
                //  A refusal is final (e.g. the transaction is closed and
                //  its StopTransaction already built): retrying cannot help.
                cp_warn(LOG, "transaction refused a %s sample of connector %lld: %s", p->kind,
                        (long long) p->connector,
                        msg && msg->type == CP_MSG_REPLY ? msg->u.reply.reason : "bad reply");
            s_pending_remove(self, i);
        }
        return true;
    }
    return false;
}

static void
s_pending_due(metering_actor_t *self)
{
    int64_t now = s_mono(self);
    for (int i = 0; i < self->pending_count; i++) {
        pending_t *p = &self->pending[i];
        if (p->corr || p->due_mono > now)
            continue;
        s_pending_send(self, p);
    }
}

//  --------------------------------------------------------------------------
//  Effects of the core

static void
s_emit(void *ctx, const metering_out_t *out)
{
    metering_actor_t *self = ctx;
    if (out->kind == METERING_OUT_TX_METER) {
        s_pending_add(self, out);
        return;
    }
    cp_msg_t *msg = cp_msg_new(CP_MSG_OCPP_CALL);
    if (!msg)
        return;
    cp_msg_set_str(msg->u.ocpp_call.action, "MeterValues");
    if (cp_msg_set_text(&msg->u.ocpp_call.payload, out->payload) != 0
        || cp_shell_request(self->shell, "ocpp", msg) == 0)
        cp_warn(LOG, "MeterValues of connector %d not sent", out->connector);
    cp_msg_destroy(&msg);
}

//  --------------------------------------------------------------------------
//  The timer

static void s_rearm(metering_actor_t *self);

static int
s_on_timer(cp_loop_t *loop, int timer_id, void *arg)
{
    metering_actor_t *self = arg;
    self->timer = 0;
    metering_core_tick(self->core, s_mono(self), s_wall(self));
    s_pending_due(self);
    s_rearm(self);
    return 0;
}

static void
s_rearm(metering_actor_t *self)
{
    int64_t now = s_mono(self);
    int64_t delay = metering_core_next_delay(self->core, now, s_wall(self));
    for (int i = 0; i < self->pending_count; i++) {
        if (self->pending[i].corr)
            continue;               //  in flight: the shell's deadline covers it
        int64_t d = self->pending[i].due_mono > now ? self->pending[i].due_mono - now : 0;
        if (delay < 0 || d < delay)
            delay = d;
    }
    cp_shell_rearm(self->shell, &self->timer, delay < 0 ? CP_SHELL_NEVER : delay, s_on_timer, self,
                   "samples are late");
}

//  --------------------------------------------------------------------------
//  Bus

static void
s_absorb(metering_actor_t *self, const cp_msg_t *msg)
{
    if (msg->type == CP_MSG_HW_CONNECTOR) {
        int c = (int) msg->u.hw_connector.connector;
        if (c >= 0 && c <= HW_MAX_CONNECTORS && !cp_msg_stale(msg->u.hw_connector.seq, &self->seen_hw[c]))
            metering_core_on_hw(self->core, &msg->u.hw_connector);
    }
    else
    if (msg->type == CP_MSG_TX_CONNECTOR) {
        int c = (int) msg->u.tx_connector.connector;
        if (c >= 0 && c <= HW_MAX_CONNECTORS && !cp_msg_stale(msg->u.tx_connector.seq, &self->seen_tx[c]))
            metering_core_on_tx(self->core, &msg->u.tx_connector, s_mono(self), s_wall(self));
    }
    else
    if (msg->type == CP_MSG_CONFIG_CHANGED && s_is_metering_key(msg->u.config_changed.key))
        s_read_config(self);
}

static void
s_on_trigger(metering_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_trigger_t *trigger)
{
    if (!streq(trigger->message, "MeterValues")) {
        cp_shell_reply_status(self->shell, env, false, "metering only sends MeterValues");
        return;
    }
    int sent = metering_core_trigger(self->core, (int) trigger->connector, s_wall(self));
    if (sent < 0)
        cp_shell_reply_status(self->shell, env, false, "unknown connector");
    else
    if (sent == 0)
        cp_shell_reply_status(self->shell, env, false, "no meter reading yet");
    else
        cp_shell_reply_status(self->shell, env, true, "");
}

static void
s_handler(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, void *ctx)
{
    metering_actor_t *self = ctx;
    if (env->kind == CP_BUS_EVENT || env->kind == CP_BUS_PARTIAL) {
        if (msg)
            s_absorb(self, msg);
    }
    else
    if (env->kind == CP_BUS_REQUEST) {
        if (msg->type == CP_MSG_TRIGGER)
            s_on_trigger(self, env, &msg->u.trigger);
        else
            cp_shell_reply_status(shell, env, false, "metering: unsupported request");
    }
    else
    if (!s_pending_answered(self, env, msg)) {
        if (msg && msg->type == CP_MSG_OCPP_RESULT
            && !streq(msg->u.ocpp_result.outcome, "result"))
            //  Not transaction data: an offline charger simply has no
            //  idle or triggered reading to offer later.
            cp_debug(LOG, "MeterValues not delivered (%s)", msg->u.ocpp_result.outcome);
    }
    s_rearm(self);
}

void
metering_actor(zsock_t *pipe, void *args)
{
    cp_actor_args_t *actor_args = args;
    metering_actor_t *self = calloc(1, sizeof(metering_actor_t));
    if (!self) {
        cp_error(LOG, "cannot start: out of memory");
        return;
    }
    self->clock = actor_args->clock;
    self->options = actor_args->options;
    char err[256] = "";
    self->shell = cp_shell_new(pipe, actor_args);
    self->config = config_store_open_reader(self->options, err, sizeof(err));
    self->core = metering_core_new(self->options->connectors, s_emit, self);
    if (!self->shell || !self->config || !self->core) {
        cp_error(LOG, "cannot start: %s", err[0] ? err : "no bus or core");
        goto done;
    }
    cp_shell_set_handler(self->shell, s_handler, self);
    cp_bus_t *bus = cp_shell_bus(self->shell);
    cp_bus_subscribe(bus, "hw.connector.");
    cp_bus_subscribe(bus, "tx.connector.");
    cp_bus_subscribe(bus, "config.changed");
    s_read_config(self);
    //  Level-triggered rebuild from the actors that own the state.
    cp_shell_snapshot(self->shell, "hw", "metering");
    cp_shell_snapshot(self->shell, "transaction", "metering");
    s_rearm(self);
    cp_shell_run(self->shell);
done:
    for (int i = 0; i < self->pending_count; i++)
        free(self->pending[i].payload);
    metering_core_destroy(&self->core);
    config_store_destroy(&self->config);
    cp_shell_destroy(&self->shell);
    free(self);
}
