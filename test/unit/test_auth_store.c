/* test_auth_store.c — the Local Authorization List and the Authorization
 * Cache on a real SQLite store, and the three operations on top of them
 * (responses validated against the official schemas).
 *
 * List: Full then Differential (add, update, delete), version rules
 * (VersionMismatch, errata 3.52), SendLocalListMaxLength, duplicates,
 * LocalAuthListMaxLength with rollback (atomicity), case-insensitive
 * idTags, persistence across reopen. Cache: update, expiry, LRU eviction
 * of NOT-valid entries first, recency persisted, ClearCache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "actors/auth/auth_cache.h"
#include "actors/auth/auth_ops.h"
#include "actors/auth/local_list.h"
#include "gateway/schema.h"
#include "supervisor/store.h"

#define NOW 1800000000000LL

typedef struct {
    char dir[64];
    sqlite3 *db;
    local_list_t *list;
    auth_cache_t *cache;
    schema_set_t *schemas;
} fixture_t;

static void
s_open(fixture_t *f, int64_t capacity)
{
    char err[256];
    f->db = cp_store_open(f->dir, err, sizeof(err));
    assert_non_null(f->db);
    f->list = local_list_new(f->db);
    f->cache = auth_cache_new(f->db, capacity);
    assert_non_null(f->list);
    assert_non_null(f->cache);
}

static void
s_close(fixture_t *f)
{
    auth_cache_destroy(&f->cache);
    local_list_destroy(&f->list);
    cp_store_close(&f->db);
}

static int
s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(fixture_t));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test-auth-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    s_open(f, 5);
    f->schemas = schema_set_new();
    assert_non_null(f->schemas);
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    s_close(f);
    schema_set_destroy(&f->schemas);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

//  Run one operation from JSON text; check request and response against
//  the schemas; return the response (caller decrefs).
static json_t *
s_op(fixture_t *f, const char *action, const char *request_text, bool list_enabled, int64_t send_max,
     int64_t list_max)
{
    json_error_t jerr;
    json_t *request = json_loads(request_text, 0, &jerr);
    if (!request)
        fail_msg("test request is not JSON: %s", jerr.text);
    char why[200] = "";
    if (schema_set_validate(f->schemas, action, request, why, sizeof(why)) != OCPPJ_OK)
        fail_msg("test request does not match the %s schema: %s", action, why);
    auth_ops_ctx_t ctx = { .list = f->list, .cache = f->cache, .list_enabled = list_enabled,
                           .send_max = send_max, .list_max = list_max };
    json_t *response = NULL;
    if (strcmp(action, "SendLocalList") == 0)
        response = send_local_list(&ctx, request);
    else
    if (strcmp(action, "GetLocalListVersion") == 0)
        response = get_local_list_version(&ctx, request);
    else
        response = clear_cache(&ctx, request);
    assert_non_null(response);
    char name[64];
    snprintf(name, sizeof(name), "%sResponse", action);
    if (schema_set_validate(f->schemas, name, response, why, sizeof(why)) != OCPPJ_OK)
        fail_msg("%s does not match its schema: %s", name, why);
    json_decref(request);
    return response;
}

static void
s_expect_status(fixture_t *f, const char *request, const char *status)
{
    json_t *r = s_op(f, "SendLocalList", request, true, 500, 10000);
    const char *got = json_string_value(json_object_get(r, "status"));
    if (strcmp(got, status) != 0)
        fail_msg("SendLocalList %s: got %s, want %s", request, got, status);
    json_decref(r);
}

static int64_t
s_version(fixture_t *f, bool enabled)
{
    json_t *r = s_op(f, "GetLocalListVersion", "{}", enabled, 500, 10000);
    int64_t v = json_integer_value(json_object_get(r, "listVersion"));
    json_decref(r);
    return v;
}

static int
s_find(fixture_t *f, const char *tag, auth_entry_t *e)
{
    return local_list_find(f->list, tag, e);
}

static const char *s_full =
    "{\"listVersion\": 3, \"updateType\": \"Full\", \"localAuthorizationList\": ["
    "{\"idTag\": \"AAA\", \"idTagInfo\": {\"status\": \"Accepted\", \"parentIdTag\": \"GROUP\"}},"
    "{\"idTag\": \"BBB\", \"idTagInfo\": {\"status\": \"Blocked\"}},"
    "{\"idTag\": \"CCC\", \"idTagInfo\": {\"status\": \"Accepted\", \"expiryDate\": \"2027-01-15T08:00:00Z\"}}]}";

static void
test_full_then_differential(void **state)
{
    fixture_t *f = *state;
    auth_entry_t e;
    assert_int_equal(s_version(f, true), 0);
    s_expect_status(f, s_full, "Accepted");
    assert_int_equal(s_version(f, true), 3);
    assert_int_equal(local_list_count(f->list), 3);
    assert_int_equal(s_find(f, "AAA", &e), 1);
    assert_int_equal(e.status, AUTH_ACCEPTED);
    assert_string_equal(e.parent_id_tag, "GROUP");
    assert_int_equal(e.expiry_ms, 0);
    //  idTags are CiString20Type.
    assert_int_equal(s_find(f, "aaa", &e), 1);
    assert_int_equal(s_find(f, "CCC", &e), 1);
    assert_true(e.expiry_ms > 0);
    assert_int_equal(s_find(f, "DDD", &e), 0);

    //  Differential: update BBB, delete CCC, add DDD.
    s_expect_status(f, "{\"listVersion\": 4, \"updateType\": \"Differential\", \"localAuthorizationList\": ["
                       "{\"idTag\": \"BBB\", \"idTagInfo\": {\"status\": \"Accepted\"}},"
                       "{\"idTag\": \"ccc\"},"
                       "{\"idTag\": \"DDD\", \"idTagInfo\": {\"status\": \"Invalid\"}}]}", "Accepted");
    assert_int_equal(s_version(f, true), 4);
    assert_int_equal(s_find(f, "BBB", &e), 1);
    assert_int_equal(e.status, AUTH_ACCEPTED);
    assert_int_equal(s_find(f, "CCC", &e), 0);
    assert_int_equal(s_find(f, "DDD", &e), 1);
    assert_int_equal(e.status, AUTH_INVALID);
    assert_int_equal(local_list_count(f->list), 3);
    //  An empty Differential changes nothing but the version.
    s_expect_status(f, "{\"listVersion\": 5, \"updateType\": \"Differential\"}", "Accepted");
    assert_int_equal(local_list_count(f->list), 3);
    assert_int_equal(s_version(f, true), 5);
    //  A Full replaces everything.
    s_expect_status(f, "{\"listVersion\": 9, \"updateType\": \"Full\", \"localAuthorizationList\": ["
                       "{\"idTag\": \"ZZZ\", \"idTagInfo\": {\"status\": \"Accepted\"}}]}", "Accepted");
    assert_int_equal(local_list_count(f->list), 1);
    assert_int_equal(s_find(f, "AAA", &e), 0);
    //  An empty Full empties it: version 0 (5.10).
    s_expect_status(f, "{\"listVersion\": 10, \"updateType\": \"Full\"}", "Accepted");
    assert_int_equal(local_list_count(f->list), 0);
    assert_int_equal(s_version(f, true), 0);
    //  ... and a Differential is judged against that 0.
    s_expect_status(f, "{\"listVersion\": 1, \"updateType\": \"Differential\", \"localAuthorizationList\": ["
                       "{\"idTag\": \"NEW\", \"idTagInfo\": {\"status\": \"Accepted\"}}]}", "Accepted");
    assert_int_equal(s_version(f, true), 1);
}

static void
test_version_rules(void **state)
{
    fixture_t *f = *state;
    s_expect_status(f, s_full, "Accepted");
    const char *same = "{\"listVersion\": 3, \"updateType\": \"Differential\", \"localAuthorizationList\": ["
                       "{\"idTag\": \"AAA\", \"idTagInfo\": {\"status\": \"Blocked\"}}]}";
    const char *older = "{\"listVersion\": 2, \"updateType\": \"Differential\", \"localAuthorizationList\": ["
                        "{\"idTag\": \"AAA\"}]}";
    s_expect_status(f, same, "VersionMismatch");
    s_expect_status(f, older, "VersionMismatch");
    auth_entry_t e;
    assert_int_equal(s_find(f, "AAA", &e), 1);
    assert_int_equal(e.status, AUTH_ACCEPTED);
    assert_int_equal(s_version(f, true), 3);
    //  A Full may go to any version, also a lower one...
    s_expect_status(f, "{\"listVersion\": 1, \"updateType\": \"Full\", \"localAuthorizationList\": ["
                       "{\"idTag\": \"AAA\", \"idTagInfo\": {\"status\": \"Accepted\"}}]}", "Accepted");
    assert_int_equal(s_version(f, true), 1);
    //  ... but never 0 or -1 (errata 3.52).
    s_expect_status(f, "{\"listVersion\": 0, \"updateType\": \"Full\", \"localAuthorizationList\": ["
                       "{\"idTag\": \"QQQ\", \"idTagInfo\": {\"status\": \"Accepted\"}}]}", "Failed");
    s_expect_status(f, "{\"listVersion\": -1, \"updateType\": \"Full\"}", "Failed");
    assert_int_equal(s_find(f, "QQQ", &e), 0);
    assert_int_equal(s_version(f, true), 1);
}

static void
test_bad_updates_leave_the_list_untouched(void **state)
{
    fixture_t *f = *state;
    s_expect_status(f, s_full, "Accepted");
    //  Duplicates (case-insensitive), Full without idTagInfo.
    s_expect_status(f, "{\"listVersion\": 7, \"updateType\": \"Full\", \"localAuthorizationList\": ["
                       "{\"idTag\": \"X1\", \"idTagInfo\": {\"status\": \"Accepted\"}},"
                       "{\"idTag\": \"x1\", \"idTagInfo\": {\"status\": \"Blocked\"}}]}", "Failed");
    s_expect_status(f, "{\"listVersion\": 7, \"updateType\": \"Differential\", \"localAuthorizationList\": ["
                       "{\"idTag\": \"AAA\", \"idTagInfo\": {\"status\": \"Blocked\"}},"
                       "{\"idTag\": \"AAA\"}]}", "Failed");
    s_expect_status(f, "{\"listVersion\": 7, \"updateType\": \"Full\", \"localAuthorizationList\": ["
                       "{\"idTag\": \"X1\", \"idTagInfo\": {\"status\": \"Accepted\"}}, {\"idTag\": \"X2\"}]}",
                    "Failed");
    //  More entries than SendLocalListMaxLength (here 2).
    json_t *r = s_op(f, "SendLocalList", "{\"listVersion\": 7, \"updateType\": \"Full\", \"localAuthorizationList\": ["
                     "{\"idTag\": \"X1\", \"idTagInfo\": {\"status\": \"Accepted\"}},"
                     "{\"idTag\": \"X2\", \"idTagInfo\": {\"status\": \"Accepted\"}},"
                     "{\"idTag\": \"X3\", \"idTagInfo\": {\"status\": \"Accepted\"}}]}", true, 2, 10000);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "Failed");
    json_decref(r);
    //  A Differential that would grow the list past LocalAuthListMaxLength
    //  (here 4): it was half applied inside the transaction, then rolled back.
    r = s_op(f, "SendLocalList", "{\"listVersion\": 7, \"updateType\": \"Differential\", \"localAuthorizationList\": ["
             "{\"idTag\": \"BBB\"},"
             "{\"idTag\": \"AAA\", \"idTagInfo\": {\"status\": \"Blocked\"}},"
             "{\"idTag\": \"X1\", \"idTagInfo\": {\"status\": \"Accepted\"}},"
             "{\"idTag\": \"X2\", \"idTagInfo\": {\"status\": \"Accepted\"}},"
             "{\"idTag\": \"X3\", \"idTagInfo\": {\"status\": \"Accepted\"}}]}", true, 500, 4);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "Failed");
    json_decref(r);
    //  Untouched: same version, same three entries, same statuses.
    assert_int_equal(s_version(f, true), 3);
    assert_int_equal(local_list_count(f->list), 3);
    auth_entry_t e;
    assert_int_equal(s_find(f, "AAA", &e), 1);
    assert_int_equal(e.status, AUTH_ACCEPTED);
    assert_int_equal(s_find(f, "BBB", &e), 1);
    assert_int_equal(s_find(f, "X1", &e), 0);
    //  Exactly at the limit is fine.
    r = s_op(f, "SendLocalList", "{\"listVersion\": 8, \"updateType\": \"Differential\", \"localAuthorizationList\": ["
             "{\"idTag\": \"X1\", \"idTagInfo\": {\"status\": \"Accepted\"}}]}", true, 500, 4);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "Accepted");
    json_decref(r);
}

static void
test_disabled_list(void **state)
{
    fixture_t *f = *state;
    s_expect_status(f, s_full, "Accepted");
    assert_int_equal(s_version(f, false), -1);
    json_t *r = s_op(f, "SendLocalList", "{\"listVersion\": 8, \"updateType\": \"Full\"}", false, 500, 10000);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "NotSupported");
    json_decref(r);
    //  Kept for when it is enabled again.
    assert_int_equal(s_version(f, true), 3);
    assert_int_equal(local_list_count(f->list), 3);
}

static void
test_list_persists(void **state)
{
    fixture_t *f = *state;
    s_expect_status(f, s_full, "Accepted");
    s_close(f);
    s_open(f, 5);
    assert_int_equal(s_version(f, true), 3);
    auth_entry_t e;
    assert_int_equal(s_find(f, "BBB", &e), 1);
    assert_int_equal(e.status, AUTH_BLOCKED);
}

//  ---- cache ----

static void
s_cache_put(fixture_t *f, const char *tag, auth_status_t status, int64_t expiry)
{
    auth_entry_t e = { .status = status, .expiry_ms = expiry };
    snprintf(e.id_tag, sizeof(e.id_tag), "%s", tag);
    assert_int_equal(auth_cache_update(f->cache, &e, NOW), 0);
}

static bool
s_cached(fixture_t *f, const char *tag)
{
    auth_entry_t e;
    return auth_cache_find(f->cache, tag, NOW, &e) == 1;
}

static void
test_cache_update_and_expiry(void **state)
{
    fixture_t *f = *state;
    auth_entry_t e = { .id_tag = "T1", .status = AUTH_ACCEPTED, .parent_id_tag = "G", .expiry_ms = NOW + 1000 };
    assert_int_equal(auth_cache_update(f->cache, &e, NOW), 0);
    auth_entry_t got;
    assert_int_equal(auth_cache_find(f->cache, "t1", NOW, &got), 1);
    assert_int_equal(got.status, AUTH_ACCEPTED);
    assert_string_equal(got.parent_id_tag, "G");
    //  Updated in place by a later IdTagInfo.
    e.status = AUTH_BLOCKED;
    e.parent_id_tag[0] = '\0';
    assert_int_equal(auth_cache_update(f->cache, &e, NOW), 0);
    assert_int_equal(auth_cache_count(f->cache), 1);
    assert_int_equal(auth_cache_find(f->cache, "T1", NOW, &got), 1);
    assert_int_equal(got.status, AUTH_BLOCKED);
    //  Past its expiryDate an Accepted entry reads Expired, and a flush
    //  writes it so.
    e.status = AUTH_ACCEPTED;
    assert_int_equal(auth_cache_update(f->cache, &e, NOW), 0);
    assert_int_equal(auth_cache_find(f->cache, "T1", NOW + 1000, &got), 1);
    assert_int_equal(got.status, AUTH_EXPIRED);
    assert_int_equal(auth_cache_flush(f->cache, NOW + 1000), 0);
    assert_int_equal(auth_cache_find(f->cache, "T1", NOW, &got), 1);
    assert_int_equal(got.status, AUTH_EXPIRED);
    assert_int_equal(auth_cache_find(f->cache, "nope", NOW, &got), 0);
}

static void
test_cache_evicts_invalid_first_then_lru(void **state)
{
    fixture_t *f = *state;      //  capacity 5
    s_cache_put(f, "V1", AUTH_ACCEPTED, 0);
    s_cache_put(f, "B1", AUTH_BLOCKED, 0);
    s_cache_put(f, "V2", AUTH_ACCEPTED, 0);
    s_cache_put(f, "X1", AUTH_ACCEPTED, NOW - 1);     //  expired by date: NOT-valid
    s_cache_put(f, "V3", AUTH_ACCEPTED, 0);
    assert_int_equal(auth_cache_count(f->cache), 5);
    //  Full: the oldest NOT-valid goes first (B1), then X1.
    s_cache_put(f, "N1", AUTH_ACCEPTED, 0);
    assert_int_equal(auth_cache_count(f->cache), 5);
    assert_false(s_cached(f, "B1"));
    assert_true(s_cached(f, "X1"));
    s_cache_put(f, "N2", AUTH_ACCEPTED, 0);
    assert_false(s_cached(f, "X1"));
    //  Only valid ones left: the least recently used goes. V1 is older
    //  than V2, but a lookup just used it.
    assert_true(s_cached(f, "V1"));
    s_cache_put(f, "N3", AUTH_ACCEPTED, 0);
    assert_true(s_cached(f, "V1"));
    assert_false(s_cached(f, "V2"));
    assert_true(s_cached(f, "V3"));
    //  Updating a known tag never evicts.
    s_cache_put(f, "V3", AUTH_INVALID, 0);
    assert_int_equal(auth_cache_count(f->cache), 5);
    //  Recency survives a reopen (flushed at destroy): V1 was used last
    //  among the old ones, so V3 (Invalid now) then N1 go first.
    s_close(f);
    s_open(f, 5);
    s_cache_put(f, "N4", AUTH_ACCEPTED, 0);
    assert_false(s_cached(f, "V3"));
    s_cache_put(f, "N5", AUTH_ACCEPTED, 0);
    assert_false(s_cached(f, "N1"));
    assert_true(s_cached(f, "V1"));
}

static void
test_clear_cache(void **state)
{
    fixture_t *f = *state;
    s_cache_put(f, "A", AUTH_ACCEPTED, 0);
    s_cache_put(f, "B", AUTH_BLOCKED, 0);
    json_t *r = s_op(f, "ClearCache", "{}", true, 500, 10000);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "Accepted");
    json_decref(r);
    assert_int_equal(auth_cache_count(f->cache), 0);
    assert_false(s_cached(f, "A"));
    //  Persisted: still empty after a reopen.
    s_close(f);
    s_open(f, 5);
    assert_int_equal(auth_cache_count(f->cache), 0);
}

static void
test_idtaginfo_parsing(void **state)
{
    (void) state;
    auth_entry_t e;
    json_t *info = json_loads("{\"status\": \"Accepted\", \"parentIdTag\": \"P\", "
                              "\"expiryDate\": \"2027-01-15T08:00:00.000Z\"}", 0, NULL);
    assert_int_equal(auth_ops_parse_idtaginfo(info, &e), 0);
    assert_int_equal(e.status, AUTH_ACCEPTED);
    assert_string_equal(e.parent_id_tag, "P");
    assert_true(e.expiry_ms > 0);
    json_decref(info);
    info = json_loads("{\"status\": \"Unknown\"}", 0, NULL);
    assert_int_equal(auth_ops_parse_idtaginfo(info, &e), -1);
    json_decref(info);
    info = json_loads("{\"status\": \"Accepted\", \"expiryDate\": \"tomorrow\"}", 0, NULL);
    assert_int_equal(auth_ops_parse_idtaginfo(info, &e), -1);
    json_decref(info);
    assert_int_equal(auth_ops_parse_idtaginfo(NULL, &e), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_then_differential, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_version_rules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_updates_leave_the_list_untouched, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_disabled_list, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_list_persists, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_cache_update_and_expiry, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_cache_evicts_invalid_first_then_lru, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_clear_cache, s_setup, s_teardown),
        cmocka_unit_test(test_idtaginfo_parsing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
