/* httpd.c — the local status page (see httpd.h).
 *
 * One thread owns everything here: the lws server context and two DEALER
 * sockets to the supervisor's control endpoint — one for status polls,
 * one for the page's commands — each with at most one request
 * outstanding, so a reply always belongs to the request before it (the
 * control protocol has no correlation id). A commands' queue runs the
 * steps of each page request in order; a settings request is validated
 * whole before its first step (page_request.c).
 *
 * Every request a browser sends gets exactly one reply. The replies wait
 * in a small ring per browser; a request holds its slot from the moment
 * it is read (queued as a job or answered at once) until its reply is
 * written. When all REPLY_RING slots are held, reading from that browser
 * pauses (lws rx flow control) until a reply has gone out: its further
 * requests wait in its own socket, nobody else's, and none is dropped.
 *
 * Timing is one lws timer ("sul"): every TICK_MS while a reply is
 * awaited, at the next status poll while a browser is connected, and not
 * at all otherwise. Other threads touch lws only through
 * lws_cancel_service (httpd_destroy), as lws documents.
 *
 * Supervised (supervisor.c): a second timer counts a heartbeat every
 * HTTPD_BEAT_MS from the service thread, so a thread stuck anywhere stops
 * beating; a thread that ends (lws_service failed) says so. The supervisor
 * restarts an ended one (httpd_restart: a fresh lws context on the same
 * address, the browsers reconnect by themselves) and reports a stuck one.
 */
#define _GNU_SOURCE                 //  pthread_timedjoin_np: a bounded join of a stuck thread
#include "gateway/httpd.h"

#include <sys/prctl.h>
#include <arpa/inet.h>
#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>
#include "gateway/page_request.h"
#include "supervisor/log.h"

#define COMPONENT "httpd"
#define TICK_MS 15                  //  reply polling while one is awaited
#define STATUS_TIMEOUT_MS 5000
#define COMMAND_TIMEOUT_MS 8000     //  the supervisor gives actors 4.5 s
#define MAX_JOBS 32
#define MAX_JOBS_PER_SESSION 4
#define REPLY_RING 8                //  requests of one browser awaiting their reply
#define HTTP_CHUNK 8192
#define JOIN_GRACE_S 3              //  a thread that does not end by then is stuck

extern const char cp_status_page_html[];
extern const size_t cp_status_page_html_size;

typedef struct _session_t session_t;

//  One page request on its way through the control socket.
typedef struct _job_t {
    struct _job_t *next;
    uint64_t session_id;            //  0 once the browser has gone
    page_request_t req;
    int step;
} job_t;

//  lws per-session data of a WebSocket (zeroed by lws).
struct _session_t {
    session_t *next;
    uint64_t id;
    struct lws *wsi;
    uint64_t sent_gen;              //  status generation last sent
    char *replies[REPLY_RING];
    int reply_head, reply_count;
    int jobs;                       //  requests of this browser in the queue
    unsigned char rx[PAGE_REQUEST_MAX_BYTES];
    size_t rx_len;
    bool rx_refused;                //  this message is too large or binary
    bool rx_paused;                 //  REPLY_RING requests await replies
    bool overflow;                  //  a reply found no slot: close (never silent)
};

typedef struct {
    size_t sent;                    //  bytes of the page written
} http_session_t;

struct _httpd_t {
    char addr[64];
    int port;
    char control[4200];
    bool sim;
    int poll_ms;
    struct lws_context *context;
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;
    atomic_bool fail;               //  fault injection: leave as if lws_service failed
    atomic_bool exited;             //  the service thread has returned
    atomic_uint_fast64_t beats;     //  heartbeats counted by the service thread
    //  --- service thread only ---
    zsock_t *status_sock;
    bool status_busy;
    int64_t status_sent_at;
    int64_t next_poll;
    char *status_text;              //  the last status message pushed
    uint64_t status_gen;
    zsock_t *command_sock;
    bool command_busy;
    int64_t command_sent_at;
    job_t *jobs, *jobs_tail;
    int job_count;
    session_t *sessions;
    int session_count;
    uint64_t next_session_id;
    lws_sorted_usec_list_t sul;
    lws_sorted_usec_list_t beat_sul;
};

