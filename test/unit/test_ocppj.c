/* test_ocppj.c — unit tests for the OCPP-J framing (gateway/ocppj.c).
 *
 * One test per framing rule of OCPP-J 1.6 section 4 and per decision in
 * ocppj.h: what each malformed frame is answered with, and whether it may
 * be answered at all (id_out). Plus encoder output byte-for-byte, round
 * trips, and the hostile inputs (garbage, truncation, NUL, deep nesting,
 * oversize) that the fuzzer also explores.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ocppj.h"

/* Parses a NUL-terminated frame with no size limit. */
static ocppj_error_t
parse(const char *text, ocppj_frame_t *frame, char *id_out, char *why, size_t why_size)
{
    return ocppj_parse(text, strlen(text), 0, frame, id_out, why, why_size);
}

/* Asserts that text fails with code; answer_id is the id the caller must
 * answer with ("" = do not answer). */
static void
expect_failure(const char *text, ocppj_error_t code, const char *answer_id)
{
    ocppj_frame_t frame;
    char id[OCPPJ_MAX_ID + 1];
    char why[160];
    ocppj_error_t rc = parse(text, &frame, id, why, sizeof why);
    if (rc != code || strcmp(id, answer_id) != 0)
        print_error("frame %s: got %s id '%s' (%s)\n", text, ocppj_error_name(rc), id, why);
    assert_int_equal(rc, code);
    assert_string_equal(id, answer_id);
    assert_int_equal(frame.answer, answer_id[0] != '\0');
    assert_null(frame.payload);
    assert_true(why[0] != '\0');
    for (const char *p = why; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);
    ocppj_frame_clear(&frame);
}

/* --------------------------------------------------------- error names */

