/* config_actor.h — the actor that owns the OCPP configuration keys.
 *
 * Requests it answers (final replies):
 *   config_get {key}          → config_values {json}: a JSON array of
 *                               {"key", "readonly", "value"} for one key,
 *                               or all keys for key "". A write-only key
 *                               (AuthorizationKey) has "value": null and
 *                               "writeonly": true, like GetConfiguration
 *                               lists it without a value. An unknown key
 *                               or a store failure → reply {ok false}.
 *   config_set {key, value, origin}
 *                             → config_set_reply {status, reason}; on
 *                               Accepted/RebootRequired also the event
 *                               "config.changed" {key, value} (value ""
 *                               for a write-only key: read the store).
 *   ocpp_inbound GetConfiguration | ChangeConfiguration
 *                             → ocpp_inbound_reply; other actions →
 *                               error_code "NotSupported".
 *   snapshot_request          → reply {ok}: the state is in the store.
 * Other actors read keys straight from the store (config_store.h).
 */
#ifndef CP_ACTORS_CONFIG_ACTOR_H
#define CP_ACTORS_CONFIG_ACTOR_H

#include <czmq.h>
#include "actors/config/config_store.h"

//  args: cp_actor_args_t * (supervisor/shell.h).
void config_actor(zsock_t *pipe, void *args);

//  The config_values JSON for key ("" = all) into *json (malloc'd, free()).
//  CONFIG_STORE_OK, CONFIG_STORE_UNKNOWN or CONFIG_STORE_ERROR.
int config_values_json(config_store_t *store, const char *key, char **json);
#endif
