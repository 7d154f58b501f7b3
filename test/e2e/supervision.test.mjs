// supervision.test.mjs — the supervision policy, the supervisor's limits and the durable
// store's guard rails.
//
// Why it exists: restarting a faulted actor is only safe with limits (docs/architecture.md,
// "Supervision"): unrelated faults must never add up to stopping the cars, one actor in a crash
// loop must escalate (exit non-zero, so systemd restarts the controller from the durable store,
// losing nothing), a dead HMI must degrade instead of stopping charging, and a pause of the
// whole process must not look like every actor hanging. Also: the bus must work over ipc:// as
// well as inproc:// with no code change; a corrupt state database must stop the start-up
// instead of silently losing billing data; and a secret set by the central system must never
// reach the log.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, runChargepointd } from './lib/controller.mjs';
import {
  artifactName, startPair, waitBooted, statusNotification, actor, connector, isCallIn, freePort,
} from './lib/harness.mjs';

const HERE = import.meta.url;

const tx = (s) => connector(s, 1)?.transaction ?? null;
const service = (s, name) => (s?.services ?? []).find((a) => a.name === name);
const calls = (csms, action, since = 0) => csms.frames.slice(since).filter((f) => isCallIn(f, action));

// A booted pair with a confirmed session charging on connector 1. Resolves the pair, the
// transactionId and the frame index where the session began.
async function chargingSession(t, tag, cpOptions = {}) {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootInterval: 300 }, cp: cpOptions });
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
  assert.equal(tx(s).idTag, tag);
  return { csms, cp, txId: tx(s).id, since, start };
}

// Kill `name` and wait until it runs again with one more restart.
async function killAndWaitBack(cp, name, timeoutMs = 20000) {
  const before = actor(await cp.status(), name)?.restarts ?? 0;
  const r = await cp.cpctl('actor', 'kill', name);
  assert.equal(r.code, 0, `cpctl actor kill ${name}: ${r.stderr}`);
  await cp.waitStatus((s) => actor(s, name)?.restarts === before + 1 && actor(s, name)?.state === 'running',
    timeoutMs, `${name} running again after ${before + 1} restart(s)`);
}

// The session goes on: still the same open transaction, and energy still flows.
async function assertSessionGoesOn(cp, txId, what) {
  const s = await cp.status();
  assert.equal(tx(s)?.id, txId, `${what}: the transaction is still open`);
  const energy = connector(s, 1).energyWh;
  await cp.waitStatus((x) => tx(x)?.id === txId && connector(x, 1).energyWh > energy, 20000,
    `${what}: energy still flows into transaction ${txId}`);
}

test('six different actors killed once each, a few seconds apart, with a session running: no escalation', async (t) => {
  const { csms, cp, txId, since } = await chargingSession(t, 'TAG-SIX');
  // Default limits: 5 restarts per actor, 20 for all together, in 60 s. The old single
  // window of 5 escalated at the sixth fault, whichever actors they hit.
  for (const name of ['transaction', 'ocpp', 'hw', 'metering', 'smartcharging', 'auth']) {
    await killAndWaitBack(cp, name);
    assert.equal(cp.running, true, `still running after ${name} was killed`);
    await sleep(2000);  // a few seconds apart, as in the field
  }
  assert.equal(cp.running, true, 'no escalation');
  assert.doesNotMatch(cp.logs(), /escalat/i);
  await assertSessionGoesOn(cp, txId, 'after six faults');
  const stopSince = csms.mark();
  await cp.cpctlOk('swipe', 'TAG-SIX');
  const stop = await csms.waitFor('StopTransaction', 20000, stopSince);
  assert.equal(stop.msg[3].transactionId, txId);
  await sleep(1500);  // nothing more may follow
  assert.equal(calls(csms, 'StartTransaction', since).length, 1, 'exactly one StartTransaction');
  assert.equal(calls(csms, 'StopTransaction', since).length, 1, 'exactly one StopTransaction, ours');
});

