/* security_raise.c — see security_raise.h. */
#include "actors/security/security_raise.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "supervisor/log.h"

typedef struct {
    char type[51];
    char tech_info[256];
} raised_t;

struct _security_raise_t {
    cp_shell_t *shell;
    const char *component;
    raised_t queue[SECURITY_RAISE_MAX];
    int head, count;
    uint64_t corr;                 //  the head's request in flight, 0 = none
    int timer_id;                  //  the retry, 0 = none
};

static void s_send_head(security_raise_t *self);

static int
s_on_retry(cp_loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    security_raise_t *self = arg;
    self->timer_id = 0;
    s_send_head(self);
    return 0;
}

static void
s_retry_later(security_raise_t *self)
{
    cp_shell_rearm(self->shell, &self->timer_id, SECURITY_RAISE_RETRY_MS, s_on_retry, self, "security events");
}

static void
s_send_head(security_raise_t *self)
{
    if (self->corr || self->timer_id || self->count == 0)
        return;
    const raised_t *r = &self->queue[self->head];
    cp_msg_t *msg = cp_msg_new(CP_MSG_SECURITY_EVENT);
    if (msg) {
        cp_msg_set_str(msg->u.security_event.type, r->type);
        cp_msg_copy_str(msg->u.security_event.tech_info, sizeof(msg->u.security_event.tech_info), r->tech_info);
        self->corr = cp_shell_request(self->shell, "security", msg);
        cp_msg_destroy(&msg);
    }
    if (!self->corr)
        s_retry_later(self);
}

security_raise_t *
security_raise_new(cp_shell_t *shell, const char *component)
{
    assert(shell && component);
    security_raise_t *self = calloc(1, sizeof(*self));
    if (self) {
        self->shell = shell;
        self->component = component;
    }
    return self;
}

void
security_raise_destroy(security_raise_t **self_p)
{
    assert(self_p);
    security_raise_t *self = *self_p;
    if (!self)
        return;
    if (self->count)
        cp_warn(self->component, "%d security events not handed to the security actor", self->count);
    if (self->timer_id)             //  the shell outlives this (destroyed first)
        cp_shell_rearm(self->shell, &self->timer_id, CP_SHELL_NEVER, s_on_retry, self, "security events");
    free(self);
    *self_p = NULL;
}

void
security_raise(security_raise_t *self, const char *type, const char *tech_info)
{
    assert(self && type);
    cp_info(self->component, "security event %s: %s", type, tech_info ? tech_info : "");
    if (self->count == SECURITY_RAISE_MAX) {
        //  The newest goes: the head may be in flight, and the oldest are
        //  the ones an operator needs to see what started it.
        cp_warn(self->component, "security event %s dropped: the security actor has not taken %d events",
                type, SECURITY_RAISE_MAX);
        return;
    }
    raised_t *r = &self->queue[(self->head + self->count) % SECURITY_RAISE_MAX];
    memset(r, 0, sizeof(*r));
    cp_msg_copy_str(r->type, sizeof(r->type), type);
    cp_msg_copy_str(r->tech_info, sizeof(r->tech_info), tech_info ? tech_info : "");
    self->count++;
    s_send_head(self);
}

bool
security_raise_outcome(security_raise_t *self, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    if (!self || !self->corr || env->corr != self->corr)
        return false;
    self->corr = 0;
    bool ok = !cp_bus_failed(env) && msg && msg->type == CP_MSG_REPLY && msg->u.reply.ok;
    bool refused = !cp_bus_failed(env) && msg && msg->type == CP_MSG_REPLY && !msg->u.reply.ok
                && strstr(msg->u.reply.reason, "unknown security event type");
    if (ok || refused) {
        if (refused)
            cp_error(self->component, "security event %s refused: %s", self->queue[self->head].type,
                     msg->u.reply.reason);
        self->head = (self->head + 1) % SECURITY_RAISE_MAX;
        self->count--;
        s_send_head(self);
    }
    else
        s_retry_later(self);
    return true;
}

int
security_raise_pending(const security_raise_t *self)
{
    return self ? self->count : 0;
}
