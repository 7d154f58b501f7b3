/* config_copy.c — see config_copy.h. */
#include "actors/config/config_copy.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "actors/config/config_keys.h"
#include "actors/config/config_store.h"
#include "supervisor/log.h"
#include "supervisor/store.h"

#define COMPONENT "config"

//  One mapping of a state dir's counter per process, however many stores
//  use it (each mapping of the page counted again in the resident size),
//  guarded by s_maps_lock.
typedef struct s_map {
    struct s_map *next;
    char *path;
    uint64_t *counter;
    int users;
} s_map_t;

static pthread_mutex_t s_maps_lock = PTHREAD_MUTEX_INITIALIZER;
static s_map_t *s_maps;

//  The counter's file is written through once when made, so that its
//  block is allocated: a store into a mapped page without one raises
//  SIGBUS on a full disk.
static uint64_t *
s_counter_map(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
        uint64_t start = 0;
        if (getrandom(&start, sizeof(start), 0) != (ssize_t) sizeof(start))
            start = (uint64_t) time(NULL) << 20;    //  still unlike a removed state dir's
        if (pwrite(fd, &start, sizeof(start), 0) != (ssize_t) sizeof(start)) {
            cp_warn(COMPONENT, "cannot write %s: %s", path, strerror(errno));
            close(fd);
            unlink(path);
            return NULL;
        }
    }
    else
    if (errno == EEXIST)
        fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < (off_t) sizeof(uint64_t)) {
        //  Being made by another store this very moment, or not to be had.
        cp_warn(COMPONENT, "%s is not usable%s%s", path, fd < 0 ? ": " : "", fd < 0 ? strerror(errno) : "");
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    void *map = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return map == MAP_FAILED ? NULL : (uint64_t *) map;
}

uint64_t *
config_version_map(const char *state_dir)
{
    assert(state_dir);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s%s", state_dir, CP_STORE_FILE, CONFIG_STORE_VERSION_SUFFIX);
    uint64_t *counter = NULL;
    pthread_mutex_lock(&s_maps_lock);
    s_map_t *map = s_maps;
    while (map && strcmp(map->path, path) != 0)
        map = map->next;
    if (!map && (counter = s_counter_map(path))) {
        map = calloc(1, sizeof(*map));
        if (map && (map->path = strdup(path))) {
            map->counter = counter;
            map->next = s_maps;
            s_maps = map;
        }
        else {
            free(map);
            map = NULL;
            munmap(counter, sizeof(uint64_t));
        }
    }
    if (map) {
        map->users++;
        counter = map->counter;
    }
    pthread_mutex_unlock(&s_maps_lock);
    return map ? counter : NULL;
}

void
config_version_unmap(uint64_t **version_p)
{
    assert(version_p);
    uint64_t *counter = *version_p;
    *version_p = NULL;
    if (!counter)
        return;
    pthread_mutex_lock(&s_maps_lock);
    s_map_t **link = &s_maps;
    while (*link && (*link)->counter != counter)
        link = &(*link)->next;
    s_map_t *map = *link;
    assert(map);
    if (map && --map->users == 0) {
        *link = map->next;
        munmap(map->counter, sizeof(uint64_t));
        free(map->path);
        free(map);
    }
    pthread_mutex_unlock(&s_maps_lock);
}

void
config_version_step(uint64_t *version)
{
    if (version)
        __atomic_add_fetch(version, 1, __ATOMIC_RELEASE);
}

uint64_t
config_version_read(const uint64_t *version)
{
    return version ? __atomic_load_n(version, __ATOMIC_ACQUIRE) : 0;
}

//  The table's indexes sorted by name (strcmp, the column's BINARY
//  collation), made once per process: a stored row's key found by
//  bisection, exactly as spelled (rows are written under the table's
//  name, and a writer's lookup matches exactly too).
static size_t *s_by_name;
static pthread_once_t s_by_name_once = PTHREAD_ONCE_INIT;

static int
s_by_name_cmp(const void *a, const void *b)
{
    return strcmp(config_keys_at(*(const size_t *) a)->name, config_keys_at(*(const size_t *) b)->name);
}

static void
s_by_name_make(void)
{
    size_t count = config_keys_count();
    s_by_name = malloc(count * sizeof(size_t));
    if (!s_by_name)
        return;                     //  config_copy_take reports it
    for (size_t i = 0; i < count; i++)
        s_by_name[i] = i;
    qsort(s_by_name, count, sizeof(size_t), s_by_name_cmp);
}

