/* schema.c — a JSON-schema (draft-04 subset) interpreter for the official
 * OCPP 1.6 schemas. See schema.h for the contract and the error mapping.
 *
 * Two phases:
 *  - schema_set_new() parses each embedded schema with jansson and compiles
 *    it into node_t trees held in one arena. Keyword lookups, type-name
 *    parsing and $ref resolution happen here, once, so the per-frame walk
 *    only follows pointers and compares. A schema that uses a validation
 *    keyword we do not enforce fails compilation: silently ignoring e.g.
 *    "pattern" would accept frames the CSMS's validator rejects.
 *  - schema_set_validate() walks payload and tree together, depth-capped,
 *    building the error path in a fixed stack buffer (no allocation).
 *
 * Decisions (also documented in schema.h):
 *  - "integer" accepts only JSON integers: 2.0 is a real in jansson and is
 *    rejected (TypeConstraintViolation). OCPP peers send integers as
 *    integers; accepting 2.0 would hand a double to code expecting an int.
 *  - "number" accepts integers and reals.
 *  - maxLength counts Unicode code points (draft-04 defines length in
 *    characters); jansson has already rejected invalid UTF-8.
 *  - multipleOf compares the quotient with its nearest integer using a
 *    relative tolerance of 1e-9: 0.3 / 0.1 is 2.9999999999999996 in binary
 *    floating point and must pass, 16.05 must not.
 *  - "format" is enforced for "date-time" (RFC 3339 5.6, offset mandatory,
 *    'T'/'Z' in either case) and "uri" (RFC 3986 absolute URI, checked at
 *    the character level); any other format fails compilation.
 *  - additionalItems is ignored: draft-04 only honours it when "items" is
 *    an array of schemas, which no OCPP schema uses (and we reject).
 *  - Keywords that apply to one instance type are skipped for the others
 *    (draft-04 semantics), which is why "additionalProperties": false on
 *    the enum strings of the OCPP schemas is harmless.
 */
#include "gateway/schema.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- arena */

/* Every node, property table and name list of a set lives in one arena and
 * is freed at once: the trees are immutable and die together, and the
 * compile error paths need no per-object cleanup. */
#define ARENA_CHUNK 16384

typedef struct chunk {
    struct chunk *next;
    size_t used;
    size_t size;
    max_align_t data[];
} chunk_t;

typedef struct {
    chunk_t *head;
} arena_t;

static void *
arena_alloc(arena_t *arena, size_t size)
{
    const size_t align = _Alignof(max_align_t);
    size = size ? (size + align - 1) & ~(align - 1) : align;
    if (!arena->head || arena->head->size - arena->head->used < size) {
        size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;
        chunk_t *chunk = calloc(1, sizeof *chunk + cap);
        if (!chunk)
            return NULL;
        chunk->size = cap;
        chunk->next = arena->head;
        arena->head = chunk;
    }
    void *p = (char *) arena->head->data + arena->head->used;
    arena->head->used += size;
    return p;   /* zeroed: chunks come from calloc and are never reused */
}

/* A copy of a schema's string in the arena: the parsed document is freed
 * once compiled (its jansson objects were ~200 KB that a running
 * controller kept only for the names the nodes pointed into). */
static const char *
arena_strdup(arena_t *arena, const char *text, size_t len)
{
    char *copy = arena_alloc(arena, len + 1);
    if (copy)
        memcpy(copy, text, len + 1);
    return copy;
}

static void
arena_free(arena_t *arena)
{
    chunk_t *chunk = arena->head;
    while (chunk) {
        chunk_t *next = chunk->next;
        free(chunk);
        chunk = next;
    }
    arena->head = NULL;
}

/* ---------------------------------------------------------------- nodes */

enum {
    TY_NULL = 1u << 0,
    TY_BOOLEAN = 1u << 1,
    TY_INTEGER = 1u << 2,
    TY_NUMBER = 1u << 3,
    TY_STRING = 1u << 4,
    TY_ARRAY = 1u << 5,
    TY_OBJECT = 1u << 6
};

