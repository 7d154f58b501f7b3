/* change_configuration.c — see change_configuration.h.
 *
 * A store failure is answered with status Rejected rather than a
 * CALLERROR: 5.3 defines Rejected as "did not set the configuration", and
 * for AuthorizationKey that is exactly what A01.FR.04 needs the CSMS to
 * hear (keep accepting the old password).
 */
#include "actors/config/change_configuration.h"

#include <assert.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "actors/config/ocpp_settings.h"
#include "actors/security/cp_cert_store.h"
#include "actors/security/csms_trust.h"
#include "gateway/wsclient.h"
#include "supervisor/log.h"

//  A Charge Point certificate for profile 3 (A05.FR.04): one installed by
//  CertificateSigned (actors/security/cp_cert_store.h) or a factory one
//  given with --client-cert.
static bool
s_client_certificate(const cp_options_t *opts)
{
    char cert[PATH_MAX], key[PATH_MAX];
    return cp_cert_store_paths(opts->state_dir, cert, key) || opts->client_cert[0] != '\0';
}

//  SecurityProfile may need more than its own value (whitepaper A05).
static int
s_check_security_profile(config_store_t *store, bool from_csms, config_change_t *change)
{
    const cp_options_t *opts = config_store_options(store);
    char current[CONFIG_VALUE_MAX + 1];
    char key[CONFIG_VALUE_MAX + 1];
    char url[CONFIG_VALUE_MAX + 1];
    if (config_store_get(store, "SecurityProfile", current, sizeof(current)) != CONFIG_STORE_OK
    ||  config_store_get(store, "CentralSystemUrl", url, sizeof(url)) != CONFIG_STORE_OK
    ||  config_store_get(store, "AuthorizationKey", key, sizeof(key)) != CONFIG_STORE_OK)
        return -1;
    config_security_ctx_t ctx = {
        .current = (int) strtol(current, NULL, 10),
        .from_csms = from_csms,
        .authorization_key_valid = config_keys_authorization_key_ok(key),
        //  Trust for a wss:// CSMS comes from an installed
        //  CentralSystemRootCertificate, from --ca-file or, without either,
        //  the system CA store, which a wss:// URL already relies on.
        .tls_roots_available = csms_trust_installed(opts->state_dir) || opts->ca_file[0] != '\0'
                            || strncasecmp(url, "wss://", 6) == 0,
        .client_certificate = s_client_certificate(opts),
    };
    memset(key, 0, sizeof(key));     //  do not leave the password on the stack
    int requested = (int) strtol(change->value, NULL, 10);
    change->status = config_keys_check_security_profile(requested, &ctx, change->reason,
                                                        sizeof(change->reason));
    return 0;
}

//  A new central system URL (a local setting). SecurityProfile 2 and 3
//  authenticate over TLS (whitepaper 7.x): a ws:// URL would send the
//  password in clear, so it is Rejected. And another host is another
//  central system, which must not receive this one's password: *forget_key
//  says the stored AuthorizationKey is to be cleared (the status page's
//  form sends the new password after the URL, so it lands afterwards).
static int
s_check_url(config_store_t *store, config_change_t *change, bool *forget_key)
{
    *forget_key = false;
    int profile = (int) config_store_get_int(store, "SecurityProfile", 0);
    if (profile >= 2 && strncasecmp(change->value, "ws://", 5) == 0) {
        change->status = CONFIG_REJECTED;
        snprintf(change->reason, sizeof(change->reason),
                 "SecurityProfile %d needs a wss:// central system (the password must not travel in clear)",
                 profile);
        return 0;
    }
    ocpp_settings_t current;
    if (ocpp_settings_read(store, &current) != 0)
        return -1;
    char scheme[8], old_host[256], new_host[256], path[512];
    int port;
    bool old_known = current.url[0] && wsclient_parse_url(current.url, scheme, old_host, &port, path) == 0;
    if (old_known && current.password_set && wsclient_parse_url(change->value, scheme, new_host, &port, path) == 0
        && strcasecmp(old_host, new_host) != 0)
        *forget_key = true;
    return 0;
}

