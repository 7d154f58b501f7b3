/* firmware_image.c — see firmware_image.h. */
#include "actors/firmware/firmware_image.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "actors/firmware/firmware_core.h"
#include "supervisor/log.h"

int
firmware_image_parse(const char *text, size_t len, char *out, size_t out_size, char *reason, size_t reason_size)
{
    size_t magic = strlen(FIRMWARE_IMAGE_MAGIC);
    if (len < magic || memcmp(text, FIRMWARE_IMAGE_MAGIC, magic) != 0)
        return cp_refuse(reason, reason_size, "not a simulated firmware image (no %.25s header)",
                         FIRMWARE_IMAGE_MAGIC);
    size_t end = magic;
    while (end < len && text[end] != '\n')
        end++;
    size_t vlen = end - magic;
    if (vlen > 0 && text[magic + vlen - 1] == '\r')
        vlen--;
    if (vlen == 0 || vlen > FW_VERSION_MAX || vlen >= out_size)
        return cp_refuse(reason, reason_size, "the image's version is empty or longer than %d characters",
                         FW_VERSION_MAX);
    for (size_t i = 0; i < vlen; i++) {
        unsigned char c = (unsigned char) text[magic + i];
        if (c <= ' ' || c >= 0x7f)
            return cp_refuse(reason, reason_size, "the image's version holds a blank or non-ASCII byte");
    }
    memcpy(out, text + magic, vlen);
    out[vlen] = '\0';
    return 0;
}

int
firmware_image_check(const char *path, char *out, size_t out_size, char *reason, size_t reason_size)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return cp_refuse(reason, reason_size, "cannot open the image: %s", strerror(errno));
    char head[256];
    size_t len = fread(head, 1, sizeof(head), file);
    fclose(file);
    return firmware_image_parse(head, len, out, out_size, reason, reason_size);
}
