/* csms_trust.h — the trust anchors of the wss:// link to the central system.
 *
 * Why it exists: the whitepaper has the Charge Point verify the central
 * system's server certificate against the installed
 * CentralSystemRootCertificate(s) (A00.FR.307/411, M05). The TLS library
 * (lws over OpenSSL) loads its CA bundle from one file when it builds a
 * context, so the security actor, which owns the installed roots, exports
 * them as one PEM file in the state dir every time they change, and the
 * ocpp actor hands that file to the link.
 *
 * The rule (README, "Security profiles"):
 *   - no root installed: --ca-file alone (exactly that bundle), or the
 *     system's CA store without it — the behaviour before any root exists;
 *   - one or more roots installed: --ca-file (the factory trust) plus the
 *     installed roots, and never the system store: the operator has named
 *     the hierarchy its central system uses.
 * The host name (CN/SAN against the URL's host) is checked by the TLS
 * library in every case.
 */
#ifndef CP_ACTORS_SECURITY_CSMS_TRUST_H
#define CP_ACTORS_SECURITY_CSMS_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include "actors/security/security_store.h"

//  Hex characters of the digest that names one content of the trust file.
#define CSMS_TRUST_DIGEST_LEN 16

//  STATE_DIR/csms-trust.pem
void csms_trust_path(const char *state_dir, char *out, size_t size);

//  Write ca_file's certificates ("" = none) followed by roots (DER) to the
//  trust file, atomically (temporary file, fsync, rename); with no roots,
//  remove the file instead. digest gets CSMS_TRUST_DIGEST_LEN hex
//  characters of SHA256 over what the link will trust ("" when the file
//  was removed). Returns 0, or -1 with one line in err.
int csms_trust_write(const char *state_dir, const char *ca_file, const security_cert_t *roots, int count,
                     char *digest, size_t digest_size, char *err, size_t err_size);

//  The bundle the link is to trust: the trust file when roots are
//  installed, else ca_file (which may be "": the system store).
void csms_trust_bundle(const char *state_dir, const char *ca_file, char *out, size_t size);

//  The installed ManufacturerRootCertificates, exported the same way for
//  the firmware actor (SignedUpdateFirmware, firmware_sig.h):
//  STATE_DIR/manufacturer-roots.pem, absent when none is installed.
void csms_trust_manufacturer_path(const char *state_dir, char *out, size_t size);
int csms_trust_write_manufacturer(const char *state_dir, const security_cert_t *roots, int count, char *err,
                                  size_t err_size);

//  True when the trust file exists (a CentralSystemRootCertificate is
//  installed): the A05.FR.03 prerequisite.
bool csms_trust_installed(const char *state_dir);
#endif
