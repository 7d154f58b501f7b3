/* ocpp_core.h — the pure core of the ocpp actor: registration, heartbeat
 * and the outbound CALL queue of OCPP 1.6-J, with no sockets and no clock.
 *
 * The shell feeds it connection events, results from the central system,
 * CALLs submitted by other actors and the current monotonic time; the core
 * answers through the effects table (send this text, complete that
 * request, state changed, set the wall clock). Rules it enforces (spec
 * 4.2, 4.6, OCPP-J 4.1.1):
 *   - nothing but BootNotification before Accepted — and, while Pending,
 *     what TriggerMessage asked for; Pending and Rejected are retried
 *     after the returned interval;
 *   - at most one charge-point CALL in flight, each with a deadline;
 *   - Heartbeat every interval once Accepted (sent even when other traffic
 *     flows: simpler to reason about, and it carries the clock);
 *   - results that match no CALL in flight are ignored (and logged).
 */
#ifndef CP_ACTORS_OCPP_CORE_H
#define CP_ACTORS_OCPP_CORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define OCPP_QUEUE_MAX 64
#define OCPP_LATE_MAX 4                //  timed-out CALLs whose answer is still taken

typedef enum { OCPP_CONN_DISABLED, OCPP_CONN_CONNECTING, OCPP_CONN_CONNECTED, OCPP_CONN_ERROR } ocpp_conn_t;
typedef enum { OCPP_REG_NONE, OCPP_REG_PENDING, OCPP_REG_ACCEPTED, OCPP_REG_REJECTED } ocpp_reg_t;

typedef struct {
    //  write one OCPP-J text frame to the central system; 0 if accepted
    int (*send)(void *ctx, const char *text);
    //  a submitted CALL is done: outcome result|error|timeout|rejected
    void (*complete)(void *ctx, const char *requester, uint64_t corr, const char *outcome,
                     const char *payload, const char *error_code, const char *error_description);
    //  connection / registration / interval changed
    void (*state_changed)(void *ctx);
    //  the central system told us the time (BootNotification, Heartbeat)
    void (*set_wall_clock)(void *ctx, int64_t wall_ms);
    //  accepted heartbeat interval, to persist as HeartbeatInterval
    void (*interval_accepted)(void *ctx, int seconds);
    //  the CALLRESULT of a CALL that had timed out (its requester got
    //  "timeout" then): the requester's message and the answer, so that it
    //  can take the answer instead of sending the message again — a late
    //  StartTransaction.conf must not become a second StartTransaction.
    //  NULL: late answers are dropped.
    void (*late)(void *ctx, const char *requester, const char *action, const char *call_payload,
                 const char *result_payload);
} ocpp_core_effects_t;

typedef struct {
    const char *vendor, *model, *serial, *firmware;
    int call_timeout_ms;           //  response timeout of one CALL
    int heartbeat_interval_s;      //  until the central system says otherwise
    int boot_retry_s;              //  retry when BootNotification fails / interval 0
    const char *id_prefix;         //  makes unique ids unique across restarts
} ocpp_core_config_t;

typedef struct _ocpp_core_t ocpp_core_t;

ocpp_core_t *ocpp_core_new(const ocpp_core_config_t *config, const ocpp_core_effects_t *effects, void *ctx);
void ocpp_core_destroy(ocpp_core_t **self_p);

//  After an actor restart: registration survives within one process run.
void ocpp_core_restore(ocpp_core_t *self, ocpp_reg_t registration, int interval_s, int64_t boot_count);

void ocpp_core_connecting(ocpp_core_t *self, int64_t now);
void ocpp_core_connected(ocpp_core_t *self, int64_t now);
void ocpp_core_disconnected(ocpp_core_t *self, int64_t now, const char *reason);
void ocpp_core_connect_failed(ocpp_core_t *self, int64_t now, const char *reason);
//  The seed's enable switch is off: CALLs are refused, nothing is sent,
//  and registration starts afresh when OCPP is switched on again.
void ocpp_core_disabled(ocpp_core_t *self, int64_t now);
//  Another central system or identity is about to be dialled: it has
//  never registered us, so the next connection starts with
//  BootNotification. Nothing more is sent on the old connection.
void ocpp_core_reregister(ocpp_core_t *self, int64_t now);

//  TriggerMessage while Pending (spec 4.2): the next `count` CALLs of
//  `action` submitted within a short window may be sent although the
//  registration is not Accepted. Nothing else is.
void ocpp_core_allow_triggered(ocpp_core_t *self, int64_t now, const char *action, int count);

//  Submit a CALL for the central system. Returns 0 if queued; -1 if
//  refused now (offline, not registered, queue full), reason filled.
int ocpp_core_submit(ocpp_core_t *self, int64_t now, const char *requester, uint64_t corr,
                     const char *action, const char *payload, char *reason, size_t reason_size);

//  Action of the CALL in flight with this unique id, or NULL.
const char *ocpp_core_inflight_action(const ocpp_core_t *self, const char *id);
//  A CALLRESULT (payload != NULL) or CALLERROR for unique id. Returns
//  -1 when no CALL with that id is in flight (late or unknown).
int ocpp_core_on_result(ocpp_core_t *self, int64_t now, const char *id, const json_t *payload,
                        const char *error_code, const char *error_description);

//  A CALLRESULT for a CALL that timed out (among the last OCPP_LATE_MAX):
//  its action, or NULL; and hand it to the requester (effects.late). -1
//  when id is not such a call.
const char *ocpp_core_late_action(const ocpp_core_t *self, const char *id);
int ocpp_core_on_late_result(ocpp_core_t *self, const char *id, const json_t *payload);

//  Timeouts, heartbeat, boot retry, queue pumping. Call at or after
//  ocpp_core_next_deadline.
void ocpp_core_tick(ocpp_core_t *self, int64_t now);
int64_t ocpp_core_next_deadline(const ocpp_core_t *self);

//  TriggerMessage: send a BootNotification / Heartbeat as soon as possible.
void ocpp_core_trigger_boot(ocpp_core_t *self, int64_t now);
void ocpp_core_trigger_heartbeat(ocpp_core_t *self, int64_t now);

void ocpp_core_set_heartbeat_interval(ocpp_core_t *self, int64_t now, int seconds);
//  MessageTimeout: the response timeout of CALLs sent from now on.
void ocpp_core_set_call_timeout(ocpp_core_t *self, int ms);
//  The unique-id prefix of CALLs sent from now on (config.id_prefix),
//  for a shell that learns it after creating the core.
void ocpp_core_set_id_prefix(ocpp_core_t *self, const char *prefix);

ocpp_conn_t ocpp_core_connection(const ocpp_core_t *self);
ocpp_reg_t ocpp_core_registration(const ocpp_core_t *self);
int ocpp_core_heartbeat_interval(const ocpp_core_t *self);
int64_t ocpp_core_boot_count(const ocpp_core_t *self);
const char *ocpp_core_last_error(const ocpp_core_t *self);
const char *ocpp_conn_name(ocpp_conn_t conn);
const char *ocpp_reg_name(ocpp_reg_t reg);
#endif
