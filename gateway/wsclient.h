/*  =========================================================================
    wsclient - the WebSocket client that carries OCPP-J text frames

    Why this exists: OCPP 1.6-J runs over one long-lived WebSocket from the
    charge point to the Central System. libwebsockets (lws) has its own event
    loop, which does not fit into a ZeroMQ actor's poller, so wsclient runs
    lws in a private thread and turns everything that happens on the wire
    into event messages queued for the owning actor, which its loop reads
    when an eventfd says they wait (no ZeroMQ socket between the two: the
    queue is one write and one read per event, issue 12). The owner
    writes through a small thread-safe API (wsclient_send) that queues the
    text and wakes the lws thread with lws_cancel_service; nothing polls.

    The thread never gives up: a failed attempt or a dropped link is
    reported, then retried with exponential back-off and jitter. Every
    attempt ends in exactly one "connected" or "error", and every link in
    exactly one "disconnected", whichever way lws lets it go (a connection
    error, a close, a handshake timeout that lws reports only by destroying
    the connection, or our own watchdog on the whole attempt).

    Events (zmsg_t, multipart string frames, wsclient_event_recv):
        "connecting",   url            target URL (never contains a secret)
        "connected",    [root]         handshake done, subprotocol ocpp1.6;
                                       over wss, root is the SHA256 (64 hex)
                                       of the DER of the trust anchor the
                                       server's chain verified under
        "frame",        text           one complete inbound text message
        "toolarge",     first_200, total
                                       inbound message > max_frame, dropped;
                                       total is its size in bytes (decimal)
        "ignored",      reason         a message the link does not carry was
                                       dropped ("binary frame of N bytes");
                                       the link stays up
        "disconnected", reason         established link ended; will retry
        "error",        reason         attempt failed; will retry
                                       ("HTTP 401", "TLS: certificate ...",
                                       "connection refused", "subprotocol ...",
                                       "handshake timed out after N s")
    =========================================================================
*/

#ifndef WSCLIENT_H_INCLUDED
#define WSCLIENT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

//  The WebSocket subprotocol we offer and insist on.
#define WSCLIENT_SUBPROTOCOL "ocpp1.6"
//  How many bytes of an oversized message the "toolarge" event carries.
#define WSCLIENT_TOOLARGE_HEAD 200

typedef struct {
    const char *url;            //  "ws://host[:port][/path]" or "wss://..."; identity appended
    const char *identity;       //  Charge Point Identity (percent-encoded into the path)
    const char *password;       //  AuthorizationKey; NULL/"" = no Authorization header
    bool password_hex;          //  AuthorizationKeyEncoding hex: the key is hex text and
                                //  the Basic password is its decoded bytes (OCPP-J 6.2.2)
    const char *ca_file;        //  PEM CA bundle for wss, trusted alone (the
                                //  system store is not added); NULL = system store
    const char *client_cert;    //  wss: PEM certificate chain presented when the
    const char *client_key;     //  server asks (security profile 3) and its PEM
                                //  key; both or neither (NULL = none)
    int ping_interval_s;        //  WebSocketPingInterval; 0 disables pings
    int backoff_min_ms;         //  first reconnect delay; <= 0 means 1000
    int backoff_max_ms;         //  reconnect delay cap; <= 0 means 60000
    size_t max_frame;           //  largest inbound message; 0 means 64 KiB
    int handshake_timeout_s;    //  whole attempt: TCP, TLS, HTTP upgrade; <= 0 means 20
} wsclient_config_t;

typedef struct _wsclient_t wsclient_t;

//  Copy cfg, validate it and start the service thread, which connects at
//  once. Returns NULL with errno EINVAL on a malformed URL, an unsupported
//  scheme or a missing identity; ENOMEM/other errno on failure.
wsclient_t *
    wsclient_new (const wsclient_config_t *cfg);

