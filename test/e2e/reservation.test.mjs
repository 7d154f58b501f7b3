// reservation.test.mjs — the Reservation profile end to end (OCPP 1.6 §5.13 ReserveNow, §5.1
// CancelReservation, §4.8 StartTransaction.reservationId).
//
// Why it exists: a driver who booked a charger must find it free; nobody else may take it, the
// booking must survive a restart, end when it expires, and be named in the StartTransaction
// that uses it so the operator can close the booking.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPair, waitBooted, statusNotification, isCallIn, connector } from './lib/harness.mjs';

const HERE = import.meta.url;

async function bootedPair(t) {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootInterval: 300 } });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 20000);
  return { csms, cp };
}

const inSeconds = (s) => new Date(Date.now() + s * 1000).toISOString();
const starts = (csms, since) => csms.frames.slice(since).filter((f) => isCallIn(f, 'StartTransaction'));

test('reserve, another card refused, the holder starts with the reservationId', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.frames.length;
  const { result } = await csms.call('ReserveNow', { connectorId: 1, expiryDate: inSeconds(120), idTag: 'HOLDER', reservationId: 11 });
  assert.equal(result.status, 'Accepted');
  await csms.waitFor(statusNotification(1, 'Reserved'), 10000, since);
  // Connector 0 reservations are not offered; a second reservation of the connector is Occupied.
  assert.equal((await csms.call('ReserveNow', { connectorId: 0, expiryDate: inSeconds(60), idTag: 'X', reservationId: 12 })).result.status, 'Rejected');
  assert.equal((await csms.call('ReserveNow', { connectorId: 1, expiryDate: inSeconds(60), idTag: 'X', reservationId: 13 })).result.status, 'Occupied');
  assert.equal((await csms.call('ReserveNow', { connectorId: 2, expiryDate: inSeconds(60), idTag: 'X', reservationId: 14 })).result.status, 'Rejected');
  await cp.cpctlOk('plug', '1');
  await cp.cpctlOk('swipe', 'STRANGER');
  await csms.waitFor('Authorize', 10000, since);
  await sleep(1000);
  assert.equal(starts(csms, since).length, 0, 'a stranger does not start on a reserved connector');
  await cp.cpctlOk('swipe', 'HOLDER');
  const start = await csms.waitFor('StartTransaction', 10000, since);
  assert.equal(start.msg[3].idTag, 'HOLDER');
  assert.equal(start.msg[3].reservationId, 11);
  // Used up: cancelling it now is Rejected.
  assert.equal((await csms.call('CancelReservation', { reservationId: 11 })).result.status, 'Rejected');
});

test('a reservation expires: Available again; cancel ends it at once', async (t) => {
  const { csms, cp } = await bootedPair(t);
  let since = csms.frames.length;
  assert.equal((await csms.call('ReserveNow', { connectorId: 1, expiryDate: inSeconds(3), idTag: 'SOON', reservationId: 21 })).result.status, 'Accepted');
  await csms.waitFor(statusNotification(1, 'Reserved'), 10000, since);
  await csms.waitFor(statusNotification(1, 'Available'), 15000, since);
  assert.equal(connector(await cp.status(), 1).status, 'Available');
  since = csms.frames.length;
  assert.equal((await csms.call('ReserveNow', { connectorId: 1, expiryDate: inSeconds(300), idTag: 'LATER', reservationId: 22 })).result.status, 'Accepted');
  await csms.waitFor(statusNotification(1, 'Reserved'), 10000, since);
  assert.equal((await csms.call('CancelReservation', { reservationId: 99 })).result.status, 'Rejected');
  assert.equal((await csms.call('CancelReservation', { reservationId: 22 })).result.status, 'Accepted');
  await csms.waitFor(statusNotification(1, 'Available'), 10000, since);
});

test('a reservation survives a restart; faulted and unavailable connectors are refused', async (t) => {
  const { csms, cp } = await bootedPair(t);
  assert.equal((await csms.call('ReserveNow', { connectorId: 1, expiryDate: inSeconds(300), idTag: 'KEEP', reservationId: 31 })).result.status, 'Accepted');
  await cp.waitStatus((s) => connector(s, 1).status === 'Reserved', 10000, 'Reserved');
  await cp.restart();
  await waitBooted(cp);
  await cp.waitStatus((s) => connector(s, 1).status === 'Reserved', 10000, 'still Reserved after a restart');
  assert.equal((await csms.call('CancelReservation', { reservationId: 31 })).result.status, 'Accepted');
  await cp.cpctlOk('fault', '1', 'rcd');
  await cp.waitStatus((s) => connector(s, 1).status === 'Faulted', 10000, 'Faulted');
  assert.equal((await csms.call('ReserveNow', { connectorId: 1, expiryDate: inSeconds(60), idTag: 'F', reservationId: 32 })).result.status, 'Faulted');
  await cp.cpctlOk('fault', '1', 'clear');
  // A residual-current trip lifts only after the fault clears AND the cable was out (none here).
  await cp.waitStatus((s) => connector(s, 1).status !== 'Faulted', 10000, 'fault cleared');
  assert.equal((await csms.call('ChangeAvailability', { connectorId: 1, type: 'Inoperative' })).result.status, 'Accepted');
  assert.equal((await csms.call('ReserveNow', { connectorId: 1, expiryDate: inSeconds(60), idTag: 'U', reservationId: 33 })).result.status, 'Unavailable');
});

test('seed flow: locked while Available, unlocked for the authorized user, cable held during the session', async (t) => {
  const { cp } = await bootedPair(t);
  const lockOf = async () => connector(await cp.status(), 1).locked;
  await cp.waitStatus((s) => connector(s, 1).locked === true, 10000, 'charger locked while Available');
  await cp.cpctlOk('swipe', 'SEED01');
  await cp.waitStatus((s) => connector(s, 1).status === 'Preparing' && connector(s, 1).locked === false, 10000,
    'unlocked for the authorized user');
  await cp.cpctlOk('plug', '1');
  await cp.waitStatus((s) => connector(s, 1).transaction && connector(s, 1).locked === true, 10000,
    'cable locked during the transaction');
  await cp.cpctlOk('ev', '1', 'charge');
  await cp.waitStatus((s) => connector(s, 1).status === 'Charging' && connector(s, 1).hmi?.halo === 'green', 10000,
    'Charging, green halo');
  await cp.cpctlOk('swipe', 'SEED01');
  await cp.waitStatus((s) => connector(s, 1).status === 'Finishing' && connector(s, 1).locked === false, 10000,
    'the same card stops and releases the cable');
  await cp.cpctlOk('unplug', '1');
  await cp.waitStatus((s) => connector(s, 1).status === 'Available' && connector(s, 1).locked === true, 10000,
    'locked again once Available');
  // The HMI says so: white "locked" halo while Available.
  await cp.waitStatus((s) => connector(s, 1).hmi?.halo === 'white' && /Locked/.test(connector(s, 1).hmi.display),
    10000, 'HMI: locked, present card');
  // Free charging: nothing to unlock, and the halo is yellow while Available (the seed's AuthEnabled).
  await cp.cpctlOk('config', 'set', 'FreeChargingEnabled', 'true');
  await cp.waitStatus((s) => connector(s, 1).locked === false, 10000, 'free charging leaves the charger unlocked');
  assert.equal(await lockOf(), false);
  await cp.waitStatus((s) => connector(s, 1).hmi?.halo === 'yellow', 10000, 'HMI: yellow halo under free charging');
});
