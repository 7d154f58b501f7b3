/* services.c — see services.h. */
#include "supervisor/services.h"

#include <assert.h>
#include <string.h>
#include "gateway/httpd.h"
#include "supervisor/log.h"

//  What a service is doing (its row in status.services).
typedef enum { SERVICE_RUNNING, SERVICE_HUNG, SERVICE_WAITING, SERVICE_DEGRADED, SERVICE_STOPPED } state_t;

struct _cp_services_t {
    const cp_options_t *options;
    cp_clock_t *clock;
    cp_policy_t *policy;           //  the supervisor's (not owned)
    int first_index;               //  the broker's entry in it; the status page's follows
    cp_poller_t *poller;             //  the supervisor's (not owned)
    cp_bus_endpoints_t ep;
    cp_bus_t *bus;                 //  the supervisor's connection (not owned)
    //  The broker
    zactor_t *broker;
    int broker_restarts;
    cp_bus_broker_args_t broker_args;
    cp_loop_watch_t broker_watch;  //  its loop, read at every tick
    uint64_t broker_progress;      //  the watch's progress last seen ...
    int64_t broker_pong;           //  ... and when it last waited or moved
    //  The status page
    httpd_t *httpd;                //  NULL: none served (not owned)
    state_t httpd_state;
    int httpd_restarts;
    uint64_t httpd_beats;          //  its heartbeat count last seen ...
    int64_t httpd_beat_at;         //  ... and when it last moved
    int64_t httpd_start_at;        //  WAITING / DEGRADED: when it serves again
};

static const char *
s_state_name(state_t state)
{
    switch (state) {
    case SERVICE_RUNNING:  return "running";
    case SERVICE_HUNG:     return "hung";
    case SERVICE_WAITING:  return "restarting";
    case SERVICE_DEGRADED: return "degraded";
    case SERVICE_STOPPED:  return "stopped";
    }
    return "?";
}

static int64_t
s_now(cp_services_t *self)
{
    return cp_clock_mono_ms(self->clock);
}

//  --------------------------------------------------------------------------
//  The broker

static int
s_broker_start(cp_services_t *self)
{
    //  A fresh watch: the old thread (if any) is gone.
    atomic_store(&self->broker_watch.waiting, false);
    atomic_store(&self->broker_watch.progress, 0);
    self->broker_progress = 0;
    self->broker_args = (cp_bus_broker_args_t) { .ep = self->ep, .watch = &self->broker_watch };
    self->broker = zactor_new(cp_bus_watched_broker_actor, &self->broker_args);
    if (!self->broker)
        return -1;
    //  Sent to only when killed on purpose (touched there): an idle tick
    //  does not look at it.
    cp_poller_add(self->poller, self->broker, CP_LOOP_TOUCHED_ONLY);
    self->broker_pong = s_now(self);
    return 0;
}

//  The broker's thread ended or it stopped routing (hung): restart it
//  where peers can reconnect, else escalate.
static bool
s_broker_fault(cp_services_t *self, const char *why, bool hung)
{
    int64_t now = s_now(self);
    if (strncmp(self->ep.req, "inproc://", 9) == 0) {
        cp_error("supervisor", "the bus broker %s: over inproc:// the actors cannot reconnect to a new "
                 "broker, so only a whole restart is safe: escalating (exit 1)", why);
        return false;
    }
    cp_policy_decision_t d = cp_policy_fault(self->policy, self->first_index, now);
    if (d.action != CP_POLICY_RESTART || hung) {
        //  Past its limit, or hung: a thread stuck in a loop cannot be
        //  joined, and a second broker could not bind its endpoints.
        cp_error("supervisor", "the bus broker %s (%s): escalating (exit 1)", why,
                 hung ? "its thread cannot be reclaimed" : d.why);
        return false;
    }
    cp_warn("supervisor", "the bus broker %s: restarting it (peers reconnect over %s)", why, self->ep.req);
    cp_poller_remove(self->poller, self->broker);
    //  A new ipc:// listener replaces the old socket file (libzmq unlinks
    //  a stale one before binding); should the restart not route after
    //  all, the next probes time out and the supervisor escalates.
    zactor_destroy(&self->broker);
    self->broker_restarts++;
    if (s_broker_start(self) != 0) {
        cp_error("supervisor", "cannot restart the bus broker: escalating (exit 1)");
        return false;
    }
    cp_info("supervisor", "bus broker restarted in %lld ms", (long long) (s_now(self) - now));
    return true;
}

