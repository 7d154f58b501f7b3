/* data_transfer.c — DataTransfer from the central system (spec 5.6). This
 * charge point defines no vendor-specific extensions yet, so every vendorId
 * is unknown: UnknownVendorId, as the spec prescribes. A vendor extension
 * adds its vendorId here. */
#include "actors/ocpp/trigger_message.h"

json_t *
data_transfer(const json_t *request)
{
    (void) request;
    return json_pack("{s:s}", "status", "UnknownVendorId");
}
