/* ocpp_actor.c — the thin shell of the ocpp actor (see ocpp_actor.h).
 *
 * Inbound path, in the order the OCPP-J spec implies:
 *   frame → ocppj_parse (framing: FormationViolation / ProtocolError)
 *         → unknown action: NotImplemented
 *         → schema_set_validate (Occurence/Type/Property/Formation)
 *         → routes: owner actor, else NotSupported / NotImplemented
 *         → ocpp_inbound request to the owner; its reply is validated
 *           against the Response schema before it leaves, so a bug in an
 *           actor becomes an InternalError, never an invalid frame
 *           (GetConfiguration, answered here as text, is checked as it is
 *           written instead: s_get_configuration).
 * Registration survives a restart of this actor within one process run
 * (table ocpp_session, keyed by the run id); a new process boots afresh.
 *
 * Time: the central system's currentTime (BootNotification.conf,
 * Heartbeat.conf) sets this actor's clock; the offset from the host clock
 * is published as "clock.offset" on every change and answered in every
 * snapshot, and each other actor's shell applies it to its own clock. It
 * is kept in table ocpp_clock for this process run, so a restarted ocpp
 * actor (or ocpp process in --split) publishes it again at once.
 *
 * Connection settings (the seed's OCPP settings screen: OcppEnabled,
 * CentralSystemUrl, ChargePointIdentity, AuthorizationKey, plus
 * WebSocketPingInterval) are read from the config store and applied by
 * reconnecting whenever config.changed names one of them; another URL or
 * identity is another central system, which has to register us afresh.
 */
#define _GNU_SOURCE             //  memmem
#include "actors/ocpp/ocpp_actor.h"

#include <assert.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "actors/config/config_store.h"
#include "actors/config/get_configuration.h"
#include "actors/ocpp/profile_migration.h"
#include "actors/security/csms_trust.h"
#include "actors/config/ocpp_settings.h"
#include "actors/ocpp/ocpp_core.h"
#include "actors/ocpp/routes.h"
#include "actors/ocpp/trigger_message.h"
#include "actors/security/cp_cert_store.h"
#include "actors/security/security_raise.h"
#include "gateway/jwriter.h"
#include "gateway/ocppj.h"
#include "gateway/schema.h"
#include "gateway/wsclient.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"
#include "supervisor/store.h"

#define INBOUND_MAX 16
#define INBOUND_TIMEOUT_MS 10000
#define MAX_FRAME (64 * 1024)
#define RECONFIGURE_DELAY_MS 500
//  A currentTime within this of the offset in force is network latency,
//  not news: not applied, published or written (flash wear).
#define CLOCK_JITTER_MS 1000

typedef struct {
    uint64_t corr;
    char id[OCPPJ_MAX_ID + 1];
    char action[64];
} inbound_t;

typedef struct {
    cp_shell_t *shell;
    const cp_options_t *options;
    cp_clock_t *clock;
    sqlite3 *db;
    config_store_t *config;
    schema_set_t *schemas;
    ocpp_core_t *core;
    wsclient_t *ws;
    char password[128];
    ocpp_settings_t active;        //  what the WebSocket client dials now
    int ping_interval_s;           //  ... and its ping interval
    bool resetting;                //  a Reset was Accepted: the restart is a reboot
    bool password_hex;             //  ... and how the key travels (AuthorizationKeyEncoding)
    int timer_id;
    int reconfigure_timer;         //  settings changed: reconnect when idle
    int pm_timer;                  //  the profile migration's deadline, while one runs
    inbound_t inbound[INBOUND_MAX];
    bool clock_synced;             //  the offset came from the central system
    char link_event[48];           //  the security event this failure streak raised
    int64_t invalid_window;        //  mono ms: start of the InvalidMessages minute
    int invalid_count;             //  ... and how many were raised in it
    security_raise_t *security;    //  security events on their way to the security actor
    char client_cert[PATH_MAX];    //  the Charge Point certificate the link presents ("" = none)
    char cp_cert_serial[48];       //  ... its serial as "security.state" last said
    bool cp_cert_seen;             //  ... once it said anything
    char ca_bundle[PATH_MAX];      //  the CA bundle the link trusts ("" = the system store)
    char trust_seen[24];           //  the installed roots' digest "security.state" last said
    char trust_applied[24];        //  ... and the one the link was built with
    bool trust_stale;              //  new roots wait for the link to go down
    char link_root[65];            //  the trust anchor of the wss:// link up now ("" = none)
    profile_migration_t pm;        //  A05: a higher SecurityProfile on trial
    int profile_applied;           //  the SecurityProfile the link was built with (-1 = none)
    //  What table ocpp_session says for this run (s_persist_session)
    bool kept_accepted;            //  registration Accepted, kept across a restart
    int kept_interval;             //  ... with this heartbeat interval
    int64_t kept_boot_count;       //  ... and boot count
} ocpp_actor_t;

static int64_t s_now(ocpp_actor_t *self) { return cp_clock_mono_ms(self->clock); }
static int s_on_reconfigure(cp_loop_t *loop, int timer_id, void *arg);
static void s_pm_check_accepted(ocpp_actor_t *self);

static int64_t
s_config_int(ocpp_actor_t *self, const char *key, int64_t fallback)
{
    return config_store_get_int(self->config, key, fallback);
}

//  --------------------------------------------------------------------------
//  Effects of the core

//  Frame logging at debug level. A frame that names a secret key
//  (ChangeConfiguration of AuthorizationKey) is cut before the key, so a
//  secret never reaches the log whatever the central system sends.
static void
s_log_frame(const char *arrow, const char *text, size_t len)
{
    if (cp_log_get_level() < CP_LOG_DEBUG)
        return;
    //  Configuration changes may carry a secret under any spelling or JSON
    //  escape of its key name: their payload is never logged.
    const char *change = memmem(text, len, "ChangeConfiguration", 19);
    char head[64];
    snprintf(head, sizeof(head), "%.*s", (int) (len < sizeof(head) - 1 ? len : sizeof(head) - 1), text);
    if (change || strcasestr(head, "authorizationkey")) {
        cp_debug("ocpp", "%s %.*s… (payload not logged: may hold a secret)", arrow,
                 (int) (change ? change - text + 20 : 0), text);
        return;
    }
    //  A location (UpdateFirmware, GetDiagnostics) may carry credentials
    //  as a URL's user info: "scheme://user:password@host" is logged as
    //  "scheme://***@host".
    char line[2048];
    size_t out = 0, i = 0;
    while (i < len && out < sizeof(line) - 8) {
        if (i + 3 <= len && memcmp(text + i, "://", 3) == 0) {
            size_t end = i + 3;
            while (end < len && text[end] != '@' && text[end] != '/' && text[end] != '"')
                end++;
            memcpy(line + out, "://", 3);
            out += 3;
            if (end < len && text[end] == '@') {
                memcpy(line + out, "***", 3);
                out += 3;
                i = end;
            }
            else
                i += 3;
            continue;
        }
        line[out++] = text[i++];
    }
    line[out] = '\0';
    cp_debug("ocpp", "%s %s%s", arrow, line, i < len ? "…" : "");
}

static int
s_fx_send(void *ctx, const char *text)
{
    ocpp_actor_t *self = ctx;
    s_log_frame("→", text, strlen(text));
    return self->ws ? wsclient_send(self->ws, text, strlen(text)) : -1;
}

static void
s_fx_complete(void *ctx, const char *requester, uint64_t corr, const char *outcome, const char *payload,
              const char *error_code, const char *error_description)
{
    ocpp_actor_t *self = ctx;
    if (corr == 0)
        return;                     //  the ocpp actor's own call (TriggerMessage)
    cp_bus_envelope_t env = { .kind = CP_BUS_REQUEST, .corr = corr };
    snprintf(env.peer, sizeof(env.peer), "%s", requester);
    cp_msg_t *msg = cp_msg_new(CP_MSG_OCPP_RESULT);
    cp_msg_set_str(msg->u.ocpp_result.outcome, outcome);
    cp_msg_set_text(&msg->u.ocpp_result.payload, payload);
    cp_msg_set_str(msg->u.ocpp_result.error_code, error_code ? error_code : "");
    cp_msg_set_str(msg->u.ocpp_result.error_description, error_description ? error_description : "");
    msg->u.ocpp_result.received_seq = cp_msg_seq_now();    //  frames are handled in the link's order
    cp_shell_reply(self->shell, &env, msg, true);
    cp_msg_destroy(&msg);
}

