/* shell.h — the thin ZeroMQ shell every actor runs in.
 *
 * An actor is `void name_actor(zsock_t *pipe, void *args)` where args is a
 * cp_actor_args_t. The supervisor's shim has already signalled readiness
 * (so a failing start shows up as a death to restart, never a hang), so the
 * actor only builds its shell, registers its handler and extra timers or
 * readers on the shell's loop (supervisor/loop.h), and calls cp_shell_run. The shell owns:
 *   - the bus connection (events + requests), decoding into cp_msg_t;
 *   - the supervisor pipe protocol: $TERM (clean stop), $PING → $PONG
 *     (liveness), $KILL (fault injection: leave as if crashed), $HANG
 *     (fault injection: stop answering until the supervisor abandons us);
 *   - the actor's clock following the central system's time: the shell
 *     subscribes to "clock.offset", asks CP_SHELL_CLOCK_SOURCE for it at
 *     start (snapshot scope "clock") and sets every newer offset on the
 *     actor's own clock (args->clock), so no clock is shared by actors,
 *     and in --split every process stamps with the same time.
 * The actor's pure core never sees any of this.
 */
#ifndef CP_SUPERVISOR_SHELL_H
#define CP_SUPERVISOR_SHELL_H

#include <czmq.h>
#include <jansson.h>
#include <stdatomic.h>
#include "supervisor/bus.h"
#include "supervisor/loop.h"
#include "supervisor/clock.h"
#include "supervisor/options.h"

struct _hw_driver_t;

typedef struct {
    char name[CP_BUS_NAME_MAX];
    cp_bus_endpoints_t bus;
    const cp_options_t *options;   //  read-only after start
    cp_clock_t *clock;             //  the actor's own (the shell sets its offset)
    struct _hw_driver_t *hw;       //  the hardware (only the hw actor drives it)
    atomic_bool abandon;           //  supervisor → actor: give up an injected hang
    atomic_bool terminated;        //  shell → supervisor: left on $TERM
    //  Liveness in one process: the supervisor reads the actor's loop
    //  watch (loop.h) at its tick — an actor waiting for input or moving on
    //  is alive — instead of a $PING/$PONG on the pipe that would wake
    //  every actor every second. A --split process has no shared memory:
    //  pong_in_memory false there, and the pipe carries the ping.
    bool pong_in_memory;
    cp_loop_watch_t watch;
} cp_actor_args_t;

typedef struct _cp_shell_t cp_shell_t;

//  Called for every decoded bus message. msg is borrowed: the shell frees
//  it after the call. For an unreachable notice msg is NULL and env->kind
//  is CP_BUS_UNREACHABLE (env->corr is the failed request).
typedef void (cp_shell_handler_fn)(cp_shell_t *shell, const cp_bus_envelope_t *env,
                                   const cp_msg_t *msg, void *ctx);

cp_shell_t *cp_shell_new(zsock_t *pipe, cp_actor_args_t *args);
void cp_shell_destroy(cp_shell_t **self_p);
void cp_shell_set_handler(cp_shell_t *self, cp_shell_handler_fn *handler, void *ctx);

cp_loop_t *cp_shell_loop(cp_shell_t *self);
cp_bus_t *cp_shell_bus(cp_shell_t *self);
cp_actor_args_t *cp_shell_args(cp_shell_t *self);
const cp_options_t *cp_shell_options(cp_shell_t *self);
cp_clock_t *cp_shell_clock(cp_shell_t *self);
//  Apply a clock.offset (event or snapshot part) to clock unless it is
//  older than *seen (cp_msg_stale): how every shell follows the central
//  system's time, and the supervisor too, for the actors it starts.
void cp_shell_follow_offset(cp_clock_t *clock, int64_t *seen, const cp_msg_clock_offset_t *offset);
const char *cp_shell_name(cp_shell_t *self);

//  Runs the loop until $TERM (returns 0) or a fault injection (returns -1).
int cp_shell_run(cp_shell_t *self);

//  Publish an event / answer a request through the shell's bus.
int cp_shell_publish(cp_shell_t *self, const char *topic, const cp_msg_t *msg);
int cp_shell_reply(cp_shell_t *self, const cp_bus_envelope_t *request, const cp_msg_t *msg, bool final);

