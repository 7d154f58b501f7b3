/* local_list.c — see local_list.h. One prepared statement per query, kept
 * for the object's life: a lookup is a single B-tree probe on the primary
 * key (microseconds even with 10 000 entries; bench/bench_auth.c). */
#include "actors/auth/local_list.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "supervisor/log.h"
#include "supervisor/store.h"

#define LOG "auth"

struct _local_list_t {
    sqlite3 *db;
    sqlite3_stmt *find;
    sqlite3_stmt *count;
    sqlite3_stmt *version;
};

static const char *const s_status_names[] = { "Accepted", "Failed", "NotSupported", "VersionMismatch" };

const char *
local_list_status_name(local_list_status_t status)
{
    if ((size_t) status < sizeof(s_status_names) / sizeof(s_status_names[0]))
        return s_status_names[status];
    return "Failed";
}

static const char s_schema[] =
    "CREATE TABLE IF NOT EXISTS auth_list (id_tag TEXT PRIMARY KEY COLLATE NOCASE,"
    " status TEXT NOT NULL, parent_id_tag TEXT NOT NULL DEFAULT '',"
    " expiry_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS auth_list_meta (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " version INTEGER NOT NULL);";

const char *
local_list_schema(void)
{
    return s_schema;
}

local_list_t *
local_list_new(sqlite3 *db)
{
    assert(db);
    local_list_t *self = calloc(1, sizeof(local_list_t));
    if (!self)
        return NULL;
    self->db = db;
    if (cp_store_schema(db, s_schema) != 0
     || sqlite3_prepare_v2(db, "SELECT id_tag, status, parent_id_tag, expiry_ms FROM auth_list"
                           " WHERE id_tag = ?", -1, &self->find, NULL) != SQLITE_OK
     || sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM auth_list", -1, &self->count, NULL) != SQLITE_OK
     || sqlite3_prepare_v2(db, "SELECT version FROM auth_list_meta WHERE id = 1", -1, &self->version,
                           NULL) != SQLITE_OK) {
        cp_error(LOG, "local list: cannot open its tables: %s", sqlite3_errmsg(db));
        local_list_destroy(&self);
        return NULL;
    }
    return self;
}

void
local_list_destroy(local_list_t **self_p)
{
    assert(self_p);
    local_list_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize(self->find);
    sqlite3_finalize(self->count);
    sqlite3_finalize(self->version);
    free(self);
    *self_p = NULL;
}

int64_t
local_list_count(local_list_t *self)
{
    assert(self);
    int64_t n = -1;
    if (sqlite3_step(self->count) == SQLITE_ROW)
        n = sqlite3_column_int64(self->count, 0);
    else
        cp_error(LOG, "local list: cannot count: %s", sqlite3_errmsg(self->db));
    sqlite3_reset(self->count);
    return n;
}

int64_t
local_list_version(local_list_t *self)
{
    assert(self);
    int64_t n = local_list_count(self);
    if (n <= 0)
        return n;           //  0: empty (5.10); -1: store failure
    int64_t version = 0;
    int rc = sqlite3_step(self->version);
    if (rc == SQLITE_ROW)
        version = sqlite3_column_int64(self->version, 0);
    else
    if (rc != SQLITE_DONE) {
        cp_error(LOG, "local list: cannot read its version: %s", sqlite3_errmsg(self->db));
        version = -1;
    }
    sqlite3_reset(self->version);
    return version;
}

static void
s_copy(char *dst, size_t size, const unsigned char *src)
{
    snprintf(dst, size, "%s", src ? (const char *) src : "");
}

int
local_list_find(local_list_t *self, const char *id_tag, auth_entry_t *entry)
{
    assert(self && id_tag && entry);
    int found = 0;
    sqlite3_bind_text(self->find, 1, id_tag, -1, SQLITE_STATIC);
    int rc = sqlite3_step(self->find);
    if (rc == SQLITE_ROW) {
        memset(entry, 0, sizeof(*entry));
        s_copy(entry->id_tag, sizeof(entry->id_tag), sqlite3_column_text(self->find, 0));
        if (auth_status_parse((const char *) sqlite3_column_text(self->find, 1), &entry->status) != 0)
            entry->status = AUTH_INVALID;      //  a hand-edited row: refuse, never accept
        s_copy(entry->parent_id_tag, sizeof(entry->parent_id_tag), sqlite3_column_text(self->find, 2));
        entry->expiry_ms = sqlite3_column_int64(self->find, 3);
        found = 1;
    }
    else
    if (rc != SQLITE_DONE) {
        cp_error(LOG, "local list: lookup failed: %s", sqlite3_errmsg(self->db));
        found = -1;
    }
    sqlite3_reset(self->find);
    sqlite3_clear_bindings(self->find);
    return found;
}

static local_list_status_t s_refuse(local_list_status_t status, char *reason, size_t reason_size,
                                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static local_list_status_t
s_refuse(local_list_status_t status, char *reason, size_t reason_size, const char *fmt, ...)
{
    if (reason && reason_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, reason_size, fmt, ap);
        va_end(ap);
    }
    return status;
}

static int
s_compare_tags(const void *a, const void *b)
{
    return strcasecmp(*(const char *const *) a, *(const char *const *) b);
}

