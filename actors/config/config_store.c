/* config_store.c — see config_store.h. SQLite style: every return code is
 * checked, every failure is logged with sqlite3_errmsg and reported to the
 * caller; a failed write transaction is rolled back.
 */
#include "actors/config/config_store.h"

#include "actors/config/config_copy.h"

#include <assert.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "supervisor/log.h"
#include "supervisor/store.h"

#define COMPONENT "config"

struct _config_store_t {
    //  Borrowed (writer); a reader's own, open only while it reloads, or
    //  for life where the version counter is not to be had.
    sqlite3 *db;
    const cp_options_t *opts;      //  borrowed
    bool reader;                   //  config_store_open_reader: never writes
    bool reading;                  //  read_begin: a writer's transaction, a reader's snapshot
    //  The version counter every writer steps around each commit, mapped
    //  from the state dir (config_copy.h); NULL: none.
    uint64_t *version;
    //  A reader's copy of the stored rows, valid while *version still
    //  reads what it was taken under.
    config_copy_t *copy;
    sqlite3_stmt *select;          //  writers only
    sqlite3_stmt *upsert;          //  writers only
    //  config_store_read_begin/end: prepared once, not parsed by
    //  sqlite3_exec on every GetConfiguration (issue 12: a third of it)
    sqlite3_stmt *begin;           //  writers only
    sqlite3_stmt *commit;          //  writers only
    sqlite3_stmt *rows;            //  each_row; a reader's reload
};

static const char s_select_sql[] = "SELECT value FROM config WHERE key = ?1";
static const char s_rows_sql[] = "SELECT key, value FROM config";
static const char s_upsert_sql[] = "INSERT INTO config (key, value) VALUES (?1, ?2) "
                                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value";

static const char s_schema[] =
    "CREATE TABLE IF NOT EXISTS config ("
    "  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    //  Bookkeeping that is not an OCPP key (the last command-line password).
    "CREATE TABLE IF NOT EXISTS config_meta ("
    "  name TEXT PRIMARY KEY, value TEXT NOT NULL);";

