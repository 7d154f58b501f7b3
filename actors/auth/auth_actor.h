/* auth_actor.h — the actor that decides who may charge: Local
 * Authorization List, Authorization Cache, the online/offline rules of
 * OCPP 1.6 3.5, RFID/PIN formatting and free charging.
 *
 * Modules: auth_rules (the pure decision table), local_list and auth_cache
 * (SQLite, own tables), id_format (RFID byte order, PIN mapping), auth_ops
 * (SendLocalList, GetLocalListVersion, ClearCache: one file each).
 *
 * Events it listens to:
 *   hw.token {source, token}    → formatted (id_format.h) and published as
 *                                 "auth.token" auth_token {id_tag, source};
 *                                 a malformed UID/PIN is dropped with a log line.
 *   ocpp.state                  → online = connected && registration Accepted.
 *                                 Going offline answers every Authorize still
 *                                 in flight by the offline rules at once
 *                                 (lessons: libocpp #895). Also asked for as a
 *                                 snapshot at start (level-triggered).
 *   auth.idtaginfo              → the cache learns the IdTagInfo of a
 *                                 StartTransaction.conf / StopTransaction.conf.
 *   config.changed              → keys re-read.
 * Requests it answers (final replies):
 *   auth_request {id_tag, purpose}
 *                               → auth_result {id_tag, status, parent_id_tag,
 *                                 source}. FreeChargingEnabled: Accepted,
 *                                 source "free". Else the rules (auth_rules.h)
 *                                 answer from the list/cache ("list", "cache"),
 *                                 the unknown-id rule ("offline"), or ask:
 *                                 one Authorize.req per idTag in flight (more
 *                                 requests for the same tag wait for it); its
 *                                 idTagInfo updates the cache and is the
 *                                 answer ("csms"); an error, timeout, refusal
 *                                 or lost link → the offline rules.
 *   ocpp_inbound SendLocalList | GetLocalListVersion | ClearCache
 *                               → ocpp_inbound_reply (auth_ops.h).
 *   snapshot_request            → reply {ok}: the state is in the store.
 * Requests it sends: ocpp_call Authorize to "ocpp"; snapshot_request to "ocpp".
 *
 * Configuration keys read: AuthorizationCacheEnabled, LocalPreAuthorize,
 * LocalAuthorizeOffline, AllowOfflineTxForUnknownId, LocalAuthListEnabled,
 * LocalAuthListMaxLength, SendLocalListMaxLength, MessageTimeout, and the
 * vendor keys RfidUidByteOrder (little-endian | big-endian),
 * PinIdTagPrefix, FreeChargingEnabled (FreeChargingIdTag is for the
 * transaction actor, which starts the session on plug).
 */
#ifndef CP_ACTORS_AUTH_AUTH_ACTOR_H
#define CP_ACTORS_AUTH_AUTH_ACTOR_H

#include <czmq.h>

//  args: cp_actor_args_t * (supervisor/shell.h).
void auth_actor(zsock_t *pipe, void *args);
#endif
