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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "supervisor/log.h"

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
        //  Trust for a wss:// CSMS comes from --ca-file or, without it, the
        //  system CA store, which a wss:// URL already relies on.
        .tls_roots_available = opts->ca_file[0] != '\0'
                            || strncasecmp(url, "wss://", 6) == 0,
        //  No certificate management yet: no Charge Point certificate.
        .client_certificate = false,
    };
    memset(key, 0, sizeof(key));     //  do not leave the password on the stack
    int requested = (int) strtol(change->value, NULL, 10);
    change->status = config_keys_check_security_profile(requested, &ctx, change->reason,
                                                        sizeof(change->reason));
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
    if (config_store_set(store, change->def->name, change->value) != CONFIG_STORE_OK)
        goto store_failed;
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