static const struct {
    const char *name;
    unsigned bit;
} s_type_names[] = {
    {"null", TY_NULL},     {"boolean", TY_BOOLEAN}, {"integer", TY_INTEGER}, {"number", TY_NUMBER},
    {"string", TY_STRING}, {"array", TY_ARRAY},     {"object", TY_OBJECT},
};

typedef enum { FMT_NONE = 0, FMT_DATE_TIME, FMT_URI } format_t;

typedef struct node node_t;

typedef struct {
    const char *name;     /* in the arena */
    const node_t *schema;
} prop_t;

struct node {
    const node_t *ref;            /* $ref target; draft-04 ignores siblings */
    unsigned types;               /* TY_* mask, 0 = any type */
    const prop_t *props;
    size_t prop_count;
    const char **required;        /* names, in the arena */
    size_t required_count;
    bool additional_forbidden;    /* additionalProperties: false */
    const node_t *additional;     /* additionalProperties: {schema} */
    const char **enum_values;     /* in the arena: an enum of strings (OCPP's) */
    const size_t *enum_lengths;
    size_t enum_count;            /* 0 = none of strings */
    const json_t *enumeration;    /* any other enum, a copy the set keeps */
    json_int_t max_length;        /* -1 = none */
    json_int_t min_items;         /* -1 = none */
    const node_t *items;          /* NULL = any items */
    double multiple_of;           /* 0 = none */
    format_t format;
};

typedef struct {
    const char *name;     /* borrowed from the blob table */
    const node_t *root;
} entry_t;

struct _schema_set_t {
    arena_t arena;
    json_t *kept;         /* the copies node->enumeration points to */
    entry_t *entries;     /* sorted by name for bsearch */
    size_t count;
};

/* ------------------------------------------------------------- compiler */

typedef struct {
    arena_t *arena;
    json_t *kept;                 /* the set's */
    const char *schema_name;
    const json_t *definitions;    /* root "definitions" object or NULL */
    const char **def_names;
    node_t **def_nodes;
    size_t def_count;
    node_t *root;
    char err[200];
} compiler_t;

/* Validation keywords of draft-04 (and a few later drafts) that this
 * interpreter does not enforce. Meeting one is a compile error. */
static const char *const s_unsupported[] = {
    "minLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "maxItems", "uniqueItems", "maxProperties", "minProperties", "patternProperties",
    "dependencies", "allOf", "anyOf", "oneOf", "not", "const", "contains", "propertyNames",
    "if", "then", "else",
};

static bool compile_node(compiler_t *c, const json_t *js, node_t *out, int depth);

static bool
compile_fail(compiler_t *c, const char *what, const char *detail)
{
    snprintf(c->err, sizeof c->err, "%s: %s%s%s", c->schema_name, what, detail ? " " : "",
             detail ? detail : "");
    return false;
}

static bool
compile_child(compiler_t *c, const json_t *js, const node_t **out, int depth)
{
    node_t *child = arena_alloc(c->arena, sizeof *child);
    if (!child)
        return compile_fail(c, "out of memory", NULL);
    *out = child;
    return compile_node(c, js, child, depth + 1);
}

static bool
compile_ref(compiler_t *c, const json_t *ref, node_t *out)
{
    const char *target = json_string_value(ref);
    if (!target)
        return compile_fail(c, "$ref is not a string", NULL);
    if (strcmp(target, "#") == 0) {
        out->ref = c->root;
        return true;
    }
    /* Only local references into the root "definitions" are supported; the
     * OCPP schemas use nothing else. Names with JSON-pointer escapes are
     * refused rather than mis-resolved. */
    static const char prefix[] = "#/definitions/";
    if (strncmp(target, prefix, sizeof prefix - 1) != 0)
        return compile_fail(c, "unsupported $ref", target);
    const char *name = target + sizeof prefix - 1;
    if (strpbrk(name, "/~"))
        return compile_fail(c, "unsupported $ref", target);
    for (size_t i = 0; i < c->def_count; i++) {
        if (strcmp(c->def_names[i], name) == 0) {
            out->ref = c->def_nodes[i];
            return true;
        }
    }
    return compile_fail(c, "unresolved $ref", target);
}

