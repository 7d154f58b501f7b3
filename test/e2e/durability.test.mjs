// durability.test.mjs — no transaction data is ever lost (OCPP 1.6 §4.8/§4.10 and §3.x on
// offline behaviour and transaction-related message retries; the durable outbox of
// ../shared/architecture.md; lessons.md on offline ids, redelivery after reboot and
// Available-before-Unavailable at boot).
//
// Why it exists: StartTransaction, StopTransaction and transaction MeterValues are billing
// data. They must survive a central system that is down, one that answers CALLERROR, and a
// controller killed with SIGKILL; they must arrive exactly once, in order, with the
// transactionId from StartTransaction.conf (never a placeholder such as -1). A controller
// killed mid-session leaves the car with the board and the session goes on; a power cut that
// takes the board too ends it with PowerLoss. Availability set by the operator must survive a
// restart too.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  startPair, waitBooted, statusNotification, isCallIn, connector, isConnected,
} from './lib/harness.mjs';

const HERE = import.meta.url;

async function bootedPair(t, options = {}) {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootInterval: 300, ...(options.csms ?? {}) }, cp: options.cp ?? {} });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 20000);
  return { csms, cp };
}

function answerTo(csms, frame) {
  return csms.frames.find((f) => f.dir === 'out' && Array.isArray(f.msg) && f.msg[0] !== 2 && f.msg[1] === frame.msg[1]);
}

const tx = (s) => connector(s, 1)?.transaction ?? null;
const callFrames = (csms, action, since = 0) => csms.frames.slice(since).filter((f) => isCallIn(f, action));

async function setConfig(cp, key, value) {
  await cp.cpctlOk('config', 'set', key, String(value));
}

async function runningSession(csms, cp, tag, since) {
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  await cp.cpctlOk('swipe', tag);
  const start = await csms.waitFor('StartTransaction', 20000, since);
  await cp.waitStatus((s) => tx(s)?.id != null && connector(s, 1).contactor === true, 20000, 'transaction confirmed, contactor closed');
  return { start, txId: answerTo(csms, start).msg[2].transactionId };
}

async function waitUntil(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(20);
  }
}

// The outbox's log line for a transaction message committed to the store (outbox.c): the
// message is durable and waits for delivery from then on.
const QUEUED = (action) => new RegExp(`\\boutbox\\s+queued ${action} #`);

async function takeOffline(csms, cp) {
  await csms.stop();
  await cp.waitStatus((s) => !isConnected(s), 20000, 'the controller notices the central system is gone');
}

// ---------------------------------------------------------------- availability

test('ChangeAvailability Inoperative persists across a restart, with no Available flash first', async (t) => {
  const { csms, cp } = await bootedPair(t);
  assert.equal((await csms.call('ChangeAvailability', { connectorId: 1, type: 'Inoperative' })).result.status, 'Accepted');
  await csms.waitFor(statusNotification(1, 'Unavailable'), 20000);

  const since = csms.mark();
  await cp.restart();
  await csms.waitFor('BootNotification', 30000, since);
  await csms.waitFor(statusNotification(1, 'Unavailable'), 20000, since);
  const s = await cp.waitStatus((x) => connector(x, 1).status === 'Unavailable', 20000, 'Unavailable after the restart');
  assert.equal(tx(s), null);
  await sleep(500);
  const sn1 = callFrames(csms, 'StatusNotification', since).filter((f) => f.msg[3].connectorId === 1).map((f) => f.msg[3].status);
  assert.deepEqual(sn1, ['Unavailable'], `connector 1 after the restart: ${sn1} (lessons: no Available before Unavailable)`);

  // Operative is persisted too.
  assert.equal((await csms.call('ChangeAvailability', { connectorId: 1, type: 'Operative' })).result.status, 'Accepted');
  await csms.waitFor(statusNotification(1, 'Available'), 20000, since);
  const again = csms.mark();
  await cp.restart();
  await csms.waitFor('BootNotification', 30000, again);
  await csms.waitFor(statusNotification(1, 'Available'), 20000, again);
  await sleep(500);
  const after = callFrames(csms, 'StatusNotification', again).filter((f) => f.msg[3].connectorId === 1).map((f) => f.msg[3].status);
  assert.deepEqual(after, ['Available']);
});

