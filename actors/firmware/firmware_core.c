/* firmware_core.c — the firmware and diagnostics state machines (see
 * firmware_core.h for the steps and the rules). Every transition goes
 * through s_enter so that the job is persisted before the effect that
 * depends on it: a power cut between the two finds the step on disk and
 * does the effect again, never the reverse.
 */
#include "actors/firmware/firmware_core.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIAG_REPORTS_MAX 4

struct _firmware_core_t {
    fw_effects_t fx;
    void *ctx;
    fw_job_t job;
    int64_t last_id;                //  highest job id ever used (fw and diagnostics)
    int64_t hold_due_ms;            //  DOWNLOADED: the next hold request (0 = now)
    bool hold_asked;                //  a hold request is in flight
    int64_t release_due_ms;         //  FINISHED with held connectors: next release
    bool release_asked;
    int64_t reboot_at_ms;           //  REBOOTING: reboot at the latest then
    bool reboot_asked;
    bool installing;                //  INSTALLING: the installer runs
    fw_diag_t diag;
    char diag_reports[DIAG_REPORTS_MAX][20];
    int diag_report_count;
};

const char *
fw_step_name(fw_step_t step)
{
    static const char *const names[] = { "none", "waiting", "downloading", "downloaded", "installing",
                                          "rebooting", "finished" };
    return step <= FW_STEP_FINISHED ? names[step] : "?";
}

firmware_core_t *
firmware_core_new(const fw_effects_t *effects, void *ctx)
{
    assert(effects && effects->persist && effects->download && effects->cancel_download && effects->hold
           && effects->install && effects->reboot && effects->upload && effects->cancel_upload && effects->report);
    firmware_core_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->fx = *effects;
    self->ctx = ctx;
    return self;
}

