// remote.test.mjs — the central system in control (OCPP 1.6 §5.11 RemoteStartTransaction,
// §5.12 RemoteStopTransaction, §5.16 UnlockConnector, §5.2 ChangeAvailability, §5.13 Reset).
//
// Why it exists: an operator's back office starts and stops sessions for app users, frees
// stuck cables, takes connectors out of service and reboots chargers. Each request must get
// the answer the spec defines (Accepted / Rejected / Scheduled / Unlocked / NotSupported), and
// where it affects a running transaction the StopTransaction must carry the right reason.
// Bad input (unknown transactionId, out-of-range connectorId) must change nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  startPair, waitBooted, statusNotification, isCallIn, connector,
} from './lib/harness.mjs';

const HERE = import.meta.url;
const IGNORED = ['Heartbeat', 'MeterValues'];

async function bootedPair(t, options = {}) {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootInterval: 300, ...(options.csms ?? {}) }, cp: options.cp ?? {} });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 20000);
  return { csms, cp };
}

function callLabels(csms, since = 0, ignored = IGNORED) {
  return csms.frames.slice(since)
    .filter((f) => isCallIn(f) && !ignored.includes(f.msg[2]))
    .map((f) => (f.msg[2] === 'StatusNotification' ? `StatusNotification ${f.msg[3].connectorId} ${f.msg[3].status}` : f.msg[2]));
}

function answerTo(csms, frame) {
  return csms.frames.find((f) => f.dir === 'out' && Array.isArray(f.msg) && f.msg[0] !== 2 && f.msg[1] === frame.msg[1]);
}

const tx = (s) => connector(s, 1)?.transaction ?? null;

async function callOk(csms, action, payload) {
  const { result, error } = await csms.call(action, payload, { timeoutMs: 15000 });
  assert.equal(error, undefined, `${action} ${JSON.stringify(payload)} answered CALLERROR ${JSON.stringify(error)}`);
  return result;
}

// A local session up to the confirmed transaction; resolves the transactionId.
async function runningSession(csms, cp, tag, since) {
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  await cp.cpctlOk('swipe', tag);
  const start = await csms.waitFor('StartTransaction', 20000, since);
  await cp.waitStatus((s) => tx(s)?.id != null && connector(s, 1).contactor === true, 20000, 'transaction confirmed, contactor closed');
  return answerTo(csms, start).msg[2].transactionId;
}

// ---------------------------------------------------------------- RemoteStartTransaction

test('RemoteStartTransaction with connectorId, AuthorizeRemoteTxRequests false: Accepted, started without Authorize', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await cp.cpctlOk('config', 'set', 'AuthorizeRemoteTxRequests', 'false');
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);

  const result = await callOk(csms, 'RemoteStartTransaction', { connectorId: 1, idTag: 'APP-USER-1' });
  assert.deepEqual(result, { status: 'Accepted' });
  const start = await csms.waitFor('StartTransaction', 20000, since);
  assert.equal(start.msg[3].connectorId, 1);
  assert.equal(start.msg[3].idTag, 'APP-USER-1');
  const txId = answerTo(csms, start).msg[2].transactionId;
  const s = await cp.waitStatus((x) => tx(x)?.id === txId && connector(x, 1).contactor === true, 20000, 'transaction running');
  assert.equal(tx(s).idTag, 'APP-USER-1');
  assert.deepEqual(callLabels(csms, since), ['StatusNotification 1 Preparing', 'StartTransaction', 'StatusNotification 1 SuspendedEV'],
    `no Authorize for a remote start when AuthorizeRemoteTxRequests is false:\n${csms.describeFrames(since)}`);
});

test('overlapping RemoteStartTransactions for one connector: the later one Rejected, the first starts on plug-in', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await cp.cpctlOk('config', 'set', 'AuthorizeRemoteTxRequests', 'false');
  const since = csms.mark();
  assert.deepEqual(await callOk(csms, 'RemoteStartTransaction', { connectorId: 1, idTag: 'APP-FIRST' }), { status: 'Accepted' });
  assert.deepEqual(await callOk(csms, 'RemoteStartTransaction', { connectorId: 1, idTag: 'APP-SECOND' }), { status: 'Rejected' },
    'the connector is already claimed: nothing is silently dropped');
  assert.deepEqual(await callOk(csms, 'RemoteStartTransaction', { idTag: 'APP-THIRD' }), { status: 'Rejected' });
  await cp.cpctlOk('plug', '1');
  const start = await csms.waitFor('StartTransaction', 20000, since);
  assert.equal(start.msg[3].idTag, 'APP-FIRST');
  await cp.waitStatus((x) => tx(x)?.idTag === 'APP-FIRST', 20000, 'the first remote start runs');
  assert.equal(csms.received('StartTransaction').length, 1);
});

