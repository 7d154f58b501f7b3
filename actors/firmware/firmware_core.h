/* firmware_core.h — the pure decisions of the firmware actor: the firmware
 * update (UpdateFirmware, spec 5.19) and the diagnostics upload
 * (GetDiagnostics, 5.9) as two state machines, and the queue of the
 * notifications they owe the central system (4.4, 4.5, errata 3.12).
 *
 * No sockets, no clock, no disk, no transfer: the shell (firmware_actor.c)
 * passes wall-clock milliseconds and outcomes in, and carries out the
 * effects (persist, download, upload, hold, install, reboot). So every
 * transition, every retry and every restart is unit-tested on a virtual
 * clock (test/unit/test_firmware_core.c).
 *
 * FIRMWARE UPDATE (durable: the job is persisted at every step, before any
 * effect that depends on it, and a restart — reboot, kill -9, power cut —
 * resumes from the persisted step):
 *
 *   WAITING      until retrieveDate (wall ms).
 *   DOWNLOADING  a download runs; "Downloading" is reported once, at the
 *                first attempt. A failed attempt waits retryInterval and
 *                tries again until `tries` attempts failed → DownloadFailed.
 *                Restart: the partial file is thrown away, the attempt runs
 *                again (failed attempts are counted durably).
 *   DOWNLOADED   "Downloaded" reported; the connectors are held (no new
 *                session starts) and the transaction actor is asked every
 *                FW_HOLD_POLL_MS until no transaction runs. Restart: asks
 *                again.
 *   INSTALLING   "Installing" reported; the installer runs (the simulated
 *                board's image check, or --firmware-installer). Failure →
 *                InstallationFailed, the old version kept. Restart: the
 *                install runs again from the kept image (an install that
 *                did not commit left nothing behind: the sim image check
 *                commits the version and the next step in one transaction).
 *   REBOOTING    installed and committed; the reboot is asked once the
 *                notifications have left (at most FW_REBOOT_WAIT_MS). The
 *                next start reports "Installed" (after BootNotification is
 *                Accepted: the shell only sends while registered).
 *   FINISHED     a final status is queued; the held connectors are given
 *                back; then the job is forgotten (deleted).
 *
 *   A new UpdateFirmware replaces the job in any step but INSTALLING and
 *   REBOOTING (the running download is cancelled and its partial file
 *   deleted; held connectors stay held for the new job). During those two
 *   steps an install is already committing: the new request is ignored
 *   and logged, and the central system sees Installed/InstallationFailed.
 *
 * DIAGNOSTICS (in memory: an upload cut by a reboot is not resumed — the
 * central system asks again; its file would hold a different window of a
 * rotated log anyway): UPLOADING ("Uploading" reported at the first
 * attempt) → Uploaded, or after `tries` failed attempts retryInterval
 * apart → UploadFailed. A new GetDiagnostics replaces a running upload.
 *
 * `retries` is read as the number of attempts ("how many times Charge
 * Point must try … before giving up", 5.9/5.19), at least 1; absent, the
 * charge point decides: FW_DEFAULT_TRIES attempts FW_DEFAULT_INTERVAL_S
 * apart.
 */
#ifndef CP_ACTORS_FIRMWARE_FIRMWARE_CORE_H
#define CP_ACTORS_FIRMWARE_FIRMWARE_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include "actors/firmware/firmware_sig.h"

#define FW_LOCATION_MAX         512
#define FW_VERSION_MAX          50
#define FW_FILE_NAME_MAX        255
#define FW_REPORTS_MAX          8       //  firmware statuses owed; more would be a loop
#define FW_DEFAULT_TRIES        3
#define FW_DEFAULT_INTERVAL_S   30
#define FW_MAX_TRIES            100
#define FW_HOLD_POLL_MS         2000
#define FW_REBOOT_WAIT_MS       10000

typedef enum {
    FW_STEP_NONE = 0,
    FW_STEP_WAITING,
    FW_STEP_DOWNLOADING,
    FW_STEP_DOWNLOADED,
    FW_STEP_INSTALLING,
    FW_STEP_REBOOTING,
    FW_STEP_FINISHED
} fw_step_t;

