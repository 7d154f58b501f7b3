/* transaction_actor.c — the shell of the transaction actor: charging
 * sessions (session.c), connector statuses (tx_core.c) and the durable
 * outbox of transaction-related messages (outbox.c); every other table of
 * the actor is tx_store.c's, so this file holds no SQL.
 *
 * Durability, in the order things happen:
 *   start: row in `transactions` (start_queued = 0) → StartTransaction in
 *          the outbox → start_queued = 1 → contactor closes. A row still at
 *          start_queued = 0 after a crash never reached the outbox: the
 *          central system cannot know it, no energy flowed, it is dropped.
 *   meter: the last energy reading of an open transaction is saved every
 *          METER_SAVE_WH or METER_SAVE_MS (flash wear vs. what PowerLoss
 *          can lose).
 *   stop:  row → 'stopping' (meter_stop, reason, time) at once; the
 *          StopTransaction, with its transactionData, is queued after
 *          STOP_SETTLE_MS so the metering actor's Transaction.End sample
 *          makes it in; 'stopping' rows found at start are queued at once.
 *   recovery: an 'active' row of an earlier process run is a transaction
 *          the controller's death cut (crash, kill -9, escalation, systemd
 *          restart, power cut): the board's first report decides whether
 *          it goes on or ends, and with which reason and meterStop
 *          (resume.h); no report within RESUME_WAIT_MS ends it as
 *          PowerLoss at its last saved reading (docs/architecture.md).
 *          Within the same run (only this actor restarted) it is resumed.
 *   failing store (disk full, I/O error): a stop the store refuses is kept
 *          in memory (unrecorded[]) and recorded, queued and delivered once
 *          the store takes writes again; the episode is logged once,
 *          published as "store.state" and reported as connector 0
 *          OtherError / StorageFailure (store_health.h).
 */
#include "actors/transaction/transaction_actor.h"

#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <string.h>
#include <strings.h>
#include "actors/config/config_store.h"
#include "actors/transaction/firmware_hold.h"
#include "actors/transaction/outbox.h"
#include "actors/transaction/resume.h"
#include "actors/transaction/session.h"
#include "actors/transaction/store_health.h"
#include "actors/transaction/tx_core.h"
#include "actors/transaction/tx_ops.h"
#include "actors/transaction/tx_store.h"
#include "actors/security/security_raise.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"
#include "supervisor/store.h"

#define REPORT_RETRY_MS 10000
#define OUTBOX_CAPACITY 1000
#define METER_SAVE_WH 10.0
#define METER_SAVE_MS 30000
#define STOP_SETTLE_MS 1000
#define CONTACTOR_GRACE_MS 2000     //  for a contactor command to show in the hw state
//  After a restart, how long a transaction of an earlier run waits for the
//  board's first report (resume.h) before it ends as PowerLoss: the board
//  answers within milliseconds once the hw actor links to it.
#define RESUME_WAIT_MS 10000
#define UNRECORDED_MAX 16          //  stops kept in memory while the store fails
#define RECOVER_MAX 64             //  open transactions handled at start (one per connector in practice)
#define AUTH_MAX 8
//  A request that failed because its actor was restarting (unreachable, or
//  in flight when it died) is asked again after RESTART_RETRY_MS — the
//  supervisor restarts an actor within milliseconds — and, for an
//  authorization, for at most AUTH_GIVE_UP_MS before the offline rule
//  decides, so a swipe is neither lost nor kept waiting for long.
#define RESTART_RETRY_MS 250
#define AUTH_GIVE_UP_MS 15000
//  Past MessageTimeout (the ocpp actor's own deadline for a CALL, also
//  the auth actor's when it asks the central system) the peer is stuck.
#define CALL_DEADLINE_SLACK_MS 10000
#define TX_PROFILE_FAILURES_MAX 120    //  ~1 min of an unreachable smartcharging actor

typedef struct {
    char id_tag[SESSION_TAG_MAX + 1];  //  "" = free slot
    uint64_t corr;                 //  request in flight; 0 = waiting for retry_at
    int64_t retry_at;              //  mono ms
    int64_t give_up_at;            //  mono ms: then AllowOfflineTxForUnknownId decides
} auth_pending_t;

//  A stop the store refused: everything its StopTransaction needs.
typedef struct {
    bool used;
    int connector;
    int64_t tx_local;
    int64_t meter_stop;            //  Wh, raised while the contactor opens
    int64_t stopped_ms;            //  wall ms
    char reason[TX_STORE_REASON_MAX + 1];
    char id_tag[SESSION_TAG_MAX + 1];
} unrecorded_stop_t;

typedef struct {
    cp_shell_t *shell;
    const cp_options_t *options;
    cp_clock_t *clock;
    sqlite3 *db;
    config_store_t *config;
    tx_store_t *store;             //  every table of ours but the outbox's
    outbox_t *outbox;
    session_t *session;
    tx_core_t *core;
    bool online;
    //  StatusNotification in flight
    uint64_t report_corr;
    int report_connector;
    tx_status_t report_status;
    int retry_timer;
    //  outbox message in flight
    uint64_t outbox_corr;
    int64_t outbox_id;
    char outbox_action[32];
    int64_t outbox_tx_local;
    int outbox_timer;
    auth_pending_t auth[AUTH_MAX];
    int64_t dead_letters;          //  kept by the outbox (tx.connector.0)
    uint64_t burials_seen;         //  outbox_burials when last counted
    int auth_timer;
    int64_t call_deadline_ms;      //  for requests that wait on the central system
    int session_timer;
    int settle_timer;
    //  transactions of an earlier run, waiting for the board's report
    bool resume_pending[HW_MAX_CONNECTORS + 1];
    bool relock[HW_MAX_CONNECTORS + 1];    //  decided: apply the charger's lock rule again
    tx_store_active_t resume_row[HW_MAX_CONNECTORS + 1];
    int resume_timer;
    //  configuration, re-read on config.changed
    int64_t min_status_ms;
    int tx_attempts;
    int tx_retry_s;
    bool allow_offline_unknown;
    bool authorize_remote;
    bool free_charging;            //  FreeChargingEnabled (the seed's AuthEnabled mode)
    char free_id_tag[SESSION_TAG_MAX + 1];
    bool settling[HW_MAX_CONNECTORS + 1];  //  a stop waits for its final reading
    bool stops_pending;            //  'stopping' rows may exist
    bool contactor_want[HW_MAX_CONNECTORS + 1];     //  what the session asked for
    int64_t contactor_asked_at[HW_MAX_CONNECTORS + 1];
    int contactor_timer;           //  a mismatch seen inside the grace: look again after it
    int64_t seen_hw[HW_MAX_CONNECTORS + 1];
    int64_t seen_safety[HW_MAX_CONNECTORS + 1];
    //  RemoteStartTransaction's chargingProfile, waiting for its transaction
    struct {
        json_t *profile;
        char id_tag[SESSION_TAG_MAX + 1];
        int connector;             //  0 = wherever it starts
    } remote;
    //  TxProfiles to install with the smartcharging actor, per connector
    json_t *tx_profile[HW_MAX_CONNECTORS + 1];
    int tx_profile_tries[HW_MAX_CONNECTORS + 1];       //  Rejected answers
    int tx_profile_failures[HW_MAX_CONNECTORS + 1];    //  unreachable / no answer
    uint64_t tx_profile_corr[HW_MAX_CONNECTORS + 1];
    int tx_profile_timer;   //  newest state seq seen (cp_msg_stale)
    int64_t seen_ocpp;
    double saved_wh[HW_MAX_CONNECTORS + 1];
    int64_t saved_at[HW_MAX_CONNECTORS + 1];
    store_health_t health;         //  does the store take writes?
    bool exhaustion_raised;        //  MemoryExhaustion raised in this episode
    bool tamper;                   //  the enclosure is open: TamperDetectionActivated raised
    int health_timer;              //  the next retry while it does not
    unrecorded_stop_t unrecorded[UNRECORDED_MAX];
    security_raise_t *security;    //  ResetOrReboot on its way to the security actor
} tx_actor_t;

static int64_t s_now(tx_actor_t *self) { return cp_clock_mono_ms(self->clock); }

static void
s_wall_text(tx_actor_t *self, char *out, size_t size)
{
    cp_clock_format(cp_clock_wall_ms(self->clock), out, size);
}

static bool
s_bool(tx_actor_t *self, const char *key, bool fallback)
{
    return config_store_get_bool(self->config, key, fallback);
}

static void
s_load_config(tx_actor_t *self, session_config_t *config)
{
    self->min_status_ms = 1000 * config_store_get_int(self->config, "MinimumStatusDuration", 0);
    self->tx_attempts = (int) config_store_get_int(self->config, "TransactionMessageAttempts", 3);
    self->tx_retry_s = (int) config_store_get_int(self->config, "TransactionMessageRetryInterval", 60);
    self->call_deadline_ms = 1000 * config_store_get_int(self->config, "MessageTimeout", 30) + CALL_DEADLINE_SLACK_MS;
    self->allow_offline_unknown = s_bool(self, "AllowOfflineTxForUnknownId", false);
    self->authorize_remote = s_bool(self, "AuthorizeRemoteTxRequests", true);
    self->free_charging = s_bool(self, "FreeChargingEnabled", false);
    if (config_store_get(self->config, "FreeChargingIdTag", self->free_id_tag, sizeof(self->free_id_tag)) != 0
        || !self->free_id_tag[0])
        snprintf(self->free_id_tag, sizeof(self->free_id_tag), "FREECHARGING");
    config->connection_timeout_s = (int) config_store_get_int(self->config, "ConnectionTimeOut", 60);
    config->stop_on_ev_side_disconnect = s_bool(self, "StopTransactionOnEVSideDisconnect", true);
    config->stop_on_invalid_id = s_bool(self, "StopTransactionOnInvalidId", true);
    config->unlock_on_ev_side_disconnect = s_bool(self, "UnlockConnectorOnEVSideDisconnect", true);
}

