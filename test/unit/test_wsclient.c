/*  =========================================================================
    test_wsclient - unit and loopback tests for gateway/wsclient

    Why this file exists: wsclient is the only code that holds the link to
    the Central System, so its failure modes (wrong password, bad
    certificate, wrong subprotocol, dead link, server restart, oversized or
    binary messages) are exercised here against real servers on 127.0.0.1:
    - an lws echo server (optionally TLS) that checks the Authorization
      header, answers 401 on a mismatch and obeys a few commands sent as
      text ("FRAG", "BIG:n", "BIN", "CLOSE");
    - a raw TCP server that completes the WebSocket handshake by hand, to
      play servers lws would refuse to be: one that selects no subprotocol,
      one that never answers pings, one that never answers the upgrade
      request at all or only with half a 101.
    Every wait polls the PAIR socket with a deadline; nothing sleeps to
    decide an outcome.
    =========================================================================
*/

#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gateway/wsclient.h"

#include <czmq.h>
#include <libwebsockets.h>
#include <mbedtls/base64.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TEST_ID       "CP 1"
#define TEST_PASSWORD "s3cret:pw"
#define WAIT_MS       8000


//  --------------------------------------------------------------------------
//  Pure helpers

static void
test_parse_url (void **state)
{
    char scheme [8], host [256], path [512];
    int port = 0;

    assert_int_equal (wsclient_parse_url ("ws://example.com", scheme, host, &port, path), 0);
    assert_string_equal (scheme, "ws");
    assert_string_equal (host, "example.com");
    assert_int_equal (port, 80);
    assert_string_equal (path, "/");

    assert_int_equal (wsclient_parse_url ("wss://csms.example.com/ocpp", scheme, host, &port, path), 0);
    assert_string_equal (scheme, "wss");
    assert_int_equal (port, 443);
    assert_string_equal (path, "/ocpp");

    assert_int_equal (wsclient_parse_url ("WS://127.0.0.1:9000/a/b/", scheme, host, &port, path), 0);
    assert_string_equal (scheme, "ws");
    assert_string_equal (host, "127.0.0.1");
    assert_int_equal (port, 9000);
    assert_string_equal (path, "/a/b/");

    assert_int_equal (wsclient_parse_url ("wss://[::1]:8443/x", scheme, host, &port, path), 0);
    assert_string_equal (host, "::1");
    assert_int_equal (port, 8443);
    assert_int_equal (wsclient_parse_url ("ws://[fe80::1]", scheme, host, &port, path), 0);
    assert_string_equal (host, "fe80::1");
    assert_int_equal (port, 80);
    assert_int_equal (wsclient_parse_url ("ws://h:65535", scheme, host, &port, path), 0);
    assert_int_equal (port, 65535);

    const char *bad [] = {
        "http://x", "ws//x", "ws://", "ws:///path", "ws://x:0", "ws://x:65536",
        "ws://x:99999999999", "ws://x:", "ws://x:12a", "ws://user:pw@x/",
        "ws://[::1", "ws://[]:80", "ws://[zz]", "ws://x/p?q=1", "ws://x/#f",
        "ws://ho st/", "wss:/x", "ftp://x", "", "ws://x/a b", NULL
    };
    for (int i = 0; bad [i]; i++) {
        if (wsclient_parse_url (bad [i], scheme, host, &port, path) != -1)
            fail_msg ("accepted malformed URL \"%s\"", bad [i]);
    }
    assert_int_equal (wsclient_parse_url (NULL, scheme, host, &port, path), -1);
    //  Host longer than the buffer is refused, not truncated
    char longurl [400] = "ws://";
    memset (longurl + 5, 'a', 300);
    longurl [305] = '\0';
    assert_int_equal (wsclient_parse_url (longurl, scheme, host, &port, path), -1);
}

static void
test_build_path (void **state)
{
    char out [64];
    assert_int_equal (wsclient_build_path ("/ocpp", "CP 1", out, sizeof (out)), 0);
    assert_string_equal (out, "/ocpp/CP%201");
    assert_int_equal (wsclient_build_path ("/ocpp/", "CP001", out, sizeof (out)), 0);
    assert_string_equal (out, "/ocpp/CP001");
    assert_int_equal (wsclient_build_path ("/", "a-b_c.d~e", out, sizeof (out)), 0);
    assert_string_equal (out, "/a-b_c.d~e");
    assert_int_equal (wsclient_build_path ("", "x", out, sizeof (out)), 0);
    assert_string_equal (out, "/x");
    assert_int_equal (wsclient_build_path (NULL, "x", out, sizeof (out)), 0);
    assert_string_equal (out, "/x");
    assert_int_equal (wsclient_build_path ("/o", "a/b?c#d%é", out, sizeof (out)), 0);
    assert_string_equal (out, "/o/a%2Fb%3Fc%23d%25%C3%A9");
    //  Refusals: no identity, output too small (never truncated)
    assert_int_equal (wsclient_build_path ("/o", "", out, sizeof (out)), -1);
    assert_int_equal (wsclient_build_path ("/o", NULL, out, sizeof (out)), -1);
    assert_int_equal (wsclient_build_path ("/ocpp", "CP 1", out, 12), -1);
    assert_int_equal (wsclient_build_path ("/ocpp", "CP 1", out, 13), 0);
    assert_int_equal (wsclient_build_path ("/ocpp", "CP", out, 5), -1);
}

