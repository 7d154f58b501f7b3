/* test_config_store.c — persistence of configuration keys: seeding on
 * first start only, the store winning afterwards, the command-line
 * password, typed readers, several connections, close/reopen, and
 * readers that never write (config_store_open_reader).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "actors/config/config_copy.h"
#include "actors/config/config_store.h"
#include "supervisor/log.h"
#include "supervisor/store.h"

typedef struct {
    char dir[64];
    cp_options_t opts;
    sqlite3 *db;
    config_store_t *store;
} fixture_t;

static void
s_remove_dir(const char *dir)
{
    static const char *const files[] = { "", "-wal", "-shm", "-journal", CONFIG_STORE_VERSION_SUFFIX };
    char path[256];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s%s", dir, CP_STORE_FILE, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void
s_add_seed(cp_options_t *opts, const char *key, const char *value)
{
    assert_true(opts->seed_count < CP_OPT_MAX_SEED_KEYS);
    cp_seed_key_t *seed = &opts->seed[opts->seed_count++];
    snprintf(seed->key, sizeof(seed->key), "%s", key);
    snprintf(seed->value, sizeof(seed->value), "%s", value);
}

//  A controller start: main seeds, then the config actor holds the writer.
static void
s_open(fixture_t *f)
{
    char err[256];
    f->db = cp_store_open(f->dir, err, sizeof(err));
    assert_non_null(f->db);
    assert_int_equal(config_store_seed(f->db, &f->opts), CONFIG_STORE_OK);
    f->store = config_store_new(f->db, &f->opts);
    assert_non_null(f->store);
}

static void
s_close(fixture_t *f)
{
    config_store_destroy(&f->store);
    assert_null(f->store);
    cp_store_close(&f->db);
}

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(fixture_t));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_config_store.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->opts.connectors = 2;
    snprintf(f->opts.state_dir, sizeof(f->opts.state_dir), "%s", f->dir);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    s_close(f);
    s_remove_dir(f->dir);
    free(f);
    return 0;
}

static const char *
s_get(fixture_t *f, const char *key)
{
    static char value[CONFIG_VALUE_MAX + 1];
    assert_int_equal(config_store_get(f->store, key, value, sizeof(value)), CONFIG_STORE_OK);
    return value;
}

static void
test_defaults_and_derived(void **state)
{
    fixture_t *f = *state;
    s_open(f);
    assert_string_equal(s_get(f, "HeartbeatInterval"), "300");
    assert_string_equal(s_get(f, "NumberOfConnectors"), "2");
    assert_string_equal(s_get(f, "MeterValuesSampledData"), "Energy.Active.Import.Register");
    assert_string_equal(s_get(f, "AuthorizationKey"), "");
    //  Case-insensitive lookup.
    assert_string_equal(s_get(f, "numberofconnectors"), "2");
    char value[16] = "x";
    assert_int_equal(config_store_get(f->store, "Nope", value, sizeof(value)),
                     CONFIG_STORE_UNKNOWN);
    assert_string_equal(value, "");
    bool present = true;
    assert_int_equal(config_store_has(f->store, "HeartbeatInterval", &present), CONFIG_STORE_OK);
    assert_false(present);
    assert_int_equal(config_store_has(f->store, "Nope", &present), CONFIG_STORE_UNKNOWN);
    //  Truncation into a small buffer is safe.
    char tiny[4];
    assert_int_equal(config_store_get(f->store, "MeterValuesSampledData", tiny, sizeof(tiny)),
                     CONFIG_STORE_OK);
    assert_string_equal(tiny, "Ene");
}

static void
test_typed_readers(void **state)
{
    fixture_t *f = *state;
    s_open(f);
    assert_int_equal(config_store_get_int(f->store, "HeartbeatInterval", -1), 300);
    assert_int_equal(config_store_get_int(f->store, "NumberOfConnectors", -1), 2);
    assert_true(config_store_get_bool(f->store, "LocalAuthorizeOffline", false));
    assert_false(config_store_get_bool(f->store, "LocalPreAuthorize", true));
    //  Unknown key or wrong type → fallback.
    assert_int_equal(config_store_get_int(f->store, "Nope", -7), -7);
    assert_int_equal(config_store_get_int(f->store, "LocalPreAuthorize", -7), -7);
    assert_true(config_store_get_bool(f->store, "HeartbeatInterval", true));
    assert_int_equal(config_store_set(f->store, "HeartbeatInterval", "42"), CONFIG_STORE_OK);
    assert_int_equal(config_store_get_int(f->store, "heartbeatinterval", -1), 42);
    assert_int_equal(config_store_set(f->store, "LocalPreAuthorize", "true"), CONFIG_STORE_OK);
    assert_true(config_store_get_bool(f->store, "LocalPreAuthorize", false));
    //  A hand-edited bad value reads as the default.
    assert_int_equal(cp_store_exec(f->db, "UPDATE config SET value = 'abc' "
                                          "WHERE key = 'HeartbeatInterval'"), 0);
    assert_int_equal(config_store_get_int(f->store, "HeartbeatInterval", -1), 300);
}

static void
test_set_rules(void **state)
{
    fixture_t *f = *state;
    s_open(f);
    assert_int_equal(config_store_set(f->store, "NumberOfConnectors", "5"), CONFIG_STORE_UNKNOWN);
    assert_int_equal(config_store_set(f->store, "Nope", "5"), CONFIG_STORE_UNKNOWN);
    //  Stored under the table's spelling whatever the caller's case.
    assert_int_equal(config_store_set(f->store, "heartbeatINTERVAL", "77"), CONFIG_STORE_OK);
    bool present = false;
    assert_int_equal(config_store_has(f->store, "HeartbeatInterval", &present), CONFIG_STORE_OK);
    assert_true(present);
    sqlite3_stmt *stmt;
    assert_int_equal(sqlite3_prepare_v2(f->db, "SELECT key FROM config WHERE value = '77'", -1,
                                        &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_string_equal((const char *) sqlite3_column_text(stmt, 0), "HeartbeatInterval");
    sqlite3_finalize(stmt);
}

static void
test_seed_first_start_only(void **state)
{
    fixture_t *f = *state;
    s_add_seed(&f->opts, "HeartbeatInterval", "120");
    s_add_seed(&f->opts, "localpreauthorize", "TRUE");        //  canonicalized
    s_add_seed(&f->opts, "MeterValuesSampledData", "Voltage, SoC");
    s_add_seed(&f->opts, "NoSuchKey", "1");                   //  skipped
    s_add_seed(&f->opts, "NumberOfConnectors", "7");          //  read-only: skipped
    s_add_seed(&f->opts, "ConnectionTimeOut", "-3");          //  invalid: skipped
    s_open(f);
    assert_string_equal(s_get(f, "HeartbeatInterval"), "120");
    assert_string_equal(s_get(f, "LocalPreAuthorize"), "true");
    assert_string_equal(s_get(f, "MeterValuesSampledData"), "Voltage,SoC");
    assert_string_equal(s_get(f, "NumberOfConnectors"), "2");
    assert_string_equal(s_get(f, "ConnectionTimeOut"), "60");

    //  Changed at run time (ChangeConfiguration or cpctl) ...
    assert_int_equal(config_store_set(f->store, "HeartbeatInterval", "900"), CONFIG_STORE_OK);
    s_close(f);
    //  ... and the config file is edited too: the store wins.
    f->opts.seed_count = 0;
    s_add_seed(&f->opts, "HeartbeatInterval", "30");
    s_add_seed(&f->opts, "ResetRetries", "4");                //  new key: seeded now
    s_open(f);
    assert_string_equal(s_get(f, "HeartbeatInterval"), "900");
    assert_string_equal(s_get(f, "ResetRetries"), "4");
    assert_string_equal(s_get(f, "LocalPreAuthorize"), "true");
}

static void
test_persistence_across_reopen(void **state)
{
    fixture_t *f = *state;
    s_open(f);
    assert_int_equal(config_store_set(f->store, "MeterValueSampleInterval", "15"), CONFIG_STORE_OK);
    assert_int_equal(config_store_set(f->store, "StopTxnSampledData", ""), CONFIG_STORE_OK);
    s_close(f);
    s_open(f);
    assert_string_equal(s_get(f, "MeterValueSampleInterval"), "15");
    assert_string_equal(s_get(f, "StopTxnSampledData"), "");
    bool present = false;
    assert_int_equal(config_store_has(f->store, "StopTxnSampledData", &present), CONFIG_STORE_OK);
    assert_true(present);
}

static void
test_password_from_command_line(void **state)
{
    fixture_t *f = *state;
    f->opts.password_given = true;
    snprintf(f->opts.password, sizeof(f->opts.password), "0123456789abcdef0123");
    s_open(f);
    assert_string_equal(s_get(f, "AuthorizationKey"), "0123456789abcdef0123");
    //  The CSMS rotates the key (whitepaper A01) ...
    assert_int_equal(config_store_set(f->store, "AuthorizationKey",
                                      "ffffffffffffffffffffffffffffffffffffffff"), CONFIG_STORE_OK);
    s_close(f);
    //  ... a restart with the same --password keeps the rotated key, or
    //  the charger would lock itself out (A01.FR.03) ...
    s_open(f);
    assert_string_equal(s_get(f, "AuthorizationKey"), "ffffffffffffffffffffffffffffffffffffffff");
    s_close(f);
    //  ... while a new --password from the operator applies.
    snprintf(f->opts.password, sizeof(f->opts.password), "new-operator-password");
    s_open(f);
    assert_string_equal(s_get(f, "AuthorizationKey"), "new-operator-password");
    s_close(f);
    //  No password given: the store keeps what it has.
    f->opts.password_given = false;
    f->opts.password[0] = '\0';
    s_open(f);
    assert_string_equal(s_get(f, "AuthorizationKey"), "new-operator-password");
    //  The password marker is not the password.
    sqlite3_stmt *stmt;
    assert_int_equal(sqlite3_prepare_v2(f->db, "SELECT value FROM config_meta", -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    const char *marker = (const char *) sqlite3_column_text(stmt, 0);
    assert_int_equal(strlen(marker), 64);
    assert_null(strstr(marker, "new-operator-password"));
    sqlite3_finalize(stmt);
}

static void
test_short_password_still_applies(void **state)
{
    fixture_t *f = *state;
    f->opts.password_given = true;
    snprintf(f->opts.password, sizeof(f->opts.password), "short");
    s_open(f);
    assert_string_equal(s_get(f, "AuthorizationKey"), "short");
}

//  Seeding (idempotent) and readers from several connections at once:
//  all succeed and the seed lands once.
typedef struct {
    fixture_t *f;
    int ok;
} worker_t;

static void *
s_worker(void *arg)
{
    worker_t *w = arg;
    char err[256];
    for (int i = 0; i < 10; i++) {
        sqlite3 *db = cp_store_open(w->f->dir, err, sizeof(err));
        int seeded = db ? config_store_seed(db, &w->f->opts) : CONFIG_STORE_ERROR;
        config_store_t *store = seeded == CONFIG_STORE_OK ? config_store_open_reader(&w->f->opts, err, sizeof(err))
                                                          : NULL;
        char value[16] = "";
        if (store && config_store_get(store, "HeartbeatInterval", value, sizeof(value)) == 0
        &&  strcmp(value, "120") == 0)
            w->ok++;
        config_store_destroy(&store);
        cp_store_close(&db);
    }
    return NULL;
}

static void
test_several_connections(void **state)
{
    fixture_t *f = *state;
    s_add_seed(&f->opts, "HeartbeatInterval", "120");
    f->opts.password_given = true;
    snprintf(f->opts.password, sizeof(f->opts.password), "0123456789abcdef0123");
    pthread_t threads[4];
    worker_t workers[4];
    for (int i = 0; i < 4; i++) {
        workers[i] = (worker_t) { f, 0 };
        assert_int_equal(pthread_create(&threads[i], NULL, s_worker, &workers[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(workers[i].ok, 10);
    }
    s_open(f);
    assert_string_equal(s_get(f, "AuthorizationKey"), "0123456789abcdef0123");
    sqlite3_stmt *stmt;
    assert_int_equal(sqlite3_prepare_v2(f->db, "SELECT count(*) FROM config", -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(stmt, 0), 2);
    sqlite3_finalize(stmt);
}

static void
test_store_errors(void **state)
{
    fixture_t *f = *state;
    s_open(f);
    //  Another connection holds the write lock past the busy timeout.
    char err[256];
    sqlite3 *other = cp_store_open(f->dir, err, sizeof(err));
    assert_non_null(other);
    sqlite3_busy_timeout(f->db, 50);
    assert_int_equal(cp_store_exec(other, "BEGIN IMMEDIATE"), 0);
    assert_int_equal(config_store_set(f->store, "HeartbeatInterval", "5"), CONFIG_STORE_ERROR);
    //  Seeding a locked database fails cleanly too.
    assert_int_equal(config_store_seed(f->db, &f->opts), CONFIG_STORE_ERROR);
    assert_true(sqlite3_get_autocommit(f->db));
    assert_int_equal(cp_store_exec(other, "ROLLBACK"), 0);
    cp_store_close(&other);
    //  And works again once the lock is gone.
    assert_int_equal(config_store_set(f->store, "HeartbeatInterval", "5"), CONFIG_STORE_OK);
    assert_string_equal(s_get(f, "HeartbeatInterval"), "5");
    //  A broken table: reads fail with ERROR, not garbage.
    assert_int_equal(cp_store_exec(f->db, "DROP TABLE config"), 0);
    char value[16] = "x";
    assert_int_equal(config_store_get(f->store, "HeartbeatInterval", value, sizeof(value)),
                     CONFIG_STORE_ERROR);
    assert_string_equal(value, "");
    assert_int_equal(config_store_get_int(f->store, "HeartbeatInterval", -9), -9);
    //  Read-only keys need no table.
    assert_int_equal(config_store_get_int(f->store, "NumberOfConnectors", -9), 2);
}

static void
test_writer_needs_seeding(void **state)
{
    fixture_t *f = *state;
    //  No start-up seeding: neither a writer nor a reader pretends to work.
    char err[256] = "";
    f->db = cp_store_open(f->dir, err, sizeof(err));
    assert_non_null(f->db);
    assert_null(config_store_new(f->db, &f->opts));
    assert_null(config_store_open_reader(&f->opts, err, sizeof(err)));
    assert_true(err[0] != '\0');
    //  Seeding twice is harmless.
    assert_int_equal(config_store_seed(f->db, &f->opts), CONFIG_STORE_OK);
    assert_int_equal(config_store_seed(f->db, &f->opts), CONFIG_STORE_OK);
    f->store = config_store_new(f->db, &f->opts);
    assert_non_null(f->store);
}

static void
test_reader_reads(void **state)
{
    fixture_t *f = *state;
    s_add_seed(&f->opts, "HeartbeatInterval", "120");
    s_open(f);
    char err[256] = "";
    config_store_t *reader = config_store_open_reader(&f->opts, err, sizeof(err));
    assert_non_null(reader);
    char value[16];
    assert_int_equal(config_store_get(reader, "HeartbeatInterval", value, sizeof(value)), CONFIG_STORE_OK);
    assert_string_equal(value, "120");
    assert_int_equal(config_store_get_int(reader, "NumberOfConnectors", -1), 2);
    assert_true(config_store_get_bool(reader, "LocalAuthorizeOffline", false));
    //  The writer's later change is what the reader reads next.
    assert_int_equal(config_store_set(f->store, "HeartbeatInterval", "42"), CONFIG_STORE_OK);
    assert_int_equal(config_store_get_int(reader, "HeartbeatInterval", -1), 42);
    bool present = false;
    assert_int_equal(config_store_has(reader, "HeartbeatInterval", &present), CONFIG_STORE_OK);
    assert_true(present);
    assert_ptr_equal(config_store_options(reader), &f->opts);
    config_store_destroy(&reader);
    assert_null(reader);
    //  The first connection after every other closed (no -wal, no -shm
    //  left): a read-only connection still opens the WAL database.
    s_close(f);
    reader = config_store_open_reader(&f->opts, err, sizeof(err));
    assert_non_null(reader);
    assert_int_equal(config_store_get_int(reader, "HeartbeatInterval", -1), 42);
    //  Closing last, it still checkpoints and removes the WAL (a clean
    //  stop leaves one file; the supervisor's reader closes last).
    config_store_destroy(&reader);
    char wal[128];
    snprintf(wal, sizeof(wal), "%s/%s-wal", f->dir, CP_STORE_FILE);
    assert_int_equal(access(wal, F_OK), -1);
}

//  The reader's connection refuses writes in SQLite itself: the same open
//  as config_store_open_reader, and a write straight through it fails.
static void
test_reader_connection_refuses_writes(void **state)
{
    fixture_t *f = *state;
    s_open(f);
    char err[256] = "";
    sqlite3 *ro = cp_store_open_readonly(f->dir, err, sizeof(err));
    assert_non_null(ro);
    int rc = sqlite3_exec(ro, "INSERT INTO config (key, value) VALUES ('HeartbeatInterval', '1')",
                          NULL, NULL, NULL);
    assert_int_equal(rc, SQLITE_READONLY);
    assert_int_equal(sqlite3_exec(ro, "CREATE TABLE intruder (x)", NULL, NULL, NULL), SQLITE_READONLY);
    cp_store_close(&ro);
    bool present = true;
    assert_int_equal(config_store_has(f->store, "HeartbeatInterval", &present), CONFIG_STORE_OK);
    assert_false(present);
    //  No state dir database: no reader connection either.
    char empty[64];
    snprintf(empty, sizeof(empty), "/tmp/test_config_store.XXXXXX");
    assert_non_null(mkdtemp(empty));
    assert_null(cp_store_open_readonly(empty, err, sizeof(err)));
    assert_non_null(strstr(err, "read-only"));
    s_remove_dir(empty);
}

//  config_store_set through a reader is a programming error: it aborts
//  where asserts are on, and is refused where they are compiled out. The
//  child process takes the abort; the parent checks nothing was written.
static void
test_reader_set_is_refused(void **state)
{
    fixture_t *f = *state;
    s_open(f);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256];
        config_store_t *reader = config_store_open_reader(&f->opts, err, sizeof(err));
        if (!reader)
            _exit(3);
        int rc = config_store_set(reader, "HeartbeatInterval", "1");
        _exit(rc == CONFIG_STORE_ERROR ? 0 : 4);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
#ifdef NDEBUG
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
#else
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
#endif
    bool present = true;
    assert_int_equal(config_store_has(f->store, "HeartbeatInterval", &present), CONFIG_STORE_OK);
    assert_false(present);
}

//  config_store_each_row: every stored row in one pass, each as
//  config_store_get reads it; rows get would ignore (read-only and unknown
//  keys in a hand-edited database) are skipped; a broken table is an error.
typedef struct {
    fixture_t *f;
    int rows;
    bool heartbeat, connectors;
} s_rows_seen_t;

static void
s_on_row(const config_key_def_t *def, const char *value, size_t len, void *arg)
{
    s_rows_seen_t *seen = arg;
    seen->rows++;
    assert_int_equal(strlen(value), len);
    char expected[CONFIG_VALUE_MAX + 1];
    assert_int_equal(config_store_get_def(seen->f->store, def, expected, sizeof(expected)),
                     CONFIG_STORE_OK);
    assert_string_equal(value, expected);
    assert_false(def->readonly);
    if (strcmp(def->name, "HeartbeatInterval") == 0) {
        seen->heartbeat = true;
        assert_string_equal(value, "42");
    }
    if (strcmp(def->name, "NumberOfConnectors") == 0)
        seen->connectors = true;
}

static void
test_each_row(void **state)
{
    fixture_t *f = *state;
    s_open(f);
    assert_int_equal(config_store_set(f->store, "HeartbeatInterval", "42"), CONFIG_STORE_OK);
    assert_int_equal(config_store_set(f->store, "MeterValuesSampledData", "Voltage"), CONFIG_STORE_OK);
    assert_int_equal(cp_store_exec(f->db, "INSERT INTO config (key, value) VALUES"
                                          " ('NumberOfConnectors', '9'), ('FutureKey', 'x')"), 0);
    s_rows_seen_t seen = { .f = f };
    assert_int_equal(config_store_each_row(f->store, s_on_row, &seen), CONFIG_STORE_OK);
    assert_true(seen.heartbeat);
    assert_false(seen.connectors);
    int64_t rows = 0;
    sqlite3_stmt *count = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->db, "SELECT count(*) FROM config", -1, &count, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(count), SQLITE_ROW);
    rows = sqlite3_column_int64(count, 0);
    sqlite3_finalize(count);
    assert_int_equal(seen.rows, rows - 2);
    //  The derived value wins over the hand-written row, as for get.
    assert_string_equal(s_get(f, "NumberOfConnectors"), "2");
    //  Twice in a row: the statement was reset.
    seen = (s_rows_seen_t) { .f = f };
    assert_int_equal(config_store_each_row(f->store, s_on_row, &seen), CONFIG_STORE_OK);
    assert_int_equal(seen.rows, rows - 2);
    assert_int_equal(cp_store_exec(f->db, "DROP TABLE config"), 0);
    assert_int_equal(config_store_each_row(f->store, s_on_row, &seen), CONFIG_STORE_ERROR);
}

//  What SQLite holds allocated in this process: a connection open is
//  tens of KB (its schema, statements and page cache).
#define CONNECTION_BYTES 8192

static void
s_on_reader_row(const config_key_def_t *def, const char *value, size_t len, void *arg)
{
    int *rows = arg;
    assert_int_equal(strlen(value), len);
    if (strcmp(def->name, "HeartbeatInterval") == 0)
        assert_string_equal(value, "77");
    (*rows)++;
}

//  A reader keeps a copy of the rows and holds no connection between
//  reads; a writer's commit (here, in another process, as in --split)
//  steps the version counter and the next read takes a new copy. A row
//  written past the store (not by a writer) is not seen until a writer
//  commits: the copy is read again only on the counter's word.
static void
test_reader_copy(void **state)
{
    fixture_t *f = *state;
    s_add_seed(&f->opts, "HeartbeatInterval", "120");
    s_open(f);
    sqlite3_int64 held = sqlite3_memory_used();
    char err[256] = "";
    //  The measure works: a connection open and used is counted.
    sqlite3 *probe = cp_store_open_readonly(f->dir, err, sizeof(err));
    assert_non_null(probe);
    assert_int_equal(cp_store_exec(probe, "SELECT count(*) FROM config"), 0);
    assert_true(sqlite3_memory_used() - held >= CONNECTION_BYTES);
    cp_store_close(&probe);
    config_store_t *reader = config_store_open_reader(&f->opts, err, sizeof(err));
    assert_non_null(reader);
    assert_int_equal(config_store_get_int(reader, "HeartbeatInterval", -1), 120);
    assert_true(sqlite3_memory_used() - held < CONNECTION_BYTES);
    //  Past the store: the copy stands.
    assert_int_equal(cp_store_exec(f->db, "UPDATE config SET value = '55' WHERE key = 'HeartbeatInterval'"), 0);
    assert_int_equal(config_store_get_int(reader, "HeartbeatInterval", -1), 120);
    //  A writer in another process commits: read anew, both rows.
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char child_err[256];
        sqlite3 *db = cp_store_open(f->dir, child_err, sizeof(child_err));
        config_store_t *writer = db ? config_store_new(db, &f->opts) : NULL;
        int rc = writer ? config_store_set(writer, "MeterValueSampleInterval", "33") : -1;
        _exit(rc == CONFIG_STORE_OK ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(config_store_get_int(reader, "HeartbeatInterval", -1), 55);
    assert_int_equal(config_store_get_int(reader, "MeterValueSampleInterval", -1), 33);
    assert_true(sqlite3_memory_used() - held < CONNECTION_BYTES);
    //  Within read_begin/end one copy, even across a commit.
    config_store_read_begin(reader);
    assert_int_equal(config_store_set(f->store, "HeartbeatInterval", "77"), CONFIG_STORE_OK);
    assert_int_equal(config_store_get_int(reader, "HeartbeatInterval", -1), 55);
    config_store_read_end(reader);
    assert_int_equal(config_store_get_int(reader, "HeartbeatInterval", -1), 77);
    //  The writer's rows, as the writer lists them.
    int reader_rows = 0, writer_rows = 0;
    assert_int_equal(config_store_each_row(reader, s_on_reader_row, &reader_rows), CONFIG_STORE_OK);
    assert_int_equal(config_store_each_row(f->store, s_on_reader_row, &writer_rows), CONFIG_STORE_OK);
    assert_int_equal(reader_rows, writer_rows);
    assert_int_equal(reader_rows, 2);
    bool present = false;
    assert_int_equal(config_store_has(reader, "MeterValueSampleInterval", &present), CONFIG_STORE_OK);
    assert_true(present);
    assert_int_equal(config_store_has(reader, "ClockAlignedDataInterval", &present), CONFIG_STORE_OK);
    assert_false(present);
    //  A writer that died between its steps (the counter odd, its commit
    //  landed): every read goes to SQLite, until a writer starts and
    //  settles the counter; then copies are kept again.
    uint64_t *version = config_version_map(f->dir);
    assert_non_null(version);
    config_version_step(version);
    assert_int_equal(cp_store_exec(f->db, "UPDATE config SET value = '66' WHERE key = 'HeartbeatInterval'"), 0);
    assert_int_equal(config_store_get_int(reader, "HeartbeatInterval", -1), 66);
    assert_int_equal(cp_store_exec(f->db, "UPDATE config SET value = '67' WHERE key = 'HeartbeatInterval'"), 0);
    assert_int_equal(config_store_get_int(reader, "HeartbeatInterval", -1), 67);
    config_store_t *second = config_store_new(f->db, &f->opts);
    assert_non_null(second);
    assert_int_equal(config_version_read(version) & 1, 0);
    assert_int_equal(config_store_get_int(reader, "HeartbeatInterval", -1), 67);
    assert_int_equal(cp_store_exec(f->db, "UPDATE config SET value = '68' WHERE key = 'HeartbeatInterval'"), 0);
    assert_int_equal(config_store_get_int(reader, "HeartbeatInterval", -1), 67);
    config_store_destroy(&second);
    //  A writer that starts on a settled counter leaves it, and the copies.
    uint64_t settled = config_version_read(version);
    second = config_store_new(f->db, &f->opts);
    assert_int_equal(config_version_read(version), settled);
    config_store_destroy(&second);
    config_version_unmap(&version);
    //  A copy that cannot be read again is an error, not a stale answer.
    assert_int_equal(config_store_set(f->store, "HeartbeatInterval", "88"), CONFIG_STORE_OK);
    assert_int_equal(cp_store_exec(f->db, "ALTER TABLE config RENAME TO config_moved"), 0);
    char value[16] = "x";
    assert_int_equal(config_store_get(reader, "HeartbeatInterval", value, sizeof(value)), CONFIG_STORE_ERROR);
    assert_string_equal(value, "");
    assert_int_equal(cp_store_exec(f->db, "ALTER TABLE config_moved RENAME TO config"), 0);
    assert_int_equal(config_store_get_int(reader, "HeartbeatInterval", -1), 88);
    config_store_destroy(&reader);
}

//  Without the version counter (its path taken by a directory), readers
//  keep a connection and read every row anew each time: slower, never
//  stale.
static void
test_reader_without_counter(void **state)
{
    fixture_t *f = *state;
    char path[256];
    snprintf(path, sizeof(path), "%s/%s%s", f->dir, CP_STORE_FILE, CONFIG_STORE_VERSION_SUFFIX);
    assert_int_equal(mkdir(path, 0700), 0);
    s_open(f);
    char err[256] = "";
    config_store_t *reader = config_store_open_reader(&f->opts, err, sizeof(err));
    assert_non_null(reader);
    assert_int_equal(config_store_get_int(reader, "HeartbeatInterval", -1), 300);
    assert_int_equal(cp_store_exec(f->db, "INSERT INTO config (key, value) VALUES ('HeartbeatInterval', '9')"), 0);
    assert_int_equal(config_store_get_int(reader, "HeartbeatInterval", -1), 9);
    assert_int_equal(config_store_set(f->store, "HeartbeatInterval", "10"), CONFIG_STORE_OK);
    assert_int_equal(config_store_get_int(reader, "HeartbeatInterval", -1), 10);
    config_store_destroy(&reader);
    assert_int_equal(rmdir(path), 0);
}

//  Mappings of the state dir's version counter in this process.
static int
s_counter_mappings(const fixture_t *f)
{
    char path[256], line[512];
    snprintf(path, sizeof(path), "%s/%s%s", f->dir, CP_STORE_FILE, CONFIG_STORE_VERSION_SUFFIX);
    FILE *maps = fopen("/proc/self/maps", "r");
    assert_non_null(maps);
    int count = 0;
    while (fgets(line, sizeof(line), maps))
        count += strstr(line, path) != NULL;
    fclose(maps);
    return count;
}

//  The readers of one state dir in one process share a copy: the seeding
//  leaves the first, so a reader opens no connection to start; after a
//  commit the first reader takes a new copy and the next one shares it.
static void
test_readers_share_a_copy(void **state)
{
    fixture_t *f = *state;
    s_add_seed(&f->opts, "HeartbeatInterval", "120");
    s_open(f);
    sqlite3_int64 held = sqlite3_memory_used();
    char err[256] = "";
    config_store_t *first = config_store_open_reader(&f->opts, err, sizeof(err));
    config_store_t *second = config_store_open_reader(&f->opts, err, sizeof(err));
    assert_non_null(first);
    assert_non_null(second);
    //  No SQLite work at all: the seeding's copy (and not one connection).
    assert_int_equal(sqlite3_memory_used(), held);
    //  One mapping of the counter for the writer and both readers.
    assert_int_equal(s_counter_mappings(f), 1);
    assert_int_equal(config_store_get_int(second, "HeartbeatInterval", -1), 120);
    assert_int_equal(config_store_set(f->store, "HeartbeatInterval", "130"), CONFIG_STORE_OK);
    assert_int_equal(config_store_get_int(first, "HeartbeatInterval", -1), 130);
    //  Past the store, then the second reader: the first one's copy.
    assert_int_equal(cp_store_exec(f->db, "UPDATE config SET value = '140' WHERE key = 'HeartbeatInterval'"), 0);
    assert_int_equal(config_store_get_int(second, "HeartbeatInterval", -1), 130);
    config_store_destroy(&first);
    config_store_destroy(&second);
    assert_int_equal(s_counter_mappings(f), 1);
    s_close(f);
    assert_int_equal(s_counter_mappings(f), 0);
}

//  Readers on threads of their own while a writer changes a key: every
//  read is one of the values written, and the last is seen by all.
typedef struct {
    fixture_t *f;
    atomic_bool *done;
    int reads, bad;
    int64_t last;
} s_reading_t;

static void *
s_read_until_done(void *arg)
{
    s_reading_t *r = arg;
    char err[256];
    config_store_t *reader = config_store_open_reader(&r->f->opts, err, sizeof(err));
    if (!reader) {
        r->bad++;
        return NULL;
    }
    bool stop = false;
    while (!stop) {
        stop = atomic_load(r->done);      //  one more read after the last write
        int64_t value = config_store_get_int(reader, "MeterValueSampleInterval", -1);
        if (value < 1000 || value > 1100)
            r->bad++;
        r->last = value;
        r->reads++;
    }
    config_store_destroy(&reader);
    return NULL;
}

static void
test_readers_on_threads(void **state)
{
    fixture_t *f = *state;
    s_add_seed(&f->opts, "MeterValueSampleInterval", "1000");
    s_open(f);
    atomic_bool done = false;
    pthread_t threads[4];
    s_reading_t readers[4];
    for (int i = 0; i < 4; i++) {
        readers[i] = (s_reading_t) { .f = f, .done = &done };
        assert_int_equal(pthread_create(&threads[i], NULL, s_read_until_done, &readers[i]), 0);
    }
    for (int value = 1001; value <= 1100; value++) {
        char text[16];
        snprintf(text, sizeof(text), "%d", value);
        assert_int_equal(config_store_set(f->store, "MeterValueSampleInterval", text), CONFIG_STORE_OK);
    }
    atomic_store(&done, true);
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(readers[i].bad, 0);
        assert_true(readers[i].reads > 0);
        assert_int_equal(readers[i].last, 1100);
    }
}

int
main(void)
{
    cp_log_set_level(CP_LOG_ERROR);
    //  test_reader_copy counts what SQLite holds (a build may default it off).
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults_and_derived, setup, teardown),
        cmocka_unit_test_setup_teardown(test_typed_readers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seed_first_start_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persistence_across_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_password_from_command_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_password_still_applies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_needs_seeding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_connection_refuses_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_set_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_without_counter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readers_share_a_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readers_on_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
