/* config_keys.c — the table of configuration keys and their validation.
 *
 * Which keys are here, and why:
 *   - every REQUIRED key of the profiles this charger ships (OCPP 1.6
 *     chapter 9 and errata v4: Core, Local Auth List Management,
 *     Reservation, Smart Charging, Firmware Management; Remote Trigger
 *     defines no keys);
 *   - the OPTIONAL keys whose feature the architecture commits to: the
 *     authorization cache and unknown-offline rule (auth), LED halo
 *     (BlinkRepeat, LightIntensity: hmi), MinimumStatusDuration and
 *     MaxEnergyOnInvalidId and StopTransactionMaxMeterValues (transaction),
 *     WebSocketPingInterval (gateway, OCPP-J 7), MessageTimeout (errata
 *     3.82: ocpp), the ...MaxLength keys (5.3: without them a CSMS must
 *     assume one item), SupportedFileTransferProtocols (errata 3.88);
 *   - from the security whitepaper (edition 2, chapter 7): AuthorizationKey,
 *     SecurityProfile, and for certificate management (the security
 *     actor) CertificateStoreMaxLength, AdditionalRootCertificateCheck
 *     (local_only, false by default; true applies M05.FR.08-13) and
 *     CpoName (the O of the Charge Point certificate's CSR) and
 *     CertificateSignedMaxChainSize (CertificateSigned, A02/A03).
 * Deliberately absent: SupportedFeatureProfilesMaxLength (errata 3.80:
 * "does not have to be implemented"). ConnectorSwitch3to1PhaseSupported
 * is present and false: the contactors switch all three phases together,
 * so a profile's numberPhases is used for A <-> W conversion only and the
 * CSMS learns that it cannot make a car switch to one phase.
 *
 * RebootRequired: no key here needs one. Every actor reads its keys from
 * the store when it needs them and listens to "config.changed", so a change
 * is effective immediately. SecurityProfile and AuthorizationKey make the
 * ocpp side reconnect, which whitepaper A05.FR.05/A01 answer with
 * Accepted, not RebootRequired. The flag stays in the table for a future
 * key that truly needs a restart.
 *
 * Vendor keys (profile "Vendor", at the end of s_keys): RfidUidByteOrder,
 * PinIdTagPrefix, FreeChargingEnabled, FreeChargingIdTag (the auth actor;
 * see actors/auth/auth_actor.h). A string key may list its allowed values
 * (CONFIG_CHECK_MEMBERS: an enumeration) and bound its length with min/max.
 * OcppEnabled, CentralSystemUrl, ChargePointIdentity: the seed's OCPP
 * settings screen (actors/config/ocpp_settings.h), local_only, defaulting
 * to the start-up options.
 */
#include "actors/config/config_keys.h"

#include "actors/smartcharging/local_limits.h"

#include <assert.h>
#include "actors/config/ocpp_settings.h"
#include "supervisor/log.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

//  The measurands the metering hardware delivers (hw_connector carries
//  energy, power, current, offered current, voltage, temperature; SoC
//  comes from the EV over ISO 15118 / the simulator). Single-phase
//  readings, so no ".L1" phase suffixes: errata 3.14.4 says a list with an
//  unsupported measurand is Rejected.
static const char *const s_measurands[] = {
    "Energy.Active.Import.Register", "Power.Active.Import", "Current.Import",
    "Current.Offered", "Voltage", "Temperature", "SoC", NULL
};
#define MEASURAND_COUNT "7"

static const char *const s_byte_orders[] = { "little-endian", "big-endian", NULL };
static const char *const s_earthing_systems[] = { "TN", "TT", NULL };
static const char *const s_key_encodings[] = { "text", "hex", NULL };

static const char *const s_phase_rotations[] = {
    "NotApplicable", "Unknown", "RST", "RTS", "SRT", "STR", "TRS", "TSR", NULL
};

#define DAY_S 86400
//  Bounds the phase-rotation index bookkeeping; options allow 1..8.
#define MAX_CONNECTORS 64

//  Row helpers keep the table readable: one line per key.
#define RW_BOOL(n, d, p) \
    { .name = n, .type = CONFIG_TYPE_BOOL, .default_value = d, .profile = p }
#define R_BOOL(n, d, p) \
    { .name = n, .type = CONFIG_TYPE_BOOL, .readonly = true, .default_value = d, .profile = p }
#define RW_INT(n, d, lo, hi, p) \
    { .name = n, .type = CONFIG_TYPE_INT, .default_value = d, .min = lo, .max = hi, .profile = p }
#define R_INT(n, d, p) \
    { .name = n, .type = CONFIG_TYPE_INT, .readonly = true, .default_value = d, \
      .min = 0, .max = INT64_MAX, .profile = p }
#define RW_MEASURANDS(n, d, maxkey) \
    { .name = n, .type = CONFIG_TYPE_CSL, .default_value = d, .check = CONFIG_CHECK_MEMBERS, \
      .allowed = s_measurands, .max_items_key = maxkey, .profile = "Core" }
