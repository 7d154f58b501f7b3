/* test_schema.c — unit tests for the OCPP schema validator (gateway/schema.c).
 *
 * Two halves:
 *  - hand-written cases on real schemas (BootNotification, SetChargingProfile,
 *    GetConfiguration, StartTransaction, the security extension's $ref
 *    schemas, ...): a valid payload passes, each kind of violation maps to
 *    its CALLERROR code, and `why` names the path;
 *  - a generic sweep over all 78 embedded schemas: this file builds minimal
 *    and full example instances straight from the schema JSON (its own small
 *    reading of the schema, independent of the validator's compiled tree),
 *    checks they pass, then mutates every member at every depth — drop a
 *    required one, give one the wrong type, break an enum / maxLength /
 *    format / minItems / multipleOf, add an unknown one — and checks the code.
 * Plus the format checkers and custom schemas for the constructs the OCPP
 * files do not exercise (recursion depth cap, rejected keywords).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/schema.h"
#include "gateway/schema_blobs.h"

static int
setup(void **state)
{
    schema_set_t *set = schema_set_new();
    if (!set)
        return -1;
    *state = set;
    return 0;
}

static int
teardown(void **state)
{
    schema_set_t *set = *state;
    schema_set_destroy(&set);
    assert_null(set);
    return 0;
}

/* Validates json text against a schema; checks the code and, when given,
 * that why contains why_part. */
static void
check(const schema_set_t *set, const char *name, const char *text, ocppj_error_t code, const char *why_part)
{
    json_error_t error;
    json_t *payload = json_loads(text, JSON_DECODE_ANY, &error);
    if (!payload)
        fail_msg("test JSON does not parse: %s: %s", text, error.text);
    char why[200];
    ocppj_error_t rc = schema_set_validate(set, name, payload, why, sizeof why);
    if (rc != code || (why_part && !strstr(why, why_part)))
        fail_msg("%s %s: expected %s '%s', got %s '%s'", name, text, ocppj_error_name(code),
                 why_part ? why_part : "", ocppj_error_name(rc), why);
    if (rc == OCPPJ_OK)
        assert_string_equal(why, "");
    for (const char *p = why; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);
    json_decref(payload);
}

#define OK OCPPJ_OK
#define FORMATION OCPPJ_FORMATION_VIOLATION
#define OCCURENCE OCPPJ_OCCURENCE_CONSTRAINT_VIOLATION
#define TYPE OCPPJ_TYPE_CONSTRAINT_VIOLATION
#define PROPERTY OCPPJ_PROPERTY_CONSTRAINT_VIOLATION

/* ------------------------------------------------------------- basics */

static void
test_has(void **state)
{
    const schema_set_t *set = *state;
    assert_int_equal(cp_schema_blob_count, 78);
    for (size_t i = 0; i < cp_schema_blob_count; i++)
        assert_true(schema_set_has(set, cp_schema_blobs[i].name));
    assert_true(schema_set_has(set, "BootNotification"));
    assert_true(schema_set_has(set, "BootNotificationResponse"));
    assert_false(schema_set_has(set, "bootnotification"));
    assert_false(schema_set_has(set, ""));
    assert_false(schema_set_has(set, "Nope"));
    check(set, "Nope", "{}", OCPPJ_NOT_IMPLEMENTED, "no schema");
}

static void
test_payload_not_object(void **state)
{
    const schema_set_t *set = *state;
    check(set, "Heartbeat", "{}", OK, NULL);
    check(set, "Heartbeat", "[]", FORMATION, "payload: expected a JSON object");
    check(set, "Heartbeat", "null", FORMATION, NULL);
    check(set, "Heartbeat", "\"{}\"", FORMATION, NULL);
    check(set, "Heartbeat", "7", FORMATION, NULL);
    check(set, "Heartbeat", "{\"x\":1}", FORMATION, "x: unknown property");
}

static void
test_why_optional(void **state)
{
    const schema_set_t *set = *state;
    json_t *payload = json_object();
    assert_int_equal(schema_set_validate(set, "BootNotification", payload, NULL, 0), OCCURENCE);
    char tiny[4];
    assert_int_equal(schema_set_validate(set, "BootNotification", payload, tiny, sizeof tiny), OCCURENCE);
    assert_int_equal(strlen(tiny), 3);
    json_decref(payload);
}

/* --------------------------------------------------------- real schemas */

static void
test_boot_notification(void **state)
{
    const schema_set_t *set = *state;
    check(set, "BootNotification", "{\"chargePointVendor\":\"VendorX\",\"chargePointModel\":\"SingleSocketCharger\"}",
          OK, NULL);
    check(set, "BootNotification",
          "{\"chargePointVendor\":\"V\",\"chargePointModel\":\"M\",\"chargePointSerialNumber\":\"S1\","
          "\"chargeBoxSerialNumber\":\"B\",\"firmwareVersion\":\"1.0\",\"iccid\":\"8931\",\"imsi\":\"2620\","
          "\"meterType\":\"T\",\"meterSerialNumber\":\"M2\"}",
          OK, NULL);
    check(set, "BootNotification", "{\"chargePointVendor\":\"VendorX\"}", OCCURENCE,
          "chargePointModel: missing required property");
    check(set, "BootNotification", "{\"chargePointVendor\":12,\"chargePointModel\":\"M\"}", TYPE,
          "chargePointVendor: expected string");
    check(set, "BootNotification", "{\"chargePointVendor\":null,\"chargePointModel\":\"M\"}", TYPE, NULL);
    /* maxLength 20 */
    check(set, "BootNotification", "{\"chargePointVendor\":\"12345678901234567890\",\"chargePointModel\":\"M\"}", OK,
          NULL);
    check(set, "BootNotification", "{\"chargePointVendor\":\"123456789012345678901\",\"chargePointModel\":\"M\"}",
          PROPERTY, "chargePointVendor: longer than 20 characters");
    check(set, "BootNotification", "{\"chargePointVendor\":\"V\",\"chargePointModel\":\"M\",\"colour\":\"red\"}",
          FORMATION, "colour: unknown property");
}