static void
test_backoff (void **state)
{
    //  Extremes of the random part give the documented bounds exactly
    assert_int_equal (wsclient_backoff_ms (0, 1000, 60000, 0), 500);
    assert_int_equal (wsclient_backoff_ms (0, 1000, 60000, 500), 1000);
    assert_int_equal (wsclient_backoff_ms (1, 1000, 60000, 0), 1000);
    assert_int_equal (wsclient_backoff_ms (3, 1000, 60000, 4000), 8000);
    assert_int_equal (wsclient_backoff_ms (10, 1000, 60000, 0), 30000);
    assert_int_equal (wsclient_backoff_ms (10, 1000, 60000, 30000), 60000);
    assert_int_equal (wsclient_backoff_ms (1000, 1000, 60000, 30000), 60000);
    assert_int_equal (wsclient_backoff_ms (UINT32_MAX, 1000, 60000, UINT32_MAX) <= 60000, 1);
    //  Degenerate parameters
    assert_true (wsclient_backoff_ms (0, 0, 0, 12345) <= 1);
    assert_int_equal (wsclient_backoff_ms (5, 2000, 100, 0), 1000);
    assert_true (wsclient_backoff_ms (40, UINT32_MAX, UINT32_MAX, UINT32_MAX) >= UINT32_MAX / 2);

    //  Many random values: always within [base/2, base] and never below
    //  min/2 nor above max; the average grows with the attempt
    uint32_t seed = 0x12345678;
    for (unsigned attempt = 0; attempt < 40; attempt++) {
        unsigned base = 1000;
        for (unsigned i = 0; i < attempt && base < 60000; i++)
            base = base * 2 > 60000 ? 60000 : base * 2;
        for (int i = 0; i < 2000; i++) {
            seed = seed * 1664525u + 1013904223u;
            unsigned delay = wsclient_backoff_ms (attempt, 1000, 60000, seed);
            assert_true (delay >= 500);
            assert_true (delay <= 60000);
            assert_true (delay >= base / 2);
            assert_true (delay <= base);
        }
    }
}

static void
test_new_rejects_bad_config (void **state)
{
    wsclient_config_t cfg = {
        .url = "http://127.0.0.1/", .identity = "CP1",
    };
    errno = 0;
    assert_null (wsclient_new (&cfg));
    assert_int_equal (errno, EINVAL);
    cfg.url = "ws://127.0.0.1:99999/";
    errno = 0;
    assert_null (wsclient_new (&cfg));
    assert_int_equal (errno, EINVAL);
    cfg.url = "ws://127.0.0.1/";
    cfg.identity = "";
    errno = 0;
    assert_null (wsclient_new (&cfg));
    assert_int_equal (errno, EINVAL);
    assert_null (wsclient_new (NULL));
}


//  --------------------------------------------------------------------------
//  lws echo server, in its own thread

typedef struct {
    struct lws_context *context;
    pthread_t thread;
    pthread_mutex_t mutex;
    bool stop;
    int port;
    char expected_auth [256];   //  "" = no check
    const char *cert;           //  TLS when set
    const char *key;
    int connections;            //  handshakes accepted
    int open;                   //  WebSocket sessions still open
    char last_path [256];
} echo_server_t;

//  One reply the server still has to send.
typedef struct {
    unsigned char *out;         //  LWS_PRE headroom + payload
    size_t out_len;
    int mode;                   //  0 text, 1 binary, 2 three fragments, 3 close
} echo_reply_t;

#define ECHO_QUEUE 512         //  the burst test sends 500 before it reads any echo
//  What one server-side connection still has to send, oldest first.
typedef struct {
    echo_reply_t replies [ECHO_QUEUE];
    int count;
    int frag_sent;
    unsigned char *partial;     //  a message lws delivered in pieces, so far
    size_t partial_len;
} echo_session_t;

static void
s_session_pop (echo_session_t *session)
{
    free (session->replies [0].out);
    memmove (session->replies, session->replies + 1,
             sizeof (echo_reply_t) * (size_t) (ECHO_QUEUE - 1));
    session->count--;
    session->frag_sent = 0;
}

static int
s_echo_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user,
                 void *in, size_t len)
{
    echo_session_t *session = (echo_session_t *) user;
    echo_server_t *server = wsi && lws_get_context (wsi)
                          ? lws_context_user (lws_get_context (wsi)) : NULL;
    switch (reason) {
        case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
            if (!server)
                return 1;
            char auth [256] = "";
            if (lws_hdr_copy (wsi, auth, sizeof (auth), WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
                auth [0] = '\0';
            if (server->expected_auth [0] && strcmp (auth, server->expected_auth) != 0) {
                //  What a CSMS does with a wrong AuthorizationKey
                lws_return_http_status (wsi, HTTP_STATUS_UNAUTHORIZED, NULL);
                return 1;
            }
            char path [256] = "";
            if (lws_hdr_copy (wsi, path, sizeof (path), WSI_TOKEN_GET_URI) < 0)
                path [0] = '\0';
            pthread_mutex_lock (&server->mutex);
            snprintf (server->last_path, sizeof (server->last_path), "%s", path);
            pthread_mutex_unlock (&server->mutex);
            break;
        }
        case LWS_CALLBACK_ESTABLISHED:
            if (server) {
                pthread_mutex_lock (&server->mutex);
                server->connections++;
                server->open++;
                pthread_mutex_unlock (&server->mutex);
            }
            memset (session, 0, sizeof (*session));
            break;

        case LWS_CALLBACK_RECEIVE: {
            if (session->count == ECHO_QUEUE)
                return -1;          //  tests never get this far ahead
            //  lws hands over what each read brought: a message that spans
            //  reads (a burst) comes in pieces, echoed once whole
            bool whole = !lws_remaining_packet_payload (wsi) && lws_is_final_fragment (wsi);
            if (!whole || session->partial) {
                unsigned char *grown = realloc (session->partial, session->partial_len + len + 1);
                if (!grown)
                    return -1;
                memcpy (grown + session->partial_len, in, len);
                session->partial = grown;
                session->partial_len += len;
                if (!whole)
                    break;
                in = session->partial;
                len = session->partial_len;
            }
            size_t out_len = len;
            int mode = 0;
            const char *reply = (const char *) in;
            char big_prefix [16];
            if (len == 4 && memcmp (in, "FRAG", 4) == 0) {
                mode = 2;
                reply = "part1part2part3";
                out_len = 15;
            }
            else
            if (len == 3 && memcmp (in, "BIN", 3) == 0)
                mode = 1;
            else
            if (len == 5 && memcmp (in, "CLOSE", 5) == 0)
                mode = 3;
            else
            if (len == 5 && memcmp (in, "PAUSE", 5) == 0) {
                //  Read nothing for a while, answer nothing: what the
                //  client sends meanwhile fills the sockets' buffers
                lws_rx_flow_control (wsi, 0);
                lws_set_timer_usecs (wsi, 300 * LWS_US_PER_MS);
                break;
            }
            else
            if (len > 4 && len < sizeof (big_prefix) && memcmp (in, "BIG:", 4) == 0) {
                memcpy (big_prefix, in, len);
                big_prefix [len] = '\0';
                out_len = (size_t) atol (big_prefix + 4);
                reply = NULL;
            }
            echo_reply_t *slot = &session->replies [session->count];
            slot->out = malloc (LWS_PRE + out_len + 1);
            if (!slot->out)
                return -1;
            if (reply)
                memcpy (slot->out + LWS_PRE, reply, out_len);
            else
                memset (slot->out + LWS_PRE, 'x', out_len);
            slot->out_len = out_len;
            slot->mode = mode;
            session->count++;
            free (session->partial);
            session->partial = NULL;
            session->partial_len = 0;
            lws_callback_on_writable (wsi);
            break;
        }
        case LWS_CALLBACK_SERVER_WRITEABLE: {
            if (session->count == 0)
                break;
            echo_reply_t *reply = &session->replies [0];
            if (reply->mode == 3) {
                lws_close_reason (wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *) "bye", 3);
                return -1;
            }
            if (reply->mode == 2) {
                //  Same message, three frames: text+NO_FIN, cont+NO_FIN, cont
                int flags = session->frag_sent == 0 ? LWS_WRITE_TEXT : LWS_WRITE_CONTINUATION;
                if (session->frag_sent < 2)
                    flags |= LWS_WRITE_NO_FIN;
                //  lws needs LWS_PRE bytes of headroom before each chunk
                unsigned char tmp [LWS_PRE + 5];
                memcpy (tmp + LWS_PRE, reply->out + LWS_PRE + 5 * session->frag_sent, 5);
                if (lws_write (wsi, tmp + LWS_PRE, 5, (enum lws_write_protocol) flags) < 5)
                    return -1;
                if (++session->frag_sent < 3) {
                    lws_callback_on_writable (wsi);
                    break;
                }
            }
            else {
                enum lws_write_protocol kind = reply->mode == 1 ? LWS_WRITE_BINARY : LWS_WRITE_TEXT;
                if (lws_write (wsi, reply->out + LWS_PRE, reply->out_len, kind)
                        < (int) reply->out_len)
                    return -1;
            }
            s_session_pop (session);
            if (session->count)
                lws_callback_on_writable (wsi);
            break;
        }
        case LWS_CALLBACK_TIMER:
            lws_rx_flow_control (wsi, 1);
            break;

        case LWS_CALLBACK_CLOSED:
            while (session->count)
                s_session_pop (session);
            free (session->partial);
            session->partial = NULL;
            if (server) {
                pthread_mutex_lock (&server->mutex);
                server->open--;
                pthread_mutex_unlock (&server->mutex);
            }
            break;

        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        default:
            break;
    }
    return 0;
}

