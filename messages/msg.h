/* msg.h — typed internal messages generated from catalog.h, with their
 * msgpack wire form.
 *
 * A cp_msg_t is a tagged union of the catalog's structs. The wire form is
 * a msgpack array [ "name", field1, field2, ... ] in declaration order:
 * self-describing enough to debug with any msgpack tool, strict enough to
 * reject anything that is not exactly a catalog message. Decoding never
 * trusts lengths from the wire: a message that is truncated, oversized,
 * nested or wrongly typed is refused with a reason, never a crash.
 */
#ifndef CP_MESSAGES_MSG_H
#define CP_MESSAGES_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "messages/catalog.h"

#define CP_MSG_MAX_BYTES  (1024 * 1024)   /* biggest encoded message */
#define CP_MSG_TEXT_MAX   (512 * 1024)    /* biggest TEXT field */

#define CP_FIELD_DECL_I64(n, s)  int64_t n;
#define CP_FIELD_DECL_F64(n, s)  double n;
#define CP_FIELD_DECL_BOOL(n, s) bool n;
#define CP_FIELD_DECL_STR(n, s)  char n[(s) + 1];
#define CP_FIELD_DECL_TEXT(n, s) char *n;
#define CP_FIELD_DECL(kind, n, s) CP_FIELD_DECL_##kind(n, s)

#define CP_MSG_STRUCT(E, name, FIELDS) \
    typedef struct { FIELDS(CP_FIELD_DECL) } cp_msg_##name##_t;
CP_MESSAGE_CATALOG(CP_MSG_STRUCT)
#undef CP_MSG_STRUCT

typedef enum {
    CP_MSG_NONE = 0,
#define CP_MSG_ENUM(E, name, FIELDS) CP_MSG_##E,
    CP_MESSAGE_CATALOG(CP_MSG_ENUM)
#undef CP_MSG_ENUM
    CP_MSG_COUNT
} cp_msg_type_t;

typedef struct {
    cp_msg_type_t type;
    union {
#define CP_MSG_MEMBER(E, name, FIELDS) cp_msg_##name##_t name;
        CP_MESSAGE_CATALOG(CP_MSG_MEMBER)
#undef CP_MSG_MEMBER
    } u;
} cp_msg_t;

//  Create a zeroed message of the given type; destroy frees TEXT fields.
cp_msg_t *cp_msg_new(cp_msg_type_t type);
void cp_msg_destroy(cp_msg_t **self_p);

//  Name of a type ("hw_connector"), or "?" for an invalid one.
const char *cp_msg_type_name(cp_msg_type_t type);

//  Set a TEXT field (copies; NULL clears). Returns 0, or -1 if too long.
int cp_msg_set_text(char **field, const char *text);

//  Copy a string into a STR field with truncation; returns -1 if it did
//  not fit (the field then holds a truncated copy).
#define cp_msg_set_str(field, text) \
    cp_msg_copy_str((field), sizeof(field), (text))
int cp_msg_copy_str(char *field, size_t size, const char *text);

//  Sequence for level-triggered state: monotonic nanoseconds, increasing
//  across threads and processes of one machine.
int64_t cp_msg_seq_now(void);
//  True when seq is older than *last (drop it); otherwise records it.
bool cp_msg_stale(int64_t seq, int64_t *last);

//  Encode into a malloc'd buffer. Returns 0, or -1 when a field breaks
//  its declared limit (nothing is allocated then).
int cp_msg_encode(const cp_msg_t *self, char **data_p, size_t *size_p);

//  Decode; NULL on any malformed input, with a short reason in why.
cp_msg_t *cp_msg_decode(const void *data, size_t size, char *why, size_t why_size);

#endif
