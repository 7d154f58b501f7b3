/* page_request.h — what the status page may ask of the controller, and
 * how each request becomes control-socket commands (the words cpctl
 * sends), so the page reuses the supervisor's command handling and
 * refusals instead of a second path into the actors.
 *
 * Why it exists: the status page's WebSocket carries JSON from a browser,
 * i.e. untrusted input. Everything it may carry is decided here, purely
 * (no sockets, no store), so every rule is unit-tested:
 *
 *   {"id":7,"command":"plug","connector":1}             plug 1
 *   {"id":7,"command":"unplug","connector":1}           unplug 1
 *   {"id":7,"command":"ev","connector":1,"action":"charge"|"pause"}
 *   {"id":7,"command":"swipe","idTag":"TAG-1"}          swipe TAG-1
 *   {"id":7,"command":"key","keys":"4"}                 key 4  (keypad: 0-9 C #; secret)
 *   {"id":7,"command":"fault","connector":1,"kind":"rcd"|"ground"|
 *        "overcurrent"|"overtemp"|"welding"|"clear"}
 *   {"id":7,"command":"settings","enabled":true,"url":"ws://…",
 *        "identity":"CP001","password":"","accept":true}
 *
 * The first six drive simulated hardware and are refused unless the
 * controller runs with --hw sim. "settings" is the seed's OCPP settings
 * form: every field is validated first (with the configuration keys' own
 * rules) and only then turned into config set commands, so a bad field
 * changes nothing. An empty password keeps the stored one (the page never
 * sees it); with OCPP disabled an empty URL or identity is left as it is.
 * "accept" is the seed's terms-and-conditions box: required.
 *
 * A refusal's reason is for the user and never quotes a password.
 */
#ifndef CP_GATEWAY_PAGE_REQUEST_H
#define CP_GATEWAY_PAGE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_REQUEST_MAX_BYTES 4096     //  a larger WebSocket message is refused
#define PAGE_REQUEST_MAX_STEPS 4
#define PAGE_REQUEST_MAX_ARGS 4
#define PAGE_REQUEST_ARG_MAX 501        //  a configuration value (500) + NUL
#define PAGE_REQUEST_REASON_MAX 240
#define PAGE_REQUEST_KEYS_MAX 16        //  keypad keys in one request (hw_core's limit)

typedef struct {
    int argc;
    char argv[PAGE_REQUEST_MAX_ARGS][PAGE_REQUEST_ARG_MAX];
} page_step_t;

typedef struct {
    int64_t id;                         //  echoed in the reply; 0 if absent
    char command[16];                   //  "plug", "settings", ...
    int steps;
    page_step_t step[PAGE_REQUEST_MAX_STEPS];
    bool secret;                        //  holds a password: wipe, never log
    char done[PAGE_REQUEST_REASON_MAX]; //  what to tell the user on success
} page_request_t;

//  Parse one WebSocket text message. sim: the hardware is simulated.
//  Returns 0 with out filled, or -1 with reason (out->id is still set
//  when the message had one, so the refusal can name the request).
int page_request_parse(const char *text, size_t len, bool sim, page_request_t *out,
                       char *reason, size_t reason_size);

//  Wipe a request (it may hold a password).
void page_request_clear(page_request_t *self);
#endif
