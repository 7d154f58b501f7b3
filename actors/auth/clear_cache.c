/* clear_cache.c — ClearCache (OCPP 1.6 5.4, errata 3.23): Accepted once
 * the Authorization Cache is empty; Rejected if the store failed. */
#include "actors/auth/auth_ops.h"

#include <stdio.h>

json_t *
clear_cache(auth_ops_ctx_t *ctx, const json_t *request)
{
    (void) request;
    ctx->reason[0] = '\0';
    bool ok = auth_cache_clear(ctx->cache) == 0;
    if (!ok)
        snprintf(ctx->reason, sizeof(ctx->reason), "store failure");
    return json_pack("{s:s}", "status", ok ? "Accepted" : "Rejected");
}