//  --------------------------------------------------------------------------
//  Publishing and StatusNotification

static void s_pump(tx_actor_t *self);
static void s_queue_stops(tx_actor_t *self);
static void s_refresh(tx_actor_t *self, bool publish_all);

//  A connector's status; connector 0 carries a failing store (the charger
//  still charges, but cannot keep what it bills: a warning, not Faulted).
static void
s_status(tx_actor_t *self, int c, tx_status_t *st)
{
    session_status(self->session, c, st);
    if (c == 0 && self->health.failing && streq(st->error_code, "NoError")) {
        snprintf(st->error_code, sizeof(st->error_code), "OtherError");
        snprintf(st->vendor_error_code, sizeof(st->vendor_error_code), "StorageFailure");
    }
}

//  --------------------------------------------------------------------------
//  A failing store (store_health.h)

static cp_msg_t *
s_store_msg(tx_actor_t *self)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_STORE_STATE);
    if (msg) {
        cp_msg_store_state_t *ss = &msg->u.store_state;
        ss->ok = !self->health.failing;
        cp_msg_set_str(ss->error, self->health.error);
        ss->since_ms = self->health.since_ms;
        ss->failures = self->health.failures;
        ss->seq = cp_msg_seq_now();
    }
    return msg;
}

static void
s_publish_store(tx_actor_t *self)
{
    cp_msg_t *msg = s_store_msg(self);
    if (msg)
        cp_shell_publish(self->shell, "store.state", msg);
    cp_msg_destroy(&msg);
}

static int s_on_health_timer(cp_loop_t *loop, int timer_id, void *arg);

static void
s_health_rearm(tx_actor_t *self)
{
    int64_t at = self->health.retry_at;
    cp_shell_rearm(self->shell, &self->health_timer, at == INT64_MAX ? CP_SHELL_NEVER : at - s_now(self),
                   s_on_health_timer, self, "writes the store refused are not retried");
}

//  A write failed: the first failure of an episode is said loudly, once.
static void
s_store_failed(tx_actor_t *self, const char *what)
{
    const char *why = sqlite3_errmsg(self->db);
    if (!why || streq(why, "not an error"))
        why = "write failed";
    //  A full store is the whitepaper's MemoryExhaustion ("the Flash or RAM
    //  memory of the Charge Point is getting full"); an I/O error is not.
    //  Once per episode: the retries fail too, and each is not a new event.
    //  The security actor's write fails on the same full disk, so the event
    //  waits in security_raise and is logged (and sent) once space is back.
    int code = sqlite3_errcode(self->db);
    bool full = code == SQLITE_FULL || sqlite3_system_errno(self->db) == ENOSPC;
    if (full && !self->exhaustion_raised) {
        char info[160];
        snprintf(info, sizeof(info), "the state store is full: %s (%s)", what, why);
        security_raise(self->security, "MemoryExhaustion", info);
        self->exhaustion_raised = true;
    }
    if (store_health_failed(&self->health, s_now(self), cp_clock_wall_ms(self->clock), what, why)) {
        cp_error("transaction", "STORAGE FAILURE: %s. Stops and readings are kept in memory and written when the"
                 " store takes writes again (retried; reported as StorageFailure; logged once per episode)",
                 self->health.error);
        tx_store_quiet(self->store, true);
        outbox_quiet(self->outbox, true);
        s_publish_store(self);
    }
    s_health_rearm(self);
}

//  Record the stops the store refused so far, oldest first; a failure
//  stops the round (the rest wait for the next). True when none is left.
static bool
s_record_stops(tx_actor_t *self)
{
    for (int i = 0; i < UNRECORDED_MAX; i++) {
        unrecorded_stop_t *u = &self->unrecorded[i];
        if (!u->used)
            continue;
        if (tx_store_stop(self->store, u->tx_local, u->meter_stop, u->reason, u->id_tag, u->stopped_ms) != 0) {
            s_store_failed(self, "record the stop");
            return false;
        }
        cp_info("transaction", "the stop of %lld (%s, meterStop %lld Wh) is recorded now", (long long) u->tx_local,
                u->reason, (long long) u->meter_stop);
        memset(u, 0, sizeof(*u));
        self->stops_pending = true;
    }
    return true;
}

static void s_save_meter(tx_actor_t *self, int c, bool force, double reported_wh);

//  The retry round while the store fails: record and queue the stops kept
//  in memory, save the readings, and probe. The episode ends only when a
//  whole round succeeded — a store with room for a small write but not a
//  large one does not flap between failing and healthy at every write.
static int
s_on_health_timer(cp_loop_t *loop, int timer_id, void *arg)
{
    tx_actor_t *self = arg;
    self->health_timer = 0;
    if (!self->health.failing)
        return 0;
    store_health_retried(&self->health, s_now(self));
    int64_t failures = self->health.failures;
    bool recorded = s_record_stops(self);
    if (recorded && !self->settle_timer)
        s_queue_stops(self);
    for (int c = 1; c <= session_connectors(self->session); c++)
        s_save_meter(self, c, true, 0);
    if (tx_store_probe(self->store, cp_clock_wall_ms(self->clock)) != 0)
        s_store_failed(self, "probe the store");
    if (self->health.failures == failures && recorded && !self->stops_pending) {
        cp_warn("transaction", "the store takes writes again: storage failure over (%s, %lld failed writes)",
                self->health.error, (long long) failures);
        store_health_ok(&self->health);
        self->exhaustion_raised = false;
        tx_store_quiet(self->store, false);
        outbox_quiet(self->outbox, false);
        s_publish_store(self);
    }
    s_health_rearm(self);
    s_refresh(self, false);
    return 0;
}

static cp_msg_t *
s_connector_msg(tx_actor_t *self, int c)
{
    tx_status_t st;
    s_status(self, c, &st);
    cp_msg_t *msg = cp_msg_new(CP_MSG_TX_CONNECTOR);
    cp_msg_tx_connector_t *tc = &msg->u.tx_connector;
    tc->connector = c;
    tc->seq = cp_msg_seq_now();
    cp_msg_set_str(tc->status, st.status);
    cp_msg_set_str(tc->error_code, st.error_code);
    cp_msg_set_str(tc->vendor_error_code, st.vendor_error_code);
    if (c >= 1) {
        const session_tx_t *tx = session_tx(self->session, c);
        tc->tx_active = tx->active;
        tc->tx_local = tx->tx_local;
        tc->tx_id = tx->tx_id;
        tc->tx_confirmed = tx->confirmed;
        cp_msg_set_str(tc->id_tag, tx->id_tag);
        tc->meter_start = tx->meter_start;
        if (tx->active)
            cp_clock_format(tx->started_wall_ms, tc->started_at, sizeof(tc->started_at));
    }
    else
        tc->dead_letters = self->dead_letters;
    return msg;
}

static void
s_publish_connector(tx_actor_t *self, int c)
{
    cp_msg_t *msg = s_connector_msg(self, c);
    char topic[32];
    snprintf(topic, sizeof(topic), "tx.connector.%d", c);
    cp_shell_publish(self->shell, topic, msg);
    cp_msg_destroy(&msg);
}

static void s_fx_lock(void *ctx, int connector, bool locked);

//  The seed's flow: the charger stays locked while nobody may use it
//  (Available, Reserved, Unavailable) and unlocks for an authorized user
//  (Preparing) — unless free charging makes plugging in enough. During a
//  transaction the session holds the cable locked and releases it at the
//  stop (Finishing). Not while a transaction of an earlier run waits for
//  the board's report: the lock is part of what decides it.
static void
s_charger_lock(tx_actor_t *self, int c, const tx_status_t *st)
{
    if (c >= 1 && self->resume_pending[c])
        return;     //  the board's lock tells whether the session was running (resume.h)
    if (streq(st->status, "Available") || streq(st->status, "Reserved") || streq(st->status, "Unavailable"))
        s_fx_lock(self, c, !self->free_charging);
    else
    if (streq(st->status, "Preparing"))
        s_fx_lock(self, c, false);
}

//  Recompute every connector; publish and report what changed.
static void
s_refresh(tx_actor_t *self, bool publish_all)
{
    for (int c = 0; c <= session_connectors(self->session); c++) {
        tx_status_t st;
        s_status(self, c, &st);
        bool changed = tx_core_set_status_at(self->core, c, &st, s_now(self));
        if (changed)
            cp_info("transaction", "connector %d: %s%s%s", c, st.status,
                    strcmp(st.error_code, "NoError") ? " / " : "",
                    strcmp(st.error_code, "NoError") ? st.error_code : "");
        if ((changed || publish_all || self->relock[c]) && c >= 1)
            s_charger_lock(self, c, &st);
        self->relock[c] = false;
        if (changed || publish_all)
            s_publish_connector(self, c);
    }
    s_pump(self);
}

static uint64_t
s_ocpp_call(tx_actor_t *self, const char *action, json_t *payload)
{
    char *text = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    cp_msg_t *msg = cp_msg_new(CP_MSG_OCPP_CALL);
    cp_msg_set_str(msg->u.ocpp_call.action, action);
    cp_msg_set_text(&msg->u.ocpp_call.payload, text);
    free(text);
    uint64_t corr = cp_shell_request_within(self->shell, "ocpp", msg, self->call_deadline_ms);
    cp_msg_destroy(&msg);
    return corr;
}

