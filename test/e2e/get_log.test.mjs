// get_log.test.mjs — GetLog (security whitepaper N01) with LogStatusNotification, over HTTP on
// 127.0.0.1: the SecurityLog uploaded holds the durable security log's events, the DiagnosticsLog
// the diagnostics archive; every status carries the request's id.
//
// Why it exists: the security log is what an operator audits after an incident; only a real
// upload shows that the events the charger raised are the ones that arrive, in order.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Controller } from './lib/controller.mjs';
import { Csms, waitBooted, isCallIn } from './lib/harness.mjs';

function fileOf(contentType, body) {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType ?? '')?.[2];
  const start = body.indexOf(`--${boundary}`) + boundary.length + 4;
  const headerEnd = body.indexOf('\r\n\r\n', start);
  const end = body.indexOf(`\r\n--${boundary}`, headerEnd);
  return { fileName: /filename="([^"]+)"/.exec(body.slice(start, headerEnd).toString())?.[1],
    content: body.slice(headerEnd + 4, end) };
}

// The members of a .tar.gz, by name.
function untar(content, dir) {
  fs.writeFileSync(path.join(dir, 'a.tar.gz'), content);
  const names = execFileSync('tar', ['tzf', 'a.tar.gz'], { cwd: dir }).toString().trim().split('\n');
  execFileSync('tar', ['xzf', 'a.tar.gz'], { cwd: dir });
  return Object.fromEntries(names.map((n) => [n, fs.readFileSync(path.join(dir, n), 'utf8')]));
}

const logStatuses = (csms, since) => csms.frames.slice(since)
  .filter((f) => isCallIn(f, 'LogStatusNotification')).map((f) => `${f.msg[3].status}/${f.msg[3].requestId}`);

describe('GetLog', () => {
  let dir;
  let uploads;
  let files;
  let csms;
  let cp;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-getlog-'));
    uploads = [];
    files = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => { uploads.push(fileOf(req.headers['content-type'], Buffer.concat(chunks))); res.end('ok'); });
    });
    await new Promise((resolve) => files.listen(0, '127.0.0.1', resolve));
    csms = new Csms({ port: 0 });
    await csms.start();
    cp = await Controller.start({ csmsUrl: csms.url, name: 'get-log' });
    await waitBooted(cp);
    // a security event of our own, with a techInfo to find
    await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification') && f.msg[3].type === 'StartupOfTheDevice', 15000);
    await csms.call('ChangeConfiguration', { key: 'CpoName', value: 'GetLog CPO' });
    await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification') && f.msg[3].techInfo === 'CpoName changed', 15000);
  });
  after(async () => {
    await cp?.close();
    await csms?.stop();
    files?.closeAllConnections?.();
    await new Promise((resolve) => (files ? files.close(resolve) : resolve()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const location = () => `http://127.0.0.1:${files.address().port}/upload`;

  test('SecurityLog: the security log\'s events, in order; Uploading then Uploaded with the requestId', async () => {
    const since = csms.mark();
    const { result } = await csms.call('GetLog', { logType: 'SecurityLog', requestId: 41,
      log: { remoteLocation: location() } });
    assert.equal(result.status, 'Accepted');
    assert.match(result.filename, /^securitylog-CP001-\d{8}T\d{6}Z\.tar\.gz$/);
    await csms.waitFor((f) => isCallIn(f, 'LogStatusNotification') && f.msg[3].status === 'Uploaded', 20000, since);
    assert.deepEqual(logStatuses(csms, since), ['Uploading/41', 'Uploaded/41']);
    const upload = uploads.at(-1);
    assert.equal(upload.fileName, result.filename);
    const members = untar(upload.content, fs.mkdtempSync(path.join(dir, 'sec-')));
    assert.deepEqual(Object.keys(members), ['securitylog.txt']);
    const lines = members['securitylog.txt'].trim().split('\n');
    const startup = lines.findIndex((l) => / StartupOfTheDevice$/.test(l));
    const cpo = lines.findIndex((l) => / ReconfigurationOfSecurityParameters CpoName changed$/.test(l));
    assert.ok(startup >= 0 && cpo > startup, lines.join('\n'));
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
  });

  test('DiagnosticsLog: the diagnostics archive (the persistent log, status, configuration)', async () => {
    const since = csms.mark();
    const { result } = await csms.call('GetLog', { logType: 'DiagnosticsLog', requestId: 42,
      log: { remoteLocation: location() } });
    assert.equal(result.status, 'Accepted');
    await csms.waitFor((f) => isCallIn(f, 'LogStatusNotification') && f.msg[3].status === 'Uploaded', 20000, since);
    assert.deepEqual(logStatuses(csms, since), ['Uploading/42', 'Uploaded/42']);
    const members = untar(uploads.at(-1).content, fs.mkdtempSync(path.join(dir, 'diag-')));
    assert.deepEqual(Object.keys(members).sort(), ['configuration.json', 'log.txt', 'status.json']);
    // (the persistent log is written asynchronously: only lines well before the request are sure)
    assert.match(members['log.txt'], /"BootNotification"/);
  });

  test('a location that cannot be used: UploadFailure', async () => {
    const since = csms.mark();
    const { result } = await csms.call('GetLog', { logType: 'SecurityLog', requestId: 43,
      log: { remoteLocation: 'gopher://127.0.0.1/x' } });
    assert.equal(result.status, 'Accepted');
    await csms.waitFor((f) => isCallIn(f, 'LogStatusNotification') && f.msg[3].status === 'UploadFailure', 20000, since);
    assert.deepEqual(logStatuses(csms, since), ['UploadFailure/43']);
  });
});