//  Only what a restart in this run acts on is written: an Accepted
//  registration (with its interval and boot count), or that there is none.
//  Any other state (connecting, connected, Pending, a row of another run)
//  boots afresh, so a change among those writes nothing: every write is a
//  sync, and the connected state's came before the BootNotification.
static void
s_persist_session(ocpp_actor_t *self)
{
    bool accepted = !self->resetting && ocpp_core_registration(self->core) == OCPP_REG_ACCEPTED;
    int interval = ocpp_core_heartbeat_interval(self->core);
    int64_t boot_count = ocpp_core_boot_count(self->core);
    if (accepted == self->kept_accepted
    &&  (!accepted || (interval == self->kept_interval && boot_count == self->kept_boot_count)))
        return;
    sqlite3_stmt *stmt = NULL;
    const char *sql = "INSERT OR REPLACE INTO ocpp_session (id, run_id, registration, interval, boot_count)"
                      " VALUES (1, ?, ?, ?, ?)";
    if (sqlite3_prepare_v2(self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        cp_error("ocpp", "cannot persist session: %s", sqlite3_errmsg(self->db));
        return;
    }
    sqlite3_bind_text(stmt, 1, self->options->run_id, -1, SQLITE_STATIC);
    //  After an accepted Reset the restarted actors are a reboot: the next
    //  incarnation registers again with BootNotification (4.2.1, 5.14).
    sqlite3_bind_text(stmt, 2, self->resetting ? "None" : ocpp_reg_name(ocpp_core_registration(self->core)), -1,
                      SQLITE_STATIC);
    sqlite3_bind_int(stmt, 3, interval);
    sqlite3_bind_int64(stmt, 4, boot_count);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        cp_error("ocpp", "cannot persist session: %s", sqlite3_errmsg(self->db));
    else {
        self->kept_accepted = accepted;
        self->kept_interval = interval;
        self->kept_boot_count = boot_count;
    }
    sqlite3_finalize(stmt);
}

static cp_msg_t *
s_state_msg(ocpp_actor_t *self)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_OCPP_STATE);
    cp_msg_ocpp_state_t *st = &msg->u.ocpp_state;
    cp_msg_set_str(st->connection, ocpp_conn_name(ocpp_core_connection(self->core)));
    cp_msg_set_str(st->registration, ocpp_reg_name(ocpp_core_registration(self->core)));
    st->heartbeat_interval = ocpp_core_heartbeat_interval(self->core);
    st->boot_count = ocpp_core_boot_count(self->core);
    cp_msg_set_str(st->last_error, ocpp_core_last_error(self->core));
    cp_msg_set_str(st->link_root, ocpp_core_connection(self->core) == OCPP_CONN_CONNECTED ? self->link_root : "");
    st->seq = cp_msg_seq_now();
    return msg;
}

static void s_publish_clock(ocpp_actor_t *self);

static void
s_fx_state_changed(void *ctx)
{
    ocpp_actor_t *self = ctx;
    //  The offset ahead of the state: an actor that has just restarted asks
    //  for it by snapshot, and the reply can come after "connected", on which
    //  the transaction actor sends its StatusNotifications at once (stamped
    //  with the host's time then: e2e clock.test). One publisher, so every
    //  subscriber sees the two in this order.
    if (self->clock_synced)
        s_publish_clock(self);
    cp_msg_t *msg = s_state_msg(self);
    cp_shell_publish(self->shell, "ocpp.state", msg);
    cp_msg_destroy(&msg);
    if (self->db)
        s_persist_session(self);
    s_pm_check_accepted(self);
}

static cp_msg_t *
s_clock_msg(ocpp_actor_t *self)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_CLOCK_OFFSET);
    if (msg) {
        cp_clock_steer_t steer;
        cp_clock_steer(self->clock, &steer);
        msg->u.clock_offset.offset_ms = steer.to_ms;
        msg->u.clock_offset.slew_from_ms = steer.from_ms;
        msg->u.clock_offset.slew_start_ms = steer.start_ms;
        msg->u.clock_offset.synced = self->clock_synced;
        msg->u.clock_offset.seq = cp_msg_seq_now();
    }
    return msg;
}

static void
s_publish_clock(ocpp_actor_t *self)
{
    cp_msg_t *msg = s_clock_msg(self);
    if (msg)
        cp_shell_publish(self->shell, "clock.offset", msg);
    cp_msg_destroy(&msg);
}

//  A security event (whitepaper chapter 8) for the security actor's durable
//  log, kept until it is there (security_raise.h).
static void
s_security_event(ocpp_actor_t *self, const char *type, const char *tech_info)
{
    if (self->security)
        security_raise(self->security, type, tech_info);
}

//  InvalidMessages, at most INVALID_PER_MINUTE a minute: a central system
//  (or whoever sits on the link) that floods us with garbage must not turn
//  every frame into a synchronous write of the security log and a
//  notification back. The last one allowed says so; every refusal is
//  still answered and logged here.
#define INVALID_PER_MINUTE 10
static void
s_invalid_message(ocpp_actor_t *self, const char *tech_info)
{
    int64_t now = s_now(self);
    if (now - self->invalid_window >= 60000) {
        self->invalid_window = now;
        self->invalid_count = 0;
    }
    if (self->invalid_count >= INVALID_PER_MINUTE)
        return;
    if (++self->invalid_count == INVALID_PER_MINUTE) {
        char info[255];
        snprintf(info, sizeof(info), "%.150s (more this minute are not logged)", tech_info);
        s_security_event(self, "InvalidMessages", info);
    }
    else
        s_security_event(self, "InvalidMessages", tech_info);
}

static void
s_persist_clock(ocpp_actor_t *self)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(self->db, "INSERT OR REPLACE INTO ocpp_clock (id, run_id, offset_ms) VALUES (1, ?, ?)",
                           -1, &stmt, NULL) != SQLITE_OK
    ||  sqlite3_bind_text(stmt, 1, self->options->run_id, -1, SQLITE_STATIC) != SQLITE_OK
    ||  sqlite3_bind_int64(stmt, 2, cp_clock_target_offset_ms(self->clock)) != SQLITE_OK
    ||  sqlite3_step(stmt) != SQLITE_DONE)
        //  Only a restart of this actor would miss it, until the next
        //  Heartbeat.conf brings the time again.
        cp_error("ocpp", "cannot persist the clock offset: %s", sqlite3_errmsg(self->db));
    sqlite3_finalize(stmt);
}

//  The central system's currentTime: a correction below CP_CLOCK_STEP_MS
//  is slewed, so timestamps never run backwards (a central system with
//  whole-second times disagrees with us by up to a second at every
//  Heartbeat); only a larger one is stepped, and said so.
static void
s_fx_set_wall_clock(void *ctx, int64_t wall_ms)
{
    ocpp_actor_t *self = ctx;
    int64_t target = cp_clock_offset_for_wall_ms(self->clock, wall_ms);
    if (self->clock_synced && llabs(target - cp_clock_target_offset_ms(self->clock)) < CLOCK_JITTER_MS)
        return;
    int64_t delta = target - cp_clock_offset_ms(self->clock);
    bool stepped = cp_clock_steer_to(self->clock, target);
    self->clock_synced = true;
    char text[32];
    cp_clock_format(wall_ms, text, sizeof(text));
    if (stepped) {
        cp_warn("ocpp", "clock stepped by %+lld ms to the central system's %s (offset %lld ms)",
                (long long) delta, text, (long long) target);
        char info[120];
        snprintf(info, sizeof(info), "stepped by %+lld ms to the central system's %s", (long long) delta, text);
        s_security_event(self, "SettingSystemTime", info);
    }
    else
        cp_info("ocpp", "clock slewing by %+lld ms towards the central system's %s (offset %lld ms, over %lld s)",
                (long long) delta, text, (long long) target,
                (long long) (llabs(delta) * 1000 / CP_CLOCK_SLEW_PERMILLE / 1000));
    s_persist_clock(self);
    s_publish_clock(self);
}

