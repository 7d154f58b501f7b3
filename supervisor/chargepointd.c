/* chargepointd.c — main: parse options, take the state dir, check the
 * durable store, create the hardware driver and run the supervisor.
 *
 * Exit codes: 0 clean shutdown (SIGTERM/SIGINT); 1 escalation by the
 * supervisor (restart intensity exceeded, actor stuck) — systemd's
 * Restart=always brings the controller back from the durable store;
 * 2 bad usage or configuration, state dir in use, corrupt store.
 */
#define _GNU_SOURCE             //  explicit_bzero
#include <czmq.h>
#include <sqlite3.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "actors/auth/auth_cache.h"
#include "actors/auth/local_list.h"
#include "actors/config/config_store.h"
#include "actors/firmware/firmware_store.h"
#include "actors/ocpp/ocpp_actor.h"
#include "actors/security/security_store.h"
#include "actors/smartcharging/profile_store.h"
#include "actors/transaction/outbox.h"
#include "actors/transaction/transaction_actor.h"
#include "actors/transaction/tx_store.h"
#include "gateway/httpd.h"
#include "gateway/wsclient.h"
#include "hw/board/board_link.h"
#include "hw/board/board_proto.h"
#include "supervisor/actor_proc.h"
#include "supervisor/clock.h"
#include "supervisor/control.h"
#include "supervisor/log.h"
#include "supervisor/options.h"
#include "supervisor/secret_args.h"
#include "supervisor/store.h"
#include "supervisor/supervisor.h"

static int
s_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0750) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(buf, 0750) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

//  Take --password out of the command line (see secret_args.h): wiped from
//  what ps shows, and options->argv (what --split and a Hard reset run
//  again) replaced by a copy without it; the password travels on in
//  CHARGEPOINTD_PASSWORD. Returns 0, or -1 with err.
static int
s_hide_password(cp_options_t *options, char *err, size_t err_size)
{
    char **args = NULL;
    int count = 0;
    int removed = cp_secret_args_strip(options->argc, options->argv, &args, &count);
    if (removed < 0) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    if (removed > 0 && setenv("CHARGEPOINTD_PASSWORD", options->password, 1) != 0) {
        snprintf(err, err_size, "cannot pass the password on: %s", strerror(errno));
        free(args);
        return -1;
    }
    if (removed > 0) {
        //  The command line wins over the config file, the environment
        //  does not: a config file with another password would win in the
        //  processes started later. Refuse that now rather than switch
        //  keys at the next Hard reset.
        cp_options_t *again = calloc(1, sizeof(*again));
        char ignored[256];
        bool same = again && cp_options_parse(again, count, args, ignored, sizeof(ignored)) == 0
                 && strcmp(again->password, options->password) == 0;
        if (again)
            explicit_bzero(again->password, sizeof(again->password));
        free(again);
        if (!same) {
            snprintf(err, err_size, "--password differs from the password in the config file %.300s: "
                     "give it in one place", options->config_file);
            free(args);
            return -1;
        }
    }
    options->argv = args;
    options->argc = count;
    return 0;
}

//  One controller per state dir: an exclusive lock held for the process
//  lifetime (released by the kernel even after kill -9).
static int
s_lock_state_dir(const char *dir, char *err, size_t err_size)
{
    char path[PATH_MAX + 8];
    if (snprintf(path, sizeof(path), "%s/lock", dir) >= (int) sizeof(path)) {
        snprintf(err, err_size, "state dir path too long");
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, err_size, "cannot open %.300s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, err_size, "state dir %.250s is in use by another chargepointd (lock %.250s/lock held)",
                 dir, dir);
        close(fd);
        return -1;
    }
    char pid[32];
    int len = snprintf(pid, sizeof(pid), "%d\n", (int) getpid());
    if (ftruncate(fd, 0) != 0 || write(fd, pid, (size_t) len) != len)
        cp_warn("main", "cannot record pid in %s", path);
    return fd;
}

