/* test_ocpp_core.c — unit tests for the pure core of the ocpp actor
 * (actors/ocpp/ocpp_core.c).
 *
 * The core gets time as `now` (ms) and acts only through its effects
 * table, so every test runs on a virtual timeline: a recorder captures
 * each effect, frames the core "sent" are decoded back with ocppj_parse(),
 * and answers from the central system are fed with ocpp_core_on_result().
 *
 * Rules under test: OCPP 1.6 edition 2 section 4.2 (BootNotification:
 * nothing but BootNotification before Accepted, Pending/Rejected retried
 * after the returned interval), 4.6 (Heartbeat at the accepted interval)
 * and OCPP-J 1.6 section 4.1.1 (one CALL in flight at a time).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/ocpp/ocpp_core.h"
#include "gateway/ocppj.h"

/* ------------------------------------------------------------ recorder */

#define MAX_SENT 4096
#define MAX_DONE 4096

typedef struct {
    char requester[32];
    uint64_t corr;
    char outcome[16];
    char *payload;                 //  NULL when the core passed NULL
    char error_code[64];
    char error_description[128];
} done_t;

typedef struct {
    char *sent[MAX_SENT];
    int nsent;
    int send_rc;                   //  what send() returns
    done_t done[MAX_DONE];
    int ndone;
    int changed;
    int wall_calls;
    int64_t wall_ms;
    int interval_calls;
    int interval_s;
    int late_calls;
    char late_requester[32];
    char late_action[40];
    char late_result[256];
} rec_t;

static int
fx_send(void *ctx, const char *text)
{
    rec_t *rec = ctx;
    assert_true(rec->nsent < MAX_SENT);
    rec->sent[rec->nsent] = strdup(text);
    assert_non_null(rec->sent[rec->nsent]);
    rec->nsent++;
    return rec->send_rc;
}

static void
fx_complete(void *ctx, const char *requester, uint64_t corr, const char *outcome,
            const char *payload, const char *error_code, const char *error_description)
{
    rec_t *rec = ctx;
    assert_true(rec->ndone < MAX_DONE);
    done_t *d = &rec->done[rec->ndone++];
    snprintf(d->requester, sizeof(d->requester), "%s", requester ? requester : "(null)");
    d->corr = corr;
    snprintf(d->outcome, sizeof(d->outcome), "%s", outcome ? outcome : "(null)");
    d->payload = payload ? strdup(payload) : NULL;
    snprintf(d->error_code, sizeof(d->error_code), "%s", error_code ? error_code : "");
    snprintf(d->error_description, sizeof(d->error_description), "%s",
             error_description ? error_description : "");
}

static void
fx_changed(void *ctx)
{
    ((rec_t *) ctx)->changed++;
}

static void
fx_wall(void *ctx, int64_t wall_ms)
{
    rec_t *rec = ctx;
    rec->wall_calls++;
    rec->wall_ms = wall_ms;
}

static void
fx_interval(void *ctx, int seconds)
{
    rec_t *rec = ctx;
    rec->interval_calls++;
    rec->interval_s = seconds;
}

static void
fx_late(void *ctx, const char *requester, const char *action, const char *call_payload, const char *result)
{
    rec_t *rec = ctx;
    rec->late_calls++;
    snprintf(rec->late_requester, sizeof(rec->late_requester), "%s", requester);
    snprintf(rec->late_action, sizeof(rec->late_action), "%s", action);
    snprintf(rec->late_result, sizeof(rec->late_result), "%s", result);
    assert_non_null(call_payload);
}

static const ocpp_core_effects_t k_effects = {
    .send = fx_send,
    .complete = fx_complete,
    .state_changed = fx_changed,
    .set_wall_clock = fx_wall,
    .interval_accepted = fx_interval,
    .late = fx_late,
};

#define CALL_TIMEOUT_MS 10000
#define BOOT_RETRY_S    30

static const ocpp_core_config_t k_config = {
    .vendor = "Acme",
    .model = "Volt-22",
    .serial = "SN-0001",
    .firmware = "1.2.3",
    .call_timeout_ms = CALL_TIMEOUT_MS,
    .heartbeat_interval_s = 300,
    .boot_retry_s = BOOT_RETRY_S,
    .id_prefix = "t",
};

//  2026-11-26T10:00:00Z in ms since the epoch (date -u -d ... +%s)
#define WALL_2026_11_26_10_00 (1795687200LL * 1000)

typedef struct {
    rec_t rec;
    ocpp_core_t *core;
} fixture_t;

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(fixture_t));
    assert_non_null(f);
    f->core = ocpp_core_new(&k_config, &k_effects, &f->rec);
    assert_non_null(f->core);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    ocpp_core_destroy(&f->core);
    assert_null(f->core);
    for (int i = 0; i < f->rec.nsent; i++)
        free(f->rec.sent[i]);
    for (int i = 0; i < f->rec.ndone; i++)
        free(f->rec.done[i].payload);
    free(f);
    return 0;
}

/* ------------------------------------------------------------- helpers */

//  Decodes sent frame i (must be a well-formed CALL); caller clears it.
static ocppj_frame_t
sent_frame(const rec_t *rec, int i)
{
    assert_true(i >= 0 && i < rec->nsent);
    ocppj_frame_t frame;
    char id[OCPPJ_MAX_ID + 1], why[160];
    ocppj_error_t rc = ocppj_parse(rec->sent[i], strlen(rec->sent[i]), 0, &frame, id, why, sizeof why);
    if (rc != OCPPJ_OK)
        print_error("frame %d '%s' does not parse: %s\n", i, rec->sent[i], why);
    assert_int_equal(rc, OCPPJ_OK);
    assert_int_equal(frame.type, OCPPJ_CALL);
    assert_true(frame.id[0] != '\0');
    return frame;
}

//  Asserts that the last frame sent is a CALL of action; copies its id.
static void
expect_last_call(const rec_t *rec, const char *action, char id[OCPPJ_MAX_ID + 1])
{
    assert_true(rec->nsent > 0);
    ocppj_frame_t frame = sent_frame(rec, rec->nsent - 1);
    assert_string_equal(frame.action, action);
    if (id)
        snprintf(id, OCPPJ_MAX_ID + 1, "%s", frame.id);
    ocppj_frame_clear(&frame);
}