//  A late CALLRESULT goes to whoever sent the CALL (ocpp_core.h).
static void
s_fx_late(void *ctx, const char *requester, const char *action, const char *call_payload,
          const char *result_payload)
{
    ocpp_actor_t *self = ctx;
    if (streq(requester, "ocpp"))
        return;                     //  our own (triggered): nobody waits for it
    cp_msg_t *msg = cp_msg_new(CP_MSG_OCPP_LATE);
    if (msg)
        msg->u.ocpp_late.received_seq = cp_msg_seq_now();
    if (msg && cp_msg_set_str(msg->u.ocpp_late.action, action) == 0
    &&  cp_msg_set_text(&msg->u.ocpp_late.call_payload, call_payload) == 0
    &&  cp_msg_set_text(&msg->u.ocpp_late.result_payload, result_payload) == 0)
        cp_shell_request(self->shell, requester, msg);
    cp_msg_destroy(&msg);
}

static void
s_fx_interval_accepted(void *ctx, int seconds)
{
    ocpp_actor_t *self = ctx;
    cp_msg_t *msg = cp_msg_new(CP_MSG_CONFIG_SET);
    cp_msg_set_str(msg->u.config_set.key, "HeartbeatInterval");
    snprintf(msg->u.config_set.value, sizeof(msg->u.config_set.value), "%d", seconds);
    cp_msg_set_str(msg->u.config_set.origin, "ocpp");
    cp_shell_request(self->shell, "config", msg);
    cp_msg_destroy(&msg);
}

//  --------------------------------------------------------------------------
//  A05: the security profile migration (profile_migration.h)

static void
s_pm_persist(ocpp_actor_t *self)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(self->db, "INSERT OR REPLACE INTO ocpp_profile (id, committed, target) VALUES (1, ?, ?)",
                           -1, &stmt, NULL) != SQLITE_OK
    ||  sqlite3_bind_int(stmt, 1, self->pm.committed) != SQLITE_OK
    ||  sqlite3_bind_int(stmt, 2, self->pm.target) != SQLITE_OK
    ||  sqlite3_step(stmt) != SQLITE_DONE)
        cp_error("ocpp", "cannot persist the security profile migration: %s", sqlite3_errmsg(self->db));
    sqlite3_finalize(stmt);
}

//  Carry out what the migration core decided. why: the failure, if any.
static int s_pm_tick(cp_loop_t *loop, int timer_id, void *arg);

//  The migration's deadline is all its tick watches: one timer for it while
//  a migration runs, none while idle (a 1 s tick woke an idle charger).
static void
s_pm_arm(ocpp_actor_t *self)
{
    cp_shell_rearm(self->shell, &self->pm_timer,
                   self->pm.phase == PM_IDLE ? CP_SHELL_NEVER : self->pm.deadline - s_now(self),
                   s_pm_tick, self, "the profile migration's deadline is late");
}

static void
s_pm_effects(ocpp_actor_t *self, int fx, const char *why)
{
    s_pm_arm(self);
    if (fx & PM_FX_PERSIST)
        s_pm_persist(self);
    if (fx & PM_FX_COMMIT)
        cp_info("ocpp", "SecurityProfile %d works: the central system accepted the connection (A05)",
                self->pm.committed);
    if (fx & PM_FX_FALLBACK) {
        int to = self->pm.committed;
        cp_warn("ocpp", "SecurityProfile %d did not work (%s): falling back to %d (A05.FR.08)",
                (int) s_config_int(self, "SecurityProfile", 0), why && why[0] ? why : "no accepted connection in time",
                to);
        //  A local change: the only way the profile goes down (the config
        //  actor refuses it from the central system, A05.FR.01)
        cp_msg_t *msg = cp_msg_new(CP_MSG_CONFIG_SET);
        if (msg) {
            cp_msg_set_str(msg->u.config_set.key, "SecurityProfile");
            snprintf(msg->u.config_set.value, sizeof(msg->u.config_set.value), "%d", to);
            cp_msg_set_str(msg->u.config_set.origin, "local");
            cp_shell_request(self->shell, "config", msg);
        }
        cp_msg_destroy(&msg);
    }
}

static void
s_pm_start(ocpp_actor_t *self)
{
    int committed = -1, target = 0;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(self->db, "SELECT committed, target FROM ocpp_profile WHERE id = 1", -1, &stmt,
                           NULL) == SQLITE_OK
    &&  sqlite3_step(stmt) == SQLITE_ROW) {
        committed = sqlite3_column_int(stmt, 0);
        target = sqlite3_column_int(stmt, 1);
    }
    sqlite3_finalize(stmt);
    int configured = (int) s_config_int(self, "SecurityProfile", 0);
    int64_t bound = 1000 * s_config_int(self, "SecurityProfileMigrationTimeout", 60);
    int fx = pm_start(&self->pm, committed, target, configured, s_now(self), bound);
    if (self->pm.phase == PM_TRYING)
        cp_warn("ocpp", "SecurityProfile %d is still on trial (from %d): trying it again for %lld s",
                self->pm.target, self->pm.committed, (long long) (bound / 1000));
    s_pm_effects(self, fx, NULL);
}

static int
s_pm_tick(cp_loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    ocpp_actor_t *self = arg;
    self->pm_timer = 0;
    s_pm_effects(self, pm_tick(&self->pm, s_now(self)), NULL);
    return 0;
}

//  The link state may prove the profile on trial: connected and registered.
static void
s_pm_check_accepted(ocpp_actor_t *self)
{
    if (self->pm.phase == PM_TRYING && self->ws && ocpp_core_connection(self->core) == OCPP_CONN_CONNECTED
        && ocpp_core_registration(self->core) == OCPP_REG_ACCEPTED)
        s_pm_effects(self, pm_accepted(&self->pm, self->profile_applied), NULL);
}

//  --------------------------------------------------------------------------
//  Timer: one one-shot loop timer re-armed at the core's next deadline.

static int s_on_timer(cp_loop_t *loop, int timer_id, void *arg);

static void
s_rearm(ocpp_actor_t *self)
{
    int64_t next = ocpp_core_next_deadline(self->core);
    cp_shell_rearm(self->shell, &self->timer_id, next == INT64_MAX ? CP_SHELL_NEVER : next - s_now(self),
                   s_on_timer, self, "OCPP deadlines are late");
}

static void
s_send_error(ocpp_actor_t *self, const char *id, ocppj_error_t code, const char *why)
{
    char *text = ocppj_encode_error(id, code, why, NULL);
    if (text) {
        cp_info("ocpp", "CALLERROR %s for %s: %s", ocppj_error_name(code), id, why);
        s_fx_send(self, text);
        free(text);
    }
}

static int
s_on_timer(cp_loop_t *loop, int timer_id, void *arg)
{
    ocpp_actor_t *self = arg;
    self->timer_id = 0;
    ocpp_core_tick(self->core, s_now(self));
    s_rearm(self);
    return 0;
}

//  --------------------------------------------------------------------------
//  Inbound frames

static void
s_tr_boot(void *ctx)
{
    ocpp_actor_t *self = ctx;
    ocpp_core_trigger_boot(self->core, s_now(self));
}

static void
s_tr_heartbeat(void *ctx)
{
    ocpp_actor_t *self = ctx;
    ocpp_core_trigger_heartbeat(self->core, s_now(self));
}