//  Answers an OCPP CALL the actor handles itself (CP_MSG_OCPP_INBOUND_REPLY):
//  the response as compact JSON, logged as "action → response: reason" under
//  log_tag; no response answers NotSupported. The response stays the
//  caller's. -1 when no reply could be built (the request then gets a failed
//  status instead).
int cp_shell_reply_ocpp(cp_shell_t *self, const cp_bus_envelope_t *request, const char *log_tag,
                        const char *action, const json_t *response, const char *reason);

//  Requests. Every request has a deadline, and the handler gets exactly one
//  outcome for it (cp_bus_is_outcome): its final reply; CP_BUS_UNREACHABLE
//  when the broker could not route it or when the supervisor announced its
//  actor down (sys.actor.<name>) while it was in flight — an actor that
//  died or hung never answers, and waiting for its deadline would only make
//  the sender late; or CP_BUS_TIMEOUT when no final reply came within
//  timeout_ms (a lost message, a peer too slow to be useful). Partial
//  replies before the outcome reach the handler as CP_BUS_PARTIAL; a reply
//  after it (late, or meant for an earlier incarnation of this actor) is
//  dropped. So a pending-request field in an actor is always cleared by
//  exactly one call. Returns the request's correlation id, or 0 when it
//  could not be sent at all (then nothing follows: the caller decides).
#define CP_SHELL_REQUEST_TIMEOUT_MS 5000
#define CP_SHELL_REQUESTS_MAX       1024
uint64_t cp_shell_request(cp_shell_t *self, const char *to, const cp_msg_t *msg);
uint64_t cp_shell_request_within(cp_shell_t *self, const char *to, const cp_msg_t *msg, int64_t timeout_ms);
//  Requests awaiting their outcome.
size_t cp_shell_requests_pending(const cp_shell_t *self);
//  Re-arm one one-shot deadline of the actor: the timer in *timer_id (0 =
//  none) is cancelled and, unless delay_ms is CP_SHELL_NEVER, a new one
//  fires fn(arg) after delay_ms, clamped to 1 ms .. CP_SHELL_MAX_SLEEP_MS
//  (a longer wait simply re-arms then). A deadline already past (a
//  negative delay: it fell due while the event was handled) fires at once,
//  never lost. Actors compute their earliest deadline and call this after
//  every event: they sleep exactly until something is due. A timer that
//  cannot be armed is logged with `late` (what will be late).
#define CP_SHELL_MAX_SLEEP_MS (3600 * 1000)
#define CP_SHELL_NEVER        INT64_MAX
void cp_shell_rearm(cp_shell_t *self, int *timer_id, int64_t delay_ms, cp_loop_timer_fn *fn, void *arg,
                    const char *late);

//  Ask `actor` for a snapshot of its levels (scope: who asks). Its partial
//  replies reach the handler as CP_BUS_PARTIAL messages, like events; the
//  shell consumes the final reply and, while the actor is unreachable (it
//  is restarting) or refuses, asks again every CP_SHELL_SNAPSHOT_RETRY_MS.
//  This is how a restarted actor rebuilds from state, never from lost
//  events. 0, or -1 when CP_SHELL_SNAPSHOTS are already in progress.
#define CP_SHELL_SNAPSHOTS          5      //  an actor's own, plus the clock's
//  The actor that learns the central system's time and publishes it as
//  "clock.offset" (CP_MSG_CLOCK_OFFSET); its own shell does not follow.
#define CP_SHELL_CLOCK_SOURCE       "ocpp"
#define CP_SHELL_SNAPSHOT_RETRY_MS  1000
//  cp_shell_run joins the bus first (bus.h, cp_bus_join): until then the
//  actor's publishes are held and its snapshots wait; the probe goes again
//  every CP_SHELL_JOIN_PROBE_MS until it has come back.
#define CP_SHELL_JOIN_PROBE_MS      5
int cp_shell_snapshot(cp_shell_t *self, const char *actor, const char *scope);
//  Final generic reply {ok, code, reason}.
int cp_shell_reply_status(cp_shell_t *self, const cp_bus_envelope_t *request, bool ok, const char *reason);
#endif
