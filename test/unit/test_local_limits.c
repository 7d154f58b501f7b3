/* test_local_limits.c — the charger's own limits (actors/smartcharging/
 * local_limits.h) and how they meet the OCPP composite.
 *
 * What reaches the pilot is the minimum of the CSMS's profiles, the
 * installation maximum, the owner's limit, Power Boost and the local
 * schedule, shared among running sessions. A mistake here either trips the
 * house's main fuse or stops a car that should charge, and nobody at the
 * Central System can see it, so each part is pinned down on its own:
 *   - the LocalChargingSchedule grammar: what is accepted, and that every
 *     refusal names the window at fault;
 *   - the schedule clock on virtual UTC dates (2026-11-23 is a Monday):
 *     minute edges, windows over midnight and over the week end, overlaps,
 *     the exact next change, the owner's UTC offset;
 *   - sc_local_limits: installation, owner, Power Boost with a fresh,
 *     stale or silent meter;
 *   - sc_share_min: a share too small to charge with is worth nothing;
 *   - sc_limits_combine: a table, then property tests on random inputs
 *     (one connector: the result is exactly the smallest limit; several:
 *     the running sessions never exceed the total).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "actors/smartcharging/composite.h"
#include "actors/smartcharging/local_limits.h"
#include "supervisor/clock.h"

#define EPS       1e-9
#define MINUTE_MS 60000LL
#define HOUR_MS   (60 * MINUTE_MS)
#define DAY_MS    (24 * HOUR_MS)
#define WEEK_MS   (7 * DAY_MS)

//  Day bits of sc_window_t.days.
#define MO 0x01
#define TU 0x02
#define WE 0x04
#define TH 0x08
#define FR 0x10
#define SA 0x20
#define SU 0x40

static int64_t
s_at(const char *text)
{
    int64_t ms = 0;
    assert_int_equal(cp_clock_parse(text, &ms), 0);
    return ms;
}

static sc_local_schedule_t
s_schedule(const char *text)
{
    sc_local_schedule_t schedule;
    char reason[200] = "x";
    if (sc_local_schedule_parse(text, &schedule, reason, sizeof(reason)) != 0)
        fail_msg("'%s' refused: %s", text, reason);
    assert_string_equal(reason, "");
    return schedule;
}

//  The schedule is refused, the reason contains `expect`, nothing is kept.
static void
s_refused(const char *text, const char *expect)
{
    sc_local_schedule_t schedule;
    memset(&schedule, 0xa5, sizeof(schedule));
    char reason[200] = "";
    if (sc_local_schedule_parse(text, &schedule, reason, sizeof(reason)) != -1)
        fail_msg("'%s' accepted (%d windows)", text, schedule.count);
    if (!strstr(reason, expect))
        fail_msg("'%s': reason '%s' does not contain '%s'", text, reason, expect);
    assert_int_equal(schedule.count, 0);
}

static void
s_window(const sc_window_t *w, uint8_t days, int start_min, int end_min, double limit_a)
{
    assert_int_equal(w->days, days);
    assert_int_equal(w->start_min, start_min);
    assert_int_equal(w->end_min, end_min);
    assert_true(w->limit_a == limit_a);
}

//  --------------------------------------------------------------------------
//  Grammar

static void
test_parse_accepts(void **state)
{
    sc_local_schedule_t s = s_schedule("");
    assert_int_equal(s.count, 0);
    s = s_schedule("   ");
    assert_int_equal(s.count, 0);
    //  NULL is the same as "" (a key never set), and the reason is optional.
    assert_int_equal(sc_local_schedule_parse(NULL, &s, NULL, 0), 0);
    assert_int_equal(s.count, 0);

    s = s_schedule("22:00-06:00=16");
    assert_int_equal(s.count, 1);
    s_window(&s.window[0], 0x7f, 22 * 60, 6 * 60, 16);

    s = s_schedule("Mo-Fr 07:00-09:00=0; Sa,Su 00:00-24:00=32");
    assert_int_equal(s.count, 2);
    s_window(&s.window[0], MO | TU | WE | TH | FR, 7 * 60, 9 * 60, 0);
    s_window(&s.window[1], SA | SU, 0, 1440, 32);

    //  A range may wrap over the week end.
    s = s_schedule("Fr-Mo 10:00-11:00=6");
    s_window(&s.window[0], FR | SA | SU | MO, 600, 660, 6);
    s = s_schedule("Su-Mo 10:00-11:00=6");
    s_window(&s.window[0], SU | MO, 600, 660, 6);
    s = s_schedule("We 10:00-11:00=6");
    s_window(&s.window[0], WE, 600, 660, 6);
    s = s_schedule("Mo,We-Th,Sa 10:00-11:00=6");
    s_window(&s.window[0], MO | WE | TH | SA, 600, 660, 6);

    //  Decimals, the range ends, and blanks around windows and separators.
    s = s_schedule("10:00-11:00=10.5");
    assert_true(s.window[0].limit_a == 10.5);
    s = s_schedule("  10:00-11:00=6 ;Tu  12:00-13:00=80  ;  00:00-00:01=0  ");
    assert_int_equal(s.count, 3);
    s_window(&s.window[0], 0x7f, 600, 660, 6);
    s_window(&s.window[1], TU, 720, 780, 80);
    s_window(&s.window[2], 0x7f, 0, 1, 0);
    //  "…-00:00" ends at midnight: stored as 24:00 (the header's 1..1440)
    s = s_schedule("23:59-00:00=7");
    s_window(&s.window[0], 0x7f, 1439, 1440, 7);

    //  The most windows there may be.
    char text[1024] = "";
    for (int i = 0; i < SC_LOCAL_MAX_WINDOWS; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%02d:00-%02d:30=%d",
                 i ? ";" : "", i, i, 6 + i);
    s = s_schedule(text);
    assert_int_equal(s.count, SC_LOCAL_MAX_WINDOWS);
    s_window(&s.window[15], 0x7f, 15 * 60, 15 * 60 + 30, 21);
}

static void
test_parse_refuses(void **state)
{
    s_refused("25:00-10:00=10", "window 1 '25:00-10:00=10'");
    s_refused("10:00-10:00=10", "window 1");          //  empty window
    s_refused("10:00-11:00=5", "window 1");           //  1..5 A: a car cannot charge
    s_refused("10:00-11:00=1", "window 1");
    s_refused("10:00-11:00=5.99", "window 1");
    s_refused("10:00-11:00=81", "window 1");
    s_refused("10:00-11:00=80.1", "window 1");
    s_refused("10:00-11:00=-1", "window 1");
    s_refused("10:00-11:00=+6", "window 1");
    s_refused("10:00-11:00=nan", "window 1");
    s_refused("10:00-11:00=inf", "window 1");
    s_refused("10:00-11:00=6A", "window 1");
    s_refused("10:00-11:00=", "window 1");
    s_refused("Xx 10:00-11:00=10", "window 1 'Xx 10:00-11:00=10'");
    s_refused("mo 10:00-11:00=10", "window 1");       //  day names are case-sensitive
    s_refused("Mo- 10:00-11:00=10", "window 1");
    s_refused("-Fr 10:00-11:00=10", "window 1");
    s_refused("Mo, 10:00-11:00=10", "window 1");
    s_refused("Mo,,Tu 10:00-11:00=10", "window 1");
    s_refused("Mon 10:00-11:00=10", "window 1");
    s_refused("10:00-11:00", "window 1");
    s_refused("10:00-11:00 10", "window 1");
    s_refused("1:00-11:00=10", "window 1");
    s_refused("10:60-11:00=10", "window 1");
    s_refused("10:00-24:01=10", "window 1");
    s_refused("24:00-01:00=10", "window 1");          //  24:00 only ends a window
    s_refused(";", "window 1");
    s_refused("10:00-11:00=10;", "window 2");         //  a trailing empty window
    s_refused("10:00-11:00=10;;12:00-13:00=10", "window 2");
    s_refused("10:00-11:00=10; Xx 12:00-13:00=10", "window 2 'Xx 12:00-13:00=10'");
    s_refused("10:00-11:00=10;12:00-13:00=10;Mo 14:00-15:00=3", "window 3");

    //  One window too many.
    char text[1024] = "";
    for (int i = 0; i <= SC_LOCAL_MAX_WINDOWS; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%02d:00-%02d:30=%d",
                 i ? ";" : "", i, i, 6 + i);
    sc_local_schedule_t s;
    char reason[200] = "";
    assert_int_equal(sc_local_schedule_parse(text, &s, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "at most 16 windows"));
    //  A refused schedule is no schedule, on this refusal as on every other
    //  (the actor parses a hand-edited store straight into its live config).
    assert_int_equal(s.count, 0);

    //  A refusal without a reason buffer is still a refusal.
    assert_int_equal(sc_local_schedule_parse("10:00-11:00=5", &s, NULL, 0), -1);
    //  A long bad window is quoted, not overflowed.
    char small[64];
    assert_int_equal(sc_local_schedule_parse("Mo-Fr 10:00-11:00=10 and a very long tail of junk",
                                             &s, small, sizeof(small)), -1);
    assert_true(strlen(small) < sizeof(small));
    assert_non_null(strstr(small, "window 1"));
}

//  --------------------------------------------------------------------------
//  Clock

//  The schedule's cap at a UTC date-time read as local time.
static double
s_cap(const sc_local_schedule_t *s, const char *local)
{
    return sc_local_schedule_at(s, s_at(local), NULL);
}

static void
test_clock_minute_edges(void **state)
{
    sc_local_schedule_t s = s_schedule("Mo 10:00-11:00=16");
    int64_t open = s_at("2026-11-23T10:00:00Z");       //  a Monday
    assert_true(isinf(sc_local_schedule_at(&s, open - 1, NULL)));
    assert_true(sc_local_schedule_at(&s, open, NULL) == 16);
    assert_true(sc_local_schedule_at(&s, open + HOUR_MS - 1, NULL) == 16);
    assert_true(isinf(sc_local_schedule_at(&s, open + HOUR_MS, NULL)));
    //  Other days: closed; the next Monday: open again; also before 1970.
    assert_true(isinf(s_cap(&s, "2026-11-24T10:30:00Z")));
    assert_true(isinf(s_cap(&s, "2026-11-29T10:30:00Z")));
    assert_true(s_cap(&s, "2026-11-30T10:30:00Z") == 16);
    assert_true(s_cap(&s, "1969-12-29T10:30:00Z") == 16);
    assert_true(isinf(s_cap(&s, "1969-12-30T10:30:00Z")));

    //  0 A is a limit (no charging then), not "no limit".
    s = s_schedule("Mo-Fr 07:00-09:00=0; Sa,Su 00:00-24:00=32");
    assert_true(s_cap(&s, "2026-11-27T07:00:00Z") == 0);        //  Friday
    assert_true(isinf(s_cap(&s, "2026-11-27T09:00:00Z")));
    assert_true(s_cap(&s, "2026-11-28T00:00:00Z") == 32);       //  Saturday
    assert_true(s_cap(&s, "2026-11-29T23:59:59.999Z") == 32);   //  Sunday
    assert_true(isinf(s_cap(&s, "2026-11-30T00:00:00Z")));      //  Monday
}

static void
test_clock_over_midnight(void **state)
{
    //  A window over midnight belongs to the day it starts on.
    sc_local_schedule_t s = s_schedule("Fr 22:00-06:00=10");
    assert_true(isinf(s_cap(&s, "2026-11-27T21:59:00Z")));      //  Friday
    assert_true(s_cap(&s, "2026-11-27T22:00:00Z") == 10);
    assert_true(s_cap(&s, "2026-11-28T00:00:00Z") == 10);       //  Saturday
    assert_true(s_cap(&s, "2026-11-28T05:59:00Z") == 10);
    assert_true(s_cap(&s, "2026-11-28T05:59:59.999Z") == 10);
    assert_true(isinf(s_cap(&s, "2026-11-28T06:00:00Z")));
    assert_true(isinf(s_cap(&s, "2026-11-27T05:00:00Z")));      //  Friday morning
    assert_true(isinf(s_cap(&s, "2026-11-28T22:30:00Z")));      //  Saturday night

    //  ... also over the end of the week.
    s = s_schedule("Su 22:00-02:00=8");
    assert_true(s_cap(&s, "2026-11-29T23:00:00Z") == 8);        //  Sunday
    assert_true(s_cap(&s, "2026-11-30T01:00:00Z") == 8);        //  Monday
    assert_true(s_cap(&s, "2026-11-23T01:00:00Z") == 8);        //  the Monday before
    assert_true(isinf(s_cap(&s, "2026-11-30T02:00:00Z")));
    assert_true(isinf(s_cap(&s, "2026-11-24T01:00:00Z")));      //  Tuesday

    //  Every day: each night is covered, from the evening to the morning.
    s = s_schedule("22:00-06:00=16");
    assert_true(s_cap(&s, "2026-11-23T03:00:00Z") == 16);
    assert_true(s_cap(&s, "2026-11-25T23:00:00Z") == 16);
    assert_true(isinf(s_cap(&s, "2026-11-25T12:00:00Z")));
    //  A window to 24:00 ends at midnight.
    s = s_schedule("Mo 20:00-24:00=12");
    assert_true(s_cap(&s, "2026-11-23T23:59:59.999Z") == 12);
    assert_true(isinf(s_cap(&s, "2026-11-24T00:00:00Z")));
}

static void
test_clock_overlaps(void **state)
{
    sc_local_schedule_t s = s_schedule("08:00-12:00=20;Mo 10:00-11:00=10;09:00-10:30=0");
    assert_true(s_cap(&s, "2026-11-23T08:30:00Z") == 20);
    assert_true(s_cap(&s, "2026-11-23T09:30:00Z") == 0);
    assert_true(s_cap(&s, "2026-11-23T10:15:00Z") == 0);        //  all three: the smallest
    assert_true(s_cap(&s, "2026-11-23T10:45:00Z") == 10);
    assert_true(s_cap(&s, "2026-11-24T10:45:00Z") == 20);       //  Tuesday: no 10 A window
    assert_true(s_cap(&s, "2026-11-23T11:30:00Z") == 20);
    assert_true(isinf(s_cap(&s, "2026-11-23T12:00:00Z")));
    //  The order of the windows does not matter.
    sc_local_schedule_t r = s_schedule("09:00-10:30=0;Mo 10:00-11:00=10;08:00-12:00=20");
    for (int64_t t = s_at("2026-11-23T00:00:00Z"); t < s_at("2026-11-25T00:00:00Z"); t += 15 * MINUTE_MS) {
        double a = sc_local_schedule_at(&s, t, NULL);
        double b = sc_local_schedule_at(&r, t, NULL);
        assert_true(a == b || (isinf(a) && isinf(b)));
    }
}

static void
test_clock_next_change(void **state)
{
    sc_local_schedule_t s = s_schedule("Mo 10:00-11:00=16");
    int64_t next = -1;
    //  Before the window: its opening, to the millisecond.
    assert_true(isinf(sc_local_schedule_at(&s, s_at("2026-11-23T09:00:00.123Z"), &next)));
    assert_true(next == s_at("2026-11-23T10:00:00Z"));
    //  Exactly on the opening: open, and the next change is the closing.
    assert_true(sc_local_schedule_at(&s, s_at("2026-11-23T10:00:00Z"), &next) == 16);
    assert_true(next == s_at("2026-11-23T11:00:00Z"));
    assert_true(sc_local_schedule_at(&s, s_at("2026-11-23T10:59:59.999Z"), &next) == 16);
    assert_true(next == s_at("2026-11-23T11:00:00Z"));
    //  Exactly on the closing: closed until the next Monday.
    assert_true(isinf(sc_local_schedule_at(&s, s_at("2026-11-23T11:00:00Z"), &next)));
    assert_true(next == s_at("2026-11-30T10:00:00Z"));
    assert_true(isinf(sc_local_schedule_at(&s, s_at("2026-11-26T17:45:12.345Z"), &next)));
    assert_true(next == s_at("2026-11-30T10:00:00Z"));

    //  Over midnight: the closing is on the next day.
    s = s_schedule("Fr 22:00-06:00=10");
    assert_true(sc_local_schedule_at(&s, s_at("2026-11-28T05:00:00Z"), &next) == 10);
    assert_true(next == s_at("2026-11-28T06:00:00Z"));
    //  Every day: today's opening comes next.
    s = s_schedule("22:00-06:00=16");
    sc_local_schedule_at(&s, s_at("2026-11-25T12:00:00Z"), &next);
    assert_true(next == s_at("2026-11-25T22:00:00Z"));
    //  Several windows: the earliest edge of any.
    s = s_schedule("08:00-12:00=20;Mo 10:00-11:00=10;09:00-10:30=0");
    sc_local_schedule_at(&s, s_at("2026-11-23T09:45:00Z"), &next);
    assert_true(next == s_at("2026-11-23T10:00:00Z"));
    sc_local_schedule_at(&s, s_at("2026-11-23T10:00:00Z"), &next);
    assert_true(next == s_at("2026-11-23T10:30:00Z"));

    //  Walking from change to change visits exactly the edges, and the cap
    //  never changes between two of them.
    s = s_schedule("Mo-Fr 07:00-09:00=0; Sa,Su 00:00-24:00=32; Fr 22:00-06:00=10");
    int64_t t = s_at("2026-11-23T00:00:00Z");
    int64_t end = t + WEEK_MS;
    int changes = 0;
    while (t < end) {
        double cap = sc_local_schedule_at(&s, t, &next);
        assert_true(next > t && next <= t + WEEK_MS);
        double before = sc_local_schedule_at(&s, next - 1, NULL);
        assert_true(before == cap || (isinf(before) && isinf(cap)));
        t = next;
        changes++;
    }
    //  5 × 2 weekday edges; Saturday 00:00, Sunday 00:00 and Monday 00:00
    //  (the Sa and Su windows open and close there: edges even where the
    //  cap stays 32, or stays 10 inside the Friday night window); Friday
    //  22:00 and Saturday 06:00.
    assert_int_equal(changes, 10 + 3 + 2);

    //  No schedule: no cap, never a change; NULL next is fine.
    s = s_schedule("");
    next = -1;
    assert_true(isinf(sc_local_schedule_at(&s, s_at("2026-11-23T10:00:00Z"), &next)));
    assert_true(next == 0);
    assert_true(isinf(sc_local_schedule_at(&s, 0, NULL)));
}

//  --------------------------------------------------------------------------
//  sc_local_limits

static sc_local_config_t
s_config(double installation_max_a)
{
    sc_local_config_t c;
    memset(&c, 0, sizeof(c));
    c.installation_max_a = installation_max_a;
    return c;
}

static const sc_grid_view_t s_no_grid = { false, false, 0, 0 };

static void
test_limits_installation_owner(void **state)
{
    sc_local_config_t c = s_config(32);
    sc_local_limits_t l;
    int64_t now = s_at("2026-11-23T10:00:00Z");
    sc_local_limits(&c, &s_no_grid, now, &l);
    assert_true(l.total_a == 32);
    assert_int_equal(l.total_source, SC_SOURCE_INSTALLATION);
    assert_true(isinf(l.connector_a));                  //  no owner limit
    assert_true(l.next_wall_ms == 0);                   //  no schedule

    c.owner_limit_a = 16;
    sc_local_limits(&c, &s_no_grid, now, &l);
    assert_true(l.total_a == 32);
    assert_true(l.connector_a == 16);
    assert_int_equal(l.connector_source, SC_SOURCE_OWNER);

    //  The schedule is per connector and meets the owner's limit.
    c.schedule = s_schedule("Mo 10:00-11:00=10");
    sc_local_limits(&c, &s_no_grid, now, &l);
    assert_true(l.connector_a == 10);
    assert_int_equal(l.connector_source, SC_SOURCE_SCHEDULE);
    assert_true(l.next_wall_ms == s_at("2026-11-23T11:00:00Z"));
    c.schedule = s_schedule("Mo 10:00-11:00=20");
    sc_local_limits(&c, &s_no_grid, now, &l);
    assert_true(l.connector_a == 16);
    assert_int_equal(l.connector_source, SC_SOURCE_OWNER);
    //  On a tie the earlier source is named.
    c.schedule = s_schedule("Mo 10:00-11:00=16");
    sc_local_limits(&c, &s_no_grid, now, &l);
    assert_true(l.connector_a == 16);
    assert_int_equal(l.connector_source, SC_SOURCE_OWNER);
    //  Outside the window only the owner's limit remains.
    sc_local_limits(&c, &s_no_grid, now + HOUR_MS, &l);
    assert_true(l.connector_a == 16);
    assert_true(l.next_wall_ms == s_at("2026-11-30T10:00:00Z"));
    //  A 0 A window stops charging even without an owner limit.
    c.owner_limit_a = 0;
    c.schedule = s_schedule("Mo 10:00-11:00=0");
    sc_local_limits(&c, &s_no_grid, now, &l);
    assert_true(l.connector_a == 0);
    assert_int_equal(l.connector_source, SC_SOURCE_SCHEDULE);
    assert_true(l.total_a == 32);                       //  the schedule is not a total
}

static void
test_limits_utc_offset(void **state)
{
    sc_local_config_t c = s_config(32);
    sc_local_limits_t l;
    c.schedule = s_schedule("Mo 10:00-11:00=10");
    //  UTC+1: the 10:00 local window is 09:00-10:00 UTC.
    c.utc_offset_min = 60;
    sc_local_limits(&c, &s_no_grid, s_at("2026-11-23T08:59:59.999Z"), &l);
    assert_true(isinf(l.connector_a));
    assert_true(l.next_wall_ms == s_at("2026-11-23T09:00:00Z"));     //  wall time, not local
    sc_local_limits(&c, &s_no_grid, s_at("2026-11-23T09:00:00Z"), &l);
    assert_true(l.connector_a == 10);
    assert_true(l.next_wall_ms == s_at("2026-11-23T10:00:00Z"));
    sc_local_limits(&c, &s_no_grid, s_at("2026-11-23T10:00:00Z"), &l);
    assert_true(isinf(l.connector_a));
    //  UTC-5: it is 15:00-16:00 UTC.
    c.utc_offset_min = -300;
    sc_local_limits(&c, &s_no_grid, s_at("2026-11-23T10:30:00Z"), &l);
    assert_true(isinf(l.connector_a));
    assert_true(l.next_wall_ms == s_at("2026-11-23T15:00:00Z"));
    sc_local_limits(&c, &s_no_grid, s_at("2026-11-23T15:30:00Z"), &l);
    assert_true(l.connector_a == 10);
    //  An offset moves the day too: Monday 00:30 at UTC+2 is Sunday 22:30 UTC.
    c.schedule = s_schedule("Mo 00:00-01:00=6");
    c.utc_offset_min = 120;
    sc_local_limits(&c, &s_no_grid, s_at("2026-11-22T22:30:00Z"), &l);
    assert_true(l.connector_a == 6);
    assert_true(l.next_wall_ms == s_at("2026-11-22T23:00:00Z"));
    sc_local_limits(&c, &s_no_grid, s_at("2026-11-23T00:30:00Z"), &l);
    assert_true(isinf(l.connector_a));
}

static sc_grid_view_t
s_grid(double grid_a, double charger_a)
{
    sc_grid_view_t g = { true, true, grid_a, charger_a };
    return g;
}

static void
test_limits_power_boost(void **state)
{
    sc_local_config_t c = s_config(32);
    c.power_boost = true;
    c.main_fuse_a = 25;
    sc_local_limits_t l;
    int64_t now = s_at("2026-11-23T10:00:00Z");
    //  The house draws 25 - 10 = 15 A of the 25 A fuse: 10 A are left.
    sc_grid_view_t g = s_grid(25, 10);
    sc_local_limits(&c, &g, now, &l);
    assert_true(l.total_a == 10);
    assert_int_equal(l.total_source, SC_SOURCE_POWER_BOOST);
    assert_true(isinf(l.connector_a));                  //  Power Boost is a total
    //  Nothing but the charger: the whole fuse.
    g = s_grid(10, 10);
    sc_local_limits(&c, &g, now, &l);
    assert_true(l.total_a == 25);
    //  A meter reading below the charger's own draw (phase mismatch, lag):
    //  the household counts as 0, never as negative.
    g = s_grid(4, 10);
    sc_local_limits(&c, &g, now, &l);
    assert_true(l.total_a == 25);
    assert_int_equal(l.total_source, SC_SOURCE_POWER_BOOST);
    //  The house alone above the fuse: nothing for the charger, not negative.
    g = s_grid(40, 0);
    sc_local_limits(&c, &g, now, &l);
    assert_true(l.total_a == 0);
    assert_int_equal(l.total_source, SC_SOURCE_POWER_BOOST);
    g = s_grid(25, 0);
    sc_local_limits(&c, &g, now, &l);
    assert_true(l.total_a == 0);
    //  Whole amperes, rounded down: 25 - 14.3 = 10.7 → 10.
    g = s_grid(14.3, 0);
    sc_local_limits(&c, &g, now, &l);
    assert_true(l.total_a == 10);
    g = s_grid(14.9, 0.5);
    sc_local_limits(&c, &g, now, &l);
    assert_true(l.total_a == 10);
    g = s_grid(15.0, 0);
    sc_local_limits(&c, &g, now, &l);
    assert_true(l.total_a == 10);
    //  A stale or silent meter: the 6 A fallback, whatever it said last.
    g = s_grid(0, 0);
    g.fresh = false;
    sc_local_limits(&c, &g, now, &l);
    assert_true(l.total_a == SC_POWER_BOOST_FALLBACK_A);
    assert_int_equal(l.total_source, SC_SOURCE_POWER_BOOST);
    g = s_grid(0, 0);
    g.ok = false;
    sc_local_limits(&c, &g, now, &l);
    assert_true(l.total_a == SC_POWER_BOOST_FALLBACK_A);
    g = s_grid(40, 0);
    g.ok = false;                                       //  fallback even when lower
    sc_local_limits(&c, &g, now, &l);
    assert_true(l.total_a == SC_POWER_BOOST_FALLBACK_A);
    assert_true(SC_POWER_BOOST_FALLBACK_A == 6.0);
    //  Boost above the installation maximum: the installation wins.
    c.main_fuse_a = 63;
    g = s_grid(0, 0);
    sc_local_limits(&c, &g, now, &l);
    assert_true(l.total_a == 32);
    assert_int_equal(l.total_source, SC_SOURCE_INSTALLATION);
    //  A tie names the installation (the earlier source).
    g = s_grid(31, 0);
    sc_local_limits(&c, &g, now, &l);
    assert_true(l.total_a == 32);
    assert_int_equal(l.total_source, SC_SOURCE_INSTALLATION);
    //  Power Boost off: the meter is ignored, however bad it looks.
    c.power_boost = false;
    c.main_fuse_a = 25;
    g = s_grid(1000, 0);
    sc_local_limits(&c, &g, now, &l);
    assert_true(l.total_a == 32);
    assert_int_equal(l.total_source, SC_SOURCE_INSTALLATION);
    sc_local_limits(&c, &s_no_grid, now, &l);
    assert_true(l.total_a == 32);
}

//  --------------------------------------------------------------------------
//  sc_share_min

static void
s_share(double cap, const double *want, int n, const double *expect)
{
    double out[SC_MAX_CONNECTORS];
    sc_share_min(cap, want, n, SC_LOCAL_MIN_CHARGE_A, out);
    for (int i = 0; i < n; i++)
        if (!(fabs(out[i] - expect[i]) <= EPS))
            fail_msg("share of %g: consumer %d got %g, expected %g", cap, i, out[i], expect[i]);
}

static void
test_share_min(void **state)
{
    //  Two cars, 10 A: one charges at 10, the other pauses (not 5 + 5,
    //  with which neither could charge).
    s_share(10, (double[]) { 32, 32 }, 2, (double[]) { 10, 0 });
    s_share(12, (double[]) { 32, 32 }, 2, (double[]) { 6, 6 });
    s_share(11.9, (double[]) { 32, 32 }, 2, (double[]) { 11.9, 0 });
    s_share(40, (double[]) { 10, 32 }, 2, (double[]) { 10, 30 });
    s_share(40, (double[]) { 32, 10 }, 2, (double[]) { 30, 10 });
    s_share(64, (double[]) { 32, 32 }, 2, (double[]) { 32, 32 });
    //  Three cars: drop the last until the rest can charge.
    s_share(16, (double[]) { 32, 32, 32 }, 3, (double[]) { 8, 8, 0 });
    s_share(18, (double[]) { 32, 32, 32 }, 3, (double[]) { 6, 6, 6 });
    s_share(5, (double[]) { 32, 32, 32 }, 3, (double[]) { 0, 0, 0 });
    //  A want below the minimum is honoured as it is.
    s_share(10, (double[]) { 4, 32 }, 2, (double[]) { 4, 6 });
    s_share(10, (double[]) { 0, 32 }, 2, (double[]) { 0, 10 });
    s_share(20, (double[]) { 3, 32, 32 }, 3, (double[]) { 3, 8.5, 8.5 });
    //  Nobody: nothing to do.
    sc_share_min(10, NULL, 0, SC_LOCAL_MIN_CHARGE_A, NULL);
}

typedef struct {
    uint64_t s;
} rng_t;

static uint64_t
s_next(rng_t *r)
{
    //  xorshift64*: deterministic, so a failure reproduces.
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ULL;
}

static int
s_below(rng_t *r, int n)
{
    return (int) (s_next(r) % (uint64_t) n);
}

//  A current on the 0.1 A grid in [0, max_tenths / 10].
static double
s_grid_a(rng_t *r, int max_tenths)
{
    return s_below(r, max_tenths + 1) / 10.0;
}

static void
test_share_min_property(void **state)
{
    rng_t r = { 0x5eed5eedULL };
    for (int round = 0; round < 10000; round++) {
        int n = 1 + s_below(&r, SC_MAX_CONNECTORS);
        double cap = s_grid_a(&r, 800), want[SC_MAX_CONNECTORS], out[SC_MAX_CONNECTORS];
        for (int i = 0; i < n; i++)
            want[i] = s_below(&r, 4) == 0 ? s_grid_a(&r, 60) : s_grid_a(&r, 800);
        sc_share_min(cap, want, n, SC_LOCAL_MIN_CHARGE_A, out);
        double sum = 0;
        bool dropped = false;
        for (int i = 0; i < n; i++) {
            sum += out[i];
            assert_true(out[i] >= 0 && out[i] <= want[i] + EPS);
            //  usable: at least the minimum, or all it wants, or nothing
            assert_true(out[i] >= SC_LOCAL_MIN_CHARGE_A - EPS || fabs(out[i] - want[i]) <= EPS
                        || out[i] == 0);
            //  only the last in priority are dropped
            bool zero = out[i] == 0 && want[i] > 0;
            if (dropped)
                assert_true(out[i] == 0);
            dropped = dropped || zero;
        }
        assert_true(sum <= cap + 1e-6);
    }
}

//  --------------------------------------------------------------------------
//  sc_limits_combine

static sc_limits_in_t
s_in(int connectors)
{
    sc_limits_in_t in;
    memset(&in, 0, sizeof(in));
    in.connectors = connectors;
    in.cp_cap_a = 32;
    in.cp_source = SC_SOURCE_DEFAULT;
    for (int c = 1; c <= connectors; c++) {
        in.own_a[c] = 32;
        in.own_source[c] = SC_SOURCE_DEFAULT;
        in.started_ms[c] = 1000 * c;
    }
    in.local.total_a = INFINITY;
    in.local.total_source = SC_SOURCE_INSTALLATION;
    in.local.connector_a = INFINITY;
    in.local.connector_source = SC_SOURCE_OWNER;
    return in;
}

typedef struct {
    double limit[SC_MAX_CONNECTORS + 1];
    sc_source_t source[SC_MAX_CONNECTORS + 1];
} result_t;

static result_t
s_combine(const sc_limits_in_t *in)
{
    result_t r;
    memset(&r, 0, sizeof(r));
    sc_limits_combine(in, r.limit, r.source);
    return r;
}

static void
s_expect(const sc_limits_in_t *in, int connector, double limit, sc_source_t source)
{
    result_t r = s_combine(in);
    if (!(fabs(r.limit[connector] - limit) <= EPS) || r.source[connector] != source)
        fail_msg("connector %d: %g A (%s), expected %g A (%s)", connector, r.limit[connector],
                 sc_source_name(r.source[connector]), limit, sc_source_name(source));
}

static void
test_combine_single(void **state)
{
    sc_limits_in_t in = s_in(1);
    s_expect(&in, 1, 32, SC_SOURCE_DEFAULT);
    in.local.total_a = 16;
    s_expect(&in, 1, 16, SC_SOURCE_INSTALLATION);
    in.local.total_source = SC_SOURCE_POWER_BOOST;
    s_expect(&in, 1, 16, SC_SOURCE_POWER_BOOST);
    in.own_a[1] = 10;
    in.own_source[1] = SC_SOURCE_OCPP;
    s_expect(&in, 1, 10, SC_SOURCE_OCPP);
    in.cp_cap_a = 8;
    in.cp_source = SC_SOURCE_OCPP;
    s_expect(&in, 1, 8, SC_SOURCE_OCPP);
    in.local.connector_a = 7;
    in.local.connector_source = SC_SOURCE_SCHEDULE;
    s_expect(&in, 1, 7, SC_SOURCE_SCHEDULE);
    in.local.connector_a = 0;
    s_expect(&in, 1, 0, SC_SOURCE_SCHEDULE);

    //  Ties name the OCPP (or default) limit.
    in = s_in(1);
    in.own_a[1] = 16;
    in.own_source[1] = SC_SOURCE_OCPP;
    in.local.connector_a = 16;
    s_expect(&in, 1, 16, SC_SOURCE_OCPP);
    in = s_in(1);
    in.cp_cap_a = 16;
    in.cp_source = SC_SOURCE_OCPP;
    in.local.total_a = 16;
    s_expect(&in, 1, 16, SC_SOURCE_OCPP);
    in = s_in(1);
    in.local.total_a = 32;
    s_expect(&in, 1, 32, SC_SOURCE_DEFAULT);

    //  Down to the 0.1 A grid, never up; nothing negative.
    in = s_in(1);
    in.own_a[1] = 10.37;
    s_expect(&in, 1, 10.3, SC_SOURCE_DEFAULT);
    in.local.total_a = 9.99;
    s_expect(&in, 1, 9.9, SC_SOURCE_INSTALLATION);
    in.local.total_a = -1;
    s_expect(&in, 1, 0, SC_SOURCE_INSTALLATION);

    //  No limit anywhere: the pilot's 80 A.
    in = s_in(1);
    in.cp_cap_a = INFINITY;
    in.own_a[1] = INFINITY;
    result_t r = s_combine(&in);
    assert_true(r.limit[1] == SC_LOCAL_MAX_A);
    //  INFINITY local limits leave the OCPP limits as they are.
    in = s_in(1);
    in.own_a[1] = 63;
    in.cp_cap_a = 70;
    s_expect(&in, 1, 63, SC_SOURCE_DEFAULT);
    //  A session changes nothing when it is alone.
    in = s_in(1);
    in.active[1] = true;
    in.local.total_a = 3;
    s_expect(&in, 1, 3, SC_SOURCE_INSTALLATION);
}

//  On a tie between the local per-connector limit (owner/schedule) and
//  the OCPP ChargePointMaxProfile the earlier source is named (OCPP comes
//  before OWNER): own 32 default, ChargePointMaxProfile 16 A, owner limit
//  16 A → 16 A "ocpp"; owner 10 = installation 10 → "installation".
static void
test_combine_tie_local_connector_vs_cp_cap(void **state)
{
    sc_limits_in_t in = s_in(1);
    in.cp_cap_a = 16;
    in.cp_source = SC_SOURCE_OCPP;
    in.local.connector_a = 16;
    in.local.connector_source = SC_SOURCE_OWNER;
    s_expect(&in, 1, 16, SC_SOURCE_OCPP);
    in = s_in(1);
    in.local.total_a = 10;
    in.local.connector_a = 10;
    s_expect(&in, 1, 10, SC_SOURCE_INSTALLATION);
}

//  A limit on the 0.1 A grid: anywhere in 0..80 A (mode 0), in a narrow
//  range (mode 1) or among the usual round values (mode 2), so that ties
//  between the limits are frequent.
static double
s_limit(rng_t *r, int mode)
{
    static const double usual[] = { 0, 6, 10, 13, 16, 20, 32 };
    if (mode == 0)
        return s_grid_a(r, 800);
    if (mode == 1)
        return 6 + s_grid_a(r, 20);
    return usual[s_below(r, (int) (sizeof(usual) / sizeof(usual[0])))];
}

static bool
s_is_ocpp(sc_source_t source)
{
    return source == SC_SOURCE_DEFAULT || source == SC_SOURCE_OCPP;
}

//  One connector, random limits on the 0.1 A grid: the result is exactly
//  the smallest of them, and it is named after one that equals it.
static void
test_combine_property_single(void **state)
{
    rng_t r = { 20261123ULL };
    const sc_source_t total_sources[] = { SC_SOURCE_INSTALLATION, SC_SOURCE_POWER_BOOST };
    const sc_source_t conn_sources[] = { SC_SOURCE_OWNER, SC_SOURCE_SCHEDULE };
    int cases = 0, ties = 0;
    for (int round = 0; round < 20000; round++) {
        sc_limits_in_t in = s_in(1);
        int mode = s_below(&r, 3);
        in.cp_cap_a = s_limit(&r, mode);
        in.cp_source = s_below(&r, 2) ? SC_SOURCE_OCPP : SC_SOURCE_DEFAULT;
        in.own_a[1] = s_limit(&r, mode);
        in.own_source[1] = s_below(&r, 2) ? SC_SOURCE_OCPP : SC_SOURCE_DEFAULT;
        in.active[1] = s_below(&r, 2);
        in.local.total_a = s_below(&r, 3) == 0 ? INFINITY : s_limit(&r, mode);
        in.local.total_source = total_sources[s_below(&r, 2)];
        in.local.connector_a = s_below(&r, 3) == 0 ? INFINITY : s_limit(&r, mode);
        in.local.connector_source = conn_sources[s_below(&r, 2)];
        result_t res = s_combine(&in);
        double got = res.limit[1];
        sc_source_t src = res.source[1];

        const double value[4] = { in.cp_cap_a, in.own_a[1], in.local.total_a, in.local.connector_a };
        const sc_source_t source[4] = { in.cp_source, in.own_source[1], in.local.total_source,
                                        in.local.connector_source };
        double smallest = INFINITY;
        for (int i = 0; i < 4; i++) {
            assert_true(got <= value[i] + EPS);
            smallest = fmin(smallest, value[i]);
        }
        if (!(fabs(got - smallest) <= EPS))
            fail_msg("round %d: %g A, expected the smallest %g A (cp %g own %g total %g conn %g)",
                     round, got, smallest, value[0], value[1], value[2], value[3]);
        //  Named after a limit that equals the result...
        bool named = false, ocpp_equal = false;
        int equal = 0;
        for (int i = 0; i < 4; i++)
            if (fabs(value[i] - got) <= EPS) {
                equal++;
                named = named || source[i] == src;
                ocpp_equal = ocpp_equal || (i < 2);
            }
        assert_true(named);
        //  ... and on a tie, the OCPP or default one.
        if (equal > 1)
            ties++;
        if (ocpp_equal)
            assert_true(s_is_ocpp(src));
        cases++;
    }
    //  The generator really produced ties, and the property ran broadly.
    assert_true(ties > 1000);
    assert_true(cases >= 10000);
}

static void
test_combine_sharing(void **state)
{
    //  Two sessions under a 32 A installation: 16 A each.
    sc_limits_in_t in = s_in(2);
    in.local.total_a = 32;
    in.active[1] = in.active[2] = true;
    result_t r = s_combine(&in);
    assert_true(r.limit[1] == 16 && r.limit[2] == 16);
    assert_int_equal(r.source[1], SC_SOURCE_SHARING);
    assert_int_equal(r.source[2], SC_SOURCE_SHARING);

    //  10 A for two: the session that started first keeps charging.
    in.local.total_a = 10;
    in.started_ms[1] = 5000;
    in.started_ms[2] = 4000;
    r = s_combine(&in);
    assert_true(r.limit[2] == 10);
    assert_int_equal(r.source[2], SC_SOURCE_INSTALLATION);      //  what it gets alone
    assert_true(r.limit[1] == 0);
    assert_int_equal(r.source[1], SC_SOURCE_SHARING);
    in.started_ms[1] = 3000;
    r = s_combine(&in);
    assert_true(r.limit[1] == 10 && r.limit[2] == 0);

    //  A session wanting less leaves the rest to the other.
    in = s_in(2);
    in.active[1] = in.active[2] = true;
    in.own_a[1] = 10;
    in.own_source[1] = SC_SOURCE_OCPP;
    in.local.total_a = 32;
    r = s_combine(&in);
    assert_true(r.limit[1] == 10);
    assert_int_equal(r.source[1], SC_SOURCE_OCPP);
    assert_true(r.limit[2] == 22);
    assert_int_equal(r.source[2], SC_SOURCE_SHARING);

    //  The sessions share the total among themselves; a connector without
    //  a session is offered only what they leave (nothing below 6 A), so a
    //  car starting there never draws on top of them.
    in = s_in(3);
    in.local.total_a = 32;
    in.active[1] = in.active[3] = true;
    r = s_combine(&in);
    assert_true(r.limit[1] == 16 && r.limit[3] == 16);
    assert_true(r.limit[2] == 0);
    assert_int_equal(r.source[2], SC_SOURCE_SHARING);
    in.own_a[1] = 10;                       //  session 1 wants 10: 22 go to session 3
    in.own_a[3] = 12;                       //  ... which takes 12: 10 are left for 2
    r = s_combine(&in);
    assert_true(r.limit[2] == 10);
    assert_int_equal(r.source[2], SC_SOURCE_SHARING);
    in.own_a[2] = 8;                        //  less than what is left: its own limit
    in.own_source[2] = SC_SOURCE_OCPP;
    r = s_combine(&in);
    assert_true(r.limit[2] == 8);
    assert_int_equal(r.source[2], SC_SOURCE_OCPP);
    //  No session at all: each idle connector is offered what it would get alone.
    in = s_in(2);
    in.local.total_a = 32;
    r = s_combine(&in);
    assert_true(r.limit[1] == 32 && r.limit[2] == 32);

    //  The OCPP cap is shared as well, and a third of it rounds down.
    in = s_in(3);
    in.cp_cap_a = 32;
    in.cp_source = SC_SOURCE_OCPP;
    in.own_a[1] = in.own_a[2] = in.own_a[3] = 63;
    in.active[1] = in.active[2] = in.active[3] = true;
    r = s_combine(&in);
    for (int c = 1; c <= 3; c++) {
        assert_true(r.limit[c] == 10.6);
        assert_int_equal(r.source[c], SC_SOURCE_SHARING);
    }
    //  A session held at 0 A by its profile takes nothing from the others.
    in = s_in(2);
    in.local.total_a = 16;
    in.own_a[1] = 0;
    in.own_source[1] = SC_SOURCE_OCPP;
    in.active[1] = in.active[2] = true;
    r = s_combine(&in);
    assert_true(r.limit[1] == 0);
    assert_int_equal(r.source[1], SC_SOURCE_OCPP);
    assert_true(r.limit[2] == 16);
    assert_int_equal(r.source[2], SC_SOURCE_INSTALLATION);
    //  A 0 A schedule window (every connector) pauses everyone, as itself.
    in = s_in(2);
    in.local.total_a = 16;
    in.local.connector_a = 0;
    in.local.connector_source = SC_SOURCE_SCHEDULE;
    in.active[1] = in.active[2] = true;
    r = s_combine(&in);
    assert_true(r.limit[1] == 0 && r.limit[2] == 0);
    assert_int_equal(r.source[1], SC_SOURCE_SCHEDULE);
    assert_int_equal(r.source[2], SC_SOURCE_SCHEDULE);

    //  Power Boost falling back to 6 A with two cars: only one charges.
    in = s_in(2);
    in.local.total_a = SC_POWER_BOOST_FALLBACK_A;
    in.local.total_source = SC_SOURCE_POWER_BOOST;
    in.active[1] = in.active[2] = true;
    r = s_combine(&in);
    assert_true(r.limit[1] == 6 && r.limit[2] == 0);
    assert_int_equal(r.source[1], SC_SOURCE_POWER_BOOST);
    assert_int_equal(r.source[2], SC_SOURCE_SHARING);

    //  No limit at all: every connector the pilot's 80 A.
    in = s_in(2);
    in.cp_cap_a = INFINITY;
    in.own_a[1] = in.own_a[2] = INFINITY;
    in.active[1] = in.active[2] = true;
    r = s_combine(&in);
    assert_true(r.limit[1] == SC_LOCAL_MAX_A && r.limit[2] == SC_LOCAL_MAX_A);
}

//  A share a float error below the want (12.2 - 6.0 = 6.199999999999999
//  < 6.2) is the want on the 0.1 A grid: not "sharing". CP max 12.2 A,
//  TxProfiles 6.0 A and 6.2 A, both charging: connector 2 gets 6.2 A "ocpp".
static void
test_combine_sharing_rounding_names_sharing(void **state)
{
    sc_limits_in_t in = s_in(2);
    in.cp_cap_a = 12.2;
    in.cp_source = SC_SOURCE_OCPP;
    in.own_a[1] = 6.0;
    in.own_a[2] = 6.2;
    in.own_source[1] = in.own_source[2] = SC_SOURCE_OCPP;
    in.active[1] = in.active[2] = true;
    s_expect(&in, 1, 6.0, SC_SOURCE_OCPP);
    s_expect(&in, 2, 6.2, SC_SOURCE_OCPP);
}

//  Several connectors, random limits and sessions: the running sessions
//  never exceed the total, nobody exceeds what it would get alone, nobody
//  is given a share too small to charge with, the earliest sessions keep
//  charging, and idle connectors are offered their solo limit when no
//  session runs, else at most what the sessions leave (0 below 6 A).
static void
test_combine_property_multi(void **state)
{
    rng_t r = { 0xc0ffeeULL };
    int shared = 0, paused = 0;
    for (int round = 0; round < 10000; round++) {
        int n = 2 + s_below(&r, SC_MAX_CONNECTORS - 1);
        sc_limits_in_t in = s_in(n);
        in.cp_cap_a = s_grid_a(&r, 800);
        in.cp_source = s_below(&r, 2) ? SC_SOURCE_OCPP : SC_SOURCE_DEFAULT;
        in.local.total_a = s_below(&r, 3) == 0 ? INFINITY : s_grid_a(&r, 800);
        in.local.total_source = s_below(&r, 2) ? SC_SOURCE_INSTALLATION : SC_SOURCE_POWER_BOOST;
        in.local.connector_a = s_below(&r, 3) == 0 ? INFINITY : s_grid_a(&r, 800);
        in.local.connector_source = s_below(&r, 2) ? SC_SOURCE_OWNER : SC_SOURCE_SCHEDULE;
        for (int c = 1; c <= n; c++) {
            in.own_a[c] = s_grid_a(&r, 800);
            in.own_source[c] = s_below(&r, 2) ? SC_SOURCE_OCPP : SC_SOURCE_DEFAULT;
            in.active[c] = s_below(&r, 3) != 0;
            in.started_ms[c] = (int64_t) s_below(&r, 1000000) * 8 + c;     //  distinct
        }
        result_t res = s_combine(&in);
        double total = fmin(in.cp_cap_a, in.local.total_a);
        double sum = 0, used = 0;
        int running = 0;
        for (int c = 1; c <= n; c++)
            if (in.active[c]) {
                used += res.limit[c];
                running++;
            }
        for (int c = 1; c <= n; c++) {
            double alone = sc_round_limit(fmin(fmin(in.own_a[c], in.local.connector_a), total));
            double got = res.limit[c];
            assert_true(got >= 0 && got <= alone + EPS);
            if (!in.active[c]) {
                if (running == 0)
                    assert_true(fabs(got - alone) <= EPS);
                else {
                    assert_true(used + got <= total + 1e-6);            //  never on top of the sessions
                    assert_true(got == 0 || got >= SC_LOCAL_MIN_CHARGE_A - EPS || fabs(got - alone) <= EPS);
                }
                continue;
            }
            sum += got;
            if (got < alone - EPS) {
                assert_int_equal(res.source[c], SC_SOURCE_SHARING);
                assert_true(got == 0 || got >= SC_LOCAL_MIN_CHARGE_A - EPS);
                shared++;
                paused += got == 0;
            }
            else
                //  offered its solo limit: not held back by sharing
                assert_int_not_equal(res.source[c], SC_SOURCE_SHARING);
            //  A later session charges only if every earlier one does as
            //  far as it can (its solo limit, or at least 6 A).
            if (got > 0)
                for (int e = 1; e <= n; e++)
                    if (e != c && in.active[e] && in.started_ms[e] < in.started_ms[c]) {
                        double alone_e = sc_round_limit(
                            fmin(fmin(in.own_a[e], in.local.connector_a), total));
                        assert_true(res.limit[e] >= fmin(alone_e, SC_LOCAL_MIN_CHARGE_A) - EPS);
                    }
        }
        assert_true(sum <= total + 1e-6);
    }
    assert_true(shared > 1000);
    assert_true(paused > 100);
}

static void
test_source_names(void **state)
{
    assert_string_equal(sc_source_name(SC_SOURCE_DEFAULT), "default");
    assert_string_equal(sc_source_name(SC_SOURCE_OCPP), "ocpp");
    assert_string_equal(sc_source_name(SC_SOURCE_INSTALLATION), "installation");
    assert_string_equal(sc_source_name(SC_SOURCE_OWNER), "owner");
    assert_string_equal(sc_source_name(SC_SOURCE_SCHEDULE), "schedule");
    assert_string_equal(sc_source_name(SC_SOURCE_POWER_BOOST), "powerboost");
    assert_string_equal(sc_source_name(SC_SOURCE_SHARING), "sharing");
    assert_string_equal(sc_source_name((sc_source_t) 99), "default");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test(test_clock_minute_edges),
        cmocka_unit_test(test_clock_over_midnight),
        cmocka_unit_test(test_clock_overlaps),
        cmocka_unit_test(test_clock_next_change),
        cmocka_unit_test(test_limits_installation_owner),
        cmocka_unit_test(test_limits_utc_offset),
        cmocka_unit_test(test_limits_power_boost),
        cmocka_unit_test(test_share_min),
        cmocka_unit_test(test_share_min_property),
        cmocka_unit_test(test_combine_single),
        cmocka_unit_test(test_combine_tie_local_connector_vs_cp_cap),
        cmocka_unit_test(test_combine_property_single),
        cmocka_unit_test(test_combine_sharing),
        cmocka_unit_test(test_combine_sharing_rounding_names_sharing),
        cmocka_unit_test(test_combine_property_multi),
        cmocka_unit_test(test_source_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