static void
s_tr_forward(void *ctx, const char *actor, const char *message, int connector)
{
    ocpp_actor_t *self = ctx;
    cp_msg_t *msg = cp_msg_new(CP_MSG_TRIGGER);
    cp_msg_set_str(msg->u.trigger.message, message);
    msg->u.trigger.connector = connector;
    cp_shell_request(self->shell, actor, msg);
    cp_msg_destroy(&msg);
}

static void
s_tr_call(void *ctx, const char *action, json_t *payload)
{
    ocpp_actor_t *self = ctx;
    char *text = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    char reason[200];
    if (ocpp_core_submit(self->core, s_now(self), "ocpp", 0, action, text, reason, sizeof(reason)) != 0)
        cp_info("ocpp", "triggered %s not sent: %s", action, reason);
    free(text);
}

//  GetConfiguration from the actor's read-only configuration (routes.c),
//  written as text straight into the frame (get_configuration.c says why).
//  Every other local answer is checked against its Response schema before
//  it leaves; this one is valid by construction and checked as it is
//  written (a value that would break the schema is an InternalError, as
//  the schema check would make it). Builds with asserts (the sanitizer
//  runs of the tests) still parse it back and check it against the schema
//  as well, so a change that breaks the construction is caught there.
static void
s_get_configuration(ocpp_actor_t *self, ocppj_frame_t *frame)
{
    char code[40] = "", description[200] = "";
    jwriter_t *w = jwriter_new();
    int rc = -1;
    if (w) {
        ocppj_write_result_head(w, frame->id);
        rc = get_configuration_write(self->config, frame->payload, w, code, sizeof(code),
                                     description, sizeof(description));
        jwriter_raw(w, "]");
        if (rc == 0 && jwriter_failed(w))
            rc = -1;                //  out of memory closing the frame
    }
    if (rc != 0) {
        ocppj_error_t error = OCPPJ_INTERNAL_ERROR;
        if (code[0])
            ocppj_error_from_name(code, &error);
        cp_warn("ocpp", "GetConfiguration answered with %s: %s", code[0] ? code : "InternalError",
                description[0] ? description : "out of memory");
        s_send_error(self, frame->id, error, description[0] ? description : "out of memory");
        jwriter_destroy(&w);
        return;
    }
#ifndef NDEBUG
    json_t *sent = json_loads(jwriter_text(w), JSON_REJECT_DUPLICATES, NULL);
    char why[256] = "";
    assert(sent);
    assert(schema_set_validate(self->schemas, "GetConfigurationResponse", json_array_get(sent, 2),
                               why, sizeof(why)) == OCPPJ_OK);
    json_decref(sent);
#endif
    s_fx_send(self, jwriter_text(w));
    jwriter_destroy(&w);
}

//  Operations the ocpp actor answers itself: the answer leaves first, then
//  whatever it asked for (spec 5.17).
static void
s_answer_locally(ocpp_actor_t *self, ocppj_frame_t *frame)
{
    if (streq(frame->action, "GetConfiguration")) {
        s_get_configuration(self, frame);
        return;
    }
    trigger_deferred_t deferred = { 0 };
    json_t *response = NULL;
    if (streq(frame->action, "TriggerMessage"))
        response = trigger_message(frame->payload, self->options->connectors, ocpp_core_registration(self->core),
                                   &deferred);
    else
    if (streq(frame->action, "ExtendedTriggerMessage")) {
        char cpo_name[80] = "";
        config_store_get(self->config, "CpoName", cpo_name, sizeof(cpo_name));
        response = extended_trigger_message(frame->payload, self->options->connectors,
                                            ocpp_core_registration(self->core), cpo_name[0] != '\0', &deferred);
    }
    else
        response = data_transfer(frame->payload);
    char schema[80], why[256] = "";
    snprintf(schema, sizeof(schema), "%sResponse", frame->action);
    if (!response || schema_set_validate(self->schemas, schema, response, why, sizeof(why)) != OCPPJ_OK) {
        cp_error("ocpp", "invalid %s built (%s)", schema, why);
        s_send_error(self, frame->id, OCPPJ_INTERNAL_ERROR, "internal error building the response");
        json_decref(response);
        return;
    }
    char *out = ocppj_encode_result(frame->id, response);
    if (out)
        s_fx_send(self, out);
    free(out);
    json_decref(response);
    //  While Pending, exactly what was triggered may go out (spec 4.2).
    if (deferred.valid)
        ocpp_core_allow_triggered(self->core, s_now(self), deferred.message,
                                  trigger_message_count(&deferred, self->options->connectors));
    trigger_effects_t fx = { .boot = s_tr_boot, .heartbeat = s_tr_heartbeat, .forward = s_tr_forward,
                             .call = s_tr_call };
    trigger_message_run(&deferred, &fx, self);
}

static void
s_dispatch_call(ocpp_actor_t *self, ocppj_frame_t *frame)
{
    char why[256] = "";
    if (ocpp_core_registration(self->core) == OCPP_REG_REJECTED) {
        //  Spec 4.2.1: while Rejected the charge point SHALL NOT respond.
        cp_info("ocpp", "ignoring %s while registration is Rejected", frame->action);
        return;
    }
    if (!ocppj_action_known(frame->action)) {
        snprintf(why, sizeof(why), "unknown action '%.60s'", frame->action);
        s_send_error(self, frame->id, OCPPJ_NOT_IMPLEMENTED, why);
        return;
    }
    ocppj_error_t rc = schema_set_validate(self->schemas, frame->action, frame->payload, why, sizeof(why));
    if (rc != OCPPJ_OK) {
        s_send_error(self, frame->id, rc, why);
        char info[255];
        snprintf(info, sizeof(info), "%.40s: %.200s", frame->action, why);
        s_invalid_message(self, info);
        return;
    }
    const char *owner = ocpp_route_owner(frame->action);
    if (owner && streq(owner, "ocpp")) {
        s_answer_locally(self, frame);
        return;
    }
    if (!owner) {
        bool unsupported = ocpp_route_unsupported(frame->action);
        snprintf(why, sizeof(why), "%s is %s by this charge point", frame->action,
                 unsupported ? "not supported" : "not implemented yet");
        s_send_error(self, frame->id, unsupported ? OCPPJ_NOT_SUPPORTED : OCPPJ_NOT_IMPLEMENTED, why);
        return;
    }
    inbound_t *slot = NULL;
    for (int i = 0; i < INBOUND_MAX && !slot; i++)
        if (self->inbound[i].corr == 0)
            slot = &self->inbound[i];
    if (!slot) {
        s_send_error(self, frame->id, OCPPJ_INTERNAL_ERROR, "too many requests in progress");
        return;
    }
    char *payload = json_dumps(frame->payload, JSON_COMPACT);
    cp_msg_t *msg = cp_msg_new(CP_MSG_OCPP_INBOUND);
    cp_msg_set_str(msg->u.ocpp_inbound.action, frame->action);
    cp_msg_set_text(&msg->u.ocpp_inbound.payload, payload);
    msg->u.ocpp_inbound.received_seq = cp_msg_seq_now();
    free(payload);
    uint64_t corr = cp_shell_request_within(self->shell, owner, msg, INBOUND_TIMEOUT_MS);
    cp_msg_destroy(&msg);
    if (!corr) {
        s_send_error(self, frame->id, OCPPJ_INTERNAL_ERROR, "cannot reach the handler");
        return;
    }
    slot->corr = corr;
    snprintf(slot->id, sizeof(slot->id), "%s", frame->id);
    snprintf(slot->action, sizeof(slot->action), "%s", frame->action);
}