//  Feeds a CALLRESULT whose payload is the JSON text.
static int
result(fixture_t *f, int64_t now, const char *id, const char *json)
{
    json_error_t jerr;
    json_t *payload = json_loads(json, 0, &jerr);
    assert_non_null(payload);
    int rc = ocpp_core_on_result(f->core, now, id, payload, NULL, NULL);
    json_decref(payload);
    return rc;
}

//  Connects at now and answers the BootNotification with Accepted and
//  the interval, at the same instant.
static void
register_accepted(fixture_t *f, int64_t now, int interval)
{
    ocpp_core_connected(f->core, now);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "BootNotification", id);
    char json[160];
    snprintf(json, sizeof json,
             "{\"status\":\"Accepted\",\"currentTime\":\"2026-11-26T10:00:00.000Z\",\"interval\":%d}",
             interval);
    assert_int_equal(result(f, now, id, json), 0);
    assert_int_equal(ocpp_core_registration(f->core), OCPP_REG_ACCEPTED);
}

static int
submit(fixture_t *f, int64_t now, const char *requester, uint64_t corr, const char *action,
       const char *payload)
{
    char reason[160] = "";
    int rc = ocpp_core_submit(f->core, now, requester, corr, action, payload, reason, sizeof reason);
    if (rc == 0)
        assert_string_equal(reason, "");
    else
        assert_true(reason[0] != '\0');
    return rc;
}

/* -------------------------------------------------------- registration */

static void
test_boot_is_first_frame(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(ocpp_core_registration(f->core), OCPP_REG_NONE);
    ocpp_core_connected(f->core, 1000);
    assert_int_equal(ocpp_core_connection(f->core), OCPP_CONN_CONNECTED);
    assert_int_equal(f->rec.nsent, 1);

    ocppj_frame_t frame = sent_frame(&f->rec, 0);
    assert_string_equal(frame.action, "BootNotification");
    assert_string_equal(json_string_value(json_object_get(frame.payload, "chargePointVendor")), "Acme");
    assert_string_equal(json_string_value(json_object_get(frame.payload, "chargePointModel")), "Volt-22");
    assert_string_equal(json_string_value(json_object_get(frame.payload, "chargePointSerialNumber")),
                        "SN-0001");
    assert_string_equal(json_string_value(json_object_get(frame.payload, "firmwareVersion")), "1.2.3");
    assert_string_equal(ocpp_core_inflight_action(f->core, frame.id), "BootNotification");
    //  in flight: the next deadline is its response timeout
    assert_int_equal(ocpp_core_next_deadline(f->core), 1000 + CALL_TIMEOUT_MS);
    ocppj_frame_clear(&frame);
    assert_int_equal(f->rec.ndone, 0);
}

//  The shell learns its prefix (a durable counter) after creating the core,
//  but before the link is up: the first CALL already carries it.
static void
test_id_prefix_set_later(void **state)
{
    fixture_t *f = *state;
    ocpp_core_set_id_prefix(f->core, "2a");
    ocpp_core_connected(f->core, 1000);
    assert_int_equal(f->rec.nsent, 1);
    ocppj_frame_t frame = sent_frame(&f->rec, 0);
    assert_string_equal(frame.action, "BootNotification");
    assert_true(strncmp(frame.id, "2a-", 3) == 0);
    ocppj_frame_clear(&frame);
}

static void
test_boot_accepted_then_heartbeat(void **state)
{
    fixture_t *f = *state;
    ocpp_core_connected(f->core, 0);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "BootNotification", id);
    int changed = f->rec.changed;

    assert_int_equal(result(f, 2000, id,
                            "{\"status\":\"Accepted\",\"currentTime\":\"2026-11-26T10:00:00.000Z\","
                            "\"interval\":60}"), 0);
    assert_int_equal(ocpp_core_registration(f->core), OCPP_REG_ACCEPTED);
    assert_true(f->rec.changed > changed);
    assert_int_equal(f->rec.wall_calls, 1);
    assert_int_equal(f->rec.wall_ms, WALL_2026_11_26_10_00);
    assert_int_equal(f->rec.interval_calls, 1);
    assert_int_equal(f->rec.interval_s, 60);
    assert_int_equal(ocpp_core_heartbeat_interval(f->core), 60);
    assert_int_equal(ocpp_core_boot_count(f->core), 1);
    assert_null(ocpp_core_inflight_action(f->core, id));
    assert_int_equal(f->rec.nsent, 1);

    //  heartbeat at accepted + 60 s, not a millisecond earlier
    assert_int_equal(ocpp_core_next_deadline(f->core), 2000 + 60000);
    ocpp_core_tick(f->core, 2000 + 59999);
    assert_int_equal(f->rec.nsent, 1);
    ocpp_core_tick(f->core, 2000 + 60000);
    assert_int_equal(f->rec.nsent, 2);
    char hb[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "Heartbeat", hb);
    ocppj_frame_t frame = sent_frame(&f->rec, 1);
    assert_int_equal(json_object_size(frame.payload), 0);
    ocppj_frame_clear(&frame);
    assert_string_not_equal(hb, id);

    //  its answer carries the time; the next one is an interval later
    assert_int_equal(result(f, 62500, hb, "{\"currentTime\":\"2026-11-26T10:01:00Z\"}"), 0);
    assert_int_equal(f->rec.wall_calls, 2);
    assert_int_equal(f->rec.wall_ms, WALL_2026_11_26_10_00 + 60000);
    assert_int_equal(ocpp_core_next_deadline(f->core), 62500 + 60000);
    ocpp_core_tick(f->core, 62500 + 59999);
    assert_int_equal(f->rec.nsent, 2);
    ocpp_core_tick(f->core, 62500 + 60000);
    expect_last_call(&f->rec, "Heartbeat", NULL);
    assert_int_equal(f->rec.nsent, 3);
    assert_int_equal(f->rec.ndone, 0);     //  internal calls complete nobody
}

