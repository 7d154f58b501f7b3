/* auth_rules.c — the decision table of auth_rules.h. */
#include "actors/auth/auth_rules.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static const char *const s_status_names[] = {
    "Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"
};

const char *
auth_status_name(auth_status_t status)
{
    if ((size_t) status < sizeof(s_status_names) / sizeof(s_status_names[0]))
        return s_status_names[status];
    return "Invalid";
}

int
auth_status_parse(const char *text, auth_status_t *status)
{
    assert(status);
    for (size_t i = 0; text && i < sizeof(s_status_names) / sizeof(s_status_names[0]); i++)
        if (strcmp(text, s_status_names[i]) == 0) {
            *status = (auth_status_t) i;
            return 0;
        }
    return -1;
}

const char *
auth_source_name(auth_source_t source)
{
    switch (source) {
        case AUTH_SOURCE_CSMS:    return "csms";
        case AUTH_SOURCE_LIST:    return "list";
        case AUTH_SOURCE_CACHE:   return "cache";
        case AUTH_SOURCE_OFFLINE: return "offline";
        case AUTH_SOURCE_FREE:    return "free";
    }
    return "offline";
}

bool
auth_status_valid(auth_status_t status)
{
    return status == AUTH_ACCEPTED || status == AUTH_CONCURRENT_TX;
}

auth_status_t
auth_entry_effective(const auth_entry_t *entry, int64_t now_ms)
{
    assert(entry);
    if (!auth_status_valid(entry->status))
        return entry->status;
    if (entry->expiry_ms > 0 && entry->expiry_ms <= now_ms)
        return AUTH_EXPIRED;
    return AUTH_ACCEPTED;
}

static void
s_answer(auth_decision_t *out, auth_status_t status, const auth_entry_t *entry, auth_source_t source)
{
    out->ask = false;
    out->status = status;
    out->source = source;
    snprintf(out->parent_id_tag, sizeof(out->parent_id_tag), "%s", entry ? entry->parent_id_tag : "");
}

void
auth_rules_decide(const auth_inputs_t *in, auth_decision_t *out)
{
    assert(in && out);
    memset(out, 0, sizeof(*out));
    const auth_entry_t *entry = NULL;
    auth_source_t source = AUTH_SOURCE_OFFLINE;
    if (in->list_enabled && in->list) {
        entry = in->list;
        source = AUTH_SOURCE_LIST;
    }
    else
    if (in->cache_enabled && in->cache) {
        entry = in->cache;
        source = AUTH_SOURCE_CACHE;
    }
    auth_status_t effective = entry ? auth_entry_effective(entry, in->now_ms) : AUTH_INVALID;

    if (in->online) {
        if (entry && effective == AUTH_ACCEPTED && in->local_pre_authorize)
            s_answer(out, AUTH_ACCEPTED, entry, source);
        else
            out->ask = true;
        return;
    }
    if (entry && effective != AUTH_ACCEPTED) {
        s_answer(out, effective, entry, source);
        return;
    }
    if (entry && in->local_authorize_offline) {
        s_answer(out, AUTH_ACCEPTED, entry, source);
        return;
    }
    s_answer(out, in->allow_offline_unknown ? AUTH_ACCEPTED : AUTH_INVALID, NULL, AUTH_SOURCE_OFFLINE);
}
