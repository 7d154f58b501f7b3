// session.test.mjs — local charging sessions end to end (OCPP 1.6 §4.1 Authorize, §4.8
// StartTransaction, §4.9 StatusNotification, §4.10 StopTransaction, §4.7 MeterValues, §3.x
// the transaction-related configuration keys).
//
// Why it exists: a charging session is what the operator bills. These tests drive the real
// binaries through the simulated hardware (plug, swipe, EV asks for energy, swipe, unplug)
// and check the exact sequence of CALLs the central system receives, the fields of each
// transaction message, and the configuration keys that change the session's course
// (ConnectionTimeOut, StopTransactionOnEVSideDisconnect, StopTransactionOnInvalidId,
// MeterValueSampleInterval, StopTxnSampledData). Every wait is bounded; nothing asserts on time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  startPair, waitBooted, statusNotification, isCallIn, connector, actor,
} from './lib/harness.mjs';

const HERE = import.meta.url;
const IGNORED = ['Heartbeat', 'MeterValues'];  // periodic traffic that may interleave anywhere

// A booted pair with connector 1 reported Available.
async function bootedPair(t, options = {}) {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootInterval: 300, ...(options.csms ?? {}) }, cp: options.cp ?? {} });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 20000);
  return { csms, cp };
}

// The CALLs from the charge point since frame `since`, minus periodic traffic, as labels:
// "StatusNotification <connector> <status>" or the action name.
function callLabels(csms, since = 0, ignored = IGNORED) {
  return csms.frames.slice(since)
    .filter((f) => isCallIn(f) && !ignored.includes(f.msg[2]))
    .map((f) => (f.msg[2] === 'StatusNotification' ? `StatusNotification ${f.msg[3].connectorId} ${f.msg[3].status}` : f.msg[2]));
}

// The answer the CSMS sent to a CALL frame from the charge point.
function answerTo(csms, frame) {
  return csms.frames.find((f) => f.dir === 'out' && Array.isArray(f.msg) && f.msg[0] !== 2 && f.msg[1] === frame.msg[1]);
}

const tx = (s) => connector(s, 1)?.transaction ?? null;

async function setConfig(cp, key, value) {
  await cp.cpctlOk('config', 'set', key, String(value));
}

// plug, swipe TAG, wait until StartTransaction was confirmed and the contactor is closed.
async function startLocalSession(csms, cp, tag, since) {
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  await cp.cpctlOk('swipe', tag);
  const start = await csms.waitFor('StartTransaction', 20000, since);
  await csms.waitFor(statusNotification(1, 'SuspendedEV'), 20000, since);
  const s = await cp.waitStatus((st) => tx(st)?.id != null, 20000, 'transaction confirmed with a CSMS id');
  return { start, status: s };
}

