/* test_firmware_core.c — every transition of firmware_core.h on a virtual
 * clock, the retries of both machines, a restart at every step of the
 * firmware update (the persisted job fed to a new core, as after a power
 * cut), the replacement rules, the notification queue; and the two pure
 * helpers the actor relies on: the sim image check (firmware_image.h) and
 * the diagnostics archive's window and secret scrub (diag_archive.h).
 *
 * The effects are recorded as one line each in a log string, so a test
 * reads as the sequence of what the shell would do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "actors/firmware/diag_archive.h"
#include "actors/firmware/firmware_core.h"
#include "actors/firmware/firmware_image.h"
#include "actors/firmware/transfer.h"

#define T0 1800000000000LL          //  wall ms, 2027

typedef struct {
    firmware_core_t *core;
    fw_job_t persisted;             //  what the store would hold
    int persists;
    char log[4096];                 //  effects, "download 1;hold 1 0;..."
    bool verify_ok;                 //  what the signature check says
} fx_t;

static void
s_log(fx_t *fx, const char *fmt, ...)
{
    size_t used = strlen(fx->log);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fx->log + used, sizeof(fx->log) - used, fmt, ap);
    va_end(ap);
    used = strlen(fx->log);
    snprintf(fx->log + used, sizeof(fx->log) - used, ";");
}

static void s_persist(void *ctx, const fw_job_t *job) { fx_t *fx = ctx; fx->persisted = *job; fx->persists++; }
static void s_download(void *ctx, const fw_job_t *job) { s_log(ctx, "download %lld", (long long) job->id); }
static void s_cancel_download(void *ctx) { s_log(ctx, "cancel download"); }
static void s_hold(void *ctx, bool hold, int64_t mask) { s_log(ctx, "%s %lld", hold ? "hold" : "release", (long long) mask); }
static void s_install(void *ctx, const fw_job_t *job) { s_log(ctx, "install %lld", (long long) job->id); }
static void s_reboot(void *ctx) { s_log(ctx, "reboot"); }
static void s_upload(void *ctx, const fw_diag_t *d) { s_log(ctx, "upload %lld", (long long) d->id); }
static void s_cancel_upload(void *ctx) { s_log(ctx, "cancel upload"); }
static void s_report(void *ctx) { (void) ctx; }
static bool
s_verify(void *ctx, const fw_job_t *job)
{
    fx_t *fx = ctx;
    s_log(fx, "verify %lld %d %s", (long long) job->id, job->request_id, job->signature);
    return fx->verify_ok;
}

static const fw_effects_t s_fx = {
    .persist = s_persist, .download = s_download, .cancel_download = s_cancel_download, .hold = s_hold,
    .install = s_install, .reboot = s_reboot, .upload = s_upload, .cancel_upload = s_cancel_upload,
    .report = s_report, .verify = s_verify,
};

static int
s_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    fx->core = firmware_core_new(&s_fx, fx);
    assert_non_null(fx->core);
    *state = fx;
    return 0;
}

static int
s_teardown(void **state)
{
    fx_t *fx = *state;
    firmware_core_destroy(&fx->core);
    assert_null(fx->core);
    free(fx);
    return 0;
}

//  Deliver every queued notification; return them as "A,B,C".
static const char *
s_drain(fx_t *fx, fw_kind_t want)
{
    static char out[512];
    out[0] = '\0';
    fw_kind_t kind;
    const char *status;
    while (firmware_core_report_head(fx->core, &kind, &status)) {
        if (kind == want) {
            size_t used = strlen(out);
            snprintf(out + used, sizeof(out) - used, "%s%s", used ? "," : "", status);
        }
        firmware_core_report_done(fx->core, T0, true);
    }
    return out;
}

//  A new core restored from what the old one persisted: a power cut.
static void
s_power_cut(fx_t *fx, int64_t now, bool rebooted)
{
    firmware_core_destroy(&fx->core);
    fx->core = firmware_core_new(&s_fx, fx);
    fx->log[0] = '\0';
    fw_job_t job = fx->persisted;
    firmware_core_restore(fx->core, now, &job, job.id, rebooted);
}

static void
s_clear(fx_t *fx)
{
    fx->log[0] = '\0';
}

//  --------------------------------------------------------------------------
//  Firmware update

//  GetLog: the diagnostics upload machine, its statuses as
//  LogStatusNotification (UploadFailure for a failed upload), and a
//  replaced upload reported by the return value (AcceptedCanceled).
static void
test_get_log(void **state)
{
    fx_t *fx = *state;
    assert_false(firmware_core_get_log(fx->core, T0, "http://h/up", true, "securitylog-x.tar.gz", 1, 10, 0, INT64_MAX,
                                       9, true));
    const fw_diag_t *d = firmware_core_diag(fx->core);
    assert_true(d->log);
    assert_true(d->security_log);
    assert_int_equal(d->request_id, 9);
    assert_string_equal(firmware_core_status(fx->core, FW_KIND_LOG), "Uploading");
    //  a second GetLog while the first uploads: it replaces it
    assert_true(firmware_core_get_log(fx->core, T0 + 1, "http://h/up", true, "diagnosticslog-x.tar.gz", 1, 10, 0,
                                      INT64_MAX, 10, false));
    assert_string_equal(s_drain(fx, FW_KIND_LOG), "Uploading,Uploading");
    firmware_core_on_uploaded(fx->core, T0 + 2, firmware_core_diag(fx->core)->id, false);
    assert_string_equal(s_drain(fx, FW_KIND_LOG), "UploadFailure");
    assert_string_equal(firmware_core_status(fx->core, FW_KIND_LOG), "Idle");
    //  GetDiagnostics afterwards reports as before
    firmware_core_diagnostics(fx->core, T0 + 3, "http://h/up", true, "d.tar.gz", 1, 10, 0, INT64_MAX);
    firmware_core_on_uploaded(fx->core, T0 + 4, firmware_core_diag(fx->core)->id, true);
    assert_string_equal(s_drain(fx, FW_KIND_DIAGNOSTICS), "Uploading,Uploaded");
}

//  SignedUpdateFirmware: the signature is checked right after the download;
//  a bad one ends the job with InvalidSignature and nothing is held or
//  installed; a good one goes on as UpdateFirmware, every status as a
//  SignedFirmwareStatusNotification, the signing data durable at every step.
static void
test_signed_update(void **state)
{
    fx_t *fx = *state;
    fx->verify_ok = false;
    assert_true(firmware_core_update_signed(fx->core, T0, "http://h/fw.bin", true, T0, 1, 10, 42, "CERT", "SIG1"));
    assert_true(fx->persisted.signed_fw);
    assert_int_equal(fx->persisted.request_id, 42);
    assert_string_equal(fx->persisted.signing_cert, "CERT");
    assert_string_equal(fx->persisted.signature, "SIG1");
    s_clear(fx);
    firmware_core_on_downloaded(fx->core, T0 + 100, 1, true);
    assert_string_equal(fx->log, "verify 1 42 SIG1;");
    assert_int_equal(fx->persisted.step, FW_STEP_FINISHED);
    assert_string_equal(s_drain(fx, FW_KIND_SIGNED_FIRMWARE), "Downloading,Downloaded,InvalidSignature");
    assert_string_equal(firmware_core_status(fx->core, FW_KIND_FIRMWARE), "Idle");

    fx->verify_ok = true;
    assert_true(firmware_core_update_signed(fx->core, T0 + 1000, "http://h/fw.bin", true, T0, 1, 10, 43, "CERT",
                                            "SIG2"));
    int64_t id = fx->persisted.id;
    s_clear(fx);
    firmware_core_on_downloaded(fx->core, T0 + 1100, id, true);
    char expected[64];
    snprintf(expected, sizeof(expected), "verify %lld 43 SIG2;hold 0;", (long long) id);
    assert_string_equal(fx->log, expected);
    assert_string_equal(s_drain(fx, FW_KIND_SIGNED_FIRMWARE), "Downloading,Downloaded,SignatureVerified");
    //  a power cut while the connectors are held: still a signed job
    s_power_cut(fx, T0 + 1200, true);
    assert_true(fx->persisted.signed_fw);
    assert_string_equal(fx->persisted.signature, "SIG2");
    s_clear(fx);
    firmware_core_on_hold(fx->core, T0 + 1300, true, 0, 0);
    snprintf(expected, sizeof(expected), "install %lld;", (long long) id);
    assert_string_equal(fx->log, expected);
    firmware_core_on_installed(fx->core, T0 + 1400, id, true, "2.0");
    s_power_cut(fx, T0 + 2000, true);
    assert_string_equal(s_drain(fx, FW_KIND_SIGNED_FIRMWARE), "Installing,Installed");
    //  a plain UpdateFirmware afterwards reports as before
    assert_true(firmware_core_update(fx->core, T0 + 3000, "http://h/fw.bin", true, T0, 1, 10));
    assert_false(fx->persisted.signed_fw);
    assert_string_equal(s_drain(fx, FW_KIND_FIRMWARE), "Downloading");
}

static void
test_happy_path(void **state)
{
    fx_t *fx = *state;
    assert_string_equal(firmware_core_status(fx->core, FW_KIND_FIRMWARE), "Idle");
    assert_true(firmware_core_update(fx->core, T0, "http://h/fw.bin", true, T0, 3, 10));
    assert_int_equal(fx->persisted.step, FW_STEP_DOWNLOADING);
    assert_string_equal(fx->log, "download 1;");
    assert_string_equal(firmware_core_status(fx->core, FW_KIND_FIRMWARE), "Downloading");
    s_clear(fx);
    firmware_core_on_downloaded(fx->core, T0 + 100, 1, true);
    assert_int_equal(fx->persisted.step, FW_STEP_DOWNLOADED);
    assert_string_equal(fx->log, "hold 0;");
    assert_string_equal(firmware_core_status(fx->core, FW_KIND_FIRMWARE), "Downloaded");
    s_clear(fx);
    firmware_core_on_hold(fx->core, T0 + 200, true, 0, 0x2);
    assert_int_equal(fx->persisted.step, FW_STEP_INSTALLING);
    assert_int_equal(fx->persisted.held, 0x2);
    assert_string_equal(fx->log, "install 1;");
    assert_string_equal(firmware_core_status(fx->core, FW_KIND_FIRMWARE), "Installing");
    s_clear(fx);
    firmware_core_on_installed(fx->core, T0 + 300, 1, true, "2.0");
    assert_int_equal(fx->persisted.step, FW_STEP_REBOOTING);
    assert_string_equal(fx->persisted.version, "2.0");
    assert_string_equal(fx->log, "");       //  the notifications leave first
    assert_string_equal(s_drain(fx, FW_KIND_FIRMWARE), "Downloading,Downloaded,Installing");
    assert_string_equal(fx->log, "reboot;");
    //  After the reboot: Installed, the connectors given back, forgotten.
    s_power_cut(fx, T0 + 5000, true);
    assert_string_equal(fx->log, "release 2;");
    assert_string_equal(firmware_core_status(fx->core, FW_KIND_FIRMWARE), "Idle");
    firmware_core_on_released(fx->core, T0 + 5100, true);
    assert_string_equal(s_drain(fx, FW_KIND_FIRMWARE), "Installed");
    assert_int_equal(fx->persisted.step, FW_STEP_NONE);
    assert_int_equal(fx->persisted.id, 1);
}

static void
test_reboot_waits_at_most(void **state)
{
    fx_t *fx = *state;
    firmware_core_update(fx->core, T0, "http://h/fw.bin", true, T0, 1, 1);
    firmware_core_on_downloaded(fx->core, T0, 1, true);
    firmware_core_on_hold(fx->core, T0, true, 0, 0);
    s_clear(fx);
    firmware_core_on_installed(fx->core, T0, 1, true, "2.0");
    //  Offline: the notifications cannot leave; the reboot does not wait forever.
    assert_int_equal(firmware_core_next_deadline(fx->core), T0 + FW_REBOOT_WAIT_MS);
    firmware_core_tick(fx->core, T0 + FW_REBOOT_WAIT_MS - 1);
    assert_string_equal(fx->log, "");
    firmware_core_tick(fx->core, T0 + FW_REBOOT_WAIT_MS);
    assert_string_equal(fx->log, "reboot;");
    firmware_core_tick(fx->core, T0 + 2 * FW_REBOOT_WAIT_MS);
    assert_string_equal(fx->log, "reboot;");      //  once
    //  The statuses owed survive the reboot, in order, then Installed.
    s_power_cut(fx, T0 + 30000, true);
    assert_string_equal(s_drain(fx, FW_KIND_FIRMWARE), "Downloading,Downloaded,Installing,Installed");
}

static void
test_retrieve_date(void **state)
{
    fx_t *fx = *state;
    firmware_core_update(fx->core, T0, "ftp://h/fw.bin", true, T0 + 60000, -1, -1);
    assert_int_equal(fx->persisted.step, FW_STEP_WAITING);
    assert_int_equal(fx->persisted.tries, FW_DEFAULT_TRIES);
    assert_int_equal(fx->persisted.interval_ms, FW_DEFAULT_INTERVAL_S * 1000);
    assert_string_equal(fx->log, "");
    assert_string_equal(firmware_core_status(fx->core, FW_KIND_FIRMWARE), "Idle");
    assert_int_equal(firmware_core_next_deadline(fx->core), T0 + 60000);
    //  A reboot before retrieveDate still updates.
    s_power_cut(fx, T0 + 1000, true);
    assert_string_equal(fx->log, "");
    assert_int_equal(firmware_core_next_deadline(fx->core), T0 + 60000);
    firmware_core_tick(fx->core, T0 + 59999);
    assert_string_equal(fx->log, "");
    firmware_core_tick(fx->core, T0 + 60000);
    assert_string_equal(fx->log, "download 1;");
    assert_string_equal(s_drain(fx, FW_KIND_FIRMWARE), "Downloading");
}

static void
test_download_retries(void **state)
{
    fx_t *fx = *state;
    firmware_core_update(fx->core, T0, "http://h/fw.bin", true, 0, 3, 10);
    s_clear(fx);
    firmware_core_on_downloaded(fx->core, T0 + 1, 1, false);
    assert_int_equal(fx->persisted.failed, 1);
    assert_int_equal(fx->persisted.next_ms, T0 + 1 + 10000);
    assert_int_equal(firmware_core_next_deadline(fx->core), T0 + 10001);
    firmware_core_tick(fx->core, T0 + 10000);
    assert_string_equal(fx->log, "");
    firmware_core_tick(fx->core, T0 + 10001);
    assert_string_equal(fx->log, "download 1;");
    //  A power cut while waiting for the retry keeps the wait.
    firmware_core_on_downloaded(fx->core, T0 + 10002, 1, false);
    s_power_cut(fx, T0 + 10003, true);
    assert_string_equal(fx->log, "");
    assert_int_equal(firmware_core_next_deadline(fx->core), T0 + 20002);
    firmware_core_tick(fx->core, T0 + 20002);
    assert_string_equal(fx->log, "download 1;");
    firmware_core_on_downloaded(fx->core, T0 + 20003, 1, false);
    assert_int_equal(fx->persisted.step, FW_STEP_FINISHED);     //  until DownloadFailed is delivered
    assert_string_equal(s_drain(fx, FW_KIND_FIRMWARE), "Downloading,DownloadFailed");
    assert_int_equal(fx->persisted.step, FW_STEP_NONE);
    assert_int_equal(firmware_core_next_deadline(fx->core), INT64_MAX);
}

static void
test_bad_location_and_tries(void **state)
{
    fx_t *fx = *state;
    assert_true(firmware_core_update(fx->core, T0, "gopher://h", false, T0, 3, 1));
    assert_string_equal(fx->log, "");
    assert_string_equal(s_drain(fx, FW_KIND_FIRMWARE), "DownloadFailed");
    //  retries 0 still tries once; huge values are bounded.
    firmware_core_update(fx->core, T0, "http://h/a", true, T0, 0, 1);
    assert_int_equal(fx->persisted.tries, 1);
    firmware_core_update(fx->core, T0, "http://h/a", true, T0, 1000000, 1);
    assert_int_equal(fx->persisted.tries, FW_MAX_TRIES);
}

static void
test_stale_outcomes_ignored(void **state)
{
    fx_t *fx = *state;
    firmware_core_update(fx->core, T0, "http://h/1", true, T0, 3, 1);
    firmware_core_update(fx->core, T0, "http://h/2", true, T0, 3, 1);
    assert_string_equal(fx->log, "download 1;cancel download;download 2;");
    firmware_core_on_downloaded(fx->core, T0, 1, true);        //  the cancelled one
    assert_int_equal(fx->persisted.step, FW_STEP_DOWNLOADING);
    firmware_core_on_downloaded(fx->core, T0, 2, true);
    assert_int_equal(fx->persisted.step, FW_STEP_DOWNLOADED);
    firmware_core_on_installed(fx->core, T0, 2, true, "x");    //  not installing yet
    assert_int_equal(fx->persisted.step, FW_STEP_DOWNLOADED);
}

static void
test_replace_keeps_hold_and_reports(void **state)
{
    fx_t *fx = *state;
    firmware_core_update(fx->core, T0, "http://h/1", true, T0, 3, 1);
    firmware_core_on_downloaded(fx->core, T0, 1, true);
    firmware_core_on_hold(fx->core, T0, true, 1, 0x2);          //  a session runs
    assert_int_equal(fx->persisted.step, FW_STEP_DOWNLOADED);
    s_clear(fx);
    firmware_core_update(fx->core, T0 + 5, "http://h/2", true, T0, 3, 1);
    assert_int_equal(fx->persisted.id, 2);
    assert_int_equal(fx->persisted.held, 0x2);
    assert_string_equal(s_drain(fx, FW_KIND_FIRMWARE), "Downloading,Downloaded,Downloading");
}

static void
test_no_replace_while_installing(void **state)
{
    fx_t *fx = *state;
    firmware_core_update(fx->core, T0, "http://h/1", true, T0, 3, 1);
    firmware_core_on_downloaded(fx->core, T0, 1, true);
    firmware_core_on_hold(fx->core, T0, true, 0, 0);
    assert_false(firmware_core_update(fx->core, T0, "http://h/2", true, T0, 3, 1));
    assert_int_equal(fx->persisted.id, 1);
    firmware_core_on_installed(fx->core, T0, 1, true, "v");
    assert_false(firmware_core_update(fx->core, T0, "http://h/2", true, T0, 3, 1));
    assert_int_equal(fx->persisted.step, FW_STEP_REBOOTING);
}

static void
test_hold_polls_until_free(void **state)
{
    fx_t *fx = *state;
    firmware_core_update(fx->core, T0, "http://h/1", true, T0, 3, 1);
    firmware_core_on_downloaded(fx->core, T0, 1, true);
    s_clear(fx);
    firmware_core_on_hold(fx->core, T0 + 10, true, 1, 0x2);
    assert_int_equal(firmware_core_next_deadline(fx->core), T0 + 10 + FW_HOLD_POLL_MS);
    firmware_core_tick(fx->core, T0 + 10 + FW_HOLD_POLL_MS);
    assert_string_equal(fx->log, "hold 0;");
    //  No answer (the transaction actor restarts): asked again later.
    firmware_core_on_hold(fx->core, T0 + 3000, false, 0, 0);
    assert_int_equal(fx->persisted.step, FW_STEP_DOWNLOADED);
    firmware_core_tick(fx->core, T0 + 3000 + FW_HOLD_POLL_MS);
    assert_string_equal(fx->log, "hold 0;hold 0;");
    firmware_core_on_hold(fx->core, T0 + 6000, true, 0, 0x4);
    assert_int_equal(fx->persisted.held, 0x6);
    assert_int_equal(fx->persisted.step, FW_STEP_INSTALLING);
}

static void
test_installation_failed(void **state)
{
    fx_t *fx = *state;
    firmware_core_update(fx->core, T0, "http://h/1", true, T0, 3, 1);
    firmware_core_on_downloaded(fx->core, T0, 1, true);
    firmware_core_on_hold(fx->core, T0, true, 0, 0x2);
    s_clear(fx);
    firmware_core_on_installed(fx->core, T0, 1, false, NULL);
    assert_int_equal(fx->persisted.step, FW_STEP_FINISHED);
    assert_string_equal(fx->persisted.version, "");
    assert_string_equal(fx->log, "release 2;");
    //  The release is not answered: asked again.
    firmware_core_on_released(fx->core, T0 + 1, false);
    firmware_core_tick(fx->core, T0 + 1 + FW_HOLD_POLL_MS);
    assert_string_equal(fx->log, "release 2;release 2;");
    firmware_core_on_released(fx->core, T0 + 3000, true);
    assert_string_equal(s_drain(fx, FW_KIND_FIRMWARE), "Downloading,Downloaded,Installing,InstallationFailed");
    assert_int_equal(fx->persisted.step, FW_STEP_NONE);
}

//  A power cut at every step resumes it.
static void
test_power_cut_every_step(void **state)
{
    fx_t *fx = *state;
    firmware_core_update(fx->core, T0, "http://h/1", true, T0, 3, 1);
    s_power_cut(fx, T0 + 1, true);                      //  mid-download
    assert_string_equal(fx->log, "download 1;");
    firmware_core_on_downloaded(fx->core, T0 + 2, 1, true);
    s_power_cut(fx, T0 + 3, true);                      //  downloaded, waiting
    assert_string_equal(fx->log, "hold 0;");
    firmware_core_on_hold(fx->core, T0 + 4, true, 0, 0x2);
    s_power_cut(fx, T0 + 5, true);                      //  mid-install
    assert_string_equal(fx->log, "install 1;");
    firmware_core_on_installed(fx->core, T0 + 6, 1, true, "3.0");
    s_power_cut(fx, T0 + 7, false);                     //  the actor alone restarted
    assert_string_equal(fx->log, "");                   //  the reboot waits for the notifications ...
    firmware_core_tick(fx->core, T0 + 7 + FW_REBOOT_WAIT_MS);
    assert_string_equal(fx->log, "reboot;");            //  ... at most so long
    assert_string_equal(firmware_core_status(fx->core, FW_KIND_FIRMWARE), "Installing");
    s_power_cut(fx, T0 + 8, true);                      //  the reboot
    assert_string_equal(fx->log, "release 2;");
    s_power_cut(fx, T0 + 9, true);                      //  before the release answered
    assert_string_equal(fx->log, "release 2;");
    firmware_core_on_released(fx->core, T0 + 10, true);
    assert_string_equal(s_drain(fx, FW_KIND_FIRMWARE), "Downloading,Downloaded,Installing,Installed");
    assert_int_equal(fx->persisted.step, FW_STEP_NONE);
    //  Ids never repeat after a restart.
    s_power_cut(fx, T0 + 11, true);
    firmware_core_update(fx->core, T0 + 12, "http://h/2", true, T0, 3, 1);
    assert_int_equal(fx->persisted.id, 2);
}

static void
test_restore_nothing(void **state)
{
    fx_t *fx = *state;
    firmware_core_restore(fx->core, T0, NULL, 7, true);
    assert_string_equal(fx->log, "");
    assert_int_equal(firmware_core_next_deadline(fx->core), INT64_MAX);
    firmware_core_update(fx->core, T0, "http://h/2", true, T0, 3, 1);
    assert_int_equal(fx->persisted.id, 8);
}

static void
test_report_queue(void **state)
{
    fx_t *fx = *state;
    //  Not delivered: stays at the head.
    firmware_core_update(fx->core, T0, "gopher://h", false, T0, 3, 1);
    fw_kind_t kind;
    const char *status;
    assert_true(firmware_core_report_head(fx->core, &kind, &status));
    firmware_core_report_done(fx->core, T0, false);
    assert_true(firmware_core_report_head(fx->core, &kind, &status));
    assert_int_equal(kind, FW_KIND_FIRMWARE);
    assert_string_equal(status, "DownloadFailed");
    //  Bounded: the oldest goes first.
    for (int i = 0; i < FW_REPORTS_MAX + 3; i++)
        firmware_core_update(fx->core, T0, "gopher://h", false, T0, 3, 1);
    assert_int_equal(fx->persisted.report_count, FW_REPORTS_MAX);
}

//  --------------------------------------------------------------------------
//  Diagnostics

static void
test_diagnostics(void **state)
{
    fx_t *fx = *state;
    assert_string_equal(firmware_core_status(fx->core, FW_KIND_DIAGNOSTICS), "Idle");
    firmware_core_diagnostics(fx->core, T0, "ftp://h/d/", true, "d.tar.gz", 2, 5, 0, INT64_MAX);
    assert_string_equal(fx->log, "upload 1;");
    assert_string_equal(firmware_core_status(fx->core, FW_KIND_DIAGNOSTICS), "Uploading");
    firmware_core_on_uploaded(fx->core, T0 + 1, 1, false);
    assert_int_equal(firmware_core_next_deadline(fx->core), T0 + 5001);
    firmware_core_tick(fx->core, T0 + 5001);
    assert_string_equal(fx->log, "upload 1;upload 1;");
    firmware_core_on_uploaded(fx->core, T0 + 5002, 1, true);
    assert_string_equal(firmware_core_status(fx->core, FW_KIND_DIAGNOSTICS), "Idle");
    assert_string_equal(s_drain(fx, FW_KIND_DIAGNOSTICS), "Uploading,Uploaded");
    //  Diagnostics never touch the firmware job.
    assert_int_equal(fx->persists, 0);
}

static void
test_diagnostics_fail_and_replace(void **state)
{
    fx_t *fx = *state;
    firmware_core_diagnostics(fx->core, T0, "http://h/u", true, "a", 1, 5, 0, INT64_MAX);
    firmware_core_on_uploaded(fx->core, T0, 1, false);
    assert_string_equal(s_drain(fx, FW_KIND_DIAGNOSTICS), "Uploading,UploadFailed");
    firmware_core_diagnostics(fx->core, T0, "nope", false, "b", 1, 5, 0, INT64_MAX);
    assert_string_equal(s_drain(fx, FW_KIND_DIAGNOSTICS), "UploadFailed");
    s_clear(fx);
    firmware_core_diagnostics(fx->core, T0, "http://h/u", true, "c", 3, 5, 0, INT64_MAX);
    firmware_core_diagnostics(fx->core, T0, "http://h/u", true, "d", 3, 5, 0, INT64_MAX);
    assert_string_equal(fx->log, "upload 3;cancel upload;upload 4;");
    firmware_core_on_uploaded(fx->core, T0, 3, true);           //  the replaced one
    assert_string_equal(firmware_core_status(fx->core, FW_KIND_DIAGNOSTICS), "Uploading");
    assert_string_equal(firmware_core_diag(fx->core)->file_name, "d");
}

//  --------------------------------------------------------------------------
//  Image check, locations, the archive's window and scrub

static void
test_image_parse(void **state)
{
    char v[FW_VERSION_MAX + 1], why[200];
    const char *good = "CHARGEPOINTD-SIM-FIRMWARE 1.2.3\nbinary";
    assert_int_equal(firmware_image_parse(good, strlen(good), v, sizeof(v), why, sizeof(why)), 0);
    assert_string_equal(v, "1.2.3");
    const char *crlf = "CHARGEPOINTD-SIM-FIRMWARE 2.0-rc1\r\n";
    assert_int_equal(firmware_image_parse(crlf, strlen(crlf), v, sizeof(v), why, sizeof(why)), 0);
    assert_string_equal(v, "2.0-rc1");
    const char *eof = "CHARGEPOINTD-SIM-FIRMWARE 3";
    assert_int_equal(firmware_image_parse(eof, strlen(eof), v, sizeof(v), why, sizeof(why)), 0);
    assert_string_equal(v, "3");
    const char *bad[] = {
        "", "garbage\n", "chargepointd-sim-firmware 1\n", "CHARGEPOINTD-SIM-FIRMWARE \n",
        "CHARGEPOINTD-SIM-FIRMWARE 1 2\n", "CHARGEPOINTD-SIM-FIRMWARE\t1\n", " CHARGEPOINTD-SIM-FIRMWARE 1\n",
        "CHARGEPOINTD-SIM-FIRMWARE 123456789012345678901234567890123456789012345678901\n",
        "CHARGEPOINTD-SIM-FIRMWARE 1\xc3\xa9\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        strcpy(v, "old");
        assert_int_equal(firmware_image_parse(bad[i], strlen(bad[i]), v, sizeof(v), why, sizeof(why)), -1);
        assert_string_equal(v, "old");
        assert_true(strlen(why) > 0);
    }
    //  The longest version a BootNotification takes.
    char line[128];
    snprintf(line, sizeof(line), "CHARGEPOINTD-SIM-FIRMWARE %.*s\n", FW_VERSION_MAX,
             "12345678901234567890123456789012345678901234567890");
    assert_int_equal(firmware_image_parse(line, strlen(line), v, sizeof(v), why, sizeof(why)), 0);
    assert_int_equal(strlen(v), FW_VERSION_MAX);
}

static void
test_image_file(void **state)
{
    char path[] = "/tmp/cp-fw-image-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "CHARGEPOINTD-SIM-FIRMWARE 7.7\nrest";
    assert_int_equal(write(fd, text, strlen(text)), (int) strlen(text));
    close(fd);
    char v[FW_VERSION_MAX + 1], why[200];
    assert_int_equal(firmware_image_check(path, v, sizeof(v), why, sizeof(why)), 0);
    assert_string_equal(v, "7.7");
    unlink(path);
    assert_int_equal(firmware_image_check(path, v, sizeof(v), why, sizeof(why)), -1);
}

static void
test_location_ok(void **state)
{
    assert_true(transfer_location_ok("http://127.0.0.1:8080/fw.bin"));
    assert_true(transfer_location_ok("HTTPS://fw.example.com/a"));
    assert_true(transfer_location_ok("ftp://user:p%40ss@10.0.0.1:21/dir/"));
    assert_true(transfer_location_ok("ftps://h"));
    assert_false(transfer_location_ok("gopher://h/x"));
    assert_false(transfer_location_ok("file:///etc/passwd"));
    assert_false(transfer_location_ok("http://"));
    assert_false(transfer_location_ok("http:///path"));
    assert_false(transfer_location_ok("ftp://user@/x"));
    assert_false(transfer_location_ok("http://h/a b"));
    assert_false(transfer_location_ok("http://h/\x01"));
    assert_false(transfer_location_ok("/fw.bin"));
}

static void
test_archive_window(void **state)
{
    int64_t ms = diag_archive_line_ms("2027-01-15T08:00:00.250Z info  main  x");
    assert_int_equal(ms, 1800000000250LL);             //  date -u -d 2027-01-15T08:00:00Z +%s
    assert_int_equal(ms % 1000, 250);
    assert_int_equal(diag_archive_line_ms("2027-01-15T08:00:01.250Z") - ms, 1000);
    assert_int_equal(diag_archive_line_ms("not a line"), -1);
    assert_int_equal(diag_archive_line_ms("2027-01-15 08:00:00.250Z"), -1);
    assert_int_equal(diag_archive_line_ms(""), -1);
    assert_true(diag_archive_in_window("2027-01-15T08:00:00.250Z a", ms, ms, false));
    assert_false(diag_archive_in_window("2027-01-15T08:00:00.249Z a", ms, INT64_MAX, true));
    assert_false(diag_archive_in_window("2027-01-15T08:00:00.251Z a", 0, ms, true));
    //  A continuation line follows the line before it.
    assert_true(diag_archive_in_window("  continued", ms, ms, true));
    assert_false(diag_archive_in_window("  continued", ms, ms, false));
}

static void
test_archive_scrub(void **state)
{
    char secrets[DIAG_SECRETS_MAX][DIAG_SECRET_MAX + 1] = { "s3cr3t", "", "ab" };
    char line[128] = "key=s3cr3t and again s3cr3ts3cr3t, ab!";
    diag_archive_scrub(line, sizeof(line), secrets, DIAG_SECRETS_MAX);
    assert_string_equal(line, "key=*** and again ******, ***!");
    char tight[8] = "abab";
    diag_archive_scrub(tight, sizeof(tight), secrets, DIAG_SECRETS_MAX);
    assert_null(strstr(tight, "ab"));
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_signed_update, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_get_log, s_setup, s_teardown),
        T(test_happy_path),
        T(test_reboot_waits_at_most),
        T(test_retrieve_date),
        T(test_download_retries),
        T(test_bad_location_and_tries),
        T(test_stale_outcomes_ignored),
        T(test_replace_keeps_hold_and_reports),
        T(test_no_replace_while_installing),
        T(test_hold_polls_until_free),
        T(test_installation_failed),
        T(test_power_cut_every_step),
        T(test_restore_nothing),
        T(test_report_queue),
        T(test_diagnostics),
        T(test_diagnostics_fail_and_replace),
        cmocka_unit_test(test_image_parse),
        cmocka_unit_test(test_image_file),
        cmocka_unit_test(test_location_ok),
        cmocka_unit_test(test_archive_window),
        cmocka_unit_test(test_archive_scrub),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