int
change_configuration_apply(config_store_t *store, const char *key, const char *value,
                           bool from_csms, config_change_t *change)
{
    assert(store);
    assert(change);
    memset(change, 0, sizeof(*change));
    change->def = config_keys_find(key);
    change->status = config_keys_validate(change->def, value ? value : "",
                                          config_store_options(store),
                                          change->value, sizeof(change->value),
                                          change->reason, sizeof(change->reason));
    if (change->status != CONFIG_ACCEPTED && change->status != CONFIG_REBOOT_REQUIRED)
        return 0;
    if (from_csms && change->def->local_only) {
        change->status = CONFIG_REJECTED;
        change->value[0] = '\0';
        snprintf(change->reason, sizeof(change->reason),
                 "%s is a local setting of the charger (cpctl or the status page)", change->def->name);
        return 0;
    }
    if (strcmp(change->def->name, "SecurityProfile") == 0) {
        if (s_check_security_profile(store, from_csms, change) != 0)
            goto store_failed;
        if (change->status != CONFIG_ACCEPTED)
            return 0;
    }
    //  AuthorizationKeyEncoding hex decodes the key's digits: the two
    //  keys must agree (a non-hex key could never be sent under hex).
    if (strcmp(change->def->name, "AuthorizationKey") == 0 || strcmp(change->def->name, "AuthorizationKeyEncoding") == 0) {
        char encoding[8] = "text", stored[CONFIG_VALUE_MAX + 1] = "";
        bool is_key = strcmp(change->def->name, "AuthorizationKey") == 0;
        if (config_store_get(store, "AuthorizationKeyEncoding", encoding, sizeof(encoding)) != CONFIG_STORE_OK
        ||  (!is_key && config_store_get(store, "AuthorizationKey", stored, sizeof(stored)) != CONFIG_STORE_OK))
            goto store_failed;
        bool hex = strcmp(is_key ? encoding : change->value, "hex") == 0;
        const char *checked = is_key ? change->value : stored;
        bool refused = hex && checked[0] && !config_keys_hex_ok(checked);
        explicit_bzero(stored, sizeof(stored));
        if (refused) {
            change->status = CONFIG_REJECTED;
            snprintf(change->reason, sizeof(change->reason), is_key
                     ? "AuthorizationKeyEncoding is hex: the AuthorizationKey must be hexadecimal digits, in pairs"
                     : "the stored AuthorizationKey is not hexadecimal: set a hex key first");
            if (is_key)
                change->value[0] = '\0';
            return 0;
        }
    }
    bool forget_key = false;
    if (strcmp(change->def->name, "CentralSystemUrl") == 0) {
        if (s_check_url(store, change, &forget_key) != 0)
            goto store_failed;
        if (change->status != CONFIG_ACCEPTED)
            return 0;
    }
    //  The password goes first: a failure after it leaves the old URL
    //  without a password, never the new URL with the old password.
    if (forget_key && config_store_set(store, "AuthorizationKey", "") != CONFIG_STORE_OK)
        goto store_failed;
    if (config_store_set(store, change->def->name, change->value) != CONFIG_STORE_OK)
        goto store_failed;
    if (forget_key) {
        snprintf(change->reason, sizeof(change->reason),
                 "another central system host: the stored password was cleared");
        cp_info("config", "CentralSystemUrl names another host: AuthorizationKey cleared");
    }
    return 0;

store_failed:
    change->status = CONFIG_REJECTED;
    change->value[0] = '\0';
    snprintf(change->reason, sizeof(change->reason), "configuration store unavailable");
    return -1;
}

int
change_configuration_handle(config_store_t *store, const char *request_json,
                            char **response_json, config_change_t *change)
{
    assert(store);
    assert(request_json);
    assert(response_json);
    assert(change);
    *response_json = NULL;
    memset(change, 0, sizeof(*change));
    json_error_t parse_error;
    json_t *request = json_loads(request_json, 0, &parse_error);
    const char *key = json_string_value(json_object_get(request, "key"));
    const char *value = json_string_value(json_object_get(request, "value"));
    if (!key || !value) {
        //  The schema requires both: only a gateway bug gets here.
        json_decref(request);
        return -1;
    }
    change_configuration_apply(store, key, value, true, change);
    json_decref(request);
    json_t *response = json_pack("{s:s}", "status", config_status_name(change->status));
    if (response)
        *response_json = json_dumps(response, JSON_COMPACT);
    json_decref(response);
    return *response_json ? 0 : -1;
}