static bool
compile_type(compiler_t *c, const json_t *type, node_t *out)
{
    const json_t *single[1] = {type};
    size_t count = 1;
    const json_t *const *names = single;
    json_t *array_items[8];
    if (json_is_array(type)) {
        count = json_array_size(type);
        if (count == 0 || count > 8)
            return compile_fail(c, "bad type array", NULL);
        for (size_t i = 0; i < count; i++)
            array_items[i] = json_array_get(type, i);
        names = (const json_t *const *) array_items;
    }
    for (size_t i = 0; i < count; i++) {
        const char *name = json_string_value(names[i]);
        if (!name)
            return compile_fail(c, "type is not a string", NULL);
        size_t k = 0;
        while (k < sizeof s_type_names / sizeof s_type_names[0] && strcmp(s_type_names[k].name, name))
            k++;
        if (k == sizeof s_type_names / sizeof s_type_names[0])
            return compile_fail(c, "unknown type", name);
        out->types |= s_type_names[k].bit;
    }
    return true;
}

static bool
compile_properties(compiler_t *c, const json_t *props, node_t *out, int depth)
{
    if (!json_is_object(props))
        return compile_fail(c, "properties is not an object", NULL);
    size_t count = json_object_size(props);
    prop_t *table = arena_alloc(c->arena, count * sizeof *table);
    if (!table)
        return compile_fail(c, "out of memory", NULL);
    size_t i = 0;
    const char *key;
    json_t *value;
    /* jansson iterates in insertion order, so properties keep schema order. */
    json_object_foreach((json_t *) props, key, value) {
        table[i].name = arena_strdup(c->arena, key, strlen(key));
        if (!table[i].name)
            return compile_fail(c, "out of memory", NULL);
        if (!json_is_object(value))
            return compile_fail(c, "property schema is not an object", key);
        if (!compile_child(c, value, &table[i].schema, depth))
            return false;
        i++;
    }
    out->props = table;
    out->prop_count = count;
    return true;
}

static bool
compile_required(compiler_t *c, const json_t *required, node_t *out)
{
    if (!json_is_array(required))
        return compile_fail(c, "required is not an array", NULL);
    size_t count = json_array_size(required);
    const char **names = arena_alloc(c->arena, count * sizeof *names);
    if (!names)
        return compile_fail(c, "out of memory", NULL);
    for (size_t i = 0; i < count; i++) {
        const json_t *name = json_array_get(required, i);
        if (!json_is_string(name))
            return compile_fail(c, "required entry is not a string", NULL);
        names[i] = arena_strdup(c->arena, json_string_value(name), json_string_length(name));
        if (!names[i])
            return compile_fail(c, "out of memory", NULL);
    }
    out->required = names;
    out->required_count = count;
    return true;
}

/* Every OCPP 1.6 enum is a list of strings, kept as a table of them; any
 * other enum (none of OCPP's) as a copy compared with jansson's equality. */
static bool
compile_enum(compiler_t *c, const json_t *values, node_t *out)
{
    if (!json_is_array(values) || json_array_size(values) == 0)
        return compile_fail(c, "enum is not a non-empty array", NULL);
    size_t count = json_array_size(values);
    size_t i;
    const json_t *value;
    json_array_foreach(values, i, value) {
        if (!json_is_string(value)) {
            json_t *copy = json_deep_copy(values);
            if (!copy || json_array_append_new(c->kept, copy) != 0)
                return compile_fail(c, "out of memory", NULL);
            out->enumeration = copy;
            return true;
        }
    }
    const char **texts = arena_alloc(c->arena, count * sizeof *texts);
    size_t *lengths = arena_alloc(c->arena, count * sizeof *lengths);
    if (!texts || !lengths)
        return compile_fail(c, "out of memory", NULL);
    json_array_foreach(values, i, value) {
        lengths[i] = json_string_length(value);
        texts[i] = arena_strdup(c->arena, json_string_value(value), lengths[i]);
        if (!texts[i])
            return compile_fail(c, "out of memory", NULL);
    }
    out->enum_values = texts;
    out->enum_lengths = lengths;
    out->enum_count = count;
    return true;
}

static bool
compile_count(compiler_t *c, const json_t *js, const char *keyword, json_int_t *out)
{
    if (!json_is_integer(js) || json_integer_value(js) < 0)
        return compile_fail(c, "not a non-negative integer:", keyword);
    *out = json_integer_value(js);
    return true;
}

