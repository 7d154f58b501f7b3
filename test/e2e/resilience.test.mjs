// resilience.test.mjs — a request in flight to an actor that hangs is not lost (issue 10, "what to
// build" 1: requests with deadlines, exactly one outcome, peers re-learnt after a restart).
//
// Why it exists: three stuck states were reproduced by hand. Each test puts a request in flight
// to an actor made to hang (`cpctl actor hang NAME`), lets the supervisor find it hung and
// restart it, and asserts the controller serves again within a few seconds of that restart:
//   (a) transaction → auth  (auth[i].corr): a RemoteStart's idTag authorizes, StartTransaction goes out;
//   (b) smartcharging → hw  (offer_corr): an owner limit set meanwhile reaches the board;
//   (c) transaction → smartcharging (tx_profile_corr): a RemoteStart's TxProfile is applied.
// Deadlines are generous (these machines are shared and noisy): 15 s after the restart, never a
// tight timing assertion.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startPair, waitBooted, statusNotification, isCallIn, connector, actor, restarts, waitActorRestarted,
} from './lib/harness.mjs';

const HERE = import.meta.url;
const c1 = (s) => connector(s, 1);
const RECOVERY_MS = 15000;      // from the restart seen in `cpctl status` to serving again
const RESTART_MS = 20000;       // liveness (3 s) + grace + restart, on a loaded machine

async function bootedPair(t, cp = {}) {
  const { csms, cp: controller } = await startPair(t, HERE, { csms: { bootInterval: 300 }, cp });
  await waitBooted(controller);
  await csms.waitFor(statusNotification(1, 'Available'), 20000);
  return { csms, cp: controller };
}

async function callOk(csms, action, payload) {
  const { result, error } = await csms.call(action, payload, { timeoutMs: 15000 });
  assert.equal(error, undefined, `${action} answered CALLERROR ${JSON.stringify(error)}`);
  return result;
}

// Hang `name` and resolve the number of restarts it had before.
async function hang(cp, name) {
  const before = restarts(await cp.status(), name);
  await cp.cpctlOk('actor', 'hang', name);
  return before;
}

test('(a) auth hung while a RemoteStart asks it: after its restart the idTag authorizes and StartTransaction goes out', async (t) => {
  const { csms, cp } = await bootedPair(t);
  // The remote start goes through the auth actor (Authorize first), which is what gets stuck.
  await cp.cpctlOk('config', 'set', 'AuthorizeRemoteTxRequests', 'true');
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);

  const before = await hang(cp, 'auth');
  const logMark = cp.logMark();
  assert.deepEqual(await callOk(csms, 'RemoteStartTransaction', { connectorId: 1, idTag: 'APP-HUNG-AUTH' }),
    { status: 'Accepted' });
  // The transaction actor asks the hung auth actor: the request is in flight when auth is restarted.
  const { at } = await waitActorRestarted(cp, 'auth', before, RESTART_MS);

  const start = await csms.waitFor((f) => isCallIn(f, 'StartTransaction') && f.msg[3].idTag === 'APP-HUNG-AUTH',
    RECOVERY_MS, since).catch((err) => {
    throw new Error(`no StartTransaction for APP-HUNG-AUTH within ${RECOVERY_MS} ms of auth's restart `
      + `(the request to the hung auth actor was lost)\n${err.message}\n--- controller log since the hang ---\n`
      + `${cp.logs().slice(logMark).split('\n').slice(-40).join('\n')}`);
  });
  const recoveredMs = start.t - at;
  assert.ok(recoveredMs < RECOVERY_MS, `StartTransaction ${recoveredMs} ms after the restart`);
  assert.equal(start.msg[3].connectorId, 1);
  // AuthorizeRemoteTxRequests: the idTag was authorized by the central system before the start.
  const authorize = csms.frames.slice(since).find((f) => isCallIn(f, 'Authorize') && f.msg[3].idTag === 'APP-HUNG-AUTH');
  assert.ok(authorize && csms.frames.indexOf(authorize) < csms.frames.indexOf(start),
    `Authorize before StartTransaction:\n${csms.describeFrames(since)}`);
  await cp.waitStatus((s) => c1(s).transaction?.idTag === 'APP-HUNG-AUTH' && c1(s).transaction.id != null, 15000,
    'the transaction runs for APP-HUNG-AUTH');
  assert.equal(csms.received('StartTransaction').length, 1, 'exactly one StartTransaction');
  assert.equal(actor(await cp.status(), 'auth').state, 'running');
});

