// cp_certificate.test.mjs — the Charge Point certificate of the security whitepaper (edition 2,
// A02/A03) and security profile 3.
//
// Why it exists: the central system asks for a CSR (ExtendedTriggerMessage
// SignChargePointCertificate), a CA signs it and the charger must take back only its own
// certificate from the operator's hierarchy; the private key never leaves the charger (A02.FR.05):
// a 0600 file under the state dir that never shows in the log. Then the charger presents that
// certificate when a central system asks for a client certificate (profile 3). The CA here is the
// openssl CLI on files in a temporary directory.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Controller } from './lib/controller.mjs';
import { Csms, waitBooted, isCallIn } from './lib/harness.mjs';
import { makeCerts } from './lib/certs.mjs';
import { assertFramesValid } from './lib/schemas.mjs';

const SERIAL = 'SN-E2E-0001';
const CPO = 'E2E Charging, Ltd.';

function openssl(args, cwd, input) {
  try {
    return execFileSync('openssl', args, { cwd, input, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] }).toString();
  } catch (err) {
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr?.toString() || err.message}`);
  }
}

// A CA (EC P-256) able to sign CSRs: { name, pem, sign(csrPem, serial) → leaf PEM }.
function makeCa(dir, name) {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '30', '-subj', `/CN=${name}/O=${CPO}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  fs.writeFileSync(path.join(dir, 'leaf.ext'),
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  return {
    name,
    pem: fs.readFileSync(path.join(dir, `${name}.pem`), 'utf8'),
    file: path.join(dir, `${name}.pem`),
    sign(csr, serial) {
      fs.writeFileSync(path.join(dir, 'in.csr'), csr);
      openssl(['x509', '-req', '-in', 'in.csr', '-CA', `${name}.pem`, '-CAkey', `${name}.key`, '-set_serial', serial,
        '-days', '20', '-extfile', 'leaf.ext', '-out', 'out.pem'], dir);
      return fs.readFileSync(path.join(dir, 'out.pem'), 'utf8');
    },
  };
}

// What openssl reads in a CSR: its subject (RFC 2253) and whether its self-signature verifies.
function readCsr(dir, csr) {
  fs.writeFileSync(path.join(dir, 'read.csr'), csr);
  const verify = openssl(['req', '-in', 'read.csr', '-noout', '-verify'], dir);
  const subject = openssl(['req', '-in', 'read.csr', '-noout', '-subject', '-nameopt', 'RFC2253'], dir).trim();
  const text = openssl(['req', '-in', 'read.csr', '-noout', '-text'], dir);
  return { subject, text, verify };
}

// The base64 body lines of every private key under the state dir: none may ever be in the log.
function keyLines(stateDir) {
  const lines = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/key/.test(entry.name)) {
        for (const line of fs.readFileSync(p, 'utf8').split('\n')) if (line && !line.startsWith('-----')) lines.push(line);
      }
    }
  };
  walk(path.join(stateDir, 'cpcert'));
  return lines;
}

const mode = (p) => fs.statSync(p).mode & 0o777;
const securityEvents = (csms, since = 0) => csms.frames.slice(since)
  .filter((f) => isCallIn(f, 'SecurityEventNotification')).map((f) => f.msg[3]);

// Trigger a CSR and return it (the SignCertificate payload), after checking the order of frames.
async function triggerCsr(csms) {
  const since = csms.mark();
  const { result, frame } = await csms.call('ExtendedTriggerMessage', { requestedMessage: 'SignChargePointCertificate' });
  assert.deepEqual(result, { status: 'Accepted' });
  const call = await csms.waitFor((f) => isCallIn(f, 'SignCertificate'), 15000, since);
  assert.ok(csms.frames.indexOf(frame) < csms.frames.indexOf(call), 'the CSR follows the answer (A02.FR.02)');
  return call.msg[3].csr;
}

