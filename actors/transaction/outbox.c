/* outbox.c — see outbox.h. SQLite style: every return code is checked and
 * logged with sqlite3_errmsg; every mutation runs inside BEGIN IMMEDIATE ..
 * COMMIT and is rolled back on any failure, so a half-done change (say, a
 * StartTransaction discarded but not its dependents) can never be left on
 * disk.
 */
#include "actors/transaction/outbox.h"

#include <assert.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "supervisor/log.h"
#include "supervisor/store.h"

#define COMPONENT "outbox"

typedef enum { KIND_NONE, KIND_START, KIND_METER, KIND_STOP } kind_t;

struct _outbox_t {
    sqlite3 *db;                   //  borrowed
    bool quiet;                    //  outbox_quiet
    size_t capacity;
    sqlite3_stmt *insert;
    sqlite3_stmt *head;
    sqlite3_stmt *select_row;
    sqlite3_stmt *delete_row;
    sqlite3_stmt *delete_later;    //  rows of a transaction after a given id
    sqlite3_stmt *delete_tx;       //  every row of a transaction
    sqlite3_stmt *set_attempts;
    sqlite3_stmt *count;
    sqlite3_stmt *thin;
    sqlite3_stmt *map_get;
    sqlite3_stmt *map_set;
    sqlite3_stmt *map_delete;
    sqlite3_stmt *bury_row;        //  a message into the dead letters
    sqlite3_stmt *bury_later;      //  ... the rest of its transaction
    sqlite3_stmt *bury_tx;         //  ... every message of a transaction
    sqlite3_stmt *bury_trim;       //  keep the newest OUTBOX_DEAD_MAX
    uint64_t burials;              //  since opened: tells the owner to count again
    //  The last peek found the queue empty and nothing was queued since:
    //  only this object writes tx_outbox, so the next peek needs no read.
    //  The owner peeks after every bus event; an idle charger would
    //  otherwise open a read transaction (and take the WAL's shared locks)
    //  for each one (issue 12).
    bool known_empty;
};

//  AUTOINCREMENT: ids must never be reused, even once the queue ran empty,
//  because the caller may still hold the id of a message it sent.
static const char s_schema[] =
    "CREATE TABLE IF NOT EXISTS tx_outbox ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  action TEXT NOT NULL,"
    "  tx_local INTEGER NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS tx_outbox_by_tx ON tx_outbox (tx_local, id);"
    "CREATE TABLE IF NOT EXISTS tx_outbox_ids ("
    "  tx_local INTEGER PRIMARY KEY,"
    "  csms_id INTEGER NOT NULL);"
    //  Dead letters: what the queue gave up on (outbox.h). csms_id is the
    //  transaction's id when it was known, so a message re-queued later
    //  still carries it.
    "CREATE TABLE IF NOT EXISTS tx_outbox_dead ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  orig_id INTEGER NOT NULL,"
    "  action TEXT NOT NULL,"
    "  tx_local INTEGER NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL,"
    "  csms_id INTEGER,"
    "  reason TEXT NOT NULL,"
    "  discarded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));";

//  Copy messages into the dead letters before they are deleted (?9 = why).
#define BURY_SELECT \
    "INSERT INTO tx_outbox_dead (orig_id, action, tx_local, payload, attempts, csms_id, reason) " \
    "SELECT o.id, o.action, o.tx_local, o.payload, o.attempts, m.csms_id, ?9 " \
    "FROM tx_outbox o LEFT JOIN tx_outbox_ids m ON m.tx_local = o.tx_local "

//  Of the queued MeterValues in id order, the 2nd, 4th, ... (see outbox.h).
//  Keeping the 1st keeps the head of the queue, which may be in flight.
static const char s_thin_sql[] =
    "DELETE FROM tx_outbox WHERE id IN ("
    "  SELECT id FROM ("
    "    SELECT id, row_number() OVER (ORDER BY id) AS n"
    "    FROM tx_outbox WHERE action = 'MeterValues')"
    "  WHERE n % 2 = 0)";