//  The persistent, bounded log beside stderr (log.h): what a person on
//  site reads and GetDiagnostics uploads. Without it logging goes on.
static void
s_open_log_file(const cp_options_t *options)
{
    char dir[PATH_MAX + 8];
    snprintf(dir, sizeof(dir), "%s/%s", options->state_dir, CP_LOG_DIR_NAME);
    if (cp_log_open_file(dir, CP_LOG_FILE_BYTES) != 0)
        cp_warn("main", "no persistent log in %s: %s", dir, strerror(errno));
}

//  Every store's tables, in one transaction before any actor starts: on a
//  first start one sync instead of one per store, each taken by an actor
//  while the others wait for the write lock (issue 12); at every start
//  the actors then find their tables and only read. Each store still owns
//  its schema (and creates it when opened on its own).
static int
s_make_tables(sqlite3 *db)
{
    const char *schemas[] = {
        auth_cache_schema(), local_list_schema(), firmware_store_schema(), ocpp_actor_schema(),
        security_store_schema(), sc_store_schema(), outbox_schema(), tx_store_schema(),
    };
    size_t count = sizeof(schemas) / sizeof(schemas[0]);
    size_t size = 1;
    for (size_t i = 0; i < count; i++)
        size += strlen(schemas[i]);
    char *sql = malloc(size);
    if (!sql)
        return -1;
    sql[0] = '\0';
    for (size_t i = 0; i < count; i++)
        strcat(sql, schemas[i]);
    int rc = cp_store_schema(db, sql);
    free(sql);
    return rc;
}

