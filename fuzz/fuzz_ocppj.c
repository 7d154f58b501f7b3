/* fuzz_ocppj.c — libFuzzer harness for the gateway's inbound path: the
 * OCPP-J frame parser (gateway/ocppj.c) and, for frames that parse, the
 * schema validator (gateway/schema.c) — the code that sees every byte from
 * the Central System.
 *
 * Besides "no crash, no leak, no UB" it checks two properties:
 *  - a failure never leaves a payload behind, and an id to answer with is
 *    only given for CALLs (or unknown MessageTypeIds) and fits 36 bytes;
 *  - a frame that parses re-encodes to text that parses to the same frame.
 *
 * Not built by default (CMakeLists.txt only globs gateway/ and test/unit/).
 * Build and run from the repository root, after one normal cmake build
 * (for the generated schema table):
 *
 *   clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *     fuzz/fuzz_ocppj.c gateway/ocppj.c gateway/schema.c \
 *     build/generated/ocpp_schemas.c $(pkg-config --cflags --libs jansson) -lm \
 *     -o build/fuzz_ocppj
 *   mkdir -p build/fuzz-corpus && cp -r fuzz/corpus/. build/fuzz-corpus/
 *   build/fuzz_ocppj -max_len=4096 build/fuzz-corpus
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ocppj.h"
#include "gateway/schema.h"

/* libFuzzer owns main(); the schema set is built once here and is
 * read-only afterwards. This is the harness's equivalent of main's state. */
static schema_set_t *s_schemas;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    s_schemas = schema_set_new();
    if (!s_schemas)
        abort();
    return 0;
}

static void
check_round_trip(const ocppj_frame_t *frame)
{
    char *text = NULL;
    switch (frame->type) {
    case OCPPJ_CALL:
        text = ocppj_encode_call(frame->id, frame->action, frame->payload);
        break;
    case OCPPJ_CALLRESULT:
        text = ocppj_encode_result(frame->id, frame->payload);
        break;
    case OCPPJ_CALLERROR: {
        ocppj_error_t code;
        if (!ocppj_error_from_name(frame->error_code, &code))
            return;   /* a foreign error code cannot be re-encoded */
        text = ocppj_encode_error(frame->id, code, frame->error_description, frame->payload);
        break;
    }
    }
    if (!text)
        abort();
    ocppj_frame_t again;
    char id[OCPPJ_MAX_ID + 1];
    if (ocppj_parse(text, strlen(text), 0, &again, id, NULL, 0) != OCPPJ_OK)
        abort();
    if (again.type != frame->type || strcmp(again.id, frame->id) != 0 || strcmp(again.action, frame->action) != 0
        || !json_equal(again.payload, frame->payload))
        abort();
    ocppj_frame_clear(&again);
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ocppj_frame_t frame;
    char id[OCPPJ_MAX_ID + 1];
    char why[128];
    ocppj_error_t rc = ocppj_parse((const char *) data, size, 65536, &frame, id, why, sizeof why);
    if (rc != OCPPJ_OK) {
        if (frame.payload || strlen(id) > OCPPJ_MAX_ID)
            abort();
        if (id[0] && (frame.type == OCPPJ_CALLRESULT || frame.type == OCPPJ_CALLERROR))
            abort();
        /* a CALLERROR is due exactly when there is an id to answer, or a
         * CALL's id is the empty string; never to a response */
        if (id[0] && !frame.answer)
            abort();
        if (frame.answer && !id[0] && !(frame.type == OCPPJ_CALL && frame.id[0] == '\0'))
            abort();
        if (frame.answer && (frame.type == OCPPJ_CALLRESULT || frame.type == OCPPJ_CALLERROR))
            abort();
        ocppj_frame_clear(&frame);
        return 0;
    }
    if (frame.type == OCPPJ_CALL && ocppj_action_known(frame.action)) {
        schema_set_validate(s_schemas, frame.action, frame.payload, why, sizeof why);
    }
    else if (frame.type == OCPPJ_CALLRESULT && size > 0) {
        /* A response's schema depends on the pending CALL; let the input
         * pick one so every response schema gets exercised. */
        const cp_schema_blob_t *blob = &cp_schema_blobs[data[size - 1] % cp_schema_blob_count];
        schema_set_validate(s_schemas, blob->name, frame.payload, why, sizeof why);
    }
    check_round_trip(&frame);
    ocppj_frame_clear(&frame);
    return 0;
}