static int
s_on_retry(cp_loop_t *loop, int timer_id, void *arg)
{
    tx_actor_t *self = arg;
    self->retry_timer = 0;
    s_pump(self);
    return 0;
}

static void
s_report_next(tx_actor_t *self)
{
    if (self->report_corr || self->retry_timer)
        return;
    tx_status_t status;
    int64_t wake_at;
    tx_core_set_min_duration(self->core, self->min_status_ms);
    int n = tx_core_next_report_at(self->core, s_now(self), &status, &wake_at);
    if (n < 0) {
        if (wake_at != INT64_MAX) {
            int64_t delay = wake_at - s_now(self);
            self->retry_timer = cp_loop_timer(cp_shell_loop(self->shell), (size_t) (delay < 1 ? 1 : delay), 1,
                                            s_on_retry, self);
        }
        return;
    }
    char ts[40];
    s_wall_text(self, ts, sizeof(ts));
    json_t *p = json_pack("{s:i, s:s, s:s, s:s}", "connectorId", n, "errorCode", status.error_code,
                          "status", status.status, "timestamp", ts);
    if (status.vendor_error_code[0])
        json_object_set_new(p, "vendorErrorCode", json_string(status.vendor_error_code));
    self->report_connector = n;
    self->report_status = status;
    self->report_corr = s_ocpp_call(self, "StatusNotification", p);
    if (!self->report_corr)
        tx_core_report_done(self->core, n, &status, false);
}

//  --------------------------------------------------------------------------
//  Outbox delivery: one message at a time, only while online.

static int
s_on_outbox_timer(cp_loop_t *loop, int timer_id, void *arg)
{
    tx_actor_t *self = arg;
    self->outbox_timer = 0;
    s_pump(self);
    return 0;
}

static void
s_outbox_next(tx_actor_t *self)
{
    if (!self->online || self->outbox_corr || self->outbox_timer)
        return;
    outbox_msg_t msg = { 0 };
    if (outbox_peek(self->outbox, &msg) != 0)
        return;
    json_error_t jerr;
    json_t *payload = json_loads(msg.payload, 0, &jerr);
    if (!payload) {
        cp_error("transaction", "outbox message %lld is not JSON: discarded", (long long) msg.id);
        outbox_fail(self->outbox, msg.id, 1, 0);
        outbox_msg_clear(&msg);
        return;
    }
    self->outbox_id = msg.id;
    self->outbox_tx_local = msg.tx_local;
    snprintf(self->outbox_action, sizeof(self->outbox_action), "%s", msg.action);
    self->outbox_corr = s_ocpp_call(self, msg.action, payload);
    outbox_msg_clear(&msg);
}

//  Every IdTagInfo the central system returns feeds the authorization
//  cache (spec 3.4.1): published for the auth actor.
static void
s_publish_idtaginfo(tx_actor_t *self, int64_t tx_local, bool stop_tag, const json_t *info, int64_t received_seq)
{
    if (!json_is_object(info))
        return;
    char id_tag[SESSION_TAG_MAX + 1] = "";
    tx_store_id_tag(self->store, tx_local, stop_tag, id_tag, sizeof(id_tag));
    const char *status = json_string_value(json_object_get(info, "status"));
    if (!id_tag[0] || !status)
        return;
    cp_msg_t *msg = cp_msg_new(CP_MSG_AUTH_IDTAGINFO);
    cp_msg_set_str(msg->u.auth_idtaginfo.id_tag, id_tag);
    cp_msg_set_str(msg->u.auth_idtaginfo.status, status);
    const char *parent = json_string_value(json_object_get(info, "parentIdTag"));
    const char *expiry = json_string_value(json_object_get(info, "expiryDate"));
    cp_msg_set_str(msg->u.auth_idtaginfo.parent_id_tag, parent ? parent : "");
    cp_msg_set_str(msg->u.auth_idtaginfo.expiry_date, expiry ? expiry : "");
    msg->u.auth_idtaginfo.received_seq = received_seq;
    cp_shell_publish(self->shell, "auth.idtaginfo", msg);
    cp_msg_destroy(&msg);
}

static void
s_outbox_result(tx_actor_t *self, const cp_msg_t *msg)
{
    self->outbox_corr = 0;
    const char *outcome = msg && msg->type == CP_MSG_OCPP_RESULT ? msg->u.ocpp_result.outcome : "rejected";
    if (streq(outcome, "result")) {
        if (streq(self->outbox_action, "StartTransaction")) {
            json_t *conf = json_loads(msg->u.ocpp_result.payload ? msg->u.ocpp_result.payload : "{}", 0, NULL);
            json_int_t tx_id = json_integer_value(json_object_get(conf, "transactionId"));
            const char *status = json_string_value(json_object_get(json_object_get(conf, "idTagInfo"), "status"));
            //  Without the mapping, later messages of this transaction could
            //  never carry its id: keep trying before acknowledging.
            int tries = 0;
            while (outbox_set_transaction_id(self->outbox, self->outbox_tx_local, (int64_t) tx_id) != 0 && ++tries < 3)
                cp_error("transaction", "cannot record transactionId %lld (attempt %d)", (long long) tx_id, tries);
            if (tries >= 3) {
                cp_error("transaction", "transactionId %lld not recorded: StartTransaction stays queued",
                         (long long) tx_id);
                json_decref(conf);
                self->outbox_timer = cp_loop_timer(cp_shell_loop(self->shell), 5000, 1, s_on_outbox_timer, self);
                return;
            }
            //  The outbox's mapping above is what later messages use; this
            //  copy only feeds a resume after an actor restart.
            tx_store_set_csms_id(self->store, self->outbox_tx_local, (int64_t) tx_id);
            cp_info("transaction", "transaction %lld confirmed as %lld (%s)", (long long) self->outbox_tx_local,
                    (long long) tx_id, status ? status : "?");
            session_on_start_confirmed(self->session, s_now(self), self->outbox_tx_local, (int64_t) tx_id,
                                       status ? status : "Accepted");
            s_publish_idtaginfo(self, self->outbox_tx_local, false, json_object_get(conf, "idTagInfo"),
                                msg->u.ocpp_result.received_seq);
            json_decref(conf);
        }
        else
        if (streq(self->outbox_action, "StopTransaction")) {
            json_t *conf = json_loads(msg->u.ocpp_result.payload ? msg->u.ocpp_result.payload : "{}", 0, NULL);
            s_publish_idtaginfo(self, self->outbox_tx_local, true, json_object_get(conf, "idTagInfo"),
                                msg->u.ocpp_result.received_seq);
            json_decref(conf);
        }
        if (outbox_ack(self->outbox, self->outbox_id) < 0)
            cp_error("transaction", "cannot remove delivered %s %lld from the outbox: it may be sent again",
                     self->outbox_action, (long long) self->outbox_id);
        s_refresh(self, true);
        return;
    }
    //  A lost connection is not a failure of the central system to process
    //  the message: it stays at the head of the queue for the next link.
    bool link_lost = streq(outcome, "rejected")
        || (streq(outcome, "timeout") && msg && streq(msg->u.ocpp_result.error_description, "connection lost"));
    if (link_lost)
        return;
    int attempts = self->tx_attempts;
    int interval = self->tx_retry_s;
    int64_t delay = outbox_fail(self->outbox, self->outbox_id, attempts < 1 ? 1 : attempts, interval);
    cp_warn("transaction", "%s (outbox %lld) failed: %s %s%s", self->outbox_action, (long long) self->outbox_id,
            outcome, msg ? msg->u.ocpp_result.error_code : "", delay < 0 ? "; discarded after the last attempt" : "");
    if (delay > 0)
        self->outbox_timer = cp_loop_timer(cp_shell_loop(self->shell), (size_t) delay, 1, s_on_outbox_timer, self);
}

//  Count the dead letters again when the outbox buried something (or on
//  request), and say so: billing records the central system never took.
static void
s_dead_letters_sync(tx_actor_t *self, bool force)
{
    if (!force && outbox_burials(self->outbox) == self->burials_seen)
        return;
    self->burials_seen = outbox_burials(self->outbox);
    int64_t n = outbox_dead_count(self->outbox);
    if (n < 0 || n == self->dead_letters)
        return;
    if (n > self->dead_letters)
        cp_warn("transaction", "%lld transaction message(s) kept as dead letters: `cpctl outbox retry` sends them again",
                (long long) n);
    self->dead_letters = n;
    s_publish_connector(self, 0);
}

//  The central system answered a transaction message after its CALL had
//  timed out (ocpp_core.h). If that message still waits at the head of the
//  outbox — for its retry, or sent again and in flight — the late answer
//  is its answer: taken now, the retry never goes (or its answer is
//  ignored), and the central system does not get a second
//  StartTransaction for one session.
static bool
s_take_late(tx_actor_t *self, const cp_msg_ocpp_late_t *late)
{
    outbox_msg_t head = { 0 };
    if (outbox_peek(self->outbox, &head) != 0)
        return false;
    json_t *queued = json_loads(head.payload, 0, NULL);
    json_t *sent = json_loads(late->call_payload ? late->call_payload : "", 0, NULL);
    bool same = streq(head.action, late->action) && queued && sent && json_equal(queued, sent);
    json_decref(queued);
    json_decref(sent);
    cp_msg_t *result = same ? cp_msg_new(CP_MSG_OCPP_RESULT) : NULL;
    if (result) {
        cp_info("transaction", "%s (outbox %lld) answered late: taken, not sent again", head.action,
                (long long) head.id);
        if (self->outbox_timer) {
            cp_loop_timer_end(cp_shell_loop(self->shell), self->outbox_timer);
            self->outbox_timer = 0;
        }
        self->outbox_corr = 0;              //  a resend in flight: its answer is ignored
        self->outbox_id = head.id;
        self->outbox_tx_local = head.tx_local;
        snprintf(self->outbox_action, sizeof(self->outbox_action), "%s", head.action);
        cp_msg_set_str(result->u.ocpp_result.outcome, "result");
        cp_msg_set_text(&result->u.ocpp_result.payload, late->result_payload);
        result->u.ocpp_result.received_seq = late->received_seq;
        s_outbox_result(self, result);
        cp_msg_destroy(&result);
    }
    outbox_msg_clear(&head);
    return same;
}

