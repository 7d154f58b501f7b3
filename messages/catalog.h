/* catalog.h — every internal message of chargepointd, declared once.
 *
 * Each message is an X-macro field list F(KIND, name, size). From this one
 * list msg.h derives the C structs, and msg.c the msgpack encoder, decoder
 * and validation: adding a message means adding two lines here and nothing
 * else. Kinds:
 *   I64  int64_t            F64  double            BOOL  bool
 *   STR  char[size + 1], NUL-terminated, at most size bytes on the wire
 *   TEXT heap char * (may be NULL), at most CP_MSG_TEXT_MAX bytes
 *
 * Payloads of OCPP operations travel as TEXT holding JSON that the gateway
 * has already validated against the official schema; the actor that owns
 * the operation (one file per operation) turns it into its own model. That
 * keeps this catalog flat and the schemas the single source of truth for
 * OCPP shapes (see docs/architecture.md).
 */
#ifndef CP_MESSAGES_CATALOG_H
#define CP_MESSAGES_CATALOG_H

/* Level-triggered state messages (hw_connector, ocpp_state, tx_connector)
 * carry seq, the publisher's monotonic clock in ns when it was built: a
 * state can reach a consumer twice — as an event and as a snapshot reply,
 * by different paths — and the older one must not win (cp_msg_stale). */

/* hw → all (event "hw.connector.<n>"): level-triggered state of one
 * connector; published on every change and on a snapshot request. The
 * board's continuity (no power cut since the previous controller linked)
 * and whether the car left while no controller was linked, with the
 * register at that instant, decide a transaction an earlier run left open
 * (actors/transaction/resume.h). */
#define CP_MSG_HW_CONNECTOR(F)          \
    F(I64, connector, 0)                \
    F(BOOL, plugged, 0)                 \
    F(STR, pilot, 1)                    \
    F(BOOL, ev_requesting, 0)           \
    F(BOOL, contactor_closed, 0)        \
    F(BOOL, locked, 0)                  \
    F(F64, energy_wh, 0)                \
    F(F64, power_w, 0)                  \
    F(F64, current_a, 0)                \
    F(F64, voltage_v, 0)                \
    F(F64, requested_a, 0)              \
    F(F64, offered_a, 0)                \
    F(F64, duty_pct, 0)                 \
    F(F64, temperature_c, 0)            \
    F(STR, fault, 16)                   \
    F(BOOL, board_continuous, 0)        \
    F(BOOL, left_away, 0)               \
    F(F64, left_wh, 0)                  \
    F(BOOL, tamper, 0)                  \
    F(I64, seq, 0)

/* hw → all (event "hw.grid"): the household grid meter (Power Boost):
 * ok false when it does not answer; current_a the highest phase current
 * through the main fuse, charger_a the charger's own per-phase current
 * read in the same instant (so the household's share is the difference).
 * Published on change and every 2 s; absent when no meter is installed. */
#define CP_MSG_HW_GRID(F)               \
    F(BOOL, ok, 0)                      \
    F(F64, current_a, 0)                \
    F(F64, charger_a, 0)                \
    F(I64, seq, 0)

/* anyone → hw (request): drive the hardware or the simulated EV.
 * command: plug unplug ev_charge ev_pause fault contactor lock offer
 * rfid swipe pin; arg/value carry its operand. Reply: reply. */
#define CP_MSG_HW_COMMAND(F)            \
    F(I64, connector, 0)                \
    F(STR, command, 16)                 \
    F(STR, arg, 64)                     \
    F(F64, value, 0)

/* hw → all (event "hw.token"): an identifier presented to the charger.
 * source: rfid (raw UID hex) | card (formatted idTag) | pin. */
#define CP_MSG_HW_TOKEN(F)              \
    F(STR, source, 8)                   \
    F(STR, token, 64)

/* hw → all (event "hw.key"): one key pressed on the keypad: '0'..'9',
 * 'C' (clear / cancel) or '#' (submit). The hmi actor assembles the PIN
 * (showing one * per digit) and presents it to hw as a "pin" token. */
