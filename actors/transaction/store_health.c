/* store_health.c — see store_health.h. */
#include "actors/transaction/store_health.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

void
store_health_init(store_health_t *self)
{
    assert(self);
    memset(self, 0, sizeof(*self));
    self->retry_at = INT64_MAX;
}

bool
store_health_failed(store_health_t *self, int64_t now_mono, int64_t now_wall, const char *what,
                    const char *error)
{
    assert(self);
    self->failures++;
    if (self->failing)
        return false;
    self->failing = true;
    self->since_ms = now_wall;
    snprintf(self->error, sizeof(self->error), "%s: %s", what ? what : "write", error ? error : "failed");
    self->retry_delay = STORE_HEALTH_RETRY_FIRST_MS;
    self->retry_at = now_mono + self->retry_delay;
    return true;
}

bool
store_health_ok(store_health_t *self)
{
    assert(self);
    if (!self->failing)
        return false;
    store_health_init(self);
    return true;
}

void
store_health_retried(store_health_t *self, int64_t now_mono)
{
    assert(self);
    if (!self->failing)
        return;
    self->retry_delay *= 2;
    if (self->retry_delay > STORE_HEALTH_RETRY_MAX_MS)
        self->retry_delay = STORE_HEALTH_RETRY_MAX_MS;
    self->retry_at = now_mono + self->retry_delay;
}
