/* security_events.h — the security events of the 1.6 security whitepaper
 * (edition 2, chapter 8), by name, with whether the whitepaper calls them
 * critical. Every event is kept in the security log; this charger sends
 * every one to the central system (chapter 8 only says critical ones
 * "should" be pushed; sending the others too hides nothing from the
 * operator and keeps one rule). An unknown name is refused at the door
 * (security_actor), so the log holds only the whitepaper's types. */
#ifndef CP_ACTORS_SECURITY_SECURITY_EVENTS_H
#define CP_ACTORS_SECURITY_SECURITY_EVENTS_H

#include <stdbool.h>

typedef struct {
    const char *name;
    bool critical;
} security_event_def_t;

//  The whole list, in the whitepaper's order; count in *count.
const security_event_def_t *security_events(int *count);
//  The definition of name, or NULL when the whitepaper has no such event.
const security_event_def_t *security_event_find(const char *name);
#endif
