/* board_link.h — the driver of a power board of its own (hw.h over the
 * board protocol, board_proto.h).
 *
 * This is the driver a charger maker replaces the transport of: every hw.h
 * op is one request frame and its reply (safety_feed_read: one PET_READ
 * per three connectors, or PET and a READ each for a board whose HELLO_ACK
 * does not offer PET_READ), here over the UNIX socket of the
 * simulated board (chargepoint-simboard), on a real charger over the UART
 * to the MCU. A link that breaks is re-made on the next call (at most
 * every BOARD_LINK_RETRY_MS) with a new HELLO; while it is down every op
 * fails, which the hw actor reports and the board's own watchdog makes
 * safe. Thread-safe (hw.h): one mutex around each request.
 */
#ifndef CP_HW_BOARD_BOARD_LINK_H
#define CP_HW_BOARD_BOARD_LINK_H

#include <stddef.h>
#include "hw/hw.h"
#include "supervisor/clock.h"

#define BOARD_LINK_TIMEOUT_MS  300      //  a board that takes longer is down
#define BOARD_LINK_RETRY_MS    200
#define BOARD_START_MS         3000     //  how long a started board may take to answer
#define BOARD_SOCKET_NAME      "board.sock"
#define BOARD_PROGRAM          "chargepoint-simboard"

//  The board's socket in a state dir.
void hw_board_socket_path(const char *state_dir, char *out, size_t out_size);

//  Connect to the board at socket_path and say HELLO as role
//  (BOARD_ROLE_CONTROLLER or _OBSERVER). NULL with err when it does not
//  answer. The clock is borrowed.
hw_driver_t *hw_board_link_new(const char *socket_path, int role, cp_clock_t *clock, char *err,
                               size_t err_size);

//  Make sure a simulated board runs for state_dir: when none answers on
//  its socket, start `program` (chargepoint-simboard, beside this
//  executable) detached, in its own session, so that it outlives us, and
//  wait until it answers. 0 (already running: 1), or -1 with err.
int hw_board_ensure(const char *state_dir, int connectors, const char *program, char *err, size_t err_size);

//  Ask the board to save its state and stop (a clean power-down). 0, or -1.
int hw_board_power_down(hw_driver_t *driver);
#endif
