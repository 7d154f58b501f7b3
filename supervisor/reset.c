/* reset.c — see reset.h. */
#include "supervisor/reset.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct _cp_reset_t {
    cp_reset_kind_t kind;          //  CP_RESET_NONE: nothing scheduled
    int64_t at_ms;
};

cp_reset_t *
cp_reset_new(void)
{
    return calloc(1, sizeof(cp_reset_t));
}

void
cp_reset_destroy(cp_reset_t **self_p)
{
    assert(self_p);
    free(*self_p);
    *self_p = NULL;
}

void
cp_reset_request(cp_reset_t *self, const char *type, int64_t now_ms)
{
    assert(self && type);
    self->kind = strcmp(type, "Hard") == 0 ? CP_RESET_HARD : CP_RESET_SOFT;
    self->at_ms = now_ms + CP_RESET_DELAY_MS;
}

cp_reset_kind_t
cp_reset_due(cp_reset_t *self, int64_t now_ms)
{
    assert(self);
    if (self->kind == CP_RESET_NONE || now_ms < self->at_ms)
        return CP_RESET_NONE;
    cp_reset_kind_t kind = self->kind;
    self->kind = CP_RESET_NONE;
    return kind;
}

int64_t
cp_reset_at(const cp_reset_t *self)
{
    assert(self);
    return self->kind == CP_RESET_NONE ? INT64_MAX : self->at_ms;
}
