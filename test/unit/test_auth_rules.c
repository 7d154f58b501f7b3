/* test_auth_rules.c — the authorization decision table (auth_rules.h),
 * every combination of: online/offline × LocalPreAuthorize ×
 * LocalAuthorizeOffline × AllowOfflineTxForUnknownId × LocalAuthListEnabled
 * × AuthorizationCacheEnabled × list entry × cache entry, where an entry is
 * absent or one of Accepted, Blocked, Expired, Invalid, ConcurrentTx,
 * Accepted-but-past-expiryDate (7 × 7 × 64 = 3136 cases).
 *
 * Three checks on the full table: the spec restated as a second,
 * independent formulation (s_expected); properties the spec and the
 * lessons state as MUSTs (never accept a listed non-Accepted or an expired
 * tag offline; offline never depends on LocalPreAuthorize; the list has
 * priority over the cache; online an unknown tag is always asked about);
 * and explicit rows for the named scenarios of the issue.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include "actors/auth/auth_rules.h"

#define NOW 1800000000000LL     //  2027-01-15

//  Entry variants: index 0 = absent.
enum { E_NONE = 0, E_ACCEPTED, E_BLOCKED, E_EXPIRED, E_INVALID, E_CONCURRENT, E_ACCEPTED_PAST, E_COUNT };
static const char *const s_variant_names[] = {
    "none", "Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx", "Accepted(expired by date)"
};

static void
s_entry(int variant, const char *parent, auth_entry_t *e)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->id_tag, sizeof(e->id_tag), "TAG");
    snprintf(e->parent_id_tag, sizeof(e->parent_id_tag), "%s", parent);
    switch (variant) {
        case E_ACCEPTED:      e->status = AUTH_ACCEPTED; e->expiry_ms = NOW + 3600000; break;
        case E_BLOCKED:       e->status = AUTH_BLOCKED; break;
        case E_EXPIRED:       e->status = AUTH_EXPIRED; break;
        case E_INVALID:       e->status = AUTH_INVALID; break;
        case E_CONCURRENT:    e->status = AUTH_CONCURRENT_TX; break;
        case E_ACCEPTED_PAST: e->status = AUTH_ACCEPTED; e->expiry_ms = NOW - 1; break;
        default: break;
    }
}

typedef struct {
    bool online, lpa, lao, unknown, list_on, cache_on;
    int list, cache;
} case_t;

//  The spec, formulated per variant rather than per status (3.5, 4.1).
static void
s_expected(const case_t *c, auth_decision_t *out)
{
    memset(out, 0, sizeof(*out));
    int variant = E_NONE;
    auth_source_t source = AUTH_SOURCE_OFFLINE;
    const char *parent = "";
    if (c->list_on && c->list != E_NONE) {
        variant = c->list; source = AUTH_SOURCE_LIST; parent = "PL";
    }
    else
    if (c->cache_on && c->cache != E_NONE) {
        variant = c->cache; source = AUTH_SOURCE_CACHE; parent = "PC";
    }
    bool good = variant == E_ACCEPTED || variant == E_CONCURRENT;
    auth_status_t refused = variant == E_BLOCKED ? AUTH_BLOCKED
                          : variant == E_INVALID ? AUTH_INVALID : AUTH_EXPIRED;
    if (c->online) {
        if (good && c->lpa) {
            out->status = AUTH_ACCEPTED; out->source = source;
            snprintf(out->parent_id_tag, sizeof(out->parent_id_tag), "%s", parent);
        }
        else
            out->ask = true;
        return;
    }
    if (variant != E_NONE && !good) {
        out->status = refused; out->source = source;
        snprintf(out->parent_id_tag, sizeof(out->parent_id_tag), "%s", parent);
        return;
    }
    if (good && c->lao) {
        out->status = AUTH_ACCEPTED; out->source = source;
        snprintf(out->parent_id_tag, sizeof(out->parent_id_tag), "%s", parent);
        return;
    }
    out->status = c->unknown ? AUTH_ACCEPTED : AUTH_INVALID;
    out->source = AUTH_SOURCE_OFFLINE;
}

static void
s_decide(const case_t *c, auth_decision_t *out)
{
    auth_entry_t list, cache;
    s_entry(c->list, "PL", &list);
    s_entry(c->cache, "PC", &cache);
    auth_inputs_t in = {
        .online = c->online, .local_pre_authorize = c->lpa, .local_authorize_offline = c->lao,
        .allow_offline_unknown = c->unknown, .list_enabled = c->list_on, .cache_enabled = c->cache_on,
        .list = c->list == E_NONE ? NULL : &list, .cache = c->cache == E_NONE ? NULL : &cache,
        .now_ms = NOW,
    };
    auth_rules_decide(&in, out);
}

static bool
s_same(const auth_decision_t *a, const auth_decision_t *b)
{
    if (a->ask || b->ask)
        return a->ask == b->ask;
    return a->status == b->status && a->source == b->source && strcmp(a->parent_id_tag, b->parent_id_tag) == 0;
}

static void
s_describe(const case_t *c, char *buf, size_t size)
{
    snprintf(buf, size, "%s LPA=%d LAO=%d AOTU=%d list%s=%s cache%s=%s", c->online ? "online" : "offline",
             c->lpa, c->lao, c->unknown, c->list_on ? "(on)" : "(off)", s_variant_names[c->list],
             c->cache_on ? "(on)" : "(off)", s_variant_names[c->cache]);
}

//  Calls fn for each of the 3136 cases.
static int
s_each(void (*fn)(const case_t *c))
{
    int n = 0;
    for (int bits = 0; bits < 64; bits++)
        for (int l = 0; l < E_COUNT; l++)
            for (int k = 0; k < E_COUNT; k++) {
                case_t c = {
                    .online = bits & 1, .lpa = bits & 2, .lao = bits & 4, .unknown = bits & 8,
                    .list_on = bits & 16, .cache_on = bits & 32, .list = l, .cache = k,
                };
                fn(&c);
                n++;
            }
    return n;
}

static void
s_check_expected(const case_t *c)
{
    auth_decision_t got, want;
    s_decide(c, &got);
    s_expected(c, &want);
    if (!s_same(&got, &want)) {
        char what[200];
        s_describe(c, what, sizeof(what));
        fail_msg("%s: got %s %s/%s, want %s %s/%s", what, got.ask ? "ask" : "answer", auth_status_name(got.status),
                 auth_source_name(got.source), want.ask ? "ask" : "answer", auth_status_name(want.status),
                 auth_source_name(want.source));
    }
}

static void
test_table_matches_the_spec(void **state)
{
    (void) state;
    assert_int_equal(s_each(s_check_expected), 3136);
}

static void
s_check_properties(const case_t *c)
{
    char what[200];
    s_describe(c, what, sizeof(what));
    auth_decision_t d;
    s_decide(c, &d);
    int effective = c->list_on && c->list ? c->list : c->cache_on && c->cache ? c->cache : E_NONE;
    bool listed = c->list_on && c->list;
    if (!c->online) {
        //  Offline there is always an answer, and LocalPreAuthorize plays no part (libocpp #496).
        if (d.ask)
            fail_msg("%s: asks while offline", what);
        case_t other = *c;
        other.lpa = !c->lpa;
        auth_decision_t d2;
        s_decide(&other, &d2);
        if (!s_same(&d, &d2))
            fail_msg("%s: offline answer depends on LocalPreAuthorize", what);
        //  3.5.4: listed non-Accepted and expired tags MUST be rejected.
        bool refused_entry = effective == E_BLOCKED || effective == E_EXPIRED || effective == E_INVALID
                          || effective == E_ACCEPTED_PAST;
        if (refused_entry && d.status == AUTH_ACCEPTED)
            fail_msg("%s: a refused or expired entry was accepted offline", what);
        if (effective == E_ACCEPTED_PAST && d.status != AUTH_EXPIRED)
            fail_msg("%s: expired by date must read Expired", what);
    }
    else
    if (effective == E_NONE && !d.ask)
        fail_msg("%s: an unknown tag online must be asked about (4.1)", what);
    //  3.5.3: the list has priority: the cache entry does not matter.
    if (listed) {
        for (int k = 0; k < E_COUNT; k++) {
            case_t other = *c;
            other.cache = k;
            auth_decision_t d2;
            s_decide(&other, &d2);
            if (!s_same(&d, &d2))
                fail_msg("%s: the cache overrode the list", what);
        }
    }
    //  A disabled list or cache is as good as absent.
    if (!c->list_on) {
        case_t other = *c;
        other.list = E_NONE;
        auth_decision_t d2;
        s_decide(&other, &d2);
        if (!s_same(&d, &d2))
            fail_msg("%s: a disabled list was used", what);
    }
    if (!c->cache_on) {
        case_t other = *c;
        other.cache = E_NONE;
        auth_decision_t d2;
        s_decide(&other, &d2);
        if (!s_same(&d, &d2))
            fail_msg("%s: a disabled cache was used", what);
    }
    //  Accepted only ever comes with a source that can vouch for it.
    if (!d.ask && d.status == AUTH_ACCEPTED && d.source == AUTH_SOURCE_OFFLINE && !c->unknown)
        fail_msg("%s: accepted as unknown without AllowOfflineTxForUnknownId", what);
}

static void
test_table_properties(void **state)
{
    (void) state;
    s_each(s_check_properties);
}

//  Named rows: the scenarios the issue and the lessons call out.
typedef struct {
    const char *name;
    case_t c;
    bool ask;
    auth_status_t status;
    auth_source_t source;
} row_t;

static void
test_named_rows(void **state)
{
    (void) state;
    const row_t rows[] = {
        { "online unknown: Authorize", { .online = 1, .lpa = 1, .lao = 1, .list_on = 1, .cache_on = 1 }, true, 0, 0 },
        { "online list hit, LocalPreAuthorize: at once",
          { .online = 1, .lpa = 1, .list_on = 1, .list = E_ACCEPTED }, false, AUTH_ACCEPTED, AUTH_SOURCE_LIST },
        { "online list hit, no LocalPreAuthorize: Authorize",
          { .online = 1, .lao = 1, .list_on = 1, .list = E_ACCEPTED }, true, 0, 0 },
        { "online cache hit, LocalPreAuthorize: at once",
          { .online = 1, .lpa = 1, .cache_on = 1, .cache = E_ACCEPTED }, false, AUTH_ACCEPTED, AUTH_SOURCE_CACHE },
        { "online cache Blocked: re-checked (3.5.1)",
          { .online = 1, .lpa = 1, .cache_on = 1, .cache = E_BLOCKED }, true, 0, 0 },
        { "online cache expired by date: re-checked",
          { .online = 1, .lpa = 1, .cache_on = 1, .cache = E_ACCEPTED_PAST }, true, 0, 0 },
        { "offline list hit without LocalPreAuthorize (libocpp #496)",
          { .lao = 1, .list_on = 1, .list = E_ACCEPTED }, false, AUTH_ACCEPTED, AUTH_SOURCE_LIST },
        { "offline cache hit", { .lao = 1, .cache_on = 1, .cache = E_ACCEPTED }, false, AUTH_ACCEPTED, AUTH_SOURCE_CACHE },
        { "offline listed Blocked beats AllowOfflineTxForUnknownId",
          { .lao = 1, .unknown = 1, .list_on = 1, .list = E_BLOCKED }, false, AUTH_BLOCKED, AUTH_SOURCE_LIST },
        { "offline listed Invalid beats AllowOfflineTxForUnknownId",
          { .lao = 1, .unknown = 1, .list_on = 1, .list = E_INVALID }, false, AUTH_INVALID, AUTH_SOURCE_LIST },
        { "offline cache expired by date: Expired",
          { .lao = 1, .unknown = 1, .cache_on = 1, .cache = E_ACCEPTED_PAST }, false, AUTH_EXPIRED, AUTH_SOURCE_CACHE },
        { "offline list Accepted hides cache Blocked",
          { .lao = 1, .list_on = 1, .cache_on = 1, .list = E_ACCEPTED, .cache = E_BLOCKED }, false, AUTH_ACCEPTED,
          AUTH_SOURCE_LIST },
        { "offline list Blocked hides cache Accepted",
          { .lao = 1, .list_on = 1, .cache_on = 1, .list = E_BLOCKED, .cache = E_ACCEPTED }, false, AUTH_BLOCKED,
          AUTH_SOURCE_LIST },
        { "offline list disabled: the cache answers",
          { .lao = 1, .cache_on = 1, .list = E_BLOCKED, .cache = E_ACCEPTED }, false, AUTH_ACCEPTED,
          AUTH_SOURCE_CACHE },
        { "offline ConcurrentTx in the list counts as valid",
          { .lao = 1, .list_on = 1, .list = E_CONCURRENT }, false, AUTH_ACCEPTED, AUTH_SOURCE_LIST },
        { "offline unknown, AllowOfflineTxForUnknownId", { .lao = 1, .unknown = 1, .list_on = 1, .cache_on = 1 },
          false, AUTH_ACCEPTED, AUTH_SOURCE_OFFLINE },
        { "offline unknown, no AllowOfflineTxForUnknownId", { .lao = 1, .list_on = 1, .cache_on = 1 },
          false, AUTH_INVALID, AUTH_SOURCE_OFFLINE },
        { "offline without LocalAuthorizeOffline: a listed tag is unknown",
          { .unknown = 0, .list_on = 1, .list = E_ACCEPTED }, false, AUTH_INVALID, AUTH_SOURCE_OFFLINE },
        { "offline without LocalAuthorizeOffline, AllowOfflineTxForUnknownId",
          { .unknown = 1, .list_on = 1, .list = E_ACCEPTED }, false, AUTH_ACCEPTED, AUTH_SOURCE_OFFLINE },
        { "offline without LocalAuthorizeOffline, listed Blocked still refused",
          { .unknown = 1, .list_on = 1, .list = E_BLOCKED }, false, AUTH_BLOCKED, AUTH_SOURCE_LIST },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        auth_decision_t d;
        s_decide(&rows[i].c, &d);
        if (d.ask != rows[i].ask)
            fail_msg("%s: ask %d", rows[i].name, d.ask);
        if (!d.ask && (d.status != rows[i].status || d.source != rows[i].source))
            fail_msg("%s: got %s/%s", rows[i].name, auth_status_name(d.status), auth_source_name(d.source));
    }
}

static void
test_parent_and_names(void **state)
{
    (void) state;
    case_t c = { .lao = 1, .list_on = 1, .list = E_ACCEPTED };
    auth_decision_t d;
    s_decide(&c, &d);
    assert_string_equal(d.parent_id_tag, "PL");
    c = (case_t) { .unknown = 1, .lao = 1 };
    s_decide(&c, &d);
    assert_string_equal(d.parent_id_tag, "");

    const char *names[] = { "Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx" };
    for (int i = 0; i < 5; i++) {
        auth_status_t s;
        assert_int_equal(auth_status_parse(names[i], &s), 0);
        assert_string_equal(auth_status_name(s), names[i]);
    }
    auth_status_t s;
    assert_int_equal(auth_status_parse("accepted", &s), -1);
    assert_int_equal(auth_status_parse("", &s), -1);
    assert_int_equal(auth_status_parse(NULL, &s), -1);
    assert_string_equal(auth_source_name(AUTH_SOURCE_FREE), "free");
    //  Expiry exactly now counts as expired.
    auth_entry_t e = { .status = AUTH_ACCEPTED, .expiry_ms = NOW };
    assert_int_equal(auth_entry_effective(&e, NOW), AUTH_EXPIRED);
    assert_int_equal(auth_entry_effective(&e, NOW - 1), AUTH_ACCEPTED);
    e.expiry_ms = 0;
    assert_int_equal(auth_entry_effective(&e, NOW), AUTH_ACCEPTED);
    e.status = AUTH_BLOCKED;
    e.expiry_ms = NOW - 5;
    assert_int_equal(auth_entry_effective(&e, NOW), AUTH_BLOCKED);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_matches_the_spec),
        cmocka_unit_test(test_table_properties),
        cmocka_unit_test(test_named_rows),
        cmocka_unit_test(test_parent_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