test('local session: plug, swipe, charge, swipe, unplug — exact CALL sequence and fields', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();

  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  let s = await cp.waitStatus((st) => connector(st, 1).plugged === true, 10000, 'plugged');
  assert.equal(tx(s), null, 'no transaction before authorization');
  const energyBefore = connector(s, 1).energyWh;

  await cp.cpctlOk('swipe', 'TAG-LOCAL');
  const authorize = await csms.waitFor('Authorize', 20000, since);
  assert.deepEqual(authorize.msg[3], { idTag: 'TAG-LOCAL' });
  const start = await csms.waitFor('StartTransaction', 20000, since);
  const sp = start.msg[3];
  assert.equal(sp.connectorId, 1);
  assert.equal(sp.idTag, 'TAG-LOCAL');
  assert.ok(Number.isInteger(sp.meterStart) && sp.meterStart >= 0, `meterStart is a whole Wh value: ${sp.meterStart}`);
  assert.ok(sp.meterStart >= energyBefore - 1 && sp.meterStart <= energyBefore + 1, 'meterStart is the register reading');
  assert.ok(!Number.isNaN(Date.parse(sp.timestamp)) && /Z$|[+-]\d\d:\d\d$/.test(sp.timestamp), `timestamp ${sp.timestamp}`);
  const txId = answerTo(csms, start).msg[2].transactionId;
  assert.ok(Number.isInteger(txId));

  await csms.waitFor(statusNotification(1, 'SuspendedEV'), 20000, since);
  s = await cp.waitStatus((st) => tx(st)?.id === txId && connector(st, 1).contactor === true, 20000,
    'transaction with the CSMS id and the contactor closed');
  assert.equal(tx(s).idTag, 'TAG-LOCAL');
  assert.equal(tx(s).meterStart, sp.meterStart);
  assert.ok(!Number.isNaN(Date.parse(tx(s).startedAt)), 'startedAt is a date');
  assert.equal(connector(s, 1).status, 'SuspendedEV');

  await cp.cpctlOk('ev', '1', 'charge');
  await csms.waitFor(statusNotification(1, 'Charging'), 20000, since);
  s = await cp.waitStatus((st) => connector(st, 1).energyWh > sp.meterStart + 1 && connector(st, 1).powerW > 0, 20000,
    'energy flowing');
  assert.equal(connector(s, 1).status, 'Charging');
  // 32 A × 3 phases × 230 V.
  assert.ok(Math.abs(connector(s, 1).powerW - 22080) <= 22080 * 0.05, `power ${connector(s, 1).powerW} W`);

  await cp.cpctlOk('swipe', 'TAG-LOCAL');
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  const energyAtStop = connector(await cp.status(), 1).energyWh;
  const st = stop.msg[3];
  assert.equal(st.transactionId, txId);
  assert.equal(st.reason, 'Local');
  assert.equal(st.idTag, 'TAG-LOCAL');
  assert.ok(Number.isInteger(st.meterStop));
  assert.ok(st.meterStop > sp.meterStart, `meterStop ${st.meterStop} > meterStart ${sp.meterStart} after charging`);
  assert.ok(st.meterStop <= energyAtStop, `meterStop ${st.meterStop} ≤ register ${energyAtStop}`);
  assert.ok(Date.parse(st.timestamp) >= Date.parse(sp.timestamp), 'stop timestamp not before the start');
  s = await cp.waitStatus((x) => tx(x) === null && connector(x, 1).contactor === false, 20000,
    'transaction gone and contactor open');

  await cp.cpctlOk('unplug', '1');
  await csms.waitFor(statusNotification(1, 'Available'), 20000, since);
  await sleep(500);  // let anything that would wrongly follow arrive

  assert.deepEqual(callLabels(csms, since), [
    'StatusNotification 1 Preparing',
    'Authorize',
    'StartTransaction',
    'StatusNotification 1 SuspendedEV',
    'StatusNotification 1 Charging',
    'StatusNotification 1 Finishing',
    'StopTransaction',
    'StatusNotification 1 Available',
  ], `CALL sequence:\n${csms.describeFrames(since)}`);
  s = await cp.status();
  assert.equal(connector(s, 1).status, 'Available');
  assert.equal(connector(s, 1).plugged, false);
});

