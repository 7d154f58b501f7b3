/* security_actor.c — the thin shell of the security actor (see
 * security_actor.h): it answers the certificate operations from their
 * files, appends events to the durable log and delivers the owed ones as
 * SecurityEventNotification, one in flight, in log order. A delivery that
 * fails (no answer, link lost, CALLERROR) is tried again after RETRY_MS
 * or as soon as the link is back; the row is marked sent only after the
 * CALLRESULT, so a crash resends at most the one in flight. A central
 * system that keeps answering one event with CALLERROR gets it
 * ATTEMPTS_MAX times (once when it answers NotImplemented or NotSupported:
 * it does not have the operation); then the event stays in the log,
 * marked sent, and the queue moves on (logged) instead of blocking every
 * later event.
 *
 * The Charge Point certificate (A02/A03): a SignChargePointCertificate
 * trigger from the ocpp actor (ExtendedTriggerMessage), or the daily check
 * (and the one at start) finding the certificate in use within a month of
 * its end (cp_cert_renewal_due), makes a CSR (sign_certificate.c) and
 * sends SignCertificate through the ocpp actor like any CALL; the answer
 * is only logged (A02's error handling: no automatic retry; a Rejected
 * CSR drops its key). CertificateSigned (certificate_signed.c) installs
 * the pair; "security.state" then carries the new serial, and the ocpp
 * actor reconnects to present it. The key is generated from a CTR_DRBG
 * seeded from mbedTLS's entropy source (getrandom on Linux), and no key
 * ever reaches a log line, the status or an event.
 */
#include "actors/security/security_actor.h"

#include <assert.h>
#include <jansson.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <stdio.h>
#include <string.h>
#include "actors/config/config_store.h"
#include "actors/security/csms_trust.h"
#include "actors/security/root_rotation.h"
#include "actors/security/security_events.h"
#include "actors/security/security_log.h"
#include "actors/security/security_ops.h"
#include "actors/security/security_store.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"
#include "supervisor/store.h"

#define LOG "security"
#define RETRY_MS 10000
#define ATTEMPTS_MAX 5
#define DEADLINE_SLACK_MS 5000
//  How often the Charge Point certificate's end is looked at (A03.FR.02).
#define RENEWAL_CHECK_MS (24 * 3600 * 1000LL)
#define CHAIN_FILE_MAX 16384

typedef struct {
    cp_shell_t *shell;
    cp_clock_t *clock;
    const cp_options_t *options;
    sqlite3 *db;
    config_store_t *config;
    security_store_t *store;
    security_log_bound_t bound;    //  SecurityLogWasCleared's episode (security_log.h)
    bool online;                   //  connected and Accepted
    bool connected;                //  the link is up (for the certificate in use)
    int64_t seen_ocpp;
    uint64_t sending;              //  corr of the notification in flight, 0 = none
    int64_t sending_seq;
    int64_t retry_at;              //  mono ms: not before (0 = now)
    //  The log had nothing owed when last asked, and nothing was logged
    //  since: no need to ask the store again.
    bool none_owed;
    int due_timer;                 //  the one-shot at the next deadline (s_rearm), 0 = none
    int64_t attempt_seq;           //  the row attempts count for
    int attempts;
    int64_t published[3];          //  certificates, logged, owed last published (-1: never)
    char published_cert[96];       //  the Charge Point certificate / CSR / trust state last published
    char trust_digest[CSMS_TRUST_DIGEST_LEN + 1];  //  the roots the wss:// link trusts
    char link_root[65];            //  the trust anchor of the wss:// link up now (ocpp.state)
    //  the Charge Point certificate
    cp_cert_store_t *cp_certs;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    bool rng_ready;
    bool has_cp_cert;              //  one is in use (installed, or --client-cert)
    cp_cert_leaf_t cp_cert;        //  ... and what it is
    uint64_t csr_corr;             //  the SignCertificate in flight, 0 = none
    int64_t renewal_check_at;      //  mono ms of the next A03 check (0 = as soon as online)
} security_actor_t;

