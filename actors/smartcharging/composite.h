/* composite.h — the composite charging schedule of OCPP 1.6 section 3.13.
 *
 * PURE and deterministic: a function of (installed profiles, connector,
 * window start, duration, unit, transaction starts, voltage, phases,
 * default limit). It never reads "now" (lessons: smart charging), so a
 * week of schedule is tested in microseconds.
 *
 * The rules, at every instant t of the window [start, start + duration):
 *   - a profile is active at t when validFrom <= t < validTo and t lies
 *     inside its schedule: Absolute from startSchedule, Relative from the
 *     connector's transaction start (or the window start when there is no
 *     transaction), Recurring from the last Daily / Weekly recurrence of
 *     startSchedule at or before t (also before startSchedule itself:
 *     validFrom, not startSchedule, says when a recurring profile begins),
 *     up to duration (absent = forever; Recurring: at most one recurrence
 *     period, errata 3.44). Duration 0 = a schedule that never applies.
 *   - within a purpose the active profile with the highest stackLevel
 *     prevails (3.13.2); an inactive higher level falls back to a lower one
 *     (errata 3.43). For TxDefaultProfile, a connector-specific profile
 *     beats a connector-0 one of the same stackLevel (3.13.1 "replaced
 *     only for that specific connector").
 *   - connector n: the TxProfile if one is active (only while a
 *     transaction runs on n), else the TxDefaultProfile, else the DEFAULT
 *     LIMIT (default_limit_a: the connector's hardware maximum, "as if no
 *     constraints apply", 3.13.6) — capped by the ChargePointMaxProfile.
 *   - connector 0: the charger total (lessons, libocpp PR #1062): the sum
 *     over connectors 1..N of each one's own limit, capped by the
 *     ChargePointMaxProfile.
 *   - units (7.12): W = A x voltage x phases, phases = the period's
 *     numberPhases (3 when absent) but at most the phases the charger uses
 *     (errata 3.34: the limit is used as given for the phases available).
 *   - every output limit is rounded DOWN to 0.1 (the schema's multipleOf;
 *     down so the composite never exceeds a profile), and adjacent periods
 *     with the same limit and phases are merged.
 * A window of duration 0 reports the one limit at its start (libocpp #1169:
 * not the default).
 */
#ifndef CP_ACTORS_SMARTCHARGING_COMPOSITE_H
#define CP_ACTORS_SMARTCHARGING_COMPOSITE_H

#include <stdbool.h>
#include <stdint.h>
#include "actors/smartcharging/profile.h"

#define SC_DEFAULT_VOLTAGE_V 230.0
#define SC_MAX_CONNECTORS    8

typedef enum {
    SC_MODE_FULL = 0,       //  the spec's composite (GetCompositeSchedule)
    SC_MODE_OWN,            //  connector n without the ChargePointMaxProfile
    SC_MODE_CP_MAX,         //  the ChargePointMaxProfile alone (connector ignored);
                            //  default: N x default_limit_a
} sc_mode_t;

typedef struct {
    int64_t start_s;        //  seconds from the window start
    double limit;           //  in the requested unit, a multiple of 0.1
    int phases;             //  phases the limit is meant for
    bool is_default;        //  no profile applied: the default limit
} sc_slot_t;

typedef struct {
    const sc_profile_t *const *profiles;    //  every installed profile
    int profile_count;
    int connectors;         //  N (1..SC_MAX_CONNECTORS)
    int connector;          //  0..N
    int64_t start_ms;       //  window start X (wall ms)
    int64_t duration_s;     //  >= 0
    sc_unit_t unit;         //  unit of the result
    //  wall ms at which the transaction on connector n started, 0 = none
    //  (index 0 unused). A TxProfile applies only while one runs.
    int64_t tx_start_ms[SC_MAX_CONNECTORS + 1];
    double voltage_v;       //  <= 0: SC_DEFAULT_VOLTAGE_V
    int phases;             //  phases the charger uses, 1..3 (<= 0: 3)
    double default_limit_a; //  per connector, when no profile applies
    sc_mode_t mode;
} sc_composite_req_t;

//  Compute the composite into out[0..max_out). Returns the number of
//  periods (>= 1), or -1 on a bad request / out of memory. *truncated
//  (may be NULL) tells whether more periods followed. With max_out = 2,
//  out[0] is the limit at the window start and out[1].start_s when it
//  changes (if the result is 2).
int sc_composite(const sc_composite_req_t *req, sc_slot_t *out, int max_out, bool *truncated);

//  Share a total cap among n consumers that each want at most want[i]
//  (max-min fairness, "water filling"): nobody gets more than it wants,
//  what one does not use goes to the others, the sum never exceeds cap.
void sc_share(double cap, const double *want, int n, double *out);

//  Round a limit down to the 0.1 grid of the schemas.
double sc_round_limit(double limit);

#endif
