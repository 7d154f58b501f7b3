/* test_smartcharging_composite.c — the composite schedule (spec 3.13) as a
 * table of cases, then a property test against a naive oracle.
 *
 * The table holds every example of spec 3.13 and the errata (3.7, 3.34,
 * 3.43, 3.44), recurring profiles across midnight and week boundaries,
 * Relative profiles, stack-level overrides, validFrom/validTo edges, A/W
 * conversion, a window of duration 0 (libocpp #1169) and periods starting
 * inside the window (libocpp #609). Times are virtual: the composite never
 * reads a clock. 2024-01-01 is a Monday; 2024-05-05 a Sunday.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "actors/smartcharging/composite.h"
#include "actors/smartcharging/profile.h"
#include "supervisor/clock.h"

#define NO_TX INT64_MIN

static int64_t
s_at(const char *text)
{
    int64_t ms = 0;
    assert_int_equal(cp_clock_parse(text, &ms), 0);
    return ms;
}

//  "C|{json with single quotes}" → a parsed profile on connector C.
static void
s_profile(const char *spec, sc_profile_t *out)
{
    char text[2048];
    int connector = spec[0] - '0';
    assert_true(spec[1] == '|');
    snprintf(text, sizeof(text), "%s", spec + 2);
    for (char *c = text; *c; c++)
        if (*c == '\'')
            *c = '"';
    json_error_t err;
    json_t *cs = json_loads(text, 0, &err);
    if (!cs)
        fail_msg("bad test JSON: %s in %s", err.text, text);
    char why[200] = "";
    if (sc_profile_from_json(cs, connector, out, why, sizeof(why)) != 0)
        fail_msg("profile does not parse: %s", why);
    json_decref(cs);
}

typedef struct {
    const char *name;
    const char *profiles[6];
    const char *start;
    int64_t duration;
    const char *unit;
    int connector;
    int connectors;             //  0 → 1
    int64_t tx_offset_s[3];     //  transaction start relative to the window; 0 = none
    int phases;                 //  0 → 3
    const char *expect;         //  "start:limit start:limit ..."
} case_t;

#define TXDEF_DAILY_W \
    "1|{'chargingProfileId':100,'stackLevel':0,'chargingProfilePurpose':'TxDefaultProfile'," \
    "'chargingProfileKind':'Recurring','recurrencyKind':'Daily','chargingSchedule':{'duration':86400," \
    "'startSchedule':'2013-01-01T00:00:00Z','chargingRateUnit':'W','chargingSchedulePeriod':[" \
    "{'startPeriod':0,'limit':11000,'numberPhases':3},{'startPeriod':28800,'limit':6000,'numberPhases':3}," \
    "{'startPeriod':72000,'limit':11000,'numberPhases':3}]}}"

//  An Absolute profile: connector, id, level, purpose, startSchedule, extra schedule members, periods
#define ABS(conn, id, level, purpose, start, extra, periods) \
    conn "|{'chargingProfileId':" id ",'stackLevel':" level ",'chargingProfilePurpose':'" purpose "'," \
    "'chargingProfileKind':'Absolute','chargingSchedule':{'startSchedule':'" start "'" extra "," \
    "'chargingRateUnit':'A','chargingSchedulePeriod':" periods "}}"
#define REL(conn, id, level, purpose, periods) \
    conn "|{'chargingProfileId':" id ",'stackLevel':" level ",'chargingProfilePurpose':'" purpose "'," \
    "'chargingProfileKind':'Relative','chargingSchedule':{'chargingRateUnit':'A'," \
    "'chargingSchedulePeriod':" periods "}}"
#define LIM(x) "[{'startPeriod':0,'limit':" x "}]"
#define DAY "2024-05-01T00:00:00Z"

static const case_t s_cases[] = {
    //  ---- spec 3.13.7: daily 6 kW between 08:00 and 20:00 ----
    { "3.13.7 example, W", { TXDEF_DAILY_W }, DAY, 86400, "W", 1, 0, {0}, 0,
      "0:11000 28800:6000 72000:11000" },
    { "3.13.7 example in A (7.12: W / (230 V x 3))", { TXDEF_DAILY_W }, DAY, 86400, "A", 1, 0, {0}, 0,
      "0:15.9 28800:8.6 72000:15.9" },
    { "3.13.7 across midnight", { TXDEF_DAILY_W }, "2024-05-01T18:00:00Z", 43200, "W", 1, 0, {0}, 0,
      "0:6000 7200:11000" },
    { "3.13.7 over two days", { TXDEF_DAILY_W }, DAY, 172800, "W", 1, 0, {0}, 0,
      "0:11000 28800:6000 72000:11000 115200:6000 158400:11000" },
    { "3.13.7 window starting inside a period", { TXDEF_DAILY_W }, "2024-05-01T07:59:00Z", 120, "W", 1, 0,
      {0}, 0, "0:11000 60:6000" },
    //  ---- recurring across week boundaries ----
    { "weekly across the week boundary",
      { "1|{'chargingProfileId':7,'stackLevel':0,'chargingProfilePurpose':'TxDefaultProfile',"
        "'chargingProfileKind':'Recurring','recurrencyKind':'Weekly','chargingSchedule':{"
        "'startSchedule':'2024-01-01T00:00:00Z','chargingRateUnit':'A','chargingSchedulePeriod':["
        "{'startPeriod':0,'limit':10},{'startPeriod':432000,'limit':16}]}}" },
      "2024-05-05T12:00:00Z", 86400, "A", 1, 0, {0}, 0, "0:16 43200:10" },
    { "weekly recurrence that started after the window (phase from startSchedule)",
      { "1|{'chargingProfileId':7,'stackLevel':0,'chargingProfilePurpose':'TxDefaultProfile',"
        "'chargingProfileKind':'Recurring','recurrencyKind':'Weekly','chargingSchedule':{"
        "'startSchedule':'2024-12-30T00:00:00Z','chargingRateUnit':'A','chargingSchedulePeriod':["
        "{'startPeriod':0,'limit':10},{'startPeriod':432000,'limit':16}]}}" },
      "2024-05-05T12:00:00Z", 86400, "A", 1, 0, {0}, 0, "0:16 43200:10" },
    //  ---- errata 3.43: duration shorter than the recurrence → default ----
    { "errata 3.43 daily 22:00-06:00 then default",
      { "1|{'chargingProfileId':8,'stackLevel':0,'chargingProfilePurpose':'TxDefaultProfile',"
        "'chargingProfileKind':'Recurring','recurrencyKind':'Daily','chargingSchedule':{'duration':28800,"
        "'startSchedule':'2024-01-01T22:00:00Z','chargingRateUnit':'A','chargingSchedulePeriod':"
        LIM("10") "}}" },
      DAY, 86400, "A", 1, 0, {0}, 0, "0:10 21600:32 79200:10" },
    { "errata 3.43 fall back to the lower stack level",
      { "1|{'chargingProfileId':8,'stackLevel':1,'chargingProfilePurpose':'TxDefaultProfile',"
        "'chargingProfileKind':'Recurring','recurrencyKind':'Daily','chargingSchedule':{'duration':28800,"
        "'startSchedule':'2024-01-01T22:00:00Z','chargingRateUnit':'A','chargingSchedulePeriod':"
        LIM("10") "}}",
        ABS("0", "9", "0", "TxDefaultProfile", "2024-01-01T00:00:00Z", "", LIM("20")) },
      DAY, 86400, "A", 1, 0, {0}, 0, "0:10 21600:20 79200:10" },
    //  ---- errata 3.44: periods past the recurrence period never run ----
    { "errata 3.44 remainder periods not executed",
      { "1|{'chargingProfileId':9,'stackLevel':0,'chargingProfilePurpose':'TxDefaultProfile',"
        "'chargingProfileKind':'Recurring','recurrencyKind':'Daily','chargingSchedule':{'duration':100000,"
        "'startSchedule':'2024-01-01T00:00:00Z','chargingRateUnit':'A','chargingSchedulePeriod':["
        "{'startPeriod':0,'limit':10},{'startPeriod':90000,'limit':6}]}}" },
      DAY, 172800, "A", 1, 0, {0}, 0, "0:10" },
    //  ---- 3.13.2 stacking ----
    { "higher stack level with a duration, then back to the lower",
      { ABS("1", "1", "0", "TxDefaultProfile", DAY, "", LIM("20")),
        ABS("1", "2", "1", "TxDefaultProfile", "2024-05-01T01:00:00Z", ",'duration':7200", LIM("10")) },
      DAY, 86400, "A", 1, 0, {0}, 0, "0:20 3600:10 10800:20" },
    { "errata 3.7 highest level without duration never falls back",
      { ABS("1", "1", "0", "TxDefaultProfile", DAY, "", LIM("20")),
        ABS("1", "2", "1", "TxDefaultProfile", "2024-05-01T01:00:00Z", "", LIM("10")) },
      DAY, 86400, "A", 1, 0, {0}, 0, "0:20 3600:10" },
    { "a higher level wins even with a higher limit",
      { ABS("1", "1", "0", "TxDefaultProfile", DAY, "", LIM("10")),
        ABS("1", "2", "3", "TxDefaultProfile", DAY, "", LIM("25")) },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:25" },
    //  ---- 3.13.1 TxDefaultProfile on connector 0 vs one connector ----
    { "connector-specific TxDefault beats connector 0 at the same level",
      { ABS("0", "1", "0", "TxDefaultProfile", DAY, "", LIM("20")),
        ABS("1", "2", "0", "TxDefaultProfile", DAY, "", LIM("12")) },
      DAY, 3600, "A", 1, 2, {0}, 0, "0:12" },
    { "... and only for that connector",
      { ABS("0", "1", "0", "TxDefaultProfile", DAY, "", LIM("20")),
        ABS("1", "2", "0", "TxDefaultProfile", DAY, "", LIM("12")) },
      DAY, 3600, "A", 2, 2, {0}, 0, "0:20" },
    { "connector 0 at a higher level beats a connector's lower level",
      { ABS("0", "1", "2", "TxDefaultProfile", DAY, "", LIM("20")),
        ABS("1", "2", "1", "TxDefaultProfile", DAY, "", LIM("12")) },
      DAY, 3600, "A", 1, 2, {0}, 0, "0:20" },
    //  ---- TxProfile ----
    { "TxProfile overrules TxDefault during a transaction",
      { ABS("0", "1", "0", "TxDefaultProfile", DAY, "", LIM("20")),
        REL("1", "2", "0", "TxProfile", LIM("10")) },
      DAY, 3600, "A", 1, 0, {-60}, 0, "0:10" },
    { "TxProfile ignored without a transaction",
      { ABS("0", "1", "0", "TxDefaultProfile", DAY, "", LIM("20")),
        REL("1", "2", "0", "TxProfile", LIM("10")) },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:20" },
    { "TxProfile with a duration falls back to TxDefault when it ends",
      { ABS("0", "1", "0", "TxDefaultProfile", DAY, "", LIM("20")),
        "1|{'chargingProfileId':2,'stackLevel':0,'chargingProfilePurpose':'TxProfile',"
        "'chargingProfileKind':'Relative','chargingSchedule':{'duration':900,'chargingRateUnit':'A',"
        "'chargingSchedulePeriod':" LIM("8") "}}" },
      DAY, 3600, "A", 1, 0, {-300}, 0, "0:8 600:20" },
    //  ---- Relative ----
    { "Relative from the transaction start",
      { REL("1", "1", "0", "TxProfile", "[{'startPeriod':0,'limit':6},{'startPeriod':600,'limit':16}]") },
      DAY, 3600, "A", 1, 0, {-300}, 0, "0:6 300:16" },
    { "Relative TxDefault without a transaction starts with the window",
      { REL("0", "1", "0", "TxDefaultProfile", "[{'startPeriod':0,'limit':6},{'startPeriod':600,'limit':16}]") },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:6 600:16" },
    { "Relative TxDefault on connector 0 follows each connector's transaction",
      { REL("0", "1", "0", "TxDefaultProfile", "[{'startPeriod':0,'limit':6},{'startPeriod':600,'limit':16}]") },
      DAY, 3600, "A", 2, 2, {0, -500}, 0, "0:6 100:16" },
    //  ---- 3.13.3 ChargePointMaxProfile caps ----
    { "ChargePointMaxProfile caps the connector",
      { ABS("0", "1", "0", "ChargePointMaxProfile", DAY, "", LIM("16")),
        ABS("1", "2", "0", "TxDefaultProfile", DAY, "", LIM("20")) },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:16" },
    { "minimum per interval of different lengths",
      { ABS("0", "1", "0", "ChargePointMaxProfile", DAY, "",
            "[{'startPeriod':0,'limit':40},{'startPeriod':3600,'limit':10}]"),
        ABS("1", "2", "0", "TxDefaultProfile", DAY, "",
            "[{'startPeriod':0,'limit':20},{'startPeriod':1800,'limit':25},{'startPeriod':5400,'limit':6}]") },
      DAY, 7200, "A", 1, 0, {0}, 0, "0:20 1800:25 3600:10 5400:6" },
    { "ChargePointMaxProfile in W capping an A schedule",
      { "0|{'chargingProfileId':1,'stackLevel':0,'chargingProfilePurpose':'ChargePointMaxProfile',"
        "'chargingProfileKind':'Absolute','chargingSchedule':{'startSchedule':'" DAY "',"
        "'chargingRateUnit':'W','chargingSchedulePeriod':" LIM("6900") "}}" },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:10" },
    //  ---- connector 0: the total ----
    { "connector 0 without profiles: sum of the defaults",
      { NULL }, DAY, 3600, "A", 0, 2, {0}, 0, "0:64" },
    { "connector 0: sum of the connectors capped by ChargePointMaxProfile",
      { ABS("0", "1", "0", "TxDefaultProfile", DAY, "", LIM("20")),
        ABS("0", "2", "0", "ChargePointMaxProfile", DAY, "",
            "[{'startPeriod':0,'limit':50},{'startPeriod':600,'limit':30}]") },
      DAY, 3600, "A", 0, 2, {0}, 0, "0:40 600:30" },
    //  ---- validFrom / validTo ----
    { "validFrom and validTo bound the profile",
      { "1|{'chargingProfileId':1,'stackLevel':0,'chargingProfilePurpose':'TxDefaultProfile',"
        "'chargingProfileKind':'Absolute','validFrom':'2024-05-01T00:01:40Z','validTo':'2024-05-01T00:03:20Z',"
        "'chargingSchedule':{'startSchedule':'" DAY "','chargingRateUnit':'A','chargingSchedulePeriod':"
        LIM("10") "}}" },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:32 100:10 200:32" },
    { "validTo at the window start: already over",
      { "1|{'chargingProfileId':1,'stackLevel':0,'chargingProfilePurpose':'TxDefaultProfile',"
        "'chargingProfileKind':'Absolute','validTo':'" DAY "',"
        "'chargingSchedule':{'startSchedule':'2024-04-01T00:00:00Z','chargingRateUnit':'A',"
        "'chargingSchedulePeriod':" LIM("10") "}}" },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:32" },
    { "validFrom at the window end: not yet",
      { "1|{'chargingProfileId':1,'stackLevel':0,'chargingProfilePurpose':'TxDefaultProfile',"
        "'chargingProfileKind':'Absolute','validFrom':'2024-05-01T01:00:00Z',"
        "'chargingSchedule':{'startSchedule':'2024-04-01T00:00:00Z','chargingRateUnit':'A',"
        "'chargingSchedulePeriod':" LIM("10") "}}" },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:32" },
    { "validFrom in the window, lower level until then",
      { ABS("1", "1", "0", "TxDefaultProfile", DAY, "", LIM("20")),
        "1|{'chargingProfileId':2,'stackLevel':1,'chargingProfilePurpose':'TxDefaultProfile',"
        "'chargingProfileKind':'Absolute','validFrom':'2024-05-01T00:30:00Z',"
        "'chargingSchedule':{'startSchedule':'2024-04-01T00:00:00Z','chargingRateUnit':'A',"
        "'chargingSchedulePeriod':" LIM("10") "}}" },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:20 1800:10" },
    //  ---- durations ----
    { "window of duration 0 reports the profile, not the default (libocpp #1169)",
      { "0|{'chargingProfileId':0,'stackLevel':0,'chargingProfilePurpose':'ChargePointMaxProfile',"
        "'chargingProfileKind':'Absolute','chargingSchedule':{'startSchedule':'2024-04-01T00:00:00Z',"
        "'chargingRateUnit':'W','chargingSchedulePeriod':" LIM("15000") "}}" },
      DAY, 0, "W", 0, 0, {0}, 0, "0:15000" },
    { "schedule of duration 0 never applies",
      { ABS("1", "1", "0", "TxDefaultProfile", DAY, ",'duration':0", LIM("10")) },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:32" },
    { "last period runs until the duration ends",
      { ABS("1", "1", "0", "TxDefaultProfile", DAY, ",'duration':1200",
            "[{'startPeriod':0,'limit':10},{'startPeriod':600,'limit':12}]") },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:10 600:12 1200:32" },
    { "periods past the duration are not executed",
      { ABS("1", "1", "0", "TxDefaultProfile", DAY, ",'duration':500",
            "[{'startPeriod':0,'limit':10},{'startPeriod':600,'limit':12}]") },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:10 500:32" },
    { "an Absolute schedule in the past that ended",
      { ABS("1", "1", "0", "TxDefaultProfile", "2024-04-30T00:00:00Z", ",'duration':3600", LIM("10")) },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:32" },
    { "a period starting inside the window (libocpp #609)",
      { ABS("1", "1", "0", "TxDefaultProfile", "2024-05-01T00:10:00Z", "", LIM("10")) },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:32 600:10" },
    //  ---- merging ----
    { "adjacent periods with the same limit merge",
      { ABS("1", "1", "0", "TxDefaultProfile", DAY, "",
            "[{'startPeriod':0,'limit':16},{'startPeriod':100,'limit':16},{'startPeriod':200,'limit':10}]") },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:16 200:10" },
    { "a profile equal to the default still merges",
      { ABS("1", "1", "0", "TxDefaultProfile", "2024-05-01T00:10:00Z", "", LIM("32")) },
      DAY, 3600, "A", 1, 0, {0}, 0, "0:32" },
    //  ---- units and phases (7.12, errata 3.34) ----
    { "A to W with numberPhases absent: 3 phases",
      { ABS("1", "1", "0", "TxDefaultProfile", DAY, "", LIM("10")) },
      DAY, 3600, "W", 1, 0, {0}, 0, "0:6900" },
    { "A to W with one phase",
      { ABS("1", "1", "0", "TxDefaultProfile", DAY, "", "[{'startPeriod':0,'limit':16,'numberPhases':1}]") },
      DAY, 3600, "W", 1, 0, {0}, 0, "0:3680" },
    { "errata 3.34: more phases than the charger has",
      { "1|{'chargingProfileId':1,'stackLevel':0,'chargingProfilePurpose':'TxDefaultProfile',"
        "'chargingProfileKind':'Absolute','chargingSchedule':{'startSchedule':'" DAY "',"
        "'chargingRateUnit':'W','chargingSchedulePeriod':[{'startPeriod':0,'limit':6900,'numberPhases':3}]}}" },
      DAY, 3600, "A", 1, 0, {0}, 1, "0:30" },
    { "default limit in W", { NULL }, DAY, 60, "W", 1, 0, {0}, 0, "0:22080" },
};

static sc_unit_t
s_unit(const char *text)
{
    sc_unit_t unit = SC_UNIT_A;
    assert_int_equal(sc_unit_parse(text, &unit), 0);
    return unit;
}

static void
s_run_case(const case_t *c)
{
    sc_profile_t profiles[6];
    const sc_profile_t *ptrs[6];
    int count = 0;
    for (; count < 6 && c->profiles[count]; count++) {
        s_profile(c->profiles[count], &profiles[count]);
        ptrs[count] = &profiles[count];
    }
    sc_composite_req_t req = {
        .profiles = ptrs, .profile_count = count,
        .connectors = c->connectors ? c->connectors : 1, .connector = c->connector,
        .start_ms = s_at(c->start), .duration_s = c->duration, .unit = s_unit(c->unit),
        .voltage_v = 230, .phases = c->phases ? c->phases : 3, .default_limit_a = 32,
    };
    for (int i = 0; i < 3; i++)
        if (c->tx_offset_s[i])
            req.tx_start_ms[i + 1] = req.start_ms + c->tx_offset_s[i] * 1000;
    sc_slot_t out[32];
    bool truncated = true;
    int n = sc_composite(&req, out, 32, &truncated);
    char got[512] = "";
    for (int i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%lld:%g", i ? " " : "",
                 (long long) out[i].start_s, out[i].limit);
    if (n < 1 || truncated || strcmp(got, c->expect) != 0)
        fail_msg("case \"%s\": expected \"%s\", got \"%s\" (n=%d)", c->name, c->expect, got, n);
}

static void
test_table(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof(s_cases) / sizeof(s_cases[0]); i++)
        s_run_case(&s_cases[i]);
}

//  The phases and default flags of the output.
static void
test_phases_and_default_flag(void **state)
{
    (void) state;
    sc_profile_t p;
    s_profile(ABS("1", "1", "0", "TxDefaultProfile", "2024-05-01T00:10:00Z", "",
                  "[{'startPeriod':0,'limit':10,'numberPhases':1}]"), &p);
    const sc_profile_t *ptrs[] = { &p };
    sc_composite_req_t req = {
        .profiles = ptrs, .profile_count = 1, .connectors = 1, .connector = 1,
        .start_ms = s_at(DAY), .duration_s = 3600, .unit = SC_UNIT_A, .phases = 3,
        .default_limit_a = 32,
    };
    sc_slot_t out[4];
    assert_int_equal(sc_composite(&req, out, 4, NULL), 2);
    assert_true(out[0].is_default);
    assert_int_equal(out[0].phases, 3);
    assert_false(out[1].is_default);
    assert_int_equal(out[1].phases, 1);
    assert_int_equal(out[1].start_s, 600);
}

//  max_out = 2: the limit now and when it changes (what the actor uses).
static void
test_truncation_gives_next_change(void **state)
{
    (void) state;
    sc_profile_t p;
    s_profile(TXDEF_DAILY_W, &p);
    const sc_profile_t *ptrs[] = { &p };
    sc_composite_req_t req = {
        .profiles = ptrs, .profile_count = 1, .connectors = 1, .connector = 1,
        .start_ms = s_at("2024-05-01T07:00:00Z"), .duration_s = 8 * 86400, .unit = SC_UNIT_A,
        .phases = 3, .default_limit_a = 32,
    };
    sc_slot_t out[2];
    bool truncated = false;
    assert_int_equal(sc_composite(&req, out, 2, &truncated), 2);
    assert_true(truncated);
    assert_float_equal(out[0].limit, 15.9, 1e-9);
    assert_int_equal(out[1].start_s, 3600);
    assert_float_equal(out[1].limit, 8.6, 1e-9);
}

static void
test_bad_requests(void **state)
{
    (void) state;
    sc_slot_t out[2];
    sc_composite_req_t req = { .connectors = 2, .connector = 3, .duration_s = 10 };
    assert_int_equal(sc_composite(&req, out, 2, NULL), -1);
    req.connector = 1;
    req.duration_s = -1;
    assert_int_equal(sc_composite(&req, out, 2, NULL), -1);
    req.duration_s = 1;
    assert_int_equal(sc_composite(&req, out, 0, NULL), -1);
    req.connectors = 0;
    assert_int_equal(sc_composite(&req, out, 2, NULL), -1);
}

static void
test_share(void **state)
{
    (void) state;
    double want[3] = { 6, 32, 32 }, out[3];
    sc_share(40, want, 3, out);
    assert_float_equal(out[0], 6, 1e-9);
    assert_float_equal(out[1], 17, 1e-9);
    assert_float_equal(out[2], 17, 1e-9);
    sc_share(100, want, 3, out);
    assert_float_equal(out[1], 32, 1e-9);
    sc_share(-5, want, 3, out);
    assert_float_equal(out[0] + out[1] + out[2], 0, 1e-9);
    assert_float_equal(sc_round_limit(2.3), 2.3, 1e-12);
    assert_float_equal(sc_round_limit(8.6956), 8.6, 1e-12);
    assert_float_equal(sc_round_limit(-1), 0, 1e-12);
}

//  --------------------------------------------------------------------------
//  Property test: a naive oracle straight from the spec's words, sampled.

static uint64_t s_rng = 0x9E3779B97F4A7C15ULL;
static int
s_rand(int n)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (int) (s_rng % (uint64_t) n);
}

//  Is p active at t, and with what limit (own unit, own phases)?
static bool
s_oracle_active(const sc_profile_t *p, int64_t t, int64_t rel, double *limit, int *phases)
{
    if (p->has_valid_from && t < p->valid_from_ms)
        return false;
    if (p->has_valid_to && t >= p->valid_to_ms)
        return false;
    int64_t start = p->kind == SC_KIND_RELATIVE ? rel : p->start_ms;
    int64_t length = p->has_duration ? p->duration_s * 1000 : INT64_MAX / 4;
    if (p->kind == SC_KIND_RECURRING) {
        int64_t period = (p->recur == SC_RECUR_WEEKLY ? 7 : 1) * 86400000LL;
        while (start > t)
            start -= period;
        while (start + period <= t)
            start += period;
        if (length > period)
            length = period;
    }
    if (t < start || t - start >= length)
        return false;
    int i = 0;
    while (i + 1 < p->period_count && p->periods[i + 1].start_s * 1000 <= t - start)
        i++;
    *limit = p->periods[i].limit;
    *phases = p->periods[i].phases;
    return true;
}

static double
s_oracle_convert(double limit, sc_unit_t from, int phases, sc_unit_t to)
{
    int ph = phases ? phases : 3;
    if (from == to)
        return limit;
    return from == SC_UNIT_A ? limit * 230 * ph : limit / (230 * ph);
}

//  The prevailing limit of a purpose for connector c at t, or NAN.
static double
s_oracle_purpose(const sc_profile_t *ps, int n, int c, sc_purpose_t purpose, int64_t t, int64_t rel,
                 sc_unit_t unit)
{
    int best = -1;
    double best_limit = NAN;
    for (int i = 0; i < n; i++) {
        const sc_profile_t *p = &ps[i];
        if (p->purpose != purpose)
            continue;
        if (purpose == SC_PURPOSE_TX_DEFAULT && p->connector != 0 && p->connector != c)
            continue;
        if (purpose != SC_PURPOSE_TX_DEFAULT && p->connector != c)
            continue;
        double limit;
        int phases;
        if (!s_oracle_active(p, t, rel, &limit, &phases))
            continue;
        int prio = p->stack_level * 2 + (p->connector == c && c != 0 ? 1 : 0);
        if (prio > best) {
            best = prio;
            best_limit = s_oracle_convert(limit, p->unit, phases, unit);
        }
    }
    return best_limit;
}

static void
s_random_profile(sc_profile_t *p, int id, int64_t base)
{
    memset(p, 0, sizeof(*p));
    p->id = id;
    p->purpose = (sc_purpose_t) s_rand(3);
    p->connector = p->purpose == SC_PURPOSE_CP_MAX ? 0 : p->purpose == SC_PURPOSE_TX ? 1 : s_rand(2);
    p->stack_level = s_rand(4);
    p->kind = (sc_kind_t) s_rand(3);
    p->unit = s_rand(4) == 0 ? SC_UNIT_W : SC_UNIT_A;
    if (p->kind == SC_KIND_RECURRING)
        p->recur = s_rand(2) ? SC_RECUR_DAILY : SC_RECUR_WEEKLY;
    if (p->kind != SC_KIND_RELATIVE) {
        p->has_start = true;
        p->start_ms = base + (int64_t) (s_rand(4 * 86400) - 2 * 86400) * 1000;
    }
    if (s_rand(2)) {
        p->has_duration = true;
        p->duration_s = s_rand(3) == 0 ? 0 : s_rand(2 * 86400);
    }
    if (s_rand(3) == 0) {
        p->has_valid_from = true;
        p->valid_from_ms = base + (int64_t) (s_rand(2 * 86400) - 86400) * 1000;
    }
    if (s_rand(3) == 0) {
        p->has_valid_to = true;
        p->valid_to_ms = base + (int64_t) s_rand(3 * 86400) * 1000;
    }
    p->period_count = 1 + s_rand(6);
    int64_t start = 0;
    for (int i = 0; i < p->period_count; i++) {
        p->periods[i].start_s = start;
        start += 1 + s_rand(8 * 3600);
        p->periods[i].limit = p->unit == SC_UNIT_A ? s_rand(400) / 10.0 : s_rand(250) * 100.0;
        p->periods[i].phases = s_rand(4);
    }
}

static void
test_property_oracle(void **state)
{
    (void) state;
    int64_t base = s_at("2024-05-01T00:00:00Z");
    for (int iter = 0; iter < 300; iter++) {
        sc_profile_t ps[8];
        const sc_profile_t *ptrs[8];
        int n = 1 + s_rand(8);
        for (int i = 0; i < n; i++) {
            s_random_profile(&ps[i], i + 1, base);
            ptrs[i] = &ps[i];
        }
        int connector = s_rand(3);          //  0, 1 or 2 of 2 connectors
        sc_composite_req_t req = {
            .profiles = ptrs, .profile_count = n, .connectors = 2, .connector = connector,
            .start_ms = base + (int64_t) s_rand(86400) * 1000, .duration_s = s_rand(2 * 86400),
            .unit = s_rand(2) ? SC_UNIT_A : SC_UNIT_W, .voltage_v = 230, .phases = 3,
            .default_limit_a = 32,
        };
        if (s_rand(2))
            req.tx_start_ms[1] = req.start_ms - (int64_t) s_rand(7200) * 1000;
        if (s_rand(2))
            req.tx_start_ms[2] = req.start_ms - (int64_t) s_rand(7200) * 1000;
        sc_slot_t out[512];
        bool truncated = true;
        int count = sc_composite(&req, out, 512, &truncated);
        assert_true(count >= 1);
        assert_false(truncated);
        assert_int_equal(out[0].start_s, 0);
        for (int i = 1; i < count; i++) {
            assert_true(out[i].start_s > out[i - 1].start_s);
            assert_true(out[i].limit != out[i - 1].limit || out[i].phases != out[i - 1].phases);
            assert_true(out[i].start_s < req.duration_s);
        }
        double def = s_oracle_convert(32, SC_UNIT_A, 3, req.unit);
        for (int64_t s = 0; s <= req.duration_s; s += 1 + s_rand(600)) {
            int64_t t = req.start_ms + s * 1000;
            if (s == req.duration_s && s > 0)
                break;
            int k = 0;
            while (k + 1 < count && out[k + 1].start_s <= s)
                k++;
            double got = out[k].limit;
            double cpmax = s_oracle_purpose(ps, n, 0, SC_PURPOSE_CP_MAX, t, req.start_ms, req.unit);
            double own[3];
            for (int c = 1; c <= 2; c++) {
                int64_t rel = req.tx_start_ms[c] ? req.tx_start_ms[c] : req.start_ms;
                double tx = req.tx_start_ms[c]
                          ? s_oracle_purpose(ps, n, c, SC_PURPOSE_TX, t, rel, req.unit) : NAN;
                double txd = s_oracle_purpose(ps, n, c, SC_PURPOSE_TX_DEFAULT, t, rel, req.unit);
                own[c] = !isnan(tx) ? tx : !isnan(txd) ? txd : def;
            }
            double expect = connector ? own[connector] : own[1] + own[2];
            if (!isnan(cpmax) && cpmax < expect)
                expect = cpmax;
            //  ≤ every prevailing limit, and equal to one of them (or the
            //  default / the total), rounded down to 0.1
            if (!isnan(cpmax))
                assert_true(got <= cpmax + 1e-9);
            if (connector)
                assert_true(got <= own[connector] + 1e-9);
            if (fabs(got - sc_round_limit(expect)) > 1e-9)
                fail_msg("iter %d, t=+%llds, connector %d: composite %g, oracle %g", iter,
                         (long long) s, connector, got, expect);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_phases_and_default_flag),
        cmocka_unit_test(test_truncation_gives_next_change),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_share),
        cmocka_unit_test(test_property_oracle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
