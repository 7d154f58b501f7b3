/* local_limits.c — see local_limits.h: the owner's and installer's limits,
 * the local schedule's grammar and clock, and the final combination with
 * the OCPP composite.
 */
#include "actors/smartcharging/local_limits.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "actors/smartcharging/composite.h"
#include "supervisor/log.h"

#define MINUTE_MS  60000LL
#define DAY_MIN    1440
#define WEEK_MIN   (7 * DAY_MIN)
#define WEEK_MS    (WEEK_MIN * MINUTE_MS)

static const char *const s_day_names[7] = { "Mo", "Tu", "We", "Th", "Fr", "Sa", "Su" };

const char *
sc_source_name(sc_source_t source)
{
    switch (source) {
        case SC_SOURCE_DEFAULT:      return "default";
        case SC_SOURCE_OCPP:         return "ocpp";
        case SC_SOURCE_INSTALLATION: return "installation";
        case SC_SOURCE_OWNER:        return "owner";
        case SC_SOURCE_SCHEDULE:     return "schedule";
        case SC_SOURCE_POWER_BOOST:  return "powerboost";
        case SC_SOURCE_SHARING:      return "sharing";
    }
    return "default";
}

//  --------------------------------------------------------------------------
//  LocalChargingSchedule: grammar

static int
s_day(const char *text, size_t len)
{
    if (len != 2)
        return -1;
    for (int d = 0; d < 7; d++)
        if (strncmp(text, s_day_names[d], 2) == 0)
            return d;
    return -1;
}

//  "Mo-Fr,Su" → bit mask; 0 when malformed.
static uint8_t
s_parse_days(const char *text, size_t len)
{
    uint8_t mask = 0;
    size_t i = 0;
    while (i < len) {
        size_t item = i;
        while (i < len && text[i] != ',')
            i++;
        const char *dash = memchr(text + item, '-', i - item);
        int from, to;
        if (dash) {
            from = s_day(text + item, (size_t) (dash - (text + item)));
            to = s_day(dash + 1, (size_t) (text + i - dash - 1));
        }
        else
            from = to = s_day(text + item, i - item);
        if (from < 0 || to < 0)
            return 0;
        //  Fr-Mo wraps over the weekend
        for (int d = from;; d = (d + 1) % 7) {
            mask |= (uint8_t) (1u << d);
            if (d == to)
                break;
        }
        if (i < len)
            i++;                            //  the ','
        if (i == len && text[len - 1] == ',')
            return 0;
    }
    return mask;
}

//  "HH:MM" → minute of the day (24:00 = 1440 allowed when end); -1 bad.
static int
s_parse_time(const char *text, size_t len, bool end)
{
    if (len != 5 || !isdigit((unsigned char) text[0]) || !isdigit((unsigned char) text[1])
    ||  text[2] != ':' || !isdigit((unsigned char) text[3]) || !isdigit((unsigned char) text[4]))
        return -1;
    int hours = (text[0] - '0') * 10 + (text[1] - '0');
    int minutes = (text[3] - '0') * 10 + (text[4] - '0');
    if (minutes > 59 || hours > 24 || (hours == 24 && (minutes != 0 || !end)))
        return -1;
    return hours * 60 + minutes;
}

//  One window "[DAYS ]HH:MM-HH:MM=AMPS" (no surrounding spaces).
static int
s_parse_window(const char *text, size_t len, sc_window_t *out)
{
    const char *space = memchr(text, ' ', len);
    const char *times = text;
    out->days = 0x7f;
    if (space) {
        out->days = s_parse_days(text, (size_t) (space - text));
        if (!out->days)
            return -1;
        times = space + 1;
        while (times < text + len && *times == ' ')
            times++;
    }
    size_t rest = (size_t) (text + len - times);
    if (rest < 13 || times[5] != '-' || times[11] != '=')
        return -1;
    out->start_min = s_parse_time(times, 5, false);
    out->end_min = s_parse_time(times + 6, 5, true);
    if (out->start_min < 0 || out->end_min < 0 || out->start_min == out->end_min)
        return -1;
    if (out->end_min == 0)
        out->end_min = 24 * 60;             //  "…-00:00" ends at midnight, as 24:00 does
    char amps[16];
    size_t amps_len = rest - 12;
    if (amps_len == 0 || amps_len >= sizeof(amps))
        return -1;
    memcpy(amps, times + 12, amps_len);
    amps[amps_len] = '\0';
    char *end = NULL;
    double limit = strtod(amps, &end);
    if (end == amps || *end || !isfinite(limit) || isdigit((unsigned char) amps[0]) == 0)
        return -1;
    if (!(limit == 0 || (limit >= SC_LOCAL_MIN_CHARGE_A && limit <= SC_LOCAL_MAX_A)))
        return -1;
    out->limit_a = limit;
    return 0;
}