//  Pending and Rejected: the interval is the wait before the next
//  BootNotification, and nothing else may be sent meanwhile.
static void
s_check_not_accepted(fixture_t *f, const char *status, ocpp_reg_t reg, int interval)
{
    ocpp_core_connected(f->core, 0);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "BootNotification", id);
    char json[160];
    snprintf(json, sizeof json,
             "{\"status\":\"%s\",\"currentTime\":\"2026-11-26T10:00:00.000Z\",\"interval\":%d}", status,
             interval);
    assert_int_equal(result(f, 100, id, json), 0);
    assert_int_equal(ocpp_core_registration(f->core), reg);
    assert_int_equal(f->rec.interval_calls, 0);   //  not a heartbeat interval
    assert_int_equal(ocpp_core_boot_count(f->core), 0);

    //  an actor's CALL is refused, with a reason, and nothing goes out
    char reason[160] = "";
    assert_int_equal(ocpp_core_submit(f->core, 200, "tx", 7, "StatusNotification",
                                      "{\"connectorId\":0}", reason, sizeof reason), -1);
    assert_non_null(strstr(reason, status));
    assert_int_equal(f->rec.nsent, 1);
    assert_int_equal(f->rec.ndone, 0);

    int64_t due = 100 + (int64_t) interval * 1000;
    assert_int_equal(ocpp_core_next_deadline(f->core), due);
    ocpp_core_tick(f->core, due - 1);
    assert_int_equal(f->rec.nsent, 1);
    ocpp_core_tick(f->core, due);
    assert_int_equal(f->rec.nsent, 2);
    char id2[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "BootNotification", id2);
    assert_string_not_equal(id, id2);
    //  still refused while the retry is in flight
    assert_int_equal(submit(f, due + 1, "tx", 8, "StatusNotification", "{}"), -1);
    assert_int_equal(f->rec.nsent, 2);

    //  and once Accepted, CALLs are allowed
    assert_int_equal(result(f, due + 10, id2, "{\"status\":\"Accepted\","
                            "\"currentTime\":\"2026-11-26T10:00:00Z\",\"interval\":60}"), 0);
    assert_int_equal(ocpp_core_registration(f->core), OCPP_REG_ACCEPTED);
    assert_int_equal(submit(f, due + 20, "tx", 9, "StatusNotification", "{}"), 0);
    expect_last_call(&f->rec, "StatusNotification", NULL);
}

static void
test_boot_pending_retried_after_interval(void **state)
{
    s_check_not_accepted(*state, "Pending", OCPP_REG_PENDING, 5);
}

static void
test_boot_rejected_retried_after_interval(void **state)
{
    s_check_not_accepted(*state, "Rejected", OCPP_REG_REJECTED, 7);
}

static void
test_boot_pending_interval_zero_uses_retry(void **state)
{
    fixture_t *f = *state;
    ocpp_core_connected(f->core, 0);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "BootNotification", id);
    assert_int_equal(result(f, 0, id, "{\"status\":\"Pending\","
                            "\"currentTime\":\"2026-11-26T10:00:00Z\",\"interval\":0}"), 0);
    assert_int_equal(ocpp_core_next_deadline(f->core), BOOT_RETRY_S * 1000);
    ocpp_core_tick(f->core, BOOT_RETRY_S * 1000 - 1);
    assert_int_equal(f->rec.nsent, 1);
    ocpp_core_tick(f->core, BOOT_RETRY_S * 1000);
    expect_last_call(&f->rec, "BootNotification", NULL);
    assert_int_equal(f->rec.nsent, 2);
}

static void
test_boot_callerror_retried(void **state)
{
    fixture_t *f = *state;
    ocpp_core_connected(f->core, 0);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "BootNotification", id);
    assert_int_equal(ocpp_core_on_result(f->core, 500, id, NULL, "InternalError", "try later"), 0);
    assert_int_equal(ocpp_core_registration(f->core), OCPP_REG_NONE);
    assert_null(ocpp_core_inflight_action(f->core, id));
    assert_int_equal(submit(f, 600, "tx", 1, "StatusNotification", "{}"), -1);

    int64_t due = 500 + BOOT_RETRY_S * 1000;
    assert_int_equal(ocpp_core_next_deadline(f->core), due);
    ocpp_core_tick(f->core, due - 1);
    assert_int_equal(f->rec.nsent, 1);
    ocpp_core_tick(f->core, due);
    assert_int_equal(f->rec.nsent, 2);
    expect_last_call(&f->rec, "BootNotification", NULL);
    assert_int_equal(f->rec.ndone, 0);
}

static void
test_boot_timeout_retried(void **state)
{
    fixture_t *f = *state;
    ocpp_core_connected(f->core, 0);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "BootNotification", id);

    ocpp_core_tick(f->core, CALL_TIMEOUT_MS - 1);
    assert_string_equal(ocpp_core_inflight_action(f->core, id), "BootNotification");
    ocpp_core_tick(f->core, CALL_TIMEOUT_MS);
    assert_null(ocpp_core_inflight_action(f->core, id));
    assert_int_equal(f->rec.nsent, 1);     //  not re-sent at once

    int64_t due = CALL_TIMEOUT_MS + BOOT_RETRY_S * 1000;
    assert_int_equal(ocpp_core_next_deadline(f->core), due);
    ocpp_core_tick(f->core, due - 1);
    assert_int_equal(f->rec.nsent, 1);
    ocpp_core_tick(f->core, due);
    assert_int_equal(f->rec.nsent, 2);
    char id2[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "BootNotification", id2);
    assert_string_not_equal(id, id2);

    //  the late answer to the first one is ignored
    assert_int_equal(result(f, due + 1, id, "{\"status\":\"Accepted\","
                            "\"currentTime\":\"2026-11-26T10:00:00Z\",\"interval\":60}"), -1);
    assert_int_equal(ocpp_core_registration(f->core), OCPP_REG_NONE);
    assert_int_equal(f->rec.wall_calls, 0);
    assert_string_equal(ocpp_core_inflight_action(f->core, id2), "BootNotification");
}

