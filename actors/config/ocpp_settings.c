/* ocpp_settings.c — see ocpp_settings.h. The URL rules are the WebSocket
 * client's own parser (wsclient_parse_url), so a URL accepted here is one
 * the client will dial; only the length limit and the messages are added.
 */
#include "actors/config/ocpp_settings.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include "gateway/wsclient.h"

bool
ocpp_settings_url_ok(const char *url, char *reason, size_t reason_size)
{
    assert(reason && reason_size > 0);
    reason[0] = '\0';
    if (!url || !*url) {
        snprintf(reason, reason_size, "the central system URL is required");
        return false;
    }
    if (strlen(url) > OCPP_SETTINGS_URL_MAX) {
        snprintf(reason, reason_size, "the central system URL is longer than %d characters",
                 OCPP_SETTINGS_URL_MAX);
        return false;
    }
    char scheme[8], host[256], path[512];
    int port = 0;
    if (wsclient_parse_url(url, scheme, host, &port, path) != 0) {
        snprintf(reason, reason_size,
                 "malformed central system URL: expected ws://HOST[:PORT][/PATH] or wss://..."
                 " (port 1..65535, no user name, query, fragment or blanks)");
        return false;
    }
    return true;
}

static bool
s_identity_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || (c != '\0' && strchr("*-_=+|@.", c) != NULL);
}

bool
ocpp_settings_identity_ok(const char *identity, char *reason, size_t reason_size)
{
    assert(reason && reason_size > 0);
    reason[0] = '\0';
    if (!identity || !*identity) {
        snprintf(reason, reason_size, "the charge point identity is required");
        return false;
    }
    if (strlen(identity) > OCPP_SETTINGS_IDENTITY_MAX) {
        snprintf(reason, reason_size, "the charge point identity is longer than %d characters",
                 OCPP_SETTINGS_IDENTITY_MAX);
        return false;
    }
    for (const unsigned char *p = (const unsigned char *) identity; *p; p++)
        if (!s_identity_char(*p)) {
            snprintf(reason, reason_size,
                     "the charge point identity may hold only letters, digits and * - _ = + | @ .");
            return false;
        }
    return true;
}

int
ocpp_settings_read(config_store_t *store, ocpp_settings_t *out)
{
    assert(store && out);
    memset(out, 0, sizeof(*out));
    char enabled[8] = "", password[CONFIG_VALUE_MAX + 1] = "";
    int rc = config_store_get(store, "OcppEnabled", enabled, sizeof(enabled));
    if (rc == CONFIG_STORE_OK)
        rc = config_store_get(store, "CentralSystemUrl", out->url, sizeof(out->url));
    if (rc == CONFIG_STORE_OK)
        rc = config_store_get(store, "ChargePointIdentity", out->identity, sizeof(out->identity));
    if (rc == CONFIG_STORE_OK)
        rc = config_store_get(store, "AuthorizationKey", password, sizeof(password));
    if (rc != CONFIG_STORE_OK) {
        memset(out, 0, sizeof(*out));
        memset(password, 0, sizeof(password));
        return rc;
    }
    out->enabled = strcmp(enabled, "true") == 0;
    out->password_set = password[0] != '\0';
    memset(password, 0, sizeof(password));      //  only whether it is set leaves here
    return CONFIG_STORE_OK;
}

bool
ocpp_settings_complete(const ocpp_settings_t *settings)
{
    assert(settings);
    //  Only presence: the start-up options are trusted as they always were
    //  (an --id such as "CP 01" travels percent-encoded), and the
    //  WebSocket client refuses a URL it cannot dial with a clear error.
    return settings->enabled && settings->url[0] && settings->identity[0];
}
