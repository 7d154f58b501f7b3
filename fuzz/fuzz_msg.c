/* fuzz_msg.c — libFuzzer harness for the internal message decoder
 * (messages/msg.c): every byte a process receives on the bus in split mode
 * goes through cp_msg_decode. Properties: no crash, leak or UB; anything
 * accepted re-encodes and decodes to the same bytes. Built and run by
 * scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "messages/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[128];
    cp_msg_t *msg = cp_msg_decode(data, size, why, sizeof(why));
    if (!msg)
        return 0;
    char *out = NULL;
    size_t out_size = 0;
    if (cp_msg_encode(msg, &out, &out_size) != 0)
        abort();                        //  accepted input must re-encode
    cp_msg_t *again = cp_msg_decode(out, out_size, why, sizeof(why));
    if (!again)
        abort();
    char *out2 = NULL;
    size_t out2_size = 0;
    if (cp_msg_encode(again, &out2, &out2_size) != 0 || out2_size != out_size || memcmp(out, out2, out_size) != 0)
        abort();                        //  round trip must be stable
    free(out);
    free(out2);
    cp_msg_destroy(&again);
    cp_msg_destroy(&msg);
    return 0;
}
