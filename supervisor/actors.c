/* actors.c — the actor table (see actors.h). Order matters at start:
 * safety first (no contactor closes without it), then config (others read
 * its store), hw before the actors that react to hardware, ocpp last so
 * that everything it dispatches to is up.
 *
 * Criticality — which actors a charger cannot run on without. Critical
 * means "a crash loop restarts the whole controller": that costs every
 * open session a PowerLoss stop, so it is only for actors without which
 * charging is unsafe, unbilled or invisible to the operator. Only the HMI
 * is not: a driver can still start (RFID, remote start, free charging)
 * and the central system still sees everything while the display is dark.
 */
#include "supervisor/actors.h"

#include "actors/auth/auth_actor.h"
#include "actors/config/config_actor.h"
#include "actors/firmware/firmware_actor.h"
#include "actors/hmi/hmi_actor.h"
#include "actors/hw/hw_actor.h"
#include "actors/metering/metering_actor.h"
#include "actors/ocpp/ocpp_actor.h"
#include "actors/smartcharging/smartcharging_actor.h"
#include "actors/safety/safety_actor.h"
#include "actors/security/security_actor.h"
#include "actors/transaction/transaction_actor.h"

const cp_actor_def_t cp_actor_defs[] = {
    //  First: up (feeding the hw watchdog and approving safe connectors)
    //  before anything could ask for a contactor to close. Without it the
    //  watchdog keeps every contactor open: no charging at all.
    { "safety", safety_actor, true },
    //  Owns the settings everyone reads and every change (a local current
    //  limit that protects the installation goes through it).
    { "config", config_actor, true },
    //  Without it no idTag is ever accepted or stopped by its card: a
    //  charger that silently refuses every driver must restart.
    { "auth", auth_actor, true },
    //  The only way to the contactor, pilot and meter.
    { "hw", hw_actor, true },
    //  Billing: sessions, the outbox of transaction messages.
    { "transaction", transaction_actor, true },
    //  Applies the limits that protect the grid connection (LocalCurrentLimit,
    //  the CSMS's profiles): left down, the board would keep the last offer.
    { "smartcharging", smartcharging_actor, true },
    //  Meter values with transaction data are billing data.
    { "metering", metering_actor, true },
    //  LEDs, display and keypad: charging goes on while they are dark.
    { "hmi", hmi_actor, false },
    //  Firmware updates and diagnostics: charging goes on without them; a
    //  crash loop leaves the job durable for the next start instead of
    //  costing every session a PowerLoss stop.
    { "firmware", firmware_actor, false },
    //  The certificate store and the security log: charging goes on
    //  without them, and everything they hold is durable for the restart.
    { "security", security_actor, false },
    //  The link to the central system: without it nothing reaches the
    //  operator and the outbox grows.
    { "ocpp", ocpp_actor, true },
};
const int cp_actor_def_count = (int) (sizeof(cp_actor_defs) / sizeof(cp_actor_defs[0]));