static kind_t
s_kind(const char *action)
{
    if (!action)
        return KIND_NONE;
    if (strcmp(action, "StartTransaction") == 0)
        return KIND_START;
    if (strcmp(action, "MeterValues") == 0)
        return KIND_METER;
    if (strcmp(action, "StopTransaction") == 0)
        return KIND_STOP;
    return KIND_NONE;
}

//  Messages whose transactionId comes from the mapping.
static bool
s_needs_csms_id(kind_t kind, int64_t tx_local)
{
    return (kind == KIND_METER || kind == KIND_STOP) && tx_local != 0;
}

static int
s_bind_int64(outbox_t *self, sqlite3_stmt *stmt, int index, int64_t value)
{
    if (sqlite3_bind_int64(stmt, index, value) != SQLITE_OK) {
        cp_error(COMPONENT, "bind: %s", sqlite3_errmsg(self->db));
        cp_store_reset(stmt);
        return -1;
    }
    return 0;
}

static int
s_bind_text(outbox_t *self, sqlite3_stmt *stmt, int index, const char *text)
{
    if (sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
        cp_error(COMPONENT, "bind: %s", sqlite3_errmsg(self->db));
        cp_store_reset(stmt);
        return -1;
    }
    return 0;
}

//  Run a bound write statement to completion and reset it; the number of
//  rows it changed, or -1.
static int
s_run(outbox_t *self, sqlite3_stmt *stmt, const char *what)
{
    return cp_store_run(self->db, stmt, COMPONENT, what, self->quiet);
}

//  IMMEDIATE takes the write lock up front, so a read done inside the
//  transaction (the count before thinning, the row before deleting it)
//  is still true when the write happens.
//  cp_store_exec, quiet while the store is known to fail (outbox_quiet).
static int
s_exec(outbox_t *self, const char *sql)
{
    return cp_store_exec_quiet(self->db, sql, COMPONENT, self->quiet);
}

static int
s_begin(outbox_t *self)
{
    return s_exec(self, "BEGIN IMMEDIATE");
}

static void
s_rollback(outbox_t *self)
{
    //  After some errors SQLite has already rolled back; that is fine.
    if (!sqlite3_get_autocommit(self->db))
        s_exec(self, "ROLLBACK");
}

static int
s_commit(outbox_t *self)
{
    if (s_exec(self, "COMMIT") != 0) {
        s_rollback(self);
        return -1;
    }
    return 0;
}

//  Queued messages, or -1.
static int64_t
s_count(outbox_t *self)
{
    int rc = sqlite3_step(self->count);
    int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(self->count, 0) : -1;
    cp_store_reset(self->count);
    if (rc != SQLITE_ROW)
        cp_error(COMPONENT, "count: %s", sqlite3_errmsg(self->db));
    return n;
}

//  One row by id: 0 found, 1 absent, -1 error.
static int
s_select_row(outbox_t *self, int64_t id, kind_t *kind, char *action, size_t action_size,
             int64_t *tx_local, int *attempts)
{
    if (s_bind_int64(self, self->select_row, 1, id) != 0)
        return -1;
    int rc = sqlite3_step(self->select_row);
    int result = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
    if (result == 0) {
        const char *text = (const char *) sqlite3_column_text(self->select_row, 0);
        *kind = s_kind(text);
        snprintf(action, action_size, "%s", text ? text : "");
        *tx_local = sqlite3_column_int64(self->select_row, 1);
        *attempts = sqlite3_column_int(self->select_row, 2);
    }
    else
    if (result < 0)
        cp_error(COMPONENT, "read message %lld: %s", (long long) id, sqlite3_errmsg(self->db));
    cp_store_reset(self->select_row);
    return result;
}

static int
s_delete_row(outbox_t *self, int64_t id)
{
    if (s_bind_int64(self, self->delete_row, 1, id) != 0)
        return -1;
    return s_run(self, self->delete_row, "delete message");
}

//  The transaction ended for the outbox (its StopTransaction left the
//  queue): nothing may refer to its CSMS id any more.
static int
s_forget_tx(outbox_t *self, int64_t tx_local)
{
    if (s_bind_int64(self, self->map_delete, 1, tx_local) != 0)
        return -1;
    return s_run(self, self->map_delete, "delete transaction id") < 0 ? -1 : 0;
}