static bool
compile_node(compiler_t *c, const json_t *js, node_t *out, int depth)
{
    if (depth > SCHEMA_MAX_DEPTH)
        return compile_fail(c, "schema nests too deep", NULL);
    if (!json_is_object(js))
        return compile_fail(c, "schema is not an object", NULL);
    out->max_length = -1;
    out->min_items = -1;

    for (size_t i = 0; i < sizeof s_unsupported / sizeof s_unsupported[0]; i++)
        if (json_object_get(js, s_unsupported[i]))
            return compile_fail(c, "unsupported keyword", s_unsupported[i]);

    const json_t *ref = json_object_get(js, "$ref");
    if (ref)
        return compile_ref(c, ref, out);

    const json_t *v;
    if ((v = json_object_get(js, "type")) && !compile_type(c, v, out))
        return false;
    if ((v = json_object_get(js, "properties")) && !compile_properties(c, v, out, depth))
        return false;
    if ((v = json_object_get(js, "required")) && !compile_required(c, v, out))
        return false;
    if ((v = json_object_get(js, "additionalProperties"))) {
        if (json_is_false(v))
            out->additional_forbidden = true;
        else if (json_is_object(v)) {
            if (!compile_child(c, v, &out->additional, depth))
                return false;
        }
        else if (!json_is_true(v))
            return compile_fail(c, "bad additionalProperties", NULL);
    }
    if ((v = json_object_get(js, "enum")) && !compile_enum(c, v, out))
        return false;
    if ((v = json_object_get(js, "maxLength")) && !compile_count(c, v, "maxLength", &out->max_length))
        return false;
    if ((v = json_object_get(js, "minItems")) && !compile_count(c, v, "minItems", &out->min_items))
        return false;
    if ((v = json_object_get(js, "items"))) {
        if (!json_is_object(v))
            return compile_fail(c, "items must be a single schema", NULL);
        if (!compile_child(c, v, &out->items, depth))
            return false;
    }
    if ((v = json_object_get(js, "multipleOf"))) {
        if (!json_is_number(v) || json_number_value(v) <= 0)
            return compile_fail(c, "multipleOf is not a positive number", NULL);
        out->multiple_of = json_number_value(v);
    }
    if ((v = json_object_get(js, "format"))) {
        const char *format = json_string_value(v);
        /* "format" is also the name of an OCPP property (SampledValue), but
         * that lives inside "properties", never at this level. */
        if (!format)
            return compile_fail(c, "format is not a string", NULL);
        if (strcmp(format, "date-time") == 0)
            out->format = FMT_DATE_TIME;
        else if (strcmp(format, "uri") == 0)
            out->format = FMT_URI;
        else
            return compile_fail(c, "unsupported format", format);
    }
    return true;
}

/* Compiles one schema document: first a placeholder node for every
 * definition so that $refs (even forward or mutual ones) resolve to a
 * pointer, then the definitions' bodies, then the root. */
static bool
compile_document(compiler_t *c, const json_t *doc)
{
    c->root = arena_alloc(c->arena, sizeof *c->root);
    if (!c->root)
        return compile_fail(c, "out of memory", NULL);
    c->definitions = json_object_get(doc, "definitions");
    if (c->definitions) {
        if (!json_is_object(c->definitions))
            return compile_fail(c, "definitions is not an object", NULL);
        c->def_count = json_object_size(c->definitions);
        c->def_names = arena_alloc(c->arena, c->def_count * sizeof *c->def_names);
        c->def_nodes = arena_alloc(c->arena, c->def_count * sizeof *c->def_nodes);
        if (!c->def_names || !c->def_nodes)
            return compile_fail(c, "out of memory", NULL);
        size_t i = 0;
        const char *key;
        json_t *value;
        json_object_foreach((json_t *) c->definitions, key, value) {
            c->def_names[i] = key;
            c->def_nodes[i] = arena_alloc(c->arena, sizeof(node_t));
            if (!c->def_nodes[i])
                return compile_fail(c, "out of memory", NULL);
            i++;
        }
        i = 0;
        json_object_foreach((json_t *) c->definitions, key, value) {
            if (!compile_node(c, value, c->def_nodes[i], 1))
                return false;
            i++;
        }
    }
    return compile_node(c, doc, c->root, 0);
}

