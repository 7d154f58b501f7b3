/* firmware_sig.c — see firmware_sig.h. */
#include "actors/firmware/firmware_sig.h"

#include <assert.h>
#include <errno.h>
#include <mbedtls/base64.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#include <stdbool.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

//  mbedTLS parses PEM only from a NUL-terminated buffer whose length
//  counts the NUL.
static int
s_parse_pem(mbedtls_x509_crt *chain, const char *pem)
{
    return mbedtls_x509_crt_parse(chain, (const unsigned char *) pem, strlen(pem) + 1);
}

//  mbedTLS compares validity with the system clock; this one is given.
static int
s_valid_at(const mbedtls_x509_time *from, const mbedtls_x509_time *to, int64_t now_s)
{
    time_t t = (time_t) now_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    int64_t now = ((((int64_t) tm.tm_year + 1900) * 100 + tm.tm_mon + 1) * 100 + tm.tm_mday) * 1000000
                + (tm.tm_hour * 100 + tm.tm_min) * 100 + tm.tm_sec;
    int64_t a = (((int64_t) from->year * 100 + from->mon) * 100 + from->day) * 1000000
              + (from->hour * 100 + from->min) * 100 + from->sec;
    int64_t b = (((int64_t) to->year * 100 + to->mon) * 100 + to->day) * 1000000
              + (to->hour * 100 + to->min) * 100 + to->sec;
    return now >= a && now <= b;
}

int
firmware_sig_check_certificate(const char *cert_pem, const char *roots_file, int64_t now_s,
                               char *reason, size_t reason_size)
{
    assert(reason && reason_size);
    reason[0] = '\0';
    struct stat st;
    if (!roots_file || !roots_file[0] || stat(roots_file, &st) != 0) {
        snprintf(reason, reason_size, "no ManufacturerRootCertificate installed");
        return -1;
    }
    mbedtls_x509_crt chain, roots;
    mbedtls_x509_crt_init(&chain);
    mbedtls_x509_crt_init(&roots);
    int rc = -1;
    if (!cert_pem || s_parse_pem(&chain, cert_pem) != 0 || !chain.version)
        snprintf(reason, reason_size, "the signing certificate is not a PEM certificate");
    else
    if (mbedtls_x509_crt_parse_file(&roots, roots_file) != 0 || !roots.version)
        snprintf(reason, reason_size, "the installed ManufacturerRootCertificates cannot be read");
    else {
        uint32_t flags = 0;
        int vrc = mbedtls_x509_crt_verify(&chain, &roots, NULL, NULL, &flags, NULL, NULL);
        //  The time is ours to judge (the charger's clock, maybe set by
        //  the central system), every certificate of the chain
        flags &= ~(uint32_t) (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE);
        bool in_time = true;
        for (const mbedtls_x509_crt *c = &chain; c && c->version; c = c->next)
            in_time = in_time && s_valid_at(&c->valid_from, &c->valid_to, now_s);
        if ((vrc != 0 && vrc != MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) || flags != 0) {
            char info[160] = "";
            if (flags)
                mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
            for (char *p = info; *p; p++)
                if (*p == '\n')
                    *p = *(p + 1) ? ';' : '\0';
            snprintf(reason, reason_size, "the signing certificate does not verify under an installed "
                     "ManufacturerRootCertificate%s%s", info[0] ? ": " : "", info);
        }
        else
        if (!in_time)
            snprintf(reason, reason_size, "the signing certificate is not within its validity");
        else
            rc = 0;
    }
    mbedtls_x509_crt_free(&roots);
    mbedtls_x509_crt_free(&chain);
    return rc;
}

static int
s_sha256_file(const char *path, unsigned char digest[32])
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return -1;
    mbedtls_sha256_context sha;
    mbedtls_sha256_init(&sha);
    int rc = mbedtls_sha256_starts_ret(&sha, 0);
    unsigned char buf[16384];
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof(buf), file)) > 0)
        rc = mbedtls_sha256_update_ret(&sha, buf, n);
    if (rc == 0 && ferror(file))
        rc = -1;
    if (rc == 0)
        rc = mbedtls_sha256_finish_ret(&sha, digest);
    mbedtls_sha256_free(&sha);
    fclose(file);
    return rc == 0 ? 0 : -1;
}

int
firmware_sig_verify_image(const char *image_path, const char *cert_pem, const char *signature_b64,
                          char *reason, size_t reason_size)
{
    assert(image_path && reason && reason_size);
    reason[0] = '\0';
    unsigned char sig[1024];
    size_t sig_len = 0;
    //  Whitespace (line breaks of a wrapped base64) is not part of it
    char b64[FW_SIG_SIGNATURE_MAX + 1];
    size_t len = 0;
    for (const char *p = signature_b64 ? signature_b64 : ""; *p && len < sizeof(b64) - 1; p++)
        if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
            b64[len++] = *p;
    b64[len] = '\0';
    if (len == 0 || mbedtls_base64_decode(sig, sizeof(sig), &sig_len, (const unsigned char *) b64, len) != 0
        || sig_len == 0) {
        snprintf(reason, reason_size, "the signature is not base64");
        return -1;
    }
    unsigned char digest[32];
    if (s_sha256_file(image_path, digest) != 0) {
        snprintf(reason, reason_size, "the image cannot be read: %s", strerror(errno));
        return -1;
    }
    mbedtls_x509_crt chain;
    mbedtls_x509_crt_init(&chain);
    int rc = -1;
    if (!cert_pem || s_parse_pem(&chain, cert_pem) != 0 || !chain.version)
        snprintf(reason, reason_size, "the signing certificate is not a PEM certificate");
    else {
        //  RSA PKCS#1 v1.5 or ECDSA (DER), by the key's type
        int vrc = mbedtls_pk_verify(&chain.pk, MBEDTLS_MD_SHA256, digest, sizeof(digest), sig, sig_len);
        if (vrc != 0) {
            char detail[100];
            mbedtls_strerror(vrc, detail, sizeof(detail));
            snprintf(reason, reason_size, "the %s signature over the image's SHA256 does not verify (%s)",
                     mbedtls_pk_get_name(&chain.pk), detail);
        }
        else
            rc = 0;
    }
    mbedtls_x509_crt_free(&chain);
    return rc;
}