static void
s_pump(tx_actor_t *self)
{
    //  Safety net: a stop recorded but not queued (its settle timer lost,
    //  or the outbox refused it once) is queued at the next occasion.
    if (!self->settle_timer && self->stops_pending) {
        self->stops_pending = false;
        s_queue_stops(self);
    }
    s_outbox_next(self);
    s_dead_letters_sync(self, false);
    s_report_next(self);
}

//  --------------------------------------------------------------------------
//  Session effects

static void
s_auth_fallback(tx_actor_t *self, const char *id_tag)
{
    bool allow = self->allow_offline_unknown;
    cp_warn("transaction", "%s: authorization not available, %s by AllowOfflineTxForUnknownId", id_tag,
            allow ? "accepted" : "refused");
    session_on_authorized(self->session, s_now(self), id_tag, allow ? "Accepted" : "Invalid", "");
}

static void s_auth_rearm(tx_actor_t *self);

static void
s_auth_send(tx_actor_t *self, auth_pending_t *a)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_AUTH_REQUEST);
    a->corr = 0;
    if (msg && cp_msg_set_str(msg->u.auth_request.id_tag, a->id_tag) == 0
    &&  cp_msg_set_str(msg->u.auth_request.purpose, "start") == 0)
        //  The auth actor may ask the central system first.
        a->corr = cp_shell_request_within(self->shell, "auth", msg, self->call_deadline_ms + CALL_DEADLINE_SLACK_MS);
    cp_msg_destroy(&msg);
    a->retry_at = a->corr ? 0 : s_now(self) + RESTART_RETRY_MS;
}

//  The auth request of slot a failed (its actor restarting, or no answer):
//  ask again shortly, or let the offline rule decide when it is too late.
static void
s_auth_failed(tx_actor_t *self, auth_pending_t *a)
{
    a->corr = 0;
    if (s_now(self) < a->give_up_at) {
        a->retry_at = s_now(self) + RESTART_RETRY_MS;
        return;
    }
    char id_tag[sizeof(a->id_tag)];
    snprintf(id_tag, sizeof(id_tag), "%s", a->id_tag);
    memset(a, 0, sizeof(*a));
    s_auth_fallback(self, id_tag);
}

static int
s_on_auth_timer(cp_loop_t *loop, int timer_id, void *arg)
{
    tx_actor_t *self = arg;
    self->auth_timer = 0;
    for (int i = 0; i < AUTH_MAX; i++) {
        auth_pending_t *a = &self->auth[i];
        if (a->id_tag[0] && !a->corr && a->retry_at <= s_now(self)) {
            s_auth_send(self, a);
            if (!a->corr)
                s_auth_failed(self, a);
        }
    }
    s_auth_rearm(self);
    return 0;
}

static void
s_auth_rearm(tx_actor_t *self)
{
    int64_t next = CP_SHELL_NEVER;
    for (int i = 0; i < AUTH_MAX; i++)
        if (self->auth[i].id_tag[0] && !self->auth[i].corr && self->auth[i].retry_at < next)
            next = self->auth[i].retry_at;
    cp_shell_rearm(self->shell, &self->auth_timer, next == CP_SHELL_NEVER ? next : next - s_now(self),
                   s_on_auth_timer, self, "authorizations are late");
}

//  The outcome of an auth request.
static void
s_auth_outcome(tx_actor_t *self, auth_pending_t *a, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    if (env->kind == CP_BUS_REPLY && msg && msg->type == CP_MSG_AUTH_RESULT) {
        char id_tag[sizeof(a->id_tag)];
        snprintf(id_tag, sizeof(id_tag), "%s", a->id_tag);
        memset(a, 0, sizeof(*a));
        session_on_authorized(self->session, s_now(self), id_tag, msg->u.auth_result.status,
                              msg->u.auth_result.parent_id_tag);
    }
    else {
        cp_warn("transaction", "%s: the auth actor %s; asking again", a->id_tag,
                env->kind == CP_BUS_TIMEOUT ? "did not answer" : env->kind == CP_BUS_UNREACHABLE ? "is not running"
                : "answered with something else");
        s_auth_failed(self, a);
    }
    s_auth_rearm(self);
}

//  Authorization is the auth actor's decision (local list, cache, online
//  and offline rules). While it restarts the swipe waits (asked again); if
//  it cannot be reached for long, the last resort is the unknown-identifier
//  rule, so a charger never hangs on a swipe.
static void
s_fx_authorize(void *ctx, const char *id_tag)
{
    tx_actor_t *self = ctx;
    for (int i = 0; i < AUTH_MAX; i++) {
        auth_pending_t *a = &self->auth[i];
        if (a->id_tag[0])
            continue;
        snprintf(a->id_tag, sizeof(a->id_tag), "%s", id_tag);
        a->give_up_at = s_now(self) + AUTH_GIVE_UP_MS;
        s_auth_send(self, a);
        s_auth_rearm(self);
        return;
    }
    cp_warn("transaction", "%s: %d authorizations already in progress", id_tag, AUTH_MAX);
    s_auth_fallback(self, id_tag);
}

//  Install pending TxProfiles with the smartcharging actor. It learns of
//  the transaction from the tx.connector event, which may arrive after our
//  request: a Rejected install is tried again a few times.
static void s_arm_tx_profile(tx_actor_t *self);

static int
s_on_tx_profile_timer(cp_loop_t *loop, int timer_id, void *arg)
{
    tx_actor_t *self = arg;
    self->tx_profile_timer = 0;
    for (int c = 1; c <= HW_MAX_CONNECTORS; c++) {
        if (!self->tx_profile[c] || self->tx_profile_corr[c])
            continue;
        json_t *payload = json_pack("{s:i, s:O}", "connectorId", c, "csChargingProfiles", self->tx_profile[c]);
        char *text = json_dumps(payload, JSON_COMPACT);
        json_decref(payload);
        cp_msg_t *msg = cp_msg_new(CP_MSG_OCPP_INBOUND);
        cp_msg_set_str(msg->u.ocpp_inbound.action, "SetChargingProfile");
        cp_msg_set_text(&msg->u.ocpp_inbound.payload, text);
        free(text);
        self->tx_profile_corr[c] = cp_shell_request(self->shell, "smartcharging", msg);
        cp_msg_destroy(&msg);
        if (!self->tx_profile_corr[c])
            s_arm_tx_profile(self);
    }
    return 0;
}

static void
s_arm_tx_profile(tx_actor_t *self)
{
    if (!self->tx_profile_timer)
        self->tx_profile_timer = cp_loop_timer(cp_shell_loop(self->shell), 300, 1, s_on_tx_profile_timer, self);
}

//  The remote start's TxProfile belongs to the transaction of its idTag on
//  its connector (or any, when none was named): install it for that one.
static void
s_attach_remote_profile(tx_actor_t *self, int c, const char *id_tag)
{
    if (!self->remote.profile || strcasecmp(self->remote.id_tag, id_tag) != 0
        || (self->remote.connector != 0 && self->remote.connector != c))
        return;
    json_decref(self->tx_profile[c]);
    self->tx_profile[c] = self->remote.profile;
    self->tx_profile_tries[c] = 0;
    self->tx_profile_failures[c] = 0;
    self->remote.profile = NULL;
    s_arm_tx_profile(self);
}

static void
s_tx_profile_reply(tx_actor_t *self, int c, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    self->tx_profile_corr[c] = 0;
    if (cp_bus_failed(env)) {
        //  The smartcharging actor is restarting (or stuck): not a refusal.
        if (++self->tx_profile_failures[c] < TX_PROFILE_FAILURES_MAX) {
            s_arm_tx_profile(self);
            return;
        }
        cp_warn("transaction", "connector %d: the smartcharging actor does not answer: TxProfile dropped", c);
        json_decref(self->tx_profile[c]);
        self->tx_profile[c] = NULL;
        return;
    }
    json_t *conf = msg && msg->type == CP_MSG_OCPP_INBOUND_REPLY && msg->u.ocpp_inbound_reply.payload
                 ? json_loads(msg->u.ocpp_inbound_reply.payload, 0, NULL) : NULL;
    const char *status = json_string_value(json_object_get(conf, "status"));
    if (status && streq(status, "Accepted")) {
        cp_info("transaction", "connector %d: the remote start's TxProfile is installed", c);
        json_decref(self->tx_profile[c]);
        self->tx_profile[c] = NULL;
    }
    else
    if (++self->tx_profile_tries[c] >= 5) {
        cp_warn("transaction", "connector %d: the remote start's TxProfile was not accepted (%s): dropped",
                c, status ? status : "no answer");
        json_decref(self->tx_profile[c]);
        self->tx_profile[c] = NULL;
    }
    else
        s_arm_tx_profile(self);
    json_decref(conf);
}

