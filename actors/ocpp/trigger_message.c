/* trigger_message.c — TriggerMessage (spec 5.17): Accepted for every
 * message this charge point can send on request, Rejected for a connector
 * it does not have. The requested message goes out after the answer:
 * BootNotification and Heartbeat from the ocpp core itself,
 * StatusNotification from the transaction actor, MeterValues from the
 * metering actor; Diagnostics- and FirmwareStatusNotification from the
 * firmware actor, which answers the state of its upload or update (Idle
 * when nothing is going on). What may be triggered in which registration
 * state: trigger_message.h.
 *
 * ExtendedTriggerMessage (security whitepaper, edition 2) shares the
 * machinery for the messages the two have in common (BootNotification,
 * Heartbeat, MeterValues, StatusNotification); SignChargePointCertificate
 * goes to the security actor, which sends SignCertificate with a fresh CSR
 * (A02); its FirmwareStatusNotification asks for a
 * SignedFirmwareStatusNotification (6.14), which the firmware actor sends
 * with the state of its update; LogStatusNotification goes to the
 * firmware actor too (GetLog's upload). */
#include "actors/ocpp/trigger_message.h"

#include <stdio.h>
#include <string.h>

static const char *const s_supported[] = {
    "BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification",
    "Heartbeat", "MeterValues", "StatusNotification",
};

json_t *
trigger_message(const json_t *request, int connectors, ocpp_reg_t registration, trigger_deferred_t *deferred)
{
    memset(deferred, 0, sizeof(*deferred));
    const char *message = json_string_value(json_object_get(request, "requestedMessage"));
    json_t *connector = json_object_get(request, "connectorId");
    json_int_t n = connector ? json_integer_value(connector) : -1;
    if (connector && (n < 0 || n > connectors))
        return json_pack("{s:s}", "status", "Rejected");
    bool boot = message && strcmp(message, "BootNotification") == 0;
    if ((registration == OCPP_REG_ACCEPTED && boot)
    ||  (registration != OCPP_REG_ACCEPTED && registration != OCPP_REG_PENDING && message && !boot))
        return json_pack("{s:s}", "status", "Rejected");
    for (size_t i = 0; message && i < sizeof(s_supported) / sizeof(s_supported[0]); i++)
        if (strcmp(message, s_supported[i]) == 0) {
            snprintf(deferred->message, sizeof(deferred->message), "%s", message);
            deferred->connector = (int) n;
            deferred->valid = 1;
            return json_pack("{s:s}", "status", "Accepted");
        }
    return json_pack("{s:s}", "status", "NotImplemented");
}

json_t *
extended_trigger_message(const json_t *request, int connectors, ocpp_reg_t registration, bool cpo_name_set,
                         trigger_deferred_t *deferred)
{
    memset(deferred, 0, sizeof(*deferred));
    static const char *const shared[] = { "BootNotification", "Heartbeat", "MeterValues", "StatusNotification" };
    const char *message = json_string_value(json_object_get(request, "requestedMessage"));
    for (size_t i = 0; message && i < sizeof(shared) / sizeof(shared[0]); i++)
        if (strcmp(message, shared[i]) == 0)
            return trigger_message(request, connectors, registration, deferred);
    if (message && strcmp(message, "SignChargePointCertificate") == 0) {
        json_t *connector = json_object_get(request, "connectorId");
        //  A certificate belongs to the charge point, not to a connector;
        //  a CSR may go out only once registered (nothing else may while
        //  Pending but what was triggered, and a CSR is not cheap).
        if ((connector && json_integer_value(connector) != 0) || registration != OCPP_REG_ACCEPTED || !cpo_name_set)
            return json_pack("{s:s}", "status", "Rejected");
        snprintf(deferred->message, sizeof(deferred->message), "%s", message);
        deferred->connector = -1;
        deferred->valid = 1;
        return json_pack("{s:s}", "status", "Accepted");
    }
    if (message && strcmp(message, "LogStatusNotification") == 0) {
        json_t *connector = json_object_get(request, "connectorId");
        if ((connector && json_integer_value(connector) != 0)
        ||  (registration != OCPP_REG_ACCEPTED && registration != OCPP_REG_PENDING))
            return json_pack("{s:s}", "status", "Rejected");
        snprintf(deferred->message, sizeof(deferred->message), "LogStatusNotification");
        deferred->connector = -1;
        deferred->valid = 1;
        return json_pack("{s:s}", "status", "Accepted");
    }
    if (message && strcmp(message, "FirmwareStatusNotification") == 0) {
        json_t *connector = json_object_get(request, "connectorId");
        if ((connector && json_integer_value(connector) != 0)
        ||  (registration != OCPP_REG_ACCEPTED && registration != OCPP_REG_PENDING))
            return json_pack("{s:s}", "status", "Rejected");
        snprintf(deferred->message, sizeof(deferred->message), "SignedFirmwareStatusNotification");
        deferred->connector = -1;
        deferred->valid = 1;
        return json_pack("{s:s}", "status", "Accepted");
    }
    return json_pack("{s:s}", "status", "NotImplemented");
}

int
trigger_message_count(const trigger_deferred_t *deferred, int connectors)
{
    if (!deferred->valid)
        return 0;
    if (deferred->connector >= 0)
        return 1;
    if (strcmp(deferred->message, "StatusNotification") == 0)
        return connectors + 1;
    if (strcmp(deferred->message, "MeterValues") == 0)
        return connectors;
    return 1;
}

void
trigger_message_run(const trigger_deferred_t *deferred, const trigger_effects_t *fx, void *ctx)
{
    if (!deferred->valid)
        return;
    const char *m = deferred->message;
    if (strcmp(m, "BootNotification") == 0)
        fx->boot(ctx);
    else if (strcmp(m, "Heartbeat") == 0)
        fx->heartbeat(ctx);
    else if (strcmp(m, "StatusNotification") == 0)
        fx->forward(ctx, "transaction", m, deferred->connector);
    else if (strcmp(m, "MeterValues") == 0)
        fx->forward(ctx, "metering", m, deferred->connector);
    else if (strcmp(m, "SignChargePointCertificate") == 0)
        fx->forward(ctx, "security", m, deferred->connector);
    else
        fx->forward(ctx, "firmware", m, deferred->connector);
}
