// boot.test.mjs — connecting and registering with the central system (OCPP 1.6 §4.2, §4.6,
// OCPP-J §3, security whitepaper profile 1).
//
// Why it exists: everything else depends on the controller reaching a CSMS, registering with
// BootNotification (Accepted, Pending, Rejected), keeping the link alive with Heartbeat,
// coming back after the link drops, and authenticating with HTTP Basic auth.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  startPair, isConnected, isBooted, isCallIn, statusNotification, waitBooted, connector,
} from './lib/harness.mjs';

const HERE = import.meta.url;
const PASSWORD = '0123456789abcdef0123456789abcdef';  // 16 bytes as hex, as AuthorizationKey

test('boot Accepted: BootNotification first, then Available for every connector', async (t) => {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootInterval: 300 } });

  const boot = await csms.waitFor('BootNotification', 20000);
  const firstCall = csms.frames.find((f) => isCallIn(f));
  assert.equal(firstCall, boot, 'the first CALL from the charge point is BootNotification');
  const payload = boot.msg[3];
  assert.equal(typeof payload.chargePointVendor, 'string');
  assert.ok(payload.chargePointVendor.length > 0 && payload.chargePointVendor.length <= 20);
  assert.equal(typeof payload.chargePointModel, 'string');
  assert.ok(payload.chargePointModel.length > 0 && payload.chargePointModel.length <= 20);

  const conn = csms.connections[0];
  assert.equal(conn.identity, 'CP001');
  assert.equal(conn.path, '/ocpp/CP001');
  assert.equal(conn.protocol, 'ocpp1.6');

  const sn0 = await csms.waitFor(statusNotification(0, 'Available'), 20000);
  const sn1 = await csms.waitFor(statusNotification(1, 'Available'), 20000);
  const bootConf = csms.frames.findIndex((f) => f.dir === 'out' && f.msg?.[0] === 3 && f.msg[1] === boot.msg[1]);
  assert.ok(bootConf >= 0);
  assert.ok(csms.frames.indexOf(sn0) > bootConf, 'StatusNotification only after BootNotification was accepted');
  assert.ok(csms.frames.indexOf(sn1) > bootConf);
  assert.equal(sn1.msg[3].errorCode, 'NoError');

  const s = await waitBooted(cp);
  assert.equal(s.chargePointId, 'CP001');
  assert.equal(connector(s, 1)?.status, 'Available');
});

test('boot Pending: only BootNotification until Accepted, retried after the interval', async (t) => {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootStatus: 'Pending', bootInterval: 1 } });

  await csms.waitForCalls('BootNotification', 2, 20000);
  await cp.waitStatus((s) => s.ocpp.registration === 'Pending', 10000, 'registration "Pending"');
  csms.bootStatus = 'Accepted';

  const accepted = await csms.waitFor((f) => f.dir === 'out' && f.action === 'BootNotification'
    && f.msg?.[0] === 3 && f.msg[2].status === 'Accepted', 20000);
  const before = csms.frames.slice(0, csms.frames.indexOf(accepted)).filter((f) => isCallIn(f));
  assert.ok(before.length >= 3);
  assert.deepEqual([...new Set(before.map((f) => f.msg[2]))], ['BootNotification'],
    'while Pending the charge point sends nothing but BootNotification');

  await csms.waitFor(statusNotification(1, 'Available'), 20000, csms.frames.indexOf(accepted));
  await waitBooted(cp);
});

test('boot Pending: TriggerMessage makes the charger send exactly what was asked, nothing else', async (t) => {
  // Spec 4.2: while Pending the charge point SHALL NOT send requests unless instructed by
  // TriggerMessage — which is how a central system learns about a charger before accepting it.
  const { csms, cp } = await startPair(t, HERE, { csms: { bootStatus: 'Pending', bootInterval: 300 }, cp: { connectors: 2 } });
  await csms.waitFor('BootNotification', 20000);
  await cp.waitStatus((s) => s.ocpp.registration === 'Pending', 10000, 'registration "Pending"');
  const ask = async (payload, action, count) => {
    const since = csms.frames.length;
    const { result } = await csms.call('TriggerMessage', payload);
    assert.equal(result.status, 'Accepted', JSON.stringify(payload));
    return csms.waitForCalls(action, count, 10000, since);
  };
  const one = await ask({ requestedMessage: 'StatusNotification', connectorId: 2 }, 'StatusNotification', 1);
  assert.equal(one[0].msg[3].connectorId, 2);
  const all = await ask({ requestedMessage: 'StatusNotification' }, 'StatusNotification', 3);
  assert.deepEqual(all.map((f) => f.msg[3].connectorId).sort(), [0, 1, 2]);
  await ask({ requestedMessage: 'Heartbeat' }, 'Heartbeat', 1);
  const mv = await ask({ requestedMessage: 'MeterValues', connectorId: 1 }, 'MeterValues', 1);
  assert.equal(mv[0].msg[3].meterValue[0].sampledValue[0].context, 'Trigger');
  await ask({ requestedMessage: 'FirmwareStatusNotification' }, 'FirmwareStatusNotification', 1);
  // Something the central system did not ask for (a cable plugged in) stays unsent while Pending.
  const since = csms.frames.length;
  assert.equal((await cp.cpctl('plug', '1')).code, 0);
  await cp.waitStatus((s) => s.connectors[0].status === 'Preparing', 10000, 'connector 1 Preparing locally');
  await new Promise((r) => setTimeout(r, 1000));      // proving that nothing is sent
  const sent = csms.frames.slice(since).filter((f) => isCallIn(f));
  assert.deepEqual(sent.map((f) => f.msg[2]), [], 'while Pending nothing untriggered is sent');
  assert.equal((await cp.status()).ocpp.registration, 'Pending');
});