static int64_t
s_fx_start(void *ctx, int connector, const char *id_tag, int64_t meter_start)
{
    tx_actor_t *self = ctx;
    char ts[40];
    int64_t wall = cp_clock_wall_ms(self->clock);
    cp_clock_format(wall, ts, sizeof(ts));
    //  A stop kept in memory goes first: it happened first, and a store
    //  that refuses it would refuse this start as well.
    if (!s_record_stops(self))
        return -1;
    int64_t local = tx_store_begin(self->store, connector, id_tag, meter_start, wall, self->options->run_id);
    if (local <= 0) {
        s_store_failed(self, "record a new transaction");
        return -1;
    }
    json_t *p = json_pack("{s:i, s:s, s:I, s:s}", "connectorId", connector, "idTag", id_tag,
                          "meterStart", (json_int_t) meter_start, "timestamp", ts);
    int reservation = session_starting_reservation(self->session, connector);
    if (reservation > 0)
        json_object_set_new(p, "reservationId", json_integer(reservation));
    char *text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    int64_t id = outbox_append(self->outbox, "StartTransaction", local, text);
    free(text);
    if (id <= 0) {
        s_store_failed(self, "queue StartTransaction");
        return -1;
    }
    //  If this mark is lost, recovery finds the StartTransaction in the
    //  outbox and sets it then.
    tx_store_set_queued(self->store, local);
    s_attach_remote_profile(self, connector, id_tag);
    self->saved_wh[connector] = (double) meter_start;
    self->saved_at[connector] = s_now(self);
    return local;
}

static int
s_on_settle(cp_loop_t *loop, int timer_id, void *arg)
{
    tx_actor_t *self = arg;
    self->settle_timer = 0;
    s_queue_stops(self);
    s_pump(self);
    return 0;
}

static void
s_fx_stop(void *ctx, int connector, int64_t tx_local, const char *id_tag, int64_t meter_stop, const char *reason)
{
    tx_actor_t *self = ctx;
    int64_t wall = cp_clock_wall_ms(self->clock);
    //  Earlier stops the store refused go first (s_record_stops keeps order).
    bool recorded = s_record_stops(self)
                 && tx_store_stop(self->store, tx_local, meter_stop, reason, id_tag, wall) == 0;
    if (!recorded) {
        //  Kept in memory: recorded, queued and delivered once the store
        //  takes writes again; never lost while the process lives.
        unrecorded_stop_t *slot = NULL;
        for (int i = 0; i < UNRECORDED_MAX && !slot; i++)
            if (!self->unrecorded[i].used)
                slot = &self->unrecorded[i];
        if (slot) {
            *slot = (unrecorded_stop_t) { .used = true, .connector = connector, .tx_local = tx_local,
                                          .meter_stop = meter_stop, .stopped_ms = wall };
            snprintf(slot->reason, sizeof(slot->reason), "%s", reason);
            snprintf(slot->id_tag, sizeof(slot->id_tag), "%s", id_tag ? id_tag : "");
            cp_warn("transaction", "the stop of %lld (%s, meterStop %lld Wh) cannot be recorded now: kept in memory"
                    " and retried", (long long) tx_local, reason, (long long) meter_stop);
        }
        else
            cp_error("transaction", "the stop of %lld cannot be recorded and %d others wait already: after a restart"
                     " it is billed from its last saved reading", (long long) tx_local, UNRECORDED_MAX);
        s_store_failed(self, "record the stop");
    }
    if (connector >= 1 && connector <= HW_MAX_CONNECTORS)
        self->settling[connector] = true;
    self->stops_pending = true;
    if (!self->settle_timer)
        self->settle_timer = cp_loop_timer(cp_shell_loop(self->shell), STOP_SETTLE_MS, 1, s_on_settle, self);
}

static void
s_hw_command(tx_actor_t *self, int connector, const char *command, double value)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_HW_COMMAND);
    msg->u.hw_command.connector = connector;
    cp_msg_set_str(msg->u.hw_command.command, command);
    msg->u.hw_command.value = value;
    cp_shell_request(self->shell, "hw", msg);
    cp_msg_destroy(&msg);
}

static void
s_fx_contactor(void *ctx, int connector, bool closed)
{
    tx_actor_t *self = ctx;
    s_hw_command(self, connector, "contactor", closed ? 1 : 0);
    if (connector >= 1 && connector <= HW_MAX_CONNECTORS) {
        self->contactor_want[connector] = closed;
        self->contactor_asked_at[connector] = s_now(self);
    }
}

static void
s_fx_lock(void *ctx, int connector, bool locked)
{
    tx_actor_t *self = ctx;
    s_hw_command(self, connector, "lock", locked ? 1 : 0);
}

static void
s_fx_reservation(void *ctx, int connector, int reservation_id, bool active)
{
    tx_actor_t *self = ctx;
    int rc;
    if (active) {
        const session_reservation_t *r = session_reservation(self->session, connector);
        //  Kept in wall time: the monotonic clock restarts with the process.
        tx_store_reservation_t row = { .connector = connector, .reservation_id = reservation_id,
                                       .expiry_ms = cp_clock_wall_ms(self->clock) + (r->deadline - s_now(self)) };
        snprintf(row.id_tag, sizeof(row.id_tag), "%s", r->id_tag);
        snprintf(row.parent_id_tag, sizeof(row.parent_id_tag), "%s", r->parent_id_tag);
        rc = tx_store_put_reservation(self->store, &row);
    }
    else
        rc = tx_store_delete_reservation(self->store, reservation_id);
    if (rc != 0)
        cp_error("transaction", "reservation %d is not persisted", reservation_id);
}

static int64_t
s_fx_wall_ms(void *ctx)
{
    tx_actor_t *self = ctx;
    return cp_clock_wall_ms(self->clock);
}

static void
s_fx_availability(void *ctx, int connector, bool operative)
{
    tx_actor_t *self = ctx;
    if (tx_store_set_availability(self->store, connector, operative) != 0)
        cp_error("transaction", "the availability of connector %d is not persisted", connector);
}

//  Build and queue the StopTransaction of every 'stopping' transaction.
static void
s_queue_stops(tx_actor_t *self)
{
    memset(self->settling, 0, sizeof(self->settling));
    //  Every stopping row is read first, then written (tx_store.h).
    tx_store_stop_t stops[RECOVER_MAX];
    int n = tx_store_stopping(self->store, stops, RECOVER_MAX);
    if (n < 0) {
        self->stops_pending = true;
        s_store_failed(self, "read the stops to queue");
        return;
    }
    for (int k = 0; k < n; k++) {
        int64_t local = stops[k].tx_local;
        //  transactionData: the StopTxn samples the metering actor sent.
        //  Unreadable now, they are tried again rather than lost.
        json_t *data = tx_store_stopdata(self->store, local);
        if (!data) {
            self->stops_pending = true;
            continue;
        }
        char ts[40];
        cp_clock_format(stops[k].stopped_ms, ts, sizeof(ts));
        json_t *p = json_pack("{s:I, s:s, s:s}", "meterStop", (json_int_t) stops[k].meter_stop,
                              "timestamp", ts, "reason", stops[k].reason);
        if (stops[k].id_tag[0])
            json_object_set_new(p, "idTag", json_string(stops[k].id_tag));
        if (json_array_size(data) > 0)
            json_object_set_new(p, "transactionData", data);
        else
            json_decref(data);
        char *text = json_dumps(p, JSON_COMPACT);
        json_decref(p);
        if (outbox_append(self->outbox, "StopTransaction", local, text) <= 0) {
            self->stops_pending = true;         //  try again at the next pump
            s_store_failed(self, "queue StopTransaction");
        }
        else
        if (tx_store_set_stopped(self->store, local) != 0)
            cp_error("transaction", "StopTransaction of %lld queued but not marked", (long long) local);
        free(text);
    }
}

//  --------------------------------------------------------------------------
//  Recovery

//  The transaction of row goes on under the same transaction id: the
//  session takes it back and, with the car plugged, closes the contactor
//  again (session_on_hw); this run adopts the row.
static void
s_resume(tx_actor_t *self, const tx_store_active_t *row, const char *when)
{
    session_tx_t tx = { .active = true, .tx_local = row->tx_local, .meter_start = row->meter_start,
                        .started_wall_ms = row->started_ms, .tx_id = row->csms_id,
                        .confirmed = row->has_csms_id };
    snprintf(tx.id_tag, sizeof(tx.id_tag), "%s", row->id_tag);
    snprintf(tx.parent_id_tag, sizeof(tx.parent_id_tag), "%s", row->parent_id_tag);
    session_restore(self->session, row->connector, &tx);
    self->saved_wh[row->connector] = row->last_meter_wh;
    self->saved_at[row->connector] = s_now(self);
    cp_info("transaction", "connector %d: transaction %lld goes on %s", row->connector,
            (long long) row->tx_local, when);
    if (tx_store_adopt(self->store, row->tx_local, self->options->run_id) != 0)
        s_store_failed(self, "adopt the resumed transaction");
}

