/* transfer.h — one file transfer (or installer run) on a thread of its
 * own, so that the firmware actor's loop — and every other actor — goes on
 * while megabytes move over a slow link.
 *
 * A transfer is a CZMQ zactor: the worker signals ready, does its one job
 * with libcurl (download to a file, FTP STOR or HTTP multipart POST of a
 * file) or runs the installer command, sends one result message on its
 * pipe and waits for $TERM. The actor polls transfer_sock on its loop.
 * transfer_destroy cancels a running job: libcurl's progress callback sees
 * the flag within a second and aborts; an installer gets SIGTERM.
 *
 * Why libcurl: one well-kept library (Debian's libcurl4-openssl-dev) for
 * http, https, ftp and ftps, passive FTP, multipart forms, redirects,
 * proxies, TLS verification and a stall timeout (LOW_SPEED_LIMIT/TIME),
 * streamed from and to disk in 16 KiB pieces: memory does not grow with
 * the file (docs/architecture.md, "Firmware and diagnostics").
 */
#ifndef CP_ACTORS_FIRMWARE_TRANSFER_H
#define CP_ACTORS_FIRMWARE_TRANSFER_H

#include <czmq.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include "actors/firmware/diag_archive.h"
#include "actors/firmware/firmware_core.h"

#define TRANSFER_CONNECT_S   15         //  to connect (TCP + TLS)
#define TRANSFER_STALL_S     30         //  below 1 byte/s for this long: stalled
#define TRANSFER_MAX_BYTES   (1024LL * 1024 * 1024)     //  a firmware image larger is refused

typedef enum { TRANSFER_DOWNLOAD, TRANSFER_UPLOAD, TRANSFER_INSTALL } transfer_kind_t;

typedef struct {
    transfer_kind_t kind;
    int64_t id;                             //  the core's job id, returned with the result
    char url[FW_LOCATION_MAX + 1];          //  download / upload
    char path[PATH_MAX];                    //  download: destination (via path.part);
                                            //  upload: the archive built first; install: the image
    char file_name[FW_FILE_NAME_MAX + 1];   //  upload: the name at the server
    char command[PATH_MAX];                 //  install: run as `command "<path>"` by /bin/sh
    char ca_file[PATH_MAX];                 //  https/ftps trust anchors; "" = the system's
    int stall_s;                            //  0 = TRANSFER_STALL_S
    diag_archive_spec_t archive;            //  upload: what to put in the archive
} transfer_spec_t;

typedef struct _transfer_t transfer_t;

//  Start the job on its own thread. NULL when no thread can be started.
transfer_t *transfer_new(const transfer_spec_t *spec);
//  Cancel (if running) and join. Nulls the caller's pointer.
void transfer_destroy(transfer_t **self_p);
//  Readable once the result is there.
zsock_t *transfer_sock(transfer_t *self);
int64_t transfer_id(const transfer_t *self);
transfer_kind_t transfer_kind(const transfer_t *self);
//  Read the result (after transfer_sock was readable): 0 with ok and the
//  reason (for the log: URLs redacted), -1 when none could be read.
int transfer_result(transfer_t *self, bool *ok, char *reason, size_t reason_size);

//  The URL checks the operations apply before they accept a location:
//  true for http://, https://, ftp://, ftps:// with a host and nothing
//  that curl would read as another URL (blanks, control bytes).
bool transfer_location_ok(const char *url);
#endif