static void
s_on_result(ocpp_actor_t *self, ocppj_frame_t *frame)
{
    int64_t now = s_now(self);
    const char *action = ocpp_core_inflight_action(self->core, frame->id);
    const char *late = action ? NULL : ocpp_core_late_action(self->core, frame->id);
    if (late && frame->type == OCPPJ_CALLRESULT) {
        //  The answer to a CALL that timed out: still the central system's
        //  word, once it passes the schema like any answer.
        char schema[80], why[256] = "";
        snprintf(schema, sizeof(schema), "%sResponse", late);
        if (schema_set_validate(self->schemas, schema, frame->payload, why, sizeof(why)) == OCPPJ_OK)
            ocpp_core_on_late_result(self->core, frame->id, frame->payload);
        else {
            cp_warn("ocpp", "invalid late %s from the central system: %s", schema, why);
            char info[255];
            snprintf(info, sizeof(info), "%.40s: %.200s", schema, why);
            s_invalid_message(self, info);
        }
        return;
    }
    if (!action) {
        cp_warn("ocpp", "ignoring a late or unknown %s for id %s",
                frame->type == OCPPJ_CALLRESULT ? "CALLRESULT" : "CALLERROR", frame->id);
        return;
    }
    if (frame->type == OCPPJ_CALLERROR) {
        ocpp_core_on_result(self->core, now, frame->id, NULL, frame->error_code, frame->error_description);
        return;
    }
    char schema[80], why[256] = "";
    snprintf(schema, sizeof(schema), "%sResponse", action);
    ocppj_error_t rc = schema_set_validate(self->schemas, schema, frame->payload, why, sizeof(why));
    if (rc != OCPPJ_OK) {
        cp_warn("ocpp", "invalid %s from the central system: %s", schema, why);
        ocpp_core_on_result(self->core, now, frame->id, NULL, ocppj_error_name(rc), why);
        char info[255];
        snprintf(info, sizeof(info), "%.40s: %.200s", schema, why);
        s_invalid_message(self, info);
        return;
    }
    ocpp_core_on_result(self->core, now, frame->id, frame->payload, NULL, NULL);
}

//  A frame that failed to parse (rc, why): a CALL gets its CALLERROR
//  (never while Rejected), an answer to our CALL in flight completes it
//  as an error, anything else is dropped with a log line.
static void
s_refuse_frame(ocpp_actor_t *self, const ocppj_frame_t *frame, const char *id, ocppj_error_t rc, const char *why)
{
    if (frame->answer && ocpp_core_registration(self->core) != OCPP_REG_REJECTED)
        s_send_error(self, id, rc, why);
    else
    if ((frame->type == OCPPJ_CALLRESULT || frame->type == OCPPJ_CALLERROR) && frame->id[0]
        && ocpp_core_inflight_action(self->core, frame->id))
        ocpp_core_on_result(self->core, s_now(self), frame->id, NULL, ocppj_error_name(rc), why);
    else
        cp_warn("ocpp", "dropped a malformed frame: %s", why);
    s_invalid_message(self, why);
}

//  A frame that was too large to keep: only its head is left (total is
//  the size it had), enough to recover a CALL's id and refuse it.
static void
s_on_toolarge(ocpp_actor_t *self, const char *head, size_t head_len, size_t total)
{
    ocppj_frame_t frame;
    char id[OCPPJ_MAX_ID + 1] = "", why[256] = "";
    ocppj_error_t rc = ocppj_parse_oversize(head, head_len, total, MAX_FRAME, &frame, id, why, sizeof(why));
    s_refuse_frame(self, &frame, id, rc, why);
    ocppj_frame_clear(&frame);
}

static void
s_on_frame(ocpp_actor_t *self, const char *text, size_t len, size_t max_len)
{
    ocppj_frame_t frame;
    memset(&frame, 0, sizeof(frame));
    char id[OCPPJ_MAX_ID + 1] = "", why[256] = "";
    ocppj_error_t rc = ocppj_parse(text, len, max_len, &frame, id, why, sizeof(why));
    if (rc != OCPPJ_OK)
        s_refuse_frame(self, &frame, id, rc, why);
    else
    if (frame.type == OCPPJ_CALL)
        s_dispatch_call(self, &frame);
    else
        s_on_result(self, &frame);
    ocppj_frame_clear(&frame);
}

//  A failed connection attempt that is a security event: the central
//  system refused our credentials (HTTP 401) or its certificate did not
//  verify. Raised once per kind until a connection succeeds, not at every
//  retry of the back-off.
static void
s_link_security_event(ocpp_actor_t *self, const char *detail)
{
    const char *type = NULL;
    if (strncmp(detail, "HTTP 401", 8) == 0)
        type = "FailedToAuthenticateAtCentralSystem";
    else
    if (strstr(detail, "no common TLS version"))
        type = "InvalidTLSVersion";                 //  A00.FR.315/419
    else
    if (strstr(detail, "no common cipher suite"))
        type = "InvalidTLSCipherSuite";             //  A00.FR.322/426
    else
    if (strstr(detail, "certificate verify failed"))
        type = "InvalidCentralSystemCertificate";
    if (!type || streq(type, self->link_event))
        return;
    snprintf(self->link_event, sizeof(self->link_event), "%s", type);
    s_security_event(self, type, detail);
}

//  One event of the WebSocket client (wsclient.h), destroyed here.
static void
s_on_ws_event(ocpp_actor_t *self, cp_loop_t *loop, zmsg_t *msg)
{
    char *event = zmsg_popstr(msg);
    zframe_t *data = zmsg_pop(msg);
    int64_t now = s_now(self);
    const char *detail = "";
    char detail_buf[256] = "";
    if (data) {
        snprintf(detail_buf, sizeof(detail_buf), "%.*s", (int) zframe_size(data), (char *) zframe_data(data));
        detail = detail_buf;
    }
    if (!event)
        ;
    else
    if (streq(event, "frame") && data) {
        s_log_frame("←", (const char *) zframe_data(data), zframe_size(data));
        s_on_frame(self, (const char *) zframe_data(data), zframe_size(data), MAX_FRAME);
    }
    else
    if (streq(event, "toolarge")) {
        char *total_text = zmsg_popstr(msg);
        size_t total = total_text ? (size_t) strtoull(total_text, NULL, 10) : 0;
        zstr_free(&total_text);
        cp_warn("ocpp", "inbound message of %zu bytes (limit %d) refused", total, MAX_FRAME);
        if (data)
            s_on_toolarge(self, (const char *) zframe_data(data), zframe_size(data), total);
    }
    else
    if (streq(event, "ignored"))
        //  A protocol violation by the central system, not a broken link:
        //  the session goes on (see wsclient.c)
        cp_warn("ocpp", "ignored from the central system: %s", detail);
    else
    if (streq(event, "connecting")) {
        cp_info("ocpp", "connecting to %s", detail);
        ocpp_core_connecting(self->core, now);
    }
    else
    if (streq(event, "connected")) {
        self->link_event[0] = '\0';
        snprintf(self->link_root, sizeof(self->link_root), "%.64s", detail);
        cp_info("ocpp", "connected");
        ocpp_core_connected(self->core, now);
    }
    else
    if (streq(event, "disconnected")) {
        cp_warn("ocpp", "disconnected: %s", detail);
        ocpp_core_disconnected(self->core, now, detail);
        //  "reconfigured": the old link, closed to try the new settings
        if (!streq(detail, "reconfigured"))
            s_pm_effects(self, pm_link_failed(&self->pm, self->profile_applied, pm_reason_is_network(detail), now),
                         detail);
        if (self->trust_stale && !self->reconfigure_timer) {
            cp_info("ocpp", "new Central System roots: reconnecting with them");
            self->reconfigure_timer = cp_loop_timer(loop, RECONFIGURE_DELAY_MS, 1, s_on_reconfigure, self);
        }
    }
    else
    if (streq(event, "error")) {
        cp_warn("ocpp", "connection error: %s", detail);
        ocpp_core_connect_failed(self->core, now, detail);
        s_link_security_event(self, detail);
        s_pm_effects(self, pm_link_failed(&self->pm, self->profile_applied, pm_reason_is_network(detail), now),
                     detail);
    }
    zstr_free(&event);
    zframe_destroy(&data);
    zmsg_destroy(&msg);
}

