/* sim.c — the simulated charger and EV (see sim.h for the model).
 *
 * Physical quantities are derived, never stored: current, power, pilot
 * and temperature are computed from the inputs (plug, EV request,
 * contactor, offer, fault) whenever they are needed, so they cannot drift
 * out of step with those inputs. The only integrated quantity is energy:
 * the power is constant between two input changes, so before any input
 * changes, and on every read, the meter adds power × elapsed time at the
 * power that held during that interval. This makes the meter exact
 * however irregularly it is read.
 *
 * The safety interlock (hw.h safety_feed / safety_permit) is enforced at
 * the top of every op, under the mutex, against the clock: a watchdog
 * that expired between two calls opens the contactors as of its expiry
 * instant (the meter stops counting there), so it does not matter how
 * late the next caller comes. A real board does this in hardware (a
 * timer that drops the contactor coil supply); the simulator does it
 * lazily, which is observably the same because nobody can see the
 * contactor without calling the driver.
 */
#include "hw/sim/sim.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hw/pilot.h"
#include "supervisor/log.h"

typedef enum {
    SIM_FAULT_NONE = 0,
    SIM_FAULT_RCD,
    SIM_FAULT_GROUND,
    SIM_FAULT_OVERCURRENT,
    SIM_FAULT_OVERTEMP,
    SIM_FAULT_WELDING
} sim_fault_t;

static const char *const s_fault_names[] = {
    [SIM_FAULT_NONE] = "none",
    [SIM_FAULT_RCD] = "rcd",
    [SIM_FAULT_GROUND] = "ground",
    [SIM_FAULT_OVERCURRENT] = "overcurrent",
    [SIM_FAULT_OVERTEMP] = "overtemp",
    [SIM_FAULT_WELDING] = "welding",
};

#define SIM_FAULT_KINDS "rcd|ground|overcurrent|overtemp|welding|clear"

typedef struct {
    //  Inputs: what the car, the cable and the controller did.
    bool plugged;
    bool ev_requesting;
    bool contactor_closed;         //  what the controller commanded
    bool welded;                   //  the contacts are stuck closed (welding fault)
    bool locked;
    double requested_a;            //  the offer the controller asked for
    sim_fault_t fault;
    //  The safety path: permission to close and the derating cap.
    bool permitted;
    double cap_a;                  //  0 = none
    bool earth_monitor_off;        //  TT supply: a "ground" condition is not reported
    //  The meter: energy up to meter_ms.
    double energy_wh;
    int64_t meter_ms;
} sim_connector_t;

typedef struct {
    hw_driver_t driver;            //  handed out; driver.impl points back here
    pthread_mutex_t mutex;
    cp_clock_t *clock;             //  borrowed
    int count;
    sim_connector_t connectors[HW_MAX_CONNECTORS];
    //  The safety watchdog: never armed at power-on (fail-safe).
    bool armed;
    int64_t fed_ms;
    int timeout_ms;
    //  safety_rest: the permissions are kept until then (0: not resting),
    //  while the contactors stay open unless a feed arms them.
    int64_t rest_until_ms;
    //  The household behind the grid meter (Power Boost).
    double house_load_a;           //  per phase, without the charger
    bool grid_silent;              //  the meter stopped answering
    bool tamper;                   //  the enclosure is open (its tamper switch)
} sim_t;


//  --------------------------------------------------------------------------
//  The model (callers hold the mutex)

//  The fault the board reports: a PE-N ("ground") condition only while
//  the earth monitor is armed (TN).
static sim_fault_t
s_fault(const sim_connector_t *c)
{
    return c->fault == SIM_FAULT_GROUND && c->earth_monitor_off ? SIM_FAULT_NONE : c->fault;
}

static char
s_pilot(const sim_connector_t *c)
{
    //  The EVSE drives -12 V on any fault, whether or not a car is there.
    if (s_fault(c) != SIM_FAULT_NONE)
        return 'F';
    if (!c->plugged)
        return 'A';
    return c->ev_requesting ? 'C' : 'B';
}

//  What the pilot offers: the controller's request, capped by the safety
//  path's derating.
static double
s_offered(const sim_connector_t *c)
{
    return c->cap_a > 0 ? fmin(c->requested_a, c->cap_a) : c->requested_a;
}

//  The pilot's duty cycle for that offer (IEC 61851-1; 100 % = no PWM).
static double
s_duty(const sim_connector_t *c)
{
    return hw_pilot_duty_pct(s_offered(c));
}

