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
#include "supervisor/bus.h"
#include "supervisor/store.h"

//  The next message on `which` (one of bus's sockets) within timeout_ms;
//  NULL on timeout (env->kind 0).
static inline cp_msg_t *
bench_recv(cp_bus_t *bus, zsock_t *which, cp_bus_envelope_t *env, int timeout_ms)
{
    memset(env, 0, sizeof(*env));
    zpoller_t *poller = zpoller_new(which, NULL);
    assert_non_null(poller);
    void *ready = zpoller_wait(poller, timeout_ms);
    zpoller_destroy(&poller);
    return ready ? cp_bus_recv(bus, which, env, NULL) : NULL;
}

//  A fresh /tmp/test-NAME-XXXXXX state directory in dir (>= 64 bytes).
static inline void
bench_state_dir(char *dir, size_t size, const char *name)
{
    assert_true(size >= 64);
    snprintf(dir, size, "/tmp/test-%.20s-XXXXXX", name);
    assert_non_null(mkdtemp(dir));
}

//  Remove a state directory made by bench_state_dir, with what is in it.
static inline void
bench_state_dir_remove(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
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
