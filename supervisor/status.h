/* status.h — what `cpctl status` prints about the charger.
 *
 * Why it exists: status must answer at once and never ask an actor while
 * cpctl waits (an actor may be restarting), so the supervisor keeps a copy
 * of the latest level of everything it shows — OCPP link, each connector's
 * hardware, transaction, HMI and limit, the grid meter — fed by the events
 * actors publish and, after an actor (re)starts, by a snapshot asked of it
 * (level-triggered: a missed edge is never a stale status). This file is
 * that cache and the JSON built from it; the supervisor adds the actors'
 * own rows, which are its business (supervisor.c).
 *
 * It uses the supervisor's bus connection (borrowed) and reads the OCPP
 * settings in force from the store, read-only.
 */
#ifndef CP_SUPERVISOR_STATUS_H
#define CP_SUPERVISOR_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include "messages/msg.h"
#include "supervisor/bus.h"
#include "supervisor/options.h"

typedef struct _cp_status_t cp_status_t;

//  Subscribes the supervisor's bus to the events status shows. A store
//  that cannot be read is logged; status then shows the start-up options.
cp_status_t *cp_status_new(const cp_options_t *options, cp_bus_t *bus);
void cp_status_destroy(cp_status_t **self_p);

//  An event or a snapshot's partial reply: keep it if it is the newest.
void cp_status_absorb(cp_status_t *self, const cp_msg_t *msg);
//  Actor `actor` has (re)started: ask it for its levels (only the actors
//  whose state status shows are asked).
void cp_status_ask(cp_status_t *self, const char *actor);
//  A final reply or unreachable notice: true when it answered a snapshot
//  asked here (consumed), false when it is someone else's.
bool cp_status_on_reply(cp_status_t *self, const cp_bus_envelope_t *env);
//  Once a second: ask again the actors that were not on the bus yet.
void cp_status_tick(cp_status_t *self);

//  The status object, without "actors" (the caller appends them).
json_t *cp_status_json(cp_status_t *self);
#endif