//  Run a prepared write statement to completion and reset it.
static int
s_step_done(sqlite3 *db, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE) {
        cp_error(COMPONENT, "%s: %s", what, sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static int
s_bind_text(sqlite3 *db, sqlite3_stmt *stmt, int index, const char *text)
{
    if (sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
        cp_error(COMPONENT, "bind: %s", sqlite3_errmsg(db));
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        return -1;
    }
    return 0;
}

static void
s_rollback(sqlite3 *db)
{
    //  After some errors SQLite has already rolled back; that is fine.
    if (!sqlite3_get_autocommit(db))
        cp_store_exec(db, "ROLLBACK");
}

//  A reader's copy, taken anew if a writer has committed since (always,
//  without the counter), except inside read_begin/end: from this
//  process's slot if another reader took it already, else through the
//  reader's connection, opened for the read and closed after it unless
//  there is no counter to say when to read again. While the counter is
//  odd a writer is between its steps (or died there): a copy taken then
//  is neither kept for the next read nor shared. 0, or -1 with err.
static int
s_fresh(config_store_t *self, char *err, size_t err_size)
{
    uint64_t version = config_version_read(self->version);   //  before the rows
    bool settled = self->version && !(version & 1);
    if (self->copy && (self->reading || (settled && config_copy_version(self->copy) == version)))
        return 0;
    config_copy_t *copy = settled ? config_copy_shared(self->opts->state_dir, version) : NULL;
    if (!copy) {
        if (!self->db
        &&  (!(self->db = cp_store_open_readonly(self->opts->state_dir, err, err_size))
        ||   cp_store_prepare(self->db, s_rows_sql, &self->rows) != 0)) {
            if (self->db)
                snprintf(err, err_size, "the configuration tables are not usable");
            cp_error(COMPONENT, "read the configuration: %s", err);
            cp_store_close(&self->db);
            return -1;
        }
        copy = config_copy_take(self->db, self->rows, version);
        if (self->version) {
            sqlite3_finalize(self->rows);
            self->rows = NULL;
            cp_store_close(&self->db);
        }
        if (!copy) {
            snprintf(err, err_size, "the configuration tables are not usable");
            return -1;
        }
        if (settled)
            config_copy_share(self->opts->state_dir, copy);
    }
    config_copy_release(&self->copy);
    self->copy = copy;
    return 0;
}

//  s_fresh for a read: the reason is logged already.
static int
s_fresh_read(config_store_t *self)
{
    char err[256];
    return s_fresh(self, err, sizeof(err));
}

//  A writer's steps around a commit (config_copy.h): odd while it writes,
//  even again after.
static void
s_settle(uint64_t *version)
{
    if (config_version_read(version) & 1)
        config_version_step(version);
}

//  Insert seeds from the config file where no row exists yet.
static int
s_seed(config_store_t *self, sqlite3_stmt *insert)
{
    for (int i = 0; i < self->opts->seed_count; i++) {
        const cp_seed_key_t *seed = &self->opts->seed[i];
        const config_key_def_t *def = config_keys_find(seed->key);
        char canonical[CONFIG_VALUE_MAX + 1];
        char reason[CONFIG_REASON_MAX + 1];
        config_status_t status = config_keys_validate(def, seed->value, self->opts,
                                                      canonical, sizeof(canonical),
                                                      reason, sizeof(reason));
        if (status != CONFIG_ACCEPTED && status != CONFIG_REBOOT_REQUIRED) {
            //  The reason never holds a secret value (config_keys.h).
            cp_warn(COMPONENT, "config file key %s skipped: %s", seed->key, reason);
            continue;
        }
        if (s_bind_text(self->db, insert, 1, def->name) != 0
        ||  s_bind_text(self->db, insert, 2, canonical) != 0
        ||  s_step_done(self->db, insert, "seed") != 0)
            return -1;
        if (sqlite3_changes(self->db) > 0)
            cp_info(COMPONENT, "seeded %s from the config file", def->name);
    }
    return 0;
}

static void
s_sha256_hex(const char *text, char out[65])
{
    //  Prefixed, so the marker cannot be matched against a plain SHA-256
    //  table of common passwords built for other systems.
    static const char prefix[] = "chargepointd-cli-password\n";
    unsigned char digest[32] = { 0 };
    mbedtls_sha256_context ctx;
    mbedtls_sha256_init(&ctx);
    if (mbedtls_sha256_starts_ret(&ctx, 0) != 0
    ||  mbedtls_sha256_update_ret(&ctx, (const unsigned char *) prefix, sizeof(prefix) - 1) != 0
    ||  mbedtls_sha256_update_ret(&ctx, (const unsigned char *) text, strlen(text)) != 0
    ||  mbedtls_sha256_finish_ret(&ctx, digest) != 0)
        //  Cannot happen with the software implementation; an all-zero
        //  marker only means the password is applied again next start.
        memset(digest, 0, sizeof(digest));
    mbedtls_sha256_free(&ctx);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

//  Apply the command-line password if it is new (see config_store.h).
static int
s_apply_password(config_store_t *self)
{
    const cp_options_t *opts = self->opts;
    if (!opts->password_given)
        return 0;
    char hash[65];
    s_sha256_hex(opts->password, hash);

    sqlite3_stmt *select = NULL, *upsert_meta = NULL;
    int result = -1;
    if (cp_store_prepare(self->db, "SELECT value FROM config_meta WHERE name = 'cli_password'",
                  &select) != 0
    ||  cp_store_prepare(self->db, "INSERT INTO config_meta (name, value) VALUES ('cli_password', ?1) "
                            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                  &upsert_meta) != 0)
        goto done;
    int rc = sqlite3_step(select);
    bool same = false;
    if (rc == SQLITE_ROW) {
        const unsigned char *last = sqlite3_column_text(select, 0);
        same = last && strcmp((const char *) last, hash) == 0;
    }
    else
    if (rc != SQLITE_DONE) {
        cp_error(COMPONENT, "read password marker: %s", sqlite3_errmsg(self->db));
        goto done;
    }
    if (same) {
        result = 0;
        goto done;
    }
    if (!config_keys_authorization_key_ok(opts->password))
        //  Still applied: refusing the operator's own password would only
        //  keep the charger off its CSMS. The CSMS can set a proper one.
        cp_warn(COMPONENT, "the --password value is not 16..40 printable characters "
                           "(security whitepaper 7.2); using it anyway");
    if (s_bind_text(self->db, self->upsert, 1, "AuthorizationKey") != 0
    ||  s_bind_text(self->db, self->upsert, 2, opts->password) != 0
    ||  s_step_done(self->db, self->upsert, "write AuthorizationKey") != 0
    ||  s_bind_text(self->db, upsert_meta, 1, hash) != 0
    ||  s_step_done(self->db, upsert_meta, "write password marker") != 0)
        goto done;
    cp_info(COMPONENT, "AuthorizationKey set from the command line / environment");
    result = 0;
done:
    sqlite3_finalize(select);
    sqlite3_finalize(upsert_meta);
    return result;
}

int
config_store_seed(sqlite3 *db, const cp_options_t *opts)
{
    assert(db);
    assert(opts);
    //  The seeding helpers work on a store; this one lives for the call.
    config_store_t seeder = { .db = db, .opts = opts };
    sqlite3_stmt *insert = NULL;
    int result = CONFIG_STORE_ERROR;
    //  IMMEDIATE takes the write lock first, so a read inside (the password
    //  marker) is still true when the write happens.
    if (cp_store_exec(db, "BEGIN IMMEDIATE") != 0)
        return CONFIG_STORE_ERROR;
    if (cp_store_exec(db, s_schema) != 0
    ||  cp_store_prepare(db, s_upsert_sql, &seeder.upsert) != 0
    ||  cp_store_prepare(db, "INSERT OR IGNORE INTO config (key, value) VALUES (?1, ?2)", &insert) != 0
    ||  s_seed(&seeder, insert) != 0
    ||  s_apply_password(&seeder) != 0
    ||  cp_store_exec(db, "COMMIT") != 0)
        s_rollback(db);
    else
        result = CONFIG_STORE_OK;
    sqlite3_finalize(insert);
    sqlite3_finalize(seeder.upsert);
    //  The counter's file made before any actor starts, settled, and the
    //  first copy left for this process's readers (config_copy.h).
    uint64_t *version = config_version_map(opts->state_dir);
    if (version && result == CONFIG_STORE_OK) {
        s_settle(version);
        sqlite3_stmt *rows = NULL;
        config_copy_t *copy = cp_store_prepare(db, s_rows_sql, &rows) == 0
                            ? config_copy_take(db, rows, config_version_read(version)) : NULL;
        if (copy)
            config_copy_share(opts->state_dir, copy);
        config_copy_release(&copy);
        sqlite3_finalize(rows);
    }
    config_version_unmap(&version);
    return result;
}

//  A store of either kind, its counter mapped (NULL only out of memory).
static config_store_t *
s_new(sqlite3 *db, const cp_options_t *opts, bool reader)
{
    config_store_t *self = calloc(1, sizeof(*self));
    if (!self) {
        cp_error(COMPONENT, "out of memory");
        return NULL;
    }
    self->db = db;
    self->opts = opts;
    self->reader = reader;
    self->version = config_version_map(opts->state_dir);
    return self;
}

config_store_t *
config_store_new(sqlite3 *db, const cp_options_t *opts)
{
    assert(db);
    assert(opts);
    config_store_t *self = s_new(db, opts, false);
    if (!self)
        return NULL;
    //  The tables must exist: config_store_seed made them.
    if (cp_store_prepare(db, s_select_sql, &self->select) != 0
    ||  cp_store_prepare(db, "BEGIN", &self->begin) != 0
    ||  cp_store_prepare(db, "COMMIT", &self->commit) != 0
    ||  cp_store_prepare(db, s_rows_sql, &self->rows) != 0
    ||  cp_store_prepare(db, s_upsert_sql, &self->upsert) != 0) {
        cp_error(COMPONENT, "the configuration tables are not usable (seeded at start-up by"
                            " config_store_seed)");
        config_store_destroy(&self);
        return NULL;
    }
    //  The writer before this one may have died between its steps.
    s_settle(self->version);
    return self;
}

config_store_t *
config_store_open_reader(const cp_options_t *opts, char *err, size_t err_size)
{
    assert(opts);
    assert(err && err_size > 0);
    snprintf(err, err_size, "out of memory");
    config_store_t *self = s_new(NULL, opts, true);
    //  Its first copy now: no tables, no reader.
    if (self && s_fresh(self, err, err_size) != 0)
        config_store_destroy(&self);
    return self;
}

void
config_store_destroy(config_store_t **self_p)
{
    assert(self_p);
    config_store_t *self = *self_p;
    if (self) {
        sqlite3_finalize(self->select);
        sqlite3_finalize(self->upsert);
        sqlite3_finalize(self->begin);
        sqlite3_finalize(self->commit);
        sqlite3_finalize(self->rows);
        config_copy_release(&self->copy);
        config_version_unmap(&self->version);
        if (self->reader)
            cp_store_close(&self->db);
        free(self);
        *self_p = NULL;
    }
}

const cp_options_t *
config_store_options(config_store_t *self)
{
    assert(self);
    return self->opts;
}

//  The stored row of a read-write key: 1 found (copied), 0 absent, -1 error.
static int
s_lookup(config_store_t *self, const config_key_def_t *def, char *buf, size_t size)
{
    if (s_bind_text(self->db, self->select, 1, def->name) != 0)
        return -1;
    int rc = sqlite3_step(self->select);
    int found = 0;
    if (rc == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(self->select, 0);
        if (text) {
            //  snprintf's truncation without parsing a format, ~45 times
            //  per full GetConfiguration.
            size_t len = (size_t) sqlite3_column_bytes(self->select, 0);
            if (len > size - 1)
                len = size - 1;
            memcpy(buf, text, len);
            buf[len] = '\0';
            found = 1;
        }
        else
        if (sqlite3_errcode(self->db) == SQLITE_NOMEM) {
            cp_error(COMPONENT, "read %s: out of memory", def->name);
            found = -1;
        }
    }
    else
    if (rc != SQLITE_DONE) {
        cp_error(COMPONENT, "read %s: %s", def->name, sqlite3_errmsg(self->db));
        found = -1;
    }
    sqlite3_reset(self->select);
    sqlite3_clear_bindings(self->select);
    return found;
}

int
config_store_get(config_store_t *self, const char *key, char *buf, size_t size)
{
    assert(self);
    assert(buf && size > 0);
    buf[0] = '\0';
    const config_key_def_t *def = config_keys_find(key);
    if (!def)
        return CONFIG_STORE_UNKNOWN;
    return config_store_get_def(self, def, buf, size);
}

int
config_store_get_def(config_store_t *self, const config_key_def_t *def, char *buf, size_t size)
{
    assert(self);
    assert(def);
    assert(buf && size > 0);
    buf[0] = '\0';
    if (!def->readonly && self->reader) {
        if (s_fresh_read(self) != 0)
            return CONFIG_STORE_ERROR;
        const char *row = config_copy_row(self->copy, (size_t) (def - config_keys_at(0)));
        if (row) {
            //  snprintf's truncation without parsing a format, as s_lookup
            size_t len = strlen(row);
            if (len > size - 1)
                len = size - 1;
            memcpy(buf, row, len);
            buf[len] = '\0';
            return CONFIG_STORE_OK;
        }
    }
    else
    if (!def->readonly) {
        int found = s_lookup(self, def, buf, size);
        if (found < 0) {
            buf[0] = '\0';
            return CONFIG_STORE_ERROR;
        }
        if (found > 0)
            return CONFIG_STORE_OK;
    }
    config_keys_default(def, self->opts, buf, size);
    return CONFIG_STORE_OK;
}


int
config_store_each_row(config_store_t *self, config_store_row_fn *fn, void *arg)
{
    assert(self);
    assert(fn);
    //  A writer reads the rows through its connection into a copy of its
    //  own: one rule, config_copy_take's, for the rows that count.
    config_copy_t *copy = NULL;
    if (self->reader ? s_fresh_read(self) != 0
                     : !(copy = config_copy_take(self->db, self->rows, 0)))
        return CONFIG_STORE_ERROR;
    const config_copy_t *rows = self->reader ? self->copy : copy;
    for (size_t i = 0; i < config_keys_count(); i++) {
        const char *row = config_copy_row(rows, i);
        if (row)
            fn(config_keys_at(i), row, strlen(row), arg);
    }
    config_copy_release(&copy);
    return CONFIG_STORE_OK;
}

int
config_store_has(config_store_t *self, const char *key, bool *present)
{
    assert(self);
    assert(present);
    *present = false;
    const config_key_def_t *def = config_keys_find(key);
    if (!def)
        return CONFIG_STORE_UNKNOWN;
    if (def->readonly)
        return CONFIG_STORE_OK;
    if (self->reader) {
        if (s_fresh_read(self) != 0)
            return CONFIG_STORE_ERROR;
        *present = config_copy_row(self->copy, (size_t) (def - config_keys_at(0))) != NULL;
        return CONFIG_STORE_OK;
    }
    char value[CONFIG_VALUE_MAX + 1];
    int found = s_lookup(self, def, value, sizeof(value));
    if (found < 0)
        return CONFIG_STORE_ERROR;
    *present = found > 0;
    return CONFIG_STORE_OK;
}

//  Read a typed key: validate what is stored with the key's own rules,
//  falling back to the default if it no longer passes them.
static int
s_get_typed(config_store_t *self, const char *key, config_type_t type, char *canonical,
            size_t size)
{
    const config_key_def_t *def = config_keys_find(key);
    if (!def || def->type != type)
        return CONFIG_STORE_UNKNOWN;
    char raw[CONFIG_VALUE_MAX + 1];
    int rc = config_store_get(self, def->name, raw, sizeof(raw));
    if (rc != CONFIG_STORE_OK)
        return rc;
    //  Validate as if writable: read-only keys are derived, so they pass.
    config_key_def_t writable = *def;
    writable.readonly = false;
    writable.reboot_required = false;
    char reason[CONFIG_REASON_MAX + 1];
    if (config_keys_validate(&writable, raw, self->opts, canonical, size, reason,
                             sizeof(reason)) != CONFIG_ACCEPTED) {
        cp_warn(COMPONENT, "stored %s is invalid (%s); using the default", def->name, reason);
        config_keys_default(def, self->opts, canonical, size);
    }
    return CONFIG_STORE_OK;
}

int64_t
config_store_get_int(config_store_t *self, const char *key, int64_t fallback)
{
    assert(self);
    char text[32];
    if (s_get_typed(self, key, CONFIG_TYPE_INT, text, sizeof(text)) != CONFIG_STORE_OK)
        return fallback;
    return strtoll(text, NULL, 10);
}

bool
config_store_get_bool(config_store_t *self, const char *key, bool fallback)
{
    assert(self);
    char text[8];
    if (s_get_typed(self, key, CONFIG_TYPE_BOOL, text, sizeof(text)) != CONFIG_STORE_OK)
        return fallback;
    return strcmp(text, "true") == 0;
}

int
config_store_set(config_store_t *self, const char *key, const char *canonical_value)
{
    assert(self);
    assert(canonical_value);
    //  Only the config actor writes the configuration (config_store.h): a
    //  write through a reader is a programming error. Should it happen in
    //  a build without asserts, it is still refused, here and by SQLite.
    assert(!self->reader);
    if (self->reader) {
        cp_error(COMPONENT, "%s not written: this is a read-only configuration store", key);
        return CONFIG_STORE_ERROR;
    }
    const config_key_def_t *def = config_keys_find(key);
    if (!def || def->readonly)
        return CONFIG_STORE_UNKNOWN;
    if (cp_store_exec(self->db, "BEGIN IMMEDIATE") != 0)
        return CONFIG_STORE_ERROR;
    int rc = CONFIG_STORE_OK;
    config_version_step(self->version);        //  odd: a write under way
    if (s_bind_text(self->db, self->upsert, 1, def->name) != 0
    ||  s_bind_text(self->db, self->upsert, 2, canonical_value) != 0
    ||  s_step_done(self->db, self->upsert, "write") != 0
    ||  cp_store_exec(self->db, "COMMIT") != 0) {
        s_rollback(self->db);
        rc = CONFIG_STORE_ERROR;
    }
    config_version_step(self->version);        //  even: settled
    return rc;
}

void
config_store_read_begin(config_store_t *self)
{
    assert(self);
    if (self->reader) {
        //  One copy for every read up to read_end.
        self->reading = false;
        self->reading = s_fresh_read(self) == 0;
        return;
    }
    //  Only when no transaction is open (a writer's seeding holds one).
    self->reading = sqlite3_get_autocommit(self->db) && sqlite3_step(self->begin) == SQLITE_DONE;
    sqlite3_reset(self->begin);
}

void
config_store_read_end(config_store_t *self)
{
    assert(self);
    if (self->reading && !self->reader) {
        sqlite3_step(self->commit);
        sqlite3_reset(self->commit);
    }
    self->reading = false;
}
