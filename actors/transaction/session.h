/* session.h — the pure core of charging sessions: authorization, start and
 * stop of transactions, availability, and the ChargePointStatus of each
 * connector (spec 4.x, 5.x, 3.x; StopTransaction reasons 7.36).
 *
 * No I/O and no clock of its own: the shell feeds it hardware state,
 * tokens, authorization results, central-system commands and `now` (ms,
 * monotonic), and the core asks for work through an effects table. Every
 * decision that matters for billing — when a transaction starts, with
 * which meter value, why it stops — is taken here, so it is unit-tested on
 * a virtual timeline.
 *
 * Identification: one charger-level "authorized, waiting for a plug" slot
 * (authorize-then-plug; RemoteStartTransaction may bind it to a
 * connector), expiring after ConnectionTimeOut. The same idTag — or, once
 * authorized, one with the same parentIdTag — stops the session.
 */
#ifndef CP_ACTORS_TRANSACTION_SESSION_H
#define CP_ACTORS_TRANSACTION_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include "actors/transaction/tx_core.h"
#include "hw/hw.h"

#define SESSION_TAG_MAX 20

typedef struct {
    //  Ask the authorization source (central system or offline rules) about
    //  id_tag; the answer comes back through session_on_authorized.
    void (*authorize)(void *ctx, const char *id_tag);
    //  Durably record a new transaction and queue its StartTransaction.
    //  Returns the local transaction id (> 0), or -1 if it could not be
    //  made durable (the session then does not start).
    int64_t (*start)(void *ctx, int connector, const char *id_tag, int64_t meter_start);
    //  Durably record the stop and queue StopTransaction.
    void (*stop)(void *ctx, int connector, int64_t tx_local, const char *id_tag, int64_t meter_stop,
                 const char *reason);
    void (*contactor)(void *ctx, int connector, bool closed);
    //  Engage or release the connector's cable lock.
    void (*lock)(void *ctx, int connector, bool locked);
    //  A reservation was made (active) or ended (expired, used, cancelled,
    //  connector faulted/unavailable): persist or forget it.
    void (*reservation)(void *ctx, int connector, int reservation_id, bool active);
    //  Wall-clock time now (ms since the epoch), for the start timestamp.
    int64_t (*wall_ms)(void *ctx);
    //  Persist a connector's availability (Operative / Inoperative).
    void (*availability)(void *ctx, int connector, bool operative);
} session_effects_t;

typedef struct {
    int connection_timeout_s;               //  ConnectionTimeOut
    bool stop_on_ev_side_disconnect;        //  StopTransactionOnEVSideDisconnect
    bool stop_on_invalid_id;                //  StopTransactionOnInvalidId
    bool unlock_on_ev_side_disconnect;      //  UnlockConnectorOnEVSideDisconnect
} session_config_t;

typedef struct {
    bool active;
    int64_t tx_local;
    int64_t tx_id;                          //  CSMS transactionId, when confirmed
    bool confirmed;
    char id_tag[SESSION_TAG_MAX + 1];
    char parent_id_tag[SESSION_TAG_MAX + 1];
    int64_t meter_start;
    int64_t started_wall_ms;
    bool suspended_invalid;                 //  StartTransaction.conf not Accepted, not stopped
} session_tx_t;

typedef struct {
    bool active;
    int id;                                 //  reservationId
    char id_tag[SESSION_TAG_MAX + 1];
    char parent_id_tag[SESSION_TAG_MAX + 1];
    int64_t deadline;                       //  monotonic ms
} session_reservation_t;

typedef struct _session_t session_t;

session_t *session_new(int connectors, const session_config_t *config,
                       const session_effects_t *effects, void *ctx);
void session_destroy(session_t **self_p);
void session_set_config(session_t *self, const session_config_t *config);

//  Inputs ---------------------------------------------------------------
void session_on_hw(session_t *self, int64_t now, const hw_connector_state_t *hw);
void session_on_token(session_t *self, int64_t now, const char *id_tag);
//  status: AuthorizationStatus (Accepted, Blocked, Expired, Invalid, ConcurrentTx)
void session_on_authorized(session_t *self, int64_t now, const char *id_tag, const char *status,
                           const char *parent_id_tag);
//  StartTransaction.conf for a transaction: its CSMS id and idTagInfo status.
void session_on_start_confirmed(session_t *self, int64_t now, int64_t tx_local, int64_t tx_id,
                                const char *status);
//  The safety actor's verdict for a connector. A trip stops the running
//  transaction with stop_reason and makes the connector Faulted with
//  error_code / vendor_error until the safety actor clears it. A hardware
//  fault seen without a safety verdict stops the transaction after
//  SESSION_FAULT_GRACE_MS with reason Other (the safety actor may be
//  restarting; the hardware interlock has opened the contactor anyway).
#define SESSION_FAULT_GRACE_MS 2000
void session_on_safety(session_t *self, int64_t now, int connector, bool tripped, const char *error_code,
                       const char *vendor_error, const char *stop_reason);
void session_tick(session_t *self, int64_t now);
int64_t session_next_deadline(const session_t *self);

//  Restore a transaction found open in the store after an actor restart.
void session_restore(session_t *self, int connector, const session_tx_t *tx);

//  Central-system commands ---------------------------------------------
//  RemoteStartTransaction (already authorized as AuthorizeRemoteTxRequests
//  demands): Accepted (true) or Rejected (false).
bool session_remote_start(session_t *self, int64_t now, int connector, const char *id_tag, bool authorize_first);
//  RemoteStopTransaction by CSMS transaction id.
bool session_remote_stop(session_t *self, int64_t now, int64_t tx_id);
//  Stop whatever runs on connector (0 = all) with reason; returns how many.
int session_stop_connector(session_t *self, int64_t now, int connector, const char *reason);
//  ChangeAvailability: "Accepted", "Rejected" or "Scheduled".
const char *session_change_availability(session_t *self, int64_t now, int connector, bool operative);
//  Availability loaded from the store at start (no effect emitted).
void session_load_availability(session_t *self, int connector, bool operative);

//  ReserveNow (spec 5.13): "Accepted", "Faulted", "Occupied", "Rejected"
//  or "Unavailable". Connector 0 is Rejected (ReserveConnectorZeroSupported
//  is false). A known reservation id is replaced.
const char *session_reserve(session_t *self, int64_t now, int connector, int reservation_id,
                            const char *id_tag, const char *parent_id_tag, int64_t deadline);
//  CancelReservation: true if it existed.
bool session_cancel_reservation(session_t *self, int reservation_id);
//  A reservation found in the store at start (no effect emitted).
void session_restore_reservation(session_t *self, int connector, const session_reservation_t *reservation);
const session_reservation_t *session_reservation(const session_t *self, int connector);
//  During the start effect: the reservation the starting transaction
//  uses up (its id goes into StartTransaction.req), or 0.
int session_starting_reservation(const session_t *self, int connector);

//  Views ----------------------------------------------------------------
int session_connectors(const session_t *self);
void session_status(const session_t *self, int connector, tx_status_t *out);
const session_tx_t *session_tx(const session_t *self, int connector);
const hw_connector_state_t *session_hw(const session_t *self, int connector);
bool session_operative(const session_t *self, int connector);
#endif