//  The WebSocket runs on this actor's loop (wsclient_new_hosted): a frame
//  is read, answered and written on this thread, with no hop to another.
//  Turn the client, then take every event it raised (an event may stop
//  the client: then the rest went with it).
static void
s_ws_service(ocpp_actor_t *self, cp_loop_t *loop)
{
    wsclient_service(self->ws);
    zmsg_t *msg;
    bool any = false;
    while (self->ws && (msg = wsclient_event_recv(self->ws))) {
        s_on_ws_event(self, loop, msg);
        any = true;
    }
    if (any)
        s_rearm(self);
}

//  The client's descriptor is readable.
static int
s_on_ws_ready(cp_loop_t *loop, int fd, void *arg)
{
    (void) fd;
    ocpp_actor_t *self = arg;
    if (self->ws)
        s_ws_service(self, loop);
    return 0;
}

//  Before the loop waits: the client's work that is due now (what the
//  handlers sent, its timers), and how long it may wait.
static int
s_ws_before_wait(cp_loop_t *loop, void *arg, bool *worked)
{
    ocpp_actor_t *self = arg;
    if (!self->ws)
        return -1;
    int timeout = wsclient_timeout_ms(self->ws);
    if (timeout == 0) {
        s_ws_service(self, loop);
        *worked = true;
        timeout = self->ws ? wsclient_timeout_ms(self->ws) : -1;
    }
    return timeout;
}

//  --------------------------------------------------------------------------
//  Bus

static void
s_on_inbound_reply(ocpp_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    inbound_t *in = NULL;
    for (int i = 0; i < INBOUND_MAX && !in; i++)
        if (self->inbound[i].corr == env->corr)
            in = &self->inbound[i];
    if (!in)
        return;                     //  answered already (timed out)
    if (env->kind == CP_BUS_TIMEOUT)
        s_send_error(self, in->id, OCPPJ_INTERNAL_ERROR, "handler did not answer in time");
    else
    if (env->kind == CP_BUS_UNREACHABLE || !msg || msg->type != CP_MSG_OCPP_INBOUND_REPLY)
        s_send_error(self, in->id, OCPPJ_INTERNAL_ERROR, "handler not available");
    else
    if (msg->u.ocpp_inbound_reply.error_code[0]) {
        ocppj_error_t code = OCPPJ_INTERNAL_ERROR;
        ocppj_error_from_name(msg->u.ocpp_inbound_reply.error_code, &code);
        s_send_error(self, in->id, code, msg->u.ocpp_inbound_reply.error_description);
    }
    else {
        json_error_t jerr;
        const char *text = msg->u.ocpp_inbound_reply.payload ? msg->u.ocpp_inbound_reply.payload : "{}";
        json_t *payload = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
        char schema[80], why[256] = "";
        snprintf(schema, sizeof(schema), "%sResponse", in->action);
        if (!payload || schema_set_validate(self->schemas, schema, payload, why, sizeof(why)) != OCPPJ_OK) {
            cp_error("ocpp", "handler produced an invalid %s (%s): answering InternalError", schema,
                     payload ? why : jerr.text);
            s_send_error(self, in->id, OCPPJ_INTERNAL_ERROR, "internal error building the response");
        }
        else {
            char *out = ocppj_encode_result(in->id, payload);
            if (out)
                s_fx_send(self, out);
            free(out);
            const char *status = json_string_value(json_object_get(payload, "status"));
            if (streq(in->action, "Reset") && status && streq(status, "Accepted") && self->db) {
                self->resetting = true;
                s_persist_session(self);
            }
        }
        json_decref(payload);
    }
    memset(in, 0, sizeof(*in));
}

//  Stop dialling: OCPP switched off, or nothing to dial.
static void
s_stop_ws(ocpp_actor_t *self)
{
    if (self->ws)
        cp_loop_fd_end(cp_shell_loop(self->shell), wsclient_fd(self->ws));
    wsclient_destroy(&self->ws);
    memset(&self->active, 0, sizeof(self->active));
    memset(self->password, 0, sizeof(self->password));
}

//  Read the settings in force and make the WebSocket client match them:
//  start it, reconnect it with new settings, or stop it. Unchanged
//  settings leave a working connection alone.
static void
s_apply_ws_config(ocpp_actor_t *self)
{
    int64_t now = s_now(self);
    ocpp_settings_t wanted;
    char password[sizeof(self->password)] = "";
    if (ocpp_settings_read(self->config, &wanted) != CONFIG_STORE_OK
    ||  config_store_get(self->config, "AuthorizationKey", password, sizeof(password)) != CONFIG_STORE_OK) {
        cp_error("ocpp", "cannot read the connection settings: keeping the current ones");
        return;
    }
    int ping = (int) s_config_int(self, "WebSocketPingInterval", 60);
    char encoding[8] = "text";
    config_store_get(self->config, "AuthorizationKeyEncoding", encoding, sizeof(encoding));
    bool password_hex = streq(encoding, "hex");
    if (!wanted.enabled) {
        if (self->ws)
            cp_info("ocpp", "OCPP disabled: disconnecting");
        s_stop_ws(self);
        ocpp_core_disabled(self->core, now);
        memset(password, 0, sizeof(password));
        return;
    }
    if (!ocpp_settings_complete(&wanted)) {
        s_stop_ws(self);
        ocpp_core_connect_failed(self->core, now, wanted.url[0] ? "no charge point identity configured"
                                                                : "no central system URL configured");
        memset(password, 0, sizeof(password));
        return;
    }
    //  Security profile 3's client certificate: the one CertificateSigned
    //  installed (cp_cert_store.h), else the factory one (--client-cert).
    //  Presented only when the server asks for it, so with a wss:// link
    //  of any profile.
    char cert[PATH_MAX], key[PATH_MAX];
    if (!cp_cert_store_paths(self->options->state_dir, cert, key)) {
        snprintf(cert, sizeof(cert), "%s", self->options->client_cert);
        snprintf(key, sizeof(key), "%s", self->options->client_key);
    }
    //  The security profile decides the transport and the credentials:
    //  2 and 3 are TLS (a ws:// URL is dialled as wss://, same host, port
    //  and path: A05 moves a charger from 1 to 2 with nothing but the
    //  key), 3 authenticates with the client certificate instead of the
    //  password (whitepaper 2.5)
    int profile = (int) s_config_int(self, "SecurityProfile", 0);
    char url[OCPP_SETTINGS_URL_MAX + 2];
    size_t url_len = strnlen(wanted.url, sizeof(wanted.url) - 1);
    if (profile >= 2 && strncasecmp(wanted.url, "ws://", 5) == 0) {
        memcpy(url, "wss", 3);
        memcpy(url + 3, wanted.url + 2, url_len - 2);
        url[url_len + 1] = '\0';
    }
    else {
        memcpy(url, wanted.url, url_len);
        url[url_len] = '\0';
    }
    if (profile == 3)
        explicit_bzero(password, sizeof(password));
    //  The server certificate is verified against the installed
    //  CentralSystemRootCertificates and --ca-file (csms_trust.h)
    char bundle[PATH_MAX];
    csms_trust_bundle(self->options->state_dir, self->options->ca_file, bundle, sizeof(bundle));
    bool same_target = self->ws && streq(wanted.url, self->active.url)
                    && streq(wanted.identity, self->active.identity);
    if (same_target && streq(password, self->password) && ping == self->ping_interval_s
        && password_hex == self->password_hex && streq(cert, self->client_cert)
        && streq(bundle, self->ca_bundle) && streq(self->trust_seen, self->trust_applied)
        && profile == self->profile_applied) {
        memset(password, 0, sizeof(password));
        return;                     //  nothing the connection depends on changed
    }
    memcpy(self->password, password, sizeof(self->password));
    memset(password, 0, sizeof(password));
    wsclient_config_t cfg = {
        .url = url,
        .identity = wanted.identity,
        .password = self->password,
        .password_hex = password_hex,
        .ca_file = bundle[0] ? bundle : NULL,
        .client_cert = cert[0] ? cert : NULL,
        .client_key = key[0] ? key : NULL,
        .ping_interval_s = ping,
        .backoff_min_ms = 1000,
        .backoff_max_ms = 30000,
        .max_frame = MAX_FRAME,
    };
    if (!same_target && (self->ws || ocpp_core_connection(self->core) == OCPP_CONN_DISABLED))
        //  Another central system (or OCPP switched on again): register afresh.
        ocpp_core_reregister(self->core, now);
    int rc = 0;
    if (self->ws)
        rc = wsclient_reconfigure(self->ws, &cfg);
    else {
        self->ws = wsclient_new_hosted(&cfg);
        rc = -1;
        if (self->ws && cp_loop_fd(cp_shell_loop(self->shell), wsclient_fd(self->ws), s_on_ws_ready, self) == 0)
            rc = 0;
        else
            wsclient_destroy(&self->ws);
    }
    if (rc != 0) {
        //  The settings passed validation, so this is a start-up URL the
        //  client cannot dial (or memory): say so on the status.
        char shown[OCPP_SETTINGS_URL_MAX + 2];
        cp_log_redact_url(url, shown, sizeof(shown));
        cp_error("ocpp", "cannot connect to %s as %s: the WebSocket client refused the settings", shown,
                 wanted.identity);
        s_stop_ws(self);
        ocpp_core_connect_failed(self->core, now, "central system URL or identity refused");
        return;
    }
    self->active = wanted;
    if (!streq(cert, self->client_cert) && cert[0])
        cp_info("ocpp", "the link presents the Charge Point certificate %s when asked", cert);
    snprintf(self->client_cert, sizeof(self->client_cert), "%s", cert);
    if (!streq(bundle, self->ca_bundle) && strncmp(wanted.url, "wss://", 6) == 0)
        cp_info("ocpp", "the link verifies the central system with %s", bundle[0] ? bundle : "the system CA store");
    snprintf(self->ca_bundle, sizeof(self->ca_bundle), "%s", bundle);
    snprintf(self->trust_applied, sizeof(self->trust_applied), "%s", self->trust_seen);
    self->trust_stale = false;
    if (profile != self->profile_applied)
        cp_info("ocpp", "security profile %d: %s%s", profile, url,
                profile == 3 ? " with the Charge Point certificate" : profile >= 1 ? " with Basic authentication" : "");
    self->profile_applied = profile;
    self->ping_interval_s = ping;
    self->password_hex = password_hex;
}

