/* test_id_format.c — RFID UID byte order (the seed: little-endian, upper-
 * case hex, no separators; big-endian as the vendor option), 4/7/10-byte
 * UIDs, malformed input, the PIN mapping and card tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include "actors/auth/id_format.h"

static char s_out[32];
static char s_reason[120];

static void
test_rfid_little_endian_default(void **state)
{
    (void) state;
    //  UID0 = 0x04 (NXP) as the reader reports it first.
    assert_int_equal(id_format_rfid("04A1B2C3", ID_ORDER_LITTLE_ENDIAN, s_out, sizeof(s_out), s_reason,
                                    sizeof(s_reason)), 0);
    assert_string_equal(s_out, "C3B2A104");
    assert_string_equal(s_reason, "");
    //  7 bytes, lower case in: upper case out, bytes reversed (not nibbles).
    assert_int_equal(id_format_rfid("04a1b2c3d4e5f6", ID_ORDER_LITTLE_ENDIAN, s_out, sizeof(s_out), NULL, 0), 0);
    assert_string_equal(s_out, "F6E5D4C3B2A104");
    //  10 bytes: exactly 20 characters, the IdToken maximum.
    assert_int_equal(id_format_rfid("00112233445566778899", ID_ORDER_LITTLE_ENDIAN, s_out, sizeof(s_out), NULL,
                                    0), 0);
    assert_string_equal(s_out, "99887766554433221100");
    assert_int_equal(strlen(s_out), 20);
}

static void
test_rfid_big_endian(void **state)
{
    (void) state;
    assert_int_equal(id_format_rfid("04a1b2c3", ID_ORDER_BIG_ENDIAN, s_out, sizeof(s_out), NULL, 0), 0);
    assert_string_equal(s_out, "04A1B2C3");
    assert_int_equal(id_format_rfid("04A1B2C3D4E5F6", ID_ORDER_BIG_ENDIAN, s_out, sizeof(s_out), NULL, 0), 0);
    assert_string_equal(s_out, "04A1B2C3D4E5F6");
    assert_int_equal(id_format_rfid("00112233445566778899", ID_ORDER_BIG_ENDIAN, s_out, sizeof(s_out), NULL, 0), 0);
    assert_string_equal(s_out, "00112233445566778899");
}

static void
test_rfid_malformed(void **state)
{
    (void) state;
    const char *bad[] = { "", "04A1B2", "04A1B2C3D4", "04A1B2C", "04A1B2G3", "04:A1:B2:C3", "04 A1B2C3",
                          "0011223344556677889900", "-4A1B2C3" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        strcpy(s_out, "junk");
        s_reason[0] = '\0';
        if (id_format_rfid(bad[i], ID_ORDER_LITTLE_ENDIAN, s_out, sizeof(s_out), s_reason, sizeof(s_reason)) != -1)
            fail_msg("'%s' accepted", bad[i]);
        assert_string_equal(s_out, "");
        assert_true(strlen(s_reason) > 0);
    }
    assert_int_equal(id_format_rfid(NULL, ID_ORDER_BIG_ENDIAN, s_out, sizeof(s_out), NULL, 0), -1);
}

static void
test_byte_order_names(void **state)
{
    (void) state;
    id_byte_order_t order;
    assert_int_equal(id_format_parse_order("little-endian", &order), 0);
    assert_int_equal(order, ID_ORDER_LITTLE_ENDIAN);
    assert_int_equal(id_format_parse_order("Big-Endian", &order), 0);
    assert_int_equal(order, ID_ORDER_BIG_ENDIAN);
    assert_int_equal(id_format_parse_order("middle", &order), -1);
    assert_int_equal(id_format_parse_order(NULL, &order), -1);
}

static void
test_pin(void **state)
{
    (void) state;
    assert_int_equal(id_format_pin("4711", "", s_out, sizeof(s_out), NULL, 0), 0);
    assert_string_equal(s_out, "4711");
    assert_int_equal(id_format_pin("12345678", NULL, s_out, sizeof(s_out), NULL, 0), 0);
    assert_string_equal(s_out, "12345678");
    assert_int_equal(id_format_pin("0042", "PIN-", s_out, sizeof(s_out), NULL, 0), 0);
    assert_string_equal(s_out, "PIN-0042");
    //  12-character prefix + 8 digits = 20: fits.
    assert_int_equal(id_format_pin("12345678", "ABCDEFGHIJKL", s_out, sizeof(s_out), NULL, 0), 0);
    assert_string_equal(s_out, "ABCDEFGHIJKL12345678");
    assert_int_equal(id_format_pin("12345678", "ABCDEFGHIJKLM", s_out, sizeof(s_out), s_reason, sizeof(s_reason)),
                     -1);
    const char *bad[] = { "", "123", "123456789", "12a4", "12 34", "-123" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (id_format_pin(bad[i], "", s_out, sizeof(s_out), s_reason, sizeof(s_reason)) != -1)
            fail_msg("PIN '%s' accepted", bad[i]);
}

static void
test_card_and_dispatch(void **state)
{
    (void) state;
    assert_int_equal(id_format_card("TAG-001", s_out, sizeof(s_out), NULL, 0), 0);
    assert_string_equal(s_out, "TAG-001");
    assert_int_equal(id_format_card("", s_out, sizeof(s_out), NULL, 0), -1);
    assert_int_equal(id_format_card("123456789012345678901", s_out, sizeof(s_out), NULL, 0), -1);
    assert_int_equal(id_format_card("bad\x01tag", s_out, sizeof(s_out), NULL, 0), -1);

    id_format_config_t config = { .rfid_order = ID_ORDER_LITTLE_ENDIAN, .pin_prefix = "P" };
    assert_int_equal(id_format_token("rfid", "04A1B2C3", &config, s_out, sizeof(s_out), NULL, 0), 0);
    assert_string_equal(s_out, "C3B2A104");
    config.rfid_order = ID_ORDER_BIG_ENDIAN;
    assert_int_equal(id_format_token("rfid", "04A1B2C3", &config, s_out, sizeof(s_out), NULL, 0), 0);
    assert_string_equal(s_out, "04A1B2C3");
    assert_int_equal(id_format_token("pin", "4711", &config, s_out, sizeof(s_out), NULL, 0), 0);
    assert_string_equal(s_out, "P4711");
    assert_int_equal(id_format_token("card", "AbC", &config, s_out, sizeof(s_out), NULL, 0), 0);
    assert_string_equal(s_out, "AbC");
    assert_int_equal(id_format_token("nfc", "AbC", &config, s_out, sizeof(s_out), s_reason, sizeof(s_reason)), -1);
    assert_int_equal(id_format_token(NULL, "AbC", &config, s_out, sizeof(s_out), NULL, 0), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfid_little_endian_default),
        cmocka_unit_test(test_rfid_big_endian),
        cmocka_unit_test(test_rfid_malformed),
        cmocka_unit_test(test_byte_order_names),
        cmocka_unit_test(test_pin),
        cmocka_unit_test(test_card_and_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
