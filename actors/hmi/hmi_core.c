/* hmi_core.c — see hmi_core.h for the mapping table and the rules. */
#include "actors/hmi/hmi_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    bool known;                     //  a tx_connector arrived
    char status[17];
    char error_code[33];
    char vendor_error_code[51];
    bool tx_active;
    bool plugged;
    bool locked;
    double power_w;
    bool authorized;                //  a token accepted during this Preparing
} conn_t;

struct _hmi_core_t {
    int connectors;
    conn_t conn[HMI_MAX_CONNECTORS + 1];
    hmi_ocpp_t ocpp;
    bool registered;
    bool free_charging;
    bool storage_failed;            //  store.state ok false
    int64_t token_deadline;         //  pending token: settle at; 0 = none
    int64_t rejected_until;         //  a refusal is shown until; 0 = none
    bool rejected_pin;              //  ... of a PIN (else of a card)
    char pin[HMI_PIN_MAX + 1];
    bool pin_active;
    bool pin_too_long;              //  more digits were typed than fit
    int64_t pin_deadline;
};

hmi_core_t *
hmi_core_new(int connectors)
{
    if (connectors < 1 || connectors > HMI_MAX_CONNECTORS)
        return NULL;
    hmi_core_t *self = calloc(1, sizeof(hmi_core_t));
    if (self)
        self->connectors = connectors;
    return self;
}

