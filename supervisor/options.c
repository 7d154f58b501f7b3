/* options.c — command line and config file parsing (see options.h and
 * README "Configuration"). Precedence: command line, then config file,
 * then defaults. The config file is `key = value` lines; lower-case keys
 * are controller options (the long flag names), keys starting with an
 * upper-case letter are OCPP configuration keys that seed the store.
 */
#include "supervisor/options.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "supervisor/log.h"
#include "supervisor/policy.h"
#include "supervisor/store.h"

#define streq_(a, b) (strcmp((a), (b)) == 0)

_Static_assert(CP_OPT_LIVENESS_MIN_MS > CP_OPT_PING_MS + CP_STORE_BUSY_MS,
               "a store call plus a ping period must fit in the smallest liveness deadline");

static const char s_usage[] =
    "usage: chargepointd [--config FILE] [--csms URL] [--id ID] [--password SECRET]\n"
    "                    [--ca-file FILE] [--state-dir DIR] [--control ENDPOINT] [--connectors N]\n"
    "                    [--http [ADDR:]PORT|off] [--hw sim] [--split] [--firmware-installer CMD]\n"
    "                    [--client-cert FILE --client-key FILE]\n"
    "                    [--log-level error|warn|info|debug] [--version] [--help]\n";

const char *cp_options_usage(void) { return s_usage; }

void
cp_options_defaults(cp_options_t *self)
{
    memset(self, 0, sizeof(*self));
    snprintf(self->state_dir, sizeof(self->state_dir), "/var/lib/chargepointd");
    self->connectors = 1;
    snprintf(self->http, sizeof(self->http), "8080");
    snprintf(self->hw, sizeof(self->hw), "sim");
    self->log_level = CP_LOG_INFO;
    snprintf(self->vendor, sizeof(self->vendor), "chargepointd");
    snprintf(self->model, sizeof(self->model), "CPD-AC22-SIM");
    snprintf(self->serial, sizeof(self->serial), "CPD0000001");
    snprintf(self->firmware, sizeof(self->firmware), "%s", CP_VERSION);
    self->restart_intensity = 10;
    self->restart_global_intensity = CP_OPT_GLOBAL_FACTOR * self->restart_intensity;
    self->restart_period_s = 60;
    self->liveness_ms = 3000;
}

static int
s_int(const char *text, int lo, int hi, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || !end || *end || end == text || v < lo || v > hi)
        return -1;
    *out = (int) v;
    return 0;
}

#define SET_STR(field, value) \
    (snprintf((field), sizeof(field), "%s", (value)) >= (int) sizeof(field) ? -1 : 0)

