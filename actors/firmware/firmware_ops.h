/* firmware_ops.h — the OCPP operations the firmware actor owns, one file
 * each (update_firmware.c, get_diagnostics.c, signed_update_firmware.c,
 * get_log.c). Each takes the request
 * payload (already validated against the official schema by the gateway),
 * hands the decision to the core and returns the response payload. The
 * effects (transfers, notifications) follow from the core, after the
 * answer has been sent: the shell replies first, then lets effects run.
 */
#ifndef CP_ACTORS_FIRMWARE_FIRMWARE_OPS_H
#define CP_ACTORS_FIRMWARE_FIRMWARE_OPS_H

#include <jansson.h>
#include <stdint.h>
#include "actors/firmware/firmware_core.h"

typedef struct {
    firmware_core_t *core;
    int64_t now_ms;                 //  wall, the central system's time
    int64_t host_offset_ms;         //  central system's time − this host's (log timestamps are the host's)
    const char *charge_point_id;    //  for the diagnostics file name
    const char *manufacturer_roots; //  the installed ManufacturerRootCertificates (a PEM file; may not exist)
    const char *event;              //  out: a security event to raise (reason: its techInfo), or NULL
    char reason[256];
} fw_ops_ctx_t;

json_t *update_firmware(fw_ops_ctx_t *ctx, const json_t *request);
json_t *get_diagnostics(fw_ops_ctx_t *ctx, const json_t *request);
json_t *signed_update_firmware(fw_ops_ctx_t *ctx, const json_t *request);
json_t *get_log(fw_ops_ctx_t *ctx, const json_t *request);
//  "<prefix>-<charge point id>-<YYYYMMDDTHHMMSSZ>.tar.gz", safe for any server.
void fw_ops_file_name(fw_ops_ctx_t *ctx, const char *prefix, char *out, size_t size);
//  The time window of an upload on the host's clock: from start to stop
//  (central-system timestamps, shifted by shift_ms; absent or unreadable
//  ends leave it open: 0 and INT64_MAX).
void fw_ops_window(const char *start, const char *stop, int64_t shift_ms, int64_t *start_ms, int64_t *stop_ms);

//  An integer field of the request that may be absent (-1) and must fit
//  an int (a larger one is the most the charger will do).
int fw_ops_int(const json_t *value);
#endif
