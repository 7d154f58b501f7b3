/* pilot.h — the control-pilot PWM code of IEC 61851-1 (annex A), both ways.
 *
 * Every AC charger tells the car how much current it may draw by the duty
 * cycle of the 1 kHz pilot signal, and every car decodes it the same way.
 * The encoding lives here, pure, so that the simulated board encodes with
 * the same function a real board's driver will use, the simulated EV
 * decodes with the function a real EV follows, and both are unit-tested
 * against the table of the standard:
 *
 *   current offered        duty cycle
 *   6 A ≤ I ≤ 51 A         D = I / 0.6            (10 % … 85 %)
 *   51 A < I ≤ 80 A        D = I / 2.5 + 64       (85 % … 96 %); but
 *                          up to 52.5 A that is ≤ 85 %, which the EV
 *                          reads in the low range, so (51, 52.5] A is
 *                          offered as 51 A (85 %): never more than asked,
 *                          and a higher offer never yields less
 *   I < 6 A                no PWM: the oscillator is off (100 %, state
 *                          B1/C1) and the EV must not draw — the pause the
 *                          controller reports as SuspendedEVSE
 *
 * and on the EV side: D < 8 % (5 % is digital communication, ISO 15118)
 * no charging; 8–10 % → 6 A; 10–85 % → D × 0.6; 85–96 % → (D − 64) × 2.5;
 * 96–97 % → 80 A; above 97 % no charging.
 */
#ifndef CP_HW_PILOT_H
#define CP_HW_PILOT_H

#define HW_PILOT_MIN_A        6.0     //  lowest current a PWM can offer
#define HW_PILOT_LOW_MAX_A    51.0    //  end of the low range
#define HW_PILOT_HIGH_FROM_A  52.5    //  the high range is readable above this
#define HW_PILOT_MAX_A        80.0    //  end of the high range
#define HW_PILOT_OFF_PCT      100.0   //  oscillator off: no current offered

//  Duty cycle (percent) that offers `amps`: amps above 80 A are offered as
//  80 A, below 6 A (or NaN) the oscillator is off (100 %).
double hw_pilot_duty_pct(double amps);

//  Current (A) an EV may draw for a duty cycle, per the EV side of the
//  table; 0 where the standard says "no charging".
double hw_pilot_current_a(double duty_pct);
#endif
