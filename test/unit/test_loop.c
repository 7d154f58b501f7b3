/* test_loop.c — the actors' event loop (supervisor/loop.c).
 *
 * What the actors rely on: every message on a reader reaches its handler
 * exactly once, in order, however it arrives (before the loop starts, in a
 * burst, from another thread while the loop sleeps, on a socket the loop
 * itself just sent on); timers fire on time, the given number of times,
 * and can be ended from anywhere, their own handler included; a handler
 * returning -1 ends the loop. Messages from another thread are the real
 * case (the supervisor, the bus): each wait is bounded by a timer that
 * ends the loop and fails the test, never by a sleep. The same for
 * cp_poller (the supervisor's and the broker's wait) and the loop watch
 * the supervisor reads instead of pinging every actor.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "supervisor/loop.h"

#define GUARD_MS 5000           //  a test that has not ended by then failed

typedef struct {
    int received;
    int expected;
    char last[32];
    bool in_order;
    int timer_fired;
    int guard;                  //  the guard timer's id
    bool guard_fired;
} ctx_t;

static int
s_on_guard(cp_loop_t *loop, int timer_id, void *arg)
{
    ((ctx_t *) arg)->guard_fired = true;
    return -1;
}

static int
s_on_message(cp_loop_t *loop, zsock_t *reader, void *arg)
{
    ctx_t *ctx = arg;
    char *text = zstr_recv(reader);
    assert_non_null(text);
    char want[32];
    snprintf(want, sizeof(want), "m%d", ctx->received);
    if (strcmp(text, want) != 0)
        ctx->in_order = false;
    snprintf(ctx->last, sizeof(ctx->last), "%s", text);
    zstr_free(&text);
    ctx->received++;
    return ctx->received == ctx->expected ? -1 : 0;
}

static void
s_pair(const char *name, zsock_t **a, zsock_t **b)
{
    char endpoint[64];
    snprintf(endpoint, sizeof(endpoint), "inproc://test-loop-%s", name);
    char bind[70];
    snprintf(bind, sizeof(bind), "@%s", endpoint);
    *a = zsock_new_pair(bind);              //  czmq's default for PAIR is to connect
    assert_non_null(*a);
    char connect[70];
    snprintf(connect, sizeof(connect), ">%s", endpoint);
    *b = zsock_new_pair(connect);
    assert_non_null(*b);
}

//  Messages queued before the loop starts, then a burst: all, in order.
static void
test_reader_before_and_burst(void **state)
{
    zsock_t *a, *b;
    s_pair("burst", &a, &b);
    ctx_t ctx = { .expected = 500, .in_order = true };
    for (int i = 0; i < 500; i++)
        zstr_sendf(b, "m%d", i);
    cp_loop_t *loop = cp_loop_new();
    assert_non_null(loop);
    assert_int_equal(cp_loop_reader(loop, a, s_on_message, &ctx), 0);
    ctx.guard = cp_loop_timer(loop, GUARD_MS, 1, s_on_guard, &ctx);
    assert_int_equal(cp_loop_start(loop), -1);
    assert_false(ctx.guard_fired);
    assert_int_equal(ctx.received, 500);
    assert_true(ctx.in_order);
    cp_loop_destroy(&loop);
    assert_null(loop);
    zsock_destroy(&a);
    zsock_destroy(&b);
}

typedef struct {
    zsock_t *sock;
    int count;
} sender_t;

static void *
s_sender(void *arg)
{
    sender_t *s = arg;
    for (int i = 0; i < s->count; i++) {
        zstr_sendf(s->sock, "m%d", i);
        if (i % 50 == 0)
            zclock_sleep(1);                //  let the loop go back to sleep between bursts
    }
    return NULL;
}

//  From another thread while the loop sleeps: nothing lost, in order,
//  on a touched-only reader (only its descriptor wakes it).
static void
test_reader_other_thread(void **state)
{
    zsock_t *a, *b;
    s_pair("thread", &a, &b);
    ctx_t ctx = { .expected = 2000, .in_order = true };
    cp_loop_t *loop = cp_loop_new();
    assert_int_equal(cp_loop_reader_flags(loop, a, s_on_message, &ctx, CP_LOOP_TOUCHED_ONLY), 0);
    ctx.guard = cp_loop_timer(loop, GUARD_MS, 1, s_on_guard, &ctx);
    sender_t sender = { .sock = b, .count = 2000 };
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, s_sender, &sender), 0);
    assert_int_equal(cp_loop_start(loop), -1);
    pthread_join(thread, NULL);
    assert_false(ctx.guard_fired);
    assert_int_equal(ctx.received, 2000);
    assert_true(ctx.in_order);
    cp_loop_destroy(&loop);
    zsock_destroy(&a);
    zsock_destroy(&b);
}

//  A request/answer ping-pong with a peer thread on the same socket: the
//  loop's sends consume the descriptor's signal, so without the touch the
//  answer would sit unread (the case of every actor's DEALER).
typedef struct {
    zsock_t *sock;
    int rounds;
} echo_t;

static void *
s_echo(void *arg)
{
    echo_t *e = arg;
    for (int i = 0; i < e->rounds; i++) {
        char *text = zstr_recv(e->sock);
        if (!text)
            break;
        zstr_send(e->sock, text);
        zstr_free(&text);
    }
    return NULL;
}

typedef struct {
    zsock_t *sock;
    int answers;
    int rounds;
    bool guard_fired;
} pingpong_t;

static int
s_on_answer(cp_loop_t *loop, zsock_t *reader, void *arg)
{
    pingpong_t *p = arg;
    char *text = zstr_recv(reader);
    zstr_free(&text);
    if (++p->answers == p->rounds)
        return -1;
    zstr_sendf(reader, "q%d", p->answers);
    cp_loop_touch(loop, reader);
    return 0;
}

static int
s_on_pingpong_guard(cp_loop_t *loop, int timer_id, void *arg)
{
    ((pingpong_t *) arg)->guard_fired = true;
    return -1;
}

static void
test_send_and_touch(void **state)
{
    zsock_t *a, *b;
    s_pair("pingpong", &a, &b);
    pingpong_t p = { .sock = a, .rounds = 3000 };
    echo_t echo = { .sock = b, .rounds = 3000 };
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, s_echo, &echo), 0);
    cp_loop_t *loop = cp_loop_new();
    assert_int_equal(cp_loop_reader_flags(loop, a, s_on_answer, &p, CP_LOOP_TOUCHED_ONLY), 0);
    cp_loop_timer(loop, GUARD_MS, 1, s_on_pingpong_guard, &p);
    zstr_send(a, "q0");
    assert_int_equal(cp_loop_start(loop), -1);
    assert_false(p.guard_fired);
    assert_int_equal(p.answers, 3000);
    pthread_join(thread, NULL);
    cp_loop_destroy(&loop);
    zsock_destroy(&a);
    zsock_destroy(&b);
}

//  Timers: a repeating one fires its count, a one-shot once, one ended
//  before it is due never, one that ends itself from its handler stops.
typedef struct {
    int repeat_fired;
    int once_fired;
    int never_fired;
    int self_ending_fired;
    int self_ending_id;
    int64_t started;
    int64_t once_at;
} timers_t;

static int s_count(cp_loop_t *loop, int id, void *arg) { (*(int *) arg)++; return 0; }

static int
s_once(cp_loop_t *loop, int id, void *arg)
{
    timers_t *t = arg;
    t->once_fired++;
    t->once_at = zclock_mono();
    return 0;
}

static int
s_self_ending(cp_loop_t *loop, int id, void *arg)
{
    timers_t *t = arg;
    if (++t->self_ending_fired == 2)
        assert_int_equal(cp_loop_timer_end(loop, t->self_ending_id), 0);
    return 0;
}

static int s_end(cp_loop_t *loop, int id, void *arg) { return -1; }

static void
test_timers(void **state)
{
    timers_t t = { .started = zclock_mono() };
    cp_loop_t *loop = cp_loop_new();
    int repeat = cp_loop_timer(loop, 5, 4, s_count, &t.repeat_fired);
    int once = cp_loop_timer(loop, 30, 1, s_once, &t);
    int never = cp_loop_timer(loop, 20, 0, s_count, &t.never_fired);
    t.self_ending_id = cp_loop_timer(loop, 5, 0, s_self_ending, &t);
    assert_true(repeat > 0 && once > 0 && never > 0 && t.self_ending_id > 0);
    assert_true(repeat != once && once != never);
    assert_int_equal(cp_loop_timer_end(loop, never), 0);
    assert_int_equal(cp_loop_timer_end(loop, 999999), -1);
    cp_loop_timer(loop, 200, 1, s_end, NULL);
    assert_int_equal(cp_loop_start(loop), -1);
    assert_int_equal(t.repeat_fired, 4);
    assert_int_equal(t.once_fired, 1);
    assert_true(t.once_at - t.started >= 30);
    assert_int_equal(t.never_fired, 0);
    assert_int_equal(t.self_ending_fired, 2);
    //  Ending a timer that already fired its last time is harmless.
    assert_int_equal(cp_loop_timer_end(loop, once), -1);
    cp_loop_destroy(&loop);
}

//  Nothing left to wait for: the loop returns 0 instead of sleeping forever.
static void
test_empty_loop_returns(void **state)
{
    cp_loop_t *loop = cp_loop_new();
    int fired = 0;
    cp_loop_timer(loop, 1, 1, s_count, &fired);
    assert_int_equal(cp_loop_start(loop), 0);
    assert_int_equal(fired, 1);
    cp_loop_destroy(&loop);
}

//  A reader ended from a handler gets nothing more; one added from a
//  handler is drained at once, even of messages queued before.
typedef struct {
    cp_loop_t *loop;
    zsock_t *second;
    ctx_t *second_ctx;
    int first_count;
} swap_t;

static int
s_on_first(cp_loop_t *loop, zsock_t *reader, void *arg)
{
    swap_t *s = arg;
    char *text = zstr_recv(reader);
    zstr_free(&text);
    s->first_count++;
    cp_loop_reader_end(loop, reader);
    assert_int_equal(cp_loop_reader(loop, s->second, s_on_message, s->second_ctx), 0);
    return 0;
}

static void
test_reader_swap_in_handler(void **state)
{
    zsock_t *a, *b, *c, *d;
    s_pair("swap1", &a, &b);
    s_pair("swap2", &c, &d);
    ctx_t second = { .expected = 3, .in_order = true };
    swap_t s = { .second = c, .second_ctx = &second };
    for (int i = 0; i < 3; i++) {
        zstr_sendf(b, "first%d", i);
        zstr_sendf(d, "m%d", i);
    }
    cp_loop_t *loop = cp_loop_new();
    s.loop = loop;
    assert_int_equal(cp_loop_reader(loop, a, s_on_first, &s), 0);
    second.guard = cp_loop_timer(loop, GUARD_MS, 1, s_on_guard, &second);
    assert_int_equal(cp_loop_start(loop), -1);
    assert_false(second.guard_fired);
    assert_int_equal(s.first_count, 1);
    assert_int_equal(second.received, 3);
    assert_true(second.in_order);
    cp_loop_destroy(&loop);
    zsock_destroy(&a);
    zsock_destroy(&b);
    zsock_destroy(&c);
    zsock_destroy(&d);
}

//  cp_poller: messages from another thread on two readers, one of them
//  touched-only, all arrive in order; a wait with nothing to read returns
//  NULL after its timeout; a removed reader is not given out.
static void
test_poller_other_thread(void **state)
{
    zsock_t *a, *b, *c, *d;
    s_pair("poller1", &a, &b);
    s_pair("poller2", &c, &d);
    cp_poller_t *poller = cp_poller_new();
    assert_non_null(poller);
    assert_int_equal(cp_poller_add(poller, a, CP_LOOP_TOUCHED_ONLY), 0);
    assert_int_equal(cp_poller_add(poller, c, 0), 0);
    sender_t one = { .sock = b, .count = 1500 };
    sender_t two = { .sock = d, .count = 1500 };
    pthread_t t1, t2;
    assert_int_equal(pthread_create(&t1, NULL, s_sender, &one), 0);
    assert_int_equal(pthread_create(&t2, NULL, s_sender, &two), 0);
    int got_a = 0, got_c = 0;
    bool in_order = true;
    int64_t deadline = zclock_mono() + GUARD_MS;
    while ((got_a < 1500 || got_c < 1500) && zclock_mono() < deadline) {
        void *which = cp_poller_wait(poller, 100);
        if (!which)
            continue;
        assert_true(which == a || which == c);
        char *text = zstr_recv(which);
        char want[32];
        snprintf(want, sizeof(want), "m%d", which == a ? got_a++ : got_c++);
        if (strcmp(text, want) != 0)
            in_order = false;
        zstr_free(&text);
    }
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_int_equal(got_a, 1500);
    assert_int_equal(got_c, 1500);
    assert_true(in_order);
    int64_t before = zclock_mono();
    assert_null(cp_poller_wait(poller, 30));
    assert_true(zclock_mono() - before >= 29);
    assert_false(cp_poller_terminated(poller));
    cp_poller_remove(poller, a);
    zstr_send(b, "late");
    assert_null(cp_poller_wait(poller, 30));
    cp_poller_destroy(&poller);
    assert_null(poller);
    zsock_destroy(&a);
    zsock_destroy(&b);
    zsock_destroy(&c);
    zsock_destroy(&d);
}

//  A send on a touched-only reader may take its wake-up: after
//  cp_poller_touch the answer waiting behind it is still given out.
static void
test_poller_send_and_touch(void **state)
{
    zsock_t *a, *b;
    s_pair("poller-pingpong", &a, &b);
    echo_t echo = { .sock = b, .rounds = 2000 };
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, s_echo, &echo), 0);
    cp_poller_t *poller = cp_poller_new();
    assert_int_equal(cp_poller_add(poller, a, CP_LOOP_TOUCHED_ONLY), 0);
    int answers = 0;
    zstr_send(a, "q0");
    cp_poller_touch(poller, a);
    int64_t deadline = zclock_mono() + GUARD_MS;
    while (answers < 2000 && zclock_mono() < deadline) {
        void *which = cp_poller_wait(poller, 100);
        if (!which)
            continue;
        char *text = zstr_recv(which);
        zstr_free(&text);
        if (++answers < 2000) {
            zstr_sendf(a, "q%d", answers);
            cp_poller_touch(poller, a);
        }
    }
    assert_int_equal(answers, 2000);
    pthread_join(thread, NULL);
    cp_poller_destroy(&poller);
    zsock_destroy(&a);
    zsock_destroy(&b);
}

//  The loop watch: a loop asleep in poll() says it waits; one stuck in a
//  handler says neither waiting nor moving; once the handler returns it
//  moves again. Read from another thread, as the supervisor does.
typedef struct {
    cp_loop_watch_t watch;
    atomic_bool release;
    atomic_bool in_handler;
    zsock_t *reader;
} watched_t;

static int
s_on_stuck(cp_loop_t *loop, zsock_t *reader, void *arg)
{
    watched_t *w = arg;
    char *text = zstr_recv(reader);
    bool end = text && streq(text, "end");
    zstr_free(&text);
    if (end)
        return -1;
    atomic_store(&w->in_handler, true);
    while (!atomic_load(&w->release))
        zclock_sleep(1);
    atomic_store(&w->in_handler, false);
    return 0;
}

static void *
s_watched_loop(void *arg)
{
    watched_t *w = arg;
    cp_loop_t *loop = cp_loop_new();
    cp_loop_watch(loop, &w->watch);
    cp_loop_reader(loop, w->reader, s_on_stuck, w);
    cp_loop_start(loop);
    cp_loop_destroy(&loop);
    return NULL;
}

static bool
s_until(atomic_bool *flag, bool value)
{
    int64_t deadline = zclock_mono() + GUARD_MS;
    while (atomic_load(flag) != value && zclock_mono() < deadline)
        zclock_sleep(1);
    return atomic_load(flag) == value;
}

//  A descriptor reader is called while poll() finds it readable, and ended
//  from its own handler it is never called again.
typedef struct {
    int fd;
    int calls;
    uint64_t total;
} fd_reader_t;

static int
s_on_eventfd(cp_loop_t *loop, int fd, void *arg)
{
    fd_reader_t *reader = arg;
    uint64_t count = 0;
    assert_int_equal(read(fd, &count, sizeof(count)), sizeof(count));
    reader->calls++;
    reader->total += count;
    if (reader->total >= 5)
        cp_loop_fd_end(loop, fd);           //  nothing left to wait for: the loop ends
    return 0;
}

static int
s_write_eventfd(cp_loop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    fd_reader_t *reader = arg;
    uint64_t one = 1;
    assert_int_equal(write(reader->fd, &one, sizeof(one)), sizeof(one));
    return 0;
}

static void
test_fd_reader(void **state)
{
    (void) state;
    fd_reader_t reader = { .fd = eventfd(2, EFD_NONBLOCK) };
    assert_true(reader.fd >= 0);
    cp_loop_t *loop = cp_loop_new();
    assert_non_null(loop);
    assert_int_equal(cp_loop_fd(loop, reader.fd, s_on_eventfd, &reader), 0);
    //  Readable before the loop starts (2), then once per timer (3 times)
    assert_true(cp_loop_timer(loop, 5, 3, s_write_eventfd, &reader) > 0);
    assert_int_equal(cp_loop_start(loop), 0);
    assert_int_equal(reader.total, 5);
    assert_int_equal(reader.calls, 4);
    cp_loop_destroy(&loop);
    close(reader.fd);
}

static void
test_loop_watch(void **state)
{
    zsock_t *a, *b;
    s_pair("watch", &a, &b);
    watched_t w = { .reader = a };
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, s_watched_loop, &w), 0);
    assert_true(s_until(&w.watch.waiting, true));           //  asleep, nothing to do
    zstr_send(b, "work");
    assert_true(s_until(&w.in_handler, true));
    assert_false(atomic_load(&w.watch.waiting));
    uint64_t stuck_at = atomic_load(&w.watch.progress);
    zclock_sleep(20);                                       //  it is stuck: nothing may move
    assert_int_equal(atomic_load(&w.watch.progress), stuck_at);
    assert_false(atomic_load(&w.watch.waiting));
    atomic_store(&w.release, true);
    assert_true(s_until(&w.watch.waiting, true));
    assert_true(atomic_load(&w.watch.progress) > stuck_at);
    zstr_send(b, "end");
    pthread_join(thread, NULL);
    zsock_destroy(&a);
    zsock_destroy(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_before_and_burst),
        cmocka_unit_test(test_reader_other_thread),
        cmocka_unit_test(test_send_and_touch),
        cmocka_unit_test(test_timers),
        cmocka_unit_test(test_empty_loop_returns),
        cmocka_unit_test(test_reader_swap_in_handler),
        cmocka_unit_test(test_poller_other_thread),
        cmocka_unit_test(test_poller_send_and_touch),
        cmocka_unit_test(test_loop_watch),
        cmocka_unit_test(test_fd_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
