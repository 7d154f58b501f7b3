/* control.c — see control.h.
 *
 * A command is argv[0] and, for the commands that have them, a subcommand
 * in argv[1] ("actor list", "config set"). The table row that matches the
 * words and the argument count runs; a command with the right words but a
 * wrong count, or no row at all, is a usage error (exit 2) naming the
 * command's usage. A handler checks the values (a connector number, a
 * length) and refuses with exit 1 and a reason, as before the table.
 */
#include "supervisor/control.h"

#include <assert.h>
#include <string.h>
#include "supervisor/log.h"

//  cpctl sends at most this many words; more is a malformed request.
#define ARGS_MAX 8

typedef struct {
    uint64_t corr;                 //  0: free
    zframe_t *client;              //  cpctl routing id
    int64_t deadline;
    char actor[CP_BUS_NAME_MAX];
    //  The request, kept to send again if the actor was starting (not yet
    //  on the bus) when it went: parked until the actor serves.
    char *request;
    size_t request_size;
    bool parked;
} pending_t;

struct _cp_control_t {
    const cp_options_t *options;
    cp_clock_t *clock;
    cp_bus_t *bus;                 //  the supervisor's (not owned)
    cp_control_host_t host;
    zsock_t *router;
    pending_t pending[CP_CONTROL_PENDING_MAX];
    cp_socket_used_fn *used;       //  NULL: nobody asked
    void *used_arg;
};

//  One command: the words, the argument count (the words included), what
//  runs it. The handler returns 0 when it answered or forwarded, -1 when
//  the arguments are not this command's (then the usage error follows).
typedef int (command_fn)(cp_control_t *self, zframe_t *client, int argc, char **argv);

typedef struct {
    const char *name;
    const char *sub;               //  argv[1] must be this; NULL: no subcommand
    int min_argc, max_argc;
    command_fn *handler;
    const char *usage;
} command_t;

//  --------------------------------------------------------------------------
//  Answers and forwarding

static void
s_reply(cp_control_t *self, zframe_t *client, int code, const char *text)
{
    zmsg_t *out = zmsg_new();
    zframe_t *id = zframe_dup(client);
    zmsg_append(out, &id);
    zmsg_addstrf(out, "%d", code);
    zmsg_addstr(out, text ? text : "");
    if (zmsg_send(&out, self->router) != 0)
        zmsg_destroy(&out);
    if (self->used)
        self->used(self->used_arg, self->router);
}

static void
s_pending_clear(pending_t *p)
{
    zframe_destroy(&p->client);
    free(p->request);
    p->request = NULL;
    p->request_size = 0;
    p->parked = false;
    p->corr = 0;
}

//  Send msg to actor as a request; its outcome becomes the answer to client.
static void
s_forward(cp_control_t *self, zframe_t *client, const char *actor, const cp_msg_t *msg)
{
    pending_t *free_slot = NULL;
    for (int i = 0; i < CP_CONTROL_PENDING_MAX && !free_slot; i++)
        if (self->pending[i].corr == 0)
            free_slot = &self->pending[i];
    char *request = NULL;
    size_t request_size = 0;
    uint64_t corr = 0;
    if (free_slot && cp_msg_encode(msg, &request, &request_size) == 0)
        corr = cp_bus_request(self->bus, actor, msg);
    if (!corr) {
        free(request);
        s_reply(self, client, 1, "controller busy: request not sent");
        return;
    }
    free_slot->corr = corr;
    free_slot->request = request;
    free_slot->request_size = request_size;
    free_slot->client = zframe_dup(client);
    free_slot->deadline = cp_clock_mono_ms(self->clock) + CP_CONTROL_TIMEOUT_MS;
    snprintf(free_slot->actor, sizeof(free_slot->actor), "%s", actor);
}

//  A connector number 1..connectors, or a refusal (exit 1) saying so.
static bool
s_connector_arg(cp_control_t *self, zframe_t *client, const char *text, int *n)
{
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < 1 || v > self->options->connectors) {
        char reason[128];
        snprintf(reason, sizeof(reason), "no connector '%.40s' (1..%d)", text, self->options->connectors);
        s_reply(self, client, 1, reason);
        return false;
    }
    *n = (int) v;
    return true;
}

