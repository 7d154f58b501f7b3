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
 */
#ifndef CP_SUPERVISOR_CLOCK_H
#define CP_SUPERVISOR_CLOCK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _cp_clock_t cp_clock_t;

cp_clock_t *cp_clock_new_system(void);
cp_clock_t *cp_clock_new_virtual(int64_t mono_ms, int64_t wall_ms);
//  A new clock of the model's kind, without its offset: a system clock,
//  or a virtual clock reading what the model reads now (advanced apart).
cp_clock_t *cp_clock_new_like(const cp_clock_t *model);
void cp_clock_destroy(cp_clock_t **self_p);

int64_t cp_clock_mono_ms(const cp_clock_t *self);
int64_t cp_clock_wall_ms(const cp_clock_t *self);
//  Adjust wall time so that it reads wall_ms now (thread-safe).
void cp_clock_set_wall_ms(cp_clock_t *self, int64_t wall_ms);
//  The offset of wall time from the host's UTC (a virtual clock: from its
//  own base wall time), as set_wall_ms left it; 0 on a new clock. Setting
//  it is how another actor's offset is taken over (thread-safe).
int64_t cp_clock_offset_ms(const cp_clock_t *self);
void cp_clock_set_offset_ms(cp_clock_t *self, int64_t offset_ms);
//  Virtual clocks only: move both clocks forward.
void cp_clock_advance(cp_clock_t *self, int64_t ms);

//  ISO 8601 UTC with milliseconds: 2026-11-26T10:00:00.000Z (out ≥ 25).
void cp_clock_format(int64_t wall_ms, char *out, size_t out_size);
//  Parse RFC 3339 date-time into ms since the epoch; -1 on error.
int cp_clock_parse(const char *text, int64_t *wall_ms);
#endif
