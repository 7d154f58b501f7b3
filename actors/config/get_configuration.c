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
 *
 * Why text, written once (issue 12): the answer's shape is fixed, so it is
 * written front to back into one buffer (gateway/jwriter.h) instead of a
 * jansson tree of ~130 values that is then dumped, walked again by the
 * schema validator and freed. The full list reads every stored row in one
 * statement (config_store_each_row), one read transaction, instead of a
 * lookup per key. What the GetConfigurationResponse schema demands holds
 * by construction and is checked as it is written: fixed member names in
 * the schema's order, readonly a literal, key at most 50 and value at most
 * 500 characters and valid UTF-8 (jwriter_string), unknownKey entries as
 * the request (already validated against its schema) spelled them.
 */
#include "actors/config/get_configuration.h"

#include <assert.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  One {"key":…,"readonly":…[,"value":…]} of configurationKey, listed as
//  `name` (the table's name or an alias); value NULL for a write-only key.
static void
s_write_entry(jwriter_t *w, bool first, const config_key_def_t *def, const char *name,
              const char *value)
{
    jwriter_raw(w, first ? "{\"key\":" : ",{\"key\":");
    jwriter_string(w, name, CONFIG_KEY_MAX);
    jwriter_raw(w, def->readonly || def->local_only ? ",\"readonly\":true" : ",\"readonly\":false");
    if (value) {
        jwriter_raw(w, ",\"value\":");
        jwriter_string(w, value, CONFIG_VALUE_MAX);
    }
    jwriter_raw(w, "}");
}

//  The stored rows of a full list, gathered by config_store_each_row:
//  at[i] - 1 is where config_keys_at(i)'s value starts in text, 0 when it
//  has no row (its default applies). Rows come in the store's order, the
//  answer goes in the table's.
typedef struct {
    size_t *at;
    char *text;
    size_t used, capacity;
    bool failed;
} s_rows_t;

static void
s_on_row(const config_key_def_t *def, const char *value, size_t len, void *arg)
{
    s_rows_t *rows = arg;
    //  A secret is not even copied: it is never listed.
    if (rows->failed || def->write_only)
        return;
    //  As config_store_get into a CONFIG_VALUE_MAX buffer: a longer row
    //  (only a hand-edited database holds one) is cut there.
    if (len > CONFIG_VALUE_MAX)
        len = CONFIG_VALUE_MAX;
    if (rows->used + len + 1 > rows->capacity) {
        size_t capacity = rows->capacity * 2 + len + 1;
        char *text = realloc(rows->text, capacity);
        if (!text) {
            rows->failed = true;
            return;
        }
        rows->text = text;
        rows->capacity = capacity;
    }
    size_t index = (size_t) (def - config_keys_at(0));
    assert(config_keys_at(index) == def);
    memcpy(rows->text + rows->used, value, len);
    rows->text[rows->used + len] = '\0';
    rows->at[index] = rows->used + 1;
    rows->used += len + 1;
}

//  The value to list for def: its row, else its default (in buf).
static const char *
s_full_value(const s_rows_t *rows, const config_key_def_t *def, const cp_options_t *opts,
             char *buf, size_t size)
{
    size_t at = rows->at[(size_t) (def - config_keys_at(0))];
    if (at)
        return rows->text + at - 1;
    config_keys_default(def, opts, buf, size);
    return buf;
}

//  5.8: no (or an empty) key list → every key, then every alias.
static int
s_write_full_list(config_store_t *store, jwriter_t *w)
{
    size_t count = config_keys_count();
    s_rows_t rows = { .at = calloc(count, sizeof(size_t)), .capacity = 2048 };
    rows.text = malloc(rows.capacity);
    int rc = -1;
    if (rows.at && rows.text && config_store_each_row(store, s_on_row, &rows) == CONFIG_STORE_OK
    &&  !rows.failed) {
        const cp_options_t *opts = config_store_options(store);
        char buf[CONFIG_VALUE_MAX + 1];
        for (size_t i = 0; i < count; i++) {
            const config_key_def_t *def = config_keys_at(i);
            s_write_entry(w, i == 0, def, def->name,
                          def->write_only ? NULL : s_full_value(&rows, def, opts, buf, sizeof(buf)));
        }
        for (size_t i = 0; i < config_keys_alias_count(); i++) {
            const char *alias = config_keys_alias_at(i);
            const config_key_def_t *def = config_keys_find(alias);
            s_write_entry(w, count == 0 && i == 0, def, alias,
                          def->write_only ? NULL : s_full_value(&rows, def, opts, buf, sizeof(buf)));
        }
        rc = 0;
    }
    free(rows.at);
    free(rows.text);
    return rc;
}

