/* change_configuration.h — OCPP 1.6 ChangeConfiguration (5.3, 6.9/6.10),
 * and the one path every configuration change takes: a CSMS request and a
 * local `cpctl config set` pass the same rules and reach the store the
 * same way (only SecurityProfile treats them differently, whitepaper A05).
 */
#ifndef CP_ACTORS_CONFIG_CHANGE_CONFIGURATION_H
#define CP_ACTORS_CONFIG_CHANGE_CONFIGURATION_H

#include <stdbool.h>
#include "actors/config/config_keys.h"
#include "actors/config/config_store.h"

//  The outcome of one change, for the reply, the event and the log.
typedef struct {
    config_status_t status;
    const config_key_def_t *def;            //  NULL for an unknown key
    char value[CONFIG_VALUE_MAX + 1];       //  canonical value now stored
    char reason[CONFIG_REASON_MAX + 1];     //  never holds a secret
} config_change_t;

//  Validate and, if Accepted/RebootRequired, persist key = value.
//  from_csms: the request came over OCPP (origin "ocpp"). Returns 0, or -1
//  if the store failed, in which case nothing changed and the status is
//  Rejected (5.3: "did not set the configuration").
int change_configuration_apply(config_store_t *store, const char *key, const char *value,
                               bool from_csms, config_change_t *change);

//  Answer a ChangeConfiguration.req: *response_json is a malloc'd
//  ChangeConfiguration.conf (free()), change tells the caller what
//  happened. Returns 0, or -1 if the request is not JSON or out of memory
//  (*response_json NULL; the caller answers with a CALLERROR).
int change_configuration_handle(config_store_t *store, const char *request_json,
                                char **response_json, config_change_t *change);
#endif
