/* page_request.c — see page_request.h. Strict on purpose: unknown fields,
 * wrong types and out-of-range values are refused with a sentence a user
 * can act on, because the only legitimate sender is our own page.
 */
#include "gateway/page_request.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "actors/config/config_keys.h"
#include "actors/config/ocpp_settings.h"
#include "supervisor/log.h"

#define MAX_CONNECTOR 8     //  options allow 1..8; the supervisor checks the real count
#define IDTAG_MAX 20        //  IdToken is CiString20Type

//  Only the listed fields (NULL-terminated) may appear.
static int
s_only_fields(json_t *root, const char *const *allowed, char *reason, size_t reason_size)
{
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        bool known = false;
        for (size_t i = 0; allowed[i] && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known)
            return cp_refuse(reason, reason_size, "unexpected field '%.40s'", key);
    }
    return 0;
}

static void
s_step(page_request_t *out, const char *a0, const char *a1, const char *a2, const char *a3)
{
    assert(out->steps < PAGE_REQUEST_MAX_STEPS);
    page_step_t *step = &out->step[out->steps++];
    const char *args[PAGE_REQUEST_MAX_ARGS] = { a0, a1, a2, a3 };
    for (int i = 0; i < PAGE_REQUEST_MAX_ARGS && args[i]; i++) {
        snprintf(step->argv[i], sizeof(step->argv[i]), "%s", args[i]);
        step->argc = i + 1;
    }
}

static int
s_connector(json_t *root, char *text, size_t size, char *reason, size_t reason_size)
{
    json_t *value = json_object_get(root, "connector");
    if (!json_is_integer(value) || json_integer_value(value) < 1
    ||  json_integer_value(value) > MAX_CONNECTOR)
        return cp_refuse(reason, reason_size, "'connector' must be a connector number (1..%d)",
                        MAX_CONNECTOR);
    snprintf(text, size, "%lld", (long long) json_integer_value(value));
    return 0;
}

//  One of the words in list (NULL-terminated), else -1.
static const char *
s_word(json_t *root, const char *field, const char *const *list)
{
    const char *value = json_string_value(json_object_get(root, field));
    for (size_t i = 0; value && list[i]; i++)
        if (strcmp(value, list[i]) == 0)
            return list[i];
    return NULL;
}

