/* store_health.h — is the transaction actor's store writable right now?
 *
 * Why it exists: a full disk or an I/O error used to be logged once per
 * failed write and otherwise ignored — a stop that could not be recorded
 * was simply lost (issue 11). Billing depends on these writes, so a
 * failing store is an *episode* with a start and an end: the first failed
 * write starts it (logged loudly, once; published as "store.state", shown
 * by `cpctl status` and raised to the central system as connector 0
 * OtherError / StorageFailure), writes that could not be made are kept in
 * memory and retried on a back-off, and the first write that succeeds
 * again ends it (logged, cleared). This file is that state and its retry
 * schedule, pure (no SQLite, no clock: `now` is passed in), so the episode
 * logic is unit-tested on its own (test_store_health).
 */
#ifndef CP_ACTORS_TRANSACTION_STORE_HEALTH_H
#define CP_ACTORS_TRANSACTION_STORE_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Retries while failing: after 500 ms, doubling up to 5 s — a freed disk
//  is noticed within seconds, a dead one costs one write attempt per 5 s.
#define STORE_HEALTH_RETRY_FIRST_MS 500
#define STORE_HEALTH_RETRY_MAX_MS   5000
#define STORE_HEALTH_ERROR_MAX      120

typedef struct {
    bool failing;
    char error[STORE_HEALTH_ERROR_MAX + 1];    //  what failed first, and why
    int64_t since_ms;              //  wall ms of the first failure (0 = ok)
    int64_t failures;              //  failed writes in this episode
    int64_t retry_at;              //  mono ms of the next retry; INT64_MAX when ok
    int64_t retry_delay;           //  ms, the back-off in force
} store_health_t;

void store_health_init(store_health_t *self);
//  A write failed (what: the write, error: SQLite's message). True when
//  this starts an episode: the caller logs it loudly and publishes.
bool store_health_failed(store_health_t *self, int64_t now_mono, int64_t now_wall, const char *what,
                         const char *error);
//  A write succeeded. True when this ends an episode (log, publish).
bool store_health_ok(store_health_t *self);
//  The retry timer fired (and the caller retried): the next one is later.
void store_health_retried(store_health_t *self, int64_t now_mono);
#endif
