/* firmware_actor.c — the shell of the firmware actor (see firmware_actor.h
 * and, for every decision, firmware_core.h).
 *
 * Order within one event: the core decides and persists; the request that
 * caused it is answered; only then do notifications leave (s_after), so a
 * FirmwareStatusNotification never overtakes the UpdateFirmware.conf it
 * follows. Transfers report back through their zactor pipe, read by a
 * loop reader like any bus message.
 *
 * Files, in STATE_DIR/firmware/: image-<job>.bin (a complete download;
 * image-<job>.bin.part while it runs, deleted on failure or restart) and
 * the diagnostics archive while it uploads.
 */
#include "actors/firmware/firmware_actor.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "actors/config/config_store.h"
#include "actors/firmware/firmware_core.h"
#include "actors/firmware/firmware_image.h"
#include "actors/firmware/firmware_ops.h"
#include "actors/firmware/firmware_sig.h"
#include "actors/firmware/firmware_store.h"
#include "actors/firmware/transfer.h"
#include "actors/security/csms_trust.h"
#include "actors/security/security_raise.h"
#include "actors/security/security_store.h"
#include "messages/msg.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"
#include "supervisor/store.h"

#define FW_LOG "firmware"
//  A notification that could not be sent (offline, ocpp restarting, no
//  answer) is tried again after this long.
#define REPORT_RETRY_MS 5000
//  The ocpp actor holds a CALL for up to MessageTimeout (and queued
//  behind others): its outcome comes within this.
#define REPORT_DEADLINE_MS 120000

typedef struct {
    cp_shell_t *shell;
    const cp_options_t *options;
    cp_clock_t *clock;
    sqlite3 *db;
    firmware_store_t *store;
    config_store_t *config;
    firmware_core_t *core;
    char dir[PATH_MAX];             //  STATE_DIR/firmware
    transfer_t *fw_transfer;        //  the download or the installer run
    transfer_t *diag_transfer;      //  the diagnostics upload
    int timer_id;                   //  the core's next deadline
    int install_timer;              //  the simulated install, on the next loop turn
    int64_t install_id;
    int report_timer;               //  the next try of a notification
    uint64_t report_corr;           //  a notification in flight
    uint64_t hold_corr;             //  a hold request in flight
    bool hold_release;              //  ... which gives connectors back
    bool online;                    //  connected and registered
    security_raise_t *security;     //  InvalidFirmwareSignature / ...SigningCertificate on their way
    int64_t seen_ocpp;
    cp_msg_firmware_state_t published;  //  the last firmware.state (seq 0)
} fw_actor_t;

static int64_t s_now(fw_actor_t *self) { return cp_clock_wall_ms(self->clock); }

static void
s_image_path(fw_actor_t *self, int64_t id, char *out, size_t size)
{
    if (snprintf(out, size, "%s/image-%lld.bin", self->dir, (long long) id) >= (int) size)
        out[0] = '\0';             //  s_start checked the dir fits
}

//  --------------------------------------------------------------------------
//  Transfers

static int s_on_transfer(cp_loop_t *loop, zsock_t *reader, void *arg);

static void
s_stop_transfer(fw_actor_t *self, transfer_t **transfer)
{
    if (!*transfer)
        return;
    cp_loop_reader_end(cp_shell_loop(self->shell), transfer_sock(*transfer));
    transfer_destroy(transfer);
}

static void
s_start_transfer(fw_actor_t *self, transfer_t **slot, const transfer_spec_t *spec)
{
    s_stop_transfer(self, slot);
    *slot = transfer_new(spec);
    if (*slot && cp_loop_reader(cp_shell_loop(self->shell), transfer_sock(*slot), s_on_transfer, self) == 0)
        return;
    //  No thread or no reader: the attempt failed, like a transfer would.
    cp_error(FW_LOG, "cannot start a transfer thread");
    transfer_destroy(slot);
    if (spec->kind == TRANSFER_DOWNLOAD)
        firmware_core_on_downloaded(self->core, s_now(self), spec->id, false);
    else
    if (spec->kind == TRANSFER_UPLOAD)
        firmware_core_on_uploaded(self->core, s_now(self), spec->id, false);
    else
        firmware_core_on_installed(self->core, s_now(self), spec->id, false, NULL);
}

