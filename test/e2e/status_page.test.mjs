// status_page.test.mjs — the local status page end to end, without a browser: its HTTP
// answer, where it listens, its live WebSocket, the simulated-hardware buttons and the seed's
// OCPP settings form (enable, URL, charge point identity, password, accept).
//
// Why it exists: the page is the charger owner's way to see the OCPP connection and to move
// the charger to another central system. These tests hold it to its promises: loopback only
// unless told otherwise; a status push whenever something changes; malformed settings refused
// with a message and nothing changed; good settings reconnect to another central system
// under the new identity with the new password — which never appears in the page, the
// WebSocket stream, `cpctl config get` or the logs. (The browser test is
// status_page_browser.test.mjs.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { startPair, waitBooted, connector, Csms, Controller, artifactName } from './lib/harness.mjs';
import { runChargepointd } from './lib/controller.mjs';
import { PageSocket, freePort } from './lib/statuspage.mjs';

const HERE = import.meta.url;
const PASSWORD = 'Page-Secret-0123456789';    // 22 printable characters: a valid AuthorizationKey

async function pagePair(t, options = {}) {
  const port = await freePort();
  const pair = await startPair(t, HERE, { ...options, cp: { http: `127.0.0.1:${port}`, ...(options.cp ?? {}) } });
  return { ...pair, port };
}

async function openPage(t, port, options) {
  const page = await PageSocket.open(port, options);
  t.after(() => page.close());
  return page;
}

// Connect to HOST:PORT; resolves true if something accepts, false if refused.
function canConnect(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(2000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

test('GET / serves one self-contained page; other paths 404; loopback only by default', async (t) => {
  const port = await freePort();
  // --http PORT without an address: the default is loopback.
  const cp = await Controller.start({ http: String(port), name: artifactName(t, HERE) });
  t.after(() => cp.close());

  const response = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/html/);
  const csp = response.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/, 'nothing may be loaded from elsewhere');
  const html = await response.text();
  assert.match(html, /<title>Charger status<\/title>/);
  assert.match(html, /OCPP settings/);
  // No external asset: no src/href pointing anywhere, no @import, no url(http...).
  assert.doesNotMatch(html, /\s(src|href)\s*=\s*["']?(https?:)?\/\//i);
  assert.doesNotMatch(html, /@import|url\(\s*["']?https?:/i);
  const bytes = Buffer.byteLength(html);
  assert.ok(bytes < 64 * 1024, `page is small (${bytes} bytes)`);
  fs.writeFileSync(path.join(cp.artifactDir, 'page-size.txt'), `${bytes} bytes\n`);

  assert.equal((await fetch(`http://127.0.0.1:${port}/status.json`)).status, 404);
  assert.equal((await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x' })).status, 405);
  // A name instead of an IP literal could be a DNS-rebinding attack.
  const rebound = await new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.write(`GET / HTTP/1.1\r\nHost: attacker.example:${port}\r\nConnection: close\r\n\r\n`);
    });
    let text = '';
    socket.on('data', (d) => { text += d; });
    socket.on('close', () => resolve(text));
  });
  assert.match(rebound, /^HTTP\/1\.1 403/);

  // Bound to 127.0.0.1 only: another loopback address and the host's own addresses refuse.
  assert.equal(await canConnect('127.0.0.2', port), false, 'not bound to every address');
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family === 'IPv4' && !a.internal) {
        assert.equal(await canConnect(a.address, port), false, `not reachable on ${a.address}`);
      }
    }
  }
});

test('--http refuses a taken port and port 0 with one clear line (exit 2)', async (t) => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chargepointd-http-'));
  t.after(() => fs.rmSync(stateDir, { recursive: true, force: true }));
  const blocker = net.createServer();
  await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const taken = blocker.address().port;

  const busy = await runChargepointd(['--state-dir', stateDir, '--http', `127.0.0.1:${taken}`]);
  assert.equal(busy.code, 2, busy.stderr);
  assert.match(busy.stderr, new RegExp(`cannot serve the status page on 127\\.0\\.0\\.1:${taken}: Address already in use`));

  const zero = await runChargepointd(['--state-dir', stateDir, '--http', '0']);
  assert.equal(zero.code, 2, zero.stderr);
  assert.match(zero.stderr, /--http: the port must be 1\.\.65535/);

  const name = await runChargepointd(['--state-dir', stateDir, '--http', 'charger.example:8080']);
  assert.equal(name.code, 2, name.stderr);
  assert.match(name.stderr, /not an IP address/);
});