static void
test_boot_in_flight_at_disconnect_resent_on_reconnect(void **state)
{
    fixture_t *f = *state;
    ocpp_core_connected(f->core, 0);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "BootNotification", id);
    ocpp_core_disconnected(f->core, 100, "peer closed");
    assert_int_equal(f->rec.ndone, 0);
    assert_null(ocpp_core_inflight_action(f->core, id));
    ocpp_core_connected(f->core, 200);
    assert_int_equal(f->rec.nsent, 2);
    expect_last_call(&f->rec, "BootNotification", NULL);
}

static void
test_pending_keeps_retry_time_across_reconnect(void **state)
{
    fixture_t *f = *state;
    ocpp_core_connected(f->core, 0);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "BootNotification", id);
    assert_int_equal(result(f, 0, id, "{\"status\":\"Pending\","
                            "\"currentTime\":\"2026-11-26T10:00:00Z\",\"interval\":20}"), 0);
    ocpp_core_disconnected(f->core, 1000, "peer closed");
    ocpp_core_connected(f->core, 2000);
    assert_int_equal(f->rec.nsent, 1);     //  the interval is a minimum
    ocpp_core_tick(f->core, 19999);
    assert_int_equal(f->rec.nsent, 1);
    ocpp_core_tick(f->core, 20000);
    expect_last_call(&f->rec, "BootNotification", NULL);
}

//  Spec 4.2: while Pending the charge point sends nothing unless a
//  TriggerMessage asked for it — then exactly what was asked, no more.
static void
test_pending_sends_only_what_was_triggered(void **state)
{
    fixture_t *f = *state;
    ocpp_core_connected(f->core, 0);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "BootNotification", id);
    assert_int_equal(result(f, 0, id, "{\"status\":\"Pending\","
                            "\"currentTime\":\"2026-11-26T10:00:00Z\",\"interval\":300}"), 0);
    assert_int_equal(submit(f, 10, "tx", 1, "StatusNotification", "{\"connectorId\":1}"), -1);
    //  TriggerMessage StatusNotification for two connectors
    ocpp_core_allow_triggered(f->core, 20, "StatusNotification", 2);
    assert_int_equal(submit(f, 30, "tx", 2, "StatusNotification", "{\"connectorId\":1}"), 0);
    expect_last_call(&f->rec, "StatusNotification", id);
    assert_int_equal(submit(f, 40, "tx", 3, "StatusNotification", "{\"connectorId\":2}"), 0);
    assert_int_equal(f->rec.nsent, 2);                     //  one in flight at a time
    assert_int_equal(result(f, 50, id, "{}"), 0);
    expect_last_call(&f->rec, "StatusNotification", id);
    assert_int_equal(f->rec.nsent, 3);
    //  the third is not allowed, nor another action
    assert_int_equal(submit(f, 60, "tx", 4, "StatusNotification", "{\"connectorId\":0}"), -1);
    assert_int_equal(submit(f, 60, "metering", 5, "MeterValues", "{}"), -1);
    assert_int_equal(result(f, 70, id, "{}"), 0);
    assert_int_equal(f->rec.nsent, 3);
    assert_int_equal(ocpp_core_registration(f->core), OCPP_REG_PENDING);

    //  an allowance expires: a message triggered long ago does not go
    ocpp_core_allow_triggered(f->core, 1000, "MeterValues", 1);
    assert_int_equal(submit(f, 1000 + 60000, "metering", 6, "MeterValues", "{}"), -1);

    //  a triggered Heartbeat goes out while Pending, once
    ocpp_core_trigger_heartbeat(f->core, 2000);
    expect_last_call(&f->rec, "Heartbeat", id);
    assert_int_equal(f->rec.nsent, 4);
    assert_int_equal(result(f, 2100, id, "{\"currentTime\":\"2026-11-26T10:00:00Z\"}"), 0);
    ocpp_core_tick(f->core, 3000);
    assert_int_equal(f->rec.nsent, 4);
    assert_int_equal(ocpp_core_registration(f->core), OCPP_REG_PENDING);
}

//  A CALLRESULT after the CALL timed out is still the central system's
//  answer: handed to the requester once (its action known), an unknown id
//  or a second copy is not.
static void
test_late_result_handed_over(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 300);
    assert_int_equal(submit(f, 10, "transaction", 5, "StartTransaction", "{\"connectorId\":1}"), 0);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "StartTransaction", id);
    ocpp_core_tick(f->core, 10 + CALL_TIMEOUT_MS);
    assert_string_equal(f->rec.done[f->rec.ndone - 1].outcome, "timeout");
    assert_null(ocpp_core_inflight_action(f->core, id));
    assert_string_equal(ocpp_core_late_action(f->core, id), "StartTransaction");
    json_t *conf = json_loads("{\"transactionId\":7,\"idTagInfo\":{\"status\":\"Accepted\"}}", 0, NULL);
    assert_int_equal(ocpp_core_on_late_result(f->core, id, conf), 0);
    assert_int_equal(f->rec.late_calls, 1);
    assert_string_equal(f->rec.late_requester, "transaction");
    assert_string_equal(f->rec.late_action, "StartTransaction");
    assert_non_null(strstr(f->rec.late_result, "\"transactionId\":7"));
    assert_int_equal(ocpp_core_on_late_result(f->core, id, conf), -1);      //  once
    assert_null(ocpp_core_late_action(f->core, id));
    assert_int_equal(ocpp_core_on_late_result(f->core, "nope", conf), -1);
    json_decref(conf);
    assert_int_equal(f->rec.late_calls, 1);
}

/* ------------------------------------------------------- outbound CALLs */

static void
test_refused_before_connection(void **state)
{
    fixture_t *f = *state;
    char reason[160] = "";
    assert_int_equal(ocpp_core_submit(f->core, 0, "tx", 1, "Heartbeat", "{}", reason, sizeof reason), -1);
    assert_true(reason[0] != '\0');
    assert_int_equal(f->rec.nsent, 0);
    assert_int_equal(ocpp_core_next_deadline(f->core), INT64_MAX);
}