//  Keep a copy of what is about to be discarded (stmt: one of bury_*, its
//  ?1/?2 bound by the caller), bounded to the newest OUTBOX_DEAD_MAX. A
//  billing record the central system never took must not vanish from the
//  charger (issue 11.7): it is counted, uploaded with diagnostics and can
//  be re-queued (outbox_requeue_dead). 0 or -1.
static int
s_bury(outbox_t *self, sqlite3_stmt *stmt, const char *reason)
{
    if (sqlite3_bind_text(stmt, 9, reason, -1, SQLITE_STATIC) != SQLITE_OK
    ||  s_run(self, stmt, "keep a dead letter") < 0
    ||  s_bind_int64(self, self->bury_trim, 1, OUTBOX_DEAD_MAX) != 0
    ||  s_run(self, self->bury_trim, "bound the dead letters") < 0)
        return -1;
    self->burials++;
    return 0;
}

const char *
outbox_schema(void)
{
    return s_schema;
}

outbox_t *
outbox_new(sqlite3 *db, size_t capacity)
{
    assert(db);
    assert(capacity > 0);
    outbox_t *self = calloc(1, sizeof(*self));
    if (!self) {
        cp_error(COMPONENT, "out of memory");
        return NULL;
    }
    self->db = db;
    self->capacity = capacity;

    if (cp_store_exec(db, "BEGIN IMMEDIATE") != 0)
        goto failed;
    if (cp_store_exec(db, s_schema) != 0
    ||  cp_store_prepare(db, "INSERT INTO tx_outbox (action, tx_local, payload, attempts) "
                      "VALUES (?1, ?2, ?3, 0)", &self->insert) != 0
    ||  cp_store_prepare(db, "SELECT id, action, tx_local, payload, attempts FROM tx_outbox "
                      "ORDER BY id LIMIT 1", &self->head) != 0
    ||  cp_store_prepare(db, "SELECT action, tx_local, attempts FROM tx_outbox WHERE id = ?1",
                  &self->select_row) != 0
    ||  cp_store_prepare(db, "DELETE FROM tx_outbox WHERE id = ?1", &self->delete_row) != 0
    ||  cp_store_prepare(db, "DELETE FROM tx_outbox WHERE tx_local = ?1 AND id > ?2",
                  &self->delete_later) != 0
    ||  cp_store_prepare(db, "DELETE FROM tx_outbox WHERE tx_local = ?1", &self->delete_tx) != 0
    ||  cp_store_prepare(db, "UPDATE tx_outbox SET attempts = ?2 WHERE id = ?1",
                  &self->set_attempts) != 0
    ||  cp_store_prepare(db, "SELECT COUNT(*) FROM tx_outbox", &self->count) != 0
    ||  cp_store_prepare(db, s_thin_sql, &self->thin) != 0
    ||  cp_store_prepare(db, "SELECT csms_id FROM tx_outbox_ids WHERE tx_local = ?1",
                  &self->map_get) != 0
    ||  cp_store_prepare(db, "INSERT INTO tx_outbox_ids (tx_local, csms_id) VALUES (?1, ?2) "
                      "ON CONFLICT(tx_local) DO UPDATE SET csms_id = excluded.csms_id",
                  &self->map_set) != 0
    ||  cp_store_prepare(db, "DELETE FROM tx_outbox_ids WHERE tx_local = ?1", &self->map_delete) != 0
    ||  cp_store_prepare(db, BURY_SELECT "WHERE o.id = ?1", &self->bury_row) != 0
    ||  cp_store_prepare(db, BURY_SELECT "WHERE o.tx_local = ?1 AND o.id > ?2 ORDER BY o.id", &self->bury_later) != 0
    ||  cp_store_prepare(db, BURY_SELECT "WHERE o.tx_local = ?1 ORDER BY o.id", &self->bury_tx) != 0
    ||  cp_store_prepare(db, "DELETE FROM tx_outbox_dead WHERE id <= (SELECT MAX(id) FROM tx_outbox_dead) - ?1",
                  &self->bury_trim) != 0)
        goto failed;
    if (s_commit(self) != 0)
        goto failed;
    return self;

failed:
    s_rollback(self);
    outbox_destroy(&self);
    return NULL;
}