describe('Charge Point certificate: SignCertificate / CertificateSigned (A02)', () => {
  let csms;
  let cp;
  let dir;
  let root;
  let stranger;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-cert-e2e-'));
    root = makeCa(dir, 'cpo-root');
    stranger = makeCa(dir, 'stranger-root');
    csms = new Csms({ port: 0 });
    await csms.start();
    cp = await Controller.start({ csmsUrl: csms.url, name: 'cp-certificate', extraArgs: ['--serial', SERIAL] });
    await waitBooted(cp);
    // the A03 check made once registered: nothing to renew yet
    await cp.waitLog(/certificate renewal check \(A03\): not due \(no Charge Point certificate\)/, 10000);
  });
  after(async () => {
    await cp?.close();
    await csms?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('without CpoName the trigger is Rejected and no CSR goes out', async () => {
    const since = csms.mark();
    const { result } = await csms.call('ExtendedTriggerMessage', { requestedMessage: 'SignChargePointCertificate' });
    assert.deepEqual(result, { status: 'Rejected' });
    await cp.expectNever(() => csms.frames.slice(since).some((f) => isCallIn(f, 'SignCertificate')), 500,
      'no SignCertificate');
    // CertificateSignedMaxChainSize is a read-only key of the catalog (7.3)
    const { result: conf } = await csms.call('GetConfiguration', { key: ['CertificateSignedMaxChainSize', 'CpoName'] });
    const byKey = Object.fromEntries(conf.configurationKey.map((k) => [k.key, k]));
    assert.deepEqual(byKey.CertificateSignedMaxChainSize, { key: 'CertificateSignedMaxChainSize', readonly: true, value: '10000' });
    assert.equal(byKey.CpoName.readonly, false);
  });

  test('a schema-valid CSR: CN = serial, O = CpoName, ECDSA P-256 with SHA256; signed → Accepted and in use', async () => {
    assert.deepEqual((await csms.call('ChangeConfiguration', { key: 'CpoName', value: CPO })).result, { status: 'Accepted' });
    assert.deepEqual((await csms.call('InstallCertificate',
      { certificateType: 'CentralSystemRootCertificate', certificate: root.pem })).result, { status: 'Accepted' });
    const csr = await triggerCsr(csms);
    assert.match(csr, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
    const read = readCsr(dir, csr);
    assert.match(read.subject, new RegExp(`CN=${SERIAL}`));
    assert.match(read.subject, /O=E2E Charging\\, Ltd\./);
    assert.match(read.text, /ASN1 OID: prime256v1/);
    assert.match(read.text, /Signature Algorithm: ecdsa-with-SHA256/);
    await cp.waitStatus((s) => s.security?.csrPending === true, 10000, 'a CSR pending');
    const pending = path.join(cp.stateDir, 'cpcert', 'pending.key');
    assert.equal(mode(pending), 0o600);
    assert.equal(mode(path.join(cp.stateDir, 'cpcert')), 0o700);

    const leaf = root.sign(csr, '0x0A01');
    const since = csms.mark();
    const { result } = await csms.call('CertificateSigned', { certificateChain: leaf });
    assert.deepEqual(result, { status: 'Accepted' });
    const st = await cp.waitStatus((s) => s.security?.chargePointCertificate?.serialNumber === '0A01', 10000,
      'the new certificate in use');
    assert.equal(st.security.csrPending, false);
    assert.ok(Date.parse(st.security.chargePointCertificate.notAfter) > Date.now() + 19 * 86400e3);
    // the pair in use: 0600 files, the key is the certificate's, the pending key is gone
    const current = path.join(cp.stateDir, 'cpcert', 'current');
    assert.equal(mode(path.join(current, 'key.pem')), 0o600);
    assert.equal(mode(path.join(current, 'cert.pem')), 0o600);
    assert.equal(fs.existsSync(pending), false);
    const pubFromKey = openssl(['pkey', '-in', path.join(current, 'key.pem'), '-pubout'], dir);
    const pubFromCert = openssl(['x509', '-in', path.join(current, 'cert.pem'), '-noout', '-pubkey'], dir);
    assert.equal(pubFromKey, pubFromCert);
    await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
      && f.msg[3].type === 'ReconfigurationOfSecurityParameters' && /^CertificateSigned/.test(f.msg[3].techInfo ?? ''),
    10000, since);
  });

  test('a chain from an unknown root, another key, or too long: Rejected + InvalidChargePointCertificate; the old pair stays', async () => {
    const csr = await triggerCsr(csms);
    const cases = [
      ['unknown root', stranger.sign(csr, '0x0B01'), /does not verify/],
      ['garbage', 'not a certificate at all', /not a PEM/],
    ];
    // a certificate of the first CSR's key (the one in use), not of the pending one
    const inUse = fs.readFileSync(path.join(cp.stateDir, 'cpcert', 'current', 'cert.pem'), 'utf8');
    cases.push(['another key', inUse, /not the one of the CSR/]);
    for (const [what, certificateChain, techInfo] of cases) {
      const since = csms.mark();
      const { result } = await csms.call('CertificateSigned', { certificateChain });
      assert.deepEqual(result, { status: 'Rejected' }, what);
      const event = await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
        && f.msg[3].type === 'InvalidChargePointCertificate', 10000, since);
      assert.match(event.msg[3].techInfo, techInfo, what);
    }
    // CertificateSignedMaxChainSize (10000): a chain of 10000+ characters (the schema's own
    // limit) is refused at the door as a CALLERROR
    const tooLong = await csms.call('CertificateSigned', { certificateChain: 'x'.repeat(10001) });
    assert.equal(tooLong.error?.code, 'PropertyConstraintViolation');
    // nothing changed: the first certificate is still in use, the CSR still pending
    const st = await cp.status();
    assert.equal(st.security.chargePointCertificate.serialNumber, '0A01');
    assert.equal(st.security.csrPending, true);
    // the right chain for the pending key, with the root sent along, is then taken
    const { result } = await csms.call('CertificateSigned', { certificateChain: root.sign(csr, '0x0A02') + root.pem });
    assert.deepEqual(result, { status: 'Accepted' });
    await cp.waitStatus((s) => s.security?.chargePointCertificate?.serialNumber === '0A02', 10000, 'the second one');
  });

  test('a CertificateSigned with no CSR pending is Rejected', async () => {
    const since = csms.mark();
    const { result } = await csms.call('CertificateSigned', { certificateChain: root.pem });
    assert.deepEqual(result, { status: 'Rejected' });
    const event = await csms.waitFor((f) => isCallIn(f, 'SecurityEventNotification')
      && f.msg[3].type === 'InvalidChargePointCertificate', 10000, since);
    assert.match(event.msg[3].techInfo, /no CSR is pending/);
  });

  test('A03: a certificate ending within a month is renewed at start; the pending key survives kill -9', async () => {
    // The certificate in use (0A02) is valid for 20 days: the start-up check finds it due.
    const since = csms.mark();
    await cp.kill9();
    await cp.restart();
    await waitBooted(cp, 30000);
    const call = await csms.waitFor((f) => isCallIn(f, 'SignCertificate'), 20000, since);
    const csr = call.msg[3].csr;
    assert.match(readCsr(dir, csr).subject, new RegExp(`CN=${SERIAL}`));
    // killed before the certificate comes back: the key is still there after the restart, and
    // no second CSR goes out (A03 error handling: no automatic retry storm)
    await cp.waitStatus((s) => s.security?.csrPending === true, 10000, 'a CSR pending');
    await cp.kill9();
    const restarted = csms.mark();
    const logMark = cp.logMark();
    await cp.restart();
    await waitBooted(cp, 30000);
    await cp.waitLog(/certificate renewal check \(A03\): not due \(in use until .*, a CSR is pending\)/, 10000, logMark);
    assert.equal(mode(path.join(cp.stateDir, 'cpcert', 'pending.key')), 0o600);
    const { result } = await csms.call('CertificateSigned', { certificateChain: root.sign(csr, '0x0A03') });
    assert.deepEqual(result, { status: 'Accepted' });
    await cp.waitStatus((s) => s.security?.chargePointCertificate?.serialNumber === '0A03', 10000, 'the third one');
    assert.equal(csms.frames.slice(restarted).filter((f) => isCallIn(f, 'SignCertificate')).length, 0);
    // the previous pair is kept as a fallback (A02.FR.10), the ones before it are gone
    const pairs = fs.readdirSync(path.join(cp.stateDir, 'cpcert')).filter((n) => /^\d+$/.test(n));
    assert.equal(pairs.length, 2, pairs.join(' '));
  });

  test('no private key in the log; every frame valid against the official schemas', () => {
    const lines = keyLines(cp.stateDir);
    assert.ok(lines.length >= 4, 'keys were found to look for');
    const log = cp.logs();
    for (const line of lines) assert.ok(!log.includes(line), 'a line of a private key is in the log');
    assert.ok(!/PRIVATE KEY/.test(log));
    assert.ok(assertFramesValid(csms) > 10);
    assert.ok(securityEvents(csms).length > 0);
  });
});

