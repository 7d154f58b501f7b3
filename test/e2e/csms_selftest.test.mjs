// csms_selftest.test.mjs — tests of the scripted test CSMS (tools/csms/csms.mjs) itself.
//
// Why it exists: every end-to-end test trusts this CSMS to record and answer frames
// correctly; these tests pin that behaviour down with a plain `ws` client, without needing
// the chargepointd binaries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Csms } from '../../tools/csms/csms.mjs';
import { makeCerts } from './lib/certs.mjs';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');

// Open a WebSocket to the CSMS; resolves {ws, inbox, next()} or rejects with {status}.
function connect(url, { protocols = ['ocpp1.6'], headers = {}, ca } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers, ...(ca ? { ca } : {}) });
    const inbox = [];
    const waiting = [];
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (waiting.length) waiting.shift()(msg); else inbox.push(msg);
    });
    const next = (timeoutMs = 3000) => new Promise((res, rej) => {
      if (inbox.length) return res(inbox.shift());
      const deliver = (m) => { clearTimeout(timer); res(m); };
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(deliver), 1);
        rej(new Error('no frame from the CSMS in time'));
      }, timeoutMs);
      waiting.push(deliver);
    });
    ws.on('open', () => resolve({ ws, next }));
    ws.on('unexpected-response', (req, res) => {
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
      req.destroy();
    });
    ws.on('error', (err) => reject(err));
  });
}

async function withCsms(options, fn) {
  const csms = new Csms(options);
  await csms.start();
  try {
    await fn(csms, `ws://127.0.0.1:${csms.port}/ocpp`);
  } finally {
    await csms.stop();
  }
}

test('csms refuses a connection that does not offer ocpp1.6 and accepts one that does', async () => {
  await withCsms({}, async (csms, base) => {
    await assert.rejects(connect(`${base}/CP1`, { protocols: ['ocpp2.0.1'] }), { status: 400 });
    await assert.rejects(connect(`${base}/CP1`, { protocols: [] }), { status: 400 });
    const { ws } = await connect(`${base}/CP1`, { protocols: ['ocpp2.0.1', 'ocpp1.6'] });
    assert.equal(ws.protocol, 'ocpp1.6');
    await csms.waitForConnection(2000);
    assert.equal(csms.connected, true);
    assert.equal(csms.identity, 'CP1');
    assert.equal(csms.attempts.length, 3);
    ws.close();
    await csms.waitForDisconnection(2000);
    assert.equal(csms.connected, false);
  });
});

test('csms percent-decodes the identity from the last path segment', async () => {
  await withCsms({}, async (csms, base) => {
    const { ws } = await connect(`${base}/deeper/path/CP%2001`);
    const conn = await csms.waitForConnection(2000);
    assert.equal(conn.identity, 'CP 01');
    assert.equal(conn.path, '/ocpp/deeper/path/CP%2001');
    ws.close();
  });
});

test('csms checks HTTP Basic authentication', async () => {
  const basicAuth = { CP1: 'secret-password-1', CP2: '00112233445566778899aabbccddeeff' };
  await withCsms({ basicAuth }, async (csms, base) => {
    const auth = (user, pass) => {
      const credentials = Buffer.concat([Buffer.from(`${user}:`), Buffer.isBuffer(pass) ? pass : Buffer.from(pass)]);
      return { Authorization: `Basic ${credentials.toString('base64')}` };
    };
    await assert.rejects(connect(`${base}/CP1`), { status: 401 });
    await assert.rejects(connect(`${base}/CP1`, { headers: auth('CP1', 'wrong') }), { status: 401 });
    await assert.rejects(connect(`${base}/CP1`, { headers: auth('CP2', 'secret-password-1') }), { status: 401 });
    await assert.rejects(connect(`${base}/CP3`, { headers: auth('CP3', 'anything') }), { status: 401 });
    assert.equal(csms.connections.length, 0);

    const ok = await connect(`${base}/CP1`, { headers: auth('CP1', 'secret-password-1') });
    const conn = await csms.waitForConnection(2000);
    assert.equal(conn.authorizationPresent, true);
    ok.ws.close();
    await csms.waitForDisconnection(2000);

    // A hex AuthorizationKey may be sent as the hex text or as the bytes it stands for.
    const asText = await connect(`${base}/CP2`, { headers: auth('CP2', '00112233445566778899aabbccddeeff') });
    asText.ws.close();
    const asBytes = await connect(`${base}/CP2`,
      { headers: auth('CP2', Buffer.from('00112233445566778899aabbccddeeff', 'hex')) });
    asBytes.ws.close();
    assert.equal(csms.attempts.filter((a) => !a.accepted).length, 4);
  });
});

