/* sign_certificate.c — SignCertificate.req (whitepaper A02/A03), the one
 * operation of this actor the charger sends: a fresh key pair, durable as
 * the pending key, and its CSR. Rules: security_ops.h. */
#include "actors/security/security_ops.h"

#include <stdio.h>
#include <string.h>

json_t *
sign_certificate(security_ops_ctx_t *ctx)
{
    ctx->reason[0] = '\0';
    ctx->changed = false;
    ctx->event = NULL;
    if (!ctx->cpo_name || !ctx->cpo_name[0]) {
        snprintf(ctx->reason, sizeof(ctx->reason), "CpoName is not set (A02/A03 prerequisite): no CSR");
        return NULL;
    }
    if (!ctx->serial || !ctx->serial[0]) {
        snprintf(ctx->reason, sizeof(ctx->reason), "no serial number for the CN (A00.FR.511): no CSR");
        return NULL;
    }
    char key[CP_CERT_KEY_PEM_MAX], csr[CP_CERT_CSR_PEM_MAX];
    json_t *payload = NULL;
    if (cp_cert_keygen(ctx->rng, ctx->p_rng, key, sizeof(key), ctx->reason, sizeof(ctx->reason)) != 0
    ||  cp_cert_csr(key, ctx->serial, ctx->cpo_name, ctx->rng, ctx->p_rng, csr, sizeof(csr), ctx->reason,
                    sizeof(ctx->reason)) != 0)
        goto done;
    //  Durable before the CSR leaves: the answer may come after a restart.
    if (cp_cert_store_put_pending(ctx->cp_certs, key) != 0) {
        snprintf(ctx->reason, sizeof(ctx->reason), "the pending key cannot be stored: no CSR");
        goto done;
    }
    payload = json_pack("{s:s}", "csr", csr);
    snprintf(ctx->reason, sizeof(ctx->reason), "CSR for CN=%.64s, O=%.64s (ECDSA P-256)", ctx->serial,
             ctx->cpo_name);
done:
    explicit_bzero(key, sizeof(key));
    return payload;
}
