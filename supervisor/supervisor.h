/* supervisor.h — the actor runtime: owns the bus, starts the actors,
 * watches their liveness and the broker's, and restarts what faults under
 * the supervision policy (policy.h: per-actor and global restart limits,
 * back-off, criticality — past a limit it escalates by exiting non-zero,
 * or leaves a non-critical actor down). It answers cpctl on the control
 * endpoint (control.h) with the status it keeps (status.h) and carries out
 * the Reset the central system asks for (reset.h).
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
//  Watch the status page's thread too (gateway/httpd.h; not owned: main
//  destroys it after the supervisor has stopped running).
struct _httpd_t;
void cp_supervisor_watch_httpd(cp_supervisor_t *self, struct _httpd_t *httpd);
//  Runs until SIGTERM/SIGINT (returns 0), escalation (returns 1) or a
//  Hard Reset (returns CP_EXIT_HARD_RESET).
int cp_supervisor_run(cp_supervisor_t *self);
#endif