//  Local settings (local_only): the CSMS reads them, the owner sets them.
#define LOCAL_INT(n, d, lo, hi) \
    { .name = n, .type = CONFIG_TYPE_INT, .local_only = true, .default_value = d, \
      .min = lo, .max = hi, .profile = "Vendor" }
#define LOCAL_BOOL(n, d) \
    { .name = n, .type = CONFIG_TYPE_BOOL, .local_only = true, .default_value = d, \
      .profile = "Vendor" }
#define R_CSL(n, d, p) \
    { .name = n, .type = CONFIG_TYPE_CSL, .readonly = true, .default_value = d, .profile = p }

static const config_key_def_t s_keys[] = {
    //  ---- Core (9.1, errata 3.79-3.83, 3.89) ----
    RW_BOOL("AllowOfflineTxForUnknownId", "false", "Core"),
    RW_BOOL("AuthorizationCacheEnabled", "true", "Core"),
    //  R or RW is ours to choose: RW, so a CSMS that trusts its own remote
    //  starts can skip the extra Authorize.
    RW_BOOL("AuthorizeRemoteTxRequests", "true", "Core"),
    RW_INT("BlinkRepeat", "3", 0, 100, "Core"),
    //  0 = no clock-aligned data; at most one interval per day.
    RW_INT("ClockAlignedDataInterval", "0", 0, DAY_S, "Core"),
    RW_INT("ConnectionTimeOut", "60", 0, DAY_S, "Core"),
    { .name = "ConnectorPhaseRotation", .type = CONFIG_TYPE_CSL, .default_value = "Unknown",
      .check = CONFIG_CHECK_PHASE_ROTATION, .allowed = s_phase_rotations,
      .max_items_key = "ConnectorPhaseRotationMaxLength", .profile = "Core" },
    { .name = "ConnectorPhaseRotationMaxLength", .type = CONFIG_TYPE_INT, .readonly = true,
      .default_kind = CONFIG_DEFAULT_CONNECTORS_PLUS_1, .min = 0, .max = INT64_MAX,
      .profile = "Core" },
    //  ≥ the number of keys, so any set of known keys fits in one request.
    R_INT("GetConfigurationMaxKeys", "100", "Core"),
    //  0 = no heartbeat of our own (the BootNotification interval rules).
    RW_INT("HeartbeatInterval", "300", 0, DAY_S, "Core"),
    RW_INT("LightIntensity", "100", 0, 100, "Core"),
    RW_BOOL("LocalAuthorizeOffline", "true", "Core"),
    RW_BOOL("LocalPreAuthorize", "false", "Core"),
    RW_INT("MaxEnergyOnInvalidId", "0", 0, INT64_MAX, "Core"),
    //  errata 3.82: seconds to wait for a CALLRESULT; 0 would time out at once.
    RW_INT("MessageTimeout", "30", 1, 3600, "Core"),
    RW_MEASURANDS("MeterValuesAlignedData", "Energy.Active.Import.Register",
                  "MeterValuesAlignedDataMaxLength"),
    R_INT("MeterValuesAlignedDataMaxLength", MEASURAND_COUNT, "Core"),
    //  9.1.17 gives this default.
    RW_MEASURANDS("MeterValuesSampledData", "Energy.Active.Import.Register",
                  "MeterValuesSampledDataMaxLength"),
    R_INT("MeterValuesSampledDataMaxLength", MEASURAND_COUNT, "Core"),
    //  0 = no sampled data.
    RW_INT("MeterValueSampleInterval", "60", 0, DAY_S, "Core"),
    //  0 = report every change at once.
    RW_INT("MinimumStatusDuration", "0", 0, DAY_S, "Core"),
    { .name = "NumberOfConnectors", .type = CONFIG_TYPE_INT, .readonly = true,
      .default_kind = CONFIG_DEFAULT_CONNECTORS, .min = 0, .max = INT64_MAX, .profile = "Core" },
    RW_INT("ResetRetries", "1", 0, 100, "Core"),
    //  errata 3.79 lets this be R or RW: RW, the socket has a lock and
    //  nothing here forbids it (a German Eichrecht build would make it R).
    RW_BOOL("StopTransactionOnEVSideDisconnect", "true", "Core"),
    RW_BOOL("StopTransactionOnInvalidId", "true", "Core"),
    //  errata 3.89: the start and stop values are never dropped.
    R_INT("StopTransactionMaxMeterValues", "500", "Core"),
    //  "" = no meter values in StopTransaction (errata 3.14.5).
    RW_MEASURANDS("StopTxnAlignedData", "", "StopTxnAlignedDataMaxLength"),
    R_INT("StopTxnAlignedDataMaxLength", MEASURAND_COUNT, "Core"),
    RW_MEASURANDS("StopTxnSampledData", "", "StopTxnSampledDataMaxLength"),
    R_INT("StopTxnSampledDataMaxLength", MEASURAND_COUNT, "Core"),
    R_CSL("SupportedFeatureProfiles",
          //  only what is implemented
          "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger",
          "Core"),
    //  A message is tried at least once; more than 100 attempts is a loop.
    RW_INT("TransactionMessageAttempts", "3", 1, 100, "Core"),
    RW_INT("TransactionMessageRetryInterval", "60", 0, DAY_S, "Core"),
    //  errata 3.83: RW because the cable is not fixed (socket with lock).
    RW_BOOL("UnlockConnectorOnEVSideDisconnect", "true", "Core"),
    //  OCPP-J 7: 0 disables our pings; negative values are Rejected.
    RW_INT("WebSocketPingInterval", "60", 0, DAY_S, "Core"),

    //  ---- Local Auth List Management (9.2) ----
    RW_BOOL("LocalAuthListEnabled", "true", "LocalAuthListManagement"),
    R_INT("LocalAuthListMaxLength", "10000", "LocalAuthListManagement"),
    R_INT("SendLocalListMaxLength", "500", "LocalAuthListManagement"),

    //  ---- Reservation (9.3) ----
    //  Reserving "any connector" (connector 0) is not offered: ReserveNow
    //  for connector 0 answers Rejected, as the spec requires then.
    R_BOOL("ReserveConnectorZeroSupported", "false", "Reservation"),

    //  ---- Smart Charging (9.4) ----
    R_INT("ChargeProfileMaxStackLevel", "8", "SmartCharging"),
    R_BOOL("ConnectorSwitch3to1PhaseSupported", "false", "SmartCharging"),
    //  The pilot offers amperes; a schedule in W is converted with the
    //  installer's NominalVoltage (3.13, local_limits.h), so both units.
    R_CSL("ChargingScheduleAllowedChargingRateUnit", "Current,Power", "SmartCharging"),
    R_INT("ChargingScheduleMaxPeriods", "48", "SmartCharging"),
    R_INT("MaxChargingProfilesInstalled", "32", "SmartCharging"),

    //  ---- Firmware Management (errata 3.88) ----
    R_CSL("SupportedFileTransferProtocols", "FTP,FTPS,HTTP,HTTPS", "FirmwareManagement"),

    //  ---- Security whitepaper edition 2, chapter 7 ----
    //  7.2: accessibility "W", "write-only, so that it cannot be accidentally
    //  stored in plaintext by the Central System when it reads out all
    //  configuration keys". We LIST it in GetConfiguration without a value
    //  (7.29 KeyValue: "If key is known but not set, this field may be
    //  absent"; OCPP-J 1.6 section 6 allows not reporting it "or" a value
    //  unrelated to the key): the CSMS learns the key is supported and
    //  writable, never its content.
    { .name = "AuthorizationKey", .type = CONFIG_TYPE_STRING, .write_only = true,
      .default_value = "", .check = CONFIG_CHECK_AUTHORIZATION_KEY, .profile = "Security" },
    //  7.6: 0..3, raised only (A05); the transition rules live in
    //  config_keys_check_security_profile because they need other keys.
    { .name = "SecurityProfile", .type = CONFIG_TYPE_INT,
      .default_kind = CONFIG_DEFAULT_SECURITY_PROFILE, .min = 0, .max = 3, .profile = "Security" },
    //  7.4: how many Root/CA certificates InstallCertificate keeps
    //  (security_ops.h SECURITY_CERT_STORE_MAX).
    R_INT("CertificateStoreMaxLength", "16", "Security"),
    //  7.1: R to the central system; the charger maker's local setting
    //  (cpctl config set, the status page), like the other local_only keys.
    //  false: several Central System roots side by side, none replaces
    //  another; true: M05.FR.08-13 (actors/security/root_rotation.h).
    { .name = "AdditionalRootCertificateCheck", .type = CONFIG_TYPE_BOOL, .local_only = true,
      .default_value = "false", .profile = "Security" },
    //  7.3: the most characters of CertificateSigned.req's certificateChain
    //  this charger takes (the schema's own limit, 10000); a longer chain
    //  is Rejected (actors/security/cp_cert.h).
    R_INT("CertificateSignedMaxChainSize", "10000", "Security"),
    //  7.5: the CPO's name for the organizationName of the Charge Point
    //  certificate's CSR (A02.FR.13); a string of up to 64 characters
    //  (X.520 ub-organization-name).
    { .name = "CpoName", .type = CONFIG_TYPE_STRING, .default_value = "", .min = 0, .max = 64,
      .profile = "Security" },
    //  How the central system reads the AuthorizationKey in the Basic
    //  header: "text" (the characters, the common reading and the default)
    //  or "hex" (OCPP-J 6.2.2's 20-byte key set as hex: the password is the
    //  bytes the digits spell; only hex keys are accepted then).
    { .name = "AuthorizationKeyEncoding", .type = CONFIG_TYPE_STRING, .default_value = "text",
      .check = CONFIG_CHECK_MEMBERS, .allowed = s_key_encodings, .profile = "Vendor" },

    //  ---- Vendor keys (auth actor: actors/auth/auth_actor.h) ----
    //  The seed: a Mifare UID goes into the central system's list
    //  "little-endian, without separators". The reader reports UID0 first;
    //  little-endian prints it reversed (UID0 last). big-endian keeps the
    //  reader's order, for back-ends that enrolled cards that way.
    { .name = "RfidUidByteOrder", .type = CONFIG_TYPE_STRING, .default_value = "little-endian",
      .check = CONFIG_CHECK_MEMBERS, .allowed = s_byte_orders, .profile = "Vendor" },
    //  A PIN from the keypad authorizes as the idTag prefix + digits
    //  (4..8 digits; 12 + 8 fits CiString20Type).
    { .name = "PinIdTagPrefix", .type = CONFIG_TYPE_STRING, .default_value = "",
      .min = 0, .max = 12, .profile = "Vendor" },
    //  The seed's AuthEnabled: no identification needed; a plug starts a
    //  transaction with FreeChargingIdTag (an IdToken: 1..20 characters).
    RW_BOOL("FreeChargingEnabled", "false", "Vendor"),
    { .name = "FreeChargingIdTag", .type = CONFIG_TYPE_STRING, .default_value = "FREECHARGING",
      .min = 1, .max = 20, .profile = "Vendor" },

    //  ---- Local limits (smartcharging actor: local_limits.h), local_only ----
    //  The seed keeps the current limit, power sharing, Power Boost and
    //  charging schedules in the owner's hands under OCPP: the CSMS sees
    //  them (readonly) and its profiles apply on top, never above them.
    //  What the charger's supply carries, all connectors together.
    LOCAL_INT("InstallationMaxCurrent", "32", 6, 80),
    //  The owner's limit per connector; 0 = none (1..5 pause charging).
    LOCAL_INT("LocalCurrentLimit", "0", 0, 80),
    LOCAL_BOOL("PowerBoostEnabled", "false"),
    //  The household main fuse, amperes per phase.
    LOCAL_INT("PowerBoostMainFuse", "40", 6, 630),
    //  "[Mo-Fr ]HH:MM-HH:MM=AMPS;…" in local time (LocalTimeOffset).
    { .name = "LocalChargingSchedule", .type = CONFIG_TYPE_STRING, .local_only = true,
      .default_value = "", .check = CONFIG_CHECK_LOCAL_SCHEDULE, .profile = "Vendor" },
    //  Local time = UTC + this many minutes (UTC-12 … UTC+14).
    LOCAL_INT("LocalTimeOffset", "0", -720, 840),
    //  Phase-to-neutral voltage of the supply, for A <-> W in charging
    //  schedules (3.13): 230 V in Europe, 240 V in the UK, 120 V in North America.
    LOCAL_INT("NominalVoltage", "230", 100, 480),
    //  The seed's "TN/TT earthing system" (safety actor, safety_core.h
    //  rule 2): on TT the earth (PE-N) monitor is not applicable.
    { .name = "EarthingSystem", .type = CONFIG_TYPE_STRING, .local_only = true, .default_value = "TN",
      .check = CONFIG_CHECK_MEMBERS, .allowed = s_earthing_systems, .profile = "Vendor" },

    //  Whitepaper A05: how long a higher SecurityProfile may take to be
    //  accepted on its new connection before the charger falls back to the
    //  previous one (actors/ocpp/profile_migration.h), in seconds.
    LOCAL_INT("SecurityProfileMigrationTimeout", "60", 10, 3600),

    //  ---- Vendor keys: the seed's OCPP settings (actors/config/ocpp_settings.h) ----
    //  The owner's choice of central system: the CSMS may read them, only
    //  cpctl and the status page change them. Defaults: --csms and --id.
    { .name = "OcppEnabled", .type = CONFIG_TYPE_BOOL, .local_only = true,
      .default_kind = CONFIG_DEFAULT_OCPP_ENABLED, .profile = "Vendor" },
    { .name = "CentralSystemUrl", .type = CONFIG_TYPE_STRING, .local_only = true,
      .default_kind = CONFIG_DEFAULT_CSMS_URL, .check = CONFIG_CHECK_CSMS_URL, .profile = "Vendor" },
    { .name = "ChargePointIdentity", .type = CONFIG_TYPE_STRING, .local_only = true,
      .default_kind = CONFIG_DEFAULT_IDENTITY, .check = CONFIG_CHECK_IDENTITY, .profile = "Vendor" },
};

