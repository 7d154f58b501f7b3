/* board_proto.h — the framed binary protocol between the controller and
 * its power board (docs/board-protocol.md), as pure code.
 *
 * A real charger's power board is a microcontroller on a UART: it owns
 * the contactor, the control pilot, the lock, the RCD and the meter, and
 * the Linux controller drives it with small frames. The simulated board
 * (chargepoint-simboard) speaks exactly this protocol over a UNIX socket,
 * so the controller's driver (board_link.c) is the driver a charger maker
 * would ship, and the codec is the one place that turns bytes into
 * frames: no sockets, no clock, no allocation, so it is unit-tested and
 * fuzzed like any other input from outside the process.
 *
 *   frame := SYNC(0xA5) LEN TYPE SEQ PAYLOAD[LEN] CRC16(LE)
 *
 * LEN is the payload length (0..BOARD_MAX_PAYLOAD), CRC-16/CCITT-FALSE
 * over LEN TYPE SEQ PAYLOAD. A byte stream is resynchronised on the next
 * SYNC after any bad frame, as on a noisy UART. Integers are little-endian
 * fixed point (mA, mV, mW, m°C, thousandths of a percent, mWh), the way an
 * MCU keeps them.
 */
#ifndef CP_HW_BOARD_BOARD_PROTO_H
#define CP_HW_BOARD_BOARD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hw/hw.h"

#define BOARD_SYNC          0xA5
#define BOARD_VERSION       1
#define BOARD_MAX_PAYLOAD   200
#define BOARD_OVERHEAD      6           //  SYNC LEN TYPE SEQ + CRC16
#define BOARD_MAX_FRAME     (BOARD_MAX_PAYLOAD + BOARD_OVERHEAD)
#define BOARD_WATCHDOG_MS   500         //  the board never waits longer for a pet
#define BOARD_STR_MAX       64          //  strings in SIM commands and ACK reasons

//  Frame types. Controller → board below 0x80; the board answers every
//  request with exactly one frame of its own (0x80 and up) carrying the
//  request's SEQ.
typedef enum {
    BOARD_HELLO      = 0x01,    //  u8 version, u8 role → HELLO_ACK
    BOARD_READ       = 0x02,    //  u8 connector → STATE
    BOARD_CONTACTOR  = 0x03,    //  u8 connector, u8 closed → ACK
    BOARD_LOCK       = 0x04,    //  u8 connector, u8 locked → ACK
    BOARD_OFFER      = 0x05,    //  u8 connector, u32 mA (pilot PWM offer) → ACK
    BOARD_PET        = 0x06,    //  u16 timeout ms (capped to BOARD_WATCHDOG_MS) → ACK
    BOARD_PERMIT     = 0x07,    //  u8 connector, u8 permitted, u32 cap mA → ACK
    BOARD_EARTHING   = 0x08,    //  u8 tt → ACK
    BOARD_GRID_READ  = 0x09,    //  → GRID
    BOARD_SIM        = 0x0A,    //  u8 connector, str command, str arg → ACK (simulated boards only)
    BOARD_POWER_DOWN = 0x0B,    //  → ACK, then the board saves its state and stops
    //  PET and READ of up to BOARD_STATES_MAX connectors in one exchange
    //  (the safety actor's tick), for a board whose HELLO_ACK says
    //  BOARD_HELLO_PET_READ: u16 timeout ms, u8 first connector, u8 count → STATES
    BOARD_PET_READ   = 0x0C,
    //  PET_READ for a charger at rest, for a board whose HELLO_ACK says
    //  BOARD_HELLO_REST: u16 rest timeout ms, u8 first, u8 count → STATES.
    //  Refused while any contactor is closed. It keeps the permissions for
    //  the rest timeout (capped to BOARD_REST_MAX_MS) but arms nothing: a
    //  contactor closes only within BOARD_WATCHDOG_MS of a PET or PET_READ.
    //  From it on, until the next PET or PET_READ, the board sends NOTICE
    //  when a connector steps, so the controller need not ask often.
    BOARD_PET_REST   = 0x0D,
    BOARD_ACK        = 0x80,    //  u8 status, str reason
    BOARD_HELLO_ACK  = 0x81,    //  u8 version, u8 connectors, u8 flags, u32 boot id, u32 link generation
    BOARD_STATE      = 0x82,    //  see board_state_encode
    BOARD_GRID       = 0x89,    //  u8 ok, u32 mA
    BOARD_STATES     = 0x8A,    //  u8 count, count × STATE payload (board_states_encode)
    //  Unsolicited, SEQ BOARD_NOTICE_SEQ: u8 connector — its report
    //  stepped (hw_connector_stepped) while the controller rests: read it.
    BOARD_NOTICE     = 0x8B
} board_type_t;

typedef enum {
    BOARD_ACK_OK = 0,
    BOARD_ACK_REFUSED = 1,      //  understood, not done (reason says why)
    BOARD_ACK_MALFORMED = 2,    //  a payload that does not parse
    BOARD_ACK_UNKNOWN = 3       //  a type this board does not know
} board_ack_t;