static const struct lws_protocols s_echo_protocols [] = {
    { "http-only", lws_callback_http_dummy, 0, 0, 0, NULL, 0 },
    { "ocpp1.6", s_echo_callback, sizeof (echo_session_t), 4096, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void *
s_echo_thread (void *args)
{
    echo_server_t *server = (echo_server_t *) args;
    while (true) {
        pthread_mutex_lock (&server->mutex);
        bool stop = server->stop;
        pthread_mutex_unlock (&server->mutex);
        if (stop || lws_service (server->context, 0) < 0)
            break;
    }
    return NULL;
}

//  Start (or restart, on the same port when port != 0) the echo server.
static void
echo_server_start (echo_server_t *server, int port)
{
    struct lws_context_creation_info info;
    memset (&info, 0, sizeof (info));
    info.port = port ? port : 0;
    info.iface = "127.0.0.1";
    info.protocols = s_echo_protocols;
    info.user = server;
    info.gid = -1;
    info.uid = -1;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    if (server->cert) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = server->cert;
        info.ssl_private_key_filepath = server->key;
    }
    server->stop = false;
    server->context = lws_create_context (&info);
    assert_non_null (server->context);
    //  Port 0 asks the kernel for a free one; read back what it chose
    struct lws_vhost *vhost = lws_get_vhost_by_name (server->context, "default");
    assert_non_null (vhost);
    server->port = lws_get_vhost_listen_port (vhost);
    assert_true (server->port > 0);
    assert_int_equal (pthread_create (&server->thread, NULL, s_echo_thread, server), 0);
}

static void
echo_server_stop (echo_server_t *server)
{
    pthread_mutex_lock (&server->mutex);
    server->stop = true;
    pthread_mutex_unlock (&server->mutex);
    lws_cancel_service (server->context);
    pthread_join (server->thread, NULL);
    lws_context_destroy (server->context);
    server->context = NULL;
}

static void
echo_server_init (echo_server_t *server, const char *identity, const char *password)
{
    memset (server, 0, sizeof (*server));
    pthread_mutex_init (&server->mutex, NULL);
    if (password) {
        char plain [128], b64 [200];
        size_t written = 0;
        int n = snprintf (plain, sizeof (plain), "%s:%s", identity, password);
        assert_int_equal (mbedtls_base64_encode ((unsigned char *) b64, sizeof (b64), &written,
                                                 (unsigned char *) plain, (size_t) n), 0);
        b64 [written] = '\0';
        snprintf (server->expected_auth, sizeof (server->expected_auth), "Basic %s", b64);
    }
}

//  lws 4.1 leaks the TLS state of sessions still open when a server
//  context is destroyed, so TLS tests let the server see the client's
//  close first (bounded wait; a timeout only costs a leak report).
static void
echo_server_wait_idle (echo_server_t *server, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        pthread_mutex_lock (&server->mutex);
        int open = server->open;
        pthread_mutex_unlock (&server->mutex);
        if (open <= 0)
            return;
        zclock_sleep (10);
    }
}

static int
echo_server_connections (echo_server_t *server)
{
    pthread_mutex_lock (&server->mutex);
    int n = server->connections;
    pthread_mutex_unlock (&server->mutex);
    return n;
}


//  --------------------------------------------------------------------------
//  Raw handshake server, for servers lws will not pretend to be

typedef struct {
    int listener;
    int port;
    bool with_protocol;         //  answer Sec-WebSocket-Protocol: ocpp1.6
    const char *instead;        //  non-NULL: send only this (may be "") and
                                //  never complete the handshake
    pthread_mutex_t mutex;
    int accepted;               //  connections accepted so far
    int wake [2];               //  pipe: stop request
    pthread_t thread;
    int clients [64];
    int client_count;
} raw_server_t;

