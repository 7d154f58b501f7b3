/* remote_start_transaction.c — RemoteStartTransaction (spec 5.11).
 * Accepted when a connector can take a new transaction; the idTag is then
 * authorized first when AuthorizeRemoteTxRequests is true, and the session
 * starts on plug-in (or at once if a car is already plugged). An attached
 * chargingProfile must be a TxProfile without transactionId (spec 5.16.2);
 * it is handed back in ctx->remote_profile and becomes the transaction's
 * TxProfile when it starts (the shell installs it with the smartcharging
 * actor). Anything else attached is Rejected, never silently ignored. */
#include "actors/transaction/tx_ops.h"

#include <string.h>
#include "supervisor/log.h"

json_t *
remote_start_transaction(tx_ops_ctx_t *ctx, const json_t *request)
{
    const char *id_tag = json_string_value(json_object_get(request, "idTag"));
    json_t *connector = json_object_get(request, "connectorId");
    json_t *profile = json_object_get(request, "chargingProfile");
    int n = connector ? tx_ops_connector(connector) : 0;
    bool ok = false;
    const char *purpose = json_string_value(json_object_get(profile, "chargingProfilePurpose"));
    if (profile && (!purpose || strcmp(purpose, "TxProfile") != 0 || json_object_get(profile, "transactionId")))
        cp_warn("transaction", "RemoteStartTransaction rejected: its chargingProfile must be a TxProfile"
                               " without transactionId");
    else
    if (connector && n < 1)
        ok = false;                 //  connectorId 0 is not a connector (spec 5.11)
    else
        ok = session_remote_start(ctx->session, ctx->now, n, id_tag, ctx->authorize_remote);
    if (ok && profile)
        ctx->remote_profile = json_incref(profile);
    return json_pack("{s:s}", "status", ok ? "Accepted" : "Rejected");
}
