/* board_proto.c — the board protocol's codec (see board_proto.h).
 *
 * Every read is bounds-checked through a cursor that fails closed: a
 * short, long or corrupt payload is reported as malformed and never read
 * past its end, because these bytes come from another program (on a real
 * charger, from a UART with noise on it).
 */
#include "hw/board/board_proto.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const s_faults[] = { "none", "rcd", "ground", "overcurrent", "overtemp", "welding" };
#define FAULTS ((int) (sizeof(s_faults) / sizeof(s_faults[0])))

uint16_t
board_crc16(const uint8_t *data, size_t size)
{
    //  CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, the one most MCU
    //  libraries and UART protocols ship.
    uint16_t crc = 0xFFFF;
    for (size_t i = 0; i < size; i++) {
        crc ^= (uint16_t) data[i] << 8;
        for (int bit = 0; bit < 8; bit++)
            crc = crc & 0x8000 ? (uint16_t) ((crc << 1) ^ 0x1021) : (uint16_t) (crc << 1);
    }
    return crc;
}

size_t
board_frame_encode(uint8_t type, uint8_t seq, const uint8_t *payload, size_t len, uint8_t *out,
                   size_t out_size)
{
    if (len > BOARD_MAX_PAYLOAD || out_size < len + BOARD_OVERHEAD || (len && !payload))
        return 0;
    out[0] = BOARD_SYNC;
    out[1] = (uint8_t) len;
    out[2] = type;
    out[3] = seq;
    if (len)
        memcpy(out + 4, payload, len);
    uint16_t crc = board_crc16(out + 1, len + 3);
    out[4 + len] = (uint8_t) (crc & 0xFF);
    out[5 + len] = (uint8_t) (crc >> 8);
    return len + BOARD_OVERHEAD;
}

void
board_decoder_init(board_decoder_t *self)
{
    memset(self, 0, sizeof(*self));
}

size_t
board_decoder_feed(board_decoder_t *self, const uint8_t *data, size_t size)
{
    size_t room = sizeof(self->buf) - self->fill;
    size_t take = size < room ? size : room;
    memcpy(self->buf + self->fill, data, take);
    self->fill += take;
    return take;
}

static void
s_consume(board_decoder_t *self, size_t n)
{
    memmove(self->buf, self->buf + n, self->fill - n);
    self->fill -= n;
}

int
board_decoder_next(board_decoder_t *self, board_frame_t *out, char *reason, size_t reason_size)
{
    //  Line noise before a frame: skip to the next SYNC.
    size_t skip = 0;
    while (skip < self->fill && self->buf[skip] != BOARD_SYNC)
        skip++;
    if (skip) {
        s_consume(self, skip);
        self->bad++;
        snprintf(reason, reason_size, "%zu byte(s) of noise before a frame", skip);
        return -1;
    }
    if (self->fill < 2)
        return 0;
    size_t len = self->buf[1];
    if (len > BOARD_MAX_PAYLOAD) {
        s_consume(self, 1);             //  resynchronise on the next SYNC
        self->bad++;
        snprintf(reason, reason_size, "frame length %zu over %d", len, BOARD_MAX_PAYLOAD);
        return -1;
    }
    if (self->fill < len + BOARD_OVERHEAD)
        return 0;
    uint16_t crc = board_crc16(self->buf + 1, len + 3);
    uint16_t got = (uint16_t) (self->buf[4 + len] | (self->buf[5 + len] << 8));
    if (crc != got) {
        s_consume(self, 1);
        self->bad++;
        snprintf(reason, reason_size, "CRC mismatch (0x%04x, expected 0x%04x)", got, crc);
        return -1;
    }
    out->len = (uint8_t) len;
    out->type = self->buf[2];
    out->seq = self->buf[3];
    memcpy(out->payload, self->buf + 4, len);
    s_consume(self, len + BOARD_OVERHEAD);
    return 1;
}

//  --------------------------------------------------------------------------
//  Payload cursor

void
board_cursor_writer(board_cursor_t *self, uint8_t *data, size_t capacity)
{
    *self = (board_cursor_t) { .data = data, .size = capacity };
}

void
board_cursor_reader(board_cursor_t *self, const uint8_t *data, size_t size)
{
    //  The reader never writes through data; one struct serves both ways.
    *self = (board_cursor_t) { .data = (uint8_t *) data, .size = size };
}

