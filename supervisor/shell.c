/* shell.c — see shell.h. */
#include "supervisor/shell.h"

#include <assert.h>
#include "supervisor/log.h"

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
    zloop_t *loop;
    cp_shell_handler_fn *handler;
    void *ctx;
    int exit_code;
    snapshot_t snapshots[CP_SHELL_SNAPSHOTS];
    int snapshot_timer;            //  0 = none armed
};

static void s_snapshot_send(cp_shell_t *self, snapshot_t *snap);

static int
s_on_snapshot_timer(zloop_t *loop, int timer_id, void *arg)
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
        self->snapshot_timer = zloop_timer(self->loop, CP_SHELL_SNAPSHOT_RETRY_MS, 1,
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
    cp_msg_t *req = cp_msg_new(CP_MSG_SNAPSHOT_REQUEST);
    snap->corr = 0;
    if (req && cp_msg_set_str(req->u.snapshot_request.scope, snap->scope) == 0)
        snap->corr = cp_bus_request(self->bus, snap->actor, req);
    cp_msg_destroy(&req);
    if (!snap->corr)
        s_snapshot_retry_later(self, snap);
}

//  True when env answers a snapshot in progress and the shell consumed it
//  (final replies); partial replies go on to the handler.
static bool
s_snapshot_answer(cp_shell_t *self, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    if (env->kind != CP_BUS_REPLY && env->kind != CP_BUS_UNREACHABLE)
        return false;
    for (int i = 0; i < CP_SHELL_SNAPSHOTS; i++) {
        snapshot_t *snap = &self->snapshots[i];
        if (!snap->actor[0] || !snap->corr || snap->corr != env->corr)
            continue;
        if (env->kind == CP_BUS_UNREACHABLE || (msg && msg->type == CP_MSG_REPLY && !msg->u.reply.ok))
            s_snapshot_retry_later(self, snap);
        else
            snap->actor[0] = '\0';             //  done
        return true;
    }
    return false;
}

static int
s_on_pipe(zloop_t *loop, zsock_t *pipe, void *arg)
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
    if (streq(cmd, "$PING"))
        zstr_send(pipe, "$PONG");
    else
    if (streq(cmd, "$KILL")) {
        cp_warn(self->args->name, "killed by fault injection");
        self->exit_code = -1;
        rc = -1;
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

static int
s_on_bus(zloop_t *loop, zsock_t *sock, void *arg)
{
    cp_shell_t *self = arg;
    cp_bus_envelope_t env;
    bool dropped = false;
    cp_msg_t *msg = cp_bus_recv(self->bus, sock, &env, &dropped);
    if (dropped)
        return 0;
    if (s_snapshot_answer(self, &env, msg)) {
        cp_msg_destroy(&msg);
        return 0;
    }
    if ((msg || env.kind == CP_BUS_UNREACHABLE) && self->handler)
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
    self->bus = cp_bus_new(&args->bus, args->name);
    self->loop = zloop_new();
    if (!self->bus || !self->loop) {
        cp_shell_destroy(&self);
        return NULL;
    }
    //  The supervisor, not SIGINT, decides when an actor stops.
    zloop_set_nonstop(self->loop, true);
    zloop_reader(self->loop, pipe, s_on_pipe, self);
    zloop_reader(self->loop, cp_bus_events(self->bus), s_on_bus, self);
    zloop_reader(self->loop, cp_bus_requests(self->bus), s_on_bus, self);
    return self;
}

void
cp_shell_destroy(cp_shell_t **self_p)
{
    assert(self_p);
    cp_shell_t *self = *self_p;
    if (!self)
        return;
    zloop_destroy(&self->loop);
    cp_bus_destroy(&self->bus);
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

zloop_t *cp_shell_loop(cp_shell_t *self) { return self->loop; }
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
    zloop_start(self->loop);
    return self->exit_code;
}

int
cp_shell_publish(cp_shell_t *self, const char *topic, const cp_msg_t *msg)
{
    return cp_bus_publish(self->bus, topic, msg);
}

uint64_t
cp_shell_request(cp_shell_t *self, const char *to, const cp_msg_t *msg)
{
    return cp_bus_request(self->bus, to, msg);
}

int
cp_shell_reply(cp_shell_t *self, const cp_bus_envelope_t *request, const cp_msg_t *msg, bool final)
{
    return cp_bus_reply(self->bus, request, msg, final);
}

void
cp_shell_rearm(cp_shell_t *self, int *timer_id, int64_t delay_ms, zloop_timer_fn *fn, void *arg,
               const char *late)
{
    assert(self && timer_id && fn);
    if (*timer_id > 0)
        zloop_timer_end(self->loop, *timer_id);
    *timer_id = 0;
    if (delay_ms == CP_SHELL_NEVER)
        return;
    if (delay_ms < 1)
        delay_ms = 1;                       //  a due deadline must not spin the loop
    if (delay_ms > CP_SHELL_MAX_SLEEP_MS)
        delay_ms = CP_SHELL_MAX_SLEEP_MS;
    *timer_id = zloop_timer(self->loop, (size_t) delay_ms, 1, fn, arg);
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
    cp_msg_destroy(&msg);
    return rc;
}
