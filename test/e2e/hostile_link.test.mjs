// hostile_link.test.mjs — central systems and links that misbehave below OCPP (issue 11).
//
// Why it exists: the WebSocket client must never end up in a state it does not leave by
// itself. A server that accepts TCP and then says nothing (or half a 101), a binary frame in
// the middle of a session, a CA bundle that must be the only trust anchor, secrets in argv and
// in the database file: each of these once left OCPP dead or the charger less safe than the
// operator asked for. Every wait here polls with a deadline; servers listen on 127.0.0.1 only.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  Csms, Controller, artifactName, isConnected, isBooted, waitBooted, connector, startPair,
} from './lib/harness.mjs';
import { makeCerts } from './lib/certs.mjs';
import { runChargepointd } from './lib/controller.mjs';

const HERE = import.meta.url;

// A TCP server on 127.0.0.1 that accepts connections and then never completes the WebSocket
// handshake: it reads the upgrade request and answers nothing, or only `partial` (e.g. the
// status line of a 101). Counts accepted connections so a test can see the client retry.
class SilentServer {
  constructor({ partial = '' } = {}) {
    this.partial = partial;
    this.accepted = 0;
    this.requests = 0;
    this.sockets = new Set();
    this.server = net.createServer((socket) => {
      this.accepted += 1;
      this.sockets.add(socket);
      let seen = '';
      socket.on('data', (chunk) => {
        seen += chunk.toString('latin1');
        if (seen.includes('\r\n\r\n') && !socket.answered) {
          socket.answered = true;
          this.requests += 1;
          if (this.partial) socket.write(this.partial);
        }
      });
      socket.on('error', () => {});
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  listen(port = 0) {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.port = this.server.address().port;
        resolve(this.port);
      });
    });
  }

  close() {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within ${timeoutMs} ms: ${what}`);
}

// A server that never finishes the handshake must not leave OCPP dead: each attempt times out,
// the status says "error" between attempts, and a real central system that appears on the same
// port later is reached within the normal back-off.
async function silentThenReal(t, partial) {
  const silent = new SilentServer({ partial });
  const port = await silent.listen();
  let cp = null;
  let csms = null;
  t.after(async () => {
    await cp?.close();
    await csms?.stop();
    await silent.close().catch(() => {});
  });
  cp = await Controller.start({ csmsUrl: `ws://127.0.0.1:${port}/ocpp`, name: artifactName(t, HERE) });
  await until(() => silent.requests >= 1, 10000, 'the controller sends its upgrade request');
  const s = await cp.waitStatus((st) => st.ocpp.connection === 'error', 30000,
    'connection "error" after the handshake timed out');
  assert.notEqual(s.ocpp.connection, 'connected');
  await until(() => silent.accepted >= 2, 40000, 'the controller retries the silent server');

  await silent.close();
  csms = new Csms({ port });
  await csms.start();
  await waitBooted(cp, 60000);
  assert.equal(csms.connections[0].identity, 'CP001');
}

test('a server that accepts TCP but never answers the handshake: retried, then the real one is reached',
  (t) => silentThenReal(t, ''));

test('a partial 101 followed by silence: retried, then the real one is reached',
  (t) => silentThenReal(t, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n'));

// OCPP-J carries text frames only. A binary frame is the central system's protocol violation:
// the controller logs and ignores it. It is not a broken link: the status stays "connected",
// authorization stays online (a swipe is sent as Authorize) and the session's messages flow.
test('a binary frame mid-session: status stays connected and the session is delivered', async (t) => {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootInterval: 300 } });
  await waitBooted(cp);
  const since = csms.mark();
  csms.sendBinary(Buffer.from([0x00, 0xff, 0x5b, 0x32, 0x2c]));
  csms.sendBinary(Buffer.alloc(4096, 0x41));
  // The frame after the binary ones is answered: the link is not only up, it works.
  const { result } = await csms.call('GetConfiguration', { key: ['HeartbeatInterval'] });
  assert.equal(result.configurationKey[0].key, 'HeartbeatInterval');
  await cp.expectNever((s) => s.ocpp.connection !== 'connected', 1500, 'status leaves "connected"');

  await cp.cpctlOk('plug', '1');
  await cp.cpctlOk('swipe', 'TAG-BINARY');
  const authorize = await csms.waitFor('Authorize', 20000, since);
  assert.equal(authorize.msg[3].idTag, 'TAG-BINARY');
  const start = await csms.waitFor('StartTransaction', 20000, since);
  assert.equal(start.msg[3].idTag, 'TAG-BINARY');
  const s = await cp.waitStatus((st) => connector(st, 1)?.transaction?.id != null, 20000,
    'transaction confirmed with a CSMS id');
  assert.ok(isBooted(s));
  assert.equal(csms.connections.length, 1, 'no reconnect');
  assert.match(cp.logs(), /binary frame of 5 bytes/);
});

