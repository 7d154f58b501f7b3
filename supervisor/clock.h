/* clock.h — the one clock interface.
 *
 * Timers use the monotonic clock; timestamps use UTC wall time plus an
 * offset that follows the central system's currentTime (a charger has no
 * trustworthy RTC, and a controller must never step the system clock under
 * other programs). Tests use a virtual clock they advance by hand, so a
 * day of schedule runs in microseconds.
 *
 * Every actor has a clock of its own: actors share no mutable state, and
 * in --split they cannot. The ocpp actor learns the offset from the
 * central system and publishes it ("clock.offset", level-triggered); each
 * actor's shell applies it to that actor's clock (shell.h).
 *
 * Wall time never runs backwards for a small correction. A central system
 * whose currentTime has whole seconds (or whose answer took a while)
 * disagrees with us by up to a few seconds at every Heartbeat; stepping
 * to it made one StatusNotification read 22:33:45.279 and the next
 * 22:33:45.014. So a correction below CP_CLOCK_STEP_MS is slewed: the
 * offset moves towards its target by CP_CLOCK_SLEW_PERMILLE of the time
 * that passes (wall time runs 10 % slow or fast meanwhile, never
 * backwards); only a larger one is stepped, and the caller logs it. The
 * slew is a pure function of the monotonic clock (cp_clock_steer_t), so
 * every actor that takes the same steer over reads the same time.
 */
#ifndef CP_SUPERVISOR_CLOCK_H
#define CP_SUPERVISOR_CLOCK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _cp_clock_t cp_clock_t;

//  Corrections of at least this are stepped; smaller ones are slewed. Two
//  central-system nodes a second or two apart, each answering in whole
//  seconds, disagree by up to ~3 s from one Heartbeat to the next: that
//  must slew, never step back. 10 s slews in 100 s at the rate below.
#define CP_CLOCK_STEP_MS        10000
//  The slew rate: the offset moves this many ms per second of monotonic
//  time (100 = wall time runs at 0.9x or 1.1x until it arrives).
#define CP_CLOCK_SLEW_PERMILLE  100

//  How the offset moves: from from_ms at monotonic time start_ms towards
//  to_ms at the slew rate, then stays at to_ms (from == to: a step).
typedef struct {
    int64_t from_ms;
    int64_t to_ms;
    int64_t start_ms;          //  monotonic ms
} cp_clock_steer_t;

//  The offset that steer gives at monotonic time mono_ms (pure).
int64_t cp_clock_steer_at(const cp_clock_steer_t *steer, int64_t mono_ms);

cp_clock_t *cp_clock_new_system(void);
cp_clock_t *cp_clock_new_virtual(int64_t mono_ms, int64_t wall_ms);
//  A new clock of the model's kind, without its offset: a system clock,
//  or a virtual clock reading what the model reads now (advanced apart).
cp_clock_t *cp_clock_new_like(const cp_clock_t *model);
//  The same, taking over the model's steer: a clock that reads the
//  model's wall time (an actor started with the offset in force).
cp_clock_t *cp_clock_new_following(const cp_clock_t *model);
void cp_clock_destroy(cp_clock_t **self_p);

int64_t cp_clock_mono_ms(const cp_clock_t *self);
int64_t cp_clock_wall_ms(const cp_clock_t *self);
//  Step wall time so that it reads wall_ms now (thread-safe).
void cp_clock_set_wall_ms(cp_clock_t *self, int64_t wall_ms);
//  The offset of wall time from the host's UTC (a virtual clock: from its
//  own base wall time) now, mid-slew included; 0 on a new clock. Setting
//  it steps there (thread-safe).
int64_t cp_clock_offset_ms(const cp_clock_t *self);
void cp_clock_set_offset_ms(cp_clock_t *self, int64_t offset_ms);
//  The offset the clock is heading for (= cp_clock_offset_ms once a slew
//  is over), and the offset that would make wall time read wall_ms now.
int64_t cp_clock_target_offset_ms(const cp_clock_t *self);
int64_t cp_clock_offset_for_wall_ms(const cp_clock_t *self, int64_t wall_ms);
//  Head for offset_ms: stepped when it is CP_CLOCK_STEP_MS or more from
//  the offset now (returns true: the caller logs it), else slewed from
//  the offset now (false). Thread-safe.
bool cp_clock_steer_to(cp_clock_t *self, int64_t offset_ms);
//  The steer in force, and taking over another clock's (how an actor
//  follows the ocpp actor's time: same monotonic clock, same wall time).
//  A step to the target this clock is already slewing to is how a
//  restarted source re-announces a time it had lost the slew of: the
//  slew in progress is kept, so wall time does not jump back.
void cp_clock_steer(const cp_clock_t *self, cp_clock_steer_t *out);
void cp_clock_set_steer(cp_clock_t *self, const cp_clock_steer_t *steer);
//  Virtual clocks only: move both clocks forward.
void cp_clock_advance(cp_clock_t *self, int64_t ms);

//  ISO 8601 UTC with milliseconds: 2026-11-26T10:00:00.000Z (out ≥ 25).
void cp_clock_format(int64_t wall_ms, char *out, size_t out_size);
//  Parse RFC 3339 date-time into ms since the epoch; -1 on error.
int cp_clock_parse(const char *text, int64_t *wall_ms);
#endif