static int64_t s_mono(security_actor_t *self) { return cp_clock_mono_ms(self->clock); }

//  --------------------------------------------------------------------------
//  The level-triggered state for `cpctl status`

static cp_msg_t *
s_state_msg(security_actor_t *self)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_SECURITY_STATE);
    if (!msg)
        return NULL;
    msg->u.security_state.certificates = security_store_cert_count(self->store);
    msg->u.security_state.events_logged = security_store_log_count(self->store, false);
    msg->u.security_state.events_owed = security_store_log_count(self->store, true);
    if (self->has_cp_cert) {
        cp_msg_set_str(msg->u.security_state.cp_cert_serial, self->cp_cert.serial);
        msg->u.security_state.cp_cert_not_after = self->cp_cert.not_after_ms;
    }
    msg->u.security_state.csr_pending = cp_cert_store_has_pending(self->cp_certs);
    cp_msg_set_str(msg->u.security_state.csms_trust, self->trust_digest);
    msg->u.security_state.seq = cp_msg_seq_now();
    return msg;
}

//  Published when a count changed (and at start: published starts at -1).
static void
s_publish_state(security_actor_t *self)
{
    cp_msg_t *msg = s_state_msg(self);
    if (!msg)
        return;
    const cp_msg_security_state_t *st = &msg->u.security_state;
    int64_t now[3] = { st->certificates, st->events_logged, st->events_owed };
    char cert[96];
    snprintf(cert, sizeof(cert), "%s/%lld/%d/%s", st->cp_cert_serial, (long long) st->cp_cert_not_after,
             st->csr_pending, st->csms_trust);
    if ((memcmp(now, self->published, sizeof(now)) != 0 || !streq(cert, self->published_cert))
    &&  cp_shell_publish(self->shell, "security.state", msg) == 0) {
        memcpy(self->published, now, sizeof(now));
        snprintf(self->published_cert, sizeof(self->published_cert), "%s", cert);
    }
    cp_msg_destroy(&msg);
}

//  --------------------------------------------------------------------------
//  The queue

//  A CALL to the central system through the ocpp actor, answered within
//  MessageTimeout (plus the slack for the hops). payload is taken (may be
//  NULL: nothing is sent). The request's correlation, 0 when not sent.
static uint64_t
s_call(security_actor_t *self, const char *action, json_t *payload)
{
    char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    json_decref(payload);
    cp_msg_t *call = cp_msg_new(CP_MSG_OCPP_CALL);
    uint64_t corr = 0;
    if (call && text) {
        cp_msg_set_str(call->u.ocpp_call.action, action);
        cp_msg_set_text(&call->u.ocpp_call.payload, text);
        int64_t timeout = 1000 * config_store_get_int(self->config, "MessageTimeout", 30) + DEADLINE_SLACK_MS;
        corr = cp_shell_request_within(self->shell, "ocpp", call, timeout);
    }
    cp_msg_destroy(&call);
    free(text);
    return corr;
}

static void
s_send_next(security_actor_t *self)
{
    if (!self->online || self->sending || self->none_owed || s_mono(self) < self->retry_at)
        return;
    security_event_row_t row;
    int found = security_store_log_head(self->store, &row);
    self->none_owed = found == 0;           //  until the next event is logged
    if (found != 1)
        return;
    char stamp[40];
    cp_clock_format(row.at_ms, stamp, sizeof(stamp));
    json_t *payload = row.tech_info[0]
        ? json_pack("{s:s, s:s, s:s}", "type", row.type, "timestamp", stamp, "techInfo", row.tech_info)
        : json_pack("{s:s, s:s}", "type", row.type, "timestamp", stamp);
    uint64_t corr = s_call(self, "SecurityEventNotification", payload);
    if (!corr) {
        self->retry_at = s_mono(self) + RETRY_MS;
        return;
    }
    self->sending = corr;
    self->sending_seq = row.seq;
    if (self->attempt_seq != row.seq) {
        self->attempt_seq = row.seq;
        self->attempts = 0;
    }
}