test('a crash loop of one actor escalates with exit 1; restarted on the same state dir, nothing is lost', async (t) => {
  const { csms, cp, txId, since } = await chargingSession(t, 'TAG-LOOP', {
    extraArgs: ['--restart-intensity', '3', '--restart-period', '60'],
  });
  for (let i = 0; i < 3; i++) await killAndWaitBack(cp, 'transaction');
  // Other actors are far below any limit: only this actor's own window can stop it.
  assert.equal((await cp.cpctl('actor', 'kill', 'transaction')).code, 0);
  const result = await Promise.race([cp.exited, sleep(15000, null, { ref: false })]);
  assert.ok(result, 'the controller exits when transaction faults a fourth time within the period');
  assert.equal(result.code, 1, 'escalation exits with code 1');
  assert.match(cp.logs(), /actor transaction: crash loop of a critical actor \(3 of its restarts.*escalating \(exit 1\)/);
  assert.equal(calls(csms, 'StopTransaction', since).length, 0, 'no stop before the restart');

  // systemd's Restart=always, by hand: the open transaction is found in the store, and the board
  // (a process of its own) still holds the car: the session goes on under the same transaction.
  const back = csms.mark();
  await cp.restart();
  await waitBooted(cp, 30000);
  await assertSessionGoesOn(cp, txId, 'after the escalation');
  assert.equal(calls(csms, 'StopTransaction', since).length, 0, 'no stop for the escalation');
  assert.equal(calls(csms, 'StartTransaction', back).length, 0, 'and no second start');
  const stopSince = csms.mark();
  await cp.cpctlOk('swipe', 'TAG-LOOP');
  const stop = await csms.waitFor('StopTransaction', 20000, stopSince);
  assert.equal(stop.msg[3].transactionId, txId, 'the stop names the CSMS transactionId');
  assert.equal(stop.msg[3].reason, 'Local');
  await cp.waitStatus((s) => tx(s) === null, 20000, 'stopped');
  await sleep(2000);  // nothing more may follow
  assert.equal(calls(csms, 'StopTransaction', since).length, 1, 'the stop reaches the CSMS exactly once');
  assert.equal(calls(csms, 'StartTransaction', since).length, 1, 'the start is not sent again');
});

test('SIGSTOP for 10 s then SIGCONT with a session running: nothing escalates, the session goes on', async (t) => {
  const { csms, cp, txId, since } = await chargingSession(t, 'TAG-PAUSE');
  process.kill(cp.pid, 'SIGSTOP');
  t.after(() => { try { process.kill(cp.pid, 'SIGCONT'); } catch { /* gone */ } });
  await sleep(10000);  // the pause itself
  process.kill(cp.pid, 'SIGCONT');
  // Liveness (3 s) plus the hang grace (2 s) would have ended it by now; wait past both.
  await cp.expectNever((s) => s.actors.some((a) => a.state !== 'running' || a.restarts !== 0), 7000,
    'an actor declared hung or restarted after the pause');
  assert.equal(cp.running, true, 'still running after the pause');
  assert.doesNotMatch(cp.logs(), /escalat|missed its liveness/i);
  assert.match(cp.logs(), /stalled for \d+ ms/);
  await assertSessionGoesOn(cp, txId, 'after the pause');
  assert.equal(calls(csms, 'StopTransaction', since).length, 0, 'no StopTransaction');
  assert.equal(calls(csms, 'StartTransaction', since).length, 1, 'one StartTransaction');
});

test('a non-critical actor (hmi) over its limit degrades, charging goes on, and it is retried after the cool-down', async (t) => {
  const { csms, cp, txId, since } = await chargingSession(t, 'TAG-HMI', {
    extraArgs: ['--restart-intensity', '2', '--restart-period', '15'],
  });
  await killAndWaitBack(cp, 'hmi');
  await killAndWaitBack(cp, 'hmi');
  assert.equal((await cp.cpctl('actor', 'kill', 'hmi')).code, 0);
  await cp.waitStatus((s) => actor(s, 'hmi')?.state === 'degraded', 10000, 'hmi degraded');
  assert.match((await cp.cpctlOk('actor', 'list')).stdout, /^hmi\s+degraded\s+restarts=2/m);
  assert.match(cp.logs(), /actor hmi: crash loop of a non-critical actor: left down after 2 restarts/);
  assert.equal(cp.running, true, 'a dead HMI does not stop the controller');
  await assertSessionGoesOn(cp, txId, 'while the HMI is down');
  assert.equal(calls(csms, 'StopTransaction', since).length, 0, 'no StopTransaction');
  // Refused while it is down, like any actor that is not running.
  assert.equal((await cp.cpctl('actor', 'kill', 'hmi')).code, 1);
  // The cool-down (one restart period) over, it is tried again.
  await cp.waitStatus((s) => actor(s, 'hmi')?.state === 'running' && actor(s, 'hmi')?.restarts === 3, 30000,
    'hmi retried after the cool-down');
  assert.equal(cp.running, true);
  assert.equal(tx(await cp.status())?.id, txId, 'the session is still open');
});

test('restart intensity exceeded: the supervisor escalates with exit 1', async (t) => {
  const { cp } = await startPair(t, HERE, {
    cp: { extraArgs: ['--restart-intensity', '2', '--restart-period', '60'] },
  });
  await waitBooted(cp);
  for (let i = 1; i <= 2; i++) {
    assert.equal((await cp.cpctl('actor', 'kill', 'hw')).code, 0);
    await cp.waitStatus((s) => actor(s, 'hw')?.restarts === i && actor(s, 'hw')?.state === 'running', 10000,
      `hw restarted ${i} time(s)`);
  }
  await cp.cpctl('actor', 'kill', 'hw');
  const result = await Promise.race([cp.exited, sleep(10000, null, { ref: false })]);
  assert.ok(result, 'the controller exits after the third restart within the period');
  assert.equal(result.code, 1, 'escalation exits with code 1');
  assert.match(cp.logs(), /escalat/i);
});

test('the status page thread is supervised: a thread that ends is restarted and serves again', async (t) => {
  const port = await freePort();
  const { cp } = await startPair(t, HERE, { cp: { http: `127.0.0.1:${port}` } });
  await waitBooted(cp);
  assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 200);
  assert.equal(service(await cp.status(), 'statuspage')?.state, 'running');
  assert.equal((await cp.cpctl('actor', 'kill', 'statuspage')).code, 0);
  await cp.waitStatus((s) => service(s, 'statuspage')?.restarts === 1 && service(s, 'statuspage')?.state === 'running',
    10000, 'status page restarted');
  assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 200, 'the page is served again');
  assert.match((await cp.cpctlOk('actor', 'list')).stdout, /^statuspage\s+running\s+restarts=1/m);
  assert.equal(cp.running, true);
});