static void
s_raw_handshake (raw_server_t *server, int fd)
{
    char request [4096];
    size_t got = 0;
    while (got < sizeof (request) - 1) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll (&pfd, 1, 2000) <= 0)
            return;
        ssize_t n = read (fd, request + got, sizeof (request) - 1 - got);
        if (n <= 0)
            return;
        got += (size_t) n;
        request [got] = '\0';
        if (strstr (request, "\r\n\r\n"))
            break;
    }
    if (server->instead) {
        size_t len = strlen (server->instead);
        if (len && write (fd, server->instead, len) != (ssize_t) len)
            return;
        return;
    }
    const char *key = strcasestr (request, "Sec-WebSocket-Key:");
    if (!key)
        return;
    key += strlen ("Sec-WebSocket-Key:");
    while (*key == ' ')
        key++;
    char accept_src [128];
    size_t key_len = strcspn (key, "\r\n");
    if (key_len > 60)
        return;
    snprintf (accept_src, sizeof (accept_src), "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
              (int) key_len, key);
    unsigned char digest [20];
    lws_SHA1 ((unsigned char *) accept_src, strlen (accept_src), digest);
    char accept [64];
    if (lws_b64_encode_string ((char *) digest, 20, accept, sizeof (accept)) < 0)
        return;
    char response [512];
    int n = snprintf (response, sizeof (response),
                      "HTTP/1.1 101 Switching Protocols\r\n"
                      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Accept: %s\r\n%s\r\n",
                      accept, server->with_protocol ? "Sec-WebSocket-Protocol: ocpp1.6\r\n" : "");
    if (write (fd, response, (size_t) n) != n)
        return;
}

static void *
s_raw_thread (void *args)
{
    raw_server_t *server = (raw_server_t *) args;
    while (true) {
        struct pollfd pfds [2] = {
            { .fd = server->listener, .events = POLLIN },
            { .fd = server->wake [0], .events = POLLIN }
        };
        if (poll (pfds, 2, -1) < 0 && errno != EINTR)
            break;
        if (pfds [1].revents)
            break;
        if (pfds [0].revents & POLLIN) {
            int fd = accept (server->listener, NULL, NULL);
            if (fd < 0)
                continue;
            pthread_mutex_lock (&server->mutex);
            server->accepted++;
            pthread_mutex_unlock (&server->mutex);
            s_raw_handshake (server, fd);
            //  Keep it open and never read again: no pong, no close
            if (server->client_count < 64)
                server->clients [server->client_count++] = fd;
            else
                close (fd);
        }
    }
    return NULL;
}

static void
raw_server_start_as (raw_server_t *server, bool with_protocol, const char *instead)
{
    memset (server, 0, sizeof (*server));
    server->with_protocol = with_protocol;
    server->instead = instead;
    pthread_mutex_init (&server->mutex, NULL);
    server->listener = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (server->listener >= 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (bind (server->listener, (struct sockaddr *) &addr, sizeof (addr)), 0);
    assert_int_equal (listen (server->listener, 8), 0);
    socklen_t addr_len = sizeof (addr);
    assert_int_equal (getsockname (server->listener, (struct sockaddr *) &addr, &addr_len), 0);
    server->port = ntohs (addr.sin_port);
    assert_int_equal (pipe (server->wake), 0);
    assert_int_equal (pthread_create (&server->thread, NULL, s_raw_thread, server), 0);
}

static void
raw_server_start (raw_server_t *server, bool with_protocol)
{
    raw_server_start_as (server, with_protocol, NULL);
}

static int
raw_server_accepted (raw_server_t *server)
{
    pthread_mutex_lock (&server->mutex);
    int n = server->accepted;
    pthread_mutex_unlock (&server->mutex);
    return n;
}

static void
raw_server_stop (raw_server_t *server)
{
    assert_int_equal (write (server->wake [1], "x", 1), 1);
    pthread_join (server->thread, NULL);
    for (int i = 0; i < server->client_count; i++)
        close (server->clients [i]);
    close (server->listener);
    close (server->wake [0]);
    close (server->wake [1]);
    pthread_mutex_destroy (&server->mutex);
}


//  --------------------------------------------------------------------------
//  Owner side: event waits on the client's events descriptor

typedef struct {
    wsclient_t *client;
} owner_t;

//  Every scenario runs twice: with the client's own service thread, and
//  hosted (wsclient_new_hosted), turned by the owner's waits below as an
//  actor's loop turns it.
static bool s_hosted;

static wsclient_t *
owner_client_new (const wsclient_config_t *cfg)
{
    return s_hosted ? wsclient_new_hosted (cfg) : wsclient_new (cfg);
}

static void
owner_init (owner_t *owner, const char *name)
{
    (void) name;
    memset (owner, 0, sizeof (*owner));
}

static void
owner_destroy (owner_t *owner)
{
    wsclient_destroy (&owner->client);
    assert_null (owner->client);
}

//  The next event, whatever it is, as the whole message (NULL on timeout).
//  Waits as an actor's loop does: poll the descriptor, take until NULL.
static zmsg_t *
owner_next_msg (owner_t *owner, int timeout_ms)
{
    assert_non_null (owner->client);
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        zmsg_t *msg = wsclient_event_recv (owner->client);
        if (msg)
            return msg;
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return NULL;
        if (s_hosted) {
            int wait = wsclient_timeout_ms (owner->client);
            if (wait < 0 || wait > left)
                wait = (int) left;
            struct pollfd pfd = { .fd = wsclient_fd (owner->client), .events = POLLIN };
            if (poll (&pfd, 1, wait) < 0 && errno != EINTR)
                return NULL;
            wsclient_service (owner->client);
            continue;
        }
        struct pollfd pfd = { .fd = wsclient_events_fd (owner->client), .events = POLLIN };
        if (poll (&pfd, 1, (int) left) < 0 && errno != EINTR)
            return NULL;
    }
}