static void
s_on_sent(security_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    int64_t seq = self->sending_seq;
    self->sending = 0;
    const char *outcome = cp_bus_failed(env) || !msg || msg->type != CP_MSG_OCPP_RESULT
        ? "not delivered" : msg->u.ocpp_result.outcome;
    if (streq(outcome, "result")) {
        if (security_store_log_mark_sent(self->store, seq) != 0)
            self->retry_at = s_mono(self) + RETRY_MS;   //  sent again later: at least once
        else
            self->retry_at = 0;
        s_send_next(self);
        s_publish_state(self);
        return;
    }
    bool refused = streq(outcome, "error");
    //  A central system without the operation will never take it.
    bool never = refused && (streq(msg->u.ocpp_result.error_code, "NotImplemented")
                          || streq(msg->u.ocpp_result.error_code, "NotSupported"));
    if (refused && (never || ++self->attempts >= ATTEMPTS_MAX)) {
        cp_warn(LOG, "security event %lld refused %d times (%s): kept in the log, not sent again",
                (long long) seq, self->attempts, msg->u.ocpp_result.error_code);
        security_store_log_mark_sent(self->store, seq);
        self->retry_at = 0;
        s_send_next(self);
        s_publish_state(self);
        return;
    }
    cp_info(LOG, "security event %lld %s: again in %d s", (long long) seq,
            refused ? "refused" : outcome, RETRY_MS / 1000);
    self->retry_at = s_mono(self) + RETRY_MS;
}

//  Append to the log (durable before anyone is told ok). 0 or -1.
static int
s_raise(security_actor_t *self, const char *type, const char *tech_info)
{
    bool cleared = false;
    if (security_log_append(self->store, &self->bound, type, tech_info, cp_clock_wall_ms(self->clock),
                            &cleared) != 0) {
        cp_error(LOG, "security event %s not logged: store failure", type);
        return -1;
    }
    self->none_owed = false;
    if (cleared)
        cp_warn(LOG, "security log full (%d): undelivered events dropped, oldest first (SecurityLogWasCleared)",
                SECURITY_LOG_MAX);
    cp_info(LOG, "security event %s%s%s", type, tech_info && tech_info[0] ? ": " : "", tech_info ? tech_info : "");
    s_send_next(self);
    s_publish_state(self);
    return 0;
}

static void
s_on_security_event(security_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_security_event_t *ev)
{
    if (!security_event_find(ev->type)) {
        cp_warn(LOG, "'%s' is not a security event of the whitepaper: refused", ev->type);
        cp_shell_reply_status(self->shell, env, false, "unknown security event type");
        return;
    }
    bool ok = s_raise(self, ev->type, ev->tech_info) == 0;
    cp_shell_reply_status(self->shell, env, ok, ok ? "" : "store failure");
}

//  --------------------------------------------------------------------------
//  The Charge Point certificate (A02/A03)

//  The CN of the CSR: the serial number (A00.FR.511); a charger configured
//  without one uses its Charge Point Identity, which is unique too.
static const char *
s_serial(security_actor_t *self)
{
    return self->options->serial[0] ? self->options->serial : self->options->id;
}

//  The certificate in use: the one CertificateSigned installed, else the
//  factory one (--client-cert).
static void
s_load_cp_cert(security_actor_t *self)
{
    self->has_cp_cert = false;
    char *pem = malloc(CHAIN_FILE_MAX);
    if (!pem)
        return;
    bool got = cp_cert_store_get_chain(self->cp_certs, pem, CHAIN_FILE_MAX) == 0;
    if (!got && self->options->client_cert[0])
        got = cp_cert_store_read(self->options->client_cert, pem, CHAIN_FILE_MAX) == 0;
    self->has_cp_cert = got && cp_cert_read_leaf(pem, &self->cp_cert) == 0;
    free(pem);
}