test('RemoteStartTransaction, AuthorizeRemoteTxRequests true: Authorize first, then StartTransaction', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await cp.cpctlOk('config', 'set', 'AuthorizeRemoteTxRequests', 'true');
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  const result = await callOk(csms, 'RemoteStartTransaction', { connectorId: 1, idTag: 'APP-USER-2' });
  assert.equal(result.status, 'Accepted');
  const start = await csms.waitFor('StartTransaction', 20000, since);
  assert.equal(start.msg[3].idTag, 'APP-USER-2');
  const labels = callLabels(csms, since);
  assert.deepEqual(labels.slice(0, 3), ['StatusNotification 1 Preparing', 'Authorize', 'StartTransaction'],
    `CALL sequence:\n${csms.describeFrames(since)}`);
  assert.deepEqual(csms.received('Authorize').at(-1), { idTag: 'APP-USER-2' });
});

test('RemoteStartTransaction, AuthorizeRemoteTxRequests true and Authorize Invalid: no transaction', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await cp.cpctlOk('config', 'set', 'AuthorizeRemoteTxRequests', 'true');
  csms.handle('Authorize', () => ({ idTagInfo: { status: 'Blocked' } }));
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  const result = await callOk(csms, 'RemoteStartTransaction', { connectorId: 1, idTag: 'APP-BLOCKED' });
  assert.ok(['Accepted', 'Rejected'].includes(result.status));
  await csms.waitFor('Authorize', 20000, since);
  await cp.expectNever((s) => tx(s) !== null || connector(s, 1).contactor === true, 1500, 'a transaction for a Blocked idTag');
  assert.equal(csms.received('StartTransaction').length, 0);
});

test('RemoteStartTransaction without connectorId, then plug: the transaction starts on the plugged connector', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await cp.cpctlOk('config', 'set', 'AuthorizeRemoteTxRequests', 'false');
  const since = csms.mark();
  const result = await callOk(csms, 'RemoteStartTransaction', { idTag: 'APP-USER-3' });
  assert.equal(result.status, 'Accepted');
  await cp.cpctlOk('plug', '1');
  const start = await csms.waitFor('StartTransaction', 20000, since);
  assert.equal(start.msg[3].connectorId, 1);
  assert.equal(start.msg[3].idTag, 'APP-USER-3');
  await cp.waitStatus((s) => tx(s)?.idTag === 'APP-USER-3', 20000, 'transaction for APP-USER-3');
});

test('RemoteStartTransaction with a chargingProfile that is not a TxProfile: Rejected, nothing started', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await cp.cpctlOk('config', 'set', 'AuthorizeRemoteTxRequests', 'false');
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  const result = await callOk(csms, 'RemoteStartTransaction', {
    connectorId: 1,
    idTag: 'APP-PROFILE',
    chargingProfile: {
      chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Relative',
      chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] },
    },
  });
  assert.equal(result.status, 'Rejected');
  await cp.expectNever((s) => tx(s) !== null, 1500, 'a transaction from a rejected remote start');
  assert.equal(csms.received('StartTransaction').length, 0);
});

