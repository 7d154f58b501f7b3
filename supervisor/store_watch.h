/* store_watch.h — noticing that the state database was deleted (or
 * replaced) under a running controller, and writing it back.
 *
 * Why it exists: every connection keeps working on an unlinked SQLite file
 * — writes succeed, nothing looks wrong — and the next start creates an
 * empty database: configuration, transactions and the outbox gone (issue
 * 11). So the supervisor, in one place, stats the path every
 * CP_STORE_WATCH_MS (one stat(2), nothing more) and compares it with the
 * file it opened. When the path no longer names that file, the controller
 * escalates (exit 1, so systemd restarts it and every connection of every
 * actor is opened afresh), and once its actors have stopped — their last
 * writes, the clean-shutdown marks included, are in the open file — the
 * watch writes that file back to the path with SQLite's online backup
 * from its own connection (docs/architecture.md, "When the store fails").
 */
#ifndef CP_SUPERVISOR_STORE_WATCH_H
#define CP_SUPERVISOR_STORE_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CP_STORE_WATCH_MS 3000

typedef struct _cp_store_watch_t cp_store_watch_t;

//  Opens a connection of its own (read-only: query_only) to the database
//  in state_dir and remembers which file the path names. NULL + err.
cp_store_watch_t *cp_store_watch_new(const char *state_dir, char *err, size_t err_size);
void cp_store_watch_destroy(cp_store_watch_t **self_p);
//  At most once per CP_STORE_WATCH_MS of now_ms (monotonic): false from
//  the first check that finds the path deleted or naming another file
//  (logged once, with what the controller does about it).
bool cp_store_watch_ok(cp_store_watch_t *self, int64_t now_ms);
//  The database was lost: write the open one back to the path (a
//  temporary file, 0600, synced, renamed into place). Call it after the
//  writers stopped. 0 (also when nothing was lost), or -1 + err.
int cp_store_watch_restore(cp_store_watch_t *self, char *err, size_t err_size);
#endif
