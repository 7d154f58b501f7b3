/* actor_proc.c — see actor_proc.h. */
#include "supervisor/actor_proc.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "actors/transaction/transaction_actor.h"
#include "hw/sim/sim.h"
#include "supervisor/actors.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"

int
cp_proc_spawn(cp_proc_t *self, const cp_options_t *options, const char *name)
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
    char **argv = calloc((size_t) options->argc + 12, sizeof(char *));
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

typedef struct {
    zactor_fn *main;
    cp_actor_args_t args;
} embedded_t;

static void
s_embedded_shim(zsock_t *pipe, void *arg)
{
    embedded_t *embedded = arg;
    zsock_signal(pipe, 0);
    embedded->main(pipe, &embedded->args);
}

int
cp_proc_child_main(const cp_options_t *options)
{
    const cp_actor_def_t *def = NULL;
    for (int i = 0; i < cp_actor_def_count; i++)
        if (streq(cp_actor_defs[i].name, options->actor))
            def = &cp_actor_defs[i];
    if (!def) {
        fprintf(stderr, "chargepointd: no actor named '%s'\n", options->actor);
        return 2;
    }
    zsys_init();
    cp_clock_t *clock = cp_clock_new_system();
    hw_driver_t *hw = hw_sim_new(options->connectors, clock);
    zsock_t *pipe = zsock_new(ZMQ_PAIR);
    if (!clock || !hw || !pipe || zsock_connect(pipe, "%s", options->pipe) != 0) {
        fprintf(stderr, "chargepointd: actor %s cannot reach the supervisor at %s\n", options->actor, options->pipe);
        return 2;
    }
    zsock_set_linger(pipe, 1000);
    if (streq(def->name, "hw")) {
        double registers[HW_MAX_CONNECTORS + 1] = { 0 };
        transaction_meter_registers(options->state_dir, registers, HW_MAX_CONNECTORS);
        for (int c = 1; c <= options->connectors; c++)
            hw_sim_set_register(hw, c, registers[c]);
    }
    cp_actor_args_t *args = calloc(1, sizeof(cp_actor_args_t));
    snprintf(args->name, sizeof(args->name), "%s", def->name);
    cp_bus_endpoints_init(&args->bus, options->bus_prefix);
    args->options = options;
    args->clock = clock;
    args->hw = hw;
    cp_info("main", "actor %s running in process %d", def->name, (int) getpid());
    //  The fail-safe path talks to the hardware directly, so in split mode
    //  the safety actor runs as a thread of the process that owns the
    //  driver: the hw process. If it dies there, the driver's watchdog
    //  opens the contactors; a restart of the hw process restarts it.
    zactor_t *safety = NULL;
    embedded_t *embedded = NULL;
    if (streq(def->name, "hw"))
        for (int i = 0; i < cp_actor_def_count; i++)
            if (streq(cp_actor_defs[i].name, "safety") && (embedded = calloc(1, sizeof(embedded_t)))) {
                embedded->main = cp_actor_defs[i].main;
                snprintf(embedded->args.name, sizeof(embedded->args.name), "safety");
                embedded->args.bus = args->bus;
                embedded->args.options = options;
                embedded->args.clock = cp_clock_new_like(clock);    //  its own, like every actor's
                embedded->args.hw = hw;
                safety = embedded->args.clock ? zactor_new(s_embedded_shim, embedded) : NULL;
            }
    def->main(pipe, args);
    zactor_destroy(&safety);
    if (embedded)
        cp_clock_destroy(&embedded->args.clock);
    free(embedded);
    bool clean = atomic_load(&args->terminated);
    if (!clean)
        zstr_send(pipe, "$DIED");
    zsock_destroy(&pipe);
    free(args);
    hw_driver_destroy(&hw);
    cp_clock_destroy(&clock);
    zsys_shutdown();
    return clean ? 0 : 1;
}
