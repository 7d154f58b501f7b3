// board.test.mjs — the simulated power board as a process of its own (issue 13).
//
// Why it exists: on a real charger the power board (contactor, pilot, meter, RCD) is a separate
// computer that outlives the Linux controller. These tests kill the controller for real (SIGKILL,
// and a SIGSEGV raised by `cpctl actor crash`) and check what the board does on its own — its
// watchdog opens the contactor within 500 ms, the car and the meter register stay — that the
// restarted controller carries the session on (or ends it with EVDisconnected when the car left
// meanwhile; resume.h), and that a real fault in one actor of `--split` loses and duplicates
// nothing. They print the figures the issue asks for: crash → BootNotification.conf, crash →
// charging again, contactor-open time, board-link round trip.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildDir } from './lib/controller.mjs';
import {
  startPair, waitBooted, statusNotification, actor, connector, isCallIn,
} from './lib/harness.mjs';

const HERE = import.meta.url;
const tx = (s) => connector(s, 1)?.transaction ?? null;
const calls = (csms, action, since = 0) => csms.frames.slice(since).filter((f) => isCallIn(f, action));
const bootConf = (csms, since) => csms.frames.slice(since).find((f) => f.dir === 'out' && f.msg?.[0] === 3
  && csms.frames.slice(since).some((c) => isCallIn(c, 'BootNotification') && c.msg[1] === f.msg[1]));

// `chargepoint-simboard --state-dir DIR ...`: what a person at the charger (or a test) does to the
// board while no controller runs.
function board(cp, ...args) {
  return execFileSync(path.join(buildDir(), 'chargepoint-simboard'), ['--state-dir', cp.stateDir, ...args],
    { encoding: 'utf8', timeout: 10000 });
}
const boardState = (cp) => JSON.parse(board(cp, 'state'));
const boardLog = (cp) => fs.readFileSync(path.join(cp.stateDir, 'board.log'), 'utf8');

async function waitFor(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
}

async function chargingSession(t, tag, cpOptions = {}) {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootInterval: 300 }, cp: cpOptions });
  // The board outlives the controller by design: make sure none is left behind.
  t.after(() => { try { board(cp, 'power-down'); } catch { /* already down */ } });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 20000);
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  await cp.cpctlOk('swipe', tag);
  const start = await csms.waitFor('StartTransaction', 20000, since);
  await cp.cpctlOk('ev', '1', 'charge');
  const s = await cp.waitStatus((x) => tx(x)?.id != null && connector(x, 1).contactor === true
    && connector(x, 1).powerW > 0, 20000, 'transaction confirmed and charging');
  return { csms, cp, txId: tx(s).id, since, start };
}

test('cpctl status shows the board link; the board keeps the car and the meter when the controller is killed, '
  + 'and its watchdog opens the contactor within 500 ms', async (t) => {
  const { csms, cp } = await chargingSession(t, 'TAG-BOARD1');
  const s = await cp.status();
  assert.equal(s.board?.link, 'up');
  assert.match(s.board.bootId, /^[0-9a-f]{8}$/);
  assert.equal(s.board.petRead, true, 'the simulated board offers PET_READ');
  console.log(`# figure: board-link round trip ${s.board.rttUs} µs`);
  assert.equal(boardState(cp).connectors[0].contactor, true, 'the board reports the contactor closed');

  const back = csms.mark();
  const killedAt = Date.now();
  await cp.kill9();
  const line = await waitFor(() => boardLog(cp).split('\n').find((l) => /watchdog: no pet .* contactor 1 opened/.test(l)),
    3000, 'the board logs that its watchdog opened contactor 1');
  const openedAt = Number(/opened at wall (\d+) ms/.exec(line)[1]);
  const openMs = openedAt - killedAt;
  console.log(`# figure: contactor open ${openMs} ms after the controller died`);
  assert.ok(openMs <= 500, `the contactor opened ${openMs} ms after the controller died (≤ 500 ms)`);
  const after = boardState(cp);
  assert.equal(after.connectors[0].contactor, false);
  assert.equal(after.connectors[0].plugged, true, 'the car is still plugged in: the board kept it');
  assert.ok(after.connectors[0].energyWh > 0, 'and the meter its register');

  const restartAt = Date.now();
  await cp.restart();
  const conf = await waitFor(() => bootConf(csms, back), 20000, 'BootNotification.conf after the restart');
  console.log(`# figure: SIGKILL → BootNotification.conf ${conf.t - killedAt} ms (${conf.t - restartAt} ms from the restart)`);
  const s2 = await cp.waitStatus((x) => x.board?.link === 'up' && x.board.continuous === true, 10000,
    'linked again to the same, continuous board');
  assert.equal(s2.board.bootId, s.board.bootId, 'the same board: it never restarted');
  assert.equal(connector(s2, 1).plugged, true, 'the restarted controller sees the car still plugged');

  // The board goes away under a running controller: status says so.
  board(cp, 'power-down');
  await cp.waitStatus((x) => x.board?.link === 'down', 5000, 'cpctl status shows the board link down');
});

