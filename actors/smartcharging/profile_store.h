/* profile_store.h — the installed charging profiles, durable (errata 3.37:
 * "persistent across reboots/power cycles").
 *
 * One table, sc_profiles, in the controller's SQLite store, owned by the
 * smartcharging actor; each row is the profile's csChargingProfiles JSON
 * (profile.h) plus the columns the rules query. Every change is one SQLite
 * transaction, committed before the CSMS gets its answer. An in-memory copy
 * (loaded at start) feeds the composite without touching the disk.
 *
 * Rules (5.16.3-4, 3.13.1-2, errata 3.25/3.26, 3.42):
 *   - install replaces a profile with the same chargingProfileId, and one
 *     with the same stackLevel + purpose on the same connector;
 *   - at most max_installed profiles after replacement (else FULL, nothing
 *     changed);
 *   - clear by id (other fields ignored), or by the logical AND of the
 *     given connectorId / purpose / stackLevel; no field = all;
 *   - a TxProfile remembers the local id of its transaction and is removed
 *     when that transaction is gone (sc_store_end_tx).
 */
#ifndef CP_ACTORS_SMARTCHARGING_PROFILE_STORE_H
#define CP_ACTORS_SMARTCHARGING_PROFILE_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include "actors/smartcharging/profile.h"

#define SC_STORE_OK     0
#define SC_STORE_ERROR -1       //  SQLite failed (logged); nothing changed
#define SC_STORE_FULL  -2       //  MaxChargingProfilesInstalled reached

typedef struct _sc_store_t sc_store_t;

typedef struct {
    bool has_id, has_connector, has_purpose, has_stack_level;
    int id;
    int connector;
    sc_purpose_t purpose;
    int stack_level;
} sc_clear_filter_t;

//  db is borrowed. Creates the table if needed and loads every row (a row
//  that no longer parses is logged and dropped). NULL on a SQLite error.
sc_store_t *sc_store_new(sqlite3 *db);
//  Its tables (CREATE … IF NOT EXISTS). main creates every store's in one
//  transaction before the actors start; _new creates them too, for a store
//  opened on its own.
const char *sc_store_schema(void);
void sc_store_destroy(sc_store_t **self_p);

//  The installed profiles (borrowed; valid until the next change).
const sc_profile_t *const *sc_store_profiles(sc_store_t *self, int *count);
int sc_store_count(sc_store_t *self);

//  Install a validated profile. tx_local: the local id of the transaction
//  a TxProfile belongs to (0 otherwise). *replaced (may be NULL) = how many
//  profiles it replaced.
int sc_store_install(sc_store_t *self, const sc_profile_t *profile, int64_t tx_local,
                     int max_installed, int *replaced);

//  Remove the matching profiles. Returns how many (0 → "Unknown"), or
//  SC_STORE_ERROR.
int sc_store_clear(sc_store_t *self, const sc_clear_filter_t *filter);

//  Remove the TxProfiles of connector that do not belong to the running
//  transaction keep_tx_local (0 = no transaction: remove them all).
//  Returns how many, or SC_STORE_ERROR.
int sc_store_end_tx(sc_store_t *self, int connector, int64_t keep_tx_local);

#endif
