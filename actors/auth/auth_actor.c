/* auth_actor.c — the thin shell of the auth actor (see auth_actor.h):
 * it looks the tag up, lets auth_rules decide, and carries out the
 * decision (reply now, or an Authorize.req and a reply when it returns).
 * Everything durable is in the store (local_list, auth_cache), so a
 * restart rebuilds from it; Authorize calls in flight at a restart are
 * lost with the requester's own request, which times out on its side.
 */
#include "actors/auth/auth_actor.h"

#include <assert.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>
#include "actors/auth/auth_cache.h"
#include "actors/auth/auth_ops.h"
#include "actors/auth/auth_rules.h"
#include "actors/auth/id_format.h"
#include "actors/auth/local_list.h"
#include "actors/config/config_store.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"
#include "supervisor/store.h"

#define LOG "auth"
#define PENDING_MAX 16              //  idTags with an Authorize in flight
#define WAITERS_MAX 8               //  requests waiting for one of them
#define FLUSH_MS 60000              //  cache recency written at least this often
#define FLUSH_BATCH 32              //  ... or as soon as this many wait
#define DEADLINE_SLACK_MS 5000      //  past MessageTimeout: the ocpp actor is stuck
//  A card the local list or cache accepts waits at most this long for the
//  central system's Authorize answer: OCPP-J allows one CALL in flight, so
//  behind an unanswered StartTransaction an Authorize waits up to
//  MessageTimeout. The driver is let in as LocalPreAuthorize would; the
//  late answer still updates the cache (and a Blocked one stops the session
//  through StartTransaction.conf, StopTransactionOnInvalidId).
#define LOCAL_FALLBACK_MS 2000

typedef struct {
    uint64_t corr;                  //  0: free slot
    char id_tag[AUTH_ID_TAG_MAX + 1];
    cp_bus_envelope_t waiters[WAITERS_MAX];
    int count;
    int64_t local_at;               //  mono ms: answer from `local` then; 0 = not eligible
    auth_decision_t local;          //  what the list or cache says
} pending_t;

typedef struct {
    cp_shell_t *shell;
    cp_clock_t *clock;
    const cp_options_t *options;
    sqlite3 *db;
    config_store_t *config;
    local_list_t *list;
    auth_cache_t *cache;
    bool online;
    int timer;                      //  the next deadline (s_rearm); 0 = none
    //  configuration, re-read on config.changed
    bool local_pre_authorize;
    bool local_authorize_offline;
    bool allow_offline_unknown;
    bool cache_enabled;
    bool list_enabled;
    bool free_charging;
    int64_t send_max;
    int64_t list_max;
    int64_t message_timeout_ms;
    id_format_config_t format;
    pending_t pending[PENDING_MAX];
    int64_t flushed_at;
    int64_t seen_ocpp;             //  newest ocpp.state seq (cp_msg_stale)
    //  When the last ClearCache was taken off the link (received_seq): an
    //  IdTagInfo the central system sent before it — a StopTransaction.conf
    //  just ahead of it, whose event comes the long way round through the
    //  transaction actor — must not fill the cache again after the clear.
    int64_t cleared_seq;
} auth_actor_t;

static int64_t s_mono(auth_actor_t *self) { return cp_clock_mono_ms(self->clock); }
static int64_t s_wall(auth_actor_t *self) { return cp_clock_wall_ms(self->clock); }

