/* transaction_actor.c — the thin shell around tx_core (see
 * transaction_actor.h). On (re)start it asks hw and ocpp for snapshots, so
 * it rebuilds from current state, never from events it may have missed. */
#include "actors/transaction/transaction_actor.h"

#include <jansson.h>
#include <string.h>
#include "actors/transaction/tx_core.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"

#define REPORT_RETRY_MS 10000

typedef struct {
    cp_shell_t *shell;
    cp_clock_t *clock;
    tx_core_t *core;
    uint64_t report_corr;          //  StatusNotification in flight
    int report_connector;
    tx_status_t report_status;
    int retry_timer;
} tx_actor_t;

static void
s_publish(tx_actor_t *self, int connector)
{
    const tx_status_t *st = tx_core_status(self->core, connector);
    cp_msg_t *msg = cp_msg_new(CP_MSG_TX_CONNECTOR);
    cp_msg_tx_connector_t *tc = &msg->u.tx_connector;
    tc->connector = connector;
    cp_msg_set_str(tc->status, st->status);
    cp_msg_set_str(tc->error_code, st->error_code);
    cp_msg_set_str(tc->vendor_error_code, st->vendor_error_code);
    char topic[32];
    snprintf(topic, sizeof(topic), "tx.connector.%d", connector);
    cp_shell_publish(self->shell, topic, msg);
    cp_msg_destroy(&msg);
}

static void
s_pump(tx_actor_t *self)
{
    if (self->report_corr || self->retry_timer)
        return;
    tx_status_t status;
    int n = tx_core_next_report(self->core, &status);
    if (n < 0)
        return;
    json_t *p = json_object();
    json_object_set_new(p, "connectorId", json_integer(n));
    json_object_set_new(p, "errorCode", json_string(status.error_code));
    json_object_set_new(p, "status", json_string(status.status));
    char ts[40];
    cp_clock_format(cp_clock_wall_ms(self->clock), ts, sizeof(ts));
    json_object_set_new(p, "timestamp", json_string(ts));
    if (status.vendor_error_code[0])
        json_object_set_new(p, "vendorErrorCode", json_string(status.vendor_error_code));
    char *text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    cp_msg_t *msg = cp_msg_new(CP_MSG_OCPP_CALL);
    cp_msg_set_str(msg->u.ocpp_call.action, "StatusNotification");
    cp_msg_set_text(&msg->u.ocpp_call.payload, text);
    free(text);
    self->report_corr = cp_shell_request(self->shell, "ocpp", msg);
    cp_msg_destroy(&msg);
    self->report_connector = n;
    self->report_status = status;
    if (!self->report_corr)
        tx_core_report_done(self->core, n, &status, false);
}

static int
s_on_retry(zloop_t *loop, int timer_id, void *arg)
{
    tx_actor_t *self = arg;
    self->retry_timer = 0;
    s_pump(self);
    return 0;
}

static void
s_report_finished(tx_actor_t *self, bool ok, const char *why)
{
    tx_core_report_done(self->core, self->report_connector, &self->report_status, ok);
    self->report_corr = 0;
    if (!ok) {
        cp_warn("transaction", "StatusNotification for connector %d not delivered (%s); will retry",
                self->report_connector, why);
        if (tx_core_online(self->core))
            self->retry_timer = zloop_timer(cp_shell_loop(self->shell), REPORT_RETRY_MS, 1, s_on_retry, self);
    }
}

static void
s_request_snapshot(tx_actor_t *self, const char *actor)
{
    cp_msg_t *req = cp_msg_new(CP_MSG_SNAPSHOT_REQUEST);
    cp_msg_set_str(req->u.snapshot_request.scope, "transaction");
    cp_shell_request(self->shell, actor, req);
    cp_msg_destroy(&req);
}

static void
s_absorb(tx_actor_t *self, const cp_msg_t *msg)
{
    if (msg->type == CP_MSG_HW_CONNECTOR) {
        const cp_msg_hw_connector_t *hw = &msg->u.hw_connector;
        if (tx_core_on_hw(self->core, (int) hw->connector, hw->plugged, hw->fault)) {
            cp_info("transaction", "connector %d: %s", (int) hw->connector,
                    tx_core_status(self->core, (int) hw->connector)->status);
            s_publish(self, (int) hw->connector);
        }
    }
    else
    if (msg->type == CP_MSG_OCPP_STATE) {
        const cp_msg_ocpp_state_t *os = &msg->u.ocpp_state;
        bool online = streq(os->connection, "connected") && streq(os->registration, "Accepted");
        if (!online && self->retry_timer) {
            zloop_timer_end(cp_shell_loop(self->shell), self->retry_timer);
            self->retry_timer = 0;
        }
        tx_core_on_online(self->core, online);
    }
}

static void
s_handler(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, void *ctx)
{
    tx_actor_t *self = ctx;
    if (env->kind == CP_BUS_EVENT || env->kind == CP_BUS_PARTIAL)
        s_absorb(self, msg);
    else
    if ((env->kind == CP_BUS_REPLY || env->kind == CP_BUS_UNREACHABLE) && env->corr == self->report_corr
        && self->report_corr) {
        bool ok = msg && msg->type == CP_MSG_OCPP_RESULT && streq(msg->u.ocpp_result.outcome, "result");
        s_report_finished(self, ok, msg && msg->type == CP_MSG_OCPP_RESULT
                          ? msg->u.ocpp_result.outcome : "ocpp actor unreachable");
    }
    else
    if (env->kind == CP_BUS_REQUEST && msg->type == CP_MSG_SNAPSHOT_REQUEST) {
        for (int n = 0; n <= tx_core_connectors(self->core); n++) {
            const tx_status_t *st = tx_core_status(self->core, n);
            cp_msg_t *out = cp_msg_new(CP_MSG_TX_CONNECTOR);
            out->u.tx_connector.connector = n;
            cp_msg_set_str(out->u.tx_connector.status, st->status);
            cp_msg_set_str(out->u.tx_connector.error_code, st->error_code);
            cp_msg_set_str(out->u.tx_connector.vendor_error_code, st->vendor_error_code);
            cp_shell_reply(shell, env, out, false);
            cp_msg_destroy(&out);
        }
        cp_shell_reply_status(shell, env, true, "");
    }
    else
    if (env->kind == CP_BUS_REQUEST)
        cp_shell_reply_status(shell, env, false, "transaction: unsupported request");
    s_pump(self);
}

void
transaction_actor(zsock_t *pipe, void *args)
{
    cp_actor_args_t *actor_args = args;
    tx_actor_t self_ = { 0 };
    tx_actor_t *self = &self_;
    self->clock = actor_args->clock;
    self->shell = cp_shell_new(pipe, actor_args);
    self->core = tx_core_new(actor_args->options->connectors);
    if (!self->shell || !self->core) {
        cp_error("transaction", "cannot start");
        goto done;
    }
    cp_shell_set_handler(self->shell, s_handler, self);
    cp_bus_t *bus = cp_shell_bus(self->shell);
    cp_bus_subscribe(bus, "hw.connector.");
    cp_bus_subscribe(bus, "ocpp.state");
    s_request_snapshot(self, "hw");
    s_request_snapshot(self, "ocpp");
    for (int n = 0; n <= actor_args->options->connectors; n++)
        s_publish(self, n);
    cp_shell_run(self->shell);
done:
    tx_core_destroy(&self->core);
    cp_shell_destroy(&self->shell);
}