test('an idle charger rests the board (PET_REST): a car plugged at rest is announced by the board (NOTICE) '
  + 'and reaches the central system; with the car there the watchdog is fed again', async (t) => {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootInterval: 300 } });
  t.after(() => { try { board(cp, 'power-down'); } catch { /* already down */ } });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 20000);
  const idle = await cp.waitStatus((x) => x.board?.resting === true, 10000, 'the safety actor rests the board');
  assert.equal(idle.board.rest, true, 'the simulated board offers PET_REST');
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await csms.waitFor(statusNotification(1, 'Preparing'), 20000, since);
  const plugged = await cp.waitStatus((x) => x.board?.resting === false, 10000,
    'a car is there: the watchdog is fed, not rested');
  assert.ok(plugged.board.notices > idle.board.notices,
    `the board announced the car (notices ${idle.board.notices} → ${plugged.board.notices})`);
  const since2 = csms.mark();
  await cp.cpctlOk('unplug', '1');
  await csms.waitFor(statusNotification(1, 'Available'), 20000, since2);
  await cp.waitStatus((x) => x.board?.resting === true, 10000, 'idle again: resting again');
});

test('a board without PET_READ (older firmware) gets PET and READ apart: the controller links, charges, '
  + 'and a fault opens the contactor and is reported as before', async (t) => {
  // The board first, as a charger maker's older one: the controller finds it running.
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chargepointd-oldboard-'));
  const log = fs.openSync(path.join(stateDir, 'board.log'), 'a');
  spawn(path.join(buildDir(), 'chargepoint-simboard'), ['--state-dir', stateDir, '--connectors', '1',
    '--without-pet-read'], { stdio: ['ignore', log, log], detached: true }).unref();
  fs.closeSync(log);
  const probe = { stateDir };
  await waitFor(() => { try { return boardState(probe); } catch { return null; } }, 5000, 'the old board answers');
  const { csms, cp } = await chargingSession(t, 'TAG-OLDBOARD', { stateDir });
  // After the controller's own hooks (they stop it; its stop powers the board down).
  t.after(() => fs.rmSync(stateDir, { recursive: true, force: true }));
  const s = await cp.status();
  assert.equal(s.board?.link, 'up');
  assert.equal(s.board.petRead, false, 'the old board does not offer PET_READ');
  assert.equal(s.board.rest, false, 'nor PET_REST: it is fed at every tick');
  const since = csms.mark();
  await cp.cpctlOk('fault', '1', 'rcd');
  await cp.waitStatus((x) => connector(x, 1)?.contactor === false, 5000, 'the contactor opens on the rcd fault');
  const faulted = await csms.waitFor(statusNotification(1, 'Faulted'), 20000, since);
  assert.equal(faulted.msg[3].errorCode, 'GroundFailure');
  assert.doesNotMatch(boardLog(cp), /watchdog: no pet/, 'the old board was petted all along');
});

