/* profile.h — the OCPP 1.6 ChargingProfile model (spec 7.8-7.14): parse a
 * csChargingProfiles object, validate it against the charger's limits and
 * its transactions, and turn it back into JSON for persistence.
 *
 * PURE: no clock, no disk, no bus. The caller passes "now" (the time the
 * SetChargingProfile arrived) and the transaction view of the connector, so
 * every rule is unit-testable. The gateway has already validated the JSON
 * against the official schema; parsing is still defensive (a hand-edited
 * store row goes through the same path).
 */
#ifndef CP_ACTORS_SMARTCHARGING_PROFILE_H
#define CP_ACTORS_SMARTCHARGING_PROFILE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Hard cap on periods per schedule. ChargingScheduleMaxPeriods (a
//  read-only key) must not exceed it; the lower of the two applies.
#define SC_MAX_PERIODS 64

typedef enum { SC_PURPOSE_CP_MAX = 0, SC_PURPOSE_TX_DEFAULT, SC_PURPOSE_TX } sc_purpose_t;
typedef enum { SC_KIND_ABSOLUTE = 0, SC_KIND_RECURRING, SC_KIND_RELATIVE } sc_kind_t;
typedef enum { SC_RECUR_NONE = 0, SC_RECUR_DAILY, SC_RECUR_WEEKLY } sc_recur_t;
typedef enum { SC_UNIT_A = 0, SC_UNIT_W } sc_unit_t;

typedef struct {
    int64_t start_s;                //  seconds from the start of the schedule
    double limit;                   //  in the schedule's unit
    int phases;                     //  numberPhases; 0 = absent (3 assumed, spec 7.12)
} sc_period_t;

typedef struct {
    int id;                         //  chargingProfileId
    int connector;                  //  connectorId of the SetChargingProfile
    bool has_tx_id;
    int64_t tx_id;                  //  transactionId (TxProfile only)
    int stack_level;
    sc_purpose_t purpose;
    sc_kind_t kind;
    sc_recur_t recur;
    bool has_valid_from, has_valid_to;
    int64_t valid_from_ms, valid_to_ms;
    //  schedule
    bool has_duration;
    int64_t duration_s;
    bool has_start;
    int64_t start_ms;               //  startSchedule
    sc_unit_t unit;
    bool has_min_rate;
    double min_rate;
    int period_count;
    sc_period_t periods[SC_MAX_PERIODS];
} sc_profile_t;

//  What validation checks a profile against: the smart-charging keys
//  (9.4) and the charger's shape.
typedef struct {
    int connectors;                 //  1..N
    int max_stack_level;            //  ChargeProfileMaxStackLevel
    int max_periods;                //  ChargingScheduleMaxPeriods
    bool allow_a, allow_w;          //  ChargingScheduleAllowedChargingRateUnit
} sc_rules_t;

//  The transaction on the profile's connector, as the transaction actor
//  published it (tx.connector.<n>).
typedef struct {
    bool active;
    bool confirmed;                 //  tx_id is the central system's id
    int64_t tx_id;
} sc_tx_view_t;

//  Results of validation.
typedef enum {
    SC_PROFILE_OK = 0,
    SC_PROFILE_REJECTED,            //  → SetChargingProfile.conf Rejected
    SC_PROFILE_BAD_CONNECTOR,       //  → CALLERROR PropertyConstraintViolation (errata 3.39)
} sc_verdict_t;

//  Names of the enums as OCPP spells them.
const char *sc_purpose_name(sc_purpose_t purpose);
const char *sc_kind_name(sc_kind_t kind);
const char *sc_recur_name(sc_recur_t recur);
const char *sc_unit_name(sc_unit_t unit);
int sc_purpose_parse(const char *text, sc_purpose_t *out);
int sc_unit_parse(const char *text, sc_unit_t *out);

//  Parse csChargingProfiles for connectorId into out. Returns 0, or -1 with
//  a reason (a member missing or of the wrong type, an unknown enum).
int sc_profile_from_json(const json_t *cs, int connector, sc_profile_t *out, char *why,
                         size_t why_size);

//  The csChargingProfiles object (new reference; NULL on out of memory).
//  Round-trips with sc_profile_from_json, which is how profiles persist.
json_t *sc_profile_to_json(const sc_profile_t *self);

//  Apply the spec's rules (5.16, 3.13.1, errata 3.43-3.45). now_ms: when
//  the request arrived; an Absolute profile without startSchedule starts
//  then (1.6 leaves it open; we fill it so the stored profile is explicit).
//  tx: the transaction on self->connector (ignored for connector 0).
sc_verdict_t sc_profile_validate(sc_profile_t *self, const sc_rules_t *rules,
                                 const sc_tx_view_t *tx, int64_t now_ms, char *why,
                                 size_t why_size);

#endif
