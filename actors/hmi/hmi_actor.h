/* hmi_actor.h — the HMI actor: the thin shell around hmi_core (the halo
 * and display of every connector; mapping table in hmi_core.h).
 *
 * Listens:  "ocpp.state" (connection, registration),
 *           "tx.connector." (ChargePointStatus, tx_active, error codes),
 *           "hw.connector." (plugged, locked, power),
 *           "auth.token" (a presented card / PIN: rejected-card detection),
 *           "config.changed" (re-reads FreeChargingEnabled from its own
 *           config_store connection).
 *           Stale state messages are dropped (cp_msg_stale).
 * Publishes: hmi_state on "hmi.connector.<n>" whenever a connector's view
 *           changes (and once at start).
 * Answers:  snapshot_request → one partial hmi_state per connector, then
 *           a final ok reply.
 * On (re)start: snapshot_request to "transaction", "hw" and "ocpp",
 * retried by the shell (cp_shell_snapshot) while one is unreachable or refuses.
 * Keypad: hmi_core supports PIN entry, but no key source exists on the
 * bus yet (the simulated hw already emits hw.token source "pin").
 */
#ifndef CP_ACTORS_HMI_ACTOR_H
#define CP_ACTORS_HMI_ACTOR_H
#include <czmq.h>


void hmi_actor(zsock_t *pipe, void *args);
#endif