test('ChangeAvailability of connector 0 persists across a restart', async (t) => {
  const { csms, cp } = await bootedPair(t);
  assert.equal((await csms.call('ChangeAvailability', { connectorId: 0, type: 'Inoperative' })).result.status, 'Accepted');
  await csms.waitFor(statusNotification(1, 'Unavailable'), 20000);
  const since = csms.mark();
  await cp.restart();
  await csms.waitFor('BootNotification', 30000, since);
  await csms.waitFor(statusNotification(0, 'Unavailable'), 20000, since);
  await csms.waitFor(statusNotification(1, 'Unavailable'), 20000, since);
  await sleep(500);
  const flashes = callFrames(csms, 'StatusNotification', since).filter((f) => f.msg[3].status === 'Available');
  assert.deepEqual(flashes.map((f) => f.msg[3]), [], 'no Available for an Inoperative charger after the restart');
});

// ---------------------------------------------------------------- offline

test('offline session: starts, charges and stops while the CSMS is down; delivered in order with the real id', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'AllowOfflineTxForUnknownId', 'true');
  await takeOffline(csms, cp);
  const since = csms.mark();

  await cp.cpctlOk('plug', '1');
  await cp.cpctlOk('swipe', 'TAG-OFFLINE');
  let s = await cp.waitStatus((x) => tx(x) !== null && connector(x, 1).contactor === true, 20000,
    'transaction started locally while offline');
  assert.equal(tx(s).id, null, 'no CSMS id while unconfirmed');
  assert.equal(tx(s).idTag, 'TAG-OFFLINE');
  const meterStart = tx(s).meterStart;
  await cp.cpctlOk('ev', '1', 'charge');
  s = await cp.waitStatus((x) => connector(x, 1).energyWh >= meterStart + 5, 20000, 'energy flowing offline');
  assert.equal(connector(s, 1).status, 'Charging');
  const stopLog = cp.logMark();
  await cp.cpctlOk('swipe', 'TAG-OFFLINE');
  s = await cp.waitStatus((x) => tx(x) === null && connector(x, 1).contactor === false, 20000, 'stopped offline');
  const energyAtStop = connector(s, 1).energyWh;
  await cp.cpctlOk('unplug', '1');
  await cp.waitLog(QUEUED('StopTransaction'), 20000, stopLog);  // the StopTransaction is queued while still offline

  csms.nextTransactionId = 9001;
  await csms.start();  // same port
  const stop = await csms.waitFor('StopTransaction', 60000, since);
  await sleep(1500);   // anything sent twice would show up now

  const starts = callFrames(csms, 'StartTransaction', since);
  const stops = callFrames(csms, 'StopTransaction', since);
  assert.equal(starts.length, 1, 'one StartTransaction');
  assert.equal(stops.length, 1, 'one StopTransaction');
  assert.ok(csms.frames.indexOf(starts[0]) < csms.frames.indexOf(stop), 'StartTransaction before StopTransaction');
  const sp = starts[0].msg[3];
  assert.equal(sp.idTag, 'TAG-OFFLINE');
  assert.equal(sp.connectorId, 1);
  assert.equal(sp.meterStart, meterStart);
  const txId = answerTo(csms, starts[0]).msg[2].transactionId;
  assert.equal(txId, 9001);
  const st = stop.msg[3];
  assert.equal(st.transactionId, txId, `StopTransaction carries the id from StartTransaction.conf, not a placeholder: ${JSON.stringify(st)}`);
  assert.equal(st.reason, 'Local');
  assert.equal(st.idTag, 'TAG-OFFLINE');
  assert.ok(st.meterStop >= sp.meterStart + 5 && st.meterStop <= energyAtStop, `meterStop ${st.meterStop}`);
  assert.ok(Date.parse(st.timestamp) >= Date.parse(sp.timestamp));
  assert.ok(Date.parse(sp.timestamp) < csms.connections.at(-1).t, 'the start keeps its offline timestamp');
  for (const f of callFrames(csms, 'MeterValues', since)) {
    if (f.msg[3].transactionId !== undefined) assert.equal(f.msg[3].transactionId, txId, 'MeterValues carry the real id');
  }
});

