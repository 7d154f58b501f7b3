/* test_msg.c — the catalog's typed messages and their msgpack wire form.
 *
 * Everything here is driven by the catalog's own X-macros, so a message
 * added to catalog.h is covered without touching this file: every type is
 * filled with non-default values, encoded, decoded and compared field by
 * field; every field of every type is replaced on the wire by each kind of
 * wrong value and must be refused. The decoder is the bus's trust boundary
 * (anything on an ipc:// or tcp:// endpoint can write to it), so it is also
 * fed every truncation, forged length headers and a seeded fuzz loop,
 * always from exactly-sized heap buffers so that ASan sees any over-read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "messages/catalog.h"
#include "messages/msg.h"

//  --------------------------------------------------------------------------
//  Field tables generated from the catalog

typedef enum { K_I64, K_F64, K_BOOL, K_STR, K_TEXT } kind_t;

typedef struct {
    kind_t kind;
    const char *name;
    size_t limit;           //  STR: declared size; TEXT: CP_MSG_TEXT_MAX
    size_t offset;          //  from the start of cp_msg_t
    size_t size;            //  sizeof the C member
} field_info_t;

#define MAX_FIELDS 64

//  Fills out[] with the fields of type in declaration order; returns count.
static size_t
s_fields(cp_msg_type_t type, field_info_t *out)
{
    cp_msg_t probe;
    size_t count = 0;
    switch (type) {
#define FI_LIMIT_I64(s)  0
#define FI_LIMIT_F64(s)  0
#define FI_LIMIT_BOOL(s) 0
#define FI_LIMIT_STR(s)  (s)
#define FI_LIMIT_TEXT(s) CP_MSG_TEXT_MAX
#define FI(kind, n, s) \
        assert_true(count < MAX_FIELDS); \
        out[count++] = (field_info_t) { K_##kind, #n, FI_LIMIT_##kind(s), \
            (size_t) ((char *) &m->n - (char *) &probe), sizeof(m->n) };
#define TI(E, name, FIELDS) \
    case CP_MSG_##E: { cp_msg_##name##_t *m = &probe.u.name; FIELDS(FI) } break;
        CP_MESSAGE_CATALOG(TI)
#undef TI
#undef FI
    default:
        fail_msg("no such type %d", (int) type);
    }
    return count;
}

static void *
s_at(cp_msg_t *msg, const field_info_t *fi)
{
    return (char *) msg + fi->offset;
}

//  --------------------------------------------------------------------------
//  Filling and comparing, straight from the X-macros

//  Deterministic non-default content. STR fields are filled to exactly
//  their declared maximum, so a round trip also proves that limit passes.
static void
s_fill_str(char *field, size_t size, size_t limit, int idx, int seed)
{
    assert_int_equal(size, limit + 1);
    for (size_t j = 0; j < limit; j++)
        field[j] = (char) ('A' + (j * 7 + (size_t) idx * 3 + (size_t) seed) % 58);
    //  keep it printable and free of NULs; 'A'+57 = 'z'
    field[limit] = '\0';
}

static char *
s_make_text(int idx, int seed)
{
    static const char pattern[] = "{\"k\":[1,2,3],\"s\":\"\xc3\xa9t\xc3\xa9\"}";
    size_t len = 300 + (size_t) idx * 17 + (size_t) seed;
    char *text = malloc(len + 1);
    assert_non_null(text);
    for (size_t j = 0; j < len; j++)
        text[j] = pattern[(j + (size_t) idx) % (sizeof(pattern) - 1)];
    text[len] = '\0';
    return text;
}

//  variant 0: every BOOL true; variant 1: alternating; variant 2: extremes
#define FILL_I64(n, s) \
    m->n = variant == 2 ? ((idx % 2) ? INT64_MIN : INT64_MAX) \
                        : INT64_C(-0x123456789ABC) * (idx + 1) - seed; idx++;
#define FILL_F64(n, s) \
    m->n = variant == 2 ? ((idx % 2) ? -1.0e308 : 4.9e-324) \
                        : -1234.5625 * (double) (idx + 1) + seed; idx++;
#define FILL_BOOL(n, s) m->n = variant == 1 ? (idx % 2) == 0 : true; idx++;
#define FILL_STR(n, s) s_fill_str(m->n, sizeof(m->n), (s), idx, seed); idx++;
#define FILL_TEXT(n, s) free(m->n); m->n = s_make_text(idx, seed); idx++;
#define FILL(kind, n, s) FILL_##kind(n, s)

static void
s_fill(cp_msg_t *msg, int variant, int seed)
{
    int idx = 0;
    switch (msg->type) {
#define M_FILL(E, name, FIELDS) \
    case CP_MSG_##E: { cp_msg_##name##_t *m = &msg->u.name; FIELDS(FILL) } break;
        CP_MESSAGE_CATALOG(M_FILL)
#undef M_FILL
    default:
        fail();
    }
    assert_true(idx > 0);
}

#define CMP_I64(n, s) \
    if (a->n != b->n) fail_msg("%s.%s: %lld != %lld", tn, #n, (long long) a->n, (long long) b->n);
#define CMP_F64(n, s) \
    if (memcmp(&a->n, &b->n, sizeof(double)) != 0) fail_msg("%s.%s: %g != %g", tn, #n, a->n, b->n);
#define CMP_BOOL(n, s) \
    if (a->n != b->n) fail_msg("%s.%s: bool differs", tn, #n);
#define CMP_STR(n, s) \
    if (strcmp(a->n, b->n) != 0) fail_msg("%s.%s: '%s' != '%s'", tn, #n, a->n, b->n);
#define CMP_TEXT(n, s) \
    if (!a->n || !b->n) { if (a->n != b->n) fail_msg("%s.%s: NULL vs non-NULL", tn, #n); } \
    else if (strcmp(a->n, b->n) != 0) fail_msg("%s.%s: text differs", tn, #n);
#define CMP(kind, n, s) CMP_##kind(n, s)

static void
s_assert_equal(const cp_msg_t *x, const cp_msg_t *y)
{
    assert_int_equal(x->type, y->type);
    const char *tn = cp_msg_type_name(x->type);
    switch (x->type) {
#define M_CMP(E, name, FIELDS) \
    case CP_MSG_##E: { const cp_msg_##name##_t *a = &x->u.name, *b = &y->u.name; FIELDS(CMP) } break;
        CP_MESSAGE_CATALOG(M_CMP)
#undef M_CMP
    default:
        fail();
    }
}

static cp_msg_t *
s_decode(const void *data, size_t size, char *why, size_t why_size)
{
    //  An exactly-sized copy, so that ASan flags any read past the end.
    void *copy = malloc(size ? size : 1);
    assert_non_null(copy);
    if (size)
        memcpy(copy, data, size);
    cp_msg_t *msg = cp_msg_decode(copy, size, why, why_size);
    free(copy);
    return msg;
}

static void
s_assert_rejected(const void *data, size_t size, const char *what)
{
    char why[128];
    memset(why, 'x', sizeof(why));
    cp_msg_t *msg = s_decode(data, size, why, sizeof(why));
    if (msg) {
        cp_msg_destroy(&msg);
        fail_msg("decode accepted %s", what);
    }
    //  a reason is always given, and it is a terminated string
    assert_non_null(memchr(why, '\0', sizeof(why)));
    if (why[0] == '\0')
        fail_msg("no reason given for %s", what);
}

static cp_msg_t *
s_new_filled(cp_msg_type_t type, int variant, int seed)
{
    cp_msg_t *msg = cp_msg_new(type);
    assert_non_null(msg);
    s_fill(msg, variant, seed);
    return msg;
}

//  --------------------------------------------------------------------------
//  Hand-crafted wire forms

typedef enum {
    SUB_NONE, SUB_STR, SUB_STR_NUL, SUB_INT, SUB_INT_NEG, SUB_UINT_BIG, SUB_TRUE, SUB_FALSE,
    SUB_NIL, SUB_DOUBLE, SUB_FLOAT, SUB_ARRAY0, SUB_ARRAY1, SUB_MAP0, SUB_MAP1, SUB_BIN,
    SUB_EXT, SUB_STR_LEN
} sub_t;

typedef struct {
    int target;             //  -1 none; 0 the type name; 1.. field index + 1
    sub_t sub;
    size_t len;             //  SUB_STR_LEN: length of an 'x' string
    const char *name;       //  override of the type name, when set
    int extra;              //  elements added (> 0) or removed (< 0) at the end
} craft_t;

static void
s_pack_sub(msgpack_packer *pk, const craft_t *c)
{
    switch (c->sub) {
        case SUB_STR:      msgpack_pack_str(pk, 3); msgpack_pack_str_body(pk, "abc", 3); break;
        case SUB_STR_NUL:  msgpack_pack_str(pk, 3); msgpack_pack_str_body(pk, "a\0c", 3); break;
        case SUB_INT:      msgpack_pack_int64(pk, 1); break;
        case SUB_INT_NEG:  msgpack_pack_int64(pk, -5); break;
        case SUB_UINT_BIG: msgpack_pack_uint64(pk, UINT64_MAX); break;
        case SUB_TRUE:     msgpack_pack_true(pk); break;
        case SUB_FALSE:    msgpack_pack_false(pk); break;
        case SUB_NIL:      msgpack_pack_nil(pk); break;
        case SUB_DOUBLE:   msgpack_pack_double(pk, 1.5); break;
        case SUB_FLOAT:    msgpack_pack_float(pk, 2.5f); break;
        case SUB_ARRAY0:   msgpack_pack_array(pk, 0); break;
        case SUB_ARRAY1:   msgpack_pack_array(pk, 1); msgpack_pack_int64(pk, 1); break;
        case SUB_MAP0:     msgpack_pack_map(pk, 0); break;
        case SUB_MAP1:     msgpack_pack_map(pk, 1); msgpack_pack_int64(pk, 1);
                           msgpack_pack_int64(pk, 2); break;
        case SUB_BIN:      msgpack_pack_bin(pk, 3); msgpack_pack_bin_body(pk, "abc", 3); break;
        case SUB_EXT:      msgpack_pack_ext(pk, 3, 7); msgpack_pack_ext_body(pk, "abc", 3); break;
        case SUB_STR_LEN: {
            char *s = malloc(c->len + 1);
            assert_non_null(s);
            memset(s, 'x', c->len);
            msgpack_pack_str(pk, c->len);
            msgpack_pack_str_body(pk, s, c->len);
            free(s);
            break;
        }
        case SUB_NONE:
            fail();
    }
}

static void
s_pack_field(msgpack_packer *pk, cp_msg_t *msg, const field_info_t *fi)
{
    void *p = s_at(msg, fi);
    switch (fi->kind) {
        case K_I64: msgpack_pack_int64(pk, *(int64_t *) p); break;
        case K_F64: msgpack_pack_double(pk, *(double *) p); break;
        case K_BOOL: if (*(bool *) p) msgpack_pack_true(pk); else msgpack_pack_false(pk); break;
        case K_STR: {
            size_t len = strlen(p);
            msgpack_pack_str(pk, len);
            msgpack_pack_str_body(pk, p, len);
            break;
        }
        case K_TEXT: {
            const char *t = *(char **) p;
            if (!t)
                msgpack_pack_nil(pk);
            else {
                msgpack_pack_str(pk, strlen(t));
                msgpack_pack_str_body(pk, t, strlen(t));
            }
            break;
        }
    }
}

//  Encode msg the way the wire form is documented ([name, fields...]),
//  with the changes described by c. Caller frees *data.
static void
s_craft(cp_msg_t *msg, const craft_t *c, char **data, size_t *size)
{
    field_info_t fields[MAX_FIELDS];
    size_t count = s_fields(msg->type, fields);
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    size_t elements = 1 + count;
    if (c->extra < 0)
        elements -= (size_t) -c->extra;
    else
        elements += (size_t) c->extra;
    msgpack_pack_array(&pk, elements);
    size_t written = 0;
    if (written < elements) {
        if (c->target == 0)
            s_pack_sub(&pk, c);
        else {
            const char *name = c->name ? c->name : cp_msg_type_name(msg->type);
            msgpack_pack_str(&pk, strlen(name));
            msgpack_pack_str_body(&pk, name, strlen(name));
        }
        written++;
    }
    for (size_t i = 0; i < count && written < elements; i++, written++) {
        if (c->target == (int) i + 1)
            s_pack_sub(&pk, c);
        else
            s_pack_field(&pk, msg, &fields[i]);
    }
    while (written < elements) {
        msgpack_pack_int64(&pk, 42);
        written++;
    }
    *size = sbuf.size;
    *data = msgpack_sbuffer_release(&sbuf);
}

static void
s_encode(const cp_msg_t *msg, char **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    assert_int_equal(cp_msg_encode(msg, data, size), 0);
    assert_non_null(*data);
    assert_true(*size > 0 && *size <= CP_MSG_MAX_BYTES);
}

//  --------------------------------------------------------------------------
//  Types and construction

static void
test_type_names(void **state)
{
    assert_string_equal(cp_msg_type_name(CP_MSG_NONE), "?");
    assert_string_equal(cp_msg_type_name(CP_MSG_COUNT), "?");
    assert_string_equal(cp_msg_type_name((cp_msg_type_t) -1), "?");
    assert_string_equal(cp_msg_type_name((cp_msg_type_t) 1000), "?");
#define M_NAME(E, name, FIELDS) assert_string_equal(cp_msg_type_name(CP_MSG_##E), #name);
    CP_MESSAGE_CATALOG(M_NAME)
#undef M_NAME
    for (int t = CP_MSG_NONE + 1; t < CP_MSG_COUNT; t++)
        for (int u = t + 1; u < CP_MSG_COUNT; u++)
            assert_string_not_equal(cp_msg_type_name(t), cp_msg_type_name(u));
}

static void
test_new_zeroed(void **state)
{
    for (int t = CP_MSG_NONE + 1; t < CP_MSG_COUNT; t++) {
        cp_msg_t *msg = cp_msg_new((cp_msg_type_t) t);
        assert_non_null(msg);
        assert_int_equal(msg->type, t);
        field_info_t fields[MAX_FIELDS];
        size_t count = s_fields(msg->type, fields);
        assert_true(count >= 1);
        for (size_t i = 0; i < count; i++) {
            unsigned char zero[1024] = { 0 };
            assert_true(fields[i].size <= sizeof(zero));
            assert_memory_equal(s_at(msg, &fields[i]), zero, fields[i].size);
            if (fields[i].kind == K_STR)
                assert_int_equal(fields[i].size, fields[i].limit + 1);
        }
        cp_msg_destroy(&msg);
        assert_null(msg);
        cp_msg_destroy(&msg);       //  destroying NULL is harmless
    }
}

//  --------------------------------------------------------------------------
//  Round trips

static void
test_roundtrip_every_type(void **state)
{
    int types = 0;
    for (int t = CP_MSG_NONE + 1; t < CP_MSG_COUNT; t++, types++) {
        for (int variant = 0; variant < 3; variant++) {
            cp_msg_t *msg = s_new_filled((cp_msg_type_t) t, variant, t);
            char *data;
            size_t size;
            s_encode(msg, &data, &size);

            //  The wire form is exactly [name, fields in declaration order].
            craft_t plain = { .target = -1 };
            char *crafted;
            size_t crafted_size;
            s_craft(msg, &plain, &crafted, &crafted_size);
            assert_int_equal(crafted_size, size);
            assert_memory_equal(crafted, data, size);
            free(crafted);

            char why[128] = "";
            cp_msg_t *back = s_decode(data, size, why, sizeof(why));
            if (!back)
                fail_msg("%s variant %d: %s", cp_msg_type_name(t), variant, why);
            s_assert_equal(msg, back);

            //  And the decoded copy re-encodes to the same bytes.
            char *again;
            size_t again_size;
            s_encode(back, &again, &again_size);
            assert_int_equal(again_size, size);
            assert_memory_equal(again, data, size);
            free(again);

            //  Non-default: the decoded message differs from a fresh one.
            cp_msg_t *fresh = cp_msg_new((cp_msg_type_t) t);
            field_info_t fields[MAX_FIELDS];
            size_t count = s_fields((cp_msg_type_t) t, fields);
            for (size_t i = 0; i < count; i++) {
                if (variant == 1 && fields[i].kind == K_BOOL)
                    continue;
                if (memcmp(s_at(back, &fields[i]), s_at(fresh, &fields[i]), fields[i].size) == 0)
                    fail_msg("%s.%s still holds its default", cp_msg_type_name(t), fields[i].name);
            }
            cp_msg_destroy(&fresh);
            cp_msg_destroy(&back);
            cp_msg_destroy(&msg);
            free(data);
        }
    }
    assert_int_equal(types, CP_MSG_COUNT - 1);
}

//  Bools alternate in variant 1; flip the phase too so each bool is seen
//  both true and false after a round trip.
static void
test_roundtrip_bools_false(void **state)
{
    for (int t = CP_MSG_NONE + 1; t < CP_MSG_COUNT; t++) {
        cp_msg_t *msg = s_new_filled((cp_msg_type_t) t, 0, 3);
        field_info_t fields[MAX_FIELDS];
        size_t count = s_fields(msg->type, fields);
        for (size_t i = 0; i < count; i++)
            if (fields[i].kind == K_BOOL)
                *(bool *) s_at(msg, &fields[i]) = false;
        char *data;
        size_t size;
        s_encode(msg, &data, &size);
        cp_msg_t *back = s_decode(data, size, NULL, 0);
        assert_non_null(back);
        s_assert_equal(msg, back);
        cp_msg_destroy(&back);
        cp_msg_destroy(&msg);
        free(data);
    }
}

static void
test_roundtrip_special_values(void **state)
{
    const double specials[] = { 0.0, -0.0, INFINITY, -INFINITY, 1e-310, 3.141592653589793 };
    for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
        cp_msg_t *msg = cp_msg_new(CP_MSG_HW_COMMAND);
        msg->u.hw_command.value = specials[k];
        msg->u.hw_command.connector = -1;
        cp_msg_set_str(msg->u.hw_command.command, "offer");
        cp_msg_set_str(msg->u.hw_command.arg, "");
        char *data;
        size_t size;
        s_encode(msg, &data, &size);
        cp_msg_t *back = s_decode(data, size, NULL, 0);
        assert_non_null(back);
        s_assert_equal(msg, back);
        cp_msg_destroy(&back);
        cp_msg_destroy(&msg);
        free(data);
    }
    cp_msg_t *msg = cp_msg_new(CP_MSG_HW_COMMAND);
    msg->u.hw_command.value = NAN;
    char *data;
    size_t size;
    s_encode(msg, &data, &size);
    cp_msg_t *back = s_decode(data, size, NULL, 0);
    assert_non_null(back);
    assert_true(isnan(back->u.hw_command.value));
    cp_msg_destroy(&back);
    cp_msg_destroy(&msg);
    free(data);
}

static void
test_roundtrip_text_null(void **state)
{
    int seen = 0;
    for (int t = CP_MSG_NONE + 1; t < CP_MSG_COUNT; t++) {
        field_info_t fields[MAX_FIELDS];
        size_t count = s_fields((cp_msg_type_t) t, fields);
        for (size_t i = 0; i < count; i++) {
            if (fields[i].kind != K_TEXT)
                continue;
            seen++;
            cp_msg_t *msg = s_new_filled((cp_msg_type_t) t, 0, 1);
            char **text = s_at(msg, &fields[i]);
            assert_int_equal(cp_msg_set_text(text, NULL), 0);
            assert_null(*text);
            char *data;
            size_t size;
            s_encode(msg, &data, &size);
            cp_msg_t *back = s_decode(data, size, NULL, 0);
            assert_non_null(back);
            assert_null(*(char **) s_at(back, &fields[i]));
            s_assert_equal(msg, back);
            cp_msg_destroy(&back);

            //  An empty TEXT is not NULL: it stays "".
            assert_int_equal(cp_msg_set_text(text, ""), 0);
            assert_non_null(*text);
            free(data);
            s_encode(msg, &data, &size);
            back = s_decode(data, size, NULL, 0);
            assert_non_null(back);
            assert_non_null(*(char **) s_at(back, &fields[i]));
            assert_string_equal(*(char **) s_at(back, &fields[i]), "");
            cp_msg_destroy(&back);
            cp_msg_destroy(&msg);
            free(data);
        }
    }
    assert_true(seen >= 1);
}

static void
test_text_limits(void **state)
{
    char *big = malloc(CP_MSG_TEXT_MAX + 2);
    assert_non_null(big);
    memset(big, 'j', CP_MSG_TEXT_MAX + 1);
    big[CP_MSG_TEXT_MAX + 1] = '\0';

    //  set_text: one over is refused and leaves the field as it was
    cp_msg_t *msg = cp_msg_new(CP_MSG_OCPP_CALL);
    assert_int_equal(cp_msg_set_text(&msg->u.ocpp_call.payload, "old"), 0);
    assert_int_equal(cp_msg_set_text(&msg->u.ocpp_call.payload, big), -1);
    assert_string_equal(msg->u.ocpp_call.payload, "old");
    //  set_text copies
    char local[] = "copied";
    assert_int_equal(cp_msg_set_text(&msg->u.ocpp_call.payload, local), 0);
    local[0] = 'X';
    assert_string_equal(msg->u.ocpp_call.payload, "copied");

    //  exactly the maximum round-trips
    big[CP_MSG_TEXT_MAX] = '\0';
    assert_int_equal(cp_msg_set_text(&msg->u.ocpp_call.payload, big), 0);
    cp_msg_set_str(msg->u.ocpp_call.action, "DataTransfer");
    char *data;
    size_t size;
    s_encode(msg, &data, &size);
    cp_msg_t *back = s_decode(data, size, NULL, 0);
    assert_non_null(back);
    assert_int_equal(strlen(back->u.ocpp_call.payload), CP_MSG_TEXT_MAX);
    s_assert_equal(msg, back);
    cp_msg_destroy(&back);
    free(data);

    //  one over (bypassing set_text) fails to encode and allocates nothing
    big[CP_MSG_TEXT_MAX] = 'j';
    free(msg->u.ocpp_call.payload);
    msg->u.ocpp_call.payload = big;
    char *sentinel = (char *) "untouched";
    data = sentinel;
    size = 7;
    assert_int_equal(cp_msg_encode(msg, &data, &size), -1);
    assert_ptr_equal(data, sentinel);

    //  and one over on the wire fails to decode
    craft_t c = { .target = 2, .sub = SUB_STR_LEN, .len = CP_MSG_TEXT_MAX + 1 };
    msg->u.ocpp_call.payload = NULL;
    s_craft(msg, &c, &data, &size);
    s_assert_rejected(data, size, "TEXT one over the limit");
    free(data);
    c.len = CP_MSG_TEXT_MAX;
    s_craft(msg, &c, &data, &size);
    back = s_decode(data, size, NULL, 0);
    assert_non_null(back);
    assert_int_equal(strlen(back->u.ocpp_call.payload), CP_MSG_TEXT_MAX);
    cp_msg_destroy(&back);
    free(data);

    msg->u.ocpp_call.payload = big;
    cp_msg_destroy(&msg);           //  frees big
}

//  STR fields: the maximum passes (the round trip above fills every STR to
//  it); one over fails to encode. A char[size + 1] cannot hold one over
//  legally, so it is forged the way a careless memcpy would: every byte of
//  the member non-NUL, the next byte of the (zeroed) message NUL.
static void
test_str_limits_encode(void **state)
{
    int seen = 0;
    for (int t = CP_MSG_NONE + 1; t < CP_MSG_COUNT; t++) {
        field_info_t fields[MAX_FIELDS];
        size_t count = s_fields((cp_msg_type_t) t, fields);
        for (size_t i = 0; i < count; i++) {
            if (fields[i].kind != K_STR)
                continue;
            seen++;
            //  room after the message so the forged string ends inside our memory
            unsigned char *box = calloc(1, sizeof(cp_msg_t) + 16);
            assert_non_null(box);
            cp_msg_t *msg = (cp_msg_t *) box;
            msg->type = (cp_msg_type_t) t;
            char *field = s_at(msg, &fields[i]);

            memset(field, 's', fields[i].limit);        //  exactly the maximum
            char *data = NULL;
            size_t size = 0;
            assert_int_equal(cp_msg_encode(msg, &data, &size), 0);
            cp_msg_t *back = s_decode(data, size, NULL, 0);
            assert_non_null(back);
            assert_int_equal(strlen(s_at(back, &fields[i])), fields[i].limit);
            cp_msg_destroy(&back);
            free(data);

            memset(field, 's', fields[i].limit + 1);    //  one over
            assert_int_equal(strlen(field), fields[i].limit + 1);
            data = NULL;
            if (cp_msg_encode(msg, &data, &size) != -1)
                fail_msg("%s.%s: encoded %zu bytes into a %zu-byte field",
                         cp_msg_type_name(t), fields[i].name, fields[i].limit + 1, fields[i].limit);
            assert_null(data);
            free(box);
        }
    }
    assert_true(seen >= 10);
}

static void
test_str_limits_decode(void **state)
{
    for (int t = CP_MSG_NONE + 1; t < CP_MSG_COUNT; t++) {
        field_info_t fields[MAX_FIELDS];
        size_t count = s_fields((cp_msg_type_t) t, fields);
        cp_msg_t *msg = s_new_filled((cp_msg_type_t) t, 0, 5);
        for (size_t i = 0; i < count; i++) {
            if (fields[i].kind != K_STR)
                continue;
            craft_t c = { .target = (int) i + 1, .sub = SUB_STR_LEN, .len = fields[i].limit };
            char *data;
            size_t size;
            s_craft(msg, &c, &data, &size);
            cp_msg_t *back = s_decode(data, size, NULL, 0);
            assert_non_null(back);
            assert_int_equal(strlen(s_at(back, &fields[i])), fields[i].limit);
            cp_msg_destroy(&back);
            free(data);

            c.len = fields[i].limit + 1;
            s_craft(msg, &c, &data, &size);
            s_assert_rejected(data, size, "STR one over its limit");
            free(data);

            c.len = fields[i].limit + 1000;
            s_craft(msg, &c, &data, &size);
            s_assert_rejected(data, size, "STR far over its limit");
            free(data);

            c.len = 0;
            s_craft(msg, &c, &data, &size);
            back = s_decode(data, size, NULL, 0);
            assert_non_null(back);
            assert_string_equal(s_at(back, &fields[i]), "");
            cp_msg_destroy(&back);
            free(data);
        }
        cp_msg_destroy(&msg);
    }
}

static void
test_copy_str(void **state)
{
    char field[6];
    memset(field, '#', sizeof(field));
    assert_int_equal(cp_msg_copy_str(field, sizeof(field), "abcde"), 0);
    assert_string_equal(field, "abcde");
    assert_int_equal(cp_msg_copy_str(field, sizeof(field), "abcdef"), -1);
    assert_string_equal(field, "abcde");            //  truncated, terminated
    assert_int_equal(cp_msg_copy_str(field, sizeof(field), NULL), 0);
    assert_string_equal(field, "");
    cp_msg_t *msg = cp_msg_new(CP_MSG_HW_CONNECTOR);
    assert_int_equal(cp_msg_set_str(msg->u.hw_connector.pilot, "C"), 0);
    assert_int_equal(cp_msg_set_str(msg->u.hw_connector.pilot, "CD"), -1);
    assert_string_equal(msg->u.hw_connector.pilot, "C");
    cp_msg_destroy(&msg);
}

//  --------------------------------------------------------------------------
//  Decoder: structural rejections

static void
test_decode_empty(void **state)
{
    char why[64] = "";
    assert_null(cp_msg_decode("", 0, why, sizeof(why)));
    assert_true(why[0] != '\0');
    assert_null(cp_msg_decode(NULL, 0, why, sizeof(why)));
    assert_null(cp_msg_decode(NULL, 10, why, sizeof(why)));
    //  why is optional, and a tiny why is still terminated
    assert_null(cp_msg_decode("", 0, NULL, 0));
    char tiny[3] = { 'a', 'b', 'c' };
    assert_null(cp_msg_decode("\x91", 1, tiny, sizeof(tiny)));
    assert_non_null(memchr(tiny, '\0', sizeof(tiny)));
    //  an empty array and a lone nil
    s_assert_rejected("\x90", 1, "empty array");
    s_assert_rejected("\xc0", 1, "nil");
    s_assert_rejected("\xdc\x00\x00", 3, "empty array16");
}

static void
test_decode_truncations(void **state)
{
    for (int t = CP_MSG_NONE + 1; t < CP_MSG_COUNT; t++) {
        cp_msg_t *msg = s_new_filled((cp_msg_type_t) t, 1, 9);
        char *data;
        size_t size;
        s_encode(msg, &data, &size);
        for (size_t len = 0; len < size; len++) {
            char what[64];
            snprintf(what, sizeof(what), "%s cut to %zu of %zu", cp_msg_type_name(t), len, size);
            s_assert_rejected(data, len, what);
        }
        //  The whole thing still decodes.
        cp_msg_t *back = s_decode(data, size, NULL, 0);
        assert_non_null(back);
        cp_msg_destroy(&back);
        cp_msg_destroy(&msg);
        free(data);
    }
}

static void
test_decode_trailing(void **state)
{
    for (int t = CP_MSG_NONE + 1; t < CP_MSG_COUNT; t++) {
        cp_msg_t *msg = s_new_filled((cp_msg_type_t) t, 0, 2);
        char *data;
        size_t size;
        s_encode(msg, &data, &size);
        char *longer = malloc(2 * size);
        assert_non_null(longer);
        memcpy(longer, data, size);
        longer[size] = '\0';
        s_assert_rejected(longer, size + 1, "one trailing byte");
        longer[size] = (char) 0xc0;
        s_assert_rejected(longer, size + 1, "a trailing nil");
        memcpy(longer + size, data, size);
        s_assert_rejected(longer, 2 * size, "two messages in one buffer");
        char why[128];
        assert_null(s_decode(longer, size + 1, why, sizeof(why)));
        assert_non_null(strstr(why, "trailing"));
        free(longer);
        cp_msg_destroy(&msg);
        free(data);
    }
}

static void
test_decode_oversized(void **state)
{
    //  A well-formed message just over the limit: [ "ocpp_call", str, str ]
    //  with a payload that makes the total CP_MSG_MAX_BYTES + 1.
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_str(&pk, 9);
    msgpack_pack_str_body(&pk, "ocpp_call", 9);
    msgpack_pack_str(&pk, 1);
    msgpack_pack_str_body(&pk, "A", 1);
    size_t head = sbuf.size + 5;                    //  str32 header
    size_t len = CP_MSG_MAX_BYTES + 1 - head;
    char *body = malloc(len);
    assert_non_null(body);
    memset(body, 'p', len);
    msgpack_pack_str(&pk, len);
    msgpack_pack_str_body(&pk, body, len);
    free(body);
    assert_int_equal(sbuf.size, CP_MSG_MAX_BYTES + 1);
    char why[128] = "";
    cp_msg_t *msg = s_decode(sbuf.data, sbuf.size, why, sizeof(why));
    assert_null(msg);
    assert_non_null(strstr(why, "oversized"));
    //  huge sizes are refused before any byte is read
    assert_null(cp_msg_decode(sbuf.data, SIZE_MAX, why, sizeof(why)));
    assert_null(cp_msg_decode(sbuf.data, (size_t) CP_MSG_MAX_BYTES * 4, why, sizeof(why)));
    assert_non_null(strstr(why, "oversized"));
    msgpack_sbuffer_destroy(&sbuf);
}

static void
test_decode_type_name(void **state)
{
    cp_msg_t *msg = s_new_filled(CP_MSG_REPLY, 0, 1);
    const char *bad_names[] = { "", "rep", "replyx", "REPLY", "reply ", " reply", "?", "none",
                                "hw_connectorr" };
    for (size_t k = 0; k < sizeof(bad_names) / sizeof(bad_names[0]); k++) {
        craft_t c = { .target = -1, .name = bad_names[k] };
        char *data;
        size_t size;
        s_craft(msg, &c, &data, &size);
        char why[128] = "";
        assert_null(s_decode(data, size, why, sizeof(why)));
        if (!strstr(why, "unknown") && !strstr(why, "fields"))
            fail_msg("name '%s': unexpected reason '%s'", bad_names[k], why);
        free(data);
    }
    //  the name as every non-string kind, and with an embedded NUL
    const sub_t subs[] = { SUB_STR_NUL, SUB_INT, SUB_NIL, SUB_TRUE, SUB_DOUBLE, SUB_ARRAY0,
                           SUB_MAP0, SUB_BIN, SUB_EXT };
    for (size_t k = 0; k < sizeof(subs) / sizeof(subs[0]); k++) {
        craft_t c = { .target = 0, .sub = subs[k] };
        char *data;
        size_t size;
        s_craft(msg, &c, &data, &size);
        s_assert_rejected(data, size, "a bad type name");
        free(data);
    }
    //  "reply\0" must not match "reply"
    {
        msgpack_sbuffer sbuf;
        msgpack_sbuffer_init(&sbuf);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 4);
        msgpack_pack_str(&pk, 6);
        msgpack_pack_str_body(&pk, "reply\0", 6);
        msgpack_pack_true(&pk);
        msgpack_pack_int64(&pk, 1);
        msgpack_pack_str(&pk, 0);
        msgpack_pack_str_body(&pk, "", 0);
        s_assert_rejected(sbuf.data, sbuf.size, "type name with a NUL");
        msgpack_sbuffer_destroy(&sbuf);
    }
    //  a name of another type with this type's fields
    craft_t c = { .target = -1, .name = "hw_token" };
    char *data;
    size_t size;
    s_craft(msg, &c, &data, &size);
    s_assert_rejected(data, size, "fields of reply under the name hw_token");
    free(data);
    cp_msg_destroy(&msg);
}

static void
test_decode_field_count(void **state)
{
    for (int t = CP_MSG_NONE + 1; t < CP_MSG_COUNT; t++) {
        field_info_t fields[MAX_FIELDS];
        int count = (int) s_fields((cp_msg_type_t) t, fields);
        cp_msg_t *msg = s_new_filled((cp_msg_type_t) t, 0, 4);
        const int extras[] = { -count, -1, 1, 2, 64 - count };
        for (size_t k = 0; k < sizeof(extras) / sizeof(extras[0]); k++) {
            craft_t c = { .target = -1, .extra = extras[k] };
            char *data;
            size_t size;
            s_craft(msg, &c, &data, &size);
            char what[64];
            snprintf(what, sizeof(what), "%s with %d extra fields", cp_msg_type_name(t), extras[k]);
            s_assert_rejected(data, size, what);
            free(data);
        }
        cp_msg_destroy(&msg);
    }
}

//  Every field of every type, replaced by each wrong kind of value.
static void
test_decode_wrong_types(void **state)
{
    static const sub_t for_i64[] = { SUB_STR, SUB_STR_NUL, SUB_UINT_BIG, SUB_TRUE, SUB_FALSE,
        SUB_NIL, SUB_DOUBLE, SUB_FLOAT, SUB_ARRAY0, SUB_ARRAY1, SUB_MAP0, SUB_MAP1, SUB_BIN, SUB_EXT };
    static const sub_t for_f64[] = { SUB_STR, SUB_STR_NUL, SUB_UINT_BIG, SUB_TRUE, SUB_FALSE,
        SUB_NIL, SUB_ARRAY0, SUB_ARRAY1, SUB_MAP0, SUB_MAP1, SUB_BIN, SUB_EXT };
    static const sub_t for_bool[] = { SUB_STR, SUB_STR_NUL, SUB_INT, SUB_INT_NEG, SUB_UINT_BIG,
        SUB_NIL, SUB_DOUBLE, SUB_FLOAT, SUB_ARRAY0, SUB_ARRAY1, SUB_MAP0, SUB_MAP1, SUB_BIN, SUB_EXT };
    static const sub_t for_str[] = { SUB_STR_NUL, SUB_INT, SUB_INT_NEG, SUB_UINT_BIG, SUB_TRUE,
        SUB_FALSE, SUB_NIL, SUB_DOUBLE, SUB_FLOAT, SUB_ARRAY0, SUB_ARRAY1, SUB_MAP0, SUB_MAP1,
        SUB_BIN, SUB_EXT };
    static const sub_t for_text[] = { SUB_STR_NUL, SUB_INT, SUB_INT_NEG, SUB_UINT_BIG, SUB_TRUE,
        SUB_FALSE, SUB_DOUBLE, SUB_FLOAT, SUB_ARRAY0, SUB_ARRAY1, SUB_MAP0, SUB_MAP1, SUB_BIN, SUB_EXT };
    struct { const sub_t *subs; size_t n; } table[] = {
        [K_I64] = { for_i64, sizeof(for_i64) / sizeof(for_i64[0]) },
        [K_F64] = { for_f64, sizeof(for_f64) / sizeof(for_f64[0]) },
        [K_BOOL] = { for_bool, sizeof(for_bool) / sizeof(for_bool[0]) },
        [K_STR] = { for_str, sizeof(for_str) / sizeof(for_str[0]) },
        [K_TEXT] = { for_text, sizeof(for_text) / sizeof(for_text[0]) },
    };
    int cases = 0;
    for (int t = CP_MSG_NONE + 1; t < CP_MSG_COUNT; t++) {
        field_info_t fields[MAX_FIELDS];
        size_t count = s_fields((cp_msg_type_t) t, fields);
        cp_msg_t *msg = s_new_filled((cp_msg_type_t) t, 0, 6);
        for (size_t i = 0; i < count; i++) {
            for (size_t k = 0; k < table[fields[i].kind].n; k++) {
                sub_t sub = table[fields[i].kind].subs[k];
                craft_t c = { .target = (int) i + 1, .sub = sub };
                char *data;
                size_t size;
                s_craft(msg, &c, &data, &size);
                char what[96];
                snprintf(what, sizeof(what), "%s.%s replaced by wrong kind #%d",
                         cp_msg_type_name(t), fields[i].name, (int) sub);
                s_assert_rejected(data, size, what);
                free(data);
                cases++;
            }
        }
        cp_msg_destroy(&msg);
    }
    assert_true(cases > 500);
}

//  What the decoder accepts that is not what the encoder writes: ints and
//  float32 for an F64, nil for a TEXT.
static void
test_decode_lenient_numbers(void **state)
{
    cp_msg_t *msg = s_new_filled(CP_MSG_HW_COMMAND, 0, 0);
    craft_t c = { .target = 4, .sub = SUB_INT_NEG };
    char *data;
    size_t size;
    s_craft(msg, &c, &data, &size);
    cp_msg_t *back = s_decode(data, size, NULL, 0);
    assert_non_null(back);
    assert_true(back->u.hw_command.value == -5.0);
    cp_msg_destroy(&back);
    free(data);
    c.sub = SUB_FLOAT;
    s_craft(msg, &c, &data, &size);
    back = s_decode(data, size, NULL, 0);
    assert_non_null(back);
    assert_true(back->u.hw_command.value == 2.5);
    cp_msg_destroy(&back);
    free(data);
    //  small positive ints in an I64 (positive fixint / uint8)
    c.target = 1;
    c.sub = SUB_INT;
    s_craft(msg, &c, &data, &size);
    back = s_decode(data, size, NULL, 0);
    assert_non_null(back);
    assert_int_equal(back->u.hw_command.connector, 1);
    cp_msg_destroy(&back);
    free(data);
    cp_msg_destroy(&msg);
}

static void
s_raw_rejected(const unsigned char *bytes, size_t size, const char *what)
{
    s_assert_rejected(bytes, size, what);
}

//  Forged length headers: nothing may be allocated or read for them.
static void
test_decode_forged_headers(void **state)
{
    //  array32 claiming 0xFFFFFFFF elements, with and without a body
    const unsigned char a32[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0xa5, 'r', 'e', 'p', 'l', 'y' };
    s_raw_rejected(a32, sizeof(a32), "array32 of 4G elements");
    s_raw_rejected(a32, 5, "bare array32 of 4G elements");
    const unsigned char a32small[] = { 0xdd, 0x00, 0x00, 0x00, 0x01, 0xc0 };
    s_raw_rejected(a32small, sizeof(a32small), "array32 of one nil");
    //  array16 claiming 65535
    const unsigned char a16[] = { 0xdc, 0xff, 0xff, 0xa5, 'r', 'e', 'p', 'l', 'y', 0xc3 };
    s_raw_rejected(a16, sizeof(a16), "array16 of 65535 elements");
    s_raw_rejected(a16, 2, "truncated array16 header");
    //  top-level map32 of 4G pairs, str, bin, ext, nested array
    const unsigned char m32[] = { 0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0 };
    s_raw_rejected(m32, sizeof(m32), "map32 of 4G pairs");
    const unsigned char top_str[] = { 0xa5, 'r', 'e', 'p', 'l', 'y' };
    s_raw_rejected(top_str, sizeof(top_str), "a bare string");
    const unsigned char nested[] = { 0x91, 0x91, 0xa5, 'r', 'e', 'p', 'l', 'y' };
    s_raw_rejected(nested, sizeof(nested), "array inside array");

    //  reply = [name, bool, int, str]; forge the last field's header
    const unsigned char prefix[] = { 0x94, 0xa5, 'r', 'e', 'p', 'l', 'y', 0xc3, 0x07 };
    struct { unsigned char tail[16]; size_t n; const char *what; } cases[] = {
        { { 0xdb, 0xff, 0xff, 0xff, 0xff, 'a', 'b' }, 7, "str32 claiming 4 GB" },
        { { 0xdb, 0x80, 0x00, 0x00, 0x00 }, 5, "str32 claiming 2 GB, no body" },
        { { 0xdb, 0x00, 0x00, 0x00, 0x03, 'a', 'b' }, 7, "str32 one byte short" },
        { { 0xda, 0xff, 0xff, 'a' }, 4, "str16 claiming 64 KB" },
        { { 0xda, 0x00 }, 2, "str16 with a cut header" },
        { { 0xd9, 0x05, 'a', 'b' }, 4, "str8 claiming 5, 2 present" },
        { { 0xd9 }, 1, "str8 with no length" },
        { { 0xbf, 'a' }, 2, "fixstr claiming 31, 1 present" },
        { { 0xc6, 0xff, 0xff, 0xff, 0xff, 'a' }, 6, "bin32 claiming 4 GB" },
        { { 0xc4, 0x01, 'a' }, 3, "bin8" },
        { { 0xc5, 0x00, 0x01, 'a' }, 4, "bin16" },
        { { 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01, 'a' }, 7, "ext32 claiming 4 GB" },
        { { 0xd4, 0x01, 'a' }, 3, "fixext1" },
        { { 0xc7, 0x01, 0x01, 'a' }, 4, "ext8" },
        { { 0xdd, 0xff, 0xff, 0xff, 0xff }, 5, "array32 field claiming 4G" },
        { { 0xdf, 0xff, 0xff, 0xff, 0xff }, 5, "map32 field claiming 4G" },
        { { 0x90 }, 1, "empty array field" },
        { { 0x80 }, 1, "empty map field" },
        { { 0xc1 }, 1, "the never-used byte" },
        { { 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 7, "uint64 cut short" },
        { { 0xcb, 0x3f, 0xf0 }, 3, "double cut short" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        unsigned char buf[64];
        memcpy(buf, prefix, sizeof(prefix));
        memcpy(buf + sizeof(prefix), cases[k].tail, cases[k].n);
        s_raw_rejected(buf, sizeof(prefix) + cases[k].n, cases[k].what);
    }
    //  the prefix with a proper last field is valid: the cases fail on their own
    unsigned char ok[sizeof(prefix) + 3];
    memcpy(ok, prefix, sizeof(prefix));
    ok[sizeof(prefix)] = 0xa2;
    ok[sizeof(prefix) + 1] = 'o';
    ok[sizeof(prefix) + 2] = 'k';
    cp_msg_t *msg = s_decode(ok, sizeof(ok), NULL, 0);
    assert_non_null(msg);
    assert_int_equal(msg->type, CP_MSG_REPLY);
    assert_true(msg->u.reply.ok);
    assert_int_equal(msg->u.reply.code, 7);
    assert_string_equal(msg->u.reply.reason, "ok");
    cp_msg_destroy(&msg);
    //  and the same with str8/str16/str32 encodings of "ok", and array16
    const unsigned char str8[] = { 0x94, 0xa5, 'r', 'e', 'p', 'l', 'y', 0xc3, 0x07, 0xd9, 0x02, 'o', 'k' };
    const unsigned char str32[] = { 0xdc, 0x00, 0x04, 0xa5, 'r', 'e', 'p', 'l', 'y', 0xc2, 0xd3,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xdb, 0x00, 0x00, 0x00, 0x02, 'o', 'k' };
    msg = s_decode(str8, sizeof(str8), NULL, 0);
    assert_non_null(msg);
    assert_string_equal(msg->u.reply.reason, "ok");
    cp_msg_destroy(&msg);
    msg = s_decode(str32, sizeof(str32), NULL, 0);
    assert_non_null(msg);
    assert_false(msg->u.reply.ok);
    assert_int_equal(msg->u.reply.code, -2);
    assert_string_equal(msg->u.reply.reason, "ok");
    cp_msg_destroy(&msg);
}

//  --------------------------------------------------------------------------
//  Fuzz: random buffers and random mutations of valid encodings

typedef struct { uint64_t s; } rng_t;

static uint64_t
s_rand(rng_t *r)
{
    //  xorshift64*: deterministic across platforms
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * UINT64_C(2685821657736338717);
}

static void
test_fuzz(void **state)
{
    rng_t rng = { UINT64_C(0x9E3779B97F4A7C15) };
    //  A corpus of valid encodings, one per type and variant.
    enum { CORPUS = (CP_MSG_COUNT - 1) * 2 };
    char *corpus[CORPUS];
    size_t corpus_size[CORPUS];
    size_t n = 0;
    for (int t = CP_MSG_NONE + 1; t < CP_MSG_COUNT; t++)
        for (int variant = 0; variant < 2; variant++) {
            cp_msg_t *msg = cp_msg_new((cp_msg_type_t) t);
            //  short strings keep the mutations dense in headers
            field_info_t fields[MAX_FIELDS];
            size_t count = s_fields(msg->type, fields);
            for (size_t i = 0; i < count; i++) {
                void *p = s_at(msg, &fields[i]);
                switch (fields[i].kind) {
                    case K_I64: *(int64_t *) p = variant ? -300 : 70000; break;
                    case K_F64: *(double *) p = 0.5; break;
                    case K_BOOL: *(bool *) p = variant; break;
                    case K_STR: cp_msg_copy_str(p, fields[i].size, variant ? "" : "x"); break;
                    case K_TEXT: if (variant) cp_msg_set_text(p, "{}"); break;
                }
            }
            s_encode(msg, &corpus[n], &corpus_size[n]);
            n++;
            cp_msg_destroy(&msg);
        }
    assert_int_equal(n, CORPUS);

    //  Interesting bytes: every msgpack header kind.
    static const unsigned char magic[] = { 0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
        0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
        0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde,
        0xdf, 0xe0, 0xff };
    long accepted = 0;
    const long iterations = 200000;
    for (long it = 0; it < iterations; it++) {
        uint64_t r = s_rand(&rng);
        size_t size;
        unsigned char *buf;
        if (it % 4 == 0) {
            //  pure random bytes, biased to start like an array
            size = (size_t) (s_rand(&rng) % 64);
            buf = malloc(size ? size : 1);
            assert_non_null(buf);
            for (size_t j = 0; j < size; j++)
                buf[j] = (unsigned char) s_rand(&rng);
            if (size && (r & 1))
                buf[0] = (unsigned char) (0x90 | (s_rand(&rng) % 16));
        }
        else {
            size_t pick = (size_t) (r % CORPUS);
            size_t base = corpus_size[pick];
            int op = (int) ((r >> 8) % 6);
            size = base;
            if (op == 4)
                size = base + 1 + (size_t) (s_rand(&rng) % 8);       //  append
            else if (op == 5)
                size = (size_t) (s_rand(&rng) % base);                //  truncate
            buf = malloc(size ? size : 1);
            assert_non_null(buf);
            memcpy(buf, corpus[pick], size < base ? size : base);
            for (size_t j = base; j < size; j++)
                buf[j] = magic[s_rand(&rng) % sizeof(magic)];
            int flips = 1 + (int) (s_rand(&rng) % 4);
            for (int f = 0; f < flips && size; f++) {
                size_t at = (size_t) (s_rand(&rng) % size);
                switch (op) {
                    case 0: buf[at] ^= (unsigned char) (1u << (s_rand(&rng) % 8)); break;
                    case 1: buf[at] = (unsigned char) s_rand(&rng); break;
                    case 2: buf[at] = magic[s_rand(&rng) % sizeof(magic)]; break;
                    case 3:
                        //  forge a length: a header byte followed by 0xff
                        buf[at] = magic[s_rand(&rng) % sizeof(magic)];
                        for (size_t j = at + 1; j < size && j < at + 5; j++)
                            buf[j] = 0xff;
                        break;
                    default: break;
                }
            }
        }
        char why[64];
        cp_msg_t *msg = cp_msg_decode(buf, size, why, sizeof(why));
        if (msg) {
            accepted++;
            //  Whatever is accepted is a well-formed message: it re-encodes
            //  and decodes to the same thing.
            assert_true(msg->type > CP_MSG_NONE && msg->type < CP_MSG_COUNT);
            char *data;
            size_t data_size;
            assert_int_equal(cp_msg_encode(msg, &data, &data_size), 0);
            cp_msg_t *again = s_decode(data, data_size, NULL, 0);
            assert_non_null(again);
            s_assert_equal(msg, again);
            cp_msg_destroy(&again);
            free(data);
            cp_msg_destroy(&msg);
        }
        else
            assert_non_null(memchr(why, '\0', sizeof(why)));
        free(buf);
    }
    //  the mutations must exercise the accepting path too, not only refusals
    assert_true(accepted > 100);
    for (size_t k = 0; k < n; k++)
        free(corpus[k]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_new_zeroed),
        cmocka_unit_test(test_roundtrip_every_type),
        cmocka_unit_test(test_roundtrip_bools_false),
        cmocka_unit_test(test_roundtrip_special_values),
        cmocka_unit_test(test_roundtrip_text_null),
        cmocka_unit_test(test_text_limits),
        cmocka_unit_test(test_str_limits_encode),
        cmocka_unit_test(test_str_limits_decode),
        cmocka_unit_test(test_copy_str),
        cmocka_unit_test(test_decode_empty),
        cmocka_unit_test(test_decode_truncations),
        cmocka_unit_test(test_decode_trailing),
        cmocka_unit_test(test_decode_oversized),
        cmocka_unit_test(test_decode_type_name),
        cmocka_unit_test(test_decode_field_count),
        cmocka_unit_test(test_decode_wrong_types),
        cmocka_unit_test(test_decode_lenient_numbers),
        cmocka_unit_test(test_decode_forged_headers),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