static int
entry_compare(const void *a, const void *b)
{
    return strcmp(((const entry_t *) a)->name, ((const entry_t *) b)->name);
}

schema_set_t *
schema_set_new_from(const cp_schema_blob_t *blobs, size_t count, char *err, size_t err_size)
{
    assert(blobs || count == 0);
    assert(err || err_size == 0);
    if (err_size > 0)
        err[0] = '\0';
    schema_set_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->entries = calloc(count ? count : 1, sizeof *self->entries);
    self->kept = json_array();
    if (!self->entries || !self->kept) {
        schema_set_destroy(&self);
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        entry_t *entry = &self->entries[self->count];
        json_error_t error;
        entry->name = blobs[i].name;
        json_t *doc = json_loads(blobs[i].text, JSON_REJECT_DUPLICATES, &error);
        if (!doc) {
            if (err_size > 0)
                snprintf(err, err_size, "%s: %s (line %d)", entry->name, error.text, error.line);
            schema_set_destroy(&self);
            return NULL;
        }
        self->count++;
        compiler_t compiler = {.arena = &self->arena, .kept = self->kept, .schema_name = entry->name};
        bool compiled = compile_document(&compiler, doc);
        json_decref(doc);   /* the nodes hold copies of what they need */
        if (!compiled) {
            if (err_size > 0)
                snprintf(err, err_size, "%s", compiler.err);
            schema_set_destroy(&self);
            return NULL;
        }
        entry->root = compiler.root;
    }
    qsort(self->entries, self->count, sizeof *self->entries, entry_compare);
    for (size_t i = 1; i < self->count; i++) {
        if (strcmp(self->entries[i - 1].name, self->entries[i].name) == 0) {
            if (err_size > 0)
                snprintf(err, err_size, "%s: duplicate schema name", self->entries[i].name);
            schema_set_destroy(&self);
            return NULL;
        }
    }
    return self;
}

schema_set_t *
schema_set_new(void)
{
    char err[256];
    schema_set_t *self = schema_set_new_from(cp_schema_blobs, cp_schema_blob_count, err, sizeof err);
    if (!self && err[0]) {
        /* A programming error (a schema file this validator cannot
         * enforce), not a run-time condition: say which, then stop. */
        fprintf(stderr, "schema_set_new: %s\n", err);
        assert(!"embedded OCPP schema rejected");
    }
    return self;
}

void
schema_set_destroy(schema_set_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    schema_set_t *self = *self_p;
    free(self->entries);
    json_decref(self->kept);
    arena_free(&self->arena);
    free(self);
    *self_p = NULL;
}

static const entry_t *
schema_set_find(const schema_set_t *self, const char *name)
{
    entry_t key = {.name = name};
    return bsearch(&key, self->entries, self->count, sizeof *self->entries, entry_compare);
}

bool
schema_set_has(const schema_set_t *self, const char *name)
{
    assert(self);
    assert(name);
    return schema_set_find(self, name) != NULL;
}

/* -------------------------------------------------------------- formats */

static bool
is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool
is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool
is_hex(char ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static bool
read_digits(const char *s, size_t n, int *out)
{
    int value = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        value = value * 10 + (s[i] - '0');
    }
    *out = value;
    return true;
}

static int
days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* RFC 3339 section 5.6:
 *   date-time = YYYY "-" MM "-" DD "T" hh ":" mm ":" ss [ "." 1*DIGIT ]
 *               ( "Z" / ( "+" / "-" ) hh ":" mm )
 * 'T' and 'Z' may be lowercase (5.6 NOTE). The offset is mandatory: a
 * local time without one is ambiguous, and OCPP timestamps are UTC. Second
 * 60 is allowed for leap seconds, as the RFC grammar does. */
