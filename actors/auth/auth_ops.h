/* auth_ops.h — the three operations of the central system the auth actor
 * owns, one file each (send_local_list.c, get_local_list_version.c,
 * clear_cache.c). Each takes the request payload (already validated
 * against the official schema by the gateway) and returns the response
 * payload, which the tests validate against the response schema. No bus,
 * no clock: the actor passes what they need.
 *
 * LocalAuthListEnabled false: the charger behaves as one without a local
 * list — GetLocalListVersion answers -1 (5.10: "does not support"),
 * SendLocalList NotSupported (7.47) and the stored list is kept untouched
 * (and ignored for decisions) until the key is set back to true. A central
 * system that reads -1 knows not to synchronise; answering Accepted to
 * updates of a list that is not used would make it believe the charger can
 * authorize offline from it.
 *
 * ClearCache: Accepted once the cache is empty, also while
 * AuthorizationCacheEnabled is false (the cache exists and clearing it
 * works); Rejected only when the store fails (errata 3.23 keeps Rejected
 * for a charger without a cache).
 */
#ifndef CP_ACTORS_AUTH_AUTH_OPS_H
#define CP_ACTORS_AUTH_AUTH_OPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "actors/auth/auth_cache.h"
#include "actors/auth/local_list.h"

typedef struct {
    local_list_t *list;
    auth_cache_t *cache;
    bool list_enabled;              //  LocalAuthListEnabled
    int64_t send_max;               //  SendLocalListMaxLength
    int64_t list_max;               //  LocalAuthListMaxLength
    char reason[200];               //  out: why, for the log
} auth_ops_ctx_t;

//  Each returns a new JSON object (never NULL but on out-of-memory).
json_t *send_local_list(auth_ops_ctx_t *ctx, const json_t *request);
json_t *get_local_list_version(auth_ops_ctx_t *ctx, const json_t *request);
json_t *clear_cache(auth_ops_ctx_t *ctx, const json_t *request);

//  IdTagInfo JSON → entry (status required, expiryDate RFC 3339,
//  parentIdTag ≤ 20). 0, or -1 if malformed.
int auth_ops_parse_idtaginfo(const json_t *info, auth_entry_t *entry);
#endif