//  The durable firmware job (firmware_store.c keeps exactly this).
typedef struct {
    int64_t id;                         //  increases with every job: stale outcomes are ignored
    fw_step_t step;
    char location[FW_LOCATION_MAX + 1];
    int tries;                          //  attempts allowed
    int failed;                         //  attempts failed so far
    int64_t interval_ms;
    int64_t retrieve_ms;                //  wall
    int64_t next_ms;                    //  wall: the next attempt (0 = now)
    int64_t held;                       //  connectors held Unavailable (bit n = connector n)
    char version[FW_VERSION_MAX + 1];   //  installed by this job (REBOOTING), for the store
    //  FirmwareStatusNotification statuses not yet delivered, oldest first;
    //  a status of a signed job starts with FW_SIGNED_MARK (it goes out as
    //  SignedFirmwareStatusNotification)
    char reports[FW_REPORTS_MAX][20];
    int report_count;
    //  SignedUpdateFirmware (security whitepaper L01): the image is
    //  verified after the download, before anything is installed
    bool signed_fw;
    int request_id;
    char signing_cert[FW_SIG_CERT_MAX + 1];
    char signature[FW_SIG_SIGNATURE_MAX + 1];
} fw_job_t;

#define FW_SIGNED_MARK '~'
//  ... and a status of a GetLog upload (LogStatusNotification)
#define FW_LOG_MARK '^'

typedef enum { FW_KIND_FIRMWARE, FW_KIND_DIAGNOSTICS, FW_KIND_SIGNED_FIRMWARE, FW_KIND_LOG } fw_kind_t;

typedef struct {
    bool active;
    int64_t id;
    char location[FW_LOCATION_MAX + 1];
    char file_name[FW_FILE_NAME_MAX + 1];
    int tries, failed;
    int64_t interval_ms;
    int64_t start_ms, stop_ms;          //  the log window (wall; 0 / INT64_MAX = open)
    int64_t next_ms;                    //  wall: the next attempt; 0 = running
    //  GetLog (security whitepaper N01) rather than GetDiagnostics: its
    //  statuses go out as LogStatusNotification with request_id
    bool log;
    bool security_log;                  //  logType SecurityLog (else DiagnosticsLog)
    int request_id;
} fw_diag_t;

//  Effects, carried out by the shell. Each is called with the core in its
//  new state (firmware_core_job is already what persist wrote).
typedef struct {
    //  Write the job durably (step NONE: delete it). Called before any
    //  other effect of the same transition.
    void (*persist)(void *ctx, const fw_job_t *job);
    //  Start a download of job->location (job->id names it); a previous
    //  one, if any, has been cancelled.
    void (*download)(void *ctx, const fw_job_t *job);
    //  Stop the running download (the partial file goes with it).
    void (*cancel_download)(void *ctx);
    //  hold true: ask the transaction actor to hold the connectors and say
    //  how many transactions run (firmware_core_on_hold). hold false: give
    //  back the connectors in mask (firmware_core_on_released).
    void (*hold)(void *ctx, bool hold, int64_t mask);
    //  Install the downloaded image (firmware_core_on_installed).
    void (*install)(void *ctx, const fw_job_t *job);
    //  A signed job's image is downloaded: check its signature now
    //  (synchronous). True when it verifies. Optional: without it a signed
    //  image never verifies.
    bool (*verify)(void *ctx, const fw_job_t *job);
    //  Restart the process in place (a Hard reset).
    void (*reboot)(void *ctx);
    //  Build the diagnostics archive and upload it (firmware_core_on_uploaded).
    void (*upload)(void *ctx, const fw_diag_t *diag);
    void (*cancel_upload)(void *ctx);
    //  Anything in the queue of notifications changed: the shell sends
    //  the head when it can (firmware_core_report_head).
    void (*report)(void *ctx);
} fw_effects_t;

typedef struct _firmware_core_t firmware_core_t;

firmware_core_t *firmware_core_new(const fw_effects_t *effects, void *ctx);
void firmware_core_destroy(firmware_core_t **self_p);