static void
s_put(board_cursor_t *self, uint64_t v, size_t bytes)
{
    if (self->failed || self->size - self->pos < bytes) {
        self->failed = true;
        return;
    }
    for (size_t i = 0; i < bytes; i++)
        self->data[self->pos++] = (uint8_t) (v >> (8 * i));
}

static uint64_t
s_get(board_cursor_t *self, size_t bytes)
{
    if (self->failed || self->size - self->pos < bytes) {
        self->failed = true;
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; i++)
        v |= (uint64_t) self->data[self->pos++] << (8 * i);
    return v;
}

void board_put_u8(board_cursor_t *self, uint8_t v) { s_put(self, v, 1); }
void board_put_u16(board_cursor_t *self, uint16_t v) { s_put(self, v, 2); }
void board_put_u32(board_cursor_t *self, uint32_t v) { s_put(self, v, 4); }
void board_put_u64(board_cursor_t *self, uint64_t v) { s_put(self, v, 8); }
uint8_t board_get_u8(board_cursor_t *self) { return (uint8_t) s_get(self, 1); }
uint16_t board_get_u16(board_cursor_t *self) { return (uint16_t) s_get(self, 2); }
uint32_t board_get_u32(board_cursor_t *self) { return (uint32_t) s_get(self, 4); }
uint64_t board_get_u64(board_cursor_t *self) { return s_get(self, 8); }

void
board_put_str(board_cursor_t *self, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len > BOARD_STR_MAX)
        len = BOARD_STR_MAX;            //  a reason is cut, never refused
    board_put_u8(self, (uint8_t) len);
    for (size_t i = 0; i < len; i++)
        board_put_u8(self, (uint8_t) s[i]);
}

void
board_get_str(board_cursor_t *self, char *out)
{
    out[0] = '\0';
    size_t len = board_get_u8(self);
    if (len > BOARD_STR_MAX)
        self->failed = true;
    if (self->failed || self->size - self->pos < len) {
        self->failed = true;
        return;
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t c = self->data[self->pos + i];
        if (c < 0x20 || c == 0x7F) {
            self->failed = true;        //  a log line must not be forged through it
            out[0] = '\0';
            return;
        }
        out[i] = (char) c;
    }
    out[len] = '\0';
    self->pos += len;
}

bool
board_cursor_done(const board_cursor_t *self)
{
    return !self->failed && self->pos == self->size;
}

uint32_t
board_milli(double value)
{
    if (!(value > 0))
        return 0;
    double m = round(value * 1000.0);
    return m >= 4294967295.0 ? UINT32_MAX : (uint32_t) m;
}

uint64_t
board_milli64(double value)
{
    if (!(value > 0))
        return 0;
    double m = round(value * 1000.0);
    return m >= 1.8e19 ? UINT64_MAX : (uint64_t) m;
}

//  --------------------------------------------------------------------------
//  STATE

#define F_PLUGGED     0x01
#define F_REQUESTING  0x02
#define F_CONTACTOR   0x04
#define F_LOCKED      0x08
#define F_PERMITTED   0x10
#define F_LEFT_AWAY   0x20
#define F_CONTINUOUS  0x40
#define F_TAMPER      0x80

int
board_fault_code(const char *name)
{
    for (int i = 0; i < FAULTS; i++)
        if (strcmp(name, s_faults[i]) == 0)
            return i;
    return -1;
}

const char *
board_fault_name(int code)
{
    return code >= 0 && code < FAULTS ? s_faults[code] : NULL;
}