int
sc_local_schedule_parse(const char *text, sc_local_schedule_t *out, char *reason,
                        size_t reason_size)
{
    assert(out);
    memset(out, 0, sizeof(*out));
    cp_refuse(reason, reason_size, "%s", "");
    if (!text)
        text = "";
    const char *p = text;
    int index = 0;
    while (true) {
        while (*p == ' ')
            p++;
        if (!*p && index == 0)
            return 0;                       //  "" or blanks: no schedule
        const char *semi = strchr(p, ';');
        const char *stop = semi ? semi : p + strlen(p);
        const char *last = stop;
        while (last > p && last[-1] == ' ')
            last--;
        index++;
        if (out->count == SC_LOCAL_MAX_WINDOWS) {
            cp_refuse(reason, reason_size, "at most %d windows", SC_LOCAL_MAX_WINDOWS);
            out->count = 0;                 //  a refused schedule is no schedule
            return -1;
        }
        if (last == p || s_parse_window(p, (size_t) (last - p), &out->window[out->count]) != 0) {
            cp_refuse(reason, reason_size,
                     "window %d '%.*s' is not [Mo-Fr ]HH:MM-HH:MM=AMPS with 0 or 6..80 A",
                     index, (int) (last - p > 40 ? 40 : last - p), p);
            out->count = 0;
            return -1;
        }
        out->count++;
        if (!semi)
            return 0;
        p = semi + 1;
    }
}

//  --------------------------------------------------------------------------
//  LocalChargingSchedule: clock

//  Position in the week (Monday 00:00 = 0) of local_ms. 1970-01-01 was a
//  Thursday, day 3 of a Monday-based week.
static int64_t
s_week_ms(int64_t local_ms)
{
    int64_t shifted = local_ms + 3 * DAY_MIN * MINUTE_MS;
    int64_t r = shifted % WEEK_MS;
    return r < 0 ? r + WEEK_MS : r;
}

static int64_t
s_mod_week(int64_t ms)
{
    int64_t r = ms % WEEK_MS;
    return r < 0 ? r + WEEK_MS : r;
}

double
sc_local_schedule_at(const sc_local_schedule_t *schedule, int64_t local_ms, int64_t *next_local_ms)
{
    assert(schedule);
    double limit = INFINITY;
    int64_t now = s_week_ms(local_ms);
    int64_t next = 0;
    for (int i = 0; i < schedule->count; i++) {
        const sc_window_t *w = &schedule->window[i];
        int length = w->end_min > w->start_min ? w->end_min - w->start_min
                                               : w->end_min + DAY_MIN - w->start_min;
        for (int d = 0; d < 7; d++) {
            if (!(w->days & (1u << d)))
                continue;
            int64_t open = (int64_t) (d * DAY_MIN + w->start_min) * MINUTE_MS;
            int64_t close = open + (int64_t) length * MINUTE_MS;
            if (s_mod_week(now - open) < (int64_t) length * MINUTE_MS && w->limit_a < limit)
                limit = w->limit_a;
            int64_t edges[2] = { open, close };
            for (int e = 0; e < 2; e++) {
                int64_t delta = s_mod_week(edges[e] - now);
                if (delta == 0)
                    delta = WEEK_MS;
                if (next == 0 || delta < next)
                    next = delta;
            }
        }
    }
    if (next_local_ms)
        *next_local_ms = next ? local_ms + next : 0;
    return limit;
}

//  --------------------------------------------------------------------------
//  The local limits now

//  The smaller limit wins; on a tie the source earlier in sc_source_t is
//  named (the Central System's before the owner's, as the header says).
static void
s_take(double *limit, sc_source_t *source, double candidate, sc_source_t candidate_source)
{
    if (candidate < *limit || (candidate == *limit && candidate_source < *source)) {
        *limit = candidate;
        *source = candidate_source;
    }
}