test('authorize then plug: the transaction starts when the cable is connected', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  await cp.cpctlOk('swipe', 'TAG-FIRST');
  await csms.waitFor('Authorize', 20000, since);
  await cp.expectNever((s) => tx(s) !== null, 1000, 'a transaction before the plug');
  assert.equal(csms.received('StartTransaction').length, 0, 'no StartTransaction before the plug');

  const plugMark = csms.mark();
  await cp.cpctlOk('plug', '1');
  const start = await csms.waitFor('StartTransaction', 20000, plugMark);
  assert.equal(start.msg[3].idTag, 'TAG-FIRST');
  assert.equal(start.msg[3].connectorId, 1);
  await cp.waitStatus((s) => tx(s)?.idTag === 'TAG-FIRST' && connector(s, 1).contactor === true, 20000,
    'transaction running with the contactor closed');
  await cp.cpctlOk('swipe', 'TAG-FIRST');
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  assert.equal(stop.msg[3].reason, 'Local');
  await cp.cpctlOk('unplug', '1');
  await csms.waitFor(statusNotification(1, 'Available'), 20000, plugMark);

  const labels = callLabels(csms, since);
  assert.equal(labels[0], 'Authorize', `first CALL: ${labels}`);
  assert.ok(labels.indexOf('StartTransaction') > 0);
  assert.deepEqual(labels.filter((l) => l === 'StartTransaction' || l === 'StopTransaction'),
    ['StartTransaction', 'StopTransaction']);
  assert.deepEqual(labels.slice(-3), ['StatusNotification 1 Finishing', 'StopTransaction', 'StatusNotification 1 Available'],
    `CALL sequence:\n${csms.describeFrames(since)}`);
});

test('ConnectionTimeOut: an authorization without a plug expires, status back to Available', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'ConnectionTimeOut', 2);
  const since = csms.mark();
  const swiped = cp.logMark();
  await cp.cpctlOk('swipe', 'TAG-LATE');
  await csms.waitFor('Authorize', 20000, since);
  assert.equal(tx(await cp.status()), null, 'no transaction without a plug');
  // The authorization lapses: if the controller reported Preparing, it reports Available again.
  // The controller decides when (ConnectionTimeOut); we only wait for its decision.
  await cp.waitLog(/TAG-LATE: no cable plugged within ConnectionTimeOut: authorization dropped/, 20000, swiped);
  const s = await cp.waitStatus((x) => connector(x, 1).status === 'Available', 15000, 'Available after the timeout');
  assert.equal(tx(s), null);
  const labels = callLabels(csms, since);
  if (labels.includes('StatusNotification 1 Preparing')) {
    assert.deepEqual(labels, ['Authorize', 'StatusNotification 1 Preparing', 'StatusNotification 1 Available'],
      `CALL sequence:\n${csms.describeFrames(since)}`);
  } else {
    assert.deepEqual(labels, ['Authorize'], `CALL sequence:\n${csms.describeFrames(since)}`);
  }

  // A plug after the timeout starts nothing.
  const plugMark = csms.mark();
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, plugMark);
  await cp.expectNever((x) => tx(x) !== null, 1500, 'a transaction from an expired authorization');
  assert.equal(csms.received('StartTransaction').length, 0);
});

test('Authorize answered Invalid: no transaction, nothing closes', async (t) => {
  const { csms, cp } = await bootedPair(t);
  csms.handle('Authorize', () => ({ idTagInfo: { status: 'Invalid' } }));
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  await cp.cpctlOk('swipe', 'TAG-BAD');
  await csms.waitFor('Authorize', 20000, since);
  await cp.expectNever((s) => tx(s) !== null || connector(s, 1).contactor === true, 1500,
    'a transaction or a closed contactor for an Invalid idTag');
  assert.deepEqual(callLabels(csms, since), ['StatusNotification 1 Preparing', 'Authorize']);
});

test('a tag with the same parentIdTag stops the session; an unrelated tag does not', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const parents = { 'TAG-A': 'FLEET-1', 'TAG-B': 'FLEET-1', 'TAG-X': 'FLEET-2' };
  csms.handle('Authorize', (p) => ({ idTagInfo: { status: 'Accepted', parentIdTag: parents[p.idTag] } }));
  csms.handle('StartTransaction', (p) => ({
    transactionId: csms.nextTransactionId++, idTagInfo: { status: 'Accepted', parentIdTag: parents[p.idTag] },
  }));
  const since = csms.mark();
  const { start } = await startLocalSession(csms, cp, 'TAG-A', since);
  const txId = answerTo(csms, start).msg[2].transactionId;

  await cp.cpctlOk('swipe', 'TAG-X');
  await csms.waitFor((f) => isCallIn(f, 'Authorize') && f.msg[3].idTag === 'TAG-X', 20000, since);
  await cp.expectNever((s) => tx(s) === null, 1500, 'the session stopped by a tag of another group');
  assert.equal(csms.received('StopTransaction').length, 0);

  await cp.cpctlOk('swipe', 'TAG-B');
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  assert.equal(stop.msg[3].transactionId, txId);
  assert.equal(stop.msg[3].reason, 'Local');
  assert.equal(stop.msg[3].idTag, 'TAG-B', 'the idTag that stopped the session');
  await cp.waitStatus((s) => tx(s) === null && connector(s, 1).contactor === false, 20000, 'stopped');
});

