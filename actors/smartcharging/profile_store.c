/* profile_store.c — see profile_store.h. The table is tiny (tens of rows),
 * so the rules run on the in-memory copy and SQLite only records the
 * outcome: DELETE by primary key and INSERT, in one transaction. */
#include "actors/smartcharging/profile_store.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "supervisor/log.h"

#define LOG "smartcharging"

typedef struct {
    sc_profile_t profile;
    int64_t tx_local;
} s_item_t;

struct _sc_store_t {
    sqlite3 *db;
    s_item_t *items;
    int count, capacity;
    const sc_profile_t **ptrs;      //  count entries, into items
};

static int
s_exec(sc_store_t *self, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(self->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        cp_error(LOG, "profile store: %s: %s", sql, err ? err : sqlite3_errmsg(self->db));
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

static int
s_reserve(sc_store_t *self, int n)
{
    if (n <= self->capacity)
        return 0;
    int capacity = self->capacity ? self->capacity * 2 : 16;
    while (capacity < n)
        capacity *= 2;
    s_item_t *items = realloc(self->items, (size_t) capacity * sizeof(s_item_t));
    if (!items)
        return -1;
    self->items = items;
    const sc_profile_t **ptrs = realloc(self->ptrs, (size_t) capacity * sizeof(*ptrs));
    if (!ptrs)
        return -1;
    self->ptrs = ptrs;
    self->capacity = capacity;
    return 0;
}

static void
s_reindex(sc_store_t *self)
{
    for (int i = 0; i < self->count; i++)
        self->ptrs[i] = &self->items[i].profile;
}

static void
s_remove_at(sc_store_t *self, int i)
{
    memmove(&self->items[i], &self->items[i + 1], (size_t) (self->count - i - 1) * sizeof(s_item_t));
    self->count--;
}

static int
s_delete_row(sc_store_t *self, int id)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(self->db, "DELETE FROM sc_profiles WHERE id = ?", -1, &stmt, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(stmt, 1, id);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        cp_error(LOG, "profile store: cannot delete profile %d: %s", id, sqlite3_errmsg(self->db));
        return -1;
    }
    return 0;
}

static int
s_load(sc_store_t *self)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(self->db, "SELECT id, connector, tx_local, profile FROM sc_profiles ORDER BY id",
                           -1, &stmt, NULL) != SQLITE_OK) {
        cp_error(LOG, "profile store: cannot read: %s", sqlite3_errmsg(self->db));
        return -1;
    }
    int bad[64];
    int bad_count = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int id = sqlite3_column_int(stmt, 0);
        const char *text = (const char *) sqlite3_column_text(stmt, 3);
        json_t *cs = text ? json_loads(text, 0, NULL) : NULL;
        char why[200] = "not JSON";
        if (s_reserve(self, self->count + 1) != 0) {
            json_decref(cs);
            sqlite3_finalize(stmt);
            return -1;
        }
        s_item_t *item = &self->items[self->count];
        if (cs && sc_profile_from_json(cs, sqlite3_column_int(stmt, 1), &item->profile, why,
                                       sizeof(why)) == 0) {
            item->tx_local = sqlite3_column_int64(stmt, 2);
            self->count++;
        }
        else {
            cp_warn(LOG, "stored profile %d dropped: %s", id, why);
            if (bad_count < 64)
                bad[bad_count++] = id;
        }
        json_decref(cs);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
        cp_error(LOG, "profile store: cannot read: %s", sqlite3_errmsg(self->db));
        return -1;
    }
    for (int i = 0; i < bad_count; i++)
        s_delete_row(self, bad[i]);
    s_reindex(self);
    return 0;
}

static const char s_schema[] =
    "CREATE TABLE IF NOT EXISTS sc_profiles (id INTEGER PRIMARY KEY,"
    " connector INTEGER NOT NULL, purpose TEXT NOT NULL, stack_level INTEGER NOT NULL,"
    " tx_local INTEGER NOT NULL DEFAULT 0, profile TEXT NOT NULL);";

const char *
sc_store_schema(void)
{
    return s_schema;
}

sc_store_t *
sc_store_new(sqlite3 *db)
{
    assert(db);
    sc_store_t *self = calloc(1, sizeof(sc_store_t));
    if (!self)
        return NULL;
    self->db = db;
    if (s_exec(self, s_schema) != 0
        || s_reserve(self, 16) != 0 || s_load(self) != 0)
        sc_store_destroy(&self);
    return self;
}

void
sc_store_destroy(sc_store_t **self_p)
{
    assert(self_p);
    sc_store_t *self = *self_p;
    if (!self)
        return;
    free(self->items);
    free(self->ptrs);
    free(self);
    *self_p = NULL;
}

const sc_profile_t *const *
sc_store_profiles(sc_store_t *self, int *count)
{
    assert(self);
    *count = self->count;
    return self->ptrs;
}

int
sc_store_count(sc_store_t *self)
{
    return self->count;
}

