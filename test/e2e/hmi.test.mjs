// hmi.test.mjs — what a driver sees on the charger (halo colour, pattern, display line) through a
// whole session and the situations around it, end to end.
//
// Why it exists: the HMI core is unit-tested row by row (actors/hmi/hmi_core.h), but a person
// meets the whole chain — hardware, transaction, authorization, OCPP link, smart charging, safety —
// through the halo. This walks one charger through the seed's situations and checks each one
// reaches `cpctl status` connectors[].hmi as the mapping table says.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPair, waitBooted, statusNotification, connector } from './lib/harness.mjs';

const HERE = import.meta.url;
const hmi = (s) => connector(s, 1).hmi ?? {};

function waitHmi(cp, halo, pattern, display, description, timeoutMs = 15000) {
  return cp.waitStatus((s) => hmi(s).halo === halo && hmi(s).pattern === pattern
    && (display instanceof RegExp ? display.test(hmi(s).display) : hmi(s).display === display),
  timeoutMs, `HMI ${description}: ${halo} ${pattern} "${display}"`);
}

test('HMI over a whole session: locked, present card, rejected card, authorized, charging, paused by EV and by charger, unplug, faulted, unavailable, reserved, connection error', async (t) => {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootInterval: 300 } });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 20000);
  await waitHmi(cp, 'white', 'steady', 'Locked - present card', 'Available and locked');

  // Plug in: Preparing, a card is needed.
  await cp.cpctlOk('plug', '1');
  await waitHmi(cp, 'blue', 'pulse', 'Present card', 'plugged, not authorized');
  // A card the central system refuses: red blink for a few seconds.
  csms.handle('Authorize', () => ({ idTagInfo: { status: 'Invalid' } }));
  await cp.cpctlOk('swipe', 'HMI-BAD');
  await waitHmi(cp, 'red', 'blink', 'Card not accepted', 'rejected card');
  await waitHmi(cp, 'blue', 'pulse', 'Present card', 'the message expires', 15000);

  // A good card: the session starts; the EV has not asked for energy yet.
  csms.handle('Authorize', null);
  await cp.cpctlOk('swipe', 'HMI-GOOD');
  await waitHmi(cp, 'green', 'steady', 'Paused by vehicle', 'SuspendedEV');
  await cp.cpctlOk('ev', '1', 'charge');
  await waitHmi(cp, 'green', 'pulse', /^Charging 22\.\d kW$/, 'Charging with the power');
  // The owner's limit drops below 6 A: the charger pauses the car.
  await cp.cpctlOk('config', 'set', 'LocalCurrentLimit', '3');
  await waitHmi(cp, 'green', 'steady', 'Paused by charger', 'SuspendedEVSE below 6 A');
  await cp.cpctlOk('config', 'set', 'LocalCurrentLimit', '10');
  await waitHmi(cp, 'green', 'pulse', /^Charging 6\.9 kW$/, 'Charging at the 10 A limit');
  // The same card stops: unplug.
  await cp.cpctlOk('swipe', 'HMI-GOOD');
  await waitHmi(cp, 'blue', 'steady', 'Unplug', 'Finishing');
  await cp.cpctlOk('unplug', '1');
  await waitHmi(cp, 'white', 'steady', 'Locked - present card', 'Available again');

  // A residual-current fault: red blink with the error code.
  await cp.cpctlOk('fault', '1', 'rcd');
  await waitHmi(cp, 'red', 'blink', /^Fault: GroundFailure/, 'Faulted');
  await cp.cpctlOk('fault', '1', 'clear');
  await waitHmi(cp, 'white', 'steady', 'Locked - present card', 'fault cleared (no car plugged)');

  // Unavailable, then reserved.
  assert.equal((await csms.call('ChangeAvailability', { connectorId: 1, type: 'Inoperative' })).result.status, 'Accepted');
  await waitHmi(cp, 'off', 'steady', 'Unavailable', 'Inoperative');
  assert.equal((await csms.call('ChangeAvailability', { connectorId: 1, type: 'Operative' })).result.status, 'Accepted');
  await waitHmi(cp, 'white', 'steady', 'Locked - present card', 'Operative again');
  const expiryDate = new Date(Date.now() + 600000).toISOString();
  assert.equal((await csms.call('ReserveNow', { connectorId: 1, expiryDate, idTag: 'HMI-RES', reservationId: 5 })).result.status,
    'Accepted');
  await waitHmi(cp, 'purple', 'steady', 'Reserved', 'Reserved');
  assert.equal((await csms.call('CancelReservation', { reservationId: 5 })).result.status, 'Accepted');
  await waitHmi(cp, 'white', 'steady', 'Locked - present card', 'reservation cancelled');

  // The central system goes away: the seed's "connection error" line.
  await csms.stop();
  await waitHmi(cp, 'red', 'steady', 'OCPP connection error', 'central system unreachable', 30000);
});