test('the broker is supervised: over inproc:// its end escalates (exit 1) with a clear reason', async (t) => {
  const { cp } = await startPair(t, HERE);
  await waitBooted(cp);
  assert.equal(service(await cp.status(), 'broker')?.state, 'running');
  // The escalation may win the race with the reply: then cpctl finds no controller (exit 3).
  assert.ok([0, 3].includes((await cp.cpctl('actor', 'kill', 'broker')).code));
  const result = await Promise.race([cp.exited, sleep(10000, null, { ref: false })]);
  assert.ok(result, 'the controller exits when the broker thread ends');
  assert.equal(result.code, 1);
  assert.match(cp.logs(), /the bus broker thread ended: over inproc:\/\/ the actors cannot reconnect .* escalating \(exit 1\)/);
});

test('the broker is supervised: over ipc:// it is restarted and the bus works again', async (t) => {
  const busDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-bus-'));
  t.after(() => fs.rmSync(busDir, { recursive: true, force: true }));
  const { csms, cp } = await startPair(t, HERE, { cp: { extraArgs: ['--bus', `ipc://${busDir}/bus`] } });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 10000);
  assert.equal((await cp.cpctl('actor', 'kill', 'broker')).code, 0);
  await cp.waitStatus((s) => service(s, 'broker')?.restarts === 1, 10000, 'broker restarted');
  // Requests (cpctl → hw) and events (hw → transaction → ocpp) cross the new broker once the
  // peers have reconnected (ZeroMQ does it by itself within its reconnect interval).
  const since = csms.mark();
  const deadline = Date.now() + 5000;
  let plug;
  while ((plug = await cp.cpctl('plug', '1')).code !== 0 && Date.now() < deadline) await sleep(100);
  assert.equal(plug.code, 0, `plug through the new broker: ${plug.stderr}`);
  await csms.waitFor(statusNotification(1, 'Preparing'), 15000, since);
  // And it stays up: its liveness probe keeps being answered.
  await cp.expectNever((s) => service(s, 'broker')?.state !== 'running', 5000, 'broker not running');
  assert.equal(cp.running, true);
  assert.match(cp.logs(), /bus broker restarted in \d+ ms/);
});

