/* ocpp_settings.h — the seed's "OCPP settings" screen as configuration:
 * the enable switch, the central system URL and the charge point identity
 * (the password is AuthorizationKey), their validation rules, and the one
 * reader that says which settings are in force.
 *
 * Why it exists: the settings used to be start-up options only (--csms,
 * --id). The status page and `cpctl config set` must change them on a
 * running charger, so they are three local_only vendor keys
 * (OcppEnabled, CentralSystemUrl, ChargePointIdentity) whose defaults are
 * the start-up options: the command line provisions, a value stored
 * locally wins (docs/status-page.md). The ocpp actor and the supervisor's
 * status read them through ocpp_settings_read, so both agree.
 *
 * The validators are pure (config_keys.c calls them for the two string
 * keys); ocpp_settings_read needs a config store.
 */
#ifndef CP_ACTORS_CONFIG_OCPP_SETTINGS_H
#define CP_ACTORS_CONFIG_OCPP_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include "actors/config/config_store.h"

//  CiString500Type, the longest configuration value.
#define OCPP_SETTINGS_URL_MAX 500
//  The identity travels in the URL path and as the HTTP Basic user name;
//  48 matches the start-up option's limit (and OCPP 2.0.1's identity).
#define OCPP_SETTINGS_IDENTITY_MAX 48

typedef struct {
    bool enabled;                                   //  the seed's enable switch
    char url[OCPP_SETTINGS_URL_MAX + 1];            //  "" = none configured
    char identity[OCPP_SETTINGS_IDENTITY_MAX + 1];  //  "" = none configured
    bool password_set;                              //  AuthorizationKey holds a value
} ocpp_settings_t;

//  A ws:// or wss:// central system URL the WebSocket client can use:
//  a host (name, IPv4 or [IPv6]), an optional port 1..65535 and an
//  optional path; no user info (a secret in a URL leaks into logs), no
//  query or fragment (the identity is the last path segment), no blanks
//  or control characters, at most OCPP_SETTINGS_URL_MAX characters.
//  reason gets a short text for the user (it may quote nothing secret).
bool ocpp_settings_url_ok(const char *url, char *reason, size_t reason_size);

//  1..OCPP_SETTINGS_IDENTITY_MAX characters of a-z A-Z 0-9 and
//  * - _ = + | @ . (OCPP 2.0.1's identifierString without ':', which an
//  HTTP Basic user name cannot hold, RFC 7617).
bool ocpp_settings_identity_ok(const char *identity, char *reason, size_t reason_size);

//  The settings in force, from the store (stored values, else the
//  start-up options). Returns CONFIG_STORE_OK or the store's error (out is
//  then "disabled, nothing configured").
int ocpp_settings_read(config_store_t *store, ocpp_settings_t *out);

//  True when enabled and both a URL and an identity are configured.
bool ocpp_settings_complete(const ocpp_settings_t *settings);
#endif
