/* cp_cert_store.c — see cp_cert_store.h. Plain POSIX files: write to a
 * temporary name with mode 0600, fsync, rename, fsync the directory. */
#define _GNU_SOURCE
#include "actors/security/cp_cert_store.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "supervisor/file.h"
#include "supervisor/log.h"

#define LOG "security"
#define FILE_MAX 16384

//  Room for "/<gen>/.cert.pem.tmp" after the directory in a PATH_MAX path.
#define DIR_MAX (PATH_MAX - 64)

struct _cp_cert_store_t {
    char dir[DIR_MAX];
};

static int
s_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

//  dir/name = text, mode 0600, durably (file.h).
static int
s_write(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int) sizeof(path))
        return -1;
    int rc = cp_file_replace(path, text, strlen(text), 0600);
    if (rc != 0)
        cp_error(LOG, "cannot write %s: %s", path, strerror(errno));
    return rc;
}

static int
s_read(const char *path, char *out, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t done = 0;
    ssize_t n = 0;
    while (done + 1 < size && (n = read(fd, out + done, size - 1 - done)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        done += (size_t) n;
    }
    close(fd);
    out[done] = '\0';
    return n < 0 || done == 0 ? -1 : 0;
}

static bool
s_is_gen(const char *name)
{
    if (!name[0])
        return false;
    for (const char *c = name; *c; c++)
        if (!isdigit((unsigned char) *c))
            return false;
    return true;
}

//  The generation `current` points to ("" when none).
static void
s_current(const char *dir, char *gen, size_t size)
{
    char link[PATH_MAX];
    snprintf(link, sizeof(link), "%s/current", dir);
    ssize_t n = readlink(link, gen, size - 1);
    gen[n > 0 ? n : 0] = '\0';
    if (!s_is_gen(gen))
        gen[0] = '\0';
}

static void
s_remove_gen(const char *dir, const char *gen)
{
    char path[PATH_MAX];
    const char *files[] = { "key.pem", "cert.pem", ".key.pem.tmp", ".cert.pem.tmp" };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s/%s", dir, gen, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/%s", dir, gen);
    if (rmdir(path) != 0 && errno != ENOENT)
        cp_warn(LOG, "cannot remove %s: %s", path, strerror(errno));
}

//  Keep the pair in use and the newest one before it; the rest goes,
//  with temporary files a crash left behind.
static void
s_tidy(cp_cert_store_t *self)
{
    char current[64];
    s_current(self->dir, current, sizeof(current));
    long long cur = current[0] ? atoll(current) : -1, previous = -1;
    DIR *d = opendir(self->dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (s_is_gen(e->d_name) && atoll(e->d_name) < cur && atoll(e->d_name) > previous)
            previous = atoll(e->d_name);
    rewinddir(d);
    char victims[16][32];
    int count = 0;
    while ((e = readdir(d)) != NULL && count < 16) {
        bool tmp = e->d_name[0] == '.' && strstr(e->d_name, ".tmp");
        bool stale = s_is_gen(e->d_name) && atoll(e->d_name) != cur && atoll(e->d_name) != previous;
        size_t len = strlen(e->d_name);
        if ((tmp || stale) && len < sizeof(victims[0]))
            memcpy(victims[count++], e->d_name, len + 1);
    }
    closedir(d);
    for (int i = 0; i < count; i++) {
        if (s_is_gen(victims[i]))
            s_remove_gen(self->dir, victims[i]);
        else {
            char path[DIR_MAX + 600];
            snprintf(path, sizeof(path), "%s/%s", self->dir, victims[i]);
            unlink(path);
        }
    }
}

cp_cert_store_t *
cp_cert_store_new(const char *state_dir, char *err, size_t err_size)
{
    assert(state_dir && err);
    cp_cert_store_t *self = calloc(1, sizeof(*self));
    if (!self) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    if (snprintf(self->dir, sizeof(self->dir), "%s/%s", state_dir, CP_CERT_STORE_DIR) >= (int) sizeof(self->dir)
    ||  (mkdir(self->dir, 0700) != 0 && errno != EEXIST) || chmod(self->dir, 0700) != 0) {
        snprintf(err, err_size, "cannot create %s: %s", self->dir, strerror(errno));
        free(self);
        return NULL;
    }
    s_tidy(self);
    return self;
}

void
cp_cert_store_destroy(cp_cert_store_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

int
cp_cert_store_put_pending(cp_cert_store_t *self, const char *key_pem)
{
    return s_write(self->dir, "pending.key", key_pem);
}

int
cp_cert_store_get_pending(cp_cert_store_t *self, char *key_pem, size_t size)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/pending.key", self->dir);
    return s_read(path, key_pem, size);
}

bool
cp_cert_store_has_pending(cp_cert_store_t *self)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/pending.key", self->dir);
    return access(path, F_OK) == 0;
}

