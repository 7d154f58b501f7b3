// smartcharging.test.mjs — the Smart Charging profile end to end (OCPP 1.6 §3.13, §5.5
// ClearChargingProfile, §5.7 GetCompositeSchedule, §5.16 SetChargingProfile).
//
// Why it exists: a charging profile only matters if the car actually draws less. These tests
// install profiles from the central system and watch the current the pilot offers (limitA) and
// the power the simulated EV draws follow them, across a schedule boundary, and back when the
// profile is cleared.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPair, waitBooted, statusNotification, connector } from './lib/harness.mjs';

const HERE = import.meta.url;

async function bootedPair(t) {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootInterval: 300 } });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 20000);
  return { csms, cp };
}

const c1 = (s) => connector(s, 1);

function txDefault(id, periods, startSchedule = new Date(Date.now() - 1000).toISOString()) {
  return {
    connectorId: 1,
    csChargingProfiles: {
      chargingProfileId: id, stackLevel: 1, chargingProfilePurpose: 'TxDefaultProfile',
      chargingProfileKind: 'Absolute',
      chargingSchedule: { startSchedule, chargingRateUnit: 'A', chargingSchedulePeriod: periods },
    },
  };
}

test('TxDefaultProfile: the offered current and the EV follow the schedule, GetCompositeSchedule matches, Clear restores', async (t) => {
  const { csms, cp } = await bootedPair(t);
  // 10 A now, 16 A four seconds from now.
  const set = await csms.call('SetChargingProfile', txDefault(1, [{ startPeriod: 0, limit: 10 }, { startPeriod: 5, limit: 16 }]));
  assert.equal(set.result.status, 'Accepted');
  await cp.cpctlOk('plug', '1');
  await cp.cpctlOk('swipe', 'SC01');
  await cp.cpctlOk('ev', '1', 'charge');
  await cp.waitStatus((x) => c1(x).status === 'Charging' && c1(x).limitA === 10, 15000, 'charging at 10 A');
  // The EV follows the offer a moment after it changes (the sim's next step): wait for it, still at 10 A.
  let s = await cp.waitStatus((x) => c1(x).limitA === 10 && Math.abs(c1(x).powerW - 10 * 3 * 230) < 300, 10000,
    'power follows 10 A');
  assert.equal(c1(s).status, 'Charging');
  const comp = await csms.call('GetCompositeSchedule', { connectorId: 1, duration: 60, chargingRateUnit: 'A' });
  assert.equal(comp.result.status, 'Accepted');
  const periods = comp.result.chargingSchedule.chargingSchedulePeriod;
  assert.equal(periods[0].limit, 10);
  assert.ok(periods.some((p) => p.limit === 16), `the 16 A period is in the composite: ${JSON.stringify(periods)}`);
  s = await cp.waitStatus((x) => c1(x).limitA === 16, 15000, 'the schedule boundary raises the offer to 16 A');
  await cp.waitStatus((x) => Math.abs(c1(x).powerW - 16 * 3 * 230) < 300, 10000, 'the EV follows 16 A');
  const clear = await csms.call('ClearChargingProfile', { id: 1 });
  assert.equal(clear.result.status, 'Accepted');
  await cp.waitStatus((x) => c1(x).limitA === 32, 10000, 'back to the default 32 A');
  assert.equal((await csms.call('ClearChargingProfile', { id: 1 })).result.status, 'Unknown');
});

test('TxProfile: Rejected without a transaction, applied to the running one, removed at its end', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const txProfile = (transactionId) => ({
    connectorId: 1,
    csChargingProfiles: {
      chargingProfileId: 7, stackLevel: 2, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative',
      ...(transactionId ? { transactionId } : {}),
      chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 8 }] },
    },
  });
  assert.equal((await csms.call('SetChargingProfile', txProfile())).result.status, 'Rejected');
  await cp.cpctlOk('plug', '1');
  await cp.cpctlOk('swipe', 'SC02');
  const s = await cp.waitStatus((x) => c1(x).transaction?.id != null, 15000, 'transaction confirmed');
  assert.equal((await csms.call('SetChargingProfile', txProfile(c1(s).transaction.id))).result.status, 'Accepted');
  await cp.waitStatus((x) => c1(x).limitA === 8, 10000, 'the TxProfile limits the offer to 8 A');
  await cp.cpctlOk('swipe', 'SC02');
  await cp.waitStatus((x) => c1(x).transaction === null && c1(x).limitA === 32, 10000, 'TxProfile gone with its transaction');
});

test('bad profiles are Rejected and nothing is stored', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const unsorted = await csms.call('SetChargingProfile', txDefault(2, [{ startPeriod: 0, limit: 10 }, { startPeriod: 0, limit: 12 }]));
  assert.equal(unsorted.result.status, 'Rejected');
  const maxOnConnector = await csms.call('SetChargingProfile', {
    connectorId: 1,
    csChargingProfiles: { chargingProfileId: 3, stackLevel: 0, chargingProfilePurpose: 'ChargePointMaxProfile',
      chargingProfileKind: 'Absolute', chargingSchedule: { startSchedule: new Date().toISOString(),
        chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 10 }] } },
  });
  assert.equal(maxOnConnector.result.status, 'Rejected');
  const tooHigh = await csms.call('SetChargingProfile', { ...txDefault(4, [{ startPeriod: 0, limit: 10 }]),
    csChargingProfiles: { ...txDefault(4, [{ startPeriod: 0, limit: 10 }]).csChargingProfiles, stackLevel: 99 } });
  assert.equal(tooHigh.result.status, 'Rejected');
  assert.equal((await csms.call('ClearChargingProfile', {})).result.status, 'Unknown', 'nothing was stored');
  assert.equal(c1(await cp.status()).limitA, 32);
});

