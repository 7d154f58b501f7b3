/* session.c — see session.h. */
#include "actors/transaction/session.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "supervisor/log.h"

#define PENDING_MAX 8

typedef struct {
    hw_connector_state_t hw;
    session_tx_t tx;
    bool finishing;                //  transaction over, cable still in
    bool operative;
    bool pending_inoperative;      //  ChangeAvailability Scheduled
    session_reservation_t resv;
    int starting_reservation;      //  set while the start effect runs
    struct {
        bool tripped;
        char error_code[32];
        char vendor_error[50];          //  fits tx_status_t.vendor_error_code
    } safety;
    int64_t fault_stop_due;        //  hardware fault without a safety verdict yet
} connector_t;

typedef struct {
    bool used;
    char id_tag[SESSION_TAG_MAX + 1];
    int connector_hint;            //  0 = any
} pending_t;

struct _session_t {
    int n;
    session_config_t config;
    session_effects_t fx;
    void *ctx;
    connector_t conn[HW_MAX_CONNECTORS + 1];
    pending_t pending[PENDING_MAX];
    struct {
        bool active;
        char id_tag[SESSION_TAG_MAX + 1];
        char parent_id_tag[SESSION_TAG_MAX + 1];
        int connector;             //  0 = the first connector plugged
        int64_t deadline;
    } waiting;
};

static void
s_copy(char *dst, const char *src)
{
    snprintf(dst, SESSION_TAG_MAX + 1, "%s", src ? src : "");
}

session_t *
session_new(int connectors, const session_config_t *config, const session_effects_t *effects, void *ctx)
{
    assert(connectors >= 1 && connectors <= HW_MAX_CONNECTORS && config && effects);
    assert(effects->authorize && effects->start && effects->stop && effects->contactor && effects->availability
           && effects->lock && effects->reservation);
    session_t *self = calloc(1, sizeof(session_t));
    if (!self)
        return NULL;
    self->n = connectors;
    self->config = *config;
    self->fx = *effects;
    self->ctx = ctx;
    for (int c = 0; c <= connectors; c++) {
        self->conn[c].operative = true;
        self->conn[c].hw.connector = c;
        snprintf(self->conn[c].hw.fault, sizeof(self->conn[c].hw.fault), "none");
        self->conn[c].hw.offered_a = 32;
        self->conn[c].hw.pilot = 'A';
    }
    return self;
}

