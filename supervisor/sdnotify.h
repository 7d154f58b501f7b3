/* sdnotify.h — tells systemd (Type=notify) when the controller is ready and
 * that it is still alive.
 *
 * Why it exists: under systemd the unit is Type=notify with WatchdogSec=.
 * The supervisor says READY=1 once every actor runs, and WATCHDOG=1 on each
 * liveness tick only while every actor answers its ping, so a wedged
 * supervisor or bus (or an actor hung past its liveness limit) stops the
 * feeding and systemd restarts the process. This is the sd_notify datagram
 * protocol written out (one sendto on an AF_UNIX datagram socket named by
 * $NOTIFY_SOCKET, abstract when it starts with '@') rather than a link to
 * libsystemd: the protocol is small and stable, and the controller then
 * needs no extra runtime library on a board (or an arm64 sysroot).
 *
 * Without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef CP_SUPERVISOR_SDNOTIFY_H
#define CP_SUPERVISOR_SDNOTIFY_H

#include <stdbool.h>

typedef struct _cp_sdnotify_t cp_sdnotify_t;

//  Reads $NOTIFY_SOCKET once. Never NULL (a disabled notifier without it).
cp_sdnotify_t *cp_sdnotify_new(void);
void cp_sdnotify_destroy(cp_sdnotify_t **self_p);

//  True when $NOTIFY_SOCKET named a usable socket.
bool cp_sdnotify_enabled(cp_sdnotify_t *self);

//  Sends one state string ("READY=1", "WATCHDOG=1", "STOPPING=1").
//  Returns false when disabled or the send failed.
bool cp_sdnotify_send(cp_sdnotify_t *self, const char *state);

#endif
