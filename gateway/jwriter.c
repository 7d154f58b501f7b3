/* jwriter.c — see jwriter.h. */
#include "gateway/jwriter.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

//  The full GetConfiguration list is ~4 KB: one allocation covers it.
#define JWRITER_INITIAL 8192

struct _jwriter_t {
    char *data;
    size_t size;            //  bytes written, without the NUL
    size_t capacity;        //  bytes allocated
    bool failed;
};

jwriter_t *
jwriter_new(void)
{
    jwriter_t *self = calloc(1, sizeof(*self));
    if (self) {
        self->data = malloc(JWRITER_INITIAL);
        if (!self->data) {
            free(self);
            return NULL;
        }
        self->capacity = JWRITER_INITIAL;
        self->data[0] = '\0';
    }
    return self;
}

void
jwriter_destroy(jwriter_t **self_p)
{
    assert(self_p);
    jwriter_t *self = *self_p;
    if (self) {
        free(self->data);
        free(self);
        *self_p = NULL;
    }
}

void
jwriter_reset(jwriter_t *self)
{
    assert(self);
    self->size = 0;
    self->failed = false;
    if (self->data)
        self->data[0] = '\0';
}

//  Room for more bytes plus the NUL; false (and failed) when out of memory.
static bool
s_reserve(jwriter_t *self, size_t more)
{
    if (self->failed)
        return false;
    if (self->size + more + 1 <= self->capacity)
        return true;
    size_t capacity = self->capacity ? self->capacity : JWRITER_INITIAL;
    while (capacity < self->size + more + 1)
        capacity *= 2;
    char *data = realloc(self->data, capacity);
    if (!data) {
        self->failed = true;
        return false;
    }
    self->data = data;
    self->capacity = capacity;
    return true;
}

void
jwriter_raw(jwriter_t *self, const char *text)
{
    assert(self);
    assert(text);
    size_t len = strlen(text);
    if (!s_reserve(self, len))
        return;
    memcpy(self->data + self->size, text, len + 1);
    self->size += len;
}

//  Length of the UTF-8 sequence starting at s (its lead byte c >= 0x80),
//  or 0 when it is not a valid one: the checks jansson's own decoder
//  makes (no overlong forms, no surrogates, nothing past U+10FFFF).
static size_t
s_utf8_length(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    }
    else
    if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    }
    else
    if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    }
    else
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80)     //  also stops at the NUL
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF
    ||  (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

//  A string refused half-way: what it wrote past the text is cut off.
static void
s_fail(jwriter_t *self)
{
    self->failed = true;
    self->data[self->size] = '\0';
}

void
jwriter_string(jwriter_t *self, const char *text, size_t max_chars)
{
    assert(self);
    assert(text);
    //  The worst case, every byte a \u00XX, reserved once: the copy loop
    //  below then needs no check per byte.
    size_t len = strlen(text);
    if (!s_reserve(self, 6 * len + 2))
        return;
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *) text;
    char *out = self->data + self->size;
    size_t chars = 0;
    *out++ = '"';
    for (size_t i = 0; i < len; chars++) {
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t n = s_utf8_length(s + i);
            if (n == 0) {
                s_fail(self);
                return;
            }
            memcpy(out, s + i, n);
            out += n;
            i += n;
            continue;
        }
        i++;
        if (c == '"' || c == '\\') {
            *out++ = '\\';
            *out++ = (char) c;
        }
        else
        if (c < 0x20) {
            *out++ = '\\';
            switch (c) {
                case '\b': *out++ = 'b'; break;
                case '\f': *out++ = 'f'; break;
                case '\n': *out++ = 'n'; break;
                case '\r': *out++ = 'r'; break;
                case '\t': *out++ = 't'; break;
                default:
                    memcpy(out, "u00", 3);
                    out[3] = hex[c >> 4];
                    out[4] = hex[c & 0xF];
                    out += 5;
            }
        }
        else
            *out++ = (char) c;
    }
    if (max_chars && chars > max_chars) {
        s_fail(self);
        return;
    }
    *out++ = '"';
    *out = '\0';
    self->size = (size_t) (out - self->data);
}

bool
jwriter_failed(const jwriter_t *self)
{
    assert(self);
    return self->failed;
}

const char *
jwriter_text(const jwriter_t *self)
{
    assert(self);
    return self->data ? self->data : "";
}

size_t
jwriter_size(const jwriter_t *self)
{
    assert(self);
    return self->size;
}

char *
jwriter_take(jwriter_t *self)
{
    assert(self);
    char *text = NULL;
    if (!self->failed && self->data) {
        //  Handing over the buffer itself: no copy. The writer starts over
        //  with a new one at its next append.
        text = self->data;
        self->data = NULL;
        self->capacity = 0;
    }
    self->size = 0;
    self->failed = false;
    return text;
}
