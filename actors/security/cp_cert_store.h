/* cp_cert_store.h — where the Charge Point certificate and its private key
 * live: files under the state dir, because the TLS library (lws over
 * OpenSSL) loads the client certificate and key from paths, and because a
 * private key belongs in a file only its owner can read, not in a
 * database that backups and diagnostics copy.
 *
 *   STATE/cpcert/                  0700
 *     pending.key                  0600  the key of the CSR in flight
 *     <gen>/key.pem, <gen>/cert.pem  0600  an accepted pair (gen: the
 *                                  wall ms it was installed, 13 digits)
 *     current -> <gen>             the pair in use (a symlink)
 *
 * Durability: every file is written to a temporary name, fsync'd, renamed
 * and its directory fsync'd. The switch to a new pair is one rename() of
 * the `current` symlink, so after a crash either the old pair or the new
 * one is in use, never a new key with an old certificate. The previous
 * pair stays (A02.FR.10 recommends keeping it as a fallback) until the
 * next one is accepted; older ones go. The pending key stays across
 * restarts (CertificateSigned may come after one) until a new CSR replaces
 * it or its certificate is accepted.
 *
 * Nothing here logs a key, and nothing outside reads one but the TLS
 * library through cp_cert_store_paths().
 */
#ifndef CP_ACTORS_SECURITY_CP_CERT_STORE_H
#define CP_ACTORS_SECURITY_CP_CERT_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define CP_CERT_STORE_DIR "cpcert"

typedef struct _cp_cert_store_t cp_cert_store_t;

//  Open (creating STATE/cpcert, 0700) and tidy: temporary files and
//  pairs older than the previous one go. NULL with err on failure.
cp_cert_store_t *cp_cert_store_new(const char *state_dir, char *err, size_t err_size);
void cp_cert_store_destroy(cp_cert_store_t **self_p);

//  The pending key: write (replacing any), read into key_pem (0, or -1
//  when there is none), drop.
int cp_cert_store_put_pending(cp_cert_store_t *self, const char *key_pem);
int cp_cert_store_get_pending(cp_cert_store_t *self, char *key_pem, size_t size);
int cp_cert_store_drop_pending(cp_cert_store_t *self);

//  Install chain_pem with the pending key as the pair in use (see above).
//  gen_ms: the wall ms, naming the pair. 0 or -1 (the old pair stays).
int cp_cert_store_install(cp_cert_store_t *self, const char *chain_pem, long long gen_ms);

//  Is there a pending key (a CSR waiting for CertificateSigned)?
bool cp_cert_store_has_pending(cp_cert_store_t *self);

//  A whole small file (a --client-cert chain) into out. 0 or -1.
int cp_cert_store_read(const char *path, char *out, size_t size);

//  The installed chain's text into pem (0), or -1 when none is installed.
int cp_cert_store_get_chain(cp_cert_store_t *self, char *pem, size_t size);

//  The stable paths of the pair in use (through the `current` symlink),
//  whether or not one is installed; cert/key: PATH_MAX each. true when
//  one is installed.
bool cp_cert_store_paths(const char *state_dir, char *cert, char *key);
#endif