void
outbox_destroy(outbox_t **self_p)
{
    assert(self_p);
    outbox_t *self = *self_p;
    if (!self)
        return;
    //  finalize(NULL) is a no-op, so a half-built outbox is fine here.
    sqlite3_finalize(self->insert);
    sqlite3_finalize(self->head);
    sqlite3_finalize(self->select_row);
    sqlite3_finalize(self->delete_row);
    sqlite3_finalize(self->delete_later);
    sqlite3_finalize(self->delete_tx);
    sqlite3_finalize(self->set_attempts);
    sqlite3_finalize(self->count);
    sqlite3_finalize(self->thin);
    sqlite3_finalize(self->map_get);
    sqlite3_finalize(self->map_set);
    sqlite3_finalize(self->map_delete);
    sqlite3_finalize(self->bury_row);
    sqlite3_finalize(self->bury_later);
    sqlite3_finalize(self->bury_tx);
    sqlite3_finalize(self->bury_trim);
    free(self);
    *self_p = NULL;
}

//  Make room per the capacity policy (outbox.h), inside the caller's
//  transaction. 0 = the message may be inserted, 1 = refused, -1 = error.
static int
s_make_room(outbox_t *self, kind_t kind)
{
    int64_t count = s_count(self);
    if (count < 0)
        return -1;
    if ((size_t) count < self->capacity)
        return 0;
    int dropped = s_run(self, self->thin, "thin MeterValues");
    if (dropped < 0)
        return -1;
    if (dropped > 0)
        cp_warn(COMPONENT, "queue full (%lld of %zu): dropped %d intermediate MeterValues",
                (long long) count, self->capacity, dropped);
    count -= dropped;
    if ((size_t) count < self->capacity || kind != KIND_METER)
        //  StartTransaction / StopTransaction are accepted even over
        //  capacity: losing one would corrupt billing.
        return 0;
    cp_warn(COMPONENT, "queue full (%lld of %zu) and no MeterValues left to drop: "
                       "MeterValues refused", (long long) count, self->capacity);
    return 1;
}

int64_t
outbox_append(outbox_t *self, const char *action, int64_t tx_local, const char *payload_json)
{
    assert(self);
    kind_t kind = s_kind(action);
    if (kind == KIND_NONE) {
        cp_error(COMPONENT, "append: '%s' is not a transaction-related action",
                 action ? action : "(null)");
        return -1;
    }
    if (tx_local < 0 || (kind == KIND_START && tx_local == 0)) {
        cp_error(COMPONENT, "append %s: invalid local transaction id %lld",
                 action, (long long) tx_local);
        return -1;
    }
    //  Refused here rather than at send time: a row that cannot be parsed
    //  at the head of the queue would block every later message.
    json_error_t error;
    json_t *payload = payload_json ? json_loads(payload_json, 0, &error) : NULL;
    bool is_object = payload && json_is_object(payload);
    json_decref(payload);
    if (!is_object) {
        cp_error(COMPONENT, "append %s (tx %lld): payload is not a JSON object",
                 action, (long long) tx_local);
        return -1;
    }

    if (s_begin(self) != 0)
        return -1;
    int room = s_make_room(self, kind);
    if (room != 0)
        goto failed;
    if (s_bind_text(self, self->insert, 1, action) != 0
    ||  s_bind_int64(self, self->insert, 2, tx_local) != 0
    ||  s_bind_text(self, self->insert, 3, payload_json) != 0
    ||  s_run(self, self->insert, "append") < 0)
        goto failed;
    int64_t id = sqlite3_last_insert_rowid(self->db);
    self->known_empty = false;      //  before the commit: a failed one may still have queued it
    if (s_commit(self) != 0)
        return -1;
    cp_debug(COMPONENT, "queued %s #%lld (tx %lld)", action, (long long) id, (long long) tx_local);
    return id;

failed:
    s_rollback(self);
    return -1;
}

