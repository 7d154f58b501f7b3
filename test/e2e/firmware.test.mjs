// firmware.test.mjs — the Firmware Management profile end to end (issue 14): UpdateFirmware
// with FirmwareStatusNotification, GetDiagnostics with DiagnosticsStatusNotification, over a
// real HTTP server (Node's http) and a real FTP server (Debian's python3-pyftpdlib) on
// 127.0.0.1, against chargepointd on simulated hardware.
//
// Why it exists: a firmware update is the one operation that can brick a charger in the field
// and diagnostics are how an operator learns why a charger misbehaves; both cross the network,
// the disk and a restart of the process. Only the whole chain shows that the notifications come
// in the right order, that an image the board refuses leaves the old version running, that
// installation waits for the running session, that a download cut by kill -9 resumes, and that
// the uploaded file unpacks and holds the asked window of the log and no secret.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { Controller } from './lib/controller.mjs';
import { makeCerts } from './lib/certs.mjs';
import { Csms, artifactName, waitBooted, isCallIn, closedPort, statusNotification } from './lib/harness.mjs';

const PASSWORD = 'Fw-Test-Secret-0123456789';
const GOOD_VERSION = '9.9.9-e2e';
const GOOD_IMAGE = `CHARGEPOINTD-SIM-FIRMWARE ${GOOD_VERSION}\n${'x'.repeat(64 * 1024)}\n`;
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

// ---- a file server: firmware images, a slow image to hold a download open, and multipart uploads

class FileServer {
  constructor() {
    this.uploads = [];          // {fileName, field, content: Buffer}
    this.slowWaiters = [];      // responses of /fw/slow.bin held open until release()
    this.slowHeld = new EventEmitter();   // 'held' when a slow download reaches the server
    this.requests = [];
  }

  // Resolves once a slow download is held by the server (at once if one is), rejects after ms.
  async slowDownloadHeld(ms) {
    if (this.slowWaiters.length > 0) return;
    const held = once(this.slowHeld, 'held');
    const timer = setTimeout(() => this.slowHeld.emit('error', new Error(`no download reached the server within ${ms} ms`)), ms);
    try { await held; } finally { clearTimeout(timer); }
  }

  // Plain HTTP, and the same files over HTTPS with a certificate from `certs` (lib/certs.mjs).
  async start(certs) {
    this.server = http.createServer((req, res) => this._handle(req, res));
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = this.server.address().port;
    this.url = `http://127.0.0.1:${this.port}`;
    this.tlsServer = https.createServer({ key: certs.serverKey, cert: certs.serverCert }, (req, res) => this._handle(req, res));
    await new Promise((resolve) => this.tlsServer.listen(0, '127.0.0.1', resolve));
    this.tlsUrl = `https://127.0.0.1:${this.tlsServer.address().port}`;
  }

  _handle(req, res) {
    this.requests.push(`${req.method} ${req.url}`);
    if (req.method === 'GET' && req.url === '/fw/good.bin') return res.end(GOOD_IMAGE);
    if (req.method === 'GET' && req.url === '/fw/bad.bin') return res.end('this is not a firmware image\n');
    if (req.method === 'GET' && req.url === '/fw/slow.bin') {
      // Headers and a first piece, then nothing until released: a download in progress.
      res.writeHead(200, { 'content-length': String(GOOD_IMAGE.length) });
      res.write(GOOD_IMAGE.slice(0, 1000));
      this.slowWaiters.push(res);
      this.slowHeld.emit('held');
      return undefined;
    }
    if (req.method === 'POST' && req.url === '/upload') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        this.uploads.push(parseMultipart(req.headers['content-type'], Buffer.concat(chunks)));
        res.end('ok');
      });
      return undefined;
    }
    res.statusCode = 404;
    return res.end('not found');
  }

  release() {
    for (const res of this.slowWaiters.splice(0)) {
      try { res.end(GOOD_IMAGE.slice(1000)); } catch { /* the client went away */ }
    }
  }

  async stop() {
    for (const res of this.slowWaiters.splice(0)) res.destroy();
    for (const server of [this.server, this.tlsServer]) {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    }
  }
}

