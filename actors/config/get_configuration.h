/* get_configuration.h — OCPP 1.6 GetConfiguration (5.8, 6.23/6.24), one
 * operation per file as in MicroOcpp / libocpp: model in, model out, no
 * transport. The gateway has already checked the request against the
 * official schema.
 */
#ifndef CP_ACTORS_CONFIG_GET_CONFIGURATION_H
#define CP_ACTORS_CONFIG_GET_CONFIGURATION_H

#include <jansson.h>
#include <stddef.h>
#include "actors/config/config_store.h"
#include "gateway/jwriter.h"

//  Append the GetConfiguration.conf for a request already parsed to w as
//  compact JSON text (the ocpp actor answers from its frame: no text in
//  between, no tree built and dumped; w may already hold the frame's
//  head). 0, or -1 with error_code and error_description set as below
//  and w holding a partial text to throw away.
int get_configuration_write(config_store_t *store, const json_t *request, jwriter_t *w,
                            char *error_code, size_t error_code_size,
                            char *error_description, size_t error_description_size);

//  Answer a GetConfiguration.req. Returns 0 with *response_json a
//  malloc'd GetConfiguration.conf (free()). Returns -1 with an OCPP-J
//  error code (and a description) when there is no conf to give:
//    "OccurenceConstraintViolation"  more keys than GetConfigurationMaxKeys
//    "InternalError"                 the store failed, or a stored value
//                                    cannot be sent (not UTF-8, too long)
//    "FormationViolation"            the payload is not JSON (gateway bug)
int get_configuration_handle(config_store_t *store, const char *request_json,
                             char **response_json,
                             char *error_code, size_t error_code_size,
                             char *error_description, size_t error_description_size);
#endif