//  At start: the job the store kept (NULL or step NONE: none), the
//  highest job id ever used, and whether the process restarted since the
//  job was last persisted (a REBOOTING job then reports Installed; after a
//  restart of the actor alone the reboot is asked again). Resumes the step.
void firmware_core_restore(firmware_core_t *self, int64_t now_ms, const fw_job_t *job, int64_t last_id,
                           bool rebooted);

//  UpdateFirmware. location_ok false (unsupported scheme, malformed URL):
//  the job fails at once with DownloadFailed. retries/interval_s < 0 =
//  absent. Returns false when ignored (an install is committing).
bool firmware_core_update(firmware_core_t *self, int64_t now_ms, const char *location, bool location_ok,
                          int64_t retrieve_ms, int retries, int interval_s);
//  SignedUpdateFirmware: the same job, with the signing certificate (already
//  checked against the ManufacturerRootCertificates) and the signature the
//  image must carry. After "Downloaded" comes "SignatureVerified", or
//  "InvalidSignature" and the end of the job (never an install); statuses
//  go out as SignedFirmwareStatusNotification with request_id.
bool firmware_core_update_signed(firmware_core_t *self, int64_t now_ms, const char *location, bool location_ok,
                                 int64_t retrieve_ms, int retries, int interval_s, int request_id,
                                 const char *signing_cert, const char *signature);
//  Outcome of download id.
void firmware_core_on_downloaded(firmware_core_t *self, int64_t now_ms, int64_t id, bool ok);
//  Answer to a hold request: transactions still running, connectors held
//  by it (added to the job's mask). replied false: the transaction actor
//  did not answer (asked again later).
void firmware_core_on_hold(firmware_core_t *self, int64_t now_ms, bool replied, int64_t active, int64_t held);
//  The connectors were given back (ok) or not (asked again later).
void firmware_core_on_released(firmware_core_t *self, int64_t now_ms, bool ok);
//  Outcome of the install of job id; version: what now runs (sim image).
void firmware_core_on_installed(firmware_core_t *self, int64_t now_ms, int64_t id, bool ok, const char *version);

//  GetDiagnostics. file_name: what GetDiagnostics.conf announced.
//  location_ok false: UploadFailed at once (after the answer).
void firmware_core_diagnostics(firmware_core_t *self, int64_t now_ms, const char *location, bool location_ok,
                               const char *file_name, int retries, int interval_s, int64_t start_ms,
                               int64_t stop_ms);
void firmware_core_on_uploaded(firmware_core_t *self, int64_t now_ms, int64_t id, bool ok);
//  GetLog: the same upload machine (one upload at a time: a GetLog
//  replaces a running GetDiagnostics or GetLog, and the other way round).
//  Statuses: Uploading, Uploaded, UploadFailure (LogStatusNotification).
//  Returns true when it replaced an upload under way (AcceptedCanceled).
bool firmware_core_get_log(firmware_core_t *self, int64_t now_ms, const char *location, bool location_ok,
                           const char *file_name, int retries, int interval_s, int64_t start_ms, int64_t stop_ms,
                           int request_id, bool security_log);

//  Timers: due retries, retrieveDate, hold polls, the reboot wait.
void firmware_core_tick(firmware_core_t *self, int64_t now_ms);
//  The earliest wall ms at which tick has something to do; INT64_MAX = none.
int64_t firmware_core_next_deadline(const firmware_core_t *self);

//  The notification queue: the oldest status owed (false when none) and
//  its delivery. delivered false with drop true: the central system
//  refused it (CALLERROR) — dropped, never retried into a loop.
bool firmware_core_report_head(const firmware_core_t *self, fw_kind_t *kind, const char **status);
void firmware_core_report_done(firmware_core_t *self, int64_t now_ms, bool delivered_or_dropped);

//  What TriggerMessage answers now: the step's status, Idle when nothing
//  is going on (spec 4.4, 4.5).
const char *firmware_core_status(const firmware_core_t *self, fw_kind_t kind);

//  Views.
const fw_job_t *firmware_core_job(const firmware_core_t *self);
const fw_diag_t *firmware_core_diag(const firmware_core_t *self);
const char *fw_step_name(fw_step_t step);
#endif
