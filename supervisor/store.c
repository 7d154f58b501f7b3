/* store.c — see store.h. */
#include "supervisor/store.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "supervisor/log.h"

//  Contention between actors: the writer holding the lock is done in about
//  a millisecond (one fdatasync), but SQLite's own busy handler sleeps 1,
//  2, 5, 10 … 100 ms between tries — at start, when every actor writes,
//  that added tens of milliseconds to the boot. Try again every 250 µs
//  until the budget (ms, in arg) is spent: as bounded, far more prompt.
#define BUSY_STEP_US 250

static int
s_busy(void *arg, int tries)
{
    int budget_ms = (int) (intptr_t) arg;
    if ((int64_t) tries * BUSY_STEP_US >= (int64_t) budget_ms * 1000)
        return 0;
    usleep(BUSY_STEP_US);
    return 1;
}

//  Every actor holds its own connections (about 18 in one process), and
//  SQLite's defaults size each for a database far larger than ours: a
//  120 KB lookaside arena written at open and a 2 MB page cache. Together
//  they were most of the process's private memory (issue 12). A small
//  lookaside keeps its speed for the short statements actors run; pages
//  beyond a small cache come from the OS's page cache, shared and cheap.
#define LOOKASIDE_SLOT 256
#define LOOKASIDE_SLOTS 24
#define CACHE_KB 64

static void
s_lean(sqlite3 *db)
{
    sqlite3_db_config(db, SQLITE_DBCONFIG_LOOKASIDE, NULL, LOOKASIDE_SLOT, LOOKASIDE_SLOTS);
    char pragma[48];
    snprintf(pragma, sizeof(pragma), "PRAGMA cache_size=-%d", CACHE_KB);
    sqlite3_exec(db, pragma, NULL, NULL, NULL);
}

//  Switching a new database to WAL needs an exclusive lock and SQLite may
//  answer SQLITE_BUSY at once, without its busy handler, while another
//  connection (actors start together) is opening the same file: retry for
//  as long as the busy timeout would have waited.
static int
s_set_wal(sqlite3 *db)
{
    int rc = SQLITE_BUSY;
    for (int attempt = 0; attempt < CP_STORE_BUSY_MS / 50; attempt++) {
        rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
        usleep(50 * 1000);
    }
    if (rc != SQLITE_OK)
        cp_error("store", "PRAGMA journal_mode=WAL: %s", sqlite3_errmsg(db));
    return rc == SQLITE_OK ? 0 : -1;
}