//  The broker's thread is alive while it waits for input or moves on; one
//  that does neither for liveness_ms is stuck in the middle of routing. Read
//  from its loop watch: asking it something would wake it (and us) every
//  tick for nothing.
static bool
s_broker_tick(cp_services_t *self, int64_t now)
{
    if (!self->broker)
        return true;
    uint64_t progress = atomic_load(&self->broker_watch.progress);
    if (atomic_load(&self->broker_watch.waiting) || progress != self->broker_progress) {
        self->broker_progress = progress;
        self->broker_pong = now;
        return true;
    }
    if (now - self->broker_pong > self->options->liveness_ms)
        return s_broker_fault(self, "is stuck and routes nothing", true);
    return true;
}

void *
cp_services_broker(cp_services_t *self)
{
    assert(self);
    return self->broker;
}

bool
cp_services_broker_ended(cp_services_t *self)
{
    assert(self);
    return s_broker_fault(self, "thread ended", false);
}


//  --------------------------------------------------------------------------
//  The status page

static int
s_httpd_index(const cp_services_t *self)
{
    return self->first_index + 1;
}

static bool
s_httpd_fault(cp_services_t *self, const char *why)
{
    int64_t now = s_now(self);
    cp_policy_decision_t d = cp_policy_fault(self->policy, s_httpd_index(self), now);
    if (d.action == CP_POLICY_ESCALATE) {
        cp_error("supervisor", "the status page %s: %s: escalating (exit 1)", why, d.why);
        return false;
    }
    self->httpd_state = d.action == CP_POLICY_DEGRADE ? SERVICE_DEGRADED : SERVICE_WAITING;
    self->httpd_start_at = d.at_ms;
    if (d.action == CP_POLICY_DEGRADE)
        cp_error("supervisor", "the status page %s: %s after %d restarts: degraded, charging goes on; "
                 "retried in %lld s", why, d.why, d.recent, (long long) ((d.at_ms - now) / 1000));
    else
        cp_warn("supervisor", "the status page %s: serving again in %lld ms", why, (long long) (d.at_ms - now));
    return true;
}

static bool
s_httpd_restart(cp_services_t *self, int64_t now)
{
    char err[256];
    self->httpd_restarts++;
    if (httpd_restart(self->httpd, err, sizeof(err)) != 0) {
        char why[300];
        snprintf(why, sizeof(why), "cannot serve again (%s)", err);
        return s_httpd_fault(self, why);
    }
    self->httpd_state = SERVICE_RUNNING;
    self->httpd_beats = httpd_beats(self->httpd);
    self->httpd_beat_at = now;
    return true;
}

static bool
s_httpd_tick(cp_services_t *self, int64_t now)
{
    if (!self->httpd || (self->httpd_state != SERVICE_RUNNING && self->httpd_state != SERVICE_HUNG))
        return true;
    if (httpd_exited(self->httpd))
        return s_httpd_fault(self, "thread ended");
    uint64_t beats = httpd_beats(self->httpd);
    if (beats != self->httpd_beats) {
        if (self->httpd_state == SERVICE_HUNG)
            cp_warn("supervisor", "the status page thread beats again after a stall");
        self->httpd_state = SERVICE_RUNNING;
        self->httpd_beats = beats;
        self->httpd_beat_at = now;
    }
    else
    if (self->httpd_state == SERVICE_RUNNING && now - self->httpd_beat_at > self->options->liveness_ms) {
        cp_error("supervisor", "the status page thread is stuck (no heartbeat for %d ms): a thread cannot be "
                 "killed, and charging does not need it: left alone", self->options->liveness_ms);
        self->httpd_state = SERVICE_HUNG;
    }
    return true;
}

void
cp_services_watch_httpd(cp_services_t *self, httpd_t *httpd)
{
    assert(self);
    self->httpd = httpd;
    self->httpd_state = SERVICE_RUNNING;
    self->httpd_beats = httpd ? httpd_beats(httpd) : 0;
    self->httpd_beat_at = s_now(self);
}

//  --------------------------------------------------------------------------
//  Both

bool
cp_services_tick(cp_services_t *self, int64_t now_ms)
{
    assert(self);
    return s_broker_tick(self, now_ms) && s_httpd_tick(self, now_ms);
}