#define CP_MSG_HW_KEY(F)                \
    F(STR, key, 1)

/* generic reply to a request that only succeeds or fails */
#define CP_MSG_REPLY(F)                 \
    F(BOOL, ok, 0)                      \
    F(I64, code, 0)                     \
    F(STR, reason, 200)

/* anyone → any actor (request): reply with your level-triggered state as
 * partial replies, then a final reply. Used by a (re)started actor. */
#define CP_MSG_SNAPSHOT_REQUEST(F)      \
    F(STR, scope, 32)

/* ocpp → all (event "ocpp.state"): connection and registration state.
 * boot_count increases on each BootNotification Accepted, so that
 * subscribers know to re-announce (e.g. StatusNotification). link_root:
 * while a wss:// link is up, the SHA256 (hex) of the DER of the root
 * certificate its server's chain verified under ("" otherwise): the
 * CentralSystemRootCertificate in use (M04.FR.06). */
#define CP_MSG_OCPP_STATE(F)            \
    F(STR, connection, 12)              \
    F(STR, registration, 10)            \
    F(I64, heartbeat_interval, 0)       \
    F(I64, boot_count, 0)               \
    F(STR, last_error, 120)             \
    F(STR, link_root, 64)               \
    F(I64, seq, 0)

/* actor → ocpp (request): send a CALL to the central system. Reply:
 * ocpp_result. */
#define CP_MSG_OCPP_CALL(F)             \
    F(STR, action, 40)                  \
    F(TEXT, payload, 0)

/* outcome: result | error | timeout | rejected (not sent: not registered,
 * queue full, shutting down). received_seq (here, in ocpp_inbound and in
 * ocpp_late): cp_msg_seq_now() when the ocpp actor took the frame off the
 * link, so actors reached by different paths can still tell the central
 * system's order (auth: an IdTagInfo answered before a ClearCache is not
 * cached after it). */
#define CP_MSG_OCPP_RESULT(F)           \
    F(STR, outcome, 12)                 \
    F(TEXT, payload, 0)                 \
    F(STR, error_code, 40)              \
    F(STR, error_description, 255)      \
    F(I64, received_seq, 0)

/* ocpp → owning actor (request): a validated CALL from the central
 * system. Reply: ocpp_inbound_reply. */
#define CP_MSG_OCPP_INBOUND(F)          \
    F(STR, action, 40)                  \
    F(TEXT, payload, 0)                 \
    F(I64, received_seq, 0)

/* error_code empty → CALLRESULT with payload; else CALLERROR. */
#define CP_MSG_OCPP_INBOUND_REPLY(F)    \
    F(TEXT, payload, 0)                 \
    F(STR, error_code, 40)              \
    F(STR, error_description, 255)

/* anyone → config (request): read keys; key "" = all. Reply:
 * config_values with a JSON array of {key, value, readonly}; secrets
 * (AuthorizationKey) never appear with their value. */
#define CP_MSG_CONFIG_GET(F)            \
    F(STR, key, 50)

#define CP_MSG_CONFIG_VALUES(F)         \
    F(TEXT, json, 0)

/* anyone → config (request): change a key. origin: ocpp | local.
 * Reply: config_set_reply with the ChangeConfiguration status
 * (Accepted | Rejected | RebootRequired | NotSupported) and a reason. */
#define CP_MSG_CONFIG_SET(F)            \
    F(STR, key, 50)                     \
    F(STR, value, 500)                  \
    F(STR, origin, 8)

#define CP_MSG_CONFIG_SET_REPLY(F)      \
    F(STR, status, 16)                  \
    F(STR, reason, 200)

/* config → all (event "config.changed"): a key has a new persisted
 * value. Secret keys carry an empty value: readers take it from the
 * store. */
#define CP_MSG_CONFIG_CHANGED(F)        \
    F(STR, key, 50)                     \
    F(STR, value, 500)