//  Decide the transaction an earlier run left open on connector c, with
//  the board's first report (NULL: none came in time).
static void
s_resume_decide(tx_actor_t *self, int c, const hw_connector_state_t *board)
{
    const tx_store_active_t *row = &self->resume_row[c];
    self->resume_pending[c] = false;
    self->relock[c] = true;
    resume_row_t facts = { .last_saved_wh = row->last_meter_wh, .clean_shutdown = row->clean_shutdown };
    resume_decision_t decision;
    resume_decide(&facts, board, &decision);
    if (decision.go_on) {
        char when[128];
        snprintf(when, sizeof(when), "after a controller restart: %s", decision.why);
        s_resume(self, row, when);
        return;
    }
    cp_warn("transaction", "connector %d: transaction %lld ends after the controller restart: %s;"
            " stopping it with reason %s at %lld Wh", c, (long long) row->tx_local, decision.why,
            decision.reason, (long long) decision.meter_stop);
    if (tx_store_stop(self->store, row->tx_local, decision.meter_stop, decision.reason, "",
                      cp_clock_wall_ms(self->clock)) != 0) {
        s_store_failed(self, "record the stop");   //  still open in the store: the next start decides again
        return;
    }
    self->stops_pending = true;
    s_queue_stops(self);
    s_pump(self);
}

static int
s_on_resume_timeout(cp_loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    tx_actor_t *self = arg;
    self->resume_timer = 0;
    for (int c = 1; c <= session_connectors(self->session); c++)
        if (self->resume_pending[c])
            s_resume_decide(self, c, NULL);
    return 0;
}

static void
s_recover(tx_actor_t *self)
{
    //  start_queued = 0: the process died between recording the transaction
    //  and marking its StartTransaction queued. If the outbox has it, the
    //  central system will hear of it: keep it (and stop it below); if not,
    //  nobody knows it and no energy flowed: forget it.
    int64_t unqueued[RECOVER_MAX];
    int n_unqueued = tx_store_unqueued(self->store, unqueued, RECOVER_MAX);
    for (int i = 0; i < n_unqueued; i++) {
        if (outbox_knows(self->outbox, unqueued[i]) == 1)
            tx_store_set_queued(self->store, unqueued[i]);
        else
            tx_store_forget(self->store, unqueued[i]);
    }
    tx_store_active_t open[RECOVER_MAX];
    bool waiting = false;
    int n_open = tx_store_active(self->store, open, RECOVER_MAX);
    for (int i = 0; i < n_open; i++) {
        const tx_store_active_t *row = &open[i];
        int connector = row->connector;
        if (connector < 1 || connector > session_connectors(self->session))
            continue;
        if (streq(row->run_id, self->options->run_id)) {
            //  Within the same run (only this actor restarted): resumed.
            s_resume(self, row, "after an actor restart");
            continue;
        }
        //  The controller died (or was stopped) while it ran: the board
        //  knows whether the car is still there (resume.h).
        self->resume_pending[connector] = true;
        self->resume_row[connector] = *row;
        waiting = true;
        cp_info("transaction", "connector %d: transaction %lld was open when the controller stopped:"
                " waiting for the board's report", connector, (long long) row->tx_local);
    }
    if (waiting)
        self->resume_timer = cp_loop_timer(cp_shell_loop(self->shell), RESUME_WAIT_MS, 1, s_on_resume_timeout, self);
    self->stops_pending = true;
    s_queue_stops(self);
    //  Reservations still valid survive a restart; expired ones are gone.
    int64_t wall = cp_clock_wall_ms(self->clock);
    tx_store_reservation_t reservations[RECOVER_MAX];
    int n_reservations = tx_store_reservations(self->store, reservations, RECOVER_MAX);
    for (int i = 0; i < n_reservations; i++) {
        const tx_store_reservation_t *row = &reservations[i];
        if (row->connector < 1 || row->connector > session_connectors(self->session) || row->expiry_ms <= wall)
            continue;
        session_reservation_t r = { .active = true, .id = row->reservation_id,
                                    .deadline = s_now(self) + (row->expiry_ms - wall) };
        snprintf(r.id_tag, sizeof(r.id_tag), "%s", row->id_tag);
        snprintf(r.parent_id_tag, sizeof(r.parent_id_tag), "%s", row->parent_id_tag);
        session_restore_reservation(self->session, row->connector, &r);
    }
    tx_store_expire_reservations(self->store, wall);
    tx_store_availability_t availability[HW_MAX_CONNECTORS + 1];
    int n_availability = tx_store_availability(self->store, availability, HW_MAX_CONNECTORS + 1);
    for (int i = 0; i < n_availability; i++)
        if (availability[i].connector >= 0 && availability[i].connector <= session_connectors(self->session))
            session_load_availability(self->session, availability[i].connector, availability[i].operative);
}

//  --------------------------------------------------------------------------
//  Bus

//  Keep the reading a stop after a crash would bill (PowerLoss): every
//  METER_SAVE_WH or METER_SAVE_MS, and always before a reading leaves for
//  the central system (force), so a PowerLoss stop never bills less than a
//  MeterValues already reported. The store only ever raises it.
static void
s_save_meter(tx_actor_t *self, int c, bool force, double reported_wh)
{
    const session_tx_t *tx = session_tx(self->session, c);
    double wh = session_hw(self->session, c)->energy_wh;
    int64_t now = s_now(self);
    if (!tx->active || (!force && wh - self->saved_wh[c] < METER_SAVE_WH && now - self->saved_at[c] < METER_SAVE_MS))
        return;
    if (force && reported_wh > wh)
        wh = reported_wh;
    if (tx_store_save_meter(self->store, tx->tx_local, wh) == 0) {
        self->saved_wh[c] = wh;
        self->saved_at[c] = now;
    }
    else
        s_store_failed(self, "save the meter reading");
}

static int s_on_contactor_timer(cp_loop_t *loop, int timer_id, void *arg);

//  The command may have been lost (hw restarting; in --split a hw process
//  that was down past the board's watchdog, which opened the contactor):
//  the hardware must end up as the session wants it, above all open. Only
//  what this incarnation asked for: after a restart the session has not
//  commanded anything yet. A command gets CONTACTOR_GRACE_MS to take effect;
//  a mismatch seen inside it is looked at again when it ends, not at the
//  next hw event, which may be a 10 s refresh away (hw_core.h).
static void
s_contactor_check(tx_actor_t *self, int c, bool closed)
{
    if (self->contactor_asked_at[c] <= 0 || closed == self->contactor_want[c])
        return;
    int64_t waited = s_now(self) - self->contactor_asked_at[c];
    if (waited > CONTACTOR_GRACE_MS) {
        cp_warn("transaction", "connector %d: contactor is %s, expected %s: commanding again", c,
                closed ? "closed" : "open", self->contactor_want[c] ? "closed" : "open");
        s_fx_contactor(self, c, self->contactor_want[c]);
    }
    else
    if (!self->contactor_timer)
        self->contactor_timer = cp_loop_timer(cp_shell_loop(self->shell), (size_t) (CONTACTOR_GRACE_MS - waited + 10),
                                            1, s_on_contactor_timer, self);
}

static int
s_on_contactor_timer(cp_loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    tx_actor_t *self = arg;
    self->contactor_timer = 0;
    for (int c = 1; c <= session_connectors(self->session); c++) {
        const hw_connector_state_t *hw = session_hw(self->session, c);
        if (hw)
            s_contactor_check(self, c, hw->contactor_closed);
    }
    return 0;
}

static void
s_on_hw(tx_actor_t *self, const cp_msg_hw_connector_t *m)
{
    hw_connector_state_t hw = { 0 };
    hw.connector = (int) m->connector;
    hw.plugged = m->plugged;
    hw.pilot = m->pilot[0] ? m->pilot[0] : 'A';
    hw.ev_requesting = m->ev_requesting;
    hw.contactor_closed = m->contactor_closed;
    hw.locked = m->locked;
    hw.energy_wh = m->energy_wh;
    hw.power_w = m->power_w;
    hw.current_a = m->current_a;
    hw.voltage_v = m->voltage_v;
    hw.offered_a = m->offered_a;
    hw.temperature_c = m->temperature_c;
    snprintf(hw.fault, sizeof(hw.fault), "%s", m->fault[0] ? m->fault : "none");
    hw.board_continuous = m->board_continuous;
    hw.left_away = m->left_away;
    hw.left_wh = m->left_wh;
    //  TamperDetectionActivated ("the physical tamper detection sensor
    //  was triggered"): once when the board's tamper switch opens, not per
    //  report while it stays open; closing it ends the episode. Charging
    //  goes on: the event is for the operator, and a billing session is
    //  no less valid for an opened door. Kept in memory: a start (or an
    //  actor restart) that finds the enclosure open raises it again.
    if (m->tamper && !self->tamper) {
        char info[64];
        snprintf(info, sizeof(info), "the enclosure's tamper switch opened (seen on connector %d)",
                 (int) m->connector);
        security_raise(self->security, "TamperDetectionActivated", info);
    }
    self->tamper = m->tamper;
    //  A transaction an earlier run left open is decided by the board's
    //  first report, before the session sees the car (resume.h).
    if (hw.connector >= 1 && hw.connector <= session_connectors(self->session) && self->resume_pending[hw.connector])
        s_resume_decide(self, hw.connector, &hw);
    bool was_plugged = hw.connector >= 1 && hw.connector <= session_connectors(self->session)
                    && session_hw(self->session, hw.connector)->plugged;
    session_on_hw(self->session, s_now(self), &hw);
    //  Free charging: plugging in is the identification (the seed's
    //  AuthEnabled mode); the auth actor answers Accepted for it.
    if (self->free_charging && hw.plugged && !was_plugged && !session_tx(self->session, hw.connector)->active)
        session_on_token(self->session, s_now(self), self->free_id_tag);
    if (hw.connector >= 1 && hw.connector <= session_connectors(self->session)) {
        s_contactor_check(self, hw.connector, hw.contactor_closed);
        s_save_meter(self, hw.connector, false, 0);
        if (self->settling[hw.connector]) {
            //  The meter keeps counting until the contactor has really
            //  opened: meterStop is the reading after that, not before.
            if (tx_store_raise_meter_stop(self->store, hw.connector, (int64_t) hw.energy_wh) != 0)
                s_store_failed(self, "update meterStop");
            for (int i = 0; i < UNRECORDED_MAX; i++) {
                unrecorded_stop_t *u = &self->unrecorded[i];
                if (u->used && u->connector == hw.connector && (int64_t) hw.energy_wh > u->meter_stop)
                    u->meter_stop = (int64_t) hw.energy_wh;
            }
        }
    }
}

