/* clock.h — the one clock interface.
 *
 * Timers use the monotonic clock; timestamps use UTC wall time plus an
 * offset that the ocpp actor sets from the central system's currentTime
 * (a charger has no trustworthy RTC, and a controller must never step the
 * system clock under other programs). Tests use a virtual clock they
 * advance by hand, so a day of schedule runs in microseconds.
 */
#ifndef CP_SUPERVISOR_CLOCK_H
#define CP_SUPERVISOR_CLOCK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _cp_clock_t cp_clock_t;

cp_clock_t *cp_clock_new_system(void);
cp_clock_t *cp_clock_new_virtual(int64_t mono_ms, int64_t wall_ms);
void cp_clock_destroy(cp_clock_t **self_p);

int64_t cp_clock_mono_ms(const cp_clock_t *self);
int64_t cp_clock_wall_ms(const cp_clock_t *self);
//  Adjust wall time so that it reads wall_ms now (thread-safe).
void cp_clock_set_wall_ms(cp_clock_t *self, int64_t wall_ms);
//  Virtual clocks only: move both clocks forward.
void cp_clock_advance(cp_clock_t *self, int64_t ms);

//  ISO 8601 UTC with milliseconds: 2026-11-26T10:00:00.000Z (out ≥ 25).
void cp_clock_format(int64_t wall_ms, char *out, size_t out_size);
//  Parse RFC 3339 date-time into ms since the epoch; -1 on error.
int cp_clock_parse(const char *text, int64_t *wall_ms);
#endif
