/* board_link.c — hw.h over the board protocol (see board_link.h).
 *
 * Master/slave, like a UART protocol to an MCU: the controller sends one
 * request and waits (bounded) for the reply with the same SEQ; a reply of
 * an earlier, timed-out request is skipped, a corrupt frame is counted and
 * skipped, and a board that does not answer in time is taken for down (the
 * socket is closed, so that no late reply is mistaken for a later one).
 * A NOTICE (a board's unasked word that a connector stepped while the
 * safety actor rests it) can come before or after any reply: whichever
 * exchange takes it in says so on an eventfd, and the socket keeps one
 * descriptor number for life, so that the resting actor can wait on both.
 */
#define _GNU_SOURCE
#include "hw/board/board_link.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "hw/board/board_proto.h"
#include "supervisor/log.h"

#define LINK_LOG "board-link"

typedef struct {
    hw_driver_t driver;
    pthread_mutex_t mutex;
    cp_clock_t *clock;              //  borrowed
    char path[108];
    int role;
    int fd;                         //  -1 while down, else sock
    //  The link's socket always sits at this one number, an idle eventfd
    //  there while the link is down (dup3), so that a resting safety actor
    //  can wait on it across relinks (notice_fds) without ever polling a
    //  number that was closed and handed to some other file.
    int sock;
    int idle;                       //  an eventfd never written: never readable
    int noticed;                    //  eventfd: a NOTICE taken in by an exchange
    int64_t recv_timeout_us;        //  the fd's SO_RCVTIMEO (0: not set yet)
    int connectors;                 //  from the first HELLO: immutable after
    uint8_t seq;
    int64_t retry_at;               //  mono ms
    board_decoder_t decoder;
    hw_link_state_t link;
    //  The last report of each connector and when it arrived: the hw and
    //  safety actors both read every connector, and a report a few tens
    //  of milliseconds old serves the one that accepts it (read_recent).
    //  Any command to the board makes them stale.
    hw_connector_state_t recent[HW_MAX_CONNECTORS + 1];
    int64_t recent_at_us[HW_MAX_CONNECTORS + 1];     //  0 = none
    //  Readable when a report stepped or the link went down (changes_fd).
    int changes;
} link_t;

void
hw_board_socket_path(const char *state_dir, char *out, size_t out_size)
{
    snprintf(out, out_size, "%s/%s", state_dir, BOARD_SOCKET_NAME);
}

static int64_t
s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
s_connect(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(addr.sun_path))
        return -1;
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *) &addr, sizeof(addr)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

//  Wake whoever waits on changes_fd. An eventfd counts: one read empties
//  it however many steps came first.
static void
s_announce(link_t *self)
{
    uint64_t one = 1;
    if (self->changes >= 0 && write(self->changes, &one, sizeof(one)) < 0) {
        //  EAGAIN: the counter is full, so it is readable anyway
    }
}

//  A NOTICE from the board (mutex held): wake a resting safety actor.
static void
s_noticed(link_t *self)
{
    uint64_t one = 1;
    self->link.notices++;
    if (write(self->noticed, &one, sizeof(one)) < 0) {
        //  EAGAIN: the counter is full, so it is readable anyway
    }
}

//  Is this decoded frame a NOTICE (taken in), rather than a reply?
static bool
s_is_notice(link_t *self, const board_frame_t *frame)
{
    if (frame->seq != BOARD_NOTICE_SEQ || frame->type != BOARD_NOTICE)
        return false;
    s_noticed(self);
    return true;
}

static void
s_down(link_t *self, const char *why)
{
    if (self->fd >= 0) {
        //  Closes the socket (the last reference to it) and leaves the
        //  number to the idle eventfd.
        if (dup3(self->idle, self->sock, O_CLOEXEC) < 0)
            shutdown(self->sock, SHUT_RDWR);
        cp_warn(LINK_LOG, "link to the board down: %s", why);
    }
    if (self->fd >= 0 || self->link.up)
        s_announce(self);
    self->fd = -1;
    self->link.up = false;
    self->link.pet_read = false;
    self->link.rest = false;
    self->link.resting = false;
    memset(self->recent_at_us, 0, sizeof(self->recent_at_us));
    board_decoder_init(&self->decoder);
    self->retry_at = cp_clock_mono_ms(self->clock) + BOARD_LINK_RETRY_MS;
}