static int s_on_session_timer(cp_loop_t *loop, int timer_id, void *arg);

static void
s_rearm_session(tx_actor_t *self)
{
    int64_t next = session_next_deadline(self->session);
    cp_shell_rearm(self->shell, &self->session_timer, next == INT64_MAX ? CP_SHELL_NEVER : next - s_now(self),
                   s_on_session_timer, self, "session deadlines are late");
}

static int
s_on_session_timer(cp_loop_t *loop, int timer_id, void *arg)
{
    tx_actor_t *self = arg;
    self->session_timer = 0;
    session_tick(self->session, s_now(self));
    s_refresh(self, false);
    s_rearm_session(self);
    return 0;
}

static void
s_on_inbound(tx_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_ocpp_inbound_t *in)
{
    json_t *request = json_loads(in->payload ? in->payload : "{}", 0, NULL);
    tx_ops_ctx_t ctx = { .session = self->session, .now = s_now(self), .wall_ms = cp_clock_wall_ms(self->clock),
                         .authorize_remote = self->authorize_remote };
    json_t *response = NULL;
    if (streq(in->action, "RemoteStartTransaction"))
        response = remote_start_transaction(&ctx, request);
    else if (streq(in->action, "RemoteStopTransaction"))
        response = remote_stop_transaction(&ctx, request);
    else if (streq(in->action, "UnlockConnector"))
        response = unlock_connector(&ctx, request);
    else if (streq(in->action, "ChangeAvailability"))
        response = change_availability(&ctx, request);
    else if (streq(in->action, "Reset"))
        response = reset(&ctx, request);
    else if (streq(in->action, "ReserveNow"))
        response = reserve_now(&ctx, request);
    else if (streq(in->action, "CancelReservation"))
        response = cancel_reservation(&ctx, request);
    cp_msg_t *reply = cp_msg_new(CP_MSG_OCPP_INBOUND_REPLY);
    if (response) {
        char *text = json_dumps(response, JSON_COMPACT);
        cp_msg_set_text(&reply->u.ocpp_inbound_reply.payload, text);
        free(text);
        //  UnlockConnector: release the lock (a stop above already did).
        if (streq(in->action, "UnlockConnector")
            && streq(json_string_value(json_object_get(response, "status")), "Unlocked"))
            s_hw_command(self, tx_ops_connector(json_object_get(request, "connectorId")), "lock", 0);
    }
    else {
        cp_msg_set_str(reply->u.ocpp_inbound_reply.error_code, "NotSupported");
        cp_msg_set_str(reply->u.ocpp_inbound_reply.error_description, "not handled by the transaction actor");
    }
    cp_shell_reply(self->shell, env, reply, true);
    cp_msg_destroy(&reply);
    if (ctx.remote_profile) {
        json_decref(self->remote.profile);
        self->remote.profile = ctx.remote_profile;
        snprintf(self->remote.id_tag, sizeof(self->remote.id_tag), "%s",
                 json_string_value(json_object_get(request, "idTag")));
        json_t *cid = json_object_get(request, "connectorId");
        self->remote.connector = cid ? tx_ops_connector(cid) : 0;
        //  With the cable already in and no Authorize first, the session
        //  started inside the handler, before the profile was kept here:
        //  hand it to that transaction now.
        for (int c = 1; c <= session_connectors(self->session) && self->remote.profile; c++) {
            const session_tx_t *tx = session_tx(self->session, c);
            if (tx->active && !self->tx_profile[c])
                s_attach_remote_profile(self, c, tx->id_tag);
        }
    }
    json_decref(response);
    json_decref(request);
    if (ctx.reset_type[0]) {
        //  Stops are durable now; queue them, then let the supervisor reset.
        s_queue_stops(self);
        //  Whitepaper chapter 8: ResetOrReboot, into the security log
        //  before the reset (CP_RESET_DELAY_MS away) restarts anything.
        char info[64];
        snprintf(info, sizeof(info), "%s reset asked by the central system", ctx.reset_type);
        if (self->security)
            security_raise(self->security, "ResetOrReboot", info);
        cp_msg_t *r = cp_msg_new(CP_MSG_SYSTEM_RESET);
        cp_msg_set_str(r->u.system_reset.type, ctx.reset_type);
        cp_shell_request(self->shell, "supervisor", r);
        cp_msg_destroy(&r);
    }
    s_refresh(self, true);
    s_rearm_session(self);
}

//  The highest energy register reading (Wh) in an array of MeterValue:
//  sampledValues whose measurand is Energy.Active.Import.Register (the
//  default when absent), without a phase; 0 when there is none.
static double
s_register_wh(const json_t *meter_values)
{
    double best = 0;
    size_t i, j;
    json_t *mv, *sv;
    json_array_foreach(meter_values, i, mv) {
        json_array_foreach(json_object_get(mv, "sampledValue"), j, sv) {
            const char *measurand = json_string_value(json_object_get(sv, "measurand"));
            const char *unit = json_string_value(json_object_get(sv, "unit"));
            const char *value = json_string_value(json_object_get(sv, "value"));
            if ((measurand && !streq(measurand, "Energy.Active.Import.Register"))
                || json_object_get(sv, "phase") || !value)
                continue;
            double wh = strtod(value, NULL) * (unit && streq(unit, "kWh") ? 1000.0 : 1.0);
            if (wh > best)
                best = wh;
        }
    }
    return best;
}

static void
s_on_tx_meter(tx_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_tx_meter_t *m)
{
    bool ok = false;
    const char *why = "";
    json_t *values = json_loads(m->payload ? m->payload : "", 0, NULL);
    if (!json_is_array(values))
        why = "payload is not a JSON array";
    else
    if (streq(m->kind, "periodic") && tx_store_is_open(self->store, m->tx_local) == 0) {
        //  Its StopTransaction is queued already: a MeterValues after it
        //  would break the chronological order (spec 3.7).
        ok = true;
        why = "transaction already stopped: sample dropped";
    }
    else
    if (streq(m->kind, "periodic")) {
        if (m->connector >= 1 && m->connector <= session_connectors(self->session)
            && session_tx(self->session, (int) m->connector)->tx_local == m->tx_local)
            s_save_meter(self, (int) m->connector, true, s_register_wh(values));
        json_t *p = json_pack("{s:I, s:O}", "connectorId", (json_int_t) m->connector, "meterValue", values);
        char *text = json_dumps(p, JSON_COMPACT);
        ok = outbox_append(self->outbox, "MeterValues", m->tx_local, text) > 0;
        why = ok ? "" : "outbox refused it";
        if (!ok)
            s_store_failed(self, "queue MeterValues");
        free(text);
        json_decref(p);
    }
    else
    if (streq(m->kind, "stopdata")) {
        int rc = tx_store_add_stopdata(self->store, m->tx_local, m->payload);
        ok = rc >= 0;
        if (rc < 0)
            s_store_failed(self, "keep StopTxnSampledData");
        why = rc < 0 ? "store failure" : rc == 1 ? "transaction already stopped: sample dropped" : "";
    }
    else
        why = "unknown kind";
    json_decref(values);
    cp_shell_reply_status(self->shell, env, ok, why);
    s_pump(self);
}

static int
s_tx_profile_corr(tx_actor_t *self, uint64_t corr)
{
    for (int c = 1; c <= HW_MAX_CONNECTORS && corr; c++)
        if (self->tx_profile_corr[c] == corr)
            return c;
    return 0;
}

