/* shell.c — see shell.h. */
#define _GNU_SOURCE                 //  gettid, pthread_setname_np
#include "supervisor/shell.h"
#include "supervisor/loop.h"

#include <pthread.h>
#include <unistd.h>

#include <signal.h>

#include <assert.h>
#include "supervisor/log.h"
#include "supervisor/requests.h"

//  A snapshot request in progress (cp_shell_snapshot).
typedef struct {
    char actor[CP_BUS_NAME_MAX];   //  "" = free slot
    char scope[32];
    uint64_t corr;                 //  0 = waiting for the retry timer
} snapshot_t;

struct _cp_shell_t {
    zsock_t *pipe;                 //  to the supervisor (not owned)
    cp_actor_args_t *args;
    cp_bus_t *bus;
    cp_loop_t *loop;
    cp_shell_handler_fn *handler;
    void *ctx;
    int exit_code;
    snapshot_t snapshots[CP_SHELL_SNAPSHOTS];
    int snapshot_timer;            //  0 = none armed
    cp_requests_t *requests;       //  in flight, each with its deadline
    int request_timer;             //  0 = none armed
    int64_t request_timer_at;      //  the deadline it is armed for (INT64_MAX: none)
    int64_t clock_seen;            //  newest clock.offset seq (cp_msg_stale)
    bool joined;                   //  the bus handshake is done (cp_bus_join)
    int join_timer;                //  re-sends the probe until then; 0 = none
};

//  What a request in the table was for (cp_request_t.tag): the actor's own
//  (its handler gets the outcome), or snapshot i + 1 (the shell's).
#define TAG_ACTOR 0

static int64_t
s_mono(cp_shell_t *self)
{
    return cp_clock_mono_ms(self->args->clock);
}

static void s_snapshot_send(cp_shell_t *self, snapshot_t *snap);
static uint64_t s_request(cp_shell_t *self, const char *to, const cp_msg_t *msg, int64_t timeout_ms, int tag);

static int
s_on_snapshot_timer(cp_loop_t *loop, int timer_id, void *arg)
{
    cp_shell_t *self = arg;
    self->snapshot_timer = 0;
    for (int i = 0; i < CP_SHELL_SNAPSHOTS; i++)
        if (self->snapshots[i].actor[0] && !self->snapshots[i].corr)
            s_snapshot_send(self, &self->snapshots[i]);
    return 0;
}

//  One timer serves every snapshot due for a retry.
static void
s_snapshot_retry_later(cp_shell_t *self, snapshot_t *snap)
{
    snap->corr = 0;
    if (!self->snapshot_timer) {
        self->snapshot_timer = cp_loop_timer(self->loop, CP_SHELL_SNAPSHOT_RETRY_MS, 1,
                                           s_on_snapshot_timer, self);
        if (self->snapshot_timer < 0) {
            cp_error(self->args->name, "cannot arm a timer: the snapshot from %s is not retried",
                     snap->actor);
            self->snapshot_timer = 0;
            snap->actor[0] = '\0';
        }
    }
}

static void
s_snapshot_send(cp_shell_t *self, snapshot_t *snap)
{
    //  A snapshot answers for the past; events must cover everything
    //  after it, so it is asked only once our subscriptions are in place
    //  (s_on_joined sends the ones asked for before).
    if (!self->joined) {
        snap->corr = 0;
        return;
    }
    cp_msg_t *req = cp_msg_new(CP_MSG_SNAPSHOT_REQUEST);
    snap->corr = 0;
    if (req && cp_msg_set_str(req->u.snapshot_request.scope, snap->scope) == 0)
        snap->corr = s_request(self, snap->actor, req, CP_SHELL_REQUEST_TIMEOUT_MS,
                               (int) (snap - self->snapshots) + 1);
    cp_msg_destroy(&req);
    if (!snap->corr)
        s_snapshot_retry_later(self, snap);
}

//  The outcome of one of the shell's snapshot requests: done, or (the
//  actor is restarting, refused, or did not answer in time) ask again.
static void
s_snapshot_outcome(cp_shell_t *self, snapshot_t *snap, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    if (cp_bus_failed(env) || (msg && msg->type == CP_MSG_REPLY && !msg->u.reply.ok))
        s_snapshot_retry_later(self, snap);
    else
        snap->actor[0] = '\0';             //  done
}

//  Hand one outcome to whoever sent the request.
static void
s_deliver(cp_shell_t *self, const cp_request_t *request, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    if (request->tag != TAG_ACTOR) {
        snapshot_t *snap = &self->snapshots[request->tag - 1];
        if (snap->actor[0] && snap->corr == request->corr)
            s_snapshot_outcome(self, snap, env, msg);
    }
    else
    if (self->handler)
        self->handler(self, env, msg, self->ctx);
}

