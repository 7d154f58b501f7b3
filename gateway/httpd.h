/* httpd.h — the local status page: one HTTP page and its WebSocket.
 *
 * Why this exists: the seed's charger shows its OCPP state and takes its
 * OCPP settings in an app and a portal; this controller serves the same
 * from itself, with no cloud and no external asset. libwebsockets (already
 * the OCPP client's library) serves, in a private thread:
 *
 *     GET /            the page (gateway/status_page.html, compiled in)
 *     WebSocket /      subprotocol "cp-status": the controller pushes
 *                      {"type":"status","sim":bool,"status":{...}} (the
 *                      `cpctl status` object) whenever it changes, and
 *                      takes the requests of gateway/page_request.h,
 *                      answered {"type":"reply","id":N,"ok":bool,"message":"..."}
 *
 * The thread is a control-socket client exactly like cpctl (DEALER to the
 * supervisor's control endpoint), so the page gets the supervisor's
 * command handling and refusals and no new path into the actors. It asks
 * for status every poll_ms only while a browser is connected: nobody
 * looking costs nothing.
 *
 * Exposure: bound to 127.0.0.1 unless an address is given (an installer's
 * explicit choice). A browser on the charger's own network stack could
 * still be tricked by another web site into talking to the page, so the
 * WebSocket is accepted only when Host names an IP literal or localhost
 * (no DNS rebinding) and Origin, when present, is that same host. The
 * password is write-only: nothing here ever sends or logs it.
 */
#ifndef CP_GATEWAY_HTTPD_H
#define CP_GATEWAY_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The WebSocket subprotocol of the page.
#define HTTPD_SUBPROTOCOL "cp-status"
//  Browsers served at once; one more is refused (the page retries).
#define HTTPD_MAX_SESSIONS 8

typedef struct {
    const char *listen;         //  "[ADDR:]PORT" (--http), not "off"
    const char *control;        //  the supervisor's control endpoint
    bool sim;                   //  --hw sim: the page may plug, swipe, inject faults
    int poll_ms;                //  status refresh while a browser looks; <= 0 means 400
} httpd_config_t;

typedef struct _httpd_t httpd_t;

//  Bind and start serving. NULL with a one-line reason in err when the
//  listen address is malformed or cannot be bound (port taken, address
//  not on this host, permission).
httpd_t *
    httpd_new(const httpd_config_t *cfg, char *err, size_t err_size);

//  Stop serving, close every connection, join the thread, free. Nulls the
//  caller's pointer; safe on NULL.
void
    httpd_destroy(httpd_t **self_p);

//  --- Supervision (supervisor.c) ------------------------------------------

//  The service thread counts a heartbeat every HTTPD_BEAT_MS: a count that
//  stops moving means a stuck thread.
#define HTTPD_BEAT_MS 1000
uint64_t
    httpd_beats(httpd_t *self);
//  True once the service thread has returned (its loop failed).
bool
    httpd_exited(httpd_t *self);
//  Join an ended (or end a running) service thread and serve again on the
//  same address with a fresh context; browsers reconnect by themselves.
//  -1 with a reason when the old thread does not end or the address cannot
//  be served now.
int
    httpd_restart(httpd_t *self, char *err, size_t err_size);
//  Fault injection (`cpctl actor kill statuspage`): the service thread
//  leaves as if its loop had failed.
void
    httpd_inject_exit(httpd_t *self);

//  --- Pure helpers (unit-tested) ------------------------------------------

//  "[ADDR:]PORT": ADDR an IPv4 literal, "localhost" or a bracketed IPv6
//  literal; no ADDR means 127.0.0.1; PORT 1..65535. addr gets the numeric
//  address (at least 46 bytes). Returns 0, or -1 with reason.
int
    httpd_parse_listen(const char *text, char *addr, size_t addr_size, int *port,
                       char *reason, size_t reason_size);

//  A Host header the page answers to: an IP literal or "localhost", with
//  an optional port. Names are refused (DNS rebinding).
bool
    httpd_host_ok(const char *host);

//  A WebSocket Origin the page accepts: none (a non-browser client), or
//  "http://" + the request's Host.
bool
    httpd_origin_ok(const char *origin, const char *host);

#endif