//  A command for the simulated board, through the hw actor.
static void
s_hw_command(cp_control_t *self, zframe_t *client, int connector, const char *command, const char *arg)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_HW_COMMAND);
    if (!msg) {
        s_reply(self, client, 1, "out of memory");
        return;
    }
    msg->u.hw_command.connector = connector;
    cp_msg_set_str(msg->u.hw_command.command, command);
    if (arg && cp_msg_set_str(msg->u.hw_command.arg, arg) != 0)
        s_reply(self, client, 1, "argument too long");
    else
        s_forward(self, client, "hw", msg);
    cp_msg_destroy(&msg);
}

//  --------------------------------------------------------------------------
//  The commands

static int
s_cmd_status(cp_control_t *self, zframe_t *client, int argc, char **argv)
{
    json_t *status = self->host.status(self->host.ctx);
    char *text = status ? json_dumps(status, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)) : NULL;
    if (text)
        s_reply(self, client, 0, text);
    else
        s_reply(self, client, 1, "out of memory");
    free(text);
    json_decref(status);
    return 0;
}

//  plug N | unplug N
static int
s_cmd_plug(cp_control_t *self, zframe_t *client, int argc, char **argv)
{
    int n;
    if (s_connector_arg(self, client, argv[1], &n))
        s_hw_command(self, client, n, argv[0], NULL);
    return 0;
}

//  ev N charge | ev N pause
static int
s_cmd_ev(cp_control_t *self, zframe_t *client, int argc, char **argv)
{
    if (!streq(argv[2], "charge") && !streq(argv[2], "pause"))
        return -1;
    int n;
    if (s_connector_arg(self, client, argv[1], &n))
        s_hw_command(self, client, n, streq(argv[2], "charge") ? "ev_charge" : "ev_pause", NULL);
    return 0;
}

//  fault N KIND (the board validates KIND)
static int
s_cmd_fault(cp_control_t *self, zframe_t *client, int argc, char **argv)
{
    int n;
    if (s_connector_arg(self, client, argv[1], &n))
        s_hw_command(self, client, n, "fault", argv[2]);
    return 0;
}

//  swipe IDTAG, rfid UID, pin CODE, key KEYS, grid LOAD, tamper open|closed: charger-wide
//  inputs of the board, passed as they are (the hw actor validates them).
static int
s_cmd_board_input(cp_control_t *self, zframe_t *client, int argc, char **argv)
{
    s_hw_command(self, client, 0, argv[0], argv[1]);
    return 0;
}

static int
s_cmd_actor_list(cp_control_t *self, zframe_t *client, int argc, char **argv)
{
    char text[2048] = "";
    self->host.actor_list(self->host.ctx, text, sizeof(text));
    s_reply(self, client, 0, text);
    return 0;
}

//  actor kill NAME | actor hang NAME | actor crash NAME
static int
s_cmd_actor_fault(cp_control_t *self, zframe_t *client, int argc, char **argv)
{
    char reason[128] = "";
    int code = self->host.actor_fault(self->host.ctx, argv[2], argv[1], reason, sizeof(reason));
    if (code == 0)
        snprintf(reason, sizeof(reason), "%.40s: %s sent", argv[2], argv[1]);
    s_reply(self, client, code, reason);
    return 0;
}

//  outbox retry: the transaction messages kept as dead letters go out again
static int
s_cmd_outbox_retry(cp_control_t *self, zframe_t *client, int argc, char **argv)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_OUTBOX_COMMAND);
    if (!msg)
        s_reply(self, client, 1, "out of memory");
    else {
        cp_msg_set_str(msg->u.outbox_command.command, "retry");
        s_forward(self, client, "transaction", msg);
    }
    cp_msg_destroy(&msg);
    return 0;
}

//  config get [KEY]
static int
s_cmd_config_get(cp_control_t *self, zframe_t *client, int argc, char **argv)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_CONFIG_GET);
    if (!msg)
        s_reply(self, client, 1, "out of memory");
    else
    if (argc == 3 && cp_msg_set_str(msg->u.config_get.key, argv[2]) != 0)
        s_reply(self, client, 1, "key too long");
    else
        s_forward(self, client, "config", msg);
    cp_msg_destroy(&msg);
    return 0;
}

