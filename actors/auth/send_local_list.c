/* send_local_list.c — SendLocalList (OCPP 1.6 5.15, 6.41): parse the
 * request into a local_list_update_t and apply it (rules in local_list.h). */
#include "actors/auth/auth_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "supervisor/clock.h"

int
auth_ops_parse_idtaginfo(const json_t *info, auth_entry_t *entry)
{
    if (!json_is_object(info))
        return -1;
    if (auth_status_parse(json_string_value(json_object_get(info, "status")), &entry->status) != 0)
        return -1;
    entry->parent_id_tag[0] = '\0';
    entry->expiry_ms = 0;
    const json_t *parent = json_object_get(info, "parentIdTag");
    if (parent) {
        const char *p = json_string_value(parent);
        if (!p || strlen(p) > AUTH_ID_TAG_MAX)
            return -1;
        snprintf(entry->parent_id_tag, sizeof(entry->parent_id_tag), "%s", p);
    }
    const json_t *expiry = json_object_get(info, "expiryDate");
    if (expiry) {
        const char *e = json_string_value(expiry);
        if (!e || cp_clock_parse(e, &entry->expiry_ms) != 0)
            return -1;
        if (entry->expiry_ms <= 0)
            entry->expiry_ms = 1;   //  1970: expired, never "no expiry"
    }
    return 0;
}

static json_t *
s_status(auth_ops_ctx_t *ctx, local_list_status_t status, const char *reason)
{
    snprintf(ctx->reason, sizeof(ctx->reason), "%s", reason);
    return json_pack("{s:s}", "status", local_list_status_name(status));
}

json_t *
send_local_list(auth_ops_ctx_t *ctx, const json_t *request)
{
    ctx->reason[0] = '\0';
    if (!ctx->list_enabled)
        return s_status(ctx, LOCAL_LIST_NOT_SUPPORTED, "LocalAuthListEnabled is false");
    const json_t *version = json_object_get(request, "listVersion");
    const char *type = json_string_value(json_object_get(request, "updateType"));
    if (!json_is_integer(version) || !type || (strcmp(type, "Full") != 0 && strcmp(type, "Differential") != 0))
        return s_status(ctx, LOCAL_LIST_FAILED, "malformed request");
    const json_t *list = json_object_get(request, "localAuthorizationList");
    if (list && !json_is_array(list))
        return s_status(ctx, LOCAL_LIST_FAILED, "localAuthorizationList is not an array");
    size_t count = list ? json_array_size(list) : 0;
    //  Refuse an oversized list before allocating for it.
    if ((int64_t) count > ctx->send_max) {
        char why[120];
        snprintf(why, sizeof(why), "%zu entries, SendLocalListMaxLength is %lld", count, (long long) ctx->send_max);
        return s_status(ctx, LOCAL_LIST_FAILED, why);
    }
    local_list_item_t *items = count ? calloc(count, sizeof(local_list_item_t)) : NULL;
    if (count && !items)
        return s_status(ctx, LOCAL_LIST_FAILED, "out of memory");
    for (size_t i = 0; i < count; i++) {
        const json_t *data = json_array_get(list, i);
        const char *tag = json_string_value(json_object_get(data, "idTag"));
        const json_t *info = json_object_get(data, "idTagInfo");
        char why[80];
        snprintf(why, sizeof(why), "entry %zu: malformed idTag or idTagInfo", i);
        if (!tag || strlen(tag) < 1 || strlen(tag) > AUTH_ID_TAG_MAX
         || (info && auth_ops_parse_idtaginfo(info, &items[i].entry) != 0)) {
            free(items);
            return s_status(ctx, LOCAL_LIST_FAILED, why);
        }
        snprintf(items[i].entry.id_tag, sizeof(items[i].entry.id_tag), "%s", tag);
        items[i].has_info = info != NULL;
    }
    local_list_update_t update = {
        .version = (int64_t) json_integer_value(version), .full = strcmp(type, "Full") == 0,
        .items = items, .count = count,
    };
    local_list_status_t status = local_list_apply(ctx->list, &update, ctx->send_max, ctx->list_max,
                                                  ctx->reason, sizeof(ctx->reason));
    free(items);
    return json_pack("{s:s}", "status", local_list_status_name(status));
}
