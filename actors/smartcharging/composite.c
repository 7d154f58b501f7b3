/* composite.c — see composite.h. A sweep over time: every profile that
 * can matter becomes an entry that knows its value at t and when that
 * value next changes; the sweep jumps from change to change, re-evaluating
 * only the entries whose change is due, and appends a period whenever the
 * combined limit differs. No sampling, no fixed step: the cost is
 * (changes in the window) x (entries), with no allocation but the entry
 * table. */
#include "actors/smartcharging/composite.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS  (86400LL * 1000)
#define WEEK_MS (7 * DAY_MS)
#define FAR_MS  (INT64_MAX / 4)         //  "never": far beyond any wall time

typedef struct {
    const sc_profile_t *p;
    int conn;                   //  connector this entry feeds; 0 = ChargePointMaxProfile
    int purpose;
    int prio;                   //  stackLevel x 2 (+1: TxDefault for this very connector)
    int64_t rel_ms;             //  start of a Relative schedule
    //  cached at the last evaluation
    int64_t next_ms;
    bool active;
    double limit;               //  in the requested unit
    int phases;
} s_entry_t;

double
sc_round_limit(double limit)
{
    if (!(limit > 0))
        return 0;
    return floor(limit * 10 + 1e-6) / 10;
}

//  t + seconds, saturating at "never".
static int64_t
s_add_s(int64_t t, int64_t seconds)
{
    if (seconds >= (FAR_MS - t) / 1000)
        return FAR_MS;
    return t + seconds * 1000;
}

static int64_t
s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int
s_req_phases(const sc_composite_req_t *req)
{
    return req->phases >= 1 && req->phases <= 3 ? req->phases : 3;
}

static double
s_voltage(const sc_composite_req_t *req)
{
    return req->voltage_v > 0 ? req->voltage_v : SC_DEFAULT_VOLTAGE_V;
}

//  A limit in unit from, for period_phases (0 = absent), in the requested unit.
static double
s_convert(const sc_composite_req_t *req, double limit, sc_unit_t from, int period_phases,
          int *phases_used)
{
    int ph = period_phases > 0 ? period_phases : 3;
    if (ph > s_req_phases(req))
        ph = s_req_phases(req);
    *phases_used = ph;
    if (from == req->unit)
        return limit;
    if (from == SC_UNIT_A)
        return limit * s_voltage(req) * ph;
    return limit / (s_voltage(req) * ph);
}

static void
s_eval(s_entry_t *e, int64_t t, const sc_composite_req_t *req)
{
    const sc_profile_t *p = e->p;
    int64_t next = FAR_MS;
    e->active = false;
#define CAND(x) do { int64_t x_ = (x); if (x_ > t && x_ < next) next = x_; } while (0)
    if (p->has_valid_from && t < p->valid_from_ms) {
        e->next_ms = p->valid_from_ms;
        return;
    }
    if (p->has_valid_to) {
        if (t >= p->valid_to_ms) {
            e->next_ms = FAR_MS;
            return;
        }
        CAND(p->valid_to_ms);
    }
    int64_t start = 0, end = FAR_MS;
    switch (p->kind) {
        case SC_KIND_ABSOLUTE:
            start = p->start_ms;
            break;
        case SC_KIND_RELATIVE:
            start = e->rel_ms;
            break;
        case SC_KIND_RECURRING: {
            int64_t period = p->recur == SC_RECUR_WEEKLY ? WEEK_MS : DAY_MS;
            start = p->start_ms + s_floor_div(t - p->start_ms, period) * period;
            end = start + period;
            CAND(end);
            break;
        }
    }
    if (p->has_duration) {
        int64_t d_end = s_add_s(start, p->duration_s < 0 ? 0 : p->duration_s);
        if (d_end < end)
            end = d_end;
    }
    if (t < start)
        CAND(start);
    else
    if (t < end) {
        //  the last period that has started at t
        int64_t offset = t - start;
        int lo = 0, hi = p->period_count - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) / 2;
            if (s_add_s(0, p->periods[mid].start_s) <= offset)
                lo = mid;
            else
                hi = mid - 1;
        }
        if (lo + 1 < p->period_count) {
            int64_t n = s_add_s(start, p->periods[lo + 1].start_s);
            if (n < end)
                CAND(n);
        }
        CAND(end);
        e->active = true;
        e->limit = s_convert(req, p->periods[lo].limit, p->unit, p->periods[lo].phases, &e->phases);
    }
#undef CAND
    e->next_ms = next;
}

static int
s_entry_cmp(const void *a, const void *b)
{
    const s_entry_t *x = a, *y = b;
    if (x->conn != y->conn)
        return x->conn - y->conn;
    if (x->purpose != y->purpose)
        return x->purpose - y->purpose;
    return y->prio - x->prio;       //  highest precedence first
}

