/* hw.c — driver-independent helpers of the hardware interface (hw.h).
 *
 * Every driver (hw/sim today, real boards later) fills the same ops table;
 * what does not depend on the driver lives here, so that main and tests
 * release any driver the same way without knowing which one it is.
 */
#include "hw/hw.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

//  Currents set by commands and by the safety path's cap move in steps,
//  never by noise: closer than this, the same setting. NaN (a broken
//  report) differs from everything.
#define HW_STEP_A 0.05

static bool
s_amps_differ(double a, double b)
{
    return !(fabs(a - b) <= HW_STEP_A);
}

bool
hw_connector_stepped(const hw_connector_state_t *before, const hw_connector_state_t *after)
{
    assert(before && after);
    return before->plugged != after->plugged
        || before->pilot != after->pilot
        || before->ev_requesting != after->ev_requesting
        || before->contactor_closed != after->contactor_closed
        || before->locked != after->locked
        || before->permitted != after->permitted
        || before->board_continuous != after->board_continuous
        || before->left_away != after->left_away
        || before->tamper != after->tamper
        || strncmp(before->fault, after->fault, sizeof(before->fault)) != 0
        || s_amps_differ(before->offered_a, after->offered_a)
        || s_amps_differ(before->requested_a, after->requested_a)
        || s_amps_differ(before->safety_cap_a, after->safety_cap_a);
}

void
hw_driver_destroy(hw_driver_t **self_p)
{
    assert(self_p);
    hw_driver_t *self = *self_p;
    //  A driver without a destroy op owns nothing we could free for it.
    if (self && self->ops && self->ops->destroy)
        self->ops->destroy(self);
    *self_p = NULL;
}

//  Read every connector, one read each.
static void
s_read_all(hw_driver_t *self, hw_connector_state_t *states, bool *readable)
{
    int connectors = self->ops->connector_count(self);
    for (int n = 1; n <= connectors && n <= HW_MAX_CONNECTORS; n++)
        readable[n - 1] = self->ops->read(self, n, &states[n - 1]) == 0;
}

int
hw_driver_feed_then_read(hw_driver_t *self, int timeout_ms, hw_connector_state_t *states, bool *readable)
{
    assert(self && states && readable);
    int rc = self->ops->safety_feed(self, timeout_ms);
    s_read_all(self, states, readable);
    return rc;
}

int
hw_driver_feed_read(hw_driver_t *self, int timeout_ms, hw_connector_state_t *states, bool *readable)
{
    assert(self && states && readable);
    if (self->ops->safety_feed_read)
        return self->ops->safety_feed_read(self, timeout_ms, states, readable);
    return hw_driver_feed_then_read(self, timeout_ms, states, readable);
}

int
hw_driver_rest_read(hw_driver_t *self, int timeout_ms, hw_connector_state_t *states, bool *readable)
{
    assert(self && states && readable);
    if (self->ops->safety_rest_read)
        return self->ops->safety_rest_read(self, timeout_ms, states, readable);
    if (!self->ops->safety_rest)
        return -2;
    if (self->ops->safety_rest(self, timeout_ms) != 0)
        return -1;
    s_read_all(self, states, readable);
    return 0;
}