#define KEY_COUNT (sizeof(s_keys) / sizeof(s_keys[0]))

size_t
config_keys_count(void)
{
    return KEY_COUNT;
}

const config_key_def_t *
config_keys_at(size_t index)
{
    return index < KEY_COUNT ? &s_keys[index] : NULL;
}

//  Other names of a key, for central systems configured from a vendor's
//  documentation: the seed's operator guide calls free charging
//  "AuthEnabled" (true: no identification needed). The key is one: the
//  same stored value, the same config.changed event (under the table's
//  name), whichever name the central system uses.
static const struct {
    const char *alias;
    const char *name;
} s_aliases[] = {
    { "AuthEnabled", "FreeChargingEnabled" },
};

const config_key_def_t *
config_keys_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < KEY_COUNT; i++)
        if (strcasecmp(s_keys[i].name, name) == 0)
            return &s_keys[i];
    const char *alias = config_keys_alias(name);
    return alias ? config_keys_find(config_keys_alias_target(alias)) : NULL;
}

const char *
config_keys_alias(const char *name)
{
    for (size_t i = 0; name && i < sizeof(s_aliases) / sizeof(s_aliases[0]); i++)
        if (strcasecmp(s_aliases[i].alias, name) == 0)
            return s_aliases[i].alias;
    return NULL;
}

