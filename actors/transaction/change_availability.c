/* change_availability.c — ChangeAvailability (spec 5.2): connector 0 means
 * the whole charge point. Inoperative while a transaction runs is
 * Scheduled and applied when it ends; the state is persisted so that an
 * Unavailable connector stays so across reboots (spec 5.2, lessons: no
 * "Available" flash at boot). */
#include "actors/transaction/tx_ops.h"

#include <string.h>

json_t *
change_availability(tx_ops_ctx_t *ctx, const json_t *request)
{
    int n = tx_ops_connector(json_object_get(request, "connectorId"));
    const char *type = json_string_value(json_object_get(request, "type"));
    bool operative = type && strcmp(type, "Operative") == 0;
    const char *status = session_change_availability(ctx->session, ctx->now, n, operative);
    return json_pack("{s:s}", "status", status);
}
