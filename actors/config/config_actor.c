/* config_actor.c — the thin shell around the config store and the two
 * configuration operations (see config_actor.h). It holds no state of its
 * own: everything is in the store, so a restart loses nothing and a
 * snapshot request has nothing to send.
 */
#include "actors/config/config_actor.h"

#include <assert.h>
#include <jansson.h>
#include "actors/config/change_configuration.h"
#include "actors/config/get_configuration.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"
#include "supervisor/store.h"

#define COMPONENT "config"

typedef struct {
    cp_shell_t *shell;
    sqlite3 *db;
    config_store_t *store;
} config_actor_t;

//  One {key, readonly, value} entry; write-only keys get a null value.
static json_t *
s_entry(config_store_t *store, const config_key_def_t *def, int *rc)
{
    json_t *value = NULL;
    if (def->write_only)
        value = json_null();
    else {
        char text[CONFIG_VALUE_MAX + 1];
        *rc = config_store_get(store, def->name, text, sizeof(text));
        if (*rc != CONFIG_STORE_OK)
            return NULL;
        value = json_string(text);
    }
    json_t *entry = json_pack("{s:s, s:b, s:o}", "key", def->name, "readonly", def->readonly,
                              "value", value);
    if (entry && def->write_only)
        json_object_set_new(entry, "writeonly", json_true());
    if (!entry)
        *rc = CONFIG_STORE_ERROR;
    return entry;
}

int
config_values_json(config_store_t *store, const char *key, char **json)
{
    assert(store);
    assert(json);
    *json = NULL;
    const config_key_def_t *only = NULL;
    if (key && *key) {
        only = config_keys_find(key);
        if (!only)
            return CONFIG_STORE_UNKNOWN;
    }
    json_t *list = json_array();
    int rc = list ? CONFIG_STORE_OK : CONFIG_STORE_ERROR;
    for (size_t i = 0; rc == CONFIG_STORE_OK && i < config_keys_count(); i++) {
        const config_key_def_t *def = config_keys_at(i);
        if (only && def != only)
            continue;
        json_t *entry = s_entry(store, def, &rc);
        if (entry && json_array_append_new(list, entry) != 0)
            rc = CONFIG_STORE_ERROR;
    }
    if (rc == CONFIG_STORE_OK) {
        *json = json_dumps(list, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!*json)
            rc = CONFIG_STORE_ERROR;
    }
    json_decref(list);
    return rc;
}

//  After any change: log it (never a secret value) and tell everyone.
static void
s_changed(config_actor_t *self, const config_change_t *change, const char *key,
          const char *origin)
{
    if (change->status != CONFIG_ACCEPTED && change->status != CONFIG_REBOOT_REQUIRED) {
        //  The asked-for key may be anything a CSMS sent: bound it.
        cp_info(COMPONENT, "%.50s not changed (origin %s): %s: %s", key, origin,
                config_status_name(change->status), change->reason);
        return;
    }
    const config_key_def_t *def = change->def;
    if (def->write_only)
        //  Whitepaper A01.FR.11/12: log the change, never the content.
        cp_info(COMPONENT, "%s changed (origin %s)", def->name, origin);
    else
        cp_info(COMPONENT, "%s = %s (origin %s)%s", def->name, change->value, origin,
                change->status == CONFIG_REBOOT_REQUIRED ? ", effective after reboot" : "");
    cp_msg_t *event = cp_msg_new(CP_MSG_CONFIG_CHANGED);
    if (!event) {
        cp_error(COMPONENT, "out of memory: config.changed for %s not published", def->name);
        return;
    }
    cp_msg_set_str(event->u.config_changed.key, def->name);
    cp_msg_set_str(event->u.config_changed.value, def->write_only ? "" : change->value);
    if (cp_shell_publish(self->shell, "config.changed", event) != 0)
        cp_error(COMPONENT, "config.changed for %s not published", def->name);
    cp_msg_destroy(&event);
}

static void
s_on_config_get(config_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_config_get_t *req)
{
    char *json = NULL;
    int rc = config_values_json(self->store, req->key, &json);
    if (rc != CONFIG_STORE_OK) {
        char reason[120] = "configuration store unavailable";
        if (rc == CONFIG_STORE_UNKNOWN)
            snprintf(reason, sizeof(reason), "unknown configuration key %.50s", req->key);
        cp_shell_reply_status(self->shell, env, false, reason);
        return;
    }
    cp_msg_t *reply = cp_msg_new(CP_MSG_CONFIG_VALUES);
    if (!reply || cp_msg_set_text(&reply->u.config_values.json, json) != 0)
        cp_shell_reply_status(self->shell, env, false, "reply too large");
    else
        cp_shell_reply(self->shell, env, reply, true);
    cp_msg_destroy(&reply);
    free(json);
}

