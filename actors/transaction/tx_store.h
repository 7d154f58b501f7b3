/* tx_store.h — the transaction actor's durable record of charging sessions.
 *
 * Why a file of its own: billing depends on these rows surviving kill -9
 * and power loss (architecture.md, "Durable state: nothing lost"), so the
 * SQL that writes them is kept in one place where every statement is
 * prepared once, every error is checked and logged, and a unit test
 * (test_tx_store.c) covers each call. The actor's shell only says what
 * happened (a start, a stop, a reading) and never sees SQL.
 *
 * Tables (owned by the transaction actor; written by no other actor):
 *   transactions   one row per transaction, its life in `state`:
 *                  'active' (recorded at the start; start_queued = 1 once
 *                  its StartTransaction is in the outbox) → 'stopping'
 *                  (meter_stop, stop_reason, stop_id_tag and stopped_ms
 *                  recorded) → 'stopped' (its StopTransaction is in the
 *                  outbox). Rows stay as history: they also hold the last
 *                  energy register per connector (tx_store_meter_registers).
 *   tx_stopdata    StopTxnSampledData of a transaction not yet stopped,
 *                  gathered into the StopTransaction's transactionData.
 *   availability   ChangeAvailability's persistent choice per connector.
 *   reservations   ReserveNow reservations, with their expiry in wall ms.
 * (The outbox, tx_outbox, tx_outbox_ids and tx_outbox_dead, is outbox.h's.)
 *
 * Reads that feed writes (recovery, queueing stops) return rows into the
 * caller's arrays and finish the read before returning: a write on a
 * connection with a read still open fails with SQLITE_BUSY_SNAPSHOT
 * whenever another connection committed in between.
 *
 * db is borrowed, single-threaded, opened with cp_store_open by the
 * transaction actor. Results: 0 (or a count) on success, -1 when SQLite
 * failed (already logged).
 */
#ifndef CP_ACTORS_TRANSACTION_TX_STORE_H
#define CP_ACTORS_TRANSACTION_TX_STORE_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#define TX_STORE_TAG_MAX     20    //  an OCPP IdToken (CiString20)
#define TX_STORE_REASON_MAX  16    //  the longest OCPP Reason is 14
#define TX_STORE_RUN_ID_MAX  39

typedef struct _tx_store_t tx_store_t;

//  An 'active' row, as recovery needs it.
typedef struct {
    int64_t tx_local;
    int connector;
    char id_tag[TX_STORE_TAG_MAX + 1];
    char parent_id_tag[TX_STORE_TAG_MAX + 1];
    int64_t meter_start;           //  Wh
    int64_t started_ms;            //  wall ms
    char run_id[TX_STORE_RUN_ID_MAX + 1];
    double last_meter_wh;          //  the last saved reading
    bool has_csms_id;              //  StartTransaction.conf was recorded
    int64_t csms_id;
    bool clean_shutdown;           //  marked by a clean stop of the actor
} tx_store_active_t;

//  A 'stopping' row: what its StopTransaction says.
typedef struct {
    int64_t tx_local;
    int64_t meter_stop;            //  Wh
    int64_t stopped_ms;            //  wall ms
    char reason[TX_STORE_REASON_MAX + 1];
    char id_tag[TX_STORE_TAG_MAX + 1];     //  "" = none
} tx_store_stop_t;

typedef struct {
    int connector;
    int reservation_id;
    char id_tag[TX_STORE_TAG_MAX + 1];
    char parent_id_tag[TX_STORE_TAG_MAX + 1];
    int64_t expiry_ms;             //  wall ms
} tx_store_reservation_t;

typedef struct {
    int connector;
    bool operative;
} tx_store_availability_t;

//  Creates the tables if missing and prepares every statement. NULL on a
//  SQLite error (logged).
tx_store_t *tx_store_new(sqlite3 *db);
//  Its tables (CREATE … IF NOT EXISTS). main creates every store's in one
//  transaction before the actors start; _new creates them too, for a store
//  opened on its own.
const char *tx_store_schema(void);
void tx_store_destroy(tx_store_t **self_p);

//  While the store is known to fail (store_health.h) the actor has said so
//  once, loudly: each further failed statement is logged at debug only.
void tx_store_quiet(tx_store_t *self, bool quiet);
//  A small durable write (a row in tx_probe), to learn whether the store
//  takes writes again when nothing else is waiting to be written.
int tx_store_probe(tx_store_t *self, int64_t now_ms);