static void
s_spec_common(fw_actor_t *self, transfer_spec_t *spec)
{
    snprintf(spec->ca_file, sizeof(spec->ca_file), "%s", self->options->ca_file);
}

//  --------------------------------------------------------------------------
//  Core effects

static void
s_fx_persist(void *ctx, const fw_job_t *job)
{
    fw_actor_t *self = ctx;
    if (firmware_store_save(self->store, job, self->options->run_id) != 0)
        cp_error(FW_LOG, "job %lld: step %s not persisted: a restart would not resume it", (long long) job->id,
                 fw_step_name(job->step));
    if (job->step == FW_STEP_FINISHED || job->step == FW_STEP_NONE) {
        //  Nothing is ever installed from here again: the image goes.
        char path[PATH_MAX];
        s_image_path(self, job->id, path, sizeof(path));
        unlink(path);
    }
}

static void
s_fx_download(void *ctx, const fw_job_t *job)
{
    fw_actor_t *self = ctx;
    transfer_spec_t *spec = calloc(1, sizeof(*spec));
    if (!spec) {
        firmware_core_on_downloaded(self->core, s_now(self), job->id, false);
        return;
    }
    spec->kind = TRANSFER_DOWNLOAD;
    spec->id = job->id;
    snprintf(spec->url, sizeof(spec->url), "%s", job->location);
    s_image_path(self, job->id, spec->path, sizeof(spec->path));
    s_spec_common(self, spec);
    char shown[FW_LOCATION_MAX + 1];
    cp_log_redact_url(job->location, shown, sizeof(shown));
    cp_info(FW_LOG, "job %lld: downloading %s (attempt %d of %d)", (long long) job->id, shown, job->failed + 1,
            job->tries);
    s_start_transfer(self, &self->fw_transfer, spec);
    free(spec);
}

static void
s_fx_cancel_download(void *ctx)
{
    fw_actor_t *self = ctx;
    if (self->fw_transfer)
        cp_info(FW_LOG, "download %lld cancelled", (long long) transfer_id(self->fw_transfer));
    s_stop_transfer(self, &self->fw_transfer);
}

static void
s_fx_hold(void *ctx, bool hold, int64_t mask)
{
    fw_actor_t *self = ctx;
    cp_msg_t *msg = cp_msg_new(CP_MSG_FIRMWARE_HOLD);
    if (!msg)
        return;
    msg->u.firmware_hold.hold = hold;
    msg->u.firmware_hold.connectors = mask;
    self->hold_release = !hold;
    self->hold_corr = cp_shell_request(self->shell, "transaction", msg);
    cp_msg_destroy(&msg);
    if (self->hold_corr == 0) {
        if (hold)
            firmware_core_on_hold(self->core, s_now(self), false, 0, 0);
        else
            firmware_core_on_released(self->core, s_now(self), false);
    }
}

static int
s_on_sim_install(cp_loop_t *loop, int timer_id, void *arg)
{
    fw_actor_t *self = arg;
    self->install_timer = 0;
    char path[PATH_MAX], version[FW_VERSION_MAX + 1] = "", reason[200] = "";
    s_image_path(self, self->install_id, path, sizeof(path));
    bool ok = firmware_image_check(path, version, sizeof(version), reason, sizeof(reason)) == 0;
    if (ok)
        cp_info(FW_LOG, "job %lld: installing version %s, then restarting", (long long) self->install_id, version);
    else
        cp_warn(FW_LOG, "job %lld: InstallationFailed: %s; version %s stays", (long long) self->install_id,
                reason, self->options->firmware);
    firmware_core_on_installed(self->core, s_now(self), self->install_id, ok, version);
    return 0;
}

