/* actor_proc.c — see actor_proc.h. */
#include "supervisor/actor_proc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hw/board/board_link.h"
#include "hw/board/board_proto.h"
#include "supervisor/actors.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"

int
cp_proc_spawn(cp_proc_t *self, const cp_options_t *options, const char *name, const cp_clock_steer_t *steer)
{
    self->incarnation++;
    char endpoint[PATH_MAX + 32];
    if (snprintf(endpoint, sizeof(endpoint), "ipc://%s/actor-%s-%d", options->state_dir, name,
                 self->incarnation) >= (int) sizeof(endpoint))
        return -1;
    self->pipe = zsock_new(ZMQ_PAIR);
    if (!self->pipe || zsock_bind(self->pipe, "%s", endpoint) != 0) {
        cp_error("supervisor", "cannot bind %s for actor %s", endpoint, name);
        zsock_destroy(&self->pipe);
        return -1;
    }
    zsock_set_sndtimeo(self->pipe, 0);
    //  The child's command line: ours, plus who it is and where to talk.
    char **argv = calloc((size_t) options->argc + 14, sizeof(char *));
    if (!argv)
        return -1;
    int n = 0;
    for (int i = 0; i < options->argc; i++)
        argv[n++] = options->argv[i];
    argv[n++] = "--actor";
    argv[n++] = (char *) name;
    argv[n++] = "--pipe";
    argv[n++] = endpoint;
    argv[n++] = "--run-id";
    argv[n++] = (char *) options->run_id;
    argv[n++] = "--bus";
    argv[n++] = (char *) options->bus_prefix;
    char steer_arg[80];
    snprintf(steer_arg, sizeof(steer_arg), "%" PRId64 ":%" PRId64 ":%" PRId64, steer->from_ms, steer->to_ms,
             steer->start_ms);
    argv[n++] = "--clock-steer";
    argv[n++] = steer_arg;
    argv[n] = NULL;
    //  Execute the binary by its real path so the actor processes carry
    //  the program's name (ps, pgrep, gdb -p).
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len <= 0)
        snprintf(exe, sizeof(exe), "/proc/self/exe");
    else
        exe[len] = '\0';
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1)
            _exit(1);                           //  parent already gone
        execv(exe, argv);
        _exit(127);
    }
    free(argv);
    if (pid < 0) {
        cp_error("supervisor", "cannot fork actor %s: %s", name, strerror(errno));
        zsock_destroy(&self->pipe);
        return -1;
    }
    self->pid = pid;
    return 0;
}

