/* storage_probe.c — see storage_probe.h.
 *
 * One probe at a time, each on a detached thread with a shared,
 * reference-counted record: the supervisor drops its reference when it
 * starts the next probe or is destroyed, the thread when its write came
 * back. Times are the monotonic clock the caller passes (start) and the
 * one the thread reads (finish); both are CLOCK_MONOTONIC in production.
 */
#include "supervisor/storage_probe.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "supervisor/log.h"

typedef struct {
    atomic_int refs;
    int64_t started_ms;
    atomic_bool done;
    char path[4096];
} probe_t;

struct _cp_storage_probe_t {
    char path[4096];
    probe_t *current;              //  the last probe started (NULL: none yet)
};

static void
s_release(probe_t *probe)
{
    if (probe && atomic_fetch_sub(&probe->refs, 1) == 1)
        free(probe);
}

static void *
s_probe_main(void *arg)
{
    probe_t *probe = arg;
    //  What an actor's commit does: a write the filesystem must take, then
    //  fsync. A frozen filesystem blocks here until it thaws.
    int fd = open(probe->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        if (write(fd, "probe\n", 6) != 6 || fsync(fd) != 0)
            cp_debug("supervisor", "storage probe: %s", strerror(errno));
        close(fd);
    }
    atomic_store(&probe->done, true);
    s_release(probe);
    return NULL;
}

cp_storage_probe_t *
cp_storage_probe_new(const char *state_dir)
{
    assert(state_dir);
    cp_storage_probe_t *self = calloc(1, sizeof(cp_storage_probe_t));
    if (self)
        snprintf(self->path, sizeof(self->path), "%s/.storage-probe", state_dir);
    return self;
}

void
cp_storage_probe_destroy(cp_storage_probe_t **self_p)
{
    assert(self_p);
    cp_storage_probe_t *self = *self_p;
    if (!self)
        return;
    s_release(self->current);
    free(self);
    *self_p = NULL;
}

static void
s_start(cp_storage_probe_t *self, int64_t now_ms)
{
    probe_t *probe = calloc(1, sizeof(probe_t));
    if (!probe)
        return;
    atomic_init(&probe->refs, 2);
    atomic_init(&probe->done, false);
    probe->started_ms = now_ms;
    snprintf(probe->path, sizeof(probe->path), "%s", self->path);
    pthread_attr_t attr;
    pthread_t thread;
    bool started = pthread_attr_init(&attr) == 0
                && pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0
                && pthread_create(&thread, &attr, s_probe_main, probe) == 0;
    pthread_attr_destroy(&attr);
    if (!started) {
        cp_warn("supervisor", "cannot start a storage probe: liveness verdicts go on without it");
        free(probe);
        return;
    }
    s_release(self->current);
    self->current = probe;
}

cp_storage_verdict_t
cp_storage_probe_check(cp_storage_probe_t *self, int64_t since_ms, int64_t now_ms, int64_t *stalled_ms)
{
    assert(self && stalled_ms);
    *stalled_ms = 0;
    probe_t *probe = self->current;
    if (probe && !atomic_load(&probe->done)) {
        *stalled_ms = now_ms - probe->started_ms;
        return *stalled_ms >= CP_STORAGE_STALL_MS ? CP_STORAGE_STALLED : CP_STORAGE_UNKNOWN;
    }
    if (probe && probe->started_ms >= since_ms)
        return CP_STORAGE_OK;
    s_start(self, now_ms);
    return self->current && self->current->started_ms == now_ms ? CP_STORAGE_UNKNOWN : CP_STORAGE_OK;
}
