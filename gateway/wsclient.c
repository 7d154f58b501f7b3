/*  =========================================================================
    wsclient - the WebSocket client that carries OCPP-J text frames

    Why this file exists: see wsclient.h. How it works:

    - One private thread owns an lws context and the only connection (wsi).
      Everything lws-related happens on that thread: callbacks, timers (lws
      "sul"), writes. The thread blocks in lws_service(); other threads
      never touch lws except lws_cancel_service(), which is documented as
      thread-safe and makes lws deliver LWS_CALLBACK_EVENT_WAIT_CANCELLED on
      the service thread.
    - The shared part of the object (send queue, connected flag, pending
      configuration, stop flag, the context pointer) is guarded by one
      mutex. The context pointer is published under the mutex and cleared
      before the context is destroyed, so the API never wakes a dead one.
      The wake-up itself (lws_cancel_service) is made after the mutex is
      released, under a lock of its own: made under the mutex, it woke the
      service thread straight into a mutex still held, a futex sleep and a
      second wake-up on every message sent (issue 12).
    - A new configuration rebuilds the whole lws context: TLS settings (CA
      file) live in the context's vhost, and rebuilding is the one path that
      is sure to drop every trace of the old settings.
    - Reconnects are lws_sul timers on the service thread, delayed by
      wsclient_backoff_ms(); nothing sleeps or polls.
    - Each connection attempt is tagged with a generation number (the wsi's
      opaque user data), and ends exactly once, in s_attempt_failed() or
      s_link_closed(), which schedule the retry. lws does not report every
      end the same way: a handshake that times out reaches neither
      CLIENT_CONNECTION_ERROR nor CLIENT_CLOSED, only CLOSED_CLIENT_HTTP
      and WSI_DESTROY. So every one of those ends the current attempt, and
      a watchdog on the whole attempt (TCP, TLS, upgrade) ends it when lws
      says nothing at all. Callbacks of an attempt that already ended carry
      an old generation and are ignored, so nothing is reported twice.
    - Pings: lws' validity timer (lws_retry_bo_t.secs_since_valid_ping /
      _hangup) sends PINGs and hangs up when no PONG proves the link alive.
    =========================================================================
*/

#define _GNU_SOURCE             //  strcasestr, explicit_bzero
#include "gateway/wsclient.h"
#include "gateway/wsclient_tls.h"

#include <sys/prctl.h>
#include <czmq.h>
#include <libwebsockets.h>
#include <uv.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <mbedtls/base64.h>
#include <mbedtls/error.h>
#include <mbedtls/x509_crt.h>

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WSCLIENT_DEFAULT_BACKOFF_MIN_MS 1000
#define WSCLIENT_DEFAULT_BACKOFF_MAX_MS 60000
#define WSCLIENT_DEFAULT_MAX_FRAME      (64 * 1024)
//  A connection attempt (TCP connect, TLS, HTTP upgrade) that has not
//  reached "connected" by then is abandoned and retried with back-off.
//  Generous for a TLS handshake over a slow mobile link.
#define WSCLIENT_DEFAULT_HANDSHAKE_S    20
//  Events waiting for the owner beyond this many are dropped (and said
//  so), so a stuck owner cannot take all the memory; the service thread
//  never waits for the owner (pings, shutdown go on).
#define WSCLIENT_EVENTS_MAX             1000
//  Longest reason string carried by "error" / "disconnected" events.
#define WSCLIENT_REASON_MAX             200

//  Owned copy of the configuration (strings duplicated).
typedef struct {
    char *url;
    char *identity;
    char *password;
    bool password_hex;
    char *ca_file;
    char *client_cert;
    char *client_key;
    int ping_interval_s;
    unsigned backoff_min_ms;
    unsigned backoff_max_ms;
    size_t max_frame;
    unsigned handshake_timeout_s;
    //  Derived from url + identity by s_config_set
    char scheme [8];
    char host [256];
    int port;
    char path [1024];           //  base path + encoded identity
    char host_header [300];     //  "host[:port]" with IPv6 brackets
    bool tls;
} s_config_t;

//  One queued outbound text message.
typedef struct s_outmsg_t {
    struct s_outmsg_t *next;
    size_t len;
    unsigned char buf [];       //  LWS_PRE bytes of headroom, then text
} s_outmsg_t;

struct _wsclient_t {
    //  --- Shared between API threads and the service thread (mutex) ---
    pthread_mutex_t mutex;
    pthread_cond_t cond;            //  wakes a thread waiting without lws
    pthread_mutex_t wake_mutex;     //  held to wake the context, and to change it
    struct lws_context *context;    //  NULL while none is alive (both mutexes to change)
    bool stop;                      //  destroy requested
    s_config_t *pending;            //  reconfigure requested
    bool disconnect_requested;      //  wsclient_disconnect_for_test
    bool connected;                 //  handshake done, link up
    s_outmsg_t *queue_head;
    s_outmsg_t *queue_tail;
    zlist_t *events;                //  zmsg_t events the owner has not taken
    int events_fd;                  //  eventfd: readable while events wait

    //  --- Hosted (wsclient_new_hosted): no thread; lws runs on a libuv loop
    //  the owner's loop turns through wsclient_fd / wsclient_service ---
    uv_loop_t *uv;                  //  NULL: threaded
    bool service_now;               //  an API call left work for the next service
    bool timers_changed;            //  we (re)scheduled an lws timer
    int64_t context_retry_ms;       //  no context: when to try again (zclock_mono)
    zlist_t *resolves;              //  s_resolve_t still under way (hosted)

    //  --- Service thread (or the owner's, hosted) only ---
    pthread_t thread;
    struct lws_context *dying;      //  being destroyed (lws clears it when done)
    s_config_t config;
    char *auth_header;              //  "Basic ...", secret: wiped on free
    wsclient_tls_t *tls;            //  the context's TLS (wss:), or NULL
    struct lws *wsi;                //  the current attempt's connection, or NULL
    uintptr_t generation;           //  tag of the current attempt (never 0)
    bool attempt_open;              //  an attempt is under way or linked
    bool tcp_up;                    //  this attempt's TCP connection was made (the server spoke or was spoken to)
    bool established;               //  ... and its handshake is done
    int64_t attempt_started_us;     //  lws_now_usecs() when it began
    lws_sorted_usec_list_t sul_watchdog;
    lws_sorted_usec_list_t sul_retry;
    bool retry_scheduled;
    bool immediate_retry;           //  next attempt without delay
    bool tearing_down;              //  lws_context_destroy is running
    bool stopping;                  //  ... because of wsclient_destroy
    unsigned attempt;               //  failed attempts since last success
    lws_retry_bo_t idle_policy;     //  ping / hangup seconds for lws
    int64_t last_valid_us;          //  last proof the link is alive
    char fail_reason [WSCLIENT_REASON_MAX];
    bool closing_by_us;
    bool peer_closed;
    int peer_close_code;
    //  Inbound message reassembly
    unsigned char *rx_buf;
    size_t rx_len;
    size_t rx_cap;
    bool rx_active;                 //  inside a message
    bool rx_binary;
    bool rx_toolarge;
    size_t rx_total;                //  bytes of the message so far, kept or not
    unsigned char rx_head [WSCLIENT_TOOLARGE_HEAD];
    size_t rx_head_len;
};


//  --------------------------------------------------------------------------
//  Pure helpers

