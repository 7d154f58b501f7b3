/* options.h — the controller's start-up options: command line, then the
 * config file, then defaults. Read-only once the supervisor starts; every
 * actor gets a const pointer.
 */
#ifndef CP_SUPERVISOR_OPTIONS_H
#define CP_SUPERVISOR_OPTIONS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define CP_OPT_MAX_SEED_KEYS 64

//  Supervision timing (docs/architecture.md, "Supervision"). The
//  supervisor pings every actor every CP_OPT_PING_MS; a store call may hold
//  an actor for up to CP_STORE_BUSY_MS (store.h) before it can answer; so
//  an actor is called hung only after both together, with margin.
#define CP_OPT_PING_MS          1000
#define CP_OPT_LIVENESS_MIN_MS  2500
//  Default global backstop: this many times the per-actor intensity.
#define CP_OPT_GLOBAL_FACTOR    10

typedef struct {
    char key[51];
    char value[501];
} cp_seed_key_t;

typedef struct {
    char config_file[PATH_MAX];
    char csms_url[512];            //  "" → OCPP disabled (stand-alone)
    char id[64];                   //  Charge Point Identity
    char password[128];            //  AuthorizationKey from --password / env; "" = none given
    bool password_given;
    char ca_file[PATH_MAX];
    //  --client-cert / --client-key: a factory-installed Charge Point
    //  certificate (PEM chain) and its private key for security profile 3,
    //  used until CertificateSigned installs one (actors/security/cp_cert_store.h)
    char client_cert[PATH_MAX];
    char client_key[PATH_MAX];
    char state_dir[PATH_MAX];
    char control[PATH_MAX + 16];   //  cpctl endpoint
    char bus_prefix[256];          //  e.g. inproc://cp or ipc:///state/bus
    int connectors;                //  1..8
    char http[64];                 //  "[ADDR:]PORT" or "off"
    char hw[16];                   //  "sim"
    bool split;
    char run_id[40];               //  unique per controller start (set by main)
    //  split mode: the controller's own command line, to start actor
    //  processes; and, in an actor process, which actor and its pipe
    int argc;
    char **argv;
    char actor[32];                //  hidden --actor NAME
    char pipe[PATH_MAX + 32];      //  hidden --pipe ENDPOINT
    char clock_steer[80];          //  hidden --clock-steer FROM:TO:START (ms)
    int log_level;                 //  cp_log_level_t
    //  identity reported in BootNotification
    char vendor[21];
    char model[21];
    char serial[26];
    char firmware[51];
    //  supervision
    int restart_intensity;         //  N restarts of one actor ...
    int restart_global_intensity;  //  ... or of all together (default: derived) ...
    bool restart_global_given;
    int restart_period_s;          //  ... in T seconds, then escalate (or degrade)
    int liveness_ms;               //  an actor silent this long is hung
    //  OCPP configuration keys from the config file (seed the store once)
    cp_seed_key_t seed[CP_OPT_MAX_SEED_KEYS];
    int seed_count;
    //  --firmware-installer: installs a downloaded image (given its path;
    //  exit 0 = installed); "" = the simulated board's image check
    char firmware_installer[PATH_MAX];
} cp_options_t;

//  Result: 0 run; 1 done (help/version printed); 2 usage/config error
//  (message in err, one line).
int cp_options_parse(cp_options_t *self, int argc, char **argv, char *err, size_t err_size);
void cp_options_defaults(cp_options_t *self);
const char *cp_options_usage(void);
#endif