#define BOARD_ROLE_CONTROLLER  0        //  HELLO: the controller driving the board
#define BOARD_ROLE_OBSERVER    1        //  HELLO: watches only (the --split supervisor, tools)
#define BOARD_HELLO_CONTINUOUS 0x01     //  HELLO_ACK flag: powered without a cut since the last link
//  HELLO_ACK flag: the board answers PET_READ. A request added to the
//  protocol is announced by a flag, never by a new HELLO version: a
//  controller ignores the flags it does not know, and one that knows the
//  flag falls back to the requests of before when it is clear — so every
//  board works with every controller (docs/board-protocol.md).
#define BOARD_HELLO_PET_READ   0x02
//  HELLO_ACK flag: the board answers PET_REST and sends NOTICE.
#define BOARD_HELLO_REST       0x04
//  The longest PET_REST the board honours (a longer one is capped).
#define BOARD_REST_MAX_MS      HW_REST_MAX_MS
//  The SEQ of a NOTICE: a controller that sends PET_REST never gives a
//  request this SEQ, so a notice is never taken for a reply.
#define BOARD_NOTICE_SEQ       0

#define BOARD_STATE_LEN     56          //  a STATE payload (board_state_encode)
//  STATE records in one STATES frame: 3, after its count byte. A board
//  with more connectors is read with one PET_READ per three.
#define BOARD_STATES_MAX    ((BOARD_MAX_PAYLOAD - 1) / BOARD_STATE_LEN)

typedef struct {
    uint8_t type;
    uint8_t seq;
    uint8_t len;
    uint8_t payload[BOARD_MAX_PAYLOAD];
} board_frame_t;

//  A payload being read or written, bounds-checked: a read past the end
//  or a write past the capacity sets failed and does nothing else.
typedef struct {
    uint8_t *data;
    size_t size;               //  capacity (writer) or length (reader)
    size_t pos;
    bool failed;
} board_cursor_t;

//  The streaming decoder: bytes in as they arrive, frames out.
typedef struct {
    uint8_t buf[BOARD_MAX_FRAME * 2];
    size_t fill;
    uint64_t bad;              //  frames dropped (CRC, length)
} board_decoder_t;

uint16_t board_crc16(const uint8_t *data, size_t size);

//  Encode a frame into out (at least BOARD_MAX_FRAME bytes). Returns the
//  frame's length, or 0 when the payload is too long.
size_t board_frame_encode(uint8_t type, uint8_t seq, const uint8_t *payload, size_t len, uint8_t *out,
                          size_t out_size);

void board_decoder_init(board_decoder_t *self);
//  Append received bytes; returns how many were taken (the rest must be
//  fed again after board_decoder_next has made room).
size_t board_decoder_feed(board_decoder_t *self, const uint8_t *data, size_t size);
//  1: a frame in *out; 0: more bytes needed; -1: a bad frame was skipped
//  (reason filled; call again, the stream resynchronises).
int board_decoder_next(board_decoder_t *self, board_frame_t *out, char *reason, size_t reason_size);

void board_cursor_writer(board_cursor_t *self, uint8_t *data, size_t capacity);
void board_cursor_reader(board_cursor_t *self, const uint8_t *data, size_t size);
void board_put_u8(board_cursor_t *self, uint8_t v);
void board_put_u16(board_cursor_t *self, uint16_t v);
void board_put_u32(board_cursor_t *self, uint32_t v);
void board_put_u64(board_cursor_t *self, uint64_t v);
void board_put_str(board_cursor_t *self, const char *s);     //  u8 length + bytes (≤ BOARD_STR_MAX)
uint8_t board_get_u8(board_cursor_t *self);
uint16_t board_get_u16(board_cursor_t *self);
uint32_t board_get_u32(board_cursor_t *self);
uint64_t board_get_u64(board_cursor_t *self);
//  Into out (BOARD_STR_MAX + 1 bytes): fails on an over-long string or
//  one with a NUL or control byte in it.
void board_get_str(board_cursor_t *self, char *out);
//  True when everything was read exactly (no failure, nothing left over).
bool board_cursor_done(const board_cursor_t *self);

//  Fixed point, saturating: NaN and negatives give 0.
uint32_t board_milli(double value);
uint64_t board_milli64(double value);

//  STATE payload, both ways. left_away / left_wh: the car left while no
//  controller was linked, with the register at that instant (the board
//  keeps it for the whole next link). Decode: 0, or -1 on a malformed
//  payload (connector 0, pilot not A..F, unknown fault code, wrong length).
size_t board_state_encode(const hw_connector_state_t *state, uint8_t *out, size_t out_size);
int board_state_decode(const uint8_t *payload, size_t len, hw_connector_state_t *out);

//  STATES payload: count (1..BOARD_STATES_MAX) STATE records back to back
//  after a u8 count. Encode: the payload's length, or 0 when count is out
//  of range or out too small. Decode: the count, with out[0..count-1]
//  (out holds out_count), or -1 on a malformed payload (a count of 0, over
//  BOARD_STATES_MAX or over out_count, a length that is not the count's
//  records, any record malformed).
size_t board_states_encode(const hw_connector_state_t *states, int count, uint8_t *out, size_t out_size);
int board_states_decode(const uint8_t *payload, size_t len, hw_connector_state_t *out, int out_count);

//  Fault names as on hw_connector_state_t.fault, by the code on the wire;
//  -1 for an unknown name.
int board_fault_code(const char *name);
const char *board_fault_name(int code);
#endif