/* transaction → all (event "tx.connector.<n>"): the OCPP view of one
 * connector (ChargePointStatus) and its transaction, if any. Connector 0
 * also carries dead_letters: transaction messages the outbox gave up on
 * and keeps (outbox.h). */
#define CP_MSG_TX_CONNECTOR(F)          \
    F(I64, connector, 0)                \
    F(STR, status, 16)                  \
    F(STR, error_code, 32)              \
    F(STR, vendor_error_code, 50)       \
    F(STR, info, 50)                    \
    F(BOOL, tx_active, 0)               \
    F(I64, tx_id, 0)                    \
    F(BOOL, tx_confirmed, 0)            \
    F(STR, id_tag, 20)                  \
    F(I64, meter_start, 0)              \
    F(STR, started_at, 32)              \
    F(I64, tx_local, 0)                 \
    F(I64, dead_letters, 0)             \
    F(I64, seq, 0)

/* metering → transaction (request): meter values of a running transaction,
 * committed to the durable outbox before the reply. kind: "periodic" (a
 * MeterValues.req of the transaction: sampled or clock-aligned) or
 * "stopdata" (kept for StopTransaction's transactionData). payload: JSON
 * array of MeterValue objects {timestamp, sampledValue: [...]}. Reply:
 * reply (ok once durable). */
#define CP_MSG_TX_METER(F)              \
    F(I64, connector, 0)                \
    F(I64, tx_local, 0)                 \
    F(STR, kind, 12)                    \
    F(TEXT, payload, 0)

/* ocpp → owner (request): TriggerMessage asked for this message now.
 * message: the requestedMessage; connector: 0..N, or -1 when absent.
 * Reply: reply (ok = will be sent). */
#define CP_MSG_TRIGGER(F)               \
    F(STR, message, 40)                 \
    F(I64, connector, 0)

/* transaction → supervisor (request): carry out a Reset after the
 * central system got its answer. type: Soft (restart every actor) or Hard
 * (restart the process). Reply: reply. */
#define CP_MSG_SYSTEM_RESET(F)          \
    F(STR, type, 8)

/* transaction → auth (request): may id_tag charge? purpose: start | stop
 * | remote. Reply: auth_result. The auth actor applies the local list,
 * the cache, the online/offline rules and asks the central system when
 * they say so. */
#define CP_MSG_AUTH_REQUEST(F)          \
    F(STR, id_tag, 20)                  \
    F(STR, purpose, 8)

/* status: AuthorizationStatus (Accepted, Blocked, Expired, Invalid,
 * ConcurrentTx); source: csms | list | cache | offline | free. */
#define CP_MSG_AUTH_RESULT(F)           \
    F(STR, id_tag, 20)                  \
    F(STR, status, 16)                  \
    F(STR, parent_id_tag, 20)           \
    F(STR, source, 8)

/* auth → all (event "auth.token"): an identifier presented at the charger,
 * already formatted as an OCPP idTag (RFID byte order, PIN mapping). */
#define CP_MSG_AUTH_TOKEN(F)            \
    F(STR, id_tag, 20)                  \
    F(STR, source, 8)

/* transaction → auth (event "auth.idtaginfo"): an IdTagInfo the central
 * system returned in StartTransaction.conf / StopTransaction.conf, for the
 * authorization cache. expiry_date: ISO 8601 or "". received_seq: the
 * answer's ocpp_result.received_seq (0: unknown). */
#define CP_MSG_AUTH_IDTAGINFO(F)        \
    F(STR, id_tag, 20)                  \
    F(STR, status, 16)                  \
    F(STR, parent_id_tag, 20)           \
    F(STR, expiry_date, 32)             \
    F(I64, received_seq, 0)

/* smartcharging → all (event "sc.limit.<n>"): the current limit that
 * applies to connector n now (the minimum of the OCPP composite schedule
 * and the local limits), and when it next changes (wall ms, 0 = never);
 * source names what holds it there (local_limits.h sc_source_name:
 * default ocpp installation owner schedule powerboost sharing). The
 * smartcharging actor also offers it to hw, which encodes it as the
 * pilot's duty cycle. */
