/* outbox.h — the durable, ordered queue of transaction-related messages.
 *
 * OCPP 1.6 section 3.7 asks the charge point to deliver StartTransaction,
 * MeterValues and StopTransaction in chronological order, to queue them
 * while offline, and to remove one only after the central system processed
 * it. Billing depends on these messages, so the queue lives in SQLite
 * (architecture.md, "Durable state: nothing lost"): a message is committed
 * before outbox_append returns, and it stays until outbox_ack, across
 * kill -9 and power loss.
 *
 * Owned by the transaction actor, on its own connection (cp_store_open),
 * single-threaded. Timers are the caller's job: the outbox only says how
 * long to wait (outbox_fail). Typical use:
 *
 *     int64_t id = outbox_append(outbox, "StartTransaction", tx, start_json);
 *     ...
 *     outbox_msg_t msg = { 0 };
 *     if (outbox_peek(outbox, &msg) == 0) {
 *         send msg.action / msg.payload, remember msg.id;
 *         outbox_msg_clear(&msg);
 *     }
 *     on CALLRESULT: for a StartTransaction, FIRST
 *                    outbox_set_transaction_id(outbox, tx, conf.transactionId),
 *                    then outbox_ack(outbox, id)
 *     on CALLERROR or timeout: delay = outbox_fail(outbox, id, attempts, interval)
 *
 * Order. Strict FIFO by id, across all transactions; ids only grow, even
 * after the queue was empty, so an id the caller holds is never reused.
 * Send one message at a time, and a new one only after the previous one
 * was acked or failed: that is what keeps the order chronological.
 *
 * Transaction ids. A transaction started offline has only a local id
 * (tx_local). Its MeterValues and StopTransaction are appended WITHOUT
 * "transactionId"; outbox_peek fills it in from the persisted mapping
 * local -> CSMS id that outbox_set_transaction_id records from
 * StartTransaction.conf. So no message ever leaves with a placeholder such
 * as -1 (EVerest libocpp #495). Call outbox_set_transaction_id BEFORE
 * acking the StartTransaction: if the process dies between the two calls
 * the StartTransaction is simply sent again and the new id replaces the
 * old one, whereas the opposite order could leave dependents without an id.
 * A MeterValues / StopTransaction that reaches the head of the queue while
 * its transaction has no CSMS id can only mean its StartTransaction was
 * discarded (or acked without an id); it is discarded with a warning,
 * together with every other queued message of that transaction.
 *
 * Retries (spec 3.7.1, TransactionMessageAttempts / RetryInterval). Each
 * failure increments the message's persisted attempt counter, so a
 * restart does not refill the retry budget. The caller waits
 * retry_interval x attempts (60 s, 120 s, ... for 60); once attempts
 * reaches max_attempts the message is discarded and logged at warn. A
 * discarded StartTransaction takes every later message of its transaction
 * with it: without a transactionId they could never be sent correctly.
 *
 * Stop delivered. outbox_ack of a StopTransaction deletes its row in a
 * committed transaction; that deletion is the durable "stop delivered"
 * mark (libocpp #907): a reopened outbox never yields it again. When a
 * transaction's StopTransaction leaves the queue (acked or discarded), its
 * mapping row is deleted too; nothing may refer to the transaction after
 * its StopTransaction.
 *
 * Capacity (lessons.md; EVerest PRs #1674, #1987). The queue is bounded so
 * a long outage cannot exhaust memory or flash. When an append would
 * exceed capacity:
 *   1. every other queued MeterValues is dropped, oldest first: of the
 *      queued MeterValues in id order the 2nd, 4th, 6th, ... are deleted
 *      (the 1st, 3rd, ... stay), which halves them while keeping readings
 *      spread over the whole session. The oldest queued MeterValues always
 *      stays, so a message that is in flight is never removed under the
 *      caller. StartTransaction and StopTransaction are never dropped;
 *   2. if the queue is still full, a StartTransaction or StopTransaction
 *      is accepted anyway (capacity may then be exceeded; they are rare
 *      and carry the billing), and a new MeterValues is refused (-1, warn).
 * Thinning and the append are one SQLite transaction.
 *
 * Dead letters. Spec 3.7.1 says the charge point SHOULD skip a message
 * after its last attempt — but a billing record must not vanish from the
 * charger. Whatever the queue discards (attempts exhausted, or a
 * transaction whose StartTransaction was discarded) is copied, in the same
 * SQLite transaction, into tx_outbox_dead with why and when, bounded to the
 * newest OUTBOX_DEAD_MAX; outbox_dead_count reports them (cpctl status)
 * and outbox_requeue_dead puts them back at the tail (cpctl outbox retry),
 * in their original order with a fresh attempt budget. Thinned MeterValues
 * (the capacity policy) are not dead letters: dropping them is the policy.
 *
 * Tables (owned by this module): tx_outbox (the messages), tx_outbox_ids
 * (the local -> CSMS transactionId mapping) and tx_outbox_dead.
 */