//  Transactions ----------------------------------------------------------
//  Record a new 'active' transaction (start_queued = 0, last reading =
//  meter_start). Its local id (> 0), or -1.
int64_t tx_store_begin(tx_store_t *self, int connector, const char *id_tag, int64_t meter_start,
                       int64_t started_ms, const char *run_id);
//  Its StartTransaction is in the outbox.
int tx_store_set_queued(tx_store_t *self, int64_t tx_local);
//  Recovery only: a transaction whose StartTransaction never reached the
//  outbox is unknown to everyone: delete it.
int tx_store_forget(tx_store_t *self, int64_t tx_local);
//  The CSMS transactionId from StartTransaction.conf.
int tx_store_set_csms_id(tx_store_t *self, int64_t tx_local, int64_t csms_id);
//  The idTag that started (stop_tag false) or stopped (true) it: 0 copied
//  into out, 1 no such transaction or no tag, -1 error.
int tx_store_id_tag(tx_store_t *self, int64_t tx_local, bool stop_tag, char *out, size_t size);
//  The last energy reading of an open transaction.
int tx_store_save_meter(tx_store_t *self, int64_t tx_local, double wh);
//  The meter went on after the stop was recorded (the contactor opens
//  late): raise meter_stop of connector's 'stopping' rows to wh.
int tx_store_raise_meter_stop(tx_store_t *self, int connector, int64_t wh);
//  Record the stop: 'active' → 'stopping'. id_tag NULL or "" = none.
int tx_store_stop(tx_store_t *self, int64_t tx_local, int64_t meter_stop, const char *reason,
                  const char *id_tag, int64_t stopped_ms);
//  1 active or stopping (its StopTransaction not queued yet), 0 not, -1.
int tx_store_is_open(tx_store_t *self, int64_t tx_local);
//  Keep a StopTxnSampledData array (JSON text) for the StopTransaction:
//  0 kept, 1 dropped because the transaction is no longer open, -1.
int tx_store_add_stopdata(tx_store_t *self, int64_t tx_local, const char *json);
//  The 'stopping' rows, oldest first, at most max: their count, or -1.
int tx_store_stopping(tx_store_t *self, tx_store_stop_t *out, int max);
//  Every sample kept for tx_local, in order, as one JSON array (new
//  reference; empty when none). NULL on a SQLite error; a row that is not
//  a JSON array is logged and skipped.
json_t *tx_store_stopdata(tx_store_t *self, int64_t tx_local);
//  Its StopTransaction is in the outbox: 'stopping' → 'stopped' and its
//  samples deleted, in one SQLite transaction.
int tx_store_set_stopped(tx_store_t *self, int64_t tx_local);
//  Recovery: the 'active' rows whose StartTransaction was not marked
//  queued (local ids into out), and every 'active' row. Count or -1.
int tx_store_unqueued(tx_store_t *self, int64_t *out, int max);
int tx_store_active(tx_store_t *self, tx_store_active_t *out, int max);
//  The actor stops cleanly (SIGTERM, reset): mark every 'active' row, so
//  that a next process that has to stop it says Reboot, not PowerLoss.
int tx_store_mark_clean_shutdown(tx_store_t *self);
//  A resumed transaction belongs to this run: its run id, its mark reset.
int tx_store_adopt(tx_store_t *self, int64_t tx_local, const char *run_id);

//  Reservations and availability -----------------------------------------
int tx_store_put_reservation(tx_store_t *self, const tx_store_reservation_t *reservation);
int tx_store_delete_reservation(tx_store_t *self, int reservation_id);
//  Delete the reservations expired at wall ms now.
int tx_store_expire_reservations(tx_store_t *self, int64_t now_ms);
int tx_store_reservations(tx_store_t *self, tx_store_reservation_t *out, int max);
int tx_store_set_availability(tx_store_t *self, int connector, bool operative);
int tx_store_availability(tx_store_t *self, tx_store_availability_t *out, int max);

//  On any connection, without a tx_store (read only; the table may not
//  exist yet): the highest energy register recorded per connector, into
//  registers[1..max] (others untouched), for a meter that cannot keep its
//  register (the simulator). 0, or -1 (nothing recorded yet is 0).
int tx_store_meter_registers(sqlite3 *db, double *registers, int max);
#endif