//  A failure outcome (timeout or unreachable) built by the shell itself.
static void
s_fail(cp_shell_t *self, const cp_request_t *request, cp_bus_kind_t kind)
{
    cp_bus_envelope_t env = { .kind = kind, .corr = request->corr };
    snprintf(env.peer, sizeof(env.peer), "%s", request->to);
    s_deliver(self, request, &env, NULL);
}

static int s_on_request_timer(cp_loop_t *loop, int timer_id, void *arg);

//  Arm the deadline timer for the earliest deadline unless it already is.
//  Lazy on purpose: an answered request leaves the timer armed for it (it
//  then fires, finds nothing due and re-arms), so the common path — a
//  request answered in time — costs no timer churn.
static void
s_requests_rearm(cp_shell_t *self)
{
    int64_t next = cp_requests_next_deadline(self->requests);
    if (next >= self->request_timer_at && self->request_timer)
        return;
    cp_shell_rearm(self, &self->request_timer, next == INT64_MAX ? CP_SHELL_NEVER : next - s_mono(self),
                   s_on_request_timer, self, "request deadlines are late");
    self->request_timer_at = self->request_timer ? next : INT64_MAX;
}

static int
s_on_request_timer(cp_loop_t *loop, int timer_id, void *arg)
{
    cp_shell_t *self = arg;
    self->request_timer = 0;
    self->request_timer_at = INT64_MAX;
    cp_request_t request;
    //  One at a time: a handler may send new requests meanwhile.
    while (cp_requests_expire(self->requests, s_mono(self), &request)) {
        cp_warn(self->args->name, "request %llu to %s timed out", (unsigned long long) request.corr, request.to);
        s_fail(self, &request, CP_BUS_TIMEOUT);
    }
    s_requests_rearm(self);
    return 0;
}

//  The supervisor announced an actor down: what was sent to it before
//  will never be answered.
static void
s_on_actor_state(cp_shell_t *self, const cp_msg_actor_state_t *state)
{
    if (!streq(state->state, "down"))
        return;
    cp_request_t request;
    while (cp_requests_peer_down(self->requests, state->name, state->seq, &request)) {
        cp_info(self->args->name, "request %llu to %s failed: %s is down", (unsigned long long) request.corr,
                request.to, request.to);
        s_fail(self, &request, CP_BUS_UNREACHABLE);
    }
}

//  --------------------------------------------------------------------------
//  The wall-clock offset (shell.h): every actor but its source follows
//  CP_SHELL_CLOCK_SOURCE's "clock.offset" on a clock of its own, the
//  event and the snapshot reply alike; the handler never sees them.

static void
s_clock_follow(cp_shell_t *self)
{
    if (!self->args->clock || streq(self->args->name, CP_SHELL_CLOCK_SOURCE))
        return;
    cp_bus_subscribe(self->bus, "clock.offset");
    //  Level-triggered: a (re)started actor learns the offset in force.
    cp_shell_snapshot(self, CP_SHELL_CLOCK_SOURCE, "clock");
}

//  True when msg is a clock offset, as an event or as a snapshot's part
//  (applied unless stale, and consumed).
static bool
s_clock_offset(cp_shell_t *self, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    if (!msg || msg->type != CP_MSG_CLOCK_OFFSET || (env->kind != CP_BUS_EVENT && env->kind != CP_BUS_PARTIAL))
        return false;
    if (self->args->clock)
        cp_shell_follow_offset(self->args->clock, &self->clock_seen, &msg->u.clock_offset);
    return true;
}

void
cp_shell_follow_offset(cp_clock_t *clock, int64_t *seen, const cp_msg_clock_offset_t *offset)
{
    assert(clock && seen && offset);
    if (!cp_msg_stale(offset->seq, seen))
        cp_clock_set_steer(clock, &(cp_clock_steer_t) {
            .from_ms = offset->slew_from_ms, .to_ms = offset->offset_ms, .start_ms = offset->slew_start_ms });
}

//  --------------------------------------------------------------------------

