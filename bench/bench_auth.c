/* bench_auth.c — local authorization decision time with a 10 000-entry
 * Local Authorization List (issue: "under 1 ms end to end inside the
 * controller"). Prints Markdown table rows; `make bench` collects them.
 *
 * Three measures, each over 10 000 lookups of random listed tags:
 *   - list hit: local_list_find + auth_rules_decide (what the actor does);
 *   - cache hit: a full 1 000-entry cache, list miss then cache hit;
 *   - end to end: auth_request → auth_result through the real auth actor
 *     on an inproc bus (broker, shell, msgpack both ways), offline, list hit.
 */
#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "actors/auth/auth_actor.h"
#include "actors/auth/auth_cache.h"
#include "actors/auth/auth_rules.h"
#include "actors/auth/local_list.h"
#include "actors/config/config_store.h"
#include "supervisor/bus.h"
#include "supervisor/clock.h"
#include "supervisor/log.h"
#include "supervisor/shell.h"
#include "supervisor/store.h"
#include "bench/bench.h"

#define LIST_SIZE 10000
#define CACHE_SIZE 1000
#define LOOKUPS 10000
#define NOW 1800000000000LL

static void
s_actor_shim(zsock_t *pipe, void *args)
{
    zsock_signal(pipe, 0);
    auth_actor(pipe, args);
}

