/* update_firmware.c — UpdateFirmware (spec 5.19). The answer is empty (the
 * spec has no status): a location we cannot use still gets it, then the
 * job fails with DownloadFailed — a CSMS learns of every outcome through
 * FirmwareStatusNotification. A retrieveDate in the past means now. While
 * an install is committing, a new request is ignored (logged): see
 * firmware_core.h. */
#include "actors/firmware/firmware_ops.h"

#include <limits.h>
#include <string.h>
#include "actors/firmware/transfer.h"
#include "supervisor/clock.h"
#include "supervisor/log.h"

int
fw_ops_int(const json_t *value)
{
    if (!json_is_integer(value))
        return -1;
    json_int_t n = json_integer_value(value);
    if (n < 0)
        return 0;
    return n > INT_MAX ? INT_MAX : (int) n;
}

json_t *
update_firmware(fw_ops_ctx_t *ctx, const json_t *request)
{
    const char *location = json_string_value(json_object_get(request, "location"));
    const char *date = json_string_value(json_object_get(request, "retrieveDate"));
    int64_t retrieve_ms = 0;
    if (!date || cp_clock_parse(date, &retrieve_ms) != 0)
        retrieve_ms = ctx->now_ms;
    bool ok = location && strlen(location) <= FW_LOCATION_MAX && transfer_location_ok(location);
    char shown[FW_LOCATION_MAX + 1];
    cp_log_redact_url(location ? location : "", shown, sizeof(shown));
    if (!ok)
        cp_warn("firmware", "UpdateFirmware: cannot download from '%s' (unsupported scheme or malformed): "
                "DownloadFailed", shown);
    if (!firmware_core_update(ctx->core, ctx->now_ms, location ? location : "", ok, retrieve_ms,
                              fw_ops_int(json_object_get(request, "retries")),
                              fw_ops_int(json_object_get(request, "retryInterval"))))
        cp_warn("firmware", "UpdateFirmware from %s ignored: an installation is committing", shown);
    else
        cp_info("firmware", "UpdateFirmware: job %lld from %s at %s", (long long) firmware_core_job(ctx->core)->id,
                shown, date ? date : "now");
    return json_object();
}
