/* log.c — see log.h. Lines are written with one write(2) each so that
 * threads never interleave inside a line. The persistent log is the
 * second piece of process-wide state: set up once by main, then only
 * used under its mutex. */
#include "supervisor/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static atomic_int s_level = CP_LOG_INFO;

static struct {
    pthread_mutex_t lock;
    atomic_bool on;
    int fd;
    size_t file_bytes;              //  the bound of one file
    char dir[PATH_MAX];
} s_file = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

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

int
cp_log_open_file(const char *dir, size_t max_bytes)
{
    pthread_mutex_lock(&s_file.lock);
    snprintf(s_file.dir, sizeof(s_file.dir), "%s", dir);
    s_file.file_bytes = max_bytes / CP_LOG_FILES > 4096 ? max_bytes / CP_LOG_FILES : 4096;
    int rc = (mkdir(dir, 0750) == 0 || errno == EEXIST) ? s_file_reopen() : -1;
    atomic_store(&s_file.on, rc == 0);
    pthread_mutex_unlock(&s_file.lock);
    return rc;
}

void
cp_log_close_file(void)
{
    pthread_mutex_lock(&s_file.lock);
    atomic_store(&s_file.on, false);
    if (s_file.fd >= 0)
        close(s_file.fd);
    s_file.fd = -1;
    pthread_mutex_unlock(&s_file.lock);
}

//  The current file is full: shift the others down, under an flock so
//  that of several processes only one rotates; one that finds the file
//  already replaced just follows it.
static void
s_file_rotate(void)
{
    int old = s_file.fd;
    if (flock(old, LOCK_EX) != 0)
        return;
    char path[PATH_MAX + 32];
    s_file_path(0, path, sizeof(path));
    struct stat mine, current;
    bool replaced = fstat(old, &mine) != 0 || stat(path, &current) != 0 || mine.st_ino != current.st_ino;
    if (!replaced && (size_t) mine.st_size >= s_file.file_bytes) {
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

static void
s_file_write(const char *line, size_t len)
{
    if (!atomic_load(&s_file.on))
        return;
    pthread_mutex_lock(&s_file.lock);
    struct stat st;
    if (s_file.fd >= 0 && fstat(s_file.fd, &st) == 0
        && (st.st_nlink == 0 || (size_t) st.st_size + len > s_file.file_bytes))
        s_file_rotate();
    if (s_file.fd >= 0) {
        ssize_t rc = write(s_file.fd, line, len);
        (void) rc;
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
