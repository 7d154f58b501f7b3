/* id_format.c — see id_format.h. */
#include "actors/auth/id_format.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "actors/auth/auth_rules.h"

int
id_format_parse_order(const char *text, id_byte_order_t *order)
{
    assert(order);
    if (text && strcasecmp(text, "little-endian") == 0)
        *order = ID_ORDER_LITTLE_ENDIAN;
    else
    if (text && strcasecmp(text, "big-endian") == 0)
        *order = ID_ORDER_BIG_ENDIAN;
    else
        return -1;
    return 0;
}

static int
s_fail(char *out, char *reason, size_t reason_size, const char *why)
{
    out[0] = '\0';
    if (reason && reason_size)
        snprintf(reason, reason_size, "%s", why);
    return -1;
}

int
id_format_rfid(const char *uid_hex, id_byte_order_t order, char *out, size_t out_size,
               char *reason, size_t reason_size)
{
    assert(out && out_size > AUTH_ID_TAG_MAX);
    if (!uid_hex)
        return s_fail(out, reason, reason_size, "no RFID UID");
    size_t len = strlen(uid_hex);
    if (len != 8 && len != 14 && len != 20)
        return s_fail(out, reason, reason_size, "RFID UID must be 4, 7 or 10 bytes of hex");
    for (size_t i = 0; i < len; i++)
        if (!isxdigit((unsigned char) uid_hex[i]))
            return s_fail(out, reason, reason_size, "RFID UID is not hexadecimal");
    size_t bytes = len / 2;
    for (size_t i = 0; i < bytes; i++) {
        size_t from = order == ID_ORDER_LITTLE_ENDIAN ? bytes - 1 - i : i;
        out[2 * i] = (char) toupper((unsigned char) uid_hex[2 * from]);
        out[2 * i + 1] = (char) toupper((unsigned char) uid_hex[2 * from + 1]);
    }
    out[len] = '\0';
    if (reason && reason_size)
        reason[0] = '\0';
    return 0;
}

int
id_format_pin(const char *pin, const char *prefix, char *out, size_t out_size,
              char *reason, size_t reason_size)
{
    assert(out && out_size > AUTH_ID_TAG_MAX);
    size_t len = pin ? strlen(pin) : 0;
    if (len < 4 || len > 8)
        return s_fail(out, reason, reason_size, "PIN must be 4..8 digits");
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char) pin[i]))
            return s_fail(out, reason, reason_size, "PIN must be 4..8 digits");
    if (!prefix)
        prefix = "";
    if (strlen(prefix) + len > AUTH_ID_TAG_MAX)
        return s_fail(out, reason, reason_size, "PinIdTagPrefix + PIN longer than 20 characters");
    snprintf(out, out_size, "%s%s", prefix, pin);
    if (reason && reason_size)
        reason[0] = '\0';
    return 0;
}

int
id_format_card(const char *tag, char *out, size_t out_size, char *reason, size_t reason_size)
{
    assert(out && out_size > AUTH_ID_TAG_MAX);
    size_t len = tag ? strlen(tag) : 0;
    if (len < 1 || len > AUTH_ID_TAG_MAX)
        return s_fail(out, reason, reason_size, "idTag must be 1..20 characters");
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) tag[i] < 0x20 || (unsigned char) tag[i] > 0x7e)
            return s_fail(out, reason, reason_size, "idTag must be printable ASCII");
    snprintf(out, out_size, "%s", tag);
    if (reason && reason_size)
        reason[0] = '\0';
    return 0;
}

int
id_format_token(const char *source, const char *token, const id_format_config_t *config,
                char *out, size_t out_size, char *reason, size_t reason_size)
{
    assert(config);
    if (source && strcmp(source, "rfid") == 0)
        return id_format_rfid(token, config->rfid_order, out, out_size, reason, reason_size);
    if (source && strcmp(source, "pin") == 0)
        return id_format_pin(token, config->pin_prefix, out, out_size, reason, reason_size);
    if (source && strcmp(source, "card") == 0)
        return id_format_card(token, out, out_size, reason, reason_size);
    return s_fail(out, reason, reason_size, "unknown token source");
}