static int
s_hardware(json_t *root, const char *command, page_request_t *out, char *reason, size_t reason_size)
{
    char connector[8];
    if (strcmp(command, "swipe") == 0) {
        static const char *const fields[] = { "id", "command", "idTag", NULL };
        if (s_only_fields(root, fields, reason, reason_size) != 0)
            return -1;
        const char *tag = json_string_value(json_object_get(root, "idTag"));
        size_t len = tag ? strlen(tag) : 0;
        if (len == 0 || len > IDTAG_MAX)
            return cp_refuse(reason, reason_size, "the card's idTag must be 1..%d characters", IDTAG_MAX);
        for (size_t i = 0; i < len; i++)
            if (tag[i] <= ' ' || tag[i] > '~')
                return cp_refuse(reason, reason_size,
                                "the card's idTag may hold only printable characters without blanks");
        s_step(out, "swipe", tag, NULL, NULL);
        snprintf(out->done, sizeof(out->done), "card %s presented", tag);
        return 0;
    }
    if (strcmp(command, "key") == 0) {
        //  The keypad: digits are (part of) a PIN, so the request is a secret.
        static const char *const fields[] = { "id", "command", "keys", NULL };
        if (s_only_fields(root, fields, reason, reason_size) != 0)
            return -1;
        const char *keys = json_string_value(json_object_get(root, "keys"));
        size_t len = keys ? strlen(keys) : 0;
        bool valid = len >= 1 && len <= PAGE_REQUEST_KEYS_MAX;
        for (size_t i = 0; valid && i < len; i++)
            valid = (keys[i] >= '0' && keys[i] <= '9') || keys[i] == 'C' || keys[i] == '#';
        if (!valid)
            return cp_refuse(reason, reason_size, "'keys' must be 1..%d keypad keys: 0-9, C (clear), # (submit)",
                             PAGE_REQUEST_KEYS_MAX);
        out->secret = true;
        s_step(out, "key", keys, NULL, NULL);
        snprintf(out->done, sizeof(out->done), "%zu key(s) pressed", len);
        return 0;
    }
    if (strcmp(command, "plug") == 0 || strcmp(command, "unplug") == 0) {
        static const char *const fields[] = { "id", "command", "connector", NULL };
        if (s_only_fields(root, fields, reason, reason_size) != 0
        ||  s_connector(root, connector, sizeof(connector), reason, reason_size) != 0)
            return -1;
        s_step(out, command, connector, NULL, NULL);
        snprintf(out->done, sizeof(out->done), "connector %s %s", connector,
                 command[0] == 'p' ? "plugged in" : "unplugged");
        return 0;
    }
    if (strcmp(command, "ev") == 0) {
        static const char *const fields[] = { "id", "command", "connector", "action", NULL };
        static const char *const actions[] = { "charge", "pause", NULL };
        if (s_only_fields(root, fields, reason, reason_size) != 0
        ||  s_connector(root, connector, sizeof(connector), reason, reason_size) != 0)
            return -1;
        const char *action = s_word(root, "action", actions);
        if (!action)
            return cp_refuse(reason, reason_size, "'action' must be charge or pause");
        s_step(out, "ev", connector, action, NULL);
        snprintf(out->done, sizeof(out->done), "EV on connector %s: %s", connector,
                 action[0] == 'c' ? "asks for energy" : "paused");
        return 0;
    }
    if (strcmp(command, "fault") == 0) {
        static const char *const fields[] = { "id", "command", "connector", "kind", NULL };
        static const char *const kinds[] = { "rcd", "ground", "overcurrent", "overtemp", "welding",
                                             "clear", NULL };
        if (s_only_fields(root, fields, reason, reason_size) != 0
        ||  s_connector(root, connector, sizeof(connector), reason, reason_size) != 0)
            return -1;
        const char *kind = s_word(root, "kind", kinds);
        if (!kind)
            return cp_refuse(reason, reason_size,
                            "'kind' must be rcd, ground, overcurrent, overtemp, welding or clear");
        s_step(out, "fault", connector, kind, NULL);
        snprintf(out->done, sizeof(out->done), strcmp(kind, "clear") == 0
                 ? "faults on connector %s cleared" : "fault injected on connector %s", connector);
        return 0;
    }
    return cp_refuse(reason, reason_size, "unknown command '%.20s'", command);
}

//  A string field; absent counts as "".
static int
s_string(json_t *root, const char *field, const char **value, char *reason, size_t reason_size)
{
    json_t *node = json_object_get(root, field);
    if (!node) {
        *value = "";
        return 0;
    }
    if (!json_is_string(node))
        return cp_refuse(reason, reason_size, "'%s' must be text", field);
    *value = json_string_value(node);
    return 0;
}

