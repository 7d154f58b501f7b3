/* test_log.c — the persistent log (supervisor/log.h): lines reach the file
 * in order with UTC timestamps; rotation keeps every file within its share
 * of the bound and the total within the bound; and a log whose storage
 * stops taking writes never stalls the threads that log: lines beyond the
 * ring are dropped and counted, the count is noted once the storage takes
 * writes again, and closing gives up after its bounded wait. The stalled
 * storage is a FIFO nobody reads (a write(2) that blocks, as on a frozen
 * file system); alarm() turns a stalled log call into a failed test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include "supervisor/log.h"
#include "bench.h"

//  Log lines without echoing them to the test's stderr.
static int s_stderr = -1;

static void
s_mute(void)
{
    fflush(stderr);
    s_stderr = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, STDERR_FILENO);
    close(null);
}

static void
s_unmute(void)
{
    dup2(s_stderr, STDERR_FILENO);
    close(s_stderr);
}

//  The whole file, or NULL when it does not exist.
static char *
s_slurp(const char *path, size_t *size)
{
    FILE *file = fopen(path, "r");
    if (!file)
        return NULL;
    fseek(file, 0, SEEK_END);
    long len = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *text = calloc(1, (size_t) len + 1);
    size_t got = fread(text, 1, (size_t) len, file);
    fclose(file);
    if (size)
        *size = got;
    return text;
}

static void
test_lines_reach_the_file(void **state)
{
    (void) state;
    char dir[64];
    bench_state_dir(dir, sizeof(dir), "log");
    assert_int_equal(cp_log_open_file(dir, CP_LOG_FILE_BYTES), 0);
    s_mute();
    for (int i = 0; i < 100; i++)
        cp_info("test", "line %d", i);
    cp_debug("test", "below the level");
    cp_log_close_file();
    s_unmute();
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, CP_LOG_FILE_NAME);
    char *text = s_slurp(path, NULL);
    assert_non_null(text);
    //  every line, in order, each with a UTC timestamp
    char *cursor = text;
    for (int i = 0; i < 100; i++) {
        char want[32];
        snprintf(want, sizeof(want), "line %d\n", i);
        char *at = strstr(cursor, want);
        assert_non_null(at);
        char *start = at;
        while (start > text && start[-1] != '\n')
            start--;
        assert_int_equal(start[4], '-');
        assert_non_null(memchr(start, 'Z', (size_t) (at - start)));
        cursor = at + strlen(want);
    }
    assert_null(strstr(text, "below the level"));
    free(text);
    bench_state_dir_remove(dir);
}

static void
test_rotation_keeps_the_bound(void **state)
{
    (void) state;
    char dir[64];
    bench_state_dir(dir, sizeof(dir), "logrot");
    size_t bound = 4 * 4096;
    assert_int_equal(cp_log_open_file(dir, bound), 0);
    s_mute();
    char filler[120];
    memset(filler, 'x', sizeof(filler) - 1);
    filler[sizeof(filler) - 1] = '\0';
    //  48 KB: three times the bound, within the ring (nothing dropped)
    for (int i = 0; i < 300; i++)
        cp_info("test", "%s %d", filler, i);
    cp_log_close_file();
    s_unmute();
    size_t total = 0;
    for (int i = 0; i <= CP_LOG_FILES; i++) {
        char path[128];
        if (i == 0)
            snprintf(path, sizeof(path), "%s/%s", dir, CP_LOG_FILE_NAME);
        else
            snprintf(path, sizeof(path), "%s/%s.%d", dir, CP_LOG_FILE_NAME, i);
        size_t size = 0;
        char *text = s_slurp(path, &size);
        if (i == CP_LOG_FILES) {
            assert_null(text);          //  never a fifth file
            break;
        }
        assert_non_null(text);
        bool within = size <= bound / CP_LOG_FILES;
        bool newest = i != 0 || strstr(text, " 299\n");     //  the newest is current
        free(text);
        assert_true(within);
        assert_true(newest);
        total += size;
    }
    assert_true(total <= bound);
    bench_state_dir_remove(dir);
}

static void
s_alarm(int signo)
{
    (void) signo;
    static const char message[] = "test_log: a log call stalled on the storage\n";
    ssize_t rc = write(s_stderr >= 0 ? s_stderr : STDERR_FILENO, message, sizeof(message) - 1);
    (void) rc;
    _exit(1);
}

static void
test_stalled_storage_never_stalls_a_caller(void **state)
{
    (void) state;
    char dir[64];
    bench_state_dir(dir, sizeof(dir), "logfifo");
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, CP_LOG_FILE_NAME);
    assert_int_equal(mkfifo(path, 0600), 0);
    int reader = open(path, O_RDONLY | O_NONBLOCK);
    assert_true(reader >= 0);
    assert_int_equal(cp_log_open_file(dir, CP_LOG_FILE_BYTES), 0);
    signal(SIGALRM, s_alarm);
    s_mute();
    alarm(20);
    //  1 MB of lines into a pipe nobody reads (64 KB) and a 64 KB ring
    char filler[200];
    memset(filler, 'y', sizeof(filler) - 1);
    filler[sizeof(filler) - 1] = '\0';
    for (int i = 0; i < 5000; i++)
        cp_info("test", "%s %d", filler, i);
    alarm(0);
    s_unmute();
    //  the storage comes back: what was kept arrives, then the note, then
    //  what is logged from then on
    int flags = fcntl(reader, F_GETFL);
    fcntl(reader, F_SETFL, flags & ~O_NONBLOCK);
    size_t cap = 4 * 1024 * 1024, len = 0;
    char *got = calloc(1, cap + 1);
    bool logged = false;
    while (len < cap && !strstr(got, "the storage is back\n")) {
        ssize_t n = read(reader, got + len, cap - len);
        assert_true(n > 0);
        len += (size_t) n;
        got[len] = '\0';
        if (!logged && strstr(got, "dropped")) {
            cp_info("test", "the storage is back");
            logged = true;
        }
    }
    //  the note counts whole lines; the ones kept are whole and in order
    char *note = strstr(got, "log lines were dropped: the log's storage did not keep up\n");
    assert_non_null(note);
    while (note > got && note[-1] != '\n')
        note--;
    long dropped = strtol(note, NULL, 10);
    assert_true(dropped > 0 && dropped < 5000);
    assert_non_null(strstr(got, " 0\n"));
    free(got);
    //  close while the storage is stalled again: bounded, then it gives up
    fcntl(reader, F_SETFL, flags);
    s_mute();
    for (int i = 0; i < 2000; i++)
        cp_info("test", "%s %d", filler, i);
    alarm(20);
    cp_log_close_file();
    alarm(0);
    s_unmute();
    //  the detached writer gets EPIPE and ends (SIGPIPE is ignored here)
    close(reader);
    bench_state_dir_remove(dir);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_reach_the_file),
        cmocka_unit_test(test_rotation_keeps_the_bound),
        //  last: it leaves the writer thread of a stalled log detached
        cmocka_unit_test(test_stalled_storage_never_stalls_a_caller),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