static void
s_load_config(auth_actor_t *self)
{
    config_store_t *c = self->config;
    self->local_pre_authorize = config_store_get_bool(c, "LocalPreAuthorize", false);
    self->local_authorize_offline = config_store_get_bool(c, "LocalAuthorizeOffline", true);
    self->allow_offline_unknown = config_store_get_bool(c, "AllowOfflineTxForUnknownId", false);
    self->cache_enabled = config_store_get_bool(c, "AuthorizationCacheEnabled", true);
    self->list_enabled = config_store_get_bool(c, "LocalAuthListEnabled", true);
    self->free_charging = config_store_get_bool(c, "FreeChargingEnabled", false);
    self->send_max = config_store_get_int(c, "SendLocalListMaxLength", 500);
    self->list_max = config_store_get_int(c, "LocalAuthListMaxLength", 10000);
    self->message_timeout_ms = 1000 * config_store_get_int(c, "MessageTimeout", 30);
    char text[64] = "";
    config_store_get(c, "RfidUidByteOrder", text, sizeof(text));
    if (id_format_parse_order(text, &self->format.rfid_order) != 0) {
        cp_warn(LOG, "RfidUidByteOrder '%s' unknown: little-endian", text);
        self->format.rfid_order = ID_ORDER_LITTLE_ENDIAN;
    }
    config_store_get(c, "PinIdTagPrefix", self->format.pin_prefix, sizeof(self->format.pin_prefix));
}

//  --------------------------------------------------------------------------
//  Decisions

static void
s_decide(auth_actor_t *self, const char *id_tag, bool online, auth_decision_t *out)
{
    auth_entry_t list_entry, cache_entry;
    bool in_list = false, in_cache = false;
    int64_t now = s_wall(self);
    if (self->list_enabled)
        in_list = local_list_find(self->list, id_tag, &list_entry) == 1;
    //  3.5.3: a listed tag is never looked up in the cache.
    if (self->cache_enabled && !in_list)
        in_cache = auth_cache_find(self->cache, id_tag, now, &cache_entry) == 1;
    auth_inputs_t in = {
        .online = online,
        .local_pre_authorize = self->local_pre_authorize,
        .local_authorize_offline = self->local_authorize_offline,
        .allow_offline_unknown = self->allow_offline_unknown,
        .cache_enabled = self->cache_enabled,
        .list_enabled = self->list_enabled,
        .list = in_list ? &list_entry : NULL,
        .cache = in_cache ? &cache_entry : NULL,
        .now_ms = now,
    };
    auth_rules_decide(&in, out);
}

static void
s_reply(auth_actor_t *self, const cp_bus_envelope_t *env, const char *id_tag, auth_status_t status,
        const char *parent, auth_source_t source)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_AUTH_RESULT);
    if (!msg) {
        cp_shell_reply_status(self->shell, env, false, "out of memory");
        return;
    }
    cp_msg_set_str(msg->u.auth_result.id_tag, id_tag);
    cp_msg_set_str(msg->u.auth_result.status, auth_status_name(status));
    cp_msg_set_str(msg->u.auth_result.parent_id_tag, parent ? parent : "");
    cp_msg_set_str(msg->u.auth_result.source, auth_source_name(source));
    cp_shell_reply(self->shell, env, msg, true);
    cp_msg_destroy(&msg);
    cp_info(LOG, "%s: %s (%s)", id_tag, auth_status_name(status), auth_source_name(source));
}

static void
s_reply_offline(auth_actor_t *self, const cp_bus_envelope_t *env, const char *id_tag)
{
    auth_decision_t d;
    s_decide(self, id_tag, false, &d);
    s_reply(self, env, id_tag, d.status, d.parent_id_tag, d.source);
}

//  The cache learns an IdTagInfo from the central system, received off the
//  link at received_seq (0: unknown, learnt).
static void
s_learn(auth_actor_t *self, const auth_entry_t *entry, int64_t received_seq)
{
    if (!self->cache_enabled)
        return;
    if (received_seq && received_seq < self->cleared_seq) {
        cp_info(LOG, "%s: its IdTagInfo was sent before the last ClearCache: not cached", entry->id_tag);
        return;
    }
    auth_entry_t listed;
    if (self->list_enabled && local_list_find(self->list, entry->id_tag, &listed) == 1) {
        //  3.5.3: never cached. A different verdict is a LocalListConflict
        //  (3.5.2), for the central system to resolve with a new list.
        if (auth_entry_effective(&listed, s_wall(self)) != auth_entry_effective(entry, s_wall(self)))
            cp_warn(LOG, "%s: the central system says %s, the local list %s", entry->id_tag,
                    auth_status_name(entry->status), auth_status_name(listed.status));
        return;
    }
    auth_cache_update(self->cache, entry, s_wall(self));
}

