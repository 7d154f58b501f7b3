/* firmware_image.h — what the simulated board accepts as a firmware image
 * (interface.md, `--hw sim`): a file whose first line is
 * `CHARGEPOINTD-SIM-FIRMWARE <version>`. Anything else is refused, so the
 * install fails with InstallationFailed and the old version stays. The
 * version must fit BootNotification's firmwareVersion (CiString50) and be
 * one printable token: it is reported as-is to the central system.
 */
#ifndef CP_ACTORS_FIRMWARE_FIRMWARE_IMAGE_H
#define CP_ACTORS_FIRMWARE_FIRMWARE_IMAGE_H

#include <stddef.h>

#define FIRMWARE_IMAGE_MAGIC "CHARGEPOINTD-SIM-FIRMWARE "

//  The first line of an image (len bytes from text, which need not hold a
//  NUL): 0 with the version in out, or -1 with the reason.
int firmware_image_parse(const char *text, size_t len, char *out, size_t out_size, char *reason, size_t reason_size);
//  The image file at path: as above.
int firmware_image_check(const char *path, char *out, size_t out_size, char *reason, size_t reason_size);
#endif
