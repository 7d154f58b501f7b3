/* config_copy.h — what lets a configuration reader answer without SQLite.
 *
 * Two things, both used by config_store.c only:
 *
 * The version counter. Eight bytes beside the database (CP_STORE_FILE
 * CONFIG_STORE_VERSION_SUFFIX), mapped shared by every store of the state
 * dir in every process (one mapping per process). A writer steps it
 * around each commit: odd while it writes, even again after; a writer that
 * starts on an odd counter (the one before it died between its steps)
 * settles it. A reader keeps its copy of the rows while the counter reads
 * what it read, even, before taking them: one memory load per read, where
 * a read through SQLite costs a read transaction and its two fcntl()
 * locks (issue 12).
 *
 * Copies. A copy is the config table's rows as config_store_get reads
 * them, taken under one value of the counter, immutable and counted. The
 * readers of one state dir in one process share the newest (one slot per
 * process, guarded by a mutex): after a commit the first reader to read
 * takes a new copy and the others take it from the slot, and at start-up
 * config_store_seed leaves the first one there, so that no actor opens a
 * connection just to read its settings (the eleven readers' connections
 * were a tenth of the controller's CPU from start to BootNotification).
 * In --split every process has its own slot.
 */
#ifndef CP_ACTORS_CONFIG_COPY_H
#define CP_ACTORS_CONFIG_COPY_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

//  The counter of state_dir, mapped, made if absent (starting at a random
//  value: a stale copy of a removed state dir never matches a new one).
//  NULL when it cannot be made or read (logged): readers then read
//  through SQLite every time.
uint64_t *config_version_map(const char *state_dir);
void config_version_unmap(uint64_t **version_p);
void config_version_step(uint64_t *version);
//  0 for NULL.
uint64_t config_version_read(const uint64_t *version);

typedef struct _config_copy_t config_copy_t;

//  A copy of the rows rows (a statement of "SELECT key, value FROM config",
//  stepped to its end and reset here) under version: the one rule for the
//  rows that count, every reader's and config_store_each_row's. Rows of
//  unknown keys (a later version's, or not spelled as the table spells
//  them) and of read-only keys (derived, never stored) are left out. NULL
//  on a SQLite error or out of memory (logged).
config_copy_t *config_copy_take(sqlite3 *db, sqlite3_stmt *rows, uint64_t version);
//  The value of config_keys_at(index), NULL when the key has no row.
const char *config_copy_row(const config_copy_t *self, size_t index);
uint64_t config_copy_version(const config_copy_t *self);
//  One more holder; any thread.
config_copy_t *config_copy_ref(config_copy_t *self);
//  One holder fewer; freed by the last. Sets *self_p to NULL.
void config_copy_release(config_copy_t **self_p);

//  This process's copy of state_dir under version, a new reference; NULL
//  when it holds none, of another state dir, or under another version.
config_copy_t *config_copy_shared(const char *state_dir, uint64_t version);
//  Offer copy as this process's copy of state_dir (taking a reference),
//  unless the slot already holds one of the same state dir as new.
void config_copy_share(const char *state_dir, config_copy_t *copy);

#endif