static void
test_error_names(void **state)
{
    (void) state;
    static const struct {
        ocppj_error_t code;
        const char *name;
    } table[] = {
        {OCPPJ_NOT_IMPLEMENTED, "NotImplemented"},
        {OCPPJ_NOT_SUPPORTED, "NotSupported"},
        {OCPPJ_INTERNAL_ERROR, "InternalError"},
        {OCPPJ_PROTOCOL_ERROR, "ProtocolError"},
        {OCPPJ_SECURITY_ERROR, "SecurityError"},
        {OCPPJ_FORMATION_VIOLATION, "FormationViolation"},
        {OCPPJ_PROPERTY_CONSTRAINT_VIOLATION, "PropertyConstraintViolation"},
        {OCPPJ_OCCURENCE_CONSTRAINT_VIOLATION, "OccurenceConstraintViolation"},
        {OCPPJ_TYPE_CONSTRAINT_VIOLATION, "TypeConstraintViolation"},
        {OCPPJ_GENERIC_ERROR, "GenericError"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        assert_string_equal(ocppj_error_name(table[i].code), table[i].name);
        ocppj_error_t back = OCPPJ_OK;
        assert_true(ocppj_error_from_name(table[i].name, &back));
        assert_int_equal(back, table[i].code);
    }
    assert_string_equal(ocppj_error_name(OCPPJ_OK), "OK");
    assert_string_equal(ocppj_error_name((ocppj_error_t) 99), "GenericError");
    ocppj_error_t untouched = OCPPJ_SECURITY_ERROR;
    /* The errata's corrected spellings are NOT the wire format. */
    assert_false(ocppj_error_from_name("OccurrenceConstraintViolation", &untouched));
    assert_false(ocppj_error_from_name("FormatViolation", &untouched));
    assert_false(ocppj_error_from_name("OK", &untouched));
    assert_false(ocppj_error_from_name("notimplemented", &untouched));
    assert_int_equal(untouched, OCPPJ_SECURITY_ERROR);
}

/* ------------------------------------------------------- valid frames */

static void
test_parse_call(void **state)
{
    (void) state;
    /* The example of OCPP-J 4.2.1, whitespace and all. */
    const char *text = "[2,\n  \"19223201\",\n  \"BootNotification\",\n"
                       "  {\"chargePointVendor\": \"VendorX\", \"chargePointModel\": \"SingleSocketCharger\"}\n]";
    ocppj_frame_t frame;
    char id[OCPPJ_MAX_ID + 1];
    char why[128];
    assert_int_equal(parse(text, &frame, id, why, sizeof why), OCPPJ_OK);
    assert_int_equal(frame.type, OCPPJ_CALL);
    assert_string_equal(frame.id, "19223201");
    assert_string_equal(frame.action, "BootNotification");
    assert_true(json_is_object(frame.payload));
    assert_string_equal(json_string_value(json_object_get(frame.payload, "chargePointVendor")), "VendorX");
    assert_string_equal(id, "");
    ocppj_frame_clear(&frame);
    assert_null(frame.payload);
    assert_int_equal(frame.type, 0);
}

static void
test_parse_call_null_payload(void **state)
{
    (void) state;
    /* OCPP-J 4.2.1: null is an allowed notation for "no payload". */
    ocppj_frame_t frame;
    char id[OCPPJ_MAX_ID + 1];
    assert_int_equal(parse("[2,\"h1\",\"Heartbeat\",null]", &frame, id, NULL, 0), OCPPJ_OK);
    assert_true(json_is_object(frame.payload));
    assert_int_equal(json_object_size(frame.payload), 0);
    ocppj_frame_clear(&frame);
}

static void
test_parse_result(void **state)
{
    (void) state;
    const char *text = "[3, \"19223201\", {\"status\":\"Accepted\", "
                       "\"currentTime\":\"2013-02-01T20:53:32.486Z\", \"interval\":300}]";
    ocppj_frame_t frame;
    char id[OCPPJ_MAX_ID + 1];
    assert_int_equal(parse(text, &frame, id, NULL, 0), OCPPJ_OK);
    assert_int_equal(frame.type, OCPPJ_CALLRESULT);
    assert_string_equal(frame.id, "19223201");
    assert_string_equal(frame.action, "");
    assert_int_equal(json_integer_value(json_object_get(frame.payload, "interval")), 300);
    ocppj_frame_clear(&frame);

    assert_int_equal(parse("[3,\"x\",null]", &frame, id, NULL, 0), OCPPJ_OK);
    assert_true(json_is_object(frame.payload));
    ocppj_frame_clear(&frame);
}

static void
test_parse_error(void **state)
{
    (void) state;
    /* The example of the OCPP-J errata sheet, 3.7. */
    const char *text = "[4,\n \"162376037\",\n \"NotSupported\",\n \"SendLocalList.req not implemented\",\n {}\n]";
    ocppj_frame_t frame;
    char id[OCPPJ_MAX_ID + 1];
    assert_int_equal(parse(text, &frame, id, NULL, 0), OCPPJ_OK);
    assert_int_equal(frame.type, OCPPJ_CALLERROR);
    assert_string_equal(frame.id, "162376037");
    assert_string_equal(frame.error_code, "NotSupported");
    assert_string_equal(frame.error_description, "SendLocalList.req not implemented");
    assert_true(json_is_object(frame.payload));
    ocppj_frame_clear(&frame);

    /* An errorCode outside table 7 is reported as received, not refused. */
    assert_int_equal(parse("[4,\"a\",\"Weird\",\"\",{\"k\":1}]", &frame, id, NULL, 0), OCPPJ_OK);
    assert_string_equal(frame.error_code, "Weird");
    assert_int_equal(json_integer_value(json_object_get(frame.payload, "k")), 1);
    ocppj_frame_clear(&frame);
}

static void
test_parse_error_long_description(void **state)
{
    (void) state;
    /* A description longer than the buffer is cut on a UTF-8 boundary. */
    char text[1200];
    int n = snprintf(text, sizeof text, "[4,\"a\",\"GenericError\",\"");
    for (int i = 0; i < 300; i++)
        n += snprintf(text + n, sizeof text - (size_t) n, "\xc3\xa9");   /* é, 2 bytes */
    snprintf(text + n, sizeof text - (size_t) n, "\",{}]");
    ocppj_frame_t frame;
    char id[OCPPJ_MAX_ID + 1];
    assert_int_equal(parse(text, &frame, id, NULL, 0), OCPPJ_OK);
    size_t len = strlen(frame.error_description);
    assert_true(len <= sizeof frame.error_description - 1);
    assert_int_equal(len % 2, 0);
    json_t *check = json_string(frame.error_description);   /* NULL if invalid UTF-8 */
    assert_non_null(check);
    json_decref(check);
    ocppj_frame_clear(&frame);
}

static void
test_parse_not_nul_terminated(void **state)
{
    (void) state;
    /* The parser honours len: the bytes after the frame are not read. */
    const char buffer[] = "[2,\"a\",\"Heartbeat\",{}]GARBAGE";
    ocppj_frame_t frame;
    char id[OCPPJ_MAX_ID + 1];
    size_t frame_len = (size_t) (strstr(buffer, "GARBAGE") - buffer);
    assert_int_equal(ocppj_parse(buffer, frame_len, 0, &frame, id, NULL, 0), OCPPJ_OK);
    assert_string_equal(frame.action, "Heartbeat");
    ocppj_frame_clear(&frame);
    assert_int_equal(ocppj_parse(buffer, sizeof buffer - 1, 0, &frame, id, NULL, 0),
                     OCPPJ_FORMATION_VIOLATION);
    assert_string_equal(id, "a");
    ocppj_frame_clear(&frame);
}

/* ------------------------------------------------------- framing rules */

static void
test_not_json(void **state)
{
    (void) state;
    expect_failure("", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("hello", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("   ", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("[2,\"a\",\"Heartbeat\",{}] trailing", OCPPJ_FORMATION_VIOLATION, "a");
    expect_failure("[2,'a','Heartbeat',{}]", OCPPJ_FORMATION_VIOLATION, "");
}

static void
test_garbage_bytes(void **state)
{
    (void) state;
    unsigned char bytes[256];
    uint32_t x = 0x12345678u;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof bytes; i++) {
            x = x * 1664525u + 1013904223u;   /* deterministic LCG */
            bytes[i] = (unsigned char) (x >> 24);
        }
        ocppj_frame_t frame;
        char id[OCPPJ_MAX_ID + 1];
        char why[128];
        ocppj_error_t rc = ocppj_parse((const char *) bytes, sizeof bytes, 0, &frame, id, why, sizeof why);
        assert_int_equal(rc, OCPPJ_FORMATION_VIOLATION);
        for (const char *p = why; *p; p++)
            assert_true(*p >= 0x20 && *p < 0x7f);
        ocppj_frame_clear(&frame);
    }
    /* Invalid UTF-8 inside an otherwise fine frame (4.1.2: must be UTF-8). */
    expect_failure("[2,\"a\",\"DataTransfer\",{\"vendorId\":\"\xff\xfe\"}]", OCPPJ_FORMATION_VIOLATION, "a");
    expect_failure("[2,\"a\",\"DataTransfer\",{\"vendorId\":\"\xc0\xaf\"}]", OCPPJ_FORMATION_VIOLATION, "a");
}

static void
test_truncated(void **state)
{
    (void) state;
    const char *full = "[2,\"abc\",\"BootNotification\",{\"chargePointVendor\":\"V\",\"chargePointModel\":\"M\"}]";
    /* Every proper prefix fails; once the id is complete it is recovered. */
    for (size_t cut = 0; cut < strlen(full); cut++) {
        ocppj_frame_t frame;
        char id[OCPPJ_MAX_ID + 1];
        ocppj_error_t rc = ocppj_parse(full, cut, 0, &frame, id, NULL, 0);
        assert_int_equal(rc, OCPPJ_FORMATION_VIOLATION);
        assert_string_equal(id, cut >= 8 ? "abc" : "");   /* 8 = through the closing quote */
        ocppj_frame_clear(&frame);
    }
    /* A truncated response is never answered, but its id is reported so the
     * pending CALL can be failed. */
    ocppj_frame_t frame;
    char id[OCPPJ_MAX_ID + 1];
    assert_int_equal(parse("[3,\"abc\",{\"status\":", &frame, id, NULL, 0), OCPPJ_FORMATION_VIOLATION);
    assert_string_equal(id, "");
    assert_int_equal(frame.type, OCPPJ_CALLRESULT);
    assert_string_equal(frame.id, "abc");
    ocppj_frame_clear(&frame);
    /* An escaped id cannot be recovered from broken JSON. */
    expect_failure("[2,\"a\\\"b\",\"X\",{", OCPPJ_FORMATION_VIOLATION, "");
}

static void
test_not_an_array(void **state)
{
    (void) state;
    expect_failure("{\"2\":\"a\"}", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("\"[2,\\\"a\\\"]\"", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("2", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("null", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("[]", OCPPJ_FORMATION_VIOLATION, "");
}

static void
test_unknown_message_type(void **state)
{
    (void) state;
    expect_failure("[5,\"a\",\"Heartbeat\",{}]", OCPPJ_PROTOCOL_ERROR, "a");
    expect_failure("[\"2\",\"a\",\"Heartbeat\",{}]", OCPPJ_PROTOCOL_ERROR, "a");
    expect_failure("[2.0,\"a\",\"Heartbeat\",{}]", OCPPJ_PROTOCOL_ERROR, "a");
    expect_failure("[1,\"a\"]", OCPPJ_PROTOCOL_ERROR, "a");
    expect_failure("[-2,\"a\",\"Heartbeat\",{}]", OCPPJ_PROTOCOL_ERROR, "a");
    expect_failure("[4294967298,\"a\",\"Heartbeat\",{}]", OCPPJ_PROTOCOL_ERROR, "a");
    expect_failure("[null,\"a\"]", OCPPJ_PROTOCOL_ERROR, "a");
    expect_failure("[5]", OCPPJ_PROTOCOL_ERROR, "");
    expect_failure("[5,7]", OCPPJ_PROTOCOL_ERROR, "");
}

static void
test_call_shape(void **state)
{
    (void) state;
    expect_failure("[2]", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("[2,\"a\"]", OCPPJ_FORMATION_VIOLATION, "a");
    expect_failure("[2,\"a\",\"Heartbeat\"]", OCPPJ_FORMATION_VIOLATION, "a");
    expect_failure("[2,\"a\",\"Heartbeat\",{},{}]", OCPPJ_FORMATION_VIOLATION, "a");
    expect_failure("[2,\"a\",7,{}]", OCPPJ_FORMATION_VIOLATION, "a");
    expect_failure("[2,\"a\",null,{}]", OCPPJ_FORMATION_VIOLATION, "a");
    expect_failure("[2,\"a\",\"Heartbeat\",[]]", OCPPJ_FORMATION_VIOLATION, "a");
    expect_failure("[2,\"a\",\"Heartbeat\",\"{}\"]", OCPPJ_FORMATION_VIOLATION, "a");
    expect_failure("[2,\"a\",\"Heartbeat\",0]", OCPPJ_FORMATION_VIOLATION, "a");
    expect_failure("[2,\"a\",\"Heartbeat\",true]", OCPPJ_FORMATION_VIOLATION, "a");
}

static void
test_response_shapes_not_answered(void **state)
{
    (void) state;
    expect_failure("[3,\"a\"]", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("[3,\"a\",{},{}]", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("[3,\"a\",[]]", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("[4,\"a\",\"GenericError\",\"\"]", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("[4,\"a\",\"GenericError\",\"\",{},1]", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("[4,\"a\",\"GenericError\",\"\",null]", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("[4,\"a\",\"GenericError\",\"\",[]]", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("[4,\"a\",5,\"\",{}]", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("[4,\"a\",\"GenericError\",null,{}]", OCPPJ_FORMATION_VIOLATION, "");

    ocppj_frame_t frame;
    char id[OCPPJ_MAX_ID + 1];
    assert_int_equal(parse("[4,\"pending-7\",\"GenericError\",\"\",null]", &frame, id, NULL, 0),
                     OCPPJ_FORMATION_VIOLATION);
    assert_int_equal(frame.type, OCPPJ_CALLERROR);
    assert_string_equal(frame.id, "pending-7");
    ocppj_frame_clear(&frame);
}

static void
test_unique_id(void **state)
{
    (void) state;
    char text[200];
    const char *id36 = "123456789012345678901234567890123456";
    snprintf(text, sizeof text, "[2,\"%s\",\"Heartbeat\",{}]", id36);
    ocppj_frame_t frame;
    char id[OCPPJ_MAX_ID + 1];
    assert_int_equal(parse(text, &frame, id, NULL, 0), OCPPJ_OK);
    assert_string_equal(frame.id, id36);
    ocppj_frame_clear(&frame);

    /* 37 characters: FormationViolation, and no answer (see ocppj.h). */
    snprintf(text, sizeof text, "[2,\"%sX\",\"Heartbeat\",{}]", id36);
    expect_failure(text, OCPPJ_FORMATION_VIOLATION, "");
    /* Same when the JSON is broken and the id comes from the prefix scan. */
    snprintf(text, sizeof text, "[2,\"%sX\",\"Heartbeat\",{", id36);
    expect_failure(text, OCPPJ_FORMATION_VIOLATION, "");
    /* A GUID, the usual shape. */
    expect_failure("[2,\"8b0f7a0e-3f1c-4c8e-9a55-2f8c1d3e4b5a\",\"Heartbeat\",[]]", OCPPJ_FORMATION_VIOLATION,
                   "8b0f7a0e-3f1c-4c8e-9a55-2f8c1d3e4b5a");
    expect_failure("[2,17,\"Heartbeat\",{}]", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("[2,null,\"Heartbeat\",{}]", OCPPJ_FORMATION_VIOLATION, "");
    expect_failure("[2,[\"a\"],\"Heartbeat\",{}]", OCPPJ_FORMATION_VIOLATION, "");
    /* Escapes are fine once the JSON parses: the id is the decoded string. */
    assert_int_equal(parse("[2,\"a\\u0041\",\"Heartbeat\",{}]", &frame, id, NULL, 0), OCPPJ_OK);
    assert_string_equal(frame.id, "aA");
    ocppj_frame_clear(&frame);

    /* An empty id identifies nothing: FormationViolation, answered with the
     * exact same id "" (4.2.3) so the sender need not wait for a timeout. */
    char why[128];
    assert_int_equal(parse("[2,\"\",\"Heartbeat\",{}]", &frame, id, why, sizeof why),
                     OCPPJ_FORMATION_VIOLATION);
    assert_true(frame.answer);
    assert_string_equal(id, "");
    assert_string_equal(why, "unique id is empty");
    assert_int_equal(frame.type, OCPPJ_CALL);
    assert_null(frame.payload);
    ocppj_frame_clear(&frame);
    /* ... but never a response with "" (it answers nothing we sent), nor
     * broken text where "" may only mean "not recovered". */
    assert_int_equal(parse("[3,\"\",{}]", &frame, id, NULL, 0), OCPPJ_FORMATION_VIOLATION);
    assert_false(frame.answer);
    ocppj_frame_clear(&frame);
    assert_int_equal(parse("[4,\"\",\"GenericError\",\"\",{}]", &frame, id, NULL, 0), OCPPJ_FORMATION_VIOLATION);
    assert_false(frame.answer);
    ocppj_frame_clear(&frame);
    assert_int_equal(parse("[2,\"\",\"Heartbeat\",{", &frame, id, NULL, 0), OCPPJ_FORMATION_VIOLATION);
    assert_false(frame.answer);
    ocppj_frame_clear(&frame);
    assert_int_equal(parse("[9,\"\",{}]", &frame, id, NULL, 0), OCPPJ_PROTOCOL_ERROR);
    assert_false(frame.answer);
    ocppj_frame_clear(&frame);
}

static void
test_action_too_long(void **state)
{
    (void) state;
    char text[300];
    char action[101];
    memset(action, 'A', 100);
    action[100] = '\0';
    snprintf(text, sizeof text, "[2,\"a\",\"%s\",{}]", action);
    expect_failure(text, OCPPJ_NOT_IMPLEMENTED, "a");
}

static void
test_duplicates_and_nul(void **state)
{
    (void) state;
    expect_failure("[2,\"a\",\"Heartbeat\",{\"x\":1,\"x\":2}]", OCPPJ_FORMATION_VIOLATION, "a");
    expect_failure("[2,\"a\",\"DataTransfer\",{\"vendorId\":\"v\\u0000w\"}]", OCPPJ_FORMATION_VIOLATION, "a");

    /* A raw NUL byte, inside a string and outside one. */
    const char in_string[] = "[2,\"a\",\"DataTransfer\",{\"vendorId\":\"v\0w\"}]";
    const char outside[] = "[2,\"a\",\"Heartbeat\",{}\0]";
    const char after_escape[] = "[2,\"a\",\"DataTransfer\",{\"vendorId\":\"v\\\0\"}]";
    const char *texts[] = {in_string, outside, after_escape};
    size_t lens[] = {sizeof in_string - 1, sizeof outside - 1, sizeof after_escape - 1};
    for (size_t i = 0; i < 3; i++) {
        ocppj_frame_t frame;
        char id[OCPPJ_MAX_ID + 1];
        char why[128];
        assert_int_equal(ocppj_parse(texts[i], lens[i], 0, &frame, id, why, sizeof why),
                         OCPPJ_FORMATION_VIOLATION);
        assert_string_equal(id, "a");
        assert_non_null(strstr(why, "NUL"));
        ocppj_frame_clear(&frame);
    }
}

static void
test_oversize(void **state)
{
    (void) state;
    const char *text = "[2,\"big-1\",\"DataTransfer\",{\"vendorId\":\"v\",\"data\":\"0123456789\"}]";
    size_t len = strlen(text);
    ocppj_frame_t frame;
    char id[OCPPJ_MAX_ID + 1];
    char why[128];
    assert_int_equal(ocppj_parse(text, len, len, &frame, id, why, sizeof why), OCPPJ_OK);
    ocppj_frame_clear(&frame);
    assert_int_equal(ocppj_parse(text, len, len - 1, &frame, id, why, sizeof why), OCPPJ_FORMATION_VIOLATION);
    assert_string_equal(id, "big-1");
    assert_non_null(strstr(why, "limit"));
    assert_null(frame.payload);
    ocppj_frame_clear(&frame);

    /* A megabyte frame: refused before parsing, id still recovered. */
    size_t big = 1u << 20;
    char *huge = malloc(big + 64);
    assert_non_null(huge);
    int n = snprintf(huge, 64, "[2,\"big-2\",\"DataTransfer\",{\"vendorId\":\"v\",\"data\":\"");
    memset(huge + n, 'x', big);
    memcpy(huge + n + big, "\"}]", 4);
    assert_int_equal(ocppj_parse(huge, strlen(huge), 65536, &frame, id, NULL, 0), OCPPJ_FORMATION_VIOLATION);
    assert_string_equal(id, "big-2");
    ocppj_frame_clear(&frame);
    /* ...and accepted without a limit. */
    assert_int_equal(ocppj_parse(huge, strlen(huge), 0, &frame, id, NULL, 0), OCPPJ_OK);
    assert_int_equal(json_string_length(json_object_get(frame.payload, "data")), big);
    ocppj_frame_clear(&frame);
    free(huge);

    /* Only the head of a frame was kept: the real sizes in why, the id
     * recovered from the head. */
    const char *head = "[2,\"big-3\",\"DataTransfer\",{\"vendorId\":\"v\",\"data\":\"xxxx";
    assert_int_equal(ocppj_parse_oversize(head, strlen(head), 71722, 65536, &frame, id, why, sizeof why),
                     OCPPJ_FORMATION_VIOLATION);
    assert_string_equal(why, "frame of 71722 bytes exceeds the 65536-byte limit");
    assert_string_equal(id, "big-3");
    assert_true(frame.answer);
    assert_int_equal(frame.type, OCPPJ_CALL);
    ocppj_frame_clear(&frame);
    assert_int_equal(ocppj_parse_oversize("[3,\"r\",{\"a\":\"", 13, 70000, 65536, &frame, id, why, sizeof why),
                     OCPPJ_FORMATION_VIOLATION);
    assert_string_equal(id, "");
    assert_false(frame.answer);
    assert_int_equal(frame.type, OCPPJ_CALLRESULT);
    assert_string_equal(frame.id, "r");
    ocppj_frame_clear(&frame);
    /* ocppj_parse names the same sizes. */
    assert_int_equal(ocppj_parse(text, len, len - 1, &frame, id, why, sizeof why), OCPPJ_FORMATION_VIOLATION);
    char expected[80];
    snprintf(expected, sizeof expected, "frame of %zu bytes exceeds the %zu-byte limit", len, len - 1);
    assert_string_equal(why, expected);
    ocppj_frame_clear(&frame);

    /* An oversize response is not answered. */
    assert_int_equal(ocppj_parse("[3,\"r\",{}]", 10, 5, &frame, id, NULL, 0), OCPPJ_FORMATION_VIOLATION);
    assert_string_equal(id, "");
    assert_int_equal(frame.type, OCPPJ_CALLRESULT);
    assert_string_equal(frame.id, "r");
    ocppj_frame_clear(&frame);
}

/* Builds [2,"deep","DataTransfer",{"a": [[[...]]] }] with levels arrays. */
static char *
nested_frame(size_t levels)
{
    const char *head = "[2,\"deep\",\"DataTransfer\",{\"a\":";
    size_t head_len = strlen(head);
    char *text = malloc(head_len + 2 * levels + 3);
    assert_non_null(text);
    memcpy(text, head, head_len);
    memset(text + head_len, '[', levels);
    memset(text + head_len + levels, ']', levels);
    memcpy(text + head_len + 2 * levels, "}]", 3);
    return text;
}

static void
test_deep_nesting(void **state)
{
    (void) state;
    ocppj_frame_t frame;
    char id[OCPPJ_MAX_ID + 1];
    char why[128];
    /* Frame array (1) + payload object (2) + levels arrays. */
    char *ok = nested_frame(OCPPJ_MAX_DEPTH - 2);
    assert_int_equal(parse(ok, &frame, id, why, sizeof why), OCPPJ_OK);
    ocppj_frame_clear(&frame);
    free(ok);

    char *too_deep = nested_frame(OCPPJ_MAX_DEPTH - 1);
    assert_int_equal(parse(too_deep, &frame, id, why, sizeof why), OCPPJ_FORMATION_VIOLATION);
    assert_string_equal(id, "deep");
    assert_non_null(strstr(why, "nesting"));
    ocppj_frame_clear(&frame);
    free(too_deep);

    /* A million levels: refused by the linear pre-scan, no recursion. */
    char *bomb = nested_frame(1000000);
    assert_int_equal(parse(bomb, &frame, id, why, sizeof why), OCPPJ_FORMATION_VIOLATION);
    assert_string_equal(id, "deep");
    ocppj_frame_clear(&frame);
    free(bomb);

    /* Unbalanced opening brackets only (truncated bomb). */
    char *open_only = malloc(100001);
    assert_non_null(open_only);
    memset(open_only, '{', 100000);
    open_only[100000] = '\0';
    expect_failure(open_only, OCPPJ_FORMATION_VIOLATION, "");
    free(open_only);

    /* Brackets inside strings do not count as nesting. */
    char text[400];
    char brackets[201];
    memset(brackets, '[', 200);
    brackets[200] = '\0';
    snprintf(text, sizeof text, "[2,\"s\",\"DataTransfer\",{\"vendorId\":\"v\",\"data\":\"\\\"%s\"}]", brackets);
    assert_int_equal(parse(text, &frame, id, why, sizeof why), OCPPJ_OK);
    ocppj_frame_clear(&frame);
}

/* ------------------------------------------------------------ encoders */

static void
test_encode_exact(void **state)
{
    (void) state;
    json_t *empty = json_object();
    char *text = ocppj_encode_call("1", "Heartbeat", empty);
    assert_string_equal(text, "[2,\"1\",\"Heartbeat\",{}]");
    free(text);
    text = ocppj_encode_result("1", empty);
    assert_string_equal(text, "[3,\"1\",{}]");
    free(text);
    /* 4.2.3: no details → {} ; errata 3.7 example. */
    text = ocppj_encode_error("162376037", OCPPJ_NOT_SUPPORTED, "SendLocalList.req not implemented", NULL);
    assert_string_equal(text, "[4,\"162376037\",\"NotSupported\",\"SendLocalList.req not implemented\",{}]");
    free(text);
    text = ocppj_encode_error("x", OCPPJ_OCCURENCE_CONSTRAINT_VIOLATION, NULL, NULL);
    assert_string_equal(text, "[4,\"x\",\"OccurenceConstraintViolation\",\"\",{}]");
    free(text);
    text = ocppj_encode_error("x", OCPPJ_FORMATION_VIOLATION, "bad", empty);
    assert_string_equal(text, "[4,\"x\",\"FormationViolation\",\"bad\",{}]");
    free(text);
    /* The caller's payload is not consumed or changed. */
    assert_int_equal(empty->refcount, 1);
    json_decref(empty);
}

static void
test_encode_error_bad_utf8(void **state)
{
    (void) state;
    /* An error report always goes out: invalid UTF-8 is cut off. */
    char *text = ocppj_encode_error("e", OCPPJ_GENERIC_ERROR, "ok part\xff bad part", NULL);
    assert_non_null(text);
    assert_string_equal(text, "[4,\"e\",\"GenericError\",\"ok part\",{}]");
    free(text);
    text = ocppj_encode_error("e", OCPPJ_GENERIC_ERROR, "caf\xc3\xa9 \xed\xa0\x80", NULL);   /* surrogate */
    assert_string_equal(text, "[4,\"e\",\"GenericError\",\"caf\xc3\xa9 \",{}]");
    free(text);
}

static void
test_round_trip(void **state)
{
    (void) state;
    json_t *payload = json_pack("{s:i,s:{s:i,s:s,s:[{s:i,s:f}]}}", "connectorId", 1, "csChargingProfiles",
                                "chargingProfileId", 7, "chargingProfileKind", "Absolute",
                                "chargingSchedulePeriod", "startPeriod", 0, "limit", 32.1);
    assert_non_null(payload);
    const char *id = "abcdefghijklmnopqrstuvwxyz0123456789";   /* 36 */
    char *text = ocppj_encode_call(id, "SetChargingProfile", payload);
    assert_non_null(text);
    ocppj_frame_t frame;
    char id_out[OCPPJ_MAX_ID + 1];
    assert_int_equal(parse(text, &frame, id_out, NULL, 0), OCPPJ_OK);
    assert_int_equal(frame.type, OCPPJ_CALL);
    assert_string_equal(frame.id, id);
    assert_string_equal(frame.action, "SetChargingProfile");
    assert_true(json_equal(frame.payload, payload));
    ocppj_frame_clear(&frame);
    free(text);

    text = ocppj_encode_result("r-1", payload);
    assert_int_equal(parse(text, &frame, id_out, NULL, 0), OCPPJ_OK);
    assert_int_equal(frame.type, OCPPJ_CALLRESULT);
    assert_string_equal(frame.id, "r-1");
    assert_true(json_equal(frame.payload, payload));
    ocppj_frame_clear(&frame);
    free(text);

    json_t *details = json_pack("{s:s}", "hint", "caf\xc3\xa9");
    text = ocppj_encode_error("e-1", OCPPJ_TYPE_CONSTRAINT_VIOLATION, "limit: expected number", details);
    assert_int_equal(parse(text, &frame, id_out, NULL, 0), OCPPJ_OK);
    assert_int_equal(frame.type, OCPPJ_CALLERROR);
    assert_string_equal(frame.error_code, "TypeConstraintViolation");
    assert_string_equal(frame.error_description, "limit: expected number");
    assert_true(json_equal(frame.payload, details));
    ocppj_error_t code;
    assert_true(ocppj_error_from_name(frame.error_code, &code));
    assert_int_equal(code, OCPPJ_TYPE_CONSTRAINT_VIOLATION);
    ocppj_frame_clear(&frame);
    free(text);

    /* Non-ASCII text survives the round trip unescaped (UTF-8 on the wire). */
    json_t *utf = json_pack("{s:s}", "info", "\xe2\x82\xac 5");
    text = ocppj_encode_call("u", "DataTransfer", utf);
    assert_non_null(strstr(text, "\xe2\x82\xac 5"));
    assert_int_equal(parse(text, &frame, id_out, NULL, 0), OCPPJ_OK);
    assert_true(json_equal(frame.payload, utf));
    ocppj_frame_clear(&frame);
    free(text);

    json_decref(utf);
    json_decref(details);
    json_decref(payload);
}

/* ------------------------------------------------------------- actions */

static void
test_actions_known(void **state)
{
    (void) state;
    static const char *const actions[] = {
        /* OCPP 1.6 core and feature profiles */
        "Authorize", "BootNotification", "CancelReservation", "ChangeAvailability",
        "ChangeConfiguration", "ClearCache", "ClearChargingProfile", "DataTransfer",
        "DiagnosticsStatusNotification", "FirmwareStatusNotification", "GetCompositeSchedule",
        "GetConfiguration", "GetDiagnostics", "GetLocalListVersion", "Heartbeat", "MeterValues",
        "RemoteStartTransaction", "RemoteStopTransaction", "ReserveNow", "Reset", "SendLocalList",
        "SetChargingProfile", "StartTransaction", "StatusNotification", "StopTransaction",
        "TriggerMessage", "UnlockConnector", "UpdateFirmware",
        /* the security whitepaper's extension */
        "CertificateSigned", "DeleteCertificate", "ExtendedTriggerMessage",
        "GetInstalledCertificateIds", "GetLog", "InstallCertificate", "LogStatusNotification",
        "SecurityEventNotification", "SignCertificate", "SignedFirmwareStatusNotification",
        "SignedUpdateFirmware",
    };
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        if (!ocppj_action_known(actions[i]))
            print_error("action %s not known\n", actions[i]);
        assert_true(ocppj_action_known(actions[i]));
    }
    assert_int_equal(sizeof actions / sizeof actions[0], 39);
    assert_false(ocppj_action_known("BootNotificationResponse"));
    assert_false(ocppj_action_known("bootnotification"));
    assert_false(ocppj_action_known("BootNotification "));
    assert_false(ocppj_action_known(""));
    assert_false(ocppj_action_known("Response"));
    assert_false(ocppj_action_known("Get15118EVCertificate"));   /* OCPP 2.0.1 */
}

static void
test_clear_is_idempotent(void **state)
{
    (void) state;
    ocppj_frame_t frame;
    memset(&frame, 0, sizeof frame);
    ocppj_frame_clear(&frame);
    ocppj_frame_clear(&frame);
    ocppj_frame_clear(NULL);
}

/* A CALLRESULT written as text: the same bytes as ocppj_encode_result for
 * the same payload, an id that needs escaping included. */
static void
test_write_result_head(void **state)
{
    (void) state;
    static const char *const ids[] = { "42", "a\"b\\c", "" };
    json_t *payload = json_pack("{s:[{s:s,s:b}]}", "configurationKey", "key", "K", "readonly", 1);
    char *body = json_dumps(payload, JSON_COMPACT);
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        jwriter_t *w = jwriter_new();
        ocppj_write_result_head(w, ids[i]);
        jwriter_raw(w, body);
        jwriter_raw(w, "]");
        char *expected = ocppj_encode_result(ids[i], payload);
        assert_false(jwriter_failed(w));
        assert_string_equal(jwriter_text(w), expected);
        free(expected);
        jwriter_destroy(&w);
    }
    free(body);
    json_decref(payload);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_names),
        cmocka_unit_test(test_parse_call),
        cmocka_unit_test(test_parse_call_null_payload),
        cmocka_unit_test(test_parse_result),
        cmocka_unit_test(test_parse_error),
        cmocka_unit_test(test_parse_error_long_description),
        cmocka_unit_test(test_parse_not_nul_terminated),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_garbage_bytes),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_not_an_array),
        cmocka_unit_test(test_unknown_message_type),
        cmocka_unit_test(test_call_shape),
        cmocka_unit_test(test_response_shapes_not_answered),
        cmocka_unit_test(test_unique_id),
        cmocka_unit_test(test_action_too_long),
        cmocka_unit_test(test_duplicates_and_nul),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_encode_exact),
        cmocka_unit_test(test_encode_error_bad_utf8),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_actions_known),
        cmocka_unit_test(test_clear_is_idempotent),
        cmocka_unit_test(test_write_result_head),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