//  Per-phase current the EV draws: what it decodes from the duty cycle
//  (to the 10 mA its charger controls), up to its own maximum. An
//  overcurrent fault is the EV misbehaving: it keeps drawing (past its
//  offer) although the pilot shows F, until the controller opens the
//  contactor. Any other fault stops it.
static double
s_current(const sim_connector_t *c)
{
    double allowed = round(hw_pilot_current_a(s_duty(c)) * 100.0) / 100.0;
    bool draws = c->contactor_closed && c->plugged && c->ev_requesting
              && allowed >= HW_SIM_MIN_CHARGE_A;
    if (!draws)
        return 0.0;
    if (c->fault == SIM_FAULT_OVERCURRENT)
        return allowed + HW_SIM_OVERCURRENT_A;
    if (s_fault(c) != SIM_FAULT_NONE)
        return 0.0;
    return fmin(allowed, HW_SIM_EV_MAX_A);
}

static double
s_power(const sim_connector_t *c)
{
    return s_current(c) * HW_SIM_VOLTAGE_V * HW_SIM_PHASES;
}

//  Bring the meter up to now at the power that held since the last update.
//  Must run before any input changes, or the new power would be charged
//  for time that passed under the old one.
static void
s_meter_update_to(sim_connector_t *c, int64_t now)
{
    int64_t elapsed = now - c->meter_ms;
    //  A monotonic clock never goes back; if one did, count nothing rather
    //  than make the register decrease.
    if (elapsed > 0)
        c->energy_wh += s_power(c) * (double) elapsed / 3600000.0;
    if (now > c->meter_ms)
        c->meter_ms = now;
}

static void
s_meter_update(sim_t *self, sim_connector_t *c)
{
    s_meter_update_to(c, cp_clock_mono_ms(self->clock));
}

//  The controller (or the safety path) opens the contactor. A welding
//  fault keeps the contacts of a closed contactor stuck together.
static void
s_open(sim_connector_t *c)
{
    if (c->contactor_closed && c->fault == SIM_FAULT_WELDING)
        c->welded = true;
    c->contactor_closed = false;
}

//  The interlock (mutex held; run first in every op). An expired watchdog
//  disarms, forgets every permission and opens every contactor as of the
//  expiry instant; a connector without permission is never closed.
static void
s_enforce(sim_t *self)
{
    int64_t now = cp_clock_mono_ms(self->clock);
    bool expired = self->armed && !hw_sim_watchdog_ok(true, self->fed_ms, self->timeout_ms, now);
    int64_t expiry = self->fed_ms + self->timeout_ms;
    //  A rest keeps the permissions (not the contactors) past the expiry;
    //  a rest that ran out with nothing armed forgets them too.
    bool resting = self->rest_until_ms && now <= self->rest_until_ms;
    bool rest_over = self->rest_until_ms && !resting && (!self->armed || expired);
    for (int i = 0; i < self->count; i++) {
        sim_connector_t *c = &self->connectors[i];
        if (expired) {
            //  Energy stopped when the watchdog ran out, not when we noticed.
            if (c->contactor_closed)
                s_meter_update_to(c, expiry);
            if (!resting)
                c->permitted = false;
        }
        if (rest_over)
            c->permitted = false;
        if (c->contactor_closed && (expired || !self->armed || !c->permitted)) {
            s_meter_update_to(c, expired ? expiry : now);
            s_open(c);
        }
    }
    if (expired)
        self->armed = false;
    if (rest_over)
        self->rest_until_ms = 0;
}

static bool
s_may_close(const sim_t *self, const sim_connector_t *c)
{
    return self->armed && c->permitted;
}

static void
s_fill(const sim_connector_t *c, int connector, hw_connector_state_t *out)
{
    memset(out, 0, sizeof(*out));
    out->connector = connector;
    out->plugged = c->plugged;
    out->pilot = s_pilot(c);
    out->ev_requesting = c->plugged && c->ev_requesting;
    out->contactor_closed = c->contactor_closed;
    out->locked = c->locked;
    out->energy_wh = c->energy_wh;
    out->current_a = s_current(c);
    out->power_w = s_power(c);
    out->voltage_v = HW_SIM_VOLTAGE_V;
    out->requested_a = c->requested_a;
    out->offered_a = s_offered(c);
    out->duty_pct = s_duty(c);
    out->temperature_c = c->fault == SIM_FAULT_OVERTEMP
                       ? HW_SIM_OVERTEMP_C
                       : HW_SIM_AMBIENT_C + out->current_a * HW_SIM_HEAT_C_PER_A;
    snprintf(out->fault, sizeof(out->fault), "%s", s_fault_names[s_fault(c)]);
    out->permitted = c->permitted;
    out->safety_cap_a = c->cap_a;
    //  The load side is live whenever the contacts touch, commanded or not.
    out->voltage_after_open_v = c->contactor_closed || c->welded ? HW_SIM_VOLTAGE_V : 0.0;
}