//  --------------------------------------------------------------------------
//  Authorize in flight

static void
s_pending_clear(pending_t *p)
{
    memset(p, 0, sizeof(*p));
}

//  Answer every waiter of p by the offline rules.
static void
s_pending_offline(auth_actor_t *self, pending_t *p, const char *why)
{
    cp_info(LOG, "%s: Authorize %s: offline rules", p->id_tag, why);
    for (int i = 0; i < p->count; i++)
        s_reply_offline(self, &p->waiters[i], p->id_tag);
    s_pending_clear(p);
}

static void
s_on_authorize_result(auth_actor_t *self, pending_t *p, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    if (cp_bus_failed(env) || !msg || msg->type != CP_MSG_OCPP_RESULT) {
        s_pending_offline(self, p, env->kind == CP_BUS_TIMEOUT ? "unanswered" : "not delivered");
        return;
    }
    const cp_msg_ocpp_result_t *r = &msg->u.ocpp_result;
    if (!streq(r->outcome, "result")) {
        char why[80];
        snprintf(why, sizeof(why), "%s%s%s", r->outcome, r->error_code[0] ? " " : "", r->error_code);
        s_pending_offline(self, p, why);
        return;
    }
    json_t *conf = json_loads(r->payload ? r->payload : "", 0, NULL);
    auth_entry_t entry;
    memset(&entry, 0, sizeof(entry));
    if (auth_ops_parse_idtaginfo(json_object_get(conf, "idTagInfo"), &entry) != 0) {
        json_decref(conf);
        s_pending_offline(self, p, "answered without a usable idTagInfo");
        return;
    }
    json_decref(conf);
    snprintf(entry.id_tag, sizeof(entry.id_tag), "%s", p->id_tag);
    s_learn(self, &entry, r->received_seq);
    for (int i = 0; i < p->count; i++)
        s_reply(self, &p->waiters[i], p->id_tag, entry.status, entry.parent_id_tag, AUTH_SOURCE_CSMS);
    s_pending_clear(p);
}

static void
s_ask(auth_actor_t *self, const cp_bus_envelope_t *env, const char *id_tag)
{
    pending_t *free_slot = NULL;
    for (int i = 0; i < PENDING_MAX; i++) {
        pending_t *p = &self->pending[i];
        if (p->corr && strcasecmp(p->id_tag, id_tag) == 0) {
            if (p->count < WAITERS_MAX) {
                p->waiters[p->count++] = *env;
                return;
            }
            break;
        }
        if (!p->corr && !free_slot)
            free_slot = p;
    }
    if (!free_slot) {
        cp_warn(LOG, "%s: too many authorizations in flight: offline rules", id_tag);
        s_reply_offline(self, env, id_tag);
        return;
    }
    json_t *payload = json_pack("{s:s}", "idTag", id_tag);
    char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    json_decref(payload);
    cp_msg_t *call = cp_msg_new(CP_MSG_OCPP_CALL);
    uint64_t corr = 0;
    if (call && text) {
        cp_msg_set_str(call->u.ocpp_call.action, "Authorize");
        cp_msg_set_text(&call->u.ocpp_call.payload, text);
        //  The ocpp actor answers within MessageTimeout (its own call
        //  deadline); past that, with slack, it is stuck: offline rules.
        corr = cp_shell_request_within(self->shell, "ocpp", call, self->message_timeout_ms + DEADLINE_SLACK_MS);
    }
    cp_msg_destroy(&call);
    free(text);
    if (!corr) {
        s_reply_offline(self, env, id_tag);
        return;
    }
    free_slot->corr = corr;
    snprintf(free_slot->id_tag, sizeof(free_slot->id_tag), "%s", id_tag);
    free_slot->waiters[0] = *env;
    free_slot->count = 1;
    auth_decision_t local;
    s_decide(self, id_tag, false, &local);
    if (!local.ask && local.status == AUTH_ACCEPTED
        && (local.source == AUTH_SOURCE_LIST || local.source == AUTH_SOURCE_CACHE)) {
        free_slot->local = local;
        free_slot->local_at = s_mono(self) + LOCAL_FALLBACK_MS;
    }
}

