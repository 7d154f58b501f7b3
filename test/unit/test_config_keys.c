/* test_config_keys.c — the pure key table and its validation rules
 * (OCPP 1.6 chapter 9, 5.3, errata 3.14.4/3.80/3.88, security whitepaper
 * chapter 7 and A05).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "actors/config/config_keys.h"

static char s_canonical[CONFIG_VALUE_MAX + 1];
static char s_reason[CONFIG_REASON_MAX + 1];

static config_status_t
s_check(const char *key, const char *value)
{
    return config_keys_validate(config_keys_find(key), value, NULL, s_canonical,
                                sizeof(s_canonical), s_reason, sizeof(s_reason));
}

static void
test_table_is_sane(void **state)
{
    (void) state;
    assert_true(config_keys_count() > 30);
    assert_null(config_keys_at(config_keys_count()));
    for (size_t i = 0; i < config_keys_count(); i++) {
        const config_key_def_t *def = config_keys_at(i);
        assert_non_null(def->name);
        assert_true(strlen(def->name) <= CONFIG_KEY_MAX);
        //  Names are unique, even ignoring case (CiString50Type).
        assert_ptr_equal(config_keys_find(def->name), def);
        //  Every default passes the key's own rules.
        char value[CONFIG_VALUE_MAX + 1];
        config_keys_default(def, NULL, value, sizeof(value));
        config_key_def_t writable = *def;
        writable.readonly = false;
        writable.reboot_required = false;
        //  The password and the provisioning defaults (--csms, --id: absent
        //  without options) are the only keys whose default may be empty.
        bool provisioned = def->default_kind == CONFIG_DEFAULT_CSMS_URL
                        || def->default_kind == CONFIG_DEFAULT_IDENTITY;
        if (def->check != CONFIG_CHECK_AUTHORIZATION_KEY && !provisioned) {
            config_status_t status = config_keys_validate(&writable, value, NULL, s_canonical,
                                                          sizeof(s_canonical), s_reason,
                                                          sizeof(s_reason));
            if (status != CONFIG_ACCEPTED)
                fail_msg("default of %s '%s' invalid: %s", def->name, value, s_reason);
            assert_string_equal(s_canonical, value);
        }
        //  A CSL's max-length key exists and is a read-only int.
        if (def->max_items_key) {
            const config_key_def_t *max = config_keys_find(def->max_items_key);
            assert_non_null(max);
            assert_true(max->readonly);
            assert_int_equal(max->type, CONFIG_TYPE_INT);
        }
        //  Every writable list is bounded by a ...MaxLength key (5.3).
        if (def->type == CONFIG_TYPE_CSL && !def->readonly)
            assert_non_null(def->max_items_key);
        //  Only the write-only key is secret, and it is writable.
        if (def->write_only)
            assert_false(def->readonly);
        //  Nothing needs a reboot in this controller (config_keys.c).
        assert_false(def->reboot_required);
    }
    //  GetConfigurationMaxKeys covers every key.
    char max[16];
    config_keys_default(config_keys_find("GetConfigurationMaxKeys"), NULL, max, sizeof(max));
    assert_true((size_t) atoi(max) >= config_keys_count());
}

static void
test_required_keys_present(void **state)
{
    (void) state;
    static const char *const required[] = {
        //  9.1 Core, required
        "AuthorizeRemoteTxRequests", "ClockAlignedDataInterval", "ConnectionTimeOut",
        "ConnectorPhaseRotation", "GetConfigurationMaxKeys", "HeartbeatInterval",
        "LocalAuthorizeOffline", "LocalPreAuthorize", "MeterValuesAlignedData",
        "MeterValuesSampledData", "MeterValueSampleInterval", "NumberOfConnectors",
        "ResetRetries", "StopTransactionOnInvalidId", "StopTxnAlignedData",
        "StopTxnSampledData", "SupportedFeatureProfiles", "TransactionMessageAttempts",
        "TransactionMessageRetryInterval", "UnlockConnectorOnEVSideDisconnect",
        //  9.2 Local Auth List Management
        "LocalAuthListEnabled", "LocalAuthListMaxLength", "SendLocalListMaxLength",
        //  9.4 Smart Charging
        "ChargeProfileMaxStackLevel", "ChargingScheduleAllowedChargingRateUnit",
        "ChargingScheduleMaxPeriods", "MaxChargingProfilesInstalled",
        //  whitepaper 7
        "AuthorizationKey", "SecurityProfile", NULL
    };
    for (size_t i = 0; required[i]; i++)
        if (!config_keys_find(required[i]))
            fail_msg("missing %s", required[i]);
    //  Deliberately absent (errata 3.80; optional booleans we cannot honour).
    assert_null(config_keys_find("SupportedFeatureProfilesMaxLength"));
    //  Reservation: connector 0 is explicitly not supported (read-only false).
    const config_key_def_t *zero = config_keys_find("ReserveConnectorZeroSupported");
    assert_non_null(zero);
    assert_true(zero->readonly);
    //  Smart charging: the contactors switch three phases together; the
    //  key says so (read-only false) instead of leaving the CSMS to guess.
    const config_key_def_t *switch3to1 = config_keys_find("ConnectorSwitch3to1PhaseSupported");
    assert_non_null(switch3to1);
    assert_true(switch3to1->readonly);
    assert_string_equal(switch3to1->default_value, "false");
    //  Local settings: readable by the CSMS, changed only locally.
    const char *const local[] = { "InstallationMaxCurrent", "LocalCurrentLimit", "PowerBoostEnabled",
                                  "PowerBoostMainFuse", "LocalChargingSchedule", "LocalTimeOffset", NULL };
    for (size_t i = 0; local[i]; i++) {
        const config_key_def_t *def = config_keys_find(local[i]);
        if (!def || !def->local_only || def->readonly)
            fail_msg("%s must be a local_only, locally writable key", local[i]);
    }
    //  The seed's name for free charging is another name of the same key.
    const config_key_def_t *free_charging = config_keys_find("FreeChargingEnabled");
    assert_non_null(free_charging);
    assert_ptr_equal(config_keys_find("AuthEnabled"), free_charging);
    assert_ptr_equal(config_keys_find("authenabled"), free_charging);
    assert_string_equal(config_keys_alias("AUTHENABLED"), "AuthEnabled");
    assert_string_equal(config_keys_alias_target("AuthEnabled"), "FreeChargingEnabled");
    assert_null(config_keys_alias("FreeChargingEnabled"));
    assert_null(config_keys_alias(NULL));
    assert_null(config_keys_find("AuthEnabledX"));
    assert_null(config_keys_find(NULL));
    assert_null(config_keys_find(""));
}

static void
test_lookup_is_case_insensitive(void **state)
{
    (void) state;
    const config_key_def_t *def = config_keys_find("heartbeatinterval");
    assert_non_null(def);
    assert_string_equal(def->name, "HeartbeatInterval");
    assert_ptr_equal(config_keys_find("HEARTBEATINTERVAL"), def);
}

static void
test_status_names(void **state)
{
    (void) state;
    assert_string_equal(config_status_name(CONFIG_ACCEPTED), "Accepted");
    assert_string_equal(config_status_name(CONFIG_REJECTED), "Rejected");
    assert_string_equal(config_status_name(CONFIG_REBOOT_REQUIRED), "RebootRequired");
    assert_string_equal(config_status_name(CONFIG_NOT_SUPPORTED), "NotSupported");
}

static void
test_unknown_and_readonly(void **state)
{
    (void) state;
    assert_int_equal(s_check("NoSuchKey", "1"), CONFIG_NOT_SUPPORTED);
    assert_int_equal(s_check("NumberOfConnectors", "2"), CONFIG_REJECTED);
    assert_non_null(strstr(s_reason, "read-only"));
    assert_int_equal(s_check("SupportedFeatureProfiles", "Core"), CONFIG_REJECTED);
    assert_int_equal(s_check("GetConfigurationMaxKeys", "10"), CONFIG_REJECTED);
    assert_string_equal(s_canonical, "");
}

//  Security whitepaper chapter 7, certificate management (security actor).
static void
test_certificate_keys(void **state)
{
    (void) state;
    const config_key_def_t *max = config_keys_find("CertificateStoreMaxLength");
    assert_non_null(max);
    assert_true(max->readonly);
    char value[CONFIG_VALUE_MAX + 1];
    config_keys_default(max, NULL, value, sizeof(value));
    assert_string_equal(value, "16");
    assert_int_equal(s_check("CertificateStoreMaxLength", "100"), CONFIG_REJECTED);
    const config_key_def_t *check = config_keys_find("AdditionalRootCertificateCheck");
    assert_non_null(check);
    //  7.1: R to the central system (local_only), the charger maker's
    //  setting locally; a boolean, false by default.
    assert_true(check->local_only);
    assert_false(check->readonly);
    config_keys_default(check, NULL, value, sizeof(value));
    assert_string_equal(value, "false");
    assert_int_equal(s_check("AdditionalRootCertificateCheck", "true"), CONFIG_ACCEPTED);
    assert_int_equal(s_check("AdditionalRootCertificateCheck", "maybe"), CONFIG_REJECTED);
    assert_false(config_keys_find("CpoName")->readonly);
    assert_int_equal(s_check("CpoName", "Example Charging GmbH"), CONFIG_ACCEPTED);
    assert_string_equal(s_canonical, "Example Charging GmbH");
    char long_name[66];
    memset(long_name, 'x', 65);
    long_name[65] = '\0';
    assert_int_equal(s_check("CpoName", long_name), CONFIG_REJECTED);
    long_name[64] = '\0';
    assert_int_equal(s_check("CpoName", long_name), CONFIG_ACCEPTED);
}

static void
test_int_values(void **state)
{
    (void) state;
    assert_int_equal(s_check("HeartbeatInterval", "60"), CONFIG_ACCEPTED);
    assert_string_equal(s_canonical, "60");
    assert_int_equal(s_check("HeartbeatInterval", "0"), CONFIG_ACCEPTED);
    assert_int_equal(s_check("HeartbeatInterval", "0060"), CONFIG_ACCEPTED);
    assert_string_equal(s_canonical, "60");
    assert_int_equal(s_check("HeartbeatInterval", "86400"), CONFIG_ACCEPTED);
    assert_int_equal(s_check("HeartbeatInterval", "86401"), CONFIG_REJECTED);
    assert_int_equal(s_check("HeartbeatInterval", "abc"), CONFIG_REJECTED);
    assert_non_null(strstr(s_reason, "integer"));
    assert_int_equal(s_check("HeartbeatInterval", "-1"), CONFIG_REJECTED);
    assert_int_equal(s_check("HeartbeatInterval", ""), CONFIG_REJECTED);
    assert_int_equal(s_check("HeartbeatInterval", "99999999999"), CONFIG_REJECTED);
    assert_int_equal(s_check("HeartbeatInterval", "99999999999999999999999"), CONFIG_REJECTED);
    assert_int_equal(s_check("HeartbeatInterval", " 60"), CONFIG_REJECTED);
    assert_int_equal(s_check("HeartbeatInterval", "60s"), CONFIG_REJECTED);
    assert_int_equal(s_check("HeartbeatInterval", "1.5"), CONFIG_REJECTED);
    assert_int_equal(s_check("HeartbeatInterval", "+5"), CONFIG_REJECTED);
    assert_int_equal(s_check("HeartbeatInterval", "-"), CONFIG_REJECTED);
    assert_string_equal(s_canonical, "");
    //  OCPP-J 7: negative ping intervals are Rejected, 0 disables.
    assert_int_equal(s_check("WebSocketPingInterval", "-5"), CONFIG_REJECTED);
    assert_int_equal(s_check("WebSocketPingInterval", "0"), CONFIG_ACCEPTED);
    //  A percentage.
    assert_int_equal(s_check("LightIntensity", "100"), CONFIG_ACCEPTED);
    assert_int_equal(s_check("LightIntensity", "101"), CONFIG_REJECTED);
    //  At least one attempt.
    assert_int_equal(s_check("TransactionMessageAttempts", "0"), CONFIG_REJECTED);
    assert_int_equal(s_check("TransactionMessageAttempts", "5"), CONFIG_ACCEPTED);
    //  Unbounded above: 64-bit limits.
    assert_int_equal(s_check("MaxEnergyOnInvalidId", "9223372036854775807"), CONFIG_ACCEPTED);
    assert_int_equal(s_check("MaxEnergyOnInvalidId", "9223372036854775808"), CONFIG_REJECTED);
    assert_int_equal(s_check("MaxEnergyOnInvalidId", "-9223372036854775808"), CONFIG_REJECTED);
}

static void
test_bool_values(void **state)
{
    (void) state;
    assert_int_equal(s_check("LocalPreAuthorize", "TRUE"), CONFIG_ACCEPTED);
    assert_string_equal(s_canonical, "true");
    assert_int_equal(s_check("LocalPreAuthorize", "False"), CONFIG_ACCEPTED);
    assert_string_equal(s_canonical, "false");
    assert_int_equal(s_check("LocalPreAuthorize", "1"), CONFIG_REJECTED);
    assert_int_equal(s_check("LocalPreAuthorize", "yes"), CONFIG_REJECTED);
    assert_int_equal(s_check("LocalPreAuthorize", ""), CONFIG_REJECTED);
    assert_int_equal(s_check("LocalPreAuthorize", "truee"), CONFIG_REJECTED);
    assert_int_equal(s_check("LocalPreAuthorize", " true"), CONFIG_REJECTED);
}

static void
test_measurand_lists(void **state)
{
    (void) state;
    assert_int_equal(s_check("MeterValuesSampledData",
                             "Energy.Active.Import.Register, power.active.import ,SoC"),
                     CONFIG_ACCEPTED);
    assert_string_equal(s_canonical, "Energy.Active.Import.Register,Power.Active.Import,SoC");
    //  All seven, the max length.
    assert_int_equal(s_check("MeterValuesAlignedData",
                             "Energy.Active.Import.Register,Power.Active.Import,Current.Import,"
                             "Current.Offered,Voltage,Temperature,SoC"), CONFIG_ACCEPTED);
    //  errata 3.14.4: one unsupported measurand rejects the whole list.
    assert_int_equal(s_check("MeterValuesSampledData",
                             "Energy.Active.Import.Register,Frequency"), CONFIG_REJECTED);
    assert_non_null(strstr(s_reason, "Frequency"));
    assert_string_equal(s_canonical, "");
    assert_int_equal(s_check("StopTxnSampledData", "Energy.Reactive.Import.Register"),
                     CONFIG_REJECTED);
    //  No per-phase measuring on this hardware.
    assert_int_equal(s_check("StopTxnAlignedData", "Voltage.L1"), CONFIG_REJECTED);
    //  Too long: eight items (7 distinct + a duplicate) or a duplicate.
    assert_int_equal(s_check("MeterValuesSampledData",
                             "Energy.Active.Import.Register,Power.Active.Import,Current.Import,"
                             "Current.Offered,Voltage,Temperature,SoC,Voltage"), CONFIG_REJECTED);
    assert_non_null(strstr(s_reason, "at most 7"));
    assert_int_equal(s_check("MeterValuesSampledData", "Voltage,voltage"), CONFIG_REJECTED);
    assert_non_null(strstr(s_reason, "twice"));
    //  Empty items.
    assert_int_equal(s_check("MeterValuesSampledData", "Voltage,,SoC"), CONFIG_REJECTED);
    assert_int_equal(s_check("MeterValuesSampledData", "Voltage,"), CONFIG_REJECTED);
    assert_int_equal(s_check("MeterValuesSampledData", ","), CONFIG_REJECTED);
    //  errata 3.14.5: the empty list is valid (no meter values).
    assert_int_equal(s_check("StopTxnSampledData", ""), CONFIG_ACCEPTED);
    assert_string_equal(s_canonical, "");
    assert_int_equal(s_check("StopTxnSampledData", "  "), CONFIG_ACCEPTED);
    assert_string_equal(s_canonical, "");
}

static void
test_phase_rotation(void **state)
{
    (void) state;
    cp_options_t opts;
    memset(&opts, 0, sizeof(opts));
    opts.connectors = 2;
    const config_key_def_t *def = config_keys_find("ConnectorPhaseRotation");
#define CHECK(v) config_keys_validate(def, (v), &opts, s_canonical, sizeof(s_canonical), \
                                      s_reason, sizeof(s_reason))
    //  The spec's own example.
    assert_int_equal(CHECK("0.RST, 1.RST, 2.RTS"), CONFIG_ACCEPTED);
    assert_string_equal(s_canonical, "0.RST,1.RST,2.RTS");
    assert_int_equal(CHECK("notapplicable"), CONFIG_ACCEPTED);
    assert_string_equal(s_canonical, "NotApplicable");
    assert_int_equal(CHECK("3.RST"), CONFIG_REJECTED);        //  no connector 3
    assert_int_equal(CHECK("1.RST,1.TSR"), CONFIG_REJECTED);  //  twice
    assert_int_equal(CHECK("1.XYZ"), CONFIG_REJECTED);
    assert_int_equal(CHECK(".RST"), CONFIG_REJECTED);
    assert_int_equal(CHECK("a.RST"), CONFIG_REJECTED);
    assert_int_equal(CHECK(""), CONFIG_REJECTED);
    //  Max length = connectors + 1 (connector 0 is the grid side).
    assert_int_equal(CHECK("0.RST,1.RST,2.RST,RST"), CONFIG_REJECTED);
    char max[8];
    config_keys_default(config_keys_find("ConnectorPhaseRotationMaxLength"), &opts, max,
                        sizeof(max));
    assert_string_equal(max, "3");
#undef CHECK
}

static void
test_derived_readonly_values(void **state)
{
    (void) state;
    cp_options_t opts;
    memset(&opts, 0, sizeof(opts));
    opts.connectors = 3;
    char value[CONFIG_VALUE_MAX + 1];
    config_keys_default(config_keys_find("NumberOfConnectors"), &opts, value, sizeof(value));
    assert_string_equal(value, "3");
    config_keys_default(config_keys_find("NumberOfConnectors"), NULL, value, sizeof(value));
    assert_string_equal(value, "1");
    config_keys_default(config_keys_find("SupportedFeatureProfiles"), &opts, value, sizeof(value));
    assert_string_equal(value, "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger");
    //  SecurityProfile defaults to what the start-up options use.
    const config_key_def_t *sp = config_keys_find("SecurityProfile");
    config_keys_default(sp, &opts, value, sizeof(value));
    assert_string_equal(value, "0");
    opts.password_given = true;
    strcpy(opts.password, "0123456789abcdef0123");
    strcpy(opts.csms_url, "ws://csms.example/ocpp");
    config_keys_default(sp, &opts, value, sizeof(value));
    assert_string_equal(value, "1");
    strcpy(opts.csms_url, "wss://csms.example/ocpp");
    config_keys_default(sp, &opts, value, sizeof(value));
    assert_string_equal(value, "2");
    //  The table default of a write-only key is empty.
    config_keys_default(config_keys_find("AuthorizationKey"), &opts, value, sizeof(value));
    assert_string_equal(value, "");
}

static void
test_authorization_key(void **state)
{
    (void) state;
    const config_key_def_t *def = config_keys_find("AuthorizationKey");
    assert_true(def->write_only);
    assert_false(def->readonly);
    //  40 hex digits: the OCPP-J 1.6 form of a 20-byte key.
    assert_int_equal(s_check("AuthorizationKey", "00112233445566778899aabbccddeeff00112233"),
                     CONFIG_ACCEPTED);
    assert_string_equal(s_canonical, "00112233445566778899aabbccddeeff00112233");
    assert_int_equal(s_check("AuthorizationKey", "0123456789abcdef"), CONFIG_ACCEPTED);
    //  Too short / too long.
    assert_int_equal(s_check("AuthorizationKey", "0123456789abcde"), CONFIG_REJECTED);
    assert_int_equal(s_check("AuthorizationKey", "00112233445566778899aabbccddeeff001122334"),
                     CONFIG_REJECTED);
    //  The reason never echoes the value.
    assert_int_equal(s_check("AuthorizationKey", "short-secret"), CONFIG_REJECTED);
    assert_null(strstr(s_reason, "short-secret"));
    //  Blanks and control characters cannot travel in a Basic header.
    assert_int_equal(s_check("AuthorizationKey", "0123456789 abcdef"), CONFIG_REJECTED);
    assert_int_equal(s_check("AuthorizationKey", "0123456789\nabcdef"), CONFIG_REJECTED);
    assert_int_equal(s_check("AuthorizationKey", ""), CONFIG_REJECTED);
}

static void
test_security_profile_rules(void **state)
{
    (void) state;
    assert_int_equal(s_check("SecurityProfile", "4"), CONFIG_REJECTED);
    assert_int_equal(s_check("SecurityProfile", "-1"), CONFIG_REJECTED);
    assert_int_equal(s_check("SecurityProfile", "1"), CONFIG_ACCEPTED);

    config_security_ctx_t ctx = { .current = 1, .from_csms = true,
                                  .authorization_key_valid = true,
                                  .tls_roots_available = true, .client_certificate = false };
    //  A05.FR.01: not lower, not equal, over OCPP.
    assert_int_equal(config_keys_check_security_profile(0, &ctx, s_reason, sizeof(s_reason)),
                     CONFIG_REJECTED);
    assert_int_equal(config_keys_check_security_profile(1, &ctx, s_reason, sizeof(s_reason)),
                     CONFIG_REJECTED);
    //  A05.FR.05.
    assert_int_equal(config_keys_check_security_profile(2, &ctx, s_reason, sizeof(s_reason)),
                     CONFIG_ACCEPTED);
    //  A05.FR.04: no client certificate.
    assert_int_equal(config_keys_check_security_profile(3, &ctx, s_reason, sizeof(s_reason)),
                     CONFIG_REJECTED);
    //  A05.FR.03.
    ctx.tls_roots_available = false;
    assert_int_equal(config_keys_check_security_profile(2, &ctx, s_reason, sizeof(s_reason)),
                     CONFIG_REJECTED);
    //  A05.FR.02.
    ctx.current = 0;
    ctx.authorization_key_valid = false;
    assert_int_equal(config_keys_check_security_profile(1, &ctx, s_reason, sizeof(s_reason)),
                     CONFIG_REJECTED);
    assert_non_null(strstr(s_reason, "AuthorizationKey"));
    //  The operator on site may lower it.
    ctx.from_csms = false;
    ctx.current = 2;
    assert_int_equal(config_keys_check_security_profile(0, &ctx, s_reason, sizeof(s_reason)),
                     CONFIG_ACCEPTED);
}

static void
test_reboot_required_flag(void **state)
{
    (void) state;
    //  No table key needs a reboot; the mechanism still works for one that will.
    config_key_def_t def = *config_keys_find("HeartbeatInterval");
    def.reboot_required = true;
    assert_int_equal(config_keys_validate(&def, "30", NULL, s_canonical, sizeof(s_canonical),
                                          s_reason, sizeof(s_reason)),
                     CONFIG_REBOOT_REQUIRED);
    assert_string_equal(s_canonical, "30");
    assert_int_equal(config_keys_validate(&def, "x", NULL, s_canonical, sizeof(s_canonical),
                                          s_reason, sizeof(s_reason)),
                     CONFIG_REJECTED);
}

static void
test_small_buffers(void **state)
{
    (void) state;
    char small[8];
    //  A canonical list that does not fit is Rejected, never truncated.
    assert_int_equal(config_keys_validate(config_keys_find("MeterValuesSampledData"),
                                          "Voltage,SoC", NULL, small, sizeof(small),
                                          s_reason, sizeof(s_reason)), CONFIG_REJECTED);
    assert_string_equal(small, "");
    //  A value longer than CiString500.
    char huge[CONFIG_VALUE_MAX + 10];
    memset(huge, 'a', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    assert_int_equal(s_check("MeterValuesSampledData", huge), CONFIG_REJECTED);
    assert_int_equal(s_check("HeartbeatInterval", huge), CONFIG_REJECTED);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_sane),
        cmocka_unit_test(test_required_keys_present),
        cmocka_unit_test(test_lookup_is_case_insensitive),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_unknown_and_readonly),
        cmocka_unit_test(test_int_values),
        cmocka_unit_test(test_bool_values),
        cmocka_unit_test(test_measurand_lists),
        cmocka_unit_test(test_phase_rotation),
        cmocka_unit_test(test_derived_readonly_values),
        cmocka_unit_test(test_authorization_key),
        cmocka_unit_test(test_security_profile_rules),
        cmocka_unit_test(test_certificate_keys),
        cmocka_unit_test(test_reboot_required_flag),
        cmocka_unit_test(test_small_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
