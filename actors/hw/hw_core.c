/* hw_core.c — the hw actor's pure decisions (see hw_core.h).
 *
 * No sockets, no clock, no driver: time comes in as a number and state as
 * a struct, so every rule here is a unit test away from being checked.
 */
#include "actors/hw/hw_core.h"
#include "supervisor/log.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Dead bands for measured values. The simulator's values are exact, but a
//  real meter's jitter would otherwise turn every 250 ms read into an
//  event. Differences accumulate against the last *published* state, so a
//  slow drift is still published once it exceeds the band.
#define HW_CORE_BAND_CURRENT_A  0.1
#define HW_CORE_BAND_POWER_W    50.0
#define HW_CORE_BAND_VOLTAGE_V  2.0
#define HW_CORE_BAND_TEMP_C     0.5
#define HW_CORE_BAND_GRID_A     0.2

typedef struct {
    bool valid;                 //  published at least once
    hw_connector_state_t state; //  as last published
    int64_t at_ms;              //  when
} hw_core_last_t;

struct _hw_core_t {
    int connectors;
    hw_core_last_t last[HW_MAX_CONNECTORS];
    //  the grid meter, as last published
    bool grid_valid;
    hw_grid_state_t grid;
    int64_t grid_at_ms;
};

hw_core_t *
hw_core_new(int connectors)
{
    if (connectors < 1 || connectors > HW_MAX_CONNECTORS)
        return NULL;
    hw_core_t *self = calloc(1, sizeof(hw_core_t));
    if (self)
        self->connectors = connectors;
    return self;
}