static bool
s_is_unreserved (unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

int
wsclient_parse_url (const char *url, char *scheme, char *host, int *port, char *path)
{
    assert (scheme && host && port && path);
    if (!url)
        return -1;
    const char *sep = strstr (url, "://");
    if (!sep)
        return -1;
    size_t scheme_len = (size_t) (sep - url);
    bool tls;
    if (scheme_len == 2 && strncasecmp (url, "ws", 2) == 0)
        tls = false;
    else
    if (scheme_len == 3 && strncasecmp (url, "wss", 3) == 0)
        tls = true;
    else
        return -1;

    const char *auth = sep + 3;
    size_t auth_len = strcspn (auth, "/?#");
    const char *rest = auth + auth_len;
    if (auth_len == 0 || memchr (auth, '@', auth_len))
        return -1;              //  no host, or user info (secrets in URLs leak)

    //  Host: bracketed IPv6 literal or a name / IPv4 address
    const char *host_start, *host_end, *after;
    const char *auth_end = auth + auth_len;
    if (*auth == '[') {
        host_start = auth + 1;
        host_end = memchr (host_start, ']', (size_t) (auth_end - host_start));
        if (!host_end || host_end == host_start)
            return -1;
        for (const char *c = host_start; c < host_end; c++)
            if (!(isxdigit ((unsigned char) *c) || *c == ':' || *c == '.'))
                return -1;
        after = host_end + 1;
    }
    else {
        host_start = auth;
        host_end = host_start;
        while (host_end < auth_end && *host_end != ':')
            host_end++;
        if (host_end == host_start)
            return -1;
        for (const char *c = host_start; c < host_end; c++)
            if (!(isalnum ((unsigned char) *c) || *c == '-' || *c == '.' || *c == '_'))
                return -1;
        after = host_end;
    }
    size_t host_len = (size_t) (host_end - host_start);
    if (host_len >= 256)
        return -1;

    //  Port: optional ":digits" in 1..65535
    int port_value = tls ? 443 : 80;
    if (after < auth_end) {
        if (*after != ':' || after + 1 == auth_end)
            return -1;
        long value = 0;
        for (const char *c = after + 1; c < auth_end; c++) {
            if (!isdigit ((unsigned char) *c))
                return -1;
            value = value * 10 + (*c - '0');
            if (value > 65535)
                return -1;
        }
        if (value == 0)
            return -1;
        port_value = (int) value;
    }

    //  Path: the rest; query and fragment are refused because the identity
    //  has to be the last path segment
    if (*rest == '?' || *rest == '#' || strpbrk (rest, "?#"))
        return -1;
    size_t path_len = strlen (rest);
    if (path_len >= 512)
        return -1;
    for (const char *c = rest; *c; c++)
        if ((unsigned char) *c <= ' ' || (unsigned char) *c >= 0x7f)
            return -1;

    strcpy (scheme, tls ? "wss" : "ws");
    memcpy (host, host_start, host_len);
    host [host_len] = '\0';
    *port = port_value;
    if (path_len == 0)
        strcpy (path, "/");
    else
        memcpy (path, rest, path_len + 1);
    return 0;
}

int
wsclient_build_path (const char *base_path, const char *identity, char *out, size_t out_size)
{
    assert (out);
    if (!identity || !*identity || out_size == 0)
        return -1;
    if (!base_path || !*base_path)
        base_path = "/";
    static const char hex [] = "0123456789ABCDEF";
    size_t pos = 0;
    //  Leading slash guaranteed; trailing slash added only when missing
    if (*base_path != '/') {
        if (pos + 1 >= out_size)
            return -1;
        out [pos++] = '/';
    }
    size_t base_len = strlen (base_path);
    if (pos + base_len >= out_size)
        return -1;
    memcpy (out + pos, base_path, base_len);
    pos += base_len;
    if (out [pos - 1] != '/') {
        if (pos + 1 >= out_size)
            return -1;
        out [pos++] = '/';
    }
    for (const unsigned char *c = (const unsigned char *) identity; *c; c++) {
        if (s_is_unreserved (*c)) {
            if (pos + 1 >= out_size)
                return -1;
            out [pos++] = (char) *c;
        }
        else {
            if (pos + 3 >= out_size)
                return -1;
            out [pos++] = '%';
            out [pos++] = hex [*c >> 4];
            out [pos++] = hex [*c & 0x0f];
        }
    }
    out [pos] = '\0';
    return 0;
}

int
wsclient_check_client_cert (const char *cert, const char *key, char *err, size_t err_size)
{
    assert (cert && key && err);
    mbedtls_x509_crt chain;
    mbedtls_pk_context pk;
    mbedtls_x509_crt_init (&chain);
    mbedtls_pk_init (&pk);
    int rc = mbedtls_x509_crt_parse_file (&chain, cert);
    if (rc != 0 || !chain.raw.len)
        snprintf (err, err_size, "client certificate %s (--client-cert) holds no readable PEM certificate chain", cert);
    else
    if (mbedtls_pk_parse_keyfile (&pk, key, NULL) != 0)
        //  Never the key's content, nor mbedTLS's detail about it
        snprintf (err, err_size, "client key %s (--client-key) cannot be read as an unencrypted PEM key", key);
    else
    if (mbedtls_pk_check_pair (&chain.pk, &pk) != 0)
        snprintf (err, err_size, "client key %s (--client-key) is not the key of %s", key, cert);
    else
        err [0] = '\0';
    mbedtls_pk_free (&pk);
    mbedtls_x509_crt_free (&chain);
    return err [0] ? -1 : 0;
}

int
wsclient_check_ca_file (const char *path, char *err, size_t err_size)
{
    assert (path && err);
    struct stat st;
    FILE *file = fopen (path, "r");
    if (!file) {
        snprintf (err, err_size, "CA file %s (--ca-file) cannot be read: %s", path, strerror (errno));
        return -1;
    }
    bool regular = fstat (fileno (file), &st) == 0 && S_ISREG (st.st_mode);
    fclose (file);
    if (!regular) {
        snprintf (err, err_size, "CA file %s (--ca-file) is not a regular file", path);
        return -1;
    }
    //  A bundle may hold certificates this parser cannot read (it then
    //  returns how many); one usable certificate is enough
    mbedtls_x509_crt chain;
    mbedtls_x509_crt_init (&chain);
    int rc = mbedtls_x509_crt_parse_file (&chain, path);
    int count = 0;
    for (const mbedtls_x509_crt *crt = &chain; crt && crt->version; crt = crt->next)
        count++;
    mbedtls_x509_crt_free (&chain);
    if (count == 0) {
        char detail [128] = "";
        if (rc < 0)
            mbedtls_strerror (rc, detail, sizeof (detail));
        snprintf (err, err_size, "CA file %s (--ca-file) holds no usable PEM certificate%s%s",
                  path, detail [0] ? ": " : "", detail);
        return -1;
    }
    return 0;
}

unsigned
wsclient_backoff_ms (unsigned attempt, unsigned min_ms, unsigned max_ms, uint32_t random32)
{
    if (min_ms == 0)
        min_ms = 1;
    if (max_ms < min_ms)
        max_ms = min_ms;
    //  Double step by step so a large attempt count cannot overflow
    unsigned base = min_ms;
    for (unsigned i = 0; i < attempt && base < max_ms; i++)
        base = base > max_ms / 2 ? max_ms : base * 2;
    if (base > max_ms)
        base = max_ms;
    unsigned half = base / 2;
    unsigned span = base - half;        //  random part, 0..span inclusive
    return half + (unsigned) (random32 % ((uint64_t) span + 1));
}


//  --------------------------------------------------------------------------
//  Configuration copies

static void
s_config_clear (s_config_t *config)
{
    free (config->url);
    free (config->identity);
    if (config->password) {
        //  Wipe the secret before it returns to the allocator
        explicit_bzero (config->password, strlen (config->password));
        free (config->password);
    }
    free (config->ca_file);
    free (config->client_cert);
    free (config->client_key);
    memset (config, 0, sizeof (*config));
}

static char *
s_strdup_or_null (const char *s, bool *failed)
{
    if (!s)
        return NULL;
    char *copy = strdup (s);
    if (!copy)
        *failed = true;
    return copy;
}

//  Validate cfg and fill config. Returns 0, or -1 with errno set.
static int
s_config_set (s_config_t *config, const wsclient_config_t *cfg)
{
    memset (config, 0, sizeof (*config));
    char base_path [512];
    if (!cfg->url || !cfg->identity || !*cfg->identity
    ||  wsclient_parse_url (cfg->url, config->scheme, config->host, &config->port, base_path) != 0
    ||  wsclient_build_path (base_path, cfg->identity, config->path, sizeof (config->path)) != 0) {
        errno = EINVAL;
        return -1;
    }
    config->tls = strcmp (config->scheme, "wss") == 0;
    bool ipv6 = strchr (config->host, ':') != NULL;
    bool default_port = config->port == (config->tls ? 443 : 80);
    if (default_port)
        snprintf (config->host_header, sizeof (config->host_header),
                  ipv6 ? "[%s]" : "%s", config->host);
    else
        snprintf (config->host_header, sizeof (config->host_header),
                  ipv6 ? "[%s]:%d" : "%s:%d", config->host, config->port);

    bool failed = false;
    config->url = s_strdup_or_null (cfg->url, &failed);
    config->identity = s_strdup_or_null (cfg->identity, &failed);
    config->password = (cfg->password && *cfg->password)
                     ? s_strdup_or_null (cfg->password, &failed) : NULL;
    config->password_hex = cfg->password_hex;
    config->ca_file = (cfg->ca_file && *cfg->ca_file)
                    ? s_strdup_or_null (cfg->ca_file, &failed) : NULL;
    //  A certificate without its key (or the other way round) is no client
    //  certificate: neither is used
    bool client = cfg->client_cert && *cfg->client_cert && cfg->client_key && *cfg->client_key;
    config->client_cert = client ? s_strdup_or_null (cfg->client_cert, &failed) : NULL;
    config->client_key = client ? s_strdup_or_null (cfg->client_key, &failed) : NULL;
    if (failed) {
        s_config_clear (config);
        errno = ENOMEM;
        return -1;
    }
    config->ping_interval_s = cfg->ping_interval_s > 0 ? cfg->ping_interval_s : 0;
    if (config->ping_interval_s > 30000)
        config->ping_interval_s = 30000;    //  lws keeps seconds in 16 bits
    config->backoff_min_ms = cfg->backoff_min_ms > 0
                           ? (unsigned) cfg->backoff_min_ms : WSCLIENT_DEFAULT_BACKOFF_MIN_MS;
    config->backoff_max_ms = cfg->backoff_max_ms > 0
                           ? (unsigned) cfg->backoff_max_ms : WSCLIENT_DEFAULT_BACKOFF_MAX_MS;
    if (config->backoff_max_ms < config->backoff_min_ms)
        config->backoff_max_ms = config->backoff_min_ms;
    config->max_frame = cfg->max_frame ? cfg->max_frame : WSCLIENT_DEFAULT_MAX_FRAME;
    config->handshake_timeout_s = cfg->handshake_timeout_s > 0
                                ? (unsigned) cfg->handshake_timeout_s : WSCLIENT_DEFAULT_HANDSHAKE_S;
    if (config->handshake_timeout_s > 3600)
        config->handshake_timeout_s = 3600;
    return 0;
}

static int
s_hex_nibble (char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

//  "Basic base64(identity:password)" (OCPP 1.6 security profiles 1 and 2),
//  or NULL when there is no password. The password is the key's text, or
//  with password_hex the bytes its hex digits spell (OCPP-J 6.2.2 speaks of
//  a 20-byte key set as 40 hex digits; central systems read it either way:
//  AuthorizationKeyEncoding). Returns -1 on failure (a key that is not hex
//  under password_hex included: the config actor refuses to store one).
static int
s_build_auth_header (const s_config_t *config, char **header_p)
{
    *header_p = NULL;
    if (!config->password)
        return 0;
    size_t id_len = strlen (config->identity);
    size_t key_len = strlen (config->password);
    if (config->password_hex && key_len % 2 != 0)
        return -1;
    size_t plain_len = id_len + 1 + (config->password_hex ? key_len / 2 : key_len);
    char *plain = malloc (plain_len + 1);
    if (!plain)
        return -1;
    memcpy (plain, config->identity, id_len);
    plain [id_len] = ':';
    if (!config->password_hex)
        memcpy (plain + id_len + 1, config->password, key_len);
    else
        for (size_t i = 0; i < key_len / 2; i++) {
            int hi = s_hex_nibble (config->password [2 * i]), lo = s_hex_nibble (config->password [2 * i + 1]);
            if (hi < 0 || lo < 0) {
                explicit_bzero (plain, plain_len);
                free (plain);
                return -1;
            }
            plain [id_len + 1 + i] = (char) (hi << 4 | lo);
        }
    plain [plain_len] = '\0';
    size_t b64_size = 4 * ((plain_len + 2) / 3) + 1;
    char *header = malloc (6 + b64_size);
    int rc = -1;
    if (header) {
        memcpy (header, "Basic ", 6);
        size_t written = 0;
        if (mbedtls_base64_encode ((unsigned char *) header + 6, b64_size, &written,
                                   (const unsigned char *) plain, plain_len) == 0) {
            header [6 + written] = '\0';
            *header_p = header;
            rc = 0;
        }
        else
            free (header);
    }
    explicit_bzero (plain, plain_len);
    free (plain);
    return rc;
}

static void
s_free_auth_header (char **header_p)
{
    if (*header_p) {
        explicit_bzero (*header_p, strlen (*header_p));
        free (*header_p);
        *header_p = NULL;
    }
}


//  --------------------------------------------------------------------------
//  Events to the owner (service thread only)

//  Queue one event for the owner (destroyed either way). The eventfd is
//  written after an event went into an empty queue; the owner resets it
//  only when it finds the queue empty (wsclient_event_recv, under the
//  mutex). So every event queued since the last reset has a write after
//  it, and no wake-up is lost; at worst the owner wakes once for an event
//  it already took. The write is made after the mutex is released: made
//  under it, the owner woke straight into the held mutex (issue 12).
static void
s_send_event (wsclient_t *self, zmsg_t **msg_p)
{
    pthread_mutex_lock (&self->mutex);
    size_t waiting = zlist_size (self->events);
    bool queued = waiting < WSCLIENT_EVENTS_MAX && zlist_append (self->events, *msg_p) == 0;
    pthread_mutex_unlock (&self->mutex);
    if (queued && waiting == 0 && self->events_fd >= 0) {
        uint64_t one = 1;
        if (write (self->events_fd, &one, sizeof (one)) != sizeof (one))
            fprintf (stderr, "wsclient: cannot signal the owner: %s\n", strerror (errno));
    }
    if (queued)
        *msg_p = NULL;
    else {
        zframe_t *name = zmsg_first (*msg_p);
        fprintf (stderr, "wsclient: owner not reading, dropped \"%.*s\" event\n",
                 name ? (int) zframe_size (name) : 1, name ? (char *) zframe_data (name) : "?");
        zmsg_destroy (msg_p);
    }
}

static void
s_emit (wsclient_t *self, const char *name, const void *data, size_t size, bool has_data)
{
    zmsg_t *msg = zmsg_new ();
    if (!msg)
        return;
    if (zmsg_addstr (msg, name) != 0
    ||  (has_data && zmsg_addmem (msg, data, size) != 0)) {
        zmsg_destroy (&msg);
        return;
    }
    s_send_event (self, &msg);
}

static void
s_emit_str (wsclient_t *self, const char *name, const char *text)
{
    if (text)
        s_emit (self, name, text, strlen (text), true);
    else
        s_emit (self, name, NULL, 0, false);
}


//  --------------------------------------------------------------------------
//  Send queue (mutex held by caller)

static void
s_queue_clear_locked (wsclient_t *self)
{
    while (self->queue_head) {
        s_outmsg_t *next = self->queue_head->next;
        free (self->queue_head);
        self->queue_head = next;
    }
    self->queue_tail = NULL;
}


//  --------------------------------------------------------------------------
//  Connection management (service thread only)

static void s_connect (wsclient_t *self);
static void s_dial (wsclient_t *self, const char *address);
static void s_api_requests (wsclient_t *self);
static void s_attempt_failed (wsclient_t *self, const char *reason);
static void s_sul_watchdog_cb (lws_sorted_usec_list_t *sul);
static unsigned s_hangup_secs (const s_config_t *config);

static void
s_sul_retry_cb (lws_sorted_usec_list_t *sul)
{
    wsclient_t *self = lws_container_of (sul, wsclient_t, sul_retry);
    self->retry_scheduled = false;
    s_connect (self);
}

static void
s_schedule_retry (wsclient_t *self)
{
    if (self->tearing_down || self->retry_scheduled || !self->context)
        return;
    unsigned delay_ms = 1;
    if (!self->immediate_retry) {
        uint32_t random32 = 0;
        if (lws_get_random (self->context, &random32, sizeof (random32)) != sizeof (random32))
            random32 = (uint32_t) time (NULL) ^ (uint32_t) (uintptr_t) self;
        delay_ms = wsclient_backoff_ms (self->attempt, self->config.backoff_min_ms,
                                        self->config.backoff_max_ms, random32);
        if (self->attempt < 64)
            self->attempt++;
    }
    self->immediate_retry = false;
    self->retry_scheduled = true;
    self->timers_changed = true;
    lws_sul_schedule (self->context, 0, &self->sul_retry, s_sul_retry_cb,
                      (lws_usec_t) delay_ms * LWS_US_PER_MS);
}

static void
s_rx_reset (wsclient_t *self)
{
    self->rx_len = 0;
    self->rx_active = false;
    self->rx_binary = false;
    self->rx_toolarge = false;
    self->rx_total = 0;
    self->rx_head_len = 0;
}

//  A host name resolution for one attempt (hosted). It may outlive the
//  attempt (or the client): its answer is then ignored.
typedef struct s_resolve_t {
    uv_getaddrinfo_t req;
    wsclient_t *self;               //  NULL: the client went away
    uintptr_t generation;           //  the attempt that asked
} s_resolve_t;

static void
s_resolved (uv_getaddrinfo_t *req, int status, struct addrinfo *result)
{
    s_resolve_t *resolve = (s_resolve_t *) req->data;
    wsclient_t *self = resolve->self;
    uintptr_t generation = resolve->generation;
    //  One address is dialled: the first IPv4 one, else the first IPv6
    //  one (a name with both, "localhost" among them, is most often served
    //  on IPv4; the next attempt resolves afresh)
    char address [INET6_ADDRSTRLEN] = "";
    struct addrinfo *pick = NULL;
    for (struct addrinfo *ai = status == 0 ? result : NULL; ai; ai = ai->ai_next)
        if (ai->ai_family == AF_INET || (ai->ai_family == AF_INET6 && !pick))
            if (!pick || pick->ai_family != AF_INET)
                pick = ai;
    if (pick) {
        const void *in = pick->ai_family == AF_INET6
                       ? (const void *) &((struct sockaddr_in6 *) pick->ai_addr)->sin6_addr
                       : (const void *) &((struct sockaddr_in *) pick->ai_addr)->sin_addr;
        if (!inet_ntop (pick->ai_family, in, address, sizeof (address)))
            address [0] = '\0';
    }
    uv_freeaddrinfo (result);
    if (self)
        zlist_remove (self->resolves, resolve);
    free (resolve);
    if (!self || !self->context || !self->attempt_open || self->generation != generation)
        return;                     //  that attempt ended meanwhile
    if (address [0])
        s_dial (self, address);
    else {
        char reason [WSCLIENT_REASON_MAX];
        snprintf (reason, sizeof (reason), "cannot resolve %.120s: %s", self->config.host,
                  status < 0 ? uv_strerror (status) : "no address");
        s_attempt_failed (self, reason);
    }
}

//  Resolve the URL's host for the current attempt, then dial it.
static void
s_resolve (wsclient_t *self)
{
    s_resolve_t *resolve = calloc (1, sizeof (s_resolve_t));
    if (!resolve || zlist_append (self->resolves, resolve) != 0) {
        free (resolve);
        s_attempt_failed (self, "cannot resolve: out of memory");
        return;
    }
    resolve->self = self;
    resolve->generation = self->generation;
    resolve->req.data = resolve;
    struct addrinfo hints;
    memset (&hints, 0, sizeof (hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = uv_getaddrinfo (self->uv, &resolve->req, s_resolved, self->config.host, NULL, &hints);
    if (rc != 0) {
        zlist_remove (self->resolves, resolve);
        free (resolve);
        char reason [WSCLIENT_REASON_MAX];
        snprintf (reason, sizeof (reason), "cannot resolve %.120s: %s", self->config.host, uv_strerror (rc));
        s_attempt_failed (self, reason);
    }
}

static void
s_connect (wsclient_t *self)
{
    char target [1400];
    snprintf (target, sizeof (target), "%s://%s%s",
              self->config.scheme, self->config.host_header, self->config.path);
    s_emit_str (self, "connecting", target);

    self->fail_reason [0] = '\0';
    if (self->tls)
        wsclient_tls_attempt_begin (self->tls);
    self->tcp_up = false;
    self->closing_by_us = false;
    self->peer_closed = false;
    self->peer_close_code = 0;
    s_rx_reset (self);

    //  A new tag: callbacks still coming for an earlier, abandoned
    //  connection carry the old one and are ignored
    self->generation++;
    if (self->generation == 0)
        self->generation = 1;
    self->attempt_open = true;
    self->established = false;
    self->attempt_started_us = lws_now_usecs ();
    self->wsi = NULL;
    self->timers_changed = true;
    lws_sul_schedule (self->context, 0, &self->sul_watchdog, s_sul_watchdog_cb,
                      (lws_usec_t) self->config.handshake_timeout_s * LWS_US_PER_SEC);
    //  Hosted, lws' own getaddrinfo would stop the owner's loop for as
    //  long as DNS takes (seconds when a server is down): a name is
    //  resolved on libuv's worker thread first. An address is dialled at once.
    unsigned char numeric [sizeof (struct in6_addr)];
    if (self->uv && inet_pton (AF_INET, self->config.host, numeric) != 1
                 && inet_pton (AF_INET6, self->config.host, numeric) != 1)
        s_resolve (self);
    else
        s_dial (self, self->config.host);
}

//  Open the connection of the current attempt to address (the URL's host,
//  or what it resolved to: the Host header, SNI and the certificate check
//  still use the URL's host).
static void
s_dial (wsclient_t *self, const char *address)
{
    uintptr_t generation = self->generation;
    char target [1400];
    snprintf (target, sizeof (target), "%s://%s%s",
              self->config.scheme, self->config.host_header, self->config.path);
    struct lws_client_connect_info info;
    memset (&info, 0, sizeof (info));
    info.context = self->context;
    info.address = address;
    info.port = self->config.port;
    info.ssl_connection = self->config.tls ? LCCSCF_USE_SSL : 0;
    info.path = self->config.path;
    info.host = self->config.host_header;
    info.origin = self->config.host_header;
    info.protocol = WSCLIENT_SUBPROTOCOL;
    info.local_protocol_name = WSCLIENT_SUBPROTOCOL;
    info.retry_and_idle_policy = &self->idle_policy;
    info.opaque_user_data = (void *) generation;
    //  No info.pwsi: lws would clear it when this connection dies, which
    //  may be after the next attempt has stored its own wsi there

    struct lws *wsi = lws_client_connect_via_info (&info);
    if (self->generation != generation || !self->attempt_open)
        return;                 //  already ended inside lws (and retried)
    if (wsi)
        self->wsi = wsi;
    else {
        fprintf (stderr, "wsclient: connect to %s failed\n", target);
        s_attempt_failed (self, "connect failed");
    }
}

//  True when wsi belongs to the attempt under way.
static bool
s_is_current (wsclient_t *self, struct lws *wsi)
{
    return self->attempt_open
        && (uintptr_t) lws_get_opaque_user_data (wsi) == self->generation;
}

//  The current attempt ended before the handshake completed: report the
//  failure and schedule the next attempt. reason is used unless a deeper
//  one (certificate, subprotocol) was recorded during the attempt.
static void
s_attempt_failed (wsclient_t *self, const char *reason)
{
    if (!self->attempt_open)
        return;
    self->attempt_open = false;
    self->established = false;
    self->wsi = NULL;
    lws_sul_cancel (&self->sul_watchdog);
    s_rx_reset (self);
    if (self->tearing_down)
        return;                 //  the context is going; no report, no retry
    //  The server's certificate refused, or an alert: what explains a
    //  handshake lws only calls "SSL err"
    const wsclient_tls_attempt_t *tls = self->tls ? wsclient_tls_attempt (self->tls) : NULL;
    const char *alert_reason = tls ? wsclient_tls_alert_reason (tls->alert) : NULL;
    if (!self->fail_reason [0] && tls && tls->refusal [0])
        snprintf (self->fail_reason, sizeof (self->fail_reason), "%s", tls->refusal);
    else
    if (!self->fail_reason [0] && alert_reason)
        snprintf (self->fail_reason, sizeof (self->fail_reason), "%s", alert_reason);
    const char *why = self->fail_reason [0] ? self->fail_reason : reason;
    fprintf (stderr, "wsclient: connection attempt failed: %s\n", why);
    s_emit_str (self, "error", why);
    s_schedule_retry (self);
}

//  The current, established link ended: forget what belonged to it, say
//  why and schedule the next attempt.
static void
s_link_closed (wsclient_t *self)
{
    if (!self->attempt_open)
        return;
    self->attempt_open = false;
    self->established = false;
    self->wsi = NULL;
    lws_sul_cancel (&self->sul_watchdog);
    pthread_mutex_lock (&self->mutex);
    self->connected = false;
    self->disconnect_requested = false;
    //  Unsent messages belong to the dead session: the OCPP layer
    //  times them out and must not see them on the next session
    s_queue_clear_locked (self);
    pthread_mutex_unlock (&self->mutex);
    s_rx_reset (self);

    char why [WSCLIENT_REASON_MAX];
    int64_t silent_s = (lws_now_usecs () - self->last_valid_us) / LWS_US_PER_SEC;
    if (self->stopping)
        return;                 //  owner is going away: stay silent
    if (self->tearing_down)
        snprintf (why, sizeof (why), "reconfigured");
    else
    if (self->closing_by_us)
        snprintf (why, sizeof (why), "closed by client");
    else
    if (self->peer_closed)
        snprintf (why, sizeof (why), "server closed (code %d)", self->peer_close_code);
    else
    if (self->config.ping_interval_s > 0
    &&  silent_s + 1 >= (int64_t) s_hangup_secs (&self->config))
        snprintf (why, sizeof (why), "missed pong");
    else
        snprintf (why, sizeof (why), "connection lost");
    fprintf (stderr, "wsclient: disconnected: %s\n", why);
    s_emit_str (self, "disconnected", why);
    s_schedule_retry (self);
}

//  The attempt took longer than handshake_timeout_s: whatever lws is still
//  waiting for (a TCP peer that accepted and went silent, half a 101) will
//  not come. Ask lws to drop the connection and move on at once; its late
//  callbacks carry this attempt's tag and are ignored.
static void
s_sul_watchdog_cb (lws_sorted_usec_list_t *sul)
{
    wsclient_t *self = lws_container_of (sul, wsclient_t, sul_watchdog);
    if (!self->attempt_open || self->established)
        return;
    if (!self->fail_reason [0])
        snprintf (self->fail_reason, sizeof (self->fail_reason),
                  "handshake timed out after %u s", self->config.handshake_timeout_s);
    if (self->wsi) {
        self->timers_changed = true;
        lws_set_timeout (self->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
    s_attempt_failed (self, self->fail_reason);
}

//  Turn what lws tells us about a failed attempt into one short reason.
static void
s_failure_reason (wsclient_t *self, struct lws *wsi, const char *in, size_t len,
                  char *reason, size_t size)
{
    char detail [160] = "";
    if (in && len) {
        size_t n = len < sizeof (detail) - 1 ? len : sizeof (detail) - 1;
        memcpy (detail, in, n);
        detail [n] = '\0';
        //  lws strings sometimes end with a newline
        while (n && (detail [n - 1] == '\n' || detail [n - 1] == '\r' || detail [n - 1] == ' '))
            detail [--n] = '\0';
    }
    unsigned status = wsi ? lws_http_client_http_response (wsi) : 0;
    const wsclient_tls_attempt_t *tls = self->tls ? wsclient_tls_attempt (self->tls) : NULL;
    bool server_spoke = self->tcp_up || (tls && tls->server_spoke);
    if (self->fail_reason [0])
        snprintf (reason, size, "%s", self->fail_reason);
    else
    if (status && status != 101)
        snprintf (reason, size, "HTTP %u%s%s", status, detail [0] ? ": " : "", detail);
    else
    if (strstr (detail, "Cannot match protocol") || strstr (detail, "PROTOCOL"))
        snprintf (reason, size, "subprotocol: server did not accept %s (%s)",
                  WSCLIENT_SUBPROTOCOL, detail);
    else
    if (strcasestr (detail, "cert") || strcasestr (detail, "verify")
    ||  strcasestr (detail, "x509"))
        snprintf (reason, size, "TLS: certificate verify failed (%s)", detail);
    else
    if (strcasestr (detail, "ssl") || strcasestr (detail, "tls"))
        snprintf (reason, size, "TLS: %s", detail);
    else
    if (strcasestr (detail, "refused") || strstr (detail, "Unable to connect")
    ||  strstr (detail, "connect failed")
    //  On a libuv loop (hosted) lws reports a refused or unreachable TCP
    //  connect only as a hang-up before the handshake
    ||  (!server_spoke && (!tls || tls->alert < 0) && strstr (detail, "closed before established")))
        //  lws 4.1 says "Unable to connect" when every address of the host
        //  refused or could not be reached; errno is gone by now
        snprintf (reason, size, "connection refused or unreachable (%s)", detail);
    else
        snprintf (reason, size, "%s", detail [0] ? detail : "connection failed");
}

static void
s_on_receive (wsclient_t *self, struct lws *wsi, const unsigned char *data, size_t len)
{
    if (!self->rx_active) {
        s_rx_reset (self);
        self->rx_active = true;
        self->rx_binary = lws_frame_is_binary (wsi) != 0;
    }
    self->rx_total += len;
    if (!self->rx_binary && !self->rx_toolarge) {
        if (self->rx_len + len > self->config.max_frame) {
            //  Keep only the head for the "toolarge" report; drop the rest
            self->rx_toolarge = true;
            size_t take = self->rx_len < WSCLIENT_TOOLARGE_HEAD ? self->rx_len : WSCLIENT_TOOLARGE_HEAD;
            memcpy (self->rx_head, self->rx_buf, take);
            size_t more = WSCLIENT_TOOLARGE_HEAD - take;
            if (more > len)
                more = len;
            memcpy (self->rx_head + take, data, more);
            self->rx_head_len = take + more;
        }
        else {
            if (self->rx_len + len + 1 > self->rx_cap) {
                size_t cap = self->rx_cap ? self->rx_cap : 4096;
                while (cap < self->rx_len + len + 1)
                    cap *= 2;
                unsigned char *grown = realloc (self->rx_buf, cap);
                if (!grown) {
                    //  Out of memory: treat like an oversized message
                    self->rx_toolarge = true;
                    self->rx_head_len = self->rx_len < WSCLIENT_TOOLARGE_HEAD
                                      ? self->rx_len : WSCLIENT_TOOLARGE_HEAD;
                    memcpy (self->rx_head, self->rx_buf, self->rx_head_len);
                }
                else {
                    self->rx_buf = grown;
                    self->rx_cap = cap;
                }
            }
            if (!self->rx_toolarge) {
                memcpy (self->rx_buf + self->rx_len, data, len);
                self->rx_len += len;
            }
        }
    }
    if (!lws_is_final_fragment (wsi))
        return;

    if (self->rx_binary) {
        //  OCPP-J uses text frames only. A binary one is the peer's
        //  protocol violation, not a sign the link is broken: drop it and
        //  say so, and keep the session (closing with 1003 would cost a
        //  reconnect, fail every call in flight, and let a peer that
        //  repeats it keep the charger offline)
        char why [64];
        snprintf (why, sizeof (why), "binary frame of %zu bytes", self->rx_total);
        s_emit_str (self, "ignored", why);
        fprintf (stderr, "wsclient: %s ignored\n", why);
    }
    else
    if (self->rx_toolarge) {
        char total [32];
        snprintf (total, sizeof (total), "%zu", self->rx_total);
        zmsg_t *msg = zmsg_new ();
        if (msg
        &&  zmsg_addstr (msg, "toolarge") == 0
        &&  zmsg_addmem (msg, self->rx_head, self->rx_head_len) == 0
        &&  zmsg_addstr (msg, total) == 0)
            s_send_event (self, &msg);
        zmsg_destroy (&msg);
        fprintf (stderr, "wsclient: inbound message of %zu bytes (above %zu) dropped\n",
                 self->rx_total, self->config.max_frame);
    }
    else
        s_emit (self, "frame", self->rx_buf, self->rx_len, true);
    s_rx_reset (self);
}

//  Seconds without proof of life before lws hangs up: one interval for the
//  ping to be sent, then as long again (at least 2 s) for the pong.
static unsigned
s_hangup_secs (const s_config_t *config)
{
    unsigned ping = (unsigned) config->ping_interval_s;
    return ping + (ping > 2 ? ping : 2);
}

static int
s_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    if (!wsi)
        return 0;
    struct lws_context *context = lws_get_context (wsi);
    wsclient_t *self = context ? (wsclient_t *) lws_context_user (context) : NULL;
    if (!self)
        return lws_callback_http_dummy (wsi, reason, user, in, len);

    int rc = 0;
    if (self->tls
    &&  wsclient_tls_callback (self->tls, wsi, (int) reason, user, in, len, s_is_current (self, wsi), &rc))
        return rc;

    switch (reason) {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            if (s_is_current (self, wsi))
                self->tcp_up = true;
            if (self->auth_header) {
                unsigned char **p = (unsigned char **) in;
                unsigned char *end = (*p) + len;
                if (lws_add_http_header_by_token (wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                        (const unsigned char *) self->auth_header,
                        (int) strlen (self->auth_header), p, end)) {
                    snprintf (self->fail_reason, sizeof (self->fail_reason),
                              "handshake headers do not fit");
                    return -1;
                }
            }
            break;

        case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH: {
            if (!s_is_current (self, wsi))
                return 1;           //  an abandoned attempt: never a link
            //  lws accepts a 101 without Sec-WebSocket-Protocol; OCPP-J
            //  requires the server to select ocpp1.6, so check it here
            char selected [64] = "";
            if (lws_hdr_copy (wsi, selected, sizeof (selected), WSI_TOKEN_PROTOCOL) < 0)
                selected [0] = '\0';
            if (strcmp (selected, WSCLIENT_SUBPROTOCOL) != 0) {
                snprintf (self->fail_reason, sizeof (self->fail_reason),
                          "subprotocol: server selected \"%s\", need %s",
                          selected, WSCLIENT_SUBPROTOCOL);
                return 1;
            }
            break;
        }
        case LWS_CALLBACK_CLIENT_ESTABLISHED: {
            if (!s_is_current (self, wsi))
                return -1;          //  an abandoned attempt: drop it
            self->wsi = wsi;
            self->established = true;
            lws_sul_cancel (&self->sul_watchdog);
            self->attempt = 0;
            self->last_valid_us = lws_now_usecs ();
            pthread_mutex_lock (&self->mutex);
            self->connected = true;
            bool have_queue = self->queue_head != NULL;
            pthread_mutex_unlock (&self->mutex);
            fprintf (stderr, "wsclient: connected\n");
            const char *root_fp = self->tls ? wsclient_tls_attempt (self->tls)->root_fp : "";
            s_emit_str (self, "connected", root_fp [0] ? root_fp : NULL);
            if (have_queue)
                lws_callback_on_writable (wsi);
            break;
        }

        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
            if (!s_is_current (self, wsi))
                break;
            char why [WSCLIENT_REASON_MAX + 64];
            if (self->tls)
                wsclient_tls_failed (self->tls, wsi);
            s_failure_reason (self, wsi, (const char *) in, len, why, sizeof (why));
            //  s_failure_reason already preferred a recorded deeper reason
            self->fail_reason [0] = '\0';
            s_attempt_failed (self, why);
            break;
        }
        case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        case LWS_CALLBACK_WSI_DESTROY:
            //  The ends lws reports when the handshake does not finish in
            //  time (or the peer closes during it); after an error or a
            //  close that was already reported the attempt is over and
            //  this does nothing
            if (!s_is_current (self, wsi))
                break;
            if (self->established)
                s_link_closed (self);
            else {
                char why [80];
                int64_t ms = (lws_now_usecs () - self->attempt_started_us) / LWS_US_PER_MS;
                snprintf (why, sizeof (why), "no complete handshake: connection closed after %.1f s",
                          (double) ms / 1000.0);
                s_attempt_failed (self, why);
            }
            break;

        case LWS_CALLBACK_CLIENT_RECEIVE:
            if (s_is_current (self, wsi) && self->established)
                s_on_receive (self, wsi, (const unsigned char *) in, len);
            break;

        case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
            //  Mirrors lws' validity timer, which only a PONG resets, so a
            //  close after the hangup period can be named "missed pong"
            self->last_valid_us = lws_now_usecs ();
            break;

        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            if (!s_is_current (self, wsi))
                break;
            self->peer_closed = true;
            if (in && len >= 2) {
                const unsigned char *code = (const unsigned char *) in;
                self->peer_close_code = (code [0] << 8) | code [1];
            }
            break;

        case LWS_CALLBACK_CLIENT_WRITEABLE: {
            if (!s_is_current (self, wsi) || !self->established)
                break;
            pthread_mutex_lock (&self->mutex);
            bool drop = self->disconnect_requested;
            self->disconnect_requested = false;
            s_outmsg_t *msg = drop ? NULL : self->queue_head;
            if (msg) {
                self->queue_head = msg->next;
                if (!self->queue_head)
                    self->queue_tail = NULL;
            }
            bool more = self->queue_head != NULL;
            pthread_mutex_unlock (&self->mutex);
            if (drop) {
                self->closing_by_us = true;
                lws_close_reason (wsi, LWS_CLOSE_STATUS_GOINGAWAY, NULL, 0);
                return -1;
            }
            if (msg) {
                int written = lws_write (wsi, msg->buf + LWS_PRE, msg->len, LWS_WRITE_TEXT);
                free (msg);
                if (written < 0) {
                    fprintf (stderr, "wsclient: write failed, dropping connection\n");
                    return -1;
                }
            }
            if (more)
                lws_callback_on_writable (wsi);
            break;
        }
        case LWS_CALLBACK_CLIENT_CLOSED:
            if (s_is_current (self, wsi))
                s_link_closed (self);
            break;

        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            //  An API call woke us: flush the queue or drop the link
            s_api_requests (self);
            break;

        default:
            break;
    }
    return 0;
}

static const struct lws_protocols s_protocols [] = {
    { WSCLIENT_SUBPROTOCOL, s_callback, 0, 0, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
};


//  --------------------------------------------------------------------------
//  Service thread

static struct lws_context *
s_context_new (wsclient_t *self)
{
    struct lws_context_creation_info info;
    memset (&info, 0, sizeof (info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = s_protocols;
    info.user = self;
    info.gid = -1;
    info.uid = -1;
    //  One link, plus lws' own descriptors (its wake-up pipe, DNS): lws
    //  would otherwise size its table by the open-file limit (httpd.c).
    info.fd_limit_per_thread = 16;
    if (self->tls)
        wsclient_tls_context_info (self->tls, &info);
    //  Ping / hangup policy for the connection (see s_hangup_secs)
    memset (&self->idle_policy, 0, sizeof (self->idle_policy));
    if (self->config.ping_interval_s > 0) {
        self->idle_policy.secs_since_valid_ping = (uint16_t) self->config.ping_interval_s;
        self->idle_policy.secs_since_valid_hangup = (uint16_t) s_hangup_secs (&self->config);
    }
    info.retry_and_idle_policy = &self->idle_policy;
    void *foreign_loops [1] = { self->uv };
    if (self->uv) {
        //  Hosted: lws' descriptors and timers on our libuv loop, which the
        //  owner's loop polls through one descriptor (wsclient_fd)
        info.options |= LWS_SERVER_OPTION_LIBUV;
        info.foreign_loops = foreign_loops;
        info.pcontext = &self->dying;
    }
    return lws_create_context (&info);
}

static bool
s_stop_requested (wsclient_t *self)
{
    pthread_mutex_lock (&self->mutex);
    bool stop = self->stop;
    pthread_mutex_unlock (&self->mutex);
    return stop;
}

static bool
s_should_leave (wsclient_t *self)
{
    pthread_mutex_lock (&self->mutex);
    bool leave = self->stop || self->pending;
    pthread_mutex_unlock (&self->mutex);
    return leave;
}

//  Wait up to ms on the condition variable, waking early on stop or a new
//  configuration. Used only when no lws context could be created.
static void
s_wait_without_lws (wsclient_t *self, unsigned ms)
{
    struct timespec deadline;
    clock_gettime (CLOCK_REALTIME, &deadline);
    deadline.tv_sec += ms / 1000;
    deadline.tv_nsec += (long) (ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock (&self->mutex);
    while (!self->stop && !self->pending)
        if (pthread_cond_timedwait (&self->cond, &self->mutex, &deadline) == ETIMEDOUT)
            break;
    pthread_mutex_unlock (&self->mutex);
}

//  Apply a configuration the owner handed over, if any.
static void
s_take_pending (wsclient_t *self)
{
    pthread_mutex_lock (&self->mutex);
    s_config_t *pending = self->pending;
    self->pending = NULL;
    pthread_mutex_unlock (&self->mutex);
    if (pending) {
        s_config_clear (&self->config);
        self->config = *pending;
        free (pending);
        self->attempt = 0;
    }
}

//  Make the lws context for the configuration in force and start the
//  first attempt. 0, or -1 with the time to wait before trying again.
static int
s_context_up (wsclient_t *self, unsigned *delay_ms)
{
    s_free_auth_header (&self->auth_header);
    if (s_build_auth_header (&self->config, &self->auth_header) != 0) {
        s_emit_str (self, "error", "out of memory");
        *delay_ms = self->config.backoff_max_ms;
        return -1;
    }
    //  The trust anchors and the charger's certificate, read at every new
    //  configuration: a new certificate needs a reconfigure
    if (self->config.tls) {
        char err [WSCLIENT_REASON_MAX] = "";
        self->tls = wsclient_tls_new (self->config.ca_file, self->config.client_cert,
                                      self->config.client_key, self->config.host, err, sizeof (err));
        if (!self->tls) {
            char why [WSCLIENT_REASON_MAX + 8];
            snprintf (why, sizeof (why), "TLS: %s", err);
            fprintf (stderr, "wsclient: %s\n", why);
            s_emit_str (self, "error", why);
            *delay_ms = self->config.backoff_max_ms;
            return -1;
        }
    }
    struct lws_context *context = s_context_new (self);
    if (!context) {
        wsclient_tls_destroy (&self->tls);
        //  Typically an unreadable CA file: nothing lws can retry
        s_emit_str (self, "error", self->config.tls
                    ? "TLS: cannot set up client context (CA file?)"
                    : "cannot create lws context");
        fprintf (stderr, "wsclient: lws context creation failed\n");
        uint32_t random32 = (uint32_t) time (NULL);
        *delay_ms = wsclient_backoff_ms (self->attempt, self->config.backoff_min_ms,
                                         self->config.backoff_max_ms, random32);
        if (self->attempt < 64)
            self->attempt++;
        return -1;
    }
    pthread_mutex_lock (&self->mutex);
    pthread_mutex_lock (&self->wake_mutex);
    self->context = context;
    pthread_mutex_unlock (&self->wake_mutex);
    pthread_mutex_unlock (&self->mutex);

    self->retry_scheduled = false;
    self->immediate_retry = false;
    s_connect (self);
    return 0;
}

//  Count the handles open on a libuv loop (closing ones included).
static void
s_count_handle (uv_handle_t *handle, void *arg)
{
    (void) handle;
    (*(int *) arg)++;
}

static int
s_uv_handles (uv_loop_t *loop)
{
    int count = 0;
    uv_walk (loop, s_count_handle, &count);
    return count;
}

//  Destroy the context, which closes the connection (reported as
//  "reconfigured" unless the owner is stopping us).
static void
s_context_down (wsclient_t *self)
{
    struct lws_context *context = self->context;
    if (!context)
        return;
    pthread_mutex_lock (&self->mutex);
    pthread_mutex_lock (&self->wake_mutex);
    self->context = NULL;
    pthread_mutex_unlock (&self->wake_mutex);
    self->connected = false;
    s_queue_clear_locked (self);
    bool stopping = self->stop;
    pthread_mutex_unlock (&self->mutex);
    //  Callbacks that run meanwhile must not schedule retries on the dying
    //  context
    self->tearing_down = true;
    self->stopping = stopping;
    lws_sul_cancel (&self->sul_retry);
    lws_sul_cancel (&self->sul_watchdog);
    self->retry_scheduled = false;
    self->dying = context;
    lws_context_destroy (context);
    if (self->uv && self->dying) {
        //  On a foreign loop lws 4.1 only starts: it closes its handles
        //  through the loop, and a second lws_context_destroy once they are
        //  all closed frees the context (info.pcontext clears self->dying)
        int budget = 10000;
        while (s_uv_handles (self->uv) > 0 && budget-- > 0)
            uv_run (self->uv, UV_RUN_NOWAIT);
        if (s_uv_handles (self->uv) == 0)
            lws_context_destroy (context);
        if (self->dying)
            fprintf (stderr, "wsclient: lws context not destroyed on its loop\n");
    }
    //  A context lws could not finish on its loop may still use its TLS
    //  (threaded, lws_context_destroy finished it)
    if (!self->uv || !self->dying)
        wsclient_tls_destroy (&self->tls);
    self->dying = NULL;
    self->tearing_down = false;
    self->attempt_open = false;
    self->established = false;
    self->wsi = NULL;
}

//  What the owner asked since the last look: send what it queued, drop the
//  link (wsclient_disconnect_for_test). On the service thread, or the
//  owner's own in hosted mode.
static void
s_api_requests (wsclient_t *self)
{
    pthread_mutex_lock (&self->mutex);
    if (!self->wsi) {
        //  Nothing to drop; do not let the request hit the next link
        self->disconnect_requested = false;
        pthread_mutex_unlock (&self->mutex);
        return;
    }
    bool wanted = self->connected
               && (self->queue_head || self->disconnect_requested);
    bool kill_attempt = !self->connected && self->disconnect_requested;
    if (kill_attempt)
        self->disconnect_requested = false;
    pthread_mutex_unlock (&self->mutex);
    if (wanted)
        lws_callback_on_writable (self->wsi);
    else
    if (kill_attempt) {
        self->closing_by_us = true;
        self->timers_changed = true;
        lws_set_timeout (self->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
}

//  The threaded driver: contexts one after the other until told to stop.
static void *
s_thread (void *args)
{
    wsclient_t *self = (wsclient_t *) args;
    prctl (PR_SET_NAME, "ws-link");       //  top -H, perf
    while (!s_stop_requested (self)) {
        s_take_pending (self);
        unsigned delay_ms;
        if (s_context_up (self, &delay_ms) != 0) {
            s_wait_without_lws (self, delay_ms);
            continue;
        }
        while (!s_should_leave (self))
            if (lws_service (self->context, 0) < 0)
                break;
        s_context_down (self);
    }
    s_free_auth_header (&self->auth_header);
    return NULL;
}


//  --------------------------------------------------------------------------
//  Public API

//  What both drivers share; NULL with errno set. Threaded: the service
//  thread is running. Hosted: the loop is ready and nothing runs yet.
static wsclient_t *
s_new (const wsclient_config_t *cfg, bool hosted)
{
    if (!cfg) {
        errno = EINVAL;
        return NULL;
    }
    wsclient_t *self = calloc (1, sizeof (wsclient_t));
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    self->events_fd = -1;
    if (s_config_set (&self->config, cfg) != 0) {
        int saved = errno;
        free (self);
        errno = saved;
        return NULL;
    }
    //  Errors only: lws must not spam the charger's log
    lws_set_log_level (LLL_ERR, NULL);

    self->events = zlist_new ();
    self->resolves = zlist_new ();
    if (!self->events || !self->resolves)
        goto fail_events;
    //  Hosted, the owner takes the events after each service: no wake-up
    if (!hosted) {
        self->events_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (self->events_fd < 0)
            goto fail_events;
    }
    pthread_condattr_t condattr;
    if (pthread_mutex_init (&self->mutex, NULL) != 0)
        goto fail_events;
    if (pthread_mutex_init (&self->wake_mutex, NULL) != 0) {
        pthread_mutex_destroy (&self->mutex);
        goto fail_events;
    }
    if (pthread_condattr_init (&condattr) != 0)
        goto fail_cond;
    int rc = pthread_cond_init (&self->cond, &condattr);
    pthread_condattr_destroy (&condattr);
    if (rc != 0)
        goto fail_cond;
    if (hosted) {
        self->uv = calloc (1, sizeof (uv_loop_t));
        if (!self->uv || uv_loop_init (self->uv) != 0) {
            free (self->uv);
            self->uv = NULL;
            goto fail_thread;
        }
        self->service_now = true;       //  the first service makes the context
    }
    else
    if (pthread_create (&self->thread, NULL, s_thread, self) != 0)
        goto fail_thread;
    return self;

fail_thread:
    pthread_cond_destroy (&self->cond);
fail_cond:
    pthread_mutex_destroy (&self->wake_mutex);
    pthread_mutex_destroy (&self->mutex);
fail_events:
    zlist_destroy (&self->events);
    zlist_destroy (&self->resolves);
    if (self->events_fd >= 0)
        close (self->events_fd);
    s_config_clear (&self->config);
    free (self);
    errno = EAGAIN;
    return NULL;
}

wsclient_t *
wsclient_new (const wsclient_config_t *cfg)
{
    return s_new (cfg, false);
}

wsclient_t *
wsclient_new_hosted (const wsclient_config_t *cfg)
{
    return s_new (cfg, true);
}

//  libuv applies a change of what a descriptor is polled for (lws asking
//  to write, or done writing) at the start of its next poll phase, so a
//  change made by a callback of this turn is not in the kernel yet. The
//  owner must not sleep on the loop's descriptor before it is: true while
//  one waits. (libuv keeps them on loop->watcher_queue, a list whose head
//  points to itself when empty, in every 1.x layout.)
static bool
s_uv_changes_pending (uv_loop_t *loop)
{
    return *(void **) &loop->watcher_queue != (void *) &loop->watcher_queue;
}

int
wsclient_fd (wsclient_t *self)
{
    assert (self && self->uv);
    return uv_backend_fd (self->uv);
}

void
wsclient_service (wsclient_t *self)
{
    assert (self && self->uv);
    self->service_now = false;
    pthread_mutex_lock (&self->mutex);
    bool reconfigure = self->pending != NULL;
    pthread_mutex_unlock (&self->mutex);
    if (reconfigure)
        s_context_down (self);
    if (!self->context && (reconfigure || zclock_mono () >= self->context_retry_ms)) {
        s_take_pending (self);
        unsigned delay_ms;
        if (s_context_up (self, &delay_ms) != 0)
            self->context_retry_ms = zclock_mono () + delay_ms;
    }
    if (!self->context)
        return;
    s_api_requests (self);
    int budget = 8;
    do
        uv_run (self->uv, UV_RUN_NOWAIT);
    while (s_uv_changes_pending (self->uv) && budget-- > 0);
    if (self->timers_changed && self->context) {
        //  lws 4.1 re-arms its libuv timer for the next of its timers only
        //  after it handled one of its descriptors: a timer scheduled from
        //  anywhere else (our retry after a failed name resolution, the
        //  attempt's watchdog) would wait for unrelated traffic. Its wake-up
        //  pipe is such a descriptor; the next services read it and let
        //  lws re-arm before the owner waits.
        self->timers_changed = false;
        lws_cancel_service (self->context);
        self->service_now = true;
    }
}

int
wsclient_timeout_ms (wsclient_t *self)
{
    assert (self && self->uv);
    if (self->service_now || (self->context && s_uv_changes_pending (self->uv)))
        return 0;
    if (!self->context) {
        int64_t wait = self->context_retry_ms - zclock_mono ();
        return wait <= 0 ? 0 : wait > INT32_MAX ? INT32_MAX : (int) wait;
    }
    //  libuv counts from the time its loop last turned: bring it to now,
    //  or a wait spent in the owner's poll() would be counted again
    uv_update_time (self->uv);
    return uv_backend_timeout (self->uv);
}

//  The libuv loop of a hosted client runs lws' name resolutions on worker
//  threads, which may still be busy (DNS is slow when a server is down):
//  wait for them up to ms, else leave them the loop (never freed then).
static void
s_on_deadline (uv_timer_t *timer)
{
    *(bool *) timer->data = true;
}

static bool
s_resolves_finish (wsclient_t *self, unsigned ms)
{
    if (zlist_size (self->resolves) > 0) {
        bool late = false;
        uv_timer_t timer;
        uv_timer_init (self->uv, &timer);
        timer.data = &late;
        uv_timer_start (&timer, s_on_deadline, ms, 0);
        while (zlist_size (self->resolves) > 0 && !late)
            uv_run (self->uv, UV_RUN_ONCE);
        uv_close ((uv_handle_t *) &timer, NULL);
        uv_run (self->uv, UV_RUN_NOWAIT);
    }
    if (zlist_size (self->resolves) == 0)
        return true;
    for (s_resolve_t *resolve = (s_resolve_t *) zlist_first (self->resolves); resolve;
         resolve = (s_resolve_t *) zlist_next (self->resolves))
        resolve->self = NULL;
    return false;
}

//  Wake the service thread wherever it waits, after the caller changed
//  the shared state under the mutex and released it.
static void
s_wake (wsclient_t *self)
{
    pthread_mutex_lock (&self->wake_mutex);
    if (self->context)
        lws_cancel_service (self->context);
    pthread_mutex_unlock (&self->wake_mutex);
    pthread_cond_signal (&self->cond);
}

//  Hand the service what an API call left: a hosted client's owner runs
//  it before its loop next waits; the service thread is woken.
static void
s_poke (wsclient_t *self)
{
    if (self->uv)
        self->service_now = true;
    else
        s_wake (self);
}

void
wsclient_destroy (wsclient_t **self_p)
{
    assert (self_p);
    wsclient_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock (&self->mutex);
    self->stop = true;
    pthread_mutex_unlock (&self->mutex);
    if (self->uv) {
        s_context_down (self);
        s_free_auth_header (&self->auth_header);
        if (s_resolves_finish (self, 2000) && uv_loop_close (self->uv) == 0)
            free (self->uv);
        else
            fprintf (stderr, "wsclient: libuv loop still busy, left to finish on its own\n");
    }
    else {
        s_wake (self);
        pthread_join (self->thread, NULL);
    }

    s_queue_clear_locked (self);
    if (self->pending) {
        s_config_clear (self->pending);
        free (self->pending);
    }
    s_config_clear (&self->config);
    free (self->rx_buf);
    zmsg_t *event;
    while ((event = (zmsg_t *) zlist_pop (self->events)))
        zmsg_destroy (&event);
    zlist_destroy (&self->events);
    zlist_destroy (&self->resolves);
    if (self->events_fd >= 0)
        close (self->events_fd);
    pthread_cond_destroy (&self->cond);
    pthread_mutex_destroy (&self->wake_mutex);
    pthread_mutex_destroy (&self->mutex);
    free (self);
    *self_p = NULL;
}

int
wsclient_events_fd (wsclient_t *self)
{
    assert (self);
    return self->events_fd;
}

zmsg_t *
wsclient_event_recv (wsclient_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->mutex);
    zmsg_t *event = (zmsg_t *) zlist_pop (self->events);
    if (!event && self->events_fd >= 0) {
        uint64_t count;
        if (read (self->events_fd, &count, sizeof (count)) < 0 && errno != EAGAIN)
            fprintf (stderr, "wsclient: cannot reset the events descriptor: %s\n", strerror (errno));
    }
    pthread_mutex_unlock (&self->mutex);
    return event;
}

//  Hosted, linked, nothing queued or half-sent before it: write the frame
//  at once. The owner's thread is lws' own, outside any lws callback (the
//  owner handles events after wsclient_service returns), so this skips the
//  writable round trip of the queue — ask for POLLOUT, wake for it, drop
//  it: two epoll_ctl and an epoll_wait per frame, most of a 1-key
//  GetConfiguration's system calls (issue 12). What the socket does not
//  take, lws keeps and sends when writable, before anything written after
//  it; a frame queued earlier keeps the queue's path, so none overtakes
//  another. 1 written, 0 not now (queue it), -1 the link failed.
static int
s_write_now (wsclient_t *self, s_outmsg_t *msg)
{
    if (!self->uv || !self->wsi || !self->established)
        return 0;
    pthread_mutex_lock (&self->mutex);
    bool clear = self->connected && !self->stop && !self->disconnect_requested && !self->queue_head;
    pthread_mutex_unlock (&self->mutex);
    if (!clear || lws_partial_buffered (self->wsi))
        return 0;
    if (lws_write (self->wsi, msg->buf + LWS_PRE, msg->len, LWS_WRITE_TEXT) < 0) {
        //  As a failed write from the queue: the link is dropped (at the
        //  next service), and the owner hears it closed.
        fprintf (stderr, "wsclient: write failed, dropping connection\n");
        self->closing_by_us = true;
        self->timers_changed = true;
        lws_set_timeout (self->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return -1;
    }
    return 1;
}

int
wsclient_send (wsclient_t *self, const char *text, size_t len)
{
    assert (self);
    assert (text || len == 0);
    s_outmsg_t *msg = malloc (sizeof (s_outmsg_t) + LWS_PRE + len);
    if (!msg)
        return -1;
    msg->next = NULL;
    msg->len = len;
    if (len)
        memcpy (msg->buf + LWS_PRE, text, len);
    int now = s_write_now (self, msg);
    if (now != 0) {
        free (msg);
        return now > 0 ? 0 : -1;
    }

    pthread_mutex_lock (&self->mutex);
    if (!self->connected || !self->context || self->stop) {
        pthread_mutex_unlock (&self->mutex);
        free (msg);
        return -1;
    }
    if (self->queue_tail)
        self->queue_tail->next = msg;
    else
        self->queue_head = msg;
    self->queue_tail = msg;
    pthread_mutex_unlock (&self->mutex);
    s_poke (self);
    return 0;
}

int
wsclient_reconfigure (wsclient_t *self, const wsclient_config_t *cfg)
{
    assert (self);
    if (!cfg) {
        errno = EINVAL;
        return -1;
    }
    s_config_t *config = calloc (1, sizeof (s_config_t));
    if (!config) {
        errno = ENOMEM;
        return -1;
    }
    if (s_config_set (config, cfg) != 0) {
        int saved = errno;
        free (config);
        errno = saved;
        return -1;
    }
    pthread_mutex_lock (&self->mutex);
    if (self->pending) {
        s_config_clear (self->pending);
        free (self->pending);
    }
    self->pending = config;
    pthread_mutex_unlock (&self->mutex);
    s_poke (self);
    return 0;
}

void
wsclient_disconnect_for_test (wsclient_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->mutex);
    self->disconnect_requested = true;
    pthread_mutex_unlock (&self->mutex);
    s_poke (self);
}