size_t
board_state_encode(const hw_connector_state_t *s, uint8_t *out, size_t out_size)
{
    board_cursor_t w;
    board_cursor_writer(&w, out, out_size);
    uint8_t flags = (s->plugged ? F_PLUGGED : 0) | (s->ev_requesting ? F_REQUESTING : 0)
                  | (s->contactor_closed ? F_CONTACTOR : 0) | (s->locked ? F_LOCKED : 0)
                  | (s->permitted ? F_PERMITTED : 0) | (s->left_away ? F_LEFT_AWAY : 0)
                  | (s->board_continuous ? F_CONTINUOUS : 0) | (s->tamper ? F_TAMPER : 0);
    int fault = board_fault_code(s->fault);
    board_put_u8(&w, (uint8_t) s->connector);
    board_put_u8(&w, flags);
    board_put_u8(&w, (uint8_t) s->pilot);
    board_put_u8(&w, (uint8_t) (fault < 0 ? 0 : fault));
    board_put_u64(&w, board_milli64(s->energy_wh));
    board_put_u32(&w, board_milli(s->power_w));
    board_put_u32(&w, board_milli(s->current_a));
    board_put_u32(&w, board_milli(s->voltage_v));
    board_put_u32(&w, board_milli(s->requested_a));
    board_put_u32(&w, board_milli(s->offered_a));
    board_put_u32(&w, board_milli(s->duty_pct));
    //  Temperature may be below zero: offset by 273.15 K, in m°C.
    board_put_u32(&w, board_milli(s->temperature_c + 273.15));
    board_put_u32(&w, board_milli(s->safety_cap_a));
    board_put_u32(&w, board_milli(s->voltage_after_open_v));
    board_put_u64(&w, board_milli64(s->left_wh));
    return w.failed ? 0 : w.pos;
}

int
board_state_decode(const uint8_t *payload, size_t len, hw_connector_state_t *out)
{
    board_cursor_t r;
    board_cursor_reader(&r, payload, len);
    memset(out, 0, sizeof(*out));
    out->connector = board_get_u8(&r);
    uint8_t flags = board_get_u8(&r);
    out->pilot = (char) board_get_u8(&r);
    const char *fault = board_fault_name(board_get_u8(&r));
    out->energy_wh = (double) board_get_u64(&r) / 1000.0;
    out->power_w = board_get_u32(&r) / 1000.0;
    out->current_a = board_get_u32(&r) / 1000.0;
    out->voltage_v = board_get_u32(&r) / 1000.0;
    out->requested_a = board_get_u32(&r) / 1000.0;
    out->offered_a = board_get_u32(&r) / 1000.0;
    out->duty_pct = board_get_u32(&r) / 1000.0;
    out->temperature_c = board_get_u32(&r) / 1000.0 - 273.15;
    out->safety_cap_a = board_get_u32(&r) / 1000.0;
    out->voltage_after_open_v = board_get_u32(&r) / 1000.0;
    out->left_wh = (double) board_get_u64(&r) / 1000.0;
    if (!board_cursor_done(&r) || out->connector < 1 || out->connector > HW_MAX_CONNECTORS
    ||  out->pilot < 'A' || out->pilot > 'F' || !fault)
        return -1;
    snprintf(out->fault, sizeof(out->fault), "%s", fault);
    out->plugged = flags & F_PLUGGED;
    out->ev_requesting = flags & F_REQUESTING;
    out->contactor_closed = flags & F_CONTACTOR;
    out->locked = flags & F_LOCKED;
    out->permitted = flags & F_PERMITTED;
    out->left_away = flags & F_LEFT_AWAY;
    out->board_continuous = flags & F_CONTINUOUS;
    out->tamper = flags & F_TAMPER;
    return 0;
}

//  --------------------------------------------------------------------------
//  STATES: the reports of several connectors in one frame (PET_READ)

size_t
board_states_encode(const hw_connector_state_t *states, int count, uint8_t *out, size_t out_size)
{
    if (count < 1 || count > BOARD_STATES_MAX || out_size < 1 + (size_t) count * BOARD_STATE_LEN)
        return 0;
    out[0] = (uint8_t) count;
    size_t used = 1;
    for (int i = 0; i < count; i++) {
        size_t n = board_state_encode(&states[i], out + used, out_size - used);
        if (n != BOARD_STATE_LEN)
            return 0;
        used += n;
    }
    return used;
}

int
board_states_decode(const uint8_t *payload, size_t len, hw_connector_state_t *out, int out_count)
{
    if (len < 1)
        return -1;
    int count = payload[0];
    if (count < 1 || count > BOARD_STATES_MAX || count > out_count || len != 1 + (size_t) count * BOARD_STATE_LEN)
        return -1;
    for (int i = 0; i < count; i++)
        if (board_state_decode(payload + 1 + (size_t) i * BOARD_STATE_LEN, BOARD_STATE_LEN, &out[i]) != 0)
            return -1;
    return count;
}