sqlite3 *
cp_store_open(const char *state_dir, char *err, size_t err_size)
{
    assert(state_dir);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", state_dir, CP_STORE_FILE);
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                             | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, err_size, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_handler(db, s_busy, (void *) (intptr_t) CP_STORE_BUSY_MS);
    s_lean(db);
    if (s_set_wal(db) != 0
    ||  cp_store_exec(db, "PRAGMA synchronous=FULL") != 0
    ||  cp_store_exec(db, "PRAGMA foreign_keys=ON") != 0) {
        snprintf(err, err_size, "cannot configure %s: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

sqlite3 *
cp_store_open_readonly(const char *state_dir, char *err, size_t err_size)
{
    assert(state_dir);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", state_dir, CP_STORE_FILE);
    //  Not SQLITE_OPEN_READONLY: such a connection cannot checkpoint, so
    //  when it is the last to close (the supervisor's, at shutdown) the WAL
    //  stays beside the database, and as the first to open after a crash
    //  it cannot replay it. query_only refuses every statement that would
    //  change the database (SQLITE_READONLY) and leaves SQLite's own WAL
    //  housekeeping alone. No SQLITE_OPEN_CREATE: the database exists.
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, err_size, "cannot open %s read-only: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_handler(db, s_busy, (void *) (intptr_t) 5000);
    s_lean(db);
    if (cp_store_exec(db, "PRAGMA synchronous=FULL") != 0
    ||  cp_store_exec(db, "PRAGMA query_only=ON") != 0) {
        snprintf(err, err_size, "cannot configure %s read-only: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

void
cp_store_close(sqlite3 **db_p)
{
    assert(db_p);
    if (*db_p)
        sqlite3_close(*db_p);
    *db_p = NULL;
}

int
cp_store_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stmt)
{
    if (sqlite3_prepare_v2(db, sql, -1, stmt, NULL) != SQLITE_OK) {
        cp_error("store", "prepare '%s': %s", sql, sqlite3_errmsg(db));
        *stmt = NULL;
        return -1;
    }
    return 0;
}

void
cp_store_reset(sqlite3_stmt *stmt)
{
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

int
cp_store_run(sqlite3 *db, sqlite3_stmt *stmt, const char *component, const char *what, bool quiet)
{
    int rc = sqlite3_step(stmt);
    int changes = sqlite3_changes(db);
    cp_store_reset(stmt);
    if (rc != SQLITE_DONE) {
        if (quiet)
            cp_debug(component, "%s: %s", what, sqlite3_errmsg(db));
        else
            cp_error(component, "%s: %s", what, sqlite3_errmsg(db));
        return -1;
    }
    return changes;
}

int
cp_store_exec_quiet(sqlite3 *db, const char *sql, const char *component, bool quiet)
{
    if (!quiet)
        return cp_store_exec(db, sql);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        cp_debug(component, "%s: %s", sql, sqlite3_errmsg(db));
    return rc == SQLITE_OK ? 0 : -1;
}

int
cp_store_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        cp_error("store", "%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int
cp_store_schema(sqlite3 *db, const char *sql)
{
    assert(db && sql);
    //  Most often every table is there already (main makes them all before
    //  the actors start): in a deferred transaction CREATE … IF NOT EXISTS
    //  then only reads, and takes no write lock, so an actor's start does
    //  not queue behind the others' writes.
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK) {
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK
        &&  sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
            return 0;
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    //  A table to make: IMMEDIATE takes the write lock now, under the busy
    //  handler, rather than an upgrade midway that SQLite may refuse
    //  without waiting (what can make the attempt above fail).
    if (cp_store_exec(db, "BEGIN IMMEDIATE") != 0)
        return -1;
    if (cp_store_exec(db, sql) != 0 || cp_store_exec(db, "COMMIT") != 0) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

static int
s_check_row(void *arg, int columns, char **values, char **names)
{
    (void) names;
    char *first = arg;
    if (columns > 0 && values[0] && first[0] == '\0')
        snprintf(first, 256, "%s", values[0]);
    return 0;
}

int
cp_store_check(const char *state_dir, char *err, size_t err_size)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", state_dir, CP_STORE_FILE);
    if (access(path, F_OK) != 0)
        return 0;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        snprintf(err, err_size, "state database %s cannot be opened: %s", path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -1;
    }
    char first[256] = "";
    char *msg = NULL;
    int rc = sqlite3_exec(db, "PRAGMA quick_check", s_check_row, first, &msg);
    sqlite3_close(db);
    if (rc != SQLITE_OK || strcmp(first, "ok") != 0) {
        snprintf(err, err_size, "state database %s is corrupt (%s); see README \"Recovering a corrupt state database\"",
                 path, msg ? msg : first);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int
cp_store_restrict_mode(const char *state_dir, char *err, size_t err_size)
{
    assert(state_dir);
    static const char *const suffixes[] = { "", "-wal", "-shm" };
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s%s", state_dir, CP_STORE_FILE, suffixes[i]);
        //  O_NOFOLLOW: never chmod whatever a link in the state dir points at
        int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (i == 0 ? O_CREAT : 0), 0600);
        if (fd < 0) {
            if (errno == ENOENT)
                continue;       //  no -wal / -shm yet: SQLite copies the db's mode
            snprintf(err, err_size, "cannot open %s: %s", path, strerror(errno));
            return -1;
        }
        struct stat st;
        int rc = fstat(fd, &st);
        if (rc == 0 && (st.st_mode & 077)) {
            rc = fchmod(fd, st.st_mode & 0700);
            if (rc == 0)
                cp_info("store", "%s was readable by others (mode %03o): now %03o", path,
                        (unsigned) (st.st_mode & 0777), (unsigned) (st.st_mode & 0700));
        }
        int saved = errno;
        close(fd);
        if (rc != 0) {
            snprintf(err, err_size, "cannot restrict the mode of %s: %s", path, strerror(saved));
            return -1;
        }
    }
    return 0;
}