//  Hosted: the same client without a thread of its own, for an owner that
//  runs an event loop (the ocpp actor: a CALL then crosses no thread). lws
//  runs on a libuv loop of the client's, which the owner turns: it polls
//  wsclient_fd() for POLLIN, waiting no longer than wsclient_timeout_ms()
//  (-1: no limit; asked again before every wait, since any API call may
//  leave work), calls wsclient_service() when the descriptor is readable or
//  the time is up, and takes the events (wsclient_event_recv) after every
//  service. Every call from the owner's thread only. Host names are
//  resolved on libuv's worker threads, so the owner's loop never waits on
//  DNS. Needs lws' evlib_uv plugin (libwebsockets-evlib-uv).
wsclient_t *
    wsclient_new_hosted (const wsclient_config_t *cfg);
int
    wsclient_fd (wsclient_t *self);
int
    wsclient_timeout_ms (wsclient_t *self);
void
    wsclient_service (wsclient_t *self);

//  Stop the thread (closing the connection), join it and free everything.
//  Nulls the caller's pointer; safe on NULL.
void
    wsclient_destroy (wsclient_t **self_p);

//  The owner's side of the events: a descriptor to poll for POLLIN, readable
//  while events wait, and the next event (NULL when none is left, which
//  also re-arms the descriptor). Take them until NULL on every wake-up.
//  A hosted client has no such descriptor (-1): its owner takes the events
//  after each wsclient_service.
int
    wsclient_events_fd (wsclient_t *self);
zmsg_t *
    wsclient_event_recv (wsclient_t *self);

//  Queue one text message (copied) for sending in order. Thread-safe.
//  Returns 0 when queued, -1 when not connected (caller retries later).
int
    wsclient_send (wsclient_t *self, const char *text, size_t len);

//  Replace the settings (URL, password, CA, ping, back-off, ...): the
//  current connection is closed and a new one is attempted at once with
//  the back-off reset. Events not yet taken stay queued.
//  Returns 0, or -1 with errno EINVAL when cfg is invalid (nothing changes).
int
    wsclient_reconfigure (wsclient_t *self, const wsclient_config_t *cfg);

//  Drop the current connection as if the network failed (reported as
//  "disconnected", "closed by client") and reconnect with back-off.
void
    wsclient_disconnect_for_test (wsclient_t *self);

//  --- Pure helpers (unit-tested) ------------------------------------------

//  Split a ws:// or wss:// URL. scheme gets "ws"/"wss" (8 bytes), host the
//  host without IPv6 brackets (256), port the explicit or default port
//  (80/443), path the path or "/" (512). User info, query and fragment are
//  refused (a secret in the URL would leak into logs, and the identity must
//  be the last path segment). Returns 0, or -1 when malformed.
int
    wsclient_parse_url (const char *url, char *scheme, char *host, int *port, char *path);

//  base_path + "/" + percent-encoded identity (RFC 3986 unreserved kept),
//  never doubling the slash: "/ocpp" + "CP 1" -> "/ocpp/CP%201".
//  Returns 0, or -1 when identity is empty or out is too small.
int
    wsclient_build_path (const char *base_path, const char *identity, char *out, size_t out_size);

//  Check a CA bundle before it is used: it must be a readable file holding
//  at least one certificate lws can load. lws itself only logs an
//  unreadable bundle and goes on, so every connection would then fail with
//  a misleading certificate error. Returns 0, or -1 with one line in err.
int
    wsclient_check_ca_file (const char *path, char *err, size_t err_size);

//  Check a client certificate before it is used: a readable PEM chain, a
//  readable unencrypted key, and the key is the certificate's. Returns 0,
//  or -1 with one line in err (never anything of the key's content).
int
    wsclient_check_client_cert (const char *cert, const char *key, char *err, size_t err_size);

//  Reconnect delay for the given attempt (0 = first retry).
//      base  = min(max_ms, min_ms * 2^attempt)
//      delay = base/2 + random32 % (base - base/2 + 1)      ("equal jitter")
//  So delay is in [base/2, base]: never above max_ms, never below min_ms/2,
//  and reconnecting chargers spread out instead of stampeding the CSMS.
//  min_ms 0 is treated as 1; max_ms below min_ms is raised to min_ms.
unsigned
    wsclient_backoff_ms (unsigned attempt, unsigned min_ms, unsigned max_ms, uint32_t random32);

#ifdef __cplusplus
}
#endif

#endif
