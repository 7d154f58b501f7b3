/* hw.c — driver-independent helpers of the hardware interface (hw.h).
 *
 * Every driver (hw/sim today, real boards later) fills the same ops table;
 * what does not depend on the driver lives here, so that main and tests
 * release any driver the same way without knowing which one it is.
 */
#include "hw/hw.h"

#include <assert.h>
#include <stdlib.h>

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
