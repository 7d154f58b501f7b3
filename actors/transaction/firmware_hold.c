/* firmware_hold.c — see firmware_hold.h. */
#include "actors/transaction/firmware_hold.h"

#include <string.h>

void
firmware_hold(session_t *session, int64_t now, bool hold, int64_t mask, int64_t *active, int64_t *held)
{
    *held = 0;
    *active = 0;
    int n = session_connectors(session);
    for (int c = 1; c <= n && c < 63; c++) {
        const session_tx_t *tx = session_tx(session, c);
        bool running = tx && tx->active;
        if (hold && session_operative(session, c)) {
            //  Scheduled while a transaction runs: operative until it ends,
            //  so ask again each time; the mask says who we hold.
            session_change_availability(session, now, c, false);
            *held |= (int64_t) 1 << c;
        }
        else
        if (!hold && (mask & ((int64_t) 1 << c)))
            session_change_availability(session, now, c, true);
        if (running)
            (*active)++;
    }
}
