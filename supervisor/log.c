/* log.c — see log.h. Lines are written with one write(2) each so that
 * threads never interleave inside a line. */
#include "supervisor/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static atomic_int s_level = CP_LOG_INFO;
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