int
cp_cert_store_read(const char *path, char *out, size_t size)
{
    return s_read(path, out, size);
}

int
cp_cert_store_drop_pending(cp_cert_store_t *self)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/pending.key", self->dir);
    if (unlink(path) != 0 && errno != ENOENT)
        return -1;
    return s_fsync_dir(self->dir);
}

int
cp_cert_store_install(cp_cert_store_t *self, const char *chain_pem, long long gen_ms)
{
    char key[FILE_MAX], gen[32], gen_dir[PATH_MAX], link_tmp[PATH_MAX], link[PATH_MAX];
    if (cp_cert_store_get_pending(self, key, sizeof(key)) != 0) {
        cp_error(LOG, "no pending key to install a certificate with");
        return -1;
    }
    char was[64];
    s_current(self->dir, was, sizeof(was));
    if (was[0] && atoll(was) >= gen_ms)
        gen_ms = atoll(was) + 1;        //  names only grow, whatever the clock did
    snprintf(gen, sizeof(gen), "%013lld", gen_ms);
    snprintf(gen_dir, sizeof(gen_dir), "%s/%s", self->dir, gen);
    snprintf(link_tmp, sizeof(link_tmp), "%s/.current.tmp", self->dir);
    snprintf(link, sizeof(link), "%s/current", self->dir);
    int rc = mkdir(gen_dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
    if (rc == 0)
        rc = s_write(gen_dir, "key.pem", key);
    if (rc == 0)
        rc = s_write(gen_dir, "cert.pem", chain_pem);
    explicit_bzero(key, sizeof(key));
    if (rc == 0 && s_fsync_dir(self->dir) != 0)
        rc = -1;
    if (rc == 0) {
        unlink(link_tmp);
        rc = symlink(gen, link_tmp);
    }
    if (rc == 0)
        rc = rename(link_tmp, link);
    if (rc == 0)
        rc = s_fsync_dir(self->dir);
    if (rc != 0) {
        cp_error(LOG, "cannot install the charge point certificate in %s: %s", gen_dir, strerror(errno));
        unlink(link_tmp);
        char now[64];
        s_current(self->dir, now, sizeof(now));
        if (strcmp(now, gen) != 0)
            s_remove_gen(self->dir, gen);
        return -1;
    }
    cp_cert_store_drop_pending(self);
    s_tidy(self);
    return 0;
}

int
cp_cert_store_get_chain(cp_cert_store_t *self, char *pem, size_t size)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/current/cert.pem", self->dir);
    return s_read(path, pem, size);
}

bool
cp_cert_store_paths(const char *state_dir, char *cert, char *key)
{
    snprintf(cert, PATH_MAX, "%s/%s/current/cert.pem", state_dir, CP_CERT_STORE_DIR);
    snprintf(key, PATH_MAX, "%s/%s/current/key.pem", state_dir, CP_CERT_STORE_DIR);
    return access(cert, R_OK) == 0 && access(key, R_OK) == 0;
}
