/* auth_cache.c — see auth_cache.h. */
#include "actors/auth/auth_cache.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "supervisor/log.h"

#define LOG "auth"
#define TOUCH_MAX 64

typedef struct {
    char id_tag[AUTH_ID_TAG_MAX + 1];
    int64_t used;
} touch_t;

struct _auth_cache_t {
    sqlite3 *db;
    int64_t capacity;
    int64_t seq;                    //  last `used` value handed out
    sqlite3_stmt *find;
    touch_t touch[TOUCH_MAX];       //  recency not yet written
    int touches;
};

static int
s_exec(auth_cache_t *self, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(self->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        cp_error(LOG, "cache: %s: %s", sql, err ? err : sqlite3_errmsg(self->db));
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

static const char s_schema[] =
    "CREATE TABLE IF NOT EXISTS auth_cache (id_tag TEXT PRIMARY KEY COLLATE NOCASE,"
    " status TEXT NOT NULL, parent_id_tag TEXT NOT NULL DEFAULT '',"
    " expiry_ms INTEGER NOT NULL DEFAULT 0, used INTEGER NOT NULL DEFAULT 0);";

const char *
auth_cache_schema(void)
{
    return s_schema;
}

auth_cache_t *
auth_cache_new(sqlite3 *db, int64_t capacity)
{
    assert(db);
    assert(capacity >= 1);
    auth_cache_t *self = calloc(1, sizeof(auth_cache_t));
    if (!self)
        return NULL;
    self->db = db;
    self->capacity = capacity;
    sqlite3_stmt *max = NULL;
    if (s_exec(self, s_schema) != 0
     || sqlite3_prepare_v2(db, "SELECT id_tag, status, parent_id_tag, expiry_ms FROM auth_cache WHERE id_tag = ?",
                           -1, &self->find, NULL) != SQLITE_OK
     || sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(used), 0) FROM auth_cache", -1, &max, NULL) != SQLITE_OK
     || sqlite3_step(max) != SQLITE_ROW) {
        cp_error(LOG, "cache: cannot open its table: %s", sqlite3_errmsg(db));
        sqlite3_finalize(max);
        auth_cache_destroy(&self);
        return NULL;
    }
    self->seq = sqlite3_column_int64(max, 0);
    sqlite3_finalize(max);
    return self;
}

void
auth_cache_destroy(auth_cache_t **self_p)
{
    assert(self_p);
    auth_cache_t *self = *self_p;
    if (!self)
        return;
    if (self->find)
        auth_cache_flush(self, 0);
    sqlite3_finalize(self->find);
    free(self);
    *self_p = NULL;
}

static void
s_touch(auth_cache_t *self, const char *id_tag)
{
    int64_t used = ++self->seq;
    for (int i = 0; i < self->touches; i++)
        if (strcasecmp(self->touch[i].id_tag, id_tag) == 0) {
            self->touch[i].used = used;
            return;
        }
    touch_t *t = NULL;
    if (self->touches < TOUCH_MAX)
        t = &self->touch[self->touches++];
    else {
        //  Full until the next flush: the oldest recency is forgotten
        //  rather than making this lookup wait for a commit.
        t = &self->touch[0];
        for (int i = 1; i < TOUCH_MAX; i++)
            if (self->touch[i].used < t->used)
                t = &self->touch[i];
    }
    snprintf(t->id_tag, sizeof(t->id_tag), "%s", id_tag);
    t->used = used;
}

int
auth_cache_pending(auth_cache_t *self)
{
    assert(self);
    return self->touches;
}

int
auth_cache_find(auth_cache_t *self, const char *id_tag, int64_t now_ms, auth_entry_t *entry)
{
    assert(self && id_tag && entry);
    int found = 0;
    sqlite3_bind_text(self->find, 1, id_tag, -1, SQLITE_STATIC);
    int rc = sqlite3_step(self->find);
    if (rc == SQLITE_ROW) {
        memset(entry, 0, sizeof(*entry));
        snprintf(entry->id_tag, sizeof(entry->id_tag), "%s", (const char *) sqlite3_column_text(self->find, 0));
        if (auth_status_parse((const char *) sqlite3_column_text(self->find, 1), &entry->status) != 0)
            entry->status = AUTH_INVALID;
        const unsigned char *parent = sqlite3_column_text(self->find, 2);
        snprintf(entry->parent_id_tag, sizeof(entry->parent_id_tag), "%s", parent ? (const char *) parent : "");
        entry->expiry_ms = sqlite3_column_int64(self->find, 3);
        //  3.5.1: "When the validity of a Cache entry expires, it SHALL be
        //  changed to expired in the Cache" (written at the next flush).
        if (auth_status_valid(entry->status) && entry->expiry_ms > 0 && entry->expiry_ms <= now_ms)
            entry->status = AUTH_EXPIRED;
        found = 1;
    }
    else
    if (rc != SQLITE_DONE) {
        cp_error(LOG, "cache: lookup failed: %s", sqlite3_errmsg(self->db));
        found = -1;
    }
    sqlite3_reset(self->find);
    sqlite3_clear_bindings(self->find);
    if (found == 1)
        s_touch(self, entry->id_tag);
    return found;
}

int
auth_cache_flush(auth_cache_t *self, int64_t now_ms)
{
    assert(self);
    if (self->touches == 0 && now_ms <= 0)
        return 0;
    if (s_exec(self, "BEGIN IMMEDIATE") != 0)
        return -1;
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    if (self->touches > 0) {
        if (sqlite3_prepare_v2(self->db, "UPDATE auth_cache SET used = MAX(used, ?) WHERE id_tag = ?", -1, &stmt,
                               NULL) != SQLITE_OK)
            rc = -1;
        for (int i = 0; rc == 0 && i < self->touches; i++) {
            sqlite3_bind_int64(stmt, 1, self->touch[i].used);
            sqlite3_bind_text(stmt, 2, self->touch[i].id_tag, -1, SQLITE_STATIC);
            if (sqlite3_step(stmt) != SQLITE_DONE)
                rc = -1;
            sqlite3_reset(stmt);
        }
        sqlite3_finalize(stmt);
        stmt = NULL;
    }
    if (rc == 0 && now_ms > 0) {
        if (sqlite3_prepare_v2(self->db, "UPDATE auth_cache SET status = 'Expired' WHERE status IN"
                               " ('Accepted', 'ConcurrentTx') AND expiry_ms > 0 AND expiry_ms <= ?", -1, &stmt,
                               NULL) != SQLITE_OK)
            rc = -1;
        else {
            sqlite3_bind_int64(stmt, 1, now_ms);
            if (sqlite3_step(stmt) != SQLITE_DONE)
                rc = -1;
        }
        sqlite3_finalize(stmt);
    }
    if (rc == 0 && s_exec(self, "COMMIT") == 0) {
        self->touches = 0;
        return 0;
    }
    cp_error(LOG, "cache: flush failed: %s", sqlite3_errmsg(self->db));
    s_exec(self, "ROLLBACK");
    return -1;
}

int64_t
auth_cache_count(auth_cache_t *self)
{
    assert(self);
    sqlite3_stmt *stmt = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(self->db, "SELECT COUNT(*) FROM auth_cache", -1, &stmt, NULL) == SQLITE_OK
     && sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
}

int
auth_cache_update(auth_cache_t *self, const auth_entry_t *entry, int64_t now_ms)
{
    assert(self && entry);
    if (entry->id_tag[0] == '\0')
        return -1;
    //  Recency first: eviction must see it.
    if (auth_cache_flush(self, 0) != 0 || s_exec(self, "BEGIN IMMEDIATE") != 0)
        return -1;
    int rc = 0;
    sqlite3_stmt *stmt = NULL;
    bool known = false;
    if (sqlite3_prepare_v2(self->db, "SELECT 1 FROM auth_cache WHERE id_tag = ?", -1, &stmt, NULL) != SQLITE_OK)
        rc = -1;
    else {
        sqlite3_bind_text(stmt, 1, entry->id_tag, -1, SQLITE_STATIC);
        int step = sqlite3_step(stmt);
        known = step == SQLITE_ROW;
        rc = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (rc == 0 && !known) {
        int64_t count = auth_cache_count(self);
        if (count < 0)
            rc = -1;
        else
        if (count >= self->capacity) {
            //  NOT-valid first (the ORDER BY puts valid ones last), oldest use first.
            if (sqlite3_prepare_v2(self->db, "DELETE FROM auth_cache WHERE id_tag IN (SELECT id_tag FROM auth_cache"
                                   " ORDER BY (status IN ('Accepted', 'ConcurrentTx') AND (expiry_ms = 0 OR"
                                   " expiry_ms > ?)) ASC, used ASC LIMIT ?)", -1, &stmt, NULL) != SQLITE_OK)
                rc = -1;
            else {
                sqlite3_bind_int64(stmt, 1, now_ms);
                sqlite3_bind_int64(stmt, 2, count - self->capacity + 1);
                if (sqlite3_step(stmt) != SQLITE_DONE)
                    rc = -1;
            }
            sqlite3_finalize(stmt);
            stmt = NULL;
        }
    }
    if (rc == 0) {
        if (sqlite3_prepare_v2(self->db, "INSERT INTO auth_cache (id_tag, status, parent_id_tag, expiry_ms, used)"
                               " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id_tag) DO UPDATE SET id_tag = ?1,"
                               " status = ?2, parent_id_tag = ?3, expiry_ms = ?4, used = ?5", -1, &stmt,
                               NULL) != SQLITE_OK)
            rc = -1;
        else {
            sqlite3_bind_text(stmt, 1, entry->id_tag, -1, SQLITE_STATIC);
            sqlite3_bind_text(stmt, 2, auth_status_name(entry->status), -1, SQLITE_STATIC);
            sqlite3_bind_text(stmt, 3, entry->parent_id_tag, -1, SQLITE_STATIC);
            sqlite3_bind_int64(stmt, 4, entry->expiry_ms);
            sqlite3_bind_int64(stmt, 5, ++self->seq);
            if (sqlite3_step(stmt) != SQLITE_DONE)
                rc = -1;
        }
        sqlite3_finalize(stmt);
    }
    if (rc == 0 && s_exec(self, "COMMIT") == 0)
        return 0;
    cp_error(LOG, "cache: cannot store %s: %s", entry->id_tag, sqlite3_errmsg(self->db));
    s_exec(self, "ROLLBACK");
    return -1;
}

int
auth_cache_clear(auth_cache_t *self)
{
    assert(self);
    self->touches = 0;
    return s_exec(self, "DELETE FROM auth_cache");
}