static void
s_send_csr(security_actor_t *self, const char *why)
{
    if (self->csr_corr) {
        cp_info(LOG, "%s: a SignCertificate is on its way already", why);
        return;
    }
    if (!self->rng_ready) {
        cp_error(LOG, "%s: no random generator: no CSR", why);
        return;
    }
    char cpo_name[80] = "";
    config_store_get(self->config, "CpoName", cpo_name, sizeof(cpo_name));
    security_ops_ctx_t ctx = {
        .store = self->store,
        .cp_certs = self->cp_certs,
        .serial = s_serial(self),
        .cpo_name = cpo_name,
        .rng = mbedtls_ctr_drbg_random,
        .p_rng = &self->drbg,
    };
    json_t *payload = sign_certificate(&ctx);
    if (!payload) {
        cp_warn(LOG, "%s: %s", why, ctx.reason);
        return;
    }
    uint64_t corr = s_call(self, "SignCertificate", payload);
    if (!corr) {
        cp_warn(LOG, "%s: SignCertificate not sent (the ocpp actor is not reachable)", why);
        return;
    }
    self->csr_corr = corr;
    char sent[32];
    snprintf(sent, sizeof(sent), "%lld", (long long) cp_clock_wall_ms(self->clock));
    security_store_meta_set(self->store, "csr_sent_ms", sent);
    cp_info(LOG, "%s: SignCertificate sent: %s", why, ctx.reason);
    s_publish_state(self);
}

//  SignCertificate.conf: only logged. Rejected (A02.FR.12) or refused: the
//  key is dropped; no answer at all: the central system may still have the
//  CSR, so its key stays, and the daily check may try again.
static void
s_on_csr_sent(security_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    self->csr_corr = 0;
    const char *outcome = cp_bus_failed(env) || !msg || msg->type != CP_MSG_OCPP_RESULT
        ? "not delivered" : msg->u.ocpp_result.outcome;
    if (streq(outcome, "result")) {
        json_t *answer = json_loads(msg->u.ocpp_result.payload ? msg->u.ocpp_result.payload : "{}", 0, NULL);
        const char *status = json_string_value(json_object_get(answer, "status"));
        bool accepted = status && streq(status, "Accepted");
        if (accepted)
            cp_info(LOG, "SignCertificate Accepted: waiting for CertificateSigned");
        else {
            cp_warn(LOG, "SignCertificate %s: the CSR's key is dropped", status ? status : "answered");
            cp_cert_store_drop_pending(self->cp_certs);
        }
        json_decref(answer);
    }
    else
    if (streq(outcome, "error") || streq(outcome, "rejected")) {
        cp_warn(LOG, "SignCertificate %s (%s): the CSR's key is dropped", outcome, msg->u.ocpp_result.error_code);
        cp_cert_store_drop_pending(self->cp_certs);
        security_store_meta_set(self->store, "csr_sent_ms", "");
    }
    else {
        cp_warn(LOG, "SignCertificate %s: its key is kept for a late CertificateSigned", outcome);
        security_store_meta_set(self->store, "csr_sent_ms", "");
    }
    s_publish_state(self);
}

