/* status.c — see status.h. */
#include "supervisor/status.h"

#include <assert.h>
#include <math.h>
#include <string.h>
#include "actors/config/config_store.h"
#include "actors/config/ocpp_settings.h"
#include "hw/hw.h"
#include "supervisor/clock.h"
#include "supervisor/log.h"
#include "supervisor/store.h"

//  The actors whose levels status shows, each asked for a snapshot after
//  it (re)starts.
static const char *const s_sources[] = { "hw", "transaction", "ocpp", "hmi", "smartcharging", "firmware",
                                         "security" };
#define SOURCES (sizeof(s_sources) / sizeof(s_sources[0]))
//  A snapshot request may reach an actor before it joined the bus: asked
//  again at the next tick, this many times.
#define SNAPSHOT_TRIES 5
#define RETRY_AT_TICK UINT64_MAX

typedef struct {
    uint64_t corr;                 //  0: none in flight; RETRY_AT_TICK: ask at the next tick
    int tries;                     //  left
} snapshot_t;

struct _cp_status_t {
    const cp_options_t *options;
    cp_bus_t *bus;                 //  the supervisor's (not owned)
    snapshot_t snapshots[SOURCES];
    cp_msg_t *ocpp_state;
    cp_msg_t *hw_conn[HW_MAX_CONNECTORS + 1];
    cp_msg_t *tx_conn[HW_MAX_CONNECTORS + 1];
    cp_msg_t *hmi_conn[HW_MAX_CONNECTORS + 1];
    cp_msg_t *sc_limit[HW_MAX_CONNECTORS + 1];
    cp_msg_t *grid;                //  the grid meter (Power Boost); NULL: none
    cp_msg_t *store;               //  store.state (transaction); NULL: not heard yet
    int64_t seen_store;
    cp_msg_t *firmware;            //  firmware.state; NULL: not heard yet
    int64_t seen_firmware;
    cp_msg_t *security;            //  security.state; NULL: not heard yet
    int64_t seen_security;
    int64_t seen_sc[HW_MAX_CONNECTORS + 1], seen_grid;
    int64_t seen_ocpp, seen_hw[HW_MAX_CONNECTORS + 1], seen_tx[HW_MAX_CONNECTORS + 1];
    int64_t seen_hmi[HW_MAX_CONNECTORS + 1];
    config_store_t *config;        //  a reader: the OCPP settings in force
};

cp_status_t *
cp_status_new(const cp_options_t *options, cp_bus_t *bus)
{
    assert(options && bus);
    cp_status_t *self = calloc(1, sizeof(cp_status_t));
    if (!self)
        return NULL;
    self->options = options;
    self->bus = bus;
    //  No store, no settings: status then shows the start-up options.
    char store_err[256];
    self->config = config_store_open_reader(options, store_err, sizeof(store_err));
    if (!self->config)
        cp_warn("supervisor", "status cannot read the OCPP settings: %s", store_err);
    cp_bus_subscribe(bus, "ocpp.state");
    cp_bus_subscribe(bus, "hw.connector.");
    cp_bus_subscribe(bus, "tx.connector.");
    cp_bus_subscribe(bus, "hmi.connector.");
    cp_bus_subscribe(bus, "store.state");
    cp_bus_subscribe(bus, "sc.limit.");
    cp_bus_subscribe(bus, "hw.grid");
    cp_bus_subscribe(bus, "firmware.state");
    cp_bus_subscribe(bus, "security.state");
    return self;
}

