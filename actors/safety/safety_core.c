/* safety_core.c — the safety rules (see safety_core.h for the rules
 * themselves; this file only carries them out).
 *
 * Per connector the core keeps the latched trip (cause + what recovery
 * still waits for), the timers of the debounced conditions (overcurrent
 * grace, welding debounce), the derating latch with its hysteresis, and
 * the times of the recent automatic re-approvals (the hourly budget).
 * Every evaluation first computes which hazards are present *now*, then
 * moves the latch: trip, upgrade to a worse cause, or recover.
 */
#include "actors/safety/safety_core.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    bool seen;                      //  evaluated at least once
    safety_cause_t cause;           //  latched trip, NONE = approved
    char vendor[51];                //  vendor error of the latched cause
    bool unplugged_since_trip;      //  recovery condition of rules 1–3
    bool locked_out;
    int64_t approvals[SAFETY_RETRIES_PER_HOUR];   //  recent re-approvals, 0 = none
    //  Overcurrent: start of the current excess, and the offer the hard
    //  limit refers to (the previous, higher offer for a grace period
    //  after the offer was lowered: the EV has 5 s to follow the pilot).
    bool oc_excess;
    int64_t oc_since;
    double ref_offer_a;
    int64_t ref_until;
    //  Welding debounce.
    bool weld_seen;
    int64_t weld_since;
    bool derating;
    safety_verdict_t last;
} conn_t;

struct _safety_core_t {
    int count;
    safety_earthing_t earthing;
    conn_t conns[HW_MAX_CONNECTORS];
};

//  A hazard present now.
typedef struct {
    safety_cause_t cause;
    char vendor[51];
} hazard_t;

safety_core_t *
safety_core_new(int connectors)
{
    if (connectors < 1 || connectors > HW_MAX_CONNECTORS)
        return NULL;
    safety_core_t *self = calloc(1, sizeof(safety_core_t));
    if (!self)
        return NULL;
    self->count = connectors;
    for (int i = 0; i < connectors; i++) {
        safety_verdict_t *v = &self->conns[i].last;
        v->connector = i + 1;
        v->error_code = "NoError";
        v->stop_reason = "";
    }
    return self;
}

void
safety_core_set_earthing(safety_core_t *self, safety_earthing_t earthing)
{
    assert(self);
    self->earthing = earthing;
}

safety_earthing_t
safety_core_earthing(const safety_core_t *self)
{
    assert(self);
    return self->earthing;
}