//  A03.FR.02: once a day, and as soon as the charger is first registered
//  after a start, renew a certificate that ends within a month. The
//  check is logged (debug) either way: tests wait for it.
static void
s_check_renewal(security_actor_t *self)
{
    if (!self->online || s_mono(self) < self->renewal_check_at)
        return;
    self->renewal_check_at = s_mono(self) + RENEWAL_CHECK_MS;
    char sent[32] = "", until[40] = "", why[120];
    security_store_meta_get(self->store, "csr_sent_ms", sent, sizeof(sent));
    if (self->has_cp_cert)
        cp_clock_format(self->cp_cert.not_after_ms, until, sizeof(until));
    if (!cp_cert_renewal_due(self->has_cp_cert, self->cp_cert.not_after_ms, sent[0] ? atoll(sent) : 0,
                             cp_clock_wall_ms(self->clock))) {
        cp_debug(LOG, "certificate renewal check (A03): not due (%s%s%s)",
                 self->has_cp_cert ? "in use until " : "no Charge Point certificate", until,
                 sent[0] ? ", a CSR is pending" : "");
        return;
    }
    snprintf(why, sizeof(why), "certificate renewal check (A03): the Charge Point certificate ends %s", until);
    s_send_csr(self, why);
}

//  --------------------------------------------------------------------------
//  Certificate operations

//  Export the installed CentralSystemRootCertificates (with --ca-file) as
//  the wss:// link's trust (csms_trust.h): at start and after every change.
static void
s_export_trust(security_actor_t *self)
{
    security_cert_t roots[SECURITY_CERT_STORE_MAX];
    int count = security_store_certs(self->store, "CentralSystemRootCertificate", roots, SECURITY_CERT_STORE_MAX);
    if (count < 0) {
        cp_error(LOG, "cannot read the Central System roots: the link's trust is unchanged");
        return;
    }
    char digest[CSMS_TRUST_DIGEST_LEN + 1], err[300];
    if (csms_trust_write(self->options->state_dir, self->options->ca_file, roots, count, digest, sizeof(digest),
                         err, sizeof(err)) != 0)
        cp_error(LOG, "the wss:// trust was not updated: %s", err);
    else
    if (!streq(digest, self->trust_digest)) {
        snprintf(self->trust_digest, sizeof(self->trust_digest), "%s", digest);
        if (count)
            cp_info(LOG, "the wss:// link trusts %d installed CentralSystemRootCertificate%s%s", count,
                    count == 1 ? "" : "s", self->options->ca_file[0] ? " and --ca-file" : "");
        else
            cp_info(LOG, "no CentralSystemRootCertificate installed: the wss:// link trusts %s",
                    self->options->ca_file[0] ? "--ca-file alone" : "the system CA store");
    }
    security_store_free_certs(roots, count);
    //  And the ManufacturerRootCertificates, which verify signed firmware
    count = security_store_certs(self->store, "ManufacturerRootCertificate", roots, SECURITY_CERT_STORE_MAX);
    if (count < 0 || csms_trust_write_manufacturer(self->options->state_dir, roots, count, err, sizeof(err)) != 0)
        cp_error(LOG, "the ManufacturerRootCertificates were not exported: %s", count < 0 ? "store failure" : err);
    if (count > 0)
        security_store_free_certs(roots, count);
}

//  The whitepaper's operations the central system calls, one file each
//  (security_ops.h).
static const struct {
    const char *action;
    json_t *(*handle)(security_ops_ctx_t *ctx, const json_t *request);
} s_operations[] = {
    { "InstallCertificate", install_certificate },
    { "GetInstalledCertificateIds", get_installed_certificate_ids },
    { "DeleteCertificate", delete_certificate },
    { "CertificateSigned", certificate_signed },
};

