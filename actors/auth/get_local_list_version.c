/* get_local_list_version.c — GetLocalListVersion (OCPP 1.6 5.10): the
 * list's version, 0 when it is empty, -1 while LocalAuthListEnabled is
 * false (auth_ops.h). A store failure also answers -1: the central system
 * then does not rely on a list we cannot read. */
#include "actors/auth/auth_ops.h"

#include <stdio.h>

json_t *
get_local_list_version(auth_ops_ctx_t *ctx, const json_t *request)
{
    (void) request;
    ctx->reason[0] = '\0';
    int64_t version = ctx->list_enabled ? local_list_version(ctx->list) : -1;
    if (!ctx->list_enabled)
        snprintf(ctx->reason, sizeof(ctx->reason), "LocalAuthListEnabled is false");
    return json_pack("{s:I}", "listVersion", (json_int_t) version);
}