//  config set KEY VALUE
static int
s_cmd_config_set(cp_control_t *self, zframe_t *client, int argc, char **argv)
{
    cp_msg_t *msg = cp_msg_new(CP_MSG_CONFIG_SET);
    if (!msg) {
        s_reply(self, client, 1, "out of memory");
        return 0;
    }
    cp_msg_set_str(msg->u.config_set.origin, "local");
    if (cp_msg_set_str(msg->u.config_set.key, argv[2]) != 0
    ||  cp_msg_set_str(msg->u.config_set.value, argv[3]) != 0)
        s_reply(self, client, 1, "Rejected: key or value too long");
    else
        s_forward(self, client, "config", msg);
    cp_msg_destroy(&msg);
    return 0;
}

//  datatransfer VENDORID [MESSAGEID [DATA]]: a vendor-specific
//  DataTransfer.req to the central system, through the ocpp actor.
static int
s_cmd_datatransfer(cp_control_t *self, zframe_t *client, int argc, char **argv)
{
    if (strlen(argv[1]) > 255 || (argc >= 3 && strlen(argv[2]) > 50)) {
        s_reply(self, client, 1, "vendorId is at most 255 and messageId 50 characters");
        return 0;
    }
    json_t *p = json_pack("{s:s}", "vendorId", argv[1]);
    if (p && argc >= 3 && argv[2][0])
        json_object_set_new(p, "messageId", json_string(argv[2]));
    if (p && argc == 4)
        json_object_set_new(p, "data", json_string(argv[3]));
    char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    cp_msg_t *msg = text ? cp_msg_new(CP_MSG_OCPP_CALL) : NULL;
    if (!msg || !text)
        s_reply(self, client, 1, "the request cannot be built (text not UTF-8, or out of memory)");
    else {
        cp_msg_set_str(msg->u.ocpp_call.action, "DataTransfer");
        cp_msg_set_text(&msg->u.ocpp_call.payload, text);
        s_forward(self, client, "ocpp", msg);
    }
    free(text);
    cp_msg_destroy(&msg);
    return 0;
}

static const command_t s_commands[] = {
    { "status",       NULL,   1, 1, s_cmd_status,       "status" },
    { "plug",         NULL,   2, 2, s_cmd_plug,         "plug N" },
    { "unplug",       NULL,   2, 2, s_cmd_plug,         "unplug N" },
    { "ev",           NULL,   3, 3, s_cmd_ev,           "ev N charge|pause" },
    { "fault",        NULL,   3, 3, s_cmd_fault,        "fault N rcd|ground|overcurrent|overtemp|welding|clear" },
    { "swipe",        NULL,   2, 2, s_cmd_board_input,  "swipe IDTAG" },
    { "rfid",         NULL,   2, 2, s_cmd_board_input,  "rfid UIDHEX" },
    { "pin",          NULL,   2, 2, s_cmd_board_input,  "pin CODE" },
    { "key",          NULL,   2, 2, s_cmd_board_input,  "key KEYS" },
    { "grid",         NULL,   2, 2, s_cmd_board_input,  "grid LOAD_A|off|on" },
    { "tamper",       NULL,   2, 2, s_cmd_board_input,  "tamper open|closed" },
    { "actor",        "list", 2, 2, s_cmd_actor_list,   "actor list" },
    { "actor",        "kill", 3, 3, s_cmd_actor_fault,  "actor kill NAME" },
    { "actor",        "hang", 3, 3, s_cmd_actor_fault,  "actor hang NAME" },
    { "actor",        "crash", 3, 3, s_cmd_actor_fault, "actor crash NAME" },
    { "config",       "get",  2, 3, s_cmd_config_get,   "config get [KEY]" },
    { "config",       "set",  4, 4, s_cmd_config_set,   "config set KEY VALUE" },
    { "datatransfer", NULL,   2, 4, s_cmd_datatransfer, "datatransfer VENDORID [MESSAGEID [DATA]]" },
    { "outbox",       "retry", 2, 2, s_cmd_outbox_retry, "outbox retry" },
};
#define COMMANDS (sizeof(s_commands) / sizeof(s_commands[0]))

const char *
cp_control_usage(const char *command)
{
    for (size_t i = 0; i < COMMANDS; i++)
        if (command && streq(s_commands[i].name, command))
            return s_commands[i].usage;
    return NULL;
}

