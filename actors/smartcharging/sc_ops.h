/* sc_ops.h — the smart-charging OCPP operations, one file each
 * (set_charging_profile.c, clear_charging_profile.c,
 * get_composite_schedule.c), on a context the actor fills in. Each takes
 * the schema-valid request and returns the response payload (new
 * reference), or NULL with ctx->error_code set for a CALLERROR. No bus,
 * no clock: ctx->now_ms is the time of receipt.
 */
#ifndef CP_ACTORS_SMARTCHARGING_SC_OPS_H
#define CP_ACTORS_SMARTCHARGING_SC_OPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "actors/smartcharging/composite.h"
#include "actors/smartcharging/profile.h"
#include "actors/smartcharging/profile_store.h"

//  Most periods a GetCompositeSchedule.conf carries.
#define SC_OPS_MAX_COMPOSITE_PERIODS 1024

typedef struct {
    sc_store_t *store;
    sc_rules_t rules;               //  connectors + the 9.4 keys
    int max_installed;              //  MaxChargingProfilesInstalled
    //  transaction per connector (index 0 unused)
    sc_tx_view_t tx[SC_MAX_CONNECTORS + 1];
    int64_t tx_local[SC_MAX_CONNECTORS + 1];
    int64_t tx_start_ms[SC_MAX_CONNECTORS + 1];
    int64_t now_ms;                 //  receipt of the request (wall)
    double voltage_v;               //  nominal, for A <-> W
    int phases;                     //  phases the charger uses
    double default_limit_a;         //  per connector when no profile applies
    //  out
    char error_code[40];            //  non-empty: answer with a CALLERROR
    char reason[200];               //  for the log
    bool changed;                   //  the installed profiles changed
} sc_ops_ctx_t;

json_t *set_charging_profile(sc_ops_ctx_t *ctx, const json_t *request);
json_t *clear_charging_profile(sc_ops_ctx_t *ctx, const json_t *request);
json_t *get_composite_schedule(sc_ops_ctx_t *ctx, const json_t *request);

//  The composite request for connector over [start_ms, + duration_s) in
//  unit, from the context's profiles and transactions.
void sc_ops_composite_req(sc_ops_ctx_t *ctx, sc_composite_req_t *req, int connector,
                          int64_t start_ms, int64_t duration_s, sc_unit_t unit);

#endif
