/* test_board_proto.c — the board protocol's codec (hw/board/board_proto.h)
 * and the simulated board's answers to it (hw/board/simboard.h).
 *
 * The link to the power board is an input from outside the process like
 * the network is: frames must round-trip exactly, a corrupt, short or
 * noisy stream must be skipped with a reason and resynchronised, and the
 * board must answer every request — a malformed one with MALFORMED, never
 * with a crash. The board's own rules (the 500 ms watchdog cap, who is a
 * controller, the car leaving while none is linked) are pinned here too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include "hw/board/board_proto.h"
#include "hw/board/simboard.h"

static void
test_crc_known_value(void **state)
{
    //  CRC-16/CCITT-FALSE check value of "123456789".
    assert_int_equal(board_crc16((const uint8_t *) "123456789", 9), 0x29B1);
}

static void
test_frame_round_trip(void **state)
{
    uint8_t payload[3] = { 1, 2, 3 }, out[BOARD_MAX_FRAME];
    size_t n = board_frame_encode(BOARD_OFFER, 7, payload, 3, out, sizeof(out));
    assert_int_equal(n, 3 + BOARD_OVERHEAD);
    board_decoder_t dec;
    board_decoder_init(&dec);
    board_frame_t f;
    char reason[96];
    //  Byte by byte, as a UART delivers it.
    for (size_t i = 0; i + 1 < n; i++) {
        board_decoder_feed(&dec, out + i, 1);
        assert_int_equal(board_decoder_next(&dec, &f, reason, sizeof(reason)), 0);
    }
    board_decoder_feed(&dec, out + n - 1, 1);
    assert_int_equal(board_decoder_next(&dec, &f, reason, sizeof(reason)), 1);
    assert_int_equal(f.type, BOARD_OFFER);
    assert_int_equal(f.seq, 7);
    assert_int_equal(f.len, 3);
    assert_memory_equal(f.payload, payload, 3);
    assert_int_equal(board_decoder_next(&dec, &f, reason, sizeof(reason)), 0);
}

static void
test_payload_too_long_is_refused(void **state)
{
    uint8_t payload[BOARD_MAX_PAYLOAD + 1] = { 0 }, out[BOARD_MAX_FRAME * 2];
    assert_int_equal(board_frame_encode(1, 1, payload, sizeof(payload), out, sizeof(out)), 0);
}

static void
test_corrupt_frame_resynchronises(void **state)
{
    uint8_t a[BOARD_MAX_FRAME], b[BOARD_MAX_FRAME], stream[BOARD_MAX_FRAME * 2 + 4];
    uint8_t p = 42;
    size_t na = board_frame_encode(BOARD_READ, 1, &p, 1, a, sizeof(a));
    size_t nb = board_frame_encode(BOARD_READ, 2, &p, 1, b, sizeof(b));
    a[4] ^= 0xFF;                          //  a bit error in the payload
    size_t n = 0;
    stream[n++] = 0x00;                     //  line noise
    stream[n++] = 0x13;
    memcpy(stream + n, a, na);
    n += na;
    memcpy(stream + n, b, nb);
    n += nb;
    board_decoder_t dec;
    board_decoder_init(&dec);
    board_decoder_feed(&dec, stream, n);
    board_frame_t f;
    char reason[96];
    int got, bad = 0;
    while ((got = board_decoder_next(&dec, &f, reason, sizeof(reason))) < 0)
        bad++;
    assert_true(bad >= 2);                  //  the noise and the CRC mismatch
    assert_int_equal(got, 1);
    assert_int_equal(f.seq, 2);             //  the good frame behind them
    assert_int_equal(dec.bad, (uint64_t) bad);
}

static void
test_oversized_length_is_skipped(void **state)
{
    uint8_t bytes[] = { BOARD_SYNC, 0xFF, 1, 1 };
    board_decoder_t dec;
    board_decoder_init(&dec);
    board_decoder_feed(&dec, bytes, sizeof(bytes));
    board_frame_t f;
    char reason[96];
    assert_int_equal(board_decoder_next(&dec, &f, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "length"));
}

static void
test_cursor_fails_closed(void **state)
{
    uint8_t two[2] = { 1, 2 };
    board_cursor_t r;
    board_cursor_reader(&r, two, sizeof(two));
    assert_int_equal(board_get_u32(&r), 0);
    assert_true(r.failed);
    //  A string that claims more bytes than there are, or holds a control byte.
    uint8_t s1[] = { 5, 'a', 'b' };
    char out[BOARD_STR_MAX + 1];
    board_cursor_reader(&r, s1, sizeof(s1));
    board_get_str(&r, out);
    assert_true(r.failed);
    uint8_t s2[] = { 2, 'a', '\n' };
    board_cursor_reader(&r, s2, sizeof(s2));
    board_get_str(&r, out);
    assert_true(r.failed);
    assert_string_equal(out, "");
    uint8_t small[3];
    board_cursor_writer(&r, small, sizeof(small));
    board_put_u32(&r, 7);
    assert_true(r.failed);
}

static void
test_state_round_trip(void **state)
{
    hw_connector_state_t in = { .connector = 2, .plugged = true, .pilot = 'C', .ev_requesting = true,
                                .contactor_closed = true, .locked = true, .energy_wh = 12345.678,
                                .power_w = 22080, .current_a = 32, .voltage_v = 230, .requested_a = 32,
                                .offered_a = 32, .duty_pct = 53.333, .temperature_c = -5.5,
                                .permitted = true, .safety_cap_a = 16, .voltage_after_open_v = 0,
                                .board_continuous = true, .left_away = true, .left_wh = 12000.5,
                                .tamper = true };
    snprintf(in.fault, sizeof(in.fault), "overtemp");
    uint8_t buf[BOARD_MAX_PAYLOAD];
    size_t n = board_state_encode(&in, buf, sizeof(buf));
    assert_true(n > 0);
    hw_connector_state_t out;
    assert_int_equal(board_state_decode(buf, n, &out), 0);
    assert_int_equal(out.connector, 2);
    assert_true(out.plugged && out.ev_requesting && out.contactor_closed && out.locked && out.permitted);
    assert_true(out.board_continuous && out.left_away && out.tamper);
    assert_int_equal(out.pilot, 'C');
    in.tamper = false;              //  flag bit 7, and only it
    n = board_state_encode(&in, buf, sizeof(buf));
    assert_int_equal(buf[1] & 0x80, 0);
    assert_int_equal(board_state_decode(buf, n, &out), 0);
    assert_false(out.tamper);
    assert_string_equal(out.fault, "overtemp");
    assert_true(out.energy_wh > 12345.677 && out.energy_wh < 12345.679);
    assert_true(out.temperature_c > -5.501 && out.temperature_c < -5.499);
    assert_true(out.left_wh > 12000.49 && out.left_wh < 12000.51);
    //  Short, long, or with a bad pilot: malformed.
    assert_int_equal(board_state_decode(buf, n - 1, &out), -1);
    buf[2] = 'Z';
    assert_int_equal(board_state_decode(buf, n, &out), -1);
}

//  A state like a connector's report, different for each n.
static hw_connector_state_t
s_state(int n)
{
    hw_connector_state_t st = { .connector = n, .plugged = n % 2, .pilot = (char) ('A' + n % 3),
                                .energy_wh = 1000.0 * n + 0.5, .temperature_c = 20 + n, .voltage_v = 230 };
    snprintf(st.fault, sizeof(st.fault), "%s", n == 2 ? "rcd" : "none");
    return st;
}

static void
test_states_round_trip(void **state)
{
    //  The record size the frame layout counts on, and three to a frame.
    hw_connector_state_t in[BOARD_STATES_MAX], out[BOARD_STATES_MAX];
    uint8_t buf[BOARD_MAX_PAYLOAD];
    in[0] = s_state(1);
    assert_int_equal(board_state_encode(&in[0], buf, sizeof(buf)), BOARD_STATE_LEN);
    assert_int_equal(BOARD_STATES_MAX, 3);
    for (int i = 0; i < BOARD_STATES_MAX; i++)
        in[i] = s_state(i + 4);
    size_t n = board_states_encode(in, BOARD_STATES_MAX, buf, sizeof(buf));
    assert_int_equal(n, 1 + BOARD_STATES_MAX * BOARD_STATE_LEN);
    assert_true(n <= BOARD_MAX_PAYLOAD);
    assert_int_equal(board_states_decode(buf, n, out, BOARD_STATES_MAX), BOARD_STATES_MAX);
    for (int i = 0; i < BOARD_STATES_MAX; i++) {
        assert_int_equal(out[i].connector, i + 4);
        assert_int_equal(out[i].plugged, in[i].plugged);
        assert_int_equal(out[i].pilot, in[i].pilot);
        assert_string_equal(out[i].fault, in[i].fault);
        assert_true(out[i].energy_wh > in[i].energy_wh - 0.001 && out[i].energy_wh < in[i].energy_wh + 0.001);
    }
    //  One record, as the last PET_READ of a charger with four connectors.
    n = board_states_encode(in, 1, buf, sizeof(buf));
    assert_int_equal(n, 1 + BOARD_STATE_LEN);
    assert_int_equal(board_states_decode(buf, n, out, 1), 1);
}

static void
test_states_malformed(void **state)
{
    hw_connector_state_t in[2] = { s_state(1), s_state(2) }, out[BOARD_STATES_MAX];
    uint8_t buf[BOARD_MAX_PAYLOAD];
    size_t n = board_states_encode(in, 2, buf, sizeof(buf));
    assert_int_equal(n, 1 + 2 * BOARD_STATE_LEN);
    assert_int_equal(board_states_decode(buf, 0, out, BOARD_STATES_MAX), -1);      //  empty
    assert_int_equal(board_states_decode(buf, n - 1, out, BOARD_STATES_MAX), -1);  //  a record cut short
    assert_int_equal(board_states_decode(buf, n - BOARD_STATE_LEN, out, BOARD_STATES_MAX), -1);  //  one missing
    assert_int_equal(board_states_decode(buf, n, out, 1), -1);     //  more than the caller asked for
    buf[0] = 0;                                                     //  a count of none
    assert_int_equal(board_states_decode(buf, 1, out, BOARD_STATES_MAX), -1);
    buf[0] = 2;
    buf[1 + BOARD_STATE_LEN + 2] = 'Z';                             //  the second record's pilot
    assert_int_equal(board_states_decode(buf, n, out, BOARD_STATES_MAX), -1);
}

static void
test_states_too_many(void **state)
{
    hw_connector_state_t in[BOARD_STATES_MAX + 1], out[BOARD_STATES_MAX + 1];
    for (int i = 0; i <= BOARD_STATES_MAX; i++)
        in[i] = s_state(i + 1);
    uint8_t buf[BOARD_MAX_PAYLOAD * 2];
    //  Four records would not fit a frame: refused, not cut.
    assert_int_equal(board_states_encode(in, BOARD_STATES_MAX + 1, buf, sizeof(buf)), 0);
    assert_int_equal(board_states_encode(in, 0, buf, sizeof(buf)), 0);
    assert_int_equal(board_states_encode(in, 2, buf, 2 * BOARD_STATE_LEN), 0);     //  no room for the count
    //  A board that sends four anyway (a frame of 225 bytes cannot exist;
    //  the payload alone is refused).
    size_t n = board_states_encode(in, BOARD_STATES_MAX, buf, sizeof(buf));
    memcpy(buf + n, buf + 1, BOARD_STATE_LEN);
    buf[0] = BOARD_STATES_MAX + 1;
    assert_int_equal(board_states_decode(buf, n + BOARD_STATE_LEN, out, BOARD_STATES_MAX + 1), -1);
}

//  --------------------------------------------------------------------------
//  The simulated board

static board_frame_t
s_req(uint8_t type, const uint8_t *payload, uint8_t len)
{
    board_frame_t f = { .type = type, .seq = 9, .len = len };
    if (len)
        memcpy(f.payload, payload, len);
    return f;
}

static uint8_t
s_status(const board_frame_t *reply)
{
    assert_int_equal(reply->type, BOARD_ACK);
    return reply->payload[0];
}

//  With the watchdog fed: a permission and a close are accepted, and
//  501 ms without a pet open the contactor again.
static void
s_assert_watchdog_opens(simboard_t *board, cp_clock_t *clock)
{
    board_frame_t reply, req;
    bool hello, down;
    req = s_req(BOARD_PERMIT, (const uint8_t[]) { 1, 1, 0, 0, 0, 0 }, 6);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_OK);
    req = s_req(BOARD_CONTACTOR, (const uint8_t[]) { 1, 1 }, 2);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_OK);
    cp_clock_advance(clock, 501);
    simboard_tick(board);
    req = s_req(BOARD_READ, (const uint8_t[]) { 1 }, 1);
    simboard_handle(board, &req, &reply, &hello, &down);
    hw_connector_state_t st;
    assert_int_equal(reply.type, BOARD_STATE);
    assert_int_equal(board_state_decode(reply.payload, reply.len, &st), 0);
    assert_false(st.contactor_closed);
}

static void
test_simboard_answers_everything(void **state)
{
    cp_clock_t *clock = cp_clock_new_virtual(1000, 0);
    simboard_t *board = simboard_new(1, clock, "");
    board_frame_t reply;
    bool hello, down;
    //  Unknown type, malformed payloads: an answer each.
    board_frame_t req = s_req(0x42, NULL, 0);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_UNKNOWN);
    req = s_req(BOARD_CONTACTOR, (const uint8_t[]) { 1 }, 1);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_MALFORMED);
    req = s_req(BOARD_READ, (const uint8_t[]) { 5 }, 1);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_REFUSED);
    //  Closing without a pet is refused (fail-safe from power-on).
    req = s_req(BOARD_CONTACTOR, (const uint8_t[]) { 1, 1 }, 2);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_REFUSED);
    simboard_destroy(&board);
    cp_clock_destroy(&clock);
}

static void
test_simboard_watchdog_caps_at_500_ms(void **state)
{
    cp_clock_t *clock = cp_clock_new_virtual(1000, 0);
    simboard_t *board = simboard_new(1, clock, "");
    board_frame_t reply, req;
    bool hello, down;
    //  The controller asks for 5 s; the board allows 500 ms.
    assert_int_equal(simboard_tick_due_ms(board), SIMBOARD_TICK_MAX_MS);      //  not armed: nothing due
    req = s_req(BOARD_PET, (const uint8_t[]) { 0x88, 0x13 }, 2);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_OK);
    //  The board's loop sleeps until just past the expiry, no longer.
    assert_int_equal(simboard_tick_due_ms(board), 501);
    cp_clock_advance(clock, 300);
    assert_int_equal(simboard_tick_due_ms(board), 201);
    cp_clock_advance(clock, 250);
    assert_int_equal(simboard_tick_due_ms(board), 0);
    simboard_tick(board);
    assert_int_equal(simboard_tick_due_ms(board), SIMBOARD_TICK_MAX_MS);
    req = s_req(BOARD_PET, (const uint8_t[]) { 0x88, 0x13 }, 2);
    simboard_handle(board, &req, &reply, &hello, &down);
    s_assert_watchdog_opens(board, clock);
    simboard_destroy(&board);
    cp_clock_destroy(&clock);
}

//  The enclosure's tamper switch: SIM tamper open|closed on connector 0,
//  reported in every connector's STATE (flag bit 7).
static void
test_simboard_tamper(void **state)
{
    cp_clock_t *clock = cp_clock_new_virtual(1000, 0);
    simboard_t *board = simboard_new(2, clock, "");
    board_frame_t reply, req;
    bool hello, down;
    hw_connector_state_t st;
    const uint8_t open[] = { 0, 6, 't', 'a', 'm', 'p', 'e', 'r', 4, 'o', 'p', 'e', 'n' };
    const uint8_t closed[] = { 0, 6, 't', 'a', 'm', 'p', 'e', 'r', 6, 'c', 'l', 'o', 's', 'e', 'd' };
    const uint8_t bad[] = { 0, 6, 't', 'a', 'm', 'p', 'e', 'r', 4, 'a', 'j', 'a', 'r' };
    req = s_req(BOARD_READ, (const uint8_t[]) { 2 }, 1);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(board_state_decode(reply.payload, reply.len, &st), 0);
    assert_false(st.tamper);
    req = s_req(BOARD_SIM, open, sizeof(open));
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_OK);
    for (uint8_t n = 1; n <= 2; n++) {
        req = s_req(BOARD_READ, &n, 1);
        simboard_handle(board, &req, &reply, &hello, &down);
        assert_int_equal(board_state_decode(reply.payload, reply.len, &st), 0);
        assert_true(st.tamper);
    }
    req = s_req(BOARD_SIM, bad, sizeof(bad));
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_REFUSED);
    req = s_req(BOARD_SIM, closed, sizeof(closed));
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_OK);
    req = s_req(BOARD_READ, (const uint8_t[]) { 1 }, 1);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(board_state_decode(reply.payload, reply.len, &st), 0);
    assert_false(st.tamper);
    simboard_destroy(&board);
    cp_clock_destroy(&clock);
}

static void
test_simboard_car_leaving_while_unlinked(void **state)
{
    cp_clock_t *clock = cp_clock_new_virtual(1000, 0);
    simboard_t *board = simboard_new(1, clock, "");
    board_frame_t reply, req;
    bool hello, down;
    uint8_t sim_plug[] = { 1, 4, 'p', 'l', 'u', 'g', 0 };
    uint8_t sim_unplug[] = { 1, 6, 'u', 'n', 'p', 'l', 'u', 'g', 0 };
    uint8_t hello_ctl[] = { BOARD_VERSION, BOARD_ROLE_CONTROLLER };
    req = s_req(BOARD_HELLO, hello_ctl, 2);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_true(hello);
    assert_int_equal(reply.type, BOARD_HELLO_ACK);
    assert_int_equal(reply.payload[2] & BOARD_HELLO_CONTINUOUS, 0);     //  first since power-up
    req = s_req(BOARD_SIM, sim_plug, sizeof(sim_plug));
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_OK);
    //  The controller dies; the car leaves; a new controller links.
    simboard_client_gone(board, true);
    req = s_req(BOARD_SIM, sim_unplug, sizeof(sim_unplug));
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_OK);
    req = s_req(BOARD_HELLO, hello_ctl, 2);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(reply.payload[2] & BOARD_HELLO_CONTINUOUS, BOARD_HELLO_CONTINUOUS);
    req = s_req(BOARD_READ, (const uint8_t[]) { 1 }, 1);
    simboard_handle(board, &req, &reply, &hello, &down);
    hw_connector_state_t st;
    assert_int_equal(board_state_decode(reply.payload, reply.len, &st), 0);
    assert_false(st.plugged);
    assert_true(st.left_away);
    assert_true(st.board_continuous);
    simboard_destroy(&board);
    cp_clock_destroy(&clock);
}

//  PET_READ: one exchange pets the watchdog and reports the connectors;
//  announced by HELLO_ACK's flag bit 1.
static void
test_simboard_pet_read(void **state)
{
    cp_clock_t *clock = cp_clock_new_virtual(1000, 0);
    simboard_t *board = simboard_new(2, clock, "");
    board_frame_t reply, req;
    bool hello, down;
    uint8_t hello_ctl[] = { BOARD_VERSION, BOARD_ROLE_CONTROLLER };
    req = s_req(BOARD_HELLO, hello_ctl, 2);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(reply.payload[2] & BOARD_HELLO_PET_READ, BOARD_HELLO_PET_READ);
    //  A connector that does not exist: refused, and not petted either.
    req = s_req(BOARD_PET_READ, (const uint8_t[]) { 0xF4, 0x01, 2, 2 }, 4);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_REFUSED);
    req = s_req(BOARD_PERMIT, (const uint8_t[]) { 1, 1, 0, 0, 0, 0 }, 6);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_REFUSED);
    //  A count of none, or more than a frame holds: malformed.
    req = s_req(BOARD_PET_READ, (const uint8_t[]) { 0xF4, 0x01, 1, 0 }, 4);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_MALFORMED);
    req = s_req(BOARD_PET_READ, (const uint8_t[]) { 0xF4, 0x01, 1, BOARD_STATES_MAX + 1 }, 4);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_MALFORMED);
    //  Connector 2 alone reports what READ reports.
    req = s_req(BOARD_PET_READ, (const uint8_t[]) { 0xF4, 0x01, 2, 1 }, 4);
    simboard_handle(board, &req, &reply, &hello, &down);
    hw_connector_state_t st[BOARD_STATES_MAX];
    assert_int_equal(board_states_decode(reply.payload, reply.len, st, 1), 1);
    assert_int_equal(st[0].connector, 2);
    assert_true(st[0].board_continuous == false && st[0].pilot == 'A');
    //  Both connectors, with a 5 s timeout asked: petted (the permission
    //  and the close are accepted), capped at 500 ms like PET.
    req = s_req(BOARD_PET_READ, (const uint8_t[]) { 0x88, 0x13, 1, 2 }, 4);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(reply.type, BOARD_STATES);
    assert_int_equal(reply.seq, 9);
    assert_int_equal(board_states_decode(reply.payload, reply.len, st, BOARD_STATES_MAX), 2);
    assert_int_equal(st[0].connector, 1);
    assert_int_equal(st[1].connector, 2);
    s_assert_watchdog_opens(board, clock);
    simboard_destroy(&board);
    cp_clock_destroy(&clock);
}

//  A board from before PET_READ: no flag, and the request is unknown.
static void
test_simboard_without_pet_read(void **state)
{
    cp_clock_t *clock = cp_clock_new_virtual(1000, 0);
    simboard_t *board = simboard_new(2, clock, "");
    simboard_without_pet_read(board);
    board_frame_t reply, req;
    bool hello, down;
    uint8_t hello_ctl[] = { BOARD_VERSION, BOARD_ROLE_CONTROLLER };
    req = s_req(BOARD_HELLO, hello_ctl, 2);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(reply.type, BOARD_HELLO_ACK);
    assert_int_equal(reply.payload[2] & BOARD_HELLO_PET_READ, 0);
    req = s_req(BOARD_PET_READ, (const uint8_t[]) { 0xF4, 0x01, 1, 2 }, 4);
    simboard_handle(board, &req, &reply, &hello, &down);
    assert_int_equal(s_status(&reply), BOARD_ACK_UNKNOWN);
    simboard_destroy(&board);
    cp_clock_destroy(&clock);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_known_value),
        cmocka_unit_test(test_frame_round_trip),
        cmocka_unit_test(test_payload_too_long_is_refused),
        cmocka_unit_test(test_corrupt_frame_resynchronises),
        cmocka_unit_test(test_oversized_length_is_skipped),
        cmocka_unit_test(test_cursor_fails_closed),
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_states_round_trip),
        cmocka_unit_test(test_states_malformed),
        cmocka_unit_test(test_states_too_many),
        cmocka_unit_test(test_simboard_answers_everything),
        cmocka_unit_test(test_simboard_watchdog_caps_at_500_ms),
        cmocka_unit_test(test_simboard_car_leaving_while_unlinked),
        cmocka_unit_test(test_simboard_tamper),
        cmocka_unit_test(test_simboard_pet_read),
        cmocka_unit_test(test_simboard_without_pet_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