//  New connection settings (OCPP settings, AuthorizationKey, ping interval)
//  apply by reconnecting — but only once the answers in progress, such as the
//  ChangeConfiguration.conf that carried the new key, have been written:
//  the old connection must deliver them first.
static int
s_on_reconfigure(cp_loop_t *loop, int timer_id, void *arg)
{
    ocpp_actor_t *self = arg;
    self->reconfigure_timer = 0;
    for (int i = 0; i < INBOUND_MAX; i++)
        if (self->inbound[i].corr) {
            self->reconfigure_timer = cp_loop_timer(loop, RECONFIGURE_DELAY_MS, 1, s_on_reconfigure, self);
            return 0;
        }
    cp_info("ocpp", "connection settings changed: applying them");
    s_apply_ws_config(self);
    return 0;
}

static void
s_handler(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, void *ctx)
{
    ocpp_actor_t *self = ctx;
    int64_t now = s_now(self);
    if (cp_bus_is_outcome(env)) {
        if (security_raise_outcome(self->security, env, msg))
            ;                       //  a security event taken (or to be sent again)
        else
        if (!msg || msg->type == CP_MSG_OCPP_INBOUND_REPLY || cp_bus_failed(env))
            s_on_inbound_reply(self, env, msg);
    }
    else
    if (env->kind == CP_BUS_REQUEST && msg->type == CP_MSG_OCPP_CALL) {
        char reason[200];
        if (ocpp_core_submit(self->core, now, env->peer, env->corr, msg->u.ocpp_call.action,
                             msg->u.ocpp_call.payload, reason, sizeof(reason)) != 0)
            s_fx_complete(self, env->peer, env->corr, "rejected", NULL, "", reason);
    }
    else
    if (env->kind == CP_BUS_REQUEST && msg->type == CP_MSG_SNAPSHOT_REQUEST) {
        //  Scope "clock" is a shell following the time (shell.h): the
        //  offset only. Everyone else gets the link state and the offset.
        if (!streq(msg->u.snapshot_request.scope, "clock")) {
            cp_msg_t *state = s_state_msg(self);
            cp_shell_reply(shell, env, state, false);
            cp_msg_destroy(&state);
        }
        cp_msg_t *clock = s_clock_msg(self);
        if (clock)
            cp_shell_reply(shell, env, clock, false);
        cp_msg_destroy(&clock);
        cp_shell_reply_status(shell, env, true, "");
    }
    else
    if (env->kind == CP_BUS_REQUEST)
        cp_shell_reply_status(shell, env, false, "ocpp: unsupported request");
    else
    if (env->kind == CP_BUS_EVENT && msg->type == CP_MSG_SECURITY_STATE) {
        //  A new Charge Point certificate (CertificateSigned): switch to it
        //  (A02.FR.08) on a new wss:// connection, once the answer that
        //  installed it is out (s_on_reconfigure waits for it).
        const char *serial = msg->u.security_state.cp_cert_serial;
        bool changed = self->cp_cert_seen && !streq(serial, self->cp_cert_serial);
        //  New CentralSystemRootCertificates: a link that is up stays (it
        //  was verified); the next connection trusts the new set. lws
        //  keeps its CA store per context, so a link that is down (or the
        //  next one that goes down) is rebuilt.
        const char *trust = msg->u.security_state.csms_trust;
        bool trust_changed = self->cp_cert_seen && !streq(trust, self->trust_seen);
        snprintf(self->trust_seen, sizeof(self->trust_seen), "%s", trust);
        if (!self->cp_cert_seen)
            snprintf(self->trust_applied, sizeof(self->trust_applied), "%s", trust);
        if (trust_changed && self->ws && !changed) {
            if (ocpp_core_connection(self->core) == OCPP_CONN_CONNECTED)
                self->trust_stale = true;
            else {
                cp_info("ocpp", "new Central System roots: reconnecting with them");
                if (self->reconfigure_timer)
                    cp_loop_timer_end(cp_shell_loop(shell), self->reconfigure_timer);
                self->reconfigure_timer = cp_loop_timer(cp_shell_loop(shell), RECONFIGURE_DELAY_MS, 1,
                                                      s_on_reconfigure, self);
            }
        }
        self->cp_cert_seen = true;
        snprintf(self->cp_cert_serial, sizeof(self->cp_cert_serial), "%s", serial);
        if (changed && serial[0] && strncmp(self->active.url, "wss://", 6) == 0) {
            cp_info("ocpp", "new Charge Point certificate (serial %s): reconnecting to present it", serial);
            //  Forces the reconnect even when the path stays the same
            self->client_cert[0] = '\0';
            if (self->reconfigure_timer)
                cp_loop_timer_end(cp_shell_loop(shell), self->reconfigure_timer);
            self->reconfigure_timer = cp_loop_timer(cp_shell_loop(shell), RECONFIGURE_DELAY_MS, 1,
                                                  s_on_reconfigure, self);
        }
    }
    else
    if (env->kind == CP_BUS_EVENT && msg->type == CP_MSG_CONFIG_CHANGED) {
        const char *key = msg->u.config_changed.key;
        if (streq(key, "HeartbeatInterval"))
            ocpp_core_set_heartbeat_interval(self->core, now, (int) s_config_int(self, key, 0));
        else
        if (streq(key, "MessageTimeout"))
            ocpp_core_set_call_timeout(self->core, 1000 * (int) s_config_int(self, key, 30));
        else
        if (streq(key, "SecurityProfile"))
            s_pm_effects(self, pm_configured(&self->pm, (int) s_config_int(self, key, 0), now), NULL);
        if (streq(key, "WebSocketPingInterval") || streq(key, "AuthorizationKey") || streq(key, "OcppEnabled")
        ||  streq(key, "AuthorizationKeyEncoding") || streq(key, "SecurityProfile")
        ||  streq(key, "CentralSystemUrl") || streq(key, "ChargePointIdentity")) {
            //  Counted from the last change: the status page saves its form
            //  as several keys, applied by one reconnect.
            if (self->reconfigure_timer)
                cp_loop_timer_end(cp_shell_loop(shell), self->reconfigure_timer);
            self->reconfigure_timer = cp_loop_timer(cp_shell_loop(shell), RECONFIGURE_DELAY_MS, 1,
                                                  s_on_reconfigure, self);
        }
    }
    s_rearm(self);
}