static void
s_on_inbound(security_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_ocpp_inbound_t *in)
{
    json_t *request = json_loads(in->payload ? in->payload : "{}", 0, NULL);
    char url[600] = "";
    if (config_store_get(self->config, "CentralSystemUrl", url, sizeof(url)) != 0 || !url[0])
        snprintf(url, sizeof(url), "%s", self->options->csms_url);
    security_ops_ctx_t ctx = {
        .store = self->store,
        .store_max = config_store_get_int(self->config, "CertificateStoreMaxLength", SECURITY_CERT_STORE_MAX),
        .additional_root_check = config_store_get_bool(self->config, "AdditionalRootCertificateCheck", false),
        .ca_file = self->options->ca_file,
        .tls_connected = self->connected && strncmp(url, "wss://", 6) == 0,
        .link_root = self->link_root,
        .now_ms = cp_clock_wall_ms(self->clock),
        .cp_certs = self->cp_certs,
        .serial = s_serial(self),
        .chain_max = config_store_get_int(self->config, "CertificateSignedMaxChainSize", CP_CERT_CHAIN_SCHEMA_MAX),
        .rng = mbedtls_ctr_drbg_random,
        .p_rng = &self->drbg,
    };
    if (ctx.store_max > SECURITY_CERT_STORE_MAX)
        ctx.store_max = SECURITY_CERT_STORE_MAX;
    json_t *response = NULL;
    for (size_t i = 0; i < sizeof(s_operations) / sizeof(s_operations[0]); i++)
        if (streq(in->action, s_operations[i].action))
            response = s_operations[i].handle(&ctx, request);
    //  The link's trust follows the roots before the answer goes out: a
    //  central system that installs a root and then raises SecurityProfile
    //  finds the prerequisite met (A05.FR.03)
    if (ctx.changed && !streq(in->action, "CertificateSigned"))
        s_export_trust(self);
    int sent = cp_shell_reply_ocpp(self->shell, env, LOG, in->action, response, ctx.reason);
    json_decref(response);
    json_decref(request);
    if (ctx.event)
        s_raise(self, ctx.event, ctx.reason);     //  A02.FR.07, even if the answer was lost
    if (ctx.changed && streq(in->action, "CertificateSigned")) {
        s_load_cp_cert(self);
        security_store_meta_set(self->store, "csr_sent_ms", "");
    }
    if (sent != 0)
        return;
    if (ctx.changed) {
        s_publish_state(self);
        char info[300];
        snprintf(info, sizeof(info), "%s: %s", in->action, ctx.reason);
        s_raise(self, "ReconfigurationOfSecurityParameters", info);
    }
}

//  --------------------------------------------------------------------------
//  Events and the loop

//  AdditionalRootCertificateCheck: a wss:// link verified under the root
//  in force retires the fallback it replaced (M05.FR.12, root_rotation.h).
static void
s_retire_fallback(security_actor_t *self)
{
    if (!self->connected || !self->link_root[0]
    ||  !config_store_get_bool(self->config, "AdditionalRootCertificateCheck", false))
        return;
    security_cert_t roots[SECURITY_CERT_STORE_MAX];
    int count = security_store_certs(self->store, "CentralSystemRootCertificate", roots, SECURITY_CERT_STORE_MAX);
    if (count < 0)
        return;
    bool drop = root_rotation_drop_fallback(roots, count, self->link_root);
    for (int i = 0; drop && i < count - 1; i++)
        if (security_store_cert_delete(self->store, roots[i].id) != 0)
            cp_error(LOG, "the fallback CentralSystemRootCertificate (serial %s) could not be removed",
                     roots[i].hash.serial_number);
        else
            cp_info(LOG, "the link is verified under the new root: the fallback root (serial %s) is removed"
                    " (M05.FR.12)", roots[i].hash.serial_number);
    security_store_free_certs(roots, count);
    if (drop)
        s_export_trust(self);
}

static void
s_on_ocpp_state(security_actor_t *self, const cp_msg_ocpp_state_t *st)
{
    self->connected = streq(st->connection, "connected");
    snprintf(self->link_root, sizeof(self->link_root), "%s", st->link_root);
    bool online = self->connected && streq(st->registration, "Accepted");
    if (online && !self->online)
        self->retry_at = 0;         //  back online: owed events at once
    self->online = online;
    s_send_next(self);
    s_check_renewal(self);
    s_retire_fallback(self);
}

