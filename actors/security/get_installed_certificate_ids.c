/* get_installed_certificate_ids.c — GetInstalledCertificateIds
 * (whitepaper M03): the hash data of every installed certificate of the
 * requested type, NotFound when there is none. */
#include "actors/security/security_ops.h"

#include <stdio.h>

json_t *
get_installed_certificate_ids(security_ops_ctx_t *ctx, const json_t *request)
{
    ctx->reason[0] = '\0';
    ctx->changed = false;
    const char *type = json_string_value(json_object_get(request, "certificateType"));
    security_cert_t certs[SECURITY_CERT_STORE_MAX];
    int count = type ? security_store_certs(ctx->store, type, certs, SECURITY_CERT_STORE_MAX) : -1;
    if (count < 0) {
        //  The schema has no failure status: an unreadable store is a
        //  store without certificates to report, said in the log.
        snprintf(ctx->reason, sizeof(ctx->reason), "the certificate store cannot be read");
        return json_pack("{s:s}", "status", "NotFound");
    }
    if (count == 0)
        return json_pack("{s:s}", "status", "NotFound");
    json_t *list = json_array();
    for (int i = 0; i < count; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}",
            "hashAlgorithm", certs[i].hash.hash_algorithm, "issuerNameHash", certs[i].hash.issuer_name_hash,
            "issuerKeyHash", certs[i].hash.issuer_key_hash, "serialNumber", certs[i].hash.serial_number));
    security_store_free_certs(certs, count);
    return json_pack("{s:s, s:o}", "status", "Accepted", "certificateHashData", list);
}
