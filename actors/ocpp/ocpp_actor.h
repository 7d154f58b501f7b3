/* ocpp_actor.h — the OCPP session actor: owns the WebSocket to the central
 * system (gateway/wsclient), validates every inbound frame against the
 * official schemas, answers with the right CALLERROR, routes valid CALLs to
 * their owner actor, and sends other actors' CALLs one at a time after
 * registration (ocpp_core). Publishes "ocpp.state". */
#ifndef CP_ACTORS_OCPP_ACTOR_H
#define CP_ACTORS_OCPP_ACTOR_H
#include <czmq.h>
void ocpp_actor(zsock_t *pipe, void *args);
//  Its tables (CREATE … IF NOT EXISTS). main creates every store's in one
//  transaction before the actors start; the actor creates them too, when
//  started on a store of its own.
const char *ocpp_actor_schema(void);
#endif