test('(b) hw hung while a new owner limit is offered: after its restart the board offers 16 A', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await cp.cpctlOk('swipe', 'HW-HUNG-01');
  await cp.cpctlOk('ev', '1', 'charge');
  await cp.waitStatus((s) => c1(s).status === 'Charging' && c1(s).limitA === 32 && c1(s).powerW > 0, 20000,
    'charging at 32 A');
  await csms.waitFor('StartTransaction', 20000, since);

  const before = await hang(cp, 'hw');
  const logMark = cp.logMark();
  // The config change reaches smartcharging, whose offer to the hung hw actor is in flight.
  await cp.cpctlOk('config', 'set', 'LocalCurrentLimit', '16');
  const { at } = await waitActorRestarted(cp, 'hw', before, RESTART_MS);

  // The restarted hw actor is asked for 16 A (it logs every offer it is asked for) and the
  // connector offers 16 A.
  await cp.waitLog(/hw.*connector 1: offer 16\b/, RECOVERY_MS, logMark);
  const s = await cp.waitStatus((x) => c1(x).limitA === 16, Math.max(1000, RECOVERY_MS - (Date.now() - at)),
    'the board offers 16 A within a few seconds of the hw restart');
  assert.ok(Date.now() - at < RECOVERY_MS + 2000, `16 A offered ${Date.now() - at} ms after the restart`);
  assert.equal(c1(s).limitSource, 'owner');
});

test('(c) smartcharging hung during the TxProfile hand-off of a RemoteStart: after its restart the profile limit applies', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await cp.cpctlOk('config', 'set', 'AuthorizeRemoteTxRequests', 'false');
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  await cp.cpctlOk('ev', '1', 'charge');

  const before = await hang(cp, 'smartcharging');
  const logMark = cp.logMark();
  const profile = {
    chargingProfileId: 77, stackLevel: 1, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative',
    chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 10 }] },
  };
  assert.deepEqual(await callOk(csms, 'RemoteStartTransaction', { connectorId: 1, idTag: 'APP-TXPROFILE', chargingProfile: profile }),
    { status: 'Accepted' });
  // The transaction starts (it does not need smartcharging); the TxProfile install request goes
  // to the hung smartcharging actor.
  await csms.waitFor((f) => isCallIn(f, 'StartTransaction') && f.msg[3].idTag === 'APP-TXPROFILE', 20000, since);
  const { at } = await waitActorRestarted(cp, 'smartcharging', before, RESTART_MS);

  const s = await cp.waitStatus((x) => c1(x).transaction !== null && c1(x).limitA === 10, RECOVERY_MS,
    'the 10 A TxProfile is applied within a few seconds of the smartcharging restart').catch((err) => {
    throw new Error(`${err.message.split('\n--- chargepointd output')[0]}\n--- controller log since the hang ---\n`
      + `${cp.logs().slice(logMark).split('\n').slice(-40).join('\n')}`);
  });
  assert.ok(Date.now() - at < RECOVERY_MS + 2000, `10 A offered ${Date.now() - at} ms after the restart`);
  assert.equal(c1(s).limitSource, 'ocpp');
  const comp = await callOk(csms, 'GetCompositeSchedule', { connectorId: 1, duration: 60, chargingRateUnit: 'A' });
  assert.equal(comp.chargingSchedule.chargingSchedulePeriod[0].limit, 10, 'the installed TxProfile drives the schedule');
});
