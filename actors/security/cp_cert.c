/* cp_cert.c — see cp_cert.h. mbedTLS generates, writes and verifies;
 * this file decides what goes into the CSR and what a chain must be for
 * the charger to take it as its own certificate. */
#define _GNU_SOURCE             //  timegm
#include "actors/security/cp_cert.h"

#include <assert.h>
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void
s_why(char *reason, size_t size, const char *what, int rc)
{
    char detail[100];
    mbedtls_strerror(rc, detail, sizeof(detail));
    snprintf(reason, size, "%s: %s", what, detail);
}

int
cp_cert_keygen(cp_cert_rng_t rng, void *p_rng, char *key_pem, size_t key_size, char *reason, size_t reason_size)
{
    assert(rng && key_pem && reason);
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (rc == 0)
        rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), rng, p_rng);
    if (rc == 0)
        rc = mbedtls_pk_write_key_pem(&pk, (unsigned char *) key_pem, key_size);
    mbedtls_pk_free(&pk);
    if (rc != 0) {
        s_why(reason, reason_size, "key generation failed", rc);
        memset(key_pem, 0, key_size);
        return -1;
    }
    return 0;
}

//  "CN=<cn>,O=<org>" for mbedtls_x509_string_to_names, which takes a
//  backslash before a comma (and nothing else) as part of a value.
static int
s_append_value(char *out, size_t size, size_t *at, const char *value)
{
    for (const char *c = value; *c; c++) {
        if (*c == ',' && *at + 1 < size)
            out[(*at)++] = '\\';
        if (*at + 1 >= size)
            return -1;
        out[(*at)++] = *c;
    }
    out[*at] = '\0';
    return 0;
}

static int
s_subject(const char *cn, const char *org, char *out, size_t size)
{
    size_t at = 0;
    out[0] = '\0';
    if (snprintf(out, size, "CN=") != 3)
        return -1;
    at = 3;
    if (s_append_value(out, size, &at, cn) != 0 || at + 4 >= size)
        return -1;
    memcpy(out + at, ",O=", 4);
    at += 3;
    return s_append_value(out, size, &at, org);
}

int
cp_cert_csr(const char *key_pem, const char *cn, const char *org, cp_cert_rng_t rng, void *p_rng, char *csr_pem,
            size_t csr_size, char *reason, size_t reason_size)
{
    assert(key_pem && cn && org && rng && csr_pem && reason);
    if (!cn[0] || !org[0] || strlen(cn) > CP_CERT_NAME_MAX || strlen(org) > CP_CERT_NAME_MAX) {
        snprintf(reason, reason_size, "CN and O must be 1 to %d characters (CN '%.80s', O '%.80s')",
                 CP_CERT_NAME_MAX, cn, org);
        return -1;
    }
    char subject[4 * CP_CERT_NAME_MAX + 16];
    if (s_subject(cn, org, subject, sizeof(subject)) != 0) {
        snprintf(reason, reason_size, "subject too long");
        return -1;
    }
    mbedtls_pk_context pk;
    mbedtls_x509write_csr req;
    mbedtls_pk_init(&pk);
    mbedtls_x509write_csr_init(&req);
    int rc = mbedtls_pk_parse_key(&pk, (const unsigned char *) key_pem, strlen(key_pem) + 1, NULL, 0);
    const char *what = "the key is unreadable";
    if (rc == 0) {
        what = "the subject is refused";
        mbedtls_x509write_csr_set_md_alg(&req, MBEDTLS_MD_SHA256);
        mbedtls_x509write_csr_set_key(&req, &pk);
        rc = mbedtls_x509write_csr_set_subject_name(&req, subject);
    }
    if (rc == 0) {
        what = "keyUsage";
        rc = mbedtls_x509write_csr_set_key_usage(&req, MBEDTLS_X509_KU_DIGITAL_SIGNATURE
                                                       | MBEDTLS_X509_KU_KEY_AGREEMENT);
    }
    if (rc == 0) {
        what = "writing the CSR";
        rc = mbedtls_x509write_csr_pem(&req, (unsigned char *) csr_pem, csr_size, rng, p_rng);
    }
    mbedtls_x509write_csr_free(&req);
    mbedtls_pk_free(&pk);
    if (rc != 0) {
        s_why(reason, reason_size, what, rc);
        return -1;
    }
    return 0;
}

