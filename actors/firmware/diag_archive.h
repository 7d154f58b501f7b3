/* diag_archive.h — the diagnostics file GetDiagnostics uploads: a gzip'd
 * tar archive that a person unpacks with `tar xzf`, holding
 *   log.txt             the persistent log's lines (supervisor/log.h)
 *                       between startTime and stopTime, oldest first,
 *                       with every known secret value replaced by ***;
 *   status.json         the `cpctl status` snapshot (connectors, OCPP
 *                       link, actors with their restart counts);
 *   configuration.json  the configuration keys as `cpctl config get`
 *                       gives them (secrets never carry their value).
 * For GetLog SecurityLog the archive holds one member instead:
 *   securitylog.txt     the security log's events in the window (written
 *                       by the firmware actor before the transfer starts:
 *                       security_store_export_log).
 * Built on the transfer thread (transfer.c), streamed through a temporary
 * file: memory does not grow with the log.
 */
#ifndef CP_ACTORS_FIRMWARE_DIAG_ARCHIVE_H
#define CP_ACTORS_FIRMWARE_DIAG_ARCHIVE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIAG_SECRETS_MAX 3
#define DIAG_SECRET_MAX  128

typedef struct {
    char log_dir[PATH_MAX];                 //  "" = no persistent log
    char control[PATH_MAX + 16];            //  where the status and configuration are asked
    int64_t start_ms, stop_ms;              //  wall; 0 / INT64_MAX = open
    char secrets[DIAG_SECRETS_MAX][DIAG_SECRET_MAX + 1];   //  values scrubbed from the log
    char security_log[PATH_MAX];            //  GetLog SecurityLog: the file of its events ("" = diagnostics)
} diag_archive_spec_t;

//  Build the archive at path. 0, or -1 with the reason.
int diag_archive_build(const diag_archive_spec_t *spec, const char *path, char *reason, size_t reason_size);

//  The timestamp that starts a log line ("2026-01-31T12:00:00.123Z "), in
//  wall ms; -1 when the line does not start with one.
int64_t diag_archive_line_ms(const char *line);
//  Does line belong in the window? A line without a timestamp belongs
//  with the line before it (previous).
bool diag_archive_in_window(const char *line, int64_t start_ms, int64_t stop_ms, bool previous);
//  Replace every occurrence of each non-empty secret in line (NUL-
//  terminated, in a buffer of size bytes) by "***".
void diag_archive_scrub(char *line, size_t size, const char secrets[][DIAG_SECRET_MAX + 1], int count);
#endif
