/* get_configuration.c — see get_configuration.h.
 *
 * Decisions the spec leaves open:
 *   - Write-only keys (AuthorizationKey) are listed without "value", both
 *     in the full list and when asked for by name (config_keys.c says why).
 *   - Keys are CiString50: matched case-insensitively, answered in the
 *     table's spelling; unknown keys are echoed exactly as asked. A key
 *     asked for by an alias (the seed's AuthEnabled) is answered under
 *     the alias, so the central system finds the name it asked for; the
 *     full list holds aliases too.
 *   - More keys than GetConfigurationMaxKeys: 5.8 lets us limit the
 *     number but says nothing about the answer. Answering a truncated list
 *     would leave some keys in neither configurationKey nor unknownKey,
 *     which a CSMS could read as "the charger lost them"; so the request
 *     is refused as a whole with OccurenceConstraintViolation (OCPP-J 4.2:
 *     "at least one of the fields violates occurence constraints").
 *     GetConfigurationMaxKeys is larger than the table, so a CSMS asking
 *     for every key it knows by name never meets this.
 */
#include "actors/config/get_configuration.h"

#include <assert.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

//  Append {key, readonly[, value]} for def, listed as `name` (the table's
//  name or an alias); 0, or -1 store/memory failure.
static int
s_append_key(config_store_t *store, const config_key_def_t *def, const char *name, json_t *list)
{
    json_t *entry = json_object();
    if (!entry)
        return -1;
    int rc = json_object_set_new(entry, "key", json_string(name))
           | json_object_set_new(entry, "readonly", json_boolean(def->readonly || def->local_only));
    if (rc == 0 && !def->write_only) {
        char value[CONFIG_VALUE_MAX + 1];
        if (config_store_get(store, def->name, value, sizeof(value)) != CONFIG_STORE_OK)
            rc = -1;
        else
            rc = json_object_set_new(entry, "value", json_string(value));
    }
    if (rc != 0 || json_array_append_new(list, entry) != 0) {
        if (rc != 0)
            json_decref(entry);
        return -1;
    }
    return 0;
}

json_t *
get_configuration_build(config_store_t *store, const json_t *request,
                        char *error_code, size_t error_code_size,
                        char *error_description, size_t error_description_size)
{
    assert(store);
    assert(error_code && error_code_size > 0);
    assert(error_description && error_description_size > 0);
    error_code[0] = '\0';
    error_description[0] = '\0';
    if (!json_is_object(request)) {
        snprintf(error_code, error_code_size, "FormationViolation");
        snprintf(error_description, error_description_size, "payload is not a JSON object");
        return NULL;
    }
    json_t *keys = json_object_get(request, "key");
    size_t asked = json_is_array(keys) ? json_array_size(keys) : 0;

    //  Read-only and derived: this never touches the database.
    int64_t max_keys = config_store_get_int(store, "GetConfigurationMaxKeys", 0);
    if (asked > 0 && (int64_t) asked > max_keys) {
        snprintf(error_code, error_code_size, "OccurenceConstraintViolation");
        snprintf(error_description, error_description_size,
                 "at most %" PRId64 " keys per request (GetConfigurationMaxKeys)", max_keys);
        return NULL;
    }

    json_t *response = json_object();
    json_t *known = json_array();
    json_t *unknown = json_array();
    bool failed = !response || !known || !unknown;
    //  One snapshot for several keys; one key is read in its own implicit
    //  transaction, and BEGIN/COMMIT around it would only cost time.
    bool snapshot = asked != 1;
    if (snapshot)
        config_store_read_begin(store);
    if (!failed && asked == 0) {
        //  5.8: no (or an empty) key list → every key.
        for (size_t i = 0; !failed && i < config_keys_count(); i++)
            failed = s_append_key(store, config_keys_at(i), config_keys_at(i)->name, known) != 0;
        for (size_t i = 0; !failed && i < config_keys_alias_count(); i++) {
            const char *alias = config_keys_alias_at(i);
            failed = s_append_key(store, config_keys_find(alias), alias, known) != 0;
        }
    }
    for (size_t i = 0; !failed && i < asked; i++) {
        const char *name = json_string_value(json_array_get(keys, i));
        const config_key_def_t *def = config_keys_find(name);
        const char *alias = config_keys_alias(name);
        if (def)
            failed = s_append_key(store, def, alias ? alias : def->name, known) != 0;
        else
        if (name)
            failed = json_array_append_new(unknown, json_string(name)) != 0;
    }
    if (snapshot)
        config_store_read_end(store);
    if (!failed) {
        //  Both fields are optional; leave out an empty unknownKey.
        failed = json_object_set(response, "configurationKey", known) != 0
              || (json_array_size(unknown) > 0
                  && json_object_set(response, "unknownKey", unknown) != 0);
    }
    json_decref(known);
    json_decref(unknown);
    if (failed) {
        json_decref(response);
        snprintf(error_code, error_code_size, "InternalError");
        snprintf(error_description, error_description_size,
                 "configuration store unavailable");
        return NULL;
    }
    return response;
}

int
get_configuration_handle(config_store_t *store, const char *request_json,
                         char **response_json,
                         char *error_code, size_t error_code_size,
                         char *error_description, size_t error_description_size)
{
    assert(store && request_json && response_json);
    *response_json = NULL;
    json_t *request = json_loads(request_json, 0, NULL);
    json_t *response = get_configuration_build(store, request, error_code, error_code_size,
                                               error_description, error_description_size);
    json_decref(request);
    if (!response)
        return -1;
    *response_json = json_dumps(response, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(response);
    if (!*response_json) {
        snprintf(error_code, error_code_size, "InternalError");
        snprintf(error_description, error_description_size, "out of memory");
        return -1;
    }
    return 0;
}