// --ca-file names the only CAs the operator trusts: a central system certified by any other CA
// is refused, even one in the system store (SSL_CERT_FILE stands in for it here).
test('--ca-file is the only trust anchor: a server from the system store\'s CA is refused', async (t) => {
  const serverPki = makeCerts();
  const otherPki = makeCerts();
  t.after(() => { serverPki.remove(); otherPki.remove(); });
  const tls = { key: serverPki.serverKey, cert: serverPki.serverCert };

  // Control: the system store (SSL_CERT_FILE) is honoured without --ca-file ...
  {
    const csms = new Csms({ tls });
    await csms.start();
    const cp = await Controller.start({
      csmsUrl: csms.url, env: { SSL_CERT_FILE: serverPki.caFile }, name: `${artifactName(t, HERE)}-system-store`,
    });
    try {
      await waitBooted(cp);
    } finally {
      await cp.close();
      await csms.stop();
    }
  }
  // ... and not added to the bundle named with --ca-file.
  const { csms, cp } = await startPair(t, HERE, {
    csms: { tls },
    cp: { caFile: otherPki.caFile, env: { SSL_CERT_FILE: serverPki.caFile } },
  });
  const s = await cp.waitStatus((st) => st.ocpp.connection === 'error', 20000,
    'connection "error" for a server the --ca-file bundle does not vouch for');
  assert.match(s.ocpp.lastError, /certificate/);
  await cp.expectNever(isConnected, 2000, 'connected through the system store');
  assert.equal(csms.connections.length, 0);
});

test('a missing or unusable --ca-file: exit 2 with one clear line at start-up', async (t) => {
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'cp-cafile-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const junk = path.join(dir, 'junk.pem');
  fs.writeFileSync(junk, 'this is not a certificate\n');
  const cases = [
    [path.join(dir, 'missing.pem'), /cannot be read: No such file or directory/],
    [junk, /no usable PEM certificate/],
    [dir, /not a regular file/],
  ];
  for (const [caFile, reason] of cases) {
    const r = await runChargepointd(['--csms', 'wss://127.0.0.1:1/ocpp', '--id', 'CP001', '--ca-file', caFile,
      '--state-dir', path.join(dir, 'state'), '--http', 'off'], { timeoutMs: 10000 });
    assert.equal(r.code, 2, `exit code for --ca-file ${caFile}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
    assert.match(lines[0], reason);
    assert.ok(lines[0].includes(caFile), 'the line names the file');
  }
});

// `ps` shows every process's command line to every user: a password given with --password is
// wiped from it (and from what --split and a Hard reset run again) once read, and still works.
test('--password is scrubbed from argv (/proc/PID/cmdline) and still authenticates', async (t) => {
  const secret = 'argv-secret-0123456789abcdef';
  const { csms, cp } = await startPair(t, HERE, {
    csms: { basicAuth: { CP001: secret } },
    cp: { extraArgs: ['--password', secret] },
  });
  await waitBooted(cp);
  assert.equal(csms.connections[0].authorizationPresent, true);
  const cmdline = fs.readFileSync(`/proc/${cp.pid}/cmdline`);
  assert.ok(!cmdline.includes(secret), 'the password is not in /proc/PID/cmdline');
  assert.ok(!cmdline.includes(secret.slice(0, 8)), 'not even in part');
  assert.ok(cmdline.includes('--csms'), 'the rest of the command line is still there');
  const ownLines = cp.logs().split('\n').filter((l) => !l.startsWith('====='));  // not the harness's banner
  assert.ok(!ownLines.some((l) => l.includes(secret)), 'nor in the log');

  // A Hard reset runs the command line again: still without the password, still authenticated.
  const pid = cp.pid;
  const boots = csms.received('BootNotification').length;
  const reset = await csms.call('Reset', { type: 'Hard' });
  assert.equal(reset.result?.status, 'Accepted');
  await csms.waitForCalls('BootNotification', boots + 1, 30000);
  await waitBooted(cp, 30000);
  assert.equal(cp.pid, pid, 'the same process, re-executed');
  assert.ok(csms.connections.at(-1).authorizationPresent);
  assert.ok(!fs.readFileSync(`/proc/${cp.pid}/cmdline`).includes(secret), 'not in the re-executed command line');
});

// The database holds the AuthorizationKey: owner-only, including its WAL and shared memory.
test('the database and its -wal/-shm are 0600; wider modes are tightened at start', async (t) => {
  const { cp } = await startPair(t, HERE, { cp: { password: 'mode-secret-0123456789abcdef' } });
  await waitBooted(cp);
  const db = path.join(cp.stateDir, 'chargepointd.db');
  const mode = (file) => fs.statSync(file).mode & 0o777;
  for (const file of [db, `${db}-wal`, `${db}-shm`]) {
    assert.ok(fs.existsSync(file), `${path.basename(file)} exists while running`);
    assert.equal(mode(file).toString(8), '600', `mode of ${path.basename(file)}`);
  }
  await cp.stop();
  // A database from an older version (created 0644 under umask 022).
  for (const file of [db, `${db}-wal`, `${db}-shm`]) {
    if (fs.existsSync(file)) fs.chmodSync(file, 0o644);
  }
  await cp.restart();
  await waitBooted(cp);
  for (const file of [db, `${db}-wal`, `${db}-shm`]) {
    assert.equal(mode(file).toString(8), '600', `mode of ${path.basename(file)} after the restart`);
  }
  assert.match(cp.logs(), /readable by others \(mode 644\): now 600/);
});

test('--password and a different password in the config file: exit 2, one line', async (t) => {
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'cp-pwconf-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const config = path.join(dir, 'chargepointd.conf');
  fs.writeFileSync(config, 'password = from-the-file-0123456789\n');
  const r = await runChargepointd(['--config', config, '--password', 'from-argv-0123456789abc',
    '--state-dir', path.join(dir, 'state'), '--http', 'off'], { timeoutMs: 10000 });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /--password differs from the password in the config file/);
  assert.ok(!r.stderr.includes('0123456789'), 'no password in the message');
});
