/* config_keys.h — the OCPP configuration keys this charger knows, and the
 * rules a new value must pass. Pure: no I/O, no clock, no globals beyond
 * the constant table, so every rule is unit-testable.
 *
 * The table is the single answer to "which keys exist": GetConfiguration
 * lists it, ChangeConfiguration validates against it, the store seeds and
 * defaults from it, and every other actor reads its keys through it (see
 * config_store.h). Adding a key (a vendor key for a later feature, say)
 * means adding one row to the table in config_keys.c and nothing else.
 *
 * Key names are CiString50Type in OCPP 1.6 (7.29 KeyValue): lookups are
 * case-insensitive, and responses always use the table's spelling.
 */
#ifndef CP_ACTORS_CONFIG_KEYS_H
#define CP_ACTORS_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "supervisor/options.h"

#define CONFIG_KEY_MAX    50     //  CiString50Type
#define CONFIG_VALUE_MAX  500    //  CiString500Type
#define CONFIG_REASON_MAX 200    //  fits config_set_reply.reason

//  The four answers of ChangeConfiguration.conf (OCPP 1.6 5.3), in order.
typedef enum {
    CONFIG_ACCEPTED = 0,
    CONFIG_REJECTED,
    CONFIG_REBOOT_REQUIRED,
    CONFIG_NOT_SUPPORTED
} config_status_t;

typedef enum {
    CONFIG_TYPE_BOOL,
    CONFIG_TYPE_INT,
    CONFIG_TYPE_CSL,          //  comma separated list
    CONFIG_TYPE_STRING
} config_type_t;

//  Where a key's value comes from when the store holds none.
typedef enum {
    CONFIG_DEFAULT_CONST = 0,          //  default_value
    CONFIG_DEFAULT_CONNECTORS,         //  options->connectors
    CONFIG_DEFAULT_CONNECTORS_PLUS_1,  //  connectors + connector 0 (grid side)
    CONFIG_DEFAULT_SECURITY_PROFILE,   //  what the start-up options already use
    CONFIG_DEFAULT_OCPP_ENABLED,       //  "true" when --csms was given
    CONFIG_DEFAULT_CSMS_URL,           //  options->csms_url (provisioning)
    CONFIG_DEFAULT_IDENTITY            //  options->id (provisioning)
} config_default_t;

//  How values of a CSL or string key are checked beyond their type.
typedef enum {
    CONFIG_CHECK_NONE = 0,
    CONFIG_CHECK_MEMBERS,              //  each CSL item is one of `allowed`
    CONFIG_CHECK_PHASE_ROTATION,       //  CSL of [N.]rotation, N ≤ connectors
    CONFIG_CHECK_AUTHORIZATION_KEY,    //  security whitepaper 7.2
    CONFIG_CHECK_LOCAL_SCHEDULE,       //  actors/smartcharging/local_limits.h grammar
    CONFIG_CHECK_CSMS_URL,             //  ocpp_settings_url_ok
    CONFIG_CHECK_IDENTITY              //  ocpp_settings_identity_ok
} config_check_t;

typedef struct {
    const char *name;
    config_type_t type;
    bool readonly;             //  "R" accessibility: never stored, always derived
    bool write_only;           //  "W" (whitepaper): value never leaves the charger
    bool local_only;           //  the owner's/installer's setting: the CSMS reads it
                               //  (as readonly) but only cpctl and the status page
                               //  change it (the seed keeps these under OCPP)
    bool reboot_required;      //  a change takes effect only after a reboot
    config_default_t default_kind;
    const char *default_value; //  CONFIG_DEFAULT_CONST
    int64_t min, max;          //  CONFIG_TYPE_INT, inclusive
    config_check_t check;
    const char *const *allowed;      //  CONFIG_CHECK_MEMBERS: NULL-terminated
    const char *max_items_key; //  CSL: the ...MaxLength key bounding its items
    const char *profile;       //  feature profile, for documentation and tests
} config_key_def_t;

//  Number of keys and the i-th (table order: profile by profile).
size_t config_keys_count(void);
const config_key_def_t *config_keys_at(size_t index);
//  Case-insensitive lookup; NULL if this charger does not know the key.
//  An alias (another name of a key, e.g. the seed's AuthEnabled) finds
//  the key it names.
const config_key_def_t *config_keys_find(const char *name);
//  name's alias in its own spelling, or NULL when name is not an alias;
//  and the table name an alias stands for.
const char *config_keys_alias(const char *name);
const char *config_keys_alias_target(const char *alias);
size_t config_keys_alias_count(void);
const char *config_keys_alias_at(size_t index);

//  "Accepted", "Rejected", "RebootRequired", "NotSupported".
const char *config_status_name(config_status_t status);

//  The value a key has when the store holds none: the constant default,
//  or for read-only keys the value derived from the start-up options
//  (opts may be NULL in tests: one connector, no CSMS). Always valid.
void config_keys_default(const config_key_def_t *def, const cp_options_t *opts,
                         char *buf, size_t size);

//  Check one value for one key, independent of any other key.
//  def NULL → NotSupported; read-only → Rejected; malformed or out of
//  range → Rejected; otherwise Accepted, or RebootRequired if the key says
//  so. On success canonical holds the form to store (booleans lower-case,
//  CSL items trimmed and in the table's spelling). reason always gets a
//  short human text (never the value of a write-only key).
config_status_t config_keys_validate(const config_key_def_t *def, const char *value,
                                     const cp_options_t *opts,
                                     char *canonical, size_t canonical_size,
                                     char *reason, size_t reason_size);

//  What SecurityProfile's transition rules (whitepaper A05) need to know
//  about the rest of the charger.
typedef struct {
    int current;                   //  SecurityProfile in force now
    bool from_csms;                //  A05 forbids lowering only over OCPP
    bool authorization_key_valid;  //  AuthorizationKey holds a 7.2 value
    bool tls_roots_available;      //  a CA to check the CSMS certificate
    bool client_certificate;       //  a ChargePointCertificate is installed
} config_security_ctx_t;

//  Whitepaper A05.FR.01..05 for an already validated SecurityProfile
//  value: Accepted, or Rejected with a reason.
config_status_t config_keys_check_security_profile(int requested,
                                                   const config_security_ctx_t *ctx,
                                                   char *reason, size_t reason_size);

//  The 7.2 format check on its own (SecurityProfile needs it too).
bool config_keys_authorization_key_ok(const char *value);
//  An even number (> 0) of hexadecimal digits: an AuthorizationKey
//  AuthorizationKeyEncoding "hex" can decode.
bool config_keys_hex_ok(const char *value);

#endif
