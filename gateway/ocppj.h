/* ocppj.h — OCPP-J 1.6 RPC framing: the [2|3|4, id, ...] wrapper around
 * every WebSocket text frame, the CALLERROR codes, and the set of action
 * names we know a schema for.
 *
 * This module is pure: no sockets, no clock, no logging. The gateway's
 * WebSocket shell hands each received text frame to ocppj_parse(), answers
 * failures with ocppj_encode_error(), and uses schema.h to validate the
 * payload of a well-formed frame. Everything here is reentrant and keeps no
 * state, so the same code serves the daemon, the unit tests and the fuzzer.
 *
 * Reference: OCPP-J 1.6 specification section 4 and its errata sheet.
 * Error code spellings follow the published enum exactly ("FormationViolation",
 * "OccurenceConstraintViolation"): the errata sheet (5.1, 5.2) says they
 * must NOT be corrected because peers match on the literal strings.
 */
#ifndef CP_GATEWAY_OCPPJ_H
#define CP_GATEWAY_OCPPJ_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "gateway/jwriter.h"

/* The CALLERROR codes of OCPP-J 1.6 table 7, plus OCPPJ_OK for "no error".
 * Shared with schema.h so validation maps straight onto a CALLERROR. */
typedef enum {
    OCPPJ_OK = 0,
    OCPPJ_NOT_IMPLEMENTED,
    OCPPJ_NOT_SUPPORTED,
    OCPPJ_INTERNAL_ERROR,
    OCPPJ_PROTOCOL_ERROR,
    OCPPJ_SECURITY_ERROR,
    OCPPJ_FORMATION_VIOLATION,
    OCPPJ_PROPERTY_CONSTRAINT_VIOLATION,
    OCPPJ_OCCURENCE_CONSTRAINT_VIOLATION,
    OCPPJ_TYPE_CONSTRAINT_VIOLATION,
    OCPPJ_GENERIC_ERROR
} ocppj_error_t;

/* The wire name of a code ("NotImplemented", "FormationViolation",
 * "OccurenceConstraintViolation", ...). OCPPJ_OK gives "OK" (never sent);
 * an out-of-range value gives "GenericError" so a log line never crashes. */
const char *ocppj_error_name(ocppj_error_t e);

/* Reverse of ocppj_error_name for the ten wire codes (case-sensitive, the
 * spec's spelling only). Returns false, leaving *out alone, for anything
 * else, including "OK". For mapping a received CALLERROR's errorCode. */
bool ocppj_error_from_name(const char *name, ocppj_error_t *out);

/* OCPP-J 4.1.4: a message id is a string of at most 36 characters. */
#define OCPPJ_MAX_ID 36

/* Nesting limit (arrays and objects, the frame array itself counts as 1)
 * checked by a linear pre-scan before jansson sees the text. The deepest
 * OCPP 1.6 frame (SetChargingProfile) nests 6 levels; jansson's own limit is
 * 2048 recursive calls, too much stack for a small actor thread. */
#define OCPPJ_MAX_DEPTH 32

typedef enum { OCPPJ_CALL = 2, OCPPJ_CALLRESULT = 3, OCPPJ_CALLERROR = 4 } ocppj_type_t;

typedef struct {
    ocppj_type_t type;
    char id[OCPPJ_MAX_ID + 1];
    char action[64];              /* CALL only */
    json_t *payload;              /* CALL: payload object; CALLRESULT: payload
                                     object; CALLERROR: errorDetails object.
                                     Owned by the frame. */
    char error_code[64];          /* CALLERROR only, as received (truncated) */
    char error_description[256];  /* CALLERROR only, as received, truncated on
                                     a UTF-8 boundary. Peer text: sanitise
                                     before logging. */
    bool answer;                  /* after a failed parse: a CALLERROR is due,
                                     to id_out (which is "" only for a CALL
                                     whose unique id is the empty string) */
} ocppj_frame_t;

/* Parses one text frame of len bytes (text need not be NUL-terminated).
 * max_len is the largest frame accepted; 0 means no limit.
 *
 * On success returns OCPPJ_OK and fills *frame; the caller owns it and must
 * call ocppj_frame_clear(). A CALL or CALLRESULT whose payload is JSON null
 * gets an empty object (OCPP-J 4.2.1/4.2.2 allow null for "no payload").
 *
 * On failure returns the CALLERROR code that describes the problem, leaves
 * frame->payload NULL, sets frame->answer when a CALLERROR must be sent, and
 * writes to id_out (a buffer of OCPPJ_MAX_ID + 1 bytes) the unique id to
 * answer with. No CALLERROR may be sent (answer false, id_out "") when the id
 * could not be recovered, was not a string, was longer than 36 characters,
 * or the frame was a CALLRESULT/CALLERROR (a response is never answered, so
 * two peers cannot ping-pong errors); the caller then just logs. A CALL
 * whose id is "" is answered, with id "" (see ocppj.c). frame->type and frame->id still carry whatever could be
 * recovered (type 0 if none), so a malformed CALLRESULT can fail its pending
 * CALL early instead of waiting for the timeout.
 *
 * why (may be NULL when why_size is 0) receives a short printable-ASCII
 * description, suitable for a CALLERROR errorDescription and for logs. */
ocppj_error_t ocppj_parse(const char *text, size_t len, size_t max_len, ocppj_frame_t *frame,
                          char *id_out, char *why, size_t why_size);

/* For a frame too large to keep, of which only the first head_len bytes
 * were kept out of total_len: the same outcome as ocppj_parse() with that
 * max_len on the whole frame (FormationViolation, the id recovered from the
 * head when it is a CALL), with the real sizes in why. */
ocppj_error_t ocppj_parse_oversize(const char *head, size_t head_len, size_t total_len,
                                   size_t max_len, ocppj_frame_t *frame, char *id_out,
                                   char *why, size_t why_size);

/* Releases the payload and zeroes the frame. Safe on a zeroed frame and on
 * a frame that ocppj_parse() failed to fill. */
void ocppj_frame_clear(ocppj_frame_t *frame);

/* Encoders: compact JSON text, malloc'd (free() it), NULL only when out of
 * memory or when a string argument is not valid UTF-8. Contracts (asserted):
 * id is at most OCPPJ_MAX_ID bytes, payloads are JSON objects. */
char *ocppj_encode_call(const char *id, const char *action, const json_t *payload);
char *ocppj_encode_result(const char *id, const json_t *payload);
/* A CALLRESULT written as text (gateway/jwriter.h), for a payload built
 * as text rather than as a jansson object: the head `[3,"<id>",` here, then
 * the caller appends the payload object and "]". The same bytes
 * ocppj_encode_result writes for the same payload. */
void ocppj_write_result_head(jwriter_t *w, const char *id);
/* description NULL → ""; details NULL → {} (OCPP-J 4.2.3: "If there are no
 * error details you MUST fill in an empty object"). code must not be
 * OCPPJ_OK. A description that is not valid UTF-8 is cut at the first bad
 * byte rather than failing: an error report must always go out. */
char *ocppj_encode_error(const char *id, ocppj_error_t code, const char *description,
                         const json_t *details);

/* True when action names an OCPP 1.6 operation (core or security extension)
 * for which gateway/schemas holds a request schema. An unknown action is
 * answered with NotImplemented; a known one the charger does not handle is
 * the caller's NotSupported. */
bool ocppj_action_known(const char *action);

#endif
