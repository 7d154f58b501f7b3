/* fuzz_cert.c — libFuzzer harness for the certificate a central system
 * sends in InstallCertificate (actors/security/cert_info.c): untrusted
 * input that reaches mbedTLS's PEM and X.509 parsers and our hash data.
 * The first byte picks the form: 0 = the bytes as PEM text; otherwise the
 * rest is DER, wrapped here as one PEM certificate so that the fuzzer
 * reaches the X.509 parser instead of the armour check; odd values also
 * try the input as a sub-CA of a fixed (fuzzed) issuer: itself.
 * Properties: no crash, leak or UB; an accepted certificate is a CA, has
 * 64-digit lower-case hashes, a serial of 1..40 upper-case hex digits
 * without leading zeros (but "0"), its DER, and equals its own hash data.
 * Built and run by scripts/fuzz.sh. */
#include <mbedtls/base64.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/security/cert_info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_check(const cert_info_t *info)
{
    if (!info->ca || !info->der || info->der_len == 0)
        abort();
    if (strcmp(info->hash.hash_algorithm, "SHA256") != 0)
        abort();
    const char *hashes[] = { info->hash.issuer_name_hash, info->hash.issuer_key_hash };
    for (int h = 0; h < 2; h++) {
        if (strlen(hashes[h]) != 64)
            abort();
        for (const char *c = hashes[h]; *c; c++)
            if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
                abort();
    }
    size_t n = strlen(info->hash.serial_number);
    if (n < 1 || n > CERT_SERIAL_HEX_MAX || (n > 1 && info->hash.serial_number[0] == '0'))
        abort();
    for (const char *c = info->hash.serial_number; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'F')))
            abort();
    if (!cert_hash_data_equal(&info->hash, &info->hash))
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > CERT_PEM_MAX)
        return 0;
    char *pem = NULL;
    if (data[0] == 0) {
        pem = malloc(size);
        if (!pem)
            return 0;
        memcpy(pem, data + 1, size - 1);
        pem[size - 1] = '\0';
    }
    else {
        size_t b64_len = 0;
        mbedtls_base64_encode(NULL, 0, &b64_len, data + 1, size - 1);
        const char head[] = "-----BEGIN CERTIFICATE-----\n", tail[] = "\n-----END CERTIFICATE-----\n";
        pem = malloc(sizeof(head) + b64_len + sizeof(tail));
        if (!pem)
            return 0;
        strcpy(pem, head);
        size_t written = 0;
        if (mbedtls_base64_encode((unsigned char *) pem + strlen(head), b64_len, &written, data + 1, size - 1) != 0) {
            free(pem);
            return 0;
        }
        strcpy(pem + strlen(head) + written, tail);
    }
    //  A fixed "now" (2030-01-01, inside the seed corpus's validity), so a
    //  run is reproducible; the fuzzer moves the DER's dates around it.
    int64_t now_ms = 1893456000000LL;
    cert_info_t info;
    char reason[256];
    if (cert_info_parse(pem, NULL, 0, now_ms, &info, reason, sizeof(reason)) == 0) {
        s_check(&info);
        if (data[0] & 1) {
            cert_info_t sub;
            if (cert_info_parse(pem, info.der, info.der_len, now_ms, &sub, reason, sizeof(reason)) == 0) {
                s_check(&sub);
                cert_info_clear(&sub);
            }
            (void) cert_info_issued_by(info.der, info.der_len, info.der, info.der_len);
        }
        cert_info_clear(&info);
    }
    else
    if (!memchr(reason, '\0', sizeof(reason)) || reason[0] == '\0')
        abort();            //  a refusal always says why
    free(pem);
    return 0;
}
