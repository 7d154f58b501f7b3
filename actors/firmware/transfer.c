/* transfer.c — see transfer.h. Everything here runs on the worker thread
 * except transfer_new/destroy/result, which the actor calls; the two
 * share only the spec (copied, read-only) and the cancel flag (atomic).
 */
#include "actors/firmware/transfer.h"

#include <sys/prctl.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "actors/firmware/curl_lib.h"
#include "supervisor/log.h"

#define FW_LOG "firmware"

typedef struct {
    transfer_spec_t spec;
    atomic_bool cancel;
} worker_args_t;

struct _transfer_t {
    zactor_t *actor;
    worker_args_t *args;
    int64_t id;
    transfer_kind_t kind;
};

bool
transfer_location_ok(const char *url)
{
    static const char *const schemes[] = { "http://", "https://", "ftp://", "ftps://" };
    const char *host = NULL;
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]) && !host; i++)
        if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0)
            host = url + strlen(schemes[i]);
    if (!host)
        return false;
    for (const char *p = url; *p; p++)
        if ((unsigned char) *p <= ' ' || *p == 0x7f)
            return false;
    //  A host: something before the path, after any userinfo.
    const char *end = host + strcspn(host, "/?#");
    const char *at = NULL;
    for (const char *p = host; p < end; p++)
        if (*p == '@')
            at = p;
    const char *name = at ? at + 1 : host;
    return name < end && *name != ':';
}

//  --------------------------------------------------------------------------
//  Worker

static int
s_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    worker_args_t *args = arg;
    return atomic_load(&args->cancel) ? 1 : 0;
}

static void
s_common(const curl_lib_t *lib, CURL *curl, worker_args_t *args, char *errbuf)
{
    const transfer_spec_t *spec = &args->spec;
    lib->easy_setopt(curl, CURLOPT_URL, spec->url);
    lib->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);               //  threads: no SIGALRM
    lib->easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    lib->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,ftp,ftps");
    lib->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    lib->easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    lib->easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    lib->easy_setopt(curl, CURLOPT_FAILONERROR, 1L);            //  HTTP >= 400 is a failure
    lib->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long) TRANSFER_CONNECT_S);
    lib->easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    lib->easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, (long) (spec->stall_s > 0 ? spec->stall_s : TRANSFER_STALL_S));
    lib->easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    lib->easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, s_progress);
    lib->easy_setopt(curl, CURLOPT_XFERINFODATA, args);
    lib->easy_setopt(curl, CURLOPT_FTP_USE_EPSV, 1L);           //  passive (EPSV, then PASV)
    if (spec->ca_file[0])
        lib->easy_setopt(curl, CURLOPT_CAINFO, spec->ca_file);
    lib->easy_setopt(curl, CURLOPT_USERAGENT, "chargepointd/" CP_VERSION);
}

static int
s_curl_result(const curl_lib_t *lib, CURL *curl, CURLcode rc, const char *errbuf, const char *what, char *reason, size_t size)
{
    if (rc == CURLE_OK) {
        curl_off_t bytes = 0, us = 0;
        lib->easy_getinfo(curl, strcmp(what, "download") == 0 ? CURLINFO_SIZE_DOWNLOAD_T : CURLINFO_SIZE_UPLOAD_T,
                          &bytes);
        lib->easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &us);
        double mbps = us > 0 ? (double) bytes / (double) us : 0;    //  bytes per µs = MB/s
        snprintf(reason, size, "%s of %lld bytes in %.3f s (%.1f MB/s)", what, (long long) bytes,
                 (double) us / 1e6, mbps);
        return 0;
    }
    return cp_refuse(reason, size, "%s failed: %s", what, errbuf[0] ? errbuf : lib->easy_strerror(rc));
}

static int
s_download(worker_args_t *args, char *reason, size_t size)
{
    const transfer_spec_t *spec = &args->spec;
    const curl_lib_t *lib = curl_lib(reason, size);
    if (!lib)
        return -1;
    char part[PATH_MAX + 8];
    snprintf(part, sizeof(part), "%s.part", spec->path);
    FILE *file = fopen(part, "wb");
    if (!file)
        return cp_refuse(reason, size, "cannot write %s: %s", part, strerror(errno));
    CURL *curl = lib->easy_init();
    if (!curl) {
        fclose(file);
        unlink(part);
        return cp_refuse(reason, size, "no curl handle");
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    s_common(lib, curl, args, errbuf);
    lib->easy_setopt(curl, CURLOPT_WRITEDATA, file);            //  default write function: fwrite
    lib->easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) TRANSFER_MAX_BYTES);
    CURLcode rc = lib->easy_perform(curl);
    int result = s_curl_result(lib, curl, rc, errbuf, "download", reason, size);
    lib->easy_cleanup(curl);
    //  Only a whole file, flushed to disk, ever gets the final name: what
    //  a power cut leaves is either the old state or a complete image.
    bool flushed = fflush(file) == 0 && fsync(fileno(file)) == 0;
    if (fclose(file) != 0)
        flushed = false;
    if (result == 0 && !flushed)
        result = cp_refuse(reason, size, "cannot write the image to disk: %s", strerror(errno));
    if (result == 0 && rename(part, spec->path) != 0)
        result = cp_refuse(reason, size, "cannot keep the image: %s", strerror(errno));
    if (result != 0)
        unlink(part);
    return result;
}

