/* tx_store.c — see tx_store.h. SQLite style, as in outbox.c: statements
 * are prepared once, every return code is checked and logged with
 * sqlite3_errmsg, every statement is reset after use (so no read stays
 * open under a later write), and the one change that touches two tables
 * runs inside BEGIN IMMEDIATE .. COMMIT, rolled back on failure.
 */
#include "actors/transaction/tx_store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "supervisor/log.h"
#include "supervisor/store.h"

#define COMPONENT "transaction"

struct _tx_store_t {
    sqlite3 *db;                   //  borrowed
    bool quiet;                    //  tx_store_quiet
    sqlite3_stmt *probe;
    sqlite3_stmt *begin;
    sqlite3_stmt *set_queued;
    sqlite3_stmt *forget;
    sqlite3_stmt *set_csms_id;
    sqlite3_stmt *id_tags;
    sqlite3_stmt *save_meter;
    sqlite3_stmt *raise_meter_stop;
    sqlite3_stmt *stop;
    sqlite3_stmt *is_open;
    sqlite3_stmt *add_stopdata;
    sqlite3_stmt *stopping;
    sqlite3_stmt *stopdata;
    sqlite3_stmt *set_stopped;
    sqlite3_stmt *drop_stopdata;
    sqlite3_stmt *unqueued;
    sqlite3_stmt *active;
    sqlite3_stmt *mark_clean;
    sqlite3_stmt *adopt;                 //  a resumed transaction joins this run
    sqlite3_stmt *put_reservation;
    sqlite3_stmt *delete_reservation;
    sqlite3_stmt *expire_reservations;
    sqlite3_stmt *reservations;
    sqlite3_stmt *set_availability;
    sqlite3_stmt *availability;
};

