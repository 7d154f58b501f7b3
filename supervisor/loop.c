/* loop.c — the actors' event loop (see loop.h for why it replaces zloop).
 *
 * One pass: drain every dirty reader, run the timers that are due, and
 * wait in poll() for a descriptor or the next timer. Readers and timers
 * added or ended by a handler take effect at once; the arrays are only
 * compacted between passes, so a handler never pulls an entry from under
 * the iteration that called it.
 */
#include "supervisor/loop.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    bool live;                      //  false: ended, slot to compact
    zsock_t *sock;                  //  NULL for a descriptor reader
    void *handle;                   //  the libzmq socket
    int fd;                         //  ZMQ_FD, or the descriptor read
    cp_loop_reader_fn *fn;          //  socket readers
    cp_loop_fd_fn *fd_fn;           //  descriptor readers
    void *arg;
    bool touched_only;
    bool dirty;                     //  socket: check ZMQ_EVENTS
    bool ready;                     //  descriptor: poll() said readable
} reader_t;

typedef struct {
    int id;                         //  0: ended, slot to compact
    size_t delay;
    size_t times;                   //  left; 0 = forever
    int64_t when;                   //  mono ms
    cp_loop_timer_fn *fn;
    void *arg;
} loop_timer_t;

struct _cp_loop_t {
    reader_t readers[CP_LOOP_READERS_MAX];
    int reader_count;
    loop_timer_t *timers;
    int timer_count;
    int timer_capacity;
    int next_timer_id;
    cp_loop_watch_t *watch;         //  NULL: nobody watches
    cp_loop_wait_fn *before_wait;   //  NULL: none
    void *before_wait_arg;
};

//  --------------------------------------------------------------------------
//  Shared by cp_loop and cp_poller

//  The libzmq socket behind a zsock_t or zactor_t and its notification
//  descriptor. -1 when it has none.
static int
s_descriptor(void *sock, void **handle, int *fd)
{
    *handle = zsock_resolve(sock);
    *fd = -1;
    size_t fd_size = sizeof(*fd);
    if (!*handle || zmq_getsockopt(*handle, ZMQ_FD, fd, &fd_size) != 0 || *fd < 0)
        return -1;
    return 0;
}

static void
s_watch_progress(cp_loop_watch_t *watch)
{
    if (watch)
        atomic_fetch_add_explicit(&watch->progress, 1, memory_order_relaxed);
}