//  A signed job's image against its signature (firmware_sig.h).
static bool
s_verify(fw_actor_t *self, const fw_job_t *job, bool raise)
{
    char path[PATH_MAX], reason[256];
    s_image_path(self, job->id, path, sizeof(path));
    if (firmware_sig_verify_image(path, job->signing_cert, job->signature, reason, sizeof(reason)) != 0) {
        cp_warn(FW_LOG, "job %lld (request %d): InvalidSignature: %s; the image is not installed", (long long) job->id,
                job->request_id, reason);
        if (raise)
            security_raise(self->security, "InvalidFirmwareSignature", reason);
        unlink(path);
        return false;
    }
    cp_info(FW_LOG, "job %lld (request %d): SignatureVerified", (long long) job->id, job->request_id);
    return true;
}

static bool
s_fx_verify(void *ctx, const fw_job_t *job)
{
    return s_verify((fw_actor_t *) ctx, job, true);
}

static void
s_fx_install(void *ctx, const fw_job_t *job)
{
    fw_actor_t *self = ctx;
    //  Once more just before the install: the image waited on disk (held
    //  connectors, a restart) and nothing unverified is ever installed
    if (job->signed_fw && !s_verify(self, job, false)) {
        firmware_core_on_installed(self->core, s_now(self), job->id, false, NULL);
        return;
    }
    if (self->options->firmware_installer[0]) {
        transfer_spec_t *spec = calloc(1, sizeof(*spec));
        if (!spec) {
            firmware_core_on_installed(self->core, s_now(self), job->id, false, NULL);
            return;
        }
        spec->kind = TRANSFER_INSTALL;
        spec->id = job->id;
        s_image_path(self, job->id, spec->path, sizeof(spec->path));
        snprintf(spec->command, sizeof(spec->command), "%s", self->options->firmware_installer);
        cp_info(FW_LOG, "job %lld: running the installer", (long long) job->id);
        s_start_transfer(self, &self->fw_transfer, spec);
        free(spec);
        return;
    }
    //  The simulated board: on the next turn of the loop, after the
    //  Installing notification has been handed to the ocpp actor.
    self->install_id = job->id;
    if (self->install_timer)
        cp_loop_timer_end(cp_shell_loop(self->shell), self->install_timer);
    self->install_timer = cp_loop_timer(cp_shell_loop(self->shell), 1, 1, s_on_sim_install, self);
    if (self->install_timer < 0) {
        self->install_timer = 0;
        firmware_core_on_installed(self->core, s_now(self), job->id, false, NULL);
    }
}

static void
s_fx_reboot(void *ctx)
{
    fw_actor_t *self = ctx;
    cp_info(FW_LOG, "firmware installed: asking for a restart in place");
    cp_msg_t *msg = cp_msg_new(CP_MSG_SYSTEM_RESET);
    if (!msg)
        return;
    cp_msg_set_str(msg->u.system_reset.type, "Hard");
    cp_shell_request(self->shell, "supervisor", msg);
    cp_msg_destroy(&msg);
}

//  The password in a URL's userinfo ("" when none): the log holds the
//  central system's frames, and with them the location it sent.
static void
s_url_password(const char *url, char *out, size_t size)
{
    out[0] = '\0';
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    const char *end = host + strcspn(host, "/?#");
    const char *at = NULL, *colon = NULL;
    for (const char *p = host; p < end; p++)
        if (*p == '@')
            at = p;
    for (const char *p = host; at && p < at && !colon; p++)
        if (*p == ':')
            colon = p;
    if (colon && at - colon - 1 > 0)
        snprintf(out, size, "%.*s", (int) (at - colon - 1), colon + 1);
}

