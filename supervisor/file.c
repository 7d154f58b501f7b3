/* file.c — see file.h. */
#include "supervisor/file.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
s_fsync_dir(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else
        snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int) (slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int
cp_file_replace(const char *path, const char *text, size_t len, mode_t mode)
{
    assert(path && (text || len == 0));
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%.*s.%s.tmp", (int) (name - path), path, name) >= (int) sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    int rc = fchmod(fd, mode);
    size_t done = 0;
    while (rc == 0 && done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = -1;
        else
            done += (size_t) n;
    }
    if (rc == 0)
        rc = fsync(fd);
    if (close(fd) != 0)
        rc = -1;
    if (rc == 0)
        rc = rename(tmp, path);
    if (rc == 0)
        rc = s_fsync_dir(path);
    if (rc != 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
    }
    return rc;
}