const char *
config_keys_alias_target(const char *alias)
{
    for (size_t i = 0; alias && i < sizeof(s_aliases) / sizeof(s_aliases[0]); i++)
        if (strcmp(s_aliases[i].alias, alias) == 0)
            return s_aliases[i].name;
    return NULL;
}

size_t
config_keys_alias_count(void)
{
    return sizeof(s_aliases) / sizeof(s_aliases[0]);
}

const char *
config_keys_alias_at(size_t index)
{
    return index < config_keys_alias_count() ? s_aliases[index].alias : NULL;
}

const char *
config_status_name(config_status_t status)
{
    switch (status) {
        case CONFIG_ACCEPTED:        return "Accepted";
        case CONFIG_REJECTED:        return "Rejected";
        case CONFIG_REBOOT_REQUIRED: return "RebootRequired";
        case CONFIG_NOT_SUPPORTED:   return "NotSupported";
    }
    return "Rejected";
}

//  The profile the start-up options already put in force: a password
//  over ws:// is profile 1, over wss:// profile 2 (whitepaper 2.3/2.4);
//  anything else has no profile yet, which 7.6 says reads "0".
static int
s_options_security_profile(const cp_options_t *opts)
{
    if (!opts || !opts->password_given || opts->password[0] == '\0')
        return 0;
    if (strncasecmp(opts->csms_url, "wss://", 6) == 0)
        return 2;
    if (strncasecmp(opts->csms_url, "ws://", 5) == 0)
        return 1;
    return 0;
}