static void
s_on_config_set(config_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_config_set_t *req)
{
    config_change_t change;
    change_configuration_apply(self->store, req->key, req->value,
                               streq(req->origin, "ocpp"), &change);
    s_changed(self, &change, req->key, req->origin[0] ? req->origin : "local");
    cp_msg_t *reply = cp_msg_new(CP_MSG_CONFIG_SET_REPLY);
    if (!reply) {
        cp_shell_reply_status(self->shell, env, false, "out of memory");
        return;
    }
    cp_msg_set_str(reply->u.config_set_reply.status, config_status_name(change.status));
    cp_msg_set_str(reply->u.config_set_reply.reason, change.reason);
    cp_shell_reply(self->shell, env, reply, true);
    cp_msg_destroy(&reply);
}

static void
s_on_ocpp_inbound(config_actor_t *self, const cp_bus_envelope_t *env,
                  const cp_msg_ocpp_inbound_t *req)
{
    cp_msg_t *reply = cp_msg_new(CP_MSG_OCPP_INBOUND_REPLY);
    if (!reply) {
        cp_shell_reply_status(self->shell, env, false, "out of memory");
        return;
    }
    cp_msg_ocpp_inbound_reply_t *out = &reply->u.ocpp_inbound_reply;
    char *response = NULL;
    const char *payload = req->payload ? req->payload : "{}";
    if (streq(req->action, "GetConfiguration")) {
        if (get_configuration_handle(self->store, payload, &response,
                                     out->error_code, sizeof(out->error_code),
                                     out->error_description,
                                     sizeof(out->error_description)) != 0)
            cp_warn(COMPONENT, "GetConfiguration answered with %s: %s", out->error_code,
                    out->error_description);
    }
    else
    if (streq(req->action, "ChangeConfiguration")) {
        config_change_t change;
        if (change_configuration_handle(self->store, payload, &response, &change) != 0) {
            cp_msg_set_str(out->error_code, "InternalError");
            cp_msg_set_str(out->error_description, "cannot process ChangeConfiguration");
        }
        else {
            //  The request key is echoed in the log only when unknown.
            json_t *request = json_loads(payload, 0, NULL);
            const char *key = json_string_value(json_object_get(request, "key"));
            s_changed(self, &change, key ? key : "?", "ocpp");
            json_decref(request);
        }
    }
    else {
        cp_msg_set_str(out->error_code, "NotSupported");
        cp_msg_set_str(out->error_description, "config does not handle this action");
    }
    if (response && cp_msg_set_text(&out->payload, response) != 0) {
        cp_msg_set_str(out->error_code, "InternalError");
        cp_msg_set_str(out->error_description, "response too large");
    }
    free(response);
    cp_shell_reply(self->shell, env, reply, true);
    cp_msg_destroy(&reply);
}

static void
s_handler(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, void *ctx)
{
    config_actor_t *self = ctx;
    if (env->kind != CP_BUS_REQUEST || !msg)
        return;     //  we send no requests and subscribe to nothing
    switch (msg->type) {
        case CP_MSG_CONFIG_GET:
            s_on_config_get(self, env, &msg->u.config_get);
            break;
        case CP_MSG_CONFIG_SET:
            s_on_config_set(self, env, &msg->u.config_set);
            break;
        case CP_MSG_OCPP_INBOUND:
            s_on_ocpp_inbound(self, env, &msg->u.ocpp_inbound);
            break;
        case CP_MSG_SNAPSHOT_REQUEST:
            cp_shell_reply_status(shell, env, true, "");
            break;
        default:
            cp_shell_reply_status(shell, env, false, "config: unsupported request");
            break;
    }
}

void
config_actor(zsock_t *pipe, void *args)
{
    cp_actor_args_t *actor_args = args;
    assert(actor_args && actor_args->options);
    config_actor_t self = { 0 };
    char err[256] = "";
    self.shell = cp_shell_new(pipe, actor_args);
    self.db = cp_store_open(actor_args->options->state_dir, err, sizeof(err));
    if (self.db)
        self.store = config_store_new(self.db, actor_args->options);
    if (!self.shell || !self.db || !self.store) {
        //  Returning is a death the supervisor restarts (and escalates).
        cp_error(COMPONENT, "cannot start: %s",
                 !self.shell ? "no bus" : !self.db ? err : "config store failed");
        goto done;
    }
    cp_shell_set_handler(self.shell, s_handler, &self);
    cp_shell_run(self.shell);
done:
    config_store_destroy(&self.store);
    cp_store_close(&self.db);
    cp_shell_destroy(&self.shell);
}