test('RemoteStartTransaction with a chargingProfile: it becomes the TxProfile of the started transaction', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const profile = {
    chargingProfileId: 21, stackLevel: 1, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative',
    chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 12 }] },
  };
  // A profile of another purpose is refused (spec 5.16.2), nothing starts.
  const wrong = await csms.call('RemoteStartTransaction', { connectorId: 1, idTag: 'RS1',
    chargingProfile: { ...profile, chargingProfilePurpose: 'TxDefaultProfile' } });
  assert.equal(wrong.result.status, 'Rejected');
  await cp.cpctlOk('config', 'set', 'AuthorizeRemoteTxRequests', 'false');
  const ok = await csms.call('RemoteStartTransaction', { connectorId: 1, idTag: 'RS1', chargingProfile: profile });
  assert.equal(ok.result.status, 'Accepted');
  await cp.cpctlOk('plug', '1');
  await cp.waitStatus((x) => c1(x).transaction !== null && c1(x).limitA === 12, 15000,
    'the transaction runs under its 12 A TxProfile');
  const comp = await csms.call('GetCompositeSchedule', { connectorId: 1, duration: 60, chargingRateUnit: 'A' });
  assert.equal(comp.result.chargingSchedule.chargingSchedulePeriod[0].limit, 12);
});

test('GetCompositeSchedule in W converts with the phases and the configured NominalVoltage', async (t) => {
  const { csms, cp } = await bootedPair(t);
  assert.equal((await csms.call('SetChargingProfile', txDefault(31, [{ startPeriod: 0, limit: 16 }]))).result.status, 'Accepted');
  const watts = async () => (await csms.call('GetCompositeSchedule', { connectorId: 1, duration: 60, chargingRateUnit: 'W' }))
    .result.chargingSchedule.chargingSchedulePeriod[0].limit;
  assert.equal(await watts(), 16 * 230 * 3, '230 V by default');
  await cp.cpctlOk('config', 'set', 'NominalVoltage', '240');
  assert.equal(await watts(), 16 * 240 * 3, 'the UK supply');
  const bad = await cp.cpctl('config', 'set', 'NominalVoltage', '1000');
  assert.equal(bad.code, 1);
  assert.equal((await csms.call('ChangeConfiguration', { key: 'NominalVoltage', value: '120' })).result.status, 'Rejected');
});

test('smartcharging actor restarted mid-session: it resynchronises before it offers — never the default above the TxProfile; Power Boost kept', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await cp.cpctlOk('plug', '1');
  await cp.cpctlOk('swipe', 'SC-RESYNC');
  await cp.cpctlOk('ev', '1', 'charge');
  const s = await cp.waitStatus((x) => c1(x).transaction?.id != null && c1(x).status === 'Charging', 15000, 'charging');
  const profile = { connectorId: 1, csChargingProfiles: {
    chargingProfileId: 41, stackLevel: 1, chargingProfilePurpose: 'TxProfile', chargingProfileKind: 'Relative',
    transactionId: c1(s).transaction.id,
    chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 8 }] } } };
  assert.equal((await csms.call('SetChargingProfile', profile)).result.status, 'Accepted');
  await cp.waitStatus((x) => c1(x).limitA === 8, 10000, 'the TxProfile holds the car at 8 A');
  const restartTwice = async (what) => {
    const before = cp.logs().length;
    for (let i = 0; i < 2; i++) {
      const restarts = (await cp.status()).actors.find((a) => a.name === 'smartcharging').restarts;
      await cp.cpctlOk('actor', 'kill', 'smartcharging');
      await cp.waitStatus((x) => x.actors.find((a) => a.name === 'smartcharging')?.restarts === restarts + 1
        && x.actors.find((a) => a.name === 'smartcharging')?.state === 'running', 15000, 'smartcharging restarted');
      await cp.waitStatus((x) => c1(x).limitA === 8, 10000, `still 8 A after the restart (${what})`);
    }
    // The hw actor logs every offer it is asked for: none above the TxProfile, not even for a moment.
    const offers = [...cp.logs().slice(before).matchAll(/connector 1: offer ([\d.]+)/g)].map((m) => Number(m[1]));
    assert.ok(offers.length >= 1, 'the restarted actor offers again');
    assert.ok(offers.every((a) => a === 8), `only the TxProfile's 8 A is offered across the restarts (${what}): ${offers}`);
  };
  await restartTwice('TxProfile');
  // With Power Boost on, a restart waits for the meter too instead of offering its fallback.
  await cp.cpctlOk('config', 'set', 'PowerBoostMainFuse', '25');
  await cp.cpctlOk('grid', '5');
  await cp.cpctlOk('config', 'set', 'PowerBoostEnabled', 'true');
  await restartTwice('TxProfile under Power Boost');
  await cp.cpctlOk('grid', '20');
  await cp.waitStatus((x) => c1(x).limitA === 5 && c1(x).limitSource === 'powerboost', 10000, 'Power Boost: 5 A left');
});
