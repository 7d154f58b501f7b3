/* simboard.c — the simulated power board's logic (see simboard.h).
 *
 * The charger and EV model is hw/sim, unchanged: this file only puts the
 * board's own concerns around it — the frames, the 500 ms watchdog that
 * does not depend on anything the controller says, who is linked, and the
 * state file that plays the role of the MCU's non-volatile memory.
 */
#include "hw/board/simboard.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hw/sim/sim.h"
#include "supervisor/log.h"

#define SIMBOARD_LOG "board"
#define SAVE_EVERY_MS SIMBOARD_TICK_MAX_MS     //  the register is saved at most this often while it moves

typedef struct {
    bool left_away;                 //  the car left while no controller was linked
    double left_wh;
    bool was_closed;                //  contactor, as last seen
} board_connector_t;

struct _simboard_t {
    hw_driver_t *sim;
    cp_clock_t *clock;              //  borrowed
    int count;
    board_connector_t connectors[HW_MAX_CONNECTORS];
    char state_path[4096];
    uint32_t boot_id;
    uint32_t link_gen;              //  HELLOs since this board started
    int controllers;                //  linked controllers now
    bool restored_clean;            //  came back from a clean power-down
    bool without_pet_read;          //  answers as a board from before PET_READ
    //  The watchdog, as the board keeps it (the sim enforces the same).
    bool wd_armed;
    int64_t pet_mono, pet_wall;
    int pet_timeout;
    //  PET_REST: from it until the next PET or PET_READ (or the link's
    //  end) a connector whose report steps away from notice_base is
    //  announced (simboard_notices).
    bool resting;
    hw_connector_state_t notice_base[HW_MAX_CONNECTORS];
    //  The state file, written by a thread of its own: the board's loop
    //  (the watchdog, the answers to the controller) never waits on the
    //  disk — a frozen or slow filesystem on the Linux side is no reason
    //  for the MCU to stop (an MCU's NVM write does not block its timer).
    int64_t saved_mono;
    double saved_wh[HW_MAX_CONNECTORS];
    pthread_t writer;
    bool writer_running;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    char pending[1024];             //  the latest state to write ("" = none)
    bool stopping;
};

//  Write text to path: a temporary file, synced, renamed, so that a cut
//  leaves the old or the new state, never half of one.
static void
s_write_file(const char *path, const char *text)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cp_warn(SIMBOARD_LOG, "cannot save the board state to %s", tmp);
        return;
    }
    bool ok = fputs(text, f) >= 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (fclose(f) == 0 && ok)
        rename(tmp, path);
    else
        remove(tmp);
}

static void *
s_writer(void *arg)
{
    simboard_t *self = arg;
    char text[sizeof(self->pending)];
    pthread_mutex_lock(&self->mutex);
    while (true) {
        while (!self->pending[0] && !self->stopping)
            pthread_cond_wait(&self->wake, &self->mutex);
        if (!self->pending[0])
            break;                          //  stopping, nothing left to write
        snprintf(text, sizeof(text), "%s", self->pending);
        self->pending[0] = '\0';
        pthread_mutex_unlock(&self->mutex);
        s_write_file(self->state_path, text);
        pthread_mutex_lock(&self->mutex);
    }
    pthread_mutex_unlock(&self->mutex);
    return NULL;
}

static void
s_writer_stop(simboard_t *self)
{
    if (!self->writer_running)
        return;
    pthread_mutex_lock(&self->mutex);
    self->stopping = true;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->mutex);
    pthread_join(self->writer, NULL);
    self->writer_running = false;
}

static void
s_refresh_closed(simboard_t *self)
{
    for (int i = 0; i < self->count; i++) {
        hw_connector_state_t st;
        if (self->sim->ops->read(self->sim, i + 1, &st) == 0)
            self->connectors[i].was_closed = st.contactor_closed;
    }
}

