/* ocpp_core.c — see ocpp_core.h. */
#include "actors/ocpp/ocpp_core.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gateway/ocppj.h"
#include "supervisor/clock.h"
#include "supervisor/log.h"

typedef struct {
    char requester[32];
    uint64_t corr;
    char action[40];
    char *payload;                 //  JSON text (NULL for internal calls until built)
    bool internal;                 //  BootNotification / Heartbeat of the core itself
    bool triggered;                //  asked for by TriggerMessage: may go while Pending
} call_t;

//  While Pending only triggered messages may be sent (spec 4.2): what
//  TriggerMessage asked for, how many, and until when.
#define TRIGGER_ALLOWANCES 8
#define TRIGGER_WINDOW_MS 30000
typedef struct {
    char action[40];               //  "" = free
    int count;
    int64_t until;
} allowance_t;

struct _ocpp_core_t {
    ocpp_core_config_t config;
    char vendor[21], model[21], serial[26], firmware[51], id_prefix[22];
    ocpp_core_effects_t fx;
    void *ctx;
    ocpp_conn_t conn;
    ocpp_reg_t reg;
    int interval_s;
    int64_t boot_count;
    int64_t boot_next;             //  earliest next BootNotification
    int64_t heartbeat_next;
    char last_error[120];
    call_t queue[OCPP_QUEUE_MAX];
    int head, count;
    bool busy;                     //  a CALL is in flight
    call_t inflight;
    char inflight_id[40];
    int64_t inflight_deadline;
    uint64_t next_id;
    bool boot_requested;           //  TriggerMessage BootNotification
    bool heartbeat_requested;      //  TriggerMessage Heartbeat while Pending
    allowance_t allowances[TRIGGER_ALLOWANCES];
    //  CALLs that timed out, newest last: a CALLRESULT that arrives late is
    //  still the central system's answer (ocpp_core_on_late_result).
    struct {
        char id[40];
        call_t call;
    } late[OCPP_LATE_MAX];
    int late_next;
};

const char *
ocpp_conn_name(ocpp_conn_t conn)
{
    static const char *const names[] = { "disabled", "connecting", "connected", "error" };
    return names[conn];
}

const char *
ocpp_reg_name(ocpp_reg_t reg)
{
    static const char *const names[] = { "None", "Pending", "Accepted", "Rejected" };
    return names[reg];
}

ocpp_core_t *
ocpp_core_new(const ocpp_core_config_t *config, const ocpp_core_effects_t *effects, void *ctx)
{
    assert(config && effects && effects->send && effects->complete);
    ocpp_core_t *self = calloc(1, sizeof(ocpp_core_t));
    if (!self)
        return NULL;
    self->config = *config;
    snprintf(self->vendor, sizeof(self->vendor), "%s", config->vendor ? config->vendor : "");
    snprintf(self->model, sizeof(self->model), "%s", config->model ? config->model : "");
    snprintf(self->serial, sizeof(self->serial), "%s", config->serial ? config->serial : "");
    snprintf(self->firmware, sizeof(self->firmware), "%s", config->firmware ? config->firmware : "");
    snprintf(self->id_prefix, sizeof(self->id_prefix), "%s", config->id_prefix ? config->id_prefix : "cp");
    if (self->config.call_timeout_ms <= 0)
        self->config.call_timeout_ms = 30000;
    if (self->config.boot_retry_s <= 0)
        self->config.boot_retry_s = 30;
    self->fx = *effects;
    self->ctx = ctx;
    self->interval_s = config->heartbeat_interval_s > 0 ? config->heartbeat_interval_s : 300;
    self->conn = OCPP_CONN_CONNECTING;
    return self;
}

static void
s_call_clear(call_t *call)
{
    free(call->payload);
    memset(call, 0, sizeof(*call));
}