static void
test_max_length_counts_code_points(void **state)
{
    const schema_set_t *set = *state;
    char text[300];
    char vendor[100] = "";
    /* 20 × "é" = 40 bytes but 20 characters: fits maxLength 20. */
    for (int i = 0; i < 20; i++)
        strcat(vendor, "\xc3\xa9");
    snprintf(text, sizeof text, "{\"chargePointVendor\":\"%s\",\"chargePointModel\":\"M\"}", vendor);
    check(set, "BootNotification", text, OK, NULL);
    strcat(vendor, "\xf0\x9f\x94\x8c");   /* 21st character, 4 bytes */
    snprintf(text, sizeof text, "{\"chargePointVendor\":\"%s\",\"chargePointModel\":\"M\"}", vendor);
    check(set, "BootNotification", text, PROPERTY, "longer than 20");
}

static void
test_hostile_member_names(void **state)
{
    const schema_set_t *set = *state;
    /* Unknown member names are echoed in why; control and non-ASCII bytes
     * must not reach a log line or a CALLERROR. check() asserts ASCII. */
    check(set, "Heartbeat", "{\"a\\nb\\u001b[31m\\u00e9\":1}", FORMATION, "a?b?[31m??: unknown property");
    char text[600];
    char name[400];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    snprintf(text, sizeof text, "{\"%s\":1}", name);
    check(set, "Heartbeat", text, FORMATION, "~: unknown property");
}

static void
test_boot_notification_response(void **state)
{
    const schema_set_t *set = *state;
    const char *name = "BootNotificationResponse";
    check(set, name, "{\"status\":\"Accepted\",\"currentTime\":\"2013-02-01T20:53:32.486Z\",\"interval\":300}", OK,
          NULL);
    check(set, name, "{\"status\":\"Pending\",\"currentTime\":\"2013-02-01T20:53:32Z\",\"interval\":0}", OK, NULL);
    check(set, name, "{\"status\":\"accepted\",\"currentTime\":\"2013-02-01T20:53:32Z\",\"interval\":300}", PROPERTY,
          "status: not one of the allowed values");
    check(set, name, "{\"status\":\"Accepted\",\"currentTime\":\"2013-02-01 20:53:32\",\"interval\":300}", PROPERTY,
          "currentTime: not an RFC 3339 date-time");
    /* "integer" rejects reals, even integral ones (decision in schema.c). */
    check(set, name, "{\"status\":\"Accepted\",\"currentTime\":\"2013-02-01T20:53:32Z\",\"interval\":300.0}", TYPE,
          "interval: expected integer");
    check(set, name, "{\"status\":\"Accepted\",\"currentTime\":\"2013-02-01T20:53:32Z\",\"interval\":1.5}", TYPE,
          NULL);
    check(set, name, "{\"status\":\"Accepted\",\"currentTime\":\"2013-02-01T20:53:32Z\",\"interval\":\"300\"}", TYPE,
          NULL);
    check(set, name, "{\"status\":\"Accepted\",\"currentTime\":\"2013-02-01T20:53:32Z\"}", OCCURENCE,
          "interval: missing required property");
}

static const char *const s_profile_head =
    "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":7,\"stackLevel\":0,"
    "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Absolute\","
    "\"validFrom\":\"2026-11-26T10:00:00Z\","
    "\"chargingSchedule\":{\"duration\":3600,\"startSchedule\":\"2026-11-26T10:00:00+01:00\","
    "\"chargingRateUnit\":\"A\",\"minChargingRate\":6.1,\"chargingSchedulePeriod\":[";

static void
check_profile(const schema_set_t *set, const char *periods, ocppj_error_t code, const char *why_part)
{
    char text[1024];
    snprintf(text, sizeof text, "%s%s]}}}", s_profile_head, periods);
    check(set, "SetChargingProfile", text, code, why_part);
}

static void
test_set_charging_profile(void **state)
{
    const schema_set_t *set = *state;
    check_profile(set, "{\"startPeriod\":0,\"limit\":32.0,\"numberPhases\":3},{\"startPeriod\":1800,\"limit\":16}", OK,
                  NULL);
    /* multipleOf 0.1 must tolerate binary floating point. */
    check_profile(set, "{\"startPeriod\":0,\"limit\":0.3},{\"startPeriod\":1,\"limit\":32.1}", OK, NULL);
    check_profile(set, "{\"startPeriod\":0,\"limit\":1.7},{\"startPeriod\":1,\"limit\":11000.9}", OK, NULL);
    check_profile(set, "{\"startPeriod\":0,\"limit\":0}", OK, NULL);
    check_profile(set, "{\"startPeriod\":0,\"limit\":16},{\"startPeriod\":60,\"limit\":16.05}", PROPERTY,
                  "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[1].limit: not a multiple of 0.1");
    check_profile(set, "{\"startPeriod\":0,\"limit\":16.0000001}", PROPERTY, "not a multiple of 0.1");
    check_profile(set, "{\"startPeriod\":0,\"limit\":\"16\"}", TYPE,
                  "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit: expected number");
    check_profile(set, "{\"startPeriod\":1.5,\"limit\":16}", TYPE,
                  "chargingSchedulePeriod[0].startPeriod: expected integer");
    check_profile(set, "{\"startPeriod\":0}", OCCURENCE,
                  "chargingSchedulePeriod[0].limit: missing required property");
    check_profile(set, "{\"startPeriod\":0,\"limit\":16,\"phase\":1}", FORMATION,
                  "chargingSchedulePeriod[0].phase: unknown property");
    check_profile(set, "16", TYPE, "chargingSchedulePeriod[0]: expected object");
    /* No minItems on chargingSchedulePeriod in the 1.6 schema. */
    check_profile(set, "", OK, NULL);

    check(set, "SetChargingProfile",
          "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":7,\"stackLevel\":0,"
          "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Absolute\"}}",
          OCCURENCE, "csChargingProfiles.chargingSchedule: missing required property");
    check(set, "SetChargingProfile",
          "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":7,\"stackLevel\":0,"
          "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Sometimes\","
          "\"chargingSchedule\":{\"chargingRateUnit\":\"A\",\"chargingSchedulePeriod\":[]}}}",
          PROPERTY, "csChargingProfiles.chargingProfileKind: not one of the allowed values");
    check(set, "SetChargingProfile",
          "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":7,\"stackLevel\":0,"
          "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Absolute\","
          "\"validTo\":\"tomorrow\","
          "\"chargingSchedule\":{\"chargingRateUnit\":\"A\",\"chargingSchedulePeriod\":[]}}}",
          PROPERTY, "csChargingProfiles.validTo: not an RFC 3339 date-time");
    check(set, "SetChargingProfile", "{\"connectorId\":1}", OCCURENCE, "csChargingProfiles: missing");
    check(set, "SetChargingProfile", "{\"connectorId\":1,\"csChargingProfiles\":[]}", TYPE,
          "csChargingProfiles: expected object");
}