static bool
s_eq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

//  Connector n (1-based), or NULL if the charger has no such connector.
static sim_connector_t *
s_connector(sim_t *self, int connector)
{
    if (connector < 1 || connector > self->count)
        return NULL;
    return &self->connectors[connector - 1];
}

//  --------------------------------------------------------------------------
//  The ops table

static int
s_connector_count(hw_driver_t *driver)
{
    assert(driver && driver->impl);
    sim_t *self = driver->impl;
    return self->count;     //  immutable after hw_sim_new: no lock needed
}

static int
s_read(hw_driver_t *driver, int connector, hw_connector_state_t *out)
{
    assert(driver && driver->impl && out);
    sim_t *self = driver->impl;
    pthread_mutex_lock(&self->mutex);
    s_enforce(self);
    sim_connector_t *c = s_connector(self, connector);
    if (c) {
        s_meter_update(self, c);
        s_fill(c, connector, out);
        out->tamper = self->tamper;
    }
    pthread_mutex_unlock(&self->mutex);
    return c ? 0 : -1;
}

static int
s_set_contactor(hw_driver_t *driver, int connector, bool closed)
{
    assert(driver && driver->impl);
    sim_t *self = driver->impl;
    pthread_mutex_lock(&self->mutex);
    s_enforce(self);
    sim_connector_t *c = s_connector(self, connector);
    int rc = -1;
    if (c && (!closed || s_may_close(self, c))) {
        s_meter_update(self, c);
        if (closed)
            c->contactor_closed = true;
        else
            s_open(c);
        rc = 0;
    }
    //  Closing without the safety path's approval is refused: the
    //  contactor stays open.
    pthread_mutex_unlock(&self->mutex);
    return rc;
}

static int
s_set_lock(hw_driver_t *driver, int connector, bool locked)
{
    assert(driver && driver->impl);
    sim_t *self = driver->impl;
    pthread_mutex_lock(&self->mutex);
    s_enforce(self);
    sim_connector_t *c = s_connector(self, connector);
    if (c)
        c->locked = locked;     //  the lock does not affect power
    pthread_mutex_unlock(&self->mutex);
    return c ? 0 : -1;
}

static int
s_set_offered_current(hw_driver_t *driver, int connector, double amps)
{
    assert(driver && driver->impl);
    sim_t *self = driver->impl;
    //  NaN would poison every comparison of the model; refuse it outright.
    if (isnan(amps))
        return -1;
    pthread_mutex_lock(&self->mutex);
    s_enforce(self);
    sim_connector_t *c = s_connector(self, connector);
    if (c) {
        s_meter_update(self, c);
        //  The pilot PWM can only express 0..80 A, like the real hardware.
        c->requested_a = fmax(0.0, fmin(amps, HW_SIM_MAX_OFFER_A));
    }
    pthread_mutex_unlock(&self->mutex);
    return c ? 0 : -1;
}

//  One simulate command on connector c (mutex held). 0, or -1 with reason.
static int
s_simulate_locked(sim_t *self, sim_connector_t *c, int connector, const char *command,
                  const char *arg, char *reason, size_t reason_size)
{
    s_meter_update(self, c);
    if (s_eq(command, "plug")) {
        if (c->plugged) {
            cp_refuse(reason, reason_size, "connector %d: already plugged", connector);
            return -1;
        }
        //  A car that was just plugged in has not asked for energy yet: B.
        c->plugged = true;
        c->ev_requesting = false;
        return 0;
    }
    if (s_eq(command, "unplug")) {
        if (!c->plugged) {
            cp_refuse(reason, reason_size, "connector %d: not plugged", connector);
            return -1;
        }
        c->plugged = false;
        c->ev_requesting = false;
        return 0;
    }
    if (s_eq(command, "ev_charge") || s_eq(command, "ev_pause")) {
        if (!c->plugged) {
            cp_refuse(reason, reason_size, "connector %d: no EV plugged in", connector);
            return -1;
        }
        //  Idempotent, like a car repeating its request.
        c->ev_requesting = s_eq(command, "ev_charge");
        return 0;
    }
    if (s_eq(command, "fault")) {
        if (!arg || !*arg) {
            cp_refuse(reason, reason_size,
                     "fault needs a kind: " SIM_FAULT_KINDS);
            return -1;
        }
        if (s_eq(arg, "clear")) {
            //  Clearing a welding fault frees the contacts: they follow
            //  the command again.
            c->fault = SIM_FAULT_NONE;
            c->welded = false;
            return 0;
        }
        for (size_t i = SIM_FAULT_NONE + 1; i < sizeof(s_fault_names) / sizeof(s_fault_names[0]); i++)
            if (s_eq(arg, s_fault_names[i])) {
                //  One fault at a time: the latest injection replaces any other.
                c->fault = (sim_fault_t) i;
                if (c->fault != SIM_FAULT_WELDING)
                    c->welded = false;
                return 0;
            }
        cp_refuse(reason, reason_size,
                 "unknown fault '%.32s' (" SIM_FAULT_KINDS ")", arg);
        return -1;
    }
    cp_refuse(reason, reason_size,
             "unknown command '%.32s' (plug|unplug|ev_charge|ev_pause|fault; grid, tamper on connector 0)", command);
    return -1;
}