bool
schema_is_date_time(const char *s, size_t len)
{
    assert(s || len == 0);
    int year, month, day, hour, minute, second;
    if (len < 20)
        return false;
    if (!read_digits(s, 4, &year) || s[4] != '-' || !read_digits(s + 5, 2, &month) || s[7] != '-'
        || !read_digits(s + 8, 2, &day))
        return false;
    if (s[10] != 'T' && s[10] != 't')
        return false;
    if (!read_digits(s + 11, 2, &hour) || s[13] != ':' || !read_digits(s + 14, 2, &minute)
        || s[16] != ':' || !read_digits(s + 17, 2, &second))
        return false;
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23
        || minute > 59 || second > 60)
        return false;
    size_t i = 19;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < len && is_digit(s[i]))
            i++;
        if (i == start)
            return false;
    }
    if (i >= len)
        return false;
    if (s[i] == 'Z' || s[i] == 'z')
        return i + 1 == len;
    if ((s[i] != '+' && s[i] != '-') || len - i != 6)
        return false;
    int off_hour, off_minute;
    if (!read_digits(s + i + 1, 2, &off_hour) || s[i + 3] != ':'
        || !read_digits(s + i + 4, 2, &off_minute))
        return false;
    return off_hour <= 23 && off_minute <= 59;
}

/* RFC 3986 absolute URI, checked at the character level:
 *   scheme ":" rest, scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ),
 *   rest made only of unreserved / reserved characters and well-formed
 *   percent-escapes, with at most one "#". This rejects what matters in
 *   practice (spaces, quotes, non-ASCII, relative references, broken
 *   escapes) without a full authority/IPv6 grammar. */
