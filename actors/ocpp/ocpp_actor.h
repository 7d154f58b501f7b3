/* ocpp_actor.h — the OCPP session actor: owns the WebSocket to the central
 * system (gateway/wsclient), validates every inbound frame against the
 * official schemas, answers with the right CALLERROR, routes valid CALLs to
 * their owner actor, and sends other actors' CALLs one at a time after
 * registration (ocpp_core). Publishes "ocpp.state". */
#ifndef CP_ACTORS_OCPP_ACTOR_H
#define CP_ACTORS_OCPP_ACTOR_H
#include <czmq.h>
void ocpp_actor(zsock_t *pipe, void *args);
#endif