//  --------------------------------------------------------------------------

static void
s_restore_session(ocpp_actor_t *self)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(self->db, "SELECT run_id, registration, interval, boot_count FROM ocpp_session"
                           " WHERE id = 1", -1, &stmt, NULL) != SQLITE_OK)
        return;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        const char *run_id = (const char *) sqlite3_column_text(stmt, 0);
        const char *reg = (const char *) sqlite3_column_text(stmt, 1);
        if (run_id && reg && streq(run_id, self->options->run_id) && streq(reg, "Accepted")) {
            ocpp_core_restore(self->core, OCPP_REG_ACCEPTED, sqlite3_column_int(stmt, 2),
                              sqlite3_column_int64(stmt, 3));
            self->kept_accepted = true;
            self->kept_interval = sqlite3_column_int(stmt, 2);
            self->kept_boot_count = sqlite3_column_int64(stmt, 3);
            cp_info("ocpp", "restarted: registration Accepted earlier in this run is kept");
        }
    }
    sqlite3_finalize(stmt);
}

//  The offset learned earlier in this process run (another run may follow
//  a reboot that reset the host clock: its offset would be wrong).
static void
s_restore_clock(ocpp_actor_t *self)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(self->db, "SELECT run_id, offset_ms FROM ocpp_clock WHERE id = 1", -1, &stmt, NULL)
        != SQLITE_OK) {
        cp_error("ocpp", "cannot read the clock offset: %s", sqlite3_errmsg(self->db));
        return;
    }
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const char *run_id = (const char *) sqlite3_column_text(stmt, 0);
        if (run_id && streq(run_id, self->options->run_id)) {
            cp_clock_set_offset_ms(self->clock, sqlite3_column_int64(stmt, 1));
            self->clock_synced = true;
            cp_info("ocpp", "restarted: the central system's time (offset %lld ms) is kept",
                    (long long) cp_clock_offset_ms(self->clock));
        }
    }
    else
    if (rc != SQLITE_DONE)
        cp_error("ocpp", "cannot read the clock offset: %s", sqlite3_errmsg(self->db));
    sqlite3_finalize(stmt);
}

static int64_t
s_next_incarnation(ocpp_actor_t *self)
{
    int64_t n = 0;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(self->db, "INSERT INTO ocpp_incarnation VALUES (1, 1)"
                           " ON CONFLICT (id) DO UPDATE SET n = n + 1 RETURNING n", -1, &stmt, NULL) == SQLITE_OK
    &&  sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
    else
        cp_error("ocpp", "cannot advance the incarnation counter: %s", sqlite3_errmsg(self->db));
    sqlite3_finalize(stmt);
    //  Fall back to the clock so ids stay unique even if the store failed.
    return n > 0 ? n : cp_clock_wall_ms(self->clock);
}

//  The actor's tables: the registration and the clock offset kept across
//  its restarts within a run, the incarnation counter (message ids), the
//  security profile migration.
static const char s_schema[] =
    "CREATE TABLE IF NOT EXISTS ocpp_session (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " run_id TEXT NOT NULL, registration TEXT NOT NULL,"
    " interval INTEGER NOT NULL, boot_count INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ocpp_clock (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " run_id TEXT NOT NULL, offset_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ocpp_incarnation (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ocpp_profile (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " committed INTEGER NOT NULL, target INTEGER NOT NULL);";

const char *
ocpp_actor_schema(void)
{
    return s_schema;
}

void
ocpp_actor(zsock_t *pipe, void *args)
{
    cp_actor_args_t *actor_args = args;
    ocpp_actor_t self_;
    ocpp_actor_t *self = &self_;
    memset(self, 0, sizeof(*self));
    self->options = actor_args->options;
    self->clock = actor_args->clock;
    char err[256];
    self->shell = cp_shell_new(pipe, actor_args);
    if (self->shell)
        self->security = security_raise_new(self->shell, "ocpp");
    self->db = cp_store_open(self->options->state_dir, err, sizeof(err));
    if (self->db)
        self->config = config_store_open_reader(self->options, err, sizeof(err));
    if (!self->shell || !self->db || !self->config) {
        cp_error("ocpp", "cannot start: %s", !self->db || !self->config ? err : "no bus");
        goto done;
    }
    //  Not fatal: each use of a table copes with its failure (the ids fall
    //  back to the clock), and it is logged.
    cp_store_schema(self->db, s_schema);
    ocpp_core_config_t core_config = {
        .vendor = self->options->vendor, .model = self->options->model,
        .serial = self->options->serial, .firmware = self->options->firmware,
        .call_timeout_ms = 1000 * (int) s_config_int(self, "MessageTimeout", 30),
        .heartbeat_interval_s = (int) s_config_int(self, "HeartbeatInterval", 300),
        .boot_retry_s = 30,
    };
    ocpp_core_effects_t effects = {
        .send = s_fx_send, .complete = s_fx_complete, .state_changed = s_fx_state_changed,
        .set_wall_clock = s_fx_set_wall_clock, .interval_accepted = s_fx_interval_accepted,
        .late = s_fx_late,
    };
    self->core = ocpp_core_new(&core_config, &effects, self);
    if (!self->core)
        goto done;
    s_restore_session(self);
    s_restore_clock(self);
    self->profile_applied = -1;
    s_pm_start(self);
    cp_loop_before_wait(cp_shell_loop(self->shell), s_ws_before_wait, self);
    cp_shell_set_handler(self->shell, s_handler, self);
    cp_bus_subscribe(cp_shell_bus(self->shell), "config.changed");
    cp_bus_subscribe(cp_shell_bus(self->shell), "security.state");
    s_apply_ws_config(self);
    //  Dial now, before the rest of the start: the central system answers
    //  the WebSocket upgrade while the schemas compile (a few ms, on the
    //  way to BootNotification otherwise). No frame can arrive before the
    //  loop's next turn of the client, and by then they are compiled.
    if (self->ws)
        s_ws_service(self, cp_shell_loop(self->shell));
    //  Unique ids across restarts of this actor and of the process: a
    //  durable incarnation number prefixes the per-incarnation counter.
    //  Set before the loop turns, so before the first CALL; written after
    //  the dial, so its sync (and any wait for the write lock) overlaps
    //  the central system's answer.
    char id_prefix[22];
    snprintf(id_prefix, sizeof(id_prefix), "%llx", (unsigned long long) s_next_incarnation(self));
    ocpp_core_set_id_prefix(self->core, id_prefix);
    self->schemas = schema_set_new();
    if (!self->schemas) {
        cp_error("ocpp", "cannot start: no schemas");
        goto done;
    }
    s_fx_state_changed(self);
    s_publish_clock(self);          //  level-triggered: the offset in force
    s_rearm(self);
    cp_shell_run(self->shell);
done:
    security_raise_destroy(&self->security);
    s_stop_ws(self);
    ocpp_core_destroy(&self->core);
    schema_set_destroy(&self->schemas);
    config_store_destroy(&self->config);
    cp_store_close(&self->db);
    cp_shell_destroy(&self->shell);
}
