/* routes.c — see routes.h. */
#include "actors/ocpp/routes.h"

#include <stddef.h>
#include <string.h>

static const struct { const char *action; const char *owner; } s_routes[] = {
    { "GetConfiguration", "config" },
    { "ChangeConfiguration", "config" },
    { "RemoteStartTransaction", "transaction" },
    { "RemoteStopTransaction", "transaction" },
    { "UnlockConnector", "transaction" },
    { "ChangeAvailability", "transaction" },
    { "Reset", "transaction" },
    { "ReserveNow", "transaction" },
    { "CancelReservation", "transaction" },
    { "SendLocalList", "auth" },
    { "GetLocalListVersion", "auth" },
    { "ClearCache", "auth" },
    { "SetChargingProfile", "smartcharging" },
    { "ClearChargingProfile", "smartcharging" },
    { "GetCompositeSchedule", "smartcharging" },
};

//  The 1.6 security whitepaper's certificate and signed-firmware
//  operations: this charger runs security profiles 0-2 (Basic auth over
//  ws/wss) and does not manage client certificates.
static const char *const s_unsupported[] = {
    "CertificateSigned", "DeleteCertificate", "ExtendedTriggerMessage",
    "GetInstalledCertificateIds", "GetLog", "InstallCertificate", "SignedUpdateFirmware",
};

const char *
ocpp_route_owner(const char *action)
{
    for (size_t i = 0; i < sizeof(s_routes) / sizeof(s_routes[0]); i++)
        if (strcmp(s_routes[i].action, action) == 0)
            return s_routes[i].owner;
    return NULL;
}

bool
ocpp_route_unsupported(const char *action)
{
    for (size_t i = 0; i < sizeof(s_unsupported) / sizeof(s_unsupported[0]); i++)
        if (strcmp(s_unsupported[i], action) == 0)
            return true;
    return false;
}