void
simboard_save(simboard_t *self, bool clean)
{
    if (!self->state_path[0])
        return;
    //  One line per connector: n plugged requesting energy_wh locked.
    char text[sizeof(self->pending)];
    size_t used = (size_t) snprintf(text, sizeof(text), "clean %d\n", clean ? 1 : 0);
    for (int i = 0; i < self->count && used < sizeof(text); i++) {
        hw_connector_state_t st;
        if (self->sim->ops->read(self->sim, i + 1, &st) != 0)
            continue;
        used += (size_t) snprintf(text + used, sizeof(text) - used, "%d %d %d %.4f %d\n", i + 1, st.plugged,
                                  st.ev_requesting, st.energy_wh, st.locked);
        self->saved_wh[i] = st.energy_wh;
    }
    self->saved_mono = cp_clock_mono_ms(self->clock);
    if (clean || !self->writer_running) {
        //  A power-down is the board's last act: written now, after
        //  anything the writer still had.
        s_writer_stop(self);
        s_write_file(self->state_path, text);
        return;
    }
    pthread_mutex_lock(&self->mutex);
    snprintf(self->pending, sizeof(self->pending), "%s", text);
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->mutex);
}

//  Bring back what the state file kept: cable, EV request, register, lock.
static void
s_restore(simboard_t *self)
{
    FILE *f = self->state_path[0] ? fopen(self->state_path, "r") : NULL;
    if (!f)
        return;
    int clean = 0;
    if (fscanf(f, "clean %d", &clean) != 1)
        clean = 0;
    int n, plugged, requesting, locked;
    double wh;
    char reason[128], line[128];
    while (fgets(line, sizeof(line), f)) {
        locked = 0;                 //  a file from before the lock was kept
        if (sscanf(line, "%d %d %d %lf %d", &n, &plugged, &requesting, &wh, &locked) < 4)
            continue;
        if (n < 1 || n > self->count)
            continue;
        if (wh >= 0)
            hw_sim_set_register(self->sim, n, wh);
        if (plugged)
            self->sim->ops->simulate(self->sim, n, "plug", NULL, reason, sizeof(reason));
        if (plugged && requesting)
            self->sim->ops->simulate(self->sim, n, "ev_charge", NULL, reason, sizeof(reason));
        if (locked)
            self->sim->ops->set_lock(self->sim, n, true);
        cp_info(SIMBOARD_LOG, "connector %d restored: %s%s, register %.3f Wh", n,
                plugged ? (requesting ? "plugged, EV requesting" : "plugged") : "unplugged",
                locked ? ", locked" : "", wh);
    }
    fclose(f);
    self->restored_clean = clean == 1;
    cp_info(SIMBOARD_LOG, "state restored after a %s", self->restored_clean ? "clean power-down" : "power cut");
}

simboard_t *
simboard_new(int connectors, cp_clock_t *clock, const char *state_path)
{
    if (connectors < 1 || connectors > HW_MAX_CONNECTORS)
        return NULL;
    simboard_t *self = calloc(1, sizeof(simboard_t));
    if (!self)
        return NULL;
    self->sim = hw_sim_new(connectors, clock);
    if (!self->sim) {
        free(self);
        return NULL;
    }
    self->clock = clock;
    self->count = connectors;
    snprintf(self->state_path, sizeof(self->state_path), "%s", state_path ? state_path : "");
    //  Different on every start, so that a controller can tell this board
    //  from the one it talked to before.
    self->boot_id = (uint32_t) (cp_clock_wall_ms(clock) ^ ((int64_t) getpid() << 16));
    s_restore(self);
    //  From now on an end without power-down is a cut (written at once,
    //  before the writer thread takes over).
    simboard_save(self, false);
    pthread_mutex_init(&self->mutex, NULL);
    pthread_cond_init(&self->wake, NULL);
    if (self->state_path[0])
        self->writer_running = pthread_create(&self->writer, NULL, s_writer, self) == 0;
    return self;
}

