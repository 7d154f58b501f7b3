/* requests.h — the requests an actor has in flight, each with a deadline.
 *
 * Why it exists: a request to another actor can go unanswered — its actor
 * died or hung with the request in its queue, or a message was lost — and
 * an actor that waits for such an answer stays stuck for good (an idTag
 * that never authorizes again, a current limit never applied). The shell
 * keeps every request it sends here, and this table tells it, for each,
 * which single outcome the actor's handler gets: the reply (take), "timed
 * out" (expire), or "unreachable" (peer_down: the supervisor announced the
 * peer down after the request was sent). An entry leaves the table with
 * its outcome, so nothing is ever answered twice.
 *
 * Pure: no sockets, no clock reads. Times are passed in: deadlines on the
 * monotonic clock in ms, send stamps in the bus's seq unit (monotonic ns,
 * cp_msg_seq_now, comparable across processes), so it is unit-tested on a
 * virtual clock (test/unit/test_requests.c).
 */
#ifndef CP_SUPERVISOR_REQUESTS_H
#define CP_SUPERVISOR_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "supervisor/bus.h"

typedef struct {
    uint64_t corr;
    char to[CP_BUS_NAME_MAX];
    int64_t sent_seq;              //  when it was sent (cp_msg_seq_now)
    int64_t deadline_ms;           //  monotonic ms
    int tag;                       //  the owner's: what the request was for
} cp_request_t;

typedef struct _cp_requests_t cp_requests_t;

//  At most max requests in flight (bounded memory: a sender that floods a
//  dead peer is refused, not grown without limit).
cp_requests_t *cp_requests_new(size_t max);
void cp_requests_destroy(cp_requests_t **self_p);

//  Track a request sent. -1 when the table is full or corr is 0 / known.
int cp_requests_add(cp_requests_t *self, const cp_request_t *request);
//  Its answer came: remove it into *out (may be NULL). False when corr is
//  not in flight (answered already, timed out, or never ours).
bool cp_requests_take(cp_requests_t *self, uint64_t corr, cp_request_t *out);
//  True when corr is in flight (partial replies are only passed on then).
bool cp_requests_has(const cp_requests_t *self, uint64_t corr);
//  One request whose deadline has passed at now_ms, removed into *out;
//  false when none. Call until false.
bool cp_requests_expire(cp_requests_t *self, int64_t now_ms, cp_request_t *out);
//  One request to actor `name` sent before down_seq (the moment the
//  supervisor saw it die), removed into *out; false when none. A request
//  sent after that went to the next incarnation (or was not routable and
//  comes back as unreachable anyway). Call until false.
bool cp_requests_peer_down(cp_requests_t *self, const char *name, int64_t down_seq, cp_request_t *out);
//  The earliest deadline, or INT64_MAX when nothing is in flight.
int64_t cp_requests_next_deadline(const cp_requests_t *self);
size_t cp_requests_size(const cp_requests_t *self);
#endif