//  Apply one option by its long name. Returns 0, or -1 with err filled.
static int
s_apply(cp_options_t *self, const char *name, const char *value, char *err, size_t err_size)
{
    int rc = 0;
    if (streq_(name, "config"))         rc = SET_STR(self->config_file, value);
    else if (streq_(name, "csms"))      rc = SET_STR(self->csms_url, value);
    else if (streq_(name, "id"))        rc = SET_STR(self->id, value);
    else if (streq_(name, "password")) {
        rc = SET_STR(self->password, value);
        self->password_given = true;
    }
    else if (streq_(name, "ca-file"))   rc = SET_STR(self->ca_file, value);
    else if (streq_(name, "client-cert")) rc = SET_STR(self->client_cert, value);
    else if (streq_(name, "client-key"))  rc = SET_STR(self->client_key, value);
    else if (streq_(name, "state-dir")) rc = SET_STR(self->state_dir, value);
    else if (streq_(name, "control"))   rc = SET_STR(self->control, value);
    else if (streq_(name, "bus"))       rc = SET_STR(self->bus_prefix, value);
    //  hidden: how the supervisor starts an actor process in split mode
    else if (streq_(name, "actor"))     rc = SET_STR(self->actor, value);
    else if (streq_(name, "pipe"))      rc = SET_STR(self->pipe, value);
    else if (streq_(name, "run-id"))    rc = SET_STR(self->run_id, value);
    else if (streq_(name, "clock-steer")) rc = SET_STR(self->clock_steer, value);
    else if (streq_(name, "connectors")) {
        if (s_int(value, 1, 8, &self->connectors) != 0) {
            snprintf(err, err_size, "--connectors must be 1..8, not '%s'", value);
            return -1;
        }
    }
    else if (streq_(name, "http"))      rc = SET_STR(self->http, value);
    else if (streq_(name, "hw")) {
        if (strcmp(value, "sim") != 0) {
            snprintf(err, err_size, "--hw: only 'sim' is available, not '%s'", value);
            return -1;
        }
        rc = SET_STR(self->hw, value);
    }
    else if (streq_(name, "log-level")) {
        cp_log_level_t level;
        if (cp_log_parse_level(value, &level) != 0) {
            snprintf(err, err_size, "--log-level must be error|warn|info|debug, not '%s'", value);
            return -1;
        }
        self->log_level = level;
    }
    else if (streq_(name, "vendor"))    rc = SET_STR(self->vendor, value);
    else if (streq_(name, "model"))     rc = SET_STR(self->model, value);
    else if (streq_(name, "serial"))    rc = SET_STR(self->serial, value);
    else if (streq_(name, "firmware"))  rc = SET_STR(self->firmware, value);
    else if (streq_(name, "firmware-installer")) rc = SET_STR(self->firmware_installer, value);
    else if (streq_(name, "restart-intensity")) {
        //  The policy keeps exactly this many restart times per actor.
        if (s_int(value, 1, CP_POLICY_INTENSITY_MAX, &self->restart_intensity) != 0) {
            snprintf(err, err_size, "restart-intensity must be 1..%d", CP_POLICY_INTENSITY_MAX);
            return -1;
        }
    }
    else if (streq_(name, "restart-global-intensity")) {
        if (s_int(value, 1, CP_POLICY_GLOBAL_INTENSITY_MAX, &self->restart_global_intensity) != 0) {
            snprintf(err, err_size, "restart-global-intensity must be 1..%d", CP_POLICY_GLOBAL_INTENSITY_MAX);
            return -1;
        }
        self->restart_global_given = true;
    }
    else if (streq_(name, "restart-period")) {
        if (s_int(value, 1, CP_POLICY_PERIOD_MAX_MS / 1000, &self->restart_period_s) != 0) {
            snprintf(err, err_size, "restart-period must be 1..%d seconds", CP_POLICY_PERIOD_MAX_MS / 1000);
            return -1;
        }
    }
    else if (streq_(name, "liveness-ms")) {
        //  Below the minimum a healthy actor would read as hung: pings
        //  come every CP_OPT_PING_MS and a store call may hold an actor
        //  for CP_STORE_BUSY_MS before it can answer.
        if (s_int(value, CP_OPT_LIVENESS_MIN_MS, 600000, &self->liveness_ms) != 0) {
            snprintf(err, err_size, "liveness-ms must be %d..600000 (pings every %d ms, a store call may "
                     "take %d ms)", CP_OPT_LIVENESS_MIN_MS, CP_OPT_PING_MS, CP_STORE_BUSY_MS);
            return -1;
        }
    }
    else {
        snprintf(err, err_size, "unknown option '%s'", name);
        return -1;
    }
    if (rc != 0)
        snprintf(err, err_size, "value of '%s' is too long", name);
    return rc;
}

static char *
s_trim(char *s)
{
    while (isspace((unsigned char) *s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char) end[-1]))
        *--end = '\0';
    return s;
}

