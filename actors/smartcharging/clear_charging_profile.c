/* clear_charging_profile.c — ClearChargingProfile (5.5, errata 3.25/3.26):
 * id alone, or the logical AND of connectorId / purpose / stackLevel, or
 * everything. Accepted when something was cleared, Unknown otherwise (and
 * Unknown, logged, if the store failed: nothing was cleared). */
#include "actors/smartcharging/sc_ops.h"

#include <stdio.h>

json_t *
clear_charging_profile(sc_ops_ctx_t *ctx, const json_t *request)
{
    ctx->reason[0] = '\0';
    ctx->error_code[0] = '\0';
    sc_clear_filter_t f = {0};
    json_t *v;
    if ((v = json_object_get(request, "id")) && json_is_integer(v)) {
        f.has_id = true;
        f.id = (int) json_integer_value(v);
    }
    if ((v = json_object_get(request, "connectorId")) && json_is_integer(v)) {
        f.has_connector = true;
        f.connector = (int) json_integer_value(v);
    }
    if ((v = json_object_get(request, "stackLevel")) && json_is_integer(v)) {
        f.has_stack_level = true;
        f.stack_level = (int) json_integer_value(v);
    }
    if ((v = json_object_get(request, "chargingProfilePurpose"))
        && sc_purpose_parse(json_string_value(v), &f.purpose) == 0)
        f.has_purpose = true;
    int n = sc_store_clear(ctx->store, &f);
    if (n > 0)
        ctx->changed = true;
    snprintf(ctx->reason, sizeof(ctx->reason), n < 0 ? "store failure" : "%d profile(s) cleared", n);
    return json_pack("{s:s}", "status", n > 0 ? "Accepted" : "Unknown");
}
