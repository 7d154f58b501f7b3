/* hw_core.h — the pure decisions of the hw actor.
 *
 * The hw actor (hw_actor.c) is a thin shell: it reads the driver, talks to
 * the bus and keeps a 250 ms timer. Everything it has to *decide* lives
 * here, free of sockets, clocks and drivers, so that it is tested with
 * plain values:
 *   - when the grid meter's reading is worth publishing;
 *   - when a connector's state is worth publishing (first sight, a change
 *     of anything but the energy register, at least once a second while
 *     power flows so the energy seen by others keeps moving, and a
 *     level-triggered refresh every 10 s whatever happens);
 *   - what an hw_command request means: which connector, which action,
 *     with which operand, validated and normalized (idTag, RFID UID, PIN),
 *     or a refusal with a reason a person can act on;
 *   - how a driver state maps onto the hw_connector message.
 */
#ifndef CP_ACTORS_HW_HW_CORE_H
#define CP_ACTORS_HW_HW_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hw/hw.h"
#include "messages/msg.h"

#define HW_CORE_TICK_MS         250     //  how often the shell reads the driver
#define HW_CORE_ENERGY_MS       1000    //  max interval between events while power flows
#define HW_CORE_REFRESH_MS      10000   //  max interval between events, always
#define HW_CORE_GRID_REFRESH_MS 2000    //  max interval between grid meter events
#define HW_CORE_ANNOUNCE_MS     1000    //  after a start, every tick republishes
#define HW_CORE_IDTAG_MAX       20      //  OCPP idToken is CiString20Type
#define HW_CORE_PIN_MIN         4
#define HW_CORE_PIN_MAX         8
#define HW_CORE_KEYS_MAX        16      //  keys in one "key" command

//  Why a state is to be published (or not).
typedef enum {
    HW_PUBLISH_NONE = 0,        //  nothing worth telling
    HW_PUBLISH_FIRST,           //  never published this connector
    HW_PUBLISH_CHANGE,          //  something other than energy changed
    HW_PUBLISH_ENERGY,          //  power flows: the meter moved
    HW_PUBLISH_REFRESH          //  periodic level-triggered refresh
} hw_publish_t;

//  What an hw_command asks for, once validated.
typedef enum {
    HW_ACTION_SIMULATE = 1,     //  plug unplug ev_charge ev_pause fault → driver simulate
    HW_ACTION_CONTACTOR,        //  flag = closed
    HW_ACTION_LOCK,             //  flag = locked
    HW_ACTION_OFFER,            //  amps
    HW_ACTION_TOKEN,            //  source + token → event hw.token
    HW_ACTION_KEYS              //  token = keys pressed in order → one event hw.key each
} hw_action_kind_t;

typedef struct {
    hw_action_kind_t kind;
    int connector;              //  1-based; 0 for tokens (one reader per charger)
    char command[17];           //  the simulate command (SIMULATE only)
    char arg[65];               //  simulate operand (fault kind) or ""
    bool flag;                  //  CONTACTOR, LOCK
    double amps;                //  OFFER
    const char *source;         //  TOKEN: "card" | "rfid" | "pin" (static string)
    char token[65];             //  TOKEN: normalized (RFID upper-case hex)
} hw_action_t;

typedef struct _hw_core_t hw_core_t;

//  Create the publish bookkeeping for 1..HW_MAX_CONNECTORS connectors.
//  Returns NULL when the count is out of range or memory runs out.
hw_core_t *hw_core_new(int connectors);
void hw_core_destroy(hw_core_t **self_p);
int hw_core_connectors(const hw_core_t *self);

//  Decide whether `state` (read at now_ms) must be published. Pure: does
//  not record anything; call hw_core_published after a successful publish.
hw_publish_t hw_core_decide(const hw_core_t *self, const hw_connector_state_t *state,
                            int64_t now_ms);
//  Record that `state` was published at now_ms.
void hw_core_published(hw_core_t *self, const hw_connector_state_t *state, int64_t now_ms);
//  Forget everything published, so that the next decide says FIRST.
void hw_core_reset(hw_core_t *self);

//  Whether the shell may stop reading every HW_CORE_TICK_MS: true when
//  every connector was published and, as last published, is at rest — no
//  car plugged or asking, contactor open, no power, pilot A, no fault.
//  Then nothing the tick watches changes without a step the driver can
//  announce (hw.h, changes_fd), and only the refresh is due.
bool hw_core_at_rest(const hw_core_t *self);
//  When the next level-triggered refresh of a connector falls due (mono
//  ms): the earliest last publish + HW_CORE_REFRESH_MS.
int64_t hw_core_next_refresh(const hw_core_t *self);

//  The grid meter (hw.grid): publish on first sight, when it falls silent
//  or answers again, when the current moves by more than a small band, and
//  every HW_CORE_GRID_REFRESH_MS (Power Boost treats a silence of a few
//  refreshes as a lost meter).
bool hw_core_grid_decide(const hw_core_t *self, const hw_grid_state_t *grid, int64_t now_ms);
void hw_core_grid_published(hw_core_t *self, const hw_grid_state_t *grid, int64_t now_ms);

//  True when two states differ by a step (hw_connector_stepped) or in a
//  measured value other than the energy register (compared within a small
//  dead band so a noisy real meter does not flood the bus).
bool hw_core_state_changed(const hw_connector_state_t *a, const hw_connector_state_t *b);

//  Validate and normalize a request for a charger with `connectors`
//  connectors. Returns 0 with *out filled, or -1 with a reason.
int hw_core_parse_command(const cp_msg_hw_command_t *command, int connectors, hw_action_t *out,
                          char *reason, size_t reason_size);

//  Token validators. Each returns 0 (normalized copy in out, which must
//  hold at least 65 bytes), or -1 with a reason.
int hw_core_check_idtag(const char *idtag, char *out, size_t out_size, char *reason, size_t reason_size);
int hw_core_check_rfid(const char *uid_hex, char *out, size_t out_size, char *reason, size_t reason_size);
int hw_core_check_pin(const char *pin, char *out, size_t out_size, char *reason, size_t reason_size);

//  Map a driver state onto the bus message (fault "none" when empty).
void hw_core_state_to_msg(const hw_connector_state_t *state, cp_msg_hw_connector_t *out);
//  Event topic of a connector: "hw.connector.<n>".
void hw_core_topic(int connector, char *out, size_t out_size);
#endif