//  Wait until an event called name arrives (others are skipped); returns
//  its second frame (or "" when it has none) as a fresh string, or NULL on
//  timeout. *size gets the data length when size is not NULL.
static char *
owner_wait (owner_t *owner, const char *name, int timeout_ms, size_t *size)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return NULL;
        zmsg_t *msg = owner_next_msg (owner, (int) left);
        if (!msg)
            return NULL;
        char *event = zmsg_popstr (msg);
        zframe_t *data = zmsg_pop (msg);
        zmsg_destroy (&msg);
        char *text = NULL;
        size_t text_len = data ? zframe_size (data) : 0;
        text = malloc (text_len + 1);
        assert_non_null (text);
        if (text_len)
            memcpy (text, zframe_data (data), text_len);
        text [text_len] = '\0';
        zframe_destroy (&data);
        bool match = event && strcmp (event, name) == 0;
        if (getenv ("WSCLIENT_TEST_VERBOSE"))
            fprintf (stderr, "test: event %s [%.80s]\n", event ? event : "?", text);
        free (event);
        if (match) {
            if (size)
                *size = text_len;
            return text;
        }
        free (text);
    }
}

//  Wait until an event called name arrives (others are skipped); returns
//  the whole message, or NULL on timeout.
static zmsg_t *
owner_wait_msg (owner_t *owner, const char *name, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return NULL;
        zmsg_t *msg = owner_next_msg (owner, (int) left);
        if (!msg)
            return NULL;
        if (zframe_streq (zmsg_first (msg), name))
            return msg;
        zmsg_destroy (&msg);
    }
}

static void
owner_expect (owner_t *owner, const char *name)
{
    char *data = owner_wait (owner, name, WAIT_MS, NULL);
    if (!data)
        fail_msg ("no \"%s\" event within %d ms", name, WAIT_MS);
    free (data);
}

static wsclient_config_t
s_config (owner_t *owner, const char *url, const char *password)
{
    wsclient_config_t cfg = {
        .url = url, .identity = TEST_ID, .password = password,
        .ping_interval_s = 0, .backoff_min_ms = 50, .backoff_max_ms = 300,
        .max_frame = 1024
    };
    return cfg;
}

static void
s_echo_roundtrip (owner_t *owner, const char *text)
{
    assert_int_equal (wsclient_send (owner->client, text, strlen (text)), 0);
    char *echo = owner_wait (owner, "frame", WAIT_MS, NULL);
    assert_non_null (echo);
    assert_string_equal (echo, text);
    free (echo);
}


//  --------------------------------------------------------------------------
//  Loopback scenarios

//  An echo server on a free port and a client of it at ws://host:port/ocpp
//  with the right password (the client dials at once).
static void
s_echo_and_client (echo_server_t *server, owner_t *owner, const char *host)
{
    echo_server_init (server, TEST_ID, TEST_PASSWORD);
    echo_server_start (server, 0);
    owner_init (owner, host);
    char url [128];
    snprintf (url, sizeof (url), "ws://%s:%d/ocpp", host, server->port);
    wsclient_config_t cfg = s_config (owner, url, TEST_PASSWORD);
    owner->client = owner_client_new (&cfg);
    assert_non_null (owner->client);
}

//  The client's end of its link to port: a send buffer of a few KB (set,
//  so never grown by the kernel), so that a burst soon meets a socket
//  that takes only part of a frame.
static void
s_shrink_client_sndbuf (int port)
{
    int found = 0;
    for (int fd = 3; fd < 1024; fd++) {
        struct sockaddr_in peer;
        socklen_t size = sizeof (peer);
        if (getpeername (fd, (struct sockaddr *) &peer, &size) != 0 || peer.sin_family != AF_INET
        ||  ntohs (peer.sin_port) != port)
            continue;
        int small = 4096;
        assert_int_equal (setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof (small)), 0);
        found++;
    }
    assert_int_equal (found, 1);
}