test('csms answers every charge point action with a valid default result', async () => {
  await withCsms({ bootStatus: 'Pending', bootInterval: 7 }, async (csms, base) => {
    const { ws, next } = await connect(`${base}/CP1`);
    const ask = async (id, action, payload = {}) => {
      ws.send(JSON.stringify([2, id, action, payload]));
      const reply = await next();
      assert.equal(reply[1], id);
      return reply;
    };

    let [type, , result] = await ask('b1', 'BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' });
    assert.equal(type, 3);
    assert.equal(result.status, 'Pending');
    assert.equal(result.interval, 7);
    assert.ok(!Number.isNaN(Date.parse(result.currentTime)));

    csms.bootStatus = 'Accepted';
    [, , result] = await ask('b2', 'BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' });
    assert.equal(result.status, 'Accepted');

    [, , result] = await ask('h1', 'Heartbeat');
    assert.ok(!Number.isNaN(Date.parse(result.currentTime)));
    assert.deepEqual((await ask('s1', 'StatusNotification', { connectorId: 0, errorCode: 'NoError', status: 'Available' }))[2], {});
    assert.deepEqual((await ask('au', 'Authorize', { idTag: 'T' }))[2], { idTagInfo: { status: 'Accepted' } });
    const start1 = (await ask('st1', 'StartTransaction', {}))[2];
    const start2 = (await ask('st2', 'StartTransaction', {}))[2];
    assert.equal(start1.idTagInfo.status, 'Accepted');
    assert.equal(start2.transactionId, start1.transactionId + 1);
    assert.deepEqual((await ask('sp', 'StopTransaction', {}))[2], { idTagInfo: { status: 'Accepted' } });
    assert.deepEqual((await ask('mv', 'MeterValues', {}))[2], {});
    assert.deepEqual((await ask('dt', 'DataTransfer', { vendorId: 'x' }))[2], { status: 'Accepted' });
    assert.deepEqual((await ask('dg', 'DiagnosticsStatusNotification', {}))[2], {});
    assert.deepEqual((await ask('fw', 'FirmwareStatusNotification', {}))[2], {});
    const unknown = await ask('u1', 'Bogus', {});
    assert.equal(unknown[0], 4);
    assert.equal(unknown[2], 'NotImplemented');

    assert.equal(csms.received('BootNotification').length, 2);
    assert.deepEqual(csms.received('Authorize'), [{ idTag: 'T' }]);
    const boot = csms.frames.find((f) => f.dir === 'out' && f.msg[1] === 'b1');
    assert.equal(boot.action, 'BootNotification');
    assert.equal(boot.identity, 'CP1');
    ws.close();
  });
});

test('csms handlers override answers: result, error and no reply', async () => {
  await withCsms({}, async (csms, base) => {
    const { ws, next } = await connect(`${base}/CP1`);
    csms.handle('Authorize', (payload, ctx) => ({ idTagInfo: { status: payload.idTag === 'good' ? 'Accepted' : 'Invalid' }, who: ctx.identity }));
    csms.handle('Heartbeat', () => ({ error: { code: 'GenericError', description: 'nope' } }));
    csms.handle('MeterValues', () => ({ noReply: true }));

    ws.send(JSON.stringify([2, 'x1', 'Authorize', { idTag: 'bad' }]));
    assert.deepEqual(await next(), [3, 'x1', { idTagInfo: { status: 'Invalid' }, who: 'CP1' }]);
    ws.send(JSON.stringify([2, 'x2', 'Heartbeat', {}]));
    assert.deepEqual(await next(), [4, 'x2', 'GenericError', 'nope', {}]);
    ws.send(JSON.stringify([2, 'x3', 'MeterValues', {}]));
    await assert.rejects(next(300));
    csms.handle('Heartbeat', null);  // back to the default
    ws.send(JSON.stringify([2, 'x4', 'Heartbeat', {}]));
    assert.equal((await next())[0], 3);
    ws.close();
  });
});

