/* policy.h — what the supervisor does when an actor dies or hangs.
 *
 * Why it exists: a charger must survive its own faults without stopping
 * the cars that are charging, yet never loop silently on a fault that a
 * restart does not cure. One global "N restarts in T seconds" window did
 * neither: six unrelated faults a few seconds apart stopped every session,
 * while one actor in a crash loop was restarted as often as the window
 * allowed. The rules live here, apart from the sockets and threads that
 * carry them out (supervisor.c), so that they are read in one place and
 * unit-tested on a virtual clock (test/unit/test_policy.c).
 *
 * THE RULES, for a fault (death or hang) of actor A at now:
 *
 *  1. Global backstop. When global_intensity restarts (of any actors) fell
 *     within the last period, escalate: faults that hit everything (a full
 *     disk, memory exhausted, a corrupted heap) are cured by a whole-process
 *     restart from the durable store, not by restarting actors one by one.
 *  2. Per-actor limit. When A itself was restarted intensity times within
 *     the last period, it is in a crash loop: a critical actor escalates
 *     (the controller exits 1 and systemd restarts it from the store); a
 *     non-critical one (the HMI) is left down — degraded — and retried
 *     after cooldown, so a broken display never stops charging.
 *  3. Otherwise A is restarted: at once when it had no restart within the
 *     period (the goal is < 50 ms from death to serving again), else after
 *     a back-off of backoff_min_ms doubling with each recent restart, capped
 *     at backoff_max_ms, so a crash loop does not burn the CPU the healthy
 *     actors need while it climbs to its limit.
 *
 * A restart counts in both windows from the moment it is decided (a
 * delayed restart too: the fault happened). Counting is exact: each window
 * keeps the times of its last `intensity` restarts, which is all the rules
 * ever need (a count that reaches the limit ends in escalation or
 * degradation), so no limit can be larger than what is stored.
 *
 * Pure: no sockets, no clock reads. Actors are numbered 0..actors-1 by the
 * caller; times are monotonic milliseconds passed in.
 */
#ifndef CP_SUPERVISOR_POLICY_H
#define CP_SUPERVISOR_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The largest limits the policy accepts (the options' bounds).
#define CP_POLICY_INTENSITY_MAX        1000
#define CP_POLICY_GLOBAL_INTENSITY_MAX 10000
#define CP_POLICY_PERIOD_MAX_MS        (86400 * 1000)

typedef struct {
    int intensity;                 //  per actor: restarts allowed in period_ms, 1..CP_POLICY_INTENSITY_MAX
    int global_intensity;          //  all actors together, intensity..CP_POLICY_GLOBAL_INTENSITY_MAX
    int64_t period_ms;             //  the window, 1..CP_POLICY_PERIOD_MAX_MS
    int64_t backoff_min_ms;        //  the second restart within the window waits this long, >= 0
    int64_t backoff_max_ms;        //  ... doubling up to this, >= backoff_min_ms
    int64_t cooldown_ms;           //  a degraded actor is retried this long after, > 0
} cp_policy_config_t;

typedef enum {
    CP_POLICY_RESTART,             //  restart at `at_ms` (now, or after the back-off)
    CP_POLICY_DEGRADE,             //  leave it down; retry at `at_ms` (cp_policy_retry)
    CP_POLICY_ESCALATE             //  exit 1: a restart cannot cure this
} cp_policy_action_t;

typedef struct {
    cp_policy_action_t action;
    int64_t at_ms;                 //  RESTART / DEGRADE: when to start it again
    int recent;                    //  its restarts within the window before this fault
    int global_recent;             //  all restarts within the window before this fault
    const char *why;               //  one phrase for the log ("crash loop", ...)
} cp_policy_decision_t;

typedef struct _cp_policy_t cp_policy_t;

//  The defaults beside the two limits the options set: back-off 100 ms
//  doubling to 5 s, cool-down one period.
void cp_policy_config_defaults(cp_policy_config_t *config, int intensity, int global_intensity,
                               int64_t period_ms);
//  False, with a one-line reason, when the config breaks the bounds above.
bool cp_policy_config_valid(const cp_policy_config_t *config, char *reason, size_t reason_size);

//  Every actor starts critical (the safe default: an unknown part that
//  crash-loops escalates).
cp_policy_t *cp_policy_new(const cp_policy_config_t *config, int actors);
void cp_policy_destroy(cp_policy_t **self_p);
void cp_policy_set_critical(cp_policy_t *self, int actor, bool critical);
bool cp_policy_critical(const cp_policy_t *self, int actor);

//  Actor `actor` died or hung at now_ms: what to do. A RESTART is counted
//  in both windows at once.
cp_policy_decision_t cp_policy_fault(cp_policy_t *self, int actor, int64_t now_ms);
//  A degraded actor's cool-down is over and it is started again at now_ms:
//  counted as a restart (it is one), with its old window forgotten so that
//  it gets its full intensity again.
void cp_policy_retry(cp_policy_t *self, int actor, int64_t now_ms);
//  Restarts of `actor` within the window at now_ms (for status and logs).
int cp_policy_recent(const cp_policy_t *self, int actor, int64_t now_ms);
const char *cp_policy_action_name(cp_policy_action_t action);
#endif