test('one process: cpctl actor crash raises a real SIGSEGV and the controller dies by it; '
  + 'restarted, the car still plugged, the session goes on under the same transaction', async (t) => {
  const { csms, cp, txId, since, start } = await chargingSession(t, 'TAG-SEGV');
  await cp.cpctlOk('config', 'set', 'MeterValueSampleInterval', '1');   // MeterValues to watch
  await cp.waitStatus((x) => connector(x, 1).energyWh >= start.msg[3].meterStart + 5, 20000, 'some energy');
  const back = csms.mark();
  const crashedAt = Date.now();
  // cpctl may wait out its timeout for an answer the dying controller never sends: the crash is
  // followed by the process's death, not by cpctl's exit (or the figure below would time cpctl).
  const asked = cp.cpctl('actor', 'crash', 'transaction');
  const exit = await Promise.race([cp.exited, sleep(10000, null, { ref: false })]);
  assert.ok(exit, 'the controller died');
  assert.equal(exit.signal, 'SIGSEGV', 'by the signal raised in the actor\'s thread');
  assert.match(cp.logs(), /transaction .*crashing by fault injection \(SIGSEGV\)/);
  const energyAtCrash = boardState(cp).connectors[0].energyWh;
  await cp.restart();
  const conf = await waitFor(() => bootConf(csms, back), 20000, 'BootNotification.conf after the restart');
  console.log(`# figure: SIGSEGV → BootNotification.conf ${conf.t - crashedAt} ms`);
  const r = await asked;
  assert.ok(r.code === 0 || r.code === 3, `cpctl: ${r.stderr}`);
  const s = await cp.waitStatus((x) => tx(x)?.id === txId && connector(x, 1).contactor === true
    && connector(x, 1).energyWh > energyAtCrash + 1, 30000, 'the same transaction charges again');
  console.log(`# figure: SIGSEGV → charging again ${Date.now() - crashedAt} ms`);
  await csms.waitFor((f) => isCallIn(f, 'MeterValues') && f.msg[3].transactionId === txId, 20000, back);
  assert.equal(calls(csms, 'StopTransaction', since).length, 0, 'no StopTransaction for the crash');
  const stopMark = csms.mark();
  await cp.cpctlOk('swipe', 'TAG-SEGV');
  const stop = await csms.waitFor('StopTransaction', 20000, stopMark);
  assert.equal(stop.msg[3].transactionId, txId);
  assert.ok(stop.msg[3].meterStop >= Math.floor(connector(s, 1).energyWh), 'energy before and after the crash is billed');
  await sleep(2000);  // a duplicate would show up now
  assert.equal(calls(csms, 'StopTransaction', since).length, 1, 'exactly one StopTransaction');
  assert.equal(calls(csms, 'StartTransaction', since).length, 1, 'exactly one StartTransaction');
});

test('the car leaves while the controller is dead: restarted, the session ends with EVDisconnected at the '
  + 'register the board recorded when it left', async (t) => {
  const { csms, cp, txId, since, start } = await chargingSession(t, 'TAG-LEFT');
  await cp.waitStatus((x) => connector(x, 1).energyWh >= start.msg[3].meterStart + 5, 20000, 'some energy');
  await cp.kill9();
  await waitFor(() => /controller link down/.test(boardLog(cp)), 3000, 'the board noticed the controller is gone');
  board(cp, 'sim', '1', 'unplug');
  const left = boardState(cp).connectors[0];
  assert.equal(left.leftAway, true, 'the board recorded that the car left while no controller was linked');
  assert.equal(left.plugged, false);
  const back = csms.mark();
  await cp.restart();
  const stop = await csms.waitFor('StopTransaction', 30000, back);
  assert.equal(stop.msg[3].transactionId, txId);
  assert.equal(stop.msg[3].reason, 'EVDisconnected');
  assert.equal(stop.msg[3].meterStop, Math.floor(left.leftWh), 'meterStop is the register the instant the car left');
  assert.match(cp.logs(), /the car left while no controller was linked/);
  await cp.waitStatus((x) => tx(x) === null && connector(x, 1).status === 'Available', 20000, 'Available again');
  await sleep(1500);  // a duplicate would show up now
  assert.equal(calls(csms, 'StopTransaction', since).length, 1, 'exactly one StopTransaction');
  assert.equal(calls(csms, 'StartTransaction', since).length, 1, 'exactly one StartTransaction');
});