//  snprintf(buf, size, "%s", text) without parsing a format: a full
//  GetConfiguration takes ~30 defaults, and the format parser cost more
//  than the copies.
static void
s_copy(char *buf, size_t size, const char *text)
{
    size_t len = strlen(text);
    if (len > size - 1)
        len = size - 1;
    memcpy(buf, text, len);
    buf[len] = '\0';
}

void
config_keys_default(const config_key_def_t *def, const cp_options_t *opts,
                    char *buf, size_t size)
{
    assert(def);
    assert(buf && size > 0);
    int connectors = opts && opts->connectors > 0 ? opts->connectors : 1;
    switch (def->default_kind) {
        case CONFIG_DEFAULT_CONNECTORS:
            snprintf(buf, size, "%d", connectors);
            break;
        case CONFIG_DEFAULT_CONNECTORS_PLUS_1:
            snprintf(buf, size, "%d", connectors + 1);
            break;
        case CONFIG_DEFAULT_SECURITY_PROFILE:
            snprintf(buf, size, "%d", s_options_security_profile(opts));
            break;
        case CONFIG_DEFAULT_OCPP_ENABLED:
            s_copy(buf, size, opts && opts->csms_url[0] ? "true" : "false");
            break;
        case CONFIG_DEFAULT_CSMS_URL:
            //  GetConfiguration shows this key: a password in the user info
            //  of a start-up URL (which the client refuses anyway) is masked.
            if (opts)
                cp_log_redact_url(opts->csms_url, buf, size);
            else
                buf[0] = '\0';
            break;
        case CONFIG_DEFAULT_IDENTITY:
            s_copy(buf, size, opts ? opts->id : "");
            break;
        case CONFIG_DEFAULT_CONST:
        default:
            s_copy(buf, size, def->default_value ? def->default_value : "");
            break;
    }
}

//  ---- validation helpers: each returns 0 or -1 with a reason ----

