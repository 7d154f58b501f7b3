/* cpctl.c — inspect and drive a running chargepointd (interface.md).
 *
 * Sends the command words as frames to the controller's control endpoint
 * (a ROUTER in the supervisor) and prints the answer: [code][text].
 * Exit codes: 0 done; 1 the controller refused (reason on stderr);
 * 2 usage; 3 controller not reachable within the timeout.
 */
#include <czmq.h>
#include <stdio.h>
#include <string.h>

#define CPCTL_TIMEOUT_MS 6000

static const char s_usage[] =
    "usage: cpctl [--control ENDPOINT | --state-dir DIR] COMMAND [ARGS]\n"
    "commands:\n"
    "  status                         JSON snapshot of the controller\n"
    "  plug N | unplug N              EV cable connected to / removed from connector N\n"
    "  ev N charge | ev N pause       the EV asks for energy / stops asking\n"
    "  swipe IDTAG                    an identifier presented at the reader\n"
    "  rfid UIDHEX                    raw card UID bytes as read\n"
    "  pin CODE                       a PIN entered on the keypad (whole)\n"
    "  key KEYS                       keypad presses in order: 0-9, C clear, # submit\n"
    "  fault N rcd|ground|overcurrent|overtemp|welding|clear\n"
    "  grid LOAD_A | grid off | grid on   simulated household load behind the grid meter\n"
    "  tamper open | tamper closed    the simulated enclosure opened / closed (its tamper switch)\n"
    "  actor list | actor kill NAME | actor hang NAME | actor crash NAME\n"
    "  config get [KEY] | config set KEY VALUE\n"
    "  datatransfer VENDORID [MESSAGEID [DATA]]   DataTransfer.req to the central system\n"
    "  outbox retry                   send the transaction messages kept as dead letters again\n";

static int
s_usage_error(const char *why)
{
    if (why)
        fprintf(stderr, "cpctl: %s\n", why);
    fputs(s_usage, stderr);
    return 2;
}

//  Local shape check so that typos fail fast with exit 2, even when no
//  controller runs. The controller re-validates everything it receives.
static bool
s_shape_ok(int argc, char **argv)
{
    if (argc < 1)
        return false;
    const char *c = argv[0];
    if (streq(c, "status")) return argc == 1;
    if (streq(c, "plug") || streq(c, "unplug")) return argc == 2;
    if (streq(c, "ev")) return argc == 3 && (streq(argv[2], "charge") || streq(argv[2], "pause"));
    if (streq(c, "swipe") || streq(c, "rfid") || streq(c, "pin")) return argc == 2;
    if (streq(c, "grid") || streq(c, "key")) return argc == 2;
    if (streq(c, "tamper")) return argc == 2 && (streq(argv[1], "open") || streq(argv[1], "closed"));
    if (streq(c, "fault"))
        return argc == 3 && (streq(argv[2], "rcd") || streq(argv[2], "ground") || streq(argv[2], "overcurrent")
                             || streq(argv[2], "overtemp") || streq(argv[2], "welding") || streq(argv[2], "clear"));
    if (streq(c, "actor"))
        return (argc == 2 && streq(argv[1], "list"))
            || (argc == 3 && (streq(argv[1], "kill") || streq(argv[1], "hang") || streq(argv[1], "crash")));
    if (streq(c, "datatransfer"))
        return argc >= 2 && argc <= 4;
    if (streq(c, "outbox"))
        return argc == 2 && streq(argv[1], "retry");
    if (streq(c, "config"))
        return (streq(argv[1 < argc ? 1 : 0], "get") && (argc == 2 || argc == 3))
            || (argc == 4 && streq(argv[1], "set"));
    return false;
}

int
main(int argc, char **argv)
{
    char endpoint[4200] = "";
    const char *state_dir = "/var/lib/chargepointd";
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (streq(argv[i], "--help"))
            return fputs(s_usage, stdout), 0;
        if (streq(argv[i], "--control") && i + 1 < argc)
            snprintf(endpoint, sizeof(endpoint), "%s", argv[++i]);
        else
        if (streq(argv[i], "--state-dir") && i + 1 < argc)
            state_dir = argv[++i];
        else
            return s_usage_error("unknown option or missing value");
    }
    if (!endpoint[0])
        snprintf(endpoint, sizeof(endpoint), "ipc://%s/control", state_dir);
    if (!s_shape_ok(argc - i, argv + i))
        return s_usage_error(i < argc ? "unknown command or wrong arguments" : "missing command");
    if (strncmp(endpoint, "ipc://", 6) == 0 && access(endpoint + 6, F_OK) != 0) {
        fprintf(stderr, "cpctl: no controller at %s\n", endpoint);
        return 3;
    }
    zsys_init();
    zsys_set_logstream(NULL);
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    if (!sock)
        return 3;
    zsock_set_linger(sock, 0);
    zsock_set_rcvtimeo(sock, CPCTL_TIMEOUT_MS);
    zsock_set_sndtimeo(sock, CPCTL_TIMEOUT_MS);
    if (zsock_connect(sock, "%s", endpoint) != 0) {
        fprintf(stderr, "cpctl: bad control endpoint %s\n", endpoint);
        zsock_destroy(&sock);
        return 2;
    }
    zmsg_t *req = zmsg_new();
    for (int k = i; k < argc; k++)
        zmsg_addstr(req, argv[k]);
    if (zmsg_send(&req, sock) != 0) {
        zmsg_destroy(&req);
        zsock_destroy(&sock);
        fprintf(stderr, "cpctl: controller not reachable at %s\n", endpoint);
        return 3;
    }
    zmsg_t *reply = zmsg_recv(sock);
    zsock_destroy(&sock);
    if (!reply) {
        fprintf(stderr, "cpctl: controller did not answer within %d ms at %s\n", CPCTL_TIMEOUT_MS, endpoint);
        return 3;
    }
    char *code = zmsg_popstr(reply);
    char *text = zmsg_popstr(reply);
    zmsg_destroy(&reply);
    int rc = code ? atoi(code) : 1;
    if (rc == 0) {
        if (text && *text)
            printf("%s%s", text, text[strlen(text) - 1] == '\n' ? "" : "\n");
    }
    else
        fprintf(stderr, "cpctl: %s\n", text && *text ? text : "refused");
    zstr_free(&code);
    zstr_free(&text);
    return rc == 0 || rc == 1 || rc == 2 ? rc : 1;
}