static void
s_on_auth_request(auth_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_auth_request_t *req)
{
    const char *id_tag = req->id_tag;
    if (self->free_charging) {
        s_reply(self, env, id_tag, AUTH_ACCEPTED, "", AUTH_SOURCE_FREE);
        return;
    }
    if (id_tag[0] == '\0') {
        s_reply(self, env, id_tag, AUTH_INVALID, "", AUTH_SOURCE_OFFLINE);
        return;
    }
    auth_decision_t d;
    s_decide(self, id_tag, self->online, &d);
    if (d.ask)
        s_ask(self, env, id_tag);
    else
        s_reply(self, env, id_tag, d.status, d.parent_id_tag, d.source);
}

//  --------------------------------------------------------------------------
//  Events

static void
s_on_token(auth_actor_t *self, const cp_msg_hw_token_t *token)
{
    char id_tag[AUTH_ID_TAG_MAX + 1];
    char reason[120];
    if (id_format_token(token->source, token->token, &self->format, id_tag, sizeof(id_tag), reason,
                        sizeof(reason)) != 0) {
        cp_warn(LOG, "%s token ignored: %s", token->source, reason);
        return;
    }
    cp_msg_t *msg = cp_msg_new(CP_MSG_AUTH_TOKEN);
    if (!msg)
        return;
    cp_msg_set_str(msg->u.auth_token.id_tag, id_tag);
    cp_msg_set_str(msg->u.auth_token.source, token->source);
    if (cp_shell_publish(self->shell, "auth.token", msg) != 0)
        cp_error(LOG, "auth.token not published");
    cp_msg_destroy(&msg);
}

static void
s_on_idtaginfo(auth_actor_t *self, const cp_msg_auth_idtaginfo_t *info)
{
    auth_entry_t entry;
    memset(&entry, 0, sizeof(entry));
    snprintf(entry.id_tag, sizeof(entry.id_tag), "%s", info->id_tag);
    if (entry.id_tag[0] == '\0' || auth_status_parse(info->status, &entry.status) != 0) {
        cp_warn(LOG, "auth.idtaginfo ignored: idTag '%s' status '%s'", info->id_tag, info->status);
        return;
    }
    snprintf(entry.parent_id_tag, sizeof(entry.parent_id_tag), "%s", info->parent_id_tag);
    if (info->expiry_date[0] && cp_clock_parse(info->expiry_date, &entry.expiry_ms) != 0) {
        cp_warn(LOG, "auth.idtaginfo for %s: bad expiryDate '%s' ignored", entry.id_tag, info->expiry_date);
        return;
    }
    if (info->expiry_date[0] && entry.expiry_ms <= 0)
        entry.expiry_ms = 1;
    s_learn(self, &entry, info->received_seq);
}

static void
s_on_ocpp_state(auth_actor_t *self, const cp_msg_ocpp_state_t *st)
{
    bool online = streq(st->connection, "connected") && streq(st->registration, "Accepted");
    if (self->online && !online)
        for (int i = 0; i < PENDING_MAX; i++)
            if (self->pending[i].corr)
                s_pending_offline(self, &self->pending[i], "cut short by the lost link");
    if (online != self->online)
        cp_info(LOG, "%s", online ? "online" : "offline: local rules");
    self->online = online;
}

