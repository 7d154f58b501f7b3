/* log.c — see log.h. Lines go to stderr with one write(2) each so that
 * threads never interleave inside a line. The persistent log is the
 * second piece of process-wide state: set up once by main, fed under its
 * mutex, written by its own thread (a disk that stalls stalls only it). */
#include "supervisor/log.h"

#include <sys/prctl.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static atomic_int s_level = CP_LOG_INFO;

//  Lines wait in a ring for the writer thread, which alone owns the file:
//  a log call costs a copy under a mutex and never waits for the disk, so
//  a frozen or failing file system (the storage probe's case) cannot stall
//  the threads that log. When the ring is full a line is dropped and
//  counted; the writer notes the count in the file when it catches up.
#define LOG_RING_BYTES  (64 * 1024)
#define LOG_CLOSE_WAIT_MS 2000

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;            //  lines queued, or stop
    pthread_cond_t drained;         //  the writer found the ring empty
    atomic_bool on;
    bool stop;
    bool writing;                   //  the writer holds a chunk
    char ring[LOG_RING_BYTES];
    size_t head, used;              //  first queued byte, bytes queued
    size_t dropped;                 //  lines dropped since the last note
    pthread_t writer;
    //  Owned by the writer thread once it runs.
    int fd;
    size_t file_bytes;              //  the bound of one file
    char dir[PATH_MAX];
} s_file = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
             .drained = PTHREAD_COND_INITIALIZER, .fd = -1 };

static void
s_file_path(int index, char *out, size_t size)
{
    if (index == 0)
        snprintf(out, size, "%s/%s", s_file.dir, CP_LOG_FILE_NAME);
    else
        snprintf(out, size, "%s/%s.%d", s_file.dir, CP_LOG_FILE_NAME, index);
}