//  The household: "grid LOAD_A" sets what the house draws per phase
//  besides the charger, "off" silences the meter, "on" revives it.
static int
s_simulate_grid(sim_t *self, const char *arg, char *reason, size_t reason_size)
{
    if (arg && s_eq(arg, "off")) {
        self->grid_silent = true;
        return 0;
    }
    if (arg && s_eq(arg, "on")) {
        self->grid_silent = false;
        return 0;
    }
    char *end = NULL;
    double load = arg ? strtod(arg, &end) : NAN;
    if (!arg || !*arg || end == arg || *end || !(load >= 0 && load <= HW_SIM_MAX_HOUSE_A)) {
        cp_refuse(reason, reason_size, "grid takes the household load in A (0..%.0f), off or on",
                 HW_SIM_MAX_HOUSE_A);
        return -1;
    }
    self->house_load_a = load;
    return 0;
}

static int
s_read_grid(hw_driver_t *driver, hw_grid_state_t *out)
{
    assert(driver && driver->impl && out);
    sim_t *self = driver->impl;
    pthread_mutex_lock(&self->mutex);
    s_enforce(self);
    memset(out, 0, sizeof(*out));
    out->ok = !self->grid_silent;
    //  Balanced three-phase EVs: every phase carries the house load plus
    //  each connector's per-phase current.
    double current = self->house_load_a;
    for (int i = 0; i < self->count; i++)
        current += s_current(&self->connectors[i]);
    out->current_a = out->ok ? current : 0.0;
    pthread_mutex_unlock(&self->mutex);
    return 0;
}

static int
s_simulate(hw_driver_t *driver, int connector, const char *command, const char *arg,
           char *reason, size_t reason_size)
{
    assert(driver && driver->impl);
    sim_t *self = driver->impl;
    cp_refuse(reason, reason_size, "%s", "");
    if (!command || !*command) {
        cp_refuse(reason, reason_size, "no command given");
        return -1;
    }
    pthread_mutex_lock(&self->mutex);
    s_enforce(self);
    sim_connector_t *c = s_connector(self, connector);
    int rc = -1;
    if (connector == 0 && s_eq(command, "grid"))
        rc = s_simulate_grid(self, arg, reason, reason_size);
    else
    if (connector == 0 && s_eq(command, "tamper")) {
        //  The enclosure opened or closed: one switch for the charger.
        rc = arg && (s_eq(arg, "open") || s_eq(arg, "closed")) ? 0 : -1;
        if (rc == 0)
            self->tamper = s_eq(arg, "open");
        else
            cp_refuse(reason, reason_size, "tamper takes open or closed");
    }
    else
    if (c)
        rc = s_simulate_locked(self, c, connector, command, arg, reason, reason_size);
    else
        cp_refuse(reason, reason_size, "unknown connector %d (this charger has %d)",
                 connector, self->count);
    pthread_mutex_unlock(&self->mutex);
    return rc;
}

static int
s_safety_feed(hw_driver_t *driver, int timeout_ms)
{
    assert(driver && driver->impl);
    sim_t *self = driver->impl;
    if (timeout_ms < HW_SIM_WATCHDOG_MIN_MS || timeout_ms > HW_SIM_WATCHDOG_MAX_MS)
        return -1;
    pthread_mutex_lock(&self->mutex);
    //  A late feed rescues nothing: an expiry it comes after has already
    //  opened the contactors and withdrawn every permission.
    s_enforce(self);
    self->armed = true;
    self->fed_ms = cp_clock_mono_ms(self->clock);
    self->timeout_ms = timeout_ms;
    self->rest_until_ms = 0;                //  a feed ends the rest
    pthread_mutex_unlock(&self->mutex);
    return 0;
}