//  How long a blocking recv on the link waits. Set on the fd rather than
//  polled for before each recv: an exchange is then one send and (nearly
//  always) one recv, two system calls instead of three — the safety
//  actor's tick runs for years (issue 12). Only the rare wait for a
//  second chunk, or past a skipped reply, shortens it (and the next
//  exchange restores it).
static int
s_recv_timeout(link_t *self, int64_t us)
{
    if (us == self->recv_timeout_us)
        return 0;
    struct timeval tv = { .tv_sec = us / 1000000, .tv_usec = us % 1000000 };
    if (setsockopt(self->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
        return -1;
    self->recv_timeout_us = us;
    return 0;
}

//  Frames already received behind a reply (mutex held): only a NOTICE
//  can follow it, one request being in flight at a time; left in the
//  decoder it would wait for the next exchange.
static void
s_drain_notices(link_t *self)
{
    board_frame_t frame;
    char reason[96];
    int got;
    while ((got = board_decoder_next(&self->decoder, &frame, reason, sizeof(reason))) != 0)
        if (got < 0 || !s_is_notice(self, &frame))
            self->link.bad_frames++;
}

//  Send a request and wait for its reply (mutex held, link up). 0 with
//  *reply, or -1 (the link is then down).
static int
s_exchange(link_t *self, uint8_t type, const uint8_t *payload, size_t len, board_frame_t *reply)
{
    uint8_t frame[BOARD_MAX_FRAME];
    if (++self->seq == BOARD_NOTICE_SEQ)
        self->seq++;                            //  never a notice's
    uint8_t seq = self->seq;
    size_t size = board_frame_encode(type, seq, payload, len, frame, sizeof(frame));
    assert(size > 0);
    if (s_recv_timeout(self, BOARD_LINK_TIMEOUT_MS * 1000) != 0) {
        s_down(self, strerror(errno));
        return -1;
    }
    int64_t start = s_now_us();
    if (send(self->fd, frame, size, MSG_NOSIGNAL) != (ssize_t) size) {
        s_down(self, strerror(errno));
        return -1;
    }
    int64_t deadline = start + BOARD_LINK_TIMEOUT_MS * 1000;
    int waits = 0;
    while (true) {
        char reason[96];
        int got = board_decoder_next(&self->decoder, reply, reason, sizeof(reason));
        if (got < 0) {
            self->link.bad_frames++;
            cp_warn(LINK_LOG, "bad frame from the board skipped: %s", reason);
            continue;
        }
        if (got == 1 && s_is_notice(self, reply))
            continue;
        if (got == 1 && reply->seq == seq) {
            self->link.rtt_us = s_now_us() - start;
            s_drain_notices(self);
            return 0;
        }
        if (got == 1)
            continue;                           //  the reply to an abandoned request
        //  The first wait takes the whole timeout as set (the send was
        //  microseconds ago); a further one only what is left of it.
        int64_t left = deadline - s_now_us();
        if (left <= 0 || (waits++ > 0 && s_recv_timeout(self, left) != 0)) {
            s_down(self, "no reply in time");
            return -1;
        }
        uint8_t buf[512];
        ssize_t n = recv(self->fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            bool late = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
            s_down(self, late ? "no reply in time" : n == 0 ? "the board closed the link" : strerror(errno));
            return -1;
        }
        board_decoder_feed(&self->decoder, buf, (size_t) n);
    }
}

//  Link up, HELLO said (mutex held). 0, or -1.
static int
s_up(link_t *self)
{
    if (self->fd >= 0)
        return 0;
    if (cp_clock_mono_ms(self->clock) < self->retry_at)
        return -1;
    int fd = s_connect(self->path);
    self->recv_timeout_us = 0;
    if (fd >= 0 && dup3(fd, self->sock, O_CLOEXEC) < 0) {
        close(fd);
        fd = -1;
    }
    if (fd < 0) {
        self->retry_at = cp_clock_mono_ms(self->clock) + BOARD_LINK_RETRY_MS;
        return -1;
    }
    close(fd);
    self->fd = self->sock;
    board_decoder_init(&self->decoder);
    uint8_t hello[2] = { BOARD_VERSION, (uint8_t) self->role };
    board_frame_t reply;
    if (s_exchange(self, BOARD_HELLO, hello, sizeof(hello), &reply) != 0)
        return -1;
    board_cursor_t r;
    board_cursor_reader(&r, reply.payload, reply.len);
    uint8_t version = board_get_u8(&r);
    int connectors = board_get_u8(&r);
    uint8_t flags = board_get_u8(&r);
    uint32_t boot = board_get_u32(&r);
    uint32_t gen = board_get_u32(&r);
    if (reply.type != BOARD_HELLO_ACK || !board_cursor_done(&r) || version != BOARD_VERSION
    ||  connectors < 1 || connectors > HW_MAX_CONNECTORS
    ||  (self->connectors && connectors != self->connectors)) {
        s_down(self, "the board's HELLO answer is not one this driver speaks");
        return -1;
    }
    self->connectors = connectors;
    self->link.up = true;
    self->link.continuous = flags & BOARD_HELLO_CONTINUOUS;
    self->link.pet_read = flags & BOARD_HELLO_PET_READ;
    self->link.rest = flags & BOARD_HELLO_REST;
    self->link.boot_id = boot;
    self->link.link_gen = gen;
    self->link.links++;
    cp_info(LINK_LOG, "linked to the board %08x (%d connector(s), link %u, %s%s)", boot, connectors, gen,
            self->link.continuous ? "powered without a cut since the last link" : "first link since its power-up",
            self->link.pet_read ? "" : ", no PET_READ: PET and READ apart");
    return 0;
}

//  One request (takes the mutex). 0 with *reply, or -1.
static int
s_call(link_t *self, uint8_t type, const board_cursor_t *payload, board_frame_t *reply)
{
    pthread_mutex_lock(&self->mutex);
    int rc = s_up(self) == 0 ? s_exchange(self, type, payload ? payload->data : NULL,
                                          payload ? payload->pos : 0, reply) : -1;
    if (type != BOARD_READ && type != BOARD_GRID_READ && type != BOARD_PET && type != BOARD_PET_READ
    &&  type != BOARD_PET_REST)
        memset(self->recent_at_us, 0, sizeof(self->recent_at_us));
    pthread_mutex_unlock(&self->mutex);
    return rc;
}

static void
s_count_bad_frame(link_t *self)
{
    pthread_mutex_lock(&self->mutex);
    self->link.bad_frames++;
    pthread_mutex_unlock(&self->mutex);
}

//  The status of an ACK reply, its reason in text (BOARD_STR_MAX + 1
//  bytes); -1 when the reply is no well-formed ACK (counted).
static int
s_ack_status(link_t *self, const board_frame_t *reply, char *text)
{
    board_cursor_t r;
    board_cursor_reader(&r, reply->payload, reply->len);
    uint8_t status = board_get_u8(&r);
    board_get_str(&r, text);
    if (reply->type != BOARD_ACK || !board_cursor_done(&r)) {
        s_count_bad_frame(self);
        return -1;
    }
    return status;
}

//  A request answered by ACK. 0 when the board says OK; reason filled.
static int
s_ack_call(link_t *self, uint8_t type, const board_cursor_t *payload, char *reason, size_t reason_size)
{
    board_frame_t reply;
    if (reason && reason_size)
        reason[0] = '\0';
    if (s_call(self, type, payload, &reply) != 0) {
        if (reason)
            snprintf(reason, reason_size, "the board does not answer");
        return -1;
    }
    char text[BOARD_STR_MAX + 1];
    int status = s_ack_status(self, &reply, text);
    if (status < 0) {
        if (reason)
            snprintf(reason, reason_size, "the board answered with a malformed frame");
        return -1;
    }
    if (reason)
        snprintf(reason, reason_size, "%s", text);
    return status == BOARD_ACK_OK ? 0 : -1;
}

//  Keep a fresh report for read_recent.
static void
s_remember(link_t *self, const hw_connector_state_t *state)
{
    pthread_mutex_lock(&self->mutex);
    bool stepped = !self->recent_at_us[state->connector]
                || hw_connector_stepped(&self->recent[state->connector], state);
    self->recent[state->connector] = *state;
    self->recent_at_us[state->connector] = s_now_us();
    pthread_mutex_unlock(&self->mutex);
    if (stepped)
        s_announce(self);
}

//  --------------------------------------------------------------------------
//  The ops table

static int
s_connector_count(hw_driver_t *driver)
{
    link_t *self = driver->impl;
    return self->connectors;
}

static int
s_read(hw_driver_t *driver, int connector, hw_connector_state_t *out)
{
    link_t *self = driver->impl;
    if (connector < 1 || connector > self->connectors)
        return -1;
    uint8_t buf[4];
    board_cursor_t w;
    board_cursor_writer(&w, buf, sizeof(buf));
    board_put_u8(&w, (uint8_t) connector);
    board_frame_t reply;
    if (s_call(self, BOARD_READ, &w, &reply) != 0)
        return -1;
    if (reply.type != BOARD_STATE || board_state_decode(reply.payload, reply.len, out) != 0
    ||  out->connector != connector) {
        s_count_bad_frame(self);
        cp_warn(LINK_LOG, "connector %d: the board's state report is malformed", connector);
        return -1;
    }
    s_remember(self, out);
    return 0;
}

static int
s_read_recent(hw_driver_t *driver, int connector, int max_age_ms, hw_connector_state_t *out)
{
    link_t *self = driver->impl;
    if (connector < 1 || connector > self->connectors)
        return -1;
    pthread_mutex_lock(&self->mutex);
    int64_t at = self->recent_at_us[connector];
    bool fresh = at && self->fd >= 0 && s_now_us() - at <= (int64_t) max_age_ms * 1000;
    if (fresh)
        *out = self->recent[connector];
    pthread_mutex_unlock(&self->mutex);
    return fresh ? 0 : s_read(driver, connector, out);
}

static int
s_two_bytes(hw_driver_t *driver, uint8_t type, int connector, bool flag)
{
    uint8_t buf[4];
    board_cursor_t w;
    board_cursor_writer(&w, buf, sizeof(buf));
    board_put_u8(&w, (uint8_t) connector);
    board_put_u8(&w, flag);
    return s_ack_call(driver->impl, type, &w, NULL, 0);
}

static int
s_set_contactor(hw_driver_t *driver, int connector, bool closed)
{
    return s_two_bytes(driver, BOARD_CONTACTOR, connector, closed);
}

static int
s_set_lock(hw_driver_t *driver, int connector, bool locked)
{
    return s_two_bytes(driver, BOARD_LOCK, connector, locked);
}

static int
s_set_offered_current(hw_driver_t *driver, int connector, double amps)
{
    if (!(amps >= 0))
        return -1;
    uint8_t buf[8];
    board_cursor_t w;
    board_cursor_writer(&w, buf, sizeof(buf));
    board_put_u8(&w, (uint8_t) connector);
    board_put_u32(&w, board_milli(amps));
    return s_ack_call(driver->impl, BOARD_OFFER, &w, NULL, 0);
}

static int
s_read_grid(hw_driver_t *driver, hw_grid_state_t *out)
{
    board_frame_t reply;
    if (s_call(driver->impl, BOARD_GRID_READ, NULL, &reply) != 0)
        return -1;
    board_cursor_t r;
    board_cursor_reader(&r, reply.payload, reply.len);
    uint8_t ok = board_get_u8(&r);
    uint32_t ma = board_get_u32(&r);
    if (reply.type != BOARD_GRID || !board_cursor_done(&r) || ok > 1)
        return -1;
    out->ok = ok;
    out->current_a = ma / 1000.0;
    return 0;
}

static int
s_simulate(hw_driver_t *driver, int connector, const char *command, const char *arg, char *reason,
           size_t reason_size)
{
    if (!command || strlen(command) > BOARD_STR_MAX || (arg && strlen(arg) > BOARD_STR_MAX)
    ||  connector < 0 || connector > HW_MAX_CONNECTORS) {
        snprintf(reason, reason_size, "command or operand too long");
        return -1;
    }
    uint8_t buf[BOARD_MAX_PAYLOAD];
    board_cursor_t w;
    board_cursor_writer(&w, buf, sizeof(buf));
    board_put_u8(&w, (uint8_t) connector);
    board_put_str(&w, command);
    board_put_str(&w, arg ? arg : "");
    return s_ack_call(driver->impl, BOARD_SIM, &w, reason, reason_size);
}

static int
s_safety_feed(hw_driver_t *driver, int timeout_ms)
{
    if (timeout_ms < 1 || timeout_ms > 65535)
        return -1;
    uint8_t buf[4];
    board_cursor_t w;
    board_cursor_writer(&w, buf, sizeof(buf));
    board_put_u16(&w, (uint16_t) timeout_ms);
    link_t *self = driver->impl;
    int rc = s_ack_call(self, BOARD_PET, &w, NULL, 0);
    if (rc == 0) {
        pthread_mutex_lock(&self->mutex);
        self->link.resting = false;
        pthread_mutex_unlock(&self->mutex);
    }
    return rc;
}

//  PET_READ (or PET_REST) for connectors first..first+count-1 into
//  states[0..count-1]. 1: fed (rested) and read; 0: the board refused
//  (or answered nonsense), and after a refused PET_READ the connectors
//  are read one by one; -1: the link is down; -2: the board does not know
//  the request.
static int
s_pet_read(link_t *self, uint8_t type, int timeout_ms, int first, int count, hw_connector_state_t *states,
           bool *readable)
{
    uint8_t buf[4];
    board_cursor_t w;
    board_cursor_writer(&w, buf, sizeof(buf));
    board_put_u16(&w, (uint16_t) timeout_ms);
    board_put_u8(&w, (uint8_t) first);
    board_put_u8(&w, (uint8_t) count);
    board_frame_t reply;
    if (s_call(self, type, &w, &reply) != 0)
        return -1;
    if (reply.type == BOARD_STATES) {
        bool good = board_states_decode(reply.payload, reply.len, states, count) == count;
        for (int i = 0; good && i < count; i++)
            good = states[i].connector == first + i;
        if (good) {
            for (int i = 0; i < count; i++) {
                readable[i] = true;
                s_remember(self, &states[i]);
            }
            pthread_mutex_lock(&self->mutex);
            self->link.resting = type == BOARD_PET_REST;
            pthread_mutex_unlock(&self->mutex);
            return 1;
        }
        s_count_bad_frame(self);
        cp_warn(LINK_LOG, "connectors %d..%d: the board's state reports are malformed", first, first + count - 1);
    }
    else {
        char text[BOARD_STR_MAX + 1];
        if (s_ack_status(self, &reply, text) == BOARD_ACK_UNKNOWN)
            return -2;
    }
    //  Refused (or nonsense): the pet did not count; each connector is
    //  still read, so that the safety actor sees what it can (a refused
    //  rest is followed by a feed that reads them anyway).
    if (type == BOARD_PET_REST)
        return 0;
    for (int i = 0; i < count; i++)
        readable[i] = s_read(&self->driver, first + i, &states[i]) == 0;
    return 0;
}

//  PET_READ or PET_REST for every connector, one request per
//  BOARD_STATES_MAX of them. 0: every one fed (rested) and read; -1: one
//  was refused, or the link is down; -2: the board does not know the
//  request after all — believed for what it does, not what its HELLO_ACK
//  said, for as long as this link lasts.
static int
s_states_all(link_t *self, uint8_t type, int timeout_ms, hw_connector_state_t *states, bool *readable)
{
    for (int n = 1; n <= self->connectors; n++)
        readable[n - 1] = false;
    int rc = 0;
    for (int first = 1; first <= self->connectors; first += BOARD_STATES_MAX) {
        int count = self->connectors - first + 1;
        if (count > BOARD_STATES_MAX)
            count = BOARD_STATES_MAX;
        int got = s_pet_read(self, type, timeout_ms, first, count, &states[first - 1], &readable[first - 1]);
        if (got == -2) {
            bool rest = type == BOARD_PET_REST;
            cp_warn(LINK_LOG, "the board does not know %s after all: %s from now on", rest ? "PET_REST" : "PET_READ",
                    rest ? "fed at every tick" : "PET and READ");
            pthread_mutex_lock(&self->mutex);
            if (rest)
                self->link.rest = false;
            else
                self->link.pet_read = false;
            pthread_mutex_unlock(&self->mutex);
            return -2;
        }
        if (got == -1 || (got == 0 && type == BOARD_PET_REST))
            return -1;
        if (got == 0)
            rc = -1;
    }
    return rc;
}

static int
s_safety_feed_read(hw_driver_t *driver, int timeout_ms, hw_connector_state_t *states, bool *readable)
{
    link_t *self = driver->impl;
    pthread_mutex_lock(&self->mutex);
    bool pet_read = self->link.pet_read;
    pthread_mutex_unlock(&self->mutex);
    int rc = pet_read && timeout_ms >= 1 && timeout_ms <= 65535
           ? s_states_all(self, BOARD_PET_READ, timeout_ms, states, readable) : -2;
    return rc == -2 ? hw_driver_feed_then_read(driver, timeout_ms, states, readable) : rc;
}

static int
s_safety_rest_read(hw_driver_t *driver, int timeout_ms, hw_connector_state_t *states, bool *readable)
{
    link_t *self = driver->impl;
    pthread_mutex_lock(&self->mutex);
    bool rest = self->link.rest;
    pthread_mutex_unlock(&self->mutex);
    if (!rest || timeout_ms < 1 || timeout_ms > 65535)
        return -2;
    return s_states_all(self, BOARD_PET_REST, timeout_ms, states, readable);
}

static void
s_notice_fds(hw_driver_t *driver, int fds[2])
{
    link_t *self = driver->impl;
    fds[0] = self->sock;
    fds[1] = self->noticed;
}

static int
s_safety_permit(hw_driver_t *driver, int connector, bool permitted, double cap_a)
{
    if (!(cap_a >= 0))
        return -1;
    uint8_t buf[8];
    board_cursor_t w;
    board_cursor_writer(&w, buf, sizeof(buf));
    board_put_u8(&w, (uint8_t) connector);
    board_put_u8(&w, permitted);
    board_put_u32(&w, board_milli(cap_a));
    return s_ack_call(driver->impl, BOARD_PERMIT, &w, NULL, 0);
}

static int
s_safety_set_earthing(hw_driver_t *driver, bool tt)
{
    uint8_t buf[2];
    board_cursor_t w;
    board_cursor_writer(&w, buf, sizeof(buf));
    board_put_u8(&w, tt);
    return s_ack_call(driver->impl, BOARD_EARTHING, &w, NULL, 0);
}

static int
s_link_state(hw_driver_t *driver, hw_link_state_t *out)
{
    link_t *self = driver->impl;
    pthread_mutex_lock(&self->mutex);
    *out = self->link;
    pthread_mutex_unlock(&self->mutex);
    return 0;
}

static void
s_destroy(hw_driver_t *driver)
{
    link_t *self = driver->impl;
    if (self->sock >= 0)
        close(self->sock);
    if (self->idle >= 0)
        close(self->idle);
    if (self->noticed >= 0)
        close(self->noticed);
    if (self->changes >= 0)
        close(self->changes);
    pthread_mutex_destroy(&self->mutex);
    free(self);
}

static int
s_changes_fd(hw_driver_t *driver)
{
    link_t *self = driver->impl;
    return self->changes;
}

static const hw_driver_ops_t s_ops = {
    .connector_count = s_connector_count,
    .read = s_read,
    .read_recent = s_read_recent,
    .set_contactor = s_set_contactor,
    .set_lock = s_set_lock,
    .set_offered_current = s_set_offered_current,
    .read_grid = s_read_grid,
    .simulate = s_simulate,
    .safety_feed = s_safety_feed,
    .safety_permit = s_safety_permit,
    .safety_set_earthing = s_safety_set_earthing,
    .safety_feed_read = s_safety_feed_read,
    .safety_rest_read = s_safety_rest_read,
    .notice_fds = s_notice_fds,
    .link_state = s_link_state,
    .changes_fd = s_changes_fd,
    .destroy = s_destroy,
};

hw_driver_t *
hw_board_link_new(const char *socket_path, int role, cp_clock_t *clock, char *err, size_t err_size)
{
    assert(socket_path && clock);
    link_t *self = calloc(1, sizeof(link_t));
    if (!self || pthread_mutex_init(&self->mutex, NULL) != 0) {
        free(self);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    if (strlen(socket_path) >= sizeof(self->path)) {
        snprintf(err, err_size, "board socket path too long: %.200s", socket_path);
        pthread_mutex_destroy(&self->mutex);
        free(self);
        return NULL;
    }
    snprintf(self->path, sizeof(self->path), "%s", socket_path);
    self->clock = clock;
    self->role = role;
    self->fd = -1;
    self->changes = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);     //  -1: the hw actor reads on its tick
    self->idle = eventfd(0, EFD_CLOEXEC);
    self->sock = self->idle >= 0 ? fcntl(self->idle, F_DUPFD_CLOEXEC, 0) : -1;
    self->noticed = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->sock < 0 || self->noticed < 0) {
        snprintf(err, err_size, "cannot make the link's descriptors: %s", strerror(errno));
        s_destroy(&self->driver);
        return NULL;
    }
    self->driver.ops = &s_ops;
    self->driver.impl = self;
    if (s_up(self) != 0) {
        snprintf(err, err_size, "the board at %.200s does not answer", socket_path);
        s_destroy(&self->driver);
        return NULL;
    }
    return &self->driver;
}

int
hw_board_power_down(hw_driver_t *driver)
{
    return s_ack_call(driver->impl, BOARD_POWER_DOWN, NULL, NULL, 0);
}

int
hw_board_ensure(const char *state_dir, int connectors, const char *program, char *err, size_t err_size)
{
    char path[PATH_MAX];
    hw_board_socket_path(state_dir, path, sizeof(path));
    int fd = s_connect(path);
    if (fd >= 0) {
        close(fd);
        return 1;
    }
    char count[16], log[PATH_MAX];
    snprintf(count, sizeof(count), "%d", connectors);
    snprintf(log, sizeof(log), "%s/board.log", state_dir);
    //  Detached twice (fork, setsid, fork): the board is reparented to
    //  init, in a session of its own, so neither our death nor a signal
    //  to our process group reaches it — it is the charger's power board.
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_size, "cannot start the board: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        setsid();
        if (fork() != 0)
            _exit(0);
        int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        int in = open("/dev/null", O_RDONLY);
        if (out >= 0) {
            dup2(out, 1);
            dup2(out, 2);
        }
        if (in >= 0)
            dup2(in, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execl(program, BOARD_PROGRAM, "--state-dir", state_dir, "--connectors", count, (char *) NULL);
        _exit(127);
    }
    waitpid(pid, NULL, 0);
    //  The board is up within a few milliseconds: look every millisecond
    //  (a 10 ms step was a fifth of the whole start-up, issue 12).
    for (int waited_us = 0; waited_us < BOARD_START_MS * 1000; waited_us += 1000) {
        fd = s_connect(path);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        usleep(1000);
    }
    snprintf(err, err_size, "the simulated board (%.200s) did not come up within %d ms (see %.200s)", program,
             BOARD_START_MS, log);
    return -1;
}