int
outbox_set_transaction_id(outbox_t *self, int64_t tx_local, int64_t csms_transaction_id)
{
    assert(self);
    if (tx_local <= 0) {
        cp_error(COMPONENT, "set transaction id: invalid local id %lld", (long long) tx_local);
        return -1;
    }
    if (s_begin(self) != 0)
        return -1;
    if (s_bind_int64(self, self->map_set, 1, tx_local) != 0
    ||  s_bind_int64(self, self->map_set, 2, csms_transaction_id) != 0
    ||  s_run(self, self->map_set, "set transaction id") < 0) {
        s_rollback(self);
        return -1;
    }
    return s_commit(self);
}

int
outbox_get_transaction_id(outbox_t *self, int64_t tx_local, int64_t *csms_transaction_id)
{
    assert(self);
    assert(csms_transaction_id);
    if (s_bind_int64(self, self->map_get, 1, tx_local) != 0)
        return -1;
    int rc = sqlite3_step(self->map_get);
    int result = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
    if (result == 0)
        *csms_transaction_id = sqlite3_column_int64(self->map_get, 0);
    else
    if (result < 0)
        cp_error(COMPONENT, "read transaction id: %s", sqlite3_errmsg(self->db));
    cp_store_reset(self->map_get);
    return result;
}

//  Delete the head row (or, with whole_tx, every row of its transaction)
//  in its own transaction. 0 or -1.
static int
s_discard(outbox_t *self, int64_t id, int64_t tx_local, bool whole_tx)
{
    if (s_begin(self) != 0)
        return -1;
    int deleted;
    if (whole_tx) {
        if (s_bind_int64(self, self->bury_tx, 1, tx_local) != 0
        ||  s_bury(self, self->bury_tx, "no transactionId: its StartTransaction was never accepted") != 0
        ||  s_bind_int64(self, self->delete_tx, 1, tx_local) != 0)
            goto failed;
        deleted = s_run(self, self->delete_tx, "discard transaction");
    }
    else
        deleted = s_delete_row(self, id);       //  corrupt: nothing worth keeping
    if (deleted < 0 || s_commit(self) != 0)
        goto failed;
    return 0;

failed:
    s_rollback(self);
    return -1;
}

//  The payload with "transactionId" set, as new malloc'd text, or NULL if
//  the stored text is not a JSON object (a hand-edited database).
static char *
s_with_transaction_id(const char *payload_json, int64_t csms_id)
{
    json_error_t error;
    json_t *payload = json_loads(payload_json, 0, &error);
    if (!payload || !json_is_object(payload)
    ||  json_object_set_new(payload, "transactionId", json_integer(csms_id)) != 0) {
        json_decref(payload);
        return NULL;
    }
    char *text = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(payload);
    return text;
}