test('offline: queued transaction MeterValues are delivered with the real transactionId (never -1)', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'AllowOfflineTxForUnknownId', 'true');
  await setConfig(cp, 'MeterValueSampleInterval', 1);
  await takeOffline(csms, cp);
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await cp.cpctlOk('swipe', 'TAG-OFFMV');
  await cp.waitStatus((x) => tx(x) !== null, 20000, 'transaction started offline');
  const chargeLog = cp.logMark();
  await cp.cpctlOk('ev', '1', 'charge');
  await cp.waitLogLines(QUEUED('MeterValues'), 2, 20000, chargeLog);  // a few sample intervals while offline
  const stopLog = cp.logMark();
  await cp.cpctlOk('swipe', 'TAG-OFFMV');
  await cp.waitStatus((x) => tx(x) === null, 20000, 'stopped offline');
  await cp.waitLog(QUEUED('StopTransaction'), 20000, stopLog);

  csms.nextTransactionId = 777;
  await csms.start();
  const stop = await csms.waitFor('StopTransaction', 60000, since);
  await sleep(1000);
  const start = callFrames(csms, 'StartTransaction', since);
  assert.equal(start.length, 1);
  assert.equal(answerTo(csms, start[0]).msg[2].transactionId, 777);
  const mvs = callFrames(csms, 'MeterValues', since).filter((f) => f.msg[3].transactionId !== undefined);
  assert.ok(mvs.length >= 2, `transaction MeterValues queued offline were delivered:\n${csms.describeFrames(since)}`);
  for (const f of mvs) {
    assert.equal(f.msg[3].transactionId, 777, `MeterValues ${JSON.stringify(f.msg[3]).slice(0, 200)}`);
    const i = csms.frames.indexOf(f);
    assert.ok(i > csms.frames.indexOf(start[0]) && i < csms.frames.indexOf(stop), 'in order: start, meter values, stop');
  }
  assert.equal(stop.msg[3].transactionId, 777);
  assert.equal(callFrames(csms, 'StopTransaction', since).length, 1);
});

test('online start, CSMS down mid-session, offline stop: StopTransaction delivered with the id after reconnect', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  const { start, txId } = await runningSession(csms, cp, 'TAG-MIDDROP', since);
  await cp.cpctlOk('ev', '1', 'charge');
  await csms.waitFor(statusNotification(1, 'Charging'), 20000, since);
  await takeOffline(csms, cp);
  let s = await cp.waitStatus((x) => connector(x, 1).energyWh >= start.msg[3].meterStart + 5, 20000, 'charging goes on offline');
  assert.equal(tx(s).id, txId, 'the transaction keeps its id offline');
  const stopLog = cp.logMark();
  await cp.cpctlOk('swipe', 'TAG-MIDDROP');  // the tag that started it stops it, no central system needed
  s = await cp.waitStatus((x) => tx(x) === null, 20000, 'stopped offline');
  await cp.waitLog(QUEUED('StopTransaction'), 20000, stopLog);

  const back = csms.mark();
  await csms.start();
  const stop = await csms.waitFor('StopTransaction', 60000, back);
  assert.equal(stop.msg[3].transactionId, txId);
  assert.equal(stop.msg[3].reason, 'Local');
  assert.ok(stop.msg[3].meterStop >= start.msg[3].meterStart + 5);
  await sleep(1000);
  assert.equal(csms.received('StopTransaction').length, 1);
  assert.equal(csms.received('StartTransaction').length, 1, 'the acknowledged start is not sent again');
});

// ---------------------------------------------------------------- retries

test('StopTransaction answered CALLERROR twice: retried, then delivered once accepted', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'TransactionMessageAttempts', 5);
  await setConfig(cp, 'TransactionMessageRetryInterval', 1);
  const since = csms.mark();
  const { txId } = await runningSession(csms, cp, 'TAG-RETRY', since);

  let refusals = 0;
  csms.handle('StopTransaction', () => {
    refusals += 1;
    if (refusals >= 2) csms.handle('StopTransaction', null);  // the next attempt gets the default answer
    return { error: { code: 'InternalError', description: 'try again' } };
  });
  await cp.cpctlOk('swipe', 'TAG-RETRY');
  const stops = await csms.waitForCalls('StopTransaction', 3, 30000, since);
  const accepted = answerTo(csms, stops[2]);
  assert.equal(accepted?.msg?.[0], 3, 'the third attempt was answered with a CALLRESULT');
  await sleep(3000);  // longer than the next retry would take
  const all = callFrames(csms, 'StopTransaction', since);
  assert.equal(all.length, 3, `two refusals + one success, nothing after:\n${csms.describeFrames(since)}`);
  for (const f of all) {
    assert.equal(f.msg[3].transactionId, txId);
    assert.deepEqual(f.msg[3], all[0].msg[3], 'every attempt carries the same StopTransaction');
  }
  assert.equal(refusals, 2);
});

