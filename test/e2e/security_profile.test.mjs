// security_profile.test.mjs — the trust of the wss:// link and the security profile migration.
//
// Why it exists: the security whitepaper has the charger verify the central system's server
// certificate against the CentralSystemRootCertificates installed over OCPP (A00.FR.307/411,
// the host name too: A00.FR.308/412) and move to a higher SecurityProfile only over a connection
// that works (A05: try it, fall back). The certificates are made here with openssl; every
// central system listens on 127.0.0.1.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Controller } from './lib/controller.mjs';
import { Csms, waitBooted, isCallIn } from './lib/harness.mjs';
import { makeCerts } from './lib/certs.mjs';

const securityEvents = (csms, since = 0) => csms.frames.slice(since)
  .filter((f) => isCallIn(f, 'SecurityEventNotification')).map((f) => f.msg[3]);

describe('installed CentralSystemRootCertificates verify the wss:// link', () => {
  let operator;     // the CPO's hierarchy, installed over OCPP
  let stranger;     // a CA the charger was never told about
  let plain;        // ws:// central system that installs the root
  let good;         // wss://, a certificate from the installed root
  let wrongCa;      // wss://, a certificate from another CA
  let wrongHost;    // wss://, the installed root's certificate for another host name
  let cp;
  before(async () => {
    operator = makeCerts();
    stranger = makeCerts();
    const other = operator.issue('other-host', 'DNS:csms.example.com');
    plain = new Csms({ port: 0 });
    good = new Csms({ port: 0, tls: { key: operator.serverKey, cert: operator.serverCert } });
    wrongCa = new Csms({ port: 0, tls: { key: stranger.serverKey, cert: stranger.serverCert } });
    wrongHost = new Csms({ port: 0, tls: { key: other.key, cert: other.cert } });
    await Promise.all([plain.start(), good.start(), wrongCa.start(), wrongHost.start()]);
    cp = await Controller.start({ csmsUrl: plain.url, name: 'security-profile-roots' });
    await waitBooted(cp);
  });
  after(async () => {
    await cp?.close();
    await Promise.all([plain, good, wrongCa, wrongHost].map((c) => c?.stop()));
    operator?.remove();
    stranger?.remove();
  });

  test('without an installed root (and no --ca-file) the test CA is not trusted', async () => {
    const since = cp.logMark();
    await cp.cpctlOk('config', 'set', 'CentralSystemUrl', good.url);
    await cp.waitLog(/connection error: TLS: certificate verify failed/, 15000, since);
    assert.equal(good.connections.length, 0);
  });

  test('a root installed over OCPP: its server connects; another CA and another host name are refused', async () => {
    await cp.cpctlOk('config', 'set', 'CentralSystemUrl', plain.url);
    await waitBooted(cp, 15000);
    const installed = await plain.call('InstallCertificate',
      { certificateType: 'CentralSystemRootCertificate', certificate: operator.caCert });
    assert.deepEqual(installed.result, { status: 'Accepted' });
    await cp.waitLog(/the wss:\/\/ link trusts 1 installed CentralSystemRootCertificate/, 10000);

    let since = cp.logMark();
    await cp.cpctlOk('config', 'set', 'CentralSystemUrl', wrongCa.url);
    await cp.waitLog(/connection error: TLS: certificate verify failed/, 15000, since);
    since = cp.logMark();
    await cp.cpctlOk('config', 'set', 'CentralSystemUrl', wrongHost.url);
    await cp.waitLog(/connection error: TLS: certificate verify failed: .*mismatch/, 15000, since);
    assert.equal(wrongCa.connections.length + wrongHost.connections.length, 0);

    await cp.cpctlOk('config', 'set', 'CentralSystemUrl', good.url);
    await waitBooted(cp, 15000);
    assert.equal(good.connections.length, 1);
    // the refusals were raised, and are delivered over the link that verifies
    await good.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
      && f.msg[3].type === 'InvalidCentralSystemCertificate', 15000);
    const refused = securityEvents(good).filter((e) => e.type === 'InvalidCentralSystemCertificate');
    assert.equal(refused.length, 1, JSON.stringify(refused));   // once per failure streak
    assert.match(refused[0].techInfo, /certificate verify failed/);
  });

  test('a server with TLS 1.1 only, then one without a common cipher suite: refused, InvalidTLSVersion and InvalidTLSCipherSuite', async () => {
    const key = operator.serverKey;
    const cert = operator.serverCert;
    const old = new Csms({ port: 0, tls: { key, cert, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' } });
    const odd = new Csms({ port: 0, tls: { key, cert, maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' } });
    await Promise.all([old.start(), odd.start()]);
    try {
      let since = cp.logMark();
      await cp.cpctlOk('config', 'set', 'CentralSystemUrl', old.url);
      await cp.waitLog(/security event InvalidTLSVersion: TLS: no common TLS version/, 15000, since);
      since = cp.logMark();
      await cp.cpctlOk('config', 'set', 'CentralSystemUrl', odd.url);
      await cp.waitLog(/security event InvalidTLSCipherSuite: TLS: no common cipher suite/, 15000, since);
      assert.equal(old.connections.length + odd.connections.length, 0);
      // Refused in the TLS handshake: no upgrade request, so no Basic password, reached either
      assert.equal(old.attempts.length + odd.attempts.length, 0);
      since = good.mark();
      await cp.cpctlOk('config', 'set', 'CentralSystemUrl', good.url);
      await good.waitFor(() => ['InvalidTLSVersion', 'InvalidTLSCipherSuite']
        .every((type) => securityEvents(good, since).some((e) => e.type === type)), 20000);
      await waitBooted(cp, 15000);
    } finally {
      await Promise.all([old.stop(), odd.stop()]);
    }
  });

  test('an expired server certificate from the installed root: refused, InvalidCentralSystemCertificate', async () => {
    const expired = operator.issueExpired('expired');
    const stale = new Csms({ port: 0, tls: { key: expired.key, cert: expired.cert } });
    await stale.start();
    try {
      const since = cp.logMark();
      await cp.cpctlOk('config', 'set', 'CentralSystemUrl', stale.url);
      await cp.waitLog(/security event InvalidCentralSystemCertificate: TLS: certificate verify failed: certificate has expired/,
        15000, since);
      assert.equal(stale.connections.length, 0);
      await cp.cpctlOk('config', 'set', 'CentralSystemUrl', good.url);
      await waitBooted(cp, 15000);
    } finally {
      await stale.stop();
    }
  });

  test('the installed root the link stands on cannot be deleted (M04.FR.06); another one can', async () => {
    const spare = await good.call('InstallCertificate',
      { certificateType: 'CentralSystemRootCertificate', certificate: stranger.caCert });
    assert.deepEqual(spare.result, { status: 'Accepted' });
    const ids = await good.call('GetInstalledCertificateIds', { certificateType: 'CentralSystemRootCertificate' });
    const [inUse, other] = ids.result.certificateHashData;
    assert.deepEqual((await good.call('DeleteCertificate', { certificateHashData: inUse })).result, { status: 'Failed' });
    assert.deepEqual((await good.call('DeleteCertificate', { certificateHashData: other })).result, { status: 'Accepted' });
  });
});

describe('A05: a higher SecurityProfile is tried on a new connection and kept only if it works', () => {
  const PASSWORD = '0123456789abcdef0123456789abcdef';
  const SERIAL = 'SN-A05-0001';
  let operator;
  let cp;
  before(() => { operator = makeCerts(); });
  after(async () => {
    await cp?.close();
    operator?.remove();
  });
  const profile = async (c) => {
    const out = (await c.cpctlOk('config', 'get', 'SecurityProfile')).stdout;
    return Number(/SecurityProfile\D*(\d)/.exec(out)?.[1]);
  };
  const installRoot = async (csms) => assert.deepEqual((await csms.call('InstallCertificate',
    { certificateType: 'CentralSystemRootCertificate', certificate: operator.caCert })).result, { status: 'Accepted' });

  test('1 → 2: the same central system over TLS (same host, port and path), committed; never back to 1 over OCPP', async () => {
    const csms = new Csms({ port: 0, tls: { key: operator.serverKey, cert: operator.serverCert, plainToo: true },
      basicAuth: { CP001: PASSWORD } });
    await csms.start();
    try {
      cp = await Controller.start({ csmsUrl: csms.plainUrl, password: PASSWORD, name: 'security-profile-1to2' });
      await waitBooted(cp);
      assert.equal(await profile(cp), 1);
      assert.equal(csms.connections.at(-1).tls, false);
      await installRoot(csms);
      const since = cp.logMark();
      assert.deepEqual((await csms.call('ChangeConfiguration', { key: 'SecurityProfile', value: '2' })).result,
        { status: 'Accepted' });
      await cp.waitLog(/SecurityProfile 2 works/, 20000, since);
      const link = csms.connections.at(-1);
      assert.equal(link.tls, true);
      assert.equal(link.authorizationPresent, true);
      assert.equal(await profile(cp), 2);
      assert.deepEqual((await csms.call('ChangeConfiguration', { key: 'SecurityProfile', value: '1' })).result,
        { status: 'Rejected' });
    } finally {
      await cp?.close();
      cp = null;
      await csms.stop();
    }
  });

  test('1 → 2 against a central system without TLS: back to 1, still working — also after a kill -9 mid-migration', async () => {
    const csms = new Csms({ port: 0, basicAuth: { CP001: PASSWORD } });
    await csms.start();
    try {
      cp = await Controller.start({ csmsUrl: csms.url, password: PASSWORD, name: 'security-profile-fallback' });
      await waitBooted(cp);
      await installRoot(csms);
      assert.deepEqual((await csms.call('ChangeConfiguration', { key: 'SecurityProfile', value: '2' })).result,
        { status: 'Accepted' });
      // a power cut right after the answer: the restart ends on a profile that works
      await cp.kill9();
      const since = cp.logMark();
      const connections = csms.connections.length;
      await cp.restart();
      await cp.waitLog(/SecurityProfile 2 did not work \(TLS.*\): falling back to 1/, 20000, since);
      await csms.waitFor(() => csms.connections.length > connections, 20000);
      await waitBooted(cp, 20000);
      assert.equal(await profile(cp), 1);
      assert.equal(csms.connections.at(-1).tls, false);
      // the central system is told, once it is reachable again
      await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
        && f.msg[3].type === 'ReconfigurationOfSecurityParameters' && f.msg[3].techInfo === 'SecurityProfile changed',
      15000);
    } finally {
      await cp?.close();
      cp = null;
      await csms.stop();
    }
  });

  test('2 → 3 with the client certificate: refused while the central system still wants the password (back to 2), then committed', async () => {
    const factory = operator.issue('factory', `DNS:${SERIAL}`, { eku: 'clientAuth', cn: SERIAL });
    const csms = new Csms({ port: 0,
      tls: { key: operator.serverKey, cert: operator.serverCert, requestCert: true, ca: operator.caCert },
      basicAuth: { CP001: PASSWORD } });
    await csms.start();
    try {
      cp = await Controller.start({ csmsUrl: csms.url, caFile: operator.caFile, password: PASSWORD,
        name: 'security-profile-2to3',
        extraArgs: ['--serial', SERIAL, '--client-cert', factory.certFile, '--client-key', factory.keyFile] });
      await waitBooted(cp);
      assert.equal(await profile(cp), 2);
      let since = cp.logMark();
      assert.deepEqual((await csms.call('ChangeConfiguration', { key: 'SecurityProfile', value: '3' })).result,
        { status: 'Accepted' });
      await cp.waitLog(/SecurityProfile 3 did not work \(HTTP 401.*\): falling back to 2/, 20000, since);
      await cp.waitLog(/security profile 2: wss:/, 10000, since);
      await waitBooted(cp, 20000);
      assert.equal(await profile(cp), 2);
      // the central system moves this charger to client certificates only
      csms.basicAuth = null;
      since = cp.logMark();
      assert.deepEqual((await csms.call('ChangeConfiguration', { key: 'SecurityProfile', value: '3' })).result,
        { status: 'Accepted' });
      await cp.waitLog(/SecurityProfile 3 works/, 20000, since);
      const link = csms.connections.at(-1);
      assert.equal(link.authorizationPresent, false, 'profile 3 sends no password');
      assert.equal(link.clientCertificate?.subject?.CN, SERIAL);
      assert.equal(await profile(cp), 3);
    } finally {
      await cp?.close();
      cp = null;
      await csms.stop();
    }
  });
});
