/* schema_blobs.h — the official OCPP 1.6 JSON schemas, compiled into the
 * binary by cmake/embed_schemas.cmake. name is the file name without
 * ".json" (e.g. "BootNotification", "BootNotificationResponse"). */
#ifndef CP_SCHEMA_BLOBS_H
#define CP_SCHEMA_BLOBS_H
#include <stddef.h>

typedef struct {
    const char *name;
    const char *text;
} cp_schema_blob_t;

extern const cp_schema_blob_t cp_schema_blobs[];
extern const size_t cp_schema_blob_count;

#endif
