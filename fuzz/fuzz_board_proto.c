/* fuzz_board_proto.c — libFuzzer harness for the board protocol
 * (hw/board/board_proto.h): the bytes a power board sends the controller,
 * and the frames a controller sends the simulated board, are inputs from
 * another program. Properties: no crash, leak or UB in the streaming
 * decoder whatever the stream; a frame it accepts re-encodes to the same
 * bytes; a STATE payload it accepts re-encodes and decodes to the same
 * state, and a STATES payload (PET_READ's answer) likewise, record by
 * record; the simulated board answers every frame. Built and run by
 * scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw/board/board_proto.h"
#include "hw/board/simboard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cp_clock_t *clock = cp_clock_new_virtual(1000, 0);
    simboard_t *board = simboard_new(2, clock, "");
    board_decoder_t dec;
    board_decoder_init(&dec);
    size_t taken = 0;
    while (taken < size) {
        taken += board_decoder_feed(&dec, data + taken, size - taken);
        board_frame_t f, reply;
        char reason[96];
        int got;
        while ((got = board_decoder_next(&dec, &f, reason, sizeof(reason))) != 0) {
            if (got < 0)
                continue;
            uint8_t out[BOARD_MAX_FRAME];
            size_t n = board_frame_encode(f.type, f.seq, f.payload, f.len, out, sizeof(out));
            if (n != (size_t) f.len + BOARD_OVERHEAD)
                abort();
            hw_connector_state_t st, again;
            if (board_state_decode(f.payload, f.len, &st) == 0) {
                uint8_t buf[BOARD_MAX_PAYLOAD];
                size_t m = board_state_encode(&st, buf, sizeof(buf));
                if (m != f.len || board_state_decode(buf, m, &again) != 0 || again.plugged != st.plugged
                ||  again.energy_wh != st.energy_wh)
                    abort();
            }
            //  STATES (PET_READ's answer): the same, record by record.
            hw_connector_state_t many[BOARD_STATES_MAX], many_again[BOARD_STATES_MAX];
            int count = board_states_decode(f.payload, f.len, many, BOARD_STATES_MAX);
            if (count > 0) {
                uint8_t buf[BOARD_MAX_PAYLOAD];
                size_t m = board_states_encode(many, count, buf, sizeof(buf));
                if (m != f.len || board_states_decode(buf, m, many_again, BOARD_STATES_MAX) != count
                ||  many_again[count - 1].connector != many[count - 1].connector)
                    abort();
            }
            bool hello, down;
            reply.type = 0;
            simboard_handle(board, &f, &reply, &hello, &down);
            if (reply.type < 0x80)
                abort();                    //  every request gets an answer
            simboard_tick(board);
        }
    }
    simboard_destroy(&board);
    cp_clock_destroy(&clock);
    return 0;
}
