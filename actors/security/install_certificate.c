/* install_certificate.c — InstallCertificate (whitepaper M05): check the
 * certificate with mbedTLS and keep it durably. Rules: security_ops.h. */
#include "actors/security/security_ops.h"

#include <stdio.h>
#include <string.h>
#include "actors/security/cert_info.h"
#include "actors/security/root_rotation.h"

static json_t *
s_status(const char *status)
{
    return json_pack("{s:s}", "status", status);
}

json_t *
install_certificate(security_ops_ctx_t *ctx, const json_t *request)
{
    ctx->reason[0] = '\0';
    ctx->changed = false;
    const char *type = json_string_value(json_object_get(request, "certificateType"));
    const char *pem = json_string_value(json_object_get(request, "certificate"));
    if (!type || !pem) {
        snprintf(ctx->reason, sizeof(ctx->reason), "certificateType and certificate are required");
        return s_status("Rejected");
    }
    security_cert_t installed[SECURITY_CERT_STORE_MAX];
    int count = security_store_certs(ctx->store, NULL, installed, SECURITY_CERT_STORE_MAX);
    if (count < 0) {
        snprintf(ctx->reason, sizeof(ctx->reason), "the certificate store cannot be read");
        return s_status("Failed");
    }
    cert_info_t info;
    char why[256];
    //  A root verifies under its own key; a sub-CA under an installed
    //  certificate that issued it.
    int rc = cert_info_parse(pem, NULL, 0, ctx->now_ms, &info, ctx->reason, sizeof(ctx->reason));
    for (int i = 0; rc != 0 && i < count; i++)
        if (cert_info_parse(pem, installed[i].der, installed[i].der_len, ctx->now_ms, &info, why, sizeof(why)) == 0)
            rc = 0;
    json_t *answer = NULL;
    if (rc != 0)
        answer = s_status("Rejected");
    for (int i = 0; !answer && i < count; i++)
        if (strcmp(installed[i].type, type) == 0 && installed[i].der_len == info.der_len
        &&  memcmp(installed[i].der, info.der, info.der_len) == 0) {
            snprintf(ctx->reason, sizeof(ctx->reason), "%.180s: already installed", info.subject);
            answer = s_status("Accepted");
        }
    //  AdditionalRootCertificateCheck (root_rotation.h): the new root must
    //  be issued by the one in force (M05.FR.09/10); it then replaces it,
    //  which stays as the fallback, and older fallbacks go (M05.FR.08/11).
    security_cert_t roots[SECURITY_CERT_STORE_MAX];
    int root_count = 0;
    bool rotate = !answer && ctx->additional_root_check && strcmp(type, "CentralSystemRootCertificate") == 0;
    for (int i = 0; rotate && i < count; i++)
        if (strcmp(installed[i].type, type) == 0)
            roots[root_count++] = installed[i];        //  borrowed: installed owns them
    if (rotate && !root_rotation_signed_by_current(roots, root_count, info.der, info.der_len)) {
        snprintf(ctx->reason, sizeof(ctx->reason), "M05.FR.10: %.100s is not signed by the root in force (%.100s)",
                 info.subject, roots[root_count - 1].hash.serial_number);
        answer = s_status("Rejected");
    }
    int dropped = rotate && root_count > 1 ? root_count - 1 : 0;
    if (!answer && count - dropped >= ctx->store_max) {
        snprintf(ctx->reason, sizeof(ctx->reason), "CertificateStoreMaxLength (%lld) certificates installed",
                 (long long) ctx->store_max);
        answer = s_status("Rejected");
    }
    if (!answer && security_store_cert_add(ctx->store, type, &info) != 0) {
        snprintf(ctx->reason, sizeof(ctx->reason), "the certificate store cannot write");
        answer = s_status("Failed");
    }
    int kept = 0;
    for (int i = 0; !answer && i < dropped; i++)
        if (security_store_cert_delete(ctx->store, roots[i].id) != 0)
            kept++;
    if (!answer) {
        snprintf(ctx->reason, sizeof(ctx->reason), "%.90s installed (serial %.40s)%s%s", info.subject,
                 info.hash.serial_number, rotate && root_count > 0 ? "; the root it replaces is the fallback" : "",
                 kept ? "; an older fallback could not be removed" : "");
        ctx->changed = true;
        answer = s_status("Accepted");
    }
    cert_info_clear(&info);
    security_store_free_certs(installed, count);
    return answer;
}