static void
s_fx_upload(void *ctx, const fw_diag_t *diag)
{
    fw_actor_t *self = ctx;
    transfer_spec_t *spec = calloc(1, sizeof(*spec));
    if (!spec) {
        firmware_core_on_uploaded(self->core, s_now(self), diag->id, false);
        return;
    }
    spec->kind = TRANSFER_UPLOAD;
    spec->id = diag->id;
    snprintf(spec->url, sizeof(spec->url), "%s", diag->location);
    snprintf(spec->file_name, sizeof(spec->file_name), "%s", diag->file_name);
    if (snprintf(spec->path, sizeof(spec->path), "%s/%s", self->dir, diag->file_name) >= (int) sizeof(spec->path))
        spec->path[0] = '\0';
    s_spec_common(self, spec);
    diag_archive_spec_t *a = &spec->archive;
    if (snprintf(a->log_dir, sizeof(a->log_dir), "%s/%s", self->options->state_dir, CP_LOG_DIR_NAME)
        >= (int) sizeof(a->log_dir))
        a->log_dir[0] = '\0';
    snprintf(a->control, sizeof(a->control), "%s", self->options->control);
    a->start_ms = diag->start_ms;
    a->stop_ms = diag->stop_ms;
    //  Whatever the log should never have held, it does not upload.
    snprintf(a->secrets[0], sizeof(a->secrets[0]), "%s", self->options->password);
    if (self->config)
        config_store_get(self->config, "AuthorizationKey", a->secrets[1], sizeof(a->secrets[1]));
    s_url_password(diag->location, a->secrets[2], sizeof(a->secrets[2]));
    if (diag->security_log) {
        //  GetLog SecurityLog: the events of the window, written here (the
        //  transfer thread has no database connection) and archived alone
        int written = snprintf(a->security_log, sizeof(a->security_log), "%s/securitylog-%lld.txt", self->dir,
                               (long long) diag->id);
        FILE *out = written > 0 && written < (int) sizeof(a->security_log) ? fopen(a->security_log, "w") : NULL;
        int lines = out ? security_store_export_log(self->db, out, diag->start_ms, diag->stop_ms) : -1;
        if (out && fclose(out) != 0)
            lines = -1;
        if (lines < 0) {
            cp_warn(FW_LOG, "GetLog %d: the security log cannot be read", diag->request_id);
            unlink(a->security_log);
            explicit_bzero(spec, sizeof(*spec));
            free(spec);
            firmware_core_on_uploaded(self->core, s_now(self), diag->id, false);
            return;
        }
        cp_info(FW_LOG, "GetLog %d: %d security events to upload", diag->request_id, lines);
    }
    char shown[FW_LOCATION_MAX + 1];
    cp_log_redact_url(diag->location, shown, sizeof(shown));
    cp_info(FW_LOG, "diagnostics %s: uploading to %s (attempt %d of %d)", diag->file_name, shown,
            diag->failed + 1, diag->tries);
    s_start_transfer(self, &self->diag_transfer, spec);
    explicit_bzero(spec, sizeof(*spec));
    free(spec);
}

static void
s_fx_cancel_upload(void *ctx)
{
    fw_actor_t *self = ctx;
    s_stop_transfer(self, &self->diag_transfer);
}

static void
s_fx_report(void *ctx)
{
    //  Sent by s_after, once the event that queued it is answered.
}

//  --------------------------------------------------------------------------
//  Notifications and timers

static int s_on_report_timer(cp_loop_t *loop, int timer_id, void *arg);
static int s_on_timer(cp_loop_t *loop, int timer_id, void *arg);