int
main(void)
{
    cp_log_set_level(CP_LOG_WARN);
    char dir[64];
    if (bench_dir_new(dir, sizeof(dir), "auth") != 0)
        return 1;
    char err[256];
    sqlite3 *db = cp_store_open(dir, err, sizeof(err));
    local_list_t *list = db ? local_list_new(db) : NULL;
    auth_cache_t *cache = db ? auth_cache_new(db, CACHE_SIZE) : NULL;
    if (!list || !cache) {
        fprintf(stderr, "bench_auth: store: %s\n", err);
        return 1;
    }
    local_list_item_t *items = calloc(LIST_SIZE, sizeof(local_list_item_t));
    for (int i = 0; i < LIST_SIZE; i++) {
        snprintf(items[i].entry.id_tag, sizeof(items[i].entry.id_tag), "%08X", (unsigned) (i * 2654435761u));
        items[i].entry.status = i % 10 ? AUTH_ACCEPTED : AUTH_BLOCKED;
        items[i].has_info = true;
    }
    local_list_update_t update = { .version = 1, .full = true, .items = items, .count = LIST_SIZE };
    if (local_list_apply(list, &update, LIST_SIZE, LIST_SIZE, err, sizeof(err)) != LOCAL_LIST_ACCEPTED) {
        fprintf(stderr, "bench_auth: list: %s\n", err);
        return 1;
    }
    for (int i = 0; i < CACHE_SIZE; i++) {
        auth_entry_t e = { .status = AUTH_ACCEPTED };
        snprintf(e.id_tag, sizeof(e.id_tag), "C%07d", i);
        auth_cache_update(cache, &e, NOW);
    }
    double *us = calloc(LOOKUPS, sizeof(double));
    printf("| measure (%d lookups, %d-entry local list) | goal (µs) | mean (µs) | median (µs) | p99 (µs) |\n",
           LOOKUPS, LIST_SIZE);
    printf("|---|---|---|---|---|\n");

    srand(42);
    for (int i = 0; i < LOOKUPS; i++) {
        const char *tag = items[rand() % LIST_SIZE].entry.id_tag;
        double t0 = bench_now_us();
        auth_entry_t e;
        int found = local_list_find(list, tag, &e);
        auth_inputs_t in = { .list_enabled = true, .cache_enabled = true, .local_authorize_offline = true,
                             .list = found == 1 ? &e : NULL, .now_ms = NOW };
        auth_decision_t d;
        auth_rules_decide(&in, &d);
        us[i] = bench_now_us() - t0;
        if (found != 1)
            return 1;
    }
    bench_row_us("decision, local list hit", us, LOOKUPS);

    for (int i = 0; i < LOOKUPS; i++) {
        char tag[16];
        snprintf(tag, sizeof(tag), "C%07d", rand() % CACHE_SIZE);
        double t0 = bench_now_us();
        auth_entry_t le, ce;
        int in_list = local_list_find(list, tag, &le);
        int in_cache = auth_cache_find(cache, tag, NOW, &ce);
        auth_inputs_t in = { .list_enabled = true, .cache_enabled = true, .local_authorize_offline = true,
                             .list = in_list == 1 ? &le : NULL, .cache = in_cache == 1 ? &ce : NULL,
                             .now_ms = NOW };
        auth_decision_t d;
        auth_rules_decide(&in, &d);
        us[i] = bench_now_us() - t0;
        if (in_cache != 1)
            return 1;
    }
    bench_row_us("decision, cache hit (1 000-entry cache, list miss)", us, LOOKUPS);
    //  End to end through the actor, after the start-up seeding
    //  chargepointd does (the actor only reads the configuration).
    cp_options_t options;
    cp_options_defaults(&options);
    snprintf(options.state_dir, sizeof(options.state_dir), "%s", dir);
    if (config_store_seed(db, &options) != CONFIG_STORE_OK) {
        fprintf(stderr, "bench_auth: cannot seed the configuration store\n");
        return 1;
    }
    auth_cache_destroy(&cache);
    local_list_destroy(&list);
    cp_store_close(&db);
    cp_bus_endpoints_t ep;
    cp_bus_endpoints_init(&ep, "inproc://bench-auth");
    zactor_t *broker = zactor_new(cp_bus_broker_actor, &ep);
    cp_clock_t *clock = cp_clock_new_system();
    cp_actor_args_t args;
    memset(&args, 0, sizeof(args));
    snprintf(args.name, sizeof(args.name), "auth");
    args.bus = ep;
    args.clock = clock;
    args.options = &options;
    atomic_init(&args.abandon, false);
    atomic_init(&args.terminated, false);
    zactor_t *actor = zactor_new(s_actor_shim, &args);
    cp_bus_t *tx = cp_bus_new(&ep, "transaction");
    zpoller_t *poller = zpoller_new(cp_bus_requests(tx), NULL);
    int done = 0;
    for (int i = 0; i < LOOKUPS + 100 && done >= 0; i++) {
        cp_msg_t *req = cp_msg_new(CP_MSG_AUTH_REQUEST);
        cp_msg_set_str(req->u.auth_request.id_tag, items[rand() % LIST_SIZE].entry.id_tag);
        cp_msg_set_str(req->u.auth_request.purpose, "start");
        double t0 = bench_now_us();
        uint64_t corr = cp_bus_request(tx, "auth", req);
        cp_msg_destroy(&req);
        cp_bus_envelope_t env = { 0 };
        cp_msg_t *reply = zpoller_wait(poller, 3000) ? cp_bus_recv(tx, cp_bus_requests(tx), &env, NULL) : NULL;
        double elapsed = bench_now_us() - t0;
        if (!reply) {
            if (env.kind == CP_BUS_UNREACHABLE && i < 100) {     //  still starting
                zclock_sleep(10);
                continue;
            }
            done = -1;
            break;
        }
        if (reply->type == CP_MSG_AUTH_RESULT && env.corr == corr && streq(reply->u.auth_result.source, "list")
            && done < LOOKUPS)
            us[done++] = elapsed;
        cp_msg_destroy(&reply);
    }
    if (done == LOOKUPS)
        bench_row_us("auth_request → auth_result via the auth actor (inproc bus), list hit", us, LOOKUPS);
    else
        printf("| auth_request → auth_result via the auth actor | < 1000 | failed | | |\n");
    zpoller_destroy(&poller);
    cp_bus_destroy(&tx);
    zactor_destroy(&actor);
    zactor_destroy(&broker);
    cp_clock_destroy(&clock);
    free(us);
    free(items);
    return bench_dir_remove(dir) == 0 && done == LOOKUPS ? 0 : 1;
}
