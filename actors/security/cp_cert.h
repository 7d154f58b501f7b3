/* cp_cert.h — the Charge Point certificate of the security whitepaper
 * (edition 2, A02/A03): the pure mbedTLS work behind SignCertificate and
 * CertificateSigned. The security actor (security_actor.c) decides when,
 * the store (cp_cert_store.h) keeps the files; this file only computes:
 *   - a fresh ECDSA P-256 key pair (A00.FR.503: at least 224 bits for EC;
 *     P-256 is what the whitepaper's TLS cipher suites use), PEM;
 *   - a PKCS#10 CSR (RFC 2986, A02.FR.03) for it, PEM, signed with
 *     SHA256 (A00.FR.506), subject CN = the charge point serial number
 *     (A00.FR.511), O = CpoName (A02.FR.13), keyUsage digitalSignature +
 *     keyAgreement (A00.FR.512: a TLS client key, ECDHE-ECDSA);
 *   - the check of a CertificateSigned chain (A02.FR.06/07): at most
 *     CertificateSignedMaxChainSize characters (7.3), PEM certificates only
 *     (1..CP_CERT_CHAIN_MAX), the first one the leaf: not a CA, subject CN
 *     = the serial number, its public key the pending key's, valid now (see
 *     CP_CERT_SKEW_MS), and the chain verifies under one of the installed
 *     CentralSystemRootCertificates (the Charge Point Operator hierarchy,
 *     2.6.2); every certificate of the chain within its validity;
 *   - when a renewal is due (A03.FR.02: the certificate expires within one
 *     month).
 * No clock but the one given, no files, no logging; randomness comes from
 * the caller's mbedTLS RNG (the actor seeds a CTR_DRBG from the entropy
 * source). The private key is only ever in the caller's buffer.
 */
#ifndef CP_ACTORS_SECURITY_CP_CERT_H
#define CP_ACTORS_SECURITY_CP_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_CERT_KEY_PEM_MAX 512        //  an EC P-256 key in PEM is ~230 bytes
#define CP_CERT_CSR_PEM_MAX 2048       //  SignCertificate.req csr maxLength is 5500
#define CP_CERT_CHAIN_SCHEMA_MAX 10000 //  CertificateSigned.req certificateChain maxLength
#define CP_CERT_CHAIN_MAX 5            //  leaf + sub-CAs (+ the root, if sent along)
#define CP_CERT_NAME_MAX 64            //  X.520 ub-common-name / ub-organization-name
//  A leaf whose 'not valid before' is at most this far in the future is
//  taken: the CA's clock and the charger's differ by seconds to minutes,
//  and A02.FR.08's "switch once valid" would otherwise reject every
//  certificate issued a moment ago by a CA slightly ahead.
#define CP_CERT_SKEW_MS (60 * 60 * 1000LL)
//  A03.FR.02: renew when the certificate expires within one month.
#define CP_CERT_RENEW_MS (30 * 24 * 3600 * 1000LL)
//  A03's error handling: do not retry on our own sooner than this when a
//  CSR got no certificate back (the operator re-runs A02 instead).
#define CP_CERT_RETRY_MS (7 * 24 * 3600 * 1000LL)

typedef int (*cp_cert_rng_t)(void *p_rng, unsigned char *out, size_t len);

typedef struct {
    const unsigned char *der;
    size_t len;
} cp_cert_der_t;

typedef struct {
    int64_t not_before_ms, not_after_ms;  //  the leaf's validity, wall ms UTC
    int count;                            //  certificates in the chain
    char subject[256];                    //  the leaf's, for the log
    char serial[2 * 20 + 1];              //  the leaf's serial, hex
} cp_cert_leaf_t;

//  A fresh ECDSA P-256 private key, PEM ("-----BEGIN EC PRIVATE KEY-----")
//  into key_pem. 0, or -1 with reason.
int cp_cert_keygen(cp_cert_rng_t rng, void *p_rng, char *key_pem, size_t key_size, char *reason,
                   size_t reason_size);

//  The CSR for key_pem, subject CN=cn, O=org (both non-empty, at most
//  CP_CERT_NAME_MAX characters; commas are escaped, so any text works),
//  PEM into csr_pem. 0, or -1 with reason.
int cp_cert_csr(const char *key_pem, const char *cn, const char *org, cp_cert_rng_t rng, void *p_rng,
                char *csr_pem, size_t csr_size, char *reason, size_t reason_size);

//  Check a CertificateSigned chain against the pending key and the roots
//  (DER, any number; none = nothing verifies). max_chars: the
//  CertificateSignedMaxChainSize in force. 0 (accept; *leaf filled), or -1
//  with reason (Rejected + InvalidChargePointCertificate).
int cp_cert_check_chain(const char *chain_pem, size_t max_chars, const char *key_pem, const char *cn,
                        const cp_cert_der_t *roots, int root_count, int64_t now_ms, cp_cert_leaf_t *leaf,
                        char *reason, size_t reason_size);

//  The first certificate of a PEM file's text (an installed chain, a
//  factory --client-cert): its validity and subject. 0 or -1.
int cp_cert_read_leaf(const char *pem, cp_cert_leaf_t *leaf);

//  Is an automatic renewal (A03) due now? has_cert: a Charge Point
//  certificate is in use (no certificate: only the central system's
//  trigger starts A02); not_after_ms: its end; csr_sent_ms: when the last
//  CSR without an answer went out (0 = none pending).
bool cp_cert_renewal_due(bool has_cert, int64_t not_after_ms, int64_t csr_sent_ms, int64_t now_ms);
#endif
