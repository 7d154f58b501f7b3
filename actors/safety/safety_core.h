/* safety_core.h — the pure decisions of the safety actor.
 *
 * The safety actor (safety_actor.c) reads every connector straight from
 * the driver every SAFETY_TICK_MS, asks this core what to do, and carries
 * it out directly on the driver (permit/forbid + derating cap, watchdog
 * feed) before it tells anyone on the bus. No sockets, no clock, no
 * driver here: the shell passes readings and a monotonic time, so every
 * rule below is unit-tested on a virtual clock.
 *
 * THE RULES (per connector; "trip" = withdraw the permission, which opens
 * the contactor at once in the hw layer, publish tripped + error code,
 * and stop the running transaction with the stop reason):
 *
 *  1. Residual current (driver fault "rcd", the DC 6 mA / AC 30 mA
 *     monitor) → trip GroundFailure, vendor "ResidualCurrent", reason
 *     EmergencyStop.
 *  2. Ground / earth continuity (fault "ground": the earth monitor of the
 *     seed's UK variant, which compares protective earth with neutral to
 *     catch a broken PEN conductor) → trip GroundFailure, vendor
 *     "EarthContinuity", reason EmergencyStop — on a TN supply. The
 *     owner's EarthingSystem setting (the seed's "TN/TT earthing system")
 *     changes what is checked: on a TT supply the earth is a local
 *     electrode that legitimately floats volts away from neutral, so the
 *     PE–N comparison is meaningless there and its readings are ignored
 *     (the residual-current monitor of rule 1, mandatory on TT, is the
 *     protection). Switching to TN with the monitor reporting trips at once.
 *     Both are shock hazards to a person: the charger cuts power as an
 *     emergency stop does, so EmergencyStop is the honest reason.
 *     Recovery: the fault has cleared AND the cable was unplugged after
 *     the trip (a person handled the car and the cable). At most
 *     SAFETY_RETRIES_PER_HOUR (3) automatic re-approvals in any rolling
 *     hour per connector (shared by rules 1–3); past that the connector
 *     stays tripped with vendor "LockedOut" until the oldest of those
 *     re-approvals is an hour old (then the rule above applies again), or
 *     until a restart of the safety actor (Reset, power cycle: the
 *     operator's manual reset; the lockout is deliberately not persisted,
 *     and a restart still re-approves nothing whose fault persists).
 *  3. Overcurrent: the EV draws current_a > offered_a + max(2 A, 10 %)
 *     for longer than SAFETY_OC_GRACE_MS (5 s, continuously), or at once
 *     above the hard limit offered_a × 1.5 + 2 A or SAFETY_OC_RATED_A
 *     (80 A, the hardware rating), or the driver's own overcurrent
 *     detector reports fault "overcurrent" → trip OverCurrentFailure,
 *     vendor "EvOverCurrent" (or "OverCurrentDetector"), reason Other.
 *     Not EmergencyStop: nobody is in danger, the car broke the pilot
 *     contract and the equipment protects itself; the errorCode in the
 *     Faulted StatusNotification says why. Recovery: as rules 1–2
 *     (unplug after the trip + fault flag clear, same hourly budget):
 *     the same car plugged in again would misbehave again.
 *  4. Over-temperature (temperature_c, or the driver's fault "overtemp"):
 *     at or above SAFETY_DERATE_C (70 °C) the offered current is capped
 *     at SAFETY_DERATE_A (16 A) through the hw layer (derate_a published,
 *     not a trip: charging goes on); at or above SAFETY_TRIP_C (85 °C), or
 *     with the fault flag, → trip HighTemperature, vendor "OverTemperature",
 *     reason Other. Both lift only below SAFETY_RECOVER_C (65 °C) with the
 *     flag clear (hysteresis, so a connector at the threshold does not
 *     chatter); recovery from the trip is automatic (a charger-side
 *     condition the user cannot fix by replugging) and not counted.
 *  5. Contactor welding: the contactor reads open but the load side shows
 *     voltage (voltage_after_open_v ≥ SAFETY_WELD_V, 50 V) for
 *     SAFETY_WELD_DEBOUNCE_MS (300 ms, the contacts' opening time), or the
 *     driver reports fault "welding" → trip PowerSwitchFailure, vendor
 *     "ContactorWelded", reason Other. Never recovered automatically: a
 *     welded contactor needs a technician. It stays tripped until the
 *     safety actor restarts (after service: Reset or power cycle) and
 *     then finds the fault gone.
 *  6. Any other driver fault → trip OtherError, vendor "Fault:<name>",
 *     reason Other; recovers automatically when the driver clears it.
 *  7. A connector the driver cannot read → trip OtherError, vendor
 *     "ReadFailure", reason Other (fail-safe: what we cannot see we do
 *     not approve); recovers with the first good reading that is safe.
 *
 *  While tripped, a more serious cause replaces a lesser one (priority
 *  welding > residual current > ground > overcurrent > temperature >
 *  read failure > other), so the stickier recovery rule applies.
 *  Start-up: a new core has approved nothing; the first evaluation of each
 *  connector decides, and a fault present then trips without counting
 *  against the budget. Every connector is permitted unless tripped.
 */
