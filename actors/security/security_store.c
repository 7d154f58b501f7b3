/* security_store.c — see security_store.h. Statements are prepared once
 * at open; every write is one statement (SQLite's own transaction), so a
 * row is either there or not after a crash. */
#include "actors/security/security_store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "supervisor/clock.h"
#include "supervisor/log.h"
#include "supervisor/store.h"

#define LOG "security"

struct _security_store_t {
    sqlite3 *db;
    sqlite3_stmt *certs, *cert_count, *cert_add, *cert_del;
    sqlite3_stmt *log_add, *log_head, *log_sent, *log_count, *log_owed, *trim_sent, *trim_owed;
    sqlite3_stmt *meta_get, *meta_put;
};

static const char s_schema[] =
    "CREATE TABLE IF NOT EXISTS security_cert ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, der BLOB NOT NULL,"
    " name_hash TEXT NOT NULL, key_hash TEXT NOT NULL, serial TEXT NOT NULL, installed_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS security_log ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, tech_info TEXT NOT NULL,"
    " at_ms INTEGER NOT NULL, sent INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS security_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

const char *
security_store_schema(void)
{
    return s_schema;
}

security_store_t *
security_store_new(sqlite3 *db)
{
    assert(db);
    security_store_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->db = db;
    if (cp_store_schema(db, s_schema) != 0
    ||  cp_store_prepare(db, "SELECT id, type, der, name_hash, key_hash, serial FROM security_cert"
                         " WHERE ?1 IS NULL OR type = ?1 ORDER BY id", &self->certs) != 0
    ||  cp_store_prepare(db, "SELECT COUNT(*) FROM security_cert", &self->cert_count) != 0
    ||  cp_store_prepare(db, "INSERT INTO security_cert (type, der, name_hash, key_hash, serial, installed_ms)"
                         " VALUES (?, ?, ?, ?, ?, ?)", &self->cert_add) != 0
    ||  cp_store_prepare(db, "DELETE FROM security_cert WHERE id = ?", &self->cert_del) != 0
    ||  cp_store_prepare(db, "INSERT INTO security_log (type, tech_info, at_ms) VALUES (?, ?, ?)",
                         &self->log_add) != 0
    ||  cp_store_prepare(db, "SELECT seq, type, tech_info, at_ms FROM security_log WHERE sent = 0"
                         " ORDER BY seq LIMIT 1", &self->log_head) != 0
    ||  cp_store_prepare(db, "UPDATE security_log SET sent = 1 WHERE seq = ?", &self->log_sent) != 0
    ||  cp_store_prepare(db, "SELECT COUNT(*) FROM security_log", &self->log_count) != 0
    ||  cp_store_prepare(db, "SELECT COUNT(*) FROM security_log WHERE sent = 0", &self->log_owed) != 0
    ||  cp_store_prepare(db, "DELETE FROM security_log WHERE seq IN (SELECT seq FROM security_log"
                         " WHERE sent = 1 ORDER BY seq LIMIT ?)", &self->trim_sent) != 0
    ||  cp_store_prepare(db, "DELETE FROM security_log WHERE seq IN (SELECT seq FROM security_log"
                         " ORDER BY seq LIMIT ?)", &self->trim_owed) != 0
    ||  cp_store_prepare(db, "SELECT value FROM security_meta WHERE key = ?", &self->meta_get) != 0
    ||  cp_store_prepare(db, "INSERT OR REPLACE INTO security_meta (key, value) VALUES (?, ?)",
                         &self->meta_put) != 0) {
        security_store_destroy(&self);
        return NULL;
    }
    return self;
}

void
security_store_destroy(security_store_t **self_p)
{
    assert(self_p);
    security_store_t *self = *self_p;
    if (!self)
        return;
    sqlite3_stmt *all[] = { self->certs, self->cert_count, self->cert_add, self->cert_del, self->log_add,
                            self->log_head, self->log_sent, self->log_count, self->log_owed, self->trim_sent,
                            self->trim_owed, self->meta_get, self->meta_put };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        sqlite3_finalize(all[i]);
    free(self);
    *self_p = NULL;
}