static int
s_on_pipe(cp_loop_t *loop, zsock_t *pipe, void *arg)
{
    cp_shell_t *self = arg;
    char *cmd = zstr_recv(pipe);
    if (!cmd)
        return 0;                   //  interrupted by a signal: not a command
    int rc = 0;
    if (streq(cmd, "$TERM")) {
        atomic_store(&self->args->terminated, true);
        self->exit_code = 0;
        rc = -1;
    }
    else
    if (streq(cmd, "$PING")) {
        zstr_send(pipe, "$PONG");
        cp_loop_touch(self->loop, pipe);
    }
    else
    if (streq(cmd, "$KILL")) {
        cp_warn(self->args->name, "killed by fault injection");
        self->exit_code = -1;
        rc = -1;
    }
    else
    if (streq(cmd, "$CRASH")) {
        //  Fault injection, for real: a segmentation fault in this thread,
        //  which no thread can contain. The log line goes first, flushed,
        //  so that the cause of the death is on record.
        cp_error(self->args->name, "crashing by fault injection (SIGSEGV)");
        fflush(NULL);
        raise(SIGSEGV);
        abort();                    //  a SIGSEGV that was caught or ignored
    }
    else
    if (streq(cmd, "$HANG")) {
        //  Fault injection: stop serving everything, like a deadlock would,
        //  until the supervisor gives up on us.
        cp_warn(self->args->name, "hanging by fault injection");
        while (!atomic_load(&self->args->abandon))
            zclock_sleep(10);
        self->exit_code = -1;
        rc = -1;
    }
    zstr_free(&cmd);
    return rc;
}

//  Joined the bus: stop probing, serve requests, and ask the snapshots
//  that waited for it. Requests wait until now so that no answer (a
//  snapshot's levels) overtakes an event published before it and held
//  until the join: subscribers see the actor's changes in order.
static int s_on_bus(cp_loop_t *loop, zsock_t *sock, void *arg);

static void
s_on_joined(cp_shell_t *self)
{
    self->joined = true;
    if (self->join_timer)
        cp_loop_timer_end(self->loop, self->join_timer);
    self->join_timer = 0;
    if (cp_loop_reader_flags(self->loop, cp_bus_requests(self->bus), s_on_bus, self, CP_LOOP_TOUCHED_ONLY) != 0)
        cp_error(self->args->name, "cannot poll the requests socket");
    for (int i = 0; i < CP_SHELL_SNAPSHOTS; i++)
        if (self->snapshots[i].actor[0] && !self->snapshots[i].corr)
            s_snapshot_send(self, &self->snapshots[i]);
}

static int
s_on_join_timer(cp_loop_t *loop, int timer_id, void *arg)
{
    cp_shell_t *self = arg;
    cp_bus_join_probe(self->bus);
    return 0;
}

static int
s_on_bus(cp_loop_t *loop, zsock_t *sock, void *arg)
{
    cp_shell_t *self = arg;
    cp_bus_envelope_t env;
    bool dropped = false;
    cp_msg_t *msg = cp_bus_recv(self->bus, sock, &env, &dropped);
    if (!self->joined && cp_bus_joined(self->bus))
        s_on_joined(self);
    if (dropped)
        return 0;
    if (s_clock_offset(self, &env, msg))
        ;                           //  the shell's own: applied, unless stale
    else
    if (env.kind == CP_BUS_EVENT && msg && msg->type == CP_MSG_ACTOR_STATE)
        s_on_actor_state(self, &msg->u.actor_state);
    else
    if (cp_bus_is_outcome(&env)) {
        cp_request_t request;
        if (cp_requests_take(self->requests, env.corr, &request)) {
            s_deliver(self, &request, &env, msg);
        }
        else
            cp_debug(self->args->name, "dropped a late answer from %s to request %llu", env.peer,
                     (unsigned long long) env.corr);
    }
    else
    if (env.kind == CP_BUS_PARTIAL) {
        //  Part of an answer still awaited; none after the outcome.
        if (msg && cp_requests_has(self->requests, env.corr) && self->handler)
            self->handler(self, &env, msg, self->ctx);
    }
    else
    if (msg && self->handler)
        self->handler(self, &env, msg, self->ctx);
    cp_msg_destroy(&msg);
    return 0;
}

