/* test_jwriter.c — the JSON text writer (gateway/jwriter.c): its strings
 * byte for byte as jansson's json_dumps writes them, the UTF-8 and length
 * checks (maxLength counts code points), and the sticky failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "gateway/jwriter.h"

//  What json_dumps writes for the string text.
static char *
s_jansson(const char *text)
{
    json_t *string = json_string(text);
    assert_non_null(string);
    char *out = json_dumps(string, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(string);
    return out;
}

static void
test_strings_as_jansson(void **state)
{
    (void) state;
    static const char *const texts[] = {
        "", "plain", "quote \" and backslash \\", "slash / stays",
        "\b\f\n\r\t", "\x01\x1f\x7f", "Zählerstand 230 V · 32 A", "\xe2\x80\xa8 line separator",
        "emoji \xf0\x9f\x94\x8c", "Voltage,SoC,Current.Import",
    };
    jwriter_t *w = jwriter_new();
    assert_non_null(w);
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        jwriter_reset(w);
        jwriter_string(w, texts[i], 0);
        assert_false(jwriter_failed(w));
        char *expected = s_jansson(texts[i]);
        assert_string_equal(jwriter_text(w), expected);
        assert_int_equal(jwriter_size(w), strlen(expected));
        free(expected);
    }
    jwriter_destroy(&w);
    assert_null(w);
}

static void
test_invalid_utf8_fails(void **state)
{
    (void) state;
    static const char *const bad[] = {
        "\xff", "cut \xc3", "\xc0\xaf overlong", "\xed\xa0\x80 surrogate", "\xf4\x90\x80\x80 too high",
        "\xe2\x82 short",
    };
    jwriter_t *w = jwriter_new();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        jwriter_reset(w);
        jwriter_raw(w, "[");
        jwriter_string(w, bad[i], 0);
        assert_true(jwriter_failed(w));
        //  jansson refuses the same strings.
        assert_null(json_string(bad[i]));
        //  Nothing of the refused string is left, and later appends do nothing.
        assert_string_equal(jwriter_text(w), "[");
        jwriter_raw(w, "]");
        assert_string_equal(jwriter_text(w), "[");
        assert_null(jwriter_take(w));
    }
    jwriter_destroy(&w);
}

//  maxLength counts code points, not bytes: 50 two-byte characters pass a
//  limit of 50, 51 ASCII ones do not.
static void
test_max_chars(void **state)
{
    (void) state;
    char text[256] = "";
    for (int i = 0; i < 50; i++)
        strcat(text, "\xc3\xa4");
    jwriter_t *w = jwriter_new();
    jwriter_string(w, text, 50);
    assert_false(jwriter_failed(w));
    jwriter_reset(w);
    memset(text, 'a', 51);
    text[51] = '\0';
    jwriter_string(w, text, 50);
    assert_true(jwriter_failed(w));
    jwriter_reset(w);
    text[50] = '\0';
    jwriter_string(w, text, 50);
    assert_false(jwriter_failed(w));
    jwriter_destroy(&w);
}

//  Past the first buffer (values of 500 characters, all escaped), then
//  taken: the text is whole and the writer starts over.
static void
test_grows_and_takes(void **state)
{
    (void) state;
    jwriter_t *w = jwriter_new();
    char value[501];
    memset(value, '\x01', 500);
    value[500] = '\0';
    json_t *array = json_array();
    jwriter_raw(w, "[");
    for (int i = 0; i < 10; i++) {
        if (i)
            jwriter_raw(w, ",");
        jwriter_string(w, value, 500);
        json_array_append_new(array, json_string(value));
    }
    jwriter_raw(w, "]");
    assert_false(jwriter_failed(w));
    char *expected = json_dumps(array, JSON_COMPACT);
    char *text = jwriter_take(w);
    assert_string_equal(text, expected);
    assert_int_equal(jwriter_size(w), 0);
    jwriter_raw(w, "{}");
    assert_string_equal(jwriter_text(w), "{}");
    free(text);
    free(expected);
    json_decref(array);
    jwriter_destroy(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_as_jansson),
        cmocka_unit_test(test_invalid_utf8_fails),
        cmocka_unit_test(test_max_chars),
        cmocka_unit_test(test_grows_and_takes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