static void
test_echo_fragments_limits_and_reconnect (void **state)
{
    echo_server_t server;
    owner_t owner;
    s_echo_and_client (&server, &owner, "127.0.0.1");

    char *target = owner_wait (&owner, "connecting", WAIT_MS, NULL);
    assert_non_null (target);
    char expected [160];
    snprintf (expected, sizeof (expected), "ws://127.0.0.1:%d/ocpp/CP%%201", server.port);
    assert_string_equal (target, expected);
    assert_null (strstr (target, TEST_PASSWORD));
    free (target);
    owner_expect (&owner, "connected");
    //  lws url-decodes the request URI before the server sees it
    pthread_mutex_lock (&server.mutex);
    assert_string_equal (server.last_path, "/ocpp/CP 1");
    pthread_mutex_unlock (&server.mutex);

    //  The events descriptor is readable exactly while events wait: taken
    //  to the last, it is quiet; the next event makes it readable again
    //  (threaded; hosted, the owner takes them after each service)
    if (!s_hosted) {
        zmsg_t *left;
        while ((left = wsclient_event_recv (owner.client)))
            zmsg_destroy (&left);
        struct pollfd pfd = { .fd = wsclient_events_fd (owner.client), .events = POLLIN };
        assert_int_equal (poll (&pfd, 1, 0), 0);
        assert_int_equal (wsclient_send (owner.client, "ping-owner", 10), 0);
        assert_int_equal (poll (&pfd, 1, WAIT_MS), 1);
        zmsg_t *echoed = wsclient_event_recv (owner.client);
        assert_non_null (echoed);
        assert_true (zframe_streq (zmsg_first (echoed), "frame"));
        assert_true (zframe_streq (zmsg_next (echoed), "ping-owner"));
        zmsg_destroy (&echoed);
    }

    //  Several messages in a row keep their order
    const char *call = "[2,\"1\",\"Heartbeat\",{}]";
    assert_int_equal (wsclient_send (owner.client, call, strlen (call)), 0);
    assert_int_equal (wsclient_send (owner.client, "[2,\"2\",\"X\",{}]", 14), 0);
    char *echo = owner_wait (&owner, "frame", WAIT_MS, NULL);
    assert_non_null (echo);
    assert_string_equal (echo, call);
    free (echo);
    echo = owner_wait (&owner, "frame", WAIT_MS, NULL);
    assert_non_null (echo);
    assert_string_equal (echo, "[2,\"2\",\"X\",{}]");
    free (echo);

    //  A burst sent without a service in between, while the server reads
    //  nothing, keeps its order, every frame whole: hosted, the first frames
    //  are written at once, and once the socket takes no more lws holds the
    //  rest of a frame and the later ones go through the queue, behind it
    //  (s_write_now)
    s_shrink_client_sndbuf (server.port);
    assert_int_equal (wsclient_send (owner.client, "PAUSE", 5), 0);
    enum { BURST = 500, BURST_LEN = 1000 };
    char frame [BURST_LEN + 1];
    for (int i = 0; i < BURST; i++) {
        int n = snprintf (frame, sizeof (frame), "burst-%04d:", i);
        memset (frame + n, 'a' + i % 26, BURST_LEN - (size_t) n);
        frame [BURST_LEN] = '\0';
        assert_int_equal (wsclient_send (owner.client, frame, BURST_LEN), 0);
    }
    for (int i = 0; i < BURST; i++) {
        size_t size = 0;
        echo = owner_wait (&owner, "frame", WAIT_MS, &size);
        assert_non_null (echo);
        char head [16];
        snprintf (head, sizeof (head), "burst-%04d:", i);
        assert_int_equal (size, BURST_LEN);
        assert_memory_equal (echo, head, strlen (head));
        assert_int_equal (echo [BURST_LEN - 1], 'a' + i % 26);
        free (echo);
    }

    //  A message in three WebSocket frames arrives as one
    assert_int_equal (wsclient_send (owner.client, "FRAG", 4), 0);
    echo = owner_wait (&owner, "frame", WAIT_MS, NULL);
    assert_non_null (echo);
    assert_string_equal (echo, "part1part2part3");
    free (echo);

    //  Exactly max_frame is fine; one byte more is "toolarge" with 200 bytes
    assert_int_equal (wsclient_send (owner.client, "BIG:1024", 8), 0);
    size_t size = 0;
    echo = owner_wait (&owner, "frame", WAIT_MS, &size);
    assert_non_null (echo);
    assert_int_equal (size, 1024);
    free (echo);
    assert_int_equal (wsclient_send (owner.client, "BIG:5000", 8), 0);
    zmsg_t *toolarge = owner_wait_msg (&owner, "toolarge", WAIT_MS);
    assert_non_null (toolarge);
    assert_int_equal (zmsg_size (toolarge), 3);
    zframe_t *head = zmsg_next (toolarge);
    assert_int_equal (zframe_size (head), WSCLIENT_TOOLARGE_HEAD);
    assert_int_equal (zframe_data (head) [0], 'x');
    assert_int_equal (zframe_data (head) [199], 'x');
    //  The whole size, so the owner can say how far over the limit it was
    assert_true (zframe_streq (zmsg_next (toolarge), "5000"));
    zmsg_destroy (&toolarge);
    //  ... and the link is still usable
    s_echo_roundtrip (&owner, "after-toolarge");

    //  A binary message is dropped and reported as "ignored", never as an
    //  error or a disconnect: the link and its session stay
    assert_int_equal (wsclient_send (owner.client, "BIN", 3), 0);
    zmsg_t *ignored = owner_wait_msg (&owner, "ignored", WAIT_MS);
    assert_non_null (ignored);
    char *what = zmsg_popstr (ignored);
    free (what);
    what = zmsg_popstr (ignored);
    assert_non_null (what);
    assert_string_equal (what, "binary frame of 3 bytes");
    free (what);
    zmsg_destroy (&ignored);
    assert_int_equal (wsclient_send (owner.client, "after-binary", 12), 0);
    zmsg_t *next = owner_next_msg (&owner, WAIT_MS);
    assert_non_null (next);
    assert_true (zframe_streq (zmsg_first (next), "frame"));
    assert_true (zframe_streq (zmsg_next (next), "after-binary"));
    zmsg_destroy (&next);

    //  The server closes: reported, then reconnected
    assert_int_equal (wsclient_send (owner.client, "CLOSE", 5), 0);
    char *why = owner_wait (&owner, "disconnected", WAIT_MS, NULL);
    assert_non_null (why);
    assert_non_null (strstr (why, "server closed"));
    free (why);
    owner_expect (&owner, "connected");
    s_echo_roundtrip (&owner, "after-server-close");

    //  The server goes away: disconnected, sends refused, errors while down
    int port = server.port;
    echo_server_stop (&server);
    why = owner_wait (&owner, "disconnected", WAIT_MS, NULL);
    assert_non_null (why);
    free (why);
    assert_int_equal (wsclient_send (owner.client, "x", 1), -1);
    why = owner_wait (&owner, "error", WAIT_MS, NULL);
    assert_non_null (why);
    assert_non_null (strstr (why, "refused"));
    free (why);

    //  ... and comes back on the same port: reconnected by itself
    echo_server_start (&server, port);
    owner_expect (&owner, "connected");
    s_echo_roundtrip (&owner, "after-restart");

    //  A test-requested drop reconnects as well
    wsclient_disconnect_for_test (owner.client);
    why = owner_wait (&owner, "disconnected", WAIT_MS, NULL);
    assert_non_null (why);
    assert_string_equal (why, "closed by client");
    free (why);
    owner_expect (&owner, "connected");
    s_echo_roundtrip (&owner, "after-drop");

    owner_destroy (&owner);
    echo_server_stop (&server);
    pthread_mutex_destroy (&server.mutex);
}

//  A host name, not an address: resolved (hosted, on libuv's workers, never
//  on the owner's loop) and dialled; the Host header keeps the name.
static void
test_host_name_is_resolved (void **state)
{
    echo_server_t server;
    owner_t owner;
    s_echo_and_client (&server, &owner, "localhost");
    owner_expect (&owner, "connected");
    s_echo_roundtrip (&owner, "by-name");
    owner_destroy (&owner);
    echo_server_stop (&server);
    pthread_mutex_destroy (&server.mutex);
}

