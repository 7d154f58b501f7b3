/* root_rotation.h — AdditionalRootCertificateCheck true (security whitepaper
 * edition 2, M05.FR.08-13): one CentralSystemRootCertificate in force, plus
 * at most the one it replaced, kept as a fallback.
 *
 * roots: the installed CentralSystemRootCertificates, oldest first (the
 * store's order). The newest is the root in force ("current"); any older
 * one is the fallback M05.FR.11 keeps.
 *   - A new root must be issued by the current one: its issuer name is the
 *     current root's subject and its signature verifies under the current
 *     root's public key (mbedTLS). Not the fallback's: the fallback only
 *     stands in for verifying the link (M05.FR.13), it does not sign
 *     successors. No root installed yet: nothing to check (the first one
 *     is installed as with the key false).
 *   - Accepted: the new root is added, the current one stays as the
 *     fallback and any older fallback goes (M05.FR.08: one plus one).
 *   - The fallback goes once a wss:// link was verified under the current
 *     root (M05.FR.12): link_root is the SHA256 hex of that trust anchor.
 * Pure: no store, no bus.
 */
#ifndef CP_ACTORS_SECURITY_ROOT_ROTATION_H
#define CP_ACTORS_SECURITY_ROOT_ROTATION_H

#include <stdbool.h>
#include <stddef.h>
#include "actors/security/security_store.h"

//  true when der may replace the current root (count 0: true).
bool root_rotation_signed_by_current(const security_cert_t *roots, int count, const unsigned char *der,
                                     size_t der_len);

//  true when the link was verified under the current root and a fallback
//  is still installed: roots[0 .. count-2] are to be removed.
bool root_rotation_drop_fallback(const security_cert_t *roots, int count, const char *link_root);
#endif