bool
cp_services_due(cp_services_t *self, int64_t now_ms)
{
    assert(self);
    if (!self->httpd || now_ms < cp_services_next_start(self))
        return true;
    if (self->httpd_state == SERVICE_DEGRADED)
        cp_policy_retry(self->policy, s_httpd_index(self), now_ms);
    return s_httpd_restart(self, now_ms);
}

int64_t
cp_services_next_start(const cp_services_t *self)
{
    assert(self);
    if (self->httpd && (self->httpd_state == SERVICE_WAITING || self->httpd_state == SERVICE_DEGRADED))
        return self->httpd_start_at;
    return INT64_MAX;
}

void
cp_services_discount(cp_services_t *self, int64_t late_ms)
{
    assert(self);
    self->broker_pong += late_ms;
    self->httpd_beat_at += late_ms;
}

static json_t *
s_row(const char *name, const char *state, int restarts)
{
    return json_pack("{s:s, s:s, s:i}", "name", name, "state", state, "restarts", restarts);
}

void
cp_services_status(const cp_services_t *self, json_t *rows)
{
    assert(self && rows);
    json_array_append_new(rows, s_row(CP_SERVICE_BROKER, self->broker ? "running" : "stopped",
                                      self->broker_restarts));
    if (self->httpd)
        json_array_append_new(rows, s_row(CP_SERVICE_STATUSPAGE, s_state_name(self->httpd_state),
                                          self->httpd_restarts));
}

void
cp_services_list(const cp_services_t *self, char *text, size_t size)
{
    assert(self && text && size > 0);
    int len = snprintf(text, size, "%-12s %-10s restarts=%d (bus)\n", CP_SERVICE_BROKER,
                       self->broker ? "running" : "stopped", self->broker_restarts);
    if (self->httpd && len > 0 && (size_t) len < size)
        snprintf(text + len, size - (size_t) len, "%-12s %-10s restarts=%d (non-critical)\n",
                 CP_SERVICE_STATUSPAGE, s_state_name(self->httpd_state), self->httpd_restarts);
}

int
cp_services_fault(cp_services_t *self, const char *name, const char *fault, char *reason, size_t size)
{
    assert(self && name && fault && reason);
    bool kill = streq(fault, "kill");
    if (streq(fault, "crash") && (streq(name, CP_SERVICE_BROKER) || streq(name, CP_SERVICE_STATUSPAGE))) {
        snprintf(reason, size, "%s is a thread of the supervisor: crash an actor instead", name);
        return 1;
    }
    if (streq(name, CP_SERVICE_BROKER)) {
        if (!kill) {
            snprintf(reason, size, "the broker cannot be hung on purpose (only killed)");
            return 1;
        }
        //  Its thread leaves as if it had failed; the supervisor sees it end.
        zstr_send(self->broker, "$TERM");
        cp_poller_touch(self->poller, self->broker);    //  the send may have taken its wake-up
        return 0;
    }
    if (streq(name, CP_SERVICE_STATUSPAGE) && self->httpd) {
        if (!kill || self->httpd_state != SERVICE_RUNNING) {
            snprintf(reason, size, kill ? "the status page is not running"
                                        : "the status page cannot be hung on purpose (only killed)");
            return 1;
        }
        httpd_inject_exit(self->httpd);
        return 0;
    }
    return -1;
}

//  --------------------------------------------------------------------------

cp_services_t *
cp_services_new(const cp_options_t *options, cp_clock_t *clock, cp_policy_t *policy, int first_index,
                cp_poller_t *poller)
{
    assert(options && clock && policy && poller && first_index >= 0);
    cp_services_t *self = calloc(1, sizeof(cp_services_t));
    if (!self)
        return NULL;
    self->options = options;
    self->clock = clock;
    self->policy = policy;
    self->first_index = first_index;
    self->poller = poller;
    cp_bus_endpoints_init(&self->ep, options->bus_prefix);
    cp_policy_set_critical(policy, first_index, true);
    cp_policy_set_critical(policy, s_httpd_index(self), false);
    if (s_broker_start(self) != 0) {
        free(self);
        return NULL;
    }
    return self;
}

void
cp_services_destroy(cp_services_t **self_p)
{
    assert(self_p);
    cp_services_t *self = *self_p;
    if (!self)
        return;
    if (self->broker)
        cp_poller_remove(self->poller, self->broker);
    zactor_destroy(&self->broker);
    free(self);
    *self_p = NULL;
}

void
cp_services_set_bus(cp_services_t *self, cp_bus_t *bus)
{
    assert(self);
    self->bus = bus;
}
