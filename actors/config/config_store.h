/* config_store.h — the persisted OCPP configuration, readable by any actor.
 *
 * One table, config(key TEXT PRIMARY KEY, value TEXT NOT NULL), in the
 * controller's SQLite store. Only read-write keys live in it, in canonical
 * form (see config_keys.h); read-only keys are derived from the start-up
 * options every time, and a key without a row reads as its default.
 *
 * Who writes. The config actor owns the tables (config, config_meta):
 * ChangeConfiguration and `cpctl config set` reach it as messages, and
 * it alone holds a writer (config_store_new). Every other actor, and the
 * supervisor, holds a reader (config_store_open_reader) to read its keys,
 * e.g. to rebuild state after a restart, and listens to "config.changed"
 * to learn about later changes:
 *
 *     config_store_t *config = config_store_open_reader(options, err, sizeof(err));
 *     int64_t interval = config_store_get_int(config, "MeterValueSampleInterval", 60);
 *
 * A reader never writes: config_store_set on it is a programming error
 * (asserted; refused with CONFIG_STORE_ERROR where asserts are compiled
 * out). It also reads through a connection of its own on which SQLite
 * itself refuses every write (cp_store_open_readonly: PRAGMA query_only),
 * whatever the code above it does. A connection of its own, because
 * query_only is per connection: on the actor's own connection, where auth
 * or transaction write their own tables, it would stop those writes too
 * (or, switched on and off around the reads, protect nothing). Not
 * SQLITE_OPEN_READONLY: see cp_store_open_readonly for why.
 *
 * A reader keeps a copy of the rows and holds no connection between
 * reads (issue 12: eleven readers were eleven connections, ~60 KB of heap
 * each, and every read a read transaction with two fcntl() locks). A
 * version counter that every writer steps around each commit says when
 * the copy is out of date; the readers of one process share the newest
 * copy, and the seeding leaves the first (config_copy.h). A write is
 * therefore seen by every read that starts after config_store_set has
 * returned, in any process, as before. Where the counter's file cannot be
 * had, a reader keeps its connection and reads the rows anew every time.
 *
 * Seeding happens once, at start-up, in one place: chargepointd's main
 * calls config_store_seed before any actor starts (in --split, before
 * any actor process exists; those never seed). It creates the tables and
 * seeds under one write transaction, inserting only rows that are absent;
 * it is idempotent.
 *
 * Seeding (interface.md): keys from the config file fill the store on
 * first start; afterwards the store wins. An unknown, read-only or invalid
 * seed is logged and skipped.
 *
 * The --password / CHARGEPOINTD_PASSWORD value is the operator's local
 * setting (like the password field of the vendor's OCPP settings form),
 * so it is written to AuthorizationKey at start even when a row exists —
 * but only when it differs from the password the command line applied
 * last time (a SHA-256 of it is kept in config_meta). Otherwise a CSMS
 * that rotated the key with ChangeConfiguration (whitepaper A01) would
 * see the charger fall back to the old password at the next power cycle
 * and lock itself out, because A01.FR.03 makes the CSMS drop the old one.
 */
#ifndef CP_ACTORS_CONFIG_STORE_H
#define CP_ACTORS_CONFIG_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "actors/config/config_keys.h"
#include "supervisor/options.h"

//  The version counter beside the database (see above).
#define CONFIG_STORE_VERSION_SUFFIX "-confver"

//  Results of every config_store call.
#define CONFIG_STORE_OK        0
#define CONFIG_STORE_ERROR    -1    //  SQLite failed (already logged)
#define CONFIG_STORE_UNKNOWN  -2    //  no such key, or not of the asked type

typedef struct _config_store_t config_store_t;

//  Start-up only (see above): create the tables, seed the config file's
//  keys, apply the command-line password. CONFIG_STORE_OK or _ERROR
//  (logged; nothing changed).
int config_store_seed(sqlite3 *db, const cp_options_t *opts);

//  The config actor's writer, on its own connection: db is borrowed (the
//  caller closes it after destroying the store); opts is borrowed and must
//  outlive the store. NULL on a SQLite error or when the tables are
//  missing (config_store_seed did not run), logged.
config_store_t *config_store_new(sqlite3 *db, const cp_options_t *opts);
//  A reader of opts->state_dir's store, its first copy of the rows taken
//  (through a read-only connection it opens and closes itself). NULL with
//  err on failure.
config_store_t *config_store_open_reader(const cp_options_t *opts, char *err, size_t err_size);
void config_store_destroy(config_store_t **self_p);

//  The value of a key (any accessibility, secrets included: the gateway
//  needs AuthorizationKey): the stored row, else the default. buf gets ""
//  on failure; a value longer than size is truncated.
int config_store_get(config_store_t *self, const char *key, char *buf, size_t size);
//  Typed readers for actors that want a number, not an error path: the
//  value, or fallback if the key is unknown, not of that type, or the
//  store failed (logged). A stored value that no longer passes the key's
//  rules (a hand-edited database) reads as the key's default, with a
//  warning. Use config_store_get for the error code.
int64_t config_store_get_int(config_store_t *self, const char *key, int64_t fallback);
bool config_store_get_bool(config_store_t *self, const char *key, bool fallback);
//  The same for a key already looked up (config_keys_at/find): no second
//  search of the table by name, for callers that walk the table.
int config_store_get_def(config_store_t *self, const config_key_def_t *def, char *buf,
                         size_t size);
//  Every stored row at once, in one statement (one read transaction, one
//  pass over the table instead of a lookup per key: the full
//  GetConfiguration). fn gets the key's definition and its stored value,
//  len bytes, valid during the call only. Rows that config_store_get would
//  not read are skipped: those of unknown keys (a later version's) and of
//  read-only keys (derived, never stored; a hand-edited database).
//  Keys without a row read as their default (config_keys_default).
//  CONFIG_STORE_OK, or _ERROR (logged) when SQLite failed.
typedef void (config_store_row_fn)(const config_key_def_t *def, const char *value, size_t len,
                                   void *arg);
int config_store_each_row(config_store_t *self, config_store_row_fn *fn, void *arg);
//  True if the store holds a row for key (not just a default).
int config_store_has(config_store_t *self, const char *key, bool *present);

//  Persist an already validated, canonical value of a read-write key in
//  its own transaction. UNKNOWN for an unknown or read-only key. Writers
//  only (see above).
int config_store_set(config_store_t *self, const char *key, const char *canonical_value);

const cp_options_t *config_store_options(config_store_t *self);

//  Many reads as one: the reads between begin and end see one snapshot
//  and cost one read transaction instead of one each (a full
//  GetConfiguration reads ~45 keys; a reader: one look at the version
//  counter). Nesting inside a transaction the caller holds is allowed and
//  changes nothing.
void config_store_read_begin(config_store_t *self);
void config_store_read_end(config_store_t *self);

#endif