test('RemoteStartTransaction Rejected: connector out of range, faulted, busy, unavailable', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await cp.cpctlOk('config', 'set', 'AuthorizeRemoteTxRequests', 'false');

  assert.equal((await callOk(csms, 'RemoteStartTransaction', { connectorId: 2, idTag: 'APP-X' })).status, 'Rejected',
    'connectorId 2 on a one-connector charger');

  await cp.cpctlOk('fault', '1', 'rcd');
  await csms.waitFor(statusNotification(1, 'Faulted'), 20000);
  assert.equal((await callOk(csms, 'RemoteStartTransaction', { connectorId: 1, idTag: 'APP-X' })).status, 'Rejected',
    'faulted connector');
  await cp.cpctlOk('fault', '1', 'clear');
  await cp.waitStatus((s) => connector(s, 1).status === 'Available', 20000, 'fault cleared');

  assert.equal((await callOk(csms, 'ChangeAvailability', { connectorId: 1, type: 'Inoperative' })).status, 'Accepted');
  await cp.waitStatus((s) => connector(s, 1).status === 'Unavailable', 20000, 'Unavailable');
  assert.equal((await callOk(csms, 'RemoteStartTransaction', { connectorId: 1, idTag: 'APP-X' })).status, 'Rejected',
    'unavailable connector');
  assert.equal((await callOk(csms, 'ChangeAvailability', { connectorId: 1, type: 'Operative' })).status, 'Accepted');
  await cp.waitStatus((s) => connector(s, 1).status === 'Available', 20000, 'Available again');

  const since = csms.mark();
  await runningSession(csms, cp, 'TAG-BUSY', since);
  assert.equal((await callOk(csms, 'RemoteStartTransaction', { connectorId: 1, idTag: 'APP-X' })).status, 'Rejected',
    'connector with a running transaction');
  await sleep(500);
  assert.equal(csms.received('StartTransaction').length, 1, 'only the local session started');
  assert.equal(tx(await cp.status()).idTag, 'TAG-BUSY');
});

// ---------------------------------------------------------------- RemoteStopTransaction

test('RemoteStopTransaction: known id → Accepted + StopTransaction reason Remote; unknown id → Rejected', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  const txId = await runningSession(csms, cp, 'TAG-RSTOP', since);
  await cp.cpctlOk('ev', '1', 'charge');
  await csms.waitFor(statusNotification(1, 'Charging'), 20000, since);

  assert.deepEqual(await callOk(csms, 'RemoteStopTransaction', { transactionId: txId + 1000 }), { status: 'Rejected' });
  await cp.expectNever((s) => tx(s)?.id !== txId, 1000, 'the session touched by an unknown transactionId');
  assert.equal(csms.received('StopTransaction').length, 0);

  assert.deepEqual(await callOk(csms, 'RemoteStopTransaction', { transactionId: txId }), { status: 'Accepted' });
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  assert.equal(stop.msg[3].transactionId, txId);
  assert.equal(stop.msg[3].reason, 'Remote');
  assert.ok(stop.msg[3].meterStop >= csms.received('StartTransaction')[0].meterStart);
  await cp.waitStatus((s) => tx(s) === null && connector(s, 1).contactor === false, 20000, 'stopped, contactor open');
  await cp.cpctlOk('unplug', '1');
  await csms.waitFor(statusNotification(1, 'Available'), 20000, csms.frames.indexOf(stop));
  const labels = callLabels(csms, since);
  assert.deepEqual(labels.slice(labels.indexOf('StatusNotification 1 Charging')), [
    'StatusNotification 1 Charging', 'StatusNotification 1 Finishing', 'StopTransaction', 'StatusNotification 1 Available',
  ], `CALL sequence:\n${csms.describeFrames(since)}`);

  // The stopped transaction is no longer known.
  assert.equal((await callOk(csms, 'RemoteStopTransaction', { transactionId: txId })).status, 'Rejected');
});

// ---------------------------------------------------------------- UnlockConnector

test('UnlockConnector during a transaction: stopped with UnlockCommand, then Unlocked', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  const txId = await runningSession(csms, cp, 'TAG-UNLOCK', since);
  assert.equal(connector(await cp.status(), 1).locked, true, 'the cable is locked during the session');
  assert.deepEqual(await callOk(csms, 'UnlockConnector', { connectorId: 1 }), { status: 'Unlocked' });
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  assert.equal(stop.msg[3].transactionId, txId);
  assert.equal(stop.msg[3].reason, 'UnlockCommand');
  await cp.waitStatus((s) => tx(s) === null && connector(s, 1).contactor === false && connector(s, 1).locked === false,
    20000, 'stopped, contactor open, unlocked');
  assert.equal(csms.received('StopTransaction').length, 1);
});

test('UnlockConnector: idle → Unlocked; connector 0 or beyond N → NotSupported', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  assert.deepEqual(await callOk(csms, 'UnlockConnector', { connectorId: 1 }), { status: 'Unlocked' });
  assert.deepEqual(await callOk(csms, 'UnlockConnector', { connectorId: 0 }), { status: 'NotSupported' });
  assert.deepEqual(await callOk(csms, 'UnlockConnector', { connectorId: 2 }), { status: 'NotSupported' });
  await sleep(300);
  assert.deepEqual(callLabels(csms, since), [], 'nothing else happened');
  assert.equal(connector(await cp.status(), 1).status, 'Available');
});

