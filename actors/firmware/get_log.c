/* get_log.c — GetLog (security whitepaper N01): DiagnosticsLog uploads the
 * archive GetDiagnostics uploads (the persistent log's window, the status,
 * the configuration); SecurityLog uploads the durable security log's
 * events in the window (diag_archive.h). Both go through the diagnostics
 * upload machine (firmware_core.h), report LogStatusNotification with the
 * requestId (Uploading, Uploaded, UploadFailure) and answer Accepted with
 * the file name, or AcceptedCanceled when an upload under way is replaced
 * (N01.FR.12). oldestTimestamp / latestTimestamp bound the window: for
 * the DiagnosticsLog shifted like GetDiagnostics' (the log file is stamped
 * with this host's clock), for the SecurityLog not (its events carry the
 * charger's clock). */
#include "actors/firmware/firmware_ops.h"

#include <string.h>
#include "actors/firmware/transfer.h"
#include "supervisor/clock.h"
#include "supervisor/log.h"

json_t *
get_log(fw_ops_ctx_t *ctx, const json_t *request)
{
    const json_t *log = json_object_get(request, "log");
    const char *location = json_string_value(json_object_get(log, "remoteLocation"));
    const char *oldest = json_string_value(json_object_get(log, "oldestTimestamp"));
    const char *latest = json_string_value(json_object_get(log, "latestTimestamp"));
    const char *type = json_string_value(json_object_get(request, "logType"));
    int request_id = (int) json_integer_value(json_object_get(request, "requestId"));
    bool security = type && strcmp(type, "SecurityLog") == 0;
    int64_t shift = security ? 0 : ctx->host_offset_ms;
    int64_t start_ms, stop_ms;
    fw_ops_window(oldest, latest, shift, &start_ms, &stop_ms);
    char file_name[FW_FILE_NAME_MAX + 1];
    fw_ops_file_name(ctx, security ? "securitylog" : "diagnosticslog", file_name, sizeof(file_name));
    bool ok = location && strlen(location) <= FW_LOCATION_MAX && transfer_location_ok(location);
    char shown[FW_LOCATION_MAX + 1];
    cp_log_redact_url(location ? location : "", shown, sizeof(shown));
    if (ok)
        cp_info("firmware", "GetLog %d (%s): %s to %s", request_id, type ? type : "?", file_name, shown);
    else
        cp_warn("firmware", "GetLog %d: cannot upload to '%s' (unsupported scheme or malformed): UploadFailure",
                request_id, shown);
    bool replaced = firmware_core_get_log(ctx->core, ctx->now_ms, location ? location : "", ok, file_name,
                                          fw_ops_int(json_object_get(request, "retries")),
                                          fw_ops_int(json_object_get(request, "retryInterval")), start_ms, stop_ms,
                                          request_id, security);
    return json_pack("{s:s, s:s}", "status", replaced ? "AcceptedCanceled" : "Accepted", "filename", file_name);
}
