/* certificate_signed.c — CertificateSigned (whitepaper A02/A03): check
 * the chain against the pending key and the installed Central System
 * roots, then make it the Charge Point certificate in use. Rules:
 * security_ops.h. */
#include "actors/security/security_ops.h"

#include <stdio.h>
#include <string.h>

static json_t *
s_rejected(security_ops_ctx_t *ctx)
{
    ctx->event = "InvalidChargePointCertificate";
    return json_pack("{s:s}", "status", "Rejected");
}

json_t *
certificate_signed(security_ops_ctx_t *ctx, const json_t *request)
{
    ctx->reason[0] = '\0';
    ctx->changed = false;
    ctx->event = NULL;
    const char *chain = json_string_value(json_object_get(request, "certificateChain"));
    if (!chain) {
        snprintf(ctx->reason, sizeof(ctx->reason), "certificateChain is required");
        return s_rejected(ctx);
    }
    char key[CP_CERT_KEY_PEM_MAX];
    if (cp_cert_store_get_pending(ctx->cp_certs, key, sizeof(key)) != 0) {
        snprintf(ctx->reason, sizeof(ctx->reason), "no CSR is pending (no key to match the certificate)");
        return s_rejected(ctx);
    }
    security_cert_t roots[SECURITY_CERT_STORE_MAX];
    int count = security_store_certs(ctx->store, "CentralSystemRootCertificate", roots, SECURITY_CERT_STORE_MAX);
    json_t *answer = NULL;
    if (count < 0) {
        snprintf(ctx->reason, sizeof(ctx->reason), "the certificate store cannot be read");
        answer = s_rejected(ctx);
        goto done;
    }
    cp_cert_der_t ders[SECURITY_CERT_STORE_MAX];
    for (int i = 0; i < count; i++) {
        ders[i].der = roots[i].der;
        ders[i].len = roots[i].der_len;
    }
    cp_cert_leaf_t leaf;
    char why[512];
    if (cp_cert_check_chain(chain, (size_t) (ctx->chain_max > 0 ? ctx->chain_max : 0), key, ctx->serial, ders,
                            count, ctx->now_ms, &leaf, why, sizeof(why)) != 0) {
        snprintf(ctx->reason, sizeof(ctx->reason), "%.250s", why);
        answer = s_rejected(ctx);
        goto done;
    }
    if (cp_cert_store_install(ctx->cp_certs, chain, (long long) ctx->now_ms) != 0) {
        snprintf(ctx->reason, sizeof(ctx->reason), "the certificate cannot be stored: the previous one stays");
        //  The certificate was fine: no InvalidChargePointCertificate.
        answer = json_pack("{s:s}", "status", "Rejected");
        goto done;
    }
    snprintf(ctx->reason, sizeof(ctx->reason), "%.150s installed (serial %s, %d in the chain)", leaf.subject,
             leaf.serial, leaf.count);
    ctx->changed = true;
    answer = json_pack("{s:s}", "status", "Accepted");
done:
    explicit_bzero(key, sizeof(key));
    security_store_free_certs(roots, count > 0 ? count : 0);
    return answer;
}