#define CP_MSG_SC_LIMIT(F)              \
    F(I64, connector, 0)                \
    F(F64, limit_a, 0)                  \
    F(I64, next_change_ms, 0)           \
    F(STR, source, 16)                  \
    F(I64, seq, 0)

/* safety → all (event "safety.connector.<n>"): the safety verdict for
 * one connector. tripped: the contactor was opened for a hazard;
 * error_code: ChargePointErrorCode (GroundFailure, OverCurrentFailure,
 * HighTemperature, PowerSwitchFailure, OtherError) with vendor_error;
 * stop_reason: StopTransaction reason for a running transaction;
 * derate_a: a current cap in force (over-temperature), 0 = none. */
#define CP_MSG_SAFETY_STATE(F)          \
    F(I64, connector, 0)                \
    F(BOOL, tripped, 0)                 \
    F(STR, error_code, 32)              \
    F(STR, vendor_error, 50)            \
    F(STR, stop_reason, 16)             \
    F(F64, derate_a, 0)                 \
    F(I64, seq, 0)

/* hmi → all (event "hmi.connector.<n>"): what the halo and the display
 * of connector n show (see actors/hmi/hmi_core.h for the mapping).
 * halo: off|white|blue|green|yellow|red|purple|cyan; pattern:
 * steady|pulse|blink; display: the text line. Published on change and
 * as partial replies to a snapshot request. */
#define CP_MSG_HMI_STATE(F)             \
    F(I64, connector, 0)                \
    F(STR, halo, 16)                    \
    F(STR, pattern, 12)                 \
    F(STR, display, 64)                 \
    F(I64, seq, 0)

/* supervisor → all (event "sys.actor.<name>"): an actor's life, level-
 * triggered. state: running (started; incarnation counts the starts
 * since the controller started, 1 = first) | down (died, hung, killed or
 * stopped: requests in flight to it will never be answered, and the
 * shell fails them at once as unreachable). Published on every change and
 * as partial replies to a snapshot of the supervisor. */
#define CP_MSG_ACTOR_STATE(F)           \
    F(STR, name, 31)                    \
    F(STR, state, 8)                    \
    F(I64, incarnation, 0)              \
    F(I64, seq, 0)

/* ocpp → all (event "clock.offset"): the central system's time as an
 * offset from this host's wall clock (ms; from BootNotification.conf and
 * Heartbeat.conf currentTime), so that every process stamps with the same
 * time. Level-triggered: published on change and on a snapshot of ocpp.
 * offset_ms is the target; a small correction is slewed towards it from
 * slew_from_ms starting at slew_start_ms (monotonic ms, the same clock in
 * every process of the host): cp_clock_steer_t, supervisor/clock.h. */
#define CP_MSG_CLOCK_OFFSET(F)          \
    F(I64, offset_ms, 0)                \
    F(BOOL, synced, 0)                  \
    F(I64, seq, 0)                      \
    F(I64, slew_from_ms, 0)             \
    F(I64, slew_start_ms, 0)

/* anyone → transaction (request): act on the outbox. command: "retry"
 * (queue the dead letters again). Reply: reply (reason says how many). */
#define CP_MSG_OUTBOX_COMMAND(F)        \
    F(STR, command, 16)

/* transaction → all (event "store.state"): whether the durable store
 * takes writes (actors/transaction/store_health.h). ok false from the
 * first failed write until one succeeds again; error says what failed
 * first and why, since_ms when (wall ms), failures how many writes failed
 * since. Level-triggered: published on change and in every snapshot of
 * the transaction actor. */
#define CP_MSG_STORE_STATE(F)           \
    F(BOOL, ok, 0)                      \
    F(STR, error, 120)                  \
    F(I64, since_ms, 0)                 \
    F(I64, failures, 0)                 \
    F(I64, seq, 0)