static const char s_schema[] =
    "CREATE TABLE IF NOT EXISTS transactions (tx_local INTEGER PRIMARY KEY AUTOINCREMENT,"
    " connector INTEGER NOT NULL, id_tag TEXT NOT NULL, parent_id_tag TEXT NOT NULL DEFAULT '',"
    " meter_start INTEGER NOT NULL, started_ms INTEGER NOT NULL, run_id TEXT NOT NULL,"
    " last_meter_wh REAL NOT NULL, state TEXT NOT NULL, start_queued INTEGER NOT NULL,"
    " csms_id INTEGER, meter_stop INTEGER, stop_reason TEXT, stop_id_tag TEXT, stopped_ms INTEGER,"
    " clean_shutdown INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS tx_stopdata (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " tx_local INTEGER NOT NULL, json TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tx_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS availability (connector INTEGER PRIMARY KEY, operative INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS reservations (connector INTEGER PRIMARY KEY, reservation_id INTEGER NOT NULL,"
    " id_tag TEXT NOT NULL, parent_id_tag TEXT NOT NULL, expiry_ms INTEGER NOT NULL);";

//  --------------------------------------------------------------------------
//  Helpers

static int
s_bound(tx_store_t *self, sqlite3_stmt *stmt, int rc)
{
    if (rc != SQLITE_OK) {
        cp_error(COMPONENT, "bind: %s", sqlite3_errmsg(self->db));
        cp_store_reset(stmt);
        return -1;
    }
    return 0;
}

static int
s_bind_i64(tx_store_t *self, sqlite3_stmt *stmt, int index, int64_t value)
{
    return s_bound(self, stmt, sqlite3_bind_int64(stmt, index, value));
}

static int
s_bind_f64(tx_store_t *self, sqlite3_stmt *stmt, int index, double value)
{
    return s_bound(self, stmt, sqlite3_bind_double(stmt, index, value));
}

static int
s_bind_text(tx_store_t *self, sqlite3_stmt *stmt, int index, const char *text)
{
    return s_bound(self, stmt, sqlite3_bind_text(stmt, index, text ? text : "", -1, SQLITE_TRANSIENT));
}

//  Run a bound write statement to completion and reset it: the number of
//  rows it changed, or -1.
static int
s_run(tx_store_t *self, sqlite3_stmt *stmt, const char *what)
{
    return cp_store_run(self->db, stmt, COMPONENT, what, self->quiet);
}

//  0 when a bound write ran (whether or not it changed a row), -1.
static int
s_write(tx_store_t *self, sqlite3_stmt *stmt, const char *what)
{
    return s_run(self, stmt, what) < 0 ? -1 : 0;
}

//  After a read loop: SQLITE_DONE is the end, anything else an error.
static int
s_read_done(tx_store_t *self, sqlite3_stmt *stmt, int rc, const char *what)
{
    cp_store_reset(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        cp_error(COMPONENT, "%s: %s", what, sqlite3_errmsg(self->db));
        return -1;
    }
    return 0;
}

static void
s_copy(char *out, size_t size, sqlite3_stmt *stmt, int column)
{
    const unsigned char *text = sqlite3_column_text(stmt, column);
    snprintf(out, size, "%s", text ? (const char *) text : "");
}

//  cp_store_exec, quiet while the store is known to fail.
static int
s_exec(tx_store_t *self, const char *sql)
{
    return cp_store_exec_quiet(self->db, sql, COMPONENT, self->quiet);
}

static void
s_rollback(tx_store_t *self)
{
    //  After some errors SQLite has already rolled back; that is fine.
    if (!sqlite3_get_autocommit(self->db))
        cp_store_exec(self->db, "ROLLBACK");
}

//  --------------------------------------------------------------------------

const char *
tx_store_schema(void)
{
    return s_schema;
}

tx_store_t *
tx_store_new(sqlite3 *db)
{
    assert(db);
    tx_store_t *self = calloc(1, sizeof(*self));
    if (!self) {
        cp_error(COMPONENT, "out of memory");
        return NULL;
    }
    self->db = db;
    if (cp_store_schema(db, s_schema) != 0
    ||  cp_store_prepare(db, "INSERT OR REPLACE INTO tx_probe (id, at_ms) VALUES (1, ?1)", &self->probe) != 0
    ||  cp_store_prepare(db, "INSERT INTO transactions (connector, id_tag, meter_start, started_ms, run_id,"
                      " last_meter_wh, state, start_queued) VALUES (?1, ?2, ?3, ?4, ?5, ?3, 'active', 0)",
                  &self->begin) != 0
    ||  cp_store_prepare(db, "UPDATE transactions SET start_queued = 1 WHERE tx_local = ?1", &self->set_queued) != 0
    ||  cp_store_prepare(db, "DELETE FROM transactions WHERE tx_local = ?1", &self->forget) != 0
    ||  cp_store_prepare(db, "UPDATE transactions SET csms_id = ?2 WHERE tx_local = ?1", &self->set_csms_id) != 0
    ||  cp_store_prepare(db, "SELECT id_tag, stop_id_tag FROM transactions WHERE tx_local = ?1", &self->id_tags) != 0
    ||  cp_store_prepare(db, "UPDATE transactions SET last_meter_wh = MAX(last_meter_wh, ?2) WHERE tx_local = ?1", &self->save_meter) != 0
    ||  cp_store_prepare(db, "UPDATE transactions SET meter_stop = MAX(meter_stop, ?2)"
                      " WHERE connector = ?1 AND state = 'stopping'", &self->raise_meter_stop) != 0
    ||  cp_store_prepare(db, "UPDATE transactions SET state = 'stopping', meter_stop = ?2, stop_reason = ?3,"
                      " stop_id_tag = ?4, stopped_ms = ?5 WHERE tx_local = ?1", &self->stop) != 0
    ||  cp_store_prepare(db, "SELECT 1 FROM transactions WHERE tx_local = ?1 AND state IN ('active', 'stopping')",
                  &self->is_open) != 0
    ||  cp_store_prepare(db, "INSERT INTO tx_stopdata (tx_local, json) SELECT ?1, ?2 WHERE EXISTS"
                      " (SELECT 1 FROM transactions WHERE tx_local = ?1 AND state IN ('active', 'stopping'))",
                  &self->add_stopdata) != 0
    ||  cp_store_prepare(db, "SELECT tx_local, meter_stop, stop_reason, stop_id_tag, stopped_ms"
                      " FROM transactions WHERE state = 'stopping' ORDER BY tx_local", &self->stopping) != 0
    ||  cp_store_prepare(db, "SELECT json FROM tx_stopdata WHERE tx_local = ?1 ORDER BY seq", &self->stopdata) != 0
    ||  cp_store_prepare(db, "UPDATE transactions SET state = 'stopped' WHERE tx_local = ?1", &self->set_stopped) != 0
    ||  cp_store_prepare(db, "DELETE FROM tx_stopdata WHERE tx_local = ?1", &self->drop_stopdata) != 0
    ||  cp_store_prepare(db, "SELECT tx_local FROM transactions WHERE state = 'active' AND start_queued = 0"
                      " ORDER BY tx_local", &self->unqueued) != 0
    ||  cp_store_prepare(db, "SELECT tx_local, connector, id_tag, parent_id_tag, meter_start, started_ms, run_id,"
                      " last_meter_wh, csms_id, clean_shutdown FROM transactions WHERE state = 'active'"
                      " ORDER BY tx_local", &self->active) != 0
    ||  cp_store_prepare(db, "UPDATE transactions SET clean_shutdown = 1 WHERE state = 'active'", &self->mark_clean) != 0
    ||  cp_store_prepare(db, "UPDATE transactions SET clean_shutdown = 0, run_id = ?2 WHERE tx_local = ?1", &self->adopt) != 0
    ||  cp_store_prepare(db, "INSERT OR REPLACE INTO reservations (connector, reservation_id, id_tag, parent_id_tag,"
                      " expiry_ms) VALUES (?1, ?2, ?3, ?4, ?5)", &self->put_reservation) != 0
    ||  cp_store_prepare(db, "DELETE FROM reservations WHERE reservation_id = ?1", &self->delete_reservation) != 0
    ||  cp_store_prepare(db, "DELETE FROM reservations WHERE expiry_ms <= ?1", &self->expire_reservations) != 0
    ||  cp_store_prepare(db, "SELECT connector, reservation_id, id_tag, parent_id_tag, expiry_ms FROM reservations"
                      " ORDER BY connector", &self->reservations) != 0
    ||  cp_store_prepare(db, "INSERT OR REPLACE INTO availability (connector, operative) VALUES (?1, ?2)",
                  &self->set_availability) != 0
    ||  cp_store_prepare(db, "SELECT connector, operative FROM availability ORDER BY connector",
                  &self->availability) != 0) {
        tx_store_destroy(&self);
        return NULL;
    }
    return self;
}

void
tx_store_destroy(tx_store_t **self_p)
{
    assert(self_p);
    tx_store_t *self = *self_p;
    if (!self)
        return;
    //  finalize(NULL) is a no-op, so a half-built store is fine here.
    sqlite3_stmt *all[] = {
        self->probe, self->begin, self->set_queued, self->forget, self->set_csms_id, self->id_tags, self->save_meter,
        self->raise_meter_stop, self->stop, self->is_open, self->add_stopdata, self->stopping,
        self->stopdata, self->set_stopped, self->drop_stopdata, self->unqueued, self->active,
        self->mark_clean, self->adopt, self->put_reservation, self->delete_reservation,
        self->expire_reservations, self->reservations, self->set_availability, self->availability,
    };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        sqlite3_finalize(all[i]);
    free(self);
    *self_p = NULL;
}

static int s_write_i64(tx_store_t *self, sqlite3_stmt *stmt, int64_t value, const char *what);

void
tx_store_quiet(tx_store_t *self, bool quiet)
{
    assert(self);
    self->quiet = quiet;
}

int
tx_store_probe(tx_store_t *self, int64_t now_ms)
{
    assert(self);
    return s_write_i64(self, self->probe, now_ms, "probe the store");
}

//  --------------------------------------------------------------------------
//  Transactions

int64_t
tx_store_begin(tx_store_t *self, int connector, const char *id_tag, int64_t meter_start,
               int64_t started_ms, const char *run_id)
{
    assert(self && id_tag && run_id);
    if (s_bind_i64(self, self->begin, 1, connector) != 0
    ||  s_bind_text(self, self->begin, 2, id_tag) != 0
    ||  s_bind_i64(self, self->begin, 3, meter_start) != 0
    ||  s_bind_i64(self, self->begin, 4, started_ms) != 0
    ||  s_bind_text(self, self->begin, 5, run_id) != 0
    ||  s_run(self, self->begin, "record a new transaction") != 1)
        return -1;
    return sqlite3_last_insert_rowid(self->db);
}

//  A write whose one parameter is a number (mostly a tx_local).
static int
s_write_i64(tx_store_t *self, sqlite3_stmt *stmt, int64_t value, const char *what)
{
    if (s_bind_i64(self, stmt, 1, value) != 0)
        return -1;
    return s_write(self, stmt, what);
}

int
tx_store_set_queued(tx_store_t *self, int64_t tx_local)
{
    assert(self);
    return s_write_i64(self, self->set_queued, tx_local, "mark StartTransaction queued");
}

int
tx_store_forget(tx_store_t *self, int64_t tx_local)
{
    assert(self);
    return s_write_i64(self, self->forget, tx_local, "forget a transaction");
}

int
tx_store_set_csms_id(tx_store_t *self, int64_t tx_local, int64_t csms_id)
{
    assert(self);
    if (s_bind_i64(self, self->set_csms_id, 1, tx_local) != 0
    ||  s_bind_i64(self, self->set_csms_id, 2, csms_id) != 0)
        return -1;
    return s_write(self, self->set_csms_id, "record transactionId");
}

int
tx_store_id_tag(tx_store_t *self, int64_t tx_local, bool stop_tag, char *out, size_t size)
{
    assert(self && out && size > 0);
    out[0] = '\0';
    if (s_bind_i64(self, self->id_tags, 1, tx_local) != 0)
        return -1;
    int rc = sqlite3_step(self->id_tags);
    if (rc == SQLITE_ROW)
        s_copy(out, size, self->id_tags, stop_tag ? 1 : 0);
    if (s_read_done(self, self->id_tags, rc, "read idTag") != 0)
        return -1;
    return out[0] ? 0 : 1;
}

int
tx_store_save_meter(tx_store_t *self, int64_t tx_local, double wh)
{
    assert(self);
    if (s_bind_i64(self, self->save_meter, 1, tx_local) != 0
    ||  s_bind_f64(self, self->save_meter, 2, wh) != 0)
        return -1;
    return s_write(self, self->save_meter, "save the meter reading");
}

int
tx_store_raise_meter_stop(tx_store_t *self, int connector, int64_t wh)
{
    assert(self);
    if (s_bind_i64(self, self->raise_meter_stop, 1, connector) != 0
    ||  s_bind_i64(self, self->raise_meter_stop, 2, wh) != 0)
        return -1;
    return s_write(self, self->raise_meter_stop, "update meterStop");
}

int
tx_store_stop(tx_store_t *self, int64_t tx_local, int64_t meter_stop, const char *reason,
              const char *id_tag, int64_t stopped_ms)
{
    assert(self && reason);
    if (s_bind_i64(self, self->stop, 1, tx_local) != 0
    ||  s_bind_i64(self, self->stop, 2, meter_stop) != 0
    ||  s_bind_text(self, self->stop, 3, reason) != 0
    ||  s_bind_text(self, self->stop, 4, id_tag) != 0
    ||  s_bind_i64(self, self->stop, 5, stopped_ms) != 0)
        return -1;
    return s_write(self, self->stop, "record the stop");
}

int
tx_store_is_open(tx_store_t *self, int64_t tx_local)
{
    assert(self);
    if (s_bind_i64(self, self->is_open, 1, tx_local) != 0)
        return -1;
    int rc = sqlite3_step(self->is_open);
    if (s_read_done(self, self->is_open, rc, "read the transaction state") != 0)
        return -1;
    return rc == SQLITE_ROW ? 1 : 0;
}

int
tx_store_add_stopdata(tx_store_t *self, int64_t tx_local, const char *json)
{
    assert(self && json);
    if (s_bind_i64(self, self->add_stopdata, 1, tx_local) != 0
    ||  s_bind_text(self, self->add_stopdata, 2, json) != 0)
        return -1;
    int changed = s_run(self, self->add_stopdata, "keep StopTxnSampledData");
    return changed < 0 ? -1 : changed == 0 ? 1 : 0;
}

int
tx_store_stopping(tx_store_t *self, tx_store_stop_t *out, int max)
{
    assert(self && out && max >= 0);
    int n = 0, rc = SQLITE_DONE;
    while (n < max && (rc = sqlite3_step(self->stopping)) == SQLITE_ROW) {
        tx_store_stop_t *s = &out[n++];
        s->tx_local = sqlite3_column_int64(self->stopping, 0);
        s->meter_stop = sqlite3_column_int64(self->stopping, 1);
        s_copy(s->reason, sizeof(s->reason), self->stopping, 2);
        s_copy(s->id_tag, sizeof(s->id_tag), self->stopping, 3);
        s->stopped_ms = sqlite3_column_int64(self->stopping, 4);
    }
    if (n == max)
        rc = SQLITE_DONE;           //  the caller's array is full: the rest next time
    return s_read_done(self, self->stopping, rc, "read stopped transactions") != 0 ? -1 : n;
}

json_t *
tx_store_stopdata(tx_store_t *self, int64_t tx_local)
{
    assert(self);
    json_t *data = json_array();
    if (!data || s_bind_i64(self, self->stopdata, 1, tx_local) != 0) {
        json_decref(data);
        return NULL;
    }
    int rc;
    while ((rc = sqlite3_step(self->stopdata)) == SQLITE_ROW) {
        const char *text = (const char *) sqlite3_column_text(self->stopdata, 0);
        json_t *values = text ? json_loads(text, 0, NULL) : NULL;
        if (!json_is_array(values))
            cp_warn(COMPONENT, "a StopTxnSampledData row of %lld is not a JSON array: skipped",
                    (long long) tx_local);
        else
            json_array_extend(data, values);
        json_decref(values);
    }
    if (s_read_done(self, self->stopdata, rc, "read StopTxnSampledData") != 0) {
        json_decref(data);
        return NULL;
    }
    return data;
}

int
tx_store_set_stopped(tx_store_t *self, int64_t tx_local)
{
    assert(self);
    if (s_exec(self, "BEGIN IMMEDIATE") != 0)
        return -1;
    if (s_write_i64(self, self->set_stopped, tx_local, "mark the transaction stopped") != 0
    ||  s_write_i64(self, self->drop_stopdata, tx_local, "delete StopTxnSampledData") != 0
    ||  s_exec(self, "COMMIT") != 0) {
        s_rollback(self);
        return -1;
    }
    return 0;
}

int
tx_store_unqueued(tx_store_t *self, int64_t *out, int max)
{
    assert(self && out && max >= 0);
    int n = 0, rc = SQLITE_DONE;
    while (n < max && (rc = sqlite3_step(self->unqueued)) == SQLITE_ROW)
        out[n++] = sqlite3_column_int64(self->unqueued, 0);
    if (n == max)
        rc = SQLITE_DONE;
    return s_read_done(self, self->unqueued, rc, "read unqueued transactions") != 0 ? -1 : n;
}

int
tx_store_active(tx_store_t *self, tx_store_active_t *out, int max)
{
    assert(self && out && max >= 0);
    sqlite3_stmt *q = self->active;
    int n = 0, rc = SQLITE_DONE;
    while (n < max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        tx_store_active_t *a = &out[n++];
        memset(a, 0, sizeof(*a));
        a->tx_local = sqlite3_column_int64(q, 0);
        a->connector = sqlite3_column_int(q, 1);
        s_copy(a->id_tag, sizeof(a->id_tag), q, 2);
        s_copy(a->parent_id_tag, sizeof(a->parent_id_tag), q, 3);
        a->meter_start = sqlite3_column_int64(q, 4);
        a->started_ms = sqlite3_column_int64(q, 5);
        s_copy(a->run_id, sizeof(a->run_id), q, 6);
        a->last_meter_wh = sqlite3_column_double(q, 7);
        a->has_csms_id = sqlite3_column_type(q, 8) != SQLITE_NULL;
        a->csms_id = a->has_csms_id ? sqlite3_column_int64(q, 8) : 0;
        a->clean_shutdown = sqlite3_column_int(q, 9) != 0;
    }
    if (n == max)
        rc = SQLITE_DONE;
    return s_read_done(self, q, rc, "read open transactions") != 0 ? -1 : n;
}

int
tx_store_mark_clean_shutdown(tx_store_t *self)
{
    assert(self);
    return s_write(self, self->mark_clean, "mark a clean shutdown");
}

int
tx_store_adopt(tx_store_t *self, int64_t tx_local, const char *run_id)
{
    assert(self && run_id);
    if (s_bind_i64(self, self->adopt, 1, tx_local) != 0 || s_bind_text(self, self->adopt, 2, run_id) != 0)
        return -1;
    return s_write(self, self->adopt, "adopt a resumed transaction");
}

//  --------------------------------------------------------------------------
//  Reservations and availability

int
tx_store_put_reservation(tx_store_t *self, const tx_store_reservation_t *r)
{
    assert(self && r);
    sqlite3_stmt *st = self->put_reservation;
    if (s_bind_i64(self, st, 1, r->connector) != 0
    ||  s_bind_i64(self, st, 2, r->reservation_id) != 0
    ||  s_bind_text(self, st, 3, r->id_tag) != 0
    ||  s_bind_text(self, st, 4, r->parent_id_tag) != 0
    ||  s_bind_i64(self, st, 5, r->expiry_ms) != 0)
        return -1;
    return s_write(self, st, "persist a reservation");
}

int
tx_store_delete_reservation(tx_store_t *self, int reservation_id)
{
    assert(self);
    return s_write_i64(self, self->delete_reservation, reservation_id, "delete a reservation");
}

int
tx_store_expire_reservations(tx_store_t *self, int64_t now_ms)
{
    assert(self);
    return s_write_i64(self, self->expire_reservations, now_ms, "delete expired reservations");
}

int
tx_store_reservations(tx_store_t *self, tx_store_reservation_t *out, int max)
{
    assert(self && out && max >= 0);
    sqlite3_stmt *q = self->reservations;
    int n = 0, rc = SQLITE_DONE;
    while (n < max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        tx_store_reservation_t *r = &out[n++];
        r->connector = sqlite3_column_int(q, 0);
        r->reservation_id = sqlite3_column_int(q, 1);
        s_copy(r->id_tag, sizeof(r->id_tag), q, 2);
        s_copy(r->parent_id_tag, sizeof(r->parent_id_tag), q, 3);
        r->expiry_ms = sqlite3_column_int64(q, 4);
    }
    if (n == max)
        rc = SQLITE_DONE;
    return s_read_done(self, q, rc, "read reservations") != 0 ? -1 : n;
}

int
tx_store_set_availability(tx_store_t *self, int connector, bool operative)
{
    assert(self);
    if (s_bind_i64(self, self->set_availability, 1, connector) != 0
    ||  s_bind_i64(self, self->set_availability, 2, operative ? 1 : 0) != 0)
        return -1;
    return s_write(self, self->set_availability, "persist availability");
}

int
tx_store_availability(tx_store_t *self, tx_store_availability_t *out, int max)
{
    assert(self && out && max >= 0);
    sqlite3_stmt *q = self->availability;
    int n = 0, rc = SQLITE_DONE;
    while (n < max && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        out[n].connector = sqlite3_column_int(q, 0);
        out[n].operative = sqlite3_column_int(q, 1) != 0;
        n++;
    }
    if (n == max)
        rc = SQLITE_DONE;
    return s_read_done(self, q, rc, "read availability") != 0 ? -1 : n;
}

int
tx_store_meter_registers(sqlite3 *db, double *registers, int max)
{
    assert(db && registers);
    //  No table yet on a first start: nothing to restore, not an error.
    sqlite3_stmt *stmt = NULL;
    if (cp_store_prepare(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'transactions'", &stmt) != 0)
        return -1;
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW) {
        cp_error(COMPONENT, "read the schema: %s", sqlite3_errmsg(db));
        return -1;
    }
    if (cp_store_prepare(db, "SELECT connector, MAX(MAX(last_meter_wh, COALESCE(meter_stop, 0)))"
                      " FROM transactions GROUP BY connector", &stmt) != 0)
        return -1;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int c = sqlite3_column_int(stmt, 0);
        if (c >= 1 && c <= max)
            registers[c] = sqlite3_column_double(stmt, 1);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        cp_error(COMPONENT, "read the meter registers: %s", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}
