/* signed_update_firmware.c — SignedUpdateFirmware (security whitepaper
 * L01). The signing certificate is checked against the installed
 * ManufacturerRootCertificates before anything is downloaded (L01.FR.02):
 * InvalidCertificate and the InvalidFirmwareSigningCertificate security
 * event otherwise, and no job. Accepted: the job of UpdateFirmware
 * (firmware_core.h), which verifies the image's signature after the
 * download (firmware_sig.h) and reports SignedFirmwareStatusNotification;
 * AcceptedCanceled when it replaces a job still under way (L01.FR.24);
 * Rejected while an install is committing. RevokedCertificate is never
 * answered: the charger has no revocation list. */
#include "actors/firmware/firmware_ops.h"

#include <string.h>
#include "actors/firmware/firmware_sig.h"
#include "actors/firmware/transfer.h"
#include "supervisor/clock.h"
#include "supervisor/log.h"

static json_t *
s_status(const char *status)
{
    return json_pack("{s:s}", "status", status);
}

json_t *
signed_update_firmware(fw_ops_ctx_t *ctx, const json_t *request)
{
    const json_t *firmware = json_object_get(request, "firmware");
    const char *location = json_string_value(json_object_get(firmware, "location"));
    const char *date = json_string_value(json_object_get(firmware, "retrieveDateTime"));
    const char *cert = json_string_value(json_object_get(firmware, "signingCertificate"));
    const char *signature = json_string_value(json_object_get(firmware, "signature"));
    int request_id = (int) json_integer_value(json_object_get(request, "requestId"));
    if (!location || !cert || !signature)
        return NULL;                //  the schema requires them: not reached
    if (firmware_sig_check_certificate(cert, ctx->manufacturer_roots, ctx->now_ms / 1000, ctx->reason,
                                       sizeof(ctx->reason)) != 0) {
        cp_warn("firmware", "SignedUpdateFirmware %d: InvalidCertificate: %s", request_id, ctx->reason);
        ctx->event = "InvalidFirmwareSigningCertificate";
        return s_status("InvalidCertificate");
    }
    int64_t retrieve_ms = 0;
    if (!date || cp_clock_parse(date, &retrieve_ms) != 0)
        retrieve_ms = ctx->now_ms;
    bool ok = strlen(location) <= FW_LOCATION_MAX && transfer_location_ok(location);
    char shown[FW_LOCATION_MAX + 1];
    cp_log_redact_url(location, shown, sizeof(shown));
    if (!ok)
        cp_warn("firmware", "SignedUpdateFirmware %d: cannot download from '%s': DownloadFailed", request_id, shown);
    fw_step_t before = firmware_core_job(ctx->core)->step;
    bool busy = before != FW_STEP_NONE && before != FW_STEP_FINISHED;
    if (!firmware_core_update_signed(ctx->core, ctx->now_ms, location, ok, retrieve_ms,
                                     fw_ops_int(json_object_get(request, "retries")),
                                     fw_ops_int(json_object_get(request, "retryInterval")), request_id, cert,
                                     signature)) {
        cp_warn("firmware", "SignedUpdateFirmware %d from %s Rejected: an installation is committing", request_id,
                shown);
        return s_status("Rejected");
    }
    cp_info("firmware", "SignedUpdateFirmware %d: job %lld from %s at %s (signing certificate verified)",
            request_id, (long long) firmware_core_job(ctx->core)->id, shown, date ? date : "now");
    return s_status(busy ? "AcceptedCanceled" : "Accepted");
}
