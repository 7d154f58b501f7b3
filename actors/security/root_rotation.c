/* root_rotation.c — AdditionalRootCertificateCheck: see root_rotation.h. */
#include "actors/security/root_rotation.h"

#include <stdio.h>
#include <string.h>
#include "actors/security/cert_info.h"
#include <mbedtls/sha256.h>

bool
root_rotation_signed_by_current(const security_cert_t *roots, int count, const unsigned char *der,
                                size_t der_len)
{
    if (count <= 0)
        return true;
    const security_cert_t *current = &roots[count - 1];
    return cert_info_issued_by(der, der_len, current->der, current->der_len);
}

bool
root_rotation_drop_fallback(const security_cert_t *roots, int count, const char *link_root)
{
    if (count < 2 || !link_root || strlen(link_root) != 64)
        return false;
    const security_cert_t *current = &roots[count - 1];
    unsigned char sum[32];
    char hex[65];
    if (mbedtls_sha256_ret(current->der, current->der_len, sum, 0) != 0)
        return false;
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", sum[i]);
    return strcmp(hex, link_root) == 0;
}
