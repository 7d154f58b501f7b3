/* routes.h — which actor owns each OCPP operation the central system may
 * call. One row per operation: the ocpp actor validates the frame and
 * forwards the payload to the owner, which answers from its own file for
 * that operation. */
#ifndef CP_ACTORS_OCPP_ROUTES_H
#define CP_ACTORS_OCPP_ROUTES_H

#include <stdbool.h>

//  Owner actor of action, or NULL when no actor handles it.
const char *ocpp_route_owner(const char *action);
//  True for a recognised operation that no actor handles: answered
//  NotSupported (OCPP-J 4.2.3). Unknown actions are the caller's
//  NotImplemented, decided before routing (ocppj_action_known).
bool ocpp_route_unsupported(const char *action);
#endif
