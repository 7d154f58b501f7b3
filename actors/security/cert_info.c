/* cert_info.c — see cert_info.h. mbedTLS does the parsing, hashing and
 * signature check; this file only decides what is a certificate the
 * charger may trust as a root and how its hash data is spelled. */
#define _GNU_SOURCE             //  timegm
#include "actors/security/cert_info.h"

#include <assert.h>
#include <ctype.h>
#include <mbedtls/asn1.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static void
s_hex(const unsigned char *bytes, size_t len, char *out, size_t out_size, bool upper)
{
    static const char lower_digits[] = "0123456789abcdef", upper_digits[] = "0123456789ABCDEF";
    const char *digits = upper ? upper_digits : lower_digits;
    size_t o = 0;
    for (size_t i = 0; i < len && o + 2 < out_size; i++) {
        out[o++] = digits[bytes[i] >> 4];
        out[o++] = digits[bytes[i] & 0x0f];
    }
    out[o] = '\0';
}

static int
s_sha256_hex(const unsigned char *data, size_t len, char *out, size_t out_size)
{
    unsigned char digest[32];
    if (mbedtls_sha256_ret(data, len, digest, 0) != 0)
        return -1;
    s_hex(digest, sizeof(digest), out, out_size, false);
    return 0;
}

//  The value of subjectPublicKey inside a SubjectPublicKeyInfo (RFC 5280
//  4.1): SEQUENCE { AlgorithmIdentifier SEQUENCE, BIT STRING }.
static int
s_public_key_bits(const mbedtls_x509_buf *spki, unsigned char **bits, size_t *bits_len)
{
    unsigned char *p = spki->p, *end = spki->p + spki->len;
    size_t len = 0;
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
        return -1;
    end = p + len;
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
        return -1;
    p += len;                       //  the algorithm
    if (mbedtls_asn1_get_bitstring_null(&p, end, &len) != 0)
        return -1;
    *bits = p;
    *bits_len = len;
    return 0;
}

//  Does issuer's key verify crt's signature (what mbedtls_x509_crt_verify
//  does per link, spelt out so a root is checked against itself too)?
static bool
s_signed_by(mbedtls_x509_crt *crt, mbedtls_x509_crt *issuer)
{
    if (crt->issuer_raw.len != issuer->subject_raw.len
    ||  memcmp(crt->issuer_raw.p, issuer->subject_raw.p, crt->issuer_raw.len) != 0)
        return false;
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(crt->sig_md);
    unsigned char hash[MBEDTLS_MD_MAX_SIZE];
    if (!md || mbedtls_md(md, crt->tbs.p, crt->tbs.len, hash) != 0)
        return false;
    return mbedtls_pk_verify_ext(crt->sig_pk, crt->sig_opts, &issuer->pk, crt->sig_md, hash,
                                 mbedtls_md_get_size(md), crt->sig.p, crt->sig.len) == 0;
}

static int64_t
s_time_ms(const mbedtls_x509_time *t)
{
    struct tm tm = { .tm_year = t->year - 1900, .tm_mon = t->mon - 1, .tm_mday = t->day,
                     .tm_hour = t->hour, .tm_min = t->min, .tm_sec = t->sec };
    return (int64_t) timegm(&tm) * 1000;
}

//  One PEM certificate: mbedtls_x509_crt_parse takes a bundle, so count.
static int
s_parse_one(mbedtls_x509_crt *crt, const char *pem, char *reason, size_t reason_size)
{
    if (!strstr(pem, "-----BEGIN CERTIFICATE-----")) {
        snprintf(reason, reason_size, "not a PEM certificate");
        return -1;
    }
    int rc = mbedtls_x509_crt_parse(crt, (const unsigned char *) pem, strlen(pem) + 1);
    if (rc != 0) {
        char why[100];
        mbedtls_strerror(rc, why, sizeof(why));
        snprintf(reason, reason_size, "unreadable certificate: %s", why);
        return -1;
    }
    if (crt->next && crt->next->raw.len) {
        snprintf(reason, reason_size, "more than one certificate");
        return -1;
    }
    return 0;
}