void
simboard_destroy(simboard_t **self_p)
{
    simboard_t *self = *self_p;
    if (!self)
        return;
    s_writer_stop(self);
    pthread_cond_destroy(&self->wake);
    pthread_mutex_destroy(&self->mutex);
    hw_driver_destroy(&self->sim);
    free(self);
    *self_p = NULL;
}

int
simboard_connectors(const simboard_t *self)
{
    return self->count;
}

uint32_t
simboard_boot_id(const simboard_t *self)
{
    return self->boot_id;
}

void
simboard_without_pet_read(simboard_t *self)
{
    self->without_pet_read = true;
}

void
simboard_client_gone(simboard_t *self, bool controller)
{
    if (!controller || self->controllers == 0)
        return;
    self->resting = false;
    if (--self->controllers == 0) {
        //  A new outage begins: what happens during it is reported to the
        //  next controller, and only that.
        for (int i = 0; i < self->count; i++)
            self->connectors[i].left_away = false;
        cp_info(SIMBOARD_LOG, "controller link down (last pet %lld ms ago)",
                (long long) (cp_clock_mono_ms(self->clock) - self->pet_mono));
    }
}

static void
s_ack(board_frame_t *reply, uint8_t seq, board_ack_t status, const char *reason)
{
    board_cursor_t w;
    board_cursor_writer(&w, reply->payload, sizeof(reply->payload));
    board_put_u8(&w, (uint8_t) status);
    board_put_str(&w, reason);
    reply->type = BOARD_ACK;
    reply->seq = seq;
    reply->len = (uint8_t) w.pos;
}

void
simboard_malformed(simboard_t *self, board_frame_t *reply)
{
    s_ack(reply, 0, BOARD_ACK_MALFORMED, "bad frame");
}

static void
s_hello(simboard_t *self, uint8_t seq, board_frame_t *reply, bool controller)
{
    //  An observer (the supervisor in --split, a tool) is no controller:
    //  it neither begins a link nor ends an outage.
    if (controller) {
        self->link_gen++;
        self->controllers++;
        self->resting = false;
    }
    bool continuous = self->link_gen > 1 || self->restored_clean;
    board_cursor_t w;
    board_cursor_writer(&w, reply->payload, sizeof(reply->payload));
    board_put_u8(&w, BOARD_VERSION);
    board_put_u8(&w, (uint8_t) self->count);
    board_put_u8(&w, (uint8_t) ((continuous ? BOARD_HELLO_CONTINUOUS : 0)
                              | (self->without_pet_read ? 0 : BOARD_HELLO_PET_READ | BOARD_HELLO_REST)));
    board_put_u32(&w, self->boot_id);
    board_put_u32(&w, self->link_gen);
    reply->type = BOARD_HELLO_ACK;
    reply->seq = seq;
    reply->len = (uint8_t) w.pos;
    if (controller)
        cp_info(SIMBOARD_LOG, "controller linked (link %u, %s)", self->link_gen,
                continuous ? "continuous" : "first since power-up");
}

//  SIM: the simulated car and household, plus "register" (the controller
//  raises a register restored from a stale file to what it billed).
static board_ack_t
s_sim(simboard_t *self, int connector, const char *command, const char *arg, char *reason, size_t size)
{
    hw_driver_t *sim = self->sim;
    if (strcmp(command, "register") == 0) {
        char *end = NULL;
        double wh = strtod(arg, &end);
        if (!*arg || *end || hw_sim_set_register(sim, connector, wh) != 0) {
            snprintf(reason, size, "register takes Wh >= 0 on a connector");
            return BOARD_ACK_REFUSED;
        }
        return BOARD_ACK_OK;
    }
    hw_connector_state_t before;
    bool known = connector >= 1 && connector <= self->count && sim->ops->read(sim, connector, &before) == 0;
    if (sim->ops->simulate(sim, connector, command, arg[0] ? arg : NULL, reason, size) != 0)
        return BOARD_ACK_REFUSED;
    if (known && strcmp(command, "unplug") == 0 && self->controllers == 0) {
        board_connector_t *c = &self->connectors[connector - 1];
        if (!c->left_away) {
            c->left_away = true;
            c->left_wh = before.energy_wh;
            cp_info(SIMBOARD_LOG, "connector %d: the car left while no controller was linked, at %.3f Wh",
                    connector, before.energy_wh);
        }
    }
    if (connector >= 1)
        simboard_save(self, false);
    return BOARD_ACK_OK;
}

