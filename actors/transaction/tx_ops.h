/* tx_ops.h — the OCPP operations the transaction actor owns, one file each
 * (remote_start_transaction.c, remote_stop_transaction.c,
 * unlock_connector.c, change_availability.c, reset.c, reserve_now.c,
 * cancel_reservation.c). Each takes the
 * request payload (already validated against the official schema by the
 * gateway) and returns the response payload; the effects go through the
 * session core. */
#ifndef CP_ACTORS_TRANSACTION_TX_OPS_H
#define CP_ACTORS_TRANSACTION_TX_OPS_H

#include <jansson.h>
#include <stdbool.h>
#include "actors/transaction/session.h"

typedef struct {
    session_t *session;
    int64_t now;
    int64_t wall_ms;               //  for expiryDate
    bool authorize_remote;         //  AuthorizeRemoteTxRequests
    //  filled by reset: the reset the shell must carry out after replying
    char reset_type[8];
    //  filled by remote_start_transaction: a TxProfile for the transaction
    //  it will start (the caller owns the reference)
    json_t *remote_profile;
} tx_ops_ctx_t;

//  A connectorId from the wire, range-checked before it becomes an int
//  (4294967297 must not wrap to connector 1): the value, or -1 when out of
//  0..HW_MAX_CONNECTORS.
static inline int
tx_ops_connector(const json_t *value)
{
    json_int_t n = json_integer_value(value);
    return n >= 0 && n <= HW_MAX_CONNECTORS ? (int) n : -1;
}

json_t *remote_start_transaction(tx_ops_ctx_t *ctx, const json_t *request);
json_t *remote_stop_transaction(tx_ops_ctx_t *ctx, const json_t *request);
json_t *unlock_connector(tx_ops_ctx_t *ctx, const json_t *request);
json_t *change_availability(tx_ops_ctx_t *ctx, const json_t *request);
json_t *reset(tx_ops_ctx_t *ctx, const json_t *request);
json_t *reserve_now(tx_ops_ctx_t *ctx, const json_t *request);
json_t *cancel_reservation(tx_ops_ctx_t *ctx, const json_t *request);
#endif
