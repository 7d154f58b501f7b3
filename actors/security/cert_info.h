/* cert_info.h — what the charger needs to know about a CA certificate the
 * central system installs (security whitepaper edition 2, M03-M05): parse
 * and check one PEM certificate with mbedtls_x509_crt, and compute its
 * CertificateHashData (6.1) the way OCSP's CertID does (RFC 6960 4.1.1,
 * which OCPP 2.0.1 adopted for this type):
 *   issuerNameHash  SHA256 over the DER encoding of the issuer's Name;
 *   issuerKeyHash   SHA256 over the issuer's public key: the value of the
 *                   BIT STRING subjectPublicKey of the issuer's
 *                   SubjectPublicKeyInfo (no tag, length or unused-bits);
 *   serialNumber    the serial's hex digits, upper case, no leading zeros
 *                   (OCPP 2.0.1's wording; the whitepaper gives none).
 * Hashes are lower-case hex (64 digits for SHA256). Comparisons for
 * DeleteCertificate ignore case and leading zeros of the serial.
 * Pure: no store, no clock but the one given, no logging.
 */
#ifndef CP_ACTORS_SECURITY_CERT_INFO_H
#define CP_ACTORS_SECURITY_CERT_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CERT_HASH_HEX_MAX 128
#define CERT_SERIAL_HEX_MAX 40
#define CERT_PEM_MAX 5500          //  InstallCertificate.req certificate maxLength

typedef struct {
    char hash_algorithm[8];                        //  "SHA256"
    char issuer_name_hash[CERT_HASH_HEX_MAX + 1];
    char issuer_key_hash[CERT_HASH_HEX_MAX + 1];
    char serial_number[CERT_SERIAL_HEX_MAX + 1];
} cert_hash_data_t;

typedef struct {
    unsigned char *der;            //  the certificate (heap)
    size_t der_len;
    bool self_signed;              //  issuer == subject and its own key verifies it
    bool ca;                       //  basicConstraints cA = true
    int64_t not_before_ms, not_after_ms;  //  validity, wall ms UTC
    char subject[256];             //  for the log
    cert_hash_data_t hash;
} cert_info_t;

//  Parse one PEM certificate (exactly one; trailing whitespace allowed) and
//  fill *info. issuer_der/issuer_len: an installed certificate that issued
//  it, or NULL when it must be self-signed (a root). Checks: a parsable
//  X.509 v3 certificate, a CA, its signature verifies under its issuer's
//  key, and now_ms within its validity. 0, or -1 with reason (the
//  certificate is then invalid: InstallCertificate answers Rejected).
int cert_info_parse(const char *pem, const unsigned char *issuer_der, size_t issuer_len, int64_t now_ms,
                    cert_info_t *info, char *reason, size_t reason_size);
void cert_info_clear(cert_info_t *info);

//  The DER issuer name of a PEM certificate as raw bytes is not needed by
//  callers; they ask whether cert `der` was issued by `issuer_der` (names
//  match and the signature verifies). true/false.
bool cert_info_issued_by(const unsigned char *der, size_t der_len, const unsigned char *issuer_der,
                         size_t issuer_len);

//  true when both hash data name the same certificate (algorithm equal,
//  hashes equal ignoring case, serials equal ignoring case and leading
//  zeros).
bool cert_hash_data_equal(const cert_hash_data_t *a, const cert_hash_data_t *b);

//  true when the DER certificate appears in the PEM bundle file at path
//  (the --ca-file that verifies the central system's connection).
bool cert_info_in_bundle(const unsigned char *der, size_t der_len, const char *bundle_path);
#endif
