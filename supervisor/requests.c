/* requests.c — see requests.h.
 *
 * A plain array, unordered, swap-removed: an actor has a handful of
 * requests in flight (a few per connector), so a linear scan beats any
 * index and keeps the code obviously right.
 */
#include "supervisor/requests.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

struct _cp_requests_t {
    cp_request_t *items;
    size_t size;
    size_t capacity;
    size_t max;
};

cp_requests_t *
cp_requests_new(size_t max)
{
    assert(max > 0);
    cp_requests_t *self = calloc(1, sizeof(cp_requests_t));
    if (self)
        self->max = max;
    return self;
}

void
cp_requests_destroy(cp_requests_t **self_p)
{
    assert(self_p);
    cp_requests_t *self = *self_p;
    if (!self)
        return;
    free(self->items);
    free(self);
    *self_p = NULL;
}

static ssize_t
s_find(const cp_requests_t *self, uint64_t corr)
{
    for (size_t i = 0; i < self->size; i++)
        if (self->items[i].corr == corr)
            return (ssize_t) i;
    return -1;
}

//  Remove item i into *out (may be NULL).
static void
s_remove(cp_requests_t *self, size_t i, cp_request_t *out)
{
    if (out)
        *out = self->items[i];
    self->items[i] = self->items[--self->size];
}

int
cp_requests_add(cp_requests_t *self, const cp_request_t *request)
{
    assert(self && request);
    if (request->corr == 0 || self->size >= self->max || s_find(self, request->corr) >= 0)
        return -1;
    if (self->size == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 16;
        if (capacity > self->max)
            capacity = self->max;
        cp_request_t *items = realloc(self->items, capacity * sizeof(cp_request_t));
        if (!items)
            return -1;
        self->items = items;
        self->capacity = capacity;
    }
    self->items[self->size++] = *request;
    return 0;
}

bool
cp_requests_take(cp_requests_t *self, uint64_t corr, cp_request_t *out)
{
    assert(self);
    ssize_t i = corr ? s_find(self, corr) : -1;
    if (i < 0)
        return false;
    s_remove(self, (size_t) i, out);
    return true;
}

bool
cp_requests_has(const cp_requests_t *self, uint64_t corr)
{
    assert(self);
    return corr && s_find(self, corr) >= 0;
}

bool
cp_requests_expire(cp_requests_t *self, int64_t now_ms, cp_request_t *out)
{
    assert(self);
    for (size_t i = 0; i < self->size; i++)
        if (self->items[i].deadline_ms <= now_ms) {
            s_remove(self, i, out);
            return true;
        }
    return false;
}

bool
cp_requests_peer_down(cp_requests_t *self, const char *name, int64_t down_seq, cp_request_t *out)
{
    assert(self && name);
    for (size_t i = 0; i < self->size; i++)
        if (strcmp(self->items[i].to, name) == 0 && self->items[i].sent_seq < down_seq) {
            s_remove(self, i, out);
            return true;
        }
    return false;
}

int64_t
cp_requests_next_deadline(const cp_requests_t *self)
{
    assert(self);
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < self->size; i++)
        if (self->items[i].deadline_ms < next)
            next = self->items[i].deadline_ms;
    return next;
}

size_t
cp_requests_size(const cp_requests_t *self)
{
    assert(self);
    return self->size;
}
