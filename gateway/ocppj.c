/* ocppj.c — OCPP-J 1.6 RPC framing: parse one WebSocket text frame into a
 * CALL / CALLRESULT / CALLERROR, and encode the three kinds. See ocppj.h
 * for the contract.
 *
 * The parser is the first code to touch bytes from the network, so it is
 * written to fail closed and cheaply:
 *  1. an oversize frame is refused before any parsing;
 *  2. a linear pre-scan refuses NUL bytes and nesting deeper than
 *     OCPPJ_MAX_DEPTH, so jansson's recursive descent stays shallow;
 *  3. jansson parses with JSON_REJECT_DUPLICATES (a duplicated member is an
 *     ambiguity an attacker could use against two differently-behaving
 *     parsers) and, by default, rejects "\u0000" and invalid UTF-8;
 *  4. the wrapper is checked element by element.
 * When the JSON is unusable, the unique id is still recovered from the
 * start of the text by a tiny scanner so that a broken CALL can be answered.
 *
 * Decisions:
 *  - Only a CALL (or a frame with an unknown MessageTypeId, answered with
 *    ProtocolError) is answered: a CALLERROR replies to a CALL, and
 *    answering a broken response could make two peers ping-pong errors.
 *  - The unique id is limited to 36 bytes (the spec says characters; ids
 *    are GUIDs, so bytes == characters in practice). A longer id is a
 *    FormationViolation that is NOT answered: the CALLERROR must carry the
 *    exact id, which would itself break the 36 limit, and a truncated echo
 *    would correlate with nothing — or with a different pending call.
 *  - An empty unique id ("") is a FormationViolation: it cannot tell one
 *    request from another (4.1.4). A CALL with it is answered all the same,
 *    with "" as the id: 4.2.3 wants "the exact same id that is in the call
 *    request", and "" is that id, so the sender learns at once instead of
 *    waiting for its timeout. Only when the JSON parsed, though: an id
 *    recovered from broken text may be "" because nothing was recovered.
 *  - A CALL's action longer than the 63 bytes we store cannot be a known
 *    action: NotImplemented, answered.
 *  - Payload null is accepted as {} for CALL and CALLRESULT (OCPP-J 4.2.1
 *    and 4.2.2 name null as an allowed "no payload" notation); any other
 *    non-object is a FormationViolation. CALLERROR details must be an
 *    object (4.2.3: "you MUST fill in an empty object").
 *  - A received errorCode that is not in table 7 is still accepted (we
 *    report, never reject, a peer's error); ocppj_error_from_name() maps it.
 */
#include "gateway/ocppj.h"
#include "gateway/schema_blobs.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------------------- errors */

/* Indexed by ocppj_error_t. The misspellings are the wire format. */
static const char *const s_error_names[] = {
    [OCPPJ_OK] = "OK",
    [OCPPJ_NOT_IMPLEMENTED] = "NotImplemented",
    [OCPPJ_NOT_SUPPORTED] = "NotSupported",
    [OCPPJ_INTERNAL_ERROR] = "InternalError",
    [OCPPJ_PROTOCOL_ERROR] = "ProtocolError",
    [OCPPJ_SECURITY_ERROR] = "SecurityError",
    [OCPPJ_FORMATION_VIOLATION] = "FormationViolation",
    [OCPPJ_PROPERTY_CONSTRAINT_VIOLATION] = "PropertyConstraintViolation",
    [OCPPJ_OCCURENCE_CONSTRAINT_VIOLATION] = "OccurenceConstraintViolation",
    [OCPPJ_TYPE_CONSTRAINT_VIOLATION] = "TypeConstraintViolation",
    [OCPPJ_GENERIC_ERROR] = "GenericError",
};

#define ERROR_COUNT (sizeof s_error_names / sizeof s_error_names[0])

const char *
ocppj_error_name(ocppj_error_t e)
{
    if ((size_t) e >= ERROR_COUNT)
        return s_error_names[OCPPJ_GENERIC_ERROR];
    return s_error_names[e];
}

