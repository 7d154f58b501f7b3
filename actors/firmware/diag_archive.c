/* diag_archive.c — see diag_archive.h. The tar format is POSIX ustar,
 * written by hand (a 512-byte header per member, data padded to 512, two
 * zero blocks at the end): three members do not justify a library.
 */
#define _GNU_SOURCE             //  timegm
#include "actors/firmware/diag_archive.h"

#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "supervisor/log.h"

#define CONTROL_TIMEOUT_MS 3000

int64_t
diag_archive_line_ms(const char *line)
{
    //  YYYY-MM-DDTHH:MM:SS.mmmZ
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    for (size_t i = 0; i < sizeof(shape) - 1; i++) {
        char c = line[i];
        if (shape[i] == 'd' ? (c < '0' || c > '9') : c != shape[i])
            return -1;
    }
    struct tm tm = { 0 };
    tm.tm_year = atoi(line) - 1900;
    tm.tm_mon = atoi(line + 5) - 1;
    tm.tm_mday = atoi(line + 8);
    tm.tm_hour = atoi(line + 11);
    tm.tm_min = atoi(line + 14);
    tm.tm_sec = atoi(line + 17);
    time_t t = timegm(&tm);
    return (int64_t) t * 1000 + atoi(line + 20);
}

bool
diag_archive_in_window(const char *line, int64_t start_ms, int64_t stop_ms, bool previous)
{
    int64_t ms = diag_archive_line_ms(line);
    if (ms < 0)
        return previous;
    return ms >= start_ms && ms <= stop_ms;
}

void
diag_archive_scrub(char *line, size_t size, const char secrets[][DIAG_SECRET_MAX + 1], int count)
{
    for (int i = 0; i < count; i++) {
        size_t len = strlen(secrets[i]);
        if (len == 0)
            continue;
        char *hit;
        char *from = line;
        while ((hit = strstr(from, secrets[i])) != NULL) {
            //  "***" is never longer than a secret of 3+ bytes; for a
            //  shorter one the line may grow, within size.
            size_t tail = strlen(hit + len);
            if ((size_t) (hit - line) + 3 + tail + 1 > size)
                break;
            memmove(hit + 3, hit + len, tail + 1);
            memcpy(hit, "***", 3);
            from = hit + 3;
        }
    }
}

//  --------------------------------------------------------------------------
//  ustar through zlib

static void
s_octal(char *field, size_t size, unsigned long long value)
{
    snprintf(field, size, "%0*llo", (int) size - 1, value);
}

static int
s_tar_header(gzFile gz, const char *name, unsigned long long size, time_t mtime)
{
    char h[512];
    memset(h, 0, sizeof(h));
    snprintf(h, 100, "%s", name);
    s_octal(h + 100, 8, 0644);
    s_octal(h + 108, 8, 0);
    s_octal(h + 116, 8, 0);
    s_octal(h + 124, 12, size);
    s_octal(h + 136, 12, (unsigned long long) mtime);
    memset(h + 148, ' ', 8);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    unsigned sum = 0;
    for (size_t i = 0; i < sizeof(h); i++)
        sum += (unsigned char) h[i];
    snprintf(h + 148, 8, "%06o", sum);
    h[155] = ' ';
    return gzwrite(gz, h, sizeof(h)) == (int) sizeof(h) ? 0 : -1;
}

static int
s_tar_pad(gzFile gz, unsigned long long size)
{
    static const char zeros[512];
    size_t pad = (512 - size % 512) % 512;
    return pad == 0 || gzwrite(gz, zeros, (unsigned) pad) == (int) pad ? 0 : -1;
}

static int
s_tar_text(gzFile gz, const char *name, const char *text, time_t now)
{
    size_t len = strlen(text);
    if (s_tar_header(gz, name, len, now) != 0 || (len && gzwrite(gz, text, (unsigned) len) != (int) len))
        return -1;
    return s_tar_pad(gz, len);
}

static int
s_tar_file(gzFile gz, const char *name, FILE *file, time_t now)
{
    struct stat st;
    if (fstat(fileno(file), &st) != 0 || fseek(file, 0, SEEK_SET) != 0)
        return -1;
    if (s_tar_header(gz, name, (unsigned long long) st.st_size, now) != 0)
        return -1;
    char buf[16384];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), file)) > 0)
        if (gzwrite(gz, buf, (unsigned) n) != (int) n)
            return -1;
    return s_tar_pad(gz, (unsigned long long) st.st_size);
}

//  --------------------------------------------------------------------------
//  Contents

