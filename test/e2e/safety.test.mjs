// safety.test.mjs — the safety actor end to end: trips mid-session and the fail-safe
// watchdog (issue 6, "Safety actor"; OCPP 1.6 §7.6 ChargePointErrorCode, §7.36 Reason).
//
// Why it exists: the safety actor is the one part whose failure hurts people. These tests
// drive the real binaries through the simulated hardware: a residual-current trip and an
// over-temperature trip during a charging session must open the contactor, report the
// connector Faulted with the right errorCode and stop the transaction; a killed or hung
// safety actor must open the contactor within one second by itself (the hw watchdog), and
// charging resumes only after the restarted safety actor re-approved the connector.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPair, waitBooted, statusNotification, connector, actor } from './lib/harness.mjs';

const HERE = import.meta.url;
const tx = (s) => connector(s, 1)?.transaction ?? null;
const charging = (s) => connector(s, 1)?.contactor === true && connector(s, 1)?.powerW > 0;
const dead = (s) => connector(s, 1)?.contactor === false && connector(s, 1)?.powerW === 0;

async function bootedPair(t) {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootInterval: 300 } });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 20000);
  return { csms, cp };
}

// plug 1, swipe TAG, the EV asks for energy: wait until power flows.
async function startCharging(csms, cp, tag, since) {
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  await cp.cpctlOk('swipe', tag);
  const start = await csms.waitFor('StartTransaction', 20000, since);
  await cp.cpctlOk('ev', '1', 'charge');
  await csms.waitFor(statusNotification(1, 'Charging'), 20000, since);
  const s = await cp.waitStatus(charging, 20000, 'contactor closed and power flowing');
  return { start, status: s };
}

// Poll status as fast as cpctl allows until pred holds; resolves ms elapsed since t0.
async function msUntil(cp, pred, t0, timeoutMs, description) {
  await cp.waitStatus(pred, timeoutMs, description);
  return Date.now() - t0;
}

test('residual-current trip mid-session: contactor open, Faulted GroundFailure, StopTransaction', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  await startCharging(csms, cp, 'TAG-RCD', since);

  const t0 = Date.now();
  await cp.cpctlOk('fault', '1', 'rcd');
  const ms = await msUntil(cp, dead, t0, 5000, 'contactor open and no power after the rcd trip');
  t.diagnostic(`contactor open ${ms} ms after the rcd fault`);
  assert.ok(ms <= 1000, `contactor open within 1 s of the trip (${ms} ms)`);

  const faulted = await csms.waitFor(statusNotification(1, 'Faulted'), 20000, since);
  assert.equal(faulted.msg[3].errorCode, 'GroundFailure', `Faulted errorCode: ${JSON.stringify(faulted.msg[3])}`);
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  t.diagnostic(`StopTransaction reason ${stop.msg[3].reason}`);
  assert.equal(stop.msg[3].reason, 'EmergencyStop', `StopTransaction: ${JSON.stringify(stop.msg[3])}`);
  await cp.waitStatus((s) => tx(s) === null, 20000, 'transaction gone');

  // Recovery rule: the fault cleared is not enough while the car stays plugged...
  await cp.cpctlOk('fault', '1', 'clear');
  await sleep(1500);
  let s = await cp.status();
  assert.equal(connector(s, 1).contactor, false, 'still open after clear without unplug');
  assert.equal(connector(s, 1).status, 'Faulted', 'still Faulted without an unplug');
  // ...unplug + replug: approved again, the connector is usable again.
  const recover = csms.mark();
  await cp.cpctlOk('unplug', '1');
  await csms.waitFor(statusNotification(1, 'Available'), 20000, recover);
  s = await cp.status();
  assert.notEqual(connector(s, 1).status, 'Faulted');
});