test('StopTransactionOnEVSideDisconnect true: unplugging stops with reason EVDisconnected', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'StopTransactionOnEVSideDisconnect', 'true');
  const since = csms.mark();
  const { start } = await startLocalSession(csms, cp, 'TAG-EVD', since);
  const txId = answerTo(csms, start).msg[2].transactionId;
  await cp.cpctlOk('ev', '1', 'charge');
  await csms.waitFor(statusNotification(1, 'Charging'), 20000, since);

  const unplugMark = csms.mark();
  await cp.cpctlOk('unplug', '1');
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  assert.equal(stop.msg[3].transactionId, txId);
  assert.equal(stop.msg[3].reason, 'EVDisconnected');
  assert.ok(stop.msg[3].meterStop >= start.msg[3].meterStart);
  await csms.waitFor(statusNotification(1, 'Available'), 20000, unplugMark);
  const s = await cp.waitStatus((x) => tx(x) === null && connector(x, 1).contactor === false, 20000, 'stopped, contactor open');
  assert.equal(connector(s, 1).status, 'Available');
  await sleep(500);
  // The cable is gone, so the connector may go straight to Available (Charging → Available is a
  // valid transition); the StopTransaction may come before or after that notification.
  assert.deepEqual(callLabels(csms, unplugMark).sort(), ['StatusNotification 1 Available', 'StopTransaction'],
    `CALLs after the unplug:\n${csms.describeFrames(unplugMark)}`);
});

test('StopTransactionOnEVSideDisconnect false: unplugging suspends, the transaction goes on', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'StopTransactionOnEVSideDisconnect', 'false');
  const since = csms.mark();
  const { start } = await startLocalSession(csms, cp, 'TAG-KEEP', since);
  const txId = answerTo(csms, start).msg[2].transactionId;
  await cp.cpctlOk('ev', '1', 'charge');
  await csms.waitFor(statusNotification(1, 'Charging'), 20000, since);

  const unplugMark = csms.mark();
  await cp.cpctlOk('unplug', '1');
  await csms.waitFor(statusNotification(1, 'SuspendedEV'), 20000, unplugMark);
  const s = await cp.waitStatus((x) => connector(x, 1).plugged === false && connector(x, 1).contactor === false, 20000,
    'unplugged with the contactor open');
  assert.equal(tx(s)?.id, txId, 'the transaction is still open');
  await cp.expectNever((x) => tx(x) === null, 1000, 'the transaction stopped on unplug');
  assert.equal(csms.received('StopTransaction').length, 0);

  await cp.cpctlOk('swipe', 'TAG-KEEP');
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  assert.equal(stop.msg[3].transactionId, txId);
  assert.equal(stop.msg[3].reason, 'Local');
  await cp.waitStatus((x) => tx(x) === null && connector(x, 1).status === 'Available', 20000, 'stopped and Available');
});

test('StopTransactionOnInvalidId true: StartTransaction.conf Invalid stops with DeAuthorized', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'StopTransactionOnInvalidId', 'true');
  csms.handle('StartTransaction', () => ({ transactionId: 4711, idTagInfo: { status: 'Invalid' } }));
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  await cp.cpctlOk('swipe', 'TAG-DEAUTH');
  await csms.waitFor('StartTransaction', 20000, since);
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  assert.equal(stop.msg[3].transactionId, 4711);
  assert.equal(stop.msg[3].reason, 'DeAuthorized');
  assert.ok(stop.msg[3].meterStop >= csms.received('StartTransaction')[0].meterStart);
  await cp.waitStatus((s) => tx(s) === null && connector(s, 1).contactor === false, 20000, 'stopped, contactor open');
  assert.equal(csms.received('StopTransaction').length, 1);
});

