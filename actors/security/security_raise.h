/* security_raise.h — how another actor hands a security event to the
 * security actor without losing it while that actor restarts: events wait
 * in a small FIFO in the raiser and go one at a time as security_event
 * requests; the head leaves the FIFO only when the security actor answered
 * ok (the event is in its durable log). No answer, unreachable (restarting,
 * hung) or a store failure: the head is sent again a second later. So one
 * raiser's events reach the log in the order it raised them. Bounded by
 * SECURITY_RAISE_MAX: past it a new event is dropped and logged (a
 * security actor down for that long is a fault the supervisor reports
 * anyway). Call security_raise_destroy before the shell is destroyed.
 * Used by the ocpp and transaction actors; the caller passes every request
 * outcome its shell delivers to security_raise_outcome first.
 */
#ifndef CP_ACTORS_SECURITY_SECURITY_RAISE_H
#define CP_ACTORS_SECURITY_SECURITY_RAISE_H

#include <stdbool.h>
#include "supervisor/shell.h"

#define SECURITY_RAISE_MAX 32
#define SECURITY_RAISE_RETRY_MS 1000

typedef struct _security_raise_t security_raise_t;

security_raise_t *security_raise_new(cp_shell_t *shell, const char *component);
void security_raise_destroy(security_raise_t **self_p);
//  Queue an event (type: security_events.h; tech_info: never a secret).
void security_raise(security_raise_t *self, const char *type, const char *tech_info);
//  true when env is the outcome of one of ours (then it is consumed).
bool security_raise_outcome(security_raise_t *self, const cp_bus_envelope_t *env, const cp_msg_t *msg);
//  Events not yet in the security log.
int security_raise_pending(const security_raise_t *self);
#endif
