/* sim.h — a complete simulated charger with an EV behind each connector.
 *
 * The simulator is the driver chargepointd runs on by default (--hw sim)
 * and the one every test drives, so it behaves like the hardware the
 * controller will meet, not like a stub:
 *   - control pilot per IEC 61851-1: A no vehicle, B vehicle connected,
 *     C vehicle requests energy, F EVSE fault (-12 V, driven whenever a
 *     fault is active); D and E are never produced;
 *   - the offer encoded as the pilot's duty cycle (hw/pilot.h), and an EV
 *     model (32 A max, 3 phases, 230 V) that decodes the duty cycle and
 *     draws min(decoded, 32 A) per phase only while the contactor is
 *     closed, the pilot is C, the PWM offers at least the 6 A minimum of
 *     IEC 61851-1 and no fault is active;
 *   - a household grid meter (connector 0, simulate "grid"): it reads the
 *     house load plus every connector's per-phase current, and can fall
 *     silent ("off") like a meter whose bus wire broke;
 *   - an energy meter that integrates power over the clock's monotonic
 *     time, so tests on a virtual clock charge for an hour in microseconds;
 *   - injectable faults: rcd, ground (a PE-N condition the earth monitor
 *     reports only while armed: safety_set_earthing(TN); on TT it stays
 *     latent and is reported the moment TN is set), overcurrent (the EV then draws its
 *     offer + 10 A, which is what the safety logic must catch), overtemp
 *     (the connector reads 90 °C), welding (the contacts of a closed
 *     contactor stay stuck together when it is opened: the contactor
 *     reads open but voltage_after_open_v reads 230 V); "clear" removes
 *     the active fault (and frees welded contacts);
 *   - the fail-safe safety interlock of hw.h: from power-on every
 *     contactor is open and set_contactor(true) is refused (-1) unless the
 *     safety watchdog was fed within its timeout (safety_feed) AND the
 *     connector is permitted (safety_permit). When the watchdog expires,
 *     every contactor opens as of the expiry instant and every permission
 *     is forgotten (a restarted safety path must re-approve); a withdrawn
 *     permission opens the contactor at once. safety_rest (refused while
 *     a contactor is closed) keeps the permissions for its timeout
 *     without arming anything: a contactor closes only within a feed's
 *     timeout; a feed ends the rest. The offer the EV sees is
 *     min(requested offer, safety cap when > 0). Expiry is checked on
 *     every driver call, and the hw actor reads every 250 ms.
 * What the controller decides (contactor, lock, offer) the simulator only
 * carries out and reports: unplugging with the contactor closed is allowed
 * and merely drops the power to zero, as it would on a real charger.
 *
 * Thread-safe: every op takes the simulator's mutex, because a restarted
 * hw actor may overlap with the thread it replaces (see hw.h).
 */
#ifndef CP_HW_SIM_SIM_H
#define CP_HW_SIM_SIM_H

#include "hw/hw.h"
#include "supervisor/clock.h"

//  EV and grid model constants, public so that tests and docs agree with
//  the simulator instead of repeating magic numbers.
#define HW_SIM_EV_MAX_A         32.0
#define HW_SIM_PHASES           3
#define HW_SIM_VOLTAGE_V        230.0
#define HW_SIM_DEFAULT_OFFER_A  0.0     //  power-on: no PWM until the controller offers
#define HW_SIM_MAX_OFFER_A      80.0
#define HW_SIM_MIN_CHARGE_A     6.0     //  IEC 61851-1: below this, no charging
#define HW_SIM_OVERCURRENT_A    10.0    //  excess drawn under an overcurrent fault
#define HW_SIM_AMBIENT_C        25.0
#define HW_SIM_HEAT_C_PER_A     0.3
#define HW_SIM_OVERTEMP_C       90.0
#define HW_SIM_WATCHDOG_MIN_MS  10      //  safety_feed timeout range
#define HW_SIM_WATCHDOG_MAX_MS  10000
#define HW_SIM_MAX_HOUSE_A      1000.0  //  household load range of the grid meter

//  Create a simulated charger with 1..HW_MAX_CONNECTORS connectors, all
//  unplugged, contactors open, unlocked, offering nothing (no PWM, as a
//  board at power-on: a car draws only once the controller has decided
//  what to offer), meters at 0 Wh.
//  The clock is borrowed and must outlive the driver. Returns NULL if the
//  connector count is out of range or memory runs out. Destroy with
//  hw_driver_destroy.
hw_driver_t *hw_sim_new(int connectors, cp_clock_t *clock);

//  A real energy meter keeps its register in non-volatile memory; the
//  simulated one is restored at start from the last reading the controller
//  persisted, so meter values never run backwards across restarts. Raises
//  the register to energy_wh (never lowers it). 0, or -1 on a bad argument.
int hw_sim_set_register(hw_driver_t *driver, int connector, double energy_wh);

//  The watchdog rule, pure: may contactors be closed at now_ms, given the
//  watchdog was armed (fed at least once since power-on or the last
//  expiry) and last fed at fed_ms with timeout_ms? True iff armed and
//  now_ms - fed_ms <= timeout_ms.
bool hw_sim_watchdog_ok(bool armed, int64_t fed_ms, int timeout_ms, int64_t now_ms);

#endif
