/* safety_actor.h — the actor that keeps people and the charger safe.
 *
 * Unlike every other actor it touches the driver directly (args->hw),
 * through the minimal fail-safe path of hw.h: every SAFETY_TICK_MS it
 * feeds the hw watchdog (SAFETY_WATCHDOG_MS), reads every connector,
 * applies the rules of safety_core.h and permits or forbids each
 * contactor (with a derating cap). A trip therefore opens the contactor
 * within one tick, without any other actor or the bus; a dead or hung
 * safety actor opens every contactor within SAFETY_WATCHDOG_MS + one hw
 * read, because the hw layer stops honouring permissions on its own.
 *
 * Start-up (including a restart): permissions are withdrawn first — the
 * time nobody supervised is unknown — and re-granted, from a fresh look
 * at the hardware, only to connectors that are safe. A contactor opened
 * that way stays open until its owner (the transaction actor) closes it
 * again.
 *   events    "safety.connector.<n>"  safety_state, at start, on every
 *                                     change, every SAFETY_REFRESH_MS anyway
 *   requests  snapshot_request        → one partial safety_state per
 *                                       connector, then a final reply {ok}
 */
#ifndef CP_ACTORS_SAFETY_SAFETY_ACTOR_H
#define CP_ACTORS_SAFETY_SAFETY_ACTOR_H

#include <czmq.h>

//  args: cp_actor_args_t * with args->hw and args->clock set.
void safety_actor(zsock_t *pipe, void *args);

//  Event topic of a connector: "safety.connector.<n>".
void safety_topic(int connector, char *out, size_t out_size);
#endif