int
outbox_peek(outbox_t *self, outbox_msg_t *out)
{
    assert(self);
    assert(out);
    memset(out, 0, sizeof(*out));
    if (self->known_empty)
        return 1;
    //  Each pass either returns or deletes at least the head row, so the
    //  loop ends.
    for (;;) {
        int rc = sqlite3_step(self->head);
        if (rc == SQLITE_DONE) {
            cp_store_reset(self->head);
            self->known_empty = true;
            return 1;
        }
        if (rc != SQLITE_ROW) {
            cp_error(COMPONENT, "read head: %s", sqlite3_errmsg(self->db));
            cp_store_reset(self->head);
            return -1;
        }
        int64_t id = sqlite3_column_int64(self->head, 0);
        const char *action = (const char *) sqlite3_column_text(self->head, 1);
        kind_t kind = s_kind(action);
        if (kind != KIND_NONE)
            snprintf(out->action, sizeof(out->action), "%s", action);
        int64_t tx_local = sqlite3_column_int64(self->head, 2);
        const char *text = (const char *) sqlite3_column_text(self->head, 3);
        char *payload = text ? strdup(text) : NULL;
        int attempts = sqlite3_column_int(self->head, 4);
        bool out_of_memory = text && !payload;
        cp_store_reset(self->head);
        if (out_of_memory) {
            cp_error(COMPONENT, "out of memory");
            return -1;
        }

        if (kind == KIND_NONE || !payload) {
            //  Only a hand-edited database gets here; it must not block
            //  the queue for good.
            cp_error(COMPONENT, "discarding corrupt message #%lld", (long long) id);
            free(payload);
            if (s_discard(self, id, tx_local, false) != 0)
                return -1;
            continue;
        }
        if (s_needs_csms_id(kind, tx_local)) {
            int64_t csms_id = 0;
            int found = outbox_get_transaction_id(self, tx_local, &csms_id);
            if (found < 0) {
                free(payload);
                return -1;
            }
            if (found == 1) {
                //  FIFO: its StartTransaction is no longer queued before
                //  it, so it was discarded. Never send a placeholder id.
                cp_warn(COMPONENT, "discarding %s #%lld and the rest of tx %lld: "
                                   "its StartTransaction was never accepted",
                        out->action, (long long) id, (long long) tx_local);
                free(payload);
                memset(out, 0, sizeof(*out));
                if (s_discard(self, id, tx_local, true) != 0)
                    return -1;
                continue;
            }
            char *filled = s_with_transaction_id(payload, csms_id);
            free(payload);
            if (!filled) {
                cp_error(COMPONENT, "discarding message #%lld: payload is not a JSON object",
                         (long long) id);
                memset(out, 0, sizeof(*out));
                if (s_discard(self, id, tx_local, false) != 0)
                    return -1;
                continue;
            }
            payload = filled;
        }
        out->id = id;
        out->tx_local = tx_local;
        out->payload = payload;
        out->attempts = attempts;
        return 0;
    }
}

void
outbox_msg_clear(outbox_msg_t *msg)
{
    assert(msg);
    free(msg->payload);
    memset(msg, 0, sizeof(*msg));
}

int
outbox_ack(outbox_t *self, int64_t id)
{
    assert(self);
    if (s_begin(self) != 0)
        return -1;
    kind_t kind;
    char action[32];
    int64_t tx_local;
    int attempts;
    int found = s_select_row(self, id, &kind, action, sizeof(action), &tx_local, &attempts);
    if (found != 0) {
        s_rollback(self);
        return found;
    }
    if (s_delete_row(self, id) < 0
    ||  (kind == KIND_STOP && tx_local != 0 && s_forget_tx(self, tx_local) != 0)
    ||  s_commit(self) != 0) {
        s_rollback(self);
        return -1;
    }
    cp_debug(COMPONENT, "%s #%lld (tx %lld) delivered", action, (long long) id,
             (long long) tx_local);
    return 0;
}

int64_t
outbox_fail(outbox_t *self, int64_t id, int max_attempts, int retry_interval_s)
{
    assert(self);
    if (max_attempts < 1)
        max_attempts = 1;
    if (retry_interval_s < 0)
        retry_interval_s = 0;
    if (s_begin(self) != 0)
        return OUTBOX_FAIL_ERROR;
    kind_t kind;
    char action[32];
    int64_t tx_local;
    int attempts;
    int found = s_select_row(self, id, &kind, action, sizeof(action), &tx_local, &attempts);
    if (found != 0) {
        if (found == 1)
            cp_error(COMPONENT, "fail: no message #%lld", (long long) id);
        s_rollback(self);
        return OUTBOX_FAIL_ERROR;
    }
    attempts++;

    if (attempts < max_attempts) {
        if (s_bind_int64(self, self->set_attempts, 1, id) != 0
        ||  s_bind_int64(self, self->set_attempts, 2, attempts) != 0
        ||  s_run(self, self->set_attempts, "count attempt") < 0
        ||  s_commit(self) != 0) {
            s_rollback(self);
            return OUTBOX_FAIL_ERROR;
        }
        //  Spec 3.7.1: interval x number of preceding transmissions.
        return (int64_t) retry_interval_s * 1000 * attempts;
    }

    //  Spec 3.7.1: after the last failed attempt skip it and go on.
    int dependents = 0;
    if (s_bind_int64(self, self->bury_row, 1, id) != 0 || s_bury(self, self->bury_row, "attempts exhausted") != 0)
        goto failed;
    if (s_delete_row(self, id) < 0)
        goto failed;
    if (kind == KIND_START) {
        //  Without a transactionId the rest of the transaction can never
        //  be sent correctly (libocpp #495).
        if (s_bind_int64(self, self->bury_later, 1, tx_local) != 0
        ||  s_bind_int64(self, self->bury_later, 2, id) != 0
        ||  s_bury(self, self->bury_later, "its StartTransaction was discarded") != 0)
            goto failed;
        if (s_bind_int64(self, self->delete_later, 1, tx_local) != 0
        ||  s_bind_int64(self, self->delete_later, 2, id) != 0
        ||  (dependents = s_run(self, self->delete_later, "discard transaction")) < 0)
            goto failed;
    }
    if (kind == KIND_STOP && tx_local != 0 && s_forget_tx(self, tx_local) != 0)
        goto failed;
    if (s_commit(self) != 0)
        goto failed;
    if (dependents > 0)
        cp_warn(COMPONENT, "discarded %s #%lld (tx %lld) after %d attempts, "
                           "and %d later message(s) of that transaction",
                action, (long long) id, (long long) tx_local, attempts, dependents);
    else
        cp_warn(COMPONENT, "discarded %s #%lld (tx %lld) after %d attempts",
                action, (long long) id, (long long) tx_local, attempts);
    return OUTBOX_DISCARDED;

failed:
    s_rollback(self);
    return OUTBOX_FAIL_ERROR;
}

