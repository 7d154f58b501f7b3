/* hw.h — the hardware interface every driver implements.
 *
 * The physical charger outlives every actor, so a driver is created by
 * main and handed to the hw actor, which is the only actor that drives it
 * (the safety actor will get a direct, minimal path to open contactors).
 * All calls are thread-safe: a restarted hw actor may overlap briefly with
 * the thread it replaces. Drivers: hw/sim (a complete simulated charger and
 * EV); real boards later behind the same table.
 */
#ifndef CP_HW_HW_H
#define CP_HW_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HW_MAX_CONNECTORS 8
//  The longest safety_rest a driver honours (a longer one is capped).
#define HW_REST_MAX_MS 10000

typedef struct {
    int connector;                 //  1-based
    bool plugged;                  //  cable connected to the car
    char pilot;                    //  'A'..'F' (IEC 61851-1)
    bool ev_requesting;            //  the EV asks for energy (pilot C)
    bool contactor_closed;
    bool locked;                   //  connector lock engaged
    double energy_wh;              //  meter register, monotonically increasing
    double power_w;
    double current_a;              //  per phase
    double voltage_v;
    double requested_a;            //  the offer the controller last asked for
    double offered_a;              //  what the pilot PWM offers the car now (≤ requested)
    double duty_pct;               //  its duty cycle (hw/pilot.h; 100 = no PWM)
    double temperature_c;
    char fault[17];                //  "none" | "rcd" | "ground" | "overcurrent" | "overtemp" | "welding"
    //  safety interlock (see safety_* below)
    bool permitted;                //  the safety path allows the contactor to close
    double safety_cap_a;           //  current cap from the safety path (derating); 0 = none
    double voltage_after_open_v;   //  voltage measured on the load side (welding check)
    //  A board of its own (hw/board) outlives the controller: true when it
    //  ran without a power cut since the previous controller linked, so a
    //  session the controller finds open may go on (actors/transaction/resume.h).
    bool board_continuous;
    bool left_away;                //  the car left while no controller was linked…
    double left_wh;                //  …with the meter register at that instant
    //  The enclosure's tamper switch (one per charger, reported with every
    //  connector): true while the enclosure is open. The security event
    //  TamperDetectionActivated comes from it (transaction actor).
    bool tamper;
} hw_connector_state_t;

//  The link to a board of its own (hw/board/board_link.h).
typedef struct {
    bool up;                       //  the board answers
    bool continuous;               //  no power cut of the board since the previous link
    uint32_t boot_id;              //  changes with every start of the board
    uint32_t link_gen;             //  links the board accepted since it started
    int64_t rtt_us;                //  round trip of the last request
    uint64_t bad_frames;           //  frames from the board that failed to decode
    uint64_t links;                //  links this driver made (1 + reconnections)
    bool pet_read;                 //  the board feeds and reports in one exchange (safety_feed_read)
    bool rest;                     //  the board rests: safety_rest_read, notices (notice_fds)
    bool resting;                  //  the last feed was a rest (safety_rest_read)
    uint64_t notices;              //  NOTICE frames the board sent on this driver's links
} hw_link_state_t;

//  The household grid meter at the installation's connection point (the
//  seed's Power Boost): the highest phase current flowing through the
//  main fuse, the charger's own draw included.
typedef struct {
    bool ok;                       //  false: the meter does not answer
    double current_a;              //  highest phase, amperes
} hw_grid_state_t;

typedef struct _hw_driver_t hw_driver_t;

