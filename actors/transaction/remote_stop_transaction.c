/* remote_stop_transaction.c — RemoteStopTransaction (spec 5.12): stops the
 * transaction with that CSMS transactionId with reason Remote; Rejected
 * when no such transaction runs here. */
#include "actors/transaction/tx_ops.h"

json_t *
remote_stop_transaction(tx_ops_ctx_t *ctx, const json_t *request)
{
    json_int_t tx_id = json_integer_value(json_object_get(request, "transactionId"));
    bool ok = session_remote_stop(ctx->session, ctx->now, (int64_t) tx_id);
    return json_pack("{s:s}", "status", ok ? "Accepted" : "Rejected");
}