//  The combined value at the entries' current state.
static void
s_value(const s_entry_t *entries, int count, const sc_composite_req_t *req, sc_slot_t *out)
{
    const s_entry_t *best[SC_MAX_CONNECTORS + 1][3];
    memset(best, 0, sizeof(best));
    for (int i = 0; i < count; i++) {
        const s_entry_t *e = &entries[i];
        if (e->active && !best[e->conn][e->purpose])
            best[e->conn][e->purpose] = e;
    }
    int ph_default = s_req_phases(req);
    double def_limit = req->default_limit_a > 0 ? req->default_limit_a : 0;
    double def = s_convert(req, def_limit, SC_UNIT_A, ph_default, &ph_default);

    //  own limit of connector c: TxProfile, else TxDefaultProfile, else default
    double own[SC_MAX_CONNECTORS + 1];
    int own_ph[SC_MAX_CONNECTORS + 1];
    bool own_def[SC_MAX_CONNECTORS + 1];
    for (int c = 1; c <= req->connectors; c++) {
        const s_entry_t *e = best[c][SC_PURPOSE_TX] ? best[c][SC_PURPOSE_TX]
                                                    : best[c][SC_PURPOSE_TX_DEFAULT];
        own[c] = e ? e->limit : def;
        own_ph[c] = e ? e->phases : ph_default;
        own_def[c] = !e;
    }
    const s_entry_t *cpmax = best[0][SC_PURPOSE_CP_MAX];
    double limit;
    int phases;
    bool is_default;
    if (req->mode == SC_MODE_CP_MAX) {
        limit = cpmax ? cpmax->limit : def * req->connectors;
        phases = cpmax ? cpmax->phases : ph_default;
        is_default = !cpmax;
    }
    else
    if (req->connector > 0) {
        limit = own[req->connector];
        phases = own_ph[req->connector];
        is_default = own_def[req->connector];
    }
    else {
        limit = 0;
        phases = ph_default;
        is_default = true;
        for (int c = 1; c <= req->connectors; c++) {
            limit += own[c];
            is_default = is_default && own_def[c];
        }
    }
    if (req->mode == SC_MODE_FULL && cpmax && cpmax->limit <= limit) {
        limit = cpmax->limit;
        phases = cpmax->phases;
        is_default = false;
    }
    out->limit = sc_round_limit(limit);
    out->phases = phases;
    out->is_default = is_default;
}

//  Append a period at offset; false when out is full.
static bool
s_append(sc_slot_t *out, int *count, int max_out, const sc_slot_t *slot)
{
    int n = *count;
    if (n > 0 && out[n - 1].start_s == slot->start_s) {
        //  Two changes within the same second: the later one wins.
        out[n - 1] = *slot;
        if (n > 1 && out[n - 2].limit == slot->limit && out[n - 2].phases == slot->phases)
            *count = n - 1;
        return true;
    }
    if (n > 0 && out[n - 1].limit == slot->limit && out[n - 1].phases == slot->phases)
        return true;
    if (n == max_out)
        return false;
    out[n] = *slot;
    *count = n + 1;
    return true;
}

int
sc_composite(const sc_composite_req_t *req, sc_slot_t *out, int max_out, bool *truncated)
{
    if (truncated)
        *truncated = false;
    if (!req || !out || max_out < 1 || req->connectors < 1 || req->connectors > SC_MAX_CONNECTORS
        || req->connector < 0 || req->connector > req->connectors || req->duration_s < 0
        || (req->profile_count > 0 && !req->profiles))
        return -1;
    int first = req->connector > 0 ? req->connector : 1;
    int last = req->connector > 0 ? req->connector : req->connectors;
    if (req->mode == SC_MODE_CP_MAX)
        last = first - 1;       //  no connector entries at all
    size_t cap = (size_t) req->profile_count * (size_t) (last - first + 2) + 1;
    s_entry_t *entries = calloc(cap, sizeof(s_entry_t));
    if (!entries)
        return -1;
    int count = 0;
    for (int i = 0; i < req->profile_count; i++) {
        const sc_profile_t *p = req->profiles[i];
        if (p->period_count < 1)
            continue;
        if (p->purpose == SC_PURPOSE_CP_MAX) {
            if (p->connector == 0 && req->mode != SC_MODE_OWN)
                entries[count++] = (s_entry_t) {
                    .p = p, .conn = 0, .purpose = SC_PURPOSE_CP_MAX,
                    .prio = p->stack_level * 2, .rel_ms = req->start_ms };
            continue;
        }
        for (int c = first; c <= last; c++) {
            int64_t tx_start = req->tx_start_ms[c];
            bool mine = p->purpose == SC_PURPOSE_TX
                      ? p->connector == c && tx_start != 0
                      : p->connector == 0 || p->connector == c;
            if (mine)
                entries[count++] = (s_entry_t) {
                    .p = p, .conn = c, .purpose = p->purpose,
                    .prio = p->stack_level * 2 + (p->connector == c ? 1 : 0),
                    .rel_ms = tx_start ? tx_start : req->start_ms };
        }
    }
    assert((size_t) count <= cap);
    qsort(entries, (size_t) count, sizeof(s_entry_t), s_entry_cmp);

    int64_t t = req->start_ms;
    int64_t end = s_add_s(req->start_ms, req->duration_s);
    for (int i = 0; i < count; i++)
        s_eval(&entries[i], t, req);
    int n = 0;
    for (;;) {
        sc_slot_t slot;
        s_value(entries, count, req, &slot);
        slot.start_s = (t - req->start_ms) / 1000;
        if (!s_append(out, &n, max_out, &slot)) {
            if (truncated)
                *truncated = true;
            break;
        }
        int64_t next = FAR_MS;
        for (int i = 0; i < count; i++)
            if (entries[i].next_ms < next)
                next = entries[i].next_ms;
        if (next >= end)
            break;
        t = next;
        for (int i = 0; i < count; i++)
            if (entries[i].next_ms <= t)
                s_eval(&entries[i], t, req);
    }
    free(entries);
    return n;
}

void
sc_share(double cap, const double *want, int n, double *out)
{
    assert(n >= 0 && n <= 64);
    bool done[64] = { false };
    double remaining = cap > 0 ? cap : 0;
    int left = n;
    while (left > 0) {
        double share = remaining / left;
        bool changed = false;
        for (int i = 0; i < n; i++) {
            double w = want[i] > 0 ? want[i] : 0;
            if (!done[i] && w <= share) {
                out[i] = w;
                remaining -= w;
                done[i] = true;
                left--;
                changed = true;
            }
        }
        if (!changed) {
            for (int i = 0; i < n; i++)
                if (!done[i])
                    out[i] = share;
            break;
        }
    }
}
