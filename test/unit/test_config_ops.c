/* test_config_ops.c — GetConfiguration and ChangeConfiguration (one file
 * per operation), the config_get view, then the config actor on an inproc
 * bus: config_set → reply + "config.changed", config_get, ocpp_inbound,
 * snapshot. The recurring check: AuthorizationKey's value never leaves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "actors/config/change_configuration.h"
#include "actors/config/config_actor.h"
#include "actors/config/get_configuration.h"
#include "gateway/schema.h"
#include "messages/msg.h"
#include "supervisor/bus.h"
#include "supervisor/clock.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"
#include "supervisor/store.h"
#include "test/unit/bench.h"

#define SECRET "5ecret5ecret5ecret5ecret"

typedef struct {
    char dir[64];
    cp_options_t opts;
    sqlite3 *db;
    config_store_t *store;
} fixture_t;

static void
s_remove_dir(const char *dir)
{
    static const char *const files[] = { "", "-wal", "-shm", "-journal", CONFIG_STORE_VERSION_SUFFIX };
    char path[256];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s%s", dir, CP_STORE_FILE, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void
s_fixture_init(fixture_t *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_config_ops.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->opts.connectors = 2;
    snprintf(f->opts.state_dir, sizeof(f->opts.state_dir), "%s", f->dir);
    snprintf(f->opts.csms_url, sizeof(f->opts.csms_url), "ws://csms.example/ocpp");
    f->opts.password_given = true;
    snprintf(f->opts.password, sizeof(f->opts.password), SECRET);
}

static int
setup(void **state)
{
    fixture_t *f = malloc(sizeof(fixture_t));
    assert_non_null(f);
    s_fixture_init(f);
    char err[256];
    f->db = cp_store_open(f->dir, err, sizeof(err));
    assert_non_null(f->db);
    assert_int_equal(config_store_seed(f->db, &f->opts), CONFIG_STORE_OK);
    f->store = config_store_new(f->db, &f->opts);
    assert_non_null(f->store);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    config_store_destroy(&f->store);
    cp_store_close(&f->db);
    s_remove_dir(f->dir);
    free(f);
    return 0;
}

//  GetConfiguration → parsed response (asserting success).
static json_t *
s_get_configuration(fixture_t *f, const char *request)
{
    char *response = NULL;
    char code[40], description[256];
    int rc = get_configuration_handle(f->store, request, &response, code, sizeof(code),
                                      description, sizeof(description));
    if (rc != 0)
        fail_msg("GetConfiguration failed: %s %s", code, description);
    assert_non_null(response);
    //  The secret never appears anywhere in the text.
    assert_null(strstr(response, SECRET));
    json_t *json = json_loads(response, 0, NULL);
    free(response);
    assert_non_null(json);
    return json;
}

static json_t *
s_find_entry(json_t *response, const char *key)
{
    json_t *list = json_object_get(response, "configurationKey");
    size_t i;
    json_t *entry;
    json_array_foreach(list, i, entry)
        if (streq(json_string_value(json_object_get(entry, "key")), key))
            return entry;
    return NULL;
}

static const char *
s_change(fixture_t *f, const char *key, const char *value)
{
    static char status[32];
    json_t *request = json_pack("{s:s, s:s}", "key", key, "value", value);
    char *text = json_dumps(request, JSON_COMPACT);
    json_decref(request);
    char *response = NULL;
    config_change_t change;
    assert_int_equal(change_configuration_handle(f->store, text, &response, &change), 0);
    free(text);
    json_t *json = json_loads(response, 0, NULL);
    assert_non_null(json);
    assert_int_equal(json_object_size(json), 1);
    snprintf(status, sizeof(status), "%s", json_string_value(json_object_get(json, "status")));
    assert_string_equal(status, config_status_name(change.status));
    json_decref(json);
    free(response);
    return status;
}

//  --------------------------------------------------------------------------
//  GetConfiguration

static void
test_get_all(void **state)
{
    fixture_t *f = *state;
    static const char *const requests[] = { "{}", "{\"key\":[]}" };
    for (size_t r = 0; r < 2; r++) {
        json_t *response = s_get_configuration(f, requests[r]);
        json_t *list = json_object_get(response, "configurationKey");
        assert_int_equal(json_array_size(list), config_keys_count() + config_keys_alias_count());
        assert_null(json_object_get(response, "unknownKey"));
        assert_non_null(s_find_entry(response, "AuthEnabled"));
        json_t *entry = s_find_entry(response, "NumberOfConnectors");
        assert_non_null(entry);
        assert_true(json_is_true(json_object_get(entry, "readonly")));
        assert_string_equal(json_string_value(json_object_get(entry, "value")), "2");
        entry = s_find_entry(response, "HeartbeatInterval");
        assert_true(json_is_false(json_object_get(entry, "readonly")));
        assert_string_equal(json_string_value(json_object_get(entry, "value")), "300");
        //  Write-only: listed, writable, no value.
        entry = s_find_entry(response, "AuthorizationKey");
        assert_non_null(entry);
        assert_true(json_is_false(json_object_get(entry, "readonly")));
        assert_null(json_object_get(entry, "value"));
        //  Every value is a string within CiString500.
        size_t i;
        json_array_foreach(list, i, entry) {
            json_t *value = json_object_get(entry, "value");
            if (value) {
                assert_true(json_is_string(value));
                assert_true(strlen(json_string_value(value)) <= 500);
            }
        }
        json_decref(response);
    }
}

static void
test_get_known_and_unknown(void **state)
{
    fixture_t *f = *state;
    json_t *response = s_get_configuration(f,
        "{\"key\":[\"heartbeatinterval\",\"Foo\",\"AuthorizationKey\",\"SupportedFeatureProfiles\",\"bar\"]}");
    json_t *list = json_object_get(response, "configurationKey");
    assert_int_equal(json_array_size(list), 3);
    //  Answered in the table's spelling, in the order asked.
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "key")),
                        "HeartbeatInterval");
    assert_null(json_object_get(s_find_entry(response, "AuthorizationKey"), "value"));
    json_t *unknown = json_object_get(response, "unknownKey");
    assert_int_equal(json_array_size(unknown), 2);
    assert_string_equal(json_string_value(json_array_get(unknown, 0)), "Foo");
    assert_string_equal(json_string_value(json_array_get(unknown, 1)), "bar");
    json_decref(response);

    response = s_get_configuration(f, "{\"key\":[\"Nope\"]}");
    assert_int_equal(json_array_size(json_object_get(response, "configurationKey")), 0);
    assert_int_equal(json_array_size(json_object_get(response, "unknownKey")), 1);
    json_decref(response);
}

static void
test_get_too_many_keys(void **state)
{
    fixture_t *f = *state;
    int64_t max = config_store_get_int(f->store, "GetConfigurationMaxKeys", 0);
    assert_true(max > 0);
    json_t *keys = json_array();
    for (int64_t i = 0; i < max; i++)
        json_array_append_new(keys, json_string("HeartbeatInterval"));
    json_t *request = json_pack("{s:O}", "key", keys);
    char *text = json_dumps(request, JSON_COMPACT);
    //  Exactly the maximum is fine.
    json_t *response = s_get_configuration(f, text);
    assert_int_equal(json_array_size(json_object_get(response, "configurationKey")), (size_t) max);
    json_decref(response);
    free(text);
    //  One more is refused as a whole.
    json_array_append_new(keys, json_string("Foo"));
    text = json_dumps(request, JSON_COMPACT);
    char *out = NULL;
    char code[40], description[256];
    assert_int_equal(get_configuration_handle(f->store, text, &out, code, sizeof(code),
                                              description, sizeof(description)), -1);
    assert_null(out);
    assert_string_equal(code, "OccurenceConstraintViolation");
    assert_non_null(strstr(description, "GetConfigurationMaxKeys"));
    free(text);
    json_decref(request);
    json_decref(keys);
    //  Not JSON at all (a gateway bug).
    assert_int_equal(get_configuration_handle(f->store, "[1", &out, code, sizeof(code),
                                              description, sizeof(description)), -1);
    assert_string_equal(code, "FormationViolation");
}

//  The answer is written as text (get_configuration.c): it must be what the
//  jansson tree of before dumped, byte for byte — each key through
//  config_store_get, in table order, aliases last, member order key,
//  readonly, value — and pass the official schema.
static char *
s_reference(fixture_t *f, const char *request_text)
{
    json_t *request = json_loads(request_text, 0, NULL);
    json_t *keys = json_object_get(request, "key");
    json_t *known = json_array(), *unknown = json_array();
    size_t asked = json_array_size(keys);
    size_t total = asked ? asked : config_keys_count() + config_keys_alias_count();
    for (size_t i = 0; i < total; i++) {
        const char *name = asked ? json_string_value(json_array_get(keys, i))
                         : i < config_keys_count() ? config_keys_at(i)->name
                         : config_keys_alias_at(i - config_keys_count());
        const config_key_def_t *def = config_keys_find(name);
        if (!def) {
            json_array_append_new(unknown, json_string(name));
            continue;
        }
        const char *alias = config_keys_alias(name);
        json_t *entry = json_pack("{s:s, s:b}", "key", alias ? alias : def->name,
                                  "readonly", def->readonly || def->local_only);
        if (!def->write_only) {
            char value[CONFIG_VALUE_MAX + 1];
            assert_int_equal(config_store_get(f->store, def->name, value, sizeof(value)), CONFIG_STORE_OK);
            json_object_set_new(entry, "value", json_string(value));
        }
        json_array_append_new(known, entry);
    }
    json_t *response = json_pack("{s:o}", "configurationKey", known);
    if (json_array_size(unknown))
        json_object_set(response, "unknownKey", unknown);
    json_decref(unknown);
    char *text = json_dumps(response, JSON_COMPACT);
    json_decref(response);
    json_decref(request);
    return text;
}

static void
test_get_text_as_jansson(void **state)
{
    fixture_t *f = *state;
    schema_set_t *schemas = schema_set_new();
    assert_non_null(schemas);
    //  Values that need escaping, and characters beyond ASCII.
    assert_string_equal(s_change(f, "CpoName", "Stadtwerke \"Süd\" \\ GmbH"), "Accepted");
    assert_string_equal(s_change(f, "MeterValueSampleInterval", "15"), "Accepted");
    static const char *const requests[] = {
        "{}", "{\"key\":[]}", "{\"key\":[\"HeartbeatInterval\"]}", "{\"key\":[\"Foo\"]}",
        "{\"key\":[\"authenabled\",\"Nope\",\"CPONAME\",\"AuthorizationKey\",\"b\\\"ad\\u00e4\"]}",
    };
    for (size_t r = 0; r < sizeof(requests) / sizeof(requests[0]); r++) {
        char *response = NULL;
        char code[40], description[256];
        assert_int_equal(get_configuration_handle(f->store, requests[r], &response, code, sizeof(code),
                                                  description, sizeof(description)), 0);
        char *expected = s_reference(f, requests[r]);
        assert_string_equal(response, expected);
        json_t *json = json_loads(response, JSON_REJECT_DUPLICATES, NULL);
        char why[256] = "";
        assert_int_equal(schema_set_validate(schemas, "GetConfigurationResponse", json, why, sizeof(why)),
                         OCPPJ_OK);
        json_decref(json);
        free(expected);
        free(response);
    }
    schema_set_destroy(&schemas);
}

//  A stored value the schema would refuse (only a hand-edited database
//  holds one): InternalError, never an invalid frame — neither in the full
//  list nor when that key is asked for; other keys still answer.
static void
test_get_unsendable_value(void **state)
{
    fixture_t *f = *state;
    static const char *const rows[] = {
        "UPDATE config SET value = CAST(X'636166E978' AS TEXT) WHERE key = 'CpoName'", //  not UTF-8
        "UPDATE config SET value = CAST(X'636166C3' AS TEXT) WHERE key = 'CpoName'",   //  cut
    };
    assert_string_equal(s_change(f, "CpoName", "x"), "Accepted");
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        assert_int_equal(cp_store_exec(f->db, rows[r]), 0);
        static const char *const requests[] = { "{}", "{\"key\":[\"CpoName\"]}" };
        for (size_t q = 0; q < 2; q++) {
            char *response = NULL;
            char code[40], description[256];
            assert_int_equal(get_configuration_handle(f->store, requests[q], &response, code,
                                                      sizeof(code), description, sizeof(description)), -1);
            assert_null(response);
            assert_string_equal(code, "InternalError");
        }
        json_t *response = s_get_configuration(f, "{\"key\":[\"HeartbeatInterval\"]}");
        json_decref(response);
    }
    //  A row longer than CiString500 (hand-written) is cut to 500, as before.
    assert_int_equal(cp_store_exec(f->db, "UPDATE config SET value = printf('%.600c', 'a')"
                                          " WHERE key = 'CpoName'"), 0);
    json_t *response = s_get_configuration(f, "{}");
    const char *value = json_string_value(json_object_get(s_find_entry(response, "CpoName"), "value"));
    assert_int_equal(strlen(value), CONFIG_VALUE_MAX);
    json_decref(response);
}

//  --------------------------------------------------------------------------
//  ChangeConfiguration

static void
test_change_then_get(void **state)
{
    fixture_t *f = *state;
    assert_string_equal(s_change(f, "MeterValueSampleInterval", "30"), "Accepted");
    assert_string_equal(s_change(f, "localpreauthorize", "TRUE"), "Accepted");
    assert_string_equal(s_change(f, "MeterValuesSampledData", "Voltage, SoC"), "Accepted");
    json_t *response = s_get_configuration(f,
        "{\"key\":[\"MeterValueSampleInterval\",\"LocalPreAuthorize\",\"MeterValuesSampledData\"]}");
    assert_string_equal(json_string_value(json_object_get(
        s_find_entry(response, "MeterValueSampleInterval"), "value")), "30");
    assert_string_equal(json_string_value(json_object_get(
        s_find_entry(response, "LocalPreAuthorize"), "value")), "true");
    assert_string_equal(json_string_value(json_object_get(
        s_find_entry(response, "MeterValuesSampledData"), "value")), "Voltage,SoC");
    json_decref(response);

    //  The seed's AuthEnabled is FreeChargingEnabled under another name:
    //  one value, answered under the name asked for.
    assert_string_equal(s_change(f, "AuthEnabled", "True"), "Accepted");
    assert_true(config_store_get_bool(f->store, "FreeChargingEnabled", false));
    response = s_get_configuration(f, "{\"key\":[\"AuthEnabled\",\"FreeChargingEnabled\"]}");
    assert_string_equal(json_string_value(json_object_get(s_find_entry(response, "AuthEnabled"), "value")), "true");
    assert_string_equal(json_string_value(json_object_get(s_find_entry(response, "FreeChargingEnabled"), "value")),
                        "true");
    assert_null(json_object_get(response, "unknownKey"));
    json_decref(response);
    assert_string_equal(s_change(f, "FreeChargingEnabled", "false"), "Accepted");
    assert_string_equal(s_change(f, "AuthEnabled", "maybe"), "Rejected");
    assert_false(config_store_get_bool(f->store, "FreeChargingEnabled", true));

    //  Rejections change nothing.
    assert_string_equal(s_change(f, "MeterValueSampleInterval", "abc"), "Rejected");
    assert_string_equal(s_change(f, "MeterValueSampleInterval", "-1"), "Rejected");
    assert_string_equal(s_change(f, "MeterValuesSampledData", "Voltage,Frequency"), "Rejected");
    assert_string_equal(s_change(f, "NumberOfConnectors", "4"), "Rejected");
    assert_string_equal(s_change(f, "NoSuchKey", "1"), "NotSupported");
    assert_int_equal(config_store_get_int(f->store, "MeterValueSampleInterval", 0), 30);
    char value[CONFIG_VALUE_MAX + 1];
    config_store_get(f->store, "MeterValuesSampledData", value, sizeof(value));
    assert_string_equal(value, "Voltage,SoC");
    assert_int_equal(config_store_get_int(f->store, "NumberOfConnectors", 0), 2);

    //  Persisted: another actor's reader sees it.
    char err[256];
    config_store_t *other = config_store_open_reader(&f->opts, err, sizeof(err));
    assert_non_null(other);
    assert_int_equal(config_store_get_int(other, "MeterValueSampleInterval", 0), 30);
    config_store_destroy(&other);

    //  Not JSON / missing fields: the caller answers with a CALLERROR.
    char *out = NULL;
    config_change_t change;
    assert_int_equal(change_configuration_handle(f->store, "{\"key\":\"X\"}", &out, &change), -1);
    assert_null(out);
    assert_int_equal(change_configuration_handle(f->store, "nope", &out, &change), -1);
}

//  AuthorizationKeyEncoding hex decodes the key's digits: the two keys
//  must agree whichever changes first.
static void
test_authorization_key_encoding(void **state)
{
    fixture_t *f = *state;
    assert_string_equal(s_change(f, "AuthorizationKeyEncoding", "base64"), "Rejected");
    assert_string_equal(s_change(f, "AuthorizationKey", "text-key-not-hex-but-long"), "Accepted");
    assert_string_equal(s_change(f, "AuthorizationKeyEncoding", "hex"), "Rejected");   //  the stored key is not hex
    assert_string_equal(s_change(f, "AuthorizationKey", "00112233445566778899aabbccddeeff"), "Accepted");
    assert_string_equal(s_change(f, "AuthorizationKeyEncoding", "hex"), "Accepted");
    assert_string_equal(s_change(f, "AuthorizationKey", "text-key-not-hex-but-long"), "Rejected");
    assert_string_equal(s_change(f, "AuthorizationKey", "00112233445566778899aabbccddeef"), "Rejected");  //  odd
    assert_string_equal(s_change(f, "AuthorizationKey", "FFEEDDCCBBAA99887766554433221100"), "Accepted");
    assert_string_equal(s_change(f, "AuthorizationKeyEncoding", "text"), "Accepted");
    assert_string_equal(s_change(f, "AuthorizationKey", "text-key-not-hex-but-long"), "Accepted");
    assert_true(config_keys_hex_ok("00aAfF"));
    assert_false(config_keys_hex_ok(""));
    assert_false(config_keys_hex_ok("0g"));
    assert_false(config_keys_hex_ok(NULL));
}

static void
test_change_authorization_key(void **state)
{
    fixture_t *f = *state;
    assert_string_equal(s_change(f, "AuthorizationKey", "too-short"), "Rejected");
    const char *new_key = "00112233445566778899aabbccddeeff00112233";
    config_change_t change;
    assert_int_equal(change_configuration_apply(f->store, "AuthorizationKey", new_key, true,
                                                &change), 0);
    assert_int_equal(change.status, CONFIG_ACCEPTED);
    assert_true(change.def->write_only);
    assert_null(strstr(change.reason, new_key));
    char value[64];
    config_store_get(f->store, "AuthorizationKey", value, sizeof(value));
    assert_string_equal(value, new_key);
    //  Still not readable over OCPP.
    char *response = NULL;
    char code[40], description[256];
    assert_int_equal(get_configuration_handle(f->store, "{}", &response, code, sizeof(code),
                                              description, sizeof(description)), 0);
    assert_null(strstr(response, new_key));
    free(response);
}

static void
test_change_security_profile(void **state)
{
    fixture_t *f = *state;
    //  ws:// with a password: profile 1 in force.
    assert_int_equal(config_store_get_int(f->store, "SecurityProfile", -1), 1);
    assert_string_equal(s_change(f, "SecurityProfile", "1"), "Rejected");   //  A05.FR.01
    assert_string_equal(s_change(f, "SecurityProfile", "0"), "Rejected");
    assert_string_equal(s_change(f, "SecurityProfile", "9"), "Rejected");
    //  No CA for wss:// configured (ws:// URL, no --ca-file): A05.FR.03.
    assert_string_equal(s_change(f, "SecurityProfile", "2"), "Rejected");
    //  No client certificate: A05.FR.04.
    snprintf(f->opts.ca_file, sizeof(f->opts.ca_file), "/etc/ssl/ca.pem");
    assert_string_equal(s_change(f, "SecurityProfile", "3"), "Rejected");
    assert_string_equal(s_change(f, "SecurityProfile", "2"), "Accepted");
    assert_int_equal(config_store_get_int(f->store, "SecurityProfile", -1), 2);
    //  The operator may lower it locally; the CSMS may not.
    config_change_t change;
    assert_int_equal(change_configuration_apply(f->store, "SecurityProfile", "0", false,
                                                &change), 0);
    assert_int_equal(change.status, CONFIG_ACCEPTED);
    //  A05.FR.02: profile 1 needs a valid AuthorizationKey.
    assert_int_equal(config_store_set(f->store, "AuthorizationKey", ""), CONFIG_STORE_OK);
    assert_string_equal(s_change(f, "SecurityProfile", "1"), "Rejected");
    assert_string_equal(s_change(f, "AuthorizationKey", "0123456789abcdef0123"), "Accepted");
    assert_string_equal(s_change(f, "SecurityProfile", "1"), "Accepted");
}

static void
test_store_failure(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(cp_store_exec(f->db, "DROP TABLE config"), 0);
    char *response = NULL;
    char code[40], description[256];
    assert_int_equal(get_configuration_handle(f->store, "{}", &response, code, sizeof(code),
                                              description, sizeof(description)), -1);
    assert_null(response);
    assert_string_equal(code, "InternalError");
    //  5.3: not set → Rejected (not a CALLERROR).
    assert_string_equal(s_change(f, "HeartbeatInterval", "10"), "Rejected");
    config_change_t change;
    assert_int_equal(change_configuration_apply(f->store, "HeartbeatInterval", "10", true,
                                                &change), -1);
    assert_int_equal(change.status, CONFIG_REJECTED);
    char *json = NULL;
    assert_int_equal(config_values_json(f->store, "", &json), CONFIG_STORE_ERROR);
    assert_null(json);
}

//  Local settings (local_only): the CSMS reads them as readonly and its
//  ChangeConfiguration is Rejected with nothing stored; the local path
//  (cpctl, the status page) changes them.
static void
test_local_only_keys(void **state)
{
    fixture_t *f = *state;
    assert_string_equal(s_change(f, "InstallationMaxCurrent", "20"), "Rejected");
    assert_int_equal(config_store_get_int(f->store, "InstallationMaxCurrent", 0), 32);
    config_change_t change;
    assert_int_equal(change_configuration_apply(f->store, "InstallationMaxCurrent", "20", false,
                                                &change), 0);
    assert_int_equal(change.status, CONFIG_ACCEPTED);
    assert_int_equal(config_store_get_int(f->store, "InstallationMaxCurrent", 0), 20);
    //  The local path still validates.
    assert_int_equal(change_configuration_apply(f->store, "LocalChargingSchedule", "25:00-01:00=10",
                                                false, &change), 0);
    assert_int_equal(change.status, CONFIG_REJECTED);
    assert_non_null(strstr(change.reason, "window 1"));
    char *response = NULL;
    char code[40], description[256];
    assert_int_equal(get_configuration_handle(f->store, "{\"key\":[\"InstallationMaxCurrent\"]}",
                                              &response, code, sizeof(code), description,
                                              sizeof(description)), 0);
    assert_non_null(strstr(response, "\"readonly\":true"));
    assert_non_null(strstr(response, "\"value\":\"20\""));
    free(response);
}

//  --------------------------------------------------------------------------
//  The config_get view

static void
test_values_json(void **state)
{
    fixture_t *f = *state;
    char *json = NULL;
    assert_int_equal(config_values_json(f->store, "", &json), CONFIG_STORE_OK);
    assert_null(strstr(json, SECRET));
    json_t *list = json_loads(json, 0, NULL);
    free(json);
    assert_int_equal(json_array_size(list), config_keys_count());
    size_t i;
    json_t *entry;
    bool seen = false;
    json_array_foreach(list, i, entry) {
        if (streq(json_string_value(json_object_get(entry, "key")), "AuthorizationKey")) {
            seen = true;
            assert_true(json_is_null(json_object_get(entry, "value")));
            assert_true(json_is_true(json_object_get(entry, "writeonly")));
        }
        else
            assert_true(json_is_string(json_object_get(entry, "value")));
    }
    assert_true(seen);
    json_decref(list);

    assert_int_equal(config_values_json(f->store, "numberofconnectors", &json), CONFIG_STORE_OK);
    assert_string_equal(json, "[{\"key\":\"NumberOfConnectors\",\"readonly\":true,\"value\":\"2\"}]");
    free(json);
    assert_int_equal(config_values_json(f->store, "AuthorizationKey", &json), CONFIG_STORE_OK);
    assert_null(strstr(json, SECRET));
    free(json);
    assert_int_equal(config_values_json(f->store, "Nope", &json), CONFIG_STORE_UNKNOWN);
    assert_null(json);
}

//  --------------------------------------------------------------------------
//  The actor on an inproc bus

typedef struct {
    fixture_t f;
    cp_bus_endpoints_t ep;
    zactor_t *broker;
    cp_clock_t *clock;
    cp_actor_args_t args;
    zactor_t *actor;
    cp_bus_t *tester;
} bench_t;

//  The supervisor's shim signals before the actor runs; so does this one.
static void
s_shim(zsock_t *pipe, void *args)
{
    zsock_signal(pipe, 0);
    config_actor(pipe, args);
}

static int
s_actor_setup(void **state)
{
    bench_t *b = calloc(1, sizeof(bench_t));
    assert_non_null(b);
    s_fixture_init(&b->f);
    bench_seed_config(&b->f.opts);
    //  A fresh endpoint per fixture: an inproc name is released
    //  asynchronously after its socket closes, so rebinding may fail.
    static int fixture_count = 0;
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "inproc://test-config-%d", ++fixture_count);
    cp_bus_endpoints_init(&b->ep, prefix);
    b->broker = zactor_new(cp_bus_broker_actor, &b->ep);
    assert_non_null(b->broker);
    b->clock = cp_clock_new_system();
    b->tester = cp_bus_new(&b->ep, "tester");
    assert_non_null(b->tester);
    assert_int_equal(cp_bus_subscribe(b->tester, "config."), 0);
    snprintf(b->args.name, sizeof(b->args.name), "config");
    b->args.bus = b->ep;
    b->args.options = &b->f.opts;
    b->args.clock = b->clock;
    atomic_init(&b->args.abandon, false);
    atomic_init(&b->args.terminated, false);
    b->actor = zactor_new(s_shim, &b->args);
    assert_non_null(b->actor);
    *state = b;
    return 0;
}

static int
s_actor_teardown(void **state)
{
    bench_t *b = *state;
    zactor_destroy(&b->actor);
    assert_true(atomic_load(&b->args.terminated));
    cp_bus_destroy(&b->tester);
    zactor_destroy(&b->broker);
    cp_clock_destroy(&b->clock);
    s_remove_dir(b->f.dir);
    free(b);
    return 0;
}

static cp_msg_t *
s_recv(bench_t *b, zsock_t *which, cp_bus_envelope_t *env, int timeout_ms)
{
    return bench_recv(b->tester, which, env, timeout_ms);
}

//  Request "config"; retry while the broker says it is not up yet, and
//  after a request that got no answer at all: just after a restart the
//  broker may still route the name to the old actor's pipe until it sees
//  that pipe end, and what it sends there is lost — the case every
//  actor's request deadline covers (supervisor/requests.c).
static cp_msg_t *
s_request(bench_t *b, const cp_msg_t *request)
{
    cp_bus_envelope_t env;
    for (int attempt = 0; attempt < 100; attempt++) {
        uint64_t corr = cp_bus_request(b->tester, "config", request);
        assert_true(corr != 0);
        cp_msg_t *reply = s_recv(b, cp_bus_requests(b->tester), &env, 2000);
        while (reply && env.corr != corr) {             //  a late answer to an earlier try
            cp_msg_destroy(&reply);
            reply = s_recv(b, cp_bus_requests(b->tester), &env, 2000);
        }
        if (reply) {
            assert_int_equal(env.kind, CP_BUS_REPLY);    //  always final
            return reply;
        }
        assert_true(env.kind == CP_BUS_UNREACHABLE || env.kind == 0);
        zclock_sleep(10);
    }
    fail_msg("config never became reachable");
    return NULL;
}

static cp_msg_t *
s_config_set(bench_t *b, const char *key, const char *value, const char *origin)
{
    cp_msg_t *req = cp_msg_new(CP_MSG_CONFIG_SET);
    cp_msg_set_str(req->u.config_set.key, key);
    cp_msg_set_str(req->u.config_set.value, value);
    cp_msg_set_str(req->u.config_set.origin, origin);
    cp_msg_t *reply = s_request(b, req);
    cp_msg_destroy(&req);
    assert_int_equal(reply->type, CP_MSG_CONFIG_SET_REPLY);
    return reply;
}

static cp_msg_t *
s_event(bench_t *b)
{
    cp_bus_envelope_t env;
    cp_msg_t *msg = s_recv(b, cp_bus_events(b->tester), &env, 2000);
    if (msg) {
        assert_string_equal(env.topic, "config.changed");
        assert_int_equal(msg->type, CP_MSG_CONFIG_CHANGED);
    }
    return msg;
}

static cp_msg_t *
s_inbound(bench_t *b, const char *action, const char *payload)
{
    cp_msg_t *req = cp_msg_new(CP_MSG_OCPP_INBOUND);
    cp_msg_set_str(req->u.ocpp_inbound.action, action);
    cp_msg_set_text(&req->u.ocpp_inbound.payload, payload);
    cp_msg_t *reply = s_request(b, req);
    cp_msg_destroy(&req);
    assert_int_equal(reply->type, CP_MSG_OCPP_INBOUND_REPLY);
    return reply;
}

static void
test_actor_set_and_get(void **state)
{
    bench_t *b = *state;
    cp_msg_t *reply = s_config_set(b, "heartbeatinterval", "120", "local");
    assert_string_equal(reply->u.config_set_reply.status, "Accepted");
    cp_msg_destroy(&reply);
    cp_msg_t *event = s_event(b);
    assert_non_null(event);
    assert_string_equal(event->u.config_changed.key, "HeartbeatInterval");
    assert_string_equal(event->u.config_changed.value, "120");
    cp_msg_destroy(&event);

    //  Refused changes publish nothing.
    reply = s_config_set(b, "HeartbeatInterval", "soon", "local");
    assert_string_equal(reply->u.config_set_reply.status, "Rejected");
    assert_true(strlen(reply->u.config_set_reply.reason) > 0);
    cp_msg_destroy(&reply);
    reply = s_config_set(b, "NoSuchKey", "1", "local");
    assert_string_equal(reply->u.config_set_reply.status, "NotSupported");
    cp_msg_destroy(&reply);
    reply = s_config_set(b, "NumberOfConnectors", "1", "ocpp");
    assert_string_equal(reply->u.config_set_reply.status, "Rejected");
    cp_msg_destroy(&reply);

    //  A secret: the event carries no value.
    reply = s_config_set(b, "AuthorizationKey", "abcdefabcdefabcdefabcdef", "local");
    assert_string_equal(reply->u.config_set_reply.status, "Accepted");
    cp_msg_destroy(&reply);
    event = s_event(b);
    assert_non_null(event);
    assert_string_equal(event->u.config_changed.key, "AuthorizationKey");
    assert_string_equal(event->u.config_changed.value, "");
    cp_msg_destroy(&event);
    //  (no event for any of the refused ones in between)
    cp_bus_envelope_t env;
    assert_null(s_recv(b, cp_bus_events(b->tester), &env, 100));

    cp_msg_t *get = cp_msg_new(CP_MSG_CONFIG_GET);
    cp_msg_set_str(get->u.config_get.key, "HeartbeatInterval");
    reply = s_request(b, get);
    assert_int_equal(reply->type, CP_MSG_CONFIG_VALUES);
    assert_string_equal(reply->u.config_values.json,
                        "[{\"key\":\"HeartbeatInterval\",\"readonly\":false,\"value\":\"120\"}]");
    cp_msg_destroy(&reply);
    cp_msg_set_str(get->u.config_get.key, "");
    reply = s_request(b, get);
    assert_int_equal(reply->type, CP_MSG_CONFIG_VALUES);
    assert_null(strstr(reply->u.config_values.json, SECRET));
    assert_null(strstr(reply->u.config_values.json, "abcdefabcdefabcdefabcdef"));
    assert_non_null(strstr(reply->u.config_values.json,
                           "{\"key\":\"AuthorizationKey\",\"readonly\":false,\"value\":null"));
    cp_msg_destroy(&reply);
    cp_msg_set_str(get->u.config_get.key, "Nope");
    reply = s_request(b, get);
    assert_int_equal(reply->type, CP_MSG_REPLY);
    assert_false(reply->u.reply.ok);
    assert_non_null(strstr(reply->u.reply.reason, "Nope"));
    cp_msg_destroy(&reply);
    cp_msg_destroy(&get);
}

static void
test_actor_ocpp_inbound(void **state)
{
    bench_t *b = *state;
    cp_msg_t *reply = s_inbound(b, "ChangeConfiguration",
                                "{\"key\":\"MeterValueSampleInterval\",\"value\":\"15\"}");
    assert_string_equal(reply->u.ocpp_inbound_reply.error_code, "");
    assert_string_equal(reply->u.ocpp_inbound_reply.payload, "{\"status\":\"Accepted\"}");
    cp_msg_destroy(&reply);
    cp_msg_t *event = s_event(b);
    assert_non_null(event);
    assert_string_equal(event->u.config_changed.key, "MeterValueSampleInterval");
    assert_string_equal(event->u.config_changed.value, "15");
    cp_msg_destroy(&event);

    reply = s_inbound(b, "ChangeConfiguration", "{\"key\":\"Foo\",\"value\":\"1\"}");
    assert_string_equal(reply->u.ocpp_inbound_reply.payload, "{\"status\":\"NotSupported\"}");
    cp_msg_destroy(&reply);

    reply = s_inbound(b, "GetConfiguration", "{\"key\":[\"MeterValueSampleInterval\",\"Foo\"]}");
    assert_string_equal(reply->u.ocpp_inbound_reply.error_code, "");
    assert_string_equal(reply->u.ocpp_inbound_reply.payload,
                        "{\"configurationKey\":[{\"key\":\"MeterValueSampleInterval\","
                        "\"readonly\":false,\"value\":\"15\"}],\"unknownKey\":[\"Foo\"]}");
    cp_msg_destroy(&reply);

    reply = s_inbound(b, "GetConfiguration", "{}");
    assert_string_equal(reply->u.ocpp_inbound_reply.error_code, "");
    assert_null(strstr(reply->u.ocpp_inbound_reply.payload, SECRET));
    cp_msg_destroy(&reply);

    reply = s_inbound(b, "Reset", "{\"type\":\"Soft\"}");
    assert_string_equal(reply->u.ocpp_inbound_reply.error_code, "NotSupported");
    cp_msg_destroy(&reply);

    cp_msg_t *snap = cp_msg_new(CP_MSG_SNAPSHOT_REQUEST);
    reply = s_request(b, snap);
    assert_int_equal(reply->type, CP_MSG_REPLY);
    assert_true(reply->u.reply.ok);
    cp_msg_destroy(&reply);
    cp_msg_destroy(&snap);

    //  A request the actor does not serve is refused, not ignored.
    cp_msg_t *other = cp_msg_new(CP_MSG_HW_COMMAND);
    reply = s_request(b, other);
    assert_int_equal(reply->type, CP_MSG_REPLY);
    assert_false(reply->u.reply.ok);
    cp_msg_destroy(&reply);
    cp_msg_destroy(&other);
}

static void
test_actor_restart_keeps_values(void **state)
{
    bench_t *b = *state;
    cp_msg_t *reply = s_config_set(b, "ResetRetries", "7", "local");
    assert_string_equal(reply->u.config_set_reply.status, "Accepted");
    cp_msg_destroy(&reply);
    //  Stop and start the actor (as the supervisor would after a crash).
    zactor_destroy(&b->actor);
    atomic_store(&b->args.terminated, false);
    b->actor = zactor_new(s_shim, &b->args);
    assert_non_null(b->actor);
    cp_msg_t *get = cp_msg_new(CP_MSG_CONFIG_GET);
    cp_msg_set_str(get->u.config_get.key, "ResetRetries");
    reply = s_request(b, get);
    assert_int_equal(reply->type, CP_MSG_CONFIG_VALUES);
    assert_non_null(strstr(reply->u.config_values.json, "\"value\":\"7\""));
    cp_msg_destroy(&reply);
    cp_msg_destroy(&get);
}

int
main(void)
{
    cp_log_set_level(CP_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_known_and_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_too_many_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_text_as_jansson, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_unsendable_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_then_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authorization_key_encoding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_authorization_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_security_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_only_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_actor_set_and_get, s_actor_setup, s_actor_teardown),
        cmocka_unit_test_setup_teardown(test_actor_ocpp_inbound, s_actor_setup, s_actor_teardown),
        cmocka_unit_test_setup_teardown(test_actor_restart_keeps_values, s_actor_setup,
                                        s_actor_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