//  Connector n's report as the controller gets it: the sim's state and
//  what only the board knows (continuity, the car leaving while unlinked).
//  0, or -1 for no such connector.
static int
s_report(simboard_t *self, int n, hw_connector_state_t *st)
{
    if (self->sim->ops->read(self->sim, n, st) != 0)
        return -1;
    st->board_continuous = self->link_gen > 1 || self->restored_clean;
    st->left_away = self->connectors[n - 1].left_away;
    st->left_wh = st->left_away ? self->connectors[n - 1].left_wh : 0;
    return 0;
}

//  Feed the watchdog (PET, PET_READ). 0, or -1 for a timeout out of range.
static int
s_pet(simboard_t *self, int timeout)
{
    //  The board's own limit wins over what the controller asks.
    if (timeout > BOARD_WATCHDOG_MS)
        timeout = BOARD_WATCHDOG_MS;
    if (self->sim->ops->safety_feed(self->sim, timeout) != 0)
        return -1;
    self->wd_armed = true;
    self->pet_mono = cp_clock_mono_ms(self->clock);
    self->pet_wall = cp_clock_wall_ms(self->clock);
    self->pet_timeout = timeout;
    self->resting = false;
    return 0;
}

//  PET_READ and PET_REST: STATE of connectors first..first+count-1 in
//  one STATES reply (the request already checked).
static void
s_states_reply(simboard_t *self, uint8_t seq, int first, int count, board_frame_t *reply)
{
    hw_connector_state_t states[BOARD_STATES_MAX];
    for (int i = 0; i < count; i++)
        s_report(self, first + i, &states[i]);
    if (self->resting)
        for (int i = 0; i < count; i++)
            self->notice_base[first + i - 1] = states[i];
    reply->type = BOARD_STATES;
    reply->seq = seq;
    reply->len = (uint8_t) board_states_encode(states, count, reply->payload, sizeof(reply->payload));
}

uint32_t
simboard_notices(simboard_t *self)
{
    if (!self->resting)
        return 0;
    uint32_t stepped = 0;
    for (int n = 1; n <= self->count; n++) {
        hw_connector_state_t now;
        if (s_report(self, n, &now) == 0 && hw_connector_stepped(&self->notice_base[n - 1], &now)) {
            self->notice_base[n - 1] = now;
            stepped |= 1u << (n - 1);
        }
    }
    return stepped;
}

