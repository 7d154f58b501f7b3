// cli.test.mjs — the command lines of chargepointd and cpctl (docs: interface.md).
//
// Why it exists: operators and scripts depend on the documented flags and exit codes — 2 for
// bad usage with one clear line on stderr, 3 when cpctl cannot reach a controller, a refused
// second instance on the same state dir, a clean exit 0 on SIGTERM — and on the controller
// staying up when the central system is unreachable.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Controller, runChargepointd, runCpctl } from './lib/controller.mjs';
import { artifactName, closedPort, isConnected } from './lib/harness.mjs';

const HERE = import.meta.url;

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-cli-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// A bad command line: exit 2, something on stderr, and it must not hang.
function assertUsageError(r, what) {
  assert.equal(r.timedOut, false, `${what}: chargepointd kept running instead of exiting`);
  assert.equal(r.code, 2, `${what}: exit code (stderr: ${r.stderr.trim()})`);
  assert.ok(r.stderr.trim().length > 0, `${what}: explains itself on stderr`);
}

test('chargepointd --help and --version exit 0', async () => {
  const help = await runChargepointd(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout + help.stderr, /--csms/);
  const version = await runChargepointd(['--version']);
  assert.equal(version.code, 0);
  assert.ok((version.stdout + version.stderr).trim().length > 0);
});

test('unknown flag: exit 2 with a usage line on stderr', async (t) => {
  const r = await runChargepointd(['--state-dir', tempDir(t), '--no-such-flag']);
  assertUsageError(r, '--no-such-flag');
  assert.match(r.stderr, /usage/i);
});

test('--csms without --id: exit 2', async (t) => {
  const r = await runChargepointd(['--state-dir', tempDir(t), '--csms', 'ws://127.0.0.1:9/ocpp']);
  assertUsageError(r, '--csms without --id');
  assert.match(r.stderr, /--id|identity/i);
});

test('--csms with a URL that is not ws:// or wss://: exit 2 with a clear message', async (t) => {
  const r = await runChargepointd(['--state-dir', tempDir(t), '--csms', 'http://x', '--id', 'CP001']);
  assertUsageError(r, '--csms http://x');
  assert.match(r.stderr, /csms|url|ws:\/\//i);
});

test('--connectors N gives N connectors in status', async (t) => {
  const cp = await Controller.start({ connectors: 2, name: artifactName(t, HERE) });
  t.after(() => cp.close());
  const s = await cp.status();
  assert.deepEqual(s.connectors.map((c) => c.id), [1, 2]);
  for (const c of s.connectors) {
    assert.equal(c.status, 'Available');
    assert.equal(c.errorCode, 'NoError');
    assert.equal(c.plugged, false);
    assert.equal(c.transaction, null);
  }
});

test('without --csms: OCPP disabled, the controller runs stand-alone', async (t) => {
  const cp = await Controller.start({ name: artifactName(t, HERE) });
  t.after(() => cp.close());
  const s = await cp.status();
  assert.equal(s.ocpp.connection, 'disabled');
  assert.equal(await cp.stop(), 0, 'SIGTERM: clean shutdown with exit 0');
});

test('unreachable central system: keeps running and retrying, never connected', async (t) => {
  const port = await closedPort();
  const cp = await Controller.start({ csmsUrl: `ws://127.0.0.1:${port}/ocpp`, name: artifactName(t, HERE) });
  t.after(() => cp.close());
  await cp.waitStatus((s) => ['connecting', 'error'].includes(s.ocpp.connection), 10000,
    'connection "connecting" or "error"');
  await cp.expectNever(isConnected, 3000, 'connected to a closed port');
  assert.equal(cp.running, true);
  assert.equal(await cp.stop(), 0);
});

test('a second chargepointd on the same state dir is refused', async (t) => {
  const cp = await Controller.start({ name: artifactName(t, HERE) });
  t.after(() => cp.close());
  const r = await runChargepointd(['--state-dir', cp.stateDir, '--http', 'off'], { timeoutMs: 10000 });
  assert.equal(r.timedOut, false, 'the second instance exits instead of running');
  assert.notEqual(r.code, 0);
  assert.ok(r.stderr.includes(cp.stateDir) || /lock|state.?dir|already running/i.test(r.stderr),
    `the message names the state dir or the lock: ${r.stderr.trim()}`);
  assert.equal(cp.running, true, 'the first instance is unaffected');
  await cp.status();
});

test('cpctl with no controller running: exit 3', async (t) => {
  const r = await runCpctl(['--state-dir', tempDir(t), 'status'], { timeoutMs: 60000 });
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 3, `stderr: ${r.stderr.trim()}`);
});

test('cpctl with an unknown command: exit 2', async (t) => {
  const r = await runCpctl(['--state-dir', tempDir(t), 'bogus'], { timeoutMs: 60000 });
  assert.equal(r.code, 2, `stderr: ${r.stderr.trim()}`);
  assert.ok(r.stderr.trim().length > 0);
});
