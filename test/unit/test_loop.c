/* test_loop.c — the actors' event loop (supervisor/loop.c).
 *
 * What the actors rely on: every message on a reader reaches its handler
 * exactly once, in order, however it arrives (before the loop starts, in a
 * burst, from another thread while the loop sleeps, on a socket the loop
 * itself just sent on); timers fire on time, the given number of times,
 * and can be ended from anywhere, their own handler included; a handler
 * returning -1 ends the loop. Messages from another thread are the real
 * case (the supervisor, the bus): each wait is bounded by a timer that
 * ends the loop and fails the test, never by a sleep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <pthread.h>
#include <string.h>
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
