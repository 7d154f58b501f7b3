/* bus.h — how an actor talks to the rest of the controller.
 *
 * Two channels, both owned by the supervisor so they outlive any actor:
 *   events    PUB → XSUB/XPUB proxy → SUB, frames [topic][msgpack]
 *   requests  DEALER (identity = actor name) → ROUTER broker → DEALER,
 *             frames [to][kind][corr][msgpack], rewritten by the broker
 *             into [from][kind][corr][msgpack] for the receiver.
 * kind: 'Q' request, 'P' partial reply (more follow), 'R' final reply,
 * 'X' the broker could not route the request (destination not running).
 * 'T' never travels: the shell's own outcome for a request whose deadline
 * passed (shell.h).
 * Endpoints are configuration: inproc:// in one process, ipc:// or tcp://
 * across processes, with no code change.
 */
#ifndef CP_SUPERVISOR_BUS_H
#define CP_SUPERVISOR_BUS_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include "messages/msg.h"
#include "supervisor/loop.h"

#define CP_BUS_ENDPOINT_MAX 256
#define CP_BUS_NAME_MAX 32

typedef struct {
    char pub[CP_BUS_ENDPOINT_MAX];   //  proxy XSUB side: publishers connect
    char sub[CP_BUS_ENDPOINT_MAX];   //  proxy XPUB side: subscribers connect
    char req[CP_BUS_ENDPOINT_MAX];   //  ROUTER broker
} cp_bus_endpoints_t;

typedef enum {
    CP_BUS_EVENT = 'E',
    CP_BUS_REQUEST = 'Q',
    CP_BUS_PARTIAL = 'P',
    CP_BUS_REPLY = 'R',
    CP_BUS_UNREACHABLE = 'X',
    CP_BUS_TIMEOUT = 'T'
} cp_bus_kind_t;

typedef struct {
    cp_bus_kind_t kind;
    char topic[64];                  //  events
    char peer[CP_BUS_NAME_MAX];      //  requests/replies: the other actor
    uint64_t corr;                   //  correlation id of request and replies
} cp_bus_envelope_t;

//  The outcome of a request: its final reply, or one of the two failures
//  (unreachable: not routed, or its actor died with it; timeout: no answer
//  by its deadline).
static inline bool
cp_bus_is_outcome(const cp_bus_envelope_t *env)
{
    return env->kind == CP_BUS_REPLY || env->kind == CP_BUS_UNREACHABLE || env->kind == CP_BUS_TIMEOUT;
}

static inline bool
cp_bus_failed(const cp_bus_envelope_t *env)
{
    return env->kind == CP_BUS_UNREACHABLE || env->kind == CP_BUS_TIMEOUT;
}

typedef struct _cp_bus_t cp_bus_t;

//  Fill endpoints with defaults under a prefix: "inproc://cp" gives
//  inproc://cp-pub, -sub, -req; "ipc:///dir/bus" gives ipc:///dir/bus-pub...
void cp_bus_endpoints_init(cp_bus_endpoints_t *ep, const char *prefix);

cp_bus_t *cp_bus_new(const cp_bus_endpoints_t *ep, const char *name);
void cp_bus_destroy(cp_bus_t **self_p);
const char *cp_bus_name(const cp_bus_t *self);

//  Call used(arg, sock) after every send on, or subscription of, one of
//  the two sockets to poll (below): their owner can register them
//  CP_LOOP_TOUCHED_ONLY and still see what a send made them take in.
void cp_bus_on_use(cp_bus_t *self, cp_socket_used_fn *used, void *arg);

int cp_bus_subscribe(cp_bus_t *self, const char *prefix);
int cp_bus_publish(cp_bus_t *self, const char *topic, const cp_msg_t *msg);
//  Send a request; returns its correlation id (never 0), or 0 on failure.
uint64_t cp_bus_request(cp_bus_t *self, const char *to, const cp_msg_t *msg);
//  Answer a request: partial (more follow) or final.
int cp_bus_reply(cp_bus_t *self, const cp_bus_envelope_t *request, const cp_msg_t *msg, bool final);

//  Join the bus: until our own probe event has come back through the
//  broker (proving our PUB linked and every subscription made before the
//  call in place), publishes are held in order and sent once joined.
//  Calling it again restarts the handshake with a fresh probe that covers
//  the subscriptions made since (the shell joins at once, to hold the
//  actor's first publishes, and again when the actor runs). Re-send the
//  probe with cp_bus_join_probe until joined (cp_bus_recv consumes it:
//  NULL, not counted as dropped). A bus never asked to join publishes at
//  once.
#define CP_BUS_HELD_MAX 1000
int cp_bus_join(cp_bus_t *self);
int cp_bus_join_probe(cp_bus_t *self);
bool cp_bus_joined(const cp_bus_t *self);

//  The two sockets to poll for input.
zsock_t *cp_bus_events(cp_bus_t *self);
zsock_t *cp_bus_requests(cp_bus_t *self);
//  Receive from one of them. Returns the message (NULL for an unreachable
//  notice, in which case env->kind is CP_BUS_UNREACHABLE, or on a message
//  that failed to decode: it is counted and dropped, *dropped set true).
cp_msg_t *cp_bus_recv(cp_bus_t *self, zsock_t *which, cp_bus_envelope_t *env, bool *dropped);
uint64_t cp_bus_dropped(const cp_bus_t *self);

//  ---- Owned by the supervisor: proxy + broker as one zactor ----
//  args: const cp_bus_endpoints_t * (copied before the actor signals).
void cp_bus_broker_actor(zsock_t *pipe, void *args);
//  The same, watched (loop.h): the supervisor sees a stuck broker without
//  sending it anything. args: const cp_bus_broker_args_t *.
typedef struct {
    cp_bus_endpoints_t ep;
    cp_loop_watch_t *watch;
} cp_bus_broker_args_t;
void cp_bus_watched_broker_actor(zsock_t *pipe, void *args);
#endif