static int
s_upload(worker_args_t *args, char *reason, size_t size)
{
    const transfer_spec_t *spec = &args->spec;
    const curl_lib_t *lib = curl_lib(reason, size);
    if (!lib)
        return -1;
    if (diag_archive_build(&spec->archive, spec->path, reason, size) != 0)
        return -1;
    FILE *file = fopen(spec->path, "rb");
    struct stat st;
    if (!file || fstat(fileno(file), &st) != 0) {
        if (file)
            fclose(file);
        return cp_refuse(reason, size, "cannot read the archive: %s", strerror(errno));
    }
    CURL *curl = lib->easy_init();
    if (!curl) {
        fclose(file);
        return cp_refuse(reason, size, "no curl handle");
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    s_common(lib, curl, args, errbuf);
    curl_mime *mime = NULL;
    char url[FW_LOCATION_MAX + FW_FILE_NAME_MAX + 2];
    if (strncasecmp(spec->url, "ftp", 3) == 0) {
        //  STOR fileName into the URL's directory.
        size_t len = strlen(spec->url);
        snprintf(url, sizeof(url), "%s%s%s", spec->url, len && spec->url[len - 1] == '/' ? "" : "/",
                 spec->file_name);
        lib->easy_setopt(curl, CURLOPT_URL, url);
        lib->easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        lib->easy_setopt(curl, CURLOPT_READDATA, file);         //  default read function: fread
        lib->easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) st.st_size);
    }
    else {
        mime = lib->mime_init(curl);
        curl_mimepart *part = lib->mime_addpart(mime);
        lib->mime_name(part, "file");
        lib->mime_filedata(part, spec->path);           //  streamed from disk
        lib->mime_filename(part, spec->file_name);
        lib->mime_type(part, "application/gzip");
        lib->easy_setopt(curl, CURLOPT_MIMEPOST, mime);
    }
    CURLcode rc = lib->easy_perform(curl);
    int result = s_curl_result(lib, curl, rc, errbuf, "upload", reason, size);
    lib->easy_cleanup(curl);
    lib->mime_free(mime);
    fclose(file);
    unlink(spec->path);             //  built again for the next attempt: a newer window
    return result;
}

static int
s_install(worker_args_t *args, char *reason, size_t size)
{
    const transfer_spec_t *spec = &args->spec;
    char script[PATH_MAX + 16];
    snprintf(script, sizeof(script), "%s \"$1\"", spec->command);
    pid_t pid = fork();
    if (pid < 0)
        return cp_refuse(reason, size, "cannot start the installer: %s", strerror(errno));
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", script, "chargepointd-installer", spec->path, (char *) NULL);
        _exit(127);
    }
    int status = 0;
    bool killed = false;
    while (true) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (done < 0 && errno != EINTR)
            return cp_refuse(reason, size, "lost the installer: %s", strerror(errno));
        if (atomic_load(&args->cancel) && !killed) {
            kill(pid, SIGTERM);
            killed = true;
        }
        struct timespec pause = { 0, 50 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        snprintf(reason, size, "the installer succeeded");
        return 0;
    }
    if (WIFEXITED(status))
        return cp_refuse(reason, size, "the installer failed (exit %d)", WEXITSTATUS(status));
    return cp_refuse(reason, size, "the installer died (signal %d)", WTERMSIG(status));
}

static void
s_worker(zsock_t *pipe, void *arg)
{
    worker_args_t *args = arg;
    prctl(PR_SET_NAME, "fw-transfer");    //  top -H, perf
    zsock_signal(pipe, 0);
    char reason[512] = "";
    int rc = -1;
    if (args->spec.kind == TRANSFER_DOWNLOAD)
        rc = s_download(args, reason, sizeof(reason));
    else
    if (args->spec.kind == TRANSFER_UPLOAD)
        rc = s_upload(args, reason, sizeof(reason));
    else
        rc = s_install(args, reason, sizeof(reason));
    if (atomic_load(&args->cancel))
        snprintf(reason, sizeof(reason), "cancelled");
    zstr_sendx(pipe, "DONE", rc == 0 ? "1" : "0", reason, NULL);
    while (true) {
        char *cmd = zstr_recv(pipe);
        bool term = !cmd || streq(cmd, "$TERM");
        zstr_free(&cmd);
        if (term)
            break;
    }
}

//  --------------------------------------------------------------------------
//  The actor's side

transfer_t *
transfer_new(const transfer_spec_t *spec)
{
    assert(spec);
    transfer_t *self = calloc(1, sizeof(*self));
    worker_args_t *args = calloc(1, sizeof(*args));
    if (!self || !args) {
        free(self);
        free(args);
        return NULL;
    }
    args->spec = *spec;
    atomic_init(&args->cancel, false);
    self->args = args;
    self->id = spec->id;
    self->kind = spec->kind;
    self->actor = zactor_new(s_worker, args);
    if (!self->actor) {
        free(args);
        free(self);
        return NULL;
    }
    return self;
}

void
transfer_destroy(transfer_t **self_p)
{
    assert(self_p);
    transfer_t *self = *self_p;
    if (!self)
        return;
    atomic_store(&self->args->cancel, true);
    zactor_destroy(&self->actor);   //  $TERM, then joins the worker
    free(self->args);
    free(self);
    *self_p = NULL;
}

zsock_t *transfer_sock(transfer_t *self) { return zactor_sock(self->actor); }
int64_t transfer_id(const transfer_t *self) { return self->id; }
transfer_kind_t transfer_kind(const transfer_t *self) { return self->kind; }

int
transfer_result(transfer_t *self, bool *ok, char *reason, size_t reason_size)
{
    char *what = NULL, *flag = NULL, *text = NULL;
    if (zstr_recvx(zactor_sock(self->actor), &what, &flag, &text, NULL) < 0 || !what || !streq(what, "DONE")) {
        zstr_free(&what);
        zstr_free(&flag);
        zstr_free(&text);
        return -1;
    }
    *ok = flag && streq(flag, "1");
    snprintf(reason, reason_size, "%s", text ? text : "");
    zstr_free(&what);
    zstr_free(&flag);
    zstr_free(&text);
    return 0;
}
