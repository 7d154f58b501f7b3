/* profile_migration.c — see profile_migration.h. */
#define _GNU_SOURCE             //  strcasestr
#include "actors/ocpp/profile_migration.h"

#include <assert.h>
#include <string.h>

//  The configuration says `configured`: start, keep or end a trial.
static int
s_follow(profile_migration_t *pm, int configured, int64_t now)
{
    if (configured <= pm->committed) {
        //  Back where it works: a fallback taken, or the operator lowered
        //  it on site (committed follows: it is what the charger runs).
        int fx = (pm->target != 0 || configured != pm->committed) ? PM_FX_PERSIST : 0;
        pm->committed = configured;
        pm->target = 0;
        pm->phase = PM_IDLE;
        pm->deadline = 0;
        return fx;
    }
    if (pm->phase == PM_FALLING_BACK && configured == pm->target)
        return 0;                   //  the fallback asked for is not in yet
    if (pm->phase == PM_TRYING && configured == pm->target)
        return 0;
    pm->target = configured;
    pm->phase = PM_TRYING;
    pm->deadline = now + pm->bound_ms;
    return PM_FX_PERSIST;
}

int
pm_start(profile_migration_t *pm, int stored_committed, int stored_target, int configured, int64_t now,
         int64_t bound_ms)
{
    assert(pm);
    memset(pm, 0, sizeof(*pm));
    pm->bound_ms = bound_ms > 0 ? bound_ms : 60000;
    if (stored_committed < 0) {
        pm->committed = configured;
        return PM_FX_PERSIST;
    }
    pm->committed = stored_committed;
    pm->target = stored_target;
    if (stored_target > stored_committed)
        pm->phase = PM_TRYING;
    int fx = s_follow(pm, configured, now);
    //  A trial cut short by a restart starts again with a fresh bound
    if (pm->phase == PM_TRYING)
        pm->deadline = now + pm->bound_ms;
    return fx;
}

int
pm_configured(profile_migration_t *pm, int configured, int64_t now)
{
    assert(pm);
    return s_follow(pm, configured, now);
}

int
pm_accepted(profile_migration_t *pm, int profile)
{
    assert(pm);
    if (pm->phase != PM_TRYING || profile != pm->target)
        return 0;
    pm->committed = pm->target;
    pm->target = 0;
    pm->phase = PM_IDLE;
    pm->deadline = 0;
    return PM_FX_PERSIST | PM_FX_COMMIT;
}

static int
s_fall_back(profile_migration_t *pm, int64_t now)
{
    pm->phase = PM_FALLING_BACK;
    pm->deadline = now + PROFILE_MIGRATION_RETRY_MS;
    return PM_FX_FALLBACK;
}

int
pm_link_failed(profile_migration_t *pm, int profile, bool network_only, int64_t now)
{
    assert(pm);
    if (pm->phase != PM_TRYING || profile != pm->target || network_only)
        return 0;
    return s_fall_back(pm, now);
}

int
pm_tick(profile_migration_t *pm, int64_t now)
{
    assert(pm);
    if (pm->phase == PM_IDLE || now < pm->deadline)
        return 0;
    return s_fall_back(pm, now);
}

bool
pm_reason_is_network(const char *reason)
{
    if (!reason)
        return false;
    return strcasestr(reason, "refused or unreachable") || strcasestr(reason, "connect failed")
        || strcasestr(reason, "getaddrinfo") || strcasestr(reason, "resolve");
}

const char *
pm_phase_name(pm_phase_t phase)
{
    switch (phase) {
        case PM_IDLE:         return "idle";
        case PM_TRYING:       return "trying";
        case PM_FALLING_BACK: return "falling back";
    }
    return "idle";
}
