/* loop.h — the event loop every actor runs in: ZeroMQ readers and timers.
 *
 * It does what czmq's zloop did for the actors, with the same calls, at a
 * fraction of the cost per wake-up. zloop waits in zmq_poll, which asks
 * every socket for its events before and after each wait — each ask a
 * getpid() (libzmq's fork check) and a second poll() — about ten system
 * calls for one message, on every actor, on every wake-up (issue 12).
 * Here the loop waits in one poll() on the sockets' notification
 * descriptors (ZMQ_FD) and asks for events (ZMQ_EVENTS) only of a socket
 * whose descriptor fired or that the process touched since:
 *
 *   - ZMQ_FD is edge-like: it signals that the socket's state may have
 *     changed, and any operation on the socket (a send, a receive, an
 *     events query) may consume that signal. So a reader is drained —
 *     handled message by message while ZMQ_EVENTS says POLLIN — whenever
 *     it is "dirty": its descriptor fired, it was just registered, or it
 *     was touched (cp_loop_touch) by a send on it.
 *   - A reader registered with CP_LOOP_TOUCHED_ONLY is made dirty only by
 *     its descriptor and by cp_loop_touch: the shell's own sockets, whose
 *     every send goes through the shell, which touches them. Any other
 *     reader is re-checked after every handler and timer (an actor may
 *     send on its own sockets without telling the loop).
 *
 * Handlers return 0 to go on, -1 to end the loop (cp_loop_start returns
 * -1 then). Signals never end it (an actor stops when the supervisor says).
 * Not thread-safe: one loop per thread, as zloop.
 */
#ifndef CP_SUPERVISOR_LOOP_H
#define CP_SUPERVISOR_LOOP_H

#include <czmq.h>
#include <stdatomic.h>
#include <stddef.h>

typedef struct _cp_loop_t cp_loop_t;
typedef int (cp_loop_reader_fn)(cp_loop_t *loop, zsock_t *reader, void *arg);
typedef int (cp_loop_timer_fn)(cp_loop_t *loop, int timer_id, void *arg);
typedef int (cp_loop_fd_fn)(cp_loop_t *loop, int fd, void *arg);
typedef int (cp_loop_wait_fn)(cp_loop_t *loop, void *arg, bool *worked);
//  Told that sock was sent on (or otherwise used) outside its reader: the
//  owner of a CP_LOOP_TOUCHED_ONLY reader touches it (bus.h, control.h).
typedef void (cp_socket_used_fn)(void *arg, zsock_t *sock);

#define CP_LOOP_READERS_MAX 16
#define CP_LOOP_TOUCHED_ONLY 1      //  reader flag, see above

cp_loop_t *cp_loop_new(void);
void cp_loop_destroy(cp_loop_t **self_p);

//  Call fn for every message on sock (one call per message; the handler
//  receives it). 0, or -1 when CP_LOOP_READERS_MAX are registered or the
//  socket has no descriptor. flags: 0 or CP_LOOP_TOUCHED_ONLY.
int cp_loop_reader(cp_loop_t *self, zsock_t *sock, cp_loop_reader_fn *fn, void *arg);
int cp_loop_reader_flags(cp_loop_t *self, zsock_t *sock, cp_loop_reader_fn *fn, void *arg, int flags);
void cp_loop_reader_end(cp_loop_t *self, zsock_t *sock);
//  A plain descriptor (an eventfd, a pipe): fn is called once per wake-up
//  while poll() finds it readable, and must read what made it so. It
//  shares the CP_LOOP_READERS_MAX slots. 0, or -1 when full.
int cp_loop_fd(cp_loop_t *self, int fd, cp_loop_fd_fn *fn, void *arg);
void cp_loop_fd_end(cp_loop_t *self, int fd);
//  The process sent on (or otherwise used) sock: check it before waiting.
void cp_loop_touch(cp_loop_t *self, zsock_t *sock);

//  Call fn after delay_ms, `times` times (0 = until ended). Returns the
//  timer's id (> 0), or -1. Ending a timer that already fired its last
//  time, or from inside its own handler, is allowed.
int cp_loop_timer(cp_loop_t *self, size_t delay_ms, size_t times, cp_loop_timer_fn *fn, void *arg);
int cp_loop_timer_end(cp_loop_t *self, int timer_id);

//  Before every wait, fn says how long the loop may wait at most (ms; -1:
//  no limit): for a library with an event loop of its own turned from this
//  one (wsclient_new_hosted). fn may do work, running handlers; it sets
//  *worked then, and what they sent is seen before the loop waits. One.
void cp_loop_before_wait(cp_loop_t *self, cp_loop_wait_fn *fn, void *arg);

//  Run until a handler returns -1 (returns -1) or nothing is left to wait
//  for (returns 0).
int cp_loop_start(cp_loop_t *self);

//  Liveness without wake-ups: another thread (the supervisor) reads
//  whether the loop waits for input — then no handler is stuck — and how
//  far it got (bumped on every wake-up, handler and timer). A loop that
//  is neither waiting nor moving is stuck in a handler.
typedef struct {
    atomic_bool waiting;
    atomic_uint_fast64_t progress;
} cp_loop_watch_t;

void cp_loop_watch(cp_loop_t *self, cp_loop_watch_t *watch);

//  --------------------------------------------------------------------------
//  cp_poller: the same wait for a loop written by hand (the supervisor's,
//  the broker's), in zpoller's shape: wait returns a reader with input, or
//  NULL on timeout, signal or context end. The caller receives from it.
//  Every call re-checks the reader it returned last (it may hold more) and
//  the readers not added CP_LOOP_TOUCHED_ONLY (the caller may have sent on
//  them since); a touched-only reader is re-checked when its descriptor
//  fires or after cp_poller_touch. Readers are zsock_t or zactor_t.

typedef struct _cp_poller_t cp_poller_t;

#define CP_POLLER_READERS_MAX 64

cp_poller_t *cp_poller_new(void);
void cp_poller_destroy(cp_poller_t **self_p);
//  0, or -1 when full or the reader has no descriptor.
int cp_poller_add(cp_poller_t *self, void *reader, int flags);
void cp_poller_remove(cp_poller_t *self, void *reader);
void cp_poller_touch(cp_poller_t *self, void *reader);
void *cp_poller_wait(cp_poller_t *self, int timeout_ms);
//  The last wait ended because the ZeroMQ context is terminating.
bool cp_poller_terminated(cp_poller_t *self);
//  Watched as a cp_loop is (cp_loop_watch): waiting in poll(), and progress
//  on every wake-up and every reader given out.
void cp_poller_watch(cp_poller_t *self, cp_loop_watch_t *watch);
#endif