void
ocpp_core_destroy(ocpp_core_t **self_p)
{
    assert(self_p);
    ocpp_core_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->count; i++)
        s_call_clear(&self->queue[(self->head + i) % OCPP_QUEUE_MAX]);
    s_call_clear(&self->inflight);
    for (int i = 0; i < OCPP_LATE_MAX; i++)
        s_call_clear(&self->late[i].call);
    free(self);
    *self_p = NULL;
}

static void
s_changed(ocpp_core_t *self)
{
    if (self->fx.state_changed)
        self->fx.state_changed(self->ctx);
}

void
ocpp_core_restore(ocpp_core_t *self, ocpp_reg_t registration, int interval_s, int64_t boot_count)
{
    assert(self);
    self->reg = registration;
    if (interval_s > 0)
        self->interval_s = interval_s;
    self->boot_count = boot_count;
    s_changed(self);
}

//  Complete every queued call (and the one in flight) with an outcome.
static void
s_fail_all(ocpp_core_t *self, const char *outcome, const char *why)
{
    if (self->busy) {
        self->busy = false;
        if (!self->inflight.internal)
            self->fx.complete(self->ctx, self->inflight.requester, self->inflight.corr, outcome,
                              NULL, "", why);
        s_call_clear(&self->inflight);
    }
    while (self->count > 0) {
        call_t *call = &self->queue[self->head];
        self->fx.complete(self->ctx, call->requester, call->corr, "rejected", NULL, "", why);
        s_call_clear(call);
        self->head = (self->head + 1) % OCPP_QUEUE_MAX;
        self->count--;
    }
}

static char *
s_boot_payload(ocpp_core_t *self)
{
    json_t *p = json_object();
    json_object_set_new(p, "chargePointVendor", json_string(self->vendor));
    json_object_set_new(p, "chargePointModel", json_string(self->model));
    if (self->serial[0])
        json_object_set_new(p, "chargePointSerialNumber", json_string(self->serial));
    if (self->firmware[0])
        json_object_set_new(p, "firmwareVersion", json_string(self->firmware));
    char *text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    return text;
}

//  Put call in flight and write it. The call is moved into inflight.
static void
s_send(ocpp_core_t *self, int64_t now, call_t *call)
{
    self->inflight = *call;
    memset(call, 0, sizeof(*call));
    snprintf(self->inflight_id, sizeof(self->inflight_id), "%s-%llu", self->id_prefix,
             (unsigned long long) ++self->next_id);
    json_error_t jerr;
    json_t *payload = json_loads(self->inflight.payload ? self->inflight.payload : "{}", 0, &jerr);
    char *text = payload ? ocppj_encode_call(self->inflight_id, self->inflight.action, payload) : NULL;
    json_decref(payload);
    if (!text) {
        cp_error("ocpp", "cannot encode %s: payload is not JSON", self->inflight.action);
        if (!self->inflight.internal)
            self->fx.complete(self->ctx, self->inflight.requester, self->inflight.corr, "rejected",
                              NULL, "", "payload is not valid JSON");
        s_call_clear(&self->inflight);
        return;
    }
    self->busy = true;
    self->inflight_deadline = now + self->config.call_timeout_ms;
    if (self->fx.send(self->ctx, text) != 0)
        cp_warn("ocpp", "%s not written (link down); waiting for its deadline", self->inflight.action);
    free(text);
}

static void
s_send_internal(ocpp_core_t *self, int64_t now, const char *action, char *payload)
{
    call_t call = { .internal = true, .payload = payload };
    snprintf(call.action, sizeof(call.action), "%s", action);
    s_send(self, now, &call);
}

