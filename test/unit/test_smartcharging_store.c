/* test_smartcharging_store.c — the durable profile store and the three
 * OCPP operations on it: replacement rules (same id; same stackLevel +
 * purpose + connector), ClearChargingProfile combinations (errata 3.25,
 * 3.26), MaxChargingProfilesInstalled, TxProfiles removed with their
 * transaction, persistence across a reopen (errata 3.37), and every
 * request and response checked against the official schemas.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "actors/smartcharging/sc_ops.h"
#include "gateway/schema.h"
#include "supervisor/clock.h"
#include "supervisor/store.h"

typedef struct {
    char dir[64];
    sqlite3 *db;
    sc_store_t *store;
    schema_set_t *schemas;
    sc_ops_ctx_t ctx;
} fixture_t;

static void
s_open(fixture_t *f)
{
    char err[256];
    f->db = cp_store_open(f->dir, err, sizeof(err));
    assert_non_null(f->db);
    f->store = sc_store_new(f->db);
    assert_non_null(f->store);
    f->ctx.store = f->store;
}

static void
s_close(fixture_t *f)
{
    sc_store_destroy(&f->store);
    cp_store_close(&f->db);
}

static int
s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(fixture_t));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test-sc-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    s_open(f);
    f->schemas = schema_set_new();
    assert_non_null(f->schemas);
    f->ctx.rules = (sc_rules_t) { .connectors = 2, .max_stack_level = 8, .max_periods = 24,
                                  .allow_a = true, .allow_w = true };
    f->ctx.max_installed = 6;
    f->ctx.voltage_v = 230;
    f->ctx.phases = 3;
    f->ctx.default_limit_a = 32;
    assert_int_equal(cp_clock_parse("2024-05-01T12:00:00.250Z", &f->ctx.now_ms), 0);
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    s_close(f);
    schema_set_destroy(&f->schemas);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

//  Run one operation (single-quoted JSON), validating both directions;
//  returns the response (caller decrefs), or NULL for a CALLERROR.
static json_t *
s_op(fixture_t *f, const char *action, const char *single_quoted)
{
    char text[4096];
    snprintf(text, sizeof(text), "%s", single_quoted);
    for (char *c = text; *c; c++)
        if (*c == '\'')
            *c = '"';
    json_error_t jerr;
    json_t *request = json_loads(text, 0, &jerr);
    if (!request)
        fail_msg("bad test JSON: %s", jerr.text);
    char why[256] = "";
    if (schema_set_validate(f->schemas, action, request, why, sizeof(why)) != OCPPJ_OK)
        fail_msg("%s request not schema-valid: %s", action, why);
    json_t *response = NULL;
    if (strcmp(action, "SetChargingProfile") == 0)
        response = set_charging_profile(&f->ctx, request);
    else
    if (strcmp(action, "ClearChargingProfile") == 0)
        response = clear_charging_profile(&f->ctx, request);
    else
        response = get_composite_schedule(&f->ctx, request);
    json_decref(request);
    if (response) {
        char name[64];
        snprintf(name, sizeof(name), "%sResponse", action);
        if (schema_set_validate(f->schemas, name, response, why, sizeof(why)) != OCPPJ_OK)
            fail_msg("%s not schema-valid: %s", name, why);
    }
    else
        assert_true(f->ctx.error_code[0] != '\0');
    return response;
}

static const char *
s_status(json_t *response)
{
    static char buf[32];
    snprintf(buf, sizeof(buf), "%s", response ? json_string_value(json_object_get(response, "status")) : "CALLERROR");
    json_decref(response);
    return buf;
}

static char s_buf[2048];
static const char *
s_set(int connector, int id, int level, const char *purpose, const char *kind, double limit)
{
    snprintf(s_buf, sizeof(s_buf),
             "{'connectorId':%d,'csChargingProfiles':{'chargingProfileId':%d,'stackLevel':%d,"
             "'chargingProfilePurpose':'%s','chargingProfileKind':'%s','chargingSchedule':{"
             "%s'chargingRateUnit':'A','chargingSchedulePeriod':[{'startPeriod':0,'limit':%.1f}]}}}",
             connector, id, level, purpose, kind,
             strcmp(kind, "Relative") == 0 ? "" : "'startSchedule':'2024-05-01T00:00:00Z',", limit);
    return s_buf;
}

static bool
s_has(fixture_t *f, int id)
{
    int n;
    const sc_profile_t *const *ps = sc_store_profiles(f->store, &n);
    for (int i = 0; i < n; i++)
        if (ps[i]->id == id)
            return true;
    return false;
}

static void
test_replacement_rules(void **state)
{
    fixture_t *f = *state;
    assert_string_equal(s_status(s_op(f, "SetChargingProfile", s_set(1, 1, 0, "TxDefaultProfile", "Absolute", 16))), "Accepted");
    assert_true(f->ctx.changed);
    assert_string_equal(s_status(s_op(f, "SetChargingProfile", s_set(1, 2, 1, "TxDefaultProfile", "Absolute", 10))), "Accepted");
    assert_int_equal(sc_store_count(f->store), 2);
    //  same id replaces, whatever else changed
    assert_string_equal(s_status(s_op(f, "SetChargingProfile", s_set(0, 1, 3, "TxDefaultProfile", "Absolute", 12))), "Accepted");
    assert_int_equal(sc_store_count(f->store), 2);
    //  same stackLevel + purpose + connector replaces (id 2 → 3)
    assert_string_equal(s_status(s_op(f, "SetChargingProfile", s_set(1, 3, 1, "TxDefaultProfile", "Absolute", 8))), "Accepted");
    assert_int_equal(sc_store_count(f->store), 2);
    assert_false(s_has(f, 2));
    assert_true(s_has(f, 3));
    //  same level + purpose on another connector: added (3.13.1)
    assert_string_equal(s_status(s_op(f, "SetChargingProfile", s_set(2, 4, 1, "TxDefaultProfile", "Absolute", 8))), "Accepted");
    //  same level, other purpose: added
    assert_string_equal(s_status(s_op(f, "SetChargingProfile", s_set(0, 5, 1, "ChargePointMaxProfile", "Absolute", 20))), "Accepted");
    assert_int_equal(sc_store_count(f->store), 4);
}

static void
test_rejected_stores_nothing(void **state)
{
    fixture_t *f = *state;
    assert_string_equal(s_status(s_op(f, "SetChargingProfile", s_set(1, 1, 9, "TxDefaultProfile", "Absolute", 16))), "Rejected");
    assert_string_equal(s_status(s_op(f, "SetChargingProfile", s_set(1, 1, 0, "TxProfile", "Relative", 16))), "Rejected");
    assert_string_equal(s_status(s_op(f, "SetChargingProfile", s_set(1, 1, 0, "ChargePointMaxProfile", "Absolute", 16))), "Rejected");
    assert_null(s_op(f, "SetChargingProfile", s_set(3, 1, 0, "TxDefaultProfile", "Absolute", 16)));
    assert_string_equal(f->ctx.error_code, "PropertyConstraintViolation");
    assert_int_equal(sc_store_count(f->store), 0);
    assert_false(f->ctx.changed);
}

static void
test_max_installed(void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 6; i++)
        assert_string_equal(s_status(s_op(f, "SetChargingProfile", s_set(i % 3, 10 + i, i, "TxDefaultProfile", "Absolute", 16))), "Accepted");
    assert_string_equal(s_status(s_op(f, "SetChargingProfile", s_set(1, 99, 7, "TxDefaultProfile", "Absolute", 16))), "Rejected");
    assert_non_null(strstr(f->ctx.reason, "MaxChargingProfilesInstalled"));
    //  a replacement still fits
    assert_string_equal(s_status(s_op(f, "SetChargingProfile", s_set(0, 10, 0, "TxDefaultProfile", "Absolute", 6))), "Accepted");
    assert_int_equal(sc_store_count(f->store), 6);
}

static void
test_clear_combinations(void **state)
{
    fixture_t *f = *state;
    f->ctx.max_installed = 32;
    s_status(s_op(f, "SetChargingProfile", s_set(0, 1, 0, "ChargePointMaxProfile", "Absolute", 40)));
    s_status(s_op(f, "SetChargingProfile", s_set(0, 2, 0, "TxDefaultProfile", "Absolute", 20)));
    s_status(s_op(f, "SetChargingProfile", s_set(1, 3, 0, "TxDefaultProfile", "Absolute", 16)));
    s_status(s_op(f, "SetChargingProfile", s_set(1, 4, 1, "TxDefaultProfile", "Absolute", 10)));
    s_status(s_op(f, "SetChargingProfile", s_set(2, 5, 1, "TxDefaultProfile", "Absolute", 10)));
    assert_int_equal(sc_store_count(f->store), 5);
    //  unknown id → Unknown, nothing cleared
    assert_string_equal(s_status(s_op(f, "ClearChargingProfile", "{'id':77}")), "Unknown");
    //  id given: the other fields are ignored (errata 3.26)
    assert_string_equal(s_status(s_op(f, "ClearChargingProfile", "{'id':3,'connectorId':2,'stackLevel':5}")), "Accepted");
    assert_false(s_has(f, 3));
    //  AND of the fields: stackLevel 1 on connector 2 → only 5
    assert_string_equal(s_status(s_op(f, "ClearChargingProfile", "{'connectorId':2,'stackLevel':1}")), "Accepted");
    assert_false(s_has(f, 5));
    assert_true(s_has(f, 4));
    //  no match → Unknown
    assert_string_equal(s_status(s_op(f, "ClearChargingProfile",
        "{'connectorId':1,'chargingProfilePurpose':'ChargePointMaxProfile'}")), "Unknown");
    //  purpose alone
    assert_string_equal(s_status(s_op(f, "ClearChargingProfile", "{'chargingProfilePurpose':'TxDefaultProfile'}")), "Accepted");
    assert_int_equal(sc_store_count(f->store), 1);
    assert_true(s_has(f, 1));
    //  nothing given: everything (errata 3.25)
    assert_string_equal(s_status(s_op(f, "ClearChargingProfile", "{}")), "Accepted");
    assert_int_equal(sc_store_count(f->store), 0);
    assert_string_equal(s_status(s_op(f, "ClearChargingProfile", "{}")), "Unknown");
}

static void
test_tx_profile_lifecycle(void **state)
{
    fixture_t *f = *state;
    f->ctx.tx[1] = (sc_tx_view_t) { .active = true, .confirmed = true, .tx_id = 42 };
    f->ctx.tx_local[1] = 7;
    f->ctx.tx_start_ms[1] = f->ctx.now_ms - 600000;
    assert_string_equal(s_status(s_op(f, "SetChargingProfile", s_set(1, 1, 0, "TxProfile", "Relative", 10))), "Accepted");
    assert_string_equal(s_status(s_op(f, "SetChargingProfile", s_set(0, 2, 0, "TxDefaultProfile", "Absolute", 20))), "Accepted");
    //  the same transaction keeps it
    assert_int_equal(sc_store_end_tx(f->store, 1, 7), 0);
    //  another connector's end does not touch it
    assert_int_equal(sc_store_end_tx(f->store, 2, 0), 0);
    //  a different transaction on the connector (we missed the end) drops it
    assert_int_equal(sc_store_end_tx(f->store, 1, 8), 1);
    assert_false(s_has(f, 1));
    assert_true(s_has(f, 2));
}

static void
test_persistence(void **state)
{
    fixture_t *f = *state;
    f->ctx.tx[1] = (sc_tx_view_t) { .active = true, .confirmed = true, .tx_id = 42 };
    f->ctx.tx_local[1] = 7;
    s_status(s_op(f, "SetChargingProfile", s_set(1, 1, 0, "TxProfile", "Relative", 10)));
    s_status(s_op(f, "SetChargingProfile",
        "{'connectorId':0,'csChargingProfiles':{'chargingProfileId':100,'stackLevel':0,"
        "'chargingProfilePurpose':'TxDefaultProfile','chargingProfileKind':'Recurring','recurrencyKind':'Daily',"
        "'chargingSchedule':{'duration':86400,'startSchedule':'2013-01-01T00:00:00Z','chargingRateUnit':'W',"
        "'chargingSchedulePeriod':[{'startPeriod':0,'limit':11000,'numberPhases':3},"
        "{'startPeriod':28800,'limit':6000,'numberPhases':3},{'startPeriod':72000,'limit':11000,'numberPhases':3}]}}}"));
    int n;
    const sc_profile_t *const *before = sc_store_profiles(f->store, &n);
    assert_int_equal(n, 2);
    sc_profile_t copy[2] = { *before[0], *before[1] };
    s_close(f);
    s_open(f);
    const sc_profile_t *const *after = sc_store_profiles(f->store, &n);
    assert_int_equal(n, 2);
    for (int i = 0; i < 2; i++)
        assert_memory_equal(after[i], &copy[i], sizeof(sc_profile_t));
    //  the TxProfile still knows its transaction after the reopen
    assert_int_equal(sc_store_end_tx(f->store, 1, 7), 0);
    assert_int_equal(sc_store_end_tx(f->store, 1, 0), 1);
    s_close(f);
    s_open(f);
    assert_int_equal(sc_store_count(f->store), 1);
}

static void
test_corrupt_row_dropped(void **state)
{
    fixture_t *f = *state;
    s_status(s_op(f, "SetChargingProfile", s_set(1, 1, 0, "TxDefaultProfile", "Absolute", 16)));
    assert_int_equal(cp_store_exec(f->db, "INSERT INTO sc_profiles (id, connector, purpose, stack_level, profile)"
                                          " VALUES (5, 1, 'TxDefaultProfile', 3, 'not json')"), 0);
    s_close(f);
    s_open(f);
    assert_int_equal(sc_store_count(f->store), 1);
    s_close(f);
    s_open(f);
    assert_int_equal(sc_store_count(f->store), 1);
}

static void
test_get_composite_schedule(void **state)
{
    fixture_t *f = *state;
    s_status(s_op(f, "SetChargingProfile",
        "{'connectorId':0,'csChargingProfiles':{'chargingProfileId':100,'stackLevel':0,"
        "'chargingProfilePurpose':'TxDefaultProfile','chargingProfileKind':'Recurring','recurrencyKind':'Daily',"
        "'chargingSchedule':{'duration':86400,'startSchedule':'2013-01-01T00:00:00Z','chargingRateUnit':'W',"
        "'chargingSchedulePeriod':[{'startPeriod':0,'limit':11000,'numberPhases':3},"
        "{'startPeriod':28800,'limit':6000,'numberPhases':3},{'startPeriod':72000,'limit':11000,'numberPhases':3}]}}}"));
    json_t *r = s_op(f, "GetCompositeSchedule", "{'connectorId':1,'duration':86400,'chargingRateUnit':'W'}");
    assert_string_equal(json_string_value(json_object_get(r, "status")), "Accepted");
    assert_string_equal(json_string_value(json_object_get(r, "scheduleStart")), "2024-05-01T12:00:00.000Z");
    json_t *sched = json_object_get(r, "chargingSchedule");
    assert_int_equal(json_integer_value(json_object_get(sched, "duration")), 86400);
    json_t *periods = json_object_get(sched, "chargingSchedulePeriod");
    assert_int_equal(json_array_size(periods), 3);
    //  12:00 → 6000 until 20:00 (+8 h), 11000 until 08:00 (+20 h)
    assert_int_equal(json_integer_value(json_object_get(json_array_get(periods, 1), "startPeriod")), 28800);
    assert_float_equal(json_number_value(json_object_get(json_array_get(periods, 0), "limit")), 6000, 1e-9);
    assert_float_equal(json_number_value(json_object_get(json_array_get(periods, 2), "limit")), 6000, 1e-9);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(periods, 2), "startPeriod")), 72000);
    json_decref(r);
    //  in A (default unit), connector 0 = both connectors, duration 0
    r = s_op(f, "GetCompositeSchedule", "{'connectorId':0,'duration':0}");
    sched = json_object_get(r, "chargingSchedule");
    assert_string_equal(json_string_value(json_object_get(sched, "chargingRateUnit")), "A");
    periods = json_object_get(sched, "chargingSchedulePeriod");
    assert_int_equal(json_array_size(periods), 1);
    assert_float_equal(json_number_value(json_object_get(json_array_get(periods, 0), "limit")), 17.3, 1e-9);
    json_decref(r);
    //  unknown connector → Rejected (5.7)
    assert_string_equal(s_status(s_op(f, "GetCompositeSchedule", "{'connectorId':3,'duration':60}")), "Rejected");
    assert_string_equal(s_status(s_op(f, "GetCompositeSchedule", "{'connectorId':1,'duration':-1}")), "Rejected");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replacement_rules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_rejected_stores_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_max_installed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_clear_combinations, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_tx_profile_lifecycle, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_persistence, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_row_dropped, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_get_composite_schedule, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
