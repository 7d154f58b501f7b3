/* security_events.c — the whitepaper's table of security events
 * (edition 2, chapter 8), transcribed with its CRITICAL column. */
#include "actors/security/security_events.h"

#include <stddef.h>
#include <string.h>

static const security_event_def_t s_events[] = {
    { "FirmwareUpdated", true },
    { "FailedToAuthenticateAtCentralSystem", false },
    { "CentralSystemFailedToAuthenticate", false },
    { "SettingSystemTime", true },
    { "StartupOfTheDevice", true },
    { "ResetOrReboot", true },
    { "SecurityLogWasCleared", true },
    { "ReconfigurationOfSecurityParameters", false },
    { "MemoryExhaustion", true },
    { "InvalidMessages", false },
    { "AttemptedReplayAttacks", false },
    { "TamperDetectionActivated", true },
    { "InvalidFirmwareSignature", false },
    { "InvalidFirmwareSigningCertificate", false },
    { "InvalidCentralSystemCertificate", false },
    { "InvalidChargePointCertificate", false },
    { "InvalidTLSVersion", false },
    { "InvalidTLSCipherSuite", false },
};

const security_event_def_t *
security_events(int *count)
{
    *count = (int) (sizeof(s_events) / sizeof(s_events[0]));
    return s_events;
}

const security_event_def_t *
security_event_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof(s_events) / sizeof(s_events[0]); i++)
        if (strcmp(s_events[i].name, name) == 0)
            return &s_events[i];
    return NULL;
}
