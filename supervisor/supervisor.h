/* supervisor.h — the actor runtime: owns the bus, starts the actors,
 * watches their liveness, restarts what faults (one-for-one, with an
 * intensity limit past which it escalates by exiting non-zero), answers
 * cpctl on the control endpoint, and keeps the status snapshot that
 * `cpctl status` prints.
 */
#ifndef CP_SUPERVISOR_SUPERVISOR_H
#define CP_SUPERVISOR_SUPERVISOR_H

#include "hw/hw.h"
#include "supervisor/clock.h"
#include "supervisor/options.h"

typedef struct _cp_supervisor_t cp_supervisor_t;

//  cp_supervisor_run's answer to a Hard Reset: main restarts the process.
#define CP_EXIT_HARD_RESET 100

cp_supervisor_t *cp_supervisor_new(const cp_options_t *options, cp_clock_t *clock, hw_driver_t *hw,
                                   char *err, size_t err_size);
void cp_supervisor_destroy(cp_supervisor_t **self_p);
//  Runs until SIGTERM/SIGINT (returns 0), escalation (returns 1) or a
//  Hard Reset (returns CP_EXIT_HARD_RESET).
int cp_supervisor_run(cp_supervisor_t *self);
#endif
