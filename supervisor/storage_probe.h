/* storage_probe.h — is the storage stalled, or is the actor hung?
 *
 * Why it exists: an actor blocked in a write that the filesystem holds back
 * (fsfreeze during a backup, a flash controller doing garbage collection,
 * an NFS server gone) stops answering liveness exactly like a deadlocked
 * one. Restarting it cures nothing — the next incarnation blocks on the
 * same storage — and in one process a thread stuck in fsync cannot be
 * reclaimed, so the supervisor would escalate and stop every car for a
 * storage pause. So before it calls an actor hung, the supervisor asks the
 * storage: a probe writes and fsyncs a small file in the state directory
 * from a thread of its own. A probe that does not finish within
 * CP_STORAGE_STALL_MS means the storage is stalled: the silent actors are
 * waiting on it, not hung, and their verdict waits (bounded by the caller).
 *
 * Probes run only on suspicion (an actor overdue), never periodically:
 * no idle wake-ups and no flash wear on a healthy charger. A probe thread
 * that never comes back (the storage never thaws) is left behind; it owns
 * its own state, so nothing it touches is ever freed under it.
 */
#ifndef CP_SUPERVISOR_STORAGE_PROBE_H
#define CP_SUPERVISOR_STORAGE_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#define CP_STORAGE_STALL_MS 500

typedef struct _cp_storage_probe_t cp_storage_probe_t;

cp_storage_probe_t *cp_storage_probe_new(const char *state_dir);
void cp_storage_probe_destroy(cp_storage_probe_t **self_p);

typedef enum {
    CP_STORAGE_UNKNOWN,            //  no probe since `since_ms`: one was started, ask again later
    CP_STORAGE_OK,                 //  a probe started at or after since_ms finished
    CP_STORAGE_STALLED             //  a probe has been blocked for CP_STORAGE_STALL_MS or more
} cp_storage_verdict_t;

//  What the storage did since since_ms (monotonic ms, e.g. when an actor
//  became overdue), at now_ms; starts a probe when none is in flight and
//  none has finished since since_ms. *stalled_ms: how long the probe in
//  flight has been blocked.
cp_storage_verdict_t cp_storage_probe_check(cp_storage_probe_t *self, int64_t since_ms, int64_t now_ms,
                                            int64_t *stalled_ms);
#endif