static void
test_calls_one_at_a_time_in_order(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 60);
    assert_int_equal(f->rec.nsent, 1);

    assert_int_equal(submit(f, 10, "tx", 101, "StatusNotification", "{\"connectorId\":1}"), 0);
    assert_int_equal(submit(f, 11, "auth", 102, "Authorize", "{\"idTag\":\"ABC\"}"), 0);
    assert_int_equal(submit(f, 12, "tx", 103, "DataTransfer", "{\"vendorId\":\"acme\"}"), 0);
    //  only the first is on the wire
    assert_int_equal(f->rec.nsent, 2);
    ocppj_frame_t a = sent_frame(&f->rec, 1);
    assert_string_equal(a.action, "StatusNotification");
    assert_int_equal(json_integer_value(json_object_get(a.payload, "connectorId")), 1);
    assert_int_equal(ocpp_core_next_deadline(f->core), 10 + CALL_TIMEOUT_MS);

    //  nothing moves before its answer, even after time passes
    ocpp_core_tick(f->core, 5000);
    assert_int_equal(f->rec.nsent, 2);

    assert_int_equal(result(f, 5000, a.id, "{}"), 0);
    assert_int_equal(f->rec.ndone, 1);
    assert_string_equal(f->rec.done[0].requester, "tx");
    assert_int_equal(f->rec.done[0].corr, 101);
    assert_string_equal(f->rec.done[0].outcome, "result");
    assert_string_equal(f->rec.done[0].payload, "{}");
    assert_int_equal(f->rec.nsent, 3);
    ocppj_frame_t b = sent_frame(&f->rec, 2);
    assert_string_equal(b.action, "Authorize");
    assert_string_equal(json_string_value(json_object_get(b.payload, "idTag")), "ABC");
    assert_string_not_equal(a.id, b.id);
    assert_null(ocpp_core_inflight_action(f->core, a.id));
    assert_string_equal(ocpp_core_inflight_action(f->core, b.id), "Authorize");

    assert_int_equal(result(f, 6000, b.id, "{\"idTagInfo\":{\"status\":\"Accepted\"}}"), 0);
    assert_int_equal(f->rec.ndone, 2);
    assert_string_equal(f->rec.done[1].requester, "auth");
    assert_int_equal(f->rec.done[1].corr, 102);
    assert_string_equal(f->rec.done[1].outcome, "result");
    json_error_t jerr;
    json_t *got = json_loads(f->rec.done[1].payload, 0, &jerr);
    assert_non_null(got);
    assert_string_equal(json_string_value(json_object_get(json_object_get(got, "idTagInfo"), "status")),
                        "Accepted");
    json_decref(got);
    assert_int_equal(f->rec.nsent, 4);
    ocppj_frame_t c = sent_frame(&f->rec, 3);
    assert_string_equal(c.action, "DataTransfer");

    assert_int_equal(result(f, 7000, c.id, "{\"status\":\"Accepted\"}"), 0);
    assert_int_equal(f->rec.ndone, 3);
    assert_int_equal(f->rec.done[2].corr, 103);
    assert_int_equal(f->rec.nsent, 4);     //  queue empty: nothing more
    assert_int_equal(ocpp_core_next_deadline(f->core), 60000);   //  next heartbeat
    ocppj_frame_clear(&a);
    ocppj_frame_clear(&b);
    ocppj_frame_clear(&c);
}

static void
test_callerror_completes_with_error(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 60);
    assert_int_equal(submit(f, 10, "fw", 5, "DataTransfer", "{\"vendorId\":\"x\"}"), 0);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "DataTransfer", id);
    assert_int_equal(ocpp_core_on_result(f->core, 20, id, NULL, "NotSupported", "no such thing"), 0);
    assert_int_equal(f->rec.ndone, 1);
    assert_string_equal(f->rec.done[0].requester, "fw");
    assert_int_equal(f->rec.done[0].corr, 5);
    assert_string_equal(f->rec.done[0].outcome, "error");
    assert_null(f->rec.done[0].payload);
    assert_string_equal(f->rec.done[0].error_code, "NotSupported");
    assert_string_equal(f->rec.done[0].error_description, "no such thing");
    assert_null(ocpp_core_inflight_action(f->core, id));
    //  the next one goes straight out
    assert_int_equal(submit(f, 30, "fw", 6, "DataTransfer", "{\"vendorId\":\"x\"}"), 0);
    assert_int_equal(f->rec.nsent, 3);
}

static void
test_timeout_completes_and_next_goes_out(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 600);
    assert_int_equal(submit(f, 1000, "tx", 1, "StatusNotification", "{}"), 0);
    assert_int_equal(submit(f, 1001, "tx", 2, "Authorize", "{\"idTag\":\"A\"}"), 0);
    char a[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "StatusNotification", a);
    assert_int_equal(ocpp_core_next_deadline(f->core), 1000 + CALL_TIMEOUT_MS);

    ocpp_core_tick(f->core, 1000 + CALL_TIMEOUT_MS - 1);
    assert_int_equal(f->rec.ndone, 0);
    assert_int_equal(f->rec.nsent, 2);

    ocpp_core_tick(f->core, 1000 + CALL_TIMEOUT_MS);
    assert_int_equal(f->rec.ndone, 1);
    assert_string_equal(f->rec.done[0].outcome, "timeout");
    assert_int_equal(f->rec.done[0].corr, 1);
    assert_null(f->rec.done[0].payload);
    assert_int_equal(f->rec.nsent, 3);
    char b[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "Authorize", b);
    assert_int_equal(ocpp_core_next_deadline(f->core), 1000 + 2 * CALL_TIMEOUT_MS);

    //  a late answer to the first is not taken for the second
    assert_int_equal(result(f, 12000, a, "{}"), -1);
    assert_int_equal(f->rec.ndone, 1);
    assert_string_equal(ocpp_core_inflight_action(f->core, b), "Authorize");
}