//  poll(), with the watch saying "waiting" around it: no handler of this
//  thread can be stuck while it sleeps here.
static int
s_watched_poll(cp_loop_watch_t *watch, struct pollfd *fds, int count, int timeout)
{
    if (watch)
        atomic_store_explicit(&watch->waiting, true, memory_order_release);
    int rc = poll(fds, (nfds_t) count, timeout);
    if (watch) {
        atomic_store_explicit(&watch->waiting, false, memory_order_release);
        s_watch_progress(watch);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  cp_loop

cp_loop_t *
cp_loop_new(void)
{
    cp_loop_t *self = calloc(1, sizeof(cp_loop_t));
    if (self)
        self->next_timer_id = 1;
    return self;
}

void
cp_loop_destroy(cp_loop_t **self_p)
{
    assert(self_p);
    cp_loop_t *self = *self_p;
    if (!self)
        return;
    free(self->timers);
    free(self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Readers

int
cp_loop_reader_flags(cp_loop_t *self, zsock_t *sock, cp_loop_reader_fn *fn, void *arg, int flags)
{
    assert(self && sock && fn);
    if (self->reader_count >= CP_LOOP_READERS_MAX)
        return -1;
    void *handle;
    int fd;
    if (s_descriptor(sock, &handle, &fd) != 0)
        return -1;
    self->readers[self->reader_count++] = (reader_t) {
        .live = true, .sock = sock, .handle = handle, .fd = fd, .fn = fn, .arg = arg,
        .touched_only = (flags & CP_LOOP_TOUCHED_ONLY) != 0,
        .dirty = true,              //  it may hold messages already
    };
    return 0;
}

int
cp_loop_reader(cp_loop_t *self, zsock_t *sock, cp_loop_reader_fn *fn, void *arg)
{
    return cp_loop_reader_flags(self, sock, fn, arg, 0);
}

void
cp_loop_reader_end(cp_loop_t *self, zsock_t *sock)
{
    assert(self);
    for (int i = 0; i < self->reader_count; i++)
        if (self->readers[i].live && self->readers[i].sock == sock)
            self->readers[i].live = false;
}

int
cp_loop_fd(cp_loop_t *self, int fd, cp_loop_fd_fn *fn, void *arg)
{
    assert(self && fd >= 0 && fn);
    if (self->reader_count >= CP_LOOP_READERS_MAX)
        return -1;
    self->readers[self->reader_count++] = (reader_t) {
        .live = true, .fd = fd, .fd_fn = fn, .arg = arg,
    };
    return 0;
}

void
cp_loop_fd_end(cp_loop_t *self, int fd)
{
    assert(self);
    for (int i = 0; i < self->reader_count; i++)
        if (self->readers[i].live && !self->readers[i].sock && self->readers[i].fd == fd)
            self->readers[i].live = false;
}

void
cp_loop_touch(cp_loop_t *self, zsock_t *sock)
{
    assert(self);
    for (int i = 0; i < self->reader_count; i++)
        if (self->readers[i].live && self->readers[i].sock == sock)
            self->readers[i].dirty = true;
}

void
cp_loop_before_wait(cp_loop_t *self, cp_loop_wait_fn *fn, void *arg)
{
    assert(self);
    self->before_wait = fn;
    self->before_wait_arg = arg;
}

void
cp_loop_watch(cp_loop_t *self, cp_loop_watch_t *watch)
{
    assert(self);
    self->watch = watch;
}

//  After a handler or a timer ran: the readers it may have used unseen.
static void
s_after_dispatch(cp_loop_t *self)
{
    s_watch_progress(self->watch);
    for (int i = 0; i < self->reader_count; i++)
        if (!self->readers[i].touched_only)
            self->readers[i].dirty = true;
}

static bool
s_has_input(reader_t *r)
{
    int events = 0;
    size_t size = sizeof(events);
    return zmq_getsockopt(r->handle, ZMQ_EVENTS, &events, &size) == 0 && (events & ZMQ_POLLIN);
}

//  Drain every dirty reader. -1 when a handler ends the loop.
static int
s_drain(cp_loop_t *self)
{
    bool again = true;
    while (again) {
        again = false;
        for (int i = 0; i < self->reader_count; i++) {
            reader_t *r = &self->readers[i];
            if (!r->live || !r->sock || !r->dirty)
                continue;
            r->dirty = false;
            while (r->live && s_has_input(r)) {
                if (r->fn(self, r->sock, r->arg) != 0)
                    return -1;
                s_after_dispatch(self);
                r = &self->readers[i];      //  still the same slot: arrays only compact between passes
                r->dirty = false;           //  the while re-checks it
            }
            //  A handler may have dirtied a reader we already passed.
            for (int j = 0; j < self->reader_count; j++)
                if (self->readers[j].live && self->readers[j].sock && self->readers[j].dirty)
                    again = true;
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Timers

int
cp_loop_timer(cp_loop_t *self, size_t delay_ms, size_t times, cp_loop_timer_fn *fn, void *arg)
{
    assert(self && fn);
    if (self->timer_count == self->timer_capacity) {
        int capacity = self->timer_capacity ? self->timer_capacity * 2 : 16;
        loop_timer_t *grown = realloc(self->timers, (size_t) capacity * sizeof(loop_timer_t));
        if (!grown)
            return -1;
        self->timers = grown;
        self->timer_capacity = capacity;
    }
    int id = self->next_timer_id++;
    if (self->next_timer_id <= 0)
        self->next_timer_id = 1;
    self->timers[self->timer_count++] = (loop_timer_t) {
        .id = id, .delay = delay_ms, .times = times, .when = zclock_mono() + (int64_t) delay_ms,
        .fn = fn, .arg = arg,
    };
    return id;
}

int
cp_loop_timer_end(cp_loop_t *self, int timer_id)
{
    assert(self);
    for (int i = 0; i < self->timer_count; i++)
        if (self->timers[i].id == timer_id) {
            self->timers[i].id = 0;
            return 0;
        }
    return -1;
}

//  Run the timers due by now. -1 when a handler ends the loop.
static int
s_run_timers(cp_loop_t *self, int64_t now)
{
    int count = self->timer_count;          //  timers added meanwhile wait for the next pass
    for (int i = 0; i < count; i++) {
        loop_timer_t *t = &self->timers[i];
        if (!t->id || t->when > now)
            continue;
        int id = t->id;
        cp_loop_timer_fn *fn = t->fn;
        void *arg = t->arg;
        if (t->times == 1)
            t->id = 0;                      //  its last time: gone before its handler runs
        else {
            if (t->times > 1)
                t->times--;
            t->when = now + (int64_t) t->delay;
        }
        int rc = fn(self, id, arg);         //  may grow (move) the array
        s_after_dispatch(self);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static void
s_compact(cp_loop_t *self)
{
    int n = 0;
    for (int i = 0; i < self->timer_count; i++)
        if (self->timers[i].id)
            self->timers[n++] = self->timers[i];
    self->timer_count = n;
    n = 0;
    for (int i = 0; i < self->reader_count; i++)
        if (self->readers[i].live)
            self->readers[n++] = self->readers[i];
    self->reader_count = n;
}

//  The descriptor readers poll() found readable. A descriptor is level-
//  triggered: one call each, and poll() says again if input is left.
static int
s_run_ready(cp_loop_t *self)
{
    for (int i = 0; i < self->reader_count; i++) {
        reader_t *r = &self->readers[i];
        if (!r->live || r->sock || !r->ready)
            continue;
        r->ready = false;
        int rc = r->fd_fn(self, r->fd, r->arg);
        s_after_dispatch(self);
        if (rc != 0)
            return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------

int
cp_loop_start(cp_loop_t *self)
{
    assert(self);
    struct pollfd fds[CP_LOOP_READERS_MAX];
    while (true) {
        if (s_run_ready(self) != 0 || s_drain(self) != 0)
            return -1;
        if (s_run_timers(self, zclock_mono()) != 0)
            return -1;
        if (s_drain(self) != 0)             //  what the timers sent or touched
            return -1;
        s_compact(self);
        if (self->reader_count == 0 && self->timer_count == 0)
            return 0;
        int64_t next = INT64_MAX;
        for (int i = 0; i < self->timer_count; i++)
            if (self->timers[i].when < next)
                next = self->timers[i].when;
        int timeout = -1;
        if (next != INT64_MAX) {
            int64_t wait = next - zclock_mono();
            timeout = wait <= 0 ? 0 : wait > INT32_MAX ? INT32_MAX : (int) wait;
        }
        if (self->before_wait) {
            bool worked = false;
            int limit = self->before_wait(self, self->before_wait_arg, &worked);
            if (limit >= 0 && (timeout < 0 || limit < timeout))
                timeout = limit;
            if (worked) {
                //  It ran handlers: what they sent is seen before any wait
                s_after_dispatch(self);
                for (int i = 0; i < self->reader_count; i++)
                    if (self->readers[i].live && self->readers[i].sock && self->readers[i].dirty)
                        timeout = 0;
            }
        }
        for (int i = 0; i < self->reader_count; i++)
            fds[i] = (struct pollfd) { .fd = self->readers[i].fd, .events = POLLIN };
        int rc = s_watched_poll(self->watch, fds, self->reader_count, timeout);
        if (rc < 0 && errno != EINTR)
            return -1;
        for (int i = 0; rc > 0 && i < self->reader_count; i++)
            if (fds[i].revents) {
                if (self->readers[i].sock)
                    self->readers[i].dirty = true;
                else
                    self->readers[i].ready = true;
            }
    }
}

//  --------------------------------------------------------------------------
//  cp_poller

typedef struct {
    void *reader;                   //  as given (zsock_t or zactor_t)
    void *handle;
    int fd;
    bool touched_only;
    bool dirty;
} poller_reader_t;

struct _cp_poller_t {
    poller_reader_t readers[CP_POLLER_READERS_MAX];
    int count;
    int next;                       //  where the next scan starts: fairness
    void *returned;                 //  the reader the last wait gave out
    bool terminated;
    cp_loop_watch_t *watch;         //  NULL: nobody watches
};

cp_poller_t *
cp_poller_new(void)
{
    return calloc(1, sizeof(cp_poller_t));
}

void
cp_poller_destroy(cp_poller_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

int
cp_poller_add(cp_poller_t *self, void *reader, int flags)
{
    assert(self && reader);
    if (self->count >= CP_POLLER_READERS_MAX)
        return -1;
    void *handle;
    int fd;
    if (s_descriptor(reader, &handle, &fd) != 0)
        return -1;
    self->readers[self->count++] = (poller_reader_t) {
        .reader = reader, .handle = handle, .fd = fd,
        .touched_only = (flags & CP_LOOP_TOUCHED_ONLY) != 0, .dirty = true,
    };
    return 0;
}

void
cp_poller_remove(cp_poller_t *self, void *reader)
{
    assert(self);
    for (int i = 0; i < self->count; i++)
        if (self->readers[i].reader == reader) {
            memmove(&self->readers[i], &self->readers[i + 1],
                    (size_t) (self->count - i - 1) * sizeof(poller_reader_t));
            self->count--;
            break;
        }
    if (self->returned == reader)
        self->returned = NULL;
}

void
cp_poller_touch(cp_poller_t *self, void *reader)
{
    assert(self);
    for (int i = 0; i < self->count; i++)
        if (self->readers[i].reader == reader)
            self->readers[i].dirty = true;
}

void
cp_poller_watch(cp_poller_t *self, cp_loop_watch_t *watch)
{
    assert(self);
    self->watch = watch;
}

bool
cp_poller_terminated(cp_poller_t *self)
{
    assert(self);
    return self->terminated;
}

void *
cp_poller_wait(cp_poller_t *self, int timeout_ms)
{
    assert(self);
    self->terminated = false;
    s_watch_progress(self->watch);
    for (int i = 0; i < self->count; i++)
        if (!self->readers[i].touched_only || self->readers[i].reader == self->returned)
            self->readers[i].dirty = true;
    self->returned = NULL;
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : zclock_mono() + timeout_ms;
    struct pollfd fds[CP_POLLER_READERS_MAX];
    while (true) {
        for (int n = 0; n < self->count; n++) {
            int i = (self->next + n) % self->count;
            poller_reader_t *r = &self->readers[i];
            if (!r->dirty)
                continue;
            int events = 0;
            size_t size = sizeof(events);
            if (zmq_getsockopt(r->handle, ZMQ_EVENTS, &events, &size) != 0) {
                if (zmq_errno() == ETERM) {
                    self->terminated = true;
                    return NULL;
                }
                continue;               //  EINTR: looked at again next time
            }
            if (!(events & ZMQ_POLLIN)) {
                r->dirty = false;
                continue;
            }
            self->next = (i + 1) % self->count;
            self->returned = r->reader;
            return r->reader;
        }
        int timeout = -1;
        if (deadline != INT64_MAX) {
            int64_t wait = deadline - zclock_mono();
            if (wait <= 0)
                return NULL;
            timeout = wait > INT32_MAX ? INT32_MAX : (int) wait;
        }
        for (int i = 0; i < self->count; i++)
            fds[i] = (struct pollfd) { .fd = self->readers[i].fd, .events = POLLIN };
        int rc = s_watched_poll(self->watch, fds, self->count, timeout);
        if (rc < 0)
            return NULL;                //  a signal: the caller looks at why
        if (rc == 0)
            return NULL;
        for (int i = 0; i < self->count; i++)
            if (fds[i].revents)
                self->readers[i].dirty = true;
    }
}