static int64_t
s_count(security_store_t *self, sqlite3_stmt *stmt)
{
    int64_t n = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
    else
        cp_error(LOG, "count failed: %s", sqlite3_errmsg(self->db));
    cp_store_reset(stmt);
    return n;
}

static void
s_copy(char *dst, size_t size, const unsigned char *text)
{
    snprintf(dst, size, "%s", text ? (const char *) text : "");
}

int
security_store_certs(security_store_t *self, const char *type, security_cert_t *out, int max)
{
    assert(self && out);
    if (type)
        sqlite3_bind_text(self->certs, 1, type, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(self->certs, 1);
    int n = 0, rc;
    while (n < max && (rc = sqlite3_step(self->certs)) == SQLITE_ROW) {
        security_cert_t *c = &out[n];
        memset(c, 0, sizeof(*c));
        c->id = sqlite3_column_int64(self->certs, 0);
        s_copy(c->type, sizeof(c->type), sqlite3_column_text(self->certs, 1));
        int len = sqlite3_column_bytes(self->certs, 2);
        const void *der = sqlite3_column_blob(self->certs, 2);
        c->der = len > 0 ? malloc((size_t) len) : NULL;
        if (!c->der) {
            cp_store_reset(self->certs);
            security_store_free_certs(out, n);
            return -1;
        }
        memcpy(c->der, der, (size_t) len);
        c->der_len = (size_t) len;
        snprintf(c->hash.hash_algorithm, sizeof(c->hash.hash_algorithm), "SHA256");
        s_copy(c->hash.issuer_name_hash, sizeof(c->hash.issuer_name_hash), sqlite3_column_text(self->certs, 3));
        s_copy(c->hash.issuer_key_hash, sizeof(c->hash.issuer_key_hash), sqlite3_column_text(self->certs, 4));
        s_copy(c->hash.serial_number, sizeof(c->hash.serial_number), sqlite3_column_text(self->certs, 5));
        n++;
    }
    bool failed = n < max && rc != SQLITE_DONE;
    if (failed)
        cp_error(LOG, "cannot read the certificates: %s", sqlite3_errmsg(self->db));
    cp_store_reset(self->certs);
    if (failed) {
        security_store_free_certs(out, n);
        return -1;
    }
    return n;
}

void
security_store_free_certs(security_cert_t *certs, int count)
{
    for (int i = 0; i < count; i++) {
        free(certs[i].der);
        certs[i].der = NULL;
    }
}

int64_t
security_store_cert_count(security_store_t *self)
{
    return s_count(self, self->cert_count);
}

int
security_store_cert_add(security_store_t *self, const char *type, const cert_info_t *info)
{
    assert(self && type && info && info->der);
    sqlite3_bind_text(self->cert_add, 1, type, -1, SQLITE_STATIC);
    sqlite3_bind_blob(self->cert_add, 2, info->der, (int) info->der_len, SQLITE_STATIC);
    sqlite3_bind_text(self->cert_add, 3, info->hash.issuer_name_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(self->cert_add, 4, info->hash.issuer_key_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(self->cert_add, 5, info->hash.serial_number, -1, SQLITE_STATIC);
    sqlite3_bind_int64(self->cert_add, 6, info->not_before_ms);
    return cp_store_run(self->db, self->cert_add, LOG, "install certificate", false) == 1 ? 0 : -1;
}

int
security_store_cert_delete(security_store_t *self, int64_t id)
{
    sqlite3_bind_int64(self->cert_del, 1, id);
    return cp_store_run(self->db, self->cert_del, LOG, "delete certificate", false) == 1 ? 0 : -1;
}

int
security_store_log_append(security_store_t *self, const char *type, const char *tech_info, int64_t at_ms,
                          int *dropped)
{
    assert(self && type && tech_info && dropped);
    *dropped = 0;
    sqlite3_bind_text(self->log_add, 1, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(self->log_add, 2, tech_info, -1, SQLITE_STATIC);
    sqlite3_bind_int64(self->log_add, 3, at_ms);
    if (cp_store_run(self->db, self->log_add, LOG, "security log", false) != 1)
        return -1;
    int64_t excess = s_count(self, self->log_count) - SECURITY_LOG_MAX;
    if (excess > 0) {
        sqlite3_bind_int64(self->trim_sent, 1, excess);
        int gone = cp_store_run(self->db, self->trim_sent, LOG, "trim the security log", false);
        if (gone >= 0 && gone < excess) {
            sqlite3_bind_int64(self->trim_owed, 1, excess - gone);
            int owed = cp_store_run(self->db, self->trim_owed, LOG, "trim the security log", false);
            *dropped = owed > 0 ? owed : 0;
        }
    }
    return 0;
}

int
security_store_log_head(security_store_t *self, security_event_row_t *row)
{
    assert(self && row);
    memset(row, 0, sizeof(*row));
    int rc = sqlite3_step(self->log_head), found = 0;
    if (rc == SQLITE_ROW) {
        row->seq = sqlite3_column_int64(self->log_head, 0);
        s_copy(row->type, sizeof(row->type), sqlite3_column_text(self->log_head, 1));
        s_copy(row->tech_info, sizeof(row->tech_info), sqlite3_column_text(self->log_head, 2));
        row->at_ms = sqlite3_column_int64(self->log_head, 3);
        found = 1;
    }
    else
    if (rc != SQLITE_DONE) {
        cp_error(LOG, "cannot read the security log: %s", sqlite3_errmsg(self->db));
        found = -1;
    }
    cp_store_reset(self->log_head);
    return found;
}

int
security_store_log_mark_sent(security_store_t *self, int64_t seq)
{
    sqlite3_bind_int64(self->log_sent, 1, seq);
    return cp_store_run(self->db, self->log_sent, LOG, "security log sent", false) < 0 ? -1 : 0;
}

int64_t
security_store_log_count(security_store_t *self, bool owed_only)
{
    return s_count(self, owed_only ? self->log_owed : self->log_count);
}

int
security_store_meta_get(security_store_t *self, const char *key, char *value, size_t size)
{
    value[0] = '\0';
    sqlite3_bind_text(self->meta_get, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(self->meta_get);
    if (rc == SQLITE_ROW)
        s_copy(value, size, sqlite3_column_text(self->meta_get, 0));
    cp_store_reset(self->meta_get);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
security_store_meta_set(security_store_t *self, const char *key, const char *value)
{
    sqlite3_bind_text(self->meta_put, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(self->meta_put, 2, value, -1, SQLITE_STATIC);
    return cp_store_run(self->db, self->meta_put, LOG, key, false) < 0 ? -1 : 0;
}

int
security_store_export_log(sqlite3 *db, FILE *out, int64_t from_ms, int64_t to_ms)
{
    assert(db && out);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT at_ms, type, tech_info FROM security_log WHERE at_ms BETWEEN ? AND ?"
                               " ORDER BY seq", -1, &stmt, NULL) != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return -1;
    }
    sqlite3_bind_int64(stmt, 1, from_ms);
    sqlite3_bind_int64(stmt, 2, to_ms);
    int lines = 0, rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        char stamp[40];
        cp_clock_format(sqlite3_column_int64(stmt, 0), stamp, sizeof(stamp));
        const unsigned char *type = sqlite3_column_text(stmt, 1);
        const unsigned char *info = sqlite3_column_text(stmt, 2);
        fprintf(out, "%s %s%s%s\n", stamp, type ? (const char *) type : "", info && info[0] ? " " : "",
                info ? (const char *) info : "");
        lines++;
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? lines : -1;
}