//  The window's lines of every log file, oldest first, into out.
static void
s_log_lines(const diag_archive_spec_t *spec, FILE *out)
{
    if (!spec->log_dir[0])
        return;
    for (int i = CP_LOG_FILES - 1; i >= 0; i--) {
        char path[PATH_MAX + 64];
        if (i == 0)
            snprintf(path, sizeof(path), "%s/%s", spec->log_dir, CP_LOG_FILE_NAME);
        else
            snprintf(path, sizeof(path), "%s/%s.%d", spec->log_dir, CP_LOG_FILE_NAME, i);
        FILE *in = fopen(path, "r");
        if (!in)
            continue;
        char line[4096];
        bool in_window = false;
        while (fgets(line, sizeof(line), in)) {
            in_window = diag_archive_in_window(line, spec->start_ms, spec->stop_ms, in_window);
            if (!in_window)
                continue;
            diag_archive_scrub(line, sizeof(line), spec->secrets, DIAG_SECRETS_MAX);
            fputs(line, out);
        }
        fclose(in);
    }
}

//  Ask the controller's control endpoint, as cpctl does. A JSON text, or
//  a JSON object saying why there is none.
static char *
s_control(const diag_archive_spec_t *spec, const char *cmd, const char *arg)
{
    char *answer = NULL;
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    if (sock) {
        zsock_set_linger(sock, 0);
        zsock_set_rcvtimeo(sock, CONTROL_TIMEOUT_MS);
        zsock_set_sndtimeo(sock, CONTROL_TIMEOUT_MS);
    }
    if (sock && zsock_connect(sock, "%s", spec->control) == 0) {
        zmsg_t *req = zmsg_new();
        zmsg_addstr(req, cmd);
        if (arg)
            zmsg_addstr(req, arg);
        zmsg_t *reply = zmsg_send(&req, sock) == 0 ? zmsg_recv(sock) : NULL;
        zmsg_destroy(&req);
        char *code = reply ? zmsg_popstr(reply) : NULL;
        char *text = reply ? zmsg_popstr(reply) : NULL;
        if (code && streq(code, "0") && text)
            answer = strdup(text);
        zstr_free(&code);
        zstr_free(&text);
        zmsg_destroy(&reply);
    }
    zsock_destroy(&sock);
    if (!answer)
        answer = strdup("{\"error\": \"the controller did not answer\"}\n");
    return answer;
}

int
diag_archive_build(const diag_archive_spec_t *spec, const char *path, char *reason, size_t reason_size)
{
    if (spec->security_log[0]) {
        FILE *events = fopen(spec->security_log, "r");
        if (!events)
            return cp_refuse(reason, reason_size, "cannot read %s: %s", spec->security_log, strerror(errno));
        gzFile gz = gzopen(path, "wb6");
        int rc = gz ? s_tar_file(gz, "securitylog.txt", events, time(NULL)) : -1;
        if (rc == 0) {
            static const char end[1024];
            rc = gzwrite(gz, end, sizeof(end)) == (int) sizeof(end) ? 0 : -1;
        }
        if (gz && gzclose(gz) != Z_OK)
            rc = -1;
        fclose(events);
        if (rc != 0) {
            unlink(path);
            return cp_refuse(reason, reason_size, "cannot build the security log archive at %s", path);
        }
        return 0;
    }
    char lines_path[PATH_MAX + 16];
    snprintf(lines_path, sizeof(lines_path), "%s.lines", path);
    FILE *lines = fopen(lines_path, "w+");
    if (!lines)
        return cp_refuse(reason, reason_size, "cannot write %s: %s", lines_path, strerror(errno));
    unlink(lines_path);             //  the open file is all we need
    s_log_lines(spec, lines);
    fflush(lines);
    char *status = s_control(spec, "status", NULL);
    char *config = s_control(spec, "config", "get");
    time_t now = time(NULL);
    gzFile gz = gzopen(path, "wb6");
    int rc = gz ? 0 : -1;
    if (rc == 0)
        rc = s_tar_file(gz, "log.txt", lines, now);
    if (rc == 0)
        rc = s_tar_text(gz, "status.json", status ? status : "{}", now);
    if (rc == 0)
        rc = s_tar_text(gz, "configuration.json", config ? config : "{}", now);
    if (rc == 0) {
        static const char end[1024];
        rc = gzwrite(gz, end, sizeof(end)) == (int) sizeof(end) ? 0 : -1;
    }
    if (gz && gzclose(gz) != Z_OK)
        rc = -1;
    fclose(lines);
    free(status);
    free(config);
    if (rc != 0) {
        unlink(path);
        return cp_refuse(reason, reason_size, "cannot build the diagnostics archive at %s", path);
    }
    return 0;
}