static int
s_settings(json_t *root, page_request_t *out, char *reason, size_t reason_size)
{
    static const char *const fields[] = { "id", "command", "enabled", "url", "identity", "password",
                                          "accept", NULL };
    if (s_only_fields(root, fields, reason, reason_size) != 0)
        return -1;
    out->secret = true;                 //  from here on the request may hold the password
    json_t *enabled = json_object_get(root, "enabled");
    if (!json_is_boolean(enabled))
        return cp_refuse(reason, reason_size, "'enabled' must be true or false");
    if (!json_is_true(json_object_get(root, "accept")))
        return cp_refuse(reason, reason_size, "please accept the terms and conditions to save");
    const char *url = "", *identity = "", *password = "";
    if (s_string(root, "url", &url, reason, reason_size) != 0
    ||  s_string(root, "identity", &identity, reason, reason_size) != 0
    ||  s_string(root, "password", &password, reason, reason_size) != 0)
        return -1;
    bool on = json_is_true(enabled);
    //  Validate every field before anything is applied.
    char why[CONFIG_REASON_MAX + 1];
    if ((on || url[0]) && !ocpp_settings_url_ok(url, why, sizeof(why)))
        return cp_refuse(reason, reason_size, "%s", why);
    if ((on || identity[0]) && !ocpp_settings_identity_ok(identity, why, sizeof(why)))
        return cp_refuse(reason, reason_size, "%s", why);
    if (password[0] && !config_keys_authorization_key_ok(password))
        return cp_refuse(reason, reason_size,
                        "the password must be 16..40 printable characters without blanks"
                        " (OCPP security whitepaper 7.2)");
    if (url[0])
        s_step(out, "config", "set", "CentralSystemUrl", url);
    if (identity[0])
        s_step(out, "config", "set", "ChargePointIdentity", identity);
    if (password[0])
        s_step(out, "config", "set", "AuthorizationKey", password);
    //  Last, so the reconnect it causes finds the other settings in place
    //  (the ocpp actor also waits 500 ms after the last change).
    s_step(out, "config", "set", "OcppEnabled", on ? "true" : "false");
    snprintf(out->done, sizeof(out->done), on ? "settings saved: connecting to the central system"
                                              : "settings saved: OCPP is disabled");
    return 0;
}

int
page_request_parse(const char *text, size_t len, bool sim, page_request_t *out,
                   char *reason, size_t reason_size)
{
    assert(out);
    assert(reason && reason_size > 0);
    memset(out, 0, sizeof(*out));
    reason[0] = '\0';
    if (!text || len == 0)
        return cp_refuse(reason, reason_size, "empty request");
    if (len > PAGE_REQUEST_MAX_BYTES)
        return cp_refuse(reason, reason_size, "request larger than %d bytes", PAGE_REQUEST_MAX_BYTES);
    json_error_t error;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
    if (!root)
        return cp_refuse(reason, reason_size, "not JSON: %.80s", error.text);
    int rc = -1;
    if (!json_is_object(root)) {
        cp_refuse(reason, reason_size, "a request is a JSON object");
        goto done;
    }
    json_t *id = json_object_get(root, "id");
    if (id && !json_is_integer(id)) {
        cp_refuse(reason, reason_size, "'id' must be an integer");
        goto done;
    }
    out->id = id ? json_integer_value(id) : 0;
    const char *command = json_string_value(json_object_get(root, "command"));
    if (!command) {
        cp_refuse(reason, reason_size, "'command' is missing");
        goto done;
    }
    snprintf(out->command, sizeof(out->command), "%.15s", command);
    if (strcmp(command, "settings") == 0)
        rc = s_settings(root, out, reason, reason_size);
    else
    if (!sim && (strcmp(command, "plug") == 0 || strcmp(command, "unplug") == 0 || strcmp(command, "ev") == 0
                 || strcmp(command, "swipe") == 0 || strcmp(command, "fault") == 0
                 || strcmp(command, "key") == 0))
        rc = cp_refuse(reason, reason_size, "'%s' drives simulated hardware: only with --hw sim", command);
    else
        rc = s_hardware(root, command, out, reason, reason_size);
done:
    if (rc != 0) {
        int64_t keep = out->id;
        char name[sizeof(out->command)];
        memcpy(name, out->command, sizeof(name));
        page_request_clear(out);
        out->id = keep;
        memcpy(out->command, name, sizeof(name));
    }
    json_decref(root);
    return rc;
}

void
page_request_clear(page_request_t *self)
{
    assert(self);
    //  volatile: the compiler may not drop a wipe of memory about to die
    volatile unsigned char *p = (volatile unsigned char *) self;
    for (size_t i = 0; i < sizeof(*self); i++)
        p[i] = 0;
}