static void
s_on_inbound(auth_actor_t *self, const cp_bus_envelope_t *env, const cp_msg_ocpp_inbound_t *in)
{
    json_t *request = json_loads(in->payload ? in->payload : "{}", 0, NULL);
    auth_ops_ctx_t ctx = {
        .list = self->list, .cache = self->cache, .list_enabled = self->list_enabled,
        .send_max = self->send_max, .list_max = self->list_max,
    };
    json_t *response = NULL;
    if (streq(in->action, "SendLocalList"))
        response = send_local_list(&ctx, request);
    else
    if (streq(in->action, "GetLocalListVersion"))
        response = get_local_list_version(&ctx, request);
    else
    if (streq(in->action, "ClearCache")) {
        response = clear_cache(&ctx, request);
        const char *status = json_string_value(json_object_get(response, "status"));
        if (status && streq(status, "Accepted"))
            self->cleared_seq = in->received_seq ? in->received_seq : cp_msg_seq_now();
    }
    (void) cp_shell_reply_ocpp(self->shell, env, LOG, in->action, response, ctx.reason);
    json_decref(response);
    json_decref(request);
}

//  --------------------------------------------------------------------------
//  The tick and the handler

//  The actor sleeps until its next deadline: a local fallback due, or the
//  cache's recency to write (only when some waits). Idle, it never wakes.
static int s_on_deadline(cp_loop_t *loop, int timer_id, void *arg);

static void
s_rearm(auth_actor_t *self)
{
    int64_t now = s_mono(self);
    int64_t next = CP_SHELL_NEVER;
    for (int i = 0; i < PENDING_MAX; i++) {
        const pending_t *p = &self->pending[i];
        if (p->corr && p->local_at && p->count > 0 && p->local_at < next)
            next = p->local_at;
    }
    if (auth_cache_pending(self->cache) > 0 && self->flushed_at + FLUSH_MS < next)
        next = self->flushed_at + FLUSH_MS;
    cp_shell_rearm(self->shell, &self->timer, next == CP_SHELL_NEVER ? CP_SHELL_NEVER : next - now,
                   s_on_deadline, self, "local fallbacks and cache writes");
}

static int
s_on_deadline(cp_loop_t *loop, int timer_id, void *arg)
{
    auth_actor_t *self = arg;
    self->timer = 0;                //  a one-shot: already gone
    int64_t now = s_mono(self);
    for (int i = 0; i < PENDING_MAX; i++) {
        pending_t *p = &self->pending[i];
        if (p->corr && p->local_at && now >= p->local_at && p->count > 0) {
            cp_info(LOG, "%s: Authorize not answered in %d ms: the %s decides meanwhile", p->id_tag,
                    LOCAL_FALLBACK_MS, auth_source_name(p->local.source));
            for (int w = 0; w < p->count; w++)
                s_reply(self, &p->waiters[w], p->id_tag, p->local.status, p->local.parent_id_tag, p->local.source);
            p->count = 0;           //  answered: the late result only teaches the cache
        }
    }
    if (auth_cache_pending(self->cache) > 0 && now - self->flushed_at >= FLUSH_MS) {
        auth_cache_flush(self->cache, s_wall(self));
        self->flushed_at = now;
    }
    s_rearm(self);
    return 0;
}

//  After every message: a full batch of recency is written at once, and
//  the next deadline may have moved.
static void
s_after_message(auth_actor_t *self)
{
    if (auth_cache_pending(self->cache) >= FLUSH_BATCH) {
        auth_cache_flush(self->cache, s_wall(self));
        self->flushed_at = s_mono(self);
    }
    s_rearm(self);
}

static void s_handle(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, void *ctx);

static void
s_handler(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, void *ctx)
{
    s_handle(shell, env, msg, ctx);
    s_after_message(ctx);
}