static int64_t
s_time_ms(const mbedtls_x509_time *t)
{
    struct tm tm = { .tm_year = t->year - 1900, .tm_mon = t->mon - 1, .tm_mday = t->day,
                     .tm_hour = t->hour, .tm_min = t->min, .tm_sec = t->sec };
    return (int64_t) timegm(&tm) * 1000;
}

static void
s_fill_leaf(const mbedtls_x509_crt *crt, cp_cert_leaf_t *leaf)
{
    leaf->not_before_ms = s_time_ms(&crt->valid_from);
    leaf->not_after_ms = s_time_ms(&crt->valid_to);
    mbedtls_x509_dn_gets(leaf->subject, sizeof(leaf->subject), &crt->subject);
    size_t o = 0;
    for (size_t i = 0; i < crt->serial.len && i < 20; i++)
        o += (size_t) snprintf(leaf->serial + o, sizeof(leaf->serial) - o, "%02X", crt->serial.p[i]);
}

//  The subject's commonName equals cn (one CN, byte for byte).
static bool
s_cn_is(const mbedtls_x509_crt *crt, const char *cn)
{
    int found = 0;
    bool equal = false;
    for (const mbedtls_x509_name *n = &crt->subject; n; n = n->next)
        if (n->oid.p && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
            found++;
            equal = n->val.len == strlen(cn) && memcmp(n->val.p, cn, n->val.len) == 0;
        }
    return found == 1 && equal;
}