test('csms.call resolves results and errors; sendRaw and waitFor see the frames', async () => {
  await withCsms({}, async (csms, base) => {
    await assert.rejects(csms.call('Reset', { type: 'Soft' }), /no charge point connected/);
    const { ws } = await connect(`${base}/CP1`);
    await csms.waitForConnection(2000);
    ws.on('message', (data) => {
      const [type, id, action, payload] = JSON.parse(data.toString());
      if (type !== 2) return;
      if (action === 'GetConfiguration') ws.send(JSON.stringify([3, id, { configurationKey: [], unknownKey: payload.key }]));
      else if (action === 'Raw') ws.send(JSON.stringify([4, id, 'NotImplemented', 'raw', {}]));
      else if (action !== 'Silent') ws.send(JSON.stringify([4, id, 'NotSupported', 'no', { why: 1 }]));
    });

    const ok = await csms.call('GetConfiguration', { key: ['A'] });
    assert.deepEqual(ok.result, { configurationKey: [], unknownKey: ['A'] });
    const bad = await csms.call('Reset', { type: 'Hard' });
    assert.deepEqual(bad.error, { code: 'NotSupported', description: 'no', details: { why: 1 } });
    await assert.rejects(csms.call('Silent', {}, { timeoutMs: 200 }), /no answer/);

    const since = csms.mark();
    csms.sendRaw('[2,"raw-1","Raw",{}]');
    const reply = await csms.waitForReply('raw-1', 2000, since);
    assert.equal(reply.msg[2], 'NotImplemented');
    assert.equal(reply.action, 'Raw');

    ws.send(JSON.stringify([2, 'hb', 'Heartbeat', {}]));
    const hb = await csms.waitFor('Heartbeat', 2000);
    assert.equal(hb.dir, 'in');
    assert.equal(typeof hb.t, 'number');
    // waitFor counts frames that already arrived, unless `since` excludes them.
    assert.equal(await csms.waitFor('Heartbeat', 10), hb);
    await assert.rejects(csms.waitFor('Heartbeat', 100, csms.mark()), (err) => {
      assert.match(err.message, /timed out after 100 ms/);
      return true;
    });
    await assert.rejects(csms.waitFor('BootNotification', 100), (err) => {
      assert.match(err.message, /Heartbeat/, 'the failure message lists what was seen');
      return true;
    });

    // A call in flight when the connection drops is rejected at once.
    const inFlight = csms.call('Silent', {}, { timeoutMs: 5000 });
    csms.disconnectClient();
    await assert.rejects(inFlight, /connection closed/);
    await csms.waitForDisconnection(2000);
  });
});

test('csms restarts on the same port', async () => {
  const csms = new Csms({});
  const { port } = await csms.start();
  const first = await connect(`ws://127.0.0.1:${port}/ocpp/CP1`);
  await csms.waitForConnection(2000);
  const closed = new Promise((resolve) => first.ws.on('close', resolve));
  await csms.stop();
  await closed;
  assert.equal(csms.connected, false);
  await assert.rejects(connect(`ws://127.0.0.1:${port}/ocpp/CP1`));
  assert.deepEqual(await csms.start(), { port });
  const second = await connect(`ws://127.0.0.1:${port}/ocpp/CP1`);
  await csms.waitForConnection(2000);
  assert.equal(csms.connections.length, 2);
  second.ws.close();
  await csms.stop();
});

test('csms serves wss:// with the given key and certificate', async () => {
  const certs = makeCerts();
  try {
    await withCsms({ tls: { key: certs.serverKey, cert: certs.serverCert } }, async (csms) => {
      assert.match(csms.url, /^wss:\/\/127\.0\.0\.1:\d+\/ocpp$/);
      const { ws } = await connect(`${csms.url}/CP1`, { ca: certs.caCert });
      await csms.waitForConnection(2000);
      ws.close();
      // A client that does not trust the CA cannot connect.
      await assert.rejects(connect(`${csms.url}/CP1`));
    });
  } finally {
    certs.remove();
  }
});