//  True if two items name the same idTag (case-insensitive).
static bool
s_has_duplicates(const local_list_update_t *update)
{
    if (update->count < 2)
        return false;
    const char **tags = malloc(update->count * sizeof(char *));
    if (!tags)
        return true;        //  cannot check: refuse rather than guess
    for (size_t i = 0; i < update->count; i++)
        tags[i] = update->items[i].entry.id_tag;
    qsort(tags, update->count, sizeof(char *), s_compare_tags);
    bool dup = false;
    for (size_t i = 1; i < update->count && !dup; i++)
        dup = strcasecmp(tags[i - 1], tags[i]) == 0;
    free(tags);
    return dup;
}

static int
s_exec(local_list_t *self, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(self->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        cp_error(LOG, "local list: %s: %s", sql, err ? err : sqlite3_errmsg(self->db));
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

//  The changes of one update, inside the caller's transaction.
static int
s_write(local_list_t *self, const local_list_update_t *update)
{
    if (update->full && s_exec(self, "DELETE FROM auth_list") != 0)
        return -1;
    sqlite3_stmt *put = NULL, *del = NULL, *meta = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(self->db, "INSERT OR REPLACE INTO auth_list (id_tag, status, parent_id_tag, expiry_ms)"
                           " VALUES (?, ?, ?, ?)", -1, &put, NULL) != SQLITE_OK
     || sqlite3_prepare_v2(self->db, "DELETE FROM auth_list WHERE id_tag = ?", -1, &del, NULL) != SQLITE_OK
     || sqlite3_prepare_v2(self->db, "INSERT OR REPLACE INTO auth_list_meta (id, version) VALUES (1, ?)", -1,
                           &meta, NULL) != SQLITE_OK)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < update->count; i++) {
        const local_list_item_t *item = &update->items[i];
        sqlite3_stmt *stmt = item->has_info ? put : del;
        sqlite3_bind_text(stmt, 1, item->entry.id_tag, -1, SQLITE_STATIC);
        if (item->has_info) {
            sqlite3_bind_text(stmt, 2, auth_status_name(item->entry.status), -1, SQLITE_STATIC);
            sqlite3_bind_text(stmt, 3, item->entry.parent_id_tag, -1, SQLITE_STATIC);
            sqlite3_bind_int64(stmt, 4, item->entry.expiry_ms);
        }
        if (sqlite3_step(stmt) != SQLITE_DONE)
            rc = -1;
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
    if (rc == 0) {
        sqlite3_bind_int64(meta, 1, update->version);
        if (sqlite3_step(meta) != SQLITE_DONE)
            rc = -1;
    }
    if (rc != 0)
        cp_error(LOG, "local list: update failed: %s", sqlite3_errmsg(self->db));
    sqlite3_finalize(put);
    sqlite3_finalize(del);
    sqlite3_finalize(meta);
    return rc;
}

local_list_status_t
local_list_apply(local_list_t *self, const local_list_update_t *update, int64_t send_max, int64_t list_max,
                 char *reason, size_t reason_size)
{
    assert(self && update);
    if (reason && reason_size)
        reason[0] = '\0';
    if ((int64_t) update->count > send_max)
        return s_refuse(LOCAL_LIST_FAILED, reason, reason_size,
                        "%lld entries, SendLocalListMaxLength is %lld", (long long) update->count,
                        (long long) send_max);
    if (update->version < 1)
        return s_refuse(LOCAL_LIST_FAILED, reason, reason_size,
                        "listVersion %lld: 0 and -1 are reserved (errata 3.52)",
                        (long long) update->version);
    for (size_t i = 0; i < update->count; i++) {
        if (update->items[i].entry.id_tag[0] == '\0')
            return s_refuse(LOCAL_LIST_FAILED, reason, reason_size, "entry %lld has an empty idTag",
                            (long long) i);
        if (update->full && !update->items[i].has_info)
            return s_refuse(LOCAL_LIST_FAILED, reason, reason_size,
                            "entry %lld of a Full update has no idTagInfo", (long long) i);
    }
    if (s_has_duplicates(update))
        return s_refuse(LOCAL_LIST_FAILED, reason, reason_size, "duplicate idTag in the list");
    if (!update->full) {
        int64_t current = local_list_version(self);
        if (current < 0)
            return s_refuse(LOCAL_LIST_FAILED, reason, reason_size, "store failure");
        if (update->version <= current)
            return s_refuse(LOCAL_LIST_VERSION_MISMATCH, reason, reason_size,
                            "Differential listVersion %lld is not above the current %lld",
                            (long long) update->version, (long long) current);
    }
    if (s_exec(self, "BEGIN IMMEDIATE") != 0)
        return s_refuse(LOCAL_LIST_FAILED, reason, reason_size, "store busy");
    if (s_write(self, update) != 0) {
        s_exec(self, "ROLLBACK");
        return s_refuse(LOCAL_LIST_FAILED, reason, reason_size, "store failure");
    }
    int64_t count = local_list_count(self);
    if (count < 0 || count > list_max) {
        s_exec(self, "ROLLBACK");
        return s_refuse(LOCAL_LIST_FAILED, reason, reason_size,
                        "the list would hold %lld entries, LocalAuthListMaxLength is %lld",
                        (long long) count, (long long) list_max);
    }
    if (s_exec(self, "COMMIT") != 0) {
        s_exec(self, "ROLLBACK");
        return s_refuse(LOCAL_LIST_FAILED, reason, reason_size, "store failure");
    }
    return LOCAL_LIST_ACCEPTED;
}
