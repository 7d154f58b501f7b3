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
});