void
simboard_handle(simboard_t *self, const board_frame_t *req, board_frame_t *reply, bool *hello,
                bool *power_down)
{
    hw_driver_t *sim = self->sim;
    board_cursor_t r;
    board_cursor_reader(&r, req->payload, req->len);
    *hello = false;
    *power_down = false;
    char reason[BOARD_STR_MAX + 1] = "";
    int rc = 0;
    switch (req->type) {
        case BOARD_HELLO: {
            uint8_t version = board_get_u8(&r);
            uint8_t role = board_get_u8(&r);
            if (!board_cursor_done(&r) || role > BOARD_ROLE_OBSERVER)
                break;
            if (version != BOARD_VERSION) {
                snprintf(reason, sizeof(reason), "protocol version %u, this board speaks %d", version, BOARD_VERSION);
                s_ack(reply, req->seq, BOARD_ACK_REFUSED, reason);
                return;
            }
            s_hello(self, req->seq, reply, role == BOARD_ROLE_CONTROLLER);
            *hello = role == BOARD_ROLE_CONTROLLER;
            return;
        }
        case BOARD_READ: {
            int n = board_get_u8(&r);
            if (!board_cursor_done(&r))
                break;
            hw_connector_state_t st;
            if (s_report(self, n, &st) != 0) {
                s_ack(reply, req->seq, BOARD_ACK_REFUSED, "no such connector");
                return;
            }
            reply->type = BOARD_STATE;
            reply->seq = req->seq;
            reply->len = (uint8_t) board_state_encode(&st, reply->payload, sizeof(reply->payload));
            return;
        }
        case BOARD_GRID_READ: {
            hw_grid_state_t grid;
            if (!board_cursor_done(&r))
                break;
            sim->ops->read_grid(sim, &grid);
            board_cursor_t w;
            board_cursor_writer(&w, reply->payload, sizeof(reply->payload));
            board_put_u8(&w, grid.ok);
            board_put_u32(&w, board_milli(grid.current_a));
            reply->type = BOARD_GRID;
            reply->seq = req->seq;
            reply->len = (uint8_t) w.pos;
            return;
        }
        case BOARD_CONTACTOR:
        case BOARD_LOCK: {
            int n = board_get_u8(&r);
            uint8_t on = board_get_u8(&r);
            if (!board_cursor_done(&r) || on > 1)
                break;
            rc = req->type == BOARD_CONTACTOR ? sim->ops->set_contactor(sim, n, on)
                                              : sim->ops->set_lock(sim, n, on);
            if (rc == 0 && n >= 1 && n <= self->count && req->type == BOARD_CONTACTOR)
                self->connectors[n - 1].was_closed = on;
            if (rc == 0 && n >= 1 && n <= self->count && req->type == BOARD_LOCK)
                simboard_save(self, false);     //  the lock holds through a power cut

            s_ack(reply, req->seq, rc == 0 ? BOARD_ACK_OK : BOARD_ACK_REFUSED,
                  rc == 0 ? "" : "refused (no such connector, or the safety path does not permit)");
            return;
        }
        case BOARD_OFFER: {
            int n = board_get_u8(&r);
            uint32_t ma = board_get_u32(&r);
            if (!board_cursor_done(&r))
                break;
            rc = sim->ops->set_offered_current(sim, n, ma / 1000.0);
            s_ack(reply, req->seq, rc == 0 ? BOARD_ACK_OK : BOARD_ACK_REFUSED, rc == 0 ? "" : "no such connector");
            return;
        }
        case BOARD_PET: {
            int timeout = board_get_u16(&r);
            if (!board_cursor_done(&r))
                break;
            if (s_pet(self, timeout) != 0) {
                s_ack(reply, req->seq, BOARD_ACK_REFUSED, "watchdog timeout out of range");
                return;
            }
            s_ack(reply, req->seq, BOARD_ACK_OK, "");
            return;
        }
        case BOARD_PET_READ:
        case BOARD_PET_REST: {
            int timeout = board_get_u16(&r);
            int first = board_get_u8(&r);
            int count = board_get_u8(&r);
            if (self->without_pet_read) {
                snprintf(reason, sizeof(reason), "unknown frame type 0x%02x", req->type);
                s_ack(reply, req->seq, BOARD_ACK_UNKNOWN, reason);
                return;
            }
            if (!board_cursor_done(&r) || count < 1 || count > BOARD_STATES_MAX)
                break;
            //  Everything checked before the pet: a refused request
            //  changes nothing, as with PET and READ.
            if (first < 1 || first + count - 1 > self->count) {
                s_ack(reply, req->seq, BOARD_ACK_REFUSED, "no such connector");
                return;
            }
            if (req->type == BOARD_PET_READ && s_pet(self, timeout) != 0) {
                s_ack(reply, req->seq, BOARD_ACK_REFUSED, "watchdog timeout out of range");
                return;
            }
            if (req->type == BOARD_PET_REST && sim->ops->safety_rest(sim, timeout) != 0) {
                s_ack(reply, req->seq, BOARD_ACK_REFUSED, "a contactor is closed (or the timeout is out of "
                      "range): feed the watchdog");
                return;
            }
            if (req->type == BOARD_PET_REST)
                self->resting = true;
            s_states_reply(self, req->seq, first, count, reply);
            return;
        }
        case BOARD_PERMIT: {
            int n = board_get_u8(&r);
            uint8_t permitted = board_get_u8(&r);
            uint32_t cap = board_get_u32(&r);
            if (!board_cursor_done(&r) || permitted > 1)
                break;
            rc = sim->ops->safety_permit(sim, n, permitted, cap / 1000.0);
            s_refresh_closed(self);
            s_ack(reply, req->seq, rc == 0 ? BOARD_ACK_OK : BOARD_ACK_REFUSED,
                  rc == 0 ? "" : "refused (no such connector, cap out of range, or watchdog not armed)");
            return;
        }
        case BOARD_EARTHING: {
            uint8_t tt = board_get_u8(&r);
            if (!board_cursor_done(&r) || tt > 1)
                break;
            sim->ops->safety_set_earthing(sim, tt);
            s_ack(reply, req->seq, BOARD_ACK_OK, "");
            return;
        }
        case BOARD_SIM: {
            int n = board_get_u8(&r);
            char command[BOARD_STR_MAX + 1], arg[BOARD_STR_MAX + 1];
            board_get_str(&r, command);
            board_get_str(&r, arg);
            if (!board_cursor_done(&r))
                break;
            board_ack_t status = s_sim(self, n, command, arg, reason, sizeof(reason));
            s_ack(reply, req->seq, status, reason);
            return;
        }
        case BOARD_POWER_DOWN:
            if (!board_cursor_done(&r))
                break;
            simboard_save(self, true);
            *power_down = true;
            s_ack(reply, req->seq, BOARD_ACK_OK, "");
            return;
        default:
            snprintf(reason, sizeof(reason), "unknown frame type 0x%02x", req->type);
            s_ack(reply, req->seq, BOARD_ACK_UNKNOWN, reason);
            return;
    }
    snprintf(reason, sizeof(reason), "malformed payload for frame type 0x%02x", req->type);
    s_ack(reply, req->seq, BOARD_ACK_MALFORMED, reason);
}