/* ocpp → the requester of a CALL (request): the central system answered
 * a CALL after it had timed out (the requester was told "timeout").
 * call_payload is the CALL's payload as submitted, result_payload the
 * CALLRESULT's. The requester takes it if that message is still waiting
 * to be sent again. Reply: reply (ok = taken). */
#define CP_MSG_OCPP_LATE(F)             \
    F(STR, action, 40)                  \
    F(TEXT, call_payload, 0)            \
    F(TEXT, result_payload, 0)          \
    F(I64, received_seq, 0)

/* firmware → transaction (request): installing firmware must not cut a
 * charging session, and no new one may start while it waits. hold true:
 * every operative connector goes Unavailable, at once when free, else
 * when its transaction ends (ChangeAvailability's Scheduled path); hold
 * false: the connectors in the bit mask `connectors` (bit n = connector
 * n) become operative again. Reply: firmware_hold_reply. */
#define CP_MSG_FIRMWARE_HOLD(F)         \
    F(BOOL, hold, 0)                    \
    F(I64, connectors, 0)

/* active: transactions still running on any connector; held: the bit
 * mask of connectors this request made (or scheduled) Unavailable, which
 * the requester gives back with hold false. */
#define CP_MSG_FIRMWARE_HOLD_REPLY(F)   \
    F(I64, active, 0)                   \
    F(I64, held, 0)

/* firmware → all (event "firmware.state"): where the firmware update and
 * the diagnostics upload stand, for `cpctl status`. firmware and
 * diagnostics: what TriggerMessage would answer now (Idle when nothing
 * goes on); step: the update job's durable step (firmware_core.h, "none"
 * without a job); location: the job's, user info redacted; attempts: the
 * failed ones so far, of tries; next_ms: the next attempt or retrieveDate
 * (wall, 0 = running now); version: the firmware this process runs.
 * Level-triggered: published on change and in every snapshot. */
#define CP_MSG_FIRMWARE_STATE(F)        \
    F(STR, firmware, 24)                \
    F(STR, step, 16)                    \
    F(STR, location, 512)               \
    F(I64, attempts, 0)                 \
    F(I64, tries, 0)                    \
    F(I64, next_ms, 0)                  \
    F(STR, diagnostics, 24)             \
    F(STR, diag_location, 512)          \
    F(STR, diag_file_name, 255)         \
    F(STR, version, 50)                 \
    F(I64, seq, 0)

/* anyone → security (request): a security event of the whitepaper's list
 * (edition 2, chapter 8) happened. type: the event's name
 * (actors/security/security_events.h); tech_info: free text for the
 * operator (never a secret). The security actor keeps it in the durable
 * security log and queues a SecurityEventNotification; reply: reply (ok
 * once durable). */
#define CP_MSG_SECURITY_EVENT(F)        \
    F(STR, type, 50)                    \
    F(STR, tech_info, 255)

/* security → all (event "security.state"): the certificate store and the
 * security log, for `cpctl status`. certificates: installed CA
 * certificates; events_logged: rows of the security log; events_owed:
 * those not yet delivered as SecurityEventNotification; cp_cert_serial /
 * cp_cert_not_after: the Charge Point certificate in use (installed by
 * CertificateSigned: hex serial and end of validity, wall ms; "" / 0 when
 * none; a change means a new pair to present in TLS); csr_pending: a CSR
 * was sent and its key waits for CertificateSigned; csms_trust: a digest
 * of the installed CentralSystemRootCertificates the wss:// link trusts
 * (actors/security/csms_trust.h; "" = none installed, --ca-file alone: a
 * change means a new trust for the next connection). Level-triggered:
 * published on change and in every snapshot of the security actor. */
#define CP_MSG_SECURITY_STATE(F)        \
    F(I64, certificates, 0)             \
    F(I64, events_logged, 0)            \
    F(I64, events_owed, 0)              \
    F(STR, cp_cert_serial, 41)          \
    F(I64, cp_cert_not_after, 0)        \
    F(BOOL, csr_pending, 0)             \
    F(STR, csms_trust, 16)              \
    F(I64, seq, 0)