//  Start the simulated board beside this executable unless one runs.
static int
s_start_board(const cp_options_t *options, char *err, size_t err_size)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len <= 0) {
        snprintf(err, err_size, "cannot find my own executable to start the board beside it");
        return -1;
    }
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    char program[PATH_MAX + 32];
    snprintf(program, sizeof(program), "%.*s/%s", (int) (slash - exe), exe, BOARD_PROGRAM);
    int rc = hw_board_ensure(options->state_dir, options->connectors, program, err, err_size);
    if (rc == 0)
        cp_info("main", "simulated board started (%s)", program);
    return rc < 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
    static cp_options_t options;    //  lives for the whole process
    char err[1024] = "";
    int rc = cp_options_parse(&options, argc, argv, err, sizeof(err));
    if (rc == 1)
        return 0;
    if (rc != 0) {
        fprintf(stderr, "chargepointd: %s\n%s", err, cp_options_usage());
        return 2;
    }
    //  SQLite, before its first use: it counts every allocation under one
    //  global mutex unless told not to (a dozen actors opening the store
    //  together queued on it), and gives every connection — about 18 here
    //  — an 87 KB page cache up front; pages are allocated as read instead.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
    //  Two malloc arenas for all threads, set before the first thread
    //  starts. glibc gives each thread that allocates under contention an
    //  arena of its own (up to 8 per core): 15 here, each holding some free
    //  space beside its live data. Two save ~170 kB of VmRSS idle (4.9 ->
    //  4.7 MB anonymous, bench/footprint.mjs) with GetConfiguration round
    //  trips unchanged; one saved no more and cost up to 30 % of calls/s in
    //  some runs (docs/benchmarks.md, "Shared libraries and memory"),
    //  measured while the WebSocket still had a thread of its own beside
    //  the ocpp actor's; not measured again since it runs on that actor's.
    mallopt(M_ARENA_MAX, 2);
    //  The version the last firmware install put in place is what this
    //  process runs: BootNotification reports it (interface.md, --hw sim).
    firmware_store_installed_version(options.state_dir, options.firmware, sizeof(options.firmware));
    if (options.actor[0]) {
        //  Split mode: this process is one actor, started by the supervisor.
        cp_log_set_level((cp_log_level_t) options.log_level);
        s_open_log_file(&options);
        return cp_proc_child_main(&options);
    }
    cp_log_set_level((cp_log_level_t) options.log_level);
    if (s_hide_password(&options, err, sizeof(err)) != 0) {
        fprintf(stderr, "chargepointd: %s\n", err);
        return 2;
    }
    //  A CA bundle that cannot be used is a configuration error to report
    //  now, not a certificate failure on every connection later.
    if (options.ca_file[0] && wsclient_check_ca_file(options.ca_file, err, sizeof(err)) != 0) {
        fprintf(stderr, "chargepointd: %s\n", err);
        return 2;
    }
    if (options.client_cert[0]
    &&  wsclient_check_client_cert(options.client_cert, options.client_key, err, sizeof(err)) != 0) {
        fprintf(stderr, "chargepointd: %s\n", err);
        return 2;
    }
    //  Unique per start, also for a start that re-executes in place (same
    //  pid) within the second: the firmware actor tells a reboot by it.
    struct timespec started;
    clock_gettime(CLOCK_REALTIME, &started);
    snprintf(options.run_id, sizeof(options.run_id), "%x%x%lx", (unsigned) getpid(), (unsigned) started.tv_sec,
             (unsigned long) started.tv_nsec);
    if (s_mkdirs(options.state_dir) != 0) {
        fprintf(stderr, "chargepointd: cannot create state dir %s: %s\n", options.state_dir, strerror(errno));
        return 2;
    }
    int lock_fd = s_lock_state_dir(options.state_dir, err, sizeof(err));
    if (lock_fd < 0) {
        fprintf(stderr, "chargepointd: %s\n", err);
        return 2;
    }
    s_open_log_file(&options);
    if (cp_store_check(options.state_dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "chargepointd: %s\n", err);
        close(lock_fd);
        return 2;
    }
    if (cp_store_restrict_mode(options.state_dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "chargepointd: %s\n", err);
        close(lock_fd);
        return 2;
    }
    //  Seed the configuration store (config file keys on first start, the
    //  start-up password) before any actor reads it: here, once, and
    //  nowhere else (actors, and in --split their processes, only read).
    sqlite3 *db = cp_store_open(options.state_dir, err, sizeof(err));
    if (!db || s_make_tables(db) != 0 || config_store_seed(db, &options) != CONFIG_STORE_OK) {
        fprintf(stderr, "chargepointd: cannot initialise the configuration store%s%s\n", db ? "" : ": ",
                db ? "" : err);
        cp_store_close(&db);
        close(lock_fd);
        return 2;
    }
    //  db stays open until the supervisor's store watch holds a connection
    //  of its own: closed now, as the last connection, it would checkpoint
    //  the WAL and delete it, and the actors' connections would make it
    //  again, all on the way to BootNotification.
    //  The simulated power board is a process of its own (hw/board): start
    //  it when none runs for this state dir, before ZeroMQ starts threads.
    char board_path[PATH_MAX];
    hw_board_socket_path(options.state_dir, board_path, sizeof(board_path));
    if (s_start_board(&options, err, sizeof(err)) != 0) {
        fprintf(stderr, "chargepointd: %s\n", err);
        cp_store_close(&db);
        close(lock_fd);
        return 2;
    }
    //  czmq installs the SIGINT/SIGTERM handler that sets zsys_interrupted.
    zsys_init();
    cp_clock_t *clock = cp_clock_new_system();
    //  In --split the hw process drives the board; here we only watch it
    //  (and power it down at a clean stop).
    hw_driver_t *hw = clock ? hw_board_link_new(board_path, options.split ? BOARD_ROLE_OBSERVER
                                                : BOARD_ROLE_CONTROLLER, clock, err, sizeof(err)) : NULL;
    if (!clock || !hw) {
        fprintf(stderr, "chargepointd: cannot reach the hardware: %s\n", err);
        return 2;
    }
    if (hw->ops->connector_count(hw) != options.connectors) {
        fprintf(stderr, "chargepointd: the board running for %s has %d connector(s), --connectors says %d\n",
                options.state_dir, hw->ops->connector_count(hw), options.connectors);
        return 2;
    }
    //  The meter register never runs below what the controller last billed,
    //  even from a board whose state file lags (killed between two saves).
    double registers[HW_MAX_CONNECTORS + 1] = { 0 };
    transaction_meter_registers(options.state_dir, registers, HW_MAX_CONNECTORS);
    for (int c = 1; c <= options.connectors; c++) {
        char value[64], reason[128];
        snprintf(value, sizeof(value), "%.3f", registers[c]);
        hw->ops->simulate(hw, c, "register", value, reason, sizeof(reason));
    }
    char url[512] = "(disabled)";
    if (options.csms_url[0])
        cp_log_redact_url(options.csms_url, url, sizeof(url));
    cp_info("main", "chargepointd %s starting: id=%s csms=%s connectors=%d state=%s",
            CP_VERSION, options.id[0] ? options.id : "-", url, options.connectors, options.state_dir);
    //  The status page first: a port that is taken is a configuration
    //  error to report before any actor starts. It reaches the supervisor
    //  through the control endpoint, like cpctl, by its in-process twin.
    httpd_t *httpd = NULL;
    if (strcmp(options.http, "off") != 0) {
        httpd_config_t http = { .listen = options.http, .control = CP_CONTROL_INPROC,
                                .sim = strcmp(options.hw, "sim") == 0 };
        httpd = httpd_new(&http, err, sizeof(err));
        if (!httpd) {
            fprintf(stderr, "chargepointd: %s\n", err);
            hw_driver_destroy(&hw);
            cp_clock_destroy(&clock);
            return 2;
        }
    }
    cp_supervisor_t *supervisor = cp_supervisor_new(&options, clock, hw, err, sizeof(err));
    cp_store_close(&db);
    if (!supervisor) {
        fprintf(stderr, "chargepointd: %s\n", err);
        httpd_destroy(&httpd);
        hw_driver_destroy(&hw);
        cp_clock_destroy(&clock);
        return 2;
    }
    cp_supervisor_watch_httpd(supervisor, httpd);
    rc = cp_supervisor_run(supervisor);
    httpd_destroy(&httpd);
    if (rc == CP_EXIT_HARD_RESET) {
        //  Hard Reset: stop everything cleanly, then become a new process
        //  with the same command line (the state dir lock is O_CLOEXEC).
        cp_supervisor_destroy(&supervisor);
        hw_driver_destroy(&hw);
        cp_clock_destroy(&clock);
        close(lock_fd);
        zsys_shutdown();
        cp_info("main", "Hard reset: re-executing");
        cp_log_close_file();
        execv("/proc/self/exe", options.argv);
        fprintf(stderr, "chargepointd: Hard reset failed to re-execute: %s\n", strerror(errno));
        return 1;
    }
    if (rc != 0) {
        //  Escalation: an actor thread may be stuck and cannot be joined.
        //  Everything that matters is already committed to the store.
        cp_error("main", "escalating: exit %d for a clean restart", rc);
        cp_log_close_file();        //  the persistent log gets these last lines
        _exit(rc);
    }
    cp_supervisor_destroy(&supervisor);
    //  A clean stop switches the charger off: the board saves its state
    //  and powers down with it (a crash leaves it running, as on a real
    //  charger, and the session can go on: docs/architecture.md).
    if (hw_board_power_down(hw) != 0)
        cp_warn("main", "the board did not confirm its power-down");
    hw_driver_destroy(&hw);
    cp_clock_destroy(&clock);
    cp_info("main", "stopped (exit %d)", rc);
    close(lock_fd);
    zsys_shutdown();
    free(options.argv);         //  s_hide_password's copy
    return rc;
}