static uint64_t
s_call(fw_actor_t *self, const char *action, const char *status)
{
    char payload[96];
    if (streq(action, "SignedFirmwareStatusNotification"))
        snprintf(payload, sizeof(payload), "{\"status\":\"%s\",\"requestId\":%d}", status,
                 firmware_core_job(self->core)->request_id);
    else
    if (streq(action, "LogStatusNotification"))
        snprintf(payload, sizeof(payload), "{\"status\":\"%s\",\"requestId\":%d}", status,
                 firmware_core_diag(self->core)->request_id);
    else
        snprintf(payload, sizeof(payload), "{\"status\":\"%s\"}", status);
    cp_msg_t *msg = cp_msg_new(CP_MSG_OCPP_CALL);
    if (!msg)
        return 0;
    cp_msg_set_str(msg->u.ocpp_call.action, action);
    cp_msg_set_text(&msg->u.ocpp_call.payload, payload);
    uint64_t corr = cp_shell_request_within(self->shell, "ocpp", msg, REPORT_DEADLINE_MS);
    cp_msg_destroy(&msg);
    return corr;
}

static const char *
s_action(fw_kind_t kind)
{
    return kind == FW_KIND_FIRMWARE ? "FirmwareStatusNotification"
         : kind == FW_KIND_SIGNED_FIRMWARE ? "SignedFirmwareStatusNotification"
         : kind == FW_KIND_LOG ? "LogStatusNotification" : "DiagnosticsStatusNotification";
}

static void
s_send_report(fw_actor_t *self)
{
    fw_kind_t kind;
    const char *status;
    if (!self->online || self->report_corr || self->report_timer || !firmware_core_report_head(self->core, &kind, &status))
        return;
    self->report_corr = s_call(self, s_action(kind), status);
    if (self->report_corr)
        cp_info(FW_LOG, "%s %s", s_action(kind), status);
    else
        self->report_timer = cp_loop_timer(cp_shell_loop(self->shell), REPORT_RETRY_MS, 1, s_on_report_timer, self);
}

static int
s_on_report_timer(cp_loop_t *loop, int timer_id, void *arg)
{
    fw_actor_t *self = arg;
    self->report_timer = 0;
    s_send_report(self);
    return 0;
}

//  After every event: notifications, then sleep until the core's next deadline.
//  firmware.state for `cpctl status`: on change, or always (a snapshot).
static void
s_publish_state(fw_actor_t *self, bool always)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_FIRMWARE_STATE);
    if (!msg)
        return;
    cp_msg_firmware_state_t *st = &msg->u.firmware_state;
    const fw_job_t *job = firmware_core_job(self->core);
    const fw_diag_t *diag = firmware_core_diag(self->core);
    cp_msg_set_str(st->firmware, firmware_core_status(self->core, FW_KIND_FIRMWARE));
    cp_msg_set_str(st->step, fw_step_name(job ? job->step : FW_STEP_NONE));
    if (job && job->step != FW_STEP_NONE) {
        cp_log_redact_url(job->location, st->location, sizeof(st->location));
        st->attempts = job->failed;
        st->tries = job->tries;
        st->next_ms = job->step == FW_STEP_WAITING ? job->retrieve_ms : job->next_ms;
    }
    cp_msg_set_str(st->diagnostics, firmware_core_status(self->core, FW_KIND_DIAGNOSTICS));
    if (diag && diag->active) {
        cp_log_redact_url(diag->location, st->diag_location, sizeof(st->diag_location));
        cp_msg_set_str(st->diag_file_name, diag->file_name);
    }
    cp_msg_set_str(st->version, self->options->firmware);
    if (always || memcmp(st, &self->published, sizeof(*st)) != 0) {
        self->published = *st;
        st->seq = cp_msg_seq_now();
        if (cp_shell_publish(self->shell, "firmware.state", msg) != 0)
            memset(&self->published, 0, sizeof(self->published));   //  published again next time
    }
    cp_msg_destroy(&msg);
}

static void
s_after(fw_actor_t *self)
{
    s_send_report(self);
    s_publish_state(self, false);
    int64_t next = firmware_core_next_deadline(self->core);
    cp_shell_rearm(self->shell, &self->timer_id, next == INT64_MAX ? CP_SHELL_NEVER : next - s_now(self),
                   s_on_timer, self, "firmware retries are late");
}

static int
s_on_timer(cp_loop_t *loop, int timer_id, void *arg)
{
    fw_actor_t *self = arg;
    self->timer_id = 0;
    firmware_core_tick(self->core, s_now(self));
    s_after(self);
    return 0;
}