test('the WebSocket pushes status and the simulated-hardware buttons drive the charger', async (t) => {
  const { csms, cp, port } = await pagePair(t);
  await waitBooted(cp);
  const page = await openPage(t, port);

  let s = await page.waitStatus((st) => st.ocpp.connection === 'connected' && st.ocpp.registration === 'Accepted');
  assert.equal(page.statuses.at(-1).sim, true, 'the page knows the hardware is simulated');
  assert.equal(s.chargePointId, 'CP001');
  assert.equal(s.ocpp.enabled, true);
  assert.equal(s.ocpp.url, csms.url);
  assert.equal(s.ocpp.passwordSet, false);
  assert.equal(connector(s, 1).status, 'Available');
  const pushesBefore = page.statuses.length;

  let reply = await page.request({ command: 'plug', connector: 1 });
  assert.deepEqual([reply.ok, reply.message], [true, 'connector 1 plugged in']);
  s = await page.waitStatus((st) => connector(st, 1).plugged && connector(st, 1).status === 'Preparing');
  assert.ok(page.statuses.length > pushesBefore, 'a change is pushed');

  reply = await page.request({ command: 'swipe', idTag: 'PAGE-CARD' });
  assert.equal(reply.ok, true, reply.message);
  await csms.waitFor('StartTransaction', 20000);
  reply = await page.request({ command: 'ev', connector: 1, action: 'charge' });
  assert.equal(reply.ok, true, reply.message);
  s = await page.waitStatus((st) => connector(st, 1).status === 'Charging' && connector(st, 1).powerW > 0, 20000);
  assert.equal(connector(s, 1).transaction.idTag, 'PAGE-CARD');
  assert.equal(connector(s, 1).hmi.halo, 'green');

  reply = await page.request({ command: 'fault', connector: 1, kind: 'rcd' });
  assert.equal(reply.ok, true, reply.message);
  s = await page.waitStatus((st) => connector(st, 1).status === 'Faulted', 20000);
  assert.equal(connector(s, 1).hmi.halo, 'red');
  reply = await page.request({ command: 'fault', connector: 1, kind: 'clear' });
  assert.equal(reply.ok, true, reply.message);

  // The supervisor's own refusals come back as they are.
  reply = await page.request({ command: 'plug', connector: 2 });
  assert.equal(reply.ok, false);
  assert.match(reply.message, /no connector '2'/);
});

test('bad frames and foreign origins get a clear answer', async (t) => {
  const { cp, port } = await pagePair(t, { cp: {} });
  await waitBooted(cp);
  const page = await openPage(t, port);
  page.send('not json');
  assert.match((await page.nextError()).message, /not JSON/);
  page.send('x'.repeat(5000));
  assert.match((await page.nextError()).message, /at most 4096 bytes/);
  page.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  assert.match((await page.nextError()).message, /JSON text message/);
  const unknown = await page.request({ command: 'reboot' });
  assert.deepEqual([unknown.ok, unknown.message], [false, "unknown command 'reboot'"]);
  // Still serving after all that.
  await page.waitStatus((st) => st.ocpp.connection === 'connected');

  await assert.rejects(PageSocket.open(port, { origin: 'http://attacker.example' }), 'another site may not drive the charger');
  // An Origin too long to read is refused, never taken for a missing one.
  await assert.rejects(PageSocket.open(port, { origin: `http://${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.evil.example` }),
    'an oversized Origin is refused');
  const sameOrigin = await PageSocket.open(port, { origin: `http://127.0.0.1:${port}` });
  await sameOrigin.close();
});

// Each request gets its own reply, even in a burst far beyond the reply queue's 8 slots: the
// page reads no further while 8 answers wait, instead of dropping the oldest.
test('a burst of requests: every one answered, in order, none dropped', async (t) => {
  const { cp, port } = await pagePair(t, { cp: {} });
  await waitBooted(cp);
  const page = await openPage(t, port);
  const ids = Array.from({ length: 40 }, (_, i) => 1000 + i);
  // One TCP write: the controller reads them all before it can write a single reply.
  page.ws._socket.cork();
  for (const id of ids) page.send(JSON.stringify({ id, command: 'reboot' }));
  page.ws._socket.uncork();
  const answered = () => ids.every((id) => page.replies.has(id)) ? true : undefined;
  await page._until(answered, 15000, `replies to all ${ids.length} requests`).catch((err) => {
    const missing = ids.filter((id) => !page.replies.has(id));
    throw new Error(`${err.message}; unanswered: ${missing.join(',')}`);
  });
  for (const id of ids) assert.equal(page.replies.get(id).message, "unknown command 'reboot'");
  const order = page.texts.map((x) => { try { return JSON.parse(x); } catch { return null; } })
    .filter((m) => m?.type === 'reply' && ids.includes(m.id)).map((m) => m.id);
  assert.deepEqual(order, ids, 'answered in the order asked');
  await page.waitStatus((st) => st.ocpp.connection === 'connected');
});