static int
s_name_is(const void *key, const void *index)
{
    return strcmp((const char *) key, config_keys_at(*(const size_t *) index)->name);
}

//  The table index of a stored row's key; -1 when no key is spelled so.
static ssize_t
s_row_index(const char *key)
{
    const size_t *index = bsearch(key, s_by_name, config_keys_count(), sizeof(size_t), s_name_is);
    return index ? (ssize_t) *index : -1;
}

struct _config_copy_t {
    int refs;                       //  atomic
    uint64_t version;
    size_t count;                   //  config_keys_count()
    char *rows[];
};

config_copy_t *
config_copy_take(sqlite3 *db, sqlite3_stmt *rows, uint64_t version)
{
    assert(db && rows);
    pthread_once(&s_by_name_once, s_by_name_make);
    size_t count = config_keys_count();
    config_copy_t *self = s_by_name ? calloc(1, sizeof(*self) + count * sizeof(char *)) : NULL;
    int rc = self ? SQLITE_ROW : SQLITE_NOMEM;
    if (self) {
        self->refs = 1;
        self->version = version;
        self->count = count;
    }
    while (self && (rc = sqlite3_step(rows)) == SQLITE_ROW) {
        const char *key = (const char *) sqlite3_column_text(rows, 0);
        ssize_t found = key ? s_row_index(key) : -1;
        if (found < 0 || config_keys_at((size_t) found)->readonly)
            continue;
        size_t index = (size_t) found;
        const char *value = (const char *) sqlite3_column_text(rows, 1);
        size_t len = (size_t) sqlite3_column_bytes(rows, 1);
        free(self->rows[index]);
        self->rows[index] = value ? malloc(len + 1) : NULL;
        if (!self->rows[index]) {
            rc = SQLITE_NOMEM;              //  NOT NULL column: no memory
            break;
        }
        memcpy(self->rows[index], value, len + 1);
    }
    sqlite3_reset(rows);
    if (rc != SQLITE_DONE) {
        cp_error(COMPONENT, "read the configuration: %s",
                 rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
        config_copy_release(&self);
    }
    return self;
}

const char *
config_copy_row(const config_copy_t *self, size_t index)
{
    assert(self);
    assert(index < self->count);
    return self->rows[index];
}

uint64_t
config_copy_version(const config_copy_t *self)
{
    assert(self);
    return self->version;
}

config_copy_t *
config_copy_ref(config_copy_t *self)
{
    assert(self);
    __atomic_add_fetch(&self->refs, 1, __ATOMIC_RELAXED);
    return self;
}

void
config_copy_release(config_copy_t **self_p)
{
    assert(self_p);
    config_copy_t *self = *self_p;
    *self_p = NULL;
    if (!self || __atomic_sub_fetch(&self->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    for (size_t i = 0; i < self->count; i++)
        free(self->rows[i]);
    free(self);
}

//  This process's slot: the newest copy of one state dir.
static pthread_mutex_t s_slot_lock = PTHREAD_MUTEX_INITIALIZER;
static char s_slot_dir[sizeof(((cp_options_t *) 0)->state_dir)];
static config_copy_t *s_slot;

config_copy_t *
config_copy_shared(const char *state_dir, uint64_t version)
{
    assert(state_dir);
    config_copy_t *copy = NULL;
    pthread_mutex_lock(&s_slot_lock);
    if (s_slot && s_slot->version == version && strcmp(s_slot_dir, state_dir) == 0)
        copy = config_copy_ref(s_slot);
    pthread_mutex_unlock(&s_slot_lock);
    return copy;
}

void
config_copy_share(const char *state_dir, config_copy_t *copy)
{
    assert(state_dir && copy);
    config_copy_t *old = NULL;
    pthread_mutex_lock(&s_slot_lock);
    bool same_dir = s_slot && strcmp(s_slot_dir, state_dir) == 0;
    //  Newer by the counter's steps (a race of two readers must not put
    //  the older copy back).
    if (!same_dir || (int64_t) (copy->version - s_slot->version) > 0) {
        old = s_slot;
        s_slot = config_copy_ref(copy);
        snprintf(s_slot_dir, sizeof(s_slot_dir), "%s", state_dir);
    }
    pthread_mutex_unlock(&s_slot_lock);
    config_copy_release(&old);
}
