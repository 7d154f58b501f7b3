/* security_log.c — see security_log.h. */
#include "actors/security/security_log.h"

#include <assert.h>
#include <stdio.h>

int
security_log_append(security_store_t *store, security_log_bound_t *bound, const char *type,
                    const char *tech_info, int64_t at_ms, bool *cleared)
{
    assert(store && bound && type);
    if (cleared)
        *cleared = false;
    int dropped = 0;
    if (security_store_log_append(store, type, tech_info ? tech_info : "", at_ms, &dropped) != 0)
        return -1;
    if (dropped == 0) {
        bound->clearing = false;
        bound->dropped = 0;
        return 0;
    }
    bound->dropped += dropped;
    if (bound->clearing)
        return 0;
    char info[128];
    snprintf(info, sizeof(info), "the log is full (%d events): %d undelivered events dropped, oldest first",
             SECURITY_LOG_MAX, dropped);
    int again = 0;
    if (security_store_log_append(store, "SecurityLogWasCleared", info, at_ms, &again) != 0)
        return 0;                   //  the event itself is logged; the next drop tries again
    bound->clearing = true;
    bound->dropped += again;
    if (cleared)
        *cleared = true;
    return 0;
}
