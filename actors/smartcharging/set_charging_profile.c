/* set_charging_profile.c — SetChargingProfile (5.16): parse, validate
 * (profile.c), store with the replacement rules (profile_store.c).
 * Accepted only once the profile is durable; Rejected with nothing stored
 * otherwise; an unknown connectorId is a CALLERROR PropertyConstraintViolation
 * (errata 3.39). */
#include "actors/smartcharging/sc_ops.h"

#include <stdio.h>
#include <string.h>

json_t *
set_charging_profile(sc_ops_ctx_t *ctx, const json_t *request)
{
    ctx->reason[0] = '\0';
    ctx->error_code[0] = '\0';
    json_t *connector = json_object_get(request, "connectorId");
    if (!json_is_integer(connector) || json_integer_value(connector) < 0
        || json_integer_value(connector) > ctx->rules.connectors) {
        snprintf(ctx->error_code, sizeof(ctx->error_code), "PropertyConstraintViolation");
        snprintf(ctx->reason, sizeof(ctx->reason), "connectorId is not a connector of this charger");
        return NULL;
    }
    int c = (int) json_integer_value(connector);
    sc_profile_t profile;
    if (sc_profile_from_json(json_object_get(request, "csChargingProfiles"), c, &profile, ctx->reason,
                             sizeof(ctx->reason)) != 0)
        return json_pack("{s:s}", "status", "Rejected");
    sc_verdict_t verdict = sc_profile_validate(&profile, &ctx->rules, c > 0 ? &ctx->tx[c] : NULL,
                                               ctx->now_ms, ctx->reason, sizeof(ctx->reason));
    if (verdict == SC_PROFILE_BAD_CONNECTOR) {
        snprintf(ctx->error_code, sizeof(ctx->error_code), "PropertyConstraintViolation");
        return NULL;
    }
    if (verdict != SC_PROFILE_OK)
        return json_pack("{s:s}", "status", "Rejected");
    int replaced = 0;
    int rc = sc_store_install(ctx->store, &profile, c > 0 ? ctx->tx_local[c] : 0, ctx->max_installed,
                              &replaced);
    if (rc == SC_STORE_FULL) {
        snprintf(ctx->reason, sizeof(ctx->reason), "MaxChargingProfilesInstalled (%d) reached",
                 ctx->max_installed);
        return json_pack("{s:s}", "status", "Rejected");
    }
    if (rc != SC_STORE_OK) {
        snprintf(ctx->reason, sizeof(ctx->reason), "store failure");
        return json_pack("{s:s}", "status", "Rejected");
    }
    ctx->changed = true;
    snprintf(ctx->reason, sizeof(ctx->reason), "profile %d (%s, level %d) on connector %d%s",
             profile.id, sc_purpose_name(profile.purpose), profile.stack_level, c,
             replaced ? ", replacing" : "");
    return json_pack("{s:s}", "status", "Accepted");
}