test('a StartTransaction answered after its MessageTimeout: the late answer is taken, no second StartTransaction', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'MessageTimeout', 2);
  await setConfig(cp, 'TransactionMessageRetryInterval', 6);
  let answered = 0;
  csms.handle('StartTransaction', async () => {
    await sleep(4000);                      // past MessageTimeout: the charge point gave up on the call
    answered += 1;
    return { transactionId: 4242, idTagInfo: { status: 'Accepted' } };
  });
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await cp.cpctlOk('swipe', 'TAG-LATE');
  await csms.waitFor('StartTransaction', 20000, since);
  await cp.waitStatus((s) => connector(s, 1).transaction?.id === 4242, 20000, 'the late answer gave the transaction its id');
  await sleep(8000);                        // past the retry interval: a resend would show up now
  assert.equal(callFrames(csms, 'StartTransaction', since).length, 1, 'exactly one StartTransaction');
  assert.equal(answered, 1);
  assert.match(cp.logs(), /answered late: taken, not sent again/);
});

test('StopTransaction refused TransactionMessageAttempts times: discarded, the queue moves on', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'TransactionMessageAttempts', 3);
  await setConfig(cp, 'TransactionMessageRetryInterval', 1);
  const since = csms.mark();
  const { txId } = await runningSession(csms, cp, 'TAG-GIVEUP', since);
  csms.handle('StopTransaction', () => ({ error: { code: 'InternalError', description: 'never' } }));
  await cp.cpctlOk('swipe', 'TAG-GIVEUP');
  await csms.waitForCalls('StopTransaction', 3, 30000, since);
  // Retries would come after 1 s × attempts; wait well past the next one.
  await sleep(5000);
  const refused = callFrames(csms, 'StopTransaction', since);
  assert.equal(refused.length, 3, `exactly TransactionMessageAttempts attempts:\n${csms.describeFrames(since)}`);
  for (const f of refused) assert.equal(f.msg[3].transactionId, txId);

  // The discarded message does not block the next session's messages.
  csms.handle('StopTransaction', null);
  await cp.cpctlOk('unplug', '1');
  await cp.waitStatus((s) => connector(s, 1).status === 'Available', 20000, 'Available');
  const next = csms.mark();
  const second = await runningSession(csms, cp, 'TAG-NEXT', next);
  await cp.cpctlOk('swipe', 'TAG-NEXT');
  const stop = await csms.waitFor('StopTransaction', 20000, next);
  assert.equal(stop.msg[3].transactionId, second.txId);
  await sleep(1000);
  assert.equal(callFrames(csms, 'StopTransaction', since).filter((f) => f.msg[3].transactionId === txId).length, 3,
    'the discarded StopTransaction is never sent again on its own');

  // ... but it is not lost: kept as a dead letter, counted, across a restart, and sent again on
  // request, with its transactionId and meter values intact.
  await cp.waitStatus((s) => s.outbox?.deadLetters === 1, 10000, 'one dead letter');
  await cp.restart();
  await waitBooted(cp);
  await cp.waitStatus((s) => s.outbox?.deadLetters === 1, 10000, 'the dead letter survives a restart');
  const again = csms.mark();
  const r = await cp.cpctl('outbox', 'retry');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout + r.stderr, /1 dead letter/);
  const resent = await csms.waitFor((f) => isCallIn(f, 'StopTransaction') && f.msg[3].transactionId === txId, 20000, again);
  assert.deepEqual(resent.msg[3], refused[0].msg[3], 'the same StopTransaction as refused');
  await cp.waitStatus((s) => s.outbox?.deadLetters === 0, 10000, 'no dead letter left');
});

// ---------------------------------------------------------------- kill -9

// The board is a process of its own (issue 13): a controller that dies leaves the car plugged, the
// cable locked and the meter counting until the board's watchdog opens the contactor (≤ 500 ms).
// The restarted controller reads the board and the session goes on; only a power cut that reaches
// the board too ends it, with PowerLoss (actors/transaction/resume.h).

async function chargingWithSamples(t, tag) {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'MeterValueSampleInterval', 1);  // readings get persisted while charging
  const since = csms.mark();
  const { start, txId } = await runningSession(csms, cp, tag, since);
  await cp.cpctlOk('ev', '1', 'charge');
  await csms.waitFor(statusNotification(1, 'Charging'), 20000, since);
  await cp.waitStatus((s) => connector(s, 1).energyWh >= start.msg[3].meterStart + 10, 20000, 'some energy delivered');
  return { csms, cp, since, start, txId };
}

