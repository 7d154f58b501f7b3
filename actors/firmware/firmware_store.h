/* firmware_store.h — the firmware actor's durable state: the firmware job
 * (one row, firmware_core.h's fw_job_t at its last step) and the version
 * the last install put in place.
 *
 * Tables, owned by the firmware actor:
 *   firmware_job   at most one row: the job, plus the run id of the
 *                  process that wrote it (a REBOOTING job read by another
 *                  run has rebooted).
 *   firmware_meta  key/value: installed_version (what BootNotification
 *                  reports as firmwareVersion), last_id (job ids never
 *                  repeat, so a stale transfer outcome is never taken for
 *                  the current one).
 * A save is one SQLite transaction: when a job reaches REBOOTING with a
 * version, the version and the step commit together — the install is
 * either wholly recorded or not at all.
 */
#ifndef CP_ACTORS_FIRMWARE_FIRMWARE_STORE_H
#define CP_ACTORS_FIRMWARE_FIRMWARE_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include "actors/firmware/firmware_core.h"

typedef struct _firmware_store_t firmware_store_t;

//  db is borrowed. Creates the tables if needed. NULL on a SQLite error (logged).
firmware_store_t *firmware_store_new(sqlite3 *db);
//  Its tables (CREATE … IF NOT EXISTS). main creates every store's in one
//  transaction before the actors start; _new creates them too, for a store
//  opened on its own.
const char *firmware_store_schema(void);
void firmware_store_destroy(firmware_store_t **self_p);

//  Write the job (step NONE deletes it) with the run id; 0 or -1 (logged).
int firmware_store_save(firmware_store_t *self, const fw_job_t *job, const char *run_id);
//  Read the job: 1 found (job and run_id filled), 0 none, -1 error.
//  *last_id is the highest job id ever saved (0 when none).
int firmware_store_load(firmware_store_t *self, fw_job_t *job, char *run_id, size_t run_id_size,
                        int64_t *last_id);

//  The version the last install put in place, read with a connection of
//  its own (main calls it before any actor runs, to report it in
//  BootNotification): 0 and out filled, -1 when there is none (no store
//  yet, no install ever) — out is left alone.
int firmware_store_installed_version(const char *state_dir, char *out, size_t out_size);
#endif
