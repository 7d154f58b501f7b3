/* auth_cache.h — the Authorization Cache (OCPP 1.6 3.5.1, 5.4), persisted
 * in the controller's SQLite store.
 *
 * Table (owned by the auth actor):
 *   auth_cache(id_tag TEXT PRIMARY KEY COLLATE NOCASE, status,
 *              parent_id_tag, expiry_ms, used)
 * `used` is a counter that orders entries by last use (an update or a
 * lookup hit): the least recently used entry has the smallest.
 *
 * Semantics:
 *   - every IdTagInfo the central system returns (Authorize,
 *     StartTransaction, StopTransaction) updates the tag's entry, valid or
 *     not ("all the latest received identifiers");
 *   - an entry past its expiryDate reads Expired (auth_cache_find) and is
 *     rewritten as Expired on the next flush;
 *   - bounded: inserting a new tag into a full cache first removes NOT-valid
 *     entries (not Accepted/ConcurrentTx, or expired), least recently used
 *     first, then, if none is left, the least recently used valid entries —
 *     only as many as needed, so that a Blocked tag is not forgotten (and
 *     then let in offline by AllowOfflineTxForUnknownId) for no reason;
 *   - auth_cache_clear empties it (ClearCache).
 * A lookup must not wait for the disk (decisions take well under 1 ms; a
 * WAL commit with synchronous=FULL may take several): the recency a hit
 * earns is kept in memory and written by auth_cache_flush, which every
 * update runs first and the actor runs from its tick (once half of the 64
 * slots are used, else every minute) and at exit. A crash
 * loses only recency, never an IdTagInfo.
 */
#ifndef CP_ACTORS_AUTH_AUTH_CACHE_H
#define CP_ACTORS_AUTH_AUTH_CACHE_H

#include <sqlite3.h>
#include <stdint.h>
#include "actors/auth/auth_rules.h"

#define AUTH_CACHE_CAPACITY 1000

typedef struct _auth_cache_t auth_cache_t;

//  db is borrowed; capacity ≥ 1. NULL on a SQLite error (logged).
auth_cache_t *auth_cache_new(sqlite3 *db, int64_t capacity);
//  Its tables (CREATE … IF NOT EXISTS). main creates every store's in one
//  transaction before the actors start; _new creates them too, for a store
//  opened on its own.
const char *auth_cache_schema(void);
//  Flushes pending recency, then frees.
void auth_cache_destroy(auth_cache_t **self_p);

//  1 and the entry (status Expired if past expiryDate at now_ms) if
//  cached, 0 if not, -1 if the store failed. A hit counts as a use.
int auth_cache_find(auth_cache_t *self, const char *id_tag, int64_t now_ms, auth_entry_t *entry);
//  Insert or update one entry (evicting as above). 0, or -1 (logged).
int auth_cache_update(auth_cache_t *self, const auth_entry_t *entry, int64_t now_ms);
//  Remove every entry. 0, or -1 (logged).
int auth_cache_clear(auth_cache_t *self);
//  Write pending recency and mark passed expiries Expired. 0, or -1.
int auth_cache_flush(auth_cache_t *self, int64_t now_ms);
//  Recency entries waiting for a flush (at most 64; past that the oldest
//  is forgotten, never waited for).
int auth_cache_pending(auth_cache_t *self);
//  Number of entries; -1 if the store failed.
int64_t auth_cache_count(auth_cache_t *self);
#endif
