/* hw_actor.h — the actor that owns the hardware.
 *
 * The only actor that drives a hw_driver_t (args->hw): everything else
 * sees the charger through it, as messages.
 *   events    "hw.connector.<n>"  hw_connector, at start, on every change
 *                                 (checked every 250 ms), at least once a
 *                                 second while power flows, every 10 s anyway
 *             "hw.token"          hw_token {card|rfid|pin, token}
 *   requests  hw_command          → reply {ok, code, reason}
 *             snapshot_request    → one partial hw_connector per connector,
 *                                   then a final reply {ok}
 * Decisions live in the pure core (hw_core.h); this is the shell.
 */
#ifndef CP_ACTORS_HW_HW_ACTOR_H
#define CP_ACTORS_HW_HW_ACTOR_H

#include <czmq.h>

//  args: cp_actor_args_t * with args->hw and args->clock set.
void hw_actor(zsock_t *pipe, void *args);
#endif