int
cert_info_parse(const char *pem, const unsigned char *issuer_der, size_t issuer_len, int64_t now_ms,
                cert_info_t *info, char *reason, size_t reason_size)
{
    assert(pem && info && reason && reason_size);
    memset(info, 0, sizeof(*info));
    reason[0] = '\0';
    mbedtls_x509_crt crt, issuer;
    mbedtls_x509_crt_init(&crt);
    mbedtls_x509_crt_init(&issuer);
    int rc = -1;
    if (s_parse_one(&crt, pem, reason, reason_size) != 0)
        goto done;
    mbedtls_x509_dn_gets(info->subject, sizeof(info->subject), &crt.subject);
    if (crt.version != 3 || !crt.ca_istrue) {
        snprintf(reason, reason_size, "%s is not a CA certificate (X.509 v3 basicConstraints cA)", info->subject);
        goto done;
    }
    info->ca = true;
    info->not_before_ms = s_time_ms(&crt.valid_from);
    info->not_after_ms = s_time_ms(&crt.valid_to);
    if (now_ms < info->not_before_ms || now_ms > info->not_after_ms) {
        snprintf(reason, reason_size, "%s is %s", info->subject,
                 now_ms < info->not_before_ms ? "not valid yet" : "expired");
        goto done;
    }
    mbedtls_x509_crt *signer = &crt;
    if (issuer_der) {
        if (mbedtls_x509_crt_parse_der(&issuer, issuer_der, issuer_len) != 0) {
            snprintf(reason, reason_size, "the issuer's certificate is unreadable");
            goto done;
        }
        signer = &issuer;
    }
    if (!s_signed_by(&crt, signer)) {
        snprintf(reason, reason_size, "%s: %s", info->subject,
                 issuer_der ? "its signature does not verify under its issuer"
                            : "not self-signed (its issuer is not installed)");
        goto done;
    }
    info->self_signed = signer == &crt;
    unsigned char *bits = NULL;
    size_t bits_len = 0;
    if (s_public_key_bits(&signer->pk_raw, &bits, &bits_len) != 0
    ||  s_sha256_hex(crt.issuer_raw.p, crt.issuer_raw.len, info->hash.issuer_name_hash,
                     sizeof(info->hash.issuer_name_hash)) != 0
    ||  s_sha256_hex(bits, bits_len, info->hash.issuer_key_hash, sizeof(info->hash.issuer_key_hash)) != 0) {
        snprintf(reason, reason_size, "cannot hash the issuer's name or key");
        goto done;
    }
    snprintf(info->hash.hash_algorithm, sizeof(info->hash.hash_algorithm), "SHA256");
    //  The serial's DER INTEGER content: skip leading zero digits.
    char serial[2 * 20 + 1];
    if (crt.serial.len > 20) {
        snprintf(reason, reason_size, "serial number longer than 20 bytes (RFC 5280 4.1.2.2)");
        goto done;
    }
    s_hex(crt.serial.p, crt.serial.len, serial, sizeof(serial), true);
    const char *s = serial;
    while (*s == '0' && s[1])
        s++;
    memcpy(info->hash.serial_number, s, strlen(s) + 1);     //  at most 40 digits
    info->der = malloc(crt.raw.len);
    if (!info->der) {
        snprintf(reason, reason_size, "out of memory");
        goto done;
    }
    memcpy(info->der, crt.raw.p, crt.raw.len);
    info->der_len = crt.raw.len;
    rc = 0;
done:
    mbedtls_x509_crt_free(&crt);
    mbedtls_x509_crt_free(&issuer);
    return rc;
}

void
cert_info_clear(cert_info_t *info)
{
    if (!info)
        return;
    free(info->der);
    memset(info, 0, sizeof(*info));
}

bool
cert_info_issued_by(const unsigned char *der, size_t der_len, const unsigned char *issuer_der, size_t issuer_len)
{
    mbedtls_x509_crt crt, issuer;
    mbedtls_x509_crt_init(&crt);
    mbedtls_x509_crt_init(&issuer);
    bool yes = mbedtls_x509_crt_parse_der(&crt, der, der_len) == 0
            && mbedtls_x509_crt_parse_der(&issuer, issuer_der, issuer_len) == 0
            && s_signed_by(&crt, &issuer);
    mbedtls_x509_crt_free(&crt);
    mbedtls_x509_crt_free(&issuer);
    return yes;
}

static const char *
s_skip_zeros(const char *s)
{
    while (*s == '0' && s[1])
        s++;
    return s;
}

bool
cert_hash_data_equal(const cert_hash_data_t *a, const cert_hash_data_t *b)
{
    return strcmp(a->hash_algorithm, b->hash_algorithm) == 0
        && strcasecmp(a->issuer_name_hash, b->issuer_name_hash) == 0
        && strcasecmp(a->issuer_key_hash, b->issuer_key_hash) == 0
        && strcasecmp(s_skip_zeros(a->serial_number), s_skip_zeros(b->serial_number)) == 0;
}

bool
cert_info_in_bundle(const unsigned char *der, size_t der_len, const char *bundle_path)
{
    if (!bundle_path || !bundle_path[0])
        return false;
    mbedtls_x509_crt bundle;
    mbedtls_x509_crt_init(&bundle);
    //  A bundle may hold certificates mbedTLS cannot read (a positive
    //  count): the rest still counts.
    bool found = false;
    if (mbedtls_x509_crt_parse_file(&bundle, bundle_path) >= 0)
        for (mbedtls_x509_crt *c = &bundle; c && c->raw.len && !found; c = c->next)
            found = c->raw.len == der_len && memcmp(c->raw.p, der, der_len) == 0;
    mbedtls_x509_crt_free(&bundle);
    return found;
}