void
session_destroy(session_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

void
session_set_config(session_t *self, const session_config_t *config)
{
    assert(self && config);
    self->config = *config;
}

int session_connectors(const session_t *self) { return self->n; }

static bool
s_hw_faulted(const connector_t *c)
{
    return c->hw.fault[0] && strcmp(c->hw.fault, "none") != 0;
}

static bool
s_faulted(const connector_t *c)
{
    return c->safety.tripped || s_hw_faulted(c);
}

//  Can a new transaction start on connector c now?
static bool
s_startable(const session_t *self, int c)
{
    const connector_t *conn = &self->conn[c];
    return c >= 1 && c <= self->n && conn->operative && self->conn[0].operative && !s_faulted(conn)
        && !conn->tx.active && !conn->finishing;
}

//  Does this identifier hold the reservation of connector c (by its own
//  idTag or its group)?
static bool
s_holds(const connector_t *conn, const char *id_tag, const char *parent)
{
    const session_reservation_t *r = &conn->resv;
    return r->active && ((id_tag && strcasecmp(id_tag, r->id_tag) == 0)
                         || (parent && parent[0] && r->parent_id_tag[0] && strcasecmp(parent, r->parent_id_tag) == 0));
}

//  Startable for this identifier: a reserved connector only for its holder.
static bool
s_startable_for(const session_t *self, int c, const char *id_tag, const char *parent)
{
    return s_startable(self, c) && (!self->conn[c].resv.active || s_holds(&self->conn[c], id_tag, parent));
}

static void
s_end_reservation(session_t *self, int c, const char *why)
{
    session_reservation_t *r = &self->conn[c].resv;
    if (!r->active)
        return;
    cp_info("transaction", "connector %d: reservation %d ended (%s)", c, r->id, why);
    int id = r->id;
    memset(r, 0, sizeof(*r));
    self->fx.reservation(self->ctx, c, id, false);
}

static void
s_start(session_t *self, int64_t now, int c, const char *id_tag, const char *parent)
{
    connector_t *conn = &self->conn[c];
    int64_t meter = (int64_t) conn->hw.energy_wh;
    conn->starting_reservation = s_holds(conn, id_tag, parent) ? conn->resv.id : 0;
    int64_t local = self->fx.start(self->ctx, c, id_tag, meter);
    conn->starting_reservation = 0;
    if (local <= 0) {
        cp_error("transaction", "connector %d: transaction for %s not started: cannot make it durable", c, id_tag);
        return;
    }
    memset(&conn->tx, 0, sizeof(conn->tx));
    conn->tx.active = true;
    conn->tx.tx_local = local;
    s_copy(conn->tx.id_tag, id_tag);
    s_copy(conn->tx.parent_id_tag, parent);
    conn->tx.meter_start = meter;
    conn->tx.started_wall_ms = self->fx.wall_ms ? self->fx.wall_ms(self->ctx) : 0;
    self->waiting.active = false;
    if (s_holds(conn, id_tag, parent))
        s_end_reservation(self, c, "used");
    cp_info("transaction", "connector %d: transaction %lld started for %s (meter %lld Wh)", c,
            (long long) local, id_tag, (long long) meter);
    self->fx.lock(self->ctx, c, true);
    self->fx.contactor(self->ctx, c, true);
}

static void
s_stop(session_t *self, int c, const char *id_tag, const char *reason)
{
    connector_t *conn = &self->conn[c];
    assert(conn->tx.active);
    int64_t meter = (int64_t) conn->hw.energy_wh;
    if (meter < conn->tx.meter_start)
        meter = conn->tx.meter_start;
    self->fx.contactor(self->ctx, c, false);
    self->fx.stop(self->ctx, c, conn->tx.tx_local, id_tag, meter, reason);
    self->fx.lock(self->ctx, c, false);     //  the driver may take the cable
    cp_info("transaction", "connector %d: transaction %lld stopped (%s, meter %lld Wh)", c,
            (long long) conn->tx.tx_local, reason, (long long) meter);
    memset(&conn->tx, 0, sizeof(conn->tx));
    conn->fault_stop_due = 0;
    conn->finishing = conn->hw.plugged;
    if (conn->pending_inoperative) {
        conn->pending_inoperative = false;
        conn->operative = false;
        self->fx.availability(self->ctx, c, false);
    }
}

//  An authorized identifier: start where a car waits, else wait for a plug.
static void
s_begin(session_t *self, int64_t now, const char *id_tag, const char *parent, int hint)
{
    int target = 0;
    //  A connector reserved for this identifier is where it charges.
    for (int c = 1; c <= self->n && hint == 0; c++)
        if (s_holds(&self->conn[c], id_tag, parent) && s_startable(self, c))
            hint = c;
    if (hint > 0)
        target = s_startable_for(self, hint, id_tag, parent) ? hint : -1;
    else
        for (int c = 1; c <= self->n && !target; c++)
            if (s_startable_for(self, c, id_tag, parent) && self->conn[c].hw.plugged)
                target = c;
    if (target == 0) {
        //  Nowhere to start, even after a plug: don't hold an authorization.
        bool any = false;
        for (int c = 1; c <= self->n; c++)
            any |= s_startable_for(self, c, id_tag, parent);
        if (!any)
            target = -1;
    }
    if (target < 0) {
        cp_info("transaction", "%s authorized but no connector can start a transaction", id_tag);
        return;
    }
    if (target > 0 && self->conn[target].hw.plugged) {
        s_start(self, now, target, id_tag, parent);
        return;
    }
    if (self->waiting.active && strcasecmp(self->waiting.id_tag, id_tag) != 0)
        cp_warn("transaction", "%s replaces %s, which was waiting for a plug", id_tag, self->waiting.id_tag);
    self->waiting.active = true;
    s_copy(self->waiting.id_tag, id_tag);
    s_copy(self->waiting.parent_id_tag, parent);
    self->waiting.connector = target > 0 ? target : hint;
    self->waiting.deadline = now + (int64_t) self->config.connection_timeout_s * 1000;
    cp_info("transaction", "%s authorized: waiting %d s for a plug", id_tag, self->config.connection_timeout_s);
}

static void
s_ask(session_t *self, const char *id_tag, int hint)
{
    for (int i = 0; i < PENDING_MAX; i++)
        if (self->pending[i].used && strcmp(self->pending[i].id_tag, id_tag) == 0)
            return;                 //  already being asked
    for (int i = 0; i < PENDING_MAX; i++)
        if (!self->pending[i].used) {
            self->pending[i].used = true;
            s_copy(self->pending[i].id_tag, id_tag);
            self->pending[i].connector_hint = hint;
            self->fx.authorize(self->ctx, id_tag);
            return;
        }
    cp_warn("transaction", "too many authorizations in progress: %s ignored", id_tag);
}

void
session_on_token(session_t *self, int64_t now, const char *id_tag)
{
    assert(self && id_tag);
    //  The identifier that started a session stops it, no question asked.
    for (int c = 1; c <= self->n; c++)
        if (self->conn[c].tx.active && strcasecmp(self->conn[c].tx.id_tag, id_tag) == 0) {    //  IdToken: CiString (7.28)
            s_stop(self, c, id_tag, "Local");
            return;
        }
    //  Presenting the waiting identifier again cancels the authorization.
    if (self->waiting.active && strcasecmp(self->waiting.id_tag, id_tag) == 0) {
        self->waiting.active = false;
        cp_info("transaction", "%s presented again: authorization cancelled", id_tag);
        return;
    }
    s_ask(self, id_tag, 0);
}

void
session_on_authorized(session_t *self, int64_t now, const char *id_tag, const char *status,
                      const char *parent_id_tag)
{
    assert(self && id_tag && status);
    pending_t *p = NULL;
    for (int i = 0; i < PENDING_MAX && !p; i++)
        if (self->pending[i].used && strcmp(self->pending[i].id_tag, id_tag) == 0)
            p = &self->pending[i];
    if (!p)
        return;
    int hint = p->connector_hint;
    p->used = false;
    bool accepted = strcmp(status, "Accepted") == 0;
    const char *parent = parent_id_tag ? parent_id_tag : "";
    //  A member of the same group (parentIdTag) may stop the session.
    if (accepted && parent[0] && hint == 0)
        for (int c = 1; c <= self->n; c++)
            if (self->conn[c].tx.active && strcasecmp(self->conn[c].tx.parent_id_tag, parent) == 0) {
                s_stop(self, c, id_tag, "Local");
                return;
            }
    if (!accepted) {
        cp_info("transaction", "%s not authorized (%s)", id_tag, status);
        return;
    }
    s_begin(self, now, id_tag, parent, hint);
}

void
session_on_start_confirmed(session_t *self, int64_t now, int64_t tx_local, int64_t tx_id, const char *status)
{
    assert(self);
    for (int c = 1; c <= self->n; c++) {
        connector_t *conn = &self->conn[c];
        if (!conn->tx.active || conn->tx.tx_local != tx_local)
            continue;
        conn->tx.tx_id = tx_id;
        conn->tx.confirmed = true;
        if (status && strcmp(status, "Accepted") != 0) {
            cp_warn("transaction", "connector %d: StartTransaction answered %s", c, status);
            if (self->config.stop_on_invalid_id)
                s_stop(self, c, "", "DeAuthorized");
            else {
                //  Spec 4.8: without StopTransactionOnInvalidId, suspend
                //  the energy transfer but keep the transaction.
                conn->tx.suspended_invalid = true;
                self->fx.contactor(self->ctx, c, false);
            }
        }
        return;
    }
}

void
session_on_hw(session_t *self, int64_t now, const hw_connector_state_t *hw)
{
    assert(self && hw);
    int c = hw->connector;
    if (c < 1 || c > self->n)
        return;
    connector_t *conn = &self->conn[c];
    hw_connector_state_t prev = conn->hw;
    conn->hw = *hw;
    bool was_faulted = prev.fault[0] && strcmp(prev.fault, "none") != 0;
    if (s_hw_faulted(conn) && !was_faulted && conn->tx.active && !conn->fault_stop_due) {
        //  The safety actor decides how a hazard ends the transaction; if
        //  its verdict does not come, stop anyway after a grace period.
        cp_warn("transaction", "connector %d: fault %s during a transaction", c, conn->hw.fault);
        conn->fault_stop_due = now + SESSION_FAULT_GRACE_MS;
    }
    if (s_faulted(conn))
        s_end_reservation(self, c, "connector faulted");
    if (hw->plugged && !prev.plugged) {
        if (self->waiting.active && now < self->waiting.deadline     //  ConnectionTimeOut, even before the tick
            && (self->waiting.connector == 0 || self->waiting.connector == c)
            && s_startable_for(self, c, self->waiting.id_tag, self->waiting.parent_id_tag))
            s_start(self, now, c, self->waiting.id_tag, self->waiting.parent_id_tag);
        else
        if (conn->tx.active && !conn->tx.suspended_invalid) {
            self->fx.lock(self->ctx, c, true);          //  replugged: resume
            self->fx.contactor(self->ctx, c, true);
        }
    }
    if (!hw->plugged && prev.plugged) {
        conn->finishing = false;
        if (conn->tx.active) {
            if (self->config.stop_on_ev_side_disconnect)
                s_stop(self, c, "", "EVDisconnected");
            else {
                self->fx.contactor(self->ctx, c, false);  //  never live on an open socket
                if (self->config.unlock_on_ev_side_disconnect)
                    self->fx.lock(self->ctx, c, false);
            }
        }
    }
}

void
session_on_safety(session_t *self, int64_t now, int connector, bool tripped, const char *error_code,
                  const char *vendor_error, const char *stop_reason)
{
    assert(self);
    if (connector < 1 || connector > self->n)
        return;
    connector_t *conn = &self->conn[connector];
    bool was = conn->safety.tripped;
    conn->safety.tripped = tripped;
    snprintf(conn->safety.error_code, sizeof(conn->safety.error_code), "%s",
             tripped && error_code && *error_code ? error_code : "OtherError");
    snprintf(conn->safety.vendor_error, sizeof(conn->safety.vendor_error), "%.49s", vendor_error ? vendor_error : "");
    if (tripped && !was)
        cp_warn("transaction", "connector %d: safety trip (%s)", connector, conn->safety.error_code);
    if (tripped && conn->tx.active) {
        conn->fault_stop_due = 0;
        s_stop(self, connector, "", stop_reason && *stop_reason ? stop_reason : "Other");
    }
    if (tripped)
        s_end_reservation(self, connector, "safety trip");
}

void
session_tick(session_t *self, int64_t now)
{
    assert(self);
    for (int c = 1; c <= self->n; c++) {
        connector_t *conn = &self->conn[c];
        if (conn->fault_stop_due && now >= conn->fault_stop_due) {
            conn->fault_stop_due = 0;
            if (conn->tx.active && s_faulted(conn))
                s_stop(self, c, "", "Other");
        }
    }
    for (int c = 1; c <= self->n; c++)
        if (self->conn[c].resv.active && now >= self->conn[c].resv.deadline)
            s_end_reservation(self, c, "expired");
    if (self->waiting.active && now >= self->waiting.deadline) {
        cp_info("transaction", "%s: no cable plugged within ConnectionTimeOut: authorization dropped",
                self->waiting.id_tag);
        self->waiting.active = false;
    }
}

int64_t
session_next_deadline(const session_t *self)
{
    int64_t next = self->waiting.active ? self->waiting.deadline : INT64_MAX;
    for (int c = 1; c <= self->n; c++)
        if (self->conn[c].fault_stop_due && self->conn[c].fault_stop_due < next)
            next = self->conn[c].fault_stop_due;
    for (int c = 1; c <= self->n; c++)
        if (self->conn[c].resv.active && self->conn[c].resv.deadline < next)
            next = self->conn[c].resv.deadline;
    return next;
}

void
session_restore(session_t *self, int connector, const session_tx_t *tx)
{
    assert(self && tx && connector >= 1 && connector <= self->n);
    self->conn[connector].tx = *tx;
}

//  Connectors a and b (0 = any) can be the same one.
static bool
s_overlap(const session_t *self, int a, int b)
{
    return a == 0 || b == 0 || a == b || self->n == 1;
}

//  Another identifier already claims connector c (0 = any) for a start:
//  authorized and waiting for the plug, or being authorized.
static const char *
s_claimed_by_other(const session_t *self, int c, const char *id_tag)
{
    if (self->waiting.active && s_overlap(self, self->waiting.connector, c)
        && strcasecmp(self->waiting.id_tag, id_tag) != 0)
        return self->waiting.id_tag;
    for (int i = 0; i < PENDING_MAX; i++)
        if (self->pending[i].used && s_overlap(self, self->pending[i].connector_hint, c)
            && strcasecmp(self->pending[i].id_tag, id_tag) != 0)
            return self->pending[i].id_tag;
    return NULL;
}

bool
session_remote_start(session_t *self, int64_t now, int connector, const char *id_tag, bool authorize_first)
{
    assert(self && id_tag);
    if (connector < 0 || connector > self->n)
        return false;
    //  Overlapping remote starts: the first one holds the connector until
    //  it starts or times out; a later one for another identifier is
    //  Rejected rather than silently replacing it (the same identifier
    //  again is the central system retrying: Accepted).
    const char *holder = s_claimed_by_other(self, connector, id_tag);
    if (holder) {
        cp_info("transaction", "RemoteStartTransaction for %s rejected: connector %d is already claimed by %s",
                id_tag, connector, holder);
        return false;
    }
    //  A reserved connector is refused here unless the idTag itself holds
    //  it; a group member is let through to authorization, which learns
    //  the parentIdTag, and the start is checked again then.
    if (connector > 0 && !s_startable(self, connector))
        return false;
    if (connector > 0 && self->conn[connector].resv.active && !authorize_first
        && !s_holds(&self->conn[connector], id_tag, ""))
        return false;
    if (connector == 0) {
        bool any = false;
        for (int c = 1; c <= self->n; c++)
            any |= s_startable_for(self, c, id_tag, "") || (authorize_first && s_startable(self, c));
        if (!any)
            return false;
    }
    if (authorize_first)
        s_ask(self, id_tag, connector);
    else
        s_begin(self, now, id_tag, "", connector);
    return true;
}

bool
session_remote_stop(session_t *self, int64_t now, int64_t tx_id)
{
    assert(self);
    for (int c = 1; c <= self->n; c++)
        if (self->conn[c].tx.active && self->conn[c].tx.confirmed && self->conn[c].tx.tx_id == tx_id) {
            s_stop(self, c, "", "Remote");
            return true;
        }
    return false;
}

int
session_stop_connector(session_t *self, int64_t now, int connector, const char *reason)
{
    assert(self && reason);
    int stopped = 0;
    for (int c = 1; c <= self->n; c++)
        if ((connector == 0 || connector == c) && self->conn[c].tx.active) {
            s_stop(self, c, "", reason);
            stopped++;
        }
    return stopped;
}

const char *
session_change_availability(session_t *self, int64_t now, int connector, bool operative)
{
    assert(self);
    if (connector < 0 || connector > self->n)
        return "Rejected";
    bool scheduled = false;
    for (int c = 0; c <= self->n; c++) {
        if (connector != 0 && c != connector)
            continue;
        connector_t *conn = &self->conn[c];
        if (operative) {
            conn->pending_inoperative = false;
            if (!conn->operative) {
                conn->operative = true;
                self->fx.availability(self->ctx, c, true);
            }
        }
        else
        if (c > 0 && conn->tx.active) {
            conn->pending_inoperative = true;
            scheduled = true;
        }
        else
        if (conn->operative) {
            conn->operative = false;
            self->fx.availability(self->ctx, c, false);
        }
        if (!operative && c > 0)
            s_end_reservation(self, c, "connector unavailable");
    }
    if (!operative && self->waiting.active
        && (connector == 0 || self->waiting.connector == connector || self->n == 1))
        self->waiting.active = false;
    return scheduled ? "Scheduled" : "Accepted";
}

void
session_load_availability(session_t *self, int connector, bool operative)
{
    assert(self && connector >= 0 && connector <= self->n);
    self->conn[connector].operative = operative;
}

void
session_status(const session_t *self, int c, tx_status_t *out)
{
    assert(self && out && c >= 0 && c <= self->n);
    const connector_t *conn = &self->conn[c];
    if (c == 0) {
        tx_core_derive(false, "none", out);
        if (!conn->operative)
            snprintf(out->status, sizeof(out->status), "Unavailable");
        return;
    }
    tx_core_derive(conn->hw.plugged, conn->hw.fault, out);
    if (conn->safety.tripped) {
        snprintf(out->status, sizeof(out->status), "Faulted");
        snprintf(out->error_code, sizeof(out->error_code), "%s", conn->safety.error_code);
        memcpy(out->vendor_error_code, conn->safety.vendor_error, sizeof(conn->safety.vendor_error));
        return;
    }
    if (s_faulted(conn))
        return;
    const char *status;
    if (conn->tx.active) {
        if (conn->tx.suspended_invalid || (conn->hw.plugged && conn->hw.offered_a < 6.0))
            status = "SuspendedEVSE";
        else
        if (!conn->hw.plugged || !conn->hw.ev_requesting)
            status = "SuspendedEV";
        else
            status = "Charging";
    }
    else
    if (!conn->operative || !self->conn[0].operative)
        status = "Unavailable";
    else
    if (conn->finishing)
        status = "Finishing";
    else
    if (conn->resv.active && !(self->waiting.active && self->waiting.connector == c))
        status = "Reserved";
    else
    if (conn->hw.plugged)
        status = "Preparing";
    else
    if (self->waiting.active && (self->waiting.connector == c || (self->waiting.connector == 0 && self->n == 1)))
        status = "Preparing";
    else
        status = "Available";
    snprintf(out->status, sizeof(out->status), "%s", status);
}

const session_tx_t *
session_tx(const session_t *self, int connector)
{
    assert(self && connector >= 1 && connector <= self->n);
    return &self->conn[connector].tx;
}

const hw_connector_state_t *
session_hw(const session_t *self, int connector)
{
    assert(self && connector >= 1 && connector <= self->n);
    return &self->conn[connector].hw;
}

bool
session_operative(const session_t *self, int connector)
{
    assert(self && connector >= 0 && connector <= self->n);
    return self->conn[connector].operative;
}

const char *
session_reserve(session_t *self, int64_t now, int connector, int reservation_id, const char *id_tag,
                const char *parent_id_tag, int64_t deadline)
{
    assert(self && id_tag);
    if (connector < 1 || connector > self->n)
        return "Rejected";          //  connector 0: ReserveConnectorZeroSupported is false
    //  A known reservation id is replaced by the new request.
    for (int c = 1; c <= self->n; c++)
        if (self->conn[c].resv.active && self->conn[c].resv.id == reservation_id)
            s_end_reservation(self, c, "replaced");
    connector_t *conn = &self->conn[connector];
    if (s_faulted(conn))
        return "Faulted";
    if (!conn->operative || !self->conn[0].operative)
        return "Unavailable";
    if (conn->tx.active || conn->finishing || conn->hw.plugged || conn->resv.active
        || (self->waiting.active && (self->waiting.connector == connector || self->n == 1)))
        return "Occupied";
    conn->resv.active = true;
    conn->resv.id = reservation_id;
    snprintf(conn->resv.id_tag, sizeof(conn->resv.id_tag), "%s", id_tag);
    snprintf(conn->resv.parent_id_tag, sizeof(conn->resv.parent_id_tag), "%s", parent_id_tag ? parent_id_tag : "");
    conn->resv.deadline = deadline;
    cp_info("transaction", "connector %d: reserved (%d) for %s", connector, reservation_id, id_tag);
    self->fx.reservation(self->ctx, connector, reservation_id, true);
    return "Accepted";
}

bool
session_cancel_reservation(session_t *self, int reservation_id)
{
    assert(self);
    for (int c = 1; c <= self->n; c++)
        if (self->conn[c].resv.active && self->conn[c].resv.id == reservation_id) {
            s_end_reservation(self, c, "cancelled");
            return true;
        }
    return false;
}

void
session_restore_reservation(session_t *self, int connector, const session_reservation_t *reservation)
{
    assert(self && reservation && connector >= 1 && connector <= self->n);
    self->conn[connector].resv = *reservation;
}

const session_reservation_t *
session_reservation(const session_t *self, int connector)
{
    assert(self && connector >= 1 && connector <= self->n);
    return &self->conn[connector].resv;
}

int
session_starting_reservation(const session_t *self, int connector)
{
    assert(self && connector >= 1 && connector <= self->n);
    return self->conn[connector].starting_reservation;
}