//  Send the next thing allowed now, if nothing is in flight.
static void
s_pump(ocpp_core_t *self, int64_t now)
{
    if (self->busy || self->conn != OCPP_CONN_CONNECTED)
        return;
    if (self->boot_requested) {
        self->boot_requested = false;
        s_send_internal(self, now, "BootNotification", s_boot_payload(self));
        return;
    }
    if (self->reg != OCPP_REG_ACCEPTED) {
        if (now >= self->boot_next)
            s_send_internal(self, now, "BootNotification", s_boot_payload(self));
        else
        if (self->reg == OCPP_REG_PENDING && self->heartbeat_requested) {
            self->heartbeat_requested = false;
            s_send_internal(self, now, "Heartbeat", strdup("{}"));
        }
        else
        if (self->reg == OCPP_REG_PENDING && self->count > 0 && self->queue[self->head].triggered) {
            call_t *call = &self->queue[self->head];
            self->head = (self->head + 1) % OCPP_QUEUE_MAX;
            self->count--;
            s_send(self, now, call);
        }
        return;
    }
    if (now >= self->heartbeat_next) {
        s_send_internal(self, now, "Heartbeat", strdup("{}"));
        return;
    }
    //  a call that cannot be encoded is rejected without going in flight:
    //  move on to the next one rather than stall until the next deadline
    while (!self->busy && self->count > 0) {
        call_t *call = &self->queue[self->head];
        self->head = (self->head + 1) % OCPP_QUEUE_MAX;
        self->count--;
        s_send(self, now, call);
    }
}

void
ocpp_core_connecting(ocpp_core_t *self, int64_t now)
{
    assert(self);
    if (self->conn != OCPP_CONN_CONNECTING) {
        //  keep "error" visible while retrying after a failure
        if (self->conn != OCPP_CONN_ERROR) {
            self->conn = OCPP_CONN_CONNECTING;
            s_changed(self);
        }
    }
}

void
ocpp_core_connected(ocpp_core_t *self, int64_t now)
{
    assert(self);
    self->conn = OCPP_CONN_CONNECTED;
    self->last_error[0] = '\0';
    if (self->reg == OCPP_REG_ACCEPTED)
        self->heartbeat_next = now + (int64_t) self->interval_s * 1000;
    else
    if (self->reg == OCPP_REG_NONE)
        self->boot_next = now;
    //  Pending/Rejected keep their retry time: the interval is a minimum.
    s_changed(self);
    s_pump(self, now);
}

void
ocpp_core_disconnected(ocpp_core_t *self, int64_t now, const char *reason)
{
    assert(self);
    if (self->busy && self->inflight.internal && strcmp(self->inflight.action, "BootNotification") == 0)
        self->boot_next = now;
    s_fail_all(self, "timeout", "connection lost");
    self->conn = OCPP_CONN_CONNECTING;
    snprintf(self->last_error, sizeof(self->last_error), "%s", reason ? reason : "disconnected");
    s_changed(self);
}

void
ocpp_core_connect_failed(ocpp_core_t *self, int64_t now, const char *reason)
{
    assert(self);
    s_fail_all(self, "rejected", "not connected");
    self->conn = OCPP_CONN_ERROR;
    snprintf(self->last_error, sizeof(self->last_error), "%s", reason ? reason : "connection failed");
    s_changed(self);
}

void
ocpp_core_disabled(ocpp_core_t *self, int64_t now)
{
    assert(self);
    //  "connection lost": the transaction outbox keeps such a message for
    //  the next link instead of counting a failed attempt.
    s_fail_all(self, "timeout", "connection lost");
    self->conn = OCPP_CONN_DISABLED;
    self->reg = OCPP_REG_NONE;
    self->last_error[0] = '\0';
    self->boot_requested = false;
    s_changed(self);
}

void
ocpp_core_reregister(ocpp_core_t *self, int64_t now)
{
    assert(self);
    s_fail_all(self, "timeout", "connection lost");
    self->conn = OCPP_CONN_CONNECTING;
    self->reg = OCPP_REG_NONE;
    self->boot_next = now;
    self->last_error[0] = '\0';
    s_changed(self);
}