test('over-temperature mid-session (sim reads 90 °C): trip HighTemperature, StopTransaction', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  await startCharging(csms, cp, 'TAG-HOT', since);

  const t0 = Date.now();
  await cp.cpctlOk('fault', '1', 'overtemp');
  const ms = await msUntil(cp, dead, t0, 5000, 'contactor open after over-temperature');
  t.diagnostic(`contactor open ${ms} ms after the overtemp fault`);
  assert.ok(ms <= 1000, `contactor open within 1 s (${ms} ms)`);
  const faulted = await csms.waitFor(statusNotification(1, 'Faulted'), 20000, since);
  assert.equal(faulted.msg[3].errorCode, 'HighTemperature', `Faulted: ${JSON.stringify(faulted.msg[3])}`);
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  t.diagnostic(`StopTransaction reason ${stop.msg[3].reason}`);
  assert.equal(stop.msg[3].reason, 'Other');
  // Cooling down recovers by itself (no unplug needed): no longer Faulted.
  const cool = csms.mark();
  await cp.cpctlOk('fault', '1', 'clear');
  const after = await csms.waitFor(statusNotification(1), 20000, cool);
  assert.notEqual(after.msg[3].status, 'Faulted', `after cooling: ${JSON.stringify(after.msg[3])}`);
});

// Kill or hang the safety actor mid-session: the contactor opens within 1 s, and closes
// again only after the restarted safety actor re-approved (the transaction goes on).
async function failSafe(t, how) {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  const { status } = await startCharging(csms, cp, `TAG-${how.toUpperCase()}`, since);
  const txBefore = tx(status);
  const restartsBefore = actor(status, 'safety')?.restarts ?? 0;

  const t0 = Date.now();
  await cp.cpctlOk('actor', how, 'safety');
  const ms = await msUntil(cp, dead, t0, 5000, `contactor open after actor ${how} safety`);
  t.diagnostic(`actor ${how} safety: contactor open and power 0 after ${ms} ms`);
  assert.ok(ms <= 1000, `contactor open within 1 s of actor ${how} safety (${ms} ms)`);

  // Restarted, re-approved, re-commanded by the transaction actor: energy flows again.
  await cp.waitStatus((s) => actor(s, 'safety')?.restarts === restartsBefore + 1
    && actor(s, 'safety')?.state === 'running', 15000, 'safety actor restarted');
  const s = await cp.waitStatus(charging, 20000, 'charging again after the re-approval');
  assert.deepEqual(tx(s)?.id, txBefore?.id, 'the same transaction goes on');
  assert.equal(csms.received('StopTransaction').length, 0, 'no StopTransaction');
}

test('actor kill safety mid-session: contactor open within 1 s, charging resumes after re-approval', async (t) => {
  await failSafe(t, 'kill');
});

test('actor hang safety mid-session: contactor open within 1 s (watchdog), charging resumes after restart', async (t) => {
  await failSafe(t, 'hang');
});

test('earthing system: on TT the earth (PE-N) monitor does not trip; back on TN the same reading trips GroundFailure', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await cp.cpctlOk('config', 'set', 'EarthingSystem', 'TT');
  const since = csms.mark();
  await startCharging(csms, cp, 'TAG-TT', since);
  await cp.cpctlOk('fault', '1', 'ground');
  await cp.expectNever((s) => !charging(s), 1500, 'TT: charging goes on with the earth monitor reporting');
  // The central system cannot change the owner's setting ...
  const change = await csms.call('ChangeConfiguration', { key: 'EarthingSystem', value: 'TN' });
  assert.equal(change.result.status, 'Rejected');
  assert.equal(connector(await cp.status(), 1).status, 'Charging');
  // ... the owner can: TN checks the earth, and the reading trips at once.
  await cp.cpctlOk('config', 'set', 'EarthingSystem', 'TN');
  await cp.waitStatus(dead, 5000, 'contactor open after switching to TN');
  const faulted = await csms.waitFor(statusNotification(1, 'Faulted'), 20000, since);
  assert.equal(faulted.msg[3].errorCode, 'GroundFailure');
  assert.equal(faulted.msg[3].vendorErrorCode, 'EarthContinuity');
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  assert.equal(stop.msg[3].reason, 'EmergencyStop');
  // Only TN or TT.
  const bad = await cp.cpctl('config', 'set', 'EarthingSystem', 'IT');
  assert.equal(bad.code, 1);
});
