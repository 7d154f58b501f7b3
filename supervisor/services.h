/* services.h — the supervisor's own threads, watched like the actors.
 *
 * Why it exists: a controller that restarts every faulty actor but runs
 * its bus broker and its status page unwatched fails silently where it
 * matters most — a dead broker is a dead bus for everyone. Both threads
 * are supervised here, under the same policy (policy.h) as the actors:
 *
 *   broker      (bus.c) its thread ending is seen on its pipe at once, and
 *               every tick a request the supervisor sends itself through
 *               it must come back within liveness_ms. Over ipc:// or
 *               tcp:// an ended broker is restarted on the same endpoints
 *               and every peer reconnects by itself (requests in flight
 *               fail by their deadlines); over inproc:// connected sockets
 *               never reconnect, so the only safe recovery is the whole
 *               process: escalate. A broker that stops routing escalates
 *               too: its thread cannot be reclaimed. Critical.
 *   statuspage  (gateway/httpd.c) its thread counts a heartbeat every
 *               HTTPD_BEAT_MS. One that ended is restarted (a fresh lws
 *               context; browsers reconnect); one that stops beating is
 *               reported stuck and left alone: charging does not need it,
 *               and a thread cannot be killed. Not critical: past its limit
 *               it is left down and retried after the cool-down.
 *
 * Functions returning bool answer false when the supervisor must escalate
 * (exit 1); the reason is already logged.
 */
#ifndef CP_SUPERVISOR_SERVICES_H
#define CP_SUPERVISOR_SERVICES_H

#include <czmq.h>
#include <jansson.h>
#include "supervisor/bus.h"
#include "supervisor/clock.h"
#include "supervisor/loop.h"
#include "supervisor/options.h"
#include "supervisor/policy.h"

struct _httpd_t;

//  Their names in `cpctl actor list`, `actor kill` and status.services.
#define CP_SERVICE_BROKER     "broker"
#define CP_SERVICE_STATUSPAGE "statuspage"
//  Their entries in the policy, from first_index on.
#define CP_SERVICES           2

typedef struct _cp_services_t cp_services_t;

//  Starts the broker on the bus endpoints and puts it on the supervisor's
//  poller (borrowed, like the policy). NULL when it cannot start.
cp_services_t *cp_services_new(const cp_options_t *options, cp_clock_t *clock, cp_policy_t *policy,
                               int first_index, cp_poller_t *poller);
//  Stops the broker: last, after every actor has left the bus.
void cp_services_destroy(cp_services_t **self_p);
//  The supervisor's own bus connection, for the broker probe.
void cp_services_set_bus(cp_services_t *self, cp_bus_t *bus);
//  Watch the status page too (not owned; NULL: none served).
void cp_services_watch_httpd(cp_services_t *self, struct _httpd_t *httpd);

//  The broker's pipe: readable means its thread has ended.
void *cp_services_broker(cp_services_t *self);
bool cp_services_broker_ended(cp_services_t *self);
//  Once per tick: read the broker's loop watch and the status page's heartbeat.
bool cp_services_tick(cp_services_t *self, int64_t now_ms);
//  A restart whose back-off or cool-down is over.
bool cp_services_due(cp_services_t *self, int64_t now_ms);
//  When the next such restart is due; INT64_MAX when none is.
int64_t cp_services_next_start(const cp_services_t *self);
//  The supervisor was stalled for late ms: nobody could answer meanwhile.
void cp_services_discount(cp_services_t *self, int64_t late_ms);

//  status.services[] rows and `actor list` lines.
void cp_services_status(const cp_services_t *self, json_t *rows);
void cp_services_list(const cp_services_t *self, char *text, size_t size);
//  `actor kill NAME` for a service: -1 when NAME is no service, 0 done,
//  1 refused (reason filled).
int cp_services_fault(cp_services_t *self, const char *name, const char *fault, char *reason, size_t size);
#endif