static void
test_change_configuration(void **state)
{
    const schema_set_t *set = *state;
    check(set, "ChangeConfiguration", "{\"key\":\"HeartbeatInterval\",\"value\":\"300\"}", OK, NULL);
    check(set, "ChangeConfiguration", "{\"key\":\"HeartbeatInterval\",\"value\":300}", TYPE, "value: expected string");
    check(set, "ChangeConfiguration", "{\"key\":\"HeartbeatInterval\"}", OCCURENCE, "value: missing");
    check(set, "ChangeConfiguration", "{\"value\":\"1\"}", OCCURENCE, "key: missing");
    char text[800];
    char value[502];
    memset(value, 'v', 500);
    value[500] = '\0';
    snprintf(text, sizeof text, "{\"key\":\"K\",\"value\":\"%s\"}", value);
    check(set, "ChangeConfiguration", text, OK, NULL);
    strcat(value, "v");
    snprintf(text, sizeof text, "{\"key\":\"K\",\"value\":\"%s\"}", value);
    check(set, "ChangeConfiguration", text, PROPERTY, "value: longer than 500 characters");
    check(set, "ChangeConfigurationResponse", "{\"status\":\"RebootRequired\"}", OK, NULL);
    check(set, "ChangeConfigurationResponse", "{\"status\":\"Maybe\"}", PROPERTY, NULL);
}

static void
test_get_configuration(void **state)
{
    const schema_set_t *set = *state;
    check(set, "GetConfiguration", "{}", OK, NULL);
    check(set, "GetConfiguration", "{\"key\":[]}", OK, NULL);
    check(set, "GetConfiguration",
          "{\"key\":[\"HeartbeatInterval\",\"12345678901234567890123456789012345678901234567890\"]}", OK, NULL);
    check(set, "GetConfiguration",
          "{\"key\":[\"HeartbeatInterval\",\"123456789012345678901234567890123456789012345678901\"]}", PROPERTY,
          "key[1]: longer than 50 characters");
    check(set, "GetConfiguration", "{\"key\":\"HeartbeatInterval\"}", TYPE, "key: expected array");
    check(set, "GetConfiguration", "{\"key\":[1]}", TYPE, "key[0]: expected string");
    check(set, "GetConfigurationResponse",
          "{\"configurationKey\":[{\"key\":\"HeartbeatInterval\",\"readonly\":false,\"value\":\"300\"}],"
          "\"unknownKey\":[\"Foo\"]}",
          OK, NULL);
    check(set, "GetConfigurationResponse", "{\"configurationKey\":[{\"key\":\"K\",\"readonly\":\"no\"}]}", TYPE,
          "configurationKey[0].readonly: expected boolean");
    check(set, "GetConfigurationResponse", "{\"configurationKey\":[{\"key\":\"K\"}]}", OCCURENCE,
          "configurationKey[0].readonly: missing");
}

static void
test_remote_start_transaction(void **state)
{
    const schema_set_t *set = *state;
    check(set, "RemoteStartTransaction", "{\"idTag\":\"04A2B3C4D5E6F7\"}", OK, NULL);
    check(set, "RemoteStartTransaction",
          "{\"connectorId\":1,\"idTag\":\"04A2B3C4D5E6F7\",\"chargingProfile\":{\"chargingProfileId\":1,"
          "\"stackLevel\":0,\"chargingProfilePurpose\":\"TxProfile\",\"chargingProfileKind\":\"Relative\","
          "\"chargingSchedule\":{\"chargingRateUnit\":\"W\",\"chargingSchedulePeriod\":[{\"startPeriod\":0,"
          "\"limit\":7400.0}]}}}",
          OK, NULL);
    check(set, "RemoteStartTransaction", "{\"connectorId\":1}", OCCURENCE, "idTag: missing");
    check(set, "RemoteStartTransaction", "{\"idTag\":\"123456789012345678901\"}", PROPERTY, "idTag: longer than 20");
    check(set, "RemoteStartTransaction", "{\"idTag\":\"A\",\"connectorId\":\"1\"}", TYPE, "connectorId: expected integer");
    check(set, "RemoteStartTransaction",
          "{\"idTag\":\"A\",\"chargingProfile\":{\"chargingProfileId\":1,"
          "\"stackLevel\":0,\"chargingProfilePurpose\":\"TxProfile\",\"chargingProfileKind\":\"Relative\","
          "\"chargingSchedule\":{\"chargingRateUnit\":\"W\",\"chargingSchedulePeriod\":[{\"startPeriod\":0,"
          "\"limit\":7400.05}]}}}",
          PROPERTY, "chargingProfile.chargingSchedule.chargingSchedulePeriod[0].limit: not a multiple of 0.1");
}