void
cp_status_destroy(cp_status_t **self_p)
{
    assert(self_p);
    cp_status_t *self = *self_p;
    if (!self)
        return;
    cp_msg_destroy(&self->ocpp_state);
    for (int n = 0; n <= HW_MAX_CONNECTORS; n++) {
        cp_msg_destroy(&self->hw_conn[n]);
        cp_msg_destroy(&self->tx_conn[n]);
        cp_msg_destroy(&self->hmi_conn[n]);
        cp_msg_destroy(&self->sc_limit[n]);
    }
    cp_msg_destroy(&self->grid);
    cp_msg_destroy(&self->store);
    cp_msg_destroy(&self->firmware);
    cp_msg_destroy(&self->security);
    config_store_destroy(&self->config);
    free(self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  The cache

static void
s_cache(cp_msg_t **slot, const cp_msg_t *msg)
{
    //  Re-encode to copy: messages own heap TEXT fields.
    char *data = NULL;
    size_t size = 0;
    if (cp_msg_encode(msg, &data, &size) != 0)
        return;
    cp_msg_t *copy = cp_msg_decode(data, size, NULL, 0);
    free(data);
    if (copy) {
        cp_msg_destroy(slot);
        *slot = copy;
    }
}

//  Cache msg as the newest state of connector n (first..connectors) unless
//  an older copy arrived late (cp_msg_stale).
static void
s_cache_connector(cp_status_t *self, cp_msg_t **slots, int64_t *seen, int64_t n, int first, int64_t seq,
                  const cp_msg_t *msg)
{
    if (n >= first && n <= self->options->connectors && !cp_msg_stale(seq, &seen[n]))
        s_cache(&slots[n], msg);
}

void
cp_status_absorb(cp_status_t *self, const cp_msg_t *msg)
{
    assert(self && msg);
    switch (msg->type) {
    case CP_MSG_OCPP_STATE:
        if (!cp_msg_stale(msg->u.ocpp_state.seq, &self->seen_ocpp))
            s_cache(&self->ocpp_state, msg);
        break;
    case CP_MSG_HW_GRID:
        if (!cp_msg_stale(msg->u.hw_grid.seq, &self->seen_grid))
            s_cache(&self->grid, msg);
        break;
    case CP_MSG_HW_CONNECTOR:
        s_cache_connector(self, self->hw_conn, self->seen_hw, msg->u.hw_connector.connector, 1,
                          msg->u.hw_connector.seq, msg);
        break;
    case CP_MSG_HMI_STATE:
        s_cache_connector(self, self->hmi_conn, self->seen_hmi, msg->u.hmi_state.connector, 1,
                          msg->u.hmi_state.seq, msg);
        break;
    case CP_MSG_SC_LIMIT:
        s_cache_connector(self, self->sc_limit, self->seen_sc, msg->u.sc_limit.connector, 1,
                          msg->u.sc_limit.seq, msg);
        break;
    case CP_MSG_STORE_STATE:
        if (!cp_msg_stale(msg->u.store_state.seq, &self->seen_store))
            s_cache(&self->store, msg);
        break;
    case CP_MSG_FIRMWARE_STATE:
        if (!cp_msg_stale(msg->u.firmware_state.seq, &self->seen_firmware))
            s_cache(&self->firmware, msg);
        break;
    case CP_MSG_SECURITY_STATE:
        if (!cp_msg_stale(msg->u.security_state.seq, &self->seen_security))
            s_cache(&self->security, msg);
        break;
    case CP_MSG_TX_CONNECTOR:      //  connector 0 too: the charger as a whole
        s_cache_connector(self, self->tx_conn, self->seen_tx, msg->u.tx_connector.connector, 0,
                          msg->u.tx_connector.seq, msg);
        break;
    default:
        break;
    }
}

//  --------------------------------------------------------------------------
//  Snapshots

static int
s_source(const char *actor)
{
    for (size_t i = 0; i < SOURCES; i++)
        if (streq(s_sources[i], actor))
            return (int) i;
    return -1;
}

static void
s_ask(cp_status_t *self, size_t i)
{
    cp_msg_t *req = cp_msg_new(CP_MSG_SNAPSHOT_REQUEST);
    if (!req)
        return;
    cp_msg_set_str(req->u.snapshot_request.scope, "status");
    uint64_t corr = cp_bus_request(self->bus, s_sources[i], req);
    cp_msg_destroy(&req);
    snapshot_t *snap = &self->snapshots[i];
    if (snap->corr == 0 || snap->tries <= 0)
        snap->tries = SNAPSHOT_TRIES;
    //  Not sent at all (the bus refused): ask again at the next tick.
    snap->corr = corr ? corr : RETRY_AT_TICK;
}

void
cp_status_ask(cp_status_t *self, const char *actor)
{
    assert(self && actor);
    int i = s_source(actor);
    if (i >= 0)
        s_ask(self, (size_t) i);
}

bool
cp_status_on_reply(cp_status_t *self, const cp_bus_envelope_t *env)
{
    assert(self && env);
    for (size_t i = 0; i < SOURCES; i++) {
        snapshot_t *snap = &self->snapshots[i];
        if (env->corr && snap->corr == env->corr) {
            if (env->kind == CP_BUS_UNREACHABLE && --snap->tries > 0)
                snap->corr = RETRY_AT_TICK;
            else
                snap->corr = 0;
            return true;
        }
    }
    return false;
}

void
cp_status_tick(cp_status_t *self)
{
    assert(self);
    for (size_t i = 0; i < SOURCES; i++)
        if (self->snapshots[i].corr == RETRY_AT_TICK)
            s_ask(self, i);
}

//  --------------------------------------------------------------------------
//  The JSON

static json_t *
s_ocpp_json(cp_status_t *self, ocpp_settings_t *settings)
{
    json_t *ocpp = json_object();
    const cp_msg_ocpp_state_t *os = self->ocpp_state ? &self->ocpp_state->u.ocpp_state : NULL;
    const char *conn = os ? os->connection : (settings->enabled ? "connecting" : "disabled");
    json_object_set_new(ocpp, "connection", json_string(conn));
    json_object_set_new(ocpp, "enabled", json_boolean(settings->enabled));
    json_object_set_new(ocpp, "passwordSet", json_boolean(settings->password_set));
    json_object_set_new(ocpp, "registration", json_string(os ? os->registration : "None"));
    json_object_set_new(ocpp, "heartbeatInterval", json_integer(os ? os->heartbeat_interval : 0));
    if (os && os->last_error[0])
        json_object_set_new(ocpp, "lastError", json_string(os->last_error));
    if (settings->url[0]) {
        char url[512];
        cp_log_redact_url(settings->url, url, sizeof(url));
        json_object_set_new(ocpp, "url", json_string(url));
    }
    return ocpp;
}

//  The firmware this process runs, and the update and the diagnostics
//  upload when one goes on (firmware_core.h).
static json_t *
s_firmware_json(cp_status_t *self)
{
    const cp_msg_firmware_state_t *fs = self->firmware ? &self->firmware->u.firmware_state : NULL;
    json_t *fw = json_pack("{s:s}", "version", fs ? fs->version : self->options->firmware);
    json_t *update = json_pack("{s:s}", "status", fs ? fs->firmware : "Idle");
    if (fs && !streq(fs->step, "none")) {
        json_object_set_new(update, "step", json_string(fs->step));
        json_object_set_new(update, "location", json_string(fs->location));
        json_object_set_new(update, "failedAttempts", json_integer((json_int_t) fs->attempts));
        json_object_set_new(update, "tries", json_integer((json_int_t) fs->tries));
        if (fs->next_ms > 0) {
            char next[40];
            cp_clock_format(fs->next_ms, next, sizeof(next));
            json_object_set_new(update, streq(fs->step, "waiting") ? "retrieveDate" : "nextAttempt",
                                json_string(next));
        }
    }
    json_object_set_new(fw, "update", update);
    json_t *diagnostics = json_pack("{s:s}", "status", fs ? fs->diagnostics : "Idle");
    if (fs && fs->diag_location[0]) {
        json_object_set_new(diagnostics, "location", json_string(fs->diag_location));
        json_object_set_new(diagnostics, "fileName", json_string(fs->diag_file_name));
    }
    json_object_set_new(fw, "diagnostics", diagnostics);
    return fw;
}

static json_t *
s_connector_json(cp_status_t *self, int n)
{
    json_t *c = json_object();
    const cp_msg_tx_connector_t *tx = self->tx_conn[n] ? &self->tx_conn[n]->u.tx_connector : NULL;
    const cp_msg_hw_connector_t *hw = self->hw_conn[n] ? &self->hw_conn[n]->u.hw_connector : NULL;
    json_object_set_new(c, "id", json_integer(n));
    json_object_set_new(c, "status", json_string(tx ? tx->status : "Unavailable"));
    json_object_set_new(c, "errorCode", json_string(tx ? tx->error_code : "NoError"));
    json_object_set_new(c, "plugged", json_boolean(hw && hw->plugged));
    if (tx && tx->tx_active) {
        json_t *t = json_object();
        json_object_set_new(t, "id", tx->tx_confirmed ? json_integer(tx->tx_id) : json_null());
        json_object_set_new(t, "idTag", json_string(tx->id_tag));
        json_object_set_new(t, "meterStart", json_integer(tx->meter_start));
        json_object_set_new(t, "startedAt", json_string(tx->started_at));
        json_object_set_new(c, "transaction", t);
    }
    else
        json_object_set_new(c, "transaction", json_null());
    json_object_set_new(c, "energyWh", json_integer(hw ? (json_int_t) hw->energy_wh : 0));
    json_object_set_new(c, "powerW", json_integer(hw ? (json_int_t) (hw->power_w + 0.5) : 0));
    json_object_set_new(c, "limitA", json_real(hw ? hw->offered_a : 0.0));
    //  The pilot's PWM duty cycle for it (IEC 61851-1; 100 = no PWM),
    //  and which limit holds it there (local_limits.h).
    json_object_set_new(c, "dutyPct", json_real(hw ? round(hw->duty_pct * 10.0) / 10.0 : 100.0));
    const cp_msg_sc_limit_t *sc = self->sc_limit[n] ? &self->sc_limit[n]->u.sc_limit : NULL;
    if (sc)
        json_object_set_new(c, "limitSource", json_string(sc->source));
    json_object_set_new(c, "pilot", json_string(hw ? hw->pilot : "A"));
    json_object_set_new(c, "contactor", json_boolean(hw && hw->contactor_closed));
    json_object_set_new(c, "locked", json_boolean(hw && hw->locked));
    json_object_set_new(c, "fault", json_string(hw ? hw->fault : "none"));
    json_object_set_new(c, "temperatureC", json_real(hw ? hw->temperature_c : 0.0));
    //  The enclosure's tamper switch (charger-wide, reported per connector).
    json_object_set_new(c, "tamper", json_boolean(hw && hw->tamper));
    //  What the driver sees on the charger (halo and display, the seed's HMI).
    const cp_msg_hmi_state_t *hmi = self->hmi_conn[n] ? &self->hmi_conn[n]->u.hmi_state : NULL;
    if (hmi)
        json_object_set_new(c, "hmi", json_pack("{s:s, s:s, s:s}", "halo", hmi->halo, "pattern", hmi->pattern,
                                                "display", hmi->display));
    return c;
}

json_t *
cp_status_json(cp_status_t *self)
{
    assert(self);
    json_t *root = json_object();
    //  The OCPP settings in force (store, else start-up options).
    ocpp_settings_t settings = { .enabled = self->options->csms_url[0] != '\0' };
    if (!self->config || ocpp_settings_read(self->config, &settings) != CONFIG_STORE_OK) {
        //  (options bound both: a URL of 500+ characters is not dialable)
        snprintf(settings.url, sizeof(settings.url), "%.500s", self->options->csms_url);
        snprintf(settings.identity, sizeof(settings.identity), "%.48s", self->options->id);
    }
    json_object_set_new(root, "chargePointId", json_string(settings.identity));
    json_object_set_new(root, "version", json_string(CP_VERSION));
    json_object_set_new(root, "ocpp", s_ocpp_json(self, &settings));
    json_t *connectors = json_array();
    for (int n = 1; n <= self->options->connectors; n++)
        json_array_append_new(connectors, s_connector_json(self, n));
    json_object_set_new(root, "connectors", connectors);
    //  The household grid meter, when the installation has one.
    if (self->grid) {
        const cp_msg_hw_grid_t *g = &self->grid->u.hw_grid;
        json_object_set_new(root, "grid", json_pack("{s:b, s:f, s:f}", "ok", g->ok,
                                                    "currentA", round(g->current_a * 10.0) / 10.0,
                                                    "chargerA", round(g->charger_a * 10.0) / 10.0));
    }
    //  Transaction messages the outbox gave up on and keeps (outbox.h):
    //  billing records to look at, and to send again (cpctl outbox retry).
    const cp_msg_tx_connector_t *charger = self->tx_conn[0] ? &self->tx_conn[0]->u.tx_connector : NULL;
    json_object_set_new(root, "outbox", json_pack("{s:I}", "deadLetters",
                                                  (json_int_t) (charger ? charger->dead_letters : 0)));
    //  Whether the store takes writes (actors/transaction/store_health.h).
    const cp_msg_store_state_t *store = self->store ? &self->store->u.store_state : NULL;
    json_t *storage = json_pack("{s:b}", "ok", store ? store->ok : true);
    if (store && !store->ok) {
        char since[40];
        cp_clock_format(store->since_ms, since, sizeof(since));
        json_object_set_new(storage, "error", json_string(store->error));
        json_object_set_new(storage, "since", json_string(since));
        json_object_set_new(storage, "failedWrites", json_integer((json_int_t) store->failures));
    }
    json_object_set_new(root, "storage", storage);
    json_object_set_new(root, "firmware", s_firmware_json(self));
    if (self->security) {
        const cp_msg_security_state_t *ss = &self->security->u.security_state;
        json_t *security = json_pack("{s:I, s:{s:I, s:I}, s:b}",
            "certificates", (json_int_t) ss->certificates,
            "events", "logged", (json_int_t) ss->events_logged, "owed", (json_int_t) ss->events_owed,
            "csrPending", ss->csr_pending);
        //  The Charge Point certificate in use: its serial and end, never
        //  anything of its key.
        if (security && ss->cp_cert_serial[0]) {
            char until[40];
            cp_clock_format(ss->cp_cert_not_after, until, sizeof(until));
            json_object_set_new(security, "chargePointCertificate",
                                json_pack("{s:s, s:s}", "serialNumber", ss->cp_cert_serial, "notAfter", until));
        }
        json_object_set_new(root, "security", security);
    }
    return root;
}
