/* cancel_reservation.c — CancelReservation (spec 5.1): Accepted when the
 * reservation existed (the connector becomes Available), Rejected when no
 * reservation has that id. */
#include "actors/transaction/tx_ops.h"

json_t *
cancel_reservation(tx_ops_ctx_t *ctx, const json_t *request)
{
    json_int_t id = json_integer_value(json_object_get(request, "reservationId"));
    bool ok = id >= INT32_MIN && id <= INT32_MAX && session_cancel_reservation(ctx->session, (int) id);
    return json_pack("{s:s}", "status", ok ? "Accepted" : "Rejected");
}
