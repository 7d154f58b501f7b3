/* metering_core.h — the pure core of the metering actor: what to sample,
 * when, and how a sample looks on the wire (OCPP 1.6 §3.16, §4.7, errata
 * 3.14-3.16).
 *
 * No sockets, no clock, no disk: every call is handed the monotonic time
 * (for timers) and the wall time (for timestamps and clock alignment), and
 * the core hands back what must be sent through an emit callback. The
 * shell (metering_actor.c) turns those into bus requests and arms one
 * loop timer at metering_core_next_delay(), so nothing polls.
 *
 * Three layers, each usable on its own:
 *   - measurand sets: the six CSL configuration keys parsed into bit sets;
 *   - sample building: one MeterValue JSON object from a hw_connector
 *     reading (units, phases, locations, contexts as the official schemas
 *     want them; a value the hardware does not deliver is left out, never
 *     invented);
 *   - scheduling: clock-aligned boundaries (midnight UTC + k × interval,
 *     restarting at every midnight) and per-transaction sampling (from the
 *     transaction's start, every MeterValueSampleInterval), fed by the
 *     latest readings and the transaction actor's view of each connector.
 *
 * Connector 0 (the whole charger) has no meter of its own in this
 * hardware (hw publishes connectors 1..N only), so the core never emits a
 * sample for it: a clock-aligned tick meters connectors 1..N, and a
 * TriggerMessage for connector 0 is answered with every connector's values.
 */
#ifndef CP_ACTORS_METERING_CORE_H
#define CP_ACTORS_METERING_CORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "messages/msg.h"

//  --------------------------------------------------------------------------
//  Measurand sets

//  The measurands this charger can report (config_keys.c accepts exactly
//  these in the four measurand keys). SoC has a bit because the key
//  accepts it, but the hardware never delivers it: it is always skipped.
typedef enum {
    METERING_ENERGY_IMPORT   = 1u << 0,   //  Energy.Active.Import.Register
    METERING_POWER_IMPORT    = 1u << 1,   //  Power.Active.Import
    METERING_CURRENT_IMPORT  = 1u << 2,   //  Current.Import (per phase)
    METERING_CURRENT_OFFERED = 1u << 3,   //  Current.Offered
    METERING_VOLTAGE         = 1u << 4,   //  Voltage (per phase, to neutral)
    METERING_TEMPERATURE     = 1u << 5,   //  Temperature (inside the body)
    METERING_SOC             = 1u << 6    //  SoC (not available: skipped)
} metering_measurand_t;

typedef unsigned metering_set_t;

//  Parse a measurand CSL ("Energy.Active.Import.Register,Voltage"; blanks
//  around items tolerated; "" = empty set). Returns 0, or -1 when an item
//  is unknown or empty: *set then still holds the items that were known,
//  so that a hand-edited store meters what it can.
int metering_set_parse(const char *csl, metering_set_t *set);

//  --------------------------------------------------------------------------
//  Samples

typedef enum {
    METERING_CONTEXT_PERIODIC,      //  Sample.Periodic
    METERING_CONTEXT_CLOCK,         //  Sample.Clock
    METERING_CONTEXT_TX_BEGIN,      //  Transaction.Begin
    METERING_CONTEXT_TX_END,        //  Transaction.End
    METERING_CONTEXT_TRIGGER        //  Trigger
} metering_context_t;

//  The ReadingContext text of a context.
const char *metering_context_name(metering_context_t context);

//  Format a reading without needless decimals ("16", "16.5", "0.125");
//  at most 3 decimals. Returns -1 (buf "") for a value that is not a
//  finite, plausible reading.
int metering_format_value(double value, char *buf, size_t size);

//  One MeterValue {timestamp, sampledValue: [...]} taken from reading at
//  wall_ms with the measurands in set. Returns a new reference, or NULL
//  when nothing in the set can be reported (the schema requires at least
//  one sampledValue).
json_t *metering_meter_value(const cp_msg_hw_connector_t *reading, int64_t wall_ms,
                             metering_context_t context, metering_set_t set);