int
cp_proc_exited(cp_proc_t *self, char *reason, size_t reason_size)
{
    if (self->pid <= 0)
        return 1;
    int status = 0;
    pid_t rc = waitpid(self->pid, &status, WNOHANG);
    if (rc == 0)
        return 0;
    if (rc < 0)
        snprintf(reason, reason_size, "lost (%s)", strerror(errno));
    else if (WIFSIGNALED(status))
        snprintf(reason, reason_size, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(reason, reason_size, "exited with code %d", WEXITSTATUS(status));
    self->pid = 0;
    return 1;
}

void
cp_proc_kill(cp_proc_t *self)
{
    if (self->pid > 0)
        kill(self->pid, SIGKILL);
}

void
cp_proc_reap(cp_proc_t *self, int grace_ms)
{
    if (self->pid > 0) {
        if (self->pipe)
            zstr_send(self->pipe, "$TERM");
        char reason[64];
        for (int waited = 0; waited < grace_ms && !cp_proc_exited(self, reason, sizeof(reason)); waited += 10)
            zclock_sleep(10);
        if (self->pid > 0) {
            cp_proc_kill(self);
            waitpid(self->pid, NULL, 0);
            self->pid = 0;
        }
    }
    zsock_destroy(&self->pipe);
}

//  An actor run as a thread inside this process: the actor the process
//  is for, and, in the hw process, the safety actor beside it.
typedef struct {
    zactor_fn *main;
    cp_actor_args_t args;
    zactor_t *zactor;              //  NULL while it is down
} embedded_t;

static void
s_embedded_shim(zsock_t *pipe, void *arg)
{
    embedded_t *embedded = arg;
    zsock_signal(pipe, 0);
    embedded->main(pipe, &embedded->args);
    //  As the supervisor's own shim: say how it left, so that joining the
    //  thread cannot block.
    zstr_send(pipe, atomic_load(&embedded->args.terminated) ? "$BYE" : "$DIED");
}

static embedded_t *
s_embedded_new(const cp_actor_def_t *def, const cp_options_t *options, cp_clock_t *clock, hw_driver_t *hw)
{
    embedded_t *self = calloc(1, sizeof(embedded_t));
    if (!self)
        return NULL;
    self->main = def->main;
    snprintf(self->args.name, sizeof(self->args.name), "%s", def->name);
    cp_bus_endpoints_init(&self->args.bus, options->bus_prefix);
    self->args.options = options;
    self->args.clock = cp_clock_new_following(clock);  //  its own, like every actor's
    self->args.hw = hw;
    if (!self->args.clock) {
        free(self);
        return NULL;
    }
    return self;
}

static void
s_embedded_destroy(embedded_t **self_p)
{
    embedded_t *self = *self_p;
    if (!self)
        return;
    cp_clock_destroy(&self->args.clock);
    free(self);
    *self_p = NULL;
}

static int
s_embedded_start(embedded_t *self, zpoller_t *poller)
{
    atomic_store(&self->args.abandon, false);
    atomic_store(&self->args.terminated, false);
    self->zactor = zactor_new(s_embedded_shim, self);
    if (!self->zactor)
        return -1;
    zpoller_add(poller, self->zactor);
    return 0;
}

//  The thread has said it left ($BYE/$DIED), or must leave now.
static void
s_embedded_join(embedded_t *self, zpoller_t *poller)
{
    if (!self->zactor)
        return;
    atomic_store(&self->args.abandon, true);    //  an injected hang gives up
    zpoller_remove(poller, self->zactor);
    zactor_destroy(&self->zactor);
}

static const cp_actor_def_t *
s_def(const char *name)
{
    for (int i = 0; i < cp_actor_def_count; i++)
        if (streq(cp_actor_defs[i].name, name))
            return &cp_actor_defs[i];
    return NULL;
}

//  The process's main thread relays between the supervisor's pipe and the
//  actor threads. Frames from the supervisor prefixed CP_PROC_GUEST go to
//  the guest (safety in the hw process; "$START" starts it again), the
//  rest to the actor; what the threads send goes back the same way. The
//  supervisor so runs the guest like any actor: pings, fault injection,
//  restarts under its policy. Returns when the actor has left; true when
//  it left on $TERM.
static bool
s_relay(zsock_t *pipe, embedded_t *actor, embedded_t *guest, zpoller_t *poller)
{
    while (true) {
        void *which = zpoller_wait(poller, -1);
        if (!which) {
            if (zpoller_terminated(poller))
                return false;           //  the context is going away
            continue;                   //  a signal
        }
        zmsg_t *msg = zmsg_recv(which);
        if (!msg)
            continue;
        char *first = zmsg_popstr(msg);
        bool done = false;
        if (which == pipe && first && guest && streq(first, CP_PROC_GUEST)) {
            char *cmd = zmsg_popstr(msg);
            if (cmd && streq(cmd, "$START") && !guest->zactor) {
                if (s_embedded_start(guest, poller) != 0) {
                    zstr_sendm(pipe, CP_PROC_GUEST);
                    zstr_send(pipe, "$DIED");
                }
            }
            else
            if (cmd && guest->zactor)
                zstr_send(guest->zactor, cmd);
            zstr_free(&cmd);
        }
        else
        if (which == pipe && first)
            zstr_send(actor->zactor, first);
        else
        if (guest && which == guest->zactor && first) {
            if (streq(first, "$DIED") || streq(first, "$BYE"))
                s_embedded_join(guest, poller);
            zstr_sendm(pipe, CP_PROC_GUEST);
            zstr_send(pipe, first);
        }
        else
        if (which == actor->zactor && first) {
            if (streq(first, "$BYE") || streq(first, "$DIED")) {
                if (streq(first, "$DIED"))
                    zstr_send(pipe, "$DIED");
                done = true;
            }
            else
                zstr_send(pipe, first);
        }
        zstr_free(&first);
        zmsg_destroy(&msg);
        if (done)
            return atomic_load(&actor->args.terminated);
    }
}

int
cp_proc_child_main(const cp_options_t *options)
{
    const cp_actor_def_t *def = s_def(options->actor);
    if (!def) {
        fprintf(stderr, "chargepointd: no actor named '%s'\n", options->actor);
        return 2;
    }
    zsys_init();
    cp_clock_t *clock = cp_clock_new_system();
    cp_clock_steer_t steer;
    //  The central system's time in force when the supervisor started us
    //  (the shell follows it from here on).
    if (clock && sscanf(options->clock_steer, "%" SCNd64 ":%" SCNd64 ":%" SCNd64, &steer.from_ms, &steer.to_ms,
                        &steer.start_ms) == 3)
        cp_clock_set_steer(clock, &steer);
    //  Only the hw process drives the board (its own process, hw/board):
    //  a restart of it re-links to a board that never stopped.
    hw_driver_t *hw = NULL;
    char err[256] = "";
    if (clock && streq(def->name, "hw")) {
        char path[PATH_MAX];
        hw_board_socket_path(options->state_dir, path, sizeof(path));
        hw = hw_board_link_new(path, BOARD_ROLE_CONTROLLER, clock, err, sizeof(err));
        if (!hw)
            fprintf(stderr, "chargepointd: actor hw: %s\n", err);
    }
    zsock_t *pipe = zsock_new(ZMQ_PAIR);
    if (!clock || (streq(def->name, "hw") && !hw) || !pipe || zsock_connect(pipe, "%s", options->pipe) != 0) {
        fprintf(stderr, "chargepointd: actor %s cannot reach the supervisor at %s\n", options->actor, options->pipe);
        return 2;
    }
    zsock_set_linger(pipe, 1000);
    cp_info("main", "actor %s running in process %d", def->name, (int) getpid());
    //  The fail-safe path talks to the hardware directly, so in split mode
    //  the safety actor runs as a thread of the process that owns the
    //  driver: the hw process, as its guest. If it dies there, the driver's
    //  watchdog opens the contactors until the supervisor has it started
    //  again; a restart of the hw process restarts it too.
    zpoller_t *poller = zpoller_new(pipe, NULL);
    embedded_t *actor = s_embedded_new(def, options, clock, hw);
    const cp_actor_def_t *guest_def = streq(def->name, "hw") ? s_def(CP_PROC_GUEST_ACTOR) : NULL;
    embedded_t *guest = guest_def ? s_embedded_new(guest_def, options, clock, hw) : NULL;
    bool clean = false;
    if (poller && actor && (!guest_def || guest) && (!guest || s_embedded_start(guest, poller) == 0)
    &&  s_embedded_start(actor, poller) == 0)
        clean = s_relay(pipe, actor, guest, poller);
    else
        zstr_send(pipe, "$DIED");
    if (actor)
        s_embedded_join(actor, poller);
    if (guest)
        s_embedded_join(guest, poller);
    s_embedded_destroy(&actor);
    s_embedded_destroy(&guest);
    zpoller_destroy(&poller);
    zsock_destroy(&pipe);
    hw_driver_destroy(&hw);
    cp_clock_destroy(&clock);
    zsys_shutdown();
    return clean ? 0 : 1;
}
