// security.test.mjs — the 1.6 security whitepaper (edition 2) as far as it is built: certificate
// management (M03-M05), security events (chapter 8) and ExtendedTriggerMessage.
//
// Why it exists: an operator installs its roots from the central system and must read back the
// same CertificateHashData it would compute itself (here: `openssl ocsp`, the OCSP CertID the
// type is defined by); garbage must be Rejected, not stored; the security log must reach the
// central system in order even when the link was down and the controller was killed meanwhile.
// Every frame either side sent is checked against the official schemas at the end.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Controller } from './lib/controller.mjs';
import { Csms, waitBooted, isCallIn, isConnected, actor, connector, restarts, waitActorRestarted } from './lib/harness.mjs';
import { makeCerts } from './lib/certs.mjs';
import { assertFramesValid } from './lib/schemas.mjs';

function openssl(args, cwd) {
  return execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

// A root made by openssl, and its CertificateHashData as OCSP's CertID spells it.
function makeRoot(dir, name, serial) {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}/O=test CPO`,
    '-set_serial', serial], dir);
  const text = openssl(['ocsp', '-sha256', '-issuer', `${name}.pem`, '-cert', `${name}.pem`, '-no_nonce',
    '-req_text', '-reqout', '/dev/null'], dir);
  const field = (label) => text.match(new RegExp(`${label}: (\\S+)`))[1];
  return {
    pem: fs.readFileSync(path.join(dir, `${name}.pem`), 'utf8'),
    hash: {
      hashAlgorithm: 'SHA256',
      issuerNameHash: field('Issuer Name Hash').toLowerCase(),
      issuerKeyHash: field('Issuer Key Hash').toLowerCase(),
      serialNumber: field('Serial Number'),
    },
  };
}

// A CA certificate named name, issued (signed) by the root issuer, and its hash data.
function makeIssued(dir, name, issuer, serial) {
  fs.writeFileSync(path.join(dir, 'rootca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`,
    '-out', `${name}.csr`, '-subj', `/CN=${name}/O=test CPO`], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`,
    '-set_serial', serial, '-days', '2', '-extfile', 'rootca.ext', '-out', `${name}.pem`], dir);
  const text = openssl(['ocsp', '-sha256', '-issuer', `${issuer}.pem`, '-cert', `${name}.pem`, '-no_nonce',
    '-req_text', '-reqout', '/dev/null'], dir);
  const field = (label) => text.match(new RegExp(`${label}: (\\S+)`))[1];
  return {
    pem: fs.readFileSync(path.join(dir, `${name}.pem`), 'utf8'),
    hash: {
      hashAlgorithm: 'SHA256',
      issuerNameHash: field('Issuer Name Hash').toLowerCase(),
      issuerKeyHash: field('Issuer Key Hash').toLowerCase(),
      serialNumber: field('Serial Number'),
    },
  };
}

const securityEvents = (csms, since = 0) => csms.frames.slice(since)
  .filter((f) => isCallIn(f, 'SecurityEventNotification')).map((f) => f.msg[3]);

describe('security whitepaper: certificates, security events, ExtendedTriggerMessage', () => {
  let csms;
  let cp;
  let dir;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-security-e2e-'));
    csms = new Csms({ port: 0 });
    await csms.start();
    cp = await Controller.start({ csmsUrl: csms.url, name: 'security' });
    await waitBooted(cp);
  });
  after(async () => {
    await cp?.close();
    await csms?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('StartupOfTheDevice reaches the central system once', async () => {
    const frame = await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
      && f.msg[3].type === 'StartupOfTheDevice', 15000);
    assert.ok(!Number.isNaN(Date.parse(frame.msg[3].timestamp)));
    assert.equal(securityEvents(csms).filter((e) => e.type === 'StartupOfTheDevice').length, 1);
  });

  test('InstallCertificate → GetInstalledCertificateIds (openssl\'s hash data) → DeleteCertificate → NotFound', async () => {
    const root = makeRoot(dir, 'root1', '0x00C0FFEE');
    const since = csms.mark();
    const installed = await csms.call('InstallCertificate',
      { certificateType: 'CentralSystemRootCertificate', certificate: root.pem });
    assert.deepEqual(installed.result, { status: 'Accepted' });
    // Changing the trusted roots is a change of security parameters (chapter 8).
    await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
      && f.msg[3].type === 'ReconfigurationOfSecurityParameters', 10000, since);

    const ids = await csms.call('GetInstalledCertificateIds', { certificateType: 'CentralSystemRootCertificate' });
    assert.equal(ids.result.status, 'Accepted');
    assert.deepEqual(ids.result.certificateHashData, [root.hash]);
    assert.equal(root.hash.serialNumber, 'C0FFEE');
    const other = await csms.call('GetInstalledCertificateIds', { certificateType: 'ManufacturerRootCertificate' });
    assert.deepEqual(other.result, { status: 'NotFound' });

    const deleted = await csms.call('DeleteCertificate', { certificateHashData: root.hash });
    assert.deepEqual(deleted.result, { status: 'Accepted' });
    const again = await csms.call('DeleteCertificate', { certificateHashData: root.hash });
    assert.deepEqual(again.result, { status: 'NotFound' });
    const none = await csms.call('GetInstalledCertificateIds', { certificateType: 'CentralSystemRootCertificate' });
    assert.deepEqual(none.result, { status: 'NotFound' });
  });

  test('a garbage PEM, a truncated certificate and two certificates at once are Rejected and not stored', async () => {
    const root = makeRoot(dir, 'root2', '7');
    const lines = root.pem.trim().split('\n');
    const truncated = [...lines.slice(0, 4), lines[lines.length - 1]].join('\n');
    for (const certificate of ['this is not a certificate', truncated, root.pem + makeRoot(dir, 'root3', '8').pem]) {
      const { result } = await csms.call('InstallCertificate',
        { certificateType: 'ManufacturerRootCertificate', certificate });
      assert.deepEqual(result, { status: 'Rejected' }, certificate.slice(0, 60));
    }
    const ids = await csms.call('GetInstalledCertificateIds', { certificateType: 'ManufacturerRootCertificate' });
    assert.deepEqual(ids.result, { status: 'NotFound' });
    // A malformed request is the schema's business: a CALLERROR, not a status.
    const bad = await csms.call('InstallCertificate', { certificateType: 'SomethingElse', certificate: 'x' });
    assert.equal(bad.error?.code, 'PropertyConstraintViolation');
  });

  test('ExtendedTriggerMessage: the shared triggers are sent after the answer, FirmwareStatusNotification as the signed one, LogStatusNotification', async () => {
    for (const [requestedMessage, extra] of [['Heartbeat', {}], ['StatusNotification', { connectorId: 1 }],
      ['MeterValues', { connectorId: 1 }]]) {
      const since = csms.mark();
      const { result, frame } = await csms.call('ExtendedTriggerMessage', { requestedMessage, ...extra });
      assert.deepEqual(result, { status: 'Accepted' }, requestedMessage);
      const call = await csms.waitFor((f) => isCallIn(f, requestedMessage), 10000, since);
      assert.ok(csms.frames.indexOf(frame) < csms.frames.indexOf(call), `${requestedMessage} follows the answer`);
      if (extra.connectorId) assert.equal(call.msg[3].connectorId, 1);
    }
    const status = async (payload) => (await csms.call('ExtendedTriggerMessage', payload)).result.status;
    assert.equal(await status({ requestedMessage: 'BootNotification' }), 'Rejected');  // already Accepted
    assert.equal(await status({ requestedMessage: 'StatusNotification', connectorId: 7 }), 'Rejected');
    let since = csms.mark();
    assert.equal(await status({ requestedMessage: 'FirmwareStatusNotification' }), 'Accepted');
    const signed = await csms.waitFor((f) => isCallIn(f, 'SignedFirmwareStatusNotification'), 10000, since);
    assert.equal(signed.msg[3].status, 'Idle');
    since = csms.mark();
    assert.equal(await status({ requestedMessage: 'LogStatusNotification' }), 'Accepted');
    const log = await csms.waitFor((f) => isCallIn(f, 'LogStatusNotification'), 10000, since);
    assert.equal(log.msg[3].status, 'Idle');
    // SignChargePointCertificate needs CpoName (A02's prerequisite): Rejected here, nothing sent
    // (the CSR itself: cp_certificate.test.mjs)
    since = csms.mark();
    assert.equal(await status({ requestedMessage: 'SignChargePointCertificate' }), 'Rejected');
    await cp.expectNever(() => csms.frames.slice(since).some((f) => isCallIn(f, 'SignCertificate')), 300,
      'no CSR without CpoName');
  });

  test('a frame that is not OCPP raises InvalidMessages', async () => {
    const since = csms.mark();
    csms.sendRaw('[2,"x1",');
    const frame = await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
      && f.msg[3].type === 'InvalidMessages', 10000, since);
    assert.ok(frame.msg[3].techInfo.length > 0);
  });

  test('an answer that breaks its schema raises InvalidMessages naming it', async () => {
    csms.handle('Heartbeat', () => ({}));   // currentTime is required
    try {
      const since = csms.mark();
      assert.deepEqual((await csms.call('ExtendedTriggerMessage', { requestedMessage: 'Heartbeat' })).result,
        { status: 'Accepted' });
      const frame = await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
        && f.msg[3].type === 'InvalidMessages', 10000, since);
      assert.match(frame.msg[3].techInfo, /^HeartbeatResponse: /);
    } finally {
      csms.handle('Heartbeat', null);
    }
  });

  test('the enclosure opened (the board\'s tamper switch) raises TamperDetectionActivated once per opening', async () => {
    const tamper = (f) => isCallIn(f, 'SecurityEventNotification') && f.msg[3].type === 'TamperDetectionActivated';
    const since = csms.mark();
    await cp.cpctlOk('tamper', 'open');
    const first = await csms.waitFor(tamper, 10000, since);
    assert.match(first.msg[3].techInfo, /tamper switch opened/);
    // The board reports the open switch again and again (every connector, every refresh): no new
    // event while it stays open. Close and open again: a new episode, one more event — and since
    // one raiser's events arrive in order, any repeat of the first would be in by then.
    await cp.waitStatus((s) => connector(s, 1).tamper === true, 10000, 'status shows the open enclosure');
    await cp.cpctlOk('tamper', 'closed');
    await cp.waitStatus((s) => connector(s, 1).tamper === false, 10000, 'the hw actor saw it closed');
    await cp.cpctlOk('tamper', 'open');
    await csms.waitFor(() => csms.frames.slice(since).filter(tamper).length >= 2, 10000);
    await cp.cpctlOk('tamper', 'closed');
    assert.equal(csms.frames.slice(since).filter(tamper).length, 2, 'one event per opening');
    const usage = await cp.cpctl('tamper', 'ajar');
    assert.equal(usage.code, 2, 'tamper takes open or closed');
  });

  test('a flood of invalid messages: every one answered, at most 10 InvalidMessages a minute', async () => {
    const since = csms.mark();
    for (let i = 0; i < 15; i++) csms.sendRaw(`[2,"flood-${i}","Heartbeat",{"unexpected":${i}}]`);
    for (let i = 0; i < 15; i++) {
      const reply = await csms.waitForReply(`flood-${i}`, 10000, since);
      assert.equal(reply.msg[0], 4, 'a CALLERROR');
    }
    await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification') && f.msg[3].type === 'InvalidMessages'
      && /more this minute are not logged/.test(f.msg[3].techInfo), 10000, since);
    // a later event is delivered after whatever the flood raised (the queue is in order)
    const mark = csms.mark();
    await cp.cpctlOk('config', 'set', 'CpoName', 'Flood CPO');
    await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
      && f.msg[3].type === 'ReconfigurationOfSecurityParameters', 10000, mark);
    const invalid = securityEvents(csms, since).filter((e) => e.type === 'InvalidMessages');
    assert.ok(invalid.length <= 10, `${invalid.length} InvalidMessages events`);
  });

  test('events raised offline are kept across kill -9 and delivered in order after reconnect', async () => {
    const root = makeRoot(dir, 'root4', '0x4242');
    const installedAt = csms.mark();
    assert.equal((await csms.call('InstallCertificate',
      { certificateType: 'ManufacturerRootCertificate', certificate: root.pem })).result.status, 'Accepted');
    // Nothing owed from before the cut: its event is delivered first.
    await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
      && /^InstallCertificate/.test(f.msg[3].techInfo ?? ''), 10000, installedAt);
    await csms.stop();
    await cp.waitStatus((s) => !isConnected(s), 15000, 'the link is down');
    for (const name of ['First CPO', 'Second CPO']) {
      const mark = cp.logMark();
      await cp.cpctlOk('config', 'set', 'CpoName', name);
      await cp.waitLog(/security event ReconfigurationOfSecurityParameters: CpoName changed/, 10000, mark);
    }
    await cp.kill9();
    const restarted = cp.logMark();
    await cp.restart();
    await cp.waitLog(/security event StartupOfTheDevice/, 15000, restarted);
    // cpctl status counts what is owed: the two changes and this start
    await cp.waitStatus((st) => st.security?.events.owed === 3 && st.security.certificates === 1, 10000,
      'three security events owed, one certificate');
    const since = csms.mark();
    await csms.start();
    await waitBooted(cp, 30000);
    const frames = await csms.waitForCalls('SecurityEventNotification', 3, 20000, since);
    const events = frames.map((f) => f.msg[3]);
    assert.deepEqual(events.slice(0, 3).map((e) => [e.type, e.techInfo]), [
      ['ReconfigurationOfSecurityParameters', 'CpoName changed'],
      ['ReconfigurationOfSecurityParameters', 'CpoName changed'],
      ['StartupOfTheDevice', undefined],
    ]);
    const stamps = events.map((e) => Date.parse(e.timestamp));
    for (let i = 1; i < stamps.length; i++) assert.ok(stamps[i] >= stamps[i - 1], 'in the order they happened');
    await cp.waitStatus((st) => st.security?.events.owed === 0, 10000, 'nothing owed once delivered');
    // The certificate survived the kill too.
    const ids = await csms.call('GetInstalledCertificateIds', { certificateType: 'ManufacturerRootCertificate' });
    assert.deepEqual(ids.result.certificateHashData, [root.hash]);
  });

  test('AdditionalRootCertificateCheck (the maker\'s local setting): a new root must be signed by the one in force and replaces it', async () => {
    const key = 'AdditionalRootCertificateCheck';
    // R to the central system (7.1), set locally
    const refused = await csms.call('ChangeConfiguration', { key, value: 'true' });
    assert.deepEqual(refused.result, { status: 'Rejected' });
    await cp.cpctlOk('config', 'set', key, 'true');
    const conf = await csms.call('GetConfiguration', { key: [key] });
    assert.deepEqual(conf.result.configurationKey, [{ key, readonly: true, value: 'true' }]);
    const a = makeRoot(dir, 'rootA', '0xA1');
    const b = makeIssued(dir, 'rootB', 'rootA', '0xB1');
    const c = makeIssued(dir, 'rootC', 'rootA', '0xC1');   // signed by A, not by B
    const d = makeIssued(dir, 'rootD', 'rootB', '0xD1');
    const install = async (cert) => (await csms.call('InstallCertificate',
      { certificateType: 'CentralSystemRootCertificate', certificate: cert.pem })).result.status;
    const installed = async () => (await csms.call('GetInstalledCertificateIds',
      { certificateType: 'CentralSystemRootCertificate' })).result.certificateHashData;
    assert.equal(await install(a), 'Accepted');
    assert.equal(await install(b), 'Accepted');
    // B in force, A kept as the fallback (M05.FR.11): this link is ws://, so no connection
    // verified under B retires it
    assert.deepEqual(await installed(), [a.hash, b.hash]);
    assert.equal(await install(c), 'Rejected');             // M05.FR.10
    assert.deepEqual(await installed(), [a.hash, b.hash]);
    assert.equal(await install(d), 'Accepted');             // D replaces B; A, the older fallback, goes
    assert.deepEqual(await installed(), [b.hash, d.hash]);
  });

  test('every frame of this file is valid against the official schemas', () => {
    assert.ok(assertFramesValid(csms) > 20);
  });
});

// Over wss:// with Basic auth (security profile 2's link): the link's own security events, and
// the rule that the root verifying the connection in use cannot be deleted (M04.FR.06).
describe('security whitepaper over wss: link events, the root in use, ResetOrReboot', () => {
  const PASSWORD = 'security-e2e-key-0123';
  let certs;
  let stranger;
  let csms;
  let cp;
  let stateDir;
  before(async () => {
    certs = makeCerts();
    stranger = makeCerts();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-security-wss-'));
    csms = new Csms({ port: 0, tls: { key: certs.serverKey, cert: certs.serverCert }, basicAuth: { CP001: PASSWORD } });
    await csms.start();
  });
  after(async () => {
    await cp?.close();
    await csms?.stop();
    certs?.remove();
    stranger?.remove();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  test('an untrusted server certificate, then a refused password: both events arrive in order once connected', async () => {
    // 1. trusting another CA: the server certificate does not verify
    cp = await Controller.start({ csmsUrl: csms.url, caFile: stranger.caFile, password: PASSWORD, stateDir,
      name: 'security-wss-untrusted' });
    await cp.waitLog(/security event InvalidCentralSystemCertificate/, 20000);
    await cp.stop();
    // 2. the right CA, a wrong password: HTTP 401
    cp = await Controller.start({ csmsUrl: csms.url, caFile: certs.caFile, password: 'not-the-right-key-000', stateDir,
      name: 'security-wss-401' });
    await cp.waitLog(/security event FailedToAuthenticateAtCentralSystem/, 20000);
    assert.equal(csms.received('BootNotification').length, 0);
    // 3. the operator sets the right key on site
    await cp.cpctlOk('config', 'set', 'AuthorizationKey', PASSWORD);
    await waitBooted(cp, 30000);
    const wanted = ['InvalidCentralSystemCertificate', 'FailedToAuthenticateAtCentralSystem',
      'ReconfigurationOfSecurityParameters'];
    await csms.waitFor(() => wanted.every((type) => securityEvents(csms).some((e) => e.type === type)), 20000);
    const events = securityEvents(csms);
    const order = events.map((e) => e.type).filter((type) => wanted.includes(type));
    assert.deepEqual(order, wanted, JSON.stringify(events));
    assert.match(events.find((e) => e.type === 'InvalidCentralSystemCertificate').techInfo, /certificate verify failed/);
    assert.match(events.find((e) => e.type === 'FailedToAuthenticateAtCentralSystem').techInfo, /^HTTP 401/);
    assert.equal(events.find((e) => e.type === 'ReconfigurationOfSecurityParameters').techInfo, 'AuthorizationKey changed');
    // once per failure streak, not once per retry
    assert.equal(events.filter((e) => e.type === 'InvalidCentralSystemCertificate').length, 1);
    assert.equal(events.filter((e) => e.type === 'FailedToAuthenticateAtCentralSystem').length, 1);
    assert.equal(events.filter((e) => e.type === 'StartupOfTheDevice').length, 2);
    // the password never reaches the central system in an event, nor the log
    assert.ok(!JSON.stringify(events).includes(PASSWORD));
    assert.ok(!cp.logs().includes(PASSWORD));
  });

  test('the root that verifies the connection in use cannot be deleted; another one can', async () => {
    const inUse = await csms.call('InstallCertificate',
      { certificateType: 'CentralSystemRootCertificate', certificate: certs.caCert });
    assert.deepEqual(inUse.result, { status: 'Accepted' });
    const spare = await csms.call('InstallCertificate',
      { certificateType: 'CentralSystemRootCertificate', certificate: stranger.caCert });
    assert.deepEqual(spare.result, { status: 'Accepted' });
    const ids = await csms.call('GetInstalledCertificateIds', { certificateType: 'CentralSystemRootCertificate' });
    assert.equal(ids.result.certificateHashData.length, 2);
    const [first, second] = ids.result.certificateHashData;
    assert.deepEqual((await csms.call('DeleteCertificate', { certificateHashData: first })).result, { status: 'Failed' });
    assert.deepEqual((await csms.call('DeleteCertificate', { certificateHashData: second })).result, { status: 'Accepted' });
    const left = await csms.call('GetInstalledCertificateIds', { certificateType: 'CentralSystemRootCertificate' });
    assert.deepEqual(left.result.certificateHashData, [first]);
  });

  test('Reset Soft raises ResetOrReboot, delivered after the reset', async () => {
    const since = csms.mark();
    assert.deepEqual((await csms.call('Reset', { type: 'Soft' })).result, { status: 'Accepted' });
    const frame = await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
      && f.msg[3].type === 'ResetOrReboot', 30000, since);
    assert.match(frame.msg[3].techInfo, /^Soft reset/);
  });

  test('every frame the charger sent over wss is valid against the official schemas', () => {
    assert.ok(assertFramesValid(csms) > 10);
  });
});

// --split: the security actor is a process of its own; killing it is an actor restart, not a
// boot of the charger (no second StartupOfTheDevice), and the store is still there.
describe('security actor in --split', () => {
  let csms;
  let cp;
  let dir;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-security-split-'));
    csms = new Csms({ port: 0 });
    await csms.start();
    cp = await Controller.start({ csmsUrl: csms.url, name: 'security-split', extraArgs: ['--split'] });
    await waitBooted(cp, 30000);
  });
  after(async () => {
    await cp?.close();
    await csms?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a killed security process restarts with its certificates and owes no second StartupOfTheDevice', async () => {
    await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification') && f.msg[3].type === 'StartupOfTheDevice', 20000);
    const status = await cp.status();
    assert.ok(actor(status, 'security')?.pid > 0, 'security runs as its own process');
    const root = makeRoot(dir, 'split-root', '0x51');
    assert.deepEqual((await csms.call('InstallCertificate',
      { certificateType: 'CentralSystemRootCertificate', certificate: root.pem })).result, { status: 'Accepted' });
    const before = restarts(status, 'security');
    await cp.cpctlOk('actor', 'kill', 'security');
    await waitActorRestarted(cp, 'security', before);
    // "running" is the new process spawned; until it has joined the bus a request for it is
    // answered with a CALLERROR (unreachable), which a central system retries — as here.
    let ids;
    for (const deadline = Date.now() + 10000; Date.now() < deadline;) {
      ids = await csms.call('GetInstalledCertificateIds', { certificateType: 'CentralSystemRootCertificate' });
      if (ids.result) break;
      assert.ok(ids.error?.code, `a restarting actor is unreachable: ${JSON.stringify(ids)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(ids.result?.certificateHashData, [root.hash]);
    // the install's event reached the central system; the restart raised no boot event
    await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
      && /^InstallCertificate/.test(f.msg[3].techInfo ?? ''), 20000);
    assert.equal(securityEvents(csms).filter((e) => e.type === 'StartupOfTheDevice').length, 1);
    assert.ok(assertFramesValid(csms) > 5);
  });

  test('an event raised while the security actor hangs waits in the raiser and reaches the log after the restart', async () => {
    const before = restarts(await cp.status(), 'security');
    await cp.cpctlOk('actor', 'hang', 'security');
    const since = csms.mark();
    csms.sendRaw('[2,"during-hang","Heartbeat",{"duringHang":1}]');
    assert.equal((await csms.waitForReply('during-hang', 10000, since)).msg[0], 4);
    await waitActorRestarted(cp, 'security', before, 30000);
    const frame = await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
      && f.msg[3].type === 'InvalidMessages', 30000, since);
    assert.match(frame.msg[3].techInfo, /^Heartbeat: .*duringHang/);
    await cp.waitStatus((st) => st.security?.events.owed === 0, 10000, 'nothing owed');
  });
});