test('StopTransactionOnInvalidId false: StartTransaction.conf Invalid suspends (SuspendedEVSE), transaction kept', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'StopTransactionOnInvalidId', 'false');
  csms.handle('StartTransaction', () => ({ transactionId: 4712, idTagInfo: { status: 'Invalid' } }));
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  await cp.cpctlOk('swipe', 'TAG-SUSP');
  await csms.waitFor('StartTransaction', 20000, since);
  await cp.cpctlOk('ev', '1', 'charge');
  await csms.waitFor(statusNotification(1, 'SuspendedEVSE'), 20000, since);
  const s = await cp.waitStatus((x) => connector(x, 1).status === 'SuspendedEVSE', 20000, 'SuspendedEVSE');
  assert.equal(tx(s)?.id, 4712, 'the transaction is kept');
  assert.equal(connector(s, 1).contactor, false, 'no energy for an invalid id');
  await cp.expectNever((x) => tx(x) === null || connector(x, 1).contactor === true, 1000, 'stopped or energised');
  assert.equal(csms.received('StopTransaction').length, 0);
  assert.ok(!callLabels(csms, since).includes('StatusNotification 1 Charging'), 'never Charging');
});

test('actor kill transaction mid-session: same transaction continues, a later swipe stops it', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  const { start } = await startLocalSession(csms, cp, 'TAG-CRASH', since);
  const txId = answerTo(csms, start).msg[2].transactionId;
  await cp.cpctlOk('ev', '1', 'charge');
  await csms.waitFor(statusNotification(1, 'Charging'), 20000, since);

  await cp.cpctlOk('actor', 'kill', 'transaction');
  await cp.waitStatus((s) => actor(s, 'transaction')?.restarts === 1 && actor(s, 'transaction')?.state === 'running',
    15000, 'transaction actor restarted');
  const s = await cp.waitStatus((x) => tx(x)?.id === txId, 15000, 'the same transaction after the restart');
  assert.equal(tx(s).idTag, 'TAG-CRASH');
  assert.equal(tx(s).meterStart, start.msg[3].meterStart);
  await cp.expectNever((x) => tx(x)?.id !== txId, 1000, 'the transaction lost or replaced');
  assert.equal(csms.received('StopTransaction').length, 0, 'no StopTransaction from the restart');
  assert.equal(csms.received('StartTransaction').length, 1, 'no second StartTransaction');

  await cp.cpctlOk('swipe', 'TAG-CRASH');
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  assert.equal(stop.msg[3].transactionId, txId);
  assert.equal(stop.msg[3].reason, 'Local');
  assert.ok(stop.msg[3].meterStop >= start.msg[3].meterStart);
  await cp.waitStatus((x) => tx(x) === null, 20000, 'stopped');
  await sleep(500);
  assert.equal(csms.received('StopTransaction').length, 1, 'exactly one StopTransaction');
});

