/* test_smartcharging_profile.c — parsing, validation and persistence form
 * of a ChargingProfile: every Rejected case of 5.16 / 3.13 / the errata,
 * the CALLERROR case (errata 3.39), and the JSON round trip (the stored
 * form must still pass the official SetChargingProfile schema).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "actors/smartcharging/profile.h"
#include "gateway/schema.h"
#include "supervisor/clock.h"

static int64_t
s_at(const char *text)
{
    int64_t ms = 0;
    assert_int_equal(cp_clock_parse(text, &ms), 0);
    return ms;
}

static json_t *
s_json(const char *single_quoted)
{
    char text[4096];
    snprintf(text, sizeof(text), "%s", single_quoted);
    for (char *c = text; *c; c++)
        if (*c == '\'')
            *c = '"';
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j)
        fail_msg("bad test JSON: %s", err.text);
    return j;
}

static const sc_rules_t s_rules = {
    .connectors = 2, .max_stack_level = 8, .max_periods = 4, .allow_a = true, .allow_w = false,
};

#define GOOD "{'chargingProfileId':5,'stackLevel':2,'chargingProfilePurpose':'TxDefaultProfile'," \
    "'chargingProfileKind':'Absolute','chargingSchedule':{'startSchedule':'2024-05-01T00:00:00Z'," \
    "'chargingRateUnit':'A','chargingSchedulePeriod':[{'startPeriod':0,'limit':16}," \
    "{'startPeriod':600,'limit':8.5,'numberPhases':1}]}}"

typedef struct {
    const char *name;
    int connector;
    const char *cs;
    sc_tx_view_t tx;
    sc_verdict_t expect;
    const char *why;            //  substring of the reason
} vcase_t;

#define NOW "2024-05-01T12:00:00Z"
#define SCHED(unit, periods) "'chargingSchedule':{'chargingRateUnit':'" unit "','chargingSchedulePeriod':" periods "}"
#define P1 "[{'startPeriod':0,'limit':16}]"
#define HEAD(purpose, kind, level) "{'chargingProfileId':1,'stackLevel':" level ",'chargingProfilePurpose':'" purpose "','chargingProfileKind':'" kind "',"

static const vcase_t s_vcases[] = {
    { "valid TxDefault", 1, GOOD, {0}, SC_PROFILE_OK, "" },
    { "valid TxDefault on connector 0", 0, GOOD, {0}, SC_PROFILE_OK, "" },
    { "valid ChargePointMax", 0, HEAD("ChargePointMaxProfile", "Absolute", "0") SCHED("A", P1) "}", {0},
      SC_PROFILE_OK, "" },
    { "valid TxProfile", 1, HEAD("TxProfile", "Relative", "0") SCHED("A", P1) "}",
      { .active = true, .confirmed = true, .tx_id = 42 }, SC_PROFILE_OK, "" },
    { "valid TxProfile with its transactionId", 1,
      "{'chargingProfileId':1,'transactionId':42,'stackLevel':0,'chargingProfilePurpose':'TxProfile',"
      "'chargingProfileKind':'Relative'," SCHED("A", P1) "}",
      { .active = true, .confirmed = true, .tx_id = 42 }, SC_PROFILE_OK, "" },
    { "valid Recurring", 1, HEAD("TxDefaultProfile", "Recurring", "0") "'recurrencyKind':'Daily',"
      "'chargingSchedule':{'startSchedule':'2024-01-01T00:00:00Z','chargingRateUnit':'A','chargingSchedulePeriod':" P1 "}}",
      {0}, SC_PROFILE_OK, "" },
    { "stack level at the maximum", 1, HEAD("TxDefaultProfile", "Absolute", "8") SCHED("A", P1) "}", {0},
      SC_PROFILE_OK, "" },
    //  ---- Rejected ----
    { "unknown connector → CALLERROR", 3, GOOD, {0}, SC_PROFILE_BAD_CONNECTOR, "does not exist" },
    { "stack level above the maximum", 1, HEAD("TxDefaultProfile", "Absolute", "9") SCHED("A", P1) "}", {0},
      SC_PROFILE_REJECTED, "ChargeProfileMaxStackLevel" },
    { "unit not allowed", 1, HEAD("TxDefaultProfile", "Absolute", "0") SCHED("W", P1) "}", {0},
      SC_PROFILE_REJECTED, "ChargingScheduleAllowedChargingRateUnit" },
    { "too many periods", 1, HEAD("TxDefaultProfile", "Absolute", "0") SCHED("A",
      "[{'startPeriod':0,'limit':1},{'startPeriod':1,'limit':2},{'startPeriod':2,'limit':3},"
      "{'startPeriod':3,'limit':4},{'startPeriod':4,'limit':5}]") "}", {0},
      SC_PROFILE_REJECTED, "ChargingScheduleMaxPeriods" },
    { "first period not at 0", 1, HEAD("TxDefaultProfile", "Absolute", "0") SCHED("A",
      "[{'startPeriod':10,'limit':1}]") "}", {0}, SC_PROFILE_REJECTED, "first startPeriod" },
    { "unsorted periods", 1, HEAD("TxDefaultProfile", "Absolute", "0") SCHED("A",
      "[{'startPeriod':0,'limit':1},{'startPeriod':600,'limit':2},{'startPeriod':300,'limit':3}]") "}", {0},
      SC_PROFILE_REJECTED, "increase strictly" },
    { "overlapping (duplicate) periods", 1, HEAD("TxDefaultProfile", "Absolute", "0") SCHED("A",
      "[{'startPeriod':0,'limit':1},{'startPeriod':0,'limit':2}]") "}", {0},
      SC_PROFILE_REJECTED, "increase strictly" },
    { "negative limit", 1, HEAD("TxDefaultProfile", "Absolute", "0") SCHED("A",
      "[{'startPeriod':0,'limit':-1}]") "}", {0}, SC_PROFILE_REJECTED, "limit" },
    { "ChargePointMax on a connector", 1, HEAD("ChargePointMaxProfile", "Absolute", "0") SCHED("A", P1) "}",
      {0}, SC_PROFILE_REJECTED, "only on connector 0" },
    { "TxProfile on connector 0", 0, HEAD("TxProfile", "Relative", "0") SCHED("A", P1) "}",
      { .active = true }, SC_PROFILE_REJECTED, "connector > 0" },
    { "TxProfile without a transaction", 1, HEAD("TxProfile", "Relative", "0") SCHED("A", P1) "}",
      {0}, SC_PROFILE_REJECTED, "without a transaction" },
    { "TxProfile for another transaction", 1,
      "{'chargingProfileId':1,'transactionId':41,'stackLevel':0,'chargingProfilePurpose':'TxProfile',"
      "'chargingProfileKind':'Relative'," SCHED("A", P1) "}",
      { .active = true, .confirmed = true, .tx_id = 42 }, SC_PROFILE_REJECTED, "not the transaction" },
    { "transactionId before the CSMS confirmed the transaction", 1,
      "{'chargingProfileId':1,'transactionId':42,'stackLevel':0,'chargingProfilePurpose':'TxProfile',"
      "'chargingProfileKind':'Relative'," SCHED("A", P1) "}",
      { .active = true, .confirmed = false, .tx_id = 42 }, SC_PROFILE_REJECTED, "not the transaction" },
    { "transactionId on a TxDefaultProfile", 1,
      "{'chargingProfileId':1,'transactionId':42,'stackLevel':0,'chargingProfilePurpose':'TxDefaultProfile',"
      "'chargingProfileKind':'Relative'," SCHED("A", P1) "}",
      { .active = true, .confirmed = true, .tx_id = 42 }, SC_PROFILE_REJECTED, "only valid for a TxProfile" },
    { "Recurring without startSchedule", 1, HEAD("TxDefaultProfile", "Recurring", "0")
      "'recurrencyKind':'Daily'," SCHED("A", P1) "}", {0}, SC_PROFILE_REJECTED, "needs startSchedule" },
    { "Recurring without recurrencyKind", 1, HEAD("TxDefaultProfile", "Recurring", "0")
      "'chargingSchedule':{'startSchedule':'2024-01-01T00:00:00Z','chargingRateUnit':'A','chargingSchedulePeriod':" P1 "}}",
      {0}, SC_PROFILE_REJECTED, "needs recurrencyKind" },
    { "validTo before validFrom", 1, HEAD("TxDefaultProfile", "Absolute", "0")
      "'validFrom':'2024-06-01T00:00:00Z','validTo':'2024-05-30T00:00:00Z'," SCHED("A", P1) "}", {0},
      SC_PROFILE_REJECTED, "validTo is not after validFrom" },
    { "validTo in the past", 1, HEAD("TxDefaultProfile", "Absolute", "0")
      "'validTo':'2024-05-01T11:00:00Z'," SCHED("A", P1) "}", {0}, SC_PROFILE_REJECTED, "in the past" },
    { "negative duration", 1, HEAD("TxDefaultProfile", "Absolute", "0")
      "'chargingSchedule':{'duration':-5,'chargingRateUnit':'A','chargingSchedulePeriod':" P1 "}}", {0},
      SC_PROFILE_REJECTED, "duration" },
    { "negative minChargingRate", 1, HEAD("TxDefaultProfile", "Absolute", "0")
      "'chargingSchedule':{'minChargingRate':-1,'chargingRateUnit':'A','chargingSchedulePeriod':" P1 "}}", {0},
      SC_PROFILE_REJECTED, "minChargingRate" },
};

static void
test_validation_table(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof(s_vcases) / sizeof(s_vcases[0]); i++) {
        const vcase_t *c = &s_vcases[i];
        json_t *cs = s_json(c->cs);
        sc_profile_t p;
        char why[200] = "";
        if (sc_profile_from_json(cs, c->connector, &p, why, sizeof(why)) != 0)
            fail_msg("%s: does not parse: %s", c->name, why);
        sc_verdict_t v = sc_profile_validate(&p, &s_rules, &c->tx, s_at(NOW), why, sizeof(why));
        if (v != c->expect || !strstr(why, c->why))
            fail_msg("%s: verdict %d (%s), expected %d with \"%s\"", c->name, v, why, c->expect, c->why);
        json_decref(cs);
    }
}

static void
test_parse_errors(void **state)
{
    (void) state;
    const char *bad[] = {
        "[]",
        "{'stackLevel':0}",
        HEAD("Nope", "Absolute", "0") SCHED("A", P1) "}",
        HEAD("TxProfile", "Sometimes", "0") SCHED("A", P1) "}",
        HEAD("TxProfile", "Absolute", "0") "'recurrencyKind':'Hourly'," SCHED("A", P1) "}",
        HEAD("TxProfile", "Absolute", "0") SCHED("kW", P1) "}",
        HEAD("TxProfile", "Absolute", "0") SCHED("A", "[]") "}",
        HEAD("TxProfile", "Absolute", "0") SCHED("A", "[{'startPeriod':0}]") "}",
        HEAD("TxProfile", "Absolute", "0") SCHED("A", "[{'startPeriod':0,'limit':6,'numberPhases':4}]") "}",
        HEAD("TxProfile", "Absolute", "0") "'validFrom':'yesterday'," SCHED("A", P1) "}",
        HEAD("TxProfile", "Absolute", "-1") SCHED("A", P1) "}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *cs = s_json(bad[i]);
        sc_profile_t p;
        char why[200] = "";
        if (sc_profile_from_json(cs, 1, &p, why, sizeof(why)) == 0)
            fail_msg("parsed: %s", bad[i]);
        assert_true(why[0] != '\0');
        json_decref(cs);
    }
}

//  Absolute without startSchedule starts when received; Relative drops one.
static void
test_validation_fills_in(void **state)
{
    (void) state;
    json_t *cs = s_json(HEAD("TxDefaultProfile", "Absolute", "0") SCHED("A", P1) "}");
    sc_profile_t p;
    assert_int_equal(sc_profile_from_json(cs, 1, &p, NULL, 0), 0);
    assert_false(p.has_start);
    sc_tx_view_t tx = {0};
    assert_int_equal(sc_profile_validate(&p, &s_rules, &tx, s_at(NOW), NULL, 0), SC_PROFILE_OK);
    assert_true(p.has_start);
    assert_true(p.start_ms == s_at(NOW));
    json_decref(cs);
    cs = s_json(HEAD("TxDefaultProfile", "Relative", "0")
                "'chargingSchedule':{'startSchedule':'2024-01-01T00:00:00Z','chargingRateUnit':'A','chargingSchedulePeriod':" P1 "}}");
    assert_int_equal(sc_profile_from_json(cs, 1, &p, NULL, 0), 0);
    assert_int_equal(sc_profile_validate(&p, &s_rules, &tx, s_at(NOW), NULL, 0), SC_PROFILE_OK);
    assert_false(p.has_start);
    json_decref(cs);
}

//  to_json ∘ from_json is the identity, and the result is schema-valid.
static void
test_round_trip_schema(void **state)
{
    (void) state;
    schema_set_t *schemas = schema_set_new();
    assert_non_null(schemas);
    const char *all[] = {
        GOOD,
        "{'chargingProfileId':9,'transactionId':42,'stackLevel':3,'chargingProfilePurpose':'TxProfile',"
        "'chargingProfileKind':'Recurring','recurrencyKind':'Weekly','validFrom':'2024-05-01T00:00:00.000Z',"
        "'validTo':'2025-05-01T00:00:00.000Z','chargingSchedule':{'duration':3600,"
        "'startSchedule':'2024-01-01T00:00:00.000Z','chargingRateUnit':'W','minChargingRate':1500.5,"
        "'chargingSchedulePeriod':[{'startPeriod':0,'limit':11000,'numberPhases':3}]}}",
    };
    for (size_t i = 0; i < 2; i++) {
        json_t *cs = s_json(all[i]);
        sc_profile_t a, b;
        assert_int_equal(sc_profile_from_json(cs, 1, &a, NULL, 0), 0);
        json_t *out = sc_profile_to_json(&a);
        assert_non_null(out);
        assert_int_equal(sc_profile_from_json(out, 1, &b, NULL, 0), 0);
        assert_memory_equal(&a, &b, sizeof(a));
        json_t *req = json_pack("{s:i, s:O}", "connectorId", 1, "csChargingProfiles", out);
        char why[200] = "";
        if (schema_set_validate(schemas, "SetChargingProfile", req, why, sizeof(why)) != OCPPJ_OK)
            fail_msg("stored form not schema-valid: %s", why);
        json_decref(req);
        json_decref(out);
        json_decref(cs);
    }
    schema_set_destroy(&schemas);
}

static void
test_names(void **state)
{
    (void) state;
    assert_string_equal(sc_purpose_name(SC_PURPOSE_CP_MAX), "ChargePointMaxProfile");
    assert_string_equal(sc_kind_name(SC_KIND_RELATIVE), "Relative");
    assert_string_equal(sc_recur_name(SC_RECUR_WEEKLY), "Weekly");
    assert_string_equal(sc_unit_name(SC_UNIT_W), "W");
    sc_purpose_t p;
    assert_int_equal(sc_purpose_parse("TxProfile", &p), 0);
    assert_int_equal(p, SC_PURPOSE_TX);
    assert_int_equal(sc_purpose_parse("txprofile", &p), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validation_table),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_validation_fills_in),
        cmocka_unit_test(test_round_trip_schema),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