static int
s_read_file(cp_options_t *self, const char *path, char *err, size_t err_size)
{
    FILE *file = fopen(path, "r");
    if (!file) {
        snprintf(err, err_size, "cannot read config file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), file)) {
        lineno++;
        char *text = s_trim(line);
        if (*text == '\0' || *text == '#' || *text == ';' || *text == '[')
            continue;
        char *eq = strchr(text, '=');
        if (!eq) {
            snprintf(err, err_size, "%s:%d: expected 'key = value'", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = s_trim(text), *value = s_trim(eq + 1);
        if (isupper((unsigned char) key[0])) {
            if (self->seed_count >= CP_OPT_MAX_SEED_KEYS
            ||  SET_STR(self->seed[self->seed_count].key, key) != 0
            ||  SET_STR(self->seed[self->seed_count].value, value) != 0) {
                snprintf(err, err_size, "%s:%d: too many or too long OCPP keys", path, lineno);
                rc = -1;
                break;
            }
            self->seed_count++;
        }
        else
        if (streq_(key, "config")) {
            snprintf(err, err_size, "%s:%d: 'config' cannot be set from a config file", path, lineno);
            rc = -1;
        }
        else
        if (s_apply(self, key, value, err, err_size) != 0) {
            char inner[256];
            snprintf(inner, sizeof(inner), "%s", err);
            snprintf(err, err_size, "%s:%d: %s", path, lineno, inner);
            rc = -1;
        }
    }
    fclose(file);
    return rc;
}

static bool
s_url_ok(const char *url)
{
    const char *host;
    if (strncmp(url, "ws://", 5) == 0)
        host = url + 5;
    else if (strncmp(url, "wss://", 6) == 0)
        host = url + 6;
    else
        return false;
    if (*host == '\0' || *host == '/' || *host == ':')
        return false;
    for (const char *p = url; *p; p++)
        if (isspace((unsigned char) *p) || !isprint((unsigned char) *p))
            return false;
    return true;
}

//  Walk argv; apply every option when apply is set, else just find --config.
static int
s_walk(cp_options_t *self, int argc, char **argv, bool apply, char *err, size_t err_size)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return apply ? 10 : 0;
        if (strcmp(arg, "--version") == 0)
            return apply ? 11 : 0;
        if (strcmp(arg, "--split") == 0) {
            self->split = true;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(err, err_size, "unexpected argument '%s'", arg);
            return -1;
        }
        const char *name = arg + 2;
        const char *value = NULL;
        char buf[64];
        const char *eq = strchr(name, '=');
        if (eq) {
            snprintf(buf, sizeof(buf), "%.*s", (int) (eq - name), name);
            name = buf;
            value = eq + 1;
        }
        else
        if (i + 1 < argc)
            value = argv[++i];
        else {
            snprintf(err, err_size, "option '%s' needs a value", arg);
            return -1;
        }
        if (!apply) {
            if (streq_(name, "config") && SET_STR(self->config_file, value) != 0) {
                snprintf(err, err_size, "config path too long");
                return -1;
            }
            continue;
        }
        if (s_apply(self, name, value, err, err_size) != 0)
            return -1;
    }
    return 0;
}

int
cp_options_parse(cp_options_t *self, int argc, char **argv, char *err, size_t err_size)
{
    cp_options_defaults(self);
    if (s_walk(self, argc, argv, false, err, err_size) != 0)
        return 2;
    if (self->config_file[0] && s_read_file(self, self->config_file, err, err_size) != 0)
        return 2;
    int rc = s_walk(self, argc, argv, true, err, err_size);
    if (rc == 10) {
        fputs(s_usage, stdout);
        return 1;
    }
    if (rc == 11) {
        printf("chargepointd %s\n", CP_VERSION);
        return 1;
    }
    if (rc != 0)
        return 2;
    const char *env = getenv("CHARGEPOINTD_PASSWORD");
    if (env && !self->password_given) {
        if (SET_STR(self->password, env) != 0) {
            snprintf(err, err_size, "CHARGEPOINTD_PASSWORD is too long");
            return 2;
        }
        self->password_given = true;
    }
    if (!self->client_cert[0] != !self->client_key[0]) {
        snprintf(err, err_size, "--client-cert and --client-key go together");
        return 2;
    }
    if (self->csms_url[0]) {
        if (!s_url_ok(self->csms_url)) {
            snprintf(err, err_size, "malformed central system URL '%s': expected ws://HOST[:PORT][/PATH] or wss://...",
                     self->csms_url);
            return 2;
        }
        if (!self->id[0]) {
            snprintf(err, err_size, "--csms needs --id (the Charge Point Identity)");
            return 2;
        }
    }
    if (self->id[0]) {
        for (const char *p = self->id; *p; p++)
            if (!isprint((unsigned char) *p)) {
                snprintf(err, err_size, "--id must be printable text");
                return 2;
            }
        if (strlen(self->id) > 48) {
            snprintf(err, err_size, "--id is longer than 48 characters");
            return 2;
        }
    }
    if (!self->control[0]
    &&  snprintf(self->control, sizeof(self->control), "ipc://%s/control", self->state_dir)
        >= (int) sizeof(self->control)) {
        snprintf(err, err_size, "state dir path too long");
        return 2;
    }
    if (!self->bus_prefix[0]) {
        //  Actors in separate processes need a bus that crosses processes.
        if (self->split
        &&  snprintf(self->bus_prefix, sizeof(self->bus_prefix), "ipc://%s/bus", self->state_dir)
            >= (int) sizeof(self->bus_prefix)) {
            snprintf(err, err_size, "state dir path too long for --split");
            return 2;
        }
        if (!self->split)
            snprintf(self->bus_prefix, sizeof(self->bus_prefix), "inproc://cp-bus");
    }
    if (self->split && strncmp(self->bus_prefix, "inproc://", 9) == 0) {
        snprintf(err, err_size, "--split needs an ipc:// or tcp:// bus, not %s", self->bus_prefix);
        return 2;
    }
    //  The global backstop: by default a few actors' worth of restarts,
    //  and never below one actor's own limit (that would make the
    //  per-actor limit meaningless).
    if (!self->restart_global_given) {
        int derived = CP_OPT_GLOBAL_FACTOR * self->restart_intensity;
        self->restart_global_intensity = derived < CP_POLICY_GLOBAL_INTENSITY_MAX ? derived
                                       : CP_POLICY_GLOBAL_INTENSITY_MAX;
    }
    if (self->restart_global_intensity < self->restart_intensity) {
        snprintf(err, err_size, "restart-global-intensity (%d) must not be below restart-intensity (%d)",
                 self->restart_global_intensity, self->restart_intensity);
        return 2;
    }
    self->argc = argc;
    self->argv = argv;
    return 0;
}