static int
s_file_reopen(void)
{
    char path[PATH_MAX + 32];
    s_file_path(0, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    if (s_file.fd >= 0)
        close(s_file.fd);
    s_file.fd = fd;
    return 0;
}

//  The current file cannot take len more bytes: shift the others down,
//  under an flock so that of several processes only one rotates; one that
//  finds the file already replaced just follows it.
static void
s_file_rotate(size_t len)
{
    int old = s_file.fd;
    if (flock(old, LOCK_EX) != 0)
        return;
    char path[PATH_MAX + 32];
    s_file_path(0, path, sizeof(path));
    struct stat mine, current;
    bool replaced = fstat(old, &mine) != 0 || stat(path, &current) != 0 || mine.st_ino != current.st_ino;
    if (!replaced && (size_t) mine.st_size + len > s_file.file_bytes) {
        for (int i = CP_LOG_FILES - 1; i >= 1; i--) {
            char from[PATH_MAX + 32], to[PATH_MAX + 32];
            s_file_path(i - 1, from, sizeof(from));
            s_file_path(i, to, sizeof(to));
            rename(from, to);       //  a missing older file is fine
        }
    }
    s_file.fd = -1;
    if (s_file_reopen() != 0)
        s_file.fd = old;            //  keep writing where we can
    flock(old, LOCK_UN);
    if (s_file.fd != old)
        close(old);
}

//  Append whole lines with one write(2), so that in --split the lines of
//  several processes never interleave inside a line.
static void
s_file_append(const char *lines, size_t len)
{
    struct stat st;
    if (s_file.fd >= 0 && fstat(s_file.fd, &st) == 0 && S_ISREG(st.st_mode)
        && (st.st_nlink == 0 || (size_t) st.st_size + len > s_file.file_bytes))
        s_file_rotate(len);
    if (s_file.fd >= 0) {
        ssize_t rc = write(s_file.fd, lines, len);
        (void) rc;
    }
}

//  Take the queued lines out of the ring, at most max bytes and never half
//  a line. Called with the lock held.
static size_t
s_ring_take(char *out, size_t max)
{
    size_t n = s_file.used < max ? s_file.used : max;
    for (size_t i = 0; i < n; i++)
        out[i] = s_file.ring[(s_file.head + i) % LOG_RING_BYTES];
    while (n > 0 && out[n - 1] != '\n')
        n--;                        //  only when max cut a line short
    if (n == 0 && s_file.used > 0) {
        //  One line longer than max (cannot happen: lines are < 2 KB).
        n = s_file.used < max ? s_file.used : max;
    }
    s_file.head = (s_file.head + n) % LOG_RING_BYTES;
    s_file.used -= n;
    return n;
}

static void *
s_writer(void *arg)
{
    (void) arg;
    prctl(PR_SET_NAME, "log-writer");     //  top -H, perf
    //  A chunk never exceeds a quarter of one file, so a rotation keeps
    //  every file within its bound.
    size_t max = s_file.file_bytes / 4 < LOG_RING_BYTES ? s_file.file_bytes / 4 : LOG_RING_BYTES;
    char *chunk = malloc(max);
    pthread_mutex_lock(&s_file.lock);
    while (chunk) {
        while (s_file.used == 0 && s_file.dropped == 0 && !s_file.stop) {
            pthread_cond_broadcast(&s_file.drained);
            pthread_cond_wait(&s_file.wake, &s_file.lock);
        }
        if (s_file.used == 0 && s_file.dropped == 0)
            break;                  //  stopping, and everything is written
        size_t dropped = s_file.dropped;
        s_file.dropped = 0;
        size_t len = s_ring_take(chunk, max);
        s_file.writing = true;
        pthread_mutex_unlock(&s_file.lock);
        if (dropped > 0) {
            char note[160];
            int n = snprintf(note, sizeof(note),
                             "%zu log line%s dropped: the log's storage did not keep up\n",
                             dropped, dropped == 1 ? " was" : "s were");
            s_file_append(note, (size_t) n);
        }
        if (len > 0)
            s_file_append(chunk, len);
        pthread_mutex_lock(&s_file.lock);
        s_file.writing = false;
    }
    pthread_cond_broadcast(&s_file.drained);
    pthread_mutex_unlock(&s_file.lock);
    free(chunk);
    return NULL;
}

int
cp_log_open_file(const char *dir, size_t max_bytes)
{
    assert(!atomic_load(&s_file.on));
    snprintf(s_file.dir, sizeof(s_file.dir), "%s", dir);
    s_file.file_bytes = max_bytes / CP_LOG_FILES > 4096 ? max_bytes / CP_LOG_FILES : 4096;
    if ((mkdir(dir, 0750) != 0 && errno != EEXIST) || s_file_reopen() != 0)
        return -1;
    s_file.stop = false;
    s_file.head = s_file.used = s_file.dropped = 0;
    int rc = pthread_create(&s_file.writer, NULL, s_writer, NULL);
    if (rc != 0) {
        close(s_file.fd);
        s_file.fd = -1;
        errno = rc;
        return -1;
    }
    atomic_store(&s_file.on, true);
    static atomic_bool registered;
    if (!atomic_exchange(&registered, true))
        atexit(cp_log_close_file);  //  a normal exit writes what is queued
    return 0;
}

void
cp_log_close_file(void)
{
    if (!atomic_exchange(&s_file.on, false))
        return;
    //  Let the writer finish what is queued, but not forever: a file
    //  system that does not come back must not keep a restart waiting.
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += LOG_CLOSE_WAIT_MS / 1000;
    pthread_mutex_lock(&s_file.lock);
    s_file.stop = true;
    pthread_cond_signal(&s_file.wake);
    int rc = 0;
    while (rc == 0 && (s_file.used > 0 || s_file.writing))
        rc = pthread_cond_timedwait(&s_file.drained, &s_file.lock, &deadline);
    bool drained = s_file.used == 0 && !s_file.writing;
    pthread_mutex_unlock(&s_file.lock);
    if (drained) {
        pthread_join(s_file.writer, NULL);
        close(s_file.fd);
        s_file.fd = -1;
    }
    else
        pthread_detach(s_file.writer);  //  stuck in write(2): it keeps its fd
}

static void
s_file_write(const char *line, size_t len)
{
    if (!atomic_load(&s_file.on))
        return;
    pthread_mutex_lock(&s_file.lock);
    if (s_file.stop)
        ;                           //  closing: the line went to stderr only
    else if (LOG_RING_BYTES - s_file.used < len)
        s_file.dropped++;
    else {
        size_t tail = (s_file.head + s_file.used) % LOG_RING_BYTES;
        size_t first = LOG_RING_BYTES - tail < len ? LOG_RING_BYTES - tail : len;
        memcpy(s_file.ring + tail, line, first);
        memcpy(s_file.ring, line + first, len - first);
        s_file.used += len;
        pthread_cond_signal(&s_file.wake);
    }
    pthread_mutex_unlock(&s_file.lock);
}
static const char *const s_names[] = { "error", "warn", "info", "debug" };

void cp_log_set_level(cp_log_level_t level) { atomic_store(&s_level, (int) level); }
cp_log_level_t cp_log_get_level(void) { return (cp_log_level_t) atomic_load(&s_level); }

int
cp_log_parse_level(const char *name, cp_log_level_t *level)
{
    for (int i = 0; i <= CP_LOG_DEBUG; i++) {
        if (name && strcmp(name, s_names[i]) == 0) {
            *level = (cp_log_level_t) i;
            return 0;
        }
    }
    return -1;
}

void
cp_log(cp_log_level_t level, const char *component, const char *fmt, ...)
{
    if ((int) level > atomic_load(&s_level))
        return;
    char line[2048];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %-11s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (long) (tv.tv_usec / 1000), s_names[level], component);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t) n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t) n + (m < 0 ? 0 : (size_t) m);
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    ssize_t rc = write(STDERR_FILENO, line, len);
    (void) rc;
    s_file_write(line, len);
}

void
cp_log_redact_url(const char *url, char *out, size_t out_size)
{
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    const char *slash = strchr(host, '/');
    const char *at = strchr(host, '@');
    if (at && (!slash || at < slash))
        snprintf(out, out_size, "%.*s***%s", (int) (host - url), url, at);
    else
        snprintf(out, out_size, "%s", url);
}

int
cp_refuse(char *reason, size_t size, const char *fmt, ...)
{
    if (reason && size > 0) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(reason, size, fmt, args);
        va_end(args);
    }
    return -1;
}
