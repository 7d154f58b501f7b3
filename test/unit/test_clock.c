/* test_clock.c — the clock interface: virtual clocks for tests, the system
 * clock with a settable wall offset, and the RFC 3339 / ISO 8601 UTC
 * format and parser used for every OCPP timestamp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "supervisor/clock.h"

#define T_2025_11_26_10 INT64_C(1764151200000)      //  2025-11-26T10:00:00.000Z
#define DAY_MS INT64_C(86400000)

static int64_t
s_now_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  --------------------------------------------------------------------------
//  Virtual clock

static void
test_virtual(void **state)
{
    cp_clock_t *clock = cp_clock_new_virtual(1000, T_2025_11_26_10);
    assert_non_null(clock);
    assert_int_equal(cp_clock_mono_ms(clock), 1000);
    assert_int_equal(cp_clock_wall_ms(clock), T_2025_11_26_10);
    //  time stands still until advanced
    assert_int_equal(cp_clock_mono_ms(clock), 1000);
    cp_clock_advance(clock, 250);
    assert_int_equal(cp_clock_mono_ms(clock), 1250);
    assert_int_equal(cp_clock_wall_ms(clock), T_2025_11_26_10 + 250);
    cp_clock_advance(clock, 0);
    assert_int_equal(cp_clock_mono_ms(clock), 1250);
    cp_clock_advance(clock, DAY_MS);
    assert_int_equal(cp_clock_mono_ms(clock), 1250 + DAY_MS);
    assert_int_equal(cp_clock_wall_ms(clock), T_2025_11_26_10 + 250 + DAY_MS);

    //  setting the wall clock moves wall time only, both ways
    cp_clock_set_wall_ms(clock, 5000);
    assert_int_equal(cp_clock_wall_ms(clock), 5000);
    assert_int_equal(cp_clock_mono_ms(clock), 1250 + DAY_MS);
    cp_clock_advance(clock, 10);
    assert_int_equal(cp_clock_wall_ms(clock), 5010);
    assert_int_equal(cp_clock_mono_ms(clock), 1260 + DAY_MS);
    cp_clock_set_wall_ms(clock, T_2025_11_26_10 * 2);
    assert_int_equal(cp_clock_wall_ms(clock), T_2025_11_26_10 * 2);

    cp_clock_destroy(&clock);
    assert_null(clock);
}

static void *
s_advancer(void *arg)
{
    cp_clock_t *clock = arg;
    for (int i = 0; i < 100000; i++)
        cp_clock_advance(clock, 1);
    return NULL;
}

//  Several threads advancing at once lose no tick.
static void
test_virtual_threads(void **state)
{
    cp_clock_t *clock = cp_clock_new_virtual(0, 0);
    assert_non_null(clock);
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, s_advancer, clock), 0);
    int64_t last = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t now = cp_clock_mono_ms(clock);
        assert_true(now >= last);               //  never goes back
        last = now;
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    assert_int_equal(cp_clock_mono_ms(clock), 400000);
    assert_int_equal(cp_clock_wall_ms(clock), 400000);
    cp_clock_destroy(&clock);
}

//  --------------------------------------------------------------------------
//  System clock

static void
test_system(void **state)
{
    cp_clock_t *clock = cp_clock_new_system();
    assert_non_null(clock);
    //  reads the real clocks
    int64_t before = s_now_ms(CLOCK_REALTIME);
    int64_t wall = cp_clock_wall_ms(clock);
    int64_t after = s_now_ms(CLOCK_REALTIME);
    assert_true(wall >= before && wall <= after);
    int64_t mono_before = s_now_ms(CLOCK_MONOTONIC);
    int64_t mono = cp_clock_mono_ms(clock);
    int64_t mono_after = s_now_ms(CLOCK_MONOTONIC);
    assert_true(mono >= mono_before && mono <= mono_after);
    //  monotonic never goes back
    int64_t last = mono;
    for (int i = 0; i < 1000; i++) {
        int64_t now = cp_clock_mono_ms(clock);
        assert_true(now >= last);
        last = now;
    }

    //  set_wall_ms: an offset on the system clock, which keeps running
    int64_t target = s_now_ms(CLOCK_REALTIME) + 3 * DAY_MS + 123;
    before = s_now_ms(CLOCK_REALTIME);
    cp_clock_set_wall_ms(clock, target);
    wall = cp_clock_wall_ms(clock);
    after = s_now_ms(CLOCK_REALTIME);
    assert_true(wall >= target - 1 && wall <= target + (after - before) + 1);
    //  ... the offset stays: wall tracks real time plus ~3 days
    int64_t offset = cp_clock_wall_ms(clock) - s_now_ms(CLOCK_REALTIME);
    assert_true(offset >= 3 * DAY_MS + 123 - 50 && offset <= 3 * DAY_MS + 123 + 50);
    //  ... the monotonic clock is not touched
    mono = cp_clock_mono_ms(clock);
    assert_true(mono >= last && mono <= s_now_ms(CLOCK_MONOTONIC));
    //  ... and it can go back, e.g. to a fixed past instant
    cp_clock_set_wall_ms(clock, T_2025_11_26_10);
    wall = cp_clock_wall_ms(clock);
    assert_true(wall >= T_2025_11_26_10 - 1 && wall <= T_2025_11_26_10 + 1000);
    //  a second clock is independent (no global offset)
    cp_clock_t *other = cp_clock_new_system();
    int64_t real = s_now_ms(CLOCK_REALTIME);
    int64_t other_wall = cp_clock_wall_ms(other);
    assert_true(other_wall >= real && other_wall <= real + 1000);
    cp_clock_destroy(&other);
    cp_clock_destroy(&clock);
    assert_null(clock);
}

//  --------------------------------------------------------------------------
//  The offset that travels between actors (clock.offset, shell.h)

//  One actor learns the central system's time; another takes over the
//  offset alone and reads the same wall time, on a clock of its own.
static void
test_offset_travels(void **state)
{
    cp_clock_t *source = cp_clock_new_system();
    cp_clock_t *follower = cp_clock_new_like(source);
    assert_non_null(source);
    assert_non_null(follower);
    assert_int_equal(cp_clock_offset_ms(source), 0);
    const int64_t t2020 = INT64_C(1577836800000);               //  2020-01-01T00:00:00Z
    cp_clock_set_wall_ms(source, t2020);
    int64_t offset = cp_clock_offset_ms(source);
    assert_true(offset < -100 * DAY_MS);
    //  Not shared: the follower still reads host time ...
    assert_true(cp_clock_wall_ms(follower) - s_now_ms(CLOCK_REALTIME) < 1000);
    //  ... until it applies the offset.
    cp_clock_set_offset_ms(follower, offset);
    assert_int_equal(cp_clock_offset_ms(follower), offset);
    int64_t a = cp_clock_wall_ms(source), b = cp_clock_wall_ms(follower);
    assert_true(b - a >= 0 && b - a < 1000);
    assert_true(b >= t2020 && b < t2020 + 60000);
    //  Back to the host clock.
    cp_clock_set_offset_ms(follower, 0);
    int64_t real = s_now_ms(CLOCK_REALTIME);
    assert_true(cp_clock_wall_ms(follower) >= real && cp_clock_wall_ms(follower) < real + 1000);
    cp_clock_destroy(&follower);
    cp_clock_destroy(&source);
}

static void
test_offset_virtual(void **state)
{
    cp_clock_t *clock = cp_clock_new_virtual(1000, T_2025_11_26_10);
    cp_clock_set_wall_ms(clock, T_2025_11_26_10 + 5000);
    assert_int_equal(cp_clock_offset_ms(clock), 5000);
    //  A clock like it reads what it reads now, without its offset, and
    //  is advanced on its own.
    cp_clock_t *like = cp_clock_new_like(clock);
    assert_non_null(like);
    assert_int_equal(cp_clock_mono_ms(like), 1000);
    assert_int_equal(cp_clock_wall_ms(like), T_2025_11_26_10);
    assert_int_equal(cp_clock_offset_ms(like), 0);
    cp_clock_set_offset_ms(like, cp_clock_offset_ms(clock));
    assert_int_equal(cp_clock_wall_ms(like), T_2025_11_26_10 + 5000);
    cp_clock_advance(clock, 10);
    assert_int_equal(cp_clock_wall_ms(clock), T_2025_11_26_10 + 5010);
    assert_int_equal(cp_clock_wall_ms(like), T_2025_11_26_10 + 5000);
    //  The offset survives advancing, and setting it moves wall time only.
    cp_clock_set_offset_ms(clock, -1000);
    assert_int_equal(cp_clock_wall_ms(clock), T_2025_11_26_10 + 10 - 1000);
    assert_int_equal(cp_clock_mono_ms(clock), 1010);
    cp_clock_destroy(&like);
    cp_clock_destroy(&clock);
}

//  --------------------------------------------------------------------------
//  Slew: small corrections never run wall time backwards (issue 11 #13)

//  A central system whose currentTime has whole seconds: the charger's
//  clock is heartbeat after heartbeat told a time up to a second behind
//  (or, with a slow answer, ahead). Read every 10 ms for a simulated
//  hour with a Heartbeat every 3 s, wall time never goes backwards.
static void
test_slew_whole_seconds(void **state)
{
    cp_clock_t *clock = cp_clock_new_virtual(0, T_2025_11_26_10 + 600);
    int64_t last = cp_clock_wall_ms(clock);
    uint64_t x = 88172645463325252ULL;
    int slews = 0;
    for (int64_t t = 0; t < 3600 * 1000; t += 10) {
        cp_clock_advance(clock, 10);
        if (t % 3000 == 0) {
            //  true time = base; the central system truncates, and skews
            //  by up to +-400 ms (a cluster of nodes that disagree): every
            //  correction stays below a step.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            int64_t skew = (int64_t) (x % 801) - 400;
            int64_t truth = T_2025_11_26_10 + 600 + cp_clock_mono_ms(clock);
            int64_t told = (truth + skew) / 1000 * 1000;
            assert_false(cp_clock_steer_to(clock, cp_clock_offset_for_wall_ms(clock, told)));
            slews++;
        }
        int64_t now = cp_clock_wall_ms(clock);
        if (now < last)
            fail_msg("wall time went back from %lld to %lld at mono %lld", (long long) last,
                     (long long) now, (long long) t);
        last = now;
    }
    assert_true(slews > 1000);
    cp_clock_destroy(&clock);
}

static void
test_slew_rate_and_arrival(void **state)
{
    cp_clock_t *clock = cp_clock_new_virtual(1000, T_2025_11_26_10);
    //  1.5 s back: slewed at 100 ms per s, arriving after 15 s
    assert_false(cp_clock_steer_to(clock, -1500));
    assert_int_equal(cp_clock_target_offset_ms(clock), -1500);
    assert_int_equal(cp_clock_offset_ms(clock), 0);
    cp_clock_advance(clock, 1000);
    assert_int_equal(cp_clock_offset_ms(clock), -100);
    assert_int_equal(cp_clock_wall_ms(clock), T_2025_11_26_10 + 1000 - 100);
    cp_clock_advance(clock, 4000);
    assert_int_equal(cp_clock_offset_ms(clock), -500);
    cp_clock_advance(clock, 10000);
    assert_int_equal(cp_clock_offset_ms(clock), -1500);
    cp_clock_advance(clock, 60000);
    assert_int_equal(cp_clock_offset_ms(clock), -1500);
    //  forward: wall time runs fast meanwhile
    assert_false(cp_clock_steer_to(clock, -1000));
    cp_clock_advance(clock, 2000);
    assert_int_equal(cp_clock_offset_ms(clock), -1300);
    //  a new correction mid-slew starts from where the clock is now
    assert_false(cp_clock_steer_to(clock, -2000));
    assert_int_equal(cp_clock_offset_ms(clock), -1300);
    cp_clock_advance(clock, 1000);
    assert_int_equal(cp_clock_offset_ms(clock), -1400);
    //  a step: CP_CLOCK_STEP_MS or more from the offset now (the caller logs it)
    assert_true(cp_clock_steer_to(clock, -1400 - CP_CLOCK_STEP_MS));
    assert_int_equal(cp_clock_offset_ms(clock), -1400 - CP_CLOCK_STEP_MS);
    assert_true(cp_clock_steer_to(clock, 86400000));
    assert_int_equal(cp_clock_offset_ms(clock), 86400000);
    assert_false(cp_clock_steer_to(clock, 86400000 + CP_CLOCK_STEP_MS - 1));
    cp_clock_destroy(&clock);
}

//  The steer is a function of the monotonic clock: a follower that takes
//  it over reads the same wall time at every instant, and a restarted
//  source that only re-announces the target does not cut the slew short.
static void
test_slew_travels(void **state)
{
    cp_clock_t *source = cp_clock_new_virtual(5000, T_2025_11_26_10);
    cp_clock_t *follower = cp_clock_new_like(source);
    assert_false(cp_clock_steer_to(source, -1800));
    cp_clock_steer_t steer;
    cp_clock_steer(source, &steer);
    assert_int_equal(steer.from_ms, 0);
    assert_int_equal(steer.to_ms, -1800);
    assert_int_equal(steer.start_ms, 5000);
    for (int i = 0; i < 30; i++) {
        cp_clock_advance(source, 700);
        cp_clock_advance(follower, 700);
        if (i == 3)
            cp_clock_set_steer(follower, &steer);     //  a late message
        if (i >= 3)
            assert_int_equal(cp_clock_wall_ms(follower), cp_clock_wall_ms(source));
    }
    cp_clock_t *again = cp_clock_new_like(source);
    cp_clock_advance(source, 0);
    assert_int_equal(cp_clock_offset_ms(source), -1800);
    assert_false(cp_clock_steer_to(source, -2500));       //  back by 0.7 s: slewed
    cp_clock_steer(source, &steer);
    cp_clock_set_steer(again, &steer);
    int64_t before = cp_clock_wall_ms(again);
    //  the source restarts and announces the target alone (a step): kept
    cp_clock_steer_t step = { .from_ms = -2500, .to_ms = -2500 };
    cp_clock_set_steer(again, &step);
    assert_int_equal(cp_clock_wall_ms(again), before);
    assert_int_equal(cp_clock_offset_ms(again), -1800);
    cp_clock_advance(again, 7000);
    assert_int_equal(cp_clock_offset_ms(again), -2500);
    //  a step to somewhere else is taken at once
    step.from_ms = step.to_ms = 3600000;
    cp_clock_set_steer(again, &step);
    assert_int_equal(cp_clock_offset_ms(again), 3600000);
    cp_clock_destroy(&again);
    cp_clock_destroy(&follower);
    cp_clock_destroy(&source);
}

static void
test_steer_at(void **state)
{
    cp_clock_steer_t s = { .from_ms = 100, .to_ms = -100, .start_ms = 1000 };
    assert_int_equal(cp_clock_steer_at(&s, 0), 100);          //  before it started
    assert_int_equal(cp_clock_steer_at(&s, 1000), 100);
    assert_int_equal(cp_clock_steer_at(&s, 1010), 99);
    assert_int_equal(cp_clock_steer_at(&s, 2000), 0);
    assert_int_equal(cp_clock_steer_at(&s, 3000), -100);
    assert_int_equal(cp_clock_steer_at(&s, INT64_MAX / 2), -100);
    cp_clock_steer_t step = { .from_ms = 7, .to_ms = 7, .start_ms = 0 };
    assert_int_equal(cp_clock_steer_at(&step, -5), 7);
}

//  --------------------------------------------------------------------------
//  Format and parse

static void
test_format(void **state)
{
    char out[32];
    cp_clock_format(0, out, sizeof(out));
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    cp_clock_format(T_2025_11_26_10, out, sizeof(out));
    assert_string_equal(out, "2025-11-26T10:00:00.000Z");
    cp_clock_format(T_2025_11_26_10 + 7, out, sizeof(out));
    assert_string_equal(out, "2025-11-26T10:00:00.007Z");
    cp_clock_format(INT64_C(1709251199999), out, sizeof(out));      //  leap day
    assert_string_equal(out, "2024-02-29T23:59:59.999Z");
    cp_clock_format(INT64_C(2147483648000) + 42, out, sizeof(out)); //  past 2038
    assert_string_equal(out, "2038-01-19T03:14:08.042Z");
    cp_clock_format(INT64_C(4102444800000), out, sizeof(out));
    assert_string_equal(out, "2100-01-01T00:00:00.000Z");
    //  before the epoch: still a proper timestamp
    cp_clock_format(-1, out, sizeof(out));
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    cp_clock_format(-1000, out, sizeof(out));
    assert_string_equal(out, "1969-12-31T23:59:59.000Z");
    //  25 bytes is enough; less truncates but stays terminated
    char exact[25];
    cp_clock_format(T_2025_11_26_10 + 999, exact, sizeof(exact));
    assert_string_equal(exact, "2025-11-26T10:00:00.999Z");
    char small[10];
    memset(small, 'x', sizeof(small));
    cp_clock_format(T_2025_11_26_10, small, sizeof(small));
    assert_string_equal(small, "2025-11-2");
}

static void
test_round_trip(void **state)
{
    //  every ms offset inside a second, and a spread of instants 1970..2200
    char out[32];
    int64_t back;
    for (int64_t ms = 0; ms < 1000; ms++) {
        cp_clock_format(T_2025_11_26_10 + ms, out, sizeof(out));
        assert_int_equal(cp_clock_parse(out, &back), 0);
        assert_int_equal(back, T_2025_11_26_10 + ms);
    }
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t t = (int64_t) (x % UINT64_C(7258118400000));        //  up to 2200
        cp_clock_format(t, out, sizeof(out));
        assert_int_equal(strlen(out), 24);
        if (cp_clock_parse(out, &back) != 0)
            fail_msg("cannot parse own output '%s'", out);
        if (back != t)
            fail_msg("'%s': %lld != %lld", out, (long long) back, (long long) t);
    }
}

static void
s_parses_to(const char *text, int64_t expected)
{
    int64_t got = -12345;
    if (cp_clock_parse(text, &got) != 0)
        fail_msg("'%s' refused", text);
    if (got != expected)
        fail_msg("'%s' parsed to %lld, expected %lld", text, (long long) got, (long long) expected);
}

static void
test_parse_accepts(void **state)
{
    const int64_t t = T_2025_11_26_10;
    s_parses_to("2025-11-26T10:00:00Z", t);
    s_parses_to("2025-11-26T10:00:00z", t);
    s_parses_to("2025-11-26t10:00:00Z", t);
    s_parses_to("2025-11-26 10:00:00Z", t);
    s_parses_to("2025-11-26T10:00:00.000Z", t);
    //  fractions: any number of digits, milliseconds kept, the rest dropped
    s_parses_to("2025-11-26T10:00:00.5Z", t + 500);
    s_parses_to("2025-11-26T10:00:00.05Z", t + 50);
    s_parses_to("2025-11-26T10:00:00.123Z", t + 123);
    s_parses_to("2025-11-26T10:00:00.123456Z", t + 123);
    s_parses_to("2025-11-26T10:00:00.999999999Z", t + 999);
    s_parses_to("2025-11-26T10:00:00.1239Z", t + 123);
    //  offsets: converted to UTC
    s_parses_to("2025-11-26T12:00:00+02:00", t);
    s_parses_to("2025-11-26T12:00:00.250+02:00", t + 250);
    s_parses_to("2025-11-26T04:30:00-05:30", t);
    s_parses_to("2025-11-26T10:00:00+00:00", t);
    s_parses_to("2025-11-26T10:00:00-00:00", t);
    s_parses_to("2025-11-27T00:00:00+14:00", t);                    //  across midnight
    s_parses_to("2025-11-25T22:00:00-12:00", t);
    //  calendar edges
    s_parses_to("1970-01-01T00:00:00Z", 0);
    s_parses_to("2024-02-29T23:59:59.999Z", INT64_C(1709251199999));
    s_parses_to("2038-01-19T03:14:08Z", INT64_C(2147483648000));
    s_parses_to("2025-12-31T23:59:59Z", INT64_C(1767225599000));
    s_parses_to("2026-01-01T00:00:00+01:00", INT64_C(1767222000000));
}

static void
s_refused(const char *text)
{
    int64_t got = 777;
    if (cp_clock_parse(text, &got) != -1)
        fail_msg("'%s' accepted (%lld)", text, (long long) got);
    assert_int_equal(got, 777);                 //  untouched on error
}

static void
test_parse_rejects(void **state)
{
    int64_t got;
    assert_int_equal(cp_clock_parse(NULL, &got), -1);
    const char *bad[] = {
        //  garbage
        "", "garbage", "now", "T", "Z", "2025", "1764151200000", "-2025-11-26T10:00:00Z",
        //  incomplete
        "2025-11-26", "2025-11-26T", "2025-11-26T10", "2025-11-26T10:00", "2025-11-26T10:00:00",
        "2025-11-26T10:00:0Z", "2025-11-26T10:00:00.", "2025-11-26T10:00:00.Z",
        "2025-11-26T10:00:00+02", "2025-11-26T10:00:00+02:", "2025-11-26T10:00:00+02:0",
        "2025-11-26T10:00:00+", "2025-11-2", "2025-1",
        //  wrong shapes
        "2025-1-26T10:00:00Z", "25-11-26T10:00:00Z", "20251126T100000Z", "2025/11/26T10:00:00Z",
        "2025-11-26X10:00:00Z", "2025-11-26T10-00-00Z", "2025-11-26T10:00:00+0200",
        "2025-11-26T10:00:00ZZ", "2025-11-26T10:00:00Z ", " 2025-11-26T10:00:00Z",
        "2025-11-26T10:00:00 Z", "2025-11-26T10:00:00UTC", "2025-11-26T10:00:00.1.2Z",
        "2025-11-26T1a:00:00Z", "2025-11-26T10:00:00+02:00Z",
        //  invalid month, day, time
        "2025-13-01T00:00:00Z", "2025-00-01T00:00:00Z", "2025-99-01T00:00:00Z",
        "2025-11-00T00:00:00Z", "2025-11-32T00:00:00Z", "2025-11-26T24:00:00Z",
        "2025-11-26T10:60:00Z", "2025-11-26T10:00:61Z",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        s_refused(bad[i]);
}

//  Days that do not exist in their month, and offsets outside ±23:59,
//  must be refused rather than silently normalized to another instant.
static void
test_parse_rejects_impossible_dates(void **state)
{
    const char *bad[] = {
        "2025-02-29T00:00:00Z", "2024-02-30T00:00:00Z", "2025-04-31T00:00:00Z",
        "2025-06-31T00:00:00Z", "2025-09-31T00:00:00Z", "2025-11-31T00:00:00Z",
        "2100-02-29T00:00:00Z",
        "2025-11-26T10:00:00+24:00", "2025-11-26T10:00:00+02:60", "2025-11-26T10:00:00-99:99",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        s_refused(bad[i]);
    s_parses_to("2000-02-29T00:00:00Z", INT64_C(951782400000));
    s_parses_to("2024-02-29T00:00:00Z", INT64_C(1709164800000));
    s_parses_to("2025-01-31T00:00:00Z", INT64_C(1738281600000));
    s_parses_to("2025-11-26T10:00:00+23:59", T_2025_11_26_10 - (23 * 60 + 59) * 60000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_virtual),
        cmocka_unit_test(test_virtual_threads),
        cmocka_unit_test(test_system),
        cmocka_unit_test(test_offset_travels),
        cmocka_unit_test(test_offset_virtual),
        cmocka_unit_test(test_slew_whole_seconds),
        cmocka_unit_test(test_slew_rate_and_arrival),
        cmocka_unit_test(test_slew_travels),
        cmocka_unit_test(test_steer_at),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_parse_rejects_impossible_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