static void
test_wrong_password_is_http_401 (void **state)
{
    echo_server_t server;
    echo_server_init (&server, TEST_ID, TEST_PASSWORD);
    echo_server_start (&server, 0);
    owner_t owner;
    owner_init (&owner, "401");

    char url [128];
    snprintf (url, sizeof (url), "ws://127.0.0.1:%d/ocpp", server.port);
    wsclient_config_t cfg = s_config (&owner, url, "wrong");
    owner.client = owner_client_new (&cfg);
    assert_non_null (owner.client);
    char *why = owner_wait (&owner, "error", WAIT_MS, NULL);
    assert_non_null (why);
    assert_non_null (strstr (why, "401"));
    assert_null (strstr (why, "wrong"));
    free (why);
    //  It keeps retrying (and failing) with back-off
    why = owner_wait (&owner, "error", WAIT_MS, NULL);
    assert_non_null (why);
    free (why);
    assert_int_equal (echo_server_connections (&server), 0);

    //  No password at all is refused the same way
    cfg.password = NULL;
    assert_int_equal (wsclient_reconfigure (owner.client, &cfg), 0);
    owner_expect (&owner, "connecting");
    why = owner_wait (&owner, "error", WAIT_MS, NULL);
    assert_non_null (why);
    assert_non_null (strstr (why, "401"));
    free (why);

    //  The right password, given by reconfigure, gets in at once
    cfg.password = TEST_PASSWORD;
    assert_int_equal (wsclient_reconfigure (owner.client, &cfg), 0);
    owner_expect (&owner, "connected");
    s_echo_roundtrip (&owner, "authorized");

    //  An invalid reconfiguration is refused and changes nothing
    wsclient_config_t bad = cfg;
    bad.url = "http://127.0.0.1/";
    errno = 0;
    assert_int_equal (wsclient_reconfigure (owner.client, &bad), -1);
    assert_int_equal (errno, EINVAL);
    s_echo_roundtrip (&owner, "still-here");

    owner_destroy (&owner);
    echo_server_stop (&server);
    pthread_mutex_destroy (&server.mutex);
}

static void
test_server_without_ocpp16_is_error (void **state)
{
    raw_server_t server;
    raw_server_start (&server, false);
    owner_t owner;
    owner_init (&owner, "noproto");

    char url [128];
    snprintf (url, sizeof (url), "ws://127.0.0.1:%d/", server.port);
    wsclient_config_t cfg = s_config (&owner, url, NULL);
    owner.client = owner_client_new (&cfg);
    assert_non_null (owner.client);
    char *why = owner_wait (&owner, "error", WAIT_MS, NULL);
    assert_non_null (why);
    assert_non_null (strstr (why, "subprotocol"));
    free (why);
    //  and it retries later
    owner_expect (&owner, "connecting");
    owner_destroy (&owner);
    raw_server_stop (&server);
}

//  A server that accepts TCP and then never completes the handshake (or
//  sends only the start of a 101) must not keep the client waiting: the
//  watchdog ends the attempt, reports it as an error and retries, every
//  time. handshake_timeout_s 1 is below lws' own timeouts, so this is the
//  watchdog at work, not lws.
static void
s_silent_server_retried (const char *instead)
{
    raw_server_t server;
    raw_server_start_as (&server, true, instead);
    owner_t owner;
    owner_init (&owner, *instead ? "partial101" : "silent");

    char url [128];
    snprintf (url, sizeof (url), "ws://127.0.0.1:%d/", server.port);
    wsclient_config_t cfg = s_config (&owner, url, NULL);
    cfg.handshake_timeout_s = 1;
    owner.client = owner_client_new (&cfg);
    assert_non_null (owner.client);
    for (int attempt = 0; attempt < 3; attempt++) {
        owner_expect (&owner, "connecting");
        int64_t start = zclock_mono ();
        zmsg_t *msg = owner_next_msg (&owner, WAIT_MS);
        assert_non_null (msg);
        //  The very next event ends the attempt: no "connected" in between
        assert_true (zframe_streq (zmsg_first (msg), "error"));
        assert_true (zframe_streq (zmsg_next (msg), "handshake timed out after 1 s"));
        zmsg_destroy (&msg);
        int64_t took = zclock_mono () - start;
        if (took < 800 || took > 3000)
            fail_msg ("attempt ended after %d ms, expected about 1000", (int) took);
    }
    assert_true (raw_server_accepted (&server) >= 3);
    owner_destroy (&owner);
    raw_server_stop (&server);
}

static void
test_silent_server_times_out_and_retries (void **state)
{
    s_silent_server_retried ("");
}

static void
test_partial_101_times_out_and_retries (void **state)
{
    s_silent_server_retried ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n");
}

static void
test_missed_pong_disconnects (void **state)
{
    raw_server_t server;
    raw_server_start (&server, true);
    owner_t owner;
    owner_init (&owner, "nopong");

    char url [128];
    snprintf (url, sizeof (url), "ws://127.0.0.1:%d/", server.port);
    wsclient_config_t cfg = s_config (&owner, url, NULL);
    cfg.ping_interval_s = 1;
    owner.client = owner_client_new (&cfg);
    assert_non_null (owner.client);
    owner_expect (&owner, "connected");
    char *why = owner_wait (&owner, "disconnected", WAIT_MS, NULL);
    assert_non_null (why);
    assert_string_equal (why, "missed pong");
    free (why);
    owner_expect (&owner, "connected");
    owner_destroy (&owner);
    raw_server_stop (&server);
}

static void
test_pings_answered_keep_link (void **state)
{
    echo_server_t server;
    echo_server_init (&server, TEST_ID, NULL);
    echo_server_start (&server, 0);
    owner_t owner;
    owner_init (&owner, "ping");

    char url [128];
    snprintf (url, sizeof (url), "ws://127.0.0.1:%d", server.port);
    wsclient_config_t cfg = s_config (&owner, url, NULL);
    cfg.ping_interval_s = 1;
    owner.client = owner_client_new (&cfg);
    assert_non_null (owner.client);
    owner_expect (&owner, "connected");
    //  Several ping intervals and more than one hangup period pass without
    //  any disconnect, because lws' server answers the pings
    char *why = owner_wait (&owner, "disconnected", 4500, NULL);
    if (why)
        fail_msg ("link dropped despite pongs: %s", why);
    s_echo_roundtrip (&owner, "still-alive");
    assert_int_equal (echo_server_connections (&server), 1);

    owner_destroy (&owner);
    echo_server_stop (&server);
    pthread_mutex_destroy (&server.mutex);
}


//  --------------------------------------------------------------------------
//  TLS with a throw-away CA

static int
s_run (const char *command)
{
    int rc = system (command);
    return rc == 0 ? 0 : -1;
}

