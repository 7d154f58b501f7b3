/* simboard.h — the simulated power board behind the board protocol.
 *
 * chargepoint-simboard (simboard_main.c) is the simulated charger as a
 * program of its own, like the MCU of a real power board: it owns the
 * simulated charger and EV (hw/sim), answers the controller's frames
 * (board_proto.h) and keeps running when the controller dies. This file is
 * its logic without sockets, so that tests drive it frame by frame:
 *   - every request frame gets exactly one reply frame;
 *   - PET feeds the board's own watchdog, capped at BOARD_WATCHDOG_MS:
 *     whatever the controller asks, contactors open 500 ms after its last
 *     pet (simboard_tick notices and logs the instant);
 *   - it knows which clients are controllers (they said HELLO) and so
 *     whether the car left while no controller was linked, and at which
 *     meter reading (reported in every STATE until the next outage);
 *   - its state (cable, EV request, meter register) is kept in a small
 *     file, so a board restarted after a clean power-down comes back as it
 *     was (and says it was continuous), while one killed mid-way (a power
 *     cut) comes back with the car and register but says it was not.
 */
#ifndef CP_HW_BOARD_SIMBOARD_H
#define CP_HW_BOARD_SIMBOARD_H

#include <stdbool.h>
#include <stdint.h>
#include "hw/board/board_proto.h"
#include "supervisor/clock.h"

typedef struct _simboard_t simboard_t;

//  A board with `connectors` connectors whose state file is state_path
//  ("" = none: nothing kept). The clock is borrowed. NULL on a bad count.
simboard_t *simboard_new(int connectors, cp_clock_t *clock, const char *state_path);
void simboard_destroy(simboard_t **self_p);
int simboard_connectors(const simboard_t *self);
uint32_t simboard_boot_id(const simboard_t *self);
//  From now on, answer as a board made before PET_READ existed: no
//  BOARD_HELLO_PET_READ flag, PET_READ answered ACK UNKNOWN (and no
//  BOARD_HELLO_REST, PET_REST the same) — what a
//  charger maker's older firmware does, so that the controller's fallback
//  to PET + READ is tested against the real thing.
void simboard_without_pet_read(simboard_t *self);

//  A client connected / went away. `controller` when it had said HELLO.
void simboard_client_gone(simboard_t *self, bool controller);

//  Handle one request frame; the reply goes to *reply. *hello is set when
//  it was a HELLO (the client is a controller from now on); *power_down
//  when the board is asked to stop (state saved, marked clean).
void simboard_handle(simboard_t *self, const board_frame_t *request, board_frame_t *reply, bool *hello,
                     bool *power_down);
//  The same for a frame that failed to decode: an ACK MALFORMED.
void simboard_malformed(simboard_t *self, board_frame_t *reply);

//  Run the model forward: enforce the watchdog, log contactors it opened
//  (with the wall-clock instant), save the state file when due. Call after
//  every request served and whenever simboard_tick_due_ms says.
void simboard_tick(simboard_t *self);
//  Milliseconds until simboard_tick has something to do: the watchdog's
//  expiry while it is armed, else SIMBOARD_TICK_MAX_MS (the state file's
//  cadence while the register moves). The model itself needs no tick (hw/sim
//  catches up against the clock at every op), so an idle board sleeps
//  between the controller's requests instead of waking every 10 ms.
int simboard_tick_due_ms(const simboard_t *self);
#define SIMBOARD_TICK_MAX_MS 1000

//  The connectors (bit n - 1 for connector n) whose report stepped
//  (hw_connector_stepped) since the controller last read it, while the
//  controller rests (from a PET_REST to the next PET or PET_READ): each
//  is owed a NOTICE on the controller's link. 0 when not resting. Call
//  after every request served and every tick.
uint32_t simboard_notices(simboard_t *self);

//  Save the state now; clean marks a deliberate power-down.
void simboard_save(simboard_t *self, bool clean);
#endif