test('the bus runs over ipc:// endpoints with no code change', async (t) => {
  const busDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-bus-'));
  t.after(() => fs.rmSync(busDir, { recursive: true, force: true }));
  const { csms, cp } = await startPair(t, HERE, { cp: { extraArgs: ['--bus', `ipc://${busDir}/bus`] } });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 10000);
  for (const end of ['pub', 'sub', 'req']) assert.ok(fs.existsSync(path.join(busDir, `bus-${end}`)), `ipc ${end} socket`);
  const since = csms.frames.length;
  assert.equal((await cp.cpctl('plug', '1')).code, 0);
  await csms.waitFor(statusNotification(1, 'Preparing'), 10000, since);
  assert.equal((await cp.cpctl('actor', 'kill', 'transaction')).code, 0);
  await cp.waitStatus((s) => actor(s, 'transaction')?.restarts === 1, 10000, 'transaction restarted');
});

test('a corrupt state database: refuse to start with a clear message, data left in place', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-corrupt-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // A first run creates the database; then damage it the way a bad flash write would.
  const cp = await Controller.start({ stateDir: dir, name: artifactName(t, HERE) });
  assert.equal((await cp.cpctl('config', 'set', 'HeartbeatInterval', '123')).code, 0);
  assert.equal(await cp.stop(), 0);
  const db = path.join(dir, 'chargepointd.db');
  const size = fs.statSync(db).size;
  assert.ok(size >= 4096, 'database has pages to damage');
  const fd = fs.openSync(db, 'r+');
  fs.writeSync(fd, Buffer.alloc(size - 100, 0xA5), 0, size - 100, 100);
  fs.closeSync(fd);
  const before = fs.readFileSync(db);
  const r = await runChargepointd(['--state-dir', dir]);
  assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, /corrupt|malformed|not a database/i);
  assert.match(r.stderr, /README|recover/i, 'points at the recovery procedure');
  assert.deepEqual(fs.readFileSync(db), before, 'the damaged database is left untouched for recovery');
});