static bool
s_replaces(const sc_profile_t *new_p, const sc_profile_t *old)
{
    return old->id == new_p->id
        || (old->stack_level == new_p->stack_level && old->purpose == new_p->purpose
            && old->connector == new_p->connector);
}

int
sc_store_install(sc_store_t *self, const sc_profile_t *profile, int64_t tx_local, int max_installed,
                 int *replaced)
{
    assert(self && profile);
    int matches = 0;
    for (int i = 0; i < self->count; i++)
        if (s_replaces(profile, &self->items[i].profile))
            matches++;
    if (replaced)
        *replaced = matches;
    if (self->count - matches + 1 > max_installed)
        return SC_STORE_FULL;
    if (s_reserve(self, self->count + 1) != 0)
        return SC_STORE_ERROR;
    json_t *cs = sc_profile_to_json(profile);
    char *text = cs ? json_dumps(cs, JSON_COMPACT) : NULL;
    json_decref(cs);
    if (!text)
        return SC_STORE_ERROR;
    if (s_exec(self, "BEGIN IMMEDIATE") != 0) {
        free(text);
        return SC_STORE_ERROR;
    }
    int rc = SQLITE_OK;
    for (int i = 0; i < self->count && rc == SQLITE_OK; i++)
        if (s_replaces(profile, &self->items[i].profile) && s_delete_row(self, self->items[i].profile.id) != 0)
            rc = SQLITE_ERROR;
    sqlite3_stmt *stmt = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(self->db, "INSERT INTO sc_profiles (id, connector, purpose, stack_level,"
                                " tx_local, profile) VALUES (?, ?, ?, ?, ?, ?)", -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(stmt, 1, profile->id);
        sqlite3_bind_int(stmt, 2, profile->connector);
        sqlite3_bind_text(stmt, 3, sc_purpose_name(profile->purpose), -1, SQLITE_STATIC);
        sqlite3_bind_int(stmt, 4, profile->stack_level);
        sqlite3_bind_int64(stmt, 5, tx_local);
        sqlite3_bind_text(stmt, 6, text, -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        if (rc != SQLITE_OK)
            cp_error(LOG, "profile store: cannot insert profile %d: %s", profile->id,
                     sqlite3_errmsg(self->db));
    }
    sqlite3_finalize(stmt);
    free(text);
    if (rc != SQLITE_OK || s_exec(self, "COMMIT") != 0) {
        s_exec(self, "ROLLBACK");
        return SC_STORE_ERROR;
    }
    for (int i = self->count - 1; i >= 0; i--)
        if (s_replaces(profile, &self->items[i].profile))
            s_remove_at(self, i);
    self->items[self->count].profile = *profile;
    self->items[self->count].tx_local = profile->purpose == SC_PURPOSE_TX ? tx_local : 0;
    self->count++;
    s_reindex(self);
    return SC_STORE_OK;
}

//  Remove every item for which match() holds, in one transaction.
static int
s_remove_matching(sc_store_t *self, bool (*match)(const s_item_t *, const void *), const void *arg)
{
    int n = 0;
    for (int i = 0; i < self->count; i++)
        if (match(&self->items[i], arg))
            n++;
    if (n == 0)
        return 0;
    if (s_exec(self, "BEGIN IMMEDIATE") != 0)
        return SC_STORE_ERROR;
    for (int i = 0; i < self->count; i++)
        if (match(&self->items[i], arg) && s_delete_row(self, self->items[i].profile.id) != 0) {
            s_exec(self, "ROLLBACK");
            return SC_STORE_ERROR;
        }
    if (s_exec(self, "COMMIT") != 0) {
        s_exec(self, "ROLLBACK");
        return SC_STORE_ERROR;
    }
    for (int i = self->count - 1; i >= 0; i--)
        if (match(&self->items[i], arg))
            s_remove_at(self, i);
    s_reindex(self);
    return n;
}

static bool
s_match_filter(const s_item_t *item, const void *arg)
{
    const sc_clear_filter_t *f = arg;
    const sc_profile_t *p = &item->profile;
    if (f->has_id)
        return p->id == f->id;      //  errata 3.26: other fields ignored
    return (!f->has_connector || p->connector == f->connector)
        && (!f->has_purpose || p->purpose == f->purpose)
        && (!f->has_stack_level || p->stack_level == f->stack_level);
}

int
sc_store_clear(sc_store_t *self, const sc_clear_filter_t *filter)
{
    assert(self && filter);
    return s_remove_matching(self, s_match_filter, filter);
}

typedef struct {
    int connector;
    int64_t keep;
} s_tx_match_t;

static bool
s_match_tx(const s_item_t *item, const void *arg)
{
    const s_tx_match_t *m = arg;
    return item->profile.purpose == SC_PURPOSE_TX && item->profile.connector == m->connector
        && (m->keep == 0 || item->tx_local != m->keep);
}

int
sc_store_end_tx(sc_store_t *self, int connector, int64_t keep_tx_local)
{
    assert(self);
    s_tx_match_t m = { connector, keep_tx_local };
    return s_remove_matching(self, s_match_tx, &m);
}
