/* tx_core.c — see tx_core.h. */
#include "actors/transaction/tx_core.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    tx_status_t current;
    tx_status_t reported;
    bool reported_valid;           //  the CSMS acknowledged `reported`
    bool forced;                   //  TriggerMessage asked for it: goes even before Accepted
    int64_t current_since;         //  when `current` became the status
} connector_t;

struct _tx_core_t {
    int connectors;
    connector_t conn[HW_MAX_CONNECTORS + 1];   //  [0] = the charge point
    bool online;
    int inflight;                  //  connector being reported, or -1
    int64_t min_duration_ms;
};

void
tx_core_derive(bool plugged, const char *fault, tx_status_t *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->error_code, sizeof(out->error_code), "NoError");
    if (fault && *fault && strcmp(fault, "none") != 0) {
        //  The same error and vendor codes as the safety actor's verdict for
        //  the same fault (safety_core.h), so the central system hears one
        //  consistent Faulted whichever of the two reports arrives first.
        static const struct { const char *fault, *error_code, *vendor; } known[] = {
            { "rcd", "GroundFailure", "ResidualCurrent" },
            { "ground", "GroundFailure", "EarthContinuity" },
            { "overcurrent", "OverCurrentFailure", "OverCurrentDetector" },
            { "overtemp", "HighTemperature", "OverTemperature" },
            { "welding", "PowerSwitchFailure", "ContactorWelded" },
        };
        snprintf(out->status, sizeof(out->status), "Faulted");
        snprintf(out->error_code, sizeof(out->error_code), "OtherError");
        snprintf(out->vendor_error_code, sizeof(out->vendor_error_code), "Fault:%.40s", fault);
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            if (strcmp(fault, known[i].fault) == 0) {
                snprintf(out->error_code, sizeof(out->error_code), "%s", known[i].error_code);
                snprintf(out->vendor_error_code, sizeof(out->vendor_error_code), "%s", known[i].vendor);
            }
        return;
    }
    snprintf(out->status, sizeof(out->status), "%s", plugged ? "Preparing" : "Available");
}

tx_core_t *
tx_core_new(int connectors)
{
    assert(connectors >= 1 && connectors <= HW_MAX_CONNECTORS);
    tx_core_t *self = calloc(1, sizeof(tx_core_t));
    if (!self)
        return NULL;
    self->connectors = connectors;
    self->inflight = -1;
    for (int n = 0; n <= connectors; n++)
        tx_core_derive(false, "none", &self->conn[n].current);
    return self;
}

void
tx_core_destroy(tx_core_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

int tx_core_connectors(const tx_core_t *self) { return self->connectors; }
bool tx_core_online(const tx_core_t *self) { return self->online; }

static bool
s_same(const tx_status_t *a, const tx_status_t *b)
{
    return strcmp(a->status, b->status) == 0 && strcmp(a->error_code, b->error_code) == 0
        && strcmp(a->vendor_error_code, b->vendor_error_code) == 0;
}

bool
tx_core_on_hw(tx_core_t *self, int connector, bool plugged, const char *fault)
{
    assert(self);
    if (connector < 1 || connector > self->connectors)
        return false;
    tx_status_t next;
    tx_core_derive(plugged, fault, &next);
    if (s_same(&next, &self->conn[connector].current))
        return false;
    self->conn[connector].current = next;
    return true;
}

bool
tx_core_set_status(tx_core_t *self, int connector, const tx_status_t *status)
{
    assert(self && status);
    if (connector < 0 || connector > self->connectors || s_same(status, &self->conn[connector].current))
        return false;
    self->conn[connector].current = *status;
    return true;
}

void
tx_core_set_min_duration(tx_core_t *self, int64_t ms)
{
    assert(self);
    self->min_duration_ms = ms > 0 ? ms : 0;
}

bool
tx_core_set_status_at(tx_core_t *self, int connector, const tx_status_t *status, int64_t now)
{
    if (!tx_core_set_status(self, connector, status))
        return false;
    self->conn[connector].current_since = now;
    return true;
}

int
tx_core_next_report_at(tx_core_t *self, int64_t now, tx_status_t *status, int64_t *wake_at)
{
    assert(self && status && wake_at);
    *wake_at = INT64_MAX;
    if (self->inflight >= 0)
        return -1;
    for (int n = 0; n <= self->connectors; n++) {
        connector_t *c = &self->conn[n];
        //  Before Accepted only what TriggerMessage asked for (spec 4.2).
        if (!self->online && !c->forced)
            continue;
        if (c->reported_valid && s_same(&c->reported, &c->current) && !c->forced)
            continue;
        //  A re-synchronisation (nothing acknowledged yet) goes at once; a
        //  change waits until it has lasted the minimum duration.
        int64_t due = c->reported_valid ? c->current_since + self->min_duration_ms : now;
        if (now < due) {
            if (due < *wake_at)
                *wake_at = due;
            continue;
        }
        self->inflight = n;
        *status = c->current;
        return n;
    }
    return -1;
}

void
tx_core_force_report(tx_core_t *self, int connector)
{
    assert(self);
    if (connector >= 0 && connector <= self->connectors) {
        self->conn[connector].reported_valid = false;
        self->conn[connector].forced = true;
    }
}

void
tx_core_on_online(tx_core_t *self, bool online)
{
    assert(self);
    if (online && !self->online)
        for (int n = 0; n <= self->connectors; n++)
            self->conn[n].reported_valid = false;
    self->online = online;
    if (!online)
        self->inflight = -1;
}

int
tx_core_next_report(tx_core_t *self, tx_status_t *status)
{
    int64_t wake_at;
    return tx_core_next_report_at(self, INT64_MAX, status, &wake_at);     //  every duration has lasted
}

void
tx_core_report_done(tx_core_t *self, int connector, const tx_status_t *status, bool ok)
{
    assert(self && status);
    if (connector != self->inflight)
        return;
    self->inflight = -1;
    self->conn[connector].forced = false;      //  asked once: not a retry loop
    if (ok) {
        self->conn[connector].reported = *status;
        self->conn[connector].reported_valid = true;
    }
}

const tx_status_t *
tx_core_status(const tx_core_t *self, int connector)
{
    assert(self && connector >= 0 && connector <= self->connectors);
    return &self->conn[connector].current;
}
