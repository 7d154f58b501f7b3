/* get_diagnostics.c — GetDiagnostics (spec 5.9): answered with the name
 * of the file that will be uploaded (always: the persistent log and the
 * status snapshot are always there), then uploaded to location by the
 * core's effects. A location we cannot use still gets the file name, then
 * UploadFailed. startTime/stopTime select the log's lines; they are the
 * central system's time and the log is stamped with this host's clock, so
 * the window is shifted by the offset between the two. */
#include "actors/firmware/firmware_ops.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "actors/firmware/transfer.h"
#include "supervisor/clock.h"
#include "supervisor/log.h"

//  A file name a server accepts as-is: letters, digits and - _ . only.
void
fw_ops_file_name(fw_ops_ctx_t *ctx, const char *prefix, char *out, size_t size)
{
    char id[64];
    size_t n = 0;
    for (const char *p = ctx->charge_point_id ? ctx->charge_point_id : ""; *p && n < sizeof(id) - 1; p++)
        id[n++] = (isalnum((unsigned char) *p) || *p == '-' || *p == '_') ? *p : '_';
    id[n] = '\0';
    char stamp[32];
    cp_clock_format(ctx->now_ms, stamp, sizeof(stamp));
    char compact[32];
    size_t m = 0;
    for (const char *p = stamp; *p && *p != '.' && m < sizeof(compact) - 2; p++)
        if (*p != '-' && *p != ':')
            compact[m++] = *p;
    compact[m++] = 'Z';
    compact[m] = '\0';
    snprintf(out, size, "%s-%s-%s.tar.gz", prefix, n ? id : "chargepoint", compact);
}

void
fw_ops_window(const char *start, const char *stop, int64_t shift_ms, int64_t *start_ms, int64_t *stop_ms)
{
    if (start && cp_clock_parse(start, start_ms) == 0)
        *start_ms -= shift_ms;
    else
        *start_ms = 0;
    if (stop && cp_clock_parse(stop, stop_ms) == 0)
        *stop_ms -= shift_ms;
    else
        *stop_ms = INT64_MAX;
}

json_t *
get_diagnostics(fw_ops_ctx_t *ctx, const json_t *request)
{
    const char *location = json_string_value(json_object_get(request, "location"));
    const char *start = json_string_value(json_object_get(request, "startTime"));
    const char *stop = json_string_value(json_object_get(request, "stopTime"));
    int64_t start_ms, stop_ms;
    fw_ops_window(start, stop, ctx->host_offset_ms, &start_ms, &stop_ms);
    char file_name[FW_FILE_NAME_MAX + 1];
    fw_ops_file_name(ctx, "diagnostics", file_name, sizeof(file_name));
    bool ok = location && strlen(location) <= FW_LOCATION_MAX && transfer_location_ok(location);
    char shown[FW_LOCATION_MAX + 1];
    cp_log_redact_url(location ? location : "", shown, sizeof(shown));
    if (ok)
        cp_info("firmware", "GetDiagnostics: %s to %s", file_name, shown);
    else
        cp_warn("firmware", "GetDiagnostics: cannot upload to '%s' (unsupported scheme or malformed): "
                "UploadFailed", shown);
    firmware_core_diagnostics(ctx->core, ctx->now_ms, location ? location : "", ok, file_name,
                              fw_ops_int(json_object_get(request, "retries")),
                              fw_ops_int(json_object_get(request, "retryInterval")), start_ms, stop_ms);
    return json_pack("{s:s}", "fileName", file_name);
}
