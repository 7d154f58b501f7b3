/* fuzz_jwriter.c — libFuzzer harness for the JSON text writer
 * (gateway/jwriter.c), which writes GetConfiguration without jansson and
 * without the schema check that other answers get. Properties: no crash,
 * leak or UB; a string is refused exactly when jansson refuses it (invalid
 * UTF-8), and an accepted one is written byte for byte as json_dumps
 * writes it, so the answer is valid JSON whatever a store holds. Built and
 * run by scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include "gateway/jwriter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';                  //  the writer takes C strings
    jwriter_t *w = jwriter_new();
    if (!w) {
        free(text);
        return 0;
    }
    jwriter_string(w, text, 0);
    json_t *string = json_string(text);
    if (jwriter_failed(w) != (string == NULL))
        abort();
    if (string) {
        char *expected = json_dumps(string, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!expected || strcmp(expected, jwriter_text(w)) != 0)
            abort();
        free(expected);
        json_decref(string);
    }
    jwriter_destroy(&w);
    free(text);
    return 0;
}