static void
test_data_transfer(void **state)
{
    const schema_set_t *set = *state;
    check(set, "DataTransfer", "{\"vendorId\":\"com.example\"}", OK, NULL);
    check(set, "DataTransfer", "{\"vendorId\":\"com.example\",\"messageId\":\"m\",\"data\":\"{\\\"a\\\":1}\"}", OK,
          NULL);
    check(set, "DataTransfer", "{\"vendorId\":\"com.example\",\"data\":{\"a\":1}}", TYPE, "data: expected string");
    check(set, "DataTransfer", "{\"messageId\":\"m\"}", OCCURENCE, "vendorId: missing");
    check(set, "DataTransferResponse", "{\"status\":\"UnknownVendorId\"}", OK, NULL);
    check(set, "DataTransferResponse", "{\"status\":\"Accepted\",\"data\":\"x\"}", OK, NULL);
}

static void
test_start_stop_transaction(void **state)
{
    const schema_set_t *set = *state;
#define START_FMT "{\"connectorId\":1,\"idTag\":\"T\",\"meterStart\":0,\"timestamp\":\"%s\"}"
    static const struct {
        const char *timestamp;
        ocppj_error_t code;
    } cases[] = {
        {"2026-11-26T10:00:00Z", OK},
        {"2026-11-26T10:00:00.123Z", OK},
        {"2026-11-26T10:00:00.123456789+05:30", OK},
        {"2026-11-26t10:00:00z", OK},
        {"2024-02-29T00:00:00-00:00", OK},
        {"2026-11-26T10:00:00", PROPERTY},        /* no offset */
        {"2026-11-26 10:00:00Z", PROPERTY},
        {"2026-02-29T10:00:00Z", PROPERTY},       /* not a leap year */
        {"2026-13-01T10:00:00Z", PROPERTY},
        {"2026-11-26T24:00:00Z", PROPERTY},
        {"2026-11-26T10:00:00.Z", PROPERTY},
        {"2026-11-26T10:00:00+0100", PROPERTY},
        {"1764151200", PROPERTY},
        {"", PROPERTY},
    };
    char text[200];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, START_FMT, cases[i].timestamp);
        check(set, "StartTransaction", text, cases[i].code, cases[i].code ? "timestamp: not an RFC 3339" : NULL);
    }
    check(set, "StartTransaction", "{\"connectorId\":1,\"idTag\":\"T\",\"meterStart\":1.5,\"timestamp\":\"2026-11-26T10:00:00Z\"}",
          TYPE, "meterStart: expected integer");
    check(set, "StartTransaction", "{\"connectorId\":1,\"idTag\":\"T\",\"timestamp\":\"2026-11-26T10:00:00Z\"}",
          OCCURENCE, "meterStart: missing");
    check(set, "StartTransactionResponse", "{\"idTagInfo\":{\"status\":\"Accepted\"},\"transactionId\":42}", OK, NULL);
    check(set, "StartTransactionResponse", "{\"idTagInfo\":{\"status\":\"Accepted\",\"expiryDate\":\"soon\"},"
          "\"transactionId\":42}", PROPERTY, "idTagInfo.expiryDate: not an RFC 3339 date-time");
    check(set, "StartTransactionResponse", "{\"idTagInfo\":{},\"transactionId\":42}", OCCURENCE,
          "idTagInfo.status: missing");

    /* Errata 2.1 and the "reason" erratum: reason is optional, both Celsius spellings pass. */
#define STOP_FMT "{\"transactionId\":42,\"meterStop\":1000,\"timestamp\":\"2026-11-26T11:00:00Z\"," \
                           "\"transactionData\":[{\"timestamp\":\"2026-11-26T11:00:00Z\",\"sampledValue\":" \
                           "[{\"value\":\"21.5\",\"measurand\":\"Temperature\",\"unit\":\"%s\"}]}]}"
    char stop[400];
    snprintf(stop, sizeof stop, STOP_FMT, "Celsius");
    check(set, "StopTransaction", stop, OK, NULL);
    snprintf(stop, sizeof stop, STOP_FMT, "Celcius");
    check(set, "StopTransaction", stop, OK, NULL);
    snprintf(stop, sizeof stop, STOP_FMT, "K");
    check(set, "StopTransaction", stop, OK, NULL);
    snprintf(stop, sizeof stop, STOP_FMT, "Rankine");
    check(set, "StopTransaction", stop, PROPERTY, "transactionData[0].sampledValue[0].unit: not one of");
}

static void
test_meter_values_format_property(void **state)
{
    const schema_set_t *set = *state;
    /* SampledValue has a property literally named "format": it is data, not
     * the schema keyword. */
    check(set, "MeterValues",
          "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"2026-11-26T10:00:00Z\",\"sampledValue\":"
          "[{\"value\":\"1\",\"format\":\"SignedData\"}]}]}",
          OK, NULL);
    check(set, "MeterValues",
          "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"2026-11-26T10:00:00Z\",\"sampledValue\":"
          "[{\"value\":\"1\",\"format\":\"date-time\"}]}]}",
          PROPERTY, "meterValue[0].sampledValue[0].format: not one of");
    check(set, "MeterValues", "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"2026-11-26T10:00:00Z\","
          "\"sampledValue\":[]}]}", PROPERTY, "meterValue[0].sampledValue: fewer than 1 items");
    check(set, "MeterValues", "{\"connectorId\":1,\"meterValue\":[]}", PROPERTY, "meterValue: fewer than 1 items");
}

static void
test_uri_format(void **state)
{
    const schema_set_t *set = *state;
    check(set, "UpdateFirmware", "{\"location\":\"https://fw.example.com/cp/1.2.bin\",\"retrieveDate\":"
          "\"2026-11-26T10:00:00Z\"}", OK, NULL);
    check(set, "UpdateFirmware", "{\"location\":\"ftp://user:p%40ss@10.0.0.1:21/fw.bin\",\"retrieveDate\":"
          "\"2026-11-26T10:00:00Z\",\"retries\":3,\"retryInterval\":60}", OK, NULL);
    check(set, "UpdateFirmware", "{\"location\":\"/fw.bin\",\"retrieveDate\":\"2026-11-26T10:00:00Z\"}", PROPERTY,
          "location: not a URI");
    check(set, "GetDiagnostics", "{\"location\":\"ftp://diag.example.com/upload\"}", OK, NULL);
    check(set, "GetDiagnostics", "{\"location\":\"ftp://diag example.com/\"}", PROPERTY, "location: not a URI");
}