static int s_callback_http(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                           void *in, size_t len);
static int s_callback_status(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                             void *in, size_t len);

static const struct lws_protocols s_protocols[] = {
    { "http", s_callback_http, sizeof(http_session_t), 0, 0, NULL, 0 },
    { HTTPD_SUBPROTOCOL, s_callback_status, sizeof(session_t), PAGE_REQUEST_MAX_BYTES, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
};


//  --------------------------------------------------------------------------
//  Pure helpers

int
httpd_parse_listen(const char *text, char *addr, size_t addr_size, int *port,
                   char *reason, size_t reason_size)
{
    assert(addr && addr_size >= INET6_ADDRSTRLEN && port && reason && reason_size > 0);
    reason[0] = '\0';
    if (!text || !*text) {
        snprintf(reason, reason_size, "--http needs [ADDR:]PORT or off");
        return -1;
    }
    const char *port_text = text;
    char host[64] = "127.0.0.1";
    if (*text == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':' || (size_t) (close - text - 1) >= sizeof(host)) {
            snprintf(reason, reason_size, "--http: expected [IPV6]:PORT, not '%.60s'", text);
            return -1;
        }
        snprintf(host, sizeof(host), "%.*s", (int) (close - text - 1), text + 1);
        port_text = close + 2;
    }
    else {
        const char *colon = strrchr(text, ':');
        if (colon) {
            if ((size_t) (colon - text) >= sizeof(host) || colon == text) {
                snprintf(reason, reason_size, "--http: expected ADDR:PORT, not '%.60s'", text);
                return -1;
            }
            snprintf(host, sizeof(host), "%.*s", (int) (colon - text), text);
            port_text = colon + 1;
        }
    }
    if (strcasecmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    unsigned char buf[sizeof(struct in6_addr)];
    bool v4 = inet_pton(AF_INET, host, buf) == 1;
    bool v6 = !v4 && *text == '[' && inet_pton(AF_INET6, host, buf) == 1;
    if (!v4 && !v6) {
        snprintf(reason, reason_size,
                 "--http: '%.60s' is not an IP address of this host (use an IPv4 literal, [IPv6] or localhost)",
                 host);
        return -1;
    }
    char *end = NULL;
    errno = 0;
    long value = strtol(port_text, &end, 10);
    if (!*port_text || errno || !end || *end || value < 1 || value > 65535) {
        snprintf(reason, reason_size, "--http: the port must be 1..65535, not '%.20s'", port_text);
        return -1;
    }
    snprintf(addr, addr_size, "%s", host);
    *port = (int) value;
    return 0;
}

bool
httpd_host_ok(const char *host)
{
    if (!host || !*host || strlen(host) > 80)
        return false;
    char name[96];
    if (*host == '[') {
        const char *close = strchr(host, ']');
        if (!close)
            return false;
        snprintf(name, sizeof(name), "%.*s", (int) (close - host - 1), host + 1);
        if (close[1] && close[1] != ':')
            return false;
        unsigned char buf[sizeof(struct in6_addr)];
        return inet_pton(AF_INET6, name, buf) == 1;
    }
    const char *colon = strchr(host, ':');
    snprintf(name, sizeof(name), "%.*s", (int) (colon ? colon - host : (int) strlen(host)), host);
    if (colon) {
        for (const char *c = colon + 1; *c; c++)
            if (*c < '0' || *c > '9')
                return false;
    }
    unsigned char buf[sizeof(struct in_addr)];
    return strcasecmp(name, "localhost") == 0 || inet_pton(AF_INET, name, buf) == 1;
}

bool
httpd_origin_ok(const char *origin, const char *host)
{
    if (!origin || !*origin)
        return true;
    if (!host || strncasecmp(origin, "http://", 7) != 0)
        return false;
    return strcasecmp(origin + 7, host) == 0;
}


//  --------------------------------------------------------------------------
//  Talking to the supervisor (service thread)

static int64_t s_now(void) { return zclock_mono(); }

static zsock_t *
s_control_socket(httpd_t *self)
{
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    if (!sock)
        return NULL;
    zsock_set_linger(sock, 0);
    zsock_set_rcvtimeo(sock, 0);
    zsock_set_sndtimeo(sock, 0);
    if (zsock_connect(sock, "%s", self->control) != 0) {
        cp_error(COMPONENT, "cannot connect to the control endpoint %s", self->control);
        zsock_destroy(&sock);
    }
    return sock;
}

//  Send words as one control request. 0 if sent.
static int
s_control_send(zsock_t *sock, int argc, char argv[][PAGE_REQUEST_ARG_MAX])
{
    zmsg_t *msg = zmsg_new();
    for (int i = 0; i < argc; i++)
        zmsg_addstr(msg, argv[i]);
    if (zmsg_send(&msg, sock) != 0) {
        zmsg_destroy(&msg);
        return -1;
    }
    return 0;
}

//  A reply [code][text] if one is waiting. Returns 1 with *code and a
//  malloc'd *text, or 0.
static int
s_control_recv(zsock_t *sock, int *code, char **text)
{
    zmsg_t *msg = zmsg_recv(sock);
    if (!msg)
        return 0;
    char *code_text = zmsg_popstr(msg);
    *text = zmsg_popstr (msg);
    *code = code_text ? atoi (code_text) : 1;
    zstr_free(&code_text);
    zmsg_destroy(&msg);
    if (!*text)
        *text = strdup ("");
    return 1;
}

static session_t *
s_session_find(httpd_t *self, uint64_t id)
{
    for (session_t *s = self->sessions; s; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

//  Requests of this browser that still await their reply.
static int
s_session_outstanding(const session_t *session)
{
    return session->jobs + session->reply_count;
}

//  Queue one reply for one browser. The read pause keeps a slot for every
//  request read; should a reply find none all the same, the browser is
//  disconnected with a reason rather than left waiting for an answer that
//  was thrown away.
static void
s_session_push(session_t *session, char *text)
{
    if (!text)
        return;
    if (session->reply_count == REPLY_RING) {
        cp_warn(COMPONENT, "a browser's reply queue is full: closing its WebSocket");
        free(text);
        session->overflow = true;
        lws_callback_on_writable(session->wsi);
        return;
    }
    session->replies[(session->reply_head + session->reply_count) % REPLY_RING] = text;
    session->reply_count++;
    lws_callback_on_writable(session->wsi);
}

static void
s_reply(httpd_t *self, uint64_t session_id, int64_t id, bool ok, const char *message)
{
    session_t *session = s_session_find(self, session_id);
    if (!session)
        return;                     //  the browser has gone
    json_t *reply = json_pack("{s:s, s:o, s:b, s:s}", "type", "reply",
                              "id", id ? json_integer(id) : json_null(), "ok", ok, "message", message);
    char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
    json_decref(reply);
    s_session_push(session, text);
}

static void
s_job_free(job_t **job_p)
{
    job_t *job = *job_p;
    if (!job)
        return;
    page_request_clear(&job->req);     //  it may hold the password
    free(job);
    *job_p = NULL;
}

//  The head job is done: tell its browser and move on.
static void
s_job_finish(httpd_t *self, bool ok, const char *message)
{
    job_t *job = self->jobs;
    assert(job);
    s_reply(self, job->session_id, job->req.id, ok, message);
    session_t *session = s_session_find(self, job->session_id);
    if (session)
        session->jobs--;
    self->jobs = job->next;
    if (!self->jobs)
        self->jobs_tail = NULL;
    self->job_count--;
    s_job_free(&job);
    self->next_poll = s_now();     //  show the effect at once
}

static void
s_on_command_reply(httpd_t *self, int code, const char *text)
{
    job_t *job = self->jobs;
    self->command_busy = false;
    if (!job)
        return;
    if (code != 0) {
        //  The supervisor's (or the config actor's) own words; never the
        //  password: config reasons do not quote secret values.
        char message[PAGE_REQUEST_REASON_MAX + 64];
        snprintf(message, sizeof(message), "%s%.*s", job->step > 0 ? "partly applied: " : "",
                 PAGE_REQUEST_REASON_MAX, *text ? text : "refused by the controller");
        s_job_finish(self, false, message);
        return;
    }
    if (++job->step >= job->req.steps)
        s_job_finish(self, true, job->req.done);
}

static void
s_on_status_reply(httpd_t *self, int code, const char *text)
{
    self->status_busy = false;
    self->next_poll = s_now() + self->poll_ms;
    if (code != 0)
        return;
    json_t *status = json_loads(text, 0, NULL);
    if (!json_is_object(status)) {
        json_decref(status);
        return;
    }
    json_t *message = json_pack("{s:s, s:b, s:o}", "type", "status", "sim", self->sim, "status", status);
    char *out = message ? json_dumps(message, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(message);
    if (!out)
        return;
    if (self->status_text && strcmp(self->status_text, out) == 0) {
        free(out);
        return;                     //  unchanged: nothing to push
    }
    free(self->status_text);
    self->status_text = out;
    self->status_gen++;
    lws_callback_on_writable_all_protocol(self->context, &s_protocols[1]);
}

static void s_schedule(httpd_t *self);

static void
s_tick(lws_sorted_usec_list_t *sul)
{
    httpd_t *self = lws_container_of(sul, httpd_t, sul);
    int64_t now = s_now();
    int code;
    char *text = NULL;
    if (self->status_busy && s_control_recv(self->status_sock, &code, &text)) {
        s_on_status_reply(self, code, text);
        zstr_free(&text);
    }
    if (self->command_busy && s_control_recv(self->command_sock, &code, &text)) {
        s_on_command_reply(self, code, text);
        //  text may quote a rejected value; it is not a password (config_keys.h)
        zstr_free(&text);
    }
    if (self->status_busy && now - self->status_sent_at > STATUS_TIMEOUT_MS) {
        //  A late answer would be taken for the next one: start afresh.
        zsock_destroy(&self->status_sock);
        self->status_sock = s_control_socket(self);
        self->status_busy = false;
    }
    if (self->command_busy && now - self->command_sent_at > COMMAND_TIMEOUT_MS) {
        zsock_destroy(&self->command_sock);
        self->command_sock = s_control_socket(self);
        s_on_command_reply(self, 1, "the controller did not answer in time");
    }
    if (!self->status_busy && self->session_count > 0 && now >= self->next_poll && self->status_sock) {
        char argv[1][PAGE_REQUEST_ARG_MAX] = { "status" };
        if (s_control_send(self->status_sock, 1, argv) == 0) {
            self->status_busy = true;
            self->status_sent_at = now;
        }
        else
            self->next_poll = now + self->poll_ms;
    }
    while (!self->command_busy && self->jobs) {
        job_t *job = self->jobs;
        page_step_t *step = &job->req.step[job->step];
        if (!self->command_sock || s_control_send(self->command_sock, step->argc, step->argv) != 0) {
            s_job_finish(self, false, "the controller is not reachable right now; try again");
            continue;
        }
        self->command_busy = true;
        self->command_sent_at = now;
    }
    s_schedule(self);
}

//  Arm the one timer for whatever is due next, or nothing.
static void
s_schedule(httpd_t *self)
{
    if (atomic_load(&self->stop))
        return;                     //  lws_context_destroy is closing the browsers
    int64_t delay = -1;
    if (self->status_busy || self->command_busy)
        delay = TICK_MS;
    else
    if (self->jobs)
        delay = 0;
    else
    if (self->session_count > 0) {
        delay = self->next_poll - s_now();
        if (delay < 0)
            delay = 0;
    }
    if (delay < 0)
        lws_sul_cancel(&self->sul);
    else
        lws_sul_schedule(self->context, 0, &self->sul, s_tick, delay * LWS_US_PER_MS);
}


//  --------------------------------------------------------------------------
//  lws callbacks (service thread)

static httpd_t *
s_self(struct lws *wsi)
{
    return (httpd_t *) lws_context_user(lws_get_context(wsi));
}

//  Copy a header; 0 (absent: ""), or -1 when it is present but does not
//  fit or cannot be read — callers refuse then, so an oversized Origin
//  can never pass for a missing one.
static int
s_header(struct lws *wsi, enum lws_token_indexes token, char *buf, size_t size)
{
    buf[0] = '\0';
    int length = lws_hdr_total_length(wsi, token);
    if (length <= 0)
        return 0;                       //  absent
    if (length >= (int) size || lws_hdr_copy(wsi, buf, (int) size, token) < 0) {
        buf[0] = '\0';
        return -1;                      //  present but unreadable: never "absent"
    }
    return 0;
}

static int
s_http_status(struct lws *wsi, unsigned int status)
{
    if (lws_return_http_status(wsi, status, NULL))
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

//  Headers of the page: no caching of a live view, no framing, nothing
//  loaded from anywhere (the page is self-contained), scripts only inline.
static int
s_page_headers(struct lws *wsi)
{
    static const char csp[] =
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
        "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    unsigned char buf[LWS_PRE + 1024];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/html; charset=utf-8",
                                    (lws_filepos_t) cp_status_page_html_size, &p, end)
   ||  lws_add_http_header_by_name(wsi, (const unsigned char *) "content-security-policy:",
                                   (const unsigned char *) csp, (int) strlen(csp), &p, end)
  ||  lws_add_http_header_by_name(wsi, (const unsigned char *) "x-content-type-options:",
                                  (const unsigned char *) "nosniff", 7, &p, end)
 ||  lws_add_http_header_by_name(wsi, (const unsigned char *) "referrer-policy:",
                                 (const unsigned char *) "no-referrer", 11, &p, end)
||  lws_add_http_header_by_name(wsi, (const unsigned char *) "cache-control:",
                                (const unsigned char *) "no-store", 8, &p, end)
    ||  lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int
s_callback_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    http_session_t *http = user;
    switch (reason) {
        case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
            return 1;               //  a WebSocket without our subprotocol
        case LWS_CALLBACK_HTTP: {
            char host[128];
            if (s_header(wsi, WSI_TOKEN_HOST, host, sizeof(host)) != 0 || !httpd_host_ok(host))
                return s_http_status(wsi, HTTP_STATUS_FORBIDDEN);
            if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0)
                return s_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED);
            const char *path = in ? (const char *) in : "";
            if (strcmp(path, "/") != 0 && strcmp(path, "/index.html") != 0)
                return s_http_status(wsi, HTTP_STATUS_NOT_FOUND);
            http->sent = 0;
            return s_page_headers(wsi);
        }
        case LWS_CALLBACK_HTTP_WRITEABLE: {
            if (!http || http->sent >= cp_status_page_html_size)
                break;
            unsigned char buf[LWS_PRE + HTTP_CHUNK];
            size_t chunk = cp_status_page_html_size - http->sent;
            if (chunk > HTTP_CHUNK)
                chunk = HTTP_CHUNK;
            memcpy(buf + LWS_PRE, cp_status_page_html + http->sent, chunk);
            bool last = http->sent + chunk >= cp_status_page_html_size;
            if (lws_write(wsi, buf + LWS_PRE, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP)
                != (int) chunk)
                return -1;
            http->sent += chunk;
            if (last)
                return lws_http_transaction_completed(wsi) ? -1 : 0;
            lws_callback_on_writable(wsi);
            return 0;
        }
        default:
            break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static void
s_on_request(httpd_t *self, session_t *session, const char *text, size_t len)
{
    job_t *job = calloc(1, sizeof(job_t));
    if (!job) {
        s_reply(self, session->id, 0, false, "out of memory");
        return;
    }
    char reason[PAGE_REQUEST_REASON_MAX];
    if (page_request_parse(text, len, self->sim, &job->req, reason, sizeof(reason)) != 0) {
        s_reply(self, session->id, job->req.id, false, reason);
        s_job_free(&job);
        return;
    }
    if (session->jobs >= MAX_JOBS_PER_SESSION || self->job_count >= MAX_JOBS) {
        s_reply(self, session->id, job->req.id, false, "too many requests in progress; wait for the answers");
        s_job_free(&job);
        return;
    }
    //  Never log the request itself: a settings request holds the password.
    cp_info(COMPONENT, "page request: %s", job->req.command);
    job->session_id = session->id;
    session->jobs++;
    if (self->jobs_tail)
        self->jobs_tail->next = job;
    else
        self->jobs = job;
    self->jobs_tail = job;
    self->job_count++;
    s_schedule(self);
}

static int
s_callback_status(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    session_t *session = user;
    httpd_t *self = s_self(wsi);
    switch (reason) {
        case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
            char host[128], origin[160];
            int unreadable = s_header(wsi, WSI_TOKEN_HOST, host, sizeof(host))
                           | s_header(wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin));
            if (unreadable || !httpd_host_ok(host) || !httpd_origin_ok(origin, host)) {
                cp_warn(COMPONENT, "WebSocket refused: host '%.60s', origin '%.60s'", host, origin);
                return 1;
            }
            if (self->session_count >= HTTPD_MAX_SESSIONS) {
                cp_warn(COMPONENT, "WebSocket refused: %d browsers already connected", HTTPD_MAX_SESSIONS);
                return 1;
            }
            return 0;
        }
        case LWS_CALLBACK_ESTABLISHED:
            session->wsi = wsi;
            session->id = ++self->next_session_id;
            session->next = self->sessions;
            self->sessions = session;
            self->session_count++;
            if (self->status_text)
                lws_callback_on_writable(wsi);
            if (self->session_count == 1)
                self->next_poll = s_now();
            s_schedule(self);
            break;
        case LWS_CALLBACK_CLOSED:
            for (session_t **p = &self->sessions; *p; p = &(*p)->next)
                if (*p == session) {
                    *p = session->next;
                    self->session_count--;
                    break;
                }
            for (job_t *job = self->jobs; job; job = job->next)
                if (job->session_id == session->id)
                    job->session_id = 0;
            while (session->reply_count > 0) {
                free(session->replies[session->reply_head]);
                session->reply_head = (session->reply_head + 1) % REPLY_RING;
                session->reply_count--;
            }
            if (self->session_count == 0) {
                //  Nobody looks: forget the view, a new browser gets a fresh one.
                free(self->status_text);
                self->status_text = NULL;
            }
            s_schedule(self);
            break;
        case LWS_CALLBACK_RECEIVE: {
            if (lws_is_first_fragment(wsi)) {
                session->rx_len = 0;
                session->rx_refused = false;
            }
            if (lws_frame_is_binary(wsi))
                session->rx_refused = true;
            if (!session->rx_refused && session->rx_len + len <= sizeof(session->rx)) {
                memcpy(session->rx + session->rx_len, in, len);
                session->rx_len += len;
            }
            else
                session->rx_refused = true;
            if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
                break;
            if (session->rx_refused) {
                char why[96];
                snprintf(why, sizeof(why), "a request is one JSON text message of at most %d bytes",
                         PAGE_REQUEST_MAX_BYTES);
                s_reply(self, session->id, 0, false, why);
            }
            else
                s_on_request(self, session, (const char *) session->rx, session->rx_len);
            //  the request may hold the password
            memset(session->rx, 0, session->rx_len);
            session->rx_len = 0;
            if (s_session_outstanding(session) >= REPLY_RING && !session->rx_paused) {
                //  No slot for the next request's reply: read no more
                //  until one has been written
                session->rx_paused = true;
                lws_rx_flow_control(wsi, 0);
            }
            break;
        }
        case LWS_CALLBACK_SERVER_WRITEABLE: {
            if (session->overflow) {
                static const char why[] = "too many unanswered requests";
                lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
                                 (unsigned char *) why, sizeof(why) - 1);
                return -1;
            }
            const char *text = NULL;
            char *owned = NULL;
            if (session->reply_count > 0) {
                owned = session->replies[session->reply_head];
                session->replies[session->reply_head] = NULL;
                session->reply_head = (session->reply_head + 1) % REPLY_RING;
                session->reply_count--;
                text = owned;
            }
            else
            if (self->status_text && session->sent_gen != self->status_gen) {
                text = self->status_text;
                session->sent_gen = self->status_gen;
            }
            if (!text)
                break;
            size_t size = strlen(text);
            unsigned char *buf = malloc(LWS_PRE + size);
            int written = -1;
            if (buf) {
                memcpy(buf + LWS_PRE, text, size);
                written = lws_write(wsi, buf + LWS_PRE, size, LWS_WRITE_TEXT);
                free(buf);
            }
            free(owned);
            if (written < (int) size)
                return -1;
            if (session->rx_paused && s_session_outstanding(session) < REPLY_RING) {
                session->rx_paused = false;
                lws_rx_flow_control(wsi, 1);
            }
            if (session->reply_count > 0 || (self->status_text && session->sent_gen != self->status_gen))
                lws_callback_on_writable(wsi);
            break;
        }
        default:
            break;
    }
    return 0;
}


//  --------------------------------------------------------------------------
//  Thread and public API

static void
s_beat(lws_sorted_usec_list_t *sul)
{
    httpd_t *self = lws_container_of(sul, httpd_t, beat_sul);
    atomic_fetch_add(&self->beats, 1);
    if (!atomic_load(&self->stop))
        lws_sul_schedule(self->context, 0, &self->beat_sul, s_beat, HTTPD_BEAT_MS * LWS_US_PER_MS);
}

static void *
s_thread(void *arg)
{
    httpd_t *self = arg;
    prctl(PR_SET_NAME, "statuspage");     //  top -H, perf
    //  lws 4.1 waits in poll() for the next scheduled event in whole
    //  milliseconds, rounded down: woken up to a millisecond early, it
    //  polls with no timeout until the event is due, ~30 system calls each
    //  time (and hundreds a second in bad stretches: issue 12's idle
    //  count). With a 1 ms timer slack the kernel wakes this thread up to a
    //  millisecond late instead, which a status page cannot tell.
    prctl(PR_SET_TIMERSLACK, 1000 * 1000UL);
    self->status_sock = s_control_socket(self);
    self->command_sock = s_control_socket(self);
    s_beat(&self->beat_sul);
    while (!atomic_load(&self->stop) && !atomic_load(&self->fail))
        if (lws_service(self->context, 0) < 0) {
            cp_error(COMPONENT, "the status page's service loop failed");
            break;
        }
    lws_sul_cancel(&self->sul);
    lws_sul_cancel(&self->beat_sul);
    zsock_destroy(&self->status_sock);
    zsock_destroy(&self->command_sock);
    atomic_store(&self->exited, true);
    return NULL;
}

//  lws reports a failed bind only as a failed context: bind once
//  ourselves first to say why (port taken, address not here).
static int
s_probe_bind(const char *addr, int port, char *err, size_t err_size)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t ss_len;
    int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *) &ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t) port);
        inet_pton(AF_INET, addr, &sin->sin_addr);
        ss_len = sizeof(*sin);
    }
    else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t) port);
        inet_pton(AF_INET6, addr, &sin6->sin6_addr);
        ss_len = sizeof(*sin6);
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
    ||  bind(fd, (struct sockaddr *) &ss, ss_len) != 0 || listen(fd, 1) != 0) {
        snprintf(err, err_size, "cannot serve the status page on %s%s%s:%d: %s",
                 family == AF_INET6 ? "[" : "", addr, family == AF_INET6 ? "]" : "", port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

//  A fresh lws context on the address, and its service thread.
static int
s_start(httpd_t *self, char *err, size_t err_size)
{
    atomic_store(&self->stop, false);
    atomic_store(&self->fail, false);
    atomic_store(&self->exited, false);
    self->status_busy = false;
    self->command_busy = false;
    self->next_poll = 0;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = self->port;
    info.iface = self->addr;
    info.protocols = s_protocols;
    info.user = self;
    info.gid = -1;
    info.uid = -1;
    info.max_http_header_data = 4096;
    //  lws sizes its descriptor table by the process's open-file limit
    //  unless told (20 000 here: 320 KB per context): a status page serves
    //  a handful of browsers; beyond this many sockets a new one waits.
    info.fd_limit_per_thread = 128;
    info.vhost_name = "status-page";
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    if (!strchr(self->addr, ':'))
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    self->context = lws_create_context(&info);
    if (!self->context) {
        snprintf(err, err_size, "cannot serve the status page on %s:%d (libwebsockets refused)",
                 self->addr, self->port);
        return -1;
    }
    if (pthread_create(&self->thread, NULL, s_thread, self) != 0) {
        snprintf(err, err_size, "cannot start the status page thread");
        lws_context_destroy(self->context);
        self->context = NULL;
        return -1;
    }
    self->thread_started = true;
    return 0;
}

//  Stop the service thread (bounded) and close everything it served.
//  False when the thread does not end: it is stuck inside the context,
//  which then cannot be destroyed either.
static bool
s_stop(httpd_t *self)
{
    if (self->thread_started) {
        atomic_store(&self->stop, true);
        lws_cancel_service(self->context);
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += JOIN_GRACE_S;
        if (pthread_timedjoin_np(self->thread, NULL, &deadline) != 0) {
            cp_error(COMPONENT, "the status page thread does not end: left behind");
            return false;
        }
        self->thread_started = false;
    }
    //  Closing the connections runs the CLOSED callbacks, which free
    //  each browser's queue; then the jobs nobody will answer.
    if (self->context)
        lws_context_destroy(self->context);
    self->context = NULL;
    while (self->jobs) {
        job_t *job = self->jobs;
        self->jobs = job->next;
        s_job_free(&job);
    }
    self->jobs_tail = NULL;
    self->job_count = 0;
    free(self->status_text);
    self->status_text = NULL;
    return true;
}

httpd_t *
httpd_new(const httpd_config_t *cfg, char *err, size_t err_size)
{
    assert(cfg && cfg->listen && cfg->control && err && err_size > 0);
    httpd_t *self = calloc(1, sizeof(httpd_t));
    if (!self) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    if (httpd_parse_listen(cfg->listen, self->addr, sizeof(self->addr), &self->port, err, err_size) != 0
    ||  s_probe_bind(self->addr, self->port, err, err_size) != 0) {
        free(self);
        return NULL;
    }
    snprintf(self->control, sizeof(self->control), "%s", cfg->control);
    self->sim = cfg->sim;
    self->poll_ms = cfg->poll_ms > 0 ? cfg->poll_ms : 400;
    atomic_init(&self->stop, false);
    atomic_init(&self->fail, false);
    atomic_init(&self->exited, false);
    atomic_init(&self->beats, 0);
    lws_set_log_level(LLL_ERR, NULL);
    if (s_start(self, err, err_size) != 0) {
        free(self);
        return NULL;
    }
    cp_info(COMPONENT, "status page on http://%s%s%s:%d/", strchr(self->addr, ':') ? "[" : "", self->addr,
            strchr(self->addr, ':') ? "]" : "", self->port);
    return self;
}

void
httpd_destroy(httpd_t **self_p)
{
    assert(self_p);
    httpd_t *self = *self_p;
    if (!self)
        return;
    //  A stuck thread still uses self: leave it all behind (the process
    //  is on its way out).
    if (s_stop(self))
        free(self);
    *self_p = NULL;
}

uint64_t
httpd_beats(httpd_t *self)
{
    assert(self);
    return atomic_load(&self->beats);
}

bool
httpd_exited(httpd_t *self)
{
    assert(self);
    return atomic_load(&self->exited);
}

int
httpd_restart(httpd_t *self, char *err, size_t err_size)
{
    assert(self && err && err_size > 0);
    if (!s_stop(self)) {
        snprintf(err, err_size, "the old status page thread does not end");
        return -1;
    }
    if (s_start(self, err, err_size) != 0)
        return -1;
    cp_info(COMPONENT, "status page serving again on port %d", self->port);
    return 0;
}

void
httpd_inject_exit(httpd_t *self)
{
    assert(self);
    atomic_store(&self->fail, true);
    if (self->context)
        lws_cancel_service(self->context);
}
