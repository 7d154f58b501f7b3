/* smartcharging_actor.h — the Smart Charging feature profile.
 *
 * Owns the charging profiles (profile_store: table sc_profiles) and answers
 * SetChargingProfile, ClearChargingProfile and GetCompositeSchedule (one
 * file each, sc_ops.h). Follows the transactions ("tx.connector.<n>",
 * snapshot of "transaction" at start, stale states dropped by seq) so that
 * TxProfiles apply while their transaction runs and disappear with it.
 *
 * After every change and at every schedule boundary — one loop timer
 * armed at the next change the composite predicts, never a polling loop —
 * it computes the current limit of each connector in A and
 *   - publishes "sc.limit.<n>" (sc_limit: limit_a, next_change_ms, source
 *     "ocpp" when a profile set it, "default" otherwise);
 *   - asks "hw" to offer it on the pilot (hw_command "offer", value A),
 *     re-sent until the hw actor acknowledged it.
 * The ChargePointMaxProfile is the charger total: it is shared among the
 * connectors with a running transaction (max-min fair, sc_share), so the
 * offers together never exceed it; an idle connector offers its own limit
 * capped by the total.
 *
 * Defaults (no profile applies): SC_ACTOR_DEFAULT_LIMIT_A per connector,
 * the rated current of the (simulated) charger; A <-> W with
 * SC_DEFAULT_VOLTAGE_V and SC_ACTOR_PHASES.
 */
#ifndef CP_ACTORS_SMARTCHARGING_ACTOR_H
#define CP_ACTORS_SMARTCHARGING_ACTOR_H

#include <czmq.h>

#define SC_ACTOR_DEFAULT_LIMIT_A  32.0
#define SC_ACTOR_PHASES           3
#define SC_ACTOR_RETRY_MS         1000          //  offer retry
#define SC_ACTOR_HORIZON_S        (8 * 86400)   //  look-ahead for the next change
//  Longest the timer sleeps even when nothing is scheduled: a guard against
//  the wall clock being set (clock.offset, applied by the shell), not a poll.
#define SC_ACTOR_MAX_SLEEP_MS     (3600 * 1000)

void smartcharging_actor(zsock_t *pipe, void *args);

#endif