test('kill -9, then a systemd restart (SIGTERM, start) mid-session: the car is still plugged, so the session goes '
  + 'on under the same transaction, and its one stop bills the board\'s register', async (t) => {
  const { csms, cp, since, start, txId } = await chargingWithSamples(t, 'TAG-GOON');
  const before = connector(await cp.status(), 1).energyWh;
  await cp.kill9();
  await csms.waitForDisconnection(20000);
  const back = csms.mark();
  await cp.restart();
  await waitBooted(cp, 30000);
  const s = await cp.waitStatus((x) => tx(x)?.id === txId && connector(x, 1).contactor === true
    && connector(x, 1).energyWh > before + 2, 30000, 'the same transaction charges again');
  assert.equal(connector(s, 1).status, 'Charging');
  const mv = await csms.waitFor((f) => isCallIn(f, 'MeterValues') && f.msg[3].transactionId === txId, 20000, back);
  assert.equal(mv.msg[3].connectorId, 1, 'MeterValues carry on for the same transaction');
  assert.match(cp.logs(), /transaction \d+ goes on after a controller restart/);
  assert.equal(callFrames(csms, 'StopTransaction', since).length, 0, 'no StopTransaction for the kill');
  assert.equal(callFrames(csms, 'StartTransaction', back).length, 0, 'and no second StartTransaction');

  // `systemctl restart`: SIGTERM (a clean stop, which powers the simulated board down after it
  // saved the car, the lock and the register), then a start. The session goes on again.
  const beforeTerm = connector(await cp.status(), 1).energyWh;
  const termMark = csms.mark();
  await cp.restart();
  await waitBooted(cp, 30000);
  const s2 = await cp.waitStatus((x) => tx(x)?.id === txId && connector(x, 1).contactor === true
    && connector(x, 1).energyWh > beforeTerm + 2, 30000, 'the same transaction charges again after SIGTERM and a start');
  await csms.waitFor((f) => isCallIn(f, 'MeterValues') && f.msg[3].transactionId === txId, 20000, termMark);
  assert.equal(callFrames(csms, 'StopTransaction', since).length, 0, 'no StopTransaction for the systemd restart');
  assert.equal(callFrames(csms, 'StartTransaction', back).length, 0, 'and no second StartTransaction');

  const stopMark = csms.mark();
  await cp.cpctlOk('swipe', 'TAG-GOON');
  const stop = await csms.waitFor('StopTransaction', 20000, stopMark);
  assert.equal(stop.msg[3].transactionId, txId);
  assert.equal(stop.msg[3].reason, 'Local');
  assert.ok(stop.msg[3].meterStop >= Math.floor(connector(s2, 1).energyWh), 'the stop bills the energy after both restarts');
  await cp.waitStatus((x) => tx(x) === null, 20000, 'stopped');
  await sleep(1500);  // a duplicate would show up now
  assert.equal(callFrames(csms, 'StopTransaction', since).length, 1, 'exactly one StopTransaction');
  assert.equal(callFrames(csms, 'StartTransaction', since).length, 1, 'exactly one StartTransaction');
  assert.ok(start.msg[3].meterStart <= stop.msg[3].meterStop);
});

