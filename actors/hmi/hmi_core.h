/* hmi_core.h — the pure core of the HMI actor: controller state → what the
 * halo (LED ring) and the one-line display of each connector show.
 *
 * No bus, no clock, no I/O: the shell feeds it the OCPP connection state,
 * tx_connector and hw_connector states, FreeChargingEnabled (the seed's
 * AuthEnabled), presented tokens, keypad keys and the monotonic time in
 * ms, and asks for the view of a connector (hmi_core_view).
 *
 * Mapping, first matching row wins (per connector):
 *
 *   #  condition                                 halo    pattern display
 *   1  status Faulted                            red     blink   "Fault: <errorCode>[ <vendorErrorCode>]"
 *   2  PIN entry in progress (keypad)            cyan    steady  "Enter PIN: ****" (one * per digit)
 *   3  card rejected (see below), 5 s            red     blink   "Card not accepted"
 *      PIN of the wrong length, 5 s              red     blink   "PIN not accepted"
 *   4  status unknown (no tx_connector yet)      white   pulse   "Starting"
 *   5  Available, OCPP connecting / connected
 *      but registration not Accepted             cyan    pulse   "OCPP connecting"
 *   6  Available, OCPP connection error          red     steady  "OCPP connection error"
 *  6b  Available, the store takes no writes      red     steady  "Storage failure - service"
 *      (sessions still work: stops are kept in memory until the store
 *      takes them; the owner should know before it matters)
 *   7  Available, free charging on               yellow  steady  "Plug in to charge"
 *   8  Available, locked                         white   steady  "Locked - present card"
 *   9  Available, not locked                     green   steady  "Available"
 *  10  Preparing, authorized, not plugged        blue    pulse   "Authorized - plug in"
 *  11  Preparing, authorized (or free), plugged  blue    pulse   "Authorized"
 *  12  Preparing, not authorized                 blue    pulse   "Present card"
 *  13  Charging                                  green   pulse   "Charging 7.4 kW" ("Charging" at 0 W)
 *  14  SuspendedEV                               green   steady  "Paused by vehicle"
 *  15  SuspendedEVSE                             green   steady  "Paused by charger"
 *  16  Finishing                                 blue    steady  "Unplug"
 *  17  Reserved                                  purple  steady  "Reserved"
 *  18  Unavailable                               off     steady  "Unavailable"
 *  19  anything else (unknown status text)       white   steady  the status text
 *
 * OCPP "disabled" is the seed's standalone mode: no OCPP line at all.
 * "Authorized" on a connector means: a transaction is active, or a
 * presented token was accepted for it (below) during this Preparing
 * episode; it is forgotten when the connector leaves Preparing.
 *
 * Rejected cards (kept simple on purpose): the auth actor does not
 * publish refusals, so the core infers them. A token presented at time t
 * is pending until t + HMI_TOKEN_WAIT_MS. It is accepted if, before then,
 * some connector enters Preparing while unplugged (card first: a plug
 * would explain Preparing by itself) or starts or ends a transaction
 * (tx_active changes): that connector is marked authorized. Otherwise, at
 * the deadline, every connector shows "Card not accepted" for
 * HMI_REJECTED_SHOW_MS. A new token cancels the message.
 *
 * Keypad (the seed's PIN entry, user icon): digits append, 'C'
 * clears/cancels, '#' submits: hmi_core_key then returns 1 and copies the
 * PIN out, for the caller to present as a "pin" token — when it has
 * HMI_PIN_MIN..HMI_PIN_MAX digits. Typed too short or too long (a digit
 * past the maximum is never silently dropped: the entry is marked too
 * long), '#' submits nothing and "PIN not accepted" shows instead.
 * An entry idle for HMI_PIN_IDLE_MS is abandoned. Entry is charger-wide:
 * every non-faulted connector shows it.
 */
#ifndef CP_ACTORS_HMI_CORE_H
#define CP_ACTORS_HMI_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "messages/msg.h"

#define HMI_TOKEN_WAIT_MS    3000
#define HMI_REJECTED_SHOW_MS 5000
#define HMI_PIN_MIN          4        //  hw_core's rule for a "pin" token
#define HMI_PIN_MAX          8
#define HMI_PIN_IDLE_MS      30000

typedef enum {
    HMI_OCPP_DISABLED = 0,
    HMI_OCPP_CONNECTING,
    HMI_OCPP_CONNECTED,
    HMI_OCPP_ERROR
} hmi_ocpp_t;

//  What one connector shows; sizes match the hmi_state message.
typedef struct {
    char halo[17];
    char pattern[13];
    char display[65];
} hmi_view_t;

typedef struct _hmi_core_t hmi_core_t;

//  connectors: 1..HMI_MAX_CONNECTORS. NULL when out of range or memory.
#define HMI_MAX_CONNECTORS 8
hmi_core_t *hmi_core_new(int connectors);
void hmi_core_destroy(hmi_core_t **self_p);
int hmi_core_connectors(const hmi_core_t *self);

//  connection: disabled|connecting|connected|error (ocpp_state.connection;
//  anything else counts as connecting); registration: Accepted|Pending|...
void hmi_core_set_ocpp(hmi_core_t *self, const char *connection, const char *registration);
hmi_ocpp_t hmi_core_ocpp(const hmi_core_t *self);
void hmi_core_set_free_charging(hmi_core_t *self, bool on);
//  The durable store takes writes (store.state ok) or not.
void hmi_core_set_storage(hmi_core_t *self, bool ok);

//  Level-triggered states (the caller has dropped stale ones). Connectors
//  out of range are ignored.
void hmi_core_on_tx(hmi_core_t *self, const cp_msg_tx_connector_t *tx, int64_t now);
void hmi_core_on_hw(hmi_core_t *self, const cp_msg_hw_connector_t *hw);

//  A token was presented at the charger (auth.token).
void hmi_core_on_token(hmi_core_t *self, const char *id_tag, int64_t now);

//  A keypad key: '0'..'9', 'C' (clear / cancel), '#' (submit). Returns 1
//  when a PIN was submitted (copied into pin), 0 otherwise, -1 for an
//  unknown key.
int hmi_core_key(hmi_core_t *self, char key, int64_t now, char *pin, size_t pin_size);

//  Advance time: settles pending tokens, expires messages and PIN entry.
void hmi_core_tick(hmi_core_t *self, int64_t now);
//  Milliseconds until the next tick is due, -1 if none.
int64_t hmi_core_next_delay(const hmi_core_t *self, int64_t now);

//  The view of connector 1..N at now (ticks first; the view is zeroed
//  first, so two views compare with memcmp). -1 if out of range.
int hmi_core_view(hmi_core_t *self, int connector, int64_t now, hmi_view_t *view);
#endif