// ---------------------------------------------------------------- ChangeAvailability

test('ChangeAvailability on an idle connector: Inoperative → Unavailable, Operative → Available', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  assert.deepEqual(await callOk(csms, 'ChangeAvailability', { connectorId: 1, type: 'Inoperative' }), { status: 'Accepted' });
  await csms.waitFor(statusNotification(1, 'Unavailable'), 20000, since);
  await cp.waitStatus((s) => connector(s, 1).status === 'Unavailable', 20000, 'Unavailable');

  // While Unavailable, a plug starts nothing and the status stays Unavailable.
  await cp.cpctlOk('plug', '1');
  await cp.expectNever((s) => tx(s) !== null || connector(s, 1).status !== 'Unavailable', 1000,
    'a status change on an Unavailable connector');
  await cp.cpctlOk('unplug', '1');

  const back = csms.mark();
  assert.deepEqual(await callOk(csms, 'ChangeAvailability', { connectorId: 1, type: 'Operative' }), { status: 'Accepted' });
  await csms.waitFor(statusNotification(1, 'Available'), 20000, back);
  await cp.waitStatus((s) => connector(s, 1).status === 'Available', 20000, 'Available');
  assert.deepEqual(callLabels(csms, since), ['StatusNotification 1 Unavailable', 'StatusNotification 1 Available'],
    `CALL sequence:\n${csms.describeFrames(since)}`);
});

test('a swipe while the only connector is Unavailable starts nothing, now or after it turns Operative', async (t) => {
  const { csms, cp } = await bootedPair(t);
  assert.equal((await callOk(csms, 'ChangeAvailability', { connectorId: 1, type: 'Inoperative' })).status, 'Accepted');
  await cp.waitStatus((s) => connector(s, 1).status === 'Unavailable', 20000, 'Unavailable');
  await cp.cpctlOk('plug', '1');
  await cp.cpctlOk('swipe', 'TAG-NOPE');
  await cp.expectNever((s) => tx(s) !== null || connector(s, 1).status !== 'Unavailable', 1500,
    'a session on an Unavailable connector');
  await cp.cpctlOk('unplug', '1');
  await cp.waitStatus((s) => connector(s, 1).plugged === false, 10000, 'unplugged');

  // An identifier presented while no connector could serve it is not held for later: making
  // the connector Operative again leads to Available, not to a session waiting for a plug.
  const back = csms.mark();
  assert.equal((await callOk(csms, 'ChangeAvailability', { connectorId: 1, type: 'Operative' })).status, 'Accepted');
  await csms.waitFor(statusNotification(1), 20000, back);
  assert.deepEqual(callLabels(csms, back), ['StatusNotification 1 Available'],
    `after Operative:\n${csms.describeFrames(back)}`);
  await cp.cpctlOk('plug', '1');
  await cp.expectNever((s) => tx(s) !== null, 1500, 'a transaction from the identifier presented while Unavailable');
  assert.equal(csms.received('StartTransaction').length, 0);
});

test('ChangeAvailability during a transaction: Scheduled, applied when the transaction stops', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  const txId = await runningSession(csms, cp, 'TAG-SCHED', since);
  assert.deepEqual(await callOk(csms, 'ChangeAvailability', { connectorId: 1, type: 'Inoperative' }), { status: 'Scheduled' });
  await cp.expectNever((s) => tx(s)?.id !== txId || connector(s, 1).status === 'Unavailable', 1000,
    'the transaction interrupted by a scheduled availability change');
  assert.equal(csms.received('StopTransaction').length, 0);

  await cp.cpctlOk('swipe', 'TAG-SCHED');
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  assert.equal(stop.msg[3].reason, 'Local');
  await csms.waitFor(statusNotification(1, 'Unavailable'), 20000, since);
  await cp.cpctlOk('unplug', '1');
  await cp.waitStatus((s) => tx(s) === null && connector(s, 1).status === 'Unavailable', 20000, 'Unavailable after the stop');
  await cp.expectNever((s) => connector(s, 1).status !== 'Unavailable', 1000, 'leaving Unavailable by itself');

  const back = csms.mark();
  assert.equal((await callOk(csms, 'ChangeAvailability', { connectorId: 1, type: 'Operative' })).status, 'Accepted');
  await csms.waitFor(statusNotification(1, 'Available'), 20000, back);
});

