/* reset.c — Reset (spec 5.13): every transaction is stopped with reason
 * SoftReset or HardReset (durably queued before the answer), the answer is
 * Accepted, and the shell asks the supervisor to carry out the reset once
 * the answer has left: Soft restarts every actor in place, Hard restarts
 * the whole process. */
#include "actors/transaction/tx_ops.h"

#include <stdio.h>
#include <string.h>

json_t *
reset(tx_ops_ctx_t *ctx, const json_t *request)
{
    const char *type = json_string_value(json_object_get(request, "type"));
    bool hard = type && strcmp(type, "Hard") == 0;
    session_stop_connector(ctx->session, ctx->now, 0, hard ? "HardReset" : "SoftReset");
    snprintf(ctx->reset_type, sizeof(ctx->reset_type), "%s", hard ? "Hard" : "Soft");
    return json_pack("{s:s}", "status", "Accepted");
}
