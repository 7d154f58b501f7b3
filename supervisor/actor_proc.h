/* actor_proc.h — split mode: one actor in its own process.
 *
 * The actor code is the same as in threads: it gets a PAIR socket as its
 * "pipe" and speaks the same $TERM/$PING/$KILL/$HANG protocol with the
 * supervisor, and the bus is the same, over ipc://. The supervisor starts
 * the process by re-executing chargepointd with hidden --actor/--pipe
 * options (a fresh process: no state inherited from the parent but the
 * command line), and the kernel kills it if the supervisor dies
 * (PR_SET_PDEATHSIG), so no actor outlives its controller. Separate
 * processes give what threads cannot: a real crash (SIGKILL) stays inside
 * one actor, and a hung actor can be killed and restarted.
 *
 * Inside the process the actor runs as a thread and the main thread
 * relays the pipe, so that a second actor can live beside it (the hw
 * process's guest, below).
 */
#ifndef CP_SUPERVISOR_ACTOR_PROC_H
#define CP_SUPERVISOR_ACTOR_PROC_H

#include <czmq.h>
#include <sys/types.h>
#include "supervisor/clock.h"
#include "supervisor/options.h"

typedef struct {
    pid_t pid;                     //  0 when not running
    zsock_t *pipe;                 //  PAIR bound by the supervisor
    int incarnation;
} cp_proc_t;

//  Parent side ---------------------------------------------------------
//  Start actor `name` as a process of its own; steer is the central
//  system's time in force, which it starts with (hidden --clock-steer).
int cp_proc_spawn(cp_proc_t *self, const cp_options_t *options, const char *name, const cp_clock_steer_t *steer);
//  Ask to stop ($TERM), wait up to grace_ms, then SIGKILL; frees the pipe.
void cp_proc_reap(cp_proc_t *self, int grace_ms);
//  1 when the process has exited (reason filled), else 0.
int cp_proc_exited(cp_proc_t *self, char *reason, size_t reason_size);
//  Fault injection and recovery of a hung actor: SIGKILL.
void cp_proc_kill(cp_proc_t *self);

//  The hw process also runs the safety actor, as its guest: the fail-safe
//  path drives the hardware directly, and only that process owns the
//  driver. The supervisor addresses the guest through the hw process's
//  pipe with frames [CP_PROC_GUEST][command] (the same $PING/$KILL/$HANG
//  protocol, and $START to start it again after it left), and hears it
//  the same way.
#define CP_PROC_GUEST        "@guest"
#define CP_PROC_GUEST_ACTOR  "safety"
#define CP_PROC_GUEST_HOST   "hw"

//  Child side: run options->actor in this process. Returns the exit code.
int cp_proc_child_main(const cp_options_t *options);
#endif
