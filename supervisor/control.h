/* control.h — the controller's answer to cpctl (and the status page).
 *
 * Why it exists: every way a person or a script drives a running charger
 * enters here — `cpctl COMMAND ARGS` as frames on the control endpoint (a
 * ROUTER), answered [code][text] with the exit codes of the interface
 * (0 done, 1 refused with a reason, 2 usage). The commands are a table
 * (name, argument count, handler, usage) so that each is one short handler
 * and a new one is one row, not another branch of a parser. Most commands
 * become a request to the actor that owns the thing (hw for the simulated
 * board, config for configuration keys, ocpp for DataTransfer), forwarded
 * on the supervisor's bus; the reply, "not running", or no answer within
 * CP_CONTROL_TIMEOUT_MS becomes the answer to cpctl, so cpctl never waits
 * on a dead actor. An actor that is restarting is not dead: a command sent
 * while it was not yet on the bus waits for it, within the same deadline. What only the supervisor knows (status, the actor table,
 * fault injection) it asks of its host through cp_control_host_t.
 */
#ifndef CP_SUPERVISOR_CONTROL_H
#define CP_SUPERVISOR_CONTROL_H

#include <czmq.h>
#include <jansson.h>
#include "supervisor/bus.h"
#include "supervisor/clock.h"
#include "supervisor/options.h"

//  Below cpctl's own 6 s timeout, so that cpctl prints our reason.
#define CP_CONTROL_TIMEOUT_MS 4500
//  Forwarded commands awaiting their actor's answer.
#define CP_CONTROL_PENDING_MAX 64

//  What the supervisor answers for the control commands.
typedef struct {
    void *ctx;
    //  The status object to print (the caller frees it).
    json_t *(*status)(void *ctx);
    //  `actor list`: one line per actor.
    void (*actor_list)(void *ctx, char *text, size_t size);
    //  `actor kill|hang NAME` (fault = "kill" or "hang"): 0 done, or 1 with
    //  the reason filled.
    int (*actor_fault)(void *ctx, const char *name, const char *fault, char *reason, size_t size);
    //  Optional. True while the actor is being (re)started and has not yet
    //  been heard serving: a command it could not take yet (the broker
    //  found no such peer) waits for it, until cp_control_actor_serving or
    //  the next expire tick sends it again, within the command's deadline.
    bool (*actor_starting)(void *ctx, const char *name);
} cp_control_host_t;

typedef struct _cp_control_t cp_control_t;

//  Binds options->control. NULL with a one-line reason in err.
cp_control_t *cp_control_new(const cp_options_t *options, cp_clock_t *clock, cp_bus_t *bus,
                             const cp_control_host_t *host, char *err, size_t err_size);
void cp_control_destroy(cp_control_t **self_p);
//  The same endpoint for the process's own clients (the status page): an
//  inproc:// twin of options->control, so that they do not talk through a
//  socket file, each connection with its own ZMTP engine and buffers on
//  both ends (~25 KB), and can connect before the endpoint is bound.
#define CP_CONTROL_INPROC "inproc://cp-control"

//  The ROUTER socket to poll.
zsock_t *cp_control_socket(cp_control_t *self);
//  Call used(arg, socket) after every answer sent on it, so that its owner
//  can poll it CP_LOOP_TOUCHED_ONLY (as cp_bus_on_use).
void cp_control_on_use(cp_control_t *self, cp_socket_used_fn *used, void *arg);
//  One command is waiting on the socket: answer or forward it.
void cp_control_on_command(cp_control_t *self);
//  A final reply or unreachable notice on the bus: true when it answered a
//  forwarded command (consumed), false when it is someone else's.
bool cp_control_on_reply(cp_control_t *self, const cp_bus_envelope_t *env, const cp_msg_t *msg);
//  The actor was heard serving: send it the commands that waited for it.
void cp_control_actor_serving(cp_control_t *self, const char *name);
//  Answer "did not answer in time" (or "not running", when it waited for
//  the actor to start) for forwarded commands past their deadline; send
//  the waiting ones again.
void cp_control_expire(cp_control_t *self);
//  The usage line of a command (NULL when there is no such command).
const char *cp_control_usage(const char *command);
#endif