void
firmware_core_destroy(firmware_core_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

const fw_job_t *firmware_core_job(const firmware_core_t *self) { return &self->job; }
const fw_diag_t *firmware_core_diag(const firmware_core_t *self) { return &self->diag; }

//  Queue a FirmwareStatusNotification (persisted with the job by the
//  caller's s_enter/persist). A full queue drops the oldest: the newest
//  status is the one that matters.
static void
s_queue(firmware_core_t *self, const char *status)
{
    fw_job_t *job = &self->job;
    if (job->report_count == FW_REPORTS_MAX) {
        memmove(job->reports[0], job->reports[1], sizeof(job->reports[0]) * (FW_REPORTS_MAX - 1));
        job->report_count--;
    }
    if (job->signed_fw)
        snprintf(job->reports[job->report_count++], sizeof(job->reports[0]), "%c%s", FW_SIGNED_MARK, status);
    else
        snprintf(job->reports[job->report_count++], sizeof(job->reports[0]), "%s", status);
}

static void
s_diag_queue(firmware_core_t *self, const char *status)
{
    if (self->diag_report_count == DIAG_REPORTS_MAX) {
        memmove(self->diag_reports[0], self->diag_reports[1], sizeof(self->diag_reports[0]) * (DIAG_REPORTS_MAX - 1));
        self->diag_report_count--;
    }
    if (self->diag.log)
        //  N01's name for a failed upload
        snprintf(self->diag_reports[self->diag_report_count++], sizeof(self->diag_reports[0]), "%c%s", FW_LOG_MARK,
                 strcmp(status, "UploadFailed") == 0 ? "UploadFailure" : status);
    else
        snprintf(self->diag_reports[self->diag_report_count++], sizeof(self->diag_reports[0]), "%s", status);
    self->fx.report(self->ctx);
}

//  FINISHED and nothing owed any more: forget the job.
static void
s_maybe_forget(firmware_core_t *self)
{
    fw_job_t *job = &self->job;
    if (job->step != FW_STEP_FINISHED || job->report_count > 0 || job->held != 0)
        return;
    int64_t id = job->id;
    memset(job, 0, sizeof(*job));
    job->id = id;
    self->fx.persist(self->ctx, job);
}

//  The single way into a step: state first, persisted, then its effect.
static void
s_enter(firmware_core_t *self, int64_t now_ms, fw_step_t step, const char *status)
{
    fw_job_t *job = &self->job;
    job->step = step;
    if (status)
        s_queue(self, status);
    self->hold_asked = false;
    self->release_asked = false;
    self->installing = false;
    self->reboot_asked = false;
    if (step == FW_STEP_DOWNLOADING)
        job->next_ms = 0;
    self->fx.persist(self->ctx, job);
    if (status)
        self->fx.report(self->ctx);
    switch (step) {
        case FW_STEP_DOWNLOADING:
            self->fx.download(self->ctx, job);
            break;
        case FW_STEP_DOWNLOADED:
            self->hold_due_ms = 0;
            self->hold_asked = true;
            self->fx.hold(self->ctx, true, 0);
            break;
        case FW_STEP_INSTALLING:
            self->installing = true;
            self->fx.install(self->ctx, job);
            break;
        case FW_STEP_REBOOTING:
            self->reboot_at_ms = now_ms + FW_REBOOT_WAIT_MS;
            if (job->report_count == 0) {
                self->reboot_asked = true;
                self->fx.reboot(self->ctx);
            }
            break;
        case FW_STEP_FINISHED:
            self->release_due_ms = 0;
            if (job->held) {
                self->release_asked = true;
                self->fx.hold(self->ctx, false, job->held);
            }
            else
                s_maybe_forget(self);
            break;
        default:
            break;
    }
}

void
firmware_core_restore(firmware_core_t *self, int64_t now_ms, const fw_job_t *job, int64_t last_id,
                      bool rebooted)
{
    assert(self);
    self->last_id = last_id;
    if (!job || job->step == FW_STEP_NONE) {
        if (job && job->id > self->last_id)
            self->last_id = job->id;
        return;
    }
    self->job = *job;
    if (job->id > self->last_id)
        self->last_id = job->id;
    if (self->job.report_count > 0)
        self->fx.report(self->ctx);
    switch (job->step) {
        case FW_STEP_WAITING:
            break;                  //  tick starts it at retrieveDate
        case FW_STEP_DOWNLOADING:
            //  Cut mid-transfer: the partial file is worthless; try again
            //  now, or at the retry time if an attempt had failed.
            if (self->job.next_ms == 0)
                s_enter(self, now_ms, FW_STEP_DOWNLOADING, NULL);
            break;
        case FW_STEP_DOWNLOADED:
            s_enter(self, now_ms, FW_STEP_DOWNLOADED, NULL);
            break;
        case FW_STEP_INSTALLING:
            s_enter(self, now_ms, FW_STEP_INSTALLING, NULL);
            break;
        case FW_STEP_REBOOTING:
            //  After a restart of the process the new image runs; after a
            //  restart of this actor alone the reboot is still owed.
            if (rebooted)
                s_enter(self, now_ms, FW_STEP_FINISHED, "Installed");
            else
                s_enter(self, now_ms, FW_STEP_REBOOTING, NULL);
            break;
        case FW_STEP_FINISHED:
            s_enter(self, now_ms, FW_STEP_FINISHED, NULL);
            break;
        default:
            break;
    }
}

static int
s_tries(int retries)
{
    if (retries < 0)
        return FW_DEFAULT_TRIES;
    if (retries < 1)
        return 1;
    return retries > FW_MAX_TRIES ? FW_MAX_TRIES : retries;
}

static int64_t
s_interval_ms(int interval_s)
{
    return 1000 * (int64_t) (interval_s < 0 ? FW_DEFAULT_INTERVAL_S : interval_s);
}

static bool s_update(firmware_core_t *self, int64_t now_ms, const char *location, bool location_ok,
                     int64_t retrieve_ms, int retries, int interval_s, const fw_job_t *sig);

bool
firmware_core_update(firmware_core_t *self, int64_t now_ms, const char *location, bool location_ok,
                     int64_t retrieve_ms, int retries, int interval_s)
{
    return s_update(self, now_ms, location, location_ok, retrieve_ms, retries, interval_s, NULL);
}

bool
firmware_core_update_signed(firmware_core_t *self, int64_t now_ms, const char *location, bool location_ok,
                            int64_t retrieve_ms, int retries, int interval_s, int request_id,
                            const char *signing_cert, const char *signature)
{
    assert(signing_cert && signature);
    fw_job_t sig;
    memset(&sig, 0, sizeof(sig));
    sig.signed_fw = true;
    sig.request_id = request_id;
    snprintf(sig.signing_cert, sizeof(sig.signing_cert), "%s", signing_cert);
    snprintf(sig.signature, sizeof(sig.signature), "%s", signature);
    return s_update(self, now_ms, location, location_ok, retrieve_ms, retries, interval_s, &sig);
}

static bool
s_update(firmware_core_t *self, int64_t now_ms, const char *location, bool location_ok,
         int64_t retrieve_ms, int retries, int interval_s, const fw_job_t *sig)
{
    assert(self && location);
    fw_job_t *job = &self->job;
    if (job->step == FW_STEP_INSTALLING || job->step == FW_STEP_REBOOTING)
        return false;
    if (job->step == FW_STEP_DOWNLOADING)
        self->fx.cancel_download(self->ctx);
    //  What the old job still owes (final statuses, held connectors) carries
    //  over: the central system hears every status, the connectors come
    //  back once.
    fw_job_t next;
    memset(&next, 0, sizeof(next));
    next.id = ++self->last_id;
    if (sig) {
        //  Persisted with the first step: a restart never forgets that
        //  this image must be verified
        next.signed_fw = true;
        next.request_id = sig->request_id;
        memcpy(next.signing_cert, sig->signing_cert, sizeof(next.signing_cert));
        memcpy(next.signature, sig->signature, sizeof(next.signature));
    }
    snprintf(next.location, sizeof(next.location), "%s", location);
    next.tries = s_tries(retries);
    next.interval_ms = s_interval_ms(interval_s);
    next.retrieve_ms = retrieve_ms;
    next.held = job->held;
    memcpy(next.reports, job->reports, sizeof(next.reports));
    next.report_count = job->report_count;
    *job = next;
    if (!location_ok)
        s_enter(self, now_ms, FW_STEP_FINISHED, "DownloadFailed");
    else
    if (retrieve_ms > now_ms)
        s_enter(self, now_ms, FW_STEP_WAITING, NULL);
    else
        s_enter(self, now_ms, FW_STEP_DOWNLOADING, "Downloading");
    return true;
}

void
firmware_core_on_downloaded(firmware_core_t *self, int64_t now_ms, int64_t id, bool ok)
{
    fw_job_t *job = &self->job;
    if (job->step != FW_STEP_DOWNLOADING || id != job->id || job->next_ms != 0)
        return;                     //  a cancelled or replaced job's outcome
    if (ok && job->signed_fw) {
        //  L01.FR.03/04: the signature decides before anything is held or
        //  installed; a bad image ends the job here
        s_queue(self, "Downloaded");
        if (!self->fx.verify || !self->fx.verify(self->ctx, job))
            s_enter(self, now_ms, FW_STEP_FINISHED, "InvalidSignature");
        else
            s_enter(self, now_ms, FW_STEP_DOWNLOADED, "SignatureVerified");
        return;
    }
    if (ok) {
        s_enter(self, now_ms, FW_STEP_DOWNLOADED, "Downloaded");
        return;
    }
    job->failed++;
    if (job->failed >= job->tries) {
        s_enter(self, now_ms, FW_STEP_FINISHED, "DownloadFailed");
        return;
    }
    job->next_ms = now_ms + job->interval_ms;
    if (job->next_ms == 0)
        job->next_ms = 1;
    self->fx.persist(self->ctx, job);
}

void
firmware_core_on_hold(firmware_core_t *self, int64_t now_ms, bool replied, int64_t active, int64_t held)
{
    fw_job_t *job = &self->job;
    if (job->step != FW_STEP_DOWNLOADED || !self->hold_asked)
        return;
    self->hold_asked = false;
    self->hold_due_ms = now_ms + FW_HOLD_POLL_MS;
    if (!replied)
        return;
    if ((job->held | held) != job->held) {
        job->held |= held;
        self->fx.persist(self->ctx, job);
    }
    if (active == 0)
        s_enter(self, now_ms, FW_STEP_INSTALLING, "Installing");
}

void
firmware_core_on_released(firmware_core_t *self, int64_t now_ms, bool ok)
{
    fw_job_t *job = &self->job;
    if (!self->release_asked)
        return;
    self->release_asked = false;
    if (!ok) {
        self->release_due_ms = now_ms + FW_HOLD_POLL_MS;
        return;
    }
    job->held = 0;
    self->fx.persist(self->ctx, job);
    s_maybe_forget(self);
}

void
firmware_core_on_installed(firmware_core_t *self, int64_t now_ms, int64_t id, bool ok, const char *version)
{
    fw_job_t *job = &self->job;
    if (job->step != FW_STEP_INSTALLING || id != job->id || !self->installing)
        return;
    self->installing = false;
    if (!ok) {
        s_enter(self, now_ms, FW_STEP_FINISHED, "InstallationFailed");
        return;
    }
    snprintf(job->version, sizeof(job->version), "%s", version ? version : "");
    s_enter(self, now_ms, FW_STEP_REBOOTING, NULL);
}

static void s_upload(firmware_core_t *self, int64_t now_ms, const char *location, bool location_ok,
                     const char *file_name, int retries, int interval_s, int64_t start_ms, int64_t stop_ms,
                     const fw_diag_t *log);

void
firmware_core_diagnostics(firmware_core_t *self, int64_t now_ms, const char *location, bool location_ok,
                          const char *file_name, int retries, int interval_s, int64_t start_ms, int64_t stop_ms)
{
    s_upload(self, now_ms, location, location_ok, file_name, retries, interval_s, start_ms, stop_ms, NULL);
}

bool
firmware_core_get_log(firmware_core_t *self, int64_t now_ms, const char *location, bool location_ok,
                      const char *file_name, int retries, int interval_s, int64_t start_ms, int64_t stop_ms,
                      int request_id, bool security_log)
{
    bool replaced = self->diag.active;
    fw_diag_t log = { .log = true, .security_log = security_log, .request_id = request_id };
    s_upload(self, now_ms, location, location_ok, file_name, retries, interval_s, start_ms, stop_ms, &log);
    return replaced;
}

static void
s_upload(firmware_core_t *self, int64_t now_ms, const char *location, bool location_ok,
         const char *file_name, int retries, int interval_s, int64_t start_ms, int64_t stop_ms,
         const fw_diag_t *log)
{
    assert(self && location && file_name);
    (void) now_ms;
    if (self->diag.active && self->diag.next_ms == 0)
        self->fx.cancel_upload(self->ctx);
    fw_diag_t *d = &self->diag;
    memset(d, 0, sizeof(*d));
    if (log) {
        d->log = true;
        d->security_log = log->security_log;
        d->request_id = log->request_id;
    }
    d->id = ++self->last_id;
    snprintf(d->location, sizeof(d->location), "%s", location);
    snprintf(d->file_name, sizeof(d->file_name), "%s", file_name);
    d->tries = s_tries(retries);
    d->interval_ms = s_interval_ms(interval_s);
    d->start_ms = start_ms;
    d->stop_ms = stop_ms;
    if (!location_ok) {
        s_diag_queue(self, "UploadFailed");
        return;
    }
    d->active = true;
    s_diag_queue(self, "Uploading");
    self->fx.upload(self->ctx, d);
}

void
firmware_core_on_uploaded(firmware_core_t *self, int64_t now_ms, int64_t id, bool ok)
{
    fw_diag_t *d = &self->diag;
    if (!d->active || d->id != id || d->next_ms != 0)
        return;
    if (ok) {
        d->active = false;
        s_diag_queue(self, "Uploaded");
        return;
    }
    d->failed++;
    if (d->failed >= d->tries) {
        d->active = false;
        s_diag_queue(self, "UploadFailed");
        return;
    }
    d->next_ms = now_ms + d->interval_ms;
    if (d->next_ms == 0)
        d->next_ms = 1;
}

void
firmware_core_tick(firmware_core_t *self, int64_t now_ms)
{
    fw_job_t *job = &self->job;
    if (job->step == FW_STEP_WAITING && now_ms >= job->retrieve_ms)
        s_enter(self, now_ms, FW_STEP_DOWNLOADING, "Downloading");
    else
    if (job->step == FW_STEP_DOWNLOADING && job->next_ms != 0 && now_ms >= job->next_ms) {
        //  A retry: "Downloading" was reported at the first attempt.
        //  Reported again only if the first one never left (restart).
        job->next_ms = 0;
        s_enter(self, now_ms, FW_STEP_DOWNLOADING, NULL);
    }
    else
    if (job->step == FW_STEP_DOWNLOADED && !self->hold_asked && now_ms >= self->hold_due_ms) {
        self->hold_asked = true;
        self->fx.hold(self->ctx, true, 0);
    }
    else
    if (job->step == FW_STEP_REBOOTING && !self->reboot_asked
        && (job->report_count == 0 || now_ms >= self->reboot_at_ms)) {
        self->reboot_asked = true;
        self->fx.reboot(self->ctx);
    }
    else
    if (job->step == FW_STEP_FINISHED && job->held && !self->release_asked && now_ms >= self->release_due_ms) {
        self->release_asked = true;
        self->fx.hold(self->ctx, false, job->held);
    }
    fw_diag_t *d = &self->diag;
    if (d->active && d->next_ms != 0 && now_ms >= d->next_ms) {
        d->next_ms = 0;
        self->fx.upload(self->ctx, d);
    }
}

static int64_t
s_min(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int64_t
firmware_core_next_deadline(const firmware_core_t *self)
{
    const fw_job_t *job = &self->job;
    int64_t next = INT64_MAX;
    if (job->step == FW_STEP_WAITING)
        next = job->retrieve_ms;
    else
    if (job->step == FW_STEP_DOWNLOADING && job->next_ms != 0)
        next = job->next_ms;
    else
    if (job->step == FW_STEP_DOWNLOADED && !self->hold_asked)
        next = self->hold_due_ms;
    else
    if (job->step == FW_STEP_REBOOTING && !self->reboot_asked)
        next = self->reboot_at_ms;
    else
    if (job->step == FW_STEP_FINISHED && job->held && !self->release_asked)
        next = self->release_due_ms;
    if (self->diag.active && self->diag.next_ms != 0)
        next = s_min(next, self->diag.next_ms);
    return next;
}

bool
firmware_core_report_head(const firmware_core_t *self, fw_kind_t *kind, const char **status)
{
    if (self->job.report_count > 0) {
        bool signed_fw = self->job.reports[0][0] == FW_SIGNED_MARK;
        *kind = signed_fw ? FW_KIND_SIGNED_FIRMWARE : FW_KIND_FIRMWARE;
        *status = self->job.reports[0] + (signed_fw ? 1 : 0);
        return true;
    }
    if (self->diag_report_count > 0) {
        bool log = self->diag_reports[0][0] == FW_LOG_MARK;
        *kind = log ? FW_KIND_LOG : FW_KIND_DIAGNOSTICS;
        *status = self->diag_reports[0] + (log ? 1 : 0);
        return true;
    }
    return false;
}

void
firmware_core_report_done(firmware_core_t *self, int64_t now_ms, bool delivered_or_dropped)
{
    if (!delivered_or_dropped)
        return;
    fw_job_t *job = &self->job;
    if (job->report_count > 0) {
        memmove(job->reports[0], job->reports[1], sizeof(job->reports[0]) * (FW_REPORTS_MAX - 1));
        job->report_count--;
        self->fx.persist(self->ctx, job);
        if (job->step == FW_STEP_REBOOTING && job->report_count == 0 && !self->reboot_asked) {
            self->reboot_asked = true;
            self->fx.reboot(self->ctx);
        }
        s_maybe_forget(self);
    }
    else
    if (self->diag_report_count > 0) {
        memmove(self->diag_reports[0], self->diag_reports[1],
                sizeof(self->diag_reports[0]) * (DIAG_REPORTS_MAX - 1));
        self->diag_report_count--;
    }
    if (self->job.report_count > 0 || self->diag_report_count > 0)
        self->fx.report(self->ctx);
}

const char *
firmware_core_status(const firmware_core_t *self, fw_kind_t kind)
{
    if (kind == FW_KIND_DIAGNOSTICS || kind == FW_KIND_LOG)
        return self->diag.active ? "Uploading" : "Idle";
    switch (self->job.step) {
        case FW_STEP_DOWNLOADING: return "Downloading";
        case FW_STEP_DOWNLOADED:  return "Downloaded";
        case FW_STEP_INSTALLING:
        case FW_STEP_REBOOTING:   return "Installing";
        default:                  return "Idle";
    }
}
