/* local_limits.h — the charger's own limits, and how they meet OCPP's.
 *
 * The seed keeps some of the owner's and installer's settings working
 * under OCPP: the current limit, power sharing, Power Boost and charging
 * schedules. They are limits the Central System does not see in its
 * profiles, so they are kept apart from the composite schedule (which
 * GetCompositeSchedule reports exactly as 3.13 defines) and applied on
 * top of it: what reaches the pilot is the minimum of everything.
 *
 *   installation maximum   InstallationMaxCurrent: what the wiring and the
 *                          supply of the charger carry, for all its
 *                          connectors together;
 *   owner limit            LocalCurrentLimit: per connector, 0 = none;
 *   Power Boost            PowerBoostEnabled + PowerBoostMainFuse: the
 *                          household grid meter reads the current through
 *                          the main fuse; the household's own share (the
 *                          reading minus the charger's draw in the same
 *                          instant) is left to the house, the rest may
 *                          go to the charger, all connectors together. A
 *                          silent or stale meter falls back to the lowest
 *                          current a car can charge with (6 A), so a lost
 *                          meter never lets the charger trip the fuse;
 *   local schedules        LocalChargingSchedule + LocalTimeOffset: daily
 *                          or weekly windows in the owner's local time,
 *                          each capping every connector while it is
 *                          active (0 A = no charging then).
 *
 * Everything here is pure (values in, values out) and unit-tested with a
 * property test: the limit of a connector is never above any applicable
 * limit and always equal to the smallest of them.
 */
#ifndef CP_ACTORS_SMARTCHARGING_LOCAL_LIMITS_H
#define CP_ACTORS_SMARTCHARGING_LOCAL_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "actors/smartcharging/composite.h"

#define SC_LOCAL_MAX_WINDOWS       16
#define SC_LOCAL_MAX_A             80.0    //  the pilot's range (IEC 61851-1)
#define SC_LOCAL_MIN_CHARGE_A      6.0     //  below: the EV pauses
#define SC_POWER_BOOST_FALLBACK_A  6.0     //  no trustworthy grid reading
#define SC_POWER_BOOST_STALE_MS    6000    //  3 missed meter refreshes

//  Which limit holds a connector back (reported as sc_limit.source and in
//  `cpctl status` as limitSource). On a tie the earlier one is named.
typedef enum {
    SC_SOURCE_DEFAULT = 0,          //  no profile, no local limit below the rating
    SC_SOURCE_OCPP,                 //  a charging profile of the Central System
    SC_SOURCE_INSTALLATION,
    SC_SOURCE_OWNER,
    SC_SOURCE_SCHEDULE,
    SC_SOURCE_POWER_BOOST,
    SC_SOURCE_SHARING               //  the total is shared among running sessions
} sc_source_t;

//  "default" "ocpp" "installation" "owner" "schedule" "powerboost" "sharing"
const char *sc_source_name(sc_source_t source);

typedef struct {
    uint8_t days;                   //  bit 0 Monday … bit 6 Sunday
    int start_min;                  //  minute of the day the window opens
    int end_min;                    //  1..1440; <= start_min: ends the next day
    double limit_a;                 //  0, or 6..80
} sc_window_t;

typedef struct {
    int count;
    sc_window_t window[SC_LOCAL_MAX_WINDOWS];
} sc_local_schedule_t;

//  Parse LocalChargingSchedule: windows separated by ';', each
//  "[DAYS ]HH:MM-HH:MM=AMPS", DAYS a ','-list of Mo Tu We Th Fr Sa Su or
//  ranges such as Mo-Fr (every day when absent); 24:00 may end a window;
//  a window ending at or before its start runs past midnight into the next
//  day. "" is no schedule. 0, or -1 with a reason naming the bad window.
int sc_local_schedule_parse(const char *text, sc_local_schedule_t *out, char *reason,
                            size_t reason_size);

//  The schedule's cap at local time local_ms (wall ms + the UTC offset):
//  the smallest limit among the windows open then, or INFINITY when none
//  is. *next_local_ms (may be NULL) gets the next instant the answer may
//  change (0 when the schedule is empty).
double sc_local_schedule_at(const sc_local_schedule_t *schedule, int64_t local_ms,
                            int64_t *next_local_ms);

typedef struct {
    double installation_max_a;      //  > 0
    double owner_limit_a;           //  0 = none
    sc_local_schedule_t schedule;
    int utc_offset_min;             //  local time = UTC + offset
    bool power_boost;
    double main_fuse_a;
} sc_local_config_t;

//  The last grid meter reading as the actor holds it.
typedef struct {
    bool fresh;                     //  a reading younger than SC_POWER_BOOST_STALE_MS
    bool ok;                        //  the meter answered
    double grid_a;                  //  through the main fuse, highest phase
    double charger_a;               //  the charger's own part of it
} sc_grid_view_t;

typedef struct {
    double total_a;                 //  all connectors together (INFINITY: none)
    sc_source_t total_source;
    double connector_a;             //  each connector (INFINITY: none)
    sc_source_t connector_source;
    int64_t next_wall_ms;           //  when the schedule part changes next; 0 = never
} sc_local_limits_t;

//  The local limits at now_wall_ms.
void sc_local_limits(const sc_local_config_t *config, const sc_grid_view_t *grid,
                     int64_t now_wall_ms, sc_local_limits_t *out);

//  Everything that applies, per connector (index 0 unused).
typedef struct {
    int connectors;
    double cp_cap_a;                //  OCPP ChargePointMaxProfile (or the rating)
    sc_source_t cp_source;          //  DEFAULT or OCPP
    double own_a[SC_MAX_CONNECTORS + 1];            //  OCPP Tx/TxDefault (or the rating)
    sc_source_t own_source[SC_MAX_CONNECTORS + 1];  //  DEFAULT or OCPP
    bool active[SC_MAX_CONNECTORS + 1];             //  a session draws (or may)
    int64_t started_ms[SC_MAX_CONNECTORS + 1];      //  session start: sharing order
    sc_local_limits_t local;
} sc_limits_in_t;

//  The current each connector may be offered, on the 0.1 A grid, with the
//  source that holds it there. Running sessions share the total (the
//  smaller of the OCPP cap and the local total) fairly, and never below
//  the 6 A a car needs: when the total cannot give every session 6 A, the
//  sessions that started first keep charging and the others pause. A
//  connector without a session is offered what the sessions leave of the
//  total (0 below 6 A), or, with no session running, what a session
//  starting on it alone would get.
void sc_limits_combine(const sc_limits_in_t *in, double *limit_a, sc_source_t *source);

//  IEC 61851-1 gives an EV up to 5 s to follow a lower offer. When one
//  connector's offer falls and another's rises (sharing moves current from
//  one car to another), the rise waits that long, so the two cars never
//  draw more than the total between them (the smartcharging actor holds).
#define SC_EV_RESPONSE_MS 5000

//  Max-min fair share of cap among n wants, in priority order, where a
//  share below min_a is worth nothing (the car cannot charge with it):
//  the lowest-priority consumers drop to 0 until the others reach min_a.
void sc_share_min(double cap, const double *want, int n, double min_a, double *out);
#endif
