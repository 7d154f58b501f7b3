/* delete_certificate.c — DeleteCertificate (whitepaper M04): remove the
 * installed certificate with this hash data, unless it verifies the
 * connection in use. Rules: security_ops.h. */
#include "actors/security/security_ops.h"

#include <stdio.h>
#include <string.h>
#include "actors/security/cert_info.h"
#include <mbedtls/sha256.h>

//  The root the wss:// link up now verified under (its DER's SHA256, as
//  the gateway saw it during the handshake).
static bool
s_is_link_root(const security_cert_t *cert, const char *link_root)
{
    if (!link_root || strlen(link_root) != 64)
        return false;
    unsigned char sum[32];
    char hex[65];
    if (mbedtls_sha256_ret(cert->der, cert->der_len, sum, 0) != 0)
        return false;
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", sum[i]);
    return strcmp(hex, link_root) == 0;
}

json_t *
delete_certificate(security_ops_ctx_t *ctx, const json_t *request)
{
    ctx->reason[0] = '\0';
    ctx->changed = false;
    const json_t *data = json_object_get(request, "certificateHashData");
    cert_hash_data_t wanted;
    memset(&wanted, 0, sizeof(wanted));
    snprintf(wanted.hash_algorithm, sizeof(wanted.hash_algorithm), "%s",
             json_string_value(json_object_get(data, "hashAlgorithm")) ?: "");
    snprintf(wanted.issuer_name_hash, sizeof(wanted.issuer_name_hash), "%s",
             json_string_value(json_object_get(data, "issuerNameHash")) ?: "");
    snprintf(wanted.issuer_key_hash, sizeof(wanted.issuer_key_hash), "%s",
             json_string_value(json_object_get(data, "issuerKeyHash")) ?: "");
    snprintf(wanted.serial_number, sizeof(wanted.serial_number), "%s",
             json_string_value(json_object_get(data, "serialNumber")) ?: "");
    security_cert_t certs[SECURITY_CERT_STORE_MAX];
    int count = security_store_certs(ctx->store, NULL, certs, SECURITY_CERT_STORE_MAX);
    if (count < 0) {
        snprintf(ctx->reason, sizeof(ctx->reason), "the certificate store cannot be read");
        return json_pack("{s:s}", "status", "Failed");
    }
    const char *status = "NotFound";
    for (int i = 0; i < count; i++) {
        if (!cert_hash_data_equal(&certs[i].hash, &wanted))
            continue;
        if (strcmp(certs[i].type, "CentralSystemRootCertificate") == 0 && ctx->tls_connected
        &&  (cert_info_in_bundle(certs[i].der, certs[i].der_len, ctx->ca_file)
             || s_is_link_root(&certs[i], ctx->link_root))) {
            snprintf(ctx->reason, sizeof(ctx->reason),
                     "serial %s verifies the connection in use (M04.FR.06)", certs[i].hash.serial_number);
            status = "Failed";
            break;
        }
        if (security_store_cert_delete(ctx->store, certs[i].id) != 0) {
            snprintf(ctx->reason, sizeof(ctx->reason), "the certificate store cannot write");
            status = "Failed";
            break;
        }
        snprintf(ctx->reason, sizeof(ctx->reason), "%s serial %s deleted", certs[i].type,
                 certs[i].hash.serial_number);
        ctx->changed = true;
        status = "Accepted";
        break;
    }
    if (strcmp(status, "NotFound") == 0)
        snprintf(ctx->reason, sizeof(ctx->reason), "no installed certificate has serial %s with these hashes",
                 wanted.serial_number);
    security_store_free_certs(certs, count);
    return json_pack("{s:s}", "status", status);
}
