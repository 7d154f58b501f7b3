/* cancel_reservation.c — CancelReservation (spec 5.1): Accepted when the
 * reservation existed (the connector becomes Available), Rejected when no
 * reservation has that id. */
#include "actors/transaction/tx_ops.h"

json_t *
cancel_reservation(tx_ops_ctx_t *ctx, const json_t *request)
{
    int id = (int) json_integer_value(json_object_get(request, "reservationId"));
    bool ok = session_cancel_reservation(ctx->session, id);
    return json_pack("{s:s}", "status", ok ? "Accepted" : "Rejected");
}