// Security profile 3: a central system that requires a client certificate from its CA. The
// charger starts with a factory certificate (--client-cert/--client-key), is asked for a CSR, and
// after CertificateSigned reconnects presenting the new one.
describe('security profile 3: the client certificate presented over wss', () => {
  let csms;
  let cp;
  let dir;
  let server;
  let ca;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-cert-tls-'));
    server = makeCerts();
    ca = makeCa(dir, 'client-ca');
    // the factory certificate, signed by the same CA, CN = serial
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'factory.key',
      '-out', 'factory.csr', '-subj', `/CN=${SERIAL}/O=factory`], dir);
    fs.writeFileSync(path.join(dir, 'factory.pem'), ca.sign(fs.readFileSync(path.join(dir, 'factory.csr'), 'utf8'), '0x0F01'));
    csms = new Csms({ port: 0, tls: { key: server.serverKey, cert: server.serverCert, ca: ca.pem, requestCert: true } });
    await csms.start();
  });
  after(async () => {
    await cp?.close();
    await csms?.stop();
    server?.remove();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('no client certificate: the handshake is refused', async () => {
    const noCert = await Controller.start({ csmsUrl: csms.url, caFile: server.caFile, name: 'cp-certificate-nocert',
      extraArgs: ['--serial', SERIAL] });
    try {
      await noCert.waitStatus((s) => s.ocpp?.connection === 'error', 20000, 'the link fails');
      assert.equal(csms.connections.length, 0);
    } finally {
      await noCert.close();
    }
  });

  test('--client-cert: the factory certificate is presented; after CertificateSigned the new one', async () => {
    cp = await Controller.start({ csmsUrl: csms.url, caFile: server.caFile, name: 'cp-certificate-tls',
      extraArgs: ['--serial', SERIAL, '--client-cert', path.join(dir, 'factory.pem'),
        '--client-key', path.join(dir, 'factory.key')] });
    await waitBooted(cp, 30000);
    // the A03 check at start finds the factory certificate due (20 days left) but no CpoName yet
    await cp.waitLog(/certificate renewal check \(A03\).*CpoName is not set/, 10000);
    const first = csms.connections.at(-1);
    assert.equal(first.clientCertificate?.subject?.CN, SERIAL);
    assert.equal(first.clientCertificate.serialNumber, '0F01');
    // the status shows the factory certificate in use
    const st = await cp.status();
    assert.equal(st.security.chargePointCertificate.serialNumber, '0F01');

    assert.deepEqual((await csms.call('ChangeConfiguration', { key: 'CpoName', value: CPO })).result, { status: 'Accepted' });
    assert.deepEqual((await csms.call('InstallCertificate',
      { certificateType: 'CentralSystemRootCertificate', certificate: ca.pem })).result, { status: 'Accepted' });
    const csr = await triggerCsr(csms);
    const connections = csms.connections.length;
    const { result } = await csms.call('CertificateSigned', { certificateChain: ca.sign(csr, '0x0C01') });
    assert.deepEqual(result, { status: 'Accepted' });
    // A02.FR.08: a new connection presents the new certificate
    await csms.waitFor(() => csms.connections.length > connections, 20000);
    await waitBooted(cp, 30000);
    const latest = csms.connections.at(-1);
    assert.equal(latest.clientCertificate?.subject?.CN, SERIAL);
    assert.equal(latest.clientCertificate.serialNumber, '0C01');
    // SecurityProfile 3 may now be set (A05.FR.04: a Charge Point certificate is installed); it
    // is tried on a new connection (A05.FR.06/07) that presents the certificate and no password
    const mark = cp.logMark();
    assert.deepEqual((await csms.call('ChangeConfiguration', { key: 'SecurityProfile', value: '3' })).result,
      { status: 'Accepted' });
    await cp.waitLog(/SecurityProfile 3 works/, 20000, mark);
    const third = csms.connections.at(-1);
    assert.equal(third.clientCertificate?.subject?.CN, SERIAL);
    assert.equal(third.clientCertificate.serialNumber, '0C01');
    assert.equal(third.authorizationPresent, false);
    const log = cp.logs();
    for (const line of keyLines(cp.stateDir)) assert.ok(!log.includes(line), 'a line of a private key is in the log');
    assert.ok(assertFramesValid(csms) > 5);
  });
});
