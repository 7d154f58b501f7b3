/* test_hmi_core.c — every row of the mapping table in hmi_core.h, over a
 * whole session and on a virtual clock (plain ms passed to the core):
 * rejected-card inference and its expiry, PIN keypad, OCPP lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include "actors/hmi/hmi_core.h"

static void
s_tx(hmi_core_t *core, int n, const char *status, bool tx_active, int64_t now)
{
    cp_msg_tx_connector_t tx;
    memset(&tx, 0, sizeof(tx));
    tx.connector = n;
    snprintf(tx.status, sizeof(tx.status), "%s", status);
    snprintf(tx.error_code, sizeof(tx.error_code), "NoError");
    tx.tx_active = tx_active;
    hmi_core_on_tx(core, &tx, now);
}

static void
s_hw(hmi_core_t *core, int n, bool plugged, bool locked, double power_w)
{
    cp_msg_hw_connector_t hw;
    memset(&hw, 0, sizeof(hw));
    hw.connector = n;
    hw.plugged = plugged;
    hw.locked = locked;
    hw.power_w = power_w;
    hmi_core_on_hw(core, &hw);
}

#define assert_view(core, n, now, h, p, d) do {                         \
        hmi_view_t v_;                                                  \
        assert_int_equal(hmi_core_view((core), (n), (now), &v_), 0);    \
        assert_string_equal(v_.halo, (h));                              \
        assert_string_equal(v_.pattern, (p));                           \
        assert_string_equal(v_.display, (d));                           \
    } while (0)

static hmi_core_t *
s_registered(int connectors)
{
    hmi_core_t *core = hmi_core_new(connectors);
    assert_non_null(core);
    hmi_core_set_ocpp(core, "connected", "Accepted");
    return core;
}

static void
test_new_bounds(void **state)
{
    (void) state;
    assert_null(hmi_core_new(0));
    assert_null(hmi_core_new(HMI_MAX_CONNECTORS + 1));
    hmi_core_t *core = hmi_core_new(2);
    hmi_view_t v;
    assert_int_equal(hmi_core_view(core, 0, 0, &v), -1);
    assert_int_equal(hmi_core_view(core, 3, 0, &v), -1);
    //  Row 4: nothing known yet.
    assert_view(core, 1, 0, "white", "pulse", "Starting");
    //  Out-of-range inputs are ignored, never a crash.
    s_tx(core, 9, "Charging", true, 0);
    s_hw(core, -1, true, true, 0);
    assert_int_equal(hmi_core_next_delay(core, 0), -1);
    hmi_core_destroy(&core);
    assert_null(core);
    hmi_core_destroy(&core);
}

//  Rows 8, 10, 11, 13, 14, 15, 16, then back to 8.
static void
test_whole_session(void **state)
{
    (void) state;
    hmi_core_t *core = s_registered(1);
    int64_t t = 1000;
    s_hw(core, 1, false, true, 0);
    s_tx(core, 1, "Available", false, t);
    assert_view(core, 1, t, "white", "steady", "Locked - present card");

    //  Card first: accepted when the connector goes Preparing in time.
    hmi_core_on_token(core, "CARD1", t);
    assert_int_equal(hmi_core_next_delay(core, t), HMI_TOKEN_WAIT_MS);
    t += 800;
    s_tx(core, 1, "Preparing", false, t);
    assert_int_equal(hmi_core_next_delay(core, t), -1);
    assert_view(core, 1, t, "blue", "pulse", "Authorized - plug in");
    s_hw(core, 1, true, true, 0);
    assert_view(core, 1, t, "blue", "pulse", "Authorized");
    t += 10000;     //  no rejection appears later
    assert_view(core, 1, t, "blue", "pulse", "Authorized");

    s_tx(core, 1, "Charging", true, t);
    assert_view(core, 1, t, "green", "pulse", "Charging");
    s_hw(core, 1, true, true, 7360);
    assert_view(core, 1, t, "green", "pulse", "Charging 7.4 kW");

    s_tx(core, 1, "SuspendedEV", true, t);
    assert_view(core, 1, t, "green", "steady", "Paused by vehicle");
    s_tx(core, 1, "SuspendedEVSE", true, t);
    assert_view(core, 1, t, "green", "steady", "Paused by charger");
    s_tx(core, 1, "Charging", true, t);

    //  The card again stops the session: accepted (tx ends), no message.
    hmi_core_on_token(core, "CARD1", t);
    t += 500;
    s_hw(core, 1, true, true, 0);
    s_tx(core, 1, "Finishing", false, t);
    assert_view(core, 1, t, "blue", "steady", "Unplug");
    t += 6000;
    assert_view(core, 1, t, "blue", "steady", "Unplug");

    s_hw(core, 1, false, true, 0);
    s_tx(core, 1, "Available", false, t);
    assert_view(core, 1, t, "white", "steady", "Locked - present card");
    hmi_core_destroy(&core);
}

//  Row 12 then 11: plugged first, then a card.
static void
test_plug_first(void **state)
{
    (void) state;
    hmi_core_t *core = s_registered(1);
    s_hw(core, 1, true, false, 0);
    s_tx(core, 1, "Preparing", false, 0);
    assert_view(core, 1, 0, "blue", "pulse", "Present card");
    hmi_core_on_token(core, "CARD1", 100);
    s_tx(core, 1, "Preparing", true, 900);     //  transaction started
    assert_view(core, 1, 900, "blue", "pulse", "Authorized");
    //  Authorization is forgotten once the connector leaves Preparing.
    s_tx(core, 1, "Charging", true, 1000);
    s_tx(core, 1, "Finishing", false, 2000);
    s_tx(core, 1, "Preparing", false, 3000);
    assert_view(core, 1, 3000, "blue", "pulse", "Present card");
    hmi_core_destroy(&core);
}

//  Row 9 (not locked) and row 7 (free charging, the seed's AuthEnabled).
static void
test_free_charging_yellow(void **state)
{
    (void) state;
    hmi_core_t *core = s_registered(2);
    s_hw(core, 1, false, false, 0);
    s_tx(core, 1, "Available", false, 0);
    assert_view(core, 1, 0, "green", "steady", "Available");
    s_hw(core, 2, false, true, 0);
    s_tx(core, 2, "Available", false, 0);
    hmi_core_set_free_charging(core, true);
    assert_view(core, 1, 0, "yellow", "steady", "Plug in to charge");
    assert_view(core, 2, 0, "yellow", "steady", "Plug in to charge");
    //  Plugged: no card needed.
    s_hw(core, 1, true, false, 0);
    s_tx(core, 1, "Preparing", false, 0);
    assert_view(core, 1, 0, "blue", "pulse", "Authorized");
    hmi_core_set_free_charging(core, false);
    assert_view(core, 2, 0, "white", "steady", "Locked - present card");
    hmi_core_destroy(&core);
}

//  Rows 1, 17, 18, 19.
static void
test_faulted_reserved_unavailable(void **state)
{
    (void) state;
    hmi_core_t *core = s_registered(1);
    cp_msg_tx_connector_t tx;
    memset(&tx, 0, sizeof(tx));
    tx.connector = 1;
    snprintf(tx.status, sizeof(tx.status), "Faulted");
    snprintf(tx.error_code, sizeof(tx.error_code), "GroundFailure");
    hmi_core_on_tx(core, &tx, 0);
    assert_view(core, 1, 0, "red", "blink", "Fault: GroundFailure");
    snprintf(tx.error_code, sizeof(tx.error_code), "OtherError");
    snprintf(tx.vendor_error_code, sizeof(tx.vendor_error_code), "RCD6mA");
    hmi_core_on_tx(core, &tx, 0);
    assert_view(core, 1, 0, "red", "blink", "Fault: OtherError RCD6mA");
    //  A fault outranks a PIN entry and a rejected card.
    hmi_core_key(core, '1', 0, NULL, 0);
    hmi_core_on_token(core, "BAD", 0);
    assert_view(core, 1, 5000, "red", "blink", "Fault: OtherError RCD6mA");

    s_tx(core, 1, "Reserved", false, 20000);
    assert_view(core, 1, 20000, "purple", "steady", "Reserved");
    s_tx(core, 1, "Unavailable", false, 20000);
    assert_view(core, 1, 20000, "off", "steady", "Unavailable");
    s_tx(core, 1, "Mystery", false, 20000);
    assert_view(core, 1, 20000, "white", "steady", "Mystery");
    hmi_core_destroy(&core);
}

//  Rows 5 and 6; disabled shows nothing about OCPP; sessions win.
static void
test_ocpp_lines(void **state)
{
    (void) state;
    hmi_core_t *core = hmi_core_new(1);
    s_hw(core, 1, false, true, 0);
    s_tx(core, 1, "Available", false, 0);
    hmi_core_set_ocpp(core, "connecting", "Pending");
    assert_int_equal(hmi_core_ocpp(core), HMI_OCPP_CONNECTING);
    assert_view(core, 1, 0, "cyan", "pulse", "OCPP connecting");
    hmi_core_set_ocpp(core, "connected", "Pending");
    assert_int_equal(hmi_core_ocpp(core), HMI_OCPP_CONNECTED);
    assert_view(core, 1, 0, "cyan", "pulse", "OCPP connecting");
    hmi_core_set_ocpp(core, "error", "Pending");
    assert_int_equal(hmi_core_ocpp(core), HMI_OCPP_ERROR);
    assert_view(core, 1, 0, "red", "steady", "OCPP connection error");
    hmi_core_set_ocpp(core, "connected", "Accepted");
    assert_view(core, 1, 0, "white", "steady", "Locked - present card");
    //  Row 6b: the store takes no writes; the OCPP error outranks it, a
    //  session hides it, and it goes when writes succeed again.
    hmi_core_set_storage(core, false);
    assert_view(core, 1, 0, "red", "steady", "Storage failure - service");
    hmi_core_set_ocpp(core, "error", "Accepted");
    assert_view(core, 1, 0, "red", "steady", "OCPP connection error");
    hmi_core_set_ocpp(core, "connected", "Accepted");
    hmi_core_set_storage(core, true);
    assert_view(core, 1, 0, "white", "steady", "Locked - present card");
    hmi_core_set_ocpp(core, "disabled", "");
    assert_int_equal(hmi_core_ocpp(core), HMI_OCPP_DISABLED);
    assert_view(core, 1, 0, "white", "steady", "Locked - present card");
    //  An offline session keeps showing the session.
    hmi_core_set_ocpp(core, "error", "Accepted");
    s_tx(core, 1, "Charging", true, 0);
    assert_view(core, 1, 0, "green", "pulse", "Charging");
    hmi_core_destroy(&core);
}

//  Row 3: a card that leads nowhere in 3 s, shown for 5 s, then gone.
static void
test_rejected_card(void **state)
{
    (void) state;
    hmi_core_t *core = s_registered(2);
    for (int n = 1; n <= 2; n++) {
        s_hw(core, n, false, true, 0);
        s_tx(core, n, "Available", false, 0);
    }
    hmi_core_on_token(core, "BADCARD", 1000);
    assert_view(core, 1, 3999, "white", "steady", "Locked - present card");
    assert_int_equal(hmi_core_next_delay(core, 3999), 1);
    assert_view(core, 1, 4000, "red", "blink", "Card not accepted");
    assert_view(core, 2, 4000, "red", "blink", "Card not accepted");
    assert_int_equal(hmi_core_next_delay(core, 4000), HMI_REJECTED_SHOW_MS);
    assert_view(core, 1, 8999, "red", "blink", "Card not accepted");
    assert_view(core, 1, 9000, "white", "steady", "Locked - present card");
    assert_int_equal(hmi_core_next_delay(core, 9000), -1);

    //  A late Preparing does not turn a rejected card into an accepted one.
    hmi_core_on_token(core, "BADCARD", 20000);
    hmi_core_tick(core, 23000);
    s_tx(core, 1, "Preparing", false, 23500);
    assert_view(core, 1, 23500, "red", "blink", "Card not accepted");
    //  A plug right after a bad card explains Preparing by itself: still
    //  rejected once no transaction started.
    hmi_core_on_token(core, "BADCARD", 10000);
    s_hw(core, 2, true, true, 0);
    s_tx(core, 2, "Preparing", false, 10500);
    assert_view(core, 2, 10500, "blue", "pulse", "Present card");
    assert_view(core, 2, 13000, "red", "blink", "Card not accepted");
    hmi_core_tick(core, 18000);
    assert_view(core, 2, 18000, "blue", "pulse", "Present card");

    //  A new card cancels the message at once.
    hmi_core_on_token(core, "GOOD", 24000);
    assert_view(core, 1, 24000, "blue", "pulse", "Present card");
    s_tx(core, 1, "Preparing", true, 24500);
    assert_view(core, 1, 30000, "blue", "pulse", "Authorized - plug in");
    hmi_core_destroy(&core);
}

//  Row 2: the PIN keypad.
static void
test_pin_keypad(void **state)
{
    (void) state;
    hmi_core_t *core = s_registered(1);
    s_hw(core, 1, false, true, 0);
    s_tx(core, 1, "Available", false, 0);
    char pin[16] = "";
    assert_int_equal(hmi_core_key(core, '1', 0, pin, sizeof(pin)), 0);
    assert_int_equal(hmi_core_key(core, '2', 10, pin, sizeof(pin)), 0);
    assert_view(core, 1, 10, "cyan", "steady", "Enter PIN: **");
    assert_int_equal(hmi_core_key(core, 'x', 10, pin, sizeof(pin)), -1);
    assert_int_equal(hmi_core_key(core, '3', 20, pin, sizeof(pin)), 0);
    assert_int_equal(hmi_core_key(core, '4', 30, pin, sizeof(pin)), 0);
    assert_int_equal(hmi_core_key(core, '#', 40, pin, sizeof(pin)), 1);
    assert_string_equal(pin, "1234");
    assert_view(core, 1, 40, "white", "steady", "Locked - present card");
    //  Submitting nothing submits nothing, and says nothing.
    assert_int_equal(hmi_core_key(core, '#', 50, pin, sizeof(pin)), 0);
    assert_view(core, 1, 50, "white", "steady", "Locked - present card");
    //  At most HMI_PIN_MAX digits show.
    for (int i = 0; i < HMI_PIN_MAX + 3; i++)
        hmi_core_key(core, '9', 100, pin, sizeof(pin));
    assert_view(core, 1, 100, "cyan", "steady", "Enter PIN: ********");

    //  'C' cancels.
    hmi_core_key(core, 'C', 200, pin, sizeof(pin));
    assert_view(core, 1, 200, "white", "steady", "Locked - present card");
    //  An idle entry is abandoned after HMI_PIN_IDLE_MS.
    hmi_core_key(core, '5', 1000, pin, sizeof(pin));
    assert_int_equal(hmi_core_next_delay(core, 1000), HMI_PIN_IDLE_MS);
    assert_view(core, 1, 1000 + HMI_PIN_IDLE_MS - 1, "cyan", "steady", "Enter PIN: *");
    assert_view(core, 1, 1000 + HMI_PIN_IDLE_MS, "white", "steady", "Locked - present card");
    //  A presented card ends an entry in progress.
    hmi_core_key(core, '5', 40000, pin, sizeof(pin));
    hmi_core_on_token(core, "CARD", 40001);
    assert_view(core, 1, 40001, "white", "steady", "Locked - present card");
    const int64_t T = 100000;           //  after every message above has expired
    //  Too short: not submitted, refused on the display.
    hmi_core_key(core, '1', 60 + T, pin, sizeof(pin));
    hmi_core_key(core, '2', 60 + T, pin, sizeof(pin));
    hmi_core_key(core, '3', 60 + T, pin, sizeof(pin));
    assert_int_equal(hmi_core_key(core, '#', 70 + T, pin, sizeof(pin)), 0);
    assert_view(core, 1, 70 + T, "red", "blink", "PIN not accepted");
    assert_view(core, 1, 70 + HMI_REJECTED_SHOW_MS + T, "white", "steady", "Locked - present card");
    //  At most HMI_PIN_MAX digits show; one more makes the entry too long:
    //  never silently cut to a PIN the person did not type.
    for (int i = 0; i < HMI_PIN_MAX + 1; i++)
        hmi_core_key(core, '9', 100 + HMI_REJECTED_SHOW_MS + T, pin, sizeof(pin));
    assert_view(core, 1, 100 + HMI_REJECTED_SHOW_MS + T, "cyan", "steady", "Enter PIN: ********");
    pin[0] = '\0';
    assert_int_equal(hmi_core_key(core, '#', 110 + HMI_REJECTED_SHOW_MS + T, pin, sizeof(pin)), 0);
    assert_string_equal(pin, "");
    assert_view(core, 1, 110 + HMI_REJECTED_SHOW_MS + T, "red", "blink", "PIN not accepted");
    //  Exactly HMI_PIN_MAX is fine.
    for (int i = 0; i < HMI_PIN_MAX; i++)
        hmi_core_key(core, '8', 120 + HMI_REJECTED_SHOW_MS + T, pin, sizeof(pin));
    assert_int_equal(hmi_core_key(core, '#', 130 + HMI_REJECTED_SHOW_MS + T, pin, sizeof(pin)), 1);
    assert_string_equal(pin, "88888888");
    hmi_core_destroy(&core);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_bounds),
        cmocka_unit_test(test_whole_session),
        cmocka_unit_test(test_plug_first),
        cmocka_unit_test(test_free_charging_yellow),
        cmocka_unit_test(test_faulted_reserved_unavailable),
        cmocka_unit_test(test_ocpp_lines),
        cmocka_unit_test(test_rejected_card),
        cmocka_unit_test(test_pin_keypad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
