/* transaction_actor.h — the transaction actor. First increment: reports
 * every connector's ChargePointStatus (Available, Preparing on plug,
 * Faulted on a hardware fault) with StatusNotification and publishes it as
 * "tx.connector.<n>". Sessions, metering and the durable outbox build on
 * this actor. */
#ifndef CP_ACTORS_TRANSACTION_ACTOR_H
#define CP_ACTORS_TRANSACTION_ACTOR_H
#include <czmq.h>
void transaction_actor(zsock_t *pipe, void *args);

//  The last energy reading persisted per connector (registers[1..max]),
//  for drivers whose meter cannot keep its register (the simulator).
void transaction_meter_registers(const char *state_dir, double *registers, int max);
#endif