test('malformed settings are refused with a message and change nothing', async (t) => {
  const { csms, cp, port } = await pagePair(t);
  await waitBooted(cp);
  const page = await openPage(t, port);
  await page.waitStatus((st) => st.ocpp.connection === 'connected');
  const connections = csms.connections.length;
  const good = { command: 'settings', enabled: true, url: csms.url, identity: 'CP001', password: '', accept: true };

  const cases = [
    [{ url: 'http://central.example/ocpp' }, /malformed central system URL/],
    [{ url: 'ws://central.example:99999/ocpp' }, /malformed central system URL/],
    [{ url: 'ws://central system/ocpp' }, /malformed central system URL/],
    [{ identity: '' }, /charge point identity is required/],
    [{ password: 'p'.repeat(60) }, /password must be 16\.\.40/],
    [{ accept: false }, /terms and conditions/],
  ];
  for (const [change, message] of cases) {
    const reply = await page.request({ ...good, ...change });
    assert.equal(reply.ok, false, `refused: ${JSON.stringify(change)}`);
    assert.match(reply.message, message);
    assert.ok(!reply.message.includes('p'.repeat(20)), 'the refused password is not echoed');
  }
  // Nothing changed: same settings, same connection, no reconnect.
  const config = JSON.parse((await cp.cpctlOk('config', 'get')).stdout);
  const value = (key) => config.find((e) => e.key === key);
  assert.equal(value('CentralSystemUrl').value, csms.url);
  assert.equal(value('ChargePointIdentity').value, 'CP001');
  assert.equal(value('OcppEnabled').value, 'true');
  assert.equal(value('AuthorizationKey').value, null);
  const s = await cp.status();
  assert.equal(s.ocpp.connection, 'connected');
  assert.equal(s.ocpp.passwordSet, false);
  assert.equal(csms.connections.length, connections, 'no reconnect');
  assert.ok(csms.connected);
});

test('good settings reconnect to a second central system under the new identity; the password never shows', async (t) => {
  const { csms: first, cp, port } = await pagePair(t);
  await waitBooted(cp);
  const second = new Csms({ basicAuth: { 'CP-PAGE-2': PASSWORD } });
  await second.start();
  t.after(() => second.stop());
  const page = await openPage(t, port);
  await page.waitStatus((st) => st.ocpp.registration === 'Accepted');

  const reply = await page.request({
    command: 'settings', enabled: true, url: second.url, identity: 'CP-PAGE-2', password: PASSWORD, accept: true,
  });
  assert.deepEqual([reply.ok, reply.message], [true, 'settings saved: connecting to the central system']);

  await second.waitFor('BootNotification', 20000);
  const attempt = second.attempts.find((a) => !a.reason);
  assert.ok(attempt, `an accepted connection: ${JSON.stringify(second.attempts)}`);
  assert.equal(second.identity, 'CP-PAGE-2', 'the new identity is the last path segment');
  await first.waitForDisconnection(10000);
  let s = await page.waitStatus((st) => st.chargePointId === 'CP-PAGE-2' && st.ocpp.registration === 'Accepted'
    && st.ocpp.connection === 'connected', 20000);
  assert.equal(s.ocpp.url, second.url);
  assert.equal(s.ocpp.passwordSet, true);

  // The CSMS may read the new settings but not change them (local_only).
  const change = await second.call('ChangeConfiguration', { key: 'CentralSystemUrl', value: first.url });
  assert.equal(change.result?.status, 'Rejected', util.inspect(change));
  const got = (await second.call('GetConfiguration', { key: ['CentralSystemUrl', 'ChargePointIdentity', 'OcppEnabled'] })).result;
  assert.deepEqual(Object.fromEntries(got.configurationKey.map((k) => [k.key, [k.value, k.readonly]])), {
    CentralSystemUrl: [second.url, true], ChargePointIdentity: ['CP-PAGE-2', true], OcppEnabled: ['true', true],
  });

  // The seed's enable switch: off disconnects, the page says "disabled".
  const off = await page.request({ command: 'settings', enabled: false, url: second.url, identity: 'CP-PAGE-2', accept: true });
  assert.equal(off.ok, true, off.message);
  await second.waitForDisconnection(10000);
  s = await page.waitStatus((st) => st.ocpp.connection === 'disabled' && st.ocpp.enabled === false, 10000);
  assert.equal(s.ocpp.passwordSet, true, 'an empty password field kept the stored one');

  // The settings survive a restart (stored values win over --csms/--id).
  await page.close();
  await cp.restart();
  s = await cp.status();
  assert.equal(s.ocpp.connection, 'disabled');
  assert.equal(s.chargePointId, 'CP-PAGE-2');

  // Never the password: not in the page, the stream, cpctl or the logs.
  const html = await (await fetch(`http://127.0.0.1:${port}/`)).text();
  const config = (await cp.cpctlOk('config', 'get')).stdout;
  for (const [where, text] of [['page', html], ['WebSocket stream', page.texts.join('\n')],
    ['cpctl config get', config], ['controller log', cp.logs()]]) {
    assert.ok(!text.includes(PASSWORD), `the password appears in the ${where}`);
  }
  assert.ok(page.texts.length > 3);
});