static void
s_handle(cp_shell_t *shell, const cp_bus_envelope_t *env, const cp_msg_t *msg, void *ctx)
{
    auth_actor_t *self = ctx;
    if (env->kind == CP_BUS_EVENT || env->kind == CP_BUS_PARTIAL) {
        if (!msg)
            return;
        switch (msg->type) {
            case CP_MSG_HW_TOKEN:       s_on_token(self, &msg->u.hw_token); break;
            case CP_MSG_OCPP_STATE:
                if (!cp_msg_stale(msg->u.ocpp_state.seq, &self->seen_ocpp))
                    s_on_ocpp_state(self, &msg->u.ocpp_state);
                break;
            case CP_MSG_AUTH_IDTAGINFO: s_on_idtaginfo(self, &msg->u.auth_idtaginfo); break;
            case CP_MSG_CONFIG_CHANGED: s_load_config(self); break;
            default: break;
        }
        return;
    }
    if (cp_bus_is_outcome(env)) {
        for (int i = 0; i < PENDING_MAX; i++)
            if (self->pending[i].corr && self->pending[i].corr == env->corr) {
                s_on_authorize_result(self, &self->pending[i], env, msg);
                return;
            }
        return;     //  a late answer to a call already settled offline
    }
    if (env->kind != CP_BUS_REQUEST || !msg)
        return;
    switch (msg->type) {
        case CP_MSG_AUTH_REQUEST:
            s_on_auth_request(self, env, &msg->u.auth_request);
            break;
        case CP_MSG_OCPP_INBOUND:
            s_on_inbound(self, env, &msg->u.ocpp_inbound);
            break;
        case CP_MSG_SNAPSHOT_REQUEST:
            cp_shell_reply_status(shell, env, true, "");
            break;
        default:
            cp_shell_reply_status(shell, env, false, "auth: unsupported request");
            break;
    }
}

void
auth_actor(zsock_t *pipe, void *args)
{
    cp_actor_args_t *actor_args = args;
    assert(actor_args && actor_args->options);
    auth_actor_t self_;
    auth_actor_t *self = &self_;
    memset(self, 0, sizeof(*self));
    self->options = actor_args->options;
    self->clock = actor_args->clock;
    char err[256] = "";
    self->shell = cp_shell_new(pipe, actor_args);
    self->db = cp_store_open(self->options->state_dir, err, sizeof(err));
    if (self->db) {
        self->config = config_store_open_reader(self->options, err, sizeof(err));
        self->list = local_list_new(self->db);
        self->cache = auth_cache_new(self->db, AUTH_CACHE_CAPACITY);
    }
    if (!self->shell || !self->db || !self->config || !self->list || !self->cache) {
        //  Returning is a death the supervisor restarts (and escalates).
        cp_error(LOG, "cannot start: %s", err[0] ? err : "store not available");
        goto done;
    }
    s_load_config(self);
    cp_info(LOG, "local list version %lld, %lld cached idTags", (long long) local_list_version(self->list),
            (long long) auth_cache_count(self->cache));
    cp_shell_set_handler(self->shell, s_handler, self);
    cp_bus_t *bus = cp_shell_bus(self->shell);
    cp_bus_subscribe(bus, "hw.token");
    cp_bus_subscribe(bus, "ocpp.state");
    cp_bus_subscribe(bus, "auth.idtaginfo");
    cp_bus_subscribe(bus, "config.changed");
    self->flushed_at = s_mono(self);
    s_rearm(self);
    cp_shell_snapshot(self->shell, "ocpp", "auth");     //  the link state
    cp_shell_run(self->shell);
    auth_cache_flush(self->cache, s_wall(self));
done:
    auth_cache_destroy(&self->cache);
    local_list_destroy(&self->list);
    config_store_destroy(&self->config);
    cp_store_close(&self->db);
    cp_shell_destroy(&self->shell);
}
