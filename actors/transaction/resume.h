/* resume.h — what becomes of a transaction that an earlier run of the
 * controller left open (a crash, kill -9, an escalation, a systemd
 * restart): it goes on, or it ends with the reason the board's report
 * gives. Pure: the transaction actor asks it with the stored row and the
 * board's first report for that connector (docs/architecture.md,
 * "Sessions across a controller restart").
 *
 * The board of its own (hw/board) outlives the controller: it keeps the
 * cable, the EV and the meter register, and says whether it ran without a
 * power cut since the previous controller linked (continuous), and whether
 * the car left while no controller was linked (left_away, left_wh).
 *
 *   no report in time            the board is silent: it cannot vouch for
 *                                anything. Ends: PowerLoss (Reboot after a
 *                                clean shutdown), at the last saved reading.
 *   board not continuous         a power cut reached the board (or the
 *                                hardware lives in this process and died
 *                                with it). Ends: PowerLoss (Reboot after a
 *                                clean shutdown), at the board's register.
 *   the car left meanwhile       Ends: EVDisconnected, at the register the
 *                                board recorded the instant the car left.
 *   the car is not plugged       the same (a board that does not record
 *                                the instant): at the register now.
 *   the cable is not locked      the session had already stopped when the
 *                                controller died (a stop takes the lock
 *                                off before anything else can be lost; a
 *                                stop the failing store could not keep
 *                                dies with the process). Ends: Other, at
 *                                the register now: the user's stop is not
 *                                undone.
 *   the register went backwards  not the same meter: it cannot be billed
 *                                on. Ends: PowerLoss at the last saved
 *                                reading.
 *   otherwise                    the car is plugged and the register is
 *                                continuous: the session goes on, under
 *                                the same transaction.
 *
 * meterStop is never below the last saved reading (a MeterValues already
 * reported never bills more than the stop).
 */
#ifndef CP_TRANSACTION_RESUME_H
#define CP_TRANSACTION_RESUME_H

#include <stdbool.h>
#include <stdint.h>
#include "hw/hw.h"

typedef struct {
    double last_saved_wh;          //  the row's last saved reading
    bool clean_shutdown;           //  the earlier run stopped cleanly
} resume_row_t;

typedef struct {
    bool go_on;                    //  restore the session
    const char *reason;            //  else: the StopTransaction reason
    int64_t meter_stop;            //  else: its meterStop, Wh
    const char *why;               //  for the log
} resume_decision_t;

//  board is the board's first report for the row's connector since this
//  run started, or NULL when none came in time.
void resume_decide(const resume_row_t *row, const hw_connector_state_t *board, resume_decision_t *out);
#endif