static void
test_security_extension_refs(void **state)
{
    const schema_set_t *set = *state;
    check(set, "SignedUpdateFirmware",
          "{\"requestId\":1,\"firmware\":{\"location\":\"https://fw.example.com/a.bin\",\"retrieveDateTime\":"
          "\"2026-11-26T10:00:00Z\",\"signingCertificate\":\"-----BEGIN CERTIFICATE-----\","
          "\"signature\":\"MEUCIQ==\"}}",
          OK, NULL);
    check(set, "SignedUpdateFirmware",
          "{\"requestId\":1,\"firmware\":{\"retrieveDateTime\":\"2026-11-26T10:00:00Z\","
          "\"signingCertificate\":\"C\",\"signature\":\"S\"}}",
          OCCURENCE, "firmware.location: missing required property");
    check(set, "SignedUpdateFirmware",
          "{\"requestId\":1,\"firmware\":{\"location\":\"L\",\"retrieveDateTime\":\"2026-11-26T10:00:00Z\","
          "\"signingCertificate\":\"C\",\"signature\":\"S\",\"extra\":1}}",
          FORMATION, "firmware.extra: unknown property");
    check(set, "SignedUpdateFirmwareResponse", "{\"status\":\"InvalidCertificate\"}", OK, NULL);
    check(set, "SignedUpdateFirmwareResponse", "{\"status\":\"Broken\"}", PROPERTY, "status: not one of");

#define HASH_FMT "{\"hashAlgorithm\":\"%s\",\"issuerNameHash\":\"a\",\"issuerKeyHash\":\"b\",\"serialNumber\":\"c\"}"
    char item[200];
    char text[400];
    snprintf(item, sizeof item, HASH_FMT, "SHA256");
    snprintf(text, sizeof text, "{\"status\":\"Accepted\",\"certificateHashData\":[%s]}", item);
    check(set, "GetInstalledCertificateIdsResponse", text, OK, NULL);
    snprintf(item, sizeof item, HASH_FMT, "MD5");
    snprintf(text, sizeof text, "{\"status\":\"Accepted\",\"certificateHashData\":[%s]}", item);
    check(set, "GetInstalledCertificateIdsResponse", text, PROPERTY, "certificateHashData[0].hashAlgorithm: not one of");
    check(set, "GetInstalledCertificateIdsResponse", "{\"status\":\"Accepted\",\"certificateHashData\":[]}", PROPERTY,
          "certificateHashData: fewer than 1 items");
    check(set, "GetInstalledCertificateIdsResponse", "{\"status\":\"NotFound\"}", OK, NULL);

    check(set, "ExtendedTriggerMessage", "{\"requestedMessage\":\"SignChargePointCertificate\"}", OK, NULL);
    check(set, "ExtendedTriggerMessage", "{\"requestedMessage\":\"SignChargePointCertificate\",\"connectorId\":1.0}",
          TYPE, "connectorId: expected integer");
    check(set, "ExtendedTriggerMessage", "{\"requestedMessage\":\"Reboot\"}", PROPERTY, "requestedMessage: not one of");
    check(set, "GetLog",
          "{\"logType\":\"SecurityLog\",\"requestId\":3,\"log\":{\"remoteLocation\":\"https://x/y\","
          "\"oldestTimestamp\":\"2026-11-01T00:00:00Z\",\"latestTimestamp\":\"2026-11-26T00:00:00Z\"}}",
          OK, NULL);
    check(set, "GetLog",
          "{\"logType\":\"SecurityLog\",\"requestId\":3,\"log\":{\"remoteLocation\":\"https://x/y\","
          "\"oldestTimestamp\":\"2026-11-01\"}}",
          PROPERTY, "log.oldestTimestamp: not an RFC 3339 date-time");
    check(set, "SecurityEventNotification", "{\"type\":\"FirmwareUpdated\",\"timestamp\":\"2026-11-26T10:00:00Z\"}", OK,
          NULL);
}

/* ------------------------------------------------------ format checkers */