bool
ocppj_error_from_name(const char *name, ocppj_error_t *out)
{
    assert(name);
    assert(out);
    for (size_t i = OCPPJ_NOT_IMPLEMENTED; i < ERROR_COUNT; i++) {
        if (strcmp(s_error_names[i], name) == 0) {
            *out = (ocppj_error_t) i;
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------- helpers */

/* Length of the longest prefix of s[0..len) that is well-formed UTF-8
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t
utf8_valid_prefix(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *) s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = u[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        else if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
            cp = c & 0x1F;
        }
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            cp = c & 0x0F;
        }
        else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            cp = c & 0x07;
        }
        else
            return i;
        if (len - i < n)
            return i;
        for (size_t k = 1; k < n; k++) {
            if ((u[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (u[i + k] & 0x3F);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return i;
        i += n;
    }
    return len;
}

/* Copies a jansson (hence valid UTF-8) string into a fixed buffer, cutting
 * on a code point boundary so the copy stays valid UTF-8. */
static void
copy_utf8(char *dst, size_t size, const char *src, size_t len)
{
    if (len >= size) {
        len = size - 1;
        while (len > 0 && ((unsigned char) src[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

__attribute__((format(printf, 3, 4))) static void
set_why(char *why, size_t why_size, const char *fmt, ...)
{
    if (!why || why_size == 0)
        return;
    va_list args;
    va_start(args, fmt);
    vsnprintf(why, why_size, fmt, args);
    va_end(args);
    /* jansson's messages quote the offending input ("near '...'"): keep
     * the text printable ASCII for logs and for a CALLERROR description. */
    for (char *p = why; *p; p++) {
        unsigned char ch = (unsigned char) *p;
        if (ch < 0x20 || ch >= 0x7f)
            *p = '?';
    }
}

static bool
is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Recovers MessageTypeId and unique id from the start of a frame that
 * could not be parsed: `[ <digits> , "<id>"`. Only plain printable-ASCII
 * ids without escapes are recovered (anything else might not be what the
 * sender meant). Bounded: reads at most a few dozen bytes. Returns the
 * type (0 if not recovered); writes id ("" if not recovered). */
static int
recover_prefix(const char *text, size_t len, char id[OCPPJ_MAX_ID + 1])
{
    size_t i = 0;
    int type = 0;
    id[0] = '\0';
    while (i < len && is_space(text[i]))
        i++;
    if (i >= len || text[i++] != '[')
        return 0;
    while (i < len && is_space(text[i]))
        i++;
    size_t digits = 0;
    while (i < len && text[i] >= '0' && text[i] <= '9' && digits < 3) {
        type = type * 10 + (text[i++] - '0');
        digits++;
    }
    if (digits == 0)
        return 0;
    while (i < len && is_space(text[i]))
        i++;
    if (i >= len || text[i++] != ',')
        return type;
    while (i < len && is_space(text[i]))
        i++;
    if (i >= len || text[i++] != '"')
        return type;
    size_t start = i;
    while (i < len && i - start <= OCPPJ_MAX_ID && text[i] != '"') {
        unsigned char ch = (unsigned char) text[i];
        if (ch < 0x20 || ch >= 0x7f || ch == '\\')
            return type;
        i++;
    }
    if (i >= len || text[i] != '"' || i - start > OCPPJ_MAX_ID)
        return type;
    memcpy(id, text + start, i - start);
    id[i - start] = '\0';
    return type;
}

/* Refuses NUL bytes and nesting deeper than OCPPJ_MAX_DEPTH, tracking
 * strings and escapes so brackets inside strings do not count. Returns
 * NULL when fine, else the reason. */
static const char *
prescan(const char *text, size_t len)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (ch == '\0')
            return "NUL byte in frame";
        if (in_string) {
            if (ch == '\\') {
                if (i + 1 < len && text[i + 1] == '\0')
                    return "NUL byte in frame";
                i++;    /* the escaped byte cannot end the string */
            }
            else if (ch == '"')
                in_string = false;
        }
        else if (ch == '"')
            in_string = true;
        else if (ch == '[' || ch == '{') {
            if (++depth > OCPPJ_MAX_DEPTH)
                return "nesting deeper than OCPPJ_MAX_DEPTH";
        }
        else if (ch == ']' || ch == '}')
            depth--;
    }
    return NULL;
}

/* -------------------------------------------------------------- parser */

/* A failure on a frame whose JSON we could not use: recover what we can
 * from the text and answer only a CALL. */
static ocppj_error_t
fail_unparsed(const char *text, size_t len, ocppj_frame_t *frame, char *id_out)
{
    int type = recover_prefix(text, len, frame->id);
    if (type == OCPPJ_CALL || type == OCPPJ_CALLRESULT || type == OCPPJ_CALLERROR)
        frame->type = (ocppj_type_t) type;
    if (type == OCPPJ_CALL)
        memcpy(id_out, frame->id, sizeof frame->id);
    frame->answer = id_out[0] != '\0';
    return OCPPJ_FORMATION_VIOLATION;
}

/* Reads element 1 as the unique id into frame->id. Returns false when it is
 * not a string or is too long (frame->id then stays ""). */
static bool
read_id(const json_t *array, ocppj_frame_t *frame, char *why, size_t why_size)
{
    const json_t *id = json_array_get(array, 1);
    if (!json_is_string(id)) {
        set_why(why, why_size, "unique id is %s", id ? "not a string" : "missing");
        return false;
    }
    if (json_string_length(id) > OCPPJ_MAX_ID) {
        set_why(why, why_size, "unique id longer than %d characters", OCPPJ_MAX_ID);
        return false;
    }
    memcpy(frame->id, json_string_value(id), json_string_length(id) + 1);
    return true;
}

/* Takes the payload/details element: an object (or, when null_ok, JSON null
 * standing for {}). Returns a new reference or NULL. */
static json_t *
take_object(json_t *value, bool null_ok)
{
    if (json_is_object(value))
        return json_incref(value);
    if (null_ok && json_is_null(value))
        return json_object();
    return NULL;
}

static ocppj_error_t
parse_call(json_t *array, ocppj_frame_t *frame, char *why, size_t why_size)
{
    if (json_array_size(array) != 4) {
        set_why(why, why_size, "CALL has %zu elements, expected 4", json_array_size(array));
        return OCPPJ_FORMATION_VIOLATION;
    }
    const json_t *action = json_array_get(array, 2);
    if (!json_is_string(action)) {
        set_why(why, why_size, "CALL action is not a string");
        return OCPPJ_FORMATION_VIOLATION;
    }
    if (json_string_length(action) >= sizeof frame->action) {
        set_why(why, why_size, "unknown action (longer than %zu bytes)", sizeof frame->action - 1);
        return OCPPJ_NOT_IMPLEMENTED;
    }
    memcpy(frame->action, json_string_value(action), json_string_length(action) + 1);
    json_t *payload = json_array_get(array, 3);
    if (!json_is_object(payload) && !json_is_null(payload)) {
        set_why(why, why_size, "CALL payload is not a JSON object");
        return OCPPJ_FORMATION_VIOLATION;
    }
    frame->payload = take_object(payload, true);
    if (!frame->payload) {
        set_why(why, why_size, "out of memory");
        return OCPPJ_INTERNAL_ERROR;
    }
    return OCPPJ_OK;
}

static ocppj_error_t
parse_result(json_t *array, ocppj_frame_t *frame, char *why, size_t why_size)
{
    if (json_array_size(array) != 3) {
        set_why(why, why_size, "CALLRESULT has %zu elements, expected 3", json_array_size(array));
        return OCPPJ_FORMATION_VIOLATION;
    }
    json_t *payload = json_array_get(array, 2);
    if (!json_is_object(payload) && !json_is_null(payload)) {
        set_why(why, why_size, "CALLRESULT payload is not a JSON object");
        return OCPPJ_FORMATION_VIOLATION;
    }
    frame->payload = take_object(payload, true);
    if (!frame->payload) {
        set_why(why, why_size, "out of memory");
        return OCPPJ_INTERNAL_ERROR;
    }
    return OCPPJ_OK;
}

static ocppj_error_t
parse_error(json_t *array, ocppj_frame_t *frame, char *why, size_t why_size)
{
    if (json_array_size(array) != 5) {
        set_why(why, why_size, "CALLERROR has %zu elements, expected 5", json_array_size(array));
        return OCPPJ_FORMATION_VIOLATION;
    }
    const json_t *code = json_array_get(array, 2);
    const json_t *description = json_array_get(array, 3);
    json_t *details = json_array_get(array, 4);
    if (!json_is_string(code) || !json_is_string(description)) {
        set_why(why, why_size, "CALLERROR errorCode/errorDescription is not a string");
        return OCPPJ_FORMATION_VIOLATION;
    }
    if (!json_is_object(details)) {
        set_why(why, why_size, "CALLERROR errorDetails is not a JSON object");
        return OCPPJ_FORMATION_VIOLATION;
    }
    copy_utf8(frame->error_code, sizeof frame->error_code, json_string_value(code),
              json_string_length(code));
    copy_utf8(frame->error_description, sizeof frame->error_description,
              json_string_value(description), json_string_length(description));
    frame->payload = json_incref(details);
    return OCPPJ_OK;
}

ocppj_error_t
ocppj_parse(const char *text, size_t len, size_t max_len, ocppj_frame_t *frame, char *id_out,
            char *why, size_t why_size)
{
    assert(text || len == 0);
    assert(frame);
    assert(id_out);
    assert(why || why_size == 0);
    memset(frame, 0, sizeof *frame);
    id_out[0] = '\0';
    if (why_size > 0)
        why[0] = '\0';
    if (!text)
        text = "";

    if (max_len > 0 && len > max_len)
        return ocppj_parse_oversize(text, len, len, max_len, frame, id_out, why, why_size);
    const char *bad = prescan(text, len);
    if (bad) {
        set_why(why, why_size, "%s", bad);
        return fail_unparsed(text, len, frame, id_out);
    }
    json_error_t error;
    json_t *array = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
    if (!array) {
        set_why(why, why_size, "invalid JSON at byte %d: %s", error.position, error.text);
        return fail_unparsed(text, len, frame, id_out);
    }

    ocppj_error_t rc;
    bool answer = false;        /* a CALLERROR is due even with id "" */
    if (!json_is_array(array)) {
        set_why(why, why_size, "frame is not a JSON array");
        rc = OCPPJ_FORMATION_VIOLATION;
        goto done;
    }
    if (json_array_size(array) == 0) {
        set_why(why, why_size, "frame is an empty array");
        rc = OCPPJ_FORMATION_VIOLATION;
        goto done;
    }
    const json_t *type = json_array_get(array, 0);
    json_int_t type_value = json_is_integer(type) ? json_integer_value(type) : 0;
    if (type_value != OCPPJ_CALL && type_value != OCPPJ_CALLRESULT && type_value != OCPPJ_CALLERROR) {
        /* 4.1.3: ignore the payload. Answer with ProtocolError when the
         * id is usable: the sender may be waiting for a reply. */
        char ignored[1];
        if (read_id(array, frame, ignored, 0)) {
            memcpy(id_out, frame->id, sizeof frame->id);
            answer = frame->id[0] != '\0';
        }
        set_why(why, why_size, "unknown MessageTypeId");
        rc = OCPPJ_PROTOCOL_ERROR;
        goto done;
    }
    frame->type = (ocppj_type_t) type_value;
    if (!read_id(array, frame, why, why_size)) {
        rc = OCPPJ_FORMATION_VIOLATION;
        goto done;
    }
    if (frame->id[0] == '\0') {
        set_why(why, why_size, "unique id is empty");
        rc = OCPPJ_FORMATION_VIOLATION;
        answer = frame->type == OCPPJ_CALL;
        goto done;
    }
    switch (frame->type) {
    case OCPPJ_CALL: rc = parse_call(array, frame, why, why_size); break;
    case OCPPJ_CALLRESULT: rc = parse_result(array, frame, why, why_size); break;
    default: rc = parse_error(array, frame, why, why_size); break;
    }
    if (rc != OCPPJ_OK && frame->type == OCPPJ_CALL) {
        memcpy(id_out, frame->id, sizeof frame->id);
        answer = true;
    }

done:
    json_decref(array);
    if (rc != OCPPJ_OK) {
        json_decref(frame->payload);
        frame->payload = NULL;
    }
    frame->answer = rc != OCPPJ_OK && answer;
    return rc;
}

ocppj_error_t
ocppj_parse_oversize(const char *head, size_t head_len, size_t total_len, size_t max_len,
                     ocppj_frame_t *frame, char *id_out, char *why, size_t why_size)
{
    assert(head || head_len == 0);
    assert(frame);
    assert(id_out);
    assert(why || why_size == 0);
    memset(frame, 0, sizeof *frame);
    id_out[0] = '\0';
    set_why(why, why_size, "frame of %zu bytes exceeds the %zu-byte limit", total_len, max_len);
    return fail_unparsed(head ? head : "", head_len, frame, id_out);
}

void
ocppj_frame_clear(ocppj_frame_t *frame)
{
    if (!frame)
        return;
    json_decref(frame->payload);
    memset(frame, 0, sizeof *frame);
}

/* ------------------------------------------------------------- encoder */

/* Appends value to array, consuming the reference. jansson releases value
 * itself when the append fails, and rejects a NULL value (from a failed
 * constructor), so one check covers both. */
static bool
push(json_t *array, json_t *value)
{
    return json_array_append_new(array, value) == 0;
}

/* Appends a caller-owned object. jansson's refcount lives inside the value,
 * so taking a reference needs a non-const pointer; the object itself is not
 * modified. */
static bool
push_borrowed(json_t *array, const json_t *value)
{
    return json_array_append(array, (json_t *) value) == 0;
}

static char *
finish(json_t *array, bool ok)
{
    char *text = ok ? json_dumps(array, JSON_COMPACT) : NULL;
    json_decref(array);
    return text;
}

static json_t *
start(ocppj_type_t type, const char *id)
{
    assert(id);
    assert(strlen(id) <= OCPPJ_MAX_ID);
    json_t *array = json_array();
    if (!array)
        return NULL;
    if (!push(array, json_integer(type)) || !push(array, json_string(id))) {
        json_decref(array);
        return NULL;
    }
    return array;
}

char *
ocppj_encode_call(const char *id, const char *action, const json_t *payload)
{
    assert(action);
    assert(json_is_object(payload));
    json_t *array = start(OCPPJ_CALL, id);
    if (!array)
        return NULL;
    return finish(array, push(array, json_string(action)) && push_borrowed(array, payload));
}

char *
ocppj_encode_result(const char *id, const json_t *payload)
{
    assert(json_is_object(payload));
    json_t *array = start(OCPPJ_CALLRESULT, id);
    if (!array)
        return NULL;
    return finish(array, push_borrowed(array, payload));
}

void
ocppj_write_result_head(jwriter_t *w, const char *id)
{
    assert(w && id);
    assert(strlen(id) <= OCPPJ_MAX_ID);
    _Static_assert(OCPPJ_CALLRESULT == 3, "the head below spells the type");
    jwriter_raw(w, "[3,");
    jwriter_string(w, id, 0);
    jwriter_raw(w, ",");
}

char *
ocppj_encode_error(const char *id, ocppj_error_t code, const char *description, const json_t *details)
{
    assert(code != OCPPJ_OK && (size_t) code < ERROR_COUNT);
    assert(!details || json_is_object(details));
    if (!description)
        description = "";
    json_t *array = start(OCPPJ_CALLERROR, id);
    if (!array)
        return NULL;
    bool ok = push(array, json_string(ocppj_error_name(code)))
              && push(array, json_stringn(description, utf8_valid_prefix(description, strlen(description))))
              && (details ? push_borrowed(array, details) : push(array, json_object()));
    return finish(array, ok);
}

/* -------------------------------------------------------------- actions */

/* Derived from the embedded schemas rather than a second hand-kept list, so
 * adding a schema file adds the action. Every request schema name is an
 * action; "...Response" files are confirmations. A linear scan of ~80
 * names per CALL costs nothing next to parsing the frame. */
bool
ocppj_action_known(const char *action)
{
    assert(action);
    static const char suffix[] = "Response";
    for (size_t i = 0; i < cp_schema_blob_count; i++) {
        const char *name = cp_schema_blobs[i].name;
        if (strcmp(name, action) != 0)
            continue;
        size_t len = strlen(name);
        return !(len >= sizeof suffix - 1 && strcmp(name + len - (sizeof suffix - 1), suffix) == 0);
    }
    return false;
}