//  While Pending: take one of the messages TriggerMessage allowed.
static bool
s_take_allowance(ocpp_core_t *self, int64_t now, const char *action)
{
    for (int i = 0; i < TRIGGER_ALLOWANCES; i++) {
        allowance_t *a = &self->allowances[i];
        if (a->action[0] && now > a->until)
            a->action[0] = '\0';
        if (a->action[0] && strcmp(a->action, action) == 0 && a->count > 0) {
            if (--a->count == 0)
                a->action[0] = '\0';
            return true;
        }
    }
    return false;
}

void
ocpp_core_allow_triggered(ocpp_core_t *self, int64_t now, const char *action, int count)
{
    assert(self && action);
    if (self->reg != OCPP_REG_PENDING || count <= 0)
        return;                     //  Accepted: everything may go anyway
    allowance_t *slot = NULL;
    for (int i = 0; i < TRIGGER_ALLOWANCES; i++) {
        allowance_t *a = &self->allowances[i];
        if (a->action[0] && now > a->until)
            a->action[0] = '\0';
        if (!slot && (!a->action[0] || strcmp(a->action, action) == 0))
            slot = a;
    }
    if (!slot) {
        cp_warn("ocpp", "too many triggered messages at once: %s not allowed while Pending", action);
        return;
    }
    if (!slot->action[0]) {
        snprintf(slot->action, sizeof(slot->action), "%s", action);
        slot->count = 0;
    }
    slot->count += count;
    slot->until = now + TRIGGER_WINDOW_MS;
}

int
ocpp_core_submit(ocpp_core_t *self, int64_t now, const char *requester, uint64_t corr,
                 const char *action, const char *payload, char *reason, size_t reason_size)
{
    assert(self && requester && action);
    if (self->conn != OCPP_CONN_CONNECTED) {
        snprintf(reason, reason_size, "not connected to the central system");
        return -1;
    }
    bool triggered = self->reg == OCPP_REG_PENDING && s_take_allowance(self, now, action);
    if (self->reg != OCPP_REG_ACCEPTED && !triggered) {
        snprintf(reason, reason_size, "registration is %s: only BootNotification may be sent",
                 ocpp_reg_name(self->reg));
        return -1;
    }
    //  The same transaction-related CALL from the same requester already
    //  waiting or in flight (a restarted transaction actor resending its
    //  outbox head): follow that one instead of sending it twice; its answer
    //  goes to the new request. Only these actions: their payloads are
    //  unique (timestamps), so equal text means the same message.
    const char *text = payload ? payload : "{}";
    bool tx_related = strcmp(action, "StartTransaction") == 0 || strcmp(action, "StopTransaction") == 0
                   || strcmp(action, "MeterValues") == 0;
    if (tx_related && self->busy && !self->inflight.internal && strcmp(self->inflight.requester, requester) == 0
        && strcmp(self->inflight.action, action) == 0 && self->inflight.payload
        && strcmp(self->inflight.payload, text) == 0) {
        self->inflight.corr = corr;
        return 0;
    }
    for (int i = 0; tx_related && i < self->count; i++) {
        call_t *queued = &self->queue[(self->head + i) % OCPP_QUEUE_MAX];
        if (strcmp(queued->requester, requester) == 0 && strcmp(queued->action, action) == 0
            && strcmp(queued->payload, text) == 0) {
            queued->corr = corr;
            return 0;
        }
    }
    if (self->count >= OCPP_QUEUE_MAX) {
        snprintf(reason, reason_size, "outbound queue full");
        return -1;
    }
    call_t *call = &self->queue[(self->head + self->count) % OCPP_QUEUE_MAX];
    memset(call, 0, sizeof(*call));
    snprintf(call->requester, sizeof(call->requester), "%s", requester);
    call->corr = corr;
    call->triggered = triggered;
    snprintf(call->action, sizeof(call->action), "%s", action);
    call->payload = strdup(payload ? payload : "{}");
    if (!call->payload) {
        snprintf(reason, reason_size, "out of memory");
        return -1;
    }
    self->count++;
    s_pump(self, now);
    return 0;
}

