/* sdnotify.c — the sd_notify datagram protocol (see sdnotify.h for why).
 */
#include "supervisor/sdnotify.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct _cp_sdnotify_t {
    int fd;                         //  -1: disabled
    struct sockaddr_un addr;
    socklen_t addr_len;
};

cp_sdnotify_t *
cp_sdnotify_new(void)
{
    cp_sdnotify_t *self = calloc(1, sizeof(*self));
    assert(self);
    self->fd = -1;
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path || (path[0] != '/' && path[0] != '@'))
        return self;
    size_t len = strlen(path);
    if (len >= sizeof(self->addr.sun_path))
        return self;
    self->addr.sun_family = AF_UNIX;
    memcpy(self->addr.sun_path, path, len);
    if (path[0] == '@')
        self->addr.sun_path[0] = '\0';      //  the abstract namespace
    self->addr_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len);
    self->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    return self;
}

void
cp_sdnotify_destroy(cp_sdnotify_t **self_p)
{
    assert(self_p);
    if (*self_p) {
        cp_sdnotify_t *self = *self_p;
        if (self->fd >= 0)
            close(self->fd);
        free(self);
        *self_p = NULL;
    }
}

bool
cp_sdnotify_enabled(cp_sdnotify_t *self)
{
    assert(self);
    return self->fd >= 0;
}

bool
cp_sdnotify_send(cp_sdnotify_t *self, const char *state)
{
    assert(self);
    assert(state);
    if (self->fd < 0)
        return false;
    ssize_t rc = sendto(self->fd, state, strlen(state), MSG_NOSIGNAL,
                        (struct sockaddr *) &self->addr, self->addr_len);
    return rc == (ssize_t) strlen(state);
}