/* The catalog: M(ENUM_SUFFIX, name, FIELDS) */
#define CP_MESSAGE_CATALOG(M)                                   \
    M(HW_CONNECTOR, hw_connector, CP_MSG_HW_CONNECTOR)          \
    M(HW_GRID, hw_grid, CP_MSG_HW_GRID)                         \
    M(HW_KEY, hw_key, CP_MSG_HW_KEY)                            \
    M(HW_COMMAND, hw_command, CP_MSG_HW_COMMAND)                \
    M(HW_TOKEN, hw_token, CP_MSG_HW_TOKEN)                      \
    M(REPLY, reply, CP_MSG_REPLY)                               \
    M(SNAPSHOT_REQUEST, snapshot_request, CP_MSG_SNAPSHOT_REQUEST) \
    M(OCPP_STATE, ocpp_state, CP_MSG_OCPP_STATE)                \
    M(OCPP_CALL, ocpp_call, CP_MSG_OCPP_CALL)                   \
    M(OCPP_RESULT, ocpp_result, CP_MSG_OCPP_RESULT)             \
    M(OCPP_INBOUND, ocpp_inbound, CP_MSG_OCPP_INBOUND)          \
    M(OCPP_INBOUND_REPLY, ocpp_inbound_reply, CP_MSG_OCPP_INBOUND_REPLY) \
    M(CONFIG_GET, config_get, CP_MSG_CONFIG_GET)                \
    M(CONFIG_VALUES, config_values, CP_MSG_CONFIG_VALUES)       \
    M(CONFIG_SET, config_set, CP_MSG_CONFIG_SET)                \
    M(CONFIG_SET_REPLY, config_set_reply, CP_MSG_CONFIG_SET_REPLY) \
    M(CONFIG_CHANGED, config_changed, CP_MSG_CONFIG_CHANGED)    \
    M(TX_CONNECTOR, tx_connector, CP_MSG_TX_CONNECTOR)          \
    M(TX_METER, tx_meter, CP_MSG_TX_METER)                      \
    M(TRIGGER, trigger, CP_MSG_TRIGGER)                         \
    M(SYSTEM_RESET, system_reset, CP_MSG_SYSTEM_RESET)          \
    M(AUTH_REQUEST, auth_request, CP_MSG_AUTH_REQUEST)          \
    M(AUTH_RESULT, auth_result, CP_MSG_AUTH_RESULT)             \
    M(AUTH_TOKEN, auth_token, CP_MSG_AUTH_TOKEN)                \
    M(AUTH_IDTAGINFO, auth_idtaginfo, CP_MSG_AUTH_IDTAGINFO)    \
    M(SC_LIMIT, sc_limit, CP_MSG_SC_LIMIT)                      \
    M(SAFETY_STATE, safety_state, CP_MSG_SAFETY_STATE)          \
    M(HMI_STATE, hmi_state, CP_MSG_HMI_STATE)                   \
    M(ACTOR_STATE, actor_state, CP_MSG_ACTOR_STATE)             \
    M(CLOCK_OFFSET, clock_offset, CP_MSG_CLOCK_OFFSET)          \
    M(OUTBOX_COMMAND, outbox_command, CP_MSG_OUTBOX_COMMAND)    \
    M(OCPP_LATE, ocpp_late, CP_MSG_OCPP_LATE)                   \
    M(STORE_STATE, store_state, CP_MSG_STORE_STATE)              \
    M(FIRMWARE_HOLD, firmware_hold, CP_MSG_FIRMWARE_HOLD)        \
    M(FIRMWARE_HOLD_REPLY, firmware_hold_reply, CP_MSG_FIRMWARE_HOLD_REPLY) \
    M(FIRMWARE_STATE, firmware_state, CP_MSG_FIRMWARE_STATE)        \
    M(SECURITY_EVENT, security_event, CP_MSG_SECURITY_EVENT)        \
    M(SECURITY_STATE, security_state, CP_MSG_SECURITY_STATE)

#endif
