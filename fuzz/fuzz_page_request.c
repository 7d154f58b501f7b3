/* fuzz_page_request.c — libFuzzer harness for the text a browser (or any
 * local program) sends to the status page's WebSocket
 * (gateway/page_request.c), and for the owner's LocalChargingSchedule
 * grammar (actors/smartcharging/local_limits.c), both untrusted input.
 * Properties: no crash, leak or UB; an accepted request has 1..MAX steps of
 * NUL-terminated words; an accepted schedule has at most
 * SC_LOCAL_MAX_WINDOWS sane windows whose cap is 0, 6..80 A or none, and a
 * next change in the future. Built and run by scripts/fuzz.sh. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actors/smartcharging/local_limits.h"
#include "gateway/page_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_check_request(const page_request_t *req)
{
    if (req->steps < 1 || req->steps > PAGE_REQUEST_MAX_STEPS)
        abort();
    for (int i = 0; i < req->steps; i++) {
        const page_step_t *step = &req->step[i];
        if (step->argc < 1 || step->argc > PAGE_REQUEST_MAX_ARGS)
            abort();
        for (int a = 0; a < step->argc; a++)
            if (!memchr(step->argv[a], '\0', sizeof(step->argv[a])))
                abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char reason[PAGE_REQUEST_REASON_MAX];
    page_request_t req;
    for (int sim = 0; sim < 2; sim++)
        if (page_request_parse((const char *) data, size, sim, &req, reason, sizeof(reason)) == 0) {
            s_check_request(&req);
            page_request_clear(&req);
        }
        else
        if (!memchr(reason, '\0', sizeof(reason)) || !reason[0])
            abort();                    //  a refusal always says why

    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    sc_local_schedule_t schedule;
    if (sc_local_schedule_parse(text, &schedule, reason, sizeof(reason)) == 0) {
        if (schedule.count < 0 || schedule.count > SC_LOCAL_MAX_WINDOWS)
            abort();
        for (int i = 0; i < schedule.count; i++) {
            const sc_window_t *w = &schedule.window[i];
            if (!w->days || w->start_min < 0 || w->start_min >= 1440 || w->end_min < 1 || w->end_min > 1440)
                abort();
        }
        //  a Monday noon in 2026, and a week later
        for (int64_t t = 1795435200000LL; t < 1795435200000LL + 8LL * 86400000; t += 7 * 3600000 + 61000) {
            int64_t next = 0;
            double cap = sc_local_schedule_at(&schedule, t, &next);
            if (!(isinf(cap) || cap == 0 || (cap >= SC_LOCAL_MIN_CHARGE_A && cap <= SC_LOCAL_MAX_A)))
                abort();
            if (schedule.count && next <= t)
                abort();
        }
    }
    else
    if (schedule.count != 0)
        abort();                        //  a refused schedule is no schedule
    free(text);
    return 0;
}
