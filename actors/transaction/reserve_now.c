/* reserve_now.c — ReserveNow (spec 5.13): reserves a connector for an
 * idTag (or its parentIdTag group) until expiryDate. Accepted, Faulted,
 * Occupied, Unavailable, or Rejected (connector 0, unknown connector, or
 * an expiryDate already past). The same reservationId replaces the earlier
 * reservation. */
#include "actors/transaction/tx_ops.h"

#include "supervisor/clock.h"

json_t *
reserve_now(tx_ops_ctx_t *ctx, const json_t *request)
{
    int connector = tx_ops_connector(json_object_get(request, "connectorId"));
    json_int_t id = json_integer_value(json_object_get(request, "reservationId"));
    const char *id_tag = json_string_value(json_object_get(request, "idTag"));
    const char *parent = json_string_value(json_object_get(request, "parentIdTag"));
    int64_t expiry = 0;
    const char *status = "Rejected";
    if (id >= INT32_MIN && id <= INT32_MAX
        && cp_clock_parse(json_string_value(json_object_get(request, "expiryDate")), &expiry) == 0
        && expiry > ctx->wall_ms)
        status = session_reserve(ctx->session, ctx->now, connector, (int) id, id_tag, parent ? parent : "",
                                 ctx->now + (expiry - ctx->wall_ms));
    return json_pack("{s:s}", "status", status);
}