//  The keys asked for, in the order asked; unknown ones after, in
//  unknownKey, exactly as spelled. One snapshot for several keys; one key
//  is read in its own implicit transaction, and BEGIN/COMMIT around it
//  would only cost time.
static int
s_write_asked(config_store_t *store, const json_t *keys, size_t asked, jwriter_t *w)
{
    bool snapshot = asked != 1;
    if (snapshot)
        config_store_read_begin(store);
    bool failed = false, first = true;
    size_t unknown = 0;
    for (size_t i = 0; !failed && i < asked; i++) {
        const char *name = json_string_value(json_array_get(keys, i));
        const config_key_def_t *def = config_keys_find(name);
        if (!def) {
            unknown += name != NULL;
            continue;
        }
        const char *alias = config_keys_alias(name);
        char value[CONFIG_VALUE_MAX + 1];
        failed = !def->write_only
              && config_store_get_def(store, def, value, sizeof(value)) != CONFIG_STORE_OK;
        if (!failed)
            s_write_entry(w, first, def, alias ? alias : def->name, def->write_only ? NULL : value);
        first = false;
    }
    if (snapshot)
        config_store_read_end(store);
    jwriter_raw(w, "]");
    //  Both fields are optional; an empty unknownKey is left out.
    if (!failed && unknown > 0) {
        jwriter_raw(w, ",\"unknownKey\":[");
        first = true;
        for (size_t i = 0; i < asked; i++) {
            const char *name = json_string_value(json_array_get(keys, i));
            if (name && !config_keys_find(name)) {
                if (!first)
                    jwriter_raw(w, ",");
                jwriter_string(w, name, CONFIG_KEY_MAX);
                first = false;
            }
        }
    }
    if (!failed && unknown > 0)
        jwriter_raw(w, "]");
    return failed ? -1 : 0;
}

int
get_configuration_write(config_store_t *store, const json_t *request, jwriter_t *w,
                        char *error_code, size_t error_code_size,
                        char *error_description, size_t error_description_size)
{
    assert(store);
    assert(w);
    assert(error_code && error_code_size > 0);
    assert(error_description && error_description_size > 0);
    error_code[0] = '\0';
    error_description[0] = '\0';
    if (!json_is_object(request)) {
        snprintf(error_code, error_code_size, "FormationViolation");
        snprintf(error_description, error_description_size, "payload is not a JSON object");
        return -1;
    }
    json_t *keys = json_object_get(request, "key");
    size_t asked = json_is_array(keys) ? json_array_size(keys) : 0;
    if (asked > 0) {
        //  Read-only and derived: this never touches the database.
        int64_t max_keys = config_store_get_int(store, "GetConfigurationMaxKeys", 0);
        if ((int64_t) asked > max_keys) {
            snprintf(error_code, error_code_size, "OccurenceConstraintViolation");
            snprintf(error_description, error_description_size,
                     "at most %" PRId64 " keys per request (GetConfigurationMaxKeys)", max_keys);
            return -1;
        }
    }
    jwriter_raw(w, "{\"configurationKey\":[");
    int rc;
    if (asked == 0) {
        rc = s_write_full_list(store, w);
        jwriter_raw(w, "]");
    }
    else
        rc = s_write_asked(store, keys, asked, w);
    jwriter_raw(w, "}");
    if (rc != 0) {
        snprintf(error_code, error_code_size, "InternalError");
        snprintf(error_description, error_description_size, "configuration store unavailable");
        return -1;
    }
    if (jwriter_failed(w)) {
        //  A value that is not UTF-8 or longer than the schema allows (a
        //  hand-edited database), or out of memory: no invalid frame leaves.
        snprintf(error_code, error_code_size, "InternalError");
        snprintf(error_description, error_description_size,
                 "a configuration value cannot be sent (not UTF-8, or too long)");
        return -1;
    }
    return 0;
}

int
get_configuration_handle(config_store_t *store, const char *request_json,
                         char **response_json,
                         char *error_code, size_t error_code_size,
                         char *error_description, size_t error_description_size)
{
    assert(store && request_json && response_json);
    *response_json = NULL;
    jwriter_t *w = jwriter_new();
    if (!w) {
        snprintf(error_code, error_code_size, "InternalError");
        snprintf(error_description, error_description_size, "out of memory");
        return -1;
    }
    json_t *request = json_loads(request_json, 0, NULL);
    int rc = get_configuration_write(store, request, w, error_code, error_code_size,
                                     error_description, error_description_size);
    json_decref(request);
    if (rc == 0)
        *response_json = jwriter_take(w);
    jwriter_destroy(&w);
    if (rc == 0 && !*response_json) {
        snprintf(error_code, error_code_size, "InternalError");
        snprintf(error_description, error_description_size, "out of memory");
        return -1;
    }
    return rc;
}