cp_shell_t *
cp_shell_new(zsock_t *pipe, cp_actor_args_t *args)
{
    assert(pipe && args);
    cp_shell_t *self = calloc(1, sizeof(cp_shell_t));
    if (!self)
        return NULL;
    self->pipe = pipe;
    self->args = args;
    //  A thread of the one process carries its actor's name (top -H,
    //  perf, /proc/PID/task/*/comm); a --split process keeps the program's
    //  name, which ps and pgrep look for.
    if (getpid() != gettid()) {
        char thread_name[16];
        snprintf(thread_name, sizeof(thread_name), "%.15s", args->name);
        pthread_setname_np(pthread_self(), thread_name);
    }
    self->bus = cp_bus_new(&args->bus, args->name);
    self->loop = cp_loop_new();
    self->requests = cp_requests_new(CP_SHELL_REQUESTS_MAX);
    self->request_timer_at = INT64_MAX;
    if (!self->bus || !self->loop || !self->requests) {
        cp_shell_destroy(&self);
        return NULL;
    }
    //  The supervisor, not SIGINT, decides when an actor stops (the loop
    //  never ends on a signal). The shell's own sockets are used only
    //  through the shell, which touches them after every send (loop.h).
    cp_loop_reader_flags(self->loop, pipe, s_on_pipe, self, CP_LOOP_TOUCHED_ONLY);
    if (args->pong_in_memory)
        cp_loop_watch(self->loop, &args->watch);
    cp_loop_reader_flags(self->loop, cp_bus_events(self->bus), s_on_bus, self, CP_LOOP_TOUCHED_ONLY);
    //  The requests socket is read once joined (s_on_joined).
    //  Hold what the actor publishes while it sets up (cp_shell_run joins).
    cp_bus_join(self->bus);
    //  Who dies: requests in flight to it fail at once (s_on_actor_state).
    cp_bus_subscribe(self->bus, "sys.actor.");
    //  Follow the central system's time (s_clock_follow).
    s_clock_follow(self);
    return self;
}

void
cp_shell_destroy(cp_shell_t **self_p)
{
    assert(self_p);
    cp_shell_t *self = *self_p;
    if (!self)
        return;
    cp_loop_destroy(&self->loop);
    cp_bus_destroy(&self->bus);
    cp_requests_destroy(&self->requests);
    free(self);
    *self_p = NULL;
}

void
cp_shell_set_handler(cp_shell_t *self, cp_shell_handler_fn *handler, void *ctx)
{
    assert(self);
    self->handler = handler;
    self->ctx = ctx;
}

cp_loop_t *cp_shell_loop(cp_shell_t *self) { return self->loop; }
cp_bus_t *cp_shell_bus(cp_shell_t *self) { return self->bus; }
cp_actor_args_t *cp_shell_args(cp_shell_t *self) { return self->args; }
const cp_options_t *cp_shell_options(cp_shell_t *self) { return self->args->options; }
cp_clock_t *cp_shell_clock(cp_shell_t *self) { return self->args->clock; }
const char *cp_shell_name(cp_shell_t *self) { return self->args->name; }

int
cp_shell_run(cp_shell_t *self)
{
    assert(self);
    self->exit_code = -1;
    //  Every subscription is made by now: join the bus (cp_bus_join), the
    //  probe sent again every CP_SHELL_JOIN_PROBE_MS until it comes back.
    if (cp_bus_join(self->bus) != 0)
        cp_warn(self->args->name, "the bus probe was not sent; sent again shortly");
    cp_loop_touch(self->loop, cp_bus_events(self->bus));     //  subscribing used the socket
    self->join_timer = cp_loop_timer(self->loop, CP_SHELL_JOIN_PROBE_MS, 0, s_on_join_timer, self);
    if (self->join_timer < 0) {
        cp_error(self->args->name, "cannot arm the bus probe timer");
        self->join_timer = 0;
        s_on_joined(self);          //  better unconfirmed than never
    }
    cp_loop_start(self->loop);
    return self->exit_code;
}

int
cp_shell_publish(cp_shell_t *self, const char *topic, const cp_msg_t *msg)
{
    return cp_bus_publish(self->bus, topic, msg);
}

static uint64_t
s_request(cp_shell_t *self, const char *to, const cp_msg_t *msg, int64_t timeout_ms, int tag)
{
    assert(self && to && msg && timeout_ms > 0);
    if (cp_requests_size(self->requests) >= CP_SHELL_REQUESTS_MAX) {
        cp_error(self->args->name, "%zu requests in flight: %s to %s not sent", cp_requests_size(self->requests),
                 cp_msg_type_name(msg->type), to);
        return 0;
    }
    cp_request_t request = { .sent_seq = cp_msg_seq_now(), .deadline_ms = s_mono(self) + timeout_ms, .tag = tag };
    snprintf(request.to, sizeof(request.to), "%s", to);
    request.corr = cp_bus_request(self->bus, to, msg);
    cp_loop_touch(self->loop, cp_bus_requests(self->bus));
    if (!request.corr)
        return 0;
    if (cp_requests_add(self->requests, &request) != 0) {
        //  Cannot be tracked (out of memory): its answer would be dropped.
        cp_error(self->args->name, "cannot track request %llu to %s: its answer will be ignored",
                 (unsigned long long) request.corr, to);
        return 0;
    }
    s_requests_rearm(self);
    return request.corr;
}