//  The row for these words and this many of them, or NULL.
static const command_t *
s_find(int argc, char **argv)
{
    for (size_t i = 0; i < COMMANDS; i++) {
        const command_t *c = &s_commands[i];
        if (streq(c->name, argv[0]) && (!c->sub || (argc >= 2 && streq(c->sub, argv[1])))
        &&  argc >= c->min_argc && argc <= c->max_argc)
            return c;
    }
    return NULL;
}

//  Exit 2, naming the usage of every form of the command when it exists.
static void
s_usage_error(cp_control_t *self, zframe_t *client, const char *command)
{
    char text[512];
    int len = snprintf(text, sizeof(text), "unknown command or wrong arguments: '%.40s'", command);
    const char *sep = "; usage: ";
    for (size_t i = 0; i < COMMANDS && len > 0 && (size_t) len < sizeof(text); i++)
        if (streq(s_commands[i].name, command)) {
            len += snprintf(text + len, sizeof(text) - (size_t) len, "%s%s", sep, s_commands[i].usage);
            sep = " | ";
        }
    s_reply(self, client, 2, text);
}

void
cp_control_on_command(cp_control_t *self)
{
    assert(self);
    zmsg_t *in = zmsg_recv(self->router);
    if (!in)
        return;
    zframe_t *client = zmsg_pop(in);
    int argc = 0;
    char *argv[ARGS_MAX] = { NULL };
    while (zmsg_size(in) > 0 && argc < ARGS_MAX)
        argv[argc++] = zmsg_popstr(in);
    bool malformed = zmsg_size(in) > 0 || argc == 0 || !client;
    for (int i = 0; i < argc; i++)
        malformed |= argv[i] == NULL;
    zmsg_destroy(&in);
    if (!client)
        ;                          //  nobody to answer
    else
    if (malformed)
        s_reply(self, client, 2, "bad request");
    else {
        const command_t *command = s_find(argc, argv);
        if (!command || command->handler(self, client, argc, argv) != 0)
            s_usage_error(self, client, argv[0]);
    }
    for (int i = 0; i < argc; i++)
        zstr_free(&argv[i]);
    zframe_destroy(&client);
}

//  --------------------------------------------------------------------------
//  Answers from the actors

//  The answer to cpctl for an actor's final reply.
static void
s_answer(cp_control_t *self, pending_t *p, const cp_msg_t *msg)
{
    char text[512];
    if (msg->type == CP_MSG_REPLY)
        s_reply(self, p->client, msg->u.reply.ok ? 0 : 1, msg->u.reply.reason);
    else
    if (msg->type == CP_MSG_OCPP_RESULT) {
        const cp_msg_ocpp_result_t *r = &msg->u.ocpp_result;
        if (streq(r->outcome, "result"))
            s_reply(self, p->client, 0, r->payload ? r->payload : "{}");
        else {
            snprintf(text, sizeof(text), "%s%s%s%s%s", r->outcome, r->error_code[0] ? ": " : "", r->error_code,
                     r->error_description[0] ? " " : "", r->error_description);
            s_reply(self, p->client, 1, text);
        }
    }
    else
    if (msg->type == CP_MSG_CONFIG_VALUES)
        s_reply(self, p->client, 0, msg->u.config_values.json ? msg->u.config_values.json : "[]");
    else
    if (msg->type == CP_MSG_CONFIG_SET_REPLY) {
        const cp_msg_config_set_reply_t *r = &msg->u.config_set_reply;
        bool ok = streq(r->status, "Accepted") || streq(r->status, "RebootRequired");
        snprintf(text, sizeof(text), "%s%s%s", r->status, r->reason[0] ? ": " : "", r->reason);
        s_reply(self, p->client, ok ? 0 : 1, text);
    }
    else
        s_reply(self, p->client, 1, "unexpected reply");
}