static int
s_on_transfer(cp_loop_t *loop, zsock_t *reader, void *arg)
{
    fw_actor_t *self = arg;
    transfer_t **slot = self->fw_transfer && transfer_sock(self->fw_transfer) == reader ? &self->fw_transfer
                      : self->diag_transfer && transfer_sock(self->diag_transfer) == reader ? &self->diag_transfer
                      : NULL;
    if (!slot) {
        cp_loop_reader_end(loop, reader);
        return 0;
    }
    bool ok = false;
    char reason[512] = "";
    if (transfer_result(*slot, &ok, reason, sizeof(reason)) != 0)
        snprintf(reason, sizeof(reason), "no result from the transfer thread");
    int64_t id = transfer_id(*slot);
    transfer_kind_t kind = transfer_kind(*slot);
    s_stop_transfer(self, slot);
    int64_t now = s_now(self);
    if (kind == TRANSFER_DOWNLOAD) {
        if (ok)
            cp_info(FW_LOG, "job %lld: %s", (long long) id, reason);
        else
            cp_warn(FW_LOG, "job %lld: %s", (long long) id, reason);
        firmware_core_on_downloaded(self->core, now, id, ok);
    }
    else
    if (kind == TRANSFER_UPLOAD) {
        char events[PATH_MAX + 64];
        snprintf(events, sizeof(events), "%s/securitylog-%lld.txt", self->dir, (long long) id);
        unlink(events);             //  GetLog SecurityLog's events (none for the others)
        if (ok)
            cp_info(FW_LOG, "diagnostics: %s", reason);
        else
            cp_warn(FW_LOG, "diagnostics: %s", reason);
        firmware_core_on_uploaded(self->core, now, id, ok);
    }
    else {
        if (ok)
            cp_info(FW_LOG, "job %lld: %s, then restarting", (long long) id, reason);
        else
            cp_warn(FW_LOG, "job %lld: InstallationFailed: %s", (long long) id, reason);
        firmware_core_on_installed(self->core, now, id, ok, NULL);
    }
    s_after(self);
    return 0;
}

//  --------------------------------------------------------------------------
//  The bus

static void
s_on_inbound(fw_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_ocpp_inbound_t *in)
{
    json_t *request = in->payload ? json_loads(in->payload, 0, NULL) : NULL;
    fw_ops_ctx_t ctx = {
        .core = self->core, .now_ms = s_now(self),
        .host_offset_ms = cp_clock_offset_ms(self->clock),
        .charge_point_id = self->options->id,
    };
    char roots[PATH_MAX];
    csms_trust_manufacturer_path(self->options->state_dir, roots, sizeof(roots));
    ctx.manufacturer_roots = roots;
    json_t *response = NULL;
    if (request && streq(in->action, "UpdateFirmware"))
        response = update_firmware(&ctx, request);
    else
    if (request && streq(in->action, "GetDiagnostics"))
        response = get_diagnostics(&ctx, request);
    else
    if (request && streq(in->action, "SignedUpdateFirmware"))
        response = signed_update_firmware(&ctx, request);
    else
    if (request && streq(in->action, "GetLog"))
        response = get_log(&ctx, request);
    cp_msg_t *reply = cp_msg_new(CP_MSG_OCPP_INBOUND_REPLY);
    if (reply) {
        char *text = response ? json_dumps(response, JSON_COMPACT) : NULL;
        if (text)
            cp_msg_set_text(&reply->u.ocpp_inbound_reply.payload, text);
        else {
            cp_msg_set_str(reply->u.ocpp_inbound_reply.error_code, request ? "NotSupported" : "FormationViolation");
            cp_msg_set_str(reply->u.ocpp_inbound_reply.error_description, "the firmware actor does not handle it");
        }
        free(text);
        cp_shell_reply(self->shell, env, reply, true);
    }
    cp_msg_destroy(&reply);
    json_decref(response);
    json_decref(request);
    if (ctx.event)
        security_raise(self->security, ctx.event, ctx.reason);
}