void
hw_core_destroy(hw_core_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

int
hw_core_connectors(const hw_core_t *self)
{
    assert(self);
    return self->connectors;
}

static bool
s_differs(double a, double b, double band)
{
    //  NaN from a broken sensor compares unequal to everything: publish it.
    return !(fabs(a - b) <= band);
}

bool
hw_core_state_changed(const hw_connector_state_t *a, const hw_connector_state_t *b)
{
    assert(a && b);
    return a->connector != b->connector
        || hw_connector_stepped(a, b)
        || s_differs(a->current_a, b->current_a, HW_CORE_BAND_CURRENT_A)
        || s_differs(a->power_w, b->power_w, HW_CORE_BAND_POWER_W)
        || s_differs(a->voltage_v, b->voltage_v, HW_CORE_BAND_VOLTAGE_V)
        || s_differs(a->temperature_c, b->temperature_c, HW_CORE_BAND_TEMP_C);
}

//  Periodic rules are checked on a 250 ms tick, so "every period" is met
//  by the first tick at or after period - tick/2: without the slack a
//  tick landing a hair early would push the event a whole tick late.
static bool
s_due(int64_t elapsed_ms, int64_t period_ms)
{
    return elapsed_ms >= period_ms - HW_CORE_TICK_MS / 2;
}

hw_publish_t
hw_core_decide(const hw_core_t *self, const hw_connector_state_t *state, int64_t now_ms)
{
    assert(self && state);
    assert(state->connector >= 1 && state->connector <= self->connectors);
    const hw_core_last_t *last = &self->last[state->connector - 1];
    if (!last->valid)
        return HW_PUBLISH_FIRST;
    if (hw_core_state_changed(&last->state, state))
        return HW_PUBLISH_CHANGE;
    int64_t elapsed = now_ms - last->at_ms;
    if (state->power_w > 0 && s_due(elapsed, HW_CORE_ENERGY_MS))
        return HW_PUBLISH_ENERGY;
    if (s_due(elapsed, HW_CORE_REFRESH_MS))
        return HW_PUBLISH_REFRESH;
    return HW_PUBLISH_NONE;
}

void
hw_core_published(hw_core_t *self, const hw_connector_state_t *state, int64_t now_ms)
{
    assert(self && state);
    assert(state->connector >= 1 && state->connector <= self->connectors);
    hw_core_last_t *last = &self->last[state->connector - 1];
    last->valid = true;
    last->state = *state;
    last->at_ms = now_ms;
}

bool
hw_core_at_rest(const hw_core_t *self)
{
    assert(self);
    for (int i = 0; i < self->connectors; i++) {
        const hw_core_last_t *last = &self->last[i];
        const hw_connector_state_t *s = &last->state;
        if (!last->valid || s->plugged || s->ev_requesting || s->contactor_closed || s->power_w > 0
        ||  s->pilot != 'A' || strncmp(s->fault, "none", sizeof(s->fault)) != 0)
            return false;
    }
    return true;
}

int64_t
hw_core_next_refresh(const hw_core_t *self)
{
    assert(self);
    int64_t next = INT64_MAX;
    for (int i = 0; i < self->connectors; i++) {
        int64_t due = self->last[i].valid ? self->last[i].at_ms + HW_CORE_REFRESH_MS : 0;
        if (due < next)
            next = due;
    }
    return next;
}

void
hw_core_reset(hw_core_t *self)
{
    assert(self);
    memset(self->last, 0, sizeof(self->last));
    self->grid_valid = false;
}

bool
hw_core_grid_decide(const hw_core_t *self, const hw_grid_state_t *grid, int64_t now_ms)
{
    assert(self && grid);
    return !self->grid_valid || grid->ok != self->grid.ok
        || s_differs(grid->current_a, self->grid.current_a, HW_CORE_BAND_GRID_A)
        || s_due(now_ms - self->grid_at_ms, HW_CORE_GRID_REFRESH_MS);
}

void
hw_core_grid_published(hw_core_t *self, const hw_grid_state_t *grid, int64_t now_ms)
{
    assert(self && grid);
    self->grid_valid = true;
    self->grid = *grid;
    self->grid_at_ms = now_ms;
}

//  --------------------------------------------------------------------------
//  Commands

int
hw_core_check_idtag(const char *idtag, char *out, size_t out_size, char *reason, size_t reason_size)
{
    assert(idtag && out && out_size > HW_CORE_IDTAG_MAX);
    size_t len = strlen(idtag);
    if (len < 1 || len > HW_CORE_IDTAG_MAX) {
        cp_refuse(reason, reason_size, "idTag must be 1..%d characters (got %zu)",
                 HW_CORE_IDTAG_MAX, len);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char) idtag[i];
        //  OCPP CiString: printable ASCII only; anything else would break
        //  the JSON the CSMS receives or compare differently there.
        if (ch < 0x20 || ch > 0x7e) {
            cp_refuse(reason, reason_size, "idTag has a non-printable character at %zu", i);
            return -1;
        }
    }
    snprintf(out, out_size, "%s", idtag);
    return 0;
}