test('ChangeAvailability connector 0: the whole charger goes Unavailable and back', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  assert.equal((await callOk(csms, 'ChangeAvailability', { connectorId: 0, type: 'Inoperative' })).status, 'Accepted');
  await csms.waitFor(statusNotification(0, 'Unavailable'), 20000, since);
  await csms.waitFor(statusNotification(1, 'Unavailable'), 20000, since);
  await cp.waitStatus((s) => connector(s, 1).status === 'Unavailable', 20000, 'connector 1 Unavailable');
  assert.equal((await callOk(csms, 'RemoteStartTransaction', { connectorId: 1, idTag: 'APP-X' })).status, 'Rejected',
    'no remote start while the charger is Inoperative');

  const back = csms.mark();
  assert.equal((await callOk(csms, 'ChangeAvailability', { connectorId: 0, type: 'Operative' })).status, 'Accepted');
  await csms.waitFor(statusNotification(0, 'Available'), 20000, back);
  await csms.waitFor(statusNotification(1, 'Available'), 20000, back);
});

test('ChangeAvailability for a connector beyond N: Rejected, nothing changes', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  assert.equal((await callOk(csms, 'ChangeAvailability', { connectorId: 2, type: 'Inoperative' })).status, 'Rejected');
  await sleep(500);
  assert.deepEqual(callLabels(csms, since), []);
  assert.equal(connector(await cp.status(), 1).status, 'Available');
});

// ---------------------------------------------------------------- Reset

test('Reset Soft during a transaction: Accepted, StopTransaction SoftReset, the controller comes back', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  const pid = cp.pid;
  const txId = await runningSession(csms, cp, 'TAG-SOFT', since);
  const boots = csms.received('BootNotification').length;
  assert.deepEqual(await callOk(csms, 'Reset', { type: 'Soft' }), { status: 'Accepted' });
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  assert.equal(stop.msg[3].transactionId, txId);
  assert.equal(stop.msg[3].reason, 'SoftReset');
  assert.ok(stop.msg[3].meterStop >= csms.received('StartTransaction')[0].meterStart);
  await cp.waitStatus((s) => s.ocpp.connection === 'connected' && s.ocpp.registration === 'Accepted' && tx(s) === null,
    30000, 'back, registered, no transaction');
  assert.equal(cp.pid, pid);
  assert.equal(cp.running, true, 'a soft reset does not end the process');
  // 4.2.1 / 5.14: after a restart, soft or hard, the charge point registers again.
  await csms.waitForCalls('BootNotification', boots + 1, 30000);
  await sleep(1000);
  assert.equal(csms.received('StopTransaction').length, 1, 'exactly one StopTransaction');
  assert.equal(csms.received('StartTransaction').length, 1, 'nothing restarted the session');
});

test('Reset Hard during a transaction: StopTransaction HardReset, same pid re-executed, new BootNotification', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  const pid = cp.pid;
  const txId = await runningSession(csms, cp, 'TAG-HARD', since);
  const boots = csms.received('BootNotification').length;
  assert.deepEqual(await callOk(csms, 'Reset', { type: 'Hard' }), { status: 'Accepted' });
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  assert.equal(stop.msg[3].transactionId, txId);
  assert.equal(stop.msg[3].reason, 'HardReset');
  const boot = await csms.waitFor('BootNotification', 30000, csms.frames.indexOf(stop));
  assert.ok(csms.frames.indexOf(boot) > csms.frames.indexOf(stop), 'the stop is delivered before the reboot');
  assert.equal(csms.received('BootNotification').length, boots + 1);
  await waitBooted(cp, 30000);
  assert.equal(cp.running, true);
  assert.equal(cp.pid, pid, 'execv keeps the pid');
  assert.equal(tx(await cp.status()), null);
  await sleep(1000);
  assert.equal(csms.received('StopTransaction').length, 1, 'the StopTransaction is not sent again after the reboot');
});

test('Reset Soft while idle: Accepted, nothing stopped, a new BootNotification, registered again', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  const boots = csms.received('BootNotification').length;
  assert.deepEqual(await callOk(csms, 'Reset', { type: 'Soft' }), { status: 'Accepted' });
  await csms.waitForCalls('BootNotification', boots + 1, 30000);
  await cp.waitStatus((s) => s.ocpp.connection === 'connected' && s.ocpp.registration === 'Accepted', 30000, 'registered');
  assert.equal(csms.received('StopTransaction').length, 0);
  assert.ok(!callLabels(csms, since).includes('StopTransaction'));
});
