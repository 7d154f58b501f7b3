/* security_ops.h — the certificate operations of the security whitepaper
 * (edition 2) the security actor owns, one file each:
 * install_certificate.c (M05), get_installed_certificate_ids.c (M03),
 * delete_certificate.c (M04), and the Charge Point certificate (A02/A03):
 * sign_certificate.c builds the SignCertificate.req the charger sends,
 * certificate_signed.c answers CertificateSigned. Each takes the request
 * payload (already valid against the official schema: the gateway checked
 * it) and returns the response payload. No bus, no clock: the actor passes
 * what they need.
 *
 * Rules this charger applies:
 *   - InstallCertificate: Accepted once the certificate is durable; an
 *     identical certificate of the same type already installed is
 *     Accepted without a second copy. Rejected (M05.FR.06) for anything
 *     that is not one valid CA certificate: unreadable PEM, more than one
 *     certificate, not X.509 v3 with basicConstraints cA, outside its
 *     validity, or a signature that does not verify — by its own key (a
 *     root) or by an installed certificate that issued it (a sub-CA).
 *     Rejected (M05.FR.03) when CertificateStoreMaxLength certificates are
 *     installed already. Failed (M05.FR.04) when the store cannot write.
 *   - AdditionalRootCertificateCheck false (the default): several
 *     CentralSystemRootCertificates may be installed, none replaces
 *     another. True (the charger maker's local setting): one root in
 *     force plus the one it replaced as a fallback (M05.FR.08/11); a new
 *     root not issued by the one in force is Rejected (M05.FR.10, no
 *     security event: the whitepaper names none); the fallback goes once
 *     a wss:// link verified under the new root is up (M05.FR.12).
 *     root_rotation.h.
 *   - GetInstalledCertificateIds: hash data of every certificate of the
 *     requested type (cert_info.h for how it is computed); NotFound when
 *     there is none (M03.FR.02).
 *   - DeleteCertificate: NotFound when no installed certificate has that
 *     hash data (M04.FR.04); Failed (M04.FR.06) for the
 *     CentralSystemRootCertificate that verifies the connection in use: a
 *     wss:// link is up and the certificate is in the --ca-file bundle it
 *     was verified with; Failed when the store cannot write. The Charge
 *     Point certificate is never in this store (M04.FR.05).
 *   - SignCertificate (A02.FR.02/03, A03.FR.02/03): a fresh key pair for
 *     every CSR (cp_cert.h); the key is durable as the pending key before
 *     the CSR leaves, and replaces any earlier pending one (only the
 *     newest CSR can be answered). Refused (no CSR) without CpoName
 *     (A02/A03's prerequisite) or without a serial number for the CN.
 *   - CertificateSigned: Accepted once the chain passed cp_cert_check_chain
 *     against the pending key and the installed
 *     CentralSystemRootCertificates and the pair is durable in use
 *     (cp_cert_store.h); else Rejected and the InvalidChargePointCertificate
 *     security event (A02.FR.07), with no pending key too. The previous
 *     pair stays in use until then.
 */
#ifndef CP_ACTORS_SECURITY_SECURITY_OPS_H
#define CP_ACTORS_SECURITY_SECURITY_OPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "actors/security/cp_cert.h"
#include "actors/security/cp_cert_store.h"
#include "actors/security/security_store.h"

//  The most certificates the store ever holds: CertificateStoreMaxLength.
#define SECURITY_CERT_STORE_MAX 16

typedef struct {
    security_store_t *store;
    int64_t store_max;             //  CertificateStoreMaxLength
    bool additional_root_check;    //  AdditionalRootCertificateCheck (root_rotation.h)
    const char *ca_file;           //  the bundle verifying a wss:// link ("" = none)
    bool tls_connected;            //  a wss:// link is up now
    const char *link_root;         //  ... and the SHA256 hex of its trust anchor's DER ("" = unknown)
    int64_t now_ms;                //  wall ms UTC, for validity
    //  the Charge Point certificate
    cp_cert_store_t *cp_certs;
    const char *serial;            //  the CN (A00.FR.511)
    const char *cpo_name;          //  CpoName, the O (A02.FR.13)
    int64_t chain_max;             //  CertificateSignedMaxChainSize
    cp_cert_rng_t rng;
    void *p_rng;
    char reason[256];              //  out: why, for the log
    bool changed;                  //  out: the certificates changed
    const char *event;             //  out: a security event to raise (reason: its techInfo), or NULL
} security_ops_ctx_t;

json_t *install_certificate(security_ops_ctx_t *ctx, const json_t *request);
json_t *get_installed_certificate_ids(security_ops_ctx_t *ctx, const json_t *request);
json_t *delete_certificate(security_ops_ctx_t *ctx, const json_t *request);
//  The SignCertificate.req payload {csr}, or NULL (reason says why).
json_t *sign_certificate(security_ops_ctx_t *ctx);
json_t *certificate_signed(security_ops_ctx_t *ctx, const json_t *request);
#endif