test('boot Rejected: registration Rejected, BootNotification retried, nothing else sent', async (t) => {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootStatus: 'Rejected', bootInterval: 1 } });

  await csms.waitForCalls('BootNotification', 2, 20000);
  await cp.waitStatus((s) => s.ocpp.registration === 'Rejected', 10000, 'registration "Rejected"');
  await csms.waitForCalls('BootNotification', 3, 20000);
  const others = csms.frames.filter((f) => isCallIn(f) && f.msg[2] !== 'BootNotification');
  assert.deepEqual(others.map((f) => f.msg[2]), [], 'while Rejected the charge point sends nothing but BootNotification');
});

test('heartbeat: sent every interval from BootNotification.conf', async (t) => {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootInterval: 1 } });
  await waitBooted(cp);
  const beats = await csms.waitForCalls('Heartbeat', 2, 20000);
  for (const f of beats) assert.deepEqual(f.msg[3], {});
  const replies = csms.frames.filter((f) => f.dir === 'out' && f.action === 'Heartbeat');
  assert.ok(replies.length >= 1);
});

test('reconnect: the link comes back after the central system restarts', async (t) => {
  const { csms, cp } = await startPair(t, HERE, { csms: { bootInterval: 1 } });
  await waitBooted(cp);
  await csms.waitFor(statusNotification(1, 'Available'), 20000);

  await csms.stop();
  await cp.waitStatus((s) => ['connecting', 'error'].includes(s.ocpp.connection), 20000,
    'connection "connecting" or "error" while the CSMS is down');

  const since = csms.mark();
  await csms.start();  // same port
  await csms.waitForConnection(60000);
  await cp.waitStatus(isConnected, 30000, 'connection "connected" again');
  // Traffic flows again on the new connection (a Heartbeat, a StatusNotification, or a new boot).
  await csms.waitFor((f) => isCallIn(f), 20000, since);
  assert.equal(csms.connections.length, 2);
});

test('Basic auth: the right password connects, sent in the Authorization header', async (t) => {
  const { csms, cp } = await startPair(t, HERE, {
    csms: { basicAuth: { CP001: PASSWORD } },
    cp: { password: PASSWORD },
  });
  await waitBooted(cp);
  assert.equal(csms.connections[0].authorizationPresent, true);
  assert.ok(!cp.logs().includes(PASSWORD), 'the AuthorizationKey never appears in the log');
});

test('Basic auth: a wrong password is refused and never connects', async (t) => {
  const { csms, cp } = await startPair(t, HERE, {
    csms: { basicAuth: { CP001: PASSWORD } },
    cp: { password: 'ffffffffffffffffffffffffffffffff' },
  });
  await cp.waitStatus((s) => s.ocpp.connection === 'error', 20000, 'connection "error" after HTTP 401');
  await cp.expectNever(isConnected, 3000, 'connected with a wrong password');
  assert.equal(csms.connections.length, 0);
  assert.ok(csms.attempts.length >= 1);
  assert.ok(csms.attempts.every((a) => a.authorizationPresent && /^401/.test(a.reason)));
  assert.equal(cp.running, true, 'a refused login is no reason to exit');
});

test('AuthorizationKeyEncoding: a central system that decodes the hex key is met with hex, a text one with text', async (t) => {
  // OCPP-J 6.2.2 speaks of a 20-byte key set as hex; some central systems compare the decoded
  // bytes, others the text. The default is the text; "hex" sends the bytes the digits spell.
  const { csms, cp } = await startPair(t, HERE, {
    csms: { basicAuth: { CP001: PASSWORD }, basicAuthEncoding: 'hex' },
    cp: { password: PASSWORD },
  });
  await cp.waitStatus((s) => s.ocpp.connection === 'error', 20000, 'refused: the text is not what it compares');
  assert.equal(csms.connections.length, 0);
  assert.equal((await cp.cpctl('config', 'set', 'AuthorizationKeyEncoding', 'hex')).code, 0);
  await waitBooted(cp, 30000);
  assert.equal(csms.connections.length, 1);
  // Under hex only hex keys are taken (a non-hex one could never be sent).
  const r = await cp.cpctl('config', 'set', 'AuthorizationKey', 'not-a-hex-key-but-long-enough');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Rejected: .*hexadecimal/);
  assert.ok(!cp.logs().includes(PASSWORD), 'the AuthorizationKey never appears in the log');
  // And back: a text central system.
  csms.basicAuthEncoding = 'text';
  assert.equal((await cp.cpctl('config', 'set', 'AuthorizationKeyEncoding', 'text')).code, 0);
  const deadline = Date.now() + 30000;
  while (csms.connections.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(csms.connections.length, 2, 'a new connection with the key as text');
  await cp.waitStatus((s) => isBooted(s), 30000, 'reconnected with the key as text');
});

test('identity is percent-encoded as the last path segment', async (t) => {
  const { csms, cp } = await startPair(t, HERE, { cp: { id: 'CP 01' } });
  const conn = await csms.waitForConnection(20000);
  assert.equal(conn.path, '/ocpp/CP%2001');
  assert.equal(conn.identity, 'CP 01');
  const s = await cp.waitStatus(isBooted, 20000, 'registration "Accepted"');
  assert.equal(s.chargePointId, 'CP 01');
});