uint64_t
cp_shell_request(cp_shell_t *self, const char *to, const cp_msg_t *msg)
{
    return s_request(self, to, msg, CP_SHELL_REQUEST_TIMEOUT_MS, TAG_ACTOR);
}

uint64_t
cp_shell_request_within(cp_shell_t *self, const char *to, const cp_msg_t *msg, int64_t timeout_ms)
{
    return s_request(self, to, msg, timeout_ms, TAG_ACTOR);
}

size_t
cp_shell_requests_pending(const cp_shell_t *self)
{
    assert(self);
    return cp_requests_size(self->requests);
}

int
cp_shell_reply(cp_shell_t *self, const cp_bus_envelope_t *request, const cp_msg_t *msg, bool final)
{
    int rc = cp_bus_reply(self->bus, request, msg, final);
    cp_loop_touch(self->loop, cp_bus_requests(self->bus));
    return rc;
}

void
cp_shell_rearm(cp_shell_t *self, int *timer_id, int64_t delay_ms, cp_loop_timer_fn *fn, void *arg,
               const char *late)
{
    assert(self && timer_id && fn);
    if (*timer_id > 0)
        cp_loop_timer_end(self->loop, *timer_id);
    *timer_id = 0;
    if (delay_ms == CP_SHELL_NEVER)
        return;
    if (delay_ms < 1)
        delay_ms = 1;                       //  a due deadline must not spin the loop
    if (delay_ms > CP_SHELL_MAX_SLEEP_MS)
        delay_ms = CP_SHELL_MAX_SLEEP_MS;
    *timer_id = cp_loop_timer(self->loop, (size_t) delay_ms, 1, fn, arg);
    if (*timer_id < 0) {
        cp_error(self->args->name, "cannot arm a timer: %s until the next event", late ? late : "work is late");
        *timer_id = 0;
    }
}

int
cp_shell_snapshot(cp_shell_t *self, const char *actor, const char *scope)
{
    assert(self && actor && scope);
    for (int i = 0; i < CP_SHELL_SNAPSHOTS; i++) {
        snapshot_t *snap = &self->snapshots[i];
        if (snap->actor[0])
            continue;
        snprintf(snap->actor, sizeof(snap->actor), "%s", actor);
        snprintf(snap->scope, sizeof(snap->scope), "%s", scope);
        s_snapshot_send(self, snap);
        return 0;
    }
    cp_error(self->args->name, "too many snapshots in progress: %s not asked", actor);
    return -1;
}

int
cp_shell_reply_status(cp_shell_t *self, const cp_bus_envelope_t *request, bool ok, const char *reason)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_REPLY);
    if (!msg)
        return -1;
    msg->u.reply.ok = ok;
    msg->u.reply.code = ok ? 0 : 1;
    cp_msg_set_str(msg->u.reply.reason, reason ? reason : "");
    int rc = cp_bus_reply(self->bus, request, msg, true);
    cp_loop_touch(self->loop, cp_bus_requests(self->bus));
    cp_msg_destroy(&msg);
    return rc;
}

int
cp_shell_reply_ocpp(cp_shell_t *self, const cp_bus_envelope_t *request, const char *log_tag,
                    const char *action, const json_t *response, const char *reason)
{
    assert(self && request && log_tag && action && reason);
    cp_msg_t *reply = cp_msg_new(CP_MSG_OCPP_INBOUND_REPLY);
    if (!reply) {
        cp_shell_reply_status(self, request, false, "out of memory");
        return -1;
    }
    cp_msg_ocpp_inbound_reply_t *out = &reply->u.ocpp_inbound_reply;
    if (response) {
        char *text = json_dumps(response, JSON_COMPACT);
        if (!text || cp_msg_set_text(&out->payload, text) != 0) {
            cp_msg_set_str(out->error_code, "InternalError");
            cp_msg_set_str(out->error_description, "cannot build the response");
        }
        else
            cp_info(log_tag, "%s → %s%s%s", action, text, reason[0] ? ": " : "", reason);
        free(text);
    }
    else {
        char description[64];
        snprintf(description, sizeof(description), "not handled by the %s actor", log_tag);
        cp_msg_set_str(out->error_code, "NotSupported");
        cp_msg_set_str(out->error_description, description);
    }
    cp_shell_reply(self, request, reply, true);
    cp_msg_destroy(&reply);
    return 0;
}