//  Strict decimal integer: optional '-', digits, nothing else, no overflow.
static int
s_parse_int(const char *text, int64_t *out)
{
    const char *p = text;
    bool negative = false;
    if (*p == '-') {
        negative = true;
        p++;
    }
    if (!isdigit((unsigned char) *p))
        return -1;
    uint64_t magnitude = 0;
    for (; *p; p++) {
        if (!isdigit((unsigned char) *p))
            return -1;
        unsigned digit = (unsigned) (*p - '0');
        if (magnitude > (UINT64_C(9223372036854775808) - digit) / 10)
            return -1;
        magnitude = magnitude * 10 + digit;
    }
    if (!negative && magnitude > INT64_MAX)
        return -1;
    *out = negative ? (magnitude == UINT64_C(9223372036854775808) ? INT64_MIN
                                                                   : -(int64_t) magnitude)
                    : (int64_t) magnitude;
    return 0;
}

static config_status_t
s_validate_int(const config_key_def_t *def, const char *value,
               char *canonical, size_t canonical_size, char *reason, size_t reason_size)
{
    int64_t n;
    if (s_parse_int(value, &n) != 0) {
        snprintf(reason, reason_size, "%s must be a decimal integer", def->name);
        return CONFIG_REJECTED;
    }
    if (n < def->min || n > def->max) {
        if (def->max == INT64_MAX)
            snprintf(reason, reason_size, "%s must be at least %lld", def->name,
                     (long long) def->min);
        else
            snprintf(reason, reason_size, "%s must be in %lld..%lld", def->name,
                     (long long) def->min, (long long) def->max);
        return CONFIG_REJECTED;
    }
    snprintf(canonical, canonical_size, "%lld", (long long) n);
    return CONFIG_ACCEPTED;
}

static config_status_t
s_validate_bool(const config_key_def_t *def, const char *value,
                char *canonical, size_t canonical_size, char *reason, size_t reason_size)
{
    if (strcasecmp(value, "true") == 0)
        snprintf(canonical, canonical_size, "true");
    else
    if (strcasecmp(value, "false") == 0)
        snprintf(canonical, canonical_size, "false");
    else {
        snprintf(reason, reason_size, "%s must be true or false", def->name);
        return CONFIG_REJECTED;
    }
    return CONFIG_ACCEPTED;
}

static const char *
s_member(const char *const *allowed, const char *item)
{
    for (size_t i = 0; allowed && allowed[i]; i++)
        if (strcasecmp(allowed[i], item) == 0)
            return allowed[i];
    return NULL;
}

//  One CSL item in canonical spelling into out; -1 with reason if bad.
//  seen_connectors tracks phase-rotation indexes already used.
static int
s_csl_item(const config_key_def_t *def, const char *item, int connectors,
           bool *seen_connectors, char *out, size_t out_size,
           char *reason, size_t reason_size)
{
    if (def->check == CONFIG_CHECK_MEMBERS) {
        const char *member = s_member(def->allowed, item);
        if (!member) {
            snprintf(reason, reason_size, "%s: '%.60s' is not supported by this charger",
                     def->name, item);
            return -1;
        }
        snprintf(out, out_size, "%s", member);
        return 0;
    }
    if (def->check == CONFIG_CHECK_PHASE_ROTATION) {
        //  "0.RST" (0 = grid connection, 1..N connectors) or bare "RST".
        const char *rotation = item;
        const char *dot = strchr(item, '.');
        char index_text[8] = "";
        if (dot) {
            int64_t index;
            size_t len = (size_t) (dot - item);
            if (len == 0 || len >= sizeof(index_text)) {
                snprintf(reason, reason_size, "%s: bad connector index", def->name);
                return -1;
            }
            memcpy(index_text, item, len);
            index_text[len] = '\0';
            if (s_parse_int(index_text, &index) != 0 || index < 0 || index > connectors) {
                snprintf(reason, reason_size, "%s: connector must be in 0..%d",
                         def->name, connectors);
                return -1;
            }
            if (seen_connectors[index]) {
                snprintf(reason, reason_size, "%s: connector %lld listed twice",
                         def->name, (long long) index);
                return -1;
            }
            seen_connectors[index] = true;
            snprintf(index_text, sizeof(index_text), "%lld.", (long long) index);
            rotation = dot + 1;
        }
        const char *member = s_member(def->allowed, rotation);
        if (!member) {
            snprintf(reason, reason_size, "%s: '%.20s' is not a phase rotation",
                     def->name, rotation);
            return -1;
        }
        snprintf(out, out_size, "%s%s", index_text, member);
        return 0;
    }
    snprintf(out, out_size, "%s", item);
    return 0;
}

//  True if the canonical list (items joined by ",") holds item.
static bool
s_csl_contains(const char *list, const char *item)
{
    size_t len = strlen(item);
    for (const char *p = list; *p; ) {
        const char *comma = strchr(p, ',');
        size_t item_len = comma ? (size_t) (comma - p) : strlen(p);
        if (item_len == len && strncmp(p, item, len) == 0)
            return true;
        if (!comma)
            break;
        p = comma + 1;
    }
    return false;
}