#ifndef CP_ACTORS_SAFETY_SAFETY_CORE_H
#define CP_ACTORS_SAFETY_SAFETY_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hw/hw.h"

#define SAFETY_TICK_MS              100     //  how often the shell evaluates
//  ... while every connector is quiet (safety_core_quiet): no cable, the
//  contactor open, nothing tripped — nothing can flow, so nothing to catch
//  in a tenth of a second. Still 300 ms of watchdog slack.
#define SAFETY_QUIET_TICK_MS        200
//  The hw watchdog timeout the shell feeds every tick: 5 ticks of slack
//  for a stalled thread; a dead actor's contactors open within 500 ms,
//  seen on the bus within 500 + 250 ms (the hw actor's read period).
#define SAFETY_WATCHDOG_MS          500
//  ... and a driver that can rest (hw.h safety_rest): while every
//  connector is quiet the shell rests instead, once a second, keeping the
//  permissions for three (a contactor cannot close meanwhile without a
//  feed), and the board announces any step (notice_fds) at once.
#define SAFETY_REST_TICK_MS         1000
#define SAFETY_REST_MS              3000
#define SAFETY_REFRESH_MS           5000    //  level-triggered republish
#define SAFETY_RETRIES_PER_HOUR     3
#define SAFETY_RETRY_WINDOW_MS      (3600 * 1000)
#define SAFETY_OC_MARGIN_A          2.0
#define SAFETY_OC_MARGIN_FRACTION   0.10
#define SAFETY_OC_GRACE_MS          5000
#define SAFETY_OC_HARD_FACTOR       1.5
#define SAFETY_OC_HARD_EXTRA_A      2.0
#define SAFETY_OC_RATED_A           80.0
#define SAFETY_DERATE_C             70.0
#define SAFETY_TRIP_C               85.0
#define SAFETY_RECOVER_C            65.0
#define SAFETY_DERATE_A             16.0
#define SAFETY_WELD_V               50.0
#define SAFETY_WELD_DEBOUNCE_MS     300

//  Why a connector is tripped, in increasing priority.
typedef enum {
    SAFETY_CAUSE_NONE = 0,
    SAFETY_CAUSE_OTHER,             //  unknown driver fault
    SAFETY_CAUSE_UNREADABLE,
    SAFETY_CAUSE_TEMPERATURE,
    SAFETY_CAUSE_OVERCURRENT,
    SAFETY_CAUSE_GROUND,
    SAFETY_CAUSE_RCD,
    SAFETY_CAUSE_WELDING
} safety_cause_t;

//  The verdict for one connector: what to tell the hw layer and the bus.
typedef struct {
    int connector;
    bool permit;                    //  may the contactor be closed
    double cap_a;                   //  current cap for the hw layer, 0 = none
    bool tripped;
    safety_cause_t cause;
    bool locked_out;                //  tripped and out of automatic retries
    const char *error_code;         //  ChargePointErrorCode ("NoError" when fine)
    char vendor_error[51];          //  "" when fine
    const char *stop_reason;        //  StopTransaction reason ("" when fine)
    double derate_a;                //  = cap_a (published)
} safety_verdict_t;

typedef struct _safety_core_t safety_core_t;

//  A core for 1..HW_MAX_CONNECTORS connectors; NULL if out of range or no
//  memory.
safety_core_t *safety_core_new(int connectors);
void safety_core_destroy(safety_core_t **self_p);
int safety_core_connectors(const safety_core_t *self);

//  The supply's earthing system (rule 2). A new core assumes TN: the
//  stricter check until told otherwise.
typedef enum {
    SAFETY_EARTHING_TN = 0,
    SAFETY_EARTHING_TT
} safety_earthing_t;
void safety_core_set_earthing(safety_core_t *self, safety_earthing_t earthing);
safety_earthing_t safety_core_earthing(const safety_core_t *self);

//  Evaluate one connector from a driver reading taken at now_ms (state is
//  NULL when the driver could not be read). Updates the core and fills
//  *out. Returns true when the published part of the verdict (tripped,
//  error code, vendor error, stop reason, derate) changed since the last
//  evaluation, or on the first evaluation of the connector.
bool safety_core_evaluate(safety_core_t *self, int connector, const hw_connector_state_t *state,
                          int64_t now_ms, safety_verdict_t *out);

//  Whether a connector may be evaluated at the slower SAFETY_QUIET_TICK_MS:
//  read (state not NULL), no cable, the contactor open, not tripped. A
//  plug, a closed contactor or a trip brings back SAFETY_TICK_MS.
bool safety_core_quiet(const hw_connector_state_t *state, const safety_verdict_t *verdict);

//  The last verdict of a connector (permit false before any evaluation).
void safety_core_verdict(const safety_core_t *self, int connector, safety_verdict_t *out);

//  Names, for logs and tests.
const char *safety_cause_name(safety_cause_t cause);
#endif