// The one part of a multipart/form-data body: its field name, filename and content.
function parseMultipart(contentType, body) {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType ?? '')?.[2];
  assert.ok(boundary, `multipart boundary in ${contentType}`);
  const start = body.indexOf(`--${boundary}`) + boundary.length + 4;
  const headerEnd = body.indexOf('\r\n\r\n', start);
  const headers = body.slice(start, headerEnd).toString();
  const end = body.indexOf(`\r\n--${boundary}`, headerEnd);
  return {
    field: /name="([^"]+)"/.exec(headers)?.[1],
    fileName: /filename="([^"]+)"/.exec(headers)?.[1],
    content: body.slice(headerEnd + 4, end),
  };
}

// ---- an FTP server (pyftpdlib) in a temporary directory, user diag: plain FTP on one port and
// FTPS with implicit TLS (what ftps:// means to libcurl: TLS from the first byte, then PBSZ 0 /
// PROT P for the data connection) on another, both on one IO loop.

async function startFtp(certs) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-ftp-'));
  fs.mkdirSync(path.join(root, 'upload'));
  const script = [
    'import sys',
    'from pyftpdlib.authorizers import DummyAuthorizer',
    'from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler, TLS_DTPHandler',
    'from pyftpdlib.servers import FTPServer',
    'import logging',
    'logging.basicConfig(level=logging.WARNING)',
    'a = DummyAuthorizer()',
    `a.add_user("diag", "ftp-pass-42", ${JSON.stringify(root)}, perm="elradfmw")`,
    'h = FTPHandler',
    'h.authorizer = a',
    'h.passive_ports = range(30000, 60000)',
    's = FTPServer(("127.0.0.1", 0), h)',
    'class ImplicitTls(TLS_FTPHandler):',
    '    def handle(self):',            // TLS before the 220 banner
    '        self.secure_connection(self.ssl_context)',
    '        super().handle()',
    'class Dtp(TLS_DTPHandler):',
    // pyftpdlib 1.5.7 closes a TLS data connection polled before its transfer command (libcurl
    // connects it right after EPSV): not readable until then, unless TLS wants to read.
    '    def readable(self):',
    '        if not self.receive and not self._initialized:',
    '            return self._ssl_want_read',
    '        return super().readable()',
    'ImplicitTls.authorizer = a',
    'ImplicitTls.dtp_handler = Dtp',
    `ImplicitTls.certfile = ${JSON.stringify(certs.certFile)}`,
    `ImplicitTls.keyfile = ${JSON.stringify(certs.keyFile)}`,
    'ImplicitTls.passive_ports = range(30000, 60000)',
    'tls = FTPServer(("127.0.0.1", 0), ImplicitTls)',
    'print(s.socket.getsockname()[1], tls.socket.getsockname()[1], flush=True)',
    's.serve_forever()',
  ].join('\n');
  const child = spawn(PYTHON, ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const [port, tlsPort] = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the FTP server did not start: ${err}`)), 10000);
    let out = '';
    child.stdout.on('data', (d) => {     // one line, "PORT TLSPORT", maybe in more than one piece
      out += d;
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      const ports = out.trim().split(/\s+/).map(Number);
      if (ports.length === 2 && ports.every((p) => p > 0)) resolve(ports);
      else reject(new Error(`the FTP server printed ${JSON.stringify(out)}: ${err}`));
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the FTP server exited ${code}: ${err}`)); });
  });
  return {
    root, port, tlsPort,
    stop: async () => {
      child.kill('SIGTERM');
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

// ---- helpers

const fwStatus = (status) => {
  const p = (f) => isCallIn(f, 'FirmwareStatusNotification') && f.msg[3]?.status === status;
  Object.defineProperty(p, 'name', { value: `FirmwareStatusNotification(${status})` });
  return p;
};
const diagStatus = (status) => {
  const p = (f) => isCallIn(f, 'DiagnosticsStatusNotification') && f.msg[3]?.status === status;
  Object.defineProperty(p, 'name', { value: `DiagnosticsStatusNotification(${status})` });
  return p;
};
const statuses = (csms, action, since = 0) => csms.frames.slice(since)
  .filter((f) => isCallIn(f, action)).map((f) => f.msg[3].status);

async function startController(t, csms, extra = {}) {
  const cp = await Controller.start({
    csmsUrl: csms.url, password: PASSWORD, name: artifactName(t, import.meta.url), ...extra,
  });
  t.after(() => cp.close());
  await waitBooted(cp);
  return cp;
}

function untar(file) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-diag-'));
  execFileSync('tar', ['xzf', file, '-C', dir]);
  const read = (name) => fs.readFileSync(path.join(dir, name), 'utf8');
  const out = { log: read('log.txt'), status: read('status.json'), config: read('configuration.json') };
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

// Every line of the archive's log lies in [from, to] (lines without a timestamp follow theirs).
// The log is stamped in the charger's host time and the window is the central system's: the
// archive converts with the clock offset, which on loopback is the latency of the first answer
// (a few ms), hence the margin; lines 1.1 s outside the window on either side must still be gone.
const WINDOW_MARGIN_MS = 250;
function assertWindow(log, from, to) {
  from -= WINDOW_MARGIN_MS;
  to += WINDOW_MARGIN_MS;
  const stamps = log.split('\n').map((l) => /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) /.exec(l)?.[1])
    .filter(Boolean).map((s) => Date.parse(s));
  assert.ok(stamps.length > 0, 'the log window holds lines');
  for (const ms of stamps) assert.ok(ms >= from && ms <= to, `line at ${new Date(ms).toISOString()} outside the window ${new Date(from).toISOString()} .. ${new Date(to).toISOString()}:\n${log}`);
}

// ---- the tests

describe('Firmware Management', () => {
  let csms;
  let files;
  let ftp;
  let certs;     // the CA the controller trusts (--ca-file) for https:// and ftps://
  before(async () => {
    certs = makeCerts();
    files = new FileServer();
    await files.start(certs);
    ftp = await startFtp(certs);
  });
  after(async () => {
    await files?.stop();
    await ftp?.stop();
    certs?.remove();
  });

  async function withCsms(t) {
    csms = new Csms({ port: 0 });
    await csms.start();
    t.after(() => csms.stop());
    return csms;
  }

  test('UpdateFirmware, good image: Downloading → Downloaded → Installing, restart in place, Installed with the new firmwareVersion', async (t) => {
    await withCsms(t);
    const cp = await startController(t, csms);
    const pid = cp.pid;
    const profiles = await cp.cpctlOk('config', 'get', 'SupportedFeatureProfiles');
    assert.match(profiles.stdout, /FirmwareManagement/);
    const since = csms.frames.length;
    const { result } = await csms.call('UpdateFirmware', {
      location: `${files.url}/fw/good.bin`, retrieveDate: new Date().toISOString(), retries: 2, retryInterval: 1,
    });
    assert.deepEqual(result, {});
    await csms.waitFor(fwStatus('Installing'), 30000, since);
    const boot = await csms.waitFor((f) => isCallIn(f, 'BootNotification') && f.msg[3].firmwareVersion === GOOD_VERSION,
      40000, since);
    await csms.waitFor(fwStatus('Installed'), 30000, csms.frames.indexOf(boot));
    assert.deepEqual(statuses(csms, 'FirmwareStatusNotification', since),
      ['Downloading', 'Downloaded', 'Installing', 'Installed']);
    assert.equal(cp.pid, pid, 'restarted in place (same PID)');
    assert.ok(cp.running);
    // Nothing going on any more: a trigger answers Idle; the connector is offered again.
    await csms.call('TriggerMessage', { requestedMessage: 'FirmwareStatusNotification' });
    await csms.waitFor(fwStatus('Idle'), 10000, since);
    await cp.waitStatus((s) => s.connectors[0].status === 'Available', 20000, 'connector 1 Available after the install');
    // The version is durable: another start reports it too.
    const again = csms.frames.length;
    await cp.restart();
    const boot2 = await csms.waitFor('BootNotification', 20000, again);
    assert.equal(boot2.msg[3].firmwareVersion, GOOD_VERSION);
  });

  test('UpdateFirmware, bad image over https://: InstallationFailed, the old version stays', async (t) => {
    await withCsms(t);
    const cp = await startController(t, csms, { caFile: certs.caFile });
    const boot = csms.received('BootNotification').at(-1);
    const since = csms.frames.length;
    await csms.call('UpdateFirmware', { location: `${files.tlsUrl}/fw/bad.bin`, retrieveDate: new Date().toISOString() });
    await csms.waitFor(fwStatus('InstallationFailed'), 30000, since);
    assert.deepEqual(statuses(csms, 'FirmwareStatusNotification', since),
      ['Downloading', 'Downloaded', 'Installing', 'InstallationFailed']);
    assert.match(cp.logs(), /downloading https:\/\/127\.0\.0\.1:\d+\/fw\/bad\.bin \(attempt/, 'fetched over TLS');
    assert.equal(csms.frames.slice(since).filter((f) => isCallIn(f, 'BootNotification')).length, 0, 'no restart');
    await cp.waitStatus((s) => s.connectors[0].status === 'Available', 20000, 'connector 1 Available again');
    const again = csms.frames.length;
    await cp.restart();
    const boot2 = await csms.waitFor('BootNotification', 20000, again);
    assert.equal(boot2.msg[3].firmwareVersion, boot.firmwareVersion);
    assert.notEqual(boot2.msg[3].firmwareVersion, GOOD_VERSION);
  });

  test('UpdateFirmware, unreachable location: DownloadFailed after the retries; a bad scheme fails at once', async (t) => {
    await withCsms(t);
    const cp = await startController(t, csms);
    const port = await closedPort();
    const since = csms.frames.length;
    const mark = cp.logMark();
    await csms.call('UpdateFirmware', {
      location: `http://127.0.0.1:${port}/fw.bin`, retrieveDate: new Date().toISOString(), retries: 3, retryInterval: 1,
    });
    await csms.waitFor(fwStatus('DownloadFailed'), 30000, since);
    assert.deepEqual(statuses(csms, 'FirmwareStatusNotification', since), ['Downloading', 'DownloadFailed']);
    assert.equal((cp.logs().slice(mark).match(/downloading http:\/\/127\.0\.0\.1:\d+\/fw\.bin \(attempt/g) ?? []).length, 3);
    const since2 = csms.frames.length;
    const { result } = await csms.call('UpdateFirmware', { location: 'gopher://127.0.0.1/fw.bin', retrieveDate: new Date().toISOString() });
    assert.deepEqual(result, {});
    await csms.waitFor(fwStatus('DownloadFailed'), 10000, since2);
    assert.deepEqual(statuses(csms, 'FirmwareStatusNotification', since2), ['DownloadFailed']);
  });

  test('UpdateFirmware during a session: installs only after StopTransaction; connectors held meanwhile', async (t) => {
    await withCsms(t);
    const cp = await startController(t, csms);
    await cp.cpctlOk('plug', '1');
    const s0 = csms.frames.length;
    await cp.cpctlOk('swipe', 'TAG-FW');
    await csms.waitFor('StartTransaction', 20000, s0);
    await cp.waitStatus((s) => s.connectors[0].transaction?.id != null, 20000, 'transaction confirmed');
    const since = csms.frames.length;
    await csms.call('UpdateFirmware', { location: `${files.url}/fw/good.bin`, retrieveDate: new Date().toISOString() });
    await csms.waitFor(fwStatus('Downloaded'), 30000, since);
    // Several hold polls (every 2 s) while the session runs: nothing installs.
    await cp.expectNever(() => statuses(csms, 'FirmwareStatusNotification', since).includes('Installing'), 5000,
      'no installation while a transaction runs');
    const stopAt = csms.frames.length;
    await cp.cpctlOk('swipe', 'TAG-FW');
    const stop = await csms.waitFor('StopTransaction', 20000, stopAt);
    const installing = await csms.waitFor(fwStatus('Installing'), 30000, since);
    assert.ok(csms.frames.indexOf(installing) > csms.frames.indexOf(stop), 'Installing after StopTransaction');
    // The freed connector went Unavailable before the install (no new session could start).
    assert.ok(csms.frames.slice(stopAt, csms.frames.indexOf(installing) + 1).some(statusNotification(1, 'Unavailable')),
      'connector 1 Unavailable before Installing');
    const boot = await csms.waitFor((f) => isCallIn(f, 'BootNotification') && f.msg[3].firmwareVersion === GOOD_VERSION,
      40000, since);
    await csms.waitFor(fwStatus('Installed'), 30000, csms.frames.indexOf(boot));
    // The restart in place is a new board in one process: the cable may be gone with it.
    await cp.cpctl('unplug', '1');
    await cp.waitStatus((s) => s.connectors[0].status === 'Available', 20000, 'connector 1 given back after the install');
  });

  test('kill -9 during the download: the job resumes after the restart and ends Installed', async (t) => {
    await withCsms(t);
    const cp = await startController(t, csms);
    const since = csms.frames.length;
    await csms.call('UpdateFirmware', { location: `${files.url}/fw/slow.bin`, retrieveDate: new Date().toISOString() });
    await csms.waitFor(fwStatus('Downloading'), 20000, since);
    // TriggerMessage answers the current state of both machines.
    await csms.call('TriggerMessage', { requestedMessage: 'FirmwareStatusNotification' });
    await csms.call('TriggerMessage', { requestedMessage: 'DiagnosticsStatusNotification' });
    await csms.waitFor(diagStatus('Idle'), 10000, since);
    assert.deepEqual(statuses(csms, 'FirmwareStatusNotification', since), ['Downloading', 'Downloading']);
    // "Downloading" goes out as the transfer starts; the request reaches the server a moment later
    // (libcurl is loaded by the first transfer): wait for the server to hold it.
    await files.slowDownloadHeld(20000);
    assert.ok(files.slowWaiters.length >= 1, 'the download is in progress');
    await cp.kill9();
    files.slowWaiters.splice(0).forEach((res) => res.destroy());
    const again = csms.frames.length;
    await cp.restart();
    // The new attempt is held open too: release it once it has started.
    await cp.waitLog(/job \d+: downloading .*slow\.bin/, 20000);
    await files.slowDownloadHeld(20000);
    files.release();
    const boot = await csms.waitFor((f) => isCallIn(f, 'BootNotification') && f.msg[3].firmwareVersion === GOOD_VERSION,
      40000, again);
    await csms.waitFor(fwStatus('Installed'), 30000, csms.frames.indexOf(boot));
    const finals = statuses(csms, 'FirmwareStatusNotification', since).filter((s) => s === 'Installed' || s.endsWith('Failed'));
    assert.deepEqual(finals, ['Installed'], 'one definite final status');
  });

  test('kill -9 during the installation (--firmware-installer): the install runs again after the restart and '
    + 'ends in one Installed; cpctl status shows the job meanwhile', async (t) => {
    await withCsms(t);
    // A charger maker's installer: the first run hangs (the controller is killed under it), a later
    // run installs at once. Both are given the image path; exit 0 = installed.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-installer-'));
    t.after(() => {
      fs.writeFileSync(path.join(dir, 'release'), '');   // lets an orphaned first run end
      setTimeout(() => fs.rmSync(dir, { recursive: true, force: true }), 1000).unref();
    });
    const installer = path.join(dir, 'install.sh');
    fs.writeFileSync(installer, `#!/bin/sh
d=$(dirname "$0")
if [ ! -e "$d/first-run" ]; then
  touch "$d/first-run"; i=0
  while [ $i -lt 600 ] && [ ! -e "$d/release" ]; do sleep 0.1; i=$((i+1)); done
  exit 1
fi
cp "$1" "$d/installed.bin"
`, { mode: 0o755 });
    const cp = await startController(t, csms, { extraArgs: ['--firmware-installer', installer] });
    const since = csms.frames.length;
    await csms.call('UpdateFirmware', { location: `${files.url}/fw/good.bin`, retrieveDate: new Date().toISOString() });
    await csms.waitFor(fwStatus('Installing'), 30000, since);
    const s = await cp.waitStatus((x) => x.firmware?.update?.step === 'installing', 10000, 'status shows the install');
    assert.equal(s.firmware.update.status, 'Installing');
    assert.match(s.firmware.update.location, /\/fw\/good\.bin$/);
    assert.equal(s.firmware.diagnostics.status, 'Idle');
    const deadline = Date.now() + 10000;
    while (!fs.existsSync(path.join(dir, 'first-run')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(fs.existsSync(path.join(dir, 'first-run')), 'the installer runs');
    await cp.kill9();
    const again = csms.frames.length;
    await cp.restart();
    // After the restart: Installing again (the step resumed), then the reboot in place, then Installed.
    const boot2 = await csms.waitFor('BootNotification', 20000, again);
    await csms.waitFor(fwStatus('Installed'), 40000, csms.frames.indexOf(boot2));
    assert.ok(fs.existsSync(path.join(dir, 'installed.bin')), 'the second run of the installer installed the image');
    assert.equal(fs.readFileSync(path.join(dir, 'installed.bin'), 'utf8'), GOOD_IMAGE, 'the image as downloaded');
    const finals = statuses(csms, 'FirmwareStatusNotification', since).filter((x) => x === 'Installed' || x.endsWith('Failed'));
    assert.deepEqual(finals, ['Installed'], 'one definite final status');
    await cp.waitStatus((x) => x.firmware?.update?.status === 'Idle' && !x.firmware.update.step, 20000, 'the job is over');
  });

  test('GetDiagnostics over HTTP: multipart field "file", the window of the log, the status, no secret', async (t) => {
    await withCsms(t);
    const cp = await startController(t, csms);
    await new Promise((r) => setTimeout(r, 1100));
    const from = Date.now();
    await cp.cpctlOk('config', 'set', 'HeartbeatInterval', '301');   // something to log inside the window
    await new Promise((r) => setTimeout(r, 1100));
    const to = Date.now();
    const since = csms.frames.length;
    const { result } = await csms.call('GetDiagnostics', {
      location: `${files.url}/upload`, startTime: new Date(from).toISOString(), stopTime: new Date(to).toISOString(),
      retries: 2, retryInterval: 1,
    });
    assert.match(result.fileName, /^diagnostics-CP001-\d{8}T\d{6}Z\.tar\.gz$/);
    await csms.waitFor(diagStatus('Uploaded'), 30000, since);
    assert.deepEqual(statuses(csms, 'DiagnosticsStatusNotification', since), ['Uploading', 'Uploaded']);
    const upload = files.uploads.find((u) => u.fileName === result.fileName);
    assert.ok(upload, 'the file arrived');
    assert.equal(upload.field, 'file');
    const file = path.join(os.tmpdir(), `cp-${process.pid}-${result.fileName}`);
    fs.writeFileSync(file, upload.content);
    t.after(() => fs.rmSync(file, { force: true }));
    const archive = untar(file);
    assertWindow(archive.log, from, to);
    assert.match(archive.log, /HeartbeatInterval/);
    assert.equal(JSON.parse(archive.status).chargePointId, 'CP001');
    assert.match(archive.config, /HeartbeatInterval/);
    for (const text of [archive.log, archive.status, archive.config, upload.content.toString('latin1')])
      assert.ok(!text.includes(PASSWORD), 'the AuthorizationKey never reaches the archive');
    // The persistent log is there for a person on site too.
    assert.ok(fs.existsSync(path.join(cp.stateDir, 'log', 'chargepointd.log')));
  });

  test('--split: every actor process writes the persistent log, and the diagnostics hold all of them', async (t) => {
    await withCsms(t);
    const cp = await startController(t, csms, { extraArgs: ['--split'] });
    await cp.cpctlOk('plug', '1');
    await cp.cpctlOk('swipe', 'TAG-SPLITLOG');
    await cp.waitStatus((s) => s.connectors[0].transaction?.id != null, 20000, 'a session (lines from several processes)');
    const since = csms.frames.length;
    const uploadsBefore = files.uploads.length;    // an earlier test's file may carry the same name (same second)
    const { result } = await csms.call('GetDiagnostics', { location: `${files.url}/upload` });
    await csms.waitFor(diagStatus('Uploaded'), 30000, since);
    const upload = files.uploads.slice(uploadsBefore).find((u) => u.fileName === result.fileName);
    assert.ok(upload, 'the file arrived');
    const file = path.join(os.tmpdir(), `cp-${process.pid}-${result.fileName}`);
    fs.writeFileSync(file, upload.content);
    t.after(() => fs.rmSync(file, { force: true }));
    const archive = untar(file);
    // Lines that only the supervisor, the hw, transaction and ocpp processes write.
    for (const line of [/ supervisor +actor transaction started/, / hw +connector 1: lock/,
      / transaction connector 1: transaction \d+ started for TAG-SPLITLOG/, / ocpp +/])
      assert.match(archive.log, line);
    const status = JSON.parse(archive.status);
    assert.ok(status.actors.some((a) => a.name === 'transaction' && a.pid > 0), 'the status of --split, with pids');
    assert.equal(status.outbox.deadLetters, 0, 'the dead letters are in the status');
    assert.ok(status.firmware?.version, 'and the firmware running');
    // Whole lines only: every line of the log file starts with a timestamp.
    const text = fs.readFileSync(path.join(cp.stateDir, 'log', 'chargepointd.log'), 'utf8');
    const bad = text.split('\n').filter((l) => l && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /.test(l));
    assert.deepEqual(bad, [], 'no line of one process is cut into by another');
  });

  test('GetDiagnostics over FTP, FTPS and HTTPS: STOR into the URL\'s directory with the URL\'s credentials', async (t) => {
    await withCsms(t);
    const cp = await startController(t, csms, { caFile: certs.caFile });
    // What the charger says it can (errata 3.88) is what this test uses.
    const conf = await csms.call('GetConfiguration', { key: ['SupportedFileTransferProtocols'] });
    assert.deepEqual(conf.result.configurationKey.map((k) => k.value.split(',').sort()),
      [['FTP', 'FTPS', 'HTTP', 'HTTPS']]);
    const since = csms.frames.length;
    const { result } = await csms.call('GetDiagnostics', {
      location: `ftp://diag:ftp-pass-42@127.0.0.1:${ftp.port}/upload/`, retries: 2, retryInterval: 1,
    });
    await csms.waitFor(diagStatus('Uploaded'), 30000, since);
    const stored = path.join(ftp.root, 'upload', result.fileName);
    assert.ok(fs.existsSync(stored), `${stored} stored`);
    const archive = untar(stored);
    assert.match(archive.log, /GetDiagnostics/);
    assert.ok(!archive.log.includes(PASSWORD));
    assert.ok(!archive.log.includes('ftp-pass-42'), 'the URL\'s password is not in the archive');
    assert.ok(!cp.logs().includes('ftp-pass-42'), 'no log line holds the URL\'s password (debug frames included)');
    assert.match(cp.logs(), /ftp:\/\/\*\*\*@127\.0\.0\.1/, 'the frame is logged with its user info redacted');

    // ftps:// (implicit TLS, the server's certificate checked against --ca-file) ...
    const since2 = csms.frames.length;
    const tls = await csms.call('GetDiagnostics', {
      location: `ftps://diag:ftp-pass-42@127.0.0.1:${ftp.tlsPort}/upload/`, retries: 1, retryInterval: 1,
    });
    await csms.waitFor(diagStatus('Uploaded'), 30000, since2);
    assert.deepEqual(statuses(csms, 'DiagnosticsStatusNotification', since2), ['Uploading', 'Uploaded']);
    const storedTls = path.join(ftp.root, 'upload', tls.result.fileName);
    assert.ok(fs.existsSync(storedTls), `${storedTls} stored over FTPS`);
    assert.match(untar(storedTls).log, /GetDiagnostics/);

    // ... and https://, multipart like http://.
    const since3 = csms.frames.length;
    const uploadsBefore = files.uploads.length;
    const viaHttps = await csms.call('GetDiagnostics', { location: `${files.tlsUrl}/upload`, retries: 1, retryInterval: 1 });
    await csms.waitFor(diagStatus('Uploaded'), 30000, since3);
    const upload = files.uploads.slice(uploadsBefore).find((u) => u.fileName === viaHttps.result.fileName);
    assert.ok(upload, 'the file arrived over HTTPS');
    assert.equal(upload.field, 'file');
    const file = path.join(os.tmpdir(), `cp-${process.pid}-https-${viaHttps.result.fileName}`);
    fs.writeFileSync(file, upload.content);
    t.after(() => fs.rmSync(file, { force: true }));
    assert.match(untar(file).log, /GetDiagnostics/);
  });

  test('GetDiagnostics to a dead server: UploadFailed after the retries', async (t) => {
    await withCsms(t);
    const cp = await startController(t, csms);
    const port = await closedPort();
    const since = csms.frames.length;
    const mark = cp.logMark();
    await csms.call('GetDiagnostics', { location: `http://127.0.0.1:${port}/upload`, retries: 3, retryInterval: 1 });
    // Between the attempts, TriggerMessage answers the state in force.
    await cp.waitLog(/uploading to http:\/\/127\.0\.0\.1:\d+\/upload \(attempt 1/, 10000);
    const { result } = await csms.call('TriggerMessage', { requestedMessage: 'DiagnosticsStatusNotification' });
    assert.equal(result.status, 'Accepted');
    await csms.waitFor(diagStatus('UploadFailed'), 30000, since);
    assert.deepEqual(statuses(csms, 'DiagnosticsStatusNotification', since), ['Uploading', 'Uploading', 'UploadFailed']);
    assert.equal((cp.logs().slice(mark).match(/uploading to http:\/\/127\.0\.0\.1:\d+\/upload \(attempt/g) ?? []).length, 3);
  });
});
