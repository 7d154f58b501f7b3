/* reset.h — when and how the controller carries out a Reset.
 *
 * Why it exists: a Reset.req from the central system reaches the
 * transaction actor, which stops the sessions and asks the supervisor
 * (SYSTEM_RESET) to reset. The supervisor must first let the Reset.conf
 * and the queued StopTransactions go out (CP_RESET_DELAY_MS), then do one
 * of two things: Soft — every actor stops cleanly and starts again from
 * the durable store, in start order; Hard — the whole process restarts in
 * place (main re-executes itself). This is that small schedule; the
 * restarts themselves are the supervisor's lifecycle (supervisor.c).
 *
 * Pure: times are monotonic milliseconds passed in.
 */
#ifndef CP_SUPERVISOR_RESET_H
#define CP_SUPERVISOR_RESET_H

#include <stdint.h>

#define CP_RESET_DELAY_MS 1500

typedef enum { CP_RESET_NONE, CP_RESET_SOFT, CP_RESET_HARD } cp_reset_kind_t;

typedef struct _cp_reset_t cp_reset_t;

cp_reset_t *cp_reset_new(void);
void cp_reset_destroy(cp_reset_t **self_p);
//  A reset of type ("Hard", else Soft) asked at now_ms: it falls due after
//  CP_RESET_DELAY_MS. A second request replaces the first.
void cp_reset_request(cp_reset_t *self, const char *type, int64_t now_ms);
//  The reset due at now_ms (then forgotten), or CP_RESET_NONE.
cp_reset_kind_t cp_reset_due(cp_reset_t *self, int64_t now_ms);
//  When the scheduled reset falls due; INT64_MAX when none is.
int64_t cp_reset_at(const cp_reset_t *self);
#endif