bool
schema_is_uri(const char *s, size_t len)
{
    assert(s || len == 0);
    if (len == 0 || !is_alpha(s[0]))
        return false;
    size_t i = 1;
    while (i < len && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    if (i >= len || s[i] != ':')
        return false;
    bool fragment = false;
    for (i++; i < len; i++) {
        char ch = s[i];
        if (ch == '%') {
            if (len - i < 3 || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
                return false;
            i += 2;
        }
        else if (ch == '#') {
            if (fragment)
                return false;
            fragment = true;
        }
        else if (!(is_alpha(ch) || is_digit(ch) || (ch != '\0' && strchr("-._~:/?[]@!$&'()*+,;=", ch))))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------ validator */

#define PATH_MAX_LEN 160
#define PATH_SEGMENT_MAX 40

typedef struct {
    char path[PATH_MAX_LEN];
    size_t path_len;
    char *why;
    size_t why_size;
} vctx_t;

/* Appends ".name" (or "name" at the root) to the path. Member names come
 * from the peer: anything but printable ASCII becomes '?', and long names
 * are cut, so `why` is safe for a log line and for a CALLERROR (valid
 * UTF-8 by construction). Returns the length to restore with path_pop. */
static size_t
path_push_name(vctx_t *ctx, const char *name)
{
    size_t saved = ctx->path_len;
    size_t room = PATH_MAX_LEN - 1 - ctx->path_len;
    char *p = ctx->path + ctx->path_len;
    size_t n = 0;
    if (saved > 0 && room > 0) {
        p[n++] = '.';
        room--;
    }
    for (size_t i = 0; name[i] && room > 0; i++, room--) {
        if (i == PATH_SEGMENT_MAX) {
            p[n++] = '~';   /* marks a cut name */
            break;
        }
        unsigned char ch = (unsigned char) name[i];
        p[n++] = (ch >= 0x20 && ch < 0x7f) ? (char) ch : '?';
    }
    ctx->path_len += n;
    ctx->path[ctx->path_len] = '\0';
    return saved;
}

static size_t
path_push_index(vctx_t *ctx, size_t index)
{
    size_t saved = ctx->path_len;
    int n = snprintf(ctx->path + ctx->path_len, PATH_MAX_LEN - ctx->path_len, "[%zu]", index);
    if (n > 0)
        ctx->path_len += (size_t) n < PATH_MAX_LEN - ctx->path_len ? (size_t) n
                                                                   : PATH_MAX_LEN - 1 - ctx->path_len;
    return saved;
}

static void
path_pop(vctx_t *ctx, size_t saved)
{
    ctx->path_len = saved;
    ctx->path[saved] = '\0';
}

__attribute__((format(printf, 3, 4))) static ocppj_error_t
fail(vctx_t *ctx, ocppj_error_t code, const char *fmt, ...)
{
    if (ctx->why && ctx->why_size > 0) {
        int n = snprintf(ctx->why, ctx->why_size, "%s: ", ctx->path_len ? ctx->path : "payload");
        if (n >= 0 && (size_t) n < ctx->why_size) {
            va_list args;
            va_start(args, fmt);
            vsnprintf(ctx->why + n, ctx->why_size - (size_t) n, fmt, args);
            va_end(args);
        }
    }
    return code;
}

static unsigned
instance_type(const json_t *inst)
{
    switch (json_typeof(inst)) {
    case JSON_OBJECT: return TY_OBJECT;
    case JSON_ARRAY: return TY_ARRAY;
    case JSON_STRING: return TY_STRING;
    case JSON_INTEGER: return TY_INTEGER;
    case JSON_REAL: return TY_NUMBER;
    case JSON_TRUE:
    case JSON_FALSE: return TY_BOOLEAN;
    case JSON_NULL: return TY_NULL;
    }
    return 0;
}

static const char *
types_text(unsigned types, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < sizeof s_type_names / sizeof s_type_names[0]; k++) {
        if (!(types & s_type_names[k].bit))
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? " or " : "", s_type_names[k].name);
        if (n < 0 || (size_t) n >= size - used)
            break;
        used += (size_t) n;
    }
    return buf;
}

static bool
in_enum(const node_t *node, const json_t *inst)
{
    size_t i;
    const json_t *value;
    if (node->enumeration) {
        json_array_foreach(node->enumeration, i, value)
            if (json_equal(value, inst))
                return true;
        return false;
    }
    const char *s = json_string_value(inst);
    if (!s)
        return false;
    size_t len = json_string_length(inst);
    for (i = 0; i < node->enum_count; i++)
        if (node->enum_lengths[i] == len && memcmp(node->enum_values[i], s, len) == 0)
            return true;
    return false;
}

/* True when the UTF-8 string has more than max code points. Counting stops
 * as soon as the answer is known. */
static bool
longer_than(const char *s, size_t bytes, json_int_t max)
{
    if ((json_int_t) bytes <= max)
        return false;   /* code points <= bytes */
    json_int_t count = 0;
    for (size_t i = 0; i < bytes; i++) {
        if (((unsigned char) s[i] & 0xC0) != 0x80 && ++count > max)
            return true;
    }
    return false;
}

static bool
is_multiple(double value, double divisor)
{
    double quotient = value / divisor;
    if (!isfinite(quotient))
        return true;    /* only for huge values, which are integral anyway */
    return fabs(quotient - nearbyint(quotient)) <= 1e-9 * fmax(1.0, fabs(quotient));
}

static ocppj_error_t validate_node(vctx_t *ctx, const node_t *node, const json_t *inst, int depth);

static ocppj_error_t
validate_object(vctx_t *ctx, const node_t *node, const json_t *inst, int depth)
{
    for (size_t i = 0; i < node->required_count; i++) {
        if (!json_object_get(inst, node->required[i])) {
            path_push_name(ctx, node->required[i]);
            return fail(ctx, OCPPJ_OCCURENCE_CONSTRAINT_VIOLATION, "missing required property");
        }
    }
    const char *key;
    json_t *value;
    /* json_object_foreach wants a non-const object; iteration does not
     * modify it. */
    json_object_foreach((json_t *) inst, key, value) {
        const node_t *schema = NULL;
        for (size_t i = 0; i < node->prop_count; i++) {
            if (strcmp(node->props[i].name, key) == 0) {
                schema = node->props[i].schema;
                break;
            }
        }
        size_t saved = path_push_name(ctx, key);
        if (!schema) {
            if (node->additional_forbidden)
                return fail(ctx, OCPPJ_FORMATION_VIOLATION, "unknown property");
            schema = node->additional;   /* NULL: anything goes */
        }
        if (schema) {
            ocppj_error_t rc = validate_node(ctx, schema, value, depth + 1);
            if (rc != OCPPJ_OK)
                return rc;
        }
        path_pop(ctx, saved);
    }
    return OCPPJ_OK;
}

static ocppj_error_t
validate_array(vctx_t *ctx, const node_t *node, const json_t *inst, int depth)
{
    size_t size = json_array_size(inst);
    if (node->min_items >= 0 && (json_int_t) size < node->min_items)
        return fail(ctx, OCPPJ_PROPERTY_CONSTRAINT_VIOLATION, "fewer than %lld items",
                    (long long) node->min_items);
    if (!node->items)
        return OCPPJ_OK;
    for (size_t i = 0; i < size; i++) {
        size_t saved = path_push_index(ctx, i);
        ocppj_error_t rc = validate_node(ctx, node->items, json_array_get(inst, i), depth + 1);
        if (rc != OCPPJ_OK)
            return rc;
        path_pop(ctx, saved);
    }
    return OCPPJ_OK;
}

static ocppj_error_t
validate_node(vctx_t *ctx, const node_t *node, const json_t *inst, int depth)
{
    /* A $ref hop counts as a level, so a self-referencing schema is bounded
     * by the same cap as deep input. */
    while (node->ref) {
        node = node->ref;
        depth++;
        if (depth > SCHEMA_MAX_DEPTH)
            break;
    }
    if (depth > SCHEMA_MAX_DEPTH)
        return fail(ctx, OCPPJ_FORMATION_VIOLATION, "nested deeper than %d levels", SCHEMA_MAX_DEPTH);

    unsigned type = instance_type(inst);
    unsigned accepted = type == TY_INTEGER ? (TY_INTEGER | TY_NUMBER) : type;
    if (node->types && !(node->types & accepted)) {
        char expected[64];
        return fail(ctx, OCPPJ_TYPE_CONSTRAINT_VIOLATION, "expected %s",
                    types_text(node->types, expected, sizeof expected));
    }
    if ((node->enum_count || node->enumeration) && !in_enum(node, inst))
        return fail(ctx, OCPPJ_PROPERTY_CONSTRAINT_VIOLATION, "not one of the allowed values");

    switch (type) {
    case TY_OBJECT:
        return validate_object(ctx, node, inst, depth);
    case TY_ARRAY:
        return validate_array(ctx, node, inst, depth);
    case TY_STRING: {
        const char *s = json_string_value(inst);
        size_t len = json_string_length(inst);
        if (node->max_length >= 0 && longer_than(s, len, node->max_length))
            return fail(ctx, OCPPJ_PROPERTY_CONSTRAINT_VIOLATION, "longer than %lld characters",
                        (long long) node->max_length);
        if (node->format == FMT_DATE_TIME && !schema_is_date_time(s, len))
            return fail(ctx, OCPPJ_PROPERTY_CONSTRAINT_VIOLATION, "not an RFC 3339 date-time");
        if (node->format == FMT_URI && !schema_is_uri(s, len))
            return fail(ctx, OCPPJ_PROPERTY_CONSTRAINT_VIOLATION, "not a URI");
        return OCPPJ_OK;
    }
    case TY_INTEGER:
    case TY_NUMBER:
        if (node->multiple_of > 0 && !is_multiple(json_number_value(inst), node->multiple_of))
            return fail(ctx, OCPPJ_PROPERTY_CONSTRAINT_VIOLATION, "not a multiple of %g",
                        node->multiple_of);
        return OCPPJ_OK;
    default:
        return OCPPJ_OK;
    }
}

ocppj_error_t
schema_set_validate(const schema_set_t *self, const char *name, const json_t *payload, char *why,
                    size_t why_size)
{
    assert(self);
    assert(name);
    assert(payload);
    assert(why || why_size == 0);
    vctx_t ctx = {.why = why, .why_size = why_size};
    if (why_size > 0)
        why[0] = '\0';

    const entry_t *entry = schema_set_find(self, name);
    if (!entry) {
        path_push_name(&ctx, name);
        return fail(&ctx, OCPPJ_NOT_IMPLEMENTED, "no schema");
    }
    /* Every OCPP payload is an object. Anything else is not a wrong field
     * type but the wrong PDU shape, hence FormationViolation ("not conform
     * the PDU structure for Action"), not TypeConstraintViolation. */
    if (!json_is_object(payload))
        return fail(&ctx, OCPPJ_FORMATION_VIOLATION, "expected a JSON object");
    return validate_node(&ctx, entry->root, payload, 0);
}