int
hw_core_check_rfid(const char *uid_hex, char *out, size_t out_size, char *reason, size_t reason_size)
{
    assert(uid_hex && out && out_size > 20);
    size_t len = strlen(uid_hex);
    for (size_t i = 0; i < len; i++)
        if (!isxdigit((unsigned char) uid_hex[i])) {
            cp_refuse(reason, reason_size, "RFID UID must be hex digits (bad character at %zu)", i);
            return -1;
        }
    //  ISO 14443 UIDs are 4, 7 or 10 bytes (single, double, triple size).
    if (len != 8 && len != 14 && len != 20) {
        cp_refuse(reason, reason_size,
                 "RFID UID must be 4, 7 or 10 bytes (8, 14 or 20 hex digits), got %zu digits", len);
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        out[i] = (char) toupper((unsigned char) uid_hex[i]);
    out[len] = '\0';
    return 0;
}

int
hw_core_check_pin(const char *pin, char *out, size_t out_size, char *reason, size_t reason_size)
{
    assert(pin && out && out_size > HW_CORE_PIN_MAX);
    size_t len = strlen(pin);
    bool digits = len > 0;
    for (size_t i = 0; i < len; i++)
        digits = digits && isdigit((unsigned char) pin[i]);
    if (!digits || len < HW_CORE_PIN_MIN || len > HW_CORE_PIN_MAX) {
        cp_refuse(reason, reason_size, "PIN must be %d..%d digits", HW_CORE_PIN_MIN, HW_CORE_PIN_MAX);
        return -1;
    }
    snprintf(out, out_size, "%s", pin);
    return 0;
}

static int
s_check_connector(int64_t connector, int connectors, char *reason, size_t reason_size)
{
    if (connector < 1 || connector > connectors) {
        cp_refuse(reason, reason_size, "unknown connector %lld (this charger has %d)",
                 (long long) connector, connectors);
        return -1;
    }
    return 0;
}

//  contactor / lock take value 1 or 0 and nothing else: a typo must not
//  silently close a contactor.
static int
s_check_flag(const char *command, double value, bool *flag, char *reason, size_t reason_size)
{
    if (value == 1.0 || value == 0.0) {
        *flag = value == 1.0;
        return 0;
    }
    cp_refuse(reason, reason_size, "%s takes value 1 or 0", command);
    return -1;
}

int
hw_core_parse_command(const cp_msg_hw_command_t *command, int connectors, hw_action_t *out,
                      char *reason, size_t reason_size)
{
    assert(command && out);
    assert(connectors >= 1 && connectors <= HW_MAX_CONNECTORS);
    memset(out, 0, sizeof(*out));
    cp_refuse(reason, reason_size, "%s", "");
    const char *cmd = command->command;
    const char *arg = command->arg;

    //  Tokens come from the charger's one reader, whatever the connector.
    if (strcmp(cmd, "swipe") == 0 || strcmp(cmd, "rfid") == 0 || strcmp(cmd, "pin") == 0) {
        out->kind = HW_ACTION_TOKEN;
        int rc;
        if (strcmp(cmd, "swipe") == 0) {
            out->source = "card";
            rc = hw_core_check_idtag(arg, out->token, sizeof(out->token), reason, reason_size);
        }
        else
        if (strcmp(cmd, "rfid") == 0) {
            out->source = "rfid";
            rc = hw_core_check_rfid(arg, out->token, sizeof(out->token), reason, reason_size);
        }
        else {
            out->source = "pin";
            rc = hw_core_check_pin(arg, out->token, sizeof(out->token), reason, reason_size);
        }
        return rc;
    }

    //  Keypad presses, in order: digits, 'C' (clear), '#' (submit).
    if (strcmp(cmd, "key") == 0) {
        size_t len = strlen(arg);
        bool valid = len >= 1 && len <= HW_CORE_KEYS_MAX;
        for (size_t i = 0; valid && i < len; i++)
            valid = (arg[i] >= '0' && arg[i] <= '9') || arg[i] == 'C' || arg[i] == '#';
        if (!valid) {
            cp_refuse(reason, reason_size, "key takes 1..%d keypad keys: 0-9, C (clear), # (submit)",
                     HW_CORE_KEYS_MAX);
            return -1;
        }
        out->kind = HW_ACTION_KEYS;
        snprintf(out->token, sizeof(out->token), "%s", arg);
        return 0;
    }

    //  The household grid meter of the simulator: connector 0, the
    //  driver validates the operand (a load in A, off, on).
    if (strcmp(cmd, "grid") == 0) {
        if (command->connector != 0 || !arg[0]) {
            cp_refuse(reason, reason_size, "grid takes connector 0 and a household load in A, off or on");
            return -1;
        }
        out->kind = HW_ACTION_SIMULATE;
        out->connector = 0;
        snprintf(out->command, sizeof(out->command), "%s", cmd);
        snprintf(out->arg, sizeof(out->arg), "%s", arg);
        return 0;
    }

    //  The enclosure's tamper switch of the simulator: charger-wide.
    if (strcmp(cmd, "tamper") == 0) {
        if (command->connector != 0 || (strcmp(arg, "open") != 0 && strcmp(arg, "closed") != 0)) {
            cp_refuse(reason, reason_size, "tamper takes connector 0 and open or closed");
            return -1;
        }
        out->kind = HW_ACTION_SIMULATE;
        out->connector = 0;
        snprintf(out->command, sizeof(out->command), "%s", cmd);
        snprintf(out->arg, sizeof(out->arg), "%s", arg);
        return 0;
    }

    bool simulate = strcmp(cmd, "plug") == 0 || strcmp(cmd, "unplug") == 0
                 || strcmp(cmd, "ev_charge") == 0 || strcmp(cmd, "ev_pause") == 0
                 || strcmp(cmd, "fault") == 0;
    bool known = simulate || strcmp(cmd, "contactor") == 0 || strcmp(cmd, "lock") == 0
              || strcmp(cmd, "offer") == 0;
    if (!known) {
        cp_refuse(reason, reason_size,
                 "unknown hw command '%s' (plug unplug ev_charge ev_pause fault contactor "
                 "lock offer swipe rfid pin key grid tamper)", cmd);
        return -1;
    }
    if (s_check_connector(command->connector, connectors, reason, reason_size) != 0)
        return -1;
    out->connector = (int) command->connector;

    if (simulate) {
        out->kind = HW_ACTION_SIMULATE;
        snprintf(out->command, sizeof(out->command), "%s", cmd);
        if (strcmp(cmd, "fault") == 0) {
            if (strcmp(arg, "rcd") != 0 && strcmp(arg, "ground") != 0
            &&  strcmp(arg, "overcurrent") != 0 && strcmp(arg, "overtemp") != 0
            &&  strcmp(arg, "welding") != 0 && strcmp(arg, "clear") != 0) {
                cp_refuse(reason, reason_size,
                         "unknown fault '%s' (rcd|ground|overcurrent|overtemp|welding|clear)", arg);
                return -1;
            }
            snprintf(out->arg, sizeof(out->arg), "%s", arg);
        }
        return 0;
    }
    if (strcmp(cmd, "contactor") == 0) {
        out->kind = HW_ACTION_CONTACTOR;
        return s_check_flag(cmd, command->value, &out->flag, reason, reason_size);
    }
    if (strcmp(cmd, "lock") == 0) {
        out->kind = HW_ACTION_LOCK;
        return s_check_flag(cmd, command->value, &out->flag, reason, reason_size);
    }
    //  offer: the driver clamps to what its pilot can express; only values
    //  that mean nothing at all are refused here.
    out->kind = HW_ACTION_OFFER;
    if (!isfinite(command->value) || command->value < 0) {
        cp_refuse(reason, reason_size, "offer takes a current in amperes >= 0");
        return -1;
    }
    out->amps = command->value;
    return 0;
}

//  --------------------------------------------------------------------------

void
hw_core_state_to_msg(const hw_connector_state_t *state, cp_msg_hw_connector_t *out)
{
    assert(state && out);
    memset(out, 0, sizeof(*out));
    out->connector = state->connector;
    out->plugged = state->plugged;
    out->pilot[0] = state->pilot;
    out->pilot[1] = '\0';
    out->ev_requesting = state->ev_requesting;
    out->contactor_closed = state->contactor_closed;
    out->locked = state->locked;
    out->energy_wh = state->energy_wh;
    out->power_w = state->power_w;
    out->current_a = state->current_a;
    out->voltage_v = state->voltage_v;
    out->requested_a = state->requested_a;
    out->offered_a = state->offered_a;
    out->duty_pct = state->duty_pct;
    out->temperature_c = state->temperature_c;
    out->board_continuous = state->board_continuous;
    out->left_away = state->left_away;
    out->tamper = state->tamper;
    out->left_wh = state->left_wh;
    //  The driver's fault is a fixed buffer: copy at most its size, and
    //  say "none" rather than "" so that subscribers never guess.
    size_t len = strnlen(state->fault, sizeof(state->fault));
    if (len == 0)
        snprintf(out->fault, sizeof(out->fault), "none");
    else
        snprintf(out->fault, sizeof(out->fault), "%.*s", (int) len, state->fault);
}

void
hw_core_topic(int connector, char *out, size_t out_size)
{
    assert(out && out_size > 0);
    snprintf(out, out_size, "hw.connector.%d", connector);
}