static config_status_t
s_validate_csl(const config_key_def_t *def, const char *value, const cp_options_t *opts,
               char *canonical, size_t canonical_size, char *reason, size_t reason_size)
{
    //  5.3's "safe value of 1 (one) item" is what a CSMS assumes without a
    //  ...MaxLength key; every writable list here has one, so a list
    //  without (read-only, derived) is bounded only by its length.
    int64_t max_items = INT64_MAX;
    if (def->max_items_key) {
        const config_key_def_t *max_def = config_keys_find(def->max_items_key);
        assert(max_def);       //  a table error, caught by the unit tests
        char text[32];
        config_keys_default(max_def, opts, text, sizeof(text));
        if (s_parse_int(text, &max_items) != 0)
            max_items = 1;
    }
    int connectors = opts && opts->connectors > 0 ? opts->connectors : 1;
    bool seen_connectors[MAX_CONNECTORS + 1] = { false };
    if (connectors > MAX_CONNECTORS)
        connectors = MAX_CONNECTORS;

    char work[CONFIG_VALUE_MAX + 1];
    if (strlen(value) > CONFIG_VALUE_MAX) {
        snprintf(reason, reason_size, "%s: value longer than %d characters",
                 def->name, CONFIG_VALUE_MAX);
        return CONFIG_REJECTED;
    }
    snprintf(work, sizeof(work), "%s", value);

    //  An empty (or all-blank) value is the empty list.
    const char *scan = work;
    while (*scan == ' ' || *scan == '\t')
        scan++;
    canonical[0] = '\0';
    if (*scan == '\0') {
        if (def->check == CONFIG_CHECK_PHASE_ROTATION) {
            snprintf(reason, reason_size, "%s needs at least one item", def->name);
            return CONFIG_REJECTED;
        }
        return CONFIG_ACCEPTED;
    }

    size_t used = 0;
    int64_t items = 0;
    char *cursor = work;
    while (cursor) {
        char *comma = strchr(cursor, ',');
        if (comma)
            *comma = '\0';
        //  Trim blanks: the spec's own example is "0.RST, 1.RST, 2.RTS".
        while (*cursor == ' ' || *cursor == '\t')
            cursor++;
        char *end = cursor + strlen(cursor);
        while (end > cursor && (end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        if (*cursor == '\0') {
            snprintf(reason, reason_size, "%s: empty item in list", def->name);
            return CONFIG_REJECTED;
        }
        if (++items > max_items) {
            snprintf(reason, reason_size, "%s: at most %lld items (%s)", def->name,
                     (long long) max_items, def->max_items_key);
            return CONFIG_REJECTED;
        }
        char item[CONFIG_VALUE_MAX + 1];
        if (s_csl_item(def, cursor, connectors, seen_connectors, item, sizeof(item),
                       reason, reason_size) != 0)
            return CONFIG_REJECTED;
        //  A measurand listed twice would be reported twice: refuse it.
        if (def->check == CONFIG_CHECK_MEMBERS && s_csl_contains(canonical, item)) {
            snprintf(reason, reason_size, "%s: '%.60s' listed twice", def->name, item);
            return CONFIG_REJECTED;
        }
        int n = snprintf(canonical + used, canonical_size - used, "%s%s",
                         used ? "," : "", item);
        if (n < 0 || (size_t) n >= canonical_size - used) {
            snprintf(reason, reason_size, "%s: value too long", def->name);
            return CONFIG_REJECTED;
        }
        used += (size_t) n;
        cursor = comma ? comma + 1 : NULL;
    }
    return CONFIG_ACCEPTED;
}

bool
config_keys_hex_ok(const char *value)
{
    size_t len = value ? strlen(value) : 0;
    if (len == 0 || len % 2 != 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isxdigit((unsigned char) value[i]))
            return false;
    return true;
}

bool
config_keys_authorization_key_ok(const char *value)
{
    //  Whitepaper 7.2 / A00.FR.205: "minimal length: 16 bytes", at most
    //  "a string of up to 40 hexadecimal digits". The hex form is how a
    //  random binary key becomes printable and is "strongly advised", not
    //  required, so any printable ASCII without blanks is accepted (it
    //  travels in an HTTP Basic header, where controls and spaces break
    //  parsers); the length limits are the normative part.
    if (!value)
        return false;
    size_t len = strlen(value);
    if (len < 16 || len > 40)
        return false;
    for (size_t i = 0; i < len; i++)
        if (value[i] < 0x21 || value[i] > 0x7e)
            return false;
    return true;
}

static config_status_t
s_validate_string(const config_key_def_t *def, const char *value,
                  char *canonical, size_t canonical_size, char *reason, size_t reason_size)
{
    if (def->check == CONFIG_CHECK_AUTHORIZATION_KEY && !config_keys_authorization_key_ok(value)) {
        //  Never echo the value: it is a password.
        snprintf(reason, reason_size,
                 "%s must be 16..40 printable characters (security whitepaper 7.2)", def->name);
        return CONFIG_REJECTED;
    }
    if (strlen(value) > CONFIG_VALUE_MAX || strlen(value) >= canonical_size) {
        snprintf(reason, reason_size, "%s: value too long", def->name);
        return CONFIG_REJECTED;
    }
    if (def->check == CONFIG_CHECK_LOCAL_SCHEDULE) {
        sc_local_schedule_t schedule;
        char why[160];
        if (sc_local_schedule_parse(value, &schedule, why, sizeof(why)) != 0) {
            snprintf(reason, reason_size, "%s: %s", def->name, why);
            return CONFIG_REJECTED;
        }
    }

    if (def->check == CONFIG_CHECK_CSMS_URL && !ocpp_settings_url_ok(value, reason, reason_size))
        return CONFIG_REJECTED;
    if (def->check == CONFIG_CHECK_IDENTITY && !ocpp_settings_identity_ok(value, reason, reason_size))
        return CONFIG_REJECTED;
    //  A string key with a set of allowed values is an enumeration.
    if (def->check == CONFIG_CHECK_MEMBERS) {
        const char *member = s_member(def->allowed, value);
        if (!member) {
            snprintf(reason, reason_size, "%s: '%.60s' is not supported by this charger",
                     def->name, value);
            return CONFIG_REJECTED;
        }
        value = member;
    }
    //  For a string key, min/max (when max > 0) bound its length.
    if (def->max > 0 && ((int64_t) strlen(value) < def->min || (int64_t) strlen(value) > def->max)) {
        snprintf(reason, reason_size, "%s must be %lld..%lld characters", def->name,
                 (long long) def->min, (long long) def->max);
        return CONFIG_REJECTED;
    }
    snprintf(canonical, canonical_size, "%s", value);
    return CONFIG_ACCEPTED;
}

config_status_t
config_keys_validate(const config_key_def_t *def, const char *value,
                     const cp_options_t *opts,
                     char *canonical, size_t canonical_size,
                     char *reason, size_t reason_size)
{
    assert(canonical && canonical_size > 0);
    assert(reason && reason_size > 0);
    canonical[0] = '\0';
    reason[0] = '\0';
    if (!def) {
        snprintf(reason, reason_size, "unknown configuration key");
        return CONFIG_NOT_SUPPORTED;
    }
    if (def->readonly) {
        snprintf(reason, reason_size, "%s is read-only", def->name);
        return CONFIG_REJECTED;
    }
    if (!value) {
        snprintf(reason, reason_size, "%s: no value", def->name);
        return CONFIG_REJECTED;
    }
    config_status_t status = CONFIG_REJECTED;
    switch (def->type) {
        case CONFIG_TYPE_INT:
            status = s_validate_int(def, value, canonical, canonical_size, reason, reason_size);
            break;
        case CONFIG_TYPE_BOOL:
            status = s_validate_bool(def, value, canonical, canonical_size, reason, reason_size);
            break;
        case CONFIG_TYPE_CSL:
            status = s_validate_csl(def, value, opts, canonical, canonical_size,
                                    reason, reason_size);
            break;
        case CONFIG_TYPE_STRING:
            status = s_validate_string(def, value, canonical, canonical_size,
                                       reason, reason_size);
            break;
    }
    if (status != CONFIG_ACCEPTED) {
        canonical[0] = '\0';
        return status;
    }
    if (def->reboot_required) {
        snprintf(reason, reason_size, "%s takes effect after a reboot", def->name);
        return CONFIG_REBOOT_REQUIRED;
    }
    return CONFIG_ACCEPTED;
}

config_status_t
config_keys_check_security_profile(int requested, const config_security_ctx_t *ctx,
                                   char *reason, size_t reason_size)
{
    assert(ctx);
    assert(reason && reason_size > 0);
    reason[0] = '\0';
    //  A05.FR.01 and remark 8: never lower (or re-set) it over OCPP. The
    //  operator on site may, e.g. to recover from a profile the CSMS
    //  cannot serve.
    if (ctx->from_csms && requested <= ctx->current) {
        snprintf(reason, reason_size,
                 "SecurityProfile can only be raised over OCPP (now %d)", ctx->current);
        return CONFIG_REJECTED;
    }
    if ((requested == 1 || requested == 2) && !ctx->authorization_key_valid) {
        snprintf(reason, reason_size,
                 "SecurityProfile %d needs a valid AuthorizationKey (A05.FR.02)", requested);
        return CONFIG_REJECTED;
    }
    if ((requested == 2 || requested == 3) && !ctx->tls_roots_available) {
        snprintf(reason, reason_size,
                 "SecurityProfile %d needs a Central System root certificate (A05.FR.03)",
                 requested);
        return CONFIG_REJECTED;
    }
    if (requested == 3 && !ctx->client_certificate) {
        snprintf(reason, reason_size,
                 "SecurityProfile 3 needs a Charge Point certificate (A05.FR.04)");
        return CONFIG_REJECTED;
    }
    return CONFIG_ACCEPTED;
}