static void
s_on_config_changed(security_actor_t *self, const cp_msg_config_changed_t *changed)
{
    const char *key = changed->key;
    if (streq(key, "SecurityProfile") || streq(key, "AuthorizationKey") || streq(key, "AuthorizationKeyEncoding")
    ||  streq(key, "CpoName") || streq(key, "AdditionalRootCertificateCheck")) {
        //  The key's name only: the AuthorizationKey's value never leaves
        //  the config store.
        char info[80];
        snprintf(info, sizeof(info), "%s changed", key);
        s_raise(self, "ReconfigurationOfSecurityParameters", info);
    }
}

static int s_on_due(cp_loop_t *loop, int timer_id, void *arg);

//  Sleep until the next thing falls due: the owed events' next send (now,
//  or the retry after a failure) and the certificate renewal check, both
//  only while online; offline, or with nothing owed and nothing in flight,
//  nothing is due until an event changes that. Called after every event
//  and every deadline: an idle actor does not wake (issue 12).
static void
s_rearm(security_actor_t *self)
{
    int64_t now = s_mono(self);
    int64_t next = INT64_MAX;
    if (self->online) {
        if (!self->sending && !self->none_owed)
            next = self->retry_at;
        if (self->renewal_check_at < next)
            next = self->renewal_check_at;
    }
    cp_shell_rearm(self->shell, &self->due_timer, next == INT64_MAX ? CP_SHELL_NEVER : next - now, s_on_due,
                   self, "security events and the certificate renewal check are late");
}

static int
s_on_due(cp_loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    security_actor_t *self = arg;
    self->due_timer = 0;
    s_send_next(self);
    s_check_renewal(self);
    s_rearm(self);
    return 0;
}

static void s_handle(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, security_actor_t *self);

static void
s_handler(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, void *ctx)
{
    security_actor_t *self = ctx;
    s_handle(shell, env, msg, self);
    s_rearm(self);
}

static void
s_handle(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, security_actor_t *self)
{
    if (env->kind == CP_BUS_EVENT || env->kind == CP_BUS_PARTIAL) {
        if (!msg)
            return;
        if (msg->type == CP_MSG_OCPP_STATE && !cp_msg_stale(msg->u.ocpp_state.seq, &self->seen_ocpp))
            s_on_ocpp_state(self, &msg->u.ocpp_state);
        else
        if (msg->type == CP_MSG_CONFIG_CHANGED)
            s_on_config_changed(self, &msg->u.config_changed);
        return;
    }
    if (cp_bus_is_outcome(env)) {
        if (self->sending && env->corr == self->sending)
            s_on_sent(self, env, msg);
        else
        if (self->csr_corr && env->corr == self->csr_corr)
            s_on_csr_sent(self, env, msg);
        return;
    }
    if (env->kind != CP_BUS_REQUEST || !msg)
        return;
    switch (msg->type) {
        case CP_MSG_OCPP_INBOUND:   s_on_inbound(self, env, &msg->u.ocpp_inbound); break;
        case CP_MSG_SECURITY_EVENT: s_on_security_event(self, env, &msg->u.security_event); break;
        case CP_MSG_TRIGGER:
            //  ExtendedTriggerMessage SignChargePointCertificate, answered
            //  Accepted already: the CSR follows the answer (A02.FR.02).
            if (streq(msg->u.trigger.message, "SignChargePointCertificate")) {
                cp_shell_reply_status(shell, env, true, "");
                s_send_csr(self, "ExtendedTriggerMessage SignChargePointCertificate");
            }
            else
                cp_shell_reply_status(shell, env, false, "security: nothing to trigger by that name");
            break;
        case CP_MSG_SNAPSHOT_REQUEST: {
            cp_msg_t *state = s_state_msg(self);
            if (state)
                cp_shell_reply(shell, env, state, false);
            cp_msg_destroy(&state);
            cp_shell_reply_status(shell, env, true, "");
            break;
        }
        default: cp_shell_reply_status(shell, env, false, "security: unsupported request"); break;
    }
}

