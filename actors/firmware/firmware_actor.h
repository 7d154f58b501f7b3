/* firmware_actor.h — the Firmware Management profile's actor: firmware
 * updates (UpdateFirmware, FirmwareStatusNotification) and diagnostics
 * uploads (GetDiagnostics, DiagnosticsStatusNotification).
 *
 * The decisions are firmware_core.h's; this shell carries them out:
 * transfers run on threads of their own (transfer.h) so nothing here ever
 * waits on the network; the job is kept in firmware_store.h's tables; the
 * transaction actor holds the connectors during an install
 * (CP_MSG_FIRMWARE_HOLD); the supervisor restarts the process after it
 * (CP_MSG_SYSTEM_RESET Hard). Files live in STATE_DIR/firmware/.
 *   requests  ocpp_inbound (UpdateFirmware, GetDiagnostics)
 *                                → ocpp_inbound_reply
 *             trigger (FirmwareStatusNotification,
 *                      DiagnosticsStatusNotification) → reply, then the
 *                                  current status is sent
 *             snapshot_request   → final reply {ok}
 *   events in "ocpp.state": notifications go out while registered
 */
#ifndef CP_ACTORS_FIRMWARE_FIRMWARE_ACTOR_H
#define CP_ACTORS_FIRMWARE_FIRMWARE_ACTOR_H

#include <czmq.h>

void firmware_actor(zsock_t *pipe, void *args);
#endif
