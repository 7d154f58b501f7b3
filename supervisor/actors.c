/* actors.c — the actor table (see actors.h). Order matters at start:
 * safety first (no contactor closes without it), then config (others read
 * its store), hw before the actors that react to hardware, ocpp last so
 * that everything it dispatches to is up. */
#include "supervisor/actors.h"

#include "actors/auth/auth_actor.h"
#include "actors/config/config_actor.h"
#include "actors/hmi/hmi_actor.h"
#include "actors/hw/hw_actor.h"
#include "actors/metering/metering_actor.h"
#include "actors/ocpp/ocpp_actor.h"
#include "actors/smartcharging/smartcharging_actor.h"
#include "actors/safety/safety_actor.h"
#include "actors/transaction/transaction_actor.h"

const cp_actor_def_t cp_actor_defs[] = {
    //  First: up (feeding the hw watchdog and approving safe connectors)
    //  before anything could ask for a contactor to close.
    { "safety", safety_actor },
    { "config", config_actor },
    { "auth", auth_actor },
    { "hw", hw_actor },
    { "transaction", transaction_actor },
    { "smartcharging", smartcharging_actor },
    { "metering", metering_actor },
    { "hmi", hmi_actor },
    { "ocpp", ocpp_actor },
};
const int cp_actor_def_count = (int) (sizeof(cp_actor_defs) / sizeof(cp_actor_defs[0]));
