/* test_board_link.c — the controller's board driver (hw/board/board_link.h)
 * against a board on a real UNIX socket.
 *
 * The board here is the simulated board's logic (simboard.h) served by a
 * thread of this test, which also counts the requests it gets by type: the
 * point of PET_READ is fewer exchanges, so the count is what is checked,
 * along with the fallbacks a charger maker's older board needs — a board
 * without the HELLO_ACK flag gets PET and READ, one that sets the flag but
 * answers UNKNOWN is believed for what it does — and a link that goes down
 * in the middle of the safety tick's call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "bench.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "hw/board/board_link.h"
#include "hw/board/board_proto.h"
#include "hw/board/simboard.h"
#include "hw/hw.h"

typedef struct {
    char dir[64];
    char path[100];                 //  fits sockaddr_un.sun_path
    int listener;
    cp_clock_t *clock;              //  the board's and the link's
    simboard_t *board;              //  touched by the server thread only, once it runs
    bool claims_pet_read;           //  flag set, PET_READ answered UNKNOWN all the same
    pthread_t server;
    atomic_bool stop;
    atomic_int requests[256];       //  by frame type
    hw_driver_t *link;
} fixture_t;

static void
s_answer(fixture_t *f, int fd, const board_frame_t *req)
{
    board_frame_t reply;
    bool hello, down;
    atomic_fetch_add(&f->requests[req->type], 1);
    if (f->claims_pet_read && req->type == BOARD_PET_READ) {
        reply = (board_frame_t) { .type = BOARD_ACK, .seq = req->seq, .len = 2,
                                  .payload = { BOARD_ACK_UNKNOWN, 0 } };
    }
    else
        simboard_handle(f->board, req, &reply, &hello, &down);
    uint8_t out[BOARD_MAX_FRAME];
    size_t n = board_frame_encode(reply.type, reply.seq, reply.payload, reply.len, out, sizeof(out));
    assert_true(n > 0);
    assert_int_equal(send(fd, out, n, MSG_NOSIGNAL), (ssize_t) n);
}

//  One client at a time, until stop: the board end of the link.
static void *
s_server(void *arg)
{
    fixture_t *f = arg;
    int client = -1;
    board_decoder_t dec;
    while (!atomic_load(&f->stop)) {
        struct pollfd pfd = { .fd = client >= 0 ? client : f->listener, .events = POLLIN };
        if (poll(&pfd, 1, 10) <= 0)
            continue;
        if (client < 0) {
            client = accept(f->listener, NULL, NULL);
            board_decoder_init(&dec);
            continue;
        }
        uint8_t buf[512];
        ssize_t got = recv(client, buf, sizeof(buf), 0);
        if (got <= 0) {
            close(client);
            client = -1;
            continue;
        }
        board_decoder_feed(&dec, buf, (size_t) got);
        board_frame_t req;
        char reason[96];
        while (board_decoder_next(&dec, &req, reason, sizeof(reason)) == 1)
            s_answer(f, client, &req);
        //  As chargepoint-simboard does: a NOTICE for each step at rest.
        uint32_t stepped = simboard_notices(f->board);
        for (int n = 1; n <= HW_MAX_CONNECTORS; n++)
            if (stepped & (1u << (n - 1))) {
                uint8_t connector = (uint8_t) n, out[BOARD_MAX_FRAME];
                size_t len = board_frame_encode(BOARD_NOTICE, BOARD_NOTICE_SEQ, &connector, 1, out, sizeof(out));
                assert_int_equal(send(client, out, len, MSG_NOSIGNAL), (ssize_t) len);
            }
    }
    if (client >= 0)
        close(client);
    return NULL;
}

//  A board with `connectors`, as `kind` says, and the link to it.
enum { BOARD_NEW, BOARD_OLD, BOARD_CLAIMS };

static fixture_t *
s_start(int connectors, int kind)
{
    fixture_t *f = calloc(1, sizeof(fixture_t));
    assert_non_null(f);
    bench_state_dir(f->dir, sizeof(f->dir), "board-link");
    hw_board_socket_path(f->dir, f->path, sizeof(f->path));
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", f->path);
    f->listener = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(f->listener >= 0);
    assert_int_equal(bind(f->listener, (struct sockaddr *) &addr, sizeof(addr)), 0);
    assert_int_equal(listen(f->listener, 4), 0);
    f->clock = cp_clock_new_system();
    f->board = simboard_new(connectors, f->clock, "");
    assert_non_null(f->board);
    if (kind == BOARD_OLD)
        simboard_without_pet_read(f->board);
    f->claims_pet_read = kind == BOARD_CLAIMS;
    assert_int_equal(pthread_create(&f->server, NULL, s_server, f), 0);
    char err[256];
    f->link = hw_board_link_new(f->path, BOARD_ROLE_CONTROLLER, f->clock, err, sizeof(err));
    assert_non_null(f->link);
    return f;
}

static void
s_stop_server(fixture_t *f)
{
    if (atomic_exchange(&f->stop, true))
        return;
    pthread_join(f->server, NULL);
}

static void
s_finish(fixture_t *f)
{
    hw_driver_destroy(&f->link);
    s_stop_server(f);
    simboard_destroy(&f->board);
    close(f->listener);
    bench_state_dir_remove(f->dir);
    cp_clock_destroy(&f->clock);
    free(f);
}

static void
s_reset_counts(fixture_t *f)
{
    for (int i = 0; i < 256; i++)
        atomic_store(&f->requests[i], 0);
}

static int
s_count(fixture_t *f, int type)
{
    return atomic_load(&f->requests[type]);
}

static bool
s_pet_read(fixture_t *f)
{
    hw_link_state_t ls;
    assert_int_equal(f->link->ops->link_state(f->link, &ls), 0);
    return ls.pet_read;
}

//  The safety tick's call, and what it read: every connector, each its own.
static void
s_feed_read(fixture_t *f, int connectors)
{
    hw_connector_state_t states[HW_MAX_CONNECTORS];
    bool readable[HW_MAX_CONNECTORS];
    assert_int_equal(hw_driver_feed_read(f->link, 500, states, readable), 0);
    for (int n = 1; n <= connectors; n++) {
        assert_true(readable[n - 1]);
        assert_int_equal(states[n - 1].connector, n);
        assert_int_equal(states[n - 1].plugged, n == 2);
    }
}

//  One safety tick's call; the requests it cost, by type, as expected.
static void
s_tick_costs(fixture_t *f, int connectors, int pet_reads, int pets, int reads)
{
    s_reset_counts(f);
    s_feed_read(f, connectors);
    assert_int_equal(s_count(f, BOARD_PET_READ), pet_reads);
    assert_int_equal(s_count(f, BOARD_PET), pets);
    assert_int_equal(s_count(f, BOARD_READ), reads);
}

static void
s_plug_2(fixture_t *f)
{
    char reason[80];
    assert_int_equal(f->link->ops->simulate(f->link, 2, "plug", NULL, reason, sizeof(reason)), 0);
}

//  The watchdog is fed: a permission and a close are accepted.
static void
s_assert_fed(fixture_t *f)
{
    assert_int_equal(f->link->ops->safety_permit(f->link, 1, true, 0), 0);
    assert_int_equal(f->link->ops->set_contactor(f->link, 1, true), 0);
}

static void
test_one_exchange_per_tick(void **state)
{
    fixture_t *f = s_start(2, BOARD_NEW);
    assert_true(s_pet_read(f));
    s_plug_2(f);
    s_tick_costs(f, 2, 1, 0, 0);
    s_assert_fed(f);
    //  The reports serve the hw actor's read_recent: no exchange.
    s_tick_costs(f, 2, 1, 0, 0);
    hw_connector_state_t st;
    assert_int_equal(f->link->ops->read_recent(f->link, 2, 10000, &st), 0);
    assert_true(st.plugged);
    assert_int_equal(s_count(f, BOARD_READ), 0);
    s_finish(f);
}

static void
test_more_connectors_than_a_frame_holds(void **state)
{
    fixture_t *f = s_start(BOARD_STATES_MAX + 2, BOARD_NEW);
    s_plug_2(f);
    s_tick_costs(f, BOARD_STATES_MAX + 2, 2, 0, 0);
    s_finish(f);
}

static void
test_board_without_pet_read(void **state)
{
    fixture_t *f = s_start(2, BOARD_OLD);
    assert_false(s_pet_read(f));
    s_plug_2(f);
    s_tick_costs(f, 2, 0, 1, 2);
    s_assert_fed(f);
    s_finish(f);
}

static void
test_board_that_claims_pet_read(void **state)
{
    fixture_t *f = s_start(2, BOARD_CLAIMS);
    assert_true(s_pet_read(f));
    s_plug_2(f);
    //  Answered UNKNOWN: this tick falls back at once, every later one too.
    s_tick_costs(f, 2, 1, 1, 2);
    assert_false(s_pet_read(f));
    s_assert_fed(f);
    s_tick_costs(f, 2, 0, 1, 2);
    s_finish(f);
}

//  The hw actor sleeps at rest and wakes on changes_fd: a report that
//  stepped (read by the safety tick) makes it readable, one that did not
//  leaves it quiet, and so does a link going down.
static bool
s_changes(fixture_t *f)
{
    int fd = f->link->ops->changes_fd(f->link);
    assert_true(fd >= 0);
    uint64_t count = 0;
    return read(fd, &count, sizeof(count)) == (ssize_t) sizeof(count) && count > 0;
}

static void
test_changes_announced(void **state)
{
    fixture_t *f = s_start(2, BOARD_NEW);
    s_changes(f);                       //  whatever linking announced
    hw_connector_state_t states[HW_MAX_CONNECTORS];
    bool readable[HW_MAX_CONNECTORS];
    assert_int_equal(hw_driver_feed_read(f->link, 500, states, readable), 0);
    s_changes(f);                       //  the first reports are steps from nothing
    assert_int_equal(hw_driver_feed_read(f->link, 500, states, readable), 0);
    assert_false(s_changes(f));         //  nothing stepped
    s_plug_2(f);
    assert_int_equal(hw_driver_feed_read(f->link, 500, states, readable), 0);
    assert_true(s_changes(f));          //  the car arrived
    assert_false(s_changes(f));         //  one read empties it
    s_stop_server(f);
    assert_int_equal(hw_driver_feed_read(f->link, 500, states, readable), -1);
    assert_true(s_changes(f));          //  the link went down
    s_finish(f);
}

//  A resting safety actor's wait: true when the board announced a step
//  within 2 s (either descriptor readable), the eventfd emptied.
static bool
s_noticed(fixture_t *f)
{
    int fds[2];
    f->link->ops->notice_fds(f->link, fds);
    struct pollfd pfds[2] = { { .fd = fds[0], .events = POLLIN }, { .fd = fds[1], .events = POLLIN } };
    bool noticed = poll(pfds, 2, 2000) > 0;
    uint64_t count;
    if (read(fds[1], &count, sizeof(count)) < 0) {
        //  EAGAIN: the notice was still on the socket
    }
    return noticed;
}

static bool
s_rest_offered(fixture_t *f)
{
    hw_link_state_t ls;
    assert_int_equal(f->link->ops->link_state(f->link, &ls), 0);
    return ls.rest;
}

//  At rest: one PET_REST a tick reads every connector; a step is
//  announced by a NOTICE that wakes the waiter; a closed contactor makes
//  the board refuse the rest; the descriptors keep their numbers across
//  a relink.
static void
test_rest_and_notices(void **state)
{
    fixture_t *f = s_start(2, BOARD_NEW);
    assert_true(s_rest_offered(f));
    int before[2];
    f->link->ops->notice_fds(f->link, before);
    hw_connector_state_t states[HW_MAX_CONNECTORS];
    bool readable[HW_MAX_CONNECTORS];
    s_reset_counts(f);
    assert_int_equal(hw_driver_rest_read(f->link, 3000, states, readable), 0);
    assert_int_equal(s_count(f, BOARD_PET_REST), 1);
    assert_int_equal(s_count(f, BOARD_PET_READ) + s_count(f, BOARD_READ) + s_count(f, BOARD_PET), 0);
    assert_true(readable[0] && readable[1]);
    assert_false(states[1].plugged);

    s_plug_2(f);                                    //  the car arrives while resting
    assert_true(s_noticed(f));
    assert_int_equal(hw_driver_rest_read(f->link, 3000, states, readable), 0);
    assert_true(states[1].plugged);
    hw_link_state_t ls;
    assert_int_equal(f->link->ops->link_state(f->link, &ls), 0);
    assert_true(ls.notices >= 1);
    //  Read, and the eventfd emptied (as the safety actor does after its
    //  tick): nothing more is owed.
    int fds[2];
    f->link->ops->notice_fds(f->link, fds);
    uint64_t count;
    if (read(fds[1], &count, sizeof(count)) < 0) {
        //  EAGAIN: this exchange took no notice in
    }
    struct pollfd pfds[2] = { { .fd = fds[0], .events = POLLIN }, { .fd = fds[1], .events = POLLIN } };
    assert_int_equal(poll(pfds, 2, 0), 0);

    assert_int_equal(hw_driver_feed_read(f->link, 500, states, readable), 0);
    s_assert_fed(f);                                //  contactor 1 closed: no rest
    assert_int_equal(hw_driver_rest_read(f->link, 3000, states, readable), -1);
    s_stop_server(f);
    assert_int_equal(hw_driver_rest_read(f->link, 3000, states, readable), -1);  //  the link goes down
    assert_int_equal(hw_driver_rest_read(f->link, 3000, states, readable), -2);  //  down: no rest offered
    f->link->ops->notice_fds(f->link, fds);
    assert_int_equal(fds[0], before[0]);
    assert_int_equal(fds[1], before[1]);
    assert_int_equal(poll(pfds, 2, 0), 0);          //  a link that is down announces nothing
    s_finish(f);
}

static void
test_old_board_does_not_rest(void **state)
{
    fixture_t *f = s_start(2, BOARD_OLD);
    assert_false(s_rest_offered(f));
    hw_connector_state_t states[HW_MAX_CONNECTORS];
    bool readable[HW_MAX_CONNECTORS];
    s_reset_counts(f);
    assert_int_equal(hw_driver_rest_read(f->link, 3000, states, readable), -2);
    assert_int_equal(s_count(f, BOARD_PET_REST), 0);
    s_finish(f);
}

static void
test_link_down(void **state)
{
    fixture_t *f = s_start(2, BOARD_NEW);
    s_stop_server(f);                   //  the board's end closes: the next exchange sees it
    hw_connector_state_t states[HW_MAX_CONNECTORS];
    bool readable[HW_MAX_CONNECTORS] = { true, true };
    assert_int_equal(hw_driver_feed_read(f->link, 500, states, readable), -1);
    assert_false(readable[0]);
    assert_false(readable[1]);
    hw_link_state_t ls;
    assert_int_equal(f->link->ops->link_state(f->link, &ls), 0);
    assert_false(ls.up);
    s_finish(f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_exchange_per_tick),
        cmocka_unit_test(test_more_connectors_than_a_frame_holds),
        cmocka_unit_test(test_board_without_pet_read),
        cmocka_unit_test(test_board_that_claims_pet_read),
        cmocka_unit_test(test_link_down),
        cmocka_unit_test(test_changes_announced),
        cmocka_unit_test(test_rest_and_notices),
        cmocka_unit_test(test_old_board_does_not_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