//  TriggerMessage: the current state, outside the queue (spec 4.4/4.5:
//  Idle only on a trigger, when nothing is going on).
static void
s_on_trigger(fw_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_trigger_t *trigger)
{
    //  ExtendedTriggerMessage FirmwareStatusNotification asks for the
    //  signed variant (whitepaper 6.14): the same state, with the requestId
    //  of the job (0 when none ran)
    bool signed_fw = streq(trigger->message, "SignedFirmwareStatusNotification");
    bool log = streq(trigger->message, "LogStatusNotification");
    fw_kind_t kind = streq(trigger->message, "FirmwareStatusNotification") || signed_fw ? FW_KIND_FIRMWARE
                   : log ? FW_KIND_LOG : FW_KIND_DIAGNOSTICS;
    bool known = kind == FW_KIND_FIRMWARE || log || streq(trigger->message, "DiagnosticsStatusNotification");
    uint64_t corr = known ? s_call(self, s_action(signed_fw ? FW_KIND_SIGNED_FIRMWARE : kind),
                                   firmware_core_status(self->core, kind)) : 0;
    cp_shell_reply_status(self->shell, env, corr != 0, corr ? "" : "not sent");
}

static void
s_on_outcome(fw_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    int64_t now = s_now(self);
    if (self->report_corr && env->corr == self->report_corr) {
        self->report_corr = 0;
        bool ok = msg && msg->type == CP_MSG_OCPP_RESULT && streq(msg->u.ocpp_result.outcome, "result");
        bool refused = msg && msg->type == CP_MSG_OCPP_RESULT && streq(msg->u.ocpp_result.outcome, "error");
        if (refused)
            cp_warn(FW_LOG, "a status notification was refused (%s): not sent again", msg->u.ocpp_result.error_code);
        firmware_core_report_done(self->core, now, ok || refused);
        if (!ok && !refused && !self->report_timer)
            self->report_timer = cp_loop_timer(cp_shell_loop(self->shell), REPORT_RETRY_MS, 1, s_on_report_timer, self);
    }
    else
    if (self->hold_corr && env->corr == self->hold_corr) {
        self->hold_corr = 0;
        bool replied = msg && msg->type == CP_MSG_FIRMWARE_HOLD_REPLY;
        if (self->hold_release)
            firmware_core_on_released(self->core, now, replied);
        else {
            int64_t active = replied ? msg->u.firmware_hold_reply.active : 0;
            if (replied && active > 0)
                cp_debug(FW_LOG, "installation waits: %lld transaction(s) running", (long long) active);
            firmware_core_on_hold(self->core, now, replied, active, replied ? msg->u.firmware_hold_reply.held : 0);
        }
    }
}

static void
s_handler(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, void *ctx)
{
    fw_actor_t *self = ctx;
    if ((env->kind == CP_BUS_EVENT || env->kind == CP_BUS_PARTIAL) && msg) {
        if (msg->type == CP_MSG_OCPP_STATE && !cp_msg_stale(msg->u.ocpp_state.seq, &self->seen_ocpp)) {
            const cp_msg_ocpp_state_t *os = &msg->u.ocpp_state;
            bool online = streq(os->connection, "connected") && streq(os->registration, "Accepted");
            if (!online)
                self->report_corr = 0;      //  its answer may never come: sent again
            self->online = online;
        }
    }
    else
    if (cp_bus_is_outcome(env)) {
        if (!security_raise_outcome(self->security, env, msg))
            s_on_outcome(self, env, msg);
    }
    else
    if (env->kind == CP_BUS_REQUEST && msg) {
        if (msg->type == CP_MSG_SNAPSHOT_REQUEST) {
            s_publish_state(self, true);
            cp_shell_reply_status(shell, env, true, "");
        }
        else
        if (msg->type == CP_MSG_OCPP_INBOUND)
            s_on_inbound(self, env, &msg->u.ocpp_inbound);
        else
        if (msg->type == CP_MSG_TRIGGER)
            s_on_trigger(self, env, &msg->u.trigger);
        else
            cp_shell_reply_status(shell, env, false, "firmware: unsupported request");
    }
    s_after(self);
}