test('a power cut mid-session (controller and board die): after restart the transaction is stopped with '
  + 'PowerLoss, exactly once', async (t) => {
  const { csms, cp, since, start, txId } = await chargingWithSamples(t, 'TAG-POWER');
  await cp.waitLog(QUEUED('MeterValues'), 20000, cp.logMark());  // at least one sample after that
  const seen = connector(await cp.status(), 1);
  const seenAt = Date.now();
  // The board's pid is in its lock file (chargepoint-simboard): the power cut takes both.
  const boardPid = Number(fs.readFileSync(path.join(cp.stateDir, 'board.lock'), 'utf8'));
  await cp.kill9();
  process.kill(boardPid, 'SIGKILL');
  const boardBound = seen.energyWh + (seen.powerW * (Date.now() - seenAt + 500)) / 3600000 + 1;
  await waitUntil(() => { try { process.kill(boardPid, 0); return false; } catch { return true; } }, 5000, 'the board is gone');
  await csms.waitForDisconnection(20000);
  const back = csms.mark();
  await cp.restart();
  const stop = await csms.waitFor('StopTransaction', 60000, back);
  const p = stop.msg[3];
  assert.equal(p.transactionId, txId);
  assert.equal(p.reason, 'PowerLoss');
  assert.ok(p.meterStop >= start.msg[3].meterStart, `meterStop ${p.meterStop} ≥ meterStart ${start.msg[3].meterStart}`);
  assert.ok(p.meterStop <= boardBound, `meterStop ${p.meterStop} ≤ the energy seen before the cut (${seen.energyWh}) `
    + `plus what flowed until the contactor opened (${boardBound.toFixed(1)})`);
  assert.match(cp.logs(), /the board lost power too/);
  await waitBooted(cp, 30000);
  await cp.waitStatus((s) => tx(s) === null, 20000, 'no open transaction after recovery');
  await sleep(1500);
  assert.equal(callFrames(csms, 'StopTransaction', since).length, 1, 'PowerLoss stop delivered exactly once');
  assert.equal(callFrames(csms, 'StartTransaction', back).length, 0, 'the acknowledged start is not sent again');

  // And a further clean restart sends nothing for that transaction again.
  const third = csms.mark();
  await cp.restart();
  await waitBooted(cp, 30000);
  await csms.waitFor(statusNotification(1), 20000, third);
  await sleep(1500);
  assert.equal(callFrames(csms, 'StopTransaction', third).length, 0, 'an acknowledged StopTransaction is never re-sent');
});

test('kill -9 right after StopTransaction was acknowledged: never sent again after the restart', async (t) => {
  const { csms, cp } = await bootedPair(t);
  const since = csms.mark();
  const { txId } = await runningSession(csms, cp, 'TAG-ACKED', since);
  const stopLog = cp.logMark();
  await cp.cpctlOk('swipe', 'TAG-ACKED');
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  await csms.waitFor((f) => f.dir === 'out' && f.msg?.[0] === 3 && f.msg[1] === stop.msg[1], 10000);
  // The controller has read the answer: the outbox let the message go.
  await cp.waitLog(/\boutbox\s+StopTransaction #\d+ \(tx \d+\) delivered/, 10000, stopLog);
  await cp.kill9();
  const back = csms.mark();
  await cp.restart();
  await waitBooted(cp, 30000);
  await csms.waitFor(statusNotification(1), 20000, back);
  await sleep(2000);
  const again = callFrames(csms, 'StopTransaction', back);
  assert.deepEqual(again.map((f) => f.msg[3]), [], `StopTransaction for ${txId} re-sent after the restart`);
  assert.equal(tx(await cp.status()), null);
});

test('kill -9 with an offline session queued: after restart both messages arrive exactly once, in order', async (t) => {
  const { csms, cp } = await bootedPair(t);
  await setConfig(cp, 'AllowOfflineTxForUnknownId', 'true');
  await takeOffline(csms, cp);
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await cp.cpctlOk('swipe', 'TAG-QUEUED');
  const s = await cp.waitStatus((x) => tx(x) !== null, 20000, 'transaction started offline');
  const meterStart = tx(s).meterStart;
  await cp.cpctlOk('ev', '1', 'charge');
  await cp.waitStatus((x) => connector(x, 1).energyWh >= meterStart + 5, 20000, 'energy flowing');
  const stopLog = cp.logMark();
  await cp.cpctlOk('swipe', 'TAG-QUEUED');
  await cp.waitStatus((x) => tx(x) === null, 20000, 'stopped offline');
  await cp.waitLog(QUEUED('StopTransaction'), 20000, stopLog);  // StopTransaction queued

  await cp.kill9();
  csms.nextTransactionId = 4242;
  await csms.start();
  await cp.restart();
  const stop = await csms.waitFor('StopTransaction', 60000, since);
  await sleep(2000);
  const starts = callFrames(csms, 'StartTransaction', since);
  const stops = callFrames(csms, 'StopTransaction', since);
  assert.equal(starts.length, 1, 'StartTransaction exactly once');
  assert.equal(stops.length, 1, 'StopTransaction exactly once');
  assert.ok(csms.frames.indexOf(starts[0]) < csms.frames.indexOf(stop));
  assert.equal(starts[0].msg[3].idTag, 'TAG-QUEUED');
  assert.equal(starts[0].msg[3].meterStart, meterStart);
  assert.equal(stop.msg[3].transactionId, 4242);
  assert.equal(stop.msg[3].reason, 'Local', 'a session stopped before the kill keeps its own reason');
  assert.ok(stop.msg[3].meterStop >= meterStart + 5);
});