static void
test_unknown_id_ignored(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 60);
    assert_int_equal(submit(f, 10, "tx", 1, "StatusNotification", "{}"), 0);
    assert_int_equal(submit(f, 11, "tx", 2, "StatusNotification", "{}"), 0);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "StatusNotification", id);
    int changed = f->rec.changed;

    assert_int_equal(result(f, 20, "no-such-id", "{}"), -1);
    assert_int_equal(ocpp_core_on_result(f->core, 20, "other", NULL, "InternalError", "x"), -1);
    assert_int_equal(ocpp_core_on_result(f->core, 20, NULL, NULL, "InternalError", "x"), -1);
    assert_int_equal(f->rec.ndone, 0);
    assert_int_equal(f->rec.nsent, 2);
    assert_int_equal(f->rec.changed, changed);
    assert_string_equal(ocpp_core_inflight_action(f->core, id), "StatusNotification");
    assert_int_equal(ocpp_core_next_deadline(f->core), 10 + CALL_TIMEOUT_MS);
    assert_null(ocpp_core_inflight_action(f->core, "no-such-id"));

    //  the real answer still works
    assert_int_equal(result(f, 30, id, "{}"), 0);
    assert_int_equal(f->rec.ndone, 1);
    assert_int_equal(f->rec.nsent, 3);
}

static void
test_disconnect_fails_inflight_and_queue(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 60);
    assert_int_equal(submit(f, 10, "tx", 1, "StatusNotification", "{}"), 0);
    assert_int_equal(submit(f, 11, "auth", 2, "Authorize", "{\"idTag\":\"A\"}"), 0);
    assert_int_equal(submit(f, 12, "tx", 3, "StatusNotification", "{}"), 0);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "StatusNotification", id);

    ocpp_core_disconnected(f->core, 100, "peer closed");
    assert_int_equal(ocpp_core_connection(f->core), OCPP_CONN_CONNECTING);
    assert_string_equal(ocpp_core_last_error(f->core), "peer closed");
    assert_int_equal(f->rec.ndone, 3);
    assert_int_equal(f->rec.done[0].corr, 1);
    assert_string_equal(f->rec.done[0].outcome, "timeout");
    assert_string_equal(f->rec.done[1].requester, "auth");
    assert_int_equal(f->rec.done[1].corr, 2);
    assert_string_equal(f->rec.done[1].outcome, "rejected");
    assert_int_equal(f->rec.done[2].corr, 3);
    assert_string_equal(f->rec.done[2].outcome, "rejected");
    assert_null(ocpp_core_inflight_action(f->core, id));
    assert_int_equal(result(f, 110, id, "{}"), -1);
    assert_int_equal(f->rec.ndone, 3);

    //  offline: refused, nothing sent, no deadline
    assert_int_equal(submit(f, 120, "tx", 4, "StatusNotification", "{}"), -1);
    assert_int_equal(ocpp_core_next_deadline(f->core), INT64_MAX);
    ocpp_core_tick(f->core, 10 * 60 * 1000);
    assert_int_equal(f->rec.nsent, 2);
    assert_int_equal(f->rec.ndone, 3);
}

static void
test_connect_failed_rejects_and_shows_error(void **state)
{
    fixture_t *f = *state;
    ocpp_core_connect_failed(f->core, 0, "connection refused");
    assert_int_equal(ocpp_core_connection(f->core), OCPP_CONN_ERROR);
    assert_string_equal(ocpp_core_last_error(f->core), "connection refused");
    //  retrying keeps "error" visible until connected
    ocpp_core_connecting(f->core, 10);
    assert_int_equal(ocpp_core_connection(f->core), OCPP_CONN_ERROR);
    ocpp_core_connected(f->core, 20);
    assert_int_equal(ocpp_core_connection(f->core), OCPP_CONN_CONNECTED);
    assert_string_equal(ocpp_core_last_error(f->core), "");
    expect_last_call(&f->rec, "BootNotification", NULL);
}

static void
test_reconnect_after_accepted_no_boot(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 60);
    ocpp_core_disconnected(f->core, 30000, "network down");
    assert_int_equal(ocpp_core_registration(f->core), OCPP_REG_ACCEPTED);
    ocpp_core_tick(f->core, 90000);        //  offline: no heartbeat
    assert_int_equal(f->rec.nsent, 1);

    ocpp_core_connected(f->core, 100000);
    assert_int_equal(f->rec.nsent, 1);     //  no new BootNotification
    assert_int_equal(ocpp_core_next_deadline(f->core), 160000);
    //  CALLs flow at once
    assert_int_equal(submit(f, 100001, "tx", 1, "StatusNotification", "{}"), 0);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "StatusNotification", id);
    assert_int_equal(result(f, 100002, id, "{}"), 0);
    ocpp_core_tick(f->core, 159999);
    assert_int_equal(f->rec.nsent, 2);
    ocpp_core_tick(f->core, 160000);
    assert_int_equal(f->rec.nsent, 3);
    expect_last_call(&f->rec, "Heartbeat", NULL);
}

static void
test_heartbeat_in_flight_at_disconnect(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 60);
    ocpp_core_tick(f->core, 60000);
    char hb[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "Heartbeat", hb);
    ocpp_core_disconnected(f->core, 60100, "peer closed");
    assert_int_equal(f->rec.ndone, 0);     //  internal: nobody to complete
    ocpp_core_connected(f->core, 70000);
    assert_int_equal(f->rec.nsent, 2);
    assert_int_equal(ocpp_core_next_deadline(f->core), 130000);
    ocpp_core_tick(f->core, 130000);
    expect_last_call(&f->rec, "Heartbeat", NULL);
}

static void
test_heartbeat_timeout_and_error_reschedule(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 60);
    ocpp_core_tick(f->core, 60000);
    char hb[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "Heartbeat", hb);
    ocpp_core_tick(f->core, 60000 + CALL_TIMEOUT_MS);
    assert_int_equal(f->rec.nsent, 2);     //  not re-sent at once
    int64_t due = 60000 + CALL_TIMEOUT_MS + 60000;
    assert_int_equal(ocpp_core_next_deadline(f->core), due);
    ocpp_core_tick(f->core, due);
    expect_last_call(&f->rec, "Heartbeat", hb);
    assert_int_equal(f->rec.nsent, 3);
    assert_int_equal(ocpp_core_on_result(f->core, due + 5, hb, NULL, "InternalError", "x"), 0);
    assert_int_equal(ocpp_core_next_deadline(f->core), due + 5 + 60000);
    assert_int_equal(f->rec.ndone, 0);
    assert_int_equal(f->rec.wall_calls, 1);   //  only the boot's time
}