#ifndef CP_ACTORS_TRANSACTION_OUTBOX_H
#define CP_ACTORS_TRANSACTION_OUTBOX_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  At most this many dead letters are kept (the newest).
#define OUTBOX_DEAD_MAX 500

//  outbox_fail: the message was discarded after its last attempt.
#define OUTBOX_DISCARDED  -1
//  outbox_fail: unknown id or SQLite failure (logged); nothing changed.
#define OUTBOX_FAIL_ERROR -2

typedef struct _outbox_t outbox_t;

typedef struct {
    int64_t id;                    //  row id, increasing = send order
    char action[32];               //  "StartTransaction" | "MeterValues" | "StopTransaction"
    int64_t tx_local;              //  local transaction id (0 = none)
    char *payload;                 //  malloc'd JSON text, transactionId filled in
    int attempts;                  //  failed attempts so far
} outbox_msg_t;

//  db is borrowed (close it after destroying the outbox). Creates the
//  tables if missing. capacity (> 0) = max queued messages, e.g. 1000.
//  NULL on a SQLite error (logged).
outbox_t *outbox_new(sqlite3 *db, size_t capacity);
//  Its tables (CREATE … IF NOT EXISTS). main creates every store's in one
//  transaction before the actors start; _new creates them too, for a store
//  opened on its own.
const char *outbox_schema(void);
void outbox_destroy(outbox_t **self_p);
//  While the store is known to fail (store_health.h) the actor has said so
//  once, loudly: each further failed statement is logged at debug only.
void outbox_quiet(outbox_t *self, bool quiet);

//  Durably append a message (committed when it returns). action must be
//  one of the three transaction-related actions; payload_json a JSON
//  object. A StartTransaction needs tx_local > 0 (the key its dependents
//  are matched by); tx_local must never be negative. For MeterValues /
//  StopTransaction with tx_local != 0 the payload omits "transactionId"
//  (any value given is replaced at peek time). Returns the id (> 0), or -1
//  on a refused argument, a full queue (MeterValues only) or SQLite failure.
int64_t outbox_append(outbox_t *self, const char *action, int64_t tx_local,
                      const char *payload_json);

//  Record the CSMS transactionId of a local transaction (from
//  StartTransaction.conf), replacing any earlier one. 0 ok, -1 error.
int outbox_set_transaction_id(outbox_t *self, int64_t tx_local, int64_t csms_transaction_id);
//  0 found, 1 not (yet) known, -1 error.
int outbox_get_transaction_id(outbox_t *self, int64_t tx_local, int64_t *csms_transaction_id);

//  The oldest message, ready to send: 0, 1 when the queue is empty, -1 on
//  error. out is overwritten (clear a previous message first); on success
//  release it with outbox_msg_clear. May discard orphaned dependents (see
//  above) before returning the next sendable message.
int outbox_peek(outbox_t *self, outbox_msg_t *out);
//  Free the payload and zero the message. Safe on a zeroed message.
void outbox_msg_clear(outbox_msg_t *msg);

//  CALLRESULT received: delete the message durably. 0 deleted, 1 no such
//  message (already acked, thinned or discarded: harmless), -1 error.
int outbox_ack(outbox_t *self, int64_t id);

//  CALLERROR or timeout: attempts + 1, persisted. Returns the delay in ms
//  before the next attempt (retry_interval_s x 1000 x attempts so far), or
//  OUTBOX_DISCARDED once attempts reached max_attempts (values below 1 are
//  taken as 1): then the message is gone, and for a StartTransaction every
//  later message of its transaction too. OUTBOX_FAIL_ERROR for an unknown
//  id or a SQLite failure.
int64_t outbox_fail(outbox_t *self, int64_t id, int max_attempts, int retry_interval_s);

//  Queued messages; 0 on a SQLite error (logged).
size_t outbox_count(outbox_t *self);
//  Does the outbox know tx_local (a message queued, or its CSMS id)? For
//  recovery: such a transaction reached the outbox, so the central system
//  will or did hear of it. 1 yes, 0 no, -1 error.
int outbox_knows(outbox_t *self, int64_t tx_local);
//  Dead letters (see above): how many are kept (-1 on error), and put
//  them all back at the tail of the queue (how many; -1 on error, nothing
//  changed).
int64_t outbox_dead_count(outbox_t *self);
int64_t outbox_requeue_dead(outbox_t *self);
//  How many times messages went into the dead letters since the outbox was
//  opened (also by outbox_peek): a cheap "count again?" for the owner.
uint64_t outbox_burials(const outbox_t *self);
#endif
