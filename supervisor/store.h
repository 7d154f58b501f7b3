/* store.h — the durable store: one SQLite database in the state dir.
 *
 * Every actor opens its own connection (SQLite connections are not shared
 * between threads) and owns its own tables; it reads a table another actor
 * owns only through a read-only connection (cp_store_open_readonly).
 * WAL + synchronous=FULL: a committed row survives kill -9 and power
 * loss. A database that fails its integrity check makes the controller
 * refuse to start (see README: recovery) instead of silently resetting
 * billing data.
 */
#ifndef CP_SUPERVISOR_STORE_H
#define CP_SUPERVISOR_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#define CP_STORE_FILE "chargepointd.db"

//  The longest a store call waits for another connection's lock (SQLite's
//  busy timeout; then it fails with SQLITE_BUSY, which the caller handles
//  like any failed write). It must stay below the supervisor's liveness
//  budget, or an actor waiting for the disk would be taken for a hung one
//  and restarted — which would only add a connection to the contention:
//  options.c bounds liveness-ms below by this plus one ping period.
#define CP_STORE_BUSY_MS 1000

//  Open (creating if needed) the database in state_dir. NULL + err on failure.
sqlite3 *cp_store_open(const char *state_dir, char *err, size_t err_size);
//  Open the existing database for reading only (PRAGMA query_only: every
//  statement that would write fails in SQLite with SQLITE_READONLY). For
//  a reader of tables another actor owns (config_store_open_reader). NULL
//  + err on failure, also when the database does not exist yet.
sqlite3 *cp_store_open_readonly(const char *state_dir, char *err, size_t err_size);
void cp_store_close(sqlite3 **db_p);
//  Run quick_check; 0 if healthy (or absent), -1 with err otherwise.
int cp_store_check(const char *state_dir, char *err, size_t err_size);
//  The database holds the AuthorizationKey: make it, and its -wal and -shm
//  files, readable by the owner only. Creates an empty database file 0600
//  when there is none (SQLite gives -wal and -shm the database's mode) and
//  tightens existing files with wider modes (logged). Called by main
//  before any connection is opened. 0, or -1 with err.
int cp_store_restrict_mode(const char *state_dir, char *err, size_t err_size);
//  Execute SQL without results; -1 and logs on failure.
int cp_store_exec(sqlite3 *db, const char *sql);
//  A store's tables (CREATE … IF NOT EXISTS, indexes) in one transaction:
//  on a first start one sync per store instead of one per statement; when
//  they all exist, a read without the write lock.
int cp_store_schema(sqlite3 *db, const char *sql);
//  Prepare one statement, logging SQLite's reason with the SQL on failure
//  (*stmt is then NULL). 0 or -1. The store files prepare once, at open.
int cp_store_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stmt);
//  Ready a prepared statement for its next use: reset, bindings cleared.
void cp_store_reset(sqlite3_stmt *stmt);
//  Step a bound write statement to completion and reset it: the rows it
//  changed, or -1 with SQLite's reason logged under component (at debug
//  level when quiet: a store known to fail is reported once, elsewhere).
int cp_store_run(sqlite3 *db, sqlite3_stmt *stmt, const char *component, const char *what, bool quiet);
//  cp_store_exec, quiet as above.
int cp_store_exec_quiet(sqlite3 *db, const char *sql, const char *component, bool quiet);
#endif
