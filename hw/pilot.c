/* pilot.c — see pilot.h: the IEC 61851-1 duty-cycle table, both ways. */
#include "hw/pilot.h"

#include <math.h>

double
hw_pilot_duty_pct(double amps)
{
    if (isnan(amps) || amps < HW_PILOT_MIN_A)
        return HW_PILOT_OFF_PCT;
    if (amps > HW_PILOT_MAX_A)
        amps = HW_PILOT_MAX_A;
    if (amps <= HW_PILOT_LOW_MAX_A)
        return amps / 0.6;
    //  The high range's formula gives at most 85 % up to 52.5 A, which a
    //  car reads in the LOW range (52 A → 84.8 % → 50.9 A): nothing decodes
    //  to (51, 52.5] A. Offer 51 A there — the most a car can be told
    //  without being told more — so a higher offer never yields less.
    if (amps <= HW_PILOT_HIGH_FROM_A)
        return HW_PILOT_LOW_MAX_A / 0.6;
    return amps / 2.5 + 64.0;
}

double
hw_pilot_current_a(double duty_pct)
{
    if (isnan(duty_pct) || duty_pct < 8.0 || duty_pct > 97.0)
        return 0.0;
    if (duty_pct < 10.0)
        return HW_PILOT_MIN_A;
    if (duty_pct <= 85.0)
        return duty_pct * 0.6;
    if (duty_pct <= 96.0)
        return (duty_pct - 64.0) * 2.5;
    return HW_PILOT_MAX_A;
}
