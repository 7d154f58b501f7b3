/* policy.c — see policy.h.
 *
 * Each window is a ring of the times of its last `limit` restarts: the
 * count within the period is the number of those that are recent, exact up
 * to the limit, which is as far as the rules ever count.
 */
#include "supervisor/policy.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    int64_t *times;                //  ring of restart times
    int limit;                     //  its capacity: the limit it guards
    int head;                      //  next slot to write
    int filled;                    //  slots written, up to limit
} window_t;

typedef struct {
    window_t window;
    bool critical;
} actor_t;

struct _cp_policy_t {
    cp_policy_config_t config;
    actor_t *actors;
    int actor_count;
    window_t global;
};

static int
s_window_init(window_t *self, int limit)
{
    self->times = calloc((size_t) limit, sizeof(int64_t));
    self->limit = limit;
    self->head = 0;
    self->filled = 0;
    return self->times ? 0 : -1;
}

static void
s_window_record(window_t *self, int64_t now_ms)
{
    self->times[self->head] = now_ms;
    self->head = (self->head + 1) % self->limit;
    if (self->filled < self->limit)
        self->filled++;
}

//  Restarts within (now - period, now].
static int
s_window_count(const window_t *self, int64_t now_ms, int64_t period_ms)
{
    int count = 0;
    for (int i = 0; i < self->filled; i++)
        if (now_ms - self->times[i] < period_ms)
            count++;
    return count;
}

static void
s_window_clear(window_t *self)
{
    self->head = 0;
    self->filled = 0;
}

void
cp_policy_config_defaults(cp_policy_config_t *config, int intensity, int global_intensity, int64_t period_ms)
{
    assert(config);
    config->intensity = intensity;
    config->global_intensity = global_intensity;
    config->period_ms = period_ms;
    config->backoff_min_ms = 100;
    config->backoff_max_ms = 5000;
    config->cooldown_ms = period_ms;
}

bool
cp_policy_config_valid(const cp_policy_config_t *c, char *reason, size_t reason_size)
{
    assert(c && reason && reason_size > 0);
    if (c->intensity < 1 || c->intensity > CP_POLICY_INTENSITY_MAX)
        snprintf(reason, reason_size, "the per-actor restart intensity must be 1..%d", CP_POLICY_INTENSITY_MAX);
    else
    if (c->global_intensity < c->intensity || c->global_intensity > CP_POLICY_GLOBAL_INTENSITY_MAX)
        snprintf(reason, reason_size, "the global restart intensity must be %d (the per-actor one)..%d",
                 c->intensity, CP_POLICY_GLOBAL_INTENSITY_MAX);
    else
    if (c->period_ms < 1 || c->period_ms > CP_POLICY_PERIOD_MAX_MS)
        snprintf(reason, reason_size, "the restart period must be 1..%d ms", CP_POLICY_PERIOD_MAX_MS);
    else
    if (c->backoff_min_ms < 0 || c->backoff_max_ms < c->backoff_min_ms)
        snprintf(reason, reason_size, "the restart back-off must be 0 <= min <= max");
    else
    if (c->cooldown_ms < 1)
        snprintf(reason, reason_size, "the degraded cool-down must be positive");
    else
        return true;
    return false;
}

cp_policy_t *
cp_policy_new(const cp_policy_config_t *config, int actors)
{
    assert(config && actors > 0);
    char reason[128];
    bool valid = cp_policy_config_valid(config, reason, sizeof(reason));
    assert(valid);
    if (!valid)
        return NULL;
    cp_policy_t *self = calloc(1, sizeof(cp_policy_t));
    if (!self)
        return NULL;
    self->config = *config;
    self->actors = calloc((size_t) actors, sizeof(actor_t));
    if (!self->actors || s_window_init(&self->global, config->global_intensity) != 0) {
        cp_policy_destroy(&self);
        return NULL;
    }
    for (int i = 0; i < actors; i++) {
        self->actors[i].critical = true;
        if (s_window_init(&self->actors[i].window, config->intensity) != 0) {
            cp_policy_destroy(&self);
            return NULL;
        }
        self->actor_count = i + 1;
    }
    return self;
}

void
cp_policy_destroy(cp_policy_t **self_p)
{
    assert(self_p);
    cp_policy_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->actor_count; i++)
        free(self->actors[i].window.times);
    free(self->actors);
    free(self->global.times);
    free(self);
    *self_p = NULL;
}

void
cp_policy_set_critical(cp_policy_t *self, int actor, bool critical)
{
    assert(self && actor >= 0 && actor < self->actor_count);
    self->actors[actor].critical = critical;
}

bool
cp_policy_critical(const cp_policy_t *self, int actor)
{
    assert(self && actor >= 0 && actor < self->actor_count);
    return self->actors[actor].critical;
}

//  backoff_min × 2^(recent - 1), capped; computed by doubling so that a
//  large count cannot overflow a shift.
static int64_t
s_backoff(const cp_policy_config_t *c, int recent)
{
    if (recent <= 0)
        return 0;
    int64_t delay = c->backoff_min_ms;
    for (int i = 1; i < recent && delay < c->backoff_max_ms; i++)
        delay *= 2;
    return delay < c->backoff_max_ms ? delay : c->backoff_max_ms;
}

cp_policy_decision_t
cp_policy_fault(cp_policy_t *self, int actor, int64_t now_ms)
{
    assert(self && actor >= 0 && actor < self->actor_count);
    actor_t *a = &self->actors[actor];
    const cp_policy_config_t *c = &self->config;
    cp_policy_decision_t d = {
        .recent = s_window_count(&a->window, now_ms, c->period_ms),
        .global_recent = s_window_count(&self->global, now_ms, c->period_ms),
    };
    if (d.global_recent >= c->global_intensity) {
        d.action = CP_POLICY_ESCALATE;
        d.why = "too many restarts of all actors together";
    }
    else
    if (d.recent >= c->intensity && a->critical) {
        d.action = CP_POLICY_ESCALATE;
        d.why = "crash loop of a critical actor";
    }
    else
    if (d.recent >= c->intensity) {
        d.action = CP_POLICY_DEGRADE;
        d.at_ms = now_ms + c->cooldown_ms;
        d.why = "crash loop of a non-critical actor: left down";
    }
    else {
        d.action = CP_POLICY_RESTART;
        d.at_ms = now_ms + s_backoff(c, d.recent);
        d.why = d.recent ? "restarted again within the period: backing off" : "first restart within the period";
        s_window_record(&a->window, now_ms);
        s_window_record(&self->global, now_ms);
    }
    return d;
}

void
cp_policy_retry(cp_policy_t *self, int actor, int64_t now_ms)
{
    assert(self && actor >= 0 && actor < self->actor_count);
    window_t *w = &self->actors[actor].window;
    s_window_clear(w);
    s_window_record(w, now_ms);
    s_window_record(&self->global, now_ms);
}

int
cp_policy_recent(const cp_policy_t *self, int actor, int64_t now_ms)
{
    assert(self && actor >= 0 && actor < self->actor_count);
    return s_window_count(&self->actors[actor].window, now_ms, self->config.period_ms);
}

const char *
cp_policy_action_name(cp_policy_action_t action)
{
    switch (action) {
    case CP_POLICY_RESTART:  return "restart";
    case CP_POLICY_DEGRADE:  return "degrade";
    case CP_POLICY_ESCALATE: return "escalate";
    }
    return "?";
}