static int
s_mkdir(const char *path)
{
    return mkdir(path, 0750) == 0 || errno == EEXIST ? 0 : -1;
}

void
firmware_actor(zsock_t *pipe, void *args)
{
    cp_actor_args_t *actor_args = args;
    assert(pipe && actor_args && actor_args->clock);
    fw_actor_t self_ = { 0 };
    fw_actor_t *self = &self_;
    self->options = actor_args->options;
    self->clock = actor_args->clock;
    char err[256] = "";
    //  Room for the file names below it (image-<id>.bin.part, the archive).
    bool dir_fits = snprintf(self->dir, sizeof(self->dir), "%s/firmware", self->options->state_dir)
                    < (int) sizeof(self->dir) - FW_FILE_NAME_MAX - 2;
    self->shell = cp_shell_new(pipe, actor_args);
    if (self->shell)
        self->security = security_raise_new(self->shell, "firmware");
    self->db = cp_store_open(self->options->state_dir, err, sizeof(err));
    self->store = self->db ? firmware_store_new(self->db) : NULL;
    //  For the secret values the diagnostics leave out; optional.
    self->config = config_store_open_reader(self->options, err, sizeof(err));
    fw_effects_t fx = {
        .persist = s_fx_persist, .download = s_fx_download, .cancel_download = s_fx_cancel_download,
        .hold = s_fx_hold, .install = s_fx_install, .reboot = s_fx_reboot, .upload = s_fx_upload,
        .cancel_upload = s_fx_cancel_upload, .report = s_fx_report, .verify = s_fx_verify,
    };
    self->core = firmware_core_new(&fx, self);
    if (!self->shell || !self->store || !self->core || !dir_fits || s_mkdir(self->dir) != 0) {
        cp_error(FW_LOG, "cannot start: %s", !self->db ? err : !self->store ? "no tables" : "no bus, memory or dir");
        goto done;
    }
    cp_shell_set_handler(self->shell, s_handler, self);
    cp_bus_subscribe(cp_shell_bus(self->shell), "ocpp.state");
    cp_shell_snapshot(self->shell, "ocpp", "firmware");
    //  Resume what a restart (of this actor, or a reboot) interrupted.
    fw_job_t job;
    char run_id[64] = "";
    int64_t last_id = 0;
    int found = firmware_store_load(self->store, &job, run_id, sizeof(run_id), &last_id);
    if (found > 0) {
        bool rebooted = strcmp(run_id, self->options->run_id) != 0;
        cp_info(FW_LOG, "resuming job %lld at step %s%s", (long long) job.id, fw_step_name(job.step),
                rebooted ? " after a restart" : "");
        //  A download cut by the restart is worthless: it starts again.
        char image[PATH_MAX], part[PATH_MAX + 8];
        s_image_path(self, job.id, image, sizeof(image));
        snprintf(part, sizeof(part), "%s.part", image);
        unlink(part);
    }
    firmware_core_restore(self->core, s_now(self), found > 0 ? &job : NULL, last_id,
                          found > 0 && strcmp(run_id, self->options->run_id) != 0);
    s_after(self);
    cp_shell_run(self->shell);
done:
    if (self->shell) {
        s_stop_transfer(self, &self->fw_transfer);
        s_stop_transfer(self, &self->diag_transfer);
    }
    security_raise_destroy(&self->security);
    firmware_core_destroy(&self->core);
    config_store_destroy(&self->config);
    firmware_store_destroy(&self->store);
    cp_store_close(&self->db);
    cp_shell_destroy(&self->shell);
}
