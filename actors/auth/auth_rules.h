/* auth_rules.h — who may charge: the pure decision table of OCPP 1.6
 * section 3.5 (Local Authorization & Offline Behavior).
 *
 * Inputs: the link state, the five configuration keys that shape local
 * authorization, the tag's Local Authorization List entry and its
 * Authorization Cache entry (either may be absent), and "now" for expiry.
 * Output: either an answer now {status, parentIdTag, source} or "ask the
 * central system" (Authorize.req). No I/O, no clock: the auth actor feeds
 * it, the tests enumerate it.
 *
 * The table, in order:
 *   1. The entry that counts: the list's when LocalAuthListEnabled and the
 *      tag is listed (3.5.3: the list has priority; the cache is not even
 *      consulted), else the cache's when AuthorizationCacheEnabled.
 *   2. Its effective status: a valid status (Accepted, or ConcurrentTx,
 *      which 3.5.2 counts as valid) whose expiryDate has passed reads
 *      Expired (3.5.1, 3.5.4); ConcurrentTx otherwise reads Accepted (it
 *      only makes sense in a StartTransaction.conf).
 *   3. Online: an effective Accepted entry with LocalPreAuthorize answers
 *      Accepted at once; anything else asks the central system (4.1: an
 *      unknown tag SHALL be asked about; 3.5.1: a NOT-valid cache entry
 *      SHOULD be re-checked online).
 *   4. Offline (and after an Authorize that failed or timed out):
 *      - an entry that is not effectively Accepted is refused with its
 *        status (3.5.4: listed non-Accepted and expired tags MUST be
 *        rejected; the unknown-id rule never rescues them);
 *      - an effectively Accepted entry is Accepted when
 *        LocalAuthorizeOffline; without it local data may not authorize,
 *        so the tag is treated as unknown;
 *      - an unknown tag: AllowOfflineTxForUnknownId ? Accepted : Invalid
 *        (source "offline").
 *    LocalPreAuthorize plays no part offline (lessons: libocpp #496).
 */
#ifndef CP_ACTORS_AUTH_AUTH_RULES_H
#define CP_ACTORS_AUTH_AUTH_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_ID_TAG_MAX 20          //  IdToken: CiString20Type

//  AuthorizationStatus (7.2), in the spec's order.
typedef enum {
    AUTH_ACCEPTED = 0,
    AUTH_BLOCKED,
    AUTH_EXPIRED,
    AUTH_INVALID,
    AUTH_CONCURRENT_TX
} auth_status_t;

//  Where an answer came from (auth_result.source).
typedef enum {
    AUTH_SOURCE_CSMS = 0,
    AUTH_SOURCE_LIST,
    AUTH_SOURCE_CACHE,
    AUTH_SOURCE_OFFLINE,
    AUTH_SOURCE_FREE
} auth_source_t;

//  One IdTagInfo, as the list and the cache keep it.
typedef struct {
    char id_tag[AUTH_ID_TAG_MAX + 1];
    auth_status_t status;
    char parent_id_tag[AUTH_ID_TAG_MAX + 1];   //  "" = none
    int64_t expiry_ms;                         //  UTC ms; 0 = no expiryDate
} auth_entry_t;

typedef struct {
    bool online;                    //  connected and registration Accepted
    bool local_pre_authorize;       //  LocalPreAuthorize
    bool local_authorize_offline;   //  LocalAuthorizeOffline
    bool allow_offline_unknown;     //  AllowOfflineTxForUnknownId
    bool cache_enabled;             //  AuthorizationCacheEnabled
    bool list_enabled;              //  LocalAuthListEnabled
    const auth_entry_t *list;       //  the tag's list entry, or NULL
    const auth_entry_t *cache;      //  the tag's cache entry, or NULL
    int64_t now_ms;                 //  UTC, for expiryDate
} auth_inputs_t;

typedef struct {
    bool ask;                       //  send Authorize.req; the rest is unset
    auth_status_t status;
    char parent_id_tag[AUTH_ID_TAG_MAX + 1];
    auth_source_t source;
} auth_decision_t;

void auth_rules_decide(const auth_inputs_t *in, auth_decision_t *out);

//  Step 2 above for one entry.
auth_status_t auth_entry_effective(const auth_entry_t *entry, int64_t now_ms);
//  Accepted or ConcurrentTx (3.5.2 "valid"), ignoring expiry.
bool auth_status_valid(auth_status_t status);

const char *auth_status_name(auth_status_t status);
//  Exact spelling of the enumeration; -1 for anything else.
int auth_status_parse(const char *text, auth_status_t *status);
const char *auth_source_name(auth_source_t source);
#endif