test('ChangeConfiguration of AuthorizationKey: accepted, reconnects with it, never logged', async (t) => {
  const oldKey = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  const newKey = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
  const { csms, cp } = await startPair(t, HERE, {
    csms: { basicAuth: { CP001: oldKey } },
    cp: { password: oldKey },
  });
  await waitBooted(cp);
  const { result } = await csms.call('ChangeConfiguration', { key: 'AuthorizationKey', value: newKey });
  assert.equal(result.status, 'Accepted');
  csms.basicAuth = { CP001: newKey };
  const deadline = Date.now() + 15000;
  while (csms.connections.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(csms.connections.length >= 2, 'a new connection was made with the new key');
  await cp.waitStatus((s) => s.ocpp.connection === 'connected', 15000, 'reconnected with the new key');
  const logs = cp.logs();
  assert.ok(!logs.includes(newKey), 'the new AuthorizationKey never appears in the log');
  assert.ok(!logs.includes(oldKey), 'the old AuthorizationKey never appears in the log');
});

test('--split: every actor in its own process; a killed or hung actor process is restarted', async (t) => {
  const { csms, cp } = await startPair(t, HERE, { cp: { extraArgs: ['--split'] } });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 10000);
  // One process per actor besides the supervisor, each running the same program.
  const children = fs.readFileSync(`/proc/${cp.pid}/task/${cp.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  const status = await cp.status();
  const processes = status.actors.filter((a) => a.pid);
  assert.equal(children.length, processes.length, `one process per actor (${children.join(',')})`);
  assert.deepEqual(children.map(Number).sort(), processes.map((a) => a.pid).sort());
  assert.equal(actor(status, 'safety')?.in, 'hw', 'safety runs inside the hw process');
  for (const pid of children) {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    assert.ok(cmd.includes('--actor'), `child ${pid} is an actor process: ${cmd.join(' ')}`);
  }
  // A real crash (SIGKILL) of the transaction process: restarted, and sessions still work.
  assert.equal((await cp.cpctl('actor', 'kill', 'transaction')).code, 0);
  await cp.waitStatus((s) => actor(s, 'transaction')?.restarts === 1 && actor(s, 'transaction')?.state === 'running',
    10000, 'transaction process restarted');
  const since = csms.frames.length;
  assert.equal((await cp.cpctl('plug', '1')).code, 0);
  assert.equal((await cp.cpctl('swipe', 'SPLIT01')).code, 0);
  await csms.waitFor((f) => f.dir === 'in' && f.msg?.[2] === 'StartTransaction', 10000, since);
  // Energy flows: the safety path (a thread of the hw process) approves the contactor.
  assert.equal((await cp.cpctl('ev', '1', 'charge')).code, 0);
  await cp.waitStatus((s) => s.connectors[0].powerW > 0 && s.connectors[0].contactor === true, 15000,
    'charging in split mode');
  // A hung process is killed and restarted by the supervisor (no escalation needed).
  assert.equal((await cp.cpctl('actor', 'hang', 'metering')).code, 0);
  await cp.waitStatus((s) => actor(s, 'metering')?.restarts === 1 && actor(s, 'metering')?.state === 'running',
    15000, 'hung metering process replaced');
  assert.equal((await cp.cpctl('swipe', 'SPLIT01')).code, 0);
  await csms.waitFor((f) => f.dir === 'in' && f.msg?.[2] === 'StopTransaction', 10000, since);
  assert.equal(await cp.stop(), 0, 'clean shutdown of the supervisor and its actor processes');
  for (const pid of children) assert.ok(!fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), `actor process ${pid} gone`);
});

test('--split: safety, a thread of the hw process, is supervised there (kill, hang, list)', async (t) => {
  const { csms, cp } = await startPair(t, HERE, { cp: { extraArgs: ['--split'] } });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 10000);
  assert.match((await cp.cpctlOk('actor', 'list')).stdout, /^safety\s+running\s+restarts=0/m);
  // Its thread leaves as if it had crashed: the supervisor has the hw process start it again.
  await killAndWaitBack(cp, 'safety', 10000);
  assert.equal(actor(await cp.status(), 'hw').restarts, 0, 'the hw process itself was not restarted');
  // And the restarted safety approves the contactor: energy flows.
  const since = csms.mark();
  await cp.cpctlOk('plug', '1');
  await cp.cpctlOk('swipe', 'SPLIT-SAFE');
  await csms.waitFor('StartTransaction', 15000, since);
  await cp.cpctlOk('ev', '1', 'charge');
  await cp.waitStatus((s) => connector(s, 1).contactor === true && connector(s, 1).powerW > 0, 15000,
    'charging with the restarted safety thread');
  // A hung thread cannot be killed; its process can: hw and safety come back together.
  assert.equal((await cp.cpctl('actor', 'hang', 'safety')).code, 0);
  await cp.waitStatus((s) => actor(s, 'safety')?.restarts === 2 && actor(s, 'safety')?.state === 'running'
    && actor(s, 'hw')?.restarts === 1 && actor(s, 'hw')?.state === 'running', 20000,
    'hw process replaced with its safety thread');
  assert.match(cp.logs(), /actor safety \(a thread of hw's process \d+\) missed its liveness deadline/);
  assert.equal(cp.running, true, 'no escalation');
});
