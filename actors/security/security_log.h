/* security_log.h — appending to the bounded security log, and the one
 * event the log raises about itself.
 *
 * SecurityLogWasCleared (whitepaper chapter 8: "The security log was
 * cleared"): nothing on this charger clears the log on request, but its
 * bound (SECURITY_LOG_MAX rows, security_store.h) does drop entries. Rows
 * already delivered as SecurityEventNotification are only rotated out:
 * the central system holds them, nothing is lost. Rows still owed that the
 * bound drops are lost to everyone: that is the log being cleared, in part,
 * so it is raised — once per episode (an episode: appends that drop owed
 * rows, until an append drops none again), with how many went, so a central
 * system that stays away for thousands of events does not get thousands of
 * these. The episode is kept in memory: an actor restart in the middle of
 * one may raise it once more, which hides nothing. The event itself is the
 * newest row, so it is the last to be dropped.
 */
#ifndef CP_ACTORS_SECURITY_SECURITY_LOG_H
#define CP_ACTORS_SECURITY_SECURITY_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include "actors/security/security_store.h"

typedef struct {
    bool clearing;                 //  in an episode of owed rows dropped
    int64_t dropped;               //  owed rows dropped in this episode
} security_log_bound_t;

//  Append one event; when the bound dropped owed rows and no episode is
//  under way, append SecurityLogWasCleared after it. 0, or -1 when the
//  store failed (the event is not logged). *cleared (may be NULL): true
//  when SecurityLogWasCleared was appended.
int security_log_append(security_store_t *store, security_log_bound_t *bound, const char *type,
                        const char *tech_info, int64_t at_ms, bool *cleared);
#endif
