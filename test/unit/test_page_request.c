/* test_page_request.c — what the status page may ask (gateway/page_request.h)
 * and the httpd's pure helpers (listen address, Host and Origin rules).
 * The page's WebSocket is untrusted input: every refusal must come with a
 * reason and change nothing; a password must never appear in a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "gateway/httpd.h"
#include "gateway/page_request.h"

static page_request_t s_req;
static char s_reason[PAGE_REQUEST_REASON_MAX];

static int
s_parse(const char *text, bool sim)
{
    return page_request_parse(text, strlen(text), sim, &s_req, s_reason, sizeof(s_reason));
}

static void
s_expect_step(int index, const char *a0, const char *a1, const char *a2, const char *a3)
{
    const page_step_t *step = &s_req.step[index];
    const char *want[] = { a0, a1, a2, a3 };
    int argc = 0;
    for (int i = 0; i < 4 && want[i]; i++, argc++)
        assert_string_equal(step->argv[i], want[i]);
    assert_int_equal(step->argc, argc);
}

static void
test_hardware_commands(void **state)
{
    (void) state;
    assert_int_equal(s_parse("{\"id\":3,\"command\":\"plug\",\"connector\":1}", true), 0);
    assert_int_equal(s_req.id, 3);
    assert_int_equal(s_req.steps, 1);
    s_expect_step(0, "plug", "1", NULL, NULL);
    assert_false(s_req.secret);
    assert_int_equal(s_parse("{\"command\":\"unplug\",\"connector\":2}", true), 0);
    s_expect_step(0, "unplug", "2", NULL, NULL);
    assert_int_equal(s_parse("{\"command\":\"ev\",\"connector\":1,\"action\":\"pause\"}", true), 0);
    s_expect_step(0, "ev", "1", "pause", NULL);
    assert_int_equal(s_parse("{\"command\":\"swipe\",\"idTag\":\"CARD-0001\"}", true), 0);
    s_expect_step(0, "swipe", "CARD-0001", NULL, NULL);
    assert_int_equal(s_parse("{\"command\":\"fault\",\"connector\":1,\"kind\":\"rcd\"}", true), 0);
    s_expect_step(0, "fault", "1", "rcd", NULL);
    assert_int_equal(s_parse("{\"command\":\"fault\",\"connector\":1,\"kind\":\"clear\"}", true), 0);
    assert_non_null(strstr(s_req.done, "cleared"));
    //  Keypad keys are (part of) a PIN: a secret, and the reply does not repeat them.
    assert_int_equal(s_parse("{\"command\":\"key\",\"keys\":\"47C1#\"}", true), 0);
    s_expect_step(0, "key", "47C1#", NULL, NULL);
    assert_true(s_req.secret);
    assert_null(strstr(s_req.done, "47"));
    assert_non_null(strstr(s_req.done, "5 key(s)"));
}

static void
test_bad_requests_are_refused_with_a_reason(void **state)
{
    (void) state;
    static const struct { const char *text; const char *reason; } cases[] = {
        { "", "empty" },
        { "nope", "not JSON" },
        { "[1]", "JSON object" },
        { "{\"id\":\"x\",\"command\":\"plug\",\"connector\":1}", "'id'" },
        { "{\"command\":\"plug\",\"connector\":1,\"command\":\"unplug\"}", "not JSON" },
        { "{\"connector\":1}", "'command' is missing" },
        { "{\"command\":\"reboot\"}", "unknown command" },
        { "{\"command\":\"plug\",\"connector\":0}", "connector" },
        { "{\"command\":\"plug\",\"connector\":9}", "connector" },
        { "{\"command\":\"plug\",\"connector\":\"1\"}", "connector" },
        { "{\"command\":\"plug\",\"connector\":1,\"extra\":true}", "unexpected field 'extra'" },
        { "{\"command\":\"ev\",\"connector\":1,\"action\":\"fly\"}", "charge or pause" },
        { "{\"command\":\"fault\",\"connector\":1,\"kind\":\"fire\"}", "'kind'" },
        { "{\"command\":\"swipe\",\"idTag\":\"\"}", "1..20" },
        { "{\"command\":\"swipe\",\"idTag\":\"123456789012345678901\"}", "1..20" },
        { "{\"command\":\"swipe\",\"idTag\":\"A B\"}", "printable" },
        { "{\"command\":\"key\",\"keys\":\"\"}", "keypad keys" },
        { "{\"command\":\"key\",\"keys\":\"12a\"}", "keypad keys" },
        { "{\"command\":\"key\",\"keys\":\"12345678901234567\"}", "keypad keys" },
        { "{\"command\":\"key\",\"keys\":1}", "keypad keys" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (s_parse(cases[i].text, true) != -1)
            fail_msg("accepted: %s", cases[i].text);
        if (!strstr(s_reason, cases[i].reason))
            fail_msg("%s: reason '%s' lacks '%s'", cases[i].text, s_reason, cases[i].reason);
        assert_int_equal(s_req.steps, 0);
    }
    //  The refusal still names the request it answers.
    assert_int_equal(s_parse("{\"id\":42,\"command\":\"plug\",\"connector\":0}", true), -1);
    assert_int_equal(s_req.id, 42);
    //  Larger than the limit: refused before parsing.
    char big[PAGE_REQUEST_MAX_BYTES + 10];
    memset(big, ' ', sizeof(big));
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(s_parse(big, true), -1);
    assert_non_null(strstr(s_reason, "larger than"));
}

static void
test_hardware_needs_simulation(void **state)
{
    (void) state;
    const char *commands[] = {
        "{\"command\":\"plug\",\"connector\":1}", "{\"command\":\"swipe\",\"idTag\":\"A\"}",
        "{\"command\":\"fault\",\"connector\":1,\"kind\":\"rcd\"}", "{\"command\":\"key\",\"keys\":\"1\"}",
    };
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        assert_int_equal(s_parse(commands[i], false), -1);
        assert_non_null(strstr(s_reason, "--hw sim"));
    }
}

static void
test_settings_become_config_sets(void **state)
{
    (void) state;
    assert_int_equal(s_parse("{\"id\":9,\"command\":\"settings\",\"enabled\":true,"
                             "\"url\":\"ws://127.0.0.1:9000/ocpp\",\"identity\":\"CP-NEW\","
                             "\"password\":\"0123456789abcdef\",\"accept\":true}", false), 0);
    assert_true(s_req.secret);
    assert_int_equal(s_req.steps, 4);
    s_expect_step(0, "config", "set", "CentralSystemUrl", "ws://127.0.0.1:9000/ocpp");
    s_expect_step(1, "config", "set", "ChargePointIdentity", "CP-NEW");
    s_expect_step(2, "config", "set", "AuthorizationKey", "0123456789abcdef");
    s_expect_step(3, "config", "set", "OcppEnabled", "true");
    page_request_clear(&s_req);
    assert_int_equal(s_req.steps, 0);
    assert_string_equal(s_req.step[2].argv[3], "");

    //  An empty password keeps the stored one.
    assert_int_equal(s_parse("{\"command\":\"settings\",\"enabled\":true,\"url\":\"wss://c.example\","
                             "\"identity\":\"CP1\",\"password\":\"\",\"accept\":true}", false), 0);
    assert_int_equal(s_req.steps, 3);
    s_expect_step(2, "config", "set", "OcppEnabled", "true");

    //  Switched off: URL and identity may be left empty (unchanged).
    assert_int_equal(s_parse("{\"command\":\"settings\",\"enabled\":false,\"url\":\"\",\"identity\":\"\","
                             "\"accept\":true}", true), 0);
    assert_int_equal(s_req.steps, 1);
    s_expect_step(0, "config", "set", "OcppEnabled", "false");
}

static void
test_bad_settings_change_nothing(void **state)
{
    (void) state;
    char sixty[61];
    memset(sixty, 'S', 60);
    sixty[60] = '\0';
    char text[512];
    static const struct { const char *fields; const char *reason; } cases[] = {
        { "\"enabled\":true,\"url\":\"http://x/ocpp\",\"identity\":\"CP1\",\"accept\":true", "malformed" },
        { "\"enabled\":true,\"url\":\"ws://x:70000/ocpp\",\"identity\":\"CP1\",\"accept\":true", "malformed" },
        { "\"enabled\":true,\"url\":\"\",\"identity\":\"CP1\",\"accept\":true", "URL is required" },
        { "\"enabled\":true,\"url\":\"ws://x/o\",\"identity\":\"\",\"accept\":true", "identity is required" },
        { "\"enabled\":true,\"url\":\"ws://x/o\",\"identity\":\"C P\",\"accept\":true", "identity may hold" },
        { "\"enabled\":false,\"url\":\"ws://bad url\",\"identity\":\"\",\"accept\":true", "malformed" },
        { "\"enabled\":true,\"url\":\"ws://x/o\",\"identity\":\"CP1\",\"password\":\"short\",\"accept\":true",
          "16..40" },
        { "\"enabled\":true,\"url\":\"ws://x/o\",\"identity\":\"CP1\",\"accept\":false", "terms and conditions" },
        { "\"enabled\":true,\"url\":\"ws://x/o\",\"identity\":\"CP1\"", "terms and conditions" },
        { "\"enabled\":\"yes\",\"url\":\"ws://x/o\",\"identity\":\"CP1\",\"accept\":true", "'enabled'" },
        { "\"enabled\":true,\"url\":5,\"identity\":\"CP1\",\"accept\":true", "'url' must be text" },
        { "\"enabled\":true,\"url\":\"ws://x/o\",\"identity\":\"CP1\",\"accept\":true,\"admin\":1", "unexpected" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), "{\"command\":\"settings\",%s}", cases[i].fields);
        if (s_parse(text, true) != -1)
            fail_msg("accepted: %s", text);
        if (!strstr(s_reason, cases[i].reason))
            fail_msg("%s: reason '%s' lacks '%s'", text, s_reason, cases[i].reason);
        assert_int_equal(s_req.steps, 0);
    }
    //  A too-long password is refused and never quoted back.
    snprintf(text, sizeof(text), "{\"command\":\"settings\",\"enabled\":true,\"url\":\"ws://x/o\","
             "\"identity\":\"CP1\",\"password\":\"%s\",\"accept\":true}", sixty);
    assert_int_equal(s_parse(text, true), -1);
    assert_non_null(strstr(s_reason, "16..40"));
    assert_null(strstr(s_reason, "SSSS"));
    assert_int_equal(s_req.steps, 0);
    for (size_t i = 0; i < sizeof(s_req.step); i++)
        assert_int_equal(((unsigned char *) s_req.step)[i], 0);
}

static void
test_listen_addresses(void **state)
{
    (void) state;
    char addr[64], reason[200];
    int port = 0;
    assert_int_equal(httpd_parse_listen("8080", addr, sizeof(addr), &port, reason, sizeof(reason)), 0);
    assert_string_equal(addr, "127.0.0.1");
    assert_int_equal(port, 8080);
    assert_int_equal(httpd_parse_listen("0.0.0.0:80", addr, sizeof(addr), &port, reason, sizeof(reason)), 0);
    assert_string_equal(addr, "0.0.0.0");
    assert_int_equal(port, 80);
    assert_int_equal(httpd_parse_listen("localhost:65535", addr, sizeof(addr), &port, reason, sizeof(reason)), 0);
    assert_string_equal(addr, "127.0.0.1");
    assert_int_equal(httpd_parse_listen("[::1]:8080", addr, sizeof(addr), &port, reason, sizeof(reason)), 0);
    assert_string_equal(addr, "::1");
    static const char *const bad[] = { "", "0", "65536", "-1", "80x", "127.0.0.1:", ":8080", "host.example:80",
                                       "[::1]", "[zz]:80", "::1:8080", "1.2.3:80", "127.0.0.1:0" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        reason[0] = '\0';
        if (httpd_parse_listen(bad[i], addr, sizeof(addr), &port, reason, sizeof(reason)) == 0)
            fail_msg("accepted --http %s", bad[i]);
        assert_true(strlen(reason) > 10);
    }
}

static void
test_host_and_origin(void **state)
{
    (void) state;
    assert_true(httpd_host_ok("127.0.0.1:8080"));
    assert_true(httpd_host_ok("localhost:8080"));
    assert_true(httpd_host_ok("LOCALHOST"));
    assert_true(httpd_host_ok("192.168.1.20"));
    assert_true(httpd_host_ok("[::1]:8080"));
    //  A name could be re-pointed at the charger by another site (DNS rebinding).
    assert_false(httpd_host_ok("evil.example:8080"));
    assert_false(httpd_host_ok("127.0.0.1.nip.io:8080"));
    assert_false(httpd_host_ok("127.0.0.1:80x"));
    assert_false(httpd_host_ok(""));
    assert_false(httpd_host_ok(NULL));
    assert_true(httpd_origin_ok(NULL, "127.0.0.1:8080"));
    assert_true(httpd_origin_ok("", "127.0.0.1:8080"));
    assert_true(httpd_origin_ok("http://127.0.0.1:8080", "127.0.0.1:8080"));
    assert_false(httpd_origin_ok("http://evil.example", "127.0.0.1:8080"));
    assert_false(httpd_origin_ok("https://127.0.0.1:8080", "127.0.0.1:8080"));
    assert_false(httpd_origin_ok("null", "127.0.0.1:8080"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hardware_commands),
        cmocka_unit_test(test_bad_requests_are_refused_with_a_reason),
        cmocka_unit_test(test_hardware_needs_simulation),
        cmocka_unit_test(test_settings_become_config_sets),
        cmocka_unit_test(test_bad_settings_change_nothing),
        cmocka_unit_test(test_listen_addresses),
        cmocka_unit_test(test_host_and_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
