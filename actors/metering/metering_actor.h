/* metering_actor.h — the metering actor: samples the meters of every
 * connector and hands the readings to whoever must deliver them.
 *
 * Listens:  "hw.connector." (latest reading per connector),
 *           "tx.connector." (transaction view: tx_active, tx_local, ...),
 *           "config.changed" (re-reads MeterValueSampleInterval,
 *           ClockAlignedDataInterval, MeterValuesSampledData,
 *           MeterValuesAlignedData, StopTxnSampledData, StopTxnAlignedData
 *           from its own config_store connection).
 * Sends:    tx_meter → "transaction" (kind "periodic": a MeterValues.req of
 *           the transaction, durable in the outbox; kind "stopdata": for
 *           StopTransaction.transactionData), retried every second while
 *           the transaction actor is unreachable (at most
 *           METERING_MAX_PENDING waiting, then the oldest is dropped with
 *           an error), and re-sent when no reply came in
 *           METERING_REPLY_TIMEOUT_MS (at least once: a duplicate reading
 *           beats a lost one);
 *           ocpp_call MeterValues → "ocpp" for connectors without a
 *           transaction (clock-aligned) and for TriggerMessage; not
 *           transaction data, so a "rejected"/offline outcome is dropped.
 * Answers:  trigger {message "MeterValues", connector} → reply.
 * On (re)start: snapshot_request to "hw" and "transaction", so that it
 * rebuilds from the current levels (retried every second while either is
 * unreachable).
 */
#ifndef CP_ACTORS_METERING_ACTOR_H
#define CP_ACTORS_METERING_ACTOR_H
#include <czmq.h>

#define METERING_MAX_PENDING 100
#define METERING_RETRY_MS 1000
#define METERING_REPLY_TIMEOUT_MS 30000

void metering_actor(zsock_t *pipe, void *args);
#endif
