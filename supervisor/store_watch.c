/* store_watch.c — see store_watch.h. */
#include "supervisor/store_watch.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "supervisor/log.h"
#include "supervisor/store.h"

struct _cp_store_watch_t {
    char dir[4096];
    char path[4096];
    sqlite3 *db;                   //  on the file we watch, even once unlinked
    dev_t dev;
    ino_t ino;
    int64_t next_ms;
    bool lost;
};

cp_store_watch_t *
cp_store_watch_new(const char *state_dir, char *err, size_t err_size)
{
    assert(state_dir);
    cp_store_watch_t *self = calloc(1, sizeof(*self));
    if (!self) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    snprintf(self->dir, sizeof(self->dir), "%s", state_dir);
    snprintf(self->path, sizeof(self->path), "%s/%s", state_dir, CP_STORE_FILE);
    self->db = cp_store_open_readonly(state_dir, err, err_size);
    struct stat st;
    if (!self->db || stat(self->path, &st) != 0) {
        if (self->db)
            snprintf(err, err_size, "cannot stat %s: %s", self->path, strerror(errno));
        cp_store_watch_destroy(&self);
        return NULL;
    }
    self->dev = st.st_dev;
    self->ino = st.st_ino;
    return self;
}

void
cp_store_watch_destroy(cp_store_watch_t **self_p)
{
    assert(self_p);
    if (!*self_p)
        return;
    cp_store_close(&(*self_p)->db);
    free(*self_p);
    *self_p = NULL;
}

bool
cp_store_watch_ok(cp_store_watch_t *self, int64_t now_ms)
{
    assert(self);
    if (self->lost || now_ms < self->next_ms)
        return !self->lost;
    self->next_ms = now_ms + CP_STORE_WATCH_MS;
    struct stat st;
    int rc = stat(self->path, &st);
    if (rc == 0 && st.st_dev == self->dev && st.st_ino == self->ino)
        return true;
    if (rc != 0 && errno != ENOENT)
        return true;                //  cannot tell (EACCES, EIO): the writes will say
    self->lost = true;
    cp_error("store", "the state database %s was %s while the controller runs: stopping every actor, writing"
             " the database still open back to that path, then exit 1 so that the restart keeps configuration,"
             " transactions and the outbox", self->path, rc != 0 ? "deleted" : "replaced by another file");
    return false;
}

static int
s_fsync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int
cp_store_watch_restore(cp_store_watch_t *self, char *err, size_t err_size)
{
    assert(self);
    if (!self->lost)
        return 0;
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.restore", self->path);
    unlink(tmp);
    //  The AuthorizationKey is in there: 0600 before SQLite writes a byte.
    int fd = open(tmp, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, err_size, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    close(fd);
    sqlite3 *dst = NULL;
    int rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL);
    sqlite3_backup *backup = rc == SQLITE_OK ? sqlite3_backup_init(dst, "main", self->db, "main") : NULL;
    if (backup) {
        rc = sqlite3_backup_step(backup, -1);
        int pages = sqlite3_backup_pagecount(backup);
        sqlite3_backup_finish(backup);
        if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
            cp_info("store", "%d pages of the open database copied to %s", pages, tmp);
        }
    }
    else
    if (rc == SQLITE_OK)
        rc = sqlite3_errcode(dst);
    if (rc != SQLITE_OK)
        snprintf(err, err_size, "cannot copy the open database to %s: %s", tmp,
                 dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
    sqlite3_close(dst);     //  the copy checkpoints and removes its own -wal here
    if (rc != SQLITE_OK) {
        unlink(tmp);
        return -1;
    }
    //  A -wal or -shm still at the path belongs to the lost file: the
    //  copy already holds everything in it.
    char side[4200];
    snprintf(side, sizeof(side), "%s-wal", self->path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", self->path);
    unlink(side);
    if (s_fsync_path(tmp, O_RDONLY) != 0 || rename(tmp, self->path) != 0
    ||  s_fsync_path(self->dir, O_RDONLY | O_DIRECTORY) != 0) {
        snprintf(err, err_size, "cannot put %s in place: %s", self->path, strerror(errno));
        return -1;
    }
    cp_warn("store", "the state database is back at %s", self->path);
    self->lost = false;             //  once is enough
    return 0;
}