//  --------------------------------------------------------------------------
//  Schedules (pure arithmetic)

//  The next clock-aligned boundary strictly after wall_ms: midnight UTC of
//  that day + k × interval_s, or the next midnight when that comes first
//  (an interval that does not divide a day restarts at midnight).
//  -1 when interval_s <= 0 (disabled).
int64_t metering_next_aligned(int64_t wall_ms, int64_t interval_s);

//  The next sampling time strictly after now_ms of a transaction started at
//  start_ms: start + k × interval_s. -1 when interval_s <= 0 (disabled).
int64_t metering_next_sampled(int64_t start_ms, int64_t interval_s, int64_t now_ms);

//  --------------------------------------------------------------------------
//  The scheduler

typedef struct {
    int64_t sample_interval_s;      //  MeterValueSampleInterval (0 = off)
    int64_t aligned_interval_s;     //  ClockAlignedDataInterval (0 = off)
    metering_set_t sampled;         //  MeterValuesSampledData
    metering_set_t aligned;         //  MeterValuesAlignedData
    metering_set_t stop_sampled;    //  StopTxnSampledData
    metering_set_t stop_aligned;    //  StopTxnAlignedData
} metering_config_t;

typedef enum {
    METERING_OUT_TX_METER,          //  tx_meter request to "transaction"
    METERING_OUT_METER_VALUES       //  ocpp_call MeterValues to "ocpp"
} metering_out_kind_t;

//  An effect. Strings are borrowed for the duration of the callback.
typedef struct {
    metering_out_kind_t kind;
    int connector;
    int64_t tx_local;               //  TX_METER only
    const char *tx_kind;            //  TX_METER only: "periodic" | "stopdata"
    //  TX_METER: a JSON array of one MeterValue; METER_VALUES: the whole
    //  MeterValues.req payload {connectorId, [transactionId,] meterValue}.
    const char *payload;
} metering_out_t;

typedef void (metering_emit_fn)(void *ctx, const metering_out_t *out);

typedef struct _metering_core_t metering_core_t;

//  connectors: 1..HW_MAX_CONNECTORS. The config starts all-off until
//  metering_core_set_config. NULL on a bad count or out of memory.
metering_core_t *metering_core_new(int connectors, metering_emit_fn *emit, void *ctx);
void metering_core_destroy(metering_core_t **self_p);
int metering_core_connectors(const metering_core_t *self);

//  Apply a (re-read) configuration: reschedules the clock-aligned boundary
//  and every running transaction's next sample.
void metering_core_set_config(metering_core_t *self, const metering_config_t *config,
                              int64_t mono_ms, int64_t wall_ms);

//  The latest hw reading of a connector (event or snapshot). Unknown
//  connectors are ignored.
void metering_core_on_hw(metering_core_t *self, const cp_msg_hw_connector_t *reading);

//  The transaction actor's view of a connector (event or snapshot). A new
//  tx_local with tx_active starts a transaction (Transaction.Begin stop
//  data); tx_active going false ends it (Transaction.End stop data, at
//  once). The first view after a (re)start that already shows a running
//  transaction is adopted without a Begin sample, unless it started within
//  the last METERING_BEGIN_GRACE_MS (a restart must not report a
//  mid-session reading as the start).
#define METERING_BEGIN_GRACE_MS 5000
void metering_core_on_tx(metering_core_t *self, const cp_msg_tx_connector_t *view,
                         int64_t mono_ms, int64_t wall_ms);

//  Emit everything due at this time, and schedule what comes next.
void metering_core_tick(metering_core_t *self, int64_t mono_ms, int64_t wall_ms);

//  Milliseconds until the next tick is needed (0 = now), or -1 when
//  nothing is scheduled.
int64_t metering_core_next_delay(const metering_core_t *self, int64_t mono_ms, int64_t wall_ms);

//  TriggerMessage MeterValues for connector (1..N; 0 or -1 = every
//  connector): emits MeterValues with context Trigger. Returns the number
//  of connectors sent, or -1 for an unknown connector.
int metering_core_trigger(metering_core_t *self, int connector, int64_t wall_ms);

#endif