static void
test_date_time_checker(void **state)
{
    (void) state;
    static const char *const good[] = {
        "1985-04-12T23:20:50.52Z", "1996-12-19T16:39:57-08:00", "1990-12-31T23:59:60Z",
        "2000-02-29T00:00:00Z", "2026-11-26T10:00:00.000000000001+14:00",
    };
    static const char *const bad[] = {
        "1900-02-29T00:00:00Z", "2026-11-26T10:60:00Z", "2026-11-26T10:00:61Z", "2026-00-10T10:00:00Z",
        "2026-11-00T10:00:00Z", "2026-11-31T10:00:00Z", "2026-11-26T10:00:00+24:00", "2026-11-26T10:00:00+01:60",
        "2026-11-26T10:00:00+01:00Z", "2026-11-26T10:00:00Zjunk", "26-11-26T10:00:00Z", "2026-1-26T10:00:00Z",
        "2026-11-26T10:00Z", "+2026-11-26T10:00:00Z", "2026-11-26T1O:00:00Z",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(schema_is_date_time(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (schema_is_date_time(bad[i], strlen(bad[i])))
            fail_msg("accepted %s", bad[i]);
    }
    /* len is honoured: the prefix of a valid stamp is not valid. */
    assert_false(schema_is_date_time("2026-11-26T10:00:00Z", 19));
    assert_true(schema_is_date_time("2026-11-26T10:00:00Zxxx", 20));
}

static void
test_uri_checker(void **state)
{
    (void) state;
    static const char *const good[] = {
        "http://example.com", "https://a.b/c?d=e&f=g#h", "ftp://u:p@[2001:db8::1]:21/x", "urn:ocpp:cp:1",
        "file:///var/log/x", "mailto:a@b.c", "http://x/%20y",
    };
    static const char *const bad[] = {
        "", "example.com/x", "//example.com", "1http://x", "http://x y", "http://x/\"", "http://x/%2",
        "http://x/%zz", "http://x/#a#b", "http://x/\xc3\xa9", ":nothing", "http://x/<script>", "ht tp://x",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (!schema_is_uri(good[i], strlen(good[i])))
            fail_msg("rejected %s", good[i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (schema_is_uri(bad[i], strlen(bad[i])))
            fail_msg("accepted %s", bad[i]);
    }
}

/* ------------------------------------------------------ custom schemas */

static void
test_custom_schemas(void **state)
{
    (void) state;
    /* A recursive schema: the depth cap turns deep input into a
     * FormationViolation instead of deep recursion. */
    static const cp_schema_blob_t tree[] = {
        {"Tree", "{\"type\":\"object\",\"properties\":{\"child\":{\"$ref\":\"#\"},\"n\":{\"type\":[\"integer\",\"null\"]},"
                 "\"any\":{},\"list\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/definitions/Leaf\"}}},"
                 "\"additionalProperties\":{\"type\":\"boolean\"},"
                 "\"definitions\":{\"Leaf\":{\"enum\":[1,\"one\",{\"k\":[true]}]}}}"},
    };
    char err[200];
    schema_set_t *set = schema_set_new_from(tree, 1, err, sizeof err);
    if (!set)
        fail_msg("%s", err);
    check(set, "Tree", "{\"child\":{\"child\":{\"n\":null}},\"n\":3,\"any\":[[{}]],\"flag\":true}", OK, NULL);
    check(set, "Tree", "{\"flag\":1}", TYPE, "flag: expected boolean");
    check(set, "Tree", "{\"n\":\"3\"}", TYPE, "n: expected null or integer");
    check(set, "Tree", "{\"list\":[1,\"one\",{\"k\":[true]}]}", OK, NULL);
    check(set, "Tree", "{\"list\":[{\"k\":[false]}]}", PROPERTY, "list[0]: not one of");

    /* Build {"child":{"child":...}} deep enough to hit the cap. */
    json_t *root = json_object();
    json_t *at = root;
    for (int i = 0; i < SCHEMA_MAX_DEPTH + 5; i++) {
        json_t *child = json_object();
        json_object_set_new(at, "child", child);
        at = child;
    }
    char why[200];
    assert_int_equal(schema_set_validate(set, "Tree", root, why, sizeof why), FORMATION);
    assert_non_null(strstr(why, "nested deeper than"));
    json_decref(root);
    schema_set_destroy(&set);

    /* A $ref loop without instance descent is bounded too. */
    static const cp_schema_blob_t loop[] = {
        {"Loop", "{\"$ref\":\"#/definitions/A\",\"definitions\":{\"A\":{\"$ref\":\"#/definitions/B\"},"
                 "\"B\":{\"$ref\":\"#/definitions/A\"}}}"},
    };
    set = schema_set_new_from(loop, 1, err, sizeof err);
    assert_non_null(set);
    check(set, "Loop", "{}", FORMATION, "nested deeper than");
    schema_set_destroy(&set);

    /* Constructs the validator does not enforce are refused at load, never
     * silently ignored. */
    static const struct {
        const char *text;
        const char *reason;
    } refused[] = {
        {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"pattern\":\"^a$\"}}}", "pattern"},
        {"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"minimum\":0}}}", "minimum"},
        {"{\"oneOf\":[{}]}", "oneOf"},
        {"{\"type\":\"string\",\"format\":\"email\"}", "email"},
        {"{\"type\":\"thing\"}", "thing"},
        {"{\"$ref\":\"other.json#/definitions/X\"}", "other.json"},
        {"{\"$ref\":\"#/definitions/Missing\"}", "Missing"},
        {"{\"type\":\"array\",\"items\":[{}]}", "items"},
        {"{\"maxLength\":-1}", "maxLength"},
        {"{\"multipleOf\":0}", "multipleOf"},
        {"{\"enum\":[]}", "enum"},
        {"{\"required\":[1]}", "required"},
        {"{\"a\":1,\"a\":2}", "duplicate"},
        {"not json", "X"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        cp_schema_blob_t blob = {"X", refused[i].text};
        err[0] = '\0';
        set = schema_set_new_from(&blob, 1, err, sizeof err);
        if (set || !strstr(err, refused[i].reason))
            fail_msg("schema %s: expected refusal mentioning %s, got '%s'", refused[i].text, refused[i].reason, err);
    }
    static const cp_schema_blob_t twins[] = {{"A", "{}"}, {"A", "{}"}};
    assert_null(schema_set_new_from(twins, 2, err, sizeof err));
    assert_non_null(strstr(err, "duplicate"));
    /* An empty table is a valid (empty) set. */
    set = schema_set_new_from(NULL, 0, NULL, 0);
    assert_non_null(set);
    assert_false(schema_set_has(set, "BootNotification"));
    schema_set_destroy(&set);
    schema_set_destroy(&set);   /* NULL-safe */
}

/* ------------------------------------------------------ generic sweep */

/* The test's own reading of a schema document, deliberately separate from
 * the validator's compiler. */
typedef struct {
    const schema_set_t *set;
    const char *name;     /* schema name */
    json_t *doc;          /* the schema document */
    json_t *root;         /* the instance being mutated */
    size_t mutations;     /* how many mutations were checked */
    size_t mutations_by_code[16];
} sweep_t;

static const json_t *
resolve(const json_t *doc, const json_t *schema)
{
    const char *ref = json_string_value(json_object_get(schema, "$ref"));
    while (ref) {
        assert_true(strncmp(ref, "#/definitions/", 14) == 0);
        schema = json_object_get(json_object_get(doc, "definitions"), ref + 14);
        assert_non_null(schema);
        ref = json_string_value(json_object_get(schema, "$ref"));
    }
    return schema;
}

static const char *
type_of(const json_t *schema)
{
    const char *type = json_string_value(json_object_get(schema, "type"));
    assert_non_null(type);   /* every OCPP schema node has a single type */
    return type;
}

static bool
is_required(const json_t *schema, const char *key)
{
    size_t i;
    const json_t *name;
    json_array_foreach(json_object_get(schema, "required"), i, name) {
        if (strcmp(json_string_value(name), key) == 0)
            return true;
    }
    return false;
}

/* A valid instance: required members only (full = false) or every member. */
static json_t *
example(const json_t *doc, const json_t *schema, bool full)
{
    schema = resolve(doc, schema);
    const json_t *enumeration = json_object_get(schema, "enum");
    if (enumeration)
        return json_deep_copy(json_array_get(enumeration, json_array_size(enumeration) - 1));
    const char *type = type_of(schema);
    if (strcmp(type, "object") == 0) {
        json_t *object = json_object();
        const char *key;
        json_t *property;
        json_object_foreach(json_object_get(schema, "properties"), key, property) {
            if (full || is_required(schema, key))
                json_object_set_new(object, key, example(doc, property, full));
        }
        return object;
    }
    if (strcmp(type, "array") == 0) {
        json_t *array = json_array();
        json_int_t count = json_integer_value(json_object_get(schema, "minItems"));
        if (full && count < 2)
            count = 2;
        for (json_int_t i = 0; i < count; i++)
            json_array_append_new(array, example(doc, json_object_get(schema, "items"), full));
        return array;
    }
    if (strcmp(type, "string") == 0) {
        const char *format = json_string_value(json_object_get(schema, "format"));
        if (format && strcmp(format, "date-time") == 0)
            return json_string("2026-11-26T10:00:00.5+01:00");
        if (format && strcmp(format, "uri") == 0)
            return json_string("https://cs.example.com/upload");
        json_int_t max = json_integer_value(json_object_get(schema, "maxLength"));
        if (full && max > 0) {
            /* Exactly maxLength characters, half of them two-byte. */
            char *text = malloc((size_t) max * 2 + 1);
            size_t at = 0;
            for (json_int_t i = 0; i < max; i++) {
                if (i % 2) {
                    text[at++] = '\xc3';
                    text[at++] = '\xa9';
                }
                else
                    text[at++] = 'x';
            }
            text[at] = '\0';
            json_t *s = json_string(text);
            free(text);
            return s;
        }
        return json_string("x");
    }
    if (strcmp(type, "integer") == 0)
        return json_integer(full ? -7 : 1);
    if (strcmp(type, "number") == 0)
        return full ? json_real(230.7) : json_integer(16);
    if (strcmp(type, "boolean") == 0)
        return json_true();
    fail_msg("unexpected type %s", type);
    return NULL;
}

static void
expect(sweep_t *sw, ocppj_error_t code, const char *what, const char *path)
{
    char why[200];
    ocppj_error_t rc = schema_set_validate(sw->set, sw->name, sw->root, why, sizeof why);
    if (rc != code) {
        char *text = json_dumps(sw->root, JSON_COMPACT);
        fail_msg("%s: %s at '%s': expected %s, got %s (%s) in %s", sw->name, what, path, ocppj_error_name(code),
                 ocppj_error_name(rc), why, text);
    }
    sw->mutations++;
    sw->mutations_by_code[code]++;
}

/* Replaces *slot (a member of parent object or array) by bad, checks code,
 * puts the original back. */
static void
try_value(sweep_t *sw, json_t *parent, const char *key, size_t index, json_t *bad, ocppj_error_t code,
          const char *what, const char *path)
{
    json_t *saved = json_incref(key ? json_object_get(parent, key) : json_array_get(parent, index));
    if (key)
        json_object_set_new(parent, key, bad);
    else
        json_array_set_new(parent, index, bad);
    expect(sw, code, what, path);
    if (key)
        json_object_set_new(parent, key, saved);
    else
        json_array_set_new(parent, index, saved);
}

static void sweep_node(sweep_t *sw, const json_t *schema, json_t *parent, const char *key, size_t index,
                       const char *path, int depth);

/* Mutations of one value (the member `key` of parent, or element `index`). */
static void
sweep_value(sweep_t *sw, const json_t *schema, json_t *parent, const char *key, size_t index, const char *path)
{
    schema = resolve(sw->doc, schema);
    const char *type = type_of(schema);
    /* The spec's own example of a type violation: "somestring": 12. */
    json_t *wrong = strcmp(type, "string") == 0 ? json_integer(12) : json_string("12");
    try_value(sw, parent, key, index, wrong, TYPE, "wrong type", path);
    if (strcmp(type, "integer") == 0)
        try_value(sw, parent, key, index, json_real(1.5), TYPE, "real for integer", path);
    if (json_object_get(schema, "enum"))
        try_value(sw, parent, key, index, json_string("NotAnEnumValue"), PROPERTY, "bad enum", path);
    json_int_t max = json_integer_value(json_object_get(schema, "maxLength"));
    if (max > 0) {
        char *text = malloc((size_t) max + 2);
        memset(text, 'y', (size_t) max + 1);
        text[max + 1] = '\0';
        try_value(sw, parent, key, index, json_string(text), PROPERTY, "too long", path);
        free(text);
    }
    const char *format = json_string_value(json_object_get(schema, "format"));
    if (format)
        try_value(sw, parent, key, index, json_string("not a valid value"), PROPERTY, "bad format", path);
    if (json_object_get(schema, "multipleOf"))
        try_value(sw, parent, key, index, json_real(16.05), PROPERTY, "not a multiple", path);
    if (json_integer_value(json_object_get(schema, "minItems")) > 0)
        try_value(sw, parent, key, index, json_array(), PROPERTY, "too few items", path);
}

static void
sweep_node(sweep_t *sw, const json_t *schema, json_t *parent, const char *key, size_t index, const char *path,
           int depth)
{
    assert_true(depth < 16);
    schema = resolve(sw->doc, schema);
    json_t *value = key ? json_object_get(parent, key) : json_array_get(parent, index);
    const char *type = type_of(schema);
    char child_path[256];
    if (strcmp(type, "object") == 0) {
        const char *name;
        json_t *property;
        json_object_foreach(json_object_get(schema, "properties"), name, property) {
            if (!json_object_get(value, name))
                continue;
            snprintf(child_path, sizeof child_path, "%s%s%s", path, *path ? "." : "", name);
            sweep_value(sw, property, value, name, 0, child_path);
            sweep_node(sw, property, value, name, 0, child_path, depth + 1);
            if (is_required(schema, name)) {
                json_t *saved = json_incref(json_object_get(value, name));
                json_object_del(value, name);
                expect(sw, OCCURENCE, "required member dropped", child_path);
                json_object_set_new(value, name, saved);
            }
        }
        if (json_is_false(json_object_get(schema, "additionalProperties"))) {
            json_object_set_new(value, "zzUnknownMember", json_integer(1));
            expect(sw, FORMATION, "unknown member", path);
            json_object_del(value, "zzUnknownMember");
        }
    }
    else if (strcmp(type, "array") == 0 && json_array_size(value) > 0) {
        snprintf(child_path, sizeof child_path, "%s[0]", path);
        sweep_value(sw, json_object_get(schema, "items"), value, NULL, 0, child_path);
        sweep_node(sw, json_object_get(schema, "items"), value, NULL, 0, child_path, depth + 1);
    }
}

static void
test_every_schema(void **state)
{
    const schema_set_t *set = *state;
    size_t total = 0;
    size_t by_code[16] = {0};
    for (size_t i = 0; i < cp_schema_blob_count; i++) {
        json_error_t error;
        json_t *doc = json_loads(cp_schema_blobs[i].text, 0, &error);
        assert_non_null(doc);
        for (int full = 0; full <= 1; full++) {
            /* Wrap the instance so the root can be mutated like any member. */
            json_t *holder = json_object();
            json_object_set_new(holder, "payload", example(doc, doc, full));
            sweep_t sw = {.set = set, .name = cp_schema_blobs[i].name, .doc = doc,
                          .root = json_object_get(holder, "payload")};
            expect(&sw, OK, full ? "full example" : "minimal example", "");
            sweep_node(&sw, doc, holder, "payload", 0, "", 0);
            /* The sweep restores everything: the instance is valid again. */
            expect(&sw, OK, "after sweep", "");
            total += sw.mutations;
            for (size_t c = 0; c < 16; c++)
                by_code[c] += sw.mutations_by_code[c];
            json_decref(holder);
        }
        json_decref(doc);
    }
    print_message("swept %zu schemas: %zu checks (%zu ok, %zu occurence, %zu type, %zu property, %zu formation)\n",
                  cp_schema_blob_count, total, by_code[OK], by_code[OCCURENCE], by_code[TYPE], by_code[PROPERTY],
                  by_code[FORMATION]);
    /* Every kind of mutation happened, many times. */
    assert_true(by_code[OCCURENCE] > 50);
    assert_true(by_code[TYPE] > 200);
    assert_true(by_code[PROPERTY] > 100);
    assert_true(by_code[FORMATION] > 100);
}

static void
test_concurrent_use_is_stateless(void **state)
{
    /* Validation keeps no state between calls: a failure does not affect
     * the next call. */
    const schema_set_t *set = *state;
    for (int i = 0; i < 1000; i++) {
        check(set, "Heartbeat", "{\"x\":1}", FORMATION, "x: unknown property");
        check(set, "HeartbeatResponse", "{\"currentTime\":\"2026-11-26T10:00:00Z\"}", OK, NULL);
    }
}

/* ------------------------------------------------ what a set holds */

/* jansson's live allocations, counted through its allocator hooks. */
static long s_json_live;

static void *
s_counting_malloc(size_t size)
{
    s_json_live++;
    return malloc(size);
}

static void
s_counting_free(void *ptr)
{
    if (ptr)
        s_json_live--;
    free(ptr);
}

/* A compiled set keeps no parsed schema document: the nodes hold copies
 * of the names and enum strings they need (a controller kept ~200 KB of
 * jansson objects for them). Only a non-string enum is kept, as a copy. */
static void
test_compiled_set_holds_no_documents(void **state)
{
    (void) state;
    json_set_alloc_funcs(s_counting_malloc, s_counting_free);
    s_json_live = 0;
    schema_set_t *set = schema_set_new();
    assert_non_null(set);
    assert_true(s_json_live <= 2);         /* the empty list of kept enums */
    check(set, "BootNotification", "{\"chargePointVendor\":\"V\",\"chargePointModel\":\"M\"}", OK, NULL);
    check(set, "ChangeAvailability", "{\"connectorId\":1,\"type\":\"Operative\"}", OK, NULL);
    check(set, "ChangeAvailability", "{\"connectorId\":1,\"type\":\"Up\"}", PROPERTY, "type: not one of");
    schema_set_destroy(&set);
    assert_int_equal(s_json_live, 0);
    json_set_alloc_funcs(malloc, free);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_has),
        cmocka_unit_test(test_payload_not_object),
        cmocka_unit_test(test_why_optional),
        cmocka_unit_test(test_boot_notification),
        cmocka_unit_test(test_max_length_counts_code_points),
        cmocka_unit_test(test_hostile_member_names),
        cmocka_unit_test(test_boot_notification_response),
        cmocka_unit_test(test_set_charging_profile),
        cmocka_unit_test(test_change_configuration),
        cmocka_unit_test(test_get_configuration),
        cmocka_unit_test(test_remote_start_transaction),
        cmocka_unit_test(test_data_transfer),
        cmocka_unit_test(test_start_stop_transaction),
        cmocka_unit_test(test_meter_values_format_property),
        cmocka_unit_test(test_uri_format),
        cmocka_unit_test(test_security_extension_refs),
        cmocka_unit_test(test_date_time_checker),
        cmocka_unit_test(test_uri_checker),
        cmocka_unit_test(test_custom_schemas),
        cmocka_unit_test(test_every_schema),
        cmocka_unit_test(test_concurrent_use_is_stateless),
        cmocka_unit_test(test_compiled_set_holds_no_documents),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