void
sc_local_limits(const sc_local_config_t *config, const sc_grid_view_t *grid, int64_t now_wall_ms,
                sc_local_limits_t *out)
{
    assert(config && grid && out);
    memset(out, 0, sizeof(*out));
    out->total_a = INFINITY;
    out->connector_a = INFINITY;
    out->total_source = SC_SOURCE_INSTALLATION;
    out->connector_source = SC_SOURCE_OWNER;
    if (config->installation_max_a > 0)
        out->total_a = config->installation_max_a;
    if (config->power_boost) {
        double boost = SC_POWER_BOOST_FALLBACK_A;
        if (grid->fresh && grid->ok && isfinite(grid->grid_a) && isfinite(grid->charger_a)) {
            //  The house's share is what flows without us; what is left
            //  under the fuse is ours.
            double household = grid->grid_a - grid->charger_a;
            if (household < 0)
                household = 0;
            //  Whole amperes: a noisy meter must not retune the pilot at
            //  every reading.
            boost = floor(config->main_fuse_a - household);
            if (boost < 0)
                boost = 0;
        }
        s_take(&out->total_a, &out->total_source, boost, SC_SOURCE_POWER_BOOST);
    }
    if (config->owner_limit_a > 0)
        out->connector_a = config->owner_limit_a;
    int64_t offset_ms = (int64_t) config->utc_offset_min * MINUTE_MS;
    int64_t next_local = 0;
    double scheduled = sc_local_schedule_at(&config->schedule, now_wall_ms + offset_ms, &next_local);
    s_take(&out->connector_a, &out->connector_source, scheduled, SC_SOURCE_SCHEDULE);
    out->next_wall_ms = next_local ? next_local - offset_ms : 0;
}

//  --------------------------------------------------------------------------
//  Combination

void
sc_share_min(double cap, const double *want, int n, double min_a, double *out)
{
    assert(n >= 0 && n <= SC_MAX_CONNECTORS);
    //  Try everyone, then drop the last in priority until every share is
    //  worth charging with (or nobody is left).
    for (int k = n; k > 0; k--) {
        sc_share(cap, want, k, out);
        bool usable = true;
        for (int i = 0; i < k; i++)
            if (out[i] < min_a && out[i] < want[i])
                usable = false;
        if (usable) {
            for (int i = k; i < n; i++)
                out[i] = 0;
            return;
        }
    }
    for (int i = 0; i < n; i++)
        out[i] = 0;
}

void
sc_limits_combine(const sc_limits_in_t *in, double *limit_a, sc_source_t *source)
{
    assert(in && limit_a && source);
    assert(in->connectors >= 1 && in->connectors <= SC_MAX_CONNECTORS);
    //  The total: OCPP's cap, or a local one below it.
    double total = in->cp_cap_a;
    sc_source_t total_source = in->cp_source;
    s_take(&total, &total_source, in->local.total_a, in->local.total_source);
    //  Each connector on its own.
    double own[SC_MAX_CONNECTORS + 1];
    sc_source_t own_source[SC_MAX_CONNECTORS + 1];
    for (int c = 1; c <= in->connectors; c++) {
        own[c] = in->own_a[c];
        own_source[c] = in->own_source[c];
        s_take(&own[c], &own_source[c], in->local.connector_a, in->local.connector_source);
        limit_a[c] = own[c];
        source[c] = own_source[c];
        s_take(&limit_a[c], &source[c], total, total_source);
    }
    //  Running sessions share the total, earliest first.
    int order[SC_MAX_CONNECTORS];
    int n = 0;
    for (int c = 1; c <= in->connectors; c++)
        if (in->active[c]) {
            int i = n++;
            while (i > 0 && in->started_ms[order[i - 1]] > in->started_ms[c]) {
                order[i] = order[i - 1];
                i--;
            }
            order[i] = c;
        }
    if (n > 1) {
        double want[SC_MAX_CONNECTORS], share[SC_MAX_CONNECTORS];
        for (int i = 0; i < n; i++)
            want[i] = limit_a[order[i]];
        sc_share_min(total, want, n, SC_LOCAL_MIN_CHARGE_A, share);
        //  compared on the 0.1 A grid the offer is rounded to: a share a
        //  float error below the want is the want
        for (int i = 0; i < n; i++)
            if (sc_round_limit(share[i]) < sc_round_limit(want[i])) {
                limit_a[order[i]] = share[i];
                source[order[i]] = SC_SOURCE_SHARING;
            }
    }
    for (int c = 1; c <= in->connectors; c++) {
        if (!isfinite(limit_a[c]))
            limit_a[c] = SC_LOCAL_MAX_A;
        limit_a[c] = sc_round_limit(limit_a[c] < 0 ? 0 : limit_a[c]);
    }
    //  A connector without a session is offered only what the sessions
    //  leave of the total: a car starting there must not draw the whole
    //  total on top of them. Less than a car can charge with is nothing.
    double used = 0;
    for (int c = 1; c <= in->connectors; c++)
        if (in->active[c])
            used += limit_a[c];
    double left = isfinite(total) ? total - used : INFINITY;
    for (int c = 1; c <= in->connectors; c++) {
        if (in->active[c] || n == 0 || limit_a[c] <= left)
            continue;
        limit_a[c] = left >= SC_LOCAL_MIN_CHARGE_A ? sc_round_limit(left) : 0;
        source[c] = SC_SOURCE_SHARING;
    }
}
