/* unlock_connector.c — UnlockConnector (spec 5.18): a running transaction
 * on the connector is stopped first (reason UnlockCommand), then the lock
 * is released. The shell drives the lock; an unknown connector is
 * NotSupported (spec 7.46). The lock actuation result is reported by the
 * shell (UnlockFailed when the hardware refuses). */
#include "actors/transaction/tx_ops.h"

json_t *
unlock_connector(tx_ops_ctx_t *ctx, const json_t *request)
{
    int n = tx_ops_connector(json_object_get(request, "connectorId"));
    if (n < 1 || n > session_connectors(ctx->session))
        return json_pack("{s:s}", "status", "NotSupported");
    session_stop_connector(ctx->session, ctx->now, n, "UnlockCommand");
    return json_pack("{s:s}", "status", "Unlocked");
}
