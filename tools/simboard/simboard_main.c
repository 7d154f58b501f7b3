/* simboard_main.c — chargepoint-simboard: the simulated power board as a
 * program of its own (hw/board/simboard.h), and a small client for it.
 *
 *   chargepoint-simboard --state-dir DIR [--connectors N] [--without-pet-read]   run the board
 *   chargepoint-simboard --state-dir DIR sim N COMMAND [ARG]  drive the car
 *   chargepoint-simboard --state-dir DIR state | power-down
 *
 * The board listens on DIR/board.sock (board_proto.h frames), one board
 * per state dir (DIR/board.lock), logs to stderr (chargepointd sends it to
 * DIR/board.log), and runs until it is powered down (POWER_DOWN frame,
 * SIGTERM, SIGINT) or its state dir disappears (a test removed it: the
 * charger it belonged to is gone). The client commands let a test do what
 * a person at the charger does while the controller is down: unplug the
 * car, look at the contactor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "hw/board/board_link.h"
#include "hw/board/simboard.h"
#include "supervisor/log.h"

#define CLIENTS_MAX 8
#define DIR_CHECK_MS 1000           //  how often the board looks whether its state dir is gone

typedef struct {
    int fd;
    bool controller;
    board_decoder_t decoder;
} client_t;

static volatile sig_atomic_t s_stop;    //  set by the signal handler only

static void
s_on_signal(int sig)
{
    s_stop = 1;
}

static int
s_usage(void)
{
    fprintf(stderr, "usage: chargepoint-simboard --state-dir DIR [--connectors N] [--without-pet-read]\n"
                    "       chargepoint-simboard --state-dir DIR sim N COMMAND [ARG] | state | power-down\n");
    return 2;
}

static void
s_send(client_t *c, const board_frame_t *f)
{
    uint8_t out[BOARD_MAX_FRAME];
    size_t n = board_frame_encode(f->type, f->seq, f->payload, f->len, out, sizeof(out));
    if (n && send(c->fd, out, n, MSG_NOSIGNAL) != (ssize_t) n)
        cp_warn("board", "cannot answer a client: %s", strerror(errno));
}

//  A NOTICE to every controller for each connector that stepped while
//  the controller rests (simboard_notices): it reads them at once instead
//  of asking every 200 ms.
static void
s_notify(simboard_t *board, client_t *clients, int count)
{
    uint32_t stepped = simboard_notices(board);
    for (int n = 1; stepped && n <= HW_MAX_CONNECTORS; n++) {
        if (!(stepped & (1u << (n - 1))))
            continue;
        board_frame_t notice = { .type = BOARD_NOTICE, .seq = BOARD_NOTICE_SEQ, .len = 1 };
        notice.payload[0] = (uint8_t) n;
        for (int i = 0; i < count; i++)
            if (clients[i].controller)
                s_send(&clients[i], &notice);
    }
}

//  Serve one client's bytes. false when it is gone (or the board must stop).
static bool
s_serve(simboard_t *board, client_t *c, bool *power_down)
{
    uint8_t buf[512];
    ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
    if (n <= 0)
        return false;
    size_t taken = 0;
    while (taken < (size_t) n) {
        taken += board_decoder_feed(&c->decoder, buf + taken, (size_t) n - taken);
        board_frame_t req, reply;
        char reason[96];
        int got;
        while ((got = board_decoder_next(&c->decoder, &req, reason, sizeof(reason))) != 0) {
            if (got < 0) {
                //  Answer, so that the sender knows, and resynchronise.
                cp_warn("board", "bad frame from a client: %s", reason);
                simboard_malformed(board, &reply);
                s_send(c, &reply);
                continue;
            }
            bool hello = false;
            simboard_handle(board, &req, &reply, &hello, power_down);
            if (hello)
                c->controller = true;
            s_send(c, &reply);
        }
    }
    return true;
}

static int
s_listen(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(addr.sun_path))
        return -1;
    memcpy(addr.sun_path, path, strlen(path) + 1);
    unlink(path);                   //  a socket left by a board that was killed
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *) &addr, sizeof(addr)) != 0 || listen(fd, 8) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

//  without_pet_read: answer as a board from before PET_READ (simboard.h),
//  to try a controller's fallback by hand or in a test.
static int
s_run(const char *dir, int connectors, bool without_pet_read)
{
    char path[PATH_MAX], lock[PATH_MAX], state[PATH_MAX];
    hw_board_socket_path(dir, path, sizeof(path));
    snprintf(lock, sizeof(lock), "%s/board.lock", dir);
    snprintf(state, sizeof(state), "%s/board.state", dir);
    int lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "chargepoint-simboard: a board already runs for %s\n", dir);
        return 2;
    }
    char pid[32];
    int len = snprintf(pid, sizeof(pid), "%d\n", (int) getpid());
    if (ftruncate(lock_fd, 0) != 0 || write(lock_fd, pid, (size_t) len) != len)
        cp_warn("board", "cannot record the pid in %s", lock);
    cp_clock_t *clock = cp_clock_new_system();
    simboard_t *board = clock ? simboard_new(connectors, clock, state) : NULL;
    int listener = s_listen(path);
    if (!board || listener < 0) {
        fprintf(stderr, "chargepoint-simboard: cannot start on %s: %s\n", path, strerror(errno));
        return 2;
    }
    if (without_pet_read)
        simboard_without_pet_read(board);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, s_on_signal);
    signal(SIGINT, s_on_signal);
    cp_info("board", "simulated board %08x up: %d connector(s), %s", simboard_boot_id(board), connectors, path);
    client_t clients[CLIENTS_MAX];
    int count = 0;
    bool power_down = false;
    int64_t checked = 0;
    while (!s_stop && !power_down) {
        struct pollfd pfds[CLIENTS_MAX + 1];
        pfds[0] = (struct pollfd) { .fd = listener, .events = POLLIN };
        for (int i = 0; i < count; i++)
            pfds[i + 1] = (struct pollfd) { .fd = clients[i].fd, .events = POLLIN };
        //  Asleep until a request or the board's next deadline (the
        //  watchdog's expiry, the state file, the dir check): a fixed
        //  10 ms tick was a hundred wake-ups a second of an idle board,
        //  four times the controller's own idle CPU (issue 12).
        int64_t since_check = cp_clock_mono_ms(clock) - checked;
        int wait = simboard_tick_due_ms(board);
        if (since_check >= DIR_CHECK_MS)
            wait = 0;
        else
        if (DIR_CHECK_MS - since_check < wait)
            wait = (int) (DIR_CHECK_MS - since_check);
        int ready = poll(pfds, (nfds_t) count + 1, wait);
        if (ready > 0 && (pfds[0].revents & POLLIN)) {
            int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0 && count < CLIENTS_MAX) {
                clients[count] = (client_t) { .fd = fd };
                board_decoder_init(&clients[count].decoder);
                count++;
            }
            else
            if (fd >= 0)
                close(fd);                      //  a board serves a handful of clients
        }
        for (int i = count - 1; ready > 0 && i >= 0; i--) {
            if (!(pfds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (!s_serve(board, &clients[i], &power_down)) {
                simboard_client_gone(board, clients[i].controller);
                close(clients[i].fd);
                clients[i] = clients[--count];
            }
        }
        simboard_tick(board);
        s_notify(board, clients, count);
        int64_t now = cp_clock_mono_ms(clock);
        if (now - checked >= DIR_CHECK_MS) {
            checked = now;
            struct stat st;
            if (stat(path, &st) != 0) {
                cp_info("board", "state dir %s is gone: powering off", dir);
                break;
            }
        }
    }
    if (s_stop)
        simboard_save(board, true);
    cp_info("board", "powered down%s", power_down || s_stop ? " cleanly" : "");
    for (int i = 0; i < count; i++)
        close(clients[i].fd);
    close(listener);
    unlink(path);
    simboard_destroy(&board);
    cp_clock_destroy(&clock);
    close(lock_fd);
    return 0;
}

//  The client side: one request to a running board (observer role for
//  "state"; SIM and POWER_DOWN need no HELLO).
static int
s_client(const char *dir, int argc, char **argv)
{
    char path[PATH_MAX], err[256];
    hw_board_socket_path(dir, path, sizeof(path));
    cp_clock_t *clock = cp_clock_new_system();
    hw_driver_t *link = clock ? hw_board_link_new(path, BOARD_ROLE_OBSERVER, clock, err, sizeof(err)) : NULL;
    if (!link) {
        fprintf(stderr, "chargepoint-simboard: %s\n", clock ? err : "out of memory");
        cp_clock_destroy(&clock);
        return 3;
    }
    int rc = 0;
    if (strcmp(argv[0], "sim") == 0 && (argc == 3 || argc == 4)) {
        char reason[128] = "";
        if (link->ops->simulate(link, atoi(argv[1]), argv[2], argc == 4 ? argv[3] : NULL, reason, sizeof(reason)) != 0) {
            fprintf(stderr, "chargepoint-simboard: refused: %s\n", reason);
            rc = 1;
        }
    }
    else
    if (strcmp(argv[0], "power-down") == 0 && argc == 1)
        rc = hw_board_power_down(link) == 0 ? 0 : 1;
    else
    if (strcmp(argv[0], "state") == 0 && argc == 1) {
        hw_link_state_t ls;
        link->ops->link_state(link, &ls);
        printf("{\"bootId\":%u,\"links\":%u,\"continuous\":%s,\"petRead\":%s,\"rttUs\":%lld,\"connectors\":[",
               ls.boot_id, ls.link_gen, ls.continuous ? "true" : "false", ls.pet_read ? "true" : "false",
               (long long) ls.rtt_us);
        for (int n = 1; n <= link->ops->connector_count(link); n++) {
            hw_connector_state_t st;
            if (link->ops->read(link, n, &st) != 0) {
                rc = 1;
                break;
            }
            printf("%s{\"id\":%d,\"plugged\":%s,\"evRequesting\":%s,\"contactor\":%s,\"energyWh\":%.3f,"
                   "\"powerW\":%.1f,\"leftAway\":%s,\"leftWh\":%.3f}", n > 1 ? "," : "", n,
                   st.plugged ? "true" : "false", st.ev_requesting ? "true" : "false",
                   st.contactor_closed ? "true" : "false", st.energy_wh, st.power_w,
                   st.left_away ? "true" : "false", st.left_wh);
        }
        printf("]}\n");
    }
    else
        rc = s_usage();
    hw_driver_destroy(&link);
    cp_clock_destroy(&clock);
    return rc;
}

int
main(int argc, char **argv)
{
    const char *dir = NULL;
    int connectors = 1, i = 1;
    bool without_pet_read = false;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else
        if (strcmp(argv[i], "--connectors") == 0 && i + 1 < argc)
            connectors = atoi(argv[++i]);
        else
        if (strcmp(argv[i], "--without-pet-read") == 0)
            without_pet_read = true;
        else
            return s_usage();
    }
    if (!dir || connectors < 1 || connectors > HW_MAX_CONNECTORS)
        return s_usage();
    if (i < argc)
        return s_client(dir, argc - i, argv + i);
    return s_run(dir, connectors, without_pet_read);
}
