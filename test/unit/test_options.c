/* test_options.c — start-up options: command line, config file, defaults.
 *
 * cp_options_parse returns 0 (run), 1 (help/version printed) or 2 (usage
 * or config error, one line in err). Checked here: every default, every
 * flag in both "--flag value" and "--flag=value" form, every refusal with
 * its message, the config file (controller keys, OCPP seed keys, comments,
 * sections, errors with file:line), precedence (command line over file over
 * defaults) and the CHARGEPOINTD_PASSWORD environment variable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "supervisor/log.h"
#include "supervisor/options.h"

#define ARGC(a) ((int) (sizeof(a) / sizeof((a)[0])))

typedef struct {
    cp_options_t opts;
    char err[600];
    char path[64];              //  config file, if any
} fixture_t;

static int
s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(fixture_t));
    assert_non_null(f);
    unsetenv("CHARGEPOINTD_PASSWORD");
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    if (f->path[0])
        unlink(f->path);
    unsetenv("CHARGEPOINTD_PASSWORD");
    free(f);
    return 0;
}

//  argv is a NULL-terminated list without the program name.
static int
s_parse_v(fixture_t *f, const char *const *args)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *) "chargepointd";
    for (; *args; args++) {
        assert_true(argc < 63);
        argv[argc++] = (char *) *args;
    }
    argv[argc] = NULL;
    memset(f->err, 0, sizeof(f->err));
    int rc = cp_options_parse(&f->opts, argc, argv, f->err, sizeof(f->err));
    assert_true(rc >= 0 && rc <= 2);
    if (rc == 2) {
        //  one line, always with a message
        assert_true(f->err[0] != '\0');
        assert_null(strchr(f->err, '\n'));
    }
    return rc;
}

#define PARSE(f, ...) s_parse_v((f), (const char *const[]) { __VA_ARGS__, NULL })

static void
s_expect_usage_error(fixture_t *f, const char *const *args, const char *needle)
{
    int rc = s_parse_v(f, args);
    if (rc != 2)
        fail_msg("expected a usage error (2), got %d for %s ...", rc, args[0] ? args[0] : "(none)");
    if (needle && !strstr(f->err, needle))
        fail_msg("error '%s' does not mention '%s'", f->err, needle);
}

#define EXPECT_ERROR(f, needle, ...) \
    s_expect_usage_error((f), (const char *const[]) { __VA_ARGS__, NULL }, (needle))

static void
s_write_config(fixture_t *f, const char *text)
{
    if (!f->path[0]) {
        snprintf(f->path, sizeof(f->path), "/tmp/cp-test-options-XXXXXX");
        int fd = mkstemp(f->path);
        assert_true(fd >= 0);
        close(fd);
    }
    FILE *file = fopen(f->path, "w");
    assert_non_null(file);
    assert_true(fputs(text, file) >= 0);
    assert_int_equal(fclose(file), 0);
}

//  Run parse with stdout captured; returns rc, output in out.
static int
s_parse_captured(fixture_t *f, const char *const *args, char *out, size_t out_size)
{
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
    int rc = s_parse_v(f, args);
    fflush(stdout);
    assert_true(dup2(saved, STDOUT_FILENO) >= 0);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, out_size - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    return rc;
}

//  --------------------------------------------------------------------------

static void
s_assert_defaults(const cp_options_t *o)
{
    assert_string_equal(o->config_file, "");
    assert_string_equal(o->csms_url, "");
    assert_string_equal(o->id, "");
    assert_string_equal(o->password, "");
    assert_false(o->password_given);
    assert_string_equal(o->ca_file, "");
    assert_string_equal(o->state_dir, "/var/lib/chargepointd");
    assert_int_equal(o->connectors, 1);
    assert_string_equal(o->http, "8080");
    assert_string_equal(o->hw, "sim");
    assert_false(o->split);
    assert_int_equal(o->log_level, CP_LOG_INFO);
    assert_string_equal(o->vendor, "chargepointd");
    assert_string_equal(o->model, "CPD-AC22-SIM");
    assert_string_equal(o->serial, "CPD0000001");
    assert_string_equal(o->firmware, CP_VERSION);
    assert_int_equal(o->restart_intensity, 10);
    assert_int_equal(o->restart_global_intensity, 100);     //  derived: 10 × the per-actor limit
    assert_int_equal(o->restart_period_s, 60);
    assert_int_equal(o->liveness_ms, 3000);
    assert_int_equal(o->seed_count, 0);
}

static void
test_defaults(void **state)
{
    fixture_t *f = *state;
    memset(&f->opts, 0x5a, sizeof(f->opts));
    cp_options_defaults(&f->opts);
    s_assert_defaults(&f->opts);
    assert_string_equal(f->opts.control, "");       //  derived only by parse

    memset(&f->opts, 0x5a, sizeof(f->opts));
    char *argv[] = { (char *) "chargepointd", NULL };
    assert_int_equal(cp_options_parse(&f->opts, 1, argv, f->err, sizeof(f->err)), 0);
    s_assert_defaults(&f->opts);
    assert_string_equal(f->opts.control, "ipc:///var/lib/chargepointd/control");
    assert_string_equal(f->opts.bus_prefix, "inproc://cp-bus");
    //  a previous parse leaves nothing behind
    assert_int_equal(PARSE(f, "--connectors", "4", "--split"), 0);
    assert_int_equal(PARSE(f, "--id", "x"), 0);
    assert_int_equal(f->opts.connectors, 1);
    assert_false(f->opts.split);
}

static void
s_assert_every_flag(const cp_options_t *o)
{
    assert_string_equal(o->csms_url, "wss://csms.example.com:8443/ocpp/v16");
    assert_string_equal(o->id, "CP-0042");
    assert_string_equal(o->password, "s3cret pass");
    assert_true(o->password_given);
    assert_string_equal(o->ca_file, "/etc/cp/ca.pem");
    assert_string_equal(o->state_dir, "/tmp/cp-state");
    assert_string_equal(o->control, "tcp://127.0.0.1:5555");
    assert_string_equal(o->bus_prefix, "ipc:///tmp/cp-state/bus");
    assert_int_equal(o->connectors, 8);
    assert_string_equal(o->http, "127.0.0.1:8081");
    assert_string_equal(o->hw, "sim");
    assert_true(o->split);
    assert_int_equal(o->log_level, CP_LOG_DEBUG);
    assert_string_equal(o->vendor, "Acme");
    assert_string_equal(o->model, "Wallbox 22");
    assert_string_equal(o->serial, "SN-1");
    assert_string_equal(o->firmware, "9.9.9");
    assert_int_equal(o->restart_intensity, 3);
    assert_int_equal(o->restart_global_intensity, 9);
    assert_int_equal(o->restart_period_s, 10);
    assert_int_equal(o->liveness_ms, 2500);
}

static void
test_every_flag(void **state)
{
    fixture_t *f = *state;
    int rc = PARSE(f,
        "--csms", "wss://csms.example.com:8443/ocpp/v16", "--id", "CP-0042",
        "--password", "s3cret pass", "--ca-file", "/etc/cp/ca.pem",
        "--state-dir", "/tmp/cp-state", "--control", "tcp://127.0.0.1:5555",
        "--bus", "ipc:///tmp/cp-state/bus", "--connectors", "8", "--http", "127.0.0.1:8081",
        "--hw", "sim", "--split", "--log-level", "debug", "--vendor", "Acme",
        "--model", "Wallbox 22", "--serial", "SN-1", "--firmware", "9.9.9",
        "--restart-intensity", "3", "--restart-global-intensity", "9", "--restart-period", "10",
        "--liveness-ms", "2500");
    if (rc != 0)
        fail_msg("rc %d: %s", rc, f->err);
    s_assert_every_flag(&f->opts);
}

//  --client-cert and --client-key (security profile 3) go together.
static void
test_client_cert(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(PARSE(f, "--client-cert", "/etc/cp/cp.pem", "--client-key", "/etc/cp/cp.key"), 0);
    assert_string_equal(f->opts.client_cert, "/etc/cp/cp.pem");
    assert_string_equal(f->opts.client_key, "/etc/cp/cp.key");
    assert_int_equal(PARSE(f, "--client-cert", "/etc/cp/cp.pem"), 2);
    assert_non_null(strstr(f->err, "go together"));
    assert_int_equal(PARSE(f, "--client-key=/etc/cp/cp.key"), 2);
    assert_int_equal(PARSE(f, "--help"), 1);
    assert_non_null(strstr(cp_options_usage(), "--client-cert FILE --client-key FILE"));
}

static void
test_every_flag_equals_form(void **state)
{
    fixture_t *f = *state;
    int rc = PARSE(f,
        "--csms=wss://csms.example.com:8443/ocpp/v16", "--id=CP-0042",
        "--password=s3cret pass", "--ca-file=/etc/cp/ca.pem",
        "--state-dir=/tmp/cp-state", "--control=tcp://127.0.0.1:5555",
        "--bus=ipc:///tmp/cp-state/bus", "--connectors=8", "--http=127.0.0.1:8081",
        "--hw=sim", "--split", "--log-level=debug", "--vendor=Acme",
        "--model=Wallbox 22", "--serial=SN-1", "--firmware=9.9.9",
        "--restart-intensity=3", "--restart-global-intensity=9", "--restart-period=10",
        "--liveness-ms=2500");
    if (rc != 0)
        fail_msg("rc %d: %s", rc, f->err);
    s_assert_every_flag(&f->opts);

    //  '=' splits at the first one only; empty values are values
    assert_int_equal(PARSE(f, "--password=a=b=c", "--http="), 0);
    assert_string_equal(f->opts.password, "a=b=c");
    assert_true(f->opts.password_given);
    assert_string_equal(f->opts.http, "");
    //  a value may start with dashes in the separate form
    assert_int_equal(PARSE(f, "--password", "--not-a-flag"), 0);
    assert_string_equal(f->opts.password, "--not-a-flag");
    //  the last one wins
    assert_int_equal(PARSE(f, "--connectors", "2", "--connectors=5"), 0);
    assert_int_equal(f->opts.connectors, 5);
}

static void
test_log_levels(void **state)
{
    fixture_t *f = *state;
    const struct { const char *name; int level; } levels[] = {
        { "error", CP_LOG_ERROR }, { "warn", CP_LOG_WARN }, { "info", CP_LOG_INFO },
        { "debug", CP_LOG_DEBUG } };
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        assert_int_equal(PARSE(f, "--log-level", levels[i].name), 0);
        assert_int_equal(f->opts.log_level, levels[i].level);
    }
    EXPECT_ERROR(f, "bogus", "--log-level", "bogus");
    EXPECT_ERROR(f, "--log-level", "--log-level", "DEBUG");
    EXPECT_ERROR(f, "--log-level", "--log-level=");
}

static void
test_help_version(void **state)
{
    fixture_t *f = *state;
    char out[2048];
    assert_int_equal(s_parse_captured(f, (const char *const[]) { "--help", NULL }, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "usage: chargepointd"));
    assert_string_equal(out, cp_options_usage());
    assert_int_equal(s_parse_captured(f, (const char *const[]) { "-h", NULL }, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "usage: chargepointd"));
    //  help wins over options after it, even broken ones
    assert_int_equal(s_parse_captured(f, (const char *const[]) { "--id", "x", "--help", "--bogus", NULL },
                                      out, sizeof(out)), 1);
    assert_int_equal(s_parse_captured(f, (const char *const[]) { "--version", NULL }, out, sizeof(out)), 1);
    assert_string_equal(out, "chargepointd " CP_VERSION "\n");
    //  the usage names every documented flag
    const char *usage = cp_options_usage();
    const char *flags[] = { "--config", "--csms", "--id", "--password", "--ca-file", "--state-dir",
                            "--control", "--connectors", "--http", "--hw", "--split", "--log-level",
                            "--version", "--help" };
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        assert_non_null(strstr(usage, flags[i]));
}

static void
test_unknown_and_missing(void **state)
{
    fixture_t *f = *state;
    EXPECT_ERROR(f, "bogus", "--bogus", "1");
    EXPECT_ERROR(f, "bogus", "--bogus=1");
    EXPECT_ERROR(f, "frobnicate", "--id", "x", "--frobnicate", "y");
    EXPECT_ERROR(f, "stray", "stray");
    EXPECT_ERROR(f, "-x", "-x");
    //  a flag at the end without its value
    EXPECT_ERROR(f, "--id", "--id");
    EXPECT_ERROR(f, "--connectors", "--connectors");
    EXPECT_ERROR(f, "--csms", "--id", "x", "--csms");
    EXPECT_ERROR(f, "--config", "--config");
    EXPECT_ERROR(f, "--hw", "--hw", "gpio");
}

static void
test_csms_urls(void **state)
{
    fixture_t *f = *state;
    //  --csms needs --id
    EXPECT_ERROR(f, "--id", "--csms", "ws://host:9000/ocpp");
    //  malformed: the message quotes the URL
    const char *bad[] = { "http://x", "https://x/y", "ws://", "wss://", "ws:///path", "ws://:9000/x",
                          "ws://a b", "ws://host/a\tb", "ws:/host", "host:9000", "ws//host",
                          "ws://host/\x01" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = PARSE(f, "--csms", bad[i], "--id", "CP1");
        if (rc != 2)
            fail_msg("URL '%s' accepted", bad[i]);
        if (!strstr(f->err, bad[i]))
            fail_msg("error '%s' does not mention '%s'", f->err, bad[i]);
    }
    const char *good[] = { "ws://host", "ws://host:9000", "ws://host/ocpp", "ws://10.0.0.1:8180/steve/websocket/CentralSystemService",
                           "wss://csms.example.com:443/ocpp/CP1", "wss://csms.example.com", "ws://[::1]:9000/x" };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int rc = PARSE(f, "--csms", good[i], "--id", "CP1");
        if (rc != 0)
            fail_msg("URL '%s' refused: %s", good[i], f->err);
        assert_string_equal(f->opts.csms_url, good[i]);
        assert_string_equal(f->opts.id, "CP1");
    }
    //  an empty --csms means stand-alone: no id needed
    assert_int_equal(PARSE(f, "--csms", ""), 0);
    assert_string_equal(f->opts.csms_url, "");
}

static void
test_numbers(void **state)
{
    fixture_t *f = *state;
    const char *bad_connectors[] = { "0", "9", "abc", "-1", "", "1x", "2.0", "99999999999999999999" };
    for (size_t i = 0; i < sizeof(bad_connectors) / sizeof(bad_connectors[0]); i++) {
        int rc = PARSE(f, "--connectors", bad_connectors[i]);
        if (rc != 2)
            fail_msg("--connectors '%s' accepted", bad_connectors[i]);
        assert_non_null(strstr(f->err, "connectors"));
    }
    for (int n = 1; n <= 8; n++) {
        char v[8];
        snprintf(v, sizeof(v), "%d", n);
        assert_int_equal(PARSE(f, "--connectors", v), 0);
        assert_int_equal(f->opts.connectors, n);
    }
    EXPECT_ERROR(f, "restart-intensity", "--restart-intensity", "0");
    EXPECT_ERROR(f, "restart-intensity", "--restart-intensity", "1001");
    EXPECT_ERROR(f, "restart-global-intensity", "--restart-global-intensity", "0");
    EXPECT_ERROR(f, "restart-global-intensity", "--restart-global-intensity", "10001");
    EXPECT_ERROR(f, "restart-period", "--restart-period", "86401");
    EXPECT_ERROR(f, "restart-period", "--restart-period", "x");
    //  Below 2500 ms a healthy actor blocked by a store call would read as hung.
    EXPECT_ERROR(f, "liveness-ms", "--liveness-ms", "99");
    EXPECT_ERROR(f, "liveness-ms", "--liveness-ms", "2499");
    EXPECT_ERROR(f, "liveness-ms", "--liveness-ms", "600001");
    //  The backstop below one actor's own limit would make that limit moot.
    EXPECT_ERROR(f, "must not be below restart-intensity", "--restart-intensity", "10",
                 "--restart-global-intensity", "9");
    EXPECT_ERROR(f, "must not be below restart-intensity", "--restart-global-intensity", "4");
    assert_int_equal(PARSE(f, "--restart-intensity", "1000", "--restart-period", "86400",
                           "--liveness-ms", "2500"), 0);
    assert_int_equal(f->opts.restart_intensity, 1000);
    assert_int_equal(f->opts.restart_global_intensity, 10000);  //  10 × 1000, the policy's maximum
    assert_int_equal(f->opts.restart_period_s, 86400);
    assert_int_equal(f->opts.liveness_ms, 2500);
    assert_int_equal(PARSE(f, "--restart-intensity", "1000", "--restart-global-intensity", "1000"), 0);
    assert_int_equal(f->opts.restart_global_intensity, 1000);
    assert_int_equal(PARSE(f, "--restart-intensity", "7"), 0);
    assert_int_equal(f->opts.restart_global_intensity, 70);
    assert_int_equal(PARSE(f, "--restart-global-intensity", "10000", "--liveness-ms", "600000"), 0);
    assert_int_equal(f->opts.restart_global_intensity, 10000);
    assert_int_equal(f->opts.liveness_ms, 600000);
}

static void
test_id_and_lengths(void **state)
{
    fixture_t *f = *state;
    char id48[49], id49[50], id64[65];
    memset(id48, 'i', 48);
    id48[48] = '\0';
    memset(id49, 'i', 49);
    id49[49] = '\0';
    memset(id64, 'i', 64);
    id64[64] = '\0';
    assert_int_equal(PARSE(f, "--id", id48), 0);
    assert_string_equal(f->opts.id, id48);
    EXPECT_ERROR(f, "48", "--id", id49);
    EXPECT_ERROR(f, "too long", "--id", id64);
    EXPECT_ERROR(f, "printable", "--id", "CP\x01");
    //  values longer than their field are refused, never truncated
    char vendor21[22];
    memset(vendor21, 'v', 21);
    vendor21[21] = '\0';
    EXPECT_ERROR(f, "vendor", "--vendor", vendor21);
    vendor21[20] = '\0';
    assert_int_equal(PARSE(f, "--vendor", vendor21), 0);
    assert_string_equal(f->opts.vendor, vendor21);
    char *long_dir = malloc(PATH_MAX + 10);
    assert_non_null(long_dir);
    memset(long_dir, 'd', PATH_MAX + 9);
    long_dir[PATH_MAX + 9] = '\0';
    EXPECT_ERROR(f, "state-dir", "--state-dir", long_dir);
    //  the longest state dir that fits still gets a control endpoint
    long_dir[0] = '/';
    long_dir[PATH_MAX - 1] = '\0';
    assert_int_equal(PARSE(f, "--state-dir", long_dir), 0);
    assert_int_equal(strlen(f->opts.control), strlen("ipc://") + PATH_MAX - 1 + strlen("/control"));
    assert_int_equal(strncmp(f->opts.control + 6, long_dir, PATH_MAX - 1), 0);
    assert_int_equal(PARSE(f, "--state-dir", long_dir, "--control", "ipc:///run/cp"), 0);
    assert_string_equal(f->opts.control, "ipc:///run/cp");
    free(long_dir);
}

static void
test_control_default(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(PARSE(f, "--state-dir", "/srv/cp"), 0);
    assert_string_equal(f->opts.control, "ipc:///srv/cp/control");
    assert_int_equal(PARSE(f, "--state-dir", "/srv/cp", "--control", "tcp://0.0.0.0:7000"), 0);
    assert_string_equal(f->opts.control, "tcp://0.0.0.0:7000");
    //  from the config file too
    s_write_config(f, "state-dir = /data/cp\n");
    assert_int_equal(PARSE(f, "--config", f->path), 0);
    assert_string_equal(f->opts.control, "ipc:///data/cp/control");
    assert_string_equal(f->opts.config_file, f->path);
}

//  --------------------------------------------------------------------------
//  Config file

static void
test_config_file(void **state)
{
    fixture_t *f = *state;
    s_write_config(f,
        "# chargepointd.conf\n"
        "; also a comment\n"
        "\n"
        "   \t\n"
        "[controller]\n"
        "csms = ws://csms.local:9000/ocpp\n"
        "id=CP-FILE\n"
        "  connectors   =   2   \n"
        "log-level = warn\n"
        "vendor = FileVendor\n"
        "model = FileModel\n"
        "serial = FILE-SN\n"
        "firmware = 1.2.3\n"
        "ca-file = /etc/file-ca.pem\n"
        "restart-intensity = 7\n"
        "restart-period = 30\n"
        "restart-global-intensity = 30\n"
        "liveness-ms = 2600\n"
        "http = off\n"
        "\n"
        "[ocpp]\n"
        "HeartbeatInterval = 120\n"
        "MeterValueSampleInterval=60\n"
        "  AuthorizeRemoteTxRequests = true  \n"
        "LocalPreAuthorize =\n"
        "MeterValuesSampledData = Energy.Active.Import.Register,Power.Active.Import\n");
    int rc = PARSE(f, "--config", f->path);
    if (rc != 0)
        fail_msg("rc %d: %s", rc, f->err);
    cp_options_t *o = &f->opts;
    assert_string_equal(o->csms_url, "ws://csms.local:9000/ocpp");
    assert_string_equal(o->id, "CP-FILE");
    assert_int_equal(o->connectors, 2);
    assert_int_equal(o->log_level, CP_LOG_WARN);
    assert_string_equal(o->vendor, "FileVendor");
    assert_string_equal(o->model, "FileModel");
    assert_string_equal(o->serial, "FILE-SN");
    assert_string_equal(o->firmware, "1.2.3");
    assert_string_equal(o->ca_file, "/etc/file-ca.pem");
    assert_int_equal(o->restart_intensity, 7);
    assert_int_equal(o->restart_global_intensity, 30);
    assert_int_equal(o->restart_period_s, 30);
    assert_int_equal(o->liveness_ms, 2600);
    assert_string_equal(o->http, "off");
    //  OCPP keys land in seed[], in order, trimmed
    assert_int_equal(o->seed_count, 5);
    assert_string_equal(o->seed[0].key, "HeartbeatInterval");
    assert_string_equal(o->seed[0].value, "120");
    assert_string_equal(o->seed[1].key, "MeterValueSampleInterval");
    assert_string_equal(o->seed[1].value, "60");
    assert_string_equal(o->seed[2].key, "AuthorizeRemoteTxRequests");
    assert_string_equal(o->seed[2].value, "true");
    assert_string_equal(o->seed[3].key, "LocalPreAuthorize");
    assert_string_equal(o->seed[3].value, "");
    assert_string_equal(o->seed[4].key, "MeterValuesSampledData");
    assert_string_equal(o->seed[4].value, "Energy.Active.Import.Register,Power.Active.Import");
    //  the same file through --config=PATH
    char arg[128];
    snprintf(arg, sizeof(arg), "--config=%s", f->path);
    assert_int_equal(PARSE(f, arg), 0);
    assert_int_equal(f->opts.connectors, 2);
    assert_int_equal(f->opts.seed_count, 5);
}

static void
test_config_precedence(void **state)
{
    fixture_t *f = *state;
    s_write_config(f,
        "connectors = 2\n"
        "id = FILE\n"
        "vendor = FileVendor\n"
        "log-level = error\n");
    //  the command line wins wherever it appears relative to --config
    assert_int_equal(PARSE(f, "--connectors", "3", "--config", f->path, "--id", "CLI"), 0);
    assert_int_equal(f->opts.connectors, 3);
    assert_string_equal(f->opts.id, "CLI");
    assert_string_equal(f->opts.vendor, "FileVendor");      //  file over default
    assert_int_equal(f->opts.log_level, CP_LOG_ERROR);
    assert_string_equal(f->opts.model, "CPD-AC22-SIM");     //  default
    //  a bad value on the command line is reported even if the file is fine
    EXPECT_ERROR(f, "connectors", "--config", f->path, "--connectors", "0");
}

static void
s_expect_file_error(fixture_t *f, const char *text, int line, const char *needle)
{
    s_write_config(f, text);
    int rc = PARSE(f, "--config", f->path);
    if (rc != 2)
        fail_msg("config accepted:\n%s", text);
    char where[128];
    snprintf(where, sizeof(where), "%s:%d", f->path, line);
    if (!strstr(f->err, where))
        fail_msg("error '%s' does not say '%s'", f->err, where);
    if (needle && !strstr(f->err, needle))
        fail_msg("error '%s' does not mention '%s'", f->err, needle);
}

static void
test_config_errors(void **state)
{
    fixture_t *f = *state;
    s_expect_file_error(f, "# ok\nid = x\nthis line has no equals sign\n", 3, "key = value");
    s_expect_file_error(f, "\n\n\n\njust-a-key\n", 5, NULL);
    s_expect_file_error(f, "id = x\nbogus-key = 1\n", 2, "bogus-key");
    s_expect_file_error(f, "connectors = 12\n", 1, "connectors");
    s_expect_file_error(f, "log-level = loud\n", 1, "loud");
    s_expect_file_error(f, "config = /etc/other.conf\n", 1, "config");
    s_expect_file_error(f, "[a]\nHeartbeatInterval = 1\n; c\nhw = gpio\n", 4, "gpio");
    //  too many OCPP keys
    char *many = malloc(64 * 1024);
    assert_non_null(many);
    many[0] = '\0';
    for (int i = 0; i < CP_OPT_MAX_SEED_KEYS + 1; i++) {
        char line[64];
        snprintf(line, sizeof(line), "Key%d = %d\n", i, i);
        strcat(many, line);
    }
    s_expect_file_error(f, many, CP_OPT_MAX_SEED_KEYS + 1, "OCPP");
    //  exactly the maximum is fine
    many[0] = '\0';
    for (int i = 0; i < CP_OPT_MAX_SEED_KEYS; i++) {
        char line[64];
        snprintf(line, sizeof(line), "Key%d = %d\n", i, i);
        strcat(many, line);
    }
    s_write_config(f, many);
    assert_int_equal(PARSE(f, "--config", f->path), 0);
    assert_int_equal(f->opts.seed_count, CP_OPT_MAX_SEED_KEYS);
    assert_string_equal(f->opts.seed[CP_OPT_MAX_SEED_KEYS - 1].key, "Key63");
    //  an OCPP key longer than 50 characters
    char longkey[128];
    memset(longkey, 'K', 51);
    snprintf(longkey + 51, sizeof(longkey) - 51, " = 1\n");
    s_expect_file_error(f, longkey, 1, NULL);
    free(many);
    //  a missing file
    EXPECT_ERROR(f, "/nonexistent/chargepointd.conf", "--config", "/nonexistent/chargepointd.conf");
}

//  --------------------------------------------------------------------------
//  Password from the environment

static void
test_password_env(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(PARSE(f, "--id", "x"), 0);
    assert_false(f->opts.password_given);
    assert_string_equal(f->opts.password, "");

    assert_int_equal(setenv("CHARGEPOINTD_PASSWORD", "from-env", 1), 0);
    assert_int_equal(PARSE(f, "--id", "x"), 0);
    assert_true(f->opts.password_given);
    assert_string_equal(f->opts.password, "from-env");

    //  --password wins over the environment, also when empty
    assert_int_equal(PARSE(f, "--password", "from-cli"), 0);
    assert_string_equal(f->opts.password, "from-cli");
    assert_true(f->opts.password_given);
    assert_int_equal(PARSE(f, "--password="), 0);
    assert_string_equal(f->opts.password, "");
    assert_true(f->opts.password_given);

    //  an over-long secret is refused, not truncated
    char big[200];
    memset(big, 'p', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(setenv("CHARGEPOINTD_PASSWORD", big, 1), 0);
    EXPECT_ERROR(f, "CHARGEPOINTD_PASSWORD", "--id", "x");
    //  and never echoed into the error
    assert_null(strstr(f->err, "pppppppp"));

    assert_int_equal(unsetenv("CHARGEPOINTD_PASSWORD"), 0);
    assert_int_equal(PARSE(f, "--id", "x"), 0);
    assert_false(f->opts.password_given);
    assert_string_equal(f->opts.password, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_every_flag, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_every_flag_equals_form, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_client_cert, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_log_levels, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_help_version, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_missing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_csms_urls, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_numbers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_id_and_lengths, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_control_default, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_config_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_config_precedence, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_config_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_password_env, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