static void
test_tls_with_private_ca (void **state)
{
    char dir [] = "/tmp/wsclient-tls-XXXXXX";
    assert_non_null (mkdtemp (dir));
    char command [2048];
    snprintf (command, sizeof (command),
        "cd %s && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "  -keyout ca.key -out ca.pem -days 2 -subj '/CN=wsclient test CA' "
        "  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign "
        "  >/dev/null 2>&1 && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "  -keyout server.key -out server.csr -subj '/CN=127.0.0.1' >/dev/null 2>&1 && "
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:127.0.0.1\\n"
        "basicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "  -out server.pem -days 2 -extfile ext.cnf >/dev/null 2>&1 && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "  -keyout other.key -out other.pem -days 2 -subj '/CN=wsclient other CA' "
        "  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign "
        "  >/dev/null 2>&1 && "
        "printf 'not a certificate\\n' > junk.pem",
        dir);
    if (s_run (command) != 0)
        fail_msg ("openssl could not make the test certificates");
    char ca [128], cert [128], key [128], other [128], junk [128], missing [128];
    snprintf (other, sizeof (other), "%s/other.pem", dir);
    snprintf (junk, sizeof (junk), "%s/junk.pem", dir);
    snprintf (missing, sizeof (missing), "%s/missing.pem", dir);
    snprintf (ca, sizeof (ca), "%s/ca.pem", dir);
    snprintf (cert, sizeof (cert), "%s/server.pem", dir);
    snprintf (key, sizeof (key), "%s/server.key", dir);

    echo_server_t server;
    echo_server_init (&server, TEST_ID, TEST_PASSWORD);
    server.cert = cert;
    server.key = key;
    echo_server_start (&server, 0);
    owner_t owner;
    owner_init (&owner, "tls");

    char url [128];
    snprintf (url, sizeof (url), "wss://127.0.0.1:%d/ocpp", server.port);
    wsclient_config_t cfg = s_config (&owner, url, TEST_PASSWORD);
    cfg.ca_file = ca;
    owner.client = owner_client_new (&cfg);
    assert_non_null (owner.client);
    owner_expect (&owner, "connected");
    s_echo_roundtrip (&owner, "[2,\"tls\",\"Heartbeat\",{}]");

    //  Same server, system CA store: the certificate must be refused
    cfg.ca_file = NULL;
    assert_int_equal (wsclient_reconfigure (owner.client, &cfg), 0);
    char *why = owner_wait (&owner, "disconnected", WAIT_MS, NULL);
    assert_non_null (why);
    assert_string_equal (why, "reconfigured");
    free (why);
    why = owner_wait (&owner, "error", WAIT_MS, NULL);
    assert_non_null (why);
    if (!strstr (why, "certificate"))
        fail_msg ("TLS failure reason without \"certificate\": %s", why);
    free (why);

    //  The system store (here: SSL_CERT_FILE naming the server's CA) is
    //  trusted without ca_file ...
    assert_int_equal (setenv ("SSL_CERT_FILE", ca, 1), 0);
    assert_int_equal (wsclient_reconfigure (owner.client, &cfg), 0);
    owner_expect (&owner, "connected");
    //  ... but never in addition to one: ca_file is the only trust anchor
    cfg.ca_file = other;
    assert_int_equal (wsclient_reconfigure (owner.client, &cfg), 0);
    why = owner_wait (&owner, "disconnected", WAIT_MS, NULL);
    assert_non_null (why);
    free (why);
    why = owner_wait (&owner, "error", WAIT_MS, NULL);
    assert_non_null (why);
    if (!strstr (why, "certificate"))
        fail_msg ("trusted the system store beside ca_file: %s", why);
    free (why);
    unsetenv ("SSL_CERT_FILE");
    owner_destroy (&owner);

    //  Bundles are checked before use, with one clear line
    char err [512];
    assert_int_equal (wsclient_check_ca_file (ca, err, sizeof (err)), 0);
    assert_int_equal (wsclient_check_ca_file (other, err, sizeof (err)), 0);
    assert_int_equal (wsclient_check_ca_file (missing, err, sizeof (err)), -1);
    assert_non_null (strstr (err, "cannot be read"));
    assert_non_null (strstr (err, missing));
    assert_int_equal (wsclient_check_ca_file (dir, err, sizeof (err)), -1);
    assert_non_null (strstr (err, "not a regular file"));
    assert_int_equal (wsclient_check_ca_file (junk, err, sizeof (err)), -1);
    assert_non_null (strstr (err, "no usable PEM certificate"));
    assert_null (strchr (err, '\n'));
    echo_server_wait_idle (&server, 2000);
    echo_server_stop (&server);
    pthread_mutex_destroy (&server.mutex);

    snprintf (command, sizeof (command), "rm -rf %s", dir);
    assert_int_equal (s_run (command), 0);
}

//  LeakSanitizer hook (used only in sanitizer builds). lws 4.1 with
//  OpenSSL 3 leaves OpenSSL objects (a system CA store, an SSL_CTX) behind
//  after the test's TLS *server* context is destroyed; the allocations are
//  made inside lws_create_vhost of echo_server_start, never by wsclient.
//  OpenSSL has no frame pointers, so LSan cannot see past libcrypto/libssl
//  to tell whose they are: allocations made inside OpenSSL are suppressed,
//  every other leak (wsclient's own memory included) is still reported.
const char *__lsan_default_suppressions (void);
const char *
__lsan_default_suppressions (void)
{
    return "leak:libcrypto.so\nleak:libssl.so\n";
}

int
main (void)
{
    //  The tests' own lws servers should be as quiet as the client
    lws_set_log_level (LLL_ERR, NULL);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_parse_url),
        cmocka_unit_test (test_build_path),
        cmocka_unit_test (test_backoff),
        cmocka_unit_test (test_new_rejects_bad_config),
        cmocka_unit_test (test_echo_fragments_limits_and_reconnect),
        cmocka_unit_test (test_host_name_is_resolved),
        cmocka_unit_test (test_wrong_password_is_http_401),
        cmocka_unit_test (test_server_without_ocpp16_is_error),
        cmocka_unit_test (test_silent_server_times_out_and_retries),
        cmocka_unit_test (test_partial_101_times_out_and_retries),
        cmocka_unit_test (test_missed_pong_disconnects),
        cmocka_unit_test (test_pings_answered_keep_link),
        cmocka_unit_test (test_tls_with_private_ca),
    };
    int rc = cmocka_run_group_tests_name ("threaded", tests, NULL, NULL);
    s_hosted = true;
    rc |= cmocka_run_group_tests_name ("hosted", tests, NULL, NULL);
    zsys_shutdown ();
    return rc;
}