static void
test_heartbeat_goes_out_between_calls(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 60);
    //  a call in flight across the heartbeat time delays the heartbeat
    //  until its answer; queued calls wait behind the heartbeat
    assert_int_equal(submit(f, 55000, "tx", 1, "StatusNotification", "{}"), 0);
    assert_int_equal(submit(f, 55001, "tx", 2, "StatusNotification", "{}"), 0);
    char a[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "StatusNotification", a);
    ocpp_core_tick(f->core, 60000);
    assert_int_equal(f->rec.nsent, 2);
    assert_int_equal(result(f, 61000, a, "{}"), 0);
    assert_int_equal(f->rec.nsent, 3);
    char hb[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "Heartbeat", hb);
    assert_int_equal(result(f, 61500, hb, "{\"currentTime\":\"2026-11-26T10:01:00Z\"}"), 0);
    assert_int_equal(f->rec.nsent, 4);
    expect_last_call(&f->rec, "StatusNotification", NULL);
    assert_int_equal(f->rec.ndone, 1);
}

static void
test_restore_accepted_skips_boot(void **state)
{
    fixture_t *f = *state;
    ocpp_core_restore(f->core, OCPP_REG_ACCEPTED, 120, 5);
    assert_int_equal(ocpp_core_registration(f->core), OCPP_REG_ACCEPTED);
    assert_int_equal(ocpp_core_heartbeat_interval(f->core), 120);
    assert_int_equal(ocpp_core_boot_count(f->core), 5);
    ocpp_core_connected(f->core, 1000);
    assert_int_equal(f->rec.nsent, 0);
    assert_int_equal(ocpp_core_next_deadline(f->core), 121000);
    assert_int_equal(submit(f, 1001, "tx", 1, "StatusNotification", "{}"), 0);
    assert_int_equal(f->rec.nsent, 1);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "StatusNotification", id);
    assert_int_equal(result(f, 1002, id, "{}"), 0);
    ocpp_core_tick(f->core, 120999);
    assert_int_equal(f->rec.nsent, 1);
    ocpp_core_tick(f->core, 121000);
    expect_last_call(&f->rec, "Heartbeat", NULL);
}

static void
test_restore_pending_sends_boot(void **state)
{
    fixture_t *f = *state;
    ocpp_core_restore(f->core, OCPP_REG_PENDING, 0, 2);
    assert_int_equal(ocpp_core_heartbeat_interval(f->core), 300);   //  0 keeps the default
    ocpp_core_connected(f->core, 0);
    assert_int_equal(f->rec.nsent, 1);
    expect_last_call(&f->rec, "BootNotification", NULL);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
test_unique_ids_never_repeat(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 86400);
    int64_t now = 1;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(submit(f, now, "tx", (uint64_t) i, "DataTransfer", "{\"vendorId\":\"x\"}"), 0);
        char id[OCPPJ_MAX_ID + 1];
        expect_last_call(&f->rec, "DataTransfer", id);
        assert_int_equal(result(f, now + 1, id, "{\"status\":\"Accepted\"}"), 0);
        now += 2;
    }
    assert_int_equal(f->rec.nsent, 1001);
    assert_int_equal(f->rec.ndone, 1000);
    char **ids = calloc((size_t) f->rec.nsent, sizeof(char *));
    assert_non_null(ids);
    for (int i = 0; i < f->rec.nsent; i++) {
        ocppj_frame_t frame = sent_frame(&f->rec, i);
        assert_true(strlen(frame.id) <= OCPPJ_MAX_ID);
        ids[i] = strdup(frame.id);
        ocppj_frame_clear(&frame);
    }
    qsort(ids, (size_t) f->rec.nsent, sizeof(char *), cmp_str);
    for (int i = 1; i < f->rec.nsent; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0) {
            print_error("unique id %s repeated\n", ids[i]);
            fail();
        }
    for (int i = 0; i < f->rec.nsent; i++)
        free(ids[i]);
    free(ids);
    for (int i = 0; i < f->rec.ndone; i++) {
        assert_string_equal(f->rec.done[i].outcome, "result");
        assert_int_equal(f->rec.done[i].corr, (uint64_t) i);
    }
}

static void
test_queue_full_refused(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 86400);
    //  one in flight plus OCPP_QUEUE_MAX waiting
    int accepted = 0;
    char reason[160] = "";
    for (int i = 0; i < OCPP_QUEUE_MAX + 10; i++) {
        reason[0] = '\0';
        if (ocpp_core_submit(f->core, 10, "tx", (uint64_t) i, "StatusNotification", "{}", reason,
                             sizeof reason) != 0)
            break;
        accepted++;
    }
    assert_int_equal(accepted, OCPP_QUEUE_MAX + 1);
    assert_non_null(strstr(reason, "full"));
    assert_int_equal(f->rec.nsent, 2);

    //  one answer frees one slot; the queue stays in order across the ring
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "StatusNotification", id);
    assert_int_equal(result(f, 20, id, "{}"), 0);
    assert_int_equal(submit(f, 21, "tx", 999, "StatusNotification", "{}"), 0);
    assert_int_equal(submit(f, 22, "tx", 1000, "StatusNotification", "{}"), -1);
    int64_t now = 30;
    while (f->rec.ndone < OCPP_QUEUE_MAX + 2) {
        expect_last_call(&f->rec, "StatusNotification", id);
        assert_int_equal(result(f, now++, id, "{}"), 0);
    }
    for (int i = 0; i <= OCPP_QUEUE_MAX; i++)
        assert_int_equal(f->rec.done[i].corr, (uint64_t) i);
    assert_int_equal(f->rec.done[OCPP_QUEUE_MAX + 1].corr, 999);
    //  destroy with a full queue is checked by ASan in teardown
    for (int i = 0; i < OCPP_QUEUE_MAX + 1; i++)
        assert_int_equal(submit(f, now, "tx", 2000 + (uint64_t) i, "StatusNotification", "{}"), 0);
}

