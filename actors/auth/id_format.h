/* id_format.h — how what the reader or keypad produced becomes an OCPP
 * idTag. Pure: no I/O.
 *
 * The hw actor publishes "hw.token" {source, token}:
 *   rfid  the raw UID as upper-case hex in the reader's order (UID0
 *         first), 4, 7 or 10 bytes (ISO 14443 single/double/triple size);
 *   pin   4..8 digits from the keypad;
 *   card  an already formatted idTag (a simulator swipe, a reader that
 *         formats itself).
 * The seed (the vendor's activation guide) says a Mifare UID is entered in
 * the central system's list "little-endian and without separators", read
 * "hexadecimal, without separators": the UID taken as a little-endian
 * integer (UID0 least significant) and printed most significant first,
 * i.e. the bytes reversed — UID 04 A1 B2 C3 is idTag "C3B2A104". The vendor
 * key RfidUidByteOrder = big-endian keeps the reader's order ("04A1B2C3")
 * for back-ends that enrolled cards that way. Always upper-case, no
 * separators; a 10-byte UID gives exactly 20 characters (CiString20Type).
 *
 * A PIN maps to PinIdTagPrefix + the digits ("" + "4711" = "4711" by
 * default; a prefix such as "PIN-" keeps PINs apart from card numbers in
 * the central system's tag namespace). A card token is used as it is.
 */
#ifndef CP_ACTORS_AUTH_ID_FORMAT_H
#define CP_ACTORS_AUTH_ID_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    ID_ORDER_LITTLE_ENDIAN = 0,     //  the seed's default: bytes reversed
    ID_ORDER_BIG_ENDIAN             //  the reader's order
} id_byte_order_t;

typedef struct {
    id_byte_order_t rfid_order;
    char pin_prefix[13];            //  PinIdTagPrefix
} id_format_config_t;

//  "little-endian" | "big-endian" (case-insensitive); -1 otherwise.
int id_format_parse_order(const char *text, id_byte_order_t *order);

//  Each returns 0 with the idTag in out (out_size > 20), or -1 with a
//  short reason (never longer than reason_size) and out = "".
int id_format_rfid(const char *uid_hex, id_byte_order_t order, char *out, size_t out_size,
                   char *reason, size_t reason_size);
int id_format_pin(const char *pin, const char *prefix, char *out, size_t out_size,
                  char *reason, size_t reason_size);
int id_format_card(const char *tag, char *out, size_t out_size, char *reason, size_t reason_size);
//  Dispatch on the hw.token source ("rfid" | "pin" | "card").
int id_format_token(const char *source, const char *token, const id_format_config_t *config,
                    char *out, size_t out_size, char *reason, size_t reason_size);
#endif