void
safety_core_destroy(safety_core_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

int
safety_core_connectors(const safety_core_t *self)
{
    assert(self);
    return self->count;
}

const char *
safety_cause_name(safety_cause_t cause)
{
    switch (cause) {
        case SAFETY_CAUSE_NONE: return "none";
        case SAFETY_CAUSE_OTHER: return "other";
        case SAFETY_CAUSE_UNREADABLE: return "unreadable";
        case SAFETY_CAUSE_TEMPERATURE: return "temperature";
        case SAFETY_CAUSE_OVERCURRENT: return "overcurrent";
        case SAFETY_CAUSE_GROUND: return "ground";
        case SAFETY_CAUSE_RCD: return "rcd";
        case SAFETY_CAUSE_WELDING: return "welding";
    }
    return "?";
}

static const char *
s_error_code(safety_cause_t cause)
{
    switch (cause) {
        case SAFETY_CAUSE_NONE: return "NoError";
        case SAFETY_CAUSE_TEMPERATURE: return "HighTemperature";
        case SAFETY_CAUSE_OVERCURRENT: return "OverCurrentFailure";
        case SAFETY_CAUSE_GROUND:
        case SAFETY_CAUSE_RCD: return "GroundFailure";
        case SAFETY_CAUSE_WELDING: return "PowerSwitchFailure";
        case SAFETY_CAUSE_OTHER:
        case SAFETY_CAUSE_UNREADABLE: return "OtherError";
    }
    return "OtherError";
}

static const char *
s_stop_reason(safety_cause_t cause)
{
    if (cause == SAFETY_CAUSE_NONE)
        return "";
    //  Shock hazards to a person are emergency stops; equipment
    //  protections are "Other" (the errorCode says which).
    return cause == SAFETY_CAUSE_RCD || cause == SAFETY_CAUSE_GROUND ? "EmergencyStop" : "Other";
}

static void
s_raise(hazard_t *h, safety_cause_t cause, const char *vendor)
{
    if (cause > h->cause) {
        h->cause = cause;
        snprintf(h->vendor, sizeof(h->vendor), "%s", vendor);
    }
}

//  Overcurrent by measurement (rules 3); updates the timers.
static void
s_check_current(conn_t *c, const hw_connector_state_t *st, int64_t now, hazard_t *h)
{
    double offered = st->offered_a > 0 ? st->offered_a : 0;
    //  The hard limit's reference: a lowered offer counts only after the
    //  grace period the EV has to follow it; a raised one at once.
    if (offered >= c->ref_offer_a) {
        c->ref_offer_a = offered;
        c->ref_until = 0;
    }
    else
    if (c->ref_until == 0)
        c->ref_until = now + SAFETY_OC_GRACE_MS;
    else
    if (now >= c->ref_until) {
        c->ref_offer_a = offered;
        c->ref_until = 0;
    }
    double current = st->current_a;
    if (!(current >= 0))
        current = 0;                //  NaN or nonsense reads as nothing drawn
    double hard = fmin(c->ref_offer_a * SAFETY_OC_HARD_FACTOR + SAFETY_OC_HARD_EXTRA_A,
                       SAFETY_OC_RATED_A);
    if (current > hard) {
        s_raise(h, SAFETY_CAUSE_OVERCURRENT, "EvOverCurrent");
        return;
    }
    double limit = offered + fmax(SAFETY_OC_MARGIN_A, offered * SAFETY_OC_MARGIN_FRACTION);
    if (current > limit) {
        if (!c->oc_excess) {
            c->oc_excess = true;
            c->oc_since = now;
        }
        if (now - c->oc_since >= SAFETY_OC_GRACE_MS)
            s_raise(h, SAFETY_CAUSE_OVERCURRENT, "EvOverCurrent");
    }
    else
        c->oc_excess = false;
}

//  Temperature (rule 4): derating latch with hysteresis, trip threshold.
static void
s_check_temperature(conn_t *c, const hw_connector_state_t *st, bool flag, hazard_t *h)
{
    double t = st->temperature_c;
    bool hot = flag || !(t < SAFETY_DERATE_C);      //  NaN counts as hot
    if (hot)
        c->derating = true;
    else
    if (c->derating && t < SAFETY_RECOVER_C)
        c->derating = false;
    if (flag || !(t < SAFETY_TRIP_C))
        s_raise(h, SAFETY_CAUSE_TEMPERATURE, "OverTemperature");
}

//  Welding by measurement (rule 5).
static void
s_check_welding(conn_t *c, const hw_connector_state_t *st, int64_t now, hazard_t *h)
{
    if (!st->contactor_closed && st->voltage_after_open_v >= SAFETY_WELD_V) {
        if (!c->weld_seen) {
            c->weld_seen = true;
            c->weld_since = now;
        }
        if (now - c->weld_since >= SAFETY_WELD_DEBOUNCE_MS)
            s_raise(h, SAFETY_CAUSE_WELDING, "ContactorWelded");
    }
    else
        c->weld_seen = false;
}

//  Every hazard present now (NULL state: unreadable).
static hazard_t
s_hazards(const safety_core_t *self, conn_t *c, const hw_connector_state_t *st, int64_t now)
{
    hazard_t h = { .cause = SAFETY_CAUSE_NONE };
    if (!st) {
        s_raise(&h, SAFETY_CAUSE_UNREADABLE, "ReadFailure");
        c->oc_excess = false;
        c->weld_seen = false;
        return h;
    }
    char fault[sizeof(st->fault)];
    snprintf(fault, sizeof(fault), "%.*s", (int) strnlen(st->fault, sizeof(st->fault)), st->fault);
    bool overtemp = false;
    if (strcmp(fault, "rcd") == 0)
        s_raise(&h, SAFETY_CAUSE_RCD, "ResidualCurrent");
    else
    if (strcmp(fault, "ground") == 0) {
        //  the PE–N monitor means nothing on a TT electrode (rule 2)
        if (self->earthing == SAFETY_EARTHING_TN)
            s_raise(&h, SAFETY_CAUSE_GROUND, "EarthContinuity");
    }
    else
    if (strcmp(fault, "overcurrent") == 0)
        s_raise(&h, SAFETY_CAUSE_OVERCURRENT, "OverCurrentDetector");
    else
    if (strcmp(fault, "overtemp") == 0)
        overtemp = true;
    else
    if (strcmp(fault, "welding") == 0)
        s_raise(&h, SAFETY_CAUSE_WELDING, "ContactorWelded");
    else
    if (fault[0] && strcmp(fault, "none") != 0) {
        char vendor[51];
        snprintf(vendor, sizeof(vendor), "Fault:%s", fault);
        s_raise(&h, SAFETY_CAUSE_OTHER, vendor);
    }
    s_check_current(c, st, now, &h);
    s_check_temperature(c, st, overtemp, &h);
    s_check_welding(c, st, now, &h);
    return h;
}

//  Rules 1–3: may an automatic re-approval be spent now? Records it.
static bool
s_spend_retry(conn_t *c, int64_t now)
{
    int oldest = 0;
    int recent = 0;
    for (int i = 0; i < SAFETY_RETRIES_PER_HOUR; i++) {
        if (c->approvals[i] != 0 && now - c->approvals[i] < SAFETY_RETRY_WINDOW_MS)
            recent++;
        if (c->approvals[i] < c->approvals[oldest])
            oldest = i;
    }
    if (recent >= SAFETY_RETRIES_PER_HOUR)
        return false;
    //  now is a monotonic time > 0 in practice; keep 0 meaning "unused".
    c->approvals[oldest] = now != 0 ? now : 1;
    return true;
}

//  May the latched trip of c be lifted, given the hazards present now?
static bool
s_may_recover(conn_t *c, const hazard_t *h, int64_t now)
{
    if (h->cause != SAFETY_CAUSE_NONE)
        return false;
    switch (c->cause) {
        case SAFETY_CAUSE_WELDING:
            return false;                               //  needs service + restart
        case SAFETY_CAUSE_RCD:
        case SAFETY_CAUSE_GROUND:
        case SAFETY_CAUSE_OVERCURRENT:
            if (!c->unplugged_since_trip)
                return false;
            if (!s_spend_retry(c, now)) {
                c->locked_out = true;
                return false;
            }
            return true;
        case SAFETY_CAUSE_TEMPERATURE:
            return !c->derating;                        //  below the hysteresis
        case SAFETY_CAUSE_UNREADABLE:
        case SAFETY_CAUSE_OTHER:
        case SAFETY_CAUSE_NONE:
            return true;
    }
    return true;
}

static void
s_verdict(const conn_t *c, int connector, safety_verdict_t *v)
{
    memset(v, 0, sizeof(*v));
    v->connector = connector;
    v->tripped = c->cause != SAFETY_CAUSE_NONE;
    v->permit = !v->tripped;
    v->cause = c->cause;
    v->locked_out = v->tripped && c->locked_out;
    v->cap_a = c->derating ? SAFETY_DERATE_A : 0;
    v->derate_a = v->cap_a;
    v->error_code = s_error_code(c->cause);
    v->stop_reason = s_stop_reason(c->cause);
    if (v->tripped)
        snprintf(v->vendor_error, sizeof(v->vendor_error), "%s",
                 v->locked_out ? "LockedOut" : c->vendor);
}

static bool
s_published_differs(const safety_verdict_t *a, const safety_verdict_t *b)
{
    return a->tripped != b->tripped
        || strcmp(a->error_code, b->error_code) != 0
        || strcmp(a->vendor_error, b->vendor_error) != 0
        || strcmp(a->stop_reason, b->stop_reason) != 0
        || a->derate_a != b->derate_a;
}

bool
safety_core_quiet(const hw_connector_state_t *state, const safety_verdict_t *verdict)
{
    assert(verdict);
    return state && !state->plugged && !state->contactor_closed && !verdict->tripped;
}

bool
safety_core_evaluate(safety_core_t *self, int connector, const hw_connector_state_t *state,
                     int64_t now_ms, safety_verdict_t *out)
{
    assert(self && out);
    assert(connector >= 1 && connector <= self->count);
    conn_t *c = &self->conns[connector - 1];
    hazard_t h = s_hazards(self, c, state, now_ms);
    bool unplugged = state && !state->plugged;
    if (c->cause == SAFETY_CAUSE_NONE) {
        if (h.cause != SAFETY_CAUSE_NONE) {
            c->cause = h.cause;
            snprintf(c->vendor, sizeof(c->vendor), "%s", h.vendor);
            //  Nobody to unplug: the condition is already met.
            c->unplugged_since_trip = unplugged;
            c->locked_out = false;
        }
    }
    else
    if (h.cause > c->cause) {
        //  Worse than what tripped us: its (stickier) recovery applies.
        c->cause = h.cause;
        snprintf(c->vendor, sizeof(c->vendor), "%s", h.vendor);
        c->unplugged_since_trip = unplugged;
    }
    else {
        if (unplugged)
            c->unplugged_since_trip = true;
        if (s_may_recover(c, &h, now_ms)) {
            c->cause = SAFETY_CAUSE_NONE;
            c->vendor[0] = '\0';
            c->locked_out = false;
        }
    }
    s_verdict(c, connector, out);
    bool changed = !c->seen || s_published_differs(out, &c->last);
    c->seen = true;
    c->last = *out;
    return changed;
}

void
safety_core_verdict(const safety_core_t *self, int connector, safety_verdict_t *out)
{
    assert(self && out);
    assert(connector >= 1 && connector <= self->count);
    const conn_t *c = &self->conns[connector - 1];
    if (!c->seen) {
        s_verdict(c, connector, out);
        out->permit = false;                //  nothing approved before a look
        return;
    }
    *out = c->last;
}