test('--split: cpctl actor crash of every actor with a session running — each process is restarted, '
  + 'nothing is lost or duplicated', async (t) => {
  const { csms, cp, txId, since } = await chargingSession(t, 'TAG-SPLIT', { extraArgs: ['--split'] });
  await cp.cpctlOk('config', 'set', 'MeterValueSampleInterval', '1');   // MeterValues across the crashes
  // Every actor the supervisor runs, read from status: an actor added later is crashed here too.
  const names = (await cp.status()).actors.map((a) => a.name);
  for (const core of ['safety', 'config', 'auth', 'hw', 'transaction', 'smartcharging', 'metering', 'hmi',
    'firmware', 'security', 'ocpp']) assert.ok(names.includes(core), `status lists ${core}`);
  let energy = 0;
  for (const name of names) {
    const before = actor(await cp.status(), name)?.restarts ?? 0;
    const r = await cp.cpctl('actor', 'crash', name);
    assert.equal(r.code, 0, `cpctl actor crash ${name}: ${r.stderr}`);
    await cp.waitStatus((s) => actor(s, name)?.restarts >= before + 1
      && s.actors.every((a) => a.state === 'running'), 20000, `${name} restarted after its crash`);
    assert.equal(cp.running, true, `the controller survives the crash of ${name}`);
    const s = await cp.status();
    assert.equal(tx(s)?.id, txId, `after ${name}: the transaction is still open`);
    energy = connector(s, 1).energyWh;
    // Within 8 s: a crash that takes the hw process down for longer than the board's watchdog
    // (safety, a thread of it) leaves the contactor open, and the transaction actor must close
    // it again once its command's grace has passed, not at the hw actor's 10 s refresh.
    await cp.waitStatus((x) => tx(x)?.id === txId && connector(x, 1).contactor === true
      && connector(x, 1).energyWh > energy, 8000, `after ${name}: energy still flows`);
  }
  assert.match(cp.logs(), /actor hw killed by signal 11/);
  const mvMark = csms.mark();
  await csms.waitFor((f) => isCallIn(f, 'MeterValues') && f.msg[3].transactionId === txId, 20000, mvMark);
  await cp.cpctlOk('swipe', 'TAG-SPLIT');
  const stop = await csms.waitFor('StopTransaction', 20000, since);
  await sleep(2000);
  assert.equal(calls(csms, 'StartTransaction', since).length, 1, 'exactly one StartTransaction');
  assert.equal(calls(csms, 'StopTransaction', since).length, 1, 'exactly one StopTransaction');
  assert.equal(stop.msg[3].transactionId, txId);
  assert.ok(stop.msg[3].meterStop >= Math.floor(energy), `meterStop ${stop.msg[3].meterStop} bills the energy `
    + `charged across the crashes (${energy} Wh seen)`);
  const mvs = calls(csms, 'MeterValues', since).filter((f) => f.msg[3].transactionId !== undefined);
  assert.ok(mvs.length > 0, 'transaction MeterValues reached the central system');
  assert.deepEqual(mvs.filter((f) => f.msg[3].transactionId !== txId).map((f) => f.msg[3].transactionId), [],
    'every transaction MeterValues names the transaction');
  const stamps = mvs.map((f) => JSON.stringify(f.msg[3].meterValue));
  assert.equal(new Set(stamps).size, stamps.length, 'no MeterValues delivered twice');
});
