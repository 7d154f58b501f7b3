/* tx_core.h — the pure core of the transaction actor (first increment):
 * the OCPP ChargePointStatus of every connector derived from the hardware,
 * and which StatusNotification still has to reach the central system.
 *
 * Level-triggered: the core keeps the current status and the last status
 * the central system acknowledged per connector. Whatever differs is sent
 * when the link is up and registration Accepted; on every (re)connection
 * all connectors, 0 included, are reported again, so no edge lost while
 * offline or during an actor restart can leave the central system wrong.
 */
#ifndef CP_ACTORS_TX_CORE_H
#define CP_ACTORS_TX_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include "hw/hw.h"

typedef struct {
    char status[16];               //  ChargePointStatus
    char error_code[32];           //  ChargePointErrorCode
    char vendor_error_code[50];
} tx_status_t;

typedef struct _tx_core_t tx_core_t;

tx_core_t *tx_core_new(int connectors);
void tx_core_destroy(tx_core_t **self_p);
int tx_core_connectors(const tx_core_t *self);

//  Pure mapping of hardware state to OCPP status.
void tx_core_derive(bool plugged, const char *fault, tx_status_t *out);

//  Hardware state of a connector (1..N). True when its status changed.
bool tx_core_on_hw(tx_core_t *self, int connector, bool plugged, const char *fault);
//  Set the full status of connector 0..N (computed by the session core).
//  True when it changed.
bool tx_core_set_status(tx_core_t *self, int connector, const tx_status_t *status);
//  MinimumStatusDuration (spec 9.1.20): a new status is reported only once
//  it has lasted this long, so short-lived ones are never sent. 0 = off.
void tx_core_set_min_duration(tx_core_t *self, int64_t ms);
//  tx_core_set_status with the time of the change.
bool tx_core_set_status_at(tx_core_t *self, int connector, const tx_status_t *status, int64_t now);
//  tx_core_next_report honouring the minimum duration; when something
//  waits for it, *wake_at is when to ask again (else INT64_MAX).
int tx_core_next_report_at(tx_core_t *self, int64_t now, tx_status_t *status, int64_t *wake_at);
//  TriggerMessage StatusNotification: report connector again, once — also
//  while the link is not Accepted (the central system asked, spec 4.2).
void tx_core_force_report(tx_core_t *self, int connector);
//  The OCPP link is usable (connected and Accepted) or not. A rising edge
//  marks every connector, 0 included, as to be reported again.
void tx_core_on_online(tx_core_t *self, bool online);
bool tx_core_online(const tx_core_t *self);

//  Next connector (0..N) whose status must be sent, or -1. Only one
//  report is in flight at a time, so reports arrive in order.
int tx_core_next_report(tx_core_t *self, tx_status_t *status);
//  The report for connector finished: ok = acknowledged by the CSMS.
void tx_core_report_done(tx_core_t *self, int connector, const tx_status_t *status, bool ok);

const tx_status_t *tx_core_status(const tx_core_t *self, int connector);
#endif