void
simboard_tick(simboard_t *self)
{
    int64_t now = cp_clock_mono_ms(self->clock);
    if (self->wd_armed && now - self->pet_mono > self->pet_timeout) {
        self->wd_armed = false;
        //  The sim opened them as of the expiry instant; say so, in wall
        //  time, so that a test can hold it against the controller's death.
        int64_t opened = self->pet_wall + self->pet_timeout;
        for (int i = 0; i < self->count; i++)
            if (self->connectors[i].was_closed)
                cp_warn(SIMBOARD_LOG, "watchdog: no pet for %d ms: contactor %d opened at wall %lld ms "
                        "(last pet at wall %lld ms, noticed %lld ms later)", self->pet_timeout, i + 1,
                        (long long) opened, (long long) self->pet_wall,
                        (long long) (now - self->pet_mono - self->pet_timeout));
    }
    s_refresh_closed(self);
    if (now - self->saved_mono < SAVE_EVERY_MS)
        return;
    for (int i = 0; i < self->count; i++) {
        hw_connector_state_t st;
        if (self->sim->ops->read(self->sim, i + 1, &st) == 0 && fabs(st.energy_wh - self->saved_wh[i]) >= 0.001) {
            simboard_save(self, false);
            return;
        }
    }
}

int
simboard_tick_due_ms(const simboard_t *self)
{
    if (!self->wd_armed)
        return SIMBOARD_TICK_MAX_MS;
    //  simboard_tick acts once more than pet_timeout has passed.
    int64_t due = self->pet_mono + self->pet_timeout + 1 - cp_clock_mono_ms(self->clock);
    return due < 0 ? 0 : due > SIMBOARD_TICK_MAX_MS ? SIMBOARD_TICK_MAX_MS : (int) due;
}