size_t
outbox_count(outbox_t *self)
{
    assert(self);
    int64_t n = s_count(self);
    return n < 0 ? 0 : (size_t) n;
}

int
outbox_knows(outbox_t *self, int64_t tx_local)
{
    assert(self);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(self->db, "SELECT 1 FROM tx_outbox WHERE tx_local = ?1"
                           " UNION ALL SELECT 1 FROM tx_outbox_ids WHERE tx_local = ?1 LIMIT 1",
                           -1, &stmt, NULL) != SQLITE_OK) {
        cp_error("outbox", "knows: %s", sqlite3_errmsg(self->db));
        return -1;
    }
    sqlite3_bind_int64(stmt, 1, tx_local);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int64_t
outbox_dead_count(outbox_t *self)
{
    assert(self);
    sqlite3_stmt *stmt = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(self->db, "SELECT COUNT(*) FROM tx_outbox_dead", -1, &stmt, NULL) == SQLITE_OK
    &&  sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
    else
        cp_error(COMPONENT, "count dead letters: %s", sqlite3_errmsg(self->db));
    sqlite3_finalize(stmt);
    return n;
}

int64_t
outbox_requeue_dead(outbox_t *self)
{
    assert(self);
    if (s_begin(self) != 0)
        return -1;
    //  Back at the tail, in their original order, with a fresh attempt
    //  budget; a transaction's known id comes back with its messages.
    int64_t moved = -1;
    self->known_empty = false;
    if (cp_store_exec(self->db, "INSERT INTO tx_outbox_ids (tx_local, csms_id)"
                                " SELECT tx_local, csms_id FROM tx_outbox_dead"
                                " WHERE csms_id IS NOT NULL AND tx_local != 0 AND action != 'StartTransaction'"
                                " ON CONFLICT(tx_local) DO NOTHING") == 0
    &&  cp_store_exec(self->db, "INSERT INTO tx_outbox (action, tx_local, payload, attempts)"
                                " SELECT action, tx_local, payload, 0 FROM tx_outbox_dead ORDER BY orig_id") == 0) {
        moved = sqlite3_changes(self->db);
        if (cp_store_exec(self->db, "DELETE FROM tx_outbox_dead") != 0)
            moved = -1;
    }
    if (moved < 0 || s_commit(self) != 0) {
        s_rollback(self);
        return -1;
    }
    if (moved > 0)
        cp_warn(COMPONENT, "%lld dead letter(s) queued again", (long long) moved);
    return moved;
}

uint64_t
outbox_burials(const outbox_t *self)
{
    assert(self);
    return self->burials;
}

void
outbox_quiet(outbox_t *self, bool quiet)
{
    assert(self);
    self->quiet = quiet;
}
