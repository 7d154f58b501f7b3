/* bench_get_configuration.c — the CPU the controller spends on a
 * GetConfiguration answer itself, without the WebSocket and the network
 * that dominate bench/versus.mjs's round trip (issue 12). Prints a
 * Markdown table; `make bench` collects it.
 *
 * What is timed is what the ocpp actor does between the parsed CALL and
 * the frame handed to the link (actors/ocpp/ocpp_actor.c,
 * s_get_configuration): the CALLRESULT head, get_configuration_write over
 * a reader store on a seeded state dir, the closing bracket, for the full
 * list and for one key.
 */
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "actors/config/config_store.h"
#include "actors/config/get_configuration.h"
#include "gateway/jwriter.h"
#include "gateway/ocppj.h"
#include "supervisor/log.h"
#include "supervisor/store.h"
#include "bench/bench.h"

#define WARMUP 1000
#define CALLS 20000

//  One answer as the ocpp actor writes it; its size in bytes, 0 on failure.
static size_t
s_answer(config_store_t *store, const json_t *request)
{
    char code[40], description[200];
    jwriter_t *w = jwriter_new();
    if (!w)
        return 0;
    ocppj_write_result_head(w, "0b7e5f2c-6a51-4c1e-9d2b-3f1a2c4d5e6f");
    int rc = get_configuration_write(store, request, w, code, sizeof(code), description,
                                     sizeof(description));
    jwriter_raw(w, "]");
    size_t size = rc == 0 && !jwriter_failed(w) ? jwriter_size(w) : 0;
    jwriter_destroy(&w);
    return size;
}

int
main(void)
{
    cp_log_set_level(CP_LOG_WARN);
    char dir[64];
    if (bench_dir_new(dir, sizeof(dir), "getconf") != 0)
        return 1;
    cp_options_t opts;
    memset(&opts, 0, sizeof(opts));
    opts.connectors = 2;
    snprintf(opts.state_dir, sizeof(opts.state_dir), "%s", dir);
    snprintf(opts.csms_url, sizeof(opts.csms_url), "ws://127.0.0.1:9/ocpp");
    snprintf(opts.id, sizeof(opts.id), "BENCH");
    char err[256] = "";
    sqlite3 *db = cp_store_open(dir, err, sizeof(err));
    config_store_t *writer = db && config_store_seed(db, &opts) == CONFIG_STORE_OK
                           ? config_store_new(db, &opts) : NULL;
    //  A few changed keys, so the full list reads rows as well as defaults.
    if (writer) {
        config_store_set(writer, "HeartbeatInterval", "60");
        config_store_set(writer, "MeterValuesSampledData", "Energy.Active.Import.Register,Voltage");
    }
    config_store_t *store = writer ? config_store_open_reader(&opts, err, sizeof(err)) : NULL;
    if (!store) {
        fprintf(stderr, "bench_get_configuration: store: %s\n", err);
        return 1;
    }
    printf("| GetConfiguration built in the ocpp actor (store read, text, frame) | bytes | mean µs |"
           " median µs | p99 µs |\n|---|---|---|---|---|\n");
    static const char *const requests[][2] = {
        { "full list", "{}" },
        { "1 key", "{\"key\":[\"HeartbeatInterval\"]}" },
    };
    static double us[CALLS];
    int status = 0;
    for (size_t r = 0; r < sizeof(requests) / sizeof(requests[0]); r++) {
        json_t *request = json_loads(requests[r][1], 0, NULL);
        size_t size = 0;
        for (int i = 0; i < WARMUP + CALLS; i++) {
            double t0 = bench_now_us();
            size = s_answer(store, request);
            if (i >= WARMUP)
                us[i - WARMUP] = bench_now_us() - t0;
        }
        json_decref(request);
        if (size == 0) {
            fprintf(stderr, "bench_get_configuration: %s failed\n", requests[r][0]);
            status = 1;
            continue;
        }
        bench_stats_t st = bench_stats(us, CALLS);
        printf("| %s | %zu | %.1f | %.1f | %.1f |\n", requests[r][0], size, st.mean, st.p50, st.p99);
    }
    config_store_destroy(&store);
    config_store_destroy(&writer);
    cp_store_close(&db);
    if (bench_dir_remove(dir) != 0)
        fprintf(stderr, "bench_get_configuration: %s not removed\n", dir);
    return status;
}
