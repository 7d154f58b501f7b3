/* log.h — one line per event on stderr: time, level, component, text;
 * and the same line in a persistent, bounded log under the state dir.
 *
 * The persistent log is what a person on site reads and what GetDiagnostics
 * uploads (actors/firmware/diag_archive.h): CP_LOG_FILES files in
 * DIR/log/ — chargepointd.log, then .1 (older) … .3 (oldest) — each at most
 * a CP_LOG_FILES-th of the total; when the current one is full the others
 * shift down and the oldest is dropped, so the total never exceeds the
 * bound (default CP_LOG_FILE_BYTES, 4 MB). Timestamps are UTC. In --split
 * every process appends to the same files (O_APPEND: whole lines in one
 * write) and the one that finds the current file full rotates under an
 * flock. A log call never waits for the disk: lines queue in a bounded
 * ring that a writer thread drains; a line that finds the ring full is
 * dropped and counted, and the count is written when the disk catches up.
 *
 * The level is process-wide and set once by main before any actor starts
 * (the one piece of global state; reading it is lock-free). Secrets never
 * reach these calls: callers log identities and URLs, never passwords or
 * Authorization headers (see cp_log_redact_url for URLs with userinfo).
 */
#ifndef CP_SUPERVISOR_LOG_H
#define CP_SUPERVISOR_LOG_H
#include <stddef.h>

typedef enum { CP_LOG_ERROR = 0, CP_LOG_WARN, CP_LOG_INFO, CP_LOG_DEBUG } cp_log_level_t;

#define CP_LOG_DIR_NAME   "log"
#define CP_LOG_FILE_NAME  "chargepointd.log"
#define CP_LOG_FILES      4
#define CP_LOG_FILE_BYTES (4 * 1024 * 1024)

void cp_log_set_level(cp_log_level_t level);
//  Also write every line to the persistent log in dir (created if needed),
//  at most max_bytes in total. Called once by main before any thread
//  starts (like the level); starts the writer thread. 0, or -1 (stderr
//  logging goes on alone).
int cp_log_open_file(const char *dir, size_t max_bytes);
//  Stop the persistent log after writing what is queued, waiting at most
//  2 s for a disk that does not answer (the lines still queued are lost).
//  Also runs at exit.
void cp_log_close_file(void);
cp_log_level_t cp_log_get_level(void);
int  cp_log_parse_level(const char *name, cp_log_level_t *level);   // 0 ok, -1 unknown
void cp_log(cp_log_level_t level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
//  Copy url into out with any "user:password@" part replaced by "***@".
void cp_log_redact_url(const char *url, char *out, size_t out_size);

//  The reason a check refuses something, for the person who asked: format
//  it into reason (nothing when reason is NULL or size 0) and return -1,
//  so a check can end with `return cp_refuse(reason, size, "...", ...)`.
int cp_refuse(char *reason, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define cp_error(c, ...) cp_log(CP_LOG_ERROR, (c), __VA_ARGS__)
#define cp_warn(c, ...)  cp_log(CP_LOG_WARN, (c), __VA_ARGS__)
#define cp_info(c, ...)  cp_log(CP_LOG_INFO, (c), __VA_ARGS__)
#define cp_debug(c, ...) do { if (cp_log_get_level() >= CP_LOG_DEBUG) cp_log(CP_LOG_DEBUG, (c), __VA_ARGS__); } while (0)
#endif
