/* remote_start_transaction.c — RemoteStartTransaction (spec 5.11).
 * Accepted when a connector can take a new transaction; the idTag is then
 * authorized first when AuthorizeRemoteTxRequests is true, and the session
 * starts on plug-in (or at once if a car is already plugged). A
 * chargingProfile cannot be honoured until smart charging exists, so such
 * a request is Rejected rather than started without its limit. */
#include "actors/transaction/tx_ops.h"

#include "supervisor/log.h"

json_t *
remote_start_transaction(tx_ops_ctx_t *ctx, const json_t *request)
{
    const char *id_tag = json_string_value(json_object_get(request, "idTag"));
    json_t *connector = json_object_get(request, "connectorId");
    int n = connector ? tx_ops_connector(connector) : 0;
    bool ok = false;
    if (json_object_get(request, "chargingProfile"))
        cp_warn("transaction", "RemoteStartTransaction with a chargingProfile rejected: smart charging is not available");
    else
    if (connector && n < 1)
        ok = false;                 //  connectorId 0 is not a connector (spec 5.11)
    else
        ok = session_remote_start(ctx->session, ctx->now, n, id_tag, ctx->authorize_remote);
    return json_pack("{s:s}", "status", ok ? "Accepted" : "Rejected");
}