// A firmware update (UpdateFirmware with the simulated installer) is in the security log as
// FirmwareUpdated after the restart into the new image, beside that start's StartupOfTheDevice.
describe('FirmwareUpdated', () => {
  const VERSION = '9.9.9-security';
  let csms;
  let cp;
  let files;
  before(async () => {
    files = http.createServer((req, res) => {
      if (req.url === '/fw.bin') return res.end(`CHARGEPOINTD-SIM-FIRMWARE ${VERSION}\n${'f'.repeat(1024)}\n`);
      res.statusCode = 404;
      return res.end();
    });
    await new Promise((resolve) => files.listen(0, '127.0.0.1', resolve));
    csms = new Csms({ port: 0 });
    await csms.start();
    cp = await Controller.start({ csmsUrl: csms.url, name: 'security-firmware' });
    await waitBooted(cp);
  });
  after(async () => {
    await cp?.close();
    await csms?.stop();
    files?.close();
  });

  test('the start into a new firmware version raises FirmwareUpdated (old → new), once', async () => {
    const since = csms.mark();
    const location = `http://127.0.0.1:${files.address().port}/fw.bin`;
    assert.deepEqual((await csms.call('UpdateFirmware', { location, retrieveDate: new Date().toISOString(),
      retries: 1, retryInterval: 1 })).result, {});
    const frame = await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
      && f.msg[3].type === 'FirmwareUpdated', 60000, since);
    assert.match(frame.msg[3].techInfo, new RegExp(`replaced by ${VERSION.replace(/\./g, '\\.')}$`));
    await csms.waitFor((f) => isCallIn(f, 'FirmwareStatusNotification') && f.msg[3].status === 'Installed', 30000, since);
    await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
      && f.msg[3].type === 'StartupOfTheDevice', 20000, since);
    assert.equal(securityEvents(csms).filter((e) => e.type === 'FirmwareUpdated').length, 1);
    assert.ok(assertFramesValid(csms) > 5);
  });
});