static int
s_safety_permit(hw_driver_t *driver, int connector, bool permitted, double cap_a)
{
    assert(driver && driver->impl);
    sim_t *self = driver->impl;
    if (!(cap_a >= 0 && cap_a <= HW_SIM_MAX_OFFER_A))
        return -1;                          //  NaN, negative or absurd
    pthread_mutex_lock(&self->mutex);
    s_enforce(self);
    sim_connector_t *c = s_connector(self, connector);
    int rc = -1;
    //  Forbidding always works; permitting needs a live watchdog (or a
    //  rest), so that a permission can never outlive the safety path that
    //  gave it.
    if (c && (!permitted || self->armed || self->rest_until_ms)) {
        s_meter_update(self, c);
        c->permitted = permitted;
        c->cap_a = cap_a;
        rc = 0;
    }
    s_enforce(self);                        //  a withdrawal opens at once
    pthread_mutex_unlock(&self->mutex);
    return rc;
}

static int
s_safety_set_earthing(hw_driver_t *driver, bool tt)
{
    assert(driver && driver->impl);
    sim_t *self = driver->impl;
    pthread_mutex_lock(&self->mutex);
    s_enforce(self);
    for (int i = 0; i < self->count; i++) {
        sim_connector_t *c = &self->connectors[i];
        s_meter_update(self, c);        //  a revealed fault stops the EV from now on
        c->earth_monitor_off = tt;
    }
    pthread_mutex_unlock(&self->mutex);
    return 0;
}

static void
s_destroy(hw_driver_t *driver)
{
    assert(driver && driver->impl);
    sim_t *self = driver->impl;
    pthread_mutex_destroy(&self->mutex);
    free(self);
}

static int
s_safety_rest(hw_driver_t *driver, int timeout_ms)
{
    assert(driver && driver->impl);
    sim_t *self = driver->impl;
    if (timeout_ms < HW_SIM_WATCHDOG_MIN_MS)
        return -1;
    if (timeout_ms > HW_REST_MAX_MS)
        timeout_ms = HW_REST_MAX_MS;
    pthread_mutex_lock(&self->mutex);
    s_enforce(self);
    bool closed = false;
    for (int i = 0; i < self->count; i++)
        closed |= self->connectors[i].contactor_closed;
    //  Only an idle charger rests: a closed contactor needs the feed.
    if (!closed)
        self->rest_until_ms = cp_clock_mono_ms(self->clock) + timeout_ms;
    pthread_mutex_unlock(&self->mutex);
    return closed ? -1 : 0;
}

static const hw_driver_ops_t s_ops = {
    .connector_count = s_connector_count,
    .read = s_read,
    .set_contactor = s_set_contactor,
    .set_lock = s_set_lock,
    .set_offered_current = s_set_offered_current,
    .read_grid = s_read_grid,
    .simulate = s_simulate,
    .safety_feed = s_safety_feed,
    .safety_rest = s_safety_rest,
    .safety_permit = s_safety_permit,
    .safety_set_earthing = s_safety_set_earthing,
    .destroy = s_destroy,
};

//  --------------------------------------------------------------------------

hw_driver_t *
hw_sim_new(int connectors, cp_clock_t *clock)
{
    assert(clock);
    if (connectors < 1 || connectors > HW_MAX_CONNECTORS)
        return NULL;
    sim_t *self = calloc(1, sizeof(sim_t));
    if (!self)
        return NULL;
    if (pthread_mutex_init(&self->mutex, NULL) != 0) {
        free(self);
        return NULL;
    }
    self->clock = clock;
    self->count = connectors;
    int64_t now = cp_clock_mono_ms(clock);
    for (int i = 0; i < connectors; i++) {
        self->connectors[i].requested_a = HW_SIM_DEFAULT_OFFER_A;
        self->connectors[i].meter_ms = now;
    }
    self->driver.ops = &s_ops;
    self->driver.impl = self;
    return &self->driver;
}

int
hw_sim_set_register(hw_driver_t *driver, int connector, double energy_wh)
{
    assert(driver && driver->impl);
    sim_t *self = driver->impl;
    if (!(energy_wh >= 0))
        return -1;
    pthread_mutex_lock(&self->mutex);
    s_enforce(self);
    sim_connector_t *c = s_connector(self, connector);
    if (c) {
        s_meter_update(self, c);
        if (energy_wh > c->energy_wh)
            c->energy_wh = energy_wh;       //  a register never runs backwards
    }
    pthread_mutex_unlock(&self->mutex);
    return c ? 0 : -1;
}

bool
hw_sim_watchdog_ok(bool armed, int64_t fed_ms, int timeout_ms, int64_t now_ms)
{
    return armed && now_ms - fed_ms <= (int64_t) timeout_ms;
}
