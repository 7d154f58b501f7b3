/* trigger_message.h — TriggerMessage (spec 5.17) and DataTransfer from the
 * central system (spec 5.6), the two operations the ocpp actor answers
 * itself. One file each: trigger_message.c, data_transfer.c. */
#ifndef CP_ACTORS_OCPP_TRIGGER_MESSAGE_H
#define CP_ACTORS_OCPP_TRIGGER_MESSAGE_H

#include <jansson.h>
#include <stdbool.h>
#include "actors/ocpp/ocpp_core.h"

typedef struct {
    void (*boot)(void *ctx);                         //  send BootNotification now
    void (*heartbeat)(void *ctx);                    //  send Heartbeat now
    //  ask actor to send message for connector (-1 = all / not given)
    void (*forward)(void *ctx, const char *actor, const char *message, int connector);
    //  send a CALL with this payload (Diagnostics/FirmwareStatusNotification)
    void (*call)(void *ctx, const char *action, json_t *payload);
} trigger_effects_t;

//  Returns the response; the effects run after the caller has sent it
//  (the spec wants the answer first), so they are collected in *deferred.
typedef struct {
    char message[40];
    int connector;
    int valid;
} trigger_deferred_t;

//  What may be triggered depends on the registration (spec 4.2, errata
//  3.35): while Pending, anything — triggered messages are how a central
//  system learns about a charger it has not accepted yet, and the core
//  lets exactly those through (ocpp_core_allow_triggered); once Accepted,
//  anything but BootNotification (RECOMMENDED Rejected until the next
//  reboot or reconnect); before any answer to BootNotification, only a
//  BootNotification (nothing else may be sent then).
json_t *trigger_message(const json_t *request, int connectors, ocpp_reg_t registration,
                        trigger_deferred_t *deferred);
//  ExtendedTriggerMessage (whitepaper): trigger_message's rules for the
//  messages both share; SignChargePointCertificate (A02) Accepted once
//  registered when CpoName is set (A02's prerequisite; cpo_name_set),
//  else Rejected, and the security actor makes and sends the CSR;
//  NotImplemented for FirmwareStatusNotification (a
//  SignedFirmwareStatusNotification) and LogStatusNotification until they
//  are built.
json_t *extended_trigger_message(const json_t *request, int connectors, ocpp_reg_t registration,
                                 bool cpo_name_set, trigger_deferred_t *deferred);
//  How many messages a deferred trigger sends (connector -1: one per
//  connector, and connector 0 for StatusNotification): what the core lets
//  through while Pending.
int trigger_message_count(const trigger_deferred_t *deferred, int connectors);
void trigger_message_run(const trigger_deferred_t *deferred, const trigger_effects_t *fx, void *ctx);

json_t *data_transfer(const json_t *request);
#endif