typedef struct {
    int (*connector_count)(hw_driver_t *self);
    int (*read)(hw_driver_t *self, int connector, hw_connector_state_t *out);
    //  A report at most max_age_ms old, from an earlier read since the
    //  last command, or a fresh read. NULL op: every read is fresh (the
    //  simulator in this process costs nothing to read).
    int (*read_recent)(hw_driver_t *self, int connector, int max_age_ms, hw_connector_state_t *out);
    int (*set_contactor)(hw_driver_t *self, int connector, bool closed);
    int (*set_lock)(hw_driver_t *self, int connector, bool locked);
    int (*set_offered_current)(hw_driver_t *self, int connector, double amps);
    //  The grid meter, if the installation has one: 0 with *out filled
    //  (out->ok false when the meter is installed but silent), -1 when
    //  there is none. NULL op: no grid meter support in this driver.
    int (*read_grid)(hw_driver_t *self, hw_grid_state_t *out);
    //  Simulation and test drive: plug, unplug, ev_charge, ev_pause, fault
    //  (arg = kind or "clear"); on connector 0, grid (arg = the household
    //  load in A, "off" = the meter falls silent, "on").
    //  Returns 0, or -1 with reason filled.
    int (*simulate)(hw_driver_t *self, int connector, const char *command, const char *arg,
                    char *reason, size_t reason_size);
    //  The fail-safe path, used only by the safety actor. The driver keeps
    //  every contactor open unless the safety path feeds its watchdog at
    //  least every timeout_ms AND permits that connector: a dead or hung
    //  safety actor (or bus) therefore opens the contactors by itself.
    //  feed: arms/refreshes the watchdog. permit: allow or forbid closing
    //  connector's contactor (forbidding opens it at once), with a current
    //  cap (0 = none) the offered current never exceeds (derating).
    int (*safety_feed)(hw_driver_t *self, int timeout_ms);
    int (*safety_permit)(hw_driver_t *self, int connector, bool permitted, double cap_a);
    //  The supply's earthing system, set by the safety actor from the
    //  owner's setting: the earth (PE-N) monitor is armed on TN and
    //  disarmed on TT, where a local earth electrode legitimately floats
    //  away from neutral. NULL op: the board has no such monitor.
    int (*safety_set_earthing)(hw_driver_t *self, bool tt);
    //  The safety actor's tick in one call: feed the watchdog (as
    //  safety_feed) and read every connector afresh, states[i] and
    //  readable[i] for connector i + 1 (connector_count of each). Returns
    //  the feed's result; a connector that could not be read has
    //  readable[i] false. For a driver whose every call is an exchange
    //  with a board, one exchange instead of 1 + connectors (issue 12).
    //  NULL op: hw_driver_feed_read does safety_feed then read.
    int (*safety_feed_read)(hw_driver_t *self, int timeout_ms, hw_connector_state_t *states, bool *readable);
    //  A charger at rest (no cable, every contactor open, no trip): keep
    //  the permissions for timeout_ms (HW_REST_MAX_MS at most) without
    //  arming the contactors, which close only within a safety_feed's
    //  timeout; refused (-1) while any contactor is closed. The safety
    //  actor rests instead of feeding every 200 ms, and learns of a step
    //  from notice_fds. NULL op: the driver cannot rest.
    int (*safety_rest)(hw_driver_t *self, int timeout_ms);
    //  safety_rest and a read of every connector in one call (as
    //  safety_feed_read): 0; -1 refused (a contactor closed) or the link
    //  down; -2 the board cannot rest. NULL op: hw_driver_rest_read does
    //  safety_rest then read, or answers -2.
    int (*safety_rest_read)(hw_driver_t *self, int timeout_ms, hw_connector_state_t *states, bool *readable);
    //  What a resting safety actor waits on, beside its timer: fds[0] and
    //  fds[1] turn readable when the board announced a step (a NOTICE
    //  arriving, or taken in by another thread's exchange). fds[1] is
    //  emptied with one 8-byte read; fds[0] is emptied by the next
    //  safety_rest_read or safety_feed_read. Their numbers do not change
    //  while the driver lives. NULL op: nothing is announced (a driver in
    //  this process is read at every tick).
    void (*notice_fds)(hw_driver_t *self, int fds[2]);
    //  The link to a board outside this process: 0 with *out filled. NULL
    //  op: the hardware is in this process (no link to report).
    int (*link_state)(hw_driver_t *self, hw_link_state_t *out);
    //  A descriptor that turns readable when a report read by anyone (the
    //  safety actor's, every 100-200 ms) differs from the connector's report
    //  before it in a step (hw_connector_stepped), or the link goes down:
    //  the hw actor then need not read on a fast tick to see a car arrive.
    //  The reader empties it with one 8-byte read. NULL op, or -1: none
    //  (the hw actor reads every HW_CORE_TICK_MS).
    int (*changes_fd)(hw_driver_t *self);
    void (*destroy)(hw_driver_t *self);
} hw_driver_ops_t;

struct _hw_driver_t {
    const hw_driver_ops_t *ops;
    void *impl;
};

//  A step between two reports of one connector: anything but the measured
//  values (energy, power, current, voltage, temperature), which move on
//  their own and are read on the hw actor's timers.
bool hw_connector_stepped(const hw_connector_state_t *before, const hw_connector_state_t *after);

//  Destroys through ops->destroy and nulls the pointer.
void hw_driver_destroy(hw_driver_t **self_p);

//  Feed the watchdog and read every connector: the driver's
//  safety_feed_read, or safety_feed then one read per connector (what a
//  driver without it, or a board without PET_READ, needs). states and
//  readable hold connector_count entries. The feed's result: 0, or -1.
int hw_driver_feed_read(hw_driver_t *self, int timeout_ms, hw_connector_state_t *states, bool *readable);
//  The same without the op: always safety_feed, then read.
int hw_driver_feed_then_read(hw_driver_t *self, int timeout_ms, hw_connector_state_t *states, bool *readable);
//  Rest and read every connector: the driver's safety_rest_read, or
//  safety_rest then one read per connector. 0; -1 refused or failed; -2
//  the driver cannot rest (the caller feeds instead).
int hw_driver_rest_read(hw_driver_t *self, int timeout_ms, hw_connector_state_t *states, bool *readable);
#endif