static void
test_set_heartbeat_interval_reschedules(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 60);
    int changed = f->rec.changed;
    ocpp_core_set_heartbeat_interval(f->core, 10000, 30);
    assert_int_equal(ocpp_core_heartbeat_interval(f->core), 30);
    assert_true(f->rec.changed > changed);
    assert_int_equal(ocpp_core_next_deadline(f->core), 40000);
    ocpp_core_tick(f->core, 39999);
    assert_int_equal(f->rec.nsent, 1);
    ocpp_core_tick(f->core, 40000);
    char hb[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "Heartbeat", hb);
    assert_int_equal(result(f, 40000, hb, "{\"currentTime\":\"2026-11-26T10:01:00Z\"}"), 0);
    assert_int_equal(ocpp_core_next_deadline(f->core), 70000);

    //  a longer interval pushes the next one out; 0 is ignored
    ocpp_core_set_heartbeat_interval(f->core, 50000, 600);
    assert_int_equal(ocpp_core_next_deadline(f->core), 650000);
    ocpp_core_tick(f->core, 70000);
    assert_int_equal(f->rec.nsent, 2);
    ocpp_core_set_heartbeat_interval(f->core, 60000, 0);
    assert_int_equal(ocpp_core_heartbeat_interval(f->core), 600);
    assert_int_equal(ocpp_core_next_deadline(f->core), 650000);
}

static void
test_send_failure_waits_for_deadline(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 600);
    f->rec.send_rc = -1;
    assert_int_equal(submit(f, 100, "tx", 1, "StatusNotification", "{}"), 0);
    assert_int_equal(f->rec.ndone, 0);
    ocpp_core_tick(f->core, 100 + CALL_TIMEOUT_MS);
    assert_int_equal(f->rec.ndone, 1);
    assert_string_equal(f->rec.done[0].outcome, "timeout");
}

static void
test_invalid_payload_rejected(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 600);
    assert_int_equal(submit(f, 100, "tx", 1, "DataTransfer", "{not json"), 0);
    assert_int_equal(f->rec.nsent, 1);
    assert_int_equal(f->rec.ndone, 1);
    assert_string_equal(f->rec.done[0].outcome, "rejected");
    //  and the core is not stuck
    assert_int_equal(submit(f, 101, "tx", 2, "StatusNotification", "{}"), 0);
    expect_last_call(&f->rec, "StatusNotification", NULL);
}

//  A queued call that cannot be encoded is rejected and the one behind
//  it goes out at once, not at the next heartbeat.
static void
test_invalid_payload_does_not_stall_queue(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 600);
    assert_int_equal(submit(f, 100, "tx", 1, "StatusNotification", "{}"), 0);
    assert_int_equal(submit(f, 101, "tx", 2, "DataTransfer", "[1,"), 0);
    assert_int_equal(submit(f, 102, "tx", 3, "Authorize", "{\"idTag\":\"A\"}"), 0);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "StatusNotification", id);
    assert_int_equal(result(f, 200, id, "{}"), 0);
    assert_int_equal(f->rec.ndone, 2);
    assert_int_equal(f->rec.done[1].corr, 2);
    assert_string_equal(f->rec.done[1].outcome, "rejected");
    assert_int_equal(f->rec.nsent, 3);
    expect_last_call(&f->rec, "Authorize", id);
    assert_int_equal(ocpp_core_next_deadline(f->core), 200 + CALL_TIMEOUT_MS);
}


//  A restarted transaction actor resends its outbox head: the core follows
//  the CALL already in flight (answer to the new request), never sends it twice.
static void
test_transaction_resend_deduplicated(void **state)
{
    fixture_t *f = *state;
    register_accepted(f, 0, 600);
    const char *start = "{\"connectorId\":1,\"idTag\":\"A\",\"meterStart\":0,\"timestamp\":\"2026-11-26T10:00:00Z\"}";
    assert_int_equal(submit(f, 10, "transaction", 1, "StartTransaction", start), 0);
    int sent = f->rec.nsent;
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "StartTransaction", id);
    assert_int_equal(submit(f, 20, "transaction", 2, "StartTransaction", start), 0);
    assert_int_equal(f->rec.nsent, sent);                  //  not sent again
    assert_int_equal(result(f, 30, id, "{\"transactionId\":7,\"idTagInfo\":{\"status\":\"Accepted\"}}"), 0);
    assert_int_equal(f->rec.ndone, 1);
    assert_int_equal(f->rec.done[0].corr, 2);             //  the new incarnation gets the answer
}

//  An interval beyond a day is clamped, never wrapped into a negative one.
static void
test_huge_interval_clamped(void **state)
{
    fixture_t *f = *state;
    ocpp_core_connected(f->core, 0);
    char id[OCPPJ_MAX_ID + 1];
    expect_last_call(&f->rec, "BootNotification", id);
    assert_int_equal(result(f, 0, id, "{\"status\":\"Accepted\",\"currentTime\":\"2026-11-26T10:00:00Z\","
                                      "\"interval\":2147483648}"), 0);
    assert_int_equal(ocpp_core_heartbeat_interval(f->core), 86400);
    int sent = f->rec.nsent;
    ocpp_core_tick(f->core, 1000);
    assert_int_equal(f->rec.nsent, sent);                 //  no Heartbeat flood
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_boot_is_first_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_id_prefix_set_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transaction_resend_deduplicated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_interval_clamped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_accepted_then_heartbeat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_pending_retried_after_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_rejected_retried_after_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_pending_interval_zero_uses_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_callerror_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_timeout_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_in_flight_at_disconnect_resent_on_reconnect, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pending_keeps_retry_time_across_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_sends_only_what_was_triggered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_result_handed_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_before_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calls_one_at_a_time_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callerror_completes_with_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_completes_and_next_goes_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_id_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_fails_inflight_and_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_failed_rejects_and_shows_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_after_accepted_no_boot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat_in_flight_at_disconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat_timeout_and_error_reschedule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat_goes_out_between_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_accepted_skips_boot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_pending_sends_boot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unique_ids_never_repeat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_full_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_heartbeat_interval_reschedules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_failure_waits_for_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_payload_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_payload_does_not_stall_queue, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
