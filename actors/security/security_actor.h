/* security_actor.h — the security whitepaper's actor (edition 2): the
 * durable store of CA certificates the central system installs
 * (InstallCertificate, GetInstalledCertificateIds, DeleteCertificate:
 * security_ops.h), and the security log with its queue of
 * SecurityEventNotifications (security_store.h, security_events.h).
 *   requests  ocpp_inbound (InstallCertificate, GetInstalledCertificateIds,
 *                           DeleteCertificate, CertificateSigned) → ocpp_inbound_reply
 *             trigger SignChargePointCertificate (from the ocpp actor's
 *                           ExtendedTriggerMessage) → reply {ok}, then a
 *                           SignCertificate CALL (A02; cp_cert.h)
 *             security_event → reply (ok once in the durable log; an
 *                              unknown type is refused)
 *             snapshot_request → security_state (partial), final reply {ok}
 *   events out "security.state": certificates, events logged and owed, the
 *                           Charge Point certificate in use and whether a
 *                           CSR is pending, on change (cpctl status →
 *                           "security"; the ocpp actor reconnects to present
 *                           a new certificate)
 *   events in "ocpp.state": notifications go out, oldest first and one at
 *                           a time, while connected and Accepted
 *             "config.changed": SecurityProfile, AuthorizationKey,
 *                           AuthorizationKeyEncoding or CpoName changed →
 *                           ReconfigurationOfSecurityParameters
 * It raises StartupOfTheDevice once per controller start (the run id, not
 * an actor restart), FirmwareUpdated when a start runs another firmware
 * version than the start before, and ReconfigurationOfSecurityParameters
 * when the
 * installed certificates change, InvalidChargePointCertificate when
 * CertificateSigned is Rejected (A02.FR.07). Others raise theirs with a
 * security_event request: ocpp (InvalidMessages, SettingSystemTime,
 * FailedToAuthenticateAtCentralSystem, InvalidCentralSystemCertificate),
 * transaction (ResetOrReboot).
 */
#ifndef CP_ACTORS_SECURITY_SECURITY_ACTOR_H
#define CP_ACTORS_SECURITY_SECURITY_ACTOR_H

#include <czmq.h>

void security_actor(zsock_t *pipe, void *args);
#endif
