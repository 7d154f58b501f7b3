// supervision.test.mjs — the supervisor's limits and the durable store's guard rails.
//
// Why it exists: restarting a faulted actor is only safe with an intensity limit (past it the
// controller must escalate by exiting non-zero, so systemd restarts it from the durable store,
// never loop silently); the bus must work over ipc:// as well as inproc:// with no code change;
// a corrupt state database must stop the start-up instead of silently losing billing data;
// and a secret set by the central system must never reach the log.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Controller, runChargepointd } from './lib/controller.mjs';
import { artifactName, startPair, waitBooted, statusNotification, actor } from './lib/harness.mjs';

const HERE = import.meta.url;

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
  const result = await Promise.race([cp.exited, new Promise((r) => setTimeout(() => r(null), 10000))]);
  assert.ok(result, 'the controller exits after the third restart within the period');
  assert.equal(result.code, 1, 'escalation exits with code 1');
  assert.match(cp.logs(), /escalat/i);
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
  assert.equal(children.length, status.actors.length, `one process per actor (${children.join(',')})`);
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