test('metering: MeterValueSampleInterval 1 sends MeterValues with the transactionId during a session', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'MeterValueSampleInterval', 1);
  await setConfig(cp, 'MeterValuesSampledData', 'Energy.Active.Import.Register,Power.Active.Import');
  const since = csms.mark();
  const { start } = await startLocalSession(csms, cp, 'TAG-METER', since);
  const txId = answerTo(csms, start).msg[2].transactionId;
  await cp.cpctlOk('ev', '1', 'charge');
  await csms.waitFor(statusNotification(1, 'Charging'), 20000, since);
  const chargingMark = csms.mark();
  const mvs = await csms.waitForCalls('MeterValues', 3, 20000, chargingMark);
  for (const f of mvs) {
    const p = f.msg[3];
    assert.equal(p.connectorId, 1);
    assert.equal(p.transactionId, txId, `MeterValues carry the transactionId: ${JSON.stringify(p)}`);
    assert.ok(Array.isArray(p.meterValue) && p.meterValue.length >= 1);
    for (const mv of p.meterValue) {
      assert.ok(!Number.isNaN(Date.parse(mv.timestamp)));
      assert.ok(mv.sampledValue.length >= 1);
    }
  }
  const periodic = mvs.flatMap((f) => f.msg[3].meterValue.flatMap((mv) => mv.sampledValue))
    .filter((v) => (v.context ?? 'Sample.Periodic') === 'Sample.Periodic');
  const energy = periodic.filter((v) => (v.measurand ?? 'Energy.Active.Import.Register') === 'Energy.Active.Import.Register');
  assert.ok(energy.length >= 2, `periodic energy samples: ${JSON.stringify(periodic)}`);
  for (const v of energy) {
    assert.equal(typeof v.value, 'string');
    assert.ok(['Wh', 'kWh', undefined].includes(v.unit));
  }
  const wh = energy.map((v) => Number(v.value) * (v.unit === 'kWh' ? 1000 : 1));
  for (let i = 1; i < wh.length; i++) assert.ok(wh[i] >= wh[i - 1], `the register never goes down: ${wh}`);
  assert.ok(wh[0] >= start.msg[3].meterStart);
  const power = periodic.filter((v) => v.measurand === 'Power.Active.Import');
  assert.ok(power.length >= 1, 'Power.Active.Import sampled as configured');

  await cp.cpctlOk('swipe', 'TAG-METER');
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  assert.ok(stop.msg[3].meterStop >= Math.max(...wh), 'meterStop not below any sampled register value');
});

test('metering: StopTxnSampledData puts transactionData into StopTransaction', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'MeterValueSampleInterval', 1);
  await setConfig(cp, 'StopTxnSampledData', 'Energy.Active.Import.Register');
  const since = csms.mark();
  const { start } = await startLocalSession(csms, cp, 'TAG-TXDATA', since);
  const txId = answerTo(csms, start).msg[2].transactionId;
  await cp.cpctlOk('ev', '1', 'charge');
  await csms.waitFor(statusNotification(1, 'Charging'), 20000, since);
  await cp.waitStatus((s) => connector(s, 1).energyWh >= start.msg[3].meterStart + 10, 20000, 'some energy delivered');
  await cp.cpctlOk('swipe', 'TAG-TXDATA');
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  const p = stop.msg[3];
  assert.equal(p.transactionId, txId);
  assert.ok(Array.isArray(p.transactionData) && p.transactionData.length >= 1,
    `StopTransaction.transactionData present: ${JSON.stringify(p)}`);
  const values = p.transactionData.flatMap((mv) => {
    assert.ok(!Number.isNaN(Date.parse(mv.timestamp)));
    return mv.sampledValue;
  });
  const energy = values.filter((v) => (v.measurand ?? 'Energy.Active.Import.Register') === 'Energy.Active.Import.Register');
  assert.ok(energy.length >= 1, `energy in transactionData: ${JSON.stringify(values)}`);
  const contexts = new Set(values.map((v) => v.context ?? 'Sample.Periodic'));
  for (const c of contexts) {
    assert.ok(['Transaction.Begin', 'Sample.Periodic', 'Transaction.End', 'Sample.Clock'].includes(c), `context ${c}`);
  }
  const wh = energy.map((v) => Number(v.value) * (v.unit === 'kWh' ? 1000 : 1));
  for (const e of wh) {
    assert.ok(e >= start.msg[3].meterStart && e <= p.meterStop,
      `sampled ${e} Wh within [meterStart ${start.msg[3].meterStart}, meterStop ${p.meterStop}]`);
  }
});
