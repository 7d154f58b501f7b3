/* firmware_sig.h — the checks of a signed firmware update (security
 * whitepaper L01, SignedUpdateFirmware), with mbedTLS:
 *   - the signing certificate must verify under an installed
 *     ManufacturerRootCertificate (L01.FR.02: else InvalidCertificate and
 *     the InvalidFirmwareSigningCertificate security event);
 *   - the signature — base64 of an RSA (PKCS#1 v1.5) or ECDSA (DER)
 *     signature over the SHA256 of the image — must verify with the
 *     certificate's key (L01.FR.03: else InvalidSignature and the
 *     InvalidFirmwareSignature security event). An image that fails is
 *     never installed.
 * Pure: files in, verdict and a one-line reason out (no log, no clock:
 * validity is checked against now_s, seconds since the epoch).
 */
#ifndef CP_ACTORS_FIRMWARE_FIRMWARE_SIG_H
#define CP_ACTORS_FIRMWARE_FIRMWARE_SIG_H

#include <stddef.h>
#include <stdint.h>

//  SignedUpdateFirmware's limits (the schema's): the PEM and the base64.
#define FW_SIG_CERT_MAX 5500
#define FW_SIG_SIGNATURE_MAX 800

//  0 when cert_pem (the signing certificate, maybe followed by its
//  intermediates) verifies under the certificates in roots_file at now_s;
//  -1 with reason otherwise (also: no roots_file, i.e. no
//  ManufacturerRootCertificate installed).
int firmware_sig_check_certificate(const char *cert_pem, const char *roots_file, int64_t now_s,
                                   char *reason, size_t reason_size);

//  0 when signature_b64 is a valid signature of the SHA256 of the file at
//  image_path under cert_pem's key; -1 with reason otherwise.
int firmware_sig_verify_image(const char *image_path, const char *cert_pem, const char *signature_b64,
                              char *reason, size_t reason_size);
#endif
