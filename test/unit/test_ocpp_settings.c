/* test_ocpp_settings.c — the seed's OCPP settings as configuration keys:
 * URL and identity validation (what the status page and `cpctl config set`
 * refuse), the provisioning defaults from the start-up options, the
 * local_only rule (a CSMS may not move the charger to another CSMS) and
 * ocpp_settings_read over a real store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "actors/config/change_configuration.h"
#include "actors/config/config_keys.h"
#include "actors/config/config_store.h"
#include "actors/config/ocpp_settings.h"

static char s_reason[CONFIG_REASON_MAX + 1];

static void
test_url_rules(void **state)
{
    (void) state;
    static const char *const good[] = {
        "ws://localhost/ocpp", "wss://csms.example.com", "ws://127.0.0.1:9000/ocpp/v16",
        "ws://[::1]:8080/x", "WSS://Csms.Example.com:443/a/b/", "ws://a",
        "ws://manager.electromaps.com:8080/ocpp",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!ocpp_settings_url_ok(good[i], s_reason, sizeof(s_reason)))
            fail_msg("'%s' refused: %s", good[i], s_reason);
    static const char *const bad[] = {
        "", "http://csms/ocpp", "https://x", "ws://", "ws:///ocpp", "ws://:9000/x",
        "ws://host:0/x", "ws://host:65536/x", "ws://host:port/x", "ws://user:pw@host/x",
        "ws://host/a b", "ws://host/x?y=1", "ws://host/x#f", "csms.example.com/ocpp",
        "ws://ho st/x", "ws://host/\x01", "ws ://host", "ws://host:/x", "ws://[zz]/x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s_reason[0] = '\0';
        if (ocpp_settings_url_ok(bad[i], s_reason, sizeof(s_reason)))
            fail_msg("'%s' accepted", bad[i]);
        assert_true(strlen(s_reason) > 10);
    }
    assert_false(ocpp_settings_url_ok(NULL, s_reason, sizeof(s_reason)));
    assert_non_null(strstr(s_reason, "required"));
    //  Length: 500 characters (CiString500) pass, 501 do not.
    char url[OCPP_SETTINGS_URL_MAX + 2];
    memset(url, 'a', sizeof(url));
    memcpy(url, "ws://h/", 7);
    url[OCPP_SETTINGS_URL_MAX] = '\0';
    assert_true(ocpp_settings_url_ok(url, s_reason, sizeof(s_reason)));
    url[OCPP_SETTINGS_URL_MAX] = 'a';
    url[OCPP_SETTINGS_URL_MAX + 1] = '\0';
    assert_false(ocpp_settings_url_ok(url, s_reason, sizeof(s_reason)));
    assert_non_null(strstr(s_reason, "longer than 500"));
}

static void
test_identity_rules(void **state)
{
    (void) state;
    static const char *const good[] = { "CP001", "6335dec40221fe1b", "a", "x.y_z-1*2=3+4|5@6" };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!ocpp_settings_identity_ok(good[i], s_reason, sizeof(s_reason)))
            fail_msg("'%s' refused: %s", good[i], s_reason);
    static const char *const bad[] = { "", "CP 01", "CP:01", "CP/01", "CP%01", "CP\xc3\xa9", "CP\t" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (ocpp_settings_identity_ok(bad[i], s_reason, sizeof(s_reason)))
            fail_msg("'%s' accepted", bad[i]);
    assert_false(ocpp_settings_identity_ok("", s_reason, sizeof(s_reason)));
    assert_non_null(strstr(s_reason, "required"));
    char id[OCPP_SETTINGS_IDENTITY_MAX + 2];
    memset(id, 'C', sizeof(id));
    id[OCPP_SETTINGS_IDENTITY_MAX] = '\0';
    assert_true(ocpp_settings_identity_ok(id, s_reason, sizeof(s_reason)));
    id[OCPP_SETTINGS_IDENTITY_MAX] = 'C';
    id[OCPP_SETTINGS_IDENTITY_MAX + 1] = '\0';
    assert_false(ocpp_settings_identity_ok(id, s_reason, sizeof(s_reason)));
    assert_non_null(strstr(s_reason, "longer than 48"));
}

static void
test_keys_in_table(void **state)
{
    (void) state;
    char canonical[CONFIG_VALUE_MAX + 1];
    const char *names[] = { "OcppEnabled", "CentralSystemUrl", "ChargePointIdentity" };
    for (size_t i = 0; i < 3; i++) {
        const config_key_def_t *def = config_keys_find(names[i]);
        assert_non_null(def);
        assert_true(def->local_only);
        assert_false(def->readonly);
        assert_false(def->write_only);
    }
    const config_key_def_t *url = config_keys_find("centralsystemurl");
    assert_int_equal(config_keys_validate(url, "ws://h:1/x", NULL, canonical, sizeof(canonical),
                                          s_reason, sizeof(s_reason)), CONFIG_ACCEPTED);
    assert_string_equal(canonical, "ws://h:1/x");
    assert_int_equal(config_keys_validate(url, "ws://h:99999/x", NULL, canonical, sizeof(canonical),
                                          s_reason, sizeof(s_reason)), CONFIG_REJECTED);
    assert_string_equal(canonical, "");
    assert_non_null(strstr(s_reason, "malformed"));
    const config_key_def_t *id = config_keys_find("ChargePointIdentity");
    assert_int_equal(config_keys_validate(id, "", NULL, canonical, sizeof(canonical),
                                          s_reason, sizeof(s_reason)), CONFIG_REJECTED);
    assert_int_equal(config_keys_validate(config_keys_find("OcppEnabled"), "TRUE", NULL, canonical,
                                          sizeof(canonical), s_reason, sizeof(s_reason)),
                     CONFIG_ACCEPTED);
    assert_string_equal(canonical, "true");
}

static void
test_defaults_are_the_start_up_options(void **state)
{
    (void) state;
    cp_options_t opts;
    cp_options_defaults(&opts);
    char value[CONFIG_VALUE_MAX + 1];
    config_keys_default(config_keys_find("OcppEnabled"), &opts, value, sizeof(value));
    assert_string_equal(value, "false");
    config_keys_default(config_keys_find("CentralSystemUrl"), &opts, value, sizeof(value));
    assert_string_equal(value, "");
    snprintf(opts.csms_url, sizeof(opts.csms_url), "ws://u:secret@csms/ocpp");
    snprintf(opts.id, sizeof(opts.id), "CP 01");
    config_keys_default(config_keys_find("OcppEnabled"), &opts, value, sizeof(value));
    assert_string_equal(value, "true");
    config_keys_default(config_keys_find("CentralSystemUrl"), &opts, value, sizeof(value));
    assert_null(strstr(value, "secret"));       //  GetConfiguration shows it
    config_keys_default(config_keys_find("ChargePointIdentity"), &opts, value, sizeof(value));
    assert_string_equal(value, "CP 01");
}

typedef struct {
    sqlite3 *db;
    config_store_t *store;
    cp_options_t opts;
} fixture_t;

static int
s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(fixture_t));
    assert_non_null(f);
    cp_options_defaults(&f->opts);
    snprintf(f->opts.csms_url, sizeof(f->opts.csms_url), "ws://127.0.0.1:9000/ocpp");
    snprintf(f->opts.id, sizeof(f->opts.id), "CP 01");
    assert_int_equal(sqlite3_open(":memory:", &f->db), SQLITE_OK);
    assert_int_equal(config_store_seed(f->db, &f->opts), CONFIG_STORE_OK);
    f->store = config_store_new(f->db, &f->opts);
    assert_non_null(f->store);
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    config_store_destroy(&f->store);
    sqlite3_close(f->db);
    free(f);
    return 0;
}

static void
test_read_prefers_stored_values(void **state)
{
    fixture_t *f = *state;
    ocpp_settings_t settings;
    assert_int_equal(ocpp_settings_read(f->store, &settings), CONFIG_STORE_OK);
    assert_true(settings.enabled);
    assert_string_equal(settings.url, "ws://127.0.0.1:9000/ocpp");
    assert_string_equal(settings.identity, "CP 01");
    assert_false(settings.password_set);
    assert_true(ocpp_settings_complete(&settings));

    config_change_t change;
    change_configuration_apply(f->store, "CentralSystemUrl", "wss://other.example/v16", false, &change);
    assert_int_equal(change.status, CONFIG_ACCEPTED);
    change_configuration_apply(f->store, "ChargePointIdentity", "CP-NEW", false, &change);
    assert_int_equal(change.status, CONFIG_ACCEPTED);
    change_configuration_apply(f->store, "AuthorizationKey", "0123456789abcdef0123", false, &change);
    assert_int_equal(change.status, CONFIG_ACCEPTED);
    change_configuration_apply(f->store, "OcppEnabled", "false", false, &change);
    assert_int_equal(change.status, CONFIG_ACCEPTED);
    assert_int_equal(ocpp_settings_read(f->store, &settings), CONFIG_STORE_OK);
    assert_false(settings.enabled);
    assert_string_equal(settings.url, "wss://other.example/v16");
    assert_string_equal(settings.identity, "CP-NEW");
    assert_true(settings.password_set);
    assert_false(ocpp_settings_complete(&settings));
}

static void
test_invalid_values_change_nothing(void **state)
{
    fixture_t *f = *state;
    config_change_t change;
    change_configuration_apply(f->store, "CentralSystemUrl", "ws://bad host/x", false, &change);
    assert_int_equal(change.status, CONFIG_REJECTED);
    change_configuration_apply(f->store, "ChargePointIdentity", "", false, &change);
    assert_int_equal(change.status, CONFIG_REJECTED);
    char sixty[61];
    memset(sixty, 'p', 60);
    sixty[60] = '\0';
    change_configuration_apply(f->store, "AuthorizationKey", sixty, false, &change);
    assert_int_equal(change.status, CONFIG_REJECTED);
    assert_null(strstr(change.reason, sixty));
    ocpp_settings_t settings;
    assert_int_equal(ocpp_settings_read(f->store, &settings), CONFIG_STORE_OK);
    assert_string_equal(settings.url, "ws://127.0.0.1:9000/ocpp");
    assert_string_equal(settings.identity, "CP 01");
    assert_false(settings.password_set);
}

static void
test_csms_may_not_move_the_charger(void **state)
{
    fixture_t *f = *state;
    config_change_t change;
    change_configuration_apply(f->store, "CentralSystemUrl", "ws://evil.example/x", true, &change);
    assert_int_equal(change.status, CONFIG_REJECTED);
    change_configuration_apply(f->store, "OcppEnabled", "false", true, &change);
    assert_int_equal(change.status, CONFIG_REJECTED);
    change_configuration_apply(f->store, "ChargePointIdentity", "X", true, &change);
    assert_int_equal(change.status, CONFIG_REJECTED);
    ocpp_settings_t settings;
    assert_int_equal(ocpp_settings_read(f->store, &settings), CONFIG_STORE_OK);
    assert_true(settings.enabled);
    assert_string_equal(settings.url, "ws://127.0.0.1:9000/ocpp");
}

//  Another host is another central system: the stored password is
//  cleared with the URL change (the page sends a new one after it), kept
//  for the same host; SecurityProfile 2+ refuses a ws:// URL (the password
//  would travel in clear) and changes nothing.
static void
test_url_change_protects_the_password(void **state)
{
    fixture_t *f = *state;
    config_change_t change;
    ocpp_settings_t settings;
    change_configuration_apply(f->store, "AuthorizationKey", "0123456789abcdef0123", false, &change);
    assert_int_equal(change.status, CONFIG_ACCEPTED);
    change_configuration_apply(f->store, "CentralSystemUrl", "ws://127.0.0.1:9001/other-path", false, &change);
    assert_int_equal(change.status, CONFIG_ACCEPTED);
    assert_int_equal(ocpp_settings_read(f->store, &settings), CONFIG_STORE_OK);
    assert_true(settings.password_set);                     //  same host: kept
    change_configuration_apply(f->store, "CentralSystemUrl", "ws://csms.example.net/ocpp", false, &change);
    assert_int_equal(change.status, CONFIG_ACCEPTED);
    assert_non_null(strstr(change.reason, "password was cleared"));
    assert_int_equal(ocpp_settings_read(f->store, &settings), CONFIG_STORE_OK);
    assert_false(settings.password_set);                    //  another host: cleared
    assert_string_equal(settings.url, "ws://csms.example.net/ocpp");

    change_configuration_apply(f->store, "AuthorizationKey", "0123456789abcdef0123", false, &change);
    change_configuration_apply(f->store, "CentralSystemUrl", "wss://csms.example.net/ocpp", false, &change);
    assert_int_equal(change.status, CONFIG_ACCEPTED);
    change_configuration_apply(f->store, "SecurityProfile", "2", false, &change);
    assert_int_equal(change.status, CONFIG_ACCEPTED);
    change_configuration_apply(f->store, "CentralSystemUrl", "ws://csms.example.net/ocpp", false, &change);
    assert_int_equal(change.status, CONFIG_REJECTED);
    assert_non_null(strstr(change.reason, "wss://"));
    assert_int_equal(ocpp_settings_read(f->store, &settings), CONFIG_STORE_OK);
    assert_string_equal(settings.url, "wss://csms.example.net/ocpp");
    assert_true(settings.password_set);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_rules),
        cmocka_unit_test(test_identity_rules),
        cmocka_unit_test(test_keys_in_table),
        cmocka_unit_test_setup_teardown(test_url_change_protects_the_password, s_setup, s_teardown),
        cmocka_unit_test(test_defaults_are_the_start_up_options),
        cmocka_unit_test_setup_teardown(test_read_prefers_stored_values, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_values_change_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_csms_may_not_move_the_charger, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
