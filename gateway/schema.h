/* schema.h — validation of OCPP 1.6 payloads against the official JSON
 * schemas (the draft-04 subset they use), compiled into the binary.
 *
 * The schemas are the contract with the Central System (the errata sheet
 * 3.1 corrected them so that every object and enum forbids extra members,
 * and the interop CSMS checks our frames against the same files). Rather than hand-writing a checker per message —
 * which drifts from the schemas — schema_set_new() interprets the 78
 * embedded schemas once at start-up into a small tree of nodes, and
 * schema_set_validate() walks a payload against that tree on every frame.
 *
 * A violation maps onto the OCPP-J CALLERROR code to answer with:
 *   payload not an object, unknown member where additionalProperties is
 *   false, nesting deeper than SCHEMA_MAX_DEPTH   → FormationViolation
 *   missing required member                       → OccurenceConstraintViolation
 *   wrong JSON type                               → TypeConstraintViolation
 *   enum, maxLength, minItems, multipleOf, format → PropertyConstraintViolation
 *
 * A schema set is immutable after schema_set_new(): one may be shared by
 * threads without locking. Validation allocates nothing.
 */
#ifndef CP_GATEWAY_SCHEMA_H
#define CP_GATEWAY_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "gateway/ocppj.h"
#include "gateway/schema_blobs.h"

/* Deepest instance nesting (plus $ref hops) the validator follows. The OCPP
 * schemas need 5; the cap only keeps a hostile or recursive case bounded. */
#define SCHEMA_MAX_DEPTH 32

typedef struct _schema_set_t schema_set_t;

/* Parses and compiles every embedded schema (gateway/schema_blobs.h).
 * Asserts that each one parses and uses only keywords this validator
 * enforces; returns NULL (after the assert, i.e. only under NDEBUG) if one
 * does not, and NULL when out of memory. */
schema_set_t *schema_set_new(void);

/* The same from any table of {name, text} schemas, without asserting:
 * returns NULL and a reason in err (may be NULL when err_size is 0) if one
 * does not parse or uses a construct this validator does not enforce. For
 * tests and tools; the daemon uses schema_set_new(). Names must be unique
 * and the blobs must outlive the set. */
schema_set_t *schema_set_new_from(const cp_schema_blob_t *blobs, size_t count, char *err,
                                  size_t err_size);

/* Frees the set and sets *self_p to NULL. Accepts NULL and *self_p NULL. */
void schema_set_destroy(schema_set_t **self_p);

/* True when a schema of that name exists: "BootNotification" (request) or
 * "BootNotificationResponse" (confirmation). */
bool schema_set_has(const schema_set_t *self, const char *name);

/* Validates payload against the named schema. Returns OCPPJ_OK, or the
 * CALLERROR code of the first violation found and a short description in
 * why, e.g. "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0]
 * .limit: expected number". why is always printable ASCII (member names from
 * the payload are escaped) and may be NULL when why_size is 0.
 * An unknown schema name returns OCPPJ_NOT_IMPLEMENTED.
 *
 * The order of checks is deterministic: at each object the type, then the
 * required members (in schema order), then each member of the payload (in
 * payload order, depth first). */
ocppj_error_t schema_set_validate(const schema_set_t *self, const char *name,
                                  const json_t *payload, char *why, size_t why_size);

/* The format checks, exposed for the few places that build or check
 * timestamps and URLs outside a schema (and for the tests). */
bool schema_is_date_time(const char *s, size_t len);   /* RFC 3339 date-time */
bool schema_is_uri(const char *s, size_t len);         /* RFC 3986 absolute URI */

#endif
