/* profile_migration.h — whitepaper A05: a higher SecurityProfile is tried
 * on a new connection and kept only if it works; otherwise the charger goes
 * back to the profile (and so the connection settings) it had.
 *
 * Why it exists: a central system that is not ready for the new profile
 * (no TLS port, no client certificate check, another password) would
 * otherwise cut the charger off for good — it can never be told to go back,
 * since over OCPP the profile only goes up (A05.FR.01, remark 8).
 *
 * The pure decision core (no clock, no store, no socket: the ocpp actor
 * feeds it and carries out its effects):
 *   committed  the highest profile a connection was accepted with (the
 *              profile the charger falls back to); durable.
 *   target     the higher profile on trial (0 = none); durable, so a
 *              restart in the middle of a trial tries again with a fresh
 *              bound and still ends on a profile that works.
 * A trial succeeds when a link built with the target profile is connected
 * and the registration is Accepted (BootNotification). It fails at once
 * when such a link is refused for a reason of the profile (TLS, HTTP 401 /
 * 403, anything but "no route to the central system"), and in any case
 * when no success came within the bound. Failing means: ask (locally) for
 * SecurityProfile = committed, again every retry period until the
 * configuration says so. SecurityProfile never goes down otherwise; an
 * operator who lowers it on site (cpctl, allowed by A05's remark) moves
 * committed down with it.
 */
#ifndef CP_ACTORS_OCPP_PROFILE_MIGRATION_H
#define CP_ACTORS_OCPP_PROFILE_MIGRATION_H

#include <stdbool.h>
#include <stdint.h>

//  How often a fallback the configuration has not yet taken is asked again.
#define PROFILE_MIGRATION_RETRY_MS 5000

typedef enum { PM_IDLE, PM_TRYING, PM_FALLING_BACK } pm_phase_t;

//  Effects, as bits.
#define PM_FX_PERSIST  1          //  store committed and target
#define PM_FX_FALLBACK 2          //  set SecurityProfile = committed (locally)
#define PM_FX_COMMIT   4          //  the target works: log it (persist is set too)

typedef struct {
    int committed;
    int target;                    //  0 = no trial
    pm_phase_t phase;
    int64_t deadline;              //  mono ms: the trial's bound, or the next fallback request
    int64_t bound_ms;              //  how long a trial may take
} profile_migration_t;

//  At start. stored_committed < 0: nothing stored yet (the configured
//  profile is taken as working). stored_target: the trial under way when
//  the process stopped (0 = none). configured: SecurityProfile now.
int pm_start(profile_migration_t *pm, int stored_committed, int stored_target, int configured, int64_t now,
             int64_t bound_ms);

//  SecurityProfile has a new value.
int pm_configured(profile_migration_t *pm, int configured, int64_t now);

//  A link built with `profile` is connected and registered (Accepted).
int pm_accepted(profile_migration_t *pm, int profile);

//  A link built with `profile` failed to connect or dropped before it was
//  accepted; network_only: nothing but reachability (refused, unreachable,
//  DNS) — the profile may still be fine, the bound decides.
int pm_link_failed(profile_migration_t *pm, int profile, bool network_only, int64_t now);

//  Time passes.
int pm_tick(profile_migration_t *pm, int64_t now);

//  True when a link failure reason is only about reaching the central
//  system (wsclient's "connection refused or unreachable", a DNS failure),
//  not about the security profile.
bool pm_reason_is_network(const char *reason);

const char *pm_phase_name(pm_phase_t phase);
#endif