const char *
ocpp_core_inflight_action(const ocpp_core_t *self, const char *id)
{
    if (!self->busy || !id || strcmp(id, self->inflight_id) != 0)
        return NULL;
    return self->inflight.action;
}

static void
s_take_time(ocpp_core_t *self, const json_t *payload)
{
    int64_t wall;
    const char *text = json_string_value(json_object_get(payload, "currentTime"));
    if (text && self->fx.set_wall_clock && cp_clock_parse(text, &wall) == 0)
        self->fx.set_wall_clock(self->ctx, wall);
}

static void
s_boot_result(ocpp_core_t *self, int64_t now, const json_t *payload)
{
    if (!payload) {
        self->boot_next = now + (int64_t) self->config.boot_retry_s * 1000;
        return;
    }
    const char *status = json_string_value(json_object_get(payload, "status"));
    json_int_t interval = json_integer_value(json_object_get(payload, "interval"));
    //  A day at most: a huge value must not wrap into a negative interval
    //  (a Heartbeat or BootNotification flood).
    if (interval > 86400)
        interval = 86400;
    s_take_time(self, payload);
    if (status && strcmp(status, "Accepted") == 0) {
        self->reg = OCPP_REG_ACCEPTED;
        self->boot_count++;
        if (interval > 0) {
            self->interval_s = (int) interval;
            if (self->fx.interval_accepted)
                self->fx.interval_accepted(self->ctx, (int) interval);
        }
        self->heartbeat_next = now + (int64_t) self->interval_s * 1000;
        cp_info("ocpp", "registration Accepted (heartbeat every %d s)", self->interval_s);
    }
    else {
        self->reg = status && strcmp(status, "Pending") == 0 ? OCPP_REG_PENDING : OCPP_REG_REJECTED;
        //  Nothing queued may go out later under a registration that no
        //  longer holds; requesters resend from their own state.
        s_fail_all(self, "rejected", "registration is no longer Accepted");
        int wait = interval > 0 ? (int) interval : self->config.boot_retry_s;
        self->boot_next = now + (int64_t) wait * 1000;
        cp_info("ocpp", "registration %s: next BootNotification in %d s", ocpp_reg_name(self->reg), wait);
    }
    s_changed(self);
}

int
ocpp_core_on_result(ocpp_core_t *self, int64_t now, const char *id, const json_t *payload,
                    const char *error_code, const char *error_description)
{
    assert(self);
    if (!ocpp_core_inflight_action(self, id))
        return -1;
    call_t call = self->inflight;
    memset(&self->inflight, 0, sizeof(self->inflight));
    self->busy = false;
    if (call.internal) {
        if (strcmp(call.action, "BootNotification") == 0)
            s_boot_result(self, now, payload);
        else {
            if (payload)
                s_take_time(self, payload);
            self->heartbeat_next = now + (int64_t) self->interval_s * 1000;
        }
        if (!payload)
            cp_warn("ocpp", "%s answered with CALLERROR %s: %s", call.action,
                    error_code ? error_code : "?", error_description ? error_description : "");
    }
    else {
        char *text = payload ? json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        self->fx.complete(self->ctx, call.requester, call.corr, payload ? "result" : "error",
                          text, payload ? "" : error_code, payload ? "" : error_description);
        free(text);
    }
    s_call_clear(&call);
    s_pump(self, now);
    return 0;
}