void
hmi_core_destroy(hmi_core_t **self_p)
{
    if (self_p && *self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}

int hmi_core_connectors(const hmi_core_t *self) { return self->connectors; }
hmi_ocpp_t hmi_core_ocpp(const hmi_core_t *self) { return self->ocpp; }
void hmi_core_set_free_charging(hmi_core_t *self, bool on) { self->free_charging = on; }
void hmi_core_set_storage(hmi_core_t *self, bool ok) { self->storage_failed = !ok; }

void
hmi_core_set_ocpp(hmi_core_t *self, const char *connection, const char *registration)
{
    if (strcmp(connection, "disabled") == 0)
        self->ocpp = HMI_OCPP_DISABLED;
    else
    if (strcmp(connection, "connected") == 0)
        self->ocpp = HMI_OCPP_CONNECTED;
    else
    if (strcmp(connection, "error") == 0)
        self->ocpp = HMI_OCPP_ERROR;
    else
        self->ocpp = HMI_OCPP_CONNECTING;
    self->registered = registration && strcmp(registration, "Accepted") == 0;
}

static void
s_accept(hmi_core_t *self, conn_t *c)
{
    c->authorized = true;
    self->token_deadline = 0;
}

void
hmi_core_on_tx(hmi_core_t *self, const cp_msg_tx_connector_t *tx, int64_t now)
{
    if (tx->connector < 1 || tx->connector > self->connectors)
        return;
    hmi_core_tick(self, now);
    conn_t *c = &self->conn[tx->connector];
    bool was_preparing = c->known && strcmp(c->status, "Preparing") == 0;
    bool tx_changed = c->known && c->tx_active != tx->tx_active;
    c->known = true;
    snprintf(c->status, sizeof(c->status), "%s", tx->status);
    snprintf(c->error_code, sizeof(c->error_code), "%s", tx->error_code);
    snprintf(c->vendor_error_code, sizeof(c->vendor_error_code), "%s", tx->vendor_error_code);
    c->tx_active = tx->tx_active;
    bool preparing = strcmp(c->status, "Preparing") == 0;
    if (!preparing)
        c->authorized = false;
    //  Preparing proves a card only when no plug caused it (card first).
    if (self->token_deadline && ((preparing && !was_preparing && !c->plugged) || tx_changed))
        s_accept(self, c);
}

void
hmi_core_on_hw(hmi_core_t *self, const cp_msg_hw_connector_t *hw)
{
    if (hw->connector < 1 || hw->connector > self->connectors)
        return;
    conn_t *c = &self->conn[hw->connector];
    c->plugged = hw->plugged;
    c->locked = hw->locked;
    c->power_w = hw->power_w;
}

void
hmi_core_on_token(hmi_core_t *self, const char *id_tag, int64_t now)
{
    (void) id_tag;
    self->token_deadline = now + HMI_TOKEN_WAIT_MS;
    self->rejected_until = 0;
    self->pin_active = false;       //  a card ends a PIN entry in progress
    self->pin[0] = 0;
}

int
hmi_core_key(hmi_core_t *self, char key, int64_t now, char *pin, size_t pin_size)
{
    hmi_core_tick(self, now);
    if (key >= '0' && key <= '9') {
        size_t len = self->pin_active ? strlen(self->pin) : 0;
        if (!self->pin_active)
            self->pin_too_long = false;
        if (len < HMI_PIN_MAX) {
            self->pin[len] = key;
            self->pin[len + 1] = 0;
        }
        else
            self->pin_too_long = true;
        self->pin_active = true;
        self->pin_deadline = now + HMI_PIN_IDLE_MS;
        return 0;
    }
    if (key == 'C') {
        self->pin_active = false;
        self->pin[0] = 0;
        return 0;
    }
    if (key == '#') {
        size_t len = self->pin_active ? strlen(self->pin) : 0;
        int submitted = len >= HMI_PIN_MIN && !self->pin_too_long ? 1 : 0;
        if (submitted && pin && pin_size)
            snprintf(pin, pin_size, "%s", self->pin);
        if (len > 0 && !submitted) {
            self->rejected_until = now + HMI_REJECTED_SHOW_MS;
            self->rejected_pin = true;
        }
        self->pin_active = false;
        self->pin_too_long = false;
        memset(self->pin, 0, sizeof(self->pin));
        return submitted;
    }
    return -1;
}

void
hmi_core_tick(hmi_core_t *self, int64_t now)
{
    if (self->token_deadline && now >= self->token_deadline) {
        self->token_deadline = 0;
        self->rejected_until = now + HMI_REJECTED_SHOW_MS;
        self->rejected_pin = false;
    }
    if (self->rejected_until && now >= self->rejected_until)
        self->rejected_until = 0;
    if (self->pin_active && now >= self->pin_deadline) {
        self->pin_active = false;
        self->pin[0] = 0;
    }
}

int64_t
hmi_core_next_delay(const hmi_core_t *self, int64_t now)
{
    int64_t due = -1;
    int64_t at[3] = { self->token_deadline, self->rejected_until,
                      self->pin_active ? self->pin_deadline : 0 };
    for (int i = 0; i < 3; i++)
        if (at[i] && (due < 0 || at[i] < due))
            due = at[i];
    if (due < 0)
        return -1;
    return due > now ? due - now : 0;
}

static void
s_set(hmi_view_t *view, const char *halo, const char *pattern, const char *display)
{
    //  Display lines are cut to the display's width on purpose.
    if (snprintf(view->halo, sizeof(view->halo), "%s", halo) >= (int) sizeof(view->halo)
        || snprintf(view->pattern, sizeof(view->pattern), "%s", pattern) >= (int) sizeof(view->pattern)
        || snprintf(view->display, sizeof(view->display), "%s", display) >= (int) sizeof(view->display))
        view->display[sizeof(view->display) - 1] = '\0';
}

int
hmi_core_view(hmi_core_t *self, int connector, int64_t now, hmi_view_t *view)
{
    if (connector < 1 || connector > self->connectors)
        return -1;
    hmi_core_tick(self, now);
    memset(view, 0, sizeof(*view));     //  comparable with memcmp
    const conn_t *c = &self->conn[connector];
    const char *st = c->status;
    char line[128];                 //  longer than the display: s_set truncates

    if (c->known && strcmp(st, "Faulted") == 0) {                         //  1
        snprintf(line, sizeof(line), "Fault: %s%s%s", c->error_code[0] ? c->error_code : "OtherError",
                 c->vendor_error_code[0] ? " " : "", c->vendor_error_code);
        s_set(view, "red", "blink", line);
    }
    else
    if (self->pin_active) {                                                 //  2
        size_t len = strlen(self->pin);
        char stars[HMI_PIN_MAX + 1];
        memset(stars, '*', len);
        stars[len] = 0;
        snprintf(line, sizeof(line), "Enter PIN: %s", stars);
        s_set(view, "cyan", "steady", line);
    }
    else
    if (self->rejected_until)                                               //  3
        s_set(view, "red", "blink", self->rejected_pin ? "PIN not accepted" : "Card not accepted");
    else
    if (!c->known)                                                          //  4
        s_set(view, "white", "pulse", "Starting");
    else
    if (strcmp(st, "Available") == 0) {
        if (self->ocpp == HMI_OCPP_CONNECTING
            || (self->ocpp == HMI_OCPP_CONNECTED && !self->registered))     //  5
            s_set(view, "cyan", "pulse", "OCPP connecting");
        else
        if (self->ocpp == HMI_OCPP_ERROR)                                   //  6
            s_set(view, "red", "steady", "OCPP connection error");
        else
        if (self->storage_failed)                                           //  6b
            s_set(view, "red", "steady", "Storage failure - service");
        else
        if (self->free_charging)                                            //  7
            s_set(view, "yellow", "steady", "Plug in to charge");
        else
        if (c->locked)                                                      //  8
            s_set(view, "white", "steady", "Locked - present card");
        else                                                                //  9
            s_set(view, "green", "steady", "Available");
    }
    else
    if (strcmp(st, "Preparing") == 0) {
        bool authorized = c->authorized || c->tx_active || self->free_charging;
        if (authorized && !c->plugged)                                      //  10
            s_set(view, "blue", "pulse", "Authorized - plug in");
        else
        if (authorized)                                                     //  11
            s_set(view, "blue", "pulse", "Authorized");
        else                                                                //  12
            s_set(view, "blue", "pulse", "Present card");
    }
    else
    if (strcmp(st, "Charging") == 0) {                                      //  13
        if (c->power_w > 0)
            snprintf(line, sizeof(line), "Charging %.1f kW", c->power_w / 1000.0);
        else
            snprintf(line, sizeof(line), "Charging");
        s_set(view, "green", "pulse", line);
    }
    else
    if (strcmp(st, "SuspendedEV") == 0)                                     //  14
        s_set(view, "green", "steady", "Paused by vehicle");
    else
    if (strcmp(st, "SuspendedEVSE") == 0)                                   //  15
        s_set(view, "green", "steady", "Paused by charger");
    else
    if (strcmp(st, "Finishing") == 0)                                       //  16
        s_set(view, "blue", "steady", "Unplug");
    else
    if (strcmp(st, "Reserved") == 0)                                        //  17
        s_set(view, "purple", "steady", "Reserved");
    else
    if (strcmp(st, "Unavailable") == 0)                                     //  18
        s_set(view, "off", "steady", "Unavailable");
    else                                                                    //  19
        s_set(view, "white", "steady", st);
    return 0;
}
