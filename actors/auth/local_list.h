/* local_list.h — the Local Authorization List (OCPP 1.6 3.5.2, 5.10, 5.15),
 * persisted in the controller's SQLite store.
 *
 * Tables (owned by the auth actor):
 *   auth_list(id_tag TEXT PRIMARY KEY COLLATE NOCASE, status, parent_id_tag,
 *             expiry_ms)          — idTags are CiString20Type: one tag
 *                                   whatever its case
 *   auth_list_meta(id = 1, version)
 *
 * Only SendLocalList changes it (3.5.2: "SHALL NOT modify the contents ...
 * by any other means"); an entry past its expiryDate stays as it is and
 * reads Expired through auth_entry_effective.
 *
 * local_list_apply carries out one SendLocalList.req, all or nothing, in
 * one SQLite transaction. Its rules, checked before anything changes:
 *   - more entries than SendLocalListMaxLength            → Failed
 *   - the same idTag twice (case-insensitive, 6.41)       → Failed
 *   - listVersion < 1 (errata 3.52: 0 and -1 are reserved) → Failed
 *   - Full with an entry without idTagInfo (7.1)           → Failed
 *   - Differential whose listVersion is not above the
 *     current version (7.47)                               → VersionMismatch
 * and after the changes, inside the transaction:
 *   - more than LocalAuthListMaxLength entries             → Failed, rolled back
 * Full replaces the list (an empty Full empties it); Differential adds or
 * updates entries with idTagInfo and deletes those without (7.1).
 * NotSupported is the actor's answer while LocalAuthListEnabled is false
 * (see auth_actor.h); this module never returns it.
 *
 * The version: GetLocalListVersion reports 0 for an empty list (5.10),
 * whatever version the last (emptying) update carried, and the
 * VersionMismatch check compares against that same reported value, so the
 * central system is never told one version and judged by another.
 */
#ifndef CP_ACTORS_AUTH_LOCAL_LIST_H
#define CP_ACTORS_AUTH_LOCAL_LIST_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "actors/auth/auth_rules.h"

//  UpdateStatus (7.47), in the spec's order.
typedef enum {
    LOCAL_LIST_ACCEPTED = 0,
    LOCAL_LIST_FAILED,
    LOCAL_LIST_NOT_SUPPORTED,
    LOCAL_LIST_VERSION_MISMATCH
} local_list_status_t;

typedef struct {
    auth_entry_t entry;             //  entry.id_tag always set
    bool has_info;                  //  idTagInfo present (else: delete)
} local_list_item_t;

typedef struct {
    int64_t version;
    bool full;                      //  Full, else Differential
    const local_list_item_t *items;
    size_t count;
} local_list_update_t;

typedef struct _local_list_t local_list_t;

//  db is borrowed. Creates the tables if missing. NULL on a SQLite error
//  (logged).
local_list_t *local_list_new(sqlite3 *db);
//  Its tables (CREATE … IF NOT EXISTS). main creates every store's in one
//  transaction before the actors start; _new creates them too, for a store
//  opened on its own.
const char *local_list_schema(void);
void local_list_destroy(local_list_t **self_p);

//  The version GetLocalListVersion reports: 0 when the list is empty;
//  -1 if the store failed (logged).
int64_t local_list_version(local_list_t *self);
//  Number of entries; -1 if the store failed.
int64_t local_list_count(local_list_t *self);
//  1 and the entry if listed, 0 if not, -1 if the store failed.
int local_list_find(local_list_t *self, const char *id_tag, auth_entry_t *entry);

//  One SendLocalList.req (see above); reason gets a short text.
local_list_status_t local_list_apply(local_list_t *self, const local_list_update_t *update,
                                     int64_t send_max, int64_t list_max,
                                     char *reason, size_t reason_size);

const char *local_list_status_name(local_list_status_t status);
#endif