bool
cp_control_on_reply(cp_control_t *self, const cp_bus_envelope_t *env, const cp_msg_t *msg)
{
    assert(self && env);
    pending_t *p = NULL;
    for (int i = 0; i < CP_CONTROL_PENDING_MAX && !p; i++)
        if (env->corr && self->pending[i].corr == env->corr)
            p = &self->pending[i];
    if (!p)
        return false;
    if (env->kind == CP_BUS_UNREACHABLE && self->host.actor_starting
        && self->host.actor_starting(self->host.ctx, p->actor)
        && cp_clock_mono_ms(self->clock) < p->deadline) {
        //  Restarting, or started but not yet on the bus: the command waits
        //  for it (cp_control_actor_serving) instead of failing.
        p->parked = true;
        return true;
    }
    if (env->kind == CP_BUS_UNREACHABLE || !msg) {
        char text[128];
        snprintf(text, sizeof(text), "actor %s is not running right now; try again", p->actor);
        s_reply(self, p->client, 1, text);
    }
    else
        s_answer(self, p, msg);
    s_pending_clear(p);
    return true;
}

void
cp_control_on_use(cp_control_t *self, cp_socket_used_fn *used, void *arg)
{
    assert(self);
    self->used = used;
    self->used_arg = arg;
}

//  Send a parked request again, under a new correlation id.
static void
s_resend(cp_control_t *self, pending_t *p)
{
    char why[64];
    cp_msg_t *msg = cp_msg_decode(p->request, p->request_size, why, sizeof(why));
    uint64_t corr = msg ? cp_bus_request(self->bus, p->actor, msg) : 0;
    cp_msg_destroy(&msg);
    if (corr) {
        p->corr = corr;
        p->parked = false;
    }
}

void
cp_control_actor_serving(cp_control_t *self, const char *name)
{
    assert(self && name);
    for (int i = 0; i < CP_CONTROL_PENDING_MAX; i++) {
        pending_t *p = &self->pending[i];
        if (p->corr && p->parked && streq(p->actor, name))
            s_resend(self, p);
    }
}

void
cp_control_expire(cp_control_t *self)
{
    assert(self);
    int64_t now = cp_clock_mono_ms(self->clock);
    for (int i = 0; i < CP_CONTROL_PENDING_MAX; i++) {
        pending_t *p = &self->pending[i];
        if (p->corr && now > p->deadline) {
            char text[128];
            snprintf(text, sizeof(text), p->parked ? "actor %s is not running right now; try again"
                                                   : "actor %s did not answer in time", p->actor);
            s_reply(self, p->client, 1, text);
            s_pending_clear(p);
        }
        else
        if (p->corr && p->parked)
            s_resend(self, p);          //  on the bus by now, perhaps, though not heard serving

    }
}

//  --------------------------------------------------------------------------

cp_control_t *
cp_control_new(const cp_options_t *options, cp_clock_t *clock, cp_bus_t *bus, const cp_control_host_t *host,
               char *err, size_t err_size)
{
    assert(options && clock && bus && host && host->status && host->actor_list && host->actor_fault);
    cp_control_t *self = calloc(1, sizeof(cp_control_t));
    if (!self) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    self->options = options;
    self->clock = clock;
    self->bus = bus;
    self->host = *host;
    self->router = zsock_new(ZMQ_ROUTER);
    if (!self->router) {
        snprintf(err, err_size, "cannot create the control socket");
        cp_control_destroy(&self);
        return NULL;
    }
    zsock_set_linger(self->router, 0);
    const char *failed = NULL;
    if (zsock_bind(self->router, "%s", options->control) < 0)
        failed = options->control;
    else
    if (strcmp(options->control, CP_CONTROL_INPROC) != 0 && zsock_bind(self->router, CP_CONTROL_INPROC) < 0)
        failed = CP_CONTROL_INPROC;
    if (failed) {
        snprintf(err, err_size, "cannot bind the control endpoint %s: %s", failed, zmq_strerror(zmq_errno()));
        cp_control_destroy(&self);
        return NULL;
    }
    return self;
}

void
cp_control_destroy(cp_control_t **self_p)
{
    assert(self_p);
    cp_control_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < CP_CONTROL_PENDING_MAX; i++)
        if (self->pending[i].corr)
            s_pending_clear(&self->pending[i]);
    //  A closed socket's inproc names are freed later, by libzmq's reaper;
    //  unbound, they are free now, for the next control in this process.
    if (self->router && strcmp(self->options->control, CP_CONTROL_INPROC) != 0)
        zsock_unbind(self->router, CP_CONTROL_INPROC);
    zsock_destroy(&self->router);
    free(self);
    *self_p = NULL;
}

zsock_t *
cp_control_socket(cp_control_t *self)
{
    assert(self);
    return self->router;
}
