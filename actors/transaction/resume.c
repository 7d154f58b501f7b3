/* resume.c — see resume.h: the rules, in the order they are checked. */
#include "actors/transaction/resume.h"

#include <assert.h>

//  A register read back from the board may differ from the saved one by
//  rounding (mWh on the wire, Wh in the store).
#define REGISTER_SLACK_WH 0.5

static int64_t
s_at_least(double saved, double board)
{
    return (int64_t) (board > saved ? board : saved);
}

static void
s_stop(resume_decision_t *out, const char *reason, int64_t meter_stop, const char *why)
{
    out->go_on = false;
    out->reason = reason;
    out->meter_stop = meter_stop;
    out->why = why;
}

void
resume_decide(const resume_row_t *row, const hw_connector_state_t *board, resume_decision_t *out)
{
    assert(row && out);
    const char *cut = row->clean_shutdown ? "Reboot" : "PowerLoss";
    if (!board)
        s_stop(out, cut, (int64_t) row->last_saved_wh, "the board did not report in time");
    else
    if (!board->board_continuous)
        s_stop(out, cut, s_at_least(row->last_saved_wh, board->energy_wh),
               "the board lost power too (or lives in this process)");
    else
    if (board->left_away)
        s_stop(out, "EVDisconnected", s_at_least(row->last_saved_wh, board->left_wh),
               "the car left while no controller was linked");
    else
    if (!board->plugged)
        s_stop(out, "EVDisconnected", s_at_least(row->last_saved_wh, board->energy_wh), "the car is gone");
    else
    if (!board->locked)
        s_stop(out, "Other", s_at_least(row->last_saved_wh, board->energy_wh),
               "the cable is not locked: the session had stopped before the controller died");
    else
    if (board->energy_wh + REGISTER_SLACK_WH < row->last_saved_wh)
        s_stop(out, "PowerLoss", (int64_t) row->last_saved_wh, "the meter register went backwards");
    else {
        out->go_on = true;
        out->reason = NULL;
        out->meter_stop = 0;
        out->why = "the car is still plugged and the meter register is continuous";
    }
}
