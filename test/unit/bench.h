/* bench.h — what the actor-level unit tests share: a bounded receive on a
 * test peer's bus socket and a throw-away state directory.
 *
 * Why it exists: test_auth_actor, test_config_ops, test_hw_actor,
 * test_metering_actor and test_safety_actor each run one real actor
 * against a broker and test peers; these helpers were written five times. Header-only (static
 * functions), included after <cmocka.h> by the tests that need it.
 */
#ifndef CP_TEST_UNIT_BENCH_H
#define CP_TEST_UNIT_BENCH_H

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "actors/config/config_store.h"
#include "bench/bench.h"
#include "supervisor/bus.h"
#include "supervisor/store.h"

//  Every actor's shell asks "ocpp" for the wall-clock offset (scope
//  "clock", shell.h). A test peer playing ocpp has none to give: it
//  answers that request with a bare final reply, and the test never sees
//  it. True when msg was that request (answered).
static inline bool
bench_answer_clock(cp_bus_t *bus, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    if (env->kind != CP_BUS_REQUEST || msg->type != CP_MSG_SNAPSHOT_REQUEST
    ||  strcmp(msg->u.snapshot_request.scope, "clock") != 0)
        return false;
    cp_msg_t *reply = cp_msg_new(CP_MSG_REPLY);
    assert_non_null(reply);
    reply->u.reply.ok = true;
    assert_int_equal(cp_bus_reply(bus, env, reply, true), 0);
    cp_msg_destroy(&reply);
    return true;
}

//  The next message on `which` (one of bus's sockets) within timeout_ms;
//  NULL on timeout (env->kind 0). Clock snapshot requests are answered
//  and skipped (bench_answer_clock).
static inline cp_msg_t *
bench_recv(cp_bus_t *bus, zsock_t *which, cp_bus_envelope_t *env, int timeout_ms)
{
    int64_t deadline = zclock_mono() + timeout_ms;
    zpoller_t *poller = zpoller_new(which, NULL);
    assert_non_null(poller);
    cp_msg_t *msg = NULL;
    while (true) {
        memset(env, 0, sizeof(*env));
        int64_t left = deadline - zclock_mono();
        if (!zpoller_wait(poller, (int) (left > 0 ? left : 0)))
            break;
        //  NULL here is a message of its own (an unreachable notice: see
        //  env->kind), returned as it is.
        msg = cp_bus_recv(bus, which, env, NULL);
        if (!msg || !bench_answer_clock(bus, env, msg))
            break;
        cp_msg_destroy(&msg);
    }
    zpoller_destroy(&poller);
    return msg;
}

//  A fresh state directory in dir (>= 64 bytes), as the benchmarks make
//  theirs (bench/bench.h); the test fails when it cannot be made.
static inline void
bench_state_dir(char *dir, size_t size, const char *name)
{
    assert_true(size >= 64);
    assert_int_equal(bench_dir_new(dir, size, name), 0);
}

//  Run command with sh in dir, its output discarded; the test fails if it
//  fails (the certificate tests make their keys with openssl this way).
static inline void
bench_sh(const char *dir, const char *command)
{
#define BENCH_SH_FORMAT "cd %s && { %s ; } >/dev/null 2>&1"
    size_t size = sizeof(BENCH_SH_FORMAT) + strlen(dir) + strlen(command);
    char *cmd = malloc(size);
    assert_non_null(cmd);
    snprintf(cmd, size, BENCH_SH_FORMAT, dir, command);
#undef BENCH_SH_FORMAT
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

//  The whole of dir/name, NUL-terminated, malloc'd (free() it); the test
//  fails when it cannot be read.
static inline char *
bench_read_file(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t len = 0, capacity = 4096;
    char *text = malloc(capacity);
    assert_non_null(text);
    size_t n;
    while ((n = fread(text + len, 1, capacity - len - 1, f)) > 0) {
        len += n;
        if (capacity - len - 1 == 0) {
            capacity *= 2;
            text = realloc(text, capacity);
            assert_non_null(text);
        }
    }
    fclose(f);
    text[len] = '\0';
    return text;
}

//  Remove a state directory made by bench_state_dir, with what is in it.
static inline void
bench_state_dir_remove(const char *dir)
{
    assert_int_equal(bench_dir_remove(dir), 0);
}

//  What chargepointd's main does before any actor starts: seed the
//  configuration store of options->state_dir (actors only read it).
static inline void
bench_seed_config(const cp_options_t *options)
{
    char err[256];
    sqlite3 *db = cp_store_open(options->state_dir, err, sizeof(err));
    assert_non_null(db);
    assert_int_equal(config_store_seed(db, options), CONFIG_STORE_OK);
    cp_store_close(&db);
}
#endif