void
ocpp_core_tick(ocpp_core_t *self, int64_t now)
{
    assert(self);
    if (self->busy && now >= self->inflight_deadline) {
        call_t call = self->inflight;
        memset(&self->inflight, 0, sizeof(self->inflight));
        self->busy = false;
        cp_warn("ocpp", "%s (id %s) timed out after %d ms", call.action, self->inflight_id,
                self->config.call_timeout_ms);
        if (call.internal) {
            if (strcmp(call.action, "BootNotification") == 0)
                self->boot_next = now + (int64_t) self->config.boot_retry_s * 1000;
            else
                self->heartbeat_next = now + (int64_t) self->interval_s * 1000;
        }
        else {
            self->fx.complete(self->ctx, call.requester, call.corr, "timeout", NULL, "",
                              "no response from the central system");
            if (self->fx.late) {
                //  Keep it: its answer may still come.
                int slot = self->late_next++ % OCPP_LATE_MAX;
                s_call_clear(&self->late[slot].call);
                snprintf(self->late[slot].id, sizeof(self->late[slot].id), "%s", self->inflight_id);
                self->late[slot].call = call;
                memset(&call, 0, sizeof(call));
            }
        }
        s_call_clear(&call);
    }
    s_pump(self, now);
}

const char *
ocpp_core_late_action(const ocpp_core_t *self, const char *id)
{
    assert(self && id);
    for (int i = 0; i < OCPP_LATE_MAX; i++)
        if (self->late[i].call.payload && strcmp(self->late[i].id, id) == 0)
            return self->late[i].call.action;
    return NULL;
}

int
ocpp_core_on_late_result(ocpp_core_t *self, const char *id, const json_t *payload)
{
    assert(self && id && payload);
    for (int i = 0; i < OCPP_LATE_MAX; i++) {
        call_t *call = &self->late[i].call;
        if (!call->payload || strcmp(self->late[i].id, id) != 0)
            continue;
        char *text = json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY);
        cp_info("ocpp", "%s (id %s) answered late: passed on to %s", call->action, id, call->requester);
        if (text)
            self->fx.late(self->ctx, call->requester, call->action, call->payload, text);
        free(text);
        s_call_clear(call);
        self->late[i].id[0] = '\0';
        return 0;
    }
    return -1;
}

int64_t
ocpp_core_next_deadline(const ocpp_core_t *self)
{
    int64_t next = INT64_MAX;
    if (self->busy)
        next = self->inflight_deadline;
    else
    if (self->conn == OCPP_CONN_CONNECTED)
        next = self->reg == OCPP_REG_ACCEPTED ? self->heartbeat_next : self->boot_next;
    return next;
}

void
ocpp_core_trigger_boot(ocpp_core_t *self, int64_t now)
{
    assert(self);
    self->boot_requested = true;
    s_pump(self, now);
}

void
ocpp_core_trigger_heartbeat(ocpp_core_t *self, int64_t now)
{
    assert(self);
    if (self->reg == OCPP_REG_ACCEPTED)
        self->heartbeat_next = now;
    else
    if (self->reg == OCPP_REG_PENDING)
        self->heartbeat_requested = true;
    s_pump(self, now);
}

void
ocpp_core_set_heartbeat_interval(ocpp_core_t *self, int64_t now, int seconds)
{
    assert(self);
    if (seconds <= 0 || seconds == self->interval_s)
        return;
    self->interval_s = seconds;
    if (self->reg == OCPP_REG_ACCEPTED)
        self->heartbeat_next = now + (int64_t) seconds * 1000;
    s_changed(self);
}

void
ocpp_core_set_id_prefix(ocpp_core_t *self, const char *prefix)
{
    assert(self && prefix);
    snprintf(self->id_prefix, sizeof(self->id_prefix), "%s", prefix);
}

ocpp_conn_t ocpp_core_connection(const ocpp_core_t *self) { return self->conn; }
ocpp_reg_t ocpp_core_registration(const ocpp_core_t *self) { return self->reg; }
int ocpp_core_heartbeat_interval(const ocpp_core_t *self) { return self->interval_s; }
int64_t ocpp_core_boot_count(const ocpp_core_t *self) { return self->boot_count; }
const char *ocpp_core_last_error(const ocpp_core_t *self) { return self->last_error; }

void
ocpp_core_set_call_timeout(ocpp_core_t *self, int ms)
{
    assert(self);
    if (ms > 0)
        self->config.call_timeout_ms = ms;
}
