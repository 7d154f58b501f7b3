/* jwriter.h — compact JSON text written once, front to back, into one
 * growing buffer: for an answer whose shape the code already knows (the
 * GetConfiguration list), where building a jansson tree only to dump it
 * costs a small allocation per value and a second walk over every string.
 *
 * The writer produces exactly what json_dumps(..., JSON_COMPACT) would for
 * the same values: no spaces, strings escaped as jansson escapes them ("
 * and \ and control characters; other bytes, UTF-8 included, as they are),
 * so a test can compare the two byte for byte.
 *
 * A string is checked as it is copied: it must be valid UTF-8 without NUL
 * and, when a limit is given, at most that many code points (what a JSON
 * schema's maxLength counts). A string that fails is not written and the
 * writer is marked failed: every later call does nothing, and the caller
 * looks once, at the end (jwriter_failed), as with ferror. Out of memory
 * fails the same way.
 *
 *     jwriter_t *w = jwriter_new();
 *     jwriter_raw(w, "{\"key\":");
 *     jwriter_string(w, name, 50);
 *     jwriter_raw(w, "}");
 *     if (!jwriter_failed(w)) send(jwriter_text(w), jwriter_size(w));
 *     jwriter_destroy(&w);
 */
#ifndef CP_GATEWAY_JWRITER_H
#define CP_GATEWAY_JWRITER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct _jwriter_t jwriter_t;

//  An empty writer; NULL when out of memory.
jwriter_t *jwriter_new(void);
void jwriter_destroy(jwriter_t **self_p);

//  Empty again, not failed, keeping the buffer for the next text.
void jwriter_reset(jwriter_t *self);

//  Append JSON text the caller vouches for (punctuation, member names,
//  literals), as is.
void jwriter_raw(jwriter_t *self, const char *text);
//  Append a JSON string holding text (NUL-terminated): quoted, escaped,
//  checked as above. max_chars 0 = no limit.
void jwriter_string(jwriter_t *self, const char *text, size_t max_chars);

//  True once an append failed (invalid or too long a string, or memory).
bool jwriter_failed(const jwriter_t *self);
//  The text so far, NUL-terminated, owned by the writer (valid until the
//  next append, reset or destroy); and its length in bytes.
const char *jwriter_text(const jwriter_t *self);
size_t jwriter_size(const jwriter_t *self);
//  The text as a malloc'd string the caller frees, leaving the writer
//  empty; NULL if the writer failed or memory ran out.
char *jwriter_take(jwriter_t *self);

#endif