int
cp_cert_check_chain(const char *chain_pem, size_t max_chars, const char *key_pem, const char *cn,
                    const cp_cert_der_t *roots, int root_count, int64_t now_ms, cp_cert_leaf_t *leaf,
                    char *reason, size_t reason_size)
{
    assert(chain_pem && key_pem && cn && leaf && reason);
    memset(leaf, 0, sizeof(*leaf));
    reason[0] = '\0';
    size_t chars = strlen(chain_pem);
    if (max_chars > CP_CERT_CHAIN_SCHEMA_MAX)
        max_chars = CP_CERT_CHAIN_SCHEMA_MAX;
    if (chars > max_chars) {
        snprintf(reason, reason_size, "certificateChain of %zu characters, CertificateSignedMaxChainSize is %zu",
                 chars, max_chars);
        return -1;
    }
    if (!strstr(chain_pem, "-----BEGIN CERTIFICATE-----")) {
        snprintf(reason, reason_size, "not a PEM certificate chain");
        return -1;
    }
    mbedtls_x509_crt chain, trust;
    mbedtls_pk_context key;
    mbedtls_x509_crt_init(&chain);
    mbedtls_x509_crt_init(&trust);
    mbedtls_pk_init(&key);
    int result = -1;
    //  A bundle parse returns the number of certificates it could not
    //  read: anything but 0 is a chain with garbage in it.
    int rc = mbedtls_x509_crt_parse(&chain, (const unsigned char *) chain_pem, chars + 1);
    if (rc != 0) {
        if (rc < 0)
            s_why(reason, reason_size, "unreadable certificate chain", rc);
        else
            snprintf(reason, reason_size, "%d certificates of the chain are unreadable", rc);
        goto done;
    }
    int count = 0;
    for (const mbedtls_x509_crt *c = &chain; c && c->raw.len; c = c->next)
        count++;
    if (count < 1 || count > CP_CERT_CHAIN_MAX) {
        snprintf(reason, reason_size, "%d certificates in the chain (1 to %d taken)", count, CP_CERT_CHAIN_MAX);
        goto done;
    }
    s_fill_leaf(&chain, leaf);
    leaf->count = count;
    if (chain.ca_istrue) {
        snprintf(reason, reason_size, "%s: the first certificate is a CA, not the charge point's", leaf->subject);
        goto done;
    }
    if (!s_cn_is(&chain, cn)) {
        snprintf(reason, reason_size, "%s: the commonName is not the serial number %s (A00.FR.511)",
                 leaf->subject, cn);
        goto done;
    }
    rc = mbedtls_pk_parse_key(&key, (const unsigned char *) key_pem, strlen(key_pem) + 1, NULL, 0);
    if (rc != 0) {
        s_why(reason, reason_size, "the pending key is unreadable", rc);
        goto done;
    }
    if (mbedtls_pk_check_pair(&chain.pk, &key) != 0) {
        snprintf(reason, reason_size, "%s: its public key is not the one of the CSR", leaf->subject);
        goto done;
    }
    if (leaf->not_before_ms > now_ms + CP_CERT_SKEW_MS || leaf->not_after_ms < now_ms) {
        snprintf(reason, reason_size, "%s is %s", leaf->subject,
                 leaf->not_after_ms < now_ms ? "expired" : "not valid yet");
        goto done;
    }
    for (const mbedtls_x509_crt *c = chain.next; c && c->raw.len; c = c->next)
        if (s_time_ms(&c->valid_to) < now_ms || s_time_ms(&c->valid_from) > now_ms + CP_CERT_SKEW_MS) {
            char name[200];
            mbedtls_x509_dn_gets(name, sizeof(name), &c->subject);
            snprintf(reason, reason_size, "%s in the chain is outside its validity", name);
            goto done;
        }
    int trusted = 0;
    for (int i = 0; i < root_count; i++)
        if (mbedtls_x509_crt_parse_der(&trust, roots[i].der, roots[i].len) == 0)
            trusted++;
    if (trusted == 0) {
        snprintf(reason, reason_size, "no CentralSystemRootCertificate installed to verify %s", leaf->subject);
        goto done;
    }
    uint32_t flags = 0;
    rc = mbedtls_x509_crt_verify(&chain, &trust, NULL, NULL, &flags, NULL, NULL);
    //  Time is judged above against the charger's clock, not mbedTLS's.
    flags &= ~(uint32_t) (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE);
    if ((rc != 0 && rc != MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) || flags != 0) {
        char info[160] = "";
        if (flags)
            mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
        else
            mbedtls_strerror(rc, info, sizeof(info));
        for (char *c = info; *c; c++)
            if (*c == '\n')
                *c = ' ';
        snprintf(reason, reason_size, "%s does not verify under an installed CentralSystemRootCertificate: %s",
                 leaf->subject, info);
        goto done;
    }
    result = 0;
done:
    mbedtls_pk_free(&key);
    mbedtls_x509_crt_free(&chain);
    mbedtls_x509_crt_free(&trust);
    return result;
}

int
cp_cert_read_leaf(const char *pem, cp_cert_leaf_t *leaf)
{
    assert(pem && leaf);
    memset(leaf, 0, sizeof(*leaf));
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    //  A positive count: some later certificate is unreadable; the leaf
    //  (the first) is what matters here.
    int rc = mbedtls_x509_crt_parse(&crt, (const unsigned char *) pem, strlen(pem) + 1);
    if (rc >= 0 && crt.raw.len) {
        s_fill_leaf(&crt, leaf);
        leaf->count = 1;
    }
    mbedtls_x509_crt_free(&crt);
    return leaf->count ? 0 : -1;
}

bool
cp_cert_renewal_due(bool has_cert, int64_t not_after_ms, int64_t csr_sent_ms, int64_t now_ms)
{
    if (!has_cert || not_after_ms - now_ms > CP_CERT_RENEW_MS)
        return false;
    return csr_sent_ms == 0 || now_ms - csr_sent_ms >= CP_CERT_RETRY_MS;
}