static void
s_handler(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, void *ctx)
{
    tx_actor_t *self = ctx;
    if (env->kind == CP_BUS_EVENT || env->kind == CP_BUS_PARTIAL) {
        if (!msg)
            return;
        if (msg->type == CP_MSG_HW_CONNECTOR) {
            int c = (int) msg->u.hw_connector.connector;
            if (c >= 1 && c <= HW_MAX_CONNECTORS && !cp_msg_stale(msg->u.hw_connector.seq, &self->seen_hw[c]))
                s_on_hw(self, &msg->u.hw_connector);
        }
        else
        if (msg->type == CP_MSG_SAFETY_STATE) {
            const cp_msg_safety_state_t *ss = &msg->u.safety_state;
            int c = (int) ss->connector;
            if (c >= 1 && c <= HW_MAX_CONNECTORS && !cp_msg_stale(ss->seq, &self->seen_safety[c]))
                session_on_safety(self->session, s_now(self), c, ss->tripped, ss->error_code, ss->vendor_error,
                                  ss->stop_reason);
        }
        else
        if (msg->type == CP_MSG_AUTH_TOKEN)
            session_on_token(self->session, s_now(self), msg->u.auth_token.id_tag);
        else
        if (msg->type == CP_MSG_OCPP_STATE && !cp_msg_stale(msg->u.ocpp_state.seq, &self->seen_ocpp)) {
            const cp_msg_ocpp_state_t *os = &msg->u.ocpp_state;
            bool online = streq(os->connection, "connected") && streq(os->registration, "Accepted");
            if (!online && self->retry_timer) {
                cp_loop_timer_end(cp_shell_loop(shell), self->retry_timer);
                self->retry_timer = 0;
            }
            if (self->online && !online) {
                //  Answers to calls in flight may never come (the link or the
                //  ocpp actor went away): the outbox message stays queued for
                //  the next link and the status is reported again on the next
                //  online edge. A late answer finds no corr and is ignored.
                self->outbox_corr = 0;
                self->report_corr = 0;
            }
            self->online = online;
            tx_core_on_online(self->core, online);
        }
        else
        if (msg->type == CP_MSG_CONFIG_CHANGED) {
            session_config_t config;
            s_load_config(self, &config);
            session_set_config(self->session, &config);
            if (streq(msg->u.config_changed.key, "FreeChargingEnabled"))
                s_refresh(self, true);      //  lock or unlock idle connectors
        }
    }
    else
    if (cp_bus_is_outcome(env)) {
        if (security_raise_outcome(self->security, env, msg))
            ;                       //  ResetOrReboot taken (or to be sent again)
        else
        if (self->report_corr && env->corr == self->report_corr) {
            bool ok = msg && msg->type == CP_MSG_OCPP_RESULT && streq(msg->u.ocpp_result.outcome, "result");
            //  A CALLERROR is the central system refusing this status: retrying
            //  it would block every other connector's report behind it.
            bool refused = msg && msg->type == CP_MSG_OCPP_RESULT && streq(msg->u.ocpp_result.outcome, "error");
            if (refused)
                cp_warn("transaction", "StatusNotification for connector %d refused (%s): not retried",
                        self->report_connector, msg->u.ocpp_result.error_code);
            tx_core_report_done(self->core, self->report_connector, &self->report_status, ok || refused);
            self->report_corr = 0;
            if (!ok && !refused && self->online)
                self->retry_timer = cp_loop_timer(cp_shell_loop(shell), REPORT_RETRY_MS, 1, s_on_retry, self);
        }
        else
        if (self->outbox_corr && env->corr == self->outbox_corr) {
            s_outbox_result(self, msg);
            if (cp_bus_failed(env) && !self->outbox_timer)
                //  The ocpp actor is restarting or stuck: the message stays
                //  at the head, sent again shortly (ocpp follows a copy it
                //  still has instead of sending it twice).
                self->outbox_timer = cp_loop_timer(cp_shell_loop(shell), RESTART_RETRY_MS, 1, s_on_outbox_timer, self);
        }
        else
        if (s_tx_profile_corr(self, env->corr) > 0)
            s_tx_profile_reply(self, s_tx_profile_corr(self, env->corr), env, msg);
        else
            for (int i = 0; i < AUTH_MAX; i++)
                if (self->auth[i].corr && self->auth[i].corr == env->corr) {
                    s_auth_outcome(self, &self->auth[i], env, msg);
                    break;
                }
    }
    else
    if (env->kind == CP_BUS_REQUEST && msg) {
        if (msg->type == CP_MSG_SNAPSHOT_REQUEST) {
            for (int c = 0; c <= session_connectors(self->session); c++) {
                cp_msg_t *out = s_connector_msg(self, c);
                cp_shell_reply(shell, env, out, false);
                cp_msg_destroy(&out);
            }
            cp_msg_t *store = s_store_msg(self);
            if (store)
                cp_shell_reply(shell, env, store, false);
            cp_msg_destroy(&store);
            cp_shell_reply_status(shell, env, true, "");
        }
        else
        if (msg->type == CP_MSG_OCPP_INBOUND)
            s_on_inbound(self, env, &msg->u.ocpp_inbound);
        else
        if (msg->type == CP_MSG_TX_METER)
            s_on_tx_meter(self, env, &msg->u.tx_meter);
        else
        if (msg->type == CP_MSG_TRIGGER && streq(msg->u.trigger.message, "StatusNotification")) {
            int c = (int) msg->u.trigger.connector;
            for (int n = 0; n <= session_connectors(self->session); n++)
                if (c < 0 || c == n)
                    tx_core_force_report(self->core, n);
            cp_shell_reply_status(shell, env, true, "");
        }
        else
        if (msg->type == CP_MSG_OCPP_LATE) {
            bool taken = s_take_late(self, &msg->u.ocpp_late);
            cp_shell_reply_status(shell, env, taken, taken ? "" : "not waiting any more");
        }
        else
        if (msg->type == CP_MSG_OUTBOX_COMMAND && streq(msg->u.outbox_command.command, "retry")) {
            int64_t n = outbox_requeue_dead(self->outbox);
            char why[80];
            snprintf(why, sizeof(why), n < 0 ? "the dead letters cannot be read (see the log)"
                                             : "%lld dead letter(s) queued again", (long long) n);
            cp_shell_reply_status(shell, env, n >= 0, why);
            s_dead_letters_sync(self, true);
        }
        else
        if (msg->type == CP_MSG_FIRMWARE_HOLD) {
            cp_msg_t *out = cp_msg_new(CP_MSG_FIRMWARE_HOLD_REPLY);
            if (out) {
                firmware_hold(self->session, s_now(self), msg->u.firmware_hold.hold, msg->u.firmware_hold.connectors,
                              &out->u.firmware_hold_reply.active, &out->u.firmware_hold_reply.held);
                //  A stop waiting for its final reading is not over yet,
                //  nor a transaction waiting to learn whether it goes on.
                for (int c = 1; c <= session_connectors(self->session); c++)
                    out->u.firmware_hold_reply.active += self->settling[c] || self->resume_pending[c] ? 1 : 0;
                cp_shell_reply(shell, env, out, true);
            }
            cp_msg_destroy(&out);
        }
        else
            cp_shell_reply_status(shell, env, false, "transaction: unsupported request");
    }
    s_refresh(self, false);
    s_rearm_session(self);
}

void
transaction_actor(zsock_t *pipe, void *args)
{
    cp_actor_args_t *actor_args = args;
    tx_actor_t self_;
    tx_actor_t *self = &self_;
    memset(self, 0, sizeof(*self));
    self->options = actor_args->options;
    self->clock = actor_args->clock;
    char err[256] = "";
    self->shell = cp_shell_new(pipe, actor_args);
    self->db = cp_store_open(self->options->state_dir, err, sizeof(err));
    if (self->db)
        self->config = config_store_open_reader(self->options, err, sizeof(err));
    self->store = self->db ? tx_store_new(self->db) : NULL;
    if (!self->shell || !self->db || !self->config || !self->store) {
        cp_error("transaction", "cannot start: %s", err[0] ? err : "store not available");
        goto done;
    }
    self->outbox = outbox_new(self->db, OUTBOX_CAPACITY);
    self->security = security_raise_new(self->shell, "transaction");
    store_health_init(&self->health);
    self->core = tx_core_new(self->options->connectors);
    session_config_t config;
    s_load_config(self, &config);
    session_effects_t effects = {
        .authorize = s_fx_authorize, .start = s_fx_start, .stop = s_fx_stop,
        .contactor = s_fx_contactor, .lock = s_fx_lock, .reservation = s_fx_reservation, .availability = s_fx_availability, .wall_ms = s_fx_wall_ms,
    };
    self->session = session_new(self->options->connectors, &config, &effects, self);
    if (!self->outbox || !self->core || !self->session)
        goto done;
    s_recover(self);
    s_dead_letters_sync(self, true);
    cp_shell_set_handler(self->shell, s_handler, self);
    cp_bus_t *bus = cp_shell_bus(self->shell);
    cp_bus_subscribe(bus, "hw.connector.");
    cp_bus_subscribe(bus, "auth.token");
    cp_bus_subscribe(bus, "safety.connector.");
    cp_bus_subscribe(bus, "ocpp.state");
    cp_bus_subscribe(bus, "config.changed");
    //  Level-triggered rebuild: ask for the current hardware and link state.
    //  (retried by the shell while one of them is restarting)
    cp_shell_snapshot(self->shell, "hw", "transaction");
    cp_shell_snapshot(self->shell, "ocpp", "transaction");
    cp_shell_snapshot(self->shell, "safety", "transaction");
    s_publish_store(self);          //  level-triggered: healthy until a write fails
    s_refresh(self, true);
    if (cp_shell_run(self->shell) == 0) {
        //  Asked to stop (SIGTERM or a reset): save the latest readings and
        //  mark open transactions, so that a next process knows the stop
        //  was a reboot and not a power loss.
        if (!s_record_stops(self))
            cp_error("transaction", "stopping with stops the store still refuses: the next start bills them"
                     " from their last saved reading and the board's meter");
        for (int c = 1; c <= session_connectors(self->session); c++)
            s_save_meter(self, c, true, 0);
        tx_store_mark_clean_shutdown(self->store);
    }
done:
    json_decref(self->remote.profile);
    for (int c = 0; c <= HW_MAX_CONNECTORS; c++)
        json_decref(self->tx_profile[c]);
    security_raise_destroy(&self->security);
    session_destroy(&self->session);
    tx_core_destroy(&self->core);
    outbox_destroy(&self->outbox);
    tx_store_destroy(&self->store);
    config_store_destroy(&self->config);
    cp_store_close(&self->db);
    cp_shell_destroy(&self->shell);
}

void
transaction_meter_registers(const char *state_dir, double *registers, int max)
{
    //  Read-only: the caller (main, the hw process) does not own the table.
    char err[256];
    sqlite3 *db = cp_store_open_readonly(state_dir, err, sizeof(err));
    if (db)
        tx_store_meter_registers(db, registers, max);
    else
        cp_warn("transaction", "meter registers not restored: %s", err);
    cp_store_close(&db);
}