//  StartupOfTheDevice once per controller start: an actor restart within
//  the same run is not a boot. FirmwareUpdated when this start runs
//  another firmware than the start before (an UpdateFirmware install, or
//  an image put in place on site): the firmware actor's own report is
//  FirmwareStatusNotification, this is the security log's record of it.
static void
s_startup(security_actor_t *self)
{
    char last[64];
    if (security_store_meta_get(self->store, "last_run", last, sizeof(last)) != 0
    ||  streq(last, self->options->run_id))
        return;
    char was[64];
    const char *now = self->options->firmware;
    if (security_store_meta_get(self->store, "firmware", was, sizeof(was)) == 0 && was[0] && !streq(was, now)) {
        char info[160];
        snprintf(info, sizeof(info), "firmware %.60s replaced by %.60s", was, now);
        if (s_raise(self, "FirmwareUpdated", info) != 0)
            return;                 //  tried again at the next start
    }
    security_store_meta_set(self->store, "firmware", now);
    if (s_raise(self, "StartupOfTheDevice", "") == 0)
        security_store_meta_set(self->store, "last_run", self->options->run_id);
}

void
security_actor(zsock_t *pipe, void *args)
{
    cp_actor_args_t *actor_args = args;
    assert(actor_args && actor_args->options);
    security_actor_t self_;
    security_actor_t *self = &self_;
    memset(self, 0, sizeof(*self));
    self->published[0] = self->published[1] = self->published[2] = -1;
    self->options = actor_args->options;
    self->clock = actor_args->clock;
    char err[256] = "";
    self->shell = cp_shell_new(pipe, actor_args);
    self->db = cp_store_open(self->options->state_dir, err, sizeof(err));
    if (self->db) {
        self->config = config_store_open_reader(self->options, err, sizeof(err));
        self->store = security_store_new(self->db);
    }
    if (self->store)
        self->cp_certs = cp_cert_store_new(self->options->state_dir, err, sizeof(err));
    mbedtls_entropy_init(&self->entropy);
    mbedtls_ctr_drbg_init(&self->drbg);
    static const char personal[] = "chargepointd security";
    self->rng_ready = mbedtls_ctr_drbg_seed(&self->drbg, mbedtls_entropy_func, &self->entropy,
                                            (const unsigned char *) personal, sizeof(personal) - 1) == 0;
    if (!self->shell || !self->db || !self->config || !self->store || !self->cp_certs) {
        cp_error(LOG, "cannot start: %s", err[0] ? err : "store not available");
        goto done;
    }
    cp_info(LOG, "%lld certificates installed, %lld security events owed",
            (long long) security_store_cert_count(self->store), (long long) security_store_log_count(self->store, true));
    s_load_cp_cert(self);
    if (self->has_cp_cert) {
        char until[40];
        cp_clock_format(self->cp_cert.not_after_ms, until, sizeof(until));
        cp_info(LOG, "Charge Point certificate %s (serial %s) valid until %s", self->cp_cert.subject,
                self->cp_cert.serial, until);
    }
    cp_shell_set_handler(self->shell, s_handler, self);
    cp_bus_t *bus = cp_shell_bus(self->shell);
    cp_bus_subscribe(bus, "ocpp.state");
    cp_bus_subscribe(bus, "config.changed");
    s_export_trust(self);
    s_startup(self);
    s_publish_state(self);
    s_rearm(self);
    cp_shell_snapshot(self->shell, "ocpp", "security");
    cp_shell_run(self->shell);
done:
    mbedtls_ctr_drbg_free(&self->drbg);
    mbedtls_entropy_free(&self->entropy);
    cp_cert_store_destroy(&self->cp_certs);
    security_store_destroy(&self->store);
    config_store_destroy(&self->config);
    cp_store_close(&self->db);
    cp_shell_destroy(&self->shell);
}
