/*  =========================================================================
    wsclient_tls - the link's TLS rules, on whichever library lws was built with

    Why this file exists: what a wss:// link to the central system must do
    is fixed by the security whitepaper whatever library carries it: TLS
    1.2 or above, the whitepaper's AEAD suites, the operator's trust
    anchors (CentralSystemRootCertificate or --ca-file, else the system
    store) and nothing besides, the charger's own certificate for security
    profile 3. And a refused handshake must say why: the fault of the
    server's certificate, or the alert that means InvalidTLSVersion or
    InvalidTLSCipherSuite; an accepted one, which trust anchor it stands
    on. Each library is reached differently: Debian's lws on OpenSSL
    through the context's options and OpenSSL's callbacks, the bundled lws
    on mbedTLS (cmake/bundled_lws.cmake) through each connection's
    mbedtls_ssl_config. wsclient.c asks this file and names neither.
    =========================================================================
*/

#ifndef WSCLIENT_TLS_H_INCLUDED
#define WSCLIENT_TLS_H_INCLUDED

#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>

#define WSCLIENT_TLS_REASON_MAX 200

//  What the current connection attempt's handshake reported.
typedef struct {
    char refusal [WSCLIENT_TLS_REASON_MAX];  //  why the server's certificate was refused ("": it was not)
    char root_fp [65];          //  the trust anchor the link stands on: SHA-256 hex of its DER ("": none)
    int root_depth;             //  ... its depth in the server's chain (-1: none yet)
    int alert;                  //  the first TLS alert of the handshake, sent or received (-1: none)
    bool server_spoke;          //  the server's certificate arrived (so TCP was up)
} wsclient_tls_attempt_t;

typedef struct _wsclient_tls_t wsclient_tls_t;

//  The TLS of one lws context (one configuration of the link): trust
//  ca_file, or the system store when it is NULL; present client_cert with
//  client_key when both are given; host is the URL's host, the name the
//  server's certificate must carry. Files are read here (the mbedTLS
//  build) or when lws makes the context (OpenSSL). Returns NULL when a
//  file cannot be used, with the reason in err.
wsclient_tls_t *
    wsclient_tls_new (const char *ca_file, const char *client_cert, const char *client_key,
                      const char *host, char *err, size_t err_size);

void
    wsclient_tls_destroy (wsclient_tls_t **self_p);

//  Set the lws context's TLS options (before lws_create_context).
void
    wsclient_tls_context_info (wsclient_tls_t *self, struct lws_context_creation_info *info);

//  A new connection attempt begins: forget what the last one reported.
void
    wsclient_tls_attempt_begin (wsclient_tls_t *self);

//  What the current attempt's handshake has reported so far.
const wsclient_tls_attempt_t *
    wsclient_tls_attempt (wsclient_tls_t *self);

//  An lws callback, offered before wsclient handles it; current says
//  whether wsi belongs to the attempt under way. Returns true when the
//  reason was one of TLS's, with *rc what the lws callback must return.
bool
    wsclient_tls_callback (wsclient_tls_t *self, struct lws *wsi, int reason, void *user,
                           void *in, size_t len, bool current, int *rc);

//  The current attempt's connection wsi failed before it was established:
//  collect what the library still knows about the handshake (an alert).
void
    wsclient_tls_failed (wsclient_tls_t *self, struct lws *wsi);

//  The reason a failed handshake's alert gives, or NULL when the alert
//  says nothing the owner can act on.
const char *
    wsclient_tls_alert_reason (int alert);

#endif
